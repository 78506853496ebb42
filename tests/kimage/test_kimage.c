/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * se_kimage_decompress on synthetic bzImages: a small vmlinux-shaped ELF compressed with each
 * codec (liblzma, libzstd, liblz4, zlib), found through the setup header and through the magic
 * search; truncations and corruptions of each fail cleanly (an error with a message, never a
 * crash: the ASan builds and valgrind check the "never"); uncompressed ELFs, non-x86 ELFs,
 * garbage and the output cap.
 */
#include "se_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kimage/kimage.h"
#include "kimage_util.h"

static const char *const codec_names[] = {"xz", "zstd", "lz4", "gzip"};
static const size_t magic_len[] = {6, 4, 4, 3};

typedef struct fixture {
    uint8_t *elf;
    size_t elf_len;
    uint8_t *payload[SE_KT_NCODECS];
    size_t payload_len[SE_KT_NCODECS];
} fixture;

static fixture fx;

static int setup(void **state)
{
    (void)state;
    fx.elf = se_kt_make_elf(96 * 1024, &fx.elf_len);
    for (int c = 0; c < SE_KT_NCODECS; c++) /* LZ4: 16 KiB blocks, so there are several */
        fx.payload[c] =
            se_kt_compress((se_kt_codec)c, fx.elf, fx.elf_len, 16 * 1024, &fx.payload_len[c]);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    free(fx.elf);
    for (int c = 0; c < SE_KT_NCODECS; c++)
        free(fx.payload[c]);
    return 0;
}

/* Decompress, expecting success and the original ELF back. */
static void expect_elf(const uint8_t *img, size_t len, const char *what)
{
    uint8_t *out = NULL;
    size_t out_len = 0;
    char err[256];
    se_status st = se_kimage_decompress(img, len, &out, &out_len, err, sizeof err);
    if (st != SE_OK)
        fail_msg("%s: %s (%s)", what, se_status_str(st), err);
    assert_int_equal(out_len, fx.elf_len);
    assert_memory_equal(out, fx.elf, fx.elf_len);
    assert_true(se_kt_section_addr(out, out_len, ".text") == SE_KT_TEXT_ADDR);
    free(out);
}

/* Decompress, expecting a clean failure: not SE_OK, *out NULL, a message. */
static void expect_fail(const uint8_t *img, size_t len, se_status want, const char *what)
{
    uint8_t *out = (uint8_t *)1;
    size_t out_len = 1;
    char err[256] = "";
    se_status st = se_kimage_decompress(img, len, &out, &out_len, err, sizeof err);
    if (st == SE_OK || (want != SE_OK && st != want))
        fail_msg("%s: got %s, want %s (%s)", what, se_status_str(st),
                 want == SE_OK ? "an error" : se_status_str(want), err);
    assert_null(out);
    assert_int_equal(out_len, 0);
    assert_true(err[0] != '\0');
}

static void test_header_each_codec(void **state)
{
    (void)state;
    for (int c = 0; c < SE_KT_NCODECS; c++) {
        size_t len;
        uint8_t *img =
            se_kt_make_bzimage(fx.payload[c], fx.payload_len[c], 0x400, 300, true, &len, NULL);
        expect_elf(img, len, codec_names[c]);
        free(img);
    }
}

/* Without a setup header (and with one older than 2.08) the magic search finds the payload. */
static void test_magic_search_each_codec(void **state)
{
    (void)state;
    for (int c = 0; c < SE_KT_NCODECS; c++) {
        size_t len;
        uint8_t *img =
            se_kt_make_bzimage(fx.payload[c], fx.payload_len[c], 0x400, 300, false, &len, NULL);
        expect_elf(img, len, codec_names[c]);
        memcpy(img + 0x202, "HdrS\x06\x02", 6); /* protocol 2.06: no payload_offset */
        expect_elf(img, len, codec_names[c]);
        free(img);
    }
}

/* A header whose payload lies outside the image, or points at no known magic: search. */
static void test_bad_header_falls_back(void **state)
{
    (void)state;
    for (int c = 0; c < SE_KT_NCODECS; c++) {
        size_t len;
        uint8_t *img =
            se_kt_make_bzimage(fx.payload[c], fx.payload_len[c], 0x400, 64, true, &len, NULL);
        static const uint32_t offs[] = {0xFFFFFFFFu, 0x10, 0x3FF};
        for (size_t i = 0; i < sizeof offs / sizeof offs[0]; i++) {
            memcpy(img + 0x248, &offs[i], 4);
            expect_elf(img, len, codec_names[c]);
        }
        img[0x24C] = 0xFF, img[0x24F] = 0xFF; /* length past the end */
        expect_elf(img, len, codec_names[c]);
        free(img);
    }
}

