// The rules are listed, with their sources, in addr_class.hpp.
#include "probe/addr_class.hpp"

#include "plugins/isatap.hpp"
#include "plugins/sixtofour.hpp"
#include "plugins/teredo.hpp"
#include "probe/bytes.hpp"

namespace tunprobe {

namespace {

constexpr int kPrivacyMinOnes = 20;
constexpr int kPrivacyMaxOnes = 44;

bool is_eui64(uint64_t iid) noexcept { return ((iid >> 24) & 0xffff) == 0xfffe; }
bool is_low(uint64_t iid) noexcept { return iid != 0 && (iid >> 16) == 0; }
bool is_embedded_ipv4(uint64_t iid) noexcept { return (iid >> 32) == 0 && iid > 0xffff; }
bool is_privacy(uint64_t iid) noexcept {
  const int ones = __builtin_popcountll(iid);
  return (iid & (uint64_t{0x02} << 56)) == 0 && ones >= kPrivacyMinOnes && ones <= kPrivacyMaxOnes;
}

AddrClass classify_6to4(const uint8_t a[16], uint64_t iid) noexcept {
  if (static_cast<uint32_t>(iid) == sixtofour_embedded_ipv4(a)) return AddrClass::sixtofour_windows;
  if (iid == 1) return AddrClass::sixtofour_linux;
  if (is_eui64(iid)) return AddrClass::sixtofour_eui64;
  if (is_privacy(iid)) return AddrClass::sixtofour_privacy;
  return AddrClass::sixtofour_other;
}

}  // namespace

AddrClass classify_ipv6(const uint8_t a[16]) noexcept {
  const uint64_t hi = load_be64(a);
  const uint64_t iid = load_be64(a + 8);
  // 1. Special ranges.
  if (hi == 0) {
    if (iid == 0) return AddrClass::unspecified;
    if (iid == 1) return AddrClass::loopback;
    if ((iid >> 32) == 0xffff) return AddrClass::ipv4_mapped;
  }
  if (a[0] == 0xff) return AddrClass::multicast;
  if (a[0] == 0xfe && (a[1] & 0xc0) == 0x80) return AddrClass::link_local;
  if ((a[0] & 0xfe) == 0xfc) return AddrClass::ula;
  if ((hi >> 32) == 0x20010db8) return AddrClass::documentation;
  if (is_teredo_address(a)) return AddrClass::teredo;
  // 2. ISATAP interface id, then 3. 6to4.
  if (is_isatap_iid(a)) return AddrClass::isatap;
  if (is_6to4_address(a)) return classify_6to4(a, iid);
  // 4-8. The interface id of other global addresses.
  if (is_eui64(iid)) return AddrClass::eui64;
  if (is_low(iid)) return AddrClass::low;
  if (is_embedded_ipv4(iid)) return AddrClass::embedded_ipv4;
  if (is_privacy(iid)) return AddrClass::privacy;
  return AddrClass::other;
}

}  // namespace tunprobe
