#!/usr/bin/env python3
"""Builds the Verilator model of tp_dispatch with its testbench (meson runs
this as a custom target): verilator --build in a private directory, the
executable copied to OUTPUT.

  build_verilator.py VERILATOR WORKDIR OUTPUT RTL_DIR CHANNELS JOBS RULES [NAME=VALUE ...]

RULES: the parser's rule set, issue10 or current (RULES below, the same
sets as TP_RULES_* in tp_params.vh; hw/rtl/meson.build picks one with the
option rtl_parser). NAME=VALUE: further parameters of tp_dispatch (-G).
"""

import os
import shutil
import subprocess
import sys

# tp_dispatch's parameters for each rule set, as -G values: `TP_RULES_ISSUE10
# and `TP_RULES_CURRENT of tp_params.vh written out (EXT_SET is
# `TP_EXT_ISSUE10 / `TP_EXT_CURRENT as a 256-bit literal: bits 0, 43, 44, 51,
# 60, and for issue10 135, 139, 140, 253, 254).
RULES = {
    "issue10": ["EXT_SET=256'h6000000000000000000000000000188000000000000000001008180000000001",
                "ATOMIC_FRAG_IS_FRAG=0", "L4_CUT_DROPS=0", "L4_BAD_DROPS=0", "EXT_CUT_DROPS=0", "TEREDO_CONTENT=1",
                "TEREDO_TRAILERS=1"],
    "current": ["EXT_SET=256'h0000000000000000000000000000000000000000000000001008180000000001",
                "ATOMIC_FRAG_IS_FRAG=1", "L4_CUT_DROPS=1", "L4_BAD_DROPS=1", "EXT_CUT_DROPS=1", "TEREDO_CONTENT=0",
                "TEREDO_TRAILERS=0"],
}


def rules_of_tree(rtl: str) -> str:
    """The rule set the decoder of the tree follows (as hw/rtl/meson.build's
    rtl_parser=auto): the parser change of issue 10 brought TeredoDetect (UdpDetect since the
    plug-in tables)."""
    with open(os.path.join(rtl, "..", "..", "probe", "decode", "decode_config.hpp")) as f:
        return "issue10" if any(w in f.read() for w in ("TeredoDetect", "UdpDetect")) else "current"


def main() -> int:
    verilator, work, output, rtl, channels, jobs, rules = sys.argv[1:8]
    work, output, rtl = (os.path.abspath(p) for p in (work, output, rtl))
    if rules not in RULES:
        sys.exit(f"build_verilator.py: RULES must be one of {', '.join(RULES)}, not {rules!r}")
    tb = os.path.join(rtl, "tb")
    sources = sorted(os.path.join(rtl, f) for f in os.listdir(rtl) if f.endswith(".v") and f != "tp_synth_top.v")
    os.makedirs(work, exist_ok=True)
    params = RULES[rules] + sys.argv[8:]
    cmd = [verilator, "--cc", "--exe", "--build", "-j", jobs, "-Wall", "--top-module", "tp_dispatch",
           f"-GNUM_CHANNELS={channels}"] + [f"-G{p}" for p in params] + ["-I" + rtl, "-Mdir", work, "-o", "Vtp_dispatch",
           # -O1: the model's C++ compiles in a third of the time of the
           # default -Os and runs the testbench as fast.
           "-CFLAGS", f"-DTB_CHANNELS={channels} -I{tb}", "-MAKEFLAGS", "OPT_FAST=-O1", "-MAKEFLAGS", "OPT_SLOW=-O1", "-MAKEFLAGS", "OPT_GLOBAL=-O1"]
    cmd += sources + [os.path.join(tb, "tb_dispatch.cpp")]
    r = subprocess.run(cmd, stdout=subprocess.DEVNULL)
    if r.returncode != 0:
        return r.returncode
    shutil.copy2(os.path.join(work, "Vtp_dispatch"), output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
