#!/usr/bin/env python3
"""Mutation check of the RTL testbenches: each mutant is the core with one
deliberate bug; the Verilator testbench must fail on every one of them
(a testbench that passes a broken core checks nothing). Not part of the
meson suite (one Verilator build per mutant); run by hand after changing
the testbenches or the golden data:

  hw/rtl/tb/mutants.py --golden build/hw/rtl/golden.txt \
                       [--golden-small build/hw/rtl/golden-icarus.txt] [--work /tmp/tp-mutants]

Prints one line per mutant (caught or SURVIVED) and exits 1 if any survived.

Equivalent mutants, left out because no frame can tell them apart from the
core (the check is implied by another the core makes anyway):
  * IPv4 total length < IHL: with it, `lim` ends before the options do, and
    S_L4's reach check drops the packet as the model does;
  * Teredo: UDP length shorter than the authentication header or the origin
    indication: then off + 40 + payload length > UDP payload length, and the
    length equality of the IPv6 header fails, the same fallback.
A mutant of a parameter default of tp_parser (ATOMIC_FRAG_IS_FRAG) reaches
only tb_parser, which instantiates the parser alone: tp_dispatch passes
its own default down.
"""

import argparse
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
RTL = os.path.dirname(HERE)

# (file, original text, mutated text, what the bug is)
MUTANTS = [
    ("tp_parser.v", "v4ihl < 6'd20", "v4ihl < 6'd16", "IPv4 IHL of 4 words accepted"),
    ("tp_parser.v", "          if (!reach) drp = 1'b1;\n          else if (!lvl6 && later) fin = 1'b1;",
     "          if (1'b0) drp = 1'b1;\n          else if (!lvl6 && later) fin = 1'b1;", "IPv4 options or an extension header beyond the packet"),
    ("tp_parser.v", "lim_n = x + {1'b0, c2, c3};", "lim_n = LIM_NONE;", "Ethernet padding taken as IPv4 payload"),
    ("tp_parser.v", "lim_n = end6 < lim ? end6 : lim;", "lim_n = lim;", "IPv6 payload length does not bound the packet"),
    ("tp_parser.v", "l2_next = ntags == 2'd2 ? S_BAD : S_VLAN;", "l2_next = ntags == 2'd3 ? S_BAD : S_VLAN;",
     "a third VLAN tag accepted"),
    ("tp_parser.v", "if (mpls_n == 4'd8 || !av4)", "if (!av4)", "MPLS stack depth unlimited"),
    ("tp_parser.v", "else if ({c4, c5} < 16'd8) drp = 1'b1;  // udp_bad_length", "else if (1'b0) drp = 1'b1;",
     "UDP length below 8 accepted"),
    ("tp_parser.v", "else if (c0[7:4] < 4'd5) drp = 1'b1;  // tcp_bad_offset", "else if (1'b0) drp = 1'b1;",
     "TCP data offset below 5 accepted"),
    ("tp_parser.v", "elen = {1'b0, ({1'b0, c1} + 9'd2), 2'b00};", "elen = {1'b0, ({1'b0, c1} + 9'd1), 2'b00};",
     "AH length in the wrong units"),
    ("tp_parser.v", "if (ext_n == 4'd8 || !av8)", "if (ext_n == 4'd9 || !av8)", "nine extension headers allowed"),
    ("tp_parser.v", "proto_n = c0;  // a later fragment", "proto_n = nh;  // a later fragment",
     "later IPv6 fragment: protocol from the wrong header"),
    ("tp_parser.v", "$signed({2'b0, c4, c5}) > $signed(p41rem)", "1'b0", "protocol-41 length check missing"),
    ("tp_parser.v", "{2'b0, c4, c5} != rem40", "1'b0", "Teredo IPv6 length check missing"),
    ("tp_parser.v", "else if (mode == M_TEREDO && !pm && !teredo_content) fin = 1'b1;",
     "else if (mode == M_TEREDO && !teredo_content) fin = 1'b1;", "Teredo ports need a Teredo address too"),
    ("tp_parser.v", "frag_outer_n = ip4_frag;", "frag_outer_n = 1'b0;", "outer fragment of a tunnel forgotten"),
    ("tp_parser.v", "has_ports_n = 1'b0;\n              sport_n = 16'd0;", "has_ports_n = has_ports;\n              sport_n = 16'd0;",
     "outer UDP ports kept for the inner packet"),
    ("tp_parser.v", "ip4_frag_n = c6[5] || {c6[4:0], c7} != 13'd0;", "ip4_frag_n = {c6[4:0], c7} != 13'd0;",
     "MF ignored"),
    ("tp_fv_build.v", "assign lt0[i] = kb[8*i +: 8] < ka[8*i +: 8];", "assign lt0[i] = kb[8*i +: 8] > ka[8*i +: 8];",
     "endpoints ordered the wrong way"),
    ("tp_fv_build.v", "wire [7:0]   proto = l4 ? r_proto : 8'd0;", "wire [7:0]   proto = r_proto;",
     "fragments keep their protocol"),
    ("tp_crc32c.vh", "r = (r >> 1) ^ ((r[0] ^ d[i]) ? 32'h82F63B78 : 32'h0);\n    crc32c_word",
     "r = (r >> 1) ^ ((r[0] ^ d[i]) ? 32'hEDB88320 : 32'h0);\n    crc32c_word", "CRC-32 (IEEE) instead of CRC-32C"),
    ("tp_channel.v", "assign channel = ip ? (hash[5:0] & MASK) : 6'd0;",
     "assign channel = (ip | 1'b1) ? (hash[5:0] & MASK) : 6'd0;",
     "dropped frames not sent to channel 0"),
    ("tp_window.v", "wire [3:0] beat_n = s_tlast ? keep_n : 4'd8;",
     "wire [3:0] beat_n = s_tlast && keep_n == 4'd0 ? keep_n : 4'd8;",
     "last beat's tkeep ignored"),
    ("tp_window.v", "wire take_more = !eof && (rd_free || rd_x + AHEAD >= n_arr);",
     "wire take_more = !eof && (rd_free || rd_x + AHEAD + 17'd8 >= n_arr);", "window overwrites a beat still needed"),
    ("tp_parser.v", "else if ({c6, c7} == 16'h0057) st_n = S_IP6_0;", "else if ({c6, c7} == 16'h0058) st_n = S_IP6_0;",
     "PPP IPv6 not recognised"),
    ("tp_parser.v", "          else if (c0[7:4] == 4'd6) st_n = S_IP6_0;\n          else drp = 1'b1;\n        end\n        // IPv4 bytes 0-7",
     "          else if (c0[7:4] == 4'd6) st_n = S_IP4_0;\n          else drp = 1'b1;\n        end\n        // IPv4 bytes 0-7",
     "IPv6 after an MPLS stack ending on its second label taken as IPv4"),
    ("tp_parser.v", "parameter ATOMIC_FRAG_IS_FRAG = 1,", "parameter ATOMIC_FRAG_IS_FRAG = 0,",
     "atomic fragments taken as whole packets (today's model says fragment)"),
    ("tp_params.vh", "| `TP_BIT(51) | `TP_BIT(60))", "| `TP_BIT(51))", "destination options not walked"),
    ("tp_parser.v", "      default:  need = 4'd8;", "      default:  need = 4'd4;", "states fire before their 8 bytes are in"),
    ("tp_parser.v", "              x_n = x + 17'd12;\n              st_n = S_TCP1;", "              x_n = x + 17'd8;\n              st_n = S_TCP1;",
     "TCP data offset read from the wrong byte"),
    ("tp_fv_build.v", "wire [143:0] ka = {a_addr, a_port};", "wire [143:0] ka = {a_addr, 16'd0};",
     "equal addresses not ordered by port"),
    ("tp_crc32c.v", "wire [3:0]  idx = WORDS[3:0] - left;", "wire [3:0]  idx = left - 4'd1;", "vector words in reverse order"),
    ("tp_parser.v", "            if (ihl != 6'd20) st_n = S_L4;", "            if (1'b0) st_n = S_L4;",
     "IPv4 options not skipped"),
]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--golden", required=True)
    ap.add_argument("--golden-small", help="golden-icarus.txt: mutants the Verilator bench passes meet the "
                                          "Icarus window and parser benches too")
    ap.add_argument("--work", default="/tmp/tp-mutants")
    ap.add_argument("--jobs", default="2")
    ap.add_argument("--only", help="comma-separated mutant numbers")
    args = ap.parse_args()
    verilator = shutil.which("verilator")
    if verilator is None:
        sys.exit("mutants.py: verilator is not installed")
    survived = 0
    only = {int(x) for x in args.only.split(",")} if args.only else None
    for n, (fname, old, new, what) in enumerate(MUTANTS):
        if only is not None and n not in only:
            continue
        d = os.path.join(args.work, f"m{n:02d}")
        if os.path.exists(d):
            shutil.rmtree(d)
        shutil.copytree(RTL, d, ignore=shutil.ignore_patterns("__pycache__"))
        path = os.path.join(d, fname)
        with open(path) as f:
            text = f.read()
        if text.count(old) != 1:
            print(f"m{n:02d} {what}: the text to mutate is not found once in {fname}; fix mutants.py")
            return 2
        with open(path, "w") as f:
            f.write(text.replace(old, new))
        exe = os.path.join(d, "Vtp_dispatch")
        b = subprocess.run([sys.executable, os.path.join(d, "tb", "build_verilator.py"), verilator,
                            os.path.join(d, "obj"), exe, d, "16", args.jobs], capture_output=True, text=True)
        if b.returncode != 0:
            print(f"m{n:02d} {what}: caught (does not build)")
            continue
        r = subprocess.run([exe, args.golden], capture_output=True, text=True)
        caught = r.returncode != 0
        how = "; ".join(l for l in r.stdout.splitlines() if l.startswith("pass "))
        if not caught and args.golden_small:
            for tb in ("tb_window.v", "tb_parser.v"):
                u = subprocess.run([sys.executable, os.path.join(d, "tb", "run_sim.py"), "--rtl", d, "--tb", tb,
                                    "--golden", args.golden_small, "--work", os.path.join(d, "sim-" + tb)],
                                   capture_output=True, text=True)
                if u.returncode != 0:
                    caught = True
                    how = f"by {tb}: " + "; ".join(l for l in u.stdout.splitlines() if "mismatches" in l or "RESULT" in l)
                    break
        print(f"m{n:02d} {what}: {'caught' if caught else 'SURVIVED'} ({how})")
        survived += 0 if caught else 1
    ran = len(MUTANTS) if only is None else len(only)
    print(f"{ran - survived} of {ran} mutants caught")
    return 1 if survived else 0


if __name__ == "__main__":
    sys.exit(main())
