#include "probe/export/output_spec.hpp"

#include <fmt/format.h>

namespace tunprobe {

std::string OutputSpec::text() const {
  if (scheme == "ipfix+udp" || scheme == "ipfix+tcp") return scheme + "://" + target;
  return scheme + ":" + target;
}

namespace {

constexpr const char* kOutputForms =
    "json:PATH, ipfix:PATH, ipfix+udp://HOST:PORT or ipfix+tcp://HOST:PORT (IPFIX outputs may end in ?profile=NAME)";

}  // namespace

std::string parse_output(const std::string& text, OutputSpec& out) {
  out = OutputSpec{};
  const auto colon = text.find(':');
  if (colon == std::string::npos || colon + 1 == text.size())
    return fmt::format("-o '{}': expected {}", text, kOutputForms);
  out.scheme = text.substr(0, colon);
  std::string rest = text.substr(colon + 1);
  if (out.scheme == "json") {
    out.target = rest;
    return {};
  }
  if (out.scheme != "ipfix" && out.scheme != "ipfix+udp" && out.scheme != "ipfix+tcp")
    return fmt::format("-o '{}': unknown output '{}'; use {}", text, out.scheme, kOutputForms);
  if (const auto q = rest.rfind("?profile="); q != std::string::npos) {
    out.profile = rest.substr(q + 9);
    rest.resize(q);
    if (out.profile.empty()) return fmt::format("-o '{}': ?profile= needs a profile name", text);
  }
  if (out.scheme == "ipfix") {
    if (rest.empty()) return fmt::format("-o '{}': expected ipfix:PATH", text);
    out.target = rest;
    return {};
  }
  if (rest.rfind("//", 0) != 0) return fmt::format("-o '{}': expected {}://HOST:PORT", text, out.scheme);
  rest = rest.substr(2);
  out.target = rest;
  switch (split_host_port(rest, out.host, out.port)) {
    case HostPortError::bracket: return fmt::format("-o '{}': expected {}://[IPV6]:PORT", text, out.scheme);
    case HostPortError::colon:
      return fmt::format("-o '{}': expected {}://HOST:PORT (an IPv6 address in brackets)", text, out.scheme);
    case HostPortError::port: return fmt::format("-o '{}': a collector needs a host and a port 1..65535", text);
    case HostPortError::none: break;
  }
  if (out.host.empty()) return fmt::format("-o '{}': a collector needs a host and a port 1..65535", text);
  return {};
}

HostPortError split_host_port(const std::string& text, std::string& host, uint16_t& port) {
  std::string p;
  if (!text.empty() && text[0] == '[') {
    const auto close = text.find(']');
    if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':') return HostPortError::bracket;
    host = text.substr(1, close - 1);
    p = text.substr(close + 2);
  } else {
    const auto c = text.rfind(':');
    if (c == std::string::npos || text.find(':') != c) return HostPortError::colon;
    host = text.substr(0, c);
    p = text.substr(c + 1);
  }
  unsigned long n = 0;
  std::size_t used = 0;
  try {
    n = std::stoul(p, &used);
  } catch (...) {
    used = 0;
  }
  if (p.empty() || used != p.size() || n < 1 || n > 65535) return HostPortError::port;
  port = static_cast<uint16_t>(n);
  return HostPortError::none;
}

}  // namespace tunprobe
