// The CRC distributor: a bit-exact software model of an FPGA packet
// distributor, after the CESNET HANIC design described in "Monitoring of
// Tunneled IPv6 Traffic Using Packet Decapsulation and IPFIX" (Elich,
// Gregr, Celeda). There the card's parser emits a fixed 301-bit field
// vector per packet, a CRC over it is computed, and its low bits pick the
// DMA channel (one exporter instance per channel). tunprobe uses the same
// scheme as a software dispatcher (one RX lcore -> rings -> workers) and as
// the reference model a hardware implementation is checked against
// (hw/crc_vectors.txt).
//
// Unlike NIC RSS on the outer header, the vector holds the INNER flow of a
// tunneled packet, so the inner flows of one heavy Teredo relay or 6to4
// router spread over all workers.
//
// ---------------------------------------------------------------------------
// FIELD VECTOR (40 bytes = 320 bits, 304 of them meaningful)
// ---------------------------------------------------------------------------
//
//   byte   bits (LSB-first   width  field
//   offset  stream order)    (bits)
//   ------  ---------------  -----  ------------------------------------------
//    0      0   .. 127        128   addr_lo: address of the LOWER endpoint
//   16      128 .. 255        128   addr_hi: address of the HIGHER endpoint
//   32      256 .. 271         16   port_lo: port of the lower endpoint
//   34      272 .. 287         16   port_hi: port of the higher endpoint
//   36      288 .. 295          8   protocol (IPv4 protocol / IPv6 last
//                                   next header); 0 for fragments
//   37      296 .. 303          8   ip_version: 4 or 6; 0 = no IP header
//   38      304 .. 319         16   reserved, always 0 (pads the vector to
//                                   five 64-bit words for the CRC engine)
//
//   * Stream bit b is bit (b mod 8) of byte b / 8, bit 0 being the least
//     significant: the CRC consumes stream bits 0, 1, 2, ... in that order.
//   * Multi-byte fields are big-endian (network order), as on the wire:
//     byte 0 of an IPv6 address is its first byte, port 443 is 01 bb.
//   * IPv4 addresses sit in the first 4 bytes of their 16-byte slot
//     (network order) and bytes 4..15 of the slot are zero. The version
//     byte keeps 192.0.2.1 apart from the IPv6 address c000:201::.
//   * Which level: the inner packet (addresses, ports, protocol) when a
//     tunnel was decoded (Teredo, 6to4, ISATAP, 6rd, 6in4), the native
//     packet otherwise. Outer addresses, tunnel type and VLAN ids are NOT
//     in the vector: the two directions of one inner flow may cross
//     different relays (6to4 anycast) or VLANs and must still meet on one
//     worker. (Exception: tunneled fragments, below.) GRE (gre, gre-ipv4)
//     is hashed as the outer IPv4 packet (its pair, protocol 47, ports 0):
//     the RTL core does not decode GRE, and the two must agree.
//   * Symmetry: the endpoints (address, port) and (address', port') are
//     ordered before they are written: the lower one is the one whose
//     16-byte address slot is smaller as a big-endian number (memcmp), and
//     on equal addresses the one with the smaller port. Both directions of a
//     flow produce the same vector bit for bit.
//   * Ports: TCP, UDP and SCTP ports from the parser; 0 for every other
//     protocol (ICMP, ICMPv6, ESP, ...).
//   * Fragments: a non-first fragment carries no L4 header, so ports AND
//     protocol are set to 0 for EVERY fragment, first and later, IPv4 and
//     IPv6: all fragments of one packet then hash alike and land on one
//     worker, which reassembles nothing but maps later fragments to the
//     flow by (src, dst, frag id). Protocol is zeroed too because an IPv6
//     first fragment names the last header of the chain while later ones
//     name the Fragment header's Next Header, which differ when extension
//     headers follow the Fragment header. Price: the fragmented packets of a
//     flow may go to another worker than its unfragmented ones (a real NIC
//     does the same: RSS hashes fragments on L3 only).
//   * Tunneled fragments: when the OUTER IPv4 header of a tunnel is a
//     fragment (PacketInfo::frag_outer), the vector holds the outer IPv4
//     pair (version 4, protocol 0, ports 0): the first fragment is decoded
//     as a tunnel, but its later fragments carry no inner header and are
//     parsed as native IPv4 fragments of that pair, so only the outer level
//     keeps them together. An inner IPv6 fragment inside a whole outer
//     packet is decoded in every fragment: it keeps the inner addresses
//     (ports and protocol 0, as above).
//   * Packets the parser drops (Verdict with Disposition::kDrop: non-IP,
//     truncated, ...) have the all-zero vector; ip_version = 0 tells the
//     dispatcher to send them to channel 0 whatever the CRC says.
//
// ---------------------------------------------------------------------------
// CRC
// ---------------------------------------------------------------------------
//
//   CRC-32C (Castagnoli), the iSCSI CRC (RFC 3720 B.4; "CRC-32/ISCSI" in
//   the reveng catalogue):
//     width 32, poly 0x1EDC6F41 (reflected 0x82F63B78), init 0xFFFFFFFF,
//     refin = refout = true, xorout 0xFFFFFFFF, check("123456789") =
//     0xE3069283.
//   Bytes are fed in increasing offset, each byte least significant bit
//   first (the reflected bit order).
//   DPDK: rte_hash_crc(data, len, init) returns the CRC register WITHOUT the
//   final xor, so hash = ~rte_hash_crc(fv, 40, 0xFFFFFFFF). (The SSE4.2
//   crc32 instruction computes exactly this polynomial.)
//
// ---------------------------------------------------------------------------
// CHANNEL
// ---------------------------------------------------------------------------
//
//   channel = hash & (N - 1), N a power of two from 1 to 64: the low
//   log2(N) bits of the final (post-xorout) CRC, as the FPGA wires them.
//   Any other N is refused (check_channel_count): a modulo would need a
//   divider in hardware, would not match the FPGA, and is slightly biased
//   (2^32 mod N). For non-power-of-two worker counts use a table indexed by
//   the low bits (as NIC RSS does with its RETA).
//   ip_version == 0 (a dropped packet) -> channel 0.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

