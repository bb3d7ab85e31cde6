#include "plugins/teredo.hpp"

#include <array>

namespace tunprobe {

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

TeredoMatch teredo_match(const uint8_t* payload, std::size_t avail, std::size_t udp_payload_len, bool on_port,
                         TeredoInfo& t) noexcept {
  return teredo_detail::match(payload, avail, udp_payload_len, on_port, t);
}

void teredo_key_facts(const uint8_t src[16], const uint8_t dst[16], PacketInfo& info) noexcept {
  teredo_detail::key_facts(src, dst, info);
}

}  // namespace tunprobe
