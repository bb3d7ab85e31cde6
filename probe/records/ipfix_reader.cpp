#include "probe/records/ipfix_reader.hpp"

#include <arpa/inet.h>
#include <fixbuf/public.h>

#include <cstring>
#include <fmt/format.h>

#include "probe/base/address_text.hpp"
#include "probe/records/ipfix_elements.hpp"

namespace tunprobe::ipfix {

namespace {

std::string take_error(GError*& err) {
  std::string s = err != nullptr ? err->message : "unknown libfixbuf error";
  if (err != nullptr) g_clear_error(&err);
  return s;
}

std::string hex(const uint8_t* p, std::size_t n) {
  std::string s;
  for (std::size_t i = 0; i < n; ++i) s += fmt::format("{:02x}", p[i]);
  return s;
}

uint64_t read_uint(const uint8_t* p, std::size_t len) {
  // Internal records hold integers in host byte order at their own length.
  switch (len) {
    case 1: return p[0];
    case 2: { uint16_t v; std::memcpy(&v, p, 2); return v; }
    case 4: { uint32_t v; std::memcpy(&v, p, 4); return v; }
    case 8: { uint64_t v; std::memcpy(&v, p, 8); return v; }
    default: {
      uint64_t v = 0;
      std::memcpy(&v, p, std::min<std::size_t>(len, 8));
      return v;
    }
  }
}

}  // namespace

FileReader::FileReader(const std::string& path, uint32_t pen) {
  model_ = make_info_model(pen);
  GError* err = nullptr;
  fbCollector_t* coll = fbCollectorAllocFile(nullptr, path.c_str(), &err);
  if (coll == nullptr) {
    error_ = fmt::format("{}: {}", path, take_error(err));
    return;
  }
  session_ = fbSessionAlloc(model_);
  fbuf_ = fBufAllocForCollection(session_, coll);  // owns both from here
}

FileReader::~FileReader() {
  if (fbuf_ != nullptr) fBufFree(fbuf_);
  else if (session_ != nullptr) fbSessionFree(session_);
  if (model_ != nullptr) fbInfoModelFree(model_);
}

bool FileReader::next(std::vector<FieldValue>& fields, uint16_t& template_id, uint32_t& domain) {
  fields.clear();
  if (fbuf_ == nullptr) return false;
  GError* err = nullptr;
  uint16_t tid = 0;
  fbTemplate_t* ext = fBufNextCollectionTemplate(fbuf_, &tid, &err);
  if (ext == nullptr) {
    if (!g_error_matches(err, FB_ERROR_DOMAIN, FB_ERROR_EOF)) error_ = take_error(err);
    else g_clear_error(&err);
    return false;
  }
  // The internal template is the external one: libfixbuf only converts the
  // byte order, so the record lays out field after field.
  fbSession_t* session = fBufGetSession(fbuf_);
  const uint32_t n = fbTemplateCountElements(ext);
  if (fbSessionGetTemplate(session, TRUE, tid, nullptr) == nullptr) {
    fbTemplate_t* in = fbTemplateAlloc(model_);
    for (uint32_t i = 0; i < n; ++i) {
      const fbInfoElement_t* x = fbTemplateGetIndexedIE(ext, i);
      fbInfoElement_t ie{};
      ie.ent = x->ent;
      ie.num = x->num;
      ie.len = x->len;
      if (!fbTemplateAppend(in, &ie, &err)) {
        error_ = fmt::format("template {}: {}", tid, take_error(err));
        fbTemplateFreeUnused(in);
        return false;
      }
    }
    if (fbSessionAddTemplate(session, TRUE, tid, in, &err) == 0) {
      error_ = fmt::format("template {}: {}", tid, take_error(err));
      fbTemplateFreeUnused(in);
      return false;
    }
  }
  if (!fBufSetInternalTemplate(fbuf_, tid, &err)) {
    error_ = take_error(err);
    return false;
  }
  alignas(16) uint8_t rec[65536];
  std::size_t len = sizeof rec;
  if (!fBufNext(fbuf_, rec, &len, &err)) {
    if (!g_error_matches(err, FB_ERROR_DOMAIN, FB_ERROR_EOF)) error_ = take_error(err);
    else g_clear_error(&err);
    return false;
  }
  template_id = tid;
  domain = fbSessionGetDomain(session);
  std::size_t off = 0;
  for (uint32_t i = 0; i < n; ++i) {
    const fbInfoElement_t* x = fbTemplateGetIndexedIE(ext, i);
    const fbInfoElement_t* canon = x->ref.canon;
    FieldValue f;
    f.name = canon != nullptr && canon->ref.name != nullptr ? canon->ref.name : "_unknown";
    f.pen = x->ent;
    f.id = x->num;
    f.type = canon != nullptr ? canon->type : 0;
    const uint8_t* p = rec + off;
    if (x->len == FB_IE_VARLEN) {
      fbVarfield_t v;
      std::memcpy(&v, p, sizeof v);
      f.text = f.type == FB_STRING ? std::string(reinterpret_cast<const char*>(v.buf), v.len) : hex(v.buf, v.len);
      off += sizeof(fbVarfield_t);
      fields.push_back(std::move(f));
      continue;
    }
    switch (f.type) {
      case FB_IP4_ADDR: {
        const uint32_t a = static_cast<uint32_t>(read_uint(p, 4));
        f.text = ipv4_text(a);
        break;
      }
      case FB_IP6_ADDR: {
        f.text = ipv6_text(p);
        break;
      }
      case FB_UINT_8: case FB_UINT_16: case FB_UINT_32: case FB_UINT_64: case FB_BOOL:
      case FB_DT_SEC: case FB_DT_MILSEC: case FB_DT_MICROSEC: case FB_DT_NANOSEC:
      case FB_INT_8: case FB_INT_16: case FB_INT_32: case FB_INT_64:
        f.is_number = true;
        f.number = read_uint(p, x->len);
        f.text = std::to_string(f.number);
        break;
      case FB_STRING: f.text.assign(reinterpret_cast<const char*>(p), strnlen(reinterpret_cast<const char*>(p), x->len)); break;
      default: f.text = hex(p, x->len); break;
    }
    off += x->len;
    fields.push_back(std::move(f));
  }
  return true;
}

}  // namespace tunprobe::ipfix
