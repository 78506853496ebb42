/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * RDMSR/WRMSR on the syscall path's MSRs (docs/model.md, MSR-1..8): one named row per case,
 * both vendors where EFER differs, 48- and 57-bit CPUs for the canonical checks. A faulting
 * WRMSR must leave the state byte-identical; a successful one must land in exactly one field.
 */
#include "../cpu/cpu_test.h"

#include <stddef.h>
#include <string.h>

#define VI         SE_VENDOR_INTEL
#define VA         SE_VENDOR_AMD
#define EFER_LINUX (SE_EFER_SCE | SE_EFER_LME | SE_EFER_LMA | SE_EFER_NXE)
#define T_NOWHERE  SIZE_MAX /* a command MSR: nothing is stored */
#define AT(field)  offsetof(se_cpu_state, field)
/* reserved bits used as test inputs */
#define EFER_BIT1  (1ull << 1)
#define EFER_BIT9  (1ull << 9)
#define EFER_BIT16 (1ull << 16)
#define BIT32      (1ull << 32)
#define BIT63      (1ull << 63)
#define SPEC_BIT3  (1ull << 3)
#define PRED_BIT1  (1ull << 1)
#define SPEC_ALL   (SE_SPEC_CTRL_IBRS | SE_SPEC_CTRL_STIBP | SE_SPEC_CTRL_SSBD)
/* MSR indexes this model does not implement */
#define MSR_SYSENTER_CS  0x00000174u
#define MSR_TSC_AUX      0xC0000103u
#define MSR_TSC_DEADLINE 0x000006E0u /* IA32_TSC_DEADLINE: not modelled */
#define MSR_AFTER_FMASK  0xC0000085u

typedef struct wrmsr_row {
    const char *name;
    se_vendor vendor;
    bool cpu_la57;
    bool no_nx;      /* CPU without NX (and EFER.NXE clear) */
    bool paging_off; /* CR0.PG clear */
    uint64_t efer;   /* EFER before; 0: Linux's (without NXE if no_nx) */
    uint8_t cpl;
    uint32_t msr;
    uint64_t value;
    bool gp;
    size_t field;               /* where the value must land */
    uint64_t stored;            /* what must land there (and what RDMSR returns) */
    unsigned feat_on, feat_off; /* T_F_* changes to the vendor's reference CPU */
} wrmsr_row;

#define GP .gp = true

