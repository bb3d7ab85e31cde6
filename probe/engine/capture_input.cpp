#include "probe/engine/capture_input.hpp"

#include <dirent.h>
#include <fmt/format.h>
#include <glob.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string_view>

#include "probe/decode/pcap_file.hpp"

namespace tunprobe {

namespace {

uint64_t header_ns(const pcap_pkthdr* h) {
  // Opened with nanosecond precision: tv_usec holds nanoseconds.
  return static_cast<uint64_t>(h->ts.tv_sec) * 1'000'000'000u + static_cast<uint64_t>(h->ts.tv_usec);
}

pcap_t* open_capture(const std::string& path, std::string& error) {
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  pcap_t* h = pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_NANO, errbuf);
  if (h == nullptr) error = pcap_open_reason(path, errbuf);
  return h;
}

std::string dlt_text(int dlt) {
  const char* name = pcap_datalink_val_to_name(dlt);
  return fmt::format("{} ({})", dlt, name != nullptr ? name : "unknown");
}

const char* link_name(LinkType l) {
  switch (l) {
    case LinkType::ethernet: return "Ethernet";
    case LinkType::raw_ip: return "raw IP";
    case LinkType::null_bsd: return "BSD loopback";
    case LinkType::linux_sll: return "Linux cooked";
  }
  return "?";
}

enum class Magic { capture, empty, compressed, other };

// A compression format a capture may arrive in, and the command that undoes it.
struct Compression {
  const char* name;
  const char* tool;
};

// Compressed files by their magic number: named, so that the user is told
// to decompress rather than that the format is unknown.
const Compression* compression_of(const unsigned char* b, std::size_t n) {
  static constexpr Compression gzip{"gzip", "gunzip -k"}, zstd{"zstd", "zstd -d"}, xz{"xz", "unxz -k"},
      bzip2{"bzip2", "bunzip2 -k"};
  if (n >= 2 && b[0] == 0x1f && b[1] == 0x8b) return &gzip;
  if (n >= 4 && b[0] == 0x28 && b[1] == 0xb5 && b[2] == 0x2f && b[3] == 0xfd) return &zstd;
  if (n >= 4 && b[0] == 0xfd && b[1] == 0x37 && b[2] == 0x7a && b[3] == 0x58) return &xz;
  if (n >= 3 && b[0] == 'B' && b[1] == 'Z' && b[2] == 'h') return &bzip2;
  return nullptr;
}

// What to tell a user whose capture is compressed.
std::string decompress_hint(const std::string& in, const std::string& path, const Compression& c) {
  return fmt::format("-i {}: {} is {}-compressed; tunprobe reads pcap and pcapng files: decompress it first "
                     "({} {})", in, path, c.name, c.tool, path);
}

// What a file's first bytes say it is.
struct Sniffed {
  Magic magic = Magic::capture;
  const Compression* compression = nullptr;  // Magic::compressed: which
};

// pcap (both byte orders; microsecond, nanosecond and the "modified"
// format) and pcapng (its section header block type reads the same in both
// byte orders).
Sniffed sniff(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return {};  // libpcap says why
  unsigned char b[4] = {};
  const std::size_t n = std::fread(b, 1, sizeof b, f);
  std::fclose(f);
  if (n == 0) return {Magic::empty};
  if (const Compression* c = compression_of(b, n)) return {Magic::compressed, c};
  if (n < 4) return {Magic::other};
  const uint32_t m = uint32_t{b[0]} | uint32_t{b[1]} << 8 | uint32_t{b[2]} << 16 | uint32_t{b[3]} << 24;
  switch (m) {
    case 0xa1b2c3d4: case 0xd4c3b2a1: case 0xa1b23c4d: case 0x4d3cb2a1:
    case 0xa1b2cd34: case 0x34cdb2a1: case 0x0a0d0d0a:
      return {Magic::capture};
    default:
      return {Magic::other};
  }
}

// The header and first record of one file.
struct FirstLook {
  std::string error;   // cannot open
  int dlt = 0;
  bool packet = false;
  uint64_t first_ns = 0;
  std::string damage;  // the first record is damaged
};

FirstLook first_look(const std::string& path) {
  FirstLook l;
  pcap_t* h = open_capture(path, l.error);
  if (h == nullptr) return l;
  l.dlt = pcap_datalink(h);
  pcap_pkthdr* hdr = nullptr;
  const u_char* data = nullptr;
  const int rc = pcap_next_ex(h, &hdr, &data);
  if (rc == 1) {
    l.packet = true;
    l.first_ns = header_ns(hdr);
  } else if (rc == PCAP_ERROR) {
    l.damage = pcap_geterr(h);
  }
  pcap_close(h);
  return l;
}

struct Planner {
  CapturePlan& plan;
  bool have_link = false;
  std::string link_file;

