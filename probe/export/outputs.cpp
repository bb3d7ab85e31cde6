#include "probe/export/outputs.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fmt/format.h>

#include "probe/base/startup_error.hpp"
#include "probe/records/flow_json.hpp"
#include "probe/export/clickhouse_output.hpp"
#include "probe/export/ipfix_output.hpp"

namespace tunprobe {

JsonOutput::JsonOutput(const std::string& path, const DecodeConfig& cfg) : path_(path), cfg_(cfg) {
  if (path == "-") {
    fd_ = STDOUT_FILENO;
    owned_ = false;
  } else {
    fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd_ < 0) throw StartupError{fmt::format("-o json:{}: cannot write: {}", path, std::strerror(errno))};
    owned_ = true;
  }
  buffer_.reserve(kBufferBytes + 4096);
}

JsonOutput::~JsonOutput() {
  flush();
  if (owned_) ::close(fd_);
}

void JsonOutput::reopen() {
  if (!owned_) return;
  flush();
  // Append: with copytruncate rotation the file is still there.
  const int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) {
    fmt::print(stderr, "tunprobe: SIGHUP: cannot reopen {}: {}; still writing to the old file\n", path_,
               std::strerror(errno));
    return;
  }
  ::close(fd_);
  fd_ = fd;
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
  append_flow_json(buffer_, rec, cfg_);
  buffer_ += '\n';
  if (buffer_.size() >= kBufferBytes) flush();
}

void JsonOutput::flush() {
  std::size_t done = 0;
  while (done < buffer_.size()) {
    const ssize_t n = ::write(fd_, buffer_.data() + done, buffer_.size() - done);
    if (n > 0) {
      done += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    // Charge the failure to the records not (wholly) written.
    uint64_t lost = 0;
    for (std::size_t i = done; i < buffer_.size(); ++i) lost += buffer_[i] == '\n';
    failed_ += lost;
    if (!reported_) {
      fmt::print(stderr, "tunprobe: -o json:{}: write failed: {}; its records are counted as failed, the run "
                 "goes on\n", path_, n < 0 ? std::strerror(errno) : "no progress");
      reported_ = true;
    }
    break;
  }
  buffer_.clear();
}

std::unique_ptr<FlowOutput> make_output(const OutputSpec& spec, const DecodeConfig& cfg) {
  if (spec.scheme == "json") return std::make_unique<JsonOutput>(spec.target, cfg);
  if (spec.scheme.rfind("ipfix", 0) == 0) return make_ipfix_output(spec, cfg);
  if (spec.scheme == "clickhouse") return make_clickhouse_output(spec, cfg);
  throw StartupError{fmt::format("-o {}:{}: unknown output", spec.scheme, spec.target)};
}

}  // namespace tunprobe
