// Teredo (RFC 4380, RFC 6081): positive, negative and precedence cases,
// detection by content and by the port set, trailers, nesting, and packets
// with both optional headers cut at every byte.
#include "plugins/teredo.hpp"
#include "probe/decode/decode_config.hpp"
#include "support.hpp"

using namespace tb;

namespace {

const uint32_t kServer = v4("65.54.227.120");  // RFC 4380 section 4 example
const uint32_t kMapped = v4("192.0.2.45");
const uint32_t kRelay = v4("203.0.113.7");
const A6 kClient = teredo_addr(kServer, 0x8000, 40000, kMapped);
const A6 kPeer = teredo_addr(v4("198.51.100.9"), 0x0000, 1024, v4("203.0.113.200"));
const A6 kNative = v6("2a00:1450:4001:81b::200e");

Bytes udp4(uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport, const Bytes& payload, V4 o = {}) {
  return eth(kEtherIpv4, ipv4(src, dst, kUdp, udp(sport, dport, payload), o));
}

DecodeConfig ports_only() {
  DecodeConfig cfg;
  cfg.detect(tunprobe::TunnelType::teredo) = tunprobe::UdpDetect::ports;
  return cfg;
}

// The RFC 4380 example address: server 65.54.227.120, cone flag, client
// 192.0.2.45 port 40000.
void check_client_address(const tunprobe::TeredoInfo& t) {
  CHECK(t.has_address);
  CHECK(s4(t.server_ipv4) == "65.54.227.120");
  CHECK(t.flags == 0x8000);
  CHECK(s4(t.client_ipv4) == "192.0.2.45");
  CHECK(t.client_port == 40000);
}

}  // namespace

TEST_CASE("Teredo address decoding (RFC 4380 section 4 example)", "[teredo]") {
  const A6 a = v6("2001:0:4136:e378:8000:63bf:3fff:fdd2");
  CHECK(a == kClient);  // the builder agrees with the RFC
  CHECK(tunprobe::is_teredo_address(a.data()));
  CHECK_FALSE(tunprobe::is_teredo_address(v6("2001:db8::1").data()));
  CHECK_FALSE(tunprobe::is_teredo_address(v6("2001:1::1").data()));
  CHECK_FALSE(tunprobe::is_teredo_address(v6("2002::1").data()));
  tunprobe::TeredoInfo t;
  tunprobe::teredo_decode_address(a.data(), t);
  check_client_address(t);
  CHECK_FALSE(t.auth);
  CHECK_FALSE(t.origin);
  CHECK_FALSE(t.bubble);
  // All-ones and all-zeros obfuscated fields.
  tunprobe::teredo_decode_address(v6("2001:0:ffff:ffff:ffff:0:0:0").data(), t);
  CHECK(t.server_ipv4 == 0xffffffffu);
  CHECK(t.flags == 0xffff);
  CHECK(t.client_port == 0xffff);
  CHECK(t.client_ipv4 == 0xffffffffu);
}

TEST_CASE("Teredo data packet from a client to a native host", "[teredo]") {
  const Bytes inner =
      ipv6(kClient, kNative, kTcp, tcp(50000, 443, 0x02, filler(4)), V6{.tclass = 0x28, .flow = 0x12345, .hlim = 21});
  const PacketInfo p = parse(udp4(kMapped, kRelay, 40000, 3544, inner, V4{.ttl = 117}));
  REQUIRE(p.verdict == Verdict::ok);
  CHECK(p.tunnel == TunnelType::teredo);
  CHECK(s4(p.outer_src4) == "192.0.2.45");
  CHECK(s4(p.outer_dst4) == "203.0.113.7");
  CHECK(p.outer_sport == 40000);
  CHECK(p.outer_dport == 3544);
  CHECK(p.outer_length == 20 + 8 + 40 + 24);
  CHECK(p.outer_ttl == 117);
  check_client_address(p.teredo);
  CHECK_FALSE(p.teredo.auth);
  CHECK_FALSE(p.teredo.origin);
  CHECK_FALSE(p.teredo.bubble);
  CHECK(p.teredo.origin_ipv4 == 0);
  CHECK(p.teredo.origin_port == 0);
  CHECK(p.ip_version == 6);
  CHECK(s6(p.src) == "2001:0:4136:e378:8000:63bf:3fff:fdd2");
  CHECK(s6(p.dst) == "2a00:1450:4001:81b::200e");
  CHECK(p.protocol == kTcp);
  CHECK(p.tos == 0x28);
  CHECK(p.flow_label == 0x12345);
  CHECK(p.ttl == 21);
  CHECK(p.ip_length == 64);
  CHECK(p.has_ports);
  CHECK(p.sport == 50000);
  CHECK(p.dport == 443);
  CHECK(p.tcp_flags == 0x02);
  CHECK(p.src_class == AddrClass::teredo);
  CHECK(p.dst_class == AddrClass::low);
  CHECK(p.embedded_src4 == 0);
  CHECK(p.embedded_dst4 == 0);
  CHECK(p.relay4 == 0);
}

