// Reading capture files with libpcap for `tunprobe decode` (the flow path
// reads them through DPDK's net_pcap). Both see the same bytes.
#pragma once

#include <pcap/pcap.h>

#include <cstdint>
#include <optional>
#include <string>

#include "probe/decode/parse.hpp"

namespace tunprobe {

// Maps a pcap link type to the parser's; nullopt for the unsupported ones.
std::optional<LinkType> link_type_from_dlt(int dlt);

// libpcap's reason for not opening `path` (its errbuf), without the "PATH: "
// it starts with when the file itself could not be opened: the callers name
// the path once, themselves.
std::string pcap_open_reason(const std::string& path, const char* errbuf);

class PcapFile {
 public:
  // Opens `path`; on failure error() says why and ok() is false.
  explicit PcapFile(const std::string& path);
  ~PcapFile();
  PcapFile(const PcapFile&) = delete;
  PcapFile& operator=(const PcapFile&) = delete;

  bool ok() const { return handle_ != nullptr && error_.empty(); }
  const std::string& error() const { return error_; }
  LinkType link() const { return link_; }

  // Next packet: true with data/len/ts_ns set; false at the end of the file
  // or on a read error (then error() is not empty).
  bool next(const uint8_t*& data, uint32_t& len, uint64_t& ts_ns);

 private:
  pcap_t* handle_ = nullptr;
  LinkType link_ = LinkType::ethernet;
  std::string error_;
  std::string path_;
};

}  // namespace tunprobe
