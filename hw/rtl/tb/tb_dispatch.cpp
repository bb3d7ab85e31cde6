// The Verilator testbench of tp_dispatch: every frame of the golden file
// (hw/rtl/tb/golden.cpp) through the core, the field vector, the CRC and
// the channel compared bit for bit with the C++ model, and the parser's
// decision (its pi_* bus, public to Verilator) with the model's PacketInfo
// (dropped or not; version, tunnel, fragment, outer fragment, outer pair,
// addresses, protocol, ports).
//
//   Vtp_dispatch GOLDEN [--seed N] [--timing-out FILE.json] [--smoke]
//
// Two passes over all frames:
//   full    input valid every cycle, output always ready: the throughput
//           and latency figures (cycles per frame against beats per frame)
//           and the check of the documented throughput bound;
//   random  input gaps and output stalls from a seeded generator: the
//           handshakes.
// A frame's result must come out in order and within HANG_CYCLES of the
// last activity, else the run fails as a hang. Exit 0 only if every
// result matches; the last line says "RESULT: PASS" or "RESULT: FAIL".
// --smoke (a model built with the other parser rule set): differences are
// counted, and only a hang or results out of step with the frames fail.
#include <verilated.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <map>
#include <random>
#include <string>

#include "Vtp_dispatch.h"
#include "Vtp_dispatch___024root.h"
#include "golden.hpp"

#ifndef TB_CHANNELS
#error "TB_CHANNELS (the core's NUM_CHANNELS) must be defined"
#endif

namespace {

using tp_rtl::Expect;
using tp_rtl::Frame;
using tp_rtl::Golden;

constexpr uint64_t HANG_CYCLES = 4096;

unsigned log2u(unsigned n) {
  unsigned l = 0;
  while ((1u << l) < n) ++l;
  return l;
}

struct Timing {
  uint64_t first = 0, last = 0, result = 0;
  unsigned beats = 0;
  unsigned steps = 0;  // parser states that fired for the frame (header reads)
};

class Bench {
 public:
  explicit Bench(const Golden& g) : g_(g), top_(&ctx_), r_(top_.rootp) {
    top_.clk = 0;
    top_.rst = 1;
    top_.s_axis_tvalid = 0;
    top_.m_ready = 0;
    for (int i = 0; i < 4; ++i) tick();
    top_.rst = 0;
  }

  // One pass over every frame. Returns the number of mismatches (a hang
  // counts as one and ends the pass).
  unsigned pass(bool full, uint64_t seed, std::vector<Timing>& timing) {
    std::mt19937_64 rng(seed);
    timing.assign(g_.frames.size(), Timing{});
    unsigned errors = 0;
    std::size_t next_in = 0, next_out = 0, next_pi = 0;
    unsigned steps = 0;
    unsigned beat = 0;
    uint64_t quiet = 0;
    int applied = -1;
    while (next_out < g_.frames.size()) {
      // A new configuration only when the core is empty (DecodeConfig is
      // per run; the core's cfg_* inputs are static while frames are in it).
      bool can_send = next_in < g_.frames.size();
      if (can_send && static_cast<int>(g_.frames[next_in].config) != applied) {
        if (next_out == next_in && beat == 0) {
          set_config(g_.frames[next_in].config);
          applied = static_cast<int>(g_.frames[next_in].config);
        }
        can_send = false;
      }
      const bool valid = can_send && (full || rng() % 4 != 0);
      if (valid) drive_beat(g_.frames[next_in].bytes, beat);
      top_.s_axis_tvalid = valid;
      top_.m_ready = full || rng() % 3 != 0;
      top_.clk = 0;
      top_.eval();
      const bool in_take = valid && top_.s_axis_tready;
      if (r_->tp_dispatch__DOT__u_parser__DOT__fire) ++steps;
      if (r_->tp_dispatch__DOT__pi_valid && r_->tp_dispatch__DOT__pi_ready) {
        if (next_pi < timing.size()) timing[next_pi].steps = steps;
        steps = 0;
        if (next_pi >= next_in) {
          std::printf("FAIL: a parse result with no frame in the core\n");
          broken_ = true;
          return errors + 1;
        }
        errors += check_parse(g_.frames[next_pi]) ? 0 : 1;
        ++next_pi;
      }
#ifdef TB_TRACE
      if (trace_ != nullptr && next_in < g_.frames.size() && g_.frames[next_in].name == trace_)
        std::printf("trace %llu: beat %u valid %d ready %d st %u x %u n_arr %u eof %u done %u crc_ready %u\n",
                    static_cast<unsigned long long>(cycle_), beat, valid, top_.s_axis_tready,
                    top_.rootp->tp_dispatch__DOT__u_parser__DOT__st, top_.rootp->tp_dispatch__DOT__u_parser__DOT__x,
                    top_.rootp->tp_dispatch__DOT__n_arr, top_.rootp->tp_dispatch__DOT__eof,
                    top_.rootp->tp_dispatch__DOT__u_parser__DOT__done, top_.rootp->tp_dispatch__DOT__pi_ready);
#endif
      const bool out_take = top_.m_valid && top_.m_ready;
      if (out_take) {
        if (next_out >= next_in) {
          std::printf("FAIL: a result with no frame in the core (after %zu results)\n", next_out);
          broken_ = true;
          return errors + 1;
        }
        errors += check(g_.frames[next_out]) ? 0 : 1;
        timing[next_out].result = cycle_;
        ++next_out;
      }
      if (in_take) {
        const Frame& f = g_.frames[next_in];
        const unsigned beats = std::max<unsigned>(1, static_cast<unsigned>((f.bytes.size() + 7) / 8));
        if (beat == 0) timing[next_in].first = cycle_;
        if (++beat == beats) {
          timing[next_in].last = cycle_;
          timing[next_in].beats = beats;
          beat = 0;
          ++next_in;
        }
      }
      quiet = (in_take || out_take) ? 0 : quiet + 1;
      if (quiet > HANG_CYCLES) {
        std::printf("FAIL: hang: no beat taken and no result for %llu cycles; waiting for the result of %s\n",
                    static_cast<unsigned long long>(HANG_CYCLES), g_.frames[next_out].name.c_str());
        broken_ = true;
        return errors + 1;
      }
      tick_high();
    }
    return errors;
  }

