#!/usr/bin/env bash
# Scheduling with many tenants (issue 12): N jobs from N tenants (one job each), 10 s apart, on
# 16 nodes of 8 H100 (128 GPUs) at an offered load of ~2.5 (GPUs 1-16, mean GPU-seconds a job
# ~3,200), so the queue grows to tens of thousands of tenants with jobs. Prints the simulate
# wall time (s) and peak memory (KB) per policy and tenant count.
# Usage: bench/many_tenants.sh [GPUPLAN] [tenant counts, default "20000 50000"] [policies]
#        extra simulate flags in SIM_FLAGS (e.g. SIM_FLAGS='--priority-calc-period 0').
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-build/release/gpuplan}
counts=${2:-20000 50000}
policies=${3:-easy fairshare}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf '%-10s %8s %9s %10s %12s\n' policy tenants wall_s peak_kb avg_wait_s
for n in $counts; do
  awk -v n="$n" 'BEGIN {
    print "job_id,tenant,submit_s,gpus,duration_s"
    for (i = 0; i < n; ++i) {
      g = 2 ^ (i % 5)                    # 1, 2, 4, 8, 16: mean 6.2 GPUs
      d = 100 + (i * 7919) % 833         # 100-932 s: mean ~516 s, ~3,200 GPU-s a job
      printf "j%d,t%d,%d,%d,%d\n", i, i, 10 * i, g, d
    }
  }' > "$tmp/t$n.csv"
  for p in $policies; do
    /usr/bin/time -f "%e %M" -o "$tmp/time" "$bin" simulate --cluster h100-sxm5-80gb:16x8 \
      --trace "$tmp/t$n.csv" --policy "$p" ${SIM_FLAGS:-} --json > "$tmp/out.json"
    read -r wall kb < "$tmp/time"
    wait=$(awk -F': ' '/"avg_wait_s"/ { sub(/,$/, "", $2); print $2; exit }' "$tmp/out.json")
    printf '%-10s %8d %9.2f %10d %12.0f\n' "$p" "$n" "$wall" "$kb" "$wait"
  done
done
