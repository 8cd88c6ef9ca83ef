#!/usr/bin/env bash
# The Debian package on this machine (docs/install.md; scripts/test stage `package`, root):
# its Depends are runtime libraries only; `apt-get install ./ostwin_*.deb` installs it;
# the installed ostwin runs from /usr (version, demo hints naming /usr/share/ostwin, a
# scenario, man -w, the completion file); `apt-get purge` removes every file. The package
# is purged on every exit path, and an ostwin already installed is left alone (refused).
# Usage: deb.sh DEB
set -u
deb=$(realpath "$1")
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
apt_get() { DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 -y -qq "$@"; }

[ "$(id -u)" -eq 0 ] || { echo "deb.sh: needs root (apt-get install)"; exit 1; }
if dpkg-query -W -f='${Status}' ostwin 2>/dev/null | grep -q installed; then
  echo "deb.sh: a package ostwin is already installed here; not touching it"; exit 1
fi
tmp=$(mktemp -d)
purge() {
  apt_get purge ostwin > "$tmp/purge.log" 2>&1 || { cat "$tmp/purge.log"; echo "FAIL: apt-get purge ostwin"; }
  rm -rf "$tmp"
}

depends=$(dpkg-deb -f "$deb" Depends)
echo "Depends: $depends"
# ostwin links yaml-cpp statically (OSTWIN_STATIC_RUNTIME); ostwin-view links SFML.
case "$depends" in *libsfml-graphics*) ;; *) fail "Depends lacks libsfml-graphics" ;; esac
case "$depends" in *-dev*|*cmake*|*catch2*|*g++*) fail "Depends names a build-only package" ;; esac

trap purge EXIT
apt_get install --no-install-recommends "$deb" > "$tmp/install.log" 2>&1 || { cat "$tmp/install.log"; fail "apt-get install"; exit 1; }
mkdir "$tmp/cwd" && cd "$tmp/cwd" || exit 1
[ "$(command -v ostwin)" = /usr/bin/ostwin ] || fail "ostwin is not /usr/bin/ostwin on PATH"
/usr/bin/ostwin --version | grep -Eq '^ostwin [0-9.]+ \(git ' || fail "ostwin --version"
/usr/bin/ostwin run > demo.txt || fail "the demo exited $?"
grep -q '^  ostwin run /usr/share/ostwin/scenarios/demo/threads.yaml --trace threads.jsonl$' demo.txt || fail "the demo's hints do not name /usr/share/ostwin"
/usr/bin/ostwin run /usr/share/ostwin/scenarios/rr-quantum.yaml --trace t.jsonl > /dev/null && [ -s t.jsonl ] || fail "ostwin run /usr/share/ostwin/scenarios/rr-quantum.yaml"
[ "$(man -w ostwin 2>&1)" = /usr/share/man/man1/ostwin.1.gz ] || fail "man -w ostwin: $(man -w ostwin 2>&1)"
[ "$(man -w ostwin-compare 2>&1)" = /usr/share/man/man1/ostwin-compare.1.gz ] || fail "man -w ostwin-compare"
[ -f /usr/share/bash-completion/completions/ostwin ] || fail "no bash completion"
[ -f /usr/share/doc/ostwin/docs/scenario-format.md ] || fail "no docs"

cd / && trap - EXIT && purge
dpkg-query -W -f='${Status}' ostwin 2>/dev/null | grep -q installed && fail "ostwin still installed after the purge"
# Every file of the package is gone.
left=0
while read -r f; do [ -e "$f" ] && { echo "left behind: $f"; left=$((left + 1)); }; done < <(dpkg-deb -c "$deb" | awk '$1 !~ /^d/ { sub(/^\./, "", $6); print $6 }')
[ "$left" -eq 0 ] || fail "$left files left after the purge"
[ -e /usr/share/ostwin ] && fail "/usr/share/ostwin left after the purge"
echo "$fails failed"
[ "$fails" -eq 0 ]
