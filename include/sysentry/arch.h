/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file arch.h
 * @brief Architectural constants, named as in the Intel SDM and the Linux sources.
 *
 * One place for every number the model and its tests use, so that no test carries raw hex.
 * Rule IDs in comments (SYSRET-5, CR3-2, ...) are those of the rules tables in docs/model.md,
 * each with its Intel SDM / AMD APM section.
 */
#ifndef SYSENTRY_ARCH_H
#define SYSENTRY_ARCH_H

#include <stdint.h>

/* ---- RFLAGS (RFLAGS-1 .. RFLAGS-5) -------------------------------------------------------- */
#define SE_RFLAGS_CF    (1ull << 0)  /**< carry */
#define SE_RFLAGS_FIXED (1ull << 1)  /**< reserved, always reads 1 */
#define SE_RFLAGS_PF    (1ull << 2)  /**< parity */
#define SE_RFLAGS_AF    (1ull << 4)  /**< auxiliary carry */
#define SE_RFLAGS_ZF    (1ull << 6)  /**< zero */
#define SE_RFLAGS_SF    (1ull << 7)  /**< sign */
#define SE_RFLAGS_TF    (1ull << 8)  /**< single-step trap */
#define SE_RFLAGS_IF    (1ull << 9)  /**< interrupt enable */
#define SE_RFLAGS_DF    (1ull << 10) /**< string direction */
#define SE_RFLAGS_OF    (1ull << 11) /**< overflow */
#define SE_RFLAGS_IOPL  (3ull << 12) /**< I/O privilege level (two bits) */
#define SE_RFLAGS_NT    (1ull << 14) /**< nested task */
#define SE_RFLAGS_RF    (1ull << 16) /**< resume flag */
#define SE_RFLAGS_VM    (1ull << 17) /**< virtual-8086 mode */
#define SE_RFLAGS_AC    (1ull << 18) /**< alignment check / SMAP override */
#define SE_RFLAGS_VIF   (1ull << 19) /**< virtual interrupt flag */
#define SE_RFLAGS_VIP   (1ull << 20) /**< virtual interrupt pending */
#define SE_RFLAGS_ID    (1ull << 21) /**< CPUID detection */
/** Bits that exist in RFLAGS; the rest are reserved and read as 0 (RFLAGS-1). */
#define SE_RFLAGS_DEFINED 0x3F7FD7ull
/** Bits SYSRET keeps from R11; RF, VM and bits 22-63 are forced to 0 (RFLAGS-2, SYSRET-5). */
#define SE_RFLAGS_SYSRET_KEEP 0x3C7FD7ull
/** IA32_FMASK value Linux 6.6 programs in syscall_init() (RFLAGS-3). */
#define SE_LINUX_SYSCALL_MASK 0x257FD5ull

/* ---- Model-specific registers (MSR-1 .. MSR-8) ----------------------------------------- */
#define SE_MSR_IA32_TSC            0x00000010u /**< time-stamp counter (RDTSC) */
#define SE_MSR_IA32_SPEC_CTRL      0x00000048u /**< speculation control (IBRS, STIBP, SSBD) */
#define SE_MSR_IA32_PRED_CMD       0x00000049u /**< prediction command (IBPB), write-only */
#define SE_MSR_IA32_EFER           0xC0000080u /**< extended feature enables */
#define SE_MSR_IA32_STAR           0xC0000081u /**< SYSCALL/SYSRET selector bases */
#define SE_MSR_IA32_LSTAR          0xC0000082u /**< 64-bit SYSCALL target */
#define SE_MSR_IA32_CSTAR          0xC0000083u /**< compatibility-mode SYSCALL target */
#define SE_MSR_IA32_FMASK          0xC0000084u /**< SYSCALL RFLAGS mask (Linux MSR_SYSCALL_MASK) */
#define SE_MSR_IA32_FS_BASE        0xC0000100u /**< FS.base */
#define SE_MSR_IA32_GS_BASE        0xC0000101u /**< GS.base */
#define SE_MSR_IA32_KERNEL_GS_BASE 0xC0000102u /**< value SWAPGS exchanges with GS.base */
#define SE_MSR_IA32_TSC_AUX        0xC0000103u /**< what RDTSCP returns in ECX */

#define SE_SPEC_CTRL_IBRS  (1ull << 0) /**< indirect branch restricted speculation */
#define SE_SPEC_CTRL_STIBP (1ull << 1) /**< single-thread indirect branch predictors */
#define SE_SPEC_CTRL_SSBD  (1ull << 2) /**< speculative store bypass disable */
#define SE_PRED_CMD_IBPB   (1ull << 0) /**< indirect branch prediction barrier */

