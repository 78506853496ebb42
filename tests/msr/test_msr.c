/* RDMSR/WRMSR on the syscall path's MSRs (MSR-1..8): one named row per case. */
#include "se_test.h"

#include <string.h>

#include "cpu/model.h"

typedef struct msr_row {
    const char *name;
    se_vendor vendor;
    bool la57_cpu, nx, paging;
    uint8_t cpl;
    uint32_t msr;
    uint64_t value;
    bool faults;
    uint64_t read_back; /* expected RDMSR after a successful write */
} msr_row;

#define EFER0 (SE_EFER_SCE | SE_EFER_LME | SE_EFER_LMA | SE_EFER_NXE)
#define I     SE_VENDOR_INTEL
#define A     SE_VENDOR_AMD
static const msr_row msr_rows[] = {
    {"star_any_value", I, 0, 1, 1, 0, SE_MSR_IA32_STAR, 0x0010001000000000ull, false,
     0x0010001000000000ull},
    {"lstar_kernel_address", I, 0, 1, 1, 0, SE_MSR_IA32_LSTAR, 0xffffffff81000000ull, false,
     0xffffffff81000000ull},
    {"lstar_noncanonical_gp", I, 0, 1, 1, 0, SE_MSR_IA32_LSTAR, 0x0000800000000000ull, true, 0},
    {"lstar_1_47_ok_on_la57_cpu", I, 1, 1, 1, 0, SE_MSR_IA32_LSTAR, 0x0000800000000000ull, false,
     0x0000800000000000ull},
    {"lstar_1_56_gp_on_la57_cpu", I, 1, 1, 1, 0, SE_MSR_IA32_LSTAR, 1ull << 56, true, 0},
    {"cstar_noncanonical_gp", A, 0, 1, 1, 0, SE_MSR_IA32_CSTAR, 0x8000000000000000ull, true, 0},
    {"fs_base_ok", I, 0, 1, 1, 0, SE_MSR_IA32_FS_BASE, 0x7f0000000000ull, false, 0x7f0000000000ull},
    {"gs_base_noncanonical_gp", I, 0, 1, 1, 0, SE_MSR_IA32_GS_BASE, 0x0001000000000000ull, true, 0},
    {"kernel_gs_base_ok", I, 0, 1, 1, 0, SE_MSR_IA32_KERNEL_GS_BASE, 0xffff88807fc00000ull, false,
     0xffff88807fc00000ull},
    {"kernel_gs_base_noncanonical_gp", I, 0, 1, 1, 0, SE_MSR_IA32_KERNEL_GS_BASE,
     0x0000800000000000ull, true, 0},
    {"fmask_low_bits", I, 0, 1, 1, 0, SE_MSR_IA32_FMASK, SE_LINUX_SYSCALL_MASK, false,
     SE_LINUX_SYSCALL_MASK},
    {"fmask_high_bits_gp", I, 0, 1, 1, 0, SE_MSR_IA32_FMASK, 1ull << 32, true, 0},
    {"efer_same", I, 0, 1, 1, 0, SE_MSR_IA32_EFER, EFER0, false, EFER0},
    {"efer_lma_written_is_ignored", I, 0, 1, 1, 0, SE_MSR_IA32_EFER, EFER0 & ~SE_EFER_LMA, false,
     EFER0},
    {"efer_svme_intel_gp", I, 0, 1, 1, 0, SE_MSR_IA32_EFER, EFER0 | SE_EFER_SVME, true, 0},
    {"efer_svme_amd_ok", A, 0, 1, 1, 0, SE_MSR_IA32_EFER, EFER0 | SE_EFER_SVME, false,
     EFER0 | SE_EFER_SVME},
    {"efer_nxe_without_nx_gp", I, 0, 0, 1, 0, SE_MSR_IA32_EFER, EFER0, true, 0},
    {"efer_lme_change_while_paging_gp", I, 0, 1, 1, 0, SE_MSR_IA32_EFER, EFER0 & ~SE_EFER_LME, true,
     0},
    {"efer_reserved_bit_gp", I, 0, 1, 1, 0, SE_MSR_IA32_EFER, EFER0 | (1ull << 20), true, 0},
    {"spec_ctrl_ibrs", I, 0, 1, 1, 0, SE_MSR_IA32_SPEC_CTRL, SE_SPEC_CTRL_IBRS, false,
     SE_SPEC_CTRL_IBRS},
    {"spec_ctrl_reserved_gp", I, 0, 1, 1, 0, SE_MSR_IA32_SPEC_CTRL, 1ull << 3, true, 0},
    {"pred_cmd_ibpb", I, 0, 1, 1, 0, SE_MSR_IA32_PRED_CMD, SE_PRED_CMD_IBPB, false, 0},
    {"pred_cmd_reserved_gp", I, 0, 1, 1, 0, SE_MSR_IA32_PRED_CMD, 2, true, 0},
    {"unknown_msr_gp", I, 0, 1, 1, 0, 0x12345678u, 0, true, 0},
    {"sysenter_not_modelled_gp", I, 0, 1, 1, 0, 0x174u, 0x10, true, 0},
    {"cpl3_gp", I, 0, 1, 1, 3, SE_MSR_IA32_LSTAR, 0xffffffff81000000ull, true, 0},
};

