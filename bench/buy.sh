#!/usr/bin/env bash
# Procurement MILP speed: the issue's target is 25 accelerator types x 12 quarters with every
# constraint, solved to a gap <= 0.1% in under 2 s. Prints the Google Benchmark figures, then
# the wall time of `gpuplan buy` on each shipped scenario (with the what-if re-solves).
# Usage: bench/buy.sh  (GPUPLAN and BENCH_DIR as in bench/run.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
GPUPLAN=${GPUPLAN:-build/release/gpuplan}
BENCH_DIR=${BENCH_DIR:-build/release/bench}
"$BENCH_DIR/buy_bench" --benchmark_format=console
for s in data/scenarios/korea.toml data/scenarios/india.toml data/scenarios/tier2-capped.toml; do
  start=$(date +%s.%N)
  status=$("$GPUPLAN" buy --scenario "$s" --gap 0.001 --json | python3 -c 'import json,sys; j=json.load(sys.stdin); print(j["status"], "gap=%.2e" % j["gap"], "binding=%d" % len(j["binding"]))')
  end=$(date +%s.%N)
  printf '%-36s %s  wall %.2f s\n' "$s" "$status" "$(echo "$end - $start" | bc)"
done
