#include <catch2/catch.hpp>

#include "probe/base/json_writer.hpp"
#include "probe/decode/parse.hpp"

TEST_CASE("smoke", "[smoke]") {
  tunprobe::PacketInfo p;
  const uint8_t b[1] = {0};
  tunprobe::parse_frame(b, 1, tunprobe::LinkType::ethernet, {}, p);
  REQUIRE(p.verdict == tunprobe::Verdict::frame_truncated);
}

TEST_CASE("JSON strings are escaped when they need it (RFC 8259 section 7)", "[smoke]") {
  std::string out;
  {
    tunprobe::JsonObject o(out);
    o.str("plain", "192.0.2.1");
    o.str("path", "/cap/a \"b\"\\c\n\x01.pcap");
  }
  CHECK(out == R"({"plain":"192.0.2.1","path":"/cap/a \"b\"\\c\u000a\u0001.pcap"})");
}
