#!/usr/bin/env bash
# Predicted vs published for every row of ../shared/reference/training_runs.csv (one model, no
# per-row knobs): GPU-hours for full runs, hardware TFLOP/s per GPU for Megatron benchmarks, wall
# days for MLPerf. Ratio = predicted / published.
set -euo pipefail
BENCH_DIR=${BENCH_DIR:-build/release/bench}
"$BENCH_DIR/sizing_bench" --validation
