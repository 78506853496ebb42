#!/usr/bin/env bash
# The main job: build libsysentry and walk one Linux 6.6 syscall through the emulated entry
# path on the built-in defaults (Intel, 4-level paging, PTI + PCID). Extra arguments go to the
# tool, e.g. ./scripts/demo.sh --vendor amd --no-pti
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/deps.sh
cmake -S . -B build/demo -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/demo --target sysentry-demo >/dev/null
exec build/demo/examples/sysentry-demo "$@"
