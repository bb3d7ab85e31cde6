#!/usr/bin/python3
"""The DPDK port path of `tunprobe run`: fair polling, mbuf pools, idle
sweeps on live ports.

    check_ports.py TUNPROBE GEN_SCRIPT WORKDIR

  * round-robin: two endless ports (net_null) polled by one worker (rss) or
    by the crc dispatcher: both deliver, within 10 % of each other (polling
    that always starts at the first queue never reads the second);
  * --dispatch auto with one worker on a port of two queues: crc, every
    packet read;
  * pools: 16 workers on 16 queues of 1024 descriptors (the paper's 16
    channels; net_null): the run starts, and the summary's pool is
    rx descriptors 16 x 1024 + lcore caches 17 x 384 + bursts 16 x 32, each
    part and the sum exact, with its memory and EAL's -m;
  * a pool that holds what the rings hold: 8 crc workers fed from a 100,000
    packet capture (net_pcap, which counts rx_nombuf), slowed down by a
    64-record cache (every packet evicts, the exporter writes a record per
    packet) so that the rings fill: rx_nombuf == 0 and every packet read
    (the fixed 16,383-mbuf pool ran dry under 8 x 4095 ring slots);
  * idle sweeps on a live port (net_pcap on the loopback interface; root
    only): UDP datagrams sent once, then nothing: with --inactive-timeout 1
    the flow is exported as idleTimeout while the probe still runs, for
    rss and crc (the crc workers never swept when idle).
Exit 1 on any failure.
"""
import json
import os
import signal
import socket
import subprocess
import sys
import time

failures = 0


def check(ok, what):
    global failures
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures += 1


