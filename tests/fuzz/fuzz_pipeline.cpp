// libFuzzer target for the whole worker path: parse -> plug-ins -> classify
// -> flow cache (a tiny one, so eviction, expiry on hit and the sweep all
// run) -> fragment table -> JSON of every exported record. The input is
// split into frames: each frame is [2-byte length][2-byte time step in ms]
// [bytes], so the fuzzer controls sizes and packet time (timeouts).
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "probe/records/flow_json.hpp"
#include "probe/flow/pipeline.hpp"

namespace {

struct Collected {
  uint64_t packets = 0;
  uint64_t records = 0;
};

void collect(void* ctx, const tunprobe::FlowRecord* recs, unsigned n) {
  auto* c = static_cast<Collected*>(ctx);
  std::string line;
  for (unsigned i = 0; i < n; ++i) {
    c->packets += recs[i].packets;
    ++c->records;
    line.clear();
    tunprobe::append_flow_json(line, recs[i], tunprobe::DecodeConfig{});
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  tunprobe::PipelineConfig cfg;
  cfg.cache.capacity = 16;
  cfg.cache.active_timeout_ms = 5000;
  cfg.cache.inactive_timeout_ms = 1000;
  cfg.decode.detect(tunprobe::TunnelType::teredo) = (size & 1) != 0 ? tunprobe::UdpDetect::content : tunprobe::UdpDetect::ports;
  cfg.decode.mirrors = (size & 2) != 0 ? tunprobe::kAllMirrors : 0;
  Collected c;
  tunprobe::RecordSink sink(&collect, &c);
  tunprobe::Pipeline pipe(cfg, 0, sink);

  const uint8_t* frames[tunprobe::Pipeline::kMaxBurst];
  uint32_t lens[tunprobe::Pipeline::kMaxBurst];
  uint64_t ts[tunprobe::Pipeline::kMaxBurst];
  uint64_t now = 1'767'225'600'000'000'000ull;
  unsigned n = 0;
  size_t off = 0;
  while (off + 4 <= size) {
    const size_t len = (static_cast<size_t>(data[off]) << 8 | data[off + 1]) % 2048;
    now += (static_cast<uint64_t>(data[off + 2]) << 8 | data[off + 3]) * 1'000'000ull;
    off += 4;
    const size_t take = len < size - off ? len : size - off;
    frames[n] = data + off;
    lens[n] = static_cast<uint32_t>(take);
    ts[n] = now;
    off += take;
    if (++n == tunprobe::Pipeline::kMaxBurst) {
      pipe.process_burst(frames, lens, ts, n);
      n = 0;
    }
  }
  if (n > 0) pipe.process_burst(frames, lens, ts, n);
  pipe.finish();
  // Conservation: every packet read is in a record or in a dropped verdict.
  const tunprobe::WorkerCounters& k = pipe.counters();
  uint64_t dropped = 0;
  for (std::size_t v = 0; v < tunprobe::kVerdictCount; ++v)
    if (tunprobe::verdict_is_drop(static_cast<tunprobe::Verdict>(v))) dropped += k.verdicts[v].get();
  if (c.packets + dropped != k.packets.get() || pipe.cache().live() != 0) __builtin_trap();
  return 0;
}
