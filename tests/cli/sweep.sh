#!/usr/bin/env bash
# `ostwin sweep` (docs/sweep.md): the grid, the outputs, -j independence, resume,
# failed points as rows, and bad arguments.
# Usage: sweep.sh OSTWIN OUTDIR   (from the repository root)
set -u
ostwin=$1
out=$2
rm -rf "$out"
mkdir -p "$out"
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
P=scenarios/sweep/processes.yaml
T=scenarios/sweep/threads.yaml

# The grid: 2 files x 4 workers x 2 sizes = 16 rows, one per run, in grid order.
"$ostwin" sweep $P $T --set workers=1..4 --set msg=64B,4KiB -o "$out/a" -j 1 2> "$out/a.err" || fail "sweep a exit $?"
cat "$out/a.err"
[ "$(wc -l < "$out/a/results.csv")" -eq 17 ] || fail "expected 16 rows: $(wc -l < "$out/a/results.csv")"
head -1 "$out/a/results.csv" | grep -q '^series,point,replication,source,workers,msg,status,message,seed,cpus,makespan_ns,events,context_switches.thread,' || fail "header: $(head -1 "$out/a/results.csv" | cut -c1-200)"
sed -n 2p "$out/a/results.csv" | grep -q "^$P,0,0,sim,1,64B,ok,," || fail "first row: $(sed -n 2p "$out/a/results.csv" | cut -c1-100)"
sed -n 17p "$out/a/results.csv" | grep -q "^$T,7,0,sim,4,4KiB,ok,," || fail "last row: $(sed -n 17p "$out/a/results.csv" | cut -c1-100)"
# The figures are the run's: workers=2 msg=4KiB of threads.yaml as `ostwin run` says.
m=$("$ostwin" run $T --set workers=2 --set msg=4KiB --json | grep -o '"makespan_ns":[0-9]*' | cut -d: -f2)
grep -q "^$T,3,0,sim,2,4KiB,ok,,1,2,$m," "$out/a/results.csv" || fail "threads workers=2 msg=4KiB should have makespan $m"
[ "$(grep -c '"status":"ok"' "$out/a/results.json")" -eq 16 ] || fail "results.json rows"
head -c 8 "$out/a/plot.png" | od -An -c | grep -q 'P   N   G' || fail "plot.png is no PNG"
grep -q '<svg' "$out/a/plot.svg" || fail "plot.svg is no SVG"
grep -q "set xlabel 'workers'" "$out/a/plot.gp" && grep -q "set ylabel 'makespan (ms)'" "$out/a/plot.gp" || fail "axis labels"
grep -q "title 'threads msg=4KiB'" "$out/a/plot.gp" || fail "line per series and other parameter"
[ "$(grep -c . "$out/a/timings.csv")" -eq 17 ] || fail "timings.csv"
grep -q 'sweep: 16 runs, 0 failed' "$out/a.err" || fail "final line"

# A link planted at a plot's name in DIR: refused (exit 2, as every output of ostwin),
# never written through (gnuplot's own `set output` followed it).
mkdir -p "$out/l"
echo keep > "$out/l-target"
ln -s "$out/l-target" "$out/l/plot.svg"
"$ostwin" sweep $T --set workers=1,2 -o "$out/l" 2> "$out/l.err"; rc=$?
[ $rc -eq 2 ] || fail "a planted plot.svg link: exit $rc, expected 2 ($(cat "$out/l.err"))"
grep -q 'link' "$out/l.err" || fail "the refusal should name the link: $(cat "$out/l.err")"
[ "$(cat "$out/l-target")" = keep ] || fail "a planted plot.svg link was written through"

# -j 2 writes the same bytes.
"$ostwin" sweep $P $T --set workers=1..4 --set msg=64B,4KiB -o "$out/b" -j 2 2> /dev/null || fail "sweep b"
for f in results.csv results.json plot.gp; do cmp "$out/a/$f" "$out/b/$f" || fail "$f differs between -j 1 and -j 2"; done

