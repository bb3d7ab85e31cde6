// The report library (probe/report/): HyperLogLog accuracy, exact address
// sets and their fall-back to sketches under a budget, service and
// high-port rules, the JSON-lines reader's errors and offsets, rendering.
#include <arpa/inet.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <random>
#include <string>

#include "probe/report/addr_set.hpp"
#include "probe/report/clickhouse_source.hpp"
#include "probe/report/aggregate.hpp"
#include "probe/report/hll.hpp"
#include "probe/report/source.hpp"
#include "probe/report/table.hpp"
#include "probe/report/tables.hpp"

using namespace tunprobe;
using namespace tunprobe::report;

namespace {

Ipv6 addr(uint64_t hi, uint64_t lo) {
  Ipv6 a{};
  for (int i = 0; i < 8; ++i) {
    a[static_cast<std::size_t>(i)] = static_cast<uint8_t>(hi >> (56 - 8 * i));
    a[static_cast<std::size_t>(8 + i)] = static_cast<uint8_t>(lo >> (56 - 8 * i));
  }
  return a;
}

std::string temp_file(const std::string& text) {
  char name[] = "/tmp/tunprobe-report-XXXXXX";
  const int fd = mkstemp(name);
  REQUIRE(fd >= 0);
  REQUIRE(write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()));
  close(fd);
  return name;
}

}  // namespace

TEST_CASE("HyperLogLog estimates within four standard errors", "[report]") {
  std::mt19937_64 rng(42);
  for (const uint64_t n : {0ULL, 1ULL, 10ULL, 1000ULL, 20000ULL, 40000ULL, 80000ULL, 300000ULL}) {
    HyperLogLog h;
    for (uint64_t i = 0; i < n; ++i) {
      const Ipv6 a = addr(0x2a00000000000000ULL | (rng() >> 8), rng());
      h.add(hash_ipv6(a));
      h.add(hash_ipv6(a));  // duplicates change nothing
    }
    const double e = h.estimate();
    INFO("n = " << n << ", estimate " << e);
    CHECK(std::abs(e - static_cast<double>(n)) <= std::max(1.0, 4 * HyperLogLog::standard_error() * static_cast<double>(n)));
  }
}

TEST_CASE("AddrSet counts transports, classes and excluded addresses exactly", "[report]") {
  AddrSet s(true);
  const Ipv6 native_host = addr(0x2a00145040010800ULL, 0x200e);
  const Ipv6 teredo = addr(0x20010000c6336401ULL, 0x800063be34ff8eb2ULL);
  const Ipv6 link = addr(0xfe80000000000000ULL, 1);
  CHECK(s.add(native_host, TunnelType::none, AddrClass::low));
  CHECK_FALSE(s.add(native_host, TunnelType::teredo, AddrClass::low));  // same address, second transport
  CHECK(s.add(teredo, TunnelType::teredo, AddrClass::teredo));
  CHECK(s.add(link, TunnelType::teredo, AddrClass::link_local));
  for (int i = 0; i < 5000; ++i) s.add(addr(0x2a01000000000000ULL, static_cast<uint64_t>(i) + 2), TunnelType::sixinfour, AddrClass::low);
  const AddrCounts c = s.counts();
  CHECK_FALSE(c.estimated);
  CHECK(c.transport[0] == 1);
  CHECK(c.transport[static_cast<std::size_t>(TunnelType::teredo)] == 2);
  CHECK(c.transport[static_cast<std::size_t>(TunnelType::sixinfour)] == 5000);
  CHECK(c.all == 5002);
  CHECK(c.tunneled == 5002);
  CHECK(c.excluded == 1);
  CHECK(c.by_class[0][static_cast<std::size_t>(AddrClass::low)] == 1);
  CHECK(c.by_class[1][static_cast<std::size_t>(AddrClass::low)] == 5001);
  CHECK(c.by_class[1][static_cast<std::size_t>(AddrClass::teredo)] == 1);

  s.convert_to_sketches();
  const AddrCounts e = s.counts();
  CHECK(e.estimated);
  CHECK(e.transport[0] == 1);
  CHECK(e.transport[static_cast<std::size_t>(TunnelType::teredo)] == 2);
  CHECK(e.excluded == 1);
  CHECK(std::abs(static_cast<double>(e.all) - 5002.0) < 5002 * 0.03);
  // Adds after the conversion go to the sketches.
  s.add(addr(0x2a02000000000000ULL, 7), TunnelType::none, AddrClass::low);
  CHECK(s.counts().transport[0] == 2);
}

