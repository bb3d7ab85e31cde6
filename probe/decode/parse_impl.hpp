// The packet parser. See parse.hpp for the contract; each step below names
// the verdict it gives when the bytes are not what the header says.
//
// A template over the plug-in dispatch `D`, so that the decoder knows no
// plug-in by name and still calls none through a pointer: plugins/parser.cpp
// instantiates it with the registry (plugins/registry.hpp). `D` provides
//   static UdpClaim claim_udp(payload, avail, declared, sport, dport, cfg, PacketInfo* info);
//   static TunnelType claim_proto41(ip6, cfg, PacketInfo& info);
//   static GreClaim claim_gre(gre, avail, declared, fragment, mirrors);
//   static MirrorClaim claim_vxlan(payload, avail, declared);
//   static Ipv6CarrierClaim claim_ipv6_next(next, payload, avail, declared, fragment);
//   static constexpr bool ipv6_carries_tunnel(next);
// with the contracts of probe/decode/plugin.hpp.
#pragma once

#include <array>
#include <cstring>
#include <utility>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "probe/base/bytes.hpp"
#include "probe/base/protocols.hpp"
#include "probe/decode/parse.hpp"
#include "probe/decode/plugin.hpp"

namespace tunprobe::parse_detail {

constexpr unsigned kMaxVlanTags = 2;
constexpr unsigned kMaxMplsLabels = 8;
constexpr unsigned kMaxIpv6ExtHeaders = 8;

// The IPv6 extension headers that the walk steps over: the IANA "IPv6
// Extension Header Types" registry (RFC 7045 section 4; RFC 8200 section
// 4): hop-by-hop 0, routing 43, fragment 44, AH 51, destination options 60,
// Mobility 135 (RFC 6275), HIP 139 (RFC 7401), Shim6 140 (RFC 5533) and the
// experimental 253 and 254 (RFC 3692, RFC 4727). ESP 50 is in the registry
// but ends the walk: what follows it is encrypted (RFC 4303). One bit test
// per header, so the common case (TCP, UDP, ICMPv6 right after the fixed
// header) costs one load.
constexpr std::array<uint64_t, 4> kExtHeaders = [] {
  std::array<uint64_t, 4> set{};
  for (unsigned n : {0u, 43u, 44u, 51u, 60u, 135u, 139u, 140u, 253u, 254u}) set[n >> 6] |= uint64_t{1} << (n & 63);
  return set;
}();

inline bool is_ext_header(uint8_t n) noexcept { return (kExtHeaders[n >> 6] >> (n & 63)) & 1; }

// A transport header shorter than its fixed part: take what was captured.
// TCP (RFC 9293 3.1) and SCTP (RFC 9260 3.1) ports in bytes 0-3, TCP flags
// in byte 13; ICMP (RFC 792) and ICMPv6 (RFC 4443 2.1) type and code in
// bytes 0-1. UDP (RFC 768) ports like TCP's.
[[gnu::noinline, gnu::cold]] inline Verdict parse_l4_cut(const uint8_t* p, std::size_t avail, uint8_t proto,
                                                  PacketInfo& out) noexcept {
  if (proto == kIpProtoIcmp || proto == kIpProtoIcmpv6) {
    if (avail >= 2) {
      out.has_icmp = true;
      out.icmp_type = p[0];
      out.icmp_code = p[1];
    }
    return Verdict::l4_truncated;
  }
  if (avail >= 4) {
    out.has_ports = true;
    out.sport = load_be16(p);
    out.dport = load_be16(p + 2);
  }
  if (proto == kIpProtoTcp && avail >= 14) {
    out.has_tcp_flags = true;
    out.tcp_flags = p[13];
  }
  return Verdict::l4_truncated;
}

// Transport header: ports, flags, ICMP type/code. `p` is the first byte of
// the L4 header, `end` one past the last readable byte (the IP length or the
// capture, whichever ends first). A header cut short keeps what was
// captured of it: the packet stays in its flow with verdict l4_truncated.
[[gnu::always_inline]] inline Verdict parse_l4(const uint8_t* p, const uint8_t* end, uint8_t proto,
                                               PacketInfo& out) noexcept {
  const std::size_t avail = p <= end ? static_cast<std::size_t>(end - p) : 0;
  switch (proto) {
    case kIpProtoTcp:
      if (avail < 20) return parse_l4_cut(p, avail, proto, out);
      out.has_ports = true;
      out.sport = load_be16(p);
      out.dport = load_be16(p + 2);
      out.has_tcp_flags = true;
      out.tcp_flags = p[13];
      // A bad data offset: the ports and flags are still where they are.
      return (p[12] >> 4) < 5 ? Verdict::tcp_bad_offset : Verdict::ok;
    case kIpProtoUdp:
      if (avail < 8) return parse_l4_cut(p, avail, proto, out);
      out.has_ports = true;
      out.sport = load_be16(p);
      out.dport = load_be16(p + 2);
      return load_be16(p + 4) < 8 ? Verdict::udp_bad_length : Verdict::ok;
    case kIpProtoSctp:
      if (avail < 12) return parse_l4_cut(p, avail, proto, out);
      out.has_ports = true;
      out.sport = load_be16(p);
      out.dport = load_be16(p + 2);
      return Verdict::ok;
    case kIpProtoIcmp:
    case kIpProtoIcmpv6:
      if (avail < 4) return parse_l4_cut(p, avail, proto, out);
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
inline void save_outer(PacketInfo& out) noexcept {
  out.outer_src4 = ipv4_of(out.src);
  out.outer_dst4 = ipv4_of(out.dst);
  out.outer_length = out.ip_length;
  out.outer_ttl = out.ttl;
}

// The same for an outer IPv6 header (tunnel_has_outer_ipv6): its addresses
// move to outer_src6/outer_dst6, their digests to outer_src4/outer_dst4
// (the flow key's outer slots), and src/dst are cleared: an inner IPv4
// header writes only their first 4 bytes.
inline void save_outer6(PacketInfo& out) noexcept {
  std::memcpy(out.outer_src6, out.src, 16);
  std::memcpy(out.outer_dst6, out.dst, 16);
  out.outer_src4 = outer_address_digest(out.src);
  out.outer_dst4 = outer_address_digest(out.dst);
  std::memset(out.src, 0, 16);
  std::memset(out.dst, 0, 16);
  out.outer_length = out.ip_length;
  out.outer_ttl = out.ttl;
}

inline void reset_l4(PacketInfo& out) noexcept {
  out.has_ports = false;
  out.sport = out.dport = 0;
  out.has_tcp_flags = false;
  out.tcp_flags = 0;
  out.has_icmp = false;
  out.icmp_type = out.icmp_code = 0;
}

// The UDP payload behind the header at `udp` (8 bytes readable), for the
// UDP plug-ins. The declared length was checked to be at least 8
// (udp_bad_length).
struct UdpPayload {
  const uint8_t* data;
  std::size_t avail;     // readable
  std::size_t declared;  // the UDP length less its header
};

inline UdpPayload udp_payload(const uint8_t* udp, const uint8_t* end) noexcept {
  const uint8_t* payload = udp + 8;
  return {payload, payload <= end ? static_cast<std::size_t>(end - payload) : 0, load_be16(udp + 4) - 8u};
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

inline void classify(PacketInfo& out) noexcept {
  if (out.ip_version != 6) return;
  out.src_class = classify_ipv6(out.src);
  out.dst_class = classify_ipv6(out.dst);
}

// The parser over the plug-in dispatch D (see the top of this file).
// kInMirror: the instantiation that decodes a mirrored frame (--mirror),
// which strips no mirror of its own (one level). Two instantiations, so that
// the parser does not call itself: a recursive cluster would not be inlined.
template <class D, bool kInMirror = false>
struct Parser {
  // A tunnel in UDP: when a plug-in claims the datagram, the outer header
  // moves to the outer fields and the carried packet is parsed; otherwise it
  // stays a UDP flow, with a plug-in's verdict when its port matched but the
  // payload failed its checks.
  [[gnu::always_inline]] static void try_udp(const uint8_t* udp, const uint8_t* end, const DecodeConfig& cfg,
                                             PacketInfo& out) noexcept {
    const UdpPayload u = udp_payload(udp, end);
    const UdpClaim c = D::claim_udp(u.data, u.avail, u.declared, out.sport, out.dport, cfg, &out);
    if (c.type == TunnelType::none) {
      out.verdict = c.verdict;
      return;
    }
    const uint8_t* inner = u.data + c.inner_offset;
    // The outer ports (= out.sport/dport), from the header: reading the two
    // fields just written as one would stall on store forwarding.
    out.outer_sport = load_be16(udp);
    out.outer_dport = load_be16(udp + 2);
    save_outer(out);
    out.frag_outer = out.is_fragment;
    reset_l4(out);
    out.tunnel = c.type;
    const Verdict v =
        c.inner_version == 6 ? parse_ipv6(inner, end, true, cfg, out) : parse_ipv4(inner, end, true, cfg, out);
    out.verdict = v != Verdict::ok ? v : c.verdict;
  }

  // Protocol 41: validate the inner header, let the plug-ins name the tunnel,
  // parse the inner packet. A failed validation keeps the IPv4 flow.
  static void try_proto41(const uint8_t* ip6, const uint8_t* end, std::size_t ip_payload_len, bool fragment,
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
    out.tunnel = D::claim_proto41(ip6, cfg, out);
    out.verdict = parse_ipv6(ip6, end, true, cfg, out);
  }

  // GRE: when its protocol type is a carried IP packet, the outer header
  // moves to the outer fields (the GRE key into the outer-port slot) and the
  // carried packet is parsed; otherwise it stays the IPv4 GRE flow with the
  // plug-in's verdict.
  static void try_gre(const uint8_t* gre, const uint8_t* end, std::size_t ip_payload_len, bool fragment,
                      const DecodeConfig& cfg, PacketInfo& out) noexcept {
    const std::size_t avail = gre <= end ? static_cast<std::size_t>(end - gre) : 0;
    const GreClaim c = D::claim_gre(gre, avail, ip_payload_len, fragment, mirrors_to_strip(cfg, out));
    if (c.mirror.type != MirrorType::none) {
      strip_mirror(gre + c.mirror.frame_offset, end, c.mirror, cfg, out);
      return;
    }
    if (c.type == TunnelType::none) {
      out.verdict = c.verdict;
      return;
    }
    save_outer(out);
    out.frag_outer = out.is_fragment;
    out.tunnel = c.type;
    out.gre_key_present = c.key_present;
    out.outer_sport = static_cast<uint16_t>(c.key >> 16);
    out.outer_dport = static_cast<uint16_t>(c.key);
    const uint8_t* inner = gre + c.inner_offset;
    out.verdict =
        c.inner_version == 6 ? parse_ipv6(inner, end, true, cfg, out) : parse_ipv4(inner, end, true, cfg, out);
  }

  // IP directly in IPv6 (next header 41 or 4 after the extension chain):
  // when the table's check passes, the outer header moves to the outer
  // fields and the carried packet is parsed; otherwise the packet stays the
  // IPv6 flow with the check's verdict. `declared`: the outer payload left
  // after the extension headers. Out of line, like ipv6_mirror.
  [[gnu::noinline]] static Verdict try_ipv6_carrier(const uint8_t* payload, const uint8_t* end, std::size_t declared,
                                                    uint8_t next, const DecodeConfig& cfg, PacketInfo& out) noexcept {
    const std::size_t avail = payload <= end ? static_cast<std::size_t>(end - payload) : 0;
    // A later fragment returned before: a fragment here is a first one.
    const Ipv6CarrierClaim c = D::claim_ipv6_next(next, payload, avail, declared, out.is_fragment);
    if (c.type == TunnelType::none) return c.verdict;
    save_outer6(out);
    out.frag_outer = out.is_fragment;
    out.tunnel = c.type;
    return c.inner_version == 6 ? parse_ipv6(payload, end, true, cfg, out) : parse_ipv4(payload, end, true, cfg, out);
  }

  // --mirror: the mirror types still to strip: none inside a mirrored frame
  // (one level).
  static MirrorSet mirrors_to_strip(const DecodeConfig& cfg, const PacketInfo&) noexcept {
    return kInMirror ? 0 : cfg.mirrors;
  }

  // The mirrored frame takes the packet's place: decoded from its link
  // layer on as if it had arrived on the port; the mirror and its session
  // are kept.
  static void strip_mirror(const uint8_t* frame, const uint8_t* end, const MirrorClaim& m, const DecodeConfig& cfg,
                           PacketInfo& out) noexcept {
    if constexpr (!kInMirror)
      Parser<D, true>::parse_mirrored(frame, frame <= end ? static_cast<std::size_t>(end - frame) : 0, m, cfg, out);
  }

  [[gnu::noinline]] static void parse_mirrored(const uint8_t* frame, std::size_t len, const MirrorClaim& m,
                                               const DecodeConfig& cfg, PacketInfo& out) noexcept {
    parse_link(frame, len, m.link, cfg, out, m.type, m.observation_id);
  }

  // UDP to a --vxlan-ports port with --mirror vxlan: a VXLAN mirror, or a
  // verdict and the outer UDP flow. False: not a VXLAN port.
  static bool try_vxlan(const uint8_t* udp, const uint8_t* end, const DecodeConfig& cfg, PacketInfo& out) noexcept {
    if ((mirrors_to_strip(cfg, out) & mirror_bit(MirrorType::vxlan)) == 0 || out.is_fragment ||
        !cfg.vxlan_ports.contains(out.dport))
      return false;
    const UdpPayload u = udp_payload(udp, end);
    const MirrorClaim m = D::claim_vxlan(u.data, u.avail, u.declared);
    if (m.type == MirrorType::none) {
      out.verdict = m.verdict;
      return true;
    }
    // The frame ends with the UDP length (the IP length bounds `end`).
    const uint8_t* frame_end = u.declared < u.avail ? u.data + u.declared : end;
    strip_mirror(u.data + m.frame_offset, frame_end, m, cfg, out);
    return true;
  }

  // After an outer IPv6 header, with --mirror: VXLAN, or a mirror in GRE.
  // Out of line: parse_ipv6 stays small enough to be inlined at its callers.
  [[gnu::noinline]] static Verdict ipv6_mirror(const uint8_t* l4, const uint8_t* end, uint8_t next,
                                               const DecodeConfig& cfg, PacketInfo& out) noexcept {
    if (next == kIpProtoUdp) {
      out.verdict = Verdict::ok;
      return try_vxlan(l4, end, cfg, out) ? out.verdict : Verdict::ok;
    }
    if (next == kIpProtoGre && !out.is_fragment) return try_gre_mirror_ipv6(l4, end, cfg, out);
    return Verdict::ok;
  }

  // GRE in an outer IPv6 header: only a mirror is looked for (GRE tunnels in
  // IPv6 are not decoded). Returns the packet's verdict.
  static Verdict try_gre_mirror_ipv6(const uint8_t* gre, const uint8_t* end, const DecodeConfig& cfg,
                                     PacketInfo& out) noexcept {
    const std::size_t avail = gre <= end ? static_cast<std::size_t>(end - gre) : 0;
    const GreClaim c = D::claim_gre(gre, avail, avail, false, mirrors_to_strip(cfg, out));
    if (c.mirror.type == MirrorType::none) return c.mirror.verdict;
    strip_mirror(gre + c.mirror.frame_offset, end, c.mirror, cfg, out);
    return out.verdict;
  }

  static Verdict parse_ipv4(const uint8_t* p, const uint8_t* end, bool inner, const DecodeConfig& cfg,
                            PacketInfo& out) noexcept {
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
      // An outer fragment already names the flow's fragments.
      if (!out.is_fragment) {
        out.is_fragment = true;
        out.first_fragment = offset == 0;
        out.frag_id = load_be16(p + 4);
        out.frag_offset = offset;
        out.frag_proto = out.protocol;
      }
      // A later fragment carries no transport header: no ports, no ICMP type
      // (its bytes are the middle of a datagram, RFC 791 3.2).
      if (offset != 0) return Verdict::ok;
    }

    const uint8_t* l4 = p + ihl;
    if (inner) {
      const Verdict v = parse_l4(l4, end, out.protocol, out);
      if (v != Verdict::ok) return v;
      return nested_tunnel(l4, end, out.protocol, out, cfg) ? Verdict::tunnel_nested : Verdict::ok;
    }
    if (out.protocol == kIpProtoGre) {
      out.verdict = Verdict::ok;
      try_gre(l4, end, total - ihl, out.is_fragment, cfg, out);
      return out.verdict;
    }
    if (out.protocol == kIpProtoIpv6) {
      out.verdict = Verdict::ok;
      try_proto41(l4, end, total - ihl, out.is_fragment, cfg, out);
      return out.verdict;
    }
    const Verdict v = parse_l4(l4, end, out.protocol, out);
    if (v != Verdict::ok || out.protocol != kIpProtoUdp) return v;
    out.verdict = Verdict::ok;
    if (!kInMirror && cfg.mirrors != 0 && try_vxlan(l4, end, cfg, out)) return out.verdict;
    try_udp(l4, end, cfg, out);
    return out.verdict;
  }

  static Verdict parse_ipv6(const uint8_t* p, const uint8_t* end, bool inner, const DecodeConfig& cfg,
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

    // The extension chain. A header that is cut, or one too many, ends the
    // walk: the flow's protocol is then that header's type.
    uint8_t next = p[6];
    const uint8_t* h = p + 40;
    for (unsigned n = 0; is_ext_header(next); ++n) {
      out.protocol = next;
      if (n == kMaxIpv6ExtHeaders) return Verdict::ipv6_ext_too_many;
      if (end - h < 8) return Verdict::ipv6_ext_truncated;
      std::size_t len;
      if (next == kIpProtoFragment) {
        len = 8;  // RFC 8200 4.5
        const uint16_t fo = load_be16(h + 2);
        const uint16_t offset = static_cast<uint16_t>(fo & 0xfff8);
        // RFC 6946: offset 0 and M = 0 is an atomic fragment, a whole packet:
        // not a fragment, and parsed on into its transport header.
        if (offset != 0 || (fo & 1) != 0) {
          // An outer IPv4 fragment already names the flow's fragments.
          if (!out.is_fragment) {
            out.is_fragment = true;
            out.first_fragment = offset == 0;
            out.frag_id = load_be32(h + 4);
            out.frag_offset = offset;
            out.frag_proto = h[0];
          }
          // A later fragment carries no transport header (RFC 8200 4.5).
          if (offset != 0) {
            out.protocol = h[0];
            return Verdict::ok;
          }
        }
      } else if (next == kIpProtoAh) {
        len = (static_cast<std::size_t>(h[1]) + 2) * 4;  // RFC 4302 2.2: in 4-byte units, minus 2
      } else {
        // RFC 8200 4.3, 4.4, 4.6 and the uniform format of RFC 6564 section 4
        // that Mobility (RFC 6275 6.1.1), HIP (RFC 7401 5.1), Shim6 (RFC 5533
        // 5.1) and 253/254 share: next header, then the length in 8-byte
        // units, not counting the first 8.
        len = (static_cast<std::size_t>(h[1]) + 1) * 8;
      }
      if (static_cast<std::size_t>(end - h) < len) return Verdict::ipv6_ext_truncated;
      next = h[0];
      h += len;
    }
    out.protocol = next;
    const Verdict v = parse_l4(h, end, next, out);
    if (v != Verdict::ok) return v;
    if (inner) return nested_tunnel(h, end, next, out, cfg) ? Verdict::tunnel_nested : Verdict::ok;
    // An outer IPv6 header: IP in IPv6, then mirrors.
    if (D::ipv6_carries_tunnel(next))
      return try_ipv6_carrier(h, end, 40 + plen - static_cast<std::size_t>(h - p), next, cfg, out);
    if (kInMirror || cfg.mirrors == 0) return v;
    return ipv6_mirror(h, end, next, cfg, out);
  }

  // One level of tunnel is decoded; a tunnel inside it is only counted.
  // Inline: most inner packets are TCP or ICMPv6, two compares.
  [[gnu::always_inline]] static bool nested_tunnel(const uint8_t* l4, const uint8_t* end, uint8_t protocol,
                                                   const PacketInfo& out, const DecodeConfig& cfg) noexcept {
    if (protocol == kIpProtoIpv6 || protocol == kIpProtoIpip || protocol == kIpProtoGre) return true;
    return protocol == kIpProtoUdp && nested_udp(l4, end, out, cfg);
  }

  // A UDP datagram inside a tunnel: the same plug-ins decide as for the
  // outer header, keeping no facts.
  [[gnu::noinline]] static bool nested_udp(const uint8_t* l4, const uint8_t* end, const PacketInfo& out,
                                           const DecodeConfig& cfg) noexcept {
    const UdpPayload u = udp_payload(l4, end);
    return D::claim_udp(u.data, u.avail, u.declared, out.sport, out.dport, cfg, nullptr).type != TunnelType::none;
  }

  // parse_ip without the address classes.
  static void parse_ip_unclassified(const uint8_t* p, const uint8_t* end, unsigned version_hint,
                                    const DecodeConfig& cfg, PacketInfo& out) noexcept {
    if (end - p < 1) {
      out.verdict = version_hint == 6 ? Verdict::ipv6_truncated : Verdict::ipv4_truncated;
      return;
    }
    const unsigned version = version_hint != 0 ? version_hint : static_cast<unsigned>(p[0] >> 4);
    if (version == 4)
      out.verdict = parse_ipv4(p, end, false, cfg, out);
    else if (version == 6)
      out.verdict = parse_ipv6(p, end, false, cfg, out);
    else
      out.verdict = Verdict::ip_bad_version;
  }

  // Link layer, IP, tunnel, transport; no address classes.
  // `mirror`, `observation_id`: the frame is a mirrored one (strip_mirror).
  static void parse_link(const uint8_t* data, std::size_t len, LinkType link, const DecodeConfig& cfg,
                         PacketInfo& out, MirrorType mirror = MirrorType::none,
                         uint32_t observation_id = 0) noexcept {
    clear(out);
    out.mirror = mirror;
    out.observation_id = observation_id;
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
};

}  // namespace tunprobe::parse_detail
