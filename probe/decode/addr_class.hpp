// IPv6 address classification (the paper's section 5.1, after Malone).
//
// One function, classify_ipv6(), puts every IPv6 address in one class. The
// rules, in the order they are tried (first match wins), with their sources:
//
//  1. Special ranges, by prefix (RFC 4291 section 2.4; the IANA
//     special-purpose address registry, RFC 6890):
//     ::/128 unspecified (RFC 4291 2.5.2), ::1/128 loopback (2.5.3),
//     ::ffff:0:0/96 ipv4-mapped (2.5.5.2), ff00::/8 multicast (2.7),
//     fe80::/10 link-local (2.5.6), fc00::/7 ula (RFC 4193 section 3.1),
//     2001:db8::/32 documentation (RFC 3849), 2001::/32 teredo (RFC 4380
//     sections 2.6 and 4).
//  2. ISATAP interface id (RFC 5214 section 6.1; RFC 4291 appendix A):
//     the upper 32 bits of the interface id masked with 0xfcffffff equal
//     0x00005efe (::0:5efe:a.b.c.d, ::200:5efe:a.b.c.d; RFC 5214 6.1 draws
//     the first byte as 000000ug: the universal/local and group bits vary).
//     Tried before 6to4 because an ISATAP host may be numbered out of a 6to4
//     site prefix: the interface id says how the host itself is reached.
//  3. 2002::/16 6to4 (RFC 3056 section 2: 2002:V4::/48 is the site's
//     prefix), split by interface id as in the paper's Table 2 (the host
//     conventions are observed practice, not RFCs; Malone, "Observations of
//     IPv6 addresses", PAM 2008):
//       6to4-windows  the interface id is the embedded IPv4 address, its
//                     high 32 bits zero: Windows numbers its 6to4 interface
//                     2002:V4::V4 (a 2002:V4:...:X:V4 with X != 0 is not),
//       6to4-linux    interface id ::1 (Linux/BSD 6to4 scripts),
//       6to4-eui64    ff:fe in the middle of the interface id (rule 4),
//       6to4-privacy  random interface id (rule 7),
//       6to4-other    anything else.
//  4. eui64: bytes 11 and 12 are ff:fe (modified EUI-64 from a 48-bit MAC,
//     RFC 4291 appendix A; Malone's "autoconf"). The universal/local bit is
//     not required: locally administered MACs give it 0.
//  5. low: the upper 48 bits of the interface id are zero, the lower 16 are
//     not (manually numbered ::1, ::2, ::a:b; RFC 7707 section 4.1.1
//     "low-byte"; Malone's "low").
//  6. embedded-ipv4: the upper 32 bits of the interface id are zero and the
//     lower 32 hold an IPv4 address above 0.0.255.255 (::a.b.c.d numbering;
//     RFC 7707 section 4.1.2; Malone's "embedded IPv4").
//  7. privacy: temporary addresses (RFC 8981 section 3.3.1, which
//     obsoletes RFC 4941) and other random interface ids (RFC 7217) are
//     raw random bits: RFC 7136 section 5 says interface-id bits have no
//     meaning, and current Linux sets the universal/local bit at random, so
//     no bit is required. The test is the density: between 20 and 44 of the
//     64 bits are ones. A uniformly random 64-bit value falls in that band
//     with probability 99.84% (mean 32, sigma 4), while hand-made or
//     structured ids (::1:2:3:4) fall outside.
//  8. other: global addresses that fit none of the rules.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace tunprobe {

// X(enumerator, ipfix value, name). The value is exported in the
// source/destinationAddressClass IPFIX elements: never renumber.
#define TUNPROBE_ADDR_CLASSES(X)        \
  X(none, 0, "none")                    \
  X(other, 1, "other")                  \
  X(unspecified, 2, "unspecified")      \
  X(loopback, 3, "loopback")            \
  X(ipv4_mapped, 4, "ipv4-mapped")      \
  X(multicast, 5, "multicast")          \
  X(link_local, 6, "link-local")        \
  X(ula, 7, "ula")                      \
  X(documentation, 8, "documentation")  \
  X(teredo, 9, "teredo")                \
  X(isatap, 10, "isatap")               \
  X(sixtofour_windows, 11, "6to4-windows") \
  X(sixtofour_linux, 12, "6to4-linux")  \
  X(sixtofour_eui64, 13, "6to4-eui64")  \
  X(sixtofour_privacy, 14, "6to4-privacy") \
  X(sixtofour_other, 15, "6to4-other")  \
  X(eui64, 16, "eui64")                 \
  X(low, 17, "low")                     \
  X(embedded_ipv4, 18, "embedded-ipv4") \
  X(privacy, 19, "privacy")

enum class AddrClass : uint8_t {
#define TUNPROBE_X(e, v, n) e = v,
  TUNPROBE_ADDR_CLASSES(TUNPROBE_X)
#undef TUNPROBE_X
};

inline constexpr auto kAddrClassNames = std::to_array<std::string_view>({
#define TUNPROBE_X(e, v, n) n,
    TUNPROBE_ADDR_CLASSES(TUNPROBE_X)
#undef TUNPROBE_X
});
// Names are looked up by value: the values are the indexes.
#define TUNPROBE_X(e, v, n) static_assert(static_cast<std::size_t>(AddrClass::e) == v && v < kAddrClassNames.size());
TUNPROBE_ADDR_CLASSES(TUNPROBE_X)
#undef TUNPROBE_X

constexpr std::string_view addr_class_name(AddrClass c) { return kAddrClassNames[static_cast<std::size_t>(c)]; }

constexpr std::optional<AddrClass> addr_class_from_name(std::string_view s) {
  for (std::size_t i = 0; i < kAddrClassNames.size(); ++i)
    if (kAddrClassNames[i] == s) return static_cast<AddrClass>(i);
  return std::nullopt;
}

// Classifies a 16-byte IPv6 address (network byte order).
AddrClass classify_ipv6(const uint8_t addr[16]) noexcept;

// True for the 6to4-* classes.
constexpr bool is_6to4_class(AddrClass c) {
  return c >= AddrClass::sixtofour_windows && c <= AddrClass::sixtofour_other;
}

}  // namespace tunprobe
