// The CRC distributor: CRC-32C reference vs DPDK, the published vectors,
// symmetry, fragments, and balance of one Teredo relay over 4 workers.
#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <cstring>
#include <random>
#include <set>

#include "hw/crc_dispatch.hpp"
#include "hw/rss.hpp"
#include "tests/hw/vectors.hpp"
#include "probe/decode/parse.hpp"

// Only for the check that DPDK's own software fallback agrees too.
#include <rte_hash_crc.h>

using namespace tunprobe;
using namespace tunprobe::hw;
using namespace tunprobe::hw::testing;

namespace {

PacketInfo parse_ethernet(const std::vector<uint8_t>& frame) {
  PacketInfo p;
  parse_frame(frame.data(), frame.size(), LinkType::ethernet, DecodeConfig{}, p);
  return p;
}

FieldVector vector_of(const PacketInfo& p) {
  FieldVector v;
  build_field_vector(p, v);
  return v;
}

void set_ipv4(uint8_t a[16], uint32_t v) {
  std::memset(a, 0, 16);
  a[0] = static_cast<uint8_t>(v >> 24);
  a[1] = static_cast<uint8_t>(v >> 16);
  a[2] = static_cast<uint8_t>(v >> 8);
  a[3] = static_cast<uint8_t>(v);
}

void set_ipv6(uint8_t a[16], std::mt19937_64& rng, uint8_t first = 0x20, uint8_t second = 0x01) {
  for (int i = 0; i < 16; ++i) a[i] = static_cast<uint8_t>(rng());
  a[0] = first;
  a[1] = second;
}

// The same packet seen in the other direction.
PacketInfo reversed(const PacketInfo& p) {
  PacketInfo r = p;
  std::memcpy(r.src, p.dst, 16);
  std::memcpy(r.dst, p.src, 16);
  r.sport = p.dport;
  r.dport = p.sport;
  r.outer_src4 = p.outer_dst4;
  r.outer_dst4 = p.outer_src4;
  r.outer_sport = p.outer_dport;
  r.outer_dport = p.outer_sport;
  return r;
}

// One inner flow carried by the Teredo relay 192.0.2.200:3544 <-> NAT
// 203.0.113.45:40000: the outer tuple is the same for every flow.
PacketInfo teredo_flow(std::mt19937_64& rng) {
  PacketInfo p;
  p.tunnel = TunnelType::teredo;
  p.outer_src4 = 0xcb00712d;  // 203.0.113.45
  p.outer_dst4 = 0xc00002c8;  // 192.0.2.200
  p.outer_sport = 40000;
  p.outer_dport = 3544;
  p.outer_length = 20 + 8 + 60;
  p.ip_version = 6;
  p.ip_length = 60;
  set_ipv6(p.src, rng);
  p.src[2] = p.src[3] = 0;  // a Teredo address 2001:0::/32
  set_ipv6(p.dst, rng);
  p.dst[2] = 0x0d;
  p.dst[3] = 0xb8;  // 2001:db8::/32
  p.protocol = (rng() & 1) ? 6 : 17;
  p.has_ports = true;
  p.sport = static_cast<uint16_t>(49152 + rng() % 16384);
  p.dport = (rng() & 1) ? 443 : 80;
  return p;
}

}  // namespace

TEST_CASE("CRC-32C: check value and channel counts", "[hw-crc]") {
  const auto* s = reinterpret_cast<const uint8_t*>("123456789");
  CHECK(crc32c_bitwise(s, 9) == 0xE3069283u);
  CHECK(crc32c_fast(s, 9) == 0xE3069283u);
  CHECK(crc32c_bitwise(nullptr, 0) == 0u);
  CHECK(crc32c_fast(nullptr, 0) == 0u);

  for (unsigned n : {1u, 2u, 4u, 8u, 16u, 32u, 64u}) CHECK(check_channel_count(n).empty());
  for (unsigned n : {0u, 3u, 5u, 6u, 12u, 48u, 128u, 1000u}) CHECK_FALSE(check_channel_count(n).empty());
  CHECK(crc_channel(0xdeadbeefu, 1) == 0);
  CHECK(crc_channel(0xdeadbeefu, 16) == 0xf);
  CHECK(crc_channel(0xdeadbeefu, 64) == 0x2f);
}

