/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer harness for se_kbugs_parse and se_kbugs_find (-DSYSENTRY_BUILD_FUZZERS=ON with clang;
 * seeds from kbugs_seeds). The input (kbugs_fuzz.h) is cut into .text, .rodata and __bug_table of
 * a synthetic se_vmlinux, each a buffer of its exact size so that ASan sees any read past it.
 * Beyond "no sanitizer report", the harness decodes the records itself and checks what
 * se_kbugs_parse promises: SE_ERR_FORMAT exactly for a table that is not whole 12-byte records
 * (or has no file data); otherwise one entry per distinct UD2 address inside .text, sorted, the
 * first record for each address, line and flags as recorded, file names NUL-terminated inside
 * names and at most SE_KBUG_FILE_MAX long, and se_kbugs_find giving that entry.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kbugs_fuzz.h"
#include "kimage/bugtable.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A buffer of exactly n bytes (1 when n is 0, never read then) holding the next n input bytes. */
static uint8_t *fb_take(const uint8_t **p, size_t *left, size_t n)
{
    if (n > *left)
        n = *left;
    uint8_t *b = malloc(n ? n : 1);
    if (b == NULL)
        abort();
    memcpy(b, *p, n);
    *p += n;
    *left -= n;
    return b;
}

static int32_t fb_s32(const uint8_t *b)
{
    return (int32_t)((uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
                     (uint32_t)b[3] << 24);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < SE_KB_HDR)
        return 0;
    const uint8_t *p = data + SE_KB_HDR;
    size_t left = size - SE_KB_HDR;
    size_t want_text = (size_t)(data[0] | data[1] << 8);
    size_t want_ro = (size_t)(data[2] | data[3] << 8);
    bool nobits_table = data[4] & 1, with_bss = !(data[4] & 2);
    size_t text_len = want_text < left ? want_text : left;
    uint8_t *text = fb_take(&p, &left, want_text);
    size_t ro_len = want_ro < left ? want_ro : left;
    uint8_t *ro = fb_take(&p, &left, want_ro);
    size_t tab_len = left;
    uint8_t *tab = fb_take(&p, &left, left);

    se_vmlinux vm;
    memset(&vm, 0, sizeof vm);
    /* as se_vmlinux_open gives them: no bytes for empty or NOBITS sections */
    se_vmlinux_section secs[4] = {
        {".text", SE_SHT_PROGBITS, SE_SHF_ALLOC | SE_SHF_EXEC, SE_KB_TEXT, text_len,
         text_len ? text : NULL},
        {".rodata", SE_SHT_PROGBITS, SE_SHF_ALLOC, SE_KB_RODATA, ro_len, ro_len ? ro : NULL},
        {"__bug_table", nobits_table ? SE_SHT_NOBITS : SE_SHT_PROGBITS, SE_SHF_ALLOC, SE_KB_TABLE,
         tab_len, nobits_table || tab_len == 0 ? NULL : tab},
        {".bss", SE_SHT_NOBITS, SE_SHF_ALLOC | SE_SHF_WRITE, SE_KB_BSS, SE_KB_BSS_LEN, NULL},
    };
    vm.secs = secs;
    vm.n_secs = with_bss ? 4 : 3;

    se_kbugs b;
    memset(&b, 0xa5, sizeof b); /* must be reset by the call */
    char err[200];
    err[0] = '\0';
    se_status st = se_kbugs_parse(&vm, &b, err, sizeof err);
    bool format = tab_len != 0 && (nobits_table || tab_len % 12 != 0);
    if (st != (format ? SE_ERR_FORMAT : SE_OK) && st != SE_ERR_NOMEM)
        abort();
    if (st != SE_OK) {
        if (b.v != NULL || b.n != 0 || b.names != NULL ||
            (st == SE_ERR_FORMAT && (err[0] == '\0' || memchr(err, '\0', sizeof err) == NULL)))
            abort();
        goto out;
    }
    if (tab_len == 0 && b.n != 0)
        abort();
    if (b.n > 0 && (b.names == NULL || b.names_len == 0 || b.names[0] != '\0' ||
                    b.names[b.names_len - 1] != '\0'))
        abort();
    size_t n_rec = tab_len / 12;
    for (size_t i = 0; i < b.n; i++) {
        const se_kbug *e = &b.v[i];
        if ((i > 0 && b.v[i - 1].addr >= e->addr) || e->addr < SE_KB_TEXT ||
            e->addr - SE_KB_TEXT >= text_len || e->seq >= n_rec || e->file >= b.names_len ||
            (e->file != 0 && b.names[e->file - 1] != '\0') ||
            strlen(b.names + e->file) > SE_KBUG_FILE_MAX)
            abort();
        /* the record it came from */
        const uint8_t *r = tab + 12 * (size_t)e->seq;
        uint64_t field = SE_KB_TABLE + 12 * (uint64_t)e->seq;
        if (field + (uint64_t)(int64_t)fb_s32(r) != e->addr ||
            e->line != (uint16_t)(r[8] | r[9] << 8) || e->flags != (uint16_t)(r[10] | r[11] << 8))
            abort();
        if (se_kbugs_find(&b, e->addr) != e)
            abort();
    }
    /* every record whose UD2 is in .text is represented by the first record for its address
     * (bounded so that long inputs stay fast: the check is quadratic) */
    if (n_rec <= 2048)
        for (size_t j = 0; j < n_rec; j++) {
            uint64_t addr =
                SE_KB_TABLE + 12 * (uint64_t)j + (uint64_t)(int64_t)fb_s32(tab + 12 * j);
            const se_kbug *e = se_kbugs_find(&b, addr);
            bool in_text = addr >= SE_KB_TEXT && addr - SE_KB_TEXT < text_len;
            if (in_text != (e != NULL) || (e != NULL && e->seq > j))
                abort();
            if (e != NULL && e->seq == j && j > 0)
                for (size_t k = 0; k < j; k++)
                    if (SE_KB_TABLE + 12 * (uint64_t)k + (uint64_t)(int64_t)fb_s32(tab + 12 * k) ==
                        addr)
                        abort();
        }
    if (se_kbugs_find(&b, SE_KB_TEXT - 1) != NULL ||
        se_kbugs_find(&b, SE_KB_TEXT + text_len) != NULL)
        abort();
    se_kbugs_free(&b);
    if (b.v != NULL || b.n != 0 || b.names != NULL)
        abort();
out:
    free(text);
    free(ro);
    free(tab);
    return 0;
}
