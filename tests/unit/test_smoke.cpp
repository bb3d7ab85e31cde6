#include <catch2/catch.hpp>

#include "probe/decode/parse.hpp"

TEST_CASE("smoke", "[smoke]") {
  tunprobe::PacketInfo p;
  const uint8_t b[1] = {0};
  tunprobe::parse_frame(b, 1, tunprobe::LinkType::ethernet, {}, p);
  REQUIRE(p.verdict == tunprobe::Verdict::frame_truncated);
}
