#include "probe/report/source.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <system_error>

namespace fs = std::filesystem;

namespace tunprobe::report {

namespace {

// Error texts may quote the input (a JSON token, a libfixbuf message):
// bytes that are not printable ASCII are written as \xNN.
std::string printable(std::string_view s) {
  std::string out;
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c >= 0x20 && c < 0x7f) out += ch;
    else out += fmt::format("\\x{:02x}", c);
  }
  return out;
}

}  // namespace

std::string SourceError::message() const {
  if (line != 0) return fmt::format("{}: offset {} (line {}): {}", printable(path), offset, line, printable(what));
  return fmt::format("{}: offset {}: {}", printable(path), offset, printable(what));
}

namespace {

bool hidden(const fs::path& p) {
  const std::string name = p.filename().string();
  return !name.empty() && name[0] == '.';
}

// Every regular file under `dir`, by path, skipping dot-files and
// dot-directories (a collector's temporary files).
std::string expand_directory(const fs::path& dir, Format format, std::vector<InputFile>& files) {
  std::vector<std::string> found;
  std::error_code ec;
  fs::recursive_directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec);
  if (ec) return fmt::format("{}: {}", dir.string(), ec.message());
  for (const fs::recursive_directory_iterator end; it != end; it.increment(ec)) {
    if (ec) return fmt::format("{}: {}", dir.string(), ec.message());
    if (hidden(it->path())) {
      if (it->is_directory(ec)) it.disable_recursion_pending();
      continue;
    }
    if (it->is_regular_file(ec)) found.push_back(it->path().string());
  }
  std::sort(found.begin(), found.end());
  for (std::string& f : found) files.push_back({std::move(f), format});
  return {};
}

}  // namespace

std::string expand_inputs(const std::vector<std::string>& specs, std::vector<InputFile>& files) {
  for (const std::string& spec : specs) {
    Format format = Format::detect;
    std::string path = spec;
    if (spec.rfind("json:", 0) == 0) {
      format = Format::json;
      path = spec.substr(5);
    } else if (spec.rfind("ipfix:", 0) == 0) {
      format = Format::ipfix;
      path = spec.substr(6);
    } else if (const auto colon = spec.find(':'); colon != std::string::npos && colon > 1 &&
                                                  spec.find('/') > colon && !fs::exists(spec)) {
      return fmt::format("input '{}': unknown prefix '{}:'; inputs are ipfix:PATH, json:PATH, a file or a directory",
                         spec, spec.substr(0, colon));
    }
    if (path.empty()) return fmt::format("input '{}': no path", spec);
    if (path == "-") {
      if (format == Format::ipfix) return fmt::format("input '{}': IPFIX is read from files only", spec);
      files.push_back({path, Format::json});
      continue;
    }
    std::error_code ec;
    const fs::file_status st = fs::status(path, ec);
    if (ec || !fs::exists(st)) return fmt::format("input '{}': no such file or directory", spec);
    if (fs::is_directory(st)) {
      if (std::string err = expand_directory(path, format, files); !err.empty()) return fmt::format("input '{}': {}", spec, err);
      continue;
    }
    if (std::FILE* f = std::fopen(path.c_str(), "rb"))
      std::fclose(f);
    else
      return fmt::format("input '{}': cannot be read", spec);
    files.push_back({path, format});
  }
  return {};
}

std::unique_ptr<RecordSource> open_source(const InputFile& file, const SourceOptions& opt, SourceError& error) {
  error = SourceError{file.path, 0, 0, {}};
  Format format = file.format;
  if (format == Format::detect) {
    std::FILE* f = std::fopen(file.path.c_str(), "rb");
    if (!f) {
      error.what = "cannot be opened";
      return nullptr;
    }
    unsigned char head[256];
    const std::size_t n = std::fread(head, 1, sizeof head, f);
    std::fclose(f);
    std::size_t i = 0;
    while (i < n && (head[i] == ' ' || head[i] == '\t' || head[i] == '\r' || head[i] == '\n')) ++i;
    if (n >= 2 && head[0] == 0x00 && head[1] == 0x0a)
      format = Format::ipfix;
    else if (i == n || head[i] == '{')
      format = Format::json;  // an empty file is an empty JSON-lines file
    else {
      error.what = "unknown format: neither IPFIX (version 10) nor JSON lines ('{'); name it with ipfix: or json:";
      return nullptr;
    }
  }
  if (format == Format::ipfix) return open_ipfix_source(file.path, opt, error);
  return open_json_source(file.path, error);
}

