// What the decoder needs to know from the user: how Teredo is found (by
// content, or only on configured UDP ports), which ports carry it, and the
// 6rd domains. Fixed-size so that workers can copy it into their own state.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace tunprobe {

// A 6rd domain (RFC 5969 section 4): the 6rd prefix and its length, and
// IPv4MaskLen, the number of high bits that every CE IPv4 address of the
// domain shares (`ipv4_prefix`) and that the delegated prefix does not
// carry. The delegated prefix is the 6rd prefix, then the CE address's
// 32 - IPv4MaskLen low bits.
struct SixrdPrefix {
  uint8_t prefix[16] = {};
  uint8_t length = 0;         // 6rdPrefixLen, bits
  uint8_t ipv4_mask_len = 0;  // IPv4MaskLen, 0..32
  uint32_t ipv4_prefix = 0;   // the common high bits (the rest zero)
};

// How Teredo is recognised on UDP.
//   content  every UDP datagram whose payload passes the Teredo content
//            checks (plugins/teredo.hpp) is Teredo, on any port: Teredo
//            data between a client and a relay runs on the client's mapped
//            port and the relay's ephemeral port. The configured ports are
//            the fast path, validated with the RFC 4380 rules only.
//   ports    only the configured ports carry Teredo.
enum class TeredoDetect : uint8_t { content, ports };

struct DecodeConfig {
  static constexpr std::size_t kMaxTeredoPorts = 8;
  static constexpr std::size_t kMaxSixrdPrefixes = 4;

  std::array<uint16_t, kMaxTeredoPorts> teredo_ports{3544};
  uint8_t teredo_port_count = 1;
  TeredoDetect teredo_detect = TeredoDetect::content;
  std::array<SixrdPrefix, kMaxSixrdPrefixes> sixrd{};
  uint8_t sixrd_count = 0;

  bool is_teredo_port(uint16_t port) const noexcept {
    for (uint8_t i = 0; i < teredo_port_count; ++i)
      if (teredo_ports[i] == port) return true;
    return false;
  }
};

// Parses a 6rd domain: "PREFIX/LEN" (IPv4MaskLen 0: the CE's whole address
// follows the prefix) or "PREFIX/LEN@V4PREFIX/MASKLEN" (the CE addresses
// share their MASKLEN high bits, V4PREFIX; the delegated prefix carries the
// other 32 - MASKLEN bits), e.g. 2001:db8::/24@10.0.0.0/8. RFC 5969 section
// 4 asks LEN + 32 - MASKLEN <= 64 (a delegated prefix of at most /64).
// Returns an error message naming --6rd-prefix and the allowed range, empty
// on success; `out` is left alone on an error.
std::string parse_sixrd_prefix(std::string_view text, SixrdPrefix& out);

// Parses "3544,3545" into the Teredo port set. Returns an error message,
// empty on success.
std::string parse_teredo_ports(std::string_view text, DecodeConfig& cfg);

// Parses "content" or "ports" (--teredo-detect). Returns an error message,
// empty on success.
std::string parse_teredo_detect(std::string_view text, DecodeConfig& cfg);

}  // namespace tunprobe
