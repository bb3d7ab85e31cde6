// 6to4 (RFC 3056, RFC 3068) over protocol 41: embedded addresses, relays,
// classes, lengths, fragments, nesting; a packet cut at every byte.
#include "plugins/sixtofour.hpp"
#include "support.hpp"

using namespace tb;

namespace {

const uint32_t kA = v4("192.0.2.1");          // 2002:c000:201::/48
const uint32_t kB = v4("198.51.100.2");       // 2002:c633:6402::/48
const uint32_t kAnycast = v4("192.88.99.1");  // RFC 3068 relay anycast
const uint32_t kUnicastRelay = v4("203.0.113.9");
const A6 kLinuxA = sixtofour_addr(kA, 0, 1);                   // 2002:c000:201::1
const A6 kWindowsB = sixtofour_addr(kB, 0, kB);                // 2002:c633:6402::c633:6402
const A6 kEui64A = sixtofour_addr(kA, 0, 0x021122fffe334455);  // 2002:c000:201::211:22ff:fe33:4455
const A6 kNative = v6("2a00:1450:4001:81b::200e");

Bytes p41(uint32_t src, uint32_t dst, const Bytes& inner, V4 o = {}) {
  return eth(kEtherIpv4, ipv4(src, dst, kIpv6, inner, o));
}

void check_outer(const PacketInfo& p, uint32_t src, uint32_t dst) {
  CHECK(p.tunnel == TunnelType::sixtofour);
  CHECK(p.outer_src4 == src);
  CHECK(p.outer_dst4 == dst);
  CHECK(p.outer_sport == 0);
  CHECK(p.outer_dport == 0);
  CHECK(p.ip_version == 6);
}

}  // namespace

TEST_CASE("6to4 address helpers", "[6to4]") {
  CHECK(s6(kLinuxA.data()) == "2002:c000:201::1");
  CHECK(s6(kWindowsB.data()) == "2002:c633:6402::c633:6402");
  CHECK(tunprobe::is_6to4_address(kLinuxA.data()));
  CHECK_FALSE(tunprobe::is_6to4_address(v6("2003::1").data()));
  CHECK_FALSE(tunprobe::is_6to4_address(v6("2001::1").data()));
  CHECK(tunprobe::sixtofour_embedded_ipv4(kWindowsB.data()) == kB);
  CHECK(tunprobe::sixtofour_embedded_ipv4(v6("2002:ffff:ffff::").data()) == 0xffffffffu);
}

TEST_CASE("6to4 host to 6to4 host", "[6to4]") {
  const Bytes inner = ipv6(kLinuxA, kWindowsB, kTcp, tcp(50000, 22, 0x02, filler(3)), V6{.hlim = 63});
  const PacketInfo p = parse(p41(kA, kB, inner, V4{.ttl = 250}));
  REQUIRE(p.verdict == Verdict::ok);
  check_outer(p, kA, kB);
  CHECK(p.outer_ttl == 250);
  CHECK(p.outer_length == 20 + 40 + 23);
  CHECK(p.embedded_src4 == kA);
  CHECK(p.embedded_dst4 == kB);
  CHECK(p.relay4 == 0);
  CHECK(s6(p.src) == "2002:c000:201::1");
  CHECK(s6(p.dst) == "2002:c633:6402::c633:6402");
  CHECK(p.ttl == 63);
  CHECK(p.ip_length == 63);
  CHECK(p.protocol == kTcp);
  CHECK(p.sport == 50000);
  CHECK(p.dport == 22);
  CHECK(p.tcp_flags == 0x02);
  CHECK(p.src_class == AddrClass::sixtofour_linux);
  CHECK(p.dst_class == AddrClass::sixtofour_windows);
  CHECK_FALSE(p.teredo.has_address);
}

