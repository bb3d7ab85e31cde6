#!/usr/bin/python3
"""Golden test: the false-positive rate of Teredo detection by content.

    check_random_udp.py TUNPROBE GEN_SCRIPT WORKDIR [N]

Writes N (default 200000) random and adversarial UDP datagrams with
`GEN_SCRIPT --random-udp N` (none of them is Teredo: see
write_random_udp() in the generator: random payloads on every port, 3544
included, and IPv6-looking payloads with consistent lengths, random next
headers and random addresses on the other ports), decodes them with the
default options (Teredo by content) and counts the packets that tunprobe
takes for a tunnel. Every one of them is a false positive: the test fails
unless the count is 0, and unless every datagram is read and kept as a flow
(no drop verdict). Prints the count and the verdicts.
"""

import collections
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
    proc = subprocess.Popen([tunprobe, "decode", pcap, "--quiet"], stdout=subprocess.PIPE, text=True)
    packets, tunnels, verdicts, shown = 0, collections.Counter(), collections.Counter(), 0
    for line in proc.stdout:
        packets += 1
        # Cheaper than parsing 200,000 JSON lines: the keys are fixed.
        verdict = line.split('"verdict":"', 1)[1].split('"', 1)[0]
        verdicts[verdict] += 1
        if '"tunnelType":"none"' not in line:
            tunnel = line.split('"tunnelType":"', 1)[1].split('"', 1)[0] if '"tunnelType":"' in line else "(drop)"
            tunnels[tunnel] += 1
            if shown < 10:
                shown += 1
                print("false positive:", line.strip())
    rc = proc.wait()
    failures = []
    if rc != 0:
        failures.append(f"tunprobe decode exited {rc}")
    if packets != n:
        failures.append(f"{packets} packets decoded, {n} written")
    if sum(tunnels.values()) != 0:
        failures.append(f"{sum(tunnels.values())} false positives: {dict(tunnels)}")
    print(f"{packets} random UDP datagrams decoded by content: {sum(tunnels.values())} taken for a tunnel; "
          f"verdicts {dict(sorted(verdicts.items()))}")
    for f in failures:
        print("FAIL:", f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