static const wrmsr_row wrmsr_rows[] = {
    /* MSR-7: EFER */
    {.name = "test_wrmsr_efer_same_value_ok",
     .vendor = VI,
     .msr = SE_MSR_IA32_EFER,
     .value = EFER_LINUX,
     .field = AT(efer),
     .stored = EFER_LINUX},
    {.name = "test_wrmsr_efer_clear_sce_ok",
     .vendor = VI,
     .msr = SE_MSR_IA32_EFER,
     .value = EFER_LINUX & ~SE_EFER_SCE,
     .field = AT(efer),
     .stored = EFER_LINUX & ~SE_EFER_SCE},
    {.name = "test_wrmsr_efer_clear_nxe_ok",
     .vendor = VA,
     .msr = SE_MSR_IA32_EFER,
     .value = EFER_LINUX & ~SE_EFER_NXE,
     .field = AT(efer),
     .stored = EFER_LINUX & ~SE_EFER_NXE},
    {.name = "test_wrmsr_efer_lma_written_0_stays_1",
     .vendor = VI,
     .msr = SE_MSR_IA32_EFER,
     .value = EFER_LINUX & ~SE_EFER_LMA,
     .field = AT(efer),
     .stored = EFER_LINUX},
    {.name = "test_wrmsr_efer_lma_written_1_stays_0",
     .vendor = VI,
     .paging_off = true,
     .efer = SE_EFER_SCE | SE_EFER_LME,
     .msr = SE_MSR_IA32_EFER,
     .value = SE_EFER_SCE | SE_EFER_LME | SE_EFER_LMA,
     .field = AT(efer),
     .stored = SE_EFER_SCE | SE_EFER_LME},
    {.name = "test_wrmsr_efer_clear_lme_while_paging_gp",
     .vendor = VI,
     .msr = SE_MSR_IA32_EFER,
     .value = EFER_LINUX & ~SE_EFER_LME,
     GP},
    {.name = "test_wrmsr_efer_set_lme_while_paging_gp",
     .vendor = VA,
     .efer = SE_EFER_SCE,
     .msr = SE_MSR_IA32_EFER,
     .value = SE_EFER_SCE | SE_EFER_LME,
     GP},
    {.name = "test_wrmsr_efer_set_lme_paging_off_ok",
     .vendor = VI,
     .paging_off = true,
     .efer = SE_EFER_SCE,
     .msr = SE_MSR_IA32_EFER,
     .value = SE_EFER_SCE | SE_EFER_LME,
     .field = AT(efer),
     .stored = SE_EFER_SCE | SE_EFER_LME},
    {.name = "test_wrmsr_efer_clear_lme_paging_off_ok",
     .vendor = VI,
     .paging_off = true,
     .efer = SE_EFER_SCE | SE_EFER_LME,
     .msr = SE_MSR_IA32_EFER,
     .value = SE_EFER_SCE,
     .field = AT(efer),
     .stored = SE_EFER_SCE},
    {.name = "test_wrmsr_efer_nxe_without_nx_gp",
     .vendor = VI,
     .no_nx = true,
     .msr = SE_MSR_IA32_EFER,
     .value = EFER_LINUX,
     GP},
    {.name = "test_wrmsr_efer_nxe_without_nx_amd_gp",
     .vendor = VA,
     .no_nx = true,
     .msr = SE_MSR_IA32_EFER,
     .value = EFER_LINUX,
     GP},
    {.name = "test_wrmsr_efer_without_nxe_on_cpu_without_nx_ok",
     .vendor = VI,
     .no_nx = true,
     .msr = SE_MSR_IA32_EFER,
     .value = EFER_LINUX & ~SE_EFER_NXE,
     .field = AT(efer),
     .stored = EFER_LINUX & ~SE_EFER_NXE},
    {.name = "test_wrmsr_efer_svme_intel_gp",
     .vendor = VI,
     .msr = SE_MSR_IA32_EFER,
     .value = EFER_LINUX | SE_EFER_SVME,
     GP},
    {.name = "test_wrmsr_efer_svme_amd_ok",
     .vendor = VA,
     .msr = SE_MSR_IA32_EFER,
     .value = EFER_LINUX | SE_EFER_SVME,
     .field = AT(efer),
     .stored = EFER_LINUX | SE_EFER_SVME},
    {.name = "test_wrmsr_efer_lmsle_intel_gp",
     .vendor = VI,
     .msr = SE_MSR_IA32_EFER,
     .value = EFER_LINUX | SE_EFER_LMSLE,
     GP},
    /* AMD APM Vol. 2 §3.1.7: LMSLE only before Zen 3 (EferLmsleUnsupported from then on) */
    {.name = "test_wrmsr_efer_lmsle_amd_pre_zen3_ok",
     .vendor = VA,
     .feat_on = T_F_LMSLE,
     .msr = SE_MSR_IA32_EFER,
     .value = EFER_LINUX | SE_EFER_LMSLE,
     .field = AT(efer),
     .stored = EFER_LINUX | SE_EFER_LMSLE},
    {.name = "test_wrmsr_efer_lmsle_amd_zen4_gp",
     .vendor = VA,
     .msr = SE_MSR_IA32_EFER,
     .value = EFER_LINUX | SE_EFER_LMSLE,
     GP},
    /* AMD APM Vol. 2 §3.1.7: AIBRSE (bit 21) with AutomaticIBRS, which Linux sets on Zen 4 */
    {.name = "test_wrmsr_efer_aibrse_amd_zen4_ok",
     .vendor = VA,
     .msr = SE_MSR_IA32_EFER,
     .value = EFER_LINUX | SE_EFER_AIBRSE,
     .field = AT(efer),
     .stored = EFER_LINUX | SE_EFER_AIBRSE},
    {.name = "test_wrmsr_efer_aibrse_amd_without_autoibrs_gp",
     .vendor = VA,
     .feat_off = T_F_AUTO_IBRS,
     .msr = SE_MSR_IA32_EFER,
     .value = EFER_LINUX | SE_EFER_AIBRSE,
     GP},
    {.name = "test_wrmsr_efer_aibrse_intel_gp",
     .vendor = VI,
     .feat_on = T_F_AUTO_IBRS, /* an AMD-only bit, whatever the flag says */
     .msr = SE_MSR_IA32_EFER,
     .value = EFER_LINUX | SE_EFER_AIBRSE,
     GP},
    {.name = "test_wrmsr_efer_ffxsr_intel_gp",
     .vendor = VI,
     .msr = SE_MSR_IA32_EFER,
     .value = EFER_LINUX | SE_EFER_FFXSR,
     GP},
    {.name = "test_wrmsr_efer_ffxsr_amd_ok",
     .vendor = VA,
     .msr = SE_MSR_IA32_EFER,
     .value = EFER_LINUX | SE_EFER_FFXSR,
     .field = AT(efer),
     .stored = EFER_LINUX | SE_EFER_FFXSR},
    {.name = "test_wrmsr_efer_tce_intel_gp",
     .vendor = VI,
     .msr = SE_MSR_IA32_EFER,
     .value = EFER_LINUX | SE_EFER_TCE,
     GP},
    {.name = "test_wrmsr_efer_tce_amd_ok",
     .vendor = VA,
     .msr = SE_MSR_IA32_EFER,
     .value = EFER_LINUX | SE_EFER_TCE,
     .field = AT(efer),
     .stored = EFER_LINUX | SE_EFER_TCE},
    {.name = "test_wrmsr_efer_reserved_bit1_gp",
     .vendor = VI,
     .msr = SE_MSR_IA32_EFER,
     .value = EFER_LINUX | EFER_BIT1,
     GP},
    {.name = "test_wrmsr_efer_reserved_bit9_amd_gp",
     .vendor = VA,
     .msr = SE_MSR_IA32_EFER,
     .value = EFER_LINUX | EFER_BIT9,
     GP},
    {.name = "test_wrmsr_efer_reserved_bit16_amd_gp",
     .vendor = VA,
     .msr = SE_MSR_IA32_EFER,
     .value = EFER_LINUX | EFER_BIT16,
     GP},
    {.name = "test_wrmsr_efer_reserved_bit63_gp",
     .vendor = VI,
     .msr = SE_MSR_IA32_EFER,
     .value = EFER_LINUX | BIT63,
     GP},
    /* MSR-2: STAR is not validated */
    {.name = "test_wrmsr_star_linux_ok",
     .vendor = VI,
     .msr = SE_MSR_IA32_STAR,
     .value = SE_LINUX_STAR,
     .field = AT(star),
     .stored = SE_LINUX_STAR},
    {.name = "test_wrmsr_star_rpl0_base_ok",
     .vendor = VA,
     .msr = SE_MSR_IA32_STAR,
     .value = T_STAR(SE_KERNEL_CS, SE_KERNEL_CS),
     .field = AT(star),
     .stored = T_STAR(SE_KERNEL_CS, SE_KERNEL_CS)},
    {.name = "test_wrmsr_star_all_ones_ok",
     .vendor = VI,
     .msr = SE_MSR_IA32_STAR,
     .value = UINT64_MAX,
     .field = AT(star),
     .stored = UINT64_MAX},
    /* MSR-3: LSTAR canonical for the CPU-supported width (CANON-3) */
    {.name = "test_wrmsr_lstar_kernel_text_ok",
     .vendor = VI,
     .msr = SE_MSR_IA32_LSTAR,
     .value = T_LSTAR,
     .field = AT(lstar),
     .stored = T_LSTAR},
    {.name = "test_wrmsr_lstar_top_user_w48_ok",
     .vendor = VI,
     .msr = SE_MSR_IA32_LSTAR,
     .value = 0x00007fffffffffffull,
     .field = AT(lstar),
     .stored = 0x00007fffffffffffull},
    {.name = "test_wrmsr_lstar_lowest_kernel_w48_ok",
     .vendor = VI,
     .msr = SE_MSR_IA32_LSTAR,
     .value = 0xffff800000000000ull,
     .field = AT(lstar),
     .stored = 0xffff800000000000ull},
    {.name = "test_wrmsr_lstar_noncanonical_w48_gp",
     .vendor = VI,
     .msr = SE_MSR_IA32_LSTAR,
     .value = 0x0000800000000000ull,
     GP},
    {.name = "test_wrmsr_lstar_noncanonical_w48_amd_gp",
     .vendor = VA,
     .msr = SE_MSR_IA32_LSTAR,
     .value = 0x0000800000000000ull,
     GP},
    {.name = "test_wrmsr_lstar_just_below_kernel_w48_gp",
     .vendor = VI,
     .msr = SE_MSR_IA32_LSTAR,
     .value = 0xffff7fffffffffffull,
     GP},
    {.name = "test_wrmsr_lstar_bit63_only_gp",
     .vendor = VI,
     .msr = SE_MSR_IA32_LSTAR,
     .value = BIT63,
     GP},
    {.name = "test_wrmsr_lstar_bit47_la57_cpu_ok_without_cr4_la57",
     .vendor = VI,
     .cpu_la57 = true,
     .msr = SE_MSR_IA32_LSTAR,
     .value = 0x0000800000000000ull,
     .field = AT(lstar),
     .stored = 0x0000800000000000ull},
    {.name = "test_wrmsr_lstar_top_user_w57_ok",
     .vendor = VI,
     .cpu_la57 = true,
     .msr = SE_MSR_IA32_LSTAR,
     .value = 0x00ffffffffffffffull,
     .field = AT(lstar),
     .stored = 0x00ffffffffffffffull},
    {.name = "test_wrmsr_lstar_bit56_w57_gp",
     .vendor = VI,
     .cpu_la57 = true,
     .msr = SE_MSR_IA32_LSTAR,
     .value = 0x0100000000000000ull,
     GP},
    {.name = "test_wrmsr_lstar_lowest_kernel_w57_ok",
     .vendor = VA,
     .cpu_la57 = true,
     .msr = SE_MSR_IA32_LSTAR,
     .value = 0xff00000000000000ull,
     .field = AT(lstar),
     .stored = 0xff00000000000000ull},
    {.name = "test_wrmsr_lstar_just_below_kernel_w57_gp",
     .vendor = VI,
     .cpu_la57 = true,
     .msr = SE_MSR_IA32_LSTAR,
     .value = 0xfeffffffffffffffull,
     GP},
    /* MSR-3: CSTAR */
    {.name = "test_wrmsr_cstar_ok",
     .vendor = VA,
     .msr = SE_MSR_IA32_CSTAR,
     .value = T_CSTAR,
     .field = AT(cstar),
     .stored = T_CSTAR},
    {.name = "test_wrmsr_cstar_noncanonical_w48_gp",
     .vendor = VA,
     .msr = SE_MSR_IA32_CSTAR,
     .value = 0x0000800000000000ull,
     GP},
    {.name = "test_wrmsr_cstar_bit56_w57_gp",
     .vendor = VI,
     .cpu_la57 = true,
     .msr = SE_MSR_IA32_CSTAR,
     .value = 0x0100000000000000ull,
     GP},
    /* MSR-6: FS_BASE and GS_BASE are the hidden bases */
    {.name = "test_wrmsr_fs_base_lands_in_regs",
     .vendor = VI,
     .msr = SE_MSR_IA32_FS_BASE,
     .value = 0x00007f1234560000ull,
     .field = AT(regs.fs_base),
     .stored = 0x00007f1234560000ull},
    {.name = "test_wrmsr_fs_base_noncanonical_w48_gp",
     .vendor = VI,
     .msr = SE_MSR_IA32_FS_BASE,
     .value = 0x0000800000000000ull,
     GP},
    {.name = "test_wrmsr_fs_base_bit47_w57_ok",
     .vendor = VA,
     .cpu_la57 = true,
     .msr = SE_MSR_IA32_FS_BASE,
     .value = 0x0000800000000000ull,
     .field = AT(regs.fs_base),
     .stored = 0x0000800000000000ull},
    {.name = "test_wrmsr_gs_base_lands_in_regs",
     .vendor = VI,
     .msr = SE_MSR_IA32_GS_BASE,
     .value = T_KERNEL_GS,
     .field = AT(regs.gs_base),
     .stored = T_KERNEL_GS},
    {.name = "test_wrmsr_gs_base_noncanonical_w48_gp",
     .vendor = VA,
     .msr = SE_MSR_IA32_GS_BASE,
     .value = 0x0001000000000000ull,
     GP},
    {.name = "test_wrmsr_gs_base_bit56_w57_gp",
     .vendor = VI,
     .cpu_la57 = true,
     .msr = SE_MSR_IA32_GS_BASE,
     .value = 0x0100000000000000ull,
     GP},
    /* MSR-5: KERNEL_GS_BASE */
    {.name = "test_wrmsr_kernel_gs_base_ok",
     .vendor = VI,
     .msr = SE_MSR_IA32_KERNEL_GS_BASE,
     .value = 0xffff888000001000ull,
     .field = AT(kernel_gs_base),
     .stored = 0xffff888000001000ull},
    {.name = "test_wrmsr_kernel_gs_base_noncanonical_w48_gp",
     .vendor = VI,
     .msr = SE_MSR_IA32_KERNEL_GS_BASE,
     .value = 0x0000800000000000ull,
     GP},
    {.name = "test_wrmsr_kernel_gs_base_bit47_w57_ok",
     .vendor = VI,
     .cpu_la57 = true,
     .msr = SE_MSR_IA32_KERNEL_GS_BASE,
     .value = 0x0000800000000000ull,
     .field = AT(kernel_gs_base),
     .stored = 0x0000800000000000ull},
    {.name = "test_wrmsr_kernel_gs_base_bit63_w57_amd_gp",
     .vendor = VA,
     .cpu_la57 = true,
     .msr = SE_MSR_IA32_KERNEL_GS_BASE,
     .value = BIT63,
     GP},
    /* MSR-4: FMASK bits 63:32 reserved */
    {.name = "test_wrmsr_fmask_linux_ok",
     .vendor = VI,
     .msr = SE_MSR_IA32_FMASK,
     .value = SE_LINUX_SYSCALL_MASK,
     .field = AT(sfmask),
     .stored = SE_LINUX_SYSCALL_MASK},
    {.name = "test_wrmsr_fmask_low_half_all_ones_ok",
     .vendor = VA,
     .msr = SE_MSR_IA32_FMASK,
     .value = UINT32_MAX,
     .field = AT(sfmask),
     .stored = UINT32_MAX},
    {.name = "test_wrmsr_fmask_zero_ok",
     .vendor = VI,
     .msr = SE_MSR_IA32_FMASK,
     .value = 0,
     .field = AT(sfmask),
     .stored = 0},
    {.name = "test_wrmsr_fmask_bit32_gp",
     .vendor = VI,
     .msr = SE_MSR_IA32_FMASK,
     .value = SE_LINUX_SYSCALL_MASK | BIT32,
     GP},
    {.name = "test_wrmsr_fmask_bit63_amd_gp",
     .vendor = VA,
     .msr = SE_MSR_IA32_FMASK,
     .value = BIT63,
     GP},
    /* MSR-8: SPEC_CTRL */
    {.name = "test_wrmsr_spec_ctrl_ibrs_ok",
     .vendor = VI,
     .msr = SE_MSR_IA32_SPEC_CTRL,
     .value = SE_SPEC_CTRL_IBRS,
     .field = AT(spec_ctrl),
     .stored = SE_SPEC_CTRL_IBRS},
    {.name = "test_wrmsr_spec_ctrl_stibp_ok",
     .vendor = VI,
     .msr = SE_MSR_IA32_SPEC_CTRL,
     .value = SE_SPEC_CTRL_STIBP,
     .field = AT(spec_ctrl),
     .stored = SE_SPEC_CTRL_STIBP},
    {.name = "test_wrmsr_spec_ctrl_ssbd_ok",
     .vendor = VA,
     .msr = SE_MSR_IA32_SPEC_CTRL,
     .value = SE_SPEC_CTRL_SSBD,
     .field = AT(spec_ctrl),
     .stored = SE_SPEC_CTRL_SSBD},
    {.name = "test_wrmsr_spec_ctrl_all_three_ok",
     .vendor = VI,
     .msr = SE_MSR_IA32_SPEC_CTRL,
     .value = SPEC_ALL,
     .field = AT(spec_ctrl),
     .stored = SPEC_ALL},
    /* MSR-8: the later controls exist only with their CPUID bits (Intel SDM Vol. 4 Table 2-2;
     * AMD: PSFD). A newer Intel has all three; the Skylake-class reference none; Zen 4 PSFD */
    {.name = "test_wrmsr_spec_ctrl_rrsba_dis_s_ok",
     .vendor = VI,
     .feat_on = T_F_RRSBA_CTRL,
     .msr = SE_MSR_IA32_SPEC_CTRL,
     .value = SE_SPEC_CTRL_RRSBA_DIS_S,
     .field = AT(spec_ctrl),
     .stored = SE_SPEC_CTRL_RRSBA_DIS_S},
    {.name = "test_wrmsr_spec_ctrl_rrsba_dis_s_skylake_gp",
     .vendor = VI,
     .msr = SE_MSR_IA32_SPEC_CTRL,
     .value = SE_SPEC_CTRL_RRSBA_DIS_S,
     GP},
    {.name = "test_wrmsr_spec_ctrl_rrsba_dis_s_zen4_gp",
     .vendor = VA,
     .msr = SE_MSR_IA32_SPEC_CTRL,
     .value = SE_SPEC_CTRL_RRSBA_DIS_S,
     GP},
    {.name = "test_wrmsr_spec_ctrl_psfd_zen4_ok",
     .vendor = VA,
     .msr = SE_MSR_IA32_SPEC_CTRL,
     .value = SE_SPEC_CTRL_SSBD | SE_SPEC_CTRL_PSFD,
     .field = AT(spec_ctrl),
     .stored = SE_SPEC_CTRL_SSBD | SE_SPEC_CTRL_PSFD},
    {.name = "test_wrmsr_spec_ctrl_psfd_intel_with_psfd_ok",
     .vendor = VI,
     .feat_on = T_F_PSFD,
     .msr = SE_MSR_IA32_SPEC_CTRL,
     .value = SE_SPEC_CTRL_PSFD,
     .field = AT(spec_ctrl),
     .stored = SE_SPEC_CTRL_PSFD},
    {.name = "test_wrmsr_spec_ctrl_psfd_skylake_gp",
     .vendor = VI,
     .msr = SE_MSR_IA32_SPEC_CTRL,
     .value = SE_SPEC_CTRL_PSFD,
     GP},
    {.name = "test_wrmsr_spec_ctrl_bhi_dis_s_ok",
     .vendor = VI,
     .feat_on = T_F_BHI_CTRL,
     .msr = SE_MSR_IA32_SPEC_CTRL,
     .value = SE_SPEC_CTRL_BHI_DIS_S,
     .field = AT(spec_ctrl),
     .stored = SE_SPEC_CTRL_BHI_DIS_S},
    {.name = "test_wrmsr_spec_ctrl_bhi_dis_s_skylake_gp",
     .vendor = VI,
     .msr = SE_MSR_IA32_SPEC_CTRL,
     .value = SE_SPEC_CTRL_IBRS | SE_SPEC_CTRL_BHI_DIS_S,
     GP},
    {.name = "test_wrmsr_spec_ctrl_rrsba_dis_s_with_only_bhi_ctrl_gp",
     .vendor = VI,
     .feat_on = T_F_BHI_CTRL, /* each control stands alone: RRSBA_DIS_S still reserved */
     .msr = SE_MSR_IA32_SPEC_CTRL,
     .value = SE_SPEC_CTRL_RRSBA_DIS_S | SE_SPEC_CTRL_BHI_DIS_S,
     GP},
    {.name = "test_wrmsr_spec_ctrl_all_controls_newer_intel_ok",
     .vendor = VI,
     .feat_on = T_F_RRSBA_CTRL | T_F_PSFD | T_F_BHI_CTRL,
     .msr = SE_MSR_IA32_SPEC_CTRL,
     .value = SPEC_ALL | SE_SPEC_CTRL_RRSBA_DIS_S | SE_SPEC_CTRL_BHI_DIS_S,
     .field = AT(spec_ctrl),
     .stored = SPEC_ALL | SE_SPEC_CTRL_RRSBA_DIS_S | SE_SPEC_CTRL_BHI_DIS_S},
    {.name = "test_wrmsr_spec_ctrl_reserved_bit3_gp",
     .vendor = VI,
     .msr = SE_MSR_IA32_SPEC_CTRL,
     .value = SE_SPEC_CTRL_IBRS | SPEC_BIT3,
     GP},
    {.name = "test_wrmsr_spec_ctrl_bit63_gp",
     .vendor = VA,
     .msr = SE_MSR_IA32_SPEC_CTRL,
     .value = BIT63,
     GP},
    /* PRED_CMD: a write-only command */
    {.name = "test_wrmsr_pred_cmd_ibpb_stores_nothing",
     .vendor = VI,
     .msr = SE_MSR_IA32_PRED_CMD,
     .value = SE_PRED_CMD_IBPB,
     .field = T_NOWHERE},
    {.name = "test_wrmsr_pred_cmd_zero_ok",
     .vendor = VA,
     .msr = SE_MSR_IA32_PRED_CMD,
     .value = 0,
     .field = T_NOWHERE},
    {.name = "test_wrmsr_pred_cmd_reserved_bit1_gp",
     .vendor = VI,
     .msr = SE_MSR_IA32_PRED_CMD,
     .value = SE_PRED_CMD_IBPB | PRED_BIT1,
     GP},
    {.name = "test_wrmsr_pred_cmd_bit63_gp",
     .vendor = VI,
     .msr = SE_MSR_IA32_PRED_CMD,
     .value = BIT63,
     GP},
    /* MSR-1 / EMU-8: unknown MSRs fault, never ignored */
    {.name = "test_wrmsr_unknown_msr_0_gp", .vendor = VI, .msr = 0, .value = 0, GP},
    {.name = "test_wrmsr_sysenter_cs_not_modelled_gp",
     .vendor = VI,
     .msr = MSR_SYSENTER_CS,
     .value = SE_KERNEL_CS,
     GP},
    {.name = "test_wrmsr_tsc_deadline_not_modelled_gp",
     .vendor = VA,
     .msr = MSR_TSC_DEADLINE,
     .value = 0,
     GP},
    /* the TSC RDTSC returns (frozen: deterministic runs); any 64-bit value */
    {.name = "test_wrmsr_tsc_any_value",
     .vendor = VI,
     .msr = SE_MSR_IA32_TSC,
     .value = 0xfedcba9876543210ull,
     .field = AT(tsc),
     .stored = 0xfedcba9876543210ull},
    /* IA32_TSC_AUX: what RDTSCP loads into ECX; bits 63:32 reserved */
    {.name = "test_wrmsr_tsc_aux_low_bits",
     .vendor = VA,
     .msr = MSR_TSC_AUX,
     .value = 0xffffffffull,
     .field = AT(tsc_aux),
     .stored = 0xffffffffull},
    {.name = "test_wrmsr_tsc_aux_bit32_gp",
     .vendor = VA,
     .msr = MSR_TSC_AUX,
     .value = 1ull << 32,
     GP},
    {.name = "test_wrmsr_msr_after_fmask_gp", .vendor = VI, .msr = MSR_AFTER_FMASK, .value = 0, GP},
    {.name = "test_wrmsr_msr_ffffffff_gp", .vendor = VI, .msr = UINT32_MAX, .value = 0, GP},
    /* MSR-1: ring 0 only, checked before anything else */
    {.name = "test_wrmsr_cpl3_valid_lstar_gp",
     .vendor = VI,
     .cpl = 3,
     .msr = SE_MSR_IA32_LSTAR,
     .value = T_LSTAR,
     GP},
    {.name = "test_wrmsr_cpl3_pred_cmd_gp",
     .vendor = VA,
     .cpl = 3,
     .msr = SE_MSR_IA32_PRED_CMD,
     .value = SE_PRED_CMD_IBPB,
     GP},
    {.name = "test_wrmsr_cpl1_efer_gp",
     .vendor = VI,
     .cpl = 1,
     .msr = SE_MSR_IA32_EFER,
     .value = EFER_LINUX,
     GP},
    {.name = "test_wrmsr_cpl3_unknown_gp",
     .vendor = VI,
     .cpl = 3,
     .msr = MSR_TSC_DEADLINE,
     .value = 0,
     GP},
};

