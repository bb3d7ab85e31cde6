#include "probe/export/ipfix_output.hpp"

#include <fixbuf/public.h>
#include <linux/sockios.h>
#include <netdb.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <deque>
#include <fmt/format.h>
#include <functional>
#include <unordered_map>

#include "probe/records/ipfix_elements.hpp"

namespace tunprobe {

namespace {

using namespace ipfix;

uint64_t mono_ms() {
  timespec t{};
  clock_gettime(CLOCK_MONOTONIC, &t);
  return static_cast<uint64_t>(t.tv_sec) * 1000u + static_cast<uint64_t>(t.tv_nsec) / 1000000u;
}

// A partial message goes out once its oldest record is this old (the
// exporter calls flush() whenever it is idle).
constexpr uint64_t kEmitAgeMs = 100;

std::string fixbuf_error(GError*& err, const char* what) {
  std::string s = fmt::format("{}: {}", what, err != nullptr ? err->message : "unknown libfixbuf error");
  if (err != nullptr) g_clear_error(&err);
  return s;
}

// ------------------------------------------------------------- encoder

// One libfixbuf session (one IPFIX Transport Session: a file, a TCP
// connection, a UDP exporter) writing into a FILE* of ours. Whole messages
// come out through the sink, with the number of data records in each.
class Encoder {
 public:
  using Sink = std::function<void(const uint8_t* msg, std::size_t len, uint32_t records)>;

  Encoder(const Profile& profile, const IpfixSettings& s, std::size_t max_message, const DecodeConfig& cfg, Sink sink)
      : profile_(profile), pen_(s.pen), odid_(s.odid), max_message_(max_message), cfg_(cfg), sink_(std::move(sink)) {
    model_ = make_info_model(pen_);
    for (uint16_t i = 0; i < profile_.template_count; ++i)
      record_len_[profile_.templates[i].id] = record_length(profile_.templates[i]);
  }
  ~Encoder() {
    end(false);
    fbInfoModelFree(model_);
  }
  Encoder(const Encoder&) = delete;
  Encoder& operator=(const Encoder&) = delete;

  bool active() const { return fbuf_ != nullptr; }
  uint32_t unemitted() const { return unemitted_; }
  uint64_t first_unemitted_ms() const { return first_unemitted_ms_; }
  const std::string& error() const { return error_; }

  // A new session: its first message holds the templates.
  bool begin() {
    end(false);
    fbSession_t* session = fbSessionAlloc(model_);
    fbSessionSetDomain(session, odid_);
    for (uint16_t i = 0; i < profile_.template_count; ++i) {
      const Template& t = profile_.templates[i];
      for (const gboolean internal : {gboolean{FALSE}, gboolean{TRUE}}) {
        fbTemplate_t* tmpl = make_template(model_, t, pen_, error_);
        GError* err = nullptr;
        if (tmpl == nullptr || fbSessionAddTemplate(session, internal, t.id, tmpl, &err) == 0) {
          if (tmpl != nullptr) {
            error_ = fixbuf_error(err, "fbSessionAddTemplate");
            fbTemplateFreeUnused(tmpl);
          }
          fbSessionFree(session);
          return false;
        }
      }
    }
    cookie_io_functions_t io{nullptr, &Encoder::cookie_write, nullptr, nullptr};
    fp_ = fopencookie(this, "w", io);
    if (fp_ == nullptr) {
      error_ = fmt::format("fopencookie: {}", std::strerror(errno));
      fbSessionFree(session);
      return false;
    }
    std::setvbuf(fp_, nullptr, _IONBF, 0);
    discard_ = false;
    partial_.clear();
    // The buffer owns the session and the exporter from here on.
    fbuf_ = fBufAllocForExport(session, fbExporterAllocFP(fp_));
    fb_tid_ = 0;
    msg_bytes_ = 16;
    set_tid_ = 0;
    unemitted_ = 0;
    return export_templates();
  }

  // Ends the session; emit: send what is buffered first.
  void end(bool emit_rest) {
    if (fbuf_ == nullptr) return;
    if (emit_rest) emit();
    discard_ = true;  // nothing more reaches the sink
    fBufFree(fbuf_);
    fbuf_ = nullptr;
    std::fclose(fp_);
    fp_ = nullptr;
    unemitted_ = 0;
  }

