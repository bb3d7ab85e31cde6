#include "probe/engine/engine.hpp"

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>
#include <rte_mempool.h>
#include <rte_prefetch.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <sched.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fmt/format.h>
#include <map>
#include <memory>

#include "hw/crc_dispatch.hpp"
#include "hw/rss.hpp"
#include "probe/base/cpus.hpp"
#include "probe/engine/kernel_drops.hpp"
#include "probe/export/outputs.hpp"
#include "probe/decode/pcap_file.hpp"
#include "probe/flow/pipeline.hpp"

namespace tunprobe {

namespace {

constexpr uint16_t kBurst = 32;
constexpr unsigned kRecordRingSize = 16384;  // records per worker ring
constexpr unsigned kMbufCache = 256;         // per-lcore mempool cache
constexpr uint16_t kRxDesc = 1024;
constexpr unsigned kRssRetaSize = 128;       // the RSS model's RETA (hw/rss.hpp: the default of DPDK PMDs)
// DPDK's own memory in a run without hugepages, beside the pools' objects
// and the rings: EAL, ethdev and driver state; per pool its header (with a
// cache for each of RTE_MAX_LCORE lcores) and its ring; per RX queue the
// driver's state. Measured: a file run starts with 3 MB more, 16 net_null
// queues with 5 MB more; this leaves room for drivers that keep more.
constexpr uint64_t kEalFixedBytes = 8u << 20;
constexpr uint64_t kEalPerPoolBytes = 4u << 20;
constexpr uint64_t kEalPerQueueBytes = 256u << 10;
// A capture-file queue that delivers nothing for this long has ended short
// of the packets counted in its file (counted as pcap_missing).
constexpr double kFileIdleGiveUpS = 3.0;

// ---------------------------------------------------------------- process state

std::atomic<bool> g_stop{false};
std::atomic<int> g_signals{0};
std::atomic<bool> g_reopen{false};
// Set by the dispatcher or the reader when its input has ended and its last
// mbufs are in the rings.
std::atomic<bool> g_input_done{false};

void on_hangup(int) { g_reopen.store(true, std::memory_order_relaxed); }

void on_signal(int) {
  // A second Ctrl-C exits at once, without flushing.
  if (g_signals.fetch_add(1) >= 1) _exit(130);
  g_stop.store(true, std::memory_order_relaxed);
}

bool stop_requested() { return g_stop.load(std::memory_order_relaxed); }

// ---------------------------------------------------------------- time

// The mbuf timestamp dynamic field (tunprobe registers it; net_pcap uses
// the same one). From ports it holds the driver's own unit (rte_mbuf_dyn.h:
// "not normalized"); in the mbufs that reach a worker through a ring it
// always holds nanoseconds since 1970: the dispatcher or the reader writes it.
int ts_dynfield = -1;
uint64_t ts_dynflag = 0;
uint64_t wall_base_ns = 0;
uint64_t tsc_base = 0;
uint64_t tsc_hz = 1;

uint64_t tsc_to_ns(uint64_t cycles) {
  return static_cast<uint64_t>(static_cast<double>(cycles) * 1e9 / static_cast<double>(tsc_hz));
}

// Packet time for ports that give none: the wall clock, through the TSC.
uint64_t tsc_wall_ns(uint64_t tsc) { return wall_base_ns + tsc_to_ns(tsc - tsc_base); }

// Ports whose timestamp unit is known get a multiplier to ns; the rest (0)
// are timed by the TSC. net_pcap stores tv_sec * 10^6 + tv_usec.
std::array<uint32_t, RTE_MAX_ETHPORTS> port_ts_mult{};

uint64_t timestamp_multiplier(const char* driver) {
  return std::strcmp(driver, "net_pcap") == 0 ? 1000 : 0;
}

uint64_t& mbuf_ts(rte_mbuf* m) { return *RTE_MBUF_DYNFIELD(m, ts_dynfield, uint64_t*); }

// A port's mbuf: `burst_wall_ns` (the TSC time taken once per burst) for
// mbufs that carry no usable timestamp.
uint64_t port_mbuf_time_ns(rte_mbuf* m, uint64_t burst_wall_ns) {
  const uint32_t mult = port_ts_mult[m->port];
  if (mult != 0 && (m->ol_flags & ts_dynflag) != 0) return mbuf_ts(m) * mult;
  return burst_wall_ns;
}

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

void record_flush(void* ctx, const FlowRecord* recs, unsigned n) {
  Worker& w = *static_cast<Worker*>(ctx);
  unsigned sent = 0;
  while (sent < n) {
    sent += rte_ring_enqueue_burst_elem(w.out, recs + sent, sizeof(FlowRecord), n - sent, nullptr);
    if (sent < n) {
      // The exporter is behind: wait for it rather than lose records.
      w.pipeline->counters().ring_stalls.add();
      rte_pause();
    }
  }
}

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