TEST_CASE("Teredo: which inner address is decoded", "[teredo]") {
  SECTION("only the destination is a Teredo address") {
    const PacketInfo p =
        parse(udp4(kRelay, kMapped, 3544, 40000, ipv6(kNative, kClient, kUdp, udp(53, 41000, filler(10)))));
    REQUIRE(p.verdict == Verdict::ok);
    CHECK(p.tunnel == TunnelType::teredo);
    check_client_address(p.teredo);
    CHECK(p.outer_sport == 3544);
    CHECK(p.outer_dport == 40000);
    CHECK(p.sport == 53);
    CHECK(p.dport == 41000);
    CHECK(p.src_class == AddrClass::low);
    CHECK(p.dst_class == AddrClass::teredo);
  }
  SECTION("both ends are Teredo addresses: the source wins") {
    const PacketInfo p = parse(udp4(kMapped, kRelay, 40000, 3544, ipv6(kClient, kPeer, kIcmpv6, icmp(128, 0))));
    REQUIRE(p.verdict == Verdict::ok);
    check_client_address(p.teredo);
    CHECK(p.has_icmp);
    CHECK(p.icmp_type == 128);
    const PacketInfo q = parse(udp4(kMapped, kRelay, 40000, 3544, ipv6(kPeer, kClient, kIcmpv6, icmp(129, 0))));
    REQUIRE(q.verdict == Verdict::ok);
    CHECK(s4(q.teredo.server_ipv4) == "198.51.100.9");
    CHECK(q.teredo.flags == 0);
    CHECK(q.teredo.client_port == 1024);
    CHECK(s4(q.teredo.client_ipv4) == "203.0.113.200");
  }
  SECTION("on a Teredo port, no Teredo address at either end is still Teredo") {
    const PacketInfo p = parse(udp4(kMapped, kRelay, 40000, 3544, ipv6(kNative, v6("2a02::1"), kNoNext, {})));
    REQUIRE(p.verdict == Verdict::ok);
    CHECK(p.tunnel == TunnelType::teredo);
    CHECK_FALSE(p.teredo.has_address);
    CHECK(p.teredo.server_ipv4 == 0);
    CHECK(p.teredo.bubble);
  }
}

TEST_CASE("Teredo with authentication and origin indication", "[teredo]") {
  // Router advertisement from the server during qualification: both headers.
  const Bytes payload =
      teredo_auth(4, 8, 0x00) + teredo_origin(40000, kMapped) +
      ipv6(v6("fe80::8000:ffff:ffff:fffd"), kClient, kIcmpv6, icmp(134, 0, filler(8)), V6{.hlim = 255});
  const PacketInfo p = parse(udp4(kServer, kMapped, 3544, 40000, payload));
  REQUIRE(p.verdict == Verdict::ok);
  CHECK(p.tunnel == TunnelType::teredo);
  CHECK(s4(p.outer_src4) == "65.54.227.120");
  CHECK(s4(p.outer_dst4) == "192.0.2.45");
  CHECK(p.outer_sport == 3544);
  CHECK(p.outer_dport == 40000);
  CHECK(p.teredo.auth);
  CHECK(p.teredo.origin);
  CHECK(s4(p.teredo.origin_ipv4) == "192.0.2.45");
  CHECK(p.teredo.origin_port == 40000);
  CHECK_FALSE(p.teredo.bubble);
  check_client_address(p.teredo);
  CHECK(p.has_icmp);
  CHECK(p.icmp_type == 134);
  CHECK(p.ttl == 255);
  CHECK(p.src_class == AddrClass::link_local);
  CHECK(p.dst_class == AddrClass::teredo);

  SECTION("authentication with empty id and value: 13 bytes") {
    const PacketInfo q =
        parse(udp4(kServer, kMapped, 3544, 40000, teredo_auth(0, 0, 1) + ipv6(kNative, kClient, kNoNext, {})));
    REQUIRE(q.verdict == Verdict::ok);
    CHECK(q.teredo.auth);
    CHECK_FALSE(q.teredo.origin);
    CHECK(q.teredo.bubble);
  }
  SECTION("origin indication alone") {
    const PacketInfo q = parse(udp4(kServer, kMapped, 3544, 40000,
                                    teredo_origin(0xffff, v4("255.255.255.255")) + ipv6(kPeer, kClient, kNoNext, {})));
    REQUIRE(q.verdict == Verdict::ok);
    CHECK_FALSE(q.teredo.auth);
    CHECK(q.teredo.origin);
    CHECK(q.teredo.origin_port == 0xffff);
    CHECK(q.teredo.origin_ipv4 == 0xffffffffu);
    CHECK(q.teredo.bubble);
  }
  SECTION("headers out of order or repeated are not Teredo") {
    const Bytes six = ipv6(kNative, kClient, kNoNext, {});
    const PacketInfo q =
        parse(udp4(kServer, kMapped, 3544, 40000, teredo_origin(1, kMapped) + teredo_auth(0, 0) + six));
    CHECK(q.verdict == Verdict::teredo_not_ipv6);
    check_ipv4_udp(q, kServer, kMapped, 3544, 40000);
    const PacketInfo r =
        parse(udp4(kServer, kMapped, 3544, 40000, teredo_origin(1, kMapped) + teredo_origin(2, kMapped) + six));
    CHECK(r.verdict == Verdict::teredo_not_ipv6);
    const PacketInfo s = parse(udp4(kServer, kMapped, 3544, 40000, teredo_auth(0, 0) + teredo_auth(0, 0) + six));
    CHECK(s.verdict == Verdict::teredo_not_ipv6);
  }
}

TEST_CASE("Teredo bubbles", "[teredo]") {
  SECTION("bubble: no next header, payload length 0") {
    const PacketInfo p = parse(udp4(kMapped, kRelay, 40000, 3544, ipv6(kClient, kPeer, kNoNext, {})));
    REQUIRE(p.verdict == Verdict::ok);
    CHECK(p.tunnel == TunnelType::teredo);
    CHECK(p.teredo.bubble);
    CHECK(p.protocol == kNoNext);
    CHECK_FALSE(p.has_ports);
    CHECK(p.sport == 0);
    CHECK(p.dport == 0);
    CHECK(p.ip_length == 40);
    CHECK(p.outer_length == 68);
    check_client_address(p.teredo);
  }
  SECTION("bubble relayed by the server with an origin indication") {
    const PacketInfo p = parse(udp4(kServer, kMapped, 3544, 40000,
                                    teredo_origin(1024, v4("203.0.113.200")) + ipv6(kPeer, kClient, kNoNext, {})));
    REQUIRE(p.verdict == Verdict::ok);
    CHECK(p.teredo.bubble);
    CHECK(p.teredo.origin);
    CHECK(p.teredo.origin_port == 1024);
    CHECK(s4(p.teredo.origin_ipv4) == "203.0.113.200");
  }
  SECTION("no next header with a payload is its own verdict, still Teredo") {
    const PacketInfo p = parse(udp4(kMapped, kRelay, 40000, 3544, ipv6(kClient, kPeer, kNoNext, filler(12))));
    CHECK(p.verdict == Verdict::teredo_bubble_payload);
    CHECK_FALSE(tunprobe::verdict_is_drop(p.verdict));
    CHECK(p.tunnel == TunnelType::teredo);
    CHECK_FALSE(p.teredo.bubble);
    CHECK(p.protocol == kNoNext);
    CHECK(p.ip_length == 52);
    check_client_address(p.teredo);
    CHECK(p.src_class == AddrClass::teredo);
  }
}

