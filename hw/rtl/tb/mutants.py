#!/usr/bin/env python3
"""Mutation check of the RTL testbenches: each mutant is the core with one
deliberate bug; the Verilator testbench must fail on every one of them
(a testbench that passes a broken core checks nothing). One Verilator build
per mutant, so not in the default suite: it is rtl-mutants of the suite
rtl-extra (meson option rtl_extra), or by hand after changing the
testbenches or the golden data:

  hw/rtl/tb/mutants.py --golden build/hw/rtl/golden.txt \
                       [--golden-small build/hw/rtl/golden-icarus.txt] [--work /tmp/tp-mutants] \
                       [--rules auto|issue10|current] [--only 3,7]

The core is built with the parser rules of --rules (auto: the tree's
decoder's, as hw/rtl/meson.build); the unmutated core must pass first.
Prints one line per mutant (caught or SURVIVED) and exits 1 if any survived.

Equivalent mutants, left out because no frame can tell them apart from the
core (the check is implied by another the core makes anyway):
  * IPv4 total length < IHL: with it, `lim` ends before the options do, and
    S_L4's reach check drops the packet as the model does;
  * Teredo: UDP length shorter than the authentication header or the origin
    indication: then off + 40 + payload length > UDP payload length, and the
    length equality of the IPv6 header fails, the same fallback.
The mutants are written for the rules of the tree's decoder (issue10).
There a UDP length below 8 and a TCP data offset below 5 keep the packet
with its ports, so their mutants drop the ports: with the length check
gone instead, the datagram fails the Teredo checks and becomes the same
UDP flow (an equivalent mutant). Equivalent under these rules, and left
out: the !TRAILERS length equality of the Teredo IPv6 header, and where
S_TCP1 reads the data offset (with L4_CUT_DROPS and L4_BAD_DROPS 0 every
outcome of S_TCP1 is the same flow with its ports). A mutant that
Verilator's lint refuses counts as a failure of the check, not as caught.
With --rules current the unmutated core does not match the tree's model,
and the check stops there.
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
    ("tp_parser.v", "        S_L4: begin\n          if (!reach) begin", "        S_L4: begin\n          if (1'b0) begin",
     "IPv4 options or an extension header beyond the packet"),
    ("tp_parser.v", "lim_n = x + {1'b0, c2, c3};", "lim_n = LIM_NONE;", "Ethernet padding taken as IPv4 payload"),
    ("tp_parser.v", "lim_n = end6 < lim ? end6 : lim;", "lim_n = lim;", "IPv6 payload length does not bound the packet"),
    ("tp_parser.v", "l2_next = ntags == 2'd2 ? S_BAD : S_VLAN;", "l2_next = ntags == 2'd3 ? S_BAD : S_VLAN;",
     "a third VLAN tag accepted"),
    ("tp_parser.v", "if (mpls_n == 4'd8 || !av4)", "if (!av4)", "MPLS stack depth unlimited"),
    ("tp_parser.v", "// Ports kept, no tunnel looked for.\n                has_ports_n = 1'b1;",
     "// Ports kept, no tunnel looked for.\n                has_ports_n = 1'b0;", "UDP length below 8: the ports lost"),
    ("tp_parser.v", "// tcp_bad_offset\n            if (BAD_DROPS) drp = 1'b1;\n            else begin\n              has_ports_n = 1'b1;",
     "// tcp_bad_offset\n            if (BAD_DROPS) drp = 1'b1;\n            else begin\n              has_ports_n = 1'b0;",
     "TCP data offset below 5: the ports lost"),
    ("tp_parser.v", "elen = {1'b0, ({1'b0, c1} + 9'd2), 2'b00};", "elen = {1'b0, ({1'b0, c1} + 9'd1), 2'b00};",
     "AH length in the wrong units"),
    ("tp_parser.v", "if (!reach || ext_n == 4'd8 || !av8)", "if (!reach || ext_n == 4'd9 || !av8)",
     "nine extension headers walked"),
    ("tp_parser.v", "proto_n = !reach ? ext_prev : nh;", "proto_n = nh;",
     "an extension header longer than the packet: the protocol of the wrong header"),
    ("tp_parser.v", "proto_n = c0;  // a later fragment", "proto_n = nh;  // a later fragment",
     "later IPv6 fragment: protocol from the wrong header"),
    ("tp_parser.v", "$signed({2'b0, c4, c5}) > $signed(p41rem)", "1'b0", "protocol-41 length check missing"),
    ("tp_parser.v", "TRAILERS && $signed({2'b0, c4, c5}) > $signed(rem40)", "TRAILERS && 1'b0",
     "Teredo IPv6 packet longer than the UDP payload accepted"),
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
    ("tp_parser.v", "kind_nh == 2'd3 && (ATOMIC_IS_FRAG ||", "kind_nh == 2'd3 && (!ATOMIC_IS_FRAG ||",
     "atomic fragments taken as fragments (the model parses them whole)"),
    ("tp_parser.v", "(teredo_nh_set[nh] && (ts_t || td_t || ts_ll || td_ll))",
     "((teredo_nh_set[nh] || 1'b1) && (ts_t || td_t || ts_ll || td_ll))",
     "Teredo by content without the next-header check"),
    ("tp_parser.v", "(ts_t || td_t || ts_ll || td_ll)) :", "(ts_t || td_t || (ts_ll && td_ll))) :",
     "Teredo by content: a link-local end taken only when both are"),
    ("tp_parser.v", "(c0 == 8'd5 && c1 == 8'd2)", "(c0 == 8'd5 && c1 == 8'd4)",
     "RFC 6081 random port trailer of the wrong length"),
    ("tp_parser.v", "$signed(tleft) < $signed({9'd0, tlen}) || !tknown)",
     "$signed(tleft) < $signed({9'd0, tlen}) || !(tknown || 1'b1))",
     "unknown RFC 6081 trailers accepted"),
    ("tp_parser.v", "if (!reach) tfail = 1'b1;  // the last one was not all captured",
     "if (1'b0) tfail = 1'b1;  // the last one was not all captured", "a trailer cut by the capture accepted"),
    ("tp_parser.v", "                fin = 1'b1;\n                if (av4) begin\n                  has_ports_n = 1'b1;",
     "                fin = 1'b1;\n                if (1'b1) begin\n                  has_ports_n = 1'b1;",
     "a UDP header cut before its ports: ports kept anyway"),
    ("tp_params.vh", "| `TP_BIT(51) | `TP_BIT(60))", "| `TP_BIT(51))", "destination options not walked"),
    ("tp_parser.v", "      default:  need = 4'd8;", "      default:  need = 4'd4;", "states fire before their 8 bytes are in"),
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
    ap.add_argument("--jobs", default="1")
    ap.add_argument("--only", help="comma-separated mutant numbers")
    ap.add_argument("--rules", choices=("auto", "issue10", "current"), default="auto",
                    help="the parser's rule set (auto: the one the tree's decoder follows)")
    args = ap.parse_args()
    verilator = shutil.which("verilator")
    if verilator is None:
        print("mutants.py: verilator is not installed (scripts/setup.sh installs it): skipped")
        return 77  # meson's "skipped" (rtl-mutants)
    sys.path.insert(0, HERE)
    import build_verilator  # noqa: E402 (tb/, next to this file)
    rules = build_verilator.rules_of_tree(RTL) if args.rules == "auto" else args.rules
    defines = ["--define", "TB_ISSUE10"] if rules == "issue10" else []
    print(f"parser rules: {rules}")

    def build(d):
        exe = os.path.join(d, "Vtp_dispatch")
        b = subprocess.run([sys.executable, os.path.join(d, "tb", "build_verilator.py"), verilator,
                            os.path.join(d, "obj"), exe, d, "16", args.jobs, rules], capture_output=True, text=True)
        return exe if b.returncode == 0 else None

    # The unmutated core first: it must pass, or every mutant would be
    # "caught" by a bench that fails anyway.
    d = os.path.join(args.work, "original")
    if os.path.exists(d):
        shutil.rmtree(d)
    shutil.copytree(RTL, d, ignore=shutil.ignore_patterns("__pycache__"))
    exe = build(d)
    r = subprocess.run([exe, args.golden], capture_output=True, text=True) if exe else None
    if r is None or r.returncode != 0:
        print("the unmutated core does not pass the Verilator bench: no mutant can be judged")
        if r is not None:
            print("\n".join(r.stdout.splitlines()[-5:]))
        return 2
    print("the unmutated core passes", flush=True)
    shutil.rmtree(d, ignore_errors=True)

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
        exe = build(d)
        if exe is None:
            # Verilator's lint (-Wall) refusing a mutant says nothing of the
            # benches: write the mutant so that it builds.
            print(f"m{n:02d} {what}: DOES NOT BUILD (fix the mutant in mutants.py; see {d}/obj)", flush=True)
            survived += 1
            continue
        r = subprocess.run([exe, args.golden], capture_output=True, text=True)
        caught = r.returncode != 0
        how = "; ".join(l for l in r.stdout.splitlines() if l.startswith("pass "))
        if not caught and args.golden_small:
            for tb in ("tb_window.v", "tb_parser.v"):
                u = subprocess.run([sys.executable, os.path.join(d, "tb", "run_sim.py"), "--rtl", d, "--tb", tb,
                                    "--golden", args.golden_small, "--work", os.path.join(d, "sim-" + tb)] + defines,
                                   capture_output=True, text=True)
                if u.returncode != 0:
                    caught = True
                    how = f"by {tb}: " + "; ".join(l for l in u.stdout.splitlines() if "mismatches" in l or "RESULT" in l)
                    break
        print(f"m{n:02d} {what}: {'caught' if caught else 'SURVIVED'} ({how})", flush=True)
        if caught:
            shutil.rmtree(d, ignore_errors=True)  # a survivor's copy stays, to look at
        survived += 0 if caught else 1
    ran = len(MUTANTS) if only is None else len(only)
    print(f"{ran - survived} of {ran} mutants caught")
    return 1 if survived else 0


if __name__ == "__main__":
    sys.exit(main())
