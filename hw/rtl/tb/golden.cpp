// tp-rtl-golden: what the C++ model (parse_frame + crc_dispatch) says about
// each frame, written for the RTL testbenches (hw/rtl/tb/).
//
//   tp-rtl-golden --out FILE [--append] [--prefixes N] [--flip-teredo-detect] [decoder options] INPUT...
//
// INPUT is a pcap file (Ethernet only: the core sees Ethernet frames) or a
// vector file in the format of hw/crc_vectors.txt. Decoder options are
// those of `tunprobe decode` (--teredo-ports, --teredo-detect,
// --6rd-prefix), parsed by the same code, so a capture's "decodeArgs" from
// its ground truth pass through unchanged. With --prefixes N, every prefix
// of every frame up to N bytes (lengths 0 .. min(N, len - 1)) is a frame of
// its own too: the same bytes cut by a snaplen, which walks the model's
// truncation fallbacks at every byte. --flip-teredo-detect turns Teredo
// detection off the configured ports on if the options leave it off, and
// off if they leave it on (--teredo-detect content, the default, and ports
// swapped).
//
// FILE, whitespace-separated tokens, one record per line (read by
// tb_dispatch.cpp and by the Verilog testbenches with $fscanf):
//   C any n p0 p1 p2 p3 p4 p5 p6 p7
//       configuration for the frames that follow: cfg_teredo_any_port
//       (Teredo looked for off the configured ports: --teredo-detect
//       content), the number of
//       Teredo ports and the ports (decimal, unused slots 0)
//   F len b0 b1 ...         a frame: its length, then its bytes (hex)
//   E drop ver tun frag fout os4 od4 src dst proto hp sp dp fv crc ch1 ch2 ch4 ch8 ch16 ch32 ch64
//       the model's answer for the frame before it:
//       drop        1 when the verdict is a drop verdict; then every other
//                   PacketInfo field is 0 (the model leaves them partly set)
//       ver tun frag fout   ip_version, tunnel != none, is_fragment, frag_outer
//       os4 od4     outer IPv4 source/destination of a tunnel (else 0), hex
//       src dst     the inner or native addresses, 32 hex digits, first
//                   byte first (IPv4 in the first 4 bytes)
//       proto hp sp dp      protocol, has_ports, ports (0 without has_ports), hex
//       fv          the 40-byte field vector as the 320-bit bus m_fv, most
//                   significant digit first: byte 39 first, byte 0 last
//       crc         field_vector_hash(fv), hex
//       chN         crc_dispatch(pkt, N), decimal
// FILE.names gets one line per frame: capture:index[:cut LEN].
#include <fmt/format.h>

#include <boost/program_options.hpp>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "hw/crc_dispatch.hpp"
#include "probe/base/bytes.hpp"
#include "tests/hw/vectors.hpp"
#include "probe/cli/cli.hpp"
#include "probe/decode/parse.hpp"
#include "probe/decode/pcap_file.hpp"

namespace po = boost::program_options;
using namespace tunprobe;

