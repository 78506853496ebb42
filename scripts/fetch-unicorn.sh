#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Fetch Debian trixie's Unicorn 2.1.x (libunicorn-dev and its runtime library) into a prefix and
# print the prefix: <prefix>/usr/include/unicorn/unicorn.h, <prefix>/usr/lib/<triplet>/libunicorn.so.
#
#   scripts/fetch-unicorn.sh [cache-dir]
#
# Trixie's binaries need only glibc >= 2.34, so they run on bookworm. cache-dir defaults to
# ${XDG_CACHE_HOME:-~/.cache}/libsysentry. apt runs with a PRIVATE state directory under
# cache-dir (its own sources.list, lists and archives): the system's /etc/apt and /var/lib/apt
# are only read (the mirror is taken from the system's sources), never written; nothing is
# installed, the packages are unpacked with dpkg-deb -x. Idempotent: a prefix already unpacked
# is reused without touching the network.
# Exit status: 0 and the prefix on stdout; 3 when Debian's archive cannot be reached (callers
# skip loudly); 2 for a usage error; 1 for anything else.
set -euo pipefail

case "${1:-}" in
    -h|--help) sed -n '3,15p' "$0"; exit 0 ;;
esac
cache=${1:-${XDG_CACHE_HOME:-$HOME/.cache}/libsysentry}
mkdir -p "$cache"
cache=$(cd "$cache" && pwd)
out="$cache/unicorn-trixie"
if [ -s "$out/version" ]; then
    echo "$out"
    exit 0
fi

mirror=""
if [ -r /etc/apt/sources.list.d/debian.sources ]; then
    mirror=$(awk '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i ~ /\/debian\/?$/) { print $i; exit } }' \
                 /etc/apt/sources.list.d/debian.sources)
fi
if [ -z "$mirror" ] && [ -r /etc/apt/sources.list ]; then
    mirror=$(awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\/.*\/debian\/?$/) { print $i; exit } }' \
                 /etc/apt/sources.list)
fi
if [ -z "$mirror" ]; then
    echo "fetch-unicorn: no Debian archive URI in the system's apt sources" >&2
    exit 1
fi
mirror=${mirror%/}

# a state directory of its own: fetch-kernel.sh may be using the other one at the same time
d="$cache/apt-trixie"
mkdir -p "$d/lists/partial" "$d/cache/archives/partial"
echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror trixie main" \
    >"$d/sources.list"
A=(-o "Dir::Etc::sourcelist=$d/sources.list" -o "Dir::Etc::sourceparts=-"
   -o "Dir::State::Lists=$d/lists" -o "Dir::Cache=$d/cache"
   -o "APT::Sandbox::User=$(id -un)")
if ! apt-get "${A[@]}" -q update >"$d/update.log" 2>&1 ||
   grep -qE '^(Err|W: Failed to fetch|E: Failed to fetch)' "$d/update.log"; then
    echo "fetch-unicorn: cannot reach Debian's archive at $mirror (no network?); see $d/update.log" >&2
    exit 3
fi
# the runtime library's name carries the t64 transition suffix in trixie: ask for it by pattern
lib=$(apt-cache "${A[@]}" search --names-only '^libunicorn2(t64)?$' | awk '{ print $1 }' | sort | tail -n 1)
if [ -z "$lib" ]; then
    echo "fetch-unicorn: no libunicorn2 package in trixie" >&2
    exit 1
fi
work="$cache/work-unicorn.$$"
rm -rf "$work"
mkdir -p "$work"
trap 'rm -rf "$work"' EXIT
if ! (cd "$work" && apt-get "${A[@]}" -q download libunicorn-dev "$lib" >"$d/download.log" 2>&1); then
    if grep -qE 'Could not resolve|Failed to fetch|Connection failed|Temporary failure' \
            "$d/download.log"; then
        echo "fetch-unicorn: cannot download from $mirror (no network?); see $d/download.log" >&2
        exit 3
    fi
    echo "fetch-unicorn: apt-get download failed; see $d/download.log" >&2
    exit 1
fi
rm -rf "$out.tmp"
mkdir -p "$out.tmp"
for deb in "$work"/*.deb; do
    dpkg-deb -x "$deb" "$out.tmp"
done
hdr="$out.tmp/usr/include/unicorn/unicorn.h"
so=$(ls "$out.tmp"/usr/lib/*/libunicorn.so.2* 2>/dev/null | head -n 1)
if [ ! -s "$hdr" ] || [ -z "$so" ]; then
    echo "fetch-unicorn: the packages lack unicorn.h or libunicorn.so.2" >&2
    exit 1
fi
dpkg-deb -f "$work"/libunicorn-dev_*.deb Version >"$out.tmp/version"
rm -rf "$out"
mv "$out.tmp" "$out"
echo "$out"
