// The verdict table: every row is produced by at least one hand-built
// packet, and the table itself is well formed.
#include <iterator>
#include <set>
#include <string>

#include "support.hpp"

using namespace tb;
using tunprobe::kVerdictCount;
using tunprobe::kVerdictInfo;

namespace {

const uint32_t kA = v4("192.0.2.1");
const uint32_t kB = v4("198.51.100.2");
const A6 kTeredoClient = v6("2001:0:4136:e378:8000:63bf:3fff:fdd2");
const A6 kNative = v6("2a00:1450:4001:81b::200e");

Bytes eth4(uint8_t proto, const Bytes& payload, V4 o = {}) { return eth(kEtherIpv4, ipv4(kA, kB, proto, payload, o)); }
Bytes teredo_udp(const Bytes& payload) { return eth4(kUdp, udp(40000, 3544, payload)); }
Bytes ayiya_udp(const Bytes& payload) { return eth4(kUdp, udp(40000, 5072, payload)); }
// An AYIYA header (draft-massar-v6ops-ayiya-02): a 1-byte identity (IDLen 0), no signature.
Bytes ayiya_hdr(uint8_t op, uint8_t next) { return Bytes{0x00, 0x00, op, next, 0, 0, 0, 0, 0x2a}; }

struct Case {
  const char* what;
  Verdict verdict;
  Bytes frame;
  LinkType link = LinkType::ethernet;
  bool mirrors = false;  // decoded with --mirror auto
};

std::vector<Case> cases() {
  const Bytes inner_tcp = ipv6(kTeredoClient, kNative, kTcp, tcp(50000, 443));
  std::vector<Case> c;
  c.push_back({"IPv4 TCP", Verdict::ok, eth4(kTcp, tcp(1024, 80))});
  c.push_back({"Ethernet header of 13 bytes", Verdict::frame_truncated, prefix(eth(kEtherIpv4, {}), 13)});
  c.push_back(
      {"Linux SLL header of 15 bytes", Verdict::frame_truncated, prefix(sll(kEtherIpv4, {}), 15), LinkType::linux_sll});
  c.push_back({"DLT_NULL header of 3 bytes", Verdict::frame_truncated, Bytes{2, 0, 0}, LinkType::null_bsd});
  c.push_back({"802.1Q tag of 2 bytes", Verdict::vlan_truncated, eth(kEtherVlan, {0x00, 0x64})});
  c.push_back(
      {"three VLAN tags", Verdict::vlan_too_deep,
       eth_vlan({{kEtherQinQ, 10}, {kEtherVlan, 20}, {kEtherVlan, 30}}, kEtherIpv4, ipv4(kA, kB, kTcp, tcp(1, 2)))});
  c.push_back({"MPLS label without bottom of stack, then nothing", Verdict::mpls_truncated,
               eth(kEtherMpls, mpls({100}, {}, false))});
  c.push_back({"nine MPLS labels", Verdict::mpls_too_deep,
               eth(kEtherMpls, mpls({1, 2, 3, 4, 5, 6, 7, 8, 9}, ipv4(kA, kB, kTcp, tcp(1, 2))))});
  c.push_back({"MPLS pseudowire control word", Verdict::mpls_unknown_payload,
               eth(kEtherMpls, mpls({100}, Bytes{0, 0, 0, 0} + eth(kEtherIpv4, ipv4(kA, kB, kTcp, tcp(1, 2)))))});
  c.push_back({"PPPoE header of 7 bytes", Verdict::pppoe_truncated, eth(kEtherPppoeSession, filler(7, 0x11))});
  c.push_back({"ARP", Verdict::non_ip, eth(kEtherArp, filler(28))});
  c.push_back({"IPv6 packet under EtherType IPv4", Verdict::ip_bad_version,
               eth(kEtherIpv4, ipv6(kTeredoClient, kNative, kNoNext, {}))});
  c.push_back({"IPv4 header of 19 bytes", Verdict::ipv4_truncated, prefix(eth4(kTcp, tcp(1, 2)), 14 + 19)});
  c.push_back({"IPv4 IHL 4", Verdict::ipv4_bad_header, eth4(kTcp, tcp(1, 2), V4{.ihl = 4})});
  c.push_back({"IPv4 total length 19", Verdict::ipv4_bad_length, eth4(kTcp, tcp(1, 2), V4{.total = 19})});
  c.push_back({"IPv6 header of 39 bytes", Verdict::ipv6_truncated,
               prefix(eth(kEtherIpv6, ipv6(kNative, kNative, kTcp, tcp(1, 2))), 14 + 39)});
  c.push_back({"IPv6 routing header of 24 bytes cut at 16", Verdict::ipv6_ext_truncated,
               prefix(eth(kEtherIpv6, ipv6x(kNative, kNative, {{kRouting, 24}}, kTcp, tcp(1, 2))), 14 + 40 + 16)});
  c.push_back({"nine IPv6 destination options headers", Verdict::ipv6_ext_too_many,
               eth(kEtherIpv6, ipv6x(kNative, kNative, std::vector<Ext>(9, Ext{kDstOpts}), kTcp, tcp(1, 2)))});
  c.push_back({"TCP header of 19 bytes", Verdict::l4_truncated, prefix(eth4(kTcp, tcp(1, 2)), 14 + 20 + 19)});
  c.push_back({"TCP data offset 4", Verdict::tcp_bad_offset, eth4(kTcp, tcp(1, 2, 0x02, {}, 4))});
  c.push_back({"UDP length 7", Verdict::udp_bad_length, eth4(kUdp, udp(1, 2, filler(4), 7))});
  c.push_back({"Teredo auth header with a 200-byte client id", Verdict::teredo_auth_truncated,
               teredo_udp(prefix(teredo_auth(200, 0), 30))});
  c.push_back({"Teredo origin indication of 4 bytes", Verdict::teredo_origin_truncated,
               teredo_udp(prefix(teredo_origin(40000, kA), 4))});
  c.push_back({"Teredo on UDP 3544 with its inner IPv6 header cut at 30 bytes by the capture",
               Verdict::teredo_truncated, prefix(teredo_udp(inner_tcp), 14 + 20 + 8 + 30)});
  c.push_back({"DNS on UDP 3544", Verdict::teredo_not_ipv6, teredo_udp(filler(30, 0x12))});
  c.push_back({"Teredo with IPv6 payload length one too big", Verdict::teredo_length_mismatch,
               teredo_udp(ipv6(kTeredoClient, kNative, kTcp, tcp(50000, 443), V6{.plen = 21}))});
  c.push_back({"Teredo bubble with 8 bytes of payload", Verdict::teredo_bubble_payload,
               teredo_udp(ipv6(kTeredoClient, kNative, kNoNext, filler(8)))});
  c.push_back({"protocol 41 with 20 bytes of payload", Verdict::proto41_truncated, eth4(kIpv6, prefix(inner_tcp, 20))});
  c.push_back({"protocol 41 carrying IPv4", Verdict::proto41_not_ipv6, eth4(kIpv6, ipv4(kA, kB, kTcp, tcp(1, 2)))});
  c.push_back({"protocol 41 whose IPv6 payload length exceeds the IPv4 payload", Verdict::proto41_length_mismatch,
               eth4(kIpv6, ipv6(v6("2001:470:1f0a::2"), kNative, kTcp, tcp(1, 2), V6{.plen = 21}))});
  c.push_back({"AYIYA header of 7 bytes", Verdict::ayiya_truncated, ayiya_udp(filler(7, 0x00))});
  c.push_back({"DNS on UDP 5072", Verdict::ayiya_bad_header, ayiya_udp(filler(30, 0x12))});
  c.push_back({"AYIYA heartbeat", Verdict::ayiya_control, ayiya_udp(ayiya_hdr(0, kNoNext))});
  c.push_back({"AYIYA forwarding IPv4 with a byte after its total length", Verdict::ayiya_length_mismatch,
               ayiya_udp(ayiya_hdr(1, kIpip) + ipv4(kA, kB, kTcp, tcp(1, 2)) + filler(1, 0x00))});
  c.push_back({"AYIYA forwarding 20 bytes as IPv6", Verdict::ayiya_length_mismatch,
               ayiya_udp(ayiya_hdr(1, kIpv6) + filler(20, 0x60))});
  c.push_back({"GRE header of 3 bytes", Verdict::gre_truncated, eth4(kGre, filler(3, 0x00))});
  c.push_back({"GRE version 1 (PPTP)", Verdict::gre_bad_header, eth4(kGre, gre(0x880b, filler(8), Gre{}.with_flags(1)))});
  c.push_back({"GRE carrying PPP", Verdict::gre_other_protocol, eth4(kGre, gre(0x880b, filler(8)))});
  c.push_back({"IPv6 next header 4 with 12 bytes of IPv4 captured", Verdict::ip6tnl_truncated,
               prefix(eth(kEtherIpv6, ipv6(kNative, kNative, kIpip, ipv4(kA, kB, kTcp, tcp(1, 2)))), 14 + 40 + 12)});
  c.push_back({"IPv6 next header 41 carrying IPv4", Verdict::ip6tnl_bad_payload,
               eth(kEtherIpv6, ipv6(kNative, kNative, kIpv6, ipv4(kA, kB, kTcp, tcp(1, 2))))});
  // --mirror: a header fault keeps the outer flow.
  const Bytes mirrored = eth(kEtherIpv4, ipv4(kA, kB, kUdp, udp(1, 2, filler(4))));
  c.push_back({"VXLAN with the I flag clear", Verdict::vxlan_bad_header,
               eth4(kUdp, udp(40000, 4789, Bytes{0x00, 0, 0, 0, 0, 0, 1, 0} + mirrored)), LinkType::ethernet, true});
  c.push_back({"VXLAN with 5 bytes of frame", Verdict::mirror_truncated,
               eth4(kUdp, udp(40000, 4789, Bytes{0x08, 0, 0, 0, 0, 0, 1, 0} + filler(5))), LinkType::ethernet, true});
  c.push_back({"ERSPAN II of version 2", Verdict::erspan_bad_header,
               eth4(kGre, gre(0x88be, Bytes{0x20, 0, 0, 7, 0, 0, 0, 0} + mirrored, Gre{}.with_sequence(1))),
               LinkType::ethernet, true});
  c.push_back({"GRE 0x86DD carrying IPv4", Verdict::gre_bad_payload,
               eth4(kGre, gre(0x86dd, ipv4(kA, kB, kTcp, tcp(1, 2))))});
  c.push_back({"6in4 carrying IPv6 in IPv6", Verdict::tunnel_nested,
               eth4(kIpv6, ipv6(v6("2001:470:1f0a::2"), kNative, kIpv6, ipv6(kNative, kNative, kNoNext, {})))});
  return c;
}

}  // namespace

