// ISATAP: Intra-Site Automatic Tunnel Addressing Protocol (RFC 5214).
//
// IPv4 protocol 41 where an inner interface identifier is ISATAP's:
// ::0:5efe:a.b.c.d (private IPv4) or ::200:5efe:a.b.c.d (global IPv4), so
// the upper half of the interface id masked with 0xfcffffff (the
// universal/local and group bits may vary, RFC 5214 section 6.1) equals
// 0x00005efe. The lower half is the host's IPv4 address.
// Checks:
//   1. the interface id of the inner source or destination matches;
//   2. the embedded IPv4 of each matching end is extracted and compared with
//      the outer address of the same end; an end that does not match names
//      the ISATAP router that forwarded the packet (reported as the relay).
#pragma once

#include <cstdint>

#include "probe/base/bytes.hpp"
#include "probe/decode/address_forms.hpp"
#include "probe/decode/decode_config.hpp"
#include "probe/decode/packet.hpp"

namespace tunprobe {

bool isatap_match(const uint8_t* ip6, const DecodeConfig& cfg, PacketInfo& info) noexcept;

}  // namespace tunprobe
