// Decoder options: --teredo-ports and --6rd-prefix parsing, with the exact
// messages a user sees for bad input.
#include <cstring>
#include <string>

#include "plugins/sixrd.hpp"
#include "probe/decode/decode_config.hpp"
#include "support.hpp"

using tunprobe::DecodeConfig;
using tunprobe::parse_sixrd_prefix;
using tunprobe::TunnelType;

std::string parse_teredo_ports(std::string_view text, tunprobe::DecodeConfig& cfg) {
  return tunprobe::parse_udp_ports(TunnelType::teredo, text, cfg);
}
using tunprobe::SixrdPrefix;

TEST_CASE("DecodeConfig defaults", "[config]") {
  const DecodeConfig cfg;
  CHECK(cfg.ports(TunnelType::teredo).count == 1);
  CHECK(cfg.ports(TunnelType::teredo).port[0] == 3544);
  CHECK(cfg.is_port(TunnelType::teredo, 3544));
  CHECK_FALSE(cfg.is_port(TunnelType::teredo, 3545));
  CHECK_FALSE(cfg.is_port(TunnelType::teredo, 0));  // the unused slots are zero
  CHECK(cfg.detect(tunprobe::TunnelType::teredo) == tunprobe::UdpDetect::content);
  CHECK(cfg.sixrd_count == 0);
}

TEST_CASE("parse_teredo_ports accepts port lists", "[config]") {
  DecodeConfig cfg;
  SECTION("one port") {
    CHECK(parse_teredo_ports("3545", cfg) == "");
    CHECK(cfg.ports(TunnelType::teredo).count == 1);
    CHECK(cfg.ports(TunnelType::teredo).port[0] == 3545);
    CHECK(cfg.is_port(TunnelType::teredo, 3545));
    CHECK_FALSE(cfg.is_port(TunnelType::teredo, 3544));
  }
  SECTION("several, in order, with the extremes") {
    CHECK(parse_teredo_ports("3544,1,65535", cfg) == "");
    CHECK(cfg.ports(TunnelType::teredo).count == 3);
    CHECK(cfg.ports(TunnelType::teredo).port[0] == 3544);
    CHECK(cfg.ports(TunnelType::teredo).port[1] == 1);
    CHECK(cfg.ports(TunnelType::teredo).port[2] == 65535);
    CHECK(cfg.is_port(TunnelType::teredo, 1));
    CHECK(cfg.is_port(TunnelType::teredo, 65535));
  }
  SECTION("eight ports is the limit") {
    CHECK(parse_teredo_ports("1,2,3,4,5,6,7,8", cfg) == "");
    CHECK(cfg.ports(TunnelType::teredo).count == 8);
    CHECK(cfg.is_port(TunnelType::teredo, 8));
  }
  SECTION("a second call replaces the first set") {
    REQUIRE(parse_teredo_ports("1,2,3", cfg) == "");
    REQUIRE(parse_teredo_ports("4", cfg) == "");
    CHECK(cfg.ports(TunnelType::teredo).count == 1);
    CHECK(cfg.is_port(TunnelType::teredo, 4));
    CHECK_FALSE(cfg.is_port(TunnelType::teredo, 2));
  }
}

TEST_CASE("parse_teredo_ports rejects bad input with a message", "[config]") {
  const auto err = [](const char* text) {
    DecodeConfig cfg;
    return parse_teredo_ports(text, cfg);
  };
  CHECK(err("") == "--teredo-ports: give at least one port (1..65535), or 'none'");
  CHECK(err("none").empty());
  CHECK(err("0") == "--teredo-ports: '0' is not a port (1..65535)");
  CHECK(err("65536") == "--teredo-ports: '65536' is not a port (1..65535)");
  CHECK(err("99999999999999999999") == "--teredo-ports: '99999999999999999999' is not a port (1..65535)");
  CHECK(err("-1") == "--teredo-ports: '-1' is not a port (1..65535)");
  CHECK(err("+3544") == "--teredo-ports: '+3544' is not a port (1..65535)");
  CHECK(err("teredo") == "--teredo-ports: 'teredo' is not a port (1..65535)");
  CHECK(err("0xdd8") == "--teredo-ports: '0xdd8' is not a port (1..65535)");
  CHECK(err("3544 ") == "--teredo-ports: '3544 ' is not a port (1..65535)");
  CHECK(err(" 3544") == "--teredo-ports: ' 3544' is not a port (1..65535)");
  CHECK(err("3544;3545") == "--teredo-ports: '3544;3545' is not a port (1..65535)");
  CHECK(err("3544,,3545") == "--teredo-ports: '' is not a port (1..65535)");
  CHECK(err(",3544") == "--teredo-ports: '' is not a port (1..65535)");
  CHECK(err(",") == "--teredo-ports: '' is not a port (1..65535)");
  CHECK(err("3544,3545,abc") == "--teredo-ports: 'abc' is not a port (1..65535)");
  CHECK(err("1,2,3,4,5,6,7,8,9") == "--teredo-ports: at most 8 ports");
  // The bad item is named before the count is.
  CHECK(err("1,2,3,4,5,6,7,8,x") == "--teredo-ports: 'x' is not a port (1..65535)");
}

