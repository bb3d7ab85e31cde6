#include "probe/engine/lcores.hpp"

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_mbuf_dyn.h>
#include <rte_prefetch.h>
#include <rte_ring_elem.h>
#include <sched.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstring>
#include <fmt/format.h>

#include "hw/crc_dispatch.hpp"

namespace tunprobe::engine {

namespace {

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


// ---------------------------------------------------------------- time

// The mbuf timestamp dynamic field (tunprobe registers it; net_pcap uses
// the same one). From ports it holds the driver's own unit (rte_mbuf_dyn.h:
// "not normalized"); in the mbufs that reach a worker through a ring it
// always holds nanoseconds since 1970: the dispatcher or the reader writes it.
int ts_dynfield = -1;
uint64_t ts_dynflag = 0;
uint64_t wall_base_ns = 0;
uint64_t tsc_base = 0;
uint64_t g_tsc_hz = 1;

uint64_t tsc_to_ns(uint64_t cycles) {
  return static_cast<uint64_t>(static_cast<double>(cycles) * 1e9 / static_cast<double>(g_tsc_hz));
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
                        static_cast<double>(now - q.last_rx_tsc) > kFileIdleGiveUpS * static_cast<double>(g_tsc_hz)))
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

}  // namespace

void install_signal_handlers() {
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  std::signal(SIGHUP, on_hangup);
}

bool stop_requested() { return g_stop.load(std::memory_order_relaxed); }

bool take_reopen_request() { return g_reopen.exchange(false, std::memory_order_relaxed); }

void start_clock() {
  g_tsc_hz = rte_get_tsc_hz();
  tsc_base = rte_get_tsc_cycles();
  timespec now{};
  clock_gettime(CLOCK_REALTIME, &now);
  wall_base_ns = static_cast<uint64_t>(now.tv_sec) * 1'000'000'000u + static_cast<uint64_t>(now.tv_nsec);
  if (int rc = rte_mbuf_dyn_rx_timestamp_register(&ts_dynfield, &ts_dynflag); rc != 0)
    throw StartupError{fmt::format("cannot register the mbuf timestamp field: {}", rte_strerror(rte_errno))};
}

uint64_t tsc_hz() { return g_tsc_hz; }

double seconds_between(uint64_t tsc_from, uint64_t tsc_to) {
  return static_cast<double>(tsc_to - tsc_from) / static_cast<double>(g_tsc_hz);
}

bool set_port_timestamp_unit(uint16_t port, const char* driver) {
  port_ts_mult[port] = static_cast<uint32_t>(timestamp_multiplier(driver));
  return port_ts_mult[port] != 0;
}

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

unsigned Chooser::pick(const uint8_t* data, uint32_t len) const noexcept {
  if (workers == 1) return 0;
  PacketInfoSlot slot;
  const PacketInfo& info = slot.info;
  parse_frame_unclassified(data, len, link, decode, slot.info);
  if (verdict_is_drop(info.verdict)) return 0;
  return dispatch == Dispatch::crc ? hw::crc_dispatch(info, workers) : rss.queue(info);
}

void Fanout::flush() noexcept {
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

void set_worker_count(unsigned n) { g_worker_count = n; }

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


WorkerTotals sum_workers(const Workers& workers) {
  WorkerTotals t;
  for (const auto& w : workers) {
    const WorkerCounters& c = w->pipeline->counters();
    MetricsWorker m;
    m.packets = c.packets.get();
    m.bytes = c.bytes.get();
    m.flow_packets = c.flow_packets.get();
    m.flows = c.flows_exported.get();
    m.evictions = c.evictions.get();
    m.expired_on_full = c.expired_on_full.get();
    m.time_backwards = c.time_backwards.get();
    m.frag_orphans = c.frag_orphans.get();
    m.ring_waits = c.ring_stalls.get();
    m.cache_records = c.live_flows.get();
    m.cache_capacity = w->pipeline->cache().capacity();
    for (std::size_t v = 0; v < kVerdictCount; ++v) {
      m.verdicts[v] = c.verdicts[v].get();
      t.verdicts[v] += m.verdicts[v];
    }
    for (std::size_t k = 0; k < kMirrorTypeCount; ++k) t.mirrored[k] += c.mirrored[k].get();
    t.packets += m.packets;
    t.bytes += m.bytes;
    t.flow_packets += m.flow_packets;
    t.flows += m.flows;
    t.evictions += m.evictions;
    t.expired_on_full += m.expired_on_full;
    t.time_backwards += m.time_backwards;
    t.live_flows += m.cache_records;
    t.frag_orphans += m.frag_orphans;
    t.ring_stalls += m.ring_waits;
    t.each.push_back(m);
  }
  return t;
}

}  // namespace tunprobe::engine
