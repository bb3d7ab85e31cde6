#!/usr/bin/python3
"""Golden test: tunprobe's tunnel decoding against tshark's.

    check_tshark.py TUNPROBE GEN_SCRIPT WORKDIR
    check_tshark.py TUNPROBE --pcap FILE [DECODE_ARGS...]

The first form runs GEN_SCRIPT --out WORKDIR and checks every capture it
wrote (with the decodeArgs of its NAME.truth.json); the second checks one
capture, e.g. a real one, decoded with DECODE_ARGS.

For every packet that `tunprobe decode` reports as a tunnel (tunnelType not
"none") with a flow verdict of a carrier over IPv4, tshark's first IPv6
header of the frame (the inner packet) must have the same source and
destination; with verdict "ok" the transport header that follows it must
have the same ports (TCP, UDP, SCTP) or ICMPv6 type and code, and TCP flags
(with another flow verdict, a cut or malformed transport header, whatever
both print). Where the frame holds one IPv6 header these must agree too:
VLAN ids, the outer IPv4 addresses, the outer ports of the UDP carriers
(Teredo, AYIYA, IPv6 in UDP), the Teredo server, client address and port,
authentication header and origin indication, the 6to4 / ISATAP embedded
IPv4 addresses, the GRE key, IPv6 total length and hop limit. IPv4 in GRE
(gre-ipv4) and in AYIYA (next header 4) is compared the same way on the
IPv4 header right after tshark's GRE or AYIYA header: addresses, ports or
ICMP type and code, TCP flags, total length and TTL, with the outer
addresses and the GRE key or the outer ports.

The tunnels carried directly in IPv6 (RFC 2473; Linux ip6tnl, DS-Lite):
for ipv6-in-ipv6 the inner packet is tshark's second IPv6 header (the
first is the outer one), for ipv4-in-ipv6 the IPv4 header after the outer
IPv6 header, past its extension headers either way. The inner addresses,
ports or ICMP type and code, TCP flags, total length and hop limit / TTL
are compared as above, and the outer IPv6 addresses with
tunnelSourceIPv6Address / tunnelDestinationIPv6Address.

tshark runs with IPv4/IPv6 reassembly off, so that each frame is dissected
alone, and with the Teredo heuristic on (--enable-heuristic teredo_udp;
tshark 4.0 has no teredo.* preference) unless the capture is decoded with
--teredo-detect ports; Teredo ports other than 3544 given in
--teredo-ports become "-d udp.port==P,teredo".

tshark has no dissector for IPv6 directly in UDP (draft-ebalard-mext-m6t,
tunprobe's ipv6-udp): its Teredo heuristic takes such a datagram on a port
no other dissector owns, and on a port one does (UDP 4500, IPsec NAT
traversal) tshark is run a second time with "-d udp.port==P,teredo" for
the lower port of each ipv6-udp packet it did not decode: Teredo without
its optional headers is that framing, an IPv6 packet as the UDP payload.

Mirrored packets (decoded with --mirror: they print "mirrorType"): tshark
dissects VXLAN (UDP 4789, and the ports of --vxlan-ports), ERSPAN types I, II
and III and Ethernet in GRE (0x6558). The mirror header must agree (VXLAN;
ERSPAN version 1 for type II, 2 for type III, none for type I; Ethernet
bridging) and its session with observationPointId (the VNI, the ERSPAN
session id, the GRE key or 0); the mirrored frame that tshark dissects after
it is then compared as a frame of its own: the same checks as above for a
tunnel inside it, and for any other IP packet in it the addresses, the
protocol, ports or ICMP type and code, TCP flags, total length and TTL; its
VLAN ids for all of them. A mirrored frame that tshark does not dissect
(ERSPAN III's frame type 2, a bare IP packet, in tshark 4.0) is skipped, with
its reason, and counted. A packet that tunprobe does not take from its mirror
(no --mirror for its kind, a failed check) is compared on what tshark
dissects before the mirrored frame: the outer packet.

A packet that tshark decodes as IPv6 inside IPv4, as IPv4 right after a
GRE or AYIYA header, or as an IP header (with its addresses) right after
an IPv6 header and its extension headers, while tunprobe says no tunnel is
a mismatch too. The one
exception is KNOWN below: packets, named by capture and by the generator's
"case" note, on which tunprobe and tshark 4.0 knowingly disagree, each with
its reason; an entry that no packet uses any more is itself a mismatch, so
the table cannot go stale. (With --pcap there are no case notes: every
disagreement is reported.)

Exits 1 on any mismatch, 77 (meson's "skipped") when tshark is not
installed.
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
          "ipv6.dst_isatap_ipv4", "gre.key", "ip.len", "ip.ttl", "icmp.type", "icmp.code", "ieee8021ad.id",
          "ip.proto", "gre.flags.key", "vxlan.vni", "erspan.version", "erspan.spanid", "erspan.ft"]
TRANSPORTS = ("tcp", "udp", "sctp", "icmpv6")
TRANSPORTS4 = ("tcp", "udp", "sctp", "icmp")

# (capture, case) -> why tunprobe and tshark 4.0 disagree on that packet.
# Tunnel types carried in UDP (tunprobe's tunnel table): their outer ports.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts"))
import tunnel_types  # noqa: E402
UDP_CARRIED = {t["name"]: t["carrier"] == "ipv4_udp" for t in tunnel_types.TYPES}
# Tunnel types carried in GRE: the outer addresses and the key.
GRE_CARRIED = {t["name"] for t in tunnel_types.TYPES if t["carrier"] == "ipv4_gre"}
# Tunnel types carried directly in IPv6 (RFC 2473: ipv6-in-ipv6, ipv4-in-ipv6):
# the outer IPv6 addresses.
IPV6_CARRIED = {t["name"] for t in tunnel_types.TYPES if t["carrier"] == "ipv6"}

KNOWN = {
    ("carriers.pcap", "ayiya echo request and forward (op 3) carrying a ping"):
        "tshark's AYIYA dissector hands only opcode 1 (forward) to IP; the draft's opcode 3 (echo request and "
        "forward) carries a packet too",
    ("carriers.pcap", "ayiya carrying ipv4 with a byte after it: the udp flow"):
        "tshark dissects AYIYA's payload without checking the IPv4 total length against the UDP length "
        "(tunprobe: ayiya_length_mismatch, an IPv4 UDP flow)",
    ("carriers.pcap", "ayiya with a byte after the ipv6 packet"):
        "tshark dissects AYIYA's payload without checking the IPv6 length against the UDP length (tunprobe: "
        "ayiya_length_mismatch, an IPv4 flow)",
    ("mix.pcap", "udp 3544, ipv6 payload length > udp"):
        "tshark dissects anything on port 3544 as Teredo without checking lengths; RFC 4380 5.1.1 wants the "
        "IPv6 packet to fit the datagram (tunprobe: teredo_length_mismatch, an IPv4 flow)",
    ("mix.pcap", "protocol 41, ipv6 payload length beyond the ipv4 packet"):
        "tshark dissects protocol 41 without checking the IPv6 payload length against the IPv4 payload "
        "(tunprobe: proto41_length_mismatch, an IPv4 flow)",
    ("mix.pcap", "teredo echo with a neighbor discovery option trailer (RFC 6081 4.4), by content on mapped ports"):
        "tshark 4.0's Teredo heuristic wants the IPv6 packet to fill the datagram exactly: it knows no RFC 6081 "
        "trailers, which tunprobe parses",
    ("relay.pcap", "peer bubble to the second relay with a nonce trailer, ephemeral ports"):
        "tshark 4.0's Teredo heuristic knows no RFC 6081 trailers (see above)",
    ("mix.pcap", "teredo, inner mobility header then tcp"):
        "tshark 4.0 ends the IPv6 header chain at a Mobility header (RFC 6275 6.1.1: its payload proto SHOULD be "
        "59); tunprobe walks every header of the IANA registry (RFC 7045) and finds the TCP ports",
    ("relay.pcap", "ipv6 in udp without a 2001:0:: address: ipv4"):
        "tshark's heuristic takes any IPv6 packet with a matching length; tunprobe also wants a Teredo end "
        "(2001:0::/32 or a qualification link-local address, RFC 4380 4 and 5.2.1), and looks for IPv6 in UDP "
        "of other kinds (ipv6-udp) only when asked (--ipv6-udp-detect, --ipv6-udp-ports)",
    ("relay.pcap", "teredo-addressed payload with next header 99 (no ipv6 packet starts so): ipv4"):
        "tshark's heuristic does not look at the next header; tunprobe wants one an IPv6 packet starts with",
    ("relay.pcap", "router solicitation from a link-local address that is not teredo's: ipv4"):
        "tshark's heuristic does not look at the addresses; fe80::8000:ffff:ffff:fffe is none of RFC 4380 "
        "5.2.1's link-local addresses",
    ("carriers.pcap", "version 6 in udp, payload length one byte beyond the datagram, on port 4500: plain udp"):
        "tshark has no dissector for IPv6 in UDP; its Teredo dissector, given port 4500 here (see above), does "
        "not compare the IPv6 payload length with the datagram (tunprobe: the UDP flow)",
    ("carriers.pcap", "ipv6 in udp from a multicast source: plain udp"):
        "tshark's Teredo heuristic does not look at the addresses; an IPv6 packet from a multicast source "
        "(ff05::1:3) is no packet a host sends into a tunnel (RFC 4291 2.7), so tunprobe keeps the UDP flow",
    ("carriers.pcap", "gre with the RFC 1701 routing bit and a source route: gre_bad_header"):
        "tshark parses RFC 1701's routing fields and dissects the payload; RFC 2784 2.3 has a receiver "
        "discard a packet with the R bit set (tunprobe: gre_bad_header, the IPv4 flow of protocol 47)",
    ("carriers.pcap", "gre with RFC 1701's strict source route bit (bit 4): gre_bad_header"):
        "tshark dissects the payload whatever RFC 1701's bits say; RFC 2784 2.3 has a receiver discard a "
        "packet with any of bits 1-5 set (tunprobe: gre_bad_header)",
    ("carriers.pcap", "gre protocol type ipv4 carrying ipv6: gre_bad_payload"):
        "tshark's IPv4 dissector hands a header of version 6 to IPv6; the GRE protocol type (0x0800) says "
        "IPv4 (tunprobe: gre_bad_payload, the IPv4 flow of protocol 47)",
    ("carriers.pcap", "gre ipv6 whose payload length exceeds the gre payload: gre_bad_payload"):
        "tshark dissects an IPv6 header in GRE without checking its payload length against the GRE payload "
        "(tunprobe: gre_bad_payload)",
    ("carriers.pcap", "gre ipv4 whose inner total length exceeds the gre payload: gre_bad_payload"):
        "tshark dissects an IPv4 header in GRE whose total length exceeds the GRE payload (it flags it "
        "malformed; tunprobe: gre_bad_payload)",
    ("carriers.pcap", "next header 4, inner ipv4 options cut by the capture (22 of ihl 6's 24 bytes): "
                      "ip6tnl_truncated"):
        "tshark dissects the 20 fixed bytes of an IPv4 header whose options the capture cut; tunprobe wants the "
        "whole header (IHL x 4 bytes) captured before it takes the packet for the tunnel (ip6tnl_truncated, the "
        "IPv6 flow of protocol 4)",
    ("carriers.pcap", "next header 41, inner ipv6 payload length beyond the outer payload: ip6tnl_bad_payload"):
        "tshark dissects an IPv6 header in IPv6 without checking its payload length against the outer payload "
        "(it flags it malformed; tunprobe: ip6tnl_bad_payload, the IPv6 flow of protocol 41)",
    ("carriers.pcap", "next header 4, inner ipv4 total length beyond the outer payload: ip6tnl_bad_payload"):
        "tshark dissects an IPv4 header in IPv6 whose total length exceeds the outer payload (it flags it; "
        "tunprobe: ip6tnl_bad_payload, the IPv6 flow of protocol 4)",
    ("carriers.pcap", "next header 4 carrying version 6: ip6tnl_bad_payload"):
        "tshark's IPv4 dissector hands a header of version 6 to IPv6; next header 4 says IPv4 (tunprobe: "
        "ip6tnl_bad_payload, the IPv6 flow of protocol 4)",
}


def norm6(text):
    return socket.inet_ntop(socket.AF_INET6, socket.inet_pton(socket.AF_INET6, text))


def tshark_args(decode_args, ipv6_udp_ports=()):
    args = ["-o", "ip.defragment:FALSE", "-o", "ipv6.defragment:FALSE"]
    ports_only = "--teredo-detect" in decode_args and decode_args[decode_args.index("--teredo-detect") + 1] == "ports"
    if not ports_only:
        args += ["--enable-heuristic", "teredo_udp"]
    if "--teredo-ports" in decode_args:
        for port in decode_args[decode_args.index("--teredo-ports") + 1].split(","):
            if port != "3544":
                args += ["-d", f"udp.port=={port},teredo"]
    for port in sorted(ipv6_udp_ports):
        args += ["-d", f"udp.port=={port},teredo"]
    if "--vxlan-ports" in decode_args:
        for port in decode_args[decode_args.index("--vxlan-ports") + 1].split(","):
            if port != "4789":
                args += ["-d", f"udp.port=={port},vxlan"]
    return args


def run_tshark(pcap, decode_args, ipv6_udp_ports=()):
    cmd = ["tshark", "-n", "-r", pcap, *tshark_args(decode_args, ipv6_udp_ports), "-T", "fields", "-E", "separator=/t",
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


# Carriers after whose header tshark dissects an IPv4 packet: GRE
# (gre-ipv4) and AYIYA (next header 4).
CARRIERS4 = ("gre", "ayiya")


def tshark_inner4(row):
    """What tshark found in the IPv4 header right after the frame's first
    GRE or AYIYA header, and in the transport header after that: dict, or
    None when there is no such header with its addresses."""
    protos = row["frame.protocols"][0].split(":") if row["frame.protocols"] else []
    carrier = next((i for i, x in enumerate(protos) if x in CARRIERS4), None)
    if carrier is None:
        return None
    start = carrier + 1
    if start >= len(protos) or protos[start] != "ip":
        return None
    nth = protos[:start].count("ip")  # the occurrence of this IPv4 header's fields
    if nth >= len(row["ip.src"]) or nth >= len(row["ip.dst"]):
        return None
    out = {"src": row["ip.src"][nth], "dst": row["ip.dst"][nth], "nth": nth, "transport": None, "tcp_flags": None}
    for i in range(start + 1, len(protos)):
        if protos[i] in ("ip", "ipv6"):
            break  # a tunnel inside: the next header is not this packet's transport
        if protos[i] in TRANSPORTS4:
            name = protos[i]
            k = protos[:i].count(name)
            if name == "icmp":
                t, c = row["icmp.type"], row["icmp.code"]
                if k < len(t) and k < len(c):
                    out["transport"] = (name, int(t[k]), int(c[k]))
            else:
                s, d = row[name + ".srcport"], row[name + ".dstport"]
                if k < len(s) and k < len(d):
                    out["transport"] = (name, int(s[k]), int(d[k]))
                if name == "tcp" and k < len(row["tcp.flags"]):
                    out["tcp_flags"] = int(row["tcp.flags"][k], 16) & 0xFF
            break
    return out


def tshark_ip6tnl(row):
    """What tshark found in the IP header that follows the frame's first IP
    header when that one is IPv6 (after its extension headers: RFC 2473's
    inner packet) and in the transport header after it: dict with the outer
    IPv6 pair ("outer_src", "outer_dst"), the inner "version", "src",
    "dst", "len", "ttl", "transport", "tcp_flags"; None when the first IP
    header is not IPv6 or no IP header with its addresses follows it."""
    protos = protocols(row)
    at = next((i for i, name in enumerate(protos) if name in ("ip", "ipv6")), None)
    if at is None or protos[at] != "ipv6" or not row["ipv6.src"] or not row["ipv6.dst"]:
        return None
    k = at + 1
    while k < len(protos) and (protos[k].startswith("ipv6.") or protos[k] == "ah"):
        k += 1  # the outer header's extension headers
    if k >= len(protos) or protos[k] not in ("ip", "ipv6"):
        return None
    if protos[k] == "ip" and protos[k + 1:k + 2] == ["ipv6"] and len(row["ip.src"]) <= protos[:k].count("ip"):
        k += 1  # tshark's IPv4 dissector hands a header of version 6 to IPv6
    v6 = protos[k] == "ipv6"
    pre = "ipv6" if v6 else "ip"
    n = protos[:k].count(pre)  # the occurrence of this header's fields
    if n >= len(row[pre + ".src"]) or n >= len(row[pre + ".dst"]):
        return None

    def nth(field, conv=int):
        values = row[field]
        return conv(values[n]) if n < len(values) else None

    plen = nth("ipv6.plen") if v6 else None
    out = {"outer_src": norm6(row["ipv6.src"][0]), "outer_dst": norm6(row["ipv6.dst"][0]),
           "version": 6 if v6 else 4, "transport": None, "tcp_flags": None,
           "src": norm6(row["ipv6.src"][n]) if v6 else row["ip.src"][n],
           "dst": norm6(row["ipv6.dst"][n]) if v6 else row["ip.dst"][n],
           "len": (None if plen is None else 40 + plen) if v6 else nth("ip.len"),
           "ttl": nth("ipv6.hlim" if v6 else "ip.ttl")}
    icmp = "icmpv6" if v6 else "icmp"
    for i in range(k + 1, len(protos)):
        name = protos[i]
        if name in ("ip", "ipv6"):
            break  # a tunnel inside: the next header is not this packet's transport
        if name in ("tcp", "udp", "sctp", icmp):
            j = protos[:i].count(name)
            if name == icmp:
                t, c = row[icmp + ".type"], row[icmp + ".code"]
                if j < len(t) and j < len(c):
                    out["transport"] = (name, int(t[j]), int(c[j]))
            else:
                sp, dp = row[name + ".srcport"], row[name + ".dstport"]
                if j < len(sp) and j < len(dp):
                    out["transport"] = (name, int(sp[j]), int(dp[j]))
                if name == "tcp" and j < len(row["tcp.flags"]):
                    out["tcp_flags"] = int(row["tcp.flags"][j], 16) & 0xFF
            break
    return out


def compare_ip6tnl(p, row, whole, bad):
    """A packet of a tunnel carried directly in IPv6 (ipv6-in-ipv6,
    ipv4-in-ipv6): the inner packet against tshark's IP header after the
    outer IPv6 header, the outer IPv6 pair against that header's."""
    t = tshark_ip6tnl(row)
    v = "IPv6" if p["ipVersion"] == 6 else "IPv4"
    if t is None or t["version"] != p["ipVersion"]:
        bad(f"tunneled {v}", f"{p.get('source' + v + 'Address')} -> {p.get('destination' + v + 'Address')}",
            "no IP inside IPv6" if t is None else f"IPv{t['version']} inside IPv6")
        return
    view = vlan_view(row)
    view.update({f"source{v}Address": t["src"], f"destination{v}Address": t["dst"], "ipTotalLength": t["len"],
                 "ipTTL": t["ttl"], "tunnelSourceIPv6Address": t["outer_src"],
                 "tunnelDestinationIPv6Address": t["outer_dst"]})
    for key, value in view.items():
        if p.get(key) != value:
            bad(key, p.get(key), value)
    compare_transport(p, t["transport"], whole, v, "icmpv6" if v == "IPv6" else "icmp", bad)
    if "tcpControlBits" in p and t["tcp_flags"] is not None and t["tcp_flags"] != p["tcpControlBits"]:
        bad("tcpControlBits", p["tcpControlBits"], t["tcp_flags"])


