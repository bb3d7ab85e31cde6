// What an output (-o) is: its scheme and target, and the IPFIX settings
// that `tunprobe run` fills in from its options.
#pragma once

#include <cstdint>
#include <string>

namespace tunprobe {

// IPFIX export settings (README: IPFIX export and collectors).
struct IpfixSettings {
  std::string profile = "default";   // default, nfdump, flowmon
  uint32_t pen = 32473;              // tunprobe's elements' PEN (IANA's documentation PEN)
  uint32_t odid = 1;                 // observation domain id
  uint32_t template_refresh_s = 60;  // UDP: templates re-sent this often
  uint64_t export_buffer = 262144;   // TCP: records held while the collector is away
  uint32_t rotate_s = 0;             // files: a new file every S seconds (0: one file)
  uint32_t mtu = 1500;               // UDP: path MTU; a message fits one datagram
};

// clickhouse://HOST:PORT/DATABASE.TABLE[?KEY=VALUE&...] (README "Flows
// into ClickHouse"), for -o and for `tunprobe report`: the server, the
// table and what the URL's query sets.
struct ClickHouseSettings {
  std::string text;  // clickhouse://HOST:PORT/DATABASE.TABLE, without the query (it may hold a password)
  std::string host;  // without brackets
  uint16_t port = 0;  // the HTTP port
  std::string database, table;
  std::string user;           // ?user= (default: the server's "default")
  std::string password;       // ?password= (visible in ps: prefer password_file)
  std::string password_file;  // ?password_file=: its first line is the password
  // The output's own (for_output):
  std::string probe;          // ?probe=: the rows' probeName (default: the host name)
  uint32_t batch = 100000;    // ?batch=: records per insert at most
  uint32_t batch_ms = 1000;   // ?batch_ms=: a batch is sent when its first record is this old
};

// Parses a clickhouse:// URL; `for_output` also allows the output's own
// settings. Returns "" or one line ("-o 'URL': ..." for an output,
// "'URL': ..." else).
std::string parse_clickhouse_url(const std::string& text, ClickHouseSettings& out, bool for_output);

struct OutputSpec {
  std::string scheme;  // json, ipfix (file), ipfix+udp, ipfix+tcp, clickhouse
  std::string target;  // path ("-" for stdout), or HOST:PORT (clickhouse: HOST:PORT/DATABASE.TABLE)
  std::string host;    // ipfix+udp/tcp, clickhouse: host name or address (no brackets)
  uint16_t port = 0;
  std::string profile;  // "?profile=" of this output; empty: --profile
  IpfixSettings ipfix;  // filled by `tunprobe run` from its options
  ClickHouseSettings clickhouse;
  std::string text() const;  // as the user wrote it (without the profile or the query)
};

// Parses an -o argument. Returns an error message, empty on success.
std::string parse_output(const std::string& text, OutputSpec& out);

// "HOST:PORT" or "[IPV6]:PORT" split into the host (without brackets; may
// be empty: the caller decides) and a port 1..65535. For -o collectors and
// --metrics, which word their errors themselves.
enum class HostPortError : uint8_t {
  none,
  bracket,  // '[' without "]:"
  colon,    // no ':', or more than one outside brackets
  port,     // the port is not a number 1..65535
};
HostPortError split_host_port(const std::string& text, std::string& host, uint16_t& port);

}  // namespace tunprobe
