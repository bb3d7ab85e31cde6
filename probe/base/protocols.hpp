// Protocol numbers, once for the whole tree: IANA "Assigned Internet
// Protocol Numbers" (IPv4 protocol / IPv6 next header) and "IEEE 802
// Numbers" (EtherTypes).
#pragma once

#include <array>
#include <cstdint>

namespace tunprobe {

// IP protocol numbers (also IPv6 next headers, RFC 8200 4).
inline constexpr uint8_t kIpProtoHopByHop = 0;  // RFC 8200 4.3
inline constexpr uint8_t kIpProtoIcmp = 1;      // RFC 792
inline constexpr uint8_t kIpProtoIpip = 4;      // IPv4 in IP, RFC 2003
inline constexpr uint8_t kIpProtoTcp = 6;       // RFC 9293
inline constexpr uint8_t kIpProtoUdp = 17;      // RFC 768
inline constexpr uint8_t kIpProtoIpv6 = 41;     // IPv6 in IP, RFC 4213 / RFC 2473
inline constexpr uint8_t kIpProtoRouting = 43;  // RFC 8200 4.4
inline constexpr uint8_t kIpProtoFragment = 44; // RFC 8200 4.5
inline constexpr uint8_t kIpProtoGre = 47;      // RFC 2784
inline constexpr uint8_t kIpProtoEsp = 50;      // RFC 4303
inline constexpr uint8_t kIpProtoAh = 51;       // RFC 4302
inline constexpr uint8_t kIpProtoIcmpv6 = 58;   // RFC 4443
inline constexpr uint8_t kIpProtoNoNext = 59;   // RFC 8200 4.7
inline constexpr uint8_t kIpProtoDstOpts = 60;  // RFC 8200 4.6
inline constexpr uint8_t kIpProtoDccp = 33;     // RFC 4340
inline constexpr uint8_t kIpProtoSctp = 132;    // RFC 9260
inline constexpr uint8_t kIpProtoUdpLite = 136; // RFC 3828

// EtherTypes.
// The next headers an IPv6 packet carried in UDP may start with, for the
// content checks of Teredo and IPv6-in-UDP: the IANA IPv6 extension headers
// (RFC 7045 section 4: hop-by-hop 0, routing 43, fragment 44, ESP 50, AH
// 51, destination options 60, Mobility 135, HIP 139, Shim6 140,
// experimental 253 and 254), the transports (TCP 6, UDP 17, DCCP 33, ICMPv6
// 58, SCTP 132, UDP-Lite 136), no next header 59 (Teredo bubbles), and the
// tunnels (IPv4 4, IPv6 41, GRE 47).
inline constexpr std::array<uint64_t, 4> kKnownFirstNextHeaders = [] {
  std::array<uint64_t, 4> set{};
  for (unsigned n : {0u, 4u, 6u, 17u, 33u, 41u, 43u, 44u, 47u, 50u, 51u, 58u, 59u, 60u, 132u, 135u, 136u, 139u,
                     140u, 253u, 254u})
    set[n >> 6] |= uint64_t{1} << (n & 63);
  return set;
}();

constexpr bool is_known_first_next_header(uint8_t n) noexcept { return (kKnownFirstNextHeaders[n >> 6] >> (n & 63)) & 1; }

inline constexpr uint16_t kEtherIpv4 = 0x0800;
inline constexpr uint16_t kEtherIpv6 = 0x86dd;
inline constexpr uint16_t kEtherVlan = 0x8100;     // IEEE 802.1Q
inline constexpr uint16_t kEtherQinQ = 0x88a8;     // IEEE 802.1ad
inline constexpr uint16_t kEtherQinQOld = 0x9100;  // pre-802.1ad QinQ
inline constexpr uint16_t kEtherMpls = 0x8847;     // RFC 3032
inline constexpr uint16_t kEtherPppoeSession = 0x8864;  // RFC 2516
// GRE protocol types of mirrored frames: ERSPAN types I and II (0x88BE) and
// III (0x22EB) (draft-foschiano-erspan-03), transparent Ethernet bridging
// (0x6558; NVGRE, RFC 7637).
inline constexpr uint16_t kEtherErspan = 0x88be;
inline constexpr uint16_t kEtherErspan3 = 0x22eb;
inline constexpr uint16_t kEtherTeb = 0x6558;

// PPP protocol numbers (RFC 1332, RFC 5072).
inline constexpr uint16_t kPppIpv4 = 0x0021;
inline constexpr uint16_t kPppIpv6 = 0x0057;

// ICMP for either IP version: its type and code stand where ports would.
constexpr bool is_icmp_protocol(uint8_t p) { return p == kIpProtoIcmp || p == kIpProtoIcmpv6; }

}  // namespace tunprobe
