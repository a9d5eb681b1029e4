#!/usr/bin/env bash
# Short libFuzzer runs (clang, ASan + UBSan) of every fuzz target, seeded by the committed
# corpus. A crash fails the run and leaves its input in build/fuzz/crashes/: copy it into
# tests/fuzz/corpus/<target>/ so that it stays a regression test (ctest replays the corpus).
# Usage: tests/fuzz/run.sh [seconds per target, default 10] [target...]  (default: all five)
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds="${1:-10}"
cmake -S . -B build/fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ \
      -DGPUPLAN_FUZZ=ON -DGPUPLAN_BUILD_BENCH=OFF >/dev/null
targets=(fuzz_trace fuzz_stream fuzz_simulate fuzz_scenario fuzz_toml)
if [[ $# -gt 1 ]]; then targets=("${@:2}"); fi
cmake --build build/fuzz -j2 --target "${targets[@]}"
mkdir -p build/fuzz/crashes
for t in "${targets[@]}"; do
  work="build/fuzz/corpus/$t"
  mkdir -p "$work"
  echo "fuzz: $t for ${seconds}s"
  UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    "build/fuzz/tests/fuzz/$t" -max_total_time="$seconds" -max_len=4096 -timeout=10 \
    -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="build/fuzz/crashes/$t-" \
    "$work" "tests/fuzz/corpus/$t" 2>&1 | tail -n 3
done
