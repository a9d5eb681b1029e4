#!/usr/bin/env bash
# The golden report is current: runs `gpuplan plan --out` on the built-in default scenario and
# compares its report.json with tests/golden/korea/report.json (report_golden compare).
# Usage: golden_test.sh GPUPLAN REPORT_GOLDEN GOLDEN.json REPO_ROOT OUT_DIR
set -euo pipefail
gpuplan=$1 tool=$2 golden=$3 root=$4 out=$5
rm -rf "$out"
mkdir -p "$out"
"$gpuplan" plan --out "$out" >/dev/null 2>"$out/plan.log" || { cat "$out/plan.log" >&2; exit 1; }
"$tool" compare "$golden" "$out/report.json" "$root"