bool RecordFilter::matches(const ReportFlow& f) const {
  if (has_from && f.start_ms < from_ms) return false;
  if (has_to && f.start_ms >= to_ms) return false;
  if (!odids.empty() && (!f.has_odid || std::find(odids.begin(), odids.end(), f.odid) == odids.end())) return false;
  return true;
}

std::string RecordFilter::describe() const {
  std::string s;
  if (has_from) s += "flows started from " + utc_text(from_ms);
  if (has_to) s += (s.empty() ? "flows started before " : ", before ") + utc_text(to_ms);
  if (!odids.empty()) {
    s += s.empty() ? "flows of observation domain " : ", observation domain ";
    for (std::size_t i = 0; i < odids.size(); ++i) s += fmt::format("{}{}", i ? ", " : "", odids[i]);
  }
  return s;
}

std::string utc_text(uint64_t ms) {
  const std::time_t s = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&s, &tm);
  return fmt::format("{:04}-{:02}-{:02} {:02}:{:02}:{:02}.{:03} UTC", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                     tm.tm_hour, tm.tm_min, tm.tm_sec, ms % 1000);
}

bool parse_utc_time(std::string_view t, uint64_t& ms) {
  if (!t.empty() && t.back() == 'Z') t.remove_suffix(1);
  if (t.empty()) return false;
  if (std::all_of(t.begin(), t.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    const auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), ms);
    return ec == std::errc{} && p == t.data() + t.size() && t.size() > 8;  // "20260101" is no time in ms
  }
  // Fixed fields: YYYY-MM-DD[(T| )HH:MM[:SS[.fff]]]
  auto num = [&](std::size_t at, std::size_t len, unsigned& v) {
    if (at + len > t.size()) return false;
    v = 0;
    for (std::size_t i = at; i < at + len; ++i) {
      if (t[i] < '0' || t[i] > '9') return false;
      v = v * 10 + static_cast<unsigned>(t[i] - '0');
    }
    return true;
  };
  unsigned y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0, frac = 0;
  if (!num(0, 4, y) || t.size() < 10 || t[4] != '-' || !num(5, 2, mo) || t[7] != '-' || !num(8, 2, d)) return false;
  std::size_t at = 10;
  if (at < t.size()) {
    if ((t[at] != 'T' && t[at] != ' ') || !num(at + 1, 2, h) || at + 3 >= t.size() || t[at + 3] != ':' ||
        !num(at + 4, 2, mi))
      return false;
    at += 6;
    if (at < t.size()) {
      if (t[at] != ':' || !num(at + 1, 2, s)) return false;
      at += 3;
      if (at < t.size()) {
        if (t[at] != '.' || at + 1 >= t.size() || t.size() - at - 1 > 3 || !num(at + 1, t.size() - at - 1, frac))
          return false;
        for (std::size_t n = t.size() - at - 1; n < 3; ++n) frac *= 10;
        at = t.size();
      }
    }
  }
  using namespace std::chrono;
  const year_month_day ymd{year{static_cast<int>(y)}, month{mo}, day{d}};
  if (!ymd.ok() || h > 23 || mi > 59 || s > 59 || y < 1970) return false;
  const int64_t days = sys_days{ymd}.time_since_epoch().count();
  ms = ((static_cast<uint64_t>(days) * 24 + h) * 60 + mi) * 60000ULL + s * 1000ULL + frac;
  return true;
}

}  // namespace tunprobe::report
