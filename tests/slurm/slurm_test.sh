#!/usr/bin/env bash
# The Slurm round trip, on a real Slurm (Debian's slurm-wlm) started here on localhost:
#  1. munged, MariaDB, slurmdbd, slurmctld and slurmd in a temp folder with their own config: one
#     node with 8 generic GPUs, plus the partitions `gpuplan slurm-config` writes for
#     scenario.toml (Include'd: slurmctld must accept them);
#  2. the accounts of that scenario through its sacctmgr.sh (sacctmgr must accept them; their
#     fair-share and GPU quota are read back);
#  3. the jobs of jobs.csv (a gpuplan trace) submitted with sbatch --gres=gpu:N at their submit
#     times, each a `sleep` of its duration. They run as root under root's default account, not
#     their tenant's: Debian's slurmctld 22.05.8 segfaults (assoc_mgr_update_assocs) when a user
#     is added to an account with GrpTRES while it runs, and with MariaDB 10.11 slurmdbd stops
#     listing accounts that have users, so per-tenant associations cannot be set up here;
#  4. `sacct --parsable2 --allocations` read back with `gpuplan trace stats --trace-format sacct`
#     and `gpuplan simulate --trace-format sacct`: jobs, GPUs, submit times and durations must
#     match what was submitted, and the start times Slurm chose must match gpuplan's fifo replay
#     of the same jobs on the same node.
# Every daemon started here is stopped on exit. Exit 77 (ctest: skipped) with the reason when the
# Slurm daemons are not installed or slurmctld/slurmd cannot start here.
# Usage: slurm_test.sh GPUPLAN_BINARY   (env KEEP=1 keeps the temp folder for a look)
set -euo pipefail
gpuplan=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
started_at=$(date +%s.%N)

skip() {
  echo "SKIPPED: the Slurm round trip did not run: $*"
  exit 77
}
fail() {
  echo "FAIL: $*"
  exit 1
}

for tool in munged mariadbd slurmdbd slurmctld slurmd sbatch sacct sacctmgr scontrol sinfo \
            squeue jq; do
  command -v "$tool" >/dev/null ||
    PATH=$PATH:/usr/sbin command -v "$tool" >/dev/null ||
    skip "'$tool' is not installed (scripts/install-deps.sh --slurm installs it)"
done
export PATH=$PATH:/usr/sbin
[[ $(id -u) -eq 0 ]] || skip "the daemons run as root here (SlurmUser=root); run as root (CI does)"

