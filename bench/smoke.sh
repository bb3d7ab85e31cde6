#!/usr/bin/env bash
# The benchmark's smoke test (meson suite 'bench'): tunprobe-bench runs with
# tiny counts, exits 0 and prints each of its tables. Not a timing test.
#
#   bench/smoke.sh TUNPROBE_BENCH TUNPROBE WORKDIR
set -uo pipefail
bench=$1 tunprobe=$2 workdir=$3
mkdir -p "$workdir"
out=$("$bench" --quick --tunprobe "$tunprobe" --workdir "$workdir" --mixes teredo-1flow,mix --flows 1000 \
      --threads 1,2 --e2e-mixes teredo-1flow --workers 1,2 --json "$workdir/bench.json" 2>&1)
rc=$?
echo "$out"
[ $rc -eq 0 ] || { echo "smoke: tunprobe-bench exited $rc"; exit 1; }
for want in '^1\. Per-core cost' '^teredo-1flow min ' '^mix 1K flows ' '^2\. Scaling' '^3\. End to end' \
            '^teredo-1flow min +rss +1 ' '^teredo-1flow min +crc +2 ' '^4\. 10GbE line rate' '^pipeline: mix 1K flows'; do
  echo "$out" | grep -Eq -- "$want" || { echo "smoke: no line matching '$want'"; exit 1; }
done
if echo "$out" | grep -q 'error:'; then echo "smoke: an end-to-end run failed"; exit 1; fi
/usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["perCore"] and d["endToEnd"] and d["lineRate"]' \
  "$workdir/bench.json" || { echo "smoke: bad --json output"; exit 1; }
echo "smoke: ok"
