/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * SYSCALL, SYSRET and SWAPGS in the shape of the SDM/APM pseudocode, one comment per step
 * (rule IDs of docs/model.md). Every check comes before the first write, so a fault
 * leaves *st exactly as it was.
 */
#include <assert.h>

#include "cpu/model_int.h"

/* SYSCALL-7/8 and SYSRET-6/7: the caches these instructions load are constants, never read
 * from the GDT; the OS has to keep its descriptors consistent with them. */
static const se_seg_cache se_cache_kernel_cs64 = {
    .base = 0, .limit = SE_SEG_FLAT_LIMIT, .ar = SE_SEG_AR_KERNEL_CS};
static const se_seg_cache se_cache_kernel_cs32 = {
    .base = 0, .limit = SE_SEG_FLAT_LIMIT, .ar = SE_SEG_AR_KERNEL_CS32};
static const se_seg_cache se_cache_kernel_ss = {
    .base = 0, .limit = SE_SEG_FLAT_LIMIT, .ar = SE_SEG_AR_KERNEL_SS};
static const se_seg_cache se_cache_user_cs64 = {
    .base = 0, .limit = SE_SEG_FLAT_LIMIT, .ar = SE_SEG_AR_USER_CS};
static const se_seg_cache se_cache_user_cs32 = {
    .base = 0, .limit = SE_SEG_FLAT_LIMIT, .ar = SE_SEG_AR_USER_CS32};
static const se_seg_cache se_cache_user_ss = {
    .base = 0, .limit = SE_SEG_FLAT_LIMIT, .ar = SE_SEG_AR_USER_SS};

/* MSR-2: the selector fields of IA32_STAR. */
static uint16_t se_star_syscall_sel(const se_cpu_state *st)
{
    return (uint16_t)(st->star >> 32);
}

static uint16_t se_star_sysret_sel(const se_cpu_state *st)
{
    return (uint16_t)(st->star >> 48);
}

static const se_vendor_traits *se_traits(const se_cpu_features *f)
{
    const se_vendor_traits *v = se_vendor_traits_get(f->vendor);
    assert(v != NULL && "se_cpu_features.vendor outside se_vendor");
    return v;
}

/* ---- SYSCALL ------------------------------------------------------------------------------ */

/* SYSCALL from long mode (64-bit mode, or compatibility mode on AMD). */
static void se_syscall_long_mode(se_cpu_state *st, bool from_64bit, unsigned insn_len)
{
    uint64_t old_rflags = st->regs.rflags;
    uint16_t sel = se_star_syscall_sel(st);
    /* SYSCALL-3: RCX is SYSRET's return address; compatibility-mode RIPs are 32 bits wide */
    uint64_t next = st->regs.rip + insn_len;
    st->regs.rcx = from_64bit ? next : (uint32_t)next;
    /* SYSCALL-4: R11 is the user context SYSRET restores; RF belongs to the restart of one
     * instruction (RFLAGS-5), not to that context */
    st->regs.r11 = old_rflags & ~SE_RFLAGS_RF;
    /* SYSCALL-5: FMASK has only 32 meaningful bits (MSR-4); bit 1 is fixed at 1 whatever the
     * mask says, and RF is cleared even if FMASK leaves it */
    uint64_t fmask = (uint32_t)st->sfmask;
    st->regs.rflags = (old_rflags & ~fmask & ~SE_RFLAGS_RF) | SE_RFLAGS_FIXED;
    /* SYSCALL-6: no canonical check, WRMSR already guaranteed one (MSR-3); SYSCALL-2 (AMD):
     * compatibility-mode callers enter at CSTAR */
    st->regs.rip = from_64bit ? st->lstar : st->cstar;
    /* SYSCALL-7: RPL forced to 0; the cache is fixed, a 64-bit DPL0 code segment */
    st->regs.cs = sel & SE_SEL_NO_RPL_MASK;
    st->cs_cache = se_cache_kernel_cs64;
    /* SYSCALL-8: SS = the CS field + 8 with no RPL adjustment, fixed flat DPL0 cache */
    st->regs.ss = (uint16_t)(sel + 8);
    st->ss_cache = se_cache_kernel_ss;
    /* SYSCALL-9: ring 0; RSP, GS base, CR3 stay for software to switch (SWAPGS-4) */
    st->cpl = 0;
}

