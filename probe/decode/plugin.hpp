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
// Teredo is the UDP plug-in (plugins/teredo.hpp): teredo_match() decides
// for the configured ports and, with --teredo-detect content (the default),
// for any UDP, at the outer header and for nested detection alike.
#pragma once

#include <cstdint>
#include <span>

#include "probe/decode/decode_config.hpp"
#include "probe/decode/packet.hpp"

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

// Shared by the protocol-41 plug-ins: given the IPv4 embedded in each inner
// address (0 for none), record them and name the relay: the outer address
// of the first end (source, then destination) that its own embedded IPv4
// does not explain. Host-to-host traffic has no relay.
void set_embedded(uint32_t src4, uint32_t dst4, PacketInfo& info) noexcept;

}  // namespace tunprobe
