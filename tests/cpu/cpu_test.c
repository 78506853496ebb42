/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "cpu_test.h"

#include <string.h>

#define T_KERNEL32_RIP 0x00000000c1000100ull /* 32-bit kernel code (AMD legacy/compat SYSRET) */

se_cpu_features t_features(se_vendor vendor, bool la57)
{
    se_cpu_features f = {
        .vendor = vendor, .la57 = la57, .pcid = true, .nx = true, .maxphyaddr = T_MAXPHYADDR};
    se_cpu_features_vendor_defaults(&f);
    return f;
}

void t_features_adjust(se_cpu_features *f, unsigned on, unsigned off)
{
    struct {
        unsigned bit;
        bool *flag;
    } map[] = {
        {T_F_PKU, &f->pku},     {T_F_CET_SS, &f->cet_ss},       {T_F_CET_IBT, &f->cet_ibt},
        {T_F_LMSLE, &f->lmsle}, {T_F_AUTO_IBRS, &f->auto_ibrs}, {T_F_RRSBA_CTRL, &f->rrsba_ctrl},
        {T_F_PSFD, &f->psfd},   {T_F_BHI_CTRL, &f->bhi_ctrl},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
        if (on & map[i].bit)
            *map[i].flag = true;
        if (off & map[i].bit)
            *map[i].flag = false;
    }
}

void t_user_state(se_cpu_state *st)
{
    memset(st, 0, sizeof *st);
    uint64_t *gprs[] = {&st->regs.rax, &st->regs.rbx, &st->regs.rcx, &st->regs.rdx,
                        &st->regs.rsi, &st->regs.rdi, &st->regs.rbp, &st->regs.rsp,
                        &st->regs.r8,  &st->regs.r9,  &st->regs.r10, &st->regs.r11,
                        &st->regs.r12, &st->regs.r13, &st->regs.r14, &st->regs.r15};
    for (size_t i = 0; i < sizeof gprs / sizeof gprs[0]; i++)
        *gprs[i] = (i + 1) * T_GPR_MARK;
    st->regs.rsp = T_USER_RSP;
    st->regs.rip = T_USER_RIP;
    st->regs.rflags = SE_RFLAGS_FIXED | SE_RFLAGS_IF;
    st->regs.cs = SE_USER_CS;
    st->regs.ss = SE_USER_DS;
    st->regs.fs_base = T_USER_FS;
    st->regs.gs_base = T_USER_GS;
    st->cpl = 3;
    st->cr0 = SE_CR0_PE | SE_CR0_MP | SE_CR0_ET | SE_CR0_NE | SE_CR0_WP | SE_CR0_AM | SE_CR0_PG;
    st->cr3 = T_CR3 | 1; /* PCID 1 */
    st->cr4 = SE_CR4_PAE | SE_CR4_PGE | SE_CR4_OSFXSR | SE_CR4_OSXMMEXCPT | SE_CR4_PCIDE;
    st->efer = SE_EFER_SCE | SE_EFER_LME | SE_EFER_LMA | SE_EFER_NXE;
    st->star = SE_LINUX_STAR;
    st->lstar = T_LSTAR;
    st->cstar = T_CSTAR;
    st->sfmask = SE_LINUX_SYSCALL_MASK;
    st->kernel_gs_base = T_KERNEL_GS;
    st->cs_cache = (se_seg_cache)T_FLAT(SE_SEG_AR_USER_CS);
    st->ss_cache = (se_seg_cache)T_FLAT(SE_SEG_AR_USER_SS);
    st->ds_ar = st->es_ar = st->fs_ar = st->gs_ar = SE_SEG_AR_UNUSABLE;
}

void t_kernel_state(se_cpu_state *st)
{
    t_user_state(st);
    st->cpl = 0;
    st->regs.rip = T_KERNEL_RIP;
    st->regs.cs = SE_KERNEL_CS;
    st->regs.ss = SE_KERNEL_DS;
    st->cs_cache = (se_seg_cache)T_FLAT(SE_SEG_AR_KERNEL_CS);
    st->ss_cache = (se_seg_cache)T_FLAT(SE_SEG_AR_KERNEL_SS);
    st->regs.rflags = SE_RFLAGS_FIXED;             /* after Linux's FMASK */
    st->regs.rcx = T_USER_RIP + 2;                 /* what SYSCALL saved */
    st->regs.r11 = SE_RFLAGS_FIXED | SE_RFLAGS_IF; /* likewise */
    st->regs.rsp = T_USER_RSP;                     /* already restored */
    st->regs.gs_base = T_USER_GS;                  /* after the exit SWAPGS */
    st->kernel_gs_base = T_KERNEL_GS;              /* likewise */
}

