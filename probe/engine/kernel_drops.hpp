// Drops that happen in the kernel before an af_packet port sees a packet.
//
// DPDK 22.11's net_af_packet reports no imissed: packets the kernel drops
// because the socket's ring is full (tpacket_stats.tp_drops) would be
// hidden. The sockets are this process's own file descriptors, so tunprobe
// finds the AF_PACKET sockets bound to the interface and reads
// PACKET_STATISTICS itself (which the driver never reads, so nothing else
// resets the counters). The interface's own rx_dropped (e.g. runt frames)
// is reported beside it, as a delta from start.
#pragma once

#include <cstdint>
#include <string>

namespace tunprobe {

struct KernelDrops {
  uint64_t socket_drops = 0;     // ring full: sum of tp_drops
  uint64_t interface_drops = 0;  // /sys/class/net/IF/statistics/rx_dropped since start
};

class KernelDropCounter {
 public:
  explicit KernelDropCounter(std::string iface);
  // From now on: what was dropped before the run is not counted.
  void start();
  // Adds what accumulated since the last call (PACKET_STATISTICS resets on read).
  void poll();
  const KernelDrops& drops() const { return drops_; }

 private:
  uint64_t read_interface_dropped() const;
  std::string iface_;
  int ifindex_;
  uint64_t if_dropped_at_start_;
  KernelDrops drops_;
};

}  // namespace tunprobe
