// The report as data: tables of typed cells, rendered four ways
// (render.cpp): Markdown (report.md), HTML (index.html), CSV (one file per
// table) and JSON (report.json, which the charts script and the tests read).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace tunprobe::report {

struct Cell {
  enum class Type : uint8_t { none, text, integer, number, share };
  Type type = Type::none;
  std::string text;
  uint64_t integer = 0;
  double number = 0;  // number, or share in [0, 1]
  bool estimated = false;

  static Cell str(std::string s) { return {Type::text, std::move(s), 0, 0, false}; }
  static Cell count(uint64_t v, bool est = false) { return {Type::integer, {}, v, 0, est}; }
  static Cell real(double v, bool est = false) { return {Type::number, {}, 0, v, est}; }
  // part / whole, 0 when whole is 0.
  static Cell share(uint64_t part, uint64_t whole, bool est = false) {
    return {Type::share, {}, 0, whole ? static_cast<double>(part) / static_cast<double>(whole) : 0.0, est};
  }
  static Cell share_of(double part, double whole, bool est = false) {
    return {Type::share, {}, 0, whole != 0 ? part / whole : 0.0, est};
  }
};

struct Column {
  std::string key;     // JSON key and CSV header
  std::string header;  // Markdown / HTML header
  bool in_text = true;  // shown in report.md and index.html (always in CSV and JSON)
};

struct ChartRef {
  std::string stem;  // charts/STEM.png and charts/STEM.svg
  std::string title;
};

struct Table {
  std::string id;     // CSV file name (ID.csv) and JSON key
  std::string title;  // "Table 1: ..."
  std::vector<Column> columns;
  std::vector<std::vector<Cell>> rows;
  int group_column = -1;  // >= 0: the text renders one sub-table per value of this column
  std::vector<std::string> notes;  // paragraphs under the table
  std::vector<ChartRef> charts;    // shown after the table
  bool in_text = true;             // false: only in report.json
  bool estimated() const;
};

struct Report {
  std::string title;
  std::vector<std::string> summary;  // paragraphs at the top
  std::vector<std::string> rules;    // the counting rules, one item each
  std::vector<Table> tables;
  std::string json_meta;  // a JSON object (text) merged into report.json's top level
};

std::string render_markdown(const Report& r);
std::string render_html(const Report& r);
std::string render_csv(const Table& t);
std::string render_json(const Report& r);

// 1234567 -> "1,234,567"
std::string group_digits(uint64_t v);

}  // namespace tunprobe::report
