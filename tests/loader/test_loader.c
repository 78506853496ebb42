/*
 * The ELF loader: placement, every relocation type, symbols (global and local), undefined
 * symbols, overflow, ET_EXEC, and malformed input (every truncation, corrupted headers):
 * SE_ERR_FORMAT or success, never a crash (this runs under ASan/UBSan in CI).
 */
#include "se_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loader/elf_load.h"

#define BASE 0xffffffff81000000ull

typedef struct blob {
    uint8_t *d;
    size_t len;
} blob;

static blob read_fixture(const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", SE_FIXTURE_DIR, name);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    blob b = {malloc(1 << 20), 0};
    assert_non_null(b.d);
    b.len = fread(b.d, 1, 1 << 20, f);
    fclose(f);
    assert_true(b.len > 64);
    return b;
}

static uint64_t sym(const se_elf_image *img, const char *name)
{
    uint64_t va = 0;
    assert_int_equal(se_elf_symbol(img, name, &va), SE_OK);
    return va;
}

static void test_relocatable(void **s)
{
    (void)s;
    blob b = read_fixture("fixture.o");
    se_elf_image *img;
    char err[128];
    assert_int_equal(se_elf_load(b.d, b.len, BASE, &img, err, sizeof err), SE_OK);
    const se_elf_section *et = se_elf_section_by_name(img, ".entry.text");
    const se_elf_section *tx = se_elf_section_by_name(img, ".text");
    const se_elf_section *da = se_elf_section_by_name(img, ".data");
    const se_elf_section *bs = se_elf_section_by_name(img, ".bss");
    assert_non_null(et);
    assert_non_null(tx);
    assert_non_null(da);
    assert_non_null(bs);
    se_assert_eq_hex(".entry.text first, at the base", et->va, BASE);
    assert_true(et->exec && !et->write);
    assert_int_equal(tx->va % 4096, 0);
    assert_true(tx->va > et->va && da->va > tx->va);
    assert_true(da->write && !da->exec);
    for (uint64_t i = 0; i < bs->size; i++)
        assert_int_equal(bs->bytes[i], 0);
    se_assert_eq_hex("entry_sym", sym(img, "entry_sym"), BASE);
    se_assert_eq_hex("other_fn", sym(img, "other_fn"), tx->va);
    se_assert_eq_hex("data_word", sym(img, "data_word"), da->va);
    assert_true(sym(img, "local_label") > BASE); /* local labels are findable */
    uint64_t other = tx->va, data = da->va;
    const uint8_t *c = et->bytes;
    /* call rel32 (PLT32 -> PC-relative) */
    assert_int_equal(c[0], 0xE8);
    int32_t rel;
    memcpy(&rel, c + 1, 4);
    se_assert_eq_hex("call target", BASE + 5 + (uint64_t)(int64_t)rel, other);
    /* movabs imm64 (R_X86_64_64) */
    uint64_t imm;
    memcpy(&imm, c + 7, 8);
    se_assert_eq_hex("movabs", imm, data);
    /* lea disp32(%rip) (PC32) */
    int32_t disp;
    memcpy(&disp, c + 18, 4);
    se_assert_eq_hex("lea", BASE + 22 + (uint64_t)(int64_t)disp, data);
    /* movq $imm32 sign-extended (32S) */
    int32_t imm32;
    memcpy(&imm32, c + 25, 4);
    se_assert_eq_hex("movq $imm32", (uint64_t)(int64_t)imm32, data);
    /* .quad entry_sym in data */
    uint64_t q;
    memcpy(&q, da->bytes, 8);
    se_assert_eq_hex(".quad", q, BASE);
    uint64_t va, size;
    assert_true(se_elf_symbol_count(img) >= 4);
    assert_non_null(se_elf_symbol_at(img, 0, &va, &size));
    assert_null(se_elf_symbol_at(img, 100000, &va, &size));
    assert_int_equal(se_elf_symbol(img, "no_such", &va), SE_ERR_NOT_FOUND);
    se_elf_free(img);
    free(b.d);
}

static void test_undefined_symbol(void **s)
{
    (void)s;
    blob b = read_fixture("fixture_undef.o");
    se_elf_image *img = (se_elf_image *)&img;
    char err[128];
    assert_int_equal(se_elf_load(b.d, b.len, BASE, &img, err, sizeof err), SE_ERR_NOT_FOUND);
    assert_null(img);
    assert_non_null(strstr(err, "missing_fn"));
    free(b.d);
}

