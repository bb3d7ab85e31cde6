// 6in4: manually configured IPv6-in-IPv4 tunnels (RFC 4213 section 3),
// including tunnel brokers (RFC 3053).
//
// The catch-all for protocol 41 that no other plug-in claims; it is last in
// the table (probe/decode/plugin.hpp). Checks: none beyond the parser's (inner
// header complete, version 6, payload length within the IPv4 payload). No
// address is embedded, so there is no relay to name.
#pragma once

#include <cstdint>

#include "probe/decode/decode_config.hpp"
#include "probe/decode/packet.hpp"

namespace tunprobe {

bool sixinfour_match(const uint8_t* ip6, const DecodeConfig& cfg, PacketInfo& info) noexcept;

}  // namespace tunprobe