  // One file of input `i`. `many`: part of a directory or glob (problems
  // skip the file) rather than a single FILE (problems stop the run).
  // Returns an error line, empty to go on.
  std::string add(unsigned i, const std::string& path, bool many) {
    FileInputStats& st = plan.inputs[i];
    const std::string& in = st.input;
    ++st.files;
    if (many) {
      struct stat sb {};
      if (::stat(path.c_str(), &sb) == 0 && !S_ISREG(sb.st_mode)) {
        ++st.files_skipped;
        plan.messages.push_back(fmt::format("note: -i {}: {}: not a regular file, skipped", in, path));
        return {};
      }
      const Sniffed sn = sniff(path);
      const Magic m = sn.magic;
      if (m == Magic::empty) {
        ++st.files_unreadable;
        plan.messages.push_back(fmt::format("warning: -i {}: {}: empty file (0 bytes), skipped", in, path));
        return {};
      }
      if (m == Magic::compressed) {
        ++st.files_skipped;
        plan.messages.push_back(
            fmt::format("note: {}, skipped", decompress_hint(in, path, *sn.compression)));
        return {};
      }
      if (m == Magic::other) {
        ++st.files_skipped;
        plan.messages.push_back(fmt::format("note: -i {}: {}: not a capture file (no pcap or pcapng magic), skipped", in, path));
        return {};
      }
    }
    const FirstLook l = first_look(path);
    if (!l.error.empty()) {
      if (!many) return fmt::format("-i {}: cannot read the capture: {}", in, l.error);
      ++st.files_unreadable;
      plan.messages.push_back(fmt::format("warning: -i {}: {}: cannot read the capture: {}; skipped", in, path, l.error));
      return {};
    }
    const auto link = link_type_from_dlt(l.dlt);
    if (!link) {
      const std::string what = fmt::format(
          "link type {} is not supported; tunprobe reads Ethernet, raw IP, BSD loopback and Linux cooked captures",
          dlt_text(l.dlt));
      if (!many) return fmt::format("-i {}: {}", in, what);
      ++st.files_unreadable;
      plan.messages.push_back(fmt::format("warning: -i {}: {}: {}; skipped", in, path, what));
      return {};
    }
    if (!have_link) {
      have_link = true;
      plan.link = *link;
      plan.dlt = l.dlt;
      link_file = path;
    } else if (*link != plan.link) {
      return fmt::format(
          "-i {}: {} is a {} capture (link type {}), {} is {} (link type {}): all capture files of a run must have "
          "one link type; run them separately",
          in, path, link_name(*link), dlt_text(l.dlt), link_file, link_name(plan.link), dlt_text(plan.dlt));
    }
    if (!l.damage.empty()) {
      ++st.files_read;
      ++st.files_truncated;
      plan.messages.push_back(fmt::format("warning: -i {}: {}: {} (at its first packet); nothing read from it", in,
                                          path, l.damage));
      return {};
    }
    if (!l.packet) {
      ++st.files_empty;
      plan.messages.push_back(fmt::format("warning: -i {}: {}: a capture without packets", in, path));
      return {};
    }
    plan.files.push_back({path, i, l.first_ns});
    return {};
  }
};

bool has_glob_chars(const std::string& s) { return s.find_first_of("*?[") != std::string::npos; }

}  // namespace

