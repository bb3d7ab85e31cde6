// The rules are listed, with their sources, in addr_class.hpp.
#include "probe/decode/addr_class.hpp"

#include "probe/decode/address_forms.hpp"
#include "probe/base/bytes.hpp"

namespace tunprobe {

namespace {

constexpr int kPrivacyMinOnes = 20;
constexpr int kPrivacyMaxOnes = 44;

// Rule 4: RFC 4291 appendix A, ff:fe inserted in the middle of a MAC.
bool is_eui64(uint64_t iid) noexcept { return ((iid >> 24) & 0xffff) == 0xfffe; }
// Rule 5: RFC 7707 section 4.1.1, "low-byte" addresses.
bool is_low(uint64_t iid) noexcept { return iid != 0 && (iid >> 16) == 0; }
// Rule 6: RFC 7707 section 4.1.2, IPv4-based addresses.
bool is_embedded_ipv4(uint64_t iid) noexcept { return (iid >> 32) == 0 && iid > 0xffff; }
// Rule 7: RFC 8981 section 3.3.1 random ids, RFC 7136 section 5: no bit has
// a meaning, the universal/local bit included; only the density is tested.
bool is_privacy(uint64_t iid) noexcept {
  const int ones = __builtin_popcountll(iid);
  return ones >= kPrivacyMinOnes && ones <= kPrivacyMaxOnes;
}

// Rule 3: the interface ids of 2002::/16 (RFC 3056 section 2: 2002:V4::/48
// is the site, the subnet id and interface id are the site's own).
AddrClass classify_6to4(const uint8_t a[16], uint64_t iid) noexcept {
  // Windows numbers its 6to4 interface 2002:V4::V4: the interface id is the
  // embedded IPv4 address, its high 32 bits zero.
  if (iid == sixtofour_embedded_ipv4(a)) return AddrClass::sixtofour_windows;
  if (iid == 1) return AddrClass::sixtofour_linux;
  if (is_eui64(iid)) return AddrClass::sixtofour_eui64;
  if (is_privacy(iid)) return AddrClass::sixtofour_privacy;
  return AddrClass::sixtofour_other;
}

}  // namespace

AddrClass classify_ipv6(const uint8_t a[16]) noexcept {
  const uint64_t hi = load_be64(a);
  const uint64_t iid = load_be64(a + 8);
  // 1. Special ranges (RFC 4291 section 2.4 and the IANA special-purpose
  // registry, RFC 6890).
  if (hi == 0) {
    if (iid == 0) return AddrClass::unspecified;                // RFC 4291 2.5.2
    if (iid == 1) return AddrClass::loopback;                   // RFC 4291 2.5.3
    if ((iid >> 32) == 0xffff) return AddrClass::ipv4_mapped;   // RFC 4291 2.5.5.2
  }
  if (a[0] == 0xff) return AddrClass::multicast;                               // RFC 4291 2.7
  if (a[0] == 0xfe && (a[1] & 0xc0) == 0x80) return AddrClass::link_local;     // RFC 4291 2.5.6
  if ((a[0] & 0xfe) == 0xfc) return AddrClass::ula;                            // RFC 4193 3.1
  if ((hi >> 32) == 0x20010db8) return AddrClass::documentation;               // RFC 3849
  if (is_teredo_address(a)) return AddrClass::teredo;                          // RFC 4380 2.6, 4
  // 2. ISATAP interface id (RFC 5214 6.1), then 3. 6to4 (RFC 3056 2).
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
