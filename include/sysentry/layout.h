/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file layout.h
 * @brief The machine's layout for your own entry code, from C and from `.S` files.
 *
 * Everything an entry path written for the machine needs: the per-CPU area at the kernel GS
 * base (TSS first, then the task-stack top), the selectors and TSS slots, the pt_regs and
 * IRETQ-frame offsets, and the record formats of the optional `.se_patch` (alternatives) and
 * `.se_notes` (trace notes) sections. Only plain integer literals are used (no `u`/`ull`
 * suffixes, no casts), so `#include <sysentry/layout.h>` works in a `.S` file assembled
 * through the C preprocessor as well as in C. docs/embedding.md shows how to use it, and lists
 * the `se_phase_*` labels the cycle model understands.
 *
 * The library's own entry code (src/entry/entry_64.S) is built from these same numbers, and
 * the C side checks every one of them against the library's structures at compile time.
 */
#ifndef SYSENTRY_LAYOUT_H
#define SYSENTRY_LAYOUT_H

/* ---- Per-CPU area, addressed from the kernel GS base (arch/x86/include/asm/current.h and
 * processor.h at v6.6) ---------------- */
/** cpu_tss_rw: the hardware TSS is its first member. This first page must also be mapped,
 * writable, in the user page tables: the entry stores the user RSP into TSS.sp2 before the
 * CR3 switch, while the user CR3 is still loaded. */
#define SE_PCPU_TSS 0x0
/** pcpu_hot.top_of_stack (u64): the task stack top loaded into RSP at entry (kernel-only). */
#define SE_PCPU_TOP_OF_STACK 0x1000
/** cpu_tlbstate.user_pcid_flush_mask (u16): bit kPCID set = user PCID needs a flush at exit. */
#define SE_PCPU_USER_PCID_FLUSH_MASK 0x1008
/** x86_spec_ctrl_current (u64): the SPEC_CTRL value IBRS_ENTER writes. */
#define SE_PCPU_SPEC_CTRL_CURRENT 0x1010
/** Two pages: the TSS page (user-visible with PTI) and a kernel-only page. */
#define SE_PCPU_SIZE 0x2000

/* ---- Architectural numbers the assembly needs (the library checks them against arch.h)
 * ------------- */
#define SE_ENTRY_TSS_SP0              4    /**< x86_hw_tss.sp0: top of the entry trampoline stack */
#define SE_ENTRY_TSS_SP2              20   /**< x86_hw_tss.sp2: scratch slot for the user RSP */
#define SE_ENTRY_USER_CS              0x33 /**< __USER_CS, what SYSRETQ loads into CS */
#define SE_ENTRY_USER_DS              0x2b /**< __USER_DS, what SYSRETQ loads into SS */
#define SE_ENTRY_KERNEL_DS            0x18 /**< __KERNEL_DS, the selector mds_verw_sel holds */
#define SE_ENTRY_NEG_ENOSYS           (-38)   /**< -ENOSYS, the initial pt_regs->ax */
#define SE_ENTRY_RFLAGS_TF            0x100   /**< single-step trap flag */
#define SE_ENTRY_RFLAGS_RF            0x10000 /**< resume flag */
#define SE_ENTRY_MSR_SPEC_CTRL        0x48    /**< IA32_SPEC_CTRL */
#define SE_ENTRY_SPEC_CTRL_IBRS       0x1     /**< IA32_SPEC_CTRL.IBRS */
#define SE_ENTRY_CR3_NOFLUSH_BIT      63 /**< MOV to CR3 source bit: keep this PCID's TLB entries */
#define SE_ENTRY_PTI_USER_PCID_BIT    11 /**< kernel PCID | bit 11 = user PCID */
#define SE_ENTRY_PTI_USER_PGTABLE_BIT 12 /**< CR3 + 4096 = the user half of the PGD pair */
#define SE_ENTRY_CR3_KPCID_MASK       0x7ff /**< low PCID bits without the user bit: the kPCID */
#define SE_ENTRY_SEL_TI               0x4   /**< selector bit 2: the descriptor is in the LDT */
#define SE_ENTRY_SEL_RPL              0x3   /**< selector bits 1:0: the requested privilege level */

/* ---- The five-slot IRETQ frame, from RSP up ---------------------------------------------- */
#define SE_IRET_FRAME_IP    0  /**< offset of the return RIP in the IRETQ frame */
#define SE_IRET_FRAME_CS    8  /**< offset of CS */
#define SE_IRET_FRAME_FLAGS 16 /**< offset of RFLAGS */
#define SE_IRET_FRAME_SP    24 /**< offset of RSP */
#define SE_IRET_FRAME_SS    32 /**< offset of SS */

/* ---- struct pt_regs (arch/x86/include/asm/ptrace.h at v6.6)
 * ------------------------------------------------ */
