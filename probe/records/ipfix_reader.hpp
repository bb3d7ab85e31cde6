// Reads IPFIX files (RFC 5655: messages back to back, as `-o ipfix:` writes
// them, or a TCP stream saved to a file) with libfixbuf's collecting side,
// record by record, every field by its element name. tunprobe's elements
// (under a given PEN) and the PEN 16982 tunnel elements are known by name;
// others by libfixbuf's information model, or as alien elements.
//
// Fixed-length and variable-length fields are decoded; structured data
// (RFC 6313 lists) is not.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "templates/generated/ipfix_model.hpp"

struct fbInfoModel_st;
struct fbSession_st;
struct fbCollector_st;
struct fBuf_st;

namespace tunprobe::ipfix {

struct FieldValue {
  std::string name;    // element name ("_alienInformationElement" when unknown)
  uint32_t pen = 0;
  uint16_t id = 0;
  uint8_t type = 0;    // IANA abstract data type number
  bool is_number = false;
  uint64_t number = 0;  // unsigned, dateTime*, boolean (signed: two's complement)
  std::string text;     // addresses, strings, hex octets; the number as text otherwise
};

class FileReader {
 public:
  explicit FileReader(const std::string& path, uint32_t pen = kDefaultPen);
  ~FileReader();
  FileReader(const FileReader&) = delete;
  FileReader& operator=(const FileReader&) = delete;

  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }

  // The next data record: false at the end of the file, or on an error
  // (error() is then set).
  bool next(std::vector<FieldValue>& fields, uint16_t& template_id, uint32_t& domain);

 private:
  fbInfoModel_st* model_ = nullptr;
  fbSession_st* session_ = nullptr;
  fBuf_st* fbuf_ = nullptr;
  std::string error_;
};

}  // namespace tunprobe::ipfix
