// Unit tests of the IPFIX side: -o parsing, the PEN rule, the generated
// templates, and records encoded by libfixbuf and read back by it.
#include <unistd.h>

#include <catch2/catch.hpp>

#include <set>
#include <cstdio>
#include <cstring>
#include <string>

#include "probe/records/ipfix_elements.hpp"
#include "probe/records/ipfix_reader.hpp"
#include "probe/export/outputs.hpp"
#include "probe/engine/run_config.hpp"

using namespace tunprobe;

TEST_CASE("-o parses the IPFIX forms", "[ipfix]") {
  OutputSpec o;
  CHECK(parse_output("ipfix:/tmp/a.ipfix", o).empty());
  CHECK(o.scheme == "ipfix");
  CHECK(o.target == "/tmp/a.ipfix");
  CHECK(parse_output("ipfix+udp://127.0.0.1:4739?profile=nfdump", o).empty());
  CHECK(o.host == "127.0.0.1");
  CHECK(o.port == 4739);
  CHECK(o.profile == "nfdump");
  CHECK(o.text() == "ipfix+udp://127.0.0.1:4739");
  CHECK(parse_output("ipfix+tcp://[2001:db8::1]:4739", o).empty());
  CHECK(o.host == "2001:db8::1");
  CHECK(o.port == 4739);
  CHECK(parse_output("ipfix+tcp://collector.example:9995", o).empty());
  CHECK(o.host == "collector.example");
  CHECK(parse_output("json:-", o).empty());
  CHECK_FALSE(parse_output("ipfix+udp://127.0.0.1", o).empty());
  CHECK_FALSE(parse_output("ipfix+udp://127.0.0.1:65536", o).empty());
  CHECK_FALSE(parse_output("ipfix+udp://2001:db8::1:4739", o).empty());
  CHECK_FALSE(parse_output("ipfix+udp:127.0.0.1:4739", o).empty());
  CHECK_FALSE(parse_output("ipfix+sctp://127.0.0.1:4739", o).empty());
  CHECK_FALSE(parse_output("ipfix:", o).empty());
}

TEST_CASE("PENs that nfdump would misread are refused", "[ipfix]") {
  CHECK(ipfix::check_pen(32473).empty());
  CHECK(ipfix::check_pen(54321).empty());
  CHECK(ipfix::check_pen(1).empty());
  CHECK_FALSE(ipfix::check_pen(0).empty());
  CHECK_FALSE(ipfix::check_pen(65536).empty());
  CHECK_FALSE(ipfix::check_pen(6871).empty());
  CHECK_FALSE(ipfix::check_pen(6871 + 3 * 65536).empty());
  CHECK_FALSE(ipfix::check_pen(29305).empty());
  CHECK_FALSE(ipfix::check_pen(uint64_t{1} << 32).empty());
}

TEST_CASE("every profile has its six templates with distinct ids", "[ipfix]") {
  std::set<uint16_t> ids;
  for (const ipfix::Profile& p : ipfix::kProfiles) {
    INFO(p.name);
    REQUIRE(p.template_count == 6);
    for (uint16_t i = 0; i < p.template_count; ++i) CHECK(ids.insert(p.templates[i].id).second);
    FlowKey k{};
    k.ip_version = 4;
    CHECK(ipfix::template_for(p, k).kind == ipfix::TemplateKind::ipv4);
    k.ip_version = 6;
    CHECK(ipfix::template_for(p, k).kind == ipfix::TemplateKind::ipv6);
    k.tunnel = TunnelType::teredo;
    CHECK(ipfix::template_for(p, k).kind == ipfix::TemplateKind::tunneled);
    // IPv4 in GRE: the inner IPv4 flow with its tunnel.
    k.ip_version = 4;
    k.tunnel = TunnelType::gre_ipv4;
    CHECK(ipfix::template_for(p, k).kind == ipfix::TemplateKind::tunneled_ipv4);
    // IP in IPv6: the outer IPv6 pair's own templates.
    k.tunnel = TunnelType::ipv4_in_ipv6;
    CHECK(ipfix::template_for(p, k).kind == ipfix::TemplateKind::tunneled6_ipv4);
    k.ip_version = 6;
    k.tunnel = TunnelType::ipv6_in_ipv6;
    CHECK(ipfix::template_for(p, k).kind == ipfix::TemplateKind::tunneled6);
    k.ip_version = 4;
    for (uint16_t i = 0; i < p.template_count; ++i) {
      CHECK(p.templates[i].id >= 256);
      CHECK(ipfix::record_length(p.templates[i]) <= ipfix::kMaxRecordBytes);
      // A template and a record fit one UDP message at the smallest MTU.
      CHECK(16 + 4 + ipfix::template_record_length(p.templates[i]) < 576 - 28);
    }
  }
  CHECK(ipfix::find_profile("nfdump") != nullptr);
  CHECK(ipfix::find_profile("yaf") == nullptr);
}

