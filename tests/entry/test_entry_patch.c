/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The alternative-block patcher (src/entry/patch.c) on synthetic .se_patch tables: the bytes
 * a dropped block becomes (short and near jmp, int3 fill), kept blocks, nesting, several
 * sections, every malformed-table case (SE_ERR_FORMAT, nothing written), bad arguments, and
 * the config -> feature-word mapping.
 */
#include "se_test.h"

#include <string.h>

#include "entry/layout.h"
#include "entry/patch.h"

#define SE_T_VA   0xFFFFFFFF81000000ull /* where the test "text" section lives */
#define SE_T_VA2  0xFFFFFFFF81200000ull /* a second section */
#define SE_T_LEN  512
#define SE_T_FILL 0x90 /* what the text holds before patching */
#define FEAT(n)   (1ull << (n))
#define ALL_CHECKS                                                                                 \
    (FEAT(SE_FEAT_CHECK_RCX_RIP) | FEAT(SE_FEAT_CHECK_CANONICAL) | FEAT(SE_FEAT_CHECK_CS) |        \
     FEAT(SE_FEAT_CHECK_R11_FLAGS) | FEAT(SE_FEAT_CHECK_RF_TF) | FEAT(SE_FEAT_CHECK_SS))

struct se_t_rec {
    uint64_t start;
    uint32_t len;
    uint16_t feature;
    uint8_t polarity;
    uint8_t reserved;
};

static void se_t_put(uint8_t *table, size_t index, const struct se_t_rec *r)
{
    uint8_t *p = table + index * SE_PATCH_RECORD_SIZE;
    for (int i = 0; i < 8; i++)
        p[SE_PATCH_OFF_START + i] = (uint8_t)(r->start >> (8 * i));
    for (int i = 0; i < 4; i++)
        p[SE_PATCH_OFF_LEN + i] = (uint8_t)(r->len >> (8 * i));
    p[SE_PATCH_OFF_FEATURE] = (uint8_t)r->feature;
    p[SE_PATCH_OFF_FEATURE + 1] = (uint8_t)(r->feature >> 8);
    p[SE_PATCH_OFF_POLARITY] = r->polarity;
    p[SE_PATCH_OFF_RESERVED] = r->reserved;
}

/* Build a table from up to 4 records, patch a fresh text section, return the status. */
static se_status se_t_patch(const struct se_t_rec *recs, size_t n, uint64_t features,
                            uint8_t text[SE_T_LEN], char *err, size_t errlen)
{
    uint8_t table[4 * SE_PATCH_RECORD_SIZE];
    assert_true(n <= 4);
    for (size_t i = 0; i < n; i++)
        se_t_put(table, i, &recs[i]);
    memset(text, SE_T_FILL, SE_T_LEN);
    return se_entry_patch(text, SE_T_VA, SE_T_LEN, table, n * SE_PATCH_RECORD_SIZE, features, err,
                          errlen);
}

static void se_t_assert_untouched(const uint8_t *text, size_t from, size_t to)
{
    for (size_t i = from; i < to; i++) {
        if (text[i] != SE_T_FILL)
            print_error("byte +0x%zx changed to 0x%02x\n", i, text[i]);
        assert_int_equal(text[i], SE_T_FILL);
    }
}

/* Assert that [off, off+len) is a jmp to off+len padded with int3. */
static void se_t_assert_jmp_over(const uint8_t *text, size_t off, uint32_t len)
{
    size_t jlen;
    uint64_t target;
    if (text[off] == 0xEB) {
        jlen = 2;
        target = off + 2 + (uint64_t)(int64_t)(int8_t)text[off + 1];
    } else {
        assert_int_equal(text[off], 0xE9);
        jlen = 5;
        int32_t rel = (int32_t)((uint32_t)text[off + 1] | (uint32_t)text[off + 2] << 8 |
                                (uint32_t)text[off + 3] << 16 | (uint32_t)text[off + 4] << 24);
        target = off + 5 + (uint64_t)(int64_t)rel;
    }
    assert_int_equal(target, off + len);
    for (size_t i = off + jlen; i < off + len; i++)
        assert_int_equal(text[i], 0xCC);
}

/* ---- malformed tables and bad arguments: nothing may be written ------------------------- */
struct patch_error_row {
    const char *name;
    struct se_t_rec recs[3];
    size_t n;
    uint64_t features;
    se_status want;
};

