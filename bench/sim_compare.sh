#!/usr/bin/env bash
# Same outputs from two gpuplan binaries (a change to the simulator that must not change results):
# `simulate` over every trace format, policy, failures, per-instance metrics, cluster queues,
# fairshare's priority recalculation periods,
# unsorted traces and bad ones; stdout (JSON without wall_s, text, CSV), stderr, exit code, the
# per-job and timeline CSVs are compared byte for byte. Prints one line per differing run and a
# count; exits 1 if any run differs.
# Usage: bench/sim_compare.sh OLD_GPUPLAN NEW_GPUPLAN [jobs per day of the generated traces]
set -euo pipefail
cd "$(dirname "$0")/.."
old=$1 new=$2 per_day=${3:-20000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
openb=../shared/traces/alibaba-openb-2023

"$old" trace gen --jobs-per-day "$per_day" --horizon 2d --out "$tmp/gen.csv" > /dev/null
"$old" trace gen --jobs-per-day "$per_day" --horizon 1d --seed 7 --accelerator a100-sxm4-80gb \
  --out "$tmp/a100.csv" > /dev/null
# The generated jobs as an SWF log and as the PAI 2020 simulator's job table.
awk -F, 'NR > 1 { printf "%d %.0f -1 %.0f %d -1 -1 %d %.0f -1 1 %d 1 -1 1 -1 -1 -1\n",
  NR - 1, $3, $5, $4, $4, 2 * $5, substr($2, length($2)) }' "$tmp/gen.csv" > "$tmp/gen.swf"
awk -F, 'BEGIN { print "job_id,num_inst,submit_time,num_cpu,num_gpu,gpu_type,duration,user" }
  NR > 1 { printf "%s,%d,%.3f,8,%d,%s,%.0f,%s\n", $1, (NR % 3) + 1, $3, $4,
  (NR % 4 == 0 ? "V100" : "MISC"), $5, $2 }' "$tmp/gen.csv" > "$tmp/pai.csv"
# Unsorted (read whole), ISO times (shifted), bad rows (errors), a type the cluster lacks.
{ head -1 "$tmp/gen.csv"; tail -n +2 "$tmp/gen.csv" | sort -t, -k5 -g | awk 'NR <= 3000'; } \
  > "$tmp/unsorted.csv"
printf 'job_id,tenant,submit_s,gpus,duration_s\na,t1,2024-03-01T12:00:00,8,3600\nb,t2,2024-03-01T12:30:00,16,60\nc,t1,2024-03-01T13:00:00,4,7200\n' \
  > "$tmp/iso.csv"
{ head -2000 "$tmp/gen.csv"; echo "bad,t1,99999999,x,60"; } > "$tmp/badrow.csv"
{ head -2000 "$tmp/gen.csv"; echo "j1,t1,99999999,1,60"; } > "$tmp/dupid.csv"
{ echo "job_id,tenant,submit_s,gpus,duration_s,accelerator"; echo "a,t1,0,1,60,"; \
  echo "b,t1,1,1,60,b200-nope"; echo "c,t1,2,x,60,"; } > "$tmp/badtype_then_row.csv"
{ echo "job_id,tenant,submit_s,gpus,duration_s,accelerator"; echo "a,t1,0,1,60,"; \
  echo "b,t1,1,1,60,mi300x"; } > "$tmp/unknown_type.csv"
cat > "$tmp/queues.toml" <<EOF
$(cat tests/fixtures/small.toml)
[[cluster_queue]]
name = "research-q"
classes = ["startup"]
cohort = "all"
nominal_quota_gpus = 32
[[cluster_queue]]
name = "business-q"
tenants = ["labs"]
cohort = "all"
nominal_quota_gpus = 32
EOF

