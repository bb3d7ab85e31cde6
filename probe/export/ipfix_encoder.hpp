// The IPFIX encoder: one libfixbuf session (one IPFIX Transport Session: a
// file, a TCP connection, a UDP exporter) with the templates of an export
// profile, writing into a FILE* of ours (fopencookie). It cuts libfixbuf's
// byte stream into whole messages and hands each to its sink with the
// number of data records it carries: that is what lets the transports
// count deliveries and failures per record.
//
// Also here: OutputBase, what the three IPFIX outputs (ipfix_file,
// ipfix_udp, ipfix_tcp) share: the profile, one encoder, the counts of the
// run summary and error lines that are not repeated. Only the exporter
// thread calls an output, so only it touches libfixbuf.
#pragma once

#include <fixbuf/public.h>
#include <netdb.h>

#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>
#include <unordered_map>

#include "probe/decode/decode_config.hpp"
#include "probe/export/mono_clock.hpp"
#include "probe/export/output_spec.hpp"
#include "probe/export/outputs.hpp"
#include "probe/flow/flow_record.hpp"
#include "probe/records/ipfix_elements.hpp"

namespace tunprobe::ipfix {

using tunprobe::mono_ms;

// A partial message goes out once its oldest record is this old (the
// exporter calls flush() whenever it is idle).
inline constexpr uint64_t kEmitAgeMs = 100;

class Encoder {
 public:
  using Sink = std::function<void(const uint8_t* msg, std::size_t len, uint32_t records)>;

  Encoder(const Profile& profile, const IpfixSettings& s, std::size_t max_message, const DecodeConfig& cfg, Sink sink);
  ~Encoder();
  Encoder(const Encoder&) = delete;
  Encoder& operator=(const Encoder&) = delete;

  bool active() const { return fbuf_ != nullptr; }
  uint32_t unemitted() const { return unemitted_; }
  uint64_t first_unemitted_ms() const { return first_unemitted_ms_; }
  const std::string& error() const { return error_; }

  // A new session: its first message holds the templates.
  bool begin();
  // Ends the session; emit_rest: send what is buffered first.
  void end(bool emit_rest);
  // One record into the current message; a full message goes out first.
  bool append(const FlowRecord& r);
  // The current message goes out.
  bool emit();
  // Sends what is buffered, then a message with every template.
  bool export_templates();

 private:
  static ssize_t cookie_write(void* self, const char* buf, std::size_t size);
  // Cuts the byte stream into messages and counts the data records of each.
  void frame(const uint8_t* b, std::size_t n);

  const Profile& profile_;
  uint32_t pen_;
  uint32_t odid_;
  std::size_t max_message_;
  DecodeConfig cfg_;
  Sink sink_;
  fbInfoModel_t* model_ = nullptr;
  fBuf_t* fbuf_ = nullptr;
  FILE* fp_ = nullptr;
  bool discard_ = false;
  std::string partial_;
  std::unordered_map<uint16_t, std::size_t> record_len_;
  uint16_t fb_tid_ = 0;      // template libfixbuf is set to
  uint16_t set_tid_ = 0;     // template of the current set (size estimate)
  std::size_t msg_bytes_ = 16;
  uint32_t unemitted_ = 0;
  uint64_t first_unemitted_ms_ = 0;
  std::string error_;
};

// The profile an output uses: its own ?profile=, else --profile. Throws
// StartupError for an unknown name.
const Profile& profile_of(const OutputSpec& spec);

// What the IPFIX outputs share. A transport implements on_message(): what
// to do with each whole message the encoder cuts.
class OutputBase : public FlowOutput {
 public:
  OutputBase(const OutputSpec& spec, const DecodeConfig& cfg, std::size_t max_message);
  std::string describe() const override { return spec_.text(); }
  uint64_t failed() const override { return st_.failed; }
  OutputSummary summary() const override { return st_; }

 protected:
  virtual void on_message(const uint8_t* m, std::size_t n, uint32_t records) = 0;

  void encode(const FlowRecord& r) {
    if (!enc_.append(r)) note_error(enc_.error());
  }
  // Emits a partial message when its oldest record is old enough (or now).
  void maybe_emit(bool now);
  // One line on stderr, not repeated while the error stays the same.
  void note_error(const std::string& what);

  OutputSpec spec_;
  const Profile& profile_;
  Encoder enc_;
  OutputSummary st_;
  std::string last_error_;
};

// The collector's addresses (UDP and TCP outputs); throws StartupError when
// the host does not resolve. The caller frees the list (freeaddrinfo).
addrinfo* resolve_collector(const OutputSpec& spec, int socktype);

}  // namespace tunprobe::ipfix