  uint64_t cycle() const { return cycle_; }
  bool broken() const { return broken_; }  // a hang, or results out of step with the frames
  const char* trace_ = nullptr;  // with -DTB_TRACE: the frame whose cycles are printed
  bool all_ = false;             // print every mismatch, not the first 20

 private:
  void tick() {
    top_.clk = 0;
    top_.eval();
    tick_high();
  }
  void tick_high() {
    top_.clk = 1;
    top_.eval();
    ++cycle_;
  }

  void set_config(unsigned idx) {
    const tp_rtl::Config& c = g_.configs[idx];
    for (int w = 0; w < 4; ++w) top_.cfg_teredo_ports[w] = 0;
    for (unsigned i = 0; i < 8; ++i) top_.cfg_teredo_ports[i / 2] |= static_cast<uint32_t>(c.ports[i]) << (16 * (i % 2));
    top_.cfg_teredo_port_en = static_cast<uint8_t>((1u << c.nports) - 1);
    top_.cfg_teredo_any_port = c.any_port;
  }

  void drive_beat(const std::vector<uint8_t>& bytes, unsigned beat) {
    const std::size_t beats = std::max<std::size_t>(1, (bytes.size() + 7) / 8);
    uint64_t data = 0;
    unsigned keep = 0;
    for (unsigned i = 0; i < 8; ++i) {
      const std::size_t at = 8 * static_cast<std::size_t>(beat) + i;
      if (at < bytes.size()) {
        data |= static_cast<uint64_t>(bytes[at]) << (8 * i);
        keep |= 1u << i;
      }
    }
    top_.s_axis_tdata = data;
    top_.s_axis_tkeep = static_cast<uint8_t>(keep);
    top_.s_axis_tlast = beat + 1 == beats;
  }

