// Link layers: Ethernet, 802.1Q/QinQ, MPLS, PPPoE, Linux SLL, DLT_NULL,
// raw IP; and every truncation of the tagged/encapsulated frames.
#include "support.hpp"

using namespace tb;

namespace {

const uint32_t kA = v4("192.0.2.1");
const uint32_t kB = v4("198.51.100.2");
const A6 kS6 = v6("2a00:1450:4001:81b::200e");
const A6 kD6 = v6("2a02:26f0:fd::5c7a:c14b");

Bytes ip4_tcp() { return ipv4(kA, kB, kTcp, tcp(40001, 443, 0x12, filler(6))); }
Bytes ip6_udp() { return ipv6(kS6, kD6, kUdp, udp(5353, 53, filler(6))); }

void check_ip4_tcp(const PacketInfo& p) {
  CHECK(p.ip_version == 4);
  CHECK(tunprobe::ipv4_of(p.src) == kA);
  CHECK(tunprobe::ipv4_of(p.dst) == kB);
  CHECK(p.protocol == kTcp);
  CHECK(p.has_ports);
  CHECK(p.sport == 40001);
  CHECK(p.dport == 443);
  CHECK(p.tcp_flags == 0x12);
  CHECK(p.ip_length == 20 + 20 + 6);
  CHECK(p.tunnel == TunnelType::none);
}

void check_ip6_udp(const PacketInfo& p) {
  CHECK(p.ip_version == 6);
  CHECK(s6(p.src) == "2a00:1450:4001:81b::200e");
  CHECK(s6(p.dst) == "2a02:26f0:fd::5c7a:c14b");
  CHECK(p.protocol == kUdp);
  CHECK(p.has_ports);
  CHECK(p.sport == 5353);
  CHECK(p.dport == 53);
  CHECK(p.ip_length == 40 + 8 + 6);
  CHECK(p.tunnel == TunnelType::none);
}

}  // namespace

TEST_CASE("Ethernet carries IPv4 and IPv6", "[l2]") {
  PacketInfo p = parse(eth(kEtherIpv4, ip4_tcp()));
  CHECK(p.verdict == Verdict::ok);
  check_ip4_tcp(p);
  CHECK(p.vlan_count == 0);
  CHECK_FALSE(p.has_mpls);

  p = parse(eth(kEtherIpv6, ip6_udp()));
  CHECK(p.verdict == Verdict::ok);
  check_ip6_udp(p);
}

TEST_CASE("Ethernet: what is not IP", "[l2]") {
  CHECK(parse(eth(kEtherArp, filler(28))).verdict == Verdict::non_ip);
  CHECK(parse(eth(kEtherLldp, filler(20))).verdict == Verdict::non_ip);
  CHECK(parse(eth(0x0600, filler(46))).verdict == Verdict::non_ip);  // 802.3 length field
  CHECK(parse(eth(kEtherArp, {})).verdict == Verdict::non_ip);
}

TEST_CASE("Ethernet: header cut and empty payloads", "[l2]") {
  for (std::size_t n = 0; n < 14; ++n) {
    INFO(n);
    CHECK(parse(prefix(eth(kEtherIpv4, ip4_tcp()), n)).verdict == Verdict::frame_truncated);
  }
  CHECK(parse(eth(kEtherIpv4, {})).verdict == Verdict::ipv4_truncated);
  CHECK(parse(eth(kEtherIpv6, {})).verdict == Verdict::ipv6_truncated);
}

TEST_CASE("Ethernet: the EtherType decides the IP version", "[l2]") {
  CHECK(parse(eth(kEtherIpv4, ip6_udp())).verdict == Verdict::ip_bad_version);
  // An IPv4 header under the IPv6 EtherType, long enough to be an IPv6 header.
  CHECK(parse(eth(kEtherIpv6, ip4_tcp())).verdict == Verdict::ip_bad_version);
  // Shorter than an IPv6 header: cut comes first.
  CHECK(parse(eth(kEtherIpv6, ipv4(kA, kB, kUdp, udp(1, 2)))).verdict == Verdict::ipv6_truncated);
}

