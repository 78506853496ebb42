#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Install the Debian bookworm packages libsysentry builds and tests with, if any is missing.
# Run as root (or with sudo available). Nothing is downloaded at build time.
set -euo pipefail
pkgs=(cmake ninja-build gcc clang pkg-config libunicorn-dev libzydis-dev libcmocka-dev
      valgrind libclang-rt-14-dev binutils clang-format doxygen
      liblzma-dev libzstd-dev liblz4-dev zlib1g-dev)
missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
    echo "deps: installing ${missing[*]}"
    SUDO=""
    [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
