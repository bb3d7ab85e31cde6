#!/usr/bin/env bash
# tunprobe beside its peers: softflowd, pmacctd and nfpcapd (Debian
# packages softflowd, pmacct, nfdump) read the same generated capture, in
# /dev/shm, on this machine, one after the other in this run. Prints each
# one's packets/s, tunprobe's ratio to it, and whether it reported the inner
# IPv6 flows of the tunnels (its output checked with nfdump, or pmacct's own
# CSV).
#
#   bench/peers.sh [BUILD_DIR] [--packets N] [--flows N] [--snap BYTES] [--json FILE]
#
# BUILD_DIR (default ./build) holds tunprobe and bench/tunprobe-bench. The
# capture is tunprobe-bench's `mix` (the CESNET2 shares: 1.5 % of flows
# tunneled, Teredo 88 %, 6to4 12 %): 2M packets of 10K flows by default,
# whole frames (--snap 128 cuts them as a 128-byte capture would). Installs
# nothing: a missing tool is named and skipped.
#
# How each one runs (all read the file through libpcap):
#   tunprobe   run -i pcap:FILE -o json:OUT         (net_pcap, 1 worker)
#   softflowd  -r FILE -v 9 -6 -n 127.0.0.1:PORT    (NetFlow v9 to nfcapd)
#   pmacctd    pcap_savefile, print plugin, CSV     (5-tuple aggregate; its
#              pipe enlarged to 1 GB; pmacctd sleeps 2 s before a savefile)
#   nfpcapd    -r FILE -w DIR                       (nfdump files)
# Times are wall-clock seconds of the whole command (start-up included),
# CPU seconds are user + system. The last line of the table, "libpcap read",
# is the floor: a bare pcap_next_ex loop over the same file.
set -uo pipefail
cd "$(dirname "$0")/.."

build=build
packets=2000000
flows=10000
snap=0
json=""
while [ $# -gt 0 ]; do
  case "$1" in
    --packets) packets=$2; shift 2 ;;
    --flows) flows=$2; shift 2 ;;
    --snap) snap=$2; shift 2 ;;
    --json) json=$2; shift 2 ;;
    -h|--help) sed -n '2,28p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "peers.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    *) build=$1; shift ;;
  esac
done
bench=$build/bench/tunprobe-bench
tunprobe=$build/tunprobe
for f in "$bench" "$tunprobe"; do
  [ -x "$f" ] || { echo "peers.sh: $f not found; build first (ninja -C $build)" >&2; exit 2; }
done

dir=/dev/shm/tunprobe-peers
rm -rf "$dir"
mkdir -p "$dir"
pcap=$dir/peers.pcap
limit=300  # seconds: a tool that runs longer is stopped
export LC_ALL=C

missing=()
have() { command -v "$1" >/dev/null 2>&1 || { missing+=("$1 (apt-get install $2)"); return 1; }; }
have_softflowd=0; have softflowd softflowd && have nfcapd nfdump && have_softflowd=1
have_pmacctd=0; have pmacctd pmacct && have_pmacctd=1
have_nfpcapd=0; have nfpcapd nfdump && have_nfpcapd=1
have nfdump nfdump >/dev/null || true

# The capture and its ground truth (the generator's line: "... (N tunneled: ...").
gen=$("$bench" --write-pcap "$pcap" --pcap-flows "$flows" --pcap-packets "$packets" --pcap-snap "$snap") || exit 1
echo "$gen"
tunneled=$(echo "$gen" | sed -n 's/.*(\([0-9]*\) tunneled.*/\1/p')
size=$(du -m "$pcap" | cut -f1)

now() { date +%s.%N; }
calc() { awk "BEGIN { printf \"%.6f\", $1 }"; }
children_ticks() { awk '{print $16 + $17}' /proc/$$/stat; }  # waited-for children: utime + stime
# Runs a command, timing it: sets wall (seconds) and cpu (user + system
# seconds of the command and its children).
timed() {
  local t0 t1 k0 k1 rc
  k0=$(children_ticks)
  t0=$(now)
  "$@"
  rc=$?
  t1=$(now)
  k1=$(children_ticks)
  wall=$(calc "$t1 - $t0")
  cpu=$(calc "($k1 - $k0) / $(getconf CLK_TCK)")
  return $rc
}

