#!/usr/bin/python3
"""Golden test: the false-positive rate of Teredo detection by content.

    check_random_udp.py TUNPROBE GEN_SCRIPT WORKDIR [N]

Writes N (default 200000) random and adversarial UDP datagrams with
`GEN_SCRIPT --random-udp N` (none of them is Teredo: see
write_random_udp() in the generator: random payloads on every port, 3544
included, and IPv6-looking payloads with consistent lengths, random next
headers and random addresses on the other ports), decodes them with the
default options (Teredo by content, IPv6 in UDP of other kinds not looked
for) and counts the packets that tunprobe takes for a tunnel. Every one of
them is a false positive: the test fails unless the count is 0, and unless
every datagram is read and kept as a flow (no drop verdict).

Then it decodes them again with --ipv6-udp-detect content: the adversarial
IPv6 headers that fit their datagram exactly, with a known next header, no
multicast source and no Teredo end, are IPv6 in UDP by definition (tunnel
type ipv6-udp); the generator lists them (PATH.truth.json, its rule
is_ipv6_in_udp()), and tunprobe must report exactly those as ipv6-udp and
no other tunnel. Prints the counts and the verdicts of both runs.
"""

import collections
import json
import os
import subprocess
import sys


def main(argv):
    if len(argv) not in (4, 5):
        print(__doc__, file=sys.stderr)
        return 2
    tunprobe, gen, workdir = argv[1:4]
    n = int(argv[4]) if len(argv) == 5 else 200000
    os.makedirs(workdir, exist_ok=True)
    pcap = os.path.join(workdir, "random-udp.pcap")
    g = subprocess.run([sys.executable, gen, "--random-udp", str(n), pcap], capture_output=True, text=True)
    if g.returncode != 0:
        print(g.stderr)
        return 1
    print(g.stderr.strip())
    with open(pcap + ".truth.json") as f:
        want_ipv6_udp = set(json.load(f)["ipv6UdpIndices"])
    failures = []
    for args, expected in (([], set()), (["--ipv6-udp-detect", "content"], want_ipv6_udp)):
        what = " ".join(args) or "the default options"
        proc = subprocess.Popen([tunprobe, "decode", pcap, "--quiet", *args], stdout=subprocess.PIPE, text=True)
        packets, tunnels, verdicts, shown, found = 0, collections.Counter(), collections.Counter(), 0, set()
        for line in proc.stdout:
            packets += 1
            # Cheaper than parsing 200,000 JSON lines: the keys are fixed.
            verdict = line.split('"verdict":"', 1)[1].split('"', 1)[0]
            verdicts[verdict] += 1
            if '"tunnelType":"none"' not in line:
                tunnel = line.split('"tunnelType":"', 1)[1].split('"', 1)[0] if '"tunnelType":"' in line else "(drop)"
                if tunnel == "ipv6-udp" and json.loads(line)["index"] in expected:
                    found.add(json.loads(line)["index"])
                    continue
                tunnels[tunnel] += 1
                if shown < 10:
                    shown += 1
                    print(f"false positive ({what}):", line.strip())
        rc = proc.wait()
        if rc != 0:
            failures.append(f"{what}: tunprobe decode exited {rc}")
        if packets != n:
            failures.append(f"{what}: {packets} packets decoded, {n} written")
        if sum(tunnels.values()) != 0:
            failures.append(f"{what}: {sum(tunnels.values())} false positives: {dict(tunnels)}")
        missed = sorted(expected - found)
        if missed:
            failures.append(f"{what}: {len(missed)} datagrams that are IPv6 in UDP not taken for ipv6-udp, e.g. "
                            f"indices {missed[:10]}")
        print(f"{packets} random UDP datagrams decoded with {what}: {sum(tunnels.values())} taken for a tunnel "
              f"wrongly" + (f", {len(found)} of {len(expected)} IPv6 in UDP found" if args else "")
              + f"; verdicts {dict(sorted(verdicts.items()))}")
    for f in failures:
        print("FAIL:", f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
