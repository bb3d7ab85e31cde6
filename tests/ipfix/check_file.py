#!/usr/bin/python3
"""IPFIX files (-o ipfix:PATH, default profile) against the JSON output of
the same run, read back by libfixbuf (ipfix_read) and by ipfixDump with the
shipped element file; the observation domain id, another PEN, rotation.

    check_file.py TUNPROBE IPFIX_READ GEN_SCRIPT WORKDIR

  * round trip: the file read back with libfixbuf equals the JSON output
    record for record (same order, every field, enumerations by name);
  * ipfixDump -e templates/generated/tunprobe-ipfixdump.xml names every
    enterprise element (no _alienInformationElement) and each value equals
    the JSON output's;
  * --odid 7 is the records' observation domain;
  * --pen 54321: the elements move to that PEN (the generator's --pen
    element file names them);
  * --rotate 1 on a replayed capture writes several files, each a complete
    IPFIX file (templates first), holding together every record delivered;
  * SIGHUP after the file was moved away opens a new one (templates first):
    the two hold every record.
"""
import json
import os
import re
import subprocess
import sys
import time

from ipfix_common import (ELEMENT_FILE, ENTERPRISE, ENUMS, ROOT, Fail, Probe, check, compare_record, generate_traffic,
                          ipfix_read, json_lines, long_flows_pcap, main_wrapper, norm_ip, run, wait_for)


def parse_ipfixdump(text):
    """ipfixDump's data records: a list of {name: value-text}."""
    records, cur = [], None
    for line in text.splitlines():
        if line.startswith("--- data record"):
            cur = {}
            records.append(cur)
        elif line.startswith("---"):
            cur = None
        elif cur is not None:
            m = re.match(r"\s*\((\d+(?:/\d+)?)\)\s*(\S+)\s*:\s*(.*)$", line)
            if m:
                cur[m.group(2)] = (m.group(1), m.group(3).strip())
    return records


