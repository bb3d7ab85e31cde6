#!/usr/bin/python3
"""Golden test: tunprobe's tunnel decoding against tshark's.

    check_tshark.py TUNPROBE GEN_SCRIPT WORKDIR
    check_tshark.py TUNPROBE --pcap FILE [DECODE_ARGS...]

The first form runs GEN_SCRIPT --out WORKDIR and checks every capture it
wrote (with the decodeArgs of its NAME.truth.json); the second checks one
capture, e.g. a real one, decoded with DECODE_ARGS.

For every packet that `tunprobe decode` reports as a tunnel (tunnelType not
"none") with verdict "ok", tshark's first IPv6 header of the frame (the inner
packet: the outer header is IPv4) must have the same source and destination,
and the transport header that follows it the same ports (TCP, UDP, SCTP) or
ICMPv6 type and code, and TCP flags. Where the frame holds one IPv6 header
these must agree too: VLAN ids, the outer IPv4 addresses, the Teredo outer
ports, server, client address and port, authentication header and origin
indication, the 6to4 / ISATAP embedded IPv4 addresses, IPv6 total length and
hop limit. tshark runs with the Teredo heuristic on
(--enable-heuristic teredo_udp; tshark 4.0 has no teredo.* preference) and
with IPv4/IPv6 reassembly off, so that each frame is dissected alone; Teredo
ports other than 3544 given in --teredo-ports become "-d udp.port==P,teredo".

Packets tshark decodes as IPv6 inside IPv4 while tunprobe says no tunnel are
printed as notes (tunprobe's false negatives or tshark's false positives, to
be judged by hand); they do not fail the test. Exits 1 on any mismatch, 77
(meson's "skipped") when tshark is not installed.
"""

import glob
import json
import os
import shutil
import socket
import subprocess
import sys

FIELDS = ["frame.number", "frame.protocols", "vlan.id", "ip.src", "ip.dst", "ipv6.src", "ipv6.dst", "ipv6.plen",
          "ipv6.hlim", "tcp.srcport", "tcp.dstport", "tcp.flags", "udp.srcport", "udp.dstport", "sctp.srcport",
          "sctp.dstport", "icmpv6.type", "icmpv6.code", "teredo.auth.nonce", "teredo.orig.addr", "teredo.orig.port",
          "ipv6.src_ts_ipv4", "ipv6.src_tc_ipv4", "ipv6.src_tc_port", "ipv6.dst_ts_ipv4", "ipv6.dst_tc_ipv4",
          "ipv6.dst_tc_port", "ipv6.src_6to4_gw_ipv4", "ipv6.dst_6to4_gw_ipv4", "ipv6.src_isatap_ipv4",
          "ipv6.dst_isatap_ipv4"]
TRANSPORTS = ("tcp", "udp", "sctp", "icmpv6")


def norm6(text):
    return socket.inet_ntop(socket.AF_INET6, socket.inet_pton(socket.AF_INET6, text))


def tshark_args(decode_args):
    args = ["--enable-heuristic", "teredo_udp", "-o", "ip.defragment:FALSE", "-o", "ipv6.defragment:FALSE"]
    if "--teredo-ports" in decode_args:
        for port in decode_args[decode_args.index("--teredo-ports") + 1].split(","):
            if port != "3544":
                args += ["-d", f"udp.port=={port},teredo"]
    return args


def run_tshark(pcap, decode_args):
    cmd = ["tshark", "-n", "-r", pcap, *tshark_args(decode_args), "-T", "fields", "-E", "separator=/t",
           "-E", "occurrence=a", "-E", "aggregator=,"]
    for f in FIELDS:
        cmd += ["-e", f]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)}: exit {proc.returncode}: {proc.stderr}")
    rows = []
    for line in proc.stdout.splitlines():
        cols = line.split("\t")
        cols += [""] * (len(FIELDS) - len(cols))
        rows.append({f: (c.split(",") if c else []) for f, c in zip(FIELDS, cols)})
    return rows


