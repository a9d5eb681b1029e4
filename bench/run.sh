#!/usr/bin/env bash
# Runs every benchmark against the release build and prints the figures.
# Usage: bench/run.sh [name...]   (names: the bench/*.sh scripts without .sh; default: all)
set -euo pipefail
cd "$(dirname "$0")/.."
export GPUPLAN=${GPUPLAN:-build/release/gpuplan}
export BENCH_DIR=${BENCH_DIR:-build/release/bench}
names=("$@")
if [[ ${#names[@]} -eq 0 ]]; then
  for f in bench/*.sh; do
    n=$(basename "$f" .sh)
    [[ "$n" == run ]] || names+=("$n")
  done
fi
for n in "${names[@]}"; do
  echo "== $n"
  bash "bench/$n.sh"
done
