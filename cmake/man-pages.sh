#!/usr/bin/env bash
# Writes the man pages from the programs' own --help at build time (cmake/Install.cmake),
# so that they cannot drift from the command line: ostwin.1, one ostwin-SUB.1 per
# subcommand that `ostwin --help` lists, and ostwin-view.1 when the viewer is built.
# Each is gzipped (Debian policy). The version line is the project's, without the commit,
# so that a page changes only when the help does.
# Usage: man-pages.sh OUTDIR VERSION OSTWIN [OSTWIN_VIEW]
set -euo pipefail
out=$1 version=$2 ostwin=$3 view=${4:-}
mkdir -p "$out"
rm -f "$out"/*.1 "$out"/*.1.gz
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The subcommands and their one-line summaries, as `ostwin --help` lists them: a name
# indented by two spaces, continuation lines indented further.
"$ostwin" --help | awk '
  /^Subcommands:/ { on = 1; next }
  on && /^  [a-z][a-z-]* / { if (name) print name "\t" desc; name = $1; sub(/^  [a-z][a-z-]* +/, ""); desc = $0; next }
  on && /^      / { sub(/^ +/, ""); desc = desc " " $0; next }
  on && /^[^ ]/ { on = 0 }
  END { if (name) print name "\t" desc }' > "$work/subcommands"
[ -s "$work/subcommands" ] || { echo "man-pages.sh: no subcommands in \`$ostwin --help\`" >&2; exit 1; }

page() {  # page NAME SUMMARY PROGRAM INCLUDE
  help2man --no-info --section=1 --name="$2" --version-string="$1 $version" \
           --include="$4" --output="$out/$1.1" "$3"
  gzip -9nf "$out/$1.1"
}

see_also=""
while IFS=$'\t' read -r sub summary; do
  # help2man runs PROGRAM --help: a wrapper makes that `ostwin SUB --help`.
  printf '#!/bin/sh\nexec "%s" %s "$@"\n' "$ostwin" "$sub" > "$work/ostwin-$sub"
  chmod +x "$work/ostwin-$sub"
  printf '[SEE ALSO]\n.BR ostwin (1)\n' > "$work/ostwin-$sub.h2m"
  page "ostwin-$sub" "${summary%.}" "$work/ostwin-$sub" "$work/ostwin-$sub.h2m"
  see_also+=".BR ostwin-$sub (1),"$'\n'
done < "$work/subcommands"
[ -n "$view" ] && see_also+=".BR ostwin-view (1),"$'\n'

cat > "$work/ostwin.h2m" <<H2M
[FILES]
.TP
.I PREFIX/share/ostwin/scenarios/
The curated scenarios, the demo's four (demo/) and the validation corpus (validation/).
PREFIX is the directory above the one that holds
.BR ostwin ;
.I /usr
for the Debian package.
.TP
.I PREFIX/share/doc/ostwin/
README.md and docs/, among them docs/scenario-format.md, the scenario language.
[SEE ALSO]
${see_also}and the documentation under
.IR PREFIX/share/doc/ostwin/ .
H2M
page ostwin "an operating-system simulator with a real twin" "$ostwin" "$work/ostwin.h2m"

if [ -n "$view" ]; then
  printf '[SEE ALSO]\n.BR ostwin (1),\n.BR ostwin-export (1)\n' > "$work/ostwin-view.h2m"
  page ostwin-view "replay ostwin traces" "$view" "$work/ostwin-view.h2m"
fi