tmp=$(mktemp -d /tmp/gpuplan-slurm.XXXXXX)
chmod 755 "$tmp"  # munged wants its socket's folder reachable by all
pids=()
cleanup() {
  local pid
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do kill "${pids[i]}" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done
  if [[ "${KEEP:-0}" == 1 ]]; then echo "kept $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT

# Waits up to $1 seconds for the command after it to succeed.
wait_for() {
  local limit=$1
  shift
  local deadline=$((SECONDS + limit))
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || return 1
    sleep 0.2
  done
}
log_tail() { tail -n 8 "$1" 2>/dev/null | sed 's/^/    /'; }
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Four free ports in a row, from a random base.
base=0
for _ in $(seq 20); do
  b=$((20000 + RANDOM % 30000))
  if port_free "$b" && port_free $((b + 1)) && port_free $((b + 2)) && port_free $((b + 3)); then
    base=$b
    break
  fi
done
((base > 0)) || skip "found no four free TCP ports on 127.0.0.1"
db_port=$base ctld_port=$((base + 1)) slurmd_port=$((base + 2)) dbd_port=$((base + 3))

# --- munge ---------------------------------------------------------------------------------
mkdir -m 700 "$tmp/munge"
dd if=/dev/urandom of="$tmp/munge/key" bs=1024 count=1 status=none
chmod 600 "$tmp/munge/key"
sock=$tmp/munge/munge.socket
munged -F -f --socket="$sock" --key-file="$tmp/munge/key" --log-file="$tmp/munge/log" \
  --pid-file="$tmp/munge/pid" --seed-file="$tmp/munge/seed" >"$tmp/munged.out" 2>&1 &
pids+=($!)
wait_for 10 test -S "$sock" || skip "munged did not start:
$(log_tail "$tmp/munged.out")"

# --- MariaDB for slurmdbd (sacct reads accounting through it) -------------------------------
mkdir "$tmp/db"
mariadbd --no-defaults --datadir="$tmp/db" --socket="$tmp/db.sock" --port="$db_port" \
  --bind-address=127.0.0.1 --user=root --skip-grant-tables --skip-log-bin \
  --innodb-buffer-pool-size=16M --pid-file="$tmp/db.pid" --log-error="$tmp/db.err" &
pids+=($!)
wait_for 20 test -S "$tmp/db.sock" || skip "mariadbd did not start:
$(log_tail "$tmp/db.err")"

# --- Slurm's configuration -----------------------------------------------------------------
export SLURM_CONF=$tmp/slurm.conf
node=gpuplan-local
"$gpuplan" slurm-config --scenario "$here/scenario.toml" --out "$tmp/plan" --json \
  >"$tmp/plan.json" || fail "gpuplan slurm-config failed"
cat >"$tmp/slurmdbd.conf" <<EOF
AuthType=auth/munge
AuthInfo=socket=$sock
DbdHost=localhost
DbdPort=$dbd_port
SlurmUser=root
LogFile=$tmp/slurmdbd.log
PidFile=$tmp/slurmdbd.pid
StorageType=accounting_storage/mysql
StorageHost=127.0.0.1
StoragePort=$db_port
StorageUser=root
StorageLoc=gpuplan_acct
EOF
chmod 600 "$tmp/slurmdbd.conf"
# GresTypes and AccountingStorageTRES come from the Include'd file gpuplan wrote.
cat >"$tmp/slurm.conf" <<EOF
ClusterName=gpuplantest
SlurmctldHost=localhost
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
AuthType=auth/munge
AuthInfo=socket=$sock
AccountingStoragePass=$sock
CredType=cred/munge
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$tmp/state
SlurmdSpoolDir=$tmp/spool
SlurmctldPidFile=$tmp/slurmctld.pid
SlurmdPidFile=$tmp/slurmd.pid
SlurmctldLogFile=$tmp/slurmctld.log
SlurmdLogFile=$tmp/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=localhost
AccountingStoragePort=$dbd_port
SchedulerType=sched/builtin
SchedulerParameters=batch_sched_delay=0
PriorityType=priority/basic
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SlurmdParameters=config_overrides
MpiDefault=none
ReturnToService=2
MailProg=/bin/true
Include $tmp/planned.conf
NodeName=$node NodeHostname=$(uname -n) NodeAddr=127.0.0.1 CPUs=16 Gres=gpu:8 State=UNKNOWN
PartitionName=local Nodes=$node MaxTime=10 State=UP
EOF
# The planned nodes do not exist here, and slurmctld spends 10 s failing to resolve each node at
# start unless it is State=FUTURE (defined, not yet there): the one change to gpuplan's file.
sed 's/ State=UNKNOWN$/ State=FUTURE/' "$tmp/plan/slurm.conf" >"$tmp/planned.conf"
grep -q 'State=FUTURE' "$tmp/planned.conf" || fail "no NodeName lines in gpuplan's slurm.conf"
# gpu GRES without device files are dropped by slurmd, so the local node's 8 GPUs are 8 empty
# files (slurmd logs that they are not devices, and counts them).
mkdir "$tmp/dev" "$tmp/state" "$tmp/spool"
for i in $(seq 0 7); do : >"$tmp/dev/gpu$i"; done
cp "$tmp/plan/gres.conf" "$tmp/gres.conf"
echo "NodeName=$node Name=gpu File=$tmp/dev/gpu[0-7]" >>"$tmp/gres.conf"

# --- the daemons ---------------------------------------------------------------------------
slurmdbd -D >"$tmp/slurmdbd.out" 2>&1 &
pids+=($!)
wait_for 30 sacctmgr -n show cluster || skip "slurmdbd did not start:
$(log_tail "$tmp/slurmdbd.out")"
start_slurmctld() {
  slurmctld -D -i >>"$tmp/slurmctld.out" 2>&1 &
  ctld_pid=$!
  pids+=("$ctld_pid")
  wait_for 30 scontrol ping || skip "slurmctld did not start:
$(log_tail "$tmp/slurmctld.out")"
}
start_slurmctld
# slurmd registers while the checks below run.
slurmd -D -N "$node" >"$tmp/slurmd.out" 2>&1 &
pids+=($!)

# --- the planned partitions are in slurmctld -----------------------------------------------
# One jq call per table (each call costs a process start).
nparts=0
while IFS=$'\t' read -r name nodes gpn list; do
  nparts=$((nparts + 1))
  line=$(scontrol -o show partition "$name") || fail "slurmctld lacks partition $name"
  for want in " Nodes=$list " " TotalNodes=$nodes " "gres/gpu=$((nodes * gpn))"; do
    grep -qF -- "$want" <<<"$line" || fail "partition $name: want '$want' in: $line"
  done
  # FUTURE nodes are listed only with --future.
  with_gres=$(scontrol --future -o show node "$list" | grep -c " Gres=gpu:$name:$gpn ") || true
  ((with_gres == nodes)) || fail "partition $name: $with_gres of its $nodes nodes have \
Gres=gpu:$name:$gpn: $(scontrol --future -o show node "$list" 2>&1 | head -2)"
  echo "ok: partition $name, $nodes nodes with Gres=gpu:$name:$gpn"
done < <(jq -r '.partitions[] | [.name, .nodes, .gpus_per_node, .node_list] | @tsv' \
           "$tmp/plan.json")
((nparts >= 2)) || fail "slurm-config wrote $nparts partitions; scenario.toml plans two types"

# --- the planned accounts are in slurmdbd --------------------------------------------------
sh "$tmp/plan/sacctmgr.sh" >"$tmp/sacctmgr.out" 2>&1 ||
  fail "sacctmgr refused gpuplan's commands: $(cat "$tmp/sacctmgr.out")"
naccounts=0
while IFS=$'\t' read -r acct share quota; do
  naccounts=$((naccounts + 1))
  # Per account: without `account=`, this slurmdbd leaves some accounts out.
  got=$(sacctmgr -n -P show assoc where account="$acct" user= format=Account,Fairshare,GrpTRES |
        head -1)
  want="$acct|$share|"
  ((quota == 0)) || want+="gres/gpu=$quota"
  [[ "$got" == "$want" ]] || fail "account $acct: sacctmgr shows '$got', want '$want'"
  echo "ok: account $got"
done < <(jq -r '.accounts[] | [.name, .fairshare, .quota_gpus] | @tsv' "$tmp/plan.json")
((naccounts >= 2)) || fail "slurm-config wrote $naccounts accounts; scenario.toml has three tenants"

node_idle() { [[ $(sinfo -h -n "$node" -o %T) == idle ]]; }
wait_for 30 node_idle || skip "slurmd did not bring node $node up (state: \
$(sinfo -h -n "$node" -o %T 2>&1)):
$(log_tail "$tmp/slurmctld.log")"
up_s=$(awk -v a="$started_at" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
echo "slurm up in ${up_s} s: slurmctld $(slurmctld -V | awk '{print $2}'), node $node with \
$(sinfo -h -n "$node" -o %G)"

# --- submit jobs.csv -----------------------------------------------------------------------
t0=$(date +%s.%N)
ids=()
while IFS=, read -r id tenant submit_s gpus duration_s; do
  [[ "$id" == job_id ]] && continue
  delay=$(awk -v t0="$t0" -v s="$submit_s" -v now="$(date +%s.%N)" \
          'BEGIN { d = t0 + s - now; printf "%.3f", (d > 0 ? d : 0) }')
  sleep "$delay"
  before=$(date +%s.%N)
  jid=$(sbatch --parsable -p local --gres="gpu:$gpus" -t 1 -J "$id" -o /dev/null \
        --wrap "sleep $duration_s" </dev/null) || fail "sbatch refused job $id"
  ids+=("$jid")
  # When sbatch ran: slurmctld stamps Submit between these two clock reads (same host clock).
  echo "$jid,$before,$(date +%s.%N),$t0" >>"$tmp/sbatch_times.csv"
done <"$here/jobs.csv"
joblist=$(IFS=,; echo "${ids[*]}")
fields=JobID,User,Account,Partition,Submit,Start,End,Elapsed,AllocTRES,ReqTRES,Timelimit,State
all_done() {
  [[ -z $(squeue -h -j "$joblist" 2>/dev/null) ]] &&
    [[ $(sacct -n -X -P -j "$joblist" -o State | grep -c COMPLETED) -eq ${#ids[@]} ]]
}
wait_for 60 all_done || fail "jobs did not all complete within 60 s:
$(sacct -X -j "$joblist" -o JobID,State,Reason 2>&1)"
sacct --parsable2 --allocations -j "$joblist" --format="$fields" >"$tmp/jobs.sacct"

# --- read it back --------------------------------------------------------------------------
"$gpuplan" trace stats "$tmp/jobs.sacct" --trace-format sacct --json >"$tmp/got.json" ||
  fail "gpuplan could not read the export: $(cat "$tmp/jobs.sacct")"
"$gpuplan" trace stats "$here/jobs.csv" --json >"$tmp/want.json"
for key in jobs fractional_jobs by_size; do
  got=$(jq -c ".$key | if type == \"array\" then map({gpus, jobs}) else . end" "$tmp/got.json")
  want=$(jq -c ".$key | if type == \"array\" then map({gpus, jobs}) else . end" "$tmp/want.json")
  [[ "$got" == "$want" ]] || fail "trace stats .$key: sacct export gives $got, jobs.csv $want"
done
echo "ok: trace stats of the export: $(jq -c '{jobs, tenants, by_size: [.by_size[] | {gpus, jobs}]}' "$tmp/got.json")"

# Per job: the replay's submit times and run times are the export's; its start times are what
# gpuplan's fifo predicts on one 8-GPU node. Slurm's start times come straight from the export.
"$gpuplan" simulate --cluster h100-sxm5-80gb:1x8 --trace "$tmp/jobs.sacct" --trace-format sacct \
  --policy fifo --jobs "$tmp/replay.csv" >/dev/null || fail "gpuplan simulate on the export failed"
# Slurm's submit and start times in epoch seconds, all through one `date`: jid,account,submit,start.
awk -F'|' 'NR > 1 { print $5; print $6 }' "$tmp/jobs.sacct" | date -f - +%s | paste -d, - - |
  paste -d, <(awk -F'|' 'NR > 1 { print $1 "," $3 }' "$tmp/jobs.sacct") - >"$tmp/slurm_times.csv"
# One awk over Slurm's times, sbatch's clock reads, gpuplan's replay (columns by name: simulate
# --jobs gains columns) and jobs.csv, in submission order (ids). Checks, in s:
#  - gpuplan's replayed submit time is exactly Slurm's Submit less the first job's (both whole
#    seconds in the export): gpuplan reads the times, nothing to tolerate;
#  - Slurm's Submit lies between the clock reads before and after that job's sbatch (Submit is
#    slurmctld's time(), truncated to the second, hence int(before));
#  - vs jobs.csv, submit <= 1 + late(job) + late(first job), where late is how long after its
#    planned time sbatch returned: the two Submit stamps are each truncated (< 1 s together) and
#    each submission is late by the sleep's overshoot plus sbatch's start, munge and RPC, which on
#    a loaded machine has been over a second (the old fixed 1.5 s failed once, "off by 2 s");
#  - run <= 1.5 (sacct rounds to seconds; the job's own sleep starts after slurmd's launch);
#  - start vs fifo <= 1.5 + 1 per job it waited for in a chain (hops: c waits for a, d for c), as
#    slurmctld starts the next job up to a second after one ends (its scheduling thread wakes
#    once a second).
summary=$(awk -F, -v ids="${ids[*]}" '
  function abs(x) { return x < 0 ? -x : x }
  function bad(msg) { print "FAIL: " msg; failed = 1; exit }
  FILENAME == ARGV[2] {
    acct[$1] = $2; ssub[$1] = $3; start[$1] = $4; if (first == "" || $3 < first) first = $3; next
  }
  FILENAME == ARGV[1] { before[$1] = $2; after[$1] = $3; t0 = $4; next }
  FILENAME == ARGV[3] && FNR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
  FILENAME == ARGV[3] {
    tenant[$1] = $col["tenant"]; rsub[$1] = $col["submit_s"]; rstart[$1] = $col["start_s"]
    rgpus[$1] = $col["gpus"]; rrun[$1] = $col["run_s"]
    # hops: 0 for a job started on submission, else 1 + that of a job whose end freed its GPUs.
    hops[$1] = 0
    if ($col["start_s"] > $col["submit_s"])
      for (p in rend) if (rend[p] == $col["start_s"] && hops[p] + 1 > hops[$1]) hops[$1] = hops[p] + 1
    rend[$1] = $col["end_s"]; next
  }
  FNR == 1 { split(ids, jid, " "); j1 = jid[1]; late1 = after[j1] - t0; next }
  {
    k++; j = jid[k]; id = $1; submit_s = $3; gpus = $4; duration_s = $5
    if (!(j in after)) bad("job " id " (Slurm " j ") has no sbatch clock reads")
    if (!(j in acct)) bad("job " id " (Slurm " j ") is not in the export")
    if (!(j in rsub)) bad("job " id " (Slurm " j ") is not in gpuplan'"'"'s replay")
    if (acct[j] != "root" || tenant[j] != "root")
      bad("job " id ": account " acct[j] ", replayed tenant " tenant[j] ", want root (see above)")
    if (rgpus[j] != gpus) bad("job " id ": " rgpus[j] " GPUs read back, " gpus " submitted")
    slurm_start = start[j] - first
    e_sub = abs(rsub[j] - submit_s); e_run = abs(rrun[j] - duration_s)
    e_start = abs(rstart[j] - slurm_start)
    printf "job %s: submitted %s s, read back %s s; ran %s s, read back %s s; Slurm started it" \
           " at %s s, gpuplan'"'"'s fifo at %s s (%d hops)\n", id, submit_s, rsub[j], duration_s,
           rrun[j], slurm_start, rstart[j], hops[j]
    if (rsub[j] != ssub[j] - first)
      bad("job " id ": gpuplan replays its submit at " rsub[j] " s, the export says " ssub[j] - first " s")
    if (ssub[j] < int(before[j]) || ssub[j] > after[j])
      bad(sprintf("job %s: Slurm stamped Submit %d, outside its sbatch call [%.3f, %.3f]", id, ssub[j], before[j], after[j]))
    late = after[j] - (t0 + submit_s)
    if (e_sub > 1 + late + late1)
      bad(sprintf("job %s: submit time off by %g s, more than 1 s of rounding + %.3f s this sbatch was late + %.3f s the first was", id, e_sub, late, late1))
    if (late > max_late) max_late = late
    if (e_run > 1.5) bad("job " id ": run time off by " e_run " s")
    if (e_start > 1.5 + hops[j]) bad("job " id ": Slurm and gpuplan'"'"'s fifo start it " e_start " s apart")
    if (slurm_start - rsub[j] >= 2) waited++
    if (e_sub > max_sub) max_sub = e_sub
    if (e_run > max_run) max_run = e_run
    if (e_start > max_start) max_start = e_start
  }
  END {
    if (failed) exit 1
    # jobs.csv asks for more than 8 GPUs at once: some jobs must have waited for others.
    if (waited < 3) { print "FAIL: only " waited + 0 " jobs waited >= 2 s for GPUs; the trace makes 4 wait"; exit 1 }
    printf "max error: submit %g s (sbatch up to %.3f s late), run %g s, start vs fifo %g s; %d jobs waited\n",
           max_sub, max_late, max_run, max_start, waited
  }' "$tmp/sbatch_times.csv" "$tmp/slurm_times.csv" "$tmp/replay.csv" "$here/jobs.csv") || {
  sed '$d' <<<"$summary"
  fail "${summary##*FAIL: }"
}
sed '$d' <<<"$summary"
total_s=$(awk -v a="$started_at" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
echo "ok: ${#ids[@]} jobs round-tripped; $(tail -n 1 <<<"$summary"); total ${total_s} s"
