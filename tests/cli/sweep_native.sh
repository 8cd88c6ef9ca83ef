#!/usr/bin/env bash
# `ostwin sweep --native` (docs/sweep.md): each point also run for real, right after its
# simulated row; a point this host cannot run is a `host-cannot` row; traces kept;
# a rerun runs nothing again. Needs root (the native runner); takes the host lock.
# Usage: sweep_native.sh OSTWIN OUTDIR   (from the repository root)
set -u
ostwin=$1
out=$2
rm -rf "$out"
mkdir -p "$out"
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
F=tests/cli/data/sweep_expect.yaml

"$ostwin" sweep $F --set ms=1,2 --set cpus=1,64 --native -o "$out/n" 2> "$out/n.err"
rc=$?
cat "$out/n.err"
# cpus=64 cannot run natively here: exit 1 with that row; everything else ran.
[ $rc -eq 1 ] || fail "exit $rc, expected 1 (the cpus=64 native rows)"
[ "$(wc -l < "$out/n/results.csv")" -eq 9 ] || fail "expected 8 rows"
cut -d, -f1-6 "$out/n/results.csv" > "$out/n/cols.csv"
[ "$(sed -n 2,3p "$out/n/cols.csv" | tr '\n' ' ')" = "$F,0,0,sim,1,1 $F,0,0,native,1,1 " ] || fail "row order: $(sed -n 2,3p "$out/n/cols.csv")"
[ "$(grep -c ",native,[12],64,host-cannot," "$out/n/results.csv")" -eq 2 ] || fail "host-cannot rows"
[ "$(grep -c ",sim,[12],64,ok," "$out/n/results.csv")" -eq 2 ] || fail "the simulator runs 64 CPUs"
# ok, or expectation-failed with its message (a loaded host can stretch 1 ms past the 5 ms bound)
[ "$(grep -Ec ",native,[12],1,(ok,,|expectation-failed,)" "$out/n/results.csv")" -eq 2 ] || fail "native cpus=1 rows"
# A native row's figures are the native run's: its trace is kept and says so.
[ "$(ls "$out/n/traces" | wc -l)" -eq 2 ] || fail "two native traces expected: $(ls "$out/n/traces")"
for t in "$out/n/traces"/*.jsonl; do
  head -1 "$t" | grep -q '"source":"native"' && head -1 "$t" | grep -q '"params":{"cpus":"1","ms":"[12]"}' || fail "trace $t header"
done
grep -q "title 'sweep_expect native cpus=1'" "$out/n/plot.gp" && grep -q "dt 2" "$out/n/plot.gp" || fail "native line on the plot"
# Resume: nothing runs again, the same bytes.
cp "$out/n/results.csv" "$out/n/before.csv"
"$ostwin" sweep $F --set ms=1,2 --set cpus=1,64 --native -o "$out/n" 2> "$out/r.err"
grep -q 'sweep: 8 of 8 runs already in .*, running 0' "$out/r.err" || fail "resume: $(cat "$out/r.err")"
cmp "$out/n/before.csv" "$out/n/results.csv" || fail "resumed results differ"
# --replications with --native: each replication runs for real too, right after its
# simulated row; results.json has one entry per source with the replications' statistics.
"$ostwin" sweep $F --set ms=1 --set cpus=1 --native --replications 2 -o "$out/nr" 2> "$out/nr.err"
rc=$?
[ $rc -eq 0 ] || [ $rc -eq 1 ] || fail "replicated native sweep: exit $rc: $(cat "$out/nr.err")"
[ "$(cut -d, -f1-4 "$out/nr/results.csv" | sed 1d | tr '\n' ' ')" = "$F,0,0,sim $F,0,0,native $F,0,1,sim $F,0,1,native " ] || fail "replicated native rows: $(cut -d, -f1-4 "$out/nr/results.csv")"
[ "$(grep -c '"replications":2' "$out/nr/results.json")" -eq 2 ] && grep -q '"source":"native","params":{"ms":"1","cpus":"1"},"replications":2' "$out/nr/results.json" || fail "replicated native results.json: $(head -c 300 "$out/nr/results.json")"
[ "$(ls "$out/nr/traces" | wc -l)" -eq 2 ] || fail "two native traces expected: $(ls "$out/nr/traces")"
echo "$fails failed"
[ $fails -eq 0 ]
