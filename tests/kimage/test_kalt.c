/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * se_kalt_parse / se_kalt_apply on synthetic images: a hand-built se_vmlinux view (the view is a
 * plain table of sections, so no ELF is needed) with .text, .altinstr_replacement and
 * .altinstructions, records in both layouts (12 bytes for 6.1, 14 for 6.12). The same kind of
 * view with .return_sites and __mcount_loc drives se_kalt_apply_returns / se_kalt_nop_fentry.
 */
#include "se_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kimage/alternatives.h"

#define TEXT 0xffffffff81000000ull
#define REPL 0xffffffff82000000ull
#define TAB  0xffffffff82001000ull

typedef struct img {
    uint8_t text[512], repl[256], tab[512];
    size_t repl_n, tab_n, rs;
    se_vmlinux_section secs[3];
    se_vmlinux vm;
    uint8_t live[512]; /* the "loaded" copy of .text that apply patches */
} img;

static void img_init(img *m, unsigned major, unsigned minor)
{
    memset(m, 0, sizeof *m);
    memset(m->text, 0xcc, sizeof m->text);
    m->rs = (major == 6 && minor < 3) ? 12 : 14;
    m->vm.major = major;
    m->vm.minor = minor;
}

static void img_finish(img *m)
{
    m->secs[0] = (se_vmlinux_section){".text", SE_SHT_PROGBITS, SE_SHF_ALLOC | SE_SHF_EXEC,
                                      TEXT,    sizeof m->text,  m->text};
    m->secs[1] = (se_vmlinux_section){".altinstr_replacement",
                                      SE_SHT_PROGBITS,
                                      SE_SHF_ALLOC | SE_SHF_EXEC,
                                      REPL,
                                      m->repl_n,
                                      m->repl};
    m->secs[2] = (se_vmlinux_section){".altinstructions", SE_SHT_PROGBITS, SE_SHF_ALLOC, TAB,
                                      m->tab_n,           m->tab};
    m->vm.secs = m->secs;
    m->vm.n_secs = 3;
    memcpy(m->live, m->text, sizeof m->text);
}

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* One record: site at TEXT+site_off (site bytes already in m->text), replacement bytes appended
 * to .altinstr_replacement. flags: SE_KALT_*. */
static void add(img *m, size_t site_off, uint8_t site_len, const uint8_t *r, uint8_t rlen,
                uint16_t feature, uint16_t flags)
{
    uint8_t *e = m->tab + m->tab_n;
    uint64_t eva = TAB + m->tab_n;
    put32(e, (uint32_t)(TEXT + site_off - eva));
    put32(e + 4, (uint32_t)(REPL + m->repl_n - (eva + 4)));
    if (m->rs == 12) {
        uint16_t c = (uint16_t)(feature | ((flags & SE_KALT_NOT) ? 0x8000u : 0));
        e[8] = (uint8_t)c;
        e[9] = (uint8_t)(c >> 8);
        e[10] = site_len;
        e[11] = rlen;
    } else {
        put32(e + 8, (uint32_t)feature | (uint32_t)flags << 16);
        e[12] = site_len;
        e[13] = rlen;
    }
    if (rlen > 0) /* r is NULL for an empty replacement: memcpy's pointers must be valid */
        memcpy(m->repl + m->repl_n, r, rlen);
    m->repl_n += rlen;
    m->tab_n += m->rs;
}

static unsigned g_on[8];
static size_t g_non;
static bool has(unsigned f, void *ctx)
{
    (void)ctx;
    for (size_t i = 0; i < g_non; i++)
        if (g_on[i] == f)
            return true;
    return false;
}

static uint8_t *span(uint64_t va, size_t n, void *ctx)
{
    img *m = ctx;
    if (va < TEXT || va - TEXT > sizeof m->live || n > sizeof m->live - (va - TEXT))
        return NULL;
    return m->live + (va - TEXT);
}

