// IPv6 address classes (probe/decode/addr_class.hpp): a vector for every class,
// the rule order's edge cases, the privacy band's boundaries, and the
// name/value table.
#include <iterator>
#include <set>
#include <utility>

#include "probe/decode/addr_class.hpp"
#include "support.hpp"

using namespace tb;
using tunprobe::addr_class_from_name;
using tunprobe::addr_class_name;
using tunprobe::classify_ipv6;
using tunprobe::kAddrClassNames;

namespace {

AddrClass cls(const char* text) { return classify_ipv6(v6(text).data()); }
AddrClass cls(uint64_t hi, uint64_t iid) { return classify_ipv6(make6(hi, iid).data()); }

constexpr uint64_t kGlobal = 0x2a0014504001081b;  // 2a00:1450:4001:81b::/64

struct Vector {
  const char* address;
  AddrClass expected;
  const char* why;
};

const Vector kVectors[] = {
    // 1. Special ranges.
    {"::", AddrClass::unspecified, ""},
    {"::1", AddrClass::loopback, ""},
    {"::ffff:1.2.3.4", AddrClass::ipv4_mapped, ""},
    {"::ffff:0:0", AddrClass::ipv4_mapped, "the /96 itself"},
    {"::ffff:255.255.255.255", AddrClass::ipv4_mapped, ""},
    {"ff02::1", AddrClass::multicast, ""},
    {"ff05::1:3", AddrClass::multicast, ""},
    {"ff02::1:ff33:4455", AddrClass::multicast, "solicited-node"},
    {"fe80::1", AddrClass::link_local, ""},
    {"fe80::211:22ff:fe33:4455", AddrClass::link_local, "EUI-64 under fe80::/10"},
    {"fe80::5efe:c0a8:102", AddrClass::link_local, "ISATAP under fe80::/10"},
    {"febf:ffff::1", AddrClass::link_local, "top of fe80::/10"},
    {"fd00::1", AddrClass::ula, ""},
    {"fc00::1", AddrClass::ula, ""},
    {"fdff:ffff:ffff:ffff:211:22ff:fe33:4455", AddrClass::ula, "EUI-64 under fc00::/7"},
    {"2001:db8::1", AddrClass::documentation, ""},
    {"2001:db8::5efe:c0a8:102", AddrClass::documentation, "documentation before ISATAP"},
    {"2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", AddrClass::documentation, ""},
    {"2001:0:4136:e378:8000:63bf:3fff:fdd2", AddrClass::teredo, "RFC 4380 example"},
    {"2001::", AddrClass::teredo, ""},
    {"2001:0:ffff:ffff:0:5efe:c0a8:102", AddrClass::teredo, "Teredo before ISATAP"},
    // 2. ISATAP.
    {"2a01:e35:1:2:0:5efe:c0a8:102", AddrClass::isatap, "private"},
    {"2a01:e35:1:2:200:5efe:c633:6402", AddrClass::isatap, "global"},
    {"2a01:e35:1:2:300:5efe:c633:6402", AddrClass::isatap, "group bit set"},
    {"2002:c000:201:1:0:5efe:c0a8:102", AddrClass::isatap, "ISATAP under 2002::/16"},
    {"2002:c000:201:1:0:5efe:c000:201", AddrClass::isatap, "ISATAP even when it also looks 6to4-windows"},
    // 3. 6to4.
    {"2002:c000:0201::c000:0201", AddrClass::sixtofour_windows, "2002:V4::V4"},
    {"2002:c000:201:5::c000:201", AddrClass::sixtofour_windows, "the subnet id is the site's"},
    {"2002:c000:201:5:ffff:ffff:c000:201", AddrClass::sixtofour_privacy, "high 32 id bits set: not Windows"},
    {"2002:c000:201:5:0:1:c000:201", AddrClass::sixtofour_other, "2002:V4::1:V4 is not Windows either"},
    {"2002:c000:201::c000:202", AddrClass::sixtofour_other, "another IPv4 in the id"},
    {"2002:c000:201::1", AddrClass::sixtofour_linux, ""},
    {"2002:c000:201:1:211:22ff:fe33:4455", AddrClass::sixtofour_eui64, ""},
    {"2002:c000:201:1:5c3a:9f1e:6b2d:4870", AddrClass::sixtofour_privacy, "u-bit 0, 32 ones"},
    {"2002:c000:201:1:5e3a:9f1e:6b2d:4870", AddrClass::sixtofour_privacy, "u-bit 1 (RFC 8981 raw random bits)"},
    {"2002:c000:201::2", AddrClass::sixtofour_other, ""},
    {"2002:c000:201:1:1:2:3:4", AddrClass::sixtofour_other, ""},
    // 4-8. Interface ids of other global addresses.
    {"2a00:1450:4001:81b:211:22ff:fe33:4455", AddrClass::eui64, ""},
    {"2a00:1450:4001:81b:0:ff:fe00:0", AddrClass::eui64, "ff:fe decides, not the rest"},
    {"2a00:1450:4001:81b:5c3a:9fff:fe2d:4870", AddrClass::eui64, "EUI-64 before privacy"},
    {"2a00:1450:4001:81b::1", AddrClass::low, ""},
    {"2a00:1450:4001:81b::ffff", AddrClass::low, ""},
    {"::2", AddrClass::low, "not loopback"},
    {"::ffff", AddrClass::low, "not ipv4-mapped: that is ::ffff:0:0/96"},
    {"2a00:1450:4001:81b::c000:201", AddrClass::embedded_ipv4, ""},
    {"::c000:0201", AddrClass::embedded_ipv4, "IPv4-compatible"},
    {"2a00:1450:4001:81b::1:0", AddrClass::embedded_ipv4, "0.1.0.0, just above 0.0.255.255"},
    {"2a00:1450:4001:81b:5c3a:9f1e:6b2d:4870", AddrClass::privacy, "u-bit 0, 32 ones"},
    {"2a00:1450:4001:81b:5e3a:9f1e:6b2d:4870", AddrClass::privacy, "u-bit 1: RFC 8981 and RFC 7136 give it no meaning"},
    {"2a00:1450:4001:81b:ae1f:3c92:77d0:1b6e", AddrClass::privacy, "a Linux temporary address, u-bit 1"},
    {"2a00:1450:4001:81b:1:2:3:4", AddrClass::other, "structured"},
    {"2a00:1450:4001:81b::", AddrClass::other, "zero interface id"},
    {"fec0::1", AddrClass::low, "deprecated site-local is not link-local"},
    {"fe00::1", AddrClass::low, "below fe80::/10"},
};

}  // namespace

