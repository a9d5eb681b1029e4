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
sacctmgr -i add cluster gpuplantest >/dev/null
start_slurmctld() {
  slurmctld -D -i >>"$tmp/slurmctld.out" 2>&1 &
  ctld_pid=$!
  pids+=("$ctld_pid")
  wait_for 30 scontrol ping || skip "slurmctld did not start:
$(log_tail "$tmp/slurmctld.out")"
}
start_slurmctld

# --- the planned partitions are in slurmctld -----------------------------------------------
nparts=$(jq '.partitions | length' "$tmp/plan.json")
((nparts >= 2)) || fail "slurm-config wrote $nparts partitions; scenario.toml plans two types"
for ((i = 0; i < nparts; i++)); do
  name=$(jq -r ".partitions[$i].name" "$tmp/plan.json")
  nodes=$(jq -r ".partitions[$i].nodes" "$tmp/plan.json")
  gpn=$(jq -r ".partitions[$i].gpus_per_node" "$tmp/plan.json")
  list=$(jq -r ".partitions[$i].node_list" "$tmp/plan.json")
  line=$(scontrol -o show partition "$name") || fail "slurmctld lacks partition $name"
  for want in " Nodes=$list " " TotalNodes=$nodes " "gres/gpu=$((nodes * gpn))"; do
    grep -qF -- "$want" <<<"$line" || fail "partition $name: want '$want' in: $line"
  done
  # FUTURE nodes are listed only with --future.
  with_gres=$(scontrol --future -o show node "$list" | grep -c " Gres=gpu:$name:$gpn ") || true
  ((with_gres == nodes)) || fail "partition $name: $with_gres of its $nodes nodes have \
Gres=gpu:$name:$gpn: $(scontrol --future -o show node "$list" 2>&1 | head -2)"
  echo "ok: partition $name, $nodes nodes with Gres=gpu:$name:$gpn"
done

# --- the planned accounts are in slurmdbd --------------------------------------------------
sh "$tmp/plan/sacctmgr.sh" >"$tmp/sacctmgr.out" 2>&1 ||
  fail "sacctmgr refused gpuplan's commands: $(cat "$tmp/sacctmgr.out")"
naccounts=$(jq '.accounts | length' "$tmp/plan.json")
for ((i = 0; i < naccounts; i++)); do
  acct=$(jq -r ".accounts[$i].name" "$tmp/plan.json")
  share=$(jq -r ".accounts[$i].fairshare" "$tmp/plan.json")
  quota=$(jq -r ".accounts[$i].quota_gpus" "$tmp/plan.json")
  got=$(sacctmgr -n -P show assoc where account="$acct" user= format=Account,Fairshare,GrpTRES |
        head -1)
  want="$acct|$share|"
  ((quota == 0)) || want+="gres/gpu=$quota"
  [[ "$got" == "$want" ]] || fail "account $acct: sacctmgr shows '$got', want '$want'"
  echo "ok: account $got"
done

slurmd -D -N "$node" >"$tmp/slurmd.out" 2>&1 &
pids+=($!)
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
  jid=$(sbatch --parsable -p local --gres="gpu:$gpus" -t 1 -J "$id" -o /dev/null \
        --wrap "sleep $duration_s" </dev/null) || fail "sbatch refused job $id"
  ids+=("$jid")
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
epoch() { date -d "$1" +%s; }
first_submit=$(epoch "$(awk -F'|' 'NR == 2 { print $5 }' "$tmp/jobs.sacct")")
max_start_err=0 max_submit_err=0 max_run_err=0 waited=0
i=0
while IFS=, read -r id tenant submit_s gpus duration_s; do
  [[ "$id" == job_id ]] && continue
  jid=${ids[i]}
  i=$((i + 1))
  row=$(awk -F'|' -v j="$jid" '$1 == j' "$tmp/jobs.sacct")
  [[ -n "$row" ]] || fail "job $id (Slurm $jid) is not in the export"
  IFS='|' read -r _ _ account _ submit start _ <<<"$row"
  slurm_start_s=$(($(epoch "$start") - first_submit))
  replay=$(awk -F, -v j="$jid" '$1 == j' "$tmp/replay.csv")
  [[ -n "$replay" ]] || fail "job $id (Slurm $jid) is not in gpuplan's replay"
  IFS=, read -r _ r_tenant r_submit r_start _ r_gpus _ _ _ _ _ r_run _ <<<"$replay"
  [[ "$account" == root && "$r_tenant" == root ]] ||
    fail "job $id: account $account, replayed tenant $r_tenant, want root (see above)"
  [[ "$r_gpus" == "$gpus" ]] || fail "job $id: $r_gpus GPUs read back, $gpus submitted"
  errs=$(awk -v a="$r_submit" -v b="$submit_s" -v c="$r_run" -v d="$duration_s" \
             -v e="$r_start" -v f="$slurm_start_s" \
             'function abs(x) { return x < 0 ? -x : x }
              BEGIN { printf "%.2f %.2f %.2f %.2f", abs(a - b), abs(c - d), abs(e - f), f - a }')
  read -r submit_err run_err start_err slurm_wait <<<"$errs"
  echo "job $id: submitted ${submit_s} s, read back ${r_submit} s; ran ${duration_s} s, read" \
       "back ${r_run} s; Slurm started it at ${slurm_start_s} s, gpuplan's fifo at ${r_start} s"
  awk -v x="$submit_err" 'BEGIN { exit !(x <= 1.5) }' ||
    fail "job $id: submit time off by $submit_err s"
  awk -v x="$run_err" 'BEGIN { exit !(x <= 1.5) }' || fail "job $id: run time off by $run_err s"
  awk -v x="$start_err" 'BEGIN { exit !(x <= 2.5) }' ||
    fail "job $id: Slurm and gpuplan's fifo start it $start_err s apart"
  awk -v x="$slurm_wait" 'BEGIN { exit !(x >= 2) }' && waited=$((waited + 1))
  max_submit_err=$(awk -v a="$max_submit_err" -v b="$submit_err" 'BEGIN { print (b > a ? b : a) }')
  max_run_err=$(awk -v a="$max_run_err" -v b="$run_err" 'BEGIN { print (b > a ? b : a) }')
  max_start_err=$(awk -v a="$max_start_err" -v b="$start_err" 'BEGIN { print (b > a ? b : a) }')
done <"$here/jobs.csv"
# jobs.csv asks for more than 8 GPUs at once: some jobs must have waited for others.
((waited >= 3)) || fail "only $waited jobs waited >= 2 s for GPUs; the trace makes 4 wait"
total_s=$(awk -v a="$started_at" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
echo "ok: ${#ids[@]} jobs round-tripped; max error: submit ${max_submit_err} s, run" \
     "${max_run_err} s, start vs fifo ${max_start_err} s; $waited jobs waited; total ${total_s} s"
