// IPv4, IPv6 and their extension headers, fragments, transport headers;
// lengths from the headers against the captured length.
#include <arpa/inet.h>

#include "probe/base/address_text.hpp"
#include "support.hpp"

using namespace tb;

namespace {

const uint32_t kA = v4("192.0.2.1");
const uint32_t kB = v4("198.51.100.2");
const A6 kS6 = v6("2a00:1450:4001:81b::200e");
const A6 kD6 = v6("2a02:26f0:fd:1:2:3:4:5");

PacketInfo parse4(uint8_t proto, const Bytes& l4, V4 o = {}) {
  return parse(eth(kEtherIpv4, ipv4(kA, kB, proto, l4, o)));
}
PacketInfo parse6(uint8_t next, const Bytes& l4, V6 o = {}) {
  return parse(eth(kEtherIpv6, ipv6(kS6, kD6, next, l4, o)));
}
PacketInfo parse6x(const std::vector<Ext>& exts, uint8_t last, const Bytes& l4) {
  return parse(eth(kEtherIpv6, ipv6x(kS6, kD6, exts, last, l4)));
}

}  // namespace

TEST_CASE("IPv4 header fields", "[ip]") {
  const PacketInfo p = parse4(kTcp, tcp(1234, 80, 0x02, filler(10)), V4{.tos = 0xb8, .ttl = 3, .df = true});
  CHECK(p.verdict == Verdict::ok);
  CHECK(p.ip_version == 4);
  CHECK(s4(tunprobe::ipv4_of(p.src)) == "192.0.2.1");
  CHECK(s4(tunprobe::ipv4_of(p.dst)) == "198.51.100.2");
  for (int i = 4; i < 16; ++i) {
    CHECK(p.src[i] == 0);
    CHECK(p.dst[i] == 0);
  }
  CHECK(p.tos == 0xb8);
  CHECK(p.ttl == 3);
  CHECK(p.protocol == kTcp);
  CHECK(p.ip_length == 50);
  CHECK(p.flow_label == 0);
  CHECK_FALSE(p.is_fragment);
  CHECK_FALSE(p.first_fragment);
  CHECK(p.has_ports);
  CHECK(p.sport == 1234);
  CHECK(p.dport == 80);
  CHECK(p.tcp_flags == 0x02);
  CHECK_FALSE(p.has_icmp);
  CHECK(p.tunnel == TunnelType::none);
  CHECK(p.src_class == AddrClass::none);  // classes are for IPv6
  CHECK(p.dst_class == AddrClass::none);
}

TEST_CASE("IPv4 options move the transport header", "[ip]") {
  const PacketInfo p =
      parse4(kUdp, udp(5000, 6000, filler(4)), V4{.options = {0x94, 0x04, 0x00, 0x00, 0x01, 0x01, 0x01, 0x00}});
  CHECK(p.verdict == Verdict::ok);
  CHECK(p.ip_length == 28 + 8 + 4);
  CHECK(p.sport == 5000);
  CHECK(p.dport == 6000);
  // IHL 15: 40 bytes of options.
  const PacketInfo q = parse4(kTcp, tcp(7, 8), V4{.options = Bytes(40, 0x01)});
  CHECK(q.verdict == Verdict::ok);
  CHECK(q.sport == 7);
}

TEST_CASE("IPv4 malformed headers", "[ip]") {
  for (int ihl = 0; ihl < 5; ++ihl) {
    INFO("IHL " << ihl);
    CHECK(parse4(kTcp, tcp(1, 2), V4{.ihl = ihl}).verdict == Verdict::ipv4_bad_header);
  }
  // IHL 6 but only 20 bytes of header captured before the end.
  CHECK(parse(eth(kEtherIpv4, ipv4(kA, kB, kNoNext, {}, V4{.ihl = 6}))).verdict == Verdict::ipv4_truncated);
  CHECK(parse4(kTcp, tcp(1, 2), V4{.total = 0}).verdict == Verdict::ipv4_bad_length);
  CHECK(parse4(kTcp, tcp(1, 2), V4{.total = 19}).verdict == Verdict::ipv4_bad_length);
  CHECK(parse4(kTcp, tcp(1, 2), V4{.options = Bytes(4, 1), .total = 23}).verdict == Verdict::ipv4_bad_length);
  // Total length 20: a header and nothing else, the TCP bytes are padding.
  CHECK(parse4(kTcp, tcp(1, 2), V4{.total = 20}).verdict == Verdict::l4_truncated);
  CHECK(parse4(kGre, filler(8), V4{.total = 20}).verdict == Verdict::gre_truncated);
  CHECK(parse4(103, filler(8), V4{.total = 20}).verdict == Verdict::ok);
}

