// The worker pipeline and its flow cache, fed hand-built packets: flow
// counts, per-flow packet and octet sums, end reasons, timeouts, eviction,
// fragments, and the conservation rule (packets in flows + dropped = read).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "probe/records/flow_json.hpp"
#include "probe/flow/pipeline.hpp"
#include "tests/unit/builder.hpp"

using namespace tunprobe;
using namespace tb;

namespace {

constexpr uint64_t kSec = 1'000'000'000ull;
constexpr uint64_t kT0 = 1'767'225'600ull * kSec;  // 2026-01-01T00:00:00Z

struct Harness {
  std::vector<FlowRecord> out;
  RecordSink sink{[](void* ctx, const FlowRecord* r, unsigned n) {
                    auto* v = static_cast<std::vector<FlowRecord>*>(ctx);
                    v->insert(v->end(), r, r + n);
                  },
                  &out};
  Pipeline pipe;

  explicit Harness(uint32_t capacity = 1024, uint32_t active_s = 300, uint32_t inactive_s = 30,
                   uint32_t grace_ms = 5000)
      : pipe(make_cfg(capacity, active_s, inactive_s, grace_ms), 0, sink) {}

  static PipelineConfig make_cfg(uint32_t capacity, uint32_t active_s, uint32_t inactive_s, uint32_t grace_ms) {
    PipelineConfig c;
    c.cache.capacity = capacity;
    c.cache.active_timeout_ms = active_s * 1000;
    c.cache.inactive_timeout_ms = inactive_s * 1000;
    c.cache.tcp_end_grace_ms = grace_ms;
    return c;
  }

  void feed(const Bytes& frame, uint64_t ts_ns) {
    const uint8_t* d = frame.data();
    const uint32_t l = static_cast<uint32_t>(frame.size());
    pipe.process_burst(&d, &l, &ts_ns, 1);
  }

  uint64_t flow_packets() const {
    uint64_t n = 0;
    for (const FlowRecord& r : out) n += r.packets;
    return n;
  }
};

Bytes udp4(uint16_t sport, uint16_t dport, std::size_t payload, V4 o = {}) {
  return eth(kEtherIpv4, ipv4(v4("192.0.2.1"), v4("198.51.100.2"), kUdp, udp(sport, dport, filler(payload)), o));
}

Bytes tcp4(uint8_t flags, std::size_t payload = 0) {
  return eth(kEtherIpv4, ipv4(v4("192.0.2.1"), v4("198.51.100.2"), kTcp, tcp(40000, 443, flags, filler(payload))));
}

constexpr uint8_t kSyn = 0x02, kFin = 0x01, kRst = 0x04, kAck = 0x10, kPsh = 0x08;
constexpr uint64_t kMs = 1'000'000ull;

}  // namespace

TEST_CASE("packets of one flow aggregate; FIN ends the flow after the grace period", "[pipeline]") {
  Harness h;
  h.feed(tcp4(kSyn), kT0);                        // SYN, IP length 40
  h.feed(tcp4(kAck, 100), kT0 + kSec);            // ACK, 140
  h.feed(tcp4(kFin | kAck), kT0 + 2 * kSec);      // FIN|ACK, 40
  h.feed(tcp4(kAck), kT0 + 2 * kSec + 30 * kMs);  // the ACK of the peer's FIN, 40
  CHECK(h.out.empty());                           // still in its grace period
  // 5 s after the FIN the flow is over.
  h.pipe.idle(kT0 + 7 * kSec);
  h.pipe.finish();
  REQUIRE(h.out.size() == 1);
  const FlowRecord& r = h.out[0];
  CHECK(r.packets == 4);
  CHECK(r.octets == 260);
  CHECK(r.tcp_flags == (kSyn | kAck | kFin));
  CHECK(r.end_reason == EndReason::end_of_flow);
  CHECK(r.first_ms == kT0 / kMs);
  CHECK(last_ms(r) == kT0 / kMs + 2030);
  CHECK(r.key.sport == 40000);
  CHECK(r.key.dport == 443);
  CHECK(h.pipe.cache().live() == 0);
}