TEST_CASE("every verdict in the table comes from a hand-built packet", "[verdicts]") {
  std::set<Verdict> seen;
  for (const Case& c : cases()) {
    INFO(c.what);
    DecodeConfig cfg;
    if (c.mirrors) cfg.mirrors = tunprobe::kAllMirrors;
    const PacketInfo p = parse(c.frame, c.link, cfg);
    CHECK(p.verdict == c.verdict);
    seen.insert(p.verdict);
    // A kFlow verdict other than ok still has an IP header to key a flow on.
    if (!tunprobe::verdict_is_drop(c.verdict)) {
      CHECK(p.ip_version != 0);
      CHECK(p.protocol != 0);
    }
  }
  for (std::size_t i = 0; i < kVerdictCount; ++i) {
    INFO("no packet gives " << kVerdictInfo[i].name);
    CHECK(seen.count(static_cast<Verdict>(i)) == 1);
  }
}

TEST_CASE("verdict names are unique, non-empty and round-trip", "[verdicts]") {
  std::set<std::string_view> names;
  for (std::size_t i = 0; i < kVerdictCount; ++i) {
    const auto& info = kVerdictInfo[i];
    INFO("verdict #" << i);
    CHECK_FALSE(info.name.empty());
    CHECK_FALSE(info.description.empty());
    CHECK(names.insert(info.name).second);
    CHECK(tunprobe::verdict_name(static_cast<Verdict>(i)) == info.name);
    CHECK(tunprobe::verdict_is_drop(static_cast<Verdict>(i)) == (info.disposition == tunprobe::Disposition::kDrop));
  }
  CHECK(names.size() == kVerdictCount);
  CHECK(kVerdictInfo[0].name == "ok");
  CHECK(tunprobe::verdict_name(Verdict::tunnel_nested) == "tunnel_nested");
}

