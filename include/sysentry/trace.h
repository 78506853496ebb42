/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file trace.h
 * @brief Instruction trace: one event per executed guest instruction, with disassembly,
 * phase, cycles charged, the state changes that matter on this path, and a plain-language note.
 */
#ifndef SYSENTRY_TRACE_H
#define SYSENTRY_TRACE_H

#include <stdbool.h>
#include <stdint.h>

#include <sysentry/export.h>
#include <sysentry/machine.h>
#include <sysentry/status.h>
#include <sysentry/timing.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Bits of se_trace_event::changed: which before/after pair differs ------------------ */
#define SE_TRACE_CPL    0x01u /**< ::se_trace_event::changed: the privilege level changed */
#define SE_TRACE_CR3    0x02u /**< ::se_trace_event::changed: CR3 changed (page tables or PCID) */
#define SE_TRACE_GSBASE 0x04u /**< ::se_trace_event::changed: GS.base changed (e.g. SWAPGS) */
#define SE_TRACE_RSP    0x08u /**< ::se_trace_event::changed: RSP changed */
#define SE_TRACE_RFLAGS 0x10u /**< ::se_trace_event::changed: RFLAGS changed */

/**
 * @brief One executed instruction. All strings are valid only during the callback.
 *
 * The `*_before` fields are sampled when the instruction starts, the `*_after` fields when the
 * next one starts (or the run ends), so a transition the machine models itself (SYSCALL,
 * SWAPGS, MOV to CR3, SYSRET, IRETQ) shows up as a change of the instruction that caused it.
 */
typedef struct se_trace_event {
    uint64_t index;          /**< 0-based position in the run */
    uint64_t rip;            /**< address */
    uint8_t bytes[15];       /**< encoding */
    uint8_t len;             /**< encoding length */
    const char *att;         /**< AT&T syntax */
    const char *intel;       /**< Intel syntax */
    const char *symbol;      /**< nearest entry-code label at or before rip, or "" */
    uint64_t symbol_offset;  /**< rip - that label */
    se_phase phase;          /**< phase the instruction belongs to */
    uint32_t cycles;         /**< cycles charged to it by the cost model */
    uint64_t cycles_total;   /**< running total including this instruction */
    uint8_t cpl_before;      /**< privilege level before the instruction (0 or 3) */
    uint8_t cpl_after;       /**< privilege level after it (0 or 3) */
    uint64_t cr3_before;     /**< CR3 before (page-table root and PCID; never bit 63) */
    uint64_t cr3_after;      /**< CR3 after it, same layout */
    uint64_t gs_base_before; /**< GS.base before the instruction */
    uint64_t gs_base_after;  /**< GS.base after it */
    uint64_t rsp_before;     /**< RSP before the instruction */
    uint64_t rsp_after;      /**< RSP after it */
    uint64_t rflags_before;  /**< RFLAGS before the instruction */
    uint64_t rflags_after;   /**< RFLAGS after it */
    uint32_t changed;        /**< SE_TRACE_* bits whose before/after differ */
    const char *note;        /**< what this step is for, e.g. "SYSRET needs RCX == RIP"; or "" */
} se_trace_event;

/**
 * Trace callback; runs on the thread that called se_syscall()/se_run(), inside the emulation.
 * It may read the machine and stop the trace (se_set_trace(m, NULL, NULL)); anything that
 * changes the machine, including se_mem_write(), returns ::SE_ERR_STATE (machine.h,
 * "Callbacks").
 */
typedef void (*se_trace_fn)(const se_trace_event *ev, void *ctx);

/**
 * @brief Install (or with NULL remove) a trace callback for the following runs. Tracing costs
 * speed; without a callback the untraced path is unaffected.
 *
 * From inside a syscall handler or trace callback only removal is allowed: no event is
 * delivered after the call returns, and the hook itself is removed when the run ends (removing
 * it under the running instruction would crash the engine).
 * @return ::SE_OK, ::SE_ERR_INVALID_ARG for a NULL machine, ::SE_ERR_STATE for a non-NULL `fn`
 *         inside a handler or trace callback.
 */
SE_API se_status se_set_trace(se_machine *m, se_trace_fn fn, void *ctx);

/**
 * @brief Use a cost profile for the following runs (default: built-in "skylake").
 * @return ::SE_OK, ::SE_ERR_INVALID_ARG for NULL or negative costs, ::SE_ERR_STATE inside a
 *         handler or trace callback (the running blocks are priced with the current profile).
 */
SE_API se_status se_set_cost_profile(se_machine *m, const se_cost_profile *profile);

#ifdef __cplusplus
}
#endif

#endif /* SYSENTRY_TRACE_H */