TEST_CASE("every address class has vectors", "[addrclass]") {
  std::set<AddrClass> seen;
  for (const Vector& v : kVectors) {
    INFO(v.address << " " << v.why);
    CHECK(cls(v.address) == v.expected);
    seen.insert(v.expected);
  }
  for (std::size_t i = 1; i < kAddrClassNames.size(); ++i) {
    INFO("no vector for " << kAddrClassNames[i]);
    CHECK(seen.count(static_cast<AddrClass>(i)) == 1);
  }
  CHECK(seen.count(AddrClass::none) == 0);  // none is for IPv4 packets only
}

TEST_CASE("privacy: the 20..44 ones band, whatever the universal/local bit", "[addrclass]") {
  // Upper 32 bits of the id non-zero, no ff:fe in the middle.
  CHECK(__builtin_popcountll(0xf0f0f0f00f000000) == 20);
  CHECK(cls(kGlobal, 0xf0f0f0f00f000000) == AddrClass::privacy);
  CHECK(cls(kGlobal, 0xf0f0f0f00e000000) == AddrClass::other);  // 19 ones
  CHECK(__builtin_popcountll(0xfdffffffff1f0000) == 44);
  CHECK(cls(kGlobal, 0xfdffffffff1f0000) == AddrClass::privacy);
  CHECK(cls(kGlobal, 0xfdffffffff3f0000) == AddrClass::other);  // 45 ones
  // RFC 8981 section 3.3.1 ids are raw random bits (RFC 7136 section 5: no
  // bit has a meaning): the u-bit set is privacy as well, in the same band.
  CHECK(cls(kGlobal, 0xf2f0f0f00e000000) == AddrClass::privacy);  // 20 ones with the u-bit
  CHECK(cls(kGlobal, 0xf2f0f0f00c000000) == AddrClass::other);    // 19
  CHECK(cls(kGlobal, 0xffffffffff1f0000) == AddrClass::other);    // 45
  CHECK(cls(kGlobal, 0xffffffffff0f0000) == AddrClass::privacy);  // 44
  // Under 2002::/16 the same band decides 6to4-privacy.
  const uint64_t site = 0x2002c00002010001;
  CHECK(cls(site, 0xf0f0f0f00f000000) == AddrClass::sixtofour_privacy);
  CHECK(cls(site, 0xf0f0f0f00e000000) == AddrClass::sixtofour_other);
  CHECK(cls(site, 0xfdffffffff1f0000) == AddrClass::sixtofour_privacy);
  CHECK(cls(site, 0xfdffffffff3f0000) == AddrClass::sixtofour_other);
  CHECK(cls(site, 0xf2f0f0f00f000000) == AddrClass::sixtofour_privacy);
}

TEST_CASE("6to4-windows is exactly 2002:V4::V4", "[addrclass]") {
  // 2002:c633:6401::/48 embeds 198.51.100.1.
  const uint64_t site = 0x2002c63364010000;
  CHECK(cls(site, 0x00000000c6336401) == AddrClass::sixtofour_windows);
  for (const uint64_t high : {uint64_t{1}, uint64_t{0x8000}, uint64_t{0x0100'0000}, uint64_t{0xffff'ffff}}) {
    INFO("high id bits " << high);
    CHECK(cls(site, high << 32 | 0xc6336401) != AddrClass::sixtofour_windows);
  }
  // The embedded IPv4 in the low 32 bits of another site is not Windows.
  CHECK(cls(0x2002c63364020000, 0x00000000c6336401) == AddrClass::sixtofour_other);
}

