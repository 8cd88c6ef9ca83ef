#!/usr/bin/env bash
# Every file of tests/bad/MANIFEST.tsv through `ostwin run`, `ostwin check` and
# `ostwin native`: each must exit 2 with the file:line:column and the message of the
# manifest. `native` must refuse before it starts anything, as the loader runs first.
# Usage: bad_corpus.sh OSTWIN   (from the repository root)
set -u
ostwin=$1
dir=tests/bad
fails=0 checked=0
while IFS=$'\t' read -r file line col message hint; do
  case "$file" in ''|'#'*) continue ;; esac
  for cmd in run check native; do
    err=$("$ostwin" "$cmd" "$dir/$file" 2>&1 >/dev/null)
    rc=$?
    checked=$((checked + 1))
    if [ "$rc" -ne 2 ]; then
      echo "FAIL $cmd $file: exit $rc, expected 2: $err"; fails=$((fails + 1)); continue
    fi
    case "$err" in
      *"$dir/$file:$line:$col: error: "*"$message"*) ;;
      *) echo "FAIL $cmd $file: expected $file:$line:$col and '$message', got: $err"; fails=$((fails + 1)) ;;
    esac
  done
done < "$dir/MANIFEST.tsv"
echo "$checked checked, $fails failed"
[ "$checked" -ge 90 ] && [ "$fails" -eq 0 ]
