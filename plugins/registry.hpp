// The plug-in tables (probe/decode/plugin.hpp) and the dispatch over them:
// protocol 41 by the inner addresses, in precedence order; UDP by port and
// by content; GRE by protocol type; IPv6 by next header. The tables are constant expressions and
// the loops over them are unrolled at compile time, so that every plug-in's
// match is a direct call. `Registry` is what the parser template
// (probe/decode/parse_impl.hpp) is instantiated with, in plugins/parser.cpp.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "plugins/ayiya.hpp"
#include "plugins/erspan.hpp"
#include "plugins/gre.hpp"
#include "plugins/ip6tnl.hpp"
#include "plugins/ipv6_udp.hpp"
#include "plugins/isatap.hpp"
#include "plugins/sixinfour.hpp"
#include "plugins/sixrd.hpp"
#include "plugins/sixtofour.hpp"
#include "plugins/teb.hpp"
#include "plugins/teredo.hpp"
#include "plugins/vxlan.hpp"
#include "probe/decode/plugin.hpp"

namespace tunprobe::registry {

inline constexpr auto kProto41 = std::to_array<Proto41Plugin>({
    {TunnelType::sixrd, &sixrd_match},
    {TunnelType::isatap, &isatap_match},
    {TunnelType::sixtofour, &sixtofour_match},
    {TunnelType::sixinfour, &sixinfour_match},
});

inline constexpr auto kUdp = std::to_array<UdpPlugin>({
    make_udp_plugin(TunnelType::teredo, kTeredoContentFilter, &teredo_udp_match, &teredo_key_facts),
    make_udp_plugin(TunnelType::ayiya, ContentFilter{}, &ayiya_udp_match, nullptr),
    // After Teredo: a whole IPv6 packet with a Teredo end is Teredo's.
    make_udp_plugin(TunnelType::ipv6_udp, kIpv6UdpContentFilter, &ipv6_udp_match, nullptr),
});

// A carried IP packet by the number its carrier's header gives: GRE's
// protocol type, IPv6's next header.
struct CarriedProtocol {
  uint16_t protocol;
  TunnelType type;
  uint8_t inner_version;
  Verdict (*check)(const uint8_t* p, std::size_t avail, std::size_t declared, bool fragment) noexcept;
};

// GRE by protocol type (an EtherType, RFC 2784 2.4).
inline constexpr auto kGre = std::to_array<CarriedProtocol>({
    {kEtherIpv6, TunnelType::gre, 6, &gre_check_ipv6},
    {kEtherIpv4, TunnelType::gre_ipv4, 4, &gre_check_ipv4},
});

// An outer IPv6 header by the next header its extension chain ends at
// (RFC 2473; DS-Lite, RFC 6333).
inline constexpr auto kIpv6NextHeader = std::to_array<CarriedProtocol>({
    {kIpProtoIpv6, TunnelType::ipv6_in_ipv6, 6, &ip6tnl_check_ipv6},
    {kIpProtoIpip, TunnelType::ipv4_in_ipv6, 4, &ip6tnl_check_ipv4},
});

// Whether an outer IPv6 header's next header is one kIpv6NextHeader
// decodes: the parser's one test on a native IPv6 packet.
constexpr bool ipv6_carries_tunnel(uint8_t next) noexcept {
  for (const CarriedProtocol& c : kIpv6NextHeader)
    if (c.protocol == next) return true;
  return false;
}

// Mirrors in GRE by protocol type: each row is looked at when --mirror
// turned on one of `types`.
struct GreMirror {
  uint16_t protocol;
  MirrorSet types;
  MirrorClaim (*match)(const uint8_t* p, std::size_t avail, std::size_t declared, const GreHeader& gre) noexcept;
};

inline constexpr auto kGreMirrors = std::to_array<GreMirror>({
    {kEtherErspan, mirror_bit(MirrorType::erspan1) | mirror_bit(MirrorType::erspan2), &erspan_match},
    {kEtherErspan3, mirror_bit(MirrorType::erspan3), &erspan3_match},
    {kEtherTeb, mirror_bit(MirrorType::teb), &teb_match},
});

// UDP plug-in I and the ones after it.
template <std::size_t I>
[[gnu::always_inline]] inline UdpClaim claim_udp_from(const uint8_t* payload, std::size_t avail, std::size_t declared,
                                                      uint16_t sport, uint16_t dport, const DecodeConfig& cfg,
                                                      PacketInfo* info, Verdict port_verdict) noexcept {
  if constexpr (I == kUdp.size()) {
    return {TunnelType::none, port_verdict, 0};
  } else {
    constexpr const UdpPlugin& plugin = kUdp[I];
    const bool on_port = cfg.either_port(plugin.type, sport, dport);
    if (on_port || (plugin.by_content && cfg.detect(plugin.type) == UdpDetect::content &&
                    plugin.content.accepts(payload, avail, declared))) {
      const UdpMatch m = plugin.match(payload, avail, declared, on_port, info);
      if (m.claimed) return {plugin.type, m.verdict, m.inner_offset, m.inner_version};
      if (port_verdict == Verdict::ok) port_verdict = m.verdict;
    }
    return claim_udp_from<I + 1>(payload, avail, declared, sport, dport, cfg, info, port_verdict);
  }
}

// Protocol-41 plug-in I and the ones after it; none when no plug-in claims.
template <std::size_t I>
[[gnu::always_inline]] inline TunnelType claim_proto41_from(const uint8_t* ip6, const DecodeConfig& cfg,
                                                            PacketInfo& info) noexcept {
  if constexpr (I == kProto41.size()) {
    return TunnelType::none;
  } else {
    constexpr const Proto41Plugin& plugin = kProto41[I];
    if (plugin.match(ip6, cfg, info)) return plugin.type;
    return claim_proto41_from<I + 1>(ip6, cfg, info);
  }
}

// The dispatch the parser is instantiated with.
struct Registry {
  // The UDP plug-ins in table order; the first claim wins. A plug-in looks
  // at a datagram on its ports, and elsewhere when it is told by content
  // (DecodeConfig::detect) and its ContentFilter passes. `info` null:
  // decide only (nested detection).
  [[gnu::always_inline]] static UdpClaim claim_udp(const uint8_t* payload, std::size_t avail, std::size_t declared,
                                                   uint16_t sport, uint16_t dport, const DecodeConfig& cfg,
                                                   PacketInfo* info) noexcept {
    return claim_udp_from<0>(payload, avail, declared, sport, dport, cfg, info, Verdict::ok);
  }

