// AYIYA (draft-massar-v6ops-ayiya-02): positive cases on the configured
// port, decoys on 5072 that stay IPv4 with their verdict, content on other
// ports never taken, and the header cut at every byte.
#include "plugins/ayiya.hpp"
#include "probe/decode/decode_config.hpp"
#include "support.hpp"

using namespace tb;

namespace {

const uint32_t kClient = v4("192.0.2.77");
const uint32_t kPop = v4("198.51.100.1");  // a SixXS PoP
const A6 kTunnelEnd = v6("2001:db8:1f00:51::2");
const A6 kNative = v6("2a00:1450:4001:81b::200e");

// An AYIYA header: identity 2^id_len bytes (type 1: integer), signature
// sig_words x 4 bytes (SHA-1: 5), shared secret, `op`, next header, epoch.
Bytes ayiya(uint8_t id_len, uint8_t sig_words, uint8_t op, uint8_t next, uint8_t id_type = 1, uint8_t hash = 2,
            uint8_t auth = 1) {
  Bytes b{static_cast<uint8_t>(id_len << 4 | id_type), static_cast<uint8_t>(sig_words << 4 | hash),
          static_cast<uint8_t>(auth << 4 | op), next, 0x65, 0x43, 0x21, 0x00};
  const Bytes id = filler(std::size_t{1} << id_len, 0x10);
  const Bytes sig = filler(std::size_t{sig_words} * 4, 0x50);
  b.insert(b.end(), id.begin(), id.end());
  b.insert(b.end(), sig.begin(), sig.end());
  return b;
}

Bytes cat(Bytes a, const Bytes& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

Bytes udp4(uint16_t sport, uint16_t dport, const Bytes& payload) {
  return eth(kEtherIpv4, ipv4(kClient, kPop, kUdp, udp(sport, dport, payload), V4{.ttl = 60}));
}

const Bytes kInner = ipv6(kTunnelEnd, kNative, kTcp, tcp(50000, 443, 0x02, filler(12)), V6{.hlim = 33});

}  // namespace

TEST_CASE("AYIYA forwarding IPv6: the inner flow, the outer addresses and ports", "[ayiya]") {
  for (const auto& [id_len, sig] : {std::pair<uint8_t, uint8_t>{4, 5}, {0, 0}, {2, 4}, {15 & 7, 15}}) {
    INFO("identity 2^" << int(id_len) << " bytes, signature " << int(sig) * 4 << " bytes");
    const Bytes payload = cat(ayiya(id_len, sig, 1, kIpv6), kInner);
    const PacketInfo p = parse(udp4(41000, 5072, payload));
    REQUIRE(p.verdict == Verdict::ok);
    CHECK(p.tunnel == TunnelType::ayiya);
    CHECK(s4(p.outer_src4) == "192.0.2.77");
    CHECK(s4(p.outer_dst4) == "198.51.100.1");
    CHECK(p.outer_sport == 41000);
    CHECK(p.outer_dport == 5072);
    CHECK(p.outer_ttl == 60);
    CHECK(p.outer_length == 20 + 8 + payload.size());
    CHECK(p.ip_version == 6);
    CHECK(s6(p.src) == "2001:db8:1f00:51::2");
    CHECK(s6(p.dst) == "2a00:1450:4001:81b::200e");
    CHECK(p.ttl == 33);
    CHECK(p.protocol == kTcp);
    CHECK(p.sport == 50000);
    CHECK(p.dport == 443);
    CHECK(p.ip_length == 40 + 20 + 12);
  }
  // Echo request and forward (op 3) carries a packet too; so does the PoP's direction.
  const PacketInfo p = parse(udp4(5072, 41000, cat(ayiya(4, 5, 3, kIpv6), kInner)));
  REQUIRE(p.verdict == Verdict::ok);
  CHECK(p.tunnel == TunnelType::ayiya);
  CHECK(p.outer_sport == 5072);
}

TEST_CASE("AYIYA forwarding IPv4 (next header 4): the inner IPv4 flow, tunnel ayiya", "[ayiya]") {
  const Bytes inner4 = ipv4(v4("10.20.0.5"), v4("10.30.0.9"), kUdp, udp(5353, 53, filler(17)), V4{.ttl = 41});
  const Bytes payload = cat(ayiya(4, 5, 1, kIpip), inner4);
  const PacketInfo p = parse(udp4(41000, 5072, payload));
  REQUIRE(p.verdict == Verdict::ok);
  CHECK(p.tunnel == TunnelType::ayiya);
  CHECK(s4(p.outer_src4) == "192.0.2.77");
  CHECK(s4(p.outer_dst4) == "198.51.100.1");
  CHECK(p.outer_sport == 41000);
  CHECK(p.outer_dport == 5072);
  CHECK(p.outer_length == 20 + 8 + payload.size());
  CHECK(p.ip_version == 4);
  CHECK(s4(tunprobe::ipv4_of(p.src)) == "10.20.0.5");
  CHECK(s4(tunprobe::ipv4_of(p.dst)) == "10.30.0.9");
  CHECK(p.ttl == 41);
  CHECK(p.protocol == kUdp);
  CHECK(p.sport == 5353);
  CHECK(p.dport == 53);
  CHECK(p.ip_length == 20 + 8 + 17);
  // Cut inside the inner IPv4 header: the outer UDP flow, truncated.
  const Bytes frame = udp4(41000, 5072, payload);
  const PacketInfo cut = parse(prefix(frame, frame.size() - 8 - 17 - 8 - 1));
  CHECK(cut.tunnel == TunnelType::none);
  CHECK(cut.verdict == Verdict::ayiya_truncated);
}

TEST_CASE("AYIYA decoys and control messages stay IPv4 UDP with their verdict", "[ayiya]") {
  const auto check = [](const Bytes& payload, Verdict want) {
    const PacketInfo p = parse(udp4(41000, 5072, payload));
    INFO("got " << tunprobe::verdict_name(p.verdict) << ", want " << tunprobe::verdict_name(want));
    CHECK(p.verdict == want);
    CHECK(p.tunnel == TunnelType::none);
    check_ipv4_udp(p, kClient, kPop, 41000, 5072);
  };
  check(cat(ayiya(4, 5, 0, kNoNext), {}), Verdict::ayiya_control);        // heartbeat (noop)
  check(cat(ayiya(4, 5, 2, kNoNext), {}), Verdict::ayiya_control);        // echo request
  check(cat(ayiya(4, 5, 5, kNoNext), filler(30)), Verdict::ayiya_control);  // MOTD
  check(cat(ayiya(4, 5, 1, kNoNext), {}), Verdict::ayiya_control);        // forward of nothing
  // IPv4 in AYIYA: a byte after its total length, its header cut, or not version 4.
  check(cat(cat(ayiya(4, 5, 1, kIpip), ipv4(kClient, kPop, kUdp, udp(1, 2))), Bytes{0}), Verdict::ayiya_length_mismatch);
  check(cat(ayiya(4, 5, 1, kIpip), filler(19, 0x45)), Verdict::ayiya_length_mismatch);
  check(cat(ayiya(4, 5, 1, kIpip), kInner), Verdict::ayiya_length_mismatch);  // IPv6 under next header 4
  check(cat(ayiya(4, 5, 1, kTcp), filler(40)), Verdict::ayiya_bad_header);    // next header no packet
  check(cat(ayiya(4, 5, 8, kIpv6), kInner), Verdict::ayiya_bad_header);       // opcode 8
  check(cat(ayiya(4, 5, 1, kIpv6, 3), kInner), Verdict::ayiya_bad_header);    // identity type 3
  check(cat(ayiya(4, 5, 1, kIpv6, 1, 3), kInner), Verdict::ayiya_bad_header); // hash 3
  check(cat(ayiya(4, 5, 1, kIpv6, 1, 2, 3), kInner), Verdict::ayiya_bad_header);  // auth 3
  check(filler(7, 0x41), Verdict::ayiya_truncated);                          // shorter than the header
  check(cat(ayiya(4, 5, 1, kIpv6), filler(20)), Verdict::ayiya_length_mismatch);  // no room for IPv6
  Bytes longer = cat(ayiya(4, 5, 1, kIpv6), kInner);
  longer.push_back(0);
  check(longer, Verdict::ayiya_length_mismatch);
  Bytes v4inner = cat(ayiya(4, 5, 1, kIpv6), kInner);
  v4inner[8 + 16 + 20] = 0x45;  // version 4 where IPv6 should start
  check(v4inner, Verdict::ayiya_length_mismatch);
  // A DNS answer on 5072, the decoy of the generator.
  check(Bytes{0x12, 0x34, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0, 3, 'w', 'w', 'w', 0, 0, 1, 0, 1}, Verdict::ayiya_bad_header);
}

TEST_CASE("AYIYA is found on its ports only", "[ayiya]") {
  const Bytes payload = cat(ayiya(4, 5, 1, kIpv6), kInner);
  const PacketInfo other = parse(udp4(41000, 5073, payload));
  CHECK(other.verdict == Verdict::ok);
  CHECK(other.tunnel == TunnelType::none);
  DecodeConfig cfg;
  REQUIRE(tunprobe::parse_udp_ports(TunnelType::ayiya, "5073", cfg).empty());
  const PacketInfo moved = parse_cfg(udp4(41000, 5073, payload), cfg);
  CHECK(moved.tunnel == TunnelType::ayiya);
  const PacketInfo old = parse_cfg(udp4(41000, 5072, payload), cfg);
  CHECK(old.tunnel == TunnelType::none);
  CHECK(old.verdict == Verdict::ok);
}

TEST_CASE("AYIYA cut at every byte keeps the outer flow", "[ayiya]") {
  const Bytes full = udp4(41000, 5072, cat(ayiya(4, 5, 1, kIpv6), kInner));
  const std::size_t udp_payload = 14 + 20 + 8;
  for (std::size_t n = udp_payload; n < full.size(); ++n) {
    INFO("captured " << n << " of " << full.size());
    const PacketInfo p = parse(prefix(full, n));
    const std::size_t have = n - udp_payload;
    if (have < 8 + 16 + 20 + 40) {
      CHECK(p.tunnel == TunnelType::none);
      CHECK(p.verdict == Verdict::ayiya_truncated);
    } else {
      // The inner IPv6 header was captured: the tunnel, with the inner cut's verdict.
      CHECK(p.tunnel == TunnelType::ayiya);
      CHECK(p.verdict == (have < 8 + 16 + 20 + 40 + 20 ? Verdict::l4_truncated : Verdict::ok));
    }
  }
}
