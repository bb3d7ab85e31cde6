// Mirrored traffic (--mirror): VXLAN (RFC 7348), ERSPAN types I, II and III
// (draft-foschiano-erspan-03) and Ethernet bridged in GRE (0x6558). The
// mirrored frame decodes as if it had arrived on the port, with the mirror
// and its session; off by default; one level; outer IPv6; the session in
// the flow key.
#include "plugins/erspan.hpp"
#include "plugins/vxlan.hpp"
#include "probe/decode/decode_config.hpp"
#include "probe/flow/flow_record.hpp"
#include "support.hpp"

using namespace tb;
using tunprobe::MirrorType;

namespace {

const uint32_t kProbeA = v4("192.0.2.1");
const uint32_t kProbeB = v4("198.51.100.2");
const A6 kTeredoClient = v6("2001:0:4136:e378:8000:63bf:3fff:fdd2");
const A6 kNative = v6("2a00:1450:4001:81b::200e");

// The frame a SPAN port would have given: Teredo from a client to a relay.
const Bytes kTeredo = eth(kEtherIpv4, ipv4(v4("203.0.113.7"), v4("192.88.99.9"), kUdp,
                                           udp(40000, 3544, ipv6(kTeredoClient, kNative, kTcp, tcp(50000, 443, 0x02)))));

DecodeConfig mirrors(const char* text = "auto") {
  DecodeConfig cfg;
  REQUIRE(tunprobe::parse_mirrors(text, cfg).empty());
  return cfg;
}

Bytes vxlan(const Bytes& frame, uint32_t vni, uint8_t flags = 0x08) {
  Bytes h{flags, 0, 0, 0};
  push32(h, vni << 8);
  return eth(kEtherIpv4, ipv4(kProbeA, kProbeB, kUdp, udp(51234, 4789, h + frame)));
}

Bytes erspan2(const Bytes& frame, uint16_t session) {
  Bytes h;
  push16(h, 0x1000 | 100);  // version 1, VLAN 100
  push16(h, session & 0x3ff);
  push32(h, 0);
  return eth(kEtherIpv4, ipv4(kProbeA, kProbeB, kGre, gre(0x88be, h + frame, Gre{}.with_sequence(5))));
}

Bytes erspan3(const Bytes& frame, uint16_t session, uint8_t frame_type, bool subheader) {
  Bytes h;
  push16(h, 0x2000);
  push16(h, session & 0x3ff);
  push32(h, 0x01020304);  // timestamp
  push16(h, 0);           // SGT
  h.push_back(static_cast<uint8_t>(frame_type << 2));
  h.push_back(subheader ? 1 : 0);
  if (subheader) h = h + filler(8, 0xee);
  return eth(kEtherIpv4, ipv4(kProbeA, kProbeB, kGre, gre(0x22eb, h + frame)));
}

void check_teredo_frame(const PacketInfo& p) {
  CHECK(p.verdict == Verdict::ok);
  CHECK(p.tunnel == TunnelType::teredo);
  CHECK(p.outer_src4 == v4("203.0.113.7"));
  CHECK(p.outer_dst4 == v4("192.88.99.9"));
  CHECK(p.dport == 443);
}

}  // namespace

TEST_CASE("a Teredo packet inside VXLAN is a Teredo flow with the VNI", "[mirror]") {
  const PacketInfo p = parse_cfg(vxlan(kTeredo, 5001), mirrors());
  check_teredo_frame(p);
  CHECK(p.mirror == MirrorType::vxlan);
  CHECK(p.observation_id == 5001);
  // Off by default, and --mirror erspan does not unwrap VXLAN: a UDP flow.
  for (const DecodeConfig& cfg : {DecodeConfig{}, mirrors("erspan,teb")}) {
    const PacketInfo off = parse_cfg(vxlan(kTeredo, 5001), cfg);
    CHECK(off.mirror == MirrorType::none);
    CHECK(off.tunnel == TunnelType::none);
    CHECK(off.dport == 4789);
    CHECK(off.verdict == Verdict::ok);
  }
  // Another port only when asked.
  DecodeConfig linux_port = mirrors("vxlan");
  REQUIRE(tunprobe::parse_vxlan_ports("8472", linux_port).empty());
  CHECK(parse_cfg(vxlan(kTeredo, 1), linux_port).mirror == MirrorType::none);
  CHECK(tunprobe::parse_vxlan_ports("x", linux_port) == "--vxlan-ports: 'x' is not a port (1..65535)");
}

