#!/usr/bin/python3
"""End-to-end check of `tunprobe report` against the generator's ground truth.

    check_report.py TUNPROBE GEN_SCRIPT CHARTS_SCRIPT WORKDIR

Generates the captures (scripts/gen_traffic.py), runs `tunprobe run` on
mix, relay and sixrd (JSON lines and IPFIX in one run), then
`tunprobe report`, and compares every table of report.json with values
computed here, independently, from NAME.truth.json ("flows" for keys and
counters, "packets" for address classes, Teredo servers and relays): the
counting rules are written again in Python from the README, not taken from
the C++ code. Cases:

  one       mix alone (one UTC day), from JSON lines and from IPFIX;
  days      mix and sixrd as IPFIX, relay as JSON, plus a directory with mix
            shifted by one day and relay by two (three UTC days): per-day
            averages, per-day tables (--per-day), directory input, mixed
            formats;
  profiles  IPFIX of the flowmon profile (CESNET's tunnel elements: the same
            addresses and flows) and of the nfdump profile (no tunnel
            elements: all IPv6 native, and said so);
  charts    the charts script's manifest (titles, bar counts), PNGs and SVGs;
            the script run on its own, headless;
  errors    a JSON file with a broken line and a truncated last line, a file
            of garbage, a good file: errors name the file and byte offset, the
            good records are all counted, exit status 1; IPFIX cut short, with a
            broken message header, with a data set of an unknown template, and
            with random bytes flipped (no crash); bad options and missing
            inputs: one line, exit 2;
  hll       40,000 distinct addresses with --exact-limit 1000: estimates
            within 3 % and marked; the default limit: exact; progress lines.
Exit 1 on any mismatch, with one line per mismatch.
"""
import ipaddress
import json
import os
import random
import re
import shutil
import struct
import subprocess
import sys
from collections import defaultdict

MS_PER_DAY = 86_400_000
# The report's rows follow tunprobe's tunnel table (probe/base/tunnel_type.hpp).
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts"))
import tunnel_types  # noqa: E402
TUNNELS = [t["name"] for t in tunnel_types.TYPES[1:]]
TRANSPORTS = ["native"] + TUNNELS
LABELS = {"native": "native", **{t["name"]: t["label"] for t in tunnel_types.TYPES[1:]}}
NOT_COUNTED = {"link-local", "multicast", "unspecified", "loopback"}
PORT_PROTOCOLS = {6: "tcp", 17: "udp", 132: "sctp", 33: "dccp", 136: "udplite"}
TOP = 10

errors = []


def fail(msg):
    errors.append(msg)
    print("FAIL " + msg)


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, **kw)


def share(part, whole):
    return part / whole if whole else 0.0


# ---------------------------------------------------------------------------
# Ground truth -> flows as the report sees them.

def truth_flows(truth, shift_days=0):
    """One dict per flow of the ground truth, with what the rules need."""
    packets = truth["packets"]
    out = []
    for f in truth["flows"]:
        k = f["key"]
        first = packets[f["packetIndices"][0]]
        assert first["tunnelType"] == k["tunnelType"], (first, k)
        v6 = "sourceIPv6Address" in k
        out.append({
            "tunnel": k["tunnelType"], "v6": v6,
            "src": k.get("sourceIPv6Address"), "dst": k.get("destinationIPv6Address"),
            "scls": first.get("sourceAddressClass"), "dcls": first.get("destinationAddressClass"),
            "proto": k["protocolIdentifier"],
            "sport": k.get("sourceTransportPort", 0), "dport": k.get("destinationTransportPort", 0),
            "packets": f["packetDeltaCount"], "bytes": f["octetDeltaCount"],
            "day": f["flowStartMilliseconds"] // MS_PER_DAY + shift_days,
            "server": first.get("teredoServerIPv4Address"), "relay4": first.get("tunnelRelayIPv4Address"),
            "osrc": k.get("tunnelSourceIPv4Address"), "odst": k.get("tunnelDestinationIPv4Address"),
        })
    return out


def kind(f):
    if not f["v6"]:
        return "ipv4"
    return "native" if f["tunnel"] == "none" else "tunneled"


def transport(f):
    return "native" if f["tunnel"] == "none" else f["tunnel"]


def service(f):
    p = f["proto"]
    if p in (1, 58):
        return "icmp"
    if p not in PORT_PROTOCOLS:
        return "otherProtocols"
    port = min(f["sport"], f["dport"])
    if port == 80 and p == 6:
        return "http"
    if port == 443 and p in (6, 17):
        return "https"
    if port == 53 and p in (6, 17):
        return "dns"
    return (p, port)


def high_port(f):
    return f["proto"] in PORT_PROTOCOLS and f["sport"] >= 1024 and f["dport"] >= 1024


