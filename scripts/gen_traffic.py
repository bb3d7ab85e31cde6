#!/usr/bin/python3
"""Deterministic test traffic for tunprobe, with its ground truth.

    gen_traffic.py --out DIR [--corpus DIR]
    gen_traffic.py --out DIR --flood N
    gen_traffic.py --random-udp N PATH

Writes capture files (classic pcap, microsecond timestamps from
2026-01-01T00:00:00Z, fixed random seed: byte-identical on every run), each
with a ground-truth file beside it:

  mix.pcap      default decoder settings. Native IPv4 (TCP/UDP/ICMP, options,
                IP-in-IP, Ethernet padding, snaplen cut; IPv4 in GRE, a
                gre-ipv4 tunnel) and native IPv6
                with an address of every class (eui64, privacy, low,
                embedded-ipv4, other, link-local, multicast, ula,
                documentation, unspecified, loopback, ipv4-mapped, teredo,
                isatap, 6to4-windows/-linux/-eui64/-privacy/-other; RFC 8981
                temporary addresses with the universal/local bit set are
                privacy; 2002:V4::1:V4 is not 6to4-windows) and extension
                headers (hop-by-hop, routing, destination options, AH, ESP,
                Mobility, HIP, Shim6, 253, 8 headers; cut and too many ones
                stay flows). Teredo on UDP 3544: qualification
                (router solicitation with authentication header, router
                advertisement with authentication + origin indication),
                bubbles (direct, and relayed by the server with origin
                indication), data relayed by the server (origin indication),
                client <-> native host through a relay, client <-> 6to4 host,
                a client id / authentication value of non-zero length, inner
                IPv6 fragments, a bubble with trailing payload, RFC 6081
                trailers (nonce, alternate address, neighbor discovery
                option, random port; bytes that are no trailer), a direct
                bubble on the clients' mapped ports (Teredo by content),
                Mobility and Shim6 headers and an atomic fragment inside
                Teredo, a flow VLAN-tagged in one direction only, and false
                positives on port 3544 (random payload, cut authentication
                header, cut origin indication, an IPv6 payload length beyond
                the UDP length). Later ICMP and ICMPv6 fragments without
                their first fragment (no ICMP type). 6to4 host <-> host, host -> native
                through 192.88.99.1 and back from a unicast relay, with
                Windows (2002:V4::V4), Linux (::1), EUI-64 and privacy
                interface ids. ISATAP (::0:5efe:a.b.c.d, ::200:5efe:a.b.c.d,
                link-local and global, host <-> host and through an ISATAP
                router; an ISATAP interface id under 2002::/16 is ISATAP by
                precedence). 6in4 tunnel-broker traffic, 2001:0::/32
                addresses over protocol 41 (6in4, never Teredo). Link layers:
                802.1Q, QinQ (0x88a8 and 0x9100 outer), MPLS (1, 2 and 3
                labels, IPv4 and IPv6 payloads, a 6to4 tunnel under MPLS,
                802.1Q then MPLS), PPPoE session (IPv4 carrying 6in4, IPv6,
                behind 802.1Q). Fragments: IPv4 first and later fragments
                (UDP, ICMP, a tiny first fragment), the IPv6 fragment header
                (native, inside Teredo, an atomic fragment), outer-fragmented
                6in4 and Teredo packets. IPv4 options in front of 6in4 and
                Teredo; snaplen-cut Teredo and 6in4 packets; a 64 KiB IPv6
                packet (GRO capture: 40 + payload length > 65535). Nested
                tunnels (IPv6-in-IPv6 and IPv4-in-IPv6 in 6in4, Teredo in
                6in4, IPv6-in-IPv6, IPv4-in-IPv6 and Teredo in Teredo). Teredo
                headers doubled or out of order. IPv6 in IPv6 on the link
                (RFC 2473: ipv6-in-ipv6). At least one packet for
                every verdict of probe/base/verdict.hpp (the generator refuses to
                run when its verdict sets differ from that table).
  relay.pcap    default decoder settings (Teredo by content): two Teredo
                clients and two relays that use ports other than 3544, both
                directions, TCP, UDP and ICMPv6 inside, bubbles (direct,
                indirect through the server, one with a nonce trailer), plus
                UDP that must stay IPv4 (DNS whose id looks like a Teredo
                header, IPv6 in UDP without a Teredo end (ipv6-udp is
                looked for only when asked), a Teredo-addressed payload
                whose lengths disagree, one followed by bytes that are no
                trailer, one with an unknown next header, a router
                solicitation from a link-local address that is not
                Teredo's, random payload) and the usual port-3544
                qualification.
  sixrd.pcap    decoded with --6rd-prefix 2a01:e30::/28 --6rd-prefix
                2602:fe90::/24 --6rd-prefix 2a0b:6b80::/32@100.64.0.0/10 (a
                domain whose CEs share an IPv4 prefix, RFC 5969
                IPv4MaskLen): CE <-> BR, CE <-> CE, a prefix that is not
                byte-aligned, an ISATAP interface id under a 6rd prefix (6rd
                wins), and 6to4 / 6in4 traffic beside it.
  ports.pcap    decoded with --teredo-ports 3545,3544 --teredo-detect ports:
                Teredo on both ports, not on 3546 (detection by content is
                off), and nested detection on the configured port.
  snap96.pcap, snap50.pcap
                captures taken with a 96-byte and a 50-byte snaplen: native
                IPv4 and IPv6 TCP, UDP and ICMP, Teredo TCP through a relay
                on 3544 and on ephemeral ports, Teredo with an origin
                indication, Teredo ICMPv6, 6in4 and 6to4. A packet whose IP
                headers are whole is in a flow, with what was captured of
                its transport header (l4_truncated); at 50 bytes the inner
                IPv6 header of the tunnels is cut (teredo_truncated on 3544,
                plain UDP elsewhere, proto41_truncated) and native IPv6 is
                dropped (ipv6_truncated).
  carriers.pcap decoded with --ipv6-udp-ports 4500 --ipv6-udp-detect content:
                the carriers beyond the first five.
                AYIYA (UDP 5072) both ways, its control messages and decoys.
                GRE (RFC 2784, RFC 2890): IPv6 in GRE (gre) as a TCP session
                both ways without a key, the same inner packets under keys
                100, 200, 0 and none (four flows), checksum + key + sequence
                number, sequence number only (ICMPv6 echo), checksum only;
                IPv4 in GRE (gre-ipv4), a DNS exchange and a TCP session with
                a key; tunnels in GRE (6in4 and Teredo in gre-ipv4,
                IPv6-in-IPv6 in gre: tunnel_nested); GRE that stays the IPv4
                flow of protocol 47: PPTP's version 1, the RFC 1701 routing
                and strict source route bits (gre_bad_header), protocol
                types 0x9999 and 0x6558 (gre_other_protocol), payloads that
                are not the packet the protocol type says or do not fit
                (gre_bad_payload), headers cut by the IPv4 length or the
                capture (gre_truncated), an inner TCP header cut
                (l4_truncated, the gre flow), an outer-fragmented GRE
                packet (the later fragment in the inner flow). IPv6
                directly in UDP (ipv6-udp, on its port and by content): a
                mobile node and its home agent on UDP 4500 (UDP and TCP
                both ways), the same on ephemeral ports; plain UDP beside it (payload length
                one byte beyond the datagram on 4500, one byte short of it
                elsewhere, a multicast source), IPv6 without a Teredo end on
                port 3544 (Teredo: RFC 4380's checks alone decide there) and
                Teredo on ephemeral ports (Teredo, not ipv6-udp). Tunnels
                directly in IPv6 (RFC 2473, Linux ip6tnl): a DS-Lite B4
                (2001:db8:b4::1) and its AFTR (2001:db8:af::1, RFC 6333)
                carrying IPv4 (ipv4-in-ipv6), a DNS exchange and a TCP
                session both ways; IPv6 in IPv6 (ipv6-in-ipv6) between two
                routers, ICMPv6 echo request and reply both ways and a TCP
                session; the same inner UDP packets between a second outer
                pair (two flows); destination options (the tunnel
                encapsulation limit) before next header 41, hop-by-hop and
                destination options before 4; an outer IPv6 first fragment
                carrying IPv4 UDP (the tunnel) and its later fragment (native
                IPv6, next header 4, in the inner flow); inner TCP headers
                cut by the capture (l4_truncated, the tunnel flows); next
                header 41 or 4 that stays the native IPv6 flow of that
                protocol: the inner IPv6 or IPv4 header (or its options) cut
                by the capture (ip6tnl_truncated), the inner packet longer
                than the outer payload, version 6 under next header 4,
                version 4 under 41, an IPv4 header length of 16
                (ip6tnl_bad_payload).
  mirrors.pcap  decoded with --mirror auto: mirrored traffic (a SPAN copy
                delivered over the network), each packet decoded as its
                mirrored frame plus "mirrorType" and "observationPointId". VXLAN
                (RFC 7348, UDP 4789): a Teredo session through a relay (VNI
                5001), frames tagged 802.1Q and QinQ, flag bits other than I
                (ignored), over an outer IPv6 header, the same TCP frames
                mirrored in VNIs 6001 and 6002 (two flows), VXLAN inside the
                mirrored frame (UDP: one level only), ARP (non_ip) and a bare
                Ethernet header (ipv4_truncated) mirrored. ERSPAN
                (draft-foschiano-erspan-03): type II (6to4, session 7; a
                Teredo decoy and Ethernet over GRE inside the mirrored
                frame keep their own verdicts; over IPv6, session 1023),
                type III (native IPv6 TCP, session 9, with and without the
                platform subheader; frame type 2, bare IPv4 and IPv6), type
                I. Transparent Ethernet bridging (GRE 0x6558): IPv6 in GRE
                under key 0x00ABCDEF and without a key, NVGRE with checksum
                and key, over IPv6. Checks that fail keep the outer packet's
                flow: the I flag clear (vxlan_bad_header), ERSPAN versions
                and frame type 5 (erspan_bad_header, over IPv4 and IPv6),
                frames under 14 bytes by the UDP/IP length or the capture and
                a cut ERSPAN header (mirror_truncated). Not VXLAN: UDP from
                port 4789, to 4790 and to 8472.
  mirrors-off.pcap
                the same frames, byte for byte, with no decode arguments:
                the outer packets (UDP flows; GRE over IPv4 is
                gre_other_protocol, over IPv6 the IPv6 flow of protocol 47).
  mirrors-some.pcap
                decoded with --mirror vxlan,teb --vxlan-ports 8472: VXLAN on
                8472 and TEB decoded; VXLAN on 4789 and ERSPAN are not.
  raw.pcap, null.pcap, sll.pcap
                the other link types tunprobe reads (LINKTYPE_RAW, DLT_NULL
                in both byte orders, Linux cooked), with their truncations.

With --corpus DIR, every packet of every capture is also written to DIR as
one file of raw frame bytes, NAME-NNNN.bin (NAME the capture, NNNN the
packet index): a seed corpus for the libFuzzer target. Frames of the
non-Ethernet captures are there too (still valid fuzz input).

Ground truth, NAME.truth.json (written by this script from what it built,
never by running tunprobe):

  "capture", "linkType"   file name and pcap link type;
  "decodeArgs"            extra arguments for `tunprobe decode` / `run`;
  "packets"               one object per packet, with the keys exactly as
                          `tunprobe decode` prints them (see
                          probe/decode/packet_json.cpp) and only the keys it
                          prints, except "timestamp" (left out) and "case"
                          (a note saying what the packet is, not a decode
                          key). Drop verdicts hold only index, verdict and
                          the link-layer keys (vlanId, dot1qCustomerVlanId,
                          mplsTopLabel; for a mirrored frame also mirror and
                          observationPointId);
  "summary"               packets, packetsPerVerdict, packetsPerTunnelType
                          (packets that are not dropped, by tunnelType),
                          flowPackets + dropPackets (= packets), flows,
                          flowsPerTunnelType, and where packets came from a
                          mirror packetsPerMirror (by its "mirrorType");
  "flows"                 the unidirectional flows a probe must produce, in
                          order of their first packet: "key" (tunnelType,
                          tunnelSource/DestinationIPv4Address for tunnels,
                          tunnelSource/DestinationTransportPort for the UDP
                          carriers (Teredo, AYIYA, ipv6-udp), greKey for GRE
                          with a key (present or not, and its value),
                          vlanId / dot1qCustomerVlanId where tagged,
                          mirror and observationPointId for a mirrored
                          frame (one flow per mirror session), the
                          inner or native source/destinationIPv4/IPv6Address,
                          protocolIdentifier, source/destinationTransportPort;
                          ICMP flows use 0 and type*256+code, packets with
                          neither ports nor ICMP use 0 and 0),
                          packetDeltaCount, octetDeltaCount (the sum of the
                          packets' ipTotalLength), flowStart/EndMilliseconds,
                          tcpControlBits (OR over the flow, TCP only) and
                          "packetIndices"; for the tunnels carried in IPv6
                          (ipv6-in-ipv6, ipv4-in-ipv6) the key holds
                          tunnelSource/DestinationIPv6Address instead of
                          the IPv4 pair.
Every packet whose verdict is not a drop verdict is in exactly one flow;
drop-verdict packets are in none. A fragment that carries no transport header
belongs to the flow of the first fragment of its datagram (same source,
destination, fragment id and protocol). For an outer-fragmented tunnel packet
(6in4, Teredo) the later fragments decode as plain IPv4 (protocol 41, or UDP
without ports); they belong to the inner flow of the first fragment, matched
on the outer IPv4 source, destination, id and protocol. So do the later
fragments of an outer IPv6 first fragment carrying IPv6 or IPv4 (next header
41 or 4: ipv6-in-ipv6, ipv4-in-ipv6), native IPv6 fragments of that next
header, matched on the outer IPv6 pair, id and next header. octetDeltaCount counts
IP octets of the inner packet: the first fragment announces the whole inner
packet's length, so a later outer fragment (whose bytes are part of that
inner packet) adds a packet but no octets. It counts in the tunnel's outer
octets instead.
"""

import argparse
import json
import os
import random
import re
import socket
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tunnel_types  # noqa: E402

import logging

logging.getLogger("scapy.runtime").setLevel(logging.ERROR)

from scapy.layers.dns import DNS, DNSQR, DNSRR  # noqa: E402
from scapy.layers.inet import ICMP, IP, TCP, UDP  # noqa: E402
from scapy.layers.inet6 import (  # noqa: E402
    ICMPv6EchoReply,
    ICMPv6DestUnreach,
    ICMPv6EchoRequest,
    ICMPv6ND_NA,
    ICMPv6ND_NS,
    ICMPv6ND_RA,
    ICMPv6ND_RS,
    ICMPv6NDOptMTU,
    ICMPv6NDOptPrefixInfo,
    ICMPv6NDOptSrcLLAddr,
    IPv6,
    IPv6ExtHdrDestOpt,
    IPv6ExtHdrFragment,
    IPv6ExtHdrHopByHop,
    IPv6ExtHdrRouting,
)
from scapy.layers.l2 import ARP, Ether  # noqa: E402
from scapy.layers.sctp import SCTP  # noqa: E402
from scapy.packet import Raw  # noqa: E402

SEED = 20260101
BASE_TS = 1767225600  # 2026-01-01T00:00:00Z

DLT_NULL, DLT_EN10MB, LINKTYPE_RAW, DLT_LINUX_SLL = 0, 1, 101, 113

ETH_IPV4, ETH_IPV6, ETH_ARP, ETH_VLAN = 0x0800, 0x86DD, 0x0806, 0x8100
ETH_QINQ, ETH_QINQ_OLD, ETH_MPLS, ETH_PPPOE_SESSION = 0x88A8, 0x9100, 0x8847, 0x8864
ETH_LLDP = 0x88CC

DROP_VERDICTS = {
    "frame_truncated", "vlan_truncated", "vlan_too_deep", "mpls_truncated", "mpls_too_deep",
    "mpls_unknown_payload", "pppoe_truncated", "non_ip", "ip_bad_version", "ipv4_truncated",
    "ipv4_bad_header", "ipv4_bad_length", "ipv6_truncated",
}
FLOW_VERDICTS = {
    "ok", "ipv6_ext_truncated", "ipv6_ext_too_many", "l4_truncated", "tcp_bad_offset", "udp_bad_length",
    "teredo_auth_truncated", "teredo_origin_truncated", "teredo_truncated", "teredo_not_ipv6",
    "teredo_length_mismatch", "teredo_bubble_payload", "proto41_truncated", "proto41_not_ipv6",
    "proto41_length_mismatch", "ayiya_truncated", "ayiya_bad_header", "ayiya_control",
    "ayiya_length_mismatch", "gre_truncated", "gre_bad_header", "gre_other_protocol", "gre_bad_payload",
    "ip6tnl_truncated", "ip6tnl_bad_payload", "tunnel_nested", "mirror_truncated", "vxlan_bad_header", "erspan_bad_header",
}
ALL_VERDICTS = DROP_VERDICTS | FLOW_VERDICTS


def check_verdict_table():
    """The two sets above must be probe/base/verdict.hpp's table: a new verdict
    needs its packets (and its disposition decides what the truth holds)."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "probe", "base", "verdict.hpp")
    with open(path) as f:
        rows = re.findall(r"X\((\w+),\s*k(Flow|Drop)\b", f.read())
    table = {name: disp for name, disp in rows}
    ours = {**{v: "Drop" for v in DROP_VERDICTS}, **{v: "Flow" for v in FLOW_VERDICTS}}
    if table != ours:
        raise SystemExit(f"gen_traffic.py: verdict sets differ from {path}: "
                         f"{sorted(set(table.items()) ^ set(ours.items()))}")
LINK_KEYS = ("vlanId", "dot1qCustomerVlanId", "mplsTopLabel")

rng = random.Random(SEED)


# ---------------------------------------------------------------------------
# Addresses and their classes (the rules of probe/decode/addr_class.hpp, written
# again here from their description so that every address's declared class
# is checked when it is made).

def v4int(text):
    return struct.unpack("!I", socket.inet_aton(text))[0]


def v4text(value):
    return socket.inet_ntoa(struct.pack("!I", value))


def _classify(b):
    hi = int.from_bytes(b[:8], "big")
    iid = int.from_bytes(b[8:], "big")
    if hi == 0:
        if iid == 0:
            return "unspecified"
        if iid == 1:
            return "loopback"
        if iid >> 32 == 0xFFFF:
            return "ipv4-mapped"
    if b[0] == 0xFF:
        return "multicast"
    if b[0] == 0xFE and b[1] & 0xC0 == 0x80:
        return "link-local"
    if b[0] & 0xFE == 0xFC:
        return "ula"
    if hi >> 32 == 0x20010DB8:
        return "documentation"
    if hi >> 32 == 0x20010000:
        return "teredo"
    if (iid >> 32) & 0xFCFFFFFF == 0x00005EFE:
        return "isatap"
    eui64 = (iid >> 24) & 0xFFFF == 0xFFFE
    privacy = 20 <= bin(iid).count("1") <= 44  # RFC 8981 / RFC 7136: no bit required
    if hi >> 48 == 0x2002:
        if iid == (hi >> 16) & 0xFFFFFFFF:  # 2002:V4::V4, high 32 bits of the id zero
            return "6to4-windows"
        if iid == 1:
            return "6to4-linux"
        if eui64:
            return "6to4-eui64"
        if privacy:
            return "6to4-privacy"
        return "6to4-other"
    if eui64:
        return "eui64"
    if iid != 0 and iid >> 16 == 0:
        return "low"
    if iid >> 32 == 0 and iid > 0xFFFF:
        return "embedded-ipv4"
    if privacy:
        return "privacy"
    return "other"


class Addr:
    """An IPv6 address with the class it was made to have and the IPv4
    addresses it embeds (Teredo fields, 6to4, ISATAP, 6rd)."""

    def __init__(self, value, cls, teredo=None, sixrd4=None):
        if isinstance(value, str):
            value = socket.inet_pton(socket.AF_INET6, value)
        elif isinstance(value, int):
            value = value.to_bytes(16, "big")
        self.packed = value
        self.text = socket.inet_ntop(socket.AF_INET6, value)  # glibc's form, as tunprobe prints
        self.cls = cls
        got = _classify(value)
        if got != cls:
            raise AssertionError(f"{self.text}: declared {cls}, rules say {got}")
        self.teredo = teredo  # (server, flags, port, client)
        self.sixrd4 = sixrd4
        self.sixto4 = v4text(int.from_bytes(value[2:6], "big")) if value[:2] == b"\x20\x02" else None
        iid_hi = int.from_bytes(value[8:12], "big")
        self.isatap4 = v4text(int.from_bytes(value[12:], "big")) if iid_hi & 0xFCFFFFFF == 0x5EFE else None

    def __str__(self):
        return self.text

    def embedded(self, ttype):
        return {"6to4": self.sixto4, "isatap": self.isatap4, "6rd": self.sixrd4}.get(ttype)


def A(text, cls):
    return Addr(text, cls)


def iid_privacy(ul=None):
    """A random interface id (RFC 8981 section 3.3.1: raw random bits). `ul`
    forces the universal/local bit (0x02 of the first byte) to 0 or 1; None
    leaves it random, as current Linux does."""
    while True:
        iid = rng.getrandbits(64)
        if ul is not None:
            iid = iid | (0x02 << 56) if ul else iid & ~(0x02 << 56)
        ones = bin(iid).count("1")
        if 20 <= ones <= 44 and (iid >> 24) & 0xFFFF != 0xFFFE and (iid >> 32) & 0xFCFFFFFF != 0x5EFE:
            return iid


def with_iid(prefix64, iid):
    return (socket.inet_pton(socket.AF_INET6, prefix64)[:8]) + iid.to_bytes(8, "big")


def privacy(prefix64, ul=0):
    return Addr(with_iid(prefix64, iid_privacy(ul)), "privacy")


def eui64_iid(mac):
    b = bytes(int(x, 16) for x in mac.split(":"))
    return int.from_bytes(bytes([b[0] ^ 0x02]) + b[1:3] + b"\xff\xfe" + b[3:], "big")


def eui64(prefix64, mac):
    return Addr(with_iid(prefix64, eui64_iid(mac)), "eui64")


def teredo_addr(server, flags, port, client):
    b = (b"\x20\x01\x00\x00" + socket.inet_aton(server) + struct.pack("!H", flags)
         + struct.pack("!H", port ^ 0xFFFF) + struct.pack("!I", v4int(client) ^ 0xFFFFFFFF))
    return Addr(b, "teredo", teredo=(server, flags, port, client))


def sixtofour(v4, subnet, iid, cls):
    b = b"\x20\x02" + socket.inet_aton(v4) + struct.pack("!H", subnet) + iid.to_bytes(8, "big")
    return Addr(b, cls)


def isatap_iid(v4, universal=False):
    return ((0x02000000 if universal else 0) | 0x5EFE) << 32 | v4int(v4)


def isatap(prefix64, v4, universal=False, cls="isatap"):
    return Addr(with_iid(prefix64, isatap_iid(v4, universal)), cls)


def sixrd(prefix, plen, v4, subnet, subnet_bits, iid, cls, mask_len=0):
    """6rd delegated prefix (RFC 5969 section 4): PREFIX/plen, then the CE
    IPv4 address's low 32 - mask_len bits (its high mask_len bits are the
    domain's common IPv4 prefix), then a subnet id filling the bits up to
    /64, then the interface id."""
    p = int.from_bytes(socket.inet_pton(socket.AF_INET6, prefix), "big") >> (128 - plen)
    carried = 32 - mask_len
    assert plen + carried + subnet_bits == 64
    low = v4int(v4) & ((1 << carried) - 1)
    value = (((p << carried | low) << subnet_bits | subnet) << 64) | iid
    return Addr(value, cls, sixrd4=v4)


# ---------------------------------------------------------------------------
# Transport, IP and tunnel builders. Each returns the scapy layers and the
# facts `tunprobe decode` must print for them.

class L4:
    def __init__(self, layer, proto, facts, icmp=None):
        self.layer, self.proto, self.facts, self.icmp = layer, proto, facts, icmp


def tcp(sport, dport, flags="A", payload=b"", seq=None, ack=0, window=64240):
    seq = rng.getrandbits(32) if seq is None else seq
    layer = TCP(sport=sport, dport=dport, flags=flags, seq=seq, ack=ack, window=window)
    if payload:
        layer = layer / Raw(payload)
    bits = int(TCP(flags=flags).flags)
    return L4(layer, 6, {"sourceTransportPort": sport, "destinationTransportPort": dport, "tcpControlBits": bits})


def udp(sport, dport, payload=b""):
    layer = UDP(sport=sport, dport=dport)
    if payload:
        layer = layer / Raw(payload)
    return L4(layer, 17, {"sourceTransportPort": sport, "destinationTransportPort": dport})


def sctp(sport, dport):
    return L4(SCTP(sport=sport, dport=dport, tag=rng.getrandbits(32)), 132,
              {"sourceTransportPort": sport, "destinationTransportPort": dport})


def icmp4(itype, code=0, payload=b"", ident=0, seq=0):
    layer = ICMP(type=itype, code=code, id=ident, seq=seq)
    if payload:
        layer = layer / Raw(payload)
    return L4(layer, 1, {}, icmp=(itype, code))


def icmp6(layer):
    return L4(layer, 58, {}, icmp=(int(layer.type), int(layer.code)))


def echo6(ident, seq, size, reply=False):
    cls = ICMPv6EchoReply if reply else ICMPv6EchoRequest
    return icmp6(cls(id=ident, seq=seq, data=rbytes(size)))


def other(proto, data=b""):
    return L4(Raw(data) if data else None, proto, {})


def dns(name, qtype="AAAA", answer=None, ident=None):
    """A DNS query, or with `answer` (an address) its response."""
    ident = rng.getrandbits(16) if ident is None else ident
    if answer is None:
        return bytes(DNS(id=ident, rd=1, qd=DNSQR(qname=name, qtype=qtype)))
    return bytes(DNS(id=ident, qr=1, rd=1, ra=1, qd=DNSQR(qname=name, qtype=qtype),
                     an=DNSRR(rrname=name, type=qtype, ttl=300, rdata=answer)))


def syslog(text):
    return f"<134>Jan  1 00:00:00 {text}".encode()


def rbytes(n):
    return bytes(rng.getrandbits(8) for _ in range(n))


class Net:
    """A built IP packet: `raw` its bytes, `facts` what tunprobe decode prints
    for it when it is the packet decoded (native, or inner of a tunnel),
    `src`/`dst` its Addr objects (IPv6) or strings (IPv4)."""

    def __init__(self, raw, facts, src=None, dst=None, proto=None, bubble=False):
        self.raw, self.facts, self.src, self.dst, self.proto, self.bubble = raw, facts, src, dst, proto, bubble


def _l4_facts(l4, version):
    facts = dict(l4.facts)
    if l4.icmp is not None:
        v = "IPv4" if version == 4 else "IPv6"
        facts["icmpType" + v], facts["icmpCode" + v] = l4.icmp
    return facts


def ip4_facts(src, dst, proto, tos, ttl, total):
    return {"ipVersion": 4, "sourceIPv4Address": src, "destinationIPv4Address": dst, "protocolIdentifier": proto,
            "ipClassOfService": tos, "ipTTL": ttl, "ipTotalLength": total}


def ip6_facts(src, dst, proto, tc, hlim, total):
    return {"ipVersion": 6, "sourceIPv6Address": src.text, "destinationIPv6Address": dst.text,
            "protocolIdentifier": proto, "ipClassOfService": tc, "ipTTL": hlim, "ipTotalLength": total,
            "sourceAddressClass": src.cls, "destinationAddressClass": dst.cls}


def ip4(src, dst, l4, ttl=64, tos=0, ident=None, df=False, options=None):
    ident = rng.getrandbits(16) if ident is None else ident
    pkt = IP(src=src, dst=dst, ttl=ttl, tos=tos, id=ident, flags="DF" if df else 0, proto=l4.proto)
    if options:
        pkt.options = options
    if l4.layer is not None:
        pkt = pkt / l4.layer
    raw = bytes(pkt)
    facts = ip4_facts(src, dst, l4.proto, tos, ttl, len(raw))
    facts.update(_l4_facts(l4, 4))
    return Net(raw, facts, src, dst, l4.proto)


def frag4(src, dst, l4, sizes, ttl=64, ident=None):
    """A datagram cut into fragments: `sizes` are the payload bytes of all
    fragments but the last (multiples of 8). Returns one Net per fragment."""
    ident = rng.getrandbits(16) if ident is None else ident
    whole = bytes(IP(src=src, dst=dst, ttl=ttl, id=ident, proto=l4.proto) / l4.layer)
    payload = whole[20:]
    nets, off = [], 0
    for i in range(len(sizes) + 1):
        size = sizes[i] if i < len(sizes) else len(payload) - off
        last = i == len(sizes)
        chunk = payload[off:off + size]
        raw = bytes(IP(src=src, dst=dst, ttl=ttl, id=ident, proto=l4.proto, flags=0 if last else "MF",
                       frag=off // 8) / Raw(chunk))
        facts = ip4_facts(src, dst, l4.proto, 0, ttl, len(raw))
        facts.update({"fragmentIdentification": ident, "fragmentOffset": off, "firstFragment": off == 0})
        if off == 0:
            facts.update(_l4_facts(l4, 4))
        nets.append(Net(raw, facts, src, dst, l4.proto))
        off += size
    return nets


def _chain(ext, final_proto):
    """Sets each extension header's next-header field; returns the first."""
    protos = [EXT_PROTO[type(h)] for h in ext] + [final_proto]
    for h, nxt in zip(ext, protos[1:]):
        h.nh = nxt
    return protos[0]