static const struct patch_error_row patch_error_rows[] = {
    {"feature_zero_format", {{SE_T_VA, 8, 0, 1, 0}}, 1, 0, SE_ERR_FORMAT},
    {"feature_past_count_format", {{SE_T_VA, 8, SE_FEAT_COUNT, 1, 0}}, 1, 0, SE_ERR_FORMAT},
    {"polarity_two_format", {{SE_T_VA, 8, SE_FEAT_PTI, 2, 0}}, 1, 0, SE_ERR_FORMAT},
    {"reserved_nonzero_format", {{SE_T_VA, 8, SE_FEAT_PTI, 1, 7}}, 1, 0, SE_ERR_FORMAT},
    {"block_one_byte_format", {{SE_T_VA, 1, SE_FEAT_PTI, 1, 0}}, 1, 0, SE_ERR_FORMAT},
    {"block_empty_format", {{SE_T_VA, 0, SE_FEAT_PTI, 1, 0}}, 1, 0, SE_ERR_FORMAT},
    /* refused even when the short block would have been kept */
    {"kept_block_one_byte_format",
     {{SE_T_VA, 1, SE_FEAT_PTI, 1, 0}},
     1,
     FEAT(SE_FEAT_PTI),
     SE_ERR_FORMAT},
    {"start_below_section_format", {{SE_T_VA - 4, 8, SE_FEAT_PTI, 1, 0}}, 1, 0, SE_ERR_FORMAT},
    {"end_past_section_format",
     {{SE_T_VA + SE_T_LEN - 4, 8, SE_FEAT_PTI, 1, 0}},
     1,
     0,
     SE_ERR_FORMAT},
    {"start_past_section_format",
     {{SE_T_VA + SE_T_LEN, 2, SE_FEAT_PTI, 1, 0}},
     1,
     0,
     SE_ERR_FORMAT},
    {"wraps_address_space_format", {{UINT64_MAX - 3, 8, SE_FEAT_PTI, 1, 0}}, 1, 0, SE_ERR_FORMAT},
    {"unrelocated_zero_start_format", {{0, 8, SE_FEAT_PTI, 1, 0}}, 1, 0, SE_ERR_FORMAT},
    {"partial_overlap_format",
     {{SE_T_VA + 0x10, 16, SE_FEAT_PTI, 1, 0}, {SE_T_VA + 0x18, 16, SE_FEAT_IBRS, 1, 0}},
     2,
     0,
     SE_ERR_FORMAT},
    {"good_then_bad_writes_nothing",
     {{SE_T_VA + 0x10, 16, SE_FEAT_PTI, 1, 0}, {SE_T_VA + 0x40, 8, 0, 1, 0}},
     2,
     0,
     SE_ERR_FORMAT},
    {"unknown_feature_bit_invalid",
     {{SE_T_VA, 8, SE_FEAT_PTI, 1, 0}},
     1,
     FEAT(SE_FEAT_COUNT),
     SE_ERR_INVALID_ARG},
    {"feature_bit0_invalid", {{SE_T_VA, 8, SE_FEAT_PTI, 1, 0}}, 1, 1, SE_ERR_INVALID_ARG},
};

static void test_patch_error_row(void **state)
{
    const struct patch_error_row *row = *state;
    uint8_t text[SE_T_LEN];
    char err[128] = "";
    se_status st = se_t_patch(row->recs, row->n, row->features, text, err, sizeof err);
    assert_int_equal(st, row->want);
    assert_true(err[0] != '\0'); /* every refusal says why */
    se_t_assert_untouched(text, 0, SE_T_LEN);
}

/* ---- what dropped and kept blocks become ----------------------------------------------- */
struct patch_bytes_row {
    const char *name;
    struct se_t_rec recs[3];
    size_t n;
    uint64_t features;
    /* expected jmp-over ranges (offsets from SE_T_VA); everything else stays untouched */
    struct {
        size_t off;
        uint32_t len;
    } jmps[3];
    size_t n_jmps;
    uint8_t first_byte; /* 0xEB / 0xE9 for jmps[0], 0 when there is none */
};

#define R(off, len, feat, pol)                                                                     \
    {                                                                                              \
        SE_T_VA + (off), (len), (feat), (pol), 0                                                   \
    }
#define IF    SE_PATCH_KEEP_IF_ON
#define IFNOT SE_PATCH_KEEP_IF_OFF

