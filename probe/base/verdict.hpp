// Packet verdicts: the one table that says what happened to every packet.
//
// Each row generates an enum value, its printable name and (in the flow
// path) a per-worker counter. The disposition column says whether a packet
// with this verdict still becomes part of a flow (kFlow) or is only counted
// (kDrop). Conservation rule: packets read == packets in flows + packets
// whose verdict is kDrop.
//
// The line between the two: a packet whose IP header (for a tunnel: the
// outer and the inner IP header) is valid belongs in a flow, whatever
// follows it. Its lengths come from the IP headers, and what was captured of
// the rest is taken: ports when their 4 bytes are there, TCP flags when byte
// 13 is, ICMP type and code when 2 bytes are; the protocol is the last next
// header reached. So the link-layer and IP-header verdicts drop, everything
// after the IP header (cut or malformed transport and extension headers, a
// snaplen cut) is a counted kFlow verdict.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace tunprobe {

enum class Disposition : uint8_t { kFlow, kDrop };

// X(name, disposition, description)
#define TUNPROBE_VERDICTS(X)                                                                       \
  X(ok, kFlow, "decoded")                                                                          \
  X(frame_truncated, kDrop, "frame shorter than its link-layer header")                            \
  X(vlan_truncated, kDrop, "802.1Q/QinQ tag cut short")                                            \
  X(vlan_too_deep, kDrop, "more than two VLAN tags")                                               \
  X(mpls_truncated, kDrop, "MPLS label stack cut short")                                           \
  X(mpls_too_deep, kDrop, "MPLS label stack deeper than 8 labels")                                 \
  X(mpls_unknown_payload, kDrop, "MPLS payload is neither IPv4 nor IPv6")                          \
  X(pppoe_truncated, kDrop, "PPPoE session header cut short")                                      \
  X(non_ip, kDrop, "not an IP packet (ARP, LLDP, ...)")                                            \
  X(ip_bad_version, kDrop, "IP version nibble does not match the link-layer type")                 \
  X(ipv4_truncated, kDrop, "IPv4 header cut short")                                                \
  X(ipv4_bad_header, kDrop, "IPv4 header length below 20 bytes")                                   \
  X(ipv4_bad_length, kDrop, "IPv4 total length smaller than its header")                           \
  X(ipv6_truncated, kDrop, "IPv6 header cut short")                                                \
  X(ipv6_ext_truncated, kFlow, "IPv6 extension header cut short: flow protocol is its type")       \
  X(ipv6_ext_too_many, kFlow, "more than 8 IPv6 extension headers: flow protocol is the 9th")      \
  X(l4_truncated, kFlow, "TCP/UDP/SCTP/ICMP header cut short: what was captured of it")            \
  X(tcp_bad_offset, kFlow, "TCP data offset below 5 words: ports and flags kept")                  \
  X(udp_bad_length, kFlow, "UDP length below 8 bytes: ports kept, no tunnel looked for")           \
  X(teredo_auth_truncated, kFlow, "UDP on a Teredo port, authentication header cut: kept as IPv4") \
  X(teredo_origin_truncated, kFlow, "UDP on a Teredo port, origin indication cut: kept as IPv4")   \
  X(teredo_truncated, kFlow, "UDP on a Teredo port, inner IPv6 header cut by the capture: IPv4")   \
  X(teredo_not_ipv6, kFlow, "UDP on a Teredo port, payload is not IPv6: kept as IPv4")             \
  X(teredo_length_mismatch, kFlow,                                                                 \
    "UDP on a Teredo port, IPv6 payload length disagrees with UDP: kept as IPv4")                  \
  X(teredo_bubble_payload, kFlow, "Teredo bubble (next header 59) with an IPv6 payload length > 0") \
  X(proto41_truncated, kFlow, "protocol 41 with its inner IPv6 header cut: kept as IPv4")          \
  X(proto41_not_ipv6, kFlow, "protocol 41 whose payload is not IPv6: kept as IPv4")                \
  X(proto41_length_mismatch, kFlow,                                                                \
    "protocol 41 whose IPv6 payload length exceeds the IPv4 payload: kept as IPv4")                \
  X(ayiya_truncated, kFlow, "UDP on an AYIYA port, header, identity, signature or IP header cut: IPv4") \
  X(ayiya_bad_header, kFlow, "UDP on an AYIYA port, undefined header values: kept as IPv4")       \
  X(ayiya_control, kFlow, "AYIYA message without a packet (heartbeat, echo, MOTD, query): IPv4")  \
  X(ayiya_length_mismatch, kFlow, "UDP on an AYIYA port, no IPv6 or IPv4 packet of the UDP length: IPv4") \
  X(gre_truncated, kFlow, "GRE header, its optional fields or the inner IP header cut: kept as IPv4") \
  X(gre_bad_header, kFlow, "GRE version not 0 (PPTP) or RFC 1701 bits set: kept as IPv4")        \
  X(gre_other_protocol, kFlow, "GRE carrying neither IPv6 nor IPv4: kept as the IPv4 GRE flow")  \
  X(gre_bad_payload, kFlow, "GRE payload not the IP packet its protocol type says: kept as IPv4") \
  X(ip6tnl_truncated, kFlow, "IPv6 next header 41 or 4 with the carried IP header cut: kept as IPv6") \
  X(ip6tnl_bad_payload, kFlow, "IPv6 next header 41 or 4 not carrying that IP packet whole: IPv6") \
  X(mirror_truncated, kFlow, "--mirror: mirror header or mirrored frame cut: kept as the outer flow") \
  X(vxlan_bad_header, kFlow, "--mirror vxlan: VXLAN I flag clear: kept as the outer UDP flow")    \
  X(erspan_bad_header, kFlow, "--mirror erspan: ERSPAN version or frame type unknown: outer flow") \
  X(tunnel_nested, kFlow, "tunnel inside a tunnel: counted, inner level not decoded")

enum class Verdict : uint8_t {
#define TUNPROBE_X(name, disp, text) name,
  TUNPROBE_VERDICTS(TUNPROBE_X)
#undef TUNPROBE_X
};

struct VerdictInfo {
  std::string_view name;
  Disposition disposition;
  std::string_view description;
};

inline constexpr auto kVerdictInfo = std::to_array<VerdictInfo>({
#define TUNPROBE_X(name, disp, text) {#name, Disposition::disp, text},
    TUNPROBE_VERDICTS(TUNPROBE_X)
#undef TUNPROBE_X
});
inline constexpr std::size_t kVerdictCount = kVerdictInfo.size();

constexpr std::string_view verdict_name(Verdict v) { return kVerdictInfo[static_cast<std::size_t>(v)].name; }
constexpr bool verdict_is_drop(Verdict v) {
  return kVerdictInfo[static_cast<std::size_t>(v)].disposition == Disposition::kDrop;
}

}  // namespace tunprobe
