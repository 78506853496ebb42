#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Packaging check: install libsysentry into a temporary prefix, then build and run a small
# consumer project against it both ways: CMake find_package(sysentry) (shared and static
# targets) and pkg-config (sysentry.pc).
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The prefix is chosen at install time, not at configure time (which keeps /usr/local): what a
# packager does, and what must still give a correct sysentry.pc.
cmake -S . -B "$work/build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DSYSENTRY_BUILD_TESTS=OFF \
      -DSYSENTRY_BUILD_EXAMPLES=OFF >/dev/null
cmake --build "$work/build" >/dev/null
cmake --install "$work/build" --prefix "$work/prefix" >/dev/null
test -x "$work/prefix/bin/sysentry"
cmake -S tests/consumer -B "$work/consumer" -G Ninja -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
cmake --build "$work/consumer" >/dev/null
LD_LIBRARY_PATH="$work/prefix/lib:$work/prefix/lib/x86_64-linux-gnu" "$work/consumer/consumer"
"$work/consumer/consumer_static"
pc="$work/prefix/lib/pkgconfig"
[ -d "$pc" ] || pc="$work/prefix/lib/x86_64-linux-gnu/pkgconfig"
cc tests/consumer/main.c -o "$work/consumer_pc" \
   $(PKG_CONFIG_PATH="$pc" pkg-config --cflags --libs sysentry) -Wl,-rpath,"$(dirname "$pc")"
"$work/consumer_pc"
# and from a copy of the prefix elsewhere: the .pc finds its prefix from its own directory
mv "$work/prefix" "$work/moved"
pc="$work/moved/${pc#"$work/prefix/"}"
cc tests/consumer/main.c -o "$work/consumer_moved" \
   $(PKG_CONFIG_PATH="$pc" pkg-config --cflags --libs sysentry) -Wl,-rpath,"$(dirname "$pc")"
"$work/consumer_moved"
echo "consumer: find_package (shared, static) and pkg-config builds work, prefix set at install time"
