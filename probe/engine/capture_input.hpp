// Capture-file inputs of `tunprobe run` (-i pcap:PATH), read with libpcap,
// without DPDK: the files of every such input come out as ONE stream of
// packets in time order. The engine's reader lcore copies them into mbufs
// and hands them to the workers (reader_main, probe/engine/lcores.cpp).
//
//   * PATH is a file, a directory (its files, not its subdirectories) or a
//     glob (`'pcap:/var/cap/span-*.pcap'`, quoted so that the shell leaves
//     it alone; expanded with glob(3)). A directory or a glob is ONE input.
//   * Order: files are ordered by their first packet's timestamp, not by
//     name, and merged packet by packet (a k-way merge on the timestamps)
//     with the files of every other input. Files that overlap in time are
//     interleaved correctly; only the files whose first packet has come are
//     open, so a month of hourly rotations keeps one or two open.
//   * Ties (equal timestamps): the earlier -i input first, then the file
//     that sorts first (first packet's time, then name).
//   * Inside a directory or a glob (one line on stderr for each, counted per
//     input): a file without a pcap or pcapng magic number is skipped with a
//     note; an empty (0-byte), unreadable or unsupported capture is skipped
//     with a warning; a capture without packets gets a warning. A single
//     FILE that cannot be read stops the run (one error line, exit 2), as
//     does an input in which no file is a capture.
//   * A damaged record (a truncated last record: the file was cut, or was
//     still being written): a warning naming the file; the packets before
//     it are read; the file counts as truncated.
//   * Link types: Ethernet, raw IP, BSD loopback, Linux cooked (those that
//     probe/decode/pcap_file.cpp maps). All files of a run have one link type (the
//     worker pipeline has one); a file of another supported type stops the
//     run with an error naming both files.
//   * Time: pcap and pcapng, microsecond or nanosecond files, read with
//     nanosecond precision. A packet stamped earlier than the packet before
//     it in the merged stream (possible only when a file's own records go
//     back in time) is given that packet's time and counted
//     (`back_in_time`): the workers never see time go backwards.
//   * The end of the input is where the last file ends: nothing is counted
//     beforehand.
#pragma once

#include <pcap/pcap.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "probe/decode/parse.hpp"
#include "probe/engine/run_config.hpp"

namespace tunprobe {

// What one -i pcap: input was and what was read from it. files = read +
// skipped + unreadable + empty; truncated is part of read. Written by the
// reader alone while it runs; read after it has ended.
struct FileInputStats {
  std::string input;              // as given with -i
  uint64_t files = 0;             // files named by the input
  uint64_t files_read = 0;        // opened and read to their end (or to a damaged record)
  uint64_t files_skipped = 0;     // not capture files (directory, glob)
  uint64_t files_unreadable = 0;  // empty (0 bytes), unreadable, unsupported
  uint64_t files_empty = 0;       // captures without a packet
  uint64_t files_truncated = 0;   // read up to a damaged record
  uint64_t packets = 0;
  uint64_t bytes = 0;             // captured bytes
  uint64_t back_in_time = 0;      // packets stamped before the packet before them (given its time)
};

struct CaptureFile {
  std::string path;
  unsigned input = 0;     // index into CapturePlan::inputs
  uint64_t first_ns = 0;  // its first packet's timestamp
};

struct CapturePlan {
  std::vector<CaptureFile> files;      // in merge order: first_ns, input, name
  std::vector<FileInputStats> inputs;  // one per pcap: input, in -i order
  LinkType link = LinkType::ethernet;
  int dlt = DLT_EN10MB;
  std::vector<std::string> messages;   // notes and warnings, one line each, without "tunprobe: "
};

// Expands and checks every pcap: input of `inputs` (others are ignored):
// reads each file's header and first packet. Empty on success, else the
// error line (the run must not start).
std::string plan_captures(const std::vector<InputSpec>& inputs, CapturePlan& plan);

struct CapturePacket {
  const uint8_t* data = nullptr;  // valid until the next call to next()
  uint32_t caplen = 0;
  uint32_t wirelen = 0;
  uint64_t ts_ns = 0;             // never below the previous packet's
  unsigned input = 0;
};

// The k-way merge over a plan's files. Not thread-safe: one reader.
class CaptureMerger {
 public:
  // `warn` receives one line (without "tunprobe: warning: ") for each file
  // that ends in a damaged record or cannot be reopened.
  CaptureMerger(CapturePlan& plan, std::function<void(const std::string&)> warn);
  ~CaptureMerger();
  CaptureMerger(const CaptureMerger&) = delete;
  CaptureMerger& operator=(const CaptureMerger&) = delete;

  // The next packet in time order; false when every file has ended. No
  // allocation, no exception (a file is opened, with libpcap's buffers,
  // when its first packet is due).
  bool next(CapturePacket& p) noexcept;

  unsigned open_files() const noexcept { return static_cast<unsigned>(heap_.size()); }
  unsigned max_open_files() const noexcept { return max_open_; }

 private:
  struct Source;
  bool open(std::size_t file) noexcept;
  bool advance(Source& s) noexcept;  // reads s's next record; false at its end
  void close(Source& s) noexcept;
  bool before(const Source& a, const Source& b) const noexcept;
  void sift_down(std::size_t i) noexcept;
  void sift_up(std::size_t i) noexcept;

  CapturePlan& plan_;
  std::function<void(const std::string&)> warn_;
  std::vector<std::unique_ptr<Source>> sources_;  // one per file, opened lazily
  std::vector<Source*> heap_;                     // open sources, earliest next packet on top
  std::size_t pending_ = 0;                       // plan_.files[pending_..] not opened yet
  Source* current_ = nullptr;                     // the source of the packet last returned
  uint64_t last_ns_ = 0;
  unsigned max_open_ = 0;
};

}  // namespace tunprobe