TEST_CASE("TCP endings in every order stay in one record", "[pipeline]") {
  // One direction of a short TLS session: data, FIN, a retransmitted FIN,
  // the last ACK, then an RST (the peer's stack gave up): one record, not
  // four (the old behaviour ended the flow at the first FIN).
  Harness h;
  h.feed(tcp4(kSyn), kT0);
  h.feed(tcp4(kAck | kPsh, 517), kT0 + 20 * kMs);
  h.feed(tcp4(kFin | kAck), kT0 + 1 * kSec);
  h.feed(tcp4(kFin | kAck), kT0 + 1 * kSec + 200 * kMs);  // retransmitted FIN
  h.feed(tcp4(kAck), kT0 + 1 * kSec + 400 * kMs);
  h.feed(tcp4(kRst), kT0 + 3 * kSec);
  h.pipe.finish();
  REQUIRE(h.out.size() == 1);
  CHECK(h.out[0].packets == 6);
  CHECK(h.out[0].tcp_flags == (kSyn | kAck | kPsh | kFin | kRst));
  // At the end of input its grace period had not run out.
  CHECK(h.out[0].end_reason == EndReason::forced);

  SECTION("RST first, then a FIN and an ACK") {
    Harness g;
    g.feed(tcp4(kAck, 10), kT0);
    g.feed(tcp4(kRst | kAck), kT0 + kSec);
    g.feed(tcp4(kFin | kAck), kT0 + 2 * kSec);
    g.feed(tcp4(kAck), kT0 + 3 * kSec);
    g.pipe.idle(kT0 + 6 * kSec);  // 5 s after the RST
    g.pipe.finish();
    REQUIRE(g.out.size() == 1);
    CHECK(g.out[0].packets == 4);
    CHECK(g.out[0].end_reason == EndReason::end_of_flow);
  }
}

TEST_CASE("the grace period counts from the first FIN or RST, and ends the flow", "[pipeline]") {
  Harness h;
  h.feed(tcp4(kAck, 10), kT0);
  h.feed(tcp4(kFin | kAck), kT0 + kSec);
  h.feed(tcp4(kFin | kAck), kT0 + 5 * kSec);  // a retransmission does not extend it
  h.feed(tcp4(kAck, 10), kT0 + 6 * kSec);     // 5 s after the first FIN: a new flow
  REQUIRE(h.out.size() == 1);
  CHECK(h.out[0].packets == 3);
  CHECK(h.out[0].end_reason == EndReason::end_of_flow);
  h.pipe.finish();
  REQUIRE(h.out.size() == 2);
  CHECK(h.out[1].packets == 1);
  CHECK(h.out[1].first_ms == (kT0 + 6 * kSec) / kMs);
}

TEST_CASE("a SYN after FIN starts a new connection's flow at once", "[pipeline]") {
  Harness h;
  h.feed(tcp4(kSyn), kT0);
  h.feed(tcp4(kFin | kAck), kT0 + kSec);
  h.feed(tcp4(kAck), kT0 + kSec + 10 * kMs);
  h.feed(tcp4(kSyn), kT0 + 2 * kSec);  // port reuse within the grace period
  REQUIRE(h.out.size() == 1);
  CHECK(h.out[0].packets == 3);
  CHECK(h.out[0].end_reason == EndReason::end_of_flow);
  h.feed(tcp4(kAck, 50), kT0 + 2 * kSec + 10 * kMs);
  h.pipe.finish();
  REQUIRE(h.out.size() == 2);
  CHECK(h.out[1].packets == 2);
  CHECK(h.out[1].tcp_flags == (kSyn | kAck));
}

TEST_CASE("--tcp-end-grace 0 ends the flow with its FIN", "[pipeline]") {
  Harness h(1024, 300, 30, 0);
  h.feed(tcp4(kSyn), kT0);
  h.feed(tcp4(kFin | kAck), kT0 + kSec);
  REQUIRE(h.out.size() == 1);
  CHECK(h.out[0].packets == 2);
  CHECK(h.out[0].end_reason == EndReason::end_of_flow);
  h.feed(tcp4(kAck), kT0 + kSec + kMs);
  h.pipe.finish();
  REQUIRE(h.out.size() == 2);
  CHECK(h.out[1].packets == 1);
}

TEST_CASE("inactive timeout: a packet at exactly the timeout starts a new flow", "[pipeline]") {
  Harness h(1024, 300, 30);
  h.feed(udp4(5000, 53, 10), kT0);
  h.feed(udp4(5000, 53, 10), kT0 + 29 * kSec);   // same flow
  h.feed(udp4(5000, 53, 10), kT0 + 59 * kSec);   // 30 s after the last: new flow
  REQUIRE(h.out.size() == 1);
  CHECK(h.out[0].packets == 2);
  CHECK(h.out[0].end_reason == EndReason::idle);
  h.pipe.finish();
  REQUIRE(h.out.size() == 2);
  CHECK(h.out[1].packets == 1);
  CHECK(h.out[1].end_reason == EndReason::forced);
}

TEST_CASE("active timeout cuts a long flow", "[pipeline]") {
  Harness h(1024, 60, 30);
  for (int i = 0; i <= 13; ++i) h.feed(udp4(5000, 53, 10), kT0 + static_cast<uint64_t>(i) * 10 * kSec);
  // Packets at 0..50 s form the first record; the one at 60 s starts anew.
  REQUIRE(h.out.size() == 2);
  CHECK(h.out[0].packets == 6);
  CHECK(h.out[0].end_reason == EndReason::active);
  CHECK(h.out[1].packets == 6);
  CHECK(h.out[1].end_reason == EndReason::active);
  h.pipe.finish();
  CHECK(h.flow_packets() == 14);
}

