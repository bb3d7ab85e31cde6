#!/usr/bin/env python3
"""Builds the Verilator model of tp_dispatch with its testbench (meson runs
this as a custom target): verilator --build in a private directory, the
executable copied to OUTPUT.

  build_verilator.py VERILATOR WORKDIR OUTPUT RTL_DIR CHANNELS JOBS [NAME=VALUE ...]

NAME=VALUE: further parameters of tp_dispatch (-G), e.g. the parser rule
set (hw/rtl/meson.build, option rtl_parser).
"""

import os
import shutil
import subprocess
import sys


def main() -> int:
    verilator, work, output, rtl, channels, jobs = sys.argv[1:7]
    work, output, rtl = (os.path.abspath(p) for p in (work, output, rtl))
    tb = os.path.join(rtl, "tb")
    sources = sorted(os.path.join(rtl, f) for f in os.listdir(rtl) if f.endswith(".v") and f != "tp_synth_top.v")
    os.makedirs(work, exist_ok=True)
    cmd = [verilator, "--cc", "--exe", "--build", "-j", jobs, "-Wall", "--top-module", "tp_dispatch",
           f"-GNUM_CHANNELS={channels}"] + [f"-G{p}" for p in sys.argv[7:]] + ["-I" + rtl, "-Mdir", work, "-o", "Vtp_dispatch",
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