TEST_CASE("Ethernet padding beyond the IP length is ignored", "[l2]") {
  // A 60-byte minimum frame around a 28-byte IPv4/UDP packet.
  const Bytes small = ipv4(kA, kB, kUdp, udp(1000, 2000));
  Bytes frame = eth(kEtherIpv4, small);
  frame.resize(60, 0x00);
  PacketInfo p = parse(frame);
  CHECK(p.verdict == Verdict::ok);
  CHECK(p.ip_length == 28);
  CHECK(p.sport == 1000);
  CHECK(p.dport == 2000);

  Bytes frame6 = eth(kEtherIpv6, ipv6(kS6, kD6, kUdp, udp(1, 2)));
  frame6.resize(frame6.size() + 10, 0xee);
  p = parse(frame6);
  CHECK(p.verdict == Verdict::ok);
  CHECK(p.ip_length == 48);
}

TEST_CASE("parse_frame resets the PacketInfo it fills", "[l2]") {
  PacketInfo p;
  p.verdict = Verdict::tunnel_nested;
  p.vlan_count = 2;
  p.tunnel = TunnelType::teredo;
  p.has_ports = true;
  p.relay4 = 7;
  p.teredo.bubble = true;
  p.src_class = AddrClass::teredo;
  const Bytes frame = eth(kEtherArp, filler(28));
  tunprobe::parse_frame(frame.data(), frame.size(), LinkType::ethernet, {}, p);
  CHECK(p.verdict == Verdict::non_ip);
  CHECK(p.vlan_count == 0);
  CHECK(p.tunnel == TunnelType::none);
  CHECK_FALSE(p.has_ports);
  CHECK(p.relay4 == 0);
  CHECK_FALSE(p.teredo.bubble);
  CHECK(p.src_class == AddrClass::none);
}

TEST_CASE("802.1Q and QinQ tags", "[l2]") {
  SECTION("one 802.1Q tag; PCP bits are not part of the id") {
    const PacketInfo p = parse(eth_vlan({{kEtherVlan, 100}}, kEtherIpv4, ip4_tcp(), 7));
    CHECK(p.verdict == Verdict::ok);
    CHECK(p.vlan_count == 1);
    CHECK(p.vlan_outer == 100);
    CHECK(p.vlan_inner == 0);
    check_ip4_tcp(p);
  }
  SECTION("802.1ad QinQ") {
    const PacketInfo p = parse(eth_vlan({{kEtherQinQ, 4094}, {kEtherVlan, 1}}, kEtherIpv6, ip6_udp()));
    CHECK(p.verdict == Verdict::ok);
    CHECK(p.vlan_count == 2);
    CHECK(p.vlan_outer == 4094);
    CHECK(p.vlan_inner == 1);
    check_ip6_udp(p);
  }
  SECTION("pre-standard 0x9100 QinQ") {
    const PacketInfo p = parse(eth_vlan({{kEtherQinQOld, 7}, {kEtherVlan, 8}}, kEtherIpv4, ip4_tcp()));
    CHECK(p.verdict == Verdict::ok);
    CHECK(p.vlan_count == 2);
    CHECK(p.vlan_outer == 7);
    CHECK(p.vlan_inner == 8);
  }
  SECTION("a third tag is too deep, whatever its TPID") {
    for (uint16_t tpid : {kEtherVlan, kEtherQinQ, kEtherQinQOld}) {
      const PacketInfo p = parse(eth_vlan({{kEtherQinQ, 10}, {kEtherVlan, 20}, {tpid, 30}}, kEtherIpv4, ip4_tcp()));
      CHECK(p.verdict == Verdict::vlan_too_deep);
      CHECK(p.vlan_count == 2);
    }
  }
  SECTION("VLAN carrying ARP") {
    const PacketInfo p = parse(eth_vlan({{kEtherVlan, 5}}, kEtherArp, filler(28)));
    CHECK(p.verdict == Verdict::non_ip);
    CHECK(p.vlan_outer == 5);
  }
}

