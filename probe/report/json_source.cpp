// JSON lines (`tunprobe run -o json:`): one flow object per line, keys as
// probe/records/flow_json.cpp writes them (the IPFIX element names). A line that is
// not a JSON object, or lacks a required key, is an error naming its line
// and byte offset; reading goes on with the next line.
//
// Required: flowStartMilliseconds, packetDeltaCount, octetDeltaCount, and
// ipVersion or a source/destination address. Optional: protocolIdentifier,
// source/destinationTransportPort, tunnelType (absent: a record without
// tunnel elements), source/destinationAddressClass (absent: computed),
// tunnelSource/DestinationIPv4Address, teredoServerIPv4Address,
// tunnelRelayIPv4Address. tunnelType and the classes may be names or their
// IPFIX values.
#include <arpa/inet.h>

#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>
#include <sys/stat.h>

#include "probe/report/source.hpp"

namespace tunprobe::report {

namespace {

using nlohmann::json;

// The keys the report reads; every other key is skipped.
enum Key : uint8_t {
  kStart, kPackets, kOctets, kProto, kSport, kDport, kVersion, kSrc6, kDst6, kSrc4, kTunnel,
  kSrcClass, kDstClass, kOuterSrc, kOuterDst, kServer, kRelay, kKeyCount, kOther = 255
};
constexpr const char* kKeyNames[kKeyCount] = {
    "flowStartMilliseconds", "packetDeltaCount", "octetDeltaCount", "protocolIdentifier",
    "sourceTransportPort", "destinationTransportPort", "ipVersion", "sourceIPv6Address",
    "destinationIPv6Address", "sourceIPv4Address", "tunnelType", "sourceAddressClass",
    "destinationAddressClass", "tunnelSourceIPv4Address", "tunnelDestinationIPv4Address",
    "teredoServerIPv4Address", "tunnelRelayIPv4Address"};

Key key_of(std::string_view k) {
  for (uint8_t i = 0; i < kKeyCount; ++i)
    if (k == kKeyNames[i]) return static_cast<Key>(i);
  return kOther;
}

// One line's object, streamed (no document is built): each value of a
// known key lands in the flow as it is read.
class FlowSax final : public nlohmann::json_sax<json> {
 public:
  explicit FlowSax(ReportFlow& f) : f_(f) { f_ = ReportFlow{}; }

  std::string error;      // what is wrong with the record ("" = nothing)
  std::size_t error_byte = 0;  // parse errors: the byte of the line
  bool parse_failed = false;

