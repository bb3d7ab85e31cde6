#include "probe/export/ipfix_file.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fmt/format.h>

#include "probe/base/startup_error.hpp"
#include "probe/export/ipfix_encoder.hpp"

namespace tunprobe::ipfix {

namespace {

class FileOutput final : public OutputBase {
 public:
  FileOutput(const OutputSpec& spec, const DecodeConfig& cfg) : OutputBase(spec, cfg, 65000) {
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

}  // namespace

std::unique_ptr<FlowOutput> make_ipfix_file(const OutputSpec& spec, const DecodeConfig& cfg) {
  return std::make_unique<FileOutput>(spec, cfg);
}

}  // namespace tunprobe::ipfix
