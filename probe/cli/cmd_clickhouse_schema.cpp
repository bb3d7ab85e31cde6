// `tunprobe clickhouse-schema`: the DDL of the table that
// `-o clickhouse://` inserts into and `tunprobe report clickhouse://`
// reads (probe/records/clickhouse_columns.hpp), for one server or, with
// --cluster, for every server of a cluster plus the Distributed table.
#include <fmt/format.h>

#include <iostream>

#include "probe/cli/cli.hpp"
#include "probe/records/clickhouse_columns.hpp"

namespace po = boost::program_options;

namespace tunprobe::cli {

int cmd_clickhouse_schema(int argc, char** argv) {
  po::options_description opts(
      "Usage: tunprobe clickhouse-schema [options] | clickhouse-client --multiquery\n\n"
      "Prints the ClickHouse DDL of tunprobe's flow table: a MergeTree table with every field of the JSON\n"
      "output, partitioned by day, ordered by tunnel type, observation domain and time. With --cluster, run\n"
      "it on every server of the cluster: it also creates the Distributed table TABLE_all over the shards,\n"
      "which -o clickhouse:// and 'tunprobe report clickhouse://' then use.\n\nOptions",
      kHelpWidth, kHelpWidth / 2);
  opts.add_options()
      ("help,h", "this help")
      ("database", po::value<std::string>()->default_value("tunprobe"), "the database")
      ("table", po::value<std::string>()->default_value("flows"), "the (local) table")
      ("cluster", po::value<std::string>(),
       "a cluster of the servers' remote_servers: also the Distributed table TABLE_all over it")
      ("ttl", po::value<unsigned>(),
       "keep DAYS days of flows: a TTL clause on ClickHouse 19.6 and later; on older servers (Debian's "
       "18.16) the commands that drop older partitions, to run daily")
      ("server-version", po::value<std::string>()->default_value("18.16"),
       "the servers' version (SELECT version()): decides whether TTL is available");
  po::variables_map vm;
  parse("clickhouse-schema", argc, argv, 2, opts, po::positional_options_description{}, vm);
  if (vm.count("help")) {
    std::cout << opts << '\n';
    return 0;
  }
  clickhouse::SchemaOptions o;
  o.database = vm["database"].as<std::string>();
  o.table = vm["table"].as<std::string>();
  if (vm.count("cluster")) o.cluster = vm["cluster"].as<std::string>();
  for (const auto& [what, value] : {std::pair{"--database", o.database}, {"--table", o.table}, {"--cluster", o.cluster}})
    if ((what != std::string("--cluster") || !value.empty()) && !clickhouse::plain_identifier(value))
      throw UsageError{fmt::format("{} '{}': use letters, digits and '_' (not starting with a digit)", what, value)};
  if (vm.count("ttl")) {
    o.ttl_days = vm["ttl"].as<unsigned>();
    if (o.ttl_days == 0) throw UsageError{"--ttl must be at least 1 day"};
  }
  const std::string version = vm["server-version"].as<std::string>();
  if (!clickhouse::parse_server_version(version, o.server_major, o.server_minor))
    throw UsageError{fmt::format("--server-version '{}': expected MAJOR.MINOR, e.g. 18.16", version)};
  fmt::print("{}", clickhouse::schema_sql(o));
  return 0;
}

}  // namespace tunprobe::cli
