/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Reference SYSRET verdicts (see verdict.h). Each test is one line, named after the rule it
 * protects; the assembly in entry_64.S explains the hazards in more detail.
 */
#include <assert.h>

#include <sysentry/arch.h>

#include "entry/verdict.h"

static bool se_enabled(uint32_t disabled_checks, se_check c)
{
    return (disabled_checks & SE_CHECK_BIT(c)) == 0;
}

/* CANON-1: sign-extending the low `width` bits gives the value back. */
/* What the assembly's shl/sar pair computes: va sign-extended from bit width-1. */
static uint64_t se_verdict_sign_extend(uint64_t va, unsigned width)
{
    unsigned shift = 64 - width;
    /* the left shift is done unsigned; the right shift of a negative int64_t is arithmetic
     * on every compiler this project supports (GCC, Clang), as in the kernel */
    return (uint64_t)((int64_t)(va << shift) >> shift);
}

se_check se_verdict_6_6(const se_pt_regs *r, bool la57, uint32_t disabled_checks, bool xen_pv)
{
    assert(r != NULL);
    if (xen_pv && se_enabled(disabled_checks, SE_CHECK_XEN_PV))
        return SE_CHECK_XEN_PV;
    /* SYSRET-4: RIP comes from RCX */
    if (se_enabled(disabled_checks, SE_CHECK_RCX_RIP) && r->cx != r->ip)
        return SE_CHECK_RCX_RIP;
    /* SYSRET-3 (Intel): a non-canonical RCX faults at CPL0 on the user stack. Exactly as
     * Linux: cx sign-extended must equal ip. With C1 on that means "ip canonical"; with C1
     * off it still catches most cx != ip, but not a non-canonical cx whose sign-extension
     * equals ip: C1 and C2 protect SYSRET together. */
    if (se_enabled(disabled_checks, SE_CHECK_CANONICAL) &&
        se_verdict_sign_extend(r->cx, la57 ? SE_VA_BITS_5LEVEL : SE_VA_BITS_4LEVEL) != r->ip)
        return SE_CHECK_CANONICAL;
    /* SYSRET-6: CS is always the 64-bit user CS */
    if (se_enabled(disabled_checks, SE_CHECK_CS) && r->cs != SE_USER_CS)
        return SE_CHECK_CS;
    /* SYSRET-5: RFLAGS comes from R11 */
    if (se_enabled(disabled_checks, SE_CHECK_R11_FLAGS) && r->r11 != r->flags)
        return SE_CHECK_R11_FLAGS;
    /* SYSRET-5/9: RF cannot be restored, TF traps before the first user instruction */
    if (se_enabled(disabled_checks, SE_CHECK_RF_TF) &&
        (r->flags & (SE_RFLAGS_RF | SE_RFLAGS_TF)) != 0)
        return SE_CHECK_RF_TF;
    /* SYSRET-7: SS is always the user data selector */
    if (se_enabled(disabled_checks, SE_CHECK_SS) && r->ss != SE_USER_DS)
        return SE_CHECK_SS;
    return SE_CHECK_NONE;
}

/* 6.7+'s C checks; sel16: cs and ss compared as 16-bit selectors (6.9+, see verdict.h) */
static se_check se_verdict_c(const se_pt_regs *r, bool la57, uint32_t disabled_checks, bool xen_pv,
                             bool sel16)
{
    assert(r != NULL);
    uint64_t cs = sel16 ? (uint16_t)r->cs : r->cs, ss = sel16 ? (uint16_t)r->ss : r->ss;
    if (xen_pv && se_enabled(disabled_checks, SE_CHECK_XEN_PV))
        return SE_CHECK_XEN_PV;
    if (se_enabled(disabled_checks, SE_CHECK_RCX_RIP) && r->cx != r->ip)
        return SE_CHECK_RCX_RIP;
    if (se_enabled(disabled_checks, SE_CHECK_R11_FLAGS) && r->r11 != r->flags)
        return SE_CHECK_R11_FLAGS;
    if (se_enabled(disabled_checks, SE_CHECK_CS) && cs != SE_USER_CS)
        return SE_CHECK_CS;
    if (se_enabled(disabled_checks, SE_CHECK_SS) && ss != SE_USER_DS)
        return SE_CHECK_SS;
    /* 6.7 replaces the canonical test by a bound: everything at or above TASK_SIZE_MAX
     * (the guard page below the hole, the whole high half, the vsyscall page) uses IRET */
    uint64_t task_size_max = la57 ? SE_TASK_SIZE_MAX_5LEVEL : SE_TASK_SIZE_MAX_4LEVEL;
    if (se_enabled(disabled_checks, SE_CHECK_CANONICAL) && r->ip >= task_size_max)
        return SE_CHECK_CANONICAL;
    if (se_enabled(disabled_checks, SE_CHECK_RF_TF) &&
        (r->flags & (SE_RFLAGS_RF | SE_RFLAGS_TF)) != 0)
        return SE_CHECK_RF_TF;
    return SE_CHECK_NONE;
}

se_check se_verdict_6_7(const se_pt_regs *r, bool la57, uint32_t disabled_checks, bool xen_pv)
{
    return se_verdict_c(r, la57, disabled_checks, xen_pv, false);
}

se_check se_verdict_6_12(const se_pt_regs *r, bool la57, uint32_t disabled_checks, bool xen_pv)
{
    return se_verdict_c(r, la57, disabled_checks, xen_pv, true);
}

se_check se_verdict(se_kernel_profile kernel, const se_pt_regs *r, bool la57,
                    uint32_t disabled_checks, bool xen_pv)
{
    switch (kernel) {
    case SE_KERNEL_6_6:
        return se_verdict_6_6(r, la57, disabled_checks, xen_pv);
    case SE_KERNEL_6_7:
        return se_verdict_6_7(r, la57, disabled_checks, xen_pv);
    case SE_KERNEL_6_12:
    default:
        return se_verdict_6_12(r, la57, disabled_checks, xen_pv);
    }
}