TEST_CASE("AddrCounter keeps its budget by turning the largest set into sketches", "[report]") {
  // 1000 addresses on one day are held twice (the period's set and the
  // day's): past 1500 the period's set (the first of the largest) turns
  // into sketches, the day's stays exact.
  AddrCounter c(1500);
  for (int i = 0; i < 1000; ++i) c.add(0, addr(0x2a00000000000000ULL, static_cast<uint64_t>(i) + 2), TunnelType::none, AddrClass::low);
  CHECK(c.any_estimated());
  CHECK(c.period().estimated);
  CHECK(std::abs(static_cast<double>(c.period().transport[0]) - 1000.0) < 30);
  const auto days = c.days();
  REQUIRE(days.size() == 1);
  CHECK_FALSE(days.at(0).estimated);
  CHECK(days.at(0).transport[0] == 1000);
}

TEST_CASE("AddrCounter is exact under its budget and estimates above it", "[report]") {
  AddrCounter exact(10000);
  AddrCounter small(100);
  for (int d = 0; d < 3; ++d)
    for (int i = 0; i < 1000; ++i) {
      const Ipv6 a = addr(0x2a00000000000000ULL, static_cast<uint64_t>(d * 500 + i) + 2);
      exact.add(d, a, TunnelType::none, AddrClass::low);
      small.add(d, a, TunnelType::none, AddrClass::low);
    }
  CHECK_FALSE(exact.any_estimated());
  CHECK(exact.period().transport[0] == 2000);
  for (const auto& [day, counts] : exact.days()) CHECK(counts.transport[0] == 1000);
  CHECK(small.any_estimated());
  CHECK(small.period().estimated);
  CHECK(std::abs(static_cast<double>(small.period().transport[0]) - 2000.0) < 2000 * 0.03);
}

TEST_CASE("Services and high ports follow the README's rules", "[report]") {
  CHECK(service_of(6, 50123, 80).kind == ServiceKind::http);
  CHECK(service_of(6, 80, 50123).kind == ServiceKind::http);
  CHECK(service_of(17, 80, 50123).kind == ServiceKind::port);  // HTTP is TCP only
  CHECK(service_of(17, 50123, 443).kind == ServiceKind::https);  // QUIC
  CHECK(service_of(6, 53, 40000).kind == ServiceKind::dns);
  CHECK(service_of(58, 0, 0x8000).kind == ServiceKind::icmp);
  CHECK(service_of(41, 0, 0).kind == ServiceKind::other_protocol);
  const Service s = service_of(17, 3074, 51000);
  CHECK((s.kind == ServiceKind::port && s.protocol == 17 && s.port == 3074));
  CHECK(is_high_port(17, 1024, 65535));
  CHECK_FALSE(is_high_port(17, 1023, 65535));
  CHECK_FALSE(is_high_port(58, 40000, 40000));
}

TEST_CASE("Teredo relays: the far outer end of a Teredo <-> native flow, not the server", "[report]") {
  Aggregator agg(1000);
  ReportFlow f;
  f.ip_version = 6;
  f.has_tunnel_info = true;
  f.tunnel = TunnelType::teredo;
  f.src = addr(0x20010000c6336401ULL, 0x800063be34ff8eb2ULL);
  f.dst = addr(0x2a00145040010800ULL, 0x200e);
  f.outer_src4 = 0xcb00714d;  // 203.0.113.77 (client)
  f.outer_dst4 = 0xc0000263;  // 192.0.2.99 (relay)
  f.teredo_server4 = 0xc6336401;
  f.packets = 3;
  f.octets = 300;
  agg.add(f);
  std::swap(f.src, f.dst);
  std::swap(f.outer_src4, f.outer_dst4);
  agg.add(f);
  f.outer_src4 = f.teredo_server4;  // relayed by the server: not a relay
  agg.add(f);
  REQUIRE(agg.relays.size() == 1);
  const auto& [key, traffic] = *agg.relays.begin();
  CHECK(key == (uint64_t{1} << 32 | 0xc0000263));
  CHECK(traffic.flows == 2);
  CHECK(agg.teredo_servers.at(0xc6336401).flows == 3);
  CHECK(agg.tunnels[1].packets == 9);
}

