#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The performance figures of docs/performance.md, side by side for each Unicorn engine: builds
# tools/sysentry (Release) against Debian bookworm's Unicorn 2.0.1 and, when it is on this
# machine, against trixie's 2.1.1 (scripts/fetch-unicorn.sh's prefix), runs `sysentry bench
# --tsv` from each and prints one table, each cell "time (x native)".
#
#   scripts/bench.sh [--callgrind] [--calls N1,N2] [--unicorn-prefix DIR] [--cache-dir DIR]
#                    [--fetch-unicorn]
#
# --callgrind        add rows of host instructions per call (pti, nopti, fuzz): each workload
#                    runs under valgrind's callgrind as `sysentry bench --loop W N` for N1 and N2
#                    calls; (I(N2) - I(N1)) / (N2 - N1) cancels creation and warm-up. Needs
#                    valgrind. N1,N2 default to 500,1500 (or $SE_BENCH_CALLS, e.g. "100 300").
# --unicorn-prefix   the Unicorn 2.1.1 prefix to use. Without it the prefix is looked up, never
#                    downloaded, as <cache-dir>/unicorn-trixie; cache-dir is --cache-dir, else
#                    build/kernel-cache (scripts/test.sh's) and then fetch-unicorn.sh's default
#                    ${XDG_CACHE_HOME:-~/.cache}/libsysentry. Not found: the 2.0.1 column only.
# --fetch-unicorn    run scripts/fetch-unicorn.sh into cache-dir first (the only way this
#                    script touches the network; Debian's archive unreachable: 2.0.1 only).
# Builds go to build/bench-<engine>, each run's figures to build/bench-<engine>.tsv. Exit
# status: 0 with the table; 2 for a usage error; 1 when a build, a bench or a count fails.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() { sed -n '3,22p' "$0"; }
callgrind=0
fetch=0
uc_prefix=""
cache=""
calls=${SE_BENCH_CALLS:-"500 1500"}
while [ $# -gt 0 ]; do
    case "$1" in
        --callgrind) callgrind=1 ;;
        --fetch-unicorn) fetch=1 ;;
        --calls) [ $# -ge 2 ] || { usage >&2; exit 2; }; calls=${2/,/ }; shift ;;
        --unicorn-prefix) [ $# -ge 2 ] || { usage >&2; exit 2; }; uc_prefix=$2; shift ;;
        --cache-dir) [ $# -ge 2 ] || { usage >&2; exit 2; }; cache=$2; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "bench: unknown option '$1'" >&2; usage >&2; exit 2 ;;
    esac
    shift
done
read -r n1 n2 extra <<<"$calls" || true
if ! [[ "${n1:-}" =~ ^[1-9][0-9]*$ && "${n2:-}" =~ ^[1-9][0-9]*$ ]] || [ -n "${extra:-}" ] ||
        [ "$n2" -le "$n1" ]; then
    echo "bench: the call counts must be two numbers N1 < N2, not '$calls'" >&2
    exit 2
fi
for tool in cmake ninja; do
    command -v "$tool" >/dev/null || { echo "bench: no $tool: run scripts/deps.sh" >&2; exit 1; }
done
mkdir -p build

# ---- The engines: "name prefix" (an empty prefix is the system's Unicorn) ----------------
engines=("uc201 ")
if [ -n "$uc_prefix" ]; then
    if [ ! -s "$uc_prefix/usr/include/unicorn/unicorn.h" ]; then
        echo "bench: $uc_prefix has no usr/include/unicorn/unicorn.h (scripts/fetch-unicorn.sh)" >&2
        exit 2
    fi
else
    if [ "$fetch" -eq 1 ]; then
        fcache=${cache:-$PWD/build/kernel-cache}
        rc=0
        uc_prefix=$(./scripts/fetch-unicorn.sh "$fcache" 2>build/unicorn-fetch.log) || rc=$?
        if [ $rc -eq 3 ]; then
            echo "*** Debian's archive is unreachable: no Unicorn 2.1.1 column ***"
            uc_prefix=""
        elif [ $rc -ne 0 ] || [ -z "$uc_prefix" ]; then
            tail -n 20 build/unicorn-fetch.log >&2
            exit 1
        fi
    else
        if [ -n "$cache" ]; then
            dirs=("$cache")
        else
            dirs=("$PWD/build/kernel-cache" "${XDG_CACHE_HOME:-$HOME/.cache}/libsysentry")
        fi
        for d in "${dirs[@]}"; do
            if [ -s "$d/unicorn-trixie/version" ]; then
                uc_prefix=$d/unicorn-trixie
                break
            fi
        done
        if [ -z "$uc_prefix" ]; then
            echo "*** Unicorn 2.1.1 not found (looked for unicorn-trixie in ${dirs[*]}):" \
                 "no 2.1.1 column; pass --unicorn-prefix DIR, --cache-dir DIR or --fetch-unicorn ***"
        fi
    fi
fi
[ -n "$uc_prefix" ] && engines+=("uc211 $(cd "$uc_prefix" && pwd)")

# ---- Build and bench each engine ----------------------------------------------------------
# a busy machine inflates the times (not the instruction counts): the table says how busy
load=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo "?")
declare -A V     # V[engine:key] = value, from `sysentry bench --tsv` and the callgrind counts
names=()
for e in "${engines[@]}"; do
    read -r name prefix <<<"$e" || true
    prefix=${prefix:-}
    dir=build/bench-$name
    echo "=== $name: Release build in $dir${prefix:+ (Unicorn from $prefix)}"
    # -U: find Unicorn again, so a different --unicorn-prefix takes effect in an existing build
    if ! cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Release \
            -USE_UNICORN_INCLUDE -USE_UNICORN_LIBRARY -DSYSENTRY_UNICORN_PREFIX="$prefix" \
            >"$dir.configure.log" 2>&1; then
        cat "$dir.configure.log" >&2
        exit 1
    fi
    if ! cmake --build "$dir" --target sysentry-cli >"$dir.build.log" 2>&1; then
        tail -n 60 "$dir.build.log" >&2
        exit 1
    fi
    cli=$dir/tools/sysentry
    echo "=== $name: sysentry bench --tsv (best of 5 per figure)"
    "$cli" bench --tsv >"$dir.tsv"
    while IFS=$'\t' read -r k v; do
        V[$name:$k]=$v
    done <"$dir.tsv"
    names+=("$name")