def teredo_relay(f):
    st, dt = f["scls"] == "teredo", f["dcls"] == "teredo"
    if st == dt:
        return None
    other = f["dcls"] if st else f["scls"]
    if other in NOT_COUNTED:
        return None
    far = f["odst"] if st else f["osrc"]
    return None if far == f["server"] else far


def day_name(d):
    import datetime
    return (datetime.date(1970, 1, 1) + datetime.timedelta(days=d)).isoformat()


def traffic_row(t, total):
    return {"flows": t[0], "flowShare": share(t[0], total[0]), "packets": t[1], "packetShare": share(t[1], total[1]),
            "bytes": t[2], "byteShare": share(t[2], total[2])}


def add(t, f):
    t[0] += 1
    t[1] += f["packets"]
    t[2] += f["bytes"]


def expected_tables(flows):
    """Every table of report.json, computed from the truth flows."""
    exp = {}
    # Addresses.
    per_t = defaultdict(set)
    every, tunneled, excluded = set(), set(), set()
    by_class = {"native": defaultdict(set), "tunneled": defaultdict(set)}
    per_day = defaultdict(lambda: defaultdict(set))
    days = sorted({f["day"] for f in flows})
    for f in flows:
        if not f["v6"]:
            continue
        for a, c in ((f["src"], f["scls"]), (f["dst"], f["dcls"])):
            if c in NOT_COUNTED:
                excluded.add(a)
                continue
            per_t[transport(f)].add(a)
            per_day[f["day"]][transport(f)].add(a)
            per_day[f["day"]]["all"].add(a)
            every.add(a)
            scope = "native" if f["tunnel"] == "none" else "tunneled"
            by_class[scope][c].add(a)
            if scope == "tunneled":
                tunneled.add(a)
    total = sum(len(per_t[t]) for t in TRANSPORTS)
    avg = {t: sum(len(per_day[d][t]) for d in days) / len(days) for t in TRANSPORTS}
    avg_total = sum(avg.values())
    rows = [{"transport": t, "addresses": len(per_t[t]), "share": share(len(per_t[t]), total),
             "perDayAverage": avg[t], "perDayShare": share(avg[t], avg_total)} for t in TRANSPORTS]
    rows.append({"transport": "total", "addresses": total, "share": 1.0 if total else 0.0,
                 "perDayAverage": avg_total, "perDayShare": 1.0 if avg_total else 0.0})
    exp["table1_addresses"] = rows

    teredo_servers = defaultdict(lambda: [0, 0, 0])
    relays = defaultdict(lambda: defaultdict(lambda: [0, 0, 0]))
    for f in flows:
        if not f["v6"] or f["tunnel"] == "none":
            continue
        if f["tunnel"] == "teredo":
            if f["server"]:
                add(teredo_servers[f["server"]], f)
            r = teredo_relay(f)
            if r:
                add(relays["teredo"][r], f)
        elif f["relay4"]:
            add(relays[f["tunnel"]][f["relay4"]], f)
    exp["table1_summary"] = [
        {"item": "all", "count": len(every)}, {"item": "tunneled", "count": len(tunneled)},
        {"item": "excluded", "count": len(excluded)}, {"item": "teredoServers", "count": len(teredo_servers)},
        {"item": "teredoRelays", "count": len(relays["teredo"])},
        {"item": "sixtofourRelays", "count": len(relays["6to4"])}]

    def class_rows(spec):
        n = {s: [sum(len(by_class[s][c]) for c in classes) for _, classes in spec] for s in ("native", "tunneled")}
        tot = {s: sum(n[s]) for s in n}
        rows = [{"class": key, "native": n["native"][i], "nativeShare": share(n["native"][i], tot["native"]),
                 "tunneled": n["tunneled"][i], "tunneledShare": share(n["tunneled"][i], tot["tunneled"])}
                for i, (key, _) in enumerate(spec)]
        rows.append({"class": "total", "native": tot["native"], "nativeShare": share(tot["native"], tot["native"]),
                     "tunneled": tot["tunneled"], "tunneledShare": share(tot["tunneled"], tot["tunneled"])})
        return rows

    exp["table2_6to4"] = class_rows([(c, [c]) for c in ("6to4-eui64", "6to4-linux", "6to4-windows", "6to4-privacy",
                                                         "6to4-other")])
    exp["table3_global"] = class_rows([("eui64", ["eui64"]), ("privacy", ["privacy"]), ("low", ["low"]),
                                       ("other", ["other", "embedded-ipv4"])])

    # Traffic.
    kinds = {k: [0, 0, 0] for k in ("ipv4", "native", "tunneled")}
    tunnels = {t: [0, 0, 0] for t in TUNNELS}
    high_kinds = {k: [0, 0, 0] for k in kinds}
    high_tunnels = {t: [0, 0, 0] for t in TUNNELS}
    services = defaultdict(lambda: {k: [0, 0, 0] for k in kinds})
    daily_traffic = defaultdict(lambda: {k: [0, 0, 0] for k in kinds})
    for f in flows:
        k = kind(f)
        add(kinds[k], f)
        add(daily_traffic[f["day"]][k], f)
        add(services[service(f)][k], f)
        if k == "tunneled":
            add(tunnels[f["tunnel"]], f)
        if high_port(f):
            add(high_kinds[k], f)
            if k == "tunneled":
                add(high_tunnels[f["tunnel"]], f)
    grand = [sum(kinds[k][i] for k in kinds) for i in range(3)]
    exp["table4_traffic"] = [{"traffic": k, **traffic_row(kinds[k], grand)} for k in kinds] + \
                            [{"traffic": "total", **traffic_row(grand, grand)}]
    tun = kinds["tunneled"]
    exp["table5_tunnels"] = [{"tunnel": t, **traffic_row(tunnels[t], tun)} for t in TUNNELS] + \
                            [{"tunnel": "total", **traffic_row(tun, tun)}]
    rows = []
    for k in kinds:
        # Each kind's own top ports: those with flows of the kind.
        ports = [s for s in services if isinstance(s, tuple) and services[s][k][0] > 0]
        ports.sort(key=lambda s: (-services[s][k][0], -services[s][k][1], -services[s][k][2], s[0], s[1]))
        top = ports[:TOP]
        rest = [s for s in services if isinstance(s, tuple) and s not in top]
        for name, members in ([("http", ["http"]), ("https", ["https"]), ("dns", ["dns"])]
                              + [(f"{PORT_PROTOCOLS[p]}/{n}", [(p, n)]) for p, n in top]
                              + [("otherPorts", rest), ("icmp", ["icmp"]), ("otherProtocols", ["otherProtocols"])]):
            t = [sum(services[m][k][i] for m in members if m in services) for i in range(3)]
            rows.append({"traffic": k, "service": name, **traffic_row(t, kinds[k])})
        rows.append({"traffic": k, "service": "total", **traffic_row(kinds[k], kinds[k])})
    exp["table6_protocols"] = rows

    def top_rows(d, total_flows):
        items = sorted(d.items(), key=lambda kv: (-kv[1][0], -kv[1][1], int(ipaddress.IPv4Address(kv[0]))))[:TOP]
        return [(a, {"flows": t[0], "flowShare": share(t[0], total_flows), "packets": t[1], "bytes": t[2]})
                for a, t in items]

    exp["teredo_servers"] = [{"server": a, **r} for a, r in top_rows(teredo_servers, tunnels["teredo"][0])]
    exp["relays"] = [{"tunnel": t, "relay": a, **r} for t in TUNNELS for a, r in top_rows(relays[t], tunnels[t][0])]
    exp["high_ports"] = ([{"traffic": k, **traffic_row(high_kinds[k], kinds[k])} for k in kinds]
                         + [{"traffic": t, **traffic_row(high_tunnels[t], tunnels[t])} for t in TUNNELS])
    exp["daily_addresses"] = [{"day": day_name(d), **{t: len(per_day[d][t]) for t in TRANSPORTS},
                               "all": len(per_day[d]["all"])} for d in days]
    exp["daily_traffic"] = [{"day": day_name(d), **{f"{k}Flows": daily_traffic[d][k][0] for k in kinds},
                             **{f"{k}Bytes": daily_traffic[d][k][2] for k in kinds}} for d in days]
    return exp