def compare_transport(p, t, whole, icmp_key, icmp_name, bad):
    """tunprobe's ports or ICMP type and code against tshark's transport
    header `t` ((name, a, b) or None)."""
    if "sourceTransportPort" in p:
        ports = (p["sourceTransportPort"], p["destinationTransportPort"])
        if (t is None and whole) or (t is not None and (t[0] == icmp_name or t[1:] != ports)):
            bad("ports", ports, t)
    elif "icmpType" + icmp_key in p:
        tc = (p["icmpType" + icmp_key], p["icmpCode" + icmp_key])
        if (t is None and whole) or (t is not None and (t[0] != icmp_name or t[1:] != tc)):
            bad(icmp_name + " type/code", tc, t)
    elif t is not None and not p.get("fragmentOffset") and p["verdict"] != "tunnel_nested":
        bad("transport", None, t)


def vlan_view(row):
    """tshark's VLAN ids in tunprobe's keys: an 802.1ad tag (tshark's
    ieee8021ad) is the outer one."""
    vlans = [int(x) for x in row["ieee8021ad.id"] + row["vlan.id"]]
    return {"vlanId": vlans[0] if vlans else None, "dot1qCustomerVlanId": vlans[1] if len(vlans) > 1 else None}


def tshark_view(row, p):
    """tshark's values for the tunnel and header keys tunprobe prints, for a
    frame with exactly one IPv6 header (else only what is unambiguous)."""
    v = vlan_view(row)
    v["tunnelSourceIPv4Address"] = first(row, "ip.src")
    v["tunnelDestinationIPv4Address"] = first(row, "ip.dst")
    tt = p["tunnelType"]
    if tt in GRE_CARRIED:
        v["greKey"] = first(row, "gre.key", lambda x: int(x, 0))
    if p["ipVersion"] == 4:
        nth = tshark_inner4(row)["nth"]
        v["ipTotalLength"] = int(row["ip.len"][nth]) if nth < len(row["ip.len"]) else None
        v["ipTTL"] = int(row["ip.ttl"][nth]) if nth < len(row["ip.ttl"]) else None
        if UDP_CARRIED.get(tt):
            v["tunnelSourceTransportPort"] = first(row, "udp.srcport", int)
            v["tunnelDestinationTransportPort"] = first(row, "udp.dstport", int)
        return v
    if len(row["ipv6.src"]) != 1:
        return v
    v["ipTotalLength"] = 40 + first(row, "ipv6.plen", int)
    v["ipTTL"] = first(row, "ipv6.hlim", int)
    if UDP_CARRIED.get(tt):
        v["tunnelSourceTransportPort"] = first(row, "udp.srcport", int)
        v["tunnelDestinationTransportPort"] = first(row, "udp.dstport", int)
    if tt == "teredo":
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