TEST_CASE("CRC-32C: bitwise reference == rte_hash_crc on random data", "[hw-crc]") {
  std::mt19937_64 rng(20240601);
  std::array<uint8_t, 160> buf{};
  for (int iter = 0; iter < 20000; ++iter) {
    for (auto& b : buf) b = static_cast<uint8_t>(rng());
    // Field-vector-sized and arbitrary lengths, aligned and not.
    const std::size_t len = iter % 2 == 0 ? kFieldVectorBytes : rng() % 120;
    const std::size_t off = rng() % 8;
    const uint32_t ref = crc32c_bitwise(buf.data() + off, len);
    REQUIRE(crc32c_fast(buf.data() + off, len) == ref);
  }
  // DPDK's table-driven fallback (CPUs without SSE4.2) gives the same. The
  // algorithm choice is a per-translation-unit static in rte_hash_crc.h, so
  // this switches only this file's copy.
  rte_hash_crc_set_alg(CRC32_SW);
  for (int iter = 0; iter < 2000; ++iter) {
    for (auto& b : buf) b = static_cast<uint8_t>(rng());
    const std::size_t len = rng() % 120;
    REQUIRE(~rte_hash_crc(buf.data(), static_cast<uint32_t>(len), 0xFFFFFFFFu) == crc32c_bitwise(buf.data(), len));
  }
  rte_hash_crc_set_alg(CRC32_SSE42_x64);
}

TEST_CASE("CRC distributor: published vectors (hw/crc_vectors.txt)", "[hw-crc]") {
  const auto vectors = load_crc_vectors();
  REQUIRE(vectors.size() >= 10);
  for (const CrcVector& v : vectors) {
    INFO("vector " << v.name);
    REQUIRE(v.field_vector.size() == kFieldVectorBytes);
    // The file is self-consistent: CRC and channels of the stated vector.
    CHECK(crc32c_bitwise(v.field_vector.data(), v.field_vector.size()) == v.crc);
    CHECK(crc32c_fast(v.field_vector.data(), v.field_vector.size()) == v.crc);
    const bool ip = v.field_vector[fv::kIpVersion] != 0;
    for (int i = 0; i < 4; ++i) CHECK(v.channel[i] == (ip ? crc_channel(v.crc, kVectorChannels[i]) : 0u));
    // And the code arrives at it from the frame.
    const PacketInfo p = parse_ethernet(v.frame);
    const FieldVector built = vector_of(p);
    CHECK(std::vector<uint8_t>(built.begin(), built.end()) == v.field_vector);
    CHECK(field_vector_hash(built) == v.crc);
    for (int i = 0; i < 4; ++i) CHECK(crc_dispatch(p, kVectorChannels[i]) == v.channel[i]);
  }
  // Partners: reverse directions and later fragments share the vector.
  for (const CrcVector& v : vectors) {
    const auto pos = v.name.rfind('_');
    const std::string stem = v.name.substr(0, pos), tail = v.name.substr(pos + 1);
    if (tail != "rev" && tail != "later") continue;
    INFO("vector " << v.name);
    const CrcVector& partner = find_vector(vectors, stem + (tail == "rev" ? "_fwd" : "_first"));
    CHECK(partner.field_vector == v.field_vector);
  }
  // The tunnel was really decoded where the vector says inner flow.
  CHECK(parse_ethernet(find_vector(vectors, "teredo_tcp_fwd").frame).tunnel == TunnelType::teredo);
  CHECK(parse_ethernet(find_vector(vectors, "sixtofour_udp").frame).tunnel == TunnelType::sixtofour);
  CHECK(parse_ethernet(find_vector(vectors, "isatap_icmp6").frame).tunnel == TunnelType::isatap);
  const PacketInfo outer1 = parse_ethernet(find_vector(vectors, "teredo_outer_frag_first").frame);
  CHECK(outer1.tunnel == TunnelType::teredo);
  CHECK(outer1.frag_outer);
  CHECK(parse_ethernet(find_vector(vectors, "teredo_outer_frag_later").frame).tunnel == TunnelType::none);
  for (const char* name : {"teredo_inner_frag_first", "teredo_inner_frag_later"}) {
    INFO(name);
    const PacketInfo p = parse_ethernet(find_vector(vectors, name).frame);
    CHECK(p.tunnel == TunnelType::teredo);
    CHECK(p.is_fragment);
    CHECK_FALSE(p.frag_outer);
  }
}

TEST_CASE("CRC distributor: field vector layout", "[hw-crc]") {
  PacketInfo p;
  p.ip_version = 4;
  set_ipv4(p.src, 0xc6336414);  // 198.51.100.20 (the higher address)
  set_ipv4(p.dst, 0xc000020a);  // 192.0.2.10
  p.protocol = 6;
  p.has_ports = true;
  p.sport = 443;
  p.dport = 51000;
  const FieldVector v = vector_of(p);
  const uint8_t expect[kFieldVectorBytes] = {
      0xc0, 0x00, 0x02, 0x0a, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,   // addr_lo
      0xc6, 0x33, 0x64, 0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,   // addr_hi
      0xc7, 0x38, 0x01, 0xbb,                                       // port_lo, port_hi
      6, 4, 0, 0};                                                  // protocol, version, reserved
  CHECK(std::equal(v.begin(), v.end(), expect));

  SECTION("equal addresses: ordered by port") {
    std::memcpy(p.dst, p.src, 16);
    const FieldVector w = vector_of(p);
    CHECK(w == vector_of(reversed(p)));
    CHECK(w[fv::kPortLo] == 0x01);  // 443 before 51000
    CHECK(w[fv::kPortLo + 1] == 0xbb);
  }
  SECTION("a dropped packet: zero vector, channel 0") {
    p.verdict = Verdict::ipv4_truncated;
    CHECK(vector_of(p) == FieldVector{});
    for (unsigned n : {1u, 2u, 4u, 64u}) CHECK(crc_dispatch(p, n) == 0);
  }
  SECTION("all fragments: ports and protocol 0") {
    p.is_fragment = true;
    p.first_fragment = true;
    const FieldVector first = vector_of(p);
    CHECK(first[fv::kProtocol] == 0);
    CHECK(std::all_of(first.begin() + fv::kPortLo, first.begin() + fv::kProtocol + 1, [](uint8_t b) { return b == 0; }));
    PacketInfo later = p;  // what the parser gives a later fragment
    later.first_fragment = false;
    later.has_ports = false;
    later.sport = later.dport = 0;
    later.frag_offset = 1480;
    CHECK(vector_of(later) == first);
  }
}

