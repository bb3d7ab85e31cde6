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
  std::string port;
  if (!rest.empty() && rest[0] == '[') {
    const auto close = rest.find(']');
    if (close == std::string::npos || close + 1 >= rest.size() || rest[close + 1] != ':')
      return fmt::format("-o '{}': expected {}://[IPV6]:PORT", text, out.scheme);
    out.host = rest.substr(1, close - 1);
    port = rest.substr(close + 2);
  } else {
    const auto c = rest.rfind(':');
    if (c == std::string::npos || rest.find(':') != c)
      return fmt::format("-o '{}': expected {}://HOST:PORT (an IPv6 address in brackets)", text, out.scheme);
    out.host = rest.substr(0, c);
    port = rest.substr(c + 1);
  }
  unsigned long p = 0;
  std::size_t used = 0;
  try {
    p = std::stoul(port, &used);
  } catch (...) {
    used = 0;
  }
  if (out.host.empty() || port.empty() || used != port.size() || p < 1 || p > 65535)
    return fmt::format("-o '{}': a collector needs a host and a port 1..65535", text);
  out.port = static_cast<uint16_t>(p);
  return {};
}

}  // namespace tunprobe
