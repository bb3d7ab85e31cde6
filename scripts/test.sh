#!/usr/bin/env bash
# Runs the whole test suite (unit, golden, end-to-end, fuzz) in ./build and
# prints the totals as its last line: "N passed, N failed".
#
#   scripts/test.sh [meson test options, e.g. --suite unit]
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH=/usr/bin:/bin:/usr/sbin:/sbin:$PATH
if [ ! -f build/build.ninja ]; then
  meson setup build --buildtype=release || exit 1
fi
ninja -C build || { echo "0 passed, 1 failed"; exit 1; }
meson test -C build --print-errorlogs --num-processes 2 "$@"
rc=$?
/usr/bin/python3 - <<'PY'
import json
passed = failed = skipped = 0
with open("build/meson-logs/testlog.json") as f:
    for line in f:
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
