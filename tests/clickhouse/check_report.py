#!/usr/bin/python3
"""`tunprobe report clickhouse://...` against the report of the same flows' files.

    check_report.py TUNPROBE GEN_SCRIPT WORKDIR

Two real ClickHouse servers (tests/clickhouse/ch_servers.py) form cluster
tunprobe_test, each with `tunprobe clickhouse-schema --cluster
tunprobe_test` applied. Two probes run on generated captures
(scripts/gen_traffic.py), each with its --odid and writing to the
Distributed table and to its own IPFIX file at once:

  probe 1 (--odid 1)  mix.pcap (day 0) and relay.pcap shifted by one day;
  probe 2 (--odid 2)  sixrd.pcap shifted by one day and carriers.pcap by two,
                      with both captures' decoder arguments;

so that both shards and both odids hold rows, over three UTC days, with
every tunnel type the generator makes. Cases:

  equal     the report from the Distributed table (the server's SQL) and the
            report of both IPFIX files: every table of report.json, every
            CSV, the headline and the period equal; only the provenance
            (the inputs table, the "N flow records from" and "Generated"
            lines) may differ;
  odid      --odid 1 / --odid 2: equal to the report of that probe's IPFIX
            file alone (and to the files' report with the same --odid);
  period    --from/--to on the table equal the files' report with the same
            options, and select fewer flows;
  errors    a table that does not exist, a server that is not running, a
            ClickHouse input beside a file, --odid on JSON lines: one line on
            stderr naming the URL (or the option) and why, exit 2;
  fails     one row more in one shard: the comparison finds the difference
            (the check can fail).
Exit 1 on any mismatch, one line per mismatch.
"""
import json
import os
import shutil
import struct
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import ch_servers  # noqa: E402

MS_PER_DAY = 86_400_000
errors = []


def fail(msg):
    errors.append(msg)
    print("FAIL " + msg)


def run(cmd, timeout=120):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)


def shift_pcap(src, dst, days):
    """A copy of a classic pcap file with every timestamp `days` later."""
    data = bytearray(open(src, "rb").read())
    magic = data[:4]
    endian = "<" if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    off = 24
    while off + 16 <= len(data):
        sec, usec, incl, orig = struct.unpack_from(endian + "IIII", data, off)
        struct.pack_into(endian + "I", data, off, sec + days * 86400)
        off += 16 + incl
    with open(dst, "wb") as f:
        f.write(data)


def report(tunprobe, out, inputs, *extra, expect_rc=0, tag=""):
    shutil.rmtree(out, ignore_errors=True)
    t0 = time.monotonic()
    r = run([tunprobe, "report", *inputs, "--out", out, "--progress", "0", "--no-charts", *extra])
    secs = time.monotonic() - t0
    if r.returncode != expect_rc:
        fail(f"{tag}: tunprobe report {' '.join(inputs)} {' '.join(extra)}: exit {r.returncode}, expected "
             f"{expect_rc}: {r.stderr.strip()[:500]}")
        return None
    rep = json.load(open(os.path.join(out, "report.json")))
    rep["_dir"], rep["_seconds"] = out, secs
    return rep


# What legitimately differs between a report from the table and from files.
PROVENANCE_TABLES = {"inputs"}


def provenance_line(s):
    return s.startswith("Generated ") or " flow records from " in s


def differences(a, b):
    """The differences of two reports, provenance excluded: each table of
    report.json, each CSV, the summary, the metadata."""
    out = []
    ta, tb = a["tables"], b["tables"]
    if set(ta) != set(tb):
        out.append(f"tables {sorted(set(ta) ^ set(tb))} in one report only")
    for tid in ta:
        if tid in PROVENANCE_TABLES or tid not in tb:
            continue
        if ta[tid] != tb[tid]:
            ra, rb = ta[tid].get("rows", []), tb[tid].get("rows", [])
            diff = [(x, y) for x, y in zip(ra, rb) if x != y]
            what = f"{len(ra)} vs {len(rb)} rows" if len(ra) != len(rb) else f"first differing row {diff[:1]}"
            out.append(f"table {tid}: {what}" if diff or len(ra) != len(rb) else f"table {tid}: notes or columns")
    for name in sorted(os.listdir(a["_dir"])):
        if not name.endswith(".csv") or name[:-4] in PROVENANCE_TABLES:
            continue
        pa, pb = os.path.join(a["_dir"], name), os.path.join(b["_dir"], name)
        if not os.path.exists(pb) or open(pa).read() != open(pb).read():
            out.append(f"{name} differs")
    sa = [s for s in a["summary"] if not provenance_line(s)]
    sb = [s for s in b["summary"] if not provenance_line(s)]
    if sa != sb:
        out.append(f"summary {sa} vs {sb}")
    for key in a:
        if key not in ("tables", "summary", "_dir", "_seconds") and a[key] != b.get(key):
            out.append(f"{key}: {a[key]!r} vs {b.get(key)!r}")
    return out


