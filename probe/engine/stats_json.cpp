#include "probe/engine/stats_json.hpp"

#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fmt/format.h>

#include "probe/base/json_writer.hpp"

namespace tunprobe {

namespace {

// Writes `json` and a newline to `path`: into PATH.tmp, then renamed over
// PATH. A PATH that exists and is not a regular file (/dev/stdout, a FIFO)
// is written in place: renaming over it would replace the device; so is a
// file in a directory where PATH.tmp cannot be created. Returns "" or why
// not (the failing step and the system's reason).
std::string replace_file(const std::string& path, const std::string& json) {
  struct stat st {};
  bool in_place = ::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode);
  const std::string tmp = path + ".tmp";
  std::FILE* f = std::fopen(in_place ? path.c_str() : tmp.c_str(), "w");
  if (f == nullptr && !in_place) {
    in_place = true;
    f = std::fopen(path.c_str(), "w");
  }
  if (f == nullptr) return fmt::format("cannot create it: {}", std::strerror(errno));
  const bool written = std::fwrite(json.data(), 1, json.size(), f) == json.size() && std::fputc('\n', f) != EOF;
  const int write_errno = errno;
  const bool closed = std::fclose(f) == 0;  // a full disk often shows only here
  const int close_errno = errno;
  if (!written || !closed) {
    if (!in_place) std::remove(tmp.c_str());
    return fmt::format("cannot write it: {}", std::strerror(!written ? write_errno : close_errno));
  }
  if (!in_place && std::rename(tmp.c_str(), path.c_str()) != 0)
    return fmt::format("cannot rename {} over it: {}", tmp, std::strerror(errno));
  return {};
}

std::string directory_of(const std::string& path) {
  const auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

}  // namespace

std::string directory_owner_note(const std::string& path) {
  const std::string dir = directory_of(path);
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) return {};
  const passwd* pw = getpwuid(st.st_uid);
  const std::string user = pw != nullptr ? pw->pw_name : std::to_string(st.st_uid);
  const group* gr = getgrgid(st.st_gid);
  const std::string grp = gr != nullptr ? gr->gr_name : std::to_string(st.st_gid);
  return fmt::format("the directory {} belongs to {}:{}, mode {:04o}", dir, user, grp, st.st_mode & 07777);
}

std::string stats_json_unwritable(const std::string& path) {
  // As replace_file writes: a regular file is replaced through PATH.tmp
  // in its directory (whoever owns the old file), anything else (and a
  // file in a directory that takes no new file) is written in place.
  struct stat st {};
  const bool exists = ::stat(path.c_str(), &st) == 0;
  const std::string dir = directory_of(path);
  if ((!exists || S_ISREG(st.st_mode)) && ::access(dir.c_str(), W_OK | X_OK) == 0) return {};
  if (exists) {
    if (::access(path.c_str(), W_OK) == 0) return {};
    return fmt::format("cannot write it: {}", std::strerror(errno));
  }
  if (errno == ENOENT) return fmt::format("cannot create it: the directory {} does not exist", dir);
  return fmt::format("cannot create it: {}", std::strerror(errno));
}

std::string write_stats_json(const std::string& path, const RunProgress& p) {
  std::string j;
  {
    JsonObject o(j);
    o.boolean("running", true);
    o.raw("seconds", fmt::format("{:.3f}", p.seconds));
    o.raw("packetsPerSecond", fmt::format("{:.0f}", p.packets_per_second));
    o.num("packets", p.packets);
    o.num("liveFlows", p.live_flows);
    o.num("flows", p.flows);
    o.num("droppedPackets", p.dropped);
    o.num("missedPackets", p.missed);
    o.num("cacheEvictions", p.evictions);
  }
  return replace_file(path, j);
}

