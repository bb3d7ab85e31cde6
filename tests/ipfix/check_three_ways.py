#!/usr/bin/python3
"""One capture exported three ways at once, the same flows in every
collector (the IPFIX issue's acceptance test).

    check_three_ways.py TUNPROBE IPFIX_READ GEN_SCRIPT WORKDIR

One `tunprobe run` on mix.pcap with four outputs:
    -o json:flows.json
    -o ipfix:flows.ipfix                               (default profile)
    -o ipfix+udp://127.0.0.1:P?profile=nfdump          -> nfcapd
    -o ipfix+tcp://127.0.0.1:Q?profile=flowmon         -> a TCP collector
Every collector shows exactly the generator's flows, each with its packets
and octets (flowmon carries a tunnel's outer octets, as FlowMon did: they
equal the JSON output's tunnelOctetDeltaCount); every tunnel fact is shown
by name where the collector can name it: ipfixDump with the shipped element
file on the file and on the TCP stream (no alien element; every tunprobe
and every PEN 16982 tunnel element named), nfdump's NAT/VRF fields.
"""
import os
import socket
import sys

from ipfix_common import (ELEMENT_FILE, ENTERPRISE, MODEL, Fail, Nfcapd, TcpSink, check, compare_flows, free_port,
                          generate_traffic, ipfix_read, json_lines, key_of_default, key_of_flowmon, key_of_nfdump,
                          main_wrapper, nfdump_json, nfdump_tunneled, nfdump_view, run, sum_by_key, truth_flows, wait_for)


def test():
    tunprobe, reader, gen, work = sys.argv[1:5]
    truth = generate_traffic(gen, work)
    want = truth_flows(truth)
    pcap = os.path.join(work, "mix.pcap")
    js, fx = os.path.join(work, "flows.json"), os.path.join(work, "flows.ipfix")
    uport, tport = free_port(), free_port(socket.SOCK_STREAM)
    nf = Nfcapd(os.path.join(work, "nfcapd"), uport)
    sink = TcpSink(tport, os.path.join(work, "tcp"))
    st = os.path.join(work, "stats.json")
    try:
        r = run([tunprobe, "run", "-i", "pcap:" + pcap, "-o", "json:" + js, "-o", "ipfix:" + fx,
                 "-o", f"ipfix+udp://127.0.0.1:{uport}?profile=nfdump",
                 "-o", f"ipfix+tcp://127.0.0.1:{tport}?profile=flowmon", "--stats-json", st])
        check(r.returncode == 0, f"tunprobe: {r.stderr.strip()}")
    finally:
        path = nf.stop()
        sink.stop()
    import json
    outs = json.load(open(st))["outputs"]
    for o in outs:
        n = len(truth["flows"])
        check(o["written"] == n and o["delivered"] == n, f"output {o['output']}: {o}")

    jrecs = json_lines(js)
    compare_flows("JSON output", sum_by_key(jrecs, key_of_default, lambda r: r["packetDeltaCount"],
                                             lambda r: r["octetDeltaCount"]), want)
    frecs = ipfix_read(reader, [fx])
    compare_flows("IPFIX file (default)", sum_by_key(frecs, key_of_default, lambda r: r["packetDeltaCount"],
                                                      lambda r: r["octetDeltaCount"]), want)
    nrecs = nfdump_json(path)
    compare_flows("nfcapd (nfdump)", sum_by_key(nrecs, key_of_nfdump, lambda r: r["in_packets"],
                                                 lambda r: r["in_bytes"]), nfdump_view(want))
    check(len(sink.files) == 1, f"TCP collector saw {len(sink.files)} connections")
    trecs = ipfix_read(reader, sink.files)
    outer = {}  # summed per key: a key may have several records (timeouts, TCP ends)
    for r in jrecs:
        p, o = outer.get(key_of_default(r), (0, 0))
        outer[key_of_default(r)] = (p + r["packetDeltaCount"], o + r.get("tunnelOctetDeltaCount", r["octetDeltaCount"]))
    compare_flows("TCP collector (flowmon)", sum_by_key(trecs, key_of_flowmon, lambda r: r["packetDeltaCount"],
                                                        lambda r: r["octetDeltaCount"]), outer)
    check(sorted(outer) == sorted(want), "the JSON output's flows are not the truth's")
    print(f"{len(want)} flows with the same packets and octets in the JSON output, the IPFIX file, nfcapd and "
          f"the TCP collector ({len(frecs)}, {len(nrecs)}, {len(trecs)} records)")

    # Names where the collector can show them.
    flowmon_names = {e["name"] for e in MODEL.elements if e["pen"] == 16982}
    for what, f, names in (("file", fx, ENTERPRISE), ("TCP stream", sink.files[0], flowmon_names)):
        r = run(["ipfixDump", "-e", ELEMENT_FILE, "--in", f])
        check(r.returncode == 0, f"ipfixDump {what}: {r.stderr.strip()}")
        check("_alienInformationElement" not in r.stdout, f"ipfixDump {what}: alien elements")
        shown = {n for n in names if f" {n} :" in r.stdout or f"){n} :" in r.stdout}
        check(shown == names, f"ipfixDump {what}: not named: {sorted(names - shown)}")
    tunneled = nfdump_tunneled(nrecs)
    check(tunneled and all(k in r for r in tunneled for k in ("src4_xlt_ip", "dst4_xlt_ip", "src_xlt_port",
                                                                "dst_xlt_port")),
          "nfdump lacks the mapped tunnel facts")
    print(f"named: {len(ENTERPRISE)} tunprobe elements (file) and {len(flowmon_names)} PEN 16982 elements "
          f"(TCP stream) by ipfixDump -e; {len(tunneled)} tunneled flows with NAT/VRF fields in nfdump")


if __name__ == "__main__":
    sys.exit(main_wrapper(test))