runs=()
for p in fifo sjf easy fairshare las firstfit; do
  runs+=("--cluster h100-sxm5-80gb:64x8 --trace $tmp/gen.csv --policy $p")
  runs+=("--cluster h100-sxm5-80gb:64x8 --trace $tmp/gen.csv --policy $p --gpu-mtbf 2000h")
  runs+=("--cluster h100-sxm5-80gb:32x8,a100-sxm4-80gb:48x8 --trace $tmp/a100.csv --policy $p")
  runs+=("--cluster h100-sxm5-80gb:16x8 --trace data/traces/sample_sacct.txt --trace-format sacct --policy $p")
  runs+=("--trace $openb/openb_pod_list_default.csv --trace-format openb --policy $p")
  runs+=("--cluster h100-sxm5-80gb:64x8 --trace $tmp/pai.csv --trace-format pai2020 --per-instance --policy $p")
  runs+=("--cluster h100-sxm5-80gb:64x8 --trace $tmp/gen.swf --trace-format swf --policy $p")
  runs+=("--scenario $tmp/queues.toml --policy $p")
done
runs+=("--cluster h100-sxm5-80gb:8x8 --trace data/traces/sample.csv --placement spread")
# fairshare's stored priorities: recalculated every pass (0s), and at a period that spans passes.
for period in 0s 45s 1h; do
  runs+=("--cluster h100-sxm5-80gb:64x8 --trace $tmp/gen.csv --policy fairshare --gpu-mtbf 2000h --priority-calc-period $period")
  runs+=("--cluster h100-sxm5-80gb:32x8,a100-sxm4-80gb:48x8 --trace $tmp/a100.csv --policy fairshare --priority-calc-period $period")
done
runs+=("--trace $openb/openb_pod_list_multigpu50.csv --trace-format openb --policy easy --gpu-mtbf 5000h")
runs+=("--cluster h100-sxm5-80gb:64x8 --trace $tmp/unsorted.csv --policy fairshare")
runs+=("--cluster h100-sxm5-80gb:4x8 --trace $tmp/iso.csv --policy easy")
runs+=("--cluster h100-sxm5-80gb:64x8 --trace $tmp/badrow.csv")
runs+=("--cluster h100-sxm5-80gb:64x8 --trace $tmp/dupid.csv")
runs+=("--cluster h100-sxm5-80gb:64x8 --trace $tmp/badtype_then_row.csv")
runs+=("--cluster h100-sxm5-80gb:64x8 --trace $tmp/unknown_type.csv")
runs+=("--cluster h100-sxm5-80gb:64x8 --trace $tmp/missing.csv")
runs+=("--cluster h100-sxm5-80gb:64x8 --trace $tmp/gen.csv --policy nope")

one() {  # binary, run, mode, output folder
  local bin=$1 args=$2 mode=$3 dir=$4 rc=0
  mkdir -p "$dir"
  case $mode in
    json) $bin simulate $args --json --jobs "$dir/jobs.csv" --timeline "$dir/tl.csv" \
      > "$dir/out" 2> "$dir/err" || rc=$? ;;
    text) $bin simulate $args > "$dir/out" 2> "$dir/err" || rc=$? ;;
    csv) $bin simulate $args --csv > "$dir/out" 2> "$dir/err" || rc=$? ;;
  esac
  echo "$rc" > "$dir/rc"
  sed -i -E 's/"wall_s": [0-9.e+-]+/"wall_s": W/; s/events in [0-9.]+ s/events in W s/' "$dir/out"
}
num=0 differ=0 ok=0
for args in "${runs[@]}"; do
  for mode in json text csv; do
    num=$((num + 1))
    one "$old" "$args" $mode "$tmp/a/$num"
    one "$new" "$args" $mode "$tmp/b/$num"
    [ "$(cat "$tmp/b/$num/rc")" = 0 ] && ok=$((ok + 1))
    if ! diff -r "$tmp/a/$num" "$tmp/b/$num" > /dev/null; then
      differ=$((differ + 1))
      echo "DIFFERS ($mode): simulate $args"
    fi
  done
done
echo "$num runs ($ok exit 0), $differ differ"
[ "$differ" -eq 0 ]