TEST_CASE("the expiry sweep exports idle flows without new packets", "[pipeline]") {
  Harness h(64, 300, 30);
  for (uint16_t p = 0; p < 20; ++p) h.feed(udp4(static_cast<uint16_t>(1000 + p), 53, 4), kT0);
  CHECK(h.out.empty());
  // 64 records = 8 buckets; one idle() sweeps 16 buckets.
  h.pipe.idle(kT0 + 31 * kSec);
  REQUIRE(h.out.size() == 20);
  for (const FlowRecord& r : h.out) CHECK(r.end_reason == EndReason::idle);
  CHECK(h.pipe.cache().live() == 0);
}

TEST_CASE("a full bucket exports its timed-out records first, with their own end reason", "[pipeline]") {
  Harness h(8, 300, 30);  // one bucket of 8
  for (uint16_t p = 0; p < 8; ++p) h.feed(udp4(static_cast<uint16_t>(3000 + p), 53, 4), kT0 + p * kSec);
  // 31 s later the first two (at 0 s and 1 s) have been idle for 30 s; the
  // ninth flow needs a slot: no eviction, two idle records.
  h.feed(udp4(4000, 53, 4), kT0 + 31 * kSec + 500 * kMs);
  REQUIRE(h.out.size() == 2);
  CHECK(h.out[0].end_reason == EndReason::idle);
  CHECK(h.out[1].end_reason == EndReason::idle);
  CHECK(h.pipe.cache().evictions() == 0);
  CHECK(h.pipe.cache().expired_on_full() == 2);
  // The freed second slot takes the tenth flow, still no eviction.
  h.feed(udp4(4001, 53, 4), kT0 + 31 * kSec + 600 * kMs);
  CHECK(h.out.size() == 2);
  CHECK(h.pipe.cache().evictions() == 0);
  h.pipe.finish();
  CHECK(h.out.size() == 10);
  CHECK(h.flow_packets() == 10);
}

TEST_CASE("a full bucket evicts; the evicted record is exported, not lost", "[pipeline]") {
  Harness h(8);  // one bucket of 8
  for (uint16_t p = 0; p < 12; ++p) h.feed(udp4(static_cast<uint16_t>(2000 + p), 53, 4), kT0 + p * kSec);
  CHECK(h.out.size() == 4);
  for (const FlowRecord& r : h.out) CHECK(r.end_reason == EndReason::lack_of_resources);
  // The longest idle go first.
  CHECK(h.out[0].key.sport == 2000);
  CHECK(h.out[3].key.sport == 2003);
  CHECK(h.pipe.cache().evictions() == 4);
  h.pipe.finish();
  CHECK(h.out.size() == 12);
  CHECK(h.flow_packets() == 12);
}

TEST_CASE("IPv4 fragments count into the first fragment's flow", "[pipeline]") {
  Harness h;
  V4 first;
  first.id = 77;
  first.mf = true;
  V4 second = first;
  second.frag_offset = 64;
  V4 last = first;
  last.mf = false;
  last.frag_offset = 128;
  h.feed(eth(kEtherIpv4, ipv4(v4("192.0.2.1"), v4("198.51.100.2"), kUdp, udp(5353, 53, filler(56), 200), first)), kT0);
  h.feed(eth(kEtherIpv4, ipv4(v4("192.0.2.1"), v4("198.51.100.2"), kUdp, filler(64), second)), kT0 + 1);
  h.feed(eth(kEtherIpv4, ipv4(v4("192.0.2.1"), v4("198.51.100.2"), kUdp, filler(16), last)), kT0 + 2);
  h.pipe.finish();
  REQUIRE(h.out.size() == 1);
  CHECK(h.out[0].packets == 3);
  CHECK(h.out[0].octets == (20 + 64) + (20 + 64) + (20 + 16));
  CHECK(h.out[0].key.sport == 5353);
  CHECK(h.pipe.counters().frag_orphans.get() == 0);
}

TEST_CASE("a later fragment without its first is counted and kept in a port-less flow", "[pipeline]") {
  Harness h;
  V4 later;
  later.id = 99;
  later.frag_offset = 1480;
  h.feed(eth(kEtherIpv4, ipv4(v4("192.0.2.1"), v4("198.51.100.2"), kUdp, filler(100), later)), kT0);
  h.pipe.finish();
  REQUIRE(h.out.size() == 1);
  CHECK(h.out[0].key.sport == 0);
  CHECK(h.out[0].key.dport == 0);
  CHECK(h.out[0].packets == 1);
  CHECK(h.pipe.counters().frag_orphans.get() == 1);
}

