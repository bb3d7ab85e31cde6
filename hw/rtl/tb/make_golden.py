#!/usr/bin/env python3
"""Builds the RTL testbenches' golden file: every frame of hw/crc_vectors.txt
and of the generated captures (scripts/gen_traffic.py), with what the C++
model says about each (tp-rtl-golden, format in hw/rtl/tb/golden.cpp).

  make_golden.py --gen scripts/gen_traffic.py --tool build/hw/rtl/tp-rtl-golden \
                 --vectors hw/crc_vectors.txt --work DIR --out golden.txt \
                 [--out-small golden-icarus.txt]

Frames, in this order, each block under its own configuration record:
  1. hw/crc_vectors.txt and hw/crc_frames.txt, default decoder settings, and
     every prefix of each frame up to PREFIXES bytes (the same bytes cut by
     a snaplen);
  2. each Ethernet capture with the "decodeArgs" of its ground truth, the
     frames and their prefixes;
  3. each Ethernet capture again, whole frames only, under the other
     settings (Teredo off the configured ports the other way round from the
     decoder's default; two Teredo ports; all eight port slots, flipped
     again), so that every frame meets every configuration path.
The non-Ethernet captures (raw, null, sll) are left out: the core parses
Ethernet, the link a NIC delivers. So are the captures of flows over time
(TIME_CAPTURES): their frames are TCP and UDP headers the other captures
have, at other times (timeouts, TCP endings, 60 days of packet time), and
with their prefixes they would be four fifths of the frames.

--out-small writes a second file for the Icarus testbenches, which simulate
some hundred times slower than Verilator: blocks 1 and 3 as above, block 2
without the prefixes (every frame of every capture under every
configuration, every prefix of the hand-built vectors).
"""

import argparse
import glob
import json
import os
import subprocess
import sys

# Deep enough for every header chain of the generated traffic (the deepest,
# Teredo with authentication and origin, or eight IPv6 extension headers,
# end before byte 160); beyond it a cut changes nothing the parser reads.
PREFIXES = 192

# gen_traffic.py's captures of flows over time (its "flows over time"
# section): nothing in them that the parser reads is new.
TIME_CAPTURES = {"tcpend", "longrun", "clock0"}
# What the core's parser does not decode yet: AYIYA on UDP 5072 and IPv6 in
# UDP ("carriers"), and mirrored traffic (VXLAN, ERSPAN, Ethernet in GRE,
# under --mirror: "mirrors", "mirrors-some"). The model takes their inner
# flow, the core the outer UDP or GRE packet. "mirrors-off" stays: with
# --mirror none the model, too, hashes the outer packet.
NOT_IN_CORE = {"carriers", "mirrors", "mirrors-some"}

# --flip-teredo-detect is tp-rtl-golden's: it swaps --teredo-detect content
# and ports, whichever the capture's options leave.
OTHER_CONFIGS = [
    ["--flip-teredo-detect"],
    ["--teredo-ports", "3545,3544"],
    ["--teredo-ports", "1,2,3,4,5,6,3545,3544", "--flip-teredo-detect"],
]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--gen", required=True)
    ap.add_argument("--tool", required=True)
    ap.add_argument("--vectors", required=True)
    ap.add_argument("--frames", help="hw/crc_frames.txt: frames whose vector is the decoder's to say")
    ap.add_argument("--work", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--out-small")
    args = ap.parse_args()

    caps = os.path.join(args.work, "captures")
    os.makedirs(caps, exist_ok=True)
    subprocess.run([sys.executable, args.gen, "--out", caps], check=True, stdout=subprocess.DEVNULL)
    outs = [args.out] + ([args.out_small] if args.out_small else [])
    for o in outs:
        for f in (o, o + ".names"):
            if os.path.exists(f):
                os.remove(f)

    def tool(inputs, extra, prefixes, small_prefixes=None):
        for o in outs:
            p = prefixes if o == args.out or small_prefixes is None else small_prefixes
            subprocess.run([args.tool, "--out", o, "--append", "--prefixes", str(p)] + extra + inputs,
                           check=True, stdout=subprocess.DEVNULL)

    tool([args.vectors] + ([args.frames] if args.frames else []), [], PREFIXES)
    ethernet = []
    for truth_path in sorted(glob.glob(os.path.join(caps, "*.truth.json"))):
        with open(truth_path) as f:
            truth = json.load(f)
        if truth["linkType"] != 1 or os.path.splitext(truth["capture"])[0] in TIME_CAPTURES | NOT_IN_CORE:
            continue
        pcap = os.path.join(caps, truth["capture"])
        ethernet.append(pcap)
        tool([pcap], truth["decodeArgs"], PREFIXES, 0)
    if not ethernet:
        print("make_golden.py: no Ethernet capture generated", file=sys.stderr)
        return 1
    for cfg in OTHER_CONFIGS:
        tool(ethernet, cfg, 0)

    for o in outs:
        with open(o + ".names") as f:
            n = sum(1 for _ in f)
        print(f"{o}: {n} frames from {args.vectors} and {len(ethernet)} captures")
    return 0


if __name__ == "__main__":
    sys.exit(main())
