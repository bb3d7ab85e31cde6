// ISATAP (RFC 5214) over protocol 41: interface ids, embedded addresses,
// the ISATAP router as relay, precedence over 6to4; a packet cut at every
// byte.
#include "plugins/isatap.hpp"
#include "support.hpp"

using namespace tb;

namespace {

constexpr uint64_t kPrefix = 0x2a010e3500010002;  // 2a01:e35:1:2::/64
const uint32_t kHost = v4("192.168.1.2");
const uint32_t kHost2 = v4("192.168.1.3");
const uint32_t kRouter = v4("192.168.1.254");
const A6 kIsatap = isatap_addr(kPrefix, kHost);  // 2a01:e35:1:2::5efe:c0a8:102
const A6 kIsatap2 = isatap_addr(kPrefix, kHost2);
const A6 kNative = v6("2a00:1450:4001:81b::200e");

Bytes p41(uint32_t src, uint32_t dst, const Bytes& inner) { return eth(kEtherIpv4, ipv4(src, dst, kIpv6, inner)); }

}  // namespace

TEST_CASE("ISATAP interface ids", "[isatap]") {
  CHECK(s6(kIsatap.data()) == "2a01:e35:1:2:0:5efe:c0a8:102");
  CHECK(tunprobe::is_isatap_iid(kIsatap.data()));
  CHECK(tunprobe::isatap_embedded_ipv4(kIsatap.data()) == kHost);
  // The universal/local and group bits may vary (RFC 5214 6.1).
  for (const char* a : {"2a01:e35:1:2:0:5efe:c0a8:102", "2a01:e35:1:2:100:5efe:c0a8:102",
                        "2a01:e35:1:2:200:5efe:c633:6402", "2a01:e35:1:2:300:5efe:c633:6402", "fe80::5efe:a00:1"}) {
    INFO(a);
    CHECK(tunprobe::is_isatap_iid(v6(a).data()));
  }
  for (const char* a : {"2a01:e35:1:2:400:5efe:c0a8:102", "2a01:e35:1:2:0:5eff:c0a8:102",
                        "2a01:e35:1:2:1:5efe:c0a8:102", "2a01:e35:1:2::c0a8:102", "2a01:e35:1:2:0:fe5e:c0a8:102"}) {
    INFO(a);
    CHECK_FALSE(tunprobe::is_isatap_iid(v6(a).data()));
  }
}

TEST_CASE("ISATAP host to host on the same site", "[isatap]") {
  const PacketInfo p = parse(p41(kHost, kHost2, ipv6(kIsatap, kIsatap2, kTcp, tcp(445, 50001, 0x10, filler(7)))));
  REQUIRE(p.verdict == Verdict::ok);
  CHECK(p.tunnel == TunnelType::isatap);
  CHECK(p.outer_src4 == kHost);
  CHECK(p.outer_dst4 == kHost2);
  CHECK(p.outer_length == 20 + 40 + 27);
  CHECK(p.embedded_src4 == kHost);
  CHECK(p.embedded_dst4 == kHost2);
  CHECK(p.relay4 == 0);
  CHECK(s6(p.src) == "2a01:e35:1:2:0:5efe:c0a8:102");
  CHECK(s6(p.dst) == "2a01:e35:1:2:0:5efe:c0a8:103");
  CHECK(p.protocol == kTcp);
  CHECK(p.sport == 445);
  CHECK(p.dport == 50001);
  CHECK(p.src_class == AddrClass::isatap);
  CHECK(p.dst_class == AddrClass::isatap);
}