TEST_CASE("a record goes through libfixbuf and back", "[ipfix]") {
  char path[] = "/tmp/tunprobe-ipfix-unit-XXXXXX";
  const int fd = mkstemp(path);
  REQUIRE(fd >= 0);
  close(fd);
  FlowRecord r{};
  r.key.ip_version = 6;
  r.key.tunnel = TunnelType::sixtofour;
  r.key.protocol = 17;
  r.key.sport = 5000;
  r.key.dport = 6000;
  const uint8_t src[16] = {0x20, 0x02, 0xc0, 0x00, 0x02, 0x01, 0, 0, 0, 0, 0, 0, 0xc0, 0x00, 0x02, 0x01};
  const uint8_t dst[16] = {0x20, 0x02, 0xc0, 0x00, 0x02, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  std::memcpy(r.key.src, src, 16);
  std::memcpy(r.key.dst, dst, 16);
  r.key.outer_src4 = 0xc0000201;
  r.key.outer_dst4 = 0xc0000202;
  r.first_ms = 1767225600123;
  r.last_after_ms = 333;  // 1767225600456
  r.packets = 3;
  r.octets = 300;
  r.outer_octets = 360;
  r.src_class = AddrClass::sixtofour_windows;
  r.dst_class = AddrClass::sixtofour_linux;
  r.end_reason = EndReason::idle;
  {
    OutputSpec spec;
    REQUIRE(parse_output(std::string("ipfix:") + path, spec).empty());
    spec.ipfix.odid = 42;
    spec.ipfix.pen = 54321;
    auto out = make_output(spec, DecodeConfig{});
    out->write(r);
    out->close();
    const OutputSummary s = out->summary();
    CHECK(s.written == 1);
    CHECK(s.delivered == 1);
  }
  ipfix::FileReader reader(path, 54321);
  std::vector<ipfix::FieldValue> f;
  uint16_t tid = 0;
  uint32_t domain = 0;
  REQUIRE(reader.next(f, tid, domain));
  CHECK(tid == 258);
  CHECK(domain == 42);
  auto get = [&](const char* name) -> const ipfix::FieldValue& {
    for (const auto& v : f)
      if (v.name == name) return v;
    FAIL(name);
    return f[0];
  };
  CHECK(get("flowStartMilliseconds").number == 1767225600123);
  CHECK(get("packetDeltaCount").number == 3);
  CHECK(get("tunnelOctetDeltaCount").number == 360);
  CHECK(get("tunnelOctetDeltaCount").pen == 54321);
  CHECK(get("tunnelType").number == 2);
  CHECK(get("sourceIPv6Address").text == "2002:c000:201::c000:201");
  CHECK(get("tunnelSourceIPv4Address").text == "192.0.2.1");
  CHECK(get("embeddedSourceIPv4Address").text == "192.0.2.1");
  CHECK(get("embeddedDestinationIPv4Address").text == "192.0.2.2");
  CHECK(get("sourceAddressClass").number == static_cast<unsigned>(AddrClass::sixtofour_windows));
  CHECK(get("flowEndReason").number == 1);
  CHECK_FALSE(reader.next(f, tid, domain));
  CHECK(reader.ok());
  std::remove(path);
}

TEST_CASE("flowmon's tunnelTeredoTrailers carries the flow's trailer bits", "[ipfix]") {
  const ipfix::Profile* p = ipfix::find_profile("flowmon");
  REQUIRE(p != nullptr);
  FlowRecord r{};
  r.key.ip_version = 6;
  r.key.tunnel = TunnelType::teredo;
  r.key.protocol = 59;
  r.teredo_trailers = kTeredoTrailerNonce | kTeredoTrailerUnparsed;
  r.teredo_auth = 1;
  const ipfix::Template& t = ipfix::template_for(*p, r.key);
  uint8_t buf[ipfix::kMaxRecordBytes];
  const std::size_t n = ipfix::encode_record(t, r, DecodeConfig{}, buf);
  REQUIRE(n == ipfix::record_length(t));
  std::size_t off = 0;
  int found = 0;
  for (uint16_t i = 0; i < t.field_count; ++i) {
    const std::string_view name = ipfix::kElements[t.fields[i].element].name;
    if (name == "tunnelTeredoTrailers") {
      CHECK(buf[off] == 0x81);
      ++found;
    } else if (name == "tunnelTeredoHeaders") {
      CHECK(buf[off] == 1);
      ++found;
    }
    off += ipfix::element_length(t, i);
  }
  CHECK(found == 2);
  // Not Teredo: 0.
  r.key.tunnel = TunnelType::sixtofour;
  const ipfix::Template& t2 = ipfix::template_for(*p, r.key);
  ipfix::encode_record(t2, r, DecodeConfig{}, buf);
  off = 0;
  for (uint16_t i = 0; i < t2.field_count; ++i) {
    if (std::string_view(ipfix::kElements[t2.fields[i].element].name) == "tunnelTeredoTrailers") CHECK(buf[off] == 0);
    off += ipfix::element_length(t2, i);
  }
}