# Mirrored frames tshark does not dissect: why, per kind of skip.
MIRROR_SKIPS = {
    "erspan3-ft2": "tshark 4.0's ERSPAN dissector hands on only Ethernet frames: type III's frame type 2 (an IP "
                   "packet, draft-foschiano-erspan-03 4.2) shows as data",
    "no-frame": "tshark dissects no frame after the mirror header",
}
MIRROR_HEADERS = {"vxlan": "vxlan", "erspan": "erspan"}
IPV6_FORMS = {"_ts_ipv4": "teredo", "_tc_ipv4": "teredo", "_tc_port": "teredo", "_6to4_gw_ipv4": "6to4",
              "_isatap_ipv4": "isatap"}


def protocols(row):
    return row["frame.protocols"][0].split(":") if row["frame.protocols"] else []


def mirror_cut(protos):
    """Where tshark's mirrored frame starts in frame.protocols, and the
    mirror's header: after the outer IP header's VXLAN or ERSPAN, or the
    Ethernet right after its GRE header (0x6558). (index, "vxlan" | "erspan"
    | "teb"), or None. Only the outermost IP header carries a mirror."""
    ips = 0
    for i, name in enumerate(protos):
        if name in ("ip", "ipv6"):
            ips += 1
            if ips > 1:
                return None
        elif ips == 1 and name in MIRROR_HEADERS:
            return i + 1, MIRROR_HEADERS[name]
        elif ips == 1 and name == "gre" and protos[i + 1:i + 2] == ["eth"]:
            return i + 1, "teb"
    return None


