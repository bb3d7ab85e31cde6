#include "probe/flow_cache.hpp"

#include <rte_hash_crc.h>

#include <cstdlib>
#include <new>

namespace tunprobe {

namespace {

// 0 marks an empty slot, so a signature never is 0.
inline uint16_t sig_of(uint32_t hash) noexcept {
  const uint16_t s = static_cast<uint16_t>(hash >> 16);
  return s != 0 ? s : 1;
}

template <typename T>
T* alloc_zeroed(std::size_t n) {
  void* p = std::aligned_alloc(64, (n * sizeof(T) + 63) / 64 * 64);
  if (p == nullptr) throw std::bad_alloc();
  std::memset(p, 0, n * sizeof(T));
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

uint32_t FlowCache::hash(const FlowKey& key) noexcept { return rte_hash_crc(&key, sizeof key, 0x7475'6e70); }

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
  for (unsigned w = 0; w < kWays; ++w) {
    if (bucket.sig[w] != sig || !key_equal(recs[w].key, key)) continue;
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
  unsigned slot = kWays;
  for (unsigned w = 0; w < kWays; ++w) {
    if (bucket.sig[w] == 0) {
      slot = w;
      break;
    }
  }
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
    for (unsigned w = 0; w < kWays; ++w) {
      if (bucket.sig[w] != 0 && now >= bucket.deadline[w]) {
        FlowRecord& r = records_[static_cast<std::size_t>(cursor_) * kWays + w];
        bucket.sig[w] = 0;
        emit(r, timeout_reason(r, now_ms), sink);
      }
    }
    cursor_ = (cursor_ + 1) & mask_;
  }
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
