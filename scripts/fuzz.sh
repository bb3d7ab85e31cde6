#!/usr/bin/env bash
# Builds tunprobe's libFuzzer targets with clang (ASan + UBSan) and runs each
# for a bounded time on a seed corpus from the traffic generator.
#
#   scripts/fuzz.sh [SECONDS=60] [WORKDIR=build/fuzz] [TARGET...]
#
# Targets (tests/fuzz/fuzz_TARGET.cpp):
#   decode    the parser and tunnel plug-ins, every link type
#   pipeline  the whole worker path: parse, plug-ins, classification, flow
#             cache (16 records: eviction, timeouts), fragments, JSON export;
#             checks conservation on every input
#   report    the report's IPFIX and JSON-lines readers (seeds: IPFIX and
#             JSON written by tunprobe run on the generated mix)
# Default: all of them, SECONDS each. Exit status: non-zero on a crash (the
# input is left in WORKDIR/TARGET/crash-*). Prints one line per target with
# its executions.
set -euo pipefail
export PATH=/usr/bin:/bin:$PATH
seconds=${1:-60}
work=${2:-build/fuzz}
shift $(( $# > 2 ? 2 : $# ))
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(decode pipeline report)
root=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$work/seeds"
work=$(cd "$work" && pwd)

# Every plug-in, by the folder: a new one is fuzzed without an edit here.
parser=(probe/decode/addr_class.cpp)
parser+=($(cd "$root" && ls plugins/*.cpp))
flow=(probe/flow/flow_cache.cpp probe/flow/pipeline.cpp probe/records/flow_json.cpp probe/decode/packet_json.cpp)
dpdk_cflags=$(pkg-config --cflags libdpdk | sed 's/-I/-isystem /g')
dpdk_libs=$(pkg-config --libs libdpdk)

build() {  # TARGET
  local t=$1 bin="$work/$1/fuzz_$1" srcs extra_c="" extra_l=""
  case $t in
    decode) srcs=("${parser[@]}") ;;
    pipeline) srcs=("${parser[@]}" "${flow[@]}"); extra_c=$dpdk_cflags; extra_l="$dpdk_libs -lfmt" ;;
    report)
      srcs=("${parser[@]}" "${flow[@]}" probe/records/ipfix_elements.cpp probe/report/source.cpp probe/report/json_source.cpp
            probe/report/ipfix_source.cpp)
      extra_c="$dpdk_cflags $(pkg-config --cflags libfixbuf)"
      extra_l="$dpdk_libs $(pkg-config --libs libfixbuf) -lfmt" ;;
    *) echo "fuzz.sh: unknown target '$t' (decode, pipeline, report)" >&2; exit 2 ;;
  esac
  mkdir -p "$work/$t/corpus"
  local newest
  newest=$(cd "$root" && ls -t "${srcs[@]}" "tests/fuzz/fuzz_$t.cpp" probe/*/*.hpp plugins/*.hpp | head -1)
  if [ ! -x "$bin" ] || [ "$root/$newest" -nt "$bin" ]; then
    # shellcheck disable=SC2086
    (cd "$root" && clang++ -std=c++20 -O1 -g -I. $extra_c -fsanitize=fuzzer,address,undefined \
       -fno-sanitize-recover=undefined -o "$bin" "${srcs[@]}" "tests/fuzz/fuzz_$t.cpp" $extra_l)
  fi
}

if [ -z "$(ls -A "$work/seeds")" ]; then
  /usr/bin/python3 "$root/scripts/gen_traffic.py" --out "$work/gen" --corpus "$work/seeds" >/dev/null 2>&1
fi
# The report reader's seeds: tunprobe's own IPFIX and JSON for the mix.
if [[ " ${targets[*]} " == *" report "* ]] && [ ! -d "$work/report-seeds" ] && [ -x "$root/build/tunprobe" ]; then
  mkdir -p "$work/report-seeds"
  "$root/build/tunprobe" run -i "pcap:$work/gen/mix.pcap" -o "ipfix:$work/mix.ipfix" \
    -o "json:$work/mix.json" >/dev/null 2>&1 || true
  # Small seeds keep executions fast: the templates and a few records.
  head -c 3000 "$work/mix.ipfix" > "$work/report-seeds/head.ipfix" 2>/dev/null || true
  head -n 5 "$work/mix.json" > "$work/report-seeds/head.json" 2>/dev/null || true
fi

status=0
for t in "${targets[@]}"; do
  build "$t"
  cd "$work/$t"
  # The pipeline target reads [length][time step][bytes] frames; raw frames
  # from the generator still make useful seeds (they are cut differently).
  seeds="$work/seeds"
  [ "$t" = report ] && seeds="$work/report-seeds"
  mkdir -p "$seeds"
  if ASAN_OPTIONS=detect_leaks=1 "./fuzz_$t" -max_total_time="$seconds" -print_final_stats=1 -timeout=10 \
       -rss_limit_mb=2048 corpus "$seeds" 2> fuzz.log; then
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' fuzz.log | grep -o '[0-9]*$' || echo '?')
    cov=$(grep -o 'cov: [0-9]*' fuzz.log | tail -1 || true)
    echo "fuzz_$t: ${seconds}s clean, ${execs} executions, ${cov}, corpus $(ls corpus | wc -l) inputs"
  else
    tail -40 fuzz.log
    echo "fuzz_$t: FAILED (see $work/$t/fuzz.log and crash-* there)"
    status=1
  fi
  cd "$root"
done
exit $status