def ipv6_form(text):
    """The address forms tshark adds fields for (Teredo server and client,
    6to4 gateway, ISATAP IPv4 address)."""
    b = socket.inet_pton(socket.AF_INET6, text)
    if b[:4] == b"\x20\x01\x00\x00":
        return "teredo"
    if b[:2] == b"\x20\x02":
        return "6to4"
    if b[8] & 0xFD == 0 and b[9:12] == b"\x00\x5e\xfe":
        return "isatap"
    return None


def occurrences_before(row, field, head):
    """How many of `field`'s values belong to the headers in `head` (the
    first protocols of frame.protocols): one per header of its protocol, but
    for the fields that only some headers have (the GRE key, the fields
    tshark derives from an IPv6 address's form)."""
    n = head.count(field.split(".")[0])
    if field == "gre.key":
        return sum(1 for x in row["gre.flags.key"][:n] if x in ("1", "True"))
    for suffix, form in IPV6_FORMS.items():
        if field.startswith("ipv6.") and field.endswith(suffix):
            end = "ipv6.src" if field.startswith("ipv6.src_") else "ipv6.dst"
            return sum(1 for a in row[end][:n] if ipv6_form(a) == form)
    return n


def split_row(row, cut):
    """tshark's fields before protocol index `cut` (the mirror) and from it
    on (the mirrored frame), each a row of its own."""
    protos = protocols(row)
    head = protos[:cut]
    outer, inner = {}, {}
    for f in FIELDS:
        if f == "frame.protocols":
            outer[f], inner[f] = [":".join(head)], ([":".join(protos[cut:])] if protos[cut:] else [])
        elif f.startswith("frame."):
            outer[f] = inner[f] = row[f]
        else:
            k = occurrences_before(row, f, head)
            outer[f], inner[f] = row[f][:k], row[f][k:]
    return outer, inner


