// A minimal JSON object writer for the probe's own output lines (decode,
// flows, statistics): keys are fixed identifiers; values are numbers,
// booleans or strings. Strings are escaped (RFC 8259 section 7) when they
// need it: addresses and enum names never do, user-given paths may.
#pragma once

#include <cstdint>
#include <fmt/format.h>
#include <iterator>
#include <string>
#include <string_view>

namespace tunprobe {

class JsonObject {
 public:
  explicit JsonObject(std::string& out) : out_(out) { out_ += '{'; }
  ~JsonObject() { out_ += '}'; }
  JsonObject(const JsonObject&) = delete;
  JsonObject& operator=(const JsonObject&) = delete;

  void num(std::string_view key, uint64_t v) {
    const fmt::format_int digits(v);  // no format string to parse: a record has ~25 numbers
    key_(key).append(digits.data(), digits.size());
  }
  void str(std::string_view key, std::string_view v) {
    std::string& o = key_(key);
    o += '"';
    append_escaped(o, v);
    o += '"';
  }
  void boolean(std::string_view key, bool v) { key_(key) += v ? "true" : "false"; }
  void raw(std::string_view key, std::string_view v) { key_(key) += v; }

 private:
  static bool plain(std::string_view v) {
    for (const char c : v)
      if (c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20) return false;
    return true;
  }
  static void append_escaped(std::string& o, std::string_view v) {
    if (plain(v)) {  // addresses and names: appended whole
      o.append(v);
      return;
    }
    for (const char c : v) {
      const auto u = static_cast<unsigned char>(c);
      if (c == '"' || c == '\\') {
        o += '\\';
        o += c;
      } else if (u < 0x20) {
        fmt::format_to(std::back_inserter(o), "\\u{:04x}", u);
      } else {
        o += c;
      }
    }
  }
  std::string& key_(std::string_view key) {
    if (!first_) out_ += ',';
    first_ = false;
    out_ += '"';
    out_.append(key);
    out_.append("\":", 2);
    return out_;
  }
  std::string& out_;
  bool first_ = true;
};

// A JSON array with one object per item: `fill(JsonObject&, const Item&)`
// writes each object's members.
template <typename Seq, typename Fill>
std::string json_array(const Seq& items, Fill fill) {
  std::string out = "[";
  bool first = true;
  for (const auto& item : items) {
    if (!first) out += ',';
    first = false;
    JsonObject o(out);
    fill(o, item);
  }
  out += ']';
  return out;
}

}  // namespace tunprobe
