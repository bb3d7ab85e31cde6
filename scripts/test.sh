#!/usr/bin/env bash
# Runs the whole test suite and prints the totals as its last line:
# "N passed, N failed".
#
#   1. ./build (release, warnings are errors): every suite (unit, flow, hw,
#      rtl, golden, e2e, reliability, report, ipfix, bench smoke, fuzz);
#   2. ./build-asan (AddressSanitizer + UndefinedBehaviorSanitizer, -O1):
#      the same suites but the fuzzer (which has its own sanitizers), the
#      bench smoke test, the service test (it installs the whole build),
#      the browser test (HTML, not C++), the manual pages (not built there), the ClickHouse
#      tests (real servers, 45 s; their C++ is unit-clickhouse, which runs), the RTL simulations (Verilator's and Icarus' own
#      builds, which the sanitizer flags do not reach) and the slow suite
#      (e2e-inputs, e2e-ports, live-veth: the same code paths as e2e-run,
#      many times over). Only the targets those suites run are built, at
#      the lowest CPU priority while the release tests run (it fills the
#      time they leave idle; its log: build/asan-build.log). Skip it with
#      TUNPROBE_SANITIZE=0.
#
# Each phase prints its wall time, so that CI's log shows where the time
# goes (CI: a 2-core machine; the whole run must stay near 25 minutes).
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

phase() {  # NAME START: prints the phase's wall time
  echo "test.sh: $1: $(( $(date +%s) - $2 )) s"
}

setup_and_build() {  # DIR "meson setup args" "ninja targets (empty: all)"
  local dir=$1 setup=$2 targets=$3
  if [ ! -f "$dir/build.ninja" ]; then
    # shellcheck disable=SC2086
    meson setup "$dir" $setup || return 1
  fi
  # shellcheck disable=SC2086
  ninja -C "$dir" $targets
}

run_tests() {  # DIR [meson test args...]
  local dir=$1 t0
  shift
  t0=$(date +%s)
  meson test -C "$dir" --no-rebuild --print-errorlogs --num-processes 2 "$@" || rc=1
  phase "tests in $dir" "$t0"
  logs+=("$dir/meson-logs/testlog.json")
}

asan_setup="--buildtype=plain -Doptimization=1 -Dcpp_args=-g1 -Db_sanitize=address,undefined -Db_lundef=false -Dwerror=false"
asan_targets="tunprobe hw/tunprobe-split tests/unit_tests tests/flow_tests tests/hw_tests tests/report_tests tests/ipfix_unit_tests tests/ipfix_read"
sanitize=0
[ "${TUNPROBE_SANITIZE:-1}" != 0 ] && [ $# -eq 0 ] && sanitize=1

t0=$(date +%s)
if ! setup_and_build build "--buildtype=release" ""; then
  rc=1; build_failures=$((build_failures + 1)); echo "build of build failed"
else
  phase "build build" "$t0"
  asan_pid=
  if [ $sanitize = 1 ]; then
    # The sanitizer build compiles while the release tests run, at the
    # lowest priority: it takes the CPU time the tests leave idle (waits on
    # servers, collectors, timeouts) and yields the rest to them.
    # GCC's -Wmaybe-uninitialized misfires under the sanitizers: warnings are
    # errors in the release build, not here. -O1 and line tables only (-g1):
    # the sanitizers' reports keep their file:line, the build is minutes
    # shorter.
    asan_t0=$(date +%s)
    (renice -n 19 -p "$BASHPID" > /dev/null 2>&1; setup_and_build build-asan "$asan_setup" "$asan_targets" \
      > build/asan-build.log 2>&1) &
    asan_pid=$!
  fi
  run_tests build "$@"
  if [ -n "$asan_pid" ]; then
    if wait "$asan_pid"; then
      phase "build build-asan (beside the release tests)" "$asan_t0"
      run_tests build-asan --no-suite fuzz --no-suite bench --no-suite slow --no-suite rtl --no-suite service \
        --no-suite browser --no-suite man --no-suite package --no-suite clickhouse
    else
      tail -40 build/asan-build.log
      rc=1; build_failures=$((build_failures + 1)); echo "build of build-asan failed (build/asan-build.log)"
    fi
  fi
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
