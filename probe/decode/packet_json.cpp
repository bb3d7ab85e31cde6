#include "probe/base/protocols.hpp"
#include "probe/decode/packet_json.hpp"

#include <fmt/format.h>

#include "probe/base/address_text.hpp"
#include "probe/base/json_writer.hpp"

namespace tunprobe {

std::string format_ip(const uint8_t addr[16], unsigned version) {
  return version == 4 ? ipv4_text(ipv4_of(addr)) : ipv6_text(addr);
}


void append_tunnel_fields(JsonObject& o, const PacketInfo& p) {
  if (tunnel_has_outer_ipv6(p.tunnel)) {
    o.str("tunnelSourceIPv6Address", ipv6_text(p.outer_src6));
    o.str("tunnelDestinationIPv6Address", ipv6_text(p.outer_dst6));
    return;
  }
  o.str("tunnelSourceIPv4Address", ipv4_text(p.outer_src4));
  o.str("tunnelDestinationIPv4Address", ipv4_text(p.outer_dst4));
  if (tunnel_has_outer_ports(p.tunnel)) {
    o.num("tunnelSourceTransportPort", p.outer_sport);
    o.num("tunnelDestinationTransportPort", p.outer_dport);
  }
  if (p.gre_key_present) o.num("greKey", gre_key(p));
  if (p.tunnel == TunnelType::teredo) {
    const TeredoInfo& t = p.teredo;
    if (t.has_address) {
      o.str("teredoServerIPv4Address", ipv4_text(t.server_ipv4));
      o.str("teredoClientIPv4Address", ipv4_text(t.client_ipv4));
      o.num("teredoClientPort", t.client_port);
      o.num("teredoFlags", t.flags);
    }
    return;
  }
  if (p.embedded_src4 != 0) o.str("embeddedSourceIPv4Address", ipv4_text(p.embedded_src4));
  if (p.embedded_dst4 != 0) o.str("embeddedDestinationIPv4Address", ipv4_text(p.embedded_dst4));
  if (p.relay4 != 0) o.str("tunnelRelayIPv4Address", ipv4_text(p.relay4));
}

void append_packet_json(std::string& out, uint64_t index, uint64_t ts_ns, const PacketInfo& p) {
  JsonObject o(out);
  o.num("index", index);
  o.raw("timestamp", fmt::format("{}.{:09}", ts_ns / 1000000000u, ts_ns % 1000000000u));
  o.str("verdict", verdict_name(p.verdict));
  if (p.vlan_count >= 1) o.num("vlanId", p.vlan_outer);
  if (p.vlan_count >= 2) o.num("dot1qCustomerVlanId", p.vlan_inner);
  if (p.has_mpls) o.num("mplsTopLabel", p.mpls_top_label);
  if (p.mirror != MirrorType::none) {
    o.str("mirrorType", mirror_type_name(p.mirror));
    o.num("observationPointId", p.observation_id);
  }
  if (verdict_is_drop(p.verdict)) return;

  o.str("tunnelType", tunnel_type_name(p.tunnel));
  if (p.tunnel != TunnelType::none) append_tunnel_fields(o, p);
  if (p.tunnel == TunnelType::teredo) {
    o.boolean("teredoBubble", p.teredo.bubble);
    o.boolean("teredoAuth", p.teredo.auth);
    o.boolean("teredoOrigin", p.teredo.origin);
    // RFC 6081 trailers, as the kTeredoTrailer* bits (probe/decode/packet.hpp).
    o.num("teredoTrailers", p.teredo.trailers);
    if (p.teredo.origin) {
      o.str("teredoOriginIPv4Address", ipv4_text(p.teredo.origin_ipv4));
      o.num("teredoOriginPort", p.teredo.origin_port);
    }
  }
  o.num("ipVersion", p.ip_version);
  const bool v4 = p.ip_version == 4;
  o.str(v4 ? "sourceIPv4Address" : "sourceIPv6Address", format_ip(p.src, p.ip_version));
  o.str(v4 ? "destinationIPv4Address" : "destinationIPv6Address", format_ip(p.dst, p.ip_version));
  o.num("protocolIdentifier", p.protocol);
  o.num("ipClassOfService", p.tos);
  o.num("ipTTL", p.ttl);
  o.num("ipTotalLength", p.ip_length);
  if (p.is_fragment) {
    o.num("fragmentIdentification", p.frag_id);
    o.num("fragmentOffset", p.frag_offset);
    o.boolean("firstFragment", p.first_fragment);
  }
  if (p.has_ports) {
    o.num("sourceTransportPort", p.sport);
    o.num("destinationTransportPort", p.dport);
  }
  if (p.protocol == kIpProtoTcp && p.has_tcp_flags) o.num("tcpControlBits", p.tcp_flags);
  if (p.has_icmp) {
    o.num(v4 ? "icmpTypeIPv4" : "icmpTypeIPv6", p.icmp_type);
    o.num(v4 ? "icmpCodeIPv4" : "icmpCodeIPv6", p.icmp_code);
  }
  if (!v4) {
    o.str("sourceAddressClass", addr_class_name(p.src_class));
    o.str("destinationAddressClass", addr_class_name(p.dst_class));
  }
}

}  // namespace tunprobe
