#include "probe/flow_cache.hpp"

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

// 0 marks an empty slot, so a signature never is 0.
inline uint16_t sig_of(uint32_t hash) noexcept {
  const uint16_t s = static_cast<uint16_t>(hash >> 16);
  return s != 0 ? s : 1;
}

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
    : mask_(cfg.capacity / kWays - 1), active_ms_(cfg.active_timeout_ms), inactive_ms_(cfg.inactive_timeout_ms) {
  const uint32_t nb = cfg.capacity / kWays;
  buckets_.reset(alloc_zeroed<Bucket>(nb));
  records_.reset(alloc_zeroed<FlowRecord>(cfg.capacity));
}

uint32_t FlowCache::hash_portable(const uint64_t (&w)[7]) noexcept { return rte_hash_crc(w, sizeof w, kHashSeed); }

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

void FlowCache::prefetch_record(uint32_t hash) const noexcept {
  const uint32_t b = hash & mask_;
  const Bucket& bucket = buckets_[b];
  unsigned m = match_ways(bucket, sig_of(hash));
  if (m == 0) m = match_ways(bucket, 0);
  unsigned way;
  if (m != 0) {
    way = static_cast<unsigned>(__builtin_ctz(m)) / 2;
  } else {
    // A full bucket: lookup will evict (and export) the way nearest its
    // deadline, the first of them (as in lookup).
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
  return d < 0xffff'ffffu ? static_cast<uint32_t>(d) : 0xffff'fffeu;
}

uint32_t FlowCache::deadline_of(const FlowRecord& r) const noexcept {
  const uint64_t active = r.first_ms + active_ms_;
  const uint64_t idle = r.last_ms + inactive_ms_;
  return rel(active < idle ? active : idle);
}

EndReason FlowCache::timeout_reason(const FlowRecord& r, uint64_t now_ms) const noexcept {
  return now_ms >= r.last_ms + inactive_ms_ ? EndReason::idle : EndReason::active;
}

void FlowCache::emit(FlowRecord& r, EndReason reason, RecordSink& sink) noexcept {
  r.end_reason = reason;
  sink.next() = r;
  --live_;
}

FlowRecord& FlowCache::lookup(const FlowKey& key, uint32_t hash, uint64_t now_ms, bool& created,
                              RecordSink& sink) noexcept {
  if (!have_base_) {
    // Deadlines are 32-bit ms offsets from the first packet's time (49 days).
    base_ms_ = now_ms;
    have_base_ = true;
  }
  const uint32_t b = hash & mask_;
  Bucket& bucket = buckets_[b];
  FlowRecord* recs = &records_[static_cast<std::size_t>(b) * kWays];
  const uint16_t sig = sig_of(hash);
  const uint32_t now = rel(now_ms);
  // Ways in increasing order, as a scan would visit them.
  for (unsigned m = match_ways(bucket, sig); m != 0; m &= m - 1, m &= m - 1) {
    const unsigned w = static_cast<unsigned>(__builtin_ctz(m)) / 2;
    if (!key_equal(recs[w].key, key)) continue;
    if (now < bucket.deadline[w]) {
      created = false;
      return recs[w];
    }
    // Expired while waiting for the sweep: end it, and start afresh here.
    emit(recs[w], timeout_reason(recs[w], now_ms), sink);
    ++live_;
    created = true;
    recs[w].key = key;
    return recs[w];
  }
  const unsigned empty = match_ways(bucket, 0);
  unsigned slot = empty != 0 ? static_cast<unsigned>(__builtin_ctz(empty)) / 2 : kWays;
  if (slot == kWays) {
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

void FlowCache::touch(const FlowRecord& rec, uint32_t hash) noexcept {
  const std::size_t index = static_cast<std::size_t>(&rec - records_.get());
  buckets_[hash & mask_].deadline[index % kWays] = deadline_of(rec);
}

void FlowCache::finish(FlowRecord& rec, uint32_t hash, EndReason reason, RecordSink& sink) noexcept {
  const std::size_t index = static_cast<std::size_t>(&rec - records_.get());
  buckets_[hash & mask_].sig[index % kWays] = 0;
  emit(rec, reason, sink);
}

void FlowCache::expire_slice(uint64_t now_ms, unsigned buckets, RecordSink& sink) noexcept {
  if (!have_base_ || live_ == 0) return;
  const uint32_t now = rel(now_ms);
  for (unsigned i = 0; i < buckets; ++i) {
    Bucket& bucket = buckets_[cursor_];
    // Ways in increasing order; expiring one changes no other way.
    for (unsigned m = expired_ways(bucket, now); m != 0; m &= m - 1, m &= m - 1) {
      const unsigned w = static_cast<unsigned>(__builtin_ctz(m)) / 2;
      FlowRecord& r = records_[static_cast<std::size_t>(cursor_) * kWays + w];
      bucket.sig[w] = 0;
      emit(r, timeout_reason(r, now_ms), sink);
    }
    cursor_ = (cursor_ + 1) & mask_;
  }
  // The next slice's buckets, while this burst's packets are handled.
  for (unsigned i = 0; i < buckets; ++i) __builtin_prefetch(&buckets_[(cursor_ + i) & mask_]);
}

void FlowCache::flush_all(uint64_t now_ms, RecordSink& sink) noexcept {
  const uint32_t now = rel(now_ms);
  for (uint32_t b = 0; b <= mask_ && live_ != 0; ++b) {
    Bucket& bucket = buckets_[b];
    for (unsigned w = 0; w < kWays; ++w) {
      if (bucket.sig[w] == 0) continue;
      FlowRecord& r = records_[static_cast<std::size_t>(b) * kWays + w];
      bucket.sig[w] = 0;
      emit(r, have_base_ && now >= bucket.deadline[w] ? timeout_reason(r, now_ms) : EndReason::forced, sink);
    }
  }
}

}  // namespace tunprobe
