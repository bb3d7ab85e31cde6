// Splitting a capture by queue: every packet goes to the file of the queue
// (NIC RSS on the outer header) or worker (CRC distributor on the inner
// flow) that would receive it. `tunprobe-split` is the command-line face;
// the output feeds net_pcap with one rx_pcap per queue, so `--dispatch rss`
// runs see what a multi-queue NIC would deliver.
//
//   * Input: any capture tunprobe reads (Ethernet, raw IP, BSD loopback,
//     Linux cooked), parsed with parse_frame() and the given DecodeConfig.
//   * Output: PREFIX.0.pcap .. PREFIX.(N-1).pcap, every one written even
//     when empty, with the input's link type and snap length and nanosecond
//     timestamps (pcap magic a1b23c4d); each record keeps its timestamp,
//     captured and original lengths and bytes, in input order.
//   * Packets the parser drops (kDrop verdicts: non-IP, truncated ...) go to
//     queue 0 in both modes, and are counted apart.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "probe/decode/decode_config.hpp"

namespace tunprobe::hw {

enum class Dispatch : uint8_t { rss, crc };

struct SplitOptions {
  Dispatch dispatch = Dispatch::rss;
  unsigned queues = 1;         // rss: 1 .. reta_size; crc: a power of two 1 .. 64
  unsigned reta_size = 128;    // rss only
  DecodeConfig decode;
};

struct SplitResult {
  std::vector<uint64_t> per_queue;  // packets written per queue
  uint64_t packets = 0;             // packets read
  uint64_t parser_drops = 0;        // of those, dropped by the parser (in queue 0)
  std::string error;                // empty on success
  bool usage_error = false;         // error is about options or an unreadable input
};

// Empty when the options are valid, else a message naming the allowed values.
std::string check_split_options(const SplitOptions& opts);

SplitResult split_capture(const std::string& input, const std::string& prefix, const SplitOptions& opts);

// PREFIX.q.pcap
std::string split_output_path(const std::string& prefix, unsigned queue);

}  // namespace tunprobe::hw
