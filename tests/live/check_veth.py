#!/usr/bin/python3
"""Live capture through the kernel: two network namespaces joined by a veth
pair; tcpreplay sends generated traffic into one end, `tunprobe run -i
af_packet:IF` listens on the other.

    check_veth.py TUNPROBE GEN_SCRIPT WORKDIR

  * at a low rate, the flows are exactly the generator's ground truth, and
    every packet sent is read;
  * at full speed (tcpreplay --topspeed), whatever the probe could not keep
    up with is counted: packets read + kernel drops (socket ring full,
    interface rx_dropped; reported in imissed) == packets sent, and the
    probe's own conservation holds.
Only addresses inside the two namespaces are used (the frames never leave
the veth pair). Needs root, iproute2 and tcpreplay: exits 77 (skipped)
without them.

The capture replayed is the generator's mix without IP fragments (DPDK
22.11's net_af_packet sets PACKET_FANOUT_FLAG_DEFRAG, so the kernel
reassembles fragments before the probe sees them) and without frames the
veth cannot carry (runts below 60 bytes, frames above 1514).
"""
import json
import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
from check_run import key_of_record, key_of_truth  # noqa: E402

failures = 0


def check(ok, what):
    global failures
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures += 1


def sh(*args, ns=None):
    cmd = (["ip", "netns", "exec", ns] if ns else []) + list(args)
    return subprocess.run(cmd, capture_output=True, text=True)


def ipv4_fragment(frame):
    """True for an IPv4 fragment (behind up to two VLAN tags)."""
    off = 12
    etype = struct.unpack("!H", frame[off:off + 2])[0] if len(frame) >= 14 else 0
    while etype in (0x8100, 0x88a8, 0x9100) and len(frame) >= off + 6:
        off += 4
        etype = struct.unpack("!H", frame[off:off + 2])[0]
    ip = off + 2
    if etype != 0x0800 or len(frame) < ip + 8:
        return False
    return (struct.unpack("!H", frame[ip + 6:ip + 8])[0] & 0x3fff) != 0


def filtered_capture(src, truth, dst):
    with open(src, "rb") as f:
        data = f.read()
    out, off, kept, i = [data[:24]], 24, [], 0
    while off + 16 <= len(data):
        incl = struct.unpack("<I", data[off + 8:off + 12])[0]
        rec = data[off:off + 16 + incl]
        t = truth["packets"][i]
        if 60 <= incl <= 1514 and "fragmentIdentification" not in t and not ipv4_fragment(rec[16:]):
            out.append(rec)
            kept.append(i)
        off += 16 + incl
        i += 1
    with open(dst, "wb") as f:
        f.write(b"".join(out))
    return kept


def expected_flows(truth, kept):
    keep = set(kept)
    want = {}
    for fl in truth["flows"]:
        idx = [i for i in fl["packetIndices"] if i in keep]
        if idx:
            want[key_of_truth(fl["key"])] = (len(idx), sum(truth["packets"][i]["ipTotalLength"] for i in idx))
    return want