TEST_CASE("CRC distributor: symmetric for native and tunneled packets", "[hw-crc]") {
  std::mt19937_64 rng(7);
  const TunnelType kinds[] = {TunnelType::none, TunnelType::teredo, TunnelType::sixtofour, TunnelType::isatap,
                              TunnelType::sixinfour};
  int checked = 0;
  for (int i = 0; i < 5000; ++i) {
    PacketInfo p;
    p.tunnel = kinds[i % 5];
    p.outer_src4 = static_cast<uint32_t>(rng());
    p.outer_dst4 = static_cast<uint32_t>(rng());
    if (p.tunnel == TunnelType::teredo) {
      p.outer_sport = 3544;
      p.outer_dport = static_cast<uint16_t>(rng());
    }
    p.ip_version = (p.tunnel != TunnelType::none || rng() % 2) ? 6 : 4;
    if (p.ip_version == 4) {
      set_ipv4(p.src, static_cast<uint32_t>(rng()));
      set_ipv4(p.dst, static_cast<uint32_t>(rng()));
    } else {
      set_ipv6(p.src, rng);
      set_ipv6(p.dst, rng);
    }
    const unsigned l4 = static_cast<unsigned>(rng() % 4);
    p.protocol = l4 == 0 ? 6 : l4 == 1 ? 17 : l4 == 2 ? 58 : 1;
    if (l4 < 2) {
      p.has_ports = true;
      p.sport = static_cast<uint16_t>(rng());
      p.dport = static_cast<uint16_t>(rng());
    }
    p.is_fragment = rng() % 8 == 0;
    p.frag_outer = p.is_fragment && p.tunnel != TunnelType::none && rng() % 2 == 0;
    const PacketInfo r = reversed(p);
    INFO("packet " << i << " tunnel " << tunnel_type_name(p.tunnel));
    REQUIRE(vector_of(p) == vector_of(r));
    for (unsigned n : {2u, 4u, 16u, 64u}) REQUIRE(crc_dispatch(p, n) == crc_dispatch(r, n));
    ++checked;
  }
  CHECK(checked == 5000);

  // The inner flow decides: the same inner flow through another relay (or
  // no tunnel at all) hashes alike; the outer pair does not matter.
  PacketInfo a = teredo_flow(rng);
  PacketInfo b = a;
  b.outer_src4 = 0x0a000001;
  b.outer_sport = 1234;
  PacketInfo c = a;
  c.tunnel = TunnelType::none;
  CHECK(vector_of(a) == vector_of(b));
  CHECK(vector_of(a) == vector_of(c));
}

TEST_CASE("CRC distributor: one Teredo relay spreads over 4 workers, RSS does not", "[hw-crc][hw-rss]") {
  // 1000 inner flows of one relay: one outer tuple. With a uniform hash each
  // worker's share is Binomial(1000, 1/4): mean 250, sd 13.7; the bound
  // [200, 300] (20%..30%) is 3.6 sd wide on each side.
  std::mt19937_64 rng(42);
  std::array<unsigned, 4> crc_count{};
  std::set<uint16_t> rss_queues;
  RssModel rss;
  rss.reta = default_reta(4);
  std::set<std::vector<uint8_t>> distinct;
  for (int i = 0; i < 1000; ++i) {
    const PacketInfo p = teredo_flow(rng);
    const FieldVector v = vector_of(p);
    distinct.insert(std::vector<uint8_t>(v.begin(), v.end()));
    ++crc_count[crc_dispatch(p, 4)];
    rss_queues.insert(rss.queue(p));
  }
  REQUIRE(distinct.size() == 1000);
  for (unsigned w = 0; w < 4; ++w) {
    INFO("worker " << w << ": " << crc_count[w] << " of 1000 flows");
    CHECK(crc_count[w] >= 200);
    CHECK(crc_count[w] <= 300);
  }
  CHECK(rss_queues.size() == 1);
}