TEST_CASE("ISATAP through the ISATAP router", "[isatap]") {
  SECTION("host to a native host: the outer destination is the router") {
    const PacketInfo p = parse(p41(kHost, kRouter, ipv6(kIsatap, kNative, kUdp, udp(5000, 53, filler(4)))));
    REQUIRE(p.verdict == Verdict::ok);
    CHECK(p.tunnel == TunnelType::isatap);
    CHECK(p.embedded_src4 == kHost);
    CHECK(p.embedded_dst4 == 0);
    CHECK(s4(p.relay4) == "192.168.1.254");
    CHECK(p.dst_class == AddrClass::low);
  }
  SECTION("native host to the host: the outer source is the router") {
    const PacketInfo p = parse(p41(kRouter, kHost, ipv6(kNative, kIsatap, kUdp, udp(53, 5000, filler(4)))));
    REQUIRE(p.verdict == Verdict::ok);
    CHECK(p.tunnel == TunnelType::isatap);
    CHECK(p.embedded_src4 == 0);
    CHECK(p.embedded_dst4 == kHost);
    CHECK(p.relay4 == kRouter);
  }
  SECTION("global form ::200:5efe with a public IPv4") {
    const uint32_t pub = v4("198.51.100.2");
    const A6 global = isatap_addr(kPrefix, pub, true);
    CHECK(s6(global.data()) == "2a01:e35:1:2:200:5efe:c633:6402");
    const PacketInfo p = parse(p41(pub, kRouter, ipv6(global, kNative, kNoNext, {})));
    REQUIRE(p.verdict == Verdict::ok);
    CHECK(p.tunnel == TunnelType::isatap);
    CHECK(p.embedded_src4 == pub);
    CHECK(p.relay4 == kRouter);
    CHECK(p.src_class == AddrClass::isatap);
  }
  SECTION("link-local ISATAP (router discovery)") {
    const PacketInfo p =
        parse(p41(kHost, kRouter, ipv6(v6("fe80::5efe:c0a8:102"), v6("fe80::5efe:c0a8:1fe"), kIcmpv6, icmp(133, 0))));
    REQUIRE(p.verdict == Verdict::ok);
    CHECK(p.tunnel == TunnelType::isatap);
    CHECK(p.embedded_src4 == kHost);
    CHECK(p.embedded_dst4 == kRouter);
    CHECK(p.relay4 == 0);
    CHECK(p.src_class == AddrClass::link_local);
    CHECK(p.icmp_type == 133);
  }
  SECTION("a non-ISATAP interface id with 5efe in the wrong place is 6in4") {
    const PacketInfo p = parse(p41(kHost, kRouter, ipv6(v6("2a01:e35:1:2:400:5efe:c0a8:102"), kNative, kNoNext, {})));
    REQUIRE(p.verdict == Verdict::ok);
    CHECK(p.tunnel == TunnelType::sixinfour);
    CHECK(p.src_class != AddrClass::isatap);
  }
}

TEST_CASE("ISATAP interface id under a 6to4 prefix is ISATAP", "[isatap]") {
  // Site 192.0.2.1 numbered out of 2002:c000:201::/48, host 192.168.1.2 on it.
  const A6 src = isatap_addr(0x2002c00002010001, kHost);
  CHECK(s6(src.data()) == "2002:c000:201:1:0:5efe:c0a8:102");
  const PacketInfo p = parse(p41(kHost, v4("198.51.100.2"), ipv6(src, v6("2002:c633:6402::1"), kTcp, tcp(1, 2))));
  REQUIRE(p.verdict == Verdict::ok);
  CHECK(p.tunnel == TunnelType::isatap);
  CHECK(p.embedded_src4 == kHost);  // the ISATAP IPv4, not the 6to4 site's
  CHECK(p.embedded_dst4 == 0);      // the plug-in that claims names the embedding
  CHECK(s4(p.relay4) == "198.51.100.2");
  CHECK(p.src_class == AddrClass::isatap);
  CHECK(p.dst_class == AddrClass::sixtofour_linux);
  // Only the destination: still ISATAP.
  const PacketInfo q = parse(p41(v4("198.51.100.2"), kHost, ipv6(v6("2002:c633:6402::1"), src, kNoNext, {})));
  CHECK(q.tunnel == TunnelType::isatap);
  CHECK(q.embedded_dst4 == kHost);
}

TEST_CASE("ISATAP packet cut at every byte", "[isatap][truncation]") {
  const Bytes f = p41(kHost, kRouter, ipv6(kIsatap, kNative, kTcp, tcp(50000, 80, 0x02, filler(5))));
  constexpr std::size_t kIp = 14, kInner = kIp + 20, kL4 = kInner + 40, kData = kL4 + 20;
  REQUIRE(f.size() == kData + 5);
  const auto isatap = [](const PacketInfo& p) {
    CHECK(p.tunnel == TunnelType::isatap);
    CHECK(p.outer_src4 == kHost);
    CHECK(p.outer_dst4 == kRouter);
    CHECK(p.outer_length == 85);
    CHECK(p.ip_length == 65);
    CHECK(p.embedded_src4 == kHost);
    CHECK(p.embedded_dst4 == 0);
    CHECK(p.relay4 == kRouter);
    CHECK(p.src_class == AddrClass::isatap);
    CHECK(p.dst_class == AddrClass::low);
  };
  check_every_cut(f, {
                         {kIp, Verdict::frame_truncated},
                         {kInner, Verdict::ipv4_truncated},
                         {kL4, Verdict::proto41_truncated,
                          [](const PacketInfo& p) {
                            CHECK(p.tunnel == TunnelType::none);
                            CHECK(p.ip_version == 4);
                            CHECK(p.outer_src4 == 0);
                            CHECK(tunprobe::ipv4_of(p.src) == kHost);
                          }},
                         {kData, Verdict::l4_truncated, isatap},
                         {f.size(), Verdict::ok,
                          [&](const PacketInfo& p) {
                            isatap(p);
                            CHECK(p.sport == 50000);
                            CHECK(p.tcp_flags == 0x02);
                          }},
                     });
}
