// The worker pipeline without I/O: parse -> decapsulate (plug-ins) ->
// classify -> flow-cache update -> expiry slice. The DPDK worker feeds it
// mbuf bursts; benchmarks and tests feed it byte buffers. One per worker.
#pragma once

#include <cstdint>

#include "probe/base/counters.hpp"
#include "probe/decode/decode_config.hpp"
#include "probe/flow/flow_cache.hpp"
#include "probe/flow/frag_table.hpp"
#include "probe/decode/parse.hpp"
#include "probe/flow/record_sink.hpp"

namespace tunprobe {

struct PipelineConfig {
  DecodeConfig decode;
  FlowCacheConfig cache;        // capacity per worker
  LinkType link = LinkType::ethernet;
  unsigned expire_buckets = 16; // buckets swept per burst
};

class Pipeline {
 public:
  static constexpr unsigned kMaxBurst = 64;

  Pipeline(const PipelineConfig& cfg, uint8_t worker_id, RecordSink& sink);

  // One burst (n <= kMaxBurst). Times in ns since 1970 (any 64-bit value:
  // the worker's clock takes the largest seen so far, never going back).
  void process_burst(const uint8_t* const* data, const uint32_t* len, const uint64_t* ts_ns, unsigned n) noexcept;

  // No packets arrived: sweep on with the given packet-time estimate.
  void idle(uint64_t now_ns) noexcept;

  // End of input: export every flow, hand the last records on. `end_ns`:
  // the end of input's packet time over all workers (the clock moves on to
  // it first), so that a record's end reason does not depend on which
  // worker kept it.
  void finish(uint64_t end_ns = 0) noexcept;

  const WorkerCounters& counters() const noexcept { return counters_; }
  WorkerCounters& counters() noexcept { return counters_; }
  uint64_t last_ns() const noexcept { return last_ns_; }  // the worker's clock
  const FlowCache& cache() const noexcept { return cache_; }

 private:
  void account(const PacketInfo& p, const FlowKey& key, uint64_t hash, uint64_t now_ms) noexcept;
  // The cache's counts into counters_ (for the main lcore to read).
  void publish() noexcept;

  PipelineConfig cfg_;
  uint8_t worker_id_;
  RecordSink& sink_;
  FlowCache cache_;
  FragTable frags_;
  WorkerCounters counters_;
  uint64_t last_ns_ = 0;
};

}  // namespace tunprobe