TEST_CASE("IPv4 lengths come from the header; the capture only bounds reads", "[ip]") {
  SECTION("snaplen cut: total length says 1500, 60 bytes captured") {
    const Bytes full = eth(kEtherIpv4, ipv4(kA, kB, kTcp, tcp(1, 2, 0x10, filler(1460))));
    const PacketInfo p = parse(prefix(full, 60));
    CHECK(p.verdict == Verdict::ok);
    CHECK(p.ip_length == 1500);
    CHECK(p.sport == 1);
  }
  SECTION("total length shorter than the capture: the rest is padding") {
    // Total 30 leaves 10 bytes of TCP: cut by the header, not by the capture.
    CHECK(parse4(kTcp, tcp(1, 2), V4{.total = 30}).verdict == Verdict::l4_truncated);
    CHECK(parse4(kUdp, udp(1, 2), V4{.total = 28}).verdict == Verdict::ok);
  }
}

TEST_CASE("IPv4 fragments", "[ip]") {
  SECTION("first fragment carries the ports") {
    const PacketInfo p = parse4(kUdp, udp(53, 5353, filler(1472), 8 + 3000), V4{.id = 0xbeef, .mf = true});
    CHECK(p.verdict == Verdict::ok);
    CHECK(p.is_fragment);
    CHECK(p.first_fragment);
    CHECK(p.frag_id == 0xbeef);
    CHECK(p.frag_offset == 0);
    CHECK(p.has_ports);
    CHECK(p.sport == 53);
  }
  SECTION("later fragments carry no transport header") {
    // Bytes that would be a bad TCP header are not read as one.
    const PacketInfo p = parse4(kTcp, Bytes(8, 0x00), V4{.id = 0xbeef, .frag_offset = 1480});
    CHECK(p.verdict == Verdict::ok);
    CHECK(p.is_fragment);
    CHECK_FALSE(p.first_fragment);
    CHECK(p.frag_id == 0xbeef);
    CHECK(p.frag_offset == 1480);
    CHECK(p.protocol == kTcp);
    CHECK_FALSE(p.has_ports);
    const PacketInfo q = parse4(kUdp, {}, V4{.mf = true, .frag_offset = 65528});
    CHECK(q.verdict == Verdict::ok);
    CHECK(q.frag_offset == 65528);
  }
  SECTION("DF alone is not a fragment") {
    const PacketInfo p = parse4(kTcp, tcp(1, 2), V4{.df = true});
    CHECK_FALSE(p.is_fragment);
  }
}

