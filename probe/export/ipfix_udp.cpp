#include "probe/export/ipfix_udp.hpp"

#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fmt/format.h>

#include "probe/base/startup_error.hpp"
#include "probe/export/ipfix_encoder.hpp"

namespace tunprobe::ipfix {

namespace {


class UdpOutput final : public OutputBase {
 public:
  UdpOutput(const OutputSpec& spec, const DecodeConfig& cfg, std::size_t max_message)
      : OutputBase(spec, cfg, max_message), refresh_ms_(uint64_t{spec.ipfix.template_refresh_s} * 1000) {
    addrinfo* ai = resolve_collector(spec, SOCK_DGRAM);
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

}  // namespace

std::unique_ptr<FlowOutput> make_ipfix_udp(const OutputSpec& spec, const DecodeConfig& cfg) {
  // One message per datagram: the path MTU less the IP and UDP headers.
  const bool v6 = spec.host.find(':') != std::string::npos;
  const std::size_t max = spec.ipfix.mtu - (v6 ? 48u : 28u);
  return std::make_unique<UdpOutput>(spec, cfg, max);
}

}  // namespace tunprobe::ipfix
