// 6to4: Connection of IPv6 Domains via IPv4 Clouds (RFC 3056, RFC 3068).
//
// IPv4 protocol 41 whose inner source or destination is in 2002::/16; the
// IPv4 address of the site is bits 16-47 (RFC 3056 section 2).
// Checks:
//   1. at least one inner end is in 2002::/16;
//   2. the embedded IPv4 of each 6to4 end is extracted;
//   3. host-to-host traffic has every outer address explained by the
//      embedded IPv4 of its own end; otherwise the unexplained outer address
//      is a relay router (RFC 3068 anycast 192.88.99.1 or a unicast relay)
//      and is reported as such.
#pragma once

#include <cstdint>

#include "probe/decode/address_forms.hpp"
#include "probe/decode/decode_config.hpp"
#include "probe/decode/packet.hpp"

namespace tunprobe {

bool sixtofour_match(const uint8_t* ip6, const DecodeConfig& cfg, PacketInfo& info) noexcept;

}  // namespace tunprobe
