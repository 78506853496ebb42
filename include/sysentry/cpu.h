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
    SE_VENDOR_INTEL, /**< SYSRET #GP(0) at CPL0 on non-canonical RCX; SS gets RPL 3 */
    SE_VENDOR_AMD,   /**< no SYSRET canonical check; SS selector without RPL 3, cache kept */
    SE_VENDOR_MAX_VALUE = SE_VENDOR_AMD
} se_vendor;

/**
 * @brief Short name of a vendor ("intel", "amd").
 * @return a static string; "unknown" for a value outside the enum (never NULL).
 */
SE_API const char *se_vendor_name(se_vendor vendor);

/** The user-visible 64-bit register file. */
typedef struct se_regs {
    uint64_t rax, rbx, rcx, rdx, rsi, rdi, rbp, rsp;
    uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
    uint64_t rip;              /**< instruction pointer */
    uint64_t rflags;           /**< flags; bit 1 always reads 1 */
    uint16_t cs, ss;           /**< visible selectors; the hidden parts are in ::se_cpu_state */
    uint64_t fs_base, gs_base; /**< hidden FS.base and GS.base (IA32_FS_BASE / IA32_GS_BASE) */
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
    se_regs regs;
    uint8_t cpl; /**< current privilege level, 0 or 3 on the modelled paths */
    uint64_t cr0, cr2, cr3, cr4, efer, star, lstar, sfmask, kernel_gs_base;
    uint64_t cstar;                      /**< IA32_CSTAR */
    uint64_t spec_ctrl;                  /**< IA32_SPEC_CTRL */
    se_seg_cache cs_cache;               /**< hidden part of CS */
    se_seg_cache ss_cache;               /**< hidden part of SS */
    uint16_t ds, es, fs, gs;             /**< data segment selectors (IRET-8 may null them) */
    uint32_t ds_ar, es_ar, fs_ar, gs_ar; /**< their cached access rights (DPL matters) */
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
