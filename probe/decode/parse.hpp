// The packet parser: link layer, IPv4/IPv6, tunnel plug-ins, transport.
//
// parse_frame() fills a PacketInfo and sets its verdict. It never throws,
// never allocates and reads no byte outside [data, data + len). Lengths that
// decide validity come from the headers; the captured length only bounds
// what may be read, so snaplen-cut captures still decode their headers.
#pragma once

#include <cstddef>
#include <cstdint>

#include "probe/decode/decode_config.hpp"
#include "probe/decode/packet.hpp"

namespace tunprobe {

// Link types tunprobe reads (pcap DLT values in comments). DPDK ports are
// always Ethernet.
enum class LinkType : uint8_t {
  ethernet,   // DLT_EN10MB (1)
  raw_ip,     // DLT_RAW (12, 14, LINKTYPE 101): starts with the IP header
  null_bsd,   // DLT_NULL (0) and DLT_LOOP (108): 4-byte address family
  linux_sll,  // DLT_LINUX_SLL (113): 16-byte cooked header
};

void parse_frame(const uint8_t* data, std::size_t len, LinkType link, const DecodeConfig& cfg,
                 PacketInfo& out) noexcept;

// parse_frame() without the address classes: src_class and dst_class stay
// AddrClass::none. The flow pipeline classifies a flow's addresses once,
// when the flow starts, instead of on every packet.
void parse_frame_unclassified(const uint8_t* data, std::size_t len, LinkType link, const DecodeConfig& cfg,
                              PacketInfo& out) noexcept;

// Parses from an IP header on (used by the tunnel plug-ins' tests and by
// parse_frame after the link layer). `version_hint` is 4 or 6 when the link
// layer said so, 0 to take the version nibble.
void parse_ip(const uint8_t* p, const uint8_t* end, unsigned version_hint, const DecodeConfig& cfg,
              PacketInfo& out) noexcept;

}  // namespace tunprobe
