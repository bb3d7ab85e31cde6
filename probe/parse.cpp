// The packet parser. See parse.hpp for the contract; each step below names
// the verdict it gives when the bytes are not what the header says.
#include "probe/parse.hpp"

#include <cstring>
#include <utility>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "plugins/plugin.hpp"
#include "plugins/teredo.hpp"
#include "probe/bytes.hpp"

namespace tunprobe {

namespace {

constexpr uint16_t kEtherIpv4 = 0x0800;
constexpr uint16_t kEtherIpv6 = 0x86dd;
constexpr uint16_t kEtherVlan = 0x8100;
constexpr uint16_t kEtherQinQ = 0x88a8;
constexpr uint16_t kEtherQinQOld = 0x9100;
constexpr uint16_t kEtherMpls = 0x8847;
constexpr uint16_t kEtherPppoeSession = 0x8864;
constexpr uint16_t kPppIpv4 = 0x0021;
constexpr uint16_t kPppIpv6 = 0x0057;

constexpr uint8_t kProtoIcmp = 1;
constexpr uint8_t kProtoIpip = 4;
constexpr uint8_t kProtoTcp = 6;
constexpr uint8_t kProtoUdp = 17;
constexpr uint8_t kProtoIpv6 = 41;
constexpr uint8_t kProtoRouting = 43;
constexpr uint8_t kProtoFragment = 44;
constexpr uint8_t kProtoEsp = 50;
constexpr uint8_t kProtoAh = 51;
constexpr uint8_t kProtoIcmpv6 = 58;
constexpr uint8_t kProtoNoNext = 59;
constexpr uint8_t kProtoDstOpts = 60;
constexpr uint8_t kProtoHopByHop = 0;
constexpr uint8_t kProtoSctp = 132;

constexpr unsigned kMaxVlanTags = 2;
constexpr unsigned kMaxMplsLabels = 8;
constexpr unsigned kMaxIpv6ExtHeaders = 8;

// Transport header: ports, flags, ICMP type/code. `p` is the first byte of
// the L4 header, `end` one past the last readable byte.
Verdict parse_l4(const uint8_t* p, const uint8_t* end, uint8_t proto, PacketInfo& out) noexcept {
  const std::size_t avail = static_cast<std::size_t>(end - p);
  switch (proto) {
    case kProtoTcp:
      if (avail < 20) return Verdict::l4_truncated;
      if ((p[12] >> 4) < 5) return Verdict::tcp_bad_offset;
      out.has_ports = true;
      out.sport = load_be16(p);
      out.dport = load_be16(p + 2);
      out.tcp_flags = p[13];
      return Verdict::ok;
    case kProtoUdp:
      if (avail < 8) return Verdict::l4_truncated;
      if (load_be16(p + 4) < 8) return Verdict::udp_bad_length;
      out.has_ports = true;
      out.sport = load_be16(p);
      out.dport = load_be16(p + 2);
      return Verdict::ok;
    case kProtoSctp:
      if (avail < 12) return Verdict::l4_truncated;
      out.has_ports = true;
      out.sport = load_be16(p);
      out.dport = load_be16(p + 2);
      return Verdict::ok;
    case kProtoIcmp:
    case kProtoIcmpv6:
      if (avail < 4) return Verdict::l4_truncated;
      out.has_icmp = true;
      out.icmp_type = p[0];
      out.icmp_code = p[1];
      return Verdict::ok;
    default:
      return Verdict::ok;
  }
}

// Moves the inner packet's L3 fields out of the way: the parse of the inner
// header overwrites src/dst/protocol, so the outer IPv4 addresses go to the
// outer_* fields first.
void save_outer(PacketInfo& out) noexcept {
  out.outer_src4 = ipv4_of(out.src);
  out.outer_dst4 = ipv4_of(out.dst);
  out.outer_length = out.ip_length;
  out.outer_ttl = out.ttl;
}

void reset_l4(PacketInfo& out) noexcept {
  out.has_ports = false;
  out.sport = out.dport = 0;
  out.tcp_flags = 0;
  out.has_icmp = false;
  out.icmp_type = out.icmp_code = 0;
}

// IPv6 header and extension chain, then the transport header. `inner` is
// true for the packet inside a tunnel: a tunnel found there is nested.
Verdict parse_ipv6(const uint8_t* p, const uint8_t* end, bool inner, const DecodeConfig& cfg,
                   PacketInfo& out) noexcept;

// Tries Teredo on a UDP payload. Returns true when the packet was taken as
// Teredo (out.verdict then says how it went); false leaves it a UDP flow,
// with out.verdict set to a teredo_* verdict when the port matched but the
// payload failed validation.
bool try_teredo(const uint8_t* udp, const uint8_t* end, bool port_match, const DecodeConfig& cfg,
                PacketInfo& out) noexcept {
  const uint8_t* payload = udp + 8;
  const std::size_t avail = payload <= end ? static_cast<std::size_t>(end - payload) : 0;
  const std::size_t udp_len = load_be16(udp + 4);
  const std::size_t declared = udp_len - 8;  // udp_bad_length was checked before
  // The Teredo facts are written in place, and cleared again when it is not
  // Teredo: a copy from a local would be read back wider than it was
  // written (a store-forwarding stall on every Teredo packet).
  TeredoInfo& t = out.teredo;
  t = TeredoInfo{};
  std::size_t inner_off = 0;
  Verdict v = teredo_strip(payload, avail, declared, t, inner_off);
  const bool stripped = v == Verdict::ok || v == Verdict::teredo_bubble_payload;
  if (!stripped) {
    t = TeredoInfo{};
    if (port_match) out.verdict = v;
    return false;
  }
  const uint8_t* ip6 = payload + inner_off;
  const bool src_teredo = is_teredo_address(ip6 + 8);
  const bool dst_teredo = is_teredo_address(ip6 + 24);
  // On other ports only a Teredo address at one end makes it Teredo.
  if (!port_match && !src_teredo && !dst_teredo) {
    t = TeredoInfo{};
    return false;
  }
  // The outer ports (= out.sport/dport), from the header: reading the two
  // fields just written as one would stall on store forwarding.
  out.outer_sport = load_be16(udp);
  out.outer_dport = load_be16(udp + 2);
  save_outer(out);
  out.frag_outer = out.is_fragment;
  reset_l4(out);
  out.tunnel = TunnelType::teredo;
  if (src_teredo)
    teredo_decode_address(ip6 + 8, t);
  else if (dst_teredo)
    teredo_decode_address(ip6 + 24, t);
  const Verdict inner = parse_ipv6(ip6, end, true, cfg, out);
  out.verdict = inner != Verdict::ok ? inner : v;
  return true;
}

// Protocol 41: validate the inner header, let the plug-ins name the tunnel,
// parse the inner packet. A failed validation keeps the IPv4 flow.
void try_proto41(const uint8_t* ip6, const uint8_t* end, std::size_t ip_payload_len, bool fragment,
                 const DecodeConfig& cfg, PacketInfo& out) noexcept {
  if (end - ip6 < 40) {
    out.verdict = Verdict::proto41_truncated;
    return;
  }
  if ((ip6[0] >> 4) != 6) {
    out.verdict = Verdict::proto41_not_ipv6;
    return;
  }
  // A first fragment carries only part of the inner packet.
  if (!fragment && 40u + load_be16(ip6 + 4) > ip_payload_len) {
    out.verdict = Verdict::proto41_length_mismatch;
    return;
  }
  save_outer(out);
  out.frag_outer = out.is_fragment;
  for (const Proto41Plugin& plugin : proto41_plugins()) {
    if (plugin.match(ip6, cfg, out)) {
      out.tunnel = plugin.type;
      break;
    }
  }
  out.verdict = parse_ipv6(ip6, end, true, cfg, out);
}

Verdict parse_ipv4(const uint8_t* p, const uint8_t* end, const DecodeConfig& cfg, PacketInfo& out) noexcept {
  if (end - p < 20) return Verdict::ipv4_truncated;
  if ((p[0] >> 4) != 4) return Verdict::ip_bad_version;
  const std::size_t ihl = static_cast<std::size_t>(p[0] & 0x0f) * 4;
  if (ihl < 20) return Verdict::ipv4_bad_header;
  if (end - p < static_cast<std::ptrdiff_t>(ihl)) return Verdict::ipv4_truncated;
  const std::size_t total = load_be16(p + 2);
  if (total < ihl) return Verdict::ipv4_bad_length;
  // Ethernet padding lies beyond the total length; a snaplen cut lies before.
  if (static_cast<std::size_t>(end - p) > total) end = p + total;

  out.ip_version = 4;
  out.tos = p[1];
  out.ip_length = static_cast<uint32_t>(total);
  out.ttl = p[8];
  out.protocol = p[9];
  std::memcpy(out.src, p + 12, 4);
  std::memcpy(out.dst, p + 16, 4);
  const uint16_t frag = load_be16(p + 6);
  const bool more = (frag & 0x2000) != 0;
  const uint16_t offset = static_cast<uint16_t>((frag & 0x1fff) * 8);
  if (more || offset != 0) {
    out.is_fragment = true;
    out.first_fragment = offset == 0;
    out.frag_id = load_be16(p + 4);
    out.frag_offset = offset;
    out.frag_proto = out.protocol;
    if (offset != 0) return Verdict::ok;  // no transport header here
  }

  const uint8_t* l4 = p + ihl;
  if (out.protocol == kProtoIpv6) {
    out.verdict = Verdict::ok;
    try_proto41(l4, end, total - ihl, out.is_fragment, cfg, out);
    return out.verdict;
  }
  const Verdict v = parse_l4(l4, end, out.protocol, out);
  if (v != Verdict::ok || out.protocol != kProtoUdp) return v;
  const bool port_match = cfg.is_teredo_port(out.sport) || cfg.is_teredo_port(out.dport);
  if (port_match || cfg.teredo_heuristic) {
    out.verdict = Verdict::ok;
    try_teredo(l4, end, port_match, cfg, out);
    return out.verdict;
  }
  return Verdict::ok;
}

Verdict parse_ipv6(const uint8_t* p, const uint8_t* end, bool inner, const DecodeConfig& cfg,
                   PacketInfo& out) noexcept {
  if (end - p < 40) return Verdict::ipv6_truncated;
  if ((p[0] >> 4) != 6) return Verdict::ip_bad_version;
  const std::size_t plen = load_be16(p + 4);
  if (static_cast<std::size_t>(end - p) > 40 + plen) end = p + 40 + plen;
  const uint32_t first = load_be32(p);
  out.ip_version = 6;
  out.tos = static_cast<uint8_t>(first >> 20);
  out.flow_label = first & 0xfffff;
  out.ip_length = static_cast<uint32_t>(40 + plen);
  out.ttl = p[7];
  std::memcpy(out.src, p + 8, 16);
  std::memcpy(out.dst, p + 24, 16);

  uint8_t next = p[6];
  const uint8_t* h = p + 40;
  for (unsigned n = 0;; ++n) {
    if (next != kProtoHopByHop && next != kProtoRouting && next != kProtoDstOpts && next != kProtoFragment &&
        next != kProtoAh)
      break;
    if (n == kMaxIpv6ExtHeaders) return Verdict::ipv6_ext_too_many;
    if (end - h < 8) return Verdict::ipv6_ext_truncated;
    std::size_t len;
    if (next == kProtoFragment) {
      len = 8;
      const uint16_t fo = load_be16(h + 2);
      const uint16_t offset = static_cast<uint16_t>(fo & 0xfff8);
      // An outer IPv4 fragment already names the flow's fragments.
      if (!out.is_fragment) {
        out.is_fragment = true;
        out.first_fragment = offset == 0;
        out.frag_id = load_be32(h + 4);
        out.frag_offset = offset;
        out.frag_proto = h[0];
      }
      if (offset != 0) {
        out.protocol = h[0];
        return Verdict::ok;
      }
    } else if (next == kProtoAh) {
      len = (static_cast<std::size_t>(h[1]) + 2) * 4;  // RFC 4302: in 4-byte units, minus 2
    } else {
      len = (static_cast<std::size_t>(h[1]) + 1) * 8;  // RFC 8200: in 8-byte units, minus 1
    }
    if (static_cast<std::size_t>(end - h) < len) return Verdict::ipv6_ext_truncated;
    next = h[0];
    h += len;
  }
  out.protocol = next;
  if (next == kProtoEsp || next == kProtoNoNext) return Verdict::ok;  // nothing further to read
  const Verdict v = parse_l4(h, end, next, out);
  if (v != Verdict::ok || !inner) return v;
  // One level of tunnel is decoded; a tunnel inside it is only counted.
  if (next == kProtoIpv6 || next == kProtoIpip) return Verdict::tunnel_nested;
  if (next == kProtoUdp && (cfg.is_teredo_port(out.sport) || cfg.is_teredo_port(out.dport))) {
    TeredoInfo scratch;
    std::size_t off = 0;
    const uint8_t* payload = h + 8;
    const std::size_t avail = payload <= end ? static_cast<std::size_t>(end - payload) : 0;
    const Verdict t = teredo_strip(payload, avail, load_be16(h + 4) - 8u, scratch, off);
    if (t == Verdict::ok || t == Verdict::teredo_bubble_payload) return Verdict::tunnel_nested;
  }
  return Verdict::ok;
}

void classify(PacketInfo& out) noexcept {
  if (out.ip_version != 6) return;
  out.src_class = classify_ipv6(out.src);
  out.dst_class = classify_ipv6(out.dst);
}

// parse_ip without the address classes.
void parse_ip_unclassified(const uint8_t* p, const uint8_t* end, unsigned version_hint, const DecodeConfig& cfg,
                           PacketInfo& out) noexcept {
  if (end - p < 1) {
    out.verdict = version_hint == 6 ? Verdict::ipv6_truncated : Verdict::ipv4_truncated;
    return;
  }
  const unsigned version = version_hint != 0 ? version_hint : static_cast<unsigned>(p[0] >> 4);
  if (version == 4)
    out.verdict = parse_ipv4(p, end, cfg, out);
  else if (version == 6)
    out.verdict = parse_ipv6(p, end, false, cfg, out);
  else
    out.verdict = Verdict::ip_bad_version;
}

// PacketInfo{}: every field's default is zero, so the whole struct is set
// to zero bytes with unrolled 16-byte stores. (An assignment, a memset or a
// store loop all become `rep stos` for ~170 bytes, some 50 cycles per
// packet.)
template <std::size_t... I>
inline void store_zero16(unsigned char* b, std::index_sequence<I...>) noexcept {
#if defined(__SSE2__)
  const __m128i zero = _mm_setzero_si128();
  (_mm_storeu_si128(reinterpret_cast<__m128i*>(b + 16 * I), zero), ...);
  // The tail: the last 16 bytes, overlapping.
  _mm_storeu_si128(reinterpret_cast<__m128i*>(b + sizeof(PacketInfo) - 16), zero);
#else
  std::memset(b, 0, sizeof(PacketInfo));
#endif
}

inline void clear(PacketInfo& out) noexcept {
  static_assert(sizeof(PacketInfo) >= 16);
  store_zero16(reinterpret_cast<unsigned char*>(&out), std::make_index_sequence<sizeof(PacketInfo) / 16>{});
}

// Link layer, IP, tunnel, transport; no address classes.
void parse_link(const uint8_t* data, std::size_t len, LinkType link, const DecodeConfig& cfg,
                PacketInfo& out) noexcept {
  clear(out);
  const uint8_t* p = data;
  const uint8_t* end = data + len;
  uint16_t type = 0;
  switch (link) {
    case LinkType::raw_ip:
      parse_ip_unclassified(p, end, 0, cfg, out);
      return;
    case LinkType::null_bsd: {
      if (len < 4) {
        out.verdict = Verdict::frame_truncated;
        return;
      }
      // The address family is in the capturing host's byte order: AF_INET
      // is 2 everywhere; AF_INET6 is 10, 24, 28 or 30 depending on the OS.
      const uint32_t af = data[0] != 0 ? data[0] : data[3];
      if (af == 2)
        parse_ip_unclassified(p + 4, end, 4, cfg, out);
      else if (af == 10 || af == 24 || af == 28 || af == 30)
        parse_ip_unclassified(p + 4, end, 6, cfg, out);
      else
        out.verdict = Verdict::non_ip;
      return;
    }
    case LinkType::linux_sll:
      if (len < 16) {
        out.verdict = Verdict::frame_truncated;
        return;
      }
      type = load_be16(p + 14);
      p += 16;
      break;
    case LinkType::ethernet:
      if (len < 14) {
        out.verdict = Verdict::frame_truncated;
        return;
      }
      type = load_be16(p + 12);
      p += 14;
      break;
  }

  unsigned tags = 0;
  while (type == kEtherVlan || type == kEtherQinQ || type == kEtherQinQOld) {
    if (tags == kMaxVlanTags) {
      out.verdict = Verdict::vlan_too_deep;
      return;
    }
    if (end - p < 4) {
      out.verdict = Verdict::vlan_truncated;
      return;
    }
    const uint16_t vid = load_be16(p) & 0x0fff;
    if (tags == 0)
      out.vlan_outer = vid;
    else
      out.vlan_inner = vid;
    out.vlan_count = static_cast<uint8_t>(++tags);
    type = load_be16(p + 2);
    p += 4;
  }

  // PPPoE session (RFC 2516): 6-byte header, then the 2-byte PPP protocol.
  if (type == kEtherPppoeSession) {
    if (end - p < 8) {
      out.verdict = Verdict::pppoe_truncated;
      return;
    }
    const uint16_t ppp = load_be16(p + 6);
    p += 8;
    if (ppp == kPppIpv4)
      parse_ip_unclassified(p, end, 4, cfg, out);
    else if (ppp == kPppIpv6)
      parse_ip_unclassified(p, end, 6, cfg, out);
    else
      out.verdict = Verdict::non_ip;
    return;
  }

  if (type == kEtherMpls) {
    for (unsigned n = 0;; ++n) {
      if (n == kMaxMplsLabels) {
        out.verdict = Verdict::mpls_too_deep;
        return;
      }
      if (end - p < 4) {
        out.verdict = Verdict::mpls_truncated;
        return;
      }
      const uint32_t entry = load_be32(p);
      if (n == 0) {
        out.has_mpls = true;
        out.mpls_top_label = entry >> 12;
      }
      p += 4;
      if (entry & 0x100) break;  // bottom of stack
    }
    // No ethertype after the stack: the payload's version nibble tells.
    if (end - p < 1) {
      out.verdict = Verdict::mpls_truncated;
      return;
    }
    const unsigned version = p[0] >> 4;
    if (version != 4 && version != 6) {
      out.verdict = Verdict::mpls_unknown_payload;
      return;
    }
    parse_ip_unclassified(p, end, version, cfg, out);
    return;
  }
  if (type == kEtherIpv4)
    parse_ip_unclassified(p, end, 4, cfg, out);
  else if (type == kEtherIpv6)
    parse_ip_unclassified(p, end, 6, cfg, out);
  else
    out.verdict = Verdict::non_ip;
}

}  // namespace

void parse_ip(const uint8_t* p, const uint8_t* end, unsigned version_hint, const DecodeConfig& cfg,
              PacketInfo& out) noexcept {
  parse_ip_unclassified(p, end, version_hint, cfg, out);
  classify(out);
}

void parse_frame(const uint8_t* data, std::size_t len, LinkType link, const DecodeConfig& cfg,
                 PacketInfo& out) noexcept {
  parse_link(data, len, link, cfg, out);
  classify(out);
}

void parse_frame_unclassified(const uint8_t* data, std::size_t len, LinkType link, const DecodeConfig& cfg,
                              PacketInfo& out) noexcept {
  parse_link(data, len, link, cfg, out);
}

}  // namespace tunprobe
