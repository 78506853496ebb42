/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * RDMSR/WRMSR on the MSRs of the syscall path (docs/model.md, MSR-1..8). One descriptor per
 * MSR says where it lives in se_cpu_state and which values it accepts. An MSR missing from the
 * table raises #GP(0), never a silent read of 0 or a dropped write (EMU-8).
 */
#include <assert.h>
#include <stddef.h>

#include "cpu/model_int.h"

/* Accepts or rejects a WRMSR value (false = #GP(0)); may rewrite bits the CPU keeps itself. */
typedef bool (*se_msr_validate_fn)(const se_cpu_features *f, const se_cpu_state *st,
                                   uint64_t *value);

typedef struct se_msr_desc {
    uint32_t index;              /* ECX */
    bool readable;               /* false: a write-only command MSR (RDMSR #GP) */
    bool stored;                 /* false: a write acts and stores nothing */
    size_t offset;               /* the uint64_t in se_cpu_state that holds it, if stored */
    se_msr_validate_fn validate; /* the MSR's reserved-bit and consistency rules */
} se_msr_desc;

static bool se_msr_any(const se_cpu_features *f, const se_cpu_state *st, uint64_t *value)
{
    (void)f, (void)st, (void)value;
    /* MSR-2: STAR's selector fields are not checked against the GDT; bad values only show
     * up as wrong selectors at SYSCALL/SYSRET time */
    return true;
}

static bool se_msr_canonical(const se_cpu_features *f, const se_cpu_state *st, uint64_t *value)
{
    (void)st;
    /* MSR-3/5/6: an address MSR holds a canonical address for the widest paging the CPU has
     * (CANON-3), so SYSCALL, SWAPGS and segment accesses never need to check it again */
    return se_is_canonical(*value, se_cpu_msr_va_width(f));
}

static bool se_msr_fmask(const se_cpu_features *f, const se_cpu_state *st, uint64_t *value)
{
    (void)f, (void)st;
    /* MSR-4: only bits 31:0 mask RFLAGS; bits 63:32 are reserved (Bochs and QEMU disagree on
     * what to do with them; a CPU faults) */
    return (*value >> 32) == 0;
}

/* MSR-7: the EFER bits this CPU defines. */
static uint64_t se_efer_defined(const se_cpu_features *f)
{
    uint64_t defined = SE_EFER_SCE | SE_EFER_LME | SE_EFER_LMA;
    if (f->nx)
        defined |= SE_EFER_NXE;
    const se_vendor_traits *v = se_vendor_traits_get(f->vendor);
    assert(v != NULL);
    if (v->efer_amd_bits) {
        defined |= SE_EFER_SVME | SE_EFER_FFXSR | SE_EFER_TCE;
        /* AMD APM Vol. 2 §3.1.7: LMSLE is reserved (MBZ) on CPUs that report
         * EferLmsleUnsupported (Zen 3 on); AIBRSE exists with AutomaticIBRS (Zen 4) */
        if (f->lmsle)
            defined |= SE_EFER_LMSLE;
        if (f->auto_ibrs)
            defined |= SE_EFER_AIBRSE;
    }
    return defined;
}

static bool se_msr_efer(const se_cpu_features *f, const se_cpu_state *st, uint64_t *value)
{
    /* MSR-7: bits of features the CPU does not report are reserved (EMU-9: not dropped) */
    if (*value & ~se_efer_defined(f))
        return false;
    /* MSR-7: long mode is entered and left through CR0.PG; LME may only change with paging
     * off */
    if ((st->cr0 & SE_CR0_PG) && ((*value ^ st->efer) & SE_EFER_LME))
        return false;
    /* MSR-7: LMA reports what the CPU did with LME and PG; the written bit is ignored */
    *value = (*value & ~SE_EFER_LMA) | (st->efer & SE_EFER_LMA);
    return true;
}

static bool se_msr_spec_ctrl(const se_cpu_features *f, const se_cpu_state *st, uint64_t *value)
{
    (void)st;
    /* MSR-8: IBRS, STIBP and SSBD are always implemented; each later control exists only
     * with its CPUID bit (Intel SDM Vol. 4 Table 2-2, IA32_SPEC_CTRL: RRSBA_DIS_S, PSFD and
     * BHI_DIS_S with CPUID.(EAX=7,ECX=2):EDX bits 2, 0 and 4; AMD: PSFD with CPUID
     * Fn8000_0008_EBX[28]), and a bit of a control the CPU lacks is reserved */
    uint64_t ok = SE_SPEC_CTRL_IBRS | SE_SPEC_CTRL_STIBP | SE_SPEC_CTRL_SSBD;
    if (f->rrsba_ctrl)
        ok |= SE_SPEC_CTRL_RRSBA_DIS_S;
    if (f->psfd)
        ok |= SE_SPEC_CTRL_PSFD;
    if (f->bhi_ctrl)
        ok |= SE_SPEC_CTRL_BHI_DIS_S;
    return (*value & ~ok) == 0;
}

static bool se_msr_pred_cmd(const se_cpu_features *f, const se_cpu_state *st, uint64_t *value)
{
    (void)f, (void)st;
    /* IA32_PRED_CMD: a command register whose only command is IBPB; the barrier has no
     * architectural effect on the modelled state, so nothing is stored */
    return (*value & ~SE_PRED_CMD_IBPB) == 0;
}