def run_for(tunprobe, args, seconds, work, tag):
    """Runs an endless input for `seconds`, then SIGTERM; (stats, stderr)."""
    st = os.path.join(work, tag + ".stats.json")
    if os.path.exists(st):
        os.remove(st)
    p = subprocess.Popen([tunprobe, "run"] + args + ["-o", "json:/dev/null", "--stats-json", st],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    time.sleep(seconds)
    p.send_signal(signal.SIGTERM)
    try:
        _, err = p.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        p.kill()
        _, err = p.communicate()
    if p.returncode != 0 or not os.path.exists(st):
        return None, err
    return json.load(open(st)), err


def main():
    tunprobe, gen, work = sys.argv[1:4]
    os.makedirs(work, exist_ok=True)

    # Round-robin over ports.
    for dispatch in ("rss", "crc"):
        stats, err = run_for(tunprobe, ["-i", "vdev:net_null0", "-i", "vdev:net_null1", "-w", "1", "--dispatch",
                                        dispatch], 2, work, "rr-" + dispatch)
        if stats is None:
            check(False, f"two ports, {dispatch}: {err.strip()[-300:]}")
            continue
        a, b = (p["ipackets"] for p in stats["ports"])
        check(a > 0 and b > 0 and min(a, b) >= 0.9 * max(a, b),
              f"two endless ports, one poller ({dispatch}): {a} and {b} packets")
        check(stats["packets"] == stats["droppedPackets"] and stats["packets"] > 0,
              f"two endless ports ({dispatch}): {stats['packets']} read, all counted (non_ip)")

    # --dispatch auto with one worker on a port of two queues (two rx_pcap=
    # files): crc (one dispatcher reads both), not rss's "needs 1 queue".
    subprocess.run(["/usr/bin/python3", gen, "--out", work], check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    caps = [os.path.join(work, n + ".pcap") for n in ("mix", "relay")]
    want = 0
    for n in ("mix", "relay"):
        with open(os.path.join(work, n + ".truth.json")) as f:
            want += json.load(f)["summary"]["packets"]
    st = os.path.join(work, "auto2q.stats.json")
    r = subprocess.run([tunprobe, "run", "-i", "vdev:net_pcap0," + ",".join("rx_pcap=" + c for c in caps), "-w", "1",
                        "-o", "json:/dev/null", "--stats-json", st], capture_output=True, text=True, timeout=60)
    stats = json.load(open(st)) if r.returncode == 0 else {}
    check(r.returncode == 0 and stats.get("dispatch") == "crc" and stats.get("packets") == want,
          f"-w 1 --dispatch auto on two queues: exit {r.returncode}, dispatch {stats.get('dispatch')}, "
          f"{stats.get('packets')} of {want} packets {r.stderr.strip()[-200:] if r.returncode else ''}")

    # 16 queues x 1024 descriptors.
    stats, err = run_for(tunprobe, ["-i", "vdev:net_null0", "-w", "16", "--dispatch", "rss"], 3, work, "q16")
    if stats is None:
        check(False, f"16 queues: {err.strip()[-300:]}")
    else:
        pools = stats.get("mbufPools", [])
        ok = len(pools) == 1
        if ok:
            p = pools[0]
            want = {"rxDescriptors": 16 * 1024, "ringSlots": 0, "cacheSlots": 17 * 384, "burstSlots": 16 * 32}
            ok = all(p[k] == v for k, v in want.items()) and p["mbufs"] == sum(want.values())
            ok = ok and p["bytes"] >= p["mbufs"] * 2304 and stats["ealMemoryMB"] * 2 ** 20 > p["bytes"]
        check(ok and stats["ports"][0]["queues"] == 16 and stats["ports"][0]["rxNoMbuf"] == 0 and
              len(stats["workers"]) == 16 and all(w["packets"] > 0 for w in stats["workers"]),
              f"-w 16 --dispatch rss on 16 queues of 1024: pool {pools}, EAL {stats.get('ealMemoryMB')} MB, "
              f"queues {stats['ports'][0]['queues']}")
        check("mbuf pool socket 0: 23424 mbufs" in err and "rx descriptors 16384 + ring slots 0 + lcore caches 6528 "
              "+ bursts 512" in err, "the pool on stderr")

    # crc rings never hold more than the pool.
    subprocess.run(["/usr/bin/python3", gen, "--out", work, "--flood", "100000"], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    flood = os.path.join(work, "flood.pcap")
    st = os.path.join(work, "crc8.stats.json")
    r = subprocess.run([tunprobe, "run", "-i", f"vdev:net_pcap_flood,rx_pcap={flood}", "-w", "8", "--dispatch", "crc",
                        "--cache-size", "64", "-o", "json:/dev/null", "--stats-json", st], capture_output=True, text=True, timeout=300)
    if r.returncode != 0:
        check(False, f"crc -w 8: exit {r.returncode}: {r.stderr.strip()[-300:]}")
    else:
        stats = json.load(open(st))
        port = stats["ports"][0]
        p = (stats.get("mbufPools") or [{}])[0]
        check(port["rxNoMbuf"] == 0 and stats["packets"] == 100000 and port["ipackets"] == 100000 and
              stats["flowPackets"] == 100000 and
              p.get("ringSlots") == 8 * 2047 and p.get("mbufs") == 1024 + 8 * 2047 + 10 * 384 + 9 * 32,
              f"crc -w 8, 100000 packets: rx_nombuf {port['rxNoMbuf']}, read {stats['packets']}, "
              f"ring waits {stats['dispatcherRingWaits']}, pool {p.get('mbufs')}")

    # Idle sweeps on a live port.
    if os.geteuid() != 0:
        print("skip idle sweeps on a live port: needs root (a capture on lo)")
    else:
        for workers, dispatch in ((1, "rss"), (2, "crc")):
            tag = f"live-{dispatch}"
            out, err_path = os.path.join(work, tag + ".json"), os.path.join(work, tag + ".err")
            for f in (out, err_path):
                if os.path.exists(f):
                    os.remove(f)
            with open(err_path, "w") as ef:
                p = subprocess.Popen([tunprobe, "run", "-i", "vdev:net_pcap_lo,rx_iface=lo", "-w", str(workers),
                                      "--dispatch", dispatch, "--inactive-timeout", "1", "-o", "json:" + out],
                                     stdout=subprocess.DEVNULL, stderr=ef)
            deadline = time.time() + 20
            while time.time() < deadline and "tunprobe: dispatch" not in open(err_path).read():
                time.sleep(0.1)
            time.sleep(0.5)
            rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            rx.bind(("127.0.0.1", 0))
            port = rx.getsockname()[1]
            tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            for _ in range(3):
                tx.sendto(b"tunprobe idle sweep test", ("127.0.0.1", port))
            ours = []
            deadline = time.time() + 10
            while time.time() < deadline and not ours:
                time.sleep(0.2)
                if os.path.exists(out):
                    ours = [json.loads(line) for line in open(out)
                            if f'"destinationTransportPort":{port},' in line]
            p.send_signal(signal.SIGTERM)
            p.wait(timeout=30)
            check(len(ours) == 1 and ours[0]["flowEndReason"] == "idleTimeout" and ours[0]["packetDeltaCount"] == 3,
                  f"live port, {dispatch} -w {workers}: the quiet flow ended by idleTimeout while running: "
                  f"{[(x['flowEndReason'], x['packetDeltaCount']) for x in ours]}")
            rx.close()
            tx.close()
    print(f"{failures} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
