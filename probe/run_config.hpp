// What `tunprobe run` was asked to do, after option validation.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "probe/decode_config.hpp"
#include "probe/flow_cache.hpp"

namespace tunprobe {

enum class InputKind : uint8_t { pcap, dpdk, af_packet, vdev };

struct InputSpec {
  InputKind kind;
  std::string text;                     // as the user wrote it
  std::string arg;                      // file/directory/glob, PCI address, interface or vdev spec
  std::vector<std::string> pcap_files;  // vdev:net_pcap...: its rx_pcap= files, one per queue
};

enum class Dispatch : uint8_t { auto_, rss, crc };

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

struct OutputSpec {
  std::string scheme;  // json, ipfix (file), ipfix+udp, ipfix+tcp
  std::string target;  // path ("-" for stdout), or HOST:PORT
  std::string host;    // ipfix+udp/tcp: host name or address (no brackets)
  uint16_t port = 0;
  std::string profile;  // "?profile=" of this output; empty: --profile
  IpfixSettings ipfix;  // filled by `tunprobe run` from its options
  std::string text() const;  // as the user wrote it (without the profile)
};

struct RunConfig {
  std::vector<InputSpec> inputs;
  std::vector<OutputSpec> outputs;
  unsigned workers = 1;
  Dispatch dispatch = Dispatch::auto_;
  uint32_t cache_size = 1u << 20;  // records, all workers together
  uint32_t active_timeout_s = 300;
  uint32_t inactive_timeout_s = 30;
  uint32_t tcp_end_grace_ms = 5000;
  DecodeConfig decode;
  double stats_interval_s = 0;
  std::string stats_json;
  std::string eal_extra;
  std::string user;  // drop to this user once ports and outputs are open
  IpfixSettings ipfix;
};

// Parses "pcap:FILE|DIR|GLOB", "dpdk:PCI", "af_packet:IFACE", "vdev:SPEC". Returns an
// error message, empty on success.
std::string parse_input(const std::string& text, InputSpec& out);
std::string parse_output(const std::string& text, OutputSpec& out);

}  // namespace tunprobe
