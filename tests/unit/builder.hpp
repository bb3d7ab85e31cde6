// Hand-built packets for the unit tests: each function returns one layer as
// a byte vector with its length fields filled in from what it wraps, so a
// test composes a packet inside out:
//
//   eth(kEtherIpv4, ipv4(v4("192.0.2.1"), v4("198.51.100.2"), kUdp,
//                        udp(1024, 3544, teredo_origin(...) + ipv6(...))))
//
// Only the standard library and inet_pton/inet_ntop; no checksums beyond
// the IPv4 header's (the parser reads none). Options structs let a test
// override a length or a version to build a malformed packet on purpose.
#pragma once

#include <arpa/inet.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <optional>
#include <vector>

#include "probe/base/protocols.hpp"

namespace tb {

using Bytes = std::vector<uint8_t>;
using A6 = std::array<uint8_t, 16>;

// EtherTypes, PPP protocols, IP protocol numbers: the tree's own
// (probe/base/protocols.hpp), plus a few only the tests send.
using tunprobe::kEtherIpv4;
using tunprobe::kEtherIpv6;
using tunprobe::kEtherMpls;
using tunprobe::kEtherPppoeSession;
using tunprobe::kEtherQinQ;
using tunprobe::kEtherQinQOld;
using tunprobe::kEtherVlan;
using tunprobe::kPppIpv4;
using tunprobe::kPppIpv6;
inline constexpr uint16_t kEtherArp = 0x0806;
inline constexpr uint16_t kEtherLldp = 0x88cc;
inline constexpr uint16_t kPppLcp = 0xc021;

inline constexpr uint8_t kHopByHop = tunprobe::kIpProtoHopByHop;
inline constexpr uint8_t kIcmp = tunprobe::kIpProtoIcmp;
inline constexpr uint8_t kIpip = tunprobe::kIpProtoIpip;
inline constexpr uint8_t kTcp = tunprobe::kIpProtoTcp;
inline constexpr uint8_t kUdp = tunprobe::kIpProtoUdp;
inline constexpr uint8_t kIpv6 = tunprobe::kIpProtoIpv6;
inline constexpr uint8_t kRouting = tunprobe::kIpProtoRouting;
inline constexpr uint8_t kFragment = tunprobe::kIpProtoFragment;
inline constexpr uint8_t kGre = tunprobe::kIpProtoGre;
inline constexpr uint8_t kEsp = tunprobe::kIpProtoEsp;
inline constexpr uint8_t kAh = tunprobe::kIpProtoAh;
inline constexpr uint8_t kIcmpv6 = tunprobe::kIpProtoIcmpv6;
inline constexpr uint8_t kNoNext = tunprobe::kIpProtoNoNext;
inline constexpr uint8_t kDstOpts = tunprobe::kIpProtoDstOpts;
inline constexpr uint8_t kSctp = tunprobe::kIpProtoSctp;

// ---------------------------------------------------------------- bytes

inline void put16(Bytes& b, std::size_t off, uint16_t v) {
  b.at(off) = static_cast<uint8_t>(v >> 8);
  b.at(off + 1) = static_cast<uint8_t>(v);
}

inline void put32(Bytes& b, std::size_t off, uint32_t v) {
  put16(b, off, static_cast<uint16_t>(v >> 16));
  put16(b, off + 2, static_cast<uint16_t>(v));
}

inline void push16(Bytes& b, uint16_t v) {
  b.push_back(static_cast<uint8_t>(v >> 8));
  b.push_back(static_cast<uint8_t>(v));
}

inline void push32(Bytes& b, uint32_t v) {
  push16(b, static_cast<uint16_t>(v >> 16));
  push16(b, static_cast<uint16_t>(v));
}

inline Bytes operator+(Bytes a, const Bytes& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// `n` payload bytes counting up from `first` (never a Teredo indicator or
// an IP version nibble by accident unless `first` says so).
inline Bytes filler(std::size_t n, uint8_t first = 0xa0) {
  Bytes b(n);
  for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>(first + i);
  return b;
}

// ---------------------------------------------------------------- addresses

inline uint32_t v4(const char* text) {
  in_addr a{};
  if (inet_pton(AF_INET, text, &a) != 1) throw std::invalid_argument(text);
  return ntohl(a.s_addr);
}

inline A6 v6(const char* text) {
  A6 a{};
  if (inet_pton(AF_INET6, text, a.data()) != 1) throw std::invalid_argument(text);
  return a;
}

inline std::string s4(uint32_t a) {
  in_addr n{};
  n.s_addr = htonl(a);
  char buf[INET_ADDRSTRLEN];
  return inet_ntop(AF_INET, &n, buf, sizeof buf);
}

inline std::string s6(const uint8_t* a) {
  char buf[INET6_ADDRSTRLEN];
  return inet_ntop(AF_INET6, a, buf, sizeof buf);
}

// An address from its two 64-bit halves.
inline A6 make6(uint64_t hi, uint64_t lo) {
  A6 a{};
  for (int i = 0; i < 8; ++i) {
    a[static_cast<std::size_t>(i)] = static_cast<uint8_t>(hi >> (56 - 8 * i));
    a[static_cast<std::size_t>(8 + i)] = static_cast<uint8_t>(lo >> (56 - 8 * i));
  }
  return a;
}

// RFC 4380 section 4: 2001:0:SERVER:FLAGS:~PORT:~CLIENT.
inline A6 teredo_addr(uint32_t server, uint16_t flags, uint16_t client_port, uint32_t client) {
  const uint64_t hi = (uint64_t{0x20010000} << 32) | server;
  const uint64_t lo =
      (uint64_t{flags} << 48) | (uint64_t{static_cast<uint16_t>(client_port ^ 0xffffu)} << 32) | (client ^ 0xffffffffu);
  return make6(hi, lo);
}

// RFC 3056: 2002:V4:SUBNET::IID.
inline A6 sixtofour_addr(uint32_t site, uint16_t subnet, uint64_t iid) {
  return make6((uint64_t{0x2002} << 48) | (uint64_t{site} << 16) | subnet, iid);
}

// RFC 5214: PREFIX::0:5efe:V4 (private) or PREFIX::200:5efe:V4 (global).
inline A6 isatap_addr(uint64_t prefix, uint32_t host, bool global = false) {
  return make6(prefix, (uint64_t{global ? 0x02005efeu : 0x00005efeu} << 32) | host);
}

// ---------------------------------------------------------------- transport

inline Bytes udp(uint16_t sport, uint16_t dport, const Bytes& payload = {}, int length = -1) {
  Bytes b(8);
  put16(b, 0, sport);
  put16(b, 2, dport);
  put16(b, 4, static_cast<uint16_t>(length >= 0 ? length : static_cast<int>(8 + payload.size())));
  return b + payload;
}

// TCP with `data_offset` words in the offset field; options (NOPs) fill the
// header up to that size when it is above 5.
inline Bytes tcp(uint16_t sport, uint16_t dport, uint8_t flags = 0x18, const Bytes& payload = {},
                 uint8_t data_offset = 5) {
  const std::size_t hlen = data_offset > 5 ? std::size_t{data_offset} * 4 : 20;
  Bytes b(hlen, 0x01);
  put16(b, 0, sport);
  put16(b, 2, dport);
  put32(b, 4, 0x01020304);  // seq
  put32(b, 8, 0);           // ack
  b[12] = static_cast<uint8_t>(data_offset << 4);
  b[13] = flags;
  put16(b, 14, 65535);  // window
  put32(b, 16, 0);      // checksum, urgent
  return b + payload;
}

// SCTP common header (12 bytes) and the given chunks.
inline Bytes sctp(uint16_t sport, uint16_t dport, const Bytes& chunks = {}) {
  Bytes b(12);
  put16(b, 0, sport);
  put16(b, 2, dport);
  put32(b, 4, 0xdeadbeef);  // verification tag
  return b + chunks;
}

// ICMP / ICMPv6: type, code, checksum, then 4 bytes (echo id and sequence).
inline Bytes icmp(uint8_t type, uint8_t code, const Bytes& payload = {}) {
  Bytes b{type, code, 0, 0, 0x12, 0x34, 0x00, 0x01};
  return b + payload;
}

// ---------------------------------------------------------------- IPv4

struct V4 {
  uint8_t tos = 0;
  uint8_t ttl = 64;
  uint16_t id = 0x1234;
  bool df = false;
  bool mf = false;
  uint16_t frag_offset = 0;  // bytes, a multiple of 8
  Bytes options{};           // padded with EOL to a multiple of 4
  int total = -1;            // total length override
  int ihl = -1;              // header length override, in words
  uint8_t version = 4;
};

inline Bytes ipv4(uint32_t src, uint32_t dst, uint8_t proto, const Bytes& payload, V4 o = {}) {
  while (o.options.size() % 4 != 0) o.options.push_back(0);
  const std::size_t hlen = 20 + o.options.size();
  Bytes b(20);
  const unsigned ihl = o.ihl >= 0 ? static_cast<unsigned>(o.ihl) : static_cast<unsigned>(hlen / 4);
  b[0] = static_cast<uint8_t>((o.version << 4) | (ihl & 0x0f));
  b[1] = o.tos;
  put16(b, 2, static_cast<uint16_t>(o.total >= 0 ? o.total : static_cast<int>(hlen + payload.size())));
  put16(b, 4, o.id);
  put16(b, 6, static_cast<uint16_t>((o.df ? 0x4000 : 0) | (o.mf ? 0x2000 : 0) | ((o.frag_offset / 8) & 0x1fff)));
  b[8] = o.ttl;
  b[9] = proto;
  put32(b, 12, src);
  put32(b, 16, dst);
  b = b + o.options;
  uint32_t sum = 0;
  for (std::size_t i = 0; i + 1 < b.size(); i += 2) sum += static_cast<uint32_t>(b[i] << 8 | b[i + 1]);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  put16(b, 10, static_cast<uint16_t>(~sum));
  return b + payload;
}

// ---------------------------------------------------------------- IPv6

struct V6 {
  uint8_t tclass = 0;
  uint32_t flow = 0;
  uint8_t hlim = 64;
  int plen = -1;  // payload length override
  uint8_t version = 6;
};

inline Bytes ipv6(const A6& src, const A6& dst, uint8_t next, const Bytes& payload, V6 o = {}) {
  Bytes b(8);
  put32(b, 0, (uint32_t{o.version} << 28) | (uint32_t{o.tclass} << 20) | (o.flow & 0xfffff));
  put16(b, 4, static_cast<uint16_t>(o.plen >= 0 ? o.plen : static_cast<int>(payload.size())));
  b[6] = next;
  b[7] = o.hlim;
  b.insert(b.end(), src.begin(), src.end());
  b.insert(b.end(), dst.begin(), dst.end());
  return b + payload;
}

// One IPv6 extension header. `size` is its whole length in bytes: a
// multiple of 8 for hop-by-hop, routing and destination options (RFC 8200),
// of 4 for AH (RFC 4302); the fragment header is always 8.
struct Ext {
  uint8_t type;
  std::size_t size = 8;
  uint16_t frag_offset = 0;  // fragment header: bytes, a multiple of 8
  bool more = false;
  uint32_t frag_id = 0;
};

// The chain `exts` followed by `payload`, whose protocol is `last`. The
// caller puts exts[0].type (or `last` when empty) in the IPv6 header.
inline Bytes ext_chain(const std::vector<Ext>& exts, uint8_t last, const Bytes& payload) {
  Bytes out;
  for (std::size_t i = 0; i < exts.size(); ++i) {
    const Ext& e = exts[i];
    const uint8_t next = i + 1 < exts.size() ? exts[i + 1].type : last;
    Bytes h;
    if (e.type == kFragment) {
      h.assign(8, 0);
      h[0] = next;
      put16(h, 2, static_cast<uint16_t>((e.frag_offset & 0xfff8) | (e.more ? 1 : 0)));
      put32(h, 4, e.frag_id);
    } else if (e.type == kAh) {
      h.assign(e.size, 0x5a);
      h[0] = next;
      h[1] = static_cast<uint8_t>(e.size / 4 - 2);
      h[2] = h[3] = 0;
    } else {
      h.assign(e.size, 0);  // Pad1 options
      h[0] = next;
      h[1] = static_cast<uint8_t>(e.size / 8 - 1);
    }
    out = out + h;
  }
  return out + payload;
}

inline Bytes ipv6x(const A6& src, const A6& dst, const std::vector<Ext>& exts, uint8_t last, const Bytes& payload,
                   V6 o = {}) {
  return ipv6(src, dst, exts.empty() ? last : exts[0].type, ext_chain(exts, last, payload), o);
}

// ---------------------------------------------------------------- Teredo

// RFC 4380 5.1.1 authentication header: 0x00 0x01, id-len, au-len, client
// id, authentication value, nonce (8), confirmation (1).
inline Bytes teredo_auth(uint8_t id_len, uint8_t au_len, uint8_t confirmation = 0) {
  Bytes b{0x00, 0x01, id_len, au_len};
  b = b + filler(id_len, 0x11) + filler(au_len, 0x31) + filler(8, 0x51);
  b.push_back(confirmation);
  return b;
}

// RFC 4380 5.1.1 origin indication: 0x00 0x00, ~port, ~IPv4.
inline Bytes teredo_origin(uint16_t port, uint32_t ipv4_addr) {
  Bytes b{0x00, 0x00};
  push16(b, static_cast<uint16_t>(port ^ 0xffffu));
  push32(b, ipv4_addr ^ 0xffffffffu);
  return b;
}

// ---------------------------------------------------------------- GRE

// RFC 2784 / RFC 2890: flags and version, protocol type, then the checksum
// (C), key (K) and sequence number (S) when given.
struct Gre {
  std::optional<uint32_t> key;
  bool checksum = false;
  std::optional<uint32_t> sequence;
  uint16_t extra_flags = 0;  // e.g. 0x4000 (R) or version 1

  Gre& with_key(uint32_t k) { key = k; return *this; }
  Gre& with_checksum() { checksum = true; return *this; }
  Gre& with_sequence(uint32_t s) { sequence = s; return *this; }
  Gre& with_flags(uint16_t f) { extra_flags = f; return *this; }
};

inline Bytes gre(uint16_t protocol, const Bytes& payload, Gre o = {}) {
  uint16_t flags = o.extra_flags;
  if (o.checksum) flags |= 0x8000;
  if (o.key) flags |= 0x2000;
  if (o.sequence) flags |= 0x1000;
  Bytes b;
  push16(b, flags);
  push16(b, protocol);
  if (o.checksum) push32(b, 0x12340000);
  if (o.key) push32(b, *o.key);
  if (o.sequence) push32(b, *o.sequence);
  return b + payload;
}

// ---------------------------------------------------------------- link layer

inline Bytes mac_pair() { return {0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x02, 0x66, 0x77, 0x88, 0x99, 0xaa}; }

inline Bytes eth(uint16_t type, const Bytes& payload) {
  Bytes b = mac_pair();
  push16(b, type);
  return b + payload;
}

// Ethernet with VLAN tags: each {TPID, VLAN id}, outermost first.
inline Bytes eth_vlan(const std::vector<std::pair<uint16_t, uint16_t>>& tags, uint16_t type, const Bytes& payload,
                      uint8_t pcp = 5) {
  Bytes b = mac_pair();
  for (const auto& [tpid, vid] : tags) {
    push16(b, tpid);
    push16(b, static_cast<uint16_t>((pcp << 13) | (vid & 0x0fff)));
  }
  push16(b, type);
  return b + payload;
}

// An MPLS label stack, bottom-of-stack set on the last entry when `bos`.
inline Bytes mpls(const std::vector<uint32_t>& labels, const Bytes& payload, bool bos = true) {
  Bytes b;
  for (std::size_t i = 0; i < labels.size(); ++i) {
    const bool last = bos && i + 1 == labels.size();
    push32(b, (labels[i] << 12) | (uint32_t{3} << 9) | (last ? 0x100u : 0u) | 64u);
  }
  return b + payload;
}

// PPPoE session header (RFC 2516) and PPP protocol.
inline Bytes pppoe(uint16_t ppp_proto, const Bytes& payload, uint16_t session = 0x0101) {
  Bytes b{0x11, 0x00};
  push16(b, session);
  push16(b, static_cast<uint16_t>(2 + payload.size()));
  push16(b, ppp_proto);
  return b + payload;
}

// Linux cooked capture (DLT_LINUX_SLL), 16 bytes.
inline Bytes sll(uint16_t type, const Bytes& payload) {
  Bytes b{0x00, 0x00, 0x00, 0x01, 0x00, 0x06, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x00, 0x00};
  push16(b, type);
  return b + payload;
}

// DLT_NULL: the address family in the capturing host's byte order.
inline Bytes null_bsd(uint32_t af, bool little_endian, const Bytes& payload) {
  Bytes b(4);
  if (little_endian) {
    for (int i = 0; i < 4; ++i) b[static_cast<std::size_t>(i)] = static_cast<uint8_t>(af >> (8 * i));
  } else {
    put32(b, 0, af);
  }
  return b + payload;
}

}  // namespace tb