  bool append(const FlowRecord& r) {
    const Template& t = template_for(profile_, r.key);
    uint8_t rec[kMaxRecordBytes];
    const std::size_t len = encode_record(t, r, cfg_, rec);
    const std::size_t need = len + (t.id != set_tid_ ? 4 : 0);
    if (msg_bytes_ + need > max_message_ && unemitted_ > 0 && !emit()) return false;
    GError* err = nullptr;
    if (t.id != fb_tid_) {
      if (!fBufSetInternalTemplate(fbuf_, t.id, &err) || !fBufSetExportTemplate(fbuf_, t.id, &err)) {
        error_ = fixbuf_error(err, "fBufSetExportTemplate");
        return false;
      }
      fb_tid_ = t.id;
    }
    if (t.id != set_tid_) {
      msg_bytes_ += 4;
      set_tid_ = t.id;
    }
    if (!fBufAppend(fbuf_, rec, len, &err)) {
      error_ = fixbuf_error(err, "fBufAppend");
      return false;
    }
    msg_bytes_ += len;
    if (unemitted_++ == 0) first_unemitted_ms_ = mono_ms();
    return true;
  }

  bool emit() {
    if (fbuf_ == nullptr) return false;
    GError* err = nullptr;
    const bool ok = fBufEmit(fbuf_, &err);
    if (!ok) error_ = fixbuf_error(err, "fBufEmit");
    msg_bytes_ = 16;
    set_tid_ = 0;
    unemitted_ = 0;
    return ok;
  }

  // Sends what is buffered, then a message with every template.
  bool export_templates() {
    if (unemitted_ > 0) emit();
    GError* err = nullptr;
    if (!fbSessionExportTemplates(fBufGetSession(fbuf_), &err)) {
      error_ = fixbuf_error(err, "fbSessionExportTemplates");
      return false;
    }
    fb_tid_ = 0;  // libfixbuf switched to the template set
    return emit();
  }

 private:
  static ssize_t cookie_write(void* self, const char* buf, std::size_t size) {
    static_cast<Encoder*>(self)->frame(reinterpret_cast<const uint8_t*>(buf), size);
    return static_cast<ssize_t>(size);
  }

  // Cuts the byte stream into messages (version 10, length at 2..3) and
  // counts the data records of each (all our templates are fixed-length).
  void frame(const uint8_t* b, std::size_t n) {
    if (discard_) return;
    partial_.append(reinterpret_cast<const char*>(b), n);
    std::size_t off = 0;
    while (partial_.size() - off >= 16) {
      const auto* m = reinterpret_cast<const uint8_t*>(partial_.data()) + off;
      const std::size_t len = static_cast<std::size_t>(m[2]) << 8 | m[3];
      if (len < 16 || m[0] != 0 || m[1] != 10) {  // cannot happen: libfixbuf writes messages
        partial_.clear();
        return;
      }
      if (partial_.size() - off < len) break;
      uint32_t records = 0;
      for (std::size_t s = 16; s + 4 <= len;) {
        const uint16_t sid = static_cast<uint16_t>(m[s] << 8 | m[s + 1]);
        const std::size_t slen = static_cast<std::size_t>(m[s + 2]) << 8 | m[s + 3];
        if (slen < 4) break;
        if (auto it = record_len_.find(sid); sid >= 256 && it != record_len_.end() && it->second > 0)
          records += static_cast<uint32_t>((slen - 4) / it->second);
        s += slen;
      }
      sink_(m, len, records);
      off += len;
    }
    partial_.erase(0, off);
  }

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

// ------------------------------------------------------------- base

const Profile& profile_of(const OutputSpec& spec) {
  const std::string& name = spec.profile.empty() ? spec.ipfix.profile : spec.profile;
  const Profile* p = find_profile(name);
  if (p == nullptr)
    throw StartupError{fmt::format("-o {}: unknown profile '{}'; profiles are {}", spec.text(), name, profile_names())};
  return *p;
}

class IpfixOutputBase : public FlowOutput {
 public:
  IpfixOutputBase(const OutputSpec& spec, const DecodeConfig& cfg, std::size_t max_message)
      : spec_(spec),
        profile_(profile_of(spec)),
        enc_(profile_, spec.ipfix, max_message, cfg,
             [this](const uint8_t* m, std::size_t n, uint32_t records) { on_message(m, n, records); }) {
    st_.output = spec.text();
    st_.profile = profile_.name;
  }
  std::string describe() const override { return spec_.text(); }
  uint64_t failed() const override { return st_.failed; }
  OutputSummary summary() const override { return st_; }

