#include "probe/base/protocols.hpp"

#include <cstring>
#include "probe/records/flow_json.hpp"

#include "probe/decode/plugin.hpp"
#include "probe/base/json_writer.hpp"
#include "probe/decode/packet_json.hpp"

namespace tunprobe {

void derive_tunnel_facts(const FlowRecord& rec, const DecodeConfig& cfg, PacketInfo& out) noexcept {
  const FlowKey& key = rec.key;
  out.tunnel = key.tunnel;
  if (record_has_outer_ipv6(rec)) {
    std::memcpy(out.outer_src6, rec.outer_src6, 16);
    std::memcpy(out.outer_dst6, rec.outer_dst6, 16);
  }
  out.outer_src4 = key.outer_src4;
  out.outer_dst4 = key.outer_dst4;
  out.outer_sport = key.outer_sport;
  out.outer_dport = key.outer_dport;
  out.gre_key_present = (key.flags & kKeyGreKey) != 0;
  tunnel_facts_from_key(key.tunnel, key.src, key.dst, cfg, out);
}

void append_flow_json(std::string& out, const FlowRecord& r, const DecodeConfig& cfg) {
  const FlowKey& k = r.key;
  JsonObject o(out);
  o.num("flowStartMilliseconds", r.first_ms);
  o.num("flowEndMilliseconds", last_ms(r));
  o.str("flowEndReason", end_reason_name(r.end_reason));
  o.num("packetDeltaCount", r.packets);
  o.num("octetDeltaCount", r.octets);
  if (k.vlan_outer != 0) o.num("vlanId", k.vlan_outer);
  if (k.vlan_inner != 0) o.num("dot1qCustomerVlanId", k.vlan_inner);
  if (k.mirror != MirrorType::none) {
    o.str("mirrorType", mirror_type_name(k.mirror));
    o.num("observationPointId", k.observation_id);
  }
  o.str("tunnelType", tunnel_type_name(k.tunnel));
  if (k.tunnel != TunnelType::none) {
    PacketInfo facts;
    derive_tunnel_facts(r, cfg, facts);
    append_tunnel_fields(o, facts);
    o.num("tunnelOctetDeltaCount", r.outer_octets);
    if (k.tunnel == TunnelType::teredo) {
      o.num("teredoBubbleCount", r.teredo_bubbles);
      o.num("teredoAuthCount", r.teredo_auth);
      o.num("teredoOriginCount", r.teredo_origin);
    }
  }
  o.num("ipVersion", k.ip_version);
  const bool v4 = k.ip_version == 4;
  o.str(v4 ? "sourceIPv4Address" : "sourceIPv6Address", format_ip(k.src, k.ip_version));
  o.str(v4 ? "destinationIPv4Address" : "destinationIPv6Address", format_ip(k.dst, k.ip_version));
  o.num("protocolIdentifier", k.protocol);
  if (k.flags & kKeyNoTransport) {
    // No transport header was seen (a later fragment without its first):
    // no ports, no ICMP type, rather than a made-up 0.
    o.boolean("transportHeaderMissing", true);
  } else if (is_icmp_protocol(k.protocol)) {
    o.num(v4 ? "icmpTypeIPv4" : "icmpTypeIPv6", k.dport >> 8);
    o.num(v4 ? "icmpCodeIPv4" : "icmpCodeIPv6", k.dport & 0xff);
    // The IPFIX element (type * 256 + code): what nfdump and IPFIX carry.
    o.num(v4 ? "icmpTypeCodeIPv4" : "icmpTypeCodeIPv6", k.dport);
  } else {
    o.num("sourceTransportPort", k.sport);
    o.num("destinationTransportPort", k.dport);
  }
  if (k.protocol == kIpProtoTcp) o.num("tcpControlBits", r.tcp_flags);
  o.num("ipClassOfService", r.tos);
  o.num("minimumTTL", r.min_ttl);
  o.num("maximumTTL", r.max_ttl);
  if (!v4) {
    o.str("sourceAddressClass", addr_class_name(r.src_class));
    o.str("destinationAddressClass", addr_class_name(r.dst_class));
  }
  o.num("worker", r.worker);
}

}  // namespace tunprobe
