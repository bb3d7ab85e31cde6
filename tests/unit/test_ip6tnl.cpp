// IP directly in IPv6 (RFC 2473; DS-Lite, RFC 6333): IPv6 in IPv6 and IPv4
// in IPv6 decoded with the outer IPv6 endpoints, after extension headers
// and in a first outer fragment; decoys that stay the native IPv6 flow of
// next header 41 or 4 with their verdict; the carried header cut at every
// byte; a tunnel inside it counted as nested.
#include "plugins/ip6tnl.hpp"
#include "probe/decode/decode_config.hpp"
#include "support.hpp"

using namespace tb;

namespace {

const A6 kB4 = v6("2001:db8:b4::1");
const A6 kAftr = v6("2001:db8:af::1");
const A6 kSite = v6("2001:db8:1::10");
const A6 kNative = v6("2a00:1450:4001:81b::200e");
const uint32_t kHostA = v4("192.0.0.2");
const uint32_t kHostB = v4("198.51.100.80");

const Bytes kInner6 = ipv6(kSite, kNative, kTcp, tcp(50000, 443, 0x02, filler(12)), V6{.hlim = 61});
const Bytes kInner4 = ipv4(kHostA, kHostB, kUdp, udp(53000, 53, filler(30, 0x12)), V4{.ttl = 63});

Bytes outer6(uint8_t next, const Bytes& payload, V6 o = {.hlim = 60}) {
  return eth(kEtherIpv6, ipv6(kB4, kAftr, next, payload, o));
}

}  // namespace

TEST_CASE("IPv6 in IPv6: the inner flow with the outer IPv6 pair", "[ip6tnl]") {
  const PacketInfo p = parse(outer6(kIpv6, kInner6));
  REQUIRE(p.verdict == Verdict::ok);
  CHECK(p.tunnel == TunnelType::ipv6_in_ipv6);
  CHECK(s6(p.outer_src6) == "2001:db8:b4::1");
  CHECK(s6(p.outer_dst6) == "2001:db8:af::1");
  CHECK(p.outer_src4 == tunprobe::outer_address_digest(kB4.data()));
  CHECK(p.outer_dst4 == tunprobe::outer_address_digest(kAftr.data()));
  CHECK(p.outer_ttl == 60);
  CHECK(p.outer_length == 40 + kInner6.size());
  CHECK(p.ip_version == 6);
  CHECK(s6(p.src) == "2001:db8:1::10");
  CHECK(s6(p.dst) == "2a00:1450:4001:81b::200e");
  CHECK(p.protocol == kTcp);
  CHECK(p.sport == 50000);
  CHECK(p.dport == 443);
  CHECK(p.tcp_flags == 0x02);
  CHECK(p.ttl == 61);
  CHECK(p.ip_length == kInner6.size());
  CHECK(p.src_class != AddrClass::none);
}

TEST_CASE("IPv4 in IPv6 (DS-Lite): the inner IPv4 flow, no IPv6 bytes left in its addresses", "[ip6tnl]") {
  const PacketInfo p = parse(outer6(kIpip, kInner4));
  REQUIRE(p.verdict == Verdict::ok);
  CHECK(p.tunnel == TunnelType::ipv4_in_ipv6);
  CHECK(s6(p.outer_src6) == "2001:db8:b4::1");
  CHECK(p.ip_version == 4);
  CHECK(s4(tunprobe::ipv4_of(p.src)) == "192.0.0.2");
  CHECK(s4(tunprobe::ipv4_of(p.dst)) == "198.51.100.80");
  const A6 zero{};
  CHECK(std::equal(p.src + 4, p.src + 16, zero.begin()));
  CHECK(std::equal(p.dst + 4, p.dst + 16, zero.begin()));
  CHECK(p.protocol == kUdp);
  CHECK(p.dport == 53);
  CHECK(p.ttl == 63);
  CHECK(p.ip_length == kInner4.size());
  CHECK(p.src_class == AddrClass::none);
}

TEST_CASE("IP in IPv6 after extension headers (RFC 2473's encapsulation limit is a destination option)",
          "[ip6tnl]") {
  const PacketInfo p =
      parse(eth(kEtherIpv6, ipv6x(kB4, kAftr, {Ext{kHopByHop}, Ext{kDstOpts, 16}}, kIpv6, kInner6)));
  REQUIRE(p.verdict == Verdict::ok);
  CHECK(p.tunnel == TunnelType::ipv6_in_ipv6);
  CHECK(p.outer_length == 40 + 8 + 16 + kInner6.size());
  CHECK(p.dport == 443);
}

