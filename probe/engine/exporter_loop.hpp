// The exporter loop on the main lcore: it alone hands records to the
// outputs (so it alone touches libfixbuf, sockets and files). It drains
// every worker's ring of finished records, a bounded share per worker and
// round; when idle it flushes the outputs. It also answers SIGHUP (outputs
// reopen their files) and writes the progress (--stats-interval) on stderr
// and into --stats-json, and publishes the --metrics snapshot. It returns when every worker is done and its ring
// is empty.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "probe/engine/lcores.hpp"
#include "probe/export/outputs.hpp"

namespace tunprobe::engine {

struct ExporterConfig {
  double stats_interval_s = 0;           // 0: no progress
  std::string stats_json;                // empty: none
  std::function<uint64_t()> missed;      // packets the ports missed so far
  // --metrics: called about once a second with the seconds since the last
  // call (renders and publishes a snapshot); empty: none.
  std::function<void(double)> metrics;
};

// t0: the TSC when the lcores were launched.
void run_exporter(const Workers& workers, std::vector<std::unique_ptr<FlowOutput>>& outputs,
                  const ExporterConfig& cfg, uint64_t t0);

}  // namespace tunprobe::engine
