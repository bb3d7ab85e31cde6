// The report's one pass over the records: every count the tables need,
// in memory bounded by the distinct addresses (AddrCounter), the distinct
// (protocol, port) pairs, Teredo servers, relays and days.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <unordered_map>
#include <utility>
#include <vector>

#include "probe/report/addr_set.hpp"
#include "probe/report/flow.hpp"

namespace tunprobe::report {

struct Traffic {
  uint64_t flows = 0, packets = 0, bytes = 0;
  void add(const ReportFlow& f) {
    ++flows;
    packets += f.packets;
    bytes += f.octets;
  }
  void add(const Traffic& t) {
    flows += t.flows;
    packets += t.packets;
    bytes += t.bytes;
  }
};

// Table 4's rows.
enum class Kind : uint8_t { ipv4 = 0, native = 1, tunneled = 2 };
inline constexpr std::size_t kKinds = 3;

// Table 6's rows: a flow's service, from its protocol and the lower of its
// two ports (the server's, as a rule).
enum class ServiceKind : uint8_t { http, https, dns, port, icmp, other_protocol };
struct Service {
  ServiceKind kind;
  uint8_t protocol = 0;  // for ServiceKind::port
  uint16_t port = 0;
};
// TCP, UDP, SCTP, DCCP, UDP-Lite: the protocols with ports.
bool has_ports(uint8_t protocol);
Service service_of(uint8_t protocol, uint16_t sport, uint16_t dport);
// Both ports >= 1024 on a protocol with ports (the paper's p2p observation).
bool is_high_port(uint8_t protocol, uint16_t sport, uint16_t dport);

inline constexpr uint64_t kMsPerDay = 86'400'000;
inline constexpr std::size_t kServiceKinds = 6;  // ServiceKind values

// A key (an IPv4 address, or a service key: ServiceKind << 24 | protocol
// << 16 | port) and its traffic: a row of a top-N list.
using TopRow = std::pair<uint32_t, Traffic>;

// Everything the report's tables are made of, counted and ranked: what
// build_report() reads. From the files, Aggregator::counts() makes it; from
// ClickHouse, the server's aggregate queries (clickhouse_source.hpp).
struct ReportCounts {
  uint64_t records = 0;
  uint64_t without_tunnel_info = 0;
  uint64_t first_ms = UINT64_MAX, last_ms = 0;
  std::array<Traffic, kKinds> kinds{};
  std::array<Traffic, kTransports> tunnels{};
  std::array<Traffic, kKinds> high_kinds{};
  std::array<Traffic, kTransports> high_tunnels{};
  std::map<int64_t, std::array<Traffic, kKinds>> days;  // every UTC day with flows
  // Table 6, per traffic kind: each ServiceKind's traffic (port: all the
  // ports together), the top ports with flows of the kind (by flows,
  // packets, bytes, then key), and what the other ports add up to.
  struct Services {
    std::array<Traffic, kServiceKinds> by_kind{};
    std::vector<TopRow> top_ports;
    Traffic other_ports;
  };
  std::array<Services, kKinds> services{};
  // Distinct Teredo servers and their top list (by flows, packets, address).
  uint64_t teredo_server_count = 0;
  std::vector<TopRow> top_teredo_servers;
  // Per tunnel type: distinct relays and their top list.
  std::array<uint64_t, kTransports> relay_count{};
  std::array<std::vector<TopRow>, kTransports> top_relays{};
  // Tables 1-3: distinct addresses of the period and of each day with
  // IPv6 flows (days without are filled in by build_report()).
  AddrCounts addrs;
  std::map<int64_t, AddrCounts> day_addrs;
  bool estimated = false;  // some count is a HyperLogLog estimate
};

// The top lists' orders (the report's and the SQL's).
void sort_top_ports(std::vector<TopRow>& v);  // flows, packets, bytes (descending), key
void sort_top_by_flows(std::vector<TopRow>& v);  // flows, packets (descending), key

class Aggregator {
 public:
  explicit Aggregator(uint64_t exact_limit) : addrs(exact_limit) {}
  void add(const ReportFlow& f);

  static Kind kind_of(const ReportFlow& f) {
    if (f.ip_version == 4) return Kind::ipv4;
    return f.tunnel == TunnelType::none ? Kind::native : Kind::tunneled;
  }

  uint64_t records = 0;
  uint64_t without_tunnel_info = 0;  // records that had no tunnelType element
  uint64_t first_ms = UINT64_MAX, last_ms = 0;
  std::array<Traffic, kKinds> kinds{};
  std::array<Traffic, kTransports> tunnels{};  // by TunnelType (index 0 unused)
  std::array<Traffic, kKinds> high_kinds{};
  std::array<Traffic, kTransports> high_tunnels{};
  // Key: kind << 24 | protocol << 16 | port (protocol and port only for ServiceKind::port).
  std::unordered_map<uint32_t, std::array<Traffic, kKinds>> services;
  std::unordered_map<uint32_t, Traffic> teredo_servers;
  // Key: TunnelType << 32 | relay IPv4.
  std::unordered_map<uint64_t, Traffic> relays;
  std::map<int64_t, std::array<Traffic, kKinds>> days;  // by UTC day number
  AddrCounter addrs;

  // The counts of the tables, with top lists of `top` rows.
  ReportCounts counts(unsigned top) const;
};

}  // namespace tunprobe::report
