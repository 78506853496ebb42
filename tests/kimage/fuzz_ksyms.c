/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer harness for the kallsyms decoder and the map parser (-DSYSENTRY_BUILD_FUZZERS=ON
 * with clang; seeds from ksyms_seeds: synthetic tables of both layouts and a few map texts).
 * The first byte picks the input: mode 0/1 takes the rest as the .rodata of a synthetic
 * se_vmlinux (1 without the per-CPU section, so that absolute values stay SE_KSYM_ABS), mode 2
 * as a map text taken as it is, mode 3 as a map text slid against a link_text. The bytes are
 * copied to a buffer of their exact size so that ASan sees any read past them.
 * Beyond "no sanitizer report": a table returned must answer consistently (every symbol is
 * found by its name, name_at of an address-sorted symbol's own address gives offset 0 and a
 * symbol at that address), and failure gives NULL, a known status and a message.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kimage/kallsyms.h"
#include "ksyms_build.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Bounds the consistency walk so that a large decoded table stays fast to check. */
#define SE_FUZZ_CHECK 4096

static void check(const se_ksyms *k)
{
    size_t n = se_ksyms_count(k);
    if (n == 0 || n > SE_KSYMS_MAX)
        abort();
    for (size_t i = 0; i < n && i < SE_FUZZ_CHECK; i++) {
        se_ksym s, l;
        if (!se_ksyms_get(k, i, &s) || s.name == NULL || s.name[0] == '\0')
            abort();
        /* a lookup gives the preferred symbol of that name, which may be another entry */
        if (!se_ksyms_lookup(k, s.name, &l) || strcmp(l.name, s.name) != 0)
            abort();
        if (s.flags & ~(unsigned)(SE_KSYM_PERCPU | SE_KSYM_ABS))
            abort();
        if (s.flags != 0)
            continue;
        uint64_t off = 1;
        const char *at = se_ksyms_name_at(k, s.addr, &off);
        uint64_t a = 0;
        if (at == NULL || off != 0)
            abort();
        /* the name given exists; its preferred entry may be another alias of the same name */
        if (!se_ksyms_find(k, at, &a, NULL))
            abort();
    }
    (void)se_ksyms_name_at(k, 0, NULL);
    (void)se_ksyms_name_at(k, UINT64_MAX, NULL);
    se_ksym s;
    if (se_ksyms_get(k, n, &s))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    unsigned mode = data[0] & 3;
    size_t len = size - 1;
    uint8_t *copy = malloc(len ? len : 1);
    if (copy == NULL)
        return 0;
    memcpy(copy, data + 1, len);
    se_ksyms *k = (se_ksyms *)&k; /* must be reset to NULL by every call */
    char err[160];
    err[0] = 'x';
    se_status st;
    if (mode < 2) {
        se_vmlinux vm;
        se_vmlinux_section secs[3];
        se_kb_vmlinux(&vm, secs, copy, len);
        if (mode == 1)
            vm.n_secs = 2;
        st = se_ksyms_from_vmlinux(&vm, &k, err, sizeof err);
        if (st != SE_OK && st != SE_ERR_FORMAT && st != SE_ERR_NOT_FOUND && st != SE_ERR_NOMEM)
            abort();
    } else {
        uint64_t slide = 7;
        st = se_ksyms_from_map((const char *)copy, len, mode == 3 ? SE_KB_TEXT : 0, &k, &slide, err,
                               sizeof err);
        if (st != SE_OK && st != SE_ERR_FORMAT && st != SE_ERR_NOT_FOUND && st != SE_ERR_NOMEM)
            abort();
        if (st == SE_OK && mode == 2 && slide != 0)
            abort();
        if (st == SE_OK && mode == 3) {
            se_ksym t; /* _text now sits at its link address */
            if (!se_ksyms_lookup(k, "_text", &t) || t.addr != SE_KB_TEXT)
                abort();
        }
    }
    if (st == SE_OK) {
        if (k == NULL)
            abort();
        check(k);
        se_ksyms_free(k);
    } else if (k != NULL || err[0] == '\0' || memchr(err, '\0', sizeof err) == NULL) {
        abort();
    }
    free(copy);
    return 0;
}
