#include "probe/engine/run_config.hpp"

#include <fmt/format.h>

namespace tunprobe {

std::string parse_input(const std::string& text, InputSpec& out) {
  const auto colon = text.find(':');
  const std::string scheme = colon == std::string::npos ? "" : text.substr(0, colon);
  const std::string arg = colon == std::string::npos ? "" : text.substr(colon + 1);
  out.text = text;
  out.arg = arg;
  out.pcap_files.clear();
  if (scheme.empty() || arg.empty())
    return fmt::format("-i '{}': expected pcap:FILE|DIR|GLOB, dpdk:PCI_ADDRESS, af_packet:IFACE or vdev:SPEC", text);
  if (scheme == "pcap") {
    // A file, a directory or a glob, read by tunprobe's own reader
    // (probe/engine/capture_input.hpp), not through a DPDK port.
    out.kind = InputKind::pcap;
  } else if (scheme == "dpdk") {
    out.kind = InputKind::dpdk;
  } else if (scheme == "af_packet") {
    out.kind = InputKind::af_packet;
  } else if (scheme == "vdev") {
    out.kind = InputKind::vdev;
    // net_pcap: one queue per rx_pcap= file; remember them to count their
    // packets (that is how the end of a capture is known).
    if (arg.rfind("net_pcap", 0) == 0) {
      std::size_t pos = 0;
      while ((pos = arg.find("rx_pcap=", pos)) != std::string::npos) {
        pos += 8;
        const auto end = arg.find(',', pos);
        out.pcap_files.push_back(arg.substr(pos, end == std::string::npos ? std::string::npos : end - pos));
      }
    }
  } else {
    return fmt::format("-i '{}': unknown input type '{}'; use pcap:, dpdk:, af_packet: or vdev:", text, scheme);
  }
  return {};
}

}  // namespace tunprobe
