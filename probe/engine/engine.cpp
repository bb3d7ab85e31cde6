// run_engine: `tunprobe run` as a sequence of phases, each a function
// below, in the order they run. The lcores' loops are in lcores.cpp, the
// exporter's in exporter_loop.cpp, the EAL, ports and pools in
// eal_ports.cpp.
#include "probe/engine/engine.hpp"

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mempool.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fmt/format.h>
#include <map>
#include <memory>

#include "hw/crc_dispatch.hpp"
#include "hw/rss.hpp"
#include "probe/engine/eal_ports.hpp"
#include "probe/engine/exporter_loop.hpp"
#include "probe/engine/kernel_drops.hpp"
#include "probe/engine/lcores.hpp"
#include "probe/engine/metrics.hpp"
#include "probe/engine/stats_json.hpp"
#include "probe/export/outputs.hpp"

namespace tunprobe {

namespace {

using namespace engine;

constexpr unsigned kRssRetaSize = 128;  // the RSS model's RETA (hw/rss.hpp: the default of DPDK PMDs)

// What the checks before DPDK decided about the run.
struct RunPlan {
  bool files = false;    // capture-file inputs (pcap:): a reader lcore feeds the workers
  Dispatch dispatch = Dispatch::rss;
  bool rings = false;    // workers read rings (files, or crc on ports), not ports
  unsigned lcores = 0;   // workers, the dispatcher or reader, the main lcore
  MbufUsers users;       // what holds mbufs besides the NIC descriptors
  CapturePlan captures;  // the files of the pcap: inputs, in time order
  // Per input, per net_pcap rx_pcap= queue: the packets in its file.
  std::vector<std::vector<uint64_t>> expected;
  // Lines for stderr once the run has started (an error instead is one line).
  std::vector<std::string> notes;
};

// What runs: the lcores' state, the ports and their pools. Torn down by
// collect_summary() and release().
struct Run {
  Workers workers;
  Dispatcher disp;
  Reader reader;
  std::unique_ptr<CaptureMerger> merger;
  std::vector<PortPlan> ports;  // the port inputs, in -i order
  std::map<int, rte_mempool*> pools;
  std::vector<std::unique_ptr<KernelDropCounter>> kernel_drops;  // per input; af_packet only
};

// Times the lcore that feeds the workers (the capture reader, or the crc
// dispatcher) found a worker's ring full.
uint64_t dispatch_waits(const RunPlan& plan, const Run& run) {
  return plan.files ? run.reader.out.stalls.get() : run.disp.out.stalls.get();
}

// ---- Phase 1: everything that can be checked before DPDK starts, so that
// a bad command line or input is one line and exit 2, with nothing started:
// inputs that do not mix, the dispatch and its worker count, the capture
// files (planned, and net_pcap's files counted).
RunPlan plan_run(const RunConfig& cfg) {
  RunPlan plan;
  bool ports_in = false;
  for (const InputSpec& in : cfg.inputs) (in.kind == InputKind::pcap ? plan.files : ports_in) = true;
  if (plan.files && ports_in) {
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
    dispatch = plan.files && cfg.workers > 1 ? Dispatch::crc : Dispatch::rss;
    // A port whose queues are not one per worker (also with one worker: a
    // vdev with two rx_pcap= files) cannot be polled queue-per-worker.
    if (!plan.files)
      for (const InputSpec& in : cfg.inputs)
        if (!in.pcap_files.empty() && in.pcap_files.size() != cfg.workers) dispatch = Dispatch::crc;
  }
  if (dispatch == Dispatch::crc) {
    if (std::string err = hw::check_channel_count(cfg.workers); !err.empty())
      throw StartupError{fmt::format("-w {}: {}", cfg.workers, err)};
  } else if (plan.files) {
    if (std::string err = hw::check_rss_config(cfg.workers, kRssRetaSize); !err.empty())
      throw StartupError{fmt::format("-w {}: {}", cfg.workers, err)};
  }
  plan.dispatch = dispatch;
  plan.rings = plan.files || dispatch == Dispatch::crc;
  plan.lcores = cfg.workers + (plan.rings ? 1 : 0) + 1;
  plan.users = run_mbuf_users(cfg, plan.rings, plan.lcores);
  if (plan.files)
    if (std::string err = plan_captures(cfg.inputs, plan.captures); !err.empty()) throw StartupError{err};
  plan.notes.insert(plan.notes.end(), plan.captures.messages.begin(), plan.captures.messages.end());
  plan.expected.resize(cfg.inputs.size());
  for (std::size_t i = 0; i < cfg.inputs.size(); ++i)
    for (const std::string& f : cfg.inputs[i].pcap_files)
      plan.expected[i].push_back(count_pcap_packets(f, cfg.inputs[i].text, plan.notes));
  return plan;
}

// ---- Phase 2: the outputs open before DPDK, so that a file that cannot be
// written or a host that does not resolve stops the run before the EAL
// takes memory and ports. With --user they open after the privilege drop
// instead (phase 5), as that user: the files it creates then (the first,
// the rotated ones, those SIGHUP reopens) are the user's, and a directory
// the user cannot write stops the run at start, not at the first rotation.
// --stats-json is checked the same way.
std::vector<std::unique_ptr<FlowOutput>> open_outputs(const RunConfig& cfg) {
  std::vector<std::unique_ptr<FlowOutput>> outputs;
  const auto as_user = [&cfg](const std::string& path) {
    if (cfg.user.empty()) return std::string{};
    const std::string where = directory_owner_note(path);
    return fmt::format(" (as user {} after the privilege drop{}{})", cfg.user, where.empty() ? "" : ": ", where);
  };
  // First, as it creates nothing: a run that stops leaves no empty output.
  if (!cfg.stats_json.empty())
    if (std::string err = stats_json_unwritable(cfg.stats_json); !err.empty())
      throw StartupError{fmt::format("--stats-json {}: {}{}", cfg.stats_json, err, as_user(cfg.stats_json))};
  for (const OutputSpec& o : cfg.outputs) {
    try {
      outputs.push_back(make_output(o, cfg.decode));
    } catch (StartupError& e) {
      if ((o.scheme == "json" || o.scheme == "ipfix") && o.target != "-") e.message += as_user(o.target);
      throw;
    }
  }
  return outputs;
}

// ---- Phase 3: the EAL, sized for the run (without hugepages its memory is
// computed from the pools and rings instead of a fixed 512 MB). DPDK's log
// goes to `log` until the run has started; the EAL's notes join the plan's.
void start_dpdk(const RunConfig& cfg, RunPlan& plan, DpdkLog& log, RunSummary& sum) {
  sum.eal_memory_mb = eal_memory_for(cfg, plan.dispatch, plan.rings, plan.users);
  std::vector<std::string> args = eal_arguments(cfg, plan.dispatch, plan.lcores, sum.eal_memory_mb, plan.notes);
  log.capture();
  start_eal(args, log);
}

// ---- Phase 4: lcores assigned (workers first, then the dispatcher or the
// reader; the main lcore exports), the packet clock started.
void assign_lcores(const RunConfig& cfg, const RunPlan& plan, Run& run) {
  if (rte_lcore_count() < plan.lcores)
    throw StartupError{fmt::format("need {} lcores (workers + {}main), EAL has {}", plan.lcores,
                                   plan.rings ? (plan.files ? "reader + " : "dispatcher + ") : "", rte_lcore_count())};
  start_clock();
  unsigned next = rte_get_next_lcore(-1, 1, 0);
  for (unsigned w = 0; w < cfg.workers; ++w) {
    auto wk = std::make_unique<Worker>();
    wk->id = w;
    wk->lcore = next;
    next = rte_get_next_lcore(next, 1, 0);
    run.workers.push_back(std::move(wk));
  }
  run.disp.lcore = run.reader.lcore = next;
}

// ---- Phase 5: the ports and their pools. A port is planned first (its
// queues and socket), so that each socket with ports gets one pool sized
// for every mbuf the run can hold at once (mbuf_budget.hpp); capture files
// get one pool on the reader's socket. Then the ports start on their pools.
void bring_up_ports(const RunConfig& cfg, const RunPlan& plan, Run& run, RunSummary& sum) {
  const MbufUsers& users = plan.users;
  run.kernel_drops.resize(cfg.inputs.size());
  for (std::size_t i = 0; i < cfg.inputs.size(); ++i)
    if (cfg.inputs[i].kind != InputKind::pcap)
      run.ports.push_back(plan_port(cfg.inputs[i], static_cast<unsigned>(i), cfg, plan.dispatch));
  std::map<int, MbufDemand> socket_demand;
  for (const PortPlan& p : run.ports) {
    MbufDemand& d = socket_demand.try_emplace(p.socket, mbuf_demand(users)).first->second;
    d.rx_descriptors += uint64_t{p.queues} * p.rx_desc;
  }
  if (plan.files)
    socket_demand.try_emplace(static_cast<int>(rte_lcore_to_socket_id(run.reader.lcore)), mbuf_demand(users));
  for (const auto& [socket, demand] : socket_demand) {
    PoolSummary ps;
    run.pools[socket] = create_pool(socket, demand, ps);
    sum.pools.push_back(ps);
  }
  std::size_t pi = 0;
  for (std::size_t i = 0; i < cfg.inputs.size(); ++i) {
    if (cfg.inputs[i].kind == InputKind::pcap) continue;
    start_port(cfg.inputs[i], run.ports[pi], run.pools[run.ports[pi].socket]);
    ++pi;
    // af_packet ports: the kernel's drops, which the driver does not count.
    if (cfg.inputs[i].kind == InputKind::af_packet) {
      run.kernel_drops[i] = std::make_unique<KernelDropCounter>(cfg.inputs[i].arg);
      run.kernel_drops[i]->start();
    }
  }
}

// ---- Phase 6: each worker's rings (records out; mbufs in from the
// dispatcher or reader) and pipeline, then who feeds them: the reader
// (capture files), the dispatcher (crc on ports) or the port queues
// themselves (rss, queue q to worker q mod workers).
// Capture files hold at most one flow per packet, and a packet in a flow
// takes at least a record header (16 bytes in pcap, more in pcapng) and an
// IPv4 header (20) of the file: a cache of 16 times that bound (8-way
// buckets at 1/16 load: no eviction) is enough for every worker, however
// the flows spread. A small file then costs a small cache, not the whole
// --cache-size (192 MiB by default) touched at start.
constexpr uint64_t kMinFlowPacketFileBytes = 16 + 20;
constexpr uint64_t kCacheHeadroom = 16;

uint64_t capture_flow_bound(const CapturePlan& captures) {
  uint64_t bytes = 0;
  for (const CaptureFile& f : captures.files) {
    std::error_code ec;
    const auto n = std::filesystem::file_size(f.path, ec);
    if (ec) return UINT64_MAX;  // unknown: no bound
    bytes += n;
  }
  return bytes / kMinFlowPacketFileBytes + 1;
}

void build_workers(const RunConfig& cfg, RunPlan& plan, Run& run, RunSummary& sum) {
  PipelineConfig pc;
  pc.decode = cfg.decode;
  pc.link = plan.files ? plan.captures.link : LinkType::ethernet;
  pc.cache.capacity = cfg.cache_size / cfg.workers;
  if (plan.files) {
    sum.cache_bound = capture_flow_bound(plan.captures);
    if (sum.cache_bound <= pc.cache.capacity / kCacheHeadroom)
      pc.cache.capacity = static_cast<uint32_t>(std::max<uint64_t>(8, sum.cache_bound * kCacheHeadroom));
  }
  sum.cache_size = cfg.cache_size;
  sum.cache_records = pc.cache.capacity;
  pc.cache.active_timeout_ms = cfg.active_timeout_s * 1000;
  pc.cache.inactive_timeout_ms = cfg.inactive_timeout_s * 1000;
  pc.cache.tcp_end_grace_ms = cfg.tcp_end_grace_ms;
  set_worker_count(cfg.workers);
  std::vector<rte_ring*> in_rings;
  for (auto& wk : run.workers) {
    const unsigned w = wk->id;
    wk->out = rte_ring_create_elem(fmt::format("tp_rec{}", w).c_str(), sizeof(FlowRecord), kRecordRingSize,
                                   SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
    if (wk->out == nullptr) throw StartupError{fmt::format("cannot create a record ring: {}", rte_strerror(rte_errno))};
    if (plan.rings) {
      wk->in = rte_ring_create(fmt::format("tp_in{}", w).c_str(), mbuf_ring_size(cfg.workers), SOCKET_ID_ANY,
                               RING_F_SP_ENQ | RING_F_SC_DEQ);
      if (wk->in == nullptr) throw StartupError{fmt::format("cannot create a worker ring: {}", rte_strerror(rte_errno))};
      in_rings.push_back(wk->in);
    }
    wk->sink = std::make_unique<RecordSink>(&record_flush, wk.get());
    wk->pipeline = std::make_unique<Pipeline>(pc, static_cast<uint8_t>(w), *wk->sink);
  }
  Chooser chooser;
  chooser.dispatch = plan.dispatch;
  chooser.workers = cfg.workers;
  chooser.link = pc.link;
  chooser.decode = cfg.decode;
  chooser.rss.key = &hw::kSymmetricRssKey40;
  chooser.rss.reta = hw::default_reta(static_cast<uint16_t>(cfg.workers), kRssRetaSize);
  if (plan.files) {
    run.merger = std::make_unique<CaptureMerger>(
        plan.captures, [](const std::string& line) { fmt::print(stderr, "tunprobe: warning: {}\n", line); });
    run.reader.merger = run.merger.get();
    run.reader.pool = run.pools.begin()->second;
    run.reader.chooser = chooser;
    run.reader.out.init(in_rings);
    return;
  }
  run.disp.chooser = chooser;
  run.disp.out.init(in_rings);
  std::size_t pi = 0;
  for (std::size_t i = 0; i < cfg.inputs.size(); ++i) {
    if (cfg.inputs[i].kind == InputKind::pcap) continue;
    const bool is_file = !cfg.inputs[i].pcap_files.empty();
    for (uint16_t q = 0; q < run.ports[pi].queues; ++q) {
      QueueRef ref{run.ports[pi].port, q, is_file, is_file ? plan.expected[i][q] : 0};
      if (plan.dispatch == Dispatch::crc)
        run.disp.queues.q.push_back(ref);
      else
        run.workers[q % cfg.workers]->queues.q.push_back(ref);
    }
    ++pi;
  }
  for (auto& w : run.workers) w->live = plan.dispatch == Dispatch::crc ? run.disp.queues.live() : w->queues.live();
}

// ---- Phase 7: started. What start-up had to say goes to stderr (DPDK's
// log, the notes), then one line with the lcore map; then the lcores are
// launched. Returns the TSC at launch: the run's time starts there.
uint64_t launch(const RunConfig& cfg, const RunPlan& plan, Run& run, DpdkLog& log, const RunSummary& sum) {
  log.release();
  for (const std::string& n : plan.notes) fmt::print(stderr, "tunprobe: {}\n", n);
  std::string map;
  for (auto& w : run.workers) {
    if (plan.files) {
      map += fmt::format(" w{}@lcore{}<-reader", w->id, w->lcore);
    } else if (plan.dispatch == Dispatch::crc) {
      map += fmt::format(" w{}@lcore{}<-crc", w->id, w->lcore);
    } else {
      map += fmt::format(" w{}@lcore{}<-", w->id, w->lcore);
      for (const QueueRef& q : w->queues.q) map += fmt::format("p{}q{} ", q.port, q.queue);
    }
  }
  if (plan.files)
    map += fmt::format(" reader@lcore{}<-{} capture file(s) of {} input(s)", run.reader.lcore,
                       plan.captures.files.size(), plan.captures.inputs.size());
  else if (plan.dispatch == Dispatch::crc)
    map += fmt::format(" dispatcher@lcore{}<-all queues", run.disp.lcore);
  fmt::print(stderr, "tunprobe: dispatch {}, {} worker(s):{}\n", sum.dispatch, cfg.workers, map);

  const uint64_t t0 = rte_get_tsc_cycles();
  for (auto& w : run.workers)
    rte_eal_remote_launch(plan.rings ? worker_ring_main : worker_rss_main, w.get(), w->lcore);
  if (plan.files)
    rte_eal_remote_launch(reader_main, &run.reader, run.reader.lcore);
  else if (plan.dispatch == Dispatch::crc)
    rte_eal_remote_launch(dispatcher_main, &run.disp, run.disp.lcore);
  return t0;
}

// ---- Phase 8 is the exporter loop (exporter_loop.cpp), until every worker
// has flushed. Phase 9: drain and flush. The lcores have returned; the
// outputs finish (a TCP exporter waits, bounded, for its collector) and
// report what they delivered.
void finish_outputs(std::vector<std::unique_ptr<FlowOutput>>& outputs, RunSummary& sum) {
  for (auto& o : outputs) o->flush();
  for (auto& o : outputs) {
    o->close();
    sum.outputs.push_back(o->summary());
  }
}

// ---- Phase 10: the summary: the workers' counters, the reader's and the
// ports' (which are stopped and closed here).
void collect_summary(const RunConfig& cfg, const RunPlan& plan, Run& run, RunSummary& sum) {
  const WorkerTotals t = sum_workers(run.workers);
  sum.packets = t.packets;
  sum.bytes = t.bytes;
  sum.flow_packets = t.flow_packets;
  sum.flows = t.flows;
  sum.evictions = t.evictions;
  sum.expired_on_full = t.expired_on_full;
  sum.time_backwards = t.time_backwards;
  sum.frag_orphans = t.frag_orphans;
  sum.ring_stalls = t.ring_stalls;
  sum.verdicts.assign(t.verdicts.begin(), t.verdicts.end());
  sum.mirrored.assign(t.mirrored.begin(), t.mirrored.end());
  for (const MetricsWorker& w : t.each) sum.workers.push_back({w.packets, w.flows});
  sum.dropped = t.dropped();
  sum.dispatch_stalls = dispatch_waits(plan, run);
  if (plan.files) {
    sum.max_open_files = run.merger->max_open_files();
    run.merger.reset();  // closes what an interrupted run left open
    sum.inputs = plan.captures.inputs;
    sum.reader_mbuf_waits = run.reader.mbuf_waits.get();
  }
  std::size_t pi = 0;
  for (std::size_t i = 0; i < cfg.inputs.size(); ++i) {
    if (cfg.inputs[i].kind == InputKind::pcap) continue;
    sum.ports.push_back(stop_port(cfg.inputs[i], run.ports[pi++], plan.expected[i], run.kernel_drops[i].get()));
  }
}

// ---- Phase 11: DPDK's objects go back (rings, outputs, pools), then the EAL.
void release(Run& run, std::vector<std::unique_ptr<FlowOutput>>& outputs) {
  for (auto& w : run.workers) {
    rte_ring_free(w->out);
    if (w->in != nullptr) rte_ring_free(w->in);
  }
  outputs.clear();
  for (auto& [socket, pool] : run.pools) rte_mempool_free(pool);
  rte_eal_cleanup();
}

// ---- --metrics: what the exporter publishes about once a second (and
// once more at the end): every worker's counters, the ports' rte_eth_stats
// (read on the main lcore, as for the progress line), the outputs'
// summaries. The server thread only copies the rendered text.
class MetricsPublisher {
 public:
  MetricsPublisher(const RunConfig& cfg, const RunPlan& plan, const Run& run)
      : cfg_(cfg), plan_(plan), run_(run),
        start_time_s_(std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count()) {}

  // Before the lcores run: zeros, in the run's shape.
  std::string initial() const {
    MetricsSnapshot s = base(true);
    s.workers.resize(cfg_.workers);
    for (const OutputSpec& o : cfg_.outputs) {
      OutputSummary z;
      z.output = o.text();
      s.outputs.push_back(z);
    }
    return render_prometheus(s);
  }
  void launched() {
    start_time_s_ = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  }

  // While the run goes (dt: seconds since the last call).
  std::string running(const std::vector<std::unique_ptr<FlowOutput>>& outputs, double dt) {
    std::vector<OutputSummary> o;
    for (const auto& out : outputs) o.push_back(out->summary());
    return render(std::move(o), dt, true);
  }
  // After the outputs closed: their final summaries.
  std::string final_values(std::vector<OutputSummary> outputs) { return render(std::move(outputs), 0, false); }

 private:
  MetricsSnapshot base(bool running) const {
    MetricsSnapshot s;
    s.version = TUNPROBE_VERSION;
    s.start_time_s = start_time_s_;
    s.running = running;
    return s;
  }
  std::string render(std::vector<OutputSummary> outputs, double dt, bool running) {
    MetricsSnapshot s = base(running);
    WorkerTotals t = sum_workers(run_.workers);
    s.workers = std::move(t.each);
    s.mirrored = t.mirrored;
    s.dispatch_waits = dispatch_waits(plan_, run_);
    std::size_t pi = 0;
    for (std::size_t i = 0; i < cfg_.inputs.size() && pi < run_.ports.size(); ++i) {
      if (cfg_.inputs[i].kind == InputKind::pcap) continue;
      PortSummary ps;
      ps.input = cfg_.inputs[i].text;
      read_port_counters(run_.ports[pi++], i < run_.kernel_drops.size() ? run_.kernel_drops[i].get() : nullptr, ps);
      s.ports.push_back(ps);
    }
    uint64_t written = 0;
    for (const OutputSummary& o : outputs) written = std::max(written, o.written);
    if (dt > 0) s.records_per_second = static_cast<double>(written - last_written_) / dt;
    last_written_ = written;
    s.outputs = std::move(outputs);
    return render_prometheus(s);
  }

  const RunConfig& cfg_;
  const RunPlan& plan_;
  const Run& run_;
  double start_time_s_;
  uint64_t last_written_ = 0;
};

}  // namespace

// ---------------------------------------------------------------- the run

RunSummary run_engine(const RunConfig& cfg) {
  RunSummary sum;
  // Before anything starts: a signal during start-up ends the run cleanly
  // (workers see the flag at once) instead of killing a half-started probe.
  install_signal_handlers();
  RunPlan plan = plan_run(cfg);
  sum.dispatch = plan.dispatch == Dispatch::crc ? "crc" : "rss";
  Run run;
  // Bound before DPDK and the privilege drop: a port below 1024 works, a
  // port in use stops the run with nothing started.
  MetricsPublisher publisher(cfg, plan, run);
  std::unique_ptr<MetricsServer> metrics;
  if (cfg.metrics_port != 0)
    metrics = std::make_unique<MetricsServer>(cfg.metrics_host, cfg.metrics_port, publisher.initial());
  std::vector<std::unique_ptr<FlowOutput>> outputs;
  if (cfg.user.empty()) outputs = open_outputs(cfg);
  DpdkLog dpdk_log;
  start_dpdk(cfg, plan, dpdk_log, sum);

  try {
    assign_lcores(cfg, plan, run);
    bring_up_ports(cfg, plan, run, sum);
    build_workers(cfg, plan, run, sum);
    if (!cfg.user.empty()) drop_privileges(cfg.user);
  } catch (StartupError& e) {
    // A failure after the EAL started quotes what DPDK logged.
    if (std::string said = dpdk_log.last_lines(); !said.empty()) e.message += " (DPDK: " + said + ")";
    throw;
  }
  if (!cfg.user.empty()) {
    // The reader opens capture files one after another while it runs, as
    // the user: one it cannot read would be skipped with 0 packets read.
    for (const CaptureFile& f : plan.captures.files)
      if (::access(f.path.c_str(), R_OK) != 0) {
        const std::string why = std::strerror(errno);
        const std::string where = directory_owner_note(f.path);
        throw StartupError{fmt::format("-i {}: {}: cannot read it as user {} after the privilege drop: {}{}{}{}",
                                       plan.captures.inputs[f.input].input, f.path, cfg.user, why,
                                       where.empty() ? "" : " (", where, where.empty() ? "" : ")")};
      }
    outputs = open_outputs(cfg);
  }

  const uint64_t t0 = launch(cfg, plan, run, dpdk_log, sum);
  ExporterConfig ec;
  ec.stats_interval_s = cfg.stats_interval_s;
  ec.stats_json = cfg.stats_json;
  ec.missed = [&run] { return missed_packets(run.ports, run.kernel_drops); };
  if (metrics) {
    publisher.launched();
    ec.metrics = [&](double dt) { metrics->publish(publisher.running(outputs, dt)); };
  }
  run_exporter(run.workers, outputs, ec, t0);
  rte_eal_mp_wait_lcore();
  finish_outputs(outputs, sum);
  sum.seconds = seconds_between(t0, rte_get_tsc_cycles());
  sum.interrupted = stop_requested();
  if (metrics) {
    // The final values, while the ports still answer; a run on files may
    // wait for one last scrape so that they reach the monitoring system.
    const bool read = metrics->publish_final_and_wait(publisher.final_values(sum.outputs), cfg.metrics_linger_s);
    if (cfg.metrics_linger_s > 0 && !read)
      fmt::print(stderr, "tunprobe: --metrics {}: the final values were not scraped within --metrics-linger {} s\n",
                 metrics->address(), cfg.metrics_linger_s);
  }

  collect_summary(cfg, plan, run, sum);
  release(run, outputs);
  return sum;
}

}  // namespace tunprobe
