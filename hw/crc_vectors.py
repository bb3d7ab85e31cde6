#!/usr/bin/env python3
"""Test vectors for the CRC distributor (hw/crc_dispatch.hpp).

An independent model of the field vector and of CRC-32C, written from the
layout table in hw/crc_dispatch.hpp and not from the C++ code: each vector is
a hand-built Ethernet frame plus the flow fields it is meant to carry; this
script builds the 40-byte field vector from those fields, its CRC-32C and the
channels for 2, 4, 8 and 16 workers. The C++ test (tests/hw/test_crc.cpp)
parses each frame with tunprobe's parser and must arrive at the same vector,
CRC and channels.

  hw/crc_vectors.py > hw/crc_vectors.txt          regenerate
  hw/crc_vectors.py --check hw/crc_vectors.txt    fail when the file differs
  hw/crc_vectors.py --frames > hw/crc_frames.txt  the frames-only file (below)
  hw/crc_vectors.py --check-frames hw/crc_frames.txt

A few frames have a vector that depends on the decoder's rules, not only on
the layout: a transport header cut by the IP length drops the packet in one
version of the parser and keeps it as a flow in another. They go to
hw/crc_frames.txt, frames without vectors, in the same line format: the
RTL testbenches (hw/rtl/tb/) take their vectors from the C++ model of the
tree, like those of the generated captures.
"""

import argparse
import ipaddress
import struct
import sys

CHANNELS = (2, 4, 8, 16)

# ---------------------------------------------------------------- CRC-32C


def crc32c(data: bytes) -> int:
    """CRC-32C (iSCSI): reflected poly 0x82F63B78, init and xorout 0xFFFFFFFF."""
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


assert crc32c(b"123456789") == 0xE3069283

# ---------------------------------------------------------------- field vector


def addr_slot(addr: str) -> bytes:
    """16-byte address slot: IPv6 as is, IPv4 in bytes 0-3, zeros after."""
    a = ipaddress.ip_address(addr)
    return a.packed if a.version == 6 else a.packed + bytes(12)


def field_vector(version, a, b, proto) -> bytes:
    """version 4/6 (0: no IP header); a, b = (address, port); proto."""
    if version == 0:
        return bytes(40)
    ea = (addr_slot(a[0]), a[1])
    eb = (addr_slot(b[0]), b[1])
    lo, hi = sorted((ea, eb))
    return lo[0] + hi[0] + struct.pack("!HHBBH", lo[1], hi[1], proto, version, 0)


# ---------------------------------------------------------------- packets


def csum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def pseudo(src, dst, proto, length):
    s = ipaddress.ip_address(src).packed
    d = ipaddress.ip_address(dst).packed
    if len(s) == 4:
        return s + d + struct.pack("!BBH", 0, proto, length)
    return s + d + struct.pack("!IxxxB", length, proto)


def udp(src, dst, sport, dport, payload):
    hdr = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0)
    c = csum(pseudo(src, dst, 17, len(hdr) + len(payload)) + hdr + payload) or 0xFFFF
    return struct.pack("!HHHH", sport, dport, 8 + len(payload), c) + payload


def tcp(src, dst, sport, dport, flags, payload=b"", seq=1000, ack=0):
    def hdr(c):
        return struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 65535, c, 0)

    return hdr(csum(pseudo(src, dst, 6, 20 + len(payload)) + hdr(0) + payload)) + payload


def icmp4_echo(ident, seq, payload=b"tunprobe"):
    body = struct.pack("!BBHHH", 8, 0, 0, ident, seq) + payload
    return struct.pack("!BBHHH", 8, 0, csum(body), ident, seq) + payload


def icmp6_echo(src, dst, ident, seq, payload=b"tunprobe"):
    body = struct.pack("!BBHHH", 128, 0, 0, ident, seq) + payload
    c = csum(pseudo(src, dst, 58, len(body)) + body)
    return struct.pack("!BBHHH", 128, 0, c, ident, seq) + payload


