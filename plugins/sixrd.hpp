// 6rd: IPv6 Rapid Deployment on IPv4 Infrastructures (RFC 5969).
//
// Protocol 41 like 6to4, but under the operator's own prefix, which the
// packet cannot reveal: the user configures each 6rd domain (--6rd-prefix
// P/LEN[@V4PREFIX/MASKLEN]). RFC 5969 section 4: a domain has a 6rd prefix
// of 6rdPrefixLen bits and an IPv4MaskLen, the number of high bits common
// to every CE IPv4 address of the domain; the CE's delegated prefix is the
// 6rd prefix followed by the other 32 - IPv4MaskLen bits of its address.
// The CE address is therefore the common prefix OR those bits.
// Checks:
//   1. the inner source or destination lies in a configured 6rd prefix;
//   2. the embedded IPv4 of each matching end is rebuilt (common prefix |
//      the bits after the 6rd prefix); an outer address that its end does
//      not explain is the border relay (reported).
#pragma once

#include <cstdint>

#include "probe/decode/decode_config.hpp"
#include "probe/decode/packet.hpp"

namespace tunprobe {

// True when `a` lies in `p`; then `embedded` holds the CE's IPv4 address.
bool sixrd_in_prefix(const uint8_t a[16], const SixrdPrefix& p, uint32_t& embedded) noexcept;

// The CE IPv4 address of `a` (in `p`): p.ipv4_prefix | the 32 -
// p.ipv4_mask_len bits after the 6rd prefix.
uint32_t sixrd_embedded_ipv4(const uint8_t a[16], const SixrdPrefix& p) noexcept;

bool sixrd_match(const uint8_t* ip6, const DecodeConfig& cfg, PacketInfo& info) noexcept;

}  // namespace tunprobe
