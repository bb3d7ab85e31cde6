"""Shared helpers of the IPFIX tests (tests/ipfix/check_*.py).

Everything runs on 127.0.0.1 with ports the kernel picks (bind to port 0);
collectors are started and stopped by the tests; every wait polls with a
deadline. No test relies on timing luck.
"""
import ipaddress
import json
import os
import signal
import socket
import struct
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "templates"))
import generate  # noqa: E402  (templates/generate.py: the element table)

MODEL = generate.Model()
ELEMENT_FILE = os.path.join(ROOT, "templates", "generated", "tunprobe-ipfixdump.xml")


def value_names(ref):
    return {v: n for v, n, _ in MODEL.values[ref]}


TUNNEL_TYPES = value_names("probe/base/tunnel_type.hpp:TUNPROBE_TUNNEL_TYPES")
ADDR_CLASSES = value_names("probe/decode/addr_class.hpp:TUNPROBE_ADDR_CLASSES")
MIRROR_TYPES = value_names("probe/base/mirror_type.hpp:TUNPROBE_MIRROR_TYPES")
END_REASONS = value_names("probe/flow/flow_record.hpp:TUNPROBE_END_REASONS")
TUNNEL_VALUE = {n: v for v, n in TUNNEL_TYPES.items()}
sys.path.insert(0, os.path.join(ROOT, "scripts"))
import tunnel_types  # noqa: E402  (scripts/tunnel_types.py: the tunnel table with its carriers)

# The tunnel types carried directly in IPv6: their outer pair is IPv6.
OUTER_IPV6 = {t["name"] for t in tunnel_types.TYPES if t["carrier"] == "ipv6"}
# Elements whose numbers the JSON output prints as names.
ENUMS = {"tunnelType": TUNNEL_TYPES, "mirrorType": MIRROR_TYPES, "sourceAddressClass": ADDR_CLASSES, "destinationAddressClass": ADDR_CLASSES,
         "flowEndReason": END_REASONS}
# JSON keys with no IPFIX element: the worker (a probe detail) and the ICMP
# type and code apart (IPFIX carries icmpTypeCodeIPv4/IPv6, also in JSON).
# JSON keys with no IPFIX element. transportHeaderMissing: IPFIX templates
# are fixed, so such a record's ports / ICMP type are 0 there (README,
# Fragments).
JSON_ONLY = {"worker", "icmpTypeIPv4", "icmpCodeIPv4", "icmpTypeIPv6", "icmpCodeIPv6", "transportHeaderMissing"}
ENTERPRISE = {e["name"] for e in MODEL.elements if e["pen"] == generate.PEN_TUNPROBE}


