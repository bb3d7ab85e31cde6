// The protocol-41 plug-in table; its order is the precedence rule
// documented in probe/decode/plugin.hpp.
#include <array>

#include "plugins/isatap.hpp"
#include "probe/decode/plugin.hpp"
#include "plugins/sixinfour.hpp"
#include "plugins/sixrd.hpp"
#include "plugins/sixtofour.hpp"

namespace tunprobe {

namespace {
constexpr std::array<Proto41Plugin, 4> kProto41{{
    {TunnelType::sixrd, &sixrd_match},
    {TunnelType::isatap, &isatap_match},
    {TunnelType::sixtofour, &sixtofour_match},
    {TunnelType::sixinfour, &sixinfour_match},
}};
}  // namespace

std::span<const Proto41Plugin> proto41_plugins() noexcept { return kProto41; }

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
