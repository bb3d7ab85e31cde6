#include "probe/flow/flow_cache.hpp"

#include <rte_hash_crc.h>
#include <sys/mman.h>
#if defined(__SSE4_1__)
#include <smmintrin.h>
#elif defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <cstdlib>
#include <new>

namespace tunprobe {

namespace {

// Large tables are 2 MiB aligned and asked for transparent huge pages (as
// DPDK's own memory is huge pages): a lookup in a 1M-flow cache then costs
// its cache misses, not also a TLB miss per access.
template <typename T>
T* alloc_zeroed(std::size_t n) {
  constexpr std::size_t kHuge = std::size_t{2} << 20;
  const std::size_t bytes = n * sizeof(T);
  const std::size_t align = bytes >= kHuge ? kHuge : 64;
  const std::size_t size = (bytes + align - 1) / align * align;
  void* p = std::aligned_alloc(align, size);
  if (p == nullptr) throw std::bad_alloc();
#ifdef MADV_HUGEPAGE
  if (align == kHuge) madvise(p, size, MADV_HUGEPAGE);
#endif
  std::memset(p, 0, bytes);
  return static_cast<T*>(p);
}

}  // namespace

void FlowCache::FreeDeleter::operator()(void* p) const noexcept { std::free(p); }

FlowCache::FlowCache(const FlowCacheConfig& cfg)
    : buckets_count_(cfg.capacity / kWays < 1 ? 1 : cfg.capacity / kWays),
      wide_(buckets_count_ > kNarrowBuckets),
      active_ms_(cfg.active_timeout_ms),
      inactive_ms_(cfg.inactive_timeout_ms),
      grace_ms_(cfg.tcp_end_grace_ms) {
  buckets_.reset(alloc_zeroed<Bucket>(buckets_count_));
  records_.reset(alloc_zeroed<FlowRecord>(static_cast<std::size_t>(buckets_count_) * kWays));
}

uint64_t FlowCache::hash_portable(const uint64_t (&w)[8], bool wide) noexcept {
  const uint32_t a = rte_hash_crc(w, sizeof w, kHashSeed);
  if (!wide) return uint64_t{a} << 32 | a;
  uint32_t b = kSigSeed;
  for (unsigned i = 0; i < 8; ++i) b = rte_hash_crc_8byte(w[7 - i], b);
  return uint64_t{b} << 32 | a;
}

unsigned FlowCache::match_ways(const Bucket& b, uint16_t sig) noexcept {
#if defined(__SSE2__)
  const __m128i sigs = _mm_load_si128(reinterpret_cast<const __m128i*>(b.sig));
  return static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi16(sigs, _mm_set1_epi16(static_cast<short>(sig)))));
#else
  unsigned m = 0;
  for (unsigned w = 0; w < kWays; ++w)
    if (b.sig[w] == sig) m |= 3u << (2 * w);
  return m;
#endif
}

unsigned FlowCache::expired_ways(const Bucket& b, uint32_t now) noexcept {
#if defined(__SSE4_1__)
  const __m128i n = _mm_set1_epi32(static_cast<int>(now));
  const __m128i d0 = _mm_load_si128(reinterpret_cast<const __m128i*>(b.deadline));
  const __m128i d1 = _mm_load_si128(reinterpret_cast<const __m128i*>(b.deadline + 4));
  // now >= deadline (unsigned): max(now, deadline) == now.
  const __m128i e0 = _mm_cmpeq_epi32(_mm_max_epu32(n, d0), n);
  const __m128i e1 = _mm_cmpeq_epi32(_mm_max_epu32(n, d1), n);
  const __m128i expired = _mm_packs_epi32(e0, e1);  // 8 x 16 bits
  const __m128i sigs = _mm_load_si128(reinterpret_cast<const __m128i*>(b.sig));
  const __m128i empty = _mm_cmpeq_epi16(sigs, _mm_setzero_si128());
  return static_cast<unsigned>(_mm_movemask_epi8(_mm_andnot_si128(empty, expired)));
#else
  unsigned m = 0;
  for (unsigned w = 0; w < kWays; ++w)
    if (b.sig[w] != 0 && now >= b.deadline[w]) m |= 3u << (2 * w);
  return m;
#endif
}

