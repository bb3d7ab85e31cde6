// The ClickHouse table's rows and URLs: a Teredo record and an IPv4 record
// encoded as RowBinary, read back field by field at the offsets the column
// table gives; the DDL names every column once with its type; the -o
// clickhouse:// forms and their errors. The real servers are in
// tests/clickhouse/.
#include <catch2/catch.hpp>
#include <cstring>
#include <map>
#include <string>

#include "probe/export/output_spec.hpp"
#include "probe/records/clickhouse_columns.hpp"

using namespace tunprobe;

namespace {

// Reads one RowBinary row back by the types of the column table.
struct Reader {
  const std::string& b;
  std::size_t at = 0;
  uint64_t le(std::size_t n) {
    uint64_t v = 0;
    for (std::size_t i = 0; i < n; ++i) v |= uint64_t{static_cast<uint8_t>(b[at + i])} << (8 * i);
    at += n;
    return v;
  }
  std::string raw(std::size_t n) {
    std::string s = b.substr(at, n);
    at += n;
    return s;
  }
};

std::map<std::string, std::string> read_row(const std::string& bytes, std::size_t& used) {
  Reader r{bytes};
  std::map<std::string, std::string> row;
  for (const clickhouse::Column& c : clickhouse::columns()) {
    const std::string t = clickhouse::column_type(c);
    std::string v;
    if (t == "UInt8" || t.rfind("Enum8", 0) == 0) v = std::to_string(r.le(1));
    else if (t == "UInt16" || t == "Date") v = std::to_string(r.le(2));
    else if (t == "UInt32") v = std::to_string(r.le(4));
    else if (t == "UInt64") v = std::to_string(r.le(8));
    else if (t == "FixedString(16)") v = r.raw(16);
    else if (t == "Nullable(UInt32)") v = r.le(1) ? "NULL" : std::to_string(r.le(4));
    else if (t == "String") v = r.raw(r.le(1));  // names here are < 128 bytes: one LEB128 byte
    else FAIL("column " << c.name << ": type " << t << " not read by this test");
    row[std::string(c.name)] = v;
  }
  used = r.at;
  return row;
}

FlowRecord teredo_record() {
  FlowRecord r{};
  FlowKey& k = r.key;
  // 2001:0:c633:6401:8000:63be:34ff:8eb2 -> 2a00:1450:4001:80b::200e, UDP 50800 -> 443.
  const uint8_t src[16] = {0x20, 0x01, 0, 0, 0xc6, 0x33, 0x64, 0x01, 0x80, 0, 0x63, 0xbe, 0x34, 0xff, 0x8e, 0xb2};
  const uint8_t dst[16] = {0x2a, 0, 0x14, 0x50, 0x40, 0x01, 0x08, 0x0b, 0, 0, 0, 0, 0, 0, 0x20, 0x0e};
  std::memcpy(k.src, src, 16);
  std::memcpy(k.dst, dst, 16);
  k.outer_src4 = 0xcb00714d;  // 203.0.113.77
  k.outer_dst4 = 0xc0000263;  // 192.0.2.99
  k.outer_sport = 40001;
  k.outer_dport = 3544;
  k.sport = 50800;
  k.dport = 443;
  k.protocol = 17;
  k.ip_version = 6;
  k.tunnel = TunnelType::teredo;
  r.first_ms = 1767225600123;  // 2026-01-01
  r.last_after_ms = 2000;
  r.packets = 3;
  r.octets = 240;
  r.outer_octets = 324;
  r.teredo_bubbles = 1;
  r.min_ttl = 60;
  r.max_ttl = 64;
  r.src_class = AddrClass::teredo;
  r.dst_class = AddrClass::low;
  r.end_reason = EndReason::idle;
  r.worker = 1;
  return r;
}

}  // namespace