  bool null() override { return scalar(); }
  bool boolean(bool) override { return key_ == kOther || depth_ != 1 ? scalar() : type_error("a number"); }
  bool number_integer(number_integer_t) override {
    return key_ == kOther || depth_ != 1 ? scalar() : type_error("an unsigned integer");
  }
  bool number_float(number_float_t, const string_t&) override {
    return key_ == kOther || depth_ != 1 ? scalar() : type_error("an unsigned integer");
  }
  bool number_unsigned(number_unsigned_t v) override {
    if (depth_ != 1 || key_ == kOther) return scalar();
    switch (key_) {
      case kStart: f_.start_ms = v; break;
      case kPackets: f_.packets = v; break;
      case kOctets: f_.octets = v; break;
      case kProto: return ranged(v, 255, f_.protocol);
      case kSport: return ranged(v, 65535, f_.sport);
      case kDport: return ranged(v, 65535, f_.dport);
      case kVersion: return ranged(v, 255, f_.ip_version);
      case kTunnel:
        if (v >= kTunnelTypeCount) return fail("is not a tunnel type");
        f_.tunnel = static_cast<TunnelType>(v);
        break;
      case kSrcClass:
      case kDstClass:
        if (v >= kAddrClassNames.size()) return fail("is not an address class");
        if (v != 0) (key_ == kSrcClass ? f_.src_class : f_.dst_class) = static_cast<AddrClass>(v);  // 0: computed
        break;
      default: return type_error("a string");
    }
    return seen();
  }
  bool string(string_t& v) override {
    if (depth_ != 1 || key_ == kOther) return scalar();
    switch (key_) {
      case kSrc6:
      case kDst6:
        if (inet_pton(AF_INET6, v.c_str(), (key_ == kSrc6 ? f_.src : f_.dst).data()) != 1)
          return fail("is not an IPv6 address");
        break;
      case kSrc4:
      case kOuterSrc:
      case kOuterDst:
      case kServer:
      case kRelay: {
        in_addr a{};
        if (inet_pton(AF_INET, v.c_str(), &a) != 1) return fail("is not an IPv4 address");
        const uint32_t x = ntohl(a.s_addr);
        if (key_ == kOuterSrc) f_.outer_src4 = x;
        if (key_ == kOuterDst) f_.outer_dst4 = x;
        if (key_ == kServer) f_.teredo_server4 = x;
        if (key_ == kRelay) f_.relay4 = x;
        break;
      }
      case kTunnel: {
        const auto t = tunnel_type_from_name(v);
        if (!t) return fail("is not a tunnel type");
        f_.tunnel = *t;
        break;
      }
      case kSrcClass:
      case kDstClass: {
        const auto c = addr_class_from_name(v);
        if (!c) return fail("is not an address class");
        if (*c != AddrClass::none) (key_ == kSrcClass ? f_.src_class : f_.dst_class) = *c;  // none: computed
        break;
      }
      default: return type_error("an unsigned integer");
    }
    return seen();
  }
  bool binary(binary_t&) override { return scalar(); }
  bool start_object(std::size_t) override {
    if (depth_ == 0) top_object_ = true;
    else if (depth_ == 1 && key_ != kOther) return type_error("a scalar");
    ++depth_;
    return true;
  }
  bool key(string_t& k) override {
    if (depth_ == 1) key_ = key_of(k);
    return true;
  }
  bool end_object() override {
    --depth_;
    if (depth_ == 1) key_ = kOther;
    return true;
  }
  bool start_array(std::size_t) override {
    if (depth_ == 0) return fail_top();
    if (depth_ == 1 && key_ != kOther) return type_error("a scalar");
    ++depth_;
    return true;
  }
  bool end_array() override {
    --depth_;
    if (depth_ == 1) key_ = kOther;
    return true;
  }
  bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception& e) override {
    parse_failed = true;
    error_byte = position;
    error = e.what();
    if (!error.empty() && error[0] == '[') {
      const auto end = error.find("] ");
      if (end != std::string::npos) error.erase(0, end + 2);
    }
    return false;
  }

  // After a successful parse: the required keys, and what follows from them.
  bool finish() {
    if (!top_object_) return fail_top();
    for (const Key k : {kStart, kPackets, kOctets})
      if (!(seen_ & (1u << k))) {
        error = std::string("no \"") + kKeyNames[k] + "\"";
        return false;
      }
    const bool has6 = seen_ & (1u << kSrc6 | 1u << kDst6);
    if (f_.ip_version == 0) f_.ip_version = has6 ? 6 : ((seen_ & (1u << kSrc4)) ? 4 : 0);
    if (f_.ip_version != 4 && f_.ip_version != 6) {
      error = "no \"ipVersion\" 4 or 6 and no address";
      return false;
    }
    if (f_.ip_version == 6 && !(seen_ & (1u << kSrc6))) {
      error = "IPv6 record without \"sourceIPv6Address\"";
      return false;
    }
    f_.has_tunnel_info = seen_ & (1u << kTunnel);
    if (f_.ip_version != 6) f_.src_class = f_.dst_class = std::nullopt;
    return true;
  }