void FlowCache::prefetch_record(uint64_t hash) const noexcept {
  const uint32_t b = bucket_of(hash);
  const Bucket& bucket = buckets_[b];
  unsigned m = match_ways(bucket, sig_of(hash));
  if (m == 0) m = match_ways(bucket, 0);
  unsigned way;
  if (m != 0) {
    way = static_cast<unsigned>(__builtin_ctz(m)) / 2;
  } else {
    // A full bucket: lookup will reuse an expired way or evict the way
    // nearest its deadline; the nearest deadline is also the likeliest
    // expired one.
    way = 0;
    for (unsigned w = 1; w < kWays; ++w)
      if (bucket.deadline[w] < bucket.deadline[way]) way = w;
  }
  const FlowRecord* r = &records_[static_cast<std::size_t>(b) * kWays + way];
  __builtin_prefetch(r, 1);
  __builtin_prefetch(reinterpret_cast<const char*>(r) + 64, 1);
}

uint32_t FlowCache::rel(uint64_t ms) const noexcept {
  if (ms <= base_ms_) return 0;
  const uint64_t d = ms - base_ms_;
  // Cannot saturate: now - base < 2^31 (rebase) and a deadline is at most
  // 86,400 s past now.
  return d < 0xffff'ffffu ? static_cast<uint32_t>(d) : 0xffff'fffeu;
}

// Moves the base to `now_ms`: every live deadline drops by the shift (one
// already past the new base becomes 0: expired). O(buckets) once per 2^31
// ms (24.8 days) of packet time, or at a forward jump of the clock; free
// while the cache is empty.
void FlowCache::rebase(uint64_t now_ms) noexcept {
  const uint64_t shift = now_ms - base_ms_;
  if (have_base_ && live_ != 0) {
    for (uint32_t b = 0; b < buckets_count_; ++b) {
      Bucket& bucket = buckets_[b];
      for (unsigned w = 0; w < kWays; ++w)
        bucket.deadline[w] = bucket.deadline[w] > shift ? static_cast<uint32_t>(bucket.deadline[w] - shift) : 0;
    }
  }
  if (have_base_) ++rebases_;
  base_ms_ = now_ms;
  rebase_at_ms_ = now_ms + kRebaseSpanMs;
  have_base_ = true;
}

namespace {
struct Deadlines {
  uint64_t active, idle, end;  // end: UINT64_MAX when no TCP end was seen
};
Deadlines deadlines(const FlowRecord& r, uint32_t active_ms, uint32_t inactive_ms, uint32_t grace_ms) noexcept {
  return {r.first_ms + active_ms, last_ms(r) + inactive_ms,
          r.tcp_end_ms != 0 ? r.first_ms + (r.tcp_end_ms - 1) + grace_ms : ~uint64_t{0}};
}
}  // namespace

uint32_t FlowCache::deadline_of(const FlowRecord& r) const noexcept {
  const Deadlines d = deadlines(r, active_ms_, inactive_ms_, grace_ms_);
  uint64_t m = d.active < d.idle ? d.active : d.idle;
  if (d.end < m) m = d.end;
  return rel(m);
}

EndReason FlowCache::timeout_reason(const FlowRecord& r) const noexcept {
  const Deadlines d = deadlines(r, active_ms_, inactive_ms_, grace_ms_);
  if (r.tcp_end_ms != 0) return d.active < d.idle && d.active < d.end ? EndReason::active : EndReason::end_of_flow;
  return d.active < d.idle ? EndReason::active : EndReason::idle;
}

void FlowCache::emit(FlowRecord& r, EndReason reason, RecordSink& sink) noexcept {
  r.end_reason = reason;
  copy_record(sink.next(), r);
  --live_;
}