def ipv4(src, dst, proto, payload, ident=0, frag=0, total=None):
    """frag: the 16-bit flags+offset field (0x2000 = MF, offset in 8-byte units)."""
    length = 20 + len(payload) if total is None else total

    def hdr(c):
        return struct.pack("!BBHHHBBH4s4s", 0x45, 0, length, ident, frag, 64, proto, c,
                           ipaddress.ip_address(src).packed, ipaddress.ip_address(dst).packed)

    return hdr(csum(hdr(0))) + payload


def ipv6(src, dst, nh, payload):
    return struct.pack("!IHBB16s16s", 6 << 28, len(payload), nh, 64,
                       ipaddress.ip_address(src).packed, ipaddress.ip_address(dst).packed) + payload


def ipv4_fragments(src, dst, proto, datagram, ident, first_len):
    """Two IPv4 fragments of `datagram`: first_len bytes (a multiple of 8), then the rest."""
    assert first_len % 8 == 0
    return (ipv4(src, dst, proto, datagram[:first_len], ident, 0x2000),
            ipv4(src, dst, proto, datagram[first_len:], ident, first_len // 8))


def ipv6_fragments(src, dst, nh, datagram, ident, first_len):
    assert first_len % 8 == 0
    f1 = struct.pack("!BxHI", nh, 0x0001, ident) + datagram[:first_len]
    f2 = struct.pack("!BxHI", nh, first_len, ident) + datagram[first_len:]
    return ipv6(src, dst, 44, f1), ipv6(src, dst, 44, f2)


def ether(payload, ethertype, vlan=None):
    mac = bytes.fromhex("020000000002") + bytes.fromhex("020000000001")
    if vlan is not None:
        return mac + struct.pack("!HHH", 0x8100, vlan, ethertype) + payload
    return mac + struct.pack("!H", ethertype) + payload


def teredo_address(server, flags, port, client):
    s = ipaddress.ip_address(server).packed
    c = bytes(x ^ 0xFF for x in ipaddress.ip_address(client).packed)
    return str(ipaddress.ip_address(bytes.fromhex("20010000") + s + struct.pack("!HH", flags, port ^ 0xFFFF) + c))


# ---------------------------------------------------------------- the vectors

V = []  # (name, description, frame, version, endpoint a, endpoint b, protocol)


FRAMES = []  # (name, description, frame): vectors by the decoder's rules


def frame_only(name, desc, frame):
    FRAMES.append((name, desc, frame))


def vec(name, desc, frame, version, a=None, b=None, proto=0):
    V.append((name, desc, frame, version, a, b, proto))


C4, S4 = "192.0.2.10", "198.51.100.20"
vec("native_tcp4_fwd", "IPv4 TCP SYN 192.0.2.10:51000 -> 198.51.100.20:443",
    ether(ipv4(C4, S4, 6, tcp(C4, S4, 51000, 443, 0x02)), 0x0800), 4, (C4, 51000), (S4, 443), 6)
vec("native_tcp4_rev", "IPv4 TCP SYN-ACK 198.51.100.20:443 -> 192.0.2.10:51000 (reverse of native_tcp4_fwd)",
    ether(ipv4(S4, C4, 6, tcp(S4, C4, 443, 51000, 0x12)), 0x0800), 4, (S4, 443), (C4, 51000), 6)
vec("vlan_tcp4", "native_tcp4_fwd inside an 802.1Q tag, VLAN 100 (VLAN is not in the vector)",
    ether(ipv4(C4, S4, 6, tcp(C4, S4, 51000, 443, 0x02)), 0x0800, vlan=100), 4, (C4, 51000), (S4, 443), 6)

C6, S6 = "2001:db8:1::10", "2001:db8:2::53"
vec("native_udp6", "IPv6 UDP DNS query 2001:db8:1::10:5353 -> 2001:db8:2::53:53",
    ether(ipv6(C6, S6, 17, udp(C6, S6, 5353, 53, b"\x12\x34" + bytes(10))), 0x86DD), 6, (C6, 5353), (S6, 53), 17)
vec("native_icmp4", "IPv4 ICMP echo request 192.0.2.10 -> 198.51.100.20 (no ports)",
    ether(ipv4(C4, S4, 1, icmp4_echo(7, 1)), 0x0800), 4, (C4, 0), (S4, 0), 1)

# Teredo: client behind a NAT (public 203.0.113.45:40000, server 198.51.100.1)
# talks through the relay 192.0.2.200:3544 to a native host.
NAT, RELAY = "203.0.113.45", "192.0.2.200"
TC = teredo_address("198.51.100.1", 0x8000, 40000, NAT)
H6 = "2001:db8::80"


def teredo_frame(inner, to_relay=True):
    if to_relay:
        return ether(ipv4(NAT, RELAY, 17, udp(NAT, RELAY, 40000, 3544, inner)), 0x0800)
    return ether(ipv4(RELAY, NAT, 17, udp(RELAY, NAT, 3544, 40000, inner)), 0x0800)


vec("teredo_tcp_fwd", f"Teredo: outer UDP {NAT}:40000 -> {RELAY}:3544, inner TCP SYN [{TC}]:50000 -> [{H6}]:80",
    teredo_frame(ipv6(TC, H6, 6, tcp(TC, H6, 50000, 80, 0x02))), 6, (TC, 50000), (H6, 80), 6)
vec("teredo_tcp_rev", f"reverse of teredo_tcp_fwd: outer {RELAY}:3544 -> {NAT}:40000, inner [{H6}]:80 -> [{TC}]:50000",
    teredo_frame(ipv6(H6, TC, 6, tcp(H6, TC, 80, 50000, 0x12)), to_relay=False), 6, (H6, 80), (TC, 50000), 6)
H6B = "2001:db8::443"
vec("teredo_tcp_other", f"same Teredo client and relay (same outer tuple), another inner flow [{TC}]:50001 -> [{H6B}]:443",
    teredo_frame(ipv6(TC, H6B, 6, tcp(TC, H6B, 50001, 443, 0x02))), 6, (TC, 50001), (H6B, 443), 6)

# 6to4 (protocol 41): host 192.0.2.33 (2002:c000:221::1) to a native host via
# the anycast relay 192.88.99.1.
S2, N6 = "2002:c000:221::1", "2001:db8::53"
vec("sixtofour_udp", f"6to4: outer IPv4 192.0.2.33 -> 192.88.99.1 proto 41, inner UDP [{S2}]:33000 -> [{N6}]:53",
    ether(ipv4("192.0.2.33", "192.88.99.1", 41, ipv6(S2, N6, 17, udp(S2, N6, 33000, 53, bytes(12)))), 0x0800),
    6, (S2, 33000), (N6, 53), 17)

# ISATAP: link-local ISATAP addresses of 10.1.2.3 and its router 10.1.2.1.
I1, I2 = "fe80::5efe:a01:203", "fe80::5efe:a01:201"
vec("isatap_icmp6", f"ISATAP: outer IPv4 10.1.2.3 -> 10.1.2.1 proto 41, inner ICMPv6 echo [{I1}] -> [{I2}]",
    ether(ipv4("10.1.2.3", "10.1.2.1", 41, ipv6(I1, I2, 58, icmp6_echo(I1, I2, 9, 1))), 0x0800),
    6, (I1, 0), (I2, 0), 58)

# Fragments: ports and protocol are 0 in every fragment's vector.
dg4 = udp(C4, S4, 5000, 6000, bytes(range(100)))
f1, f2 = ipv4_fragments(C4, S4, 17, dg4, 0x1234, 64)
vec("frag4_first", "IPv4 UDP 192.0.2.10:5000 -> 198.51.100.20:6000, id 0x1234, first fragment (MF, offset 0): ports 0",
    ether(f1, 0x0800), 4, (C4, 0), (S4, 0), 0)
vec("frag4_later", "second fragment of frag4_first (offset 64, no UDP header)", ether(f2, 0x0800), 4, (C4, 0), (S4, 0), 0)

F6S, F6D = "2001:db8:1::10", "2001:db8:2::20"
dg6 = udp(F6S, F6D, 5000, 6000, bytes(range(100)))
f1, f2 = ipv6_fragments(F6S, F6D, 17, dg6, 0xDEADBEEF, 64)
vec("frag6_first", "IPv6 UDP [2001:db8:1::10]:5000 -> [2001:db8:2::20]:6000, Fragment header id 0xdeadbeef, first fragment",
    ether(f1, 0x86DD), 6, (F6S, 0), (F6D, 0), 0)
vec("frag6_later", "second fragment of frag6_first (offset 64)", ether(f2, 0x86DD), 6, (F6S, 0), (F6D, 0), 0)

# A Teredo datagram whose OUTER IPv4 header is fragmented: the first fragment
# still shows the inner header, the second does not; both take the outer pair.
inner = ipv6(TC, H6, 6, tcp(TC, H6, 50000, 80, 0x18, bytes(40)))
f1, f2 = ipv4_fragments(NAT, RELAY, 17, udp(NAT, RELAY, 40000, 3544, inner), 0x4321, 80)
vec("teredo_outer_frag_first", f"teredo_tcp_fwd's flow in an outer IPv4 first fragment (id 0x4321): outer pair {NAT} / {RELAY}",
    ether(f1, 0x0800), 4, (NAT, 0), (RELAY, 0), 0)
vec("teredo_outer_frag_later", "second outer fragment of teredo_outer_frag_first (no UDP, no inner header)",
    ether(f2, 0x0800), 4, (NAT, 0), (RELAY, 0), 0)

# An IPv6 Fragment header INSIDE whole Teredo datagrams: every fragment is
# decoded as Teredo and keeps the inner pair (ports and protocol 0).
dg = udp(TC, H6, 50002, 5000, bytes(range(100)))
i1, i2 = ipv6_fragments(TC, H6, 17, dg, 0x0BADCAFE, 64)
vec("teredo_inner_frag_first", f"Teredo {NAT}:40000 -> {RELAY}:3544 carrying the first inner IPv6 fragment (id 0x0badcafe) "
    f"of UDP [{TC}]:50002 -> [{H6}]:5000: inner pair, ports 0", teredo_frame(i1), 6, (TC, 0), (H6, 0), 0)
vec("teredo_inner_frag_later", "the second inner fragment of teredo_inner_frag_first, in its own whole Teredo datagram",
    teredo_frame(i2), 6, (TC, 0), (H6, 0), 0)

arp = struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 1, bytes.fromhex("020000000001"),
                  ipaddress.ip_address(C4).packed, bytes(6), ipaddress.ip_address(S4).packed)
vec("non_ip_arp", "ARP request (not IP; the parser drops it): all-zero vector, channel 0",
    ether(arp, 0x0806), 0)

# One host talking to itself (both ends 192.0.2.10): equal addresses, so
# the ports alone order the endpoints (443 before 51000) in both directions.
vec("same_host_tcp4_fwd", "IPv4 TCP SYN 192.0.2.10:51000 -> 192.0.2.10:443 (equal addresses: the ports order the ends)",
    ether(ipv4(C4, C4, 6, tcp(C4, C4, 51000, 443, 0x02)), 0x0800), 4, (C4, 51000), (C4, 443), 6)
vec("same_host_tcp4_rev", "IPv4 TCP SYN-ACK 192.0.2.10:443 -> 192.0.2.10:51000 (reverse of same_host_tcp4_fwd)",
    ether(ipv4(C4, C4, 6, tcp(C4, C4, 443, 51000, 0x12)), 0x0800), 4, (C4, 443), (C4, 51000), 6)

# Malformed and boundary frames: what the parser does with lengths that do
# not add up (probe/decode/parse_impl.hpp, each step's verdict), so that a hardware
# parser meets every fallback. A dropped packet has the all-zero vector; a
# tunnel whose inner header fails validation stays the outer IPv4 flow.


def ipv4_hdr(src, dst, proto, payload, ihl=5, total=None, options=b""):
    """An IPv4 header with a chosen IHL (32-bit words) and total length."""
    length = 4 * ihl + len(payload) if total is None else total

    def hdr(c):
        return struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, length, 0, 0, 64, proto, c,
                           ipaddress.ip_address(src).packed, ipaddress.ip_address(dst).packed) + options

    return hdr(csum(hdr(0))) + payload