 protected:
  virtual void on_message(const uint8_t* m, std::size_t n, uint32_t records) = 0;

  void encode(const FlowRecord& r) {
    if (!enc_.append(r)) note_error(enc_.error());
  }
  // Emits a partial message when its oldest record is old enough (or now).
  void maybe_emit(bool now) {
    if (enc_.active() && enc_.unemitted() > 0 && (now || mono_ms() - enc_.first_unemitted_ms() >= kEmitAgeMs))
      if (!enc_.emit()) note_error(enc_.error());
  }
  void note_error(const std::string& what) {
    if (what == last_error_) return;
    last_error_ = what;
    fmt::print(stderr, "tunprobe: -o {}: {}\n", spec_.text(), what);
  }

  OutputSpec spec_;
  const Profile& profile_;
  Encoder enc_;
  OutputSummary st_;
  std::string last_error_;
};

// ------------------------------------------------------------- file

class FileOutput final : public IpfixOutputBase {
 public:
  FileOutput(const OutputSpec& spec, const DecodeConfig& cfg) : IpfixOutputBase(spec, cfg, 65000) {
    const bool pattern = spec.target.find('%') != std::string::npos;
    rotate_s_ = spec.ipfix.rotate_s;
    if (rotate_s_ > 0 && !pattern)
      throw StartupError{fmt::format("-o {}: --rotate needs a file name pattern with strftime fields, e.g. "
                                     "ipfix:/data/tunprobe-%Y%m%d-%H%M%S.ipfix",
                                     spec.text())};
    if (rotate_s_ > 0 && spec.target == "-")
      throw StartupError{fmt::format("-o {}: --rotate needs files, not stdout", spec.text())};
    std::string err;
    if (!open_file(std::time(nullptr), err)) throw StartupError{fmt::format("-o {}: {}", spec.text(), err)};
  }
  ~FileOutput() override { close(); }

  void write(const FlowRecord& r) override {
    ++st_.written;
    if (rotate_s_ > 0 || file_ == nullptr) rotate_if_due();
    if (!enc_.active()) {
      ++st_.failed;
      return;
    }
    encode(r);
  }

  void flush() override {
    if (rotate_s_ > 0 || file_ == nullptr) rotate_if_due();
    if (enc_.active() && enc_.unemitted() > 0) {
      maybe_emit(false);
      if (enc_.unemitted() == 0 && std::fflush(file_) != 0) ++st_.send_errors;
    }
  }

  void close() override {
    closed_ = true;
    if (file_ == nullptr) return;
    enc_.end(true);
    close_file();
  }

  // SIGHUP (log rotation): the file is closed and opened again, appending
  // a new session (templates first) when it is still there; with --rotate a
  // new period's file starts.
  void reopen() override {
    if (file_ == nullptr || file_ == stdout) return;
    enc_.end(true);
    close_file();
    std::string err;
    if (!open_file(std::time(nullptr), err, "ab")) {
      note_error("SIGHUP: " + err);
      retry_at_ = std::time(nullptr) + 1;
    }
  }

 private:
  void on_message(const uint8_t* m, std::size_t n, uint32_t records) override {
    ++st_.messages;
    if (file_ != nullptr && std::fwrite(m, 1, n, file_) == n) {
      st_.delivered += records;
    } else {
      st_.failed += records;
      ++st_.send_errors;
      note_error(fmt::format("cannot write {}: {}", name_, std::strerror(errno)));
    }
  }