TEST_CASE("MPLS label stacks", "[l2]") {
  SECTION("one label, IPv4") {
    const PacketInfo p = parse(eth(kEtherMpls, mpls({16000}, ip4_tcp())));
    CHECK(p.verdict == Verdict::ok);
    CHECK(p.has_mpls);
    CHECK(p.mpls_top_label == 16000);
    check_ip4_tcp(p);
  }
  SECTION("three labels, IPv6: the top label is the first") {
    const PacketInfo p = parse(eth(kEtherMpls, mpls({0xfffff, 2, 3}, ip6_udp())));
    CHECK(p.verdict == Verdict::ok);
    CHECK(p.mpls_top_label == 0xfffff);
    check_ip6_udp(p);
  }
  SECTION("eight labels is the limit") {
    CHECK(parse(eth(kEtherMpls, mpls({1, 2, 3, 4, 5, 6, 7, 8}, ip4_tcp()))).verdict == Verdict::ok);
    CHECK(parse(eth(kEtherMpls, mpls({1, 2, 3, 4, 5, 6, 7, 8, 9}, ip4_tcp()))).verdict == Verdict::mpls_too_deep);
    // Eight labels and no bottom of stack: a ninth would be needed.
    CHECK(parse(eth(kEtherMpls, mpls({1, 2, 3, 4, 5, 6, 7, 8}, ip4_tcp(), false))).verdict == Verdict::mpls_too_deep);
  }
  SECTION("payload neither IPv4 nor IPv6") {
    const PacketInfo p =
        parse(eth(kEtherMpls, mpls({100}, Bytes{0x00, 0x00, 0x00, 0x00} + eth(kEtherIpv4, ip4_tcp()))));
    CHECK(p.verdict == Verdict::mpls_unknown_payload);
    CHECK(p.mpls_top_label == 100);
    CHECK(parse(eth(kEtherMpls, mpls({100}, Bytes{0x55}))).verdict == Verdict::mpls_unknown_payload);
  }
  SECTION("stack with nothing after it") {
    CHECK(parse(eth(kEtherMpls, mpls({100}, {}))).verdict == Verdict::mpls_truncated);
    CHECK(parse(eth(kEtherMpls, {})).verdict == Verdict::mpls_truncated);
  }
  SECTION("after VLAN tags") {
    const PacketInfo p = parse(eth_vlan({{kEtherVlan, 12}}, kEtherMpls, mpls({300, 301}, ip4_tcp())));
    CHECK(p.verdict == Verdict::ok);
    CHECK(p.vlan_outer == 12);
    CHECK(p.mpls_top_label == 300);
  }
}

TEST_CASE("PPPoE sessions", "[l2]") {
  PacketInfo p = parse(eth(kEtherPppoeSession, pppoe(kPppIpv4, ip4_tcp())));
  CHECK(p.verdict == Verdict::ok);
  check_ip4_tcp(p);

  p = parse(eth(kEtherPppoeSession, pppoe(kPppIpv6, ip6_udp())));
  CHECK(p.verdict == Verdict::ok);
  check_ip6_udp(p);

  CHECK(parse(eth(kEtherPppoeSession, pppoe(kPppLcp, filler(10)))).verdict == Verdict::non_ip);
  // The PPP protocol says the version: an IPv6 packet under PPP IPv4.
  CHECK(parse(eth(kEtherPppoeSession, pppoe(kPppIpv4, ip6_udp()))).verdict == Verdict::ip_bad_version);

  p = parse(eth_vlan({{kEtherVlan, 7}}, kEtherPppoeSession, pppoe(kPppIpv4, ip4_tcp())));
  CHECK(p.verdict == Verdict::ok);
  CHECK(p.vlan_outer == 7);
  check_ip4_tcp(p);
}

