// tunprobe-bench: throughput of tunprobe on 1..N cores (the benchmark
// issue). Prints tables on stdout; --json FILE writes every figure;
// bench/chart.py draws the chart from that file; bench/run.sh does all of it.
//
//   1. per-core cost of the worker pipeline (bench/percore.hpp), per mix;
//   2. scaling: N pipelines on N threads, no I/O;
//   3. end to end: `tunprobe run` on net_pcap infinite_rx (bench/e2e.hpp),
//      rss and crc dispatch, 1/2/4 workers;
//   4. the 10GbE line-rate table.
#include <unistd.h>

#include <algorithm>
#include <boost/program_options.hpp>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fmt/format.h>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "bench/e2e.hpp"
#include "bench/percore.hpp"
#include "bench/traffic.hpp"
#include "probe/decode/pcap_file.hpp"

namespace po = boost::program_options;
using nlohmann::ordered_json;
using namespace tunprobe::bench;

namespace {

constexpr int kExitUsage = 2;
constexpr double kLineBps = 10e9;
constexpr double kOverheadBytes = 20;  // preamble 8 + inter-frame gap 12

struct Usage {
  std::string message;
};

double line_mpps(double frame_bytes) { return kLineBps / ((frame_bytes + kOverheadBytes) * 8) / 1e6; }
double gbps_of(double mpps, double frame_bytes) { return mpps * (frame_bytes + kOverheadBytes) * 8 / 1e3; }

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ','))
    if (!item.empty()) out.push_back(item);
  return out;
}

std::vector<uint32_t> number_list(const std::string& option, const std::string& s, uint32_t lo, uint32_t hi) {
  std::vector<uint32_t> out;
  for (const std::string& item : split_list(s)) {
    char* end = nullptr;
    const unsigned long v = std::strtoul(item.c_str(), &end, 10);
    if (end == item.c_str() || *end != '\0' || v < lo || v > hi)
      throw Usage{fmt::format("--{}: '{}' is not a number from {} to {}", option, item, lo, hi)};
    out.push_back(static_cast<uint32_t>(v));
  }
  if (out.empty()) throw Usage{fmt::format("--{}: give at least one number", option)};
  return out;
}

struct Machine {
  std::string cpu;
  unsigned cpus = 0;
  double mem_gib = 0;
  std::string kernel;
  double tsc_ghz = 0;
  std::string loadavg;
};

Machine describe_machine() {
  Machine m;
  std::ifstream ci("/proc/cpuinfo");
  std::string line;
  while (std::getline(ci, line))
    if (line.rfind("model name", 0) == 0) {
      m.cpu = line.substr(line.find(':') + 2);
      break;
    }
  m.cpus = static_cast<unsigned>(allowed_cpus().size());
  std::ifstream mi("/proc/meminfo");
  while (std::getline(mi, line))
    if (line.rfind("MemTotal:", 0) == 0) {
      m.mem_gib = std::stod(line.substr(9)) / (1024.0 * 1024.0);
      break;
    }
  std::ifstream os("/proc/sys/kernel/osrelease");
  std::getline(os, m.kernel);
  m.tsc_ghz = tsc_hz() / 1e9;
  std::ifstream la("/proc/loadavg");
  std::string a, b, c;
  la >> a >> b >> c;
  m.loadavg = a + " " + b + " " + c;
  return m;
}

std::string self_dir() {
  char buf[4096];
  const ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return ".";
  std::string p(buf, static_cast<std::size_t>(n));
  return p.substr(0, p.rfind('/'));
}

std::string label(const std::string& mix, const std::string& variant, uint32_t flows) {
  if (is_single_flow_mix(mix)) return fmt::format("{} {}", mix, variant);
  if (flows >= 1'000'000 && flows % 1'000'000 == 0) return fmt::format("{} {}M flows", mix, flows / 1'000'000);
  if (flows >= 1000 && flows % 1000 == 0) return fmt::format("{} {}K flows", mix, flows / 1000);
  return fmt::format("{} {} flows", mix, flows);
}

