// The worker pipeline and its flow cache, fed hand-built packets: flow
// counts, per-flow packet and octet sums, end reasons, timeouts, eviction,
// fragments, and the conservation rule (packets in flows + dropped = read).
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "probe/flow_json.hpp"
#include "probe/pipeline.hpp"
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

  explicit Harness(uint32_t capacity = 1024, uint32_t active_s = 300, uint32_t inactive_s = 30)
      : pipe(make_cfg(capacity, active_s, inactive_s), 0, sink) {}

  static PipelineConfig make_cfg(uint32_t capacity, uint32_t active_s, uint32_t inactive_s) {
    PipelineConfig c;
    c.cache.capacity = capacity;
    c.cache.active_timeout_ms = active_s * 1000;
    c.cache.inactive_timeout_ms = inactive_s * 1000;
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

}  // namespace

TEST_CASE("packets of one flow aggregate; FIN ends the flow", "[pipeline]") {
  Harness h;
  h.feed(tcp4(0x02), kT0);                 // SYN, IP length 40
  h.feed(tcp4(0x10, 100), kT0 + kSec);     // ACK, 140
  h.feed(tcp4(0x11), kT0 + 2 * kSec);      // FIN|ACK, 40
  REQUIRE(h.out.size() == 1);
  const FlowRecord& r = h.out[0];
  CHECK(r.packets == 3);
  CHECK(r.octets == 220);
  CHECK(r.tcp_flags == 0x13);
  CHECK(r.end_reason == EndReason::end_of_flow);
  CHECK(r.first_ms == kT0 / 1'000'000);
  CHECK(r.last_ms == kT0 / 1'000'000 + 2000);
  CHECK(r.key.sport == 40000);
  CHECK(r.key.dport == 443);
  CHECK(h.pipe.cache().live() == 0);
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
