#include <sysentry/config.h>

#include <stddef.h>

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
        .nr_syscalls = 454,
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
    /* Linux hands out ASIDs 0..TLB_NR_DYN_ASIDS-1 = 0..5 (linux-6.6-entry §10) */
    SE_REJECT(cfg->asid > 5, "asid must be 0..5 (kernel PCID = asid + 1)");
    SE_REJECT(cfg->nr_syscalls == 0 || cfg->nr_syscalls > 0x40000000u,
              "nr_syscalls must be 1..0x40000000");
    SE_REJECT(cfg->insn_budget == 0, "insn_budget must be non-zero");
    SE_REJECT(cfg->phys_mem_size % 4096 != 0 || cfg->phys_mem_size < (1u << 20) ||
                  cfg->phys_mem_size > (1u << 30),
              "phys_mem_size must be a multiple of 4096 in [1 MiB, 1 GiB]");
#undef SE_REJECT
    /* pcid without pti is valid: CR4.PCIDE is on and the kernel runs on its PCID, but
     * the syscall path then has no CR3 switch for it to matter on. */
    return SE_OK;
}
