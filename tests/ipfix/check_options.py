#!/usr/bin/python3
"""Option validation of the IPFIX outputs: each bad value exits 2 with one
line that names the option and what is allowed, before DPDK starts.

    check_options.py TUNPROBE WORKDIR
"""
import os
import sys

from ipfix_common import Fail, check, main_wrapper, run, long_flows_pcap


def test():
    tunprobe, work = sys.argv[1:3]
    os.makedirs(work, exist_ok=True)
    pcap = os.path.join(work, "long.pcap")
    long_flows_pcap(pcap)
    base = [tunprobe, "run", "-i", "pcap:" + pcap]
    cases = [
        (["--pen", "65536"], "--pen", "low 16 bits"),
        (["--pen", "6871"], "--pen", "CERT"),
        (["--pen", str(29305 + 65536)], "--pen", "reverse"),
        (["--pen", "0"], "--pen", "1..4294967295"),
        (["--pen", "4294967296"], "--pen", "1..4294967295"),
        (["--odid", "4294967296"], "--odid", "0..4294967295"),
        (["--profile", "netflow"], "--profile", "default, nfdump, flowmon"),
        (["--template-refresh", "0"], "--template-refresh", "1..86400"),
        (["--export-buffer", "0"], "--export-buffer", "1..67108864"),
        (["--rotate", "700000"], "--rotate", "0..604800"),
        (["--export-mtu", "100"], "--export-mtu", "576..65535"),
        (["-o", "ipfix+udp://127.0.0.1"], "-o", "HOST:PORT"),
        (["-o", "ipfix+udp://127.0.0.1:0"], "-o", "1..65535"),
        (["-o", "ipfix+tcp://[::1:4739"], "-o", "[IPV6]:PORT"),
        (["-o", "ipfix+sctp://127.0.0.1:4739"], "-o", "ipfix+udp://HOST:PORT"),
        (["-o", "ipfix:x.ipfix?profile=yaf"], "-o", "default, nfdump, flowmon"),
        (["-o", "ipfix:" + os.path.join(work, "a.ipfix"), "--rotate", "60"], "--rotate", "strftime"),
        (["-o", "ipfix:" + os.path.join(work, "no", "such", "dir.ipfix")], "-o", "cannot write"),
    ]
    for args, option, allowed in cases:
        r = run(base + args, timeout=60)
        lines = [l for l in r.stderr.splitlines() if l.strip()]
        check(r.returncode == 2, f"{args}: exit {r.returncode}, want 2 ({r.stderr.strip()})")
        check(len(lines) == 1, f"{args}: want one line, got {lines}")
        check(option in lines[0] and allowed in lines[0], f"{args}: '{lines[0]}' should name {option} and '{allowed}'")
    # The PEN advice is also in --help.
    r = run([tunprobe, "run", "--help"])
    check("--pen" in r.stdout and "ipfix+tcp://" in r.stdout, "run --help lacks the IPFIX options")
    print(f"{len(cases)} bad option values refused with one line each")


if __name__ == "__main__":
    sys.exit(main_wrapper(test))
