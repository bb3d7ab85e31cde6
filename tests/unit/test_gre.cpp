// GRE (RFC 2784, RFC 2890) carrying IPv6 and IPv4; IPv6 in UDP
// (draft-ebalard-mext-m6t). Positive cases with every optional GRE field,
// the key in the packet's facts, decoys that stay the outer IPv4 flow with
// their verdict, nested tunnels, the header cut at every byte, and IPv6 in
// UDP off by default, by port and by content, never Teredo's.
#include "plugins/gre.hpp"
#include "plugins/ipv6_udp.hpp"
#include "probe/decode/decode_config.hpp"
#include "support.hpp"

using namespace tb;

namespace {

const uint32_t kRouterA = v4("192.0.2.1");
const uint32_t kRouterB = v4("198.51.100.2");
const uint32_t kHostA = v4("10.1.0.5");
const uint32_t kHostB = v4("10.2.0.9");
const A6 kSite = v6("2001:db8:1::10");
const A6 kNative = v6("2a00:1450:4001:81b::200e");
const A6 kTeredoClient = v6("2001:0:4136:e378:8000:63bf:3fff:fdd2");

Bytes gre4(const Bytes& gre_bytes, V4 o = {.ttl = 62}) {
  return eth(kEtherIpv4, ipv4(kRouterA, kRouterB, kGre, gre_bytes, o));
}

const Bytes kInner6 = ipv6(kSite, kNative, kTcp, tcp(50000, 443, 0x02, filler(12)), V6{.hlim = 61});
const Bytes kInner4 = ipv4(kHostA, kHostB, kUdp, udp(53000, 53, filler(30, 0x12)), V4{.ttl = 63});

}  // namespace

TEST_CASE("GRE carrying IPv6: the inner flow, the outer pair, the key", "[gre]") {
  struct Variant {
    const char* what;
    Gre o;
  };
  for (const Variant& v : {Variant{"no optional field", Gre{}}, Variant{"key", Gre{}.with_key(0x01020304)},
                           Variant{"checksum, key, sequence", Gre{}.with_key(7).with_checksum().with_sequence(99)},
                           Variant{"sequence only", Gre{}.with_sequence(1)}, Variant{"key 0", Gre{}.with_key(0)}}) {
    INFO(v.what);
    const Bytes g = gre(kEtherIpv6, kInner6, v.o);
    const PacketInfo p = parse(gre4(g));
    REQUIRE(p.verdict == Verdict::ok);
    CHECK(p.tunnel == TunnelType::gre);
    CHECK(s4(p.outer_src4) == "192.0.2.1");
    CHECK(s4(p.outer_dst4) == "198.51.100.2");
    CHECK(p.outer_ttl == 62);
    CHECK(p.outer_length == 20 + g.size());
    CHECK(p.gre_key_present == v.o.key.has_value());
    CHECK(tunprobe::gre_key(p) == v.o.key.value_or(0));
    CHECK(p.ip_version == 6);
    CHECK(s6(p.src) == "2001:db8:1::10");
    CHECK(s6(p.dst) == "2a00:1450:4001:81b::200e");
    CHECK(p.protocol == kTcp);
    CHECK(p.sport == 50000);
    CHECK(p.dport == 443);
    CHECK(p.ttl == 61);
    CHECK(p.ip_length == kInner6.size());
  }
}

TEST_CASE("GRE bits 6-12 are ignored on receipt (RFC 2784 2.3)", "[gre]") {
  for (uint16_t bit : {0x0200, 0x0100, 0x0008}) {
    INFO("flags " << bit);
    const PacketInfo p = parse(gre4(gre(kEtherIpv6, kInner6, Gre{}.with_flags(bit))));
    CHECK(p.verdict == Verdict::ok);
    CHECK(p.tunnel == TunnelType::gre);
  }
}

