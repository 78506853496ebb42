/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Coverage callbacks for a fuzzing build without sanitizers.
 *
 * -DSYSENTRY_BUILD_FUZZERS=ON compiles the library with -fsanitize=fuzzer-no-link, so that
 * libFuzzer sees coverage inside it. The callbacks that instrumentation calls are defined by
 * libFuzzer in the fuzz targets and by any sanitizer runtime (ASan, UBSan); a build with
 * -DSYSENTRY_SANITIZE=OFF links its other programs (tests, tools, examples) with neither, so
 * the library carries these weak, empty ones, which libFuzzer's own definitions override.
 * Such a build runs the fuzzers about twice as fast as one under ASan+UBSan (for long
 * campaigns hunting crashes inside the engine, which ASan does not instrument anyway).
 */
#include <stddef.h>
#include <stdint.h>

#define SE_SANCOV_WEAK __attribute__((weak, visibility("default"), no_sanitize("coverage")))

__attribute__((weak, visibility("default"))) _Thread_local uintptr_t __sancov_lowest_stack;

/* One prototype per stub: -Wmissing-prototypes is on for the project's code. */
#define SE_SANCOV_CMP(name, type)                                                                  \
    SE_SANCOV_WEAK void name(type a, type b);                                                      \
    SE_SANCOV_WEAK void name(type a, type b)                                                       \
    {                                                                                              \
        (void)a;                                                                                   \
        (void)b;                                                                                   \
    }
SE_SANCOV_CMP(__sanitizer_cov_trace_cmp1, uint8_t)
SE_SANCOV_CMP(__sanitizer_cov_trace_cmp2, uint16_t)
SE_SANCOV_CMP(__sanitizer_cov_trace_cmp4, uint32_t)
SE_SANCOV_CMP(__sanitizer_cov_trace_cmp8, uint64_t)
SE_SANCOV_CMP(__sanitizer_cov_trace_const_cmp1, uint8_t)
SE_SANCOV_CMP(__sanitizer_cov_trace_const_cmp2, uint16_t)
SE_SANCOV_CMP(__sanitizer_cov_trace_const_cmp4, uint32_t)
SE_SANCOV_CMP(__sanitizer_cov_trace_const_cmp8, uint64_t)

SE_SANCOV_WEAK void __sanitizer_cov_trace_switch(uint64_t val, uint64_t *cases);
SE_SANCOV_WEAK void __sanitizer_cov_trace_switch(uint64_t val, uint64_t *cases)
{
    (void)val;
    (void)cases;
}

SE_SANCOV_WEAK void __sanitizer_cov_trace_pc_indir(uintptr_t callee);
SE_SANCOV_WEAK void __sanitizer_cov_trace_pc_indir(uintptr_t callee)
{
    (void)callee;
}

SE_SANCOV_WEAK void __sanitizer_cov_8bit_counters_init(uint8_t *start, uint8_t *stop);
SE_SANCOV_WEAK void __sanitizer_cov_8bit_counters_init(uint8_t *start, uint8_t *stop)
{
    (void)start;
    (void)stop;
}

SE_SANCOV_WEAK void __sanitizer_cov_pcs_init(const uintptr_t *start, const uintptr_t *stop);
SE_SANCOV_WEAK void __sanitizer_cov_pcs_init(const uintptr_t *start, const uintptr_t *stop)
{
    (void)start;
    (void)stop;
}
