#!/usr/bin/python3
"""End-to-end check of `tunprobe run` on generated captures.

    check_run.py TUNPROBE TUNPROBE_SPLIT GEN_SCRIPT WORKDIR [--quick]

For every Ethernet capture the generator writes, for 1, 2 and 4 workers and
both dispatch modes (crc: one file, the RX lcore hashes the inner flow; rss:
the capture pre-split by tunprobe-split's NIC model into one net_pcap queue
per worker), runs the probe with JSON output and --stats-json, and checks:

  * every packet read: stats.packets == packets in the capture;
  * conservation: sum of packetDeltaCount over exported flows + dropped
    packets == packets read, and dropped == the generator's kDrop count;
  * verdict counts equal the ground truth's, and so do the frames unwrapped
    per mirror type (mirroredPackets; the mirrors captures, --mirror);
  * the flows: record by record, the generator's flows (keys with the GRE
    key, mirror type and observation point id, the outer IPv6 pair of the
    tunnels carried in IPv6; start and end
    times, packet and octet counts, TCP flags, end reasons: flows cut by the
    active and idle timeouts, TCP FIN/RST with the grace period, across 60
    days and the 2^32 ms point, after a first packet stamped 0); with a
    tiny cache (evictions) the sums per key; per tunnel type;
  * no flow split across workers, and (rss, crc) both directions of a flow
    on the same worker;
  * each worker's flow cache: 16 x (the file's bytes / 36 + 1) records for
    these small captures (the most flows their size allows), never an
    eviction; --cache-size 16 as given.
Four workers run on two cores through EAL's --lcores mapping. Exit 1 on
any mismatch; prints one line per run.
"""
import json
import os
import subprocess
import sys
from collections import defaultdict

ICMP = (1, 58)


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


def key_of_truth(k):
    """Normalise a ground-truth flow key to a tuple comparable with ours."""
    v6 = "sourceIPv6Address" in k
    src = k.get("sourceIPv6Address" if v6 else "sourceIPv4Address")
    dst = k.get("destinationIPv6Address" if v6 else "destinationIPv4Address")
    return (k.get("tunnelType", "none"), k.get("tunnelSourceIPv4Address"), k.get("tunnelDestinationIPv4Address"),
            k.get("tunnelSourceTransportPort", 0), k.get("tunnelDestinationTransportPort", 0),
            k.get("vlanId", 0), k.get("dot1qCustomerVlanId", 0), src, dst, k["protocolIdentifier"],
            k.get("sourceTransportPort", 0), k.get("destinationTransportPort", 0),
            bool(k.get("transportHeaderMissing")), k.get("greKey"), k.get("mirrorType", "none"),
            k.get("observationPointId", 0), k.get("tunnelSourceIPv6Address"), k.get("tunnelDestinationIPv6Address"))


def key_of_record(r):
    v6 = r["ipVersion"] == 6
    src = r["sourceIPv6Address" if v6 else "sourceIPv4Address"]
    dst = r["destinationIPv6Address" if v6 else "destinationIPv4Address"]
    proto = r["protocolIdentifier"]
    if r.get("transportHeaderMissing"):
        sport, dport = 0, 0
    elif proto in ICMP:
        t = r["icmpTypeIPv6" if v6 else "icmpTypeIPv4"]
        c = r["icmpCodeIPv6" if v6 else "icmpCodeIPv4"]
        sport, dport = 0, t * 256 + c
    else:
        sport, dport = r.get("sourceTransportPort", 0), r.get("destinationTransportPort", 0)
    return (r["tunnelType"], r.get("tunnelSourceIPv4Address"), r.get("tunnelDestinationIPv4Address"),
            r.get("tunnelSourceTransportPort", 0), r.get("tunnelDestinationTransportPort", 0),
            r.get("vlanId", 0), r.get("dot1qCustomerVlanId", 0), src, dst, proto, sport, dport,
            bool(r.get("transportHeaderMissing")), r.get("greKey"), r.get("mirrorType", "none"),
            r.get("observationPointId", 0), r.get("tunnelSourceIPv6Address"), r.get("tunnelDestinationIPv6Address"))


def reverse(k):
    t, os_, od, osp, odp, v1, v2, s, d, p, sp, dp, nt, gk, m, op, os6, od6 = k
    return (t, od, os_, odp, osp, v1, v2, d, s, p, dp, sp, nt, gk, m, op, od6, os6)


def record_tuple(k, f):
    return (k, f["flowStartMilliseconds"], f["flowEndMilliseconds"], f["packetDeltaCount"], f["octetDeltaCount"])


