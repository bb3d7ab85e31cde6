// The CPUs this process may run on (its affinity mask), in order: the
// engine maps lcores onto them and the benchmark pins its workers to them.
#pragma once

#include <sched.h>

#include <vector>

namespace tunprobe {

inline std::vector<unsigned> allowed_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  std::vector<unsigned> cpus;
  if (sched_getaffinity(0, sizeof set, &set) == 0)
    for (unsigned c = 0; c < CPU_SETSIZE; ++c)
      if (CPU_ISSET(c, &set)) cpus.push_back(c);
  if (cpus.empty()) cpus.push_back(0);
  return cpus;
}

}  // namespace tunprobe