def compare(tag, report, exp):
    tables = report["tables"]
    for tid, rows in exp.items():
        if tid not in tables:
            fail(f"{tag}: table {tid} missing")
            continue
        got = tables[tid]["rows"]
        if len(got) != len(rows):
            fail(f"{tag}: {tid}: {len(got)} rows, expected {len(rows)}: {[list(r.values())[:2] for r in got]}")
            continue
        for i, (g, e) in enumerate(zip(got, rows)):
            for key, want in e.items():
                have = g.get(key)
                ok = abs(have - want) <= 1e-12 if isinstance(want, float) and isinstance(have, (int, float)) \
                    else have == want
                if not ok:
                    fail(f"{tag}: {tid} row {i} ({list(e.values())[:2]}) {key}: {have!r}, expected {want!r}")


def pct(x):
    return f"{100.0 * x:.2f} %"


def check_markdown(tag, md, exp, several_days):
    """Spot checks of report.md against the expected values."""
    labels = LABELS
    for r in exp["table1_addresses"][:-1]:
        line = f"| {labels[r['transport']]} | {r['addresses']:,} | {pct(r['share'])} |"
        if several_days:
            line += f" {r['perDayAverage']:.1f} | {pct(r['perDayShare'])} |"
        if line not in md:
            fail(f"{tag}: report.md lacks the Table 1 line {line!r}")
    t4 = {"ipv4": "IPv4", "native": "native IPv6", "tunneled": "tunneled IPv6", "total": "total"}
    for r in exp["table4_traffic"]:
        line = (f"| {t4[r['traffic']]} | {r['flows']:,} | {pct(r['flowShare'])} | {r['packets']:,} | "
                f"{pct(r['packetShare'])} | {r['bytes']:,} | {pct(r['byteShare'])} |")
        if line not in md:
            fail(f"{tag}: report.md lacks the Table 4 line {line!r}")
    for title in ("## Counting rules", "## Table 1:", "## Table 2:", "## Table 3:", "## Table 4:", "## Table 5:",
                  "## Table 6:", "Top Teredo servers", "Top relays", "High ports"):
        if title not in md:
            fail(f"{tag}: report.md has no {title!r}")