/* zstd: only the first frame is decoded; what follows it is ignored. */
static void test_zstd_first_frame_only(void **state)
{
    (void)state;
    size_t n = fx.payload_len[SE_KT_ZSTD] - 4, len;
    uint8_t *two = malloc(2 * n);
    assert_non_null(two);
    memcpy(two, fx.payload[SE_KT_ZSTD], n);
    memcpy(two + n, fx.payload[SE_KT_ZSTD], n);
    uint8_t *img = se_kt_make_bzimage(two, 2 * n, 0x200, 0, true, &len, NULL);
    expect_elf(img, len, "zstd, two frames");
    free(img);
    free(two);
}

/* Truncated payloads (payload_length cut short, and the whole file cut) fail cleanly. */
static void test_truncations(void **state)
{
    (void)state;
    char what[96];
    for (int c = 0; c < SE_KT_NCODECS; c++) {
        size_t plen = fx.payload_len[c], len, at;
        uint8_t *img = se_kt_make_bzimage(fx.payload[c], plen, 0x400, 0, true, &len, &at);
        /* keep the last 4 bytes (the appended size) out of the cuts: they are not the codec's */
        size_t cuts[] = {1, 3, 4, 5, 8, 17, plen / 3, plen / 2, plen - 9, plen - 6, plen - 5};
        for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
            uint32_t l = (uint32_t)cuts[i];
            memcpy(img + 0x248 + 4, &l, 4);
            snprintf(what, sizeof what, "%s, payload_length %u of %zu", codec_names[c], l, plen);
            if (l < magic_len[c]) /* no magic where the header points: the search finds it */
                expect_elf(img, len, what);
            else
                expect_fail(img, len, SE_ERR_FORMAT, what);
            /* the same bytes without the header: the magic search to the end of the file */
            snprintf(what, sizeof what, "%s, file cut to %zu", codec_names[c], at + cuts[i]);
            expect_fail(img, at + cuts[i], SE_ERR_FORMAT, what);
        }
        free(img);
    }
}

/* Corruptions: checksummed codecs reject a flipped byte anywhere in the compressed data; every
 * flipped byte of every codec (LZ4 has no checksum) at least fails cleanly or decodes to an
 * ELF that passes the checks. LZ4's framing (a block size) is checked exactly. */
static void test_corruptions(void **state)
{
    (void)state;
    char what[96];
    for (int c = 0; c < SE_KT_NCODECS; c++) {
        size_t plen = fx.payload_len[c], len, at;
        uint8_t *img = se_kt_make_bzimage(fx.payload[c], plen, 0x400, 0, true, &len, &at);
        for (size_t i = 0; i + 4 < plen; i += (plen / 97) | 1) {
            for (int bit = 0; bit < 8; bit += 3) {
                img[at + i] ^= (uint8_t)(1u << bit);
                uint8_t *out = NULL;
                size_t out_len = 0;
                char err[256] = "";
                se_status st = se_kimage_decompress(img, len, &out, &out_len, err, sizeof err);
                img[at + i] ^= (uint8_t)(1u << bit);
                bool checksummed = c != SE_KT_LZ4;
                if (st == SE_OK && checksummed && memcmp(out, fx.elf, fx.elf_len) != 0)
                    fail_msg("%s: byte %zu bit %d flipped decoded to a different ELF",
                             codec_names[c], i, bit);
                if (st != SE_OK) {
                    assert_int_equal(st, SE_ERR_FORMAT);
                    assert_null(out);
                    assert_true(err[0] != '\0');
                }
                free(out);
            }
        }
        free(img);
    }
    /* LZ4: the first block's size too large / too small */
    size_t len, at;
    uint8_t *img = se_kt_make_bzimage(fx.payload[SE_KT_LZ4], fx.payload_len[SE_KT_LZ4], 0x400, 0,
                                      true, &len, &at);
    for (int d = -2; d <= 2; d += 4) {
        img[at + 4] = (uint8_t)(img[at + 4] + d);
        snprintf(what, sizeof what, "lz4, first block size %+d", d);
        expect_fail(img, len, SE_ERR_FORMAT, what);
        img[at + 4] = (uint8_t)(img[at + 4] - d);
    }
    free(img);
}