static const struct patch_bytes_row patch_bytes_rows[] = {
    {"if_feature_on_kept", {R(0x10, 8, SE_FEAT_PTI, IF)}, 1, FEAT(SE_FEAT_PTI), {{0, 0}}, 0, 0},
    {"if_feature_off_dropped", {R(0x10, 8, SE_FEAT_PTI, IF)}, 1, 0, {{0x10, 8}}, 1, 0xEB},
    {"ifnot_feature_on_dropped",
     {R(0x10, 8, SE_FEAT_LA57, IFNOT)},
     1,
     FEAT(SE_FEAT_LA57),
     {{0x10, 8}},
     1,
     0xEB},
    {"ifnot_feature_off_kept", {R(0x10, 8, SE_FEAT_LA57, IFNOT)}, 1, 0, {{0, 0}}, 0, 0},
    {"two_bytes_jmp_rel8_zero", {R(0x20, 2, SE_FEAT_VERW, IF)}, 1, 0, {{0x20, 2}}, 1, 0xEB},
    {"129_bytes_last_rel8", {R(0x20, 129, SE_FEAT_VERW, IF)}, 1, 0, {{0x20, 129}}, 1, 0xEB},
    {"130_bytes_first_rel32", {R(0x20, 130, SE_FEAT_VERW, IF)}, 1, 0, {{0x20, 130}}, 1, 0xE9},
    {"300_bytes_rel32", {R(0x20, 300, SE_FEAT_VERW, IF)}, 1, 0, {{0x20, 300}}, 1, 0xE9},
    {"whole_section", {R(0, SE_T_LEN, SE_FEAT_VERW, IF)}, 1, 0, {{0, SE_T_LEN}}, 1, 0xE9},
    {"block_at_section_end",
     {R(SE_T_LEN - 3, 3, SE_FEAT_VERW, IF)},
     1,
     0,
     {{SE_T_LEN - 3, 3}},
     1,
     0xEB},
    /* the 6.6/6.7 shape: outer and inner block share a start address; when both are
     * dropped the outer jmp must win whatever the record order */
    {"nested_same_start_outer_first",
     {R(0x40, 64, SE_FEAT_KERNEL_6_7, IFNOT), R(0x40, 5, SE_FEAT_XENPV, IF)},
     2,
     FEAT(SE_FEAT_KERNEL_6_7),
     {{0x40, 64}},
     1,
     0xEB},
    {"nested_same_start_inner_first",
     {R(0x40, 5, SE_FEAT_XENPV, IF), R(0x40, 64, SE_FEAT_KERNEL_6_7, IFNOT)},
     2,
     FEAT(SE_FEAT_KERNEL_6_7),
     {{0x40, 64}},
     1,
     0xEB},
    {"nested_inner_dropped_outer_kept",
     {R(0x40, 64, SE_FEAT_PTI, IF), R(0x48, 5, SE_FEAT_PCID, IF)},
     2,
     FEAT(SE_FEAT_PTI),
     {{0x48, 5}},
     1,
     0xEB},
    {"nested_inner_kept_outer_dropped",
     {R(0x40, 64, SE_FEAT_PTI, IF), R(0x48, 5, SE_FEAT_PCID, IF)},
     2,
     FEAT(SE_FEAT_PCID),
     {{0x40, 64}},
     1,
     0xEB},
    {"nested_both_kept",
     {R(0x40, 64, SE_FEAT_PTI, IF), R(0x48, 5, SE_FEAT_PCID, IF)},
     2,
     FEAT(SE_FEAT_PTI) | FEAT(SE_FEAT_PCID),
     {{0, 0}},
     0,
     0},
    {"same_range_both_dropped",
     {R(0x40, 9, SE_FEAT_PTI, IF), R(0x40, 9, SE_FEAT_IBRS, IF)},
     2,
     0,
     {{0x40, 9}},
     1,
     0xEB},
    {"adjacent_blocks", /* like C1..C6: each dropped check jumps to the next one's start */
     {R(0x60, 22, SE_FEAT_CHECK_RCX_RIP, IF), R(0x76, 15, SE_FEAT_CHECK_CS, IF),
      R(0x85, 19, SE_FEAT_CHECK_SS, IF)},
     3,
     FEAT(SE_FEAT_CHECK_CS),
     {{0x60, 22}, {0x85, 19}},
     2,
     0xEB},
    {"la57_variants_4level",
     {R(0x80, 8, SE_FEAT_LA57, IFNOT), R(0x88, 8, SE_FEAT_LA57, IF)},
     2,
     0,
     {{0x88, 8}},
     1,
     0xEB},
    {"la57_variants_5level",
     {R(0x80, 8, SE_FEAT_LA57, IFNOT), R(0x88, 8, SE_FEAT_LA57, IF)},
     2,
     FEAT(SE_FEAT_LA57),
     {{0x80, 8}},
     1,
     0xEB},
};

