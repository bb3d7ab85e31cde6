// The address forms of the transition mechanisms, which the address
// classes (addr_class.cpp) and the tunnel plug-ins both read: what an IPv6
// address says about how its host is reached. The plug-ins decide whether a
// packet IS such a tunnel; these only read addresses.
#pragma once

#include <cstdint>

#include "probe/base/bytes.hpp"

namespace tunprobe {

// Teredo: 2001:0::/32 (RFC 4380 section 4). Bits 32-63 hold the server's
// IPv4, 64-79 flags, 80-95 the client's mapped port and 96-127 its IPv4,
// the last two XOR-obfuscated with all ones.
inline bool is_teredo_address(const uint8_t a[16]) noexcept {
  return a[0] == 0x20 && a[1] == 0x01 && a[2] == 0x00 && a[3] == 0x00;
}

// RFC 4380 section 5.2.1: the link-local addresses of the qualification
// procedure, which carry no Teredo prefix: the client's router solicitation
// from fe80::8000:ffff:ffff:fffd (cone flag set) or fe80::ffff:ffff:fffd,
// the server's advertisement from fe80::8000:5445:5245:444f ("TEREDO").
inline bool is_teredo_link_local(const uint8_t a[16]) noexcept {
  if (load_be64(a) != 0xfe80000000000000ull) return false;
  const uint64_t iid = load_be64(a + 8);
  return iid == 0x8000ffffffff'fffdull || iid == 0x0000ffffffff'fffdull || iid == 0x80005445'5245444full;
}

// Does the IPv6 header at `ip6` (40 bytes readable) have a Teredo end: a
// Teredo address or a qualification link-local address at either end?
// Teredo's content check asks for one; IPv6 in UDP leaves such packets to
// Teredo.
inline bool has_teredo_end(const uint8_t* ip6) noexcept {
  return is_teredo_address(ip6 + 8) || is_teredo_address(ip6 + 24) || is_teredo_link_local(ip6 + 8) ||
         is_teredo_link_local(ip6 + 24);
}

// ISATAP (RFC 5214 section 6.1): the interface id ::0:5efe:a.b.c.d
// (private IPv4) or ::200:5efe:a.b.c.d (global), the universal/local and
// group bits free (mask 0xfcffffff); the low 32 bits are the host's IPv4.
inline bool is_isatap_iid(const uint8_t a[16]) noexcept { return (load_be32(a + 8) & 0xfcffffffu) == 0x00005efeu; }

inline uint32_t isatap_embedded_ipv4(const uint8_t a[16]) noexcept { return load_be32(a + 12); }

// 6to4: 2002::/16, the site's IPv4 in bits 16-47 (RFC 3056 section 2).
inline bool is_6to4_address(const uint8_t a[16]) noexcept { return a[0] == 0x20 && a[1] == 0x02; }

inline uint32_t sixtofour_embedded_ipv4(const uint8_t a[16]) noexcept { return load_be32(a + 2); }

}  // namespace tunprobe