class Fail(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise Fail(msg)


def free_port(kind=socket.SOCK_DGRAM):
    s = socket.socket(socket.AF_INET, kind)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def terminate(p, timeout):
    """Stops the process this test started (by its PID): SIGTERM, then
    SIGKILL after `timeout` seconds; returns its exit status."""
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
    try:
        return p.wait(timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        return p.wait()


def wait_for(pred, timeout, what, step=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(step)
    raise Fail(f"timed out after {timeout} s waiting for {what}")


def run(cmd, timeout=120, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kw)


def json_lines(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def norm_ip(s):
    return str(ipaddress.ip_address(s))


def generate_traffic(gen, work):
    os.makedirs(work, exist_ok=True)
    subprocess.run(["/usr/bin/python3", gen, "--out", work], check=True, stdout=subprocess.DEVNULL)
    return json.load(open(os.path.join(work, "mix.truth.json")))


# --------------------------------------------------------------- the probe

class Probe:
    """`tunprobe run` in the background (for runs that end by SIGTERM)."""

    def __init__(self, cmd, log):
        self.log = open(log, "w")
        self.p = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT)

    def stop(self, timeout=60):
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
        try:
            return self.p.wait(timeout)
        finally:
            if self.p.poll() is None:
                self.p.kill()
                self.p.wait()
            self.log.close()


def ipfix_read(reader, files, pen=None):
    cmd = [reader] + (["--pen", str(pen)] if pen else []) + list(files)
    r = run(cmd)
    check(r.returncode == 0, f"ipfix_read {files}: {r.stderr.strip()}")
    return [json.loads(line) for line in r.stdout.splitlines()]


def long_flows_pcap(path):
    """A small Ethernet capture of long-lived flows (no TCP FIN): native
    IPv4 UDP, Teredo (IPv6/UDP in UDP 3544) and 6to4 (IPv6/UDP in protocol
    41). Replayed with net_pcap's infinite_rx=1 they stay in the cache and
    are exported by the active timeout: a few records per second."""

    def csum(b):
        if len(b) % 2:
            b += b"\0"
        s = sum(struct.unpack(f"!{len(b) // 2}H", b))
        s = (s >> 16) + (s & 0xffff)
        s += s >> 16
        return ~s & 0xffff

    def ipv4(src, dst, proto, payload):
        h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 1, 0, 64, proto, 0,
                        socket.inet_aton(src), socket.inet_aton(dst))
        h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
        return h + payload

    def udp(sport, dport, payload):
        return struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload

    def ipv6(src, dst, nh, payload):
        return (struct.pack("!IHBB", 6 << 28, len(payload), nh, 64) + socket.inet_pton(socket.AF_INET6, src)
                + socket.inet_pton(socket.AF_INET6, dst) + payload)

    eth = b"\x02\0\0\0\0\x02\x02\0\0\0\0\x01"
    frames = [
        eth + b"\x08\x00" + ipv4("192.0.2.10", "198.51.100.20", 17, udp(40000, 53, b"q" * 20)),
        eth + b"\x08\x00" + ipv4("203.0.113.77", "192.0.2.99", 17, udp(40001, 3544, ipv6(
            "2001:0:c633:6401:8000:63be:34ff:8eb2", "2a00:1450:4001:80b::200e", 17, udp(50800, 443, b"t" * 30)))),
        eth + b"\x08\x00" + ipv4("192.0.2.1", "192.0.2.2", 41, ipv6(
            "2002:c000:201::c000:201", "2002:c000:202::1", 17, udp(5000, 6000, b"s" * 40))),
    ]
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for i, fr in enumerate(frames):
            f.write(struct.pack("<IIII", 1767225600, i, len(fr), len(fr)) + fr)
    return len(frames)


# --------------------------------------------------------------- collectors

class Nfcapd:
    def __init__(self, work, port):
        self.dir = work
        os.makedirs(work, exist_ok=True)
        for f in os.listdir(work):
            os.remove(os.path.join(work, f))
        self.log = open(work + ".log", "w")
        self.p = subprocess.Popen(["nfcapd", "-b", "127.0.0.1", "-p", str(port), "-w", work, "-t", "3600"],
                                  stdout=self.log, stderr=subprocess.STDOUT)
        # Ready when its UDP socket is bound: a second bind then fails.
        def bound():
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            try:
                s.bind(("127.0.0.1", port))
                return False
            except OSError:
                return True
            finally:
                s.close()
        wait_for(lambda: bound() or self.p.poll() is not None, 20, "nfcapd to listen")
        check(self.p.poll() is None, f"nfcapd exited: {open(work + '.log').read()}")

    def stop(self):
        """Stops nfcapd (it then renames its file) and returns what it wrote,
        for nfdump's -R: its directory. A run across a full hour of the wall
        clock leaves two files (-t 3600 rotates on the hour), one otherwise."""
        terminate(self.p, 20)
        self.log.close()
        files = [f for f in os.listdir(self.dir) if f.startswith("nfcapd.2")]
        check(1 <= len(files) <= 2, f"nfcapd left {sorted(os.listdir(self.dir))}")
        return self.dir


def nfdump_json(path, filt=None):
    cmd = ["nfdump", "-R" if os.path.isdir(path) else "-r", path, "-6", "-o", "json"] + ([filt] if filt else [])
    r = run(cmd)
    check(r.returncode == 0, f"nfdump: {r.stderr.strip()}")
    text = r.stdout.strip()
    return json.loads(text) if text else []


class UdpSink:
    """A UDP collector that keeps the datagrams (for a pcap that tshark reads)."""

    def __init__(self, port):
        self.port = port
        self.s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
        self.s.bind(("127.0.0.1", port))
        self.s.settimeout(0.1)
        self.datagrams = []
        self.running = True
        self.t = threading.Thread(target=self._loop, daemon=True)
        self.t.start()

    def _loop(self):
        while self.running:
            try:
                d, a = self.s.recvfrom(65535)
                self.datagrams.append((a[1], d))
            except socket.timeout:
                continue
            except OSError:
                break

    def stop(self):
        self.running = False
        self.t.join(5)
        self.s.close()

    def write_pcap(self, path):
        with open(path, "wb") as f:
            f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
            for i, (sport, d) in enumerate(self.datagrams):
                u = struct.pack("!HHHH", sport, self.port, 8 + len(d), 0) + d
                ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(u), i & 0xffff, 0, 64, 17, 0,
                                 socket.inet_aton("127.0.0.1"), socket.inet_aton("127.0.0.1"))
                fr = b"\0" * 12 + b"\x08\x00" + ip + u
                f.write(struct.pack("<IIII", 1767225600 + i // 1000, (i % 1000) * 1000, len(fr), len(fr)) + fr)


class TcpSink:
    """A TCP collector: each accepted connection's bytes go to PREFIX.N.ipfix
    (an IPFIX stream is an IPFIX file). stop() closes everything at once, as
    a collector that dies would."""

    def __init__(self, port, prefix):
        self.port = port
        self.prefix = prefix
        self.files = []
        self.ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.ls.bind(("127.0.0.1", port))
        self.ls.listen(4)
        self.ls.settimeout(0.1)
        self.running = True
        self.conns = []
        self.t = threading.Thread(target=self._loop, daemon=True)
        self.t.start()

    def _loop(self):
        import selectors
        sel = selectors.DefaultSelector()
        sel.register(self.ls, selectors.EVENT_READ, None)
        while self.running:
            for key, _ in sel.select(0.1):
                if key.data is None:
                    try:
                        c, _ = self.ls.accept()
                    except OSError:
                        continue
                    name = f"{self.prefix}.{len(self.files)}.ipfix"
                    f = open(name, "wb")
                    self.files.append(name)
                    self.conns.append((c, f))
                    sel.register(c, selectors.EVENT_READ, f)
                else:
                    try:
                        d = key.fileobj.recv(1 << 20)
                    except OSError:
                        d = b""
                    if d:
                        key.data.write(d)
                        key.data.flush()
                    else:
                        sel.unregister(key.fileobj)
                        key.fileobj.close()
                        key.data.close()
        sel.close()

    def bytes_received(self):
        return sum(os.path.getsize(f) for f in self.files if os.path.exists(f))

    def stop(self):
        """Stops like a collector that goes away: stops listening, takes what
        the kernel already holds for it (and acknowledged), closes."""
        self.running = False
        self.t.join(5)
        self.ls.close()
        for c, f in self.conns:
            try:
                c.setblocking(False)
                while not f.closed:
                    d = c.recv(1 << 20)
                    if not d:
                        break
                    f.write(d)
            except OSError:
                pass
            try:
                c.close()
            except OSError:
                pass
            if not f.closed:
                f.close()


# --------------------------------------------------------------- comparisons

def ipfix_to_json_names(rec):
    """A decoded default-profile IPFIX record in the JSON output's terms:
    enumerations as names, addresses normalised, internals dropped."""
    out = {}
    for k, v in rec.items():
        if k.startswith("_"):
            continue
        if k in ENUMS:
            v = ENUMS[k].get(v, v)
        elif isinstance(v, str):
            try:
                v = norm_ip(v)
            except ValueError:
                pass
        out[k] = v
    return out


def compare_record(ipfix_rec, json_rec):
    """Every IPFIX field equals the JSON key of the same name; a field the
    JSON output leaves out (it prints only what applies) is zero in IPFIX;
    no JSON key is missing from IPFIX except the JSON-only ones."""
    errors = []
    i = ipfix_to_json_names(ipfix_rec)
    j = {k: (norm_ip(v) if isinstance(v, str) and k.endswith("Address") else v) for k, v in json_rec.items()}
    for k, v in i.items():
        if k in j:
            if j[k] != v:
                errors.append(f"{k}: IPFIX {v!r}, JSON {j[k]!r}")
        elif v not in (0, "0.0.0.0", "::", "none"):
            errors.append(f"{k}: IPFIX {v!r}, absent from JSON")
    for k in j:
        if k not in i and k not in JSON_ONLY:
            errors.append(f"{k}: JSON {j[k]!r}, absent from IPFIX")
    return errors


def flow_key(r):
    """A JSON flow record's key (as tests/e2e/check_run.py builds it)."""
    v6 = r["ipVersion"] == 6
    return (r["tunnelType"], r.get("tunnelSourceIPv4Address", r.get("tunnelSourceIPv6Address")),
            r.get("tunnelDestinationIPv4Address", r.get("tunnelDestinationIPv6Address")),
            r.get("tunnelSourceTransportPort", 0), r.get("tunnelDestinationTransportPort", 0),
            r.get("vlanId", 0), r.get("dot1qCustomerVlanId", 0),
            norm_ip(r["sourceIPv6Address" if v6 else "sourceIPv4Address"]),
            norm_ip(r["destinationIPv6Address" if v6 else "destinationIPv4Address"]),
            r["protocolIdentifier"], r.get("sourceTransportPort", 0), r.get("destinationTransportPort", 0),
            r.get("icmpTypeCodeIPv6", r.get("icmpTypeCodeIPv4", 0)))


def main_wrapper(fn):
    try:
        fn()
    except Fail as e:
        print(f"FAIL: {e}")
        return 1
    print("ok")
    return 0


# --------------------------------------------------------------- flow keys
# One key for a flow, whichever collector showed it: (tunnel type, outer
# source, outer destination, outer ports, VLAN ids, inner source,
# destination, protocol, ports; ICMP: source port 0, destination port
# type * 256 + code).

ICMP = (1, 58)


def outer_of(r, end):
    """The outer address of a record's tunnel: IPv4, or IPv6 for IP in IPv6."""
    return r.get(f"tunnel{end}IPv4Address", r.get(f"tunnel{end}IPv6Address", "0.0.0.0"))


def key_of_truth(k):
    v6 = "sourceIPv6Address" in k
    return (k.get("tunnelType", "none"), norm_ip(outer_of(k, "Source")), norm_ip(outer_of(k, "Destination")),
            k.get("tunnelSourceTransportPort", 0),
            k.get("tunnelDestinationTransportPort", 0), k.get("vlanId", 0), k.get("dot1qCustomerVlanId", 0),
            norm_ip(k["sourceIPv6Address" if v6 else "sourceIPv4Address"]),
            norm_ip(k["destinationIPv6Address" if v6 else "destinationIPv4Address"]), k["protocolIdentifier"],
            k.get("sourceTransportPort", 0), k.get("destinationTransportPort", 0))


def truth_flows(truth):
    """{key: (packets, octets)} of the generator's ground truth, summed over
    the records of a key (a flow cut by a timeout or a TCP end is several
    records; a flow without a transport header has the same IPFIX key as
    one with ports or ICMP type 0)."""
    out = {}
    for f in truth["flows"]:
        k = key_of_truth(f["key"])
        p, o = out.get(k, (0, 0))
        out[k] = (p + f["packetDeltaCount"], o + f["octetDeltaCount"])
    return out


def key_of_default(r):
    """A default-profile record, from JSON or decoded IPFIX (names or numbers)."""
    v6 = r["ipVersion"] == 6
    proto = r["protocolIdentifier"]
    icmp = r.get("icmpTypeCodeIPv6" if v6 else "icmpTypeCodeIPv4", 0)
    t = r["tunnelType"]
    t = TUNNEL_TYPES.get(t, t)
    return (t, norm_ip(outer_of(r, "Source")), norm_ip(outer_of(r, "Destination")), r.get("tunnelSourceTransportPort", 0),
            r.get("tunnelDestinationTransportPort", 0), r.get("vlanId", 0), r.get("dot1qCustomerVlanId", 0),
            norm_ip(r["sourceIPv6Address" if v6 else "sourceIPv4Address"]),
            norm_ip(r["destinationIPv6Address" if v6 else "destinationIPv4Address"]), proto,
            0 if proto in ICMP else r.get("sourceTransportPort", 0),
            icmp if proto in ICMP else r.get("destinationTransportPort", 0))


def nfdump_view(flows):
    """{key: (packets, octets)} as the nfdump profile can show them: nfcapd
    1.7 stores no post-NAT IPv6 address, so IP in IPv6 arrives with its
    tunnel type and without its outer pair (flows of two pairs merge)."""
    out = {}
    for k, (p, o) in flows.items():
        if k[0] in OUTER_IPV6:
            k = (k[0], "0.0.0.0", "0.0.0.0") + k[3:]
        wp, wo = out.get(k, (0, 0))
        out[k] = (wp + p, wo + o)
    return out


def nfdump_tunneled(recs):
    """The nfdump records of tunnels whose outer pair nfcapd stores (IPv4)."""
    outer6 = {TUNNEL_VALUE[t] for t in OUTER_IPV6}
    return [r for r in recs if int(r.get("ingress_vrf", 0)) not in {0} | outer6]


def key_of_nfdump(r):
    """An nfdump -o json record of the nfdump profile."""
    proto = r["proto"]
    t = TUNNEL_TYPES[int(r.get("ingress_vrf", 0))]
    return (t, norm_ip(r.get("src4_xlt_ip", "0.0.0.0")), norm_ip(r.get("dst4_xlt_ip", "0.0.0.0")),
            int(r.get("src_xlt_port", 0)), int(r.get("dst_xlt_port", 0)), r.get("src_vlan", 0), r.get("dst_vlan", 0),
            norm_ip(r.get("src6_addr", r.get("src4_addr"))), norm_ip(r.get("dst6_addr", r.get("dst4_addr"))), proto,
            0 if proto in ICMP else r.get("src_port", 0),
            r.get("icmp_type", 0) * 256 + r.get("icmp_code", 0) if proto in ICMP else r.get("dst_port", 0))


def key_of_flowmon(r):
    """A flowmon-profile record decoded by ipfix_read: a tunneled flow is the
    outer IPv4 flow plus the PEN 16982 tunnel elements."""
    if "tunnelSrcIPv6" in r:
        proto = r["tunnelProtocol"]
        # IPv4 in GRE: the inner IPv4 addresses arrive IPv4-mapped.
        inner = [norm_ip(r["tunnelSrcIPv6"]), norm_ip(r["tunnelDstIPv6"])]
        inner = [str(ipaddress.ip_address(a).ipv4_mapped or a) for a in inner]
        # The outer flow: IPv4, or IPv6 for IP in IPv6 (no outer ports).
        v6 = "sourceIPv6Address" in r
        return (TUNNEL_TYPES[r["tunnelType"]], norm_ip(r["sourceIPv6Address" if v6 else "sourceIPv4Address"]),
                norm_ip(r["destinationIPv6Address" if v6 else "destinationIPv4Address"]),
                r.get("sourceTransportPort", 0), r.get("destinationTransportPort", 0), r["vlanId"], r["dot1qCustomerVlanId"],
                inner[0], inner[1], proto,
                0 if proto in ICMP else r["tunnelSrcPort"], r["tunnelICMPcode"] if proto in ICMP else r["tunnelDstPort"])
    v6 = "sourceIPv6Address" in r
    proto = r["protocolIdentifier"]
    icmp = r["icmpTypeCodeIPv6" if v6 else "icmpTypeCodeIPv4"]
    return ("none", "0.0.0.0", "0.0.0.0", 0, 0, r["vlanId"], r["dot1qCustomerVlanId"],
            norm_ip(r["sourceIPv6Address" if v6 else "sourceIPv4Address"]),
            norm_ip(r["destinationIPv6Address" if v6 else "destinationIPv4Address"]), proto,
            0 if proto in ICMP else r["sourceTransportPort"], icmp if proto in ICMP else r["destinationTransportPort"])


def sum_by_key(records, keyf, packets, octets):
    """{key: [packets, octets, records]}"""
    out = {}
    for r in records:
        g = out.setdefault(keyf(r), [0, 0, 0])
        g[0] += packets(r)
        g[1] += octets(r)
        g[2] += 1
    return out


def compare_flows(what, got, want):
    """got {key: [packets, octets, ...]} against want {key: (packets, octets)}."""
    errors = []
    for k, (p, o) in want.items():
        if k not in got:
            errors.append(f"missing flow {k}")
        elif got[k][0] != p or got[k][1] != o:
            errors.append(f"flow {k}: packets/octets {got[k][0]}/{got[k][1]}, want {p}/{o}")
    for k in got:
        if k not in want:
            errors.append(f"unexpected flow {k}")
    check(not errors, f"{what}: {len(errors)} differences: " + "; ".join(errors[:8]))