TEST_CASE("transport headers", "[ip]") {
  SECTION("UDP") {
    const PacketInfo p = parse4(kUdp, udp(68, 67, filler(300)));
    CHECK(p.verdict == Verdict::ok);
    CHECK(p.sport == 68);
    CHECK(p.dport == 67);
    CHECK(p.tcp_flags == 0);
  }
  SECTION("SCTP") {
    const PacketInfo p = parse4(kSctp, sctp(2905, 2905, filler(16)));
    CHECK(p.verdict == Verdict::ok);
    CHECK(p.has_ports);
    CHECK(p.sport == 2905);
    CHECK(p.dport == 2905);
  }
  SECTION("ICMP") {
    const PacketInfo p = parse4(kIcmp, icmp(3, 4, filler(28)));
    CHECK(p.verdict == Verdict::ok);
    CHECK(p.has_icmp);
    CHECK(p.icmp_type == 3);
    CHECK(p.icmp_code == 4);
    CHECK_FALSE(p.has_ports);
  }
  SECTION("ICMPv6") {
    const PacketInfo p = parse6(kIcmpv6, icmp(135, 0, filler(16)));
    CHECK(p.verdict == Verdict::ok);
    CHECK(p.has_icmp);
    CHECK(p.icmp_type == 135);
  }
  SECTION("other protocols need no header") {
    const PacketInfo p = parse4(103, {});  // PIM
    CHECK(p.verdict == Verdict::ok);
    CHECK(p.protocol == 103);
    CHECK_FALSE(p.has_ports);
    CHECK_FALSE(p.has_icmp);
  }
  SECTION("IPv4 in IPv4 is not one of our tunnels") {
    const PacketInfo p = parse4(kIpip, ipv4(kB, kA, kTcp, tcp(1, 2)));
    CHECK(p.verdict == Verdict::ok);
    CHECK(p.tunnel == TunnelType::none);
    CHECK(p.protocol == kIpip);
  }
  SECTION("cut transport headers, each one byte short") {
    CHECK(parse4(kTcp, prefix(tcp(1, 2), 19)).verdict == Verdict::l4_truncated);
    CHECK(parse4(kUdp, prefix(udp(1, 2), 7)).verdict == Verdict::l4_truncated);
    CHECK(parse4(kSctp, prefix(sctp(1, 2), 11)).verdict == Verdict::l4_truncated);
    CHECK(parse4(kIcmp, prefix(icmp(8, 0), 3)).verdict == Verdict::l4_truncated);
    CHECK(parse6(kIcmpv6, prefix(icmp(128, 0), 3)).verdict == Verdict::l4_truncated);
    CHECK(parse4(kSctp, prefix(sctp(1, 2), 12)).verdict == Verdict::ok);
    CHECK(parse4(kIcmp, prefix(icmp(8, 0), 4)).verdict == Verdict::ok);
  }
  SECTION("TCP data offset") {
    for (uint8_t off = 0; off < 5; ++off) {
      INFO("offset " << int{off});
      CHECK(parse4(kTcp, tcp(1, 2, 0x02, {}, off)).verdict == Verdict::tcp_bad_offset);
    }
    // Offset 15 with its 40 bytes of options: only 20 bytes are needed.
    CHECK(parse4(kTcp, tcp(1, 2, 0x02, {}, 15)).verdict == Verdict::ok);
    CHECK(parse6(kTcp, tcp(1, 2, 0x02, {}, 3)).verdict == Verdict::tcp_bad_offset);
  }
  SECTION("UDP length") {
    for (int len = 0; len < 8; ++len) {
      INFO("length " << len);
      CHECK(parse4(kUdp, udp(1, 2, {}, len)).verdict == Verdict::udp_bad_length);
    }
    CHECK(parse4(kUdp, udp(1, 2, {}, 8)).verdict == Verdict::ok);
    CHECK(parse6(kUdp, udp(1, 2, {}, 7)).verdict == Verdict::udp_bad_length);
  }
}

TEST_CASE("IPv6 header fields", "[ip]") {
  const PacketInfo p = parse6(kTcp, tcp(443, 50000, 0x11, filler(5)), V6{.tclass = 0xa1, .flow = 0xabcde, .hlim = 255});
  CHECK(p.verdict == Verdict::ok);
  CHECK(p.ip_version == 6);
  CHECK(s6(p.src) == "2a00:1450:4001:81b::200e");
  CHECK(s6(p.dst) == "2a02:26f0:fd:1:2:3:4:5");
  CHECK(p.tos == 0xa1);
  CHECK(p.flow_label == 0xabcde);
  CHECK(p.ttl == 255);
  CHECK(p.ip_length == 40 + 25);
  CHECK(p.protocol == kTcp);
  CHECK(p.sport == 443);
  CHECK(p.dport == 50000);
  CHECK(p.tcp_flags == 0x11);
  CHECK(p.src_class == AddrClass::low);
  CHECK(p.dst_class == AddrClass::other);
  CHECK(p.tunnel == TunnelType::none);
}

TEST_CASE("IPv6 lengths come from the header; the capture only bounds reads", "[ip]") {
  // Payload length 4: the UDP header is cut by the header's word.
  CHECK(parse6(kUdp, udp(1, 2), V6{.plen = 4}).verdict == Verdict::l4_truncated);
  // Payload length 1240, 62 bytes captured: decodes.
  const Bytes full = eth(kEtherIpv6, ipv6(kS6, kD6, kUdp, udp(1, 2, filler(1232))));
  const PacketInfo p = parse(prefix(full, 62));
  CHECK(p.verdict == Verdict::ok);
  CHECK(p.ip_length == 1280);
  CHECK(p.dport == 2);
  // The largest payload length: 40 + 65535 does not wrap.
  const PacketInfo q = parse(eth(kEtherIpv6, ipv6(kS6, kD6, kUdp, udp(1, 2), V6{.plen = 65535})));
  CHECK(q.verdict == Verdict::ok);
  CHECK(q.ip_length == 65575);
}

