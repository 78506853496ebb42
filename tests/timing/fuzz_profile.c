/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer harness for se_cost_profile_parse (-DSYSENTRY_BUILD_FUZZERS=ON with clang; seeds
 * and a dictionary of keys come from CMake, docs/fuzzing.md). Beyond "no sanitizer report": a
 * parsed profile is one se_set_cost_profile accepts (finite, non-negative costs, a terminated
 * name), a failure is SE_ERR_FORMAT with a message, and a short message buffer stays
 * terminated.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sysentry/sysentry.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static se_machine *m;
    if (m == NULL && se_machine_create(NULL, &m) != SE_OK)
        abort();
    char *text = malloc(size + 1); /* the parser takes a C string: an exact-size copy lets ASan
                                      see any read past its terminator */
    if (text == NULL)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    se_cost_profile p;
    char err[96], tiny[4];
    se_status st = se_cost_profile_parse(text, &p, err, sizeof err);
    se_status again = se_cost_profile_parse(text, &p, tiny, sizeof tiny);
    free(text);
    if (st != again)
        abort(); /* the message buffer must not change the verdict */
    if (st != SE_OK) {
        if (st != SE_ERR_FORMAT || err[0] == '\0' || memchr(tiny, '\0', sizeof tiny) == NULL)
            abort();
        return 0;
    }
    if (memchr(p.name, '\0', sizeof p.name) == NULL || !isfinite(p.ghz) || p.ghz < 0)
        abort();
    for (int c = 0; c < SE_COST_CLASS_COUNT; c++)
        if (!isfinite(p.cycles[c]) || p.cycles[c] < 0)
            abort();
    if (se_set_cost_profile(m, &p) != SE_OK)
        abort();
    return 0;
}