 private:
  bool scalar() {
    if (depth_ == 0) return fail_top();
    return true;
  }
  bool seen() {
    seen_ |= 1u << key_;
    return true;
  }
  template <typename T>
  bool ranged(uint64_t v, uint64_t max, T& out) {
    if (v > max) return fail("is out of range");
    out = static_cast<T>(v);
    return seen();
  }
  bool fail(const char* what) {
    error = std::string("\"") + kKeyNames[key_] + "\" " + what;
    return false;
  }
  bool type_error(const char* expected) {
    error = std::string("\"") + kKeyNames[key_] + "\" is not " + expected;
    return false;
  }
  bool fail_top() {
    error = "not a JSON object";
    return false;
  }

  ReportFlow& f_;
  int depth_ = 0;
  Key key_ = kOther;
  uint32_t seen_ = 0;
  bool top_object_ = false;
};

class JsonSource final : public RecordSource {
 public:
  JsonSource(std::string path, std::FILE* f, uint64_t size) : f_(f), size_(size) { err_.path = std::move(path); }
  ~JsonSource() override {
    if (f_ && f_ != stdin) std::fclose(f_);
  }

  Next next(ReportFlow& out) override {
    std::string line;
    while (read_line(line)) {
      std::size_t b = 0;
      while (b < line.size() && (line[b] == ' ' || line[b] == '\t' || line[b] == '\r')) ++b;
      if (b == line.size()) continue;  // blank line
      err_.line = line_no_;
      err_.offset = line_start_;
      FlowSax sax(out);
      const bool ok = json::sax_parse(line.begin() + static_cast<std::ptrdiff_t>(b), line.end(), &sax);
      if (ok && sax.finish()) return Next::record;
      err_.what = sax.error;
      if (sax.parse_failed) {
        err_.offset = line_start_ + b + (sax.error_byte > 0 ? sax.error_byte - 1 : 0);
        if (at_eof_ && !ended_with_newline_) err_.what = "truncated: " + err_.what;
      }
      return Next::error;
    }
    if (std::ferror(f_)) {
      err_.offset = pos_;
      err_.line = 0;
      err_.what = "read error";
      clearerr(f_);
      at_eof_ = true;
      return Next::error;
    }
    return Next::end;
  }
  const SourceError& error() const override { return err_; }
  uint64_t position() const override { return pos_; }
  uint64_t size() const override { return size_; }
  std::string_view format_name() const override { return "json"; }

 private:
  bool read_line(std::string& line) {
    line.clear();
    if (at_eof_) return false;
    line_start_ = pos_;
    ++line_no_;
    for (;;) {
      if (head_ == tail_) {
        tail_ = std::fread(buf_, 1, sizeof buf_, f_);
        head_ = 0;
        if (tail_ == 0) {
          at_eof_ = true;
          ended_with_newline_ = line.empty();
          return !line.empty();
        }
      }
      const char* s = buf_ + head_;
      const char* nl = static_cast<const char*>(std::memchr(s, '\n', tail_ - head_));
      const std::size_t n = nl ? static_cast<std::size_t>(nl - s) : tail_ - head_;
      line.append(s, n);
      head_ += n;
      pos_ += n;
      if (nl) {
        ++head_;
        ++pos_;
        return true;
      }
    }
  }

  std::FILE* f_;
  uint64_t size_;
  SourceError err_;
  char buf_[1 << 16];
  std::size_t head_ = 0, tail_ = 0;
  uint64_t pos_ = 0, line_start_ = 0, line_no_ = 0;
  bool at_eof_ = false, ended_with_newline_ = true;
};

}  // namespace

std::unique_ptr<RecordSource> open_json_source(const std::string& path, SourceError& error) {
  error = SourceError{path, 0, 0, {}};
  if (path == "-") return std::make_unique<JsonSource>("(stdin)", stdin, 0);
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) {
    error.what = "cannot be opened";
    return nullptr;
  }
  struct stat st {};
  const uint64_t size = fstat(fileno(f), &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
  return std::make_unique<JsonSource>(path, f, size);
}

}  // namespace tunprobe::report
