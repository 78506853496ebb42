/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * IRETQ in 64-bit mode (docs/model.md, IRET-1..9), following the SDM's protected-mode/IA-32e
 * IRET pseudocode: CS checks, SS checks, RIP check, then the state is loaded. Every check
 * precedes every write, so a fault is taken on the IRETQ itself at the old CPL.
 */
#include <assert.h>

#include "cpu/model_int.h"

static bool se_sel_is_null(uint16_t sel)
{
    return (sel & SE_SEL_NO_RPL_MASK) == 0;
}

/* IRET-3: the return code segment. On success *cs holds its cache. */
static se_fault_kind se_iret_check_cs(const se_cpu_state *st, uint16_t sel, se_desc_reader read,
                                      void *ctx, se_seg_cache *cs, se_fault *fault)
{
    /* IRET-3: a null CS names nothing to execute; the error code carries no selector */
    if (se_sel_is_null(sel))
        return se_raise_gp0(st, fault);
    unsigned rpl = sel & SE_SEL_RPL_MASK;
    /* IRET-3: IRET only ever returns outward or to the same level, never inward */
    if (rpl < st->cpl)
        return se_raise_sel(st, SE_VEC_GP, sel, fault);
    uint64_t desc;
    /* IRET-3: a selector beyond the table limit names no descriptor */
    if (!read(ctx, sel, &desc))
        return se_raise_sel(st, SE_VEC_GP, sel, fault);
    se_seg_from_descriptor(desc, cs);
    unsigned type = cs->ar & SE_SEG_AR_TYPE_MASK;
    /* IRET-3: only a code segment (S = 1, type bit 3) can be executed */
    if (!(cs->ar & SE_SEG_AR_S) || !(type & SE_SEG_TYPE_CODE))
        return se_raise_sel(st, SE_VEC_GP, sel, fault);
    /* IRET-3: conforming code runs at the caller's level, so its DPL only bounds the RPL from
     * below; non-conforming code defines the level and must match the RPL exactly */
    unsigned dpl = se_ar_dpl(cs->ar);
    if ((type & SE_SEG_TYPE_CONFORM) ? dpl > rpl : dpl != rpl)
        return se_raise_sel(st, SE_VEC_GP, sel, fault);
    /* IRET-3: presence is checked last, so that #NP means "valid but swapped out" */
    if (!(cs->ar & SE_SEG_AR_P))
        return se_raise_sel(st, SE_VEC_NP, sel, fault);
    /* loading a descriptor marks it accessed; the GDT write-back is the caller's */
    cs->ar |= SE_SEG_TYPE_ACCESSED;
    return SE_FAULT_NONE;
}

/* IRET-4: the stack segment, always popped by IRETQ in 64-bit mode (outer and same level). */
static se_fault_kind se_iret_check_ss(const se_cpu_state *st, uint16_t sel, unsigned new_cpl,
                                      const se_seg_cache *cs, se_desc_reader read, void *ctx,
                                      se_seg_cache *ss, se_fault *fault)
{
    if (se_sel_is_null(sel)) {
        /* IRET-4: 64-bit code below ring 3 does not address through SS, so a null SS is
         * legal there (interrupt delivery itself loads one); user code needs a real stack */
        if (new_cpl == 3 || !(cs->ar & SE_SEG_AR_L))
            return se_raise_gp0(st, fault);
        *ss = (se_seg_cache){.base = 0, .limit = 0, .ar = SE_SEG_AR_UNUSABLE};
        return SE_FAULT_NONE;
    }
    /* IRET-4: the stack must belong to the level being returned to */
    if ((sel & SE_SEL_RPL_MASK) != new_cpl)
        return se_raise_sel(st, SE_VEC_GP, sel, fault);
    uint64_t desc;
    if (!read(ctx, sel, &desc))
        return se_raise_sel(st, SE_VEC_GP, sel, fault);
    se_seg_from_descriptor(desc, ss);
    unsigned type = ss->ar & SE_SEG_AR_TYPE_MASK;
    /* IRET-4: a stack is pushed to, so it must be a writable data segment */
    if (!(ss->ar & SE_SEG_AR_S) || (type & SE_SEG_TYPE_CODE) || !(type & SE_SEG_TYPE_WRITE))
        return se_raise_sel(st, SE_VEC_GP, sel, fault);
    /* IRET-4: stacks are never shared across levels: DPL = RPL = new CPL */
    if (se_ar_dpl(ss->ar) != new_cpl)
        return se_raise_sel(st, SE_VEC_GP, sel, fault);
    /* IRET-4: a valid but absent stack is a stack fault, not a #NP */
    if (!(ss->ar & SE_SEG_AR_P))
        return se_raise_sel(st, SE_VEC_SS, sel, fault);
    ss->ar |= SE_SEG_TYPE_ACCESSED;
    return SE_FAULT_NONE;
}

/* IRET-5: the popped RIP against the target code segment, before anything changes. */
static bool se_iret_rip_ok(const se_cpu_state *st, const se_seg_cache *cs, uint64_t rip)
{
    /* a 64-bit target ignores the limit; the current paging width decides (CANON-3), so a
     * bad RIP faults at CPL0 on the IRETQ instead of on the first fetch at CPL3 */
    if (cs->ar & SE_SEG_AR_L)
        return se_is_canonical(rip, se_cpu_va_width(st));
    /* a compatibility-mode target is limit-checked instead (SDM IRET: "tempEIP not within
     * CS limit"), which also rejects anything above 4 GiB */
    return rip <= cs->limit;
}

