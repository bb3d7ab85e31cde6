// The lcores of `tunprobe run` and what they share with the main lcore:
// the per-lcore state (one cache-aligned struct per worker, dispatcher and
// reader), the packet clock, the stop and reopen flags, and the loops.
//
//   worker (rss)     polls its port queues round-robin -> Pipeline
//   worker (ring)    its ring from the dispatcher or the reader -> Pipeline
//   dispatcher       crc on ports: polls every queue, picks the worker
//   reader           capture files: merged by time, copied into mbufs,
//                    picks the worker (crc, or the NIC's RSS model)
//
// A worker's finished records go to the exporter (the main lcore,
// exporter_loop.hpp) over its SPSC ring. At the end of input every worker
// waits for the others and flushes at the latest clock among them.
#pragma once

#include <rte_mbuf.h>
#include <rte_ring.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "hw/rss.hpp"
#include "probe/base/counters.hpp"
#include "probe/decode/decode_config.hpp"
#include "probe/decode/pcap_file.hpp"
#include "probe/engine/capture_input.hpp"
#include "probe/engine/engine.hpp"
#include "probe/engine/metrics.hpp"
#include "probe/engine/run_config.hpp"
#include "probe/flow/pipeline.hpp"

namespace tunprobe::engine {

constexpr uint16_t kBurst = 32;
constexpr unsigned kRecordRingSize = 16384;  // records per worker ring

// ---------------------------------------------------------------- process state

// SIGINT/SIGTERM end the run (flushing every flow; a second one exits at
// once), SIGHUP asks the exporter to reopen its files. Installed before
// anything starts, so that a signal during start-up ends the run cleanly.
void install_signal_handlers();
bool stop_requested();
// True once after each SIGHUP.
bool take_reopen_request();

// ---------------------------------------------------------------- time

// The TSC and the wall clock at start, and the mbuf timestamp field (which
// tunprobe registers; net_pcap uses the same one). Throws StartupError.
void start_clock();
uint64_t tsc_hz();
double seconds_between(uint64_t tsc_from, uint64_t tsc_to);
// A port whose driver stamps mbufs in a known unit gets its packets timed
// by those stamps; the others by the TSC. Returns whether the unit is known.
bool set_port_timestamp_unit(uint16_t port, const char* driver);

// ---------------------------------------------------------------- lcore state

struct QueueRef {
  uint16_t port;
  uint16_t queue;
  bool is_file;
  uint64_t expected;   // packets in the file (is_file)
  uint64_t received = 0;
  uint64_t last_rx_tsc = 0;
  bool finished = false;
};

// The queues one lcore polls, round-robin: after a queue delivered a burst
// the next poll starts at the queue after it, so that no queue (or port)
// starves the ones behind it.
struct QueueSet {
  std::vector<QueueRef> q;
  std::size_t next = 0;
  bool live() const {
    for (const QueueRef& r : q)
      if (!r.is_file) return true;
    return false;
  }
};

struct alignas(64) Worker {
  unsigned id = 0;
  unsigned lcore = 0;
  QueueSet queues;                // rss on ports: polled by this worker
  rte_ring* in = nullptr;         // crc on ports, capture files: from the dispatcher / reader
  rte_ring* out = nullptr;        // finished records to the exporter
  // Live ports: the idle sweep's clock is the packet time of the last burst
  // plus the TSC time since it came, so it never runs ahead of or behind
  // packet time whatever the port's timestamp source.
  bool live = false;
  uint64_t last_burst_tsc = 0;    // 0: no packet yet
  uint64_t last_burst_clock_ns = 0;
  std::unique_ptr<RecordSink> sink;
  std::unique_ptr<Pipeline> pipeline;
  std::atomic<bool> done{false};
};

using Workers = std::vector<std::unique_ptr<Worker>>;

// The RecordSink callback of a worker (ctx): its records into its ring.
void record_flush(void* ctx, const FlowRecord* recs, unsigned n);

// Which worker a frame goes to, from the dispatcher or the reader: the CRC
// distributor on the inner flow (crc) or the NIC's symmetric Toeplitz hash
// on the outer header with the default RETA (rss), exactly as
// tunprobe-split splits a capture. Dropped frames go to worker 0.
struct Chooser {
  Dispatch dispatch = Dispatch::crc;
  unsigned workers = 1;
  LinkType link = LinkType::ethernet;
  DecodeConfig decode;
  hw::RssModel rss;

  unsigned pick(const uint8_t* data, uint32_t len) const noexcept;
};

// One burst spread over the worker rings; waits (counted) rather than drops
// when a ring is full.
struct Fanout {
  std::vector<rte_ring*> rings;
  std::vector<std::array<rte_mbuf*, kBurst>> per;
  std::vector<unsigned> count;
  Counter stalls;

  void init(std::vector<rte_ring*> r) {
    rings = std::move(r);
    per.resize(rings.size());
    count.assign(rings.size(), 0);
  }
  void add(unsigned w, rte_mbuf* m) noexcept { per[w][count[w]++] = m; }
  void flush() noexcept;
};

// crc on ports: one RX lcore polls every queue.
struct alignas(64) Dispatcher {
  unsigned lcore = 0;
  QueueSet queues;
  Chooser chooser;
  Fanout out;
  Counter packets;
  std::atomic<bool> done{false};
};

// Capture files: one lcore reads them, in time order.
struct alignas(64) Reader {
  unsigned lcore = 0;
  CaptureMerger* merger = nullptr;
  rte_mempool* pool = nullptr;
  Chooser chooser;
  Fanout out;
  Counter mbuf_waits;
  std::atomic<bool> done{false};
};

// ---------------------------------------------------------------- the loops

// The workers' end-of-input barrier waits for this many (set before launch).
void set_worker_count(unsigned n);

// rte_eal_remote_launch entry points; arg: the Worker, Dispatcher or Reader.
int worker_rss_main(void* arg);
int worker_ring_main(void* arg);
int dispatcher_main(void* arg);
int reader_main(void* arg);

// ---------------------------------------------------------------- counters

// The workers' counters read and added up: the one place that reads them,
// for the progress line and --metrics while they run and for the run's
// summary at the end.
struct WorkerTotals {
  uint64_t packets = 0, bytes = 0, flow_packets = 0, flows = 0, evictions = 0, expired_on_full = 0,
           time_backwards = 0, live_flows = 0, frag_orphans = 0, ring_stalls = 0;
  std::array<uint64_t, kVerdictCount> verdicts{};
  std::array<uint64_t, kMirrorTypeCount> mirrored{};
  std::vector<MetricsWorker> each;  // per worker, in worker order
  uint64_t dropped() const { return packets - flow_packets; }  // by verdict
};
WorkerTotals sum_workers(const Workers& workers);

}  // namespace tunprobe::engine