# ---------------------------------------------------------------------------
# Charts.

def png_size(path):
    with open(path, "rb") as f:
        head = f.read(24)
    if head[:8] != b"\x89PNG\r\n\x1a\n" or head[12:16] != b"IHDR":
        return None
    return struct.unpack(">II", head[16:24])


def check_charts(tag, out, ndays, exp):
    # Flows, packets and bytes per tunnel type; one bar per transport a day;
    # one per service row of each traffic kind, per Teredo server, per relay.
    want = {"tunnels": ("Tunnel distribution", 3 * len(TUNNELS)), "traffic": ("Traffic distribution", 9),
            "address_classes": ("Address classes", 18),
            "addresses_per_day": ("Unique IPv6 addresses per day", len(TRANSPORTS) * ndays),
            "services": ("Services", sum(1 for r in exp["table6_protocols"] if r["service"] != "total")),
            "teredo_servers": ("Top Teredo servers", len(exp["teredo_servers"])),
            "relays": ("Top relays", len(exp["relays"]))}
    try:
        manifest = json.load(open(os.path.join(out, "charts", "charts.json")))
    except (OSError, ValueError) as e:
        fail(f"{tag}: charts.json: {e}")
        return
    got = {c["stem"]: c for c in manifest["charts"]}
    if set(got) != set(want):
        fail(f"{tag}: charts {sorted(got)}, expected {sorted(want)}")
    for stem, (title, bars) in want.items():
        c = got.get(stem)
        if not c:
            continue
        if c["title"] != title:
            fail(f"{tag}: chart {stem}: title {c['title']!r}, expected {title!r}")
        if c["bars"] != bars:
            fail(f"{tag}: chart {stem}: {c['bars']} bars, expected {bars}")
        # Value labels on every bar of the share and class charts (zeros too).
        if stem != "addresses_per_day" and c.get("labels") != bars:
            fail(f"{tag}: chart {stem}: {c.get('labels')} value labels, expected one per bar ({bars})")
        png = os.path.join(out, "charts", stem + ".png")
        size = png_size(png) if os.path.exists(png) else None
        if not size or size[0] < 200 or size[1] < 100 or os.path.getsize(png) < 5000:
            fail(f"{tag}: {png}: not a PNG of a chart (size {size})")
        svg = os.path.join(out, "charts", stem + ".svg")
        text = open(svg).read() if os.path.exists(svg) else ""
        if "<svg" not in text or title not in text:
            fail(f"{tag}: {svg}: no SVG with the title {title!r}")
        md = open(os.path.join(out, "report.md")).read()
        if f"(charts/{stem}.png)" not in md:
            fail(f"{tag}: report.md does not link charts/{stem}.png")
        html = open(os.path.join(out, "index.html")).read()
        if f'src="charts/{stem}.svg"' not in html:
            fail(f"{tag}: index.html does not show charts/{stem}.svg")


# ---------------------------------------------------------------------------

def report(tunprobe, out, inputs, *extra, expect_rc=0, tag=""):
    shutil.rmtree(out, ignore_errors=True)
    r = run([tunprobe, "report", *inputs, "--out", out, "--progress", "0", *extra])
    if r.returncode != expect_rc:
        fail(f"{tag}: tunprobe report exit {r.returncode}, expected {expect_rc}: {r.stderr.strip()}")
        return None, r
    try:
        return json.load(open(os.path.join(out, "report.json"))), r
    except (OSError, ValueError) as e:
        fail(f"{tag}: report.json: {e}")
        return None, r


def shifted(src, dst, days):
    with open(src) as f, open(dst, "w") as g:
        for line in f:
            r = json.loads(line)
            r["flowStartMilliseconds"] += days * MS_PER_DAY
            r["flowEndMilliseconds"] += days * MS_PER_DAY
            g.write(json.dumps(r) + "\n")