FlowRecord& FlowCache::lookup(const FlowKey& key, uint64_t hash, uint64_t now_ms, bool& created,
                              RecordSink& sink) noexcept {
  const uint32_t now = now_rel(now_ms);
  const uint32_t b = bucket_of(hash);
  Bucket& bucket = buckets_[b];
  FlowRecord* recs = &records_[static_cast<std::size_t>(b) * kWays];
  const uint16_t sig = sig_of(hash);
  // Ways in increasing order, as a scan would visit them.
  for (unsigned m = match_ways(bucket, sig); m != 0; m &= m - 1, m &= m - 1) {
    const unsigned w = static_cast<unsigned>(__builtin_ctz(m)) / 2;
    if (!key_equal(recs[w].key, key)) continue;
    if (now < bucket.deadline[w]) {
      created = false;
      return recs[w];
    }
    // Expired while waiting for the sweep: end it, and start afresh here.
    emit(recs[w], timeout_reason(recs[w]), sink);
    ++live_;
    created = true;
    recs[w].key = key;
    return recs[w];
  }
  const unsigned empty = match_ways(bucket, 0);
  unsigned slot;
  if (empty != 0) {
    slot = static_cast<unsigned>(__builtin_ctz(empty)) / 2;
  } else if (const unsigned expired = expired_ways(bucket, now); expired != 0) {
    // A full bucket with records that have timed out: they are over anyway.
    // Export them all with their own end reason; the first slot is reused.
    slot = static_cast<unsigned>(__builtin_ctz(expired)) / 2;
    for (unsigned m = expired; m != 0; m &= m - 1, m &= m - 1) {
      const unsigned w = static_cast<unsigned>(__builtin_ctz(m)) / 2;
      emit(recs[w], timeout_reason(recs[w]), sink);
      ++expired_on_full_;
      if (w != slot) bucket.sig[w] = 0;
    }
  } else {
    slot = 0;
    for (unsigned w = 1; w < kWays; ++w)
      if (bucket.deadline[w] < bucket.deadline[slot]) slot = w;
    emit(recs[slot], EndReason::lack_of_resources, sink);
    ++evictions_;
  }
  ++live_;
  bucket.sig[slot] = sig;
  created = true;
  recs[slot].key = key;
  return recs[slot];
}

void FlowCache::restart(FlowRecord& rec, EndReason reason, RecordSink& sink) noexcept {
  emit(rec, reason, sink);
  ++live_;
}

void FlowCache::touch(const FlowRecord& rec, uint64_t hash) noexcept {
  const std::size_t index = static_cast<std::size_t>(&rec - records_.get());
  buckets_[bucket_of(hash)].deadline[index % kWays] = deadline_of(rec);
}

void FlowCache::finish(FlowRecord& rec, uint64_t hash, EndReason reason, RecordSink& sink) noexcept {
  const std::size_t index = static_cast<std::size_t>(&rec - records_.get());
  buckets_[bucket_of(hash)].sig[index % kWays] = 0;
  emit(rec, reason, sink);
}

void FlowCache::expire_slice(uint64_t now_ms, unsigned buckets, RecordSink& sink) noexcept {
  if (!have_base_ || live_ == 0) return;
  const uint32_t now = now_rel(now_ms);
  if (buckets > buckets_count_) buckets = buckets_count_;
  for (unsigned i = 0; i < buckets; ++i) {
    Bucket& bucket = buckets_[cursor_];
    // Ways in increasing order; expiring one changes no other way.
    for (unsigned m = expired_ways(bucket, now); m != 0; m &= m - 1, m &= m - 1) {
      const unsigned w = static_cast<unsigned>(__builtin_ctz(m)) / 2;
      FlowRecord& r = records_[static_cast<std::size_t>(cursor_) * kWays + w];
      bucket.sig[w] = 0;
      emit(r, timeout_reason(r), sink);
    }
    if (++cursor_ == buckets_count_) cursor_ = 0;
  }
  // The next slice's buckets, while this burst's packets are handled.
  uint32_t c = cursor_;
  for (unsigned i = 0; i < buckets; ++i) {
    __builtin_prefetch(&buckets_[c]);
    if (++c == buckets_count_) c = 0;
  }
}

void FlowCache::flush_all(uint64_t now_ms, RecordSink& sink) noexcept {
  if (!have_base_) return;
  const uint32_t now = now_rel(now_ms);
  for (uint32_t b = 0; b < buckets_count_ && live_ != 0; ++b) {
    Bucket& bucket = buckets_[b];
    for (unsigned w = 0; w < kWays; ++w) {
      if (bucket.sig[w] == 0) continue;
      FlowRecord& r = records_[static_cast<std::size_t>(b) * kWays + w];
      bucket.sig[w] = 0;
      emit(r, now >= bucket.deadline[w] ? timeout_reason(r) : EndReason::forced, sink);
    }
  }
}

}  // namespace tunprobe
