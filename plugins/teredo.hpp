// Teredo: Tunneling IPv6 over UDP through NATs (RFC 4380; RFC 6081, RFC 5991).
//
// Layout of the UDP payload:
//   [authentication header]  0x00 0x01, id-len, au-len, client id (id-len),
//                            authentication value (au-len), nonce (8),
//                            confirmation (1)            (RFC 4380 5.1.1)
//   [origin indication]      0x00 0x00, port ^ 0xffff, IPv4 ^ 0xffffffff
//                                                        (RFC 4380 5.1.1)
//   IPv6 packet
//   [trailers]               type (1), length of the rest (1), value
//                                                        (RFC 6081 4)
//
// Where it is looked for (probe/decode/decode_config.hpp UdpDetect): on the
// configured ports, and with --teredo-detect content (the default) on every
// other UDP datagram too: Teredo between a client and a relay runs on the
// client's mapped port and the relay's ephemeral port (RFC 4380 5.4).
// teredo_match() makes the decision for both the outer UDP header and the
// nested check inside a tunnel.
//
// Checks, cheapest first:
//   0. (other ports only: kTeredoContentFilter, applied by the parser) the
//      UDP length leaves 40 bytes, 40 are captured, the first byte is an
//      IPv6 version nibble or the 0x00 of an indicator: any other UDP costs
//      these compares;
//   1. an authentication header, if present, is complete;
//   2. an origin indication, if present, is complete; each header at most
//      once and in this order (a second header fails check 3);
//   3. 40 bytes of IPv6 header follow, version 6 (cut by the capture:
//      teredo_truncated);
//   4. 40 + the IPv6 payload length <= the UDP payload length left after
//      the optional headers (both from headers, not from the captured
//      length); equality, or trailers after the IPv6 packet (RFC 6081 4):
//        on a configured port any bytes are taken as trailers; bytes that do
//        not parse as RFC 6081 trailers (kTeredoTrailerUnparsed) are taken
//        when checks 5 and 6 pass too, else teredo_length_mismatch (so a
//        random payload with a 6 nibble and a short "payload length" is no
//        Teredo even on port 3544);
//        on other ports they must parse as RFC 6081 trailers, whole;
//   5. (other ports only) the next header is one an IPv6 packet starts with
//      (the IANA extension headers, RFC 7045; TCP, UDP, ICMPv6, SCTP, ...);
//   6. (other ports only) an end is a Teredo address (2001:0::/32, RFC 4380
//      section 4) or a Teredo link-local address of the qualification
//      procedure (RFC 4380 5.2.1: fe80::8000:ffff:ffff:fffd, cone, and
//      fe80::ffff:ffff:fffd; fe80::8000:5445:5245:444f, "TEREDO");
//   7. bubbles: next header 59 and payload length 0 are flagged; next header
//      59 with a payload is its own verdict (teredo_bubble_payload). Bytes
//      after a bubble's IPv6 packet are trailers, not payload.
// On a configured port a failed check 1-4 is a teredo_* verdict and the
// packet stays an IPv4 UDP flow; on other ports it stays plain UDP, with no
// verdict.
// The Teredo address forms are in probe/decode/address_forms.hpp.
#pragma once

#include <cstddef>
#include <cstdint>

#include "probe/base/bytes.hpp"
#include "probe/decode/address_forms.hpp"
#include "probe/decode/packet.hpp"
#include "probe/decode/plugin.hpp"

namespace tunprobe {

// Fills server/client/port/flags from a Teredo address.
void teredo_decode_address(const uint8_t a[16], TeredoInfo& t) noexcept;

struct TeredoMatch {
  bool teredo;            // the payload is taken as Teredo
  Verdict verdict;        // teredo: ok or teredo_bubble_payload; not teredo: ok, or on a port a teredo_* verdict
  uint16_t inner_offset;  // teredo: where the IPv6 header starts in the payload
};

// The Teredo decision for one UDP payload (checks 1-7 above). `on_port`:
// a UDP port is a configured Teredo port. Fills `t` (auth, origin, bubble,
// trailers; not the address fields) when it returns teredo; leaves it in an
// unspecified state otherwise.
TeredoMatch teredo_match(const uint8_t* payload, std::size_t avail, std::size_t udp_payload_len, bool on_port,
                         TeredoInfo& t) noexcept;

// The RFC 6081 section 4 trailers in `n` bytes (`avail` of them readable):
// their kTeredoTrailer* bits, with kTeredoTrailerUnparsed when some bytes
// are no trailer of a known type and length (or were not captured).
uint8_t teredo_trailers(const uint8_t* p, std::size_t n, std::size_t avail) noexcept;

// The UDP plug-in (probe/decode/plugin.hpp): teredo_match() on the
// datagram; on a claim the Teredo facts, the addresses' included.
UdpMatch teredo_udp_match(const uint8_t* payload, std::size_t avail, std::size_t declared, bool on_port,
                          PacketInfo& info) noexcept;

// Check 0 as the parser's inline filter: 40 bytes, a version-6 nibble or
// the 0x00 of an indicator.
inline constexpr ContentFilter kTeredoContentFilter = [] {
  ContentFilter f;
  f.min_payload = 40;
  for (unsigned b = 0x60; b <= 0x6f; ++b) f.first_bytes[b >> 6] |= uint64_t{1} << (b & 63);
  f.first_bytes[0] |= 1;  // 0x00
  return f;
}();

// The facts of a Teredo flow's key: the Teredo address at either end.
void teredo_key_facts(const uint8_t src[16], const uint8_t dst[16], PacketInfo& info) noexcept;

}  // namespace tunprobe