#include "probe/decode/packet.hpp"

namespace tunprobe::hw {

inline constexpr std::size_t kFieldVectorBytes = 40;
using FieldVector = std::array<uint8_t, kFieldVectorBytes>;

// Byte offsets of the fields (see the table above).
namespace fv {
inline constexpr std::size_t kAddrLo = 0;
inline constexpr std::size_t kAddrHi = 16;
inline constexpr std::size_t kPortLo = 32;
inline constexpr std::size_t kPortHi = 34;
inline constexpr std::size_t kProtocol = 36;
inline constexpr std::size_t kIpVersion = 37;
inline constexpr std::size_t kReserved = 38;
}  // namespace fv

inline constexpr unsigned kMaxChannels = 64;

// Fills the field vector of a parsed packet (the layout above).
void build_field_vector(const PacketInfo& pkt, FieldVector& out) noexcept;

// CRC-32C as specified above, bit by bit: the reference an FPGA CRC is
// checked against. Slow (8 steps per byte); for tests and vectors.
uint32_t crc32c_bitwise(const uint8_t* data, std::size_t len) noexcept;

// The same CRC through DPDK's rte_hash_crc() (SSE4.2 crc32 instruction, or
// DPDK's table fallback): ~rte_hash_crc(data, len, 0xFFFFFFFF).
uint32_t crc32c_fast(const uint8_t* data, std::size_t len) noexcept;

inline uint32_t field_vector_hash(const FieldVector& v) noexcept { return crc32c_fast(v.data(), v.size()); }

// The low bits: `n` must have passed check_channel_count().
inline unsigned crc_channel(uint32_t hash, unsigned n) noexcept { return hash & (n - 1); }

// Field vector, hash, channel in one step; dropped packets go to 0.
unsigned crc_dispatch(const PacketInfo& pkt, unsigned n) noexcept;

// Empty when `n` is a valid channel count (a power of two, 1..64), else a
// message naming the allowed values.
std::string check_channel_count(unsigned n);

}  // namespace tunprobe::hw
