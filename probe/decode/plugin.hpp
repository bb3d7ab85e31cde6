// The tunnel plug-in table.
//
// IPv4 protocol 41 carries 6to4, ISATAP, 6rd and manual 6in4 alike: the
// outer header does not say which. Each protocol-41 plug-in looks at the
// inner IPv6 addresses (and the outer ones, already in PacketInfo) and
// claims the packet or passes. The table below is tried in order, so its
// order IS the precedence rule (see README "Tunnel precedence"):
//
//   6rd     configured prefixes are the operator's explicit word;
//   ISATAP  an ISATAP interface id says how the host itself is reached,
//           even when it is numbered out of a 6to4 prefix;
//   6to4    2002::/16 at either end;
//   6in4    everything else (manual tunnels, brokers; also 2001::/32
//           addresses carried over protocol 41: Teredo is UDP by definition).
//
// UDP carries tunnels too (Teredo; more to come). Each UDP plug-in has its
// ports (DecodeConfig::ports, --NAME-ports, the default from the tunnel
// table) and may be told by content on any other port (--NAME-detect
// content). The parser asks each UDP plug-in in table order; the first to
// claim a datagram names the tunnel. The same decision is made for a UDP
// datagram inside a tunnel (nested detection).
//
// Every plug-in can also say which facts a flow's key implies (embedded
// IPv4 addresses, Teredo server and client, ...): records built from keys
// (flow JSON, IPFIX) show the same facts as the packets did.
//
// The parser (probe/decode/parse_impl.hpp) knows the plug-ins only through
// these tables: it is a template over their dispatch, instantiated with the
// registry (plugins/registry.hpp) in plugins/parser.cpp.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "probe/decode/decode_config.hpp"
#include "probe/decode/packet.hpp"
#include "probe/decode/parse.hpp"

namespace tunprobe {

// Called with the inner IPv6 header (40 bytes readable) and PacketInfo's
// outer_src4/outer_dst4 set. On a claim it fills the embedded/relay fields
// and returns true.
using Proto41Match = bool (*)(const uint8_t* ip6, const DecodeConfig& cfg, PacketInfo& info) noexcept;

struct Proto41Plugin {
  TunnelType type;
  Proto41Match match;
};

std::span<const Proto41Plugin> proto41_plugins() noexcept;

// What a UDP plug-in says of one UDP payload.
struct UdpMatch {
  bool claimed;           // the payload is this tunnel
  Verdict verdict;        // claimed: ok or a verdict for the packet; not claimed: ok, or on a port the
                          // plug-in's verdict (the packet stays a UDP flow)
  uint16_t inner_offset;  // claimed: where the carried IP header starts in the payload
  uint8_t inner_version = 6;  // claimed: what it carries, IPv6 or (AYIYA's next header 4) IPv4
};

// `payload`: the UDP payload, `avail` bytes of it readable, `declared` the
// UDP length less its header; `on_port`: a port of the datagram is one of
// the plug-in's. On a claim it fills the plug-in's facts in `*info`
// (never the outer or inner IP fields: the parser does those); otherwise
// it leaves `*info` as it was. `info` null: decide only (nested detection
// asks whether a datagram inside a tunnel is a tunnel, and keeps no facts).
using UdpMatchFn = UdpMatch (*)(const uint8_t* payload, std::size_t avail, std::size_t declared, bool on_port,
                                PacketInfo* info) noexcept;

// The cheapest test of content detection, as data: the parser applies it
// inline before calling the plug-in, so that a UDP datagram of no tunnel
// costs a few compares. A payload is a candidate when at least `min_payload`
// bytes are declared and readable and its first byte is in `first_bytes`.
struct ContentFilter {
  uint16_t min_payload = 1;  // at least the byte the set looks at
  std::array<uint64_t, 4> first_bytes{};  // a 256-bit set; empty: ports only

