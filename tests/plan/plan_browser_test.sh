#!/usr/bin/env bash
# The end-to-end check of the README's main job: `gpuplan plan` on the built-in default
# scenario, then report.html opened in headless Chromium: the page must report itself healthy
# (every chart it expected rendered, no error, no network request) and log nothing to the
# console. Saves a screenshot. (tests/report/browser_test.sh has the negative controls.)
# Usage: plan_browser_test.sh GPUPLAN_BINARY OUT_DIR
set -euo pipefail
gpuplan=$1 out=$2
chromium=${CHROMIUM:-/usr/bin/chromium}
if [[ ! -x "$chromium" ]]; then
  echo "error: chromium not found at $chromium; install it with scripts/install-deps.sh --browser" >&2
  exit 1
fi
rm -rf "$out"
mkdir -p "$out"
"$gpuplan" plan --out "$out/report" >"$out/plan.txt" 2>"$out/plan.err"
page="$out/report/report.html"
[[ -s "$page" && -s "$out/report/report.json" ]] || { echo "FAIL: no report written" >&2; exit 1; }
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
flags=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run
       --disable-background-networking --disable-component-update --disable-sync
       --user-data-dir="$profile" --host-resolver-rules="MAP * ~NOTFOUND, EXCLUDE localhost"
       --enable-logging=stderr --v=0 --virtual-time-budget=15000 --window-size=1400,4000)
"$chromium" "${flags[@]}" --dump-dom "file://$(realpath "$page")" >"$out/page.dom" 2>"$out/page.log"
"$chromium" "${flags[@]}" --screenshot="$out/plan.png" "file://$(realpath "$page")" \
  >/dev/null 2>"$out/screenshot.log"
health=$(grep -o '<div id="report-health"[^>]*>[^<]*' "$out/page.dom" || true)
echo "report-health: $health"
expected=$(grep -o 'data-charts-expected="[0-9]*"' <<<"$health" | grep -o '[0-9]*' || true)
rendered=$(grep -o 'data-charts-rendered="[0-9]*"' <<<"$health" | grep -o '[0-9]*' || true)
fail=0
grep -q 'data-state="ok"' <<<"$health" || { echo "FAIL: the page did not report ok" >&2; fail=1; }
# The default scenario has a fleet, a purchase plan and a simulation: at least the capacity,
# power, spend, waits and utilization charts.
if [[ -z "$expected" || "$expected" -lt 6 || "$rendered" != "$expected" ]]; then
  echo "FAIL: charts rendered '$rendered' of expected '$expected' (want >= 6)" >&2; fail=1
fi
if grep -E 'CONSOLE|Uncaught' "$out/page.log" "$out/screenshot.log"; then
  echo "FAIL: console output in the Chromium logs above" >&2; fail=1
fi
[[ -s "$out/plan.png" ]] || { echo "FAIL: no screenshot" >&2; fail=1; }
[[ $fail -eq 0 ]] && echo "ok: $rendered of $expected charts; screenshot $out/plan.png"
exit $fail