TEST_CASE("GRE carrying IPv4: its own tunnel type, the inner IPv4 flow", "[gre]") {
  const PacketInfo p = parse(gre4(gre(kEtherIpv4, kInner4, Gre{}.with_key(42))));
  REQUIRE(p.verdict == Verdict::ok);
  CHECK(p.tunnel == TunnelType::gre_ipv4);
  CHECK(p.ip_version == 4);
  CHECK(s4(tunprobe::ipv4_of(p.src)) == "10.1.0.5");
  CHECK(s4(tunprobe::ipv4_of(p.dst)) == "10.2.0.9");
  CHECK(s4(p.outer_src4) == "192.0.2.1");
  CHECK(p.protocol == kUdp);
  CHECK(p.dport == 53);
  CHECK(p.ttl == 63);
  CHECK(p.gre_key_present);
  CHECK(tunprobe::gre_key(p) == 42);
  CHECK_FALSE(p.is_fragment);
}

TEST_CASE("GRE decoys stay the outer IPv4 flow of protocol 47 with their verdict", "[gre]") {
  struct Decoy {
    const char* what;
    Bytes gre_bytes;
    Verdict verdict;
  };
  const std::vector<Decoy> decoys = {
      {"version 1 (PPTP enhanced GRE)", gre(0x880b, filler(20), Gre{}.with_flags(0x0001)), Verdict::gre_bad_header},
      {"RFC 1701 routing bit", gre(kEtherIpv6, kInner6, Gre{}.with_flags(0x4000)), Verdict::gre_bad_header},
      {"RFC 1701 recursion count, high bit (bit 5)", gre(kEtherIpv6, kInner6, Gre{}.with_flags(0x0400)),
       Verdict::gre_bad_header},
      {"unknown protocol type", gre(0x9999, filler(20)), Verdict::gre_other_protocol},
      {"bridged Ethernet (not decoded yet)", gre(0x6558, filler(60)), Verdict::gre_other_protocol},
      {"0x86DD carrying IPv4", gre(kEtherIpv6, kInner4), Verdict::gre_bad_payload},
      {"0x0800 carrying IPv6", gre(kEtherIpv4, kInner6), Verdict::gre_bad_payload},
      {"IPv6 payload length past the GRE payload", gre(kEtherIpv6, prefix(kInner6, kInner6.size() - 1)),
       Verdict::gre_bad_payload},
      {"inner IPv4 header length 16", gre(kEtherIpv4, ipv4(kHostA, kHostB, kUdp, udp(1, 2), V4{.ihl = 4})),
       Verdict::gre_bad_payload},
      {"key announced, 2 bytes of it", prefix(gre(kEtherIpv6, {}, Gre{}.with_key(5)), 6), Verdict::gre_truncated},
  };
  for (const Decoy& d : decoys) {
    INFO(d.what);
    const PacketInfo p = parse(gre4(d.gre_bytes));
    CHECK(p.verdict == d.verdict);
    CHECK(p.tunnel == TunnelType::none);
    CHECK(p.ip_version == 4);
    CHECK(p.protocol == kGre);
    CHECK(s4(tunprobe::ipv4_of(p.src)) == "192.0.2.1");
    CHECK_FALSE(p.gre_key_present);
  }
}

TEST_CASE("GRE cut at every byte never reads past the capture", "[gre]") {
  const Bytes frame = gre4(gre(kEtherIpv6, kInner6, Gre{}.with_key(9).with_checksum().with_sequence(3)));
  const std::size_t gre_at = 14 + 20;
  for (std::size_t n = gre_at; n <= frame.size(); ++n) {
    INFO("captured " << n << " of " << frame.size());
    const PacketInfo p = parse(prefix(frame, n));
    if (n < gre_at + 16 + 40) {
      CHECK(p.verdict == Verdict::gre_truncated);
      CHECK(p.tunnel == TunnelType::none);
    } else {
      CHECK(p.tunnel == TunnelType::gre);
    }
    CHECK_FALSE(tunprobe::verdict_is_drop(p.verdict));
  }
}

