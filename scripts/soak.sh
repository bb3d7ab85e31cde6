#!/usr/bin/env bash
# Soak run: tunprobe under a constant flood of new flows for MINUTES, with a
# small cache (constant eviction), printing every INTERVAL seconds the
# probe's resident memory, its packet rate and its counters. Ends with a
# verdict: memory must stay flat (growth after the first sample under 5%
# and under 8 MiB) and every packet must be accounted for.
#
#   scripts/soak.sh [MINUTES=10] [INTERVAL=10]     (whole minutes)
#
# Input: net_pcap replaying a generated 10,000-flow random-source flood from
# memory (infinite_rx), 1 worker, --cache-size 4096, JSON output to
# /dev/null. Needs build/tunprobe (scripts/setup.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=${1:-10}
interval=${2:-10}
work=$(mktemp -d /tmp/tunprobe-soak.XXXXXX)
trap 'kill -TERM $pid 2>/dev/null || true; rm -rf "$work"' EXIT
/usr/bin/python3 scripts/gen_traffic.py --out "$work" --flood 10000 2>/dev/null
build/tunprobe run -i "vdev:net_pcap_soak,rx_pcap=$work/flood.pcap,infinite_rx=1" -o json:/dev/null \
  --cache-size 4096 --active-timeout 60 --inactive-timeout 5 --stats-interval "$interval" \
  --stats-json "$work/stats.json" 2>"$work/stderr" &
pid=$!
end=$(( $(date +%s) + ${minutes%.*} * 60 ))
first_rss=0
max_rss=0
printf '%8s %10s %14s %14s %12s %12s\n' seconds rss_kib packets/s packets live_flows evictions
sleep "$interval"
start=$(date +%s)
while [ "$(date +%s)" -lt "$end" ]; do
  rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
  [ "$first_rss" -eq 0 ] && first_rss=$rss
  [ "$rss" -gt "$max_rss" ] && max_rss=$rss
  if [ -f "$work/stats.json" ]; then
    /usr/bin/python3 -c "
import json,sys
s=json.load(open('$work/stats.json'))
print('%8d %10d %14.0f %14d %12d %12d' % ($(date +%s)-$start, $rss, s['packetsPerSecond'], s['packets'], s['liveFlows'], s['cacheEvictions']))"
  fi
  sleep "$interval"
done
kill -TERM $pid
wait $pid || true
pid=
tail -n 12 "$work/stderr" | grep -v '^tunprobe: [0-9.]* s:' || true
growth=$(( max_rss - first_rss ))
/usr/bin/python3 - "$work/stats.json" "$first_rss" "$max_rss" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
first, peak = int(sys.argv[2]), int(sys.argv[3])
ok_mem = peak - first < max(first * 0.05, 1) and peak - first < 8192
print(f"memory: first {first} KiB, peak {peak} KiB, growth {peak - first} KiB: {'flat' if ok_mem else 'GROWING'}")
print(f"packets {s['packets']}, in flows {s['flowPackets']}, dropped {s['droppedPackets']}, flows {s['flows']}, "
      f"evictions {s['cacheEvictions']}")
ok_cons = s["flowPackets"] + s["droppedPackets"] == s["packets"]
print("conservation:", "ok" if ok_cons else "BROKEN")
sys.exit(0 if ok_mem and ok_cons else 1)
PY
