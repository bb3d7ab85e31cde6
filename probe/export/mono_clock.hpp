// Milliseconds of CLOCK_MONOTONIC: the outputs' timers (message and batch
// age, template refresh, reconnection and retry back-off). Not packet time.
#pragma once

#include <time.h>

#include <cstdint>

namespace tunprobe {

inline uint64_t mono_ms() {
  timespec t{};
  clock_gettime(CLOCK_MONOTONIC, &t);
  return static_cast<uint64_t>(t.tv_sec) * 1000u + static_cast<uint64_t>(t.tv_nsec) / 1000000u;
}

}  // namespace tunprobe