static se_status run(img *m, size_t *n_parsed, size_t *n_applied, char *err)
{
    se_kalt *a = NULL;
    size_t n = 0;
    se_status st = se_kalt_parse(&m->vm, &a, &n, err, 256);
    if (n_parsed != NULL)
        *n_parsed = n;
    if (st != SE_OK)
        return st;
    se_kalt_applied *ap = NULL;
    size_t na = 0;
    st = se_kalt_apply(&m->vm, a, n, has, span, m, &ap, &na, err, 256);
    if (n_applied != NULL)
        *n_applied = na;
    free(ap);
    free(a);
    return st;
}

static void test_61_pti_jmp_becomes_nops(void **state)
{
    (void)state;
    img m;
    img_init(&m, 6, 1);
    memcpy(m.text + 0x10, "\xeb\x12", 2);
    add(&m, 0x10, 2, NULL, 0, 235, 0);
    img_finish(&m);
    size_t np = 0, na = 0;
    char err[256];
    g_non = 0;
    assert_int_equal(run(&m, &np, &na, err), SE_OK);
    assert_int_equal(np, 1);
    assert_int_equal(na, 0);
    assert_memory_equal(m.live + 0x10, "\xeb\x12", 2); /* PTI off: left as compiled */
    g_on[0] = 235;
    g_non = 1;
    memcpy(m.live, m.text, sizeof m.text);
    assert_int_equal(run(&m, &np, &na, err), SE_OK);
    assert_int_equal(na, 1);
    assert_memory_equal(m.live + 0x10, "\x66\x90", 2);
}

static void test_not_flag_both_layouts(void **state)
{
    (void)state;
    for (unsigned minor = 1; minor <= 12; minor += 11) {
        img m;
        img_init(&m, 6, minor);
        memcpy(m.text, "\x90\x90\x90", 3);
        add(&m, 0, 3, (const uint8_t *)"\x0f\x01\xca", 3, 308, SE_KALT_NOT); /* clac if !SMAP */
        img_finish(&m);
        char err[256];
        size_t na = 0;
        g_on[0] = 308;
        g_non = 1;
        assert_int_equal(run(&m, NULL, &na, err), SE_OK);
        assert_int_equal(na, 0);
        g_non = 0;
        assert_int_equal(run(&m, NULL, &na, err), SE_OK);
        assert_int_equal(na, 1);
        assert_memory_equal(m.live, "\x0f\x01\xca", 3);
    }
}

static void test_alternative_2_later_wins(void **state)
{
    (void)state;
    img m;
    img_init(&m, 6, 12);
    memset(m.text + 0x20, 0x90, 5);
    add(&m, 0x20, 5, (const uint8_t *)"\x0f\xae\xe8", 3, 10, 0); /* lfence */
    add(&m, 0x20, 5, (const uint8_t *)"\x0f\xae\xf0", 3, 11, 0); /* mfence */
    img_finish(&m);
    char err[256];
    size_t na = 0;
    g_on[0] = 10;
    g_on[1] = 11;
    g_non = 2;
    assert_int_equal(run(&m, NULL, &na, err), SE_OK);
    assert_int_equal(na, 2);
    assert_memory_equal(m.live + 0x20, "\x0f\xae\xf0\x66\x90", 5);
    g_non = 1; /* only the first */
    memcpy(m.live, m.text, sizeof m.text);
    assert_int_equal(run(&m, NULL, &na, err), SE_OK);
    assert_memory_equal(m.live + 0x20, "\x0f\xae\xe8\x66\x90", 5);
}

