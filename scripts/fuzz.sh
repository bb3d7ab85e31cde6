#!/usr/bin/env bash
# Builds the decoder's libFuzzer target with clang (ASan + UBSan) and runs it
# for a bounded time on a seed corpus from the traffic generator.
#
#   scripts/fuzz.sh [SECONDS] [WORKDIR]      (defaults: 60, build/fuzz)
#
# Exit status: 0 when the run ended clean, non-zero on a crash (the input
# that crashed is left in WORKDIR as crash-*).
set -euo pipefail
export PATH=/usr/bin:/bin:$PATH
seconds=${1:-60}
work=${2:-build/fuzz}
root=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$work/corpus" "$work/seeds"
work=$(cd "$work" && pwd)

# Only the decoder's sources: no DPDK, no libpcap, no fmt.
sources=(probe/parse.cpp probe/addr_class.cpp plugins/teredo.cpp plugins/sixtofour.cpp plugins/isatap.cpp
         plugins/sixrd.cpp plugins/sixinfour.cpp plugins/registry.cpp tests/fuzz/fuzz_decode.cpp)
bin="$work/fuzz_decode"
newest=$(cd "$root" && ls -t "${sources[@]}" probe/*.hpp plugins/*.hpp | head -1)
if [ ! -x "$bin" ] || [ "$root/$newest" -nt "$bin" ]; then
  (cd "$root" && clang++ -std=c++20 -O1 -g -I. -fsanitize=fuzzer,address,undefined \
     -fno-sanitize-recover=undefined -o "$bin" "${sources[@]}")
fi

if [ -z "$(ls -A "$work/seeds")" ]; then
  /usr/bin/python3 "$root/scripts/gen_traffic.py" --out "$work/gen" --corpus "$work/seeds" >/dev/null
fi

cd "$work"
"$bin" -max_total_time="$seconds" -print_final_stats=1 -timeout=5 -rss_limit_mb=1024 \
  corpus seeds 2> fuzz.log || { tail -40 fuzz.log; exit 1; }
execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' fuzz.log | grep -o '[0-9]*$' || echo '?')
cov=$(grep -o 'cov: [0-9]*' fuzz.log | tail -1 || true)
echo "fuzz_decode: ${seconds}s clean, ${execs} executions, ${cov}, corpus $(ls corpus | wc -l) inputs"