def hll_case(tunprobe, work):
    rng = random.Random(6)
    path = os.path.join(work, "many.json")
    n = 20000
    with open(path, "w") as f:
        for i in range(n):
            a = ipaddress.IPv6Address((0x2a00 << 112) | rng.getrandbits(64) << 40 | i << 1)
            b = ipaddress.IPv6Address((0x2a01 << 112) | rng.getrandbits(64) << 40 | i << 1)
            f.write(json.dumps({"flowStartMilliseconds": 1767225600000 + i, "packetDeltaCount": 1,
                                "octetDeltaCount": 60, "ipVersion": 6, "sourceIPv6Address": str(a),
                                "destinationIPv6Address": str(b), "protocolIdentifier": 6,
                                "sourceTransportPort": 40000, "destinationTransportPort": 443}) + "\n")
    out = os.path.join(work, "rep-hll")
    rep, _ = report(tunprobe, out, [path], "--exact-limit", "1000", "--no-charts", tag="hll")
    if rep:
        row = rep["tables"]["table1_addresses"]["rows"][0]
        if not rep["estimated"] or not rep["tables"]["table1_addresses"]["estimated"]:
            fail("hll: --exact-limit 1000 with 40000 addresses: not marked estimated")
        if abs(row["addresses"] - 2 * n) > 0.03 * 2 * n:
            fail(f"hll: native estimate {row['addresses']}, true {2 * n} (more than 3 % off)")
        if "≈" not in open(os.path.join(out, "report.md")).read():
            fail("hll: report.md does not mark the estimate")
        if rep["tables"]["table1_summary"]["rows"][3]["count"] != 0:
            fail("hll: Teredo servers counted in native-only input")
        print(f"ok hll: 40000 addresses estimated as {row['addresses']}")
    r = run([tunprobe, "report", path, "--out", out, "--no-charts", "--progress", "0.000001"])
    if r.returncode != 0 or "file 1/1" not in r.stderr or "records in all" not in r.stderr:
        fail(f"hll: no progress lines with --progress: {r.stderr.strip()[:300]}")
    rep, _ = report(tunprobe, out, [path], "--no-charts", tag="hll-exact")
    if rep:
        if rep["estimated"] or rep["tables"]["table1_addresses"]["rows"][0]["addresses"] != 2 * n:
            fail("hll: the default limit does not count 40000 addresses exactly")
        # The records carry no tunnel elements: counted native and said so.
        if rep["recordsWithoutTunnelElements"] != n or not any("carry no tunnel elements" in s for s in rep["summary"]):
            fail("hll: records without tunnel elements are not reported as such")


def error_case(tunprobe, work, mix_json, mix_flows):
    lines = open(mix_json).read().splitlines(keepends=True)
    bad = os.path.join(work, "broken.json")
    # Line 3 broken, the last line cut in the middle of its object.
    broken_line = lines[2][:25] + "@" + lines[2][26:]
    body = lines[:2] + [broken_line] + lines[3:-1]
    offset3 = sum(len(x) for x in lines[:2])
    cut = lines[-1][:40]
    with open(bad, "w") as f:
        f.write("".join(body) + cut)
    last_offset = sum(len(x) for x in body)
    garbage = os.path.join(work, "garbage.bin")
    with open(garbage, "wb") as f:
        f.write(b"\x13\x37 not a flow file\n")
    good = os.path.join(work, "good.json")
    shutil.copy(mix_json, good)
    out = os.path.join(work, "rep-errors")
    rep, r = report(tunprobe, out, [bad, garbage, good], "--no-charts", expect_rc=1, tag="errors")
    if not rep:
        return
    err = r.stderr
    for want in (f"{bad}: offset {offset3 + 25} (line 3)", f"{bad}: offset {last_offset + 40}", f"{garbage}: offset 0"):
        if want not in err:
            fail(f"errors: stderr lacks {want!r}: {err.strip()}")
    if "truncated" not in err:
        fail(f"errors: the cut last line is not called truncated: {err.strip()}")
    # The good records of both JSON files are counted: all of mix twice,
    # less the broken and the cut record.
    want_records = 2 * len(lines) - 2
    if rep["records"] != want_records:
        fail(f"errors: {rep['records']} records counted, expected {want_records}")
    if rep["errors"] != 3:
        fail(f"errors: {rep['errors']} errors reported, expected 3")
    inputs = {row["path"]: row for row in rep["tables"]["inputs"]["rows"]}
    if inputs.get(bad, {}).get("errors") != 2 or inputs.get(garbage, {}).get("errors") != 1 or \
            inputs.get(good, {}).get("records") != len(lines):
        fail(f"errors: inputs table {inputs}")
    md = open(os.path.join(out, "report.md")).read()
    if "error(s) in 2 input file(s)" not in md:
        fail("errors: report.md does not say that inputs had errors")
    # Tables over the good file alone equal the truth.
    rep, _ = report(tunprobe, out, [good], "--no-charts", tag="errors-good")
    if rep:
        compare("errors-good", rep, expected_tables(mix_flows))
    # Usage errors: one line, exit 2.
    for args, what in (([os.path.join(work, "nonexistent.json")], "no such file"), ([good, "--top", "0"], "--top"),
                       ([good, "--exact-limit", "x"], "exact-limit"), (["pcap:" + good], "unknown prefix"), ([], "input")):
        r = run([tunprobe, "report", *args, "--out", out])
        lines_err = r.stderr.strip().splitlines()
        if r.returncode != 2 or len(lines_err) != 1 or what not in lines_err[0]:
            fail(f"errors: tunprobe report {args}: exit {r.returncode}, stderr {r.stderr.strip()!r}")
    # Random damage: never a crash, always a report, printable errors.
    data = open(mix_json, "rb").read()
    rng = random.Random(2027)
    for i in range(20):
        b = bytearray(data)
        for _ in range(rng.randint(1, 12)):
            b[rng.randrange(len(b))] = rng.randrange(256)
        path = os.path.join(work, "fuzzed.json")
        with open(path, "wb") as f:
            f.write(b)
        r = subprocess.run([tunprobe, "report", "json:" + path, "--out", out, "--no-charts", "--progress", "0"],
                           capture_output=True, timeout=60)
        if r.returncode not in (0, 1) or not r.stderr.isascii():
            fail(f"json-fuzz: case {i}: exit {r.returncode}: {r.stderr[-300:]!r}")
            break
    print("ok errors: broken and cut lines, garbage file, 20 damaged files, usage errors")