TEST_CASE("false Teredo on port 3544 stays an IPv4 UDP flow", "[teredo]") {
  const auto check = [](const Bytes& payload, Verdict v) {
    const PacketInfo p = parse(udp4(kMapped, kRelay, 40000, 3544, payload));
    CHECK(p.verdict == v);
    check_ipv4_udp(p, kMapped, kRelay, 40000, 3544);
    CHECK(p.ip_length == 28 + payload.size());
    CHECK_FALSE(p.teredo.has_address);
  };
  SECTION("DNS query") {
    check(Bytes{0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00} + filler(20),
          Verdict::teredo_not_ipv6);
  }
  SECTION("empty and one-byte payloads") {
    check({}, Verdict::teredo_not_ipv6);
    check(Bytes{0x60}, Verdict::teredo_not_ipv6);
  }
  SECTION("IPv4 instead of IPv6") {
    check(ipv4(kMapped, kRelay, kTcp, tcp(1, 2, 0x02, filler(20))), Verdict::teredo_not_ipv6);
  }
  SECTION("IPv6 header cut short by the UDP length") {
    check(prefix(ipv6(kClient, kNative, kNoNext, {}), 39), Verdict::teredo_not_ipv6);
  }
  SECTION("STUN binding request: 0x0001 reads as an authentication header") {
    check(Bytes{0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42} + filler(12, 0x70), Verdict::teredo_not_ipv6);
  }
  SECTION("authentication header longer than the datagram") {
    check(prefix(teredo_auth(200, 20), 40), Verdict::teredo_auth_truncated);
    check(Bytes{0x00, 0x01}, Verdict::teredo_auth_truncated);
    check(Bytes{0x00, 0x01, 0x00}, Verdict::teredo_auth_truncated);
  }
  SECTION("origin indication cut") {
    check(Bytes{0x00, 0x00, 0x12, 0x34, 0x56, 0x78, 0x9a}, Verdict::teredo_origin_truncated);
    check(teredo_auth(0, 0) + Bytes{0x00, 0x00, 0x01}, Verdict::teredo_origin_truncated);
  }
  SECTION("IPv6 payload length beyond the UDP length") {
    check(ipv6(kClient, kNative, kTcp, tcp(1, 2), V6{.plen = 21}), Verdict::teredo_length_mismatch);
    check(ipv6(kClient, kNative, kNoNext, {}, V6{.plen = 1}), Verdict::teredo_length_mismatch);
  }
  SECTION("decoys: an IPv6 version nibble on port 3544 is not enough") {
    // 0x6x first bytes in a DNS id, a QUIC short header, a game protocol.
    check(Bytes{0x61, 0x02, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00} + filler(40),
          Verdict::teredo_length_mismatch);
    check(Bytes{0x6f} + filler(60, 0x00), Verdict::teredo_length_mismatch);
  }
}

