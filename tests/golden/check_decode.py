#!/usr/bin/python3
"""Golden test: `tunprobe decode` against the generator's ground truth.

    check_decode.py TUNPROBE GEN_SCRIPT WORKDIR

Runs GEN_SCRIPT --out WORKDIR, then for every WORKDIR/NAME.truth.json runs
`TUNPROBE decode NAME.pcap <decodeArgs>` and compares packet by packet:

  - every key of the truth packet (but "case", a note) must be printed with
    the same value;
  - the decoded packet must print no key that the truth lacks (but
    "timestamp"): no stray tunnel, Teredo, fragment or link-layer fields;
  - the packet count, the verdict counts, the packets per tunnel type and
    the packets decoded from each kind of mirror (--mirror) must equal the
    truth's summary;
  - the summary that `decode` prints on stderr names every verdict count and
    the Teredo packets with RFC 6081 trailers.

Prints each mismatch with capture, index, key and both values, then
"N packets checked, M mismatches"; exits 1 on any mismatch.
"""

import glob
import json
import os
import re
import subprocess
import sys

IGNORED_TRUTH_KEYS = {"case"}
IGNORED_DECODE_KEYS = {"timestamp"}


def decode(tunprobe, pcap, args):
    """The decoded packets and the summary line from stderr."""
    proc = subprocess.run([tunprobe, "decode", pcap, *args], capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{tunprobe} decode {pcap} {' '.join(args)}: exit {proc.returncode}: {proc.stderr}")
    return [json.loads(line) for line in proc.stdout.splitlines() if line.strip()], proc.stderr.strip()


def count(packets, key):
    out = {}
    for p in packets:
        if key in p:
            out[p[key]] = out.get(p[key], 0) + 1
    return dict(sorted(out.items()))


def check_capture(tunprobe, truth_path, report):
    with open(truth_path) as f:
        truth = json.load(f)
    name = truth["capture"]
    pcap = os.path.join(os.path.dirname(truth_path), name)
    got, summary_line = decode(tunprobe, pcap, truth["decodeArgs"])
    want = truth["packets"]
    if len(got) != len(want):
        report(name, "-", "packet count", len(want), len(got), "")
    for w, g in zip(want, got):
        case = w.get("case", "")
        for key, value in w.items():
            if key in IGNORED_TRUTH_KEYS:
                continue
            if key not in g:
                report(name, w["index"], key, value, "(absent)", case)
            elif g[key] != value:
                report(name, w["index"], key, value, g[key], case)
        for key in g:
            if key not in w and key not in IGNORED_DECODE_KEYS:
                report(name, w["index"], key, "(absent)", g[key], case)
    summary = truth["summary"]
    # The verdicts in the table's order, so each one is looked for alone.
    line = summary_line.replace(";", ",") + ","
    if not line.startswith(f"tunprobe decode: {summary['packets']} packets,") or any(
            f", {v} {n}," not in line for v, n in summary["packetsPerVerdict"].items()):
        report(name, "-", "summary line", summary["packetsPerVerdict"], summary_line, "")
    trailers = sum(1 for p in want if p.get("teredoTrailers"))
    if trailers and f"; {trailers} Teredo packets with RFC 6081 trailers" not in summary_line:
        report(name, "-", "trailers in the summary line", trailers, summary_line, "")
    if count(got, "verdict") != summary["packetsPerVerdict"]:
        report(name, "-", "packetsPerVerdict", summary["packetsPerVerdict"], count(got, "verdict"), "")
    if count(got, "tunnelType") != summary["packetsPerTunnelType"]:
        report(name, "-", "packetsPerTunnelType", summary["packetsPerTunnelType"], count(got, "tunnelType"), "")
    if count(got, "mirrorType") != summary.get("packetsPerMirror", {}):
        report(name, "-", "packetsPerMirror", summary.get("packetsPerMirror", {}), count(got, "mirrorType"), "")
    return min(len(got), len(want))


def table_names(path, pattern):
    with open(path) as f:
        return re.findall(pattern, f.read())


def check_coverage(gen, truths, report):
    """Every verdict, tunnel type, address class and mirror type of the
    project's tables must occur in some truth packet (the tables sit beside
    the generator)."""
    root = os.path.join(os.path.dirname(os.path.abspath(gen)), "..")
    seen = {"verdict": set(), "tunnelType": set(), "class": set(), "mirror": set()}
    for path in truths:
        with open(path) as f:
            for p in json.load(f)["packets"]:
                seen["verdict"].add(p["verdict"])
                if "tunnelType" in p:
                    seen["tunnelType"].add(p["tunnelType"])
                if "mirrorType" in p:
                    seen["mirror"].add(p["mirrorType"])
                for k in ("sourceAddressClass", "destinationAddressClass"):
                    if k in p:
                        seen["class"].add(p[k])
    tables = (("verdict", "probe/base/verdict.hpp", r"X\((\w+),\s*k(?:Flow|Drop)\b"),
              ("class", "probe/decode/addr_class.hpp", r"X\(\w+,\s*\d+,\s*\"([^\"]+)\"\)"),
              ("mirror", "probe/base/mirror_type.hpp", r"X\(\s*\w+\s*,\s*\d+\s*,\s*\"([^\"]+)\"\s*,"))
    names = {}
    for what, rel, pattern in tables:
        path = os.path.join(root, rel)
        if os.path.exists(path):
            names[what] = table_names(path, pattern)
    # The tunnel table has more columns: scripts/tunnel_types.py reads it.
    sys.path.insert(0, os.path.join(root, "scripts"))
    import tunnel_types
    names["tunnelType"] = [t["name"] for t in tunnel_types.TYPES]
    for what, found in names.items():
        if not found:
            report("coverage", "-", what, "(table read)", "(no rows)", "")
        for name in found:
            # Address class none and mirror type none print no key.
            if name not in seen[what] and not (what in ("class", "mirror") and name == "none"):
                report("coverage", "-", what, name, "(no packet)", "")


def main(argv):
    if len(argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    tunprobe, gen, workdir = argv[1:]
    os.makedirs(workdir, exist_ok=True)
    subprocess.run([sys.executable, gen, "--out", workdir], check=True)
    truths = sorted(glob.glob(os.path.join(workdir, "*.truth.json")))
    if not truths:
        print(f"no *.truth.json in {workdir}", file=sys.stderr)
        return 1
    mismatches = []

    def report(capture, index, key, want, got, case):
        mismatches.append(1)
        note = f"  [{case}]" if case else ""
        print(f"{capture} #{index} {key}: truth {json.dumps(want)}, decoded {json.dumps(got)}{note}")

    checked = 0
    for path in truths:
        checked += check_capture(tunprobe, path, report)
    check_coverage(gen, truths, report)
    print(f"{checked} packets checked, {len(mismatches)} mismatches")
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
