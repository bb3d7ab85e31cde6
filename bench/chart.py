#!/usr/bin/python3
"""The benchmark's chart, from tunprobe-bench --json output.

    bench/chart.py RESULTS.json CHART.svg   (or .png)

Left: Mpps against workers (the pipeline on N threads, and `tunprobe run`
end to end with rss and crc dispatch). Right: Mpps of one worker core
against concurrent flows (the mix sweep, tunnel-heavy, and the single-flow
tunnel tests at one flow), with the 10GbE line rates for comparison.
Needs Debian's python3-matplotlib.
"""

import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

LINE_BPS = 10e9


def line_mpps(frame_bytes):
    return LINE_BPS / ((frame_bytes + 20) * 8) / 1e6


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: chart.py RESULTS.json CHART.svg")
    with open(sys.argv[1]) as f:
        r = json.load(f)
    out = sys.argv[2]
    plt.rcParams["svg.hashsalt"] = "tunprobe-bench"  # stable ids: diffs show data changes only
    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 5.2))
    m = r.get("machine", {})
    fig.suptitle("tunprobe throughput on %s (%s CPUs, %s GiB, TSC %s GHz)"
                 % (m.get("cpu", "?"), m.get("cpus", "?"), m.get("memGiB", "?"), m.get("tscGHz", "?")),
                 fontsize=11)

    # Left: against workers.
    series = {}
    for s in r.get("scaling", []):
        name = "pipeline %s%s, %s flow%s/worker" % (
            s["mix"], " " + s["variant"] if s["variant"] else "", s["flowsPerWorker"],
            "" if s["flowsPerWorker"] == 1 else "s")
        series.setdefault(name, ("-", "o", []))[2].append((s["workers"], s["mpps"]))
    for e in r.get("endToEnd", []):
        if e.get("error"):
            continue
        name = "run --dispatch %s: %s%s" % (e["dispatch"], e["mix"],
                                           " " + e["variant"] if e["variant"] else " %d flows" % e["flows"])
        style = "--" if e["dispatch"] == "rss" else ":"
        series.setdefault(name, (style, "s" if e["dispatch"] == "rss" else "^", []))[2].append(
            (e["workers"], e["mpps"]))
    workers = set()
    for name, (style, marker, pts) in sorted(series.items()):
        pts.sort()
        workers.update(p[0] for p in pts)
        left.plot([p[0] for p in pts], [p[1] for p in pts], linestyle=style, marker=marker, label=name)
    for size, label in ((64, "64 B"), (86, "min. Teredo 86 B")):
        left.axhline(line_mpps(size), color="grey", linewidth=0.8, linestyle="-.")
        left.annotate("10GbE, %s: %.2f Mpps" % (label, line_mpps(size)), (min(workers or {1}), line_mpps(size)),
                      fontsize=7, color="grey", va="bottom")
    left.set_xscale("log", base=2)
    left.set_xticks(sorted(workers or {1}))
    left.set_xticklabels([str(w) for w in sorted(workers or {1})])
    left.set_xlabel("workers")
    left.set_ylabel("Mpps")
    left.set_ylim(bottom=0)
    left.set_title("Mpps against workers (pipeline: CPU time; run: wall time)", fontsize=9)
    left.grid(True, alpha=0.3)
    left.legend(fontsize=7, loc="upper left")

    # Right: against flows, one core.
    mix = sorted((p["flows"], p["mpps"], p["cacheRecords"]) for p in r.get("perCore", []) if p["mix"] == "mix")
    if mix:
        by_flows = {}
        for f, mpps, cache in mix:  # the default-rule cache (the smaller one) per flow count
            if f not in by_flows or cache < by_flows[f][1]:
                by_flows[f] = (mpps, cache)
        xs = sorted(by_flows)
        right.plot(xs, [by_flows[x][0] for x in xs], marker="o", label="mix (CESNET2 shares, ~660 B frames)")
        for f, mpps, cache in mix:
            if cache != by_flows[f][1]:
                right.plot([f], [mpps], marker="x", linestyle="none", color="C0",
                           label="mix, cache 2^%d" % (cache.bit_length() - 1))
    for p in r.get("perCore", []):
        if p["mix"] == "tunnel-heavy":
            right.plot([p["flows"]], [p["mpps"]], marker="D", linestyle="none", label="tunnel-heavy")
        elif p["variant"]:
            right.plot([1], [p["mpps"]], marker="*", linestyle="none",
                       label="%s %s (%.0f B)" % (p["mix"], p["variant"], p["meanFrameBytes"]))
    right.axhline(14.88, color="grey", linewidth=0.8, linestyle="-.")
    right.annotate("10GbE, 64 B frames: 14.88 Mpps", (1, 14.88), fontsize=7, color="grey", va="bottom")
    right.set_xscale("log")
    right.set_xlabel("concurrent flows")
    right.set_ylabel("Mpps, one worker core")
    right.set_ylim(bottom=0)
    right.set_title("one core against flow count (worker pipeline, frames in memory)", fontsize=9)
    right.grid(True, alpha=0.3)
    right.legend(fontsize=7, loc="lower left")

    fig.tight_layout()
    fig.savefig(out, metadata={"Date": None} if out.endswith(".svg") else None)
    print("wrote %s" % out)


if __name__ == "__main__":
    main()
