/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file config.h
 * @brief Machine configuration: vendor, paging mode, PTI/PCID, mitigations, kernel profile.
 */
#ifndef SYSENTRY_CONFIG_H
#define SYSENTRY_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sysentry/cpu.h>
#include <sysentry/export.h>
#include <sysentry/status.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Which kernel's return decision the built-in entry code follows (docs/entry.md). */
typedef enum se_kernel_profile {
    SE_KERNEL_6_6,  /**< checks in assembly after do_syscall_64, canonical test by shifts */
    SE_KERNEL_6_7,  /**< checks in C at the end of do_syscall_64, `ip >= TASK_SIZE_MAX` */
    SE_KERNEL_6_12, /**< Linux 6.12 (Debian trixie): 6.7's checks; the 6.8+ IRET exit returns
                         directly without PTI and asserts a user CS (ud2 otherwise) */
    SE_KERNEL_PROFILE_MAX_VALUE = SE_KERNEL_6_12 /**< highest valid ::se_kernel_profile value */
} se_kernel_profile;

/**
 * @brief Name of a kernel profile ("6.6", "6.7", ...), as the CLI's --kernel accepts it.
 * @return a static string; "unknown" for a value outside the enum (never NULL).
 */
SE_API const char *se_kernel_name(se_kernel_profile kernel);

/**
 * @brief NR_syscalls of the profile's kernel: one past the highest number in
 * arch/x86/entry/syscalls/syscall_64.tbl of that release (x32 numbers excluded).
 * @return the table size; 0 for a value outside the enum.
 */
SE_API uint32_t se_kernel_nr_syscalls(se_kernel_profile kernel);

/**
 * @brief The SYSRET-eligibility checks of the entry path, in Linux 6.6 order (C1..C6).
 *
 * ::SE_CHECK_XEN_PV is check C0 (a Xen PV guest always returns through IRET).
 */
typedef enum se_check {
    SE_CHECK_NONE = 0,                   /**< all checks passed: SYSRET allowed */
    SE_CHECK_RCX_RIP,                    /**< C1: pt_regs->cx == pt_regs->ip */
    SE_CHECK_CANONICAL,                  /**< C2: ip canonical (6.6) / ip < TASK_SIZE_MAX (6.7+) */
    SE_CHECK_CS,                         /**< C3: pt_regs->cs == __USER_CS */
    SE_CHECK_R11_FLAGS,                  /**< C4: pt_regs->r11 == pt_regs->flags */
    SE_CHECK_RF_TF,                      /**< C5: no RF or TF in pt_regs->flags */
    SE_CHECK_SS,                         /**< C6: pt_regs->ss == __USER_DS */
    SE_CHECK_XEN_PV,                     /**< C0: Xen PV guests always use IRET */
    SE_CHECK_MAX_VALUE = SE_CHECK_XEN_PV /**< highest valid ::se_check value */
} se_check;

/** Bit of ::se_config::disabled_checks that removes one check from the entry code. */
#define SE_CHECK_BIT(check) (1u << (unsigned)(check))
/** Every check that can be disabled (C0..C6). */
#define SE_CHECK_ALL_BITS                                                                          \
    (SE_CHECK_BIT(SE_CHECK_RCX_RIP) | SE_CHECK_BIT(SE_CHECK_CANONICAL) |                           \
     SE_CHECK_BIT(SE_CHECK_CS) | SE_CHECK_BIT(SE_CHECK_R11_FLAGS) | SE_CHECK_BIT(SE_CHECK_RF_TF) | \
     SE_CHECK_BIT(SE_CHECK_SS) | SE_CHECK_BIT(SE_CHECK_XEN_PV))

/**
 * @brief Short name of a check ("rcx_rip", "canonical", ..., "none").
 * @return a static string; "unknown" for a value outside the enum (never NULL).
 */
SE_API const char *se_check_name(se_check check);

/**
 * @brief How the machine moves the emulator between CPL0 and CPL3.
 *
 * Unicorn 2.0.1 has no public way to change CPL. ::SE_CPL_SWITCH_SURGERY patches the privilege
 * bits in a saved CPU context (fast, exact; verified against this Unicorn build at machine
 * creation). ::SE_CPL_SWITCH_PORTABLE uses only the public API (a call gate and IRETQ
 * trampolines). ::SE_CPL_SWITCH_AUTO takes surgery when the self-check passes.
 */
