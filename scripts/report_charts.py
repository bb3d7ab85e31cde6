#!/usr/bin/python3
"""Charts of `tunprobe report`, drawn with matplotlib (Debian's python3-matplotlib).

    report_charts.py DIR

Reads DIR/report.json (written by `tunprobe report --out DIR`, which runs
this script itself) and writes, in DIR/charts/, each chart as NAME.png and
NAME.svg:

  tunnels             Table 5: flows, packets and bytes per tunnel type (shares)
  traffic             Table 4: IPv4, native IPv6, tunneled IPv6 (shares)
  address_classes     Tables 2 and 3: 6to4 and global address classes, native and tunneled
  addresses_per_day   unique IPv6 addresses per UTC day and transport (bars; lines beyond 31 days)
  services            Table 6: flows per service, one panel per traffic kind
  teredo_servers      the top Teredo servers by flows
  relays              the top relays (Teredo, 6to4, ISATAP, 6rd) by flows

and charts.json, what was drawn: per chart its title, the number of bars
and of value labels (counted from the figure's artists), the categories and
the series. The share charts label each bar with its share and absolute
count, the class charts with the count; a bar of 0 keeps its label (a
visible zero rather than a gap). Runs
headless (Agg backend); SVG text stays text. Exit 1 when report.json is
missing or not a tunprobe report.
"""

import json
import os
import sys
import textwrap

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.container import BarContainer  # noqa: E402
from matplotlib.text import Annotation  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

matplotlib.rcParams.update({"svg.fonttype": "none", "font.size": 9, "figure.dpi": 100,
                            "svg.hashsalt": "tunprobe"})

MEASURE_COLORS = {"flows": "#4c72b0", "packets": "#dd8452", "bytes": "#55a868"}
SCOPE_COLORS = {"native": "#4c72b0", "tunneled": "#dd8452"}


def rows_without_total(table, key):
    return [r for r in table["rows"] if r[key] != "total"]


def grouped_bars(ax, categories, series, colors, labels=None):
    """Bars for each category, one per series (name -> values). `labels`
    (name -> texts): a value label on each bar, also on a bar of 0, so
    that a tunnel type without traffic shows a visible zero, not a gap."""
    n = len(series)
    width = 0.8 / max(n, 1)
    for i, (name, values) in enumerate(series.items()):
        xs = [c + (i - (n - 1) / 2) * width for c in range(len(categories))]
        bars = ax.bar(xs, values, width, label=name, color=colors.get(name))
        if labels is not None:
            ax.bar_label(bars, labels=labels[name], fontsize=6, rotation=90, padding=2)
    ax.set_xticks(range(len(categories)))
    ax.set_xticklabels([textwrap.fill(c, 14) for c in categories])


def legend_outside(ax, **kw):
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False, **kw)


def counts_axis(ax, values):
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylim(0, max(list(values) + [1]) * 1.1)


def share_chart(table, key, title):
    rows = rows_without_total(table, key)
    cats = [r["label"] for r in rows]
    series = {m: [100.0 * r[m[:-1] + "Share" if m != "bytes" else "byteShare"] for r in rows]
              for m in ("flows", "packets", "bytes")}
    # Each bar says its share and its absolute count.
    labels = {m: [f"{s:.1f} % ({r[m]:,})" for s, r in zip(series[m], rows)] for m in series}
    fig, ax = plt.subplots(figsize=(max(7, 0.9 * len(cats) + 2), 4.2))
    grouped_bars(ax, cats, series, MEASURE_COLORS, labels)
    ax.set_title(title)
    ax.set_ylabel("share (%)")
    ax.set_ylim(0, 135)  # room for the labels above a 100 % bar
    ax.set_yticks(range(0, 101, 20))
    legend_outside(ax)
    return fig, cats, list(series)


def class_chart(t2, t3):
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
    cats = []
    for ax, table, sub in ((axes[0], t2, "6to4 addresses (Table 2)"), (axes[1], t3, "Global addresses (Table 3)")):
        rows = rows_without_total(table, "class")
        series = {"native": [r["native"] for r in rows], "tunneled": [r["tunneled"] for r in rows]}
        grouped_bars(ax, [r["label"] for r in rows], series, SCOPE_COLORS,
                     {k: [f"{v:,}" for v in vals] for k, vals in series.items()})
        counts_axis(ax, series["native"] + series["tunneled"])
        ax.set_ylim(0, ax.get_ylim()[1] * 1.25)
        ax.set_title(sub)
        ax.set_ylabel("unique addresses")
        cats += [r["label"] for r in rows]
    legend_outside(axes[1])
    fig.suptitle("Address classes")
    return fig, cats, ["native", "tunneled"]


