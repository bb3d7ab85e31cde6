// tunprobe-split's engine: every packet lands, unchanged and with its
// nanosecond timestamp, in the file of the queue the model picks.
#include <catch2/catch.hpp>
#include <pcap/pcap.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "hw/crc_dispatch.hpp"
#include "hw/rss.hpp"
#include "hw/split.hpp"
#include "tests/hw/vectors.hpp"
#include "probe/decode/parse.hpp"

using namespace tunprobe;
using namespace tunprobe::hw;
using namespace tunprobe::hw::testing;

namespace {

struct Record {
  uint64_t ts_ns;
  uint32_t wire_len;
  std::vector<uint8_t> bytes;
};

// A fresh directory for this test run, removed at the end.
struct TempDir {
  std::filesystem::path path;
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "tunprobe-split-XXXXXX").string();
    REQUIRE(mkdtemp(tmpl.data()) != nullptr);
    path = tmpl;
  }
  ~TempDir() { std::filesystem::remove_all(path); }
};

void write_pcap(const std::string& path, const std::vector<Record>& records) {
  pcap_t* dead = pcap_open_dead_with_tstamp_precision(DLT_EN10MB, 65535, PCAP_TSTAMP_PRECISION_NANO);
  REQUIRE(dead != nullptr);
  pcap_dumper_t* d = pcap_dump_open(dead, path.c_str());
  REQUIRE(d != nullptr);
  for (const Record& r : records) {
    pcap_pkthdr h{};
    h.ts.tv_sec = static_cast<time_t>(r.ts_ns / 1000000000u);
    h.ts.tv_usec = static_cast<suseconds_t>(r.ts_ns % 1000000000u);
    h.caplen = static_cast<uint32_t>(r.bytes.size());
    h.len = r.wire_len;
    pcap_dump(reinterpret_cast<u_char*>(d), &h, r.bytes.data());
  }
  pcap_dump_close(d);
  pcap_close(dead);
}

std::vector<Record> read_pcap(const std::string& path, int* dlt = nullptr) {
  char err[PCAP_ERRBUF_SIZE] = {};
  pcap_t* p = pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_NANO, err);
  INFO(path << ": " << err);
  REQUIRE(p != nullptr);
  if (dlt != nullptr) *dlt = pcap_datalink(p);
  std::vector<Record> out;
  pcap_pkthdr* h = nullptr;
  const u_char* b = nullptr;
  while (pcap_next_ex(p, &h, &b) == 1)
    out.push_back({static_cast<uint64_t>(h->ts.tv_sec) * 1000000000u + static_cast<uint64_t>(h->ts.tv_usec), h->len,
                   std::vector<uint8_t>(b, b + h->caplen)});
  pcap_close(p);
  return out;
}

// Every vector frame twice, with distinct nanosecond timestamps; the second
// copy claims a longer wire length (a snaplen-cut record).
std::vector<Record> input_records() {
  std::vector<Record> recs;
  uint64_t ts = 1700000000123456789ull;
  for (int copy = 0; copy < 2; ++copy)
    for (const CrcVector& v : load_crc_vectors()) {
      recs.push_back({ts, static_cast<uint32_t>(v.frame.size() + (copy ? 100 : 0)), v.frame});
      ts += 1001;  // not a multiple of 1000: microsecond files would lose it
    }
  return recs;
}

void check_split(Dispatch mode, unsigned n) {
  TempDir dir;
  const std::string in = (dir.path / "in.pcap").string();
  const std::string prefix = (dir.path / "out").string();
  const std::vector<Record> recs = input_records();
  write_pcap(in, recs);

  SplitOptions opts;
  opts.dispatch = mode;
  opts.queues = n;
  const SplitResult res = split_capture(in, prefix, opts);
  INFO(res.error);
  REQUIRE(res.error.empty());
  REQUIRE(res.packets == recs.size());
  REQUIRE(res.per_queue.size() == n);
  // The vectors the file marks as dropped (ip_version 0: ARP and the
  // malformed frames), each twice.
  std::size_t dropped = 0;
  for (const CrcVector& v : load_crc_vectors()) dropped += v.field_vector[fv::kIpVersion] == 0 ? 2 : 0;
  CHECK(dropped >= 2);
  CHECK(res.parser_drops == dropped);

  // Expected queue of each record, from the models directly.
  RssModel rss;
  rss.reta = default_reta(static_cast<uint16_t>(n));
  std::vector<std::vector<Record>> expect(n);
  for (const Record& r : recs) {
    PacketInfo p;
    parse_frame(r.bytes.data(), r.bytes.size(), LinkType::ethernet, opts.decode, p);
    const unsigned q = verdict_is_drop(p.verdict) ? 0 : mode == Dispatch::rss ? rss.queue(p) : crc_dispatch(p, n);
    expect[q].push_back(r);
  }
  uint64_t total = 0;
  for (unsigned q = 0; q < n; ++q) {
    INFO("queue " << q);
    int dlt = -1;
    const std::vector<Record> got = read_pcap(split_output_path(prefix, q), &dlt);
    CHECK(dlt == DLT_EN10MB);
    CHECK(res.per_queue[q] == got.size());
    REQUIRE(got.size() == expect[q].size());
    for (std::size_t i = 0; i < got.size(); ++i) {
      CHECK(got[i].ts_ns == expect[q][i].ts_ns);
      CHECK(got[i].wire_len == expect[q][i].wire_len);
      CHECK(got[i].bytes == expect[q][i].bytes);
    }
    total += got.size();
  }
  CHECK(total == recs.size());
}

}  // namespace

TEST_CASE("split: crc over 4 workers", "[hw-split]") { check_split(Dispatch::crc, 4); }
TEST_CASE("split: rss over 4 queues", "[hw-split]") { check_split(Dispatch::rss, 4); }
TEST_CASE("split: rss over 3 queues, one queue", "[hw-split]") {
  check_split(Dispatch::rss, 3);
  check_split(Dispatch::crc, 1);
}

TEST_CASE("split: bad options and inputs", "[hw-split]") {
  TempDir dir;
  const std::string prefix = (dir.path / "out").string();
  SplitOptions opts;
  opts.dispatch = Dispatch::crc;
  opts.queues = 3;
  CHECK_FALSE(check_split_options(opts).empty());
  SplitResult res = split_capture("/nonexistent.pcap", prefix, opts);
  CHECK(res.usage_error);
  opts.queues = 4;
  CHECK(check_split_options(opts).empty());
  res = split_capture((dir.path / "missing.pcap").string(), prefix, opts);
  CHECK(res.usage_error);
  CHECK_FALSE(res.error.empty());
  opts.dispatch = Dispatch::rss;
  opts.queues = 0;
  CHECK_FALSE(check_split_options(opts).empty());
  opts.queues = 3;
  opts.reta_size = 100;
  CHECK_FALSE(check_split_options(opts).empty());
}
