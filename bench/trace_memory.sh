#!/usr/bin/env bash
# Memory of reading a large trace (issue 12: a 2.1 GB trace needed 15.7 GB): generates a gpuplan
# CSV of about 200 MB (3.7M jobs), then prints the peak resident memory of `trace stats` and of
# `simulate` over it, as a multiple of the file and in bytes per job.
# Figures (issue 12, 2026-12-03): 3.7M jobs, stats 404 MB (1.98x, 115 bytes a job), simulate
# 431 MB (2.11x, 122 bytes a job; it was 615 MB, 3.01x); 1M jobs (argument 1000000): stats 2.14x,
# simulate 119 MB (2.20x, 125 bytes a job; it was 3.27x, 187 bytes a job).
# Usage: bench/trace_memory.sh [jobs per day over one day, default 3700000]  (GPUPLAN as in run.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
GPUPLAN=${GPUPLAN:-build/release/gpuplan}
jobs_per_day=${1:-3700000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$GPUPLAN" trace gen --jobs-per-day "$jobs_per_day" --horizon 1d --out "$tmp/big.csv" > /dev/null
bytes=$(stat -c %s "$tmp/big.csv")
jobs=$(($(wc -l < "$tmp/big.csv") - 1))
printf 'trace: %d bytes, %d jobs (%.1f bytes a line)\n' "$bytes" "$jobs" "$(echo "$bytes / $jobs" | bc -l)"
measure() {
  local name=$1
  shift
  /usr/bin/time -f '%M %e' -o "$tmp/time" "$@" > /dev/null 2>&1
  read -r kb wall < "$tmp/time"
  printf '%-10s peak RSS %d MB = %.2fx the file, %.0f bytes a job, %.1f s\n' "$name" \
    $((kb / 1024)) "$(echo "$kb * 1024 / $bytes" | bc -l)" "$(echo "$kb * 1024 / $jobs" | bc -l)" \
    "$wall"
}
measure "stats" "$GPUPLAN" trace stats "$tmp/big.csv"
measure "simulate" "$GPUPLAN" simulate --cluster h100-sxm5-80gb:1000x8 --trace "$tmp/big.csv" \
  --policy fifo
