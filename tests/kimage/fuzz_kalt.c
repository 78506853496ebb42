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
 * Inputs with the SE_KF_MAGIC trailer (kalt_fuzz.h) also run se_kalt_apply_returns and
 * se_kalt_nop_fentry on a view with .text, .return_sites and __mcount_loc, each on its own fresh
 * copy of .text: the status must be the one the sizes call for, and every byte that changed
 * must lie in the 5 bytes of a listed site and hold a byte of what that call writes.
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

/* Where the SE_KF_MAGIC trailer starts in p[0, n), or n when there is none. */
static size_t fk_magic(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i + SE_KF_MAGIC_LEN <= n; i++)
        if (memcmp(p + i, SE_KF_MAGIC, SE_KF_MAGIC_LEN) == 0)
            return i;
    return n;
}

static uint32_t fk_le32(const uint8_t *b)
{
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

/* Bytes of live[] that differ from text[] must lie in [site, site + 5) of a site in sites[]
 * and be one of the n_allowed bytes the call writes; and something changed iff it patched. */
static void fk_check_writes(const uint8_t *text, const uint8_t *live, size_t text_len,
                            const uint64_t *sites, size_t n_sites, const uint8_t *allowed,
                            size_t n_allowed, size_t patched)
{
    if (patched > n_sites)
        abort();
    uint8_t *mark = calloc(text_len ? text_len : 1, 1);
    if (mark == NULL)
        abort();
    for (size_t i = 0; i < n_sites; i++)
        if (fk_in(sites[i], 5, SE_KF_TEXT, text_len))
            memset(mark + (sites[i] - SE_KF_TEXT), 1, 5);
    bool changed = false;
    for (size_t i = 0; i < text_len; i++) {
        if (live[i] == text[i])
            continue;
        changed = true;
        if (!mark[i] || memchr(allowed, live[i], n_allowed) == NULL)
            abort();
    }
    /* every patch overwrites its site's opcode (E9 or E8) with a byte no patch writes, so no
     * later write can restore it */
    if (changed != (patched != 0))
        abort();
    free(mark);
}

/* The trailer's two calls, each on a fresh copy of .text. */
static void fk_returns_fentry(const uint8_t *text, size_t text_len, const uint8_t *t, size_t n)
{
    if (n < SE_KF_RET_HDR)
        return;
    size_t want_rets = (size_t)(t[0] | t[1] << 8);
    uint64_t start = SE_KF_MCOUNT + (uint64_t)(int64_t)(int16_t)(uint16_t)(t[2] | t[3] << 8);
    uint64_t stop = SE_KF_MCOUNT + (uint64_t)(int64_t)(int16_t)(uint16_t)(t[4] | t[5] << 8);
    uint64_t thunk = SE_KF_TEXT + (uint64_t)(t[6] | t[7] << 8);
    uint64_t fentry = SE_KF_TEXT + (uint64_t)(t[8] | t[9] << 8);
    const uint8_t *p = t + SE_KF_RET_HDR;
    size_t left = n - SE_KF_RET_HDR;
    size_t rets_len = want_rets < left ? want_rets : left;
    uint8_t *rets = fk_take(&p, &left, want_rets);
    size_t mc_len = left;
    uint8_t *mc = fk_take(&p, &left, left);
    se_vmlinux vm;
    memset(&vm, 0, sizeof vm);
    /* as se_vmlinux_open gives them: no bytes for an empty section */
    se_vmlinux_section secs[3] = {
        {".text", SE_SHT_PROGBITS, SE_SHF_ALLOC | SE_SHF_EXEC, SE_KF_TEXT, text_len,
         text_len ? text : NULL},
        {".return_sites", SE_SHT_PROGBITS, SE_SHF_ALLOC, SE_KF_RETS, rets_len,
         rets_len ? rets : NULL},
        {"__mcount_loc", SE_SHT_PROGBITS, SE_SHF_ALLOC, SE_KF_MCOUNT, mc_len, mc_len ? mc : NULL},
    };
    vm.secs = secs;
    vm.n_secs = 3;
    fk_ctx c = {0, malloc(text_len ? text_len : 1), text_len};
    uint64_t *sites = malloc((rets_len / 4 + mc_len / 8 + 1) * sizeof *sites);
    if (c.live == NULL || sites == NULL)
        abort();
    char err[200];

    /* .return_sites: each s32 entry relative to itself */
    memcpy(c.live, text, text_len);
    size_t n_sites = 0;
    for (size_t off = 0; off + 4 <= rets_len; off += 4)
        sites[n_sites++] = SE_KF_RETS + off + (uint64_t)(int64_t)(int32_t)fk_le32(rets + off);
    size_t patched = 99;
    err[0] = '\0';
    se_status st = se_kalt_apply_returns(&vm, thunk, fk_span, &c, &patched, err, sizeof err);
    if (st != (rets_len % 4 != 0 ? SE_ERR_FORMAT : SE_OK))
        abort();
    if (st != SE_OK && (patched != 0 || err[0] == '\0' || memchr(err, '\0', sizeof err) == NULL))
        abort();
    static const uint8_t ret_bytes[] = {0xC3, 0xCC};
    fk_check_writes(text, c.live, text_len, sites, n_sites, ret_bytes, sizeof ret_bytes, patched);

    /* __mcount_loc [start, stop): accepted only as whole u64 entries inside the section */
    memcpy(c.live, text, text_len);
    bool ok = start == stop || (start < stop && (stop - start) % 8 == 0 &&
                                fk_in(start, (size_t)(stop - start), SE_KF_MCOUNT, mc_len));
    n_sites = 0;
    if (ok)
        for (uint64_t va = start; va < stop; va += 8) {
            uint64_t site = 0;
            for (int i = 0; i < 8; i++)
                site |= (uint64_t)mc[va - SE_KF_MCOUNT + (uint64_t)i] << (8 * i);
            sites[n_sites++] = site;
        }
    patched = 99;
    err[0] = '\0';
    st = se_kalt_nop_fentry(&vm, start, stop, fentry, fk_span, &c, &patched, err, sizeof err);
    if (st != (ok ? SE_OK : SE_ERR_FORMAT))
        abort();
    if (st != SE_OK && (patched != 0 || err[0] == '\0' || memchr(err, '\0', sizeof err) == NULL))
        abort();
    static const uint8_t nop_bytes[] = {0x0F, 0x1F, 0x44, 0x00};
    fk_check_writes(text, c.live, text_len, sites, n_sites, nop_bytes, sizeof nop_bytes, patched);

    free(sites);
    free(c.live);
    free(rets);
    free(mc);
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
    size_t magic = fk_magic(p, left);
    bool has_trailer = magic < left;
    size_t tab_len = magic;
    uint8_t *tab = fk_take(&p, &left, magic);
    /* p and left now start at the magic */
    const uint8_t *trailer = has_trailer ? p + SE_KF_MAGIC_LEN : NULL;
    size_t trailer_len = has_trailer ? left - SE_KF_MAGIC_LEN : 0;

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
    if (trailer != NULL)
        fk_returns_fentry(text, text_len, trailer, trailer_len);
    free(text);
    free(repl);
    free(tab);
    return 0;
}
