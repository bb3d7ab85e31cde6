#!/usr/bin/python3
"""-o clickhouse:// into real ClickHouse servers (Debian's 18.16).

    check_output.py TUNPROBE GEN_TRAFFIC WORKDIR

  * `tunprobe clickhouse-schema --cluster` applies on both servers of a
    two-shard cluster (the local tables and the Distributed one);
  * two `tunprobe run` at the same time, --odid 7 and 9, each inserting
    through another server's Distributed table: the rows in the cluster
    are the union of what both wrote to JSON, record for record (every
    field), both shards hold rows, one partition per UTC day, and each
    probe's summary counts its rows as delivered;
  * the server is down when a probe starts, comes up, is killed (SIGKILL)
    mid-run and started again: the probe holds the records meanwhile, the
    counts add up (written = delivered + failed + dropped), the table holds
    every delivered record (a batch whose answer the kill lost may be
    there twice, with one exportBatch id), records that ended during the
    outage arrive after it;
  * a server that never comes, --export-buffer 5: the rest is dropped and
    counted, the 5 are failed at exit, exit status 3;
  * start-up errors are one line and exit 2: a missing table (naming the
    command that creates it), a table whose columns differ, bad URL
    settings; clickhouse-schema's options.
"""
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "ipfix"))
sys.path.insert(0, HERE)
import ch_servers  # noqa: E402
from ipfix_common import Fail, Probe, check, long_flows_pcap, main_wrapper, run, wait_for  # noqa: E402

# Columns shown as the JSON output shows them (the JSON's names), the
# others as stored; a JSON field that is absent is 0 in the table.
SELECT = """SELECT {columns}, IPv4NumToString(sourceIPv4Address) AS s4, IPv4NumToString(destinationIPv4Address) AS d4,
  IPv6NumToString(sourceIPv6Address) AS s6, IPv6NumToString(destinationIPv6Address) AS d6,
  IPv4NumToString(tunnelSourceIPv4Address) AS ts4, IPv4NumToString(tunnelDestinationIPv4Address) AS td4,
  IPv4NumToString(teredoServerIPv4Address) AS tsv, IPv4NumToString(teredoClientIPv4Address) AS tcl,
  IPv4NumToString(embeddedSourceIPv4Address) AS es4, IPv4NumToString(embeddedDestinationIPv4Address) AS ed4,
  IPv4NumToString(tunnelRelayIPv4Address) AS rl4,
  IPv6NumToString(tunnelSourceIPv6Address) AS ts6, IPv6NumToString(tunnelDestinationIPv6Address) AS td6
FROM {table} FORMAT JSONEachRow"""

IP_FIELDS = {"tunnelSourceIPv4Address": "ts4", "tunnelDestinationIPv4Address": "td4",
             "teredoServerIPv4Address": "tsv", "teredoClientIPv4Address": "tcl",
             "embeddedSourceIPv4Address": "es4", "embeddedDestinationIPv4Address": "ed4",
             "tunnelRelayIPv4Address": "rl4"}