TEST_CASE("Linux cooked capture", "[l2]") {
  PacketInfo p = parse(sll(kEtherIpv4, ip4_tcp()), LinkType::linux_sll);
  CHECK(p.verdict == Verdict::ok);
  check_ip4_tcp(p);
  p = parse(sll(kEtherIpv6, ip6_udp()), LinkType::linux_sll);
  CHECK(p.verdict == Verdict::ok);
  check_ip6_udp(p);
  p = parse(sll(kEtherVlan, Bytes{0x00, 0x2a} + Bytes{0x08, 0x00} + ip4_tcp()), LinkType::linux_sll);
  CHECK(p.verdict == Verdict::ok);
  CHECK(p.vlan_outer == 42);
  CHECK(parse(sll(kEtherArp, filler(28)), LinkType::linux_sll).verdict == Verdict::non_ip);
  for (std::size_t n = 0; n < 16; ++n) {
    INFO(n);
    CHECK(parse(prefix(sll(kEtherIpv4, ip4_tcp()), n), LinkType::linux_sll).verdict == Verdict::frame_truncated);
  }
  CHECK(parse(sll(kEtherIpv4, {}), LinkType::linux_sll).verdict == Verdict::ipv4_truncated);
}

TEST_CASE("DLT_NULL address families in either byte order", "[l2]") {
  for (bool le : {true, false}) {
    INFO("little endian: " << le);
    PacketInfo p = parse(null_bsd(2, le, ip4_tcp()), LinkType::null_bsd);
    CHECK(p.verdict == Verdict::ok);
    check_ip4_tcp(p);
    for (uint32_t af : {10u, 24u, 28u, 30u}) {
      INFO("AF " << af);
      p = parse(null_bsd(af, le, ip6_udp()), LinkType::null_bsd);
      CHECK(p.verdict == Verdict::ok);
      check_ip6_udp(p);
    }
    CHECK(parse(null_bsd(7, le, ip4_tcp()), LinkType::null_bsd).verdict == Verdict::non_ip);
    CHECK(parse(null_bsd(2, le, {}), LinkType::null_bsd).verdict == Verdict::ipv4_truncated);
    CHECK(parse(null_bsd(30, le, {}), LinkType::null_bsd).verdict == Verdict::ipv6_truncated);
  }
  CHECK(parse(null_bsd(0, true, ip4_tcp()), LinkType::null_bsd).verdict == Verdict::non_ip);
  for (std::size_t n = 0; n < 4; ++n)
    CHECK(parse(prefix(null_bsd(2, true, ip4_tcp()), n), LinkType::null_bsd).verdict == Verdict::frame_truncated);
}

TEST_CASE("raw IP takes the version nibble", "[l2]") {
  PacketInfo p = parse(ip4_tcp(), LinkType::raw_ip);
  CHECK(p.verdict == Verdict::ok);
  check_ip4_tcp(p);
  p = parse(ip6_udp(), LinkType::raw_ip);
  CHECK(p.verdict == Verdict::ok);
  check_ip6_udp(p);
  CHECK(parse({}, LinkType::raw_ip).verdict == Verdict::ipv4_truncated);
  CHECK(parse(Bytes{0x45}, LinkType::raw_ip).verdict == Verdict::ipv4_truncated);
  CHECK(parse(Bytes{0x60}, LinkType::raw_ip).verdict == Verdict::ipv6_truncated);
  CHECK(parse(ipv4(kA, kB, kTcp, tcp(1, 2), V4{.version = 5}), LinkType::raw_ip).verdict == Verdict::ip_bad_version);
  CHECK(parse(Bytes{0x00}, LinkType::raw_ip).verdict == Verdict::ip_bad_version);
}

// ---------------------------------------------------------------- truncation

TEST_CASE("802.1Q frame cut at every byte", "[l2][truncation]") {
  const Bytes f = eth_vlan({{kEtherVlan, 100}}, kEtherIpv4, ip4_tcp());
  REQUIRE(f.size() == 14 + 4 + 20 + 20 + 6);
  const auto tagged = [](const PacketInfo& p) {
    CHECK(p.vlan_count == 1);
    CHECK(p.vlan_outer == 100);
  };
  check_every_cut(f, {
                         {14, Verdict::frame_truncated},         // MACs, TPID
                         {18, Verdict::vlan_truncated},          // TCI, EtherType
                         {38, Verdict::ipv4_truncated, tagged},  // IPv4 header
                         {58, Verdict::l4_truncated, tagged},    // TCP header
                         {f.size(), Verdict::ok,
                          [&](const PacketInfo& p) {  // payload
                            tagged(p);
                            check_ip4_tcp(p);
                          }},
                     });
}