TEST_CASE("an outer-fragmented 6in4 packet is one inner flow", "[pipeline]") {
  Harness h;
  const Bytes inner = ipv6(v6("2001:db8:1::1"), v6("2001:db8:2::2"), kUdp, udp(1000, 2000, filler(100)));
  REQUIRE(inner.size() == 148);
  V4 first;
  first.id = 5;
  first.mf = true;
  V4 second = first;
  second.mf = false;
  second.frag_offset = 80;
  const Bytes head(inner.begin(), inner.begin() + 80), tail(inner.begin() + 80, inner.end());
  h.feed(eth(kEtherIpv4, ipv4(v4("203.0.113.1"), v4("203.0.113.2"), kIpv6, head, first)), kT0);
  h.feed(eth(kEtherIpv4, ipv4(v4("203.0.113.1"), v4("203.0.113.2"), kIpv6, tail, second)), kT0 + 1);
  h.pipe.finish();
  REQUIRE(h.out.size() == 1);
  const FlowRecord& r = h.out[0];
  CHECK(r.key.tunnel == TunnelType::sixinfour);
  CHECK(r.packets == 2);
  CHECK(r.octets == 148);
  CHECK(r.outer_octets == (20 + 80) + (20 + 68));
  CHECK(r.key.sport == 1000);
}

TEST_CASE("conservation: packets in flows plus dropped equal packets read", "[pipeline]") {
  Harness h;
  h.feed(udp4(1, 2, 3), kT0);
  h.feed(Bytes{0x00, 0x01}, kT0);                                        // frame_truncated
  h.feed(eth(0x0806, filler(28)), kT0);                                  // non_ip
  h.feed(udp4(1, 3544, 30), kT0);                                        // teredo_not_ipv6: kept as IPv4
  h.feed(tcp4(0x10), kT0);
  h.pipe.finish();
  const WorkerCounters& c = h.pipe.counters();
  CHECK(c.packets.get() == 5);
  CHECK(c.flow_packets.get() == 3);
  CHECK(h.flow_packets() == 3);
  CHECK(c.verdicts[static_cast<std::size_t>(Verdict::frame_truncated)].get() == 1);
  CHECK(c.verdicts[static_cast<std::size_t>(Verdict::non_ip)].get() == 1);
  CHECK(c.verdicts[static_cast<std::size_t>(Verdict::teredo_not_ipv6)].get() == 1);
  CHECK(c.flows_exported.get() == 3);
}

TEST_CASE("a Teredo flow's JSON carries the derived tunnel facts", "[pipeline]") {
  Harness h;
  // Client 198.51.100.7:40000 (mapped), server 192.0.2.45.
  const A6 client = teredo_addr(v4("192.0.2.45"), 0x8000, 40000, v4("198.51.100.7"));
  const Bytes in6 = ipv6(client, v6("2a00:1450::80"), kTcp, tcp(50000, 80, 0x02));
  h.feed(eth(kEtherIpv4, ipv4(v4("198.51.100.7"), v4("203.0.113.9"), kUdp, udp(40000, 3544, teredo_origin(40000, v4("198.51.100.7")) + in6))), kT0);
  h.pipe.finish();
  REQUIRE(h.out.size() == 1);
  std::string j;
  append_flow_json(j, h.out[0], DecodeConfig{});
  CHECK(j.find("\"tunnelType\":\"teredo\"") != std::string::npos);
  CHECK(j.find("\"teredoServerIPv4Address\":\"192.0.2.45\"") != std::string::npos);
  CHECK(j.find("\"teredoClientIPv4Address\":\"198.51.100.7\"") != std::string::npos);
  CHECK(j.find("\"teredoClientPort\":40000") != std::string::npos);
  CHECK(j.find("\"teredoOriginCount\":1") != std::string::npos);
  CHECK(j.find("\"tunnelSourceTransportPort\":40000") != std::string::npos);
  CHECK(j.find("\"sourceAddressClass\":\"teredo\"") != std::string::npos);
  CHECK(j.find("\"destinationAddressClass\":\"low\"") != std::string::npos);
  CHECK(j.find("\"octetDeltaCount\":60") != std::string::npos);
}

TEST_CASE("6to4 via a relay: the relay is derived from the key", "[pipeline]") {
  Harness h;
  const A6 host = sixtofour_addr(v4("192.0.2.10"), 1, 1);
  const Bytes in6 = ipv6(host, v6("2a00:1450::68"), kIcmpv6, icmp(128, 0, filler(8)));
  h.feed(eth(kEtherIpv4, ipv4(v4("192.0.2.10"), v4("192.88.99.1"), kIpv6, in6)), kT0);
  h.pipe.finish();
  REQUIRE(h.out.size() == 1);
  std::string j;
  append_flow_json(j, h.out[0], DecodeConfig{});
  CHECK(j.find("\"tunnelType\":\"6to4\"") != std::string::npos);
  CHECK(j.find("\"embeddedSourceIPv4Address\":\"192.0.2.10\"") != std::string::npos);
  CHECK(j.find("\"tunnelRelayIPv4Address\":\"192.88.99.1\"") != std::string::npos);
  CHECK(j.find("\"icmpTypeIPv6\":128") != std::string::npos);
  CHECK(j.find("\"sourceAddressClass\":\"6to4-linux\"") != std::string::npos);
}

