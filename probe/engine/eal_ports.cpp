#include "probe/engine/eal_ports.hpp"

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_mbuf.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fmt/format.h>

#include "hw/rss.hpp"
#include "probe/base/cpus.hpp"
#include "probe/decode/pcap_file.hpp"
#include "probe/engine/lcores.hpp"

namespace tunprobe::engine {

namespace {

// DPDK's own memory in a run without hugepages, beside the pools' objects
// and the rings: EAL, ethdev and driver state; per pool its header (with a
// cache for each of RTE_MAX_LCORE lcores) and its ring; per RX queue the
// driver's state. Measured: a file run starts with 3 MB more, 16 net_null
// queues with 5 MB more; this leaves room for drivers that keep more.
constexpr uint64_t kEalFixedBytes = 8u << 20;
constexpr uint64_t kEalPerPoolBytes = 4u << 20;
constexpr uint64_t kEalPerQueueBytes = 256u << 10;

std::string port_name(const InputSpec& in, unsigned index) {
  switch (in.kind) {
    case InputKind::pcap: return {};
    case InputKind::af_packet: return fmt::format("net_af_packet_tp{}", index);
    case InputKind::dpdk: return in.arg;
    case InputKind::vdev: return in.arg.substr(0, in.arg.find(','));
  }
  return {};
}

bool eal_memory_given(const std::string& extra) {
  return extra.find("-m ") != std::string::npos || extra.find("--socket-mem") != std::string::npos ||
         (extra.size() >= 2 && extra.compare(extra.size() - 2, 2, "-m") == 0);
}

uint64_t mbuf_object_size() {
  rte_mempool_objsz sz{};
  return rte_mempool_calc_obj_size(sizeof(rte_mbuf) + RTE_MBUF_DEFAULT_BUF_SIZE, 0, &sz);
}

void add_memhdr_len(rte_mempool*, void* opaque, rte_mempool_memhdr* hdr, unsigned) {
  *static_cast<uint64_t*>(opaque) += hdr->len;
}

}  // namespace

// ---------------------------------------------------------------- DPDK's log

void DpdkLog::capture() {
  f_ = open_memstream(&buf_, &len_);
  if (f_ != nullptr) rte_openlog_stream(f_);
}

std::string DpdkLog::last_lines() {
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

void DpdkLog::release() {
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

DpdkLog::~DpdkLog() {
  if (f_ != nullptr) {
    rte_openlog_stream(nullptr);
    std::fclose(f_);
    std::free(buf_);
  }
}

// ---------------------------------------------------------------- EAL

uint16_t port_queues(const InputSpec& in, const RunConfig& cfg, Dispatch dispatch) {
  if (!in.pcap_files.empty()) return static_cast<uint16_t>(in.pcap_files.size());
  return dispatch == Dispatch::rss ? static_cast<uint16_t>(cfg.workers) : 1;
}

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

uint64_t eal_memory_for(const RunConfig& cfg, Dispatch dispatch, bool rings, const MbufUsers& users) {
  const bool nic = std::any_of(cfg.inputs.begin(), cfg.inputs.end(),
                               [](const InputSpec& in) { return in.kind == InputKind::dpdk; });
  if (nic || eal_memory_given(cfg.eal_extra)) return 0;
  // Without hugepages everything is on one socket: one pool.
  MbufUsers u = users;
  for (const InputSpec& in : cfg.inputs)
    if (in.kind != InputKind::pcap) u.rx_queues += port_queues(in, cfg, dispatch);
  const uint64_t pool = pool_object_bytes(mbuf_demand(u).total(), mbuf_object_size(),
                                          static_cast<uint64_t>(sysconf(_SC_PAGESIZE)));
  const uint64_t ring_bytes = uint64_t{cfg.workers} * (kRecordRingSize * sizeof(FlowRecord) +
                                                        (rings ? mbuf_ring_size(cfg.workers) * sizeof(void*) : 0));
  return eal_memory_mb(pool, ring_bytes, kEalFixedBytes + kEalPerPoolBytes + u.rx_queues * kEalPerQueueBytes);
}

std::vector<std::string> eal_arguments(const RunConfig& cfg, Dispatch dispatch, unsigned lcores,
                                       uint64_t memory_mb, std::vector<std::string>& notes) {
  std::vector<std::string> a{"tunprobe"};
  bool nic = false;
  for (const InputSpec& in : cfg.inputs) nic = nic || in.kind == InputKind::dpdk;
  if (!nic) {
    // Files, kernel interfaces and vdevs need no hugepages and no PCI scan.
    // Not --in-memory: DPDK 22.11 refuses it with --no-huge ("--legacy-mem
    // is not compatible with --in-memory"); --no-shconf writes no shared
    // runtime files instead, so that several runs (parallel tests) coexist.
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
  // (Not `"," + std::to_string(c)`: GCC 12 warns, wrongly, of an overlapping memcpy.)
  for (unsigned c : cpus) cpu_list += fmt::format("{}{}", cpu_list.empty() ? "" : ",", c);
  if (lcores <= cpus.size()) {
    std::string l;
    for (unsigned i = 0; i < lcores; ++i) l += fmt::format("{}{}", l.empty() ? "" : ",", cpus[i]);
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

void start_eal(std::vector<std::string>& args, DpdkLog& dpdk_log) {
  std::vector<char*> argv;
  for (std::string& s : args) argv.push_back(s.data());
  argv.push_back(nullptr);
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

// ---------------------------------------------------------------- ports

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
  if (set_port_timestamp_unit(p.port, info.driver_name) && (info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_TIMESTAMP))
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

uint64_t missed_packets(const std::vector<PortPlan>& ports,
                        const std::vector<std::unique_ptr<KernelDropCounter>>& kernel_drops) {
  uint64_t missed = 0;
  for (const PortPlan& ps : ports) {
    rte_eth_stats st{};
    if (rte_eth_stats_get(ps.port, &st) == 0) missed += st.imissed;
  }
  for (const auto& k : kernel_drops)
    if (k) {
      k->poll();
      missed += k->drops().socket_drops;
    }
  return missed;
}

void read_port_counters(const PortPlan& pp, KernelDropCounter* kernel, PortSummary& ps) {
  rte_eth_stats st{};
  if (rte_eth_stats_get(pp.port, &st) == 0) {
    ps.ipackets = st.ipackets;
    ps.imissed = st.imissed;
    ps.ierrors = st.ierrors;
    ps.rx_nombuf = st.rx_nombuf;
  }
  if (kernel != nullptr) {
    kernel->poll();
    ps.kernel = true;
    ps.kernel_socket_drops = kernel->drops().socket_drops;
    ps.kernel_interface_drops = kernel->drops().interface_drops;
    ps.imissed += ps.kernel_socket_drops;
  }
}

PortSummary stop_port(const InputSpec& in, const PortPlan& pp, const std::vector<uint64_t>& expected,
                      KernelDropCounter* kernel) {
  PortSummary ps;
  ps.input = in.text;
  ps.port = pp.port;
  ps.queues = pp.queues;
  ps.is_file = !in.pcap_files.empty();
  for (uint64_t e : expected) ps.expected += e;
  read_port_counters(pp, kernel, ps);
  rte_eth_dev_stop(pp.port);
  rte_eth_dev_close(pp.port);
  return ps;
}

// ---------------------------------------------------------------- pools and privileges

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

// DPDK needs root to map hugepages and open NICs; once the ports run,
// nothing else does: the outputs open after the drop, as this user.
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

}  // namespace tunprobe::engine
