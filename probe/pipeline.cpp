#include "probe/pipeline.hpp"

#include <cstring>

namespace tunprobe {

namespace {

constexpr uint8_t kTcp = 6;
constexpr uint8_t kTcpFin = 0x01;
constexpr uint8_t kTcpRst = 0x04;

void make_frag_key(const PacketInfo& p, FragKey& fk) noexcept {
  std::memset(&fk, 0, sizeof fk);
  fk.id = p.frag_id;
  if (p.frag_outer) {
    // The outer IPv4 header of a tunnel: its later fragments are plain IPv4.
    const uint32_t s = __builtin_bswap32(p.outer_src4), d = __builtin_bswap32(p.outer_dst4);
    std::memcpy(fk.src, &s, 4);
    std::memcpy(fk.dst, &d, 4);
    fk.version = 4;
    fk.protocol = p.tunnel == TunnelType::teredo ? 17 : 41;
    return;
  }
  std::memcpy(fk.src, p.src, 16);
  std::memcpy(fk.dst, p.dst, 16);
  fk.version = p.ip_version;
  fk.protocol = p.frag_proto;
}

}  // namespace

Pipeline::Pipeline(const PipelineConfig& cfg, uint8_t worker_id, RecordSink& sink)
    : cfg_(cfg), worker_id_(worker_id), sink_(sink), cache_(cfg.cache) {}

void Pipeline::process_burst(const uint8_t* const* data, const uint32_t* len, const uint64_t* ts_ns,
                             unsigned n) noexcept {
  PacketInfo info[kMaxBurst];
  FlowKey keys[kMaxBurst];
  uint32_t hashes[kMaxBurst];
  bool in_flow[kMaxBurst];
  uint64_t bytes = 0;
  uint64_t now_ns = last_ns_;

  // Stage 1: parse, key, hash; prefetch each packet's bucket.
  for (unsigned i = 0; i < n; ++i) {
    if (i + 1 < n) __builtin_prefetch(data[i + 1]);
    PacketInfo& p = info[i];
    parse_frame(data[i], len[i], cfg_.link, cfg_.decode, p);
    bytes += len[i];
    if (ts_ns[i] > now_ns) now_ns = ts_ns[i];
    counters_.verdicts[static_cast<std::size_t>(p.verdict)].add();
    in_flow[i] = !verdict_is_drop(p.verdict);
    if (!in_flow[i]) continue;
    const uint64_t now_ms = ts_ns[i] / 1'000'000;
    if (p.is_fragment) {
      FragKey fk;
      make_frag_key(p, fk);
      if (p.first_fragment) {
        make_key(p, keys[i]);
        frags_.insert(fk, keys[i], now_ms);
      } else if (const FlowKey* k = frags_.find(fk, now_ms)) {
        keys[i] = *k;
      } else {
        make_key(p, keys[i]);
        counters_.frag_orphans.add();
      }
    } else {
      make_key(p, keys[i]);
    }
    hashes[i] = FlowCache::hash(keys[i]);
    cache_.prefetch(hashes[i]);
  }

  // Stage 2: find or start each flow and count the packet into it.
  unsigned flow_packets = 0;
  for (unsigned i = 0; i < n; ++i) {
    if (!in_flow[i]) continue;
    account(info[i], keys[i], hashes[i], ts_ns[i] / 1'000'000);
    ++flow_packets;
  }

  counters_.packets.add(n);
  counters_.bytes.add(bytes);
  counters_.flow_packets.add(flow_packets);
  last_ns_ = now_ns;
  cache_.expire_slice(now_ns / 1'000'000, cfg_.expire_buckets, sink_);
  sink_.flush();
  counters_.evictions.store_from(cache_.evictions());
  counters_.flows_exported.store_from(sink_.exported());
}

void Pipeline::account(const PacketInfo& p, const FlowKey& key, uint32_t hash, uint64_t now_ms) noexcept {
  bool created = false;
  FlowRecord& rec = cache_.lookup(key, hash, now_ms, created, sink_);
  // A later fragment of a tunnel's outer IPv4 packet: its bytes are outer
  // bytes; the inner packet's length was counted with the first fragment.
  const bool outer_fragment = key.tunnel != TunnelType::none && p.tunnel == TunnelType::none;
  if (created) {
    rec.first_ms = rec.last_ms = now_ms;
    rec.packets = rec.octets = rec.outer_octets = 0;
    rec.teredo_bubbles = rec.teredo_auth = rec.teredo_origin = 0;
    rec.tcp_flags = 0;
    rec.tos = p.tos;
    rec.min_ttl = 255;
    rec.max_ttl = 0;
    rec.end_reason = EndReason::none;
    rec.worker = worker_id_;
    if (key.ip_version == 6) {
      rec.src_class = outer_fragment ? classify_ipv6(key.src) : p.src_class;
      rec.dst_class = outer_fragment ? classify_ipv6(key.dst) : p.dst_class;
    } else {
      rec.src_class = rec.dst_class = AddrClass::none;
    }
  }
  ++rec.packets;
  if (outer_fragment) {
    rec.outer_octets += p.ip_length;
  } else {
    rec.octets += p.ip_length;
    if (p.tunnel != TunnelType::none) rec.outer_octets += p.outer_length;
    if (p.ttl < rec.min_ttl) rec.min_ttl = p.ttl;
    if (p.ttl > rec.max_ttl) rec.max_ttl = p.ttl;
    rec.tcp_flags |= p.tcp_flags;
    if (p.tunnel == TunnelType::teredo) {
      rec.teredo_bubbles += p.teredo.bubble;
      rec.teredo_auth += p.teredo.auth;
      rec.teredo_origin += p.teredo.origin;
    }
  }
  if (now_ms > rec.last_ms) rec.last_ms = now_ms;
  cache_.touch(rec, hash);
  if (key.protocol == kTcp && (p.tcp_flags & (kTcpFin | kTcpRst)) != 0)
    cache_.finish(rec, hash, EndReason::end_of_flow, sink_);
}

void Pipeline::idle(uint64_t now_ns) noexcept {
  if (now_ns > last_ns_) last_ns_ = now_ns;
  cache_.expire_slice(last_ns_ / 1'000'000, cfg_.expire_buckets, sink_);
  sink_.flush();
  counters_.flows_exported.store_from(sink_.exported());
}

void Pipeline::finish() noexcept {
  cache_.flush_all(last_ns_ / 1'000'000, sink_);
  sink_.flush();
  counters_.flows_exported.store_from(sink_.exported());
}

}  // namespace tunprobe