static void test_patch_bytes_row(void **state)
{
    const struct patch_bytes_row *row = *state;
    uint8_t text[SE_T_LEN];
    char err[128];
    assert_int_equal(se_t_patch(row->recs, row->n, row->features, text, err, sizeof err), SE_OK);
    assert_string_equal(err, "");
    size_t pos = 0;
    for (size_t j = 0; j < row->n_jmps; j++) {
        se_t_assert_untouched(text, pos, row->jmps[j].off);
        se_t_assert_jmp_over(text, row->jmps[j].off, row->jmps[j].len);
        pos = row->jmps[j].off + row->jmps[j].len;
    }
    se_t_assert_untouched(text, pos, SE_T_LEN);
    if (row->n_jmps > 0)
        assert_int_equal(text[row->jmps[0].off], row->first_byte);
}

/* ---- API edges ------------------------------------------------------------------------ */
static void test_patch_empty_table_ok(void **state)
{
    (void)state;
    uint8_t text[SE_T_LEN];
    assert_int_equal(se_t_patch(NULL, 0, 0, text, NULL, 0), SE_OK);
    se_t_assert_untouched(text, 0, SE_T_LEN);
    uint8_t dummy = 0;
    assert_int_equal(se_entry_patch(text, SE_T_VA, SE_T_LEN, &dummy, 0, 0, NULL, 0), SE_OK);
}

static void test_patch_bad_args(void **state)
{
    (void)state;
    uint8_t text[SE_T_LEN];
    uint8_t table[SE_PATCH_RECORD_SIZE];
    memset(table, 0, sizeof table);
    char err[96];
    assert_int_equal(
        se_entry_patch(NULL, SE_T_VA, SE_T_LEN, table, sizeof table, 0, err, sizeof err),
        SE_ERR_INVALID_ARG);
    assert_int_equal(se_entry_patch(text, SE_T_VA, SE_T_LEN, NULL, 16, 0, err, sizeof err),
                     SE_ERR_INVALID_ARG);
    assert_int_equal(se_entry_patch_sections(NULL, 1, table, sizeof table, 0, err, sizeof err),
                     SE_ERR_INVALID_ARG);
    /* a table that is not a whole number of records */
    assert_int_equal(se_entry_patch(text, SE_T_VA, SE_T_LEN, table, 15, 0, err, sizeof err),
                     SE_ERR_FORMAT);
    /* err may be NULL, and a 1-byte buffer gets a terminated (empty) message */
    assert_int_equal(se_entry_patch(text, SE_T_VA, SE_T_LEN, table, 15, 0, NULL, 0), SE_ERR_FORMAT);
    assert_int_equal(se_entry_patch(text, SE_T_VA, SE_T_LEN, table, 15, 0, err, 1), SE_ERR_FORMAT);
    assert_int_equal(err[0], '\0');
}

