#include "bench/percore.hpp"

#include <pthread.h>
#include <sched.h>
#include <time.h>
#include <x86intrin.h>

#include <algorithm>
#include <barrier>
#include <chrono>
#include <memory>
#include <thread>

#include "probe/flow/pipeline.hpp"

namespace tunprobe::bench {

namespace {

constexpr unsigned kBurst = 32;                              // the engine's rx burst
constexpr uint64_t kStartNs = 1'767'225'600ull * 1'000'000'000ull;  // 2026-01-01

void count_records(void* ctx, const FlowRecord* /*records*/, unsigned n) { *static_cast<uint64_t*>(ctx) += n; }

// Feeds a pipeline from a pool, as the DPDK worker feeds it from mbufs:
// pointer, length and timestamp per packet.
class Feeder {
 public:
  explicit Feeder(const Pool& pool) : pool_(pool) {}

  // Runs `packets` packets (a multiple of the burst, rounded up).
  void run(Pipeline& pipe, uint64_t packets) noexcept {
    const uint8_t* data[kBurst];
    uint32_t len[kBurst];
    uint64_t ts[kBurst];
    const std::size_t frames = pool_.frames;
    const uint8_t* base = pool_.arena.get();
    const uint16_t* cap = pool_.cap.data();
    const uint16_t* wire = pool_.wire.data();
    std::size_t pos = pos_;
    uint64_t t_ps = t_ps_;
    for (uint64_t done = 0; done < packets; done += kBurst) {
      for (unsigned i = 0; i < kBurst; ++i) {
        data[i] = base + pos * Pool::kStride;
        len[i] = cap[pos];
        // 10 Gbps: 0.8 ns per byte on the wire, + 20 bytes preamble and gap.
        t_ps += (uint64_t{wire[pos]} + 20) * 800;
        ts[i] = kStartNs + t_ps / 1000;
        if (++pos == frames) pos = 0;
      }
      pipe.process_burst(data, len, ts, kBurst);
    }
    pos_ = pos;
    t_ps_ = t_ps;
  }

