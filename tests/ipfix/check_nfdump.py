#!/usr/bin/python3
"""The nfdump profile over UDP into a real nfcapd, and the UDP export as
tshark decodes it.

    check_nfdump.py TUNPROBE GEN_SCRIPT WORKDIR

  * nfcapd (127.0.0.1, a free port) stores exactly the generator's flows:
    the same count, per flow the same packets and octets;
  * the tunnel facts are in nfdump's stored fields: tunnel type in the
    ingress VRF, outer IPv4 addresses and UDP ports in the NAT translation
    fields (nfdump -o raw and -o json), QinQ VLAN as dst vlan;
  * nfdump's filter 'ingress vrf 1' selects exactly the Teredo flows of the
    mix (and 'ingress vrf 2' the 6to4 ones); 'src nport 3544'-style filters
    work on the outer ports;
  * nfdump -o line (what NfSen shows) for a Teredo and a native flow equals
    the JSON output's record, token by token;
  * tshark decodes a capture of the UDP export (-d udp.port==N,cflow): every
    flow, no malformed packet, no error.
"""
import datetime
import os
import sys

from ipfix_common import (OUTER_IPV6, TUNNEL_VALUE, Fail, Nfcapd, UdpSink, check, compare_flows, flow_key, free_port,
                          generate_traffic, json_lines, key_of_nfdump, key_of_truth, main_wrapper, nfdump_json,
                          nfdump_tunneled, nfdump_view, run, sum_by_key, truth_flows)