#define SE_EFER_SCE   (1ull << 0)  /**< SYSCALL/SYSRET enable */
#define SE_EFER_LME   (1ull << 8)  /**< long mode enable */
#define SE_EFER_LMA   (1ull << 10) /**< long mode active (status) */
#define SE_EFER_NXE   (1ull << 11) /**< no-execute enable */
#define SE_EFER_SVME  (1ull << 12) /**< AMD: secure virtual machine enable */
#define SE_EFER_LMSLE (1ull << 13) /**< AMD: long mode segment limit enable */
#define SE_EFER_FFXSR (1ull << 14) /**< AMD: fast FXSAVE/FXRSTOR */
#define SE_EFER_TCE   (1ull << 15) /**< AMD: translation cache extension */

/** Linux 6.6 STAR: [47:32] = __KERNEL_CS, [63:48] = __USER32_CS
 * (arch/x86/kernel/cpu/common.c\@v6.6, syscall_init()). */
#define SE_LINUX_STAR 0x0023001000000000ull

/* ---- Control registers ------------------------------------------------------------------ */
#define SE_CR0_PE (1ull << 0)  /**< protection enable */
#define SE_CR0_MP (1ull << 1)  /**< monitor coprocessor */
#define SE_CR0_ET (1ull << 4)  /**< extension type */
#define SE_CR0_NE (1ull << 5)  /**< numeric error */
#define SE_CR0_WP (1ull << 16) /**< supervisor write protect */
#define SE_CR0_AM (1ull << 18) /**< alignment mask */
#define SE_CR0_PG (1ull << 31) /**< paging */

#define SE_CR4_PAE        (1ull << 5)  /**< physical address extension */
#define SE_CR4_PGE        (1ull << 7)  /**< global pages */
#define SE_CR4_OSFXSR     (1ull << 9)  /**< FXSAVE/FXRSTOR support */
#define SE_CR4_OSXMMEXCPT (1ull << 10) /**< SIMD exceptions */
#define SE_CR4_LA57       (1ull << 12) /**< 5-level paging, 57-bit linear addresses */
#define SE_CR4_FSGSBASE   (1ull << 16) /**< RD/WR{FS,GS}BASE enable */
#define SE_CR4_PCIDE      (1ull << 17) /**< process-context identifiers */
#define SE_CR4_SMEP       (1ull << 20) /**< supervisor-mode execution prevention */
#define SE_CR4_SMAP       (1ull << 21) /**< supervisor-mode access prevention */

#define SE_CR3_PWT       (1ull << 3)  /**< page-level write-through (PCIDE = 0) */
#define SE_CR3_PCD       (1ull << 4)  /**< page-level cache disable (PCIDE = 0) */
#define SE_CR3_PCID_MASK 0xFFFull     /**< current PCID when CR4.PCIDE = 1 (CR3-2) */
#define SE_CR3_LAM_U57   (1ull << 61) /**< linear address masking, 57-bit user (CR3-2) */
#define SE_CR3_LAM_U48   (1ull << 62) /**< linear address masking, 48-bit user (CR3-2) */
#define SE_CR3_NOFLUSH   (1ull << 63) /**< MOV to CR3 source: keep this PCID's TLB (CR3-5) */
/** PTI: CR3 bit that selects the user half of the 8 KiB PGD pair (arch/x86/entry/calling.h\@v6.6,
 * SWITCH_TO_KERNEL_CR3/SWITCH_TO_USER_CR3). */
#define SE_PTI_USER_PGTABLE_BIT (1ull << 12)
/** PTI with PCID: CR3 bit that turns a kernel PCID into its user PCID. */
#define SE_PTI_USER_PCID_BIT (1ull << 11)

/* ---- Paging-structure entries (SDM Vol. 3A §4.5) and #PF error codes -------------------- */
#define SE_PTE_P   (1ull << 0)  /**< present */
#define SE_PTE_RW  (1ull << 1)  /**< writable */
#define SE_PTE_US  (1ull << 2)  /**< user accessible */
#define SE_PTE_PWT (1ull << 3)  /**< write-through */
#define SE_PTE_PCD (1ull << 4)  /**< cache disable */
#define SE_PTE_A   (1ull << 5)  /**< accessed */
#define SE_PTE_D   (1ull << 6)  /**< dirty */
#define SE_PTE_PS  (1ull << 7)  /**< large page (in PDPTE/PDE) */
#define SE_PTE_G   (1ull << 8)  /**< global */
#define SE_PTE_XD  (1ull << 63) /**< execute disable (needs EFER.NXE) */

#define SE_PF_P    (1u << 0) /**< 0: not-present page; 1: protection violation */
#define SE_PF_W    (1u << 1) /**< the access was a write */
#define SE_PF_U    (1u << 2) /**< the access was made at CPL3 */
#define SE_PF_RSVD (1u << 3) /**< a reserved bit was set in a paging-structure entry */
#define SE_PF_I    (1u << 4) /**< the access was an instruction fetch */