# Resume: a lost point is run again, nothing else, and the results are the same bytes.
ls "$out/b/points"/*.json | head -3 | xargs rm -f
"$ostwin" sweep $P $T --set workers=1..4 --set msg=64B,4KiB -o "$out/b" 2> "$out/b.err" || fail "resume"
grep -q 'sweep: 13 of 16 runs already in .*, running 3' "$out/b.err" || fail "resume message: $(cat "$out/b.err")"
cmp "$out/a/results.csv" "$out/b/results.csv" || fail "resumed results differ"

# Doubling range, x axis on a categorical parameter, a failing value: rows, exit 1.
"$ostwin" sweep $P --set workers=1..8:x2 --set kind=pipe,nope -o "$out/c" --x kind --metric unique_peak 2> "$out/c.err"
rc=$?
[ $rc -eq 1 ] || fail "a failed point should exit 1, got $rc"
[ "$(grep -c ",sim,[0-9]*,pipe,ok,," "$out/c/results.csv")" -eq 4 ] || fail "1,2,4,8 x pipe rows"
[ "$(grep -c ',nope,bad-input,".*from `--set kind=nope` (sweep); did you mean `pipe`' "$out/c/results.csv")" -eq 4 ] || fail "bad-input rows"
grep -q "set ylabel 'unique_peak (MiB)'" "$out/c/plot.gp" && grep -q 'xtic(3)' "$out/c/plot.gp" || fail "categorical x, metric"
grep -q 'sweep: 8 runs, 4 failed' "$out/c.err" || fail "failed count"
"$ostwin" sweep tests/cli/data/sweep_expect.yaml --set ms=1,10 -o "$out/d" 2> /dev/null
[ $? -eq 1 ] || fail "a failed expectation should exit 1"
grep -q '^tests/cli/data/sweep_expect.yaml,1,0,sim,10,expectation-failed,makespan <= 5ms (was 10ms),' "$out/d/results.csv" || fail "expectation row: $(cat "$out/d/results.csv" | cut -c1-120)"

# Bad arguments: exit 2 (all but --metric before anything runs: the figures' names are
# known only from the runs).
for args in "--set workers=4..1" "--set workers=1..8:x1" "--set workers=1..8:2" "--set workers=a..b" \
            "--set workers=1,,2" "--set workers=1,1" "--set nosuch=1" "--set workers=1 --set workers=2" \
            "--set workers=1..2 --x msg" "--set workers" "$P --set workers=1" "--set workers=1..2 --metric nosuch"; do
  "$ostwin" sweep $P $args -o "$out/e" > /dev/null 2> "$out/e.err"
  rc=$?
  [ $rc -eq 2 ] || fail "sweep $args: exit $rc, expected 2: $(cat "$out/e.err")"
done
grep -q -- '--metric nosuch: no such summary figure' "$out/e.err" || fail "--metric message"
"$ostwin" sweep $P --set workers=1 > /dev/null 2>&1
[ $? -eq 2 ] || fail "missing -o"
# --plan, --shard K/N, --merge: the merged tables are the local run's bytes; a missing
# shard is named and nothing is merged.
"$ostwin" sweep $P $T --set workers=1..4 --set msg=64B,4KiB --plan "$out/p" 2> /dev/null || fail "plan"
[ ! -e "$out/p/results.csv" ] && [ -z "$(ls "$out/p/points")" ] || fail "--plan ran something"
for k in 1 2 3; do "$ostwin" sweep --shard $k/4 "$out/p" -j 1 2> /dev/null || fail "shard $k"; done
"$ostwin" sweep --merge "$out/p" > /dev/null 2> "$out/m.err"
[ $? -eq 1 ] || fail "merge with a shard missing should exit 1"
grep -q -- '--merge .*: 4 of 16 runs are missing' "$out/m.err" && grep -q "^  run 3 (of 0..15 in grid order): $P workers=2 msg=4KiB" "$out/m.err" || fail "missing runs: $(cat "$out/m.err")"
[ ! -e "$out/p/results.csv" ] || fail "merged with a shard missing"
"$ostwin" sweep --shard 4/4 "$out/p" 2> /dev/null || fail "shard 4"
"$ostwin" sweep --merge "$out/p" 2> /dev/null || fail "merge"
for f in results.csv results.json plot.gp; do cmp "$out/a/$f" "$out/p/$f" || fail "merged $f differs from the local run's"; done
for args in "--shard 5/4 $out/p" "--shard 0/4 $out/p" "--shard 1-4 $out/p" "$P --set workers=1 -o $out/q --partition x" \
            "--slurm --merge $out/p" "$P --set workers=1 --slurm" "$P --set workers=1 -o $out/q --slurm --array-size 0" "--merge $out/a" "--merge $out/p -o $out/q" \
            "$P --set workers=1 --merge $out/p" "$P --set workers=1 --plan $out/q -o $out/q" "--plan $out/q --merge $out/p"; do
  "$ostwin" sweep $args > /dev/null 2> "$out/e.err"
  rc=$?
  [ $rc -eq 2 ] || fail "sweep $args: exit $rc, expected 2: $(cat "$out/e.err")"
done

# --replications N: each point for the seeds SEED .. SEED+N-1, a row each; results.json
# has each figure's n, mean, sd, 95% CI, min and max per point, the plot the mean with the
# CI as error bars. Checked against a hand computation from the makespans `ostwin run
# --seed S` gives (Student t, 2 degrees of freedom: t(0.975) = 4.302652729911275).
R=tests/cli/data/sweep_random.yaml
"$ostwin" sweep $R --set base=1,5 --replications 3 -o "$out/r" -j 1 2> "$out/r.err" || fail "replicated sweep: $(cat "$out/r.err")"
[ "$(wc -l < "$out/r/results.csv")" -eq 7 ] || fail "expected 2 points x 3 replications = 6 rows"
head -1 "$out/r/results.csv" | grep -q '^series,point,replication,source,base,status,message,seed,' || fail "replicated header"
for row in "0,0,sim,1,ok,,7," "0,2,sim,1,ok,,9," "1,1,sim,5,ok,,8,"; do
  grep -q "^$R,$row" "$out/r/results.csv" || fail "row $row: $(cut -c1-80 "$out/r/results.csv")"
done
ms=""
for b in 1 5; do
  for s in 7 8 9; do
    ms="$ms $("$ostwin" run $R --set base=$b --seed $s --json | grep -o '"makespan_ns":[0-9]*' | cut -d: -f2)"
  done
done
python3 - "$out/r" $ms << 'PY' || fail "replicated results.json or plot.gp against the hand computation"
import json, math, sys
d, ms = sys.argv[1], [int(v) for v in sys.argv[2:]]
pts = json.load(open(d + "/results.json"))
assert len(pts) == 2, len(pts)
gp = open(d + "/plot.gp").read()
assert "with yerrorlines" in gp and "mean of 3 replications, bars: 95% confidence interval" in gp, gp
rows = [l.split("\t") for l in gp.split("$line0 << EOD\n")[1].split("EOD")[0].splitlines()]
for k, p in enumerate(pts):
    v = ms[3 * k:3 * k + 3]
    assert p["replications"] == 3 and p["seeds"] == [7, 8, 9] and p["ok"] == 3 and p["failed"] == 0, p
    assert [r["replication"] for r in p["runs"]] == [0, 1, 2]
    mean = sum(v) / 3
    sd = math.sqrt(sum((x - mean) ** 2 for x in v) / 2)
    half = 4.302652729911275 * sd / math.sqrt(3)
    f = p["figures"]["makespan_ns"]
    close = lambda a, b, tol=1e-9: abs(a - b) <= tol * max(1.0, abs(b))
    assert f["n"] == 3 and f["min"] == min(v) and f["max"] == max(v), (f, v)
    assert close(f["mean"], mean) and close(f["sd"], sd), (f, mean, sd)
    assert close(f["ci95"][0], mean - half) and close(f["ci95"][1], mean + half), (f, mean, half)
    x, y, tick, lo, hi = rows[k]
    assert x == ["1", "5"][k] and close(float(y), mean / 1e6, 1e-8), rows
    assert close(float(lo), (mean - half) / 1e6, 1e-8) and close(float(hi), (mean + half) / 1e6, 1e-8), (rows, mean, half)
    assert "seed" not in p["figures"] and "threads.p/main.cpu_ns" in p["figures"]
PY
# The same bytes with -j 2, and through --plan, --shard and --merge (the replications come
# from the plan: --replications is not given again).
"$ostwin" sweep $R --set base=1,5 --replications 3 -o "$out/r2" -j 2 2> /dev/null || fail "replicated sweep -j 2"
"$ostwin" sweep $R --set base=1,5 --replications 3 --plan "$out/rp" 2> /dev/null || fail "replicated plan"
grep -q '"replications": 3' "$out/rp/plan.json" || fail "plan.json without its replications"
"$ostwin" sweep --shard 1/2 "$out/rp" --replications 3 > /dev/null 2>&1
[ $? -eq 2 ] || fail "--shard with --replications should be refused"
"$ostwin" sweep --shard 1/2 "$out/rp" 2> /dev/null || fail "replicated shard 1"
"$ostwin" sweep --merge "$out/rp" 2> "$out/rm.err"
[ $? -eq 1 ] && grep -q "^  run 1 (of 0..5 in grid order): $R base=1 replication 1$" "$out/rm.err" || fail "missing replication: $(cat "$out/rm.err")"
"$ostwin" sweep --shard 2/2 "$out/rp" 2> /dev/null || fail "replicated shard 2"
"$ostwin" sweep --merge "$out/rp" 2> /dev/null || fail "replicated merge"
for f in results.csv results.json plot.gp; do
  cmp "$out/r/$f" "$out/r2/$f" || fail "replicated $f differs between -j 1 and -j 2"
  cmp "$out/r/$f" "$out/rp/$f" || fail "merged replicated $f differs from the local run's"
done
# Replication 0 is the unreplicated run (the same seed): its row is the same.
"$ostwin" sweep $R --set base=1,5 -o "$out/r1" 2> /dev/null || fail "unreplicated"
[ "$(sed -n 2p "$out/r1/results.csv")" = "$(sed -n 2p "$out/r/results.csv")" ] || fail "replication 0 differs from the unreplicated run"
for args in "--replications 0" "--replications 100001" "--replications x"; do
  "$ostwin" sweep $R --set base=1 -o "$out/e" $args > /dev/null 2>&1
  rc=$?
  [ $rc -eq 2 ] || fail "sweep $args: exit $rc, expected 2"
done

echo "$fails failed"
[ $fails -eq 0 ]
