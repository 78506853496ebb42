/*
 * SYSCALL, SYSRET, SWAPGS and IRETQ as the SDM pseudocode has them, one comment per step
 * (rule IDs of x86-semantics.md). A fault leaves *st untouched: every function works on a
 * copy and commits it at the end.
 */
#include <string.h>

#include "cpu/model.h"

static const se_seg_cache se_flat_kernel_cs = {0, SE_SEG_FLAT_LIMIT, SE_SEG_AR_KERNEL_CS};
static const se_seg_cache se_flat_kernel_ss = {0, SE_SEG_FLAT_LIMIT, SE_SEG_AR_KERNEL_SS};
static const se_seg_cache se_flat_user_cs = {0, SE_SEG_FLAT_LIMIT, SE_SEG_AR_USER_CS};
static const se_seg_cache se_flat_user_ss = {0, SE_SEG_FLAT_LIMIT, SE_SEG_AR_USER_SS};
/* SYSRET-4 (32-bit form): a flat DPL3 32-bit code segment (D = 1, L = 0) */
static const se_seg_cache se_flat_user_cs32 = {0, SE_SEG_FLAT_LIMIT, 0xC0FB};

static se_fault_kind se_fault_now(const se_cpu_state *st, uint8_t vec, uint32_t code, bool has,
                                  se_fault *f)
{
    se_cpu_make_fault(st, vec, code, has, f);
    return SE_FAULT_FAULT;
}

se_fault_kind se_cpu_syscall(const se_cpu_features *f, se_cpu_state *st, unsigned insn_len,
                             se_fault *fault)
{
    const se_vendor_traits *v = se_vendor_traits_get(f->vendor);
    /* SYSCALL-1: #UD without EFER.SCE; no CPL check */
    if (!(st->efer & SE_EFER_SCE))
        return se_fault_now(st, SE_VEC_UD, 0, false, fault);
    bool long64 = se_cpu_in_64bit_mode(st);
    /* SYSCALL-2: Intel only in 64-bit mode; AMD also from compatibility mode, via CSTAR */
    if (!long64 && (v->syscall_needs_64bit || !(st->efer & SE_EFER_LMA)))
        return se_fault_now(st, SE_VEC_UD, 0, false, fault);
    se_cpu_state n = *st;
    n.regs.rcx = st->regs.rip + insn_len;         /* SYSCALL-3 */
    n.regs.r11 = st->regs.rflags & ~SE_RFLAGS_RF; /* SYSCALL-4 */
    n.regs.rflags = (st->regs.rflags & ~st->sfmask & ~SE_RFLAGS_RF & SE_RFLAGS_DEFINED) |
                    SE_RFLAGS_FIXED;             /* SYSCALL-5 */
    n.regs.rip = long64 ? st->lstar : st->cstar; /* SYSCALL-6, SYSCALL-2 (AMD) */
    uint16_t base = (uint16_t)(st->star >> 32);
    n.regs.cs = base & 0xFFFC; /* SYSCALL-7 */
    n.cs_cache = se_flat_kernel_cs;
    n.regs.ss = (uint16_t)(base + 8); /* SYSCALL-8 */
    n.ss_cache = se_flat_kernel_ss;
    n.cpl = 0; /* SYSCALL-9 */
    *st = n;
    /* SYSCALL-10, RFLAGS-4: TF still set at the end of SYSCALL traps at CPL0 before LSTAR */
    if (n.regs.rflags & SE_RFLAGS_TF) {
        se_cpu_make_fault(st, SE_VEC_DB, 0, false, fault);
        fault->kind = SE_FAULT_TRAP;
        return SE_FAULT_TRAP;
    }
    return SE_FAULT_NONE;
}