/* ---- Segment selectors and descriptor attributes --------------------------------------- */
#define SE_KERNEL32_CS  0x08u /**< __KERNEL32_CS */
#define SE_KERNEL_CS    0x10u /**< __KERNEL_CS, 64-bit kernel code */
#define SE_KERNEL_DS    0x18u /**< __KERNEL_DS */
#define SE_USER32_CS    0x23u /**< __USER32_CS, compatibility-mode user code */
#define SE_USER_DS      0x2Bu /**< __USER_DS */
#define SE_USER_CS      0x33u /**< __USER_CS, 64-bit user code */
#define SE_TSS_SEL      0x40u /**< GDT_ENTRY_TSS * 8 */
#define SE_USER_TLS_DS  0x63u /**< first TLS slot: a flat user data segment here */
#define SE_SEL_RPL_MASK 3u    /**< requested privilege level bits of a selector */
#define SE_SEL_TI       4u    /**< table indicator: 1 = LDT */

/*
 * Segment attributes in the VMX "access rights" layout, which is also Linux's
 * GDT_ENTRY_INIT flags layout: type[3:0] S[4] DPL[6:5] P[7] AVL[12] L[13] D/B[14] G[15],
 * plus an "unusable" bit 16 for a null selector's cache.
 */
#define SE_SEG_AR_TYPE_MASK  0x000Fu    /**< type field, bits 3:0 (SE_SEG_TYPE_* bits when S = 1) */
#define SE_SEG_AR_S          (1u << 4)  /**< code/data (not system) descriptor */
#define SE_SEG_AR_DPL_SHIFT  5          /**< shift of the DPL field: DPL = (ar & mask) >> shift */
#define SE_SEG_AR_DPL_MASK   (3u << 5)  /**< descriptor privilege level, bits 6:5 (0..3) */
#define SE_SEG_AR_P          (1u << 7)  /**< present */
#define SE_SEG_AR_AVL        (1u << 12) /**< available to software; the CPU ignores it */
#define SE_SEG_AR_L          (1u << 13) /**< 64-bit code */
#define SE_SEG_AR_DB         (1u << 14) /**< default operand size / big */
#define SE_SEG_AR_G          (1u << 15) /**< 4 KiB granularity */
#define SE_SEG_AR_UNUSABLE   (1u << 16) /**< null selector loaded: cache unusable */
#define SE_SEG_TYPE_CODE     0x8u       /**< type bit 3: code segment */
#define SE_SEG_TYPE_CONFORM  0x4u       /**< code: conforming */
#define SE_SEG_TYPE_WRITE    0x2u       /**< data: writable; code: readable */
#define SE_SEG_TYPE_ACCESSED 0x1u       /**< accessed: set by the CPU on a descriptor load */

/** Flat caches that SYSCALL and SYSRET load without reading the GDT (SYSCALL-7/8, SYSRET-6/7). */
#define SE_SEG_AR_KERNEL_CS 0xA09Bu     /**< type 11, S, DPL0, P, L, G */
#define SE_SEG_AR_KERNEL_SS 0xC093u     /**< type 3, S, DPL0, P, B, G */
#define SE_SEG_AR_USER_CS   0xA0FBu     /**< type 11, S, DPL3, P, L, G */
#define SE_SEG_AR_USER_SS   0xC0F3u     /**< type 3, S, DPL3, P, B, G */
#define SE_SEG_FLAT_LIMIT   0xFFFFFFFFu /**< limit of a flat cache in bytes (4 GiB - 1) */

/* ---- Canonical widths (CANON-2) and Linux numbers --------------------------------------- */
#define SE_VA_BITS_4LEVEL 48u /**< canonical width with CR4.LA57 = 0 */
#define SE_VA_BITS_5LEVEL 57u /**< canonical width with CR4.LA57 = 1 */
/** Linux TASK_SIZE_MAX, 4-level: (1 << 47) - 4096 (used by the 6.7+ SYSRET test). */
#define SE_TASK_SIZE_MAX_4LEVEL ((1ull << 47) - 4096)
/** Linux TASK_SIZE_MAX, 5-level: (1 << 56) - 4096. */
#define SE_TASK_SIZE_MAX_5LEVEL ((1ull << 56) - 4096)
#define SE_LINUX_ENOSYS         38   /**< ENOSYS; pt_regs->ax starts as -ENOSYS */
#define SE_LINUX_NR_SYSCALLS    454u /**< NR_syscalls for x86-64 in Linux 6.6 */

/* ---- TSS (struct x86_hw_tss, packed) ---------------------------------------------------- */
#define SE_TSS_SP0  4u   /**< RSP0: top of the entry trampoline stack in Linux */
#define SE_TSS_SP1  12u  /**< RSP1: stack for a switch to CPL1; unused by Linux (no ring 1) */
#define SE_TSS_SP2  20u  /**< unused by hardware; Linux parks the user RSP here at entry */
#define SE_TSS_SIZE 104u /**< size in bytes; the TSS descriptor's limit is this - 1 */

#endif /* SYSENTRY_ARCH_H */