namespace {

// Teredo off the configured ports (the core's cfg_teredo_any_port):
// --teredo-detect content.
bool teredo_any_port(const DecodeConfig& c) { return c.detect(TunnelType::teredo) == UdpDetect::content; }

void flip_teredo_any_port(DecodeConfig& c) {
  c.detect(TunnelType::teredo) = teredo_any_port(c) ? UdpDetect::ports : UdpDetect::content;
}

struct Out {
  std::FILE* rec = nullptr;
  std::FILE* names = nullptr;
  unsigned frames = 0;
};

// The core does not decode GRE or IP in IPv6 (README "Not modelled"): it
// sees the outer IPv4 packet of protocol 47, or the outer IPv6 packet of
// next header 41 or 4, whole or a fragment, as the crc model hashes it.
PacketInfo core_view(const PacketInfo& p) {
  if (tunnel_has_outer_ipv6(p.tunnel)) {
    PacketInfo q;
    q.verdict = Verdict::ok;
    q.ip_version = 6;
    q.protocol = tunnel_outer_protocol(p.tunnel);
    std::memcpy(q.src, p.outer_src6, 16);
    std::memcpy(q.dst, p.outer_dst6, 16);
    q.is_fragment = p.is_fragment && p.frag_outer;
    return q;
  }
  if (tunnel_carrier(p.tunnel) != Carrier::ipv4_gre) return p;
  PacketInfo q;
  q.verdict = Verdict::ok;
  q.ip_version = 4;
  q.protocol = kIpProtoGre;
  store_ipv4_slot(q.src, p.outer_src4);
  store_ipv4_slot(q.dst, p.outer_dst4);
  q.is_fragment = p.is_fragment && p.frag_outer;
  return q;
}

void write_frame(Out& out, const std::string& name, const uint8_t* data, std::size_t len, const DecodeConfig& cfg) {
  PacketInfo parsed;
  parse_frame(data, len, LinkType::ethernet, cfg, parsed);
  const PacketInfo p = core_view(parsed);
  alignas(8) hw::FieldVector v;
  hw::build_field_vector(p, v);
  const uint32_t crc = hw::field_vector_hash(v);
  if (crc != hw::crc32c_bitwise(v.data(), v.size())) {
    std::fprintf(stderr, "tp-rtl-golden: %s: DPDK CRC and bitwise CRC differ\n", name.c_str());
    std::exit(1);
  }
  std::string line = fmt::format("F {}", len);
  for (std::size_t i = 0; i < len; ++i) line += fmt::format(" {:02x}", data[i]);
  std::fprintf(out.rec, "%s\n", line.c_str());

  const bool drop = verdict_is_drop(p.verdict);
  const bool tun = !drop && p.tunnel != TunnelType::none;
  std::string e = fmt::format("E {:d}", drop);
  if (drop) {
    e += " 0 0 0 0 00000000 00000000 " + std::string(32, '0') + " " + std::string(32, '0') + " 00 0 0000 0000";
  } else {
    e += fmt::format(" {} {:d} {:d} {:d} {:08x} {:08x} ", p.ip_version, tun, p.is_fragment, p.frag_outer,
                     tun ? p.outer_src4 : 0u, tun ? p.outer_dst4 : 0u);
    for (uint8_t b : p.src) e += fmt::format("{:02x}", b);
    e += ' ';
    for (uint8_t b : p.dst) e += fmt::format("{:02x}", b);
    e += fmt::format(" {:02x} {:d} {:04x} {:04x}", p.protocol, p.has_ports, p.has_ports ? p.sport : 0,
                     p.has_ports ? p.dport : 0);
  }
  e += ' ';
  for (std::size_t i = v.size(); i-- > 0;) e += fmt::format("{:02x}", v[i]);
  e += fmt::format(" {:08x}", crc);
  for (unsigned n = 1; n <= hw::kMaxChannels; n *= 2) e += fmt::format(" {}", hw::crc_dispatch(p, n));
  std::fprintf(out.rec, "%s\n", e.c_str());
  std::fprintf(out.names, "%s\n", name.c_str());
  ++out.frames;
}

void write_all(Out& out, const std::string& name, const std::vector<uint8_t>& frame, std::size_t prefixes,
               const DecodeConfig& cfg) {
  write_frame(out, name, frame.data(), frame.size(), cfg);
  for (std::size_t n = 0; n < frame.size() && n <= prefixes; ++n)
    write_frame(out, fmt::format("{}:cut {}", name, n), frame.data(), n, cfg);
}

bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

std::string base_name(const std::string& path) {
  const auto slash = path.rfind('/');
  std::string b = slash == std::string::npos ? path : path.substr(slash + 1);
  const auto dot = b.rfind('.');
  return dot == std::string::npos ? b : b.substr(0, dot);
}

}  // namespace

