// Benchmark traffic: the mixes of the benchmark issue, built as frames in
// memory (no scapy, no files), deterministic for a given seed.
//
// Mixes (name: what it is):
//   teredo-1flow   one Teredo flow; variant "min": 86 B frames (Ethernet +
//                  IPv4 + UDP 3544 + IPv6 header, nothing inside: next
//                  header 59, a bubble), variant "tcp": 106 B (inner TCP)
//   6to4-1flow     one 6to4 flow (2002:V4::V4 -> native, via 192.88.99.1);
//                  "min" 78 B (protocol 41 + IPv6 header), "tcp" 98 B
//   isatap-1flow   one ISATAP flow (fe80::5efe:V4); "min" 78 B, "tcp" 98 B
//   mix            the CESNET2 flow shares the paper measured: IPv4 98.39 %,
//                  native IPv6 0.10 %, tunneled 1.50 % (Teredo 88 %, 6to4
//                  12 %, ISATAP 0.06 % of the tunnels), transports TCP 75 %,
//                  UDP 22 %, ICMP 3 %, and the size distribution below
//   tunnel-heavy   every flow tunneled (Teredo 88 %, 6to4 12 %, ISATAP
//                  0.06 %): a Teredo relay's link; same sizes
//
// Size distribution of `mix` and `tunnel-heavy` (frame sizes with FCS, per
// packet): 64 B 40 %, 128 B 10 %, 256 B 5 %, 576 B 5 %, 1024 B 5 %,
// 1518 B 35 % (mean about 660 B: the bimodal ACK / full-segment shape of
// backbone links), each raised to the smallest frame its headers need
// (a Teredo TCP packet is at least 106 B).
//
// Flows are unidirectional, every flow's key is distinct (the flow id is in
// the source address), TCP packets carry ACK or PSH|ACK (no SYN/FIN/RST:
// flows live until the end, the cache holds a steady population).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace tunprobe::bench {

enum class Kind : uint8_t { ipv4, ipv6, teredo, sixtofour, isatap };
enum class L4 : uint8_t { none, tcp, udp, icmp };

const char* kind_name(Kind k) noexcept;

struct FlowSpec {
  Kind kind = Kind::ipv4;
  L4 l4 = L4::tcp;
  uint32_t id = 0;  // distinct per flow
};

// Smallest frame (with FCS) that holds the headers of this flow.
unsigned min_wire_size(Kind kind, L4 l4) noexcept;

// Writes the frame of one packet of `flow`, `wire` bytes long on the wire
// (with FCS; the frame itself is wire - 4 bytes), into `out`, which holds
// `cap` bytes. Returns the bytes written: min(wire - 4, cap). Bytes past
// `cap` (payload) are not written: headers say the full length (a snaplen
// cut, which tunprobe decodes like the full frame).
std::size_t build_frame(const FlowSpec& flow, unsigned wire, uint8_t tcp_flags, uint8_t* out,
                        std::size_t cap) noexcept;

struct ArenaDeleter {
  std::size_t bytes = 0;
  void operator()(uint8_t* p) const noexcept;
};

// A pool of pre-built frames, their headers packed `kStride` bytes apart
// in one (transparent huge page) arena, as a NIC's mbufs would be reached.
struct Pool {
  static constexpr std::size_t kStride = 128;  // every header tunprobe reads fits
  std::string mix;
  std::string variant;       // "min", "tcp" or "" (mixes)
  uint32_t flows = 0;
  std::size_t frames = 0;
  std::unique_ptr<uint8_t, ArenaDeleter> arena;
  std::vector<uint16_t> cap;    // bytes stored per frame (captured length)
  std::vector<uint16_t> wire;   // frame size on the wire, with FCS
  double mean_wire = 0;         // mean over frames (with FCS)
  // Per flow kind: flows and frames (for the report).
  uint64_t kind_flows[5] = {};
  uint64_t kind_frames[5] = {};

  const uint8_t* frame(std::size_t i) const noexcept { return arena.get() + i * kStride; }
};

// Mix names in report order, and whether a name is known.
const std::vector<std::string>& mix_names();
bool is_single_flow_mix(const std::string& mix) noexcept;

// Builds a pool. Single-flow mixes: `flows` flows (1 for one worker; N for
// the end-to-end runs), one frame each, `variant` "min" or "tcp". Mixes:
// `flows` flows over max(flows, min_frames) frames, frame i belonging to
// flow i % flows. `seed` changes every flow's addresses (other workers).
Pool make_pool(const std::string& mix, const std::string& variant, uint32_t flows, std::size_t min_frames,
               uint64_t seed);

// Single-flow mixes for end-to-end runs: the flows given by id.
Pool make_pool_ids(const std::string& mix, const std::string& variant, const std::vector<uint32_t>& ids);

// Writes n frames (the pool's, in order, from the start again when n is
// larger) as a classic pcap, one packet per microsecond from 2026-01-01;
// `snap` is the snapshot length: 0 writes whole frames (payload zeros),
// otherwise at most min(snap, 128) bytes of each frame (the original length
// stays in the record). Returns an error message, "" on success.
std::string write_pcap(const Pool& pool, const std::string& path, std::size_t n, unsigned snap);

}  // namespace tunprobe::bench
