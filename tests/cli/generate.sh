#!/usr/bin/env bash
# `ostwin generate` from the command line (docs/generate.md).
# Usage: generate.sh OSTWIN OUTDIR same|bad   (from the repository root)
#   same: two runs with the same seeds write byte-identical files, each file passes
#         `ostwin check` with nothing to say and `ostwin run` meets its own expect;
#   bad:  bad arguments and an unwritable directory exit 2 with a clear message and
#         write nothing.
set -u
ostwin=$1 out=$2 mode=$3
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
rm -rf "$out"
mkdir -p "$out"

case "$mode" in
same)
  "$ostwin" generate --seed 40 --count 12 -o "$out/a" > "$out/a.txt" || fail "first generate exit $?"
  "$ostwin" generate --seed 40 --count 12 -o "$out/b" > /dev/null || fail "second generate exit $?"
  [ "$(ls "$out/a" | wc -l)" -eq 12 ] || fail "expected 12 files: $(ls "$out/a")"
  diff -r "$out/a" "$out/b" > /dev/null || fail "two runs with the same seeds differ"
  # A run from another seed overlapping the range writes the same file for seed 45.
  "$ostwin" generate --seed 45 -o "$out/c" > /dev/null || fail "third generate exit $?"
  cmp -s "$out/a/gen-45.yaml" "$out/c/gen-45.yaml" || fail "gen-45.yaml depends on --seed/--count"
  grep -q "^$out/a/gen-51.yaml: [a-z]*, [12] CPUs\?, simulated .*; tags [a-z]" "$out/a.txt" || fail "no summary line: $(cat "$out/a.txt")"
  for f in "$out"/a/*.yaml; do
    msg=$("$ostwin" check "$f") || fail "check $f exit $?"
    case "$msg" in *"0 warnings, 0 notes"*) ;; *) fail "check $f: $msg" ;; esac
    "$ostwin" run "$f" > /dev/null || fail "run $f exit $?"
  done
  ;;
bad)
  expect2() {  # expect2 MESSAGE-FRAGMENT ARGS...
    local want=$1; shift
    err=$("$ostwin" generate "$@" 2>&1 >/dev/null); rc=$?
    [ "$rc" -eq 2 ] || fail "generate $*: exit $rc, expected 2 ($err)"
    case "$err" in *"$want"*) ;; *) fail "generate $*: expected '$want' in: $err" ;; esac
  }
  expect2 "--count 0: must be at least 1" --seed 1 --count 0 -o "$out/x"
  expect2 "--seed abc: expected a non-negative integer" --seed abc -o "$out/x"
  expect2 "--seed -3: expected a non-negative integer" --seed -3 -o "$out/x"
  expect2 "--seed 1x: expected a non-negative integer" --seed 1x -o "$out/x"
  expect2 "is too large" --seed 18446744073709551616 -o "$out/x"
  expect2 "would pass 2^64-1" --seed 18446744073709551615 --count 2 -o "$out/x"
  expect2 "--cpus 0: must be at least 1" --seed 1 --cpus 0 -o "$out/x"
  expect2 "--seed is required" -o "$out/x"
  [ ! -e "$out/x" ] || fail "a refused generate created $out/x"
  touch "$out/file"
  expect2 "-o $out/file/sub: cannot create the directory" --seed 1 -o "$out/file/sub"
  expect2 "-o $out/file: cannot create the directory" --seed 1 -o "$out/file"
  ;;
*) echo "usage: generate.sh OSTWIN OUTDIR same|bad"; exit 2 ;;
esac
echo "$fails failed"
[ "$fails" -eq 0 ]