TEST_CASE("prefix boundaries of the special ranges", "[addrclass]") {
  CHECK(cls("fe7f:ffff::1") == AddrClass::low);
  CHECK(cls("fe80::") == AddrClass::link_local);
  CHECK(cls("fec0::") == AddrClass::other);
  CHECK(cls("fbff::1") == AddrClass::low);
  CHECK(cls("fe00::") == AddrClass::other);
  CHECK(cls("2001:db7:ffff:ffff::1") == AddrClass::low);
  CHECK(cls("2001:db9::1") == AddrClass::low);
  CHECK(cls("2001:1::1") == AddrClass::low);
  CHECK(cls("2003::1") == AddrClass::low);
  CHECK(cls("2001:0:1::5efe:c0a8:102") == AddrClass::teredo);
  CHECK(cls("::1:0:0:1") == AddrClass::other);
  CHECK(cls("::fffe:0:0") == AddrClass::other);
  CHECK(cls("0:0:0:1::1") == AddrClass::low);
}

TEST_CASE("address class names and values", "[addrclass]") {
  // The values are exported over IPFIX: never renumbered.
  const std::pair<AddrClass, std::pair<int, const char*>> table[] = {
      {AddrClass::none, {0, "none"}},
      {AddrClass::other, {1, "other"}},
      {AddrClass::unspecified, {2, "unspecified"}},
      {AddrClass::loopback, {3, "loopback"}},
      {AddrClass::ipv4_mapped, {4, "ipv4-mapped"}},
      {AddrClass::multicast, {5, "multicast"}},
      {AddrClass::link_local, {6, "link-local"}},
      {AddrClass::ula, {7, "ula"}},
      {AddrClass::documentation, {8, "documentation"}},
      {AddrClass::teredo, {9, "teredo"}},
      {AddrClass::isatap, {10, "isatap"}},
      {AddrClass::sixtofour_windows, {11, "6to4-windows"}},
      {AddrClass::sixtofour_linux, {12, "6to4-linux"}},
      {AddrClass::sixtofour_eui64, {13, "6to4-eui64"}},
      {AddrClass::sixtofour_privacy, {14, "6to4-privacy"}},
      {AddrClass::sixtofour_other, {15, "6to4-other"}},
      {AddrClass::eui64, {16, "eui64"}},
      {AddrClass::low, {17, "low"}},
      {AddrClass::embedded_ipv4, {18, "embedded-ipv4"}},
      {AddrClass::privacy, {19, "privacy"}},
  };
  REQUIRE(std::size(table) == kAddrClassNames.size());
  std::set<std::string_view> names;
  for (const auto& [c, vn] : table) {
    INFO(vn.second);
    CHECK(static_cast<int>(c) == vn.first);
    CHECK(addr_class_name(c) == vn.second);
    CHECK(addr_class_from_name(vn.second) == c);
    CHECK(names.insert(addr_class_name(c)).second);
  }
  for (std::size_t i = 0; i < kAddrClassNames.size(); ++i) {
    CHECK_FALSE(kAddrClassNames[i].empty());
    const auto back = addr_class_from_name(kAddrClassNames[i]);
    REQUIRE(back.has_value());
    CHECK(static_cast<std::size_t>(*back) == i);
  }
  CHECK_FALSE(addr_class_from_name("").has_value());
  CHECK_FALSE(addr_class_from_name("6to4").has_value());
  CHECK_FALSE(addr_class_from_name("Teredo").has_value());
  CHECK_FALSE(addr_class_from_name("ipv4_mapped").has_value());
  CHECK_FALSE(addr_class_from_name("teredo ").has_value());
}

TEST_CASE("is_6to4_class", "[addrclass]") {
  for (std::size_t i = 0; i < kAddrClassNames.size(); ++i) {
    const auto c = static_cast<AddrClass>(i);
    INFO(addr_class_name(c));
    CHECK(tunprobe::is_6to4_class(c) == kAddrClassNames[i].starts_with("6to4-"));
  }
}

TEST_CASE("classes are set for both inner ends and only for IPv6", "[addrclass]") {
  PacketInfo p = parse(eth(kEtherIpv6, ipv6(v6("fe80::1"), v6("ff02::1:2"), kUdp, udp(546, 547))));
  CHECK(p.src_class == AddrClass::link_local);
  CHECK(p.dst_class == AddrClass::multicast);
  p = parse(eth(kEtherIpv4, ipv4(v4("192.0.2.1"), v4("224.0.0.1"), kUdp, udp(1, 2))));
  CHECK(p.src_class == AddrClass::none);
  CHECK(p.dst_class == AddrClass::none);
  // A packet whose transport header is cut still has its classes.
  p = parse(eth(kEtherIpv6, ipv6(v6("::1"), v6("::"), kTcp, prefix(tcp(1, 2), 10))));
  CHECK(p.verdict == Verdict::l4_truncated);
  CHECK(p.src_class == AddrClass::loopback);
  CHECK(p.dst_class == AddrClass::unspecified);
}