static void test_wrmsr(void **state)
{
    const wrmsr_row *r = *state;
    se_cpu_features f = t_features(r->vendor, r->cpu_la57);
    f.nx = !r->no_nx;
    t_features_adjust(&f, r->feat_on, r->feat_off);
    se_cpu_state st;
    t_kernel_state(&st);
    st.cpl = r->cpl;
    if (r->efer != 0)
        st.efer = r->efer;
    else if (r->no_nx)
        st.efer &= ~SE_EFER_NXE;
    if (r->paging_off)
        st.cr0 &= ~SE_CR0_PG;
    st.spec_ctrl = SE_SPEC_CTRL_STIBP; /* something to overwrite */
    se_cpu_state before;
    memcpy(&before, &st, sizeof st);
    se_fault fault;
    t_scribble_fault(&fault);

    se_fault_kind k = se_msr_wrmsr(&f, &st, r->msr, r->value, &fault);

    if (r->gp) {
        assert_int_equal(k, SE_FAULT_FAULT);
        t_expect_fault(&fault, &before, SE_VEC_GP, 0);
        t_expect_state(&before, &st); /* MSR-1: a faulting WRMSR writes nothing */
        return;
    }
    assert_int_equal(k, SE_FAULT_NONE);
    t_expect_no_fault(&fault);
    se_cpu_state want;
    memcpy(&want, &before, sizeof want);
    if (r->field != T_NOWHERE)
        memcpy((char *)&want + r->field, &r->stored, sizeof r->stored);
    t_expect_state(&want, &st);

    /* what WRMSR stored is what RDMSR returns; a command MSR cannot be read */
    uint64_t v = T_GPR_MARK;
    t_scribble_fault(&fault);
    k = se_msr_rdmsr(&f, &st, r->msr, &v, &fault);
    if (r->field == T_NOWHERE) {
        assert_int_equal(k, SE_FAULT_FAULT);
        t_expect_fault(&fault, &st, SE_VEC_GP, 0);
        se_assert_eq_hex("value untouched", v, T_GPR_MARK);
        return;
    }
    assert_int_equal(k, SE_FAULT_NONE);
    t_expect_no_fault(&fault);
    se_assert_eq_hex("read back", v, r->stored);
}