uint32_t cache_for(uint32_t flows) {
  // The default --cache-size (2^20 records), or twice the flows rounded up
  // to a power of two when that is larger (2^21 for 1M flows).
  uint32_t c = 1u << 20;
  while (c < 2ull * flows) c <<= 1;
  return c;
}

std::string rule(std::size_t n) { return std::string(n, '-'); }

}  // namespace

int main(int argc, char** argv) {
  po::options_description opts(
      "Usage: tunprobe-bench [options]\n\n"
      "Throughput of tunprobe: per-core cost of the worker pipeline on frames in memory (Mpps, TSC\n"
      "cycles/packet) for the paper's single-flow tunnel tests and the CESNET2 mix at 1K..1M flows, scaling\n"
      "over threads, end-to-end `tunprobe run` on DPDK net_pcap (infinite_rx) with rss and crc dispatch, and\n"
      "the 10GbE line-rate table. Tables on stdout; --json for the chart (bench/chart.py).\n\nOptions",
      100, 50);
  opts.add_options()
      ("help,h", "this help")
      ("json", po::value<std::string>(), "write every figure to this JSON file")
      ("sections", po::value<std::string>()->default_value("percore,scaling,e2e,linerate"),
       "which parts to run, comma-separated: percore, scaling, e2e, linerate")
      ("mixes", po::value<std::string>()->default_value("teredo-1flow,6to4-1flow,isatap-1flow,mix,tunnel-heavy"),
       "per-core mixes to run")
      ("flows", po::value<std::string>()->default_value("1000,100000,1000000"), "flow counts of the mix sweep")
      ("heavy-flows", po::value<uint32_t>()->default_value(100000), "flows of tunnel-heavy")
      ("packets", po::value<uint64_t>()->default_value(16'000'000), "packets per timed run (per-core, scaling)")
      ("repeat", po::value<unsigned>()->default_value(3), "timed runs per case; the median is reported")
      ("threads", po::value<std::string>()->default_value("1,2,4,8"),
       "thread counts of the scaling part (counts above the machine's CPUs are skipped)")
      ("workers", po::value<std::string>()->default_value("1,2,4"), "worker counts of the end-to-end part")
      ("e2e-mixes", po::value<std::string>()->default_value("teredo-1flow,6to4-1flow,mix"),
       "end-to-end mixes (single-flow ones at minimum size; mix at 1024 flows)")
      ("seconds", po::value<double>()->default_value(2.5), "measured seconds per end-to-end run")
      ("e2e-repeat", po::value<unsigned>()->default_value(2),
       "end-to-end runs per case; the best is reported (lcores that float over shared CPUs vary run to run)")
      ("tunprobe", po::value<std::string>(), "the tunprobe binary (default: ../tunprobe beside this binary)")
      ("workdir", po::value<std::string>()->default_value("/dev/shm/tunprobe-bench"), "captures for the end-to-end runs")
      ("cpu", po::value<int>()->default_value(-1), "CPU for the per-core runs (default: the last allowed one)")
      ("quick", "a smoke run: 200K packets, one repetition, 1K and 10K flows, 0.5 s end-to-end runs")
      ("read-pcap", po::value<std::string>(),
       "only read this capture with libpcap, touching each frame, and print packets/s (the floor every "
       "pcap reader shares; bench/peers.sh)")
      ("write-pcap", po::value<std::string>(), "only write a capture of --pcap-mix and exit (for bench/peers.sh)")
      ("pcap-mix", po::value<std::string>()->default_value("mix"), "mix of --write-pcap")
      ("pcap-flows", po::value<uint32_t>()->default_value(10000), "flows of --write-pcap")
      ("pcap-packets", po::value<uint64_t>()->default_value(1'000'000), "packets of --write-pcap")
      ("pcap-snap", po::value<unsigned>()->default_value(0),
       "snapshot length of --write-pcap: 0 for whole frames, else 14..128 bytes of each frame");

  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(opts).run(), vm);
    po::notify(vm);
    if (vm.count("help")) {
      std::cout << opts << '\n';
      return 0;
    }
    const bool quick = vm.count("quick") > 0;

    if (vm.count("read-pcap")) {
      const std::string path = vm["read-pcap"].as<std::string>();
      const auto t0 = std::chrono::steady_clock::now();
      tunprobe::PcapFile f(path);
      if (!f.ok()) throw Usage{fmt::format("--read-pcap: {}", f.error())};
      const uint8_t* data;
      uint32_t len;
      uint64_t ts;
      uint64_t n = 0, sum = 0;
      while (f.next(data, len, ts)) {
        sum += data[len > 20 ? 20 : 0];
        ++n;
      }
      const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      fmt::print("read {}: {} packets in {:.3f} s, {:.0f} packets/s (checksum {})\n", path, n, s,
                 static_cast<double>(n) / s, sum & 0xff);
      return 0;
    }

    if (vm.count("write-pcap")) {
      const std::string mix = vm["pcap-mix"].as<std::string>();
      if (std::find(mix_names().begin(), mix_names().end(), mix) == mix_names().end())
        throw Usage{fmt::format("--pcap-mix: '{}' is not one of {}", mix, fmt::join(mix_names(), ", "))};
      const uint32_t flows = vm["pcap-flows"].as<uint32_t>();
      const uint64_t n = vm["pcap-packets"].as<uint64_t>();
      const unsigned snap = vm["pcap-snap"].as<unsigned>();
      if (snap != 0 && (snap < 14 || snap > Pool::kStride)) throw Usage{"--pcap-snap: must be 0 or 14..128"};
      const Pool pool = make_pool(mix, "tcp", flows, std::min<uint64_t>(n, 1u << 20), 7);
      if (std::string err = write_pcap(pool, vm["write-pcap"].as<std::string>(), n, snap); !err.empty()) {
        fmt::print(stderr, "tunprobe-bench: {}\n", err);
        return 1;
      }
      uint64_t tunneled_flows = pool.kind_flows[2] + pool.kind_flows[3] + pool.kind_flows[4];
      fmt::print("wrote {}: {} packets, {} flows ({} tunneled: teredo {}, 6to4 {}, isatap {}; native IPv6 {}), "
                 "mean frame {:.0f} B, snaplen {}\n",
                 vm["write-pcap"].as<std::string>(), n, flows, tunneled_flows, pool.kind_flows[2], pool.kind_flows[3],
                 pool.kind_flows[4], pool.kind_flows[1], pool.mean_wire, snap == 0 ? "whole frames" : std::to_string(snap));
      return 0;
    }

    std::set<std::string> sections;
    for (const std::string& s : split_list(vm["sections"].as<std::string>())) {
      if (s != "percore" && s != "scaling" && s != "e2e" && s != "linerate")
        throw Usage{fmt::format("--sections: '{}' is not one of percore, scaling, e2e, linerate", s)};
      sections.insert(s);
    }
    std::vector<std::string> mixes = split_list(vm["mixes"].as<std::string>());
    for (const std::string& m : mixes)
      if (std::find(mix_names().begin(), mix_names().end(), m) == mix_names().end())
        throw Usage{fmt::format("--mixes: '{}' is not one of {}", m, fmt::join(mix_names(), ", "))};
    std::vector<std::string> e2e_mixes = split_list(vm["e2e-mixes"].as<std::string>());
    for (const std::string& m : e2e_mixes)
      if (m != "mix" && !is_single_flow_mix(m))
        throw Usage{fmt::format("--e2e-mixes: '{}' is not one of teredo-1flow, 6to4-1flow, isatap-1flow, mix", m)};
    std::vector<uint32_t> flow_counts = number_list("flows", vm["flows"].as<std::string>(), 1, 1u << 24);
    const uint32_t heavy_flows = vm["heavy-flows"].as<uint32_t>();
    uint64_t packets = vm["packets"].as<uint64_t>();
    unsigned repeat = vm["repeat"].as<unsigned>();
    if (repeat < 1 || repeat > 100) throw Usage{"--repeat: must be 1..100"};
    std::vector<uint32_t> threads = number_list("threads", vm["threads"].as<std::string>(), 1, 256);
    std::vector<uint32_t> workers = number_list("workers", vm["workers"].as<std::string>(), 1, 64);
    for (uint32_t w : workers)
      if ((w & (w - 1)) != 0) throw Usage{fmt::format("--workers: {} is not a power of two (crc dispatch needs one)", w)};
    double seconds = vm["seconds"].as<double>();
    unsigned e2e_repeat = vm["e2e-repeat"].as<unsigned>();
    if (e2e_repeat < 1 || e2e_repeat > 20) throw Usage{"--e2e-repeat: must be 1..20"};
    if (seconds <= 0 || seconds > 600) throw Usage{"--seconds: must be above 0 and at most 600"};
    if (quick) {
      packets = 200'000;
      repeat = 1;
      seconds = 0.5;
      e2e_repeat = 1;
      if (vm["flows"].defaulted()) flow_counts = {1000, 10000};
    }
    const std::string tunprobe = vm.count("tunprobe") ? vm["tunprobe"].as<std::string>() : self_dir() + "/../tunprobe";

    const Machine m = describe_machine();
    const std::vector<unsigned> cpus = allowed_cpus();
    const int cpu_opt = vm["cpu"].as<int>();
    const unsigned cpu = cpu_opt >= 0 ? static_cast<unsigned>(cpu_opt) : cpus.back();

    ordered_json out;
    out["machine"] = {{"cpu", m.cpu}, {"cpus", m.cpus}, {"memGiB", std::round(m.mem_gib * 10) / 10},
                      {"kernel", m.kernel}, {"tscGHz", std::round(m.tsc_ghz * 1000) / 1000},
                      {"loadAverageAtStart", m.loadavg}};
    out["settings"] = {{"packetsPerRun", packets}, {"repeat", repeat}, {"burst", 32}, {"frameStoredBytes", Pool::kStride},
                       {"packetTime", "10 Gbps line rate of each frame"}, {"e2eSeconds", seconds}, {"e2eRepeat", e2e_repeat},
                       {"e2eOutput", "json:/dev/null"}};
    fmt::print("tunprobe-bench on {} ({} CPUs, {:.1f} GiB, Linux {}), TSC {:.3f} GHz, load average {}\n", m.cpu,
               m.cpus, m.mem_gib, m.kernel, m.tsc_ghz, m.loadavg);
    std::fflush(stdout);

    // ------------------------------------------------------------ per core
    std::vector<PerCoreResult> percore;
    if (sections.count("percore")) {
      fmt::print("\n1. Per-core cost: worker pipeline (parse, decapsulate, classify, flow cache, expiry), frames in memory, "
                 "one core (CPU {}), median of {} x {} packets\n",
                 cpu, repeat, packets);
      const std::string head = fmt::format("{:<30} {:>9} {:>6} {:>7} {:>8} {:>7} {:>7} {:>10} {:>9}", "case", "frame B",
                                           "cache", "Mpps", "cyc/pkt", "ns/pkt", "Gbps*", "evictions", "wall Mpps");
      fmt::print("{}\n{}\n", head, rule(head.size()));
      std::fflush(stdout);
      pin_to(cpu);
      struct Case {
        std::string mix, variant;
        uint32_t flows;
        uint32_t cache;
      };
      std::vector<Case> todo;
      for (const std::string& mix : mixes) {
        if (is_single_flow_mix(mix)) {
          todo.push_back({mix, "min", 1, cache_for(1)});
          todo.push_back({mix, "tcp", 1, cache_for(1)});
        } else if (mix == "mix") {
          for (uint32_t f : flow_counts) {
            todo.push_back({mix, "", f, cache_for(f)});
            // At 1M flows a cache twice the flows (load 0.48) overflows some
            // 8-way buckets, which evict; twice as large again, it does not.
            if (f >= 1'000'000) todo.push_back({mix, "", f, 2 * cache_for(f)});
          }
        } else {
          const uint32_t f = quick ? std::min<uint32_t>(heavy_flows, 10000) : heavy_flows;
          todo.push_back({mix, "", f, cache_for(f)});
        }
      }
      for (const Case& c : todo) {
        const Pool pool = make_pool(c.mix, c.variant, c.flows, 65536, 0);
        const uint32_t cache = c.cache;
        const PerCoreResult r = run_percore(pool, cache, packets, repeat);
        percore.push_back(r);
        fmt::print("{:<30} {:>9.1f} {:>6} {:>7.2f} {:>8.1f} {:>7.2f} {:>7.2f} {:>10} {:>9.2f}{}\n",
                   label(c.mix, c.variant, c.flows), r.mean_wire, fmt::format("2^{}", static_cast<int>(std::log2(cache))),
                   r.mpps, r.cycles_per_packet, r.ns_per_packet, gbps_of(r.mpps, r.mean_wire), r.evictions, r.wall_mpps,
                   r.dropped ? fmt::format("  ({} dropped by verdict!)", r.dropped) : "");
        std::fflush(stdout);
        ordered_json j = {{"mix", r.mix},          {"variant", r.variant},       {"flows", r.flows},
                          {"cacheRecords", r.cache}, {"meanFrameBytes", r.mean_wire}, {"packetsPerRun", r.packets},
                          {"mpps", r.mpps},        {"runsMpps", r.runs_mpps},
                          {"wallMpps", r.wall_mpps}, {"runsWallMpps", r.runs_wall_mpps},    {"cyclesPerPacket", r.cycles_per_packet},
                          {"nsPerPacket", r.ns_per_packet}, {"gbpsEquivalent", gbps_of(r.mpps, r.mean_wire)},
                          {"lineRateMpps", line_mpps(r.mean_wire)}, {"evictions", r.evictions},
                          {"recordsExported", r.records}, {"droppedByVerdict", r.dropped}, {"liveFlows", r.live}};
        out["perCore"].push_back(j);
      }
      pin_to(cpus);  // back to every CPU: later parts start threads and processes
      fmt::print("Mpps and cycles: the worker thread's CPU time (TSC cycles = CPU seconds x TSC rate); wall Mpps: the "
                 "same runs by the TSC\n* Gbps: the equivalent 10GbE load at these frame sizes (+20 B preamble and gap "
                 "per frame)\n");
    }

    // ------------------------------------------------------------ scaling
    std::vector<ScalingResult> scaling;
    if (sections.count("scaling")) {
      const uint32_t mix_flows = quick ? 10000 : 100000;
      fmt::print("\n2. Scaling: N workers on N threads (pinned round-robin to CPUs {}), pipeline only, {} packets each\n",
                 fmt::join(cpus, ","), packets);
      const std::string head = fmt::format("{:<30} {:>8} {:>8} {:>10} {:>9} {:>10}  {}", "case", "workers", "Mpps",
                                           "x 1 worker", "wall Mpps", "x 1 (wall)", "per worker Mpps");
      fmt::print("{}\n{}\n", head, rule(head.size()));
      std::fflush(stdout);
      struct Case {
        std::string mix, variant;
        uint32_t flows;
      };
      const std::vector<Case> cases{{"teredo-1flow", "min", 1}, {"mix", "", mix_flows}};
      for (const Case& c : cases) {
        double one = 0, one_wall = 0;
        for (uint32_t t : threads) {
          if (t > cpus.size()) continue;
          const ScalingResult r =
              run_scaling(c.mix, c.variant, c.flows, cache_for(c.flows), 65536, t, packets, cpus);
          if (t == 1) {
            one = r.mpps;
            one_wall = r.wall_mpps;
          }
          scaling.push_back(r);
          std::string per;
          for (double x : r.per_thread_mpps) per += fmt::format("{}{:.2f}", per.empty() ? "" : " ", x);
          fmt::print("{:<30} {:>8} {:>8.2f} {:>10.2f} {:>9.2f} {:>10.2f}  {}\n",
                     label(c.mix, c.variant, c.flows) + " per worker", t, r.mpps, one > 0 ? r.mpps / one : 0.0,
                     r.wall_mpps, one_wall > 0 ? r.wall_mpps / one_wall : 0.0, per);
          std::fflush(stdout);
          out["scaling"].push_back({{"mix", r.mix}, {"variant", r.variant}, {"flowsPerWorker", r.flows_per_worker},
                                    {"workers", r.threads}, {"mpps", r.mpps}, {"perWorkerMpps", r.per_thread_mpps},
                                    {"speedup", one > 0 ? r.mpps / one : 0.0}, {"wallMpps", r.wall_mpps},
                                    {"wallSpeedup", one_wall > 0 ? r.wall_mpps / one_wall : 0.0}});
        }
      }
      fmt::print("Mpps: the sum over workers of packets / the worker thread's CPU time; wall Mpps: all packets / the "
                 "slowest worker's wall time\n");
      if (std::any_of(threads.begin(), threads.end(), [&](uint32_t t) { return t > cpus.size(); }))
        fmt::print("(thread counts above the {} CPUs of this machine skipped)\n", cpus.size());
    }

    // ------------------------------------------------------------ end to end
    std::vector<E2eResult> e2e;
    if (sections.count("e2e")) {
      E2eOptions eo;
      eo.tunprobe = tunprobe;
      eo.workdir = vm["workdir"].as<std::string>();
      eo.seconds = seconds;
      if (access(tunprobe.c_str(), X_OK) != 0) throw Usage{fmt::format("--tunprobe: {} is not executable", tunprobe)};
      std::vector<E2eCase> cases;
      for (const std::string& mix : e2e_mixes)
        for (const std::string d : {"rss", "crc"})
          for (uint32_t w : workers) cases.push_back({mix, is_single_flow_mix(mix) ? "min" : "", w, d});
      if (std::string err = prepare_e2e(cases, eo); !err.empty()) throw Usage{"e2e captures: " + err};
      fmt::print("\n3. End to end: tunprobe run on net_pcap infinite_rx, best of {} runs of {} s, -o json:/dev/null; {} CPUs "
                 "for the workers, the crc dispatcher and the main lcore\n",
                 e2e_repeat, seconds, cpus.size());
      const std::string head = fmt::format("{:<22} {:>5} {:>4} {:>7} {:>7} {:>7} {:>7} {:>9} {:>7}  {}", "case", "disp",
                                           "w", "frame B", "Mpps", "Gbps*", "drops", "ringwait", "balance",
                                           "per-worker packets %");
      fmt::print("{}\n{}\n", head, rule(head.size()));
      std::fflush(stdout);
      for (const E2eCase& c : cases) {
        E2eResult r;
        std::vector<double> runs;
        for (unsigned k = 0; k < e2e_repeat; ++k) {
          E2eResult one = run_e2e(c, eo);
          if (!one.error.empty()) {
            r = one;
            break;
          }
          runs.push_back(one.mpps);
          if (k == 0 || one.mpps > r.mpps) r = one;
        }
        e2e.push_back(r);
        const std::string name = is_single_flow_mix(c.mix) ? fmt::format("{} {}", c.mix, c.variant)
                                                           : fmt::format("{} {} flows", c.mix, r.flows);
        if (!r.error.empty()) {
          fmt::print("{:<22} {:>5} {:>4}  error: {}\n", name, c.dispatch, c.workers, r.error);
        } else {
          std::string per;
          uint64_t total = 0;
          for (uint64_t p : r.worker_packets) total += p;
          for (uint64_t p : r.worker_packets)
            per += fmt::format("{}{:.0f}", per.empty() ? "" : "/",
                               total ? 100.0 * static_cast<double>(p) / static_cast<double>(total) : 0.0);
          fmt::print("{:<22} {:>5} {:>4} {:>7.1f} {:>7.2f} {:>7.2f} {:>7} {:>9} {:>7.2f}  {}\n", name, c.dispatch,
                     c.workers, r.mean_wire, r.mpps, r.gbps, r.verdict_drops + r.imissed + r.rx_nombuf,
                     r.worker_ring_waits + r.dispatcher_ring_waits, r.balance, per);
        }
        std::fflush(stdout);
        out["endToEnd"].push_back({{"mix", c.mix}, {"variant", c.variant}, {"flows", r.flows}, {"workers", c.workers},
                                   {"dispatch", c.dispatch}, {"meanFrameBytes", r.mean_wire}, {"packets", r.packets},
                                   {"seconds", r.seconds}, {"mpps", r.mpps}, {"runsMpps", runs}, {"gbpsEquivalent", r.gbps},
                                   {"verdictDrops", r.verdict_drops}, {"imissed", r.imissed}, {"rxNoMbuf", r.rx_nombuf},
                                   {"workerRingWaits", r.worker_ring_waits},
                                   {"dispatcherRingWaits", r.dispatcher_ring_waits},
                                   {"workerPackets", r.worker_packets}, {"balanceMinOverMax", r.balance},
                                   {"command", r.command}, {"error", r.error}});
      }
      fmt::print("drops: verdict drops + imissed + rx_nombuf; ringwait: times a worker (record ring) or the dispatcher "
                 "(mbuf rings) waited; balance: least / most loaded worker\n");
      if (cpus.size() < 2 + 1)
        fmt::print("note: with {} CPUs, more lcores than CPUs share them (main lcore, crc dispatcher, workers)\n",
                   cpus.size());
    }

    // ------------------------------------------------------------ line rate
    if (sections.count("linerate")) {
      fmt::print("\n4. 10GbE line rate (20 B preamble and gap per frame) and cores needed\n");
      const std::string head = fmt::format("{:<34} {:>8} {:>10} {:>10} {:>10} {:>10}", "configuration", "frame B",
                                           "line Mpps", "Mpps/core", "line/core", "cores@10G");
      fmt::print("{}\n{}\n", head, rule(head.size()));
      for (const auto& [name, size] : std::vector<std::pair<std::string, double>>{
               {"64 B frames", 64}, {"minimum 6to4 frames", 78}, {"minimum Teredo frames", 86}})
        fmt::print("{:<34} {:>8.0f} {:>10.2f}\n", name, size, line_mpps(size));
      auto row = [&](const std::string& name, double frame, double per_core, const std::string& kind) {
        const double lm = line_mpps(frame);
        const double frac = per_core / lm;
        const unsigned cores = per_core > 0 ? static_cast<unsigned>(std::ceil(lm / per_core - 1e-9)) : 0;
        fmt::print("{:<34} {:>8.1f} {:>10.2f} {:>10.2f} {:>9.0f}% {:>10}\n", name, frame, lm, per_core, 100 * frac, cores);
        out["lineRate"].push_back({{"configuration", name}, {"kind", kind}, {"meanFrameBytes", frame}, {"lineRateMpps", lm},
                                   {"mppsPerCore", per_core}, {"lineRateFractionPerCore", frac},
                                   {"coresFor10G", cores}});
      };
      for (const PerCoreResult& r : percore)
        row("pipeline: " + label(r.mix, r.variant, r.flows) +
                (r.cache != cache_for(r.flows) ? fmt::format(", 2^{}", static_cast<int>(std::log2(r.cache))) : ""),
            r.mean_wire, r.mpps, "pipeline");
      for (const E2eResult& r : e2e) {
        if (!r.error.empty() || r.c.workers == 0) continue;
        const std::string name = is_single_flow_mix(r.c.mix) ? fmt::format("{} {}", r.c.mix, r.c.variant)
                                                             : fmt::format("{} {}", r.c.mix, r.flows);
        // Busy cores: the workers and the crc dispatcher (the main lcore mostly
        // sleeps), at most the machine's CPUs (more lcores share them).
        const std::size_t busy = std::min<std::size_t>(r.c.workers + (r.c.dispatch == "crc" ? 1 : 0), cpus.size());
        row(fmt::format("run {} w{}: {}", r.c.dispatch, r.c.workers, name), r.mean_wire,
            r.mpps / static_cast<double>(busy), "endToEnd");
      }
      fmt::print("Mpps/core: pipeline rows, one core; run rows, Mpps / busy cores (workers + the crc dispatcher, at most "
                 "the {} CPUs)\n",
                 cpus.size());
    }

    if (vm.count("json")) {
      const std::string path = vm["json"].as<std::string>();
      std::ofstream f(path);
      f << out.dump(1) << '\n';
      if (!f) {
        fmt::print(stderr, "tunprobe-bench: --json {}: cannot write\n", path);
        return 1;
      }
      fmt::print("\nwrote {}\n", path);
    }
    return 0;
  } catch (const po::error& e) {
    fmt::print(stderr, "tunprobe-bench: {} (see --help)\n", e.what());
    return kExitUsage;
  } catch (const Usage& e) {
    fmt::print(stderr, "tunprobe-bench: {}\n", e.message);
    return kExitUsage;
  }
}
