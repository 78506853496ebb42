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
. "$(dirname "$0")/private-apt.sh"

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

# a state directory of its own: fetch-kernel.sh may be using the other one at the same time
d="$cache/apt-trixie"
rc=0
private_apt_init fetch-unicorn "$d" trixie || rc=$?
[ $rc -eq 0 ] || exit $rc
A=("${APT_OPTS[@]}")
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
rc=0
private_apt_download fetch-unicorn "$d" "$work" libunicorn-dev "$lib" || rc=$?
[ $rc -eq 0 ] || exit $rc
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
