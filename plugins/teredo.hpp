// Teredo: Tunneling IPv6 over UDP through NATs (RFC 4380; RFC 6081).
//
// Layout of the UDP payload:
//   [authentication header]  0x00 0x01, id-len, au-len, client id (id-len),
//                            authentication value (au-len), nonce (8),
//                            confirmation (1)            (RFC 4380 5.1.1)
//   [origin indication]      0x00 0x00, port ^ 0xffff, IPv4 ^ 0xffffffff
//                                                        (RFC 4380 5.1.1)
//   IPv6 packet
//
// Checks, cheapest first (each failure is its own verdict):
//   1. an authentication header, if present, is complete;
//   2. an origin indication, if present, is complete; each header at most
//      once and in this order (a second header fails check 3);
//   3. 40 bytes of IPv6 header follow, version 6;
//   4. 40 + the IPv6 payload length = the UDP payload length left after the
//      optional headers (both from headers, not from the captured length);
//   5. bubbles: next header 59 and payload length 0 are flagged; next header
//      59 with a payload is its own verdict (teredo_bubble_payload).
// The Teredo address 2001:0::/32 (RFC 4380 section 4) holds the server IPv4
// (bits 32-63), flags (64-79), the client's mapped port (80-95) and IPv4
// (96-127), the last two XOR-obfuscated with all ones.
#pragma once

#include <cstddef>
#include <cstdint>

#include "probe/packet.hpp"

namespace tunprobe {

inline bool is_teredo_address(const uint8_t a[16]) noexcept {
  return a[0] == 0x20 && a[1] == 0x01 && a[2] == 0x00 && a[3] == 0x00;
}

// Fills server/client/port/flags from a Teredo address.
void teredo_decode_address(const uint8_t a[16], TeredoInfo& t) noexcept;

// Strips the optional Teredo headers from a UDP payload. `avail` is how many
// bytes are readable, `udp_payload_len` what the UDP header declares. On
// Verdict::ok or teredo_bubble_payload, `inner_offset` is where the IPv6
// header starts; other verdicts say why it is not Teredo.
Verdict teredo_strip(const uint8_t* payload, std::size_t avail, std::size_t udp_payload_len, TeredoInfo& t,
                     std::size_t& inner_offset) noexcept;

}  // namespace tunprobe