TEST_CASE("Teredo: bytes after the IPv6 packet are RFC 6081 trailers", "[teredo]") {
  using tunprobe::kTeredoTrailerAlternateAddress;
  using tunprobe::kTeredoTrailerNeighborDiscovery;
  using tunprobe::kTeredoTrailerNonce;
  using tunprobe::kTeredoTrailerRandomPort;
  using tunprobe::kTeredoTrailerUnparsed;
  const Bytes nonce{0x01, 0x04, 0xde, 0xad, 0xbe, 0xef};                    // RFC 6081 4.2
  const Bytes alternate{0x03, 0x08, 0x00, 0x00, 192, 168, 1, 20, 0x9c, 0x41};  // 4.3: one address/port
  const Bytes nd{0x04, 0x04, 0x00, 0x00, 0x00, 0x00};                       // 4.4: discovery solicitation
  const Bytes random_port{0x05, 0x02, 0xc3, 0x50};                          // 4.5
  const Bytes bubble = ipv6(kClient, kPeer, kNoNext, {});
  SECTION("a bubble with a nonce trailer on port 3544 (seen in real captures) is a Teredo bubble") {
    const PacketInfo p = parse(udp4(kMapped, kRelay, 40000, 3544, bubble + nonce));
    REQUIRE(p.verdict == Verdict::ok);
    CHECK(p.tunnel == TunnelType::teredo);
    CHECK(p.teredo.bubble);
    CHECK(p.teredo.trailers == kTeredoTrailerNonce);
    CHECK(p.ip_length == 40);         // the IPv6 packet, without its trailers
    CHECK(p.outer_length == 20 + 8 + 46);
    CHECK(p.protocol == kNoNext);
    check_client_address(p.teredo);
  }
  SECTION("every trailer type, in one datagram") {
    const PacketInfo p = parse(udp4(kMapped, kRelay, 40000, 3544, bubble + nonce + alternate + nd + random_port));
    REQUIRE(p.verdict == Verdict::ok);
    CHECK(p.teredo.bubble);
    CHECK(p.teredo.trailers == (kTeredoTrailerNonce | kTeredoTrailerAlternateAddress |
                                kTeredoTrailerNeighborDiscovery | kTeredoTrailerRandomPort));
  }
  SECTION("on a Teredo port any bytes are trailers; those that do not parse are flagged") {
    for (const Bytes& junk : {Bytes{0}, Bytes{0x01, 0x04, 0xaa}, Bytes{0x02, 0x00}, Bytes{0x01, 0x05, 1, 2, 3, 4, 5},
                              Bytes{0x03, 0x09} + filler(9), filler(7, 0x42)}) {
      const PacketInfo p = parse(udp4(kMapped, kRelay, 40000, 3544, bubble + junk));
      REQUIRE(p.verdict == Verdict::ok);
      CHECK(p.tunnel == TunnelType::teredo);
      CHECK(p.teredo.bubble);
      CHECK(p.teredo.trailers == kTeredoTrailerUnparsed);
    }
    // A good trailer, then junk: both recorded.
    const PacketInfo q = parse(udp4(kMapped, kRelay, 40000, 3544, bubble + nonce + Bytes{0xff, 0x01, 0x00}));
    CHECK(q.teredo.trailers == (kTeredoTrailerNonce | kTeredoTrailerUnparsed));
  }
  SECTION("a data packet with a trailer: the inner packet ends at its payload length") {
    const Bytes inner = ipv6(kClient, kNative, kUdp, udp(41000, 53, filler(12)));
    const PacketInfo p = parse(udp4(kMapped, kRelay, 40000, 3544, inner + random_port));
    REQUIRE(p.verdict == Verdict::ok);
    CHECK(p.ip_length == 60);
    CHECK(p.sport == 41000);
    CHECK(p.teredo.trailers == kTeredoTrailerRandomPort);
    CHECK_FALSE(p.teredo.bubble);
  }
  SECTION("by content on other ports, trailers must parse, whole") {
    PacketInfo p = parse(udp4(kMapped, kRelay, 40000, 51413, bubble + nonce + alternate));
    REQUIRE(p.verdict == Verdict::ok);
    CHECK(p.tunnel == TunnelType::teredo);
    CHECK(p.teredo.trailers == (kTeredoTrailerNonce | kTeredoTrailerAlternateAddress));
    for (const Bytes& junk : {Bytes{0}, Bytes{0x01, 0x04, 0xaa}, nonce + Bytes{0x00}, Bytes{0x09, 0x02, 0, 0}}) {
      p = parse(udp4(kMapped, kRelay, 40000, 51413, bubble + junk));
      CHECK(p.verdict == Verdict::ok);
      check_ipv4_udp(p, kMapped, kRelay, 40000, 51413);
      CHECK(p.teredo.trailers == 0);
    }
  }
  SECTION("a bubble whose IPv6 payload length is not 0 is still its own verdict") {
    const PacketInfo p = parse(udp4(kMapped, kRelay, 40000, 3544, ipv6(kClient, kPeer, kNoNext, filler(4)) + nonce));
    CHECK(p.verdict == Verdict::teredo_bubble_payload);
    CHECK(p.tunnel == TunnelType::teredo);
    CHECK_FALSE(p.teredo.bubble);
    CHECK(p.teredo.trailers == kTeredoTrailerNonce);
    CHECK(p.ip_length == 44);
  }
  SECTION("teredo_trailers on its own") {
    const Bytes all = nonce + alternate;
    CHECK(tunprobe::teredo_trailers(all.data(), all.size(), all.size()) ==
          (kTeredoTrailerNonce | kTeredoTrailerAlternateAddress));
    // The capture ends inside the second trailer.
    CHECK(tunprobe::teredo_trailers(all.data(), all.size(), 8) == (kTeredoTrailerNonce | kTeredoTrailerUnparsed));
    CHECK(tunprobe::teredo_trailers(all.data(), all.size(), 0) == kTeredoTrailerUnparsed);
    CHECK(tunprobe::teredo_trailers(all.data(), 0, 0) == 0);
    for (uint8_t len : {2, 14, 20, 26}) {
      INFO("alternate address length " << int{len});
      const Bytes alt = Bytes{0x03, len} + filler(len);
      CHECK(tunprobe::teredo_trailers(alt.data(), alt.size(), alt.size()) ==
            (len == 2 ? kTeredoTrailerUnparsed : kTeredoTrailerAlternateAddress));
    }
  }
}

TEST_CASE("Teredo: header-declared lengths decide, not the capture", "[teredo]") {
  SECTION("authentication header inside the capture but beyond the UDP length") {
    // The datagram says 10 bytes of payload; the IP packet carries 25 more.
    const Bytes auth = teredo_auth(4, 8);
    const Bytes frame = eth(kEtherIpv4, ipv4(kServer, kMapped, kUdp, udp(3544, 40000, auth, 8 + 10)));
    const PacketInfo p = parse(frame);
    CHECK(p.verdict == Verdict::teredo_auth_truncated);
    check_ipv4_udp(p, kServer, kMapped, 3544, 40000);
  }
  SECTION("Ethernet trailer after the IPv4 packet") {
    Bytes frame = udp4(kMapped, kRelay, 40000, 3544, ipv6(kClient, kNative, kUdp, udp(1, 2)));
    frame = frame + Bytes{0xde, 0xad, 0xbe, 0xef};
    const PacketInfo p = parse(frame);
    CHECK(p.verdict == Verdict::ok);
    CHECK(p.tunnel == TunnelType::teredo);
  }
  SECTION("first IPv4 fragment: the UDP length covers the whole datagram") {
    // 80 bytes of UDP travel in this fragment; the datagram is 8 + 40 + 8 + 200.
    const Bytes inner = ipv6(kClient, kNative, kUdp, udp(41000, 53, filler(200)));
    const Bytes dgram = udp(40000, 3544, inner);
    const Bytes frame = eth(kEtherIpv4, ipv4(kMapped, kRelay, kUdp, prefix(dgram, 80), V4{.id = 77, .mf = true}));
    const PacketInfo p = parse(frame);
    CHECK(p.verdict == Verdict::ok);
    CHECK(p.tunnel == TunnelType::teredo);
    CHECK(p.is_fragment);
    CHECK(p.first_fragment);
    CHECK(p.frag_id == 77);
    // Later fragments are keyed on the outer addresses: the first one keeps them.
    CHECK(p.outer_src4 == kMapped);
    CHECK(p.outer_dst4 == kRelay);
    CHECK(p.outer_length == 100);
    CHECK(p.ip_length == 40 + 208);
    CHECK(p.sport == 41000);
    CHECK(p.dport == 53);
  }
  SECTION("later IPv4 fragment on a Teredo port is not looked into") {
    const Bytes frame = eth(kEtherIpv4, ipv4(kMapped, kRelay, kUdp, filler(64), V4{.frag_offset = 80}));
    const PacketInfo p = parse(frame);
    CHECK(p.verdict == Verdict::ok);
    CHECK(p.tunnel == TunnelType::none);
    CHECK_FALSE(p.has_ports);
  }
}

