#include "probe/flow/pipeline.hpp"

#include <bit>
#include <cstddef>
#include <cstring>

namespace tunprobe {

namespace {

constexpr uint8_t kTcp = 6;
constexpr uint8_t kTcpFin = 0x01;
constexpr uint8_t kTcpSyn = 0x02;
constexpr uint8_t kTcpRst = 0x04;
// Bulk lookup distances, in packets: frames prefetched ahead of the parser;
// how far the record prefetch (stage 2) trails the bucket prefetch (stage 1)
// so that the bucket has arrived. Measured with tunprobe-bench (4 and 8;
// 8/8, 4/12, 8/12, 4/6 were within noise of it).
constexpr unsigned kDataAhead = 4;
constexpr unsigned kLag = 8;

void make_frag_key(const PacketInfo& p, FragKey& fk) noexcept {
  std::memset(&fk, 0, sizeof fk);
  fk.id = p.frag_id;
  if (p.frag_outer && tunnel_has_outer_ipv6(p.tunnel)) {
    // The outer IPv6 header of a tunnel: its later fragments are plain IPv6.
    std::memcpy(fk.src, p.outer_src6, 16);
    std::memcpy(fk.dst, p.outer_dst6, 16);
    fk.version = 6;
    fk.protocol = tunnel_outer_protocol(p.tunnel);
    return;
  }
  if (p.frag_outer) {
    // The outer IPv4 header of a tunnel: its later fragments are plain IPv4.
    const uint32_t s = __builtin_bswap32(p.outer_src4), d = __builtin_bswap32(p.outer_dst4);
    std::memcpy(fk.src, &s, 4);
    std::memcpy(fk.dst, &d, 4);
    fk.version = 4;
    fk.protocol = tunnel_outer_protocol(p.tunnel);
    return;
  }
  std::memcpy(fk.src, p.src, 16);
  std::memcpy(fk.dst, p.dst, 16);
  fk.version = p.ip_version;
  fk.protocol = p.frag_proto;
}

// make_key() (flow_record.hpp) and FlowCache::hash() in one: the key is
// built as its eight 64-bit words, stored whole and hashed from registers.
// (make_key stores the last three words 1, 2 and 4 bytes at a time; the
// hash reading them back as 8-byte words would stall on store forwarding.)
// Same bytes, same hash.
static_assert(offsetof(FlowKey, outer_src4) == 32 && offsetof(FlowKey, outer_dst4) == 36 &&
              offsetof(FlowKey, sport) == 40 && offsetof(FlowKey, dport) == 42 &&
              offsetof(FlowKey, outer_sport) == 44 && offsetof(FlowKey, outer_dport) == 46 &&
              offsetof(FlowKey, vlan_outer) == 48 && offsetof(FlowKey, vlan_inner) == 50 &&
              offsetof(FlowKey, protocol) == 52 && offsetof(FlowKey, ip_version) == 53 &&
              offsetof(FlowKey, tunnel) == 54 && offsetof(FlowKey, flags) == 55 &&
              offsetof(FlowKey, observation_id) == 56 && offsetof(FlowKey, mirror) == 60 && sizeof(FlowKey) == 64);
static_assert(std::endian::native == std::endian::little);

inline uint64_t make_key_hashed(const PacketInfo& p, FlowKey& k, const FlowCache& cache) noexcept {
  uint64_t w[8];
  std::memcpy(w, p.src, 16);
  std::memcpy(w + 2, p.dst, 16);
  const bool tunnel = p.tunnel != TunnelType::none;
  w[4] = tunnel ? (uint64_t{p.outer_dst4} << 32 | p.outer_src4) : 0;
  uint64_t ports = 0;
  if (p.has_ports)
    ports = uint64_t{p.dport} << 16 | p.sport;
  else if (p.has_icmp)
    ports = uint64_t{static_cast<uint16_t>(p.icmp_type << 8 | p.icmp_code)} << 16;
  if (tunnel_has_outer_id(p.tunnel)) ports |= uint64_t{p.outer_dport} << 48 | uint64_t{p.outer_sport} << 32;
  w[5] = ports;
  w[6] = uint64_t{key_flags(p)} << 56 | uint64_t{static_cast<uint8_t>(p.tunnel)} << 48 |
         uint64_t{p.ip_version} << 40 | uint64_t{p.protocol} << 32 | uint64_t{p.vlan_inner} << 16 | p.vlan_outer;
  w[7] = uint64_t{static_cast<uint8_t>(p.mirror)} << 32 | p.observation_id;
  std::memcpy(&k, w, sizeof w);
  return cache.hash_words(w);
}

}  // namespace

Pipeline::Pipeline(const PipelineConfig& cfg, uint8_t worker_id, RecordSink& sink)
    : cfg_(cfg), worker_id_(worker_id), sink_(sink), cache_(cfg.cache) {}

void Pipeline::process_burst(const uint8_t* const* data, const uint32_t* len, const uint64_t* ts_ns,
                             unsigned n) noexcept {
  PacketInfoSlot info[kMaxBurst];  // filled by the parser (every byte)
  FlowKey keys[kMaxBurst];
  uint64_t hashes[kMaxBurst];
  uint64_t times_ms[kMaxBurst];   // each packet's time on the worker's clock
  uint8_t flow_index[kMaxBurst];  // the packets that go into flows, in order
  unsigned flow_packets = 0;
  uint64_t ok_packets = 0;
  uint64_t bytes = 0;
  uint64_t backwards = 0;
  // The worker's clock: packet time, never backwards. A packet stamped
  // before it (merged inputs, a NIC clock stepped back) counts at the
  // clock's time, and is counted.
  uint64_t now_ns = last_ns_;

  // Stage 1: parse, key, hash (once per packet, reused below); prefetch
  // each packet's bucket. Address classes are left to flow start (account).
  // Stage 2 runs kLag packets behind: once a bucket has had time to arrive,
  // the record its packet will update is prefetched.
  for (unsigned i = 0; i < n && i < kDataAhead; ++i) __builtin_prefetch(data[i]);
  unsigned staged = 0;  // packets of flow_index[] whose record is prefetched
  for (unsigned i = 0; i < n; ++i) {
    if (i + kDataAhead < n) __builtin_prefetch(data[i + kDataAhead]);
    if (flow_packets >= staged + kLag) cache_.prefetch_record(hashes[flow_index[staged++]]);
    PacketInfo& p = info[i].info;
    parse_frame_unclassified(data[i], len[i], cfg_.link, cfg_.decode, p);
    bytes += len[i];
    if (p.mirror != MirrorType::none) [[unlikely]]
      counters_.mirrored[static_cast<std::size_t>(p.mirror)].add();
    if (ts_ns[i] >= now_ns)
      now_ns = ts_ns[i];
    else
      ++backwards;
    times_ms[i] = now_ns / 1'000'000;
    if (p.verdict == Verdict::ok) {
      ++ok_packets;
    } else {
      counters_.verdicts[static_cast<std::size_t>(p.verdict)].add();
      if (verdict_is_drop(p.verdict)) continue;
    }
    if (p.is_fragment) {
      const uint64_t now_ms = times_ms[i];
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
      hashes[i] = cache_.hash(keys[i]);
    } else {
      hashes[i] = make_key_hashed(p, keys[i], cache_);
    }
    cache_.prefetch(hashes[i]);
    flow_index[flow_packets++] = static_cast<uint8_t>(i);
  }
  counters_.verdicts[static_cast<std::size_t>(Verdict::ok)].add(ok_packets);

  // Stage 2 for the last packets.
  for (unsigned k = staged; k < flow_packets; ++k) cache_.prefetch_record(hashes[flow_index[k]]);

  // Stage 3: find or start each flow and count the packet into it.
  for (unsigned k = 0; k < flow_packets; ++k) {
    const unsigned i = flow_index[k];
    account(info[i].info, keys[i], hashes[i], times_ms[i]);
  }

  counters_.packets.add(n);
  counters_.bytes.add(bytes);
  counters_.flow_packets.add(flow_packets);
  if (backwards != 0) counters_.time_backwards.add(backwards);
  last_ns_ = now_ns;
  cache_.expire_slice(now_ns / 1'000'000, cfg_.expire_buckets, sink_);
  sink_.flush();
  publish();
}

void Pipeline::publish() noexcept {
  counters_.evictions.store_from(cache_.evictions());
  counters_.expired_on_full.store_from(cache_.expired_on_full());
  counters_.live_flows.store_from(cache_.live());
  counters_.flows_exported.store_from(sink_.exported());
}

void Pipeline::account(const PacketInfo& p, const FlowKey& key, uint64_t hash, uint64_t now_ms) noexcept {
  bool created = false;
  FlowRecord& rec = cache_.lookup(key, hash, now_ms, created, sink_);
  const bool tcp = key.protocol == kTcp;
  // A SYN after the flow's FIN or RST (within the grace period) is a new
  // connection on the same ports: the old one ends here.
  if (!created && tcp && rec.tcp_end_ms != 0 && (p.tcp_flags & kTcpSyn) != 0) {
    cache_.restart(rec, EndReason::end_of_flow, sink_);
    created = true;
  }
  // A later fragment of a tunnel's outer IPv4 packet: its bytes are outer
  // bytes; the inner packet's length was counted with the first fragment.
  const bool outer_fragment = key.tunnel != TunnelType::none && p.tunnel == TunnelType::none;
  if (created) {
    rec.first_ms = now_ms;
    rec.last_after_ms = 0;
    rec.packets = rec.octets = rec.outer_octets = 0;
    rec.teredo_bubbles = rec.teredo_auth = rec.teredo_origin = 0;
    rec.tcp_flags = 0;
    rec.tos = p.tos;
    rec.min_ttl = 255;
    rec.max_ttl = 0;
    rec.end_reason = EndReason::none;
    rec.worker = worker_id_;
    rec.tcp_end_ms = 0;
    rec.teredo_trailers = 0;
    if (record_has_outer_ipv6(rec)) [[unlikely]] {
      // A later outer fragment that starts the flow has no outer header
      // of its own: zeros.
      std::memcpy(rec.outer_src6, p.outer_src6, 16);
      std::memcpy(rec.outer_dst6, p.outer_dst6, 16);
      std::memset(rec.spare_, 0, sizeof rec.spare_);
    }
    if (key.ip_version == 6) {
      // Once per flow: the key holds the packet's own addresses (or, for a
      // later fragment, those of its first fragment, which are the same or,
      // for a tunnel's outer fragment, the inner ones).
      rec.src_class = classify_ipv6(key.src);
      rec.dst_class = classify_ipv6(key.dst);
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
      rec.teredo_trailers |= p.teredo.trailers;
    }
  }
  // The worker's clock never goes back: now_ms >= first_ms.
  rec.last_after_ms = static_cast<uint32_t>(now_ms - rec.first_ms);
  if (tcp && (p.tcp_flags & (kTcpFin | kTcpRst)) != 0) {
    // TCP ends: the flow lives on for the grace period so that the last
    // ACK, a retransmitted FIN or the peer's RST count into it. The first
    // FIN/RST sets the end; later ones do not extend it.
    if (cache_.tcp_end_grace_ms() == 0) {
      cache_.finish(rec, hash, EndReason::end_of_flow, sink_);
      return;
    }
    if (rec.tcp_end_ms == 0) rec.tcp_end_ms = static_cast<uint32_t>(now_ms - rec.first_ms) + 1;
  }
  cache_.touch(rec, hash);
}

void Pipeline::idle(uint64_t now_ns) noexcept {
  if (now_ns > last_ns_) last_ns_ = now_ns;
  cache_.expire_slice(last_ns_ / 1'000'000, cfg_.expire_buckets, sink_);
  sink_.flush();
  publish();
}

void Pipeline::finish(uint64_t end_ns) noexcept {
  if (end_ns > last_ns_) last_ns_ = end_ns;
  cache_.flush_all(last_ns_ / 1'000'000, sink_);
  sink_.flush();
  publish();
}

}  // namespace tunprobe
