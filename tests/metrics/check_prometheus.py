#!/usr/bin/python3
"""--metrics scraped by Debian's prometheus server.

    check_prometheus.py TUNPROBE PROMETHEUS GEN_SCRIPT WORKDIR

A prometheus server on 127.0.0.1 (own port, own storage in WORKDIR) scrapes
the probe every second (a scrape config with one static target). Then:

  * a replaying input (net_pcap infinite_rx=1 on the generated mix, 2
    workers, crc) runs for about 5 s and stops on SIGTERM, with
    --metrics-linger so that the final values are scraped too. Through
    Prometheus' HTTP query API: tunprobe_packets_total per worker, as last
    scraped, equals the run's --stats-json summary (workers[i].packets) and
    their sum its packets; tunprobe_flows_exported_total its flows; the
    json output's written and delivered records equal the summary's and
    the lines in the file; tunprobe_running's last value is 0; the series
    grew over at least 3 scrapes while the run went (so the values are
    live, not only the final ones); tunprobe_build_info names the version;
    every sample family has a TYPE (Prometheus' own metadata API);
  * a run on a capture file (ends by itself) with --metrics-linger: the
    last scrape holds the file's exact packet and flow counts;
  * --metrics on a port in use: one line, exit 2, before anything starts.
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "ipfix"))
from ipfix_common import (Fail, check, free_port, generate_traffic, main_wrapper, run, terminate,  # noqa: E402
                          wait_for)


class Prometheus:
    def __init__(self, exe, work, targets):
        self.port = free_port(socket.SOCK_STREAM)
        os.makedirs(work, exist_ok=True)
        cfg = os.path.join(work, "prometheus.yml")
        with open(cfg, "w") as f:
            f.write(f"""global:
  scrape_interval: 1s
  scrape_timeout: 900ms
scrape_configs:
  - job_name: tunprobe
    static_configs:
      - targets: [{", ".join(f"'127.0.0.1:{t}'" for t in targets)}]