TEST_CASE("IPv6 extension headers", "[ip]") {
  SECTION("hop-by-hop, routing, destination options, AH, then TCP") {
    const PacketInfo p = parse6x({{kHopByHop, 8}, {kRouting, 24}, {kDstOpts, 16}, {kAh, 24}}, kTcp, tcp(22, 60000));
    CHECK(p.verdict == Verdict::ok);
    CHECK(p.protocol == kTcp);
    CHECK(p.sport == 22);
    CHECK(p.dport == 60000);
    CHECK(p.ip_length == 40 + 8 + 24 + 16 + 24 + 20);
    CHECK_FALSE(p.is_fragment);
  }
  SECTION("AH length is in 4-byte units (RFC 4302), the others in 8-byte units") {
    // AH of 12 bytes: an 8-byte-unit reading would land in the wrong place.
    const PacketInfo p = parse6x({{kAh, 12}}, kUdp, udp(500, 4500));
    CHECK(p.verdict == Verdict::ok);
    CHECK(p.sport == 500);
    CHECK(p.dport == 4500);
  }
  SECTION("eight headers is the limit") {
    CHECK(parse6x(std::vector<Ext>(8, Ext{kDstOpts}), kUdp, udp(1, 2)).verdict == Verdict::ok);
    CHECK(parse6x(std::vector<Ext>(9, Ext{kDstOpts}), kUdp, udp(1, 2)).verdict == Verdict::ipv6_ext_too_many);
  }
  SECTION("ESP and no-next-header end the chain") {
    PacketInfo p = parse6x({{kHopByHop, 8}}, kEsp, filler(16));
    CHECK(p.verdict == Verdict::ok);
    CHECK(p.protocol == kEsp);
    CHECK_FALSE(p.has_ports);
    p = parse6(kNoNext, {});
    CHECK(p.verdict == Verdict::ok);
    CHECK(p.protocol == kNoNext);
  }
  SECTION("a header longer than the payload length says") {
    const Bytes pkt = ipv6x(kS6, kD6, {{kRouting, 24}}, kTcp, tcp(1, 2), V6{.plen = 16});
    CHECK(parse(eth(kEtherIpv6, pkt)).verdict == Verdict::ipv6_ext_truncated);
  }
  SECTION("IP directly in IPv6 is a tunnel (test_ip6tnl.cpp); UDP in IPv6 is not looked into") {
    PacketInfo p = parse6(kIpv6, ipv6(kD6, kS6, kNoNext, {}));
    CHECK(p.verdict == Verdict::ok);
    CHECK(p.tunnel == TunnelType::ipv6_in_ipv6);
    CHECK(p.protocol == kNoNext);
    p = parse6(kIpip, ipv4(kA, kB, kTcp, tcp(1, 2)));
    CHECK(p.verdict == Verdict::ok);
    CHECK(p.tunnel == TunnelType::ipv4_in_ipv6);
    p = parse6(kUdp, udp(3544, 3544, ipv6(v6("2001:0:4136:e378:8000:63bf:3fff:fdd2"), kD6, kNoNext, {})));
    CHECK(p.verdict == Verdict::ok);
    CHECK(p.tunnel == TunnelType::none);
    CHECK(p.sport == 3544);
  }
}

TEST_CASE("IPv6 fragments", "[ip]") {
  SECTION("first fragment: ports from the header after it") {
    const PacketInfo p =
        parse6x({{kHopByHop, 8}, {kFragment, 8, 0, true, 0xdeadbeef}}, kUdp, udp(4000, 5000, filler(100), 3000));
    CHECK(p.verdict == Verdict::ok);
    CHECK(p.is_fragment);
    CHECK(p.first_fragment);
    CHECK(p.frag_id == 0xdeadbeef);
    CHECK(p.frag_offset == 0);
    CHECK(p.protocol == kUdp);
    CHECK(p.sport == 4000);
    CHECK(p.dport == 5000);
  }
  SECTION("later fragment: the protocol is the fragment header's next header") {
    const PacketInfo p = parse6x({{kFragment, 8, 1448, false, 7}, {kDstOpts, 8}}, kTcp, Bytes(8, 0));
    CHECK(p.verdict == Verdict::ok);
    CHECK(p.is_fragment);
    CHECK_FALSE(p.first_fragment);
    CHECK(p.frag_id == 7);
    CHECK(p.frag_offset == 1448);
    CHECK(p.protocol == kDstOpts);
    CHECK_FALSE(p.has_ports);
  }
}