rows=()
add_row() {  # name version wall cpu flows inner
  rows+=("$1|$2|$3|$4|$5|$6")
}
version() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null || echo "?"; }
# Inner flows in nfdump files: 5-tuple aggregates with an end in Teredo
# (2001::/32), 6to4 (2002::/16) or the generator's ISATAP prefix.
inner_nfdump() {
  nfdump -R "$1" -q -A srcip,dstip,proto,srcport,dstport -o "fmt:%sa %da" \
    'net 2001::/32 or net 2002::/16 or net 2001:718:ff::/48' 2>/dev/null | grep -c ':'
}
flows_nfdump() {
  nfdump -R "$1" -q -A srcip,dstip,proto,srcport,dstport -o "fmt:%sa %da" 2>/dev/null | grep -cE '[0-9]'
}

# ------------------------------------------------------------------ tunprobe
timed timeout -s INT "$limit" "$tunprobe" run -i "pcap:$pcap" -o "json:$dir/tunprobe.json" --stats-json "$dir/tunprobe.stats.json" \
  2>"$dir/tunprobe.log"
tp_wall=$wall
tp_proc=$(sed -n 's/.*"seconds":\([0-9.]*\).*/\1/p' "$dir/tunprobe.stats.json")
tp_flows=$(wc -l <"$dir/tunprobe.json")
tp_inner=$(grep -cE '"tunnelType":"(teredo|6to4|isatap)"' "$dir/tunprobe.json")
add_row "tunprobe" "$("$tunprobe" --version | cut -d' ' -f2)" "$wall" "$cpu" "$tp_flows" "$tp_inner"
add_row "tunprobe (processing)" "" "$tp_proc" "" "$tp_flows" "$tp_inner"

# ------------------------------------------------------------------ softflowd
if [ $have_softflowd = 1 ]; then
  mkdir -p "$dir/softflowd"
  nfcapd -w "$dir/softflowd" -p 29995 -b 127.0.0.1 -B 8000000 >"$dir/nfcapd.log" 2>&1 &
  nfcapd_pid=$!
  sleep 0.5
  # -c none: with a control socket, softflowd 1.1.0 reading a file now and
  # then blocks in accept() on it at the end instead of exiting.
  timed sh -c "cd '$dir' && exec timeout $limit softflowd -r '$pcap' -n 127.0.0.1:29995 -v 9 -6 \
    -m $((flows * 2 + 1024)) -d -p softflowd.pid -c none" >"$dir/softflowd.log" 2>&1
  sf_wall=$wall sf_cpu=$cpu
  sleep 1
  kill "$nfcapd_pid"; wait "$nfcapd_pid" 2>/dev/null
  add_row "softflowd" "$(version softflowd)" "$sf_wall" "$sf_cpu" "$(flows_nfdump "$dir/softflowd")" \
    "$(inner_nfdump "$dir/softflowd")"
fi

# ------------------------------------------------------------------ pmacctd
if [ $have_pmacctd = 1 ]; then
  cat >"$dir/pmacctd.conf" <<EOF
daemonize: false
pcap_savefile: $pcap
aggregate: src_host, dst_host, src_port, dst_port, proto
plugins: print
print_output: csv
print_output_file: $dir/pmacctd.csv
print_refresh_time: 3600
print_cache_entries: $((flows * 4 + 1))
plugin_pipe_size: 1024000000
plugin_buffer_size: 10240000
EOF
  timed timeout "$limit" pmacctd -f "$dir/pmacctd.conf" >"$dir/pmacctd.log" 2>&1
  pm_flows=$(($(wc -l <"$dir/pmacctd.csv") - 1))
  pm_inner=$(grep -cE '^(2001:0:|2002:|2001:718:ff:)|,(2001:0:|2002:|2001:718:ff:)' "$dir/pmacctd.csv")
  add_row "pmacctd" "$(version pmacct)" "$wall" "$cpu" "$pm_flows" "$pm_inner"
fi

# ------------------------------------------------------------------ nfpcapd
if [ $have_nfpcapd = 1 ]; then
  mkdir -p "$dir/nfpcapd"
  timed timeout "$limit" nfpcapd -r "$pcap" -w "$dir/nfpcapd" >"$dir/nfpcapd.log" 2>&1
  add_row "nfpcapd" "$(version nfdump)" "$wall" "$cpu" "$(flows_nfdump "$dir/nfpcapd")" "$(inner_nfdump "$dir/nfpcapd")"
