#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The whole test suite: gcc and clang, each as a normal build and as an ASan+UBSan build,
# warnings as errors, against the system's Unicorn (bookworm: 2.0.1); then one gcc build against
# Debian trixie's Unicorn 2.1.1 (scripts/fetch-unicorn.sh, a private apt state, nothing installed). Prints ctest's summary per build and a final tally; exits non-zero if
# any build or test fails. Set SE_TEST_CONFIGS to a subset (e.g. "gcc") to run fewer.
set -uo pipefail
cd "$(dirname "$0")/.."
./scripts/deps.sh || exit 1
configs=${SE_TEST_CONFIGS:-"gcc gcc-asan clang clang-asan gcc-uc211"}
jobs=$(nproc 2>/dev/null || echo 2)
failed=()
mkdir -p build # a clean clone has none; the per-build logs live beside the build directories
for c in $configs; do
    uc_prefix=""
    case "$c" in
        gcc) cc=gcc; san=OFF ;;
        gcc-asan) cc=gcc; san=ON ;;
        clang) cc=clang; san=OFF ;;
        clang-asan) cc=clang; san=ON ;;
        gcc-uc211) cc=gcc; san=OFF
            uc_prefix=$(./scripts/fetch-unicorn.sh "$PWD/build/kernel-cache" 2>build/unicorn-fetch.log)
            urc=$?
            if [ $urc -eq 3 ]; then
                echo "*** SKIPPED: Debian's archive is unreachable: the Unicorn 2.1.1 build did NOT run ***"
                continue
            elif [ $urc -ne 0 ] || [ -z "$uc_prefix" ]; then
                tail -n 20 build/unicorn-fetch.log; failed+=("$c(fetch)"); continue
            fi
            echo "=== Unicorn $(cat "$uc_prefix/version") from Debian trixie, in $uc_prefix" ;;
        *) echo "unknown config $c"; exit 2 ;;
    esac
    dir="build/test-$c"
    echo "=== $c: configure and build ($dir)"
    if ! cmake -S . -B "$dir" -G Ninja -DCMAKE_C_COMPILER="$cc" -DCMAKE_BUILD_TYPE=Debug \
            -DSYSENTRY_WERROR=ON -DSYSENTRY_SANITIZE="$san" \
            -DSYSENTRY_UNICORN_PREFIX="$uc_prefix" \
            -DSYSENTRY_KERNEL_CACHE="$PWD/build/kernel-cache" >"$dir.configure.log" 2>&1; then
        cat "$dir.configure.log"; failed+=("$c(configure)"); continue
    fi
    if ! cmake --build "$dir" -j "$jobs" >"$dir.build.log" 2>&1; then
        tail -n 60 "$dir.build.log"; failed+=("$c(build)"); continue
    fi
    echo "=== $c: test"
    ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
        ctest --test-dir "$dir" -j "$jobs" --output-on-failure >"$dir.test.log" 2>&1
    status=$?
    # failures print their output; the summary is at the end either way
    if [ $status -ne 0 ]; then
        grep -v '^ *[0-9]*/[0-9]* Test' "$dir.test.log" | tail -n 200
        failed+=("$c(test)")
    else
        tail -n 3 "$dir.test.log"
    fi
