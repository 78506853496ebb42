/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Numbers shared by the entry code (entry_64.S, through cpp) and the C side of the library.
 *
 * The machine code depends on every value here: the per-CPU offsets are GS-relative
 * displacements baked into instructions, the pt_regs offsets are stack displacements, and the
 * feature numbers are stored in the .se_patch records. Only plain integer literals are used
 * (no `u`/`ull` suffixes, no casts), so the same lines read correctly for GNU as and for C.
 * include/sysentry/arch.h cannot be included from assembly (it pulls in <stdint.h> and uses
 * C suffixes), so the few architectural numbers the assembly needs are repeated here under
 * SE_ENTRY_* names and checked against arch.h with _Static_assert in the C part.
 */
#ifndef SE_ENTRY_LAYOUT_H
#define SE_ENTRY_LAYOUT_H

/* ---- Per-CPU area, addressed from the kernel GS base (arch/x86/include/asm/current.h and
 * processor.h@v6.6) ---------------- */
/* cpu_tss_rw: the hardware TSS is its first member. This first page must also be mapped,
 * writable, in the user page tables: the entry stores the user RSP into TSS.sp2 before the
 * CR3 switch, while the user CR3 is still loaded. */
#define SE_PCPU_TSS 0x0
/* pcpu_hot.top_of_stack (u64): the task stack top loaded into RSP at entry (kernel-only). */
#define SE_PCPU_TOP_OF_STACK 0x1000
/* cpu_tlbstate.user_pcid_flush_mask (u16): bit kPCID set = user PCID needs a flush at exit. */
#define SE_PCPU_USER_PCID_FLUSH_MASK 0x1008
/* x86_spec_ctrl_current (u64): the SPEC_CTRL value IBRS_ENTER writes. */
#define SE_PCPU_SPEC_CTRL_CURRENT 0x1010
/* Two pages: the TSS page (user-visible with PTI) and a kernel-only page. */
#define SE_PCPU_SIZE 0x2000

/* ---- Architectural numbers the assembly needs (checked against arch.h below) ------------- */
#define SE_ENTRY_TSS_SP0              4     /* x86_hw_tss.sp0: top of the entry trampoline stack */
#define SE_ENTRY_TSS_SP2              20    /* x86_hw_tss.sp2: scratch slot for the user RSP */
#define SE_ENTRY_USER_CS              0x33  /* __USER_CS, what SYSRETQ loads into CS */
#define SE_ENTRY_USER_DS              0x2b  /* __USER_DS, what SYSRETQ loads into SS */
#define SE_ENTRY_KERNEL_DS            0x18  /* __KERNEL_DS, the selector mds_verw_sel holds */
#define SE_ENTRY_NEG_ENOSYS           (-38) /* -ENOSYS, the initial pt_regs->ax */
#define SE_ENTRY_RFLAGS_TF            0x100 /* single-step trap flag */
#define SE_ENTRY_RFLAGS_RF            0x10000 /* resume flag */
#define SE_ENTRY_MSR_SPEC_CTRL        0x48    /* IA32_SPEC_CTRL */
#define SE_ENTRY_SPEC_CTRL_IBRS       0x1     /* IA32_SPEC_CTRL.IBRS */
#define SE_ENTRY_CR3_NOFLUSH_BIT      63 /* MOV to CR3 source bit: keep this PCID's TLB entries */
#define SE_ENTRY_PTI_USER_PCID_BIT    11 /* kernel PCID | bit 11 = user PCID */
#define SE_ENTRY_PTI_USER_PGTABLE_BIT 12 /* CR3 + 4096 = the user half of the PGD pair */
#define SE_ENTRY_CR3_KPCID_MASK       0x7ff /* low PCID bits without the user bit: the kPCID */
#define SE_ENTRY_SEL_TI               0x4   /* selector bit 2: the descriptor is in the LDT */
#define SE_ENTRY_SEL_RPL              0x3   /* selector bits 1:0: the requested privilege level */

