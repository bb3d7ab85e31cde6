// Distinct IPv6 addresses per transport and class, for Tables 1-3.
//
// An AddrSet holds each distinct address once, with a mask of the
// transports it was seen in (bit t = TunnelType t, bit 0 = native) and its
// class: 20 bytes in an open-addressing table (load <= 0.7). Every count
// of Tables 1-3 follows from it at the end, exactly. When the AddrCounter's
// budget (--exact-limit addresses in all sets together) is exceeded, its
// largest set turns into HyperLogLog sketches, one per count it feeds;
// from then on that set's counts are estimates and say so.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <vector>

#include "probe/report/flow.hpp"
#include "probe/report/hll.hpp"

namespace tunprobe::report {

inline constexpr std::size_t kTransports = kTunnelTypeCount;  // TunnelType values; 0 = native
inline constexpr std::size_t kClasses = kAddrClassNames.size();  // AddrClass values
// A set's entry keeps one bit per transport.
using TransportMask = uint16_t;
static_assert(kTransports <= 16, "AddrSet::Entry's transport mask is 16 bits");

// Link-local, multicast, unspecified and loopback addresses name no host:
// they are kept apart (counted as "not counted") in every table.
constexpr bool is_counted_class(AddrClass c) {
  return c != AddrClass::link_local && c != AddrClass::multicast && c != AddrClass::unspecified &&
         c != AddrClass::loopback && c != AddrClass::none;
}

struct AddrCounts {
  bool estimated = false;
  std::array<uint64_t, kTransports> transport{};  // counted addresses seen in flows of each transport
  uint64_t all = 0;       // counted addresses, each once
  uint64_t tunneled = 0;  // counted addresses seen in any tunnel, each once
  uint64_t excluded = 0;  // distinct addresses not counted (is_counted_class false)
  // [0] seen in native flows, [1] seen in tunneled flows; by class.
  std::array<std::array<uint64_t, kClasses>, 2> by_class{};
};

class AddrSet {
 public:
  explicit AddrSet(bool with_classes) : with_classes_(with_classes) {}
  // Returns true when the address was new (an exact entry was added).
  bool add(const Ipv6& a, TunnelType t, AddrClass c);
  std::size_t exact_size() const { return used_; }
  bool estimated() const { return sketches_ != nullptr; }
  // Moves every exact entry into sketches and frees the table.
  void convert_to_sketches();
  AddrCounts counts() const;

 private:
  struct Entry {
    uint8_t addr[16];
    TransportMask mask;  // 0 = empty slot
    uint8_t cls;
  };
  struct Sketches {
    std::array<std::unique_ptr<HyperLogLog>, kTransports> transport;
    std::unique_ptr<HyperLogLog> all, tunneled, excluded;
    std::array<std::array<std::unique_ptr<HyperLogLog>, kClasses>, 2> by_class;
  };
  void sketch_add(uint64_t hash, unsigned transport, AddrClass c);
  void grow();

  bool with_classes_;
  std::vector<Entry> table_;
  std::size_t used_ = 0;
  std::unique_ptr<Sketches> sketches_;
};

// The whole period's set and one set per UTC day, under one budget.
class AddrCounter {
 public:
  explicit AddrCounter(uint64_t exact_limit) : limit_(exact_limit) {}
  void add(int64_t day, const Ipv6& a, TunnelType t, AddrClass c);
  AddrCounts period() const { return period_.counts(); }
  std::map<int64_t, AddrCounts> days() const;
  bool any_estimated() const;
  uint64_t exact_limit() const { return limit_; }

 private:
  void enforce_limit();

  uint64_t limit_;
  uint64_t held_ = 0;  // exact entries in all sets
  AddrSet period_{true};
  std::map<int64_t, AddrSet> days_;
  int64_t last_day_ = INT64_MIN;
  AddrSet* last_set_ = nullptr;
};

}  // namespace tunprobe::report
