// 6rd: IPv6 Rapid Deployment on IPv4 Infrastructures (RFC 5969).
//
// Protocol 41 like 6to4, but under the operator's own prefix, which the
// packet cannot reveal: the user configures it (--6rd-prefix P/LEN). The
// customer's IPv4 address is the 32 bits after the prefix (IPv4MaskLen 0,
// RFC 5969 section 4; with a common IPv4 prefix the bits read are the
// address's low bits).
// Checks:
//   1. the inner source or destination lies in a configured 6rd prefix;
//   2. the embedded IPv4 of each matching end is extracted; an outer address
//      that its end does not explain is the border relay (reported).
#pragma once

#include <cstdint>

#include "probe/decode_config.hpp"
#include "probe/packet.hpp"

namespace tunprobe {

// True when `a` lies in `p`; then `embedded` holds the 32 bits after it.
bool sixrd_in_prefix(const uint8_t a[16], const SixrdPrefix& p, uint32_t& embedded) noexcept;

bool sixrd_match(const uint8_t* ip6, const DecodeConfig& cfg, PacketInfo& info) noexcept;

}  // namespace tunprobe