def tshark_mirror(head, kind):
    """The mirror tshark dissected, as tunprobe names it, and its session."""
    if kind == "vxlan":
        return "vxlan", first(head, "vxlan.vni", int)
    if kind == "teb":
        keyed = head["gre.flags.key"][-1:] in (["1"], ["True"])
        return "teb", int(head["gre.key"][-1], 0) if keyed and head["gre.key"] else 0
    version = first(head, "erspan.version", int)
    if version is None:
        return "erspan1", 0
    return {1: "erspan2", 2: "erspan3"}.get(version, f"erspan version {version}"), first(head, "erspan.spanid", int)


def tshark_first_ip(row):
    """The first IP header of `row` and the transport header after it (before
    any other IP header): dict, or None."""
    protos = protocols(row)
    at = next((i for i, name in enumerate(protos) if name in ("ip", "ipv6")), None)
    if at is None:
        return None
    v6 = protos[at] == "ipv6"
    pre = "ipv6" if v6 else "ip"
    if not row[pre + ".src"] or not row[pre + ".dst"]:
        return None
    out = {"version": 6 if v6 else 4, "transport": None, "tcp_flags": None,
           "src": norm6(row["ipv6.src"][0]) if v6 else row["ip.src"][0],
           "dst": norm6(row["ipv6.dst"][0]) if v6 else row["ip.dst"][0],
           "proto": None if v6 else first(row, "ip.proto", int),
           "len": (40 + first(row, "ipv6.plen", int)) if v6 and row["ipv6.plen"] else first(row, "ip.len", int),
           "ttl": first(row, "ipv6.hlim" if v6 else "ip.ttl", int)}
    icmp = "icmpv6" if v6 else "icmp"
    for i in range(at + 1, len(protos)):
        name = protos[i]
        if name in ("ip", "ipv6"):
            break
        if name in ("tcp", "udp", "sctp", icmp):
            k = protos[:i].count(name)
            if name == icmp:
                t, c = row[icmp + ".type"], row[icmp + ".code"]
                if k < len(t) and k < len(c):
                    out["transport"] = (name, int(t[k]), int(c[k]))
            else:
                sp, dp = row[name + ".srcport"], row[name + ".dstport"]
                if k < len(sp) and k < len(dp):
                    out["transport"] = (name, int(sp[k]), int(dp[k]))
                if name == "tcp" and k < len(row["tcp.flags"]):
                    out["tcp_flags"] = int(row["tcp.flags"][k], 16) & 0xFF
            if v6:
                out["proto"] = {"tcp": 6, "udp": 17, "sctp": 132, "icmpv6": 58}[name]
            break
    return out


