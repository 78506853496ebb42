/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Writes the fuzz_kernel_image seeds: the synthetic vmlinux (kvm_build.c) that loads and runs,
 * each refused variant, the ones whose system call reaches a WARN, a BUG or a UD2 the bug table
 * does not list, and gzip and xz bzImages of the loadable one. Usage: kernel_seeds <dir> */
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
    /* Each variant by name rather than a range of the enum, which grows in the middle: every
     * variant stops at a different stage of the loader or the run, so each is a seed. */
    static const struct {
        se_kvm_variant v;
        const char *name;
    } seeds[] = {
        {SE_KVM_OK, "ok.elf"},
        {SE_KVM_NO_DISPATCH, "no-dispatch.elf"},
        {SE_KVM_NO_CALL, "no-call.elf"},
        {SE_KVM_NEW_VERSION, "new-version.elf"},
        {SE_KVM_612_NO_BTF, "612-no-btf.elf"},
        {SE_KVM_NO_PERCPU, "no-percpu.elf"},
        {SE_KVM_WARN, "warn.elf"},
        {SE_KVM_BUG, "bug.elf"},
        {SE_KVM_UD2_NO_RECORD, "ud2-no-record.elf"},
        {SE_KVM_BAD_BUG_TABLE, "bad-bug-table.elf"},
    };
    if (argc != 2) {
        fprintf(stderr, "usage: %s <dir>\n", argv[0]);
        return 2;
    }
    int bad = 0;
    for (size_t s = 0; s < sizeof seeds / sizeof seeds[0]; s++) {
        size_t len;
        uint8_t *elf = se_kvm_build(seeds[s].v, &len);
        bad |= put(argv[1], seeds[s].name, elf, len);
        if (seeds[s].v == SE_KVM_OK) {
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