/* SYSCALL-2 (AMD): from legacy mode SYSCALL enters 32-bit code at STAR[31:0]; FMASK is not
 * applied and R11 (not addressable there) is not written. */
static void se_syscall_legacy_mode(se_cpu_state *st, unsigned insn_len)
{
    uint16_t sel = se_star_syscall_sel(st);
    /* SYSCALL-3: ECX gets the return address; the upper half is not visible in legacy mode
     * and the model keeps it zero */
    st->regs.rcx = (uint32_t)(st->regs.rip + insn_len);
    /* SYSCALL-2 (AMD): only VM, IF and RF are cleared */
    st->regs.rflags &= ~(SE_RFLAGS_VM | SE_RFLAGS_IF | SE_RFLAGS_RF);
    st->regs.rip = (uint32_t)st->star;
    /* SYSCALL-7/8 in their 32-bit form: flat DPL0 code with D = 1 instead of L = 1 */
    st->regs.cs = sel & SE_SEL_NO_RPL_MASK;
    st->cs_cache = se_cache_kernel_cs32;
    st->regs.ss = (uint16_t)(sel + 8);
    st->ss_cache = se_cache_kernel_ss;
    st->cpl = 0; /* SYSCALL-9 */
}

se_fault_kind se_cpu_syscall(const se_cpu_features *f, se_cpu_state *st, unsigned insn_len,
                             se_fault *fault)
{
    assert(f != NULL && st != NULL && fault != NULL);
    const se_vendor_traits *v = se_traits(f);
    /* SYSCALL-1: the OS must opt in through EFER.SCE; there is deliberately no CPL check */
    if (!(st->efer & SE_EFER_SCE))
        return se_raise_ud(st, fault);
    bool in_64bit = se_cpu_in_64bit_mode(st);
    /* SYSCALL-2 (Intel): only 64-bit mode has an entry point (LSTAR) */
    if (!in_64bit && v->syscall_needs_64bit)
        return se_raise_ud(st, fault);
    if (st->efer & SE_EFER_LMA)
        se_syscall_long_mode(st, in_64bit, insn_len);
    else
        se_syscall_legacy_mode(st, insn_len);
    /* SYSCALL-10: a TF that FMASK left set traps at CPL0 before the first entry instruction */
    return se_completed_single_step(st, fault);
}

/* ---- SYSRET ------------------------------------------------------------------------------- */

/* SYSRET-4..6 from 64-bit mode. Returns false (nothing written) for SYSRET-3. */
static bool se_sysret_from_64bit(const se_vendor_traits *v, se_cpu_state *st, unsigned operand_size)
{
    uint16_t base = se_star_sysret_sel(st);
    if (operand_size == 64) {
        /* SYSRET-3 (Intel): checked while still at CPL0 with the kernel's already-restored
         * user RSP and GS base: the CVE-2012-0217 hazard. SYSRET-3A (AMD): no check, the
         * fetch at the new RIP faults at CPL3 instead, which is the caller's to run. */
        if (v->sysret_canonical_gp && !se_is_canonical(st->regs.rcx, se_cpu_va_width(st)))
            return false;
        /* SYSRET-4 */
        st->regs.rip = st->regs.rcx;
        /* SYSRET-6: the 64-bit user CS sits 16 above the base, with a fixed DPL3 cache */
        st->regs.cs = (uint16_t)((base + 16) | SE_SEL_RPL_MASK);
        st->cs_cache = se_cache_user_cs64;
    } else {
        /* SYSRET-4 (32-bit form): ECX zero-extended cannot be non-canonical; the base
         * selector itself is the compatibility-mode CS */
        st->regs.rip = (uint32_t)st->regs.rcx;
        st->regs.cs = (uint16_t)(base | SE_SEL_RPL_MASK);
        st->cs_cache = se_cache_user_cs32;
    }
    /* SYSRET-5: R11 bits 22-63, RF and VM never reach RFLAGS; bit 1 reads as 1 */
    st->regs.rflags = (st->regs.r11 & SE_RFLAGS_SYSRET_KEEP) | SE_RFLAGS_FIXED;
    return true;
}

