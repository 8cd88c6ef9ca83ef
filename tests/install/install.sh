#!/usr/bin/env bash
# `cmake --install` into a temporary prefix, then the installed programs run from outside
# the source tree (docs/install.md): every file in its place, the demo's hints and the
# help name the installed files, which run; the prefix still works once moved (no path
# of the build machine); every installed scenario checks; the man pages are found by
# man(1); the bash completion completes subcommands, options, values and files.
# Usage: install.sh BUILD_DIR VIEWER(0|1)   (from the repository root)
set -u
build=$1 viewer=$2
src=$PWD
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

cmake --install "$build" --prefix "$tmp/a" > "$tmp/install.log" || { cat "$tmp/install.log"; echo "FAIL: cmake --install"; exit 1; }
# Installed, then moved: whatever the binary finds, it finds from its own location.
mv "$tmp/a" "$tmp/moved"
p=$tmp/moved
data=$p/share/ostwin doc=$p/share/doc/ostwin

expect_files=(bin/ostwin share/ostwin/scenarios/README.md share/doc/ostwin/README.md
              share/doc/ostwin/docs/scenario-format.md share/man/man1/ostwin.1.gz
              share/man/man1/ostwin-run.1.gz share/bash-completion/completions/ostwin)
[ "$viewer" = 1 ] && expect_files+=(bin/ostwin-view share/man/man1/ostwin-view.1.gz share/bash-completion/completions/ostwin-view)
for f in "${expect_files[@]}"; do [ -f "$p/$f" ] || fail "$f not installed"; done
cmp -s "$src/docs/scenario.schema.json" "$data/scenario.schema.json" || fail "scenario.schema.json not installed in share/ostwin"
# The scenarios as in the source tree, every one of them.
for f in $(cd "$src" && find scenarios -type f | sort); do
  cmp -s "$src/$f" "$data/$f" || fail "$f not installed as share/ostwin/$f"
done

mkdir "$tmp/cwd" && cd "$tmp/cwd" || exit 1
ostwin=$p/bin/ostwin
"$ostwin" run > demo.txt || fail "the installed demo exited $?"
grep -q "^  ostwin run $data/scenarios/demo/threads.yaml --trace threads.jsonl$" demo.txt \
  || { cat demo.txt; fail "the demo's hints do not name the installed files"; }
# Each hint runs as printed.
grep '^  ostwin run ' demo.txt | while read -r _ _ file _ trace; do
  "$ostwin" run "$file" --trace "$trace" > /dev/null || echo "FAIL: the hint's ostwin run $file exited $?"
  [ -s "$trace" ] || echo "FAIL: no trace $trace"
done | tee hints.txt
[ -s hints.txt ] && fails=$((fails + 1))
"$ostwin" run --trace t.jsonl 2> refuse.err; rc=$?
[ $rc -eq 2 ] && grep -q "ostwin run $data/scenarios/demo/threads.yaml --trace" refuse.err \
  || { cat refuse.err; fail "the demo's refusal (exit $rc) does not name the installed file"; }
"$ostwin" --help | grep -q "^Scenario format: $doc/docs/scenario-format.md$" || fail "--help does not name the installed format doc"
for f in "$data"/scenarios/*.yaml "$data"/scenarios/demo/*.yaml "$data"/scenarios/validation/*.yaml; do
  "$ostwin" check "$f" > /dev/null || fail "ostwin check $f exited $?"
done

# man(1) finds the pages under the prefix, and they hold the help's options.
MANPATH=$p/share/man man -w ostwin > man.txt 2>&1 && grep -qx "$p/share/man/man1/ostwin.1.gz" man.txt || { cat man.txt; fail "man -w ostwin"; }
for sub in run check native export calibrate compare generate new; do
  [ -f "$p/share/man/man1/ostwin-$sub.1.gz" ] || fail "no man page ostwin-$sub"
done
zcat "$p/share/man/man1/ostwin-run.1.gz" | grep -q 'max\\-events' || fail "ostwin-run.1 lacks --max-events"

# Bash completion, as bash-completion loads it, with the installed ostwin on PATH.
mkdir "$tmp/comp" && cd "$tmp/comp" || exit 1
cp "$src/scenarios/rr-quantum.yaml" . && touch trace.jsonl notes.txt
comp() {  # comp WORD... : what completing the last word offers, one per line, sorted
  PATH=$p/bin:$PATH bash -c '
    source /usr/share/bash-completion/bash_completion
    source "$0"
    COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
    fn=$(complete -p "$1" | sed -E "s/.*-F ([^ ]+) .*/\1/")
    "$fn" "$1" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
    printf "%s\n" "${COMPREPLY[@]}" | sort' "$p/share/bash-completion/completions/$1" "$@"
}
check_comp() {  # check_comp EXPECTED WORD...
  local want=$1 got
  shift
  got=$(comp "$@" | tr '\n' ' ')
  [ "$got" = "$want" ] || fail "completing '$*': got '$got', expected '$want'"
}
check_comp "calibrate check compare " ostwin c
check_comp "generate " ostwin g
check_comp "--max-events --max-file-bytes --max-nesting --max-op-nodes --max-processes --max-repeat --max-threads " ostwin run --max-
check_comp "rr-quantum.yaml " ostwin run ""
check_comp "rr-quantum.yaml " ostwin check --strict r
check_comp "default rr-quantum.yaml zero " ostwin run x.yaml --costs ""
check_comp "trace.jsonl " ostwin export ""
check_comp "perfetto " ostwin export t.jsonl --format ""
check_comp "notes.txt rr-quantum.yaml trace.jsonl " ostwin run x.yaml --trace ""
check_comp "--version " ostwin --v
check_comp "pipeline-processes pipeline-threads " ostwin new pip
[ "$viewer" = 1 ] && check_comp "--screenshot --scroll --show-help --size --state-out " ostwin-view --s
# The built-in profile names the completion offers are the ones --costs accepts (exit 2:
# refused; a profile other than the scenario's may fail its expectations, exit 1).
for name in $(comp ostwin run x.yaml --costs "" | grep -v yaml); do
  "$ostwin" run "$data/scenarios/textbook-fcfs.yaml" --costs "$name" > /dev/null 2>&1
  [ $? -eq 2 ] && fail "--costs $name (completed) is refused"
done

echo "$fails failed"
[ "$fails" -eq 0 ]
