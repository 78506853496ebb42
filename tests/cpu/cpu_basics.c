/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Canonical addresses (CANON-1..5), the widths each check uses (CANON-3), 64-bit mode, the
 * vendor table and descriptor decoding.
 */
#include "cpu_test.h"

#include <string.h>

/* ---- se_is_canonical: fixed edge values (CANON-1, CANON-4) -------------------------------- */

typedef struct canon_row {
    const char *name;
    uint64_t addr;
    unsigned width;
    bool canonical;
} canon_row;

static const canon_row canon_rows[] = {
    /* CANON-4, 48 bits */
    {"test_canonical_zero_w48", 0, 48, true},
    {"test_canonical_top_user_w48", 0x00007fffffffffffull, 48, true},
    {"test_canonical_first_above_user_w48_not", 0x0000800000000000ull, 48, false},
    {"test_canonical_just_below_kernel_w48_not", 0xffff7fffffffffffull, 48, false},
    {"test_canonical_lowest_kernel_w48", 0xffff800000000000ull, 48, true},
    {"test_canonical_all_ones_w48", 0xffffffffffffffffull, 48, true},
    {"test_canonical_top_user_w57_under_w48_not", 0x00ffffffffffffffull, 48, false},
    {"test_canonical_lowest_kernel_w57_under_w48_not", 0xff00000000000000ull, 48, false},
    /* CANON-4, 57 bits */
    {"test_canonical_zero_w57", 0, 57, true},
    {"test_canonical_top_user_w48_under_w57", 0x00007fffffffffffull, 57, true},
    {"test_canonical_bit47_under_w57", 0x0000800000000000ull, 57, true},
    {"test_canonical_lowest_kernel_w48_under_w57", 0xffff800000000000ull, 57, true},
    {"test_canonical_just_below_kernel_w48_under_w57", 0xffff7fffffffffffull, 57, true},
    {"test_canonical_top_user_w57", 0x00ffffffffffffffull, 57, true},
    {"test_canonical_first_above_user_w57_not", 0x0100000000000000ull, 57, false},
    {"test_canonical_just_below_kernel_w57_not", 0xfeffffffffffffffull, 57, false},
    {"test_canonical_lowest_kernel_w57", 0xff00000000000000ull, 57, true},
    {"test_canonical_all_ones_w57", 0xffffffffffffffffull, 57, true},
    /* widths other than 48 and 57 are never canonical, not even for 0 */
    {"test_canonical_width_0_false", 0, 0, false},
    {"test_canonical_width_32_false", 0, 32, false},
    {"test_canonical_width_47_false", 0, 47, false},
    {"test_canonical_width_49_false", 0, 49, false},
    {"test_canonical_width_56_false", 0, 56, false},
    {"test_canonical_width_58_false", 0, 58, false},
    {"test_canonical_width_64_false", 0, 64, false},
    {"test_canonical_width_huge_false", 0, 4096, false},
/* CANON-5: 1 << i, i = 47..63; at 48 bits none is canonical, at 57 bits up to i = 55 */
#define T_POW(i, sfx, ok57)                                                                        \
    {"test_canonical_1shl" #i "_w48_not", 1ull << (i), 48, false},                                 \
    {                                                                                              \
        "test_canonical_1shl" #i "_w57" sfx, 1ull << (i), 57, ok57                                 \
    }
    T_POW(47, "", true),
    T_POW(48, "", true),
    T_POW(49, "", true),
    T_POW(50, "", true),
    T_POW(51, "", true),
    T_POW(52, "", true),
    T_POW(53, "", true),
    T_POW(54, "", true),
    T_POW(55, "", true),
    T_POW(56, "_not", false),
    T_POW(57, "_not", false),
    T_POW(58, "_not", false),
    T_POW(59, "_not", false),
    T_POW(60, "_not", false),
    T_POW(61, "_not", false),
    T_POW(62, "_not", false),
    T_POW(63, "_not", false),
#undef T_POW
};

static void test_canonical(void **state)
{
    const canon_row *r = *state;
    assert_int_equal(se_is_canonical(r->addr, r->width), r->canonical);
}

/* ---- widths and modes (CANON-3, docs/model.md) ------------------------------------ */

typedef struct mode_row {
    const char *name;
    bool cr4_la57, cpu_la57;
    bool lma, cs_l;
    unsigned want_va_width, want_msr_width;
    bool want_64bit;
} mode_row;

static const mode_row mode_rows[] = {
    {"test_width_4level_cpu_without_la57", false, false, true, true, 48, 48, true},
    /* CANON-3: WRMSR uses what the CPU supports, RIP loads what paging uses */
    {"test_width_4level_paging_on_la57_cpu", false, true, true, true, 48, 57, true},
    {"test_width_5level_paging", true, true, true, true, 57, 57, true},
    {"test_mode_compat_is_not_64bit", false, false, true, false, 48, 48, false},
    {"test_mode_legacy_is_not_64bit", false, false, false, false, 48, 48, false},
    {"test_mode_l_without_lma_is_not_64bit", false, false, false, true, 48, 48, false},
};

static void test_mode(void **state)
{
    const mode_row *r = *state;
    se_cpu_state st;
    t_kernel_state(&st);
    st.cr4 = r->cr4_la57 ? st.cr4 | SE_CR4_LA57 : st.cr4 & ~SE_CR4_LA57;
    st.efer = r->lma ? st.efer | SE_EFER_LMA : st.efer & ~SE_EFER_LMA;
    st.cs_cache.ar = r->cs_l ? SE_SEG_AR_KERNEL_CS : SE_SEG_AR_KERNEL_CS32;
    se_cpu_features f = t_features(SE_VENDOR_INTEL, r->cpu_la57);
    assert_int_equal(se_cpu_va_width(&st), r->want_va_width);
    assert_int_equal(se_cpu_msr_va_width(&f), r->want_msr_width);
    assert_int_equal(se_cpu_in_64bit_mode(&st), r->want_64bit);
}

/* ---- the vendor table (docs/model.md) -------------------------------------- */

typedef struct vendor_row {
    const char *name;
    se_vendor vendor;
    se_vendor_traits want; /* name compared with se_vendor_name() instead */
} vendor_row;

static const vendor_row vendor_rows[] = {
    {"test_vendor_intel_traits",
     SE_VENDOR_INTEL,
     {.sysret_canonical_gp = true, /* SYSRET-3 */
      .sysret_ss_rpl3 = true,      /* SYSRET-7 */
      .sysret_ss_reload = true,    /* SYSRET-7 */
      .syscall_needs_64bit = true, /* SYSCALL-2, SYSRET-1 */
      .efer_amd_bits = false}},    /* MSR-7 */
    {"test_vendor_amd_traits",
     SE_VENDOR_AMD,
     {.sysret_canonical_gp = false, /* SYSRET-3A */
      .sysret_ss_rpl3 = false,      /* SYSRET-7A */
      .sysret_ss_reload = false,    /* SYSRET-7A */
      .syscall_needs_64bit = false, /* SYSCALL-2 (AMD) */
      .efer_amd_bits = true}},      /* MSR-7 */
};

static void test_vendor(void **state)
{
    const vendor_row *r = *state;
    const se_vendor_traits *v = se_vendor_traits_get(r->vendor);
    assert_non_null(v);
    assert_string_equal(v->name, se_vendor_name(r->vendor));
    assert_int_equal(v->sysret_canonical_gp, r->want.sysret_canonical_gp);
    assert_int_equal(v->sysret_ss_rpl3, r->want.sysret_ss_rpl3);
    assert_int_equal(v->sysret_ss_reload, r->want.sysret_ss_reload);
    assert_int_equal(v->syscall_needs_64bit, r->want.syscall_needs_64bit);
    assert_int_equal(v->efer_amd_bits, r->want.efer_amd_bits);
}

static void test_vendor_out_of_range_null(void **state)
{
    (void)state;
    assert_null(se_vendor_traits_get((se_vendor)(SE_VENDOR_MAX_VALUE + 1)));
    assert_null(se_vendor_traits_get((se_vendor)-1));
}

/* ---- descriptors ------------------------------------------------------------------------ */

typedef struct desc_row {
    const char *name;
    uint64_t desc;
    se_seg_cache want;
} desc_row;

static const desc_row desc_rows[] = {
    /* Linux 6.6 GDT_ENTRY_INIT values as the kernel stores them (golden encodings) */
    {"test_desc_linux_kernel_cs", 0x00af9b000000ffffull, T_FLAT(SE_SEG_AR_KERNEL_CS)},
    {"test_desc_linux_kernel_ds", 0x00cf93000000ffffull, T_FLAT(SE_SEG_AR_KERNEL_SS)},
    {"test_desc_linux_user_cs", 0x00affb000000ffffull, T_FLAT(SE_SEG_AR_USER_CS)},
    {"test_desc_linux_user_ds", 0x00cff3000000ffffull, T_FLAT(SE_SEG_AR_USER_SS)},
    {"test_desc_linux_user32_cs", 0x00cffb000000ffffull, T_FLAT(SE_SEG_AR_USER_CS32)},
    {"test_desc_linux_kernel32_cs", 0x00cf9b000000ffffull, T_FLAT(SE_SEG_AR_KERNEL_CS32)},
    /* base split over bits 39:16 and 63:56; limit over 15:0 and 51:48 */
    {"test_desc_base_and_byte_limit",
     T_DESC(0x12345678u, 0xABCDEu, SE_SEG_AR_KERNEL_SS & ~SE_SEG_AR_G),
     {.base = 0x12345678u, .limit = 0xABCDEu, .ar = SE_SEG_AR_KERNEL_SS & ~SE_SEG_AR_G}},
    {"test_desc_page_granular_limit",
     T_DESC(0x00100000u, 0xABCDEu, SE_SEG_AR_KERNEL_SS),
     {.base = 0x00100000u, .limit = 0xABCDEFFFu, .ar = SE_SEG_AR_KERNEL_SS}},
    {"test_desc_avl_kept", T_DESC(0, 0xFFFFFu, SE_SEG_AR_USER_SS | SE_SEG_AR_AVL),
     T_FLAT(SE_SEG_AR_USER_SS | SE_SEG_AR_AVL)},
    {"test_desc_not_present_dpl2",
     T_DESC(0, 0xFFFFFu,
            (SE_SEG_AR_USER_SS & ~(SE_SEG_AR_P | SE_SEG_AR_DPL_MASK)) |
                (2u << SE_SEG_AR_DPL_SHIFT)),
     T_FLAT((SE_SEG_AR_USER_SS & ~(SE_SEG_AR_P | SE_SEG_AR_DPL_MASK)) |
            (2u << SE_SEG_AR_DPL_SHIFT))},
    {"test_desc_zero_is_byte_limit_zero", 0, {.base = 0, .limit = 0, .ar = 0}},
};

static void test_desc(void **state)
{
    const desc_row *r = *state;
    se_seg_cache got;
    memset(&got, 0x5A, sizeof got);
    se_seg_from_descriptor(r->desc, &got);
    se_assert_eq_hex("base", got.base, r->want.base);
    se_assert_eq_hex("limit", got.limit, r->want.limit);
    se_assert_eq_hex("ar", got.ar, r->want.ar);
}

static void test_desc_packer_matches_linux(void **state)
{
    (void)state;
    /* the test packer is the decoder's inverse; tie it to a literal so both cannot be wrong
     * the same way */
    se_assert_eq_hex("packed __KERNEL_CS", T_DESC(0, 0xFFFFFu, SE_SEG_AR_KERNEL_CS),
                     0x00af9b000000ffffull);
    se_assert_eq_hex("packed __USER_DS", T_DESC(0, 0xFFFFFu, SE_SEG_AR_USER_SS),
                     0x00cff3000000ffffull);
}

/* ---- fault records ------------------------------------------------------------------------ */

static void test_make_fault_names_instruction_and_cpl(void **state)
{
    (void)state;
    se_cpu_state st;
    t_user_state(&st);
    se_fault f;
    t_scribble_fault(&f);
    se_cpu_make_fault(&st, SE_VEC_GP, SE_USER_CS & SE_SEL_NO_RPL_MASK, true, &f);
    t_expect_fault(&f, &st, SE_VEC_GP, SE_USER_CS & SE_SEL_NO_RPL_MASK);
    t_kernel_state(&st);
    se_cpu_make_fault(&st, SE_VEC_UD, 0, false, &f);
    t_expect_fault(&f, &st, SE_VEC_UD, 0);
}

int t_run_basics(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vendor_out_of_range_null),
        cmocka_unit_test(test_desc_packer_matches_linux),
        cmocka_unit_test(test_make_fault_names_instruction_and_cpl),
    };
    int failed = cmocka_run_group_tests_name("cpu_basics", tests, NULL, NULL);
    failed += SE_TEST_RUN_ROWS("cpu_canonical", canon_rows, test_canonical);
    failed += SE_TEST_RUN_ROWS("cpu_mode", mode_rows, test_mode);
    failed += SE_TEST_RUN_ROWS("cpu_vendor", vendor_rows, test_vendor);
    failed += SE_TEST_RUN_ROWS("cpu_descriptor", desc_rows, test_desc);
    return failed;
}
