/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file entry.h
 * @brief One system call through the entry path: handlers, pt_regs, verdicts.
 */
#ifndef SYSENTRY_ENTRY_H
#define SYSENTRY_ENTRY_H

#include <stdint.h>

#include <sysentry/config.h>
#include <sysentry/cpu.h>
#include <sysentry/export.h>
#include <sysentry/machine.h>
#include <sysentry/snapshot.h>
#include <sysentry/status.h>
#include <sysentry/timing.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * @brief Linux x86-64 struct pt_regs, 168 bytes, in memory order.
 *
 * As the built-in entry code builds it on the task stack: each field holds the user register of the
 * same name at the SYSCALL, except where noted. A handler's changes to it are what the return
 * path restores to user mode.
 */
typedef struct se_pt_regs {
    uint64_t r15;     /**< user R15 */
    uint64_t r14;     /**< user R14 */
    uint64_t r13;     /**< user R13 */
    uint64_t r12;     /**< user R12 */
    uint64_t bp;      /**< user RBP */
    uint64_t bx;      /**< user RBX */
    uint64_t r11;     /**< user R11, which SYSCALL set to the user RFLAGS */
    uint64_t r10;     /**< user R10 (syscall argument 4) */
    uint64_t r9;      /**< user R9 (syscall argument 6) */
    uint64_t r8;      /**< user R8 (syscall argument 5) */
    uint64_t ax;      /**< -ENOSYS at entry; the handler stores the return value here (user RAX
                           after the return) */
    uint64_t cx;      /**< user RCX, which SYSCALL set to the return address */
    uint64_t dx;      /**< user RDX (syscall argument 3) */
    uint64_t si;      /**< user RSI (syscall argument 2) */
    uint64_t di;      /**< user RDI (syscall argument 1) */
    uint64_t orig_ax; /**< the user RAX at SYSCALL, all 64 bits: the syscall number */
    uint64_t ip;      /**< return address (the RCX SYSCALL saved); check C1 compares it to cx */
    uint64_t cs;      /**< __USER_CS, a constant (SYSCALL saves no selector); check C3 */
    uint64_t flags;   /**< user RFLAGS (the R11 SYSCALL saved); checks C4 and C5 */
    uint64_t sp;      /**< user RSP */
    uint64_t ss;      /**< __USER_DS, a constant (SYSCALL saves no selector); check C6 */
} se_pt_regs;

/**
 * @brief A C system-call handler, called from the do_syscall_64 stub at CPL0.
 *
 * What it may call on `m` is listed in machine.h ("Callbacks"): reads, se_mem_write() and
 * stopping the trace; the rest returns ::SE_ERR_STATE.
 * @param m    the machine running the system call
 * @param nr   the syscall number as do_syscall_64 sees it (sign-extended EAX)
 * @param regs the guest pt_regs, copied out; changes are written back when it returns
 * @param ctx  the pointer given to se_set_syscall_handler() with this handler
 */
typedef void (*se_syscall_fn)(se_machine *m, long nr, se_pt_regs *regs, void *ctx);

/**
 * @brief Install the handler for numbers 0 <= nr < nr_syscalls (NULL: none; such calls then
 * return -ENOSYS like an unimplemented syscall).
 * @return ::SE_OK, ::SE_ERR_INVALID_ARG for a NULL machine, ::SE_ERR_STATE inside a handler or
 *         trace callback.
 */
SE_API se_status se_set_syscall_handler(se_machine *m, se_syscall_fn fn, void *ctx);

/**
 * How the path returned to user mode. The zero value is ::SE_EXIT_NONE, so that a zeroed or
 * unfilled ::se_outcome never reads as a successful SYSRET.
 */
typedef enum se_exit_path {
    SE_EXIT_NONE = 0, /**< nothing returned to user mode and no exception ended the path
                           (budget, HLT, backend error, or se_syscall() never started) */
    SE_EXIT_SYSRET,   /**< syscall_return_via_sysret */
    SE_EXIT_IRET,     /**< swapgs_restore_regs_and_return_to_usermode */
    SE_EXIT_FAULT,    /**< an exception ended the path (see ::se_outcome::fault) */
    SE_EXIT_PATH_MAX_VALUE = SE_EXIT_FAULT /**< highest valid ::se_exit_path value */
} se_exit_path;

/**
 * @brief Short name of an exit path ("none", "sysret", "iret", "fault").
 * @return a static string; "unknown" for a value outside the enum (never NULL).
 */
SE_API const char *se_exit_path_name(se_exit_path path);

