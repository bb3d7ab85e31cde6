#include "probe/report/source.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
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

}  // namespace tunprobe::report
