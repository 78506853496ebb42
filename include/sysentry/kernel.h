/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file kernel.h
 * @brief Real distribution kernels: load a `vmlinuz` (or `vmlinux`) and run its own entry code.
 *
 * se_load_kernel_image() turns a machine created with ::SE_ENTRY_NONE into one that runs the
 * image's unmodified `entry_SYSCALL_64`, patched by its alternatives for the machine's CPU
 * features as the kernel's boot would patch it. se_syscall(), traces, cycles and verdicts then
 * work as for the built-in rebuild; docs/real-kernels.md says what is loaded, patched, hooked
 * and not modelled.
 */
#ifndef SYSENTRY_KERNEL_H
#define SYSENTRY_KERNEL_H

#include <stddef.h>
#include <stdint.h>

#include <sysentry/config.h>
#include <sysentry/export.h>
#include <sysentry/machine.h>
#include <sysentry/status.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Guest RAM a kernel image needs, with room to spare for Debian's kernels (their text, rodata,
 * data and bss take 35–45 MiB): create the machine with `phys_mem_size` at least this large.
 */
#define SE_KERNEL_RAM_DEFAULT ((size_t)128 << 20)

/** @name CPU features beyond se_config, for se_kernel_opts::features
 * Mitigations the kernel's boot turns on for some CPUs; each selects that feature's
 * alternatives (the default, 0, is a CPU that needs none of them). */
/**@{*/
#define SE_KERNEL_FEAT_CLEAR_BHB_LOOP                                                              \
    0x1u                            /**< X86_FEATURE_CLEAR_BHB_LOOP: the BHI clearing loop         \
                                     */
#define SE_KERNEL_FEAT_RETHUNK 0x2u /**< X86_FEATURE_RETHUNK: return thunks */
#define SE_KERNEL_FEAT_UNRET   0x4u /**< X86_FEATURE_UNRET: untrain returns at entry (AMD) */
#define SE_KERNEL_FEAT_ALL     0x7u /**< every SE_KERNEL_FEAT_* bit */
/**@}*/

/** Options of se_load_kernel_image(); zero-initialise, then set what you need. */
typedef struct se_kernel_opts {
    /** A `System.map` or `/proc/kallsyms` text to take the symbols from instead of the
     * image's own kallsyms (NULL: use the image's). A KASLR slide in `/proc/kallsyms` is
     * removed using its `_text`. Read during the call only. */
    const char *symbols;
    size_t symbols_len; /**< length of `symbols` in bytes */
    uint32_t features;  /**< OR of SE_KERNEL_FEAT_*: more features the CPU is given */
} se_kernel_opts;

/**
 * @brief Load a distribution kernel image into a machine created with ::SE_ENTRY_NONE.
 *
 * Accepts a bzImage (`vmlinuz`: xz, zstd, LZ4 legacy or gzip payload) or an uncompressed
 * `vmlinux` ELF. Maps the kernel's text, rodata, data and bss at their link addresses, one
 * CPU's per-CPU area from the image's template, and (with PTI) user page tables holding only what
 * Linux maps there; applies the alternatives for the machine's configuration; sets LSTAR to the
 * image's `entry_SYSCALL_64`; hooks `do_syscall_64` (6.1) or `x64_sys_call` (6.7+) to call the
 * syscall handler; finds the SYSRET checks by decoding the code after the call (6.1) or takes
 * the verdict from do_syscall_64's return value (6.7+; se_outcome::failed_check names them).
 * Supported: Linux 6.1, whose checks are assembly after do_syscall_64 (hooked there), and Linux
 * 6.12, whose do_syscall_64 runs for real (its C checks decide; the handler is hooked at
 * x64_sys_call; kernel WARNs are reported, see se_kernel_warning_get()); other releases are
 * refused until their X86_FEATURE numbers are tabulated (docs/real-kernels.md).
 * @param m     a machine created with ::SE_ENTRY_NONE and at least ::SE_KERNEL_RAM_DEFAULT bytes
 *              of `phys_mem_size` (or what the message asks for)
 * @param image the file's bytes; read during the call only
 * @param len   size of `image` in bytes
 * @param opts  options, or NULL for the defaults
 * @return ::SE_OK; ::SE_ERR_INVALID_ARG (NULL, empty); ::SE_ERR_STATE (entry code already loaded,
 *         or inside a callback); ::SE_ERR_FORMAT (not a kernel image, malformed tables);
 *         ::SE_ERR_NOT_FOUND (a symbol the path needs is missing); ::SE_ERR_UNSUPPORTED (a
 *         kernel version or entry code the loader does not know, or se_config::xen_pv set: a
 *         Xen PV guest's exits are hypercalls); ::SE_ERR_LIMIT (guest RAM too
 *         small: the message gives the size needed); ::SE_ERR_NOMEM.
 *         On failure the machine may hold part of the image: destroy it.
 */
SE_API se_status se_load_kernel_image(se_machine *m, const void *image, size_t len,
                                      const se_kernel_opts *opts);

