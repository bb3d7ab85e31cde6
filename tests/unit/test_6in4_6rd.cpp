// 6in4 (RFC 4213) and 6rd (RFC 5969) over protocol 41; the protocol-41
// fallbacks (kept as IPv4), the plug-in precedence and nesting.
#include "probe/decode/plugin.hpp"
#include "plugins/sixrd.hpp"
#include "probe/decode/decode_config.hpp"
#include "support.hpp"

using namespace tb;

namespace {

const uint32_t kCpe = v4("192.0.2.1");
const uint32_t kCpe2 = v4("198.51.100.2");
const uint32_t kBroker = v4("216.66.80.26");  // a tunnel broker's endpoint
const uint32_t kBorderRelay = v4("203.0.113.1");
const A6 kTunnelEnd = v6("2001:470:1f0a:1::2");
const A6 kNative = v6("2a00:1450:4001:81b::200e");
const A6 kTeredo = v6("2001:0:4136:e378:8000:63bf:3fff:fdd2");

Bytes p41(uint32_t src, uint32_t dst, const Bytes& inner, V4 o = {}) {
  return eth(kEtherIpv4, ipv4(src, dst, kIpv6, inner, o));
}

// PREFIX/len followed by the low `bits` bits of `v4addr` (RFC 5969 section
// 4: 32 - IPv4MaskLen of them), then ::1 when there is room.
A6 sixrd_addr(const char* prefix_text, unsigned len, uint32_t v4addr, unsigned bits = 32) {
  A6 a = v6(prefix_text);
  for (unsigned bit = len; bit < 128; ++bit) a[bit / 8] &= static_cast<uint8_t>(~(0x80u >> (bit % 8)));
  for (unsigned i = 0; i < bits; ++i)
    if ((v4addr >> (bits - 1 - i)) & 1) a[(len + i) / 8] |= static_cast<uint8_t>(0x80u >> ((len + i) % 8));
  if (len + bits < 128) a[15] |= 1;
  return a;
}

DecodeConfig sixrd_cfg(std::initializer_list<const char*> prefixes) {
  DecodeConfig cfg;
  for (const char* p : prefixes) {
    REQUIRE(tunprobe::parse_sixrd_prefix(p, cfg.sixrd[cfg.sixrd_count]) == "");
    ++cfg.sixrd_count;
  }
  return cfg;
}

void check_kept_ipv4(const PacketInfo& p, uint32_t src, uint32_t dst) {
  CHECK_FALSE(tunprobe::verdict_is_drop(p.verdict));
  CHECK(p.tunnel == TunnelType::none);
  CHECK(p.ip_version == 4);
  CHECK(p.protocol == kIpv6);
  CHECK(tunprobe::ipv4_of(p.src) == src);
  CHECK(tunprobe::ipv4_of(p.dst) == dst);
  CHECK_FALSE(p.has_ports);
  CHECK(p.outer_src4 == 0);
  CHECK(p.embedded_src4 == 0);
  CHECK(p.relay4 == 0);
  CHECK(p.src_class == AddrClass::none);
  CHECK(p.dst_class == AddrClass::none);
}

}  // namespace

TEST_CASE("the protocol-41 plug-in table is in precedence order", "[6in4]") {
  const auto table = tunprobe::proto41_plugins();
  REQUIRE(table.size() == 4);
  CHECK(table[0].type == TunnelType::sixrd);
  CHECK(table[1].type == TunnelType::isatap);
  CHECK(table[2].type == TunnelType::sixtofour);
  CHECK(table[3].type == TunnelType::sixinfour);
}