def compare_ip(p, row, bad):
    """A packet that is no tunnel (a mirrored frame's): tunprobe's IP and
    transport keys against tshark's first IP header of `row`."""
    ip = tshark_first_ip(row)
    if ip is None or ip["version"] != p["ipVersion"]:
        bad("ipVersion", p["ipVersion"], None if ip is None else ip["version"])
        return
    v = "IPv6" if ip["version"] == 6 else "IPv4"
    for key, theirs in ((f"source{v}Address", ip["src"]), (f"destination{v}Address", ip["dst"]),
                        ("ipTotalLength", ip["len"]), ("ipTTL", ip["ttl"])):
        if p.get(key) != theirs:
            bad(key, p.get(key), theirs)
    if ip["proto"] is not None and p["protocolIdentifier"] != ip["proto"]:
        bad("protocolIdentifier", p["protocolIdentifier"], ip["proto"])
    whole = p["verdict"] == "ok"
    compare_transport(p, ip["transport"], whole, v, "icmpv6" if v == "IPv6" else "icmp", bad)
    if "tcpControlBits" in p and ip["tcp_flags"] is not None and ip["tcp_flags"] != p["tcpControlBits"]:
        bad("tcpControlBits", p["tcpControlBits"], ip["tcp_flags"])


def undecoded_ipv6_udp_ports(got, rows):
    """The lower outer port of each ipv6-udp packet in which tshark found no
    IPv6 (a port whose own dissector took the datagram: UDP 4500 is IPsec
    NAT traversal's): the ports for a second run with Teredo's dissector
    on them. UDP tries the lower port's dissector first."""
    ports = set()
    for p, row in zip(got, rows):
        if p.get("tunnelType") == "ipv6-udp" and tshark_inner(row) is None:
            ports.add(min(p["tunnelSourceTransportPort"], p["tunnelDestinationTransportPort"]))
    return ports


