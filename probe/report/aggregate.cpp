#include "probe/base/protocols.hpp"
#include "probe/report/aggregate.hpp"

#include <algorithm>

namespace tunprobe::report {

bool has_ports(uint8_t protocol) {
  return protocol == kIpProtoTcp || protocol == kIpProtoUdp || protocol == kIpProtoSctp || protocol == kIpProtoDccp ||
         protocol == kIpProtoUdpLite;
}

Service service_of(uint8_t protocol, uint16_t sport, uint16_t dport) {
  if (is_icmp_protocol(protocol)) return {ServiceKind::icmp};
  if (!has_ports(protocol)) return {ServiceKind::other_protocol};
  const uint16_t port = std::min(sport, dport);
  if (port == 80 && protocol == kIpProtoTcp) return {ServiceKind::http};
  if (port == 443 && (protocol == kIpProtoTcp || protocol == kIpProtoUdp)) return {ServiceKind::https};
  if (port == 53 && (protocol == kIpProtoTcp || protocol == kIpProtoUdp)) return {ServiceKind::dns};
  return {ServiceKind::port, protocol, port};
}

bool is_high_port(uint8_t protocol, uint16_t sport, uint16_t dport) {
  return has_ports(protocol) && sport >= 1024 && dport >= 1024;
}

void Aggregator::add(const ReportFlow& f) {
  ++records;
  if (!f.has_tunnel_info) ++without_tunnel_info;
  first_ms = std::min(first_ms, f.start_ms);
  last_ms = std::max(last_ms, f.start_ms);
  const Kind kind = kind_of(f);
  const auto k = static_cast<std::size_t>(kind);
  const auto t = static_cast<std::size_t>(f.tunnel);
  kinds[k].add(f);
  if (kind == Kind::tunneled) tunnels[t].add(f);
  if (is_high_port(f.protocol, f.sport, f.dport)) {
    high_kinds[k].add(f);
    if (kind == Kind::tunneled) high_tunnels[t].add(f);
  }
  const Service s = service_of(f.protocol, f.sport, f.dport);
  services[uint32_t{static_cast<uint8_t>(s.kind)} << 24 | uint32_t{s.protocol} << 16 | s.port][k].add(f);
  const int64_t day = static_cast<int64_t>(f.start_ms / kMsPerDay);
  days[day][k].add(f);
  if (kind == Kind::ipv4) return;

  const TunnelType tunnel = kind == Kind::tunneled ? f.tunnel : TunnelType::none;
  const AddrClass sc = f.src_class ? *f.src_class : classify_ipv6(f.src.data());
  const AddrClass dc = f.dst_class ? *f.dst_class : classify_ipv6(f.dst.data());
  addrs.add(day, f.src, tunnel, sc);
  addrs.add(day, f.dst, tunnel, dc);

  if (tunnel == TunnelType::teredo) {
    if (f.teredo_server4 != 0) teredo_servers[f.teredo_server4].add(f);
    // A relay: the outer end on the side of the one non-Teredo (counted)
    // inner address, unless it is the Teredo server itself.
    const bool st = sc == AddrClass::teredo, dt = dc == AddrClass::teredo;
    if (st != dt && is_counted_class(st ? dc : sc)) {
      const uint32_t far = st ? f.outer_dst4 : f.outer_src4;
      if (far != 0 && far != f.teredo_server4) relays[uint64_t{t} << 32 | far].add(f);
    }
  } else if (tunnel != TunnelType::none && f.relay4 != 0) {
    relays[uint64_t{t} << 32 | f.relay4].add(f);
  }
}

void sort_top_ports(std::vector<TopRow>& v) {
  std::sort(v.begin(), v.end(), [](const TopRow& a, const TopRow& b) {
    if (a.second.flows != b.second.flows) return a.second.flows > b.second.flows;
    if (a.second.packets != b.second.packets) return a.second.packets > b.second.packets;
    if (a.second.bytes != b.second.bytes) return a.second.bytes > b.second.bytes;
    return a.first < b.first;
  });
}

void sort_top_by_flows(std::vector<TopRow>& v) {
  std::sort(v.begin(), v.end(), [](const TopRow& a, const TopRow& b) {
    if (a.second.flows != b.second.flows) return a.second.flows > b.second.flows;
    if (a.second.packets != b.second.packets) return a.second.packets > b.second.packets;
    return a.first < b.first;
  });
}

ReportCounts Aggregator::counts(unsigned top) const {
  ReportCounts c;
  c.records = records;
  c.without_tunnel_info = without_tunnel_info;
  c.first_ms = first_ms;
  c.last_ms = last_ms;
  c.kinds = kinds;
  c.tunnels = tunnels;
  c.high_kinds = high_kinds;
  c.high_tunnels = high_tunnels;
  c.days = days;
  for (std::size_t k = 0; k < kKinds; ++k) {
    ReportCounts::Services& s = c.services[k];
    // This kind's own top ports: a port with no flow of the kind has no row.
    std::vector<TopRow> ports;
    for (const auto& [key, per_kind] : services) {
      const auto sk = static_cast<std::size_t>(key >> 24);
      s.by_kind[sk].add(per_kind[k]);
      if (static_cast<ServiceKind>(sk) == ServiceKind::port && per_kind[k].flows != 0) ports.push_back({key, per_kind[k]});
    }
    sort_top_ports(ports);
    for (std::size_t i = 0; i < ports.size(); ++i) {
      if (i < top) s.top_ports.push_back(ports[i]);
      else s.other_ports.add(ports[i].second);
    }
  }
  c.teredo_server_count = teredo_servers.size();
  c.top_teredo_servers.assign(teredo_servers.begin(), teredo_servers.end());
  sort_top_by_flows(c.top_teredo_servers);
  if (c.top_teredo_servers.size() > top) c.top_teredo_servers.resize(top);
  for (const auto& [key, tr] : relays) {
    const auto t = static_cast<std::size_t>(key >> 32);
    ++c.relay_count[t];
    c.top_relays[t].push_back({static_cast<uint32_t>(key), tr});
  }
  for (auto& v : c.top_relays) {
    sort_top_by_flows(v);
    if (v.size() > top) v.resize(top);
  }
  c.addrs = addrs.period();
  c.day_addrs = addrs.days();
  c.estimated = addrs.any_estimated();
  return c;
}

}  // namespace tunprobe::report