TEST_CASE("6to4 through a relay router", "[6to4]") {
  SECTION("6to4 host to a native host via the anycast relay") {
    const PacketInfo p = parse(p41(kA, kAnycast, ipv6(kEui64A, kNative, kUdp, udp(5000, 53, filler(20)))));
    REQUIRE(p.verdict == Verdict::ok);
    check_outer(p, kA, kAnycast);
    CHECK(p.embedded_src4 == kA);
    CHECK(p.embedded_dst4 == 0);
    CHECK(s4(p.relay4) == "192.88.99.1");
    CHECK(p.src_class == AddrClass::sixtofour_eui64);
    CHECK(p.dst_class == AddrClass::low);
    CHECK(p.sport == 5000);
  }
  SECTION("native host to a 6to4 host via a unicast relay") {
    const A6 privacy = sixtofour_addr(kB, 7, 0x5c3a9f1e6b2d4870);
    const PacketInfo p = parse(p41(kUnicastRelay, kB, ipv6(kNative, privacy, kUdp, udp(53, 5000, filler(20)))));
    REQUIRE(p.verdict == Verdict::ok);
    check_outer(p, kUnicastRelay, kB);
    CHECK(p.embedded_src4 == 0);
    CHECK(p.embedded_dst4 == kB);
    CHECK(s4(p.relay4) == "203.0.113.9");
    CHECK(p.src_class == AddrClass::low);
    CHECK(p.dst_class == AddrClass::sixtofour_privacy);
  }
  SECTION("6to4 to 6to4 where the outer source is not the inner source's site") {
    const PacketInfo p = parse(p41(kUnicastRelay, kA, ipv6(kWindowsB, kLinuxA, kNoNext, {})));
    REQUIRE(p.verdict == Verdict::ok);
    CHECK(p.embedded_src4 == kB);
    CHECK(p.embedded_dst4 == kA);
    CHECK(p.relay4 == kUnicastRelay);
  }
  SECTION("both outer addresses unexplained: the source's is named") {
    const PacketInfo p = parse(p41(kUnicastRelay, kAnycast, ipv6(kWindowsB, kNative, kNoNext, {})));
    REQUIRE(p.verdict == Verdict::ok);
    CHECK(p.embedded_src4 == kB);
    CHECK(p.embedded_dst4 == 0);
    CHECK(p.relay4 == kUnicastRelay);
  }
  SECTION("6to4 to 6to4 where only the destination is unexplained") {
    const PacketInfo p = parse(p41(kA, kAnycast, ipv6(kLinuxA, kWindowsB, kNoNext, {})));
    REQUIRE(p.verdict == Verdict::ok);
    CHECK(p.relay4 == kAnycast);
  }
}

TEST_CASE("6to4 interface id classes", "[6to4]") {
  const auto cls = [](const A6& a) { return parse(p41(kA, kAnycast, ipv6(a, kNative, kNoNext, {}))).src_class; };
  CHECK(cls(v6("2002:c000:0201::c000:0201")) == AddrClass::sixtofour_windows);
  CHECK(cls(v6("2002:c000:201::1")) == AddrClass::sixtofour_linux);
  CHECK(cls(v6("2002:c000:201:1:211:22ff:fe33:4455")) == AddrClass::sixtofour_eui64);
  CHECK(cls(v6("2002:c000:201:1:5c3a:9f1e:6b2d:4870")) == AddrClass::sixtofour_privacy);
  CHECK(cls(v6("2002:c000:201:1:1:2:3:4")) == AddrClass::sixtofour_other);
  CHECK(cls(v6("2002:c000:201::2")) == AddrClass::sixtofour_other);
  const PacketInfo p = parse(p41(kA, kAnycast, ipv6(v6("2002:c000:201::c000:201"), kNative, kNoNext, {})));
  CHECK(p.tunnel == TunnelType::sixtofour);
}

TEST_CASE("protocol 41 lengths come from the headers", "[6to4]") {
  const Bytes inner = ipv6(kLinuxA, kWindowsB, kUdp, udp(1, 2, filler(1000)));
  SECTION("snaplen cut after the inner UDP header") {
    const PacketInfo p = parse(prefix(p41(kA, kB, inner), 14 + 20 + 48));
    CHECK(p.verdict == Verdict::ok);
    CHECK(p.tunnel == TunnelType::sixtofour);
    CHECK(p.outer_length == 20 + 1048);
    CHECK(p.ip_length == 1048);
    CHECK(p.sport == 1);
  }
  SECTION("IPv4 payload longer than the IPv6 packet: accepted") {
    const PacketInfo p = parse(p41(kA, kB, ipv6(kLinuxA, kWindowsB, kUdp, udp(1, 2)) + filler(6)));
    CHECK(p.verdict == Verdict::ok);
    CHECK(p.tunnel == TunnelType::sixtofour);
    CHECK(p.ip_length == 48);
  }
  SECTION("Ethernet padding after a bubble-sized packet") {
    Bytes f = p41(kA, kB, ipv6(kLinuxA, kWindowsB, kNoNext, {}));
    f.resize(f.size() + 6, 0);
    CHECK(parse(f).verdict == Verdict::ok);
  }
  SECTION("IPv6 payload length one more than the IPv4 payload") {
    const PacketInfo p = parse(p41(kA, kB, ipv6(kLinuxA, kWindowsB, kUdp, udp(1, 2), V6{.plen = 9})));
    CHECK(p.verdict == Verdict::proto41_length_mismatch);
    CHECK(p.tunnel == TunnelType::none);
    CHECK(p.ip_version == 4);
    CHECK(p.protocol == kIpv6);
    CHECK(p.src_class == AddrClass::none);
  }
  SECTION("the IPv4 payload is the total length minus the header with its options") {
    // 48 bytes of IPv4 payload after 8 bytes of options; the IPv6 header claims 16 of payload.
    const V4 opts{.options = Bytes(8, 0x01)};
    CHECK(parse(p41(kA, kB, ipv6(kLinuxA, kWindowsB, kUdp, udp(1, 2)), opts)).verdict == Verdict::ok);
    CHECK(parse(p41(kA, kB, ipv6(kLinuxA, kWindowsB, kUdp, udp(1, 2), V6{.plen = 16}), opts)).verdict ==
          Verdict::proto41_length_mismatch);
  }
}

