// Where the report's records come from. A RecordSource streams the records
// of one file; open_source() picks the reader from the input's prefix or,
// for a bare path, from the file's first bytes. expand_inputs() turns the
// command line's inputs (files, directories of rotated files) into a list
// of files, checked to exist before anything is read.
//
//   json:PATH    JSON lines as `tunprobe run -o json:` writes them ("-" is stdin)
//   ipfix:PATH   an IPFIX file (RFC 7011 messages back to back) as
//                `tunprobe run -o ipfix:` writes it; read with libfixbuf
//   PATH         a file: IPFIX when it starts with version 10, JSON lines
//                when it starts with '{'; a directory: every regular file
//                under it (recursively, by name; dot-files skipped)
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "probe/report/flow.hpp"

namespace tunprobe::report {

enum class Format : uint8_t { detect, json, ipfix };

// What went wrong where: the file, the byte offset of the record or message
// that failed (and for JSON lines its line number), and what.
struct SourceError {
  std::string path;
  uint64_t offset = 0;
  uint64_t line = 0;  // 0 when the format has no lines
  std::string what;
  std::string message() const;  // "PATH: offset N (line L): WHAT"
};

class RecordSource {
 public:
  enum class Next : uint8_t { record, error, end };
  virtual ~RecordSource() = default;
  // The next record in `out`; Next::error leaves error() saying what went
  // wrong: a reader that can go on after it (JSON lines: the next line)
  // does so on the next call, one that cannot (IPFIX: a broken message
  // loses the framing) returns Next::end from then on.
  virtual Next next(ReportFlow& out) = 0;
  virtual const SourceError& error() const = 0;
  // Bytes consumed so far and the file's size (0 when unknown), for progress.
  virtual uint64_t position() const = 0;
  virtual uint64_t size() const = 0;
  virtual std::string_view format_name() const = 0;
  // What the report should say about the file besides errors ("" = nothing).
  virtual std::string notes() const { return {}; }
};

// How records are read (the command's options).
struct SourceOptions {
  uint32_t pen = 32473;  // the PEN of tunprobe's IPFIX elements (`tunprobe run --pen`)
};

struct InputFile {
  std::string path;
  Format format = Format::detect;
};

// Expands INPUT specs into files. Returns an error message (the spec and
// why) for a prefix that is unknown or a path that does not exist or
// cannot be read; `files` then holds what was expanded so far.
std::string expand_inputs(const std::vector<std::string>& specs, std::vector<InputFile>& files);

// Opens one file. On failure returns nullptr and sets `error` (the file,
// offset 0 and why: unreadable, unknown format, ...).
std::unique_ptr<RecordSource> open_source(const InputFile& file, const SourceOptions& opt, SourceError& error);

// The readers (one file each; open_source() calls them).
std::unique_ptr<RecordSource> open_json_source(const std::string& path, SourceError& error);
std::unique_ptr<RecordSource> open_ipfix_source(const std::string& path, const SourceOptions& opt, SourceError& error);

// True when this build reads IPFIX.
bool ipfix_supported();

// --from, --to, --odid: the records the report counts. The same rules for
// the files (applied to each record read) and for ClickHouse (the
// queries' WHERE, clickhouse_source.cpp).
struct RecordFilter {
  bool has_from = false, has_to = false;
  uint64_t from_ms = 0, to_ms = 0;  // flowStartMilliseconds >= from_ms and < to_ms
  std::vector<uint32_t> odids;      // observation domains (`run --odid`); empty: all
  bool empty() const { return !has_from && !has_to && odids.empty(); }
  // A record without an observation domain (JSON lines) never matches --odid.
  bool matches(const ReportFlow& f) const;
  // "flows started from 2026-01-01 00:00:00.000 UTC, before ..., observation domain(s) 1, 2" ("" when empty).
  std::string describe() const;
};

// A UTC time: 2026-01-01, 2026-01-01T12:00, 2026-01-01T12:00:00[.mmm] (a
// space for the T; an optional Z), or milliseconds since 1970 (digits
// only). Returns false when the text is none of these.
bool parse_utc_time(std::string_view text, uint64_t& ms);
// "2026-01-01 12:00:00.000 UTC".
std::string utc_text(uint64_t ms);

}  // namespace tunprobe::report
