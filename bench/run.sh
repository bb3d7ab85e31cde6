#!/usr/bin/env bash
# The whole benchmark, as the README's performance section shows it: the
# tables of tunprobe-bench, the chart, and the peers side by side. A few
# minutes on a 2-core machine.
#
#   bench/run.sh [BUILD_DIR] [OUT_DIR]
#
# BUILD_DIR: a release build (default ./build; built here if needed).
# OUT_DIR: where the results go (default bench/results): bench.txt and
# bench.json (tunprobe-bench), bench.svg (the chart), peers.txt and
# peers.json (bench/peers.sh on whole frames; skipped tools are named
# there), peers-snap128.txt and .json (the same capture cut at 128 bytes).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
out=${2:-bench/results}
export PATH=/usr/bin:/bin:/usr/sbin:/sbin:$PATH
if [ ! -f "$build/build.ninja" ]; then
  meson setup "$build" --buildtype=release
fi
ninja -C "$build" tunprobe bench/tunprobe-bench >/dev/null
mkdir -p "$out"
load=$(cut -d' ' -f1 /proc/loadavg)
if awk "BEGIN { exit !($load > 0.5) }"; then
  echo "run.sh: load average $load: other work on this machine will lower the end-to-end (wall-clock) figures" >&2
fi
"$build/bench/tunprobe-bench" --json "$out/bench.json" | tee "$out/bench.txt"
if /usr/bin/python3 -c 'import matplotlib' 2>/dev/null; then
  /usr/bin/python3 bench/chart.py "$out/bench.json" "$out/bench.svg"
else
  echo "run.sh: no chart: python3-matplotlib is not installed (apt-get install python3-matplotlib)" >&2
fi
bench/peers.sh "$build" --json "$out/peers.json" | tee "$out/peers.txt"
bench/peers.sh "$build" --snap 128 --json "$out/peers-snap128.json" | tee "$out/peers-snap128.txt"
