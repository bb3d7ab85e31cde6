// --metrics: the Prometheus text exposition (families, types, labels and
// their escapes) and the address forms; a real server answering GET
// /metrics on a loopback port. Prometheus itself scrapes a run in
// tests/metrics/check_prometheus.py.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <map>
#include <regex>
#include <sstream>
#include <string>

#include "probe/base/startup_error.hpp"
#include "probe/engine/metrics.hpp"

using namespace tunprobe;

namespace {

MetricsSnapshot sample() {
  MetricsSnapshot s;
  s.version = "9.8.7";
  s.start_time_s = 1764720000.5;
  MetricsWorker w0;
  w0.packets = 1000;
  w0.bytes = 123456;
  w0.flow_packets = 990;
  w0.flows = 17;
  w0.cache_records = 5;
  w0.cache_capacity = 1024;
  w0.verdicts[static_cast<std::size_t>(Verdict::ok)] = 600;
  w0.verdicts[static_cast<std::size_t>(Verdict::non_ip)] = 10;
  MetricsWorker w1;
  w1.packets = 7;
  s.workers = {w0, w1};
  PortSummary port;
  port.input = "vdev:net_pcap0,rx_pcap=a\"b.pcap";
  port.ipackets = 1007;
  port.imissed = 3;
  port.rx_nombuf = 1;
  s.ports.push_back(port);
  OutputSummary o;
  o.output = "ipfix+tcp://127.0.0.1:4739";
  o.written = 17;
  o.delivered = 12;
  o.failed = 1;
  o.dropped = 2;
  o.buffered = 2;
  s.outputs.push_back(o);
  s.records_per_second = 2.5;
  return s;
}

// name{labels} -> value, and name -> TYPE.
struct Parsed {
  std::map<std::string, std::string> samples;
  std::map<std::string, std::string> types;
  std::map<std::string, int> help_lines;
};

Parsed parse(const std::string& text) {
  Parsed p;
  std::istringstream in(text);
  std::string line;
  const std::regex sample_re(R"(^([a-z_]+)(\{[^}]*\})? (\S+)$)");
  while (std::getline(in, line)) {
    if (line.rfind("# TYPE ", 0) == 0) {
      std::istringstream l(line.substr(7));
      std::string name, type;
      l >> name >> type;
      p.types[name] = type;
    } else if (line.rfind("# HELP ", 0) == 0) {
      std::istringstream l(line.substr(7));
      std::string name;
      l >> name;
      ++p.help_lines[name];
    } else {
      std::smatch m;
      REQUIRE(std::regex_match(line, m, sample_re));
      const std::string name = m[1];
      REQUIRE(p.types.count(name) == 1);  // every sample after its family's TYPE
      p.samples[name + std::string(m[2])] = m[3];
    }
  }
  return p;
}

}  // namespace

TEST_CASE("the exposition: families, counters, labels", "[metrics]") {
  const Parsed p = parse(render_prometheus(sample()));
  for (const auto& [name, type] : p.types) {
    INFO(name);
    CHECK(p.help_lines.at(name) == 1);
    CHECK(name.rfind("tunprobe_", 0) == 0);
    // Counters end in _total, gauges do not.
    CHECK((type == "counter") == (name.size() > 6 && name.substr(name.size() - 6) == "_total"));
  }
  CHECK(p.samples.at("tunprobe_build_info{version=\"9.8.7\"}") == "1");
  CHECK(p.samples.at("tunprobe_start_time_seconds") == "1764720000.5");
  CHECK(p.samples.at("tunprobe_running") == "1");
  CHECK(p.samples.at("tunprobe_packets_total{worker=\"0\"}") == "1000");
  CHECK(p.samples.at("tunprobe_packets_total{worker=\"1\"}") == "7");
  CHECK(p.samples.at("tunprobe_bytes_total{worker=\"0\"}") == "123456");
  CHECK(p.samples.at("tunprobe_flow_packets_total{worker=\"0\"}") == "990");
  CHECK(p.samples.at("tunprobe_flows_exported_total{worker=\"0\"}") == "17");
  CHECK(p.samples.at("tunprobe_flow_cache_records{worker=\"0\"}") == "5");
  CHECK(p.types.at("tunprobe_flow_cache_records") == "gauge");
  CHECK(p.samples.at("tunprobe_flow_cache_capacity_records{worker=\"0\"}") == "1024");
  // Verdicts: only those seen, with their disposition.
  CHECK(p.samples.at("tunprobe_verdict_packets_total{worker=\"0\",verdict=\"ok\",disposition=\"flow\"}") == "600");
  CHECK(p.samples.at("tunprobe_verdict_packets_total{worker=\"0\",verdict=\"non_ip\",disposition=\"drop\"}") ==
        "10");
  std::size_t verdict_samples = 0;
  for (const auto& [k, v] : p.samples) verdict_samples += k.rfind("tunprobe_verdict_packets_total{", 0) == 0;
  CHECK(verdict_samples == 2);
  // A double quote in a label value is escaped.
  CHECK(p.samples.at("tunprobe_port_missed_packets_total{port=\"0\",input=\"vdev:net_pcap0,rx_pcap=a\\\"b.pcap\"}") ==
        "3");
  CHECK(p.samples.at("tunprobe_port_no_mbuf_total{port=\"0\",input=\"vdev:net_pcap0,rx_pcap=a\\\"b.pcap\"}") == "1");
  const std::string out = "{output=\"ipfix+tcp://127.0.0.1:4739\"}";
  CHECK(p.samples.at("tunprobe_output_written_records_total" + out) == "17");
  CHECK(p.samples.at("tunprobe_output_delivered_records_total" + out) == "12");
  CHECK(p.samples.at("tunprobe_output_failed_records_total" + out) == "1");
  CHECK(p.samples.at("tunprobe_output_dropped_records_total" + out) == "2");
  CHECK(p.samples.at("tunprobe_output_buffered_records" + out) == "2");
  CHECK(p.types.at("tunprobe_output_buffered_records") == "gauge");
  CHECK(p.samples.at("tunprobe_records_per_second") == "2.5");
}