TEST_CASE("Teredo by content on any port (the default), and by ports only", "[teredo]") {
  const Bytes to_native = ipv6(kClient, kNative, kUdp, udp(41000, 123, filler(48)));
  SECTION("relay traffic: the client's mapped port and the relay's ephemeral port") {
    const PacketInfo p = parse(udp4(kMapped, kRelay, 40000, 51413, to_native));
    REQUIRE(p.verdict == Verdict::ok);
    CHECK(p.tunnel == TunnelType::teredo);
    CHECK(p.outer_sport == 40000);
    CHECK(p.outer_dport == 51413);
    CHECK(p.sport == 41000);
    CHECK(p.dport == 123);
    check_client_address(p.teredo);
    // Either end, either direction; a bubble.
    const PacketInfo q = parse(udp4(kRelay, kMapped, 51413, 40000, ipv6(kNative, kClient, kNoNext, {})));
    CHECK(q.verdict == Verdict::ok);
    CHECK(q.tunnel == TunnelType::teredo);
    CHECK(q.teredo.bubble);
    // TCP and ICMPv6 inside, and the optional headers.
    const PacketInfo r =
        parse(udp4(kRelay, kMapped, 51413, 40000,
                   teredo_origin(51413, kRelay) + ipv6(kNative, kClient, kTcp, tcp(443, 50000, 0x12))));
    CHECK(r.verdict == Verdict::ok);
    CHECK(r.teredo.origin);
    CHECK(r.tcp_flags == 0x12);
    const PacketInfo i = parse(udp4(kMapped, kRelay, 40000, 51413, ipv6(kClient, kNative, kIcmpv6, icmp(128, 0))));
    CHECK(i.tunnel == TunnelType::teredo);
    CHECK(i.icmp_type == 128);
  }
  SECTION("--teredo-detect ports: the same payload off the ports is plain UDP") {
    const PacketInfo p = parse_cfg(udp4(kMapped, kRelay, 40000, 51413, to_native), ports_only());
    CHECK(p.verdict == Verdict::ok);
    check_ipv4_udp(p, kMapped, kRelay, 40000, 51413);
    // The ports still work.
    const PacketInfo q = parse_cfg(udp4(kMapped, kRelay, 40000, 3544, to_native), ports_only());
    CHECK(q.tunnel == TunnelType::teredo);
  }
  SECTION("the qualification procedure's link-local addresses are Teredo ends (RFC 4380 5.2.1)") {
    for (const char* ll : {"fe80::8000:ffff:ffff:fffd", "fe80::ffff:ffff:fffd", "fe80::8000:5445:5245:444f"}) {
      INFO(ll);
      const PacketInfo p =
          parse(udp4(kMapped, kServer, 40000, 51413, ipv6(v6(ll), v6("ff02::2"), kIcmpv6, icmp(133, 0))));
      CHECK(p.verdict == Verdict::ok);
      CHECK(p.tunnel == TunnelType::teredo);
      CHECK_FALSE(p.teredo.has_address);
    }
    // Other link-local addresses are not.
    for (const char* ll : {"fe80::8000:ffff:ffff:fffe", "fe80::1", "fe80::8000:5445:5245:444e",
                           "fe80:0:0:1:8000:ffff:ffff:fffd", "fe81::8000:ffff:ffff:fffd"}) {
      INFO(ll);
      const PacketInfo p =
          parse(udp4(kMapped, kServer, 40000, 51413, ipv6(v6(ll), v6("ff02::2"), kIcmpv6, icmp(133, 0))));
      check_ipv4_udp(p, kMapped, kServer, 40000, 51413);
    }
    CHECK(tunprobe::is_teredo_link_local(v6("fe80::8000:5445:5245:444f").data()));
    CHECK_FALSE(tunprobe::is_teredo_link_local(kClient.data()));
  }
  SECTION("no Teredo end: stays UDP, with no verdict") {
    const Bytes native = ipv6(kNative, v6("2a02:26f0:fd::1"), kUdp, udp(41000, 123, filler(48)));
    PacketInfo p = parse(udp4(kMapped, kRelay, 40000, 51413, native));
    CHECK(p.verdict == Verdict::ok);
    check_ipv4_udp(p, kMapped, kRelay, 40000, 51413);
    // 2001:db8::/32 is documentation, 2001:1::/32 is not Teredo either.
    p = parse(udp4(kMapped, kRelay, 40000, 51413, ipv6(v6("2001:db8::1"), v6("2001:1::1"), kNoNext, {})));
    CHECK(p.verdict == Verdict::ok);
    check_ipv4_udp(p, kMapped, kRelay, 40000, 51413);
  }
  SECTION("an unknown next header: stays UDP") {
    for (uint8_t next : {1, 2, 5, 7, 16, 42, 45, 46, 57, 61, 100, 133, 134, 137, 141, 252, 255}) {
      INFO("next header " << int{next});
      const PacketInfo p = parse(udp4(kMapped, kRelay, 40000, 51413, ipv6(kClient, kNative, next, filler(8))));
      check_ipv4_udp(p, kMapped, kRelay, 40000, 51413);
    }
    for (uint8_t next : {0, 4, 6, 17, 33, 41, 43, 44, 47, 50, 51, 58, 59, 60, 132, 135, 136, 139, 140, 253, 254}) {
      INFO("next header " << int{next});
      const PacketInfo p = parse(udp4(kMapped, kRelay, 40000, 51413, ipv6(kClient, kNative, next, filler(8, 0))));
      CHECK(p.tunnel == TunnelType::teredo);
    }
  }
  SECTION("a payload that fails validation off the ports keeps verdict ok") {
    for (const Bytes& junk : {filler(30, 0x12), Bytes{0x00, 0x01}, Bytes{0x00, 0x00, 0x01}, filler(60, 0x60),
                              ipv6(kClient, kNative, kTcp, tcp(1, 2), V6{.plen = 21}),
                              ipv6(kClient, kNative, kTcp, tcp(1, 2), V6{.plen = 19}),
                              teredo_auth(0, 0) + ipv6(kClient, kNative, kTcp, tcp(1, 2), V6{.plen = 21}),
                              prefix(teredo_auth(8, 8) + ipv6(kClient, kNative, kNoNext, {}), 40)}) {
      const PacketInfo p = parse(udp4(kMapped, kRelay, 40000, 51413, junk));
      CHECK(p.verdict == Verdict::ok);
      check_ipv4_udp(p, kMapped, kRelay, 40000, 51413);
    }
  }
  SECTION("bubbles with a Teredo end are taken, with payload too") {
    PacketInfo p = parse(udp4(kMapped, kRelay, 40000, 51413, ipv6(kClient, kPeer, kNoNext, {})));
    CHECK(p.verdict == Verdict::ok);
    CHECK(p.tunnel == TunnelType::teredo);
    CHECK(p.teredo.bubble);
    p = parse(udp4(kMapped, kRelay, 40000, 51413, ipv6(kClient, kPeer, kNoNext, filler(4))));
    CHECK(p.verdict == Verdict::teredo_bubble_payload);
    CHECK(p.tunnel == TunnelType::teredo);
  }
  SECTION("the IPv6 header cut by the capture off the ports: plain UDP, no verdict") {
    const Bytes frame = udp4(kMapped, kRelay, 40000, 51413, to_native);
    const PacketInfo p = parse(prefix(frame, 14 + 28 + 39));
    CHECK(p.verdict == Verdict::ok);
    check_ipv4_udp(p, kMapped, kRelay, 40000, 51413);
    // 40 bytes of it are enough: the lengths come from the headers.
    const PacketInfo q = parse(prefix(frame, 14 + 28 + 40));
    CHECK(q.verdict == Verdict::l4_truncated);
    CHECK(q.tunnel == TunnelType::teredo);
    CHECK(q.protocol == kUdp);
    CHECK_FALSE(q.has_ports);
    CHECK(q.ip_length == 96);
  }
  SECTION("configured ports replace 3544; either UDP port matches") {
    DecodeConfig cfg;
    REQUIRE(tunprobe::parse_udp_ports(tunprobe::TunnelType::teredo, "3545,51413", cfg).empty());
    // By content 3544 still carries this packet; by ports only it does not.
    PacketInfo p = parse_cfg(udp4(kMapped, kRelay, 40000, 3544, to_native), cfg);
    CHECK(p.tunnel == TunnelType::teredo);
    cfg.detect(tunprobe::TunnelType::teredo) = tunprobe::UdpDetect::ports;
    p = parse_cfg(udp4(kMapped, kRelay, 40000, 3544, to_native), cfg);
    CHECK(p.verdict == Verdict::ok);
    CHECK(p.tunnel == TunnelType::none);
    p = parse_cfg(udp4(kMapped, kRelay, 40000, 51413, to_native), cfg);
    CHECK(p.tunnel == TunnelType::teredo);
    p = parse_cfg(udp4(kRelay, kMapped, 3545, 40000, ipv6(kNative, kClient, kNoNext, {})), cfg);
    CHECK(p.tunnel == TunnelType::teredo);
    CHECK(p.outer_sport == 3545);
    // A false Teredo on a configured port gets the teredo_* verdict.
    p = parse_cfg(udp4(kMapped, kRelay, 40000, 3545, filler(30, 0x12)), cfg);
    CHECK(p.verdict == Verdict::teredo_not_ipv6);
    check_ipv4_udp(p, kMapped, kRelay, 40000, 3545);
    // On a port no Teredo end is needed (the RFC 4380 checks decide).
    p = parse_cfg(udp4(kMapped, kRelay, 40000, 3545, ipv6(kNative, kNative, 200, {})), cfg);
    CHECK(p.tunnel == TunnelType::teredo);
  }
}

