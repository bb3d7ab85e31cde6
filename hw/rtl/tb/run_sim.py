#!/usr/bin/env python3
"""Runs one Verilog testbench under Icarus Verilog for meson's rtl suite.

  run_sim.py --rtl DIR --tb TB.v --golden FILE --work DIR [--define NAME=VALUE ...]
  run_sim.py --run EXE --golden FILE [--timing-out J] [--smoke]   (the Verilator model)
  run_sim.py --rtl DIR --tb tb_channel_refuse.v --work DIR --refuse 0,3 --accept 1,64
      elaboration must fail for each --refuse value of TB_NUM_CHANNELS, naming
      the rule, and succeed for each --accept value
  run_sim.py --skip TOOL          (the tool is missing: exit 77, skipped)

Compiles the core's sources (DIR/*.v but the synthesis wrapper) with the
testbench (DIR/tb/TB.v), runs vvp with +golden=FILE and passes only when the
testbench's last RESULT line says PASS. Exits 77 when iverilog or vvp is
not installed (scripts/setup.sh installs them).
"""

import argparse
import os
import shutil
import subprocess
import sys


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--skip")
    ap.add_argument("--run")
    ap.add_argument("--timing-out")
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("--rtl")
    ap.add_argument("--tb")
    ap.add_argument("--golden")
    ap.add_argument("--work")
    ap.add_argument("--define", action="append", default=[])
    ap.add_argument("--refuse")
    ap.add_argument("--accept")
    args = ap.parse_args()
    if args.skip:
        print(f"{args.skip} is not installed (scripts/setup.sh installs it): skipped")
        return 77
    if args.run:
        extra = ["--timing-out", args.timing_out] if args.timing_out else []
        extra += ["--smoke"] if args.smoke else []
        r = subprocess.run([args.run, os.path.abspath(args.golden)] + extra, capture_output=True, text=True)
        sys.stdout.write(r.stdout + r.stderr)
        return passed(r)
    iverilog, vvp = shutil.which("iverilog"), shutil.which("vvp")
    if not iverilog or not vvp:
        print("iverilog/vvp are not installed (scripts/setup.sh installs them): skipped")
        return 77
    rtl = os.path.abspath(args.rtl)
    os.makedirs(args.work, exist_ok=True)
    sources = sorted(os.path.join(rtl, f) for f in os.listdir(rtl) if f.endswith(".v") and f != "tp_synth_top.v")
    out = os.path.join(args.work, "sim.vvp")
    cmd = [iverilog, "-g2005", "-Wall", "-Wno-timescale", "-I", rtl, "-I", os.path.join(rtl, "tb"), "-o", out]
    cmd += sources + [os.path.join(rtl, "tb", args.tb)]
    if args.refuse:
        # Only the channel block is elaborated there.
        return refusal([c for c in cmd if c not in sources or c.endswith("tp_channel.v")], args.refuse,
                       args.accept or "")
    cmd[-len(sources) - 1:-len(sources) - 1] = [f"-D{d}" for d in args.define]
    r = subprocess.run(cmd, capture_output=True, text=True)
    sys.stdout.write(r.stdout + r.stderr)
    if r.returncode != 0:
        print("iverilog failed")
        return 1
    r = subprocess.run([vvp, "-n", out, f"+golden={os.path.abspath(args.golden)}"], capture_output=True, text=True)
    sys.stdout.write(r.stdout + r.stderr)
    return passed(r)


def refusal(cmd, refuse, accept) -> int:
    """Elaboration with -DTB_NUM_CHANNELS=N: refused for each of `refuse`,
    accepted for each of `accept`."""
    bad = 0
    for values, want_ok in ((refuse, False), (accept, True)):
        for n in filter(None, values.split(",")):
            r = subprocess.run(cmd[:1] + [f"-DTB_NUM_CHANNELS={n}"] + cmd[1:], capture_output=True, text=True)
            text = r.stdout + r.stderr
            ok = r.returncode == 0
            named = "tp_channel_NUM_CHANNELS_must_be_a_power_of_two_from_1_to_64" in text
            good = ok if want_ok else (not ok and named)
            print(f"NUM_CHANNELS={n}: {'elaborated' if ok else 'refused'}"
                  f"{'' if good else ' (WRONG)'}")
            bad += 0 if good else 1
    print(f"RESULT: {'PASS' if bad == 0 else 'FAIL'}")
    return 0 if bad == 0 else 1


def passed(r) -> int:
    """0 when the run exited 0 and its last RESULT line says PASS."""
    results = [l for l in r.stdout.splitlines() if l.startswith("RESULT:")]
    if r.returncode != 0 or not results or not results[-1].startswith("RESULT: PASS"):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
