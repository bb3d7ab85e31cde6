// Reads the golden file of tp-rtl-golden (format in hw/rtl/tb/golden.cpp)
// for the Verilator testbench.
#pragma once

#include <array>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace tp_rtl {

struct Config {
  bool any_port = false;
  unsigned nports = 0;
  std::array<uint16_t, 8> ports{};
};

struct Expect {
  bool drop = false;
  unsigned ip_version = 0;
  bool tunnel = false, is_fragment = false, frag_outer = false;
  uint32_t outer_src4 = 0, outer_dst4 = 0;
  std::array<uint8_t, 16> src{}, dst{};
  unsigned protocol = 0;
  bool has_ports = false;
  unsigned sport = 0, dport = 0;
  std::array<uint8_t, 40> fv{};  // byte i of the vector
  uint32_t crc = 0;
  std::array<unsigned, 7> channel{};  // crc_dispatch for 1, 2, 4, ..., 64
};

struct Frame {
  std::string name;
  unsigned config = 0;  // index into Golden::configs
  std::vector<uint8_t> bytes;
  Expect e;
};

struct Golden {
  std::vector<Config> configs;
  std::vector<Frame> frames;
};

inline void hex_bytes(const std::string& hex, uint8_t* out, std::size_t n) {
  if (hex.size() != 2 * n) throw std::runtime_error("bad hex field: " + hex);
  for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<uint8_t>(std::stoul(hex.substr(2 * i, 2), nullptr, 16));
}

inline Golden load_golden(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open " + path);
  std::ifstream names(path + ".names");
  Golden g;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream f(line);
    std::string tag;
    f >> tag;
    if (tag == "C") {
      Config c;
      unsigned any = 0;
      f >> any >> c.nports;
      for (auto& p : c.ports) f >> p;
      c.any_port = any != 0;
      g.configs.push_back(c);
    } else if (tag == "F") {
      if (g.configs.empty()) throw std::runtime_error("frame before any configuration in " + path);
      Frame fr;
      std::size_t len = 0;
      f >> len;
      fr.bytes.resize(len);
      for (auto& b : fr.bytes) {
        std::string h;
        f >> h;
        b = static_cast<uint8_t>(std::stoul(h, nullptr, 16));
      }
      fr.config = static_cast<unsigned>(g.configs.size() - 1);
      if (!std::getline(names, fr.name)) fr.name = "frame " + std::to_string(g.frames.size());
      g.frames.push_back(std::move(fr));
    } else if (tag == "E") {
      if (g.frames.empty()) throw std::runtime_error("expectation before any frame in " + path);
      Expect& e = g.frames.back().e;
      unsigned drop, tun, frag, fout, hp;
      std::string os4, od4, src, dst, proto, sp, dp, fv, crc;
      f >> drop >> e.ip_version >> tun >> frag >> fout >> os4 >> od4 >> src >> dst >> proto >> hp >> sp >> dp >> fv >>
          crc;
      for (auto& c : e.channel) f >> c;
      if (!f) throw std::runtime_error("bad E record in " + path + ": " + line);
      e.drop = drop;
      e.tunnel = tun;
      e.is_fragment = frag;
      e.frag_outer = fout;
      e.has_ports = hp;
      e.outer_src4 = static_cast<uint32_t>(std::stoul(os4, nullptr, 16));
      e.outer_dst4 = static_cast<uint32_t>(std::stoul(od4, nullptr, 16));
      hex_bytes(src, e.src.data(), 16);
      hex_bytes(dst, e.dst.data(), 16);
      e.protocol = static_cast<unsigned>(std::stoul(proto, nullptr, 16));
      e.sport = static_cast<unsigned>(std::stoul(sp, nullptr, 16));
      e.dport = static_cast<unsigned>(std::stoul(dp, nullptr, 16));
      std::array<uint8_t, 40> be{};
      hex_bytes(fv, be.data(), 40);
      for (std::size_t i = 0; i < 40; ++i) e.fv[i] = be[39 - i];  // the file has byte 39 first
      e.crc = static_cast<uint32_t>(std::stoul(crc, nullptr, 16));
    } else if (!tag.empty()) {
      throw std::runtime_error("unknown record '" + tag + "' in " + path);
    }
  }
  if (g.frames.empty()) throw std::runtime_error("no frames in " + path);
  return g;
}

}  // namespace tp_rtl
