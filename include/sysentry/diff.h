/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file diff.h
 * @brief Differential runs: the same system calls through two machines, outcomes compared.
 *
 * Two machines (any entry code: the built-in rebuild under two profiles, or a real kernel's
 * entry code next to the rebuild) run the same cases: user registers at the SYSCALL plus what
 * the handler does to pt_regs. Their ::se_outcome values are compared by the rules of
 * docs/diff.md; each disagreement is reported, and an optional explainer may name it as a
 * documented difference (see se_diff_explain_profiles()).
 */
#ifndef SYSENTRY_DIFF_H
#define SYSENTRY_DIFF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sysentry/config.h>
#include <sysentry/cpu.h>
#include <sysentry/entry.h>
#include <sysentry/export.h>
#include <sysentry/machine.h>
#include <sysentry/status.h>

#ifdef __cplusplus
extern "C" {
#endif

/** @name Handler edits: bits of ::se_diff_case::set, one per pt_regs field */
/**@{*/
#define SE_DIFF_SET_IP    (1u << 0) /**< pt_regs->ip = edit.ip */
#define SE_DIFF_SET_CX    (1u << 1) /**< pt_regs->cx = edit.cx */
#define SE_DIFF_SET_CS    (1u << 2) /**< pt_regs->cs = edit.cs */
#define SE_DIFF_SET_SS    (1u << 3) /**< pt_regs->ss = edit.ss */
#define SE_DIFF_SET_FLAGS (1u << 4) /**< pt_regs->flags = edit.flags */
#define SE_DIFF_SET_R11   (1u << 5) /**< pt_regs->r11 = edit.r11 */
#define SE_DIFF_SET_AX    (1u << 6) /**< pt_regs->ax = edit.ax (the return value) */
/**@}*/

/**
 * @brief One system call of a differential run: the user registers at the SYSCALL and what
 * the handler does to pt_regs.
 *
 * The handler first stores the fields selected by `set`, then, with `restart`, makes the call
 * a restarted one as the kernel's signal code does: ax = orig_ax, ip -= 2.
 */
typedef struct se_diff_case {
    char name[40];    /**< NUL-terminated name ("c4_flags", "rand-<state>", ...) */
    const char *what; /**< static one-line description, or NULL */
    se_regs user;     /**< user registers at the SYSCALL (accepted by se_syscall()) */
    uint32_t set;     /**< OR of SE_DIFF_SET_*: which fields of `edit` the handler stores */
    se_pt_regs edit;  /**< the values to store; fields not selected by `set` are ignored */
    bool restart;     /**< after the edits: ax = orig_ax, ip -= 2 */
} se_diff_case;

/**
 * @brief Apply a case's handler edits to pt_regs, as se_diff_run()'s handler does (for your
 * own handler, e.g. to run one case on a single machine). NULL arguments are ignored.
 */
SE_API void se_diff_apply_edits(const se_diff_case *c, se_pt_regs *regs);

/**
 * @brief The built-in scenario table: a plain syscall, each SYSRET check made to fail once,
 * the top user page and the vsyscall address (the table `sysentry check` runs).
 * @param n receives the number of entries (may be NULL)
 * @return a static array, never NULL.
 */
SE_API const se_diff_case *se_diff_scenarios(size_t *n);

/**
 * @brief Generate one random case, deterministically from `*state` (splitmix64), and advance
 * the state. The user registers are always accepted by se_syscall() on a machine with this
 * configuration; rip is drawn from a small set of pages (with the page and TASK_SIZE_MAX
 * edges) so that a long run maps only a few user pages. The name is "rand-" followed by the
 * state before the call, in hex: setting `*state` to it regenerates the same case.
 * @param state the generator state (any value; updated)
 * @param cfg   the configuration of the machines (canonical width, number of syscalls)
 * @param out   receives the case
 * @return ::SE_OK, ::SE_ERR_INVALID_ARG for a NULL argument.
 */
SE_API se_status se_diff_random_case(uint64_t *state, const se_config *cfg, se_diff_case *out);

/** @name Fields that differ: bits of ::se_diff_mismatch::fields */
/**@{*/
#define SE_DIFF_F_STATUS (1u << 0) /**< se_syscall() returned different statuses */
#define SE_DIFF_F_PATH   (1u << 1) /**< ::se_outcome::path */
#define SE_DIFF_F_CHOSEN (1u << 2) /**< ::se_outcome::chosen */
#define SE_DIFF_F_CHECK  (1u << 3) /**< ::se_outcome::failed_check */
#define SE_DIFF_F_FAULT  (1u << 4) /**< fault kind, vector, error code, cpl; rip and cr2 at CPL3 */
#define SE_DIFF_F_CPL    (1u << 5) /**< the privilege level the run stopped at */
#define SE_DIFF_F_REGS   (1u << 6) /**< user-visible registers after a return to CPL3 */
/**@}*/
/** Number of SE_DIFF_F_* bits (size of ::se_diff_summary::fields). */
#define SE_DIFF_F_COUNT 7

/** @brief One disagreement, as given to the callbacks (valid during the call only). */
typedef struct se_diff_mismatch {
    uint64_t index;          /**< the case's number in the run, from 0 (scenarios first) */
    const se_diff_case *c;   /**< the case */
    const se_config *cfg_a;  /**< configuration of machine a */
    const se_config *cfg_b;  /**< configuration of machine b */
    se_status status_a;      /**< what se_syscall() returned on machine a */
    se_status status_b;      /**< what se_syscall() returned on machine b */
    const se_outcome *a;     /**< outcome on machine a */
    const se_outcome *b;     /**< outcome on machine b */
    uint32_t fields;         /**< OR of SE_DIFF_F_*: what differs */
    const char *explanation; /**< name of the documented difference, NULL: unexplained */
} se_diff_mismatch;

/**
 * @brief An explainer: the name of a documented difference that accounts for the mismatch
 * (a string that lives at least as long as the run), or NULL if none does. It must not call
 * the machines; `mm->explanation` is NULL when it is called.
 */
typedef const char *(*se_diff_explain_fn)(const se_diff_mismatch *mm, void *ctx);

/** @brief Called once per disagreement, after the explainer. */
typedef void (*se_diff_mismatch_fn)(const se_diff_mismatch *mm, void *ctx);

/** @brief Options of se_diff_run(); zero-initialise, then set what you need. */
typedef struct se_diff_options {
    uint64_t seed;                   /**< initial state of the random generator */
    uint64_t random_cases;           /**< how many random cases to run (after the scenarios) */
    bool scenarios;                  /**< run the built-in scenarios first */
    se_diff_mismatch_fn on_mismatch; /**< called for each disagreement (NULL: none) */
    void *mismatch_ctx;              /**< passed to `on_mismatch` */
    se_diff_explain_fn explain;      /**< names documented differences (NULL: none are) */
    void *explain_ctx;               /**< passed to `explain` */
} se_diff_options;

/** @brief What a differential run found. */
typedef struct se_diff_summary {
    uint64_t cases;                   /**< cases run */
    uint64_t agreed;                  /**< cases where the two outcomes agree */
    uint64_t explained;               /**< disagreements the explainer named */
    uint64_t unexplained;             /**< disagreements it did not */
    uint64_t fields[SE_DIFF_F_COUNT]; /**< disagreements per field: [i] counts bit (1 << i) */
    uint64_t checks_a[SE_CHECK_MAX_VALUE + 1]; /**< cases per failed check on machine a
                                                    ([SE_CHECK_NONE]: SYSRET allowed) */
    uint64_t checks_b[SE_CHECK_MAX_VALUE + 1]; /**< the same on machine b */
} se_diff_summary;

/**
 * @brief Run the same cases on two machines and compare the outcomes.
 *
 * Each machine is snapshotted first and restored before every case and at the end, so every
 * case starts from the state the machines were in. The run installs its own syscall handler on
 * both and leaves them with no handler (NULL) when it returns. Comparison rules (docs/diff.md):
 * statuses; path, chosen exit and failed check; the fault's kind, vector, error code and cpl,
 * plus its rip and cr2 only at CPL3 (kernel addresses legitimately differ between two
 * codes); the stop cpl; after a return to CPL3 on both, every user register (GPRs, rip,
 * rflags, cs, ss, fs/gs base). Kernel registers at a CPL0 stop are not compared. Two equal
 * statuses other than ::SE_OK agree without further comparison.
 * @param a    first machine (errors are reported in its se_machine_last_error())
 * @param b    second machine, distinct from `a`
 * @param opts options (required)
 * @param sum  receives the summary (required); zeroed first
 * @return ::SE_OK when every case ran (whatever the comparison found); ::SE_ERR_INVALID_ARG
 *         for NULL arguments or a == b; ::SE_ERR_STATE inside a callback; ::SE_ERR_NOMEM,
 *         ::SE_ERR_BACKEND when a snapshot cannot be taken or restored.
 */
SE_API se_status se_diff_run(se_machine *a, se_machine *b, const se_diff_options *opts,
                             se_diff_summary *sum);

/**
 * @brief The default explainer: documented differences between kernel profiles, for machines
 * whose configurations have different ::se_config::kernel values.
 *
 * A mismatch is explained only when both calls succeeded and each side's failed check equals
 * its own profile's reference verdict on its own final pt_regs (6.6: the assembly order,
 * canonical test by shifts; 6.7 and 6.12: the C checks, ip < TASK_SIZE_MAX); and then
 * - the syscall number (low 32 bits of RAX) is below one profile's NR_syscalls but not the
 *   other's, so the handler ran on one side only; or
 * - the frames are equal and the two references differ; or
 * - the frames and verdicts are equal and a 6.12 side stopped at the \#UD of its IRET exit's
 *   user-CS assertion while the other did not.
 *
 * `ctx` is unused.
 * @return "NR_syscalls differs: the handler ran on one side only", "6.6 canonical ip vs 6.7+
 *         ip < TASK_SIZE_MAX", "6.6 vs 6.7+ check order", "6.12 IRET exit asserts a user CS",
 *         or NULL.
 */
SE_API const char *se_diff_explain_profiles(const se_diff_mismatch *mm, void *ctx);

/**
 * @brief The explainer for a distribution kernel (machine a, se_load_kernel_image()) against
 * the rebuild (machine b): documented differences of that kernel's build, then
 * se_diff_explain_profiles().
 *
 * - NR_syscalls: the number is below one side's table size only (the image's sys_call_table
 *   against the profile's), and each side's verdict is the reference's on its own frame;
 * - no espfix64 (::se_kernel_info::espfix64 false, e.g. Debian's 6.1 cloud kernel, built
 *   without CONFIG_X86_16BIT): with an LDT selector in pt_regs->ss and the same frames and
 *   checks, the image's IRETQ raises \#GP(selector) in ring 0 where the rebuild's espfix64
 *   path reports \#GP(0) from user mode.
 *
 * @param mm  the disagreement
 * @param ctx the kernel machine's ::se_kernel_info (from se_kernel_info_get())
 * @return a static string naming the difference, or NULL (unexplained).
 */
SE_API const char *se_diff_explain_kernel(const se_diff_mismatch *mm, void *ctx);

#ifdef __cplusplus
}
#endif

#endif /* SYSENTRY_DIFF_H */
