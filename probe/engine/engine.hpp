// The DPDK side of `tunprobe run`: EAL bring-up, ports, mbuf pools, worker
// lcores, the CRC dispatcher or capture reader lcore, and the exporter loop
// on the main lcore.
//
//   ports, rss:  port queue q ──► worker q     (NIC RSS, or pre-split pcaps in net_pcap)
//   ports, crc:  all queues, round-robin ──► RX lcore ──CRC(field vector)──► ring ──► worker
//   files:       pcap: inputs ──► reader lcore (libpcap, merged by time, copied into mbufs)
//                ──CRC (crc) or the NIC's Toeplitz RSS model (rss)──► ring ──► worker
//   worker: Pipeline (parse, decapsulate, classify, flow cache, expiry)
//           ──► SPSC ring of finished records ──► exporter (main lcore)
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "probe/engine/capture_input.hpp"
#include "probe/engine/mbuf_budget.hpp"
#include "probe/engine/run_config.hpp"
#include "probe/base/mirror_type.hpp"
#include "probe/base/startup_error.hpp"
#include "probe/base/verdict.hpp"
#include "probe/export/outputs.hpp"

namespace tunprobe {

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
  // af_packet: drops in the kernel, which the driver does not report: the
  // socket's ring was full (added to imissed), and the interface's
  // rx_dropped (for information only: the kernel also counts there frames
  // it had no protocol for, which the probe did receive).
  uint64_t kernel_socket_drops = 0, kernel_interface_drops = 0;
  bool kernel = false;
  bool is_file = false;
};

// One mbuf pool: where, how many, why, and the memory its objects take.
struct PoolSummary {
  int socket = 0;
  uint64_t mbufs = 0;    // == demand.total()
  MbufDemand demand;
  uint64_t bytes = 0;    // memory of its objects (rte_mempool_mem_iter)
};

struct RunSummary {
  double seconds = 0;
  uint64_t packets = 0;          // read from the ports by tunprobe
  uint64_t bytes = 0;
  uint64_t flow_packets = 0;     // counted into flows
  uint64_t dropped = 0;          // kDrop verdicts
  uint64_t flows = 0;            // records exported
  uint64_t evictions = 0;
  uint64_t expired_on_full = 0;  // timed-out records exported for a full bucket's new flow
  uint64_t time_backwards = 0;   // packets stamped before their worker's clock
  uint64_t frag_orphans = 0;
  uint64_t ring_stalls = 0;
  uint64_t dispatch_stalls = 0;          // the crc dispatcher or the capture reader found a worker ring full
  std::vector<uint64_t> verdicts = std::vector<uint64_t>(kVerdictCount, 0);
  std::vector<uint64_t> mirrored = std::vector<uint64_t>(kMirrorTypeCount, 0);  // by MirrorType
  std::vector<WorkerSummary> workers;
  std::vector<PortSummary> ports;       // DPDK ports (dpdk:, af_packet:, vdev:)
  std::vector<FileInputStats> inputs;   // capture-file inputs (pcap:)
  unsigned max_open_files = 0;          // capture files open at once, at most
  uint64_t reader_mbuf_waits = 0;       // times the capture reader waited for an mbuf
  std::vector<PoolSummary> pools;
  uint64_t eal_memory_mb = 0;           // EAL -m chosen by tunprobe (0: hugepages, or given with --eal)
  uint64_t cache_size = 0;              // --cache-size: records, all workers together
  uint64_t cache_records = 0;           // each worker's flow cache (--cache-size / workers, or less: below)
  uint64_t cache_bound = 0;             // capture files: the most flows their size allows (0: ports)
  std::vector<OutputSummary> outputs;
  std::string dispatch;
  bool interrupted = false;
};

// Runs the whole job; throws StartupError before anything started.
RunSummary run_engine(const RunConfig& cfg);

}  // namespace tunprobe