TEST_CASE("ERSPAN types I, II and III and Ethernet in GRE", "[mirror]") {
  const DecodeConfig cfg = mirrors();
  {
    const PacketInfo p = parse_cfg(erspan2(kTeredo, 7), cfg);
    check_teredo_frame(p);
    CHECK(p.mirror == MirrorType::erspan2);
    CHECK(p.observation_id == 7);
  }
  {
    const PacketInfo p =
        parse_cfg(eth(kEtherIpv4, ipv4(kProbeA, kProbeB, kGre, gre(0x88be, kTeredo))), cfg);  // no S bit
    check_teredo_frame(p);
    CHECK(p.mirror == MirrorType::erspan1);
    CHECK(p.observation_id == 0);
  }
  for (const bool sub : {false, true}) {
    INFO("subheader " << sub);
    const PacketInfo p = parse_cfg(erspan3(kTeredo, 1023, 0, sub), cfg);
    check_teredo_frame(p);
    CHECK(p.mirror == MirrorType::erspan3);
    CHECK(p.observation_id == 1023);
  }
  {
    // Frame type 2: an IP packet without its Ethernet header.
    const Bytes ip = ipv6(kNative, kTeredoClient, kUdp, udp(53, 40000, filler(20)));
    const PacketInfo p = parse_cfg(erspan3(ip, 9, 2, false), cfg);
    CHECK(p.verdict == Verdict::ok);
    CHECK(p.ip_version == 6);
    CHECK(p.sport == 53);
    CHECK(p.mirror == MirrorType::erspan3);
    CHECK(parse_cfg(erspan3(ip, 9, 5, false), cfg).verdict == Verdict::erspan_bad_header);
  }
  {
    const PacketInfo p =
        parse_cfg(eth(kEtherIpv4, ipv4(kProbeA, kProbeB, kGre, gre(0x6558, kTeredo, Gre{}.with_key(0x00abcdef)))), cfg);
    check_teredo_frame(p);
    CHECK(p.mirror == MirrorType::teb);
    CHECK(p.observation_id == 0x00abcdef);
  }
  // Without --mirror: the GRE flow of an unknown protocol type.
  const PacketInfo off = parse(erspan2(kTeredo, 7));
  CHECK(off.verdict == Verdict::gre_other_protocol);
  CHECK(off.protocol == kGre);
  CHECK(off.mirror == MirrorType::none);
}

TEST_CASE("mirrors: one level, outer IPv6, faults keep the outer flow, the frame's own verdict", "[mirror]") {
  const DecodeConfig cfg = mirrors();
  // VXLAN inside a mirrored frame is that frame's UDP flow.
  const PacketInfo twice = parse_cfg(erspan2(vxlan(kTeredo, 5), 3), cfg);
  CHECK(twice.mirror == MirrorType::erspan2);
  CHECK(twice.observation_id == 3);
  CHECK(twice.tunnel == TunnelType::none);
  CHECK(twice.dport == 4789);
  // Over IPv6.
  Bytes h{0x08, 0, 0, 0};
  push32(h, 77u << 8);
  const PacketInfo over6 =
      parse(eth(kEtherIpv6, ipv6(v6("2001:db8::1"), v6("2001:db8::2"), kUdp, udp(1000, 4789, h + kTeredo))),
            LinkType::ethernet, cfg);
  check_teredo_frame(over6);
  CHECK(over6.mirror == MirrorType::vxlan);
  CHECK(over6.observation_id == 77);
  // A mirrored ARP frame is what ARP on the port is: non_ip, counted.
  Bytes arp = eth(0x0806, filler(28));
  const PacketInfo a = parse_cfg(vxlan(arp, 9), cfg);
  CHECK(a.verdict == Verdict::non_ip);
  CHECK(a.mirror == MirrorType::vxlan);
  // Cut mirror headers: the outer UDP or GRE flow with a verdict.
  for (std::size_t cut = 8; cut < 8 + 14; ++cut) {
    INFO("VXLAN payload of " << cut);
    const PacketInfo p = parse_cfg(vxlan(prefix(kTeredo, cut - 8), 1), cfg);
    CHECK(p.verdict == Verdict::mirror_truncated);
    CHECK(p.dport == 4789);
    CHECK(p.mirror == MirrorType::none);
  }
  const PacketInfo flag = parse_cfg(vxlan(kTeredo, 1, 0x00), cfg);
  CHECK(flag.verdict == Verdict::vxlan_bad_header);
  CHECK(flag.protocol == kUdp);
  DecodeConfig bad;
  CHECK(tunprobe::parse_mirrors("vxlan,span", bad) ==
        "--mirror: 'span' is not a mirror (vxlan, erspan, teb; or auto, none)");
}

TEST_CASE("the mirror and its session are part of the flow key", "[mirror]") {
  const DecodeConfig cfg = mirrors();
  tunprobe::FlowKey a{}, b{}, c{};
  tunprobe::make_key(parse_cfg(vxlan(kTeredo, 1), cfg), a);
  tunprobe::make_key(parse_cfg(vxlan(kTeredo, 2), cfg), b);
  tunprobe::make_key(parse_cfg(erspan2(kTeredo, 1), cfg), c);
  CHECK_FALSE(tunprobe::key_equal(a, b));
  CHECK_FALSE(tunprobe::key_equal(a, c));
  CHECK(a.observation_id == 1);
  CHECK(a.mirror == MirrorType::vxlan);
  tunprobe::FlowKey again{};
  tunprobe::make_key(parse_cfg(vxlan(kTeredo, 1), cfg), again);
  CHECK(tunprobe::key_equal(a, again));
}
