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
    transports = [t["key"] for t in transport_rows]
    colors = {t["key"]: t["colour"] for t in transport_rows}
    days = [r["day"] for r in daily["rows"]]
    fig, ax = plt.subplots(figsize=(max(7, min(14, 1.2 * len(days) + 3)), 3.8))
    if len(days) <= 31:
        grouped_bars(ax, days, {t: [r[t] for r in daily["rows"]] for t in transports}, colors)
        counts_axis(ax, [r[t] for r in daily["rows"] for t in transports])
    else:
        for t in transports:
            ax.plot(range(len(days)), [r[t] for r in daily["rows"]], label=t, color=colors[t])
        step = max(1, len(days) // 12)
        ax.set_xticks(range(0, len(days), step))
        ax.set_xticklabels(days[::step], rotation=30, ha="right")
    ax.set_title("Unique IPv6 addresses per day")
    ax.set_ylabel("unique addresses")
    legend_outside(ax)
    return fig, days, transports


def bar_count(fig):
    return sum(len(c.patches) for ax in fig.axes for c in ax.containers if isinstance(c, BarContainer))


def label_count(fig):
    """Value labels drawn on bars (matplotlib's bar_label annotations)."""
    return sum(1 for ax in fig.axes for t in ax.texts if t.get_text())


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
            ("addresses_per_day", lambda: per_day_chart(tables["daily_addresses"], transport_rows))):
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
