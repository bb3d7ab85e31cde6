#include "probe/decode/decode_config.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <fmt/format.h>

namespace tunprobe {

namespace {

// A whole decimal number, nothing before or after it.
bool parse_uint(std::string_view text, unsigned& out) {
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return !text.empty() && ec == std::errc{} && ptr == text.data() + text.size();
}

}  // namespace

std::string parse_sixrd_prefix(std::string_view text, SixrdPrefix& out) {
  const auto at = text.find('@');
  const std::string_view v6_part = text.substr(0, at);
  const auto slash = v6_part.find('/');
  if (slash == std::string_view::npos)
    return fmt::format("--6rd-prefix '{}': expected PREFIX/LENGTH[@IPV4PREFIX/MASKLENGTH], e.g. 2001:db8::/32 or "
                       "2001:db8::/24@10.0.0.0/8",
                       text);
  const std::string addr(v6_part.substr(0, slash));
  unsigned len = 0;
  if (!parse_uint(v6_part.substr(slash + 1), len) || len < 1 || len > 64)
    return fmt::format("--6rd-prefix '{}': prefix length must be 1..64 bits", text);
  SixrdPrefix p;
  if (inet_pton(AF_INET6, addr.c_str(), p.prefix) != 1)
    return fmt::format("--6rd-prefix '{}': '{}' is not an IPv6 address", text, addr);
  p.length = static_cast<uint8_t>(len);
  if (at != std::string_view::npos) {
    // RFC 5969 section 4: IPv4MaskLen high bits common to every CE address.
    const std::string_view v4_part = text.substr(at + 1);
    const auto v4_slash = v4_part.find('/');
    if (v4_slash == std::string_view::npos)
      return fmt::format("--6rd-prefix '{}': expected IPV4PREFIX/MASKLENGTH after '@', e.g. 10.0.0.0/8", text);
    const std::string v4(v4_part.substr(0, v4_slash));
    unsigned mask = 0;
    if (!parse_uint(v4_part.substr(v4_slash + 1), mask) || mask > 32)
      return fmt::format("--6rd-prefix '{}': IPv4 mask length must be 0..32 bits", text);
    in_addr a{};
    if (inet_pton(AF_INET, v4.c_str(), &a) != 1)
      return fmt::format("--6rd-prefix '{}': '{}' is not an IPv4 address", text, v4);
    const uint32_t v4_prefix = ntohl(a.s_addr);
    const uint32_t keep = mask == 0 ? 0 : ~uint32_t{0} << (32 - mask);
    if ((v4_prefix & ~keep) != 0)
      return fmt::format("--6rd-prefix '{}': {}/{} has address bits set beyond its mask length", text, v4, mask);
    p.ipv4_mask_len = static_cast<uint8_t>(mask);
    p.ipv4_prefix = v4_prefix;
  }
  // RFC 5969 section 4: the delegated prefix, 6rdPrefixLen + (32 -
  // IPv4MaskLen) bits, must leave a /64 for the CE's links.
  const unsigned delegated = len + 32 - p.ipv4_mask_len;
  if (delegated > 64)
    return fmt::format(
        "--6rd-prefix '{}': prefix length {} + 32 - IPv4 mask length {} = {}; the delegated prefix must be at most "
        "64 bits (RFC 5969 section 4)",
        text, len, p.ipv4_mask_len, delegated);
  out = p;
  return {};
}

namespace {
// A comma list of ports (1..65535) into `set`; "none" (when allowed) for
// the empty set. The error names `option`.
std::string parse_port_list(const std::string& option, std::string_view text, bool allow_none, PortSet& out) {
  PortSet set;
  if (allow_none && text == "none") {
    out = set;
    return {};
  }
  while (!text.empty()) {
    const auto comma = text.find(',');
    const std::string_view item = text.substr(0, comma);
    unsigned port = 0;
    const auto [ptr, ec] = std::from_chars(item.data(), item.data() + item.size(), port);
    if (ec != std::errc{} || ptr != item.data() + item.size() || port < 1 || port > 65535)
      return fmt::format("{}: '{}' is not a port (1..65535)", option, item);
    if (set.count == PortSet::kMax) return fmt::format("{}: at most {} ports", option, PortSet::kMax);
    set.port[set.count++] = static_cast<uint16_t>(port);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
    if (text.empty()) return fmt::format("{}: '' is not a port (1..65535)", option);
  }
  if (set.count == 0)
    return fmt::format("{}: give at least one port (1..65535){}", option, allow_none ? ", or 'none'" : "");
  out = set;
  return {};
}
}  // namespace

std::string parse_udp_ports(TunnelType type, std::string_view text, DecodeConfig& cfg) {
  // "none": found by content only (a tunnel without a port of its own).
  return parse_port_list(fmt::format("--{}-ports", tunnel_type_name(type)), text, true, cfg.ports(type));
}

std::string parse_vxlan_ports(std::string_view text, DecodeConfig& cfg) {
  return parse_port_list("--vxlan-ports", text, false, cfg.vxlan_ports);
}

std::string parse_mirrors(std::string_view text, DecodeConfig& cfg) {
  MirrorSet set = 0;
  if (text == "none") {
    cfg.mirrors = 0;
    return {};
  }
  if (text == "auto") {
    cfg.mirrors = kAllMirrors;
    return {};
  }
  while (true) {
    const auto comma = text.find(',');
    const std::string_view item = text.substr(0, comma);
    MirrorSet bits = 0;
    for (const MirrorTypeInfo& m : kMirrorTypes)
      if (m.type != MirrorType::none && m.option == item) bits |= mirror_bit(m.type);
    if (bits == 0)
      return fmt::format("--mirror: '{}' is not a mirror (vxlan, erspan, teb; or auto, none)", item);
    set |= bits;
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  cfg.mirrors = set;
  return {};
}

std::string parse_udp_detect(TunnelType type, std::string_view text, DecodeConfig& cfg) {
  if (text == "content") {
    cfg.detect(type) = UdpDetect::content;
  } else if (text == "ports") {
    cfg.detect(type) = UdpDetect::ports;
  } else {
    return fmt::format("--{}-detect: '{}' is not a detection mode (content or ports)", tunnel_type_name(type), text);
  }
  return {};
}

}  // namespace tunprobe