TEST_CASE("parse_teredo_detect", "[config]") {
  DecodeConfig cfg;
  CHECK(tunprobe::parse_udp_detect(tunprobe::TunnelType::teredo, "ports", cfg) == "");
  CHECK(cfg.detect(tunprobe::TunnelType::teredo) == tunprobe::UdpDetect::ports);
  CHECK(tunprobe::parse_udp_detect(tunprobe::TunnelType::teredo, "content", cfg) == "");
  CHECK(cfg.detect(tunprobe::TunnelType::teredo) == tunprobe::UdpDetect::content);
  for (const char* bad : {"", "heuristic", "Content", "port", "content "}) {
    INFO(bad);
    CHECK(tunprobe::parse_udp_detect(tunprobe::TunnelType::teredo, bad, cfg) ==
          std::string("--teredo-detect: '") + bad + "' is not a detection mode (content or ports)");
  }
}

TEST_CASE("parse_sixrd_prefix accepts PREFIX/LENGTH[@V4PREFIX/MASKLEN]", "[config]") {
  SixrdPrefix p;
  SECTION("2001:db8::/32") {
    CHECK(parse_sixrd_prefix("2001:db8::/32", p) == "");
    CHECK(p.length == 32);
    CHECK(p.ipv4_mask_len == 0);
    CHECK(p.ipv4_prefix == 0);
    CHECK(tb::s6(p.prefix) == "2001:db8::");
  }
  SECTION("unaligned length") {
    CHECK(parse_sixrd_prefix("2a01:e30::/28", p) == "");
    CHECK(p.length == 28);
    const uint8_t expected[16] = {0x2a, 0x01, 0x0e, 0x30};
    CHECK(std::memcmp(p.prefix, expected, 16) == 0);
  }
  SECTION("the extremes: /1, and /32 with IPv4MaskLen 0 (a /64 delegated)") {
    CHECK(parse_sixrd_prefix("8000::/1", p) == "");
    CHECK(p.length == 1);
    CHECK(parse_sixrd_prefix("2001:db8:1:2::/32", p) == "");
    CHECK(p.length == 32);
  }
  SECTION("a common IPv4 prefix (RFC 5969 section 4 IPv4MaskLen)") {
    CHECK(parse_sixrd_prefix("2001:db8::/24@10.0.0.0/8", p) == "");
    CHECK(p.length == 24);
    CHECK(p.ipv4_mask_len == 8);
    CHECK(tb::s4(p.ipv4_prefix) == "10.0.0.0");
    CHECK(parse_sixrd_prefix("2001:db8::/48@192.0.2.0/24", p) == "");
    CHECK(p.length == 48);
    CHECK(p.ipv4_mask_len == 24);
    CHECK(tb::s4(p.ipv4_prefix) == "192.0.2.0");
    // /0 is the plain form; /32 leaves nothing to embed (one CE address).
    CHECK(parse_sixrd_prefix("2001:db8::/32@0.0.0.0/0", p) == "");
    CHECK(p.ipv4_mask_len == 0);
    CHECK(parse_sixrd_prefix("2001:db8::/64@192.0.2.1/32", p) == "");
    CHECK(p.ipv4_mask_len == 32);
    CHECK(tb::s4(p.ipv4_prefix) == "192.0.2.1");
  }
  SECTION("bits after the length are kept but do not matter") {
    CHECK(parse_sixrd_prefix("2001:db8:ffff::/32", p) == "");
    uint32_t embedded = 0;
    CHECK(tunprobe::sixrd_in_prefix(tb::v6("2001:db8:c000:201::1").data(), p, embedded));
    CHECK(tb::s4(embedded) == "192.0.2.1");
  }
  SECTION("IPv4-mapped notation is an IPv6 address") {
    CHECK(parse_sixrd_prefix("::ffff:192.0.2.0/32", p) == "");
    CHECK(p.prefix[10] == 0xff);
    CHECK(p.prefix[12] == 192);
  }
}

