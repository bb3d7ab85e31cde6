#include "probe/engine/kernel_drops.hpp"

#include <dirent.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <sys/socket.h>

#include <cstdlib>
#include <fstream>

namespace tunprobe {

KernelDropCounter::KernelDropCounter(std::string iface)
    : iface_(std::move(iface)), ifindex_(static_cast<int>(if_nametoindex(iface_.c_str()))) {
  if_dropped_at_start_ = read_interface_dropped();
}

uint64_t KernelDropCounter::read_interface_dropped() const {
  std::ifstream f("/sys/class/net/" + iface_ + "/statistics/rx_dropped");
  uint64_t v = 0;
  f >> v;
  return v;
}

void KernelDropCounter::start() {
  poll();
  drops_ = {};
  if_dropped_at_start_ = read_interface_dropped();
}

void KernelDropCounter::poll() {
  if (DIR* d = opendir("/proc/self/fd")) {
    while (dirent* e = readdir(d)) {
      const int fd = std::atoi(e->d_name);
      if (fd <= 2) continue;
      sockaddr_ll sll{};
      socklen_t len = sizeof sll;
      if (getsockname(fd, reinterpret_cast<sockaddr*>(&sll), &len) != 0 || sll.sll_family != AF_PACKET ||
          sll.sll_ifindex != ifindex_)
        continue;
      tpacket_stats st{};
      socklen_t sl = sizeof st;
      if (getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, &st, &sl) == 0) drops_.socket_drops += st.tp_drops;
    }
    closedir(d);
  }
  const uint64_t now = read_interface_dropped();
  drops_.interface_drops = now >= if_dropped_at_start_ ? now - if_dropped_at_start_ : 0;
}

}  // namespace tunprobe
