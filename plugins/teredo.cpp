#include "plugins/teredo.hpp"

#include <array>

namespace tunprobe {

namespace {

constexpr std::size_t kIpv6Header = 40;
constexpr std::size_t kOriginLength = 8;
constexpr std::size_t kAuthFixed = 4 + 8 + 1;  // indicator+lengths, nonce, confirmation
constexpr uint8_t kNoNextHeader = 59;

// Check 5: the next headers an IPv6 packet inside Teredo may start with.
// The IANA IPv6 extension headers (RFC 7045 section 4: hop-by-hop 0,
// routing 43, fragment 44, ESP 50, AH 51, destination options 60, Mobility
// 135, HIP 139, Shim6 140, experimental 253 and 254), the transports (TCP 6,
// UDP 17, DCCP 33, ICMPv6 58, SCTP 132, UDP-Lite 136), no next header 59
// (bubbles), and the tunnels (IPv4 4, IPv6 41, GRE 47).
constexpr std::array<uint64_t, 4> kNextHeaders = [] {
  std::array<uint64_t, 4> set{};
  for (unsigned n : {0u, 4u, 6u, 17u, 33u, 41u, 43u, 44u, 47u, 50u, 51u, 58u, 59u, 60u, 132u, 135u, 136u, 139u,
                     140u, 253u, 254u})
    set[n >> 6] |= uint64_t{1} << (n & 63);
  return set;
}();

inline bool known_next_header(uint8_t n) noexcept { return (kNextHeaders[n >> 6] >> (n & 63)) & 1; }

inline TeredoMatch not_teredo(bool on_port, Verdict v) noexcept {
  return TeredoMatch{false, on_port ? v : Verdict::ok, 0};
}

}  // namespace

void teredo_decode_address(const uint8_t a[16], TeredoInfo& t) noexcept {
  t.has_address = true;
  t.server_ipv4 = load_be32(a + 4);
  t.flags = load_be16(a + 8);
  t.client_port = static_cast<uint16_t>(load_be16(a + 10) ^ 0xffffu);
  t.client_ipv4 = load_be32(a + 12) ^ 0xffffffffu;
}

uint8_t teredo_trailers(const uint8_t* p, std::size_t n, std::size_t avail) noexcept {
  uint8_t bits = 0;
  std::size_t off = 0;
  while (off < n) {
    // RFC 6081 section 4: Type (1 byte), Length of the rest (1 byte), value.
    if (n - off < 2 || avail < off + 2) return bits | kTeredoTrailerUnparsed;
    const uint8_t type = p[off];
    const std::size_t len = p[off + 1];
    if (n - off - 2 < len || avail < off + 2 + len) return bits | kTeredoTrailerUnparsed;
    uint8_t bit = 0;
    switch (type) {
      case 0x01:  // nonce (4.2): a 4-byte nonce
        bit = len == 4 ? kTeredoTrailerNonce : 0;
        break;
      case 0x03:  // alternate address (4.3): 2 reserved bytes, 1 to 4 IPv4 address/port pairs
        bit = len == 8 || len == 14 || len == 20 || len == 26 ? kTeredoTrailerAlternateAddress : 0;
        break;
      case 0x04:  // neighbor discovery option (4.4): discovery type, 3 bytes of padding
        bit = len == 4 ? kTeredoTrailerNeighborDiscovery : 0;
        break;
      case 0x05:  // random port (4.5): a port
        bit = len == 2 ? kTeredoTrailerRandomPort : 0;
        break;
      default:
        break;
    }
    if (bit == 0) return bits | kTeredoTrailerUnparsed;
    bits |= bit;
    off += 2 + len;
  }
  return bits;
}

namespace {

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
    if (!known_next_header(ip6[6])) return not_teredo(on_port, fail);
    if (!is_teredo_address(ip6 + 8) && !is_teredo_address(ip6 + 24) && !is_teredo_link_local(ip6 + 8) &&
        !is_teredo_link_local(ip6 + 24))
      return not_teredo(on_port, fail);
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

}  // namespace

TeredoMatch teredo_match(const uint8_t* payload, std::size_t avail, std::size_t udp_payload_len, bool on_port,
                         TeredoInfo& t) noexcept {
  return match(payload, avail, udp_payload_len, on_port, t);
}

UdpMatch teredo_udp_match(const uint8_t* payload, std::size_t avail, std::size_t declared, bool on_port,
                          PacketInfo& info) noexcept {
  // The Teredo facts are written in place, and cleared again when it is not
  // Teredo: a copy from a local would be read back wider than it was
  // written (a store-forwarding stall on every Teredo packet).
  TeredoInfo& t = info.teredo;
  const TeredoMatch m = match(payload, avail, declared, on_port, t);
  if (!m.teredo) {
    t = TeredoInfo{};
    return {false, m.verdict, 0};
  }
  key_facts(payload + m.inner_offset + 8, payload + m.inner_offset + 24, info);
  return {true, m.verdict, m.inner_offset};
}

void teredo_key_facts(const uint8_t src[16], const uint8_t dst[16], PacketInfo& info) noexcept {
  key_facts(src, dst, info);
}

}  // namespace tunprobe
