#include "plugins/teredo.hpp"

#include "probe/bytes.hpp"

namespace tunprobe {

namespace {
constexpr std::size_t kIpv6Header = 40;
constexpr std::size_t kOriginLength = 8;
constexpr std::size_t kAuthFixed = 4 + 8 + 1;  // indicator+lengths, nonce, confirmation
constexpr uint8_t kNoNextHeader = 59;
}  // namespace

void teredo_decode_address(const uint8_t a[16], TeredoInfo& t) noexcept {
  t.has_address = true;
  t.server_ipv4 = load_be32(a + 4);
  t.flags = load_be16(a + 8);
  t.client_port = static_cast<uint16_t>(load_be16(a + 10) ^ 0xffffu);
  t.client_ipv4 = load_be32(a + 12) ^ 0xffffffffu;
}

Verdict teredo_strip(const uint8_t* payload, std::size_t avail, std::size_t udp_payload_len, TeredoInfo& t,
                     std::size_t& inner_offset) noexcept {
  std::size_t off = 0;
  // Authentication header: indicator 0x0001.
  if (avail >= 2 && payload[0] == 0x00 && payload[1] == 0x01) {
    if (avail < 4) return Verdict::teredo_auth_truncated;
    const std::size_t len = kAuthFixed + payload[2] + payload[3];
    if (avail < len || udp_payload_len < len) return Verdict::teredo_auth_truncated;
    t.auth = true;
    off = len;
  }
  // Origin indication: indicator 0x0000.
  if (avail >= off + 2 && payload[off] == 0x00 && payload[off + 1] == 0x00) {
    if (avail < off + kOriginLength || udp_payload_len < off + kOriginLength)
      return Verdict::teredo_origin_truncated;
    t.origin = true;
    t.origin_port = static_cast<uint16_t>(load_be16(payload + off + 2) ^ 0xffffu);
    t.origin_ipv4 = load_be32(payload + off + 4) ^ 0xffffffffu;
    off += kOriginLength;
  }
  if (avail < off + kIpv6Header || udp_payload_len < off + kIpv6Header || (payload[off] >> 4) != 6)
    return Verdict::teredo_not_ipv6;
  const uint8_t* ip6 = payload + off;
  const std::size_t plen = load_be16(ip6 + 4);
  if (off + kIpv6Header + plen != udp_payload_len) return Verdict::teredo_length_mismatch;
  inner_offset = off;
  if (ip6[6] == kNoNextHeader) {
    if (plen != 0) return Verdict::teredo_bubble_payload;
    t.bubble = true;
  }
  return Verdict::ok;
}

}  // namespace tunprobe
