// IPFIX files (RFC 7011 messages back to back, RFC 5655), as
// `tunprobe run -o ipfix:PATH` writes them, read with libfixbuf's collecting
// side: this file frames the messages itself (so every error has a byte
// offset) and hands each one to libfixbuf with fBufSetBuffer(); fBufNext()
// transcodes every record, whatever its template, into one internal
// template of the elements the report needs.
//
// The elements come from the generated model (templates/generated/
// ipfix_model.hpp, through probe/records/ipfix_elements.hpp's information model):
// tunprobe's under --pen, IANA's, and CESNET's (PEN 16982) tunnel elements
// of the flowmon profile. Which ones a record really has is told by its
// external template (a per-template context set when the template
// arrives): a record whose template has no tunnelType is a record without
// tunnel elements (another exporter, tunprobe's nfdump profile).
//
// Checks, each an error naming the file and byte offset:
//   message: version 10, length >= 16, not beyond the end of the file
//            (truncated: the file's last message is cut) -> reading stops;
//   set:     length >= 4 and within its message (else the rest of the
//            message is skipped), id 2, 3 or >= 256, template records
//            within their set, data sets of a template defined earlier in
//            the same observation domain -> that set is skipped;
//   record:  libfixbuf's own decoding errors; tunnelType and address
//            classes within their value tables; a time of flow start.
#include <arpa/inet.h>
#include <fixbuf/public.h>
#include <fmt/format.h>
#include <sys/stat.h>

#include <array>
#include <cstdio>
#include <cstring>
#include <map>
#include <set>
#include <vector>

#include "probe/records/ipfix_elements.hpp"
#include "probe/report/source.hpp"
#include "templates/generated/ipfix_model.hpp"

namespace tunprobe::report {

bool ipfix_supported() { return true; }

namespace {

// The fields the report reads. `pen`: 0 IANA, kPenTunprobe, kPenCesnet.
enum Field : uint8_t {
  kStartMs,
  kStartSec,
  kPackets,
  kPacketsTotal,
  kOctets,
  kOctetsTotal,
  kSrc6,
  kDst6,
  kSrc4,
  kDst4,
  kSport,
  kDport,
  kProto,
  kVersion,
  kTunnel,
  kSrcClass,
  kDstClass,
  kOuterSrc,
  kOuterDst,
  kServer,
  kRelay,
  kCesSrc6,
  kCesDst6,
  kCesSport,
  kCesDport,
  kCesProto,
  kCesTunnel,
  kFieldCount
};

struct FieldSpec {
  const char* name;
  uint32_t pen;
};

constexpr FieldSpec kSpecs[kFieldCount] = {
    {"flowStartMilliseconds", 0},
    {"flowStartSeconds", 0},
    {"packetDeltaCount", 0},
    {"packetTotalCount", 0},
    {"octetDeltaCount", 0},
    {"octetTotalCount", 0},
    {"sourceIPv6Address", 0},
    {"destinationIPv6Address", 0},
    {"sourceIPv4Address", 0},
    {"destinationIPv4Address", 0},
    {"sourceTransportPort", 0},
    {"destinationTransportPort", 0},
    {"protocolIdentifier", 0},
    {"ipVersion", 0},
    {"tunnelType", ipfix::kPenTunprobe},
    {"sourceAddressClass", ipfix::kPenTunprobe},
    {"destinationAddressClass", ipfix::kPenTunprobe},
    {"tunnelSourceIPv4Address", ipfix::kPenTunprobe},
    {"tunnelDestinationIPv4Address", ipfix::kPenTunprobe},
    {"teredoServerIPv4Address", ipfix::kPenTunprobe},
    {"tunnelRelayIPv4Address", ipfix::kPenTunprobe},
    {"tunnelSrcIPv6", ipfix::kPenCesnet},
    {"tunnelDstIPv6", ipfix::kPenCesnet},
    {"tunnelSrcPort", ipfix::kPenCesnet},
    {"tunnelDstPort", ipfix::kPenCesnet},
    {"tunnelProtocol", ipfix::kPenCesnet},
    {"tunnelType", ipfix::kPenCesnet},
};

// Which fields a template has (its libfixbuf context).
struct TemplateInfo {
  std::array<bool, kFieldCount> has{};
  bool options = false;  // an options template: its records are not flows
};

constexpr uint16_t kInternalTid = 0xfff0;

std::string take_error(GError*& err) {
  std::string s = err != nullptr ? err->message : "unknown libfixbuf error";
  if (err != nullptr) g_clear_error(&err);
  return s;
}

uint16_t be16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }

class IpfixSource final : public RecordSource {
 public:
  IpfixSource(std::string path, std::FILE* f, uint64_t size, uint32_t pen) : f_(f), size_(size) {
    err_.path = std::move(path);
    model_ = ipfix::make_info_model(pen);
    for (std::size_t i = 0; i < kFieldCount; ++i) ie_[i] = lookup(kSpecs[i], pen);
    // libfixbuf's own warnings (a template it rejects, a set it skips)
    // become this file's errors, with the offset of the message they are in.
    previous_log_ = g_log_set_default_handler(&IpfixSource::on_log, this);
    session_ = fbSessionAlloc(model_);
    fbSessionAddNewTemplateCallback(session_, &IpfixSource::on_template, this);
    fbuf_ = fBufAllocForCollection(session_, nullptr);
    // The internal template: every field the model knows, at its default
    // length; offsets follow in the same order.
    fbTemplate_t* in = fbTemplateAlloc(model_);
    GError* err = nullptr;
    std::size_t off = 0;
    for (std::size_t i = 0; i < kFieldCount; ++i) {
      if (!ie_[i]) continue;
      fbInfoElement_t ie = *ie_[i];
      if (!fbTemplateAppend(in, &ie, &err)) {
        setup_error_ = take_error(err);
        break;
      }
      offset_[i] = off;
      len_[i] = ie_[i]->len;
      off += ie_[i]->len;
    }
    if (setup_error_.empty() && fbSessionAddTemplate(session_, TRUE, kInternalTid, in, &err) == 0)
      setup_error_ = take_error(err);
    if (setup_error_.empty() && !fBufSetInternalTemplate(fbuf_, kInternalTid, &err)) setup_error_ = take_error(err);
  }

