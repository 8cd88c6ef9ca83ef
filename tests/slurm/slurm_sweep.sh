#!/usr/bin/env bash
# A real single-node Slurm cluster (Debian slurm-wlm + munge) started by this test in a
# private directory, on private ports, and stopped by it on every exit path: a 40-run
# sweep is planned, run as a 4-task `sbatch --array` job with a dependent merge job
# (the commands of docs/sweep.md), and the merged results.csv must be byte-identical to
# a local run's. Needs root. If the daemons cannot start, it fails and says why.
# Usage: slurm_sweep.sh OSTWIN   (from the repository root)
set -u
ostwin=$(realpath "$1")
root=$(pwd)
for b in munged slurmctld slurmd sbatch sinfo scancel; do
  command -v $b > /dev/null || { echo "FAIL: $b not found: install Debian's slurm-wlm and munge (scripts/setup.sh)"; exit 1; }
done
W=$(mktemp -d /tmp/ostwin-slurm.XXXXXX)
chmod 755 "$W"
# The daemons run in the foreground as this script's children, so that it stops and
# reaps exactly them (by pid) on every exit path.
pids=()
cleanup() {
  [ -n "${SLURM_CONF:-}" ] && timeout 5 scancel --quiet --user=root > /dev/null 2>&1
  [ ${#pids[@]} -gt 0 ] && kill "${pids[@]}" 2> /dev/null
  for i in $(seq 50); do
    alive=0
    for p in "${pids[@]}"; do kill -0 "$p" 2> /dev/null && alive=1; done
    [ $alive -eq 0 ] && break
    sleep 0.1
  done
  [ ${#pids[@]} -gt 0 ] && kill -9 "${pids[@]}" 2> /dev/null
  wait 2> /dev/null
  rm -rf "$W"
}
trap cleanup EXIT
die() { echo "FAIL: $*"; for l in "$W"/*.log "$W"/*.err; do [ -f "$l" ] && { echo "--- $l"; tail -20 "$l"; }; done; exit 1; }

# munge: its own key and socket.
dd if=/dev/urandom of="$W/munge.key" bs=1024 count=1 status=none && chmod 400 "$W/munge.key"
munged --foreground --force --key-file="$W/munge.key" --socket="$W/munge.sock" --pid-file="$W/munged.pid" \
  --log-file="$W/munged.log" --seed-file="$W/munge.seed" &
pids+=($!)
for i in $(seq 50); do [ -S "$W/munge.sock" ] && break; sleep 0.1; done
[ -S "$W/munge.sock" ] || die "munged did not start"

host=$(hostname -s)
port=$((20000 + $$ % 20000))
mkdir -p "$W/state" "$W/spool"
cat > "$W/slurm.conf" <<CONF
ClusterName=ostwintest
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$W/munge.sock
CredType=cred/munge
SlurmctldPort=$port
SlurmdPort=$((port + 1))
StateSaveLocation=$W/state
SlurmdSpoolDir=$W/spool
SlurmctldPidFile=$W/slurmctld.pid
SlurmdPidFile=$W/slurmd.pid
SlurmctldLogFile=$W/slurmctld.log
SlurmdLogFile=$W/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SwitchType=switch/none
MpiDefault=none
MailProg=/bin/true
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
NodeName=$host NodeAddr=127.0.0.1 CPUs=$(nproc) State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF="$W/slurm.conf"
slurmctld -D -f "$SLURM_CONF" 2> "$W/slurmctld.err" &
pids+=($!)
ctld=$!
slurmd -D -f "$SLURM_CONF" 2> "$W/slurmd.err" &
pids+=($!)
# Up to 30 s for the node to register (each query bounded: a dead controller hangs it).
end=$((SECONDS + 30))
state=
while [ $SECONDS -lt $end ]; do
  state=$(timeout 3 sinfo -h -o %t 2> /dev/null)
  case "$state" in idle*|mix*|alloc*) break ;; esac
  kill -0 $ctld 2> /dev/null || die "slurmctld exited"
  sleep 0.5
done
case "$state" in idle*|mix*|alloc*) ;; *) die "the node did not come up (sinfo: '$state')" ;; esac

# The sweep: 2 files x 10 x 2 = 40 runs, as 4 array tasks and a merge.
S="scenarios/sweep/processes.yaml scenarios/sweep/threads.yaml"
"$ostwin" sweep $S --set workers=1..10 --set msg=64B,4KiB -o "$W/local" -j 2 2> /dev/null || die "local sweep"
"$ostwin" sweep $S --set workers=1..10 --set msg=64B,4KiB --plan "$W/plan" 2> /dev/null || die "plan"
id=$(sbatch --parsable --chdir="$root" --output="$W/shard-%a.log" --array=1-4 \
  --wrap "'$ostwin' sweep --shard \$SLURM_ARRAY_TASK_ID/4 '$W/plan' -j 1") || die "sbatch of the array failed"
timeout 120 sbatch --wait --chdir="$root" --output="$W/merge.log" --dependency=afterany:$id \
  --wrap "'$ostwin' sweep --merge '$W/plan'" > /dev/null || die "the merge job failed"
ls "$W/plan"/timings-*-of-4.csv > /dev/null 2>&1 || die "no shard timings"
[ "$(ls "$W/plan"/timings-*-of-4.csv | wc -l)" -eq 4 ] || die "expected 4 shards' timings"
[ "$(wc -l < "$W/plan/results.csv")" -eq 41 ] || die "merged results.csv has $(wc -l < "$W/plan/results.csv") lines"
cmp "$W/local/results.csv" "$W/plan/results.csv" || die "merged results.csv differs from the local run's"
cmp "$W/local/results.json" "$W/plan/results.json" || die "merged results.json differs"
# A replicated sweep through `ostwin sweep --slurm` (it plans, submits and returns):
# 10 points x 4 replications = 40 runs, whose seeds and statistics match a local run's.
R="tests/cli/data/sweep_random.yaml --set base=1..10 --replications 4"
"$ostwin" sweep $R -o "$W/rlocal" -j 2 2> /dev/null || die "local replicated sweep"
ids=$(cd "$root" && "$ostwin" sweep $R -o "$W/auto" --slurm --array-size 4 \
  --time 10 2> "$W/auto.err") || die "sweep --slurm: $(cat "$W/auto.err")"
grep -q "submitted 4 shards as Slurm array job" "$W/auto.err" || die "sweep --slurm said: $(cat "$W/auto.err")"
end=$((SECONDS + 120))
while [ $SECONDS -lt $end ] && [ -n "$(timeout 3 squeue -h -o %i 2> /dev/null)" ]; do sleep 0.5; done
[ -z "$(timeout 3 squeue -h -o %i 2> /dev/null)" ] || die "jobs $ids still queued after 120 s"
[ "$(ls "$W/auto"/slurm-shard-*.out | wc -l)" -eq 4 ] || die "expected 4 shard logs"
[ "$(wc -l < "$W/auto/results.csv")" -eq 41 ] || die "--slurm: merged results.csv has $(wc -l < "$W/auto/results.csv") lines: $(cat "$W/auto/slurm-merge.out")"
cmp "$W/rlocal/results.csv" "$W/auto/results.csv" || die "--slurm: merged results.csv differs from the local run's: $(cat "$W/auto/slurm-merge.out")"
cmp "$W/rlocal/results.json" "$W/auto/results.json" || die "--slurm: merged results.json differs from the local run's"
echo "slurm: 40 runs as 4 array tasks + merge (sbatch by hand, and --slurm with --replications 4); results.csv and results.json identical to the local runs'"