TEST_CASE("Teredo client talking to a 6to4 host stays Teredo", "[teredo]") {
  const A6 sixtofour = sixtofour_addr(v4("198.51.100.2"), 1, 1);  // 2002:c633:6402:1::1
  const PacketInfo p = parse(udp4(kMapped, kRelay, 40000, 3544, ipv6(kClient, sixtofour, kTcp, tcp(50000, 80))));
  REQUIRE(p.verdict == Verdict::ok);
  CHECK(p.tunnel == TunnelType::teredo);
  CHECK(s6(p.dst) == "2002:c633:6402:1::1");
  CHECK(p.src_class == AddrClass::teredo);
  CHECK(p.dst_class == AddrClass::sixtofour_linux);
  CHECK(tunprobe::is_6to4_class(p.dst_class));
  CHECK(p.embedded_dst4 == 0);  // embedded/relay are for protocol 41
  CHECK(p.relay4 == 0);
  check_client_address(p.teredo);

  const A6 windows = v6("2002:c000:201::c000:201");
  const PacketInfo q = parse(udp4(kRelay, kMapped, 3544, 40000, ipv6(windows, kClient, kTcp, tcp(80, 50000))));
  CHECK(q.tunnel == TunnelType::teredo);
  CHECK(q.src_class == AddrClass::sixtofour_windows);
  check_client_address(q.teredo);
}