def per_day_chart(daily, transport_rows):
    # The series and their colours come with the report (its "transports":
    # tunprobe's tunnel table), so that this script names no tunnel.
    # Keyed by the daily rows' keys, shown with the tables' labels.
    transports = [t["key"] for t in transport_rows]
    label = {t["key"]: t["label"] for t in transport_rows}
    colors = {t["label"]: t["colour"] for t in transport_rows}
    days = [r["day"] for r in daily["rows"]]
    fig, ax = plt.subplots(figsize=(max(7, min(14, 1.2 * len(days) + 3)), 3.8))
    if len(days) <= 31:
        grouped_bars(ax, days, {label[t]: [r[t] for r in daily["rows"]] for t in transports}, colors)
        counts_axis(ax, [r[t] for r in daily["rows"] for t in transports])
    else:
        for t in transports:
            ax.plot(range(len(days)), [r[t] for r in daily["rows"]], label=label[t], color=colors[label[t]])
        step = max(1, len(days) // 12)
        ax.set_xticks(range(0, len(days), step))
        ax.set_xticklabels(days[::step], rotation=30, ha="right")
    ax.set_title("Unique IPv6 addresses per day")
    ax.set_ylabel("unique addresses")
    legend_outside(ax)
    return fig, days, transports


def top_chart(rows, name_of, title, empty):
    """Horizontal bars, one per row of a top-N table, largest on top, each
    labelled with its flows and share."""
    fig, ax = plt.subplots(figsize=(7, max(2.2, 0.35 * len(rows) + 1.2)))
    names = [name_of(r) for r in rows][::-1]
    flows = [r["flows"] for r in rows][::-1]
    shares = [100.0 * r["flowShare"] for r in rows][::-1]
    if rows:
        bars = ax.barh(range(len(rows)), flows, color=MEASURE_COLORS["flows"])
        ax.bar_label(bars, labels=[f"{f:,} ({s:.1f} %)" for f, s in zip(flows, shares)], fontsize=7, padding=2)
        ax.set_yticks(range(len(rows)))
        ax.set_yticklabels(names)
        ax.set_xlim(0, max(flows) * 1.3)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    else:
        ax.text(0.5, 0.5, empty, ha="center", va="center", transform=ax.transAxes)
        ax.set_xticks([])
        ax.set_yticks([])
    ax.set_xlabel("flows")
    ax.set_title(title)
    return fig, names[::-1], ["flows"]


def services_chart(table):
    """Table 6 per traffic kind: flows per service (totals left out)."""
    kinds = []
    for r in table["rows"]:
        if r["traffic"] not in kinds:
            kinds.append(r["traffic"])
    fig, axes = plt.subplots(1, len(kinds), figsize=(4.2 * len(kinds), 4.2), squeeze=False)
    cats = []
    for ax, k in zip(axes[0], kinds):
        rows = [r for r in table["rows"] if r["traffic"] == k and r["service"] != "total"][::-1]
        bars = ax.barh(range(len(rows)), [r["flows"] for r in rows], color=MEASURE_COLORS["flows"])
        ax.bar_label(bars, labels=[f"{r['flows']:,} ({100.0 * r['flowShare']:.1f} %)" for r in rows], fontsize=6,
                     padding=2)
        ax.set_yticks(range(len(rows)))
        ax.set_yticklabels([textwrap.shorten(r["label"], 26) for r in rows], fontsize=7)
        ax.set_xlim(0, max([r["flows"] for r in rows] + [1]) * 1.45)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_title(rows[0]["trafficLabel"] if rows else k)
        ax.set_xlabel("flows")
        cats += [r["label"] for r in rows[::-1]]
    fig.suptitle("Services")
    return fig, cats, ["flows"]


def bar_count(fig):
    return sum(len(c.patches) for ax in fig.axes for c in ax.containers if isinstance(c, BarContainer))


def label_count(fig):
    """Value labels drawn on bars (matplotlib's bar_label annotations)."""
    return sum(1 for ax in fig.axes for t in ax.texts if isinstance(t, Annotation) and t.get_text())


def main():
    if len(sys.argv) != 2 or sys.argv[1] in ("-h", "--help"):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    out = sys.argv[1]
    path = os.path.join(out, "report.json")
    try:
        with open(path) as f:
            report = json.load(f)
        tables = report["tables"]
        transport_rows = report["transports"]
    except (OSError, ValueError, KeyError) as e:
        print(f"report_charts.py: {path}: {e}", file=sys.stderr)
        return 1
    charts_dir = os.path.join(out, "charts")
    os.makedirs(charts_dir, exist_ok=True)
    made = []
    for stem, draw in (
            ("tunnels", lambda: share_chart(tables["table5_tunnels"], "tunnel", "Tunnel distribution")),
            ("traffic", lambda: share_chart(tables["table4_traffic"], "traffic", "Traffic distribution")),
            ("address_classes", lambda: class_chart(tables["table2_6to4"], tables["table3_global"])),
            ("addresses_per_day", lambda: per_day_chart(tables["daily_addresses"], transport_rows)),
            ("services", lambda: services_chart(tables["table6_protocols"])),
            ("teredo_servers", lambda: top_chart(tables["teredo_servers"]["rows"], lambda r: r["server"],
                                                 "Top Teredo servers", "no Teredo server seen")),
            ("relays", lambda: top_chart(tables["relays"]["rows"], lambda r: f"{r['tunnelLabel']} {r['relay']}",
                                         "Top relays", "no relay seen"))):
        fig, cats, series = draw()
        title = fig._suptitle.get_text() if fig._suptitle else fig.axes[0].get_title()
        fig.tight_layout()
        for ext in ("png", "svg"):
            fig.savefig(os.path.join(charts_dir, f"{stem}.{ext}"), format=ext, metadata={"Date": None} if ext == "svg" else None)
        made.append({"stem": stem, "title": title, "png": f"{stem}.png", "svg": f"{stem}.svg",
                     "bars": bar_count(fig), "labels": label_count(fig), "categories": cats, "series": series})
        plt.close(fig)
    with open(os.path.join(charts_dir, "charts.json"), "w") as f:
        json.dump({"charts": made}, f, indent=1)
        f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