  // The parser's decision against the model's PacketInfo, normalized as
  // tp-rtl-golden writes it: a dropped frame compares `drop` only.
  bool check_parse(const Frame& f) {
    const Expect& e = f.e;
    const auto* r = r_;
    auto addr = [](const VlWide<4>& w, unsigned k) {  // byte k, first byte in bits 127:120
      const unsigned lo = 120 - 8 * k;
      return static_cast<uint8_t>(w[lo / 32] >> (lo % 32));
    };
    bool ok = r->tp_dispatch__DOT__pi_drop == e.drop;
    if (ok && !e.drop) {
      ok = r->tp_dispatch__DOT__pi_ip_version == e.ip_version && r->tp_dispatch__DOT__pi_tunnel == e.tunnel &&
           r->tp_dispatch__DOT__pi_is_fragment == e.is_fragment && r->tp_dispatch__DOT__pi_frag_outer == e.frag_outer &&
           r->tp_dispatch__DOT__pi_outer_src4 == e.outer_src4 && r->tp_dispatch__DOT__pi_outer_dst4 == e.outer_dst4 &&
           r->tp_dispatch__DOT__pi_protocol == e.protocol && r->tp_dispatch__DOT__pi_has_ports == e.has_ports &&
           r->tp_dispatch__DOT__pi_sport == e.sport && r->tp_dispatch__DOT__pi_dport == e.dport;
      for (unsigned k = 0; k < 16; ++k)
        ok = ok && addr(r->tp_dispatch__DOT__pi_src, k) == e.src[k] && addr(r->tp_dispatch__DOT__pi_dst, k) == e.dst[k];
    }
    if (!ok && (all_ || reported_++ < 20))
      std::printf("MISMATCH parse %s (%zu bytes): rtl drop %u ver %u tunnel %u frag %u outer-frag %u proto %u ports %u "
                  "%u/%u; model drop %u ver %u tunnel %u frag %u outer-frag %u proto %u ports %u %u/%u\n",
                  f.name.c_str(), f.bytes.size(), r->tp_dispatch__DOT__pi_drop, r->tp_dispatch__DOT__pi_ip_version,
                  r->tp_dispatch__DOT__pi_tunnel, r->tp_dispatch__DOT__pi_is_fragment,
                  r->tp_dispatch__DOT__pi_frag_outer, r->tp_dispatch__DOT__pi_protocol,
                  r->tp_dispatch__DOT__pi_has_ports, r->tp_dispatch__DOT__pi_sport, r->tp_dispatch__DOT__pi_dport, e.drop,
                  e.ip_version, e.tunnel, e.is_fragment, e.frag_outer, e.protocol, e.has_ports, e.sport, e.dport);
    return ok;
  }

  bool check(const Frame& f) {
    const Expect& e = f.e;
    uint8_t fv[40];
    for (unsigned i = 0; i < 40; ++i) fv[i] = static_cast<uint8_t>(top_.m_fv[i / 4] >> (8 * (i % 4)));
    const unsigned want_ch = e.channel[log2u(TB_CHANNELS)];
    const bool want_ip = e.fv[37] != 0;
    const bool ok = std::memcmp(fv, e.fv.data(), 40) == 0 && top_.m_hash == e.crc && top_.m_channel == want_ch &&
                    top_.m_ip == want_ip;
    if (!ok && (all_ || reported_++ < 20)) {
      std::printf("MISMATCH %s (%zu bytes)\n  fv   rtl ", f.name.c_str(), f.bytes.size());
      for (unsigned i = 0; i < 40; ++i) std::printf("%02x", fv[i]);
      std::printf("\n       model ");
      for (unsigned i = 0; i < 40; ++i) std::printf("%02x", e.fv[i]);
      std::printf("\n  hash rtl %08x model %08x  channel rtl %u model %u  ip rtl %u model %u\n", top_.m_hash, e.crc,
                  top_.m_channel, want_ch, top_.m_ip, want_ip);
    }
    return ok;
  }

  const Golden& g_;
  VerilatedContext ctx_;
  Vtp_dispatch top_;
  Vtp_dispatch___024root* r_;
  uint64_t cycle_ = 0;
  unsigned reported_ = 0;
  bool broken_ = false;
};

// A short description of a frame for the timing table: its tunnel as the
// outer header says (untagged frames only).
std::string kind_of(const Frame& f) {
  const auto& b = f.bytes;
  if (f.e.drop || b.size() < 34 || b[12] != 0x08 || b[13] != 0x00) return "";
  if (!f.e.tunnel) return "";
  if (b[23] == 17) return "teredo";
  if (b[23] == 41) return "proto41";
  return "";
}

}  // namespace