// ---------------------------------------------------------------- time

TEST_CASE("deadlines hold across 2^32 ms of packet time from the first packet", "[pipeline]") {
  // The first packet at kT0, then a flow that lives across kT0 + 2^32 ms
  // (49.7 days): one record, not one per packet. The old cache kept 32-bit
  // deadlines from the first packet and saturated there.
  Harness h;
  h.feed(udp4(1, 2, 4), kT0);
  const uint64_t cross = kT0 + (uint64_t{1} << 32) * kMs;
  for (int i = -5; i <= 5; ++i) h.feed(udp4(5000, 53, 10), cross + static_cast<uint64_t>(i * 10) * kSec);
  h.feed(tcp4(kSyn), cross + 60 * kSec);
  h.feed(tcp4(kAck, 100), cross + 61 * kSec);
  h.pipe.finish();
  REQUIRE(h.out.size() == 3);
  CHECK(h.out[0].packets == 1);
  CHECK(h.out[0].end_reason == EndReason::idle);
  // The two flows live at the end come out in the cache's (hash) order.
  const FlowRecord& udp = h.out[1].key.protocol == 17 ? h.out[1] : h.out[2];
  const FlowRecord& tcp = h.out[1].key.protocol == 17 ? h.out[2] : h.out[1];
  CHECK(udp.packets == 11);
  CHECK(udp.octets == 11 * 38);
  CHECK(udp.first_ms == (cross - 50 * kSec) / kMs);
  CHECK(last_ms(udp) == (cross + 50 * kSec) / kMs);
  CHECK(udp.end_reason == EndReason::forced);
  CHECK(tcp.packets == 2);
  CHECK(h.pipe.cache().rebases() >= 1);
}

TEST_CASE("a first packet stamped 0 does not break later deadlines", "[pipeline]") {
  Harness h;
  h.feed(udp4(1, 2, 4), 0);  // a NIC or capture that stamps 0
  for (int i = 0; i < 20; ++i) h.feed(udp4(5000, 53, 10), kT0 + static_cast<uint64_t>(i) * kSec);
  h.pipe.finish();
  REQUIRE(h.out.size() == 2);
  CHECK(h.out[0].packets == 1);
  CHECK(h.out[0].first_ms == 0);
  CHECK(h.out[1].packets == 20);
  CHECK(h.out[1].end_reason == EndReason::forced);
}

TEST_CASE("sixty days of packet time: flows stay exact and the sweep keeps working", "[pipeline]") {
  Harness h(4096, 300, 30);
  // Every 6 hours a short exchange of three flows; a flow every 20 s for 10
  // minutes at day 25 (cut by the 300 s active timeout) and at day 59.
  uint64_t sent = 0;
  for (uint64_t t = 0; t < 60ull * 86400; t += 6 * 3600) {
    for (uint16_t f = 0; f < 3; ++f)
      for (uint64_t k = 0; k < 4; ++k, ++sent)
        h.feed(udp4(static_cast<uint16_t>(6000 + f), 53, 10), kT0 + (t + k * 10 + f) * kSec);
    if (t == 25ull * 86400 || t == 59ull * 86400)
      for (uint64_t s = 0; s < 600; s += 20, ++sent) h.feed(udp4(7000, 123, 48), kT0 + (t + 3600 + s) * kSec);
  }
  h.pipe.finish();
  CHECK(h.flow_packets() == sent);
  // 240 exchanges of 3 flows, plus 2 x 2 records (600 s / 300 s active).
  CHECK(h.out.size() == 240 * 3 + 4);
  unsigned active = 0;
  for (const FlowRecord& r : h.out) {
    if (r.key.sport == 7000) {
      CHECK(r.packets == 15);
      active += r.end_reason == EndReason::active;
    } else {
      CHECK(r.packets == 4);
    }
  }
  // Both halves of each 10-minute run: the second half's active deadline
  // (600 s) comes before its idle one (580 + 30 s).
  CHECK(active == 4);
  CHECK(h.pipe.cache().evictions() == 0);
}

TEST_CASE("the worker's clock never goes backwards", "[pipeline]") {
  Harness h;
  h.feed(udp4(5000, 53, 10), kT0 + 10 * kSec);
  h.feed(udp4(5000, 53, 10), kT0);  // stamped 10 s earlier
  h.feed(udp4(5001, 53, 10), kT0 + kSec);
  CHECK(h.pipe.counters().time_backwards.get() == 2);
  CHECK(h.pipe.last_ns() == kT0 + 10 * kSec);
  h.pipe.finish();
  REQUIRE(h.out.size() == 2);
  CHECK(h.out[0].packets + h.out[1].packets == 3);
  for (const FlowRecord& r : h.out) {
    CHECK(r.first_ms == (kT0 + 10 * kSec) / kMs);
    CHECK(last_ms(r) == (kT0 + 10 * kSec) / kMs);
  }
}

