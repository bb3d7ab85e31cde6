// The per-worker flow cache.
//
// Set-associative: the key's hash picks a bucket of 8 slots (one cache
// line: 8 16-bit signatures and 8 32-bit deadlines); the slot's record lives
// in a separate array at bucket * 8 + way. A lookup touches the bucket line
// and, only on a signature match, the record. Nothing ever moves: when a
// bucket is full, its records that have already timed out are exported
// first (with their own end reason); only when none has, the slot nearest
// its deadline is evicted and exported with flowEndReason lackOfResources.
// Load is therefore bounded by construction.
//
// The bucket index comes from a CRC-32C of the key by multiply-shift (any
// number of buckets, not only powers of two: each worker gets its whole
// share of --cache-size whatever the worker count); the 16-bit signature
// from hash bits the index never uses (hash()), so even a 2^28-record
// cache keeps all 16 signature bits.
//
// Timeouts are by packet time, on the worker's clock (Pipeline: it never
// goes backwards). A slot's deadline is min(first + active timeout, last +
// inactive timeout, TCP end + --tcp-end-grace); a flow is over when packet
// time reaches it. Deadlines are stored as 32-bit ms from a base that moves
// forward (rebase()) before packet time gets 2^31 ms past it, so deadlines
// hold for any 64-bit packet time: months of uptime, a capture stamped 0
// followed by real times, clocks that jump forward. Expiry happens (a) on
// lookup, when a packet hits an expired record: the old record is exported
// and a new one starts, so results do not depend on when the sweep runs;
// (b) in bounded slices per burst (expire_slice), a cursor walking the
// buckets.
//
// The end reason of a timed-out record follows from its own times, not
// from when it was found: activeTimeout when first + active came strictly
// before the other deadlines, else endOfFlowDetected for a TCP flow that
// saw FIN or RST, else idleTimeout.
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

#include "probe/flow/flow_record.hpp"
#include "probe/flow/record_sink.hpp"

namespace tunprobe {

struct FlowCacheConfig {
  uint32_t capacity = 1u << 20;      // records, >= 8; rounded down to a multiple of 8
  uint32_t active_timeout_ms = 300'000;
  uint32_t inactive_timeout_ms = 30'000;
  // TCP: how long a flow lives on after its first FIN or RST (0: it ends
  // with that packet).
  uint32_t tcp_end_grace_ms = 5'000;
};

class FlowCache {
 public:
  static constexpr unsigned kWays = 8;

  explicit FlowCache(const FlowCacheConfig& cfg);

  // The key's 64-bit hash. The low half is CRC-32C of the key's 64 bytes,
  // seed 0x74756e70 (rte_hash_crc(&key, 64, seed)): the bucket index is its
  // top log2(buckets) bits (multiply-shift). The high half gives the 16-bit
  // signature. Up to 2^16 buckets the index leaves the low 16 bits of the
  // CRC unused and they are the signature (the high half repeats the low
  // one); beyond, `wide`, the high half is a second CRC-32C chain over the
  // key's words in reverse order with another seed (an independent linear
  // map of the key), so a 2^28-record cache keeps 16 signature bits.
  static uint64_t hash_words(const uint64_t (&w)[8], bool wide) noexcept {
#if defined(__SSE4_2__)
    uint64_t a = kHashSeed;
    if (!wide) {
      for (unsigned i = 0; i < 8; ++i) a = _mm_crc32_u64(a, w[i]);
      return a << 32 | a;
    }
    uint64_t b = kSigSeed;
    for (unsigned i = 0; i < 8; ++i) {
      a = _mm_crc32_u64(a, w[i]);
      b = _mm_crc32_u64(b, w[7 - i]);
    }
    return b << 32 | a;
#else
    return hash_portable(w, wide);
#endif
  }
  static uint64_t hash_portable(const uint64_t (&w)[8], bool wide) noexcept;
  // This cache's hash of a key (wide when it has more than 2^16 buckets).
  uint64_t hash(const FlowKey& key) const noexcept {
    uint64_t w[8];
    std::memcpy(w, &key, sizeof w);
    return hash_words(w, wide_);
  }
  uint64_t hash_words(const uint64_t (&w)[8]) const noexcept { return hash_words(w, wide_); }
  static constexpr uint32_t kNarrowBuckets = 1u << 16;

  // Bulk lookups, stage 1: the bucket's cache line.
  void prefetch(uint64_t hash) const noexcept { __builtin_prefetch(&buckets_[bucket_of(hash)]); }