  ~IpfixSource() override {
    g_log_set_default_handler(previous_log_, nullptr);
    if (fbuf_ != nullptr) fBufFree(fbuf_);  // frees the session too
    if (model_ != nullptr) fbInfoModelFree(model_);
    if (f_ != nullptr) std::fclose(f_);
  }

  const std::string& setup_error() const { return setup_error_; }

  Next next(ReportFlow& out) override {
    for (;;) {
      if (!warnings_.empty()) {
        set_error(msg_offset_, fmt::format("message {}: libfixbuf: {}", msg_index_, warnings_.front()));
        warnings_.erase(warnings_.begin());
        return Next::error;
      }
      if (!in_message_) {
        if (!ready_) {
          if (done_) return Next::end;
          const Next n = load_message();
          if (n != Next::record) return n;
        }
        ready_ = false;
        fBufSetBuffer(fbuf_, msg_.data(), msg_.size());
        in_message_ = true;
      }
      GError* err = nullptr;
      std::size_t len = sizeof rec_;
      if (fBufNext(fbuf_, rec_, &len, &err)) {
        switch (decode(out)) {
          case Decoded::flow: return Next::record;
          case Decoded::skip: continue;
          case Decoded::bad: return Next::error;
        }
      }
      const bool end_of_message = g_error_matches(err, FB_ERROR_DOMAIN, FB_ERROR_BUFSZ) ||
                                  g_error_matches(err, FB_ERROR_DOMAIN, FB_ERROR_EOM) ||
                                  g_error_matches(err, FB_ERROR_DOMAIN, FB_ERROR_EOF);
      const std::string what = take_error(err);
      in_message_ = false;
      if (end_of_message) continue;
      set_error(msg_offset_, fmt::format("message {}: libfixbuf: {}; the rest of the message is skipped", msg_index_, what));
      return Next::error;
    }
  }

  const SourceError& error() const override { return err_; }
  uint64_t position() const override { return pos_; }
  uint64_t size() const override { return size_; }
  std::string_view format_name() const override { return "ipfix"; }
  std::string notes() const override {
    return sequence_gaps_ ? fmt::format("{} IPFIX sequence gap(s): messages lost before the file was written, or "
                                        "files put together",
                                        sequence_gaps_)
                          : "";
  }

 private:
  const fbInfoElement_t* lookup(const FieldSpec& s, uint32_t pen) {
    if (s.pen == 0) return fbInfoModelGetElementByName(model_, s.name);
    for (const ipfix::Element& e : ipfix::kElements)
      if (e.pen == s.pen && std::strcmp(e.name, s.name) == 0)
        return fbInfoModelGetElementByID(model_, e.id, ipfix::element_pen(e, pen));
    return nullptr;
  }

