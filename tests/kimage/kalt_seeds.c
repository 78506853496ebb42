/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Writes the fuzz_kalt seeds (layout in kalt_fuzz.h): records in the 12-byte (6.1) and 14-byte
 * (6.12) layouts covering an empty replacement, a NOT record, an ALTERNATIVE_2 pair, relative
 * branches and a RIP-relative operand to relocate, and a DIRECT_CALL site; two more add the
 * .return_sites / __mcount_loc trailer. Usage: kalt_seeds <dir> */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "kalt_fuzz.h"
#include "kimage/alternatives.h"

typedef struct seed {
    uint8_t text[256], repl[128], tab[256];
    size_t repl_n, tab_n, rs;
} seed;

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* One record for the site at .text + site_off; the replacement is appended to its section. */
static void add(seed *s, size_t site_off, uint8_t site_len, const char *r, uint8_t rlen,
                uint16_t feature, uint16_t flags)
{
    uint8_t *e = s->tab + s->tab_n;
    uint64_t eva = SE_KF_TAB + s->tab_n;
    put32(e, (uint32_t)(SE_KF_TEXT + site_off - eva));
    put32(e + 4, (uint32_t)(SE_KF_REPL + s->repl_n - (eva + 4)));
    if (s->rs == 12) {
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
    memcpy(s->repl + s->repl_n, r, rlen);
    s->repl_n += rlen;
    s->tab_n += s->rs;
}

/* The SE_KF_MAGIC trailer (kalt_fuzz.h) of the returns/fentry seeds; len 0: none. */
typedef struct trailer {
    uint8_t b[256];
    size_t len;
} trailer;

static int put(const char *dir, const char *name, uint8_t release, uint64_t mask, const seed *s,
               const trailer *t)
{
    uint8_t hdr[SE_KF_HDR] = {release, (uint8_t)sizeof s->text, (uint8_t)(sizeof s->text >> 8),
                              (uint8_t)s->repl_n, (uint8_t)(s->repl_n >> 8)};
    for (int i = 0; i < 8; i++)
        hdr[5 + i] = (uint8_t)(mask >> (8 * i));
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (f == NULL || fwrite(hdr, 1, sizeof hdr, f) != sizeof hdr ||
        fwrite(s->text, 1, sizeof s->text, f) != sizeof s->text ||
        fwrite(s->repl, 1, s->repl_n, f) != s->repl_n ||
        fwrite(s->tab, 1, s->tab_n, f) != s->tab_n || fwrite(t->b, 1, t->len, f) != t->len) {
        perror(path);
        if (f != NULL)
            fclose(f);
        return 1;
    }
    return fclose(f) != 0;
}

/* The same set of records in the given record size. */
static void build(seed *s, size_t rs)
{
    memset(s, 0, sizeof *s);
    memset(s->text, 0xcc, sizeof s->text);
    s->rs = rs;
    memcpy(s->text + 0x10, "\xeb\x12", 2);
    add(s, 0x10, 2, "", 0, 11, 0); /* jmp becomes NOPs */
    memcpy(s->text + 0x18, "\x90\x90\x90", 3);
    add(s, 0x18, 3, "\x0f\x01\xca", 3, 20, SE_KALT_NOT);       /* clac when absent */
    add(s, 0x20, 5, "\x0f\xae\xe8", 3, 10, 0);                 /* ALTERNATIVE_2: lfence */
    add(s, 0x20, 5, "\x0f\xae\xf0", 3, 12, 0);                 /* ... or mfence */
    add(s, 0x30, 5, "\xe8\x00\x01\x00\x00", 5, 13, 0);         /* call rel32 out of the repl */
    add(s, 0x40, 7, "\x48\x8b\x05\x10\x00\x00\x00", 7, 14, 0); /* mov rax, [rip+0x10] */
    add(s, 0x50, 8, "\x75\x02\x90\x90", 4, 15, 0);             /* jne inside the replacement */
    memcpy(s->text + 0x60, "\xff\x15\x00\x10\x00\x00", 6);
    add(s, 0x60, 6, "\xe8\x00\x00\x00\x00", 5, 16, SE_KALT_DIRECT_CALL);
}

#define SEED_THUNK  0xf0u /* offsets in .text of __x86_return_thunk and __fentry__ */
#define SEED_FENTRY 0xe0u

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

/* A rel32 branch (op E8/E9) at .text + off to .text + to. */
static void branch(seed *s, size_t off, uint8_t op, size_t to)
{
    s->text[off] = op;
    put32(s->text + off + 1, (uint32_t)(to - (off + 5)));
}

/* Sites for se_kalt_apply_returns and se_kalt_nop_fentry after the alternatives' sites: a jmp to
 * the thunk and one elsewhere, a call to __fentry__ and one elsewhere, each listed (the returns
 * list also names the fentry call, the mcount array a site beyond .text). stop_adj moves the
 * array's end (0: the whole array). */
static void build_ret(seed *s, trailer *t, int16_t stop_adj)
{
    branch(s, 0x80, 0xe9, SEED_THUNK);
    branch(s, 0x88, 0xe9, 0x10);
    branch(s, 0x90, 0xe8, SEED_FENTRY);
    branch(s, 0x98, 0xe8, 0x18);
    static const size_t rsites[] = {0x80, 0x88, 0x90};
    static const uint64_t msites[] = {0x90, 0x98, 0x80, 0x10000};
    memset(t, 0, sizeof *t);
    memcpy(t->b, SE_KF_MAGIC, SE_KF_MAGIC_LEN);
    uint8_t *h = t->b + SE_KF_MAGIC_LEN;
    uint8_t *r = h + SE_KF_RET_HDR;
    size_t nr = sizeof rsites / sizeof rsites[0], nm = sizeof msites / sizeof msites[0];
    put16(h, (uint16_t)(4 * nr));
    put16(h + 2, 0);
    put16(h + 4, (uint16_t)(int16_t)(8 * nm + stop_adj));
    put16(h + 6, SEED_THUNK);
    put16(h + 8, SEED_FENTRY);
    for (size_t i = 0; i < nr; i++)
        put32(r + 4 * i, (uint32_t)(SE_KF_TEXT + rsites[i] - (SE_KF_RETS + 4 * i)));
    uint8_t *m = r + 4 * nr;
    for (size_t i = 0; i < nm; i++) {
        uint64_t va = SE_KF_TEXT + msites[i];
        for (int k = 0; k < 8; k++)
            m[8 * i + (size_t)k] = (uint8_t)(va >> (8 * k));
    }
    t->len = (size_t)(m + 8 * nm - t->b);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s <dir>\n", argv[0]);
        return 2;
    }
    seed s;
    trailer none = {{0}, 0}, t;
    int bad = 0;
    build(&s, 12);
    bad |= put(argv[1], "r61-all.bin", 0, ~0ull, &s, &none);
    bad |= put(argv[1], "r61-none.bin", 0, 0, &s, &none);
    bad |= put(argv[1], "unknown-12.bin", 2, 0x5555555555555555ull, &s, &none);
    build(&s, 14);
    bad |= put(argv[1], "r612-all.bin", 1, ~0ull, &s, &none);
    bad |= put(argv[1], "r612-some.bin", 1, 0xaaaaaaaaaaaaaaaaull, &s, &none);
    bad |= put(argv[1], "r61-14.bin", 0, ~0ull, &s, &none);
    build(&s, 14);
    build_ret(&s, &t, 0);
    bad |= put(argv[1], "r612-rets-fentry.bin", 1, ~0ull, &s, &t);
    build(&s, 12);
    build_ret(&s, &t, -4); /* a stop that is not whole entries: SE_ERR_FORMAT */
    bad |= put(argv[1], "r61-rets-badstop.bin", 0, 0, &s, &t);
    return bad;
}