EXT_PROTO = {IPv6ExtHdrHopByHop: 0, IPv6ExtHdrRouting: 43, IPv6ExtHdrFragment: 44, IPv6ExtHdrDestOpt: 60}


def ip6(src, dst, l4, hlim=64, tc=0, fl=0, ext=()):
    first = _chain(list(ext), l4.proto)
    pkt = IPv6(src=src.text, dst=dst.text, hlim=hlim, tc=tc, fl=fl, nh=first)
    for h in ext:
        pkt = pkt / h
    if l4.layer is not None:
        pkt = pkt / l4.layer
    raw = bytes(pkt)
    facts = ip6_facts(src, dst, l4.proto, tc, hlim, len(raw))
    facts.update(_l4_facts(l4, 6))
    bubble = l4.proto == 59 and len(raw) == 40
    return Net(raw, facts, src, dst, l4.proto, bubble=bubble)


def ip6_raw(src, dst, nh, body, hlim=64, tc=0):
    """IPv6 header + arbitrary bytes (extension headers built by hand)."""
    raw = bytes(IPv6(src=src.text, dst=dst.text, hlim=hlim, tc=tc, nh=nh, plen=len(body))) + body
    return raw


# IPv6 extension headers of the IANA registry that older walks stop at, in
# the RFC 6564 uniform format (next header, length in 8-byte units less 1):
# Mobility (RFC 6275 6.1.1: payload proto, header len, MH type, reserved,
# checksum, message data), HIP (RFC 7401 5.1: 40 bytes with two HITs),
# Shim6 (RFC 5533 5.1: the payload extension header, P = 1, a receiver
# context tag), and the experimental 253 (RFC 3692, RFC 4727).
MOBILITY, HIP, SHIM6, EXPERIMENTAL = 135, 139, 140, 253


def ext_header(kind, nh):
    if kind == MOBILITY:
        return bytes([nh, 0, 0, 0]) + b"\x00\x00" + b"\x00\x00"  # binding refresh request
    if kind == HIP:
        return bytes([nh, 4, 0x01, 0x21]) + b"\x00\x00\x00\x00" + rbytes(32)  # I1, version 2
    if kind == SHIM6:
        return bytes([nh, 0, 0x80 | 0x12, 0x34]) + b"\x56\x78\x9a\xbc"  # P = 1, context tag
    return bytes([nh, 0]) + rbytes(6)


def ip6_ext(src, dst, kinds, l4, hlim=64, tc=0):
    """IPv6 with hand-built extension headers `kinds` in front of `l4`. The
    facts are those of the transport: the walk goes through every header."""
    layer = bytes(l4.layer) if l4.layer is not None else b""
    protos = list(kinds) + [l4.proto]
    body = b"".join(ext_header(k, protos[i + 1]) for i, k in enumerate(kinds)) + layer
    if l4.proto in (6, 17, 58):
        body = fix_l4_checksum(src, dst, l4.proto, body, len(body) - len(layer))
    raw = ip6_raw(src, dst, protos[0], body, hlim=hlim, tc=tc)
    facts = ip6_facts(src, dst, l4.proto, tc, hlim, len(raw))
    facts.update(_l4_facts(l4, 6))
    return Net(raw, facts, src, dst, l4.proto)


def fix_l4_checksum(src, dst, proto, body, off):
    """The transport checksum of `body[off:]` over the IPv6 pseudo-header
    (scapy computed it without the extension headers in the way; tshark
    checks it only when asked, but keep it right)."""
    seg = bytearray(body[off:])
    pos = {6: 16, 17: 6, 58: 2}[proto]
    seg[pos:pos + 2] = b"\x00\x00"
    pseudo = src.packed + dst.packed + struct.pack("!IxxxB", len(seg), proto)
    data = pseudo + bytes(seg) + (b"\x00" if len(seg) % 2 else b"")
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    struct.pack_into("!H", seg, pos, ~total & 0xFFFF or 0xFFFF)
    return body[:off] + bytes(seg)


