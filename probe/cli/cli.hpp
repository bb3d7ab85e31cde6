// Shared command-line plumbing: every subcommand parses with
// Boost.Program_options and reports a bad option as one line on stderr,
// naming the option and what is allowed, then exits 2.
#pragma once

#include <boost/program_options.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "probe/decode/decode_config.hpp"

namespace tunprobe::cli {

// Exit statuses (`tunprobe run --help`, README "Exit status").
inline constexpr int kExitSummaryUnwritten = 1;  // run: the --stats-json summary could not be written
inline constexpr int kExitUsage = 2;             // a bad option, an input that does not exist, a start-up error
inline constexpr int kExitUndelivered = 3;       // run: an output delivered none of the records it was given
// --help lines wrap at this width.
inline constexpr unsigned kHelpWidth = 100;

// Thrown only at start-up, never in the packet path; main() turns it into
// one line and exit code 2.
struct UsageError {
  std::string message;
};

// Parses argv[first..] into `vm` with `opts` (and `positional`); turns
// Boost's exceptions into UsageError with the subcommand's name.
void parse(std::string_view command, int argc, char** argv, int first,
           const boost::program_options::options_description& opts,
           const boost::program_options::positional_options_description& positional,
           boost::program_options::variables_map& vm);

// Adds the options of a Boost.Program_options config file (`name = value`
// lines; repeated names for repeatable options) to `vm`; values already
// given on the command line win. Unknown names and bad values are
// UsageErrors naming the file.
void parse_config_file(std::string_view command, const std::string& path,
                       const boost::program_options::options_description& opts,
                       boost::program_options::variables_map& vm);

// The decoder options shared by `decode` and `run`.
boost::program_options::options_description decoder_options();
DecodeConfig decoder_config(const boost::program_options::variables_map& vm);

int cmd_decode(int argc, char** argv);
int cmd_run(int argc, char** argv);
int cmd_report(int argc, char** argv);
int cmd_clickhouse_schema(int argc, char** argv);

}  // namespace tunprobe::cli