TEST_CASE("IPv6 with extension headers cut at every byte", "[ip][truncation]") {
  const Bytes f = eth(
      kEtherIpv6,
      ipv6x(kS6, kD6, {{kHopByHop, 8}, {kRouting, 24}, {kFragment, 8, 0, true, 0x01020304}, {kDstOpts, 16}, {kAh, 16}},
            kTcp, tcp(8080, 1025, 0x18, filler(12))));
  constexpr std::size_t kIp = 14, kExt = kIp + 40, kL4 = kExt + 8 + 24 + 8 + 16 + 16, kData = kL4 + 20;
  REQUIRE(f.size() == kData + 12);
  const auto header = [](const PacketInfo& p) {
    CHECK(p.ip_version == 6);
    CHECK(p.ip_length == 40 + 72 + 32);  // the header's payload length, not the cut
    CHECK(s6(p.src) == "2a00:1450:4001:81b::200e");
  };
  const auto fragment = [&](const PacketInfo& p) {
    header(p);
    CHECK(p.is_fragment);
    CHECK(p.first_fragment);
    CHECK(p.frag_id == 0x01020304);
  };
  check_every_cut(f, {
                         {kIp, Verdict::frame_truncated},
                         {kExt, Verdict::ipv6_truncated},
                         {kExt + 8 + 24, Verdict::ipv6_ext_truncated, header},  // hop-by-hop, routing
                         {kL4, Verdict::ipv6_ext_truncated},                    // fragment, dst opts, AH
                         {kData, Verdict::l4_truncated, fragment},
                         {f.size(), Verdict::ok,
                          [&](const PacketInfo& p) {
                            fragment(p);
                            CHECK(p.protocol == kTcp);
                            CHECK(p.sport == 8080);
                            CHECK(p.dport == 1025);
                            CHECK(p.tcp_flags == 0x18);
                          }},
                     });
}

TEST_CASE("IPv4 with options cut at every byte", "[ip][truncation]") {
  const Bytes f = eth(kEtherIpv4, ipv4(kA, kB, kSctp, sctp(36412, 36412, filler(8)), V4{.options = Bytes(8, 1)}));
  REQUIRE(f.size() == 14 + 28 + 12 + 8);
  check_every_cut(f, {
                         {14, Verdict::frame_truncated},
                         {14 + 28, Verdict::ipv4_truncated},  // fixed header and options alike
                         {14 + 28 + 12, Verdict::l4_truncated,
                          [](const PacketInfo& p) {
                            CHECK(p.ip_length == 48);
                            CHECK(p.protocol == kSctp);
                          }},
                         {f.size(), Verdict::ok, [](const PacketInfo& p) { CHECK(p.sport == 36412); }},
                     });
}

