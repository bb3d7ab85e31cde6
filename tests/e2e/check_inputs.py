#!/usr/bin/python3
"""Capture-file inputs of `tunprobe run`: the same packets given as one file,
as several inputs, as a directory of rotated files or as a glob must give
the same flows.

    check_inputs.py TUNPROBE TUNPROBE_SPLIT GEN_SCRIPT WORKDIR

For each generated Ethernet capture (mix, relay, sixrd, ports, tcpend;
longrun: 60 days of packet time; clock0: the first packet stamped 0) the packets
are written here (plain pcap record parsing) as:

  one     the capture itself:                       -i pcap:FILE
  two     packets alternately in two files:         -i pcap:A -i pcap:B
  dir     four time-rotated pieces in a directory whose names sort in the
          reverse of their time order, beside a file that is not a capture:
                                                    -i pcap:DIR
  glob    the pieces as span-N.pcap beside a decoy capture that the glob
          does not match:                           -i 'pcap:DIR/span-*.pcap'
  overlap the two interleaved halves in one directory (files that overlap
          in time, merged inside one input):        -i pcap:DIR

and run with 1, 2 and 4 workers, crc and rss (the reader's Toeplitz model).
Checks, every run: packets read == the capture's; per input, the files and
packets the summary reports; conservation; and the flows (key, packets,
octets, first and last time) equal the generator's ground truth. Every form
must give exactly the records of `one` (key, packets, octets, start, end,
end reason, worker). For rss, every flow is on the worker the port path
gives when the capture is pre-split by tunprobe-split (the NIC model) and
read through net_pcap queues. The raw-IP, BSD-loopback and Linux-cooked
captures run too (the port path only took Ethernet). Exit 1 on any failure.
"""
import json
import os
import shutil
import struct
import subprocess
import sys
from collections import defaultdict

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check_run import key_of_record, key_of_truth  # noqa: E402

failures = 0


def check(ok, what):
    global failures
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures += 1


def read_pcap(path):
    """(file header, [(record header, data)]) of a little-endian pcap."""
    with open(path, "rb") as f:
        data = f.read()
    assert data[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"), path
    recs, off = [], 24
    while off + 16 <= len(data):
        incl = struct.unpack("<I", data[off + 8:off + 12])[0]
        recs.append((data[off:off + 16], data[off + 16:off + 16 + incl]))
        off += 16 + incl
    return data[:24], recs


def write_pcap(path, header, recs):
    with open(path, "wb") as f:
        f.write(header)
        for hdr, data in recs:
            f.write(hdr + data)


def fresh_dir(path):
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)
    return path