TEST_CASE("decoys stay the native IPv6 flow with their verdict", "[ip6tnl]") {
  struct Decoy {
    const char* what;
    Bytes frame;
    Verdict verdict;
    uint8_t protocol;
  };
  Bytes long6 = kInner6;
  tb::put16(long6, 4, static_cast<uint16_t>(kInner6.size() - 40 + 1));  // one byte beyond the outer payload
  Bytes long4 = kInner4;
  tb::put16(long4, 2, static_cast<uint16_t>(kInner4.size() + 1));
  Bytes ihl4 = kInner4;
  ihl4[0] = 0x44;
  const std::vector<Decoy> decoys = {
      {"next header 41 carrying IPv4", outer6(kIpv6, kInner4), Verdict::ip6tnl_bad_payload, kIpv6},
      {"next header 4 carrying IPv6", outer6(kIpip, kInner6), Verdict::ip6tnl_bad_payload, kIpip},
      {"IPv6 longer than the outer payload", outer6(kIpv6, long6), Verdict::ip6tnl_bad_payload, kIpv6},
      {"IPv4 longer than the outer payload", outer6(kIpip, long4), Verdict::ip6tnl_bad_payload, kIpip},
      {"IPv4 header length 16", outer6(kIpip, ihl4), Verdict::ip6tnl_bad_payload, kIpip},
      {"39 bytes after next header 41", outer6(kIpv6, Bytes(kInner6.begin(), kInner6.begin() + 39)),
       Verdict::ip6tnl_bad_payload, kIpv6},
      {"no payload after next header 4", outer6(kIpip, {}), Verdict::ip6tnl_bad_payload, kIpip},
  };
  for (const Decoy& d : decoys) {
    INFO(d.what);
    const PacketInfo p = parse(d.frame);
    CHECK(p.verdict == d.verdict);
    CHECK(p.tunnel == TunnelType::none);
    CHECK(p.ip_version == 6);
    CHECK(s6(p.src) == "2001:db8:b4::1");
    CHECK(p.protocol == d.protocol);
  }
}

TEST_CASE("the carried header cut by the capture at every byte: ip6tnl_truncated, the outer flow", "[ip6tnl]") {
  for (uint8_t next : {kIpv6, kIpip}) {
    const Bytes whole = outer6(next, next == kIpv6 ? kInner6 : kInner4);
    const std::size_t header = next == kIpv6 ? 40 : 20;
    for (std::size_t cut = 1; cut < header; ++cut) {
      INFO("next header " << int{next} << ", " << cut << " bytes of the carried header");
      const PacketInfo p = parse(Bytes(whole.begin(), whole.begin() + 14 + 40 + cut));
      CHECK(p.verdict == Verdict::ip6tnl_truncated);
      CHECK(p.tunnel == TunnelType::none);
      CHECK(p.protocol == next);
    }
    // The header whole, the transport header cut: the tunnel flow.
    const PacketInfo p = parse(Bytes(whole.begin(), whole.begin() + 14 + 40 + header + 2));
    CHECK(p.verdict == Verdict::l4_truncated);
    CHECK(p.tunnel == (next == kIpv6 ? TunnelType::ipv6_in_ipv6 : TunnelType::ipv4_in_ipv6));
  }
}

TEST_CASE("a first outer fragment is decoded; a later one is the native IPv6 fragment", "[ip6tnl]") {
  const Bytes head(kInner4.begin(), kInner4.begin() + 32);
  const Bytes tail(kInner4.begin() + 32, kInner4.end());
  const PacketInfo first =
      parse(eth(kEtherIpv6, ipv6x(kB4, kAftr, {Ext{kFragment, 8, 0, true, 77}}, kIpip, head)));
  REQUIRE(first.verdict == Verdict::ok);
  CHECK(first.tunnel == TunnelType::ipv4_in_ipv6);
  CHECK(first.is_fragment);
  CHECK(first.frag_outer);
  CHECK(first.first_fragment);
  CHECK(first.dport == 53);
  const PacketInfo later =
      parse(eth(kEtherIpv6, ipv6x(kB4, kAftr, {Ext{kFragment, 8, 32, false, 77}}, kIpip, tail)));
  CHECK(later.verdict == Verdict::ok);
  CHECK(later.tunnel == TunnelType::none);
  CHECK(later.is_fragment);
  CHECK(later.frag_proto == kIpip);
}

TEST_CASE("a tunnel inside IP in IPv6 is counted as nested", "[ip6tnl]") {
  const Bytes in41 = ipv4(v4("203.0.113.1"), v4("203.0.113.2"), kIpv6, kInner6);
  const PacketInfo p = parse(outer6(kIpip, in41));
  CHECK(p.verdict == Verdict::tunnel_nested);
  CHECK(p.tunnel == TunnelType::ipv4_in_ipv6);
  CHECK(p.protocol == kIpv6);
}

TEST_CASE("the outer address digest mixes every bit", "[ip6tnl]") {
  A6 a = kB4;
  const uint32_t d0 = tunprobe::outer_address_digest(a.data());
  for (int bit = 0; bit < 128; ++bit) {
    A6 b = a;
    b[bit / 8] ^= static_cast<uint8_t>(0x80 >> (bit % 8));
    const uint32_t d = tunprobe::outer_address_digest(b.data());
    INFO("bit " << bit);
    CHECK(d != d0);
    CHECK(__builtin_popcount(d ^ d0) >= 6);
  }
}