def check_records(truth, records):
    """Record by record: the generator's flows (cut by the timeouts, TCP
    ends and the grace period) with their times, counts and end reasons."""
    errors = []
    want = defaultdict(list)
    for f in truth["flows"]:
        want[record_tuple(key_of_truth(f["key"]), f)].append(f)
    for r in records:
        t = record_tuple(key_of_record(r), r)
        if not want.get(t):
            errors.append(f"record {t} {r['flowEndReason']}: not among the generator's flows")
            continue
        f = want[t].pop()
        if r["flowEndReason"] != f["flowEndReason"]:
            errors.append(f"record {t}: flowEndReason {r['flowEndReason']}, truth {f['flowEndReason']}"
                          f"{' (open at the end)' if f.get('openAtEnd') else ''}")
        if r.get("tcpControlBits", 0) != f.get("tcpControlBits", 0) and f["key"]["protocolIdentifier"] == 6:
            errors.append(f"record {t}: tcpControlBits {r.get('tcpControlBits')}, truth {f.get('tcpControlBits')}")
    for t, left in want.items():
        for f in left:
            errors.append(f"flow {t} (packets {f['packetIndices'][:8]}): no such record")
    return errors


def check_one(name, truth, records, stats, workers, dispatch, exact=True):
    errors = []
    total = truth["summary"]["packets"]
    drops = truth["summary"]["dropPackets"]
    if stats["packets"] != total:
        errors.append(f"read {stats['packets']} packets, capture has {total}")
    in_flows = sum(r["packetDeltaCount"] for r in records)
    if in_flows + stats["droppedPackets"] != stats["packets"]:
        errors.append(f"conservation: {in_flows} in flows + {stats['droppedPackets']} dropped != {stats['packets']} read")
    if stats["droppedPackets"] != drops:
        errors.append(f"dropped {stats['droppedPackets']}, truth {drops}")
    for verdict, n in truth["summary"]["packetsPerVerdict"].items():
        if stats["verdicts"].get(verdict) != n:
            errors.append(f"verdict {verdict}: {stats['verdicts'].get(verdict)} != {n}")
    # Frames unwrapped per mirror type (every type listed, 0 when none).
    want_mirrored = truth["summary"].get("packetsPerMirror", {})
    for m, n in stats["mirroredPackets"].items():
        if n != want_mirrored.get(m, 0):
            errors.append(f"mirroredPackets {m}: {n}, truth {want_mirrored.get(m, 0)}")

    got = defaultdict(lambda: [0, 0, set()])
    for r in records:
        g = got[key_of_record(r)]
        g[0] += r["packetDeltaCount"]
        g[1] += r["octetDeltaCount"]
        g[2].add(r["worker"])
    want = {}
    for f in truth["flows"]:
        w = want.setdefault(key_of_truth(f["key"]), [0, 0, []])
        w[0] += f["packetDeltaCount"]
        w[1] += f["octetDeltaCount"]
        w[2] += f.get("packetIndices", [])
    for k, (p, o, idx) in want.items():
        if k not in got:
            errors.append(f"missing flow {k} (packets {idx})")
        elif got[k][0] != p or got[k][1] != o:
            errors.append(f"flow {k}: packets/octets {got[k][0]}/{got[k][1]}, truth {p}/{o} (packets {idx})")
    for k in got:
        if k not in want:
            errors.append(f"unexpected flow {k}: {got[k][0]} packets")
    if exact:
        errors += check_records(truth, records)
    per_type = defaultdict(int)
    for r in records:
        per_type[r["tunnelType"]] += 1
    for t, n in truth["summary"]["flowsPerTunnelType"].items() if exact else ():
        if per_type.get(t, 0) != n:
            errors.append(f"{t} flows: {per_type.get(t, 0)}, truth {n}")
    for k, g in got.items():
        if len(g[2]) > 1:
            errors.append(f"flow {k} split over workers {sorted(g[2])}")
        rk = reverse(k)
        if rk in got and got[rk][2] != g[2]:
            errors.append(f"flow {k} on worker {sorted(g[2])}, its reverse on {sorted(got[rk][2])}")
    return errors


def report(tag, errors, ok_line):
    """Prints one run's result; returns 1 for a failed run."""
    if not errors:
        print(f"ok   {tag}: {ok_line}")
        return 0
    print(f"FAIL {tag}: {len(errors)} problems")
    for e in errors[:20]:
        print("   ", e)
    return 1