se_fault_kind se_cpu_sysret(const se_cpu_features *f, se_cpu_state *st, unsigned operand_size,
                            se_fault *fault)
{
    const se_vendor_traits *v = se_vendor_traits_get(f->vendor);
    /* SYSRET-1: #UD without SCE; Intel also outside 64-bit mode */
    if (!(st->efer & SE_EFER_SCE) || (v->syscall_needs_64bit && !se_cpu_in_64bit_mode(st)))
        return se_fault_now(st, SE_VEC_UD, 0, false, fault);
    /* SYSRET-2: only from ring 0, before anything changes */
    if (st->cpl != 0)
        return se_fault_now(st, SE_VEC_GP, 0, true, fault);
    /* SYSRET-3 (Intel): RCX checked against the current width, still at CPL0: the kernel has
     * already loaded the user RSP and GS base, which is the CVE-2012-0217 hazard. SYSRET-3A:
     * AMD loads it and the fetch faults at CPL3. */
    if (operand_size == 64 && v->sysret_canonical_gp &&
        !se_is_canonical(st->regs.rcx, se_cpu_va_width(st)))
        return se_fault_now(st, SE_VEC_GP, 0, true, fault);
    se_cpu_state n = *st;
    uint16_t base = (uint16_t)(st->star >> 48);
    if (operand_size == 64) {
        n.regs.rip = st->regs.rcx;               /* SYSRET-4 */
        n.regs.cs = (uint16_t)((base + 16) | 3); /* SYSRET-6 */
        n.cs_cache = se_flat_user_cs;
    } else {
        n.regs.rip = (uint32_t)st->regs.rcx; /* SYSRET-4, 32-bit form */
        n.regs.cs = (uint16_t)(base | 3);
        n.cs_cache = se_flat_user_cs32;
    }
    /* SYSRET-5: RF and VM always 0, bits 22-63 of R11 ignored */
    n.regs.rflags = (st->regs.r11 & SE_RFLAGS_SYSRET_KEEP) | SE_RFLAGS_FIXED;
    if (v->sysret_ss_rpl3) {
        n.regs.ss = (uint16_t)((base + 8) | 3); /* SYSRET-7 */
        n.ss_cache = se_flat_user_ss;
    } else {
        n.regs.ss = (uint16_t)(base + 8); /* SYSRET-7A: cache unchanged */
    }
    n.cpl = 3; /* SYSRET-8 */
    *st = n;
    /* SYSRET-9: a TF that SYSRET loads traps at CPL3 before any user instruction */
    if (n.regs.rflags & SE_RFLAGS_TF) {
        se_cpu_make_fault(st, SE_VEC_DB, 0, false, fault);
        fault->kind = SE_FAULT_TRAP;
        return SE_FAULT_TRAP;
    }
    return SE_FAULT_NONE;
}

se_fault_kind se_cpu_swapgs(const se_cpu_features *f, se_cpu_state *st, se_fault *fault)
{
    (void)f;
    /* SWAPGS-1: #UD outside 64-bit mode */
    if (!se_cpu_in_64bit_mode(st))
        return se_fault_now(st, SE_VEC_UD, 0, false, fault);
    /* SWAPGS-2 */
    if (st->cpl != 0)
        return se_fault_now(st, SE_VEC_GP, 0, true, fault);
    /* SWAPGS-3: exchange, nothing else */
    uint64_t t = st->regs.gs_base;
    st->regs.gs_base = st->kernel_gs_base;
    st->kernel_gs_base = t;
    return SE_FAULT_NONE;
}

/* The data-segment rule of IRET-8: a DS/ES/FS/GS that the new CPL may not use is nulled. */
static void se_iret_null_data(uint16_t *sel, uint32_t *ar, uint8_t cpl)
{
    if (*ar & SE_SEG_AR_UNUSABLE) {
        if ((*sel & ~SE_SEL_RPL_MASK) == 0)
            *sel = 0; /* null selectors with RPL 1-3 are squashed to 0 */
        return;
    }
    unsigned dpl = (*ar & SE_SEG_AR_DPL_MASK) >> SE_SEG_AR_DPL_SHIFT;
    unsigned type = *ar & SE_SEG_AR_TYPE_MASK;
    bool conforming_code = (type & SE_SEG_TYPE_CODE) && (type & SE_SEG_TYPE_CONFORM);
    if (!conforming_code && dpl < cpl) {
        *sel = 0;
        *ar = SE_SEG_AR_UNUSABLE;
    }
}