""")
        self.log = open(os.path.join(work, "prometheus.log"), "w")
        self.p = subprocess.Popen([exe, f"--config.file={cfg}", f"--storage.tsdb.path={work}/data",
                                   f"--web.listen-address=127.0.0.1:{self.port}"],
                                  stdout=self.log, stderr=subprocess.STDOUT)
        wait_for(self.ready, 60, "prometheus to be ready", step=0.2)

    def ready(self):
        if self.p.poll() is not None:
            raise Fail(f"prometheus exited with {self.p.returncode}: see {self.log.name}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/-/ready", timeout=2) as r:
                return r.status == 200
        except OSError:
            return False

    def api(self, path, **params):
        url = f"http://127.0.0.1:{self.port}/api/v1/{path}?" + urllib.parse.urlencode(params)
        with urllib.request.urlopen(url, timeout=10) as r:
            body = json.load(r)
        check(body.get("status") == "success", f"{url}: {body}")
        return body["data"]

    def query(self, expr):
        return self.api("query", query=expr)["result"]

    def stop(self):
        terminate(self.p, 30)
        self.log.close()


def last_values(prom, metric, label, port):
    """{label value: last scraped value} of `metric` from the target on
    `port` (staleness markers after the probe exits hide it from an instant
    query: last_over_time reads the samples themselves)."""
    out = {}
    for r in prom.query(f'last_over_time({metric}{{instance="127.0.0.1:{port}"}}[10m])'):
        out[r["metric"].get(label, "")] = float(r["value"][1])
    return out


def wait_scraped(prom, metric, port, want, what):
    """Until the last scraped value of sum(metric) on `port` is `want`."""
    def got():
        r = prom.query(f'sum(last_over_time({metric}{{instance="127.0.0.1:{port}"}}[10m]))')
        return r and float(r[0]["value"][1]) == want
    wait_for(got, 20, what, step=0.5)


def main():
    tunprobe, prom_exe, gen, work = sys.argv[1:5]
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    truth = generate_traffic(gen, os.path.join(work, "gen"))
    mix = os.path.join(work, "gen", "mix.pcap")
    version = run([tunprobe, "--version"]).stdout.split()[-1]

    # One target per run, so that the file run's series are not the replay's.
    mport, fport = free_port(socket.SOCK_STREAM), free_port(socket.SOCK_STREAM)
    prom = Prometheus(prom_exe, os.path.join(work, "prometheus"), [mport, fport])
    try:
        # ---- a replaying input, stopped by SIGTERM
        stats = os.path.join(work, "replay.stats.json")
        flows = os.path.join(work, "replay.json")
        log = open(os.path.join(work, "replay.log"), "w")
        p = subprocess.Popen([tunprobe, "run", "-i", f"vdev:net_pcap0,rx_pcap={mix},infinite_rx=1", "-w", "2",
                              "--dispatch", "crc", "--active-timeout", "1", "--inactive-timeout", "1",
                              "-o", f"json:{flows}", "--stats-json", stats, "--metrics", f"127.0.0.1:{mport}",
                              "--metrics-linger", "15"], stdout=log, stderr=subprocess.STDOUT)
        try:
            # Live values: the series grows while the run goes.
            def grown():
                r = prom.query(f'count_over_time(tunprobe_packets_total{{worker="0",instance="127.0.0.1:{mport}"}}[10m])')
                return r and float(r[0]["value"][1]) >= 4
            wait_for(grown, 30, "4 scrapes of the running probe", step=0.5)
            mid = prom.query(f'sum(tunprobe_packets_total{{instance="127.0.0.1:{mport}"}})')
            check(mid and float(mid[0]["value"][1]) > 0, f"no packets counted while the run went: {mid}")
            running = prom.query(f'tunprobe_running{{instance="127.0.0.1:{mport}"}}')
            check(running and running[0]["value"][1] == "1", f"tunprobe_running while it runs: {running}")
            p.send_signal(signal.SIGTERM)
            rc = p.wait(60)
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
            log.close()
        said = open(log.name).read()
        check(rc == 0, f"the replay exited {rc}: {said[-600:]}")
        check("not scraped" not in said, f"the final values were not scraped: {said[-400:]}")
        s = json.load(open(stats))
        wait_scraped(prom, "tunprobe_packets_total", mport, s["packets"], "the final packet count in prometheus")
        per_worker = last_values(prom, "tunprobe_packets_total", "worker", mport)
        want = {str(i): float(w["packets"]) for i, w in enumerate(s["workers"])}
        check(per_worker == want, f"tunprobe_packets_total by worker: {per_worker}, the summary: {want}")
        check(min(want.values()) > 0, f"a worker saw nothing: {want}")
        exported = sum(last_values(prom, "tunprobe_flows_exported_total", "worker", mport).values())
        check(exported == s["flows"], f"tunprobe_flows_exported_total {exported}, the summary {s['flows']}")
        lines = sum(1 for _ in open(flows))
        out = s["outputs"][0]
        written = last_values(prom, "tunprobe_output_written_records_total", "output", mport)
        delivered = last_values(prom, "tunprobe_output_delivered_records_total", "output", mport)
        check(written == {f"json:{flows}": out["written"]} and delivered == {f"json:{flows}": out["delivered"]}
              and out["delivered"] == lines == s["flows"],
              f"output records: written {written}, delivered {delivered}; summary {out}; {lines} lines")
        verdicts = prom.query(f'sum(last_over_time(tunprobe_verdict_packets_total{{instance="127.0.0.1:{mport}"}}[10m]))')
        check(float(verdicts[0]["value"][1]) == s["packets"], f"the verdicts add up to {verdicts}, not {s['packets']}")
        ended = last_values(prom, "tunprobe_running", "", mport)
        check(ended == {"": 0.0}, f"tunprobe_running, last scraped: {ended}")
        build = prom.query(f'last_over_time(tunprobe_build_info{{instance="127.0.0.1:{mport}"}}[10m])')
        check([r["metric"].get("version") for r in build] == [version], f"tunprobe_build_info: {build}")
        meta = prom.api("metadata")
        for name, want_type in (("tunprobe_packets_total", "counter"), ("tunprobe_flow_cache_records", "gauge"),
                                ("tunprobe_output_buffered_records", "gauge"),
                                ("tunprobe_port_missed_packets_total", "counter")):
            got = [m["type"] for m in meta.get(name, [])]
            check(got == [want_type], f"prometheus' metadata of {name}: {got}, want {want_type}")
        ports = last_values(prom, "tunprobe_port_received_packets_total", "input", mport)
        check(list(ports) == [f"vdev:net_pcap0,rx_pcap={mix},infinite_rx=1"] and list(ports.values())[0] >= s["packets"],
              f"tunprobe_port_received_packets_total: {ports}, the run read {s['packets']}")
        print(f"replay: {s['packets']} packets on 2 workers ({int(want['0'])} + {int(want['1'])}), {s['flows']} flows,"
              f" as the summary, through prometheus; the series grew over >= 4 scrapes")

        # ---- a capture file: the run ends by itself; the linger brings the final values
        stats2 = os.path.join(work, "file.stats.json")
        t = time.monotonic()
        r = run([tunprobe, "run", "-i", f"pcap:{mix}", "-o", "json:/dev/null", "--stats-json", stats2, "--odid", "2",
                 "--metrics", f"127.0.0.1:{fport}", "--metrics-linger", "15"], timeout=60)
        check(r.returncode == 0, f"file run: exit {r.returncode}: {r.stderr[-400:]}")
        s2 = json.load(open(stats2))
        check(s2["packets"] == len(truth["packets"]) and s2["flows"] == len(truth["flows"]),
              f"file run: {s2['packets']} packets, {s2['flows']} flows; the capture has {len(truth['packets'])} "
              f"and {len(truth['flows'])}")
        wait_scraped(prom, "tunprobe_flows_exported_total", fport, s2["flows"], "the file run's flows in prometheus")
        wait_scraped(prom, "tunprobe_packets_total", fport, s2["packets"], "the file run's packets in prometheus")
        print(f"file: {s2['packets']} packets, {s2['flows']} flows in the last scrape "
              f"(the run lingered {time.monotonic() - t:.1f} s for it)")

        # ---- the port is in use (prometheus' own)
        r = run([tunprobe, "run", "-i", f"pcap:{mix}", "-o", "json:/dev/null", "--metrics", f"127.0.0.1:{prom.port}"])
        want_line = (f"tunprobe run: --metrics 127.0.0.1:{prom.port}: cannot listen there (bind): "
                     "Address already in use\n")
        check(r.returncode == 2 and r.stderr == want_line, f"a port in use: exit {r.returncode}, {r.stderr!r}")
        print("a port in use: one line, exit 2")
    finally:
        prom.stop()


if __name__ == "__main__":
    sys.exit(main_wrapper(main))
