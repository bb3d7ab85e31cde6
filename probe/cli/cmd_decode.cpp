// `tunprobe decode FILE.pcap [--limit N]`: one JSON object per packet, the
// way the flow path sees it (the same parse_frame()).
#include <array>
#include <cstdio>
#include <fmt/format.h>
#include <iostream>
#include <utility>

#include "probe/cli/cli.hpp"
#include "probe/decode/packet_json.hpp"
#include "probe/decode/pcap_file.hpp"

namespace po = boost::program_options;

namespace tunprobe::cli {

int cmd_decode(int argc, char** argv) {
  po::options_description opts("Usage: tunprobe decode FILE.pcap [options]\n\n"
                               "Prints one JSON object per packet on stdout: verdict, tunnel, outer and inner\n"
                               "addresses, ports, address classes, Teredo fields. A summary of verdicts goes to\n"
                               "stderr. Exit 0 when the whole file was read, 1 when it ends in a damaged record,\n"
                               "2 on bad options or an unreadable file.\n\nOptions",
                               kHelpWidth, kHelpWidth / 2);
  opts.add_options()
      ("help,h", "this help")
      ("limit,n", po::value<uint64_t>(), "stop after N packets (N >= 1)")
      ("quiet,q", po::bool_switch(), "print no summary on stderr");
  opts.add(decoder_options());
  po::options_description hidden;
  hidden.add_options()("file", po::value<std::string>());
  po::options_description all;
  all.add(opts).add(hidden);
  po::positional_options_description pos;
  pos.add("file", 1);
  po::variables_map vm;
  parse("decode", argc, argv, 2, all, pos, vm);
  if (vm.count("help")) {
    std::cout << opts << '\n';
    return 0;
  }
  if (!vm.count("file")) throw UsageError{"tunprobe decode: give a capture file (see 'tunprobe decode --help')"};
  uint64_t limit = UINT64_MAX;
  if (vm.count("limit")) {
    limit = vm["limit"].as<uint64_t>();
    if (limit == 0) throw UsageError{"tunprobe decode: --limit must be at least 1"};
  }
  const DecodeConfig cfg = decoder_config(vm);

  PcapFile file(vm["file"].as<std::string>());
  if (!file.ok()) throw UsageError{"tunprobe decode: " + file.error()};

  std::array<uint64_t, kVerdictCount> counts{};
  // Teredo packets with RFC 6081 trailers, per trailer bit (probe/decode/packet.hpp).
  constexpr std::array<std::pair<uint8_t, const char*>, 5> kTrailers{{{kTeredoTrailerNonce, "nonce"},
                                                                      {kTeredoTrailerAlternateAddress, "alternate address"},
                                                                      {kTeredoTrailerNeighborDiscovery, "neighbor discovery"},
                                                                      {kTeredoTrailerRandomPort, "random port"},
                                                                      {kTeredoTrailerUnparsed, "unparsed"}}};
  std::array<uint64_t, kTrailers.size()> trailer_counts{};
  uint64_t with_trailers = 0;
  std::string line;
  uint64_t index = 0;
  const uint8_t* data = nullptr;
  uint32_t len = 0;
  uint64_t ts = 0;
  while (index < limit && file.next(data, len, ts)) {
    PacketInfo info;
    parse_frame(data, len, file.link(), cfg, info);
    ++counts[static_cast<std::size_t>(info.verdict)];
    if (info.tunnel == TunnelType::teredo && info.teredo.trailers != 0) {
      ++with_trailers;
      for (std::size_t i = 0; i < kTrailers.size(); ++i)
        if (info.teredo.trailers & kTrailers[i].first) ++trailer_counts[i];
    }
    line.clear();
    append_packet_json(line, index, ts, info);
    line += '\n';
    std::fwrite(line.data(), 1, line.size(), stdout);
    ++index;
  }
  std::fflush(stdout);
  if (!vm["quiet"].as<bool>()) {
    std::string summary = fmt::format("tunprobe decode: {} packets", index);
    for (std::size_t i = 0; i < kVerdictCount; ++i)
      if (counts[i] != 0) summary += fmt::format(", {} {}", kVerdictInfo[i].name, counts[i]);
    if (with_trailers != 0) {
      summary += fmt::format("; {} Teredo packets with RFC 6081 trailers (", with_trailers);
      bool first = true;
      for (std::size_t i = 0; i < kTrailers.size(); ++i) {
        if (trailer_counts[i] == 0) continue;
        summary += fmt::format("{}{} {}", first ? "" : ", ", kTrailers[i].second, trailer_counts[i]);
        first = false;
      }
      summary += ')';
    }
    fmt::print(stderr, "{}\n", summary);
  }
  if (!file.error().empty()) {
    fmt::print(stderr, "tunprobe decode: {} (after packet {})\n", file.error(), index);
    return 1;
  }
  return 0;
}

}  // namespace tunprobe::cli
