// PacketInfo: everything the parser learns about one packet. The flow
// stage builds its key and record from it; `tunprobe decode` prints it.
// Plain data, filled in place by parse_frame(): no allocation.
#pragma once

#include <cstdint>
#include <type_traits>

#include "probe/base/mirror_type.hpp"
#include "probe/decode/addr_class.hpp"
#include "probe/base/tunnel_type.hpp"
#include "probe/base/verdict.hpp"

namespace tunprobe {

// RFC 6081 section 4 trailers seen after a Teredo packet's IPv6 packet
// (TeredoInfo::trailers): one bit per trailer type, and one for bytes that
// are no trailer. The flow record ORs them; the flowmon profile exports them
// as tunnelTeredoTrailers.
inline constexpr uint8_t kTeredoTrailerNonce = 0x01;              // type 0x01 (section 4.2)
inline constexpr uint8_t kTeredoTrailerAlternateAddress = 0x02;   // type 0x03 (section 4.3)
inline constexpr uint8_t kTeredoTrailerNeighborDiscovery = 0x04;  // type 0x04 (section 4.4)
inline constexpr uint8_t kTeredoTrailerRandomPort = 0x08;         // type 0x05 (section 4.5)
inline constexpr uint8_t kTeredoTrailerUnparsed = 0x80;           // bytes that are no RFC 6081 trailer

// Teredo facts (RFC 4380): from the Teredo address of the inner packet (the
// source if it is a Teredo address, else the destination), from the
// optional headers in front of the inner IPv6 packet and from the trailers
// after it (RFC 6081).
struct TeredoInfo {
  uint32_t server_ipv4 = 0;   // bits 32-63 of the Teredo address
  uint32_t client_ipv4 = 0;   // mapped client address, de-obfuscated
  uint16_t client_port = 0;   // mapped client port, de-obfuscated
  uint16_t flags = 0;         // bits 64-79 of the Teredo address
  uint32_t origin_ipv4 = 0;   // origin indication, de-obfuscated
  uint16_t origin_port = 0;
  bool has_address = false;   // an inner address is in 2001::/32
  bool bubble = false;        // next header 59, payload length 0
  bool auth = false;          // authentication header present
  bool origin = false;        // origin indication present
  uint8_t trailers = 0;       // kTeredoTrailer* bits
};

struct PacketInfo {
  Verdict verdict = Verdict::ok;

  // Link layer.
  uint8_t vlan_count = 0;     // 0, 1 or 2 tags kept
  uint16_t vlan_outer = 0;    // first tag's id
  uint16_t vlan_inner = 0;    // second tag's id (QinQ)
  bool has_mpls = false;
  // The mirror whose headers were stripped (--mirror; none: the frame came
  // as it is) and its session: the VXLAN VNI, the ERSPAN session id, the GRE
  // key of Ethernet bridging (0 when none). The other fields are the
  // mirrored frame's.
  MirrorType mirror = MirrorType::none;
  uint32_t mpls_top_label = 0;
  uint32_t observation_id = 0;

  // Outer IP header of a tunneled packet (valid when tunnel != none).
  TunnelType tunnel = TunnelType::none;
  uint32_t outer_src4 = 0;
  uint32_t outer_dst4 = 0;
  uint16_t outer_sport = 0;   // UDP carriers: the outer ports; GRE: the key's high and low 16 bits
  uint16_t outer_dport = 0;
  bool gre_key_present = false;  // GRE: the K bit (RFC 2890 2.1); the key is outer_sport:outer_dport
  uint32_t outer_length = 0;  // outer IPv4 total length (IPv6: 40 + payload length)
  uint8_t outer_ttl = 0;
  // An outer IPv6 header (tunnel_has_outer_ipv6): its addresses; outer_src4
  // and outer_dst4 then hold their digests (outer_address_digest), which
  // the flow key keeps in their place.
  uint8_t outer_src6[16] = {};
  uint8_t outer_dst6[16] = {};