done
if [ -z "${SE_TEST_CONFIGS:-}" ]; then
    echo "=== format: clang-format 14 against .clang-format"
    if ! cmake --build build/test-gcc --target format-check >build/format.log 2>&1; then
        grep -m 20 "warning:" build/format.log
        failed+=("format")
    else
        echo "formatted"
    fi

    echo "=== docs: the API reference builds without a single Doxygen warning"
    # docs-check fails when build/test-gcc/docs/doxygen-warnings.log is non-empty, e.g. for an
    # undocumented public symbol or parameter; doxygen comes from deps.sh
    if ! cmake --build build/test-gcc --target docs-check >build/docs.log 2>&1; then
        if [ -s build/test-gcc/docs/doxygen-warnings.log ]; then
            head -n 40 build/test-gcc/docs/doxygen-warnings.log
        else
            tail -n 20 build/docs.log
        fi
        failed+=("docs")
    else
        echo "documented"
    fi

    echo "=== valgrind: the gcc build's tests under memcheck (no invalid accesses, no leaks)"
    # the CLI tests wrap shell commands, the fuzz replay and the threads test run long under
    # valgrind (test_code runs 60,000 random-rip syscalls, test_codebuf_fill translates 1 GiB);
    # ASan/UBSan and TSan cover those
    if ! ctest --test-dir build/test-gcc -T memcheck -j "$jobs" \
            --overwrite MemoryCheckCommand="$(command -v valgrind)" \
            --overwrite "MemoryCheckCommandOptions=--leak-check=full --errors-for-leak-kinds=definite --error-exitcode=9 -q" \
            -E "cli-|fuzz_replay|threads|test_code|kernel_real|kimage_real|codebuf_fill" \
            >build/test-gcc.memcheck.log 2>&1; then
        tail -n 30 build/test-gcc.memcheck.log
        failed+=("valgrind")
    else
        tail -n 2 build/test-gcc.memcheck.log
    fi

    # Real kernels (Debian bookworm's 6.1 and bookworm-backports' 6.12 cloud images, fetched
    # once into build/kernel-cache by the kernel_real tests above): each one's own entry code
    # (for 6.12 also its C entry work and checks) under memcheck once, the scenario table, and
    # the rebuild's profile for that release (6.6 for 6.1, 6.12 for 6.12) against it over
    # 10,000 random states in each of the 8 configurations (docs/real-kernels.md). Skipped
    # loudly only when Debian's archive cannot be reached (fetch-kernel.sh exit 3).
    kimgs=()
    for kver in 6.1 6.12; do
        echo "=== real kernel: Debian $kver image (trace under valgrind, check, diff x 10,000 states)"
        kimg=$(./scripts/fetch-kernel.sh "$kver" "$PWD/build/kernel-cache" 2>build/kernel-fetch.log)
        krc=$?
        if [ $krc -eq 3 ]; then
            echo "*** SKIPPED: Debian's archive is unreachable: the $kver real-kernel checks did NOT run ***"
            continue
        elif [ $krc -ne 0 ] || [ -z "$kimg" ]; then
            tail -n 20 build/kernel-fetch.log
            failed+=("kernel-$kver(fetch)")
            continue
        fi
        cli=build/test-gcc/tools/sysentry
        log=build/kernel-$kver
        if ! valgrind -q --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=9 \
                "$cli" trace --kernel-image "$kimg" >"$log-trace.log" 2>&1; then
            tail -n 30 "$log-trace.log"
            failed+=("kernel-$kver(valgrind)")
        else
            grep -E "^verdict|guest instructions" "$log-trace.log"
        fi
        if ! "$cli" check --kernel-image "$kimg" >"$log-check.log" 2>&1; then
            grep -E "FAIL|passed" "$log-check.log" | tail -n 20
            failed+=("kernel-$kver(check)")
        else
            tail -n 1 "$log-check.log"
        fi
        if ! "$cli" diff --kernel-image "$kimg" --states "${SE_KERNEL_DIFF_STATES:-10000}" \
                >"$log-diff.log" 2>&1; then
            tail -n 40 "$log-diff.log"
            failed+=("kernel-$kver(diff)")
        else
            grep -E "cases" "$log-diff.log"
        fi
        kimgs+=(--image "$kimg")
    done
    # the rebuild and both kernels per phase, one table (docs/real-kernels.md, "Cost")
    if [ ${#kimgs[@]} -eq 4 ]; then
        if ! build/test-gcc/tools/sysentry compare --kernel 6.12 "${kimgs[@]}" \
                >build/kernel-compare.log 2>&1; then
            tail -n 20 build/kernel-compare.log
            failed+=("kernel(compare)")
        else
            grep -E "^total" build/kernel-compare.log
        fi
    fi

    echo "=== ThreadSanitizer: many machines in many threads"
    dir=build/test-tsan
    if cmake -S . -B "$dir" -G Ninja -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug \
            -DSYSENTRY_WERROR=ON -DSYSENTRY_TSAN=ON >"$dir.configure.log" 2>&1 &&
       cmake --build "$dir" -j "$jobs" --target test_threads >"$dir.build.log" 2>&1 &&
       TSAN_OPTIONS=halt_on_error=1 "$dir/tests/threads/test_threads" >"$dir.test.log" 2>&1; then
        tail -n 1 "$dir.test.log"
    else
        tail -n 40 "$dir.test.log" "$dir.build.log" 2>/dev/null
        failed+=("tsan")
    fi

    echo "=== libFuzzer: a bounded run of the entry fuzzer under ASan+UBSan (docs/fuzzing.md)"
    dir=build/test-fuzz
    secs=${SE_FUZZ_SECONDS:-60}
    if cmake -S . -B "$dir" -G Ninja -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug \
            -DSYSENTRY_WERROR=ON -DSYSENTRY_SANITIZE=ON -DSYSENTRY_BUILD_FUZZERS=ON \
            >"$dir.configure.log" 2>&1 &&
       cmake --build "$dir" -j "$jobs" --target fuzz_entry fuzz_replay >"$dir.build.log" 2>&1 &&
       rm -rf "$dir/corpus" && mkdir -p "$dir/corpus" &&
       "$dir/tests/fuzz/fuzz_replay" --write-corpus "$dir/corpus" &&
       "$dir/tests/fuzz/fuzz_entry" -max_total_time="$secs" -timeout=10 -rss_limit_mb=4096 \
            "$dir/corpus" >"$dir.run.log" 2>&1; then
        grep -E "^#[0-9]+ +DONE|Done [0-9]+ runs" "$dir.run.log" | tail -n 1
    else
        tail -n 40 "$dir.run.log" "$dir.build.log" 2>/dev/null
        failed+=("fuzz")
    fi

    # The parsers of untrusted input, each for a bounded run from its seed directory with its
    # dictionary; any crash, sanitizer report, leak or harness abort fails the suite (the
    # fuzzer exits non-zero and leaves a crash-* file in $dir). Together about 270 s.
    for h in "fuzz_entry_elf loader elf SE_FUZZ_ELF_SECONDS 45" \
             "fuzz_profile timing profile SE_FUZZ_PROFILE_SECONDS 45" \
             "fuzz_kimage kimage kimage SE_FUZZ_KIMAGE_SECONDS 30" \
             "fuzz_ksyms kimage ksyms SE_FUZZ_KSYMS_SECONDS 30" \
             "fuzz_kalt kimage kalt SE_FUZZ_KALT_SECONDS 30" \
             "fuzz_btf kimage btf SE_FUZZ_BTF_SECONDS 30" \
             "fuzz_kbugs kimage kbugs SE_FUZZ_KBUGS_SECONDS 30" \
             "fuzz_kernel_image kernel kernel SE_FUZZ_KERNEL_SECONDS 30"; do
        set -- $h
        name=$1 area=$2 kind=$3
        secs=${!4:-$5}
        echo "=== libFuzzer: $name for ${secs} s under ASan+UBSan"
        if cmake --build "$dir" -j "$jobs" --target "$name" >"$dir.$name.build.log" 2>&1 &&
           rm -rf "$dir/corpus_$kind" && mkdir -p "$dir/corpus_$kind" &&
           cp "$dir/tests/$area/seeds_$kind"/* "$dir/corpus_$kind/" &&
           "$dir/tests/$area/$name" -max_total_time="$secs" -timeout=10 -rss_limit_mb=4096 \
                -dict="tests/$area/$kind.dict" -artifact_prefix="$dir/" \
                "$dir/corpus_$kind" >"$dir.$name.run.log" 2>&1; then
            grep -E "^#[0-9]+ +DONE|Done [0-9]+ runs" "$dir.$name.run.log" | tail -n 1
        else
            tail -n 40 "$dir.$name.run.log" "$dir.$name.build.log" 2>/dev/null
            failed+=("$name")
        fi
    done

    echo "=== packaging: install, then build a consumer with find_package and pkg-config"
    if ! ./scripts/consumer.sh; then
        failed+=("consumer")
    fi
fi
echo
if [ "${#failed[@]}" -gt 0 ]; then
    echo "FAILED: ${failed[*]}"
    exit 1
fi
echo "ALL PASSED: $configs"
