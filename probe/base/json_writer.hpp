// A minimal JSON object writer for the probe's own output lines (decode,
// flows, statistics): keys are fixed identifiers and values numbers,
// booleans or strings that never need escaping (addresses, enum names).
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

  void num(std::string_view key, uint64_t v) { fmt::format_to(std::back_inserter(key_(key)), "{}", v); }
  void str(std::string_view key, std::string_view v) { fmt::format_to(std::back_inserter(key_(key)), "\"{}\"", v); }
  void boolean(std::string_view key, bool v) { key_(key) += v ? "true" : "false"; }
  void raw(std::string_view key, std::string_view v) { key_(key) += v; }

 private:
  std::string& key_(std::string_view key) {
    if (!first_) out_ += ',';
    first_ = false;
    fmt::format_to(std::back_inserter(out_), "\"{}\":", key);
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