done

# ---- Host instructions per call under callgrind -------------------------------------------
# The workloads `sysentry bench --loop` runs. `batch` (COUNT fuzz executions through
# se_syscall_batch) is counted when the binary lists it in `sysentry bench --help`: an older
# build's row says n/a, as does its timed row when `sysentry bench --tsv` has no fuzz_batch_ns.
have_valgrind=1
command -v valgrind >/dev/null || have_valgrind=0
if [ "$callgrind" -eq 1 ] && [ "$have_valgrind" -eq 0 ]; then
    echo "*** --callgrind: valgrind is not installed (scripts/deps.sh installs it):" \
         "no host-instruction rows ***"
fi
if [ "$callgrind" -eq 1 ] && [ "$have_valgrind" -eq 1 ]; then
    for name in "${names[@]}"; do
        cli=build/bench-$name/tools/sysentry
        workloads=(pti nopti fuzz)
        help=$("$cli" bench --help)
        [[ "$help" =~ --loop\ [a-z\|]*batch ]] && workloads+=(batch)
        for w in "${workloads[@]}"; do
            echo "=== $name: callgrind, sysentry bench --loop $w $n1 and $n2"
            counts=()
            for n in "$n1" "$n2"; do
                out=build/bench-$name.callgrind.$w.$n
                if ! valgrind --tool=callgrind --callgrind-out-file="$out" \
                        "$cli" bench --loop "$w" "$n" >"$out.log" 2>&1; then
                    tail -n 20 "$out.log" >&2
                    exit 1
                fi
                c=$(awk '/^summary:/ { print $2 }' "$out")
                [ -n "$c" ] || { echo "bench: no instruction count in $out" >&2; exit 1; }
                counts+=("$c")
            done
            V[$name:insns_$w]=$(( (counts[1] - counts[0]) / (n2 - n1) ))
        done
    done
fi

# ---- The table ------------------------------------------------------------------------------
# a time in ns and its multiple of this engine's native round trip
cell_time() {
    local v=${V[$1:$2]:-} native=${V[$1:native_ns]:-}
    if [ -z "$v" ] || [ -z "$native" ]; then
        echo "n/a"
        return
    fi
    awk -v t="$v" -v n="$native" 'BEGIN {
        s = t < 1000 ? sprintf("%.1f ns", t) : sprintf("%.2f us", t / 1000)
        printf "%s (%.0fx native)\n", s, t / n }'
}
cell_insns() {
    local v=${V[$1:insns_$2]:-}
    if [ -z "$v" ]; then
        echo "n/a"
        return
    fi
    # thousands separated by commas, whatever the locale
    sed -E ':a; s/([0-9])([0-9]{3})($|,)/\1,\2\3/; ta' <<<"$v"
}
# a label, then one cell per engine (no padding after the last: no trailing blanks)
line() {
    local out
    out=$(printf "%-36s" "$1")
    shift
    for c in "$@"; do
        out+=$(printf " | %-26s" "$c")
    done
    echo "${out%"${out##*[! ]}"}"
}
row() {
    local label=$1 kind=$2 key=$3 name cells=()
    for name in "${names[@]}"; do
        cells+=("$("cell_$kind" "$name" "$key")")
    done
    line "$label" "${cells[@]}"
}
echo
heads=()
for name in "${names[@]}"; do
    heads+=("Unicorn ${V[$name:engine]:-?}")
done
line "" "${heads[@]}"
printf -- "%s" "------------------------------------"
for name in "${names[@]}"; do
    printf -- "-+-%s" "--------------------------"
done
echo
row "native round trip (raw SYSCALL)" time native_ns
row "se_syscall, PTI+PCID" time syscall_pti_ns
row "se_syscall, no PTI" time syscall_nopti_ns
row "guest loop round trip, PTI+PCID" time loop_pti_ns
row "guest loop round trip, no PTI" time loop_nopti_ns
row "fuzz exec (single)" time fuzz_ns
row "fuzz exec (batched)" time fuzz_batch_ns
echo "(times: sysentry bench, best of 5 per figure; load average before the runs: $load)"
if [ "$callgrind" -eq 1 ] && [ "$have_valgrind" -eq 1 ]; then
    row "host insns/call, se_syscall PTI+PCID" insns pti
    row "host insns/call, se_syscall no PTI" insns nopti
    row "host insns/call, fuzz exec (single)" insns fuzz
    row "host insns/call, fuzz exec (batched)" insns batch
    echo "(host instructions: callgrind, (I($n2) - I($n1)) / $((n2 - n1)) calls)"
fi
