/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Writes the kimage fuzz seeds: a small bzImage per codec, with and without a setup header,
 * and the plain ELF. Usage: kimage_seeds <dir> */
#include <stdio.h>
#include <stdlib.h>

#include "kimage_util.h"

static int put(const char *dir, const char *name, const uint8_t *p, size_t n)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (f == NULL || fwrite(p, 1, n, f) != n) {
        perror(path);
        return 1;
    }
    return fclose(f) != 0;
}

int main(int argc, char **argv)
{
    static const char *const names[] = {"xz", "zstd", "lz4", "gzip"};
    if (argc != 2) {
        fprintf(stderr, "usage: %s <dir>\n", argv[0]);
        return 2;
    }
    size_t elf_len;
    uint8_t *elf = se_kt_make_elf(4096, &elf_len);
    int bad = put(argv[1], "plain.elf", elf, elf_len);
    for (int c = 0; c < SE_KT_NCODECS; c++) {
        size_t plen, len;
        uint8_t *pl = se_kt_compress((se_kt_codec)c, elf, elf_len, 2048, &plen);
        for (int h = 0; h < 2; h++) {
            char name[64];
            uint8_t *img = se_kt_make_bzimage(pl, plen, 64, 16, h == 1, &len, NULL);
            snprintf(name, sizeof name, "%s%s.bzimage", names[c], h ? "" : "-noheader");
            bad |= put(argv[1], name, img, len);
            free(img);
        }
        free(pl);
    }
    free(elf);
    return bad;
}
