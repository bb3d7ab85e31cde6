// Test support: Catch2 printers for tunprobe's enums, a parse() that hands
// the parser an exact-size copy (so a sanitizer build catches any read past
// the captured bytes), and the every-cut truncation check.
#pragma once

#include <catch2/catch.hpp>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "builder.hpp"
#include "probe/decode/parse.hpp"

namespace Catch {
template <>
struct StringMaker<tunprobe::Verdict> {
  static std::string convert(tunprobe::Verdict v) { return std::string(tunprobe::verdict_name(v)); }
};
template <>
struct StringMaker<tunprobe::TunnelType> {
  static std::string convert(tunprobe::TunnelType t) { return std::string(tunprobe::tunnel_type_name(t)); }
};
template <>
struct StringMaker<tunprobe::AddrClass> {
  static std::string convert(tunprobe::AddrClass c) { return std::string(tunprobe::addr_class_name(c)); }
};
}  // namespace Catch

namespace tb {

using tunprobe::AddrClass;
using tunprobe::DecodeConfig;
using tunprobe::LinkType;
using tunprobe::PacketInfo;
using tunprobe::TunnelType;
using tunprobe::Verdict;

inline PacketInfo parse(const Bytes& b, LinkType link = LinkType::ethernet, const DecodeConfig& cfg = {}) {
  auto copy = std::make_unique<uint8_t[]>(b.size());
  if (!b.empty()) std::memcpy(copy.get(), b.data(), b.size());
  PacketInfo p;
  tunprobe::parse_frame(copy.get(), b.size(), link, cfg, p);
  return p;
}

inline PacketInfo parse_cfg(const Bytes& b, const DecodeConfig& cfg) { return parse(b, LinkType::ethernet, cfg); }

inline Bytes prefix(const Bytes& b, std::size_t n) {
  return Bytes(b.begin(), b.begin() + static_cast<std::ptrdiff_t>(n));
}

// One row of a truncation table: every cut shorter than `end` (and not
// shorter than the previous row's end) must give `verdict`, and pass
// `check` when one is given.
struct Cut {
  std::size_t end;
  Verdict verdict;
  std::function<void(const PacketInfo&)> check = {};
};

// Parses every prefix 0..full.size()-1 of `full` (a snaplen cut: the
// length fields stay those of the whole packet) and checks each against
// the table. The last row must end at full.size().
inline void check_every_cut(const Bytes& full, const std::vector<Cut>& table, LinkType link = LinkType::ethernet,
                            const DecodeConfig& cfg = {}) {
  REQUIRE(!table.empty());
  REQUIRE(table.back().end == full.size());
  for (std::size_t i = 1; i < table.size(); ++i) REQUIRE(table[i - 1].end < table[i].end);
  std::size_t row = 0;
  for (std::size_t n = 0; n < full.size(); ++n) {
    while (n >= table[row].end) ++row;
    const PacketInfo p = parse(prefix(full, n), link, cfg);
    INFO("cut at " << n << " of " << full.size() << " bytes (table row " << row << ")");
    CHECK(p.verdict == table[row].verdict);
    if (table[row].check) table[row].check(p);
  }
}

// The packet was kept as an IPv4 UDP flow (no tunnel decoded).
inline void check_ipv4_udp(const PacketInfo& p, uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport) {
  CHECK(p.tunnel == TunnelType::none);
  CHECK(p.ip_version == 4);
  CHECK(p.protocol == kUdp);
  CHECK(tunprobe::ipv4_of(p.src) == src);
  CHECK(tunprobe::ipv4_of(p.dst) == dst);
  CHECK(p.has_ports);
  CHECK(p.sport == sport);
  CHECK(p.dport == dport);
  CHECK(p.src_class == AddrClass::none);
  CHECK(p.dst_class == AddrClass::none);
  CHECK_FALSE(tunprobe::verdict_is_drop(p.verdict));
}

}  // namespace tb
