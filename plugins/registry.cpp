// The plug-in tables' out-of-line uses (plugins/registry.hpp): the command
// line and the key facts walk them as spans.
#include "plugins/registry.hpp"

#include <cstring>

namespace tunprobe {

using registry::kProto41;
using registry::kUdp;

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
