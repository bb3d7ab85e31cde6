// NIC RSS model: the Toeplitz hash a NIC computes on the OUTER header of a
// packet and the queue its redirection table (RETA) gives, computed with
// DPDK's rte_softrss(). tunprobe-split uses it to pre-split captures the
// way a multi-queue NIC would (one net_pcap rx_pcap per queue), and tests
// use it to show what RSS does to tunnels: every inner flow of one tunnel
// shares the outer tuple, so a heavy Teredo relay lands on ONE queue (the
// CRC distributor, hw/crc_dispatch.hpp, hashes the inner flow instead).
//
// Hash input (Microsoft RSS / Intel 82599 7.1.2.8), as a NIC builds it:
//
//   packet (outer header)                       input bytes, in order
//   ------------------------------------------  -----------------------------
//   IPv4, TCP or UDP, not a fragment            src4 dst4 sport dport   (12)
//   IPv4, any other protocol, or a fragment     src4 dst4                (8)
//   IPv6, TCP or UDP, no Fragment header        src6 dst6 sport dport   (36)
//   IPv6, other protocol, or a fragment         src6 dst6               (32)
//
//   * "Outer": a tunneled packet is hashed on its outer IPv4 header. Teredo
//     is UDP, so its outer UDP ports are in; protocol 41 (6to4, ISATAP, 6rd,
//     6in4) is L3-only: the outer IPv4 pair alone.
//   * SCTP, ICMP, ESP ...: L3 only (NICs that hash SCTP use a separate
//     RTE_ETH_RSS_*_SCTP type that tunprobe does not turn on).
//   * Fragments (IPv4 MF or offset, IPv6 Fragment header): L3 only, first
//     fragment included, as NICs do. For a tunnel, only a fragmented OUTER
//     header counts (PacketInfo::frag_outer): an inner IPv6 Fragment header
//     inside a whole Teredo datagram keeps the outer UDP ports, as on a NIC.
//   * VLAN tags and MPLS labels are not hashed; PPPoE, MPLS payloads are
//     hashed like plain IP here (real NICs often give them hash 0).
//   * Packets the parser drops (no usable IP header) have no hash: the
//     model returns hash 0, queue reta[0] = 0.
//
// Key: rte_softrss() takes the key as the NIC does (byte 0 first) and the
// tuple as host-order 32-bit words. Toeplitz consumes key bits 0 ..
// 32*(words+1)-1, so IPv6 with ports needs 40 bytes.
//   * kSymmetricRssKey40: 0x6d5a repeated (Woo & Park, "Scalable TCP
//     Session Monitoring with Symmetric Receive-side Scaling", 2012): a key
//     with a 16-bit period makes the hash blind to swapping two 16-bit
//     aligned fields of the input, i.e. src/dst addresses and ports, so both
//     directions of a flow reach one queue. Consequence worth knowing: the
//     hash then only depends on the XOR of all 16-bit words of the input,
//     and its upper 16 bits equal its lower 16 bits.
//   * kSymmetricRssKey52: the same pattern for NICs with a 52-byte key
//     (i40e X710/XL710, ice E810). Bytes 40..51 are never reached by a
//     36-byte input, so it gives the same hashes as the 40-byte key.
//   * kMicrosoftRssKey: the key of the Microsoft/Intel verification suite
//     (and DPDK's test_thash), not symmetric; for checking the model.
//
// Queue: queue = reta[hash & (reta_size - 1)] (the low bits of the hash, as
// 82599 uses 7 and X710 9 of them). The default RETA is what DPDK PMDs
// program at start: round-robin, reta[i] = i % nb_queues. Size 128 by
// default (ixgbe 82599/X540; 512 for i40e, ice and mlx5): with round-robin
// and a power-of-two queue count both sizes give the same queue; they
// differ only for other counts (e.g. 3 or 6 queues).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

#include "probe/decode/packet.hpp"

namespace tunprobe::hw {

// An RSS hash key, 4-byte aligned (rte_softrss reads it as 32-bit words).
struct RssKey {
  alignas(4) std::array<uint8_t, 52> bytes{};
  uint8_t size = 0;  // 40 or 52 bytes used
};

extern const RssKey kSymmetricRssKey40;
extern const RssKey kSymmetricRssKey52;
extern const RssKey kMicrosoftRssKey;

// The hash input of one packet (see the table above).
struct RssTuple {
  uint8_t version = 0;  // 4 or 6; 0: no IP header, no hash
  bool l4 = false;      // ports are part of the input
  uint8_t src[16] = {}; // IPv4: bytes 0-3 in network order
  uint8_t dst[16] = {};
  uint16_t sport = 0;
  uint16_t dport = 0;
};

// What a NIC would hash for this packet: the outer header.
RssTuple rss_outer_tuple(const PacketInfo& pkt) noexcept;

// Toeplitz hash of the tuple with rte_softrss(); 0 when version is 0.
uint32_t rss_hash(const RssTuple& t, const RssKey& key) noexcept;

// A redirection table: queue index per entry.
struct RssReta {
  static constexpr unsigned kMaxSize = 512;
  std::array<uint16_t, kMaxSize> queue{};
  uint16_t size = 128;  // a power of two, 64 .. 512
};

// Empty when the pair is valid (reta_size 64, 128, 256 or 512; nb_queues
// 1 .. reta_size), else a message naming the allowed values.
std::string check_rss_config(unsigned nb_queues, unsigned reta_size);

// Round-robin RETA: queue[i] = i % nb_queues. Arguments must have passed
// check_rss_config().
RssReta default_reta(uint16_t nb_queues, uint16_t reta_size = 128) noexcept;

inline uint16_t reta_lookup(const RssReta& reta, uint32_t hash) noexcept {
  return reta.queue[hash & (reta.size - 1u)];
}

// Key + RETA: the NIC's RSS state for one port.
struct RssModel {
  const RssKey* key = &kSymmetricRssKey40;
  RssReta reta = default_reta(1);

  uint32_t hash(const PacketInfo& pkt) const noexcept { return rss_hash(rss_outer_tuple(pkt), *key); }
  uint16_t queue(const PacketInfo& pkt) const noexcept { return reta_lookup(reta, hash(pkt)); }
};

}  // namespace tunprobe::hw