/* AMD outside 64-bit mode (APM pseudocode, the 32-bit form of SYSRET-4/6): back to 32-bit
 * code; R11 is not used, RFLAGS keeps its value except that interrupts are enabled. */
static void se_sysret_from_32bit_amd(se_cpu_state *st)
{
    st->regs.rip = (uint32_t)st->regs.rcx;
    st->regs.cs = (uint16_t)(se_star_sysret_sel(st) | SE_SEL_RPL_MASK);
    st->cs_cache = se_cache_user_cs32;
    st->regs.rflags |= SE_RFLAGS_IF;
}

se_fault_kind se_cpu_sysret(const se_cpu_features *f, se_cpu_state *st, unsigned operand_size,
                            se_fault *fault)
{
    assert(f != NULL && st != NULL && fault != NULL);
    assert(operand_size == 32 || operand_size == 64);
    const se_vendor_traits *v = se_traits(f);
    bool in_64bit = se_cpu_in_64bit_mode(st);
    /* SYSRET-1: disabled by EFER.SCE like SYSCALL; Intel also only in 64-bit mode */
    if (!(st->efer & SE_EFER_SCE) || (!in_64bit && v->syscall_needs_64bit))
        return se_raise_ud(st, fault);
    /* SYSRET-2: ring 0 only (AMD also needs protected mode; an Intel CPU that is not in
     * protected mode already took SYSRET-1). Raised in the caller's context. */
    if (st->cpl != 0 || !(st->cr0 & SE_CR0_PE))
        return se_raise_gp0(st, fault);
    if (in_64bit) {
        /* SYSRET-3 .. SYSRET-6, SYSRET-10: the canonical check precedes every write */
        if (!se_sysret_from_64bit(v, st, operand_size))
            return se_raise_gp0(st, fault);
    } else {
        se_sysret_from_32bit_amd(st);
    }
    uint16_t base = se_star_sysret_sel(st);
    if (v->sysret_ss_rpl3) {
        /* SYSRET-7: RPL 3 forced, fixed flat DPL3 cache */
        st->regs.ss = (uint16_t)((base + 8) | SE_SEL_RPL_MASK);
        st->ss_cache = se_cache_user_ss;
    } else {
        /* SYSRET-7A (AMD): the selector keeps STAR's RPL, and the hidden part is not
         * reloaded at all (X86_BUG_SYSRET_SS_ATTRS); st->ss_cache stays as it was */
        st->regs.ss = (uint16_t)(base + 8);
    }
    /* SYSRET-8: RSP and GS base are software's; only the privilege level changes */
    st->cpl = 3;
    /* SYSRET-9: a loaded TF traps at CPL3 before any user instruction, with RIP = RCX */
    return se_completed_single_step(st, fault);
}

/* ---- SWAPGS ------------------------------------------------------------------------------- */

se_fault_kind se_cpu_swapgs(const se_cpu_features *f, se_cpu_state *st, se_fault *fault)
{
    assert(f != NULL && st != NULL && fault != NULL);
    (void)f; /* SWAPGS behaves alike on both vendors */
    /* SWAPGS-1: GS.base is only a 64-bit quantity in 64-bit mode */
    if (!se_cpu_in_64bit_mode(st))
        return se_raise_ud(st, fault);
    /* SWAPGS-2: user code must never reach the kernel's per-CPU base */
    if (st->cpl != 0)
        return se_raise_gp0(st, fault);
    /* SWAPGS-3: a pure exchange, no memory access and no other register touched
     * (SWAPGS-4: that is what makes it usable as the first entry instruction) */
    uint64_t user_base = st->regs.gs_base;
    st->regs.gs_base = st->kernel_gs_base;
    st->kernel_gs_base = user_base;
    return se_completed(fault);
}
