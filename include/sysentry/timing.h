/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file timing.h
 * @brief The cycle model: per-instruction-class costs from a CPU profile, charged per
 * executed instruction and attributed to named phases of the entry path.
 *
 * Costs are estimates, not measurements: every number of the built-in profiles carries its
 * source or derivation in src/timing/timing.c and docs/cycle-model.md.
 */
#ifndef SYSENTRY_TIMING_H
#define SYSENTRY_TIMING_H

#include <stddef.h>
#include <stdint.h>

#include <sysentry/export.h>
#include <sysentry/status.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Instruction classes the cycle model prices separately. */
typedef enum se_cost_class {
    SE_COST_ALU,             /**< register ALU, LEA, MOV reg/imm, XOR zeroing, TEST/CMP, BT* */
    SE_COST_LOAD,            /**< instruction with a memory source operand */
    SE_COST_STORE,           /**< instruction with a memory destination operand */
    SE_COST_PUSH,            /**< PUSH (register, immediate or memory) */
    SE_COST_POP,             /**< POP */
    SE_COST_BRANCH,          /**< JMP/Jcc */
    SE_COST_CALL,            /**< CALL */
    SE_COST_RET,             /**< RET */
    SE_COST_NOP,             /**< NOP, INT3 padding never executed */
    SE_COST_SYSCALL,         /**< SYSCALL (hardware part of the transition) */
    SE_COST_SYSRET,          /**< SYSRET */
    SE_COST_SWAPGS,          /**< SWAPGS */
    SE_COST_MOV_CR3_FLUSH,   /**< MOV to CR3 that invalidates a PCID (CR3-5) */
    SE_COST_MOV_CR3_NOFLUSH, /**< MOV to CR3 with the no-flush bit (PCIDE = 1) */
    SE_COST_MOV_FROM_CR,     /**< MOV from a control register */
    SE_COST_WRMSR_SPEC_CTRL, /**< WRMSR to IA32_SPEC_CTRL (IBRS_ENTER/EXIT) */
    SE_COST_WRMSR,           /**< WRMSR to any other MSR */
    SE_COST_RDMSR,           /**< RDMSR */
    SE_COST_IRETQ,           /**< IRETQ to user mode */
    SE_COST_LFENCE,          /**< LFENCE */
    SE_COST_VERW,            /**< VERW with MD_CLEAR (CLEAR_CPU_BUFFERS) */
    SE_COST_OTHER,           /**< anything else */
    SE_COST_HANDLER,         /**< the body of do_syscall_64 (the kernel's work for the call,
                                  charged once per dispatch; the C handler itself is free) */
    SE_COST_CLASS_COUNT
} se_cost_class;

/**
 * @brief Short name of a cost class ("alu", "mov_cr3_flush", ...), the keys of the profile
 * text format. @return a static string; "unknown" out of range (never NULL).
 */
SE_API const char *se_cost_class_name(se_cost_class c);

/** A CPU profile: cycles per instruction of each class. */
typedef struct se_cost_profile {
    char name[32];                      /**< e.g. "skylake", "zen4" */
    double cycles[SE_COST_CLASS_COUNT]; /**< estimated cycles per instruction */
    double ghz;                         /**< core clock for ns figures (0: unknown) */
} se_cost_profile;

/**
 * @brief Copy a built-in profile: "skylake" (Intel Skylake-class, the default) or "zen4"
 * (AMD Zen 4-class).
 * @return ::SE_OK, ::SE_ERR_INVALID_ARG for NULL, ::SE_ERR_NOT_FOUND for another name.
 */
SE_API se_status se_cost_profile_builtin(const char *name, se_cost_profile *out);

/**
 * @brief Parse a profile from text: `name <word>`, `ghz <number>`, `base <builtin>` (start
 * from a built-in profile), and `<class> <cycles>` lines; `#` starts a comment.
 *
 * A profile is complete or it is refused: either it has a `base` line (keys not given keep
 * the base's values), or it gives every class and `ghz`. A text without `base` that leaves
 * any of them out (an empty file included) is ::SE_ERR_FORMAT, and the message lists the
 * missing keys, because a missing class would otherwise cost 0 cycles. `name` is optional
 * ("custom").
 * @param text   NUL-terminated profile text; not kept after the call
 * @param out    caller-allocated; written only on ::SE_OK
 * @param errlen size of `err` in bytes (0: no message)
 * @param err optional buffer for a message naming the line of the first error, or the
 *        missing keys
 * @return ::SE_OK; ::SE_ERR_INVALID_ARG for NULL; ::SE_ERR_FORMAT for an unknown key, a bad
 *         or negative number, a duplicate key, or an incomplete profile without `base`.
 */
SE_API se_status se_cost_profile_parse(const char *text, se_cost_profile *out, char *err,
                                       size_t errlen);

/** Phases of the path, delimited by labels of the entry code (docs/entry.md). */
typedef enum se_phase {
    SE_PHASE_USER,       /**< user-mode instructions (the SYSCALL itself) */
    SE_PHASE_ENTRY,      /**< SWAPGS, parking the user RSP */
    SE_PHASE_CR3_KERNEL, /**< PTI: switch to the kernel page tables */
    SE_PHASE_PTREGS,     /**< task stack, building pt_regs, clearing registers */
    SE_PHASE_DISPATCH,   /**< mitigations, do_syscall_64 and the handler */
    SE_PHASE_CHECKS,     /**< the SYSRET-eligibility checks */
    SE_PHASE_RESTORE,    /**< restoring registers, the trampoline stack */
    SE_PHASE_CR3_USER,   /**< PTI: switch back to the user page tables */
    SE_PHASE_SYSRET,     /**< final SWAPGS, VERW, SYSRETQ */
    SE_PHASE_IRET,       /**< final SWAPGS, VERW, IRETQ */
    SE_PHASE_OTHER,      /**< kernel code outside the labelled path */
    SE_PHASE_COUNT
} se_phase;

/** @brief Short name of a phase ("entry", "cr3_kernel", ...); "unknown" out of range (never
 * NULL). */
SE_API const char *se_phase_name(se_phase p);

#ifdef __cplusplus
}
#endif

#endif /* SYSENTRY_TIMING_H */
