// `tunprobe report INPUT... [--out DIR] [--per-day]`: the statistics report
// (the paper's Tables 1-6 and charts) from tunprobe's own flow output. One
// streaming pass over the records (probe/report/), or, for a ClickHouse
// table, the server's aggregate queries (probe/report/clickhouse_source.hpp);
// then report.md, index.html, report.json and one CSV per table in DIR, and
// the charts (scripts/report_charts.py, matplotlib) in DIR/charts.
#include <fmt/format.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <string_view>

#include "probe/cli/cli.hpp"
#include "probe/report/aggregate.hpp"
#include "probe/report/clickhouse_source.hpp"
#include "probe/report/source.hpp"
#include "probe/report/tables.hpp"

extern char** environ;

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace tunprobe::cli {

namespace {

using namespace tunprobe::report;

#ifndef TUNPROBE_CHARTS_SCRIPT
#define TUNPROBE_CHARTS_SCRIPT ""
#endif
#ifndef TUNPROBE_CHARTS_SCRIPT_INSTALLED
#define TUNPROBE_CHARTS_SCRIPT_INSTALLED ""
#endif

bool write_file(const fs::path& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary);
  f << text;
  f.close();
  return static_cast<bool>(f);
}

std::string find_charts_script(const std::string& given) {
  if (!given.empty()) return given;
  for (const char* p : {TUNPROBE_CHARTS_SCRIPT, TUNPROBE_CHARTS_SCRIPT_INSTALLED})
    if (*p && ::access(p, X_OK) == 0) return p;
  return {};
}

// Runs SCRIPT DIR; returns "" on success, else why not.
std::string run_charts(const std::string& script, const fs::path& dir) {
  if (script.empty()) return "scripts/report_charts.py not found (give --charts-script)";
  std::string d = dir.string();
  char* argv[] = {const_cast<char*>(script.c_str()), d.data(), nullptr};
  pid_t pid;
  if (const int e = posix_spawn(&pid, script.c_str(), nullptr, nullptr, argv, environ); e != 0)
    return fmt::format("{}: {}", script, std::strerror(e));
  int status = 0;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) return fmt::format("{}: waitpid: {}", script, std::strerror(errno));
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return {};
  return fmt::format("{} exited with status {}", script, WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
}

}  // namespace