def new_stats():
    return {"tunnels": 0, "mirrored": 0, "mirror_frames": 0, "skipped": {}}


def check(tunprobe, pcap, decode_args, report, cases=None, stats=None):
    """Compares one capture. `cases`: the truth's case note per packet index
    (None with --pcap); `report(capture, index, key, tunprobe, tshark, case)`;
    `stats` (new_stats()) counts what was compared and skipped."""
    stats = new_stats() if stats is None else stats
    got = decode(tunprobe, pcap, decode_args)
    rows = run_tshark(pcap, decode_args)
    ports = undecoded_ipv6_udp_ports(got, rows)
    if ports:
        rows = run_tshark(pcap, decode_args, ports)
    name = os.path.basename(pcap)
    if len(got) != len(rows):
        report(name, "-", "packet count", len(got), len(rows), None)
    for p, row in zip(got, rows):
        idx = p["index"]
        case = cases[idx] if cases and idx < len(cases) else None

        def bad(key, ours, theirs):
            report(name, idx, key, ours, theirs, case)

        cut = mirror_cut(protocols(row))
        if "mirrorType" in p:
            stats["mirrored"] += 1
            if cut is None:
                bad("mirror", p["mirrorType"], "no VXLAN, ERSPAN or Ethernet-in-GRE header")
                continue
            head, row = split_row(row, cut[0])
            kind, opid = tshark_mirror(head, cut[1])
            if kind != p["mirrorType"]:
                bad("mirror", p["mirrorType"], kind)
            if opid != p["observationPointId"]:
                bad("observationPointId", p["observationPointId"], opid)
            if protocols(row)[:1] not in (["eth"], ["ip"], ["ipv6"]):
                skip(stats, name, idx, "erspan3-ft2" if first(head, "erspan.ft") == "2" else "no-frame", case)
                continue
            for key, value in vlan_view(row).items():
                if p.get(key) != value:
                    bad(key, p.get(key), value)
        elif cut is not None:
            row = split_row(row, cut[0])[0]  # the outer packet: tunprobe left the mirror alone
        compare_packet(p, row, bad, stats, "mirrorType" in p)
    return stats


def skip(stats, capture, index, why, case):
    stats["skipped"][why] = stats["skipped"].get(why, 0) + 1
    note = f"  [{case}]" if case else ""
    print(f"skipped: {capture} #{index}: {MIRROR_SKIPS[why]}{note}")


