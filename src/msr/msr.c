/*
 * RDMSR/WRMSR on the MSRs of the syscall path (x86-semantics §7, MSR-1..8). Unknown MSRs raise
 * #GP(0), never ignored; every #GP case of the SDM is checked before anything is written.
 */
#include <stddef.h>

#include "cpu/model.h"

typedef enum se_msr_check {
    SE_MSR_ANY,       /* any 64-bit value */
    SE_MSR_CANONICAL, /* MSR-3/5/6: canonical for the CPU-supported width */
    SE_MSR_LOW32,     /* MSR-4: bits 63:32 reserved */
    SE_MSR_EFER,      /* MSR-7 */
    SE_MSR_SPEC_CTRL, /* MSR-8: IBRS, STIBP, SSBD */
    SE_MSR_PRED_CMD,  /* write-only: IBPB */
} se_msr_check;

typedef struct se_msr_desc {
    uint32_t msr;
    se_msr_check check;
    bool readable;
} se_msr_desc;

static const se_msr_desc se_msrs[] = {
    {SE_MSR_IA32_EFER, SE_MSR_EFER, true},
    {SE_MSR_IA32_STAR, SE_MSR_ANY, true}, /* MSR-2: selectors are not validated */
    {SE_MSR_IA32_LSTAR, SE_MSR_CANONICAL, true},
    {SE_MSR_IA32_CSTAR, SE_MSR_CANONICAL, true},
    {SE_MSR_IA32_FMASK, SE_MSR_LOW32, true},
    {SE_MSR_IA32_FS_BASE, SE_MSR_CANONICAL, true},
    {SE_MSR_IA32_GS_BASE, SE_MSR_CANONICAL, true}, /* MSR-6: the hidden GS.base itself */
    {SE_MSR_IA32_KERNEL_GS_BASE, SE_MSR_CANONICAL, true},
    {SE_MSR_IA32_SPEC_CTRL, SE_MSR_SPEC_CTRL, true},
    {SE_MSR_IA32_PRED_CMD, SE_MSR_PRED_CMD, false},
};

static const se_msr_desc *se_msr_find(uint32_t msr)
{
    for (size_t i = 0; i < sizeof se_msrs / sizeof se_msrs[0]; i++)
        if (se_msrs[i].msr == msr)
            return &se_msrs[i];
    return NULL;
}

/* Where the model keeps each stored MSR. */
static uint64_t *se_msr_slot(se_cpu_state *st, const se_msr_desc *d)
{
    switch (d->msr) {
    case SE_MSR_IA32_EFER:
        return &st->efer;
    case SE_MSR_IA32_STAR:
        return &st->star;
    case SE_MSR_IA32_LSTAR:
        return &st->lstar;
    case SE_MSR_IA32_CSTAR:
        return &st->cstar;
    case SE_MSR_IA32_FMASK:
        return &st->sfmask;
    case SE_MSR_IA32_FS_BASE:
        return &st->regs.fs_base;
    case SE_MSR_IA32_GS_BASE:
        return &st->regs.gs_base;
    case SE_MSR_IA32_KERNEL_GS_BASE:
        return &st->kernel_gs_base;
    default:
        return &st->spec_ctrl;
    }
}

static se_fault_kind se_msr_gp(const se_cpu_state *st, se_fault *fault)
{
    se_cpu_make_fault(st, SE_VEC_GP, 0, true, fault);
    return SE_FAULT_FAULT;
}

se_fault_kind se_msr_rdmsr(const se_cpu_features *f, const se_cpu_state *st, uint32_t msr,
                           uint64_t *value, se_fault *fault)
{
    (void)f;
    const se_msr_desc *d = se_msr_find(msr);
    /* MSR-1: ring 0 only; unknown or write-only MSRs fault */
    if (st->cpl != 0 || d == NULL || !d->readable)
        return se_msr_gp(st, fault);
    *value = *se_msr_slot((se_cpu_state *)st, d);
    return SE_FAULT_NONE;
}

/* MSR-7: the EFER bits this CPU defines */
static uint64_t se_efer_defined(const se_cpu_features *f)
{
    uint64_t ok = SE_EFER_SCE | SE_EFER_LME | SE_EFER_LMA;
    if (f->nx)
        ok |= SE_EFER_NXE;
    if (se_vendor_traits_get(f->vendor)->efer_amd_bits)
        ok |= SE_EFER_SVME | SE_EFER_LMSLE | SE_EFER_FFXSR | SE_EFER_TCE;
    return ok;
}

se_fault_kind se_msr_wrmsr(const se_cpu_features *f, se_cpu_state *st, uint32_t msr, uint64_t value,
                           se_fault *fault)
{
    const se_msr_desc *d = se_msr_find(msr);
    if (st->cpl != 0 || d == NULL) /* MSR-1 */
        return se_msr_gp(st, fault);
    switch (d->check) {
    case SE_MSR_ANY:
        break;
    case SE_MSR_CANONICAL:
        if (!se_is_canonical(value, se_cpu_msr_va_width(f)))
            return se_msr_gp(st, fault);
        break;
    case SE_MSR_LOW32:
        if (value >> 32)
            return se_msr_gp(st, fault);
        break;
    case SE_MSR_EFER:
        if (value & ~se_efer_defined(f))
            return se_msr_gp(st, fault);
        /* LME may not change while paging is on */
        if ((st->cr0 & SE_CR0_PG) && ((value ^ st->efer) & SE_EFER_LME))
            return se_msr_gp(st, fault);
        /* LMA is status: the written value is ignored */
        value = (value & ~SE_EFER_LMA) | (st->efer & SE_EFER_LMA);
        break;
    case SE_MSR_SPEC_CTRL:
        if (value & ~(SE_SPEC_CTRL_IBRS | SE_SPEC_CTRL_STIBP | SE_SPEC_CTRL_SSBD))
            return se_msr_gp(st, fault);
        break;
    case SE_MSR_PRED_CMD:
        if (value & ~SE_PRED_CMD_IBPB)
            return se_msr_gp(st, fault);
        return SE_FAULT_NONE; /* a command: nothing is stored */
    }
    *se_msr_slot(st, d) = value;
    return SE_FAULT_NONE;
}