TEST_CASE("6in4: a manual tunnel to a broker", "[6in4]") {
  const Bytes inner = ipv6(kTunnelEnd, kNative, kTcp, tcp(50000, 443, 0x02, filler(9)), V6{.flow = 7});
  const PacketInfo p = parse(p41(kCpe, kBroker, inner, V4{.ttl = 64}));
  REQUIRE(p.verdict == Verdict::ok);
  CHECK(p.tunnel == TunnelType::sixinfour);
  CHECK(p.outer_src4 == kCpe);
  CHECK(s4(p.outer_dst4) == "216.66.80.26");
  CHECK(p.outer_length == 20 + 40 + 29);
  CHECK(p.outer_ttl == 64);
  CHECK(p.outer_sport == 0);
  CHECK(p.embedded_src4 == 0);
  CHECK(p.embedded_dst4 == 0);
  CHECK(p.relay4 == 0);
  CHECK(s6(p.src) == "2001:470:1f0a:1::2");
  CHECK(s6(p.dst) == "2a00:1450:4001:81b::200e");
  CHECK(p.flow_label == 7);
  CHECK(p.ip_length == 69);
  CHECK(p.sport == 50000);
  CHECK(p.dport == 443);
  CHECK(p.src_class == AddrClass::low);
  CHECK(p.dst_class == AddrClass::low);
}

TEST_CASE("Teredo addresses over protocol 41 are 6in4", "[6in4]") {
  DecodeConfig cfg;
  cfg.detect(tunprobe::TunnelType::teredo) = tunprobe::UdpDetect::ports;  // content detection is for UDP only; so is this
  for (const DecodeConfig& c : {DecodeConfig{}, cfg}) {
    const PacketInfo p = parse_cfg(p41(kCpe, kBroker, ipv6(kTeredo, kNative, kUdp, udp(3544, 3544, filler(8)))), c);
    REQUIRE(p.verdict == Verdict::ok);
    CHECK(p.tunnel == TunnelType::sixinfour);
    CHECK_FALSE(p.teredo.has_address);
    CHECK(p.teredo.server_ipv4 == 0);
    CHECK(p.src_class == AddrClass::teredo);
    CHECK(p.relay4 == 0);
    CHECK(p.sport == 3544);
  }
}

TEST_CASE("protocol 41 that fails validation stays an IPv4 flow", "[6in4]") {
  SECTION("inner header cut") {
    for (std::size_t n : {0, 1, 20, 39}) {
      INFO(n);
      const PacketInfo p = parse(p41(kCpe, kBroker, prefix(ipv6(kTunnelEnd, kNative, kNoNext, {}), n)));
      CHECK(p.verdict == Verdict::proto41_truncated);
      check_kept_ipv4(p, kCpe, kBroker);
    }
  }
  SECTION("payload is not IPv6") {
    PacketInfo p = parse(p41(kCpe, kBroker, ipv4(kCpe, kBroker, kTcp, tcp(1, 2, 0x02, filler(20)))));
    CHECK(p.verdict == Verdict::proto41_not_ipv6);
    check_kept_ipv4(p, kCpe, kBroker);
    p = parse(p41(kCpe, kBroker, ipv6(kTunnelEnd, kNative, kNoNext, {}, V6{.version = 0})));
    CHECK(p.verdict == Verdict::proto41_not_ipv6);
  }
  SECTION("IPv6 payload length exceeds the IPv4 payload") {
    const PacketInfo p = parse(p41(kCpe, kBroker, ipv6(kTunnelEnd, kNative, kNoNext, {}, V6{.plen = 1})));
    CHECK(p.verdict == Verdict::proto41_length_mismatch);
    check_kept_ipv4(p, kCpe, kBroker);
    CHECK(p.ip_length == 60);
  }
}

