// One flow record as the statistics report sees it, whatever file it came
// from (tunprobe's JSON lines, tunprobe's IPFIX, another exporter's IPFIX).
// Only the fields the report's tables need; everything else is dropped
// while reading.
#pragma once

#include <array>
#include <cstdint>
#include <optional>

#include "probe/decode/addr_class.hpp"
#include "probe/base/tunnel_type.hpp"

namespace tunprobe::report {

using Ipv6 = std::array<uint8_t, 16>;

struct ReportFlow {
  uint64_t start_ms = 0;  // flowStartMilliseconds (decides the UTC day)
  uint64_t packets = 0;   // packetDeltaCount
  uint64_t octets = 0;    // octetDeltaCount: IP octets of the inner (or native) packets
  uint8_t ip_version = 0;  // of the inner (or native) packet: 4 or 6
  uint8_t protocol = 0;    // protocolIdentifier
  uint16_t sport = 0;      // source/destinationTransportPort (0 when absent, e.g. ICMP)
  uint16_t dport = 0;
  Ipv6 src{};  // IPv6 only
  Ipv6 dst{};
  // False when the record has no tunnelType element (another exporter, or
  // an nfdump-profile record): it counts as IPv4 or native IPv6.
  bool has_tunnel_info = false;
  TunnelType tunnel = TunnelType::none;
  // The exported classes; absent ones are computed with classify_ipv6().
  std::optional<AddrClass> src_class;
  std::optional<AddrClass> dst_class;
  uint32_t outer_src4 = 0;      // tunnelSource/DestinationIPv4Address (0 = absent)
  uint32_t outer_dst4 = 0;
  uint32_t teredo_server4 = 0;  // teredoServerIPv4Address (0 = absent)
  uint32_t relay4 = 0;          // tunnelRelayIPv4Address (0 = absent)
  // The observation domain (IPFIX: the message header's; JSON lines have none).
  bool has_odid = false;
  uint32_t odid = 0;
};

}  // namespace tunprobe::report