static void test_patch_sections(void **state)
{
    (void)state;
    uint8_t a[64], b[64], table[2 * SE_PATCH_RECORD_SIZE];
    memset(a, SE_T_FILL, sizeof a);
    memset(b, SE_T_FILL, sizeof b);
    se_entry_section secs[2] = {{SE_T_VA, a, sizeof a}, {SE_T_VA2, b, sizeof b}};
    const struct se_t_rec r0 = R(4, 6, SE_FEAT_PTI, IF);
    const struct se_t_rec r1 = {SE_T_VA2 + 8, 12, SE_FEAT_IBRS, IF, 0};
    se_t_put(table, 0, &r0);
    se_t_put(table, 1, &r1);
    char err[96];
    assert_int_equal(
        se_entry_patch_sections(secs, 2, table, sizeof table, FEAT(SE_FEAT_PTI), err, sizeof err),
        SE_OK);
    for (size_t i = 0; i < sizeof a; i++)
        assert_int_equal(a[i], SE_T_FILL); /* PTI on: kept */
    assert_int_equal(b[8], 0xEB);
    assert_int_equal(b[9], 10);
    assert_int_equal(b[10], 0xCC);
    assert_int_equal(b[19], 0xCC);
    assert_int_equal(b[20], SE_T_FILL);
    assert_int_equal(b[7], SE_T_FILL);

    /* the same table against only the first section: record 1 points nowhere */
    memset(b, SE_T_FILL, sizeof b);
    assert_int_equal(se_entry_patch_sections(secs, 1, table, sizeof table, 0, err, sizeof err),
                     SE_ERR_FORMAT);
    for (size_t i = 0; i < sizeof a; i++)
        assert_int_equal(a[i], SE_T_FILL); /* validation first: nothing written */

    /* a block may not straddle two sections, even adjacent ones */
    se_entry_section adj[2] = {{SE_T_VA, a, sizeof a}, {SE_T_VA + sizeof a, b, sizeof b}};
    const struct se_t_rec straddle = R(sizeof a - 2, 4, SE_FEAT_PTI, IF);
    se_t_put(table, 0, &straddle);
    assert_int_equal(
        se_entry_patch_sections(adj, 2, table, SE_PATCH_RECORD_SIZE, 0, err, sizeof err),
        SE_ERR_FORMAT);

    /* overlapping sections are an argument error */
    se_entry_section overlap[2] = {{SE_T_VA, a, sizeof a}, {SE_T_VA + 8, b, sizeof b}};
    assert_int_equal(se_entry_patch_sections(overlap, 2, table, 0, 0, err, sizeof err),
                     SE_ERR_INVALID_ARG);
    /* a section without bytes */
    se_entry_section nobytes = {SE_T_VA, NULL, 16};
    assert_int_equal(se_entry_patch_sections(&nobytes, 1, table, 0, 0, err, sizeof err),
                     SE_ERR_INVALID_ARG);
}

static void test_patch_record_read(void **state)
{
    (void)state;
    uint8_t table[2 * SE_PATCH_RECORD_SIZE];
    const struct se_t_rec r = {0x1122334455667788ull, 0xA0B0C0D0u, 0x0102, 1, 0};
    se_t_put(table, 1, &r);
    se_patch_record out;
    assert_int_equal(se_patch_record_read(table, sizeof table, 1, &out), SE_OK);
    assert_int_equal(out.start, 0x1122334455667788ull);
    assert_int_equal(out.len, 0xA0B0C0D0u);
    assert_int_equal(out.feature, 0x0102);
    assert_int_equal(out.polarity, 1);
    assert_int_equal(out.reserved, 0);
    assert_int_equal(se_patch_record_read(table, sizeof table, 2, &out), SE_ERR_FORMAT);
    assert_int_equal(se_patch_record_read(table, sizeof table - 1, 0, &out), SE_ERR_FORMAT);
    assert_int_equal(se_patch_record_read(NULL, sizeof table, 0, &out), SE_ERR_INVALID_ARG);
    assert_int_equal(se_patch_record_read(table, sizeof table, 0, NULL), SE_ERR_INVALID_ARG);
    out.feature = SE_FEAT_PTI;
    out.polarity = SE_PATCH_KEEP_IF_ON;
    assert_true(se_patch_record_kept(&out, FEAT(SE_FEAT_PTI)));
    assert_false(se_patch_record_kept(&out, 0));
    out.polarity = SE_PATCH_KEEP_IF_OFF;
    assert_false(se_patch_record_kept(&out, FEAT(SE_FEAT_PTI)));
    assert_true(se_patch_record_kept(&out, 0));
}

/* ---- config -> features ---------------------------------------------------------------- */
struct features_row {
    const char *name;
    bool pti, pcid, la57, ibrs, verw, xen_pv;
    se_kernel_profile kernel;
    uint32_t disabled;
    uint64_t want;
};