 private:
  const Pool& pool_;
  std::size_t pos_ = 0;
  uint64_t t_ps_ = 0;
};

PipelineConfig pipeline_config(uint32_t cache_records) {
  PipelineConfig pc;
  pc.cache.capacity = cache_records;
  return pc;
}

uint64_t dropped_packets(const WorkerCounters& c) {
  uint64_t d = 0;
  for (std::size_t v = 0; v < kVerdictCount; ++v)
    if (kVerdictInfo[v].disposition == Disposition::kDrop) d += c.verdicts[v].get();
  return d;
}

uint64_t warmup_packets(const Pool& pool) {
  const uint64_t w = pool.frames > 1'000'000 ? pool.frames : 1'000'000;
  return (w + kBurst - 1) / kBurst * kBurst;
}

}  // namespace

uint64_t rdtsc() noexcept { return __rdtsc(); }

double thread_cpu_seconds() noexcept {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
}

double tsc_hz() {
  static const double hz = [] {
    using clk = std::chrono::steady_clock;
    const auto t0 = clk::now();
    const uint64_t c0 = rdtsc();
    while (clk::now() - t0 < std::chrono::milliseconds(200)) {
    }
    const auto t1 = clk::now();
    const uint64_t c1 = rdtsc();
    return static_cast<double>(c1 - c0) / std::chrono::duration<double>(t1 - t0).count();
  }();
  return hz;
}

void pin_to(unsigned cpu) { pin_to(std::vector<unsigned>{cpu}); }

void pin_to(const std::vector<unsigned>& cpus) {
  cpu_set_t set;
  CPU_ZERO(&set);
  for (unsigned cpu : cpus) CPU_SET(cpu, &set);
  pthread_setaffinity_np(pthread_self(), sizeof set, &set);
}

PerCoreResult run_percore(const Pool& pool, uint32_t cache_records, uint64_t packets, unsigned repeat) {
  PerCoreResult r;
  r.mix = pool.mix;
  r.variant = pool.variant;
  r.flows = pool.flows;
  r.cache = cache_records;
  r.mean_wire = pool.mean_wire;
  packets = (packets + kBurst - 1) / kBurst * kBurst;
  r.packets = packets;

  uint64_t records = 0;
  RecordSink sink(&count_records, &records);
  auto pipe = std::make_unique<Pipeline>(pipeline_config(cache_records), 0, sink);
  Feeder feed(pool);
  feed.run(*pipe, warmup_packets(pool));
  const uint64_t evictions0 = pipe->cache().evictions();
  const uint64_t records0 = records;
  const uint64_t dropped0 = dropped_packets(pipe->counters());

  const double hz = tsc_hz();
  std::vector<double> cpu_mpps, wall_mpps;
  for (unsigned k = 0; k < repeat; ++k) {
    const double s0 = thread_cpu_seconds();
    const uint64_t c0 = rdtsc();
    feed.run(*pipe, packets);
    const uint64_t c1 = rdtsc();
    const double s1 = thread_cpu_seconds();
    cpu_mpps.push_back(static_cast<double>(packets) / (s1 - s0) / 1e6);
    wall_mpps.push_back(static_cast<double>(packets) * hz / static_cast<double>(c1 - c0) / 1e6);
  }
  r.runs_mpps = cpu_mpps;
  r.runs_wall_mpps = wall_mpps;
  std::sort(cpu_mpps.begin(), cpu_mpps.end());
  std::sort(wall_mpps.begin(), wall_mpps.end());
  r.mpps = cpu_mpps[cpu_mpps.size() / 2];
  r.wall_mpps = wall_mpps[wall_mpps.size() / 2];
  r.cycles_per_packet = hz / (r.mpps * 1e6);
  r.ns_per_packet = 1e3 / r.mpps;
  r.evictions = pipe->cache().evictions() - evictions0;
  r.records = records - records0;
  r.dropped = dropped_packets(pipe->counters()) - dropped0;
  r.live = pipe->cache().live();
  return r;
}

ScalingResult run_scaling(const std::string& mix, const std::string& variant, uint32_t flows, uint32_t cache_records,
                          std::size_t min_frames, unsigned threads, uint64_t packets, const std::vector<unsigned>& cpus) {
  ScalingResult r;
  r.mix = mix;
  r.variant = variant;
  r.flows_per_worker = flows;
  r.threads = threads;
  packets = (packets + kBurst - 1) / kBurst * kBurst;
  std::vector<double> seconds(threads, 0), cpu_seconds(threads, 0);
  std::barrier ready(static_cast<std::ptrdiff_t>(threads));
  std::vector<std::thread> pool_threads;
  for (unsigned t = 0; t < threads; ++t) {
    pool_threads.emplace_back([&, t] {
      pin_to(cpus[t % cpus.size()]);
      // Built on its own thread: its memory is local to its core.
      const Pool pool = make_pool(mix, variant, flows, min_frames, t + 1);
      uint64_t records = 0;
      RecordSink sink(&count_records, &records);
      auto pipe = std::make_unique<Pipeline>(pipeline_config(cache_records), static_cast<uint8_t>(t), sink);
      Feeder feed(pool);
      feed.run(*pipe, warmup_packets(pool));
      ready.arrive_and_wait();
      const double s0 = thread_cpu_seconds();
      const uint64_t c0 = rdtsc();
      feed.run(*pipe, packets);
      seconds[t] = static_cast<double>(rdtsc() - c0) / tsc_hz();
      cpu_seconds[t] = thread_cpu_seconds() - s0;
    });
  }
  for (std::thread& th : pool_threads) th.join();
  double slowest = 0;
  for (unsigned t = 0; t < threads; ++t) {
    r.per_thread_mpps.push_back(static_cast<double>(packets) / cpu_seconds[t] / 1e6);
    r.mpps += r.per_thread_mpps.back();
    slowest = std::max(slowest, seconds[t]);
  }
  r.wall_mpps = static_cast<double>(packets) * threads / slowest / 1e6;
  return r;
}

}  // namespace tunprobe::bench
