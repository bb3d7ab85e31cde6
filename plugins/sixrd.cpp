#include "plugins/sixrd.hpp"

#include "probe/decode/plugin.hpp"
#include "probe/base/bytes.hpp"

namespace tunprobe {

namespace {
// Reads 32 bits of `a` starting at bit `bit` (0 = most significant).
uint32_t bits32_at(const uint8_t a[16], unsigned bit) noexcept {
  const unsigned byte = bit / 8, shift = bit % 8;
  uint64_t window = 0;
  for (unsigned i = 0; i < 5; ++i) window = (window << 8) | (byte + i < 16 ? a[byte + i] : 0);
  return static_cast<uint32_t>(window >> (8 - shift));
}
}  // namespace

bool sixrd_in_prefix(const uint8_t a[16], const SixrdPrefix& p, uint32_t& embedded) noexcept {
  const unsigned full = p.length / 8, rest = p.length % 8;
  for (unsigned i = 0; i < full; ++i)
    if (a[i] != p.prefix[i]) return false;
  if (rest != 0) {
    const uint8_t mask = static_cast<uint8_t>(0xff << (8 - rest));
    if ((a[full] & mask) != (p.prefix[full] & mask)) return false;
  }
  embedded = sixrd_embedded_ipv4(a, p);
  return true;
}

uint32_t sixrd_embedded_ipv4(const uint8_t a[16], const SixrdPrefix& p) noexcept {
  // RFC 5969 section 4: the 32 - IPv4MaskLen bits after the 6rd prefix are
  // the CE address's low bits; its high IPv4MaskLen bits are the domain's.
  const unsigned carried = 32u - p.ipv4_mask_len;
  if (carried == 0) return p.ipv4_prefix;
  const uint32_t low = bits32_at(a, p.length) >> (32 - carried);
  return p.ipv4_prefix | low;
}

bool sixrd_match(const uint8_t* ip6, const DecodeConfig& cfg, PacketInfo& info) noexcept {
  uint32_t s4 = 0, d4 = 0;
  bool s = false, d = false;
  for (uint8_t i = 0; i < cfg.sixrd_count; ++i) {
    s = s || sixrd_in_prefix(ip6 + 8, cfg.sixrd[i], s4);
    d = d || sixrd_in_prefix(ip6 + 24, cfg.sixrd[i], d4);
  }
  if (!s && !d) return false;
  set_embedded(s4, d4, info);
  return true;
}

}  // namespace tunprobe
