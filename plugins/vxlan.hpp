// VXLAN (RFC 7348) as a mirror: a SPAN copy delivered to the probe inside
// VXLAN (cloud traffic mirroring sessions, Linux vxlan devices), UDP to a
// --vxlan-ports destination port (IANA's 4789 by default). Only with
// --mirror vxlan (or auto): otherwise such a datagram is the UDP flow it is.
//
// Header (RFC 7348 section 5): flags (8 bits, the I flag 0x08 says the VNI
// is valid; the other bits are reserved: set to zero by the sender and
// ignored by the receiver), 24 reserved bits, the VNI (24 bits), 8 reserved
// bits; then the mirrored Ethernet frame (its FCS is not carried).
//
// Checks, in order (a failure is a verdict; the packet stays the outer UDP
// flow):
//   1. the header and a 14-byte Ethernet header fit in the UDP length and in
//      the capture (mirror_truncated);
//   2. the I flag is set (vxlan_bad_header).
// The VNI is the record's observation point id.
#pragma once

#include <cstddef>
#include <cstdint>

#include "probe/decode/plugin.hpp"

namespace tunprobe {

// `payload`: the UDP payload, `avail` bytes readable, `declared` the UDP
// length less its header.
MirrorClaim vxlan_match(const uint8_t* payload, std::size_t avail, std::size_t declared) noexcept;

}  // namespace tunprobe
