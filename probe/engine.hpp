// The DPDK side of `tunprobe run`: EAL bring-up, ports, worker lcores, the
// CRC dispatcher lcore, and the exporter loop on the main lcore.
//
//   rss:  port queue q ──► worker q            (NIC RSS, or pre-split pcaps)
//   crc:  all queues ──► RX lcore ──CRC(field vector)──► ring ──► worker
//   worker: Pipeline (parse, decapsulate, classify, flow cache, expiry)
//           ──► SPSC ring of finished records ──► exporter (main lcore)
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "probe/run_config.hpp"
#include "probe/verdict.hpp"

namespace tunprobe {

// A start-up failure: one line for the user, exit code 2.
struct StartupError {
  std::string message;
};

struct WorkerSummary {
  uint64_t packets = 0;
  uint64_t flows = 0;
};

struct PortSummary {
  std::string input;
  uint16_t port = 0;
  uint16_t queues = 0;
  uint64_t ipackets = 0, imissed = 0, ierrors = 0, rx_nombuf = 0;
  uint64_t expected = 0;  // capture files: packets in the files (0: live input)
  bool is_file = false;
};

struct RunSummary {
  double seconds = 0;
  uint64_t packets = 0;          // read from the ports by tunprobe
  uint64_t bytes = 0;
  uint64_t flow_packets = 0;     // counted into flows
  uint64_t dropped = 0;          // kDrop verdicts
  uint64_t flows = 0;            // records exported
  uint64_t evictions = 0;
  uint64_t frag_orphans = 0;
  uint64_t ring_stalls = 0;
  uint64_t dispatch_stalls = 0;
  std::vector<uint64_t> verdicts = std::vector<uint64_t>(kVerdictCount, 0);
  std::vector<WorkerSummary> workers;
  std::vector<PortSummary> ports;
  std::string dispatch;
  bool interrupted = false;
};

// Runs the whole job; throws StartupError before anything started.
RunSummary run_engine(const RunConfig& cfg);

}  // namespace tunprobe
