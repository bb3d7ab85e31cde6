#include "plugins/gre.hpp"

#include "probe/base/bytes.hpp"

namespace tunprobe {

namespace {

constexpr uint16_t kFlagChecksum = 0x8000;
constexpr uint16_t kFlagKey = 0x2000;
constexpr uint16_t kFlagSequence = 0x1000;
// R (bit 1), s (bit 4) and Recur's high bit (bit 5): RFC 2784 2.3 has a
// receiver discard these; bits 6-12 it ignores.
constexpr uint16_t kFlagsRfc1701 = 0x4000 | 0x0800 | 0x0400;
constexpr uint16_t kVersionMask = 0x0007;

}  // namespace

GreHeader gre_header(const uint8_t* p, std::size_t avail, std::size_t declared) noexcept {
  GreHeader h{Verdict::ok, 0, 4, false, 0, false};
  if (avail < 4 || declared < 4) {
    h.verdict = Verdict::gre_truncated;
    return h;
  }
  const uint16_t flags = load_be16(p);
  if ((flags & (kFlagsRfc1701 | kVersionMask)) != 0) {
    h.verdict = Verdict::gre_bad_header;
    return h;
  }
  h.protocol = load_be16(p + 2);
  std::size_t len = 4;
  if (flags & kFlagChecksum) len += 4;
  if (flags & kFlagKey) {
    if (avail >= len + 4 && declared >= len + 4) {
      h.key_present = true;
      h.key = load_be32(p + len);
    }
    len += 4;
  }
  if (flags & kFlagSequence) {
    h.sequence_present = true;
    len += 4;
  }
  if (avail < len || declared < len) {
    h.verdict = Verdict::gre_truncated;
    h.key_present = false;
    h.key = 0;
    return h;
  }
  h.length = static_cast<uint16_t>(len);
  return h;
}

namespace {

Verdict gre_fit_verdict(CarriedFit fit) noexcept {
  switch (fit) {
    case CarriedFit::whole: return Verdict::ok;
    case CarriedFit::truncated: return Verdict::gre_truncated;
    case CarriedFit::bad: return Verdict::gre_bad_payload;
  }
  return Verdict::gre_bad_payload;
}

}  // namespace

Verdict gre_check_ipv6(const uint8_t* p, std::size_t avail, std::size_t declared, bool fragment) noexcept {
  return gre_fit_verdict(carried_ipv6_fit(p, avail, declared, fragment));
}

Verdict gre_check_ipv4(const uint8_t* p, std::size_t avail, std::size_t declared, bool fragment) noexcept {
  return gre_fit_verdict(carried_ipv4_fit(p, avail, declared, fragment));
}

}  // namespace tunprobe