TEST_CASE("a tunnel inside GRE is counted, the first inner level is the flow", "[gre]") {
  // 6in4 inside GRE-carried IPv4.
  const Bytes in41 = ipv4(kHostA, kHostB, kIpv6, kInner6);
  PacketInfo p = parse(gre4(gre(kEtherIpv4, in41)));
  CHECK(p.verdict == Verdict::tunnel_nested);
  CHECK(p.tunnel == TunnelType::gre_ipv4);
  CHECK(p.protocol == kIpv6);
  // Teredo inside GRE-carried IPv4.
  const Bytes teredo = ipv4(kHostA, kHostB, kUdp, udp(40000, 3544, ipv6(kTeredoClient, kNative, kNoNext, {})));
  p = parse(gre4(gre(kEtherIpv4, teredo)));
  CHECK(p.verdict == Verdict::tunnel_nested);
  CHECK(p.tunnel == TunnelType::gre_ipv4);
  CHECK(p.dport == 3544);
  // GRE inside GRE-carried IPv6.
  const Bytes inner_gre = ipv6(kSite, kNative, kGre, gre(kEtherIpv6, kInner6));
  p = parse(gre4(gre(kEtherIpv6, inner_gre)));
  CHECK(p.verdict == Verdict::tunnel_nested);
  CHECK(p.tunnel == TunnelType::gre);
}

TEST_CASE("IPv6 in UDP: off by default, by its ports, by content; never a Teredo packet", "[gre]") {
  const Bytes inner = ipv6(kSite, kNative, kUdp, udp(5000, 5001, filler(20)));
  const Bytes frame = eth(kEtherIpv4, ipv4(kRouterA, kRouterB, kUdp, udp(4500, 61000, inner)));
  SECTION("default: plain UDP") {
    const PacketInfo p = parse(frame);
    CHECK(p.verdict == Verdict::ok);
    CHECK(p.tunnel == TunnelType::none);
    CHECK(p.dport == 61000);
  }
  SECTION("on --ipv6-udp-ports 4500") {
    DecodeConfig cfg;
    REQUIRE(tunprobe::parse_udp_ports(TunnelType::ipv6_udp, "4500", cfg).empty());
    const PacketInfo p = parse_cfg(frame, cfg);
    REQUIRE(p.verdict == Verdict::ok);
    CHECK(p.tunnel == TunnelType::ipv6_udp);
    CHECK(p.outer_sport == 4500);
    CHECK(p.outer_dport == 61000);
    CHECK(s6(p.src) == "2001:db8:1::10");
    CHECK(p.sport == 5000);
  }
  SECTION("by content") {
    DecodeConfig cfg;
    cfg.detect(TunnelType::ipv6_udp) = tunprobe::UdpDetect::content;
    PacketInfo p = parse_cfg(frame, cfg);
    CHECK(p.tunnel == TunnelType::ipv6_udp);
    // Checks 1-4, each failing alone.
    const auto other = [&](const Bytes& payload) {
      return parse_cfg(eth(kEtherIpv4, ipv4(kRouterA, kRouterB, kUdp, udp(4500, 61000, payload))), cfg);
    };
    CHECK(other(inner + Bytes{0}).tunnel == TunnelType::none);  // a trailing byte
    CHECK(other(ipv6(kSite, kNative, 200, filler(8))).tunnel == TunnelType::none);  // unknown next header
    CHECK(other(ipv6(v6("ff02::1"), kNative, kUdp, udp(1, 2))).tunnel == TunnelType::none);  // multicast source
    // A Teredo end off the Teredo ports is Teredo's (by content), not IPv6 in UDP.
    p = other(ipv6(kTeredoClient, kNative, kUdp, udp(1, 2)));
    CHECK(p.tunnel == TunnelType::teredo);
    cfg.detect(TunnelType::teredo) = tunprobe::UdpDetect::ports;
    p = other(ipv6(kTeredoClient, kNative, kUdp, udp(1, 2)));
    CHECK(p.tunnel == TunnelType::none);
  }
}
