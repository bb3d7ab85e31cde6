#include "probe/records/clickhouse_columns.hpp"

#include <fmt/format.h>

#include <array>
#include <charconv>
#include <cstring>

#include "probe/base/mirror_type.hpp"
#include "probe/base/tunnel_type.hpp"
#include "probe/decode/addr_class.hpp"
#include "probe/records/flow_json.hpp"

namespace tunprobe::clickhouse {

namespace {

template <typename T>
void put_le(std::string& out, T v) {
  char b[sizeof(T)];
  for (std::size_t i = 0; i < sizeof(T); ++i) b[i] = static_cast<char>(static_cast<uint64_t>(v) >> (8 * i));
  out.append(b, sizeof b);
}
void u8(std::string& o, uint64_t v) { put_le<uint8_t>(o, static_cast<uint8_t>(v)); }
void u16(std::string& o, uint64_t v) { put_le<uint16_t>(o, static_cast<uint16_t>(v)); }
void u32(std::string& o, uint64_t v) { put_le<uint32_t>(o, static_cast<uint32_t>(v)); }
void u64(std::string& o, uint64_t v) { put_le<uint64_t>(o, v); }
void bytes16(std::string& o, const uint8_t* a) { o.append(reinterpret_cast<const char*>(a), 16); }
void string(std::string& o, std::string_view s) {
  uint64_t n = s.size();
  do {
    const uint8_t b = static_cast<uint8_t>(n & 0x7f);
    n >>= 7;
    o.push_back(static_cast<char>(n != 0 ? b | 0x80 : b));
  } while (n != 0);
  o.append(s);
}

bool v4(const RowSource& r) { return r.rec.key.ip_version == 4; }
bool transport_ports(const RowSource& r) {
  const FlowKey& k = r.rec.key;
  return (k.flags & kKeyNoTransport) == 0 && !is_icmp_protocol(k.protocol);
}
bool teredo_address(const RowSource& r) {
  return r.rec.key.tunnel == TunnelType::teredo && r.facts.teredo.has_address;
}
bool tunneled(const RowSource& r) { return r.rec.key.tunnel != TunnelType::none; }
// The outer header is IPv4 (its addresses are in the key).
bool outer4(const RowSource& r) { return tunneled(r) && !record_has_outer_ipv6(r.rec); }
constexpr uint8_t kZero16[16] = {};

// The Enum8 types, from the tables that define the names.
enum class EnumOf : uint8_t { end_reason, mirror, tunnel, addr_class };

template <typename Names>
std::string enum8(const Names& names) {
  std::string t = "Enum8(";
  for (std::size_t i = 0; i < names.size(); ++i) t += fmt::format("{}'{}' = {}", i ? ", " : "", names[i], i);
  return t + ")";
}

std::string enum_type(EnumOf e) {
  switch (e) {
    case EnumOf::end_reason: return enum8(kEndReasonNames);
    case EnumOf::addr_class: return enum8(kAddrClassNames);
    case EnumOf::mirror: {
      std::array<std::string_view, kMirrorTypeCount> n{};
      for (std::size_t i = 0; i < n.size(); ++i) n[i] = kMirrorTypes[i].name;
      return enum8(n);
    }
    case EnumOf::tunnel: {
      std::array<std::string_view, kTunnelTypeCount> n{};
      for (std::size_t i = 0; i < n.size(); ++i) n[i] = kTunnelTypes[i].name;
      return enum8(n);
    }
  }
  return {};
}
static_assert(kTunnelTypeCount <= 127 && kAddrClassNames.size() <= 127 && kMirrorTypeCount <= 127);

// Name, type (Enum8 columns: "enum:N", N an EnumOf, spelled out by
// column_type()), and the writer of its value: a body on `o` and `r`.
#define W(body) [](std::string& o, const RowSource& r) { body; }
const Column kColumns[] = {
    {"day", "Date", W(u16(o, r.rec.first_ms / 86'400'000))},
    {"flowStartMilliseconds", "UInt64", W(u64(o, r.rec.first_ms))},
    {"flowEndMilliseconds", "UInt64", W(u64(o, last_ms(r.rec)))},
    {"flowEndReason", "enum:0", W(u8(o, static_cast<uint8_t>(r.rec.end_reason)))},
    {"packetDeltaCount", "UInt64", W(u64(o, r.rec.packets))},
    {"octetDeltaCount", "UInt64", W(u64(o, r.rec.octets))},
    {"vlanId", "UInt16", W(u16(o, r.rec.key.vlan_outer))},
    {"dot1qCustomerVlanId", "UInt16", W(u16(o, r.rec.key.vlan_inner))},
    {"mirrorType", "enum:1", W(u8(o, static_cast<uint8_t>(r.rec.key.mirror)))},
    {"observationPointId", "UInt32", W(u32(o, r.rec.key.observation_id))},
    {"tunnelType", "enum:2", W(u8(o, static_cast<uint8_t>(r.rec.key.tunnel)))},
    {"tunnelSourceIPv4Address", "UInt32", W(u32(o, outer4(r) ? r.facts.outer_src4 : 0))},
    {"tunnelDestinationIPv4Address", "UInt32", W(u32(o, outer4(r) ? r.facts.outer_dst4 : 0))},
    {"tunnelSourceIPv6Address", "FixedString(16)", W(bytes16(o, record_has_outer_ipv6(r.rec) ? r.rec.outer_src6 : kZero16))},
    {"tunnelDestinationIPv6Address", "FixedString(16)",
     W(bytes16(o, record_has_outer_ipv6(r.rec) ? r.rec.outer_dst6 : kZero16))},
    {"tunnelSourceTransportPort", "UInt16",
     W(u16(o, tunnel_has_outer_ports(r.rec.key.tunnel) ? r.facts.outer_sport : 0))},
    {"tunnelDestinationTransportPort", "UInt16",
     W(u16(o, tunnel_has_outer_ports(r.rec.key.tunnel) ? r.facts.outer_dport : 0))},
    {"greKey", "Nullable(UInt32)", W(if (!tunneled(r) || !r.facts.gre_key_present) u8(o, 1);
                                     else { u8(o, 0); u32(o, gre_key(r.facts)); })},
    {"teredoServerIPv4Address", "UInt32", W(u32(o, teredo_address(r) ? r.facts.teredo.server_ipv4 : 0))},
    {"teredoClientIPv4Address", "UInt32", W(u32(o, teredo_address(r) ? r.facts.teredo.client_ipv4 : 0))},
    {"teredoClientPort", "UInt16", W(u16(o, teredo_address(r) ? r.facts.teredo.client_port : 0))},
    {"teredoFlags", "UInt16", W(u16(o, teredo_address(r) ? r.facts.teredo.flags : 0))},
    {"embeddedSourceIPv4Address", "UInt32",
     W(u32(o, tunneled(r) && r.rec.key.tunnel != TunnelType::teredo ? r.facts.embedded_src4 : 0))},
    {"embeddedDestinationIPv4Address", "UInt32",
     W(u32(o, tunneled(r) && r.rec.key.tunnel != TunnelType::teredo ? r.facts.embedded_dst4 : 0))},
    {"tunnelRelayIPv4Address", "UInt32",
     W(u32(o, tunneled(r) && r.rec.key.tunnel != TunnelType::teredo ? r.facts.relay4 : 0))},
    {"tunnelOctetDeltaCount", "UInt64", W(u64(o, tunneled(r) ? r.rec.outer_octets : 0))},
    {"teredoBubbleCount", "UInt32", W(u32(o, r.rec.key.tunnel == TunnelType::teredo ? r.rec.teredo_bubbles : 0))},
    {"teredoAuthCount", "UInt32", W(u32(o, r.rec.key.tunnel == TunnelType::teredo ? r.rec.teredo_auth : 0))},
    {"teredoOriginCount", "UInt32", W(u32(o, r.rec.key.tunnel == TunnelType::teredo ? r.rec.teredo_origin : 0))},
    {"ipVersion", "UInt8", W(u8(o, r.rec.key.ip_version))},
    {"sourceIPv4Address", "UInt32", W(u32(o, v4(r) ? ipv4_of(r.rec.key.src) : 0))},
    {"destinationIPv4Address", "UInt32", W(u32(o, v4(r) ? ipv4_of(r.rec.key.dst) : 0))},
    {"sourceIPv6Address", "FixedString(16)", W(bytes16(o, v4(r) ? kZero16 : r.rec.key.src))},
    {"destinationIPv6Address", "FixedString(16)", W(bytes16(o, v4(r) ? kZero16 : r.rec.key.dst))},
    {"protocolIdentifier", "UInt8", W(u8(o, r.rec.key.protocol))},
    {"transportHeaderMissing", "UInt8", W(u8(o, (r.rec.key.flags & kKeyNoTransport) != 0))},
    {"sourceTransportPort", "UInt16", W(u16(o, transport_ports(r) ? r.rec.key.sport : 0))},
    {"destinationTransportPort", "UInt16", W(u16(o, transport_ports(r) ? r.rec.key.dport : 0))},
    // ICMP and ICMPv6: type * 256 + code (the IPFIX icmpTypeCode elements).
    {"icmpTypeCode", "UInt16",
     W(u16(o, (r.rec.key.flags & kKeyNoTransport) == 0 && is_icmp_protocol(r.rec.key.protocol) ? r.rec.key.dport
                                                                                                 : 0))},
    {"tcpControlBits", "UInt8", W(u8(o, r.rec.key.protocol == kIpProtoTcp ? r.rec.tcp_flags : 0))},
    {"ipClassOfService", "UInt8", W(u8(o, r.rec.tos))},
    {"minimumTTL", "UInt8", W(u8(o, r.rec.min_ttl))},
    {"maximumTTL", "UInt8", W(u8(o, r.rec.max_ttl))},
    {"sourceAddressClass", "enum:3", W(u8(o, static_cast<uint8_t>(v4(r) ? AddrClass::none : r.rec.src_class)))},
    {"destinationAddressClass", "enum:3", W(u8(o, static_cast<uint8_t>(v4(r) ? AddrClass::none : r.rec.dst_class)))},
    {"worker", "UInt8", W(u8(o, r.rec.worker))},
    {"observationDomainId", "UInt32", W(u32(o, r.origin.odid))},
    {"probeName", "String", W(string(o, r.origin.probe))},
    {"exportBatch", "UInt64", W(u64(o, r.origin.batch))},
};
#undef W

}  // namespace

std::span<const Column> columns() { return kColumns; }

std::string column_type(const Column& c) {
  if (c.type.rfind("enum:", 0) != 0) return std::string(c.type);
  return enum_type(static_cast<EnumOf>(c.type[5] - '0'));
}

std::string column_list() {
  std::string s = "(";
  for (const Column& c : kColumns) {
    if (s.size() > 1) s += ", ";
    s += c.name;
  }
  return s + ")";
}

void append_row(std::string& out, const FlowRecord& rec, const DecodeConfig& cfg, const RowOrigin& origin) {
  PacketInfo facts;
  if (rec.key.tunnel != TunnelType::none) derive_tunnel_facts(rec, cfg, facts);
  const RowSource row{rec, facts, origin};
  for (const Column& c : kColumns) c.put(out, row);
}

bool parse_server_version(std::string_view text, unsigned& major, unsigned& minor) {
  const char* p = text.data();
  const char* end = p + text.size();
  auto [a, e1] = std::from_chars(p, end, major);
  if (e1 != std::errc{} || a == end || *a != '.') return false;
  auto [b, e2] = std::from_chars(a + 1, end, minor);
  return e2 == std::errc{} && (b == end || *b == '.');
}

bool plain_identifier(std::string_view s) {
  if (s.empty() || (s[0] >= '0' && s[0] <= '9')) return false;
  for (const char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) return false;
  return true;
}

std::string distributed_name(const std::string& table) { return table + "_all"; }

std::string schema_sql(const SchemaOptions& opt) {
  const bool has_ttl = opt.server_major > 19 || (opt.server_major == 19 && opt.server_minor >= 6);
  const std::string local = opt.database + "." + opt.table;
  std::string s;
  s += fmt::format("-- tunprobe's flow table (tunprobe {}), for ClickHouse {}.{}.\n", TUNPROBE_VERSION,
                   opt.server_major, opt.server_minor);
  s += "-- Addresses: UInt32 (IPv4NumToString) and FixedString(16) (IPv6NumToString).\n";
  if (!opt.cluster.empty())
    s += fmt::format("-- Run it on every server of cluster '{}' (each keeps its shard in {}).\n", opt.cluster, local);
  s += fmt::format("CREATE DATABASE IF NOT EXISTS {};\n\n", opt.database);
  s += fmt::format("CREATE TABLE IF NOT EXISTS {}\n(\n", local);
  for (std::size_t i = 0; i < std::size(kColumns); ++i)
    s += fmt::format("    {} {}{}\n", kColumns[i].name, column_type(kColumns[i]), i + 1 < std::size(kColumns) ? "," : "");
  // One partition a day: old days are dropped whole (below). The order
  // serves the report's questions: per tunnel type, per probe, by time.
  s += ")\nENGINE = MergeTree()\nPARTITION BY day\n"
       "ORDER BY (tunnelType, observationDomainId, flowStartMilliseconds)\n";
  if (opt.ttl_days != 0 && has_ttl) s += fmt::format("TTL day + INTERVAL {} DAY\n", opt.ttl_days);
  s += "SETTINGS index_granularity = 8192;\n";
  if (opt.ttl_days != 0 && !has_ttl) {
    s += fmt::format(
        "\n-- ClickHouse {}.{} has no TTL (19.6 added it): keep {} days by dropping older\n"
        "-- partitions once a day, e.g. from cron, on every server (one line):\n"
        "--   clickhouse-client --query \"SELECT DISTINCT concat('ALTER TABLE {} DROP PARTITION ID \\\\'', "
        "partition_id, '\\\\';') FROM system.parts WHERE database = '{}' AND table = '{}' AND active AND "
        "toDate(partition) < today() - {}\" --format TabSeparatedRaw | clickhouse-client --multiquery\n",
        opt.server_major, opt.server_minor, opt.ttl_days, local, opt.database, opt.table, opt.ttl_days);
  }
  if (!opt.cluster.empty()) {
    // The shard of a row follows from its addresses: a batch sent again is
    // split into the same blocks, which replicated tables deduplicate.
    s += fmt::format(
        "\n-- Inserts and the report go through this table; it keeps no rows itself.\n"
        "CREATE TABLE IF NOT EXISTS {}.{} AS {}\n"
        "ENGINE = Distributed({}, {}, {}, cityHash64(sourceIPv6Address, sourceIPv4Address, "
        "destinationIPv6Address, destinationIPv4Address));\n",
        opt.database, distributed_name(opt.table), local, opt.cluster, opt.database, opt.table);
  }
  return s;
}

}  // namespace tunprobe::clickhouse