typedef struct rdmsr_row {
    const char *name;
    uint8_t cpl;
    uint32_t msr;
    bool gp;
    uint64_t want;
} rdmsr_row;

#define KGS_VALUE 0xffff888011110000ull /* distinct from every other field */

static const rdmsr_row rdmsr_rows[] = {
    {"test_rdmsr_efer", 0, SE_MSR_IA32_EFER, false, EFER_LINUX},
    {"test_rdmsr_star", 0, SE_MSR_IA32_STAR, false, SE_LINUX_STAR},
    {"test_rdmsr_lstar", 0, SE_MSR_IA32_LSTAR, false, T_LSTAR},
    {"test_rdmsr_cstar", 0, SE_MSR_IA32_CSTAR, false, T_CSTAR},
    {"test_rdmsr_fmask", 0, SE_MSR_IA32_FMASK, false, SE_LINUX_SYSCALL_MASK},
    {"test_rdmsr_fs_base_is_hidden_fs_base", 0, SE_MSR_IA32_FS_BASE, false, T_USER_FS},
    {"test_rdmsr_gs_base_is_hidden_gs_base", 0, SE_MSR_IA32_GS_BASE, false, T_USER_GS},
    {"test_rdmsr_kernel_gs_base", 0, SE_MSR_IA32_KERNEL_GS_BASE, false, KGS_VALUE},
    {"test_rdmsr_spec_ctrl", 0, SE_MSR_IA32_SPEC_CTRL, false,
     SE_SPEC_CTRL_IBRS | SE_SPEC_CTRL_SSBD},
    {"test_rdmsr_pred_cmd_write_only_gp", 0, SE_MSR_IA32_PRED_CMD, true, 0},
    {"test_rdmsr_unknown_gp", 0, MSR_TSC_DEADLINE, true, 0},
    {"test_rdmsr_sysenter_cs_not_modelled_gp", 0, MSR_SYSENTER_CS, true, 0},
    {"test_rdmsr_cpl3_efer_gp", 3, SE_MSR_IA32_EFER, true, 0},
    {"test_rdmsr_cpl3_gs_base_gp", 3, SE_MSR_IA32_GS_BASE, true, 0},
};