TEST_CASE("a tunnel inside Teredo is counted as nested", "[teredo]") {
  SECTION("Teredo inside Teredo") {
    const Bytes innermost = ipv6(kPeer, kNative, kNoNext, {});
    const Bytes inner = ipv6(kClient, kNative, kUdp, udp(40001, 3544, innermost));
    const PacketInfo p = parse(udp4(kMapped, kRelay, 40000, 3544, inner));
    CHECK(p.verdict == Verdict::tunnel_nested);
    CHECK(p.tunnel == TunnelType::teredo);
    CHECK(p.sport == 40001);
    CHECK(p.dport == 3544);
    check_client_address(p.teredo);
  }
  SECTION("protocol 41 inside Teredo") {
    const PacketInfo p =
        parse(udp4(kMapped, kRelay, 40000, 3544, ipv6(kClient, kNative, kIpv6, ipv6(kNative, kNative, kNoNext, {}))));
    CHECK(p.verdict == Verdict::tunnel_nested);
    CHECK(p.tunnel == TunnelType::teredo);
    CHECK(p.protocol == kIpv6);
  }
  SECTION("IPv4 inside Teredo") {
    const PacketInfo p = parse(
        udp4(kMapped, kRelay, 40000, 3544, ipv6(kClient, kNative, kIpip, ipv4(kMapped, kRelay, kTcp, tcp(1, 2)))));
    CHECK(p.verdict == Verdict::tunnel_nested);
  }
  SECTION("Teredo by content inside a tunnel, on ephemeral ports: the same rule as outside") {
    const Bytes innermost = ipv6(kPeer, kNative, kNoNext, {});
    const Bytes nested = eth(kEtherIpv4, ipv4(kMapped, kRelay, kIpv6,
                                              ipv6(v6("2001:470:1f0a::2"), kNative, kUdp, udp(40001, 51413, innermost))));
    PacketInfo p = parse(nested);
    CHECK(p.verdict == Verdict::tunnel_nested);
    CHECK(p.tunnel == TunnelType::sixinfour);
    p = parse_cfg(nested, ports_only());
    CHECK(p.verdict == Verdict::ok);
    CHECK(p.dport == 51413);
    // No Teredo end inside: just UDP.
    const Bytes plain = eth(kEtherIpv4, ipv4(kMapped, kRelay, kIpv6,
                                             ipv6(v6("2001:470:1f0a::2"), kNative, kUdp,
                                                  udp(40001, 51413, ipv6(kNative, kNative, kNoNext, {})))));
    CHECK(parse(plain).verdict == Verdict::ok);
  }
  SECTION("UDP to port 3544 inside Teredo that is not Teredo is just UDP") {
    const PacketInfo p =
        parse(udp4(kMapped, kRelay, 40000, 3544, ipv6(kClient, kNative, kUdp, udp(40001, 3544, filler(20, 0x12)))));
    CHECK(p.verdict == Verdict::ok);
    CHECK(p.tunnel == TunnelType::teredo);
    CHECK(p.dport == 3544);
  }
}

TEST_CASE("teredo_match on its own", "[teredo]") {
  const Bytes pkt = teredo_auth(2, 3) + teredo_origin(443, v4("10.1.2.3")) + ipv6(kClient, kNative, kUdp, udp(1, 2));
  tunprobe::TeredoInfo t;
  const auto match = [&](std::size_t avail, std::size_t declared, bool on_port) {
    t = tunprobe::TeredoInfo{};
    return tunprobe::teredo_match(pkt.data(), avail, declared, on_port, t);
  };
  const tunprobe::TeredoMatch m = match(pkt.size(), pkt.size(), true);
  CHECK(m.teredo);
  CHECK(m.verdict == Verdict::ok);
  CHECK(m.inner_offset == 18 + 8);
  CHECK(t.auth);
  CHECK(t.origin);
  CHECK(t.origin_port == 443);
  CHECK(s4(t.origin_ipv4) == "10.1.2.3");
  CHECK_FALSE(t.has_address);  // the caller decodes the address
  CHECK(t.trailers == 0);
  // Off the ports, the same verdicts are silent.
  CHECK(match(pkt.size(), pkt.size(), false).teredo);
  // Fewer bytes readable than declared: the declared length still has to fit.
  CHECK(match(26 + 40, pkt.size(), true).teredo);
  CHECK(match(26 + 39, pkt.size(), true).verdict == Verdict::teredo_truncated);
  CHECK_FALSE(match(26 + 39, pkt.size(), true).teredo);
  CHECK(match(26 + 39, pkt.size(), false).verdict == Verdict::ok);
  CHECK(match(pkt.size(), pkt.size() - 1, true).verdict == Verdict::teredo_length_mismatch);
  CHECK(match(pkt.size(), 26 + 39, true).verdict == Verdict::teredo_not_ipv6);
  CHECK(match(pkt.size(), 20, true).verdict == Verdict::teredo_origin_truncated);
  CHECK(match(pkt.size(), 17, true).verdict == Verdict::teredo_auth_truncated);
  CHECK(match(pkt.size(), 17, false).verdict == Verdict::ok);
  // One more declared byte: a trailer byte that is no trailer, taken (the
  // content says Teredo: a known next header, a Teredo end).
  const tunprobe::TeredoMatch u = match(pkt.size(), pkt.size() + 1, true);
  CHECK(u.teredo);
  CHECK(t.trailers == tunprobe::kTeredoTrailerUnparsed);
  CHECK_FALSE(match(pkt.size(), pkt.size() + 1, false).teredo);
}

