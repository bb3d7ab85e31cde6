#include <fmt/format.h>

#include <algorithm>

#include <nlohmann/json.hpp>

#include "probe/report/table.hpp"

namespace tunprobe::report {

bool Table::estimated() const {
  for (const auto& row : rows)
    for (const Cell& c : row)
      if (c.estimated) return true;
  return false;
}

std::string group_digits(uint64_t v) {
  const std::string d = std::to_string(v);
  std::string s;
  for (std::size_t i = 0; i < d.size(); ++i) {
    if (i != 0 && (d.size() - i) % 3 == 0) s += ',';
    s += d[i];
  }
  return s;
}

namespace {

constexpr std::string_view kApprox = "≈";

std::string cell_text(const Cell& c) {
  const std::string est = c.estimated ? std::string(kApprox) : "";
  switch (c.type) {
    case Cell::Type::none: return "";
    case Cell::Type::text: return c.text;
    case Cell::Type::integer: return est + group_digits(c.integer);
    case Cell::Type::number: return est + fmt::format("{:.1f}", c.number);
    case Cell::Type::share: return est + fmt::format("{:.2f} %", 100.0 * c.number);
  }
  return "";
}

bool right_aligned(const Table& t, std::size_t col) {
  for (const auto& row : t.rows)
    if (col < row.size() && row[col].type != Cell::Type::none) return row[col].type != Cell::Type::text;
  return false;
}

std::vector<std::size_t> visible(const Table& t) {
  std::vector<std::size_t> v;
  for (std::size_t i = 0; i < t.columns.size(); ++i)
    if (t.columns[i].in_text && static_cast<int>(i) != t.group_column) v.push_back(i);
  return v;
}

// The rows of each group, in order of first appearance (one group when the
// table has no group column).
std::vector<std::pair<std::string, std::vector<std::size_t>>> groups(const Table& t) {
  std::vector<std::pair<std::string, std::vector<std::size_t>>> g;
  for (std::size_t r = 0; r < t.rows.size(); ++r) {
    const std::string key = t.group_column >= 0 ? cell_text(t.rows[r][static_cast<std::size_t>(t.group_column)]) : "";
    auto it = std::find_if(g.begin(), g.end(), [&](const auto& p) { return p.first == key; });
    if (it == g.end()) {
      g.push_back({key, {}});
      it = g.end() - 1;
    }
    it->second.push_back(r);
  }
  if (g.empty()) g.push_back({"", {}});
  return g;
}

std::string md_escape(std::string s) {
  std::string out;
  for (const char ch : s) {
    if (ch == '|') out += '\\';
    out += ch;
  }
  return out;
}

std::string html_escape(std::string_view s) {
  std::string out;
  for (const char ch : s) {
    switch (ch) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += ch;
    }
  }
  return out;
}

// Markdown's `code`, **bold** and *emphasis* in notes and rules, as HTML.
// A lone '*' opens emphasis only before a non-space with a '*' later, and
// closes it only after a non-space (as Markdown's own rule): "type * 256"
// stays text.
std::string html_inline(std::string_view s) {
  std::string out;
  bool code = false, bold = false, em = false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '`') {
      out += code ? "</code>" : "<code>";
      code = !code;
    } else if (!code && s[i] == '*' && i + 1 < s.size() && s[i + 1] == '*') {
      out += bold ? "</b>" : "<b>";
      bold = !bold;
      ++i;
    } else if (!code && s[i] == '*' && !em && i + 1 < s.size() && s[i + 1] != ' ' &&
               s.find('*', i + 1) != std::string_view::npos) {
      out += "<i>";
      em = true;
    } else if (!code && s[i] == '*' && em && i > 0 && s[i - 1] != ' ') {
      out += "</i>";
      em = false;
    } else {
      out += html_escape(std::string_view(&s[i], 1));
    }
  }
  return out;
}

