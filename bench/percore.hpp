// Per-core cost: the worker pipeline (probe/flow/pipeline.hpp: parse,
// decapsulate, classify, flow-cache update, expiry slice) driven over a
// pool of pre-built frames in memory, in bursts of 32 as the DPDK worker
// calls it, with no I/O. Timed with the TSC.
//
// Packet time advances at the 10 Gbps line rate of each frame (its wire
// size + 20 bytes of preamble and gap): expiry slices run every burst as
// on a live link, and no flow reaches a timeout during a run (a 1M-flow
// pool comes round in about 0.6 s of packet time; the inactive timeout is
// 30 s). Time is the worker thread's CPU time (CLOCK_THREAD_CPUTIME_ID),
// so that other processes on a shared machine do not count; the TSC (wall)
// figure is kept beside it: on a quiet machine the two agree. Cycles are TSC
// cycles (CPU seconds x TSC rate). Every run starts with a warm-up pass (at least the whole pool and
// 1M packets) that creates the flows; the timed part is the steady state.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bench/traffic.hpp"
#include "probe/base/cpus.hpp"

namespace tunprobe::bench {

double tsc_hz();                 // calibrated once against the steady clock
uint64_t rdtsc() noexcept;
double thread_cpu_seconds() noexcept;

struct PerCoreResult {
  std::string mix, variant;
  uint32_t flows = 0;
  uint32_t cache = 0;            // flow records of the worker's cache
  double mean_wire = 0;          // bytes with FCS
  uint64_t packets = 0;          // per timed run
  std::vector<double> runs_mpps; // one per repetition, by the thread's CPU time
  std::vector<double> runs_wall_mpps;  // the same runs by the TSC (wall clock)
  double mpps = 0;               // median, by CPU time
  double wall_mpps = 0;          // median, by the TSC
  double cycles_per_packet = 0;  // TSC cycles per packet of CPU time (median run)
  double ns_per_packet = 0;
  uint64_t evictions = 0;        // during the timed runs
  uint64_t records = 0;          // records handed to the sink during the timed runs
  uint64_t dropped = 0;          // packets with a drop verdict (must be 0)
  uint64_t live = 0;             // flows in the cache at the end
};

// One worker on the calling thread.
PerCoreResult run_percore(const Pool& pool, uint32_t cache_records, uint64_t packets, unsigned repeat);

struct ScalingResult {
  std::string mix, variant;
  uint32_t flows_per_worker = 0;
  unsigned threads = 0;
  std::vector<double> per_thread_mpps;  // packets / the thread's CPU time
  double mpps = 0;               // the sum of per_thread_mpps
  double wall_mpps = 0;          // all packets / the slowest thread's wall time (TSC)
};

// `threads` workers on their own threads (pinned round-robin to `cpus`),
// each with its own pool (other flows: another seed) and pipeline, started
// together; `packets` per thread.
ScalingResult run_scaling(const std::string& mix, const std::string& variant, uint32_t flows, uint32_t cache_records,
                          std::size_t min_frames, unsigned threads, uint64_t packets, const std::vector<unsigned>& cpus);

using tunprobe::allowed_cpus;  // probe/base/cpus.hpp
void pin_to(unsigned cpu);
void pin_to(const std::vector<unsigned>& cpus);  // the calling thread may run on any of them

}  // namespace tunprobe::bench