std::string plan_captures(const std::vector<InputSpec>& inputs, CapturePlan& plan) {
  plan = CapturePlan{};
  Planner p{plan, false, {}};
  for (const InputSpec& spec : inputs) {
    if (spec.kind != InputKind::pcap) continue;
    const unsigned i = static_cast<unsigned>(plan.inputs.size());
    plan.inputs.push_back({});
    plan.inputs[i].input = spec.text;
    const std::string& path = spec.arg;
    std::vector<std::string> names;
    struct stat sb {};
    const bool exists = ::stat(path.c_str(), &sb) == 0;
    if (exists && S_ISDIR(sb.st_mode)) {
      DIR* d = ::opendir(path.c_str());
      if (d == nullptr) return fmt::format("-i {}: cannot read the directory: {}", spec.text, std::strerror(errno));
      while (const dirent* e = ::readdir(d)) {
        if (std::strcmp(e->d_name, ".") == 0 || std::strcmp(e->d_name, "..") == 0) continue;
        names.push_back(path + (path.back() == '/' ? "" : "/") + e->d_name);
      }
      ::closedir(d);
      std::sort(names.begin(), names.end());
      if (names.empty()) return fmt::format("-i {}: the directory is empty", spec.text);
    } else if (!exists && has_glob_chars(path)) {
      glob_t g{};
      const int rc = ::glob(path.c_str(), 0, nullptr, &g);
      if (rc == 0)
        for (std::size_t k = 0; k < g.gl_pathc; ++k) names.emplace_back(g.gl_pathv[k]);
      ::globfree(&g);
      if (rc == GLOB_NOMATCH || names.empty()) return fmt::format("-i {}: no file matches {}", spec.text, path);
      if (rc != 0) return fmt::format("-i {}: cannot expand {}", spec.text, path);
    } else {
      // A capture file is opened twice (its first packet orders the files
      // of the time merge, then it is read): a pipe cannot be.
      if (path == "-")
        return fmt::format("-i {}: standard input is not read: tunprobe opens a capture file twice (its first "
                           "packet orders the time merge), which a pipe cannot be; give the file's path, or write "
                           "the stream to a file first (e.g. tcpdump -w FILE)", spec.text);
      if (exists && !S_ISREG(sb.st_mode))
        return fmt::format("-i {}: {} is not a regular file (a pipe?): tunprobe opens a capture file twice (its "
                           "first packet orders the time merge), which a pipe cannot be; write the stream to a file "
                           "first (e.g. tcpdump -w FILE)", spec.text, path);
      if (const Sniffed sn = exists ? sniff(path) : Sniffed{}; sn.compression != nullptr)
        return decompress_hint(spec.text, path, *sn.compression);
      if (std::string err = p.add(i, path, false); !err.empty()) return err;
      continue;
    }
    for (const std::string& n : names)
      if (std::string err = p.add(i, n, true); !err.empty()) return err;
    const FileInputStats& st = plan.inputs[i];
    if (st.files_read + st.files_empty == 0 &&
        std::none_of(plan.files.begin(), plan.files.end(), [i](const CaptureFile& f) { return f.input == i; }))
      return fmt::format("-i {}: no capture file among its {} file(s) ({} not captures, {} unreadable)", spec.text,
                         st.files, st.files_skipped, st.files_unreadable);
  }
  // Time order; equal first packets: -i order, then name (push order).
  std::stable_sort(plan.files.begin(), plan.files.end(), [](const CaptureFile& a, const CaptureFile& b) {
    return a.first_ns != b.first_ns ? a.first_ns < b.first_ns : a.input < b.input;
  });
  return {};
}

// ---------------------------------------------------------------- merge

struct CaptureMerger::Source {
  pcap_t* handle = nullptr;
  std::size_t file = 0;  // index into plan_.files: also the tie-breaker
  unsigned input = 0;
  uint64_t ts = 0;       // the record in hand
  const uint8_t* data = nullptr;
  uint32_t caplen = 0, wirelen = 0;
  uint64_t packets = 0;  // read from this file so far
};

CaptureMerger::CaptureMerger(CapturePlan& plan, std::function<void(const std::string&)> warn)
    : plan_(plan), warn_(std::move(warn)) {
  sources_.resize(plan_.files.size());
  heap_.reserve(plan_.files.size());
}

CaptureMerger::~CaptureMerger() {
  for (Source* s : heap_) close(*s);
}