void md_table(std::string& out, const Table& t, const std::vector<std::size_t>& rows) {
  const std::vector<std::size_t> cols = visible(t);
  out += '|';
  for (std::size_t c : cols) out += ' ' + md_escape(t.columns[c].header) + " |";
  out += "\n|";
  for (std::size_t c : cols) out += right_aligned(t, c) ? " ---: |" : " --- |";
  out += '\n';
  for (std::size_t r : rows) {
    out += '|';
    for (std::size_t c : cols) out += ' ' + md_escape(cell_text(t.rows[r][c])) + " |";
    out += '\n';
  }
}

void html_table(std::string& out, const Table& t, const std::vector<std::size_t>& rows) {
  const std::vector<std::size_t> cols = visible(t);
  out += "<table>\n<tr>";
  for (std::size_t c : cols) out += "<th>" + html_escape(t.columns[c].header) + "</th>";
  out += "</tr>\n";
  for (std::size_t r : rows) {
    out += "<tr>";
    for (std::size_t c : cols)
      out += (right_aligned(t, c) ? "<td class=\"n\">" : "<td>") + html_escape(cell_text(t.rows[r][c])) + "</td>";
    out += "</tr>\n";
  }
  out += "</table>\n";
}

std::string estimated_note() {
  return fmt::format("{} marks an estimate: more distinct addresses than `--exact-limit` were held, so this count "
                     "comes from a HyperLogLog sketch (standard error {:.1f} %).",
                     kApprox, 100.0 * 1.04 / 128.0);
}

}  // namespace

std::string render_markdown(const Report& r) {
  std::string out = "# " + r.title + "\n\n";
  for (const std::string& p : r.summary) out += p + "\n\n";
  out += "Contents: ";
  bool first = true;
  for (const Table& t : r.tables) {
    if (!t.in_text) continue;
    out += (first ? "" : " · ") + fmt::format("[{}](#{})", t.title, t.id);
    first = false;
  }
  out += (first ? "" : " · ") + std::string("[Counting rules](#counting-rules)") + "\n\n";
  for (const Table& t : r.tables) {
    if (!t.in_text) continue;
    out += "<a id=\"" + t.id + "\"></a>\n\n## " + t.title + "\n\n";
    for (const auto& [name, rows] : groups(t)) {
      if (!name.empty()) out += "**" + name + "**\n\n";
      md_table(out, t, rows);
      out += '\n';
    }
    for (const std::string& n : t.notes) out += n + "\n\n";
    if (t.estimated()) out += estimated_note() + "\n\n";
    for (const ChartRef& c : t.charts) out += fmt::format("![{}](charts/{}.png)\n\n", c.title, c.stem);
  }
  // The rules last: the tables first for a reader, the rules for reference.
  out += "<a id=\"counting-rules\"></a>\n\n## Counting rules\n\n";
  for (const std::string& rule : r.rules) out += "- " + rule + "\n";
  return out;
}

std::string render_html(const Report& r) {
  std::string out =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>" + html_escape(r.title) +
      "</title>\n<style>\n"
      "body{font-family:system-ui,sans-serif;max-width:70em;margin:2em auto;padding:0 1em;color:#222}\n"
      "table{border-collapse:collapse;margin:.5em 0 1em}\n"
      "th,td{border:1px solid #ccc;padding:.2em .6em}\nth{background:#f0f0f0}\ntd.n{text-align:right}\n"
      "img{max-width:100%;border:1px solid #eee;margin:.5em 0}\ncode{background:#f4f4f4}\n"
      "</style>\n</head>\n<body>\n<h1>" +
      html_escape(r.title) + "</h1>\n";
  for (const std::string& p : r.summary) out += "<p>" + html_inline(p) + "</p>\n";
  out += "<nav><b>Contents</b><ul>\n";
  for (const Table& t : r.tables)
    if (t.in_text) out += "<li><a href=\"#" + t.id + "\">" + html_escape(t.title) + "</a></li>\n";
  out += "<li><a href=\"#counting-rules\">Counting rules</a></li>\n</ul></nav>\n";
  // The rules folded: a reader opens them when a number needs explaining.
  out += "<details id=\"counting-rules\">\n<summary><b>Counting rules</b></summary>\n<ul>\n";
  for (const std::string& rule : r.rules) out += "<li>" + html_inline(rule) + "</li>\n";
  out += "</ul>\n</details>\n";
  for (const Table& t : r.tables) {
    if (!t.in_text) continue;
    out += "<h2 id=\"" + t.id + "\">" + html_escape(t.title) + "</h2>\n";
    for (const auto& [name, rows] : groups(t)) {
      if (!name.empty()) out += "<h3>" + html_escape(name) + "</h3>\n";
      html_table(out, t, rows);
    }
    for (const std::string& n : t.notes) out += "<p>" + html_inline(n) + "</p>\n";
    if (t.estimated()) out += "<p>" + html_inline(estimated_note()) + "</p>\n";
    for (const ChartRef& c : t.charts)
      out += fmt::format("<p><img src=\"charts/{}.svg\" alt=\"{}\"></p>\n", c.stem, html_escape(c.title));
  }
  out += "</body>\n</html>\n";
  return out;
}