static void test_plain_elf(void **state)
{
    (void)state;
    expect_elf(fx.elf, fx.elf_len, "plain ELF");
    uint8_t *e = malloc(fx.elf_len);
    assert_non_null(e);
    static const struct {
        size_t off;
        uint8_t val;
        const char *what;
    } bad[] = {{4, 1, "ELF32"},           {5, 2, "big-endian"},
               {18, 183, "AArch64"},      {16, 3, "ET_DYN"},
               {56, 0, "no phdrs"},       {54, 32, "phentsize"},
               {58, 40, "shentsize"},     {47, 0x10, "shoff out of bounds"},
               {64 + 15, 0x10, "segment"}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        memcpy(e, fx.elf, fx.elf_len);
        e[bad[i].off] = bad[i].val;
        expect_fail(e, fx.elf_len, SE_ERR_FORMAT, bad[i].what);
    }
    expect_fail(fx.elf, fx.elf_len - 1, SE_ERR_FORMAT, "ELF cut by one byte");
    expect_fail(fx.elf, 40, SE_ERR_FORMAT, "ELF header cut");
    free(e);
}

static void test_garbage_and_args(void **state)
{
    (void)state;
    uint8_t zero[4096] = {0}, *out = NULL;
    size_t out_len = 0;
    char err[128];
    expect_fail(zero, 0, SE_ERR_FORMAT, "empty");
    expect_fail(zero, sizeof zero, SE_ERR_FORMAT, "zeros");
    zero[0x202] = 'H', zero[0x203] = 'd', zero[0x204] = 'r', zero[0x205] = 'S';
    expect_fail(zero, sizeof zero, SE_ERR_FORMAT, "a setup header and nothing else");
    memcpy(zero + 3000, "\xFD\x37\x7A\x58\x5A\x00", 6);
    memcpy(zero + 3100, "\x28\xB5\x2F\xFD", 4);
    memcpy(zero + 3200, "\x02\x21\x4C\x18\x10\x00\x00\x00", 8);
    memcpy(zero + 3300, "\x1F\x8B\x08", 3);
    expect_fail(zero, sizeof zero, SE_ERR_FORMAT, "bare magics");
    assert_int_equal(se_kimage_decompress(NULL, 1, &out, &out_len, err, sizeof err),
                     SE_ERR_INVALID_ARG);
    assert_int_equal(se_kimage_decompress(zero, 1, NULL, &out_len, err, sizeof err),
                     SE_ERR_INVALID_ARG);
    assert_int_equal(se_kimage_decompress(zero, 1, &out, NULL, NULL, 0), SE_ERR_INVALID_ARG);
    /* no message buffer at all is fine */
    assert_int_equal(se_kimage_decompress(zero, sizeof zero, &out, &out_len, NULL, 0),
                     SE_ERR_FORMAT);
    /* a one-byte buffer stays terminated */
    char tiny[1] = {'x'};
    assert_int_equal(se_kimage_decompress(zero, sizeof zero, &out, &out_len, tiny, 1),
                     SE_ERR_FORMAT);
    assert_int_equal(tiny[0], '\0');
}

/* The output cap: every codec stops at it with SE_ERR_LIMIT. */
static void test_cap(void **state)
{
    (void)state;
    for (int c = 0; c < SE_KT_NCODECS; c++) {
        size_t len;
        uint8_t *img =
            se_kt_make_bzimage(fx.payload[c], fx.payload_len[c], 0x400, 0, true, &len, NULL);
        uint8_t *out = (uint8_t *)1;
        size_t out_len = 1;
        char err[256] = "";
        se_status st =
            se_kimage_decompress_capped(img, len, fx.elf_len - 1, &out, &out_len, err, sizeof err);
        if (st != SE_ERR_LIMIT)
            fail_msg("%s: %s (%s)", codec_names[c], se_status_str(st), err);
        assert_null(out);
        st = se_kimage_decompress_capped(img, len, fx.elf_len, &out, &out_len, err, sizeof err);
        if (st != SE_OK)
            fail_msg("%s at the exact cap: %s (%s)", codec_names[c], se_status_str(st), err);
        free(out);
        free(img);
    }
    uint8_t *out = NULL;
    size_t out_len = 0;
    assert_int_equal(se_kimage_decompress_capped(fx.elf, fx.elf_len, 100, &out, &out_len, NULL, 0),
                     SE_ERR_LIMIT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_header_each_codec),
        cmocka_unit_test(test_magic_search_each_codec),
        cmocka_unit_test(test_bad_header_falls_back),
        cmocka_unit_test(test_zstd_first_frame_only),
        cmocka_unit_test(test_truncations),
        cmocka_unit_test(test_corruptions),
        cmocka_unit_test(test_plain_elf),
        cmocka_unit_test(test_garbage_and_args),
        cmocka_unit_test(test_cap),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
