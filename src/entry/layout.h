/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Numbers shared by the entry code (entry_64.S, through cpp) and the C side of the library:
 * the public <sysentry/layout.h> (which assembly can include), plus the compile-time checks
 * that tie each of its numbers to the library's C structures.
 *
 * The machine code depends on every value there: the per-CPU offsets are GS-relative
 * displacements baked into instructions, the pt_regs offsets are stack displacements, and the
 * feature numbers are stored in the .se_patch records. include/sysentry/arch.h cannot be
 * included from assembly (it pulls in <stdint.h> and uses C suffixes), so the architectural
 * numbers the assembly needs are repeated there under SE_ENTRY_* names and checked against
 * arch.h below.
 */
#ifndef SE_ENTRY_LAYOUT_H
#define SE_ENTRY_LAYOUT_H

#include <sysentry/layout.h>

#ifndef __ASSEMBLER__
#include <stddef.h>

#include <sysentry/arch.h>
#include <sysentry/config.h>
#include <sysentry/entry.h>

_Static_assert(SE_ENTRY_TSS_SP0 == SE_TSS_SP0, "TSS.sp0 offset");
_Static_assert(SE_ENTRY_TSS_SP2 == SE_TSS_SP2, "TSS.sp2 offset");
_Static_assert(SE_ENTRY_USER_CS == SE_USER_CS, "__USER_CS");
_Static_assert(SE_ENTRY_USER_DS == SE_USER_DS, "__USER_DS");
_Static_assert(SE_ENTRY_KERNEL_DS == SE_KERNEL_DS, "__KERNEL_DS");
_Static_assert(SE_ENTRY_NEG_ENOSYS == -SE_LINUX_ENOSYS, "-ENOSYS");
_Static_assert(SE_ENTRY_RFLAGS_TF == SE_RFLAGS_TF, "RFLAGS.TF");
_Static_assert(SE_ENTRY_RFLAGS_RF == SE_RFLAGS_RF, "RFLAGS.RF");
_Static_assert(SE_ENTRY_MSR_SPEC_CTRL == SE_MSR_IA32_SPEC_CTRL, "IA32_SPEC_CTRL");
_Static_assert(SE_ENTRY_SPEC_CTRL_IBRS == SE_SPEC_CTRL_IBRS, "SPEC_CTRL.IBRS");
_Static_assert((1ull << SE_ENTRY_CR3_NOFLUSH_BIT) == SE_CR3_NOFLUSH, "CR3 no-flush bit");
_Static_assert((1ull << SE_ENTRY_PTI_USER_PCID_BIT) == SE_PTI_USER_PCID_BIT, "user PCID bit");
_Static_assert((1ull << SE_ENTRY_PTI_USER_PGTABLE_BIT) == SE_PTI_USER_PGTABLE_BIT, "user PGD bit");
_Static_assert(SE_PCPU_TSS + SE_TSS_SIZE <= 0x1000, "the TSS fits in the user-visible page");
_Static_assert(SE_PCPU_TOP_OF_STACK >= 0x1000 && SE_PCPU_SPEC_CTRL_CURRENT + 8 <= SE_PCPU_SIZE,
               "kernel-only per-CPU data lives in the second page");

_Static_assert(offsetof(se_pt_regs, r15) == SE_PTREGS_R15, "pt_regs r15");
_Static_assert(offsetof(se_pt_regs, r14) == SE_PTREGS_R14, "pt_regs r14");
_Static_assert(offsetof(se_pt_regs, r13) == SE_PTREGS_R13, "pt_regs r13");
_Static_assert(offsetof(se_pt_regs, r12) == SE_PTREGS_R12, "pt_regs r12");
_Static_assert(offsetof(se_pt_regs, bp) == SE_PTREGS_BP, "pt_regs bp");
_Static_assert(offsetof(se_pt_regs, bx) == SE_PTREGS_BX, "pt_regs bx");
_Static_assert(offsetof(se_pt_regs, r11) == SE_PTREGS_R11, "pt_regs r11");
_Static_assert(offsetof(se_pt_regs, r10) == SE_PTREGS_R10, "pt_regs r10");
_Static_assert(offsetof(se_pt_regs, r9) == SE_PTREGS_R9, "pt_regs r9");
_Static_assert(offsetof(se_pt_regs, r8) == SE_PTREGS_R8, "pt_regs r8");
_Static_assert(offsetof(se_pt_regs, ax) == SE_PTREGS_AX, "pt_regs ax");
_Static_assert(offsetof(se_pt_regs, cx) == SE_PTREGS_CX, "pt_regs cx");
_Static_assert(offsetof(se_pt_regs, dx) == SE_PTREGS_DX, "pt_regs dx");
_Static_assert(offsetof(se_pt_regs, si) == SE_PTREGS_SI, "pt_regs si");
_Static_assert(offsetof(se_pt_regs, di) == SE_PTREGS_DI, "pt_regs di");
_Static_assert(offsetof(se_pt_regs, orig_ax) == SE_PTREGS_ORIG_AX, "pt_regs orig_ax");
_Static_assert(offsetof(se_pt_regs, ip) == SE_PTREGS_IP, "pt_regs ip");
_Static_assert(offsetof(se_pt_regs, cs) == SE_PTREGS_CS, "pt_regs cs");
_Static_assert(offsetof(se_pt_regs, flags) == SE_PTREGS_FLAGS, "pt_regs flags");
_Static_assert(offsetof(se_pt_regs, sp) == SE_PTREGS_SP, "pt_regs sp");
_Static_assert(offsetof(se_pt_regs, ss) == SE_PTREGS_SS, "pt_regs ss");
_Static_assert(sizeof(se_pt_regs) == SE_PTREGS_SIZE, "pt_regs size");

/* The CHECK features follow the se_check order, so feature = base + check - 1. */
_Static_assert(SE_FEAT_CHECK_RCX_RIP - 1 + SE_CHECK_SS == SE_FEAT_CHECK_SS,
               "check features in se_check order");
_Static_assert(SE_CHECK_RCX_RIP == 1 && SE_CHECK_SS == 6, "C1..C6 are se_check 1..6");
_Static_assert(SE_FEAT_COUNT <= 64, "features fit one 64-bit word");

/** Feature that keeps the block of check `c` (C1..C6); 0 for anything else. */
#define SE_FEAT_FOR_CHECK(c)                                                                       \
    (((c) >= SE_CHECK_RCX_RIP && (c) <= SE_CHECK_SS) ? SE_FEAT_CHECK_RCX_RIP - 1 + (int)(c) : 0)
#endif /* !__ASSEMBLER__ */

#endif /* SE_ENTRY_LAYOUT_H */