// ---------------------------------------------------------------- capacity

TEST_CASE("a per-worker share that is not a power of two uses all of its buckets", "[pipeline]") {
  // --cache-size 2^20 over 3 workers: 349,525 records each (rounded down to
  // 43,690 buckets). 6,000 flows must not evict (the old mask used 256 of
  // its buckets and evicted most of them).
  FlowCacheConfig cfg;
  cfg.capacity = (1u << 20) / 3;
  FlowCache cache(cfg);
  CHECK(cache.buckets() == 43'690);
  CHECK(cache.capacity() == 349'520);
  std::vector<FlowRecord> out;
  RecordSink sink{[](void* ctx, const FlowRecord* r, unsigned n) {
                    auto* v = static_cast<std::vector<FlowRecord>*>(ctx);
                    v->insert(v->end(), r, r + n);
                  },
                  &out};
  for (uint32_t i = 0; i < 6000; ++i) {
    FlowKey k{};
    k.src[0] = 10;
    k.src[1] = static_cast<uint8_t>(i >> 8);
    k.src[2] = static_cast<uint8_t>(i);
    k.protocol = 17;
    k.ip_version = 4;
    k.sport = static_cast<uint16_t>(i);
    bool created = false;
    FlowRecord& r = cache.lookup(k, cache.hash(k), kT0 / kMs, created, sink);
    r.first_ms = kT0 / kMs;
    r.last_after_ms = 0;
    r.tcp_end_ms = 0;
    cache.touch(r, cache.hash(k));
    CHECK(created);
  }
  CHECK(cache.evictions() == 0);
  CHECK(cache.live() == 6000);
  sink.flush();
  CHECK(out.empty());
}

TEST_CASE("the signature comes from hash bits the bucket index does not use", "[pipeline]") {
  // Keys that share a bucket of a 2^20-bucket cache must still have
  // independent signatures. (The old signature was hash bits 16-31, of
  // which the index of a cache this size also used four.)
  // (The wide hash, as a cache of more than 2^16 buckets computes it.)
  std::vector<uint16_t> sigs;
  FlowKey k{};
  k.protocol = 6;
  k.ip_version = 4;
  for (uint32_t i = 0; sigs.size() < 24 && i < (1u << 30); ++i) {
    std::memcpy(k.src, &i, 4);
    uint64_t w[8];
    std::memcpy(w, &k, sizeof w);
    const uint64_t h = FlowCache::hash_words(w, true);
    // Bucket 0 of 2^20 buckets by multiply-shift: the top 20 of the low 32 bits.
    if ((static_cast<uint32_t>(h) >> 12) == 0) sigs.push_back(static_cast<uint16_t>(h >> 32));
  }
  REQUIRE(sigs.size() == 24);
  std::sort(sigs.begin(), sigs.end());
  const auto distinct = std::unique(sigs.begin(), sigs.end()) - sigs.begin();
  CHECK(distinct >= 23);
  unsigned low_nibbles = 0;
  for (auto it = sigs.begin(); it != sigs.begin() + distinct; ++it) low_nibbles |= 1u << (*it & 0xf);
  CHECK(__builtin_popcount(low_nibbles) > 4);
}

TEST_CASE("the portable hash equals the SSE4.2 one; narrow signatures are the CRC's low bits", "[pipeline]") {
  for (uint64_t seed = 1; seed < 200; ++seed) {
    uint64_t w[8];
    for (unsigned i = 0; i < 8; ++i) w[i] = seed * 0x9e3779b97f4a7c15ull + i * 0x1234567;
    for (const bool wide : {false, true}) CHECK(FlowCache::hash_words(w, wide) == FlowCache::hash_portable(w, wide));
    const uint64_t narrow = FlowCache::hash_words(w, false);
    CHECK((narrow >> 32) == (narrow & 0xffffffffu));
    CHECK((FlowCache::hash_words(w, true) & 0xffffffffu) == (narrow & 0xffffffffu));
  }
}

TEST_CASE("caches above 2^16 buckets use the wide hash", "[pipeline]") {
  FlowCacheConfig cfg;
  cfg.capacity = FlowCache::kNarrowBuckets * 8;
  FlowCache narrow(cfg);
  cfg.capacity += 8;
  FlowCache wide(cfg);
  FlowKey k{};
  k.protocol = 17;
  uint64_t w[8];
  std::memcpy(w, &k, sizeof w);
  CHECK(narrow.hash(k) == FlowCache::hash_words(w, false));
  CHECK(wide.hash(k) == FlowCache::hash_words(w, true));
}

// ---------------------------------------------------------------- fragments

TEST_CASE("an ICMP later fragment without its first never joins an echo-reply flow", "[pipeline]") {
  Harness h;
  // An echo reply (type 0, code 0) and a later fragment of some ICMP
  // datagram between the same hosts, whose first fragment was not seen.
  h.feed(eth(kEtherIpv4, ipv4(v4("192.0.2.1"), v4("198.51.100.2"), kIcmp, icmp(0, 0, filler(56)))), kT0);
  V4 later;
  later.id = 4242;
  later.frag_offset = 1480;
  h.feed(eth(kEtherIpv4, ipv4(v4("192.0.2.1"), v4("198.51.100.2"), kIcmp, filler(100), later)), kT0 + 1);
  h.pipe.finish();
  REQUIRE(h.out.size() == 2);
  CHECK(h.pipe.counters().frag_orphans.get() == 1);
  const FlowRecord& orphan = h.out[0].key.flags != 0 ? h.out[0] : h.out[1];
  const FlowRecord& reply = h.out[0].key.flags != 0 ? h.out[1] : h.out[0];
  CHECK(orphan.key.flags == kKeyNoTransport);
  CHECK(reply.key.flags == 0);
  CHECK(orphan.packets == 1);
  CHECK(reply.packets == 1);
  std::string j;
  append_flow_json(j, orphan, DecodeConfig{});
  CHECK(j.find("\"transportHeaderMissing\":true") != std::string::npos);
  CHECK(j.find("icmpTypeIPv4") == std::string::npos);
  j.clear();
  append_flow_json(j, reply, DecodeConfig{});
  CHECK(j.find("\"icmpTypeIPv4\":0") != std::string::npos);
}

TEST_CASE("a packet whose IP headers are whole is in a flow, however the capture cut it", "[pipeline]") {
  Harness h;
  // Teredo TCP at a 96-byte snaplen: 14 bytes of the inner TCP header.
  const A6 client = teredo_addr(v4("192.0.2.45"), 0x8000, 40000, v4("198.51.100.7"));
  const Bytes teredo_tcp = eth(kEtherIpv4, ipv4(v4("198.51.100.7"), v4("203.0.113.9"), kUdp,
                                                udp(40000, 3544, ipv6(client, v6("2a00:1450::80"), kTcp,
                                                                      tcp(50000, 443, 0x18, filler(1000))))));
  const Bytes cut96(teredo_tcp.begin(), teredo_tcp.begin() + 96);
  h.feed(cut96, kT0);
  h.feed(cut96, kT0 + kSec);
  // IPv4 TCP at a 50-byte snaplen.
  const Bytes v4tcp = tcp4(0x10, 1400);
  h.feed(Bytes(v4tcp.begin(), v4tcp.begin() + 50), kT0 + 2 * kSec);
  // Teredo whose inner IPv6 header is cut: an IPv4 UDP flow.
  h.feed(Bytes(teredo_tcp.begin(), teredo_tcp.begin() + 60), kT0 + 3 * kSec);
  // An IPv4 header cut: dropped.
  h.feed(Bytes(v4tcp.begin(), v4tcp.begin() + 30), kT0 + 4 * kSec);
  h.pipe.finish();
  const WorkerCounters& c = h.pipe.counters();
  CHECK(c.packets.get() == 5);
  CHECK(c.flow_packets.get() == 4);
  CHECK(c.verdicts[static_cast<std::size_t>(Verdict::l4_truncated)].get() == 3);
  CHECK(c.verdicts[static_cast<std::size_t>(Verdict::teredo_truncated)].get() == 1);
  CHECK(c.verdicts[static_cast<std::size_t>(Verdict::ipv4_truncated)].get() == 1);
  REQUIRE(h.out.size() == 3);
  for (const FlowRecord& r : h.out) {
    INFO("tunnel " << int(r.key.tunnel) << " protocol " << int(r.key.protocol));
    if (r.key.tunnel == TunnelType::teredo) {
      CHECK(r.packets == 2);
      CHECK(r.octets == 2 * (40 + 20 + 1000));             // the inner IPv6 length, not the capture
      CHECK(r.outer_octets == 2 * (20 + 8 + 40 + 20 + 1000));
      CHECK(r.key.protocol == kTcp);
      CHECK(r.key.sport == 50000);
      CHECK(r.key.dport == 443);
      CHECK(r.tcp_flags == 0x18);
    } else if (r.key.protocol == kTcp) {
      CHECK(r.packets == 1);
      CHECK(r.octets == 20 + 20 + 1400);
      CHECK(r.key.sport == 40000);
      CHECK(r.tcp_flags == 0x10);
    } else {
      CHECK(r.key.protocol == kUdp);
      CHECK(r.key.dport == 3544);
      CHECK(r.octets == 20 + 8 + 40 + 20 + 1000);
    }
  }
}

TEST_CASE("the flow record ORs the packets' Teredo trailer bits", "[pipeline]") {
  Harness h;
  const A6 client = teredo_addr(v4("192.0.2.45"), 0x8000, 40000, v4("198.51.100.7"));
  const A6 peer = teredo_addr(v4("192.0.2.45"), 0x0000, 41000, v4("203.0.113.200"));
  const Bytes bubble = ipv6(client, peer, kNoNext, {});
  const auto send = [&](const Bytes& trailer, uint64_t ts) {
    h.feed(eth(kEtherIpv4, ipv4(v4("198.51.100.7"), v4("192.0.2.45"), kUdp, udp(40000, 3544, bubble + trailer))), ts);
  };
  send({0x01, 0x04, 1, 2, 3, 4}, kT0);               // nonce
  send({0x05, 0x02, 0xc3, 0x50}, kT0 + kSec);        // random port
  send({}, kT0 + 2 * kSec);                          // none
  h.pipe.finish();
  REQUIRE(h.out.size() == 1);
  CHECK(h.out[0].packets == 3);
  CHECK(h.out[0].teredo_bubbles == 3);
  CHECK(h.out[0].teredo_trailers == (kTeredoTrailerNonce | kTeredoTrailerRandomPort));
  // A new flow starts from none.
  h.out.clear();
  send({}, kT0 + 100 * kSec);
  h.pipe.finish();
  REQUIRE(h.out.size() == 1);
  CHECK(h.out[0].teredo_trailers == 0);
}

TEST_CASE("IP in IPv6: the outer IPv6 pair is part of the key and in the record", "[pipeline]") {
  Harness h;
  const A6 b4a = v6("2001:db8:b4::1"), b4b = v6("2001:db8:b4::2"), aftr = v6("2001:db8:af::1");
  const Bytes inner = ipv4(v4("192.0.0.2"), v4("198.51.100.80"), kUdp, udp(53000, 53, filler(30)));
  // The same subscriber packet from two B4s: two flows; a third packet joins the first.
  h.feed(eth(kEtherIpv6, ipv6(b4a, aftr, kIpip, inner)), kT0);
  h.feed(eth(kEtherIpv6, ipv6(b4b, aftr, kIpip, inner)), kT0 + kMs);
  h.feed(eth(kEtherIpv6, ipv6(b4a, aftr, kIpip, inner)), kT0 + 2 * kMs);
  h.pipe.finish();
  REQUIRE(h.out.size() == 2);
  std::sort(h.out.begin(), h.out.end(), [](const FlowRecord& a, const FlowRecord& b) { return a.packets > b.packets; });
  CHECK(h.out[0].packets == 2);
  CHECK(h.out[1].packets == 1);
  CHECK(s6(h.out[0].outer_src6) == "2001:db8:b4::1");
  CHECK(s6(h.out[1].outer_src6) == "2001:db8:b4::2");
  CHECK(s6(h.out[0].outer_dst6) == "2001:db8:af::1");
  CHECK(h.out[0].octets == 2 * inner.size());
  CHECK(h.out[0].outer_octets == 2 * (40 + inner.size()));
  std::string j;
  append_flow_json(j, h.out[0], DecodeConfig{});
  CHECK(j.find("\"tunnelType\":\"ipv4-in-ipv6\"") != std::string::npos);
  CHECK(j.find("\"tunnelSourceIPv6Address\":\"2001:db8:b4::1\"") != std::string::npos);
  CHECK(j.find("\"tunnelDestinationIPv6Address\":\"2001:db8:af::1\"") != std::string::npos);
  CHECK(j.find("tunnelSourceIPv4Address") == std::string::npos);
  CHECK(j.find("\"sourceIPv4Address\":\"192.0.0.2\"") != std::string::npos);
}

TEST_CASE("an outer-fragmented IPv6-in-IPv6 packet is one inner flow", "[pipeline]") {
  Harness h;
  const A6 outer_a = v6("2001:db8:7::1"), outer_b = v6("2001:db8:7::2");
  const Bytes inner = ipv6(v6("2001:db8:1::1"), v6("2001:db8:2::2"), kUdp, udp(1000, 2000, filler(100)));
  const Bytes head(inner.begin(), inner.begin() + 80), tail(inner.begin() + 80, inner.end());
  h.feed(eth(kEtherIpv6, ipv6x(outer_a, outer_b, {Ext{kFragment, 8, 0, true, 9}}, kIpv6, head)), kT0);
  h.feed(eth(kEtherIpv6, ipv6x(outer_a, outer_b, {Ext{kFragment, 8, 80, false, 9}}, kIpv6, tail)), kT0 + 1);
  h.pipe.finish();
  REQUIRE(h.out.size() == 1);
  const FlowRecord& r = h.out[0];
  CHECK(r.key.tunnel == TunnelType::ipv6_in_ipv6);
  CHECK(r.packets == 2);
  CHECK(r.octets == inner.size());
  CHECK(r.outer_octets == (40 + 8 + 80) + (40 + 8 + tail.size()));
  CHECK(r.key.dport == 2000);
  CHECK(s6(r.outer_src6) == "2001:db8:7::1");
}