static const struct features_row features_rows[] = {
    {"nothing", false, false, false, false, false, false, SE_KERNEL_6_6, 0, ALL_CHECKS},
    {"linux_default_pti_pcid", true, true, false, false, false, false, SE_KERNEL_6_6, 0,
     FEAT(SE_FEAT_PTI) | FEAT(SE_FEAT_PCID) | ALL_CHECKS},
    {"pcid_without_pti_ignored", false, true, false, false, false, false, SE_KERNEL_6_6, 0,
     ALL_CHECKS},
    {"everything", true, true, true, true, true, true, SE_KERNEL_6_7, 0,
     FEAT(SE_FEAT_PTI) | FEAT(SE_FEAT_PCID) | FEAT(SE_FEAT_LA57) | FEAT(SE_FEAT_IBRS) |
         FEAT(SE_FEAT_VERW) | FEAT(SE_FEAT_XENPV) | FEAT(SE_FEAT_KERNEL_6_7) | ALL_CHECKS},
    {"xen_pv_with_c0_disabled", false, false, false, false, false, true, SE_KERNEL_6_6,
     SE_CHECK_BIT(SE_CHECK_XEN_PV), ALL_CHECKS},
    {"all_checks_disabled", false, false, false, false, false, false, SE_KERNEL_6_6,
     SE_CHECK_ALL_BITS, 0},
    {"c2_disabled", false, false, false, false, false, false, SE_KERNEL_6_6,
     SE_CHECK_BIT(SE_CHECK_CANONICAL), ALL_CHECKS & ~FEAT(SE_FEAT_CHECK_CANONICAL)},
    {"c1_c6_disabled", false, false, false, false, false, false, SE_KERNEL_6_6,
     SE_CHECK_BIT(SE_CHECK_RCX_RIP) | SE_CHECK_BIT(SE_CHECK_SS),
     ALL_CHECKS & ~FEAT(SE_FEAT_CHECK_RCX_RIP) & ~FEAT(SE_FEAT_CHECK_SS)},
    {"c5_disabled_6_7", false, false, false, false, false, false, SE_KERNEL_6_7,
     SE_CHECK_BIT(SE_CHECK_RF_TF),
     FEAT(SE_FEAT_KERNEL_6_7) | (ALL_CHECKS & ~FEAT(SE_FEAT_CHECK_RF_TF))},
};

static void test_features_row(void **state)
{
    const struct features_row *row = *state;
    se_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.pti = row->pti;
    cfg.pcid = row->pcid;
    cfg.la57 = row->la57;
    cfg.ibrs = row->ibrs;
    cfg.verw = row->verw;
    cfg.xen_pv = row->xen_pv;
    cfg.kernel = row->kernel;
    cfg.disabled_checks = row->disabled;
    se_assert_eq_hex(row->name, se_entry_features(&cfg), row->want);
}

static void test_features_null_and_feature_for_check(void **state)
{
    (void)state;
    assert_int_equal(se_entry_features(NULL), 0);
    assert_int_equal(SE_FEAT_FOR_CHECK(SE_CHECK_RCX_RIP), SE_FEAT_CHECK_RCX_RIP);
    assert_int_equal(SE_FEAT_FOR_CHECK(SE_CHECK_CANONICAL), SE_FEAT_CHECK_CANONICAL);
    assert_int_equal(SE_FEAT_FOR_CHECK(SE_CHECK_CS), SE_FEAT_CHECK_CS);
    assert_int_equal(SE_FEAT_FOR_CHECK(SE_CHECK_R11_FLAGS), SE_FEAT_CHECK_R11_FLAGS);
    assert_int_equal(SE_FEAT_FOR_CHECK(SE_CHECK_RF_TF), SE_FEAT_CHECK_RF_TF);
    assert_int_equal(SE_FEAT_FOR_CHECK(SE_CHECK_SS), SE_FEAT_CHECK_SS);
    assert_int_equal(SE_FEAT_FOR_CHECK(SE_CHECK_NONE), 0);
    assert_int_equal(SE_FEAT_FOR_CHECK(SE_CHECK_XEN_PV), 0);
}

int main(void)
{
    int failed = 0;
    failed += SE_TEST_RUN_ROWS("patch_errors", patch_error_rows, test_patch_error_row);
    failed += SE_TEST_RUN_ROWS("patch_bytes", patch_bytes_rows, test_patch_bytes_row);
    failed += SE_TEST_RUN_ROWS("entry_features", features_rows, test_features_row);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_patch_empty_table_ok),
        cmocka_unit_test(test_patch_bad_args),
        cmocka_unit_test(test_patch_sections),
        cmocka_unit_test(test_patch_record_read),
        cmocka_unit_test(test_features_null_and_feature_for_check),
    };
    failed += cmocka_run_group_tests_name("patch_api", tests, NULL, NULL);
    return failed;
}
