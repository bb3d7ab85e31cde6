// What the decoder needs to know from the user: which UDP ports carry
// Teredo, whether to look for Teredo on other ports, and the 6rd prefixes.
// Fixed-size so that workers can copy it into their own state.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace tunprobe {

struct SixrdPrefix {
  uint8_t prefix[16] = {};
  uint8_t length = 0;  // bits; the embedded IPv4 is the 32 bits after it
};

struct DecodeConfig {
  static constexpr std::size_t kMaxTeredoPorts = 8;
  static constexpr std::size_t kMaxSixrdPrefixes = 4;

  std::array<uint16_t, kMaxTeredoPorts> teredo_ports{3544};
  uint8_t teredo_port_count = 1;
  // Teredo relays forward from ephemeral ports: with this on, UDP on any
  // port is taken as Teredo when it validates and an inner end is in
  // 2001::/32. Off by default: it costs a look into every UDP payload.
  bool teredo_heuristic = false;
  std::array<SixrdPrefix, kMaxSixrdPrefixes> sixrd{};
  uint8_t sixrd_count = 0;

  bool is_teredo_port(uint16_t port) const noexcept {
    for (uint8_t i = 0; i < teredo_port_count; ++i)
      if (teredo_ports[i] == port) return true;
    return false;
  }
};

// Parses "2001:db8::/32" into a 6rd prefix. Returns an error message, empty
// on success. Lengths from 1 to 96 bits (the embedded IPv4 must fit in the
// address).
std::string parse_sixrd_prefix(std::string_view text, SixrdPrefix& out);

// Parses "3544,3545" into the Teredo port set. Returns an error message,
// empty on success.
std::string parse_teredo_ports(std::string_view text, DecodeConfig& cfg);

}  // namespace tunprobe
