#include "probe/engine.hpp"

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>
#include <rte_prefetch.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>
#include <grp.h>
#include <pwd.h>
#include <sched.h>
#include <time.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fmt/format.h>
#include <memory>

#include "hw/crc_dispatch.hpp"
#include "probe/cpus.hpp"
#include "hw/rss.hpp"
#include "probe/kernel_drops.hpp"
#include "probe/outputs.hpp"
#include "probe/pcap_file.hpp"
#include "probe/pipeline.hpp"

namespace tunprobe {

namespace {

constexpr uint16_t kBurst = 32;
constexpr unsigned kRecordRingSize = 16384;   // records per worker ring
constexpr unsigned kMbufRingSize = 4096;      // crc: mbufs per worker ring
constexpr unsigned kMbufs = 16383;
constexpr unsigned kMbufCache = 256;
constexpr uint16_t kRxDesc = 1024;
// A capture-file queue that delivers nothing for this long has ended short
// of the packets counted in its file (counted as pcap_missing).
constexpr double kFileIdleGiveUpS = 3.0;

std::atomic<bool> g_stop{false};
std::atomic<int> g_signals{0};
std::atomic<bool> g_reopen{false};

void on_hangup(int) { g_reopen.store(true, std::memory_order_relaxed); }

void on_signal(int) {
  // A second Ctrl-C exits at once, without flushing.
  if (g_signals.fetch_add(1) >= 1) _exit(130);
  g_stop.store(true, std::memory_order_relaxed);
}

bool stop_requested() { return g_stop.load(std::memory_order_relaxed); }

int ts_dynfield = -1;
uint64_t ts_dynflag = 0;
uint64_t wall_base_ns = 0;
uint64_t tsc_base = 0;
uint64_t tsc_hz = 1;

// Packet time for ports that give none: the wall clock, through the TSC.
uint64_t tsc_wall_ns() {
  const uint64_t d = rte_get_tsc_cycles() - tsc_base;
  return wall_base_ns + static_cast<uint64_t>(static_cast<double>(d) * 1e9 / static_cast<double>(tsc_hz));
}

// The mbuf timestamp's unit is the driver's own (rte_mbuf_dyn.h: "not
// normalized"). Ports whose unit is known get a multiplier to ns; the rest
// (0) are timed by the TSC. net_pcap stores tv_sec * 10^6 + tv_usec.
std::array<uint32_t, RTE_MAX_ETHPORTS> port_ts_mult{};

uint64_t timestamp_multiplier(const char* driver) {
  return std::strcmp(driver, "net_pcap") == 0 ? 1000 : 0;
}

// `burst_wall_ns`: the TSC time taken once per burst, for mbufs that carry
// no usable timestamp.
uint64_t mbuf_time_ns(const rte_mbuf* m, uint64_t burst_wall_ns) {
  const uint32_t mult = port_ts_mult[m->port];
  if (mult != 0 && ts_dynfield >= 0 && (m->ol_flags & ts_dynflag) != 0)
    return *RTE_MBUF_DYNFIELD(m, ts_dynfield, const uint64_t*) * mult;
  return burst_wall_ns;
}

struct QueueRef {
  uint16_t port;
  uint16_t queue;
  bool is_file;
  uint64_t expected;   // packets in the file (is_file)
  uint64_t received = 0;
  uint64_t last_rx_tsc = 0;
  bool finished = false;
};

void record_flush(void* ctx, const FlowRecord* recs, unsigned n);

struct alignas(64) Worker {
  unsigned id = 0;
  unsigned lcore = 0;
  std::vector<QueueRef> queues;       // rss
  rte_ring* in = nullptr;             // crc
  rte_ring* out = nullptr;
  Counter* stalls = nullptr;
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

struct alignas(64) Dispatcher {
  unsigned lcore = 0;
  std::vector<QueueRef> queues;
  std::vector<rte_ring*> rings;
  DecodeConfig decode;
  Counter packets;
  Counter stalls;
  std::atomic<bool> done{false};
};

std::atomic<bool> g_input_done{false};

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

void process_mbufs(Worker& w, rte_mbuf** m, uint16_t n) {
  const uint8_t* data[kBurst];
  uint32_t len[kBurst];
  uint64_t ts[kBurst];
  // The mbuf headers come from another core (the NIC's writes, or the crc
  // dispatcher): fetch them all before reading any.
  for (uint16_t i = 0; i < n; ++i) rte_prefetch0(m[i]);
  const uint64_t wall = tsc_wall_ns();
  for (uint16_t i = 0; i < n; ++i) {
    data[i] = rte_pktmbuf_mtod(m[i], const uint8_t*);
    len[i] = m[i]->data_len;
    ts[i] = mbuf_time_ns(m[i], wall);
  }
  w.pipeline->process_burst(data, len, ts, n);
  rte_pktmbuf_free_bulk(m, n);
}

// Polls its queues; returns true when every file queue has ended.
bool poll_queues(std::vector<QueueRef>& queues, rte_mbuf** m, uint16_t& n, QueueRef*& from) {
  bool all_finished = true;
  n = 0;
  for (QueueRef& q : queues) {
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
    from = &q;
    return false;
  }
  return all_finished;
}

void backoff(unsigned& idle_rounds) {
  // Several lcores may share a core (tests run 4 workers on 2 cores): an
  // idle poller yields now and then so that busy ones progress.
  if (++idle_rounds % 64 == 0) sched_yield();
  else rte_pause();
}

int worker_rss_main(void* arg) {
  Worker& w = *static_cast<Worker*>(arg);
  rte_mbuf* m[kBurst];
  unsigned idle_rounds = 0;
  bool live = false;
  for (const QueueRef& q : w.queues) live = live || !q.is_file;
  for (QueueRef& q : w.queues) q.last_rx_tsc = rte_get_tsc_cycles();
  while (!stop_requested()) {
    uint16_t n = 0;
    QueueRef* from = nullptr;
    if (poll_queues(w.queues, m, n, from)) break;
    if (n > 0) {
      process_mbufs(w, m, n);
      idle_rounds = 0;
    } else {
      if (live) w.pipeline->idle(tsc_wall_ns());
      backoff(idle_rounds);
    }
  }
  finish_worker(w);
  return 0;
}

int worker_crc_main(void* arg) {
  Worker& w = *static_cast<Worker*>(arg);
  rte_mbuf* m[kBurst];
  unsigned idle_rounds = 0;
  for (;;) {
    const unsigned n = rte_ring_sc_dequeue_burst(w.in, reinterpret_cast<void**>(m), kBurst, nullptr);
    if (n > 0) {
      process_mbufs(w, m, static_cast<uint16_t>(n));
      idle_rounds = 0;
      continue;
    }
    if (g_input_done.load(std::memory_order_acquire) && rte_ring_empty(w.in)) break;
    backoff(idle_rounds);
  }
  finish_worker(w);
  return 0;
}

int dispatcher_main(void* arg) {
  Dispatcher& d = *static_cast<Dispatcher*>(arg);
  const unsigned nw = static_cast<unsigned>(d.rings.size());
  rte_mbuf* m[kBurst];
  std::vector<std::array<rte_mbuf*, kBurst>> per(nw);
  std::vector<unsigned> count(nw);
  unsigned idle_rounds = 0;
  for (QueueRef& q : d.queues) q.last_rx_tsc = rte_get_tsc_cycles();
  while (!stop_requested()) {
    uint16_t n = 0;
    QueueRef* from = nullptr;
    if (poll_queues(d.queues, m, n, from)) break;
    if (n == 0) {
      backoff(idle_rounds);
      continue;
    }
    idle_rounds = 0;
    d.packets.add(n);
    std::fill(count.begin(), count.end(), 0);
    for (uint16_t i = 0; i < n; ++i) {
      PacketInfo info;
      parse_frame(rte_pktmbuf_mtod(m[i], const uint8_t*), m[i]->data_len, LinkType::ethernet, d.decode, info);
      const unsigned c = hw::crc_dispatch(info, nw);
      per[c][count[c]++] = m[i];
    }
    for (unsigned w = 0; w < nw; ++w) {
      unsigned sent = 0;
      while (sent < count[w]) {
        sent += rte_ring_sp_enqueue_burst(d.rings[w], reinterpret_cast<void* const*>(per[w].data() + sent),
                                          count[w] - sent, nullptr);
        if (sent < count[w]) {
          d.stalls.add();
          rte_pause();
        }
      }
    }
  }
  g_input_done.store(true, std::memory_order_release);
  d.done.store(true, std::memory_order_release);
  return 0;
}

// ---------------------------------------------------------------- set-up

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
    case InputKind::pcap: return fmt::format("net_pcap_tp{}", index);
    case InputKind::af_packet: return fmt::format("net_af_packet_tp{}", index);
    case InputKind::dpdk: return in.arg;
    case InputKind::vdev: return in.arg.substr(0, in.arg.find(','));
  }
  return {};
}

std::vector<std::string> eal_arguments(const RunConfig& cfg, unsigned lcores) {
  std::vector<std::string> a{"tunprobe"};
  bool nic = false;
  for (const InputSpec& in : cfg.inputs) nic = nic || in.kind == InputKind::dpdk;
  if (!nic) {
    // Files, kernel interfaces and vdevs need no hugepages and no PCI scan
    // (DPDK-NOTES.md: --in-memory cannot be combined with --no-huge).
    a.insert(a.end(), {"--no-huge", "--no-pci", "--no-shconf", "-m", "512"});
  }
  unsigned index = 0;
  for (const InputSpec& in : cfg.inputs) {
    switch (in.kind) {
      case InputKind::pcap:
        a.push_back("--vdev");
        a.push_back(fmt::format("net_pcap_tp{},rx_pcap={}", index, in.arg));
        break;
      case InputKind::af_packet:
        a.push_back("--vdev");
        a.push_back(fmt::format("net_af_packet_tp{},iface={},qpairs={}", index, in.arg,
                                cfg.dispatch == Dispatch::crc ? 1 : cfg.workers));
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
    fmt::print(stderr,
               "tunprobe: warning: {} lcores (workers, {}exporter) on {} cores: they share cores; fine for capture "
               "files, not for line rate\n",
               lcores, cfg.dispatch == Dispatch::crc || lcores > cfg.workers + 1 ? "dispatcher, " : "", cpus.size());
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

uint64_t count_pcap_packets(const std::string& path, const std::string& input) {
  PcapFile f(path);
  if (!f.ok()) throw StartupError{fmt::format("-i {}: {}", input, f.error())};
  if (f.link() != LinkType::ethernet)
    throw StartupError{fmt::format("-i {}: {} is not an Ethernet capture; DPDK's net_pcap delivers frames as "
                                   "Ethernet (use 'tunprobe decode' for other link types)",
                                   input, path)};
  uint64_t n = 0;
  const uint8_t* d;
  uint32_t l;
  uint64_t t;
  while (f.next(d, l, t)) ++n;
  // net_pcap stops at the same damaged record: what comes before it counts.
  if (!f.error().empty())
    fmt::print(stderr, "tunprobe: warning: -i {}: {} (after packet {}); the {} packets before it are read\n", input,
               f.error(), n, n);
  return n;
}

struct PortSetup {
  uint16_t port;
  uint16_t queues;
};

PortSetup setup_port(const InputSpec& in, unsigned index, const RunConfig& cfg, Dispatch dispatch,
                     rte_mempool* pool) {
  const std::string name = port_name(in, index);
  uint16_t port = 0;
  if (rte_eth_dev_get_port_by_name(name.c_str(), &port) != 0)
    throw StartupError{fmt::format("-i {}: no DPDK port named '{}' (is the driver available?)", in.text, name)};
  rte_eth_dev_info info{};
  if (int rc = rte_eth_dev_info_get(port, &info); rc != 0)
    throw StartupError{fmt::format("-i {}: cannot query the port: {}", in.text, rte_strerror(-rc))};

  uint16_t queues = 1;
  rte_eth_conf conf{};
  const bool file_queues = !in.pcap_files.empty();
  if (file_queues) queues = static_cast<uint16_t>(in.pcap_files.size());
  if (dispatch == Dispatch::rss) {
    if (file_queues) {
      // Capture files stand for queues a NIC filled: they must be pre-split
      // (tunprobe-split --dispatch rss) into one file per worker.
      if (queues != cfg.workers)
        throw StartupError{fmt::format(
            "-i {}: --dispatch rss with -w {} needs {} capture queues (one rx_pcap= per worker, pre-split with "
            "tunprobe-split --dispatch rss); this input has {}. Use --dispatch crc for a single file",
            in.text, cfg.workers, cfg.workers, queues)};
    } else if (cfg.workers > 1) {
      if (info.max_rx_queues < cfg.workers)
        throw StartupError{fmt::format("-i {}: the port has at most {} RX queues; -w {} needs {} for --dispatch rss",
                                       in.text, info.max_rx_queues, cfg.workers, cfg.workers)};
      const uint64_t hf = info.flow_type_rss_offloads & (RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP);
      if (hf == 0 && in.kind != InputKind::af_packet)
        throw StartupError{fmt::format(
            "-i {}: the port reports no RSS hash functions; use --dispatch crc", in.text)};
      queues = static_cast<uint16_t>(cfg.workers);
      if (hf != 0) {
        // The symmetric key keeps both directions of a flow on one queue.
        static hw::RssKey key;
        key = info.hash_key_size >= 52 ? hw::kSymmetricRssKey52 : hw::kSymmetricRssKey40;
        conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
        conf.rx_adv_conf.rss_conf.rss_key = key.bytes.data();
        conf.rx_adv_conf.rss_conf.rss_key_len = key.size;
        conf.rx_adv_conf.rss_conf.rss_hf = hf;
      }
    }
  }
  // net_pcap (22.11) stamps every mbuf (dynamic flag set) without
  // announcing the offload; drivers that announce it are asked for it.
  port_ts_mult[port] = static_cast<uint32_t>(timestamp_multiplier(info.driver_name));
  if (port_ts_mult[port] != 0 && (info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_TIMESTAMP))
    conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_TIMESTAMP;

  int rc = rte_eth_dev_configure(port, queues, 0, &conf);
  if (rc != 0) rc = rte_eth_dev_configure(port, queues, 1, &conf);  // some drivers insist on a TX queue
  if (rc != 0) throw StartupError{fmt::format("-i {}: cannot configure {} RX queues: {}", in.text, queues, rte_strerror(-rc))};
  uint16_t rx_desc = kRxDesc, tx_desc = 512;
  rte_eth_dev_adjust_nb_rx_tx_desc(port, &rx_desc, &tx_desc);
  for (uint16_t q = 0; q < queues; ++q) {
    rc = rte_eth_rx_queue_setup(port, q, rx_desc, static_cast<unsigned>(rte_eth_dev_socket_id(port)), nullptr, pool);
    if (rc != 0) throw StartupError{fmt::format("-i {}: cannot set up RX queue {}: {}", in.text, q, rte_strerror(-rc))};
  }
  rte_eth_dev_info_get(port, &info);
  if (info.nb_tx_queues > 0) rte_eth_tx_queue_setup(port, 0, tx_desc, SOCKET_ID_ANY, nullptr);
  rc = rte_eth_dev_start(port);
  if (rc != 0) throw StartupError{fmt::format("-i {}: cannot start the port: {}", in.text, rte_strerror(-rc))};
  // A SPAN port carries other hosts' frames. Optional: -ENOTSUP is fine.
  rte_eth_promiscuous_enable(port);
  return {port, queues};
}

}  // namespace

RunSummary run_engine(const RunConfig& cfg) {
  RunSummary sum;
  // Before anything starts: a signal during start-up ends the run cleanly
  // (workers see the flag at once) instead of killing a half-started probe.
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  std::signal(SIGHUP, on_hangup);

  // Everything that can be checked before DPDK starts is checked here.
  Dispatch dispatch = cfg.dispatch;
  if (dispatch == Dispatch::auto_) {
    dispatch = Dispatch::rss;
    if (cfg.workers > 1)
      for (const InputSpec& in : cfg.inputs)
        if (!in.pcap_files.empty() && in.pcap_files.size() != cfg.workers) dispatch = Dispatch::crc;
  }
  if (dispatch == Dispatch::crc) {
    if (std::string err = hw::check_channel_count(cfg.workers); !err.empty())
      throw StartupError{fmt::format("-w {}: {}", cfg.workers, err)};
  }
  sum.dispatch = dispatch == Dispatch::crc ? "crc" : "rss";
  std::vector<std::vector<uint64_t>> expected(cfg.inputs.size());
  for (std::size_t i = 0; i < cfg.inputs.size(); ++i)
    for (const std::string& f : cfg.inputs[i].pcap_files) expected[i].push_back(count_pcap_packets(f, cfg.inputs[i].text));
  std::vector<std::unique_ptr<FlowOutput>> outputs;
  for (const OutputSpec& o : cfg.outputs) outputs.push_back(make_output(o, cfg.decode));

  const unsigned lcores = cfg.workers + (dispatch == Dispatch::crc ? 1 : 0) + 1;
  std::vector<std::string> args = eal_arguments(cfg, lcores);
  std::vector<char*> argv;
  for (std::string& s : args) argv.push_back(s.data());
  argv.push_back(nullptr);
  if (rte_eal_init(static_cast<int>(args.size()), argv.data()) < 0)
    throw StartupError{fmt::format("DPDK initialisation failed: {} (EAL arguments: {})", rte_strerror(rte_errno),
                                   fmt::join(args.begin() + 1, args.end(), " "))};
  if (rte_lcore_count() < lcores)
    throw StartupError{fmt::format("need {} lcores (workers + {}main), EAL has {}", lcores,
                                   dispatch == Dispatch::crc ? "dispatcher + " : "", rte_lcore_count())};

  tsc_hz = rte_get_tsc_hz();
  tsc_base = rte_get_tsc_cycles();
  timespec now{};
  clock_gettime(CLOCK_REALTIME, &now);
  wall_base_ns = static_cast<uint64_t>(now.tv_sec) * 1'000'000'000u + static_cast<uint64_t>(now.tv_nsec);

  rte_mempool* pool = rte_pktmbuf_pool_create("tp_mbufs", kMbufs, kMbufCache, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
                                              static_cast<int>(rte_socket_id()));
  if (pool == nullptr) throw StartupError{fmt::format("cannot create the mbuf pool: {}", rte_strerror(rte_errno))};

  std::vector<PortSetup> ports;
  for (std::size_t i = 0; i < cfg.inputs.size(); ++i) ports.push_back(setup_port(cfg.inputs[i], static_cast<unsigned>(i), cfg, dispatch, pool));
  // af_packet ports: the kernel's drops, which the driver does not count.
  std::vector<std::unique_ptr<KernelDropCounter>> kernel_drops(cfg.inputs.size());
  for (std::size_t i = 0; i < cfg.inputs.size(); ++i)
    if (cfg.inputs[i].kind == InputKind::af_packet) {
      kernel_drops[i] = std::make_unique<KernelDropCounter>(cfg.inputs[i].arg);
      kernel_drops[i]->start();
    }
  ts_dynfield = rte_mbuf_dynfield_lookup(RTE_MBUF_DYNFIELD_TIMESTAMP_NAME, nullptr);
  const int flag_bit = rte_mbuf_dynflag_lookup(RTE_MBUF_DYNFLAG_RX_TIMESTAMP_NAME, nullptr);
  ts_dynflag = flag_bit >= 0 ? (uint64_t{1} << flag_bit) : 0;

  // Workers, their rings and pipelines.
  PipelineConfig pc;
  pc.decode = cfg.decode;
  pc.cache.capacity = cfg.cache_size / cfg.workers;
  pc.cache.active_timeout_ms = cfg.active_timeout_s * 1000;
  pc.cache.inactive_timeout_ms = cfg.inactive_timeout_s * 1000;
  pc.cache.tcp_end_grace_ms = cfg.tcp_end_grace_ms;
  std::vector<std::unique_ptr<Worker>> workers;
  g_worker_count = cfg.workers;
  for (unsigned w = 0; w < cfg.workers; ++w) {
    auto wk = std::make_unique<Worker>();
    wk->id = w;
    wk->out = rte_ring_create_elem(fmt::format("tp_rec{}", w).c_str(), sizeof(FlowRecord), kRecordRingSize,
                                   SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
    if (wk->out == nullptr) throw StartupError{fmt::format("cannot create a record ring: {}", rte_strerror(rte_errno))};
    if (dispatch == Dispatch::crc) {
      wk->in = rte_ring_create(fmt::format("tp_in{}", w).c_str(), kMbufRingSize, SOCKET_ID_ANY,
                               RING_F_SP_ENQ | RING_F_SC_DEQ);
      if (wk->in == nullptr) throw StartupError{fmt::format("cannot create a worker ring: {}", rte_strerror(rte_errno))};
    }
    wk->sink = std::make_unique<RecordSink>(&record_flush, wk.get());
    wk->pipeline = std::make_unique<Pipeline>(pc, static_cast<uint8_t>(w), *wk->sink);
    workers.push_back(std::move(wk));
  }
  Dispatcher disp;
  disp.decode = cfg.decode;
  for (std::size_t i = 0; i < ports.size(); ++i) {
    const bool is_file = !cfg.inputs[i].pcap_files.empty();
    for (uint16_t q = 0; q < ports[i].queues; ++q) {
      QueueRef ref{ports[i].port, q, is_file, is_file ? expected[i][q] : 0};
      if (dispatch == Dispatch::crc)
        disp.queues.push_back(ref);
      else
        workers[q % cfg.workers]->queues.push_back(ref);
    }
  }
  for (auto& w : workers) disp.rings.push_back(w->in);

  // Lcores: workers first, then the dispatcher; the main lcore exports.
  unsigned next = rte_get_next_lcore(-1, 1, 0);
  for (auto& w : workers) {
    w->lcore = next;
    next = rte_get_next_lcore(next, 1, 0);
  }
  disp.lcore = next;
  std::string map;
  for (auto& w : workers) {
    if (dispatch == Dispatch::crc) {
      map += fmt::format(" w{}@lcore{}<-crc", w->id, w->lcore);
    } else {
      map += fmt::format(" w{}@lcore{}<-", w->id, w->lcore);
      for (const QueueRef& q : w->queues) map += fmt::format("p{}q{} ", q.port, q.queue);
    }
  }
  if (dispatch == Dispatch::crc) map += fmt::format(" dispatcher@lcore{}<-all queues", disp.lcore);
  fmt::print(stderr, "tunprobe: dispatch {}, {} worker(s):{}\n", sum.dispatch, cfg.workers, map);

  if (!cfg.user.empty()) drop_privileges(cfg.user);
  const uint64_t t0 = rte_get_tsc_cycles();
  for (auto& w : workers)
    rte_eal_remote_launch(dispatch == Dispatch::crc ? worker_crc_main : worker_rss_main, w.get(), w->lcore);
  if (dispatch == Dispatch::crc) rte_eal_remote_launch(dispatcher_main, &disp, disp.lcore);

  // The exporter loop: drain every worker's ring into the outputs.
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
        for (const PortSetup& ps : ports) {
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
  sum.dispatch_stalls = disp.stalls.get();
  sum.dropped = sum.packets - sum.flow_packets;
  for (std::size_t i = 0; i < ports.size(); ++i) {
    PortSummary ps;
    ps.input = cfg.inputs[i].text;
    ps.port = ports[i].port;
    ps.queues = ports[i].queues;
    ps.is_file = !cfg.inputs[i].pcap_files.empty();
    for (uint64_t e : expected[i]) ps.expected += e;
    rte_eth_stats st{};
    if (rte_eth_stats_get(ports[i].port, &st) == 0) {
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
    rte_eth_dev_stop(ports[i].port);
    rte_eth_dev_close(ports[i].port);
    sum.ports.push_back(ps);
  }
  for (auto& w : workers) {
    rte_ring_free(w->out);
    if (w->in != nullptr) rte_ring_free(w->in);
  }
  outputs.clear();
  rte_mempool_free(pool);
  rte_eal_cleanup();
  return sum;
}

}  // namespace tunprobe