  unsigned pick(const uint8_t* data, uint32_t len) const noexcept {
    if (workers == 1) return 0;
    PacketInfo info;
    parse_frame_unclassified(data, len, link, decode, info);
    if (verdict_is_drop(info.verdict)) return 0;
    return dispatch == Dispatch::crc ? hw::crc_dispatch(info, workers) : rss.queue(info);
  }
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
  void flush() noexcept {
    unsigned waits = 0;
    for (std::size_t w = 0; w < rings.size(); ++w) {
      unsigned sent = 0;
      while (sent < count[w]) {
        sent += rte_ring_sp_enqueue_burst(rings[w], reinterpret_cast<void* const*>(per[w].data() + sent),
                                          count[w] - sent, nullptr);
        if (sent < count[w]) {
          // A full ring: its worker is behind. Yield now and then: on
          // shared cores (more lcores than cores) spinning would keep it so.
          stalls.add();
          if (++waits % 64 == 0) sched_yield();
          else rte_pause();
        }
      }
      count[w] = 0;
    }
  }
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

// ---------------------------------------------------------------- the lcores' loops

void backoff(unsigned& idle_rounds) {
  // Several lcores may share a core (tests run 4 workers on 2 cores): an
  // idle poller yields now and then so that busy ones progress.
  if (++idle_rounds % 64 == 0) sched_yield();
  else rte_pause();
}

// End of input: every worker publishes its clock and waits for the others,
// then flushes at the latest of them (a record's end reason is then the
// same whichever worker kept it). Written once per worker per run.
std::atomic<unsigned> g_workers_at_end{0};
std::atomic<uint64_t> g_end_clock_ns{0};
unsigned g_worker_count = 1;

void finish_worker(Worker& w) {
  const uint64_t mine = w.pipeline->last_ns();
  uint64_t seen = g_end_clock_ns.load(std::memory_order_relaxed);
  while (mine > seen && !g_end_clock_ns.compare_exchange_weak(seen, mine, std::memory_order_acq_rel)) {
  }
  g_workers_at_end.fetch_add(1, std::memory_order_acq_rel);
  unsigned rounds = 0;
  while (g_workers_at_end.load(std::memory_order_acquire) < g_worker_count) {
    if (++rounds % 64 == 0) sched_yield();
    else rte_pause();
  }
  w.pipeline->finish(g_end_clock_ns.load(std::memory_order_acquire));
  w.done.store(true, std::memory_order_release);
}

// One burst into the worker's pipeline. `from_ring`: the timestamp field
// holds ns (dispatcher, reader); else the port's own unit or none.
void process_mbufs(Worker& w, rte_mbuf** m, uint16_t n, bool from_ring) {
  const uint8_t* data[kBurst];
  uint32_t len[kBurst];
  uint64_t ts[kBurst];
  // The mbuf headers come from another core (the NIC's writes, or the
  // dispatcher's): fetch them all before reading any.
  for (uint16_t i = 0; i < n; ++i) rte_prefetch0(m[i]);
  const uint64_t tsc = rte_get_tsc_cycles();
  const uint64_t wall = from_ring ? 0 : tsc_wall_ns(tsc);
  for (uint16_t i = 0; i < n; ++i) {
    data[i] = rte_pktmbuf_mtod(m[i], const uint8_t*);
    len[i] = m[i]->data_len;
    ts[i] = from_ring ? mbuf_ts(m[i]) : port_mbuf_time_ns(m[i], wall);
  }
  w.pipeline->process_burst(data, len, ts, n);
  rte_pktmbuf_free_bulk(m, n);
  w.last_burst_tsc = tsc;
  w.last_burst_clock_ns = w.pipeline->last_ns();
}

// Live ports only: no packet came; expire by the packet clock moved on by
// the time that has passed since the last burst.
void idle_sweep(Worker& w) {
  if (!w.live || w.last_burst_tsc == 0) return;
  w.pipeline->idle(w.last_burst_clock_ns + tsc_to_ns(rte_get_tsc_cycles() - w.last_burst_tsc));
}

// One burst from the next queue with packets, round-robin. Returns true
// when every file queue has ended (then n == 0).
bool poll_queues(QueueSet& qs, rte_mbuf** m, uint16_t& n) {
  bool all_finished = true;
  n = 0;
  const std::size_t k = qs.q.size();
  for (std::size_t i = 0; i < k; ++i) {
    std::size_t idx = qs.next + i;
    if (idx >= k) idx -= k;
    QueueRef& q = qs.q[idx];
    if (q.finished) continue;
    all_finished = false;
    n = rte_eth_rx_burst(q.port, q.queue, m, kBurst);
    const uint64_t now = rte_get_tsc_cycles();
    if (n == 0) {
      if (q.is_file && (q.received >= q.expected ||
                        static_cast<double>(now - q.last_rx_tsc) > kFileIdleGiveUpS * static_cast<double>(tsc_hz)))
        q.finished = true;
      continue;
    }
    q.received += n;
    q.last_rx_tsc = now;
    qs.next = idx + 1 == k ? 0 : idx + 1;
    return false;
  }
  return all_finished;
}

int worker_rss_main(void* arg) {
  Worker& w = *static_cast<Worker*>(arg);
  rte_mbuf* m[kBurst];
  unsigned idle_rounds = 0;
  for (QueueRef& q : w.queues.q) q.last_rx_tsc = rte_get_tsc_cycles();
  while (!stop_requested()) {
    uint16_t n = 0;
    if (poll_queues(w.queues, m, n)) break;
    if (n > 0) {
      process_mbufs(w, m, n, false);
      idle_rounds = 0;
    } else {
      idle_sweep(w);
      backoff(idle_rounds);
    }
  }
  finish_worker(w);
  return 0;
}

// crc on ports and capture files: the worker's ring.
int worker_ring_main(void* arg) {
  Worker& w = *static_cast<Worker*>(arg);
  rte_mbuf* m[kBurst];
  unsigned idle_rounds = 0;
  for (;;) {
    const unsigned n = rte_ring_sc_dequeue_burst(w.in, reinterpret_cast<void**>(m), kBurst, nullptr);
    if (n > 0) {
      process_mbufs(w, m, static_cast<uint16_t>(n), true);
      idle_rounds = 0;
      continue;
    }
    if (g_input_done.load(std::memory_order_acquire) && rte_ring_empty(w.in)) break;
    idle_sweep(w);
    backoff(idle_rounds);
  }
  finish_worker(w);
  return 0;
}

int dispatcher_main(void* arg) {
  Dispatcher& d = *static_cast<Dispatcher*>(arg);
  rte_mbuf* m[kBurst];
  unsigned idle_rounds = 0;
  for (QueueRef& q : d.queues.q) q.last_rx_tsc = rte_get_tsc_cycles();
  while (!stop_requested()) {
    uint16_t n = 0;
    if (poll_queues(d.queues, m, n)) break;
    if (n == 0) {
      backoff(idle_rounds);
      continue;
    }
    idle_rounds = 0;
    d.packets.add(n);
    const uint64_t wall = tsc_wall_ns(rte_get_tsc_cycles());
    for (uint16_t i = 0; i < n; ++i) {
      // The worker reads ns from the ring's mbufs, whatever the port.
      mbuf_ts(m[i]) = port_mbuf_time_ns(m[i], wall);
      d.out.add(d.chooser.pick(rte_pktmbuf_mtod(m[i], const uint8_t*), m[i]->data_len), m[i]);
    }
    d.out.flush();
  }
  g_input_done.store(true, std::memory_order_release);
  d.done.store(true, std::memory_order_release);
  return 0;
}

// Copies one frame into `m` (and, for frames above the data room, into
// chained segments) with its timestamp in ns.
void fill_mbuf(Reader& r, rte_mbuf* m, const CapturePacket& p) {
  uint32_t copied = std::min<uint32_t>(p.caplen, rte_pktmbuf_tailroom(m));
  std::memcpy(rte_pktmbuf_mtod(m, uint8_t*), p.data, copied);
  m->data_len = static_cast<uint16_t>(copied);
  mbuf_ts(m) = p.ts_ns;
  m->ol_flags |= ts_dynflag;
  rte_mbuf* last = m;
  while (copied < p.caplen) {
    rte_mbuf* seg;
    while ((seg = rte_pktmbuf_alloc(r.pool)) == nullptr) {
      // Only jumbo frames get here: let the workers have (and free) what
      // this burst holds so far.
      r.mbuf_waits.add();
      r.out.flush();
      rte_pause();
    }
    const uint32_t part = std::min<uint32_t>(p.caplen - copied, rte_pktmbuf_tailroom(seg));
    std::memcpy(rte_pktmbuf_mtod(seg, uint8_t*), p.data + copied, part);
    seg->data_len = static_cast<uint16_t>(part);
    last->next = seg;
    last = seg;
    ++m->nb_segs;
    copied += part;
  }
  m->pkt_len = p.caplen;
}

int reader_main(void* arg) {
  Reader& r = *static_cast<Reader*>(arg);
  rte_mbuf* m[kBurst];
  unsigned idle_rounds = 0;
  bool more = true;
  while (more && !stop_requested()) {
    if (rte_pktmbuf_alloc_bulk(r.pool, m, kBurst) != 0) {
      r.mbuf_waits.add();
      backoff(idle_rounds);
      continue;
    }
    unsigned n = 0;
    CapturePacket p;
    while (n < kBurst) {
      if (!r.merger->next(p)) {
        more = false;
        break;
      }
      fill_mbuf(r, m[n], p);
      r.out.add(r.chooser.pick(p.data, m[n]->data_len), m[n]);
      ++n;
    }
    if (n < kBurst) rte_pktmbuf_free_bulk(m + n, kBurst - n);
    r.out.flush();
  }
  g_input_done.store(true, std::memory_order_release);
  r.done.store(true, std::memory_order_release);
  return 0;
}

// ---------------------------------------------------------------- set-up

// DPDK's log during start-up goes to memory: a failure then gives one line
// that quotes what DPDK said; after a good start it goes to stderr.
class DpdkLog {
 public:
  void capture() {
    f_ = open_memstream(&buf_, &len_);
    if (f_ != nullptr) rte_openlog_stream(f_);
  }
  // The last few lines DPDK logged, joined with "; ".
  std::string last_lines() {
    if (f_ == nullptr) return {};
    std::fflush(f_);
    std::vector<std::string> lines;
    std::string cur;
    for (std::size_t i = 0; i < len_; ++i) {
      if (buf_[i] == '\n') {
        if (!cur.empty()) lines.push_back(cur);
        cur.clear();
      } else {
        cur += buf_[i];
      }
    }
    if (!cur.empty()) lines.push_back(cur);
    std::string out;
    for (std::size_t i = lines.size() > 3 ? lines.size() - 3 : 0; i < lines.size(); ++i)
      out += (out.empty() ? "" : "; ") + lines[i];
    return out;
  }
  // Back to DPDK's own stream; what was logged so far is written to stderr.
  void release() {
    if (f_ == nullptr) return;
    std::fflush(f_);
    rte_openlog_stream(nullptr);
    if (len_ > 0) std::fwrite(buf_, 1, len_, stderr);
    std::fclose(f_);
    std::free(buf_);
    f_ = nullptr;
    buf_ = nullptr;
    len_ = 0;
  }
  ~DpdkLog() {
    if (f_ != nullptr) {
      rte_openlog_stream(nullptr);
      std::fclose(f_);
      std::free(buf_);
    }
  }