  // 6to4 / ISATAP / 6rd: the IPv4 address embedded in each inner address
  // (0 where that end carries none), whether it equals the outer address of
  // the same end, and the relay: for 6to4 the outer address of an end that
  // is not explained by its own 6to4 address (a relay router).
  uint32_t embedded_src4 = 0;
  uint32_t embedded_dst4 = 0;
  uint32_t relay4 = 0;
  TeredoInfo teredo;

  // The inner packet of a tunnel, or the native packet.
  uint8_t ip_version = 0;     // 4 or 6
  uint8_t src[16] = {};       // IPv4: bytes 0-3, rest zero
  uint8_t dst[16] = {};
  uint8_t protocol = 0;       // last next-header / IPv4 protocol
  uint8_t tos = 0;            // IPv4 ToS / IPv6 traffic class
  uint8_t ttl = 0;            // IPv4 TTL / IPv6 hop limit
  uint32_t ip_length = 0;     // IPv4 total length / 40 + IPv6 payload length (up to 65575)
  uint32_t flow_label = 0;

  // Fragments. is_fragment: the packet is a fragment; first_fragment: it is
  // the one at offset 0 (and carries the L4 header). Later fragments carry
  // no ports: the flow stage maps them by (src, dst, frag_id, protocol).
  bool is_fragment = false;
  bool first_fragment = false;
  uint32_t frag_id = 0;
  uint16_t frag_offset = 0;   // in bytes
  uint8_t frag_proto = 0;     // IPv4 protocol / next header of the IPv6 fragment header
  // The fragment is the outer IPv4 packet of a tunnel (the fields above are
  // then the outer header's; its later fragments arrive as plain IPv4).
  bool frag_outer = false;

  // Transport: what was captured of its header (a snaplen or the IP length
  // may cut it; the verdict is then l4_truncated).
  bool has_ports = false;
  bool has_tcp_flags = false;  // byte 13 of the TCP header was captured (in a hole)
  uint16_t sport = 0;
  uint16_t dport = 0;
  uint8_t tcp_flags = 0;
  bool has_icmp = false;
  uint8_t icmp_type = 0;
  uint8_t icmp_code = 0;

  AddrClass src_class = AddrClass::none;
  AddrClass dst_class = AddrClass::none;
};

// Storage for a PacketInfo that a parse_* function is about to fill: they
// clear every byte before they write a field, so the hot paths skip the
// member initialisers (a burst of 64 value-initialised records wrote 9.5 KB
// per burst for nothing).
union PacketInfoSlot {
  PacketInfo info;
  PacketInfoSlot() noexcept {}
};
static_assert(std::is_trivially_destructible_v<PacketInfo>);

// The 32 bits that stand for an outer IPv6 address in the flow key (whose
// outer slots are 32 bits wide; the record keeps the whole address): the
// address's two halves mixed by a 64-bit finaliser (splitmix64's, Steele,
// Lea and Flood 2014), so that every address bit moves about half the
// digest's bits. Two outer pairs of the same inner flow merge only when
// both ends' digests collide: about 2^-64 for two given pairs.
inline uint32_t outer_address_digest(const uint8_t a[16]) noexcept {
  uint64_t hi = 0, lo = 0;
  for (int i = 0; i < 8; ++i) hi = hi << 8 | a[i];
  for (int i = 8; i < 16; ++i) lo = lo << 8 | a[i];
  uint64_t x = hi ^ (lo << 29 | lo >> 35) ^ 0x9e37'79b9'7f4a'7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58'476d'1ce4'e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d0'49bb'1331'11ebull;
  x ^= x >> 31;
  return static_cast<uint32_t>(x ^ (x >> 32));
}

// GRE: the key, from the outer-port slot.
inline uint32_t gre_key(const PacketInfo& p) noexcept { return uint32_t{p.outer_sport} << 16 | p.outer_dport; }

inline uint32_t ipv4_of(const uint8_t a[16]) noexcept {
  return (uint32_t{a[0]} << 24) | (uint32_t{a[1]} << 16) | (uint32_t{a[2]} << 8) | a[3];
}

}  // namespace tunprobe