void t_set_mode(se_cpu_state *st, t_mode mode)
{
    bool kernel = st->cpl == 0;
    if (mode == T_MODE_64) {
        st->efer |= SE_EFER_LME | SE_EFER_LMA;
        st->cr0 |= SE_CR0_PE | SE_CR0_PG;
        st->regs.cs = kernel ? SE_KERNEL_CS : SE_USER_CS;
        st->cs_cache = (se_seg_cache)T_FLAT(kernel ? SE_SEG_AR_KERNEL_CS : SE_SEG_AR_USER_CS);
        return;
    }
    st->regs.cs = kernel ? SE_KERNEL32_CS : SE_USER32_CS;
    st->cs_cache = (se_seg_cache)T_FLAT(kernel ? SE_SEG_AR_KERNEL_CS32 : SE_SEG_AR_USER_CS32);
    st->regs.rip = kernel ? T_KERNEL32_RIP : T_USER32_RIP;
    if (mode == T_MODE_COMPAT)
        return;
    /* outside long mode: no PCIDs, no 5-level paging, no LME/LMA */
    st->efer &= ~(SE_EFER_LME | SE_EFER_LMA);
    st->cr4 &= ~(SE_CR4_PCIDE | SE_CR4_LA57);
    st->cr3 = T_CR3;
    if (mode == T_MODE_REAL)
        st->cr0 &= ~(SE_CR0_PE | SE_CR0_PG);
}

#define T_FIELD(f) se_assert_eq_hex(#f, got->f, want->f)

void t_expect_state(const se_cpu_state *want, const se_cpu_state *got)
{
    T_FIELD(regs.rax);
    T_FIELD(regs.rbx);
    T_FIELD(regs.rcx);
    T_FIELD(regs.rdx);
    T_FIELD(regs.rsi);
    T_FIELD(regs.rdi);
    T_FIELD(regs.rbp);
    T_FIELD(regs.rsp);
    T_FIELD(regs.r8);
    T_FIELD(regs.r9);
    T_FIELD(regs.r10);
    T_FIELD(regs.r11);
    T_FIELD(regs.r12);
    T_FIELD(regs.r13);
    T_FIELD(regs.r14);
    T_FIELD(regs.r15);
    T_FIELD(regs.rip);
    T_FIELD(regs.rflags);
    T_FIELD(regs.cs);
    T_FIELD(regs.ss);
    T_FIELD(regs.fs_base);
    T_FIELD(regs.gs_base);
    T_FIELD(cpl);
    T_FIELD(cr0);
    T_FIELD(cr2);
    T_FIELD(cr3);
    T_FIELD(cr4);
    T_FIELD(efer);
    T_FIELD(star);
    T_FIELD(lstar);
    T_FIELD(sfmask);
    T_FIELD(kernel_gs_base);
    T_FIELD(cstar);
    T_FIELD(spec_ctrl);
    T_FIELD(cs_cache.base);
    T_FIELD(cs_cache.limit);
    T_FIELD(cs_cache.ar);
    T_FIELD(ss_cache.base);
    T_FIELD(ss_cache.limit);
    T_FIELD(ss_cache.ar);
    T_FIELD(ds);
    T_FIELD(es);
    T_FIELD(fs);
    T_FIELD(gs);
    T_FIELD(ds_ar);
    T_FIELD(es_ar);
    T_FIELD(fs_ar);
    T_FIELD(gs_ar);
    /* and whatever a later field addition brings */
    assert_memory_equal(want, got, sizeof *want);
}

void t_expect_fault(const se_fault *got, const se_cpu_state *before, uint8_t vector,
                    uint32_t error_code)
{
    /* the vectors of this path that push an error code (SDM Vol. 3A Table 6-1) */
    bool has_code = vector == SE_VEC_GP || vector == SE_VEC_NP || vector == SE_VEC_SS;
    assert_int_equal(got->kind, SE_FAULT_FAULT);
    assert_int_equal(got->vector, vector);
    se_assert_eq_hex("error code", got->error_code, error_code);
    assert_int_equal(got->has_error_code, has_code);
    se_assert_eq_hex("fault rip", got->rip, before->regs.rip);
    assert_int_equal(got->cpl, before->cpl);
    se_assert_eq_hex("fault cr2", got->cr2, 0);
}

void t_expect_db_trap(const se_fault *got, uint64_t rip, uint8_t cpl)
{
    assert_int_equal(got->kind, SE_FAULT_TRAP);
    assert_int_equal(got->vector, SE_VEC_DB);
    assert_false(got->has_error_code);
    se_assert_eq_hex("error code", got->error_code, 0);
    se_assert_eq_hex("trap rip", got->rip, rip);
    assert_int_equal(got->cpl, cpl);
    se_assert_eq_hex("trap cr2", got->cr2, 0);
}

void t_expect_no_fault(const se_fault *got)
{
    se_fault zero;
    memset(&zero, 0, sizeof zero);
    assert_int_equal(got->kind, SE_FAULT_NONE);
    assert_memory_equal(got, &zero, sizeof zero);
}

void t_scribble_fault(se_fault *f)
{
    memset(f, 0xA5, sizeof *f);
}
