/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer harness for se_kalt_parse and se_kalt_apply (-DSYSENTRY_BUILD_FUZZERS=ON with clang;
 * seeds from kalt_seeds: records of both layouts). The input (kalt_fuzz.h) is cut into .text,
 * .altinstr_replacement and .altinstructions of a synthetic se_vmlinux, each a buffer of its
 * exact size so that ASan sees any read past it; the feature bits drive has(), and span() hands
 * out a malloc'd copy of .text.
 * Beyond "no sanitizer report": parsed records must satisfy what se_kalt_parse promises (site in
 * an executable section, replacement inside .altinstr_replacement, 1 <= repl_len <= site_len,
 * known flags), apply may only write inside the sites it reports as patched, and failures give
 * a known status and a message.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kalt_fuzz.h"
#include "kimage/alternatives.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct fk_ctx {
    uint64_t mask;
    uint8_t *live;
    size_t text_len;
} fk_ctx;

static bool fk_has(unsigned feature, void *ctx)
{
    const fk_ctx *c = ctx;
    return (c->mask >> (feature % 64)) & 1;
}

static uint8_t *fk_span(uint64_t va, size_t n, void *ctx)
{
    fk_ctx *c = ctx;
    if (va < SE_KF_TEXT || va - SE_KF_TEXT > c->text_len || n > c->text_len - (va - SE_KF_TEXT))
        return NULL;
    return c->live + (va - SE_KF_TEXT);
}

/* A buffer of exactly n bytes (1 when n is 0, never read then) holding the next n input bytes. */
static uint8_t *fk_take(const uint8_t **p, size_t *left, size_t n)
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

static bool fk_in(uint64_t va, size_t n, uint64_t base, size_t len)
{
    return va >= base && va - base <= len && n <= len - (va - base);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < SE_KF_HDR)
        return 0;
    const uint8_t *p = data + SE_KF_HDR;
    size_t left = size - SE_KF_HDR;
    size_t want_text = (size_t)(data[1] | data[2] << 8);
    size_t want_repl = (size_t)(data[3] | data[4] << 8) % (SE_KF_REPL_MAX + 1);
    fk_ctx c = {0, NULL, 0};
    for (int i = 0; i < 8; i++)
        c.mask |= (uint64_t)data[5 + i] << (8 * i);
    size_t text_len = want_text < left ? want_text : left;
    uint8_t *text = fk_take(&p, &left, want_text);
    size_t repl_len = want_repl < left ? want_repl : left;
    uint8_t *repl = fk_take(&p, &left, want_repl);
    size_t tab_len = left;
    uint8_t *tab = fk_take(&p, &left, left);

    se_vmlinux vm;
    memset(&vm, 0, sizeof vm);
    if (data[0] == 0) {
        vm.major = 6;
        vm.minor = 1;
    } else if (data[0] == 1) {
        vm.major = 6;
        vm.minor = 12;
    }
    se_vmlinux_section secs[3] = {
        {".text", SE_SHT_PROGBITS, SE_SHF_ALLOC | SE_SHF_EXEC, SE_KF_TEXT, text_len, text},
        {".altinstr_replacement", SE_SHT_PROGBITS, SE_SHF_ALLOC | SE_SHF_EXEC, SE_KF_REPL, repl_len,
         repl},
        {".altinstructions", SE_SHT_PROGBITS, SE_SHF_ALLOC, SE_KF_TAB, tab_len, tab},
    };
    vm.secs = secs;
    vm.n_secs = 3;

    se_kalt *alts = (se_kalt *)&c; /* must be reset by the call */
    size_t n = 99;
    char err[200];
    err[0] = 'x';
    se_status st = se_kalt_parse(&vm, &alts, &n, err, sizeof err);
    if (st != SE_OK) {
        if ((st != SE_ERR_FORMAT && st != SE_ERR_NOMEM) || alts != NULL || n != 0 ||
            (st == SE_ERR_FORMAT && (err[0] == '\0' || memchr(err, '\0', sizeof err) == NULL)))
            abort();
        goto out;
    }
    if (tab_len == 0 ? n != 0 : (n != tab_len / 12 && n != tab_len / 14))
        abort();
    if (n == 0 && alts != NULL)
        abort();
    for (size_t i = 0; i < n; i++) {
        const se_kalt *a = &alts[i];
        bool site_ok = fk_in(a->site, a->site_len, SE_KF_TEXT, text_len) ||
                       fk_in(a->site, a->site_len, SE_KF_REPL, repl_len);
        if (!site_ok || !fk_in(a->repl, a->repl_len, SE_KF_REPL, repl_len) || a->site_len == 0 ||
            a->repl_len > a->site_len ||
            (a->flags & ~(unsigned)(SE_KALT_NOT | SE_KALT_DIRECT_CALL)) != 0 ||
            a->when_absent != ((a->flags & SE_KALT_NOT) != 0))
            abort();
    }

    c.text_len = text_len;
    c.live = malloc(text_len ? text_len : 1);
    if (c.live == NULL)
        abort();
    memcpy(c.live, text, text_len);
    se_kalt_applied *ap = (se_kalt_applied *)&c;
    size_t na = 99;
    err[0] = 'x';
    st = se_kalt_apply(&vm, alts, n, fk_has, fk_span, &c, &ap, &na, err, sizeof err);
    if (st == SE_OK) {
        if (na > n || (na == 0) != (ap == NULL))
            abort();
        /* every byte outside the reported sites is as compiled */
        uint8_t *touched = calloc(text_len ? text_len : 1, 1);
        if (touched == NULL)
            abort();
        for (size_t i = 0; i < na; i++) {
            if (!fk_in(ap[i].site, ap[i].len, SE_KF_TEXT, text_len))
                abort();
            memset(touched + (ap[i].site - SE_KF_TEXT), 1, ap[i].len);
        }
        for (size_t i = 0; i < text_len; i++)
            if (!touched[i] && c.live[i] != text[i])
                abort();
        free(touched);
        free(ap);
    } else if ((st != SE_ERR_FORMAT && st != SE_ERR_UNSUPPORTED && st != SE_ERR_NOT_MAPPED &&
                st != SE_ERR_NOMEM) ||
               ap != NULL || na != 0 ||
               (st != SE_ERR_NOMEM && (err[0] == '\0' || memchr(err, '\0', sizeof err) == NULL))) {
        abort();
    }
    free(c.live);
    free(alts);
out:
    free(text);
    free(repl);
    free(tab);
    return 0;
}