  constexpr bool any() const { return (first_bytes[0] | first_bytes[1] | first_bytes[2] | first_bytes[3]) != 0; }
  constexpr bool accepts(const uint8_t* payload, std::size_t avail, std::size_t declared) const noexcept {
    return avail >= min_payload && declared >= min_payload &&
           ((first_bytes[payload[0] >> 6] >> (payload[0] & 63)) & 1) != 0;
  }
};

// The filter of a payload that starts with an IPv6 header: `min_payload`
// bytes, a version-6 first nibble.
constexpr ContentFilter ipv6_first_filter(uint16_t min_payload = 40) {
  ContentFilter f;
  f.min_payload = min_payload;
  for (unsigned b = 0x60; b <= 0x6f; ++b) f.first_bytes[b >> 6] |= uint64_t{1} << (b & 63);
  return f;
}

// The facts a flow's key implies, from its inner addresses.
using KeyFactsFn = void (*)(const uint8_t src[16], const uint8_t dst[16], PacketInfo& info) noexcept;

struct UdpPlugin {
  TunnelType type;
  ContentFilter content;  // empty: found on its ports only
  UdpMatchFn match;
  KeyFactsFn key_facts;   // may be null: no facts beyond the outer header
  bool by_content;        // content.any(), computed: the parser's first test off the ports
};

constexpr UdpPlugin make_udp_plugin(TunnelType type, ContentFilter content, UdpMatchFn match,
                                    KeyFactsFn key_facts) {
  return UdpPlugin{type, content, match, key_facts, content.any()};
}

// The table itself (plugins/registry.hpp), for the command line and the
// key facts.
extern const std::span<const UdpPlugin> kUdpPluginTable;
inline std::span<const UdpPlugin> udp_plugins() noexcept { return kUdpPluginTable; }

// What the UDP plug-ins together say of one datagram.
struct UdpClaim {
  TunnelType type;        // none: no plug-in claimed it
  Verdict verdict;        // claimed: the plug-in's verdict; not: the verdict of the first plug-in whose port it was
  uint16_t inner_offset;  // claimed: where the carried IP header starts in the payload
  uint8_t inner_version = 6;  // claimed: what it carries, IPv6 or (AYIYA's next header 4) IPv4
};

// What a mirror plug-in says of one packet (VXLAN, ERSPAN, Ethernet over
// GRE; probe/base/mirror_type.hpp): the mirrored frame to decode in the
// packet's place, or why not.
struct MirrorClaim {
  MirrorType type;          // none: not stripped; `verdict` says why (ok: no mirror at all)
  Verdict verdict;
  LinkType link;            // the mirrored frame's link layer
  uint16_t frame_offset;    // where the mirrored frame starts in the payload
  uint32_t observation_id;  // the session: VNI, ERSPAN session id, GRE key
};

// What the GRE plug-in and its protocol-type table say of one GRE packet
// (IPv4 protocol 47): the header is parsed once (plugins/gre.hpp), then its
// protocol type picks the tunnel (plugins/registry.hpp).
struct GreClaim {
  TunnelType type;        // none: not decoded, `verdict` says why
  Verdict verdict;
  uint8_t inner_version;  // claimed: 4 or 6, the carried packet's
  uint16_t inner_offset;  // claimed: where the carried packet starts (the GRE header's length)
  bool key_present;
  uint32_t key;
  // A mirrored frame (GRE protocol types of ERSPAN and Ethernet bridging,
  // when --mirror asks for them); mirror.type none otherwise.
  MirrorClaim mirror;
};

// Whether a carrier's payload is the IP packet its header says (GRE's
// protocol type, IPv6's next header 41 or 4): `p` the payload, `avail`
// bytes of it readable, `declared` by the carrier's headers; `fragment`:
// the outer packet is a first fragment, which holds only part of it, so
// its lengths are not compared. Each plug-in names the outcome with its
// own verdicts.
enum class CarriedFit : uint8_t {
  whole,      // a whole header of that version, its length within `declared`
  truncated,  // the capture cut the header
  bad,        // another version, a bad header length, longer than `declared`
};

// IPv6 (RFC 8200 3): 40 bytes, version 6, 40 + payload length.
inline CarriedFit carried_ipv6_fit(const uint8_t* p, std::size_t avail, std::size_t declared, bool fragment) noexcept {
  constexpr std::size_t kHeader = 40;
  if (!fragment && declared < kHeader) return CarriedFit::bad;
  if (avail < 1) return CarriedFit::truncated;
  if ((p[0] >> 4) != 6) return CarriedFit::bad;
  if (avail < kHeader) return CarriedFit::truncated;
  if (!fragment && kHeader + (std::size_t{p[4]} << 8 | p[5]) > declared) return CarriedFit::bad;
  return CarriedFit::whole;
}

// IPv4 (RFC 791 3.1): version 4, IHL of 5 or more words, a total length
// from the header's length up to `declared`.
inline CarriedFit carried_ipv4_fit(const uint8_t* p, std::size_t avail, std::size_t declared, bool fragment) noexcept {
  constexpr std::size_t kHeader = 20;
  if (!fragment && declared < kHeader) return CarriedFit::bad;
  if (avail < 1) return CarriedFit::truncated;
  if ((p[0] >> 4) != 4) return CarriedFit::bad;
  const std::size_t ihl = static_cast<std::size_t>(p[0] & 0x0f) * 4;
  if (ihl < kHeader) return CarriedFit::bad;
  if (avail < ihl) return CarriedFit::truncated;
  const std::size_t total = std::size_t{p[2]} << 8 | p[3];
  if (total < ihl || (!fragment && total > declared)) return CarriedFit::bad;
  return CarriedFit::whole;
}

// What the IPv6 next-header table (plugins/registry.hpp) says of the
// payload of an outer IPv6 header whose extension chain ended at 41 or 4.
struct Ipv6CarrierClaim {
  TunnelType type;        // none: not decoded, `verdict` says why
  Verdict verdict;
  uint8_t inner_version;  // claimed: 4 or 6
};

// The facts a flow key implies for its tunnel type: called with the key's
// inner addresses and `info`'s outer addresses set. Empty for none.
void tunnel_facts_from_key(TunnelType type, const uint8_t src[16], const uint8_t dst[16], const DecodeConfig& cfg,
                           PacketInfo& info) noexcept;

// Shared by the protocol-41 plug-ins: given the IPv4 embedded in each inner
// address (0 for none), record them and name the relay: the outer address
// of the first end (source, then destination) that its own embedded IPv4
// does not explain. Host-to-host traffic has no relay.
void set_embedded(uint32_t src4, uint32_t dst4, PacketInfo& info) noexcept;

}  // namespace tunprobe
