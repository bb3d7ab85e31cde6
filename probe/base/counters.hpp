// Per-worker counters. Each worker alone writes its own (a relaxed load and
// store: a plain add on x86, no lock, no shared cache line); the main thread
// reads them for periodic statistics and the final summary.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>

#include "probe/base/mirror_type.hpp"
#include "probe/base/verdict.hpp"

namespace tunprobe {

class Counter {
 public:
  void add(uint64_t n = 1) noexcept { v_.store(v_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed); }
  void store_from(uint64_t n) noexcept { v_.store(n, std::memory_order_relaxed); }
  uint64_t get() const noexcept { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> v_{0};
};

struct alignas(64) WorkerCounters {
  Counter packets;            // frames received by this worker
  Counter bytes;              // their wire (captured) length
  std::array<Counter, kVerdictCount> verdicts;
  Counter flow_packets;       // packets counted into flows
  Counter flows_exported;
  Counter evictions;          // records ended by a full cache bucket (lackOfResources)
  Counter expired_on_full;    // timed-out records exported when a full bucket needed their slot
  Counter time_backwards;     // packets stamped before the worker's clock (counted at the clock's time)
  Counter live_flows;         // records in the cache now
  Counter frag_orphans;       // later fragments whose first fragment was not seen
  Counter ring_stalls;        // times the exporter ring was full (the worker waited)
  // --mirror: frames that came in a mirror, by MirrorType (index 0, none,
  // stays 0): their mirror headers were stripped, the frame decoded.
  std::array<Counter, kMirrorTypeCount> mirrored;
};

}  // namespace tunprobe
