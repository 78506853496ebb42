/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file machine.h
 * @brief The machine: one emulated CPU with its memory, page tables, GDT/TSS and MSRs.
 *
 * A ::se_machine owns a Unicorn engine (its ALU, memory and page walker) and the privileged
 * state that libsysentry models itself (CPL, segment caches, CR3/PCID, EFER, the MSRs).
 * There is no global state: machines are independent, and one machine may be used by one
 * thread at a time.
 *
 * Callbacks (a syscall handler, see se_set_syscall_handler(); a trace callback, see
 * se_set_trace()) run inside the emulation, so what they may call on their machine is limited:
 * - always allowed: the reads se_machine_last_error(), se_machine_get_config(),
 *   se_get_cpu_state(), se_msr_read(), se_mem_read(), se_translate();
 * - in a syscall handler only: se_mem_write() (guest data, as the kernel's copy_to_user);
 * - allowed in both, deferred: se_set_trace(m, NULL, NULL) stops the trace at once, and the
 *   hook is removed when the run ends;
 * - refused with ::SE_ERR_STATE and a message naming the callback: everything else that
 *   changes the machine or runs it (se_syscall(), se_run(), se_enter_user(), se_msr_write(),
 *   se_mem_map(), se_mem_unmap(), se_load_kernel_code(), se_load_entry_elf(),
 *   se_snapshot_create(), se_snapshot_restore(), se_set_syscall_handler(),
 *   se_set_cost_profile(), se_set_trace() with a callback); se_machine_destroy() is a no-op.
 */
#ifndef SYSENTRY_MACHINE_H
#define SYSENTRY_MACHINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sysentry/config.h>
#include <sysentry/cpu.h>
#include <sysentry/export.h>
#include <sysentry/status.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Opaque machine handle; create with se_machine_create(), free with se_machine_destroy(). */
typedef struct se_machine se_machine;

/**
 * @brief Create a machine: engine, memory layout like Linux 6.6, page tables (4- or 5-level,
 * PTI pair when configured), GDT and TSS, MSRs programmed as Linux's syscall_init() does, and
 * (by default) the built-in entry code at LSTAR. The machine starts in user mode (CPL3) with
 * Linux's initial register state (all zero, RFLAGS 0x202) at the default user code address.
 *
 * @param cfg configuration; NULL means se_config_default().
 * @param out receives the handle; set to NULL on failure.
 * @return ::SE_OK; ::SE_ERR_INVALID_ARG / ::SE_ERR_UNSUPPORTED for a bad configuration (see
 *         se_config_validate()); ::SE_ERR_NOMEM; ::SE_ERR_BACKEND if Unicorn fails.
 */
SE_API se_status se_machine_create(const se_config *cfg, se_machine **out);

/**
 * @brief se_machine_create() that also says why it failed: a failed creation leaves no
 * machine to ask with se_machine_last_error(), so the reason is written to a caller buffer.
 * The message is the one se_config_validate() gives for a bad configuration (e.g. "asid must
 * be 0..5"), or the step of creation that failed (e.g. "guest RAM too small for the page
 * tables").
 * @param cfg    configuration; NULL means se_config_default().
 * @param out    receives the handle; set to NULL on failure.
 * @param err    optional (NULL: no message): receives a NUL-terminated message, "" on success,
 *               truncated to `errlen` bytes
 * @param errlen size of `err` in bytes (0: no message)
 * @return as se_machine_create().
 */
SE_API se_status se_machine_create_ex(const se_config *cfg, se_machine **out, char *err,
                                      size_t errlen);

/**
 * @brief Free a machine and everything it owns. NULL is a no-op.
 *
 * From inside a syscall handler or trace callback of `m` this is refused: it changes nothing
 * and se_machine_last_error() says so; destroy the machine after se_syscall() or se_run() has
 * returned. (Destroying it there would pull the engine out from under the running emulation;
 * deferring it would leave the caller of se_syscall() with a dangling handle.) Snapshots of
 * `m` stay valid objects to free, but no machine will accept them.
 */
SE_API void se_machine_destroy(se_machine *m);

/**
 * @brief Detail of the last call on `m` that did not return ::SE_OK, e.g.
 * "user rip 0x800000000000 is not canonical".
 * @return a string owned by the machine, valid until the next call on it; "" when the last
 *         call succeeded; a static message when `m` is NULL (a failed se_machine_create()
 *         returns no machine: use se_machine_create_ex() to learn why it failed).
 */
SE_API const char *se_machine_last_error(const se_machine *m);

/**
 * @brief Copy the configuration the machine was created with.
 * @return ::SE_OK, or ::SE_ERR_INVALID_ARG for NULL arguments.
 */
SE_API se_status se_machine_get_config(const se_machine *m, se_config *out);

/**
 * @brief Read the architectural state. Inside a syscall handler this is the kernel-side
 * state (CPL0, kernel CR3, kernel GS base, masked RFLAGS).
 * @return ::SE_OK, or ::SE_ERR_INVALID_ARG for NULL arguments.
 */
SE_API se_status se_get_cpu_state(se_machine *m, se_cpu_state *out);

/**
 * @brief Put the machine in user mode as Linux leaves it: CPL3, user CR3 (with PTI), user GS
 * base live and the per-CPU base in KERNEL_GS_BASE, and the given registers.
 * @param m    the machine
 * @param regs user registers; `cs` must be __USER_CS (0x33) and `ss` __USER_DS (0x2b), `rip`
 *        and `rsp` canonical, `rflags` without reserved bits, VM or IOPL (bit 1 is forced).
 * @return ::SE_OK, ::SE_ERR_INVALID_ARG (NULL or a value above; see se_machine_last_error()),
 *         ::SE_ERR_STATE inside a handler or trace callback.
 */
SE_API se_status se_enter_user(se_machine *m, const se_regs *regs);

/* ---- MSRs --------------------------------------------------------------------------- */

/**
 * @brief RDMSR as ring-0 code would execute it.
 * @param m     the machine
 * @param msr   MSR index (SE_MSR_IA32_*)
 * @param value receives the MSR's value; 0 when the read faults
 * @param fault receives \#GP(0) for an MSR the model does not implement (MSR-1); otherwise
 *        its kind is ::SE_FAULT_NONE.
 * @return ::SE_OK (also when a fault is reported), ::SE_ERR_INVALID_ARG for NULL arguments.
 */
SE_API se_status se_msr_read(se_machine *m, uint32_t msr, uint64_t *value, se_fault *fault);

/**
 * @brief WRMSR as ring-0 code would execute it, with every architectural \#GP case: unknown
 * MSR, non-canonical LSTAR/CSTAR/FS_BASE/GS_BASE/KERNEL_GS_BASE, reserved EFER/FMASK/SPEC_CTRL
 * bits, EFER.LME change while paging (MSR-1 .. MSR-8). A faulting write changes nothing.
 * @return ::SE_OK (also when a fault is reported), ::SE_ERR_INVALID_ARG for NULL arguments,
 *         ::SE_ERR_STATE inside a handler or trace callback.
 */
SE_API se_status se_msr_write(se_machine *m, uint32_t msr, uint64_t value, se_fault *fault);

/* ---- Memory ------------------------------------------------------------------------- */

/** Page is writable (PTE R/W). Every mapped page is readable; a writable page in the kernel
 * half is also never executable (::SE_MAP_NOEXEC is implied there, W^X as Linux's
 * STRICT_KERNEL_RWX), a writable user page is unless ::SE_MAP_NOEXEC is given. */
#define SE_MAP_WRITE 0x1u
/** Page is accessible from CPL3 (PTE U/S). */
#define SE_MAP_USER 0x2u
/** Supervisor page that PTI also maps in the user page tables (entry text, entry area). */
#define SE_MAP_PTI_SHARED 0x4u
/** Page is not executable: its PTE has XD (bit 63), so an instruction fetch from it raises
 * \#PF with the I/D bit while EFER.NXE is 1 (SDM Vol. 3A §4.6). Without it, a read-only
 * kernel page and any user page are executable. The machine sets XD only when its engine can
 * honour it (docs/machine.md, EFER.NXE); otherwise the flag is accepted and has no effect. */
#define SE_MAP_NOEXEC 0x8u
/** All valid ::se_mem_map flags. */
#define SE_MAP_ALL_FLAGS (SE_MAP_WRITE | SE_MAP_USER | SE_MAP_PTI_SHARED | SE_MAP_NOEXEC)

/**
 * @brief Map `size` bytes of zeroed guest RAM at linear address `va`, in every page table the
 * flags call for (user pages are in both PGDs under PTI).
 * @param m     the machine
 * @param va    page-aligned, canonical for the machine's paging mode
 * @param size  non-zero multiple of 4096
 * @param flags OR of ::SE_MAP_WRITE, ::SE_MAP_USER, ::SE_MAP_PTI_SHARED, ::SE_MAP_NOEXEC (0:
 *              read-only, executable supervisor pages); ::SE_MAP_USER is required in the lower half
 * and refused in the upper (kernel) half
 * @return ::SE_OK; ::SE_ERR_INVALID_ARG (alignment, flags, non-canonical, user page in the
 *         kernel half or the reverse); ::SE_ERR_CONFLICT (overlaps an existing mapping or the
 *         range reserved for guest-physical memory); ::SE_ERR_LIMIT (guest RAM exhausted);
 *         ::SE_ERR_STATE inside a handler or trace callback: the running walk and the
 *         entry path would see the tables change, and a snapshot restore would not undo it.
 */
SE_API se_status se_mem_map(se_machine *m, uint64_t va, uint64_t size, uint32_t flags);

/**
 * @brief Make mapped pages not present (P = 0) so that guest accesses raise \#PF. The backing
 * RAM stays reserved; se_mem_map() on the same range with the same flags makes them present
 * again, with their bytes (the engine's TLB is flushed both ways).
 * @return ::SE_OK, ::SE_ERR_INVALID_ARG, ::SE_ERR_NOT_MAPPED if a page was never mapped,
 *         ::SE_ERR_STATE inside a handler or trace callback (unmapping the stacks or
 *         pt_regs under the running entry path breaks it, and a restore does not remap).
 */
SE_API se_status se_mem_unmap(se_machine *m, uint64_t va, uint64_t size);

/**
 * @brief Copy guest memory out, by linear address, without permission checks.
 * @return ::SE_OK, ::SE_ERR_INVALID_ARG, ::SE_ERR_NOT_MAPPED if any byte is unmapped.
 */
SE_API se_status se_mem_read(se_machine *m, uint64_t va, void *buf, size_t len);

/**
 * @brief Copy bytes into guest memory, by linear address, without permission checks.
 * Writing code is allowed: the next execution of the range runs the new bytes, with every
 * privileged instruction in them modelled (docs/machine.md, "Translated code"). Allowed in a
 * syscall handler (for guest data); not in a trace callback, which runs inside an instruction.
 * @return ::SE_OK, ::SE_ERR_INVALID_ARG, ::SE_ERR_NOT_MAPPED if any byte is unmapped,
 *         ::SE_ERR_STATE inside a trace callback.
 */
SE_API se_status se_mem_write(se_machine *m, uint64_t va, const void *buf, size_t len);

/** Kind of access for se_translate(). */
typedef enum se_access {
    SE_ACCESS_READ,                       /**< data read */
    SE_ACCESS_WRITE,                      /**< data write: needs R/W (at CPL0 only with CR0.WP) */
    SE_ACCESS_FETCH,                      /**< instruction fetch: XD pages fail (with EFER.NXE) */
    SE_ACCESS_MAX_VALUE = SE_ACCESS_FETCH /**< highest valid ::se_access value */
} se_access;

/**
 * @brief Walk the page tables in C, as the CPU would for an access at a privilege level.
 * @param m      the machine
 * @param va     linear address to translate (any value: a non-canonical one reports \#GP)
 * @param access kind of access, checked against the entries' permissions
 * @param cpl    privilege level of the access: 0 (supervisor) or 3 (user); others are
 *               ::SE_ERR_INVALID_ARG
 * @param cr3   table root to use; 0 means the current CR3
 * @param pa    receives the physical address when the walk succeeds
 * @param fault receives \#PF with the architectural error code and CR2, or \#GP for a
 *              non-canonical address; kind ::SE_FAULT_NONE on success
 * @return ::SE_OK (also when a fault is reported), ::SE_ERR_INVALID_ARG.
 */
SE_API se_status se_translate(se_machine *m, uint64_t va, se_access access, uint8_t cpl,
                              uint64_t cr3, uint64_t *pa, se_fault *fault);

/**
 * @brief Load raw kernel code at `va`: maps supervisor pages (also in the user page tables
 * when `entry_text`), copies the bytes and decodes them with Zydis so that every privileged
 * instruction (SWAPGS, MOV to CR3, RDMSR/WRMSR, SYSRET, IRETQ) is hooked and modelled.
 * @return ::SE_OK, ::SE_ERR_INVALID_ARG, ::SE_ERR_CONFLICT, ::SE_ERR_LIMIT, ::SE_ERR_FORMAT
 *         when the bytes do not decode as a sequence of x86-64 instructions, ::SE_ERR_STATE
 *         inside a handler or trace callback.
 */
SE_API se_status se_load_kernel_code(se_machine *m, uint64_t va, const void *code, size_t len,
                                     bool entry_text);

/* ---- Running ------------------------------------------------------------------------ */

/** Why se_run() stopped. */
typedef enum se_stop_reason {
    SE_STOP_NONE,        /**< not run */
    SE_STOP_ADDRESS,     /**< reached one of the stop addresses (before executing it) */
    SE_STOP_USER_RETURN, /**< returned to CPL3 the requested number of times */
    SE_STOP_FAULT,       /**< the guest raised an exception (see ::se_run_result::fault) */
    SE_STOP_BUDGET,      /**< the instruction budget ran out */
    SE_STOP_HLT,         /**< HLT at CPL0 */
    SE_STOP_REASON_MAX_VALUE = SE_STOP_HLT /**< highest valid ::se_stop_reason value */
} se_stop_reason;

/** Maximum number of stop addresses in ::se_run_options. */
#define SE_RUN_MAX_STOPS 8

/** Options for se_run(); zero-initialise, then set what you need. */
typedef struct se_run_options {
    uint64_t stop_at[SE_RUN_MAX_STOPS]; /**< break before executing any of these */
    unsigned n_stop_at;                 /**< how many of stop_at are used */
    unsigned user_returns;              /**< stop after this many returns to CPL3 (0: never) */
    uint64_t max_insns;                 /**< 0: the configured budget */
} se_run_options;

/** What a se_run() did. */
typedef struct se_run_result {
    se_stop_reason reason; /**< why the run stopped */
    se_fault fault;        /**< valid when reason == ::SE_STOP_FAULT */
    uint64_t instructions; /**< guest instructions executed */
    uint64_t rip;          /**< where execution stopped */
    unsigned syscalls;     /**< SYSCALL instructions executed */
    unsigned user_returns; /**< returns to CPL3 (SYSRET or IRETQ) */
    uint64_t cycles;       /**< cost-model estimate of the instructions executed */
} se_run_result;

/**
 * @brief Run the guest from its current state until a stop condition.
 * @param m    the machine, run from its current registers and privilege level
 * @param opts NULL for defaults (run to fault, HLT or budget)
 * @param out  receives the result (required); zeroed first, so an error leaves it zero or partial
 * @return ::SE_OK whenever the run happened (also for faults and budget stops),
 *         ::SE_ERR_INVALID_ARG, ::SE_ERR_STATE inside a handler or trace callback (no
 *         nested runs), ::SE_ERR_UNSUPPORTED (a privileged instruction the machine does not
 *         model, at CPL0: named in the message, not run), ::SE_ERR_BACKEND.
 */
SE_API se_status se_run(se_machine *m, const se_run_options *opts, se_run_result *out);

#ifdef __cplusplus
}
#endif

#endif /* SYSENTRY_MACHINE_H */