def make_forms(name, pcap, work):
    """{form: (input arguments, expected [(files, packets)] per input)}."""
    header, recs = read_pcap(pcap)
    n = len(recs)
    base = os.path.join(work, name)
    forms = {"one": (["-i", "pcap:" + pcap], [(1, n)])}

    a, b = base + ".even.pcap", base + ".odd.pcap"
    write_pcap(a, header, recs[0::2])
    write_pcap(b, header, recs[1::2])
    forms["two"] = (["-i", "pcap:" + a, "-i", "pcap:" + b], [(1, len(recs[0::2])), (1, len(recs[1::2]))])

    cuts = [0, n // 4, n // 2, 3 * n // 4, n]
    pieces = [recs[cuts[k]:cuts[k + 1]] for k in range(4)]
    d = fresh_dir(base + ".rotated")
    for k, piece in enumerate(pieces):
        # Earliest piece last by name: z, y, x, w.
        write_pcap(os.path.join(d, f"{name}-{'zyxw'[k]}.pcap"), header, piece)
    with open(os.path.join(d, "index.txt"), "w") as f:
        f.write("not a capture\n")
    forms["dir"] = (["-i", "pcap:" + d], [(5, n)])

    g = fresh_dir(base + ".glob")
    for k, piece in enumerate(pieces):
        write_pcap(os.path.join(g, f"span-{k}.pcap"), header, piece)
    write_pcap(os.path.join(g, "decoy.pcap"), header, recs[:3])
    forms["glob"] = (["-i", "pcap:" + os.path.join(g, "span-*.pcap")], [(4, n)])

    o = fresh_dir(base + ".overlap")
    write_pcap(os.path.join(o, "b.pcap"), header, recs[0::2])
    write_pcap(os.path.join(o, "a.pcap"), header, recs[1::2])
    forms["overlap"] = (["-i", "pcap:" + o], [(2, n)])
    return forms


def run(cmd):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


def probe(tunprobe, inputs, extra, out, st):
    r = run([tunprobe, "run"] + inputs + extra + ["-o", "json:" + out, "--stats-json", st])
    if r.returncode != 0:
        return None, None, f"exit {r.returncode}: {r.stderr.strip()[-400:]}"
    return [json.loads(line) for line in open(out)], json.load(open(st)), ""


def record_rows(records):
    return sorted((key_of_record(r), r["packetDeltaCount"], r["octetDeltaCount"], r["flowStartMilliseconds"],
                   r["flowEndMilliseconds"], r["flowEndReason"], r["worker"]) for r in records)


def truth_errors(truth, records, stats):
    errors = []
    total = truth["summary"]["packets"]
    if stats["packets"] != total:
        errors.append(f"read {stats['packets']} packets, capture has {total}")
    in_flows = sum(r["packetDeltaCount"] for r in records)
    if in_flows + stats["droppedPackets"] != stats["packets"]:
        errors.append(f"conservation: {in_flows} in flows + {stats['droppedPackets']} dropped != {stats['packets']}")
    want = defaultdict(lambda: [0, 0, None, None])
    for f in truth["flows"]:
        w = want[key_of_truth(f["key"])]
        w[0] += f["packetDeltaCount"]
        w[1] += f["octetDeltaCount"]
        w[2] = f["flowStartMilliseconds"] if w[2] is None else min(w[2], f["flowStartMilliseconds"])
        w[3] = f["flowEndMilliseconds"] if w[3] is None else max(w[3], f["flowEndMilliseconds"])
    got = defaultdict(lambda: [0, 0, None, None])
    for r in records:
        g = got[key_of_record(r)]
        g[0] += r["packetDeltaCount"]
        g[1] += r["octetDeltaCount"]
        g[2] = r["flowStartMilliseconds"] if g[2] is None else min(g[2], r["flowStartMilliseconds"])
        g[3] = r["flowEndMilliseconds"] if g[3] is None else max(g[3], r["flowEndMilliseconds"])
    for k in set(want) | set(got):
        if want.get(k) != got.get(k):
            errors.append(f"flow {k}: packets, octets, start, end {got.get(k)}, truth {want.get(k)}")
    return errors


def input_errors(stats, expect):
    errors = []
    inputs = stats.get("inputs", [])
    if len(inputs) != len(expect):
        return [f"{len(inputs)} inputs in the summary, {len(expect)} given"]
    for i, (files, packets) in enumerate(expect):
        got = inputs[i]
        if got["files"] != files or got["packets"] != packets or got["packetsBackInTime"] != 0:
            errors.append(f"input {got['input']}: {got['files']} files, {got['packets']} packets, "
                          f"{got['packetsBackInTime']} back in time; want {files} files, {packets} packets")
    return errors


def main():
    tunprobe, split, gen, work = sys.argv[1:5]
    os.makedirs(work, exist_ok=True)
    subprocess.run(["/usr/bin/python3", gen, "--out", work], check=True, stdout=subprocess.DEVNULL)
    # Each dispatch mode at least once, 1 to 4 workers (e2e-run covers every pair).
    configs = [(1, "crc"), (2, "rss"), (4, "crc"), (4, "rss")]
    runs = 0
    for name in ("mix", "relay", "sixrd", "ports", "tcpend", "longrun", "clock0"):
        pcap = os.path.join(work, name + ".pcap")
        if not os.path.exists(pcap):
            continue
        truth = json.load(open(os.path.join(work, name + ".truth.json")))
        args = truth.get("decodeArgs", [])
        forms = make_forms(name, pcap, work)
        for workers, dispatch in configs:
            extra = ["-w", str(workers), "--dispatch", dispatch] + args
            reference = None
            for form, (inputs, expect) in forms.items():
                tag = f"{name} {form} w{workers} {dispatch}"
                base = os.path.join(work, f"{name}.{form}.w{workers}.{dispatch}")
                records, stats, err = probe(tunprobe, inputs, extra, base + ".json", base + ".stats.json")
                runs += 1
                if records is None:
                    check(False, f"{tag}: {err}")
                    continue
                errors = truth_errors(truth, records, stats) + input_errors(stats, expect)
                rows = record_rows(records)
                if form == "one":
                    reference = rows
                elif rows != reference:
                    diff = sorted(set(rows) ^ set(reference or []))
                    errors.append(f"records differ from one file's: {len(diff)} rows, e.g. {diff[:2]}")
                check(not errors, f"{tag}: {stats['packets']} packets, {len(records)} records"
                      + "".join(f"\n     {e}" for e in errors[:10]))
            if dispatch == "rss" and reference is not None:
                # The reader's RSS model against the NIC model's pre-split
                # queues read through the port path.
                prefix = os.path.join(work, f"{name}.split{workers}")
                r = run([split, "--dispatch", "rss", "-n", str(workers), pcap, prefix] + args)
                spec = "vdev:net_pcap_in," + ",".join(f"rx_pcap={prefix}.{q}.pcap" for q in range(workers))
                base = os.path.join(work, f"{name}.vdev.w{workers}")
                records, stats, err = probe(tunprobe, ["-i", spec], ["-w", str(workers), "--dispatch", "rss"] + args,
                                            base + ".json", base + ".stats.json")
                runs += 1
                if r.returncode != 0 or records is None:
                    check(False, f"{name} w{workers} rss port path: {r.stderr.strip()} {err}")
                    continue
                on_port = {key_of_record(x): x["worker"] for x in records}
                on_reader = {row[0]: row[6] for row in reference}
                check(on_port == on_reader, f"{name} w{workers} rss: every flow on the worker of the NIC model's queue "
                      f"({sum(on_port.get(k) == w for k, w in on_reader.items())} of {len(on_reader)})")

    # Link types the port path never took.
    for name in ("raw", "null", "sll"):
        pcap = os.path.join(work, name + ".pcap")
        truth = json.load(open(os.path.join(work, name + ".truth.json")))
        for workers in (1, 2):
            base = os.path.join(work, f"{name}.w{workers}")
            records, stats, err = probe(tunprobe, ["-i", "pcap:" + pcap], ["-w", str(workers)]
                                        + truth.get("decodeArgs", []), base + ".json", base + ".stats.json")
            runs += 1
            errors = [err] if records is None else truth_errors(truth, records, stats)
            check(not errors, f"{name} ({truth.get('linkType')}) w{workers}: flows equal the ground truth"
                  + "".join(f"\n     {e}" for e in errors[:10]))
    print(f"{runs} runs, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
