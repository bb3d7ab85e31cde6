// --metrics HOST:PORT: the run's counters for Prometheus, as its text
// exposition format (version 0.0.4) at GET /metrics, served by
// libmicrohttpd on its own thread, never on a worker or the exporter.
//
// The server thread touches no engine state: the exporter loop renders a
// snapshot at most once a second (every worker's counters, the ports'
// rte_eth_stats, every output's summary) and publishes the text; a scrape
// copies the latest text under a mutex. So values are at most a second
// old, and a scrape costs the data path nothing.
//
// Names follow Prometheus' conventions: a `tunprobe_` prefix, counters end
// in `_total`, units in the name (`_bytes`, `_seconds`), one family per
// quantity with labels for worker, verdict, port, output (README:
// Metrics).
#pragma once

#include <sys/socket.h>

#include <array>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "probe/base/mirror_type.hpp"
#include "probe/base/verdict.hpp"
#include "probe/engine/engine.hpp"
#include "probe/export/outputs.hpp"

struct MHD_Daemon;

namespace tunprobe {

struct MetricsWorker {
  uint64_t packets = 0, bytes = 0, flow_packets = 0, flows = 0, evictions = 0, expired_on_full = 0,
           time_backwards = 0, frag_orphans = 0, ring_waits = 0, cache_records = 0, cache_capacity = 0;
  std::array<uint64_t, kVerdictCount> verdicts{};
};

// One moment of the run, as the exporter loop sees it.
struct MetricsSnapshot {
  std::string version;
  double start_time_s = 0;        // Unix time the lcores were launched
  bool running = true;            // false: the run has ended, these are its final values
  std::vector<MetricsWorker> workers;
  std::array<uint64_t, kMirrorTypeCount> mirrored{};
  uint64_t dispatch_waits = 0;    // the crc dispatcher or the capture reader found a worker ring full
  std::vector<PortSummary> ports; // DPDK ports (not capture files): input, ipackets, imissed, ierrors, rx_nombuf
  std::vector<OutputSummary> outputs;
  double records_per_second = 0;  // handed to the outputs, over the last snapshot's interval
};

// The text exposition of `s`: every family with its HELP and TYPE lines,
// labels escaped as the format says.
std::string render_prometheus(const MetricsSnapshot& s);

// Parses "HOST:PORT", "[IPV6]:PORT" or ":PORT" (every address). Returns ""
// or the error line.
std::string parse_metrics_address(const std::string& text, std::string& host, uint16_t& port);

class MetricsServer {
 public:
  // Binds and listens on HOST:PORT (now, as the user who starts the run:
  // a port below 1024 before the privilege drop) and starts the server
  // thread. Throws StartupError with the reason ("address already in use").
  MetricsServer(const std::string& host, uint16_t port, const std::string& first_text);
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  void publish(std::string text);
  // The run has ended and `text` holds its final values: serve them and
  // wait until one scrape has read them, at most `linger_s` seconds.
  // Returns whether a scrape read them.
  bool publish_final_and_wait(std::string text, double linger_s);
  uint64_t scrapes() const;
  std::string address() const { return address_; }
  // The server thread's side: the text a scrape returns now (counted).
  std::string text_for_scrape();

 private:
  MHD_Daemon* daemon_ = nullptr;
  std::string address_;
  mutable std::mutex mu_;
  std::condition_variable final_read_;
  std::string text_;
  bool final_ = false;
  bool final_served_ = false;
  uint64_t scrapes_ = 0;
};

}  // namespace tunprobe
