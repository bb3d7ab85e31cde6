#include "probe/decode_config.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <fmt/format.h>

namespace tunprobe {

std::string parse_sixrd_prefix(std::string_view text, SixrdPrefix& out) {
  const auto slash = text.find('/');
  if (slash == std::string_view::npos) return fmt::format("--6rd-prefix '{}': expected PREFIX/LENGTH, e.g. 2001:db8::/32", text);
  const std::string addr(text.substr(0, slash));
  const std::string_view len_text = text.substr(slash + 1);
  unsigned len = 0;
  const auto [ptr, ec] = std::from_chars(len_text.data(), len_text.data() + len_text.size(), len);
  if (ec != std::errc{} || ptr != len_text.data() + len_text.size() || len < 1 || len > 96)
    return fmt::format("--6rd-prefix '{}': length must be 1..96 bits (the IPv4 address follows the prefix)", text);
  if (inet_pton(AF_INET6, addr.c_str(), out.prefix) != 1)
    return fmt::format("--6rd-prefix '{}': '{}' is not an IPv6 address", text, addr);
  out.length = static_cast<uint8_t>(len);
  return {};
}

std::string parse_teredo_ports(std::string_view text, DecodeConfig& cfg) {
  cfg.teredo_port_count = 0;
  while (!text.empty()) {
    const auto comma = text.find(',');
    const std::string_view item = text.substr(0, comma);
    unsigned port = 0;
    const auto [ptr, ec] = std::from_chars(item.data(), item.data() + item.size(), port);
    if (ec != std::errc{} || ptr != item.data() + item.size() || port < 1 || port > 65535)
      return fmt::format("--teredo-ports: '{}' is not a port (1..65535)", item);
    if (cfg.teredo_port_count == DecodeConfig::kMaxTeredoPorts)
      return fmt::format("--teredo-ports: at most {} ports", DecodeConfig::kMaxTeredoPorts);
    cfg.teredo_ports[cfg.teredo_port_count++] = static_cast<uint16_t>(port);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
    if (text.empty()) return "--teredo-ports: '' is not a port (1..65535)";
  }
  if (cfg.teredo_port_count == 0) return "--teredo-ports: give at least one port (1..65535)";
  return {};
}

}  // namespace tunprobe
