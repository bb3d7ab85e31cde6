// Tunnel types: one table gives, for each carrier of IPv6 (or IPv4) that
// tunprobe decodes, everything the rest of the tree shows of it:
//
//   enumerator  TunnelType::e
//   value       the tunnelType IPFIX element (unsigned8, templates/), the
//               nfdump profile's value, the generator's ground truth: never
//               renumber; values are the table's indexes
//   name        JSON, the command line, the report's keys, the generator's
//               labels (scripts/tunnel_types.py reads this table)
//   label       the report's row and column headings
//   colour      the report's charts (sent in the report's JSON)
//   carrier     what the outer header is: it decides which outer fields are
//               part of the flow key and exported (README "Flow key")
//   port        UDP carriers: the default port (--NAME-ports), 0 for none
//   detect      UDP carriers told by content: the default of --NAME-detect.
//               IPv6 in UDP is off by default (no port, ports only): a
//               whole IPv6 packet is all its content check can ask for, and
//               about one random datagram in 12 million passes that (one
//               false flow every few seconds at 10 Gb/s of QUIC)
//
// A new tunnel is a row here, a plug-in file under plugins/ and its rows in
// plugins/registry.hpp.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "probe/base/protocols.hpp"

namespace tunprobe {

// How a UDP tunnel is recognised (--NAME-detect).
//   content  every UDP datagram whose payload passes the plug-in's content
//            checks is the tunnel, on any port (Teredo data between a client
//            and a relay runs on the client's mapped port and the relay's
//            ephemeral port); the configured ports are the fast path,
//            validated with the protocol's own rules only.
//   ports    only the configured ports carry it.
enum class UdpDetect : uint8_t { content, ports };

// What carries the tunneled packet.
enum class Carrier : uint8_t {
  native,        // no tunnel
  ipv4,          // directly in IPv4 (protocol 41): the outer addresses
  ipv4_udp,      // in UDP over IPv4: the outer addresses and ports
  ipv4_gre,      // in GRE over IPv4 (protocol 47): the outer addresses and the GRE key
  ipv6,          // directly in IPv6 (next header 41 or 4): the outer IPv6 addresses
};

// X(enumerator, value, name, label, colour, carrier, port, detect)
#define TUNPROBE_TUNNEL_TYPES(X)                                           \
  X(none, 0, "none", "native", "#4c72b0", native, 0, ports)                \
  X(teredo, 1, "teredo", "Teredo", "#55a868", ipv4_udp, 3544, content)     \
  X(sixtofour, 2, "6to4", "6to4", "#dd8452", ipv4, 0, ports)               \
  X(isatap, 3, "isatap", "ISATAP", "#c44e52", ipv4, 0, ports)              \
  X(sixinfour, 4, "6in4", "6in4", "#8172b3", ipv4, 0, ports)               \
  X(sixrd, 5, "6rd", "6rd", "#937860", ipv4, 0, ports)                     \
  X(ayiya, 6, "ayiya", "AYIYA", "#da8bc3", ipv4_udp, 5072, ports)          \
  X(gre, 7, "gre", "GRE", "#8c8c8c", ipv4_gre, 0, ports)                   \
  X(gre_ipv4, 8, "gre-ipv4", "GRE IPv4", "#ccb974", ipv4_gre, 0, ports)    \
  X(ipv6_udp, 9, "ipv6-udp", "IPv6 in UDP", "#64b5cd", ipv4_udp, 0, ports)    \
  X(ipv6_in_ipv6, 10, "ipv6-in-ipv6", "IPv6 in IPv6", "#4d4d9f", ipv6, 0, ports) \
  X(ipv4_in_ipv6, 11, "ipv4-in-ipv6", "IPv4 in IPv6", "#b07aa1", ipv6, 0, ports)

enum class TunnelType : uint8_t {
#define TUNPROBE_X(e, v, n, l, c, k, port, detect) e = v,
  TUNPROBE_TUNNEL_TYPES(TUNPROBE_X)
#undef TUNPROBE_X
};

struct TunnelTypeInfo {
  TunnelType type;
  std::string_view name;
  std::string_view label;
  std::string_view colour;
  Carrier carrier;
  uint16_t default_port;
  UdpDetect default_detect;
};

inline constexpr auto kTunnelTypes = std::to_array<TunnelTypeInfo>({
#define TUNPROBE_X(e, v, n, l, c, k, port, detect) {TunnelType::e, n, l, c, Carrier::k, port, UdpDetect::detect},
    TUNPROBE_TUNNEL_TYPES(TUNPROBE_X)
#undef TUNPROBE_X
});
inline constexpr std::size_t kTunnelTypeCount = kTunnelTypes.size();

// The value is the row's index: the lookups below are array reads.
#define TUNPROBE_X(e, v, n, l, c, k, port, detect) \
  static_assert(static_cast<std::size_t>(TunnelType::e) < kTunnelTypeCount && kTunnelTypes[v].type == TunnelType::e);
TUNPROBE_TUNNEL_TYPES(TUNPROBE_X)
#undef TUNPROBE_X

constexpr const TunnelTypeInfo& tunnel_type_info(TunnelType t) { return kTunnelTypes[static_cast<std::size_t>(t)]; }
constexpr std::string_view tunnel_type_name(TunnelType t) { return tunnel_type_info(t).name; }
constexpr std::string_view tunnel_type_label(TunnelType t) { return tunnel_type_info(t).label; }
constexpr Carrier tunnel_carrier(TunnelType t) { return tunnel_type_info(t).carrier; }

// One bit per tunnel type whose carrier has it: a test on the packet path
// is a shift of a constant, not a table load.
constexpr uint32_t carrier_mask(Carrier c) {
  uint32_t m = 0;
  for (const TunnelTypeInfo& i : kTunnelTypes)
    if (i.carrier == c) m |= uint32_t{1} << static_cast<unsigned>(i.type);
  return m;
}
static_assert(kTunnelTypeCount <= 32);

// The outer header is IPv6: the key holds digests of its addresses
// (outer_address_digest), the record the addresses.
constexpr bool tunnel_has_outer_ipv6(TunnelType t) {
  return (carrier_mask(Carrier::ipv6) >> static_cast<unsigned>(t)) & 1;
}

// The outer UDP ports are part of the key and exported (Teredo: the
// client's mapped port and the relay's port, RFC 4380 5.4).
constexpr bool tunnel_has_outer_ports(TunnelType t) {
  return (carrier_mask(Carrier::ipv4_udp) >> static_cast<unsigned>(t)) & 1;
}

// The GRE key (RFC 2890 2.1) names the tunnel between two endpoints: it is
// part of the key, in the outer-port slot (no GRE carrier has ports).
constexpr bool tunnel_has_gre_key(TunnelType t) {
  return (carrier_mask(Carrier::ipv4_gre) >> static_cast<unsigned>(t)) & 1;
}

// The flow key's 32 outer bits beyond the addresses: UDP ports or a GRE key.
constexpr bool tunnel_has_outer_id(TunnelType t) {
  return ((carrier_mask(Carrier::ipv4_udp) | carrier_mask(Carrier::ipv4_gre)) >> static_cast<unsigned>(t)) & 1;
}

// The outer header's IP protocol: what an outer fragment of the tunnel
// carries (0 for native traffic).
constexpr uint8_t tunnel_outer_protocol(TunnelType t) {
  switch (tunnel_carrier(t)) {
    case Carrier::native: return 0;
    case Carrier::ipv4: return kIpProtoIpv6;
    case Carrier::ipv4_udp: return kIpProtoUdp;
    case Carrier::ipv4_gre: return kIpProtoGre;
    case Carrier::ipv6: return t == TunnelType::ipv4_in_ipv6 ? kIpProtoIpip : kIpProtoIpv6;
  }
  return 0;
}

constexpr std::optional<TunnelType> tunnel_type_from_name(std::string_view s) {
  for (const TunnelTypeInfo& i : kTunnelTypes)
    if (i.name == s) return i.type;
  return std::nullopt;
}

}  // namespace tunprobe