/* ---- The five-slot IRETQ frame, from RSP up ---------------------------------------------- */
#define SE_IRET_FRAME_IP    0
#define SE_IRET_FRAME_CS    8
#define SE_IRET_FRAME_FLAGS 16
#define SE_IRET_FRAME_SP    24
#define SE_IRET_FRAME_SS    32

/* ---- struct pt_regs (arch/x86/include/asm/ptrace.h@v6.6)
 * ------------------------------------------------ */
#define SE_PTREGS_R15     0
#define SE_PTREGS_R14     8
#define SE_PTREGS_R13     16
#define SE_PTREGS_R12     24
#define SE_PTREGS_BP      32
#define SE_PTREGS_BX      40
#define SE_PTREGS_R11     48
#define SE_PTREGS_R10     56
#define SE_PTREGS_R9      64
#define SE_PTREGS_R8      72
#define SE_PTREGS_AX      80
#define SE_PTREGS_CX      88
#define SE_PTREGS_DX      96
#define SE_PTREGS_SI      104
#define SE_PTREGS_DI      112
#define SE_PTREGS_ORIG_AX 120
#define SE_PTREGS_IP      128
#define SE_PTREGS_CS      136
#define SE_PTREGS_FLAGS   144
#define SE_PTREGS_SP      152
#define SE_PTREGS_SS      160
#define SE_PTREGS_SIZE    168

/* ---- Features that select the alternative blocks of entry_64.S ------------------------- */
/* Bit n of the feature word passed to se_entry_patch() is feature n. A CHECK feature is ON
 * when the check is enabled (its block kept). 0 is not a feature (a zeroed record is bad). */
#define SE_FEAT_PTI             1  /* page-table isolation: CR3 switches */
#define SE_FEAT_PCID            2  /* PCID with PTI: no-flush bit, user PCID, flush mask */
#define SE_FEAT_LA57            3  /* 5-level paging: canonical test on 57 bits */
#define SE_FEAT_IBRS            4  /* IBRS_ENTER / IBRS_EXIT */
#define SE_FEAT_XENPV           5  /* C0: a Xen PV guest always returns with IRET */
#define SE_FEAT_VERW            6  /* CLEAR_CPU_BUFFERS before SYSRETQ / IRETQ */
#define SE_FEAT_KERNEL_6_7      7  /* 6.7+ profiles: do_syscall_64 returns the verdict in AL */
#define SE_FEAT_CHECK_RCX_RIP   8  /* C1 */
#define SE_FEAT_CHECK_CANONICAL 9  /* C2 */
#define SE_FEAT_CHECK_CS        10 /* C3 */
#define SE_FEAT_CHECK_R11_FLAGS 11 /* C4 */
#define SE_FEAT_CHECK_RF_TF     12 /* C5 */
#define SE_FEAT_CHECK_SS        13 /* C6 */
#define SE_FEAT_KERNEL_6_12     14 /* 6.12 profile: the 6.8+ IRET exit (direct, CS asserted) */
#define SE_FEAT_COUNT           15 /* one past the highest feature number */

/* ---- .se_patch records (one per alternative block) ------------------------------------- */
/* Layout: .quad start (absolute, relocated by the ELF loader), .long length, .short feature,
 * .byte polarity, .byte 0. Polarity 1: keep the block when the feature is on; 0: keep it when
 * the feature is off. A block that is not kept becomes `jmp end` followed by int3 bytes. */
#define SE_PATCH_RECORD_SIZE  16
#define SE_PATCH_OFF_START    0
#define SE_PATCH_OFF_LEN      8
#define SE_PATCH_OFF_FEATURE  12
#define SE_PATCH_OFF_POLARITY 14
#define SE_PATCH_OFF_RESERVED 15
#define SE_PATCH_KEEP_IF_OFF  0
#define SE_PATCH_KEEP_IF_ON   1
#define SE_PATCH_MIN_BLOCK    2 /* room for the short jmp (EB rel8) */

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
