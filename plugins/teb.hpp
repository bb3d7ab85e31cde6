// Transparent Ethernet bridging in GRE (protocol type 0x6558; Linux gretap,
// NVGRE RFC 7637) as a mirror: a SPAN copy bridged to the probe. Only with
// --mirror teb (or auto): otherwise it is the GRE flow it is
// (gre_other_protocol).
//
// The Ethernet frame follows the GRE header. Check: 14 bytes of it fit in
// the GRE payload and in the capture (mirror_truncated; the packet stays
// the outer GRE flow). The GRE key (NVGRE: the 24-bit virtual subnet id and
// the 8-bit flow id) is the record's observation point id, 0 without one.
#pragma once

#include <cstddef>
#include <cstdint>

#include "plugins/gre.hpp"
#include "probe/decode/plugin.hpp"

namespace tunprobe {

// `p`: the GRE payload, `avail` bytes readable, `declared` by the headers.
MirrorClaim teb_match(const uint8_t* p, std::size_t avail, std::size_t declared, const GreHeader& gre) noexcept;

}  // namespace tunprobe
