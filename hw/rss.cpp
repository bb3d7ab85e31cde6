#include "hw/rss.hpp"

#include <fmt/format.h>

#include <cstring>

#include "probe/base/bytes.hpp"

// rte_thash.h pulls in rte_ip.h -> rte_mbuf.h -> rte_spinlock.h, whose
// recursive lock does `slr->count++` on a volatile member: deprecated in
// C++20 (-Wvolatile, an error under -Werror). Only that warning is silenced,
// and only for DPDK's headers.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wvolatile"
#include <rte_thash.h>
#pragma GCC diagnostic pop

namespace tunprobe::hw {

namespace {


constexpr RssKey symmetric_key(uint8_t size) {
  RssKey k;
  k.size = size;
  for (std::size_t i = 0; i < k.bytes.size(); i += 2) {
    k.bytes[i] = 0x6d;
    k.bytes[i + 1] = 0x5a;
  }
  return k;
}

}  // namespace

constinit const RssKey kSymmetricRssKey40 = symmetric_key(40);
constinit const RssKey kSymmetricRssKey52 = symmetric_key(52);
constinit const RssKey kMicrosoftRssKey = {
    {0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3,
     0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3,
     0x80, 0x30, 0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa},
    40};

RssTuple rss_outer_tuple(const PacketInfo& pkt) noexcept {
  RssTuple t;
  if (verdict_is_drop(pkt.verdict) || (pkt.ip_version != 4 && pkt.ip_version != 6)) return t;
  if (pkt.tunnel == TunnelType::none) {
    t.version = pkt.ip_version;
    std::memcpy(t.src, pkt.src, 16);
    std::memcpy(t.dst, pkt.dst, 16);
    t.l4 = pkt.has_ports && !pkt.is_fragment && (pkt.protocol == kIpProtoTcp || pkt.protocol == kIpProtoUdp);
    if (t.l4) {
      t.sport = pkt.sport;
      t.dport = pkt.dport;
    }
    return t;
  }
  if (tunnel_has_outer_ipv6(pkt.tunnel)) {
    // The NIC hashes the outer IPv6 header: next header 41 or 4 has no ports.
    t.version = 6;
    std::memcpy(t.src, pkt.outer_src6, 16);
    std::memcpy(t.dst, pkt.outer_dst6, 16);
    return t;
  }
  t.version = 4;
  store_ipv4_slot(t.src, pkt.outer_src4);
  store_ipv4_slot(t.dst, pkt.outer_dst4);
  if (tunnel_has_outer_ports(pkt.tunnel) && !(pkt.is_fragment && pkt.frag_outer)) {
    t.l4 = true;
    t.sport = pkt.outer_sport;
    t.dport = pkt.outer_dport;
  }
  return t;
}

uint32_t rss_hash(const RssTuple& t, const RssKey& key) noexcept {
  // rte_softrss wants host-order 32-bit words: addresses word by word, then
  // (sport << 16 | dport), i.e. the input bytes of the table in rss.hpp.
  uint32_t words[9];
  uint32_t n = 0;
  if (t.version == 4) {
    words[n++] = load_be32(t.src);
    words[n++] = load_be32(t.dst);
  } else if (t.version == 6) {
    for (int i = 0; i < 4; ++i) words[n++] = load_be32(t.src + 4 * i);
    for (int i = 0; i < 4; ++i) words[n++] = load_be32(t.dst + 4 * i);
  } else {
    return 0;
  }
  if (t.l4) words[n++] = (uint32_t{t.sport} << 16) | t.dport;
  return rte_softrss(words, n, key.bytes.data());
}

std::string check_rss_config(unsigned nb_queues, unsigned reta_size) {
  if (reta_size != 64 && reta_size != 128 && reta_size != 256 && reta_size != 512)
    return fmt::format("RETA size {} is not allowed: use 64, 128 (ixgbe), 256 or 512 (i40e, ice, mlx5)", reta_size);
  if (nb_queues < 1 || nb_queues > reta_size)
    return fmt::format("queue count {} is not allowed: RSS needs 1 to {} queues with a {}-entry RETA", nb_queues,
                       reta_size, reta_size);
  return {};
}

RssReta default_reta(uint16_t nb_queues, uint16_t reta_size) noexcept {
  RssReta r;
  r.size = reta_size;
  for (unsigned i = 0; i < reta_size; ++i) r.queue[i] = static_cast<uint16_t>(i % nb_queues);
  return r;
}

}  // namespace tunprobe::hw