typedef enum se_cpl_switch {
    SE_CPL_SWITCH_AUTO,     /**< surgery if its self-check passes, else portable (default) */
    SE_CPL_SWITCH_SURGERY,  /**< patch the saved context; machine creation fails with
                                 ::SE_ERR_UNSUPPORTED if the self-check does not pass */
    SE_CPL_SWITCH_PORTABLE, /**< public Unicorn API only: a call gate and IRETQ trampolines */
    SE_CPL_SWITCH_MAX_VALUE = SE_CPL_SWITCH_PORTABLE /**< highest valid ::se_cpl_switch value */
} se_cpl_switch;

/** Which kernel entry code the machine loads at creation. */
typedef enum se_entry_code {
    SE_ENTRY_LINUX, /**< libsysentry's rebuild of Linux's entry_SYSCALL_64 (LSTAR points to it) */
    SE_ENTRY_NONE,  /**< nothing: the caller loads its own code and programs LSTAR */
    SE_ENTRY_CODE_MAX_VALUE = SE_ENTRY_NONE /**< highest valid ::se_entry_code value */
} se_entry_code;

/**
 * @brief Everything that is fixed when a machine is created.
 *
 * Always start from se_config_default() and change fields: new fields get safe defaults.
 */
typedef struct se_config {
    se_vendor vendor;         /**< whose SYSCALL/SYSRET semantics apply */
    bool la57;                /**< 5-level paging, 57-bit canonical addresses */
    bool pti;                 /**< page-table isolation: separate user/kernel PGDs, CR3 switch */
    bool pcid;                /**< CR4.PCIDE with Linux's kernel/user PCIDs (meaningful with pti) */
    bool ibrs;                /**< IBRS_ENTER/IBRS_EXIT: WRMSR IA32_SPEC_CTRL on entry and exit */
    bool verw;                /**< CLEAR_CPU_BUFFERS: VERW just before SYSRETQ/IRETQ (6.6.y, MDS) */
    bool xen_pv;              /**< behave as a Xen PV guest for check C0 (always IRET) */
    se_kernel_profile kernel; /**< where the SYSRET checks live and which ip test is used */
    uint32_t disabled_checks; /**< OR of SE_CHECK_BIT(): checks patched out of the code */
    uint32_t nr_syscalls;     /**< numbers 0 <= nr < nr_syscalls reach the handler; 0 (the
                                   default) takes the kernel profile's table size, see
                                   se_kernel_nr_syscalls(); any other value overrides it */
    uint16_t asid;            /**< Linux ASID 0..5; kernel PCID = asid + 1 */
    uint64_t insn_budget;     /**< guest instructions one run may execute (default 100000) */
    size_t phys_mem_size;     /**< guest RAM for page tables, kernel and user pages (bytes) */
    se_cpl_switch cpl_switch; /**< see ::se_cpl_switch */
    se_entry_code entry;      /**< see ::se_entry_code */
} se_config;

/**
 * @brief Fill `cfg` with the defaults: Linux 6.6 on Intel, 4-level paging, PTI and PCID on,
 * no IBRS, no VERW, all checks enabled, nr_syscalls 0 (the profile's table size), ASID 0, a
 * 100000-instruction budget, 4 MiB of guest RAM, automatic CPL switching, the built-in entry code.
 * @param cfg destination; NULL is ignored.
 */
SE_API void se_config_default(se_config *cfg);

/**
 * @brief Check a configuration without creating a machine.
 * @param cfg the configuration
 * @param why optional: receives a static explanation of the first problem found (or "").
 * @return ::SE_OK, or ::SE_ERR_INVALID_ARG for NULL, out-of-range enums, unknown check bits,
 *         asid > 5, nr_syscalls > 0x40000000, budget = 0, RAM not a multiple of 4 KiB or outside
 *         [1 MiB, 1 GiB], and ::SE_ERR_UNSUPPORTED for combinations the library cannot model.
 */
SE_API se_status se_config_validate(const se_config *cfg, const char **why);

/**
 * @brief The number of system calls a machine with this configuration dispatches:
 * ::se_config::nr_syscalls when it is set, else se_kernel_nr_syscalls() of its profile.
 * @return 0 for NULL or an out-of-range profile with nr_syscalls 0.
 */
SE_API uint32_t se_config_nr_syscalls(const se_config *cfg);

#ifdef __cplusplus
}
#endif

#endif /* SYSENTRY_CONFIG_H */