TEST_CASE("JSON lines: records, errors with line and offset, truncation", "[report]") {
  const std::string good =
      R"({"flowStartMilliseconds":1767225600143,"packetDeltaCount":3,"octetDeltaCount":2180,"tunnelType":"teredo",)"
      R"("teredoServerIPv4Address":"198.51.100.1","ipVersion":6,"sourceIPv6Address":"2a00:1450:4001:80b::200e",)"
      R"("destinationIPv6Address":"2001:0:c633:6401:8000:63be:34ff:8eb2","protocolIdentifier":6,)"
      R"("sourceTransportPort":443,"destinationTransportPort":50800,"sourceAddressClass":"low",)"
      R"("destinationAddressClass":"teredo"})";
  const std::string other = R"({"flowStartMilliseconds":1,"packetDeltaCount":1,"octetDeltaCount":40,)"
                            R"("sourceIPv4Address":"192.0.2.1","destinationIPv4Address":"192.0.2.2"})";
  const std::string text = good + "\n\n" + R"({"flowStartMilliseconds":"x"})" + "\n" + other + "\n" + "{\"flowStart";
  const std::string path = temp_file(text);
  SourceError err;
  auto src = open_source({path, Format::detect}, SourceOptions{}, err);
  REQUIRE(src);
  CHECK(src->format_name() == "json");
  ReportFlow f;
  REQUIRE(src->next(f) == RecordSource::Next::record);
  CHECK(f.tunnel == TunnelType::teredo);
  CHECK(f.has_tunnel_info);
  CHECK(f.teredo_server4 == 0xc6336401);
  CHECK(f.src_class == AddrClass::low);
  CHECK(f.sport == 443);
  REQUIRE(src->next(f) == RecordSource::Next::error);
  CHECK(src->error().line == 3);
  CHECK(src->error().offset == good.size() + 2);
  CHECK(src->error().what.find("flowStartMilliseconds") != std::string::npos);
  REQUIRE(src->next(f) == RecordSource::Next::record);
  CHECK(f.ip_version == 4);
  CHECK_FALSE(f.has_tunnel_info);
  REQUIRE(src->next(f) == RecordSource::Next::error);
  CHECK(src->error().line == 5);
  CHECK(src->error().what.rfind("truncated", 0) == 0);
  CHECK(src->next(f) == RecordSource::Next::end);
  std::remove(path.c_str());
}

TEST_CASE("Inputs: unknown formats and prefixes, missing files", "[report]") {
  const std::string path = temp_file("hello\n");
  SourceError err;
  CHECK_FALSE(open_source({path, Format::detect}, SourceOptions{}, err));
  CHECK(err.message().find(path + ": offset 0: unknown format") == 0);
  std::vector<InputFile> files;
  CHECK(expand_inputs({"/nonexistent/flows.json"}, files).find("no such file") != std::string::npos);
  CHECK(expand_inputs({"pcap:x.pcap"}, files).find("unknown prefix") != std::string::npos);
  CHECK(expand_inputs({"json:" + path}, files).empty());
  REQUIRE(files.size() == 1);
  CHECK(files[0].format == Format::json);
  std::remove(path.c_str());
}

TEST_CASE("Rendering: digits, shares, estimates, groups, CSV quoting", "[report]") {
  CHECK(group_digits(0) == "0");
  CHECK(group_digits(999) == "999");
  CHECK(group_digits(1000) == "1,000");
  CHECK(group_digits(1234567) == "1,234,567");
  CHECK(day_name(0) == "1970-01-01");
  CHECK(day_name(20454) == "2026-01-01");
  using namespace std::string_literals;
  Report r;
  r.title = "report"s;
  Table t;
  t.id = "x"s;
  t.title = "X"s;
  t.columns = {{"g", "group"}, {"k", "key"}, {"n", "count"}, {"s", "share"}};
  t.group_column = 0;
  t.rows = {{Cell::str("A"), Cell::str("a|b"), Cell::count(1234, true), Cell::share(1, 3)},
            {Cell::str("B"), Cell::str("c,d"), Cell::count(5), Cell::share(0, 0)}};
  t.notes = {"*Native*: seen natively; **bold** and `a*b`; type * 256 + code; *distinct, all transports* once."s};
  r.tables.push_back(t);
  const std::string md = render_markdown(r);
  CHECK(md.find("**A**") != std::string::npos);
  CHECK(md.find("| a\\|b | ≈1,234 | 33.33 % |") != std::string::npos);
  CHECK(md.find("| c,d | 5 | 0.00 % |") != std::string::npos);
  CHECK(md.find("HyperLogLog") != std::string::npos);
  const std::string csv = render_csv(t);
  CHECK(csv == "g,k,n,s\nA,a|b,1234,0.3333333333333333\nB,\"c,d\",5,0\n");
  const std::string html = render_html(r);
  CHECK(html.find("<h3>A</h3>") != std::string::npos);
  CHECK(html.find("<td class=\"n\">≈1,234</td>") != std::string::npos);
  // Markdown in notes rendered, not left as asterisks.
  CHECK(html.find("<p><i>Native</i>: seen natively; <b>bold</b> and <code>a*b</code>; type * 256 + code; "
                  "<i>distinct, all transports</i> once.</p>") != std::string::npos);
}

