// Decoder options: --teredo-ports and --6rd-prefix parsing, with the exact
// messages a user sees for bad input.
#include <cstring>
#include <string>

#include "plugins/sixrd.hpp"
#include "probe/decode_config.hpp"
#include "support.hpp"

using tunprobe::DecodeConfig;
using tunprobe::parse_sixrd_prefix;
using tunprobe::parse_teredo_ports;
using tunprobe::SixrdPrefix;

TEST_CASE("DecodeConfig defaults", "[config]") {
  const DecodeConfig cfg;
  CHECK(cfg.teredo_port_count == 1);
  CHECK(cfg.teredo_ports[0] == 3544);
  CHECK(cfg.is_teredo_port(3544));
  CHECK_FALSE(cfg.is_teredo_port(3545));
  CHECK_FALSE(cfg.is_teredo_port(0));  // the unused slots are zero
  CHECK_FALSE(cfg.teredo_heuristic);
  CHECK(cfg.sixrd_count == 0);
}

TEST_CASE("parse_teredo_ports accepts port lists", "[config]") {
  DecodeConfig cfg;
  SECTION("one port") {
    CHECK(parse_teredo_ports("3545", cfg) == "");
    CHECK(cfg.teredo_port_count == 1);
    CHECK(cfg.teredo_ports[0] == 3545);
    CHECK(cfg.is_teredo_port(3545));
    CHECK_FALSE(cfg.is_teredo_port(3544));
  }
  SECTION("several, in order, with the extremes") {
    CHECK(parse_teredo_ports("3544,1,65535", cfg) == "");
    CHECK(cfg.teredo_port_count == 3);
    CHECK(cfg.teredo_ports[0] == 3544);
    CHECK(cfg.teredo_ports[1] == 1);
    CHECK(cfg.teredo_ports[2] == 65535);
    CHECK(cfg.is_teredo_port(1));
    CHECK(cfg.is_teredo_port(65535));
  }
  SECTION("eight ports is the limit") {
    CHECK(parse_teredo_ports("1,2,3,4,5,6,7,8", cfg) == "");
    CHECK(cfg.teredo_port_count == 8);
    CHECK(cfg.is_teredo_port(8));
  }
  SECTION("a second call replaces the first set") {
    REQUIRE(parse_teredo_ports("1,2,3", cfg) == "");
    REQUIRE(parse_teredo_ports("4", cfg) == "");
    CHECK(cfg.teredo_port_count == 1);
    CHECK(cfg.is_teredo_port(4));
    CHECK_FALSE(cfg.is_teredo_port(2));
  }
}

TEST_CASE("parse_teredo_ports rejects bad input with a message", "[config]") {
  const auto err = [](const char* text) {
    DecodeConfig cfg;
    return parse_teredo_ports(text, cfg);
  };
  CHECK(err("") == "--teredo-ports: give at least one port (1..65535)");
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

TEST_CASE("parse_sixrd_prefix accepts PREFIX/LENGTH", "[config]") {
  SixrdPrefix p;
  SECTION("2001:db8::/32") {
    CHECK(parse_sixrd_prefix("2001:db8::/32", p) == "");
    CHECK(p.length == 32);
    CHECK(tb::s6(p.prefix) == "2001:db8::");
  }
  SECTION("unaligned length") {
    CHECK(parse_sixrd_prefix("2a01:e30::/28", p) == "");
    CHECK(p.length == 28);
    const uint8_t expected[16] = {0x2a, 0x01, 0x0e, 0x30};
    CHECK(std::memcmp(p.prefix, expected, 16) == 0);
  }
  SECTION("the extremes 1 and 96") {
    CHECK(parse_sixrd_prefix("8000::/1", p) == "");
    CHECK(p.length == 1);
    CHECK(parse_sixrd_prefix("2001:db8:1:2:3:4::/96", p) == "");
    CHECK(p.length == 96);
    CHECK(tb::s6(p.prefix) == "2001:db8:1:2:3:4::");
  }
  SECTION("bits after the length are kept but do not matter") {
    CHECK(parse_sixrd_prefix("2001:db8:ffff::/32", p) == "");
    uint32_t embedded = 0;
    CHECK(tunprobe::sixrd_in_prefix(tb::v6("2001:db8:c000:201::1").data(), p, embedded));
    CHECK(tb::s4(embedded) == "192.0.2.1");
  }
  SECTION("IPv4-mapped notation is an IPv6 address") {
    CHECK(parse_sixrd_prefix("::ffff:192.0.2.0/96", p) == "");
    CHECK(p.prefix[10] == 0xff);
    CHECK(p.prefix[12] == 192);
  }
}

TEST_CASE("parse_sixrd_prefix rejects bad input with a message", "[config]") {
  const auto err = [](const char* text) {
    SixrdPrefix p;
    return parse_sixrd_prefix(text, p);
  };
  CHECK(err("2001:db8::") == "--6rd-prefix '2001:db8::': expected PREFIX/LENGTH, e.g. 2001:db8::/32");
  CHECK(err("") == "--6rd-prefix '': expected PREFIX/LENGTH, e.g. 2001:db8::/32");
  const char* kLength = "': length must be 1..96 bits (the IPv4 address follows the prefix)";
  for (const char* bad :
       {"2001:db8::/0", "2001:db8::/97", "2001:db8::/128", "2001:db8::/", "2001:db8::/-1", "2001:db8::/+32",
        "2001:db8::/32 ", "2001:db8::/ 32", "2001:db8::/x", "2001:db8::/32/1", "2001:db8::/4294967328", "zzz/0"}) {
    INFO(bad);
    CHECK(err(bad) == std::string("--6rd-prefix '") + bad + kLength);
  }
  CHECK(err("zzz/32") == "--6rd-prefix 'zzz/32': 'zzz' is not an IPv6 address");
  CHECK(err("192.0.2.0/24") == "--6rd-prefix '192.0.2.0/24': '192.0.2.0' is not an IPv6 address");
  CHECK(err("/32") == "--6rd-prefix '/32': '' is not an IPv6 address");
  CHECK(err("2001:db8:::/32") == "--6rd-prefix '2001:db8:::/32': '2001:db8:::' is not an IPv6 address");
  CHECK(err("2001:db8::1%eth0/64") == "--6rd-prefix '2001:db8::1%eth0/64': '2001:db8::1%eth0' is not an IPv6 address");
}

TEST_CASE("a failed parse_sixrd_prefix leaves the prefix alone", "[config]") {
  SixrdPrefix p;
  REQUIRE(parse_sixrd_prefix("2001:db8::/32", p) == "");
  CHECK_FALSE(parse_sixrd_prefix("2001:db8::/0", p).empty());
  CHECK_FALSE(parse_sixrd_prefix("zzz/40", p).empty());
  CHECK(p.length == 32);
  CHECK(tb::s6(p.prefix) == "2001:db8::");
}
