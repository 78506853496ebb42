#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Fetch a Debian bookworm kernel image (vmlinuz) from Debian's archive and print its path.
#
#   scripts/fetch-kernel.sh [6.1|6.12] [cache-dir]
#
#   6.1   the newest linux-image-6.1.0-*-cloud-amd64-unsigned of bookworm (default)
#   6.12  the newest linux-image-6.12*-cloud-amd64-unsigned of bookworm-backports
#
# cache-dir defaults to ${XDG_CACHE_HOME:-~/.cache}/libsysentry. apt runs with a PRIVATE state
# directory under cache-dir (its own sources.list, lists and archives): the system's /etc/apt and
# /var/lib/apt are only read (the mirror is taken from the system's sources), never written.
# Idempotent: an image already extracted is reused without touching the network.
# Exit status: 0 and the vmlinuz path on stdout; 3 when Debian's archive cannot be reached
# (callers skip loudly); 2 for a usage error; 1 for anything else.
set -euo pipefail
. "$(dirname "$0")/private-apt.sh"

ver=${1:-6.1}
cache=${2:-${XDG_CACHE_HOME:-$HOME/.cache}/libsysentry}
case "$ver" in
    6.1) suites="bookworm"; pattern='^linux-image-6\.1\.0-[0-9]+-cloud-amd64-unsigned$' ;;
    6.12) suites="bookworm bookworm-backports"
          pattern='^linux-image-6\.12\.[0-9.+~a-z]*-cloud-amd64-unsigned$' ;;
    -h|--help) sed -n '3,16p' "$0"; exit 0 ;;
    *) echo "fetch-kernel: unknown version '$ver' (6.1 or 6.12)" >&2; exit 2 ;;
esac

mkdir -p "$cache"
cache=$(cd "$cache" && pwd)
out="$cache/kernel-$ver"
if [ -s "$out/vmlinuz" ]; then
    echo "$out/vmlinuz"
    exit 0
fi

d="$cache/apt"
rc=0
private_apt_init fetch-kernel "$d" $suites || rc=$?
[ $rc -eq 0 ] || exit $rc
A=("${APT_OPTS[@]}")

# The newest matching package name (names carry the ABI number, which moves).
pkg=$(apt-cache "${A[@]}" search --names-only "$pattern" | awk '{ print $1 }' | sort -V | tail -n 1)
if [ -z "$pkg" ]; then
    echo "fetch-kernel: no package matching $pattern in $suites" >&2
    exit 1
fi

work="$cache/work-$ver.$$"
rm -rf "$work"
mkdir -p "$work"
trap 'rm -rf "$work"' EXIT
rc=0
private_apt_download fetch-kernel "$d" "$work" "$pkg" || rc=$?
[ $rc -eq 0 ] || exit $rc
deb=$(ls "$work"/*.deb)
(cd "$work" && dpkg-deb --fsys-tarfile "$deb" | tar -x --wildcards './boot/*')
img=$(ls "$work"/boot/vmlinuz-* 2>/dev/null | head -n 1)
if [ -z "$img" ]; then
    echo "fetch-kernel: $pkg has no /boot/vmlinuz-*" >&2
    exit 1
fi
rm -rf "$out.tmp"
mkdir -p "$out.tmp"
cp "$img" "$out.tmp/vmlinuz"
cp "$work"/boot/config-* "$out.tmp/" 2>/dev/null || true
echo "$pkg" >"$out.tmp/package"
rm -rf "$out"
mv "$out.tmp" "$out"
echo "$out/vmlinuz"
