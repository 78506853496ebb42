/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Writes the fuzz_kbugs seeds (layout in kbugs_fuzz.h): a table with WARN and BUG records, a
 * duplicate address, records outside .text, file names shared, too long, unterminated, in .bss
 * and outside the image; the same table cut short (not whole records) and as NOBITS.
 * Usage: kbugs_seeds <dir> */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "kbugs_fuzz.h"

typedef struct seed {
    uint8_t text[64], ro[384], tab[12 * 16];
    size_t ro_n, tab_n;
} seed;

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t str(seed *s, const char *v, size_t n, int nul)
{
    uint64_t va = SE_KB_RODATA + s->ro_n;
    memset(s->ro + s->ro_n, 'a', n);
    memcpy(s->ro + s->ro_n, v, strlen(v) < n ? strlen(v) : n);
    s->ro_n += n;
    if (nul)
        s->ro[s->ro_n++] = '\0';
    return va;
}

static void rec(seed *s, uint64_t addr, uint64_t file, uint16_t line, uint16_t flags)
{
    uint8_t *r = s->tab + s->tab_n;
    uint64_t field = SE_KB_TABLE + s->tab_n;
    put32(r, (uint32_t)(addr - field));
    put32(r + 4, (uint32_t)(file - (field + 4)));
    r[8] = (uint8_t)line;
    r[9] = (uint8_t)(line >> 8);
    r[10] = (uint8_t)flags;
    r[11] = (uint8_t)(flags >> 8);
    s->tab_n += 12;
}

static int put(const char *dir, const char *name, uint8_t flags, const seed *s, size_t tab_n)
{
    uint8_t hdr[SE_KB_HDR] = {(uint8_t)sizeof s->text, (uint8_t)(sizeof s->text >> 8),
                              (uint8_t)s->ro_n, (uint8_t)(s->ro_n >> 8), flags};
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (f == NULL || fwrite(hdr, 1, sizeof hdr, f) != sizeof hdr ||
        fwrite(s->text, 1, sizeof s->text, f) != sizeof s->text ||
        fwrite(s->ro, 1, s->ro_n, f) != s->ro_n || fwrite(s->tab, 1, tab_n, f) != tab_n) {
        perror(path);
        if (f != NULL)
            fclose(f);
        return 1;
    }
    return fclose(f) != 0;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s <dir>\n", argv[0]);
        return 2;
    }
    static seed s;
    memset(s.text, 0xcc, sizeof s.text);
    uint64_t fork = str(&s, "kernel/fork.c", 13, 1);
    uint64_t slub = str(&s, "mm/slub.c", 9, 1);
    uint64_t longest = str(&s, "", 255, 1);  /* the longest name kept */
    uint64_t too_long = str(&s, "", 256, 1); /* one byte more: none */
    uint64_t open_end = str(&s, "lib/bug.c", 9, 0);
    rec(&s, SE_KB_TEXT, fork, 10, 0x0901); /* WARN, taint 9 */
    rec(&s, SE_KB_TEXT + 8, slub, 20, 0);  /* BUG */
    rec(&s, SE_KB_TEXT, slub, 30, 0);      /* same UD2: the first record wins */
    rec(&s, SE_KB_TEXT + 16, longest, 40, 1);
    rec(&s, SE_KB_TEXT + 24, too_long, 50, 1);
    rec(&s, SE_KB_TEXT + 32, open_end, 60, 1);
    rec(&s, SE_KB_TEXT + 40, SE_KB_BSS, 70, 1);
    rec(&s, SE_KB_TEXT + 48, 0, 80, 1);
    rec(&s, SE_KB_TEXT + sizeof s.text - 1, fork, 90, 3);
    rec(&s, SE_KB_RODATA, fork, 100, 1);         /* not executable: dropped */
    rec(&s, SE_KB_TEXT + 0x10000, fork, 110, 1); /* outside the image: dropped */
    int bad = 0;
    bad |= put(argv[1], "table.bin", 0, &s, s.tab_n);
    bad |= put(argv[1], "no-bss.bin", 2, &s, s.tab_n);
    bad |= put(argv[1], "cut.bin", 0, &s, s.tab_n - 5);
    bad |= put(argv[1], "nobits.bin", 1, &s, s.tab_n);
    return bad;
}