TEST_CASE("a tunnel inside 6in4 is counted as nested", "[6in4]") {
  SECTION("IPv6 in IPv6") {
    const PacketInfo p =
        parse(p41(kCpe, kBroker, ipv6(kTunnelEnd, kNative, kIpv6, ipv6(kNative, kTunnelEnd, kNoNext, {}))));
    CHECK(p.verdict == Verdict::tunnel_nested);
    CHECK(p.tunnel == TunnelType::sixinfour);
    CHECK(s6(p.src) == "2001:470:1f0a:1::2");  // the first inner level
    CHECK(p.protocol == kIpv6);
  }
  SECTION("IPv4 in IPv6") {
    const PacketInfo p =
        parse(p41(kCpe, kBroker, ipv6(kTunnelEnd, kNative, kIpip, ipv4(kCpe, kBroker, kUdp, udp(1, 2)))));
    CHECK(p.verdict == Verdict::tunnel_nested);
  }
  SECTION("Teredo in IPv6") {
    const Bytes teredo = udp(40000, 3544, ipv6(kTeredo, kNative, kNoNext, {}));
    const PacketInfo p = parse(p41(kCpe, kBroker, ipv6(kTunnelEnd, kNative, kUdp, teredo)));
    CHECK(p.verdict == Verdict::tunnel_nested);
    CHECK(p.tunnel == TunnelType::sixinfour);
    CHECK(p.dport == 3544);
    CHECK_FALSE(p.teredo.has_address);
  }
  SECTION("Teredo with an origin indication in IPv6") {
    const Bytes teredo = udp(3544, 40000, teredo_origin(40000, kCpe) + ipv6(kNative, kTeredo, kNoNext, {}));
    const PacketInfo p = parse(p41(kCpe, kBroker, ipv6(kTunnelEnd, kNative, kUdp, teredo)));
    CHECK(p.verdict == Verdict::tunnel_nested);
  }
  SECTION("not-Teredo on UDP 3544 in IPv6 is plain UDP") {
    const PacketInfo p = parse(p41(kCpe, kBroker, ipv6(kTunnelEnd, kNative, kUdp, udp(40000, 3544, filler(40, 0x12)))));
    CHECK(p.verdict == Verdict::ok);
    CHECK(p.dport == 3544);
  }
}

TEST_CASE("sixrd_in_prefix extracts the 32 bits after any prefix length", "[6in4]") {
  const uint32_t ce = v4("192.0.2.129");  // 0xc0000281: ones at both ends
  for (unsigned len : {1u,  7u,  8u,  13u, 16u, 24u, 28u, 31u, 32u, 33u, 36u, 40u,
                       47u, 48u, 56u, 60u, 63u, 64u, 65u, 72u, 80u, 88u, 95u, 96u}) {
    INFO("prefix length " << len);
    // The option allows up to /32 here (a /64 delegated); the plug-in reads
    // any length.
    tunprobe::SixrdPrefix pfx;
    REQUIRE(inet_pton(AF_INET6, "2a01:e35:8765:4321:fedc:ba98:7654:3210", pfx.prefix) == 1);
    pfx.length = static_cast<uint8_t>(len);
    const A6 a = sixrd_addr("2a01:e35:8765:4321:fedc:ba98:7654:3210", len, ce);
    uint32_t embedded = 0;
    CHECK(tunprobe::sixrd_in_prefix(a.data(), pfx, embedded));
    CHECK(s4(embedded) == "192.0.2.129");
    // Flip the last bit of the prefix: out.
    A6 b = a;
    b[(len - 1) / 8] ^= static_cast<uint8_t>(0x80u >> ((len - 1) % 8));
    embedded = 7;
    CHECK_FALSE(tunprobe::sixrd_in_prefix(b.data(), pfx, embedded));
    CHECK(embedded == 7);  // untouched
  }
}