def compare_packet(p, row, bad, stats, mirrored):
    """tunprobe's packet `p` against tshark's `row` (for a mirrored packet,
    the fields of its mirrored frame); `mirrored`: also compare a packet that
    is no tunnel."""
    inner = tshark_inner(row)
    inner4 = tshark_inner4(row)
    tunnel = p.get("tunnelType", "none") != "none"
    if not tunnel:
        if p.get("ipVersion") == 4:  # decoded, not dropped
            if inner and inner["in_ipv4"]:
                bad("tunnel", f"none (verdict {p['verdict']})",
                    f"IPv6 {inner['src']} -> {inner['dst']} inside IPv4")
            elif inner4:
                bad("tunnel", f"none (verdict {p['verdict']})",
                    f"IPv4 {inner4['src']} -> {inner4['dst']} inside GRE or AYIYA")
        elif p.get("ipVersion") == 6:
            t6 = tshark_ip6tnl(row)
            if t6:
                bad("tunnel", f"none (verdict {p['verdict']})",
                    f"IPv{t6['version']} {t6['src']} -> {t6['dst']} inside IPv6")
        if mirrored and "ipVersion" in p:
            stats["mirror_frames"] += 1
            compare_ip(p, row, bad)
        return
    stats["tunnels"] += 1
    if mirrored:
        stats["mirror_frames"] += 1
    # A cut or malformed transport header (a flow verdict other than ok):
    # only what both sides print is compared.
    whole = p["verdict"] in ("ok", "teredo_bubble_payload")
    if p["tunnelType"] in IPV6_CARRIED:  # IPv6 or IPv4 directly in IPv6 (RFC 2473)
        compare_ip6tnl(p, row, whole, bad)
        return
    if p["ipVersion"] == 4:  # IPv4 in GRE (gre-ipv4) or in AYIYA
        if inner4 is None:
            bad("tunneled ipv4", f"{p['sourceIPv4Address']} -> {p['destinationIPv4Address']}",
                "no IPv4 in GRE or AYIYA")
            return
        if inner4["src"] != p["sourceIPv4Address"]:
            bad("sourceIPv4Address", p["sourceIPv4Address"], inner4["src"])
        if inner4["dst"] != p["destinationIPv4Address"]:
            bad("destinationIPv4Address", p["destinationIPv4Address"], inner4["dst"])
        compare_transport(p, inner4["transport"], whole, "IPv4", "icmp", bad)
        flags = inner4["tcp_flags"]
    else:
        if inner is None:
            bad("ipv6", f"{p['sourceIPv6Address']} -> {p['destinationIPv6Address']}", "no IPv6")
            return
        if inner["src"] != p["sourceIPv6Address"]:
            bad("sourceIPv6Address", p["sourceIPv6Address"], inner["src"])
        if inner["dst"] != p["destinationIPv6Address"]:
            bad("destinationIPv6Address", p["destinationIPv6Address"], inner["dst"])
        compare_transport(p, inner["transport"], whole, "IPv6", "icmpv6", bad)
        flags = inner["tcp_flags"]
    if "tcpControlBits" in p and flags is not None and flags != p["tcpControlBits"]:
        bad("tcpControlBits", p["tcpControlBits"], flags)
    for key, value in tshark_view(row, p).items():
        if p.get(key) != value:
            bad(key, p.get(key), value)


def main(argv):
    if len(argv) < 4 or (argv[2] != "--pcap" and len(argv) != 4):
        print(__doc__, file=sys.stderr)
        return 2
    if shutil.which("tshark") is None:
        print("tshark not found: skipped")
        return 77
    tunprobe = argv[1]
    mismatches, known_seen = [], {}

    def report(capture, index, key, tunprobe_value, tshark_value, case):
        known = KNOWN.get((capture, case)) if case is not None else None
        if known:
            known_seen[(capture, case)] = known_seen.get((capture, case), 0) + 1
            print(f"known: {capture} #{index} {key}: tunprobe {tunprobe_value}, tshark {tshark_value}  [{case}]: "
                  f"{known}")
            return
        mismatches.append(1)
        note = f"  [{case}]" if case else ""
        print(f"{capture} #{index} {key}: tunprobe {tunprobe_value}, tshark {tshark_value}{note}")

    jobs = []
    if argv[2] == "--pcap":
        jobs.append((argv[3], argv[4:], None))
    else:
        gen, workdir = argv[2], argv[3]
        os.makedirs(workdir, exist_ok=True)
        subprocess.run([sys.executable, gen, "--out", workdir], check=True)
        for path in sorted(glob.glob(os.path.join(workdir, "*.truth.json"))):
            with open(path) as f:
                truth = json.load(f)
            jobs.append((os.path.join(workdir, truth["capture"]), truth["decodeArgs"],
                         [t.get("case", "") for t in truth["packets"]]))
    stats = new_stats()
    for pcap, args, cases in jobs:
        check(tunprobe, pcap, args, report, cases, stats)
    if argv[2] != "--pcap":
        for (capture, case), why in KNOWN.items():
            if (capture, case) not in known_seen:
                mismatches.append(1)
                print(f"stale KNOWN entry: no disagreement on {capture} [{case}] any more ({why})")
    skipped = sum(stats["skipped"].values())
    print(f"{stats['mirrored']} mirrored packets, {stats['mirror_frames']} of their frames compared with tshark, "
          f"{skipped} skipped" + "".join(f", {n} {why}" for why, n in sorted(stats["skipped"].items())))
    print(f"{stats['tunnels']} tunnel packets compared with tshark, {len(mismatches)} mismatches, "
          f"{sum(known_seen.values())} known disagreements on {len(known_seen)} packets")
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