TEST_CASE("verdicts that keep the packet as a flow", "[verdicts]") {
  // The conservation rule counts these in flows: ok, every verdict after a
  // valid IP header (cut or malformed extension and transport headers), the
  // plug-ins' fallbacks (a verdict named after a tunnel type, proto41_*:
  // kept as IPv4, ip6tnl_*: kept as IPv6) and tunnel_nested. The link-layer and IP-header verdicts
  // drop.
  const auto plugin_verdict = [](std::string_view name) {
    for (const tunprobe::TunnelTypeInfo& t : tunprobe::kTunnelTypes)
      if (t.type != TunnelType::none && name.starts_with(std::string(t.name) + "_")) return true;
    return false;
  };
  for (std::size_t i = 0; i < kVerdictCount; ++i) {
    const std::string_view name = kVerdictInfo[i].name;
    const bool flow = name == "ok" || plugin_verdict(name) || name.starts_with("proto41_") || name.starts_with("ip6tnl_") ||
                      name == "tunnel_nested" || name.starts_with("ipv6_ext_") || name == "l4_truncated" ||
                      name == "tcp_bad_offset" || name == "udp_bad_length" || name.starts_with("mirror_") ||
                      name.starts_with("vxlan_") || name.starts_with("erspan_");
    INFO(name);
    CHECK(tunprobe::verdict_is_drop(static_cast<Verdict>(i)) == !flow);
  }
}

TEST_CASE("tunnel type names and IPFIX values", "[verdicts]") {
  using tunprobe::tunnel_type_from_name;
  using tunprobe::tunnel_type_name;
  const std::pair<TunnelType, std::pair<int, const char*>> table[] = {
      {TunnelType::none, {0, "none"}},     {TunnelType::teredo, {1, "teredo"}},  {TunnelType::sixtofour, {2, "6to4"}},
      {TunnelType::isatap, {3, "isatap"}}, {TunnelType::sixinfour, {4, "6in4"}}, {TunnelType::sixrd, {5, "6rd"}},
  };
  // The published values never change; new types only add rows.
  REQUIRE(std::size(table) <= tunprobe::kTunnelTypeCount);
  for (const auto& [t, vn] : table) {
    INFO(vn.second);
    CHECK(static_cast<int>(t) == vn.first);
    CHECK(tunnel_type_name(t) == vn.second);
    CHECK(tunnel_type_from_name(vn.second) == t);
  }
  CHECK_FALSE(tunnel_type_from_name("").has_value());
  CHECK_FALSE(tunnel_type_from_name("sixtofour").has_value());
  CHECK_FALSE(tunnel_type_from_name("Teredo").has_value());
}
