// The plug-in tables (probe/decode/plugin.hpp): protocol 41 by the inner
// addresses, in precedence order; UDP by port and by content.
#include <array>
#include <cstring>

#include "plugins/ayiya.hpp"
#include "plugins/gre.hpp"
#include "plugins/ipv6_udp.hpp"
#include "plugins/isatap.hpp"
#include "probe/decode/plugin.hpp"
#include "plugins/sixinfour.hpp"
#include "plugins/sixrd.hpp"
#include "plugins/sixtofour.hpp"
#include "plugins/teredo.hpp"

namespace tunprobe {

namespace {
constexpr auto kProto41 = std::to_array<Proto41Plugin>({
    {TunnelType::sixrd, &sixrd_match},
    {TunnelType::isatap, &isatap_match},
    {TunnelType::sixtofour, &sixtofour_match},
    {TunnelType::sixinfour, &sixinfour_match},
});

constexpr auto kUdp = std::to_array<UdpPlugin>({
    make_udp_plugin(TunnelType::teredo, kTeredoContentFilter, &teredo_udp_match, &teredo_key_facts),
    make_udp_plugin(TunnelType::ayiya, ContentFilter{}, &ayiya_udp_match, nullptr),
    // After Teredo: a whole IPv6 packet with a Teredo end is Teredo's.
    make_udp_plugin(TunnelType::ipv6_udp, kIpv6UdpContentFilter, &ipv6_udp_match, nullptr),
});

// GRE by protocol type (an EtherType, RFC 2784 2.4).
struct GreProtocol {
  uint16_t protocol;
  TunnelType type;
  uint8_t inner_version;
  Verdict (*check)(const uint8_t* p, std::size_t avail, std::size_t declared, bool fragment) noexcept;
};

constexpr auto kGre = std::to_array<GreProtocol>({
    {kEtherIpv6, TunnelType::gre, 6, &gre_check_ipv6},
    {kEtherIpv4, TunnelType::gre_ipv4, 4, &gre_check_ipv4},
});

// Plug-in I and the ones after it. `plugin` is a constant expression: its
// match is a direct call.
template <std::size_t I>
[[gnu::always_inline]] inline UdpClaim claim_from(const uint8_t* payload, std::size_t avail, std::size_t declared,
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
      if (m.claimed) return {plugin.type, m.verdict, m.inner_offset};
      if (port_verdict == Verdict::ok) port_verdict = m.verdict;
    }
    return claim_from<I + 1>(payload, avail, declared, sport, dport, cfg, info, port_verdict);
  }
}

}  // namespace

UdpClaim claim_udp(const uint8_t* payload, std::size_t avail, std::size_t declared, uint16_t sport, uint16_t dport,
                   const DecodeConfig& cfg, PacketInfo* info) noexcept {
  return claim_from<0>(payload, avail, declared, sport, dport, cfg, info, Verdict::ok);
}

GreClaim claim_gre(const uint8_t* gre, std::size_t avail, std::size_t declared, bool fragment) noexcept {
  const GreHeader h = gre_header(gre, avail, declared);
  if (h.verdict != Verdict::ok) return {TunnelType::none, h.verdict, 0, 0, false, 0};
  for (const GreProtocol& g : kGre) {
    if (g.protocol != h.protocol) continue;
    const std::size_t payload_avail = avail - h.length;
    const Verdict v = g.check(gre + h.length, payload_avail, declared - h.length, fragment);
    if (v != Verdict::ok) return {TunnelType::none, v, 0, 0, false, 0};
    return {g.type, Verdict::ok, g.inner_version, h.length, h.key_present, h.key};
  }
  return {TunnelType::none, Verdict::gre_other_protocol, 0, 0, false, 0};
}

std::span<const Proto41Plugin> proto41_plugins() noexcept { return kProto41; }
const std::span<const UdpPlugin> kUdpPluginTable{kUdp};

void tunnel_facts_from_key(TunnelType type, const uint8_t src[16], const uint8_t dst[16], const DecodeConfig& cfg,
                           PacketInfo& info) noexcept {
  for (const UdpPlugin& plugin : kUdp) {
    if (plugin.type == type) {
      if (plugin.key_facts != nullptr) plugin.key_facts(src, dst, info);
      return;
    }
  }
  // A protocol-41 plug-in finds its facts in the inner addresses.
  uint8_t ip6[40] = {};
  std::memcpy(ip6 + 8, src, 16);
  std::memcpy(ip6 + 24, dst, 16);
  for (const Proto41Plugin& plugin : kProto41) {
    if (plugin.type == type) {
      plugin.match(ip6, cfg, info);
      return;
    }
  }
}

void set_embedded(uint32_t src4, uint32_t dst4, PacketInfo& info) noexcept {
  info.embedded_src4 = src4;
  info.embedded_dst4 = dst4;
  if (src4 != info.outer_src4)
    info.relay4 = info.outer_src4;
  else if (dst4 != info.outer_dst4)
    info.relay4 = info.outer_dst4;
  else
    info.relay4 = 0;
}

}  // namespace tunprobe