int main(int argc, char** argv) {
  po::options_description opts("tp-rtl-golden");
  opts.add_options()("out", po::value<std::string>()->required(), "record file")(
      "append", po::bool_switch(), "append to the record file")(
      "prefixes", po::value<std::size_t>()->default_value(0), "also every prefix up to this many bytes")(
      "flip-teredo-detect", po::bool_switch(), "Teredo off the configured ports: the other way round")(
      "input", po::value<std::vector<std::string>>()->required(), "pcap or vector files");
  opts.add(cli::decoder_options());
  po::positional_options_description pos;
  pos.add("input", -1);
  po::variables_map vm;
  DecodeConfig cfg;
  try {
    cli::parse("rtl-golden", argc, argv, 1, opts, pos, vm);
    cfg = cli::decoder_config(vm);
    if (vm["flip-teredo-detect"].as<bool>()) flip_teredo_any_port(cfg);
  } catch (const cli::UsageError& e) {
    std::fprintf(stderr, "%s\n", e.message.c_str());
    return cli::kExitUsage;
  }
  const std::string path = vm["out"].as<std::string>();
  const char* mode = vm["append"].as<bool>() ? "a" : "w";
  Out out;
  out.rec = std::fopen(path.c_str(), mode);
  out.names = std::fopen((path + ".names").c_str(), mode);
  if (out.rec == nullptr || out.names == nullptr) {
    std::fprintf(stderr, "tp-rtl-golden: cannot write %s: %s\n", path.c_str(), std::strerror(errno));
    return 1;
  }
  // The configuration as the core's inputs.
  const PortSet& teredo = cfg.ports(TunnelType::teredo);
  std::string c = fmt::format("C {:d} {}", teredo_any_port(cfg), static_cast<unsigned>(teredo.count));
  for (std::size_t i = 0; i < PortSet::kMax; ++i) c += fmt::format(" {}", i < teredo.count ? teredo.port[i] : 0);
  std::fprintf(out.rec, "%s\n", c.c_str());

  const std::size_t prefixes = vm["prefixes"].as<std::size_t>();
  for (const std::string& in : vm["input"].as<std::vector<std::string>>()) {
    const std::string cap = base_name(in);
    if (ends_with(in, ".pcap")) {
      PcapFile f(in);
      if (!f.ok()) {
        std::fprintf(stderr, "tp-rtl-golden: %s: %s\n", in.c_str(), f.error().c_str());
        return 1;
      }
      if (f.link() != LinkType::ethernet) {
        std::fprintf(stderr, "tp-rtl-golden: %s: not Ethernet; the core parses Ethernet frames\n", in.c_str());
        return 1;
      }
      const uint8_t* data = nullptr;
      uint32_t len = 0;
      uint64_t ts = 0;
      for (unsigned i = 0; f.next(data, len, ts); ++i)
        write_all(out, fmt::format("{}:{}", cap, i), std::vector<uint8_t>(data, data + len), prefixes, cfg);
      if (!f.error().empty()) {
        std::fprintf(stderr, "tp-rtl-golden: %s: %s\n", in.c_str(), f.error().c_str());
        return 1;
      }
    } else {
      // hw/crc_vectors.txt: load_crc_vectors() reads TUNPROBE_HW_DIR's; read
      // the given file the same way.
      std::ifstream vf(in);
      if (!vf) {
        std::fprintf(stderr, "tp-rtl-golden: cannot read %s\n", in.c_str());
        return 1;
      }
      std::string line;
      while (std::getline(vf, line)) {
        if (line.empty() || line[0] == '#') continue;
        std::string name, frame;
        std::istringstream(line) >> name >> frame;
        write_all(out, cap + ":" + name, hw::testing::from_hex(frame), prefixes, cfg);
      }
    }
  }
  std::fclose(out.rec);
  std::fclose(out.names);
  std::printf("%s: %u frames\n", path.c_str(), out.frames);
  return 0;
}