static bool se_msr_tsc_aux(const se_cpu_features *f, const se_cpu_state *st, uint64_t *value)
{
    (void)f, (void)st;
    return (*value >> 32) == 0;
}

typedef enum se_msr_id {
    SE_MSR_ID_EFER,
    SE_MSR_ID_STAR,
    SE_MSR_ID_LSTAR,
    SE_MSR_ID_CSTAR,
    SE_MSR_ID_FMASK,
    SE_MSR_ID_FS_BASE,
    SE_MSR_ID_GS_BASE,
    SE_MSR_ID_KERNEL_GS_BASE,
    SE_MSR_ID_SPEC_CTRL,
    SE_MSR_ID_PRED_CMD,
    SE_MSR_ID_TSC,
    SE_MSR_ID_TSC_AUX,
    SE_MSR_ID_COUNT
} se_msr_id;

#define SE_MSR_STORED(msr, field, check)                                                           \
    {                                                                                              \
        .index = (msr), .readable = true, .stored = true, .offset = offsetof(se_cpu_state, field), \
        .validate = (check)                                                                        \
    }

static const se_msr_desc se_msr_table[] = {
    [SE_MSR_ID_EFER] = SE_MSR_STORED(SE_MSR_IA32_EFER, efer, se_msr_efer),
    [SE_MSR_ID_STAR] = SE_MSR_STORED(SE_MSR_IA32_STAR, star, se_msr_any),
    [SE_MSR_ID_LSTAR] = SE_MSR_STORED(SE_MSR_IA32_LSTAR, lstar, se_msr_canonical),
    [SE_MSR_ID_CSTAR] = SE_MSR_STORED(SE_MSR_IA32_CSTAR, cstar, se_msr_canonical),
    [SE_MSR_ID_FMASK] = SE_MSR_STORED(SE_MSR_IA32_FMASK, sfmask, se_msr_fmask),
    /* MSR-6: the base MSRs are the hidden segment bases themselves, not copies */
    [SE_MSR_ID_FS_BASE] = SE_MSR_STORED(SE_MSR_IA32_FS_BASE, regs.fs_base, se_msr_canonical),
    [SE_MSR_ID_GS_BASE] = SE_MSR_STORED(SE_MSR_IA32_GS_BASE, regs.gs_base, se_msr_canonical),
    [SE_MSR_ID_KERNEL_GS_BASE] =
        SE_MSR_STORED(SE_MSR_IA32_KERNEL_GS_BASE, kernel_gs_base, se_msr_canonical),
    [SE_MSR_ID_SPEC_CTRL] = SE_MSR_STORED(SE_MSR_IA32_SPEC_CTRL, spec_ctrl, se_msr_spec_ctrl),
    [SE_MSR_ID_PRED_CMD] =
        {
            .index = SE_MSR_IA32_PRED_CMD,
            .readable = false,
            .stored = false,
            .validate = se_msr_pred_cmd,
        },
    /* SDM Vol. 3B §18.17: any 64-bit value may be written to the TSC */
    [SE_MSR_ID_TSC] = SE_MSR_STORED(SE_MSR_IA32_TSC, tsc, se_msr_any),
    /* SDM Vol. 4 (IA32_TSC_AUX): bits 63:32 are reserved */
    [SE_MSR_ID_TSC_AUX] = SE_MSR_STORED(SE_MSR_IA32_TSC_AUX, tsc_aux, se_msr_tsc_aux),
};
_Static_assert(sizeof se_msr_table / sizeof se_msr_table[0] == SE_MSR_ID_COUNT,
               "se_msr_table needs one row per se_msr_id");

static const se_msr_desc *se_msr_find(uint32_t index)
{
    for (size_t i = 0; i < SE_MSR_ID_COUNT; i++)
        if (se_msr_table[i].index == index)
            return &se_msr_table[i];
    return NULL;
}

se_fault_kind se_msr_rdmsr(const se_cpu_features *f, const se_cpu_state *st, uint32_t msr,
                           uint64_t *value, se_fault *fault)
{
    assert(f != NULL && st != NULL && value != NULL && fault != NULL);
    (void)f; /* every readable MSR reads back as stored, whatever the CPU's features */
    /* MSR-1: ring 0 only */
    if (st->cpl != 0)
        return se_raise_gp0(st, fault);
    const se_msr_desc *d = se_msr_find(msr);
    /* MSR-1: an unimplemented MSR faults (EMU-8: never a silent 0); so does reading a
     * command register that has no value to return */
    if (d == NULL || !d->readable)
        return se_raise_gp0(st, fault);
    memcpy(value, (const char *)st + d->offset, sizeof *value);
    return se_completed(fault);
}

se_fault_kind se_msr_wrmsr(const se_cpu_features *f, se_cpu_state *st, uint32_t msr, uint64_t value,
                           se_fault *fault)
{
    assert(f != NULL && st != NULL && fault != NULL);
    /* MSR-1: ring 0 only */
    if (st->cpl != 0)
        return se_raise_gp0(st, fault);
    const se_msr_desc *d = se_msr_find(msr);
    /* MSR-1: an unimplemented MSR faults (EMU-8: never a dropped write) */
    if (d == NULL)
        return se_raise_gp0(st, fault);
    /* MSR-1: a value with a reserved bit set faults and writes nothing */
    if (!d->validate(f, st, &value))
        return se_raise_gp0(st, fault);
    if (d->stored)
        memcpy((char *)st + d->offset, &value, sizeof value);
    return se_completed(fault);
}