TEST_CASE("parse_sixrd_prefix rejects bad input with a message", "[config]") {
  const auto err = [](const char* text) {
    SixrdPrefix p;
    return parse_sixrd_prefix(text, p);
  };
  const char* kForm = "': expected PREFIX/LENGTH[@IPV4PREFIX/MASKLENGTH], e.g. 2001:db8::/32 or 2001:db8::/24@10.0.0.0/8";
  CHECK(err("2001:db8::") == std::string("--6rd-prefix '2001:db8::") + kForm);
  CHECK(err("") == std::string("--6rd-prefix '") + kForm);
  CHECK(err("2001:db8::@10.0.0.0/8") == std::string("--6rd-prefix '2001:db8::@10.0.0.0/8") + kForm);
  const char* kLength = "': prefix length must be 1..64 bits";
  for (const char* bad :
       {"2001:db8::/0", "2001:db8::/65", "2001:db8::/128", "2001:db8::/", "2001:db8::/-1", "2001:db8::/+32",
        "2001:db8::/32 ", "2001:db8::/ 32", "2001:db8::/x", "2001:db8::/32/1", "2001:db8::/4294967328", "zzz/0",
        "2001:db8::/0@10.0.0.0/8"}) {
    INFO(bad);
    CHECK(err(bad) == std::string("--6rd-prefix '") + bad + kLength);
  }
  CHECK(err("zzz/32") == "--6rd-prefix 'zzz/32': 'zzz' is not an IPv6 address");
  CHECK(err("192.0.2.0/24") == "--6rd-prefix '192.0.2.0/24': '192.0.2.0' is not an IPv6 address");
  CHECK(err("/32") == "--6rd-prefix '/32': '' is not an IPv6 address");
  CHECK(err("2001:db8:::/32") == "--6rd-prefix '2001:db8:::/32': '2001:db8:::' is not an IPv6 address");
  CHECK(err("2001:db8::1%eth0/32") == "--6rd-prefix '2001:db8::1%eth0/32': '2001:db8::1%eth0' is not an IPv6 address");
  // The IPv4 part.
  CHECK(err("2001:db8::/24@10.0.0.0") ==
        "--6rd-prefix '2001:db8::/24@10.0.0.0': expected IPV4PREFIX/MASKLENGTH after '@', e.g. 10.0.0.0/8");
  for (const char* bad : {"2001:db8::/24@10.0.0.0/33", "2001:db8::/24@10.0.0.0/", "2001:db8::/24@10.0.0.0/x",
                          "2001:db8::/24@10.0.0.0/-8", "2001:db8::/24@10.0.0.0/8 "}) {
    INFO(bad);
    CHECK(err(bad) == std::string("--6rd-prefix '") + bad + "': IPv4 mask length must be 0..32 bits");
  }
  CHECK(err("2001:db8::/24@10.0.0/8") == "--6rd-prefix '2001:db8::/24@10.0.0/8': '10.0.0' is not an IPv4 address");
  CHECK(err("2001:db8::/24@2001::/8") == "--6rd-prefix '2001:db8::/24@2001::/8': '2001::' is not an IPv4 address");
  CHECK(err("2001:db8::/24@10.1.0.0/8") ==
        "--6rd-prefix '2001:db8::/24@10.1.0.0/8': 10.1.0.0/8 has address bits set beyond its mask length");
  // RFC 5969 section 4: 6rdPrefixLen + 32 - IPv4MaskLen <= 64.
  CHECK(err("2001:db8::/33") ==
        "--6rd-prefix '2001:db8::/33': prefix length 33 + 32 - IPv4 mask length 0 = 65; the delegated prefix must "
        "be at most 64 bits (RFC 5969 section 4)");
  CHECK(err("2001:db8::/48@10.0.0.0/8") ==
        "--6rd-prefix '2001:db8::/48@10.0.0.0/8': prefix length 48 + 32 - IPv4 mask length 8 = 72; the delegated "
        "prefix must be at most 64 bits (RFC 5969 section 4)");
  CHECK(err("2001:db8::/40@10.0.0.0/8") == "");
}

TEST_CASE("a failed parse_sixrd_prefix leaves the prefix alone", "[config]") {
  SixrdPrefix p;
  REQUIRE(parse_sixrd_prefix("2001:db8::/32", p) == "");
  CHECK_FALSE(parse_sixrd_prefix("2001:db8::/0", p).empty());
  CHECK_FALSE(parse_sixrd_prefix("zzz/40", p).empty());
  CHECK_FALSE(parse_sixrd_prefix("2001:db9::/24@10.1.0.0/8", p).empty());
  CHECK_FALSE(parse_sixrd_prefix("2001:db9::/48@10.0.0.0/8", p).empty());
  CHECK(p.length == 32);
  CHECK(p.ipv4_mask_len == 0);
  CHECK(tb::s6(p.prefix) == "2001:db8::");
}
