// Flow key and flow record: what the flow cache stores and what the exporter
// turns into JSON lines and IPFIX records.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "probe/base/protocols.hpp"
#include "probe/decode/addr_class.hpp"
#include "probe/decode/packet.hpp"
#include "probe/base/tunnel_type.hpp"

namespace tunprobe {

// Why a flow was exported: IPFIX flowEndReason (IANA registry, RFC 5102).
// X(enumerator, ipfix value, name)
#define TUNPROBE_END_REASONS(X)       \
  X(none, 0, "none")                  \
  X(idle, 1, "idleTimeout")           \
  X(active, 2, "activeTimeout")       \
  X(end_of_flow, 3, "endOfFlowDetected") \
  X(forced, 4, "forcedEnd")           \
  X(lack_of_resources, 5, "lackOfResources")

enum class EndReason : uint8_t {
#define TUNPROBE_X(e, v, n) e = v,
  TUNPROBE_END_REASONS(TUNPROBE_X)
#undef TUNPROBE_X
};

inline constexpr auto kEndReasonNames = std::to_array<std::string_view>({
#define TUNPROBE_X(e, v, n) n,
    TUNPROBE_END_REASONS(TUNPROBE_X)
#undef TUNPROBE_X
});
// Names are looked up by value: the values are the indexes.
#define TUNPROBE_X(e, v, n) static_assert(static_cast<std::size_t>(EndReason::e) == v && v < kEndReasonNames.size());
TUNPROBE_END_REASONS(TUNPROBE_X)
#undef TUNPROBE_X

constexpr std::string_view end_reason_name(EndReason r) { return kEndReasonNames[static_cast<std::size_t>(r)]; }

// The flow key (DESIGN.md): inner (or native) 5-tuple + tunnel type + outer
// IPv4 pair (+ outer UDP ports for UDP carriers, the GRE key for GRE) +
// VLAN ids. ICMP has no ports:
// the destination port holds type << 8 | code (the NetFlow convention), so
// echo requests and replies are separate flows. A packet that should carry
// a transport header but whose header was not seen (a later fragment whose
// first fragment never came, a header cut before its ports) has neither
// ports nor an ICMP type: `flags` says so (kKeyNoTransport), so that such a
// packet never joins, say, an ICMP echo-reply flow (type 0, code 0) of the
// same addresses. 64 bytes, no padding holes, compared as eight 64-bit
// words. 8-byte aligned: rte_hash_crc reads it in 64-bit words.
struct alignas(8) FlowKey {
  uint8_t src[16];
  uint8_t dst[16];
  uint32_t outer_src4;
  uint32_t outer_dst4;
  uint16_t sport;
  uint16_t dport;
  uint16_t outer_sport;
  uint16_t outer_dport;
  uint16_t vlan_outer;
  uint16_t vlan_inner;
  uint8_t protocol;
  uint8_t ip_version;
  TunnelType tunnel;
  uint8_t flags;  // kKey* bits
  // --mirror: the mirror the packets came in and its session (VNI, ERSPAN
  // session id, GRE key): two mirror sessions are two observation points.
  uint32_t observation_id;
  MirrorType mirror;
  uint8_t zero_[3];  // always 0: the key is compared as whole words
};
static_assert(sizeof(FlowKey) == 64);

inline constexpr uint8_t kKeyNoTransport = 0x01;
// GRE: the packets carried a key (RFC 2890 2.1; in outer_sport:outer_dport),
// so that key 0 and no key are two tunnels.
inline constexpr uint8_t kKeyGreKey = 0x02;

// IP protocols whose packets carry ports or an ICMP type in the flow key.
constexpr bool protocol_has_transport_key(uint8_t protocol) {
  return protocol == kIpProtoTcp || protocol == kIpProtoUdp || protocol == kIpProtoSctp || is_icmp_protocol(protocol);
}

// The key's flags for a parsed packet.
inline uint8_t key_flags(const PacketInfo& p) noexcept {
  // Most packets have ports: the cheap tests first.
  return static_cast<uint8_t>(
      (!p.has_ports && !p.has_icmp && protocol_has_transport_key(p.protocol) ? kKeyNoTransport : 0) |
      (p.gre_key_present ? kKeyGreKey : 0));
}

inline bool key_equal(const FlowKey& a, const FlowKey& b) noexcept {
  uint64_t wa[8], wb[8];
  std::memcpy(wa, &a, sizeof wa);
  std::memcpy(wb, &b, sizeof wb);
  uint64_t diff = 0;
  for (int i = 0; i < 8; ++i) diff |= wa[i] ^ wb[i];
  return diff == 0;
}

// Builds the key of a parsed packet (its verdict must be a kFlow one).
inline void make_key(const PacketInfo& p, FlowKey& k) noexcept {
  std::memcpy(k.src, p.src, 16);
  std::memcpy(k.dst, p.dst, 16);
  k.outer_src4 = p.tunnel != TunnelType::none ? p.outer_src4 : 0;
  k.outer_dst4 = p.tunnel != TunnelType::none ? p.outer_dst4 : 0;
  if (p.has_ports) {
    k.sport = p.sport;
    k.dport = p.dport;
  } else if (p.has_icmp) {
    k.sport = 0;
    k.dport = static_cast<uint16_t>(p.icmp_type << 8 | p.icmp_code);
  } else {
    k.sport = k.dport = 0;
  }
  k.outer_sport = tunnel_has_outer_id(p.tunnel) ? p.outer_sport : 0;
  k.outer_dport = tunnel_has_outer_id(p.tunnel) ? p.outer_dport : 0;
  k.vlan_outer = p.vlan_outer;
  k.vlan_inner = p.vlan_inner;
  k.protocol = p.protocol;
  k.ip_version = p.ip_version;
  k.tunnel = p.tunnel;
  k.flags = key_flags(p);
  k.observation_id = p.observation_id;
  k.mirror = p.mirror;
  k.zero_[0] = k.zero_[1] = k.zero_[2] = 0;
}

// One flow. Three cache lines: the key; the counters every packet updates;
// what a few flows need beyond their key (written and read only for them:
// record_has_outer_ipv6), so that most packets and most exports touch two
// lines. Facts that follow from the key (Teredo server and client, embedded
// IPv4, relay) are derived at export, not stored. Times are packet time on
// the worker's clock (never backwards), 64-bit ms.
struct alignas(64) FlowRecord {
  FlowKey key;
  uint64_t first_ms;       // packet time of the first packet, ms since 1970
  uint64_t packets;        // frames counted into this flow
  uint64_t octets;         // IP octets of the inner (or native) packets
  uint64_t outer_octets;   // IP octets of the outer IPv4 packets (tunnels)
  // The last packet's time, in ms after first_ms (last_ms()): a record
  // lives at most --active-timeout (86,400 s) < 2^32 ms; the cache ends it
  // before a packet past that joins it.
  uint32_t last_after_ms;
  uint32_t teredo_bubbles;
  uint32_t teredo_auth;
  uint32_t teredo_origin;
  uint8_t tcp_flags;       // OR of all packets
  uint8_t tos;             // of the first packet
  uint8_t min_ttl;
  uint8_t max_ttl;
  AddrClass src_class;
  AddrClass dst_class;
  EndReason end_reason;
  uint8_t worker;          // which worker kept it (load balance checks)
  uint8_t teredo_trailers; // OR of the packets' RFC 6081 trailer bits (kTeredoTrailer*)
  // TCP: the first FIN or RST was seen this many ms after first_ms, plus 1
  // (0: none). The flow then ends --tcp-end-grace later, so that the last
  // ACK, a retransmitted FIN or the peer's RST still count into it.
  uint32_t tcp_end_ms;
  // The outer IPv6 header of an IP-in-IPv6 tunnel (the key holds only the
  // digests of these addresses).
  alignas(64) uint8_t outer_src6[16];
  uint8_t outer_dst6[16];
  uint8_t spare_[32];
};
static_assert(sizeof(FlowRecord) == 192 && offsetof(FlowRecord, outer_src6) == 128);

// The third line is in use: the flow's outer header is IPv6.
inline bool record_has_outer_ipv6(const FlowRecord& r) noexcept { return tunnel_has_outer_ipv6(r.key.tunnel); }

// Copies a record: its third line only when it is in use (else zeroed), so
// that exporting a record does not read a line nothing wrote.
inline void copy_record(FlowRecord& to, const FlowRecord& from) noexcept {
  std::memcpy(static_cast<void*>(&to), &from, offsetof(FlowRecord, outer_src6));
  if (record_has_outer_ipv6(from))
    std::memcpy(to.outer_src6, from.outer_src6, sizeof from.outer_src6 + sizeof from.outer_dst6 + sizeof from.spare_);
  else
    std::memset(to.outer_src6, 0, sizeof to.outer_src6 + sizeof to.outer_dst6 + sizeof to.spare_);
}

inline uint64_t last_ms(const FlowRecord& r) noexcept { return r.first_ms + r.last_after_ms; }

}  // namespace tunprobe