TEST_CASE("Teredo with authentication and origin cut at every byte", "[teredo][truncation]") {
  // Server to client; IPv4 with one option word; auth with a 4-byte id and
  // an 8-byte value (25 bytes); origin (8); IPv6; TCP; 8 bytes of data.
  const Bytes inner = ipv6(kNative, kClient, kTcp, tcp(443, 50000, 0x12, filler(8)));
  const Bytes payload = teredo_auth(4, 8) + teredo_origin(40000, kMapped) + inner;
  const Bytes f =
      eth(kEtherIpv4, ipv4(kServer, kMapped, kUdp, udp(3544, 40000, payload), V4{.options = {0x01, 0x01, 0x01, 0x00}}));
  constexpr std::size_t kIp = 14, kUdpH = kIp + 24, kAuth = kUdpH + 8, kOrigin = kAuth + 25, kInner = kOrigin + 8,
                        kL4 = kInner + 40, kData = kL4 + 20;
  REQUIRE(f.size() == kData + 8);

  const auto udp_flow = [](const PacketInfo& p) { check_ipv4_udp(p, kServer, kMapped, 3544, 40000); };
  const auto teredo = [](const PacketInfo& p) {
    CHECK(p.tunnel == TunnelType::teredo);
    CHECK(s4(p.outer_src4) == "65.54.227.120");
    CHECK(s4(p.outer_dst4) == "192.0.2.45");
    CHECK(p.outer_sport == 3544);
    CHECK(p.outer_dport == 40000);
    CHECK(p.outer_length == 24 + 8 + 25 + 8 + 40 + 28);  // from the header, not the cut
    check_client_address(p.teredo);
    CHECK(p.teredo.auth);
    CHECK(p.teredo.origin);
    CHECK(p.teredo.origin_port == 40000);
    CHECK(s4(p.teredo.origin_ipv4) == "192.0.2.45");
    CHECK_FALSE(p.teredo.bubble);
    CHECK(p.ip_version == 6);
    CHECK(p.ip_length == 68);
    CHECK(s6(p.src) == "2a00:1450:4001:81b::200e");
    CHECK(s6(p.dst) == "2001:0:4136:e378:8000:63bf:3fff:fdd2");
    CHECK(p.src_class == AddrClass::low);
    CHECK(p.dst_class == AddrClass::teredo);
  };
  // Whatever the capture keeps of a valid IP header is a flow: an IPv4 UDP
  // flow while the Teredo headers or the inner IPv6 header are cut, a
  // Teredo flow once the inner IPv6 header is whole.
  check_every_cut(f, {
                         {kIp, Verdict::frame_truncated},
                         {kUdpH, Verdict::ipv4_truncated},  // fixed header and the option word
                         {kUdpH + 4, Verdict::l4_truncated,
                          [](const PacketInfo& p) {
                            CHECK(p.ip_version == 4);
                            CHECK(p.protocol == kUdp);
                            CHECK(p.ip_length == 24 + 8 + 25 + 8 + 40 + 28);
                            CHECK(p.tunnel == TunnelType::none);
                            CHECK_FALSE(p.has_ports);
                          }},
                         {kAuth, Verdict::l4_truncated,
                          [](const PacketInfo& p) {
                            CHECK(p.tunnel == TunnelType::none);
                            CHECK(p.has_ports);
                            CHECK(p.sport == 3544);
                            CHECK(p.dport == 40000);
                          }},
                         // 0 or 1 byte of the 0x0001 indicator: cut before anything can be told.
                         {kAuth + 2, Verdict::teredo_truncated, udp_flow},
                         {kOrigin, Verdict::teredo_auth_truncated, udp_flow},
                         // Likewise 0 or 1 byte of the 0x0000 indicator.
                         {kOrigin + 2, Verdict::teredo_truncated, udp_flow},
                         {kInner, Verdict::teredo_origin_truncated, udp_flow},
                         {kL4, Verdict::teredo_truncated, udp_flow},  // inner IPv6 header
                         {kL4 + 4, Verdict::l4_truncated,
                          [&](const PacketInfo& p) {
                            teredo(p);
                            CHECK(p.protocol == kTcp);
                            CHECK_FALSE(p.has_ports);
                            CHECK_FALSE(p.has_tcp_flags);
                          }},
                         {kL4 + 14, Verdict::l4_truncated,
                          [&](const PacketInfo& p) {
                            teredo(p);
                            CHECK(p.has_ports);
                            CHECK(p.sport == 443);
                            CHECK(p.dport == 50000);
                            CHECK_FALSE(p.has_tcp_flags);
                            CHECK(p.tcp_flags == 0);
                          }},
                         {kData, Verdict::l4_truncated,
                          [&](const PacketInfo& p) {
                            teredo(p);
                            CHECK(p.sport == 443);
                            CHECK(p.has_tcp_flags);
                            CHECK(p.tcp_flags == 0x12);
                          }},
                         {f.size(), Verdict::ok,
                          [&](const PacketInfo& p) {
                            teredo(p);
                            CHECK(p.has_ports);
                            CHECK(p.sport == 443);
                            CHECK(p.dport == 50000);
                            CHECK(p.tcp_flags == 0x12);
                          }},
                     });
  // The verdicts of every cut are flow verdicts.
  for (std::size_t n = kUdpH; n < f.size(); ++n) CHECK_FALSE(tunprobe::verdict_is_drop(parse(prefix(f, n)).verdict));
}

TEST_CASE("Teredo bubble over VLAN cut at every byte", "[teredo][truncation]") {
  const Bytes f = eth_vlan({{kEtherVlan, 10}}, kEtherIpv4,
                           ipv4(kMapped, kRelay, kUdp, udp(40000, 3544, ipv6(kClient, kPeer, kNoNext, {}))));
  REQUIRE(f.size() == 18 + 20 + 8 + 40);
  const auto udp_flow = [](const PacketInfo& p) { check_ipv4_udp(p, kMapped, kRelay, 40000, 3544); };
  check_every_cut(f, {
                         {14, Verdict::frame_truncated},
                         {18, Verdict::vlan_truncated},
                         {38, Verdict::ipv4_truncated},
                         {42, Verdict::l4_truncated, [](const PacketInfo& p) { CHECK_FALSE(p.has_ports); }},
                         {46, Verdict::l4_truncated, udp_flow},
                         {86, Verdict::teredo_truncated, udp_flow},
                     });
  const PacketInfo p = parse(f);
  CHECK(p.verdict == Verdict::ok);
  CHECK(p.teredo.bubble);
  CHECK(p.vlan_outer == 10);
}
