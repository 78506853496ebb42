/* SPDX-License-Identifier: GPL-2.0-or-later */
/* RDTSC/RDTSCP (SDM Vol. 2B): CR4.TSD makes them CPL0-only; the model's TSC does not advance,
 * so the same state always reads the same value (reproducible kernel runs). */
#include "cpu_test.h"

#include <string.h>

#define TSC_VALUE 0x123456789abcdef0ull
#define TSC_AUX   0x00000007ull

typedef struct rdtsc_row {
    const char *name;
    bool rdtscp;
    uint8_t cpl;
    bool tsd;
    se_fault_kind kind;
} rdtsc_row;

static const rdtsc_row rdtsc_rows[] = {
    {"test_rdtsc_cpl0", false, 0, false, SE_FAULT_NONE},
    {"test_rdtsc_cpl3", false, 3, false, SE_FAULT_NONE},
    {"test_rdtsc_cpl0_tsd", false, 0, true, SE_FAULT_NONE},
    {"test_rdtsc_cpl3_tsd_gp", false, 3, true, SE_FAULT_FAULT},
    {"test_rdtscp_cpl3", true, 3, false, SE_FAULT_NONE},
    {"test_rdtscp_cpl0_tsd", true, 0, true, SE_FAULT_NONE},
    {"test_rdtscp_cpl3_tsd_gp", true, 3, true, SE_FAULT_FAULT},
};

static void test_rdtsc(void **state)
{
    const rdtsc_row *r = *state;
    se_cpu_state st;
    if (r->cpl == 0)
        t_kernel_state(&st);
    else
        t_user_state(&st);
    st.cr4 = r->tsd ? st.cr4 | SE_CR4_TSD : st.cr4 & ~SE_CR4_TSD;
    st.tsc = TSC_VALUE;
    st.tsc_aux = TSC_AUX;
    se_cpu_state before;
    memcpy(&before, &st, sizeof st);
    uint64_t rax = T_GPR_MARK, rdx = T_GPR_MARK, rcx = T_GPR_MARK;
    se_fault fault;
    t_scribble_fault(&fault);

    se_fault_kind k = se_cpu_rdtsc(&st, r->rdtscp, &rax, &rdx, &rcx, &fault);

    assert_int_equal(k, r->kind);
    t_expect_state(&before, &st); /* the TSC is read, never changed */
    if (k == SE_FAULT_FAULT) {
        t_expect_fault(&fault, &before, SE_VEC_GP, 0);
        se_assert_eq_hex("rax untouched", rax, T_GPR_MARK);
        se_assert_eq_hex("rdx untouched", rdx, T_GPR_MARK);
        return;
    }
    t_expect_no_fault(&fault);
    se_assert_eq_hex("eax = TSC[31:0], upper half clear", rax, TSC_VALUE & 0xffffffffu);
    se_assert_eq_hex("edx = TSC[63:32]", rdx, TSC_VALUE >> 32);
    se_assert_eq_hex("ecx", rcx, r->rdtscp ? TSC_AUX : T_GPR_MARK);
    /* reading again gives the same value: the TSC does not advance */
    uint64_t rax2 = 0, rdx2 = 0, rcx2 = 0;
    assert_int_equal(se_cpu_rdtsc(&st, r->rdtscp, &rax2, &rdx2, &rcx2, &fault), SE_FAULT_NONE);
    se_assert_eq_hex("same eax", rax2, rax);
    se_assert_eq_hex("same edx", rdx2, rdx);
}

int t_run_rdtsc(void)
{
    return SE_TEST_RUN_ROWS("cpu_rdtsc", rdtsc_rows, test_rdtsc);
}
