#include "probe/outputs.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fmt/format.h>

#include "probe/engine.hpp"
#include "probe/flow_json.hpp"
#include "probe/ipfix_output.hpp"

namespace tunprobe {

JsonOutput::JsonOutput(const std::string& path, const DecodeConfig& cfg) : path_(path), cfg_(cfg) {
  if (path == "-") {
    file_ = stdout;
    owned_ = false;
  } else {
    file_ = std::fopen(path.c_str(), "w");
    if (file_ == nullptr) throw StartupError{fmt::format("-o json:{}: cannot write: {}", path, std::strerror(errno))};
    owned_ = true;
  }
  std::setvbuf(file_, nullptr, _IOFBF, 1 << 20);
}

JsonOutput::~JsonOutput() {
  if (owned_) std::fclose(file_);
  else std::fflush(file_);
}

void JsonOutput::reopen() {
  if (!owned_) return;
  std::fflush(file_);
  // Append: with copytruncate rotation the file is still there.
  if (std::FILE* f = std::fopen(path_.c_str(), "a")) {
    std::fclose(file_);
    file_ = f;
    std::setvbuf(file_, nullptr, _IOFBF, 1 << 20);
  } else {
    fmt::print(stderr, "tunprobe: SIGHUP: cannot reopen {}: {}; still writing to the old file\n", path_,
               std::strerror(errno));
  }
}

OutputSummary FlowOutput::summary() const {
  OutputSummary s;
  s.output = describe();
  s.failed = failed();
  return s;
}

OutputSummary JsonOutput::summary() const {
  OutputSummary s;
  s.output = describe();
  s.written = written_;
  s.failed = std::min(failed_, written_);
  s.delivered = written_ - s.failed;
  return s;
}

void JsonOutput::write(const FlowRecord& rec) {
  ++written_;
  line_.clear();
  append_flow_json(line_, rec, cfg_);
  line_ += '\n';
  if (std::fwrite(line_.data(), 1, line_.size(), file_) != line_.size()) ++failed_;
}

void JsonOutput::flush() {
  if (std::fflush(file_) != 0) ++failed_;
}

std::unique_ptr<FlowOutput> make_output(const OutputSpec& spec, const DecodeConfig& cfg) {
  if (spec.scheme == "json") return std::make_unique<JsonOutput>(spec.target, cfg);
  if (spec.scheme.rfind("ipfix", 0) == 0) return make_ipfix_output(spec, cfg);
  throw StartupError{fmt::format("-o {}:{}: unknown output", spec.scheme, spec.target)};
}

}  // namespace tunprobe