def profile_case(tunprobe, work, exp):
    """The flowmon and nfdump export profiles, read back."""
    pcap = os.path.join(work, "mix.pcap")
    for profile in ("flowmon", "nfdump"):
        path = os.path.join(work, f"mix.{profile}.ipfix")
        r = run([tunprobe, "run", "-i", "pcap:" + pcap, "-o", f"ipfix:{path}?profile={profile}"])
        if r.returncode != 0:
            fail(f"profiles: run with profile {profile}: {r.stderr.strip()}")
            continue
        out = os.path.join(work, f"rep-{profile}")
        rep, _ = report(tunprobe, out, [path], "--no-charts", tag=profile)
        if not rep:
            continue
        t = rep["tables"]
        if profile == "flowmon":
            # Tunneled records in CESNET's elements: the same addresses and
            # flows (bytes are the outer packets', servers and relays absent).
            for tid, keys in (("table1_addresses", ("addresses", "share")), ("table2_6to4", ("native", "tunneled")),
                              ("table3_global", ("native", "tunneled")), ("table5_tunnels", ("flows", "packets")),
                              ("table4_traffic", ("flows", "packets"))):
                for g, e in zip(t[tid]["rows"], exp[tid]):
                    for k in keys:
                        if g[k] != e[k]:
                            fail(f"flowmon: {tid} {list(e.values())[0]} {k}: {g[k]}, expected {e[k]}")
        else:
            kinds = {row["traffic"]: row for row in t["table4_traffic"]["rows"]}
            e4 = {row["traffic"]: row for row in exp["table4_traffic"]}
            if rep["recordsWithoutTunnelElements"] != rep["records"] or \
                    not any("carry no tunnel elements" in s for s in rep["summary"]):
                fail("nfdump: records without tunnel elements not reported")
            if kinds["tunneled"]["flows"] != 0 or kinds["ipv4"]["flows"] != e4["ipv4"]["flows"] or \
                    kinds["native"]["flows"] != e4["native"]["flows"] + e4["tunneled"]["flows"]:
                fail(f"nfdump: table 4 {kinds}")
        print(f"ok profiles: {profile}")


def ipfix_messages(data):
    """(offset, length, records) of each message; records counted from the
    templates' field lengths."""
    out, lengths, off = [], {}, 0
    while off + 16 <= len(data):
        length = struct.unpack_from("!H", data, off + 2)[0]
        records, p = 0, off + 16
        while p + 4 <= off + length:
            sid, slen = struct.unpack_from("!HH", data, p)
            if sid == 2:
                q = p + 4
                while q + 4 <= p + slen:
                    tid, count = struct.unpack_from("!HH", data, q)
                    q, size = q + 4, 0
                    for _ in range(count):
                        ie, ln = struct.unpack_from("!HH", data, q)
                        q += 8 if ie & 0x8000 else 4
                        size += ln
                    lengths[tid] = size
            elif sid >= 256:
                records += (slen - 4) // lengths[sid]
            p += slen
        out.append((off, length, records))
        off += length
    return out


