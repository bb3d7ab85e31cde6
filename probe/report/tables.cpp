#include "probe/report/tables.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <span>
#include <nlohmann/json.hpp>

#include "probe/base/address_text.hpp"
#include "probe/report/source.hpp"

#ifndef TUNPROBE_VERSION
#define TUNPROBE_VERSION "unknown"
#endif

namespace tunprobe::report {

namespace {

// Rows and columns per transport follow the tunnel table
// (probe/base/tunnel_type.hpp): native first, then each tunnel type.
std::string transport_key(TunnelType t) {
  return t == TunnelType::none ? "native" : std::string(tunnel_type_name(t));
}

std::string transport_label(TunnelType t) { return std::string(tunnel_type_label(t)); }

// Each tunnel type, without native.
constexpr std::span<const TunnelTypeInfo> tunnel_rows() { return std::span(kTunnelTypes).subspan(1); }

constexpr const char* kKindKeys[kKinds] = {"ipv4", "native", "tunneled"};
constexpr const char* kKindLabels[kKinds] = {"IPv4", "native IPv6", "tunneled IPv6"};


std::string protocol_name(uint8_t p) {
  switch (p) {
    case 6: return "tcp";
    case 17: return "udp";
    case 132: return "sctp";
    case 33: return "dccp";
    case 136: return "udplite";
    default: return fmt::format("proto{}", p);
  }
}

// flows, share, packets, share, bytes, share
const std::vector<Column> kTrafficColumns = {
    {"flows", "flows"},     {"flowShare", "flows %"}, {"packets", "packets"},
    {"packetShare", "packets %"}, {"bytes", "bytes"}, {"byteShare", "bytes %"}};

void traffic_cells(std::vector<Cell>& row, const Traffic& t, const Traffic& total) {
  row.push_back(Cell::count(t.flows));
  row.push_back(Cell::share(t.flows, total.flows));
  row.push_back(Cell::count(t.packets));
  row.push_back(Cell::share(t.packets, total.packets));
  row.push_back(Cell::count(t.bytes));
  row.push_back(Cell::share(t.bytes, total.bytes));
}

std::vector<Column> with(std::vector<Column> head, const std::vector<Column>& tail) {
  head.insert(head.end(), tail.begin(), tail.end());
  return head;
}

Table table1(const AddrCounts& p, const std::map<int64_t, AddrCounts>& days) {
  Table t;
  t.id = "table1_addresses";
  t.title = "Table 1: Unique IPv6 addresses by transport";
  const bool several = days.size() > 1;
  t.columns = {{"transport", "", false},         {"label", "transport"},
               {"addresses", "addresses"},       {"share", "share"},
               {"perDayAverage", "per day (average)", several}, {"perDayShare", "per-day share", several}};
  std::array<double, kTransports> avg{};
  bool days_est = false;
  for (const auto& [day, c] : days) {
    days_est |= c.estimated;
    for (std::size_t i = 0; i < kTransports; ++i) avg[i] += static_cast<double>(c.transport[i]);
  }
  const double ndays = static_cast<double>(std::max<std::size_t>(days.size(), 1));
  for (double& a : avg) a /= ndays;
  uint64_t total = 0;
  double avg_total = 0;
  for (std::size_t i = 0; i < kTransports; ++i) {
    total += p.transport[i];
    avg_total += avg[i];
  }
  for (const TunnelTypeInfo& ti : kTunnelTypes) {
    const TunnelType tt = ti.type;
    const auto i = static_cast<std::size_t>(tt);
    t.rows.push_back({Cell::str(transport_key(tt)), Cell::str(transport_label(tt)),
                      Cell::count(p.transport[i], p.estimated), Cell::share(p.transport[i], total, p.estimated),
                      Cell::real(avg[i], days_est), Cell::share_of(avg[i], avg_total, days_est)});
  }
  t.rows.push_back({Cell::str("total"), Cell::str("total (sum of the rows)"), Cell::count(total, p.estimated),
                    Cell::share(total, total, p.estimated), Cell::real(avg_total, days_est),
                    Cell::share_of(avg_total, avg_total, days_est)});
  t.notes.push_back(fmt::format(
      "An address seen in several transports counts in each of their rows; shares are of the sum of the rows. "
      "Per day: the average over the {} UTC day(s) with flows of each day's distinct addresses.",
      days.size()));
  t.charts.push_back({"addresses_per_day", "Unique IPv6 addresses per day"});
  return t;
}

Table table1_summary(const ReportCounts& agg, const AddrCounts& p) {
  Table t;
  t.id = "table1_summary";
  t.title = "Table 1 (cont.): distinct addresses, Teredo servers and relays";
  t.columns = {{"item", "", false}, {"label", "what"}, {"count", "count"}};
  const uint64_t teredo_relays = agg.relay_count[static_cast<std::size_t>(TunnelType::teredo)];
  const uint64_t sixtofour_relays = agg.relay_count[static_cast<std::size_t>(TunnelType::sixtofour)];
  t.rows = {
      {Cell::str("all"), Cell::str("distinct IPv6 addresses, all transports (each once)"), Cell::count(p.all, p.estimated)},
      {Cell::str("tunneled"), Cell::str("distinct IPv6 addresses seen in tunnels (each once)"),
       Cell::count(p.tunneled, p.estimated)},
      {Cell::str("excluded"), Cell::str("not counted: link-local, multicast, unspecified, loopback"),
       Cell::count(p.excluded, p.estimated)},
      {Cell::str("teredoServers"), Cell::str("Teredo servers (distinct teredoServerIPv4Address)"),
       Cell::count(agg.teredo_server_count)},
      {Cell::str("teredoRelays"), Cell::str("Teredo relays"), Cell::count(teredo_relays)},
      {Cell::str("sixtofourRelays"), Cell::str("6to4 relays (distinct tunnelRelayIPv4Address)"),
       Cell::count(sixtofour_relays)},
  };
  return t;
}

struct ClassRow {
  const char* key;
  const char* label;
  std::vector<AddrClass> classes;
};

Table class_table(std::string id, std::string title, const std::vector<ClassRow>& spec, const AddrCounts& p) {
  Table t;
  t.id = std::move(id);
  t.title = std::move(title);
  t.columns = {{"class", "", false},          {"label", "interface identifier"}, {"native", "native"},
               {"nativeShare", "native %"},  {"tunneled", "tunneled"},         {"tunneledShare", "tunneled %"}};
  std::array<uint64_t, 2> total{};
  std::vector<std::array<uint64_t, 2>> v;
  for (const ClassRow& r : spec) {
    std::array<uint64_t, 2> n{};
    for (AddrClass c : r.classes)
      for (std::size_t k = 0; k < 2; ++k) n[k] += p.by_class[k][static_cast<std::size_t>(c)];
    total[0] += n[0];
    total[1] += n[1];
    v.push_back(n);
  }
  for (std::size_t i = 0; i < spec.size(); ++i)
    t.rows.push_back({Cell::str(spec[i].key), Cell::str(spec[i].label), Cell::count(v[i][0], p.estimated),
                      Cell::share(v[i][0], total[0], p.estimated), Cell::count(v[i][1], p.estimated),
                      Cell::share(v[i][1], total[1], p.estimated)});
  t.rows.push_back({Cell::str("total"), Cell::str("total"), Cell::count(total[0], p.estimated),
                    Cell::share(total[0], total[0], p.estimated), Cell::count(total[1], p.estimated),
                    Cell::share(total[1], total[1], p.estimated)});
  return t;
}

Table table4(const ReportCounts& agg) {
  Table t;
  t.id = "table4_traffic";
  t.title = "Table 4: Traffic distribution";
  t.columns = with({{"traffic", "", false}, {"label", "traffic"}}, kTrafficColumns);
  Traffic total;
  for (const Traffic& k : agg.kinds) total.add(k);
  for (std::size_t k = 0; k < kKinds; ++k) {
    std::vector<Cell> row{Cell::str(kKindKeys[k]), Cell::str(kKindLabels[k])};
    traffic_cells(row, agg.kinds[k], total);
    t.rows.push_back(std::move(row));
  }
  std::vector<Cell> row{Cell::str("total"), Cell::str("total")};
  traffic_cells(row, total, total);
  t.rows.push_back(std::move(row));
  t.notes.push_back("Bytes are `octetDeltaCount`: IP octets of the native packet, or of the IPv6 packet inside the "
                    "tunnel (tunnel headers not counted).");
  t.charts.push_back({"traffic", "Traffic distribution"});
  return t;
}

Table table5(const ReportCounts& agg) {
  Table t;
  t.id = "table5_tunnels";
  t.title = "Table 5: Tunnel distribution";
  t.columns = with({{"tunnel", "", false}, {"label", "tunnel"}}, kTrafficColumns);
  const Traffic& total = agg.kinds[static_cast<std::size_t>(Kind::tunneled)];
  for (const TunnelTypeInfo& ti : tunnel_rows()) {
    const TunnelType tt = ti.type;
    std::vector<Cell> row{Cell::str(transport_key(tt)), Cell::str(transport_label(tt))};
    traffic_cells(row, agg.tunnels[static_cast<std::size_t>(tt)], total);
    t.rows.push_back(std::move(row));
  }
  std::vector<Cell> row{Cell::str("total"), Cell::str("total")};
  traffic_cells(row, total, total);
  t.rows.push_back(std::move(row));
  t.charts.push_back({"tunnels", "Tunnel distribution"});
  return t;
}

Table table6(const ReportCounts& agg, unsigned top) {
  Table t;
  t.id = "table6_protocols";
  t.title = "Table 6: Protocol distribution";
  t.columns = with({{"traffic", "", false}, {"trafficLabel", "traffic"}, {"service", "", false}, {"label", "service"}},
                   kTrafficColumns);
  t.group_column = 1;
  struct RowSpec {
    std::string key, label;
    Traffic traffic;
  };
  for (std::size_t k = 0; k < kKinds; ++k) {
    const Traffic& total = agg.kinds[k];
    // This kind's own top other ports (a port with no flow of the kind has
    // no row), by flows, then packets, bytes, key.
    const ReportCounts::Services& sv = agg.services[k];
    const auto of = [&](ServiceKind sk) { return sv.by_kind[static_cast<std::size_t>(sk)]; };
    std::vector<RowSpec> spec = {{"http", "HTTP (tcp/80)", of(ServiceKind::http)},
                                 {"https", "HTTPS (tcp/443, udp/443)", of(ServiceKind::https)},
                                 {"dns", "DNS (udp/53, tcp/53)", of(ServiceKind::dns)}};
    for (std::size_t i = 0; i < sv.top_ports.size() && i < top; ++i) {
      const auto& [key, sum] = sv.top_ports[i];
      const std::string name = fmt::format("{}/{}", protocol_name(static_cast<uint8_t>(key >> 16)), key & 0xffff);
      spec.push_back({name, name, sum});
    }
    spec.push_back({"otherPorts", "other ports", sv.other_ports});
    spec.push_back({"icmp", "ICMP, ICMPv6", of(ServiceKind::icmp)});
    spec.push_back({"otherProtocols", "other protocols (no ports)", of(ServiceKind::other_protocol)});
    for (const RowSpec& r : spec) {
      std::vector<Cell> row{Cell::str(kKindKeys[k]), Cell::str(kKindLabels[k]), Cell::str(r.key), Cell::str(r.label)};
      traffic_cells(row, r.traffic, total);
      t.rows.push_back(std::move(row));
    }
    std::vector<Cell> row{Cell::str(kKindKeys[k]), Cell::str(kKindLabels[k]), Cell::str("total"), Cell::str("total")};
    traffic_cells(row, total, total);
    t.rows.push_back(std::move(row));
  }
  t.notes.push_back(fmt::format(
      "A flow's service is its protocol and the lower of its two ports. In each traffic kind, the {} other "
      "protocol/port pairs with the most flows of that kind have a row each. Shares are of each traffic kind's total.",
      top));
  t.charts.push_back({"services", "Services"});
  return t;
}

std::vector<TopRow> top_by_flows(std::vector<TopRow> v, unsigned top) {
  sort_top_by_flows(v);
  if (v.size() > top) v.resize(top);
  return v;
}

Table teredo_servers(const ReportCounts& agg, unsigned top) {
  Table t;
  t.id = "teredo_servers";
  t.title = fmt::format("Top Teredo servers (by flows, top {})", top);
  t.columns = {{"server", "Teredo server"}, {"flows", "flows"}, {"flowShare", "share of Teredo flows"},
               {"packets", "packets"},      {"bytes", "bytes"}};
  std::vector<TopRow> v = agg.top_teredo_servers;
  const uint64_t total = agg.tunnels[static_cast<std::size_t>(TunnelType::teredo)].flows;
  for (const auto& [addr, tr] : top_by_flows(std::move(v), top))
    t.rows.push_back({Cell::str(ipv4_text(addr)), Cell::count(tr.flows), Cell::share(tr.flows, total),
                      Cell::count(tr.packets), Cell::count(tr.bytes)});
  t.notes.push_back("The server is the one named in the Teredo address of the flow (`teredoServerIPv4Address`); "
                    "flows with no Teredo address (qualification) name none.");
  t.charts.push_back({"teredo_servers", "Top Teredo servers"});
  return t;
}

Table relays(const ReportCounts& agg, unsigned top) {
  Table t;
  t.id = "relays";
  t.title = fmt::format("Top relays (by flows, top {} per tunnel)", top);
  t.columns = {{"tunnel", "", false},  {"tunnelLabel", "tunnel"}, {"relay", "relay"},
               {"flows", "flows"}, {"flowShare", "share of the tunnel's flows"},
               {"packets", "packets"}, {"bytes", "bytes"}};
  t.group_column = 1;
  for (const TunnelTypeInfo& ti : tunnel_rows()) {
    const TunnelType tt = ti.type;
    std::vector<TopRow> v = agg.top_relays[static_cast<std::size_t>(tt)];
    const uint64_t total = agg.tunnels[static_cast<std::size_t>(tt)].flows;
    for (const auto& [addr, tr] : top_by_flows(std::move(v), top))
      t.rows.push_back({Cell::str(transport_key(tt)), Cell::str(transport_label(tt)), Cell::str(ipv4_text(addr)),
                        Cell::count(tr.flows), Cell::share(tr.flows, total), Cell::count(tr.packets),
                        Cell::count(tr.bytes)});
  }
  t.notes.push_back("6to4, ISATAP, 6rd: `tunnelRelayIPv4Address`. Teredo: the outer IPv4 address on the side of "
                    "the flow's non-Teredo IPv6 address, when that is not the Teredo server.");
  t.charts.push_back({"relays", "Top relays"});
  return t;
}

Table high_ports(const ReportCounts& agg) {
  Table t;
  t.id = "high_ports";
  t.title = "High ports (both ports >= 1024)";
  t.columns = with({{"traffic", "", false}, {"label", "traffic"}}, kTrafficColumns);
  for (std::size_t k = 0; k < kKinds; ++k) {
    std::vector<Cell> row{Cell::str(kKindKeys[k]), Cell::str(kKindLabels[k])};
    traffic_cells(row, agg.high_kinds[k], agg.kinds[k]);
    t.rows.push_back(std::move(row));
  }
  for (const TunnelTypeInfo& ti : tunnel_rows()) {
    const TunnelType tt = ti.type;
    const auto i = static_cast<std::size_t>(tt);
    std::vector<Cell> row{Cell::str(transport_key(tt)), Cell::str("tunneled: " + transport_label(tt))};
    traffic_cells(row, agg.high_tunnels[i], agg.tunnels[i]);
    t.rows.push_back(std::move(row));
  }
  t.notes.push_back("Flows of a protocol with ports (TCP, UDP, SCTP, DCCP, UDP-Lite) whose source and destination "
                    "ports are both 1024 or above; shares are of all the row's flows, packets and bytes. A high "
                    "share in tunneled traffic is the paper's sign of peer-to-peer applications.");
  return t;
}

Table daily_addresses(const std::map<int64_t, AddrCounts>& days, bool in_text) {
  Table t;
  t.id = "daily_addresses";
  t.title = "Unique IPv6 addresses per day";
  t.in_text = in_text;
  t.columns = {{"day", "day (UTC)"}};
  for (const TunnelTypeInfo& ti : kTunnelTypes) t.columns.push_back({transport_key(ti.type), transport_label(ti.type)});
  t.columns.push_back({"all", "all (distinct)"});
  for (const auto& [day, c] : days) {
    std::vector<Cell> row{Cell::str(day_name(day))};
    for (const TunnelTypeInfo& ti : kTunnelTypes)
      row.push_back(Cell::count(c.transport[static_cast<std::size_t>(ti.type)], c.estimated));
    row.push_back(Cell::count(c.all, c.estimated));
    t.rows.push_back(std::move(row));
  }
  return t;
}

Table daily_traffic(const ReportCounts& agg, bool in_text) {
  Table t;
  t.id = "daily_traffic";
  t.title = "Traffic per day";
  t.in_text = in_text;
  t.columns = {{"day", "day (UTC)"}};
  for (std::size_t k = 0; k < kKinds; ++k) t.columns.push_back({std::string(kKindKeys[k]) + "Flows", std::string(kKindLabels[k]) + " flows"});
  for (std::size_t k = 0; k < kKinds; ++k) t.columns.push_back({std::string(kKindKeys[k]) + "Bytes", std::string(kKindLabels[k]) + " bytes"});
  for (const auto& [day, per_kind] : agg.days) {
    std::vector<Cell> row{Cell::str(day_name(day))};
    for (std::size_t k = 0; k < kKinds; ++k) row.push_back(Cell::count(per_kind[k].flows));
    for (std::size_t k = 0; k < kKinds; ++k) row.push_back(Cell::count(per_kind[k].bytes));
    t.rows.push_back(std::move(row));
  }
  return t;
}

Table inputs_table(const std::vector<InputSummary>& inputs) {
  Table t;
  t.id = "inputs";
  t.title = "Inputs";
  t.columns = {{"path", "file"}, {"format", "format"}, {"records", "records"}, {"errors", "errors"},
               {"firstError", "first error"}, {"notes", "notes"}};
  for (const InputSummary& in : inputs)
    t.rows.push_back({Cell::str(in.path), Cell::str(in.format.empty() ? "-" : in.format), Cell::count(in.records),
                      Cell::count(in.errors), Cell::str(in.first_error), Cell::str(in.notes)});
  return t;
}

}  // namespace

std::string day_name(int64_t day) {
  using namespace std::chrono;
  const year_month_day ymd{sys_days{days{day}}};
  return fmt::format("{:04}-{:02}-{:02}", static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                     static_cast<unsigned>(ymd.day()));
}

std::vector<std::string> counting_rules(const ReportOptions& opt) {
  return {
      "**Flows.** Every record is one flow. tunprobe exports unidirectional flows: the two directions of a "
      "conversation are two flows. Records of one key split by the active or idle timeout (repeated flows) count "
      "as separate flows; their packets and bytes add up. A biflow record of another exporter counts as one flow "
      "with its forward counters.",
      "**Traffic kinds.** IPv4: `ipVersion` 4 (including protocol 41 and Teredo-port traffic that failed "
      "validation). Native IPv6: `ipVersion` 6 and `tunnelType` none. Tunneled IPv6: `tunnelType` teredo, 6to4, "
      "isatap, 6in4 or 6rd. Records without a `tunnelType` element (other exporters) count as IPv4 or native IPv6 "
      "by their IP version. Bytes are `octetDeltaCount`: IP octets of the native packet or of the IPv6 packet "
      "inside the tunnel.",
      "**Unique addresses.** Both ends of every IPv6 flow count: each distinct address, in the row of the flow's "
      "transport (native or the tunnel type). An address seen in several transports counts once in each of their "
      "rows (a native server that Teredo clients reach through a relay is in the Teredo row too); shares are of "
      "the sum of the rows, and *distinct, all transports* counts each address once. Link-local, multicast, "
      "unspecified and loopback addresses name no host: they are not counted (their number is given).",
      "**Address classes** (Tables 2, 3) are tunprobe's (`probe/decode/addr_class.hpp`): the class in the record, or "
      "computed by the same rules when a record has none. *Native*: the address was seen in native flows; "
      "*tunneled*: in flows of any tunnel type (it may be in both columns). Table 2 holds 6to4 (2002::/16) "
      "addresses; Table 3 global unicast addresses that are not transition addresses (not Teredo, 6to4, ISATAP; "
      "not ULA or documentation): autoconf = EUI-64, privacy, low, and other (other and embedded-IPv4).",
      "**Days** are UTC calendar days of `flowStartMilliseconds`; a flow belongs to the day it started. "
      "*Per day (average)* is the sum of each day's distinct count divided by the number of days that have "
      "flows.",
      fmt::format("**Services** (Table 6): a flow's service port is the lower of its two ports. HTTP: TCP 80; "
                  "HTTPS: TCP or UDP 443; DNS: TCP or UDP 53; then, in each traffic kind, the {} protocol/port pairs "
                  "with the most flows of that kind; other ports; ICMP and ICMPv6; other protocols (no ports).",
                  opt.top),
      "**Teredo servers** are the distinct `teredoServerIPv4Address` values (the server named in the client's "
      "Teredo address). **Teredo relays**: in a Teredo flow between one Teredo address and one counted "
      "non-Teredo address, the outer IPv4 address on the non-Teredo side, unless it is the Teredo server. "
      "**6to4 relays** (ISATAP routers, 6rd border relays): distinct `tunnelRelayIPv4Address` of that type's "
      "flows.",
      fmt::format("**Exact or estimated.** Distinct addresses are counted exactly while at most {} are held in all "
                  "sets together (`--exact-limit`; 30 to 50 bytes each); beyond that the largest set becomes "
                  "HyperLogLog sketches (standard error 0.8 %) and its counts are marked ≈.",
                  group_digits(opt.exact_limit)),
  };
}

Report build_report(const Aggregator& agg, const std::vector<InputSummary>& inputs, const ReportOptions& opt) {
  return build_report(agg.counts(opt.top), inputs, opt);
}

Report build_report(const ReportCounts& agg, const std::vector<InputSummary>& inputs, const ReportOptions& opt) {
  Report r;
  r.title = "tunprobe statistics report";
  const AddrCounts& p = agg.addrs;
  // Every day with flows, IPv4-only days too (with no addresses).
  std::map<int64_t, AddrCounts> days;
  {
    const std::map<int64_t, AddrCounts>& with_addrs = agg.day_addrs;
    for (const auto& [day, per_kind] : agg.days) {
      const auto it = with_addrs.find(day);
      days.emplace(day, it == with_addrs.end() ? AddrCounts{} : it->second);
    }
  }

  uint64_t errors = 0;
  std::size_t json_files = 0, ipfix_files = 0, bad_files = 0;
  const InputSummary* table = nullptr;  // a ClickHouse table (then the only input)
  for (const InputSummary& in : inputs) {
    errors += in.errors;
    json_files += in.format == "json";
    ipfix_files += in.format == "ipfix";
    bad_files += in.errors != 0;
    if (in.format == "clickhouse") table = &in;
  }
  r.summary.push_back(fmt::format(
      "{}{}.",
      table ? fmt::format("{} flow records from ClickHouse, {} ({})", group_digits(agg.records), table->path, table->notes)
            : fmt::format("{} flow records from {} input file(s) ({} JSON lines, {} IPFIX)", group_digits(agg.records),
                          inputs.size(), json_files, ipfix_files),
      agg.without_tunnel_info
          ? fmt::format("; {} of them carry no tunnel elements (another exporter, or an export profile without "
                        "`tunnelType`) and count as IPv4 or native IPv6 by their IP version",
                        group_digits(agg.without_tunnel_info))
          : ""));
  if (!opt.selection.empty()) r.summary.push_back(fmt::format("Selected: {}.", opt.selection));
  if (agg.records) {
    std::string d;
    if (days.size() <= 7)
      for (const auto& [day, c] : days) d += (d.empty() ? "" : ", ") + day_name(day);
    r.summary.push_back(fmt::format("Flows started from {} to {}: {} UTC day(s){}.", utc_text(agg.first_ms),
                                    utc_text(agg.last_ms), days.size(), d.empty() ? "" : " (" + d + ")"));
  }
  if (agg.records) {
    // The headline, first: what a reader wants before the rules.
    const Traffic& v4 = agg.kinds[static_cast<std::size_t>(Kind::ipv4)];
    const Traffic& nat = agg.kinds[static_cast<std::size_t>(Kind::native)];
    const Traffic& tun = agg.kinds[static_cast<std::size_t>(Kind::tunneled)];
    const auto pct = [](uint64_t a, uint64_t b) { return b ? 100.0 * static_cast<double>(a) / static_cast<double>(b) : 0.0; };
    std::size_t top_t = 0;
    for (std::size_t t = 1; t < kTransports; ++t)
      if (agg.tunnels[t].flows > (top_t ? agg.tunnels[top_t].flows : 0)) top_t = t;
    std::string head = fmt::format(
        "**In short:** {} flows: {} IPv4, {} native IPv6 and {} IPv6 in tunnels, that is {:.1f} % of the IPv6 flows "
        "and {:.1f} % of the IPv6 bytes hidden in tunnels",
        group_digits(agg.records), group_digits(v4.flows), group_digits(nat.flows), group_digits(tun.flows),
        pct(tun.flows, nat.flows + tun.flows), pct(tun.bytes, nat.bytes + tun.bytes));
    if (top_t)
      head += fmt::format("; the most used tunnel is {} ({} flows, {:.1f} % of the tunneled ones)",
                          tunnel_type_label(static_cast<TunnelType>(top_t)), group_digits(agg.tunnels[top_t].flows),
                          pct(agg.tunnels[top_t].flows, tun.flows));
    r.summary.insert(r.summary.begin(), head + ".");
  }
  {
    // Provenance: when, by what, from what (the Inputs table lists each file).
    const uint64_t now_ms = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                                      std::chrono::system_clock::now().time_since_epoch())
                                                      .count());
    std::string names;
    for (std::size_t i = 0; i < inputs.size() && i < 3; ++i)
      names += fmt::format("{}`{}`", i ? ", " : "", inputs[i].path);
    if (inputs.size() > 3) names += fmt::format(" and {} more", inputs.size() - 3);
    r.summary.push_back(fmt::format("Generated {} by tunprobe {} from {}.", utc_text(now_ms), TUNPROBE_VERSION,
                                    names.empty() ? "no input" : names));
  }
  if (errors)
    r.summary.push_back(fmt::format("**{} error(s) in {} input file(s)**: the tables count what could be read "
                                    "(see *Inputs* at the end).",
                                    errors, bad_files));
  r.rules = counting_rules(opt);

  r.tables.push_back(table1(p, days));
  r.tables.push_back(table1_summary(agg, p));
  r.tables.push_back(class_table("table2_6to4", "Table 2: 6to4 addresses by interface identifier",
                                 {{"6to4-eui64", "autoconf (EUI-64)", {AddrClass::sixtofour_eui64}},
                                  {"6to4-linux", "Linux default (::1)", {AddrClass::sixtofour_linux}},
                                  {"6to4-windows", "Windows default (V4::V4)", {AddrClass::sixtofour_windows}},
                                  {"6to4-privacy", "privacy", {AddrClass::sixtofour_privacy}},
                                  {"6to4-other", "other", {AddrClass::sixtofour_other}}},
                                 p));
  r.tables.push_back(class_table("table3_global", "Table 3: Global IPv6 addresses by interface identifier",
                                 {{"eui64", "autoconf (EUI-64)", {AddrClass::eui64}},
                                  {"privacy", "privacy", {AddrClass::privacy}},
                                  {"low", "low", {AddrClass::low}},
                                  {"other", "other (incl. embedded IPv4)", {AddrClass::other, AddrClass::embedded_ipv4}}},
                                 p));
  r.tables.back().charts.push_back({"address_classes", "Address classes"});
  r.tables.push_back(table4(agg));
  r.tables.push_back(table5(agg));
  r.tables.push_back(table6(agg, opt.top));
  r.tables.push_back(teredo_servers(agg, opt.top));
  r.tables.push_back(relays(agg, opt.top));
  r.tables.push_back(high_ports(agg));
  r.tables.push_back(daily_addresses(days, opt.per_day));
  r.tables.push_back(daily_traffic(agg, opt.per_day));
  r.tables.push_back(inputs_table(inputs));
  if (!opt.charts)
    for (Table& t : r.tables) t.charts.clear();

  nlohmann::ordered_json meta;
  meta["tool"] = "tunprobe report";
  meta["version"] = TUNPROBE_VERSION;
  meta["records"] = agg.records;
  meta["recordsWithoutTunnelElements"] = agg.without_tunnel_info;
  meta["errors"] = errors;
  meta["selection"] = opt.selection;
  meta["firstStartMilliseconds"] = agg.records ? agg.first_ms : 0;
  meta["lastStartMilliseconds"] = agg.last_ms;
  std::vector<std::string> day_names;
  for (const auto& [day, c] : days) day_names.push_back(day_name(day));
  meta["days"] = day_names;
  meta["exactLimit"] = opt.exact_limit;
  meta["estimated"] = agg.estimated;
  meta["top"] = opt.top;
  meta["perDay"] = opt.per_day;
  // The charts' series per transport: key, label and colour from the tunnel
  // table, so that scripts/report_charts.py names no tunnel itself.
  nlohmann::ordered_json transports = nlohmann::ordered_json::array();
  for (const TunnelTypeInfo& ti : kTunnelTypes)
    transports.push_back({{"key", transport_key(ti.type)}, {"label", ti.label}, {"colour", ti.colour}});
  meta["transports"] = transports;
  r.json_meta = meta.dump();
  return r;
}

}  // namespace tunprobe::report
