// HyperLogLog (Flajolet, Fusy, Gandouet, Meunier 2007): a distinct count in
// 16 KiB, standard error 1.04/sqrt(2^14) = 0.81%, 64-bit hashes (no
// large-range correction needed). The report falls back to it when the
// exact address sets outgrow --exact-limit.
#pragma once

#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "probe/report/flow.hpp"

namespace tunprobe::report {

// A 64-bit mix of a 16-byte address (MurmurHash3's finaliser on both
// halves): the HyperLogLog needs uniformly distributed bits.
inline uint64_t fmix64(uint64_t k) {
  k ^= k >> 33;
  k *= 0xff51afd7ed558ccdULL;
  k ^= k >> 33;
  k *= 0xc4ceb9fe1a85ec53ULL;
  k ^= k >> 33;
  return k;
}

inline uint64_t hash_ipv6(const Ipv6& a) {
  uint64_t hi, lo;
  std::memcpy(&hi, a.data(), 8);
  std::memcpy(&lo, a.data() + 8, 8);
  return fmix64(hi ^ fmix64(lo + 0x9e3779b97f4a7c15ULL));
}

class HyperLogLog {
 public:
  static constexpr unsigned kPrecision = 14;
  static constexpr std::size_t kRegisters = std::size_t{1} << kPrecision;

  HyperLogLog() : reg_(kRegisters, 0) {}

  void add(uint64_t hash) {
    const std::size_t idx = hash >> (64 - kPrecision);
    // Rank of the first 1 bit in the remaining 50 bits (a guard bit stops
    // the count at 51).
    const uint64_t w = (hash << kPrecision) | (uint64_t{1} << (kPrecision - 1));
    const uint8_t rank = static_cast<uint8_t>(std::countl_zero(w) + 1);
    if (rank > reg_[idx]) reg_[idx] = rank;
  }

  // Ertl's improved raw estimator ("New cardinality estimation algorithms
  // for HyperLogLog sketches", 2017, algorithm 6): unbiased over the whole
  // range without the original's switch to linear counting (whose seam at
  // 2.5 m is biased by a few per cent) and without empirical bias tables.
  double estimate() const {
    constexpr int q = 64 - static_cast<int>(kPrecision);  // ranks 0..q+1
    std::array<double, q + 2> c{};
    for (const uint8_t r : reg_) c[r] += 1;
    const double m = static_cast<double>(kRegisters);
    if (c[0] == m) return 0;
    double z = m * tau(1.0 - c[q + 1] / m);
    for (int k = q; k >= 1; --k) z = 0.5 * (z + c[static_cast<std::size_t>(k)]);
    z += m * sigma(c[0] / m);
    return 0.5 / std::log(2.0) * m * m / z;
  }

  static double standard_error() { return 1.04 / std::sqrt(static_cast<double>(kRegisters)); }

 private:
  static double sigma(double x) {
    double y = 1, z = x, prev;
    do {
      x *= x;
      prev = z;
      z += x * y;
      y += y;
    } while (prev != z);
    return z;
  }
  static double tau(double x) {
    if (x == 0 || x == 1) return 0;
    double y = 1, z = 1 - x, prev;
    do {
      x = std::sqrt(x);
      prev = z;
      y *= 0.5;
      z -= (1 - x) * (1 - x) * y;
    } while (prev != z);
    return z / 3;
  }

  std::vector<uint8_t> reg_;
};

}  // namespace tunprobe::report