def pad60(frame):
    """Ethernet padding up to the 60-byte minimum (without FCS)."""
    return frame + bytes(max(0, 60 - len(frame)))


seg = tcp(C4, S4, 51000, 443, 0x02)
# IHL 4 (the header is still the usual 20 bytes, total length 16 + 12): a
# parser that took a 16-byte header would read the destination address as
# the start of an ICMP message, find its 4 bytes, and keep the packet.
echo = icmp4_echo(7, 1)
vec("bad_ipv4_ihl4", "IPv4 ICMP whose IHL is 4 words (16 bytes, below the minimum of 5; ipv4_bad_header): dropped",
    ether(ipv4_hdr(C4, S4, 1, echo, ihl=4), 0x0800), 0)
vec("bad_ipv4_total_below_ihl", "IPv4 with 4 bytes of options (IHL 6) but total length 22 (< 24; ipv4_bad_length): dropped",
    ether(ipv4_hdr(C4, S4, 6, seg, ihl=6, total=22, options=b"\x01\x01\x01\x00"), 0x0800), 0)
frame_only("ipv4_total_cuts_tcp", "IPv4 TCP whose total length (32) ends 12 bytes into the TCP header; the rest "
           "of the header is in the frame as Ethernet padding, which is not the packet's",
           pad60(ether(ipv4_hdr(C4, S4, 6, seg, total=32), 0x0800)))
