#!/usr/bin/env bash
# `ostwin new`: --list names five shapes in a processes and a threads flavour; every kind
# written with -o is the template as printed to stdout, checks clean (--strict), and
# meets its own expect: (a makespan range among them, every expectation judged and met);
# -o refuses an existing file without --force; an unknown kind, a bare shape and no kind
# are exit 2. Usage: new.sh OSTWIN OUT_DIR   (from the repository root)
set -u
ostwin=$1 out=$2
rm -rf "$out" && mkdir -p "$out"
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

"$ostwin" new --list > "$out/list.txt" || fail "--list exited $?"
cat "$out/list.txt"
kinds=$(awk '{print $1}' "$out/list.txt")
for shape in pipeline worker-pool fork-join periodic client-server; do
  for flavour in processes threads; do
    grep -q "^$shape-$flavour  " "$out/list.txt" || fail "--list lacks $shape-$flavour"
  done
done
[ "$(wc -l < "$out/list.txt")" -eq 10 ] || fail "--list has $(wc -l < "$out/list.txt") kinds, expected 10"

for kind in $kinds; do
  f=$out/$kind.yaml
  "$ostwin" new "$kind" -o "$f" 2> /dev/null || { fail "new $kind -o exited $?"; continue; }
  "$ostwin" new "$kind" | cmp -s - "$f" || fail "new $kind: -o and stdout differ"
  grep -Eq '^  makespan: \{min: [0-9.]+m?s, max: [0-9.]+m?s\}$' "$f" || fail "$kind: no makespan range in expect:"
  "$ostwin" check --strict "$f" > "$out/$kind.check" || { cat "$out/$kind.check"; fail "check --strict $kind exited $?"; }
  "$ostwin" run "$f" --json > "$out/$kind.json" 2> "$out/$kind.err" || { cat "$out/$kind.err"; fail "run $kind exited $?"; }
  grep -q '"expectations":\[{' "$out/$kind.json" || fail "$kind: no expectation"
  grep -q '"ok":false' "$out/$kind.json" && fail "$kind: an expectation failed"
  grep -q '"judged":false' "$out/$kind.json" && fail "$kind: an expectation was not judged"
done

# -o never replaces a file unless asked.
echo keep > "$out/mine.yaml"
"$ostwin" new pipeline-threads -o "$out/mine.yaml" 2> "$out/exists.err"; rc=$?
[ $rc -eq 2 ] && grep -q 'exists; --force replaces it' "$out/exists.err" && [ "$(cat "$out/mine.yaml")" = keep ] \
  || fail "new -o over an existing file: exit $rc, $(cat "$out/exists.err")"
"$ostwin" new pipeline-threads -o "$out/mine.yaml" --force 2> /dev/null && cmp -s "$out/mine.yaml" "$out/pipeline-threads.yaml" \
  || fail "new -o --force did not replace the file"

"$ostwin" new pipline-threads > /dev/null 2> "$out/typo.err"; rc=$?
[ $rc -eq 2 ] && grep -q 'did you mean `pipeline-threads`' "$out/typo.err" || fail "unknown kind: exit $rc, $(cat "$out/typo.err")"
"$ostwin" new fork-join > /dev/null 2> "$out/bare.err"; rc=$?
[ $rc -eq 2 ] && grep -q 'fork-join-processes and fork-join-threads' "$out/bare.err" || fail "bare shape: exit $rc, $(cat "$out/bare.err")"
"$ostwin" new > /dev/null 2>&1; rc=$?
[ $rc -eq 2 ] || fail "no kind: exit $rc"
echo "$fails failed"
[ "$fails" -eq 0 ]
