/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Writes the fuzz_ksyms seeds (the first byte is the harness's mode): synthetic kallsyms tables
 * in both layouts, with and without absolute per-CPU values, and map texts for both map modes.
 * Small tables keep the fuzzer fast; 257 symbols still give two markers. Usage: ksyms_seeds
 * <dir> */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ksyms_build.h"

static int put(const char *dir, const char *name, uint8_t mode, const void *p, size_t n)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (f == NULL || fputc(mode, f) == EOF || fwrite(p, 1, n, f) != n) {
        perror(path);
        if (f != NULL)
            fclose(f);
        return 1;
    }
    return fclose(f) != 0;
}

static const char *const maps[] = {
    "0000000000000000 A __per_cpu_start\n"
    "0000000000006000 D cpu_tss_rw\n"
    "0000000000034000 A __per_cpu_end\n"
    "ffffffff81000000 T _text\n"
    "ffffffff81000000 T startup_64\n"
    "ffffffff81c00080 T entry_SYSCALL_64\n"
    "ffffffff81c00100 t local_fn\n"
    "ffffffff81c00200 T local_fn\n",
    /* /proc/kallsyms after a KASLR slide, with module symbols and CRLF */
    "0000000000006000 D cpu_tss_rw\r\n"
    "ffffffff9a200000 T _text\r\n"
    "ffffffff9ae00080 T entry_SYSCALL_64\r\n"
    "ffffffffc0a01000 t mod_fn\t[ext4]\r\n",
    /* as an unprivileged reader sees it */
    "0000000000000000 T _text\n0000000000000000 T entry_SYSCALL_64\n",
};

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s <dir>\n", argv[0]);
        return 2;
    }
    int bad = 0;
    static const struct {
        se_kb_layout l;
        size_t n;
        bool abs;
        const char *name;
    } tabs[] = {{SE_KB_61, 257, true, "t61-abs"},
                {SE_KB_61, 300, false, "t61-rel"},
                {SE_KB_612, 260, true, "t612-abs"},
                {SE_KB_612, 300, false, "t612-rel"}};
    for (size_t i = 0; i < sizeof tabs / sizeof tabs[0]; i++) {
        size_t len;
        uint8_t *ro = se_kb_rodata(tabs[i].l, tabs[i].n, tabs[i].abs, SE_KB_OK, &len, NULL);
        char name[64];
        snprintf(name, sizeof name, "%s.rodata", tabs[i].name);
        bad |= put(argv[1], name, 0, ro, len);
        free(ro);
    }
    for (size_t i = 0; i < sizeof maps / sizeof maps[0]; i++)
        for (uint8_t mode = 2; mode <= 3; mode++) {
            char name[64];
            snprintf(name, sizeof name, "map%zu-mode%u.txt", i, (unsigned)mode);
            bad |= put(argv[1], name, mode, maps[i], strlen(maps[i]));
        }
    return bad;
}
