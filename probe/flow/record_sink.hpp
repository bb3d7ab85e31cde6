// Where a worker puts finished flow records: a small batch that is handed
// on (to the worker's SPSC ring, or to a test's collector) when full and at
// the end of each burst. Copying records keeps the cache's slots free for
// reuse at once; batching keeps ring operations off the per-packet path.
#pragma once

#include <cstdint>

#include "probe/flow/flow_record.hpp"

namespace tunprobe {

class RecordSink {
 public:
  static constexpr unsigned kBatch = 32;
  // Hands `n` records on; must take all of them (it may wait).
  using FlushFn = void (*)(void* ctx, const FlowRecord* records, unsigned n);

  RecordSink(FlushFn fn, void* ctx) : fn_(fn), ctx_(ctx) {}

  FlowRecord& next() noexcept {
    if (n_ == kBatch) flush();
    ++exported_;
    return batch_[n_++];
  }
  void flush() noexcept {
    if (n_ == 0) return;
    fn_(ctx_, batch_, n_);
    n_ = 0;
  }
  uint64_t exported() const noexcept { return exported_; }

 private:
  FlowRecord batch_[kBatch];
  unsigned n_ = 0;
  uint64_t exported_ = 0;
  FlushFn fn_;
  void* ctx_;
};

}  // namespace tunprobe
