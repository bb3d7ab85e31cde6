// What `tunprobe run` was asked to do, after option validation.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "probe/decode/decode_config.hpp"
#include "probe/export/output_spec.hpp"
#include "probe/flow/flow_cache.hpp"

namespace tunprobe {

enum class InputKind : uint8_t { pcap, dpdk, af_packet, vdev };

struct InputSpec {
  InputKind kind;
  std::string text;                     // as the user wrote it
  std::string arg;                      // file/directory/glob, PCI address, interface or vdev spec
  std::vector<std::string> pcap_files;  // vdev:net_pcap...: its rx_pcap= files, one per queue
};

enum class Dispatch : uint8_t { auto_, rss, crc };

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
  std::string user;  // drop to this user once the ports run; outputs open after the drop
  // --metrics: serve Prometheus metrics there (metrics_port 0: none);
  // --metrics-linger: at the end, wait this long for one last scrape.
  std::string metrics_host;
  uint16_t metrics_port = 0;
  double metrics_linger_s = 0;
  IpfixSettings ipfix;
};

// Parses "pcap:FILE|DIR|GLOB", "dpdk:PCI", "af_packet:IFACE", "vdev:SPEC". Returns an
// error message, empty on success.
std::string parse_input(const std::string& text, InputSpec& out);

}  // namespace tunprobe