TEST_CASE("a Teredo flow and an ICMP flow as RowBinary rows", "[clickhouse]") {
  const DecodeConfig cfg;
  const clickhouse::RowOrigin origin{7, "probe-a", 0x1122334455667788ull};
  std::string bytes;
  clickhouse::append_row(bytes, teredo_record(), cfg, origin);
  FlowRecord icmp{};
  icmp.key.ip_version = 4;
  icmp.key.protocol = 1;
  icmp.key.dport = 8 << 8;  // echo request
  icmp.key.src[0] = 192, icmp.key.src[1] = 0, icmp.key.src[2] = 2, icmp.key.src[3] = 1;  // IPv4 in the first 4 bytes
  icmp.first_ms = 86'400'000 * 3 + 5;
  icmp.packets = 1;
  clickhouse::append_row(bytes, icmp, cfg, origin);

  std::size_t used = 0;
  auto a = read_row(bytes, used);
  const std::string second = bytes.substr(used);
  std::size_t used2 = 0;
  auto b = read_row(second, used2);
  CHECK(used + used2 == bytes.size());

  CHECK(a["day"] == "20454");  // 2026-01-01
  CHECK(a["flowStartMilliseconds"] == "1767225600123");
  CHECK(a["flowEndMilliseconds"] == "1767225602123");
  CHECK(a["flowEndReason"] == "1");
  CHECK(a["tunnelType"] == "1");
  CHECK(a["tunnelSourceIPv4Address"] == std::to_string(0xcb00714du));
  CHECK(a["tunnelSourceTransportPort"] == "40001");
  CHECK(a["tunnelDestinationTransportPort"] == "3544");
  CHECK(a["greKey"] == "NULL");
  // The Teredo facts follow from the client address (RFC 4380 4): server
  // 198.51.100.1, client 203.0.113.77 port 40001 (both obfuscated in it).
  CHECK(a["teredoServerIPv4Address"] == std::to_string(0xc6336401u));
  CHECK(a["teredoClientIPv4Address"] == std::to_string(0xcb00714du));
  CHECK(a["teredoClientPort"] == "40001");
  CHECK(a["teredoFlags"] == std::to_string(0x8000));
  CHECK(a["teredoBubbleCount"] == "1");
  CHECK(a["tunnelOctetDeltaCount"] == "324");
  CHECK(a["sourceIPv4Address"] == "0");
  CHECK(a["sourceIPv6Address"] == std::string(reinterpret_cast<const char*>(teredo_record().key.src), 16));
  CHECK(a["sourceTransportPort"] == "50800");
  CHECK(a["icmpTypeCode"] == "0");
  CHECK(a["sourceAddressClass"] == std::to_string(static_cast<int>(AddrClass::teredo)));
  CHECK(a["observationDomainId"] == "7");
  CHECK(a["probeName"] == "probe-a");
  CHECK(a["exportBatch"] == std::to_string(0x1122334455667788ull));

  CHECK(b["day"] == "3");
  CHECK(b["tunnelType"] == "0");
  CHECK(b["tunnelSourceIPv4Address"] == "0");
  CHECK(b["sourceIPv4Address"] == std::to_string(0xc0000201u));
  CHECK(b["sourceIPv6Address"] == std::string(16, '\0'));
  CHECK(b["sourceTransportPort"] == "0");
  CHECK(b["destinationTransportPort"] == "0");
  CHECK(b["icmpTypeCode"] == std::to_string(8 << 8));
  CHECK(b["sourceAddressClass"] == "0");
}

TEST_CASE("the DDL has every column once, Enum8 names from their tables", "[clickhouse]") {
  clickhouse::SchemaOptions o;
  o.cluster = "two";
  const std::string sql = clickhouse::schema_sql(o);
  for (const clickhouse::Column& c : clickhouse::columns()) {
    const std::string line = "    " + std::string(c.name) + " " + clickhouse::column_type(c);
    CHECK(sql.find(line) != std::string::npos);
  }
  CHECK(sql.find("'teredo' = 1") != std::string::npos);
  CHECK(sql.find("'lackOfResources' = 5") != std::string::npos);
  CHECK(sql.find("CREATE TABLE IF NOT EXISTS tunprobe.flows_all AS tunprobe.flows\nENGINE = Distributed(two, "
                 "tunprobe, flows, ") != std::string::npos);
  CHECK(clickhouse::column_list().rfind("(day, flowStartMilliseconds, ", 0) == 0);
  unsigned ma = 0, mi = 0;
  CHECK(clickhouse::parse_server_version("19.6.3.18", ma, mi));
  CHECK((ma == 19 && mi == 6));
  CHECK_FALSE(clickhouse::parse_server_version("19", ma, mi));
  CHECK_FALSE(clickhouse::parse_server_version("x.1", ma, mi));
}

TEST_CASE("-o clickhouse:// forms", "[clickhouse]") {
  OutputSpec o;
  REQUIRE(parse_output("clickhouse://db1.example.org:8123/tunprobe.flows_all?user=probe&password_file=/etc/pw&"
                       "probe=span0&batch=5000&batch_ms=250",
                       o)
              .empty());
  CHECK(o.scheme == "clickhouse");
  CHECK(o.host == "db1.example.org");
  CHECK(o.port == 8123);
  CHECK(o.clickhouse.database == "tunprobe");
  CHECK(o.clickhouse.table == "flows_all");
  CHECK(o.clickhouse.user == "probe");
  CHECK(o.clickhouse.password_file == "/etc/pw");
  CHECK(o.clickhouse.probe == "span0");
  CHECK(o.clickhouse.batch == 5000);
  CHECK(o.clickhouse.batch_ms == 250);
  CHECK(o.text() == "clickhouse://db1.example.org:8123/tunprobe.flows_all");
  REQUIRE(parse_output("clickhouse://[::1]:8123/a.b", o).empty());
  CHECK(o.host == "::1");
  CHECK(parse_output("clickhouse://h:8123/a.b?password=x&password_file=y", o).find("not both") != std::string::npos);
  CHECK(parse_output("clickhouse://h:8123/a.b?batch_ms=0", o).find("?batch_ms= takes a number 1..600000") !=
        std::string::npos);
  CHECK(parse_output("clickhouse://h:8123/a.b?user=", o).find("?user= needs a value") != std::string::npos);
  CHECK(parse_output("clickhouse:h:8123/a.b", o).find("expected clickhouse://HOST:PORT/DATABASE.TABLE") !=
        std::string::npos);
}