vec("ipv4_options_tcp", "native_tcp4_fwd with 4 bytes of IPv4 options (IHL 6, NOP NOP NOP EOL)",
    ether(ipv4_hdr(C4, S4, 6, seg, ihl=6, options=b"\x01\x01\x01\x00"), 0x0800), 4, (C4, 51000), (S4, 443), 6)

dg = udp(C6, S6, 5353, 53, bytes(4))
frame_only("ipv6_plen_cuts_udp", "IPv6 UDP whose payload length (4) ends inside the UDP header; the header's "
           "other 4 bytes are in the frame",
           pad60(ether(struct.pack("!IHBB16s16s", 6 << 28, 4, 17, 64, ipaddress.ip_address(C6).packed,
                                   ipaddress.ip_address(S6).packed) + dg, 0x86DD)))
frame_only("ipv6_plen_cuts_tcp_ports", "IPv6 TCP whose payload length (2) ends inside the source port; the rest "
           "of the TCP header follows in the frame, which is not the packet's",
           ether(struct.pack("!IHBB16s16s", 6 << 28, 2, 6, 64, ipaddress.ip_address(C6).packed,
                             ipaddress.ip_address(S6).packed) + tcp(C6, S6, 51000, 443, 0x02), 0x86DD))
# Teredo by content off the Teredo ports (the client's NAT mapping to a
# peer's), the IPv6 packet followed by an RFC 6081 random port trailer
# (type 5, 2 bytes), and by one of the wrong length (5, 4 bytes).
PEER = "198.51.100.77"
for name, trailer, what in (("teredo_content_random_port", b"\x05\x02\xef\x32", "a random port trailer"),
                            ("teredo_content_random_port_len4", b"\x05\x04\xef\x32\x00\x00",
                             "a random port trailer of length 4 (RFC 6081 4.5 says 2)")):
    frame_only(name, f"Teredo by content, UDP {NAT}:40000 -> {PEER}:40001, inner TCP SYN [{TC}]:50000 -> [{H6}]:80, "
               f"then {what}",
               ether(ipv4(NAT, PEER, 17, udp(NAT, PEER, 40000, 40001, ipv6(TC, H6, 6, tcp(TC, H6, 50000, 80, 0x02))
                                             + trailer)), 0x0800))
