#include "probe/base/protocols.hpp"
#include "probe/records/ipfix_elements.hpp"

#include <fixbuf/public.h>

#include <cstring>
#include <fmt/format.h>
#include <vector>

#include "probe/records/flow_json.hpp"

namespace tunprobe::ipfix {

namespace {

// The value tables of the generated model are read from the X-macro tables
// (tunnel types, address classes) by templates/generate.py; their headers
// check that each value is its row's index.

constexpr uint8_t kTypeIpv6 = 19;

// Types whose values libfixbuf swaps (unsigned/signed 16..64, floats,
// dateTime*, ipv4Address): FB_IE_F_ENDIAN.
constexpr bool endian_type(uint8_t type) { return (type >= 2 && type <= 10 && type != 5) || (type >= 14 && type <= 18); }

struct Facts {
  const FlowRecord& r;
  const DecodeConfig& cfg;
  bool derived = false;
  PacketInfo tunnel;

  const PacketInfo& t() {
    if (!derived) {
      derive_tunnel_facts(r, cfg, tunnel);
      derived = true;
    }
    return tunnel;
  }
};

bool is_icmp(const FlowKey& k) { return is_icmp_protocol(k.protocol); }

uint64_t fact_value(Fact f, Facts& x) {
  const FlowRecord& r = x.r;
  const FlowKey& k = r.key;
  const bool tun = k.tunnel != TunnelType::none;
  const bool teredo = k.tunnel == TunnelType::teredo;
  const bool ports = tunnel_has_outer_ports(k.tunnel);
  const bool outer6 = tunnel_has_outer_ipv6(k.tunnel);
  // Embedded addresses and relays: the protocol-41 plug-ins' facts.
  const bool in_ipv4 = tunnel_carrier(k.tunnel) == Carrier::ipv4;
  switch (f) {
    case Fact::flowStartMilliseconds: return r.first_ms;
    case Fact::flowEndMilliseconds: return last_ms(r);
    case Fact::packetDeltaCount: return r.packets;
    case Fact::octetDeltaCount: return r.octets;
    case Fact::sourceIPv4Address: return k.ip_version == 4 ? ipv4_of(k.src) : 0;
    case Fact::destinationIPv4Address: return k.ip_version == 4 ? ipv4_of(k.dst) : 0;
    case Fact::sourceTransportPort: return is_icmp(k) ? 0 : k.sport;
    case Fact::destinationTransportPort: return is_icmp(k) ? 0 : k.dport;
    case Fact::portOrIcmpTypeCode: return k.dport;
    case Fact::protocolIdentifier: return k.protocol;
    case Fact::tcpControlBits: return k.protocol == kIpProtoTcp ? r.tcp_flags : 0;
    case Fact::icmpTypeCodeIPv4:
    case Fact::icmpTypeCodeIPv6:
    case Fact::icmpTypeCode: return is_icmp(k) ? k.dport : 0;
    case Fact::flowEndReason: return static_cast<uint64_t>(r.end_reason);
    case Fact::ipVersion: return k.ip_version;
    case Fact::ipClassOfService: return r.tos;
    case Fact::minimumTTL: return r.min_ttl;
    case Fact::maximumTTL: return r.max_ttl;
    case Fact::vlanId: return k.vlan_outer;
    case Fact::dot1qCustomerVlanId: return k.vlan_inner;
    case Fact::tunnelType: return static_cast<uint64_t>(k.tunnel);
    case Fact::mirrorType: return static_cast<uint64_t>(k.mirror);
    case Fact::observationPointId: return k.observation_id;
    case Fact::sourceAddressClass: return k.ip_version == 6 ? static_cast<uint64_t>(r.src_class) : 0;
    case Fact::destinationAddressClass: return k.ip_version == 6 ? static_cast<uint64_t>(r.dst_class) : 0;
    case Fact::addressClassPair:
      return k.ip_version == 6 ? (static_cast<uint64_t>(r.src_class) << 8 | static_cast<uint64_t>(r.dst_class)) : 0;
    // (An outer IPv6 header's digests are not addresses: 0.)
    case Fact::tunnelSourceIPv4Address: return tun && !outer6 ? k.outer_src4 : 0;
    case Fact::tunnelDestinationIPv4Address: return tun && !outer6 ? k.outer_dst4 : 0;
    case Fact::tunnelSourceTransportPort: return ports ? k.outer_sport : 0;
    case Fact::tunnelDestinationTransportPort: return ports ? k.outer_dport : 0;
    case Fact::tunnelOctetDeltaCount: return tun ? r.outer_octets : 0;
    case Fact::greKey:
      return tunnel_has_gre_key(k.tunnel) && (k.flags & kKeyGreKey) ? (uint32_t{k.outer_sport} << 16 | k.outer_dport) : 0;
    case Fact::teredoServerIPv4Address: return teredo && x.t().teredo.has_address ? x.t().teredo.server_ipv4 : 0;
    case Fact::teredoClientIPv4Address: return teredo && x.t().teredo.has_address ? x.t().teredo.client_ipv4 : 0;
    case Fact::teredoClientPort: return teredo && x.t().teredo.has_address ? x.t().teredo.client_port : 0;
    case Fact::teredoFlags: return teredo && x.t().teredo.has_address ? x.t().teredo.flags : 0;
    case Fact::teredoBubbleCount: return teredo ? r.teredo_bubbles : 0;
    case Fact::teredoAuthCount: return teredo ? r.teredo_auth : 0;
    case Fact::teredoOriginCount: return teredo ? r.teredo_origin : 0;
    case Fact::teredoHeaders: return teredo ? (r.teredo_auth > 0 ? 1u : 0u) | (r.teredo_origin > 0 ? 2u : 0u) : 0;
    case Fact::teredoTrailers: return teredo ? r.teredo_trailers : 0;
    case Fact::embeddedSourceIPv4Address: return in_ipv4 ? x.t().embedded_src4 : 0;
    case Fact::embeddedDestinationIPv4Address: return in_ipv4 ? x.t().embedded_dst4 : 0;
    case Fact::tunnelRelayIPv4Address: return in_ipv4 ? x.t().relay4 : 0;
    case Fact::outerProtocolIdentifier: return tunnel_outer_protocol(k.tunnel);
    case Fact::zero: return 0;
    case Fact::sourceIPv6Address:
    case Fact::destinationIPv6Address:
    case Fact::tunnelSourceIPv6Address:
    case Fact::tunnelDestinationIPv6Address: return 0;  // 16 bytes: handled by the caller
  }
  return 0;
}

}  // namespace

const Profile* find_profile(std::string_view name) {
  for (const Profile& p : kProfiles)
    if (name == p.name) return &p;
  return nullptr;
}

std::string profile_names() {
  std::string s;
  for (const Profile& p : kProfiles) s += (s.empty() ? "" : ", ") + std::string(p.name);
  return s;
}

std::string check_pen(uint64_t pen) {
  if (pen < 1 || pen > 0xffffffffu)
    return fmt::format("--pen: {} is out of range; a private enterprise number is 1..4294967295", pen);
  const uint64_t low = pen & 0xffff;
  if (low == 0 || low == 6871 || low == 29305)
    return fmt::format(
        "--pen: {} is refused: nfdump keeps only the low 16 bits of a PEN ({}), and {} would read tunprobe's "
        "elements as {}; use your organisation's own PEN (README: choosing a PEN)",
        pen, low, low, low == 0 ? "IANA standard elements" : low == 6871 ? "CERT (YAF) elements" : "reverse (biflow) elements");
  return {};
}

const Template& template_for(const Profile& p, const FlowKey& k) {
  const bool tunnel = k.tunnel != TunnelType::none;
  const bool v6 = k.ip_version == 6;
  const TemplateKind want = !tunnel ? (v6 ? TemplateKind::ipv6 : TemplateKind::ipv4)
                            : tunnel_has_outer_ipv6(k.tunnel) ? (v6 ? TemplateKind::tunneled6 : TemplateKind::tunneled6_ipv4)
                                                              : (v6 ? TemplateKind::tunneled : TemplateKind::tunneled_ipv4);
  for (uint16_t i = 0; i < p.template_count; ++i)
    if (p.templates[i].kind == want) return p.templates[i];
  return p.templates[0];
}

uint16_t element_length(const Template& t, std::size_t field) { return kElements[t.fields[field].element].length; }

std::size_t record_length(const Template& t) {
  std::size_t n = 0;
  for (uint16_t i = 0; i < t.field_count; ++i) n += element_length(t, i);
  return n;
}

std::size_t template_record_length(const Template& t) {
  std::size_t n = 4;
  for (uint16_t i = 0; i < t.field_count; ++i) n += kElements[t.fields[i].element].pen != 0 ? 8 : 4;
  return n;
}

std::size_t encode_record(const Template& t, const FlowRecord& r, const DecodeConfig& cfg, uint8_t* out) {
  Facts x{r, cfg, false, PacketInfo{}};
  std::size_t off = 0;
  for (uint16_t i = 0; i < t.field_count; ++i) {
    const Field& f = t.fields[i];
    const Element& e = kElements[f.element];
    if (e.type == kTypeIpv6 && (f.fact == Fact::tunnelSourceIPv6Address || f.fact == Fact::tunnelDestinationIPv6Address)) {
      if (record_has_outer_ipv6(r))
        std::memcpy(out + off, f.fact == Fact::tunnelSourceIPv6Address ? r.outer_src6 : r.outer_dst6, 16);
      else
        std::memset(out + off, 0, 16);
    } else if (e.type == kTypeIpv6) {
      const uint8_t* a = f.fact == Fact::sourceIPv6Address ? r.key.src : r.key.dst;
      if (r.key.ip_version == 6) {
        std::memcpy(out + off, a, 16);
      } else {
        // An IPv4 address in an IPv6 element (the flowmon profile's inner
        // addresses of IPv4 in GRE): IPv4-mapped, RFC 4291 2.5.5.2.
        std::memset(out + off, 0, 10);
        out[off + 10] = out[off + 11] = 0xff;
        std::memcpy(out + off + 12, a, 4);
      }
    } else {
      // Host byte order, the element's length (little-endian hosts: the
      // low bytes of the 64-bit value come first).
      const uint64_t v = fact_value(f.fact, x);
      switch (e.length) {
        case 1: out[off] = static_cast<uint8_t>(v); break;
        case 2: { const uint16_t w = static_cast<uint16_t>(v); std::memcpy(out + off, &w, 2); break; }
        case 4: { const uint32_t w = static_cast<uint32_t>(v); std::memcpy(out + off, &w, 4); break; }
        default: std::memcpy(out + off, &v, 8); break;
      }
    }
    off += e.length;
  }
  return off;
}

fbInfoModel_st* make_info_model(uint32_t pen) {
  fbInfoModel_t* model = fbInfoModelAlloc();
  std::vector<fbInfoElement_t> ies;
  for (const Element& e : kElements) {
    if (e.pen == 0) continue;  // IANA's: libfixbuf has them
    uint32_t flags = static_cast<uint32_t>(e.semantics) << 8 | static_cast<uint32_t>(e.units) << 16;
    if (endian_type(e.type)) flags |= FB_IE_F_ENDIAN;
    fbInfoElement_t ie = FB_IE_INIT_FULL(e.name, element_pen(e, pen), e.id, e.length, flags, 0, 0, e.type,
                                         const_cast<char*>(e.description));
    ies.push_back(ie);
  }
  fbInfoElement_t end = FB_IE_NULL;
  ies.push_back(end);
  fbInfoModelAddElementArray(model, ies.data());
  return model;
}

fbTemplate_st* make_template(fbInfoModel_st* model, const Template& t, uint32_t pen, std::string& error) {
  fbTemplate_t* tmpl = fbTemplateAlloc(model);
  for (uint16_t i = 0; i < t.field_count; ++i) {
    const Element& e = kElements[t.fields[i].element];
    const fbInfoElement_t* canon = fbInfoModelGetElementByID(model, e.id, element_pen(e, pen));
    if (canon == nullptr) {
      error = fmt::format("element {} ({}/{}) is not in the information model", e.name, element_pen(e, pen), e.id);
      fbTemplateFreeUnused(tmpl);
      return nullptr;
    }
    fbInfoElement_t ie = *canon;
    ie.len = e.length;
    GError* err = nullptr;
    if (!fbTemplateAppend(tmpl, &ie, &err)) {
      error = fmt::format("template {}: {}", t.id, err ? err->message : "fbTemplateAppend failed");
      if (err) g_clear_error(&err);
      fbTemplateFreeUnused(tmpl);
      return nullptr;
    }
  }
  return tmpl;
}

}  // namespace tunprobe::ipfix
