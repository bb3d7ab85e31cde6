// Tunnel types: one table gives the enum, its printable name and the value
// exported in the tunnelType IPFIX element (unsigned8; see templates/).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace tunprobe {

// X(enumerator, ipfix value, name)
#define TUNPROBE_TUNNEL_TYPES(X) \
  X(none, 0, "none")             \
  X(teredo, 1, "teredo")         \
  X(sixtofour, 2, "6to4")        \
  X(isatap, 3, "isatap")         \
  X(sixinfour, 4, "6in4")        \
  X(sixrd, 5, "6rd")

enum class TunnelType : uint8_t {
#define TUNPROBE_X(e, v, n) e = v,
  TUNPROBE_TUNNEL_TYPES(TUNPROBE_X)
#undef TUNPROBE_X
};

inline constexpr std::array<std::string_view, 6> kTunnelTypeNames{{
#define TUNPROBE_X(e, v, n) n,
    TUNPROBE_TUNNEL_TYPES(TUNPROBE_X)
#undef TUNPROBE_X
}};

constexpr std::string_view tunnel_type_name(TunnelType t) { return kTunnelTypeNames[static_cast<std::size_t>(t)]; }

constexpr std::optional<TunnelType> tunnel_type_from_name(std::string_view s) {
  for (std::size_t i = 0; i < kTunnelTypeNames.size(); ++i)
    if (kTunnelTypeNames[i] == s) return static_cast<TunnelType>(i);
  return std::nullopt;
}

}  // namespace tunprobe