TEST_CASE("protocol 41 fragments", "[6to4]") {
  SECTION("first fragment: the inner payload length may exceed the fragment") {
    const Bytes inner = ipv6(kLinuxA, kWindowsB, kUdp, udp(7, 8, filler(1400)));
    const PacketInfo p = parse(p41(kA, kB, prefix(inner, 96), V4{.id = 9, .mf = true}));
    CHECK(p.verdict == Verdict::ok);
    CHECK(p.tunnel == TunnelType::sixtofour);
    CHECK(p.is_fragment);
    CHECK(p.first_fragment);
    CHECK(p.frag_id == 9);
    CHECK(p.sport == 7);
    CHECK(p.embedded_src4 == kA);
  }
  SECTION("later fragment: no inner header to look at") {
    const PacketInfo p = parse(p41(kA, kB, filler(64), V4{.id = 9, .frag_offset = 96}));
    CHECK(p.verdict == Verdict::ok);
    CHECK(p.tunnel == TunnelType::none);
    CHECK(p.ip_version == 4);
    CHECK(p.protocol == kIpv6);
    CHECK(p.frag_offset == 96);
    CHECK(p.src_class == AddrClass::none);
  }
}

TEST_CASE("a tunnel inside 6to4 is counted as nested", "[6to4]") {
  PacketInfo p = parse(p41(kA, kB, ipv6(kLinuxA, kWindowsB, kIpip, ipv4(kA, kB, kTcp, tcp(1, 2)))));
  CHECK(p.verdict == Verdict::tunnel_nested);
  CHECK(p.tunnel == TunnelType::sixtofour);
  CHECK(p.embedded_src4 == kA);
  p = parse(p41(kA, kB, ipv6x(kLinuxA, kWindowsB, {{kDstOpts, 8}}, kIpv6, ipv6(kNative, kNative, kNoNext, {}))));
  CHECK(p.verdict == Verdict::tunnel_nested);
  CHECK(p.protocol == kIpv6);
}

TEST_CASE("6to4 packet cut at every byte", "[6to4][truncation]") {
  const Bytes f = p41(kA, kAnycast, ipv6(kLinuxA, kNative, kUdp, udp(41234, 53, filler(12))));
  constexpr std::size_t kIp = 14, kInner = kIp + 20, kL4 = kInner + 40, kData = kL4 + 8;
  REQUIRE(f.size() == kData + 12);
  const auto sixtofour = [](const PacketInfo& p) {
    check_outer(p, kA, kAnycast);
    CHECK(p.outer_length == 80);
    CHECK(p.ip_length == 60);
    CHECK(p.embedded_src4 == kA);
    CHECK(p.embedded_dst4 == 0);
    CHECK(p.relay4 == kAnycast);
    CHECK(p.src_class == AddrClass::sixtofour_linux);
    CHECK(p.dst_class == AddrClass::low);
  };
  check_every_cut(f, {
                         {kIp, Verdict::frame_truncated},
                         {kInner, Verdict::ipv4_truncated},
                         {kL4, Verdict::proto41_truncated,
                          [](const PacketInfo& p) {
                            CHECK_FALSE(tunprobe::verdict_is_drop(p.verdict));
                            CHECK(p.tunnel == TunnelType::none);
                            CHECK(p.ip_version == 4);
                            CHECK(p.protocol == kIpv6);
                            CHECK(p.ip_length == 80);
                            CHECK(p.src_class == AddrClass::none);
                          }},
                         {kL4 + 4, Verdict::l4_truncated,
                          [&](const PacketInfo& p) {
                            sixtofour(p);
                            CHECK_FALSE(p.has_ports);
                          }},
                         // A snaplen inside the UDP header: a 6to4 flow with its ports.
                         {kData, Verdict::l4_truncated,
                          [&](const PacketInfo& p) {
                            sixtofour(p);
                            CHECK(p.has_ports);
                            CHECK(p.sport == 41234);
                            CHECK(p.dport == 53);
                          }},
                         {f.size(), Verdict::ok,
                          [&](const PacketInfo& p) {
                            sixtofour(p);
                            CHECK(p.sport == 41234);
                            CHECK(p.dport == 53);
                          }},
                     });
}
