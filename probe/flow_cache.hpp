// The per-worker flow cache.
//
// Set-associative: the key's 32-bit hash picks a bucket of 8 slots (one
// cache line: 8 16-bit signatures and 8 32-bit deadlines); the slot's
// record lives in a separate array at bucket * 8 + way. A lookup touches the
// bucket line and, only on a signature match, the record. Nothing ever
// moves: when a bucket is full, the slot nearest its deadline (the longest
// idle record, or one at its active timeout) is evicted and exported with
// flowEndReason lackOfResources. Load is therefore bounded by construction.
//
// Timeouts are by packet time. A slot's deadline is
// min(first + active timeout, last + inactive timeout); a flow is over when
// packet time reaches it. Expiry happens (a) on lookup, when a packet hits
// an expired record: the old record is exported and a new one starts, so
// results do not depend on when the sweep runs; (b) in bounded slices per
// burst (expire_slice), a cursor walking the buckets.
//
// Not thread-safe: one cache per worker, nothing shared.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#if defined(__SSE4_2__)
#include <nmmintrin.h>
#endif

#include "probe/flow_record.hpp"
#include "probe/record_sink.hpp"

namespace tunprobe {

struct FlowCacheConfig {
  uint32_t capacity = 1u << 20;      // records, power of two, >= 8
  uint32_t active_timeout_ms = 300'000;
  uint32_t inactive_timeout_ms = 30'000;
};

class FlowCache {
 public:
  static constexpr unsigned kWays = 8;

  explicit FlowCache(const FlowCacheConfig& cfg);

  // CRC-32C of the key's 56 bytes, seed 0x74756e70 (rte_hash_crc(&key, 56,
  // seed): seven 8-byte crc32 steps, inlined here).
  static uint32_t hash(const FlowKey& key) noexcept {
    uint64_t w[7];
    std::memcpy(w, &key, sizeof w);
    return hash_words(w);
  }
  // The same hash from the key's seven 64-bit words (in memory order).
  static uint32_t hash_words(const uint64_t (&w)[7]) noexcept {
#if defined(__SSE4_2__)
    uint64_t h = kHashSeed;
    for (const uint64_t x : w) h = _mm_crc32_u64(h, x);
    return static_cast<uint32_t>(h);
#else
    return hash_portable(w);
#endif
  }
  static uint32_t hash_portable(const uint64_t (&w)[7]) noexcept;

  // Bulk lookups, stage 1: the bucket's cache line.
  void prefetch(uint32_t hash) const noexcept { __builtin_prefetch(&buckets_[hash & mask_]); }

  // Stage 2, once the bucket is at hand: the record the packet will most
  // likely update (the first way whose signature matches, else the first
  // empty way), both of its cache lines, for writing.
  void prefetch_record(uint32_t hash) const noexcept;

  // Finds the live record for `key`, or starts one (then `created` is set
  // and the caller fills it via start()). Records that end on the way
  // (expired on hit, evicted) go to `sink`.
  FlowRecord& lookup(const FlowKey& key, uint32_t hash, uint64_t now_ms, bool& created,
                     RecordSink& sink) noexcept;

  // After the caller updated `rec` (returned by lookup): record its new
  // deadline.
  void touch(const FlowRecord& rec, uint32_t hash) noexcept;

  // Ends `rec` now (TCP FIN/RST): exported with `reason`, slot freed.
  void finish(FlowRecord& rec, uint32_t hash, EndReason reason, RecordSink& sink) noexcept;

  // Expires up to `buckets` buckets from the cursor on.
  void expire_slice(uint64_t now_ms, unsigned buckets, RecordSink& sink) noexcept;

  // Exports every live record: those past their deadline at `now_ms` with
  // their timeout reason, the rest with forcedEnd. The cache is empty after.
  void flush_all(uint64_t now_ms, RecordSink& sink) noexcept;

  std::size_t live() const noexcept { return live_; }
  uint64_t evictions() const noexcept { return evictions_; }
  uint32_t capacity() const noexcept { return (mask_ + 1) * kWays; }

 private:
  static constexpr uint32_t kHashSeed = 0x7475'6e70;

  struct alignas(64) Bucket {
    uint16_t sig[kWays];       // 0: empty
    uint32_t deadline[kWays];  // ms since base_ms_
    uint8_t pad[16];
  };
  static_assert(sizeof(Bucket) == 64);

  // Bit 2w (and 2w+1) set for each way w whose signature equals `sig`.
  static unsigned match_ways(const Bucket& b, uint16_t sig) noexcept;
  // The same for ways whose deadline has passed (now >= deadline), live ones only.
  static unsigned expired_ways(const Bucket& b, uint32_t now) noexcept;

  uint32_t rel(uint64_t ms) const noexcept;
  uint32_t deadline_of(const FlowRecord& r) const noexcept;
  EndReason timeout_reason(const FlowRecord& r, uint64_t now_ms) const noexcept;
  void emit(FlowRecord& r, EndReason reason, RecordSink& sink) noexcept;

  struct FreeDeleter {
    void operator()(void* p) const noexcept;
  };
  std::unique_ptr<Bucket[], FreeDeleter> buckets_;
  std::unique_ptr<FlowRecord[], FreeDeleter> records_;
  uint32_t mask_;             // buckets - 1
  uint32_t cursor_ = 0;
  uint32_t active_ms_;
  uint32_t inactive_ms_;
  uint64_t base_ms_ = 0;
  bool have_base_ = false;
  std::size_t live_ = 0;
  uint64_t evictions_ = 0;
};

}  // namespace tunprobe
