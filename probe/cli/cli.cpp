#include "probe/cli/cli.hpp"

#include "probe/decode/plugin.hpp"

#include <cerrno>
#include <cstring>
#include <fmt/format.h>
#include <fstream>

namespace po = boost::program_options;

namespace tunprobe::cli {

void parse(std::string_view command, int argc, char** argv, int first, const po::options_description& opts,
           const po::positional_options_description& positional, po::variables_map& vm) {
  try {
    po::store(po::command_line_parser(argc - first + 1, argv + first - 1).options(opts).positional(positional).run(), vm);
    po::notify(vm);
  } catch (const po::too_many_positional_options_error&) {
    // Boost's "too many positional options" does not say which.
    const unsigned most = positional.max_total_count();
    throw UsageError{
        most == 0 ? fmt::format("tunprobe {}: takes no arguments besides its options; inputs are given as -i pcap:FILE "
                                "(see 'tunprobe {} --help')", command, command)
                  : fmt::format("tunprobe {}: takes {} capture file{}; for more, run it once per file (see 'tunprobe "
                                "{} --help')", command, most, most == 1 ? "" : "s", command)};
  } catch (const po::error& e) {
    throw UsageError{fmt::format("tunprobe {}: {} (see 'tunprobe {} --help')", command, e.what(), command)};
  }
}

void parse_config_file(std::string_view command, const std::string& path, const po::options_description& opts,
                       po::variables_map& vm) {
  std::ifstream in(path);
  if (!in) throw UsageError{fmt::format("tunprobe {}: --config {}: cannot read: {}", command, path, std::strerror(errno))};
  try {
    po::store(po::parse_config_file(in, opts), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    throw UsageError{fmt::format("tunprobe {}: --config {}: {}", command, path, e.what())};
  }
}

po::options_description decoder_options() {
  po::options_description d("Decoder", kHelpWidth, kHelpWidth / 2);
  d.add_options()
      ("teredo-heuristic", po::bool_switch(),
       "the same as --teredo-detect content (the default), kept for old configurations")
      ("6rd-prefix", po::value<std::vector<std::string>>()->composing(),
       "a 6rd domain (repeatable, at most 4): PREFIX/LEN, e.g. 2001:db8::/32, or PREFIX/LEN@V4PREFIX/MASKLEN "
       "when the CE addresses share their MASKLEN high bits, e.g. 2001:db8::/24@10.0.0.0/8 (RFC 5969 "
       "IPv4MaskLen); LEN + 32 - MASKLEN at most 64. Protocol 41 under it is 6rd")
      ("mirror", po::value<std::string>()->default_value("none"),
       "mirrored traffic to unwrap: 'none', 'auto' (all), or a comma list of vxlan (VXLAN, RFC 7348, to "
       "--vxlan-ports), erspan (ERSPAN types I, II and III in GRE) and teb (Ethernet bridged in GRE, 0x6558). "
       "The mirror's headers are stripped and the mirrored frame is decoded as if it had arrived on the port; "
       "the VNI, ERSPAN session id or GRE key is the flow's observationPointId. Off: such packets are the "
       "UDP or GRE flows they are")
      ("vxlan-ports", po::value<std::string>()->default_value("4789"),
       "UDP destination ports of VXLAN for --mirror vxlan, comma-separated (Linux's own default is 8472)");
  // Each UDP plug-in's ports, and its detection mode where it can be told by
  // content (probe/decode/plugin.hpp).
  for (const UdpPlugin& plugin : udp_plugins()) {
    const std::string name(tunnel_type_name(plugin.type));
    const std::string label(tunnel_type_label(plugin.type));
    if (plugin.content.any())
      d.add_options()((name + "-detect").c_str(),
                      po::value<std::string>()->default_value(
                          tunnel_type_info(plugin.type).default_detect == UdpDetect::content ? "content" : "ports"),
                      fmt::format("how {0} is found on UDP: 'content' (on any port, when the payload passes the "
                                  "plug-in's content checks, README \"Tunnels\": for Teredo an IPv6 packet with "
                                  "consistent lengths, a known next header and a Teredo or Teredo link-local end, "
                                  "as relays use ephemeral ports; for IPv6 in UDP exactly one IPv6 packet with no "
                                  "Teredo end) or 'ports' (only --{1}-ports)", label, name)
                          .c_str());
    const uint16_t port = tunnel_type_info(plugin.type).default_port;
    d.add_options()((name + "-ports").c_str(),
                    po::value<std::string>()->default_value(port != 0 ? std::to_string(port) : "none"),
                    fmt::format("UDP ports that carry {}, comma-separated (1..65535, at most {}), or 'none'; on "
                                "these the plug-in's header checks alone decide, and a payload that fails them "
                                "gets a verdict of its own (where the plug-in has one) and stays a UDP flow",
                                label, PortSet::kMax)
                        .c_str());
  }
  return d;
}

DecodeConfig decoder_config(const po::variables_map& vm) {
  DecodeConfig cfg;
  for (const UdpPlugin& plugin : udp_plugins()) {
    const std::string name(tunnel_type_name(plugin.type));
    if (std::string err = parse_udp_ports(plugin.type, vm[name + "-ports"].as<std::string>(), cfg); !err.empty())
      throw UsageError{err};
    if (plugin.content.any())
      if (std::string err = parse_udp_detect(plugin.type, vm[name + "-detect"].as<std::string>(), cfg); !err.empty())
        throw UsageError{err};
  }
  if (vm["teredo-heuristic"].as<bool>()) {
    if (cfg.detect(TunnelType::teredo) == UdpDetect::ports)
      throw UsageError{"--teredo-heuristic: it means --teredo-detect content, which contradicts --teredo-detect ports"};
    cfg.detect(TunnelType::teredo) = UdpDetect::content;
  }
  if (std::string err = parse_mirrors(vm["mirror"].as<std::string>(), cfg); !err.empty()) throw UsageError{err};
  if (std::string err = parse_vxlan_ports(vm["vxlan-ports"].as<std::string>(), cfg); !err.empty())
    throw UsageError{err};
  if (vm.count("6rd-prefix")) {
    const auto& prefixes = vm["6rd-prefix"].as<std::vector<std::string>>();
    if (prefixes.size() > DecodeConfig::kMaxSixrdPrefixes)
      throw UsageError{fmt::format("--6rd-prefix: at most {} prefixes", DecodeConfig::kMaxSixrdPrefixes)};
    for (const std::string& p : prefixes) {
      if (std::string err = parse_sixrd_prefix(p, cfg.sixrd[cfg.sixrd_count]); !err.empty()) throw UsageError{err};
      ++cfg.sixrd_count;
    }
  }
  return cfg;
}

}  // namespace tunprobe::cli