def test():
    tunprobe, reader, gen, work = sys.argv[1:5]
    truth = generate_traffic(gen, work)
    pcap = os.path.join(work, "mix.pcap")
    js, fx, st = (os.path.join(work, n) for n in ("flows.json", "flows.ipfix", "stats.json"))
    r = run([tunprobe, "run", "-i", "pcap:" + pcap, "-o", "json:" + js, "-o", "ipfix:" + fx, "--odid", "7",
             "--stats-json", st])
    check(r.returncode == 0, f"tunprobe: {r.stderr.strip()}")
    jrecs = json_lines(js)
    irecs = ipfix_read(reader, [fx])
    check(len(jrecs) == truth["summary"]["flows"], f"{len(jrecs)} JSON records, truth {truth['summary']['flows']} flows")
    check(len(irecs) == len(jrecs), f"IPFIX file has {len(irecs)} records, JSON {len(jrecs)}")
    for n, (i, j) in enumerate(zip(irecs, jrecs)):
        errors = compare_record(i, j)
        check(not errors, f"record {n}: " + "; ".join(errors))
        check(i["_domain"] == 7, f"record {n}: observation domain {i['_domain']}, want 7 (--odid)")
    templates = sorted({i["_template"] for i in irecs})
    check(templates == [256, 257, 258, 259, 264], f"templates used: {templates}")
    print(f"round trip: {len(irecs)} records read back by libfixbuf equal the JSON output, "
          f"templates {templates}, domain 7")

    # ipfixDump with the element file.
    r = run(["ipfixDump", "-e", ELEMENT_FILE, "--in", fx])
    check(r.returncode == 0, f"ipfixDump: {r.stderr.strip()}")
    check("_alienInformationElement" not in r.stdout, "ipfixDump shows alien elements despite the element file")
    drecs = parse_ipfixdump(r.stdout)
    check(len(drecs) == len(jrecs), f"ipfixDump shows {len(drecs)} records, JSON {len(jrecs)}")
    seen = set()
    for n, (d, j) in enumerate(zip(drecs, jrecs)):
        for name, (ident, text) in d.items():
            if name not in ENTERPRISE:
                continue
            check(ident == f"32473/{ident.split('/')[-1]}", f"record {n}: {name} under {ident}")
            seen.add(name)
            want = j.get(name)
            if name in ENUMS:
                got = ENUMS[name][int(text)]
            elif name.endswith("Address"):
                got = norm_ip(text)
                want = norm_ip(want) if want else "0.0.0.0"
            else:
                got = int(text)
            if want is None:
                want = got if got in (0, "0.0.0.0", "none") else None
            check(got == want, f"record {n}: ipfixDump {name} = {got!r}, JSON {want!r}")
    check(seen == ENTERPRISE, f"enterprise elements never shown by ipfixDump: {sorted(ENTERPRISE - seen)}")
    print(f"ipfixDump: all {len(ENTERPRISE)} enterprise elements named, values equal the JSON output")

    # Mirrored traffic (--mirror auto): the mirror type and the session as
    # mirrorType and observationPointId (IANA 138), equal to the JSON's.
    mp, mjs, mfx = (os.path.join(work, n) for n in ("mirrors.pcap", "mirrors.json", "mirrors.ipfix"))
    r = run([tunprobe, "run", "-i", "pcap:" + mp, "--mirror", "auto", "-o", "json:" + mjs, "-o", "ipfix:" + mfx])
    check(r.returncode == 0, f"tunprobe --mirror auto: {r.stderr.strip()}")
    mj, mi = json_lines(mjs), ipfix_read(reader, [mfx])
    with open(os.path.join(work, "mirrors.truth.json")) as f:
        mflows = json.load(f)["summary"]["flows"]
    check(len(mj) == mflows and len(mi) == len(mj), f"mirrors: {len(mi)} IPFIX records, {len(mj)} JSON, truth {mflows} flows")
    for n, (i, j) in enumerate(zip(mi, mj)):
        errors = compare_record(i, j)
        check(not errors, f"mirrors record {n}: " + "; ".join(errors))
    r = run(["ipfixDump", "-e", ELEMENT_FILE, "--in", mfx])
    check(r.returncode == 0, f"ipfixDump: {r.stderr.strip()}")
    got = [(ENUMS["mirrorType"][int(d["mirrorType"][1])], int(d["observationPointId"][1]))
           for d in parse_ipfixdump(r.stdout)]
    want = [(j.get("mirrorType", "none"), j.get("observationPointId", 0)) for j in mj]
    check(got == want, f"ipfixDump mirrorType/observationPointId {got}, JSON {want}")
    kinds = sorted({m for m, _ in got})
    check(kinds == ["erspan1", "erspan2", "erspan3", "none", "teb", "vxlan"], f"mirror types exported: {kinds}")
    print(f"mirrors: {len(mi)} records read back equal the JSON output; ipfixDump's mirrorType and "
          f"observationPointId equal it too ({', '.join(kinds)})")

    # IP in IPv6 (carriers.pcap): the ipv6-in-ipv6 and ipv4-in-ipv6
    # templates, the outer IPv6 pair equal to the JSON's, read back by
    # libfixbuf and by ipfixDump.
    cp, cjs, cfx = (os.path.join(work, n) for n in ("carriers.pcap", "carriers.json", "carriers.ipfix"))
    with open(os.path.join(work, "carriers.truth.json")) as f:
        ctruth = json.load(f)
    r = run([tunprobe, "run", "-i", "pcap:" + cp, *ctruth["decodeArgs"], "-o", "json:" + cjs, "-o", "ipfix:" + cfx])
    check(r.returncode == 0, f"tunprobe carriers: {r.stderr.strip()}")
    cj, ci = json_lines(cjs), ipfix_read(reader, [cfx])
    check(len(cj) == ctruth["summary"]["flows"] and len(ci) == len(cj),
          f"carriers: {len(ci)} IPFIX records, {len(cj)} JSON, truth {ctruth['summary']['flows']} flows")
    for n, (i, j) in enumerate(zip(ci, cj)):
        errors = compare_record(i, j)
        check(not errors, f"carriers record {n}: " + "; ".join(errors))
    by_template = {}
    for i, j in zip(ci, cj):
        by_template.setdefault(i["_template"], set()).add(j["tunnelType"])
    check(by_template.get(264) == {"ipv6-in-ipv6"} and by_template.get(265) == {"ipv4-in-ipv6"},
          f"carriers: tunnel types by template {by_template}")
    r = run(["ipfixDump", "-e", ELEMENT_FILE, "--in", cfx])
    check(r.returncode == 0, f"ipfixDump: {r.stderr.strip()}")
    got = [(norm_ip(d["tunnelSourceIPv6Address"][1]), norm_ip(d["tunnelDestinationIPv6Address"][1]))
           for d in parse_ipfixdump(r.stdout) if "tunnelSourceIPv6Address" in d]
    want = [(norm_ip(j["tunnelSourceIPv6Address"]), norm_ip(j["tunnelDestinationIPv6Address"]))
            for j in cj if "tunnelSourceIPv6Address" in j]
    check(got == want and len(want) >= 2, f"ipfixDump outer IPv6 pairs {got}, JSON {want}")
    print(f"carriers: {len(ci)} records read back equal the JSON output; {len(want)} IP-in-IPv6 records in "
          f"templates 264 and 265 with their outer IPv6 pair, ipfixDump agrees")

    # Another PEN: the element file for it names the elements.
    fx2 = os.path.join(work, "pen.ipfix")
    r = run([tunprobe, "run", "-i", "pcap:" + pcap, "-o", "ipfix:" + fx2, "--pen", "54321"])
    check(r.returncode == 0, f"tunprobe --pen: {r.stderr.strip()}")
    pen_dir = os.path.join(work, "pen54321")
    subprocess.run(["/usr/bin/python3", os.path.join(ROOT, "templates", "generate.py"), "--pen", "54321", "--out",
                    pen_dir], check=True)
    r = run(["ipfixDump", "-e", os.path.join(pen_dir, "tunprobe-ipfixdump.xml"), "--in", fx2])
    check(r.returncode == 0 and "_alienInformationElement" not in r.stdout and "(54321/1)" in r.stdout,
          "--pen 54321: ipfixDump with the generated element file does not name the elements")
    recs = ipfix_read(reader, [fx2], pen=54321)
    check(len(recs) == len(jrecs) and "tunnelType" in recs[-1], "--pen 54321: records not named")
    print("--pen 54321: elements under the new PEN, named by the element file generated for it")

    # Rotation on a replayed capture (a live input): several complete files.
    long = os.path.join(work, "long.pcap")
    long_flows_pcap(long)
    rot = os.path.join(work, "rot")
    os.makedirs(rot, exist_ok=True)
    for f in os.listdir(rot):
        os.remove(os.path.join(rot, f))
    st2 = os.path.join(work, "rot.stats.json")
    p = Probe([tunprobe, "run", "-i", f"vdev:net_pcap0,rx_pcap={long},infinite_rx=1", "--active-timeout", "1",
               "-o", "ipfix:" + os.path.join(rot, "tp-%Y%m%d-%H%M%S.ipfix"), "--rotate", "1", "--stats-json", st2],
              os.path.join(work, "rot.log"))
    try:
        wait_for(lambda: len(os.listdir(rot)) >= 3 or p.p.poll() is not None, 30, "three rotated files")
    finally:
        rc = p.stop()
    check(rc == 0, f"rotating run exited {rc}: {open(os.path.join(work, 'rot.log')).read()[-2000:]}")
    stats = json.load(open(st2))
    out = stats["outputs"][0]
    files = sorted(os.listdir(rot))
    check(len(files) >= 3 and out["files"] == len(files), f"rotation: {files}, summary says {out['files']} files")
    total = 0
    for f in files:
        path = os.path.join(rot, f)
        with open(path, "rb") as fh:
            head = fh.read(20)
        check(len(head) >= 20 and head[16:18] == b"\x00\x02", f"{f}: does not start with a template set")
        total += len(ipfix_read(reader, [path]))
    check(total == out["delivered"] == out["written"] and total > 0,
          f"rotation: {total} records in the files, summary {out}")
    print(f"--rotate 1: {len(files)} files, each starting with its templates, {total} records = delivered")

    # SIGHUP after the file was moved away (log rotation): a new file, and
    # the two hold every record.
    hup = os.path.join(work, "hup.ipfix")
    moved = os.path.join(work, "hup.1.ipfix")
    for f in (hup, moved):
        if os.path.exists(f):
            os.remove(f)
    st3 = os.path.join(work, "hup.stats.json")
    p = Probe([tunprobe, "run", "-i", f"vdev:net_pcap0,rx_pcap={long},infinite_rx=1", "--active-timeout", "1",
               "-o", "ipfix:" + hup, "--stats-json", st3], os.path.join(work, "hup.log"))
    try:
        wait_for(lambda: (os.path.exists(hup) and len(ipfix_read(reader, [hup])) > 0) or p.p.poll() is not None, 30,
                 "records in the file")
        os.rename(hup, moved)
        p.p.send_signal(__import__("signal").SIGHUP)
        wait_for(lambda: (os.path.exists(hup) and len(ipfix_read(reader, [hup])) > 0) or p.p.poll() is not None, 30,
                 "records in the reopened file")
    finally:
        rc = p.stop()
    check(rc == 0, f"SIGHUP run exited {rc}: {open(os.path.join(work, 'hup.log')).read()[-2000:]}")
    out = json.load(open(st3))["outputs"][0]
    a, b = len(ipfix_read(reader, [moved])), len(ipfix_read(reader, [hup]))
    check(a > 0 and b > 0 and a + b == out["delivered"] == out["written"], f"SIGHUP: {a} + {b} records, {out}")
    print(f"SIGHUP: the moved file holds {a} records, the reopened one {b}: {a + b} = delivered")


if __name__ == "__main__":
    sys.exit(main_wrapper(test))