fi

# ------------------------------------------------------------------ the floor
floor=$("$bench" --read-pcap "$pcap")
floor_s=$(echo "$floor" | sed -n 's/.* in \([0-9.]*\) s.*/\1/p')
add_row "libpcap read (floor)" "$(dpkg-query -W -f='${Version}' libpcap0.8 2>/dev/null)" "$floor_s" "" "" ""

# ------------------------------------------------------------------ table
echo
echo "Peers on $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1), $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "capture: $pcap, $packets packets, $flows flows ($tunneled tunneled), ${size} MB, snaplen $([ "$snap" = 0 ] && echo whole || echo "$snap")"
printf '%-22s %-16s %7s %6s %10s %8s %8s %9s %6s %s\n' "tool" "version" "wall s" "CPU s" "packets/s" "tp x" "tp x" \
  "ns/pkt" "flows" "inner IPv6 flows"
printf '%-22s %-16s %7s %6s %10s %8s %8s %9s %6s %s\n' "" "" "" "" "" "(wall)" "(proc.)" "> floor" "" "(of $tunneled)"
printf '%s\n' "$(printf '%.0s-' $(seq 1 118))"
tp_pps=$(calc "$packets / $tp_wall")
tp_proc_pps=$(calc "$packets / $tp_proc")
json_rows=()
for r in "${rows[@]}"; do
  IFS='|' read -r name ver w c fl inner <<<"$r"
  pps=$(calc "$packets / $w")
  ratio=$(calc "$tp_pps / $pps")
  ratio_proc=$(calc "$tp_proc_pps / $pps")
  above=$(calc "($w - $floor_s) / $packets * 1e9")
  verdict=""
  if [ -n "$inner" ]; then
    if [ "$inner" -ge "$tunneled" ]; then verdict="yes ($inner)"; elif [ "$inner" -gt 0 ]; then verdict="partly ($inner)"; else verdict="no (0)"; fi
  fi
  case "$name" in
    tunprobe*|libpcap*) r1="" r2="" ;;
    *) r1=$(printf '%.2f' "$ratio") r2=$(printf '%.2f' "$ratio_proc") ;;
  esac
  case "$name" in libpcap*) ab="" ;; *) ab=$(printf '%.0f' "$above") ;; esac
  printf '%-22s %-16s %7.3f %6s %10.0f %8s %8s %9s %6s %s\n' "$name" "${ver:0:16}" "$w" \
    "$( [ -n "$c" ] && printf '%.2f' "$c")" "$pps" "$r1" "$r2" "$ab" "$fl" "$verdict"
  json_rows+=("{\"tool\":\"$name\",\"version\":\"$ver\",\"wallSeconds\":$w,\"cpuSeconds\":${c:-null},\"packetsPerSecond\":$(printf '%.0f' "$pps"),\"tunprobeRatioWall\":$(printf '%.3f' "$ratio"),\"tunprobeRatioProcessing\":$(printf '%.3f' "$ratio_proc"),\"nsPerPacketAboveFloor\":$(printf '%.1f' "$above"),\"flows\":${fl:-null},\"innerIpv6Flows\":${inner:-null}}")
done
echo "tp x (wall): tunprobe's packets/s by wall time, start-up included (DPDK EAL, counting the file's packets) / the"
echo "tool's; tp x (proc.): the same with tunprobe's processing time (its --stats-json seconds); ns/pkt > floor: time per"
echo "packet above the libpcap read floor (the tool's own work). Inner IPv6 flows: 5-tuple flows with an end in"
echo "2001::/32 (Teredo), 2002::/16 (6to4) or the ISATAP prefix, i.e. the IPv6 flows inside the tunnels"
for m in "${missing[@]}"; do echo "skipped: $m not installed"; done
if [ -n "$json" ]; then
  {
    echo "{\"machine\":{\"cpu\":\"$(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)\",\"cpus\":$(nproc),\"loadAverage\":\"$(cut -d' ' -f1-3 /proc/loadavg)\"},"
    echo "\"capture\":{\"packets\":$packets,\"flows\":$flows,\"tunneledFlows\":$tunneled,\"megabytes\":$size,\"snaplen\":$snap},"
    echo "\"tools\":[$(IFS=,; echo "${json_rows[*]}")]}"
  } >"$json"
  echo "wrote $json"
fi