  static void on_log(const gchar*, GLogLevelFlags level, const gchar* message, gpointer self) {
    if (level & (G_LOG_LEVEL_DEBUG | G_LOG_LEVEL_INFO)) return;
    auto* me = static_cast<IpfixSource*>(self);
    const std::string_view m = message ? message : "";
    // A sequence gap loses no record of this file (messages lost before it
    // was written, or files put together): a note, not an error.
    if (m.find("out of sequence") != std::string_view::npos) {
      ++me->sequence_gaps_;
      return;
    }
    if (me->warnings_.size() < 64) me->warnings_.emplace_back(m);
  }

  static void on_template(fbSession_t*, uint16_t, fbTemplate_t* tmpl, void* app, void** ctx, fbTemplateCtxFree_fn* free_fn) {
    auto* self = static_cast<IpfixSource*>(app);
    auto* info = new TemplateInfo;
    info->options = fbTemplateGetOptionsScope(tmpl) != 0;
    for (std::size_t i = 0; i < kFieldCount; ++i)
      info->has[i] = self->ie_[i] != nullptr && fbTemplateContainsElement(tmpl, self->ie_[i]);
    *ctx = info;
    *free_fn = [](void* c, void*) { delete static_cast<TemplateInfo*>(c); };
  }

  void set_error(uint64_t offset, std::string what) {
    err_.offset = offset;
    err_.what = std::move(what);
  }

  // Reads the next message into msg_, keeping only its well-formed sets.
  // Next::record: a message to decode; Next::error: error() says what (and
  // done_ is set when the framing is lost); Next::end: end of file.
  Next load_message() {
    for (;;) {
      uint8_t head[16];
      const std::size_t n = std::fread(head, 1, sizeof head, f_);
      if (n == 0) {
        done_ = true;
        return std::ferror(f_) ? (set_error(pos_, "read error"), Next::error) : Next::end;
      }
      msg_offset_ = pos_;
      ++msg_index_;
      if (n < sizeof head) {
        done_ = true;
        set_error(pos_, fmt::format("truncated: message {} has {} of its 16 header bytes", msg_index_, n));
        return Next::error;
      }
      const uint16_t version = be16(head), length = be16(head + 2);
      if (version != 10 || length < 16) {
        done_ = true;
        set_error(pos_, fmt::format("message {}: not an IPFIX message header (version {}, length {}); reading "
                                    "of this file stops",
                                    msg_index_, version, length));
        return Next::error;
      }
      msg_.assign(head, head + 16);
      msg_.resize(length);
      const std::size_t body = std::fread(msg_.data() + 16, 1, length - 16u, f_);
      if (body != length - 16u) {
        done_ = true;
        set_error(pos_, fmt::format("truncated: message {} announces {} bytes, the file ends after {}", msg_index_,
                                    length, 16 + body));
        pos_ += 16 + body;
        return Next::error;
      }
      pos_ += length;
      uint32_t domain;
      std::memcpy(&domain, head + 12, 4);
      domain = ntohl(domain);
      std::string problem;
      uint64_t problem_offset = 0;
      filter_sets(domain, problem, problem_offset);
      if (!problem.empty()) {
        set_error(problem_offset, fmt::format("message {}: {}", msg_index_, problem));
        ready_ = msg_.size() > 16;  // the sets that are left are decoded on the next call
        return Next::error;
      }
      if (msg_.size() > 16) return Next::record;
      // A message with no sets: nothing to decode.
    }
  }

