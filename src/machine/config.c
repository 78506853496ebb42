/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <sysentry/config.h>

#include <stddef.h>

/* NR_syscalls of each profile: one past the highest native number in
 * arch/x86/entry/syscalls/syscall_64.tbl at that tag (the x32 range 512..547 is not native).
 * v6.6 ends at 453 map_shadow_stack; v6.7 adds 454 futex_wake, 455 futex_wait and
 * 456 futex_requeue (the futex2 calls). Linux 6.7 dispatches 454..456, 6.6 returns -ENOSYS.
 * v6.12 ends at 462 mseal (6.8: 457 statmount, 458 listmount, 459..461 lsm_*; 6.10: mseal;
 * 6.11's uretprobe took the free native slot 335, not a new top). */
static const struct {
    const char *name;
    uint32_t nr_syscalls;
} se_kernels[SE_KERNEL_PROFILE_MAX_VALUE + 1] = {
    [SE_KERNEL_6_6] = {"6.6", 454},
    [SE_KERNEL_6_7] = {"6.7", 457},
    [SE_KERNEL_6_12] = {"6.12", 463},
};

const char *se_kernel_name(se_kernel_profile kernel)
{
    if ((unsigned)kernel > SE_KERNEL_PROFILE_MAX_VALUE)
        return "unknown";
    return se_kernels[kernel].name;
}

uint32_t se_kernel_nr_syscalls(se_kernel_profile kernel)
{
    if ((unsigned)kernel > SE_KERNEL_PROFILE_MAX_VALUE)
        return 0;
    return se_kernels[kernel].nr_syscalls;
}

uint32_t se_config_nr_syscalls(const se_config *cfg)
{
    if (cfg == NULL)
        return 0;
    return cfg->nr_syscalls != 0 ? cfg->nr_syscalls : se_kernel_nr_syscalls(cfg->kernel);
}

void se_config_default(se_config *cfg)
{
    if (cfg == NULL)
        return;
    *cfg = (se_config){
        .vendor = SE_VENDOR_INTEL,
        .la57 = false,
        .pti = true,
        .pcid = true,
        .ibrs = false,
        .verw = false,
        .xen_pv = false,
        .kernel = SE_KERNEL_6_6,
        .disabled_checks = 0,
        .nr_syscalls = 0, /* the profile's table size */
        .asid = 0,
        .insn_budget = 100000,
        .phys_mem_size = 4u << 20,
        .cpl_switch = SE_CPL_SWITCH_AUTO,
        .entry = SE_ENTRY_LINUX,
    };
}

se_status se_config_validate(const se_config *cfg, const char **why)
{
    const char *dummy;
    if (why == NULL)
        why = &dummy;
    *why = "";
    if (cfg == NULL) {
        *why = "config is NULL";
        return SE_ERR_INVALID_ARG;
    }
#define SE_REJECT(cond, msg)                                                                       \
    do {                                                                                           \
        if (cond) {                                                                                \
            *why = (msg);                                                                          \
            return SE_ERR_INVALID_ARG;                                                             \
        }                                                                                          \
    } while (0)
    SE_REJECT((unsigned)cfg->vendor > SE_VENDOR_MAX_VALUE, "vendor out of range");
    SE_REJECT((unsigned)cfg->kernel > SE_KERNEL_PROFILE_MAX_VALUE, "kernel profile out of range");
    SE_REJECT((unsigned)cfg->cpl_switch > SE_CPL_SWITCH_MAX_VALUE, "cpl_switch out of range");
    SE_REJECT((unsigned)cfg->entry > SE_ENTRY_CODE_MAX_VALUE, "entry out of range");
    SE_REJECT(cfg->disabled_checks & ~SE_CHECK_ALL_BITS,
              "disabled_checks has bits that name no check (SE_CHECK_BIT of C0..C6 only)");
    /* Linux hands out ASIDs 0..TLB_NR_DYN_ASIDS-1 = 0..5 (arch/x86/include/asm/tlbflush.h@v6.6,
     * TLB_NR_DYN_ASIDS) */
    SE_REJECT(cfg->asid > 5, "asid must be 0..5 (kernel PCID = asid + 1)");
    /* 0 means "the profile's table size"; the bound keeps nr (a C int) positive */
    SE_REJECT(cfg->nr_syscalls > 0x40000000u,
              "nr_syscalls must be 0 (the profile's) or 1..0x40000000");
    SE_REJECT(cfg->insn_budget == 0, "insn_budget must be non-zero");
    SE_REJECT(cfg->phys_mem_size % 4096 != 0 || cfg->phys_mem_size < (1u << 20) ||
                  cfg->phys_mem_size > (1u << 30),
              "phys_mem_size must be a multiple of 4096 in [1 MiB, 1 GiB]");
#undef SE_REJECT
    /* pcid without pti is valid: CR4.PCIDE is on and the kernel runs on its PCID, but
     * the syscall path then has no CR3 switch for it to matter on. */
    return SE_OK;
}
