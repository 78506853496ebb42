/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The SYSRET-or-IRET decision in plain C, from the final pt_regs (arch/x86/entry/entry_64.S@v6.6,
 * docs/entry.md).
 *
 * se_verdict_6_6() is the reference for the assembly checks of entry_64.S (C0, C1..C6 in 6.6
 * order); se_verdict_6_7() is what 6.7's do_syscall_64 computes in C, and the library's
 * do_syscall_64 hook uses it for the 6.7 profile. Both are also oracles for fuzzing.
 *
 * Each check compares the full 64-bit slot, as the kernel does (a cs slot of 0x10033 is not
 * __USER_CS), except cs and ss from 6.9 on: pt_regs then declares them as u16 selectors in a
 * union with the 64-bit slot (csx/ssx, for FRED; arch/x86/include/asm/ptrace.h@v6.9), so
 * do_syscall_64's `regs->cs != __USER_CS` compares 16 bits (Debian's 6.12: `cmpw $0x33,
 * 0x88(%rbx)`), and a slot of 0x10033 passes (se_verdict_6_12). A check whose SE_CHECK_BIT is set
 * in `disabled_checks` is skipped; C0 runs only when `xen_pv` is true and SE_CHECK_XEN_PV is not
 * disabled.
 */
#ifndef SE_ENTRY_VERDICT_H
#define SE_ENTRY_VERDICT_H

#include <stdbool.h>
#include <stdint.h>

#include <sysentry/config.h>
#include <sysentry/entry.h>

/**
 * @brief Linux 6.6: the first failing check in assembly order, or SE_CHECK_NONE (SYSRET).
 *
 * Order: C0 Xen PV; C1 cx == ip; C2 ip canonical (48 bits, 57 with `la57`; CANON-1/2);
 * C3 cs == __USER_CS; C4 r11 == flags; C5 no RF/TF in flags; C6 ss == __USER_DS.
 * C2 tests ip and C5 tests flags, so each check means the same thing when another is
 * disabled (the assembly blocks load their own operands for the same reason).
 * @param r pt_regs after do_syscall_64 (must not be NULL)
 */
se_check se_verdict_6_6(const se_pt_regs *r, bool la57, uint32_t disabled_checks, bool xen_pv);

/**
 * @brief Linux 6.7+: the check that made do_syscall_64 return false, or SE_CHECK_NONE.
 *
 * Order: Xen PV; cx == ip (SE_CHECK_RCX_RIP) then r11 == flags (SE_CHECK_R11_FLAGS); cs
 * (SE_CHECK_CS) then ss (SE_CHECK_SS); ip < TASK_SIZE_MAX (SE_CHECK_CANONICAL; 4-level
 * (1 << 47) - 4096, LA57 (1 << 56) - 4096), which also sends every high-half address such
 * as the vsyscall page to IRET; no RF/TF in flags (SE_CHECK_RF_TF).
 * @param r pt_regs after the syscall work (must not be NULL)
 */
se_check se_verdict_6_7(const se_pt_regs *r, bool la57, uint32_t disabled_checks, bool xen_pv);

/** @brief Linux 6.9+ (the 6.12 profile): se_verdict_6_7() with cs and ss compared as 16-bit
 * selectors (the slots' upper 48 bits are ignored). */
se_check se_verdict_6_12(const se_pt_regs *r, bool la57, uint32_t disabled_checks, bool xen_pv);

/** @brief The reference of a profile: 6.6, 6.7 or 6.12 as above. */
se_check se_verdict(se_kernel_profile kernel, const se_pt_regs *r, bool la57,
                    uint32_t disabled_checks, bool xen_pv);

#endif /* SE_ENTRY_VERDICT_H */
