// tunprobe-split --dispatch rss|crc -n N IN.pcap OUTPREFIX
//
// Writes OUTPREFIX.0.pcap .. OUTPREFIX.(N-1).pcap: each packet in the file
// of the queue (rss: NIC model on the outer header, symmetric key, default
// round-robin RETA) or worker (crc: the CRC distributor on the inner flow)
// that would receive it. See hw/split.hpp for the details and
// hw/rss.hpp, hw/crc_dispatch.hpp for the two models.
//
// Exit: 0 the whole input was split; 1 the input ends in a damaged record
// or an output could not be written (what was read is written); 2 bad
// options or an unreadable input.
#include <fmt/format.h>

#include <boost/program_options.hpp>
#include <iostream>

#include "hw/split.hpp"
#include "probe/cli/cli.hpp"

namespace po = boost::program_options;
using namespace tunprobe;

namespace {

int run(int argc, char** argv) {
  po::options_description opts(
      "Usage: tunprobe-split --dispatch rss|crc -n N IN.pcap OUTPREFIX\n\n"
      "Writes OUTPREFIX.0.pcap .. OUTPREFIX.(N-1).pcap (nanosecond pcap, the input's link type),\n"
      "each packet in the file of the queue that would receive it:\n"
      "  rss  NIC RSS on the outer header: symmetric Toeplitz key (0x6d5a...), round-robin RETA\n"
      "  crc  the CRC distributor: CRC-32C of the inner flow's field vector, low bits\n"
      "Packets the parser drops go to queue 0. Prints the per-queue packet counts.\n\nOptions");
  opts.add_options()
      ("help,h", "this help")
      ("version,V", "print the version")
      ("dispatch", po::value<std::string>(), "rss or crc")
      ("queues,n", po::value<unsigned>(), "number of queues: rss 1..RETA size; crc 1, 2, 4, 8, 16, 32 or 64")
      ("reta-size", po::value<unsigned>()->default_value(128),
       "rss: redirection table entries, 64, 128 (ixgbe), 256 or 512 (i40e, ice, mlx5)");
  opts.add(cli::decoder_options());
  po::options_description hidden;
  hidden.add_options()("input", po::value<std::string>())("prefix", po::value<std::string>());
  po::options_description all;
  all.add(opts).add(hidden);
  po::positional_options_description pos;
  pos.add("input", 1).add("prefix", 1);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(all).positional(pos).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    throw cli::UsageError{fmt::format("tunprobe-split: {} (see 'tunprobe-split --help')", e.what())};
  }
  if (vm.count("help")) {
    std::cout << opts << '\n';
    return 0;
  }
  if (vm.count("version")) {
    std::cout << "tunprobe-split " << TUNPROBE_VERSION << '\n';
    return 0;
  }
  if (!vm.count("input") || !vm.count("prefix"))
    throw cli::UsageError{"tunprobe-split: give an input capture and an output prefix (see 'tunprobe-split --help')"};
  if (!vm.count("dispatch")) throw cli::UsageError{"tunprobe-split: --dispatch is required: rss or crc"};
  if (!vm.count("queues")) throw cli::UsageError{"tunprobe-split: -n (number of queues) is required"};

  hw::SplitOptions so;
  const std::string mode = vm["dispatch"].as<std::string>();
  if (mode == "rss")
    so.dispatch = hw::Dispatch::rss;
  else if (mode == "crc")
    so.dispatch = hw::Dispatch::crc;
  else
    throw cli::UsageError{fmt::format("tunprobe-split: --dispatch '{}': use rss or crc", mode)};
  so.queues = vm["queues"].as<unsigned>();
  so.reta_size = vm["reta-size"].as<unsigned>();
  so.decode = cli::decoder_config(vm);
  if (std::string err = hw::check_split_options(so); !err.empty()) throw cli::UsageError{"tunprobe-split: " + err};

  const std::string prefix = vm["prefix"].as<std::string>();
  const hw::SplitResult res = hw::split_capture(vm["input"].as<std::string>(), prefix, so);
  if (res.usage_error) throw cli::UsageError{"tunprobe-split: " + res.error};

  fmt::print("tunprobe-split: {} packets, dispatch {}, {} queues\n", res.packets, mode, so.queues);
  for (unsigned q = 0; q < res.per_queue.size(); ++q)
    fmt::print("queue {}: {} packets ({})\n", q, res.per_queue[q], hw::split_output_path(prefix, q));
  fmt::print("parser drops (in queue 0): {}\n", res.parser_drops);
  if (!res.error.empty()) {
    fmt::print(stderr, "tunprobe-split: {}\n", res.error);
    return 1;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const cli::UsageError& e) {
    fmt::print(stderr, "{}\n", e.message);
    return cli::kExitUsage;
  }
}
