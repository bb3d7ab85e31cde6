// DPDK's side of start-up and shut-down: the EAL (its arguments, its memory
// without hugepages, its log while starting), the ports (planned before
// their pools exist, then configured and started; their statistics and
// stop at the end), the mbuf pools and the privilege drop once all is open.
#pragma once

#include <rte_ethdev.h>
#include <rte_mempool.h>

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "probe/engine/engine.hpp"
#include "probe/engine/kernel_drops.hpp"
#include "probe/engine/mbuf_budget.hpp"
#include "probe/engine/run_config.hpp"

namespace tunprobe::engine {

constexpr unsigned kMbufCache = 256;  // per-lcore mempool cache
constexpr uint16_t kRxDesc = 1024;

// DPDK's log during start-up goes to memory: a failure then gives one line
// that quotes what DPDK said; after a good start it goes to stderr.
class DpdkLog {
 public:
  DpdkLog() = default;
  DpdkLog(const DpdkLog&) = delete;
  DpdkLog& operator=(const DpdkLog&) = delete;
  ~DpdkLog();
  void capture();
  // The last few lines DPDK logged, joined with "; ".
  std::string last_lines();
  // Back to DPDK's own stream; what was logged so far is written to stderr.
  void release();

 private:
  std::FILE* f_ = nullptr;
  char* buf_ = nullptr;
  std::size_t len_ = 0;
};

// ---------------------------------------------------------------- EAL

// RX queues a port input gets: one per rx_pcap= file (net_pcap), one per
// worker for rss, else one.
uint16_t port_queues(const InputSpec& in, const RunConfig& cfg, Dispatch dispatch);

// What the lcores of a run hold besides the NIC descriptors.
MbufUsers run_mbuf_users(const RunConfig& cfg, bool rings, unsigned lcores);

// EAL -m (MB) for a run without hugepages (no dpdk: input), sized from its
// pool, its rings and DPDK's own needs; 0: hugepages, or -m given with --eal.
uint64_t eal_memory_for(const RunConfig& cfg, Dispatch dispatch, bool rings, const MbufUsers& users);

// The EAL's arguments: no hugepages or PCI unless a NIC is used, a vdev per
// kernel interface, the lcores on the CPUs we may use, then --eal.
// Appends lines for stderr to `notes`.
std::vector<std::string> eal_arguments(const RunConfig& cfg, Dispatch dispatch, unsigned lcores,
                                       uint64_t memory_mb, std::vector<std::string>& notes);

// rte_eal_init with stdout and stderr held back (EAL prints its usage on
// stdout, which may be the JSON output): a failure is one StartupError line
// that quotes DPDK; after a good start stderr gets what EAL said there.
void start_eal(std::vector<std::string>& args, DpdkLog& log);

// net_pcap vdevs: the end of a capture queue is known from its packet count.
uint64_t count_pcap_packets(const std::string& path, const std::string& input, std::vector<std::string>& notes);

// ---------------------------------------------------------------- ports

// A port input, planned before its pool exists.
struct PortPlan {
  uint16_t port = 0;
  uint16_t queues = 1;
  uint16_t rx_desc = kRxDesc, tx_desc = 512;
  int socket = 0;  // of its pool
  rte_eth_conf conf{};
};

// Finds the port, checks what rss needs of it, chooses its RSS key and its
// timestamps. Throws StartupError.
PortPlan plan_port(const InputSpec& in, unsigned index, const RunConfig& cfg, Dispatch dispatch);
// Configures its queues on `pool` and starts it. Throws StartupError.
void start_port(const InputSpec& in, const PortPlan& p, rte_mempool* pool);
// The port's counters now, into `ps`: rte_eth_stats (ipackets, imissed,
// ierrors, rx_nombuf) and, with `kernel` (af_packet), the kernel's drops,
// polled, its socket's added to imissed. For --metrics and the summary.
void read_port_counters(const PortPlan& pp, KernelDropCounter* kernel, PortSummary& ps);
// Packets the ports could not deliver so far: NIC imissed and, for
// af_packet, the kernel socket's drops (polled here).
uint64_t missed_packets(const std::vector<PortPlan>& ports,
                        const std::vector<std::unique_ptr<KernelDropCounter>>& kernel_drops);
// The port's statistics for the summary; then it is stopped and closed.
PortSummary stop_port(const InputSpec& in, const PortPlan& p, const std::vector<uint64_t>& expected,
                      KernelDropCounter* kernel);

// ---------------------------------------------------------------- pools and privileges

rte_mempool* create_pool(int socket, const MbufDemand& d, PoolSummary& out);

// DPDK needs root to map hugepages and open NICs; once the ports run,
// nothing else does: the outputs open after the drop, as this user.
void drop_privileges(const std::string& user);

}  // namespace tunprobe::engine
