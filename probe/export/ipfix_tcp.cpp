#include "probe/export/ipfix_tcp.hpp"

#include <linux/sockios.h>
#include <netdb.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>
#include <fmt/format.h>

#include "probe/export/ipfix_encoder.hpp"

namespace tunprobe::ipfix {

namespace {

class TcpOutput final : public OutputBase {
 public:
  TcpOutput(const OutputSpec& spec, const DecodeConfig& cfg)
      : OutputBase(spec, cfg, 16384), bound_(spec.ipfix.export_buffer) {
    ai_ = resolve_collector(spec, SOCK_STREAM);
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

std::unique_ptr<FlowOutput> make_ipfix_tcp(const OutputSpec& spec, const DecodeConfig& cfg) {
  return std::make_unique<TcpOutput>(spec, cfg);
}

}  // namespace tunprobe::ipfix