TEST_CASE("--from/--to times, the record filter, ClickHouse inputs", "[report]") {
  uint64_t ms = 0;
  REQUIRE(parse_utc_time("2026-01-01", ms));
  CHECK(ms == 1767225600000ULL);
  REQUIRE(parse_utc_time("2026-01-01T12:00:00.5Z", ms));
  CHECK(ms == 1767225600000ULL + 12 * 3600000ULL + 500);
  REQUIRE(parse_utc_time("2026-01-02 00:01", ms));
  CHECK(ms == 1767312060000ULL);
  REQUIRE(parse_utc_time("1767225600123", ms));
  CHECK(ms == 1767225600123ULL);
  for (const char* bad : {"", "yesterday", "2026-13-01", "2026-02-30", "2026-01-01T25:00", "2026-01-01T12", "20260101"})
    CHECK_FALSE(parse_utc_time(bad, ms));

  RecordFilter f;
  CHECK(f.empty());
  f.has_from = f.has_to = true;
  f.from_ms = 100;
  f.to_ms = 200;
  f.odids = {2};
  ReportFlow r;
  r.start_ms = 100;
  CHECK_FALSE(f.matches(r));  // no observation domain (JSON lines)
  r.has_odid = true;
  r.odid = 2;
  CHECK(f.matches(r));
  r.start_ms = 200;  // --to is exclusive
  CHECK_FALSE(f.matches(r));
  r.start_ms = 150;
  r.odid = 1;
  CHECK_FALSE(f.matches(r));
  CHECK(clickhouse_where(f).find("observationDomainId IN (2)") != std::string::npos);

  ClickHouseInput in;
  CHECK(parse_clickhouse_input("clickhouse://127.0.0.1:8123/tunprobe.flows_all?user=u", in).empty());
  CHECK((in.host == "127.0.0.1" && in.port == 8123 && in.database == "tunprobe" && in.table == "flows_all" &&
         in.user == "u" && in.text == "clickhouse://127.0.0.1:8123/tunprobe.flows_all"));
  CHECK(parse_clickhouse_input("clickhouse://[::1]:9000/db.t", in).empty());
  CHECK(in.host == "::1");
  for (const char* bad : {"clickhouse://h/db.t", "clickhouse://h:0/db.t", "clickhouse://h:1/dbt", "clickhouse://h:1/d-b.t",
                          "clickhouse://h:1/db.t?x=1", "clickhouse:h:1/db.t"})
    CHECK_FALSE(parse_clickhouse_input(bad, in).empty());
}

TEST_CASE("ReportCounts: top lists cut with the rest summed", "[report]") {
  Aggregator agg(1000);
  ReportFlow f;
  f.ip_version = 4;
  f.protocol = 17;
  f.packets = 1;
  f.octets = 100;
  for (uint16_t port = 2000; port < 2005; ++port)
    for (int i = 0; i < port - 1999; ++i) {
      f.sport = port;
      f.dport = 40000;
      agg.add(f);
    }
  const ReportCounts c = agg.counts(2);
  const auto& s = c.services[static_cast<std::size_t>(Kind::ipv4)];
  REQUIRE(s.top_ports.size() == 2);
  CHECK((s.top_ports[0].first & 0xffff) == 2004);
  CHECK(s.top_ports[0].second.flows == 5);
  CHECK(s.other_ports.flows == 1 + 2 + 3);
  CHECK(s.by_kind[static_cast<std::size_t>(ServiceKind::port)].flows == 15);
}