TEST_CASE("every IANA IPv6 extension header is walked (RFC 7045, RFC 8200 4, RFC 6564)", "[ip]") {
  constexpr uint8_t kMobility = 135, kHip = 139, kShim6 = 140;
  SECTION("Mobility (RFC 6275), HIP (RFC 7401), Shim6 (RFC 5533), 253 and 254 in front of a transport") {
    for (const uint8_t type : {kMobility, kHip, kShim6, uint8_t{253}, uint8_t{254}}) {
      INFO("extension header " << int{type});
      const PacketInfo p = parse6x({{type, 16}}, kTcp, tcp(50000, 443, 0x02));
      CHECK(p.verdict == Verdict::ok);
      CHECK(p.protocol == kTcp);  // not the extension header's number
      CHECK(p.has_ports);
      CHECK(p.sport == 50000);
      CHECK(p.dport == 443);
      CHECK(p.tcp_flags == 0x02);
      CHECK(p.ip_length == 40 + 16 + 20);
    }
    const PacketInfo q = parse6x({{kHopByHop, 8}, {kMobility, 24}, {kHip, 8}, {kShim6, 40}, {kDstOpts, 8}}, kUdp,
                                 udp(5353, 5353, filler(4)));
    CHECK(q.verdict == Verdict::ok);
    CHECK(q.protocol == kUdp);
    CHECK(q.dport == 5353);
    const PacketInfo r = parse6x({{kMobility, 8}}, kIcmpv6, icmp(128, 0));
    CHECK(r.protocol == kIcmpv6);
    CHECK(r.has_icmp);
    CHECK(r.icmp_type == 128);
  }
  SECTION("a Mobility header with no next header (RFC 6275: payload proto 59) ends at 59") {
    const PacketInfo p = parse6x({{kMobility, 8}}, kNoNext, {});
    CHECK(p.verdict == Verdict::ok);
    CHECK(p.protocol == kNoNext);
    CHECK_FALSE(p.has_ports);
  }
  SECTION("ESP ends the walk: what follows is encrypted") {
    const PacketInfo p = parse6x({{kMobility, 8}}, kEsp, filler(24));
    CHECK(p.verdict == Verdict::ok);
    CHECK(p.protocol == kEsp);
    CHECK_FALSE(p.has_ports);
  }
  SECTION("a cut new header: the flow's protocol is its type") {
    const Bytes full = eth(kEtherIpv6, ipv6x(kS6, kD6, {{kShim6, 24}}, kTcp, tcp(1, 2)));
    const PacketInfo p = parse(prefix(full, 14 + 40 + 20));
    CHECK(p.verdict == Verdict::ipv6_ext_truncated);
    CHECK(p.protocol == kShim6);
    CHECK(p.ip_length == 40 + 24 + 20);
    CHECK_FALSE(tunprobe::verdict_is_drop(p.verdict));
  }
  SECTION("the eight-header limit counts the new headers too") {
    std::vector<Ext> nine(9, Ext{kMobility});
    const PacketInfo p = parse6x(nine, kUdp, udp(1, 2));
    CHECK(p.verdict == Verdict::ipv6_ext_too_many);
    CHECK(p.protocol == kMobility);
    CHECK_FALSE(tunprobe::verdict_is_drop(p.verdict));
    nine.pop_back();
    CHECK(parse6x(nine, kUdp, udp(1, 2)).verdict == Verdict::ok);
  }
  SECTION("unassigned numbers are not extension headers") {
    for (const uint8_t n : {uint8_t{136}, uint8_t{141}, uint8_t{252}, uint8_t{255}}) {
      INFO("next header " << int{n});
      const PacketInfo p = parse6(n, filler(16));
      CHECK(p.verdict == Verdict::ok);
      CHECK(p.protocol == n);
    }
  }
}

TEST_CASE("atomic fragments (RFC 6946) are whole packets", "[ip]") {
  SECTION("offset 0 and M = 0: parsed into the transport header, not a fragment") {
    const PacketInfo p = parse6x({{kFragment, 8, 0, false, 0x5a5a5a5a}}, kTcp, tcp(40900, 443, 0x10));
    CHECK(p.verdict == Verdict::ok);
    CHECK_FALSE(p.is_fragment);
    CHECK_FALSE(p.first_fragment);
    CHECK(p.frag_id == 0);
    CHECK(p.protocol == kTcp);
    CHECK(p.sport == 40900);
    CHECK(p.dport == 443);
    CHECK(p.tcp_flags == 0x10);
  }
  SECTION("behind other headers, and inside a tunnel") {
    const PacketInfo p = parse6x({{kHopByHop, 8}, {kFragment, 8, 0, false, 9}, {kDstOpts, 8}}, kUdp, udp(7, 8));
    CHECK(p.verdict == Verdict::ok);
    CHECK_FALSE(p.is_fragment);
    CHECK(p.sport == 7);
    const Bytes inner = ipv6x(v6("2001:0:4136:e378:8000:63bf:3fff:fdd2"), kD6, {{kFragment, 8, 0, false, 3}},
                              kIcmpv6, icmp(129, 0));
    const PacketInfo t = parse(eth(kEtherIpv4, ipv4(kA, kB, kUdp, udp(40000, 3544, inner))));
    CHECK(t.verdict == Verdict::ok);
    CHECK(t.tunnel == TunnelType::teredo);
    CHECK_FALSE(t.is_fragment);
    CHECK(t.has_icmp);
    CHECK(t.icmp_type == 129);
  }
  SECTION("M = 1 or a non-zero offset is a fragment as before") {
    PacketInfo p = parse6x({{kFragment, 8, 0, true, 1}}, kTcp, tcp(1, 2));
    CHECK(p.is_fragment);
    CHECK(p.first_fragment);
    p = parse6x({{kFragment, 8, 8, false, 1}}, kTcp, filler(8));
    CHECK(p.is_fragment);
    CHECK_FALSE(p.first_fragment);
  }
}

