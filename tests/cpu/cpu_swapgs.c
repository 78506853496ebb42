/* SPDX-License-Identifier: GPL-2.0-or-later */
/* SWAPGS (docs/model.md, SWAPGS-1..3): one row per rule and case, both vendors. */
#include "cpu_test.h"

#include <string.h>

typedef struct swapgs_row {
    const char *name;
    se_vendor vendor;
    t_mode mode;
    uint8_t cpl;
    uint64_t gs_base, kernel_gs_base;
    se_fault_kind kind;
    uint8_t vector;
} swapgs_row;

static const swapgs_row swapgs_rows[] = {
    /* SWAPGS-3: entry (user base in GS.base) and exit (kernel base in GS.base) */
    {"test_swapgs_entry_intel_loads_kernel_base", SE_VENDOR_INTEL, T_MODE_64, 0, T_USER_GS,
     T_KERNEL_GS, SE_FAULT_NONE, 0},
    {"test_swapgs_exit_intel_restores_user_base", SE_VENDOR_INTEL, T_MODE_64, 0, T_KERNEL_GS,
     T_USER_GS, SE_FAULT_NONE, 0},
    {"test_swapgs_entry_amd_loads_kernel_base", SE_VENDOR_AMD, T_MODE_64, 0, T_USER_GS, T_KERNEL_GS,
     SE_FAULT_NONE, 0},
    {"test_swapgs_zero_user_base", SE_VENDOR_INTEL, T_MODE_64, 0, 0, T_KERNEL_GS, SE_FAULT_NONE, 0},
    /* SWAPGS-2 */
    {"test_swapgs_cpl3_intel_gp", SE_VENDOR_INTEL, T_MODE_64, 3, T_USER_GS, T_KERNEL_GS,
     SE_FAULT_FAULT, SE_VEC_GP},
    {"test_swapgs_cpl3_amd_gp", SE_VENDOR_AMD, T_MODE_64, 3, T_USER_GS, T_KERNEL_GS, SE_FAULT_FAULT,
     SE_VEC_GP},
    {"test_swapgs_cpl1_gp", SE_VENDOR_INTEL, T_MODE_64, 1, T_USER_GS, T_KERNEL_GS, SE_FAULT_FAULT,
     SE_VEC_GP},
    /* SWAPGS-1 */
    {"test_swapgs_compat_mode_intel_ud", SE_VENDOR_INTEL, T_MODE_COMPAT, 0, T_USER_GS, T_KERNEL_GS,
     SE_FAULT_FAULT, SE_VEC_UD},
    {"test_swapgs_compat_mode_amd_ud", SE_VENDOR_AMD, T_MODE_COMPAT, 0, T_USER_GS, T_KERNEL_GS,
     SE_FAULT_FAULT, SE_VEC_UD},
    {"test_swapgs_legacy_mode_ud", SE_VENDOR_AMD, T_MODE_LEGACY, 0, T_USER_GS, T_KERNEL_GS,
     SE_FAULT_FAULT, SE_VEC_UD},
    /* SWAPGS-1 before SWAPGS-2 */
    {"test_swapgs_order_mode_before_cpl_ud", SE_VENDOR_INTEL, T_MODE_COMPAT, 3, T_USER_GS,
     T_KERNEL_GS, SE_FAULT_FAULT, SE_VEC_UD},
};

static void test_swapgs(void **state)
{
    const swapgs_row *r = *state;
    se_cpu_features f = t_features(r->vendor, false);
    se_cpu_state st;
    t_kernel_state(&st);
    st.cpl = r->cpl;
    t_set_mode(&st, r->mode);
    st.regs.gs_base = r->gs_base;
    st.kernel_gs_base = r->kernel_gs_base;
    se_cpu_state before;
    memcpy(&before, &st, sizeof st);
    se_fault fault;
    t_scribble_fault(&fault);

    se_fault_kind k = se_cpu_swapgs(&f, &st, &fault);

    assert_int_equal(k, r->kind);
    if (r->kind == SE_FAULT_FAULT) {
        t_expect_fault(&fault, &before, r->vector, 0);
        t_expect_state(&before, &st);
        return;
    }
    se_cpu_state want;
    memcpy(&want, &before, sizeof want);
    /* SWAPGS-3: the exchange and nothing else (selector, RIP, RFLAGS untouched) */
    want.regs.gs_base = r->kernel_gs_base;
    want.kernel_gs_base = r->gs_base;
    t_expect_state(&want, &st);
    t_expect_no_fault(&fault);
}

/* SWAPGS-6: an even number of SWAPGS per kernel stay restores the user's base */
static void test_swapgs_twice_is_identity(void **state)
{
    (void)state;
    se_cpu_features f = t_features(SE_VENDOR_INTEL, false);
    se_cpu_state st, before;
    t_kernel_state(&st);
    memcpy(&before, &st, sizeof st);
    se_fault fault;
    assert_int_equal(se_cpu_swapgs(&f, &st, &fault), SE_FAULT_NONE);
    se_assert_eq_hex("after one", st.regs.gs_base, T_KERNEL_GS);
    assert_int_equal(se_cpu_swapgs(&f, &st, &fault), SE_FAULT_NONE);
    t_expect_state(&before, &st);
}

int t_run_swapgs(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_swapgs_twice_is_identity)};
    int failed = cmocka_run_group_tests_name("cpu_swapgs_pairs", tests, NULL, NULL);
    failed += SE_TEST_RUN_ROWS("cpu_swapgs", swapgs_rows, test_swapgs);
    return failed;
}
