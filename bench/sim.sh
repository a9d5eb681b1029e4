#!/usr/bin/env bash
# Simulator speed and the openb replay figures. Each case runs in its own process so that its
# peak memory (max RSS from /usr/bin/time) is its own. wall_s and events/s: one simulation;
# proc_cpu_s: the whole process (Google Benchmark repeats short cases for about 0.5 s).
# Usage: bench/sim.sh   (env: BENCH_DIR, GPUPLAN as in bench/run.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
BENCH_DIR=${BENCH_DIR:-build/release/bench}
GPUPLAN=${GPUPLAN:-build/release/gpuplan}
OPENB=${OPENB:-../shared/traces/alibaba-openb-2023/openb_pod_list_default.csv}
TIME=/usr/bin/time
[[ -x $TIME ]] || { echo "needs /usr/bin/time (apt-get install time)"; exit 1; }

echo "-- 1M jobs on 100,000 GPUs (50k h100-sxm5-80gb + 50k mi300x), and openb under every policy"
printf '%-34s %10s %12s %14s %9s %9s %10s\n' case wall_s proc_cpu_s events events/s util peak_MiB
run_case() {
  local filter=$1 out
  out=$($TIME -f 'RSS %M CPU %U %S' "$BENCH_DIR/sim_bench" --benchmark_filter="^$filter\$" \
        --benchmark_format=json 2>&1)
  python3 - "$filter" <<PY
import json, re, sys
text = """$out"""
rss = int(re.search(r"RSS (\d+) CPU ([\d.]+) ([\d.]+)", text).group(1))
cpu = sum(map(float, re.search(r"RSS \d+ CPU ([\d.]+) ([\d.]+)", text).groups()))
j = json.loads(text[text.index("{"):text.rindex("}") + 1])
b = j["benchmarks"][0]
print(f"{sys.argv[1]:<34} {b['real_time'] / 1e3:10.3f} {cpu:12.2f} {b['events']:14.0f} "
      f"{b['events_per_s']:9.3g} {b['utilization']:9.3f} {rss / 1024:10.0f}")
PY
}
for p in fifo sjf easy fairshare las firstfit; do
  run_case "BM_MillionJobs/$p/iterations:1/real_time"
done
for p in fifo sjf easy fairshare las firstfit; do
  run_case "BM_Openb/${p}_own_cluster/real_time"
  run_case "BM_Openb/${p}_64_h100/real_time"
done

echo "-- openb default trace (7,063 GPU pods over 149 days) replayed with gpuplan simulate:"
echo "   on its own 1,213-node, 6,212-GPU cluster, then on 64 and 32 H100s where it queues"
printf '%-10s %-20s %9s %9s %10s %10s %10s %10s %9s %7s\n' policy cluster completed util \
  avg_wait_s p99_wait_s avg_jct_s p99_jct_s slowdown jain
for cluster in own h100-sxm5-80gb:8x8 h100-sxm5-80gb:4x8; do
for p in fifo sjf easy fairshare las firstfit; do
  args=()
  [[ $cluster == own ]] || args=(--cluster "$cluster")
  "$GPUPLAN" simulate --trace "$OPENB" --trace-format openb --policy "$p" "${args[@]}" --json |
    python3 -c "
import json, sys
j = json.load(sys.stdin)
print(f\"{j['policy']:<10} {'$cluster':<20} {j['completed']:9} {j['utilization']:9.4f} {j['avg_wait_s']:10.1f} \"
      f\"{j['p99_wait_s']:10.1f} {j['avg_jct_s']:10.0f} {j['p99_jct_s']:10.0f} \"
      f\"{j['avg_bounded_slowdown']:9.3f} {j['jain_index']:7.3f}\")"
done
done
