// `tunprobe report clickhouse://HOST:PORT/DATABASE.TABLE`: the report's
// counts from tunprobe's ClickHouse table (`tunprobe clickhouse-schema`,
// probe/records/clickhouse_columns.hpp), computed by the server.
//
// No row leaves the server: a handful of aggregate queries, each a GROUP BY
// on the table as given (a Distributed table: every shard aggregates its
// own rows and the initiator merges the states), over ClickHouse's HTTP
// interface with libcurl, sent at the same time:
//
//   traffic    count, packets, bytes, first and last start per UTC day,
//              traffic kind, tunnel type and high-port flag: Tables 4, 5,
//              high ports, the days, the period;
//   services   the same per traffic kind and ServiceKind (Table 6), and the
//              top --top protocol/port pairs of each kind (LIMIT n BY kind);
//   servers    the top Teredo servers; relays, the top relays of each
//              tunnel type (LIMIT n BY type), and uniqExact of both;
//   addresses  both ends of every IPv6 flow (ARRAY JOIN), GROUP BY address
//              (and UTC day) on the shards: the OR of the transports it was
//              seen in (AddrSet's mask) and its class; the initiator merges
//              the shards' groups and counts them per transport, all,
//              tunneled, not counted, per class native and tunneled (Tables
//              1-3), and the same per day. (Measured on 18.16: 3.5 times
//              faster than 43 uniqExactIf states over the same rows, and
//              exact on the whole 16 bytes; uniqExact keeps 128-bit hashes.)
//
// The rules are Aggregator::add()'s and is_counted_class()'s, written as
// SQL from the same tables (tunnel types, address classes, ServiceKind,
// has_ports()), so the report equals the one of the same flows' files.
// Every count is exact.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "probe/export/output_spec.hpp"
#include "probe/report/aggregate.hpp"
#include "probe/report/source.hpp"
#include "probe/report/tables.hpp"

namespace tunprobe::report {

// clickhouse://HOST:PORT/DATABASE.TABLE[?user=U&password=P&password_file=F]:
// the URL as -o clickhouse:// has it, without the output's own settings.
using ClickHouseInput = ClickHouseSettings;

bool is_clickhouse_input(std::string_view spec);
// Returns "" or what is wrong with `spec` (one line); reads the password file.
std::string parse_clickhouse_input(const std::string& spec, ClickHouseInput& out);

struct ClickHouseReport {
  ReportCounts counts;
  InputSummary input;  // the table, "clickhouse", the rows counted, notes
  double seconds = 0;  // the queries' wall time
};

// Runs the queries. Returns "" on success, else one line: the input, what
// failed and the server's own message (or libcurl's when it does not answer).
std::string clickhouse_report(const ClickHouseInput& in, const RecordFilter& filter, unsigned top,
                              ClickHouseReport& out);

// The queries' WHERE for --from/--to/--odid ("1" when there is none).
std::string clickhouse_where(const RecordFilter& filter);

}  // namespace tunprobe::report
