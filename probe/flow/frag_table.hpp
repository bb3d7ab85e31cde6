// Per-worker fragment table: maps (version, protocol, fragment id, source,
// destination) of a first fragment to the key of the flow it was counted
// in, so that later fragments (which carry no ports, and for an outer IPv4
// fragment of a tunnel not even the inner header) count into the same flow.
//
// 4-way set-associative, fixed size, entries live for kLifetimeMs of packet
// time (RFC 8200 and RFC 791 reassembly give up after 60 s; 30 s here, as
// the default inactive timeout). A full set replaces its oldest entry.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>

#include <rte_hash_crc.h>

#include "probe/flow/flow_record.hpp"

namespace tunprobe {

// 8-byte aligned: rte_hash_crc reads it in 64-bit words.
struct alignas(8) FragKey {
  uint8_t src[16];
  uint8_t dst[16];
  uint32_t id;
  uint8_t version;
  uint8_t protocol;
  uint8_t pad[2];
};
static_assert(sizeof(FragKey) == 40);

class FragTable {
 public:
  static constexpr unsigned kSets = 1024;
  static constexpr unsigned kWays = 4;
  static constexpr uint64_t kLifetimeMs = 30'000;

  FragTable() : entries_(new Entry[kSets * kWays]()) {}

  void insert(const FragKey& fk, const FlowKey& flow, uint64_t now_ms) noexcept {
    Entry* set = &entries_[set_of(fk) * kWays];
    Entry* victim = &set[0];
    for (unsigned w = 0; w < kWays; ++w) {
      if (set[w].expires_ms <= now_ms || std::memcmp(&set[w].frag, &fk, sizeof fk) == 0) {
        victim = &set[w];
        break;
      }
      if (set[w].expires_ms < victim->expires_ms) victim = &set[w];
    }
    victim->frag = fk;
    victim->flow = flow;
    victim->expires_ms = now_ms + kLifetimeMs;
  }

  // The flow key of the first fragment, or nullptr when it was never seen.
  const FlowKey* find(const FragKey& fk, uint64_t now_ms) const noexcept {
    const Entry* set = &entries_[set_of(fk) * kWays];
    for (unsigned w = 0; w < kWays; ++w)
      if (set[w].expires_ms > now_ms && std::memcmp(&set[w].frag, &fk, sizeof fk) == 0) return &set[w].flow;
    return nullptr;
  }

 private:
  struct Entry {
    FragKey frag;
    FlowKey flow;
    uint64_t expires_ms;
  };
  static unsigned set_of(const FragKey& fk) noexcept { return rte_hash_crc(&fk, sizeof fk, 0) & (kSets - 1); }
  std::unique_ptr<Entry[]> entries_;
};

}  // namespace tunprobe
