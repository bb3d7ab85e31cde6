// The NIC RSS model: Microsoft/Intel verification vectors, the symmetric
// key, what is hashed for each kind of packet, and the RETA.
#include <catch2/catch.hpp>

#include <arpa/inet.h>

#include <cstring>
#include <random>

#include "hw/rss.hpp"
#include "tests/hw/vectors.hpp"
#include "probe/decode/parse.hpp"

using namespace tunprobe;
using namespace tunprobe::hw;
using namespace tunprobe::hw::testing;

namespace {

RssTuple tuple_of(const char* src, const char* dst, uint16_t sport, uint16_t dport, bool l4) {
  RssTuple t;
  if (inet_pton(AF_INET, src, t.src) == 1) {
    REQUIRE(inet_pton(AF_INET, dst, t.dst) == 1);
    t.version = 4;
  } else {
    REQUIRE(inet_pton(AF_INET6, src, t.src) == 1);
    REQUIRE(inet_pton(AF_INET6, dst, t.dst) == 1);
    t.version = 6;
  }
  t.l4 = l4;
  t.sport = l4 ? sport : 0;
  t.dport = l4 ? dport : 0;
  return t;
}

RssTuple reversed(const RssTuple& t) {
  RssTuple r = t;
  std::memcpy(r.src, t.dst, 16);
  std::memcpy(r.dst, t.src, 16);
  r.sport = t.dport;
  r.dport = t.sport;
  return r;
}

// Toeplitz written from its definition, independent of DPDK: for every set
// bit i of the input (MSB of byte 0 first), XOR in the 32 key bits from i.
uint32_t toeplitz_reference(const RssTuple& t, const RssKey& key) {
  uint8_t in[36];
  std::size_t n = 0;
  const std::size_t alen = t.version == 4 ? 4 : 16;
  std::memcpy(in, t.src, alen);
  std::memcpy(in + alen, t.dst, alen);
  n = 2 * alen;
  if (t.l4) {
    in[n++] = static_cast<uint8_t>(t.sport >> 8);
    in[n++] = static_cast<uint8_t>(t.sport);
    in[n++] = static_cast<uint8_t>(t.dport >> 8);
    in[n++] = static_cast<uint8_t>(t.dport);
  }
  auto key_bit = [&](std::size_t b) { return (key.bytes[b / 8] >> (7 - b % 8)) & 1u; };
  uint32_t h = 0;
  for (std::size_t i = 0; i < n * 8; ++i) {
    if (((in[i / 8] >> (7 - i % 8)) & 1u) == 0) continue;
    uint32_t window = 0;
    for (std::size_t k = 0; k < 32; ++k) window = (window << 1) | key_bit(i + k);
    h ^= window;
  }
  return h;
}

RssTuple random_tuple(std::mt19937_64& rng) {
  RssTuple t;
  t.version = rng() % 2 ? 4 : 6;
  const std::size_t alen = t.version == 4 ? 4 : 16;
  for (std::size_t i = 0; i < alen; ++i) {
    t.src[i] = static_cast<uint8_t>(rng());
    t.dst[i] = static_cast<uint8_t>(rng());
  }
  t.l4 = rng() % 4 != 0;
  if (t.l4) {
    t.sport = static_cast<uint16_t>(rng());
    t.dport = static_cast<uint16_t>(rng());
  }
  return t;
}

PacketInfo parse_ethernet(const std::vector<uint8_t>& frame) {
  PacketInfo p;
  parse_frame(frame.data(), frame.size(), LinkType::ethernet, DecodeConfig{}, p);
  return p;
}

}  // namespace