  // Stage 2, once the bucket is at hand: the record the packet will most
  // likely update (the first way whose signature matches, else the first
  // empty way), both of its cache lines, for writing.
  void prefetch_record(uint64_t hash) const noexcept;

  // Finds the live record for `key`, or starts one (then `created` is set
  // and the caller fills it via start()). Records that end on the way
  // (expired on hit, evicted) go to `sink`.
  FlowRecord& lookup(const FlowKey& key, uint64_t hash, uint64_t now_ms, bool& created,
                     RecordSink& sink) noexcept;

  // Ends `rec` (returned by lookup) with `reason` and starts a new record
  // for the same key in its slot (a TCP SYN after the flow's FIN/RST: a new
  // connection on the same ports). The caller fills it as a created one.
  void restart(FlowRecord& rec, EndReason reason, RecordSink& sink) noexcept;

  // After the caller updated `rec` (returned by lookup): record its new
  // deadline.
  void touch(const FlowRecord& rec, uint64_t hash) noexcept;

  // Ends `rec` now (TCP FIN/RST without grace): exported with `reason`, slot freed.
  void finish(FlowRecord& rec, uint64_t hash, EndReason reason, RecordSink& sink) noexcept;

  // Expires up to `buckets` buckets from the cursor on.
  void expire_slice(uint64_t now_ms, unsigned buckets, RecordSink& sink) noexcept;

  // Exports every live record: those past their deadline at `now_ms` with
  // their timeout reason, the rest with forcedEnd. The cache is empty after.
  void flush_all(uint64_t now_ms, RecordSink& sink) noexcept;

  std::size_t live() const noexcept { return live_; }
  uint64_t evictions() const noexcept { return evictions_; }
  // Records that timed out and were exported when a full bucket needed
  // their slot (not evictions: they had ended anyway).
  uint64_t expired_on_full() const noexcept { return expired_on_full_; }
  uint64_t rebases() const noexcept { return rebases_; }
  uint32_t buckets() const noexcept { return buckets_count_; }
  uint32_t capacity() const noexcept { return buckets_count_ * kWays; }
  uint32_t tcp_end_grace_ms() const noexcept { return grace_ms_; }

  // Deadline arithmetic, for tests: the base that 32-bit deadlines count
  // from, and the packet time at which it moves on.
  uint64_t base_ms() const noexcept { return base_ms_; }
  static constexpr uint64_t kRebaseSpanMs = uint64_t{1} << 31;

 private:
  static constexpr uint32_t kHashSeed = 0x7475'6e70;
  static constexpr uint32_t kSigSeed = 0x7369'6721;

  // Multiply-shift (Lemire's fastrange): a uniform index into any number of
  // buckets from the hash's low 32 bits.
  uint32_t bucket_of(uint64_t hash) const noexcept {
    return static_cast<uint32_t>((static_cast<uint64_t>(static_cast<uint32_t>(hash)) * buckets_count_) >> 32);
  }
  // 0 marks an empty slot, so a signature never is 0.
  static uint16_t sig_of(uint64_t hash) noexcept {
    const uint16_t s = static_cast<uint16_t>(hash >> 32);
    return s != 0 ? s : 1;
  }

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

  // Packet time as a 32-bit offset from base_ms_ (moving the base on first).
  uint32_t now_rel(uint64_t now_ms) noexcept {
    if (now_ms >= rebase_at_ms_) rebase(now_ms);
    return rel(now_ms);
  }
  void rebase(uint64_t now_ms) noexcept;
  uint32_t rel(uint64_t ms) const noexcept;
  uint32_t deadline_of(const FlowRecord& r) const noexcept;
  EndReason timeout_reason(const FlowRecord& r) const noexcept;
  void emit(FlowRecord& r, EndReason reason, RecordSink& sink) noexcept;

  struct FreeDeleter {
    void operator()(void* p) const noexcept;
  };
  std::unique_ptr<Bucket[], FreeDeleter> buckets_;
  std::unique_ptr<FlowRecord[], FreeDeleter> records_;
  uint32_t buckets_count_;
  bool wide_;                 // buckets_count_ > kNarrowBuckets: a second hash chain for signatures
  uint32_t cursor_ = 0;
  uint32_t active_ms_;
  uint32_t inactive_ms_;
  uint32_t grace_ms_;
  uint64_t base_ms_ = 0;
  // The first packet sets the base: until then every time rebases.
  uint64_t rebase_at_ms_ = 0;
  bool have_base_ = false;
  std::size_t live_ = 0;
  uint64_t evictions_ = 0;
  uint64_t expired_on_full_ = 0;
  uint64_t rebases_ = 0;
};

}  // namespace tunprobe