frame_only("teredo_content_link_local", f"Teredo by content, UDP {NAT}:40000 -> {PEER}:40001, inner ICMPv6 router "
           "solicitation from the qualification address fe80::8000:ffff:ffff:fffd to ff02::2 (one end link-local, "
           "neither in 2001:0::/32)",
           ether(ipv4(NAT, PEER, 17, udp(NAT, PEER, 40000, 40001, ipv6(
               "fe80::8000:ffff:ffff:fffd", "ff02::2", 58, struct.pack("!BBHI", 133, 0, 0, 0)))), 0x0800))
frame_only("ipv4_total_cuts_teredo", "Teredo on UDP 3544 whose IPv4 total length (20 + 8 + 30) ends 30 bytes into "
           "the inner IPv6 header; the rest of the datagram follows as padding",
           ether(ipv4_hdr(NAT, RELAY, 17, udp(NAT, RELAY, 40000, 3544, ipv6(TC, H6, 6, tcp(TC, H6, 50000, 80, 0x02))),
                          total=20 + 8 + 30), 0x0800))


def mpls(labels, payload):
    """An MPLS stack of `labels` entries (label 16 + n, TTL 64), S bit on the last."""
    out = b""
    for i in range(labels):
        out += struct.pack("!I", ((16 + i) << 12) | ((1 if i == labels - 1 else 0) << 8) | 64)
    return out + payload


