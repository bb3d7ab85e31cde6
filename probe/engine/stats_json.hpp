// --stats-json PATH: the run's statistics as one JSON object, for
// monitoring systems and the tests. While the probe runs (with
// --stats-interval) the file holds the progress object ("running":true);
// at exit the final summary replaces it. Both are written here, through one
// writer that replaces the file atomically (a temporary file, then a
// rename), so that a reader never sees half of either.
#pragma once

#include <cstdint>
#include <string>

#include "probe/engine/engine.hpp"

namespace tunprobe {

// What the progress line on stderr says, every --stats-interval seconds.
struct RunProgress {
  double seconds = 0;             // since the lcores started
  double packets_per_second = 0;  // since the last progress
  uint64_t packets = 0;
  uint64_t live_flows = 0;
  uint64_t flows = 0;             // exported
  uint64_t dropped = 0;           // by verdict
  uint64_t missed = 0;            // by the ports (NIC imissed, af_packet kernel drops)
  uint64_t evictions = 0;
};

// "" or why not (the next progress tries again; the caller says it once).
std::string write_stats_json(const std::string& path, const RunProgress& p);
// The final summary; false, with a line on stderr saying why, when it
// cannot be written.
bool write_stats_json(const std::string& path, const RunSummary& s);

// Checked at start (after the privilege drop, as the user the probe runs
// as): "" when `path` can be written, or why not, so that a run whose
// monitoring file cannot be written stops at once instead of at exit.
std::string stats_json_unwritable(const std::string& path);

// Where a file at `path` cannot be created: its directory's owner and mode
// ("the directory /var/lib/tunprobe belongs to root:root, mode 0755"), or ""
// when the directory cannot be examined. For errors after a privilege drop.
std::string directory_owner_note(const std::string& path);

}  // namespace tunprobe
