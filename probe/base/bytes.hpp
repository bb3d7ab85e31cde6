// Unaligned big-endian loads and stores for headers. memcpy compiles to a
// single load or store; the byte swap to bswap.
#pragma once

#include <cstdint>
#include <cstring>

namespace tunprobe {

inline uint16_t load_be16(const uint8_t* p) noexcept {
  uint16_t v;
  std::memcpy(&v, p, sizeof v);
  return __builtin_bswap16(v);
}

inline uint32_t load_be32(const uint8_t* p) noexcept {
  uint32_t v;
  std::memcpy(&v, p, sizeof v);
  return __builtin_bswap32(v);
}

inline uint64_t load_be64(const uint8_t* p) noexcept {
  uint64_t v;
  std::memcpy(&v, p, sizeof v);
  return __builtin_bswap64(v);
}

inline void store_be16(uint8_t* p, uint16_t v) noexcept {
  v = __builtin_bswap16(v);
  std::memcpy(p, &v, sizeof v);
}

inline void store_be32(uint8_t* p, uint32_t v) noexcept {
  v = __builtin_bswap32(v);
  std::memcpy(p, &v, sizeof v);
}

// An IPv4 address in a 16-byte address slot (PacketInfo, FlowKey and the
// hardware models' field vectors): its four bytes first, zeros after.
inline void store_ipv4_slot(uint8_t slot[16], uint32_t addr) noexcept {
  std::memset(slot, 0, 16);
  store_be32(slot, addr);
}

}  // namespace tunprobe