pkt4 = ipv4(C4, S4, 6, seg)
vec("mpls_eight_labels", "native_tcp4_fwd under 8 MPLS labels (the deepest stack the parser takes)",
    ether(mpls(8, pkt4), 0x8847), 4, (C4, 51000), (S4, 443), 6)
vec("mpls_nine_labels", "the same packet under 9 MPLS labels (mpls_too_deep): dropped", ether(mpls(9, pkt4), 0x8847), 0)
mac = bytes.fromhex("020000000002") + bytes.fromhex("020000000001")
vec("qinq_tcp4", "native_tcp4_fwd under an 802.1ad tag (0x88a8, VLAN 10) and an 802.1Q tag (VLAN 20)",
    mac + struct.pack("!HHHH", 0x88A8, 10, 0x8100, 20) + struct.pack("!H", 0x0800) + pkt4, 4, (C4, 51000), (S4, 443), 6)
vec("vlan_three_tags", "the same packet under three tags (vlan_too_deep): dropped",
    mac + struct.pack("!HHHHHH", 0x88A8, 10, 0x8100, 20, 0x8100, 30) + struct.pack("!H", 0x0800) + pkt4, 0)

# Teredo whose UDP length is shorter than the authentication header (or the
# origin indication) although the bytes are captured: not Teredo
# (teredo_auth_truncated / teredo_origin_truncated), the IPv4 UDP flow stays.
inner = ipv6(TC, H6, 6, tcp(TC, H6, 50000, 80, 0x02))
auth = struct.pack("!HBB", 0x0001, 4, 0) + b"cid1" + bytes(8) + b"\x00"  # 13 + id 4 = 17 bytes


def udp_len(src, dst, sport, dport, payload, length):
    """A UDP header that declares `length` whatever the payload is."""
    return struct.pack("!HHHH", sport, dport, length, 0) + payload


vec("teredo_auth_tcp", f"teredo_tcp_fwd with an authentication header (client id of 4 bytes) before the IPv6 packet",
    ether(ipv4(NAT, RELAY, 17, udp(NAT, RELAY, 40000, 3544, auth + inner)), 0x0800), 6, (TC, 50000), (H6, 80), 6)
vec("teredo_auth_beyond_udp", "the same datagram with a UDP length of 8 + 16, one byte short of the authentication "
    "header (teredo_auth_truncated): the outer IPv4 UDP flow",
    ether(ipv4(NAT, RELAY, 17, udp_len(NAT, RELAY, 40000, 3544, auth + inner, 8 + 16)), 0x0800),
    4, (NAT, 40000), (RELAY, 3544), 17)
origin = struct.pack("!HH4s", 0x0000, 40000 ^ 0xFFFF, bytes(b ^ 0xFF for b in ipaddress.ip_address(NAT).packed))
vec("teredo_origin_beyond_udp", "Teredo with an origin indication and a UDP length of 8 + 6, two bytes short of it "
    "(teredo_origin_truncated): the outer IPv4 UDP flow",
    ether(ipv4(RELAY, NAT, 17, udp_len(RELAY, NAT, 3544, 40000, origin + inner, 8 + 6)), 0x0800),
    4, (RELAY, 3544), (NAT, 40000), 17)
