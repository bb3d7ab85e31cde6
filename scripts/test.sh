#!/usr/bin/env bash
# Runs the whole test suite and prints the totals as its last line:
# "N passed, N failed".
#
#   1. ./build (release, warnings are errors): every suite (unit, flow, hw,
#      rtl, golden, e2e, reliability, report, ipfix, bench smoke, fuzz);
#   2. ./build-asan (AddressSanitizer + UndefinedBehaviorSanitizer): the same
#      suites but the fuzzer (which has its own sanitizers), the bench
#      smoke test and the RTL simulations. Skip it with TUNPROBE_SANITIZE=0.
#
#   scripts/test.sh [meson test options, e.g. --suite unit]
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH=/usr/bin:/bin:/usr/sbin:/sbin:$PATH
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
rc=0
logs=()
build_failures=0

run_suite() {  # DIR "meson setup args" [meson test args...]
  local dir=$1 setup=$2
  shift 2
  if [ ! -f "$dir/build.ninja" ]; then
    # shellcheck disable=SC2086
    meson setup "$dir" $setup || { rc=1; build_failures=$((build_failures + 1)); return; }
  fi
  ninja -C "$dir" || { rc=1; build_failures=$((build_failures + 1)); echo "build of $dir failed"; return; }
  meson test -C "$dir" --print-errorlogs --num-processes 2 "$@" || rc=1
  logs+=("$dir/meson-logs/testlog.json")
}

run_suite build "--buildtype=release" "$@"
if [ "${TUNPROBE_SANITIZE:-1}" != 0 ] && [ $# -eq 0 ]; then
  # GCC's -Wmaybe-uninitialized misfires under the sanitizers: warnings are
  # errors in the release build above, not here. The rtl suite simulates
  # Verilog with Verilator's and Icarus' own builds, which the sanitizer
  # flags do not reach: it runs once, above (a sanitizer build defines no
  # rtl tests and builds none of their models; --no-suite rtl says so).
  run_suite build-asan "--buildtype=debugoptimized -Db_sanitize=address,undefined -Db_lundef=false -Dwerror=false" \
    --no-suite fuzz --no-suite bench --no-suite rtl
fi

BUILD_FAILURES=$build_failures /usr/bin/python3 - "${logs[@]}" <<'PY'
import json, os, sys
passed = skipped = 0
failed = int(os.environ["BUILD_FAILURES"])  # a build that failed counts as a failed test
for path in sys.argv[1:]:
    try:
        lines = open(path).read().splitlines()
    except OSError:
        failed += 1
        continue
    for line in lines:
        r = json.loads(line)["result"]
        if r in ("OK", "EXPECTEDFAIL"):
            passed += 1
        elif r == "SKIP":
            skipped += 1
        else:
            failed += 1
print(f"{passed} passed, {failed} failed" + (f", {skipped} skipped" if skipped else ""))
PY
exit $rc