  bool open_file(std::time_t now, std::string& err, const char* mode = "wb") {
    if (rotate_s_ > 0) {
      period_start_ = now - now % rotate_s_;
      std::tm tm{};
      gmtime_r(&period_start_, &tm);
      char buf[4096];
      if (std::strftime(buf, sizeof buf, spec_.target.c_str(), &tm) == 0) {
        err = "the file name pattern expands to nothing";
        return false;
      }
      name_ = buf;
    } else {
      name_ = spec_.target;
    }
    if (name_ == "-") {
      file_ = stdout;
    } else {
      file_ = std::fopen(name_.c_str(), mode);
      if (file_ == nullptr) {
        err = fmt::format("cannot write {}: {}", name_, std::strerror(errno));
        return false;
      }
      std::setvbuf(file_, nullptr, _IOFBF, 1 << 20);
    }
    ++st_.files;
    if (!enc_.begin()) {
      err = enc_.error();
      close_file();
      return false;
    }
    return true;
  }

  void close_file() {
    if (file_ == nullptr) return;
    if (file_ == stdout) {
      if (std::fflush(file_) != 0) ++st_.send_errors;
    } else if (std::fclose(file_) != 0) {
      ++st_.send_errors;
      note_error(fmt::format("cannot write {}: {}", name_, std::strerror(errno)));
    }
    file_ = nullptr;
  }

  void rotate_if_due() {
    if (closed_) return;
    const std::time_t now = std::time(nullptr);
    if (file_ != nullptr && now < period_start_ + static_cast<std::time_t>(rotate_s_)) return;
    if (file_ == nullptr && now < retry_at_) return;
    const std::string old = name_;
    enc_.end(true);
    close_file();
    std::string err;
    if (!open_file(now, err, rotate_s_ > 0 ? "wb" : "ab")) {
      note_error(err);
      retry_at_ = now + 1;
    } else if (rotate_s_ > 0 && name_ == old) {
      // The pattern has no field that changes this often: same file name.
      note_error(fmt::format("--rotate {}: file name {} repeats (the pattern needs finer time fields); overwritten",
                             rotate_s_, name_));
    }
  }