def row_as_json(r):
    """A table row in the JSON output's form (the fields the JSON has)."""
    v4 = r["ipVersion"] == 4
    o = {"flowStartMilliseconds": int(r["flowStartMilliseconds"]), "flowEndMilliseconds": int(r["flowEndMilliseconds"]),
         "flowEndReason": r["flowEndReason"], "packetDeltaCount": int(r["packetDeltaCount"]),
         "octetDeltaCount": int(r["octetDeltaCount"]), "tunnelType": r["tunnelType"], "ipVersion": r["ipVersion"],
         "protocolIdentifier": r["protocolIdentifier"], "ipClassOfService": r["ipClassOfService"],
         "minimumTTL": r["minimumTTL"], "maximumTTL": r["maximumTTL"], "worker": r["worker"]}
    for k in ("vlanId", "dot1qCustomerVlanId"):
        if r[k]:
            o[k] = r[k]
    if r["mirrorType"] != "none":
        o["mirrorType"], o["observationPointId"] = r["mirrorType"], r["observationPointId"]
    if v4:
        o["sourceIPv4Address"], o["destinationIPv4Address"] = r["s4"], r["d4"]
    else:
        o["sourceIPv6Address"], o["destinationIPv6Address"] = r["s6"], r["d6"]
        o["sourceAddressClass"], o["destinationAddressClass"] = r["sourceAddressClass"], r["destinationAddressClass"]
    if r["transportHeaderMissing"]:
        o["transportHeaderMissing"] = True
    elif r["protocolIdentifier"] in (1, 58):
        o["icmpTypeCode"] = r["icmpTypeCode"]
    else:
        o["sourceTransportPort"], o["destinationTransportPort"] = r["sourceTransportPort"], r["destinationTransportPort"]
    if r["protocolIdentifier"] == 6:
        o["tcpControlBits"] = r["tcpControlBits"]
    if r["tunnelType"] != "none":
        for col, alias in IP_FIELDS.items():
            if r[col]:
                o[col] = r[alias]
        # IP in IPv6: the outer IPv6 pair (:: for the other carriers).
        for col, alias in (("tunnelSourceIPv6Address", "ts6"), ("tunnelDestinationIPv6Address", "td6")):
            if r[alias] != "::":
                o[col] = r[alias]
        for k in ("tunnelSourceTransportPort", "tunnelDestinationTransportPort", "teredoClientPort", "teredoFlags"):
            if r[k]:
                o[k] = r[k]
        if r["greKey"] is not None:
            o["greKey"] = r["greKey"]
        o["tunnelOctetDeltaCount"] = int(r["tunnelOctetDeltaCount"])
        if r["tunnelType"] == "teredo":
            for k in ("teredoBubbleCount", "teredoAuthCount", "teredoOriginCount"):
                o[k] = r[k]
    return o


def json_as_row(j):
    """A JSON record with the table's conventions: fields that are 0 or
    absent are left out, ICMP as one type-code number."""
    o = {k: v for k, v in j.items() if not k.startswith("icmpType") and not k.startswith("icmpCode")}
    for k in ("icmpTypeCodeIPv4", "icmpTypeCodeIPv6"):
        if k in j:
            o["icmpTypeCode"] = j[k]
    for k in list(o):
        if k in IP_FIELDS and o[k] == "0.0.0.0" or k in ("tunnelSourceTransportPort", "tunnelDestinationTransportPort",
                                                         "teredoClientPort", "teredoFlags") and o[k] == 0:
            del o[k]
    return o


def canon(d):
    return json.dumps(d, sort_keys=True)


def rows(servers, i, table, where=""):
    # Every column but the raw FixedString(16) addresses (shown as text).
    described = [ln.split("\t") for ln in servers.query(i, f"DESCRIBE TABLE {table}").splitlines()]
    columns = ", ".join(c[0] for c in described if not c[1].startswith("FixedString"))
    sql = SELECT.format(columns=columns, table=table + (f" WHERE {where}" if where else ""))
    return [json.loads(line) for line in servers.query(i, sql).splitlines()]


def count(servers, i, sql):
    return int(servers.query(i, sql).strip())


def summary_output(stats_path, prefix):
    outs = [o for o in json.load(open(stats_path))["outputs"] if o["output"].startswith(prefix)]
    check(len(outs) == 1, f"{stats_path}: no single {prefix} output: {outs}")
    o = outs[0]
    check(o["written"] == o["delivered"] + o["failed"] + o["dropped"] and o["buffered"] == 0, f"counts: {o}")
    return o