/**
 * @brief What one system call did.
 *
 * se_syscall() fills every field on every return once its arguments are accepted (also for
 * ::SE_ERR_LIMIT and backend errors); fields it has nothing for are zero, and zero means
 * "none" for every enum here.
 *
 * `path` says how the path *ended*, `chosen` which exit the kernel *took*: a SYSRET that
 * raised \#GP has path ::SE_EXIT_FAULT and chosen ::SE_EXIT_SYSRET, an IRETQ that raised \#GP
 * path ::SE_EXIT_FAULT and chosen ::SE_EXIT_IRET, a fault before either instruction (a bad
 * stack in the handler, say) chosen ::SE_EXIT_NONE.
 */
typedef struct se_outcome {
    se_exit_path path;     /**< how the path ended */
    se_exit_path chosen;   /**< the exit instruction the kernel executed: ::SE_EXIT_SYSRET or
                                ::SE_EXIT_IRET once its SYSRET/IRETQ was reached (whether or not
                                it then faulted; the last one reached), else ::SE_EXIT_NONE */
    se_stop_reason stop;   /**< why the run ended: ::SE_STOP_USER_RETURN after a return,
                                ::SE_STOP_FAULT (also for a trap taken right after a return),
                                ::SE_STOP_BUDGET, ::SE_STOP_HLT (the kernel executed HLT at
                                CPL0: path ::SE_EXIT_NONE, no fault), ::SE_STOP_NONE if the
                                run never started */
    se_check failed_check; /**< first check that sent the return to IRET */
    /**
     * The register file where the run stopped, at privilege level `cpl`. When the path
     * returned to user mode (path SYSRET or IRET, `cpl` 3) these are the user registers. When
     * a fault or a stop ended it in the kernel (`cpl` 0: a SYSRET \#GP, an IRETQ \#GP, a kernel
     * \#PF, HLT, the budget) they are the *kernel* registers at that point, not user state: RIP
     * is the faulting instruction for a fault (see ::se_outcome::fault), RSP the kernel or
     * already-restored user stack, and so on.
     */
    se_regs user;
    uint8_t cpl;                           /**< privilege level `user` was read at (0 or 3) */
    se_pt_regs frame;                      /**< pt_regs as the handler left them (a Linux
                                                6.7+ image: as do_syscall_64 returned them,
                                                also when the handler did not run) */
    se_fault fault;                        /**< the exception that ended the path (path FAULT),
                                                or a trap taken at CPL3 right after a return */
    uint64_t instructions;                 /**< guest instructions from SYSCALL to the return */
    uint64_t cycles;                       /**< cost-model estimate for the whole path */
    uint64_t phase_cycles[SE_PHASE_COUNT]; /**< the same, split by phase (see timing.h) */
} se_outcome;

/**
 * @brief Execute one SYSCALL instruction at user->rip (the machine places it there, mapping a
 * user page if needed) with the given user registers; run the entry path to the return to
 * user mode (stopping before any user instruction runs) or to a fault that ends the path.
 * Every return fills `out` (when it is not NULL): an argument or state error leaves it zeroed
 * (path ::SE_EXIT_NONE, stop ::SE_STOP_NONE); ::SE_ERR_LIMIT and backend errors fill it with
 * what ran (path ::SE_EXIT_NONE unless an exit completed, `chosen`, counts, registers).
 * A kernel that executes HLT at CPL0 returns ::SE_OK with path ::SE_EXIT_NONE, stop
 * ::SE_STOP_HLT and no fault: neither a return nor an exception.
 * @return ::SE_OK whenever the syscall ran (also for faults and HLT); ::SE_ERR_INVALID_ARG for
 *         NULL, a non-canonical, kernel-half or reserved `rip`, a `cs` other than __USER_CS;
 *         ::SE_ERR_LIMIT when the budget ran out; ::SE_ERR_STATE inside a handler or trace
 *         callback (no nested runs); ::SE_ERR_UNSUPPORTED when the code reached a privileged
 *         instruction the machine does not model at CPL0 (LGDT, INVLPG, port I/O, ...: the
 *         message names it; it did not run); ::SE_ERR_BACKEND, ::SE_ERR_NOMEM when the engine
 *         failed.
 */
SE_API se_status se_syscall(se_machine *m, const se_regs *user, se_outcome *out);

/** @brief One call of se_syscall_batch(): its registers in, what se_syscall() gave out. */
typedef struct se_batch_item {
    se_regs user;     /**< in: the user registers of this call, as for se_syscall() */
    se_outcome out;   /**< out: the outcome se_syscall() filled (zeroed if the call never ran) */
    se_status status; /**< out: what se_syscall() returned for this call; ::SE_ERR_STATE with
                           a zeroed `out` for a call the batch never reached */
} se_batch_item;

