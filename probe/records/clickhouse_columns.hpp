// A finished flow as a row of tunprobe's ClickHouse table: one table of
// columns drives the DDL (`tunprobe clickhouse-schema`), the RowBinary
// rows the ClickHouse output inserts, and the column names the report's
// SQL reads, so the three cannot drift apart.
//
// The columns are the JSON output's fields under the same names (README
// "Flow records"), with what ClickHouse 18.16 (Debian bookworm) can store:
//   - no IPv4/IPv6 column types before 19.x: IPv4 addresses are UInt32
//     (IPv4NumToString() shows them), IPv6 addresses FixedString(16)
//     (IPv6NumToString()); the inner address is in the IPv4 or the IPv6
//     column by ipVersion, the other one is 0. These types work on every
//     server version, so one schema and one row encoding serve them all.
//   - names as Enum8 from the tables that define them (tunnel types,
//     address classes, mirror types, end reasons): a row with a value the
//     table does not know is refused by the server, never mis-stored.
//   - a field the JSON leaves out (no Teredo address, no ports) is 0; the
//     GRE key is Nullable (key 0 and no key are two tunnels, RFC 2890).
// Plus the row's origin: the probe's observation domain (--odid), its name,
// and the insert's batch id (a batch seen twice is a retry whose first
// acknowledgement was lost: README "ClickHouse").
//
// RowBinary (ClickHouse's "Formats" documentation): each column in table
// order, integers little-endian, FixedString raw, String as a LEB128
// length and its bytes, Enum8 as its Int8 value, Date as UInt16 days since
// 1970-01-01, Nullable as one byte (1 = NULL) and then the value if not.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "probe/decode/decode_config.hpp"
#include "probe/flow/flow_record.hpp"

namespace tunprobe::clickhouse {

// Where a row came from.
struct RowOrigin {
  uint32_t odid = 1;
  std::string_view probe;  // the probe's name (?probe=, default: the host name)
  uint64_t batch = 0;      // the insert's id
};

// What a column's writer sees of one record.
struct RowSource {
  const FlowRecord& rec;
  const PacketInfo& facts;  // derive_tunnel_facts() of the record's key
  const RowOrigin& origin;
};

struct Column {
  std::string_view name;
  std::string_view type;  // ClickHouse type, "" for the Enum8 ones (see column_type())
  void (*put)(std::string& out, const RowSource& row);
};

std::span<const Column> columns();
// The column's full type: Enum8 types are spelled out from their tables.
std::string column_type(const Column& c);
// "(a, b, c)": the column list an INSERT names.
std::string column_list();

// Appends one record as a RowBinary row.
void append_row(std::string& out, const FlowRecord& rec, const DecodeConfig& cfg, const RowOrigin& origin);

// `tunprobe clickhouse-schema`.
struct SchemaOptions {
  std::string database = "tunprobe";
  std::string table = "flows";
  std::string cluster;      // empty: one server, no Distributed table
  unsigned ttl_days = 0;    // 0: keep everything
  unsigned server_major = 18, server_minor = 16;  // --server-version
};
std::string schema_sql(const SchemaOptions& opt);

// "A.B[.C...]" into major and minor; false if it is not a version.
bool parse_server_version(std::string_view text, unsigned& major, unsigned& minor);

// A database, table or cluster name that needs no quoting in SQL: letters,
// digits and '_', not starting with a digit (what tunprobe accepts).
bool plain_identifier(std::string_view s);

// The Distributed table's name for a local table: "flows" -> "flows_all".
std::string distributed_name(const std::string& table);

}  // namespace tunprobe::clickhouse
