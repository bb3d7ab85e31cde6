#include "probe/export/ipfix_encoder.hpp"

#include <time.h>

#include <cerrno>
#include <cstring>
#include <fmt/format.h>

#include "probe/base/startup_error.hpp"

namespace tunprobe::ipfix {

namespace {

std::string fixbuf_error(GError*& err, const char* what) {
  std::string s = fmt::format("{}: {}", what, err != nullptr ? err->message : "unknown libfixbuf error");
  if (err != nullptr) g_clear_error(&err);
  return s;
}

}  // namespace

// ------------------------------------------------------------- encoder

Encoder::Encoder(const Profile& profile, const IpfixSettings& s, std::size_t max_message, const DecodeConfig& cfg,
                 Sink sink)
    : profile_(profile), pen_(s.pen), odid_(s.odid), max_message_(max_message), cfg_(cfg), sink_(std::move(sink)) {
  model_ = make_info_model(pen_);
  for (uint16_t i = 0; i < profile_.template_count; ++i)
    record_len_[profile_.templates[i].id] = record_length(profile_.templates[i]);
}

Encoder::~Encoder() {
  end(false);
  fbInfoModelFree(model_);
}

bool Encoder::begin() {
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

void Encoder::end(bool emit_rest) {
  if (fbuf_ == nullptr) return;
  if (emit_rest) emit();
  discard_ = true;  // nothing more reaches the sink
  fBufFree(fbuf_);
  fbuf_ = nullptr;
  std::fclose(fp_);
  fp_ = nullptr;
  unemitted_ = 0;
}

bool Encoder::append(const FlowRecord& r) {
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

bool Encoder::emit() {
  if (fbuf_ == nullptr) return false;
  GError* err = nullptr;
  const bool ok = fBufEmit(fbuf_, &err);
  if (!ok) error_ = fixbuf_error(err, "fBufEmit");
  msg_bytes_ = 16;
  set_tid_ = 0;
  unemitted_ = 0;
  return ok;
}

bool Encoder::export_templates() {
  if (unemitted_ > 0) emit();
  GError* err = nullptr;
  if (!fbSessionExportTemplates(fBufGetSession(fbuf_), &err)) {
    error_ = fixbuf_error(err, "fbSessionExportTemplates");
    return false;
  }
  fb_tid_ = 0;  // libfixbuf switched to the template set
  return emit();
}

ssize_t Encoder::cookie_write(void* self, const char* buf, std::size_t size) {
  static_cast<Encoder*>(self)->frame(reinterpret_cast<const uint8_t*>(buf), size);
  return static_cast<ssize_t>(size);
}

// Messages are version 10 with their length at bytes 2..3; all our
// templates are fixed-length, so a set's records are its length / theirs.
void Encoder::frame(const uint8_t* b, std::size_t n) {
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

// ------------------------------------------------------------- what the outputs share

const Profile& profile_of(const OutputSpec& spec) {
  const std::string& name = spec.profile.empty() ? spec.ipfix.profile : spec.profile;
  const Profile* p = find_profile(name);
  if (p == nullptr)
    throw StartupError{fmt::format("-o {}: unknown profile '{}'; profiles are {}", spec.text(), name, profile_names())};
  return *p;
}

OutputBase::OutputBase(const OutputSpec& spec, const DecodeConfig& cfg, std::size_t max_message)
    : spec_(spec),
      profile_(profile_of(spec)),
      enc_(profile_, spec.ipfix, max_message, cfg,
           [this](const uint8_t* m, std::size_t n, uint32_t records) { on_message(m, n, records); }) {
  st_.output = spec.text();
  st_.profile = profile_.name;
}

void OutputBase::maybe_emit(bool now) {
  if (enc_.active() && enc_.unemitted() > 0 && (now || mono_ms() - enc_.first_unemitted_ms() >= kEmitAgeMs))
    if (!enc_.emit()) note_error(enc_.error());
}

void OutputBase::note_error(const std::string& what) {
  if (what == last_error_) return;
  last_error_ = what;
  fmt::print(stderr, "tunprobe: -o {}: {}\n", spec_.text(), what);
}

addrinfo* resolve_collector(const OutputSpec& spec, int socktype) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = socktype;
  addrinfo* ai = nullptr;
  const std::string port = std::to_string(spec.port);
  if (int rc = getaddrinfo(spec.host.c_str(), port.c_str(), &hints, &ai); rc != 0 || ai == nullptr)
    throw StartupError{fmt::format("-o {}: cannot resolve '{}': {}", spec.text(), spec.host, gai_strerror(rc))};
  return ai;
}

}  // namespace tunprobe::ipfix
