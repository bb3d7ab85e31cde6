// GRE: Generic Routing Encapsulation (RFC 2784) with the key and sequence
// number extensions (RFC 2890), IPv4 protocol 47. Routers, firewalls and
// cloud gateways carry both IPv6 (protocol type 0x86DD) and IPv4 (0x0800)
// in it; tunprobe reports each as its own tunnel type (gre, gre-ipv4), the
// inner flow with the outer IPv4 pair and the key.
//
// Header (RFC 2784 section 2, RFC 2890 section 2):
//   bits 0-15   C (checksum present) | R (RFC 1701 routing) | K (key
//               present) | S (sequence present) | s (strict source route,
//               RFC 1701) | Recur (3 bits, RFC 1701) | reserved0 | version
//   bits 16-31  protocol type (an EtherType)
//   then        checksum + reserved1 (4 bytes, if C), key (4, if K),
//               sequence number (4, if S), in that order; then the payload.
//
// Checks, in order (each failure is a verdict; the packet stays the IPv4
// flow of protocol 47):
//   1. the 4-byte header is there, by the IPv4 payload and by the capture
//      (gre_truncated);
//   2. version 0, and none of bits 1, 4 and 5 set (gre_bad_header): RFC
//      2784 2.3 says a receiver discards a packet with any of bits 1-5 set
//      unless it implements RFC 1701 (bits 2 and 3 are RFC 2890's K and S)
//      and ignores bits 6-12. Version 1 is PPTP's enhanced GRE (RFC 2637),
//      which carries PPP;
//   3. the optional fields the flags announce fit (gre_truncated);
//   4. the protocol type is one plugins/registry.hpp knows
//      (gre_other_protocol otherwise: PPP, ERSPAN, bridged Ethernet, ...);
//   5. the payload is that IP packet: for 0x86DD 40 bytes of IPv6 header,
//      version 6, 40 + its payload length within the GRE payload; for
//      0x0800 an IPv4 header of version 4, a header length of 20 or more,
//      a total length between it and the GRE payload (gre_bad_payload;
//      gre_truncated when the capture cuts the inner header). A first
//      outer fragment carries only part of the payload: its lengths are not
//      compared.
// The checksum is not verified: a probe counts what the wire carried.
#pragma once

#include <cstddef>
#include <cstdint>

#include "probe/decode/plugin.hpp"

namespace tunprobe {

// Checks 1-3: the GRE header at `p` (`avail` bytes readable, `declared`
// the IPv4 payload length).
struct GreHeader {
  Verdict verdict;      // ok, gre_truncated or gre_bad_header
  uint16_t protocol;    // the protocol type
  uint16_t length;      // 4 to 16 bytes: where the payload starts
  bool key_present;
  uint32_t key;
  bool sequence_present;  // the S bit (ERSPAN type II sets it, type I does not)
};
GreHeader gre_header(const uint8_t* p, std::size_t avail, std::size_t declared) noexcept;

// Check 5 for each payload (the GRE payload, `avail` readable, `declared`
// by the headers; `fragment`: the outer packet is a first fragment).
Verdict gre_check_ipv6(const uint8_t* p, std::size_t avail, std::size_t declared, bool fragment) noexcept;
Verdict gre_check_ipv4(const uint8_t* p, std::size_t avail, std::size_t declared, bool fragment) noexcept;

}  // namespace tunprobe
