// What the decoder needs to know from the user: how Teredo is found (by
// content, or only on configured UDP ports), which ports carry it, and the
// 6rd domains. Fixed-size so that workers can copy it into their own state.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "probe/base/mirror_type.hpp"
#include "probe/base/tunnel_type.hpp"

namespace tunprobe {

// A 6rd domain (RFC 5969 section 4): the 6rd prefix and its length, and
// IPv4MaskLen, the number of high bits that every CE IPv4 address of the
// domain shares (`ipv4_prefix`) and that the delegated prefix does not
// carry. The delegated prefix is the 6rd prefix, then the CE address's
// 32 - IPv4MaskLen low bits.
struct SixrdPrefix {
  uint8_t prefix[16] = {};
  uint8_t length = 0;         // 6rdPrefixLen, bits
  uint8_t ipv4_mask_len = 0;  // IPv4MaskLen, 0..32
  uint32_t ipv4_prefix = 0;   // the common high bits (the rest zero)
};


// The UDP ports of one UDP-carried tunnel type.
// Port 0 (reserved, RFC 768) is never a tunnel's.
struct PortSet {
  static constexpr std::size_t kMax = 8;
  std::array<uint16_t, kMax> port{};
  uint8_t count = 0;

  bool contains(uint16_t p) const noexcept {
    if (p == 0) return false;
    for (uint8_t i = 0; i < count; ++i)
      if (port[i] == p) return true;
    return false;
  }

  // Is `a` or `b` in the set? (A scalar loop: with the usual one or two
  // ports it is cheaper than an 8-lane SSE2 compare, measured.)
  bool either(uint16_t a, uint16_t b) const noexcept { return contains(a) || contains(b); }
};

// Each UDP tunnel type's default detection, from the tunnel table.
constexpr std::array<UdpDetect, kTunnelTypeCount> default_udp_detect() {
  std::array<UdpDetect, kTunnelTypeCount> a{};
  for (const TunnelTypeInfo& i : kTunnelTypes) a[static_cast<std::size_t>(i.type)] = i.default_detect;
  return a;
}

// Each UDP tunnel type's default port, from the tunnel table.
constexpr std::array<PortSet, kTunnelTypeCount> default_udp_ports() {
  std::array<PortSet, kTunnelTypeCount> a{};
  for (const TunnelTypeInfo& i : kTunnelTypes)
    if (i.default_port != 0) a[static_cast<std::size_t>(i.type)] = PortSet{{i.default_port}, 1};
  return a;
}

struct DecodeConfig {
  static constexpr std::size_t kMaxSixrdPrefixes = 4;
  // Per tunnel type (by value): the UDP ports that carry it (--NAME-ports).
  std::array<PortSet, kTunnelTypeCount> udp_ports = default_udp_ports();
  // Per tunnel type: found by content on any port, or on its ports only
  // (--NAME-detect); only the UDP plug-ins that can be told by content look.
  std::array<UdpDetect, kTunnelTypeCount> udp_detect = default_udp_detect();
  std::array<SixrdPrefix, kMaxSixrdPrefixes> sixrd{};
  uint8_t sixrd_count = 0;
  // Mirrors to strip (--mirror; none by default: a VXLAN or ERSPAN packet is
  // then the UDP or GRE flow it is), and VXLAN's destination ports
  // (--vxlan-ports, IANA's 4789 by default; Linux's own default is 8472).
  MirrorSet mirrors = 0;
  PortSet vxlan_ports{{4789}, 1};

  const PortSet& ports(TunnelType t) const noexcept { return udp_ports[static_cast<std::size_t>(t)]; }
  PortSet& ports(TunnelType t) noexcept { return udp_ports[static_cast<std::size_t>(t)]; }
  bool is_port(TunnelType t, uint16_t port) const noexcept { return ports(t).contains(port); }
  // Is either port of a datagram one of the type's?
  bool either_port(TunnelType t, uint16_t a, uint16_t b) const noexcept { return ports(t).either(a, b); }
  UdpDetect detect(TunnelType t) const noexcept { return udp_detect[static_cast<std::size_t>(t)]; }
  UdpDetect& detect(TunnelType t) noexcept { return udp_detect[static_cast<std::size_t>(t)]; }
};

// Parses a 6rd domain: "PREFIX/LEN" (IPv4MaskLen 0: the CE's whole address
// follows the prefix) or "PREFIX/LEN@V4PREFIX/MASKLEN" (the CE addresses
// share their MASKLEN high bits, V4PREFIX; the delegated prefix carries the
// other 32 - MASKLEN bits), e.g. 2001:db8::/24@10.0.0.0/8. RFC 5969 section
// 4 asks LEN + 32 - MASKLEN <= 64 (a delegated prefix of at most /64).
// Returns an error message naming --6rd-prefix and the allowed range, empty
// on success; `out` is left alone on an error.
std::string parse_sixrd_prefix(std::string_view text, SixrdPrefix& out);

// Parses "3544,3545" into the port set of a UDP tunnel type (--NAME-ports).
// Returns an error message naming the option, empty on success.
std::string parse_udp_ports(TunnelType type, std::string_view text, DecodeConfig& cfg);

// Parses "content" or "ports" (--NAME-detect). Returns an error message,
// empty on success.
std::string parse_udp_detect(TunnelType type, std::string_view text, DecodeConfig& cfg);

// --mirror: "none", "auto" or a comma list of vxlan, erspan, teb.
std::string parse_mirrors(std::string_view text, DecodeConfig& cfg);
// --vxlan-ports: a comma list of UDP destination ports.
std::string parse_vxlan_ports(std::string_view text, DecodeConfig& cfg);

}  // namespace tunprobe
