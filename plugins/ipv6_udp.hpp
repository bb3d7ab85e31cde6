// IPv6 in UDP, not Teredo: a UDP payload that is exactly one IPv6 packet.
// Mobile IPv6 through NATs and firewalls runs so (draft-ebalard-mext-m6t:
// MIPv6 over IPv4 through a gateway, on a locally chosen port such as 4500,
// 500, 53, 3478 or 3544), as do home-made tunnels (`socat`, WireGuard-less
// VPNs, fou/gue without their headers). Tunnel type ipv6-udp: the inner
// flow, with the outer addresses and ports in the key, as for Teredo.
//
// Where it is looked for: on the ports of --ipv6-udp-ports (none by
// default) and, with --ipv6-udp-detect content (the default), on every UDP
// datagram the UDP plug-ins before it did not take.
//
// Checks, in order (a datagram that fails one stays a UDP flow, verdict
// ok: a port that carries this tunnel may carry other UDP too):
//   0. (the parser's filter, kIpv6UdpContentFilter) 40 bytes declared and
//      captured, a version-6 nibble;
//   1. 40 + the IPv6 payload length is the UDP payload length, exactly (no
//      trailers: a random payload passes this 1 time in 65,536);
//   2. the next header is one an IPv6 packet starts with
//      (is_known_first_next_header, probe/base/protocols.hpp);
//   3. the source is not multicast (ff00::/8, RFC 4291 2.7: never a source);
//   4. no end is a Teredo address or a Teredo link-local address
//      (probe/decode/address_forms.hpp): that is Teredo (plugins/teredo.hpp),
//      also when Teredo is told by ports only and the datagram is not on
//      one of them.
// On a Teredo port (3544) Teredo comes first and its RFC 4380 checks alone
// decide, as the CRC distributor's published vectors and the RTL do: an
// IPv6 packet with no Teredo end there is still Teredo.
// False positives measured by tests/golden/check_random_udp.py.
#pragma once

#include <cstddef>
#include <cstdint>

#include "probe/decode/plugin.hpp"

namespace tunprobe {

UdpMatch ipv6_udp_match(const uint8_t* payload, std::size_t avail, std::size_t declared, bool on_port,
                        PacketInfo* info) noexcept;

// Check 0: 40 bytes, a version-6 nibble.
inline constexpr ContentFilter kIpv6UdpContentFilter = ipv6_first_filter();

}  // namespace tunprobe
