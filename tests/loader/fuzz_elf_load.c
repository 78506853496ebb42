/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer harness for the ELF loader (-DSYSENTRY_BUILD_FUZZERS=ON with clang; run with the
 * fixture objects of this directory as the seed corpus). Invariants beyond "no sanitizer
 * report": the status is one the loader documents for well-formed arguments, a failure leaves
 * no image and a message, and a loaded image is consistent and fully readable.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "loader/elf_load.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint64_t bases[] = {0xffffffff81000000ull, 0x100000ull, 0};
    for (size_t b = 0; b < sizeof bases / sizeof bases[0]; b++) {
        se_elf_image *img = NULL;
        char err[128];
        se_status st = se_elf_load(data, size, bases[b], &img, err, sizeof err);
        if (st != SE_OK) {
            if ((st != SE_ERR_FORMAT && st != SE_ERR_NOT_FOUND) || img != NULL || err[0] == '\0')
                abort();
            continue;
        }
        volatile uint8_t sink = 0;
        for (size_t i = 0; i < se_elf_section_count(img); i++) {
            const se_elf_section *s = se_elf_section_at(img, i);
            if (s->size == 0 || memchr(s->name, '\0', sizeof s->name) == NULL)
                abort();
            for (uint64_t k = 0; s->bytes != NULL && k < s->size; k += 512)
                sink ^= s->bytes[k];
            if (s->bytes != NULL)
                sink ^= s->bytes[s->size - 1];
        }
        for (size_t i = 0; i < se_elf_symbol_count(img); i++) {
            uint64_t va;
            const char *name = se_elf_symbol_at(img, i, &va, NULL);
            uint64_t again;
            if (name == NULL || se_elf_symbol(img, name, &again) != SE_OK)
                abort();
        }
        (void)sink;
        se_elf_free(img);
    }
    return 0;
}