TEST_CASE("QinQ frame cut at every byte", "[l2][truncation]") {
  const Bytes f = eth_vlan({{kEtherQinQ, 300}, {kEtherVlan, 400}}, kEtherIpv6, ip6_udp());
  REQUIRE(f.size() == 14 + 8 + 40 + 8 + 6);
  check_every_cut(f, {
                         {14, Verdict::frame_truncated},
                         {18, Verdict::vlan_truncated},  // outer tag
                         {22, Verdict::vlan_truncated,   // inner tag
                          [](const PacketInfo& p) {
                            CHECK(p.vlan_count == 1);
                            CHECK(p.vlan_outer == 300);
                          }},
                         {62, Verdict::ipv6_truncated,
                          [](const PacketInfo& p) {
                            CHECK(p.vlan_count == 2);
                            CHECK(p.vlan_inner == 400);
                          }},
                         {70, Verdict::l4_truncated},  // UDP header
                         {f.size(), Verdict::ok, check_ip6_udp},
                     });
}

TEST_CASE("MPLS frame cut at every byte", "[l2][truncation]") {
  const Bytes f = eth(kEtherMpls, mpls({100, 200, 300}, ip4_tcp()));
  REQUIRE(f.size() == 14 + 12 + 46);
  const auto labelled = [](const PacketInfo& p) {
    CHECK(p.has_mpls);
    CHECK(p.mpls_top_label == 100);
  };
  check_every_cut(f, {
                         {14, Verdict::frame_truncated},
                         {14 + 4, Verdict::mpls_truncated},  // inside the top label
                         // Inside the rest of the stack, and right after it: no version nibble yet.
                         {14 + 12 + 1, Verdict::mpls_truncated, labelled},
                         {46, Verdict::ipv4_truncated, labelled},
                         {66, Verdict::l4_truncated, labelled},
                         {f.size(), Verdict::ok,
                          [&](const PacketInfo& p) {
                            labelled(p);
                            check_ip4_tcp(p);
                          }},
                     });
}

TEST_CASE("PPPoE frame cut at every byte", "[l2][truncation]") {
  const Bytes f = eth(kEtherPppoeSession, pppoe(kPppIpv6, ipv6(kS6, kD6, kIcmpv6, icmp(128, 0, filler(4)))));
  REQUIRE(f.size() == 14 + 8 + 40 + 8 + 4);
  check_every_cut(f, {
                         {14, Verdict::frame_truncated},
                         {22, Verdict::pppoe_truncated},
                         {62, Verdict::ipv6_truncated},
                         {66, Verdict::l4_truncated},  // ICMPv6 type, code, checksum
                         {f.size(), Verdict::ok,
                          [](const PacketInfo& p) {
                            CHECK(p.has_icmp);
                            CHECK(p.icmp_type == 128);
                            CHECK(p.icmp_code == 0);
                            CHECK(p.protocol == kIcmpv6);
                            CHECK(p.ip_length == 52);  // from the header, not the cut
                          }},
                     });
}

TEST_CASE("Linux SLL frame with a VLAN tag cut at every byte", "[l2][truncation]") {
  const Bytes f = sll(kEtherVlan, Bytes{0x00, 0x2a, 0x08, 0x00} + ip4_tcp());
  check_every_cut(f,
                  {
                      {16, Verdict::frame_truncated},
                      {20, Verdict::vlan_truncated},
                      {40, Verdict::ipv4_truncated},
                      {60, Verdict::l4_truncated},
                      {f.size(), Verdict::ok, check_ip4_tcp},
                  },
                  LinkType::linux_sll);
}
