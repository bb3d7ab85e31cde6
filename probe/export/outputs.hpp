// Flow outputs: the exporter thread hands every finished record to each of
// them. Only the exporter thread calls them.
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>

#include "probe/decode/decode_config.hpp"
#include "probe/export/output_spec.hpp"
#include "probe/flow/flow_record.hpp"

namespace tunprobe {

// What one output (-o) did with the records it was given. written =
// delivered + failed + dropped + buffered (buffered is 0 after the run).
struct OutputSummary {
  std::string output;          // as given with -o
  std::string profile;         // IPFIX outputs: the profile
  uint64_t written = 0;        // records handed to the output
  uint64_t delivered = 0;      // written to the file / sent (UDP) / acknowledged by the collector (TCP)
  uint64_t failed = 0;         // lost: write or send errors, undeliverable at exit
  uint64_t dropped = 0;        // TCP: beyond --export-buffer while the collector was away
  uint64_t buffered = 0;       // TCP: held for the collector now
  uint64_t buffered_peak = 0;  // TCP: the most held at once
  uint64_t send_errors = 0;    // failed writes/sends (messages)
  uint64_t messages = 0;       // IPFIX messages written or sent
  uint64_t connections = 0;    // TCP: connections made
  uint64_t files = 0;          // files written (rotation)
};

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