TEST_CASE("RSS: Microsoft verification vectors with rte_softrss", "[hw-rss]") {
  // "Verifying the RSS Hash Calculation" (Microsoft), the Intel 82599
  // datasheet 7.1.2.8.3 and DPDK's app/test/test_thash.c: source, then
  // destination, IPv4-only hash, IPv4 with TCP ports.
  struct V {
    const char* src;
    uint16_t sport;
    const char* dst;
    uint16_t dport;
    uint32_t l3;
    uint32_t l4;
  };
  const V vectors[] = {
      {"66.9.149.187", 2794, "161.142.100.80", 1766, 0x323e8fc2, 0x51ccc178},
      {"199.92.111.2", 14230, "65.69.140.83", 4739, 0xd718262a, 0xc626b0ea},
      {"24.19.198.95", 12898, "12.22.207.184", 38024, 0xd2d0a5de, 0x5c2b394a},
      {"38.27.205.30", 48228, "209.142.163.6", 2217, 0x82989176, 0xafc7327f},
      {"153.39.163.191", 44251, "202.188.127.2", 1303, 0x5d1809c5, 0x10e828a2},
      {"3ffe:2501:200:1fff::7", 2794, "3ffe:2501:200:3::1", 1766, 0x2cc18cd5, 0x40207d3d},
      {"3ffe:501:8::260:97ff:fe40:efab", 14230, "ff02::1", 4739, 0x0f0c461c, 0xdde51bbf},
      {"3ffe:1900:4545:3:200:f8ff:fe21:67cf", 44251, "fe80::200:f8ff:fe21:67cf", 38024, 0x4b61e985, 0x02d1feef},
  };
  for (const V& v : vectors) {
    INFO(v.src << " -> " << v.dst);
    const RssTuple l3 = tuple_of(v.src, v.dst, v.sport, v.dport, false);
    const RssTuple l4 = tuple_of(v.src, v.dst, v.sport, v.dport, true);
    CHECK(rss_hash(l3, kMicrosoftRssKey) == v.l3);
    CHECK(rss_hash(l4, kMicrosoftRssKey) == v.l4);
    CHECK(toeplitz_reference(l3, kMicrosoftRssKey) == v.l3);
    CHECK(toeplitz_reference(l4, kMicrosoftRssKey) == v.l4);
  }
}

TEST_CASE("RSS: rte_softrss == Toeplitz from its definition", "[hw-rss]") {
  std::mt19937_64 rng(1);
  for (int i = 0; i < 2000; ++i) {
    const RssTuple t = random_tuple(rng);
    REQUIRE(rss_hash(t, kMicrosoftRssKey) == toeplitz_reference(t, kMicrosoftRssKey));
    REQUIRE(rss_hash(t, kSymmetricRssKey40) == toeplitz_reference(t, kSymmetricRssKey40));
  }
}

TEST_CASE("RSS: the 0x6d5a key is symmetric", "[hw-rss]") {
  CHECK(kSymmetricRssKey40.size == 40);
  CHECK(kSymmetricRssKey52.size == 52);
  for (std::size_t i = 0; i < 52; i += 2) {
    CHECK(kSymmetricRssKey52.bytes[i] == 0x6d);
    CHECK(kSymmetricRssKey52.bytes[i + 1] == 0x5a);
  }
  std::mt19937_64 rng(2);
  int asymmetric_with_ms_key = 0;
  for (int i = 0; i < 5000; ++i) {
    const RssTuple t = random_tuple(rng);
    const uint32_t h = rss_hash(t, kSymmetricRssKey40);
    REQUIRE(rss_hash(reversed(t), kSymmetricRssKey40) == h);
    REQUIRE(rss_hash(t, kSymmetricRssKey52) == h);  // bytes 40..51 are never reached
    REQUIRE((h >> 16) == (h & 0xffff));             // 16-bit period of the key
    if (rss_hash(t, kMicrosoftRssKey) != rss_hash(reversed(t), kMicrosoftRssKey)) ++asymmetric_with_ms_key;
  }
  CHECK(asymmetric_with_ms_key > 4900);  // the standard key is not symmetric
}