static int32_t rd32(const uint8_t *p)
{
    return (int32_t)((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
                     (uint32_t)p[3] << 24);
}

static void test_rel32_call_jmp_jcc(void **state)
{
    (void)state;
    img m;
    img_init(&m, 6, 12);
    memset(m.text + 0x40, 0x90, 16);
    /* call +0x100; jmp +0x200; jne +0x300, relative to the replacement's own addresses */
    uint8_t r[16] = {0xe8, 0, 0, 0, 0, 0xe9, 0, 0, 0, 0, 0x0f, 0x85, 0, 0, 0, 0};
    put32(r + 1, 0x100);
    put32(r + 6, 0x200);
    put32(r + 12, 0x300);
    add(&m, 0x40, 16, r, 16, 1, 0);
    img_finish(&m);
    char err[256];
    size_t na = 0;
    g_on[0] = 1;
    g_non = 1;
    assert_int_equal(run(&m, NULL, &na, err), SE_OK);
    const uint8_t *p = m.live + 0x40;
    uint64_t site = TEXT + 0x40;
    assert_int_equal(p[0], 0xe8);
    assert_true(site + 5 + (uint64_t)(int64_t)rd32(p + 1) == REPL + 5 + 0x100);
    assert_true(site + 10 + (uint64_t)(int64_t)rd32(p + 6) == REPL + 10 + 0x200);
    assert_true(site + 16 + (uint64_t)(int64_t)rd32(p + 12) == REPL + 16 + 0x300);
}

static void test_rel8_inside_kept_outside_error(void **state)
{
    (void)state;
    img m;
    img_init(&m, 6, 12);
    memset(m.text, 0x90, 8);
    memset(m.text + 0x80, 0x90, 8);
    /* jne to the replacement's end: moves with the code, displacement unchanged */
    add(&m, 0, 8, (const uint8_t *)"\x75\x02\x90\x90", 4, 1, 0);
    /* jmp rel8 to outside the replacement: far from the site, cannot be expressed */
    add(&m, 0x80, 8, (const uint8_t *)"\xeb\x10", 2, 2, 0);
    img_finish(&m);
    char err[256];
    size_t na = 0;
    g_on[0] = 1;
    g_non = 1;
    assert_int_equal(run(&m, NULL, &na, err), SE_OK);
    assert_memory_equal(m.live, "\x75\x02\x90\x90\x0f\x1f\x40\x00", 8);
    g_on[1] = 2;
    g_non = 2;
    assert_int_equal(run(&m, NULL, &na, err), SE_ERR_UNSUPPORTED);
    assert_non_null(strstr(err, "out of reach"));
}

static void test_rip_relative_operand(void **state)
{
    (void)state;
    img m;
    img_init(&m, 6, 12);
    memset(m.text + 0x30, 0x90, 7);
    /* verw disp32(%rip) as CLEAR_CPU_BUF's replacement on 6.12 */
    uint8_t r[7] = {0x0f, 0x00, 0x2d, 0, 0, 0, 0};
    put32(r + 3, 0x1234);
    add(&m, 0x30, 7, r, 7, 114, 0);
    img_finish(&m);
    char err[256];
    g_on[0] = 114;
    g_non = 1;
    assert_int_equal(run(&m, NULL, NULL, err), SE_OK);
    assert_true(TEXT + 0x37 + (uint64_t)(int64_t)rd32(m.live + 0x33) == REPL + 7 + 0x1234);
}

static void test_padding_long_nops(void **state)
{
    (void)state;
    img m;
    img_init(&m, 6, 12);
    memset(m.text, 0x90, 12);
    add(&m, 0, 12, (const uint8_t *)"\xfa", 1, 1, 0);
    img_finish(&m);
    char err[256];
    g_on[0] = 1;
    g_non = 1;
    assert_int_equal(run(&m, NULL, NULL, err), SE_OK);
    /* 1 + 8 + 3 */
    assert_memory_equal(m.live, "\xfa\x0f\x1f\x84\x00\x00\x00\x00\x00\x0f\x1f\x00", 12);
}

static void test_direct_call_left_as_compiled(void **state)
{
    (void)state;
    img m;
    img_init(&m, 6, 12);
    memcpy(m.text, "\xff\x15\x00\x10\x00\x00", 6);
    add(&m, 0, 6, (const uint8_t *)"\xe8\x00\x00\x00\x00", 5, 117, SE_KALT_DIRECT_CALL);
    img_finish(&m);
    char err[256];
    size_t na = 1;
    g_on[0] = 117;
    g_non = 1;
    assert_int_equal(run(&m, NULL, &na, err), SE_OK);
    assert_int_equal(na, 0);
    assert_memory_equal(m.live, "\xff\x15\x00\x10\x00\x00", 6);
}

static void test_malformed(void **state)
{
    (void)state;
    char err[256];
    img m;
    /* replacement longer than the site */
    img_init(&m, 6, 12);
    add(&m, 0, 2, (const uint8_t *)"\x90\x90\x90", 3, 1, 0);
    img_finish(&m);
    assert_int_equal(run(&m, NULL, NULL, err), SE_ERR_FORMAT);
    assert_true(err[0] != '\0');
    /* site outside any executable section */
    img_init(&m, 6, 1);
    add(&m, 0x10000, 2, NULL, 0, 1, 0);
    img_finish(&m);
    assert_int_equal(run(&m, NULL, NULL, err), SE_ERR_FORMAT);
    /* table not a whole number of records in either layout */
    img_init(&m, 6, 12);
    add(&m, 0, 2, NULL, 0, 1, 0);
    m.tab_n = 13;
    img_finish(&m);
    assert_int_equal(run(&m, NULL, NULL, err), SE_ERR_FORMAT);
    /* unknown flag bits */
    img_init(&m, 6, 12);
    add(&m, 0, 2, NULL, 0, 1, 0x8);
    img_finish(&m);
    assert_int_equal(run(&m, NULL, NULL, err), SE_ERR_FORMAT);
    /* replacement bytes that do not decode */
    img_init(&m, 6, 12);
    add(&m, 0, 4, (const uint8_t *)"\x0f\x0b\x0f", 3, 1, 0);
    img_finish(&m);
    g_on[0] = 1;
    g_non = 1;
    assert_int_equal(run(&m, NULL, NULL, err), SE_ERR_FORMAT);
}

static void test_feature_table(void **state)
{
    (void)state;
    assert_int_equal(se_kalt_feature_number(6, 1, SE_KF_PTI), 235);
    assert_int_equal(se_kalt_feature_number(6, 1, SE_KF_CLEAR_CPU_BUF), 11 * 32 + 18);
    assert_int_equal(se_kalt_feature_number(6, 12, SE_KF_CLEAR_CPU_BUF), 3 * 32 + 18);
    assert_int_equal(se_kalt_feature_number(6, 1, SE_KF_CALL_DEPTH), -1);
    assert_int_equal(se_kalt_feature_number(5, 10, SE_KF_PTI), -1);
    assert_string_equal(se_kalt_feature_name(6, 12, 673), "CLEAR_BHB_LOOP");
    assert_null(se_kalt_feature_name(6, 12, 999));
}

/* ---- se_kalt_apply_returns and se_kalt_nop_fentry ------------------------------------------- */

#define RETS   0xffffffff82800000ull /* .return_sites */
#define RTOP   0xffffffffffff0000ull /* .return_sites near the top: entries can carry past 2^64 */
#define MCL    0xffffffff83000000ull /* __mcount_loc */
#define THUNK  (TEXT + 0x1f0)        /* __x86_return_thunk, inside .text */
#define FENTRY (TEXT + 0x1e0)        /* __fentry__ */

/* .text plus an optional .return_sites and __mcount_loc; span() hands out live[] except the
 * "freed init code" [hole, hole + hole_n), for which it gives NULL as the loader does. */
typedef struct rimg {
    uint8_t text[512], live[512], rets[64], mcl[64];
    size_t rets_n, mcl_n;
    uint64_t rets_va;
    size_t hole, hole_n;
    se_vmlinux_section secs[4];
    se_vmlinux vm;
} rimg;

static void rimg_init(rimg *m)
{
    memset(m, 0, sizeof *m);
    memset(m->text, 0xcc, sizeof m->text);
    m->rets_va = RETS;
}

/* nobits_mcl: __mcount_loc without file data, to check that such an array is refused */
static void rimg_finish(rimg *m, bool with_rets, bool nobits_mcl)
{
    size_t k = 0;
    m->secs[k++] = (se_vmlinux_section){".text", SE_SHT_PROGBITS, SE_SHF_ALLOC | SE_SHF_EXEC,
                                        TEXT,    sizeof m->text,  m->text};
    if (with_rets)
        m->secs[k++] = (se_vmlinux_section){".return_sites", SE_SHT_PROGBITS, SE_SHF_ALLOC,
                                            m->rets_va,      m->rets_n,       m->rets};
    m->secs[k++] = (se_vmlinux_section){"__mcount_loc",
                                        nobits_mcl ? SE_SHT_NOBITS : SE_SHT_PROGBITS,
                                        SE_SHF_ALLOC,
                                        MCL,
                                        nobits_mcl ? 64 : m->mcl_n,
                                        nobits_mcl ? NULL : m->mcl};
    m->vm.secs = m->secs;
    m->vm.n_secs = k;
    memcpy(m->live, m->text, sizeof m->text);
}

static uint8_t *rspan(uint64_t va, size_t n, void *ctx)
{
    rimg *m = ctx;
    if (va < TEXT || va - TEXT > sizeof m->live || n > sizeof m->live - (va - TEXT))
        return NULL;
    size_t off = (size_t)(va - TEXT);
    if (off < m->hole + m->hole_n && off + n > m->hole)
        return NULL;
    return m->live + off;
}

/* A 5-byte rel32 branch (op E8/E9) at .text + off to target. */
static void branch(rimg *m, size_t off, uint8_t op, uint64_t target)
{
    m->text[off] = op;
    put32(m->text + off + 1, (uint32_t)(target - (TEXT + off + 5)));
}

/* A .return_sites entry for the site at va (any value: the s32 is taken modulo 2^32). */
static void ret_site(rimg *m, uint64_t va)
{
    put32(m->rets + m->rets_n, (uint32_t)(va - (m->rets_va + m->rets_n)));
    m->rets_n += 4;
}

static void mcount(rimg *m, uint64_t va)
{
    for (int i = 0; i < 8; i++)
        m->mcl[m->mcl_n + (size_t)i] = (uint8_t)(va >> (8 * i));
    m->mcl_n += 8;
}

static void test_returns(void **state)
{
    (void)state;
    rimg m;
    rimg_init(&m);
    branch(&m, 0x10, 0xe9, THUNK); /* patched */
    branch(&m, 0x20, 0xe9, TEXT);  /* a jmp elsewhere */
    branch(&m, 0x30, 0xe8, THUNK); /* a call to the thunk, not a jmp */
    branch(&m, 0x40, 0xe9, THUNK); /* in the hole: freed init code */
    m.text[0x1fc] = 0xe9;          /* only 4 bytes of .text left after it */
    branch(&m, 0x50, 0xe9, THUNK); /* listed twice: patched once, the second sees RET */
    ret_site(&m, TEXT + 0x10);
    ret_site(&m, TEXT + 0x20);
    ret_site(&m, TEXT + 0x30);
    ret_site(&m, TEXT + 0x40);
    ret_site(&m, TEXT + 0x1fc);   /* the jmp would run past the end of .text */
    ret_site(&m, TEXT + 0x10000); /* outside the image */
    ret_site(&m, TEXT + 0x50);
    ret_site(&m, TEXT + 0x50);
    m.hole = 0x3e;
    m.hole_n = 4;
    rimg_finish(&m, true, false);
    size_t n = 99;
    char err[256] = "";
    assert_int_equal(se_kalt_apply_returns(&m.vm, THUNK, rspan, &m, &n, err, sizeof err), SE_OK);
    assert_int_equal(n, 2);
    assert_memory_equal(m.live + 0x10, "\xc3\xcc\xcc\xcc\xcc", 5);
    assert_memory_equal(m.live + 0x50, "\xc3\xcc\xcc\xcc\xcc", 5);
    /* everything else as compiled */
    memcpy(m.live + 0x10, m.text + 0x10, 5);
    memcpy(m.live + 0x50, m.text + 0x50, 5);
    assert_memory_equal(m.live, m.text, sizeof m.text);
}

static void test_returns_wrapping_entries(void **state)
{
    (void)state;
    /* .return_sites at the top of the address space: a negative s32 reaches .text (the usual
     * case, computed modulo 2^64), a large positive one carries past 2^64 into the lower half,
     * where span() has nothing. */
    rimg m;
    rimg_init(&m);
    m.rets_va = RTOP;
    branch(&m, 0x80, 0xe9, THUNK);
    ret_site(&m, TEXT + 0x80);
    put32(m.rets + m.rets_n, 0x7fffffffu);
    m.rets_n += 4;
    put32(m.rets + m.rets_n, 0x80000000u); /* most negative: below .text */
    m.rets_n += 4;
    rimg_finish(&m, true, false);
    size_t n = 0;
    char err[256];
    assert_int_equal(se_kalt_apply_returns(&m.vm, THUNK, rspan, &m, &n, err, sizeof err), SE_OK);
    assert_int_equal(n, 1);
    assert_memory_equal(m.live + 0x80, "\xc3\xcc\xcc\xcc\xcc", 5);
    /* the most negative rel32: the target is compared as a full 64-bit address */
    rimg_init(&m);
    m.text[0] = 0xe9;
    put32(m.text + 1, 0x80000000u);
    ret_site(&m, TEXT);
    rimg_finish(&m, true, false);
    assert_int_equal(
        se_kalt_apply_returns(&m.vm, TEXT + 5 - 0x80000000ull, rspan, &m, &n, err, sizeof err),
        SE_OK);
    assert_int_equal(n, 1);
    rimg_finish(&m, true, false);
    assert_int_equal(se_kalt_apply_returns(&m.vm, THUNK, rspan, &m, &n, err, sizeof err), SE_OK);
    assert_int_equal(n, 0);
}

static void test_returns_malformed(void **state)
{
    (void)state;
    rimg m;
    size_t n = 99;
    char err[256];
    /* no .return_sites, or an empty one: nothing to do */
    rimg_init(&m);
    branch(&m, 0x10, 0xe9, THUNK);
    rimg_finish(&m, false, false);
    assert_int_equal(se_kalt_apply_returns(&m.vm, THUNK, rspan, &m, &n, err, sizeof err), SE_OK);
    assert_int_equal(n, 0);
    rimg_finish(&m, true, false);
    n = 99;
    assert_int_equal(se_kalt_apply_returns(&m.vm, THUNK, rspan, &m, &n, err, sizeof err), SE_OK);
    assert_int_equal(n, 0);
    /* not whole s32 entries: refused before anything is patched */
    ret_site(&m, TEXT + 0x10);
    m.rets_n = 6;
    rimg_finish(&m, true, false);
    err[0] = '\0';
    assert_int_equal(se_kalt_apply_returns(&m.vm, THUNK, rspan, &m, &n, err, sizeof err),
                     SE_ERR_FORMAT);
    assert_true(err[0] != '\0');
    assert_memory_equal(m.live, m.text, sizeof m.text);
    assert_int_equal(se_kalt_apply_returns(NULL, THUNK, rspan, &m, &n, err, sizeof err),
                     SE_ERR_INVALID_ARG);
    assert_int_equal(se_kalt_apply_returns(&m.vm, THUNK, NULL, &m, &n, err, sizeof err),
                     SE_ERR_INVALID_ARG);
}

static void test_fentry(void **state)
{
    (void)state;
    rimg m;
    rimg_init(&m);
    branch(&m, 0x10, 0xe8, FENTRY);      /* patched */
    branch(&m, 0x20, 0xe8, TEXT + 0x80); /* a call elsewhere */
    branch(&m, 0x30, 0xe9, FENTRY);      /* a jmp, not a call */
    branch(&m, 0x40, 0xe8, FENTRY);      /* in the hole */
    mcount(&m, TEXT + 0x10);
    mcount(&m, TEXT + 0x20);
    mcount(&m, TEXT + 0x30);
    mcount(&m, TEXT + 0x40);
    m.text[0x1fd] = 0xe8;
    mcount(&m, TEXT + 0x1fd); /* the call would run past the end of .text */
    mcount(&m, 0);            /* outside the image */
    m.hole = 0x40;
    m.hole_n = 1;
    rimg_finish(&m, false, false);
    size_t n = 99;
    char err[256];
    assert_int_equal(
        se_kalt_nop_fentry(&m.vm, MCL, MCL + m.mcl_n, FENTRY, rspan, &m, &n, err, sizeof err),
        SE_OK);
    assert_int_equal(n, 1);
    assert_memory_equal(m.live + 0x10, "\x0f\x1f\x44\x00\x00", 5);
    memcpy(m.live + 0x10, m.text + 0x10, 5);
    assert_memory_equal(m.live, m.text, sizeof m.text);
    /* a sub-array: only the entries inside [start, stop) */
    rimg_finish(&m, false, false);
    assert_int_equal(
        se_kalt_nop_fentry(&m.vm, MCL + 8, MCL + 16, FENTRY, rspan, &m, &n, err, sizeof err),
        SE_OK);
    assert_int_equal(n, 0);
    assert_memory_equal(m.live, m.text, sizeof m.text);
}

static void test_fentry_malformed(void **state)
{
    (void)state;
    rimg m;
    rimg_init(&m);
    branch(&m, 0x10, 0xe8, FENTRY);
    mcount(&m, TEXT + 0x10);
    mcount(&m, TEXT + 0x10);
    rimg_finish(&m, false, false);
    size_t n = 99;
    char err[256];
    /* start == stop: an empty array, whatever the addresses */
    assert_int_equal(se_kalt_nop_fentry(&m.vm, 5, 5, FENTRY, rspan, &m, &n, err, sizeof err),
                     SE_OK);
    assert_int_equal(n, 0);
    static const struct {
        uint64_t start, stop;
    } bad[] = {
        {MCL + 8, MCL},               /* stop < start */
        {MCL, MCL + 12},              /* not whole u64 entries */
        {MCL + 8, MCL + 24},          /* runs past the end of the section */
        {MCL - 8, MCL + 8},           /* starts before it */
        {0x1000, 0x1008},             /* nowhere in the image */
        {MCL, MCL - 8},               /* stop wrapped below start */
        {UINT64_MAX - 7, UINT64_MAX}, /* at the very top */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        n = 99;
        assert_int_equal(se_kalt_nop_fentry(&m.vm, bad[i].start, bad[i].stop, FENTRY, rspan, &m, &n,
                                            err, sizeof err),
                         SE_ERR_FORMAT);
        assert_int_equal(n, 0);
        assert_true(err[0] != '\0');
    }
    /* a section without file data */
    rimg_finish(&m, false, true);
    assert_int_equal(
        se_kalt_nop_fentry(&m.vm, MCL, MCL + 8, FENTRY, rspan, &m, &n, err, sizeof err),
        SE_ERR_FORMAT);
    assert_memory_equal(m.live, m.text, sizeof m.text);
    /* listed twice: patched once, the second entry finds the NOP */
    rimg_finish(&m, false, false);
    assert_int_equal(
        se_kalt_nop_fentry(&m.vm, MCL, MCL + 16, FENTRY, rspan, &m, &n, err, sizeof err), SE_OK);
    assert_int_equal(n, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_61_pti_jmp_becomes_nops),
        cmocka_unit_test(test_not_flag_both_layouts),
        cmocka_unit_test(test_alternative_2_later_wins),
        cmocka_unit_test(test_rel32_call_jmp_jcc),
        cmocka_unit_test(test_rel8_inside_kept_outside_error),
        cmocka_unit_test(test_rip_relative_operand),
        cmocka_unit_test(test_padding_long_nops),
        cmocka_unit_test(test_direct_call_left_as_compiled),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_feature_table),
        cmocka_unit_test(test_returns),
        cmocka_unit_test(test_returns_wrapping_entries),
        cmocka_unit_test(test_returns_malformed),
        cmocka_unit_test(test_fentry),
        cmocka_unit_test(test_fentry_malformed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
