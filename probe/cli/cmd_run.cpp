// `tunprobe run`: the probe. Options -> RunConfig -> engine -> summary.
#include <fmt/format.h>
#include <pwd.h>

#include <cstdio>
#include <iostream>

#include "probe/cli/cli.hpp"
#include "probe/engine/engine.hpp"
#include "probe/engine/metrics.hpp"
#include "probe/engine/stats_json.hpp"
#include "probe/records/ipfix_elements.hpp"

namespace po = boost::program_options;

namespace tunprobe::cli {

namespace {

constexpr unsigned kMaxWorkers = 64;

template <typename T>
T ranged(const po::variables_map& vm, const char* name, T lo, T hi, const char* what) {
  const T v = vm[name].as<T>();
  if (v < lo || v > hi) throw UsageError{fmt::format("--{}: {} is out of range; {} {}..{}", name, v, what, lo, hi)};
  return v;
}

// An output that was given records and delivered none (all failed or
// dropped): the run's data did not reach that destination.
bool delivered_nothing(const OutputSummary& o) { return o.written > 0 && o.delivered == 0; }

// "A, B": the outputs that pass `pick`.
template <typename Pick>
std::string output_list(const RunSummary& s, Pick pick) {
  std::string list;
  for (const OutputSummary& o : s.outputs)
    if (pick(o)) list += (list.empty() ? "" : ", ") + o.output;
  return list;
}

void print_summary(const RunSummary& s) {
  // The headline says "exported" only when every output delivered records.
  const std::string none = output_list(s, delivered_nothing);
  const std::string some = output_list(
      s, [](const OutputSummary& o) { return !delivered_nothing(o) && o.delivered < o.written; });
  std::string flows = none.empty() ? fmt::format("{} flows exported", s.flows)
                                   : fmt::format("{} flows, none of them delivered by {}", s.flows, none);
  if (!some.empty()) flows += fmt::format(" (not all delivered by {})", some);
  std::string out = fmt::format(
      "tunprobe: {} in {:.3f} s: {} packets ({} bytes), {} in flows, {} dropped by verdict; {}\n",
      s.interrupted ? "interrupted" : "done", s.seconds, s.packets, s.bytes, s.flow_packets, s.dropped, flows);
  for (std::size_t v = 0; v < kVerdictCount; ++v)
    if (s.verdicts[v] != 0)
      out += fmt::format("  verdict {:<24} {:>12}  {}\n", kVerdictInfo[v].name, s.verdicts[v],
                         kVerdictInfo[v].disposition == Disposition::kDrop ? "dropped" : "in flows");
  for (std::size_t m = 1; m < s.mirrored.size(); ++m)
    if (s.mirrored[m] != 0)
      out += fmt::format("  mirror  {:<24} {:>12}  frames unwrapped ({})\n", kMirrorTypes[m].name, s.mirrored[m],
                         kMirrorTypes[m].label);
  for (std::size_t w = 0; w < s.workers.size(); ++w)
    out += fmt::format("  worker {:<3} packets {:>12} ({:5.1f}%)  flows {:>10}\n", w, s.workers[w].packets,
                       s.packets ? 100.0 * static_cast<double>(s.workers[w].packets) / static_cast<double>(s.packets) : 0.0,
                       s.workers[w].flows);
  for (const FileInputStats& in : s.inputs) {
    out += fmt::format("  input {}: {} file(s): {} read", in.input, in.files, in.files_read);
    if (in.files_truncated != 0) out += fmt::format(" ({} up to a damaged record)", in.files_truncated);
    if (in.files_skipped != 0) out += fmt::format(", {} not captures", in.files_skipped);
    if (in.files_unreadable != 0) out += fmt::format(", {} unreadable", in.files_unreadable);
    if (in.files_empty != 0) out += fmt::format(", {} without packets", in.files_empty);
    out += fmt::format("; {} packets ({} bytes), {} stamped before the packet before them\n", in.packets, in.bytes,
                       in.back_in_time);
  }
  if (!s.inputs.empty())
    out += fmt::format("  capture reader: {} file(s) open at most, {} waits for an mbuf\n", s.max_open_files,
                       s.reader_mbuf_waits);
  for (const PortSummary& p : s.ports) {
    out += fmt::format("  port {} ({}, {} queue(s)): ipackets {} imissed {} ierrors {} rx_nombuf {}", p.port, p.input,
                       p.queues, p.ipackets, p.imissed, p.ierrors, p.rx_nombuf);
    if (p.is_file) out += fmt::format(", {} packets in the file(s)", p.expected);
    if (p.kernel)
      out += fmt::format(" (kernel: socket ring full {} (in imissed), interface rx_dropped {})",
                         p.kernel_socket_drops, p.kernel_interface_drops);
    out += '\n';
  }
  out += fmt::format(
      "  cache evictions {} (full buckets; {} timed-out records made room), fragments without first fragment {}, "
      "packets stamped before their worker's clock {}, ring waits {} (workers) {} (dispatcher)\n",
      s.evictions, s.expired_on_full, s.frag_orphans, s.time_backwards, s.ring_stalls, s.dispatch_stalls);
  for (const PoolSummary& p : s.pools)
    out += fmt::format(
        "  mbuf pool socket {}: {} mbufs, {:.1f} MB (rx descriptors {} + ring slots {} + lcore caches {} + bursts {})\n",
        p.socket, p.mbufs, static_cast<double>(p.bytes) / (1u << 20), p.demand.rx_descriptors, p.demand.ring_slots,
        p.demand.cache_slots, p.demand.burst_slots);
  if (s.eal_memory_mb != 0) out += fmt::format("  EAL memory {} MB (-m, no hugepages)\n", s.eal_memory_mb);
  if (s.cache_bound != 0 && s.cache_records * s.workers.size() < s.cache_size)
    out += fmt::format("  flow cache {} records per worker: the capture files' size allows at most {} flows "
                       "(--cache-size {} is for more)\n", s.cache_records, s.cache_bound, s.cache_size);
  for (const OutputSummary& o : s.outputs) {
    out += fmt::format("  output {}{}: {} records, {} delivered, {} failed", o.output,
                       o.profile.empty() ? "" : " (" + o.profile + ")", o.written, o.delivered, o.failed);
    if (o.output.rfind("ipfix+tcp", 0) == 0)
      out += fmt::format(", {} dropped (export buffer full), {} buffered at most, {} connection(s)", o.dropped,
                         o.buffered_peak, o.connections);
    if (o.output.rfind("clickhouse", 0) == 0)
      out += fmt::format(", {} dropped (export buffer full), {} buffered at most, {} inserts", o.dropped,
                         o.buffered_peak, o.messages);
    if (o.messages != 0 && o.output.rfind("clickhouse", 0) != 0) out += fmt::format(", {} messages", o.messages);
    if (o.files > 1) out += fmt::format(", {} files", o.files);
    if (o.send_errors != 0) out += fmt::format(", {} send errors", o.send_errors);
    out += '\n';
  }
  std::fputs(out.c_str(), stderr);
}

}  // namespace

int cmd_run(int argc, char** argv) {
  po::options_description opts(
      "Usage: tunprobe run -i INPUT [-i INPUT...] [options]\n\n"
      "Reads packets from capture files or DPDK ports, strips the tunnels (Teredo, 6to4, ISATAP, 6in4, 6rd,\n"
      "AYIYA, GRE, IPv6 in UDP; with --mirror also VXLAN/ERSPAN/Ethernet-in-GRE mirrors), aggregates flows\n"
      "and exports them. Capture files need no NIC, no hugepages. Ends at the end of the capture\n"
      "file(s), or on SIGINT/SIGTERM (every flow is flushed; a second Ctrl-C quits at once).\n\n"
      "Exit status: 0 done; 1 the --stats-json summary could not be written; 2 a bad option or a start-up\n"
      "error (one line on stderr); 3 an output delivered none of the records it was given (all failed or\n"
      "dropped: the summary says which).\n\n"
      "Inputs (-i, repeatable; capture files and ports are not mixed in one run):\n"
      "  pcap:FILE            a capture file (pcap or pcapng; Ethernet, raw IP, BSD loopback, Linux cooked)\n"
      "  pcap:DIR             every capture file in DIR (rotated tcpdump -G/-C files), as one input\n"
      "  'pcap:GLOB'          the files that match GLOB (quoted: tunprobe expands it), as one input\n"
      "                       all files of all pcap: inputs are read merged in packet time order; files\n"
      "                       are ordered by their first packet, not by name; in a DIR or GLOB, files\n"
      "                       that are not captures, empty or damaged get one line on stderr each and\n"
      "                       are counted, the others are read; all files need one link type\n"
      "  dpdk:PCI_ADDRESS     a NIC bound to a DPDK driver (needs hugepages)\n"
      "  af_packet:IFACE      a kernel interface, through net_af_packet\n"
      "  vdev:SPEC            any DPDK virtual device, e.g. vdev:net_pcap0,rx_pcap=q0.pcap,rx_pcap=q1.pcap\n"
      "                       (one queue per rx_pcap file, for --dispatch rss on pre-split captures)\n"
      "Outputs (-o, repeatable, default json:-):\n"
      "  json:PATH            one JSON object per flow and line; '-' is stdout\n"
      "  ipfix:PATH           an IPFIX file (RFC 5655); with --rotate, PATH is an strftime pattern (UTC)\n"
      "  ipfix+udp://HOST:PORT  IPFIX over UDP (nfcapd, NfSen); templates re-sent every --template-refresh s\n"
      "  ipfix+tcp://HOST:PORT  IPFIX over TCP; reconnects, buffering up to --export-buffer records\n"
      "                       an IPFIX output may end in ?profile=NAME (else --profile)\n"
      "  clickhouse://HOST:PORT/DB.TABLE  rows into a ClickHouse table over HTTP (port 8123; the table from\n"
      "                       'tunprobe clickhouse-schema'); buffers up to --export-buffer records while the\n"
      "                       server is away; may end in ?user=U&password_file=F&probe=NAME&batch=N&batch_ms=MS\n"
      "                       (the rows' probeName, default the host name; an insert per N records, 100000,\n"
      "                       or when its first is MS old, 1000)\n\nOptions",
      kHelpWidth, kHelpWidth / 2);
  opts.add_options()
      ("help,h", "this help")
      ("config,c", po::value<std::string>(),
       "read options from FILE too (one 'name = value' per line, names as the long options without "
       "'--'; the command line wins)")
      ("input,i", po::value<std::vector<std::string>>()->composing(), "an input (repeatable)")
      ("output,o", po::value<std::vector<std::string>>()->composing(), "an output (repeatable)")
      ("workers,w", po::value<unsigned>()->default_value(1), "worker lcores, 1..64 (crc dispatch: a power of two)")
      ("dispatch", po::value<std::string>()->default_value("auto"),
       "how packets reach workers: rss (NIC RSS, symmetric key, on the outer header; one queue per worker; "
       "for pcap: inputs the reader applies the same Toeplitz model), crc (one RX lcore, or the reader, "
       "hashes the inner flow, FPGA-style; spreads one tunnel's flows), auto (pcap: inputs: crc; ports: rss "
       "where the input has a queue per worker, else crc)")
      ("cache-size", po::value<uint32_t>()->default_value(1u << 20),
       "flow records, all workers together, 8 x workers .. 2^28; each worker gets an equal share (rounded "
       "down to a multiple of 8); capture files small enough to hold fewer flows get a smaller cache "
       "(16 x the most flows their size allows; the summary says so)")
      ("active-timeout", po::value<uint32_t>()->default_value(300), "seconds, 1..86400: a longer flow is cut")
      ("inactive-timeout", po::value<uint32_t>()->default_value(30), "seconds, 1..86400: a flow idle this long ends")
      ("tcp-end-grace", po::value<double>()->default_value(5),
       "seconds, 0..86400: a TCP flow lives on this long after its first FIN or RST, so that the last ACK, a "
       "retransmitted FIN or the peer's RST count into it (a SYN starts a new flow at once); 0: it ends with "
       "that packet")
      ("stats-interval", po::value<double>()->default_value(0), "seconds between progress lines on stderr (0: none)")
      ("stats-json", po::value<std::string>(), "write the final summary as JSON to this file")
      ("metrics", po::value<std::string>(),
       "serve Prometheus metrics at http://HOST:PORT/metrics (HOST:PORT, [IPV6]:PORT, or :PORT for every "
       "address): packets, bytes and verdicts per worker, the flow cache, the ports' drops, every output's "
       "written/delivered/failed/dropped records; values at most 1 s old")
      ("metrics-linger", po::value<double>()->default_value(0),
       "seconds, 0..3600: at the end of the run, serve the final values until one scrape has read them, at "
       "most this long (for runs on files: set it above the scrape interval)")
      ("eal", po::value<std::string>()->default_value(""), "extra DPDK EAL arguments, space-separated (experts)")
      ("user", po::value<std::string>(),
       "once the ports run, drop root privileges to this user and its groups; the outputs, --stats-json and the "
       "capture files are then opened as this user (a directory it cannot write stops the run at start)")
      ("profile", po::value<std::string>()->default_value("default"),
       "IPFIX element profile: default (standard + tunprobe elements), nfdump (only what nfcapd stores), "
       "flowmon (PEN 16982 tunnel elements)")
      ("pen", po::value<uint64_t>()->default_value(ipfix::kDefaultPen),
       "private enterprise number of tunprobe's IPFIX elements (32473 is IANA's example number: use your own)")
      ("odid", po::value<uint64_t>()->default_value(1),
       "IPFIX observation domain id, 0..4294967295 (probes behind one address need distinct ids)")
      ("template-refresh", po::value<uint32_t>()->default_value(60), "seconds, 1..86400: UDP template re-send interval")
      ("export-buffer", po::value<uint64_t>()->default_value(262144),
       "records, 1..67108864: held for an IPFIX/TCP collector that is away or slow; beyond: dropped, counted")
      ("rotate", po::value<uint32_t>()->default_value(0), "seconds, 0..604800: a new ipfix: file every S seconds (0: one file)")
      ("export-mtu", po::value<uint32_t>()->default_value(1500), "bytes, 576..65535: path MTU to an IPFIX/UDP collector");
  opts.add(decoder_options());
  po::variables_map vm;
  parse("run", argc, argv, 2, opts, po::positional_options_description{}, vm);
  if (vm.count("help")) {
    std::cout << opts << '\n';
    return 0;
  }
  if (vm.count("config")) parse_config_file("run", vm["config"].as<std::string>(), opts, vm);

  RunConfig cfg;
  if (!vm.count("input")) throw UsageError{"tunprobe run: give at least one input, e.g. -i pcap:FILE (see 'tunprobe run --help')"};
  for (const std::string& s : vm["input"].as<std::vector<std::string>>()) {
    InputSpec in;
    if (std::string err = parse_input(s, in); !err.empty()) throw UsageError{err};
    cfg.inputs.push_back(in);
  }
  const std::vector<std::string> outs =
      vm.count("output") ? vm["output"].as<std::vector<std::string>>() : std::vector<std::string>{"json:-"};
  for (const std::string& s : outs) {
    OutputSpec o;
    if (std::string err = parse_output(s, o); !err.empty()) throw UsageError{err};
    cfg.outputs.push_back(o);
  }
  cfg.workers = ranged<unsigned>(vm, "workers", 1, kMaxWorkers, "workers:");
  const std::string d = vm["dispatch"].as<std::string>();
  if (d == "rss") cfg.dispatch = Dispatch::rss;
  else if (d == "crc") cfg.dispatch = Dispatch::crc;
  else if (d == "auto") cfg.dispatch = Dispatch::auto_;
  else throw UsageError{fmt::format("--dispatch: '{}' is not one of rss, crc, auto", d)};
  cfg.cache_size = vm["cache-size"].as<uint32_t>();
  if (cfg.cache_size < 8 * cfg.workers || cfg.cache_size > (1u << 28))
    throw UsageError{fmt::format("--cache-size: {} is out of range; records: {} (8 per worker)..{}", cfg.cache_size,
                                 8 * cfg.workers, 1u << 28)};
  cfg.active_timeout_s = ranged<uint32_t>(vm, "active-timeout", 1, 86400, "seconds:");
  cfg.inactive_timeout_s = ranged<uint32_t>(vm, "inactive-timeout", 1, 86400, "seconds:");
  {
    const double g = vm["tcp-end-grace"].as<double>();
    if (!(g >= 0 && g <= 86400))
      throw UsageError{fmt::format("--tcp-end-grace: {} is out of range; seconds: 0..86400", g)};
    cfg.tcp_end_grace_ms = static_cast<uint32_t>(g * 1000 + 0.5);
  }
  cfg.stats_interval_s = vm["stats-interval"].as<double>();
  if (cfg.stats_interval_s < 0) throw UsageError{"--stats-interval: must be 0 (off) or a positive number of seconds"};
  if (vm.count("stats-json")) cfg.stats_json = vm["stats-json"].as<std::string>();
  if (vm.count("metrics"))
    if (std::string err = parse_metrics_address(vm["metrics"].as<std::string>(), cfg.metrics_host, cfg.metrics_port);
        !err.empty())
      throw UsageError{err};
  cfg.metrics_linger_s = vm["metrics-linger"].as<double>();
  if (!(cfg.metrics_linger_s >= 0 && cfg.metrics_linger_s <= 3600))
    throw UsageError{fmt::format("--metrics-linger: {} is out of range; seconds: 0..3600", cfg.metrics_linger_s)};
  if (cfg.metrics_linger_s > 0 && cfg.metrics_port == 0)
    throw UsageError{"--metrics-linger: needs --metrics HOST:PORT"};
  cfg.eal_extra = vm["eal"].as<std::string>();
  if (vm.count("user")) {
    cfg.user = vm["user"].as<std::string>();
    if (getpwnam(cfg.user.c_str()) == nullptr) throw UsageError{fmt::format("--user {}: no such user", cfg.user)};
  }
  cfg.decode = decoder_config(vm);
  cfg.ipfix.profile = vm["profile"].as<std::string>();
  if (ipfix::find_profile(cfg.ipfix.profile) == nullptr)
    throw UsageError{fmt::format("--profile: '{}' is not one of {}", cfg.ipfix.profile, ipfix::profile_names())};
  if (std::string err = ipfix::check_pen(vm["pen"].as<uint64_t>()); !err.empty()) throw UsageError{err};
  cfg.ipfix.pen = static_cast<uint32_t>(vm["pen"].as<uint64_t>());
  cfg.ipfix.odid = static_cast<uint32_t>(ranged<uint64_t>(vm, "odid", 0, 0xffffffffu, "ids:"));
  cfg.ipfix.template_refresh_s = ranged<uint32_t>(vm, "template-refresh", 1, 86400, "seconds:");
  cfg.ipfix.export_buffer = ranged<uint64_t>(vm, "export-buffer", 1, uint64_t{1} << 26, "records:");
  cfg.ipfix.rotate_s = ranged<uint32_t>(vm, "rotate", 0, 604800, "seconds:");
  cfg.ipfix.mtu = ranged<uint32_t>(vm, "export-mtu", 576, 65535, "bytes:");
  for (OutputSpec& o : cfg.outputs) {
    o.ipfix = cfg.ipfix;
    if (!o.profile.empty() && ipfix::find_profile(o.profile) == nullptr)
      throw UsageError{fmt::format("-o {}: profile '{}' is not one of {}", o.text(), o.profile, ipfix::profile_names())};
  }

  RunSummary s;
  try {
    s = run_engine(cfg);
  } catch (const StartupError& e) {
    throw UsageError{"tunprobe run: " + e.message};
  }
  print_summary(s);
  int status = 0;
  if (!cfg.stats_json.empty() && !write_stats_json(cfg.stats_json, s)) status = kExitSummaryUnwritten;
  for (const OutputSummary& o : s.outputs)
    if (delivered_nothing(o)) status = kExitUndelivered;
  return status;
}

}  // namespace tunprobe::cli
