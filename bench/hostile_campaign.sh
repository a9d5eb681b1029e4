#!/usr/bin/env bash
# Issue 12's hostile-user campaign, repeatable: malformed and huge files, overflowing numbers,
# signals mid-write, concurrent runs, outputs pointed at inputs, over every subcommand and input
# format. Each case states the exit code the contract (DESIGN.md: 0 ok, 1 infeasible or runtime,
# 2 bad input, 3 a file that cannot be read or written) gives it and a fragment of the message
# (the file, line and field, or the flag). Every case is also checked for what no input may
# cause: a hang (timeout), a death by signal or abort (rc >= 128), a crash report on stderr, a
# message longer than 4 KB, a temp or lock file left behind, or an input changed.
#
# Usage: bench/hostile_campaign.sh BIN [-k]   (-k keeps the work folder and prints it)
# About 2 minutes on 2 busy cores (366 cases, a debug build), too slow for ctest: run it by hand
# after a change to input checks or outputs. CAMPAIGN_TIMES=1 prints each case's seconds.
# Prints one line per failure and a tally "N/M as the contract says"; exit 0 when all are.
set -u
if [[ $# -lt 1 ]]; then
  echo "usage: $0 BIN [-k]" >&2
  exit 2
fi
BIN=$(realpath "$1")
KEEP=${2:-}
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
DATA="$REPO/data"
TIMEOUT_S=${CAMPAIGN_TIMEOUT_S:-20}
W=$(mktemp -d "${TMPDIR:-/tmp}/gpuplan_campaign.XXXXXX")
if [[ "$KEEP" == "-k" ]]; then echo "work folder: $W"; else trap 'rm -rf "$W"' EXIT; fi
IN="$W/in"   # inputs: fingerprinted before and after every case
OUT="$W/out" # outputs
mkdir -p "$IN" "$OUT"
cd "$W" || exit 2

total=0
passed=0
fail() { echo "FAIL $1: $2"; }

fingerprint() { find "$IN" -type f -printf '%P %s %T@\n' | sort | md5sum; }
leftovers() { find "$W" \( -name '.*.tmp.*' -o -name '.*.lock' -o -name '*.tmp' \) -print; }

# The last case's results, for extra checks.
RC=0
ERR="$W/err"
STDOUT="$W/stdout"

# check NAME WANT_RC FRAGMENTS -- ARGS...: runs BIN ARGS; FRAGMENTS is '|'-separated text that
# must all appear on stderr (empty: none). A check in $EXTRA (a shell command) must also hold.
check() {
  local name=$1 want=$2 frag=$3
  shift 3
  [[ "${1:-}" == "--" ]] && shift
  total=$((total + 1))
  local before
  before=$(fingerprint)
  local t0=$SECONDS
  if [[ -n "${PIPE:-}" ]]; then # stdout a pipe, as in a shell pipeline
    timeout -k 2 "$TIMEOUT_S" "$BIN" "$@" </dev/null 2>"$ERR" | cat >"$STDOUT"
    RC=${PIPESTATUS[0]}
  else
    timeout -k 2 "$TIMEOUT_S" "$BIN" "$@" </dev/null >"$STDOUT" 2>"$ERR"
    RC=$?
  fi
  [[ -n "${CAMPAIGN_TIMES:-}" ]] && echo "time $((SECONDS - t0)) s $name"
  verdict "$name" "$want" "$frag" "$before"
}

# verdict NAME WANT FRAGMENTS FINGERPRINT_BEFORE: the common checks on RC, $ERR and the files.
verdict() {
  local name=$1 want=$2 frag=$3 before=$4 why=""
  local head
  head=$(head -c 300 "$ERR" | tr -d '\0' | tr '\n' ' ')
  if [[ $RC -eq 124 || $RC -eq 137 ]]; then
    why="hung (no exit within ${TIMEOUT_S} s)"
  elif [[ $RC -ge 128 && $want -lt 128 ]]; then
    why="killed by a signal or abort (rc $RC)"
  elif [[ $RC -ne $want ]]; then
    why="exit $RC, expected $want"
  fi
  if [[ -z "$why" ]] && grep -qE 'terminate called|Assertion .* failed|runtime error:|AddressSanitizer|Segmentation fault|std::bad_alloc' "$ERR"; then
    why="crash report on stderr"
  fi
  if [[ -z "$why" && -n "$frag" ]]; then
    local IFS='|' f
    for f in $frag; do
      if ! grep -qF -- "$f" "$ERR"; then
        why="message lacks '$f'"
        break
      fi
    done
  fi
  if [[ -z "$why" && $want -ne 0 && $(stat -c %s "$ERR") -gt 4096 ]]; then
    why="message of $(stat -c %s "$ERR") bytes (over 4 KB)"
  fi
  if [[ -z "$why" ]]; then
    local left
    left=$(leftovers | head -3 | tr '\n' ' ')
    [[ -n "$left" ]] && why="left behind: $left"
  fi
  if [[ -z "$why" && "$(fingerprint)" != "$before" ]]; then why="an input file changed"; fi
  restore_inputs
  if [[ -z "$why" && -n "${EXTRA:-}" ]]; then
    if ! (eval "$EXTRA") >/dev/null 2>&1; then why="failed: $EXTRA"; fi
  fi
  # Clean up what a failing case left, so one failure does not fail the next cases.
  leftovers | xargs -r rm -f
  if [[ -z "$why" ]]; then
    passed=$((passed + 1))
  else
    fail "$name" "$why; stderr: $head"
  fi
}

# The scenarios most cases read, restored after a case that wrote over one.
restore_inputs() {
  local f
  for f in small.toml full.toml slurm.conf; do
    [[ -e "$W/keep/$f" ]] && ! cmp -s "$W/keep/$f" "$IN/$f" && cp "$W/keep/$f" "$IN/$f"
  done
  return 0
}

is_json() { python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$1"; }
rows() { tail -n +2 "$1" | wc -l; }

# ---------------------------------------------------------------------------------------------
# Inputs.
HEAD="job_id,tenant,submit_s,gpus,duration_s"
table() { # table HEADER NAME ROW...: a file of this header line and these rows
  local head=$1 f="$IN/$2"
  shift 2
  { echo "$head"; printf '%s\n' "$@"; } >"$f"
  echo "$f"
}
csv() { table "$HEAD" "$@"; } # csv NAME ROW...: a gpuplan trace
JOBS=$(csv jobs.csv "a,t,0,8,3600" "b,t,10,8,60" "c,u,20,1,600")
CL="h100-sxm5-80gb:2x8"
SIM=(simulate --cluster "$CL" --trace "$JOBS")

cat >"$IN/small.toml" <<'EOF'
name = "small"
[horizon]
first = "2026Q4"
last = "2027Q2"
[budget]
capex_per_year = { "2026" = 1e7, "2027" = 1e7 }
[[candidate]]
accelerator = "h200-sxm-141gb"
node_price = 320000
node_power_kw = 10.2
max_nodes_per_quarter = 100
lead_time_quarters = 1
[power]
facility_mw = { "2026Q4" = 5 }
[[milestone]]
quarter = "2027Q1"
gpus = 100
EOF
SMALL="$IN/small.toml"
cp "$REPO/tests/fixtures/small.toml" "$IN/full.toml"
FULL="$IN/full.toml"
mkdir -p "$W/keep"
cp "$SMALL" "$FULL" "$W/keep/"
# scen NAME TEXT: a scenario made of the small one and more lines (or replaced lines, by sed).
scen() {
  printf '%s\n' "$(cat "$SMALL")" "$2" >"$IN/$1"
  echo "$IN/$1"
}
raw() { # raw NAME TEXT: a file with exactly this text (printf %b escapes)
  printf '%b' "$2" >"$IN/$1"
  echo "$IN/$1"
}

OPENB_HEAD="name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,creation_time,deletion_time,scheduled_time"
openb() { table "$OPENB_HEAD" "$@"; }
SACCT_HEAD="JobID|User|Account|Partition|Submit|Start|End|Elapsed|AllocTRES|ReqTRES|Timelimit|State"
sacct() { table "$SACCT_HEAD" "$@"; }
SACCT_OK="1|al|acct|gpu|2024-03-01T08:00:00|2024-03-01T08:00:05|2024-03-01T10:00:05|02:00:00|cpu=16,gres/gpu=1,node=1|cpu=16,gres/gpu=1,node=1|04:00:00|COMPLETED"
swf_line() { # job submit wait run procs ... (18 fields)
  echo "$1 $2 0 $3 $4 -1 -1 $4 $5 -1 1 7 -1 -1 -1 -1 -1 -1"
}
PAI_JOB_HEAD="job_id,num_inst,submit_time,num_gpu,gpu_type,duration,user"

# =============================================================================================
# 1. The command line: commands, flags and numbers.
check no-args 2 "" --
check help 0 "" -- --help
check version 0 "" -- --version
check unknown-command 2 "unknown command 'simulte'|did you mean 'simulate'" -- simulte
check unknown-trace-command 2 "unknown trace command 'frob'" -- trace frob
check missing-size-command 2 "needs a command" -- size
check misspelt-catalog-command 2 "unknown catalog command 'lst'" -- catalog lst
check huge-command 2 "unknown command" -- "$(head -c 100000 /dev/zero | tr '\0' q)"
check unknown-flag 2 "--frobnicate" -- "${SIM[@]}" --frobnicate
check flag-without-value 2 "--policy" -- "${SIM[@]}" --policy
check bad-policy 2 "unknown policy 'frob'" -- "${SIM[@]}" --policy frob
check bad-placement 2 "unknown placement 'frob'" -- "${SIM[@]}" --placement frob
check bad-trace-format 2 "unknown trace format 'frob'" -- "${SIM[@]}" --trace-format frob
check simulate-no-trace 2 "--trace" -- simulate --cluster "$CL"
check seed-minus-1 2 "--seed|>= 0" -- "${SIM[@]}" --seed -1
check seed-2-pow-64 2 "--seed" -- "${SIM[@]}" --seed 18446744073709551616
check seed-text 2 "--seed" -- "${SIM[@]}" --seed abc
check seed-float 2 "--seed" -- "${SIM[@]}" --seed 1.5
check gpu-mtbf-1e-30 2 "per-GPU MTBF" -- "${SIM[@]}" --gpu-mtbf 1e-30
check gpu-mtbf-1e9y 2 "--gpu-mtbf" -- "${SIM[@]}" --gpu-mtbf 1e9y
for v in 1e308y -5h nan inf abc; do
  check "gpu-mtbf-$v" 2 "--gpu-mtbf" -- "${SIM[@]}" --gpu-mtbf "$v"
done
for v in 1e15 -1 nan inf; do
  check "node-repair-$v" 2 "--node-repair" -- "${SIM[@]}" --node-repair "$v" --gpu-mtbf 50000h
done
for v in 1e15 -1 nan; do
  check "restart-overhead-$v" 2 "--restart-overhead" -- "${SIM[@]}" --restart-overhead "$v"
done
for v in -1 inf nan 1e15; do
  check "checkpoint-$v" 2 "--checkpoint" -- "${SIM[@]}" --checkpoint "$v" --gpu-mtbf 50000h
done
for v in -1 1e30 nan; do
  check "bf-window-$v" 2 "--bf-window" -- "${SIM[@]}" --policy easy --bf-window "$v"
done
for v in -1 nan inf 1e308; do
  check "estimate-factor-$v" 2 "estimate" -- "${SIM[@]}" --policy easy --estimate-factor "$v"
done
for v in 0 -1 inf; do
  check "decay-half-life-$v" 2 "--decay-half-life" -- "${SIM[@]}" --policy fairshare --decay-half-life "$v"
done
check priority-calc-period-neg 2 "--priority-calc-period" -- "${SIM[@]}" --policy fairshare --priority-calc-period -1
for v in 1e-9 0 -1 nan; do
  check "timeline-interval-$v" 2 "timeline" -- "${SIM[@]}" --timeline "$OUT/tl.csv" --timeline-interval "$v"
done
check timeline-rows-unbounded 2 "timeline" -- simulate --cluster "$CL" --trace "$(csv late.csv "a,t,9e9,1,5")" --timeline "$OUT/tl.csv" --timeline-interval 1s
for spec in "" "h100-sxm5-80gb:" "nope:2x8" "h100-sxm5-80gb:0x8" "h100-sxm5-80gb:-1x8" \
  "h100-sxm5-80gb:2x8x" "h100-sxm5-80gb:99999999999999999999x8" "h100-sxm5-80gb:1e3x8" \
  "h100-sxm5-80gb:2xnan" "h100-sxm5-80gb:2x0"; do
  check "cluster-'$spec'" 2 "--cluster" -- simulate --cluster "$spec" --trace "$JOBS"
done
check cluster-huge 2 "the limits are" -- simulate --cluster h100-sxm5-80gb:999999999x1024 --trace "$JOBS"

# trace gen
for v in 1e30 -5 nan inf abc; do
  check "jobs-per-day-$v" 2 "--jobs-per-day" -- trace gen --jobs-per-day "$v"
done
for v in 1e30d -1d 0 nan; do
  check "horizon-$v" 2 "--horizon" -- trace gen --horizon "$v"
done
for v in "" "startup:-1" "nobody:3" "startup:1e12" "startup:abc" "startup"; do
  check "tenants-'$v'" 2 "--tenants" -- trace gen --tenants "$v"
done
for v in "1:-1" "0:1" "1e9:1" "abc" "1:nan" "8:0"; do
  check "gpu-mix-'$v'" 2 "--gpu-mix" -- trace gen --gpu-mix "$v"
done
for v in -1h 1e30d nan; do
  check "median-duration-$v" 2 "--median-duration" -- trace gen --median-duration "$v"
done
check arrivals-bad 2 "unknown arrival pattern 'frob'" -- trace gen --arrivals frob
check gen-seed-neg 2 "--seed" -- trace gen --seed -1
check gen-accelerator-unknown 2 "nope" -- trace gen --accelerator nope

# size train
ST=(size train --model llama3-8b --accelerator h100-sxm5-80gb)
for v in -1 1e300 nan inf abc 0; do
  check "tokens-$v" 2 "--tokens" -- "${ST[@]}" --tokens "$v" --gpus 64
done
for v in 0 -8 1e30 1.5 nan; do
  check "train-gpus-$v" 2 "--gpus" -- "${ST[@]}" --tokens 1T --gpus "$v"
done
for v in 0 -1 1e30 nan; do
  check "train-days-$v" 2 "--days" -- "${ST[@]}" --tokens 1T --days "$v"
done
check seq-zero-is-default 0 "" -- "${ST[@]}" --tokens 1T --gpus 64 --seq 0
check seq-huge 2 "--seq" -- "${ST[@]}" --tokens 1T --gpus 64 --seq 99999999999
check goodput-2 2 "--goodput" -- "${ST[@]}" --tokens 1T --gpus 64 --goodput 2
check goodput-nan 2 "--goodput" -- "${ST[@]}" --tokens 1T --gpus 64 --goodput nan
check pue-zero 2 "--pue" -- "${ST[@]}" --tokens 1T --gpus 64 --pue 0
check usd-per-gpu-hour-neg 2 "--usd-per-gpu-hour" -- "${ST[@]}" --tokens 1T --gpus 64 --usd-per-gpu-hour -1
check interruptions-inf 2 "--interruptions-per-gpu-year" -- "${ST[@]}" --tokens 1T --gpus 64 --interruptions-per-gpu-year inf
check explain-neg 2 "--explain" -- "${ST[@]}" --tokens 1T --gpus 64 --explain -1
check batch-zero-is-default 0 "" -- "${ST[@]}" --tokens 1T --gpus 64 --batch 0
check train-precision-bad 2 "--precision" -- "${ST[@]}" --tokens 1T --gpus 64 --precision fp3
check train-accelerator-unknown 2 "nope" -- size train --model llama3-8b --accelerator nope --tokens 1T --gpus 64
check train-model-unknown 2 "nope-7b" -- size train --model nope-7b --accelerator h100-sxm5-80gb --tokens 1T --gpus 64
check params-huge 2 "--params" -- size train --params 1e30 --accelerator h100-sxm5-80gb --tokens 1T --gpus 64
check layers-zero-is-solved 0 "" -- size train --params 70B --layers 0 --accelerator h100-sxm5-80gb --tokens 1T --gpus 64
check hidden-neg 2 "--hidden" -- size train --params 70B --hidden -1 --accelerator h100-sxm5-80gb --tokens 1T --gpus 64

# size serve
SV=(size serve --model llama3-8b --accelerator h100-sxm5-80gb)
for v in 0 -1 inf nan 1e300; do
  check "rps-$v" 2 "rps" -- "${SV[@]}" --rps "$v"
done
for v in inf -1 0 nan; do
  check "ttft-ms-$v" 2 "--ttft-ms" -- "${SV[@]}" --rps 1 --ttft-ms "$v"
done
check tpot-neg 2 "--tpot-ms" -- "${SV[@]}" --rps 1 --tpot-ms -1
for v in 0 101 nan; do
  check "percentile-$v" 2 "percentile" -- "${SV[@]}" --rps 1 --percentile "$v"
done
for v in 0 -1 1e30; do
  check "prompt-tokens-$v" 2 "--prompt-tokens" -- "${SV[@]}" --rps 1 --prompt-tokens "$v"
done
check output-tokens-zero 2 "--output-tokens" -- "${SV[@]}" --rps 1 --output-tokens 0
check serve-gpus-huge 2 "--gpus" -- "${SV[@]}" --gpus 1e30
check serve-gpus-zero 2 "--gpus" -- "${SV[@]}" --gpus 0
check tp-zero-is-searched 0 "" -- "${SV[@]}" --rps 1 --tp 0
check tp-huge 2 "tensor_parallel" -- "${SV[@]}" --rps 1 --tp 99999
check pp-zero-is-default 0 "" -- "${SV[@]}" --rps 1 --pp 0
check max-batch-neg 2 "--max-batch" -- "${SV[@]}" --rps 1 --max-batch -1
check daily-users-neg 2 "daily users" -- "${SV[@]}" --daily-users -1
check peak-factor-zero 2 "peak factor" -- "${SV[@]}" --daily-users 1M --peak-factor 0
check kv-cache-bad 2 "unknown KV-cache precision 'fp2'" -- "${SV[@]}" --rps 1 --kv-cache fp2
check serve-precision-bad 2 "unknown precision 'fp3'" -- "${SV[@]}" --rps 1 --precision fp3
LEN_BAD=$(raw lengths.csv "prompt_tokens,output_tokens\n100,20\n-5,20\n")
check lengths-csv-negative 2 "lengths.csv:3|prompt_tokens" -- "${SV[@]}" --rps 1 --lengths-csv "$LEN_BAD"
LEN_TXT=$(raw lengths2.csv "prompt_tokens,output_tokens\n100,abc\n")
check lengths-csv-text 2 "lengths2.csv:2|output_tokens" -- "${SV[@]}" --rps 1 --lengths-csv "$LEN_TXT"
check lengths-csv-missing 2 "nope.csv: no such file" -- "${SV[@]}" --rps 1 --lengths-csv "$IN/nope.csv"

# buy, plan, sweep, slurm-config numbers
for v in -1 nan inf; do
  check "buy-time-limit-$v" 2 "--time-limit" -- buy --scenario "$SMALL" --time-limit "$v"
done
for v in -1 nan 2; do
  check "buy-gap-$v" 2 "--gap" -- buy --scenario "$SMALL" --gap "$v"
done
for v in 0 1 nan; do
  check "sizing-quantile-$v" 2 "--sizing-quantile" -- buy --scenario "$SMALL" --sizing-quantile "$v"
done
check buy-objective-bad 2 "--objective|frob" -- buy --scenario "$SMALL" --objective frob
check buy-table-bad 2 "--table|frob" -- buy --scenario "$SMALL" --csv --table frob
check plan-frontier-neg 2 "--frontier" -- plan "$SMALL" --out "$OUT/r1" --frontier -1
check plan-frontier-huge 2 "--frontier" -- plan "$SMALL" --out "$OUT/r1" --frontier 1000000000
check plan-policy-bad 2 "frob" -- plan "$SMALL" --out "$OUT/r1" --policies frob
check plan-time-limit-neg 2 "--time-limit" -- plan "$SMALL" --out "$OUT/r1" --time-limit -1
check sweep-samples-neg 2 "'samples'" -- sweep "$SMALL" --sample budget.total=uniform:1e7:2e7 --samples -1
check sweep-samples-huge 2 "--samples" -- sweep "$SMALL" --sample budget.total=uniform:1e7:2e7 --samples 1000000000000
check sweep-workers-neg 2 "--workers" -- sweep "$SMALL" --grid budget.total=1e7,2e7 --workers -1
check sweep-workers-huge 0 "" -- sweep "$SMALL" --grid budget.total=1e7,2e7 --workers 1000000000
for v in 0/0 3/2 a/b -1/2 1/0; do
  check "sweep-shard-$v" 2 "--shard" -- sweep "$SMALL" --grid budget.total=1e7,2e7 --shard "$v" --out "$OUT/sh.json"
done
check sweep-grid-empty 2 "budget.total" -- sweep "$SMALL" --grid budget.total=
check sweep-grid-text 2 "budget.total" -- sweep "$SMALL" --grid budget.total=abc
check sweep-grid-unknown-key 2 "budgett" -- sweep "$SMALL" --grid budgett.total=1,2
check sweep-sample-reversed 2 "uniform" -- sweep "$SMALL" --sample budget.total=uniform:2e7:1e7 --samples 3
check sweep-sample-neg-sd 2 "normal" -- sweep "$SMALL" --sample budget.total=normal:1e7:-1 --samples 3
check sweep-sample-kind 2 "frob" -- sweep "$SMALL" --sample budget.total=frob:1:2 --samples 3
check sweep-spec-bad-json 2 "spec.json" -- sweep --spec "$(raw spec.json '{"grid": ')"
check sweep-spec-missing 2 "nospec.json: no such file" -- sweep --spec "$IN/nospec.json"
check sweep-merge-bad 2 "shard.json" -- sweep --merge "$(raw shard.json '{"points": 5}')"
check slurm-quarter-bad 2 "--quarter" -- slurm-config --scenario "$FULL" --quarter 2027Q9
check slurm-quarter-outside 2 "--quarter" -- slurm-config --scenario "$FULL" --quarter 1999Q1
check slurm-time-limit-neg 2 "--time-limit" -- slurm-config --scenario "$FULL" --time-limit -1
check catalog-show-unknown 2 "nope" -- catalog show nope

# =============================================================================================
# 2. Scenario TOML.
check scen-missing 2 "nothere.toml: no such file" -- buy --scenario "$IN/nothere.toml"
check scen-directory 3 "is a directory" -- buy --scenario "$IN"
check scen-device 3 "character device" -- buy --scenario /dev/zero
check scen-empty 2 "empty.toml" -- buy --scenario "$(raw empty.toml '')"
check scen-binary 2 "bin.toml" -- buy --scenario "$(raw bin.toml '\x7fELF\x02\x01\x01\x00\x00\x00')"
check scen-syntax 2 "syntax.toml:2" -- buy --scenario "$(raw syntax.toml 'name = "x"\n[horizon\n')"
check scen-unknown-key 2 "unk.toml|max_node_per_quarter|did you mean" -- buy --scenario "$(scen unk.toml '[[candidate]]
accelerator = "b200"
node_price = 4e5
max_node_per_quarter = 3')"
check scen-duplicate-key 2 "dupkey.toml" -- buy --scenario "$(raw dupkey.toml 'name = "a"\nname = "b"\n')"
check scen-type 2 "type.toml|node_price" -- buy --scenario "$(sed 's/node_price = 320000/node_price = "lots"/' "$SMALL" >"$IN/type.toml"; echo "$IN/type.toml")"
for v in -5 1e400 inf nan 0; do
  sed "s/node_price = 320000/node_price = $v/" "$SMALL" >"$IN/price$v.toml"
  check "scen-node-price-$v" 2 "price$v.toml:9|$([[ $v == 1e400 ]] && echo "'1e400'" || echo node_price)" -- buy --scenario "$IN/price$v.toml"
done
check scen-rate-tiny 2 "rate.toml:2|units_per_usd" -- buy --scenario "$(printf 'currency = "XYZ"\nunits_per_usd = 1e-300\n%s\n' "$(cat "$SMALL")" >"$IN/rate.toml"; echo "$IN/rate.toml")"
check scen-quarter-bad 2 "q5.toml:4|last" -- buy --scenario "$(sed 's/last = "2027Q2"/last = "2027Q5"/' "$SMALL" >"$IN/q5.toml"; echo "$IN/q5.toml")"
check scen-horizon-reversed 2 "rev.toml|horizon" -- buy --scenario "$(sed 's/last = "2027Q2"/last = "2025Q1"/' "$SMALL" >"$IN/rev.toml"; echo "$IN/rev.toml")"
check scen-horizon-huge 2 "long.toml:4|last" -- buy --scenario "$(sed 's/last = "2027Q2"/last = "9999Q4"/' "$SMALL" >"$IN/long.toml"; echo "$IN/long.toml")"
check scen-extends-missing 2 "ext.toml:1|extends" -- buy --scenario "$(raw ext.toml 'extends = "nobase.toml"\n')"
printf 'extends = "cyc2.toml"\n' >"$IN/cyc1.toml"
printf 'extends = "cyc1.toml"\n' >"$IN/cyc2.toml"
check scen-extends-cycle 2 "cycle" -- buy --scenario "$IN/cyc1.toml"
check scen-extends-self 2 "self.toml" -- buy --scenario "$(raw self.toml 'extends = "self.toml"\n')"
check scen-extra-catalog-missing 2 "xc.toml:1|extra_catalog" -- buy --scenario "$(printf 'extra_catalog = "nocat.toml"\n%s\n' "$(cat "$SMALL")" >"$IN/xc.toml"; echo "$IN/xc.toml")"
check scen-candidate-unknown 2 "cand.toml|frob-gpu" -- buy --scenario "$(sed 's/h200-sxm-141gb/frob-gpu/' "$SMALL" >"$IN/cand.toml"; echo "$IN/cand.toml")"
check scen-existing-partial-node 2 "part.toml|gpus" -- buy --scenario "$(scen part.toml '[[existing]]
accelerator = "b200"
gpus = 12')"
check scen-deep-nesting 2 "deep.toml" -- buy --scenario "$(printf 'a = %s1%s\n' "$(head -c 100000 /dev/zero | tr '\0' '[')" "$(head -c 100000 /dev/zero | tr '\0' ']')" >"$IN/deep.toml"; echo "$IN/deep.toml")"
check scen-long-key 2 "longkey.toml:1" -- buy --scenario "$(printf '%s = 1\n' "$(head -c 5000000 /dev/zero | tr '\0' k)" >"$IN/longkey.toml"; echo "$IN/longkey.toml")"
check scen-bom 0 "" -- buy --scenario "$(printf '\xef\xbb\xbf%s\n' "$(cat "$SMALL")" >"$IN/bom.toml"; echo "$IN/bom.toml")"
check scen-crlf 0 "" -- buy --scenario "$(sed 's/$/\r/' "$SMALL" >"$IN/crlf.toml"; echo "$IN/crlf.toml")"
check scen-nul 2 "nul.toml" -- buy --scenario "$(raw nul.toml 'name = "a\x00b"\n')"
check scen-bad-utf8 2 "utf8.toml:1" -- buy --scenario "$(raw utf8.toml 'name = "\xff\xfe"\n')"
for f in "$REPO"/tests/fuzz/corpus/fuzz_scenario/{crash,tomlpp}-*; do
  cp "$f" "$IN/$(basename "$f").toml"
  check "scen-$(basename "$f")" 2 "$(basename "$f").toml" -- buy --scenario "$IN/$(basename "$f").toml"
done
check scen-jobs-per-day-huge 2 "jpd.toml|jobs_per_day" -- simulate --scenario "$(sed 's/jobs_per_day = 30/jobs_per_day = 1e30/' "$FULL" >"$IN/jpd.toml"; echo "$IN/jpd.toml")"
check scen-mtbf-tiny 2 "--set simulation.gpu_mtbf_h|gpu_mtbf_h" -- simulate --scenario "$FULL" --set simulation.gpu_mtbf_h=1e-30
check scen-restart-huge 2 "--set simulation.restart_overhead_min|restart_overhead_min" -- simulate --scenario "$FULL" --set simulation.restart_overhead_min=1e30
sed 's/^\[simulation\]/[simulation]\nrestart_overhead_min = 1e30/' "$FULL" >"$IN/rst.toml"
check scen-restart-huge-file 2 "rst.toml|restart_overhead_min" -- simulate --scenario "$IN/rst.toml"
check scen-plan-missing-trace 2 "notrace.toml|trace|does not exist" -- plan --out "$OUT/r2" --scenario "$(scen notrace.toml '[simulation]
trace = "/nonexistent/jobs.csv"')"
check scen-tenants-many 2 "tenants.toml" -- simulate --scenario "$(python3 -c '
import sys
base = open(sys.argv[1]).read()
print(base)
for i in range(20000):
    print("[[tenant]]\nname = \"t%d\"\nclass = \"startup\"\n[tenant.demand]\njobs_per_day = 1e6\n" % i)
' "$SMALL" >"$IN/tenants.toml"; echo "$IN/tenants.toml")"
check set-unknown-key 2 "--set|budgett" -- buy --scenario "$SMALL" --set budgett.total=1
check set-bad-value 2 "--set|budget.total" -- buy --scenario "$SMALL" --set 'budget.total=[1,'
check set-index-out-of-range 2 "--set|candidate.7" -- buy --scenario "$SMALL" --set candidate.7.node_price=1
check set-negative 2 "--set|node_price" -- buy --scenario "$SMALL" --set candidate.0.node_price=-1
check set-no-equals 2 "--set" -- buy --scenario "$SMALL" --set budget.total

# =============================================================================================
# 3. Traces, in every format.
TS=(trace stats)
check trace-missing 2 "nope.csv: no such file" -- "${TS[@]}" "$IN/nope.csv"
check trace-directory 3 "is a directory" -- "${TS[@]}" "$IN"
check trace-device 3 "character device" -- "${TS[@]}" /dev/zero
mkfifo "$IN/fifo.csv"
check trace-fifo 3 "FIFO" -- "${TS[@]}" "$IN/fifo.csv"
check trace-empty 2 "empty.csv" -- "${TS[@]}" "$(raw empty.csv '')"
check trace-header-only 2 "head.csv|no jobs" -- "${TS[@]}" "$(csv head.csv)"
check trace-binary 2 "garbage.csv" -- "${TS[@]}" "$(head -c 65536 /dev/urandom >"$IN/garbage.csv"; echo "$IN/garbage.csv")"
check trace-bom 0 "" -- "${TS[@]}" "$(printf '\xef\xbb\xbf%s\na,t,0,1,5\n' "$HEAD" >"$IN/bom.csv"; echo "$IN/bom.csv")"
check trace-crlf 0 "" -- "${TS[@]}" "$(printf '%s\r\na,t,0,1,5\r\n' "$HEAD" >"$IN/crlf.csv"; echo "$IN/crlf.csv")"
check trace-missing-column 2 "nocol.csv:1|gpus" -- "${TS[@]}" "$(raw nocol.csv 'job_id,tenant,submit_s,duration_s\na,t,0,5\n')"
EXTRA='grep -q "column not read (.gpuz.)" "$STDOUT"' check trace-unknown-column 0 "" -- "${TS[@]}" "$(raw unkcol.csv "$HEAD,gpuz\na,t,0,1,5,1\n")"
check trace-column-twice 2 "twice.csv:1|gpus" -- "${TS[@]}" "$(raw twice.csv "$HEAD,gpus\na,t,0,1,5,1\n")"
check trace-quoted-comma 0 "" -- "${TS[@]}" "$(csv quoted.csv '"a,b",t,0,1,5')"
check trace-unterminated-quote 2 "unterm.csv:2" -- "${TS[@]}" "$(csv unterm.csv '"a,t,0,1,5' 'b,t,0,1,5')"
check trace-too-many-fields 2 "many.csv:2" -- "${TS[@]}" "$(csv many.csv 'a,t,0,1,5,9')"
check trace-too-few-fields 2 "few.csv:2" -- "${TS[@]}" "$(csv few.csv 'a,t,0,1')"
check trace-duplicate-ids 2 "dup.csv:3|'a'" -- "${TS[@]}" "$(csv dup.csv 'a,t,0,1,5' 'a,t,1,1,5')"
for spec in "submit_s:1e15:a,t,1e15,1,5" "submit_s:-1:a,t,-1,1,5" "submit_s:nan:a,t,nan,1,5" \
  "submit_s:inf:a,t,inf,1,5" "duration_s:1e308:a,t,0,1,1e308" "duration_s:-5:a,t,0,1,-5" \
  "duration_s:x:a,t,0,1,x" "gpus:0:a,t,0,0,5" "gpus:-1:a,t,0,-1,5" "gpus:1.5:a,t,0,1.5,5" \
  "gpus:1e12:a,t,0,1e12,5" "gpus:99999999999999999999:a,t,0,99999999999999999999,5"; do
  field=${spec%%:*}
  rest=${spec#*:}
  val=${rest%%:*}
  row=${rest#*:}
  f=$(csv "v_${field}_$val.csv" "$row")
  check "trace-$field-$val" 2 "$(basename "$f"):2|$field" -- simulate --cluster "$CL" --trace "$f"
done
check trace-job-larger-than-cluster 0 "" -- simulate --cluster "$CL" --trace "$(csv wide.csv 'a,t,0,64,5' 'b,t,0,1,5')" --json
check trace-huge-header 2 "hugehead.csv:1" -- "${TS[@]}" "$(printf '%s\n' "$(head -c 50000000 /dev/zero | tr '\0' x)" >"$IN/hugehead.csv"; echo "$IN/hugehead.csv")"
check trace-huge-field 2 "hugefield.csv:2" -- "${TS[@]}" "$(printf '%s\na,t,0,%s,5\n' "$HEAD" "$(head -c 20000000 /dev/zero | tr '\0' 9)" >"$IN/hugefield.csv"; echo "$IN/hugefield.csv")"
check trace-nul-bytes 2 "nul.csv:2" -- "${TS[@]}" "$(raw nul.csv "$HEAD\na,t,0,1\x00,5\n")"
python3 -c '
import sys
with open(sys.argv[1], "w") as f:
    f.write("job_id,tenant,submit_s,gpus,duration_s\n")
    for i in range(200000):
        f.write("j%d,t%d,%d,1,60\n" % (i, i, i))
' "$IN/tenants200k.csv"
check trace-200k-tenants-stats 0 "" -- "${TS[@]}" "$IN/tenants200k.csv"
python3 -c '
import sys
with open(sys.argv[1], "w") as f:
    f.write("job_id,tenant,submit_s,gpus,duration_s\n")
    for i in range(50000):
        f.write("j%d,t%d,%d,1,60\n" % (i, i, i))
' "$IN/tenants50k.csv"
check trace-50k-tenants-fairshare 0 "" -- simulate --cluster h100-sxm5-80gb:4x8 --trace "$IN/tenants50k.csv" --policy fairshare
check trace-many-types 2 "types.csv" -- "${TS[@]}" "$(python3 -c '
import sys
with open(sys.argv[1], "w") as f:
    f.write("job_id,tenant,submit_s,gpus,duration_s,accelerator\n")
    for i in range(100):
        f.write("j%d,t,0,1,60,gpu%d\n" % (i, i))
' "$IN/types.csv"; echo "$IN/types.csv")"
check sim-failures-livelock 0 "" -- simulate --cluster h100-sxm5-80gb:1x8 --trace "$(csv long.csv 'long,t,0,8,360000' 'short,t,0,8,60')" --gpu-mtbf 8h --checkpoint 0 --json
check sim-huge-mtbf 0 "" -- "${SIM[@]}" --gpu-mtbf 300y --json

# openb
OB=(trace stats --trace-format openb)
check openb-ok 0 "" -- "${OB[@]}" "$(openb ob_ok.csv 'p1,1000,1000,1,1000,A100,LS,Running,0,100,0')"
check openb-num-gpu-huge 2 "ob_huge.csv:2|num_gpu" -- "${OB[@]}" "$(openb ob_huge.csv 'p1,1000,1000,99999999,1000,A100,LS,Running,0,100,0')"
check openb-num-gpu-neg 2 "ob_neg.csv:2|num_gpu" -- "${OB[@]}" "$(openb ob_neg.csv 'p1,1000,1000,-1,1000,A100,LS,Running,0,100,0')"
check openb-gpu-milli-over 2 "ob_milli.csv:2|gpu_milli" -- "${OB[@]}" "$(openb ob_milli.csv 'p1,1000,1000,1,2000,A100,LS,Running,0,100,0')"
check openb-time-huge 2 "ob_time.csv:2|creation_time" -- "${OB[@]}" "$(openb ob_time.csv 'p1,1000,1000,1,1000,A100,LS,Running,1e15,1e15,1e15')"
check openb-deletion-before 2 "ob_del.csv|no jobs|deletion_time <= start" -- "${OB[@]}" "$(openb ob_del.csv 'p1,1000,1000,1,1000,A100,LS,Running,100,50,100')"
check openb-time-text 2 "ob_txt.csv:2|creation_time" -- "${OB[@]}" "$(openb ob_txt.csv 'p1,1000,1000,1,1000,A100,LS,Running,abc,100,0')"
check openb-missing-column 2 "ob_col.csv:1|num_gpu" -- "${OB[@]}" "$(raw ob_col.csv 'name,cpu_milli\np,1\n')"
check openb-no-gpu-pods 2 "no jobs|CPU-only" -- "${OB[@]}" "$(openb ob_cpu.csv 'p1,1000,1000,0,0,,LS,Running,0,100,0')"
check openb-duplicate-names 2 "ob_dup.csv:3|p1" -- "${OB[@]}" "$(openb ob_dup.csv 'p1,1000,1000,1,1000,A100,LS,Running,0,100,0' 'p1,1000,1000,1,1000,A100,LS,Running,0,100,0')"
check openb-nodes-bad 2 "nodes.csv:2|gpu" -- simulate --trace-format openb --trace "$IN/ob_ok.csv" --nodes "$(raw nodes.csv 'sn,cpu_milli,memory_mib,gpu,model\nn1,1000,1000,99999,A100\n')"
check openb-nodes-missing 2 "nonodes.csv: no such file" -- simulate --trace-format openb --trace "$IN/ob_ok.csv" --nodes "$IN/nonodes.csv"

# pai2020 (task table without header, and the job table)
PA=(trace stats --trace-format pai2020)
check pai-task-ok 0 "" -- "${PA[@]}" "$(raw pai_ok.csv 'j1,t1,1,Terminated,100,200,600,29,100,V100\n')"
check pai-task-fields 2 "pai_f.csv:1" -- "${PA[@]}" "$(raw pai_f.csv 'j1,t1,1,Terminated,100\n')"
check pai-task-inst-zero 2 "pai_i.csv:1|inst_num" -- "${PA[@]}" "$(raw pai_i.csv 'j1,t1,0,Terminated,100,200,600,29,100,V100\n')"
check pai-task-gpu-neg 2 "pai_g.csv:1|plan_gpu" -- "${PA[@]}" "$(raw pai_g.csv 'j1,t1,1,Terminated,100,200,600,29,-100,V100\n')"
check pai-task-time-huge 2 "pai_t.csv|no jobs|without a valid start and end time" -- "${PA[@]}" "$(raw pai_t.csv 'j1,t1,1,Terminated,0,1e308,600,29,100,V100\n')"
check pai-task-time-nan 2 "pai_n.csv:1|start_time" -- "${PA[@]}" "$(raw pai_n.csv 'j1,t1,1,Terminated,nan,200,600,29,100,V100\n')"
check pai-task-end-before 2 "pai_e.csv|no jobs|without a valid start and end time" -- "${PA[@]}" "$(raw pai_e.csv 'j1,t1,1,Terminated,300,200,600,29,100,V100\n')"
check pai-job-ok 0 "" -- "${PA[@]}" "$(raw paij_ok.csv "$PAI_JOB_HEAD\nj1,1,0,1,V100,100,u\n")"
check pai-job-gpu-neg 2 "paij_g.csv:2|num_gpu" -- "${PA[@]}" "$(raw paij_g.csv "$PAI_JOB_HEAD\nj1,1,0,-1,V100,100,u\n")"
check pai-job-inst-huge 2 "paij_i.csv:2|num_inst" -- "${PA[@]}" "$(raw paij_i.csv "$PAI_JOB_HEAD\nj1,1e7,0,1,V100,100,u\n")"
check pai-job-submit-huge 2 "paij_s.csv:3|submit" -- "${PA[@]}" "$(raw paij_s.csv "$PAI_JOB_HEAD\nj0,1,0,1,V100,100,u\nj1,1,1e15,1,V100,100,u\n")"
check pai-job-duration-huge 2 "paij_d.csv:2|duration" -- "${PA[@]}" "$(raw paij_d.csv "$PAI_JOB_HEAD\nj1,1,0,1,V100,1e308,u\n")"
check pai-job-duplicate 2 "paij_dup.csv:3|j1" -- "${PA[@]}" "$(raw paij_dup.csv "$PAI_JOB_HEAD\nj1,1,0,1,V100,100,u\nj1,1,5,1,V100,100,u\n")"

# swf
SW=(trace stats --trace-format swf)
check swf-ok 0 "" -- "${SW[@]}" "$(swf_line 1 0 100 4 200 >"$IN/ok.swf"; echo "$IN/ok.swf")"
check swf-fields 2 "f.swf:1|18 SWF fields" -- "${SW[@]}" "$(raw f.swf '1 0 0 100\n')"
check swf-submit-huge 2 "s.swf:1|submit" -- "${SW[@]}" "$(swf_line 1 1e15 100 4 200 >"$IN/s.swf"; echo "$IN/s.swf")"
check swf-run-huge 2 "r.swf:1|run" -- "${SW[@]}" "$(swf_line 1 0 1e308 4 200 >"$IN/r.swf"; echo "$IN/r.swf")"
check swf-procs-huge 2 "p.swf:1|processors" -- "${SW[@]}" "$(swf_line 1 0 100 1e12 200 >"$IN/p.swf"; echo "$IN/p.swf")"
check swf-text 2 "t.swf:1" -- "${SW[@]}" "$(swf_line 1 zero 100 4 200 >"$IN/t.swf"; echo "$IN/t.swf")"
check swf-duplicate 2 "d.swf:2" -- "${SW[@]}" "$({ swf_line 1 0 100 4 200; swf_line 1 5 100 4 200; } >"$IN/d.swf"; echo "$IN/d.swf")"
check swf-comments-only 2 "c.swf|no jobs" -- "${SW[@]}" "$(raw c.swf '; just a comment\n')"

# sacct
SA=(trace stats --trace-format sacct)
check sacct-ok 0 "" -- "${SA[@]}" "$(sacct s_ok.txt "$SACCT_OK")"
check sacct-sample 0 "" -- "${SA[@]}" "$DATA/traces/sample_sacct.txt"
check sacct-bad-time 2 "s_t.txt:2|Submit" -- "${SA[@]}" "$(sacct s_t.txt "${SACCT_OK/2024-03-01T08:00:00/2024-13-45T99:00:00}")"
check sacct-year-huge 2 "s_y.txt:2|Submit" -- "${SA[@]}" "$(sacct s_y.txt "${SACCT_OK/2024-03-01T08:00:00/99999-03-01T08:00:00}")"
check sacct-gpu-neg 2 "s_g.txt:2|gres/gpu" -- "${SA[@]}" "$(sacct s_g.txt "${SACCT_OK//gres\/gpu=1/gres/gpu=-1}")"
check sacct-gpu-huge 2 "s_h.txt:2|gres/gpu" -- "${SA[@]}" "$(sacct s_h.txt "${SACCT_OK//gres\/gpu=1/gres/gpu=99999999999}")"
check sacct-end-before 2 "s_e.txt|no jobs|End <= Start" -- "${SA[@]}" "$(sacct s_e.txt "${SACCT_OK/2024-03-01T10:00:05/2024-03-01T07:00:00}")"
check sacct-timelimit-bad 2 "s_l.txt:2|Timelimit" -- "${SA[@]}" "$(sacct s_l.txt "${SACCT_OK/04:00:00/4x:00:00}")"
check sacct-missing-column 2 "s_c.txt:1|AllocTRES" -- "${SA[@]}" "$(raw s_c.txt 'JobID|User|Submit\n1|a|2024-03-01T08:00:00\n')"
check sacct-duplicate 2 "s_d.txt:3|job id '1'" -- "${SA[@]}" "$(sacct s_d.txt "$SACCT_OK" "$SACCT_OK")"

# =============================================================================================
# 4. Models and catalogs.
MT=(size train --accelerator h100-sxm5-80gb --tokens 1T --gpus 64 --model)
check model-missing 2 "nomodel.toml: no such file" -- "${MT[@]}" "$IN/nomodel.toml"
check model-syntax 2 "m_syn.toml:2" -- "${MT[@]}" "$(raw m_syn.toml 'name = "m"\nlayers = = 3\n')"
check model-neg-layers 2 "m_neg.toml|layers" -- "${MT[@]}" "$(sed 's/^layers = 32/layers = -1/' "$DATA/models/llama3-8b.toml" >"$IN/m_neg.toml"; echo "$IN/m_neg.toml")"
check model-huge-hidden 2 "m_big.toml|hidden" -- "${MT[@]}" "$(sed 's/^hidden = 4096/hidden = 1e30/' "$DATA/models/llama3-8b.toml" >"$IN/m_big.toml"; echo "$IN/m_big.toml")"
check model-unknown-key 2 "m_unk.toml|layerz" -- "${MT[@]}" "$(sed 's/^layers = 32/layerz = 32/' "$DATA/models/llama3-8b.toml" >"$IN/m_unk.toml"; echo "$IN/m_unk.toml")"
check model-empty 2 "m_empty.toml" -- "${MT[@]}" "$(raw m_empty.toml '')"
check model-hf-bad-json 2 "config.json" -- "${MT[@]}" "$(mkdir -p "$IN/hf"; printf '{"hidden_size": ' >"$IN/hf/config.json"; echo "$IN/hf/config.json")"
check model-hf-huge 2 "hf2/config.json|num_hidden_layers" -- "${MT[@]}" "$(mkdir -p "$IN/hf2"; printf '{"model_type":"llama","hidden_size":4096,"num_hidden_layers":1e30,"num_attention_heads":32,"intermediate_size":14336,"vocab_size":128256}' >"$IN/hf2/config.json"; echo "$IN/hf2/config.json")"
check model-hf-neg 2 "hf3/config.json|hidden_size" -- "${MT[@]}" "$(mkdir -p "$IN/hf3"; printf '{"model_type":"llama","hidden_size":-4096,"num_hidden_layers":32,"num_attention_heads":32,"intermediate_size":14336,"vocab_size":128256}' >"$IN/hf3/config.json"; echo "$IN/hf3/config.json")"
check model-directory 3 "is a directory" -- "${MT[@]}" "$IN/hf"
check serve-model-bad 2 "m_neg.toml|layers" -- size serve --accelerator h100-sxm5-80gb --rps 1 --model "$IN/m_neg.toml"

check catalog-missing 2 "nocat.toml: no such file" -- catalog --catalog "$IN/nocat.toml" list
check catalog-syntax 2 "c_syn.toml:1" -- catalog --catalog "$(raw c_syn.toml '[[accelerator\n')" list
check catalog-empty 2 "c_empty.toml" -- catalog --catalog "$(raw c_empty.toml '')" list
python3 - "$DATA/accelerators.toml" "$IN" <<'EOF'
import re, sys
text = open(sys.argv[1]).read()
out = sys.argv[2]
# the first accelerator's first numeric key made negative, huge, and the file duplicated
first = text.index("\n[[accelerator]]\n")
second = text.index("\n[[accelerator]]\n", first + 1)
block = text[first:second]
open(out + "/c_dup.toml", "w").write(text + "\n" + block)
m = re.search(r"^(memory_gb) = .*$", text, re.M)
open(out + "/c_neg.toml", "w").write(text[:m.start()] + "memory_gb = -80" + text[m.end():])
open(out + "/c_huge.toml", "w").write(text[:m.start()] + "memory_gb = 1e300" + text[m.end():])
EOF
check catalog-duplicate-id 2 "c_dup.toml|id" -- catalog --catalog "$IN/c_dup.toml" list
check catalog-negative 2 "c_neg.toml|memory_gb" -- catalog --catalog "$IN/c_neg.toml" list
check catalog-huge 2 "c_huge.toml|memory_gb" -- catalog --catalog "$IN/c_huge.toml" list
check catalog-bad-for-train 2 "c_neg.toml|memory_gb" -- size train --catalog "$IN/c_neg.toml" --model llama3-8b --accelerator h100-sxm5-80gb --tokens 1T --gpus 64

# =============================================================================================
# 5. Outputs: pointed at inputs, at devices, at folders; two writers; signals mid-write.
check out-jobs-is-trace 2 "is also the input --trace" -- "${SIM[@]}" --jobs "$JOBS"
check out-timeline-is-trace 2 "is also the input" -- "${SIM[@]}" --timeline "$JOBS"
ln -sf "$JOBS" "$IN/jobs_link.csv"
check out-jobs-symlink-to-trace 2 "is also the input" -- "${SIM[@]}" --jobs "$IN/jobs_link.csv"
ln -f "$JOBS" "$W/jobs_hard.csv"
check out-jobs-hardlink-to-trace 2 "is also the input" -- "${SIM[@]}" --jobs "$W/jobs_hard.csv"
check out-jobs-equals-timeline 2 "name the same file" -- "${SIM[@]}" --jobs "$OUT/same.csv" --timeline "$OUT/same.csv"
check out-jobs-dev-null 3 "regular files" -- "${SIM[@]}" --jobs /dev/null
PIPE=1 check out-jobs-dev-stdout 3 "regular files" -- "${SIM[@]}" --jobs /dev/stdout
check out-jobs-no-folder 3 "nofolder" -- "${SIM[@]}" --jobs "$OUT/nofolder/j.csv"
mkdir -p "$OUT/adir"
check out-jobs-is-folder 3 "is a directory" -- "${SIM[@]}" --jobs "$OUT/adir"
check out-gen-is-folder 3 "is a directory" -- trace gen --out "$OUT/adir"
check out-gen-dev-null 3 "regular files" -- trace gen --out /dev/null
check out-buy-lp-is-scenario 2 "is also the input" -- buy --scenario "$SMALL" --write-lp "$SMALL"
check out-buy-mps-is-scenario 2 "is also the input" -- buy --scenario "$SMALL" --write-mps "$SMALL"
check out-sweep-csv-is-scenario 2 "is also the input" -- sweep "$SMALL" --grid budget.total=1e7,2e7 --csv "$SMALL"
check out-sweep-out-equals-csv 2 "name the same file" -- sweep "$SMALL" --grid budget.total=1e7,2e7 --csv "$OUT/sw.csv" --out "$OUT/sw.csv"
"$BIN" sweep "$SMALL" --grid budget.total=1e7,2e7 --shard 0/2 --out "$IN/shard0.json" >/dev/null 2>&1
"$BIN" sweep "$SMALL" --grid budget.total=1e7,2e7 --shard 1/2 --out "$IN/shard1.json" >/dev/null 2>&1
check out-sweep-merge-onto-shard 2 "is also the input" -- sweep --merge "$IN/shard0.json" "$IN/shard1.json" --out "$IN/shard0.json"
mkdir -p "$IN/repdir"
cp "$SMALL" "$IN/repdir/report.json"
check out-plan-over-scenario 2 "is also the input" -- plan "$IN/repdir/report.json" --out "$IN/repdir"
check out-plan-out-is-file 3 "small.toml" -- plan "$SMALL" --out "$SMALL"
cp "$FULL" "$IN/slurm.conf"
cp "$FULL" "$W/keep/slurm.conf"
check out-slurm-over-scenario 2 "is also the input" -- slurm-config --scenario "$IN/slurm.conf" --out "$IN"
check out-plan-csv-ok 0 "" -- plan "$SMALL" --out "$OUT/rep" --csv
EXTRA='is_json "$OUT/rep/report.json" && [[ -s "$OUT/rep/report.html" ]]' \
  check out-plan-pair 0 "" -- plan "$SMALL" --out "$OUT/rep"
EXTRA='is_json "$STDOUT"' check out-simulate-json 0 "" -- "${SIM[@]}" --json --jobs "$OUT/j.csv" --timeline "$OUT/t.csv"

# Two runs writing the same --out at once: each exits 0 or 3 (the lock), at least one 0, and
# the file is whole.
concurrent() {
  local name=$1 valid=$2
  shift 2
  total=$((total + 1))
  local before rc1 rc2 why=""
  before=$(fingerprint)
  rm -f "$OUT/both.csv"
  timeout -k 2 "$TIMEOUT_S" "$BIN" "$@" </dev/null >/dev/null 2>"$W/err1" &
  local p1=$!
  timeout -k 2 "$TIMEOUT_S" "$BIN" "$@" </dev/null >/dev/null 2>"$W/err2" &
  local p2=$!
  wait $p1
  rc1=$?
  wait $p2
  rc2=$?
  if [[ ($rc1 -ne 0 && $rc1 -ne 3) || ($rc2 -ne 0 && $rc2 -ne 3) || ($rc1 -ne 0 && $rc2 -ne 0) ]]; then
    why="exits $rc1 and $rc2 (each 0 or 3, one 0)"
  elif [[ $rc1 -eq 3 ]] && ! grep -q "another gpuplan run" "$W/err1"; then
    why="the refused run does not say why: $(head -c 200 "$W/err1")"
  elif [[ $rc2 -eq 3 ]] && ! grep -q "another gpuplan run" "$W/err2"; then
    why="the refused run does not say why: $(head -c 200 "$W/err2")"
  elif ! (eval "$valid") >/dev/null 2>&1; then
    why="the output is not whole: $valid"
  fi
  [[ -z "$why" && -n "$(leftovers)" ]] && why="left behind: $(leftovers | head -3 | tr '\n' ' ')"
  [[ -z "$why" && "$(fingerprint)" != "$before" ]] && why="an input file changed"
  leftovers | xargs -r rm -f
  if [[ -z "$why" ]]; then passed=$((passed + 1)); else fail "$name" "$why"; fi
}
concurrent concurrent-trace-gen '"$BIN" trace stats "$OUT/both.csv"' trace gen --jobs-per-day 2e4 --horizon 7d --out "$OUT/both.csv"
concurrent concurrent-simulate-jobs '[[ $(rows "$OUT/both.csv") -eq $(rows "$DATA/traces/sample.csv") ]]' simulate --cluster h100-sxm5-80gb:100x8 --trace "$DATA/traces/sample.csv" --jobs "$OUT/both.csv"
concurrent concurrent-trace-gen-2 '"$BIN" trace stats "$OUT/both.csv"' trace gen --jobs-per-day 1e3 --horizon 1d --out "$OUT/both.csv"

# A signal mid-write: the run stops (by the signal: rc 128+N), leaves no temp or lock file, and
# the target is either absent or its old contents, whole.
signal_case() {
  local name=$1 sig=$2 delay_s=$3 target=$4
  shift 4
  total=$((total + 1))
  local before why="" old_sum=""
  before=$(fingerprint)
  [[ -e "$target" ]] && old_sum=$(md5sum <"$target")
  "$BIN" "$@" </dev/null >/dev/null 2>"$W/errs" &
  local pid=$! waited=0 rc
  sleep "$delay_s"
  kill -"$sig" "$pid" 2>/dev/null
  while kill -0 "$pid" 2>/dev/null && [[ $waited -lt $((TIMEOUT_S * 10)) ]]; do
    sleep 0.1
    waited=$((waited + 1))
  done
  kill -KILL "$pid" 2>/dev/null
  wait "$pid"
  rc=$?
  if [[ $waited -ge $((TIMEOUT_S * 10)) ]]; then
    why="hung after SIG$sig"
  elif grep -qE 'terminate called|Assertion|runtime error:' "$W/errs"; then
    why="crash report: $(head -c 200 "$W/errs")"
  elif [[ -e "$target" && -n "$old_sum" && "$(md5sum <"$target")" != "$old_sum" && $rc -ne 0 ]]; then
    why="the old output changed though the run was stopped (rc $rc)"
  elif [[ -e "$target" && -z "$old_sum" && $rc -ne 0 ]]; then
    why="a stopped run left an output (rc $rc)"
  elif [[ -n "$(leftovers)" ]]; then
    why="left behind: $(leftovers | head -3 | tr '\n' ' ')"
  elif [[ "$(fingerprint)" != "$before" ]]; then
    why="an input file changed"
  fi
  leftovers | xargs -r rm -f
  if [[ -z "$why" ]]; then passed=$((passed + 1)); else fail "$name" "$why"; fi
}
GEN_BIG=(trace gen --jobs-per-day 2e5 --horizon 7d)
for sig in INT TERM HUP; do
  rm -f "$OUT/sig.csv"
  signal_case "sig$sig-trace-gen-new" "$sig" 0.5 "$OUT/sig.csv" "${GEN_BIG[@]}" --out "$OUT/sig.csv"
  echo "old contents" >"$OUT/sig_old.csv"
  signal_case "sig$sig-trace-gen-over-old" "$sig" 0.5 "$OUT/sig_old.csv" "${GEN_BIG[@]}" --out "$OUT/sig_old.csv"
done
"$BIN" trace gen --jobs-per-day 1e5 --horizon 7d --out "$IN/big.csv" >/dev/null 2>&1
rm -f "$OUT/sigj.csv"
signal_case sigINT-simulate-jobs INT 1 "$OUT/sigj.csv" simulate --cluster h100-sxm5-80gb:1000x8 --trace "$IN/big.csv" --jobs "$OUT/sigj.csv" --timeline "$OUT/sigt.csv"
rm -rf "$OUT/sigrep"
"$BIN" plan "$SMALL" --out "$OUT/sigrep" >/dev/null 2>&1
cp "$OUT/sigrep/report.json" "$W/old_report.json"
signal_case sigTERM-plan TERM 0.05 "$OUT/sigrep/report.json" plan "$FULL" --out "$OUT/sigrep"
total=$((total + 1))
if [[ -e "$OUT/sigrep/report.json" ]] && is_json "$OUT/sigrep/report.json" >/dev/null 2>&1; then
  passed=$((passed + 1))
else
  fail sigTERM-plan-pair "report.json is not whole after SIGTERM"
fi

echo "$passed/$total as the contract says"
[[ $passed -eq $total ]]