se_fault_kind se_cpu_iretq(const se_cpu_features *f, se_cpu_state *st, const se_iret_frame *fr,
                           se_desc_reader read_desc, void *ctx, se_fault *fault)
{
    (void)f;
    /* IRET-1: no task return in IA-32e mode */
    if (st->regs.rflags & SE_RFLAGS_NT)
        return se_fault_now(st, SE_VEC_GP, 0, true, fault);
    uint16_t cs = (uint16_t)fr->cs, ss = (uint16_t)fr->ss;
    uint8_t rpl = cs & SE_SEL_RPL_MASK;
    /* IRET-3: the code segment */
    if ((cs & ~SE_SEL_RPL_MASK) == 0)
        return se_fault_now(st, SE_VEC_GP, 0, true, fault);
    if (rpl < st->cpl)
        return se_fault_now(st, SE_VEC_GP, cs & 0xFFFC, true, fault);
    uint64_t d;
    if (!read_desc(ctx, cs, &d))
        return se_fault_now(st, SE_VEC_GP, cs & 0xFFFC, true, fault);
    se_seg_cache c;
    se_seg_from_descriptor(d, &c);
    unsigned ctype = c.ar & SE_SEG_AR_TYPE_MASK;
    unsigned cdpl = (c.ar & SE_SEG_AR_DPL_MASK) >> SE_SEG_AR_DPL_SHIFT;
    if (!(c.ar & SE_SEG_AR_S) || !(ctype & SE_SEG_TYPE_CODE))
        return se_fault_now(st, SE_VEC_GP, cs & 0xFFFC, true, fault);
    if ((ctype & SE_SEG_TYPE_CONFORM) ? cdpl > rpl : cdpl != rpl)
        return se_fault_now(st, SE_VEC_GP, cs & 0xFFFC, true, fault);
    if (!(c.ar & SE_SEG_AR_P))
        return se_fault_now(st, SE_VEC_NP, cs & 0xFFFC, true, fault);
    /* IRET-4: the stack segment, always popped in 64-bit mode */
    se_seg_cache s = {0, 0, SE_SEG_AR_UNUSABLE};
    if ((ss & ~SE_SEL_RPL_MASK) == 0) {
        /* a null SS is allowed only for a 64-bit return to a ring other than 3 */
        if (rpl == 3 || !(c.ar & SE_SEG_AR_L))
            return se_fault_now(st, SE_VEC_GP, 0, true, fault);
    } else {
        if ((ss & SE_SEL_RPL_MASK) != rpl || !read_desc(ctx, ss, &d))
            return se_fault_now(st, SE_VEC_GP, ss & 0xFFFC, true, fault);
        se_seg_from_descriptor(d, &s);
        unsigned stype = s.ar & SE_SEG_AR_TYPE_MASK;
        unsigned sdpl = (s.ar & SE_SEG_AR_DPL_MASK) >> SE_SEG_AR_DPL_SHIFT;
        if (!(s.ar & SE_SEG_AR_S) || (stype & SE_SEG_TYPE_CODE) || !(stype & SE_SEG_TYPE_WRITE) ||
            sdpl != rpl)
            return se_fault_now(st, SE_VEC_GP, ss & 0xFFFC, true, fault);
        if (!(s.ar & SE_SEG_AR_P))
            return se_fault_now(st, SE_VEC_SS, ss & 0xFFFC, true, fault);
    }
    /* IRET-5: a 64-bit target's RIP must be canonical (current width), checked before any
     * state changes, so the fault is taken at CPL0 on the IRETQ */
    if ((c.ar & SE_SEG_AR_L) && !se_is_canonical(fr->rip, se_cpu_va_width(st)))
        return se_fault_now(st, SE_VEC_GP, 0, true, fault);
    se_cpu_state n = *st;
    /* IRET-6: which flags the frame may change depends on the CPL doing the IRET */
    uint64_t mask = SE_RFLAGS_CF | SE_RFLAGS_PF | SE_RFLAGS_AF | SE_RFLAGS_ZF | SE_RFLAGS_SF |
                    SE_RFLAGS_TF | SE_RFLAGS_DF | SE_RFLAGS_OF | SE_RFLAGS_NT | SE_RFLAGS_RF |
                    SE_RFLAGS_AC | SE_RFLAGS_ID;
    unsigned iopl = (unsigned)((st->regs.rflags & SE_RFLAGS_IOPL) >> 12);
    if (st->cpl <= iopl)
        mask |= SE_RFLAGS_IF;
    if (st->cpl == 0)
        mask |= SE_RFLAGS_IOPL | SE_RFLAGS_VIF | SE_RFLAGS_VIP;
    n.regs.rflags = ((st->regs.rflags & ~mask) | (fr->rflags & mask)) | SE_RFLAGS_FIXED;
    n.regs.rip = fr->rip;
    n.regs.cs = cs;
    n.cs_cache = c;
    n.regs.rsp = fr->rsp; /* IRET-7: RSP and SS from the frame */
    n.regs.ss = ss;
    n.ss_cache = s;
    n.cpl = rpl;
    if (rpl > st->cpl) { /* IRET-8 */
        se_iret_null_data(&n.ds, &n.ds_ar, rpl);
        se_iret_null_data(&n.es, &n.es_ar, rpl);
        se_iret_null_data(&n.fs, &n.fs_ar, rpl);
        se_iret_null_data(&n.gs, &n.gs_ar, rpl);
    }
    *st = n;
    return SE_FAULT_NONE; /* IRET-9: a loaded TF traps after the first target instruction */
}