vec("teredo_native_ends", f"Teredo on UDP 3544 between two native hosts, [{H6B}]:50002 -> [{H6}]:80, neither "
    "in 2001:0::/32 nor link-local: on a Teredo port the port alone says Teredo",
    teredo_frame(ipv6(H6B, H6, 6, tcp(H6B, H6, 50002, 80, 0x02))), 6, (H6B, 50002), (H6, 80), 6)
seg6 = tcp(TC, H6, 50000, 80, 0x02)
vec("teredo_plen_beyond_udp", "teredo_tcp_fwd with an IPv6 payload length 8 bytes longer than the UDP payload "
    "holds: the outer IPv4 UDP flow",
    teredo_frame(struct.pack("!IHBB16s16s", 6 << 28, len(seg6) + 8, 6, 64, ipaddress.ip_address(TC).packed,
                             ipaddress.ip_address(H6).packed) + seg6), 4, (NAT, 40000), (RELAY, 3544), 17)

# ---------------------------------------------------------------- output

HEADER = """\
# tunprobe CRC distributor test vectors. Layout and CRC: hw/crc_dispatch.hpp.
# Generated by hw/crc_vectors.py (an independent model); do not edit by hand.
#
# One vector per line, 8 fields separated by one space:
#   name frame field_vector crc32c ch2 ch4 ch8 ch16
# frame         the whole Ethernet frame (pcap DLT_EN10MB, no FCS), hex
# field_vector  the 40-byte field vector, byte 0 first, hex (80 digits)
# crc32c        CRC-32C (iSCSI: reflected 0x82F63B78, init and xorout
#               0xFFFFFFFF) of the field vector, 8 hex digits
# chN           channel for N workers: crc32c & (N-1); 0 when the vector's
#               ip_version byte (byte 37) is 0 (no IP header)
# Vectors named *_rev and *_later must have the vector of their *_fwd and
# *_first partner (symmetry, fragments).
"""


def render() -> str:
    out = [HEADER]
    for name, desc, frame, version, a, b, proto in V:
        fv = field_vector(version, a, b, proto)
        crc = crc32c(fv)
        chans = [(crc & (n - 1)) if version else 0 for n in CHANNELS]
        out.append(f"#\n# {name}: {desc}\n")
        out.append(" ".join([name, frame.hex(), fv.hex(), f"{crc:08x}"] + [str(c) for c in chans]) + "\n")
    return "".join(out)


FRAMES_HEADER = """\
# tunprobe frames for the RTL testbenches whose field vector depends on the
# decoder's rules (hw/crc_vectors.py; do not edit by hand). One frame per
# line: name frame (the whole Ethernet frame, hex). Their vectors come from
# the C++ model of the tree (hw/rtl/tb/golden.cpp).
"""


def render_frames() -> str:
    out = [FRAMES_HEADER]
    for name, desc, frame in FRAMES:
        out.append(f"#\n# {name}: {desc}\n{name} {frame.hex()}\n")
    return "".join(out)


def check(path, text, what, regen) -> bool:
    with open(path) as f:
        if f.read() != text:
            print(f"{path} differs from what hw/crc_vectors.py generates; regenerate: {regen}", file=sys.stderr)
            return False
    print(f"{path}: {what}, up to date")
    return True


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", metavar="FILE", help="compare the vectors with FILE instead of printing")
    ap.add_argument("--frames", action="store_true", help="print the frames-only file")
    ap.add_argument("--check-frames", metavar="FILE", help="compare the frames-only file with FILE")
    args = ap.parse_args()
    if args.check or args.check_frames:
        ok = True
        if args.check:
            ok = check(args.check, render(), f"{len(V)} vectors", f"hw/crc_vectors.py > {args.check}") and ok
        if args.check_frames:
            ok = check(args.check_frames, render_frames(), f"{len(FRAMES)} frames",
                       f"hw/crc_vectors.py --frames > {args.check_frames}") and ok
        return 0 if ok else 1
    sys.stdout.write(render_frames() if args.frames else render())
    return 0


if __name__ == "__main__":
    sys.exit(main())
