#include "probe/export/output_spec.hpp"

#include <fmt/format.h>

#include "probe/records/clickhouse_columns.hpp"

namespace tunprobe {

std::string OutputSpec::text() const {
  if (scheme == "ipfix+udp" || scheme == "ipfix+tcp" || scheme == "clickhouse") return scheme + "://" + target;
  return scheme + ":" + target;
}

namespace {

constexpr const char* kOutputForms =
    "json:PATH, ipfix:PATH, ipfix+udp://HOST:PORT, ipfix+tcp://HOST:PORT (IPFIX outputs may end in ?profile=NAME) "
    "or clickhouse://HOST:PORT/DATABASE.TABLE";

// `text` is all decimal digits and its value lo..hi (ports, ?batch=...).
bool whole_number(const std::string& text, unsigned long lo, unsigned long hi, unsigned long& n) {
  std::size_t used = 0;
  try {
    n = std::stoul(text, &used);
  } catch (...) {
    return false;
  }
  return !text.empty() && used == text.size() && n >= lo && n <= hi;
}

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
  if (out.scheme == "clickhouse") {
    if (std::string err = parse_clickhouse_url(text, out.clickhouse, true); !err.empty()) return err;
    out.target = out.clickhouse.text.substr(13);
    out.host = out.clickhouse.host;
    out.port = out.clickhouse.port;
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

std::string parse_clickhouse_url(const std::string& text, ClickHouseSettings& c, bool for_output) {
  c = ClickHouseSettings{};
  const std::string who = fmt::format("{}'{}'", for_output ? "-o " : "", text);
  const std::string form = fmt::format("{}: expected clickhouse://HOST:PORT/DATABASE.TABLE[?user=U&password_file=F{}]",
                                       who, for_output ? "&probe=NAME" : "");
  if (text.rfind("clickhouse://", 0) != 0) return form;
  std::string rest = text.substr(13), query;
  if (const auto q = rest.find('?'); q != std::string::npos) {
    query = rest.substr(q + 1);
    rest.resize(q);
  }
  c.text = "clickhouse://" + rest;
  const auto slash = rest.find('/');
  if (slash == std::string::npos) return form;
  const std::string where = rest.substr(slash + 1);
  const auto dot = where.find('.');
  if (dot == std::string::npos) return form;
  c.database = where.substr(0, dot);
  c.table = where.substr(dot + 1);
  if (!clickhouse::plain_identifier(c.database) || !clickhouse::plain_identifier(c.table))
    return fmt::format("{}: a database and a table name of letters, digits and '_'", who);
  if (split_host_port(rest.substr(0, slash), c.host, c.port) != HostPortError::none || c.host.empty())
    return fmt::format("{}: a ClickHouse server needs a host and its HTTP port 1..65535 (8123 by default)", who);
  const char* keys = for_output ? "user, password, password_file, probe, batch, batch_ms" : "user, password, password_file";
  for (std::size_t at = 0; at < query.size();) {
    std::size_t end = query.find('&', at);
    if (end == std::string::npos) end = query.size();
    const std::string kv = query.substr(at, end - at);
    at = end + 1;
    const auto eq = kv.find('=');
    const std::string key = kv.substr(0, eq), value = eq == std::string::npos ? "" : kv.substr(eq + 1);
    auto number = [&](uint32_t& v, uint32_t lo, uint32_t hi) -> std::string {
      unsigned long n = 0;
      if (!whole_number(value, lo, hi, n)) return fmt::format("{}: ?{}= takes a number {}..{}", who, key, lo, hi);
      v = static_cast<uint32_t>(n);
      return {};
    };
    std::string err;
    if (key == "user") c.user = value;
    else if (key == "password") c.password = value;
    else if (key == "password_file") c.password_file = value;
    else if (for_output && key == "probe") c.probe = value;
    else if (for_output && key == "batch") err = number(c.batch, 1, 1000000);
    else if (for_output && key == "batch_ms") err = number(c.batch_ms, 1, 600000);
    else if (for_output && key == "profile")
      return fmt::format("{}: ?profile= is for IPFIX outputs; a ClickHouse row has every field", who);
    else return fmt::format("{}: unknown setting '{}'; use {}", who, key, keys);
    if (!err.empty()) return err;
    if (eq == std::string::npos || (value.empty() && key != "password"))
      return fmt::format("{}: ?{}= needs a value", who, key);
  }
  if (!c.password.empty() && !c.password_file.empty())
    return fmt::format("{}: give ?password= or ?password_file=, not both", who);
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
  if (!whole_number(p, 1, 65535, n)) return HostPortError::port;
  port = static_cast<uint16_t>(n);
  return HostPortError::none;
}

}  // namespace tunprobe