static void test_rdmsr(void **state)
{
    const rdmsr_row *r = *state;
    se_cpu_features f = t_features(SE_VENDOR_INTEL, false);
    se_cpu_state st;
    t_kernel_state(&st);
    st.cpl = r->cpl;
    st.kernel_gs_base = KGS_VALUE;
    st.spec_ctrl = SE_SPEC_CTRL_IBRS | SE_SPEC_CTRL_SSBD;
    se_cpu_state before;
    memcpy(&before, &st, sizeof st);
    uint64_t v = T_GPR_MARK;
    se_fault fault;
    t_scribble_fault(&fault);

    se_fault_kind k = se_msr_rdmsr(&f, &st, r->msr, &v, &fault);

    t_expect_state(&before, &st);
    if (r->gp) {
        assert_int_equal(k, SE_FAULT_FAULT);
        t_expect_fault(&fault, &before, SE_VEC_GP, 0);
        se_assert_eq_hex("value untouched", v, T_GPR_MARK);
        return;
    }
    assert_int_equal(k, SE_FAULT_NONE);
    t_expect_no_fault(&fault);
    se_assert_eq_hex("value", v, r->want);
}

int main(void)
{
    int failed = SE_TEST_RUN_ROWS("msr_wrmsr", wrmsr_rows, test_wrmsr);
    failed += SE_TEST_RUN_ROWS("msr_rdmsr", rdmsr_rows, test_rdmsr);
    return failed != 0;
}
