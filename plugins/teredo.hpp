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
#include <array>
#include <cstdint>

#include "probe/base/bytes.hpp"
#include "probe/base/protocols.hpp"
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


// Check 0 as the parser's inline filter: 40 bytes, a version-6 nibble or
// the 0x00 of an indicator.
inline constexpr ContentFilter kTeredoContentFilter = [] {
  ContentFilter f = ipv6_first_filter();
  f.first_bytes[0] |= 1;  // 0x00
  return f;
}();

// The facts of a Teredo flow's key: the Teredo address at either end.
void teredo_key_facts(const uint8_t src[16], const uint8_t dst[16], PacketInfo& info) noexcept;

// The decision itself, inline: plugins/registry.hpp's UDP dispatch inlines
// it into the parser (plugins/parser.cpp): a Teredo packet costs no call.
namespace teredo_detail {

constexpr std::size_t kIpv6Header = 40;
constexpr std::size_t kOriginLength = 8;
constexpr std::size_t kAuthFixed = 4 + 8 + 1;  // indicator+lengths, nonce, confirmation
constexpr uint8_t kNoNextHeader = 59;

inline TeredoMatch not_teredo(bool on_port, Verdict v) noexcept {
  return TeredoMatch{false, on_port ? v : Verdict::ok, 0};
}

// The decision, inlined into both entry points below: the plug-in's own
// call from the parser must cost no second call.
[[gnu::always_inline]] inline TeredoMatch match(const uint8_t* payload, std::size_t avail,
                                                std::size_t udp_payload_len, bool on_port, TeredoInfo& t) noexcept {
  std::size_t off = 0;
  // 1. Authentication header: indicator 0x0001.
  if (avail >= 2 && payload[0] == 0x00 && payload[1] == 0x01) {
    if (avail < 4) return not_teredo(on_port, Verdict::teredo_auth_truncated);
    const std::size_t len = kAuthFixed + payload[2] + payload[3];
    if (avail < len || udp_payload_len < len) return not_teredo(on_port, Verdict::teredo_auth_truncated);
    t.auth = true;
    off = len;
  }
  // 2. Origin indication: indicator 0x0000.
  if (avail >= off + 2 && payload[off] == 0x00 && payload[off + 1] == 0x00) {
    if (avail < off + kOriginLength || udp_payload_len < off + kOriginLength)
      return not_teredo(on_port, Verdict::teredo_origin_truncated);
    t.origin = true;
    t.origin_port = static_cast<uint16_t>(load_be16(payload + off + 2) ^ 0xffffu);
    t.origin_ipv4 = load_be32(payload + off + 4) ^ 0xffffffffu;
    off += kOriginLength;
  }
  // 3. The IPv6 header: the datagram must have room for it; the capture may
  // end inside it (a snaplen), and then nothing more can be checked. One
  // byte of 0x00 may be an indicator's first byte.
  if (udp_payload_len < off + kIpv6Header) return not_teredo(on_port, Verdict::teredo_not_ipv6);
  if (avail > off && (payload[off] >> 4) != 6 && !(avail == off + 1 && payload[off] == 0x00))
    return not_teredo(on_port, Verdict::teredo_not_ipv6);
  if (avail < off + kIpv6Header) return not_teredo(on_port, Verdict::teredo_truncated);
  const uint8_t* ip6 = payload + off;
  // 4. Lengths, from the headers: the IPv6 packet ends inside the datagram;
  // what follows it are RFC 6081 trailers.
  const std::size_t end = off + kIpv6Header + load_be16(ip6 + 4);
  if (end > udp_payload_len) return not_teredo(on_port, Verdict::teredo_length_mismatch);
  uint8_t trailers = 0;
  bool content = !on_port;
  if (end < udp_payload_len) {
    trailers = teredo_trailers(payload + end, udp_payload_len - end, avail > end ? avail - end : 0);
    if (trailers & kTeredoTrailerUnparsed) {
      if (!on_port) return not_teredo(false, Verdict::ok);
      // On a port, bytes that are no trailer are taken when the content
      // says Teredo too; else the lengths disagree, as RFC 4380 has it.
      content = true;
    }
  }
  // 5, 6. Off the configured ports, the content must say Teredo.
  if (content) {
    const Verdict fail = on_port ? Verdict::teredo_length_mismatch : Verdict::ok;
    if (!is_known_first_next_header(ip6[6])) return not_teredo(on_port, fail);
    if (!has_teredo_end(ip6)) return not_teredo(on_port, fail);
  }
  t.trailers = trailers;
  // 7. Bubbles (RFC 4380 2.8): next header 59, no payload.
  Verdict v = Verdict::ok;
  if (ip6[6] == kNoNextHeader) {
    if (end != off + kIpv6Header)
      v = Verdict::teredo_bubble_payload;
    else
      t.bubble = true;
  }
  return TeredoMatch{true, v, static_cast<uint16_t>(off)};
}

[[gnu::always_inline]] inline void key_facts(const uint8_t src[16], const uint8_t dst[16], PacketInfo& info) noexcept {
  if (is_teredo_address(src))
    teredo_decode_address(src, info.teredo);
  else if (is_teredo_address(dst))
    teredo_decode_address(dst, info.teredo);
}

}  // namespace teredo_detail

// The UDP plug-in (probe/decode/plugin.hpp): teredo_match() on the
// datagram; on a claim the Teredo facts, the addresses' included.
[[gnu::always_inline]] inline UdpMatch teredo_udp_match(const uint8_t* payload, std::size_t avail, std::size_t declared, bool on_port,
                          PacketInfo* info) noexcept {
  if (info == nullptr) {
    TeredoInfo scratch;
    const TeredoMatch m = teredo_detail::match(payload, avail, declared, on_port, scratch);
    return {m.teredo, m.verdict, m.inner_offset};
  }
  // The Teredo facts are written in place, and cleared again when it is not
  // Teredo: a copy from a local would be read back wider than it was
  // written (a store-forwarding stall on every Teredo packet).
  TeredoInfo& t = info->teredo;
  const TeredoMatch m = teredo_detail::match(payload, avail, declared, on_port, t);
  if (!m.teredo) {
    t = TeredoInfo{};
    return {false, m.verdict, 0};
  }
  teredo_detail::key_facts(payload + m.inner_offset + 8, payload + m.inner_offset + 24, *info);
  return {true, m.verdict, m.inner_offset};
}

}  // namespace tunprobe
