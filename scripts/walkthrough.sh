#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Regenerate (default) or check (--check) the trace embedded in docs/walkthrough.md from the
# real tool, so that the walkthrough cannot drift from the code.
#   scripts/walkthrough.sh [--check] [path/to/sysentry]
set -euo pipefail
cd "$(dirname "$0")/.."
mode=write
[ "${1:-}" = "--check" ] && { mode=check; shift; }
tool=${1:-build/demo/tools/sysentry}
doc=docs/walkthrough.md
trace=$("$tool" trace --no-color)
new=$(mktemp)
trap 'rm -f "$new"' EXIT
awk -v t="$trace" '
  /<!-- trace:begin -->/ { print; print "```"; print t; print "```"; skip = 1; next }
  /<!-- trace:end -->/ { skip = 0 }
  !skip { print }
' "$doc" > "$new"
if [ "$mode" = check ]; then
    if ! cmp -s "$doc" "$new"; then
        diff -u "$doc" "$new" | head -40
        echo "docs/walkthrough.md is out of date: run scripts/walkthrough.sh" >&2
        exit 1
    fi
else
    cp "$new" "$doc"
fi