std::string render_csv(const Table& t) {
  auto quote = [](const std::string& s) {
    if (s.find_first_of(",\"\n") == std::string::npos) return s;
    std::string q = "\"";
    for (const char ch : s) {
      if (ch == '"') q += '"';
      q += ch;
    }
    return q + '"';
  };
  std::string out;
  for (std::size_t c = 0; c < t.columns.size(); ++c) {
    if (c) out += ',';
    out += quote(t.columns[c].key);
  }
  out += '\n';
  for (const auto& row : t.rows) {
    for (std::size_t c = 0; c < row.size(); ++c) {
      if (c) out += ',';
      const Cell& cell = row[c];
      switch (cell.type) {
        case Cell::Type::none: break;
        case Cell::Type::text: out += quote(cell.text); break;
        case Cell::Type::integer: out += std::to_string(cell.integer); break;
        case Cell::Type::number:
        case Cell::Type::share: out += fmt::format("{}", cell.number); break;
      }
    }
    out += '\n';
  }
  return out;
}

std::string render_json(const Report& r) {
  using nlohmann::ordered_json;
  ordered_json j = r.json_meta.empty() ? ordered_json::object() : ordered_json::parse(r.json_meta);
  j["title"] = r.title;
  j["summary"] = r.summary;
  j["rules"] = r.rules;
  ordered_json tables = ordered_json::object();
  for (const Table& t : r.tables) {
    ordered_json tj;
    tj["title"] = t.title;
    tj["estimated"] = t.estimated();
    tj["inText"] = t.in_text;
    ordered_json cols = ordered_json::array(), heads = ordered_json::array();
    for (const Column& c : t.columns) {
      cols.push_back(c.key);
      heads.push_back(c.header);
    }
    tj["columns"] = cols;
    tj["headers"] = heads;
    ordered_json rows = ordered_json::array();
    for (const auto& row : t.rows) {
      ordered_json o = ordered_json::object();
      for (std::size_t c = 0; c < row.size() && c < t.columns.size(); ++c) {
        const Cell& cell = row[c];
        ordered_json& v = o[t.columns[c].key];
        switch (cell.type) {
          case Cell::Type::none: v = nullptr; break;
          case Cell::Type::text: v = cell.text; break;
          case Cell::Type::integer: v = cell.integer; break;
          case Cell::Type::number:
          case Cell::Type::share: v = cell.number; break;
        }
      }
      rows.push_back(std::move(o));
    }
    tj["rows"] = rows;
    tj["notes"] = t.notes;
    ordered_json charts = ordered_json::array();
    for (const ChartRef& c : t.charts) charts.push_back({{"stem", c.stem}, {"title", c.title}});
    tj["charts"] = charts;
    tables[t.id] = std::move(tj);
  }
  j["tables"] = std::move(tables);
  return j.dump(1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

}  // namespace tunprobe::report
