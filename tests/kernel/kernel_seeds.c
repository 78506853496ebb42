/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Writes the fuzz_kernel_image seeds: the synthetic vmlinux (kvm_build.c) that loads and runs,
 * each refused variant, and gzip and xz bzImages of the loadable one. Usage: kernel_seeds <dir> */
#include <stdio.h>
#include <stdlib.h>

#include "kimage_util.h"
#include "kvm_build.h"

static int put(const char *dir, const char *name, const uint8_t *p, size_t n)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (f == NULL || fwrite(p, 1, n, f) != n) {
        perror(path);
        if (f != NULL)
            fclose(f);
        return 1;
    }
    return fclose(f) != 0;
}

int main(int argc, char **argv)
{
    static const char *const names[] = {"ok.elf", "no-dispatch.elf", "no-call.elf",
                                        "new-version.elf", "no-percpu.elf"};
    if (argc != 2) {
        fprintf(stderr, "usage: %s <dir>\n", argv[0]);
        return 2;
    }
    int bad = 0;
    for (int v = SE_KVM_OK; v <= SE_KVM_NO_PERCPU; v++) {
        size_t len;
        uint8_t *elf = se_kvm_build((se_kvm_variant)v, &len);
        bad |= put(argv[1], names[v], elf, len);
        if (v == SE_KVM_OK) {
            static const struct {
                se_kt_codec c;
                const char *name;
            } codecs[] = {{SE_KT_GZIP, "ok-gzip.bzimage"}, {SE_KT_XZ, "ok-xz.bzimage"}};
            for (size_t i = 0; i < sizeof codecs / sizeof codecs[0]; i++) {
                size_t plen, blen;
                uint8_t *pl = se_kt_compress(codecs[i].c, elf, len, 2048, &plen);
                uint8_t *img = se_kt_make_bzimage(pl, plen, 64, 16, true, &blen, NULL);
                bad |= put(argv[1], codecs[i].name, img, blen);
                free(img);
                free(pl);
            }
        }
        free(elf);
    }
    return bad;
}
