// Addresses as text, for JSON, reports and messages (never on the packet
// path): dotted quads (RFC 791) and RFC 5952's IPv6 text form.
#pragma once

#include <arpa/inet.h>
#include <fmt/format.h>

#include <cstdint>
#include <string>

namespace tunprobe {

inline std::string ipv4_text(uint32_t a) {
  return fmt::format("{}.{}.{}.{}", a >> 24, (a >> 16) & 0xff, (a >> 8) & 0xff, a & 0xff);
}

inline std::string ipv6_text(const uint8_t a[16]) {
  char buf[INET6_ADDRSTRLEN];
  inet_ntop(AF_INET6, a, buf, sizeof buf);
  return buf;
}

}  // namespace tunprobe
