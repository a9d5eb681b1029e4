#!/usr/bin/env bash
# The real-browser test of report.html (or of a sweep's sweep.html, when the fixture is a gpuplan
# sweep document): renders the fixture with the real Chart.js, opens the
# page in headless Chromium with the network blocked, and checks that every chart rendered and
# nothing logged an error (the page's #report-health element and Chromium's console log);
# saves a screenshot. Two negative controls show that these checks can fail: a page with an
# injected external image, and a page whose library throws, must both be reported broken.
# Usage: browser_test.sh RENDER_BINARY FIXTURE.json OUT_DIR "CHART_ID..."
# CHART_ID...: the charts the fixture must draw, in page order (tests/report/CMakeLists.txt).
set -euo pipefail

render=$1 fixture=$2 out=$3 expected_ids=$4
chromium=${CHROMIUM:-/usr/bin/chromium}
if [[ ! -x "$chromium" ]]; then
  echo "error: chromium not found at $chromium; install it with scripts/install-deps.sh --browser" >&2
  exit 1
fi
read -r -a expected_list <<<"$expected_ids"
readonly kFixtureCharts=${#expected_list[@]}

rm -rf "$out"
mkdir -p "$out"
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
# Any request that leaves the machine fails to resolve (and the page reports it).
flags=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run
       --disable-background-networking --disable-component-update --disable-sync
       --user-data-dir="$profile" --host-resolver-rules="MAP * ~NOTFOUND, EXCLUDE localhost"
       --enable-logging=stderr --v=0 --virtual-time-budget=15000 --window-size=1400,3000)

# open_page HTML NAME: dumps the DOM after scripts ran to $out/NAME.dom, the log to NAME.log.
open_page() {
  "$chromium" "${flags[@]}" --dump-dom "file://$1" >"$out/$2.dom" 2>"$out/$2.log" || {
    echo "error: chromium failed on $1; log:" >&2; cat "$out/$2.log" >&2; exit 1; }
  grep -o '<div id="report-health"[^>]*>[^<]*' "$out/$2.dom" || true
}
# Page console output is logged as "...:CONSOLE:<line>] msg" (errors, uncaught exceptions).
console_lines() { grep -E 'CONSOLE|Uncaught' "$@" || true; }

fail=0
page=$("$render" "$fixture" "$out/page")
health=$(open_page "$page" report)
echo "report-health: $health"
expected=$(grep -o 'data-charts-expected="[0-9]*"' <<<"$health" | grep -o '[0-9]*' || true)
rendered=$(grep -o 'data-charts-rendered="[0-9]*"' <<<"$health" | grep -o '[0-9]*' || true)
canvases=$(grep -o '<canvas ' "$page" | wc -l)
drawn=$(grep -o 'data-charts-drawn="[^"]*"' <<<"$health" | sed 's/^data-charts-drawn="//; s/"$//' || true)
if ! grep -q 'data-state="ok"' <<<"$health"; then
  echo "FAIL: the page did not report ok" >&2; fail=1
fi
if [[ "$canvases" -ne $kFixtureCharts || "$expected" != "$canvases" || "$rendered" != "$canvases" ]]; then
  echo "FAIL: charts rendered '$rendered', expected '$expected', canvases $canvases," \
       "fixture charts $kFixtureCharts" >&2
  fail=1
fi
if [[ "$drawn" != "${expected_list[*]}" ]]; then
  echo "FAIL: charts drawn '$drawn', expected '${expected_list[*]}'" >&2; fail=1
fi
"$chromium" "${flags[@]}" --screenshot="$out/report.png" "file://$page" >/dev/null \
  2>"$out/screenshot.log" || {
  echo "error: chromium screenshot failed; log:" >&2; cat "$out/screenshot.log" >&2; exit 1; }
if [[ -n "$(console_lines "$out/report.log" "$out/screenshot.log")" ]]; then
  console_lines "$out/report.log" "$out/screenshot.log" >&2
  echo "FAIL: console output in the Chromium logs above" >&2; fail=1
fi
if [[ ! -s "$out/report.png" ]]; then
  echo "FAIL: no screenshot" >&2; fail=1
fi

# Negative control 1: an external image injected into the page must be reported.
sed 's|<main>|<main><img src="https://example.com/x.png" alt="">|' "$page" >"$out/page/external.html"
health=$(open_page "$out/page/external.html" external)
if grep -q 'data-state="ok"' <<<"$health" || ! grep -q 'example.com' <<<"$health"; then
  echo "FAIL: an external request went unnoticed: $health" >&2; fail=1
fi
# Negative control 2: a library that logs an error and throws must be reported.
echo 'console.error("negative control"); throw new Error("broken library");' >"$out/broken.js"
broken_page=$("$render" "$fixture" "$out/broken" "$out/broken.js")
health=$(open_page "$broken_page" broken)
if grep -q 'data-state="ok"' <<<"$health" || [[ -z "$(console_lines "$out/broken.log")" ]]; then
  echo "FAIL: a broken page went unnoticed: $health" >&2; fail=1
fi

[[ $fail -eq 0 ]] && echo "ok: $rendered of $canvases charts, no console errors, no requests;" \
                          "negative controls caught; screenshot $out/report.png"
exit $fail