def two_probes_into_the_cluster(tunprobe, gen, work):
    caps = os.path.join(work, "gen")
    subprocess.run(["/usr/bin/python3", gen, "--out", caps], check=True, stdout=subprocess.DEVNULL)
    servers = ch_servers.Cluster(os.path.join(work, "cluster"), shards=2)
    try:
        schema = run([tunprobe, "clickhouse-schema", "--cluster", ch_servers.CLUSTER]).stdout
        for i in range(2):
            servers.script(i, schema)
        probes = []
        for odid, server, inputs in ((7, 0, ["mix.pcap"]), (9, 1, ["carriers.pcap", "longrun.pcap"])):
            js = os.path.join(work, f"odid{odid}.json")
            st = os.path.join(work, f"odid{odid}.stats.json")
            cmd = [tunprobe, "run", "--odid", str(odid), "--stats-json", st, "-o", f"json:{js}",
                   "-o", f"clickhouse://{servers.url(server)}/tunprobe.flows_all?probe=probe{odid}&batch=200"]
            for f in inputs:
                cmd += ["-i", "pcap:" + os.path.join(caps, f)]
            log = open(os.path.join(work, f"odid{odid}.log"), "w")
            probes.append((odid, js, st, subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT), log))
        want = []
        for odid, js, st, p, log in probes:
            rc = p.wait(120)
            log.close()
            check(rc == 0, f"probe {odid} exit {rc}: {open(log.name).read()[-2000:]}")
            lines = [json.loads(line) for line in open(js)]
            out = summary_output(st, "clickhouse://")
            check(out["delivered"] == len(lines) and out["failed"] == 0 and out["dropped"] == 0,
                  f"probe {odid}: {len(lines)} flows, ClickHouse output {out}")
            check(out["messages"] >= len(lines) // 200, f"probe {odid}: {out['messages']} inserts of <= 200 records")
            got = count(servers, 0, f"SELECT count() FROM tunprobe.flows_all WHERE observationDomainId = {odid}")
            check(got == len(lines), f"odid {odid}: {got} rows, {len(lines)} flows in its JSON")
            names = servers.query(0, f"SELECT DISTINCT probeName FROM tunprobe.flows_all WHERE observationDomainId "
                                     f"= {odid}").split()
            check(names == [f"probe{odid}"], f"odid {odid}: probeName {names}")
            want += [canon(json_as_row(j)) for j in lines]
        got = [canon(row_as_json(r)) for r in rows(servers, 1, "tunprobe.flows_all")]
        missing = sorted(set(want) - set(got))
        extra = sorted(set(got) - set(want))
        check(not missing and not extra and sorted(got) == sorted(want),
              f"{len(got)} rows vs {len(want)} JSON flows; missing {missing[:2]}; extra {extra[:2]}")
        shards = [count(servers, i, "SELECT count() FROM tunprobe.flows") for i in range(2)]
        check(all(n > 0 for n in shards) and sum(shards) == len(want), f"rows per shard {shards}, {len(want)} in all")
        days = {j["flowStartMilliseconds"] // 86_400_000 for j in map(json.loads, want)}
        parts = set()
        for i in range(2):
            parts |= set(servers.query(i, "SELECT DISTINCT partition FROM system.parts WHERE database = 'tunprobe' "
                                          "AND table = 'flows' AND active").split())
        want_parts = {time.strftime("%Y-%m-%d", time.gmtime(d * 86400)) for d in days}
        check(parts == want_parts, f"partitions {sorted(parts)[:5]}..., days {sorted(want_parts)[:5]}...")
        # The comparison can fail: one changed field is caught.
        changed = sorted(got)
        changed[0] = changed[0].replace('"packetDeltaCount": ', '"packetDeltaCount": 1', 1)
        check(sorted(changed) != sorted(want), "a changed row passes the comparison")
        print(f"cluster: {len(want)} rows = the union of both probes' JSON, field for field; shards {shards}; "
              f"{len(parts)} day partitions")

        # The schema's way to keep N days on 18.16, run as printed on shard 0:
        # every partition older than N days is gone, the others stay.
        today = int(time.time()) // 86400
        keep = today - sorted(days)[len(days) // 2]  # the older half goes
        ttl = run([tunprobe, "clickhouse-schema", "--ttl", str(keep)]).stdout
        line = next(ln for ln in ttl.splitlines() if "DROP PARTITION" in ln)[2:].strip()
        client = f"clickhouse-client --port {servers.servers[0].tcp_port}"
        r = subprocess.run(line.replace("clickhouse-client", client), shell=True, capture_output=True, text=True)
        check(r.returncode == 0, f"{line}: {r.stderr}")
        left = set(servers.query(0, "SELECT DISTINCT partition FROM system.parts WHERE database = 'tunprobe' "
                                    "AND table = 'flows' AND active").split())
        kept = {time.strftime("%Y-%m-%d", time.gmtime(d * 86400)) for d in days if d >= today - keep}
        check(kept != want_parts and left and left <= kept, f"after dropping days older than {keep}: {sorted(left)}; "
              f"should keep at most {sorted(kept)}")
        print(f"--ttl {keep} on 18.16: the printed command dropped {len(want_parts) - len(kept)} old day(s) on shard 0")

        # Start-up errors, with the cluster up.
        url = servers.url(0)
        r = run([tunprobe, "run", "-i", "pcap:" + os.path.join(caps, "mix.pcap"), "-o",
                 f"clickhouse://{url}/tunprobe.nosuch"])
        check(r.returncode == 2 and "table tunprobe.nosuch does not exist; create it with 'tunprobe clickhouse-schema "
              "--database tunprobe --table nosuch | clickhouse-client --multiquery'" in r.stderr
              and len(r.stderr.strip().splitlines()) == 1, f"missing table: {r.returncode} {r.stderr}")
        servers.query(0, "CREATE TABLE tunprobe.old (day Date, flowStartMilliseconds UInt32) ENGINE = MergeTree() "
                         "PARTITION BY day ORDER BY flowStartMilliseconds")
        r = run([tunprobe, "run", "-i", "pcap:" + os.path.join(caps, "mix.pcap"), "-o", f"clickhouse://{url}/tunprobe.old"])
        check(r.returncode == 2 and "table tunprobe.old: column 2 is 'flowStartMilliseconds UInt32', tunprobe writes "
              "'flowStartMilliseconds UInt64'" in r.stderr, f"old table: {r.returncode} {r.stderr}")
        print("a missing table and a table of other columns: one line each, exit 2")
    finally:
        servers.stop()


def outage(tunprobe, work):
    """Down at start, up, killed, up again."""
    pcap = os.path.join(work, "long.pcap")
    long_flows_pcap(pcap)
    servers = ch_servers.Cluster(os.path.join(work, "single"), shards=1)
    table = "tunprobe.flows"
    try:
        servers.script(0, run([tunprobe, "clickhouse-schema"]).stdout)
        servers.stop()
        st = os.path.join(work, "outage.stats.json")
        log = os.path.join(work, "outage.log")
        p = Probe([tunprobe, "run", "-i", f"vdev:net_pcap0,rx_pcap={pcap},infinite_rx=1", "--active-timeout", "1",
                   "--stats-json", st, "-o", f"clickhouse://{servers.url(0)}/{table}?batch_ms=200"], log)
        try:
            wait_for(lambda: "the server does not answer" in open(log).read() or p.p.poll() is not None, 30,
                     "the probe to say the server does not answer")
            time.sleep(2)  # records end meanwhile: they are held
            up_ms = int(time.time() * 1000)
            servers.start(0)
            wait_for(lambda: count(servers, 0, f"SELECT count() FROM {table}") > 0 or p.p.poll() is not None, 30,
                     "rows after the server came up")
            held = count(servers, 0, f"SELECT count() FROM {table} WHERE flowEndMilliseconds < {up_ms}")
            check(held > 0, "no record that ended before the server came up was inserted")
            servers.kill(0)
            wait_for(lambda: "insert failed" in open(log).read() or p.p.poll() is not None, 30,
                     "the probe to notice the server is gone")
            time.sleep(2)
            back_ms = int(time.time() * 1000)
            servers.start(0)
            wait_for(lambda: count(servers, 0, f"SELECT count() FROM {table} WHERE flowEndMilliseconds > {back_ms}") > 0
                     or p.p.poll() is not None, 60, "rows after the restart")
        finally:
            rc = p.stop()
        check(rc == 0, f"probe exit {rc}: {open(log).read()[-3000:]}")
        out = summary_output(st, "clickhouse://")
        check(out["failed"] == 0 and out["dropped"] == 0 and out["delivered"] > 0, f"records lost: {out}")
        total = count(servers, 0, f"SELECT count() FROM {table}")
        distinct = count(servers, 0, f"SELECT count() FROM (SELECT DISTINCT * FROM {table})")
        check(distinct == out["delivered"] and total >= distinct,
              f"{distinct} distinct rows ({total} in all), {out['delivered']} delivered: {out}")
        dup_batches = count(servers, 0, f"SELECT count() FROM (SELECT exportBatch, count() AS n, uniqExact("
                                        f"flowStartMilliseconds, flowEndMilliseconds, sourceIPv4Address, sourceIPv6Address)"
                                        f" AS u FROM {table} GROUP BY exportBatch HAVING n != u)")
        check(total == distinct or dup_batches > 0, "duplicate rows that are not a resent batch")
        text = open(log).read()
        check("inserting again" in text, f"no line saying inserts resumed: {text[-1500:]}")
        print(f"down at start, killed, restarted: {out['written']} written = {out['delivered']} delivered, "
              f"{held} held while it was down at start; {out['sendErrors']} failed inserts retried; "
              f"{total - distinct} rows of resent batches")

        # A server that never comes and a tiny buffer.
        servers.stop()
        st = os.path.join(work, "never.stats.json")
        r = run([tunprobe, "run", "-i", f"pcap:{pcap}", "--export-buffer", "1", "--stats-json", st,
                 "-o", f"clickhouse://{servers.url(0)}/{table}"])
        out = summary_output(st, "clickhouse://")
        check(r.returncode == 3 and out["written"] == 3 and out["failed"] == 1 and out["dropped"] == 2
              and out["delivered"] == 0, f"exit {r.returncode}, {out}: {r.stderr[-1500:]}")
        check("1 records could not be delivered before exit (counted as failed)" in r.stderr
              and "--export-buffer of 1 records is full" in r.stderr, r.stderr)
        print("no server, --export-buffer 1: 2 dropped, 1 failed at exit, exit 3")
    finally:
        servers.stop()


def usage_errors(tunprobe):
    for url, msg in (("clickhouse://127.0.0.1:8123/flows", "expected clickhouse://HOST:PORT/DATABASE.TABLE"),
                     ("clickhouse://127.0.0.1/tunprobe.flows", "needs a host and its HTTP port"),
                     ("clickhouse://127.0.0.1:8123/tunprobe.flows?profile=nfdump", "?profile= is for IPFIX outputs"),
                     ("clickhouse://127.0.0.1:8123/tunprobe.flows?batch=0", "?batch= takes a number 1..1000000"),
                     ("clickhouse://127.0.0.1:8123/tunprobe.flows?colour=red", "unknown setting 'colour'"),
                     ("clickhouse://127.0.0.1:8123/tunprobe.flo-ws", "letters, digits and '_'")):
        r = run([tunprobe, "run", "-i", "pcap:/dev/null", "-o", url])
        check(r.returncode == 2 and msg in r.stderr and len(r.stderr.strip().splitlines()) == 1,
              f"{url}: exit {r.returncode}: {r.stderr}")
    r = run([tunprobe, "clickhouse-schema", "--ttl", "30", "--server-version", "21.8"])
    check("TTL day + INTERVAL 30 DAY" in r.stdout and "DROP PARTITION" not in r.stdout, r.stdout[-500:])
    r = run([tunprobe, "clickhouse-schema", "--ttl", "30"])
    check("\nTTL" not in r.stdout and "DROP PARTITION" in r.stdout, r.stdout[-500:])
    r = run([tunprobe, "clickhouse-schema", "--server-version", "new"])
    check(r.returncode == 2 and "expected MAJOR.MINOR" in r.stderr, r.stderr)
    r = run([tunprobe, "clickhouse-schema", "--table", "1x"])
    check(r.returncode == 2 and "--table '1x'" in r.stderr, r.stderr)
    print("URL settings and clickhouse-schema options: one line each, exit 2; TTL only from 19.6")


def test():
    tunprobe, gen, work = sys.argv[1:4]
    os.makedirs(work, exist_ok=True)
    usage_errors(tunprobe)
    two_probes_into_the_cluster(tunprobe, gen, work)
    outage(tunprobe, work)


if __name__ == "__main__":
    sys.exit(main_wrapper(test))