def ipfix_error_case(tunprobe, work, mix_ipfix, relay_json, relay_flows):
    data = open(mix_ipfix, "rb").read()
    msgs = ipfix_messages(data)
    if len(msgs) < 2:
        fail(f"ipfix-errors: {mix_ipfix} has {len(msgs)} message(s); the cases need two")
        return
    (o1, l1, n1), (o2, l2, n2) = msgs[0], msgs[1]
    first_set = o2 + 16
    cases = {
        # name: (bytes, expected stderr text, records read)
        "cut": (data[:o2 + l2 // 2], f"offset {o2}: truncated: message 2 announces {l2} bytes", n1),
        "header": (data[:o2] + b"\x00\x09" + data[o2 + 2:], f"offset {o2}: message 2: not an IPFIX message header", n1),
        "template": (data[:first_set] + b"\x03\xe7" + data[first_set + 2:],
                     f"offset {first_set}: message 2: data set of template 999", None),
    }
    out = os.path.join(work, "rep-ipfix-errors")
    for name, (body, want, records) in cases.items():
        path = os.path.join(work, f"broken-{name}.ipfix")
        with open(path, "wb") as f:
            f.write(body)
        rep, r = report(tunprobe, out, [path, relay_json], "--no-charts", expect_rc=1, tag=f"ipfix-{name}")
        if not rep:
            continue
        if f"{path}: {want}" not in r.stderr:
            fail(f"ipfix-{name}: stderr lacks {path}: {want!r}: {r.stderr.strip()}")
        got = {row["path"]: row for row in rep["tables"]["inputs"]["rows"]}
        if records is not None and got[path]["records"] != records:
            fail(f"ipfix-{name}: {got[path]['records']} records read, expected {records}")
        if records is None and not (n1 <= got[path]["records"] < n1 + n2):  # that set's records lost
            fail(f"ipfix-{name}: {got[path]['records']} records read, expected between {n1} and {n1 + n2}")
        if got[relay_json]["records"] != len(relay_flows):
            fail(f"ipfix-{name}: the other input was not read ({got[relay_json]})")
    # Random damage: never a crash, always a report.
    rng = random.Random(2026)
    for i in range(40):
        b = bytearray(data)
        for _ in range(rng.randint(1, 8)):
            b[rng.randrange(len(b))] = rng.randrange(256)
        if rng.random() < 0.3:
            b = b[:rng.randrange(len(b))]
        path = os.path.join(work, "fuzzed.ipfix")
        with open(path, "wb") as f:
            f.write(b)
        r = subprocess.run([tunprobe, "report", path, "--out", out, "--no-charts", "--progress", "0"],
                           capture_output=True, timeout=60)
        if r.returncode not in (0, 1) or not r.stderr.isascii() or \
                not os.path.exists(os.path.join(out, "report.json")):
            fail(f"ipfix-fuzz: case {i}: exit {r.returncode}: {r.stderr[-300:]!r}")
            break
    print("ok ipfix-errors: cut, broken header, unknown template, 40 damaged files")


def check_headline(tag, rep, exp, out):
    """The report's first paragraph: the flows by kind, the share of IPv6
    hidden in tunnels and the top tunnel, from the ground truth; the HTML's
    contents and folded rules, the Markdown's contents."""
    k = {row["traffic"]: row for row in exp["table4_traffic"]}
    v4, nat, tun = k["ipv4"], k["native"], k["tunneled"]

    def pct(a, b):
        return 100.0 * a / b if b else 0.0
    want = (f"**In short:** {v4['flows'] + nat['flows'] + tun['flows']:,} flows: {v4['flows']:,} IPv4, "
            f"{nat['flows']:,} native IPv6 and {tun['flows']:,} IPv6 in tunnels, that is "
            f"{pct(tun['flows'], nat['flows'] + tun['flows']):.1f} % of the IPv6 flows and "
            f"{pct(tun['bytes'], nat['bytes'] + tun['bytes']):.1f} % of the IPv6 bytes hidden in tunnels")
    rows = [r for r in exp["table5_tunnels"] if r["tunnel"] != "total"]
    best = max(rows, key=lambda r: r["flows"]) if rows else None  # the first of equal ones, in table order
    if best and best["flows"]:
        want += (f"; the most used tunnel is {LABELS[best['tunnel']]} ({best['flows']:,} flows, "
                 f"{pct(best['flows'], tun['flows']):.1f} % of the tunneled ones)")
    want += "."
    gen = [s for s in rep["summary"] if s.startswith("Generated ")]
    if len(gen) != 1 or not re.match(r"Generated \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} UTC by tunprobe \S+ from `", gen[0]):
        fail(f"{tag}: provenance line {gen}")
    if rep["summary"][0] != want:
        fail(f"{tag}: headline {rep['summary'][0]!r}, expected {want!r}")
    html = open(os.path.join(out, "index.html")).read()
    if '<details id="counting-rules">' not in html or '<a href="#table4_traffic">' not in html:
        fail(f"{tag}: index.html has no contents or no folded counting rules")
    md = open(os.path.join(out, "report.md")).read()
    if "[Table 4: Traffic](#table4_traffic)" not in md and "(#table4_traffic)" not in md:
        fail(f"{tag}: report.md has no contents")


def main():
    tunprobe, gen, charts, work = sys.argv[1:5]
    os.makedirs(work, exist_ok=True)
    subprocess.run(["/usr/bin/python3", gen, "--out", work], check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    truths, jsons, ipfix = {}, {}, {}
    for name in ("mix", "relay", "sixrd"):
        truths[name] = json.load(open(os.path.join(work, name + ".truth.json")))
        jsons[name] = os.path.join(work, name + ".json")
        ipfix[name] = os.path.join(work, name + ".ipfix")
        r = run([tunprobe, "run", "-i", "pcap:" + os.path.join(work, name + ".pcap"), "-o", "json:" + jsons[name],
                 "-o", "ipfix:" + ipfix[name]] + truths[name].get("decodeArgs", []))
        if r.returncode != 0:
            fail(f"run {name}: exit {r.returncode}: {r.stderr.strip()}")
            return 1
        records = sum(1 for _ in open(jsons[name]))
        if records != truths[name]["summary"]["flows"]:
            fail(f"run {name}: {records} records, truth has {truths[name]['summary']['flows']} flows")

    # One capture, one day.
    mix_flows = truth_flows(truths["mix"])
    exp = expected_tables(mix_flows)
    out = os.path.join(work, "rep-one")
    rep, _ = report(tunprobe, out, ["json:" + jsons["mix"]], "--charts-script", charts, tag="one")
    if rep:
        compare("one", rep, exp)
        check_headline("one", rep, exp, out)
        check_markdown("one", open(os.path.join(out, "report.md")).read(), exp, False)
        check_charts("one", out, 1, exp)
        csv = open(os.path.join(out, "table4_traffic.csv")).read().splitlines()
        want = f"ipv4,IPv4,{exp['table4_traffic'][0]['flows']},"
        if csv[0] != "traffic,label,flows,flowShare,packets,packetShare,bytes,byteShare" or not csv[1].startswith(want):
            fail(f"one: table4_traffic.csv: {csv[:2]}")
        print(f"ok one: mix, {len(mix_flows)} flows, {len(exp)} tables equal the ground truth")
    rep, _ = report(tunprobe, out, ["ipfix:" + ipfix["mix"]], "--no-charts", tag="one-ipfix")
    if rep:
        compare("one-ipfix", rep, exp)
        if rep["tables"]["inputs"]["rows"][0]["format"] != "ipfix" or rep["recordsWithoutTunnelElements"] != 0:
            fail(f"one-ipfix: inputs {rep['tables']['inputs']['rows']}")
        print("ok one-ipfix: the same tables from tunprobe's IPFIX")
    profile_case(tunprobe, work, exp)

    # Several inputs over three days, a directory among them.
    shifted_dir = os.path.join(work, "rotated")
    shutil.rmtree(shifted_dir, ignore_errors=True)
    os.makedirs(os.path.join(shifted_dir, "day2"))
    shifted(jsons["mix"], os.path.join(shifted_dir, "day2", "mix+1.json"), 1)
    shifted(jsons["relay"], os.path.join(shifted_dir, "relay+2.json"), 2)
    with open(os.path.join(shifted_dir, ".partial.json"), "w") as f:
        f.write("{not read: dot-files are skipped\n")
    flows = (truth_flows(truths["mix"]) + truth_flows(truths["relay"]) + truth_flows(truths["sixrd"])
             + truth_flows(truths["mix"], 1) + truth_flows(truths["relay"], 2))
    exp = expected_tables(flows)
    out = os.path.join(work, "rep-days")
    rep, _ = report(tunprobe, out, [ipfix["mix"], jsons["relay"], ipfix["sixrd"], shifted_dir], "--per-day",
                    "--charts-script", charts, tag="days")
    if rep:
        compare("days", rep, exp)
        md = open(os.path.join(out, "report.md")).read()
        check_markdown("days", md, exp, True)
        if rep["days"] != ["2026-01-01", "2026-01-02", "2026-01-03"]:
            fail(f"days: days {rep['days']}")
        for title in ("## Unique IPv6 addresses per day", "## Traffic per day"):
            if title not in md:
                fail(f"days: --per-day: report.md has no {title!r}")
        check_charts("days", out, 3, exp)
        print(f"ok days: 5 inputs over 3 days, {len(flows)} flows, tables equal the ground truth")

    # The charts script on its own, headless.
    env = dict(os.environ, MPLBACKEND="Agg")
    env.pop("DISPLAY", None)
    shutil.rmtree(os.path.join(out, "charts"), ignore_errors=True)
    r = run([charts, out], env=env)
    if r.returncode != 0:
        fail(f"charts: {charts} {out}: exit {r.returncode}: {r.stderr.strip()}")
    else:
        check_charts("charts", out, 3, exp)
        print("ok charts: 7 charts, titles, bar and label counts")

    error_case(tunprobe, work, jsons["mix"], mix_flows)
    ipfix_error_case(tunprobe, work, ipfix["mix"], jsons["relay"], truth_flows(truths["relay"]))
    hll_case(tunprobe, work)
    return 1 if errors else 0


if __name__ == "__main__":
    rc = main()
    print(f"{len(errors)} mismatch(es)" if errors else "all report checks passed")
    sys.exit(rc)
