#!/usr/bin/env bash
# Training sizing: speed of the full parallelism search (Llama 3 405B on 16,384 H100; DeepSeek-V3
# on 2,048 H800), then the validation table against ../shared/reference/training_runs.csv.
set -euo pipefail
BENCH_DIR=${BENCH_DIR:-build/release/bench}
"$BENCH_DIR/sizing_bench" --benchmark_min_time=0.5
bash "$(dirname "$0")/sizing_validation.sh"
