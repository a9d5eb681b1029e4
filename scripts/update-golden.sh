#!/usr/bin/env bash
# Writes tests/golden/korea/report.json: gpuplan's own report of the built-in default scenario
# (`gpuplan plan --out`), without machine detail (report_golden normalize). The report tests
# render it (tests/report), and the ctest `report_golden_current` fails when it no longer
# matches what gpuplan writes. Run after an intended change to the plan, review `git diff
# tests/golden`, commit. Usage: scripts/update-golden.sh [BUILD_DIR]   (default build/ci)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build/ci}
cmake --build "$build" -j2 --target gpuplan_bin report_golden >/dev/null
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"$build/gpuplan" plan --out "$out" >/dev/null 2>"$out/plan.log" || { cat "$out/plan.log" >&2; exit 1; }
mkdir -p "$root/tests/golden/korea"
"$build/tests/report/report_golden" normalize "$out/report.json" \
  "$root/tests/golden/korea/report.json" "$root"
echo "wrote tests/golden/korea/report.json; review: git diff --stat tests/golden"