  // Walks the sets of msg_, drops those that cannot be decoded (reporting the
  // first problem), records the template ids defined per domain.
  void filter_sets(uint32_t domain, std::string& problem, uint64_t& problem_offset) {
    std::set<uint16_t>& known = templates_[domain];
    std::vector<uint8_t> kept(msg_.begin(), msg_.begin() + 16);
    std::size_t off = 16;
    auto report = [&](std::size_t at, std::string what) {
      if (problem.empty()) {
        problem = std::move(what);
        problem_offset = msg_offset_ + at;
      }
    };
    while (off < msg_.size()) {
      if (msg_.size() - off < 4) {
        report(off, fmt::format("{} stray bytes after the last set; skipped", msg_.size() - off));
        break;
      }
      const uint16_t id = be16(&msg_[off]), len = be16(&msg_[off + 2]);
      if (len < 4 || len > msg_.size() - off) {
        report(off, fmt::format("set {} has length {} ({} bytes left in the message); the rest of the message is "
                                "skipped",
                                id, len, msg_.size() - off));
        break;
      }
      bool keep = true;
      if (id == 2 || id == 3) {
        std::size_t r = off + 4;
        while (r + 4 <= off + len) {
          const uint16_t tid = be16(&msg_[r]), count = be16(&msg_[r + 2]);
          if (tid < 256 && !(tid == id && count == 0)) {
            if (tid == 0 && count == 0) break;  // padding
            report(r, fmt::format("template record with id {} (below 256); set skipped", tid));
            keep = false;
            break;
          }
          if (count == 0) {  // withdrawal
            if (tid == id) known.clear();
            else known.erase(tid);
            r += 4;
            continue;
          }
          std::size_t p = r + 4;
          if (id == 3) p += 2;  // scope field count
          bool ok = p <= off + len;
          for (uint16_t i = 0; ok && i < count; ++i) {
            if (p + 4 > off + len) ok = false;
            else p += (be16(&msg_[p]) & 0x8000) ? 8 : 4;
            if (p > off + len) ok = false;
          }
          if (!ok) {
            report(r, fmt::format("template {} runs past the end of its set; set skipped", tid));
            keep = false;
            break;
          }
          known.insert(tid);
          r = p;
        }
      } else if (id < 256) {
        report(off, fmt::format("set id {} is reserved; set skipped", id));
        keep = false;
      } else if (!known.count(id)) {
        report(off, fmt::format("data set of template {}, which was not defined before in observation domain {}; "
                                "its records are skipped",
                                id, domain));
        keep = false;
      }
      if (keep) kept.insert(kept.end(), msg_.begin() + static_cast<std::ptrdiff_t>(off),
                            msg_.begin() + static_cast<std::ptrdiff_t>(off + len));
      off += len;
    }
    kept[2] = static_cast<uint8_t>(kept.size() >> 8);
    kept[3] = static_cast<uint8_t>(kept.size());
    msg_ = std::move(kept);
  }

  bool has(const TemplateInfo* t, Field f) const { return t != nullptr && t->has[f]; }
  uint64_t u(Field f) const {
    uint64_t v = 0;
    switch (len_[f]) {
      case 1: v = rec_[offset_[f]]; break;
      case 2: { uint16_t x; std::memcpy(&x, rec_ + offset_[f], 2); v = x; break; }
      case 4: { uint32_t x; std::memcpy(&x, rec_ + offset_[f], 4); v = x; break; }
      case 8: std::memcpy(&v, rec_ + offset_[f], 8); break;
      default: break;
    }
    return v;
  }
  void ip6(Field f, Ipv6& out) const { std::memcpy(out.data(), rec_ + offset_[f], 16); }

  enum class Decoded : uint8_t { flow, skip, bad };

  Decoded decode(ReportFlow& out) {
    const bool ok = decode_flow(out);
    return ok ? (skip_ ? Decoded::skip : Decoded::flow) : Decoded::bad;
  }