TEST_CASE("a later fragment never carries ports or an ICMP type", "[ip]") {
  // Its bytes are the middle of a datagram; an ICMP later fragment whose
  // first fragment was never seen must not read as type 0 (echo reply).
  SECTION("IPv4 ICMP, bytes that would read as an echo request") {
    const PacketInfo p = parse4(kIcmp, icmp(8, 0, filler(16)), V4{.id = 7, .frag_offset = 1480});
    CHECK(p.verdict == Verdict::ok);
    CHECK(p.is_fragment);
    CHECK_FALSE(p.first_fragment);
    CHECK(p.protocol == kIcmp);
    CHECK_FALSE(p.has_icmp);
    CHECK(p.icmp_type == 0);
    CHECK(p.icmp_code == 0);
    CHECK_FALSE(p.has_ports);
  }
  SECTION("IPv6 ICMPv6 and UDP") {
    for (const uint8_t proto : {kIcmpv6, kUdp, kTcp}) {
      INFO("protocol " << int{proto});
      const PacketInfo p = parse6x({{kFragment, 8, 1448, false, 7}}, proto, icmp(128, 0, filler(24)));
      CHECK(p.is_fragment);
      CHECK_FALSE(p.first_fragment);
      CHECK(p.protocol == proto);
      CHECK_FALSE(p.has_icmp);
      CHECK_FALSE(p.has_ports);
      CHECK_FALSE(p.has_tcp_flags);
    }
  }
  SECTION("inside Teredo and 6in4") {
    const Bytes inner = ipv6x(v6("2001:0:4136:e378:8000:63bf:3fff:fdd2"), kD6, {{kFragment, 8, 1232, false, 3}},
                              kIcmpv6, icmp(128, 0, filler(16)));
    const PacketInfo t = parse(eth(kEtherIpv4, ipv4(kA, kB, kUdp, udp(40000, 3544, inner))));
    CHECK(t.tunnel == TunnelType::teredo);
    CHECK(t.is_fragment);
    CHECK_FALSE(t.has_icmp);
    CHECK_FALSE(t.has_ports);
    const PacketInfo s = parse(eth(kEtherIpv4, ipv4(kA, kB, kIpv6, ipv6x(kS6, kD6, {{kFragment, 8, 8, true, 4}},
                                                                        kIcmpv6, icmp(128, 0, filler(8))))));
    CHECK(s.tunnel == TunnelType::sixinfour);
    CHECK(s.is_fragment);
    CHECK_FALSE(s.has_icmp);
    // An outer IPv4 later fragment of a tunnel is plain IPv4, no ports.
    const PacketInfo o = parse4(kUdp, udp(40000, 3544, inner), V4{.frag_offset = 8});
    CHECK(o.tunnel == TunnelType::none);
    CHECK_FALSE(o.has_ports);
  }
}

