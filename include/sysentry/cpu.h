/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file cpu.h
 * @brief The architectural CPU state as libsysentry models it.
 *
 * These are plain, caller-allocated structs used for reading and writing state, snapshots and
 * test comparisons. They are not ABI-stable before version 1.0: new fields may be added.
 */
#ifndef SYSENTRY_CPU_H
#define SYSENTRY_CPU_H

#include <stdbool.h>
#include <stdint.h>

#include <sysentry/export.h>

#ifdef __cplusplus
extern "C" {
#endif

/** CPU vendor whose SYSCALL/SYSRET behaviour the model follows (docs/model.md). */
typedef enum se_vendor {
    SE_VENDOR_INTEL, /**< SYSRET \#GP(0) at CPL0 on non-canonical RCX; SS gets RPL 3 */
    SE_VENDOR_AMD,   /**< no SYSRET canonical check; SS selector without RPL 3, cache kept */
    SE_VENDOR_MAX_VALUE = SE_VENDOR_AMD /**< highest valid ::se_vendor value */
} se_vendor;

/**
 * @brief Short name of a vendor ("intel", "amd").
 * @return a static string; "unknown" for a value outside the enum (never NULL).
 */
SE_API const char *se_vendor_name(se_vendor vendor);

/** The user-visible 64-bit register file. */
typedef struct se_regs {
    uint64_t rax;     /**< RAX (Linux ABI: syscall number in, return value out) */
    uint64_t rbx;     /**< RBX */
    uint64_t rcx;     /**< RCX: SYSCALL saves the return RIP here, SYSRET returns to it */
    uint64_t rdx;     /**< RDX (Linux ABI: syscall argument 3) */
    uint64_t rsi;     /**< RSI (Linux ABI: syscall argument 2) */
    uint64_t rdi;     /**< RDI (Linux ABI: syscall argument 1) */
    uint64_t rbp;     /**< RBP */
    uint64_t rsp;     /**< RSP: stack pointer (SYSCALL leaves it unchanged) */
    uint64_t r8;      /**< R8 (Linux ABI: syscall argument 5) */
    uint64_t r9;      /**< R9 (Linux ABI: syscall argument 6) */
    uint64_t r10;     /**< R10 (Linux ABI: syscall argument 4, as SYSCALL takes RCX) */
    uint64_t r11;     /**< R11: SYSCALL saves RFLAGS here, SYSRET restores RFLAGS from it */
    uint64_t r12;     /**< R12 */
    uint64_t r13;     /**< R13 */
    uint64_t r14;     /**< R14 */
    uint64_t r15;     /**< R15 */
    uint64_t rip;     /**< instruction pointer */
    uint64_t rflags;  /**< flags; bit 1 always reads 1 */
    uint16_t cs;      /**< visible CS selector; the hidden part is ::se_cpu_state::cs_cache */
    uint16_t ss;      /**< visible SS selector; the hidden part is ::se_cpu_state::ss_cache */
    uint64_t fs_base; /**< hidden FS.base (IA32_FS_BASE) */
    uint64_t gs_base; /**< hidden GS.base (IA32_GS_BASE); the per-CPU base between the SWAPGS
                           of entry and the one of exit */
} se_regs;

/**
 * @brief The hidden part of a segment register (its descriptor cache).
 *
 * `ar` uses the VMX access-rights layout, which is also Linux's GDT_ENTRY_INIT flags layout
 * (see SE_SEG_AR_* in arch.h): e.g. 0xA09B is the flat 64-bit kernel code cache SYSCALL loads.
 */
typedef struct se_seg_cache {
    uint64_t base;  /**< segment base (ignored for CS/SS in 64-bit mode) */
    uint32_t limit; /**< limit in bytes, granularity applied */
    uint32_t ar;    /**< access rights: type, S, DPL, P, AVL, L, D/B, G, unusable */
} se_seg_cache;

/**
 * @brief Architectural state as the model holds it.
 *
 * `regs.cs`/`regs.ss` are the selectors; `cs_cache`/`ss_cache` the hidden descriptor caches.
 * CR3 never holds bit 63 (CR3-2: the no-flush hint is not stored).
 */
typedef struct se_cpu_state {
    se_regs regs;    /**< register file, with the visible CS/SS selectors and FS/GS bases */
    uint8_t cpl;     /**< current privilege level, 0 or 3 on the modelled paths */
    uint64_t cr0;    /**< CR0 (SE_CR0_*); at creation Linux's PE, MP, ET, NE, WP, AM, PG */
    uint64_t cr2;    /**< CR2: linear address of the last page fault (0 before the first) */
    uint64_t cr3;    /**< CR3: page-table root (PTI: bit 12 selects the user PGD), PCID in bits
                          11:0 when CR4.PCIDE = 1; never bit 63 */
    uint64_t cr4;    /**< CR4 (SE_CR4_*) */
    uint64_t efer;   /**< IA32_EFER (SE_EFER_*) */
    uint64_t star;   /**< IA32_STAR: [47:32] SYSCALL CS/SS base, [63:48] SYSRET's */
    uint64_t lstar;  /**< IA32_LSTAR: the 64-bit SYSCALL target (the entry code) */
    uint64_t sfmask; /**< IA32_FMASK: RFLAGS bits SYSCALL clears (low 32 bits used) */
    uint64_t kernel_gs_base; /**< IA32_KERNEL_GS_BASE: what SWAPGS exchanges with GS.base; in
                                  user mode, the per-CPU base */
    uint64_t cstar;          /**< IA32_CSTAR */
    uint64_t spec_ctrl;      /**< IA32_SPEC_CTRL */
    /** IA32_TIME_STAMP_COUNTER. The machine's TSC does not advance: RDTSC and RDTSCP return
     * this value until WRMSR (or se_msr_write()) changes it, so every run is reproducible;
     * 0 at creation */
    uint64_t tsc;
    uint64_t tsc_aux; /**< IA32_TSC_AUX: what RDTSCP loads into ECX (Linux: the CPU number, 0) */
    se_seg_cache cs_cache; /**< hidden part of CS */
    se_seg_cache ss_cache; /**< hidden part of SS */
    uint16_t ds;           /**< DS selector (IRET-8 may null it) */
    uint16_t es;           /**< ES selector (IRET-8 may null it) */
    uint16_t fs;           /**< FS selector (IRET-8 may null it) */
    uint16_t gs;           /**< GS selector (IRET-8 may null it) */
    uint32_t ds_ar;        /**< cached access rights of DS (SE_SEG_AR_*; IRET-8 reads its DPL) */
    uint32_t es_ar;        /**< cached access rights of ES (SE_SEG_AR_*; IRET-8 reads its DPL) */
    uint32_t fs_ar;        /**< cached access rights of FS (SE_SEG_AR_*; IRET-8 reads its DPL) */
    uint32_t gs_ar;        /**< cached access rights of GS (SE_SEG_AR_*; IRET-8 reads its DPL) */
} se_cpu_state;

/**
 * @brief Whether `addr` is canonical for a linear-address width (CANON-1).
 * @param addr  the address
 * @param width 48 or 57; any other value returns false.
 * @return true when bits 63..width-1 all equal bit width-1.
 */
SE_API bool se_is_canonical(uint64_t addr, unsigned width);

#ifdef __cplusplus
}
#endif

#endif /* SYSENTRY_CPU_H */
