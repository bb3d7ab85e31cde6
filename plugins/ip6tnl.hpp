// IP directly in IPv6: RFC 2473 generic packet tunneling (Linux ip6tnl,
// modes ip6ip6 and ipip6) and DS-Lite (RFC 6333: a B4 element and its AFTR
// carry the subscriber's IPv4 in IPv6, RFC 6333 5.2 and 6.5). The outer
// IPv6 header's extension chain (RFC 8200 4) ends at next header 41 (an
// IPv6 packet: tunnel ipv6-in-ipv6) or 4 (an IPv4 packet: ipv4-in-ipv6).
// The inner flow is reported with the outer IPv6 endpoints.
//
// Checks (each failure is a verdict; the packet stays the native IPv6 flow
// of protocol 41 or 4):
//   1. the carried header is captured whole: 40 bytes of IPv6, or 20 bytes
//      and the header length of IPv4 (ip6tnl_truncated);
//   2. it is the packet the next header says: version 6 / version 4 with a
//      header length of 20 or more; its length (40 + payload length, the
//      IPv4 total length) within the outer payload after the extension
//      headers (ip6tnl_bad_payload). A first outer fragment carries only
//      part of the inner packet: its lengths are not compared.
// RFC 2473's tunnel encapsulation limit option (a destination option, RFC
// 2473 5.1) is an extension header like any other: it is stepped over.
#pragma once

#include <cstddef>
#include <cstdint>

#include "probe/decode/plugin.hpp"

namespace tunprobe {

// `p`: the payload after the outer extension headers, `avail` bytes
// readable, `declared` by the outer payload length; `fragment`: the outer
// packet is a first fragment.
Verdict ip6tnl_check_ipv6(const uint8_t* p, std::size_t avail, std::size_t declared, bool fragment) noexcept;
Verdict ip6tnl_check_ipv4(const uint8_t* p, std::size_t avail, std::size_t declared, bool fragment) noexcept;

}  // namespace tunprobe