#define SE_PTREGS_R15 0   /**< offset of pt_regs->r15: r15 */
#define SE_PTREGS_R14 8   /**< offset of pt_regs->r14: r14 */
#define SE_PTREGS_R13 16  /**< offset of pt_regs->r13: r13 */
#define SE_PTREGS_R12 24  /**< offset of pt_regs->r12: r12 */
#define SE_PTREGS_BP  32  /**< offset of pt_regs->bp: rbp */
#define SE_PTREGS_BX  40  /**< offset of pt_regs->bx: rbx */
#define SE_PTREGS_R11 48  /**< offset of pt_regs->r11: r11 */
#define SE_PTREGS_R10 56  /**< offset of pt_regs->r10: r10 */
#define SE_PTREGS_R9  64  /**< offset of pt_regs->r9: r9 */
#define SE_PTREGS_R8  72  /**< offset of pt_regs->r8: r8 */
#define SE_PTREGS_AX  80  /**< offset of pt_regs->ax: rax (the return value) */
#define SE_PTREGS_CX  88  /**< offset of pt_regs->cx: rcx */
#define SE_PTREGS_DX  96  /**< offset of pt_regs->dx: rdx */
#define SE_PTREGS_SI  104 /**< offset of pt_regs->si: rsi */
#define SE_PTREGS_DI  112 /**< offset of pt_regs->di: rdi */
#define SE_PTREGS_ORIG_AX                                                                          \
    120 /**< offset of pt_regs->orig_ax: the syscall number as entered (orig_ax) */
#define SE_PTREGS_IP    128 /**< offset of pt_regs->ip: the user RIP */
#define SE_PTREGS_CS    136 /**< offset of pt_regs->cs: the user CS */
#define SE_PTREGS_FLAGS 144 /**< offset of pt_regs->flags: the user RFLAGS */
#define SE_PTREGS_SP    152 /**< offset of pt_regs->sp: the user RSP */
#define SE_PTREGS_SS    160 /**< offset of pt_regs->ss: the user SS */
#define SE_PTREGS_SIZE  168 /**< sizeof(struct pt_regs): 21 slots of 8 bytes */

/* ---- Features that select the alternative blocks of entry_64.S ------------------------- */
/** Bit n of the feature word passed to se_entry_patch() is feature n. A CHECK feature is ON
 * when the check is enabled (its block kept). 0 is not a feature (a zeroed record is bad). */
#define SE_FEAT_PTI             1  /**< page-table isolation: CR3 switches */
#define SE_FEAT_PCID            2  /**< PCID with PTI: no-flush bit, user PCID, flush mask */
#define SE_FEAT_LA57            3  /**< 5-level paging: canonical test on 57 bits */
#define SE_FEAT_IBRS            4  /**< IBRS_ENTER / IBRS_EXIT */
#define SE_FEAT_XENPV           5  /**< C0: a Xen PV guest always returns with IRET */
#define SE_FEAT_VERW            6  /**< CLEAR_CPU_BUFFERS before SYSRETQ / IRETQ */
#define SE_FEAT_KERNEL_6_7      7  /**< 6.7+ profiles: do_syscall_64 returns the verdict in AL */
#define SE_FEAT_CHECK_RCX_RIP   8  /**< C1 */
#define SE_FEAT_CHECK_CANONICAL 9  /**< C2 */
#define SE_FEAT_CHECK_CS        10 /**< C3 */
#define SE_FEAT_CHECK_R11_FLAGS 11 /**< C4 */
#define SE_FEAT_CHECK_RF_TF     12 /**< C5 */
#define SE_FEAT_CHECK_SS        13 /**< C6 */
#define SE_FEAT_KERNEL_6_12     14 /**< 6.12 profile: the 6.8+ IRET exit (direct, CS asserted) */
#define SE_FEAT_COUNT           15 /**< one past the highest feature number */

/* ---- .se_patch records (one per alternative block) ------------------------------------- */
/** Layout: .quad start (absolute, relocated by the ELF loader), .long length, .short feature,
 * .byte polarity, .byte 0. Polarity 1: keep the block when the feature is on; 0: keep it when
 * the feature is off. A block that is not kept becomes `jmp end` followed by int3 bytes. */
#define SE_PATCH_RECORD_SIZE  16
#define SE_PATCH_OFF_START    0  /**< offset of the block start address (.quad) */
#define SE_PATCH_OFF_LEN      8  /**< offset of the block length in bytes (.long) */
#define SE_PATCH_OFF_FEATURE  12 /**< offset of the feature number (.short, SE_FEAT_*) */
#define SE_PATCH_OFF_POLARITY 14 /**< offset of the polarity byte (SE_PATCH_KEEP_IF_*) */
#define SE_PATCH_OFF_RESERVED 15 /**< offset of the reserved byte (0) */
#define SE_PATCH_KEEP_IF_OFF  0  /**< polarity: keep the block when the feature is off */
#define SE_PATCH_KEEP_IF_ON   1  /**< polarity: keep the block when the feature is on */
#define SE_PATCH_MIN_BLOCK    2  /**< room for the short jmp (EB rel8) */

/* ---- .se_notes records (one per note) ------------------------------------------------- */
/** Layout: .quad address of the instruction, .quad address of a NUL-terminated string in any
 * loaded section (the built-in code keeps them in .se_notes_str). */
#define SE_NOTE_RECORD_SIZE 16 /**< bytes per .se_notes record */
#define SE_NOTE_OFF_ADDR    0  /**< offset of the instruction address (.quad) */
#define SE_NOTE_OFF_TEXT    8  /**< offset of the string's address (.quad) */

#endif /* SYSENTRY_LAYOUT_H */
