// End to end: the real `tunprobe run` (a subprocess) on DPDK's net_pcap
// vdev in infinite_rx mode, which replays a capture from memory without end
// (DPDK-NOTES.md). The run is ended with SIGINT after a fixed time, and
// --stats-json gives packets, seconds, per-worker packets and port drops.
//
//   --dispatch rss: the capture is pre-split by the NIC RSS model
//     (hw/split.hpp, as tunprobe-split does) into one file per worker:
//     -i vdev:net_pcap0,rx_pcap=Q0,rx_pcap=Q1,...,infinite_rx=1
//   --dispatch crc: one file, one queue, the CRC dispatcher lcore:
//     -i vdev:eth_pcap0,rx_pcap=FILE,infinite_rx=1
//     (eth_pcap is DPDK's alias of net_pcap: tunprobe then treats the port
//     as a live one, which never ends by itself. Under the net_pcap name it
//     would count the file's packets and take a moment when the
//     dispatcher's rings hold every free mbuf, so that rx returns nothing,
//     for the end of the file.)
//
// Captures: single-flow mixes hold one frame per worker, the flows chosen so
// that RSS and the CRC distributor both put flow i on worker i (the paper's
// "one flow per core"); `mix` holds 1024 flows in 4096 frames cut at 128
// bytes (net_pcap copies each frame into an mbuf on the worker's core, a
// cost a NIC's DMA does not have; frames are small so that copy stays
// small). Output: -o json:/dev/null.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace tunprobe::bench {

struct E2eCase {
  std::string mix, variant;
  unsigned workers = 1;
  std::string dispatch;  // rss or crc
};

struct E2eResult {
  E2eCase c;
  uint32_t flows = 0;
  double mean_wire = 0;
  uint64_t packets = 0;
  double seconds = 0;
  double mpps = 0;
  double gbps = 0;             // at the mix's frame sizes, + 20 B preamble and gap
  uint64_t verdict_drops = 0;
  uint64_t imissed = 0, rx_nombuf = 0;
  uint64_t worker_ring_waits = 0, dispatcher_ring_waits = 0;
  std::vector<uint64_t> worker_packets;
  double balance = 0;          // least-loaded worker / most-loaded worker
  std::string command;
  std::string error;           // empty on success
};

struct E2eOptions {
  std::string tunprobe;        // path of the tunprobe binary
  std::string workdir;         // captures and stats files
  double seconds = 3;          // measured time per run
};

// Writes the captures for `cases` (once per mix and worker count).
std::string prepare_e2e(const std::vector<E2eCase>& cases, const E2eOptions& opt);

E2eResult run_e2e(const E2eCase& c, const E2eOptions& opt);

}  // namespace tunprobe::bench
