/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Writes the fuzz_kalt seeds (layout in kalt_fuzz.h): records in the 12-byte (6.1) and 14-byte
 * (6.12) layouts covering an empty replacement, a NOT record, an ALTERNATIVE_2 pair, relative
 * branches and a RIP-relative operand to relocate, and a DIRECT_CALL site. Usage: kalt_seeds
 * <dir> */
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

static int put(const char *dir, const char *name, uint8_t release, uint64_t mask, const seed *s)
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
        fwrite(s->tab, 1, s->tab_n, f) != s->tab_n) {
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

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s <dir>\n", argv[0]);
        return 2;
    }
    seed s;
    int bad = 0;
    build(&s, 12);
    bad |= put(argv[1], "r61-all.bin", 0, ~0ull, &s);
    bad |= put(argv[1], "r61-none.bin", 0, 0, &s);
    bad |= put(argv[1], "unknown-12.bin", 2, 0x5555555555555555ull, &s);
    build(&s, 14);
    bad |= put(argv[1], "r612-all.bin", 1, ~0ull, &s);
    bad |= put(argv[1], "r612-some.bin", 1, 0xaaaaaaaaaaaaaaaaull, &s);
    bad |= put(argv[1], "r61-14.bin", 0, ~0ull, &s);
    return bad;
}
