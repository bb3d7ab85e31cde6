// Addresses as text, for JSON, reports and messages (never on the packet
// path): dotted quads (RFC 791) and RFC 5952's IPv6 text form.
#pragma once

#include <cstdint>
#include <string>

namespace tunprobe {

// Written by hand, not with fmt or inet_ntop: the exporter formats a few
// addresses per record (inet_ntop goes through sprintf for every group),
// and a million records a second are what a probe's outputs must keep up
// with. The text is inet_ntop's (the unit test compares them).
namespace address_text_detail {

inline char* put_dec(char* p, unsigned v) {  // 0..255
  if (v >= 100) *p++ = static_cast<char>('0' + v / 100);
  if (v >= 10) *p++ = static_cast<char>('0' + v / 10 % 10);
  *p++ = static_cast<char>('0' + v % 10);
  return p;
}

inline char* put_quad(char* p, uint32_t a) {
  p = put_dec(p, a >> 24);
  *p++ = '.';
  p = put_dec(p, (a >> 16) & 0xff);
  *p++ = '.';
  p = put_dec(p, (a >> 8) & 0xff);
  *p++ = '.';
  return put_dec(p, a & 0xff);
}

}  // namespace address_text_detail

inline std::string ipv4_text(uint32_t a) {
  char buf[16];
  return {buf, address_text_detail::put_quad(buf, a)};
}

// RFC 5952 section 4: lower-case hex without leading zeros, the longest
// run of two or more zero groups as "::" (the first of equal runs); as
// glibc's inet_ntop, an address with 96 zero bits in front (IPv4-
// compatible) or ::ffff:0:0/96 (IPv4-mapped, RFC 5952 section 5) ends in a
// dotted quad.
inline std::string ipv6_text(const uint8_t a[16]) {
  using namespace address_text_detail;
  unsigned w[8];
  for (int i = 0; i < 8; ++i) w[i] = unsigned{a[2 * i]} << 8 | a[2 * i + 1];
  int best = -1, best_len = 0;
  for (int i = 0; i < 8;) {
    if (w[i] != 0) {
      ++i;
      continue;
    }
    int j = i;
    while (j < 8 && w[j] == 0) ++j;
    if (j - i > best_len) best = i, best_len = j - i;
    i = j;
  }
  if (best_len < 2) best = -1;
  char buf[48];
  char* p = buf;
  static constexpr char kHex[] = "0123456789abcdef";
  for (int i = 0; i < 8; ++i) {
    if (best >= 0 && i >= best && i < best + best_len) {
      if (i == best) *p++ = ':';
      continue;
    }
    if (i != 0) *p++ = ':';
    if (i == 6 && best == 0 && (best_len == 6 || (best_len == 5 && w[5] == 0xffff))) {
      p = put_quad(p, uint32_t{a[12]} << 24 | uint32_t{a[13]} << 16 | uint32_t{a[14]} << 8 | a[15]);
      break;
    }
    bool lead = true;
    for (int shift = 12; shift >= 0; shift -= 4) {
      const unsigned d = (w[i] >> shift) & 0xf;
      if (lead && d == 0 && shift != 0) continue;
      lead = false;
      *p++ = kHex[d];
    }
  }
  if (best >= 0 && best + best_len == 8) *p++ = ':';
  return {buf, p};
}

}  // namespace tunprobe
