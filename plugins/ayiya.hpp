// AYIYA: Anything In Anything (draft-massar-v6ops-ayiya-02, July 2004), the
// SixXS tunnel broker's IPv6 in UDP through NATs; UDP port 5072 (SixXS's
// choice: no IANA port was ever assigned; `--ayiya-ports`).
//
// Layout of the UDP payload (draft section 4):
//   byte 0   IDLen (4 bits: the identity is 2^IDLen bytes) | IDType (4 bits:
//            0 none, 1 integer, 2 ASCII string)
//   byte 1   SigLen (4 bits: the signature is SigLen x 4 bytes) | HshMeth
//            (4 bits: 0 none, 1 MD5, 2 SHA-1)
//   byte 2   AutMeth (4 bits: 0 none, 1 shared secret, 2 public key) |
//            OpCode (4 bits: 0 noop, 1 forward, 2 echo request, 3 echo
//            request and forward, 4 echo response, 5 MOTD, 6 query request,
//            7 query response)
//   byte 3   Next Header: what the payload is (IPPROTO: 41 IPv6, 4 IPv4,
//            59 none)
//   4-7      epoch time (seconds, for replay protection)
//   then     the identity, the signature, the payload.
//
// Where it is looked for: only on the configured ports (an AYIYA header
// has no magic number that content detection could rely on).
//
// Checks, in order (each failure is a verdict; the packet stays a UDP flow):
//   1. the 8-byte header is there (ayiya_truncated), and IDType, HshMeth,
//      AutMeth and OpCode are values the draft defines (ayiya_bad_header):
//      a decoy on 5072 rarely passes;
//   2. the identity and the signature fit in the UDP payload, by its
//      declared length and by the capture (ayiya_truncated);
//   3. opcodes that carry no packet (noop heartbeats, echo, MOTD, query),
//      or next header 59: a control message (ayiya_control);
//   4. next header 41: 40 bytes of IPv6 header, version 6, and 40 + its
//      payload length equal to what follows the signature
//      (ayiya_length_mismatch, ayiya_truncated when the capture cuts it);
//   5. next header 4 (IPv4 in AYIYA, the draft's "anything"): 20 bytes of
//      IPv4 header, version 4, IHL at least 5, and its total length equal
//      to what follows the signature (the same verdicts). The flow is an
//      AYIYA flow of IP version 4 (tunnelType ayiya, ipVersion 4, the
//      tunneled-ipv4 template), not a tunnel type of its own: AYIYA has one
//      port list (--ayiya-ports) whatever it carries, and the IP version
//      already tells the two apart (GRE's two types follow its two
//      protocol types).
#pragma once

#include <cstddef>
#include <cstdint>

#include "probe/decode/packet.hpp"
#include "probe/decode/plugin.hpp"

namespace tunprobe {

// The UDP plug-in (probe/decode/plugin.hpp).
UdpMatch ayiya_udp_match(const uint8_t* payload, std::size_t avail, std::size_t declared, bool on_port,
                         PacketInfo* info) noexcept;

}  // namespace tunprobe