TEST_CASE("a cut transport header keeps what was captured", "[ip][truncation]") {
  SECTION("TCP: ports at 4 bytes, flags at 14") {
    const Bytes full = tcp(50123, 443, 0x18, filler(100));
    for (std::size_t n = 0; n < 20; ++n) {
      INFO("TCP cut at " << n);
      const PacketInfo p = parse(prefix(eth(kEtherIpv4, ipv4(kA, kB, kTcp, full)), 14 + 20 + n));
      CHECK(p.verdict == Verdict::l4_truncated);
      CHECK_FALSE(tunprobe::verdict_is_drop(p.verdict));
      CHECK(p.protocol == kTcp);
      CHECK(p.ip_length == 20 + 120);  // from the header, not the capture
      CHECK(p.has_ports == (n >= 4));
      CHECK(p.sport == (n >= 4 ? 50123 : 0));
      CHECK(p.dport == (n >= 4 ? 443 : 0));
      CHECK(p.has_tcp_flags == (n >= 14));
      CHECK(p.tcp_flags == (n >= 14 ? 0x18 : 0));
    }
  }
  SECTION("IPv4 TCP at a 50-byte snaplen: ports and flags") {
    const Bytes f = eth(kEtherIpv4, ipv4(kA, kB, kTcp, tcp(50123, 443, 0x11, filler(1400))));
    const PacketInfo p = parse(prefix(f, 50));
    CHECK(p.verdict == Verdict::l4_truncated);
    CHECK(p.ip_length == 1440);
    CHECK(p.sport == 50123);
    CHECK(p.tcp_flags == 0x11);
  }
  SECTION("UDP and SCTP: ports at 4 bytes") {
    for (const uint8_t proto : {kUdp, kSctp}) {
      const Bytes l4 = proto == kUdp ? udp(5000, 6000, filler(20)) : sctp(5000, 6000, filler(20));
      for (std::size_t n : {0u, 3u, 4u, 7u, 11u}) {
        if (proto == kUdp && n >= 8) continue;
        INFO("protocol " << int{proto} << " cut at " << n);
        const PacketInfo p = parse(prefix(eth(kEtherIpv6, ipv6(kS6, kD6, proto, l4)), 14 + 40 + n));
        CHECK(p.verdict == Verdict::l4_truncated);
        CHECK(p.has_ports == (n >= 4));
        CHECK(p.dport == (n >= 4 ? 6000 : 0));
        CHECK(p.ip_length == 40 + l4.size());
      }
    }
  }
  SECTION("ICMP and ICMPv6: type and code at 2 bytes") {
    for (std::size_t n : {0u, 1u, 2u, 3u}) {
      INFO("cut at " << n);
      const PacketInfo p = parse(prefix(eth(kEtherIpv4, ipv4(kA, kB, kIcmp, icmp(3, 4, filler(28)))), 14 + 20 + n));
      CHECK(p.verdict == Verdict::l4_truncated);
      CHECK(p.has_icmp == (n >= 2));
      CHECK(p.icmp_type == (n >= 2 ? 3 : 0));
      CHECK(p.icmp_code == (n >= 2 ? 4 : 0));
      const PacketInfo q = parse(prefix(eth(kEtherIpv6, ipv6(kS6, kD6, kIcmpv6, icmp(135, 0))), 14 + 40 + n));
      CHECK(q.verdict == Verdict::l4_truncated);
      CHECK(q.has_icmp == (n >= 2));
      CHECK(q.icmp_type == (n >= 2 ? 135 : 0));
    }
  }
  SECTION("the IP length cuts too: padding after a short total length is no header") {
    const PacketInfo p = parse4(kTcp, tcp(1, 2, 0x02), V4{.total = 20 + 6});
    CHECK(p.verdict == Verdict::l4_truncated);
    CHECK(p.has_ports);
    CHECK_FALSE(p.has_tcp_flags);
    CHECK(p.ip_length == 26);
  }
  SECTION("a bad TCP offset and a bad UDP length keep their ports") {
    PacketInfo p = parse4(kTcp, tcp(80, 8080, 0x12, {}, 4));
    CHECK(p.verdict == Verdict::tcp_bad_offset);
    CHECK(p.has_ports);
    CHECK(p.sport == 80);
    CHECK(p.tcp_flags == 0x12);
    p = parse4(kUdp, udp(53, 5353, filler(4), 7));
    CHECK(p.verdict == Verdict::udp_bad_length);
    CHECK(p.has_ports);
    CHECK(p.dport == 5353);
    // No Teredo is looked for behind a bad UDP length.
    p = parse4(kUdp, udp(40000, 3544, ipv6(v6("2001:0:4136:e378:8000:63bf:3fff:fdd2"), kD6, kNoNext, {}), 4));
    CHECK(p.verdict == Verdict::udp_bad_length);
    CHECK(p.tunnel == TunnelType::none);
  }
}

TEST_CASE("address text is inet_ntop's, for every zero-run shape", "[ip]") {
  // Every address whose groups are 0 or one of a few values (3^8 shapes:
  // runs of zeros everywhere, IPv4-mapped and -compatible forms), and
  // random ones.
  const uint16_t values[] = {0, 1, 0xffff};
  uint8_t a[16];
  char want[INET6_ADDRSTRLEN];
  for (unsigned n = 0; n < 6561; ++n) {
    unsigned m = n;
    for (int g = 0; g < 8; ++g, m /= 3) {
      a[2 * g] = static_cast<uint8_t>(values[m % 3] >> 8);
      a[2 * g + 1] = static_cast<uint8_t>(values[m % 3]);
    }
    inet_ntop(AF_INET6, a, want, sizeof want);
    REQUIRE(tunprobe::ipv6_text(a) == want);
  }
  uint64_t x = 0x9e3779b97f4a7c15ull;
  for (unsigned n = 0; n < 20000; ++n) {
    for (int i = 0; i < 16; ++i) {
      x ^= x << 13, x ^= x >> 7, x ^= x << 17;
      a[i] = (x & 3) == 0 ? 0 : static_cast<uint8_t>(x >> 8);  // zero bytes often
    }
    inet_ntop(AF_INET6, a, want, sizeof want);
    REQUIRE(tunprobe::ipv6_text(a) == want);
    const uint32_t v4 = static_cast<uint32_t>(x >> 16);
    in_addr in{htonl(v4)};
    REQUIRE(tunprobe::ipv4_text(v4) == inet_ntoa(in));
  }
}
