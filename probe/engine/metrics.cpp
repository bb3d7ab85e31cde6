#include "probe/engine/metrics.hpp"

#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fmt/format.h>

#include "probe/base/startup_error.hpp"
#include "probe/export/output_spec.hpp"

namespace tunprobe {

namespace {

// Label values: backslash, double quote and newline are escaped (the text
// format's only escapes).
std::string escape_label(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

// One metric family: its HELP and TYPE lines once, then its samples.
class Family {
 public:
  Family(std::string& out, std::string_view name, std::string_view type, std::string_view help)
      : out_(out), name_(name) {
    out_ += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
  }
  Family& sample(uint64_t v) {
    out_ += fmt::format("{} {}\n", name_, v);
    return *this;
  }
  Family& sample_double(double v) {
    out_ += fmt::format("{} {}\n", name_, v);
    return *this;
  }
  // labels: "name", value, "name", value ...
  template <typename... L>
  Family& sample(uint64_t v, const L&... labels) {
    out_ += name_;
    out_ += '{';
    add_labels(labels...);
    out_ += fmt::format("}} {}\n", v);
    return *this;
  }

 private:
  void add_labels() {}
  template <typename K, typename V, typename... L>
  void add_labels(const K& k, const V& v, const L&... rest) {
    if (out_.back() != '{') out_ += ',';
    out_ += fmt::format("{}=\"{}\"", k, escape_label(fmt::format("{}", v)));
    add_labels(rest...);
  }
  std::string& out_;
  std::string_view name_;
};

// One family per member of a per-worker, per-port or per-output struct:
// its name, type, the member and what it counts.
template <typename T>
struct FieldFamily {
  std::string_view name;
  std::string_view type;
  uint64_t T::*field;
  std::string_view help;
};

constexpr FieldFamily<MetricsWorker> kWorkerFamilies[] = {
    {"tunprobe_packets_total", "counter", &MetricsWorker::packets, "Frames received by the worker."},
    {"tunprobe_bytes_total", "counter", &MetricsWorker::bytes, "Wire length of the frames received by the worker."},
    {"tunprobe_flow_packets_total", "counter", &MetricsWorker::flow_packets,
     "Packets counted into flows (the others were dropped by their verdict)."},
    {"tunprobe_flows_exported_total", "counter", &MetricsWorker::flows,
     "Flow records the worker finished and handed to the exporter."},
    {"tunprobe_flow_cache_records", "gauge", &MetricsWorker::cache_records, "Flow records in the worker's cache now."},
    {"tunprobe_flow_cache_capacity_records", "gauge", &MetricsWorker::cache_capacity,
     "Flow records the worker's cache holds at most."},
    {"tunprobe_flow_cache_evictions_total", "counter", &MetricsWorker::evictions,
     "Live records ended early because their cache bucket was full (flowEndReason lackOfResources)."},
    {"tunprobe_flow_cache_expired_on_full_total", "counter", &MetricsWorker::expired_on_full,
     "Timed-out records exported when a full bucket needed their slot."},
    {"tunprobe_time_backwards_packets_total", "counter", &MetricsWorker::time_backwards,
     "Packets stamped before the worker's clock (counted at the clock's time)."},
    {"tunprobe_fragment_orphans_total", "counter", &MetricsWorker::frag_orphans,
     "Later IP fragments whose first fragment was not seen."},
    {"tunprobe_worker_ring_waits_total", "counter", &MetricsWorker::ring_waits,
     "Times the worker found its ring to the exporter full and waited."},
};

constexpr FieldFamily<OutputSummary> kOutputFamilies[] = {
    {"tunprobe_output_written_records_total", "counter", &OutputSummary::written,
     "Records handed to the output (written = delivered + failed + dropped + buffered)."},
    {"tunprobe_output_delivered_records_total", "counter", &OutputSummary::delivered,
     "Records written to the file, sent (UDP) or acknowledged by the collector (TCP)."},
    {"tunprobe_output_failed_records_total", "counter", &OutputSummary::failed,
     "Records lost to write or send errors."},
    {"tunprobe_output_dropped_records_total", "counter", &OutputSummary::dropped,
     "Records dropped beyond --export-buffer while the collector was away or slow."},
    {"tunprobe_output_buffered_records", "gauge", &OutputSummary::buffered,
     "Records held for the collector now."},
    {"tunprobe_output_messages_total", "counter", &OutputSummary::messages, "IPFIX messages written or sent."},
    {"tunprobe_output_send_errors_total", "counter", &OutputSummary::send_errors, "Failed writes or sends."},
    {"tunprobe_output_connections_total", "counter", &OutputSummary::connections, "TCP connections made."},
};

constexpr FieldFamily<PortSummary> kPortFamilies[] = {
    {"tunprobe_port_received_packets_total", "counter", &PortSummary::ipackets,
     "Packets the port received (rte_eth_stats ipackets)."},
    {"tunprobe_port_missed_packets_total", "counter", &PortSummary::imissed,
     "Packets the port dropped for want of room (imissed; af_packet: also the kernel socket's drops)."},
    {"tunprobe_port_errors_total", "counter", &PortSummary::ierrors, "Erroneous packets the port received (ierrors)."},
    {"tunprobe_port_no_mbuf_total", "counter", &PortSummary::rx_nombuf,
     "Receive failures for want of an mbuf (rx_nombuf)."},
};

}  // namespace

std::string render_prometheus(const MetricsSnapshot& s) {
  std::string out;
  out.reserve(4096 + s.workers.size() * (1024 + 64 * kVerdictCount));
  Family(out, "tunprobe_build_info", "gauge", "The probe's version (the value is always 1).")
      .sample(1, "version", s.version);
  Family(out, "tunprobe_start_time_seconds", "gauge", "Unix time the run's lcores started.")
      .sample_double(s.start_time_s);
  Family(out, "tunprobe_running", "gauge", "1 while the run reads packets; 0 once it ended (the final values).")
      .sample(s.running ? 1 : 0);
  for (const auto& f : kWorkerFamilies) {
    Family fam(out, f.name, f.type, f.help);
    for (std::size_t w = 0; w < s.workers.size(); ++w) fam.sample(s.workers[w].*f.field, "worker", w);
  }
  {
    Family fam(out, "tunprobe_verdict_packets_total", "counter",
               "Packets by the parser's verdict (README: Verdicts); drop verdicts are not in flows.");
    for (std::size_t w = 0; w < s.workers.size(); ++w)
      for (std::size_t v = 0; v < kVerdictCount; ++v)
        if (s.workers[w].verdicts[v] != 0)
          fam.sample(s.workers[w].verdicts[v], "worker", w, "verdict", kVerdictInfo[v].name, "disposition",
                     kVerdictInfo[v].disposition == Disposition::kDrop ? "drop" : "flow");
  }
  {
    Family fam(out, "tunprobe_mirrored_packets_total", "counter",
               "Frames that came in a mirror (--mirror), by mirror type: their mirror headers were stripped.");
    for (std::size_t m = 1; m < kMirrorTypeCount; ++m) fam.sample(s.mirrored[m], "mirror", kMirrorTypes[m].name);
  }
  Family(out, "tunprobe_dispatch_ring_waits_total", "counter",
         "Times the crc dispatcher or the capture reader found a worker's ring full and waited.")
      .sample(s.dispatch_waits);
  for (const auto& f : kPortFamilies) {
    Family fam(out, f.name, f.type, f.help);
    for (std::size_t p = 0; p < s.ports.size(); ++p) fam.sample(s.ports[p].*f.field, "port", p, "input", s.ports[p].input);
  }
  for (const auto& f : kOutputFamilies) {
    Family fam(out, f.name, f.type, f.help);
    for (const OutputSummary& o : s.outputs) fam.sample(o.*f.field, "output", o.output);
  }
  Family(out, "tunprobe_records_per_second", "gauge",
         "Records handed to the outputs per second, over the last second or so.")
      .sample_double(s.records_per_second);
  return out;
}

std::string parse_metrics_address(const std::string& text, std::string& host, uint16_t& port) {
  switch (split_host_port(text, host, port)) {
    case HostPortError::bracket: return fmt::format("--metrics '{}': expected [IPV6]:PORT", text);
    case HostPortError::colon:
      return fmt::format("--metrics '{}': expected HOST:PORT, [IPV6]:PORT or :PORT (every address)", text);
    case HostPortError::port: return fmt::format("--metrics '{}': the port must be 1..65535", text);
    case HostPortError::none: break;
  }
  return {};
}

namespace {

MHD_Result on_request(void* cls, MHD_Connection* c, const char* url, const char* method, const char*, const char*,
                      std::size_t*, void**) {
  auto* server = static_cast<MetricsServer*>(cls);
  unsigned status = MHD_HTTP_OK;
  std::string body;
  const char* type = "text/plain; version=0.0.4; charset=utf-8";
  if (std::strcmp(method, "GET") != 0 && std::strcmp(method, "HEAD") != 0) {
    status = MHD_HTTP_METHOD_NOT_ALLOWED;
    body = "tunprobe: only GET /metrics\n";
    type = "text/plain; charset=utf-8";
  } else if (std::strcmp(url, "/metrics") == 0) {
    body = server->text_for_scrape();
  } else if (std::strcmp(url, "/") == 0) {
    body = "<html><body><a href=\"/metrics\">tunprobe metrics</a></body></html>\n";
    type = "text/html; charset=utf-8";
  } else {
    status = MHD_HTTP_NOT_FOUND;
    body = "tunprobe: not found; the metrics are at /metrics\n";
    type = "text/plain; charset=utf-8";
  }
  MHD_Response* r = MHD_create_response_from_buffer(body.size(), body.data(), MHD_RESPMEM_MUST_COPY);
  if (r == nullptr) return MHD_NO;
  MHD_add_response_header(r, "Content-Type", type);
  if (status == MHD_HTTP_METHOD_NOT_ALLOWED) MHD_add_response_header(r, "Allow", "GET, HEAD");
  const MHD_Result ret = MHD_queue_response(c, status, r);
  MHD_destroy_response(r);
  return ret;
}

}  // namespace

MetricsServer::MetricsServer(const std::string& host, uint16_t port, const std::string& first_text)
    : text_(first_text) {
  const std::string shown = host.find(':') != std::string::npos ? fmt::format("[{}]:{}", host, port)
                                                                 : fmt::format("{}:{}", host, port);
  address_ = shown;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* res = nullptr;
  const std::string service = std::to_string(port);
  const int gai = getaddrinfo(host.empty() ? nullptr : host.c_str(), service.c_str(), &hints, &res);
  if (gai != 0) throw StartupError{fmt::format("--metrics {}: cannot resolve {}: {}", shown, host, gai_strerror(gai))};
  // The listening socket is ours, so that a failure says why (libmicrohttpd
  // only says it failed).
  int fd = -1;
  int err = 0;
  const char* step = "socket";
  for (addrinfo* a = res; a != nullptr && fd < 0; a = a->ai_next) {
    fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) {
      err = errno;
      continue;
    }
    const int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(fd, a->ai_addr, a->ai_addrlen) != 0) {
      err = errno, step = "bind";
    } else if (::listen(fd, 64) != 0) {
      err = errno, step = "listen";
    } else {
      break;
    }
    ::close(fd);
    fd = -1;
  }
  freeaddrinfo(res);
  if (fd < 0)
    throw StartupError{fmt::format("--metrics {}: cannot listen there ({}): {}", shown, step, std::strerror(err))};
  daemon_ = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, 0, nullptr, nullptr, &on_request,
                             this, MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_CONNECTION_TIMEOUT, 10u,
                             MHD_OPTION_CONNECTION_LIMIT, 16u, MHD_OPTION_END);
  if (daemon_ == nullptr) {
    ::close(fd);
    throw StartupError{fmt::format("--metrics {}: libmicrohttpd did not start its server thread", shown)};
  }
}

MetricsServer::~MetricsServer() {
  if (daemon_ != nullptr) MHD_stop_daemon(daemon_);  // closes the listening socket too
}

void MetricsServer::publish(std::string text) {
  std::lock_guard lock(mu_);
  text_ = std::move(text);
}

bool MetricsServer::publish_final_and_wait(std::string text, double linger_s) {
  std::unique_lock lock(mu_);
  text_ = std::move(text);
  final_ = true;
  final_served_ = false;
  if (linger_s <= 0) return false;
  return final_read_.wait_for(lock, std::chrono::duration<double>(linger_s), [this] { return final_served_; });
}

std::string MetricsServer::text_for_scrape() {
  std::lock_guard lock(mu_);
  ++scrapes_;
  if (final_ && !final_served_) {
    final_served_ = true;
    final_read_.notify_all();
  }
  return text_;
}

uint64_t MetricsServer::scrapes() const {
  std::lock_guard lock(mu_);
  return scrapes_;
}

}  // namespace tunprobe
