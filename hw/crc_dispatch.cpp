#include "hw/crc_dispatch.hpp"

#include "probe/base/bytes.hpp"

#include <fmt/format.h>

#include <cstring>

// rte_hash_crc.h: header-only (static inline). Its RTE_INIT constructor
// picks the SSE4.2 path in each translation unit that includes it, calling
// rte_cpu_get_flag_enabled() from librte_eal; no EAL initialisation is
// needed. It compiles cleanly under -Wall -Wextra -Werror in C++20.
#include <rte_hash_crc.h>

namespace tunprobe::hw {

namespace {

constexpr uint32_t kCrc32cPolyReflected = 0x82F63B78u;

// One endpoint as written into the vector.
struct Endpoint {
  uint8_t addr[16];
  uint16_t port;
};

bool lower(const Endpoint& a, const Endpoint& b) noexcept {
  const int c = std::memcmp(a.addr, b.addr, sizeof a.addr);
  return c < 0 || (c == 0 && a.port < b.port);
}

}  // namespace

void build_field_vector(const PacketInfo& pkt, FieldVector& out) noexcept {
  out.fill(0);
  if (verdict_is_drop(pkt.verdict) || (pkt.ip_version != 4 && pkt.ip_version != 6)) return;

  Endpoint a{};
  Endpoint b{};
  uint8_t protocol = 0;
  uint8_t version = 0;
  if (pkt.tunnel != TunnelType::none && pkt.is_fragment && pkt.frag_outer) {
    // A fragmented outer header: the outer pair, as its later fragments
    // (parsed as native IPv4 or IPv6) have.
    if (tunnel_has_outer_ipv6(pkt.tunnel)) {
      version = 6;
      std::memcpy(a.addr, pkt.outer_src6, 16);
      std::memcpy(b.addr, pkt.outer_dst6, 16);
    } else {
      version = 4;
      store_ipv4_slot(a.addr, pkt.outer_src4);
      store_ipv4_slot(b.addr, pkt.outer_dst4);
    }
  } else if (tunnel_has_outer_ipv6(pkt.tunnel)) {
    // IP in IPv6: the outer packet of next header 41 or 4 without ports, as
    // the RTL core (which does not decode it) sees it; one tunnel's inner
    // flows (a DS-Lite B4's subscriber traffic) meet on one worker.
    version = 6;
    protocol = tunnel_outer_protocol(pkt.tunnel);
    std::memcpy(a.addr, pkt.outer_src6, 16);
    std::memcpy(b.addr, pkt.outer_dst6, 16);
  } else if (tunnel_carrier(pkt.tunnel) == Carrier::ipv4_gre) {
    // GRE: the outer packet, protocol 47 without ports, as the RTL core
    // (which does not decode GRE) sees it. One tunnel's inner flows meet
    // on one worker.
    version = 4;
    protocol = kIpProtoGre;
    store_ipv4_slot(a.addr, pkt.outer_src4);
    store_ipv4_slot(b.addr, pkt.outer_dst4);
  } else {
    version = pkt.ip_version;
    if (version == 4) {
      store_ipv4_slot(a.addr, ipv4_of(pkt.src));
      store_ipv4_slot(b.addr, ipv4_of(pkt.dst));
    } else {
      std::memcpy(a.addr, pkt.src, 16);
      std::memcpy(b.addr, pkt.dst, 16);
    }
    if (!pkt.is_fragment) {
      protocol = pkt.protocol;
      if (pkt.has_ports) {
        a.port = pkt.sport;
        b.port = pkt.dport;
      }
    }
  }
  const Endpoint& lo = lower(b, a) ? b : a;
  const Endpoint& hi = &lo == &a ? b : a;
  std::memcpy(out.data() + fv::kAddrLo, lo.addr, 16);
  std::memcpy(out.data() + fv::kAddrHi, hi.addr, 16);
  store_be16(out.data() + fv::kPortLo, lo.port);
  store_be16(out.data() + fv::kPortHi, hi.port);
  out[fv::kProtocol] = protocol;
  out[fv::kIpVersion] = version;
}

uint32_t crc32c_bitwise(const uint8_t* data, std::size_t len) noexcept {
  uint32_t crc = 0xFFFFFFFFu;
  for (std::size_t i = 0; i < len; ++i) {
    crc ^= data[i];
    for (int bit = 0; bit < 8; ++bit) crc = (crc >> 1) ^ (kCrc32cPolyReflected & (0u - (crc & 1u)));
  }
  return crc ^ 0xFFFFFFFFu;
}

uint32_t crc32c_fast(const uint8_t* data, std::size_t len) noexcept {
  // rte_hash_crc reads 8-, 4- and 2-byte words through plain pointers: on
  // x86 unaligned loads work, but they are undefined behaviour in C++ (and
  // UBSan says so). Aligned input (the field vector is alignas(8)) goes
  // straight through; anything else is copied through an aligned window.
  uint32_t reg = 0xFFFFFFFFu;
  if (reinterpret_cast<uintptr_t>(data) % alignof(uint64_t) == 0) {
    while (len > 0) {
      // A 32-bit length: longer buffers go in slices, the register carried.
      const uint32_t step = len > 0x40000000u ? 0x40000000u : static_cast<uint32_t>(len);
      reg = rte_hash_crc(data, step, reg);
      data += step;
      len -= step;
    }
    return ~reg;
  }
  alignas(8) uint8_t window[256];
  while (len > 0) {
    const std::size_t step = len < sizeof window ? len : sizeof window;
    std::memcpy(window, data, step);
    reg = rte_hash_crc(window, static_cast<uint32_t>(step), reg);
    data += step;
    len -= step;
  }
  return ~reg;
}

unsigned crc_dispatch(const PacketInfo& pkt, unsigned n) noexcept {
  alignas(8) FieldVector v;  // rte_hash_crc reads it as uint64_t words
  build_field_vector(pkt, v);
  if (v[fv::kIpVersion] == 0) return 0;
  return crc_channel(field_vector_hash(v), n);
}

std::string check_channel_count(unsigned n) {
  if (n >= 1 && n <= kMaxChannels && (n & (n - 1)) == 0) return {};
  return fmt::format("channel count {} is not allowed: the CRC distributor takes the low bits of the hash, so it "
                     "needs a power of two from 1 to {} (1, 2, 4, 8, 16, 32, 64)",
                     n, kMaxChannels);
}

}  // namespace tunprobe::hw