TEST_CASE("RSS: what a NIC hashes (outer header)", "[hw-rss]") {
  const auto vectors = load_crc_vectors();
  auto outer = [&](const char* name) { return rss_outer_tuple(parse_ethernet(find_vector(vectors, name).frame)); };

  const RssTuple native = outer("native_tcp4_fwd");
  CHECK(native.version == 4);
  CHECK(native.l4);
  CHECK(native.sport == 51000);
  CHECK(native.dport == 443);

  CHECK(outer("native_udp6").version == 6);
  CHECK(outer("native_udp6").l4);
  CHECK_FALSE(outer("native_icmp4").l4);
  CHECK_FALSE(outer("frag4_first").l4);  // fragments: L3 only, the first one too
  CHECK_FALSE(outer("frag4_later").l4);
  CHECK_FALSE(outer("frag6_first").l4);

  const RssTuple teredo = outer("teredo_tcp_fwd");  // outer IPv4 + outer UDP ports
  CHECK(teredo.version == 4);
  CHECK(teredo.l4);
  CHECK(teredo.sport == 40000);
  CHECK(teredo.dport == 3544);
  const uint8_t nat[4] = {203, 0, 113, 45};
  CHECK(std::memcmp(teredo.src, nat, 4) == 0);

  const RssTuple six = outer("sixtofour_udp");  // protocol 41: L3 only
  CHECK(six.version == 4);
  CHECK_FALSE(six.l4);

  // An outer IPv4 first fragment of a Teredo datagram: L3 only, so it meets
  // its later fragments (parsed as plain IPv4 fragments).
  const RssTuple f1 = outer("teredo_outer_frag_first");
  const RssTuple f2 = outer("teredo_outer_frag_later");
  CHECK_FALSE(f1.l4);
  CHECK(rss_hash(f1, kSymmetricRssKey40) == rss_hash(f2, kSymmetricRssKey40));

  // An inner IPv6 fragment inside a whole Teredo datagram: the NIC sees an
  // unfragmented UDP packet and hashes its ports.
  for (const char* name : {"teredo_inner_frag_first", "teredo_inner_frag_later"}) {
    INFO(name);
    const RssTuple t = outer(name);
    CHECK(t.l4);
    CHECK(t.sport == 40000);
    CHECK(t.dport == 3544);
    CHECK(rss_hash(t, kSymmetricRssKey40) == rss_hash(teredo, kSymmetricRssKey40));
  }

  // Dropped packets: no hash, queue 0.
  const RssTuple arp = outer("non_ip_arp");
  CHECK(arp.version == 0);
  CHECK(rss_hash(arp, kSymmetricRssKey40) == 0);
}

TEST_CASE("RSS: both directions reach one queue", "[hw-rss]") {
  const auto vectors = load_crc_vectors();
  RssModel m;
  m.reta = default_reta(8);
  for (const char* stem : {"native_tcp4", "teredo_tcp"}) {
    INFO(stem);
    const PacketInfo fwd = parse_ethernet(find_vector(vectors, std::string(stem) + "_fwd").frame);
    const PacketInfo rev = parse_ethernet(find_vector(vectors, std::string(stem) + "_rev").frame);
    CHECK(m.hash(fwd) == m.hash(rev));
    CHECK(m.queue(fwd) == m.queue(rev));
  }
  // Teredo flows of one relay share the outer tuple: same hash.
  CHECK(m.hash(parse_ethernet(find_vector(vectors, "teredo_tcp_fwd").frame)) ==
        m.hash(parse_ethernet(find_vector(vectors, "teredo_tcp_other").frame)));
}

TEST_CASE("RSS: redirection table", "[hw-rss]") {
  CHECK(check_rss_config(1, 128).empty());
  CHECK(check_rss_config(3, 128).empty());
  CHECK(check_rss_config(128, 128).empty());
  CHECK(check_rss_config(512, 512).empty());
  CHECK_FALSE(check_rss_config(0, 128).empty());
  CHECK_FALSE(check_rss_config(129, 128).empty());
  CHECK_FALSE(check_rss_config(4, 100).empty());
  CHECK_FALSE(check_rss_config(4, 1024).empty());

  const RssReta r = default_reta(3, 128);
  CHECK(r.size == 128);
  for (unsigned i = 0; i < 128; ++i) CHECK(r.queue[i] == i % 3);
  CHECK(reta_lookup(r, 0) == 0);
  CHECK(reta_lookup(r, 127) == 127 % 3);
  CHECK(reta_lookup(r, 128 + 5) == 5 % 3);  // only the low 7 bits index

  // A power-of-two queue count: 128 and 512 entries agree (low bits of the
  // hash); other counts do not.
  const RssReta a4 = default_reta(4, 128), b4 = default_reta(4, 512);
  const RssReta a3 = default_reta(3, 128), b3 = default_reta(3, 512);
  std::mt19937 rng(3);
  int differ3 = 0;
  for (int i = 0; i < 1000; ++i) {
    const uint32_t h = static_cast<uint32_t>(rng());
    REQUIRE(reta_lookup(a4, h) == (h & 3));
    REQUIRE(reta_lookup(b4, h) == (h & 3));
    differ3 += reta_lookup(a3, h) != reta_lookup(b3, h);
  }
  CHECK(differ3 > 0);
}