  uint32_t rotate_s_ = 0;
  bool closed_ = false;
  std::time_t period_start_ = 0;
  std::time_t retry_at_ = 0;
  std::string name_;
  FILE* file_ = nullptr;
};

// ------------------------------------------------------------- network

addrinfo* resolve(const OutputSpec& spec, int socktype) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = socktype;
  addrinfo* ai = nullptr;
  const std::string port = std::to_string(spec.port);
  if (int rc = getaddrinfo(spec.host.c_str(), port.c_str(), &hints, &ai); rc != 0 || ai == nullptr)
    throw StartupError{fmt::format("-o {}: cannot resolve '{}': {}", spec.text(), spec.host, gai_strerror(rc))};
  return ai;
}

class UdpOutput final : public IpfixOutputBase {
 public:
  UdpOutput(const OutputSpec& spec, const DecodeConfig& cfg, std::size_t max_message)
      : IpfixOutputBase(spec, cfg, max_message), refresh_ms_(uint64_t{spec.ipfix.template_refresh_s} * 1000) {
    addrinfo* ai = resolve(spec, SOCK_DGRAM);
    for (addrinfo* a = ai; a != nullptr && fd_ < 0; a = a->ai_next) {
      fd_ = socket(a->ai_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
      if (fd_ >= 0 && connect(fd_, a->ai_addr, a->ai_addrlen) != 0) {
        ::close(fd_);
        fd_ = -1;
      }
    }
    freeaddrinfo(ai);
    if (fd_ < 0) throw StartupError{fmt::format("-o {}: cannot open a UDP socket: {}", spec.text(), std::strerror(errno))};
    const int sndbuf = 4 << 20;
    setsockopt(fd_, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
    if (!enc_.begin()) throw StartupError{fmt::format("-o {}: {}", spec.text(), enc_.error())};
    last_templates_ms_ = mono_ms();
  }
  ~UdpOutput() override {
    close();
    if (fd_ >= 0) ::close(fd_);
  }

  void write(const FlowRecord& r) override {
    ++st_.written;
    refresh_if_due();
    encode(r);
  }
  void flush() override {
    refresh_if_due();
    maybe_emit(false);
  }
  void close() override {
    if (enc_.active()) enc_.end(true);
  }

 private:
  void on_message(const uint8_t* m, std::size_t n, uint32_t records) override {
    ++st_.messages;
    // A connected UDP socket reports the ICMP errors of earlier datagrams
    // (no collector listening) on a later send: counted, never fatal.
    const ssize_t sent = send(fd_, m, n, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (sent == static_cast<ssize_t>(n)) {
      st_.delivered += records;
    } else {
      st_.failed += records;
      ++st_.send_errors;
    }
  }

  void refresh_if_due() {
    if (refresh_ms_ == 0 || !enc_.active()) return;
    const uint64_t now = mono_ms();
    if (now - last_templates_ms_ < refresh_ms_) return;
    last_templates_ms_ = now;
    if (!enc_.export_templates()) note_error(enc_.error());
  }

  int fd_ = -1;
  uint64_t refresh_ms_;
  uint64_t last_templates_ms_ = 0;
};

class TcpOutput final : public IpfixOutputBase {
 public:
  TcpOutput(const OutputSpec& spec, const DecodeConfig& cfg)
      : IpfixOutputBase(spec, cfg, 16384), bound_(spec.ipfix.export_buffer) {
    ai_ = resolve(spec, SOCK_STREAM);
    // First attempt now; the collector may come later.
    start_connect();
  }
  ~TcpOutput() override {
    // The engine calls close() after the last record; without it (a run
    // that failed to start) there is nothing to wait for.
    if (!closed_) disconnect(false);
    if (ai_ != nullptr) freeaddrinfo(ai_);
  }

  void write(const FlowRecord& r) override {
    ++st_.written;
    if (pending_.size() + inflight_.size() >= bound_) {
      if (st_.dropped++ == 0)
        fmt::print(stderr, "tunprobe: -o {}: --export-buffer of {} records is full; dropping records (counted)\n",
                   spec_.text(), bound_);
      return;
    }
    if (state_ == State::connected && pending_.empty() && backlog() < kMaxBacklog) {
      inflight_.push_back(r);
      encode(r);
    } else {
      pending_.push_back(r);
    }
    st_.buffered_peak = std::max<uint64_t>(st_.buffered_peak, pending_.size() + inflight_.size());
    const uint64_t now = mono_ms();
    if (now - last_pump_ms_ >= 10) pump(now);
    settle();
  }

  void flush() override {
    // The exporter calls flush() every few hundred microseconds when idle:
    // the socket is looked at every few milliseconds.
    const uint64_t now = mono_ms();
    if (now - last_pump_ms_ >= 2) pump(now);
    if (state_ == State::connected) maybe_emit(false);
    settle();
  }

  void close() override {
    if (closed_) return;
    closed_ = true;
    // Bounded wait for the collector to take (and acknowledge) the rest.
    const uint64_t deadline = mono_ms() + kCloseWaitMs;
    if (state_ == State::idle) next_try_ms_ = 0;
    for (;;) {
      const uint64_t now = mono_ms();
      pump(now);
      if (state_ == State::connected) {
        maybe_emit(true);
        settle();
        update_acks();
        if (state_ == State::connected && pending_.empty() && inflight_.empty() && backlog() == 0) break;
      }
      if (now >= deadline) break;
      usleep(5000);
    }
    if (state_ == State::connected) {
      enc_.end(true);
      try_send();
      if (broken_.empty()) update_acks();
    }
    const uint64_t left = pending_.size() + inflight_.size();
    if (left > 0)
      fmt::print(stderr, "tunprobe: -o {}: {} records could not be delivered before exit (counted as failed)\n",
                 spec_.text(), left);
    st_.failed += left;
    pending_.clear();
    inflight_.clear();
    disconnect(false);
    st_.buffered = 0;
  }

  OutputSummary summary() const override {
    OutputSummary s = st_;
    s.buffered = pending_.size() + inflight_.size();
    return s;
  }

 private:
  enum class State : uint8_t { idle, connecting, connected };
  static constexpr std::size_t kMaxBacklog = 4u << 20;  // bytes framed but not yet in the socket
  static constexpr uint64_t kBackoffMinMs = 500;
  static constexpr uint64_t kBackoffMaxMs = 30000;
  static constexpr uint64_t kConnectTimeoutMs = 5000;
  static constexpr uint64_t kCloseWaitMs = 5000;
  struct Msg {
    uint64_t end;  // stream offset after the message
    uint32_t records;
  };

  std::size_t backlog() const { return out_.size() - out_off_; }

  void on_message(const uint8_t* m, std::size_t n, uint32_t records) override {
    ++st_.messages;
    out_.append(reinterpret_cast<const char*>(m), n);
    queued_ += n;
    msgs_.push_back({queued_, records});
    try_send();
  }

  // A send failed inside a libfixbuf call (a message comes out of fBufAppend
  // or fBufEmit): the session is torn down only once that call returned.
  void settle() {
    if (broken_.empty()) return;
    const std::string why = std::move(broken_);
    broken_.clear();
    lost(why);
  }

  void pump(uint64_t now) {
    settle();
    last_pump_ms_ = now;
    if (state_ == State::idle && now >= next_try_ms_) start_connect();
    if (state_ == State::connecting) check_connect(now);
    if (state_ != State::connected) return;
    if (peer_closed()) {
      lost("the collector closed the connection");
      return;
    }
    try_send();
    if (!broken_.empty()) return settle();
    update_acks();
    // Buffered records go out behind the templates, as the socket takes them.
    while (!pending_.empty() && backlog() < kMaxBacklog && broken_.empty()) {
      inflight_.push_back(pending_.front());
      pending_.pop_front();
      encode(inflight_.back());
    }
    settle();
  }

  void start_connect() {
    for (addrinfo* a = ai_; a != nullptr; a = a->ai_next) {
      fd_ = socket(a->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      if (fd_ < 0) continue;
      if (connect(fd_, a->ai_addr, a->ai_addrlen) == 0) {
        connected();
        return;
      }
      if (errno == EINPROGRESS) {
        state_ = State::connecting;
        connect_deadline_ms_ = mono_ms() + kConnectTimeoutMs;
        return;
      }
      ::close(fd_);
      fd_ = -1;
    }
    retry_later("cannot connect");
  }

  void check_connect(uint64_t now) {
    pollfd p{fd_, POLLOUT, 0};
    if (poll(&p, 1, 0) == 1) {
      int err = 0;
      socklen_t len = sizeof err;
      getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len);
      if (err == 0) {
        connected();
        return;
      }
      errno = err;
      ::close(fd_);
      fd_ = -1;
      retry_later("cannot connect");
      return;
    }
    if (now >= connect_deadline_ms_) {
      ::close(fd_);
      fd_ = -1;
      errno = ETIMEDOUT;
      retry_later("cannot connect");
    }
  }

  void retry_later(const char* what) {
    state_ = State::idle;
    if (!warned_down_) {
      fmt::print(stderr, "tunprobe: -o {}: {}: {}; buffering up to {} records, retrying\n", spec_.text(), what,
                 std::strerror(errno), bound_);
      warned_down_ = true;
    }
    next_try_ms_ = mono_ms() + backoff_ms_;
    backoff_ms_ = std::min(backoff_ms_ * 2, kBackoffMaxMs);
  }

  void connected() {
    state_ = State::connected;
    ++st_.connections;
    backoff_ms_ = kBackoffMinMs;
    if (warned_down_ || st_.connections > 1)
      fmt::print(stderr, "tunprobe: -o {}: connected; sending {} buffered records\n", spec_.text(),
                 pending_.size() + inflight_.size());
    warned_down_ = false;
    out_.clear();
    out_off_ = 0;
    queued_ = sent_ = acked_ = 0;
    msgs_.clear();
    // Records of the last connection that were never acknowledged go first.
    for (auto it = inflight_.rbegin(); it != inflight_.rend(); ++it) pending_.push_front(*it);
    inflight_.clear();
    if (!enc_.begin()) {
      note_error(enc_.error());
      broken_ = "cannot start an IPFIX session";
    }
  }

  bool peer_closed() {
    pollfd p{fd_, POLLIN | POLLRDHUP, 0};
    if (poll(&p, 1, 0) != 1) return false;
    if (p.revents & (POLLERR | POLLHUP)) return true;  // reset: the send queue is gone, acks unknown
    if (p.revents & POLLRDHUP) {
      update_acks();  // an orderly close: what it acknowledged it has
      return true;
    }
    char buf[512];
    const ssize_t n = recv(fd_, buf, sizeof buf, MSG_DONTWAIT);  // a collector says nothing: discard
    return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
  }

  void try_send() {
    if (state_ != State::connected || !broken_.empty()) return;
    while (out_off_ < out_.size()) {
      const ssize_t n = send(fd_, out_.data() + out_off_, out_.size() - out_off_, MSG_DONTWAIT | MSG_NOSIGNAL);
      if (n > 0) {
        out_off_ += static_cast<std::size_t>(n);
        sent_ += static_cast<uint64_t>(n);
        continue;
      }
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) break;
      ++st_.send_errors;
      broken_ = std::strerror(errno);
      return;
    }
    if (out_off_ == out_.size()) {
      out_.clear();
      out_off_ = 0;
    } else if (out_off_ > (1u << 20)) {
      out_.erase(0, out_off_);
      out_off_ = 0;
    }
  }

  // Messages whose last byte the collector's TCP acknowledged: delivered.
  void update_acks() {
    if (state_ != State::connected || !broken_.empty()) return;
    int unacked = 0;
    if (ioctl(fd_, SIOCOUTQ, &unacked) != 0) return;
    acked_ = sent_ - std::min<uint64_t>(sent_, static_cast<uint64_t>(unacked));
    while (!msgs_.empty() && msgs_.front().end <= acked_) {
      const uint32_t n = msgs_.front().records;
      msgs_.pop_front();
      for (uint32_t i = 0; i < n && !inflight_.empty(); ++i) inflight_.pop_front();
      st_.delivered += n;
    }
  }

  // The connection broke: unacknowledged records wait for the next one.
  void lost(const std::string& why) {
    fmt::print(stderr, "tunprobe: -o {}: connection lost ({}); buffering, reconnecting\n", spec_.text(), why);
    warned_down_ = true;
    disconnect(true);
    next_try_ms_ = mono_ms() + backoff_ms_;
    backoff_ms_ = std::min(backoff_ms_ * 2, kBackoffMaxMs);
  }

  void disconnect(bool keep_records) {
    broken_.clear();
    enc_.end(false);
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    state_ = State::idle;
    out_.clear();
    out_off_ = 0;
    msgs_.clear();
    if (keep_records) {
      for (auto it = inflight_.rbegin(); it != inflight_.rend(); ++it) pending_.push_front(*it);
      inflight_.clear();
    }
  }

  uint64_t bound_;
  addrinfo* ai_ = nullptr;
  int fd_ = -1;
  State state_ = State::idle;
  bool closed_ = false;
  bool warned_down_ = false;
  std::string broken_;  // why the connection broke inside a libfixbuf call
  uint64_t next_try_ms_ = 0;
  uint64_t backoff_ms_ = kBackoffMinMs;
  uint64_t connect_deadline_ms_ = 0;
  uint64_t last_pump_ms_ = 0;
  std::deque<FlowRecord> pending_;   // waiting for a connection (or socket space)
  std::deque<FlowRecord> inflight_;  // encoded on this connection, not yet acknowledged
  std::deque<Msg> msgs_;
  std::string out_;
  std::size_t out_off_ = 0;
  uint64_t queued_ = 0, sent_ = 0, acked_ = 0;
};

}  // namespace

std::unique_ptr<FlowOutput> make_ipfix_output(const OutputSpec& spec, const DecodeConfig& cfg) {
  if (spec.scheme == "ipfix") return std::make_unique<FileOutput>(spec, cfg);
  if (spec.scheme == "ipfix+udp") {
    // One message per datagram: the path MTU less the IP and UDP headers.
    const bool v6 = spec.host.find(':') != std::string::npos;
    const std::size_t max = spec.ipfix.mtu - (v6 ? 48u : 28u);
    return std::make_unique<UdpOutput>(spec, cfg, max);
  }
  if (spec.scheme == "ipfix+tcp") return std::make_unique<TcpOutput>(spec, cfg);
  throw StartupError{fmt::format("-o {}: unknown output", spec.text())};
}

}  // namespace tunprobe
