#!/usr/bin/python3
"""Hostile and broken input, bad options, signals: `tunprobe run` and
`tunprobe decode` must give a clear error or a counted verdict, never crash,
and never lose a packet silently.

    check_hostile.py TUNPROBE GEN_SCRIPT WORKDIR

Cases:
  * a capture truncated mid-record: the packets before the damage are read,
    every one is in a flow or a counted verdict, and the flows are exactly the
    ground truth's flows of those packets;
  * every record cut to a 64-byte snaplen: no crash, conservation holds,
    and only the ground truth's drops are dropped (a cut transport header
    keeps its packet in a flow);
  * zero-length and 9000-byte (jumbo) frames;
  * a bogus link type, an empty file, a non-pcap file: one error line, exit 2;
  * bad options: one line naming the option, exit 2; start-up errors: the
    exact line (and nothing else on stderr or stdout), also where DPDK
    has something to say;
  * a gzip-compressed capture, standard input and a FIFO: one line saying
    what to do, exit 2;
  * a directory of rotated captures with a cut, an empty, a header-only,
    a gzip-compressed file and a text file: one line on stderr for each,
    counted, the rest
    read;
  * a full disk: an output that delivers nothing (exit 3, a headline that
    does not say "exported"), a --stats-json file that cannot be written
    (its reason, exit 1);
  * SIGTERM on a live (endless) input: exits 0 in bounded time with every
    flow flushed and the summary printed; SIGHUP reopens the JSON output.
Exit 1 on any failure.
"""
import gzip
import json
import os
import signal
import struct
import subprocess
import sys
import time

failures = 0


def check(ok, what):
    global failures
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures += 1


def read_pcap(path):
    with open(path, "rb") as f:
        data = f.read()
    header, off, recs = data[:24], 24, []
    while off + 16 <= len(data):
        sec, frac, incl, orig = struct.unpack("<IIII", data[off:off + 16])
        recs.append((sec, frac, data[off + 16:off + 16 + incl], orig))
        off += 16 + incl
    return header, recs


def write_pcap(path, header, recs, linktype=None):
    if linktype is not None:
        header = header[:20] + struct.pack("<I", linktype)
    with open(path, "wb") as f:
        f.write(header)
        for sec, frac, data, orig in recs:
            f.write(struct.pack("<IIII", sec, frac, len(data), orig) + data)


def run(args, **kw):
    return subprocess.run(args, capture_output=True, text=True, timeout=kw.pop("timeout", 60), **kw)


def conservation(tunprobe, pcap, work, tag, extra=()):
    out, st = os.path.join(work, tag + ".json"), os.path.join(work, tag + ".stats.json")
    r = run([tunprobe, "run", "-i", "pcap:" + pcap, "-o", "json:" + out, "--stats-json", st, *extra])
    if r.returncode != 0:
        return None, f"exit {r.returncode}: {r.stderr.strip()[-300:]}"
    records = [json.loads(line) for line in open(out)]
    stats = json.load(open(st))
    in_flows = sum(x["packetDeltaCount"] for x in records)
    if in_flows + stats["droppedPackets"] != stats["packets"]:
        return None, f"{in_flows} in flows + {stats['droppedPackets']} dropped != {stats['packets']} read"
    return (records, stats, r.stderr), ""


