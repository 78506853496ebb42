#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The main job: build libsysentry and walk one Linux 6.6 syscall (getpid) through the emulated
# entry path on the built-in defaults (Intel, 4-level paging, PTI + PCID), instruction by
# instruction with cycles and notes: `sysentry trace`. Extra arguments go to the tool, e.g.
#   ./scripts/demo.sh --vendor amd --no-pti      ./scripts/demo.sh --restart --json
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/deps.sh
cmake -S . -B build/demo -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/demo --target sysentry-cli >/dev/null
exec build/demo/tools/sysentry trace "$@"
