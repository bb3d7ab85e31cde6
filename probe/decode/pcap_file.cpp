#include "probe/decode/pcap_file.hpp"

#include <fmt/format.h>

#include <string_view>

namespace tunprobe {

std::optional<LinkType> link_type_from_dlt(int dlt) {
  switch (dlt) {
    case DLT_EN10MB: return LinkType::ethernet;
    case DLT_RAW:
    case 14:
    case 101: return LinkType::raw_ip;
    case DLT_NULL:
    case DLT_LOOP: return LinkType::null_bsd;
    case DLT_LINUX_SLL: return LinkType::linux_sll;
    default: return std::nullopt;
  }
}

std::string pcap_open_reason(const std::string& path, const char* errbuf) {
  const std::string_view e = errbuf;
  const std::string prefix = path + ": ";
  return std::string(e.substr(0, prefix.size()) == prefix ? e.substr(prefix.size()) : e);
}

PcapFile::PcapFile(const std::string& path) : path_(path) {
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  handle_ = pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_NANO, errbuf);
  if (handle_ == nullptr) {
    error_ = fmt::format("{}: cannot read capture: {}", path, pcap_open_reason(path, errbuf));
    return;
  }
  const int dlt = pcap_datalink(handle_);
  const auto link = link_type_from_dlt(dlt);
  if (!link) {
    const char* name = pcap_datalink_val_to_name(dlt);
    error_ = fmt::format(
        "{}: link type {} ({}) is not supported; tunprobe reads Ethernet, raw IP, BSD loopback and Linux "
        "cooked captures",
        path, dlt, name != nullptr ? name : "unknown");
    return;
  }
  link_ = *link;
}

PcapFile::~PcapFile() {
  if (handle_ != nullptr) pcap_close(handle_);
}

bool PcapFile::next(const uint8_t*& data, uint32_t& len, uint64_t& ts_ns) {
  pcap_pkthdr* hdr = nullptr;
  const u_char* bytes = nullptr;
  const int rc = pcap_next_ex(handle_, &hdr, &bytes);
  if (rc == 1) {
    data = bytes;
    len = hdr->caplen;
    ts_ns = static_cast<uint64_t>(hdr->ts.tv_sec) * 1000000000u + static_cast<uint64_t>(hdr->ts.tv_usec);
    return true;
  }
  if (rc == PCAP_ERROR) error_ = fmt::format("{}: {}", path_, pcap_geterr(handle_));
  return false;
}

}  // namespace tunprobe
