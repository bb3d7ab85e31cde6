// ERSPAN (Cisco's Encapsulated Remote SPAN, draft-foschiano-erspan-03) as a
// mirror: a SPAN copy in GRE over IPv4 or IPv6. Only with --mirror erspan
// (or auto): otherwise it is the GRE flow it is (gre_other_protocol).
//
//   type I    GRE protocol 0x88BE without a sequence number: no ERSPAN
//             header, the Ethernet frame follows the GRE header; no session
//             id (observation point 0).
//   type II   GRE protocol 0x88BE with the S bit: an 8-byte header
//             (section 4.1): version (4 bits, 1), VLAN (12), COS (3), En
//             (2), T (1), session id (10), reserved (12), index (20); then
//             the Ethernet frame.
//   type III  GRE protocol 0x22EB: a 12-byte header (section 4.2): version
//             (4 bits, 2), VLAN (12), COS (3), BSO (2), T (1), session id
//             (10), timestamp (32), SGT (16), P (1), FT (5), hardware id
//             (6), D (1), Gra (2), O (1); with O an 8-byte platform-specific
//             subheader follows. FT 0: an Ethernet frame; FT 2: an IP packet
//             (IPv4 or IPv6, by its version nibble).
//
// Checks, in order (a failure is a verdict; the packet stays the outer GRE
// flow):
//   1. the ERSPAN header (and type III's subheader) fits in the GRE payload
//      and in the capture (mirror_truncated);
//   2. the version is the type's, type III's FT is 0 or 2
//      (erspan_bad_header);
//   3. 14 bytes of Ethernet header (1 byte of IP header) follow
//      (mirror_truncated).
// The session id is the record's observation point id.
#pragma once

#include <cstddef>
#include <cstdint>

#include "plugins/gre.hpp"
#include "probe/decode/plugin.hpp"

namespace tunprobe {

// `p`: the GRE payload, `avail` bytes readable, `declared` by the headers;
// `gre` the GRE header in front of it. 0x88BE: types I and II.
MirrorClaim erspan_match(const uint8_t* p, std::size_t avail, std::size_t declared, const GreHeader& gre) noexcept;
// 0x22EB: type III.
MirrorClaim erspan3_match(const uint8_t* p, std::size_t avail, std::size_t declared, const GreHeader& gre) noexcept;

}  // namespace tunprobe