/** What se_load_kernel_image() found and did. */
typedef struct se_kernel_info {
    char release[64];      /**< the kernel release from its banner, e.g. "6.1.0-27-cloud-amd64" */
    unsigned major;        /**< version major number (6) */
    unsigned minor;        /**< version minor number (1) */
    size_t symbols;        /**< symbols known (kallsyms or the map file) */
    size_t alternatives;   /**< `.altinstructions` records */
    size_t applied;        /**< records applied for the machine's features */
    size_t applied_entry;  /**< of those, how many patch the entry text */
    uint64_t entry;        /**< entry_SYSCALL_64 (LSTAR) */
    uint64_t dispatch;     /**< do_syscall_64, where the handler runs */
    uint64_t percpu;       /**< the per-CPU area (kernel GS base) */
    uint32_t nr_syscalls;  /**< entries of its sys_call_table (the handler's range, unless
                                se_config::nr_syscalls overrides it) */
    bool espfix64;         /**< built with CONFIG_X86_ESPFIX64: IRET to an LDT stack segment
                                goes through espfix (the rebuild always does) */
    uint32_t checks_found; /**< SE_CHECK_BIT() of every check the decoder identified */
    uint32_t unknown_branches; /**< branches to the IRET exit the classifier could not name */
    size_t return_sites;       /**< `jmp __x86_return_thunk` sites made `ret`, as boot does without
                                    X86_FEATURE_RETHUNK (apply_returns) */
    size_t fentry_sites;       /**< `call __fentry__` sites made NOPs, as ftrace_init does */
    size_t bug_sites;          /**< WARN/BUG sites in `__bug_table` (see se_kernel_warning_get()) */
    /** true for Linux 6.7+: do_syscall_64 runs for real (its C checks decide SYSRET or IRET)
     * and the handler runs at `x64_sys_call`; false for 6.1: do_syscall_64 is the hook */
    bool c_entry;
    uint64_t sys_call;  /**< with `c_entry`: x64_sys_call, where the handler runs */
    uint64_t fpu_owner; /**< with `c_entry`: &current->thread.fpu, put in the per-CPU
                             fpu_fpregs_owner_ctx (offset from the image's BTF) */
} se_kernel_info;

/**
 * @brief Describe the kernel loaded into `m`.
 * @return ::SE_OK; ::SE_ERR_INVALID_ARG (NULL); ::SE_ERR_STATE (no kernel image loaded).
 */
SE_API se_status se_kernel_info_get(se_machine *m, se_kernel_info *out);

/**
 * @brief Symbolize a kernel address with the loaded kernel's symbols.
 * @param m      a machine with a kernel image
 * @param addr   any address
 * @param offset receives addr minus the symbol's address (may be NULL)
 * @return the nearest symbol at or below addr, or NULL (no kernel, no symbol). The string
 *         lives as long as the machine.
 */
SE_API const char *se_kernel_symbol(se_machine *m, uint64_t addr, uint64_t *offset);

/**
 * @brief Look up a kernel symbol by name.
 * @param m    a machine with a kernel image
 * @param name the symbol (a global wins over a local of the same name)
 * @param addr receives the address (for a per-CPU variable: its offset in the per-CPU area)
 * @return ::SE_OK; ::SE_ERR_INVALID_ARG; ::SE_ERR_STATE (no kernel image); ::SE_ERR_NOT_FOUND.
 */
SE_API se_status se_kernel_lookup(se_machine *m, const char *name, uint64_t *addr);

/** A kernel WARN or BUG site that the last se_syscall() or se_run() reached. */
typedef struct se_kernel_warning {
    uint64_t addr;      /**< its UD2 (what WARN_ON()/BUG_ON() compile to) */
    const char *symbol; /**< the function holding it (kallsyms), or NULL */
    uint64_t offset;    /**< addr minus the function's address */
    const char *file;   /**< source file from the image's `__bug_table`, or NULL */
    unsigned line;      /**< its line, 0 when the table has none */
    /** true for a WARN: the kernel's \#UD handler reports it and resumes after the UD2, and so
     * does the machine; false for a BUG: the kernel oopses, and the run ended with a \#UD
     * fault at `addr` */
    bool warning;
} se_kernel_warning;

/**
 * @brief How many WARN/BUG sites the last se_syscall() or se_run() on `m` reached (each time
 * counts). A real kernel's path reaches none for any register state it accepts; one that
 * does is worth a look (a fuzzer may treat it as a finding).
 * @return the count; 0 without a kernel image, for NULL, or before any run
 */
SE_API unsigned se_kernel_warning_count(se_machine *m);

/**
 * @brief The `i`-th WARN/BUG site reached by the last run, in the order reached; the first
 * 16 are kept. The strings live as long as the machine.
 * @return ::SE_OK; ::SE_ERR_INVALID_ARG (NULL); ::SE_ERR_NOT_FOUND (`i` not kept or not
 *         reached); ::SE_ERR_STATE (no kernel image).
 */
SE_API se_status se_kernel_warning_get(se_machine *m, unsigned i, se_kernel_warning *out);

#ifdef __cplusplus
}
#endif

#endif /* SYSENTRY_KERNEL_H */