def test():
    tunprobe, gen, work = sys.argv[1:4]
    truth = generate_traffic(gen, work)
    pcap = os.path.join(work, "mix.pcap")
    want = nfdump_view(truth_flows(truth))
    check(any(k[0] in OUTER_IPV6 for k in want), "mix.pcap has no IP-in-IPv6 flow")

    port = free_port()
    nf = Nfcapd(os.path.join(work, "nfcapd"), port)
    try:
        r = run([tunprobe, "run", "-i", "pcap:" + pcap, "--profile", "nfdump", "-o", f"ipfix+udp://127.0.0.1:{port}",
                 "-o", "json:" + os.path.join(work, "flows.json")])
        check(r.returncode == 0, f"tunprobe: {r.stderr.strip()}")
        check("0 failed" in r.stderr.splitlines()[-1], f"UDP output: {r.stderr.splitlines()[-1]}")
    finally:
        path = nf.stop()
    recs = nfdump_json(path)
    check(len(recs) == len(truth["flows"]), f"nfcapd stored {len(recs)} flows, the capture has {len(truth['flows'])}")
    got = sum_by_key(recs, key_of_nfdump, lambda r: r["in_packets"], lambda r: r["in_bytes"])
    compare_flows("nfdump", got, want)
    print(f"nfcapd: {len(recs)} flows, each with the generator's packets and octets")

    raw = run(["nfdump", "-R", path, "-6", "-o", "raw"]).stdout
    for field in ("src xlt ip", "dst xlt ip", "src xlt port", "dst xlt port", "ingress VRF"):
        check(field in raw, f"nfdump -o raw shows no '{field}'")
    tunneled = nfdump_tunneled(recs)
    check(tunneled and all("src4_xlt_ip" in r and "dst4_xlt_ip" in r for r in tunneled),
          "tunneled flows lack the outer addresses in nfdump -o json")

    per_type = {}
    for k in want:
        per_type.setdefault(k[0], set()).add(k)
    for name in ("teredo", "6to4", "isatap", "6in4"):
        filt = f"ingress vrf {TUNNEL_VALUE[name]}"
        sel = nfdump_json(path, filt)
        keys = {key_of_nfdump(r) for r in sel}
        check(keys == per_type.get(name, set()) and len(sel) == len(keys),
              f"'{filt}' selects {len(sel)} flows, the mix has {len(per_type.get(name, ()))} {name} flows")
        print(f"nfdump '{filt}': exactly the {len(sel)} {name} flows")
    # The outer UDP ports are filterable too: Teredo flows to the server port.
    sel = nfdump_json(path, "dst nport 3544")
    check(sel and all(int(r["dst_xlt_port"]) == 3544 and int(r["ingress_vrf"]) == 1 for r in sel),
          "'dst nport 3544' does not select Teredo flows towards port 3544")
    n3544 = sum(1 for k in want if k[0] == "teredo" and k[4] == 3544)
    check(len(sel) == n3544, f"'dst nport 3544': {len(sel)} flows, want {n3544}")
    print(f"nfdump 'dst nport 3544': the {len(sel)} Teredo flows towards a server port")

    # What an NfSen user reads: nfdump's line format (-o line; Debian's
    # nfdump is built with NSEL, whose default format shows every record as
    # an event), token by token, for a Teredo and a native flow, against
    # the JSON output of the same run.
    jrecs = json_lines(os.path.join(work, "flows.json"))
    keyed = {}
    for j in jrecs:
        keyed.setdefault(flow_key(j), []).append(j)
    proto_name = {6: "TCP", 17: "UDP"}

    def line_tokens(j):
        v6 = j["ipVersion"] == 6
        src, dst = (j["sourceIPv6Address"], j["destinationIPv6Address"]) if v6 else \
            (j["sourceIPv4Address"], j["destinationIPv4Address"])
        sep = "." if v6 else ":"
        t0 = datetime.datetime.fromtimestamp(j["flowStartMilliseconds"] / 1000, datetime.timezone.utc)
        dur = j["flowEndMilliseconds"] - j["flowStartMilliseconds"]
        return [t0.strftime("%Y-%m-%d"), t0.strftime("%H:%M:%S.") + f"{j['flowStartMilliseconds'] % 1000:03d}",
                f"{dur // 3600000:02d}:{dur // 60000 % 60:02d}:{dur // 1000 % 60:02d}.{dur % 1000:03d}",
                proto_name[j["protocolIdentifier"]], f"{src}{sep}{j['sourceTransportPort']}", "->",
                f"{dst}{sep}{j['destinationTransportPort']}", str(j["packetDeltaCount"]), str(j["octetDeltaCount"]),
                "1"]

    for tunnel in ("teredo", "none"):
        cands = [v[0] for v in keyed.values() if len(v) == 1 and v[0]["tunnelType"] == tunnel and
                 v[0]["protocolIdentifier"] in proto_name]
        check(cands, f"no single-record {tunnel} TCP/UDP flow in the JSON output")
        j = max(cands, key=lambda x: (x["packetDeltaCount"], x["flowStartMilliseconds"]))
        v6 = j["ipVersion"] == 6
        filt = (f"src ip {j['sourceIPv6Address' if v6 else 'sourceIPv4Address']} and "
                f"dst ip {j['destinationIPv6Address' if v6 else 'destinationIPv4Address']} and "
                f"src port {j['sourceTransportPort']} and dst port {j['destinationTransportPort']} and "
                f"proto {j['protocolIdentifier']} and ingress vrf {TUNNEL_VALUE[tunnel]}")
        out = run(["nfdump", "-R", path, "-6", "-o", "line", "-q", filt])
        lines = [x for x in out.stdout.splitlines() if x.strip()]
        check(out.returncode == 0 and len(lines) == 1 and lines[0].split() == line_tokens(j),
              f"nfdump -o line for the {tunnel} flow: {lines}, want {' '.join(line_tokens(j))}")
        print(f"nfdump -o line, {tunnel} flow: {lines[0].strip()}")

    # tshark on a capture of the UDP export (default profile).
    uport = free_port()
    sink = UdpSink(uport)
    try:
        r = run([tunprobe, "run", "-i", "pcap:" + pcap, "-o", f"ipfix+udp://127.0.0.1:{uport}", "--export-mtu", "1500"])
        check(r.returncode == 0, f"tunprobe: {r.stderr.strip()}")
        from ipfix_common import wait_for
        wait_for(lambda: sum(len(d) for _, d in sink.datagrams) > 0, 10, "datagrams")
    finally:
        sink.stop()
    check(all(len(d) <= 1472 for _, d in sink.datagrams), "a datagram exceeds the MTU (1472 bytes of IPFIX)")
    cap = os.path.join(work, "export.pcap")
    sink.write_pcap(cap)
    r = run(["tshark", "-r", cap, "-d", f"udp.port=={uport},cflow", "-V"])
    check(r.returncode == 0, f"tshark: {r.stderr.strip()}")
    bad = [l for l in r.stdout.splitlines() if "Malformed" in l or "Expert Info (Error" in l or "Expert Info (Warn" in l]
    check(not bad, f"tshark: {bad[:5]}")
    flows = sum(1 for l in r.stdout.splitlines() if l.strip().startswith("Flow ") and l.strip()[5:].isdigit())
    check(flows == len(truth["flows"]), f"tshark decodes {flows} flows, want {len(truth['flows'])}")
    print(f"tshark: {len(sink.datagrams)} datagrams (at most {max(len(d) for _, d in sink.datagrams)} bytes), "
          f"{flows} flows, no malformed packet")


if __name__ == "__main__":
    sys.exit(main_wrapper(test))
