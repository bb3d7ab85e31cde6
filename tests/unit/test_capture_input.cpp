// Capture-file inputs (probe/engine/capture_input.hpp): directories, globs, the
// time-ordered merge of several files and inputs, and what happens to
// files that are not captures, empty, damaged or of another link type.
// The files are written here, byte by byte (pcap and pcapng).
#include <catch2/catch.hpp>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "probe/engine/capture_input.hpp"

namespace fs = std::filesystem;
using tunprobe::CaptureMerger;
using tunprobe::CapturePacket;
using tunprobe::CapturePlan;
using tunprobe::InputSpec;
using tunprobe::LinkType;

namespace {

struct Rec {
  uint64_t ns;      // timestamp
  uint8_t tag;      // first payload byte: tells the packets apart
  uint32_t len = 60;
};

void put32(std::string& s, uint32_t v) { s.append(reinterpret_cast<const char*>(&v), 4); }
void put16(std::string& s, uint16_t v) { s.append(reinterpret_cast<const char*>(&v), 2); }

// A classic pcap file (little-endian), nanosecond or microsecond stamps.
std::string pcap_bytes(const std::vector<Rec>& recs, uint32_t linktype = 1, bool nano = true) {
  std::string s;
  put32(s, nano ? 0xa1b23c4d : 0xa1b2c3d4);
  put16(s, 2);
  put16(s, 4);
  put32(s, 0);
  put32(s, 0);
  put32(s, 65535);
  put32(s, linktype);
  for (const Rec& r : recs) {
    put32(s, static_cast<uint32_t>(r.ns / 1'000'000'000u));
    put32(s, static_cast<uint32_t>(nano ? r.ns % 1'000'000'000u : r.ns % 1'000'000'000u / 1000));
    put32(s, r.len);
    put32(s, r.len);
    std::string frame(r.len, '\0');
    frame[0] = static_cast<char>(r.tag);
    s += frame;
  }
  return s;
}

// A pcapng file: section header, one Ethernet interface with nanosecond
// resolution, enhanced packet blocks.
std::string pcapng_bytes(const std::vector<Rec>& recs) {
  std::string s;
  put32(s, 0x0a0d0d0a);
  put32(s, 28);
  put32(s, 0x1a2b3c4d);
  put16(s, 1);
  put16(s, 0);
  put32(s, 0xffffffff);
  put32(s, 0xffffffff);
  put32(s, 28);
  // IDB with if_tsresol = 9 (option 9, length 1, padded), end of options.
  put32(s, 1);
  put32(s, 32);
  put16(s, 1);
  put16(s, 0);
  put32(s, 65535);
  put16(s, 9);
  put16(s, 1);
  s += std::string("\x09\0\0\0", 4);
  put16(s, 0);
  put16(s, 0);
  put32(s, 32);
  for (const Rec& r : recs) {
    const uint32_t padded = (r.len + 3) / 4 * 4;
    const uint32_t total = 32 + padded;
    put32(s, 6);
    put32(s, total);
    put32(s, 0);
    put32(s, static_cast<uint32_t>(r.ns >> 32));
    put32(s, static_cast<uint32_t>(r.ns));
    put32(s, r.len);
    put32(s, r.len);
    std::string frame(padded, '\0');
    frame[0] = static_cast<char>(r.tag);
    s += frame;
    put32(s, total);
  }
  return s;
}

struct TempDir {
  fs::path path;
  TempDir() {
    char tmpl[] = "/tmp/tp-capture-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~TempDir() { fs::remove_all(path); }
  std::string write(const std::string& name, const std::string& bytes) const {
    const fs::path p = path / name;
    fs::create_directories(p.parent_path());
    std::FILE* f = std::fopen(p.c_str(), "wb");
    std::fwrite(bytes.data(), 1, bytes.size(), f);
    std::fclose(f);
    return p.string();
  }
};

InputSpec pcap_input(const std::string& arg) {
  InputSpec in;
  REQUIRE(tunprobe::parse_input("pcap:" + arg, in) == "");
  return in;
}

struct Run {
  std::vector<CapturePacket> packets;
  std::vector<uint8_t> tags;
  std::vector<std::string> warnings;
  unsigned max_open = 0;
};

Run read_all(CapturePlan& plan) {
  Run r;
  CaptureMerger m(plan, [&](const std::string& w) { r.warnings.push_back(w); });
  CapturePacket p;
  while (m.next(p)) {
    r.packets.push_back(p);
    r.tags.push_back(p.data[0]);
  }
  r.max_open = m.max_open_files();
  return r;
}

uint64_t sec(double s) { return static_cast<uint64_t>(s * 1e9); }

}  // namespace

TEST_CASE("two inputs with interleaved packets come out merged by time", "[reader]") {
  TempDir d;
  const auto a = d.write("a.pcap", pcap_bytes({{sec(1.0), 1}, {sec(1.2), 3}, {sec(1.4), 5}}));
  const auto b = d.write("b.pcap", pcap_bytes({{sec(1.1), 2}, {sec(1.3), 4}, {sec(1.5), 6}}));
  CapturePlan plan;
  REQUIRE(tunprobe::plan_captures({pcap_input(a), pcap_input(b)}, plan) == "");
  const Run r = read_all(plan);
  CHECK(r.tags == std::vector<uint8_t>{1, 2, 3, 4, 5, 6});
  CHECK(r.packets[0].input == 0);
  CHECK(r.packets[1].input == 1);
  CHECK(r.packets[5].ts_ns == sec(1.5));
  REQUIRE(plan.inputs.size() == 2);
  CHECK(plan.inputs[0].packets == 3);
  CHECK(plan.inputs[1].packets == 3);
  CHECK(plan.inputs[0].bytes == 180);
  CHECK(plan.inputs[0].files_read == 1);
  CHECK(r.warnings.empty());
}

TEST_CASE("a directory of rotated files is read in time order, not name order", "[reader]") {
  TempDir d;
  // Names sort z, m, a; time order is a (earliest) ... z (latest) reversed.
  d.write("cap/z.pcap", pcap_bytes({{sec(10), 1}, {sec(11), 2}}));
  d.write("cap/m.pcap", pcap_bytes({{sec(20), 3}, {sec(21), 4}}));
  d.write("cap/a.pcap", pcap_bytes({{sec(30), 5}, {sec(31), 6}}));
  CapturePlan plan;
  REQUIRE(tunprobe::plan_captures({pcap_input((d.path / "cap").string())}, plan) == "");
  const Run r = read_all(plan);
  CHECK(r.tags == std::vector<uint8_t>{1, 2, 3, 4, 5, 6});
  CHECK(plan.inputs[0].files == 3);
  CHECK(plan.inputs[0].files_read == 3);
  CHECK(plan.inputs[0].packets == 6);
  CHECK(r.max_open == 1);  // one rotated file open at a time
  CHECK(plan.messages.empty());
}

TEST_CASE("files of one directory that overlap in time are merged packet by packet", "[reader]") {
  TempDir d;
  d.write("cap/q0.pcap", pcap_bytes({{sec(1), 1}, {sec(3), 3}, {sec(5), 5}}));
  d.write("cap/q1.pcapng", pcapng_bytes({{sec(2), 2}, {sec(4), 4}, {sec(6) + 7, 6}}));
  CapturePlan plan;
  REQUIRE(tunprobe::plan_captures({pcap_input((d.path / "cap").string())}, plan) == "");
  const Run r = read_all(plan);
  CHECK(r.tags == std::vector<uint8_t>{1, 2, 3, 4, 5, 6});
  CHECK(r.packets[5].ts_ns == sec(6) + 7);  // pcapng, nanoseconds kept
  CHECK(r.max_open == 2);
}

TEST_CASE("a glob is one input", "[reader]") {
  TempDir d;
  d.write("span-2.pcap", pcap_bytes({{sec(2), 2}}));
  d.write("span-1.pcap", pcap_bytes({{sec(1), 1}}));
  d.write("other.pcap", pcap_bytes({{sec(0), 9}}));
  CapturePlan plan;
  REQUIRE(tunprobe::plan_captures({pcap_input((d.path / "span-*.pcap").string())}, plan) == "");
  const Run r = read_all(plan);
  CHECK(r.tags == std::vector<uint8_t>{1, 2});
  CHECK(plan.inputs.size() == 1);
  CHECK(plan.inputs[0].files == 2);
  CapturePlan none;
  const std::string err = tunprobe::plan_captures({pcap_input((d.path / "nothing-*.pcap").string())}, none);
  CHECK(err.find("no file matches") != std::string::npos);
}

TEST_CASE("equal timestamps: the earlier input first, then file order", "[reader]") {
  TempDir d;
  const auto a = d.write("a.pcap", pcap_bytes({{sec(1), 1}, {sec(2), 3}}));
  const auto b = d.write("b.pcap", pcap_bytes({{sec(1), 2}, {sec(2), 4}}));
  CapturePlan plan;
  REQUIRE(tunprobe::plan_captures({pcap_input(b), pcap_input(a)}, plan) == "");
  const Run r = read_all(plan);
  CHECK(r.tags == std::vector<uint8_t>{2, 1, 4, 3});  // b was given first
}

TEST_CASE("a file whose records go back in time: clamped and counted", "[reader]") {
  TempDir d;
  const auto a = d.write("a.pcap", pcap_bytes({{sec(5), 1}, {sec(3), 2}, {sec(6), 3}}));
  CapturePlan plan;
  REQUIRE(tunprobe::plan_captures({pcap_input(a)}, plan) == "");
  const Run r = read_all(plan);
  REQUIRE(r.packets.size() == 3);
  CHECK(r.packets[1].ts_ns == sec(5));
  CHECK(r.packets[2].ts_ns == sec(6));
  CHECK(plan.inputs[0].back_in_time == 1);
}

TEST_CASE("a directory with files that are not captures, empty or damaged", "[reader]") {
  TempDir d;
  d.write("cap/README.txt", "not a capture\n");
  d.write("cap/empty.pcap", "");
  d.write("cap/header-only.pcap", pcap_bytes({}));
  d.write("cap/bogus-link.pcap", pcap_bytes({{sec(1), 7}}, 147));
  d.write("cap/short-header.pcap", pcap_bytes({}).substr(0, 10));
  std::string cut = pcap_bytes({{sec(3), 3}, {sec(4), 4}});
  cut.resize(cut.size() - 20);  // the last record cut
  d.write("cap/cut.pcap", cut);
  d.write("cap/good.pcap", pcap_bytes({{sec(1), 1}, {sec(2), 2}}));
  fs::create_directories(d.path / "cap" / "sub");
  CapturePlan plan;
  REQUIRE(tunprobe::plan_captures({pcap_input((d.path / "cap").string())}, plan) == "");
  const Run r = read_all(plan);
  CHECK(r.tags == std::vector<uint8_t>{1, 2, 3});
  const auto& st = plan.inputs[0];
  CHECK(st.files == 8);
  CHECK(st.files_skipped == 2);     // README.txt, sub/
  CHECK(st.files_unreadable == 3);  // empty, bogus link type, short header
  CHECK(st.files_empty == 1);       // header only
  CHECK(st.files_read == 2);        // good, cut
  CHECK(st.files_truncated == 1);
  CHECK(st.packets == 3);
  CHECK(st.files == st.files_read + st.files_skipped + st.files_unreadable + st.files_empty);
  CHECK(plan.messages.size() == 6);  // one line per file that was not read whole
  REQUIRE(r.warnings.size() == 1);
  CHECK(r.warnings[0].find("cut.pcap: truncated dump file") != std::string::npos);
  CHECK(r.warnings[0].find("the 1 packets before it are read") != std::string::npos);
  for (const std::string& m : plan.messages) CHECK(m.find('\n') == std::string::npos);
}

TEST_CASE("capture-file errors that stop the run", "[reader]") {
  TempDir d;
  CapturePlan plan;
  const auto missing = (d.path / "missing.pcap").string();
  CHECK(tunprobe::plan_captures({pcap_input(missing)}, plan) ==
        "-i pcap:" + missing + ": cannot read the capture: No such file or directory");
  const auto bogus = d.write("bogus.pcap", pcap_bytes({{sec(1), 1}}, 147));
  CHECK(tunprobe::plan_captures({pcap_input(bogus)}, plan).find("link type 147") != std::string::npos);
  d.write("none/README", "text");
  CHECK(tunprobe::plan_captures({pcap_input((d.path / "none").string())}, plan) ==
        "-i pcap:" + (d.path / "none").string() + ": no capture file among its 1 file(s) (1 not captures, 0 unreadable)");
  fs::create_directories(d.path / "void");
  CHECK(tunprobe::plan_captures({pcap_input((d.path / "void").string())}, plan).find("the directory is empty") !=
        std::string::npos);
  // Two supported link types in one run.
  const auto eth = d.write("eth.pcap", pcap_bytes({{sec(1), 1}}, 1));
  const auto sll = d.write("sll.pcap", pcap_bytes({{sec(1), 1}}, 113));
  const std::string err = tunprobe::plan_captures({pcap_input(eth), pcap_input(sll)}, plan);
  CHECK(err.find("sll.pcap is a Linux cooked capture") != std::string::npos);
  CHECK(err.find("one link type") != std::string::npos);
  // One link type other than Ethernet is fine.
  REQUIRE(tunprobe::plan_captures({pcap_input(sll)}, plan) == "");
  CHECK(plan.link == LinkType::linux_sll);
}

TEST_CASE("microsecond and nanosecond files merge on one time scale", "[reader]") {
  TempDir d;
  const auto us = d.write("us.pcap", pcap_bytes({{sec(1) + 1000, 1}, {sec(1) + 3000, 3}}, 1, false));
  const auto ns = d.write("ns.pcap", pcap_bytes({{sec(1) + 2000, 2}, {sec(1) + 2999, 3}}, 1, true));
  CapturePlan plan;
  REQUIRE(tunprobe::plan_captures({pcap_input(us), pcap_input(ns)}, plan) == "");
  const Run r = read_all(plan);
  REQUIRE(r.packets.size() == 4);
  CHECK(r.packets[0].ts_ns == sec(1) + 1000);
  CHECK(r.packets[1].ts_ns == sec(1) + 2000);
  CHECK(r.packets[2].ts_ns == sec(1) + 2999);
  CHECK(r.packets[3].ts_ns == sec(1) + 3000);
}
