#!/usr/bin/python3
"""UDP template refresh (RFC 7011 10.3.6): a collector started after the
probe decodes its data once the templates have been sent again.

    check_refresh.py TUNPROBE WORKDIR

A capture of three long-lived flows (native IPv4, Teredo, 6to4) is replayed
forever (net_pcap infinite_rx=1) with --active-timeout 1, so records keep
coming. The probe sends to a port where nobody listens (its send errors are
counted), nfcapd starts there later, the probe runs on for four refresh
periods (--template-refresh 1), then both stop: nfcapd must hold flows with
the Teredo tunnel facts, and the probe's summary must count the send errors
while nobody listened (UDP cannot tell more: the kernel reports a port
unreachable for one datagram on the next send).
"""
import json
import os
import sys
import time

from ipfix_common import (TUNNEL_VALUE, Fail, Nfcapd, Probe, check, free_port, long_flows_pcap, main_wrapper,
                          nfdump_json, wait_for)


def test():
    tunprobe, work = sys.argv[1:3]
    os.makedirs(work, exist_ok=True)
    pcap = os.path.join(work, "long.pcap")
    long_flows_pcap(pcap)
    port = free_port()
    st = os.path.join(work, "stats.json")
    log = os.path.join(work, "probe.log")
    p = Probe([tunprobe, "run", "-i", f"vdev:net_pcap0,rx_pcap={pcap},infinite_rx=1", "--active-timeout", "1",
               "--profile", "nfdump", "-o", f"ipfix+udp://127.0.0.1:{port}", "--template-refresh", "1",
               "--stats-json", st], log)
    nf = None
    try:
        # Records go out (and fail) before the collector exists: wait until
        # the probe has been up for two active timeouts.
        time.sleep(2.5)
        check(p.p.poll() is None, f"the probe exited early: {open(log).read()[-2000:]}")
        nf = Nfcapd(os.path.join(work, "nfcapd"), port)
        started = time.time()
        # Four refresh periods: templates at least three times, data after.
        wait_for(lambda: time.time() - started >= 4.0, 10, "four refresh periods")
    finally:
        rc = p.stop()
        path = nf.stop() if nf else None
    check(rc == 0, f"probe exit {rc}: {open(log).read()[-2000:]}")
    recs = nfdump_json(path)
    check(recs, "nfcapd decoded nothing: the templates were not sent again")
    teredo = [r for r in recs if int(r.get("ingress_vrf", 0)) == TUNNEL_VALUE["teredo"]]
    check(teredo and teredo[0]["src4_xlt_ip"] == "203.0.113.77" and int(teredo[0]["dst_xlt_port"]) == 3544,
          f"no Teredo flow with its outer facts among {len(recs)} records")
    out = json.load(open(st))["outputs"][0]
    # UDP cannot know what arrived: the kernel reports "port unreachable"
    # for a datagram on the next send, which then fails and is counted.
    check(out["sendErrors"] > 0, f"sends before the collector listened were not counted: {out}")
    check(out["written"] == out["delivered"] + out["failed"], f"output counts do not add up: {out}")
    print(f"collector started 2.5 s after the probe: {len(recs)} flows decoded after a template refresh; "
          f"{out['sendErrors']} send errors counted while nobody listened")


if __name__ == "__main__":
    sys.exit(main_wrapper(test))