  // Options records (exporter statistics, element descriptions) are skipped.
  bool decode_flow(ReportFlow& out) {
    uint16_t tid = 0;
    fbTemplate_t* ext = fBufGetCollectionTemplate(fbuf_, &tid);
    const auto* t = ext ? static_cast<const TemplateInfo*>(fbTemplateGetContext(ext)) : nullptr;
    skip_ = t != nullptr && t->options;
    if (skip_) return true;
    out = ReportFlow{};
    out.has_odid = true;  // the message header's observation domain (`tunprobe run --odid`)
    out.odid = static_cast<uint32_t>(msg_[12]) << 24 | static_cast<uint32_t>(msg_[13]) << 16 |
               static_cast<uint32_t>(msg_[14]) << 8 | msg_[15];
    if (has(t, kStartMs)) out.start_ms = u(kStartMs);
    else if (has(t, kStartSec)) out.start_ms = u(kStartSec) * 1000;
    else {
      set_error(msg_offset_, fmt::format("message {}: a record of template {} has no flow start time", msg_index_, tid));
      return false;
    }
    out.packets = has(t, kPackets) ? u(kPackets) : u(kPacketsTotal);
    out.octets = has(t, kOctets) ? u(kOctets) : u(kOctetsTotal);
    out.protocol = static_cast<uint8_t>(u(kProto));
    out.sport = static_cast<uint16_t>(u(kSport));
    out.dport = static_cast<uint16_t>(u(kDport));
    if (has(t, kVersion)) out.ip_version = static_cast<uint8_t>(u(kVersion));
    else out.ip_version = has(t, kSrc6) ? 6 : 4;
    if (out.ip_version == 6) {
      ip6(kSrc6, out.src);
      ip6(kDst6, out.dst);
    }
    if (has(t, kTunnel) || has(t, kCesTunnel)) {
      const uint64_t tt = has(t, kTunnel) ? u(kTunnel) : u(kCesTunnel);
      if (tt >= kTunnelTypeCount) {
        set_error(msg_offset_, fmt::format("message {}: tunnelType {} is not a tunnel type", msg_index_, tt));
        return false;
      }
      out.has_tunnel_info = true;
      out.tunnel = static_cast<TunnelType>(tt);
    }
    if (has(t, kCesSrc6) && out.tunnel != TunnelType::none) {
      // flowmon profile: the outer IPv4 flow in standard elements, its IPv6
      // content in CESNET's; octets are the outer packets'.
      out.outer_src4 = static_cast<uint32_t>(u(kSrc4));
      out.outer_dst4 = static_cast<uint32_t>(u(kDst4));
      ip6(kCesSrc6, out.src);
      ip6(kCesDst6, out.dst);
      out.sport = static_cast<uint16_t>(u(kCesSport));
      out.dport = static_cast<uint16_t>(u(kCesDport));
      out.protocol = static_cast<uint8_t>(u(kCesProto));
      out.ip_version = 6;
      // IPv4 in GRE: the inner IPv4 addresses IPv4-mapped (RFC 4291 2.5.5.2).
      static constexpr uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
      if (std::memcmp(out.src.data(), kMapped, 12) == 0 && std::memcmp(out.dst.data(), kMapped, 12) == 0) {
        for (uint8_t* a : {out.src.data(), out.dst.data()}) {
          std::memmove(a, a + 12, 4);
          std::memset(a + 4, 0, 12);
        }
        out.ip_version = 4;
      }
    }
    if (out.ip_version != 4 && out.ip_version != 6) {
      set_error(msg_offset_, fmt::format("message {}: ipVersion {}", msg_index_, out.ip_version));
      return false;
    }
    for (const auto& [field, cls] : {std::pair{kSrcClass, &out.src_class}, std::pair{kDstClass, &out.dst_class}}) {
      if (!has(t, field) || out.ip_version != 6) continue;
      const uint64_t c = u(field);
      if (c == 0) continue;  // none: computed
      if (c >= kAddrClassNames.size()) {
        set_error(msg_offset_, fmt::format("message {}: address class {} is not a class", msg_index_, c));
        return false;
      }
      *cls = static_cast<AddrClass>(c);
    }
    if (has(t, kOuterSrc)) out.outer_src4 = static_cast<uint32_t>(u(kOuterSrc));
    if (has(t, kOuterDst)) out.outer_dst4 = static_cast<uint32_t>(u(kOuterDst));
    if (has(t, kServer)) out.teredo_server4 = static_cast<uint32_t>(u(kServer));
    if (has(t, kRelay)) out.relay4 = static_cast<uint32_t>(u(kRelay));
    return true;
  }

  std::FILE* f_;
  uint64_t size_;
  SourceError err_;
  std::string setup_error_;
  fbInfoModel_t* model_ = nullptr;
  fbSession_t* session_ = nullptr;
  fBuf_t* fbuf_ = nullptr;
  std::array<const fbInfoElement_t*, kFieldCount> ie_{};
  std::array<std::size_t, kFieldCount> offset_{};
  std::array<uint16_t, kFieldCount> len_{};
  alignas(8) uint8_t rec_[512];
  std::vector<uint8_t> msg_;
  std::map<uint32_t, std::set<uint16_t>> templates_;
  std::vector<std::string> warnings_;  // libfixbuf's, not yet reported
  GLogFunc previous_log_ = nullptr;
  uint64_t sequence_gaps_ = 0;  // defined template ids per observation domain
  uint64_t pos_ = 0, msg_offset_ = 0, msg_index_ = 0;
  bool in_message_ = false, done_ = false, ready_ = false, skip_ = false;
};

}  // namespace

std::unique_ptr<RecordSource> open_ipfix_source(const std::string& path, const SourceOptions& opt, SourceError& error) {
  error = SourceError{path, 0, 0, {}};
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) {
    error.what = "cannot be opened";
    return nullptr;
  }
  struct stat st {};
  const uint64_t size = fstat(fileno(f), &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
  auto src = std::make_unique<IpfixSource>(path, f, size, opt.pen);
  if (!src->setup_error().empty()) {
    error.what = "libfixbuf: " + src->setup_error();
    return nullptr;
  }
  return src;
}

}  // namespace tunprobe::report