TEST_CASE("the final values say the run ended", "[metrics]") {
  MetricsSnapshot s = sample();
  s.running = false;
  CHECK(parse(render_prometheus(s)).samples.at("tunprobe_running") == "0");
}

TEST_CASE("--metrics address forms", "[metrics]") {
  std::string host;
  uint16_t port = 0;
  CHECK(parse_metrics_address("127.0.0.1:9464", host, port).empty());
  CHECK(host == "127.0.0.1");
  CHECK(port == 9464);
  CHECK(parse_metrics_address("[::1]:9100", host, port).empty());
  CHECK(host == "::1");
  CHECK(port == 9100);
  CHECK(parse_metrics_address(":9100", host, port).empty());
  CHECK(host.empty());
  CHECK(parse_metrics_address("9100", host, port) ==
        "--metrics '9100': expected HOST:PORT, [IPV6]:PORT or :PORT (every address)");
  CHECK(parse_metrics_address("localhost:0", host, port) == "--metrics 'localhost:0': the port must be 1..65535");
  CHECK(parse_metrics_address("localhost:70000", host, port) ==
        "--metrics 'localhost:70000': the port must be 1..65535");
  CHECK(parse_metrics_address("[::1]9100", host, port) == "--metrics '[::1]9100': expected [IPV6]:PORT");
}

namespace {

std::string http_get(uint16_t port, const std::string& request) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  REQUIRE(::write(fd, request.data(), request.size()) == static_cast<ssize_t>(request.size()));
  std::string out;
  char buf[4096];
  for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) out.append(buf, static_cast<std::size_t>(n));
  ::close(fd);
  return out;
}

uint16_t bound_port(MetricsServer& s) {
  return static_cast<uint16_t>(std::stoi(s.address().substr(s.address().rfind(':') + 1)));
}

}  // namespace

TEST_CASE("the server: GET /metrics, 404, 405, a port in use", "[metrics]") {
  // A free port: bind 0, read it, close (a race with another process is
  // unlikely and would fail loudly).
  const int probe = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  REQUIRE(::bind(probe, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  REQUIRE(::getsockname(probe, reinterpret_cast<sockaddr*>(&a), &len) == 0);
  const uint16_t port = ntohs(a.sin_port);
  ::close(probe);

  MetricsServer server("127.0.0.1", port, "first\n");
  CHECK(bound_port(server) == port);
  const std::string close = "Connection: close\r\n\r\n";
  std::string r = http_get(port, "GET /metrics HTTP/1.1\r\nHost: x\r\n" + close);
  CHECK(r.rfind("HTTP/1.1 200", 0) == 0);
  CHECK(r.find("Content-Type: text/plain; version=0.0.4; charset=utf-8") != std::string::npos);
  CHECK(r.substr(r.size() - 6) == "first\n");
  server.publish("second\n");
  r = http_get(port, "GET /metrics HTTP/1.1\r\nHost: x\r\n" + close);
  CHECK(r.substr(r.size() - 7) == "second\n");
  CHECK(server.scrapes() == 2);
  CHECK(http_get(port, "GET /nothing HTTP/1.1\r\nHost: x\r\n" + close).rfind("HTTP/1.1 404", 0) == 0);
  r = http_get(port, "POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n" + close);
  CHECK(r.rfind("HTTP/1.1 405", 0) == 0);
  CHECK(server.scrapes() == 2);

  // Not scraped within the linger: false, after about that long.
  CHECK_FALSE(server.publish_final_and_wait("final\n", 0.2));
  r = http_get(port, "GET /metrics HTTP/1.1\r\nHost: x\r\n" + close);
  CHECK(r.substr(r.size() - 6) == "final\n");

  try {
    MetricsServer again("127.0.0.1", port, "");
    FAIL("a second server on a port in use started");
  } catch (const StartupError& e) {
    CHECK(e.message == "--metrics 127.0.0.1:" + std::to_string(port) + ": cannot listen there (bind): Address already in use");
  }
}