int main(int argc, char** argv) {
  Verilated::commandArgs(argc, argv);
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s GOLDEN [--seed N] [--timing-out FILE.json] [--smoke] [--all-mismatches] [--trace FRAME-NAME]\n", argv[0]);
    return 2;
  }
  uint64_t seed = 1;
  const char* timing_out = nullptr;
  bool smoke = false;
  for (int i = 2; i < argc; ++i)
    if (std::strcmp(argv[i], "--smoke") == 0) smoke = true;
  for (int i = 2; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], "--seed") == 0) seed = std::strtoull(argv[i + 1], nullptr, 10);
    if (std::strcmp(argv[i], "--timing-out") == 0) timing_out = argv[i + 1];
  }
  Golden g;
  try {
    g = tp_rtl::load_golden(argv[1]);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 2;
  }
  std::printf("tp_dispatch (NUM_CHANNELS %d): %zu frames, %zu configurations\n", TB_CHANNELS, g.frames.size(),
              g.configs.size());

  Bench bench(g);
  for (int i = 2; i < argc; ++i)
    if (std::strcmp(argv[i], "--all-mismatches") == 0) bench.all_ = true;
  for (int i = 2; i + 1 < argc; ++i)
    if (std::strcmp(argv[i], "--trace") == 0) bench.trace_ = argv[i + 1];
  std::vector<Timing> t;
  const uint64_t c0 = bench.cycle();
  unsigned errors = bench.pass(true, seed, t);
  const uint64_t full_cycles = bench.cycle() - c0;
  std::printf("pass full:   %u mismatches, %llu cycles\n", errors, static_cast<unsigned long long>(full_cycles));

  // Timing of the full-rate pass. period: first beat of a frame to the
  // first beat of the next (same configuration block); latency: last beat
  // taken to result taken.
  uint64_t lat_min = ~0ull, lat_max = 0, beats_sum = 0, period_sum = 0;
  unsigned over = 0, periods = 0;
  long worst_excess = -1;
  std::size_t worst_i = 0;
  std::map<unsigned, std::pair<uint64_t, std::size_t>> small;  // length class -> worst period, frame
  std::map<std::string, std::pair<std::size_t, uint64_t>> min_tunnel;  // kind -> smallest frame, its period
  for (std::size_t i = 0; i < g.frames.size(); ++i) {
    const uint64_t lat = t[i].result - t[i].last;
    lat_min = std::min(lat_min, lat);
    lat_max = std::max(lat_max, lat);
    if (i + 1 == g.frames.size() || g.frames[i + 1].config != g.frames[i].config) continue;
    const uint64_t period = t[i + 1].first - t[i].first;
    ++periods;
    period_sum += period;
    beats_sum += t[i].beats;
    const long excess = static_cast<long>(period) - static_cast<long>(t[i].beats);
    if (excess > 0) ++over;
    if (excess > worst_excess) {
      worst_excess = excess;
      worst_i = i;
    }
    const std::size_t len = g.frames[i].bytes.size();
    if (len >= 60 && len <= 64) {
      auto& s = small[60];
      if (period > s.first) s = {period, i};
    }
    const std::string k = kind_of(g.frames[i]);
    if (!k.empty() && (min_tunnel.count(k) == 0 || len < g.frames[min_tunnel[k].first].bytes.size()))
      min_tunnel[k] = {i, period};
  }
  std::printf("timing (full rate): %u frame periods, %.3f cycles/frame for %.3f beats/frame; %u frames took "
              "longer than their beats, worst +%ld cycles (%s, %zu bytes, %u beats)\n",
              periods, static_cast<double>(period_sum) / periods, static_cast<double>(beats_sum) / periods, over,
              worst_excess, g.frames[worst_i].name.c_str(), g.frames[worst_i].bytes.size(), t[worst_i].beats);
  std::printf("latency: %llu..%llu cycles from the last beat taken to the result\n",
              static_cast<unsigned long long>(lat_min), static_cast<unsigned long long>(lat_max));
  for (const auto& [cls, w] : small)
    std::printf("minimum-size frames (60-64 bytes): worst %llu cycles per frame (%s: %u beats, %u steps)\n",
                static_cast<unsigned long long>(w.first), g.frames[w.second].name.c_str(), t[w.second].beats,
                t[w.second].steps);
  for (const auto& [k, m] : min_tunnel)
    std::printf("smallest %s frame: %zu bytes, %u beats, %llu cycles (%s)\n", k.c_str(), g.frames[m.first].bytes.size(),
                t[m.first].beats, static_cast<unsigned long long>(m.second), g.frames[m.first].name.c_str());
  // Excess of the period over the beats, by frame size: how far from one
  // beat per cycle the core is.
  std::map<long, unsigned> hist_small, hist_big;
  for (std::size_t i = 0; i + 1 < g.frames.size(); ++i) {
    if (g.frames[i + 1].config != g.frames[i].config) continue;
    const long excess = static_cast<long>(t[i + 1].first - t[i].first) - static_cast<long>(t[i].beats);
    (t[i].beats < 8 ? hist_small : hist_big)[excess]++;
  }
  // The bound tp_dispatch.v documents: a frame takes at most
  // max(beats, steps) + 3 cycles at the input, steps being the parser's
  // header reads (one per cycle, the first once 14 bytes are in), and 7
  // at least when back-to-back runts wait for the back end (6 cycles per
  // frame, plus the hand-off).
  unsigned over_bound = 0, max_steps = 0;
  for (std::size_t i = 0; i + 1 < g.frames.size(); ++i) {
    max_steps = std::max(max_steps, t[i].steps);
    if (g.frames[i + 1].config != g.frames[i].config) continue;
    const uint64_t period = t[i + 1].first - t[i].first;
    const uint64_t bound = std::max<uint64_t>(std::max(t[i].beats, t[i].steps) + 3, 7);
    if (period > bound && over_bound++ < 5)
      std::printf("THROUGHPUT %s: %llu cycles for %u beats and %u steps, over the bound %llu\n",
                  g.frames[i].name.c_str(), static_cast<unsigned long long>(period), t[i].beats, t[i].steps,
                  static_cast<unsigned long long>(bound));
  }
  std::printf("throughput bound max(max(beats, steps) + 3, 7): %u frames over it (most steps in a frame: %u)\n",
              over_bound, max_steps);
  errors += over_bound;
  std::map<uint64_t, unsigned> hist_min;  // cycles -> frames, 60-64 bytes
  for (std::size_t i = 0; i + 1 < g.frames.size(); ++i)
    if (g.frames[i + 1].config == g.frames[i].config && g.frames[i].bytes.size() >= 60 && g.frames[i].bytes.size() <= 64)
      hist_min[t[i + 1].first - t[i].first]++;
  std::printf("cycles per 60-64 byte frame:");
  for (const auto& [c, n] : hist_min) std::printf(" %llu:%u", static_cast<unsigned long long>(c), n);
  std::printf("\n");
  std::printf("period - beats, frames under 8 beats:");
  for (const auto& [e, n] : hist_small) std::printf(" %+ld:%u", e, n);
  std::printf("\nperiod - beats, frames of 8 beats or more:");
  for (const auto& [e, n] : hist_big) std::printf(" %+ld:%u", e, n);
  std::printf("\n");
  if (timing_out != nullptr) {
    std::FILE* tf = std::fopen(timing_out, "w");
    if (tf == nullptr) {
      std::fprintf(stderr, "cannot write %s\n", timing_out);
      return 2;
    }
    auto frame_json = [&](const char* key, std::size_t i, uint64_t cycles, bool comma) {
      std::fprintf(tf, "  \"%s\": {\"name\": \"%s\", \"bytes\": %zu, \"beats\": %u, \"cycles\": %llu}%s\n", key,
                   g.frames[i].name.c_str(), g.frames[i].bytes.size(), t[i].beats,
                   static_cast<unsigned long long>(cycles), comma ? "," : "");
    };
    std::fprintf(tf, "{\n  \"frames\": %u,\n  \"cycles_per_frame\": %.4f,\n  \"beats_per_frame\": %.4f,\n", periods,
                 static_cast<double>(period_sum) / periods, static_cast<double>(beats_sum) / periods);
    std::fprintf(tf, "  \"latency_min\": %llu,\n  \"latency_max\": %llu,\n", static_cast<unsigned long long>(lat_min),
                 static_cast<unsigned long long>(lat_max));
    for (const auto& [k, m] : min_tunnel) frame_json(("smallest_" + k).c_str(), m.first, m.second, true);
    for (const auto& [cls, w] : small) frame_json("worst_60_64", w.second, w.first, true);
    std::fprintf(tf, "  \"max_excess_8_beats_or_more\": %ld\n}\n", hist_big.empty() ? 0 : hist_big.rbegin()->first);
    std::fclose(tf);
  }

  const unsigned rerrors = bench.pass(false, seed, t);
  std::printf("pass random: %u mismatches (seed %llu)\n", rerrors, static_cast<unsigned long long>(seed));
  errors += rerrors;
  if (smoke) {
    // The other parser rule set: the model in this tree follows the other
    // rules, so differences are expected; a hang or a lost result is not.
    std::printf("smoke: %u results differ from the model (other parser rules); %s\n", errors,
                bench.broken() ? "results out of step or a hang" : "one result per frame, in order");
    std::printf("RESULT: %s %zu frames x 2 passes (smoke)\n", bench.broken() ? "FAIL" : "PASS", g.frames.size());
    return bench.broken() ? 1 : 0;
  }
  std::printf("RESULT: %s %zu frames x 2 passes\n", errors == 0 ? "PASS" : "FAIL", g.frames.size());
  return errors == 0 ? 0 : 1;
}