TEST_CASE("6rd with a common IPv4 prefix (RFC 5969 section 4 IPv4MaskLen)", "[6in4]") {
  struct Vector {
    const char* domain;   // --6rd-prefix
    const char* address;  // an address of the CE's delegated prefix
    const char* ce;       // the CE IPv4 address it embeds
  };
  const Vector vectors[] = {
      // 6rd prefix 2001:db8::/32, IPv4MaskLen 8 (10.0.0.0/8): CE 10.100.100.1
      // carries 24 bits, 64 64 01: a /56 delegated, 2001:db8:6464:100::/56.
      {"2001:db8::/32@10.0.0.0/8", "2001:db8:6464:100::1", "10.100.100.1"},
      {"2001:db8::/32@10.0.0.0/8", "2001:db8:6464:1ff:1:2:3:4", "10.100.100.1"},
      {"2001:db8::/32@10.0.0.0/8", "2001:db8:ffff:ff00::1", "10.255.255.255"},
      {"2001:db8::/32@10.0.0.0/8", "2001:db8::1", "10.0.0.0"},
      // IPv4MaskLen 0: all 32 bits after the prefix.
      {"2001:db8::/32", "2001:db8:a64:6401::1", "10.100.100.1"},
      {"2001:db8::/32@0.0.0.0/0", "2001:db8:a64:6401::1", "10.100.100.1"},
      // A /24 6rd prefix and 24 carried bits: a /48 delegated.
      {"2001:db8::/24@10.0.0.0/8", "2001:d64:6401::1", "10.100.100.1"},
      // Not byte-aligned: /28 and IPv4MaskLen 16: 16 bits at bits 28-43.
      {"2a01:e30::/28@192.168.0.0/16", "2a01:e31:2340::1", "192.168.18.52"},
      // IPv4MaskLen 24: 8 bits; and 32: no bit carried, the one CE address.
      {"2001:db8:100::/40@192.0.2.0/24", "2001:db8:181::1", "192.0.2.129"},
      {"2001:db8::/32@192.0.2.1/32", "2001:db8::1", "192.0.2.1"},
  };
  for (const Vector& v : vectors) {
    INFO(v.domain << " " << v.address);
    tunprobe::SixrdPrefix pfx;
    REQUIRE(tunprobe::parse_sixrd_prefix(v.domain, pfx) == "");
    uint32_t embedded = 0;
    CHECK(tunprobe::sixrd_in_prefix(v6(v.address).data(), pfx, embedded));
    CHECK(s4(embedded) == v.ce);
    CHECK(s4(tunprobe::sixrd_embedded_ipv4(v6(v.address).data(), pfx)) == v.ce);
  }
  // The builder agrees: 24 bits of 10.100.100.1 after 2001:db8::/32.
  CHECK(s6(sixrd_addr("2001:db8::", 32, v4("10.100.100.1"), 24).data()) == "2001:db8:6464:100::1");

  SECTION("a CE behind the border relay: the embedded address is the whole CE address") {
    const DecodeConfig cfg = sixrd_cfg({"2001:db8::/32@10.0.0.0/8"});
    const uint32_t ce4 = v4("10.100.100.1");
    const A6 ce = sixrd_addr("2001:db8::", 32, ce4, 24);
    PacketInfo p = parse_cfg(p41(ce4, kBorderRelay, ipv6(ce, kNative, kTcp, tcp(50000, 443))), cfg);
    REQUIRE(p.verdict == Verdict::ok);
    CHECK(p.tunnel == TunnelType::sixrd);
    CHECK(s4(p.embedded_src4) == "10.100.100.1");
    CHECK(p.embedded_dst4 == 0);
    CHECK(p.relay4 == kBorderRelay);  // the CE's own outer address is explained
    // Reading 32 bits instead (IPv4MaskLen 0) would name a wrong CE and call
    // the CE itself a relay.
    const DecodeConfig plain = sixrd_cfg({"2001:db8::/32"});
    p = parse_cfg(p41(ce4, kBorderRelay, ipv6(ce, kNative, kTcp, tcp(50000, 443))), plain);
    CHECK(s4(p.embedded_src4) == "100.100.1.0");
    CHECK(p.relay4 == ce4);
  }
  SECTION("CE to CE in the same domain: no relay") {
    const DecodeConfig cfg = sixrd_cfg({"2a01:e30::/28@192.168.0.0/16"});
    const uint32_t a4 = v4("192.168.18.52"), b4 = v4("192.168.200.7");
    const PacketInfo p = parse_cfg(
        p41(a4, b4, ipv6(sixrd_addr("2a01:e30::", 28, a4, 16), sixrd_addr("2a01:e30::", 28, b4, 16), kNoNext, {})),
        cfg);
    REQUIRE(p.verdict == Verdict::ok);
    CHECK(p.tunnel == TunnelType::sixrd);
    CHECK(p.embedded_src4 == a4);
    CHECK(p.embedded_dst4 == b4);
    CHECK(p.relay4 == 0);
  }
}

