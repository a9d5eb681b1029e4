#!/usr/bin/env bash
# Sweep speed: 100 buy-stage points of the default scenario, no tornado, on 1 and on 2 worker
# threads: points per second and the 1 -> 2 worker speedup; the two tables must be identical.
# The points are a 10 x 10 budget x B200-price grid (scenario overrides, KRW).
# The CLI's workers are processes: CBC's driver (CbcMain0/1) keeps state in globals, so within
# one process every MILP solve holds src/buy/cbc_backend.cpp's CbcDriverMutex; threads gave
# 1.01x (2026-12-02, idle 2 cores: 6.4 and 6.5 points/s), processes 1.70x (2026-12-02, load
# 1.8 from other work: 3.2 and 5.4 points/s).
# Usage: bench/sweep.sh  (GPUPLAN as in bench/run.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
GPUPLAN=${GPUPLAN:-build/release/gpuplan}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
budgets=$(python3 -c 'print(",".join(repr(1.5e12 + i * 1.5e11) for i in range(10)))')
prices=$(python3 -c 'print(",".join(repr(4.0e8 + i * 5.0e7) for i in range(10)))')
axes=(--grid "budget.total=$budgets" --grid "candidate.b200.node_price=$prices")
declare -A wall
for w in 1 2; do
  start=$(date +%s.%N)
  "$GPUPLAN" sweep "${axes[@]}" --no-tornado --workers "$w" --csv "$tmp/w$w.csv" > /dev/null 2>&1
  end=$(date +%s.%N)
  wall[$w]=$(echo "$end - $start" | bc)
  printf 'workers %d: 100 points in %.2f s = %.1f points/s\n' "$w" "${wall[$w]}" \
    "$(echo "100 / ${wall[$w]}" | bc -l)"
done
cmp -s "$tmp/w1.csv" "$tmp/w2.csv" && echo "tables identical" || { echo "tables differ"; exit 1; }
printf 'speedup 1 -> 2 workers: %.2fx (cores: %s)\n' "$(echo "${wall[1]} / ${wall[2]}" | bc -l)" "$(nproc)"