def probe_run(tunprobe, ns, iface, work, tag, replay):
    out, st = os.path.join(work, tag + ".json"), os.path.join(work, tag + ".stats.json")
    p = subprocess.Popen(["ip", "netns", "exec", ns, tunprobe, "run", "-i", "af_packet:" + iface, "-o", "json:" + out,
                          "--stats-json", st], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(3)  # EAL start-up and the socket bound before the first frame
    sent = replay()
    time.sleep(1.5)
    p.send_signal(signal.SIGTERM)
    _, err = p.communicate(timeout=30)
    if p.returncode != 0:
        return None, sent, err
    records = [json.loads(line) for line in open(out)]
    return (records, json.load(open(st))), sent, err


def main():
    tunprobe, gen, work = sys.argv[1:4]
    if os.geteuid() != 0 or shutil.which("tcpreplay") is None or shutil.which("ip") is None:
        print("skipped: needs root, iproute2 and tcpreplay")
        return 77
    os.makedirs(work, exist_ok=True)
    subprocess.run(["/usr/bin/python3", gen, "--out", work], check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    truth = json.load(open(os.path.join(work, "mix.truth.json")))
    cap = os.path.join(work, "live.pcap")
    kept = filtered_capture(os.path.join(work, "mix.pcap"), truth, cap)
    n = len(kept)
    tag = f"tp{os.getpid() % 100000}"
    na, nb, ia, ib = tag + "a", tag + "b", tag + "a", tag + "b"
    try:
        for cmd in (["ip", "netns", "add", na], ["ip", "netns", "add", nb],
                    ["ip", "link", "add", ia, "type", "veth", "peer", "name", ib],
                    ["ip", "link", "set", ia, "netns", na], ["ip", "link", "set", ib, "netns", nb]):
            r = sh(*cmd)
            if r.returncode != 0:
                print(f"skipped: {' '.join(cmd)}: {r.stderr.strip()}")
                return 77
        for ns, ifc in ((na, ia), (nb, ib)):
            # No IPv6 on the link: the kernel would add its own ND/MLD frames.
            sh("sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", ns=ns)
            sh("sysctl", "-qw", "net.ipv6.conf.default.disable_ipv6=1", ns=ns)
            sh("ip", "link", "set", ifc, "up", ns=ns)

        def replay(*args):
            def go():
                r = sh("tcpreplay", "-i", ia, *args, cap, ns=na)
                m = re.search(r"Successful packets:\s+(\d+)", r.stdout)
                return int(m.group(1)) if m else -1
            return go

        # Low rate: exact.
        res, sent, err = probe_run(tunprobe, nb, ib, work, "slow", replay("--pps", "2000"))
        check(res is not None, f"low rate: probe ran ({err.strip()[-200:] if res is None else 'exit 0'})")
        if res:
            records, stats = res
            port = stats["ports"][0]
            check(sent == n and stats["packets"] == n and port["imissed"] == 0,
                  f"low rate: sent {sent}, read {stats['packets']}, missed {port['imissed']} (capture {n})")
            in_flows = sum(r["packetDeltaCount"] for r in records)
            check(in_flows + stats["droppedPackets"] == stats["packets"],
                  f"low rate: conservation {in_flows} + {stats['droppedPackets']} == {stats['packets']}")
            got = {}
            for r in records:
                k = key_of_record(r)
                g = got.setdefault(k, [0, 0])
                g[0] += r["packetDeltaCount"]
                g[1] += r["octetDeltaCount"]
            want = expected_flows(truth, kept)
            bad = [k for k in want if tuple(got.get(k, (0, 0))) != want[k]] + [k for k in got if k not in want]
            check(not bad, f"low rate: {len(got)} flows, truth {len(want)}, mismatches {bad[:3]}")
        # Full speed: drops counted, never hidden.
        for loops in ("50", "300"):
            res, sent, err = probe_run(tunprobe, nb, ib, work, "fast" + loops,
                                       replay("--topspeed", "--loop", loops))
            if res is None:
                check(False, f"topspeed x{loops}: probe failed: {err.strip()[-200:]}")
                continue
            records, stats = res
            port = stats["ports"][0]
            in_flows = sum(r["packetDeltaCount"] for r in records)
            check(stats["packets"] + port["imissed"] == sent and
                  in_flows + stats["droppedPackets"] == stats["packets"],
                  f"topspeed x{loops}: sent {sent} = read {stats['packets']} + kernel drops {port['imissed']} "
                  f"(interface rx_dropped, not in imissed: {port.get('kernelInterfaceDrops')}); "
                  f"{in_flows} in flows + {stats['droppedPackets']} dropped by verdict")
    finally:
        sh("ip", "netns", "del", na)
        sh("ip", "netns", "del", nb)
    print(f"{failures} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