TEST_CASE("6rd: customer edge and border relay", "[6in4]") {
  const DecodeConfig cfg = sixrd_cfg({"2a01:e30::/28"});
  const A6 ce = sixrd_addr("2a01:e30::", 28, kCpe);
  CHECK(s6(ce.data()) == "2a01:e3c:0:2010::1");
  SECTION("CE to a native host through the border relay") {
    const PacketInfo p = parse_cfg(p41(kCpe, kBorderRelay, ipv6(ce, kNative, kTcp, tcp(50000, 443))), cfg);
    REQUIRE(p.verdict == Verdict::ok);
    CHECK(p.tunnel == TunnelType::sixrd);
    CHECK(p.outer_src4 == kCpe);
    CHECK(p.outer_dst4 == kBorderRelay);
    CHECK(p.embedded_src4 == kCpe);
    CHECK(p.embedded_dst4 == 0);
    CHECK(s4(p.relay4) == "203.0.113.1");
    CHECK(p.sport == 50000);
    CHECK(p.src_class == AddrClass::low);
  }
  SECTION("native host to the CE from the border relay") {
    const PacketInfo p = parse_cfg(p41(kBorderRelay, kCpe, ipv6(kNative, ce, kTcp, tcp(443, 50000))), cfg);
    REQUIRE(p.verdict == Verdict::ok);
    CHECK(p.tunnel == TunnelType::sixrd);
    CHECK(p.embedded_src4 == 0);
    CHECK(p.embedded_dst4 == kCpe);
    CHECK(p.relay4 == kBorderRelay);
  }
  SECTION("CE to CE directly") {
    const A6 ce2 = sixrd_addr("2a01:e30::", 28, kCpe2);
    const PacketInfo p = parse_cfg(p41(kCpe, kCpe2, ipv6(ce, ce2, kNoNext, {})), cfg);
    REQUIRE(p.verdict == Verdict::ok);
    CHECK(p.tunnel == TunnelType::sixrd);
    CHECK(p.embedded_src4 == kCpe);
    CHECK(p.embedded_dst4 == kCpe2);
    CHECK(p.relay4 == 0);
  }
  SECTION("without the prefix configured it is 6in4") {
    const PacketInfo p = parse(p41(kCpe, kBorderRelay, ipv6(ce, kNative, kTcp, tcp(50000, 443))));
    CHECK(p.tunnel == TunnelType::sixinfour);
    CHECK(p.embedded_src4 == 0);
  }
  SECTION("outside the prefix it is 6in4") {
    const PacketInfo p = parse_cfg(p41(kCpe, kBroker, ipv6(kTunnelEnd, kNative, kNoNext, {})), cfg);
    CHECK(p.tunnel == TunnelType::sixinfour);
  }
}

TEST_CASE("6rd: the n-th of several configured prefixes", "[6in4]") {
  const DecodeConfig cfg = sixrd_cfg({"2a00:1::/32", "2a00:2::/32", "2a00:300::/24", "2a01:4::/24"});
  REQUIRE(cfg.sixrd_count == 4);
  const A6 src = sixrd_addr("2a00:300::", 24, kCpe);
  const A6 dst = sixrd_addr("2a01:4::", 24, kCpe2);
  const PacketInfo p = parse_cfg(p41(kCpe, kCpe2, ipv6(src, dst, kNoNext, {})), cfg);
  REQUIRE(p.verdict == Verdict::ok);
  CHECK(p.tunnel == TunnelType::sixrd);
  CHECK(p.embedded_src4 == kCpe);
  CHECK(p.embedded_dst4 == kCpe2);
  CHECK(p.relay4 == 0);
}

