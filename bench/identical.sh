#!/usr/bin/env bash
# Byte-identical simulator output, before and after an engine change (docs/performance.md).
#
#   bench/identical.sh record DIR [OSTWIN]   write every case's output into DIR
#   bench/identical.sh check DIR [OSTWIN]    record into a scratch dir, compare with DIR
#
# A case is one `ostwin run FILE --trace T --json` of every scenario under scenarios/
# (recursively) and of bench/scenarios/ at a small size, with the scenario's own costs,
# `--costs zero`, `--costs tests/scenario/data/profile.yaml` and `--costs
# bench/identical-costs.yaml` (a host-like profile with a scheduler tick), each with
# `--seed 1` and `--seed 2`: its trace, stdout (the JSON summary), stderr and exit code.
# `check` exits 0 when every byte is the same, 1 otherwise (and lists the cases that differ).
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
mode=${1:-}; dir=${2:-}; ostwin=${3:-$root/build/cli/ostwin}
if [[ ( $mode != record && $mode != check ) || -z $dir ]]; then
    echo "usage: bench/identical.sh record|check DIR [OSTWIN]" >&2; exit 2
fi

record() {  # record OUT
    local out=$1 f name costs c seed base
    mkdir -p "$out"
    local -a files
    mapfile -t files < <(cd "$root" && find scenarios -name '*.yaml' | sort)
    local -a extra=("bench/scenarios/cpu-bound.yaml --set threads=50"
                    "bench/scenarios/compute-sleep.yaml --set threads=40 --set rounds=4"
                    "bench/scenarios/pipe-lock.yaml --set k=12 --set messages=6")
    for f in "${files[@]}" "${extra[@]}"; do
        for costs in own zero tests/scenario/data/profile.yaml bench/identical-costs.yaml; do
            for seed in 1 2; do
                name=$(echo "$f $costs $seed" | tr ' /=' '_+-')
                base=$out/$name
                local -a args=(run $f --json --seed "$seed" --trace "$base.trace")
                [[ $costs != own ]] && args+=(--costs "$costs")
                (cd "$root" && "$ostwin" "${args[@]}" >"$base.out" 2>"$base.err"; echo $? >"$base.rc")
                # the trace path is in no output, but stderr may name it: keep it relative
                sed -i "s#$out/##g" "$base.err"
            done
        done
    done
}

case $mode in
    record) rm -rf "$dir"; record "$dir"; echo "recorded $(ls "$dir" | grep -c '\.rc$') cases in $dir" ;;
    check)
        tmp=$(mktemp -d /tmp/ostwin-identical.XXXXXX)
        trap 'rm -rf "$tmp"' EXIT
        record "$tmp/new"
        # the scratch dir's name appears nowhere: record() strips it from stderr
        if diff -rq "$dir" "$tmp/new" >"$tmp/diff"; then
            echo "identical: $(ls "$dir" | grep -c '\.rc$') cases, every trace, summary, stderr and exit code"
        else
            cat "$tmp/diff"; echo "DIFFERENT: $(wc -l <"$tmp/diff") files" >&2; exit 1
        fi ;;
esac