/**
 * @brief Many syscalls in one call, the fuzzing loop: for each item in order, return to
 * `snap` (when it is not NULL) and then se_syscall() with `items[i].user`. Every item gets the
 * outcome and status se_syscall() gives it when called alone after the same restore: the
 * batch changes no verdict, fault, count or cycle. A status of one call (::SE_ERR_INVALID_ARG
 * for a bad `rip`, ::SE_ERR_LIMIT, ::SE_ERR_UNSUPPORTED) does not end the batch; the machine
 * is left as the last call left it. With `snap` NULL the calls follow one another as
 * consecutive se_syscall() calls do.
 *
 * The calls still run one engine run each: a batch saves the per-call argument and state
 * checks, not the engine's entry and exit (docs/performance.md measures what that leaves).
 * @param m     the machine
 * @param snap  a snapshot of `m` to restore before every call, or NULL
 * @param items `n` items (`user` read, `out` and `status` written); may be NULL when n is 0
 * @param n     number of items
 * @param ran   receives how many items ran (n unless the batch stopped early); may be NULL
 * @return ::SE_OK when every item ran (each item's `status` says how its call went; the
 *         machine's last error is the message of the last item whose status was not ::SE_OK);
 *         ::SE_ERR_INVALID_ARG (NULL machine or items, or `snap` not a snapshot of `m`: nothing
 *         ran); ::SE_ERR_STATE inside a handler or trace callback, or when a restore is refused;
 *         ::SE_ERR_BACKEND or ::SE_ERR_NOMEM when the engine failed in a call or a restore: the
 *         batch stops there, that item's status says so, and the items after it are not run.
 */
SE_API se_status se_syscall_batch(se_machine *m, const se_snapshot *snap, se_batch_item *items,
                                  size_t n, size_t *ran);

/* ---- Your own entry code (docs/embedding.md) --------------------------------------------- */

/**
 * @brief The symbols of an entry object the library needs. Only `entry` is required; each
 * other name enables something. All are looked up among global and local symbols.
 */
typedef struct se_entry_names {
    const char *entry;       /**< the SYSCALL target: LSTAR is set to it (required) */
    const char *dispatch;    /**< instruction where the C handler runs, do_syscall_64-style:
                                  RDI = pt_regs, ESI = number (NULL: no handler) */
    const char *sysret_exit; /**< start of the SYSRET exit (optional) */
    const char *iret_exit;   /**< start of the IRET exit (optional; with `checks`, lets
                                  se_outcome name the failed check) */
    const char *checks[SE_CHECK_MAX_VALUE + 1]; /**< start label of each check (optional) */
} se_entry_names;

/** @brief Fill `names` with the labels of the built-in Linux rebuild (NULL is ignored). */
SE_API void se_entry_names_linux(se_entry_names *names);

/**
 * @brief Load entry code you assembled yourself: an ELF64 x86-64 relocatable object (sections
 * placed from `base`, `.entry.text` first) or executable (at its own addresses). The machine
 * must have been created with ::SE_ENTRY_NONE. Privileged instructions are found with Zydis
 * and modelled as for the built-in code; `.se_patch` alternatives and `.se_notes` notes are
 * honoured if present. Afterwards se_syscall(), traces, cycles and verdicts work as usual.
 * @param m     the machine, created with ::SE_ENTRY_NONE
 * @param elf   the ELF file's bytes; read during the call only
 * @param len   size of `elf` in bytes (non-zero)
 * @param base  page-aligned upper-half address for a relocatable object (ignored otherwise)
 * @param names symbols to look up (`entry` is required); read during the call only
 * @return ::SE_OK; ::SE_ERR_INVALID_ARG; ::SE_ERR_STATE (entry code already loaded, or inside a
 *         handler or trace callback); ::SE_ERR_FORMAT (malformed ELF, unsupported relocation,
 *         section not in the upper half); ::SE_ERR_NOT_FOUND (a named symbol or an undefined one);
 *         ::SE_ERR_CONFLICT (overlaps the machine's memory); ::SE_ERR_LIMIT (its
 *         sections do not fit in the guest RAM left: raise se_config.phys_mem_size).
 */
SE_API se_status se_load_entry_elf(se_machine *m, const void *elf, size_t len, uint64_t base,
                                   const se_entry_names *names);

#ifdef __cplusplus
}
#endif

#endif /* SYSENTRY_ENTRY_H */