def frag6(src, dst, l4, sizes, ident, hlim=64):
    """An IPv6 packet cut into fragments with a fragment header."""
    whole = bytes(IPv6(src=src.text, dst=dst.text, hlim=hlim, nh=l4.proto) / l4.layer)
    payload = whole[40:]
    nets, off = [], 0
    for i in range(len(sizes) + 1):
        size = sizes[i] if i < len(sizes) else len(payload) - off
        last = i == len(sizes)
        chunk = payload[off:off + size]
        raw = bytes(IPv6(src=src.text, dst=dst.text, hlim=hlim, nh=44)
                    / IPv6ExtHdrFragment(nh=l4.proto, offset=off // 8, m=0 if last else 1, id=ident) / Raw(chunk))
        facts = ip6_facts(src, dst, l4.proto, 0, hlim, len(raw))
        facts.update({"fragmentIdentification": ident, "fragmentOffset": off, "firstFragment": off == 0})
        if off == 0:
            facts.update(_l4_facts(l4, 6))
        nets.append(Net(raw, facts, src, dst, l4.proto))
        off += size
    return nets


def teredo_auth(id_len=0, au_len=0, conf=0):
    return b"\x00\x01" + bytes([id_len, au_len]) + rbytes(id_len) + rbytes(au_len) + rbytes(8) + bytes([conf])


def teredo_origin(port, addr):
    return b"\x00\x00" + struct.pack("!H", port ^ 0xFFFF) + struct.pack("!I", v4int(addr) ^ 0xFFFFFFFF)


def teredo(osrc, odst, sport, dport, inner, auth=b"", origin=None, ttl=None, ident=None, trailer=b"",
           trailer_bits=0):
    """Teredo: IPv4/UDP, optional authentication header and origin indication
    (port, addr), then the inner IPv6 packet, then `trailer` (RFC 6081
    trailers, whose kTeredoTrailer* bits are `trailer_bits`)."""
    ttl = rng.choice((57, 64, 113, 121, 128)) if ttl is None else ttl
    ident = rng.getrandbits(16) if ident is None else ident
    hdrs = auth + (teredo_origin(*origin) if origin else b"")
    raw = bytes(IP(src=osrc, dst=odst, ttl=ttl, id=ident) / UDP(sport=sport, dport=dport)
                / Raw(hdrs + inner.raw + trailer))
    facts = teredo_facts(osrc, odst, sport, dport, inner, auth=bool(auth), origin=origin, trailers=trailer_bits)
    facts.update(inner.facts)
    return raw, facts


def ayiya_header(op=1, next_header=41, id_len=4, id_type=1, sig_words=5, hash_meth=2, auth=1):
    """AYIYA (draft-massar-v6ops-ayiya-02 section 4): IDLen|IDType,
    SigLen|HshMeth, AutMeth|OpCode, next header, epoch, identity (2^IDLen
    bytes), signature (SigLen x 4 bytes)."""
    return (bytes([id_len << 4 | id_type, sig_words << 4 | hash_meth, auth << 4 | op, next_header])
            + struct.pack("!I", BASE_TS) + rbytes(1 << id_len) + rbytes(4 * sig_words))


def ayiya(osrc, odst, sport, dport, inner, ttl=None, **hdr):
    """AYIYA forwarding a packet (IPv6; IPv4 with next_header=4): IPv4/UDP, the
    AYIYA header, the packet."""
    ttl = rng.choice((55, 61, 64, 119)) if ttl is None else ttl
    raw = bytes(IP(src=osrc, dst=odst, ttl=ttl, id=rng.getrandbits(16)) / UDP(sport=sport, dport=dport)
                / Raw(ayiya_header(**hdr) + inner.raw))
    facts = {"tunnelType": "ayiya", "tunnelSourceIPv4Address": osrc, "tunnelDestinationIPv4Address": odst,
             "tunnelSourceTransportPort": sport, "tunnelDestinationTransportPort": dport}
    facts.update(inner.facts)
    return raw, facts


def inet_checksum(data):
    """The Internet checksum (RFC 1071) of `data`."""
    if len(data) % 2:
        data += b"\x00"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


# GRE (RFC 2784, RFC 2890): the first 16 bits. C, R, K, S, then RFC 1701's
# strict source route and recursion bits, reserved0 (bits 4-12), version.
GRE_C, GRE_R, GRE_K, GRE_S, GRE_SSR = 0x8000, 0x4000, 0x2000, 0x1000, 0x0800
GRE_IPV6, GRE_IPV4 = 0x86DD, 0x0800


def gre_header(proto, payload=b"", key=None, csum=False, seq=None, flags=0, version=0, fields=None):
    """A GRE header for `payload`: the flags word (C, K, S from the options,
    any other bits in `flags`), the protocol type, then checksum + reserved1
    (if C), key (if K), sequence number (if S). `fields` replaces the
    optional fields (bytes; for headers that RFC 2890 does not describe)."""
    word = flags | version
    word |= GRE_C if csum else 0
    word |= GRE_K if key is not None else 0
    word |= GRE_S if seq is not None else 0
    if fields is None:
        fields = (b"\x00\x00\x00\x00" if csum else b"") + (struct.pack("!I", key) if key is not None else b"") \
            + (struct.pack("!I", seq) if seq is not None else b"")
    hdr = struct.pack("!HH", word, proto) + fields
    if csum:  # RFC 2784 2.5: over the GRE header and the payload, the field zero
        hdr = hdr[:4] + struct.pack("!H", inet_checksum(hdr + payload)) + hdr[6:]
    return hdr


def gre(osrc, odst, inner, proto=None, key=None, csum=False, seq=None, ttl=None, ident=None, flags=0,
        version=0, fields=None, after=b"", decoy=False):
    """GRE over IPv4 (protocol 47) carrying `inner` (a Net, or bytes). The
    protocol type defaults to the inner packet's (0x86DD for IPv6, 0x0800
    for IPv4); the tunnel is "gre" (IPv6) or "gre-ipv4", its facts the
    outer IPv4 pair and, with a key (K bit), "greKey", then the inner
    packet's. With `decoy` (or bytes for `inner`) the facts are those of
    the outer IPv4 packet: protocol 47, no ports. `after`: bytes after the
    inner packet, inside the GRE payload."""
    ttl = rng.choice((62, 63, 64, 254, 255)) if ttl is None else ttl
    ident = rng.getrandbits(16) if ident is None else ident
    payload = (inner.raw if isinstance(inner, Net) else inner) + after
    if proto is None:
        proto = GRE_IPV6 if payload[0] >> 4 == 6 else GRE_IPV4
    body = gre_header(proto, payload, key=key, csum=csum, seq=seq, flags=flags, version=version,
                      fields=fields) + payload
    raw = bytes(IP(src=osrc, dst=odst, ttl=ttl, id=ident, proto=47) / Raw(body))
    if decoy or not isinstance(inner, Net):
        return raw, ip4_facts(osrc, odst, 47, 0, ttl, len(raw))
    return raw, gre_facts(osrc, odst, inner, key)


def gre_facts(osrc, odst, inner, key=None):
    facts = {"tunnelType": "gre" if inner.facts["ipVersion"] == 6 else "gre-ipv4",
             "tunnelSourceIPv4Address": osrc, "tunnelDestinationIPv4Address": odst}
    if key is not None:
        facts["greKey"] = key
    facts.update(inner.facts)
    return facts


def ipv6_udp(osrc, odst, sport, dport, inner, ttl=None, ident=None):
    """IPv6 directly in UDP (draft-ebalard-mext-m6t: a mobile node's packets
    to its home agent through a NAT, UDP 4500 and others): IPv4/UDP, then
    exactly one IPv6 packet. Facts as Teredo's: outer addresses and ports."""
    ttl = rng.choice((54, 60, 64, 117)) if ttl is None else ttl
    ident = rng.getrandbits(16) if ident is None else ident
    raw = bytes(IP(src=osrc, dst=odst, ttl=ttl, id=ident) / UDP(sport=sport, dport=dport) / Raw(inner.raw))
    return raw, ipv6_udp_facts(osrc, odst, sport, dport, inner)


def ipv6_udp_facts(osrc, odst, sport, dport, inner):
    facts = {"tunnelType": "ipv6-udp", "tunnelSourceIPv4Address": osrc, "tunnelDestinationIPv4Address": odst,
             "tunnelSourceTransportPort": sport, "tunnelDestinationTransportPort": dport}
    facts.update(inner.facts)
    return facts


# RFC 2473 generic packet tunneling in IPv6 (Linux ip6tnl: ip6ip6 and
# ipip6; DS-Lite's softwire between a B4 and its AFTR, RFC 6333): an outer
# IPv6 header whose extension-header walk ends at next header 41 (an IPv6
# packet) or 4 (an IPv4 packet).
IP6TNL_NH = {6: 41, 4: 4}


def ip6tnl_ext(kind, nh):
    """An outer extension header in front of the tunnel: destination options
    with RFC 2473 4.1.1's Tunnel Encapsulation Limit option (type 4, length
    1, limit 4) and a PadN, or a hop-by-hop header of a PadN: 8 bytes."""
    if kind == 60:
        return bytes([nh, 0, 0x04, 0x01, 0x04, 0x01, 0x01, 0x00])
    assert kind == 0, kind
    return bytes([nh, 0, 0x01, 0x04, 0x00, 0x00, 0x00, 0x00])


def ip6tnl(osrc, odst, inner, nh=None, hlim=None, tc=0, ext=(), decoy=False):
    """RFC 2473: an outer IPv6 header from `osrc` to `odst` (Addr), the
    extension headers `ext` (kinds: 0 hop-by-hop, 60 destination options),
    then `inner` (a Net, or bytes) under next header `nh` (41 for an IPv6
    packet, 4 for IPv4: by default from the inner packet's version). The
    tunnel is "ipv6-in-ipv6" or "ipv4-in-ipv6", its facts the outer IPv6
    pair, then the inner packet's; with `decoy` (or bytes for `inner`) the
    facts are those of the outer IPv6 packet: the native flow of protocol
    `nh`."""
    hlim = rng.choice((63, 64, 254, 255)) if hlim is None else hlim
    payload = inner.raw if isinstance(inner, Net) else inner
    if nh is None:
        nh = IP6TNL_NH[payload[0] >> 4]
    kinds = list(ext)
    chain = kinds + [nh]
    body = b"".join(ip6tnl_ext(k, chain[i + 1]) for i, k in enumerate(kinds)) + payload
    raw = ip6_raw(osrc, odst, chain[0], body, hlim=hlim, tc=tc)
    if decoy or not isinstance(inner, Net):
        return raw, ip6_facts(osrc, odst, nh, tc, hlim, len(raw))
    return raw, ip6tnl_facts(osrc, odst, inner)


def ip6tnl_facts(osrc, odst, inner):
    facts = {"tunnelType": "ipv6-in-ipv6" if inner.facts["ipVersion"] == 6 else "ipv4-in-ipv6",
             "tunnelSourceIPv6Address": osrc.text, "tunnelDestinationIPv6Address": odst.text}
    facts.update(inner.facts)
    return facts


# RFC 6081 section 4 trailers: type, length of the rest, value. The bits are
# those of probe/decode/packet.hpp (kTeredoTrailer*).
TRAILER_NONCE, TRAILER_ALTERNATE, TRAILER_ND, TRAILER_RANDOM_PORT, TRAILER_UNPARSED = 0x01, 0x02, 0x04, 0x08, 0x80


def trailer_nonce():
    return b"\x01\x04" + rbytes(4)


def trailer_alternate(*pairs):
    return bytes([0x03, 2 + 6 * len(pairs)]) + b"\x00\x00" + b"".join(
        socket.inet_aton(a) + struct.pack("!H", port) for a, port in pairs)


def trailer_nd(discovery_type=0):
    return bytes([0x04, 0x04, discovery_type]) + bytes(3)


def trailer_random_port(port):
    return b"\x05\x02" + struct.pack("!H", port)


def teredo_facts(osrc, odst, sport, dport, inner, auth=False, origin=None, bubble=None, trailers=0):
    facts = {"tunnelType": "teredo", "tunnelSourceIPv4Address": osrc, "tunnelDestinationIPv4Address": odst,
             "tunnelSourceTransportPort": sport, "tunnelDestinationTransportPort": dport}
    ter = None
    if inner.src is not None and isinstance(inner.src, Addr) and inner.src.teredo:
        ter = inner.src.teredo
    elif inner.dst is not None and isinstance(inner.dst, Addr) and inner.dst.teredo:
        ter = inner.dst.teredo
    if ter:
        server, flags, port, client = ter
        facts.update({"teredoServerIPv4Address": server, "teredoClientIPv4Address": client,
                      "teredoClientPort": port, "teredoFlags": flags})
    facts["teredoBubble"] = inner.bubble if bubble is None else bubble
    facts["teredoAuth"] = auth
    facts["teredoOrigin"] = origin is not None
    facts["teredoTrailers"] = trailers
    if origin:
        facts["teredoOriginIPv4Address"] = origin[1]
        facts["teredoOriginPort"] = origin[0]
    return facts


def relay_of(es, ed, osrc, odst):
    """The relay rule of probe/decode/plugin.hpp set_embedded()."""
    if es != osrc:
        return osrc
    if ed != odst:
        return odst
    return None


def p41(osrc, odst, inner_raw, ttype, inner=None, ttl=None, ident=None, df=False):
    """Protocol 41: IPv4 header then the IPv6 packet (Net, or bytes)."""
    ttl = rng.choice((52, 60, 64, 250, 255)) if ttl is None else ttl
    ident = rng.getrandbits(16) if ident is None else ident
    raw = bytes(IP(src=osrc, dst=odst, ttl=ttl, id=ident, proto=41, flags="DF" if df else 0) / Raw(inner_raw))
    return raw, (p41_facts(osrc, odst, ttype, inner) if inner is not None else None)


def p41_facts(osrc, odst, ttype, inner):
    facts = {"tunnelType": ttype, "tunnelSourceIPv4Address": osrc, "tunnelDestinationIPv4Address": odst}
    if ttype in ("6to4", "isatap", "6rd"):
        es, ed = inner.src.embedded(ttype), inner.dst.embedded(ttype)
        if es:
            facts["embeddedSourceIPv4Address"] = es
        if ed:
            facts["embeddedDestinationIPv4Address"] = ed
        relay = relay_of(es, ed, osrc, odst)
        if relay:
            facts["tunnelRelayIPv4Address"] = relay
    facts.update(inner.facts)
    return facts


def tunnel(osrc, odst, inner, ttype, **kw):
    return p41(osrc, odst, inner.raw, ttype, inner=inner, **kw)


# ---------------------------------------------------------------------------
# Link layer.

def mac(n):
    return bytes([0x02, 0x00, 0x5E, 0x10, (n >> 8) & 0xFF, n & 0xFF])


MAC_A, MAC_B = mac(1), mac(2)


def eth(l3, ethertype, vlans=(), mpls=(), pppoe=None, pad=True, src=MAC_A, dst=MAC_B):
    """Ethernet frame; `vlans` is a list of (tpid, vid), `mpls` a list of
    labels (the last gets the bottom-of-stack bit), `pppoe` a session id
    (ethertype is then the PPP protocol)."""
    hdr = dst + src
    link = {}
    for i, (tpid, vid) in enumerate(vlans):
        hdr += struct.pack("!HH", tpid, vid | rng.randrange(16) << 12)  # priority and DEI bits too
        link["vlanId" if i == 0 else "dot1qCustomerVlanId"] = vid
    if mpls:
        hdr += struct.pack("!H", ETH_MPLS)
        for i, label in enumerate(mpls):
            hdr += struct.pack("!I", label << 12 | rng.randrange(8) << 9 | (0x100 if i == len(mpls) - 1 else 0) | 64)
        link["mplsTopLabel"] = mpls[0]
        body = l3
    elif pppoe is not None:
        hdr += struct.pack("!H", ETH_PPPOE_SESSION)
        body = struct.pack("!BBHHH", 0x11, 0x00, pppoe, len(l3) + 2, ethertype) + l3
    else:
        hdr += struct.pack("!H", ethertype)
        body = l3
    frame = hdr + body
    if pad and len(frame) < 60:
        frame += bytes(60 - len(frame))
    return frame, link


def frame(net_or_raw, verdict="ok", facts=None, ethertype=None, **link_kw):
    """The Ethernet frame around an IP packet (a Net, a tuple (raw, facts)
    from the tunnel builders, or raw bytes) with its truth: a Frame."""
    if isinstance(net_or_raw, Net):
        raw, facts = net_or_raw.raw, dict(net_or_raw.facts) if facts is None else facts
    elif isinstance(net_or_raw, tuple):
        raw, facts = net_or_raw[0], net_or_raw[1] if facts is None else facts
    else:
        raw = net_or_raw
    if ethertype is None:
        ethertype = ETH_IPV6 if raw and raw[0] >> 4 == 6 else ETH_IPV4
    if facts is not None and "tunnelType" not in facts:
        facts = {"tunnelType": "none", **facts}
    data, link = eth(raw, ethertype, **link_kw)
    return Frame(data, verdict, facts, link)


class Frame:
    """A frame as it was on the wire (for ERSPAN III's frame type 2 a bare IP
    packet), with what `tunprobe decode` prints for it when it arrives on the
    port: `verdict`, `facts` (the keys after the link layer; None for a drop
    verdict) and `link` (vlanId, dot1qCustomerVlanId, mplsTopLabel)."""

    def __init__(self, data, verdict="ok", facts=None, link=None):
        self.data, self.verdict, self.facts, self.link = data, verdict, facts, dict(link or {})


# ---------------------------------------------------------------------------
# Mirrors (--mirror): a SPAN copy of a frame delivered over the network.
# VXLAN (RFC 7348) on UDP 4789, ERSPAN types I, II and III
# (draft-foschiano-erspan-03) and transparent Ethernet bridging (GRE 0x6558,
# Linux gretap, NVGRE RFC 7637), over IPv4 or IPv6. Decoded with --mirror,
# the packet is its mirrored frame (the frame's own truth) plus "mirrorType" and
# "observationPointId" (the VNI, the ERSPAN session id, the GRE key); the
# mirror's headers count nowhere. Without it (or when a check fails) it is
# the outer packet: a UDP flow, or the GRE flow of protocol 47.

VXLAN_PORT = 4789
GRE_ERSPAN, GRE_ERSPAN3, GRE_TEB = 0x88BE, 0x22EB, 0x6558
VXLAN_I = 0x08  # RFC 7348 5: the VNI is valid; the other flag bits are ignored
# The --mirror words and the mirror types each turns on.
MIRROR_OPTIONS = {"vxlan": {"vxlan"}, "erspan": {"erspan1", "erspan2", "erspan3"}, "teb": {"teb"}}


def mirror_names():
    """The mirror types of probe/base/mirror_type.hpp's table but none: the
    names the "mirrorType" key prints."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "probe", "base", "mirror_type.hpp")
    with open(path) as f:
        names = set(re.findall(r'X\(\s*\w+\s*,\s*\d+\s*,\s*"([^"]+)"', f.read()))
    if set().union(*MIRROR_OPTIONS.values()) != names - {"none"}:
        raise SystemExit(f"gen_traffic.py: mirror types differ from {path}: {sorted(names)}")
    return names


class Mirror:
    """A frame in a mirror's headers. `raw`: the outer IP packet; `kind` and
    `opid`: the "mirrorType" and "observationPointId" a decode with --mirror
    prints; `outer`: the facts of the outer packet decoded as itself (without
    --mirror for its kind, or when a check fails): the UDP flow, or the flow
    of protocol 47; `plain`: that packet's verdict without --mirror (ok for
    UDP and for GRE over IPv6, gre_other_protocol for GRE over IPv4);
    `inner`: the mirrored Frame (None when given bytes); `dport`: VXLAN's
    UDP destination port (None for GRE)."""

    def __init__(self, raw, kind, opid, outer, plain, inner, dport=None):
        self.raw, self.kind, self.opid, self.outer, self.plain = raw, kind, opid, outer, plain
        self.inner, self.dport = inner, dport


def _mirror_ip(osrc, odst, layer, proto, ttl, outer_v6):
    """The mirror's outer IP header (IPv4, or IPv6 between two Addr) around
    `layer`: (raw, facts of the outer packet)."""
    if outer_v6:
        ttl = rng.choice((64, 255)) if ttl is None else ttl
        raw = bytes(IPv6(src=osrc.text, dst=odst.text, hlim=ttl, nh=proto) / layer)
        return raw, ip6_facts(osrc, odst, proto, 0, ttl, len(raw))
    ttl = rng.choice((62, 63, 64, 254, 255)) if ttl is None else ttl
    raw = bytes(IP(src=osrc, dst=odst, ttl=ttl, id=rng.getrandbits(16), proto=proto) / layer)
    return raw, ip4_facts(osrc, odst, proto, 0, ttl, len(raw))


def _split(frame_bytes):
    return (frame_bytes.data, frame_bytes) if isinstance(frame_bytes, Frame) else (frame_bytes, None)


def vxlan(osrc, odst, frame_bytes, vni, sport=None, dport=VXLAN_PORT, outer_v6=False, flags=VXLAN_I, reserved=0,
          reserved2=0, ttl=None):
    """VXLAN (RFC 7348 5): outer IP, UDP to `dport` (the source port, RFC 7348
    5's entropy from the inner frame: random in 49152-65535 by default), the
    8-byte header (flags, 24 reserved bits (`reserved`: what VXLAN-GBP puts
    there), the VNI, 8 reserved bits (`reserved2`)), the frame (a Frame, or
    bytes)."""
    data, inner = _split(frame_bytes)
    sport = rng.randrange(49152, 65536) if sport is None else sport
    payload = bytes([flags]) + reserved.to_bytes(3, "big") + struct.pack("!I", vni << 8 | reserved2) + data
    raw, facts = _mirror_ip(osrc, odst, UDP(sport=sport, dport=dport) / Raw(payload), 17, ttl, outer_v6)
    facts.update({"sourceTransportPort": sport, "destinationTransportPort": dport})
    return Mirror(raw, "vxlan", vni, facts, "ok", inner, dport=dport)


GRE_SEQ = [0]


def _gre_mirror(osrc, odst, proto, payload, kind, opid, inner, outer_v6, key=None, csum=False, seq=None, ttl=None):
    body = gre_header(proto, payload, key=key, csum=csum, seq=seq) + payload
    raw, facts = _mirror_ip(osrc, odst, Raw(body), 47, ttl, outer_v6)
    return Mirror(raw, kind, opid, facts, "ok" if outer_v6 else "gre_other_protocol", inner)


def _next_seq():
    GRE_SEQ[0] += 1
    return GRE_SEQ[0]


def erspan1(osrc, odst, frame_bytes, outer_v6=False, ttl=None):
    """ERSPAN type I: GRE 0x88BE without the S bit, the frame right after the
    4-byte GRE header. No session: observation point 0."""
    data, inner = _split(frame_bytes)
    return _gre_mirror(osrc, odst, GRE_ERSPAN, data, "erspan1", 0, inner, outer_v6, ttl=ttl)


def erspan2_header(session, version=1, vlan=0, cos=0, en=0, t=0, index=0):
    """ERSPAN type II (draft-foschiano-erspan-03 4.1): Ver (4) VLAN (12), COS
    (3) En (2) T (1) Session ID (10), Reserved (12) Index (20)."""
    return struct.pack("!HHI", version << 12 | vlan, cos << 13 | en << 11 | t << 10 | session, index & 0xFFFFF)


def erspan2(osrc, odst, frame_bytes, session, outer_v6=False, version=1, ttl=None, **hdr):
    """ERSPAN type II: GRE 0x88BE with a sequence number, the 8-byte header
    (`hdr`: erspan2_header's fields), the frame. The session id is the
    observation point."""
    data, inner = _split(frame_bytes)
    payload = erspan2_header(session, version=version, **hdr) + data
    return _gre_mirror(osrc, odst, GRE_ERSPAN, payload, "erspan2", session, inner, outer_v6, seq=_next_seq(),
                       ttl=ttl)


def erspan3_header(session, ft=0, o_flag=False, version=2, vlan=0, cos=0, bso=0, t=0, timestamp=0, sgt=0, p=0,
                   hwid=0x15, d=0, gra=1, port_index=0x0102):
    """ERSPAN type III (draft-foschiano-erspan-03 4.2): Ver (4) VLAN (12),
    COS (3) BSO (2) T (1) Session ID (10), Timestamp (32), SGT (16), P (1) FT
    (5) Hw ID (6) D (1) Gra (2) O (1); with O the 8-byte platform-specific
    subheader (4.2.1; platform id 3: port index and the timestamp's upper
    32 bits)."""
    hdr = struct.pack("!HHIHBB", version << 12 | vlan, cos << 13 | bso << 11 | t << 10 | session,
                      timestamp & 0xFFFFFFFF, sgt, p << 7 | ft << 2 | hwid >> 4,
                      (hwid & 0xF) << 4 | d << 3 | gra << 1 | int(o_flag))
    if o_flag:
        hdr += struct.pack("!II", 3 << 26 | port_index, timestamp >> 32)
    return hdr


def erspan3(osrc, odst, frame_bytes, session, ft=0, o_flag=False, outer_v6=False, version=2, ttl=None, **hdr):
    """ERSPAN type III: GRE 0x22EB with a sequence number, the 12-byte header
    (and with `o_flag` the 8-byte platform subheader), then the frame (frame
    type 0) or a bare IP packet (frame type 2)."""
    data, inner = _split(frame_bytes)
    ts = BASE_TS * 10_000_000 + rng.getrandbits(24)  # 100 ns ticks (Gra 1)
    payload = erspan3_header(session, ft=ft, o_flag=o_flag, version=version, timestamp=ts, **hdr) + data
    return _gre_mirror(osrc, odst, GRE_ERSPAN3, payload, "erspan3", session, inner, outer_v6, seq=_next_seq(),
                       ttl=ttl)


def teb(osrc, odst, frame_bytes, key=None, csum=False, outer_v6=False, ttl=None):
    """Transparent Ethernet bridging (GRE 0x6558; gretap, NVGRE RFC 7637): the
    frame right after the GRE header. The key, when there is one, is the
    observation point, else 0."""
    data, inner = _split(frame_bytes)
    return _gre_mirror(osrc, odst, GRE_TEB, data, "teb", 0 if key is None else key, inner, outer_v6, key=key,
                       csum=csum, ttl=ttl)


MIRROR_NAMES = mirror_names()


def mirror_facts(m):
    """The truth of a mirror packet decoded with --mirror: its frame's
    (verdict, facts, link-layer keys and the mirror's two keys)."""
    f = m.inner
    return f.verdict, f.facts, {**f.link, "mirrorType": m.kind, "observationPointId": m.opid}


# ---------------------------------------------------------------------------
# Captures and their truth.

# The probe's default flow timeouts (tunprobe run --active-timeout,
# --inactive-timeout, --tcp-end-grace), in ms: the ground truth's flows are
# cut by the same rules (see Capture.flows).
ACTIVE_MS, INACTIVE_MS, TCP_END_GRACE_MS = 300_000, 30_000, 5_000
TCP_FIN, TCP_SYN, TCP_RST = 0x01, 0x02, 0x04


class Capture:
    def __init__(self, name, linktype=DLT_EN10MB, decode_args=(), snaplen=None):
        self.name, self.linktype, self.decode_args = name, linktype, list(decode_args)
        self.snaplen = snaplen  # every frame cut to it, and the file header says so
        self.records = []  # (ts_us, captured bytes, original length)
        self.packets = []
        self.flow_keys = []  # per packet: flow key tuple, or None
        self.ts = BASE_TS * 1_000_000
        self.next_ts = None  # set_time(): the next packet's timestamp

    def set_time(self, ts_us):
        """The next packet is stamped ts_us (microseconds since 1970) instead
        of a small random step after the previous one."""
        assert ts_us >= 0
        self.next_ts = ts_us

    def add(self, frame, verdict, facts=None, link=None, case="", snap=None, flow_key=None):
        """Appends one frame. `facts` are the decode keys after the link
        layer (ignored for drop verdicts), `link` the link-layer keys. Returns
        the packet's index."""
        assert verdict in ALL_VERDICTS, verdict
        # Tunnel labels are the names of tunprobe's tunnel table.
        assert facts is None or facts.get("tunnelType", "none") in tunnel_types.NAMES, facts.get("tunnelType")
        assert "mirrorType" not in (link or {}) or link["mirrorType"] in MIRROR_NAMES, link
        index = len(self.packets)
        if self.next_ts is not None:
            assert not self.records or self.next_ts >= self.ts, "packets are written in time order"
            self.ts, self.next_ts = self.next_ts, None
        else:
            self.ts += rng.randint(50, 4000)
        if self.snaplen is not None:
            snap = self.snaplen if snap is None else min(snap, self.snaplen)
        cap = frame if snap is None else frame[:snap]
        self.records.append((self.ts, cap, len(frame)))
        truth = {"index": index, "verdict": verdict}
        truth.update(link or {})
        if verdict in FLOW_VERDICTS:
            truth.update(facts)
            if flow_key is None:
                flow_key = make_flow_key(truth)
        else:
            flow_key = None
        truth["case"] = case
        self.packets.append(truth)
        self.flow_keys.append(flow_key)
        return index

    def key_of(self, index):
        return self.flow_keys[index]

    def eth(self, net_or_raw, verdict="ok", facts=None, case="", ethertype=None, snap=None, flow_key=None,
            **link_kw):
        """Ethernet frame around an IP packet: a Net (facts from it), or a
        tuple (raw, facts) from the tunnel builders, or raw bytes."""
        f = frame(net_or_raw, verdict, facts, ethertype, **link_kw)
        return self.add(f.data, f.verdict, f.facts, f.link, case, snap=snap, flow_key=flow_key)

    def write(self, out_dir, corpus_dir=None):
        path = os.path.join(out_dir, self.name + ".pcap")
        with open(path, "wb") as f:
            f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, self.snaplen or 262144, self.linktype))
            for ts, data, orig in self.records:
                f.write(struct.pack("<IIII", ts // 1_000_000, ts % 1_000_000, len(data), orig))
                f.write(data)
        truth = {"capture": self.name + ".pcap", "linkType": self.linktype, "decodeArgs": self.decode_args,
                 "packets": self.packets}
        flows = self.flows()
        truth["summary"] = self.summary(flows)
        truth["flows"] = flows
        with open(os.path.join(out_dir, self.name + ".truth.json"), "w") as f:
            json.dump(truth, f, indent=1)
            f.write("\n")
        if corpus_dir:
            for i, (_, data, _) in enumerate(self.records):
                with open(os.path.join(corpus_dir, f"{self.name}-{i:04d}.bin"), "wb") as f:
                    f.write(data)

    def flows(self):
        """The records a probe must export, in order of their first packet.

        The probe's flow rules, written out independently of it: a packet
        joins the open flow of its key unless that flow is over at the
        packet's time (in ms, floor): at min(first + active timeout, last +
        inactive timeout, first TCP FIN/RST + grace); a TCP SYN after the
        flow's FIN/RST starts a new flow at once. A timed-out flow's
        flowEndReason is activeTimeout when first + active came strictly
        first, else endOfFlowDetected for a TCP flow with FIN/RST, else
        idleTimeout. Flows that no later packet of their own key ended have
        "openAtEnd": true: the probe flushes them at the end of input, with
        their timeout reason when the capture's last packet time had reached
        their deadline, else forcedEnd.
        """
        flows, open_flows = [], {}
        last_ms = 0

        def deadline(f):
            d = min(f["_first"] + ACTIVE_MS, f["_last"] + INACTIVE_MS)
            if f["_end"] is not None:
                d = min(d, f["_end"] + TCP_END_GRACE_MS)
            return d

        def reason(f):
            active, idle = f["_first"] + ACTIVE_MS, f["_last"] + INACTIVE_MS
            if f["_end"] is not None:
                end = f["_end"] + TCP_END_GRACE_MS
                return "activeTimeout" if active < idle and active < end else "endOfFlowDetected"
            return "activeTimeout" if active < idle else "idleTimeout"

        def close(key, why):
            f = open_flows.pop(key)
            f["flowEndReason"] = why

        for truth, key, (ts, _, _) in zip(self.packets, self.flow_keys, self.records):
            t = ts // 1000
            last_ms = max(last_ms, t)
            if key is None:
                continue
            tcp = dict(key)["protocolIdentifier"] == 6
            flags = truth.get("tcpControlBits", 0) if tcp else 0
            flow = open_flows.get(key)
            if flow is not None and t >= deadline(flow):
                close(key, reason(flow))
                flow = None
            if flow is not None and flow["_end"] is not None and flags & TCP_SYN:
                close(key, "endOfFlowDetected")
                flow = None
            if flow is None:
                flow = {"key": dict(key), "packetDeltaCount": 0, "octetDeltaCount": 0,
                        "flowStartMilliseconds": t, "flowEndMilliseconds": t, "packetIndices": [],
                        "_first": t, "_last": t, "_end": None}
                open_flows[key] = flow
                flows.append(flow)
            flow["packetDeltaCount"] += 1
            outer_fragment = dict(key)["tunnelType"] != "none" and truth["tunnelType"] == "none"
            if not outer_fragment:
                flow["octetDeltaCount"] += truth["ipTotalLength"]
            flow["flowEndMilliseconds"] = flow["_last"] = t
            flow["packetIndices"].append(truth["index"])
            if tcp and "tcpControlBits" in truth:
                flow["tcpControlBits"] = flow.get("tcpControlBits", 0) | truth["tcpControlBits"]
                if flags & (TCP_FIN | TCP_RST) and flow["_end"] is None:
                    flow["_end"] = t
        for key, flow in list(open_flows.items()):
            flow["openAtEnd"] = True
            close(key, reason(flow) if last_ms >= deadline(flow) else "forcedEnd")
        for flow in flows:
            del flow["_first"], flow["_last"], flow["_end"]
        return flows

    def summary(self, flows):
        per_verdict, per_tunnel, flows_per_tunnel, per_mirror = {}, {}, {}, {}
        for t in self.packets:
            per_verdict[t["verdict"]] = per_verdict.get(t["verdict"], 0) + 1
            if "mirrorType" in t:
                per_mirror[t["mirrorType"]] = per_mirror.get(t["mirrorType"], 0) + 1
            if "tunnelType" in t:
                per_tunnel[t["tunnelType"]] = per_tunnel.get(t["tunnelType"], 0) + 1
        for fl in flows:
            tt = fl["key"]["tunnelType"]
            flows_per_tunnel[tt] = flows_per_tunnel.get(tt, 0) + 1
        drops = sum(n for v, n in per_verdict.items() if v in DROP_VERDICTS)
        flow_packets = sum(fl["packetDeltaCount"] for fl in flows)
        assert flow_packets + drops == len(self.packets)
        out = {"packets": len(self.packets), "packetsPerVerdict": dict(sorted(per_verdict.items())),
               "packetsPerTunnelType": dict(sorted(per_tunnel.items())), "flowPackets": flow_packets,
               "dropPackets": drops, "flows": len(flows), "flowsPerTunnelType": dict(sorted(flows_per_tunnel.items()))}
        if per_mirror:  # packets decoded from a mirror (drops too), by mirror type
            out["packetsPerMirror"] = dict(sorted(per_mirror.items()))
        return out


# The outer IPv6 pair of the tunnels carried directly in IPv6 (RFC 2473) is
# part of the flow key, as the outer IPv4 pair is for the others.
# A GRE tunnel's key (RFC 2890) is part of the flow key: present or not, and
# its value (tunnels between the same two endpoints that differ in their key
# are different tunnels). So are a mirrored packet's mirror and observation
# point (the same frame mirrored by two sessions is counted once per session).
FLOW_KEY_FIELDS = ("tunnelType", "tunnelSourceIPv4Address", "tunnelDestinationIPv4Address",
                   "tunnelSourceIPv6Address", "tunnelDestinationIPv6Address",
                   "tunnelSourceTransportPort", "tunnelDestinationTransportPort", "greKey", "vlanId",
                   "dot1qCustomerVlanId", "mirrorType", "observationPointId",
                   "sourceIPv4Address", "destinationIPv4Address", "sourceIPv6Address", "destinationIPv6Address",
                   "protocolIdentifier")


def make_flow_key(truth):
    key = [(k, truth[k]) for k in FLOW_KEY_FIELDS if k in truth]
    if "sourceTransportPort" in truth:
        ports = (truth["sourceTransportPort"], truth["destinationTransportPort"])
    elif "icmpTypeIPv4" in truth or "icmpTypeIPv6" in truth:
        v = "IPv4" if "icmpTypeIPv4" in truth else "IPv6"
        ports = (0, truth["icmpType" + v] * 256 + truth["icmpCode" + v])
    else:
        ports = (0, 0)
        # A transport that has ports or an ICMP type, whose header was not
        # seen (a later fragment without its first, a header cut before its
        # ports): the probe's key says so (it never joins, say, an ICMP echo
        # reply flow of type 0, code 0).
        if truth.get("protocolIdentifier") in (1, 6, 17, 58, 132):
            key.append(("transportHeaderMissing", True))
    key += [("sourceTransportPort", ports[0]), ("destinationTransportPort", ports[1])]
    return tuple(key)


def patch(raw, offset, fmt, value):
    b = bytearray(raw)
    struct.pack_into(fmt, b, offset, value)
    return bytes(b)


def fix_ip4_checksum(raw):
    b = bytearray(raw)
    ihl = (b[0] & 0x0F) * 4
    b[10:12] = b"\x00\x00"
    s = sum(struct.unpack(f"!{ihl // 2}H", bytes(b[:ihl])))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    struct.pack_into("!H", b, 10, ~s & 0xFFFF)
    return bytes(b)


# ---------------------------------------------------------------------------
# The address book.

# Native IPv4.
CLIENT4, WEB4, DNS4 = "192.0.2.10", "198.51.100.20", "203.0.113.53"
# Native IPv6, one of each class.
V6_EUI64 = eui64("2a02:8108:1bc0:3e00::", "3c:22:fb:8a:4b:10")
V6_PRIV = privacy("2a02:8108:1bc0:3e00::")
V6_LOW = A("2a00:1450:4001:80b::200e", "low")
V6_EMB = A("2604:a880:400:d0::c633:6414", "embedded-ipv4")
V6_OTHER = A("2a03:2880:f12f:83:face:b00c::1", "other")
V6_LL = A("fe80::3e22:fbff:fe8a:4b10", "link-local")
V6_LL_ROUTER = A("fe80::1", "link-local")
V6_MCAST_ALLNODES = A("ff02::1", "multicast")
V6_MCAST_ROUTERS = A("ff02::2", "multicast")
V6_MCAST_SOLICITED = A("ff02::1:ff8a:4b10", "multicast")
V6_ULA = A("fd12:3456:789a:1::10", "ula")
V6_ULA2 = A("fd12:3456:789a:1:5a1e:9c3b:d2e1:7f04", "ula")
V6_DOC = A("2001:db8:1:2::53", "documentation")
V6_UNSPEC = A("::", "unspecified")
V6_LOOP = A("::1", "loopback")
V6_MAPPED = A("::ffff:192.0.2.10", "ipv4-mapped")
V6_ISATAP_NATIVE = isatap("2a01:4f8:c0c:1::", "10.20.30.40")
V6_6TO4_WIN = sixtofour("203.0.113.5", 0, v4int("203.0.113.5"), "6to4-windows")
V6_6TO4_LINUX = sixtofour("198.51.100.10", 1, 1, "6to4-linux")
V6_6TO4_EUI64 = sixtofour("203.0.113.6", 1, eui64_iid("00:1b:21:3a:4f:01"), "6to4-eui64")
V6_6TO4_PRIV = sixtofour("203.0.113.7", 0, iid_privacy(), "6to4-privacy")
V6_6TO4_OTHER = sixtofour("192.0.2.66", 2, 0x2, "6to4-other")
V6_PRIV2 = privacy("2600:1700:5af0:2a10::")
V6_EUI64_2 = eui64("2001:470:1f0b:1a2::", "00:25:90:aa:01:02")
# RFC 8981 temporary addresses are raw random bits: the universal/local bit
# set (as current Linux does half the time) is still privacy.
V6_PRIV_UL = privacy("2a02:8108:1bc0:3e00::", ul=1)
V6_6TO4_PRIV_UL = sixtofour("203.0.113.8", 3, iid_privacy(ul=1), "6to4-privacy")
# 2002:V4:...:X:V4 with X != 0 is not the Windows form 2002:V4::V4.
V6_6TO4_NOTWIN = sixtofour("203.0.113.5", 0, 1 << 32 | v4int("203.0.113.5"), "6to4-other")

# Teredo (RFC 4380): servers, clients behind NAT, relays.
TEREDO_SERVER = "198.51.100.1"   # also 198.51.100.2 as its second address
TEREDO_SERVER2 = "198.51.100.2"
RELAY4 = "192.0.2.99"            # a Teredo relay near the native hosts
CLIENT_NAT = "203.0.113.77"      # the NAT's public address, client 1
CLIENT_PORT = 40001
PEER_NAT = "203.0.113.88"        # client 2
PEER_PORT = 51234
T_CLIENT = teredo_addr(TEREDO_SERVER, 0x8000, CLIENT_PORT, CLIENT_NAT)
T_PEER = teredo_addr(TEREDO_SERVER, 0x0A3C, PEER_PORT, PEER_NAT)  # RFC 5991 random flag bits
T_LL_CLIENT = A("fe80::8000:ffff:ffff:fffd", "link-local")
T_LL_SERVER = A("fe80::8000:5445:5245:444f", "link-local")


# ---------------------------------------------------------------------------
# mix.pcap

def build_mix():
    c = Capture("mix")

    # --- Native IPv4 -----------------------------------------------------
    sp = 50123
    seq_c, seq_s = 1000, 5000
    c.eth(ip4(CLIENT4, WEB4, tcp(sp, 443, "S", seq=seq_c), df=True), case="ipv4 tcp syn")
    c.eth(ip4(WEB4, CLIENT4, tcp(443, sp, "SA", seq=seq_s, ack=seq_c + 1), ttl=54, df=True), case="ipv4 tcp syn-ack")
    c.eth(ip4(CLIENT4, WEB4, tcp(sp, 443, "A", seq=seq_c + 1, ack=seq_s + 1), df=True), case="ipv4 tcp ack (padded)")
    c.eth(ip4(CLIENT4, WEB4, tcp(sp, 443, "PA", rbytes(517), seq=seq_c + 1, ack=seq_s + 1), df=True),
          case="ipv4 tcp data")
    c.eth(ip4(WEB4, CLIENT4, tcp(443, sp, "PA", rbytes(1400), ack=seq_c + 518), ttl=54, tos=0x28, df=True),
          case="ipv4 tcp data, dscp")
    c.eth(ip4(CLIENT4, WEB4, tcp(sp, 443, "FA"), df=True), case="ipv4 tcp fin")
    c.eth(ip4(CLIENT4, DNS4, udp(53001, 53, dns("www.example.com", "A", ident=0x3e11))), case="ipv4 udp dns query")
    c.eth(ip4(DNS4, CLIENT4, udp(53, 53001, dns("www.example.com", "A", "93.184.215.14", ident=0x3e11)), ttl=57), case="ipv4 udp dns answer")
    c.eth(ip4(CLIENT4, "203.0.113.1", icmp4(8, 0, rbytes(56), ident=0x1c2d, seq=1)), case="ipv4 icmp echo")
    c.eth(ip4("203.0.113.1", CLIENT4, icmp4(0, 0, rbytes(56), ident=0x1c2d, seq=1), ttl=250),
          case="ipv4 icmp echo reply")
    c.eth(ip4("192.0.2.1", CLIENT4, icmp4(3, 3, rbytes(28))), case="ipv4 icmp port unreachable")
    c.eth(ip4(CLIENT4, "198.51.100.200", tcp(40000, 22, "S"), options=[b"\x94\x04\x00\x00"]),
          case="ipv4 with options (ihl 6)")
    c.eth(ip4(CLIENT4, "198.51.100.200", udp(40001, 7, rbytes(12)), options=[b"\x07\x27\x04" + bytes(36), b"\x00"]),
          case="ipv4 with 40 bytes of options (ihl 15, record route)")
    gin = bytes(IP(src="10.9.0.1", dst="10.9.0.2") / ICMP())
    g4 = ip4("10.0.0.1", "10.0.0.2", other(47, b"\x00\x00\x08\x00" + gin))
    gin = Net(gin, {**ip4_facts("10.9.0.1", "10.9.0.2", 1, 0, 64, len(gin)), "icmpTypeIPv4": 8, "icmpCodeIPv4": 0})
    c.eth((g4.raw, gre_facts("10.0.0.1", "10.0.0.2", gin)),
          case="ipv4 in gre (RFC 2784, no optional fields): gre-ipv4, the inner icmp echo")
    c.eth(ip4("10.0.0.1", "10.0.0.3", other(4, bytes(IP(src="10.9.0.1", dst="10.9.0.3") / UDP(sport=1, dport=2)))),
          case="ipv4 ip-in-ip: not a tunnel tunprobe decodes")
    c.eth(ip4(CLIENT4, WEB4, sctp(36412, 36412)), case="ipv4 sctp")
    big = ip4(WEB4, CLIENT4, tcp(443, sp, "A", rbytes(1200)), ttl=54)
    c.eth(big, case="ipv4 tcp, snaplen cut at 96 bytes", snap=96)

    # --- Native IPv6, every class -----------------------------------------
    c.eth(ip6(V6_EUI64, V6_LOW, tcp(49812, 443, "S")), case="ipv6 tcp eui64 -> low")
    c.eth(ip6(V6_LOW, V6_EUI64, tcp(443, 49812, "SA"), hlim=57), case="ipv6 tcp low -> eui64")
    c.eth(ip6(V6_PRIV, V6_EMB, tcp(51000, 80, "PA", rbytes(312))), case="ipv6 tcp privacy -> embedded-ipv4")
    c.eth(ip6(V6_EMB, V6_PRIV, tcp(80, 51000, "PA", rbytes(1220)), tc=0xB8, fl=0x12345), case="ipv6 tcp, traffic class")
    c.eth(ip6(V6_PRIV, V6_OTHER, udp(52000, 443, rbytes(1250))), case="ipv6 udp (quic) privacy -> other")
    c.eth(ip6(V6_OTHER, V6_PRIV, udp(443, 52000, rbytes(260))), case="ipv6 udp other -> privacy")
    c.eth(ip6(V6_EUI64, V6_OTHER, echo6(0x77, 1, 56)), case="ipv6 icmpv6 echo")
    c.eth(ip6(V6_OTHER, V6_EUI64, echo6(0x77, 1, 56, reply=True)), case="ipv6 icmpv6 echo reply")
    c.eth(ip6(V6_UNSPEC, V6_MCAST_SOLICITED, icmp6(ICMPv6ND_NS(tgt=V6_LL.text)), hlim=255),
          case="ipv6 dad neighbour solicitation :: -> solicited-node")
    c.eth(ip6(V6_LL, V6_MCAST_ROUTERS, icmp6(ICMPv6ND_RS() / ICMPv6NDOptSrcLLAddr(lladdr="3c:22:fb:8a:4b:10")),
              hlim=255), case="ipv6 router solicitation link-local -> ff02::2")
    c.eth(ip6(V6_LL_ROUTER, V6_MCAST_ALLNODES, icmp6(ICMPv6ND_RA() / ICMPv6NDOptPrefixInfo(
        prefix="2a02:8108:1bc0:3e00::", prefixlen=64)), hlim=255), case="ipv6 router advertisement")
    c.eth(ip6(V6_LL_ROUTER, V6_LL, icmp6(ICMPv6ND_NA(tgt=V6_LL_ROUTER.text, R=1, S=1)), hlim=255),
          case="ipv6 neighbour advertisement link-local -> link-local")
    c.eth(ip6(V6_ULA, V6_ULA2, tcp(445, 50333, "PA", rbytes(150))), case="ipv6 ula -> ula")
    c.eth(ip6(V6_DOC, V6_EUI64, udp(53, 40123, dns("ipv6.example.net", "AAAA", V6_OTHER.text))), case="ipv6 documentation -> eui64")
    c.eth(ip6(V6_LOOP, V6_LOOP, tcp(631, 40000, "RA")), case="ipv6 loopback on the wire")
    c.eth(ip6(V6_MAPPED, V6_LOW, udp(123, 123, rbytes(48))), case="ipv6 ipv4-mapped source")
    c.eth(ip6(V6_ISATAP_NATIVE, V6_LOW, tcp(50500, 443, "S")), case="ipv6 native with an isatap address")
    c.eth(ip6(V6_LOW, T_CLIENT, echo6(1, 2, 8)), case="ipv6 native toward a teredo address (at the relay)")
    c.eth(ip6(V6_6TO4_WIN, V6_LOW, tcp(50600, 443, "S")), case="ipv6 native 6to4-windows source")
    c.eth(ip6(V6_6TO4_LINUX, V6_LOW, tcp(50601, 443, "S")), case="ipv6 native 6to4-linux source")
    c.eth(ip6(V6_6TO4_EUI64, V6_LOW, tcp(50602, 443, "S")), case="ipv6 native 6to4-eui64 source")
    c.eth(ip6(V6_6TO4_PRIV, V6_LOW, tcp(50603, 443, "S")), case="ipv6 native 6to4-privacy source")
    c.eth(ip6(V6_6TO4_OTHER, V6_LOW, tcp(50604, 443, "S")), case="ipv6 native 6to4-other source")
    c.eth(ip6(V6_PRIV, V6_LOW, other(59)), case="ipv6 no next header, ethernet padding")
    c.eth(ip6(V6_PRIV2, V6_EUI64_2, sctp(5060, 5060)), case="ipv6 sctp")
    # Extension headers.
    c.eth(ip6(V6_EUI64, V6_LOW, tcp(50700, 80, "S"), ext=[IPv6ExtHdrHopByHop(), IPv6ExtHdrDestOpt(),
                                                         IPv6ExtHdrRouting(type=0, segleft=0)]),
          case="ipv6 hop-by-hop, dest opts, routing, tcp")
    ah = bytes([6, 4, 0, 0]) + struct.pack("!II", 0x1000, 7) + rbytes(12)  # RFC 4302: 24 bytes, len field 4
    l4b = bytes(TCP(sport=50701, dport=80, flags="S", seq=1))
    c.eth(Net(ip6_raw(V6_EUI64, V6_LOW, 51, ah + l4b), {**ip6_facts(V6_EUI64, V6_LOW, 6, 0, 64, 40 + 24 + 20),
                                                        "sourceTransportPort": 50701, "destinationTransportPort": 80,
                                                        "tcpControlBits": 2}),
          case="ipv6 ah then tcp")
    esp = struct.pack("!II", 0x2000, 1) + rbytes(64)
    c.eth(Net(ip6_raw(V6_EUI64, V6_LOW, 50, esp), ip6_facts(V6_EUI64, V6_LOW, 50, 0, 64, 40 + len(esp))),
          case="ipv6 esp (no ports)")
    eight = b"".join(bytes([60, 0]) + bytes([1, 4, 0, 0, 0, 0]) for _ in range(7)) + bytes([17, 0, 1, 4, 0, 0, 0, 0])
    u8 = bytes(UDP(sport=4500, dport=4500, len=8 + 16)) + rbytes(16)
    c.eth(Net(ip6_raw(V6_PRIV, V6_OTHER, 60, eight + u8),
              {**ip6_facts(V6_PRIV, V6_OTHER, 17, 0, 64, 40 + 64 + 24),
               "sourceTransportPort": 4500, "destinationTransportPort": 4500}),
          case="ipv6 eight extension headers (the most allowed), udp")
    # IPv6 in IPv6 on the link (RFC 2473): the inner UDP (carriers.pcap has
    # the rest of ipv6-in-ipv6 and ipv4-in-ipv6).
    n66 = bytes(IPv6(src=V6_ULA.text, dst=V6_ULA2.text) / UDP(sport=1, dport=2))
    i66 = Net(n66, {**ip6_facts(V6_ULA, V6_ULA2, 17, 0, 64, len(n66)), "sourceTransportPort": 1,
                    "destinationTransportPort": 2})
    c.eth((ip6(V6_ULA, V6_ULA2, other(41, n66)).raw, ip6tnl_facts(V6_ULA, V6_ULA2, i66)),
          case="native ipv6-in-ipv6 (RFC 2473): ipv6-in-ipv6, the inner udp")
    # Every header of the IANA extension-header registry is walked (RFC 7045).
    c.eth(ip6_ext(V6_EUI64, V6_LOW, [MOBILITY], tcp(50710, 443, "S")),
          case="ipv6 mobility header (RFC 6275) then tcp: protocol 6, not 135")
    c.eth(ip6_ext(V6_PRIV, V6_OTHER, [HIP], udp(50711, 10500, rbytes(20))), case="ipv6 hip header (RFC 7401) then udp")
    c.eth(ip6_ext(V6_EUI64, V6_OTHER, [SHIM6], echo6(0x31, 1, 16)), case="ipv6 shim6 header (RFC 5533) then icmpv6")
    c.eth(ip6_ext(V6_EUI64, V6_LOW, [0, MOBILITY, HIP, SHIM6, EXPERIMENTAL, 60], tcp(50712, 80, "PA", rbytes(30))),
          case="ipv6 hop-by-hop, mobility, hip, shim6, 253, destination options, tcp")
    c.eth(ip6_ext(V6_EUI64, V6_LOW, [MOBILITY], other(59)), case="ipv6 mobility header alone (payload proto 59)")
    # RFC 8981 temporary addresses with the universal/local bit set.
    c.eth(ip6(V6_PRIV_UL, V6_LOW, tcp(50720, 443, "S")), case="ipv6 rfc 8981 temporary address, u/l bit set: privacy")
    c.eth(ip6(V6_LOW, V6_PRIV_UL, tcp(443, 50720, "SA"), hlim=57), case="ipv6 to an rfc 8981 address, u/l bit set")
    c.eth(ip6(V6_6TO4_PRIV_UL, V6_LOW, udp(50721, 53, dns("ul.example.com"))),
          case="ipv6 native 6to4 random id with the u/l bit set: 6to4-privacy")
    c.eth(ip6(V6_6TO4_NOTWIN, V6_LOW, tcp(50722, 443, "S")),
          case="ipv6 native 2002:V4::1:V4: not the windows form, 6to4-other")

    # --- Teredo on UDP 3544 --------------------------------------------------
    # Qualification: RS with authentication header, RA with auth + origin.
    rs = ip6(T_LL_CLIENT, V6_MCAST_ROUTERS, icmp6(ICMPv6ND_RS()), hlim=255)
    c.eth(teredo(CLIENT_NAT, TEREDO_SERVER, CLIENT_PORT, 3544, rs, auth=teredo_auth()),
          case="teredo router solicitation, auth header (id-len 0, au-len 0)")
    ra = ip6(T_LL_SERVER, T_LL_CLIENT, icmp6(ICMPv6ND_RA(routerlifetime=0) / ICMPv6NDOptMTU(mtu=1280)
                                            / ICMPv6NDOptPrefixInfo(prefix="2001:0:c633:6401::", prefixlen=64)),
             hlim=255)
    c.eth(teredo(TEREDO_SERVER, CLIENT_NAT, 3544, CLIENT_PORT, ra, auth=teredo_auth(),
                 origin=(CLIENT_PORT, CLIENT_NAT)), case="teredo router advertisement, auth + origin")
    rs2 = ip6(T_LL_CLIENT, V6_MCAST_ROUTERS, icmp6(ICMPv6ND_RS()), hlim=255)
    c.eth(teredo(CLIENT_NAT, TEREDO_SERVER2, CLIENT_PORT, 3544, rs2, auth=teredo_auth(id_len=4, au_len=20)),
          case="teredo router solicitation to the second server address, auth id-len 4 au-len 20")
    ra2 = ip6(T_LL_SERVER, T_LL_CLIENT, icmp6(ICMPv6ND_RA(routerlifetime=0) / ICMPv6NDOptPrefixInfo(
        prefix="2001:0:c633:6401::", prefixlen=64)), hlim=255)
    c.eth(teredo(TEREDO_SERVER2, CLIENT_NAT, 3544, CLIENT_PORT, ra2, auth=teredo_auth(id_len=4, au_len=20),
                 origin=(CLIENT_PORT, CLIENT_NAT)), case="teredo router advertisement from the second address")
    # Bubbles: direct to the peer, and through the server (origin indication).
    bub = ip6(T_CLIENT, T_PEER, other(59), hlim=21)
    c.eth(teredo(CLIENT_NAT, PEER_NAT, CLIENT_PORT, PEER_PORT, bub, ttl=128),
          case="teredo bubble client -> peer direct: neither port is 3544, teredo by content")
    bub_srv = ip6(T_CLIENT, T_PEER, other(59), hlim=21)
    c.eth(teredo(CLIENT_NAT, TEREDO_SERVER, CLIENT_PORT, 3544, bub_srv), case="teredo bubble, client -> server")
    c.eth(teredo(TEREDO_SERVER, PEER_NAT, 3544, PEER_PORT, bub_srv, origin=(CLIENT_PORT, CLIENT_NAT)),
          case="teredo bubble forwarded by the server, origin indication")
    fwd = ip6(T_CLIENT, T_PEER, echo6(0x5a, 1, 32), hlim=64)
    c.eth(teredo(TEREDO_SERVER, PEER_NAT, 3544, PEER_PORT, fwd, origin=(CLIENT_PORT, CLIENT_NAT)),
          case="teredo data forwarded by the server, origin indication")
    # Client <-> native host through a relay on port 3544.
    for i in range(3):
        flags = "S" if i == 0 else "PA"
        inner = ip6(T_CLIENT, V6_LOW, tcp(50800, 443, flags, rbytes(0 if i == 0 else 200 + 300 * i)), hlim=128)
        c.eth(teredo(CLIENT_NAT, RELAY4, CLIENT_PORT, 3544, inner), case="teredo client -> native host via relay",
              vlans=[(ETH_VLAN, 100)])
        back = ip6(V6_LOW, T_CLIENT, tcp(443, 50800, "SA" if i == 0 else "A", rbytes(0 if i == 0 else 1000)),
                   hlim=55)
        c.eth(teredo(RELAY4, CLIENT_NAT, 3544, CLIENT_PORT, back),
              case="teredo native host -> client via relay (untagged: vlan one direction only)")
    # Client <-> 6to4 host (through a relay that also speaks 6to4).
    inner = ip6(T_CLIENT, V6_6TO4_WIN, udp(51500, 3478, rbytes(80)), hlim=128)
    c.eth(teredo(CLIENT_NAT, RELAY4, CLIENT_PORT, 3544, inner), case="teredo client -> 6to4 host")
    inner = ip6(V6_6TO4_WIN, T_CLIENT, udp(3478, 51500, rbytes(92)), hlim=120)
    c.eth(teredo(RELAY4, CLIENT_NAT, 3544, CLIENT_PORT, inner), case="6to4 host -> teredo client")
    # Teredo client <-> client through the server port (peer uses 3544 as its own port).
    inner = ip6(T_PEER, T_CLIENT, echo6(0x5a, 1, 32, reply=True), hlim=64)
    c.eth(teredo(PEER_NAT, TEREDO_SERVER, PEER_PORT, 3544, inner), case="teredo peer -> server, echo reply")
    # Inner IPv6 fragments (Teredo MTU is 1280).
    frags = frag6(T_CLIENT, V6_OTHER, udp(51600, 443, rbytes(1800)), [1232], ident=0x0BADC0DE, hlim=128)
    k = c.eth(teredo(CLIENT_NAT, RELAY4, CLIENT_PORT, 3544, frags[0]), case="teredo inner ipv6 first fragment")
    c.eth(teredo(CLIENT_NAT, RELAY4, CLIENT_PORT, 3544, frags[1]), case="teredo inner ipv6 later fragment",
          flow_key=c.key_of(k))
    # Bubble with trailing payload.
    bp = Net(ip6_raw(T_CLIENT, T_PEER, 59, rbytes(8), hlim=21), None, T_CLIENT, T_PEER)
    bp.facts = ip6_facts(T_CLIENT, T_PEER, 59, 0, 21, 48)
    c.eth(teredo(CLIENT_NAT, TEREDO_SERVER, CLIENT_PORT, 3544, bp), verdict="teredo_bubble_payload",
          case="teredo bubble (next header 59) with 8 bytes of payload")
    # RFC 6081 trailers after the IPv6 packet. A bubble with a nonce trailer
    # (as Windows sends them), with an alternate address trailer and a
    # nonce, a random port trailer; data with a neighbor discovery option
    # trailer; a bubble with payload and a trailer (still its own verdict).
    tb1 = ip6(T_CLIENT, T_PEER, other(59), hlim=21)
    c.eth(teredo(CLIENT_NAT, TEREDO_SERVER, CLIENT_PORT, 3544, tb1, trailer=trailer_nonce(),
                 trailer_bits=TRAILER_NONCE), case="teredo bubble with a nonce trailer (RFC 6081 4.2)")
    c.eth(teredo(TEREDO_SERVER, PEER_NAT, 3544, PEER_PORT, tb1, origin=(CLIENT_PORT, CLIENT_NAT),
                 trailer=trailer_alternate(("192.168.1.20", 40001), ("10.0.0.20", 40002)) + trailer_nonce(),
                 trailer_bits=TRAILER_ALTERNATE | TRAILER_NONCE),
          case="indirect teredo bubble with alternate address and nonce trailers (RFC 6081 4.3)")
    c.eth(teredo(CLIENT_NAT, TEREDO_SERVER, CLIENT_PORT, 3544, tb1, trailer=trailer_random_port(61234),
                 trailer_bits=TRAILER_RANDOM_PORT), case="teredo bubble with a random port trailer (RFC 6081 4.5)")
    nd = ip6(T_CLIENT, T_PEER, echo6(0x5b, 1, 8), hlim=64)
    c.eth(teredo(CLIENT_NAT, PEER_NAT, CLIENT_PORT, PEER_PORT, nd, trailer=trailer_nd(0),
                 trailer_bits=TRAILER_ND),
          case="teredo echo with a neighbor discovery option trailer (RFC 6081 4.4), by content on mapped ports")
    bp2 = Net(ip6_raw(T_CLIENT, T_PEER, 59, rbytes(4), hlim=21), ip6_facts(T_CLIENT, T_PEER, 59, 0, 21, 44),
              T_CLIENT, T_PEER)
    c.eth(teredo(CLIENT_NAT, TEREDO_SERVER, CLIENT_PORT, 3544, bp2, trailer=trailer_nonce(),
                 trailer_bits=TRAILER_NONCE), verdict="teredo_bubble_payload",
          case="teredo bubble with 4 bytes of payload and a nonce trailer: still teredo_bubble_payload")
    # Extension headers inside Teredo.
    mt = ip6_ext(T_CLIENT, V6_LOW, [MOBILITY], tcp(50830, 443, "S"), hlim=128)
    c.eth(teredo(CLIENT_NAT, RELAY4, CLIENT_PORT, 3544, mt), case="teredo, inner mobility header then tcp")
    st = ip6_ext(V6_LOW, T_CLIENT, [SHIM6], udp(443, 50831, rbytes(30)), hlim=55)
    c.eth(teredo(RELAY4, CLIENT_NAT, 3544, CLIENT_PORT, st), case="teredo, inner shim6 header then udp")
    # 6in4 inside Teredo: counted as nested.
    in6 = bytes(IPv6(src=V6_DOC.text, dst=V6_ULA.text) / UDP(sport=7, dport=7) / Raw(rbytes(20)))
    nest = Net(ip6_raw(T_CLIENT, V6_EMB, 41, in6, hlim=128), None, T_CLIENT, V6_EMB)
    nest.facts = ip6_facts(T_CLIENT, V6_EMB, 41, 0, 128, 40 + len(in6))
    c.eth(teredo(CLIENT_NAT, RELAY4, CLIENT_PORT, 3544, nest), verdict="tunnel_nested",
          case="ipv6-in-ipv6 inside teredo: nested")

    # False positives on port 3544: kept as IPv4 UDP with their own verdict.
    def fp(payload, verdict, case, sport=3544, dport=61000):
        net = ip4(TEREDO_SERVER, "192.0.2.150", udp(sport, dport, payload), ttl=60)
        c.eth(net, verdict=verdict, case=case)

    junk = rbytes(64)
    junk = bytes([0x17 if junk[0] in (0, 0x60) or junk[0] >> 4 == 6 else junk[0]]) + junk[1:]
    fp(junk, "teredo_not_ipv6", "udp 3544, random payload")
    fp(bytes(IP(src="10.1.1.1", dst="10.1.1.2") / UDP(sport=9, dport=9) / Raw(rbytes(20))), "teredo_not_ipv6",
       "udp 3544, ipv4 inside")
    fp(b"\x61" + rbytes(20), "teredo_not_ipv6",
       "udp 3544, version 6 nibble but shorter than an ipv6 header")
    fp(teredo_auth(id_len=8, au_len=16)[:20], "teredo_auth_truncated", "udp 3544, authentication header cut")
    fp(b"\x00\x01", "teredo_auth_truncated", "udp 3544, authentication indicator only")
    fp(b"\x00\x00" + struct.pack("!H", CLIENT_PORT ^ 0xFFFF) + b"\x34\x8e", "teredo_origin_truncated",
       "udp 3544, origin indication cut")
    fp(teredo_auth() + b"\x00\x00\x12\x34", "teredo_origin_truncated", "udp 3544, auth then origin cut")
    good = ip6(T_CLIENT, V6_LOW, udp(1, 2, rbytes(40)))
    fp(patch(good.raw, 4, "!H", 100), "teredo_length_mismatch", "udp 3544, ipv6 payload length > udp",
       sport=CLIENT_PORT, dport=3544)
    # On a Teredo port, bytes after the IPv6 packet are RFC 6081 trailers;
    # these are no trailer of a known type: "unparsed".
    short = patch(ip6(T_CLIENT, V6_LOW, udp(1, 2, b"\xee" * 40)).raw, 4, "!H", 20)
    inner = Net(short[:60], {**ip6_facts(T_CLIENT, V6_LOW, 17, 0, 64, 60), "sourceTransportPort": 1,
                             "destinationTransportPort": 2}, T_CLIENT, V6_LOW)
    c.eth(teredo(TEREDO_SERVER, "192.0.2.150", CLIENT_PORT, 3544, inner, ttl=60, trailer=short[60:],
                 trailer_bits=TRAILER_UNPARSED),
          case="udp 3544, ipv6 payload length < udp: teredo, the rest unparsed trailer bytes")
    c.eth(teredo(TEREDO_SERVER, "192.0.2.150", CLIENT_PORT, 3544, good, ttl=60,
                 trailer=b"\xde\xad\xbe\xef\x00\x01", trailer_bits=TRAILER_UNPARSED),
          case="udp 3544, 6 bytes after the ipv6 packet: teredo with unparsed trailer bytes")

    # --- 6to4 ------------------------------------------------------------
    H1, H2 = "203.0.113.5", "198.51.100.10"
    for i in range(3):
        fl = ["S", "PA", "A"][i]
        c.eth(tunnel(H1, H2, ip6(V6_6TO4_WIN, V6_6TO4_LINUX, tcp(50900, 22, fl, rbytes(48 * i)), hlim=128), "6to4"),
              case="6to4 host -> host (windows -> linux ids)")
        c.eth(tunnel(H2, H1, ip6(V6_6TO4_LINUX, V6_6TO4_WIN, tcp(22, 50900, "SA" if i == 0 else "PA",
                                                                  rbytes(64 * i)), hlim=64), "6to4"),
              case="6to4 host -> host (linux -> windows ids)")
    ANYCAST, URELAY = "192.88.99.1", "192.0.2.130"
    for src, l4s, l4r in ((V6_6TO4_EUI64, tcp(51000, 443, "S"), tcp(443, 51000, "SA")),
                          (V6_6TO4_PRIV, udp(51001, 443, rbytes(1200)), udp(443, 51001, rbytes(700))),
                          (V6_6TO4_LINUX, echo6(9, 1, 24), echo6(9, 1, 24, reply=True))):
        c.eth(tunnel(src.sixto4, ANYCAST, ip6(src, V6_LOW, l4s), "6to4"),
              case=f"6to4 {src.cls} host -> native via 192.88.99.1")
        c.eth(tunnel(URELAY, src.sixto4, ip6(V6_LOW, src, l4r, hlim=55), "6to4"),
              case=f"native -> 6to4 {src.cls} host from a unicast relay")
    c.eth(tunnel(V6_6TO4_OTHER.sixto4, ANYCAST, ip6(V6_6TO4_OTHER, V6_EUI64, tcp(50001, 25, "S")), "6to4"),
          case="6to4 other id -> native")

    # --- ISATAP (RFC 5214) ---------------------------------------------------
    IH1, IH2, IROUTER = "10.1.2.3", "10.1.2.4", "10.1.2.1"
    ll1 = isatap("fe80::", IH1, cls="link-local")
    llr = isatap("fe80::", IROUTER, cls="link-local")
    g1 = isatap("2a01:4f8:c0c:1::", IH1)
    g2 = isatap("2a01:4f8:c0c:1::", IH2, universal=True)
    c.eth(tunnel(IH1, IROUTER, ip6(ll1, llr, icmp6(ICMPv6ND_RS()), hlim=255), "isatap"),
          case="isatap router solicitation, link-local ::0:5efe ids")
    c.eth(tunnel(IROUTER, IH1, ip6(llr, ll1, icmp6(ICMPv6ND_RA() / ICMPv6NDOptPrefixInfo(
        prefix="2a01:4f8:c0c:1::", prefixlen=64)), hlim=255), "isatap"), case="isatap router advertisement")
    c.eth(tunnel(IH1, IH2, ip6(g1, g2, tcp(49900, 445, "S")), "isatap"),
          case="isatap host -> host, ::0:5efe -> ::200:5efe, embedded = outer")
    c.eth(tunnel(IH2, IH1, ip6(g2, g1, tcp(445, 49900, "SA")), "isatap"), case="isatap host -> host, reverse")
    c.eth(tunnel(IH1, IROUTER, ip6(g1, V6_LOW, tcp(49901, 443, "PA", rbytes(333))), "isatap"),
          case="isatap host -> native through the isatap router")
    c.eth(tunnel(IROUTER, IH1, ip6(V6_LOW, g1, tcp(443, 49901, "PA", rbytes(1111)), hlim=58), "isatap"),
          case="native -> isatap host through the router")
    i6 = isatap("2002:cb00:7108:1::", "10.1.2.8")
    c.eth(tunnel("10.1.2.8", IROUTER, ip6(i6, V6_EUI64, udp(50050, 53, dns("intranet.example.org", ident=0x0a0a))), "isatap"),
          case="isatap id under a 2002:: prefix: isatap by precedence")
    c.eth(tunnel(IROUTER, "10.1.2.8", ip6(V6_EUI64, i6, udp(53, 50050, dns("intranet.example.org", "AAAA", V6_ULA.text, ident=0x0a0a))), "isatap"),
          case="reply to an isatap id under a 2002:: prefix")

    # --- 6in4: tunnel broker; 2001:0:: over protocol 41 ------------------------
    BROKER, TUNCLIENT = "216.66.80.30", "203.0.113.40"
    he_client = A("2001:470:1f0a:12ab::2", "low")
    he_lan = eui64("2001:470:1f0b:12ab::", "a4:5e:60:c1:22:33")
    for i in range(2):
        c.eth(tunnel(TUNCLIENT, BROKER, ip6(he_lan, V6_OTHER, tcp(52100, 443, "PA", rbytes(100 + 400 * i))), "6in4"),
              case="6in4 broker, lan host -> internet")
        c.eth(tunnel(BROKER, TUNCLIENT, ip6(V6_OTHER, he_lan, tcp(443, 52100, "PA", rbytes(1380)), hlim=52),
                     "6in4"), case="6in4 broker, internet -> lan host")
    c.eth(tunnel(TUNCLIENT, BROKER, ip6(he_client, V6_LL, echo6(3, 3, 16)), "6in4"),
          case="6in4 broker, tunnel endpoint ping")
    c.eth(tunnel(TUNCLIENT, BROKER, ip6(T_CLIENT, V6_LOW, udp(55000, 53, dns("teredo.example.com", ident=0x5150))), "6in4"),
          case="teredo address over protocol 41: 6in4, not teredo")
    c.eth(tunnel(BROKER, TUNCLIENT, ip6(V6_LOW, T_PEER, udp(53, 55000, dns("teredo.example.com", "AAAA", V6_LOW.text, ident=0x5150))), "6in4"),
          case="teredo destination over protocol 41: 6in4")

    # --- Link layers ------------------------------------------------------
    c.eth(ip4("10.10.0.5", "10.10.0.1", udp(514, 514, syslog("sw1 %LINK-3-UPDOWN: Interface Gi0/1, changed state to up"))), vlans=[(ETH_VLAN, 10)], case="802.1Q ipv4")
    c.eth(ip6(V6_EUI64, V6_LOW, tcp(50200, 80, "S")), vlans=[(ETH_VLAN, 4094)], case="802.1Q ipv6, vid 4094")
    c.eth(ip4("10.20.0.5", "10.20.0.1", tcp(33000, 80, "S")), vlans=[(ETH_QINQ, 200), (ETH_VLAN, 10)],
          case="QinQ 0x88a8/0x8100 ipv4")
    c.eth(tunnel(H1, H2, ip6(V6_6TO4_WIN, V6_6TO4_LINUX, udp(33001, 33002, rbytes(30))), "6to4"),
          vlans=[(ETH_QINQ_OLD, 300), (ETH_VLAN, 20)], case="QinQ 0x9100/0x8100 carrying 6to4")
    c.eth(ip4("10.30.0.5", "10.30.0.9", icmp4(8, 0, rbytes(32))), vlans=[(ETH_QINQ, 0), (ETH_VLAN, 1)],
          case="QinQ, outer vid 0")
    c.eth(ip4("172.16.5.1", "172.16.9.1", tcp(179, 40500, "PA", rbytes(19))), mpls=[16021],
          case="MPLS 1 label, ipv4")
    c.eth(ip6(V6_EUI64_2, V6_OTHER, udp(40600, 443, rbytes(200))), mpls=[24007, 17],
          case="MPLS 2 labels, ipv6")
    c.eth(ip4("172.16.5.2", "172.16.9.2", udp(4000, 4001, rbytes(10))), mpls=[1048575, 3, 16],
          case="MPLS 3 labels, top label 2^20-1")
    c.eth(tunnel(V6_6TO4_EUI64.sixto4, ANYCAST, ip6(V6_6TO4_EUI64, V6_LOW, tcp(51002, 443, "S")), "6to4"),
          mpls=[30001], case="MPLS carrying 6to4")
    c.eth(ip4("100.64.1.10", "198.51.100.20", tcp(40700, 443, "PA", rbytes(600))), ethertype=0x0021, pppoe=0x1a2b,
          case="PPPoE session ipv4")
    c.eth(ip6(V6_PRIV2, V6_LOW, tcp(40701, 443, "PA", rbytes(500))), ethertype=0x0057, pppoe=0x1a2b,
          case="PPPoE session ipv6")
    c.eth(tunnel("100.64.1.10", BROKER, ip6(he_lan, V6_LOW, udp(40702, 443, rbytes(900))), "6in4"),
          ethertype=0x0021, pppoe=0x1a2b, case="PPPoE session ipv4 carrying 6in4")
    c.eth(ip4("10.10.0.5", "10.10.0.1", udp(514, 514, syslog("bras1 session up"))), vlans=[(ETH_VLAN, 10)], ethertype=0x0021,
          pppoe=0x0007, case="802.1Q + PPPoE session")

    # --- Fragments -------------------------------------------------------
    fr = frag4(CLIENT4, DNS4, udp(53002, 33434, rbytes(2992)), [1480, 1480], ident=0x4A4B)
    k = c.eth(fr[0], case="ipv4 first fragment (udp)")
    c.eth(fr[1], case="ipv4 later fragment", flow_key=c.key_of(k))
    c.eth(fr[2], case="ipv4 last fragment", flow_key=c.key_of(k))
    fr = frag4(WEB4, CLIENT4, icmp4(0, 0, rbytes(1600), ident=7, seq=7), [1480], ident=0x0101)
    k = c.eth(fr[0], case="ipv4 first fragment (icmp)")
    c.eth(fr[1], case="ipv4 later fragment (icmp)", flow_key=c.key_of(k))
    fr6 = frag6(V6_EUI64, V6_OTHER, udp(40800, 4433, rbytes(3000)), [1448, 1448], ident=0x11223344)
    k = c.eth(fr6[0], case="ipv6 fragment header, first")
    c.eth(fr6[1], case="ipv6 fragment header, middle", flow_key=c.key_of(k))
    c.eth(fr6[2], case="ipv6 fragment header, last", flow_key=c.key_of(k))
    # Outer-fragmented 6in4: a 1500-byte IPv6 packet over a 1280-byte IPv4 path.
    inner = ip6(he_lan, V6_OTHER, tcp(52101, 443, "PA", rbytes(1440)))
    whole = inner.raw
    ident = 0x7E57
    first = bytes(IP(src=TUNCLIENT, dst=BROKER, ttl=64, id=ident, proto=41, flags="MF") / Raw(whole[:1256]))
    rest = bytes(IP(src=TUNCLIENT, dst=BROKER, ttl=64, id=ident, proto=41, frag=1256 // 8) / Raw(whole[1256:]))
    facts = p41_facts(TUNCLIENT, BROKER, "6in4", inner)
    facts.update({"fragmentIdentification": ident, "fragmentOffset": 0, "firstFragment": True})
    k = c.eth((first, facts), case="6in4, outer ipv4 first fragment")
    facts = ip4_facts(TUNCLIENT, BROKER, 41, 0, 64, len(rest))
    facts.update({"fragmentIdentification": ident, "fragmentOffset": 1256, "firstFragment": False})
    c.eth((rest, facts), case="6in4, outer ipv4 later fragment (plain ipv4 protocol 41; inner flow)",
          flow_key=c.key_of(k))

    # Outer-fragmented Teredo: the first fragment holds the UDP header, the
    # Teredo headers and the inner IPv6 header.
    inner = ip6(T_CLIENT, V6_OTHER, udp(51601, 443, rbytes(1400)), hlim=128)
    udp_dgram = bytes(UDP(sport=CLIENT_PORT, dport=3544, len=8 + len(inner.raw))) + inner.raw
    ident = 0x2E2E
    first = bytes(IP(src=CLIENT_NAT, dst=RELAY4, ttl=113, id=ident, proto=17, flags="MF") / Raw(udp_dgram[:1000]))
    rest = bytes(IP(src=CLIENT_NAT, dst=RELAY4, ttl=113, id=ident, proto=17, frag=1000 // 8) / Raw(udp_dgram[1000:]))
    facts = teredo_facts(CLIENT_NAT, RELAY4, CLIENT_PORT, 3544, inner)
    facts.update(inner.facts)
    facts.update({"fragmentIdentification": ident, "fragmentOffset": 0, "firstFragment": True})
    k = c.eth((first, facts), case="teredo, outer ipv4 first fragment (udp checksum left unchecked)")
    facts = ip4_facts(CLIENT_NAT, RELAY4, 17, 0, 113, len(rest))
    facts.update({"fragmentIdentification": ident, "fragmentOffset": 1000, "firstFragment": False})
    c.eth((rest, facts), case="teredo, outer ipv4 later fragment (plain ipv4 udp; inner flow)", flow_key=c.key_of(k))
    # An atomic fragment (RFC 6946): fragment header, offset 0, no more fragments.
    # It is no fragment (the flow stage sees a whole packet) and is parsed on
    # into its transport header.
    atomic = frag6(V6_PRIV, V6_LOW, tcp(40900, 443, "A"), [], ident=0x5A5A5A5A)[0]
    for key in ("fragmentIdentification", "fragmentOffset", "firstFragment"):
        atomic.facts.pop(key)
    c.eth(atomic, case="ipv6 atomic fragment (offset 0, M=0): not a fragment")
    at = frag6(T_CLIENT, V6_LOW, udp(50840, 53, dns("atomic.example.com")), [], ident=0x0A70, hlim=128)[0]
    for key in ("fragmentIdentification", "fragmentOffset", "firstFragment"):
        at.facts.pop(key)
    c.eth(teredo(CLIENT_NAT, RELAY4, CLIENT_PORT, 3544, at), case="teredo, inner atomic fragment: not a fragment")
    # Later fragments whose first fragment never came: no ports, no ICMP
    # type (the bytes would read as an echo request); each its own port-less
    # flow.
    orphan = frag4(WEB4, CLIENT4, icmp4(8, 0, rbytes(1600), ident=9, seq=9), [1480], ident=0x0202)[1]
    c.eth(orphan, case="ipv4 icmp later fragment without its first fragment: no icmp type")
    orphan6 = frag6(V6_EUI64, V6_OTHER, echo6(0x44, 1, 2000), [1448], ident=0x0303)[1]
    c.eth(orphan6, case="ipv6 icmpv6 later fragment without its first fragment: no icmp type")
    # IPv4 options in front of the tunnels.
    ipopt = [b"\x94\x04\x00\x00"]  # router alert
    inner = ip6(he_lan, V6_OTHER, udp(52102, 53, dns("options.example.com")))
    raw = bytes(IP(src=TUNCLIENT, dst=BROKER, ttl=64, id=0x4242, proto=41, options=ipopt) / Raw(inner.raw))
    c.eth((raw, p41_facts(TUNCLIENT, BROKER, "6in4", inner)), case="6in4 with ipv4 options (ihl 6)")
    inner = ip6(T_CLIENT, V6_LOW, tcp(50802, 443, "A"), hlim=128)
    raw = bytes(IP(src=CLIENT_NAT, dst=RELAY4, ttl=113, id=0x4243, options=ipopt)
                / UDP(sport=CLIENT_PORT, dport=3544) / Raw(inner.raw))
    c.eth((raw, {**teredo_facts(CLIENT_NAT, RELAY4, CLIENT_PORT, 3544, inner), **inner.facts}),
          case="teredo with ipv4 options (ihl 6)")
    # Snaplen-cut tunnels: lengths come from the headers.
    inner = ip6(T_CLIENT, V6_LOW, tcp(50803, 443, "PA", rbytes(1200)), hlim=128)
    c.eth(teredo(CLIENT_NAT, RELAY4, CLIENT_PORT, 3544, inner), snap=14 + 20 + 8 + 40 + 20,
          case="teredo cut by the snaplen right after the inner tcp header")
    inner = ip6(he_lan, V6_OTHER, tcp(52103, 443, "PA", rbytes(1300)))
    c.eth(tunnel(TUNCLIENT, BROKER, inner, "6in4"), snap=14 + 20 + 40 + 20,
          case="6in4 cut by the snaplen right after the inner tcp header")
    # A 64 KiB IPv6 packet (GRO/LRO capture): 40 + payload length exceeds 16 bits.
    jumbo = ip6(V6_EUI64, V6_OTHER, udp(40901, 9000, rbytes(65535 - 8)))
    c.eth(jumbo, snap=200, case="native ipv6, payload length 65535 (ipTotalLength 65575), snaplen cut")
    # Teredo headers in the wrong number or order: not Teredo.
    bub2 = ip6(T_CLIENT, T_PEER, other(59), hlim=21)
    fp_raw = teredo_auth() + teredo_auth() + bub2.raw
    c.eth(ip4(CLIENT_NAT, TEREDO_SERVER, udp(CLIENT_PORT, 3544, fp_raw)), verdict="teredo_not_ipv6",
          case="udp 3544, two authentication headers")
    fp_raw = teredo_origin(CLIENT_PORT, CLIENT_NAT) + teredo_auth() + bub2.raw
    c.eth(ip4(TEREDO_SERVER, CLIENT_NAT, udp(3544, CLIENT_PORT, fp_raw)), verdict="teredo_not_ipv6",
          case="udp 3544, origin indication before authentication")
    # Bytes after the packet: a capture that keeps the 4-byte FCS, and a
    # 6in4 packet whose IPv4 payload is longer than the inner IPv6 packet.
    inner = ip6(T_CLIENT, V6_LOW, tcp(50804, 443, "A"), hlim=128)
    raw, facts = teredo(CLIENT_NAT, RELAY4, CLIENT_PORT, 3544, inner)
    frame, link = eth(raw, ETH_IPV4)
    c.add(frame + rbytes(4), "ok", {"tunnelType": "teredo", **facts}, link, case="teredo, frame with its FCS")
    n = ip6(V6_PRIV, V6_LOW, other(59))
    frame, link = eth(n.raw, ETH_IPV6, pad=False)
    c.add(frame + rbytes(4), "ok", {"tunnelType": "none", **n.facts}, link, case="native ipv6, frame with its FCS")
    inner = ip6(he_lan, V6_OTHER, udp(52104, 443, rbytes(30)))
    c.eth(p41(TUNCLIENT, BROKER, inner.raw + rbytes(8), "6in4", inner=inner),
          case="6in4, 8 bytes after the inner ipv6 packet in the ipv4 payload")
    # VLAN + MPLS.
    c.eth(ip4("172.16.6.1", "172.16.9.6", udp(4002, 4003, rbytes(64))), vlans=[(ETH_VLAN, 77)], mpls=[18000],
          case="802.1Q then MPLS")

    # --- Nested tunnels ----------------------------------------------------
    in6 = bytes(IPv6(src=V6_ULA.text, dst=V6_ULA2.text, hlim=64) / TCP(sport=1, dport=2, flags="S"))
    n6 = Net(ip6_raw(he_lan, V6_EMB, 41, in6), ip6_facts(he_lan, V6_EMB, 41, 0, 64, 40 + len(in6)), he_lan, V6_EMB)
    c.eth(tunnel(TUNCLIENT, BROKER, n6, "6in4"), verdict="tunnel_nested", case="ipv6-in-ipv6 inside 6in4")
    in4 = bytes(IP(src="10.50.0.1", dst="10.50.0.2") / UDP(sport=5, dport=6))
    n4 = Net(ip6_raw(he_lan, V6_EMB, 4, in4), ip6_facts(he_lan, V6_EMB, 4, 0, 64, 40 + len(in4)), he_lan, V6_EMB)
    c.eth(tunnel(TUNCLIENT, BROKER, n4, "6in4"), verdict="tunnel_nested", case="ipv4-in-ipv6 inside 6in4")
    tin = ip6(T_CLIENT, V6_LOW, udp(50801, 443, rbytes(20)), hlim=128)
    nt = ip6(he_lan, V6_EMB, udp(CLIENT_PORT, 3544, tin.raw))
    c.eth(tunnel(TUNCLIENT, BROKER, nt, "6in4"), verdict="tunnel_nested", case="teredo (udp 3544) inside 6in4")
    nt2 = ip6(he_lan, V6_EMB, udp(CLIENT_PORT, 3544, rbytes(30)))
    c.eth(tunnel(TUNCLIENT, BROKER, nt2, "6in4"), case="udp 3544 inside 6in4 but not teredo: not nested")
    tt = ip6(T_PEER, T_CLIENT, udp(PEER_PORT, 3544, tin.raw), hlim=100)
    c.eth(teredo(PEER_NAT, TEREDO_SERVER, PEER_PORT, 3544, tt), verdict="tunnel_nested",
          case="teredo inside teredo")
    ti4 = Net(ip6_raw(T_CLIENT, V6_EMB, 4, in4, hlim=128), ip6_facts(T_CLIENT, V6_EMB, 4, 0, 128, 40 + len(in4)),
              T_CLIENT, V6_EMB)
    c.eth(teredo(CLIENT_NAT, RELAY4, CLIENT_PORT, 3544, ti4), verdict="tunnel_nested",
          case="ipv4-in-ipv6 inside teredo")

    # --- Every remaining verdict ---------------------------------------------
    c.add(bytes(MAC_B + MAC_A[:4]), "frame_truncated", case="10-byte frame")
    c.add(MAC_B + MAC_A + b"\x81\x00\x00", "vlan_truncated", case="802.1Q tag cut")
    # Three tags: outer 0x88a8 vid 10, then 0x8100 vid 11, then 0x8100 vid 12.
    c.add(MAC_B + MAC_A + b"\x88\xa8\x00\x0a\x81\x00\x00\x0b\x81\x00\x00\x0c\x08\x00"
          + bytes(IP(src="10.0.0.1", dst="10.0.0.2") / UDP()), "vlan_too_deep",
          link={"vlanId": 10, "dot1qCustomerVlanId": 11}, case="three vlan tags")
    c.add(MAC_B + MAC_A + b"\x88\x47" + struct.pack("!I", 100 << 12 | 64) + b"\x00\x00",
          "mpls_truncated", link={"mplsTopLabel": 100}, case="mpls stack cut after one label without bottom bit")
    c.add(MAC_B + MAC_A + b"\x88\x47" + struct.pack("!I", 200 << 12 | 0x100 | 64),
          "mpls_truncated", link={"mplsTopLabel": 200}, case="mpls bottom label, then nothing")
    c.add(MAC_B + MAC_A + b"\x88\x47" + b"".join(struct.pack("!I", (300 + i) << 12 | 64) for i in range(9))
          + bytes(IP()), "mpls_too_deep", link={"mplsTopLabel": 300}, case="nine mpls labels")
    c.add(MAC_B + MAC_A + b"\x88\x47" + struct.pack("!I", 400 << 12 | 0x100 | 64) + b"\x00\x00\x00\x00"
          + MAC_B + MAC_A + b"\x08\x00" + bytes(IP(src="10.0.0.1", dst="10.0.0.2")),
          "mpls_unknown_payload", link={"mplsTopLabel": 400}, case="mpls pseudowire with control word")
    c.add(MAC_B + MAC_A + b"\x88\x47\x00\x06", "mpls_truncated", case="mpls label cut (no label read)")
    c.add(MAC_B + MAC_A + b"\x88\x64\x11\x00\x1a", "pppoe_truncated", case="pppoe session header cut")
    c.add(bytes(Ether(dst="ff:ff:ff:ff:ff:ff", src="02:00:5e:10:00:01") / ARP(psrc=CLIENT4, pdst="192.0.2.1")),
          "non_ip", case="arp")
    c.add(MAC_B + MAC_A + struct.pack("!H", ETH_LLDP) + rbytes(46), "non_ip", case="lldp")
    c.add(MAC_B + MAC_A + b"\x81\x00\x00\x05\x08\x06" + bytes(ARP(psrc="10.5.0.1", pdst="10.5.0.2")),
          "non_ip", link={"vlanId": 5}, case="arp in vlan 5")
    c.add(MAC_B + MAC_A + b"\x88\x64" + struct.pack("!BBHHH", 0x11, 0, 0x1a2b, 6, 0xC021) + rbytes(4),
          "non_ip", case="pppoe session carrying lcp")
    v6 = ip6(V6_EUI64, V6_LOW, tcp(1, 2, "S"))
    c.add(MAC_B + MAC_A + b"\x08\x00" + v6.raw, "ip_bad_version", case="ethertype ipv4, version 6")
    v4p = ip4(CLIENT4, WEB4, tcp(1, 2, "S", rbytes(20)))
    c.add(MAC_B + MAC_A + b"\x86\xdd" + v4p.raw, "ip_bad_version", case="ethertype ipv6, version 4")
    c.add(MAC_B + MAC_A + b"\x08\x00" + b"\x45\x00\x00\x54" + rbytes(8), "ipv4_truncated", case="ipv4 header cut")
    opt = ip4(CLIENT4, WEB4, tcp(1, 2, "S"), options=[b"\x01" * 8])
    c.add(MAC_B + MAC_A + b"\x08\x00" + opt.raw[:24], "ipv4_truncated", case="ipv4 options cut")
    bad = fix_ip4_checksum(patch(ip4(CLIENT4, WEB4, udp(1, 2, rbytes(8))).raw, 0, "!B", 0x44))
    c.add(MAC_B + MAC_A + b"\x08\x00" + bad, "ipv4_bad_header", case="ipv4 ihl 4")
    bad = fix_ip4_checksum(patch(ip4(CLIENT4, WEB4, udp(1, 2, rbytes(8))).raw, 2, "!H", 12))
    c.add(MAC_B + MAC_A + b"\x08\x00" + bad, "ipv4_bad_length", case="ipv4 total length 12")
    c.add(MAC_B + MAC_A + b"\x86\xdd" + v6.raw[:30], "ipv6_truncated", case="ipv6 header cut at 30 bytes")
    # After a valid IP header every failure is a flow verdict (verdict.hpp):
    # the packet keeps its flow, with what was captured of the header that
    # failed; the protocol is the last next header reached.
    hbh = bytes([6, 3]) + bytes(14)  # says 32 bytes, has 16
    c.eth(Net(ip6_raw(V6_EUI64, V6_LOW, 0, hbh), ip6_facts(V6_EUI64, V6_LOW, 0, 0, 64, 56)),
          verdict="ipv6_ext_truncated", case="hop-by-hop header longer than the packet: protocol 0")
    c.eth(Net(ip6_raw(V6_EUI64, V6_LOW, 44, b"\x11\x00\x00"), ip6_facts(V6_EUI64, V6_LOW, 44, 0, 64, 43)),
          verdict="ipv6_ext_truncated", case="fragment header cut: protocol 44, not a fragment")
    nine = b"".join(bytes([60, 0, 1, 4, 0, 0, 0, 0]) for _ in range(8)) + bytes([17, 0, 1, 4, 0, 0, 0, 0])
    c.eth(Net(ip6_raw(V6_PRIV, V6_OTHER, 60, nine + u8), ip6_facts(V6_PRIV, V6_OTHER, 60, 0, 64, 40 + 72 + 24)),
          verdict="ipv6_ext_too_many", case="nine extension headers: protocol 60 (the ninth)")
    short = fix_ip4_checksum(patch(ip4(CLIENT4, WEB4, tcp(50010, 2, "S")).raw[:30], 2, "!H", 30))
    c.eth((short, {**ip4_facts(CLIENT4, WEB4, 6, 0, 64, 30), "sourceTransportPort": 50010,
                   "destinationTransportPort": 2}), verdict="l4_truncated",
          case="ipv4 tcp header of 10 bytes (total length says so; padding after): ports, no flags")
    c.eth(Net(ip6_raw(V6_EUI64, V6_LOW, 17, b"\x00\x35\x00\x35"),
              {**ip6_facts(V6_EUI64, V6_LOW, 17, 0, 64, 44), "sourceTransportPort": 53,
               "destinationTransportPort": 53}), verdict="l4_truncated", case="ipv6 udp header of 4 bytes: ports")
    c.eth(Net(ip6_raw(V6_EUI64, V6_LOW, 58, b"\x80\x00"),
              {**ip6_facts(V6_EUI64, V6_LOW, 58, 0, 64, 42), "icmpTypeIPv6": 128, "icmpCodeIPv6": 0}),
          verdict="l4_truncated", case="icmpv6 header of 2 bytes: type and code")
    c.eth(Net(ip6_raw(V6_EUI64, V6_LOW, 58, b"\x80"), ip6_facts(V6_EUI64, V6_LOW, 58, 0, 64, 41)),
          verdict="l4_truncated", case="icmpv6 header of 1 byte: no type")
    tiny = frag4(CLIENT4, WEB4, tcp(50000, 80, "S", rbytes(40)), [8], ident=0x0BAD)[0]
    tiny.facts.pop("tcpControlBits")
    c.eth(tiny, verdict="l4_truncated", case="tiny first fragment: 8 bytes of a tcp header (RFC 1858): ports")
    t = bytearray(bytes(TCP(sport=80, dport=8080, flags="A")))
    t[12] = 0x40
    raw = bytes(IP(src=CLIENT4, dst=WEB4, proto=6, id=0x4004) / Raw(bytes(t)))
    c.eth((raw, {**ip4_facts(CLIENT4, WEB4, 6, 0, 64, 40), "sourceTransportPort": 80,
                 "destinationTransportPort": 8080, "tcpControlBits": 0x10}), verdict="tcp_bad_offset",
          case="tcp data offset 4: ports and flags kept")
    raw = bytes(IP(src=CLIENT4, dst=DNS4, id=0x4005) / UDP(sport=53, dport=53, len=4) / Raw(rbytes(8)))
    c.eth((raw, {**ip4_facts(CLIENT4, DNS4, 17, 0, 64, 36), "sourceTransportPort": 53,
                 "destinationTransportPort": 53}), verdict="udp_bad_length", case="udp length 4: ports kept")
    # Inside tunnels, the inner packet's failures keep the tunnel's flow.
    inner_bad = Net(ip6_raw(T_CLIENT, V6_LOW, 6, bytes(TCP(sport=50810, dport=443, flags="S"))[:12], hlim=128),
                    {**ip6_facts(T_CLIENT, V6_LOW, 6, 0, 128, 52), "sourceTransportPort": 50810,
                     "destinationTransportPort": 443}, T_CLIENT, V6_LOW)
    c.eth(teredo(CLIENT_NAT, RELAY4, CLIENT_PORT, 3544, inner_bad), verdict="l4_truncated",
          case="teredo, inner tcp header cut at 12 bytes (by the ipv6 length): a teredo flow")
    hb = Net(ip6_raw(he_lan, V6_LOW, 0, bytes([6, 2]) + bytes(6)), ip6_facts(he_lan, V6_LOW, 0, 0, 64, 48),
             he_lan, V6_LOW)
    c.eth(tunnel(TUNCLIENT, BROKER, hb, "6in4"), verdict="ipv6_ext_truncated", case="6in4, inner hop-by-hop cut")
    ub = Net(bytes(IPv6(src=he_lan.text, dst=V6_LOW.text) / UDP(sport=1, dport=2, len=6)),
             {**ip6_facts(he_lan, V6_LOW, 17, 0, 64, 48), "sourceTransportPort": 1, "destinationTransportPort": 2},
             he_lan, V6_LOW)
    c.eth(tunnel(TUNCLIENT, BROKER, ub, "6in4"), verdict="udp_bad_length", case="6in4, inner udp length 6")
    # Protocol 41 that does not validate: kept as IPv4.
    for payload, verdict, case in (
            (ip6(he_lan, V6_LOW, tcp(1, 2, "S")).raw[:24], "proto41_truncated", "protocol 41, ipv6 header cut"),
            (bytes(IP(src="10.0.0.1", dst="10.0.0.2") / TCP()) + rbytes(20), "proto41_not_ipv6",
             "protocol 41 carrying ipv4"),
            (patch(ip6(he_lan, V6_LOW, udp(1, 2, rbytes(10))).raw, 4, "!H", 400), "proto41_length_mismatch",
             "protocol 41, ipv6 payload length beyond the ipv4 packet")):
        raw = bytes(IP(src=TUNCLIENT, dst=BROKER, ttl=60, id=0x3131, proto=41) / Raw(payload))
        facts = ip4_facts(TUNCLIENT, BROKER, 41, 0, 60, len(raw))
        c.eth((raw, facts), verdict=verdict, case=case)
    return c


# ---------------------------------------------------------------------------
# relay.pcap (default options: Teredo by content)

def build_relay():
    c = Capture("relay")
    RELAY, RPORT = "192.0.2.201", 50123
    native = V6_EUI64_2
    # Qualification on 3544 still decodes.
    rs = ip6(T_LL_CLIENT, V6_MCAST_ROUTERS, icmp6(ICMPv6ND_RS()), hlim=255)
    c.eth(teredo(CLIENT_NAT, TEREDO_SERVER, CLIENT_PORT, 3544, rs, auth=teredo_auth()), case="teredo rs on 3544")
    # Relay bubble via the server, then direct traffic on ephemeral ports.
    bub = ip6(native, T_CLIENT, other(59), hlim=255)
    c.eth(teredo(TEREDO_SERVER, CLIENT_NAT, 3544, CLIENT_PORT, bub, origin=(RPORT, RELAY)),
          case="relay's bubble forwarded by the server, origin = relay")
    bub2 = ip6(T_CLIENT, native, other(59), hlim=21)
    c.eth(teredo(CLIENT_NAT, RELAY, CLIENT_PORT, RPORT, bub2), case="client bubble to the relay's ephemeral port")
    for i in range(4):
        out = ip6(T_CLIENT, native, tcp(50900, 993, ["S", "A", "PA", "PA"][i], rbytes([0, 0, 80, 40][i])), hlim=128)
        c.eth(teredo(CLIENT_NAT, RELAY, CLIENT_PORT, RPORT, out), case="client -> relay, ephemeral ports")
        back = ip6(native, T_CLIENT, tcp(993, 50900, ["SA", "PA", "A", "PA"][i], rbytes([0, 300, 0, 1100][i])),
                   hlim=60)
        c.eth(teredo(RELAY, CLIENT_NAT, RPORT, CLIENT_PORT, back), case="relay -> client, ephemeral ports")
    c.eth(teredo(CLIENT_NAT, RELAY, CLIENT_PORT, RPORT, ip6(T_CLIENT, native, echo6(4, 1, 56), hlim=128)),
          case="client ping through relay")
    c.eth(teredo(RELAY, CLIENT_NAT, RPORT, CLIENT_PORT, ip6(native, T_CLIENT, echo6(4, 1, 56, reply=True))),
          case="reply through relay")
    # Client <-> client directly, both on their NAT-mapped ports.
    c.eth(teredo(CLIENT_NAT, PEER_NAT, CLIENT_PORT, PEER_PORT, ip6(T_CLIENT, T_PEER, other(59), hlim=21)),
          case="direct bubble client -> peer (the heuristic finds it)")
    c.eth(teredo(PEER_NAT, CLIENT_NAT, PEER_PORT, CLIENT_PORT, ip6(T_PEER, T_CLIENT, udp(3074, 3074, rbytes(120)))),
          case="peer -> client data, direct")
    # A second relay, for the peer: UDP (QUIC) and ICMPv6 both ways, its
    # bubble with a nonce trailer, and an indirect bubble through the server.
    RELAY2, RPORT2 = "198.51.100.201", 61001
    native2 = V6_PRIV2
    c.eth(teredo(TEREDO_SERVER, PEER_NAT, 3544, PEER_PORT, ip6(native2, T_PEER, other(59), hlim=255),
                 origin=(RPORT2, RELAY2)), case="second relay's bubble forwarded by the server")
    c.eth(teredo(PEER_NAT, RELAY2, PEER_PORT, RPORT2, ip6(T_PEER, native2, other(59), hlim=21),
                 trailer=trailer_nonce(), trailer_bits=TRAILER_NONCE),
          case="peer bubble to the second relay with a nonce trailer, ephemeral ports")
    for i in range(3):
        c.eth(teredo(PEER_NAT, RELAY2, PEER_PORT, RPORT2, ip6(T_PEER, native2, udp(55001, 443, rbytes(1200 - 300 * i)),
                                                                hlim=128)),
              case="peer -> second relay, quic")
        c.eth(teredo(RELAY2, PEER_NAT, RPORT2, PEER_PORT, ip6(native2, T_PEER, udp(443, 55001, rbytes(1100 - 200 * i)),
                                                                hlim=52)),
              case="second relay -> peer, quic")
    c.eth(teredo(RELAY2, PEER_NAT, RPORT2, PEER_PORT, ip6(native2, T_PEER, echo6(7, 1, 32), hlim=52)),
          case="second relay -> peer, ping from the native side")
    c.eth(teredo(PEER_NAT, RELAY2, PEER_PORT, RPORT2, ip6(T_PEER, native2, echo6(7, 1, 32, reply=True), hlim=128)),
          case="peer -> second relay, echo reply")
    # The first relay also answers the peer with an ICMPv6 error.
    c.eth(teredo(RELAY, PEER_NAT, RPORT, PEER_PORT, ip6(V6_LL_ROUTER, T_PEER, icmp6(ICMPv6DestUnreach(code=4)
                                                                                   / Raw(rbytes(48))), hlim=64)),
          case="first relay -> peer, icmpv6 destination unreachable")
    bp = Net(ip6_raw(T_CLIENT, T_PEER, 59, rbytes(16), hlim=21), None, T_CLIENT, T_PEER)
    bp.facts = ip6_facts(T_CLIENT, T_PEER, 59, 0, 21, 56)
    c.eth(teredo(CLIENT_NAT, PEER_NAT, CLIENT_PORT, PEER_PORT, bp), verdict="teredo_bubble_payload",
          case="direct bubble with payload, ephemeral ports")
    # Plain UDP that must stay IPv4.
    c.eth(ip4("192.0.2.10", DNS4, udp(53100, 53, dns("www.example.com", ident=1))),
          case="dns id 0x0001 (looks like a teredo auth indicator): ipv4")
    c.eth(ip4(DNS4, "192.0.2.10", udp(53, 53100, dns("www.example.net", "A", "198.51.100.80", ident=0))),
          case="dns id 0x0000 (looks like an origin indication): ipv4")
    plain6 = ip6(V6_DOC, V6_ULA, udp(1000, 2000, rbytes(16)))
    c.eth(ip4("192.0.2.10", "198.51.100.77", udp(40000, 9999, plain6.raw)),
          case="ipv6 in udp without a 2001:0:: address: ipv4")
    mism = patch(ip6(T_CLIENT, native, udp(1, 2, rbytes(16))).raw, 4, "!H", 200)
    c.eth(ip4(CLIENT_NAT, RELAY, udp(CLIENT_PORT, RPORT, mism)),
          case="teredo-addressed payload with a wrong length on ephemeral ports: ipv4")
    bub3 = ip6(T_CLIENT, native, other(59), hlim=21)
    c.eth(ip4(CLIENT_NAT, RELAY, udp(CLIENT_PORT, RPORT, bub3.raw + b"\x01\x04\xaa")),
          case="teredo-addressed bubble with bytes that are no trailer, ephemeral ports: ipv4")
    c.eth(ip4(CLIENT_NAT, RELAY, udp(CLIENT_PORT, RPORT, ip6(T_CLIENT, native, other(99), hlim=21).raw)),
          case="teredo-addressed payload with next header 99 (no ipv6 packet starts so): ipv4")
    ll = A("fe80::8000:ffff:ffff:fffe", "link-local")
    c.eth(ip4(CLIENT_NAT, RELAY, udp(CLIENT_PORT, RPORT, ip6(ll, V6_MCAST_ROUTERS, icmp6(ICMPv6ND_RS()),
                                                             hlim=255).raw)),
          case="router solicitation from a link-local address that is not teredo's: ipv4")
    for i in range(3):
        c.eth(ip4("192.0.2.10", "198.51.100.77", udp(40001, 27015, b"\xff" + rbytes(50 + 30 * i))),
              case="game traffic: ipv4")
    c.eth(ip4(TEREDO_SERVER, "192.0.2.150", udp(3544, 61000, b"\x17" + rbytes(40))), verdict="teredo_not_ipv6",
          case="port 3544 false positive keeps its verdict with the heuristic on")
    return c


# ---------------------------------------------------------------------------
# sixrd.pcap (--6rd-prefix 2a01:e30::/28 --6rd-prefix 2602:fe90::/24)

def build_sixrd():
    P1, L1 = "2a01:e30::", 28
    P2, L2 = "2602:fe90::", 24
    # A domain whose CEs all sit in 100.64.0.0/10 (RFC 5969 IPv4MaskLen 10):
    # the delegated /54 carries 22 bits of the CE address.
    P3, L3, V4P, M3 = "2a0b:6b80::", 32, "100.64.0.0", 10
    c = Capture("sixrd", decode_args=["--6rd-prefix", f"{P1}/{L1}", "--6rd-prefix", f"{P2}/{L2}",
                                      "--6rd-prefix", f"{P3}/{L3}@{V4P}/{M3}"])
    BR1, BR2 = "192.0.2.1", "198.51.100.254"
    CE1, CE2, CE3 = "198.51.100.33", "203.0.113.201", "100.64.12.34"
    h1 = sixrd(P1, L1, CE1, 0x3, 4, eui64_iid("f4:ca:e5:41:22:10"), "eui64")
    h2 = sixrd(P1, L1, CE2, 0x0, 4, iid_privacy(), "privacy")
    h3 = sixrd(P2, L2, CE3, 0x01, 8, 0x1, "low")
    h4 = sixrd(P1, L1, CE1, 0x1, 4, isatap_iid("10.0.0.5"), "isatap")  # embedded: CE1 (6rd), not 10.0.0.5
    for i in range(3):
        c.eth(tunnel(CE1, BR1, ip6(h1, V6_LOW, tcp(50300, 443, ["S", "A", "PA"][i], rbytes(i * 150))), "6rd"),
              case="6rd CE -> BR (/28 prefix, not byte-aligned)")
        c.eth(tunnel(BR1, CE1, ip6(V6_LOW, h1, tcp(443, 50300, ["SA", "PA", "A"][i], rbytes(i * 700)), hlim=56),
                     "6rd"), case="6rd BR -> CE")
    c.eth(tunnel(CE1, CE2, ip6(h1, h2, udp(50301, 50302, rbytes(77))), "6rd"), case="6rd CE -> CE direct")
    c.eth(tunnel(CE2, CE1, ip6(h2, h1, udp(50302, 50301, rbytes(88))), "6rd"), case="6rd CE -> CE reverse")
    c.eth(tunnel(CE3, BR2, ip6(h3, V6_OTHER, echo6(1, 1, 40)), "6rd"), case="6rd second prefix (/24)")
    c.eth(tunnel(BR2, CE3, ip6(V6_OTHER, h3, echo6(1, 1, 40, reply=True)), "6rd"), case="6rd second prefix reply")
    c.eth(tunnel(CE1, BR1, ip6(h4, V6_LOW, tcp(50303, 80, "S")), "6rd"),
          case="isatap interface id under a 6rd prefix: 6rd by precedence")
    c.eth(tunnel(CE3, CE1, ip6(h3, h1, tcp(50304, 22, "S")), "6rd"), case="6rd between the two prefixes")
    # Beside it: 6to4 and 6in4 keep their types.
    c.eth(tunnel("203.0.113.5", "192.88.99.1", ip6(V6_6TO4_WIN, V6_LOW, tcp(50305, 443, "S")), "6to4"),
          case="6to4 beside 6rd")
    near = A("2a01:e20::1", "low")  # just outside 2a01:e30::/28
    c.eth(tunnel("203.0.113.40", "216.66.80.30", ip6(near, V6_LOW, tcp(50306, 443, "S")), "6in4"),
          case="address just outside the 6rd prefix: 6in4")
    c.eth(ip6(h1, V6_LOW, tcp(50307, 443, "S")), case="native ipv6 from a 6rd address (no tunnel)")
    # The IPv4MaskLen 10 domain: the embedded address is 100.64.0.0/10 | the
    # 22 bits after the prefix.
    BR3, CE4, CE5 = "203.0.113.254", "100.100.7.9", "100.127.255.1"
    h5 = sixrd(P3, L3, CE4, 0x2, 10, eui64_iid("3c:22:fb:8a:4b:77"), "eui64", mask_len=M3)
    h6 = sixrd(P3, L3, CE5, 0x0, 10, 0x1, "low", mask_len=M3)
    for i in range(2):
        c.eth(tunnel(CE4, BR3, ip6(h5, V6_LOW, tcp(50310, 443, ["S", "PA"][i], rbytes(i * 400))), "6rd"),
              case="6rd with a common ipv4 prefix: CE -> BR, embedded 100.100.7.9")
        c.eth(tunnel(BR3, CE4, ip6(V6_LOW, h5, tcp(443, 50310, ["SA", "A"][i]), hlim=58), "6rd"),
              case="6rd with a common ipv4 prefix: BR -> CE")
    c.eth(tunnel(CE4, CE5, ip6(h5, h6, udp(50311, 50312, rbytes(64))), "6rd"),
          case="6rd with a common ipv4 prefix: CE -> CE direct, no relay")
    return c


# ---------------------------------------------------------------------------
# snap96.pcap and snap50.pcap: captures taken with a snaplen (tcpdump -s).
# A packet whose IP header (a tunnel's outer and inner IP header) is whole is
# in a flow: its lengths come from the IP headers, and of the transport
# header the capture keeps what it keeps (probe/base/verdict.hpp).

def cut(facts, l4_at, snap, proto):
    """The decode facts of a packet whose transport header starts `l4_at`
    bytes into the frame, in a capture cut at `snap`: ports when 4 bytes
    are there, TCP flags at 14, ICMP type and code at 2. Returns (verdict,
    facts)."""
    avail = max(0, snap - l4_at)
    need = {6: 20, 17: 8, 132: 12, 1: 4, 58: 4}.get(proto, 0)
    facts = dict(facts)
    if proto in (1, 58):
        if avail < 2:
            for k in ("icmpTypeIPv4", "icmpCodeIPv4", "icmpTypeIPv6", "icmpCodeIPv6"):
                facts.pop(k, None)
    elif avail < 4:
        facts.pop("sourceTransportPort", None)
        facts.pop("destinationTransportPort", None)
    if proto == 6 and avail < 14:
        facts.pop("tcpControlBits", None)
    return ("l4_truncated" if avail < need else "ok"), facts


def teredo_as_ipv4(raw, verdict):
    """Teredo that stays an IPv4 UDP flow: the outer header's facts."""
    ihl = (raw[0] & 0x0F) * 4
    sport, dport = struct.unpack("!HH", raw[ihl:ihl + 4])
    return verdict, {**ip4_facts(socket.inet_ntoa(raw[12:16]), socket.inet_ntoa(raw[16:20]), 17, raw[1], raw[8],
                                 len(raw)), "sourceTransportPort": sport, "destinationTransportPort": dport}


def build_snap(snap):
    c = Capture(f"snap{snap}", snaplen=snap)
    eth_ip = 14

    def add(built, l4_at, proto, case, **kw):
        raw, facts = (built.raw, {"tunnelType": "none", **built.facts}) if isinstance(built, Net) else built
        verdict, facts = cut(facts, l4_at, snap, proto)
        c.eth((raw, facts), verdict=verdict, case=case, **kw)

    # Native IPv4 and IPv6 TCP, a UDP datagram, ICMP.
    sp = 50400
    for i, fl in enumerate(("S", "A", "PA", "PA", "FA")):
        add(ip4(CLIENT4, WEB4, tcp(sp, 443, fl, rbytes([0, 0, 517, 1200, 0][i])), df=True), eth_ip + 20, 6,
            f"ipv4 tcp {fl}")
    add(ip4(WEB4, CLIENT4, tcp(443, sp, "PA", rbytes(1400)), ttl=54, df=True), eth_ip + 20, 6, "ipv4 tcp back")
    add(ip4(CLIENT4, DNS4, udp(53010, 53, dns("snap.example.com", "A"))), eth_ip + 20, 17, "ipv4 udp dns")
    add(ip4(CLIENT4, "203.0.113.1", icmp4(8, 0, rbytes(56), ident=3, seq=1)), eth_ip + 20, 1, "ipv4 icmp echo")
    if snap >= eth_ip + 40:
        add(ip6(V6_EUI64, V6_LOW, tcp(50401, 443, "PA", rbytes(900))), eth_ip + 40, 6, "ipv6 tcp")
        add(ip6(V6_PRIV_UL, V6_OTHER, udp(50402, 443, rbytes(1200))), eth_ip + 40, 17, "ipv6 udp (quic)")
        add(ip6_ext(V6_EUI64, V6_LOW, [0], tcp(50403, 80, "PA", rbytes(600))), eth_ip + 48, 6,
            "ipv6 hop-by-hop then tcp")
    else:
        # The IPv6 header itself is cut: nothing to key a flow on.
        for n in (ip6(V6_EUI64, V6_LOW, tcp(50401, 443, "PA", rbytes(900))),
                  ip6(V6_PRIV_UL, V6_OTHER, udp(50402, 443, rbytes(1200)))):
            c.eth(n, verdict="ipv6_truncated", case="ipv6 header cut by the snaplen")
    # Teredo through a relay on 3544, and by content on ephemeral ports.
    RELAY, RPORT = "192.0.2.202", 50999
    teredo_l4 = eth_ip + 20 + 8 + 40
    for i, (fl, n) in enumerate((("S", 0), ("A", 0), ("PA", 500), ("PA", 1200), ("FA", 0))):
        for osrc, odst, sport, dport, case in ((CLIENT_NAT, RELAY4, CLIENT_PORT, 3544, "teredo tcp via relay on 3544"),
                                                (CLIENT_NAT, RELAY, CLIENT_PORT, RPORT,
                                                 "teredo tcp via a relay on ephemeral ports")):
            inner = ip6(T_CLIENT, V6_LOW, tcp(50410 + (dport != 3544), 443, fl, rbytes(n)), hlim=128)
            built = teredo(osrc, odst, sport, dport, inner)
            if snap < teredo_l4:
                if dport == 3544:
                    verdict, facts = teredo_as_ipv4(built[0], "teredo_truncated")
                else:
                    verdict, facts = teredo_as_ipv4(built[0], "ok")
                c.eth((built[0], facts), verdict=verdict, case=case + ": inner ipv6 header cut, an ipv4 flow")
            else:
                add(built, teredo_l4, 6, case)
    back = ip6(V6_LOW, T_CLIENT, tcp(443, 50411, "PA", rbytes(1300)), hlim=55)
    built = teredo(RELAY, CLIENT_NAT, RPORT, CLIENT_PORT, back)
    if snap < teredo_l4:
        c.eth((built[0], teredo_as_ipv4(built[0], "ok")[1]), case="teredo relay -> client: cut, plain udp")
    else:
        add(built, teredo_l4, 6, "teredo relay -> client, ephemeral ports")
    # With an origin indication the inner header starts 8 bytes later.
    inner = ip6(V6_LOW, T_CLIENT, tcp(443, 50412, "PA", rbytes(700)), hlim=55)
    built = teredo(TEREDO_SERVER, CLIENT_NAT, 3544, CLIENT_PORT, inner, origin=(40123, RELAY4))
    if snap < teredo_l4 + 8:
        verdict, facts = teredo_as_ipv4(built[0], "teredo_truncated")
        c.eth((built[0], facts), verdict=verdict, case="teredo with origin indication: inner ipv6 header cut")
    else:
        add(built, teredo_l4 + 8, 6, "teredo with origin indication, tcp cut")
    echo = ip6(T_CLIENT, V6_OTHER, echo6(0x61, 1, 56), hlim=128)
    built = teredo(CLIENT_NAT, RELAY, CLIENT_PORT, RPORT, echo)
    if snap < teredo_l4:
        c.eth((built[0], teredo_as_ipv4(built[0], "ok")[1]), case="teredo icmpv6 echo, ephemeral ports: plain udp")
    else:
        add(built, teredo_l4, 58, "teredo icmpv6 echo, ephemeral ports")
    # 6in4 and 6to4.
    BROKER, TUNCLIENT = "216.66.80.30", "203.0.113.40"
    he_lan = eui64("2001:470:1f0b:12ab::", "a4:5e:60:c1:22:33")
    for inner, l4_at, proto, case in (
            (ip6(he_lan, V6_OTHER, tcp(52110, 443, "PA", rbytes(1300))), eth_ip + 60, 6, "6in4 tcp"),
            (ip6_ext(he_lan, V6_OTHER, [60], tcp(52111, 443, "PA", rbytes(800))), eth_ip + 68, 6,
             "6in4 destination options then tcp"),
            (ip6(V6_6TO4_WIN, V6_LOW, udp(52112, 443, rbytes(900))), eth_ip + 60, 17, "6to4 udp")):
        ttype = "6to4" if inner.src is V6_6TO4_WIN else "6in4"
        osrc, odst = (V6_6TO4_WIN.sixto4, "192.88.99.1") if ttype == "6to4" else (TUNCLIENT, BROKER)
        built = tunnel(osrc, odst, inner, ttype)
        if snap < eth_ip + 60:
            raw = built[0]
            c.eth((raw, ip4_facts(osrc, odst, 41, 0, raw[8], len(raw))), verdict="proto41_truncated",
                  case=case + ": inner ipv6 header cut, an ipv4 flow")
        else:
            add(built, l4_at, proto, case)
    return c


# ---------------------------------------------------------------------------
# Other link types.

# ---------------------------------------------------------------------------
# ports.pcap (--teredo-ports 3545,3544)

def build_ports():
    c = Capture("ports", decode_args=["--teredo-ports", "3545,3544", "--teredo-detect", "ports"])
    inner = ip6(T_CLIENT, V6_LOW, tcp(50950, 443, "S"), hlim=128)
    c.eth(teredo(CLIENT_NAT, RELAY4, CLIENT_PORT, 3545, inner), case="teredo on configured port 3545")
    inner = ip6(V6_LOW, T_CLIENT, tcp(443, 50950, "SA"))
    c.eth(teredo(RELAY4, CLIENT_NAT, 3545, CLIENT_PORT, inner), case="teredo from configured port 3545")
    inner = ip6(T_CLIENT, V6_LOW, tcp(50951, 443, "S"), hlim=128)
    c.eth(teredo(CLIENT_NAT, RELAY4, CLIENT_PORT, 3544, inner), case="teredo on 3544, still in the list")
    inner = ip6(T_CLIENT, V6_LOW, tcp(50952, 443, "S"), hlim=128)
    c.eth(ip4(CLIENT_NAT, RELAY4, udp(CLIENT_PORT, 3546, inner.raw), ttl=113),
          case="teredo-shaped payload on 3546 (not configured, no heuristic): ipv4")
    c.eth(ip4(TEREDO_SERVER, "192.0.2.150", udp(3545, 61000, b"\x17" + rbytes(40))), verdict="teredo_not_ipv6",
          case="random payload on configured port 3545")
    he_lan = eui64("2001:470:1f0b:12ab::", "a4:5e:60:c1:22:33")
    tin = ip6(T_CLIENT, V6_LOW, udp(50953, 443, rbytes(20)), hlim=128)
    nt = ip6(he_lan, V6_EMB, udp(CLIENT_PORT, 3545, tin.raw))
    c.eth(tunnel("203.0.113.40", "216.66.80.30", nt, "6in4"), verdict="tunnel_nested",
          case="teredo on configured port 3545 inside 6in4: nested")
    nt = ip6(he_lan, V6_EMB, udp(CLIENT_PORT, 3546, tin.raw))
    c.eth(tunnel("203.0.113.40", "216.66.80.30", nt, "6in4"), case="teredo-shaped udp 3546 inside 6in4: not nested")
    return c


def build_carriers():
    """The carriers beyond the paper's five: AYIYA (SixXS, UDP 5072) with its
    decoys and control messages, then GRE, IPv6 in UDP and the tunnels
    directly in IPv6 (carriers_gre, carriers_ipv6_udp, carriers_ip6tnl)."""
    c = Capture("carriers", decode_args=["--ipv6-udp-ports", "4500", "--ipv6-udp-detect", "content"])
    # --- AYIYA: a SixXS user behind a NAT and its PoP --------------------
    user, pop, uport = "192.0.2.88", "198.51.100.1", 41234
    t_user = V6_EUI64_2
    for i in range(3):
        c.eth(ayiya(user, pop, uport, 5072, ip6(t_user, V6_LOW, tcp(51000, 443, ["S", "A", "PA"][i],
                                                                     rbytes([0, 0, 300][i])), hlim=64)),
              case="ayiya user -> pop, tcp")
        c.eth(ayiya(pop, user, 5072, uport, ip6(V6_LOW, t_user, tcp(443, 51000, ["SA", "PA", "A"][i],
                                                                     rbytes([0, 900, 0][i])), hlim=57)),
              case="ayiya pop -> user, tcp")
    c.eth(ayiya(user, pop, uport, 5072, ip6(t_user, V6_LOW, echo6(9, 1, 32)), op=3),
          case="ayiya echo request and forward (op 3) carrying a ping")
    c.eth(ayiya(user, pop, uport, 5072, ip6(t_user, V6_LOW, udp(51001, 53, rbytes(30))), id_len=0, sig_words=0,
                hash_meth=0, auth=0), case="ayiya without identity or signature")
    # Control messages and decoys on 5072: IPv4 UDP flows with their verdict.
    c.eth(ip4(user, pop, udp(uport, 5072, ayiya_header(op=0, next_header=59))), verdict="ayiya_control",
          case="ayiya heartbeat (noop)")
    c.eth(ip4(pop, user, udp(5072, uport, ayiya_header(op=5, next_header=59) + b"SixXS MOTD")),
          verdict="ayiya_control", case="ayiya motd")
    # IPv4 in AYIYA (next header 4): the inner IPv4 flow, tunnel ayiya, in
    # both directions; with a byte after the IPv4 packet, the UDP flow.
    for i in range(2):
        c.eth(ayiya(user, pop, uport, 5072, ip4("10.0.0.1", "10.0.0.2", udp(1000, 2000, rbytes(20 + i))),
                    next_header=4), case="ayiya carrying ipv4 (next header 4): the inner ipv4 flow")
    c.eth(ayiya(pop, user, 5072, uport, ip4("10.0.0.2", "10.0.0.1", udp(2000, 1000, rbytes(60)), ttl=60),
                next_header=4), case="ayiya carrying ipv4, the pop's direction")
    v4in = ip4("10.0.0.1", "10.0.0.2", udp(1000, 2000, rbytes(20)))
    c.eth(ip4(user, pop, udp(uport, 5072, ayiya_header(next_header=4) + v4in.raw + b"\x00")),
          verdict="ayiya_length_mismatch", case="ayiya carrying ipv4 with a byte after it: the udp flow")
    c.eth(ip4("192.0.2.99", pop, udp(53000, 5072, b"\x12\x34\x81\x80" + rbytes(40))), verdict="ayiya_bad_header",
          case="decoy: dns-like payload on 5072")
    c.eth(ip4("192.0.2.99", pop, udp(53001, 5072, b"\x41\x52" + rbytes(3))), verdict="ayiya_truncated",
          case="decoy: 5 bytes on 5072")
    inner = ip6(t_user, V6_LOW, tcp(51002, 443, "S"))
    c.eth(ip4(user, pop, udp(uport, 5072, ayiya_header() + inner.raw + b"\x00")), verdict="ayiya_length_mismatch",
          case="ayiya with a byte after the ipv6 packet")
    c.eth(ip4(user, pop, udp(uport, 5073, ayiya_header() + inner.raw)),
          case="ayiya-shaped payload on 5073 (not configured): ipv4")
    # The random numbers the next sections draw are given back after them: the
    # captures written after this one keep their bytes.
    state = rng.getstate()
    carriers_gre(c)
    carriers_ipv6_udp(c)
    carriers_ip6tnl(c)
    rng.setstate(state)
    return c


def carriers_gre(c):
    """GRE (RFC 2784, RFC 2890): IPv6 in GRE (gre) and IPv4 in GRE
    (gre-ipv4), with and without key, checksum and sequence number; tunnels
    inside GRE; GRE that is not decoded (PPTP, RFC 1701 bits, other protocol
    types, payloads that disagree with the protocol type, cut headers)."""
    # --- IPv6 in GRE between two routers -----------------------------------
    GA, GB = "192.0.2.161", "198.51.100.161"  # a branch router and its hub
    for i in range(3):
        c.eth(gre(GA, GB, ip6(V6_EUI64, V6_LOW, tcp(51100, 443, ["S", "A", "PA"][i], rbytes([0, 0, 420][i])))),
              case="gre ipv6, no key: branch -> hub, tcp")
        c.eth(gre(GB, GA, ip6(V6_LOW, V6_EUI64, tcp(443, 51100, ["SA", "PA", "FA"][i], rbytes([0, 1200, 0][i])),
                              hlim=58)), case="gre ipv6, no key: hub -> branch, tcp")
    # The key names the tunnel (RFC 2890 2.1): the same inner packets between
    # the same routers under keys 100, 200 and 0 and without a key are four
    # flows.
    for key, n in ((100, 2), (200, 2), (0, 1), (None, 1)):
        for _ in range(n):
            c.eth(gre(GA, GB, ip6(V6_PRIV2, V6_OTHER, udp(51101, 8443, rbytes(60))), key=key),
                  case=f"gre ipv6, key {key}: the same inner udp, a flow per key" if key is not None else
                  "gre ipv6 without a key: the same inner udp, its own flow")
    for s in (1, 2):
        c.eth(gre(GA, GB, ip6(V6_EUI64, V6_OTHER, tcp(51102, 22, "PA", rbytes(48 * s))), key=0x0A0B0C0D, csum=True,
                  seq=s), case="gre ipv6 with checksum, key and sequence number (12 bytes of optional fields)")
    c.eth(gre(GA, GB, ip6(V6_EUI64, V6_OTHER, echo6(0x47, 1, 56)), seq=3), case="gre ipv6, sequence number only: "
          "icmpv6 echo")
    c.eth(gre(GB, GA, ip6(V6_OTHER, V6_EUI64, echo6(0x47, 1, 56, reply=True), hlim=60), seq=9),
          case="gre ipv6, sequence number only: icmpv6 echo reply")
    c.eth(gre(GA, GB, ip6(V6_EUI64, V6_LOW, udp(51103, 53, dns("gre.example.com"))), csum=True),
          case="gre ipv6, checksum only")
    # --- IPv4 in GRE (gre-ipv4): a site-to-site VPN ------------------------
    GC, GD = "203.0.113.161", "198.51.100.162"
    c.eth(gre(GC, GD, ip4("10.20.0.5", "10.30.0.53", udp(53200, 53, dns("intranet.example", "A", ident=0x6e6e)))),
          case="gre-ipv4: dns query")
    c.eth(gre(GD, GC, ip4("10.30.0.53", "10.20.0.5", udp(53, 53200, dns("intranet.example", "A", "10.30.0.80",
                                                                       ident=0x6e6e)), ttl=63)),
          case="gre-ipv4: dns answer")
    for i, (fwd, fl, n) in enumerate(((True, "S", 0), (False, "SA", 0), (True, "A", 0), (True, "PA", 700),
                                      (False, "FA", 0))):
        src, dst, sp, dp = ("10.20.0.5", "10.30.0.80", 40100, 80) if fwd else ("10.30.0.80", "10.20.0.5", 80, 40100)
        c.eth(gre(GC if fwd else GD, GD if fwd else GC, ip4(src, dst, tcp(sp, dp, fl, rbytes(n))), key=7),
              case="gre-ipv4 with key 7: tcp " + ("site a -> site b" if fwd else "site b -> site a"))
    c.eth(gre(GC, GD, ip4("10.20.0.5", "10.30.0.1", icmp4(8, 0, rbytes(32), ident=0x11, seq=1)), key=7, seq=1),
          case="gre-ipv4 with key and sequence number: icmp echo")
    # --- Tunnels inside GRE: the first inner level, tunnel_nested ----------
    he_lan = eui64("2001:470:1f0b:12ab::", "a4:5e:60:c1:22:33")
    n41 = ip4("10.20.0.6", "10.40.0.1", other(41, ip6(he_lan, V6_LOW, tcp(51104, 443, "S")).raw))
    c.eth(gre(GC, GD, n41, key=7), verdict="tunnel_nested", case="6in4 (protocol 41) inside gre-ipv4: nested")
    tin = ip6(T_CLIENT, V6_LOW, udp(51105, 443, rbytes(20)), hlim=128)
    c.eth(gre(GC, GD, ip4("10.20.0.7", "10.40.0.2", udp(CLIENT_PORT, 3544, tin.raw))), verdict="tunnel_nested",
          case="teredo (udp 3544) inside gre-ipv4: nested")
    in6 = bytes(IPv6(src=V6_ULA.text, dst=V6_ULA2.text, hlim=64) / TCP(sport=1, dport=2, flags="S"))
    c.eth(gre(GA, GB, Net(ip6_raw(V6_EUI64, V6_EMB, 41, in6), ip6_facts(V6_EUI64, V6_EMB, 41, 0, 64, 40 + len(in6)))),
          verdict="tunnel_nested", case="ipv6-in-ipv6 inside gre: nested")
    # --- GRE that is not decoded: the outer IPv4 flow of protocol 47 -------
    PA, PB = "203.0.113.171", "198.51.100.171"  # a PPTP client and server
    ppp = b"\xff\x03\x00\x21" + ip4("192.168.77.2", "10.0.0.53", udp(53300, 53, dns("pptp.example", "A"))).raw
    c.eth(gre(PA, PB, ppp, proto=0x880B, version=1, flags=GRE_K | GRE_S | 0x0080,
              fields=struct.pack("!HHII", len(ppp), 0x4A21, 1, 0)), verdict="gre_bad_header",
          case="pptp enhanced gre (version 1, RFC 2637) carrying ppp: gre_bad_header")
    sre = struct.pack("!HBB", 0x0800, 0, 4) + socket.inet_aton("192.0.2.1") + b"\x00\x00\x00\x00"
    c.eth(gre(GA, GB, ip6(V6_EUI64, V6_LOW, tcp(51106, 443, "S")).raw, flags=GRE_R, fields=bytes(4) + sre),
          verdict="gre_bad_header", case="gre with the RFC 1701 routing bit and a source route: gre_bad_header")
    c.eth(gre(GC, GD, ip4("10.20.0.5", "10.30.0.80", tcp(40101, 80, "S")).raw, flags=GRE_SSR),
          verdict="gre_bad_header", case="gre with RFC 1701's strict source route bit (bit 4): gre_bad_header")
    c.eth(gre(GA, GB, rbytes(64), proto=0x9999), verdict="gre_other_protocol",
          case="gre protocol type 0x9999: gre_other_protocol")
    bridged = MAC_B + MAC_A + b"\x08\x06" + bytes(ARP(psrc="10.20.0.5", pdst="10.20.0.1"))
    c.eth(gre(GC, GD, bridged, proto=0x6558, key=5001), verdict="gre_other_protocol",
          case="gre transparent ethernet bridging (0x6558) carrying arp: gre_other_protocol")
    c.eth(gre(GA, GB, ip4("10.20.0.5", "10.30.0.80", udp(40102, 53, rbytes(20))).raw, proto=GRE_IPV6),
          verdict="gre_bad_payload", case="gre protocol type ipv6 carrying ipv4: gre_bad_payload")
    c.eth(gre(GC, GD, ip6(V6_EUI64, V6_LOW, udp(51107, 53, rbytes(20))).raw, proto=GRE_IPV4),
          verdict="gre_bad_payload", case="gre protocol type ipv4 carrying ipv6: gre_bad_payload")
    c.eth(gre(GA, GB, patch(ip6(V6_EUI64, V6_LOW, udp(51108, 53, rbytes(20))).raw, 4, "!H", 300)),
          verdict="gre_bad_payload", case="gre ipv6 whose payload length exceeds the gre payload: gre_bad_payload")
    c.eth(gre(GC, GD, fix_ip4_checksum(patch(ip4("10.20.0.5", "10.30.0.80", udp(40103, 53, rbytes(20))).raw, 0, "!B",
                                             0x44))), verdict="gre_bad_payload",
          case="gre ipv4 whose inner header length is 16: gre_bad_payload")
    c.eth(gre(GC, GD, fix_ip4_checksum(patch(ip4("10.20.0.5", "10.30.0.80", udp(40104, 53, rbytes(20))).raw, 2, "!H",
                                             900))), verdict="gre_bad_payload",
          case="gre ipv4 whose inner total length exceeds the gre payload: gre_bad_payload")
    for body, case in ((struct.pack("!HH", GRE_K, GRE_IPV6) + b"\x00\x01", "gre key bit set, 6 bytes of gre"),
                       (b"\x00\x00", "gre header of 2 bytes")):
        raw = bytes(IP(src=GA, dst=GB, ttl=64, id=rng.getrandbits(16), proto=47) / Raw(body))
        c.eth((raw, ip4_facts(GA, GB, 47, 0, 64, len(raw))), verdict="gre_truncated",
              case=case + " (the ipv4 total length ends it): gre_truncated")
    built = gre(GA, GB, ip6(V6_EUI64, V6_LOW, tcp(51109, 443, "PA", rbytes(200))), key=100)
    c.eth((built[0], ip4_facts(GA, GB, 47, 0, built[0][8], len(built[0]))), verdict="gre_truncated",
          snap=14 + 20 + 8 + 30, case="gre ipv6, inner ipv6 header cut by the capture: gre_truncated")
    built = gre(GC, GD, ip4("10.20.0.5", "10.30.0.80", tcp(40105, 80, "PA", rbytes(200))))
    c.eth((built[0], ip4_facts(GC, GD, 47, 0, built[0][8], len(built[0]))), verdict="gre_truncated",
          snap=14 + 20 + 4 + 12, case="gre-ipv4, inner ipv4 header cut by the capture: gre_truncated")
    # Cut after the inner IP header: the tunnel's flow, with what was
    # captured of the transport header.
    raw, facts = gre(GA, GB, ip6(V6_EUI64, V6_LOW, tcp(51100, 443, "PA", rbytes(900))))
    verdict, facts = cut(facts, 14 + 20 + 4 + 40, 14 + 20 + 4 + 40 + 10, 6)
    c.eth((raw, facts), verdict=verdict, snap=14 + 20 + 4 + 40 + 10,
          case="gre ipv6, inner tcp header cut by the capture at 10 bytes: the gre flow, ports")
    # Outer-fragmented GRE: the first fragment holds the GRE header and the
    # inner headers; the later one is plain IPv4 protocol 47 in the inner
    # flow (matched on the outer addresses, id and protocol).
    inner = ip6(V6_EUI64, V6_LOW, tcp(51110, 443, "PA", rbytes(1400)))
    body = gre_header(GRE_IPV6, inner.raw, key=100) + inner.raw
    ident = 0x47F1
    first = bytes(IP(src=GA, dst=GB, ttl=64, id=ident, proto=47, flags="MF") / Raw(body[:1000]))
    rest = bytes(IP(src=GA, dst=GB, ttl=64, id=ident, proto=47, frag=1000 // 8) / Raw(body[1000:]))
    facts = gre_facts(GA, GB, inner, key=100)
    facts.update({"fragmentIdentification": ident, "fragmentOffset": 0, "firstFragment": True})
    k = c.eth((first, facts), case="gre ipv6 with key, outer ipv4 first fragment")
    facts = ip4_facts(GA, GB, 47, 0, 64, len(rest))
    facts.update({"fragmentIdentification": ident, "fragmentOffset": 1000, "firstFragment": False})
    c.eth((rest, facts), case="gre ipv6 with key, outer ipv4 later fragment (plain ipv4 protocol 47; inner flow)",
          flow_key=c.key_of(k))


def carriers_ipv6_udp(c):
    """IPv6 directly in UDP (draft-ebalard-mext-m6t), looked for only when
    asked (the capture's --ipv6-udp-ports 4500 --ipv6-udp-detect content):
    a mobile node and its home agent on UDP 4500 and on ephemeral ports; UDP
    that is not it (lengths off by one, a multicast source); on port 3544
    and with a Teredo end it is Teredo's."""
    MN, HA = "203.0.113.150", "198.51.100.150"  # a mobile node behind a NAT and its home agent
    hoa = eui64("2a01:4f8:c17:b8f::", "02:16:3e:5a:01:02")
    for i in range(2):
        c.eth(ipv6_udp(MN, HA, 4500, 4500, ip6(hoa, V6_OTHER, udp(51200, 443, rbytes(300 + 500 * i)))),
              case="ipv6 in udp 4500: mobile node -> home agent, udp")
    c.eth(ipv6_udp(HA, MN, 4500, 4500, ip6(V6_OTHER, hoa, udp(443, 51200, rbytes(1100)), hlim=55)),
          case="ipv6 in udp 4500: home agent -> mobile node, udp")
    for i, (fwd, fl, n) in enumerate(((True, "S", 0), (False, "SA", 0), (True, "A", 0), (True, "PA", 250),
                                      (False, "PA", 900))):
        inner = (ip6(hoa, V6_LOW, tcp(51201, 443, fl, rbytes(n))) if fwd else
                 ip6(V6_LOW, hoa, tcp(443, 51201, fl, rbytes(n)), hlim=57))
        c.eth(ipv6_udp(MN if fwd else HA, HA if fwd else MN, 4500, 4500, inner),
              case="ipv6 in udp 4500: tcp, " + ("mobile node -> home agent" if fwd else "home agent -> mobile node"))
    # By content, off the configured port: a home-made tunnel between two hosts.
    for fwd in (True, False):
        inner = (ip6(V6_PRIV, V6_OTHER, udp(51205, 51820, rbytes(148))) if fwd else
                 ip6(V6_OTHER, V6_PRIV, udp(51820, 51205, rbytes(92)), hlim=50))
        c.eth(ipv6_udp(*(("192.0.2.212", "198.51.100.212", 41000, 42000) if fwd else
                         ("198.51.100.212", "192.0.2.212", 42000, 41000)), inner),
              case="ipv6 in udp by content on ephemeral ports: ipv6-udp")
    # On a Teredo port Teredo's checks alone decide: no Teredo end, still Teredo.
    n = ip6(V6_PRIV, V6_LOW, udp(51202, 53, dns("m6t.example.com")))
    c.eth(teredo("192.0.2.210", "198.51.100.210", 40500, 3544, n),
          case="ipv6 without a teredo end on port 3544: teredo (its port), not ipv6-udp")
    # Not IPv6 in UDP: plain UDP flows.
    for delta, what, ports in ((-1, "one byte short of the datagram, by content", (40501, 40502)),
                               (1, "one byte beyond the datagram, on port 4500", (4500, 4500))):
        n = ip6(hoa, V6_LOW, udp(51203, 443, rbytes(40)))
        body = n.raw + (b"\x00" if delta < 0 else b"")
        if delta > 0:
            body = patch(body, 4, "!H", len(body) - 40 + 1)
        c.eth(ip4(MN, "198.51.100.151", udp(*ports, body)),
              case=f"version 6 in udp, payload length {what}: plain udp")
    mc = ip6(A("ff05::1:3", "multicast"), V6_LOW, udp(547, 547, rbytes(30)))
    c.eth(ip4(MN, "198.51.100.151", udp(40503, 40504, mc.raw)),
          case="ipv6 in udp from a multicast source: plain udp")
    c.eth(teredo(CLIENT_NAT, "192.0.2.211", CLIENT_PORT, 50555, ip6(T_CLIENT, V6_LOW, udp(51204, 443, rbytes(80)),
                                                                   hlim=128)),
          case="teredo (2001:0::/32 end) on ephemeral ports: teredo, not ipv6-udp")


def carriers_ip6tnl(c):
    """RFC 2473 generic packet tunneling in IPv6 (next header 41: ipv6-in-ipv6,
    next header 4: ipv4-in-ipv6): a DS-Lite softwire (RFC 6333) between a
    B4 and its AFTR, an ip6ip6 tunnel between two routers and the same
    inner packets between a second pair, destination options (the Tunnel
    Encapsulation Limit) and hop-by-hop before the tunnel, an outer IPv6
    fragment pair, an inner transport header cut; IPv6 with next header 41
    or 4 that stays the native IPv6 flow (ip6tnl_truncated,
    ip6tnl_bad_payload)."""
    # --- DS-Lite (RFC 6333): IPv4 in IPv6 between a B4 and its AFTR --------
    B4, AFTR = A("2001:db8:b4::1", "documentation"), A("2001:db8:af::1", "documentation")
    HOME4, WEB = "192.168.1.10", "198.51.100.80"  # the B4's private IPv4 host (the AFTR NATs it), a server
    c.eth(ip6tnl(B4, AFTR, ip4(HOME4, DNS4, udp(53123, 53, dns("ds-lite.example", "A", ident=0x64D5)))),
          case="ds-lite b4 -> aftr (ipv4-in-ipv6): dns query")
    c.eth(ip6tnl(AFTR, B4, ip4(DNS4, HOME4, udp(53, 53123, dns("ds-lite.example", "A", WEB, ident=0x64D5)),
                               ttl=57)), case="ds-lite aftr -> b4 (ipv4-in-ipv6): dns answer")
    for fwd, fl, n in ((True, "S", 0), (False, "SA", 0), (True, "A", 0), (True, "PA", 517), (False, "PA", 1380),
                       (False, "PA", 800), (True, "A", 0), (True, "FA", 0), (False, "FA", 0), (True, "A", 0)):
        inner = (ip4(HOME4, WEB, tcp(41500, 443, fl, rbytes(n))) if fwd else
                 ip4(WEB, HOME4, tcp(443, 41500, fl, rbytes(n)), ttl=51, df=True))
        c.eth(ip6tnl(B4 if fwd else AFTR, AFTR if fwd else B4, inner),
              case="ds-lite (ipv4-in-ipv6): tcp, " + ("b4 -> aftr" if fwd else "aftr -> b4"))
    # --- IPv6 in IPv6 (ip6ip6) between two routers --------------------------
    R1, R2 = A("2a01:4f8:10a:1::1", "low"), A("2a01:4f8:20b:2::1", "low")
    for a, b, ident in ((V6_EUI64, V6_LOW, 0x66), (V6_LOW, V6_EUI64, 0x67)):
        there = a is V6_EUI64
        for seq in (1, 2):
            c.eth(ip6tnl(R1 if there else R2, R2 if there else R1, ip6(a, b, echo6(ident, seq, 56))),
                  case="ipv6-in-ipv6: icmpv6 echo request, " + ("r1 -> r2" if there else "r2 -> r1"))
            c.eth(ip6tnl(R2 if there else R1, R1 if there else R2, ip6(b, a, echo6(ident, seq, 56, reply=True),
                                                                        hlim=61)),
                  case="ipv6-in-ipv6: icmpv6 echo reply, " + ("r2 -> r1" if there else "r1 -> r2"))
    for fwd, fl, n in ((True, "S", 0), (False, "SA", 0), (True, "A", 0), (True, "PA", 333), (False, "PA", 1200),
                       (False, "FA", 0), (True, "FA", 0)):
        inner = (ip6(V6_PRIV, V6_OTHER, tcp(51400, 22, fl, rbytes(n))) if fwd else
                 ip6(V6_OTHER, V6_PRIV, tcp(22, 51400, fl, rbytes(n)), hlim=59))
        c.eth(ip6tnl(R1 if fwd else R2, R2 if fwd else R1, inner),
              case="ipv6-in-ipv6: tcp, " + ("r1 -> r2" if fwd else "r2 -> r1"))
    # The outer pair names the tunnel: the same inner packets between R1/R2
    # and between R3/R4 are two flows.
    R3, R4 = A("2600:1f18:aa0:1::10", "low"), A("2600:1f18:aa0:2::10", "low")
    same = ip6(V6_PRIV2, V6_OTHER, udp(51401, 8443, rbytes(60)))
    for osrc, odst, what in ((R1, R2, "r1 -> r2"), (R3, R4, "r3 -> r4"), (R1, R2, "r1 -> r2"), (R3, R4, "r3 -> r4")):
        c.eth(ip6tnl(osrc, odst, same), case=f"ipv6-in-ipv6 {what}: the same inner udp, a flow per outer pair")
    # Extension headers before the tunnel: the walk ends at 41 or 4.
    c.eth(ip6tnl(R1, R2, ip6(V6_PRIV, V6_OTHER, tcp(51402, 443, "S")), ext=[60]),
          case="ipv6-in-ipv6 behind destination options (tunnel encapsulation limit, RFC 2473 4.1.1)")
    c.eth(ip6tnl(B4, AFTR, ip4(HOME4, WEB, tcp(41501, 80, "S")), ext=[0, 60]),
          case="ipv4-in-ipv6 behind hop-by-hop and destination options")
    # An outer IPv6 first fragment (offset 0, M = 1) is the tunnel; its later
    # fragment is native IPv6 (next header 4 in the fragment header) in the
    # inner flow of the first, matched on the outer addresses, the
    # identification and the next header.
    inner = ip4(HOME4, DNS4, udp(53124, 53, rbytes(1300)))
    ident, hlim = 0x0B4F0001, 64
    cut_at = 1232  # a multiple of 8: the B4's 1280-byte path MTU less 40 + 8
    first = bytes(IPv6(src=B4.text, dst=AFTR.text, hlim=hlim, nh=44)
                  / IPv6ExtHdrFragment(nh=4, offset=0, m=1, id=ident) / Raw(inner.raw[:cut_at]))
    rest = bytes(IPv6(src=B4.text, dst=AFTR.text, hlim=hlim, nh=44)
                 / IPv6ExtHdrFragment(nh=4, offset=cut_at // 8, m=0, id=ident) / Raw(inner.raw[cut_at:]))
    facts = ip6tnl_facts(B4, AFTR, inner)
    facts.update({"fragmentIdentification": ident, "fragmentOffset": 0, "firstFragment": True})
    k = c.eth((first, facts), case="ipv4-in-ipv6 udp, outer ipv6 first fragment: the tunnel")
    facts = ip6_facts(B4, AFTR, 4, 0, hlim, len(rest))
    facts.update({"fragmentIdentification": ident, "fragmentOffset": cut_at, "firstFragment": False})
    c.eth((rest, facts), case="ipv4-in-ipv6 udp, outer ipv6 later fragment (native ipv6, next header 4; inner flow)",
          flow_key=c.key_of(k))
    # Cut after the inner IP header: the tunnel's flow, with what was
    # captured of the transport header.
    raw, facts = ip6tnl(R1, R2, ip6(V6_PRIV, V6_OTHER, tcp(51400, 22, "PA", rbytes(700))))
    verdict, facts = cut(facts, 14 + 40 + 40, 14 + 40 + 40 + 10, 6)
    c.eth((raw, facts), verdict=verdict, snap=14 + 40 + 40 + 10,
          case="ipv6-in-ipv6, inner tcp header cut by the capture at 10 bytes: the tunnel flow, ports")
    raw, facts = ip6tnl(B4, AFTR, ip4(HOME4, WEB, tcp(41500, 443, "PA", rbytes(700))))
    verdict, facts = cut(facts, 14 + 40 + 20, 14 + 40 + 20 + 2, 6)
    c.eth((raw, facts), verdict=verdict, snap=14 + 40 + 20 + 2,
          case="ipv4-in-ipv6, inner tcp header cut by the capture at 2 bytes: the tunnel flow, no ports")
    # --- Next header 41 or 4 that stays the native IPv6 flow ---------------
    v6in = ip6(V6_PRIV, V6_OTHER, tcp(51403, 443, "PA", rbytes(200)))
    raw, facts = ip6tnl(R1, R2, v6in, decoy=True)
    c.eth((raw, facts), verdict="ip6tnl_truncated", snap=14 + 40 + 30,
          case="next header 41, inner ipv6 header cut by the capture (30 of 40 bytes): ip6tnl_truncated")
    v4in = ip4(HOME4, WEB, tcp(41502, 443, "PA", rbytes(200)))
    raw, facts = ip6tnl(B4, AFTR, v4in, decoy=True)
    c.eth((raw, facts), verdict="ip6tnl_truncated", snap=14 + 40 + 12,
          case="next header 4, inner ipv4 header cut by the capture (12 of 20 bytes): ip6tnl_truncated")
    v4opt = ip4(HOME4, WEB, udp(41503, 5060, rbytes(40)), options=[b"\x94\x04\x00\x00"])  # router alert, ihl 6
    raw, facts = ip6tnl(B4, AFTR, v4opt, decoy=True)
    c.eth((raw, facts), verdict="ip6tnl_truncated", snap=14 + 40 + 22,
          case="next header 4, inner ipv4 options cut by the capture (22 of ihl 6's 24 bytes): ip6tnl_truncated")
    # The outer payload length ends the packet before the inner one does.
    short = ip6(V6_PRIV, V6_OTHER, udp(51404, 53, rbytes(40)))
    raw, facts = ip6tnl(R1, R2, short.raw[:40 + 8 + 20], decoy=True)
    c.eth((raw, facts), verdict="ip6tnl_bad_payload",
          case="next header 41, inner ipv6 payload length beyond the outer payload: ip6tnl_bad_payload")
    raw, facts = ip6tnl(B4, AFTR, v4in.raw[:20 + 20 + 100], nh=4, decoy=True)
    c.eth((raw, facts), verdict="ip6tnl_bad_payload",
          case="next header 4, inner ipv4 total length beyond the outer payload: ip6tnl_bad_payload")
    # The version the next header does not say.
    raw, facts = ip6tnl(B4, AFTR, ip6(V6_PRIV, V6_OTHER, udp(51405, 53, rbytes(20))).raw, nh=4)
    c.eth((raw, facts), verdict="ip6tnl_bad_payload",
          case="next header 4 carrying version 6: ip6tnl_bad_payload")
    raw, facts = ip6tnl(R1, R2, ip4(HOME4, WEB, udp(41504, 53, rbytes(30))).raw, nh=41)
    c.eth((raw, facts), verdict="ip6tnl_bad_payload",
          case="next header 41 carrying version 4: ip6tnl_bad_payload")
    bad_ihl = fix_ip4_checksum(patch(ip4(HOME4, WEB, udp(41505, 53, rbytes(30))).raw, 0, "!B", 0x44))
    raw, facts = ip6tnl(B4, AFTR, bad_ihl, nh=4)
    c.eth((raw, facts), verdict="ip6tnl_bad_payload",
          case="next header 4, inner ipv4 header length 16: ip6tnl_bad_payload")


# ---------------------------------------------------------------------------
# mirrors.pcap, mirrors-off.pcap, mirrors-some.pcap: mirrored traffic.

SENSOR4, SENSOR4B, COLLECTOR4 = "192.0.2.230", "192.0.2.231", "198.51.100.230"  # taps and the probe's address
SENSOR6, COLLECTOR6 = A("2001:db8:5a::10", "documentation"), A("2001:db8:5a::c0", "documentation")
SENSOR_MAC, COLLECTOR_MAC = mac(0x230), mac(0x231)


class MirrorCapture(Capture):
    """A capture of mirror packets decoded with `--mirror MIRROR` (None: not
    given) and `--vxlan-ports`: the same frames give the mirrored frames'
    truth where the options turn their kind on, else the outer packets'."""

    def __init__(self, name, mirror=None, vxlan_ports=None):
        args = (["--mirror", mirror] if mirror else []) + (
            ["--vxlan-ports", ",".join(map(str, vxlan_ports))] if vxlan_ports else [])
        super().__init__(name, decode_args=args)
        words = () if mirror in (None, "none") else MIRROR_OPTIONS if mirror == "auto" else mirror.split(",")
        self.kinds = set().union(*(MIRROR_OPTIONS[w] for w in words))
        self.vxlan_ports = set(vxlan_ports or (VXLAN_PORT,))

    def decodes(self, m):
        return m.kind in self.kinds and (m.dport is None or m.dport in self.vxlan_ports)

    def mirror(self, m, case, fail=None, snap=None):
        """One mirror packet from a tap to the probe. Where the options decode
        its kind: the mirrored frame's truth (`fail`: the verdict of a check
        that fails, the outer packet's flow); elsewhere the outer packet."""
        outer, _ = eth(m.raw, ETH_IPV6 if m.raw[0] >> 4 == 6 else ETH_IPV4, src=SENSOR_MAC, dst=COLLECTOR_MAC)
        if not self.decodes(m):
            verdict, facts, link = m.plain, m.outer, {}
            case += f" [{m.kind} not decoded here: the outer packet]"
        elif fail:
            verdict, facts, link = fail, m.outer, {}
        else:
            assert m.inner is not None, case
            verdict, facts, link = mirror_facts(m)
        if facts is not None and "tunnelType" not in facts:
            facts = {"tunnelType": "none", **facts}
        return self.add(outer, verdict, facts, link, case, snap=snap)


def bare(net):
    """An IP packet as ERSPAN III's frame type 2 carries it: no link layer."""
    return Frame(net.raw, "ok", {"tunnelType": "none", **net.facts})


def mirror_traffic(c):
    """The mirrors and their decoys, for c (a MirrorCapture): built the same,
    byte for byte, whatever c's options."""
    S, S2, C = SENSOR4, SENSOR4B, COLLECTOR4
    # --- VXLAN (RFC 7348): a cloud traffic-mirroring session, VNI 5001 -----
    # A Teredo client's TCP session through its relay, both ways.
    for i in range(3):
        fl, n = [("S", 0), ("A", 0), ("PA", 220)][i]
        inner = ip6(T_CLIENT, V6_LOW, tcp(51300, 443, fl, rbytes(n)), hlim=128)
        c.mirror(vxlan(S, C, frame(teredo(CLIENT_NAT, RELAY4, CLIENT_PORT, 3544, inner)), 5001),
                 case="vxlan 5001: teredo client -> relay, tcp")
        fl, n = [("SA", 0), ("PA", 900), ("A", 0)][i]
        back = ip6(V6_LOW, T_CLIENT, tcp(443, 51300, fl, rbytes(n)), hlim=55)
        c.mirror(vxlan(S, C, frame(teredo(RELAY4, CLIENT_NAT, 3544, CLIENT_PORT, back)), 5001),
                 case="vxlan 5001: teredo relay -> client, tcp")
    # The mirrored frame's own VLAN tags are its link-layer keys.
    c.mirror(vxlan(S, C, frame(ip4("10.60.0.5", "10.60.0.53", udp(53400, 53, dns("vlan.example", "A"))),
                               vlans=[(ETH_VLAN, 300)]), 5002),
             case="vxlan 5002: mirrored frame tagged 802.1Q vid 300")
    c.mirror(vxlan(S, C, frame(ip4("10.61.0.5", "10.61.0.1", tcp(40200, 22, "S")),
                               vlans=[(ETH_QINQ, 30), (ETH_VLAN, 301)]), 5002),
             case="vxlan 5002: mirrored frame tagged QinQ 30/301")
    # RFC 7348 5: flag bits but I are ignored (VXLAN-GBP's G bit and group
    # policy id in the reserved bits).
    c.mirror(vxlan(S, C, frame(ip6(V6_PRIV, V6_OTHER, udp(52010, 443, rbytes(300)))), 5002, flags=0x88,
                   reserved=0x001234, reserved2=0xAB),
             case="vxlan 5002, flags 0x88 (gbp's g bit, policy 0x1234), last byte 0xab: i set, decoded")
    # VXLAN over IPv6.
    c.mirror(vxlan(SENSOR6, COLLECTOR6, frame(ip6(V6_EUI64, V6_OTHER, echo6(0x5c, 1, 40))), 0xFFFFFF,
                   outer_v6=True), case="vxlan 16777215 (the largest vni) over ipv6: icmpv6 echo")
    c.mirror(vxlan(SENSOR6, COLLECTOR6, frame(ip6(V6_OTHER, V6_EUI64, echo6(0x5c, 1, 40, reply=True), hlim=57)),
                   0xFFFFFF, outer_v6=True), case="vxlan 16777215 over ipv6: icmpv6 echo reply")
    # The same frames mirrored by two sessions (VNIs 6001 and 6002): two flows.
    for fl, n in (("S", 0), ("A", 0), ("PA", 517)):
        f = frame(ip4(CLIENT4, WEB4, tcp(50600, 443, fl, rbytes(n)), df=True))
        c.mirror(vxlan(S, C, f, 6001, sport=50001), case="vxlan 6001: tcp, the same frames as vni 6002")
        c.mirror(vxlan(S2, C, f, 6002, sport=50002), case="vxlan 6002: tcp, the same frames as vni 6001")
    # One level only: VXLAN inside the mirrored frame is a UDP flow.
    nested = vxlan("10.70.0.1", "10.70.0.2", frame(ip4("172.20.0.1", "172.20.0.2", udp(1000, 2000, rbytes(20)))), 77,
                   sport=50077)
    c.mirror(vxlan(S, C, frame((nested.raw, nested.outer)), 5004),
             case="vxlan 5004 carrying a frame with vxlan inside: that vxlan is udp (one level)")
    # Mirrored frames that are drops of their own: the verdict and the mirror.
    arp = bytes(Ether(dst="ff:ff:ff:ff:ff:ff", src="02:00:5e:10:00:05") / ARP(psrc="10.60.0.5", pdst="10.60.0.1"))
    c.mirror(vxlan(S, C, Frame(arp + bytes(60 - len(arp)), "non_ip"), 5001), case="vxlan 5001 carrying arp: non_ip")
    c.mirror(vxlan(S, C, Frame(MAC_B + MAC_A + b"\x08\x00", "ipv4_truncated"), 5001),
             case="vxlan 5001 carrying 14 bytes (an ethernet header alone, type ipv4): ipv4_truncated")
    # Not VXLAN: the source port 4789, destination ports 4790 (VXLAN-GPE)
    # and 8472 (Linux's default) while --vxlan-ports does not name them.
    f = frame(ip4("10.62.0.5", "10.62.0.6", udp(40300, 40301, rbytes(30))))
    c.mirror(vxlan(S, C, f, 5005, sport=VXLAN_PORT, dport=50000), case="udp from port 4789 (vxlan-shaped): udp")
    c.mirror(vxlan(S, C, f, 5005, dport=4790), case="udp to port 4790 (vxlan-shaped): udp")
    c.mirror(vxlan(S, C, f, 5005, dport=8472), case="vxlan to port 8472: udp unless --vxlan-ports names it")
    # VXLAN whose checks fail: the outer UDP flow.
    f = frame(ip4("10.60.0.5", "10.60.0.1", udp(40400, 40401, rbytes(40))))
    c.mirror(vxlan(S, C, f, 5001, flags=0x00), fail="vxlan_bad_header",
             case="vxlan with the i flag clear: vxlan_bad_header, the udp flow")
    c.mirror(vxlan(S, C, MAC_B + MAC_A[:4], 5001), fail="mirror_truncated",
             case="vxlan with 10 bytes of frame (udp length): mirror_truncated, the udp flow")
    c.mirror(vxlan(S, C, f, 5001), fail="mirror_truncated", snap=14 + 20 + 8 + 8 + 10,
             case="vxlan cut by the capture 10 bytes into the frame: mirror_truncated, the udp flow")

    # --- ERSPAN type II (draft-foschiano-erspan-03 4.1), session 7 --------
    H1, H2 = "203.0.113.5", "198.51.100.10"
    for i in range(2):
        c.mirror(erspan2(S, C, frame(tunnel(H1, H2, ip6(V6_6TO4_WIN, V6_6TO4_LINUX, tcp(50910, 22, ["S", "PA"][i],
                                                                                        rbytes(64 * i))), "6to4")),
                         7, index=0x2a, cos=5), case="erspan ii session 7 (cos 5): 6to4 host -> host")
        c.mirror(erspan2(S, C, frame(tunnel(H2, H1, ip6(V6_6TO4_LINUX, V6_6TO4_WIN, tcp(22, 50910, ["SA", "A"][i]),
                                                        hlim=64), "6to4")), 7, index=0x2b),
                 case="erspan ii session 7: 6to4 host -> host, back")
    c.mirror(erspan2(S, C, frame(ip4(TEREDO_SERVER, "192.0.2.150", udp(3544, 61000, b"\x17" + rbytes(40))),
                                 verdict="teredo_not_ipv6"), 7),
             case="erspan ii session 7 carrying udp 3544 that is no teredo: the frame's verdict")
    teb_in = teb("10.80.0.1", "10.80.0.2", frame(ip4("172.21.0.1", "172.21.0.2", udp(1, 2, rbytes(8)))), key=9)
    c.mirror(erspan2(S, C, frame((teb_in.raw, teb_in.outer), verdict="gre_other_protocol"), 7),
             case="erspan ii session 7 carrying ethernet over gre: gre_other_protocol (one level)")
    c.mirror(erspan2(SENSOR6, COLLECTOR6, frame(ip4("10.63.0.5", "10.63.0.80", tcp(40500, 80, "PA", rbytes(300)))),
                     1023, outer_v6=True), case="erspan ii over ipv6, session 1023 (10 bits)")
    # ERSPAN II whose checks fail: the outer GRE flow.
    f = frame(ip4("10.63.0.5", "10.63.0.80", tcp(40501, 80, "S")))
    c.mirror(erspan2(S, C, f, 7, version=2), fail="erspan_bad_header",
             case="erspan ii header of version 2: erspan_bad_header, the gre flow")
    c.mirror(erspan2(SENSOR6, COLLECTOR6, f, 7, version=3, outer_v6=True), fail="erspan_bad_header",
             case="erspan ii over ipv6, version 3: erspan_bad_header, the ipv6 flow of protocol 47")
    c.mirror(erspan2(S, C, MAC_B + MAC_A[:4], 7), fail="mirror_truncated",
             case="erspan ii with 10 bytes of frame: mirror_truncated, the gre flow")
    c.mirror(_gre_mirror(S, C, GRE_ERSPAN, erspan2_header(7)[:5], "erspan2", 7, None, False, seq=_next_seq()),
             fail="mirror_truncated", case="erspan ii header cut at 5 bytes: mirror_truncated, the gre flow")

    # --- ERSPAN type III (4.2), session 9: native IPv6 TCP ---------------
    for fwd, fl, n, o in ((True, "S", 0, False), (False, "SA", 0, True), (True, "A", 0, False),
                          (True, "PA", 700, True)):
        net = (ip6(V6_EUI64, V6_LOW, tcp(51310, 443, fl, rbytes(n))) if fwd else
               ip6(V6_LOW, V6_EUI64, tcp(443, 51310, fl, rbytes(n)), hlim=57))
        c.mirror(erspan3(S, C, frame(net), 9, o_flag=o, d=int(not fwd), p=int(o), cos=3, sgt=0x0a0b),
                 case="erspan iii session 9: ipv6 tcp" + (", platform subheader (o)" if o else ""))
    # Frame type 2: a bare IP packet.
    q = ip4("10.64.0.5", DNS4, udp(53500, 53, dns("erspan.example", "A", ident=0x2b2b)))
    c.mirror(erspan3(S, C, bare(q), 10, ft=2), case="erspan iii session 10, frame type 2: ipv4 dns query")
    a = ip4(DNS4, "10.64.0.5", udp(53, 53500, dns("erspan.example", "A", "198.51.100.81", ident=0x2b2b)), ttl=58)
    c.mirror(erspan3(S, C, bare(a), 10, ft=2, o_flag=True),
             case="erspan iii session 10, frame type 2 with the platform subheader: ipv4 dns answer")
    c.mirror(erspan3(S, C, bare(ip6(V6_PRIV, V6_LOW, udp(52011, 443, rbytes(120)))), 10, ft=2),
             case="erspan iii session 10, frame type 2: ipv6")
    f = frame(ip4("10.64.0.5", "10.64.0.80", tcp(40600, 80, "S")))
    c.mirror(erspan3(S, C, f, 9, ft=5), fail="erspan_bad_header",
             case="erspan iii frame type 5: erspan_bad_header, the gre flow")
    c.mirror(erspan3(S, C, f, 9, version=1), fail="erspan_bad_header",
             case="erspan iii header of version 1: erspan_bad_header, the gre flow")

    # --- ERSPAN type I: no header ---------------------------------------
    for fwd in (True, False):
        net = (ip4("10.65.0.5", "10.65.0.80", tcp(40700, 8080, "PA", rbytes(90))) if fwd else
               ip4("10.65.0.80", "10.65.0.5", tcp(8080, 40700, "A"), ttl=63))
        c.mirror(erspan1(S, C, frame(net)), case="erspan i (gre 0x88be without a sequence number): tcp")

    # --- Transparent Ethernet bridging (gretap, NVGRE) ---------------------
    GA, GB = "192.0.2.161", "198.51.100.161"
    c.mirror(teb(S, C, frame(gre(GA, GB, ip6(V6_EUI64, V6_LOW, tcp(51320, 443, "S")), key=42)), key=0x00ABCDEF),
             case="teb key 0x00abcdef carrying ipv6 in gre (key 42)")
    c.mirror(teb(S, C, frame(gre(GB, GA, ip6(V6_LOW, V6_EUI64, tcp(443, 51320, "SA"), hlim=58)))),
             case="teb without a key carrying ipv6 in gre (no key)")
    c.mirror(teb(S, C, frame(ip4("10.66.0.5", "10.66.0.6", icmp4(8, 0, rbytes(32), ident=5, seq=1))),
                 key=0x01000002, csum=True), case="nvgre (teb, checksum and key 0x01000002): icmp echo")
    c.mirror(teb(SENSOR6, COLLECTOR6, frame(ip6(V6_ULA, V6_ULA2, udp(5353, 5353, rbytes(60)))), key=3, outer_v6=True),
             case="teb over ipv6, key 3: ipv6 udp")
    c.mirror(teb(S, C, MAC_B + MAC_A + b"\x08"), fail="mirror_truncated",
             case="teb with 13 bytes of frame: mirror_truncated, the gre flow")


def options_traffic(c):
    """--mirror naming some kinds, --vxlan-ports replacing 4789."""
    S, C = SENSOR4, COLLECTOR4
    f = frame(ip4("10.67.0.5", "10.67.0.80", tcp(40800, 443, "S")))
    c.mirror(vxlan(S, C, f, 7001, dport=8472), case="vxlan on 8472 (--vxlan-ports 8472)")
    c.mirror(vxlan(S, C, f, 7001), case="vxlan on 4789, not in --vxlan-ports: udp")
    c.mirror(teb(S, C, f, key=7), case="teb (--mirror names it)")
    c.mirror(erspan2(S, C, f, 7), case="erspan ii, --mirror does not name erspan: gre_other_protocol")
    c.mirror(erspan1(S, C, f), case="erspan i, --mirror does not name erspan: gre_other_protocol")
    c.mirror(erspan3(SENSOR6, COLLECTOR6, f, 7, outer_v6=True),
             case="erspan iii over ipv6, --mirror does not name erspan: the ipv6 flow of protocol 47")


def build_mirrors():
    """The same mirror packets decoded with --mirror auto (mirrors) and without
    (mirrors-off), byte for byte; a few with --mirror vxlan,teb --vxlan-ports
    8472 (mirrors-some). The random numbers drawn here are given back: the
    captures written after these keep their bytes."""
    state = rng.getstate()
    caps = []
    for name, opt in (("mirrors", "auto"), ("mirrors-off", None)):
        rng.setstate(state)
        GRE_SEQ[0] = 0
        c = MirrorCapture(name, opt)
        mirror_traffic(c)
        caps.append(c)
    assert caps[0].records == caps[1].records
    c = MirrorCapture("mirrors-some", "vxlan,teb", [8472])
    options_traffic(c)
    caps.append(c)
    rng.setstate(state)
    return caps


def build_raw():
    c = Capture("raw", linktype=LINKTYPE_RAW)
    n = ip4(CLIENT4, WEB4, tcp(50010, 443, "S"))
    c.add(n.raw, "ok", {"tunnelType": "none", **n.facts}, case="raw ipv4")
    n = ip6(V6_EUI64, V6_LOW, udp(50011, 53, dns("raw.example.com")))
    c.add(n.raw, "ok", {"tunnelType": "none", **n.facts}, case="raw ipv6")
    raw, facts = teredo(CLIENT_NAT, RELAY4, CLIENT_PORT, 3544, ip6(T_CLIENT, V6_LOW, tcp(50012, 80, "S"), hlim=128))
    c.add(raw, "ok", facts, case="raw teredo")
    raw, facts = tunnel("203.0.113.5", "198.51.100.10", ip6(V6_6TO4_WIN, V6_6TO4_LINUX, udp(1, 2, rbytes(4))), "6to4")
    c.add(raw, "ok", facts, case="raw 6to4")
    c.add(b"\x25" + rbytes(30), "ip_bad_version", case="raw, version 2")
    c.add(b"", "ipv4_truncated", case="raw, empty record")
    c.add(b"\x45\x00\x00", "ipv4_truncated", case="raw ipv4 header cut")
    c.add(b"\x60\x00\x00", "ipv6_truncated", case="raw ipv6 header cut")
    return c


def build_null():
    c = Capture("null", linktype=DLT_NULL)
    n = ip4(CLIENT4, WEB4, udp(50020, 53, dns("null.example.com", "A")))
    c.add(struct.pack("<I", 2) + n.raw, "ok", {"tunnelType": "none", **n.facts}, case="null, AF_INET little-endian")
    n = ip6(V6_EUI64, V6_LOW, tcp(50021, 22, "S"))
    c.add(struct.pack("<I", 30) + n.raw, "ok", {"tunnelType": "none", **n.facts}, case="null, AF_INET6 30 (macOS)")
    n = ip6(V6_LOW, V6_EUI64, tcp(22, 50021, "SA"))
    c.add(struct.pack(">I", 28) + n.raw, "ok", {"tunnelType": "none", **n.facts},
          case="null, AF_INET6 28 (FreeBSD) big-endian")
    raw, facts = tunnel("203.0.113.40", "216.66.80.30", ip6(V6_EUI64_2, V6_LOW, udp(1, 2, rbytes(4))), "6in4")
    c.add(struct.pack(">I", 2) + raw, "ok", facts, case="null, AF_INET big-endian, 6in4")
    n = ip6(V6_EUI64, V6_LOW, udp(50022, 53, dns("null6.example.com")))
    c.add(struct.pack("<I", 24) + n.raw, "ok", {"tunnelType": "none", **n.facts}, case="null, AF_INET6 24 (NetBSD)")
    c.add(struct.pack("<I", 7) + rbytes(40), "non_ip", case="null, unknown address family")
    c.add(b"\x02\x00", "frame_truncated", case="null, 2 bytes")
    return c


def build_sll():
    c = Capture("sll", linktype=DLT_LINUX_SLL)

    def sll(proto, body):
        return struct.pack("!HHH", 0, 1, 6) + MAC_A + b"\x00\x00" + struct.pack("!H", proto) + body

    n = ip4(CLIENT4, WEB4, tcp(50030, 443, "S"))
    c.add(sll(ETH_IPV4, n.raw), "ok", {"tunnelType": "none", **n.facts}, case="sll ipv4")
    raw, facts = teredo(RELAY4, CLIENT_NAT, 3544, CLIENT_PORT, ip6(V6_LOW, T_CLIENT, tcp(80, 50031, "SA")))
    c.add(sll(ETH_IPV4, raw), "ok", facts, case="sll teredo")
    n = ip6(V6_EUI64, V6_LOW, udp(50032, 53, dns("sll.example.com")))
    c.add(sll(ETH_VLAN, struct.pack("!HH", 42, ETH_IPV6) + n.raw), "ok", {"vlanId": 42, "tunnelType": "none",
                                                                           **n.facts}, case="sll, 802.1Q, ipv6")
    c.add(sll(ETH_ARP, bytes(ARP())), "non_ip", case="sll arp")
    c.add(sll(ETH_IPV4, b"")[:12], "frame_truncated", case="sll header cut")
    return c


# ---------------------------------------------------------------------------
# tcpend.pcap, longrun.pcap, clock0.pcap: flows over time (default timeouts:
# active 300 s, inactive 30 s, TCP end grace 5 s). Each packet's time is set
# explicitly (Capture.set_time); the ground truth's flows follow the probe's
# rules (Capture.flows).

SEC = 1_000_000  # microseconds


class Conversation:
    """One TCP connection between (a, ap) and (b, bp), native IPv4 or inside
    a tunnel: `wrap(src_is_a, net)` builds the frame's (raw, facts)."""

    def __init__(self, c, a, ap, b, bp, wrap=None, v6=False):
        self.c, self.a, self.ap, self.b, self.bp, self.wrap, self.v6 = c, a, ap, b, bp, wrap, v6

    def send(self, at_us, from_a, flags, size=0, case=""):
        src, dst = (self.a, self.b) if from_a else (self.b, self.a)
        sp, dp = (self.ap, self.bp) if from_a else (self.bp, self.ap)
        seg = tcp(sp, dp, flags, rbytes(size))
        net = ip6(src, dst, seg) if self.v6 else ip4(src, dst, seg)
        self.c.set_time(at_us)
        return self.c.eth(self.wrap(from_a, net) if self.wrap else net, case=case)


def build_tcpend():
    """TCP endings in every order, both directions of each connection, native
    and tunneled: one record per direction and connection."""
    c = Capture("tcpend")
    t = (BASE_TS + 3600) * SEC
    ms = 1000

    def conv(port, wrap=None, v6=False, a=CLIENT4, b=WEB4):
        return Conversation(c, a, port, b, 443, wrap, v6)

    # 1. A complete short TLS session: the last ACK follows the FINs.
    k = conv(50001)
    k.send(t, True, "S", case="tls: syn")
    k.send(t + 12 * ms, False, "SA", case="tls: syn-ack")
    k.send(t + 24 * ms, True, "A", case="tls: ack")
    k.send(t + 30 * ms, True, "PA", 517, case="tls: client hello")
    k.send(t + 45 * ms, False, "PA", 1400, case="tls: server hello")
    k.send(t + 300 * ms, True, "FA", case="tls: client fin")
    k.send(t + 312 * ms, False, "FA", case="tls: server fin")
    k.send(t + 324 * ms, True, "A", case="tls: last ack (same record as the client's fin)")
    # 2. Refused: SYN answered by RST; the client retries the SYN 1 s later
    #    (a SYN after RST: a new record), refused again.
    t += 10 * SEC
    k = conv(50002)
    k.send(t, True, "S", case="refused: syn")
    k.send(t + 1 * ms, False, "RA", case="refused: rst")
    k.send(t + 1 * SEC, True, "S", case="refused: syn retry (same record: this direction saw no FIN/RST)")
    k.send(t + 1 * SEC + 1 * ms, False, "RA", case="refused: rst again (same record, within the grace)")
    # 3. Retransmitted FIN, then the ACK, then the client's RST.
    t += 10 * SEC
    k = conv(50003)
    k.send(t, True, "PA", 200, case="mid-stream start: data")
    k.send(t + 20 * ms, False, "A", case="mid-stream: ack")
    k.send(t + 1 * SEC, True, "FA", case="fin")
    k.send(t + 1 * SEC + 400 * ms, True, "FA", case="retransmitted fin")
    k.send(t + 1 * SEC + 420 * ms, False, "FA", case="peer fin")
    k.send(t + 1 * SEC + 430 * ms, True, "A", case="last ack")
    k.send(t + 2 * SEC, True, "R", case="rst after the close (same record)")
    # 4. RST first, then stray packets within the grace period.
    t += 10 * SEC
    k = conv(50004)
    k.send(t, True, "PA", 80, case="data")
    k.send(t + 5 * ms, False, "RA", case="server resets")
    k.send(t + 10 * ms, True, "PA", 80, case="data in flight after the rst (same record)")
    k.send(t + 15 * ms, False, "R", case="second rst (same record)")
    # 5. A late ACK beyond the grace period: a record of its own.
    t += 10 * SEC
    k = conv(50005)
    k.send(t, True, "FA", case="fin")
    k.send(t + 6 * SEC, True, "A", case="ack 6 s after the fin (new record)")
    # 6. Port reuse: a new connection on the same ports 1 s after the close.
    t += 10 * SEC
    k = conv(50006)
    k.send(t, True, "PA", 10, case="old connection data")
    k.send(t + 10 * ms, True, "FA", case="old connection fin")
    k.send(t + 20 * ms, False, "FA", case="old connection peer fin")
    k.send(t + 1 * SEC, True, "S", case="new connection, same ports: new record")
    k.send(t + 1 * SEC + 10 * ms, False, "SA", case="its syn-ack: new record")
    k.send(t + 1 * SEC + 20 * ms, True, "A", case="its ack")
    # 7. The server closes first; the client answers FIN later.
    t += 10 * SEC
    k = conv(50007, v6=True, a=V6_PRIV, b=V6_LOW)
    k.send(t, False, "FA", case="v6: server fin first")
    k.send(t + 100 * ms, True, "A", case="v6: client acks")
    k.send(t + 3 * SEC, True, "FA", case="v6: client fin 3 s later")
    k.send(t + 3 * SEC + 10 * ms, False, "A", case="v6: server's last ack (same record)")
    # 8. A long connection: packets every 10 s for 400 s (one active-timeout
    #    cut), then FIN.
    t += 10 * SEC
    k = conv(50008)
    for i in range(41):
        k.send(t + i * 10 * SEC, i % 2 == 0, "PA", 64, case="long connection")
    k.send(t + 405 * SEC, True, "FA", case="long connection fin")
    k.send(t + 405 * SEC + 10 * ms, False, "FA", case="long connection peer fin")
    # 9. Teredo (client <-> relay on the relay's port 3544) and 6to4 TCP.
    t += 420 * SEC
    relay = "192.0.2.99"

    def teredo_wrap(from_a, net):
        return (teredo(CLIENT_NAT, relay, CLIENT_PORT, 3544, net, ttl=64, ident=1) if from_a else
                teredo(relay, CLIENT_NAT, 3544, CLIENT_PORT, net, ttl=60, ident=2))
    k = Conversation(c, T_CLIENT, 51000, V6_LOW, 443, teredo_wrap, v6=True)
    k.send(t, True, "S", case="teredo: syn")
    k.send(t + 80 * ms, False, "SA", case="teredo: syn-ack")
    k.send(t + 160 * ms, True, "A", case="teredo: ack")
    k.send(t + 400 * ms, True, "FA", case="teredo: fin")
    k.send(t + 480 * ms, False, "RA", case="teredo: peer resets")
    k.send(t + 490 * ms, True, "R", case="teredo: client resets too")
    host6 = V6_6TO4_LINUX

    def six_wrap(from_a, net):
        return (tunnel("198.51.100.10", "192.88.99.1", net, "6to4", ttl=64, ident=3) if from_a else
                tunnel("192.0.2.98", "198.51.100.10", net, "6to4", ttl=60, ident=4))
    k = Conversation(c, host6, 52000, V6_EUI64, 22, six_wrap, v6=True)
    t += 10 * SEC
    k.send(t, True, "S", case="6to4: syn")
    k.send(t + 30 * ms, False, "SA", case="6to4: syn-ack")
    k.send(t + 60 * ms, True, "A", case="6to4: ack")
    k.send(t + 2 * SEC, True, "FA", case="6to4: fin")
    k.send(t + 2 * SEC + 30 * ms, False, "FA", case="6to4: peer fin")
    k.send(t + 2 * SEC + 60 * ms, True, "A", case="6to4: last ack")
    # 10. Idle, not closed: a half-open SYN, then other traffic 40 s later.
    t += 10 * SEC
    k = conv(50010)
    k.send(t, True, "S", case="half-open syn (idle timeout)")
    c.set_time(t + 40 * SEC)
    c.eth(ip4(CLIENT4, DNS4, udp(53000, 53, dns("example.org"))), case="later traffic: the capture goes on")
    return c


def build_longrun():
    """Sixty days of packet time, flows alive across the 2^31 ms and 2^32 ms
    points after the first packet (where 32-bit millisecond deadlines
    counted from the first packet saturate, and where the probe moves its
    deadline base), exchanges every 6 hours, a clock jump of 20 days."""
    c = Capture("longrun")
    t0 = BASE_TS * SEC
    ms = 1000
    c.set_time(t0)
    c.eth(ip4(CLIENT4, DNS4, udp(40000, 53, dns("start.example"))), case="the first packet")
    points = {(1 << 31) * ms: "2^31 ms", (1 << 32) * ms: "2^32 ms"}
    events = []
    # Exchanges every 6 hours: a DNS query and its answer, and a short TCP
    # connection that closes.
    for n in range(1, 240):
        at = t0 + n * 6 * 3600 * SEC
        if 33 * 86400 * SEC <= at - t0 < 53 * 86400 * SEC:
            continue  # a 20-day gap: the clock jumps
        events.append((at, "exchange", n))
    for offset, name in points.items():
        events.append((t0 + offset - 100 * SEC, "cross", name))
    events.sort()
    for at, kind, arg in events:
        if kind == "exchange":
            port = 41000 + arg
            c.set_time(at)
            c.eth(ip4(CLIENT4, DNS4, udp(port, 53, dns(f"q{arg}.example"))), case="6-hourly dns query")
            c.set_time(at + 20 * ms)
            c.eth(ip4(DNS4, CLIENT4, udp(53, port, dns(f"q{arg}.example", "A", "198.51.100.80"))),
                  case="its answer")
            k = Conversation(c, CLIENT4, port, WEB4, 443)
            k.send(at + 1 * SEC, True, "S", case="6-hourly tcp: syn")
            k.send(at + 1 * SEC + 10 * ms, False, "SA", case="syn-ack")
            k.send(at + 1 * SEC + 20 * ms, True, "PA", 300, case="data")
            k.send(at + 2 * SEC, True, "FA", case="fin")
            k.send(at + 2 * SEC + 10 * ms, False, "FA", case="peer fin")
            k.send(at + 2 * SEC + 20 * ms, True, "A", case="last ack")
        else:
            # Around the point: a UDP flow every 10 s for 200 s (one record),
            # a ping every 20 s for 500 s (cut once by the active timeout), a
            # TCP connection that opens before the point and closes after
            # it, and a 6to4 flow every 15 s for 200 s.
            k = Conversation(c, CLIENT4, 45000, WEB4, 443)
            for i in range(0, 501, 5):
                at_i = at + i * SEC
                if i <= 200 and i % 10 == 0:
                    c.set_time(at_i)
                    c.eth(ip4(CLIENT4, "198.51.100.123", udp(47000, 123, rbytes(48))),
                          case=f"ntp every 10 s across {arg}")
                if i % 20 == 0:
                    c.set_time(at_i + 1 * ms)
                    c.eth(ip4(CLIENT4, WEB4, icmp4(8, 0, rbytes(56), ident=7, seq=i)),
                          case=f"ping every 20 s across {arg}")
                if i <= 200 and i % 15 == 0:
                    c.set_time(at_i + 2 * ms)
                    inner = ip6(V6_6TO4_WIN, V6_EUI64, udp(5000, 5001, rbytes(20)))
                    c.eth(tunnel("203.0.113.5", "192.88.99.1", inner, "6to4", ttl=64, ident=9),
                          case=f"6to4 every 15 s across {arg}")
                if i in (60, 80, 100, 120):
                    flags = {60: "S", 80: "PA", 100: "PA", 120: "FA"}[i]
                    k.send(at_i + 3 * ms, True, flags, 100 if flags == "PA" else 0, case=f"tcp across {arg}")
                if i == 120:
                    k.send(at_i + 1 * SEC, False, "A", case=f"tcp across {arg}: the server acks the fin")
    c.set_time(t0 + 60 * 86400 * SEC)
    c.eth(ip4(CLIENT4, DNS4, udp(40000, 53, dns("end.example"))), case="the last packet, day 60")
    return c


def build_clock0():
    """A capture whose first packet is stamped 0 (1970-01-01), as some
    capture tools and NICs without a clock write, then real times."""
    c = Capture("clock0")
    c.set_time(0)
    c.eth(ip4(CLIENT4, DNS4, udp(40000, 53, dns("epoch.example"))), case="stamped 0")
    t = BASE_TS * SEC
    for i in range(20):
        c.set_time(t + i * SEC)
        c.eth(ip4(CLIENT4, DNS4, udp(40001, 53, dns(f"q{i}.example"))), case="every second from 2026")
        c.set_time(t + i * SEC + 5000)
        c.eth(ip4(DNS4, CLIENT4, udp(53, 40001, dns(f"q{i}.example", "A", "198.51.100.80"))), case="answers")
    return c


def write_flood(path, count, seed=7):
    """A random-source flood: every packet a new flow (cache exhaustion).

    Plain struct packing, not scapy: millions of frames in seconds. Nine in
    ten frames are UDP from a random IPv4 source; one in ten is Teredo whose
    inner source is a random Teredo client. 64-byte and 106-byte frames,
    1 microsecond apart. Truth: every frame is its own flow.
    """
    import random
    import struct as st
    rnd = random.Random(seed)
    eth = bytes.fromhex("0200000000010200000000020800")
    base = 1767225600
    with open(path, "wb") as f:
        f.write(st.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for i in range(count):
            src = rnd.getrandbits(32) | 0x01000000
            sport = rnd.randrange(1024, 65536)
            if i % 10 == 9:
                inner = (st.pack("!IHBB", 0x60000000, 0, 59, 64) + bytes.fromhex("20010000c0000201") +
                         st.pack("!HHI", 0x8000, sport ^ 0xffff, src ^ 0xffffffff) +
                         bytes.fromhex("2a001450400100000000000000000001"))
                udp = st.pack("!HHHH", sport, 3544, 8 + len(inner), 0) + inner
            else:
                udp = st.pack("!HHHH", sport, 53, 8 + 18, 0) + bytes(18)
            ip = st.pack("!BBHHHBBHII", 0x45, 0, 20 + len(udp), i & 0xffff, 0, 64, 17, 0, src, 0xc6336401) + udp
            frame = eth + ip
            t = base * 1000000 + i
            f.write(st.pack("<IIII", t // 1000000, t % 1000000, len(frame), len(frame)) + frame)


RANDOM_UDP_KINDS = ("random", "ipv6", "origin+ipv6", "auth+ipv6", "link-local", "trailer")

# The next headers an IPv6 packet carried in UDP may start with, for the
# content checks of Teredo and IPv6 in UDP (probe/base/protocols.hpp's
# kKnownFirstNextHeaders): the IANA extension headers (RFC 7045), the
# transports, no next header (bubbles), the tunnels.
KNOWN_FIRST_NEXT_HEADERS = (0, 4, 6, 17, 33, 41, 43, 44, 47, 50, 51, 58, 59, 60, 132, 135, 136, 139, 140, 253, 254)
# RFC 4380 5.2.1: the qualification procedure's link-local interface ids.
TEREDO_LINK_LOCAL_IIDS = (0x8000FFFFFFFFFFFD, 0x0000FFFFFFFFFFFD, 0x800054455245444F)


def is_teredo_end(a):
    """A Teredo address (2001:0::/32) or a Teredo link-local address."""
    return a[:4] == b"\x20\x01\x00\x00" or (a[:8] == b"\xfe\x80" + bytes(6)
                                           and int.from_bytes(a[8:16], "big") in TEREDO_LINK_LOCAL_IIDS)


def is_ipv6_in_udp(payload, udp_payload_len):
    """The rule of tunnel type ipv6-udp (draft-ebalard-mext-m6t), written
    again from its description: the UDP payload is exactly one IPv6 packet
    (version 6, 40 + payload length = the UDP payload length), which starts
    with a known next header, comes from no multicast source and has no
    Teredo end (that is Teredo's)."""
    return (len(payload) >= 40 and payload[0] >> 4 == 6 and 40 + int.from_bytes(payload[4:6], "big") == udp_payload_len
            and payload[6] in KNOWN_FIRST_NEXT_HEADERS and payload[8] != 0xFF
            and not is_teredo_end(payload[8:24]) and not is_teredo_end(payload[24:40]))


def write_random_udp(path, count, seed=11):
    """Random UDP for the Teredo false-positive rate: nothing in it is Teredo.

    Plain struct packing, not scapy. Ports: 1 in 20 datagrams has 3544 at one
    end, 1 in 5 a well-known port, the rest are ephemeral. Payloads: 40%
    random bytes (0..256 of them, so some start with an IPv6 version nibble
    or a Teredo indicator), 60% adversarial, off the Teredo port only: an
    IPv6 header whose payload length matches the UDP length exactly, with a
    random next header (half of them from the IANA extension headers and
    transports that Teredo accepts), random addresses and traffic class;
    some behind an origin indication or an authentication header, some with
    a link-local source with a random interface id, some with random bytes
    after the IPv6 packet. On the Teredo port the RFC 4380 checks alone
    decide (an exactly fitting IPv6 packet there is Teredo by definition),
    so adversarial payloads go to other ports; random payloads go to every
    port. Returns the number of datagrams of each kind, and the indices of
    the datagrams that are IPv6 in UDP (is_ipv6_in_udp(): an adversarial
    IPv6 header that fits exactly, with a known next header and no
    multicast source, is a packet of tunnel type ipv6-udp by definition).
    """
    import random
    import struct as st
    rnd = random.Random(seed)
    eth = bytes.fromhex("0200000000010200000000020800")
    well_known = (53, 123, 443, 500, 4500, 1900, 5353, 3478, 27015, 51820, 1194, 161)
    known_next = KNOWN_FIRST_NEXT_HEADERS
    kinds = {k: 0 for k in RANDOM_UDP_KINDS}
    ipv6_udp = []
    base = 1767225600
    with open(path, "wb") as f:
        f.write(st.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for i in range(count):
            r = rnd.random()
            ports = [rnd.randrange(1024, 65536), rnd.choice(well_known) if r < 0.2 else rnd.randrange(1024, 65536)]
            ports = [p if p != 3544 else 3545 for p in ports]  # 3544 only where chosen below
            rnd.shuffle(ports)
            k = rnd.random()
            if k < 0.4 or r >= 0.95:
                kind = "random"
                if r >= 0.95:
                    ports[rnd.randrange(2)] = 3544
                payload = rnd.randbytes(rnd.randrange(0, 257))
            else:
                kind = RANDOM_UDP_KINDS[1 + int((k - 0.4) / 0.6 * 5)]
                head = b""
                if kind == "origin+ipv6":
                    head = b"\x00\x00" + rnd.randbytes(6)
                elif kind == "auth+ipv6":
                    idl, aul = rnd.randrange(0, 9), rnd.randrange(0, 17)
                    head = b"\x00\x01" + bytes([idl, aul]) + rnd.randbytes(idl + aul + 9)
                plen = rnd.randrange(0, 161)
                nh = rnd.choice(known_next) if rnd.random() < 0.5 else rnd.randrange(256)
                first = 0x60000000 | rnd.getrandbits(28)
                src = rnd.randbytes(16)
                if kind == "link-local":
                    src = bytes.fromhex("fe80000000000000") + rnd.randbytes(8)
                ip6 = st.pack("!IHBB", first, plen, nh, rnd.randrange(256)) + src + rnd.randbytes(16)
                tail = rnd.randbytes(rnd.randrange(1, 13)) if kind == "trailer" else b""
                payload = head + ip6 + rnd.randbytes(plen) + tail
            kinds[kind] += 1
            if is_ipv6_in_udp(payload, len(payload)):
                ipv6_udp.append(i)
            udp = st.pack("!HHHH", ports[0], ports[1], 8 + len(payload), 0) + payload
            src4 = rnd.getrandbits(32) | 0x01000000
            ip = st.pack("!BBHHHBBHII", 0x45, 0, 20 + len(udp), i & 0xffff, 0, 64, 17, 0, src4,
                         rnd.getrandbits(32) | 0x01000000) + udp
            frame = eth + ip
            t = base * 1000000 + i * 10
            f.write(st.pack("<IIII", t // 1000000, t % 1000000, len(frame), len(frame)) + frame)
    return kinds, ipv6_udp


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", help="directory for NAME.pcap and NAME.truth.json (required but with --random-udp)")
    ap.add_argument("--corpus", help="also write each frame as one file here (libFuzzer seed corpus)")
    ap.add_argument("--flood", type=int, metavar="N",
                    help="write only flood.pcap: N frames from random sources, each a new flow")
    ap.add_argument("--random-udp", nargs=2, metavar=("N", "PATH"),
                    help="write only PATH: N random and adversarial UDP datagrams, none of them Teredo (for the "
                         "false-positive rate of Teredo detection by content), and PATH.truth.json: the indices of "
                         "those that are IPv6 in UDP (ipv6-udp)")
    args = ap.parse_args()
    if args.random_udp is not None:
        n = int(args.random_udp[0])
        if n < 1:
            ap.error("--random-udp: N must be at least 1")
        os.makedirs(os.path.dirname(os.path.abspath(args.random_udp[1])), exist_ok=True)
        kinds, ipv6_udp = write_random_udp(args.random_udp[1], n)
        # The datagrams that are IPv6 in UDP, for the check: PATH.truth.json.
        with open(args.random_udp[1] + ".truth.json", "w") as f:
            json.dump({"packets": n, "kinds": kinds, "ipv6UdpIndices": ipv6_udp}, f)
            f.write("\n")
        print(f"{args.random_udp[1]}: {n} udp datagrams, none teredo: "
              + ", ".join(f"{v} {k}" for k, v in kinds.items())
              + f"; {len(ipv6_udp)} of them ipv6 in udp (their indices in {args.random_udp[1]}.truth.json)",
              file=sys.stderr)
        return 0
    if args.out is None:
        ap.error("--out DIR is required")
    if args.flood is not None:
        if args.flood < 1:
            ap.error("--flood: N must be at least 1")
        os.makedirs(args.out, exist_ok=True)
        write_flood(os.path.join(args.out, "flood.pcap"), args.flood)
        print(f"flood.pcap: {args.flood} packets, {args.flood} flows", file=sys.stderr)
        return 0
    check_verdict_table()
    os.makedirs(args.out, exist_ok=True)
    if args.corpus:
        os.makedirs(args.corpus, exist_ok=True)
    for build in (build_mix, build_relay, build_sixrd, build_ports, lambda: build_snap(96), lambda: build_snap(50),
                  build_carriers, build_mirrors, build_raw, build_null, build_sll, build_tcpend, build_longrun,
                  build_clock0):
        built = build()
        for cap in built if isinstance(built, list) else [built]:
            cap.write(args.out, args.corpus)
            s = cap.summary(cap.flows())
            print(f"{cap.name}.pcap: {s['packets']} packets, {s['flows']} flows", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
