#include "bench/e2e.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <fmt/format.h>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "bench/traffic.hpp"
#include "hw/crc_dispatch.hpp"
#include "hw/rss.hpp"
#include "hw/split.hpp"
#include "probe/decode/parse.hpp"

namespace tunprobe::bench {

namespace {

constexpr uint32_t kMixFlows = 1024;
constexpr std::size_t kMixFrames = 4096;

std::string base_name(const E2eCase& c) {
  std::string b = c.mix;
  if (!c.variant.empty()) b += "-" + c.variant;
  if (is_single_flow_mix(c.mix)) b += fmt::format("-{}flows", c.workers);
  return b;
}

// Flows for a single-flow mix with n workers: flow i lands on worker i both
// under NIC RSS (outer header, symmetric key, round-robin RETA) and under
// the CRC distributor (inner flow).
std::vector<uint32_t> pick_flows(const std::string& mix, const std::string& variant, unsigned n) {
  std::vector<uint32_t> ids(n, 0);
  std::vector<bool> found(n, false);
  hw::RssModel rss;
  rss.reta = hw::default_reta(static_cast<uint16_t>(n));
  unsigned left = n;
  for (uint32_t id = 0; left > 0 && id < 1'000'000; ++id) {
    const Pool one = make_pool_ids(mix, variant, {id});
    PacketInfo p;
    parse_frame(one.frame(0), one.cap[0], LinkType::ethernet, DecodeConfig{}, p);
    const unsigned q = rss.queue(p);
    if (q != hw::crc_dispatch(p, n) || found[q]) continue;
    found[q] = true;
    ids[q] = id;
    --left;
  }
  return ids;
}

std::string split_files(const std::string& file, const std::string& prefix, unsigned n) {
  hw::SplitOptions so;
  so.dispatch = hw::Dispatch::rss;
  so.queues = n;
  const hw::SplitResult r = hw::split_capture(file, prefix, so);
  return r.error;
}

bool file_has(const std::string& path, const std::string& needle) {
  std::ifstream f(path);
  std::stringstream s;
  s << f.rdbuf();
  return s.str().find(needle) != std::string::npos;
}

std::string read_file(const std::string& path) {
  std::ifstream f(path);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

}  // namespace

std::string prepare_e2e(const std::vector<E2eCase>& cases, const E2eOptions& opt) {
  mkdir(opt.workdir.c_str(), 0755);
  std::map<std::string, bool> done;
  for (const E2eCase& c : cases) {
    const std::string base = opt.workdir + "/" + base_name(c);
    const std::string file = base + ".pcap";
    if (!done[file]) {
      done[file] = true;
      Pool pool = is_single_flow_mix(c.mix) ? make_pool_ids(c.mix, c.variant, pick_flows(c.mix, c.variant, c.workers))
                                            : make_pool(c.mix, c.variant, kMixFlows, kMixFrames, 99);
      if (std::string err = write_pcap(pool, file, pool.frames, Pool::kStride); !err.empty()) return err;
      // The mean frame size, for the Gbps column.
      std::ofstream(base + ".meta") << pool.flows << ' ' << pool.mean_wire << '\n';
    }
    if (c.dispatch == "rss" && c.workers > 1) {
      const std::string prefix = fmt::format("{}.rss{}", base, c.workers);
      if (!done[prefix]) {
        done[prefix] = true;
        if (std::string err = split_files(file, prefix, c.workers); !err.empty()) return err;
      }
    }
  }
  return {};
}

E2eResult run_e2e(const E2eCase& c, const E2eOptions& opt) {
  E2eResult r;
  r.c = c;
  const std::string base = opt.workdir + "/" + base_name(c);
  {
    std::ifstream meta(base + ".meta");
    meta >> r.flows >> r.mean_wire;
  }
  std::string input;
  if (c.dispatch == "crc") {
    input = fmt::format("vdev:eth_pcap0,rx_pcap={}.pcap,infinite_rx=1", base);
  } else if (c.workers == 1) {
    input = fmt::format("vdev:net_pcap0,rx_pcap={}.pcap,infinite_rx=1", base);
  } else {
    input = "vdev:net_pcap0";
    for (unsigned q = 0; q < c.workers; ++q) input += fmt::format(",rx_pcap={}.rss{}.{}.pcap", base, c.workers, q);
    input += ",infinite_rx=1";
  }
  const std::string tag = fmt::format("{}-{}-w{}", base, c.dispatch, c.workers);
  const std::string stats = tag + ".stats.json";
  const std::string log = tag + ".log";
  std::remove(stats.c_str());
  std::vector<std::string> args{opt.tunprobe, "run", "-i", input, "-w", std::to_string(c.workers), "--dispatch",
                                c.dispatch, "-o", "json:/dev/null", "--stats-json", stats};
  for (const std::string& a : args) r.command += (r.command.empty() ? "" : " ") + a;

  const pid_t pid = fork();
  if (pid < 0) {
    r.error = "fork failed";
    return r;
  }
  if (pid == 0) {
    const int out = open("/dev/null", O_WRONLY);
    const int err = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(out, 1);
    dup2(err, 2);
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  // Wait for the workers to start ("tunprobe: dispatch ..."), let it run,
  // then end it like a user would.
  using clk = std::chrono::steady_clock;
  const auto start = clk::now();
  bool started = false;
  int status = 0;
  bool exited = false;
  while (clk::now() - start < std::chrono::seconds(30)) {
    if (waitpid(pid, &status, WNOHANG) == pid) {
      exited = true;
      break;
    }
    if (file_has(log, "tunprobe: dispatch")) {
      started = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (started) {
    std::this_thread::sleep_for(std::chrono::duration<double>(opt.seconds));
  }
  if (!exited) {
    kill(pid, SIGINT);
    const auto stop = clk::now();
    while (waitpid(pid, &status, WNOHANG) != pid) {
      if (clk::now() - stop > std::chrono::seconds(20)) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  if (!started || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::string text = read_file(log);
    if (text.size() > 400) text = text.substr(text.size() - 400);
    r.error = fmt::format("tunprobe run did not {} (exit status {}): {}", started ? "end cleanly" : "start",
                          WIFEXITED(status) ? WEXITSTATUS(status) : -1, text);
    return r;
  }
  try {
    const nlohmann::json j = nlohmann::json::parse(read_file(stats));
    r.packets = j.at("packets").get<uint64_t>();
    r.seconds = j.at("seconds").get<double>();
    r.verdict_drops = j.at("droppedPackets").get<uint64_t>();
    r.worker_ring_waits = j.at("workerRingWaits").get<uint64_t>();
    r.dispatcher_ring_waits = j.at("dispatcherRingWaits").get<uint64_t>();
    for (const auto& p : j.at("ports")) {
      r.imissed += p.at("imissed").get<uint64_t>();
      r.rx_nombuf += p.at("rxNoMbuf").get<uint64_t>();
    }
    for (const auto& w : j.at("workers")) r.worker_packets.push_back(w.at("packets").get<uint64_t>());
  } catch (const std::exception& e) {
    r.error = fmt::format("{}: {}", stats, e.what());
    return r;
  }
  r.mpps = r.seconds > 0 ? static_cast<double>(r.packets) / r.seconds / 1e6 : 0;
  r.gbps = r.mpps * (r.mean_wire + 20) * 8 / 1e3;
  if (!r.worker_packets.empty()) {
    const auto [lo, hi] = std::minmax_element(r.worker_packets.begin(), r.worker_packets.end());
    r.balance = *hi ? static_cast<double>(*lo) / static_cast<double>(*hi) : 0;
  }
  return r;
}

}  // namespace tunprobe::bench
