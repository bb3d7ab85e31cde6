#include "probe/engine/exporter_loop.hpp"

#include <rte_cycles.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>
#include <unistd.h>

#include <fmt/format.h>

#include "probe/engine/stats_json.hpp"

namespace tunprobe::engine {

namespace {

// Progress, for people (stderr) and monitoring systems (--stats-json).
class ProgressReport {
 public:
  ProgressReport(const ExporterConfig& cfg, uint64_t t0) : cfg_(cfg), t0_(t0), last_(t0) {}

  // Checked every loop, not only when idle: progress also under full load.
  void maybe_report(const Workers& workers) {
    if (cfg_.stats_interval_s <= 0) return;
    const uint64_t t = rte_get_tsc_cycles();
    const double dt = seconds_between(last_, t);
    if (dt < cfg_.stats_interval_s) return;
    const WorkerTotals c = sum_workers(workers);
    RunProgress p;
    p.seconds = seconds_between(t0_, t);
    p.packets_per_second = static_cast<double>(c.packets - last_packets_) / dt;
    p.packets = c.packets;
    p.live_flows = c.live_flows;
    p.flows = c.flows;
    p.dropped = c.dropped();
    p.missed = cfg_.missed ? cfg_.missed() : 0;
    p.evictions = c.evictions;
    fmt::print(stderr,
               "tunprobe: {:.1f} s: {:.0f} packets/s, {} packets, {} flows live, {} exported, {} dropped by "
               "verdict, {} missed by the ports, {} evictions\n",
               p.seconds, p.packets_per_second, p.packets, p.live_flows, p.flows, p.dropped, p.missed, p.evictions);
    // Replaced atomically; the final summary overwrites it at exit.
    if (!cfg_.stats_json.empty()) {
      // Said once when it starts failing and once when it works again:
      // a monitoring system reading a stale file is told why on stderr.
      const std::string err = write_stats_json(cfg_.stats_json, p);
      if (!err.empty() && !stats_json_failing_)
        fmt::print(stderr, "tunprobe: warning: --stats-json {}: {}; the progress is not written until it can be\n",
                   cfg_.stats_json, err);
      else if (err.empty() && stats_json_failing_)
        fmt::print(stderr, "tunprobe: --stats-json {}: written again\n", cfg_.stats_json);
      stats_json_failing_ = !err.empty();
    }
    last_ = t;
    last_packets_ = c.packets;
  }

 private:
  const ExporterConfig& cfg_;
  uint64_t t0_;
  uint64_t last_;
  uint64_t last_packets_ = 0;
  bool stats_json_failing_ = false;
};

}  // namespace

void run_exporter(const Workers& workers, std::vector<std::unique_ptr<FlowOutput>>& outputs,
                  const ExporterConfig& cfg, uint64_t t0) {
  std::vector<FlowRecord> batch(64);
  ProgressReport progress(cfg, t0);
  uint64_t metrics_last = t0;
  for (;;) {
    // Done is read before draining: a worker that is done has put its last
    // record in its ring, so one more empty round means nothing is left.
    bool all_done = true;
    for (const auto& w : workers) all_done = all_done && w->done.load(std::memory_order_acquire);
    unsigned got = 0;
    for (const auto& w : workers) {
      // A bounded share per worker and round: a busy worker cannot starve
      // the others, signals or the progress report.
      for (unsigned round = 0; round < 64; ++round) {
        const unsigned n = rte_ring_sc_dequeue_burst_elem(w->out, batch.data(), sizeof(FlowRecord), 64, nullptr);
        if (n == 0) break;
        for (unsigned i = 0; i < n; ++i)
          for (auto& o : outputs) o->write(batch[i]);
        got += n;
      }
    }
    if (all_done && got == 0) break;
    if (take_reopen_request()) {
      for (auto& o : outputs) o->reopen();
      fmt::print(stderr, "tunprobe: SIGHUP: output files reopened\n");
    }
    progress.maybe_report(workers);
    if (cfg.metrics) {
      const uint64_t t = rte_get_tsc_cycles();
      if (const double dt = seconds_between(metrics_last, t); dt >= 1.0) {
        cfg.metrics(dt);
        metrics_last = t;
      }
    }
    if (got == 0) {
      for (auto& o : outputs) o->flush();
      usleep(200);
    }
  }
}

}  // namespace tunprobe::engine