  // The protocol-41 plug-ins in precedence order (the last, 6in4, takes
  // every packet).
  [[gnu::always_inline]] static TunnelType claim_proto41(const uint8_t* ip6, const DecodeConfig& cfg,
                                                         PacketInfo& info) noexcept {
    return claim_proto41_from<0>(ip6, cfg, info);
  }

  // `gre`: the GRE header, `avail` bytes readable, `declared` the IP
  // payload length; `fragment`: the outer packet is a first fragment;
  // `mirrors`: the mirror types to strip (none inside a mirrored frame).
  static GreClaim claim_gre(const uint8_t* gre, std::size_t avail, std::size_t declared, bool fragment,
                            MirrorSet mirrors) noexcept {
    GreClaim c{TunnelType::none, Verdict::ok, 0, 0, false, 0, {MirrorType::none, Verdict::ok, LinkType::ethernet, 0, 0}};
    const GreHeader h = gre_header(gre, avail, declared);
    if (h.verdict != Verdict::ok) {
      c.verdict = h.verdict;
      return c;
    }
    const uint8_t* payload = gre + h.length;
    for (const CarriedProtocol& g : kGre) {
      if (g.protocol != h.protocol) continue;
      const Verdict v = g.check(payload, avail - h.length, declared - h.length, fragment);
      if (v != Verdict::ok) {
        c.verdict = v;
        return c;
      }
      return {g.type, Verdict::ok, g.inner_version, h.length, h.key_present, h.key, c.mirror};
    }
    // A mirror's frames are whole: an outer fragment is left as it is.
    for (const GreMirror& m : kGreMirrors) {
      if (m.protocol != h.protocol || (mirrors & m.types) == 0 || fragment) continue;
      c.mirror = m.match(payload, avail - h.length, declared - h.length, h);
      if (c.mirror.type != MirrorType::none) {
        c.mirror.frame_offset = static_cast<uint16_t>(c.mirror.frame_offset + h.length);
        return c;
      }
      c.verdict = c.mirror.verdict;
      return c;
    }
    c.verdict = Verdict::gre_other_protocol;
    return c;
  }

  // The payload of an outer IPv6 header whose extension chain ended at
  // `next` (`avail` readable, `declared` by its payload length; `fragment`:
  // a first fragment).
  static Ipv6CarrierClaim claim_ipv6_next(uint8_t next, const uint8_t* p, std::size_t avail, std::size_t declared,
                                          bool fragment) noexcept {
    for (const CarriedProtocol& c : kIpv6NextHeader) {
      if (c.protocol != next) continue;
      const Verdict v = c.check(p, avail, declared, fragment);
      if (v != Verdict::ok) return {TunnelType::none, v, 0};
      return {c.type, Verdict::ok, c.inner_version};
    }
    return {TunnelType::none, Verdict::ok, 0};
  }
  static constexpr bool ipv6_carries_tunnel(uint8_t next) noexcept { return registry::ipv6_carries_tunnel(next); }

  // VXLAN on a --vxlan-ports destination port (the caller checked it).
  [[gnu::noinline]] static MirrorClaim claim_vxlan(const uint8_t* payload, std::size_t avail,
                                                   std::size_t declared) noexcept {
    return vxlan_match(payload, avail, declared);
  }
};

}  // namespace tunprobe::registry
