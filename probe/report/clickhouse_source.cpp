#include "probe/report/clickhouse_source.hpp"

#include <curl/curl.h>
#include <fmt/format.h>

#include <charconv>
#include <chrono>
#include <vector>

#include "probe/base/protocols.hpp"
#include "probe/base/tunnel_type.hpp"
#include "probe/export/clickhouse_http.hpp"
#include "probe/records/clickhouse_columns.hpp"

namespace tunprobe::report {

namespace {

constexpr long kQueryTimeoutMs = 3600 * 1000;

// ---------------------------------------------------------------------------
// The rules as SQL, from the same tables as Aggregator::add().

std::string uint_list(const std::vector<unsigned>& v) {
  std::string s;
  for (const unsigned x : v) s += fmt::format("{}{}", s.empty() ? "" : ", ", x);
  return s;
}

// Address class values that is_counted_class() refuses.
std::string excluded_classes() {
  std::vector<unsigned> v;
  for (std::size_t c = 0; c < kClasses; ++c)
    if (!is_counted_class(static_cast<AddrClass>(c))) v.push_back(static_cast<unsigned>(c));
  return uint_list(v);
}

std::string protocols_where(bool (*pred)(uint8_t)) {
  std::vector<unsigned> v;
  for (unsigned p = 0; p < 256; ++p)
    if (pred(static_cast<uint8_t>(p))) v.push_back(p);
  return uint_list(v);
}

unsigned sk(ServiceKind k) { return static_cast<unsigned>(k); }
unsigned tt(TunnelType t) { return static_cast<unsigned>(t); }

// The per-row expressions every query shares (ClickHouse's WITH: aliases
// evaluated on the shards, in the same query as the GROUP BY).
//   k     traffic kind (Kind): ipv4, native, tunneled   (Aggregator::kind_of)
//   tt    the tunnel type of a tunneled flow, else 0 (native)
//   d     UTC day number of flowStartMilliseconds
//   lp    the lower port; sk the ServiceKind           (service_of)
//   high  both ports >= 1024 on a protocol with ports (is_high_port)
//   relay the relay of a tunneled flow, 0 for none     (the relay rule)
std::string with_clause() {
  const std::string ports = protocols_where(has_ports);
  const std::string icmp = protocols_where([](uint8_t p) { return is_icmp_protocol(p); });
  const std::string excluded = excluded_classes();
  const unsigned teredo_class = static_cast<unsigned>(AddrClass::teredo);
  return fmt::format(
      "WITH multiIf(ipVersion = 4, {ipv4}, toUInt8(tunnelType) = {none}, {native}, {tunneled}) AS k, "
      "if(k = {tunneled}, toUInt8(tunnelType), {none}) AS tt, "
      "intDiv(flowStartMilliseconds, {ms_day}) AS d, "
      "protocolIdentifier IN ({ports}) AS hasp, "
      "least(sourceTransportPort, destinationTransportPort) AS lp, "
      "multiIf(protocolIdentifier IN ({icmp}), {s_icmp}, NOT hasp, {s_other}, "
      "lp = 80 AND protocolIdentifier = {tcp}, {s_http}, "
      "lp = 443 AND protocolIdentifier IN ({tcp}, {udp}), {s_https}, "
      "lp = 53 AND protocolIdentifier IN ({tcp}, {udp}), {s_dns}, {s_port}) AS sk, "
      "hasp AND sourceTransportPort >= 1024 AND destinationTransportPort >= 1024 AS high, "
      "toUInt8(sourceAddressClass) AS scl, toUInt8(destinationAddressClass) AS dcl, "
      "scl = {tcl} AS st, dcl = {tcl} AS dt, "
      "multiIf(tt = {teredo}, "
      "if(st != dt AND if(st, dcl, scl) NOT IN ({excluded}), "
      "if(st, tunnelDestinationIPv4Address, tunnelSourceIPv4Address), 0), tunnelRelayIPv4Address) AS far, "
      "if(tt = {teredo} AND far = teredoServerIPv4Address, 0, far) AS relay ",
      fmt::arg("ipv4", static_cast<unsigned>(Kind::ipv4)), fmt::arg("native", static_cast<unsigned>(Kind::native)),
      fmt::arg("tunneled", static_cast<unsigned>(Kind::tunneled)), fmt::arg("none", tt(TunnelType::none)),
      fmt::arg("teredo", tt(TunnelType::teredo)), fmt::arg("ms_day", kMsPerDay), fmt::arg("ports", ports),
      fmt::arg("icmp", icmp), fmt::arg("s_icmp", sk(ServiceKind::icmp)),
      fmt::arg("s_other", sk(ServiceKind::other_protocol)), fmt::arg("s_http", sk(ServiceKind::http)),
      fmt::arg("s_https", sk(ServiceKind::https)), fmt::arg("s_dns", sk(ServiceKind::dns)),
      fmt::arg("s_port", sk(ServiceKind::port)), fmt::arg("tcp", unsigned{kIpProtoTcp}),
      fmt::arg("udp", unsigned{kIpProtoUdp}), fmt::arg("tcl", teredo_class), fmt::arg("excluded", excluded));
}

// The distinct-address counts of one AddrCounts (in AddrCounts' order),
// over one row per distinct address: `mask` has bit t when the address was
// seen in a flow of transport t (AddrSet's mask), `cls` is its class.
std::string address_columns(bool with_classes) {
  // (18.16 names NOT (NOT x) apart from x: no double negation.)
  const std::string counted = fmt::format("cls NOT IN ({})", excluded_classes());
  const std::string not_counted = fmt::format("cls IN ({})", excluded_classes());
  const unsigned tunnels = ((1u << kTransports) - 1) & ~1u;
  std::string s;
  for (std::size_t t = 0; t < kTransports; ++t) s += fmt::format("countIf({} AND bitTest(mask, {})), ", counted, t);
  s += fmt::format("countIf({0}), countIf({0} AND bitAnd(mask, {2}) != 0), countIf({1})", counted, not_counted, tunnels);
  if (with_classes)
    for (unsigned tun = 0; tun < 2; ++tun)
      for (std::size_t c = 0; c < kClasses; ++c)
        if (is_counted_class(static_cast<AddrClass>(c)))
          s += tun ? fmt::format(", countIf(cls = {} AND bitAnd(mask, {}) != 0)", c, tunnels)
                   : fmt::format(", countIf(cls = {} AND bitTest(mask, 0))", c);
  return s;
}

// ---------------------------------------------------------------------------
// HTTP.

struct Query {
  std::string sql;
  std::string answer;
  CURL* easy = nullptr;
  CURLcode rc = CURLE_OK;
  long http = 0;
};

// Sends every query at once; waits for all. Returns "" or the first failure.
std::string run_queries(const ClickHouseInput& in, std::vector<Query>& qs) {
  clickhouse::init_curl();
  // The database of the table's name is also the session's: nothing else
  // is named without it.
  const std::string url = clickhouse::server_url(in) + "?database=" + in.database;
  CURLM* multi = curl_multi_init();
  curl_slist* headers = curl_slist_append(nullptr, "Expect:");
  for (Query& q : qs) {
    q.easy = curl_easy_init();
    clickhouse::set_request(q.easy, in, url, q.answer);
    curl_easy_setopt(q.easy, CURLOPT_TIMEOUT_MS, kQueryTimeoutMs);
    curl_easy_setopt(q.easy, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(q.easy, CURLOPT_POST, 1L);
    curl_easy_setopt(q.easy, CURLOPT_POSTFIELDS, q.sql.c_str());
    curl_easy_setopt(q.easy, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(q.sql.size()));
    curl_multi_add_handle(multi, q.easy);
  }
  int running = 1;
  while (running > 0) {
    curl_multi_perform(multi, &running);
    if (running > 0) curl_multi_poll(multi, nullptr, 0, 1000, nullptr);
  }
  int left = 0;
  while (CURLMsg* m = curl_multi_info_read(multi, &left))
    if (m->msg == CURLMSG_DONE)
      for (Query& q : qs)
        if (q.easy == m->easy_handle) q.rc = m->data.result;
  std::string error;
  for (Query& q : qs) {
    curl_easy_getinfo(q.easy, CURLINFO_RESPONSE_CODE, &q.http);
    curl_multi_remove_handle(multi, q.easy);
    curl_easy_cleanup(q.easy);
    q.easy = nullptr;
    if (!error.empty()) continue;
    if (q.rc != CURLE_OK)
      error = fmt::format("{}: the server does not answer ({})", in.text, curl_easy_strerror(q.rc));
    else if (q.http != 200)
      error = fmt::format("{}: the server refused the query (HTTP {}): {}", in.text, q.http, clickhouse::error_line(q.answer));
  }
  curl_slist_free_all(headers);
  curl_multi_cleanup(multi);
  return error;
}

// TabSeparated answers of numbers (and the version string).
struct Rows {
  std::vector<std::vector<std::string_view>> rows;
  explicit Rows(const std::string& text) {
    std::size_t at = 0;
    while (at < text.size()) {
      std::size_t end = text.find('\n', at);
      if (end == std::string::npos) end = text.size();
      std::vector<std::string_view> f;
      const std::string_view line(text.data() + at, end - at);
      at = end + 1;
      if (line.empty()) continue;
      std::size_t p = 0;
      for (;;) {
        const std::size_t tab = line.find('\t', p);
        f.push_back(line.substr(p, tab == std::string_view::npos ? std::string_view::npos : tab - p));
        if (tab == std::string_view::npos) break;
        p = tab + 1;
      }
      rows.push_back(std::move(f));
    }
  }
};

struct BadAnswer {
  std::string what;
};

uint64_t num(const std::vector<std::string_view>& row, std::size_t i) {
  if (i >= row.size()) throw BadAnswer{fmt::format("{} columns, expected more than {}", row.size(), i)};
  uint64_t v = 0;
  const std::string_view s = row[i];
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || p != s.data() + s.size()) throw BadAnswer{fmt::format("'{}' is not a count", s)};
  return v;
}

Traffic traffic(const std::vector<std::string_view>& row, std::size_t i) {
  return Traffic{num(row, i), num(row, i + 1), num(row, i + 2)};
}

std::size_t index(uint64_t v, std::size_t size) {
  if (v >= size) throw BadAnswer{fmt::format("value {} out of range (< {})", v, size)};
  return static_cast<std::size_t>(v);
}

void read_addresses(const std::vector<std::string_view>& row, std::size_t at, bool with_classes, AddrCounts& c) {
  for (std::size_t t = 0; t < kTransports; ++t) c.transport[t] = num(row, at++);
  c.all = num(row, at++);
  c.tunneled = num(row, at++);
  c.excluded = num(row, at++);
  if (with_classes)
    for (std::size_t tun = 0; tun < 2; ++tun)
      for (std::size_t cl = 0; cl < kClasses; ++cl)
        if (is_counted_class(static_cast<AddrClass>(cl))) c.by_class[tun][cl] = num(row, at++);
}

}  // namespace

bool is_clickhouse_input(std::string_view spec) { return spec.rfind("clickhouse:", 0) == 0; }

std::string parse_clickhouse_input(const std::string& spec, ClickHouseInput& out) {
  if (std::string err = parse_clickhouse_url(spec, out, false); !err.empty()) return err;
  if (std::string err = clickhouse::load_password(out); !err.empty()) return fmt::format("'{}': {}", spec, err);
  return {};
}

std::string clickhouse_where(const RecordFilter& f) {
  std::string w = "1";
  if (f.has_from)
    w += fmt::format(" AND flowStartMilliseconds >= {} AND day >= toDate('{}')", f.from_ms,
                     day_name(static_cast<int64_t>(f.from_ms / kMsPerDay)));
  if (f.has_to) {
    w += fmt::format(" AND flowStartMilliseconds < {}", f.to_ms);
    if (f.to_ms > 0) w += fmt::format(" AND day <= toDate('{}')", day_name(static_cast<int64_t>((f.to_ms - 1) / kMsPerDay)));
  }
  if (!f.odids.empty()) {
    std::vector<unsigned> v(f.odids.begin(), f.odids.end());
    w += fmt::format(" AND observationDomainId IN ({})", uint_list(v));
  }
  return w;
}

std::string clickhouse_report(const ClickHouseInput& in, const RecordFilter& filter, unsigned top,
                              ClickHouseReport& out) {
  const auto t0 = std::chrono::steady_clock::now();
  out = ClickHouseReport{};
  const std::string table = in.database + "." + in.table;
  const std::string where = clickhouse_where(filter);
  const std::string with = with_clause();
  const std::string from = fmt::format(" FROM {} WHERE {}", table, where);
  const std::string sums = "count() AS n, sum(packetDeltaCount) AS np, sum(octetDeltaCount) AS nb";
  // Both ends of every IPv6 flow (ARRAY JOIN: a the address, c its class),
  // one row per distinct address (and day): a GROUP BY on the shards, merged
  // by the initiator; the outer query counts those rows.
  const auto distinct_addresses = [&](bool per_day) {
    return "(" + with +
           fmt::format("SELECT {0}a, groupBitOr(bitShiftLeft(toUInt16(1), tt)) AS mask, any(c) AS cls FROM {1} "
                       "ARRAY JOIN [sourceIPv6Address, destinationIPv6Address] AS a, [scl, dcl] AS c WHERE {2} AND "
                       "k != {3} GROUP BY {0}a)",
                       per_day ? "d, " : "", table, where, static_cast<unsigned>(Kind::ipv4));
  };
  static_assert(kTransports <= 16, "the address mask is a UInt16");
  const std::string tsv = " FORMAT TabSeparated";

  // First the table itself: the server answers, the table exists.
  std::vector<Query> head(1);
  head[0].sql = fmt::format("SELECT version(), count() FROM {}{}", table, tsv);
  if (std::string e = run_queries(in, head); !e.empty()) return e;

  enum { q_traffic, q_services, q_ports, q_servers, q_relays, q_distinct, q_addrs, q_day_addrs, q_count };
  std::vector<Query> qs(q_count);
  qs[q_traffic].sql = with + "SELECT d, k, tt, high, " + sums +
                      ", min(flowStartMilliseconds), max(flowStartMilliseconds)" + from + " GROUP BY d, k, tt, high" + tsv;
  qs[q_services].sql = with + "SELECT k, sk, " + sums + from + " GROUP BY k, sk" + tsv;
  qs[q_ports].sql = with + fmt::format("SELECT k, protocolIdentifier AS pr, lp, {}{} AND sk = {} GROUP BY k, pr, lp "
                                       "ORDER BY k, n DESC, np DESC, nb DESC, pr, lp LIMIT {} BY k{}",
                                       sums, from, sk(ServiceKind::port), top, tsv);
  qs[q_servers].sql = with + fmt::format("SELECT teredoServerIPv4Address AS srv, {}{} AND tt = {} AND srv != 0 "
                                         "GROUP BY srv ORDER BY n DESC, np DESC, srv LIMIT {}{}",
                                         sums, from, tt(TunnelType::teredo), top, tsv);
  qs[q_relays].sql = with + fmt::format("SELECT tt, relay, {}{} AND k = {} AND relay != 0 GROUP BY tt, relay "
                                        "ORDER BY tt, n DESC, np DESC, relay LIMIT {} BY tt{}",
                                        sums, from, static_cast<unsigned>(Kind::tunneled), top, tsv);
  qs[q_distinct].sql =
      with + fmt::format("SELECT tt, uniqExactIf(relay, relay != 0), uniqExactIf(teredoServerIPv4Address, tt = {} AND "
                         "teredoServerIPv4Address != 0){} AND k = {} GROUP BY tt{}",
                         tt(TunnelType::teredo), from, static_cast<unsigned>(Kind::tunneled), tsv);
  qs[q_addrs].sql = "SELECT " + address_columns(true) + " FROM " + distinct_addresses(false) + tsv;
  qs[q_day_addrs].sql = "SELECT d, " + address_columns(false) + " FROM " + distinct_addresses(true) + " GROUP BY d" + tsv;
  if (std::string e = run_queries(in, qs); !e.empty()) return e;

  ReportCounts& c = out.counts;
  uint64_t table_rows = 0;
  std::string version;
  try {
    const Rows h(head[0].answer);
    if (h.rows.size() != 1 || h.rows[0].empty()) throw BadAnswer{"no row"};
    version = std::string(h.rows[0][0]);
    table_rows = num(h.rows[0], 1);

    for (const auto& r : Rows(qs[q_traffic].answer).rows) {
      const auto day = static_cast<int64_t>(num(r, 0));
      const std::size_t k = index(num(r, 1), kKinds), t = index(num(r, 2), kTransports);
      const bool high = num(r, 3) != 0;
      const Traffic x = traffic(r, 4);
      c.records += x.flows;
      c.first_ms = std::min(c.first_ms, num(r, 7));
      c.last_ms = std::max(c.last_ms, num(r, 8));
      c.kinds[k].add(x);
      c.days[day][k].add(x);
      if (k == static_cast<std::size_t>(Kind::tunneled)) c.tunnels[t].add(x);
      if (high) {
        c.high_kinds[k].add(x);
        if (k == static_cast<std::size_t>(Kind::tunneled)) c.high_tunnels[t].add(x);
      }
    }
    for (const auto& r : Rows(qs[q_services].answer).rows)
      c.services[index(num(r, 0), kKinds)].by_kind[index(num(r, 1), kServiceKinds)].add(traffic(r, 2));
    for (const auto& r : Rows(qs[q_ports].answer).rows) {
      const uint32_t key = static_cast<uint32_t>(sk(ServiceKind::port)) << 24 |
                           static_cast<uint32_t>(index(num(r, 1), 256)) << 16 |
                           static_cast<uint32_t>(index(num(r, 2), 65536));
      c.services[index(num(r, 0), kKinds)].top_ports.push_back({key, traffic(r, 3)});
    }
    for (ReportCounts::Services& s : c.services) {
      // Ties at the cut are the server's ORDER BY, the same as the files'.
      sort_top_ports(s.top_ports);
      Traffic in_top;
      for (const auto& [key, x] : s.top_ports) in_top.add(x);
      const Traffic& all = s.by_kind[sk(ServiceKind::port)];
      s.other_ports = Traffic{all.flows - in_top.flows, all.packets - in_top.packets, all.bytes - in_top.bytes};
    }
    for (const auto& r : Rows(qs[q_servers].answer).rows)
      c.top_teredo_servers.push_back({static_cast<uint32_t>(num(r, 0)), traffic(r, 1)});
    sort_top_by_flows(c.top_teredo_servers);
    for (const auto& r : Rows(qs[q_relays].answer).rows)
      c.top_relays[index(num(r, 0), kTransports)].push_back({static_cast<uint32_t>(num(r, 1)), traffic(r, 2)});
    for (auto& v : c.top_relays) sort_top_by_flows(v);
    for (const auto& r : Rows(qs[q_distinct].answer).rows) {
      const std::size_t t = index(num(r, 0), kTransports);
      c.relay_count[t] = num(r, 1);
      c.teredo_server_count += num(r, 2);
    }
    const Rows a(qs[q_addrs].answer);
    if (a.rows.size() != 1) throw BadAnswer{"no row of address counts"};
    read_addresses(a.rows[0], 0, true, c.addrs);
    for (const auto& r : Rows(qs[q_day_addrs].answer).rows)
      read_addresses(r, 1, false, c.day_addrs[static_cast<int64_t>(num(r, 0))]);
  } catch (const BadAnswer& e) {
    return fmt::format("{}: an answer of the server tunprobe does not understand: {}", in.text, e.what);
  }
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  out.input.path = in.text;
  out.input.format = "clickhouse";
  out.input.records = c.records;
  out.input.notes = fmt::format("table {} on ClickHouse {} ({} rows{}); counted by the server's SQL in {:.2f} s",
                                table, version, group_digits(table_rows),
                                filter.empty() ? "" : fmt::format(", {} selected", group_digits(c.records)),
                                out.seconds);
  return {};
}

}  // namespace tunprobe::report