bool write_stats_json(const std::string& path, const RunSummary& s) {
  std::string j;
  {
    JsonObject o(j);
    o.boolean("interrupted", s.interrupted);
    o.raw("seconds", fmt::format("{:.6f}", s.seconds));
    o.str("dispatch", s.dispatch);
    o.num("packets", s.packets);
    o.num("bytes", s.bytes);
    o.num("flowPackets", s.flow_packets);
    o.num("droppedPackets", s.dropped);
    o.num("flows", s.flows);
    o.num("cacheEvictions", s.evictions);
    o.num("cacheExpiredOnFull", s.expired_on_full);
    o.num("timeBackwardsPackets", s.time_backwards);
    o.num("fragmentOrphans", s.frag_orphans);
    o.num("workerRingWaits", s.ring_stalls);
    o.num("dispatcherRingWaits", s.dispatch_stalls);
    std::string v;
    {
      JsonObject vo(v);
      for (std::size_t i = 0; i < kVerdictCount; ++i) vo.num(kVerdictInfo[i].name, s.verdicts[i]);
    }
    o.raw("verdicts", v);
    std::string m;
    {
      JsonObject mo(m);
      for (std::size_t i = 1; i < s.mirrored.size(); ++i) mo.num(kMirrorTypes[i].name, s.mirrored[i]);
    }
    o.raw("mirroredPackets", m);
    o.raw("workers", json_array(s.workers, [](JsonObject& wo, const WorkerSummary& w) {
            wo.num("packets", w.packets);
            wo.num("flows", w.flows);
          }));
    o.raw("ports", json_array(s.ports, [](JsonObject& po, const PortSummary& p) {
            po.str("input", p.input);
            po.num("queues", p.queues);
            po.num("ipackets", p.ipackets);
            po.num("imissed", p.imissed);
            po.num("ierrors", p.ierrors);
            po.num("rxNoMbuf", p.rx_nombuf);
            if (p.is_file) po.num("filePackets", p.expected);
            if (p.kernel) {
              po.num("kernelSocketDrops", p.kernel_socket_drops);
              po.num("kernelInterfaceDrops", p.kernel_interface_drops);
            }
          }));
    o.raw("inputs", json_array(s.inputs, [](JsonObject& io, const FileInputStats& in) {
            io.str("input", in.input);
            io.num("files", in.files);
            io.num("filesRead", in.files_read);
            io.num("filesTruncated", in.files_truncated);
            io.num("filesSkipped", in.files_skipped);
            io.num("filesUnreadable", in.files_unreadable);
            io.num("filesEmpty", in.files_empty);
            io.num("packets", in.packets);
            io.num("bytes", in.bytes);
            io.num("packetsBackInTime", in.back_in_time);
          }));
    if (!s.inputs.empty()) {
      o.num("maxOpenFiles", s.max_open_files);
      o.num("readerMbufWaits", s.reader_mbuf_waits);
    }
    o.raw("mbufPools", json_array(s.pools, [](JsonObject& po, const PoolSummary& p) {
            po.num("socket", static_cast<uint64_t>(p.socket));
            po.num("mbufs", p.mbufs);
            po.num("rxDescriptors", p.demand.rx_descriptors);
            po.num("ringSlots", p.demand.ring_slots);
            po.num("cacheSlots", p.demand.cache_slots);
            po.num("burstSlots", p.demand.burst_slots);
            po.num("bytes", p.bytes);
          }));
    o.num("ealMemoryMB", s.eal_memory_mb);
    o.num("flowCacheRecordsPerWorker", s.cache_records);
    o.raw("outputs", json_array(s.outputs, [](JsonObject& oo, const OutputSummary& x) {
            oo.str("output", x.output);
            if (!x.profile.empty()) oo.str("profile", x.profile);
            oo.num("written", x.written);
            oo.num("delivered", x.delivered);
            oo.num("failed", x.failed);
            oo.num("dropped", x.dropped);
            oo.num("buffered", x.buffered);
            oo.num("bufferedPeak", x.buffered_peak);
            oo.num("messages", x.messages);
            oo.num("sendErrors", x.send_errors);
            oo.num("connections", x.connections);
            oo.num("files", x.files);
          }));
  }
  std::string err = replace_file(path, j);
  if (!err.empty()) fmt::print(stderr, "tunprobe: --stats-json {}: {}\n", path, err);
  return err.empty();
}

}  // namespace tunprobe