def main():
    tunprobe, gen, work = sys.argv[1:4]
    os.makedirs(work, exist_ok=True)
    subprocess.run(["/usr/bin/python3", gen, "--out", work], check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    mix = os.path.join(work, "mix.pcap")
    truth = json.load(open(os.path.join(work, "mix.truth.json")))
    header, recs = read_pcap(mix)

    # Truncated mid-record: keep 100 whole records and half of the next.
    keep = 100
    with open(mix, "rb") as f:
        data = f.read()
    off = 24
    for sec, frac, d, orig in recs[:keep]:
        off += 16 + len(d)
    cut = os.path.join(work, "truncated.pcap")
    with open(cut, "wb") as f:
        f.write(data[:off + 16 + len(recs[keep][2]) // 2])
    res, err = conservation(tunprobe, cut, work, "truncated")
    check(res is not None, f"truncated capture: conservation {err}")
    if res:
        records, stats, stderr = res
        check(stats["packets"] == keep, f"truncated capture: {stats['packets']} packets read, {keep} whole records")
        check("truncated dump file" in stderr, "truncated capture: a warning names the damage")
        want = {}
        for fl in truth["flows"]:
            idx = [i for i in fl["packetIndices"] if i < keep]
            if idx:
                want[json.dumps(fl["key"], sort_keys=True)] = len(idx)
        got_packets = sum(x["packetDeltaCount"] for x in records)
        check(got_packets == sum(want.values()),
              f"truncated capture: {got_packets} packets in flows, truth {sum(want.values())} ({len(want)} flows)")

    # Snaplen 64.
    snap = os.path.join(work, "snaplen64.pcap")
    write_pcap(snap, header[:16] + struct.pack("<I", 64) + header[20:],
               [(s, f, d[:64], o) for s, f, d, o in recs])
    res, err = conservation(tunprobe, snap, work, "snaplen64")
    check(res is not None and res[1]["packets"] == len(recs), f"snaplen 64: all {len(recs)} packets accounted {err}")
    if res:
        # A cut transport header or inner header keeps its packet in a flow:
        # beyond the ground truth's drops, only packets whose IP header
        # itself does not fit in 64 bytes (IPv4 with 40 bytes of options)
        # are dropped.
        drops = truth["summary"]["dropPackets"]
        ip_cut = ("ipv4_truncated", "ipv6_truncated")
        extra_ip = sum(res[1]["verdicts"][v] - truth["summary"]["packetsPerVerdict"].get(v, 0) for v in ip_cut)
        check(res[1]["droppedPackets"] - drops == extra_ip,
              f"snaplen 64: {res[1]['droppedPackets']} dropped = the truth's {drops} + {extra_ip} IP headers cut "
              f"(cut transport headers are flows)")
        check(res[1]["verdicts"]["l4_truncated"] > truth["summary"]["packetsPerVerdict"].get("l4_truncated", 0),
              f"snaplen 64: {res[1]['verdicts']['l4_truncated']} packets counted as l4_truncated")

    # Zero-length and jumbo frames.
    jumbo_payload = 9000 - 20 - 8
    eth = bytes.fromhex("020000000001020000000002") + b"\x08\x00"
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 9000, 1, 0, 64, 17, 0, bytes([192, 0, 2, 1]), bytes([192, 0, 2, 2]))
    udp = struct.pack("!HHHH", 1000, 2000, 8 + jumbo_payload, 0)
    jumbo = eth + ip + udp + bytes(jumbo_payload)
    odd = [(1767225600, 0, b"", 0), (1767225600, 1, jumbo, len(jumbo)), (1767225600, 2, b"", 60)]
    oddf = os.path.join(work, "odd.pcap")
    write_pcap(oddf, header[:16] + struct.pack("<I", 65535) + header[20:], odd)
    res, err = conservation(tunprobe, oddf, work, "odd")
    check(res is not None, f"zero-length and jumbo frames {err}")
    if res:
        records, stats, _ = res
        check(stats["packets"] == 3 and stats["verdicts"]["frame_truncated"] == 2,
              f"zero-length frames counted as frame_truncated: {stats['verdicts']['frame_truncated']}")
        check(len(records) == 1 and records[0]["octetDeltaCount"] == 9000,
              "jumbo frame: one flow of 9000 octets")

    # Files that are not Ethernet captures, or not captures at all.
    bogus = os.path.join(work, "bogus-link.pcap")
    write_pcap(bogus, header, recs[:3], linktype=147)
    empty = os.path.join(work, "empty.pcap")
    open(empty, "wb").close()
    text = os.path.join(work, "text.pcap")
    with open(text, "w") as f:
        f.write("not a capture\n")
    for path, words in ((bogus, "link type 147"), (empty, "truncated dump file"), (text, "unknown file format"),
                        (os.path.join(work, "missing.pcap"), "No such file")):
        r = run([tunprobe, "run", "-i", "pcap:" + path])
        lines = r.stderr.strip().splitlines()
        check(r.returncode == 2 and len(lines) == 1 and words in lines[0],
              f"run on {os.path.basename(path)}: exit {r.returncode}, {lines}")
    r = run([tunprobe, "decode", bogus])
    check(r.returncode == 2 and "link type 147" in r.stderr, f"decode on a bogus link type: {r.stderr.strip()}")

    # A full disk on one output: its records are counted as failed, the other
    # output gets every flow; the headline does not say "exported" and the
    # run exits 3 (an output delivered none of its records).
    good, st = os.path.join(work, "good.json"), os.path.join(work, "full.stats.json")
    r = run([tunprobe, "run", "-i", "pcap:" + mix, "-o", "json:/dev/full", "-o", "json:" + good, "--stats-json", st])
    n = truth["summary"]["flows"]
    headline = [line for line in r.stderr.splitlines() if line.startswith("tunprobe: done in ")]
    if r.returncode == 3 and os.path.exists(st):
        outs = {o["output"]: o for o in json.load(open(st))["outputs"]}
        full, ok = outs.get("json:/dev/full", {}), outs.get("json:" + good, {})
        check(full.get("failed") == n and full.get("delivered") == 0 and ok.get("delivered") == n and
              sum(1 for _ in open(good)) == n and "No space left" in r.stderr,
              f"disk full on one output: failed {full.get('failed')}, other output {ok.get('delivered')} of {n}")
        check(len(headline) == 1 and headline[0].endswith(f"; {n} flows, none of them delivered by json:/dev/full"),
              f"disk full on one output: headline {headline}")
    else:
        check(False, f"disk full on one output: exit {r.returncode} (want 3): {r.stderr.strip()[-200:]}")
    # Every output delivered: "exported", exit 0. The --stats-json file on a
    # full disk: one line with the reason, exit 1.
    r = run([tunprobe, "run", "-i", "pcap:" + mix, "-o", "json:" + good, "--stats-json", "/dev/full"])
    headline = [line for line in r.stderr.splitlines() if line.startswith("tunprobe: done in ")]
    check(r.returncode == 1 and "tunprobe: --stats-json /dev/full: cannot write it: No space left on device" in
          r.stderr.splitlines() and len(headline) == 1 and headline[0].endswith(f"; {n} flows exported"),
          f"--stats-json on a full disk: exit {r.returncode}, {r.stderr.strip()[-300:]}")
    r = run([tunprobe, "run", "-i", "pcap:" + mix, "-o", "json:/nonexistent-dir/x.json"])
    check(r.returncode == 2 and "cannot write" in r.stderr, f"unwritable output path: exit {r.returncode}")

    # Bad options: one line, naming the option, exit 2.
    bad = [
        (["run", "-i", "pcap:" + mix, "-w", "0"], "--workers"),
        (["run", "-i", "pcap:" + mix, "-w", "65"], "--workers"),
        (["run", "-i", "pcap:" + mix, "-w", "3", "--dispatch", "crc"], "-w 3"),
        (["run", "-i", "pcap:" + mix, "--dispatch", "fast"], "--dispatch"),
        (["run", "-i", "pcap:" + mix, "--cache-size", "4"], "--cache-size"),
        (["run", "-i", "pcap:" + mix, "-w", "2", "--cache-size", "12"], "--cache-size"),
        (["run", "-i", "pcap:" + mix, "--tcp-end-grace", "-1"], "--tcp-end-grace"),
        (["run", "-i", "pcap:" + mix, "--tcp-end-grace", "90000"], "--tcp-end-grace"),
        (["run", "-i", "pcap:" + mix, "--inactive-timeout", "0"], "--inactive-timeout"),
        (["run", "-i", "pcap:" + mix, "--active-timeout", "100000"], "--active-timeout"),
        (["run", "-i", "pcap:" + mix, "--teredo-ports", "3544,70000"], "--teredo-ports"),
        (["run", "-i", "pcap:" + mix, "--6rd-prefix", "2001:db8::/200"], "--6rd-prefix"),
        (["run", "-i", "pcap:" + mix, "--6rd-prefix", "2001:db8::/48@10.0.0.0/8"], "at most 64 bits"),
        (["run", "-i", "pcap:" + mix, "--6rd-prefix", "2001:db8::/24@10.1.0.0/8"], "--6rd-prefix"),
        (["run", "-i", "pcap:" + mix, "--teredo-detect", "heuristic"], "--teredo-detect"),
        (["decode", mix, "--teredo-heuristic", "--teredo-detect", "ports"], "--teredo-heuristic"),
        (["run", "-i", "pcap:" + mix, "-o", "xml:out"], "-o"),
        (["run", "-i", "nic0"], "-i"),
        (["run", "-i", "pcap:" + mix, "--frobnicate"], "frobnicate"),
        (["run"], "input"),
        (["decode", mix, "--limit", "0"], "--limit"),
        (["decode", mix, mix], "tunprobe decode: takes 1 capture file; for more, run it once per file"),
        (["run", "-i", "pcap:" + mix, mix], "tunprobe run: takes no arguments besides its options; inputs are given "
                                            "as -i pcap:FILE"),
        (["decode", os.path.join(work, "missing.pcap")],
         f"tunprobe decode: {os.path.join(work, 'missing.pcap')}: cannot read capture: No such file or directory"),
        (["bogus"], "unknown command"),
        (["report", mix, "-o", "json:" + os.path.join(work, "r.json")], "the report is written to a directory, -o DIR"),
    ]
    for args, name in bad:
        r = run([tunprobe] + args)
        lines = r.stderr.strip().splitlines()
        check(r.returncode == 2 and len(lines) == 1 and name in lines[0],
              f"tunprobe {' '.join(args[:1] + args[-2:])}: exit {r.returncode}, {lines}")

    # Start-up errors: exactly one line, ending in a newline, nothing on
    # stdout (not DPDK's log lines, not EAL's usage, not a warning printed
    # before the error).
    missing = os.path.join(work, "missing.pcap")
    gz = os.path.join(work, "mix.pcap.gz")
    with open(mix, "rb") as f, gzip.open(gz, "wb") as g:
        g.write(f.read())
    fifo = os.path.join(work, "capture.fifo")
    if not os.path.exists(fifo):
        os.mkfifo(fifo)
    exact = [
        (["-i", "pcap:" + gz],
         f"tunprobe run: -i pcap:{gz}: {gz} is gzip-compressed; tunprobe reads pcap and pcapng files: decompress it "
         f"first (gunzip -k {gz})\n"),
        (["-i", "pcap:-"],
         "tunprobe run: -i pcap:-: standard input is not read: tunprobe opens a capture file twice (its first packet "
         "orders the time merge), which a pipe cannot be; give the file's path, or write the stream to a file first "
         "(e.g. tcpdump -w FILE)\n"),
        (["-i", "pcap:" + fifo],
         f"tunprobe run: -i pcap:{fifo}: {fifo} is not a regular file (a pipe?): tunprobe opens a capture file twice "
         "(its first packet orders the time merge), which a pipe cannot be; write the stream to a file first (e.g. "
         "tcpdump -w FILE)\n"),
        (["-i", "pcap:" + mix, "-w", "3", "--dispatch", "crc"],
         "tunprobe run: -w 3: channel count 3 is not allowed: the CRC distributor takes the low bits of the hash, so "
         "it needs a power of two from 1 to 64 (1, 2, 4, 8, 16, 32, 64)\n"),
        (["-i", f"vdev:net_pcap_x,rx_pcap={mix}", "-w", "3", "--dispatch", "rss"],
         f"tunprobe run: -i vdev:net_pcap_x,rx_pcap={mix}: --dispatch rss with -w 3 needs 3 capture queues (one "
         "rx_pcap= per worker, pre-split with tunprobe-split --dispatch rss); this input has 1. Use --dispatch crc, "
         "or -i pcap:FILE\n"),
        (["-i", "pcap:" + missing],
         f"tunprobe run: -i pcap:{missing}: cannot read the capture: No such file or directory\n"),
        (["-i", "pcap:" + mix, "-i", "vdev:net_null0"],
         f"tunprobe run: -i pcap:{mix}: capture files (pcap:) cannot be combined with ports (-i vdev:net_null0) in "
         "one run; run them separately\n"),
        (["-i", "pcap:" + os.path.join(work, "nothing-*.pcap")],
         f"tunprobe run: -i pcap:{work}/nothing-*.pcap: no file matches {work}/nothing-*.pcap\n"),
    ]
    for args, want in exact:
        r = run([tunprobe, "run"] + args + ["-o", "json:/dev/null"], timeout=20)
        check(r.returncode == 2 and r.stderr == want and r.stdout == "",
              f"exact error of run {' '.join(args[-2:])}: exit {r.returncode}, {r.stderr!r}")
    # Errors that quote DPDK: one line all the same.
    quoted = [
        (["-i", "vdev:net_bogus0"], "tunprobe run: DPDK initialisation failed: No such device (EAL: ",
         "Unable to parse device 'net_bogus0'"),
        (["-i", "pcap:" + mix, "--eal", "--bogus"], "tunprobe run: DPDK initialisation failed: Invalid argument (",
         "--bogus)"),
        (["-i", "af_packet:tp-no-such-if0"], "tunprobe run: -i af_packet:tp-no-such-if0: no DPDK port named "
         "'net_af_packet_tp0' (is the driver available?) (DPDK: ", "No such device"),
    ]
    for args, start, part in quoted:
        r = run([tunprobe, "run"] + args + ["-o", "json:/dev/null"], timeout=20)
        lines = r.stderr.split("\n")
        check(r.returncode == 2 and len(lines) == 2 and lines[1] == "" and lines[0].startswith(start) and
              part in lines[0] and r.stdout == "",
              f"one error line for run {' '.join(args)}: exit {r.returncode}, {r.stderr!r}, stdout {len(r.stdout)} chars")

    # A directory of rotated captures with problems: each is one line on
    # stderr and counted; the rest is read.
    rot = os.path.join(work, "rotated")
    os.makedirs(rot, exist_ok=True)
    for f in os.listdir(rot):
        os.remove(os.path.join(rot, f))
    write_pcap(os.path.join(rot, "span-3.pcap"), header, recs[100:])
    write_pcap(os.path.join(rot, "span-1.pcap"), header, recs[:50])
    with open(os.path.join(rot, "span-2.pcap"), "wb") as f:  # the file tcpdump was writing: last record cut
        mid = b"".join(struct.pack("<IIII", s_, f_, len(d), o) + d for s_, f_, d, o in recs[50:100])
        f.write(header + mid[:-10])
    open(os.path.join(rot, "span-4.pcap"), "wb").close()  # just rotated: 0 bytes
    write_pcap(os.path.join(rot, "span-5.pcap"), header, [])  # header only
    with open(os.path.join(rot, "notes.txt"), "w") as f:
        f.write("rotation log\n")
    with gzip.open(os.path.join(rot, "span-0.pcap.gz"), "wb") as f:  # an older file, compressed by logrotate
        f.write(header)
    res, err = conservation(tunprobe, rot, work, "rotated")
    check(res is not None, f"rotated directory: conservation {err}")
    if res:
        records, stats, stderr = res
        inp = stats["inputs"][0]
        lines = [x for x in stderr.splitlines() if "-i pcap:" in x]
        check(inp["files"] == 7 and inp["filesRead"] == 3 and inp["filesTruncated"] == 1 and
              inp["filesSkipped"] == 2 and inp["filesUnreadable"] == 1 and inp["filesEmpty"] == 1 and
              inp["packets"] == len(recs) - 1 == stats["packets"],
              f"rotated directory: {inp}")
        gzl = (f"tunprobe: note: -i pcap:{rot}: {rot}/span-0.pcap.gz is gzip-compressed; tunprobe reads pcap and "
               f"pcapng files: decompress it first (gunzip -k {rot}/span-0.pcap.gz), skipped")
        check(len(lines) == 5 and sum("notes.txt: not a capture file" in x and x.startswith("tunprobe: note:")
                                      for x in lines) == 1 and gzl in lines and
              sum("span-4.pcap: empty file (0 bytes), skipped" in x for x in lines) == 1 and
              sum("span-5.pcap: a capture without packets" in x for x in lines) == 1 and
              sum("span-2.pcap: truncated dump file" in x and "the 49 packets before it are read" in x
                  for x in lines) == 1,
              f"rotated directory: one line per damaged or skipped file: {lines}")
        check(f"  input pcap:{rot}: 7 file(s): 3 read (1 up to a damaged record), 2 not captures, 1 unreadable, "
              f"1 without packets; {len(recs) - 1} packets" in stderr, "rotated directory: the summary's input line")

    # Signals on an endless input (net_pcap replaying the capture from memory).
    out = os.path.join(work, "live.json")
    rotated = out + ".1"
    st = os.path.join(work, "live.stats.json")
    for stale in (out, rotated, st):  # from an earlier run in the same directory
        if os.path.exists(stale):
            os.remove(stale)
    p = subprocess.Popen([tunprobe, "run", "-i", f"vdev:net_pcap_live,rx_pcap={mix},infinite_rx=1", "-o",
                          "json:" + out, "--stats-json", st, "--active-timeout", "1", "--inactive-timeout", "1"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 20
    while time.time() < deadline and (not os.path.exists(out) or os.path.getsize(out) == 0):
        time.sleep(0.2)
    os.rename(out, rotated)
    p.send_signal(signal.SIGHUP)
    # Flows reach their 1 s active timeout (TSC packet time) and go to the new file.
    deadline = time.time() + 30
    while time.time() < deadline and (not os.path.exists(out) or os.path.getsize(out) == 0):
        time.sleep(0.2)
    t0 = time.time()
    p.send_signal(signal.SIGTERM)
    try:
        _, stderr = p.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        p.kill()
        _, stderr = p.communicate()
    took = time.time() - t0
    check(p.returncode == 0 and took < 15, f"SIGTERM: exit {p.returncode} after {took:.1f} s")
    check("interrupted" in stderr, "SIGTERM: the summary says interrupted")
    check(os.path.exists(out) and os.path.getsize(out) > 0 and os.path.getsize(rotated) > 0,
          "SIGHUP: the JSON output was reopened, both files have flows")
    if os.path.exists(st) and os.path.exists(out):
        stats = json.load(open(st))
        records = [json.loads(line) for f in (rotated, out) for line in open(f)]
        in_flows = sum(x["packetDeltaCount"] for x in records)
        check(stats["interrupted"] and in_flows + stats["droppedPackets"] == stats["packets"],
              f"SIGTERM: every flow flushed: {in_flows} in flows + {stats['droppedPackets']} dropped "
              f"== {stats['packets']} read")
    print(f"{failures} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
