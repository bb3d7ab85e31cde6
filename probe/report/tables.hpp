// From the aggregated counts to the report: the paper's Tables 1-6 (section
// 5 of Elich, Gregr, Celeda), Teredo servers, relays, high ports, the
// per-day tables, the inputs, and the counting rules written above them.
#pragma once

#include <string>
#include <vector>

#include "probe/report/aggregate.hpp"
#include "probe/report/table.hpp"

namespace tunprobe::report {

struct InputSummary {
  std::string path;
  std::string format;  // "json", "ipfix", or "" when it could not be opened
  uint64_t records = 0;
  uint64_t errors = 0;
  std::string first_error;  // SourceError::message() of the first error
  std::string notes;        // RecordSource::notes()
};

struct ReportOptions {
  bool per_day = false;  // per-day tables in report.md, index.html and CSV
  unsigned top = 10;     // rows in the top-N tables (ports, servers, relays)
  uint64_t exact_limit = 0;
  bool charts = true;  // link the charts
  std::string selection;  // RecordFilter::describe() of --from/--to/--odid ("" = every record)
};

// From the counts (the files' Aggregator::counts(), or ClickHouse's queries).
Report build_report(const ReportCounts& counts, const std::vector<InputSummary>& inputs, const ReportOptions& opt);
// From the files' one pass: build_report(agg.counts(opt.top), ...).
Report build_report(const Aggregator& agg, const std::vector<InputSummary>& inputs, const ReportOptions& opt);

// The counting rules, one item each (report.md, index.html, README).
std::vector<std::string> counting_rules(const ReportOptions& opt);

// "2026-01-01" for a UTC day number (days since 1970-01-01).
std::string day_name(int64_t day);

}  // namespace tunprobe::report