static void test_r32_overflow(void **s)
{
    (void)s;
    blob b = read_fixture("fixture_r32.o");
    se_elf_image *img;
    char err[128];
    assert_int_equal(se_elf_load(b.d, b.len, BASE, &img, err, sizeof err), SE_ERR_FORMAT);
    assert_non_null(strstr(err, "R_X86_64_32"));
    assert_int_equal(se_elf_load(b.d, b.len, 0x100000, &img, err, sizeof err), SE_OK);
    se_elf_free(img);
    free(b.d);
}

static void test_executable(void **s)
{
    (void)s;
    blob b = read_fixture("fixture.elf");
    se_elf_image *img;
    char err[128];
    assert_int_equal(se_elf_load(b.d, b.len, 0 /* ignored */, &img, err, sizeof err), SE_OK);
    se_assert_eq_hex("entry_sym", sym(img, "entry_sym"), 0xffffffff82000000ull);
    bool exec_seen = false;
    for (size_t i = 0; i < se_elf_section_count(img); i++) {
        const se_elf_section *sec = se_elf_section_at(img, i);
        if (sec->exec && sec->va == 0xffffffff82000000ull) {
            exec_seen = true;
            assert_int_equal(sec->bytes[0], 0xE8);
        }
    }
    assert_true(exec_seen);
    se_elf_free(img);
    free(b.d);
}

static void test_malformed(void **s)
{
    (void)s;
    const char *files[] = {"fixture.o", "fixture.elf"};
    for (size_t f = 0; f < 2; f++) {
        blob b = read_fixture(files[f]);
        char err[128];
        /* every truncation */
        for (size_t len = 0; len < b.len; len++) {
            uint8_t *copy = malloc(len ? len : 1);
            memcpy(copy, b.d, len);
            se_elf_image *img = NULL;
            se_status st = se_elf_load(copy, len, BASE, &img, err, sizeof err);
            assert_true(st == SE_ERR_FORMAT || st == SE_OK || st == SE_ERR_NOT_FOUND);
            se_elf_free(img);
            free(copy);
        }
        /* every byte of the headers and the section table, set to 0xff and to 0x7f */
        for (size_t pos = 0; pos < b.len; pos += (pos < 64 ? 1 : 7)) {
            for (int v = 0; v < 2; v++) {
                uint8_t *copy = malloc(b.len);
                memcpy(copy, b.d, b.len);
                copy[pos] = v ? 0xff : 0x7f;
                se_elf_image *img = NULL;
                se_elf_load(copy, b.len, BASE, &img, err, sizeof err);
                se_elf_free(img);
                free(copy);
            }
        }
        free(b.d);
    }
}

static void test_arguments(void **s)
{
    (void)s;
    se_elf_image *img;
    char err[64];
    uint8_t junk[128] = {0};
    assert_int_equal(se_elf_load(NULL, 10, BASE, &img, err, sizeof err), SE_ERR_INVALID_ARG);
    assert_int_equal(se_elf_load(junk, sizeof junk, BASE, NULL, err, sizeof err),
                     SE_ERR_INVALID_ARG);
    assert_int_equal(se_elf_load(junk, sizeof junk, BASE, &img, NULL, 0), SE_ERR_FORMAT);
    assert_int_equal(se_elf_load(junk, 3, BASE, &img, err, sizeof err), SE_ERR_FORMAT);
    assert_non_null(strstr(err, "short"));
    memcpy(junk, "\177ELF", 4);
    assert_int_equal(se_elf_load(junk, sizeof junk, BASE, &img, err, sizeof err), SE_ERR_FORMAT);
    se_elf_free(NULL);
    assert_int_equal(se_elf_section_count(NULL), 0);
    assert_null(se_elf_section_at(NULL, 0));
    assert_null(se_elf_section_by_name(NULL, ".text"));
    uint64_t va;
    assert_int_equal(se_elf_symbol(NULL, "x", &va), SE_ERR_INVALID_ARG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_relocatable),  cmocka_unit_test(test_undefined_symbol),
        cmocka_unit_test(test_r32_overflow), cmocka_unit_test(test_executable),
        cmocka_unit_test(test_malformed),    cmocka_unit_test(test_arguments),
    };
    return cmocka_run_group_tests_name("loader", tests, NULL, NULL);
}