bool CaptureMerger::before(const Source& a, const Source& b) const noexcept {
  if (a.ts != b.ts) return a.ts < b.ts;
  if (a.input != b.input) return a.input < b.input;
  return a.file < b.file;
}

void CaptureMerger::sift_down(std::size_t i) noexcept {
  const std::size_t n = heap_.size();
  for (;;) {
    std::size_t best = i;
    const std::size_t l = 2 * i + 1, r = l + 1;
    if (l < n && before(*heap_[l], *heap_[best])) best = l;
    if (r < n && before(*heap_[r], *heap_[best])) best = r;
    if (best == i) return;
    std::swap(heap_[i], heap_[best]);
    i = best;
  }
}

void CaptureMerger::sift_up(std::size_t i) noexcept {
  while (i > 0) {
    const std::size_t parent = (i - 1) / 2;
    if (!before(*heap_[i], *heap_[parent])) return;
    std::swap(heap_[i], heap_[parent]);
    i = parent;
  }
}

void CaptureMerger::close(Source& s) noexcept {
  if (s.handle != nullptr) pcap_close(s.handle);
  s.handle = nullptr;
}

bool CaptureMerger::advance(Source& s) noexcept {
  pcap_pkthdr* hdr = nullptr;
  const u_char* data = nullptr;
  const int rc = pcap_next_ex(s.handle, &hdr, &data);
  if (rc == 1) {
    s.ts = header_ns(hdr);
    s.data = data;
    s.caplen = hdr->caplen;
    s.wirelen = hdr->len;
    ++s.packets;
    return true;
  }
  if (rc == PCAP_ERROR) {
    FileInputStats& st = plan_.inputs[s.input];
    ++st.files_truncated;
    const uint64_t before_it = s.packets;
    warn_(fmt::format("-i {}: {}: {} (after packet {} of the file); the {} packets before it are read", st.input,
                      plan_.files[s.file].path, pcap_geterr(s.handle), before_it, before_it));
  }
  return false;
}

bool CaptureMerger::open(std::size_t file) noexcept {
  const CaptureFile& f = plan_.files[file];
  FileInputStats& st = plan_.inputs[f.input];
  std::string error;
  pcap_t* h = open_capture(f.path, error);
  if (h == nullptr) {
    ++st.files_unreadable;
    warn_(fmt::format("-i {}: {}: cannot read the capture any more: {}; skipped", st.input, f.path, error));
    return false;
  }
  ++st.files_read;
  if (!sources_[file]) sources_[file] = std::make_unique<Source>();
  Source& s = *sources_[file];
  s.handle = h;
  s.file = file;
  s.input = f.input;
  if (!advance(s)) {
    close(s);
    return false;
  }
  heap_.push_back(&s);
  sift_up(heap_.size() - 1);
  if (heap_.size() > max_open_) max_open_ = static_cast<unsigned>(heap_.size());
  return true;
}

bool CaptureMerger::next(CapturePacket& p) noexcept {
  if (current_ != nullptr) {
    // The packet handed out last is done with: its file moves on.
    if (advance(*current_)) {
      sift_down(0);
    } else {
      close(*current_);
      heap_[0] = heap_.back();
      heap_.pop_back();
      if (!heap_.empty()) sift_down(0);
    }
    current_ = nullptr;
  }
  // Files whose first packet is due join the merge.
  while (pending_ < plan_.files.size()) {
    const CaptureFile& f = plan_.files[pending_];
    if (!heap_.empty()) {
      const Source& top = *heap_[0];
      const bool due = f.first_ns != top.ts ? f.first_ns < top.ts
                                            : (f.input != top.input ? f.input < top.input : pending_ < top.file);
      if (!due) break;
    }
    open(pending_++);
  }
  if (heap_.empty()) return false;
  Source& s = *heap_[0];
  FileInputStats& st = plan_.inputs[s.input];
  uint64_t ts = s.ts;
  if (ts < last_ns_) {
    ++st.back_in_time;
    ts = last_ns_;
  }
  last_ns_ = ts;
  ++st.packets;
  st.bytes += s.caplen;
  p.data = s.data;
  p.caplen = s.caplen;
  p.wirelen = s.wirelen;
  p.ts_ns = ts;
  p.input = s.input;
  current_ = &s;
  return true;
}

}  // namespace tunprobe
