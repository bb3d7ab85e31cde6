// The IPFIX information model at run time: the generated tables
// (templates/generated/ipfix_model.hpp, from templates/elements.json) turned
// into libfixbuf information elements and templates, and flow records
// turned into template-ordered record bytes.
//
// Record bytes are libfixbuf's internal form: each field at its template
// offset, integers and IPv4 addresses in host byte order with the element's
// length, IPv6 addresses as 16 bytes. The internal and external templates
// are the same, so libfixbuf only swaps bytes.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "probe/decode/decode_config.hpp"
#include "probe/flow/flow_record.hpp"
#include "templates/generated/ipfix_model.hpp"

struct fbInfoModel_st;
struct fbTemplate_st;

namespace tunprobe::ipfix {

// The largest record of any template (bytes).
inline constexpr std::size_t kMaxRecordBytes = 512;

const Profile* find_profile(std::string_view name);
std::string profile_names();  // "default, nfdump, flowmon"

// Checks a PEN for --pen: an error message naming the option, empty if fine.
// nfdump truncates PENs to 16 bits: low 16 bits 0 (IANA), 6871 (CERT) or
// 29305 (reverse elements) would be misread.
std::string check_pen(uint64_t pen);

// The template a record goes out with.
const Template& template_for(const Profile& p, const FlowKey& k);
uint16_t element_length(const Template& t, std::size_t field);
std::size_t record_length(const Template& t);
// Bytes of a template record in a template set (4 + 4 per field + 4 per
// enterprise field).
std::size_t template_record_length(const Template& t);

// Writes the record of `r` for template `t` into `out` (record_length(t)
// bytes). Facts come from the record and, for tunnels, from
// derive_tunnel_facts() (the same code as the JSON output).
std::size_t encode_record(const Template& t, const FlowRecord& r, const DecodeConfig& cfg, uint8_t* out);

// A libfixbuf information model: IANA's elements, tunprobe's under `pen`
// and the PEN 16982 tunnel elements. Free with fbInfoModelFree().
fbInfoModel_st* make_info_model(uint32_t pen);
// An fbTemplate_t of `t` (nullptr and `error` set on failure).
fbTemplate_st* make_template(fbInfoModel_st* model, const Template& t, uint32_t pen, std::string& error);

// PEN of an element (kPenTunprobe resolved to `pen`).
constexpr uint32_t element_pen(const Element& e, uint32_t pen) { return e.pen == kPenTunprobe ? pen : e.pen; }

}  // namespace tunprobe::ipfix
