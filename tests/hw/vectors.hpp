// Reads hw/crc_vectors.txt (format in its header) for the hw tests.
#pragma once

#include <cstdint>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace tunprobe::hw::testing {

struct CrcVector {
  std::string name;
  std::vector<uint8_t> frame;
  std::vector<uint8_t> field_vector;
  uint32_t crc = 0;
  unsigned channel[4] = {};  // for 2, 4, 8, 16 workers
};

inline constexpr unsigned kVectorChannels[4] = {2, 4, 8, 16};

inline std::vector<uint8_t> from_hex(const std::string& hex) {
  if (hex.size() % 2 != 0) throw std::runtime_error("odd hex length: " + hex);
  std::vector<uint8_t> out;
  for (std::size_t i = 0; i < hex.size(); i += 2) out.push_back(static_cast<uint8_t>(std::stoul(hex.substr(i, 2), nullptr, 16)));
  return out;
}

inline std::vector<CrcVector> load_crc_vectors() {
  const std::string path = std::string(TUNPROBE_HW_DIR) + "/crc_vectors.txt";
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open " + path);
  std::vector<CrcVector> out;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream f(line);
    CrcVector v;
    std::string frame, fv, crc;
    if (!(f >> v.name >> frame >> fv >> crc >> v.channel[0] >> v.channel[1] >> v.channel[2] >> v.channel[3]))
      throw std::runtime_error("bad line in " + path + ": " + line);
    v.frame = from_hex(frame);
    v.field_vector = from_hex(fv);
    v.crc = static_cast<uint32_t>(std::stoul(crc, nullptr, 16));
    out.push_back(std::move(v));
  }
  return out;
}

inline const CrcVector& find_vector(const std::vector<CrcVector>& all, const std::string& name) {
  for (const CrcVector& v : all)
    if (v.name == name) return v;
  throw std::runtime_error("no vector named " + name);
}

}  // namespace tunprobe::hw::testing