def expect_equal(tag, a, b):
    if a is None or b is None:
        return False
    d = differences(a, b)
    for x in d:
        fail(f"{tag}: {x}")
    return not d


def one_line_error(tag, r, *wants):
    lines = r.stderr.strip().splitlines()
    if r.returncode != 2 or len(lines) != 1 or not all(w in lines[0] for w in wants):
        fail(f"{tag}: exit {r.returncode}, stderr {r.stderr.strip()[:600]!r}; expected one line with {wants}, exit 2")
        return
    print(f"ok {tag}: {lines[0][:160]}")


def main():
    tunprobe, gen, work = sys.argv[1:4]
    t_start = time.monotonic()
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    capdir = os.path.join(work, "gen")
    subprocess.run(["/usr/bin/python3", gen, "--out", capdir], check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    truth = {n: json.load(open(os.path.join(capdir, n + ".truth.json"))) for n in ("mix", "relay", "sixrd", "carriers")}
    shifts = {"mix": 0, "relay": 1, "sixrd": 1, "carriers": 2}
    caps = {}
    for n, days in shifts.items():
        caps[n] = os.path.join(work, f"{n}+{days}.pcap")
        shift_pcap(os.path.join(capdir, n + ".pcap"), caps[n], days)
    probes = {1: ["mix", "relay"], 2: ["sixrd", "carriers"]}

    cluster = ch_servers.Cluster(os.path.join(work, "ch"), shards=2)
    try:
        r = run([tunprobe, "clickhouse-schema", "--cluster", ch_servers.CLUSTER])
        if r.returncode != 0:
            fail(f"clickhouse-schema: exit {r.returncode}: {r.stderr.strip()}")
            return 1
        for i in range(2):
            cluster.script(i, r.stdout)
        url = cluster.url(0)
        table = f"clickhouse://{url}/tunprobe.flows_all"
        ipfix = {}
        for odid, names in probes.items():
            ipfix[odid] = os.path.join(work, f"probe{odid}.ipfix")
            cmd = [tunprobe, "run", "--odid", str(odid), "-o", table, "-o", "ipfix:" + ipfix[odid]]
            for n in names:
                cmd += ["-i", "pcap:" + caps[n]]
                cmd += truth[n].get("decodeArgs", [])
            r = run(cmd)
            if r.returncode != 0:
                fail(f"run odid {odid}: exit {r.returncode}: {r.stderr.strip()[-500:]}")
                return 1
        # Both shards and both probes hold rows.
        shard_rows = [int(cluster.query(i, "SELECT count() FROM tunprobe.flows")) for i in range(2)]
        by_odid = cluster.query(0, "SELECT observationDomainId, count() FROM tunprobe.flows_all GROUP BY "
                                   "observationDomainId ORDER BY observationDomainId").split()
        tunnels = set(cluster.query(0, "SELECT DISTINCT toString(tunnelType) FROM tunprobe.flows_all").split())
        if min(shard_rows) == 0 or by_odid[0::2] != ["1", "2"]:
            fail(f"setup: rows per shard {shard_rows}, per odid {by_odid}")
        want_tunnels = set().union(*({f["key"]["tunnelType"] for f in truth[n]["flows"]} for n in truth))
        if tunnels != want_tunnels:
            fail(f"setup: tunnel types in the table {sorted(tunnels)}, the captures have {sorted(want_tunnels)}")
        print(f"ok setup: rows per shard {shard_rows}, per odid {dict(zip(by_odid[0::2], by_odid[1::2]))}, "
              f"{len(tunnels)} tunnel types")

        # equal: the table and the files.
        ch = report(tunprobe, os.path.join(work, "rep-ch"), [table], "--per-day", tag="equal")
        files = report(tunprobe, os.path.join(work, "rep-files"), [ipfix[1], ipfix[2]], "--per-day", tag="equal")
        if ch and files:
            days = ch["days"]
            if len(days) != 3 or ch["records"] != sum(int(x) for x in by_odid[1::2]):
                fail(f"equal: days {days}, records {ch['records']}, table rows {by_odid}")
            inputs = ch["tables"]["inputs"]["rows"]
            if len(inputs) != 1 or inputs[0]["path"] != table or inputs[0]["format"] != "clickhouse" or \
                    inputs[0]["records"] != ch["records"] or "tunprobe.flows_all" not in inputs[0]["notes"]:
                fail(f"equal: inputs table {inputs}")
            if not any(s.startswith(f"{ch['records']:,} flow records from ClickHouse, {table}") for s in ch["summary"]):
                fail(f"equal: the summary does not name the table: {ch['summary']}")
            if expect_equal("equal", ch, files):
                print(f"ok equal: {ch['records']} flows, {len(days)} days, {len(ch['tables']) - 1} tables and "
                      f"their CSVs equal (table {ch['_seconds']:.2f} s, files {files['_seconds']:.2f} s)")

        # The top lists cut short: ties at the cut and "other ports" ranked the same.
        a = report(tunprobe, os.path.join(work, "rep-ch-top"), [table], "--top", "2", tag="top")
        b = report(tunprobe, os.path.join(work, "rep-files-top"), [ipfix[1], ipfix[2]], "--top", "2", tag="top")
        if expect_equal("top 2", a, b):
            print("ok top 2: the top-2 ports, servers and relays and the rest equal")

        # odid: one probe's rows.
        for odid in probes:
            a = report(tunprobe, os.path.join(work, f"rep-ch-{odid}"), [table], "--odid", str(odid), tag=f"odid {odid}")
            b = report(tunprobe, os.path.join(work, f"rep-file-{odid}"), [ipfix[odid]], tag=f"odid {odid}")
            c = report(tunprobe, os.path.join(work, f"rep-files-{odid}"), [ipfix[1], ipfix[2]], "--odid", str(odid),
                       tag=f"odid {odid}")
            if a and b and c:
                # The selection is said in the two filtered reports only.
                want = f"Selected: flows of observation domain {odid}."
                if want not in a["summary"] or want not in c["summary"]:
                    fail(f"odid {odid}: the summary lacks {want!r}")
                b["summary"].insert(b["summary"].index(next(x for x in b["summary"] if x.startswith("Flows started"))),
                                    want)
                b["selection"] = a["selection"]
                ok = expect_equal(f"odid {odid} (table vs file)", a, b) & expect_equal(f"odid {odid} (files)", a, c)
                if a["records"] == ch["records"] or a["records"] == 0:
                    fail(f"odid {odid}: {a['records']} records selected of {ch['records']}")
                elif ok:
                    print(f"ok odid {odid}: {a['records']} flows, equal to probe{odid}.ipfix alone")

        # period: --from/--to.
        if ch:
            day1 = ch["days"][1]
            extra = ["--from", day1, "--to", ch["days"][2] + "T00:00:00"]
            a = report(tunprobe, os.path.join(work, "rep-ch-day"), [table], *extra, tag="period")
            b = report(tunprobe, os.path.join(work, "rep-files-day"), [ipfix[1], ipfix[2]], *extra, tag="period")
            if a and b and expect_equal("period", a, b):
                if a["days"] != [day1] or not 0 < a["records"] < ch["records"]:
                    fail(f"period: days {a['days']}, {a['records']} records of {ch['records']}")
                else:
                    print(f"ok period: {' '.join(extra)}: {a['records']} flows of day {day1}, equal")

        # errors.
        r = run([tunprobe, "report", f"clickhouse://{url}/tunprobe.nosuchtable", "--out", os.path.join(work, "x")])
        one_line_error("errors: missing table", r, f"clickhouse://{url}/tunprobe.nosuchtable", "nosuchtable",
                       "doesn't exist")
        dead = f"127.0.0.1:{ch_servers.free_tcp_port()}"
        r = run([tunprobe, "report", f"clickhouse://{dead}/tunprobe.flows_all", "--out", os.path.join(work, "x")])
        one_line_error("errors: no server", r, f"clickhouse://{dead}/tunprobe.flows_all", "does not answer")
        r = run([tunprobe, "report", table, ipfix[1], "--out", os.path.join(work, "x")])
        one_line_error("errors: table and file", r, table, "alone")
        jsonl = os.path.join(work, "probe1.json")
        r = run([tunprobe, "run", "-i", "pcap:" + caps["mix"], "-o", "json:" + jsonl])
        r = run([tunprobe, "report", jsonl, "--odid", "1", "--out", os.path.join(work, "x")])
        one_line_error("errors: --odid on JSON lines", r, "--odid", jsonl)
        r = run([tunprobe, "report", table, "--from", "yesterday", "--out", os.path.join(work, "x")])
        one_line_error("errors: bad --from", r, "--from", "yesterday")

        # fails: one flow more in shard 1's table is seen.
        cluster.query(1, "INSERT INTO tunprobe.flows SELECT * FROM tunprobe.flows LIMIT 1")
        more = report(tunprobe, os.path.join(work, "rep-ch-more"), [table], "--per-day", tag="fails")
        if more and files:
            d = differences(more, files)
            if not any(x.startswith("table table4_traffic") for x in d):
                fail(f"fails: one row more in a shard is not seen: {d}")
            else:
                print(f"ok fails: one row more is seen ({len(d)} differences, e.g. {d[0][:100]})")
    finally:
        cluster.stop()
    print(f"{'FAILED' if errors else 'ok'}: {len(errors)} mismatch(es), {time.monotonic() - t_start:.1f} s")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