 private:
  std::FILE* f_ = nullptr;
  char* buf_ = nullptr;
  std::size_t len_ = 0;
};

// DPDK needs root to map hugepages and open NICs; once ports run and the
// outputs are open, nothing else does. SIGHUP reopens files as this user.
void drop_privileges(const std::string& user) {
  if (geteuid() != 0) throw StartupError{fmt::format("--user {}: only root can change user", user)};
  errno = 0;
  const passwd* pw = getpwnam(user.c_str());
  if (pw == nullptr) throw StartupError{fmt::format("--user {}: no such user", user)};
  if (initgroups(pw->pw_name, pw->pw_gid) != 0 || setgid(pw->pw_gid) != 0 || setuid(pw->pw_uid) != 0)
    throw StartupError{fmt::format("--user {}: cannot switch: {}", user, std::strerror(errno))};
  if (setuid(0) == 0) throw StartupError{fmt::format("--user {}: root privileges could be regained", user)};
  fmt::print(stderr, "tunprobe: running as {} (uid {}, gid {})\n", user, pw->pw_uid, pw->pw_gid);
}

std::string port_name(const InputSpec& in, unsigned index) {
  switch (in.kind) {
    case InputKind::pcap: return {};
    case InputKind::af_packet: return fmt::format("net_af_packet_tp{}", index);
    case InputKind::dpdk: return in.arg;
    case InputKind::vdev: return in.arg.substr(0, in.arg.find(','));
  }
  return {};
}

// RX queues a port input gets: one per rx_pcap= file (net_pcap), one per
// worker for rss, else one.
uint16_t port_queues(const InputSpec& in, const RunConfig& cfg, Dispatch dispatch) {
  if (!in.pcap_files.empty()) return static_cast<uint16_t>(in.pcap_files.size());
  return dispatch == Dispatch::rss ? static_cast<uint16_t>(cfg.workers) : 1;
}

bool eal_memory_given(const std::string& extra) {
  return extra.find("-m ") != std::string::npos || extra.find("--socket-mem") != std::string::npos ||
         (extra.size() >= 2 && extra.compare(extra.size() - 2, 2, "-m") == 0);
}

std::vector<std::string> eal_arguments(const RunConfig& cfg, Dispatch dispatch, unsigned lcores,
                                       uint64_t memory_mb, std::vector<std::string>& notes) {
  std::vector<std::string> a{"tunprobe"};
  bool nic = false;
  for (const InputSpec& in : cfg.inputs) nic = nic || in.kind == InputKind::dpdk;
  if (!nic) {
    // Files, kernel interfaces and vdevs need no hugepages and no PCI scan
    // (DPDK-NOTES.md: --in-memory cannot be combined with --no-huge).
    a.insert(a.end(), {"--no-huge", "--no-pci", "--no-shconf"});
    if (memory_mb != 0) a.insert(a.end(), {"-m", std::to_string(memory_mb)});
  }
  unsigned index = 0;
  for (const InputSpec& in : cfg.inputs) {
    switch (in.kind) {
      case InputKind::pcap:
        break;  // read by tunprobe's reader, not a DPDK port
      case InputKind::af_packet:
        a.push_back("--vdev");
        a.push_back(fmt::format("net_af_packet_tp{},iface={},qpairs={}", index, in.arg,
                                dispatch == Dispatch::crc ? 1 : cfg.workers));
        break;
      case InputKind::dpdk:
        a.push_back("-a");
        a.push_back(in.arg);
        break;
      case InputKind::vdev:
        a.push_back("--vdev");
        a.push_back(in.arg);
        break;
    }
    ++index;
  }
  const std::vector<unsigned> cpus = allowed_cpus();
  std::string cpu_list;
  for (unsigned c : cpus) cpu_list += (cpu_list.empty() ? "" : ",") + std::to_string(c);
  if (lcores <= cpus.size()) {
    std::string l;
    for (unsigned i = 0; i < lcores; ++i) l += (l.empty() ? "" : ",") + std::to_string(cpus[i]);
    a.insert(a.end(), {"-l", l});
  } else {
    // More lcores than cores: let them float over the cores we may use.
    // Right for capture files and tests; on a live link the pollers then
    // share cores and the NIC drops what they cannot keep up with.
    a.insert(a.end(), {"--lcores", fmt::format("(0-{})@({})", lcores - 1, cpu_list)});
    const bool files_only = std::all_of(cfg.inputs.begin(), cfg.inputs.end(),
                                        [](const InputSpec& in) { return in.kind == InputKind::pcap; });
    if (!files_only)
      notes.push_back(fmt::format(
        "warning: {} lcores (workers, {}exporter) on {} cores: they share cores; fine for capture files, not for "
        "line rate",
        lcores, lcores > cfg.workers + 1 ? "dispatcher or reader, " : "", cpus.size()));
  }
  a.push_back("--log-level=error");
  // Extra EAL arguments, split on spaces.
  std::size_t pos = 0;
  const std::string& x = cfg.eal_extra;
  while (pos < x.size()) {
    const auto end = x.find(' ', pos);
    const std::string tok = x.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
    if (!tok.empty()) a.push_back(tok);
    if (end == std::string::npos) break;
    pos = end + 1;
  }
  return a;
}

// net_pcap vdevs: the end of a capture queue is known from its packet count.
uint64_t count_pcap_packets(const std::string& path, const std::string& input, std::vector<std::string>& notes) {
  PcapFile f(path);
  if (!f.ok()) throw StartupError{fmt::format("-i {}: {}", input, f.error())};
  if (f.link() != LinkType::ethernet)
    throw StartupError{fmt::format("-i {}: {} is not an Ethernet capture; DPDK's net_pcap delivers frames as "
                                   "Ethernet (use -i pcap:{} for other link types)",
                                   input, path, path)};
  uint64_t n = 0;
  const uint8_t* d;
  uint32_t l;
  uint64_t t;
  while (f.next(d, l, t)) ++n;
  // net_pcap stops at the same damaged record: what comes before it counts.
  if (!f.error().empty())
    notes.push_back(fmt::format("warning: -i {}: {} (after packet {}); the {} packets before it are read", input,
                                f.error(), n, n));
  return n;
}

// A port input, planned before its pool exists.
struct PortPlan {
  uint16_t port = 0;
  uint16_t queues = 1;
  uint16_t rx_desc = kRxDesc, tx_desc = 512;
  int socket = 0;  // of its pool
  rte_eth_conf conf{};
};

PortPlan plan_port(const InputSpec& in, unsigned index, const RunConfig& cfg, Dispatch dispatch) {
  PortPlan p;
  const std::string name = port_name(in, index);
  if (rte_eth_dev_get_port_by_name(name.c_str(), &p.port) != 0)
    throw StartupError{fmt::format("-i {}: no DPDK port named '{}' (is the driver available?)", in.text, name)};
  rte_eth_dev_info info{};
  if (int rc = rte_eth_dev_info_get(p.port, &info); rc != 0)
    throw StartupError{fmt::format("-i {}: cannot query the port: {}", in.text, rte_strerror(-rc))};
  p.queues = port_queues(in, cfg, dispatch);
  const bool file_queues = !in.pcap_files.empty();
  if (dispatch == Dispatch::rss) {
    if (file_queues) {
      // Capture files stand for queues a NIC filled: they must be pre-split
      // (tunprobe-split --dispatch rss) into one file per worker.
      if (p.queues != cfg.workers)
        throw StartupError{fmt::format(
            "-i {}: --dispatch rss with -w {} needs {} capture queues (one rx_pcap= per worker, pre-split with "
            "tunprobe-split --dispatch rss); this input has {}. Use --dispatch crc, or -i pcap:FILE",
            in.text, cfg.workers, cfg.workers, p.queues)};
    } else if (cfg.workers > 1) {
      if (info.max_rx_queues < cfg.workers)
        throw StartupError{fmt::format("-i {}: the port has at most {} RX queues; -w {} needs {} for --dispatch rss",
                                       in.text, info.max_rx_queues, cfg.workers, cfg.workers)};
      const uint64_t hf = info.flow_type_rss_offloads & (RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP);
      if (hf == 0 && in.kind != InputKind::af_packet)
        throw StartupError{fmt::format("-i {}: the port reports no RSS hash functions; use --dispatch crc", in.text)};
      if (hf != 0) {
        // The symmetric key keeps both directions of a flow on one queue.
        static hw::RssKey key;
        key = info.hash_key_size >= 52 ? hw::kSymmetricRssKey52 : hw::kSymmetricRssKey40;
        p.conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
        p.conf.rx_adv_conf.rss_conf.rss_key = key.bytes.data();
        p.conf.rx_adv_conf.rss_conf.rss_key_len = key.size;
        p.conf.rx_adv_conf.rss_conf.rss_hf = hf;
      }
    }
  }
  // net_pcap (22.11) stamps every mbuf (dynamic flag set) without
  // announcing the offload; drivers that announce it are asked for it.
  port_ts_mult[p.port] = static_cast<uint32_t>(timestamp_multiplier(info.driver_name));
  if (port_ts_mult[p.port] != 0 && (info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_TIMESTAMP))
    p.conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_TIMESTAMP;
  rte_eth_dev_adjust_nb_rx_tx_desc(p.port, &p.rx_desc, &p.tx_desc);
  const int s = rte_eth_dev_socket_id(p.port);
  p.socket = s == SOCKET_ID_ANY ? static_cast<int>(rte_socket_id()) : s;
  return p;
}

void start_port(const InputSpec& in, const PortPlan& p, rte_mempool* pool) {
  int rc = rte_eth_dev_configure(p.port, p.queues, 0, &p.conf);
  if (rc != 0) rc = rte_eth_dev_configure(p.port, p.queues, 1, &p.conf);  // some drivers insist on a TX queue
  if (rc != 0)
    throw StartupError{fmt::format("-i {}: cannot configure {} RX queues: {}", in.text, p.queues, rte_strerror(-rc))};
  for (uint16_t q = 0; q < p.queues; ++q) {
    rc = rte_eth_rx_queue_setup(p.port, q, p.rx_desc, static_cast<unsigned>(p.socket), nullptr, pool);
    if (rc != 0) throw StartupError{fmt::format("-i {}: cannot set up RX queue {}: {}", in.text, q, rte_strerror(-rc))};
  }
  rte_eth_dev_info info{};
  rte_eth_dev_info_get(p.port, &info);
  if (info.nb_tx_queues > 0) rte_eth_tx_queue_setup(p.port, 0, p.tx_desc, SOCKET_ID_ANY, nullptr);
  rc = rte_eth_dev_start(p.port);
  if (rc != 0) throw StartupError{fmt::format("-i {}: cannot start the port: {}", in.text, rte_strerror(-rc))};
  // A SPAN port carries other hosts' frames. Optional: -ENOTSUP is fine.
  rte_eth_promiscuous_enable(p.port);
}

// ---------------------------------------------------------------- mbuf pools

uint64_t mbuf_object_size() {
  rte_mempool_objsz sz{};
  return rte_mempool_calc_obj_size(sizeof(rte_mbuf) + RTE_MBUF_DEFAULT_BUF_SIZE, 0, &sz);
}

// What the lcores of a run hold besides the NIC descriptors.
MbufUsers run_mbuf_users(const RunConfig& cfg, bool rings, unsigned lcores) {
  MbufUsers u;
  u.rx_descriptors = kRxDesc;
  u.rings = rings ? cfg.workers : 0;
  u.ring_capacity = rings ? mbuf_ring_size(cfg.workers) - 1 : 0;  // a ring of size S holds S - 1
  u.lcores = lcores;
  u.cache_size = kMbufCache;
  u.pollers = lcores - cfg.workers - 1;  // the dispatcher or the reader
  u.workers = cfg.workers;
  u.burst = kBurst;
  return u;
}

void add_memhdr_len(rte_mempool*, void* opaque, rte_mempool_memhdr* hdr, unsigned) {
  *static_cast<uint64_t*>(opaque) += hdr->len;
}

rte_mempool* create_pool(int socket, const MbufDemand& d, PoolSummary& out) {
  const std::string name = fmt::format("tp_mbufs_s{}", socket);
  rte_mempool* pool = rte_pktmbuf_pool_create(name.c_str(), static_cast<unsigned>(d.total()), kMbufCache, 0,
                                              RTE_MBUF_DEFAULT_BUF_SIZE, socket);
  if (pool == nullptr)
    throw StartupError{fmt::format(
        "cannot create the mbuf pool of {} mbufs on socket {}: {} (more EAL memory: --eal '-m MB')", d.total(), socket,
        rte_strerror(rte_errno))};
  out.socket = socket;
  out.mbufs = d.total();
  out.demand = d;
  rte_mempool_mem_iter(pool, add_memhdr_len, &out.bytes);
  return pool;
}

}  // namespace

// ---------------------------------------------------------------- the run

RunSummary run_engine(const RunConfig& cfg) {
  RunSummary sum;
  // Before anything starts: a signal during start-up ends the run cleanly
  // (workers see the flag at once) instead of killing a half-started probe.
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  std::signal(SIGHUP, on_hangup);

  // ---- Everything that can be checked before DPDK starts is checked here.
  bool files = false, ports_in = false;
  for (const InputSpec& in : cfg.inputs) (in.kind == InputKind::pcap ? files : ports_in) = true;
  if (files && ports_in) {
    const InputSpec* f = nullptr;
    const InputSpec* p = nullptr;
    for (const InputSpec& in : cfg.inputs) {
      if (in.kind == InputKind::pcap && f == nullptr) f = &in;
      if (in.kind != InputKind::pcap && p == nullptr) p = &in;
    }
    throw StartupError{fmt::format(
        "-i {}: capture files (pcap:) cannot be combined with ports (-i {}) in one run; run them separately",
        f->text, p->text)};
  }
  Dispatch dispatch = cfg.dispatch;
  if (dispatch == Dispatch::auto_) {
    dispatch = files && cfg.workers > 1 ? Dispatch::crc : Dispatch::rss;
    if (!files && cfg.workers > 1)
      for (const InputSpec& in : cfg.inputs)
        if (!in.pcap_files.empty() && in.pcap_files.size() != cfg.workers) dispatch = Dispatch::crc;
  }
  if (dispatch == Dispatch::crc) {
    if (std::string err = hw::check_channel_count(cfg.workers); !err.empty())
      throw StartupError{fmt::format("-w {}: {}", cfg.workers, err)};
  } else if (files) {
    if (std::string err = hw::check_rss_config(cfg.workers, kRssRetaSize); !err.empty())
      throw StartupError{fmt::format("-w {}: {}", cfg.workers, err)};
  }
  sum.dispatch = dispatch == Dispatch::crc ? "crc" : "rss";
  // Lines for stderr once the run has started (an error instead is one line).
  std::vector<std::string> notes;
  CapturePlan plan;
  if (files)
    if (std::string err = plan_captures(cfg.inputs, plan); !err.empty()) throw StartupError{err};
  notes.insert(notes.end(), plan.messages.begin(), plan.messages.end());
  std::vector<std::vector<uint64_t>> expected(cfg.inputs.size());
  for (std::size_t i = 0; i < cfg.inputs.size(); ++i)
    for (const std::string& f : cfg.inputs[i].pcap_files)
      expected[i].push_back(count_pcap_packets(f, cfg.inputs[i].text, notes));
  std::vector<std::unique_ptr<FlowOutput>> outputs;
  for (const OutputSpec& o : cfg.outputs) outputs.push_back(make_output(o, cfg.decode));

  // ---- EAL, sized for the run.
  const bool rings = files || dispatch == Dispatch::crc;
  const unsigned lcores = cfg.workers + (rings ? 1 : 0) + 1;
  const MbufUsers users = run_mbuf_users(cfg, rings, lcores);
  uint64_t memory_mb = 0;
  const bool nic = std::any_of(cfg.inputs.begin(), cfg.inputs.end(),
                               [](const InputSpec& in) { return in.kind == InputKind::dpdk; });
  if (!nic && !eal_memory_given(cfg.eal_extra)) {
    // Without hugepages everything is on one socket: one pool.
    MbufUsers u = users;
    for (const InputSpec& in : cfg.inputs)
      if (in.kind != InputKind::pcap) u.rx_queues += port_queues(in, cfg, dispatch);
    const uint64_t pool = pool_object_bytes(mbuf_demand(u).total(), mbuf_object_size(),
                                            static_cast<uint64_t>(sysconf(_SC_PAGESIZE)));
    const uint64_t ring_bytes = uint64_t{cfg.workers} * (kRecordRingSize * sizeof(FlowRecord) +
                                                          (rings ? mbuf_ring_size(cfg.workers) * sizeof(void*) : 0));
    memory_mb = eal_memory_mb(pool, ring_bytes, kEalFixedBytes + kEalPerPoolBytes + u.rx_queues * kEalPerQueueBytes);
  }
  sum.eal_memory_mb = memory_mb;
  std::vector<std::string> args = eal_arguments(cfg, dispatch, lcores, memory_mb, notes);
  std::vector<char*> argv;
  for (std::string& s : args) argv.push_back(s.data());
  argv.push_back(nullptr);
  DpdkLog dpdk_log;
  dpdk_log.capture();
  {
    // EAL prints its usage on stdout (maybe the JSON output), getopt and
    // EAL's alerts go to stderr, besides the log: the error line below says
    // what went wrong, once. After a good start stderr gets what was said.
    std::fflush(stdout);
    std::fflush(stderr);
    const int saved_out = dup(STDOUT_FILENO), saved_err = dup(STDERR_FILENO);
    const int devnull = open("/dev/null", O_WRONLY);
    std::FILE* err_text = std::tmpfile();
    if (saved_out >= 0 && devnull >= 0) dup2(devnull, STDOUT_FILENO);
    if (saved_err >= 0 && err_text != nullptr) dup2(fileno(err_text), STDERR_FILENO);
    if (devnull >= 0) close(devnull);
    opterr = 0;
    const int rc = rte_eal_init(static_cast<int>(args.size()), argv.data());
    const int err = rte_errno;
    std::fflush(stdout);
    std::fflush(stderr);
    if (saved_out >= 0) {
      dup2(saved_out, STDOUT_FILENO);
      close(saved_out);
    }
    if (saved_err >= 0) {
      dup2(saved_err, STDERR_FILENO);
      close(saved_err);
    }
    std::string said_on_stderr;
    if (err_text != nullptr) {
      std::rewind(err_text);
      char buf[4096];
      std::size_t got;
      while ((got = std::fread(buf, 1, sizeof buf, err_text)) > 0) said_on_stderr.append(buf, got);
      std::fclose(err_text);
    }
    if (rc < 0) {
      std::string said = dpdk_log.last_lines();
      if (said.empty()) {
        for (char& c : said_on_stderr)
          if (c == '\n') c = ' ';
        said = said_on_stderr;
      }
      throw StartupError{fmt::format("DPDK initialisation failed: {} ({}EAL arguments: {})", rte_strerror(err),
                                     said.empty() ? "" : said + "; ", fmt::join(args.begin() + 1, args.end(), " "))};
    }
    std::fputs(said_on_stderr.c_str(), stderr);
  }

  std::vector<std::unique_ptr<Worker>> workers;
  std::vector<PortPlan> ports;
  std::map<int, rte_mempool*> pools;
  std::vector<std::unique_ptr<KernelDropCounter>> kernel_drops(cfg.inputs.size());
  Dispatcher disp;
  Reader reader;
  std::unique_ptr<CaptureMerger> merger;
  try {
    if (rte_lcore_count() < lcores)
      throw StartupError{fmt::format("need {} lcores (workers + {}main), EAL has {}", lcores,
                                     rings ? (files ? "reader + " : "dispatcher + ") : "", rte_lcore_count())};
    tsc_hz = rte_get_tsc_hz();
    tsc_base = rte_get_tsc_cycles();
    timespec now{};
    clock_gettime(CLOCK_REALTIME, &now);
    wall_base_ns = static_cast<uint64_t>(now.tv_sec) * 1'000'000'000u + static_cast<uint64_t>(now.tv_nsec);
    if (int rc = rte_mbuf_dyn_rx_timestamp_register(&ts_dynfield, &ts_dynflag); rc != 0)
      throw StartupError{fmt::format("cannot register the mbuf timestamp field: {}", rte_strerror(rte_errno))};

    // Lcores: workers first, then the dispatcher or reader; the main lcore exports.
    unsigned next = rte_get_next_lcore(-1, 1, 0);
    for (unsigned w = 0; w < cfg.workers; ++w) {
      auto wk = std::make_unique<Worker>();
      wk->id = w;
      wk->lcore = next;
      next = rte_get_next_lcore(next, 1, 0);
      workers.push_back(std::move(wk));
    }
    disp.lcore = reader.lcore = next;

    // Ports, and a pool for each socket with ports; the reader's pool on its socket.
    for (std::size_t i = 0; i < cfg.inputs.size(); ++i)
      if (cfg.inputs[i].kind != InputKind::pcap)
        ports.push_back(plan_port(cfg.inputs[i], static_cast<unsigned>(i), cfg, dispatch));
    std::map<int, MbufDemand> socket_demand;
    for (const PortPlan& p : ports) {
      MbufDemand& d = socket_demand.try_emplace(p.socket, mbuf_demand(users)).first->second;
      d.rx_descriptors += uint64_t{p.queues} * p.rx_desc;
    }
    if (files) socket_demand.try_emplace(static_cast<int>(rte_lcore_to_socket_id(reader.lcore)), mbuf_demand(users));
    for (const auto& [socket, demand] : socket_demand) {
      PoolSummary ps;
      pools[socket] = create_pool(socket, demand, ps);
      sum.pools.push_back(ps);
    }
    std::size_t pi = 0;
    for (std::size_t i = 0; i < cfg.inputs.size(); ++i) {
      if (cfg.inputs[i].kind == InputKind::pcap) continue;
      start_port(cfg.inputs[i], ports[pi], pools[ports[pi].socket]);
      ++pi;
      // af_packet ports: the kernel's drops, which the driver does not count.
      if (cfg.inputs[i].kind == InputKind::af_packet) {
        kernel_drops[i] = std::make_unique<KernelDropCounter>(cfg.inputs[i].arg);
        kernel_drops[i]->start();
      }
    }

    // Workers, their rings and pipelines.
    PipelineConfig pc;
    pc.decode = cfg.decode;
    pc.link = files ? plan.link : LinkType::ethernet;
    pc.cache.capacity = cfg.cache_size / cfg.workers;
    pc.cache.active_timeout_ms = cfg.active_timeout_s * 1000;
    pc.cache.inactive_timeout_ms = cfg.inactive_timeout_s * 1000;
    pc.cache.tcp_end_grace_ms = cfg.tcp_end_grace_ms;
    g_worker_count = cfg.workers;
    std::vector<rte_ring*> in_rings;
    for (auto& wk : workers) {
      const unsigned w = wk->id;
      wk->out = rte_ring_create_elem(fmt::format("tp_rec{}", w).c_str(), sizeof(FlowRecord), kRecordRingSize,
                                     SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
      if (wk->out == nullptr) throw StartupError{fmt::format("cannot create a record ring: {}", rte_strerror(rte_errno))};
      if (rings) {
        wk->in = rte_ring_create(fmt::format("tp_in{}", w).c_str(), mbuf_ring_size(cfg.workers), SOCKET_ID_ANY,
                                 RING_F_SP_ENQ | RING_F_SC_DEQ);
        if (wk->in == nullptr) throw StartupError{fmt::format("cannot create a worker ring: {}", rte_strerror(rte_errno))};
        in_rings.push_back(wk->in);
      }
      wk->sink = std::make_unique<RecordSink>(&record_flush, wk.get());
      wk->pipeline = std::make_unique<Pipeline>(pc, static_cast<uint8_t>(w), *wk->sink);
    }
    Chooser chooser;
    chooser.dispatch = dispatch;
    chooser.workers = cfg.workers;
    chooser.link = pc.link;
    chooser.decode = cfg.decode;
    chooser.rss.key = &hw::kSymmetricRssKey40;
    chooser.rss.reta = hw::default_reta(static_cast<uint16_t>(cfg.workers), kRssRetaSize);
    if (files) {
      merger = std::make_unique<CaptureMerger>(
          plan, [](const std::string& line) { fmt::print(stderr, "tunprobe: warning: {}\n", line); });
      reader.merger = merger.get();
      reader.pool = pools.begin()->second;
      reader.chooser = chooser;
      reader.out.init(in_rings);
    } else {
      disp.chooser = chooser;
      disp.out.init(in_rings);
      pi = 0;
      for (std::size_t i = 0; i < cfg.inputs.size(); ++i) {
        if (cfg.inputs[i].kind == InputKind::pcap) continue;
        const bool is_file = !cfg.inputs[i].pcap_files.empty();
        for (uint16_t q = 0; q < ports[pi].queues; ++q) {
          QueueRef ref{ports[pi].port, q, is_file, is_file ? expected[i][q] : 0};
          if (dispatch == Dispatch::crc)
            disp.queues.q.push_back(ref);
          else
            workers[q % cfg.workers]->queues.q.push_back(ref);
        }
        ++pi;
      }
      for (auto& w : workers) w->live = dispatch == Dispatch::crc ? disp.queues.live() : w->queues.live();
    }
    if (!cfg.user.empty()) drop_privileges(cfg.user);
  } catch (StartupError& e) {
    if (std::string said = dpdk_log.last_lines(); !said.empty()) e.message += " (DPDK: " + said + ")";
    throw;
  }

  // ---- Started: what start-up had to say, then the lcores.
  dpdk_log.release();
  for (const std::string& n : notes) fmt::print(stderr, "tunprobe: {}\n", n);
  std::string map;
  for (auto& w : workers) {
    if (files) {
      map += fmt::format(" w{}@lcore{}<-reader", w->id, w->lcore);
    } else if (dispatch == Dispatch::crc) {
      map += fmt::format(" w{}@lcore{}<-crc", w->id, w->lcore);
    } else {
      map += fmt::format(" w{}@lcore{}<-", w->id, w->lcore);
      for (const QueueRef& q : w->queues.q) map += fmt::format("p{}q{} ", q.port, q.queue);
    }
  }
  if (files)
    map += fmt::format(" reader@lcore{}<-{} capture file(s) of {} input(s)", reader.lcore, plan.files.size(),
                       plan.inputs.size());
  else if (dispatch == Dispatch::crc)
    map += fmt::format(" dispatcher@lcore{}<-all queues", disp.lcore);
  fmt::print(stderr, "tunprobe: dispatch {}, {} worker(s):{}\n", sum.dispatch, cfg.workers, map);

  const uint64_t t0 = rte_get_tsc_cycles();
  for (auto& w : workers) rte_eal_remote_launch(rings ? worker_ring_main : worker_rss_main, w.get(), w->lcore);
  if (files)
    rte_eal_remote_launch(reader_main, &reader, reader.lcore);
  else if (dispatch == Dispatch::crc)
    rte_eal_remote_launch(dispatcher_main, &disp, disp.lcore);

  // ---- The exporter loop: drain every worker's ring into the outputs.
  std::vector<FlowRecord> batch(64);
  uint64_t last_stats = t0;
  uint64_t last_packets = 0;
  for (;;) {
    bool all_done = true;
    for (auto& w : workers) all_done = all_done && w->done.load(std::memory_order_acquire);
    unsigned got = 0;
    for (auto& w : workers) {
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
    if (g_reopen.exchange(false, std::memory_order_relaxed)) {
      for (auto& o : outputs) o->reopen();
      fmt::print(stderr, "tunprobe: SIGHUP: output files reopened\n");
    }
    if (cfg.stats_interval_s > 0) {
      // Progress, also under full load (checked every loop, not only when idle).
      const uint64_t t = rte_get_tsc_cycles();
      const double dt = static_cast<double>(t - last_stats) / static_cast<double>(tsc_hz);
      if (dt >= cfg.stats_interval_s) {
        uint64_t pk = 0, flows = 0, drops = 0, evictions = 0, live = 0;
        for (auto& w : workers) {
          const WorkerCounters& c = w->pipeline->counters();
          pk += c.packets.get();
          flows += c.flows_exported.get();
          drops += c.packets.get() - c.flow_packets.get();
          evictions += c.evictions.get();
          live += c.live_flows.get();
        }
        uint64_t missed = 0;
        for (const PortPlan& ps : ports) {
          rte_eth_stats st{};
          if (rte_eth_stats_get(ps.port, &st) == 0) missed += st.imissed;
        }
        for (auto& k : kernel_drops)
          if (k) {
            k->poll();
            missed += k->drops().socket_drops;
          }
        const double pps = static_cast<double>(pk - last_packets) / dt;
        const double elapsed = static_cast<double>(t - t0) / static_cast<double>(tsc_hz);
        fmt::print(stderr,
                   "tunprobe: {:.1f} s: {:.0f} packets/s, {} packets, {} flows live, {} exported, {} dropped by "
                   "verdict, {} missed by the ports, {} evictions\n",
                   elapsed, pps, pk, live, flows, drops, missed, evictions);
        if (!cfg.stats_json.empty()) {
          // For monitoring systems: replaced atomically; the final summary
          // overwrites it at exit.
          const std::string tmp = cfg.stats_json + ".tmp";
          if (std::FILE* f = std::fopen(tmp.c_str(), "w")) {
            fmt::print(f,
                       "{{\"running\":true,\"seconds\":{:.3f},\"packetsPerSecond\":{:.0f},\"packets\":{},"
                       "\"liveFlows\":{},\"flows\":{},\"droppedPackets\":{},\"missedPackets\":{},"
                       "\"cacheEvictions\":{}}}\n",
                       elapsed, pps, pk, live, flows, drops, missed, evictions);
            std::fclose(f);
            std::rename(tmp.c_str(), cfg.stats_json.c_str());
          }
        }
        last_stats = t;
        last_packets = pk;
      }
    }
    if (got == 0) {
      for (auto& o : outputs) o->flush();
      usleep(200);
    }
  }
  rte_eal_mp_wait_lcore();
  for (auto& o : outputs) o->flush();
  // Outputs finish (a TCP exporter waits, bounded, for its collector) and
  // report what they delivered.
  for (auto& o : outputs) {
    o->close();
    sum.outputs.push_back(o->summary());
  }
  sum.seconds = static_cast<double>(rte_get_tsc_cycles() - t0) / static_cast<double>(tsc_hz);
  sum.interrupted = stop_requested();

  // ---- The summary.
  for (auto& w : workers) {
    const WorkerCounters& c = w->pipeline->counters();
    sum.packets += c.packets.get();
    sum.bytes += c.bytes.get();
    sum.flow_packets += c.flow_packets.get();
    sum.flows += c.flows_exported.get();
    sum.evictions += c.evictions.get();
    sum.expired_on_full += c.expired_on_full.get();
    sum.time_backwards += c.time_backwards.get();
    sum.frag_orphans += c.frag_orphans.get();
    sum.ring_stalls += c.ring_stalls.get();
    for (std::size_t v = 0; v < kVerdictCount; ++v) sum.verdicts[v] += c.verdicts[v].get();
    sum.workers.push_back({c.packets.get(), c.flows_exported.get()});
  }
  sum.dispatch_stalls = files ? reader.out.stalls.get() : disp.out.stalls.get();
  sum.dropped = sum.packets - sum.flow_packets;
  if (files) {
    sum.max_open_files = merger->max_open_files();
    merger.reset();  // closes what an interrupted run left open
    sum.inputs = plan.inputs;
    sum.reader_mbuf_waits = reader.mbuf_waits.get();
  }
  std::size_t pi = 0;
  for (std::size_t i = 0; i < cfg.inputs.size(); ++i) {
    if (cfg.inputs[i].kind == InputKind::pcap) continue;
    const PortPlan& pp = ports[pi++];
    PortSummary ps;
    ps.input = cfg.inputs[i].text;
    ps.port = pp.port;
    ps.queues = pp.queues;
    ps.is_file = !cfg.inputs[i].pcap_files.empty();
    for (uint64_t e : expected[i]) ps.expected += e;
    rte_eth_stats st{};
    if (rte_eth_stats_get(pp.port, &st) == 0) {
      ps.ipackets = st.ipackets;
      ps.imissed = st.imissed;
      ps.ierrors = st.ierrors;
      ps.rx_nombuf = st.rx_nombuf;
    }
    if (kernel_drops[i]) {
      kernel_drops[i]->poll();
      ps.kernel = true;
      ps.kernel_socket_drops = kernel_drops[i]->drops().socket_drops;
      ps.kernel_interface_drops = kernel_drops[i]->drops().interface_drops;
      ps.imissed += ps.kernel_socket_drops;
    }
    rte_eth_dev_stop(pp.port);
    rte_eth_dev_close(pp.port);
    sum.ports.push_back(ps);
  }
  for (auto& w : workers) {
    rte_ring_free(w->out);
    if (w->in != nullptr) rte_ring_free(w->in);
  }
  outputs.clear();
  for (auto& [socket, pool] : pools) rte_mempool_free(pool);
  rte_eal_cleanup();
  return sum;
}

}  // namespace tunprobe
