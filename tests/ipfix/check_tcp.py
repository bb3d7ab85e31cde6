#!/usr/bin/python3
"""IPFIX over TCP (flowmon profile): the collector goes away and comes back.

    check_tcp.py TUNPROBE IPFIX_READ WORKDIR

Three long-lived flows replayed forever (net_pcap infinite_rx=1,
--active-timeout 1) keep records coming. A TCP collector (each connection
saved to a file, decoded with libfixbuf) is stopped mid-run and started
again on the same port:

  * the probe does not crash and exits 0 on SIGTERM;
  * each connection's stream starts with the templates;
  * records that ended while no collector listened arrive on the new
    connection (their flowEndMilliseconds is before it started);
  * the summary adds up (written = delivered + failed + dropped), and what
    the collector decoded is what the probe counts as delivered: nothing is
    lost silently;
  * with --export-buffer 2 and a longer outage, the records beyond the
    buffer are counted as dropped, and the buffered ones still arrive.
"""
import json
import os
import sys
import time

from ipfix_common import (Fail, Probe, TcpSink, check, free_port, ipfix_read, long_flows_pcap, main_wrapper,
                          wait_for)


def start_probe(tunprobe, pcap, port, work, name, extra=()):
    st = os.path.join(work, name + ".stats.json")
    log = os.path.join(work, name + ".log")
    p = Probe([tunprobe, "run", "-i", f"vdev:net_pcap0,rx_pcap={pcap},infinite_rx=1", "--active-timeout", "1",
               "--profile", "flowmon", "-o", f"ipfix+tcp://127.0.0.1:{port}", "--stats-json", st] + list(extra), log)
    return p, st, log


def records_of(reader, files):
    recs = []
    for f in files:
        with open(f, "rb") as fh:
            head = fh.read(20)
        check(len(head) == 20 and head[16:18] == b"\x00\x02", f"{f}: the connection does not start with templates")
        recs += ipfix_read(reader, [f])
    return recs


def test():
    tunprobe, reader, work = sys.argv[1:4]
    os.makedirs(work, exist_ok=True)
    pcap = os.path.join(work, "long.pcap")
    long_flows_pcap(pcap)

    port = free_port(kind=__import__("socket").SOCK_STREAM)
    sink = TcpSink(port, os.path.join(work, "a"))
    p, st, log = start_probe(tunprobe, pcap, port, work, "restart")
    sink2 = None
    try:
        wait_for(lambda: sink.bytes_received() > 600 or p.p.poll() is not None, 30, "records on the first connection")
        sink.stop()
        wait_for(lambda: "connection lost" in open(log).read() or p.p.poll() is not None, 30,
                 "the probe to notice the collector is gone")
        time.sleep(2.5)  # records end meanwhile (active timeout 1 s): they wait in the buffer
        restart_ms = int(time.time() * 1000)
        sink2 = TcpSink(port, os.path.join(work, "b"))
        wait_for(lambda: sink2.bytes_received() > 1000 or p.p.poll() is not None, 30, "records after reconnecting")
        time.sleep(1.5)
    finally:
        rc = p.stop()
        if sink2:
            sink2.stop()
        sink.stop() if sink.running else None
    check(rc == 0, f"probe exit {rc}: {open(log).read()[-3000:]}")
    first = records_of(reader, sink.files)
    second = records_of(reader, sink2.files)
    out = json.load(open(st))["outputs"][0]
    check(out["connections"] == 2, f"connections: {out}")
    check(out["written"] == out["delivered"] + out["failed"] + out["dropped"] and out["buffered"] == 0,
          f"output counts do not add up: {out}")
    check(out["failed"] == 0 and out["dropped"] == 0, f"records lost although the collector came back: {out}")
    got = len(first) + len(second)
    check(got == out["delivered"], f"the collector decoded {got} records, the probe counts {out['delivered']} delivered")
    held = [r for r in second if r["flowEndMilliseconds"] < restart_ms]
    check(held, "no record that ended during the outage arrived after the reconnect")
    tunneled = [r for r in first + second if "tunnelSrcIPv6" in r]
    check(tunneled and {r["tunnelType"] for r in tunneled} == {1, 2}, "flowmon tunnel elements missing")
    print(f"collector restarted: {len(first)} + {len(second)} records = {out['delivered']} delivered, "
          f"{len(held)} of them held during the outage; 2 connections, templates on each; nothing lost")

    # A tiny buffer and a longer outage: the excess is counted as dropped.
    port = free_port(kind=__import__("socket").SOCK_STREAM)
    p, st, log = start_probe(tunprobe, pcap, port, work, "drop", ["--export-buffer", "2"])
    sink = None
    try:
        wait_for(lambda: "dropping records" in open(log).read() or p.p.poll() is not None, 30, "the buffer to fill")
        sink = TcpSink(port, os.path.join(work, "c"))
        wait_for(lambda: sink.bytes_received() > 300 or p.p.poll() is not None, 30, "the buffered records")
    finally:
        rc = p.stop()
        if sink:
            sink.stop()
    check(rc == 0, f"probe exit {rc}: {open(log).read()[-3000:]}")
    out = json.load(open(st))["outputs"][0]
    recs = records_of(reader, sink.files)
    check(out["dropped"] > 0, f"nothing counted as dropped: {out}")
    check(out["written"] == out["delivered"] + out["failed"] + out["dropped"], f"counts do not add up: {out}")
    check(len(recs) == out["delivered"] and len(recs) >= 2, f"decoded {len(recs)}, delivered {out['delivered']}")
    check(out["bufferedPeak"] <= 2, f"buffer above its bound: {out}")
    print(f"--export-buffer 2: {out['dropped']} records dropped and counted, {out['delivered']} delivered "
          f"(the buffered ones included), written {out['written']}")


if __name__ == "__main__":
    sys.exit(main_wrapper(test))