/* IRET-6: RFLAGS from the frame, filtered by the privilege of the code doing the IRET (the
 * old CPL and IOPL: the CPL changes only afterwards, IRET-7). */
static uint64_t se_iret_rflags(const se_cpu_state *st, uint64_t popped)
{
    uint64_t loadable = SE_RFLAGS_CF | SE_RFLAGS_PF | SE_RFLAGS_AF | SE_RFLAGS_ZF | SE_RFLAGS_SF |
                        SE_RFLAGS_TF | SE_RFLAGS_DF | SE_RFLAGS_OF | SE_RFLAGS_NT | SE_RFLAGS_RF |
                        SE_RFLAGS_AC | SE_RFLAGS_ID;
    unsigned iopl = (unsigned)((st->regs.rflags & SE_RFLAGS_IOPL) >> SE_RFLAGS_IOPL_SHIFT);
    /* IF only if the returning code was itself trusted with it */
    if (st->cpl <= iopl)
        loadable |= SE_RFLAGS_IF;
    /* IOPL and the virtual-interrupt flags only from ring 0, or user code could grant itself
     * I/O privilege */
    if (st->cpl == 0)
        loadable |= SE_RFLAGS_IOPL | SE_RFLAGS_VIF | SE_RFLAGS_VIP;
    /* VM is never loaded in IA-32e mode and reserved bits keep their fixed values */
    return (st->regs.rflags & ~loadable) | (popped & loadable) | SE_RFLAGS_FIXED;
}

/* IRET-8: a data segment register the new, less privileged code may not use is nulled, so
 * that kernel segments cannot leak outward through DS/ES/FS/GS. */
static void se_iret_drop_segment(uint16_t *sel, uint32_t *ar, unsigned new_cpl)
{
    unsigned type = *ar & SE_SEG_AR_TYPE_MASK;
    bool conforming_code = (type & SE_SEG_TYPE_CODE) && (type & SE_SEG_TYPE_CONFORM);
    /* a null selector's cache counts as DPL 0, which is why null selectors with RPL 1-3 come
     * back as 0 (Linux selftests fsgsbase.c) */
    bool usable = !(*ar & SE_SEG_AR_UNUSABLE);
    if (usable && (conforming_code || se_ar_dpl(*ar) >= new_cpl))
        return;
    *sel = 0;
    *ar = SE_SEG_AR_UNUSABLE;
}

se_fault_kind se_cpu_iretq(const se_cpu_features *f, se_cpu_state *st, const se_iret_frame *frame,
                           se_desc_reader read_desc, void *ctx, se_fault *fault)
{
    assert(f != NULL && st != NULL && frame != NULL && read_desc != NULL && fault != NULL);
    (void)f; /* no vendor difference on this path (EMU-13: both check RIP) */
    /* IRET-1: IA-32e mode has no task switch to return from */
    if (st->regs.rflags & SE_RFLAGS_NT)
        return se_raise_gp0(st, fault);
    /* IRET-2: the selector slots are 8 bytes wide but only their low 16 bits are used */
    uint16_t cs_sel = (uint16_t)frame->cs;
    uint16_t ss_sel = (uint16_t)frame->ss;
    se_seg_cache cs, ss;
    se_fault_kind k = se_iret_check_cs(st, cs_sel, read_desc, ctx, &cs, fault);
    if (k != SE_FAULT_NONE)
        return k;
    unsigned new_cpl = cs_sel & SE_SEL_RPL_MASK;
    k = se_iret_check_ss(st, ss_sel, new_cpl, &cs, read_desc, ctx, &ss, fault);
    if (k != SE_FAULT_NONE)
        return k;
    /* IRET-5: the popped RSP is not checked; a bad one faults at its first use */
    if (!se_iret_rip_ok(st, &cs, frame->rip))
        return se_raise_gp0(st, fault);

    /* IRET-6 */
    st->regs.rflags = se_iret_rflags(st, frame->rflags);
    st->regs.rip = frame->rip;
    st->regs.cs = cs_sel;
    st->cs_cache = cs;
    /* IRET-7: the stack comes from the frame, the privilege level from CS.RPL */
    st->regs.rsp = frame->rsp;
    st->regs.ss = ss_sel;
    st->ss_cache = ss;
    unsigned old_cpl = st->cpl;
    st->cpl = (uint8_t)new_cpl;
    /* IRET-8: only a return to an outer level can expose segments to less privileged code */
    if (new_cpl > old_cpl) {
        se_iret_drop_segment(&st->ds, &st->ds_ar, new_cpl);
        se_iret_drop_segment(&st->es, &st->es_ar, new_cpl);
        se_iret_drop_segment(&st->fs, &st->fs_ar, new_cpl);
        se_iret_drop_segment(&st->gs, &st->gs_ar, new_cpl);
    }
    /* IRET-9: a loaded TF lets the first target instruction run before the #DB, so it is
     * not an event of the IRETQ */
    return se_completed(fault);
}