def decode(tunprobe, pcap, args):
    proc = subprocess.run([tunprobe, "decode", pcap, "--quiet", *args], capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{tunprobe} decode {pcap}: exit {proc.returncode}: {proc.stderr}")
    return [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]


def first(row, field, conv=str):
    values = row[field]
    return conv(values[0]) if values else None


def tshark_inner(row):
    """What tshark found in the first IPv6 header of the frame and in the
    transport header right after it: dict, or None when no IPv6 header."""
    protos = row["frame.protocols"][0].split(":") if row["frame.protocols"] else []
    if "ipv6" not in protos or not row["ipv6.src"] or not row["ipv6.dst"]:
        return None
    start = protos.index("ipv6")
    out = {"src": norm6(row["ipv6.src"][0]), "dst": norm6(row["ipv6.dst"][0]),
           "in_ipv4": "ip" in protos[:start], "transport": None, "tcp_flags": None}
    for i in range(start + 1, len(protos)):
        if protos[i] in TRANSPORTS:
            name = protos[i]
            nth = protos[:i].count(name)  # occurrence index of this header's fields
            if name == "icmpv6":
                t, c = row["icmpv6.type"], row["icmpv6.code"]
                if nth < len(t) and nth < len(c):
                    out["transport"] = (name, int(t[nth]), int(c[nth]))
            else:
                s, d = row[name + ".srcport"], row[name + ".dstport"]
                if nth < len(s) and nth < len(d):
                    out["transport"] = (name, int(s[nth]), int(d[nth]))
                if name == "tcp" and nth < len(row["tcp.flags"]):
                    out["tcp_flags"] = int(row["tcp.flags"][nth], 16) & 0xFF
            break
    return out


def tshark_view(row, p):
    """tshark's values for the tunnel and header keys tunprobe prints, for a
    frame with exactly one IPv6 header (else only what is unambiguous)."""
    v = {}
    vlans = [int(x) for x in row["vlan.id"]]
    v["vlanId"] = vlans[0] if vlans else None
    v["dot1qCustomerVlanId"] = vlans[1] if len(vlans) > 1 else None
    v["tunnelSourceIPv4Address"] = first(row, "ip.src")
    v["tunnelDestinationIPv4Address"] = first(row, "ip.dst")
    if len(row["ipv6.src"]) != 1:
        return v
    v["ipTotalLength"] = 40 + first(row, "ipv6.plen", int)
    v["ipTTL"] = first(row, "ipv6.hlim", int)
    tt = p["tunnelType"]
    if tt == "teredo":
        v["tunnelSourceTransportPort"] = first(row, "udp.srcport", int)
        v["tunnelDestinationTransportPort"] = first(row, "udp.dstport", int)
        end = "src" if row["ipv6.src_ts_ipv4"] else "dst"
        v["teredoServerIPv4Address"] = first(row, f"ipv6.{end}_ts_ipv4")
        v["teredoClientIPv4Address"] = first(row, f"ipv6.{end}_tc_ipv4")
        v["teredoClientPort"] = first(row, f"ipv6.{end}_tc_port", int)
        v["teredoAuth"] = bool(row["teredo.auth.nonce"])
        v["teredoOrigin"] = bool(row["teredo.orig.addr"])
        v["teredoOriginIPv4Address"] = first(row, "teredo.orig.addr")
        v["teredoOriginPort"] = first(row, "teredo.orig.port", int)
    elif tt in ("6to4", "isatap"):
        kind = "6to4_gw" if tt == "6to4" else "isatap"
        v["embeddedSourceIPv4Address"] = first(row, f"ipv6.src_{kind}_ipv4")
        v["embeddedDestinationIPv4Address"] = first(row, f"ipv6.dst_{kind}_ipv4")
    return v


def check(tunprobe, pcap, decode_args, report, note):
    got = decode(tunprobe, pcap, decode_args)
    rows = run_tshark(pcap, decode_args)
    name = os.path.basename(pcap)
    if len(got) != len(rows):
        report(name, "-", "packet count", len(got), len(rows))
    compared = 0
    for p, row in zip(got, rows):
        idx = p["index"]
        inner = tshark_inner(row)
        tunnel = p.get("tunnelType", "none") != "none"
        if not tunnel:
            if inner and inner["in_ipv4"] and p.get("ipVersion") == 4:  # decoded, not dropped
                note(name, idx, f"tshark sees IPv6 {inner['src']} -> {inner['dst']} inside IPv4; tunprobe: "
                                f"verdict {p['verdict']}, no tunnel")
            continue
        if p["verdict"] != "ok":
            continue
        compared += 1
        if inner is None:
            report(name, idx, "ipv6", f"{p['sourceIPv6Address']} -> {p['destinationIPv6Address']}", "no IPv6")
            continue
        if inner["src"] != p["sourceIPv6Address"]:
            report(name, idx, "sourceIPv6Address", p["sourceIPv6Address"], inner["src"])
        if inner["dst"] != p["destinationIPv6Address"]:
            report(name, idx, "destinationIPv6Address", p["destinationIPv6Address"], inner["dst"])
        t = inner["transport"]
        if "sourceTransportPort" in p:
            ports = (p["sourceTransportPort"], p["destinationTransportPort"])
            if t is None or t[0] == "icmpv6" or t[1:] != ports:
                report(name, idx, "ports", ports, t)
        elif "icmpTypeIPv6" in p:
            tc = (p["icmpTypeIPv6"], p["icmpCodeIPv6"])
            if t is None or t[0] != "icmpv6" or t[1:] != tc:
                report(name, idx, "icmpv6 type/code", tc, t)
        elif t is not None and not p.get("fragmentOffset"):
            report(name, idx, "transport", None, t)
        if "tcpControlBits" in p and inner["tcp_flags"] is not None and inner["tcp_flags"] != p["tcpControlBits"]:
            report(name, idx, "tcpControlBits", p["tcpControlBits"], inner["tcp_flags"])
        for key, value in tshark_view(row, p).items():
            if p.get(key) != value:
                report(name, idx, key, p.get(key), value)
    return compared


def main(argv):
    if len(argv) < 4 or (argv[2] != "--pcap" and len(argv) != 4):
        print(__doc__, file=sys.stderr)
        return 2
    if shutil.which("tshark") is None:
        print("tshark not found: skipped")
        return 77
    tunprobe = argv[1]
    mismatches, notes = [], []

    def report(capture, index, key, tunprobe_value, tshark_value):
        mismatches.append(1)
        print(f"{capture} #{index} {key}: tunprobe {tunprobe_value}, tshark {tshark_value}")

    def note(capture, index, text):
        notes.append(1)
        print(f"note: {capture} #{index}: {text}")

    jobs = []
    if argv[2] == "--pcap":
        jobs.append((argv[3], argv[4:]))
    else:
        gen, workdir = argv[2], argv[3]
        os.makedirs(workdir, exist_ok=True)
        subprocess.run([sys.executable, gen, "--out", workdir], check=True)
        for path in sorted(glob.glob(os.path.join(workdir, "*.truth.json"))):
            with open(path) as f:
                truth = json.load(f)
            jobs.append((os.path.join(workdir, truth["capture"]), truth["decodeArgs"]))
    compared = 0
    for pcap, args in jobs:
        compared += check(tunprobe, pcap, args, report, note)
    print(f"{compared} tunnel packets compared with tshark, {len(mismatches)} mismatches, {len(notes)} notes")
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
