// Flow outputs: the exporter thread hands every finished record to each of
// them. Only the exporter thread calls them.
#pragma once

#include <cstdio>
#include <memory>
#include <string>

#include "probe/decode/decode_config.hpp"
#include "probe/engine/engine.hpp"
#include "probe/flow/flow_record.hpp"
#include "probe/decode/decode_config.hpp"
#include "probe/export/output_spec.hpp"

namespace tunprobe {

class FlowOutput {
 public:
  virtual ~FlowOutput() = default;
  virtual void write(const FlowRecord& rec) = 0;
  // Called when the exporter is idle and at the end.
  virtual void flush() = 0;
  virtual std::string describe() const = 0;
  // SIGHUP: reopen files (after log rotation moved them). Default: nothing.
  virtual void reopen() {}
  // Records this output could not deliver (counted, reported at exit).
  virtual uint64_t failed() const { return 0; }
  // Called once after the last record: finish files, drain connections.
  virtual void close() {}
  // Per-output counts for the run summary.
  virtual OutputSummary summary() const;
};

// JSON lines, one flow per line, to a file or stdout. Buffered by us (not
// stdio) so that a failed write (disk full, a closed pipe) is charged to
// exactly the records it carried: they count as failed, the run goes on,
// the other outputs are not affected, and the first failure is reported.
class JsonOutput final : public FlowOutput {
 public:
  JsonOutput(const std::string& path, const DecodeConfig& cfg);  // throws StartupError
  ~JsonOutput() override;
  void write(const FlowRecord& rec) override;
  void flush() override;
  std::string describe() const override { return "json:" + path_; }
  void reopen() override;
  uint64_t failed() const override { return failed_; }
  OutputSummary summary() const override;

 private:
  static constexpr std::size_t kBufferBytes = 1 << 20;
  std::string path_;
  DecodeConfig cfg_;
  int fd_;
  bool owned_;
  std::string buffer_;
  uint64_t written_ = 0;
  uint64_t failed_ = 0;
  bool reported_ = false;
};

std::unique_ptr<FlowOutput> make_output(const OutputSpec& spec, const DecodeConfig& cfg);

}  // namespace tunprobe
