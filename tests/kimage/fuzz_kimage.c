/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer harness for se_kimage_decompress (-DSYSENTRY_BUILD_FUZZERS=ON with clang; seeds
 * from CMake: synthetic bzImages of each codec, written by kimage_seeds). Beyond "no sanitizer
 * report": success gives a non-empty buffer within the cap that starts with an ELF header, and
 * failure gives NULL, length 0, a known status and a message. The cap is 16 MiB so that
 * decompression bombs stay fast.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kimage/kimage.h"

#define SE_FUZZ_CAP ((size_t)16 << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *out = NULL;
    size_t out_len = 0;
    char err[128];
    se_status st =
        se_kimage_decompress_capped(data, size, SE_FUZZ_CAP, &out, &out_len, err, sizeof err);
    if (st == SE_OK) {
        if (out == NULL || out_len < 64 || out_len > SE_FUZZ_CAP ||
            memcmp(out,
                   "\x7F"
                   "ELF",
                   4) != 0)
            abort();
        free(out);
        return 0;
    }
    if (out != NULL || out_len != 0 || err[0] == '\0' || memchr(err, '\0', sizeof err) == NULL)
        abort();
    if (st != SE_ERR_FORMAT && st != SE_ERR_LIMIT && st != SE_ERR_NOMEM)
        abort();
    return 0;
}