def main():
    tunprobe, split, gen, work = sys.argv[1:5]
    quick = "--quick" in sys.argv
    os.makedirs(work, exist_ok=True)
    subprocess.run(["/usr/bin/python3", gen, "--out", work], check=True, stdout=subprocess.DEVNULL)
    failures = 0
    runs = 0
    for name in ("mix", "relay", "sixrd", "ports", "snap96", "snap50", "carriers", "mirrors", "mirrors-off", "mirrors-some",
                 "tcpend", "longrun", "clock0"):
        truth = json.load(open(os.path.join(work, name + ".truth.json")))
        pcap = os.path.join(work, name + ".pcap")
        args = truth.get("decodeArgs", [])
        for workers in ((1, 4) if quick else (1, 2, 4)):
            for dispatch in ("crc", "rss"):
                if workers == 1 and dispatch == "rss":
                    continue  # one queue, no dispatch: the same as crc with one worker minus the RX lcore
                tag = f"{name} w{workers} {dispatch}"
                out = os.path.join(work, f"{name}.w{workers}.{dispatch}.json")
                st = os.path.join(work, f"{name}.w{workers}.{dispatch}.stats.json")
                if dispatch == "rss":
                    prefix = os.path.join(work, f"{name}.rss{workers}")
                    r = run([split, "--dispatch", "rss", "-n", str(workers), pcap, prefix] + args)
                    if r.returncode != 0:
                        print(f"FAIL {tag}: tunprobe-split: {r.stderr.strip()}")
                        failures += 1
                        continue
                    spec = "vdev:net_pcap_rss," + ",".join(f"rx_pcap={prefix}.{q}.pcap" for q in range(workers))
                    inp = ["-i", spec, "--dispatch", "rss"]
                else:
                    inp = ["-i", "pcap:" + pcap, "--dispatch", "crc"]
                cmd = [tunprobe, "run"] + inp + ["-w", str(workers), "-o", "json:" + out, "--stats-json", st] + args
                r = run(cmd, timeout=120)
                runs += 1
                if r.returncode != 0:
                    print(f"FAIL {tag}: exit {r.returncode}: {r.stderr.strip()}")
                    failures += 1
                    continue
                records = [json.loads(line) for line in open(out)]
                stats = json.load(open(st))
                errors = check_one(name, truth, records, stats, workers, dispatch)
                if dispatch == "crc":
                    # A small file's cache: 16 x (its bytes / 36 + 1) per worker, no eviction.
                    want_cache = 16 * (os.path.getsize(pcap) // 36 + 1)
                    if stats["flowCacheRecordsPerWorker"] != want_cache or stats["cacheEvictions"] != 0:
                        errors.append(f"flow cache {stats['flowCacheRecordsPerWorker']} records per worker, "
                                      f"{stats['cacheEvictions']} evictions; want {want_cache}, 0")
                balance = "/".join(str(w["packets"]) for w in stats["workers"])
                failures += report(tag, errors, f"{stats['packets']} packets, {len(records)} records, "
                                   f"{truth['summary']['flows']} flows, {stats['droppedPackets']} dropped, "
                                   f"per worker {balance}")
    # A tiny cache: records are evicted (lackOfResources), exported, and
    # still add up to the same flows.
    truth = json.load(open(os.path.join(work, "mix.truth.json")))
    for workers in (1, 2):
        tag = f"mix w{workers} crc cache-size 16"
        out = os.path.join(work, f"mix.tiny{workers}.json")
        st = os.path.join(work, f"mix.tiny{workers}.stats.json")
        r = run([tunprobe, "run", "-i", "pcap:" + os.path.join(work, "mix.pcap"), "--dispatch", "crc", "-w",
                 str(workers), "--cache-size", "16", "-o", "json:" + out, "--stats-json", st], timeout=120)
        runs += 1
        if r.returncode != 0:
            print(f"FAIL {tag}: exit {r.returncode}: {r.stderr.strip()}")
            failures += 1
            continue
        records = [json.loads(line) for line in open(out)]
        stats = json.load(open(st))
        errors = check_one("mix", truth, records, stats, workers, "crc", exact=False)
        if stats["flowCacheRecordsPerWorker"] != 16 // workers:
            errors.append(f"--cache-size 16: {stats['flowCacheRecordsPerWorker']} records per worker")
        evicted = sum(1 for r in records if r["flowEndReason"] == "lackOfResources")
        if stats["cacheEvictions"] == 0 or evicted != stats["cacheEvictions"]:
            errors.append(f"evictions: stats {stats['cacheEvictions']}, records {evicted}")
        failures += report(tag, errors, f"{len(records)} records for {truth['summary']['flows']} flows, "
                                        f"{stats['cacheEvictions']} evictions exported")
    print(f"{runs} runs, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
