// tunprobe: the entry point dispatches to one subcommand per file.
#include <cstring>
#include <fmt/format.h>
#include <string_view>

#include "probe/cli/cli.hpp"

#ifndef TUNPROBE_VERSION
#define TUNPROBE_VERSION "unknown"
#endif

namespace {

constexpr std::string_view kUsage =
    "tunprobe: a flow probe that sees IPv6 hidden in IPv4 tunnels (Teredo, 6to4, ISATAP, 6in4, 6rd, AYIYA,\n"
    "GRE, IPv6 in UDP), also in mirrored traffic (VXLAN, ERSPAN)\n"
    "\n"
    "Usage: tunprobe COMMAND [options]\n"
    "\n"
    "Commands:\n"
    "  run -i INPUT       the probe: capture, decapsulate, aggregate flows, export\n"
    "  decode FILE.pcap   print what tunprobe sees in each packet, one JSON object per line\n"
    "  report INPUT...    the statistics report: the paper's Tables 1-6 and charts from flow records\n"
    "  clickhouse-schema  print the DDL of the ClickHouse table that -o clickhouse:// fills\n"
    "\n"
    "Options:\n"
    "  -h, --help         this help; 'tunprobe COMMAND --help' for a command's options\n"
    "  -V, --version      print the version\n";

}  // namespace

int main(int argc, char** argv) {
  using namespace tunprobe::cli;
  if (argc < 2) {
    fmt::print(stderr, "{}", kUsage);
    return kExitUsage;
  }
  const std::string_view cmd = argv[1];
  if (cmd == "-h" || cmd == "--help" || cmd == "help") {
    fmt::print("{}", kUsage);
    return 0;
  }
  if (cmd == "-V" || cmd == "--version") {
    fmt::print("tunprobe {}\n", TUNPROBE_VERSION);
    return 0;
  }
  try {
    if (cmd == "run") return cmd_run(argc, argv);
    if (cmd == "decode") return cmd_decode(argc, argv);
    if (cmd == "report") return cmd_report(argc, argv);
    if (cmd == "clickhouse-schema") return cmd_clickhouse_schema(argc, argv);
    fmt::print(stderr, "tunprobe: unknown command '{}'; commands: run, decode, report, clickhouse-schema (see 'tunprobe --help')\n", cmd);
    return kExitUsage;
  } catch (const UsageError& e) {
    // One line naming the command, the option and what is allowed.
    if (e.message.rfind("tunprobe", 0) == 0)
      fmt::print(stderr, "{}\n", e.message);
    else
      fmt::print(stderr, "tunprobe {}: {}\n", cmd, e.message);
    return kExitUsage;
  }
}