TEST_CASE("6rd: a configured prefix wins over ISATAP and 6to4", "[6in4]") {
  SECTION("over 6to4") {
    const DecodeConfig cfg = sixrd_cfg({"2002::/16"});
    const A6 a = sixtofour_addr(kCpe, 0, 1);
    const PacketInfo p = parse_cfg(p41(kCpe, kBorderRelay, ipv6(a, kNative, kNoNext, {})), cfg);
    REQUIRE(p.verdict == Verdict::ok);
    CHECK(p.tunnel == TunnelType::sixrd);
    CHECK(p.embedded_src4 == kCpe);
    CHECK(p.relay4 == kBorderRelay);
    CHECK(p.src_class == AddrClass::sixtofour_linux);  // classes do not depend on the config
    CHECK(parse(p41(kCpe, kBorderRelay, ipv6(a, kNative, kNoNext, {}))).tunnel == TunnelType::sixtofour);
  }
  SECTION("over ISATAP") {
    const DecodeConfig cfg = sixrd_cfg({"2a01:e35::/32"});
    // 6rd prefix, CE 192.0.2.1, then an ISATAP interface id for 192.168.1.2.
    const A6 a = v6("2a01:e35:c000:201:0:5efe:c0a8:102");
    const PacketInfo p = parse_cfg(p41(kCpe, kBorderRelay, ipv6(a, kNative, kNoNext, {})), cfg);
    REQUIRE(p.verdict == Verdict::ok);
    CHECK(p.tunnel == TunnelType::sixrd);
    CHECK(p.embedded_src4 == kCpe);
    CHECK(p.relay4 == kBorderRelay);
    CHECK(p.src_class == AddrClass::isatap);
    const PacketInfo q = parse(p41(v4("192.168.1.2"), kBorderRelay, ipv6(a, kNative, kNoNext, {})));
    CHECK(q.tunnel == TunnelType::isatap);
    CHECK(s4(q.embedded_src4) == "192.168.1.2");
  }
}

TEST_CASE("6rd packet cut at every byte", "[6in4][truncation]") {
  const DecodeConfig cfg = sixrd_cfg({"2a01:e30::/28"});
  const A6 ce = sixrd_addr("2a01:e30::", 28, kCpe);
  const Bytes f = eth_vlan({{kEtherVlan, 835}}, kEtherIpv4,
                           ipv4(kCpe, kBorderRelay, kIpv6, ipv6(ce, kNative, kIcmpv6, icmp(128, 0, filler(16)))));
  constexpr std::size_t kIp = 18, kInner = kIp + 20, kL4 = kInner + 40, kData = kL4 + 8;
  REQUIRE(f.size() == kData + 16);
  const auto sixrd = [](const PacketInfo& p) {
    CHECK(p.tunnel == TunnelType::sixrd);
    CHECK(p.outer_length == 84);
    CHECK(p.ip_length == 64);
    CHECK(p.embedded_src4 == kCpe);
    CHECK(p.relay4 == kBorderRelay);
    CHECK(p.vlan_outer == 835);
  };
  check_every_cut(
      f,
      {
          {14, Verdict::frame_truncated},
          {kIp, Verdict::vlan_truncated},
          {kInner, Verdict::ipv4_truncated},
          {kL4, Verdict::proto41_truncated, [](const PacketInfo& p) { check_kept_ipv4(p, kCpe, kBorderRelay); }},
          {kL4 + 4, Verdict::l4_truncated, sixrd},  // ICMPv6 type, code, checksum
          {f.size(), Verdict::ok,
           [&](const PacketInfo& p) {
             sixrd(p);
             CHECK(p.has_icmp);
             CHECK(p.icmp_type == 128);
           }},
      },
      LinkType::ethernet, cfg);
}