static void test_wrmsr(void **state)
{
    const msr_row *r = *state;
    se_cpu_features f = {
        .vendor = r->vendor, .la57 = r->la57_cpu, .pcid = true, .nx = r->nx, .maxphyaddr = 40};
    se_cpu_state st;
    memset(&st, 0, sizeof st);
    st.cpl = r->cpl;
    st.efer = r->nx ? EFER0 : EFER0 & ~SE_EFER_NXE;
    st.cr0 = r->paging ? SE_CR0_PG | SE_CR0_PE : SE_CR0_PE;
    se_cpu_state before = st;
    se_fault fault;
    se_fault_kind k = se_msr_wrmsr(&f, &st, r->msr, r->value, &fault);
    if (r->faults) {
        assert_int_equal(k, SE_FAULT_FAULT);
        assert_int_equal(fault.vector, SE_VEC_GP);
        assert_int_equal(fault.error_code, 0);
        assert_memory_equal(&st, &before, sizeof st); /* a faulting WRMSR writes nothing */
        return;
    }
    assert_int_equal(k, SE_FAULT_NONE);
    uint64_t v = 0;
    k = se_msr_rdmsr(&f, &st, r->msr, &v, &fault);
    if (r->msr == SE_MSR_IA32_PRED_CMD) { /* write-only */
        assert_int_equal(k, SE_FAULT_FAULT);
        return;
    }
    assert_int_equal(k, SE_FAULT_NONE);
    se_assert_eq_hex("read back", v, r->read_back);
}

static void test_rdmsr_cases(void **s)
{
    (void)s;
    se_cpu_features f = {.vendor = SE_VENDOR_INTEL, .pcid = true, .nx = true, .maxphyaddr = 40};
    se_cpu_state st;
    memset(&st, 0, sizeof st);
    st.regs.gs_base = 0x1234;
    uint64_t v;
    se_fault fault;
    assert_int_equal(se_msr_rdmsr(&f, &st, SE_MSR_IA32_GS_BASE, &v, &fault), SE_FAULT_NONE);
    se_assert_eq_hex("GS_BASE is the hidden GS.base (MSR-6)", v, 0x1234);
    assert_int_equal(se_msr_rdmsr(&f, &st, 0xdeadu, &v, &fault), SE_FAULT_FAULT);
    st.cpl = 3;
    assert_int_equal(se_msr_rdmsr(&f, &st, SE_MSR_IA32_GS_BASE, &v, &fault), SE_FAULT_FAULT);
    assert_int_equal(fault.vector, SE_VEC_GP);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_rdmsr_cases)};
    int failed = cmocka_run_group_tests_name("msr", tests, NULL, NULL);
    failed += SE_TEST_RUN_ROWS("msr_wrmsr", msr_rows, test_wrmsr);
    return failed != 0;
}