int cmd_report(int argc, char** argv) {
  po::options_description opts(
      "Usage: tunprobe report INPUT... [--out DIR] [--per-day] [options]\n"
      "       tunprobe report clickhouse://HOST:PORT/DATABASE.TABLE [--from T] [--to T] [--odid N]... [options]\n\n"
      "The statistics report of the CESNET paper's section 5 (Tables 1-6: unique IPv6 addresses by transport,\n"
      "6to4 and global address classes, traffic, tunnel and protocol distribution), plus Teredo servers, relays\n"
      "and the high-port share, from tunprobe's flow records. INPUT is json:PATH (JSON lines, '-' is stdin),\n"
      "ipfix:PATH, a file (format told by its first bytes) or a directory (all its files, recursively, by\n"
      "name). Writes DIR/report.md, DIR/index.html, DIR/report.json, one CSV per table and DIR/charts/.\n"
      "A malformed or truncated input is reported with its file and byte offset and the other inputs are\n"
      "still read. Exit 0 when everything was read and drawn, 1 when some input had errors or the charts\n"
      "could not be drawn (the report is still written), 2 on bad options or an input that does not exist.\n\n"
      "clickhouse://HOST:PORT/DATABASE.TABLE[?user=U&password_file=F] (the only input then; PORT is the HTTP\n"
      "port) reports the rows of tunprobe's ClickHouse table ('tunprobe run -o clickhouse://...', 'tunprobe\n"
      "clickhouse-schema'; give the Distributed table of a cluster): the same tables as from the flows' files,\n"
      "computed by the server's aggregate queries (GROUP BY on every shard, distinct addresses included), no\n"
      "row is downloaded; counts are exact (--exact-limit does not apply). A server that does not answer, a\n"
      "missing table or a refused query: one line with the URL and the server's message, exit 2.\n\n"
      "Options",
      kHelpWidth, kHelpWidth / 2);
  opts.add_options()
      ("help,h", "this help")
      ("out,o", po::value<std::string>()->default_value("report"), "output directory (created)")
      ("per-day", po::bool_switch(), "also print the per-day tables (unique addresses and traffic per UTC day)")
      ("top", po::value<unsigned>()->default_value(10), "rows of the top-N lists: other ports, Teredo servers, relays (1..1000)")
      ("exact-limit", po::value<uint64_t>()->default_value(2'000'000),
       "distinct addresses held exactly, in all sets together; beyond it HyperLogLog estimates (0 = estimate all)")
      ("no-charts", po::bool_switch(), "do not draw the charts")
      ("charts-script", po::value<std::string>(), "the charts script (default: scripts/report_charts.py)")
      ("progress", po::value<double>()->default_value(5.0), "progress on stderr every S seconds (0 = none)")
      ("pen", po::value<uint64_t>()->default_value(32473), "PEN of tunprobe's IPFIX elements, as given to 'tunprobe run --pen' (1..4294967294)")
      ("from", po::value<std::string>(),
       "only flows that started at or after this UTC time (flowStartMilliseconds): 2026-01-01, 2026-01-01T12:00:00[.mmm], or ms since 1970")
      ("to", po::value<std::string>(), "only flows that started before this UTC time (the same forms; --to 2026-01-02 ends with January 1)")
      ("odid", po::value<std::vector<uint64_t>>()->composing(),
       "only the flows of this observation domain ('tunprobe run --odid'); repeatable. IPFIX files (the message header's) and ClickHouse tables; JSON lines carry none (refused)")
      ("max-errors", po::value<unsigned>()->default_value(10), "error lines printed per input (the rest are counted)")
      ("quiet,q", po::bool_switch(), "no progress and no summary on stderr (errors are still printed)");
  po::options_description hidden;
  hidden.add_options()("input", po::value<std::vector<std::string>>());
  po::options_description all;
  all.add(opts).add(hidden);
  po::positional_options_description pos;
  pos.add("input", -1);
  po::variables_map vm;
  parse("report", argc, argv, 2, all, pos, vm);
  if (vm.count("help")) {
    std::cout << opts << '\n';
    return 0;
  }
  if (!vm.count("input")) throw UsageError{"tunprobe report: give at least one input (see 'tunprobe report --help')"};
  ReportOptions ro;
  ro.per_day = vm["per-day"].as<bool>();
  ro.top = vm["top"].as<unsigned>();
  if (ro.top < 1 || ro.top > 1000) throw UsageError{fmt::format("--top: {} is out of range; rows 1..1000", ro.top)};
  ro.exact_limit = vm["exact-limit"].as<uint64_t>();
  ro.charts = !vm["no-charts"].as<bool>();
  const double progress = vm["progress"].as<double>();
  if (!(progress >= 0 && progress <= 86400))
    throw UsageError{fmt::format("--progress: {} is out of range; seconds 0..86400", progress)};
  const bool quiet = vm["quiet"].as<bool>();
  const unsigned max_errors = vm["max-errors"].as<unsigned>();
  SourceOptions so;
  {
    const uint64_t pen = vm["pen"].as<uint64_t>();
    if (pen < 1 || pen > 0xfffffffeULL) throw UsageError{fmt::format("--pen: {} is out of range; 1..4294967294", pen)};
    so.pen = static_cast<uint32_t>(pen);
  }

  RecordFilter filter;
  for (const char* name : {"from", "to"}) {
    if (!vm.count(name)) continue;
    const std::string text = vm[name].as<std::string>();
    uint64_t ms = 0;
    if (!parse_utc_time(text, ms))
      throw UsageError{fmt::format("--{}: '{}' is not a UTC time; give 2026-01-01, 2026-01-01T12:00:00[.mmm] or "
                                   "milliseconds since 1970", name, text)};
    (std::string_view(name) == "from" ? filter.has_from : filter.has_to) = true;
    (std::string_view(name) == "from" ? filter.from_ms : filter.to_ms) = ms;
  }
  if (filter.has_from && filter.has_to && filter.from_ms >= filter.to_ms)
    throw UsageError{fmt::format("--from {} is not before --to {}", vm["from"].as<std::string>(), vm["to"].as<std::string>())};
  if (vm.count("odid"))
    for (const uint64_t id : vm["odid"].as<std::vector<uint64_t>>()) {
      if (id > 0xffffffffULL) throw UsageError{fmt::format("--odid: {} is out of range; 0..4294967295", id)};
      filter.odids.push_back(static_cast<uint32_t>(id));
    }
  ro.selection = filter.describe();

  const std::vector<std::string>& specs = vm["input"].as<std::vector<std::string>>();
  std::optional<ClickHouseInput> table;
  for (const std::string& spec : specs) {
    if (!is_clickhouse_input(spec)) continue;
    if (specs.size() != 1)
      throw UsageError{fmt::format("tunprobe report: {}: a ClickHouse table is reported alone (its addresses are "
                                   "counted by the server); give it as the only input", spec)};
    ClickHouseInput in;
    if (std::string err = parse_clickhouse_input(spec, in); !err.empty()) throw UsageError{err};
    table = std::move(in);
  }
  std::vector<InputFile> files;
  if (!table)
    if (std::string err = expand_inputs(specs, files); !err.empty()) throw UsageError{err};
  const std::string out_text = vm["out"].as<std::string>();
  // `run`'s output syntax is not a directory: a user who types -o json:FILE
  // here would get a directory of that name (and look for a file).
  for (const std::string_view scheme : {"json:", "ipfix:", "ipfix+udp:", "ipfix+tcp:"})
    if (out_text.rfind(scheme, 0) == 0)
      throw UsageError{fmt::format("tunprobe report: -o {}: the report is written to a directory, -o DIR (report.md, "
                                   "index.html, report.json and the charts in it); {}... is an output of "
                                   "'tunprobe run'", out_text, scheme)};
  const fs::path out = out_text;
  {
    std::error_code ec;
    fs::create_directories(out, ec);
    if (ec || !fs::is_directory(out))
      throw UsageError{fmt::format("--out: cannot create directory '{}'{}", out.string(), ec ? ": " + ec.message() : "")};
  }
  std::string script;
  if (ro.charts) script = find_charts_script(vm.count("charts-script") ? vm["charts-script"].as<std::string>() : "");

  using clock = std::chrono::steady_clock;
  const auto t0 = clock::now();
  auto last_progress = t0;
  ReportCounts counts;
  std::vector<InputSummary> inputs;
  uint64_t errors = 0;
  if (table) {
    // The server counts.
    ClickHouseReport ch;
    if (std::string err = clickhouse_report(*table, filter, ro.top, ch); !err.empty())
      throw UsageError{"tunprobe report: " + err};
    counts = std::move(ch.counts);
    inputs.push_back(std::move(ch.input));
  }

  if (!table) {
    // Or one pass over every record of the files.
    Aggregator agg(ro.exact_limit);
    ReportFlow flow;
    for (std::size_t i = 0; i < files.size(); ++i) {
      InputSummary in;
      in.path = files[i].path;
      SourceError err;
      std::unique_ptr<RecordSource> src = open_source(files[i], so, err);
      auto report_error = [&](const SourceError& e) {
        if (in.errors == 0) in.first_error = e.message();
        if (in.errors < max_errors) fmt::print(stderr, "tunprobe report: {}\n", e.message());
        ++in.errors;
        ++errors;
      };
      if (!src) {
        report_error(err);
        inputs.push_back(std::move(in));
        continue;
      }
      in.format = src->format_name();
      if (!filter.odids.empty() && in.format == "json")
        throw UsageError{fmt::format("tunprobe report: --odid: {} is JSON lines, which carry no observation domain; "
                                     "--odid selects records of IPFIX files and ClickHouse tables", in.path)};
      uint64_t selected = 0;
      for (;;) {
        const RecordSource::Next n = src->next(flow);
        if (n == RecordSource::Next::end) break;
        if (n == RecordSource::Next::error) {
          report_error(src->error());
          continue;
        }
        ++in.records;
        if (filter.empty() || filter.matches(flow)) {
          agg.add(flow);
          ++selected;
        }
        if (progress > 0 && !quiet && (in.records & 4095) == 0) {
          const auto now = clock::now();
          if (now - last_progress >= std::chrono::duration<double>(progress)) {
            last_progress = now;
            const double mb = 1e-6 * static_cast<double>(src->position());
            fmt::print(stderr, "tunprobe report: {:.0f} s, file {}/{} ({}): {:.1f}{} MB, {} records in all\n",
                       std::chrono::duration<double>(now - t0).count(), i + 1, files.size(), in.path, mb,
                       src->size() ? fmt::format(" of {:.1f}", 1e-6 * static_cast<double>(src->size())) : "",
                       agg.records);
          }
        }
      }
      in.notes = src->notes();
      if (!filter.empty())
        in.notes = fmt::format("{}{} selected", in.notes.empty() ? "" : in.notes + "; ", group_digits(selected));
      if (!in.notes.empty() && !quiet) fmt::print(stderr, "tunprobe report: {}: {}\n", in.path, in.notes);
      if (in.errors > max_errors)
        fmt::print(stderr, "tunprobe report: {}: {} more error(s) not shown\n", in.path, in.errors - max_errors);
      inputs.push_back(std::move(in));
    }
    counts = agg.counts(ro.top);
  }

  // The report: JSON first (the charts script reads it), then the charts,
  // then the text that links them.
  Report report = build_report(counts, inputs, ro);
  bool write_failed = false;
  auto put = [&](const std::string& name, const std::string& text) {
    if (!write_file(out / name, text)) {
      fmt::print(stderr, "tunprobe report: cannot write {}\n", (out / name).string());
      write_failed = true;
    }
  };
  put("report.json", render_json(report));
  std::string charts_error;
  if (ro.charts) {
    charts_error = run_charts(script, out);
    if (!charts_error.empty()) {
      fmt::print(stderr, "tunprobe report: charts not drawn: {}\n", charts_error);
      for (Table& t : report.tables) t.charts.clear();
      report.summary.push_back("Charts not drawn: " + charts_error + ".");
    }
  }
  put("report.md", render_markdown(report));
  put("index.html", render_html(report));
  for (const Table& t : report.tables)
    if (t.in_text) put(t.id + ".csv", render_csv(t));

  if (!quiet)
    fmt::print(stderr, "tunprobe report: {} records from {}, {} error(s), in {:.2f} s -> {}\n", counts.records,
               table ? table->text : fmt::format("{} file(s)", files.size()), errors,
               std::chrono::duration<double>(clock::now() - t0).count(), (out / "report.md").string());
  return errors || write_failed || !charts_error.empty() ? 1 : 0;
}

}  // namespace tunprobe::cli
