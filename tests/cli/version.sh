#!/usr/bin/env bash
# `ostwin --version`: "ostwin VERSION (git COMMIT)", VERSION the project's (CMakeLists.txt),
# COMMIT the abbreviated hash of a commit of this repository (with "-dirty" when tracked
# files differed from it at build time), or "unknown" when built outside a git clone.
# Usage: version.sh OSTWIN PROJECT_VERSION   (from the repository root)
set -u
out=$("$1" --version) || { echo "FAIL: --version exited $?"; exit 1; }
echo "$out"
re="^ostwin ${2//./\\.} \\(git ([0-9a-f]{12}(-dirty)?|unknown)\\)$"
[[ $out =~ $re ]] || { echo "FAIL: expected to match $re"; exit 1; }
commit=${BASH_REMATCH[1]%-dirty}
if [ "$commit" = unknown ]; then
  # Only a build outside a clone may say so.
  if git rev-parse --git-dir > /dev/null 2>&1; then echo "FAIL: built in a git clone but the commit is unknown"; exit 1; fi
  exit 0
fi
git cat-file -e "$commit^{commit}" || { echo "FAIL: $commit is not a commit of this repository"; exit 1; }
