#include "hw/split.hpp"

#include <fmt/format.h>
#include <pcap/pcap.h>

#include <memory>

#include "hw/crc_dispatch.hpp"
#include "hw/rss.hpp"
#include "probe/decode/parse.hpp"
#include "probe/decode/pcap_file.hpp"

namespace tunprobe::hw {

namespace {

struct PcapCloser {
  void operator()(pcap_t* p) const noexcept { pcap_close(p); }
};
struct DumperCloser {
  void operator()(pcap_dumper_t* d) const noexcept { pcap_dump_close(d); }
};
using PcapHandle = std::unique_ptr<pcap_t, PcapCloser>;
using Dumper = std::unique_ptr<pcap_dumper_t, DumperCloser>;

}  // namespace

std::string split_output_path(const std::string& prefix, unsigned queue) {
  return fmt::format("{}.{}.pcap", prefix, queue);
}

std::string check_split_options(const SplitOptions& opts) {
  if (opts.dispatch == Dispatch::crc) {
    if (std::string err = check_channel_count(opts.queues); !err.empty()) return "-n: " + err;
    return {};
  }
  if (std::string err = check_rss_config(opts.queues, opts.reta_size); !err.empty()) return err;
  return {};
}

SplitResult split_capture(const std::string& input, const std::string& prefix, const SplitOptions& opts) {
  SplitResult res;
  if (res.error = check_split_options(opts); !res.error.empty()) {
    res.usage_error = true;
    return res;
  }

  char errbuf[PCAP_ERRBUF_SIZE] = {};
  PcapHandle in{pcap_open_offline_with_tstamp_precision(input.c_str(), PCAP_TSTAMP_PRECISION_NANO, errbuf)};
  if (!in) {
    res.error = fmt::format("{}: cannot read capture: {}", input, errbuf);
    res.usage_error = true;
    return res;
  }
  const int dlt = pcap_datalink(in.get());
  const auto link = link_type_from_dlt(dlt);
  if (!link) {
    const char* name = pcap_datalink_val_to_name(dlt);
    res.error = fmt::format("{}: link type {} ({}) is not supported", input, dlt, name != nullptr ? name : "unknown");
    res.usage_error = true;
    return res;
  }

  PcapHandle dead{pcap_open_dead_with_tstamp_precision(dlt, pcap_snapshot(in.get()), PCAP_TSTAMP_PRECISION_NANO)};
  if (!dead) {
    res.error = "cannot create an output pcap handle";
    return res;
  }
  std::vector<Dumper> out;
  for (unsigned q = 0; q < opts.queues; ++q) {
    const std::string path = split_output_path(prefix, q);
    Dumper d{pcap_dump_open(dead.get(), path.c_str())};
    if (!d) {
      res.error = fmt::format("{}: cannot write: {}", path, pcap_geterr(dead.get()));
      res.usage_error = true;
      return res;
    }
    out.push_back(std::move(d));
  }
  res.per_queue.assign(opts.queues, 0);

  RssModel rss;
  rss.reta = default_reta(static_cast<uint16_t>(opts.queues), static_cast<uint16_t>(opts.reta_size));

  pcap_pkthdr* hdr = nullptr;
  const u_char* bytes = nullptr;
  int rc = 0;
  while ((rc = pcap_next_ex(in.get(), &hdr, &bytes)) == 1) {
    PacketInfo pkt;
    parse_frame(bytes, hdr->caplen, *link, opts.decode, pkt);
    ++res.packets;
    unsigned q = 0;
    if (verdict_is_drop(pkt.verdict))
      ++res.parser_drops;
    else
      q = opts.dispatch == Dispatch::rss ? rss.queue(pkt) : crc_dispatch(pkt, opts.queues);
    // With nanosecond precision on both handles, ts.tv_usec holds
    // nanoseconds and is written back unchanged.
    pcap_dump(reinterpret_cast<u_char*>(out[q].get()), hdr, bytes);
    ++res.per_queue[q];
  }
  if (rc == PCAP_ERROR) res.error = fmt::format("{}: {} (after packet {})", input, pcap_geterr(in.get()), res.packets);
  for (unsigned q = 0; q < opts.queues; ++q) {
    if (pcap_dump_flush(out[q].get()) != 0 && res.error.empty())
      res.error = fmt::format("{}: write error", split_output_path(prefix, q));
  }
  return res;
}

}  // namespace tunprobe::hw
