/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * SYSCALL (docs/model.md, SYSCALL-1..11): one row per rule and case, both vendors where
 * they differ. Oracle: rcx' = rip_next, r11' = rflags & ~RF, rflags' = rflags & ~FMASK & ~RF,
 * CS/SS from STAR[47:32] with the flat DPL0 caches, rip' = LSTAR, cpl' = 0, nothing else.
 */
#include "cpu_test.h"

#include <string.h>

typedef struct syscall_want {
    uint64_t rip, rcx, r11, rflags;
    uint16_t cs, ss;
    uint32_t cs_ar;
} syscall_want;

typedef struct syscall_row {
    const char *name;
    se_vendor vendor;
    t_mode mode;
    bool no_sce;  /* EFER.SCE clear */
    bool at_cpl0; /* executed by kernel code (t_kernel_state) */
    unsigned len; /* instruction length; 0 means 2 (0F 05) */
    uint64_t rip; /* 0: the state's default */
    uint64_t rsp; /* 0: the state's default */
    uint64_t rflags;
    uint64_t sfmask;
    uint64_t star; /* 0: SE_LINUX_STAR */
    se_fault_kind kind;
    uint8_t vector;    /* SE_FAULT_FAULT rows */
    syscall_want want; /* SE_FAULT_NONE and SE_FAULT_TRAP rows */
} syscall_row;

#define F     SE_RFLAGS_FIXED
#define VI    SE_VENDOR_INTEL
#define VA    SE_VENDOR_AMD
#define FMASK SE_LINUX_SYSCALL_MASK
#define NEXT  (T_USER_RIP + 2)
/* what every 64-bit-kernel entry loads (SYSCALL-6..8) */
#define ENTER64(rip_, rcx_, r11_, rflags_)                                                         \
    {                                                                                              \
        .rip = (rip_), .rcx = (rcx_), .r11 = (r11_), .rflags = (rflags_), .cs = SE_KERNEL_CS,      \
        .ss = SE_KERNEL_DS, .cs_ar = SE_SEG_AR_KERNEL_CS                                           \
    }
/* SYSCALL-5 with Linux's FMASK: `bit` reaches R11 but not the kernel's RFLAGS */
#define CLEARS(bit, nm)                                                                            \
    {                                                                                              \
        .name = "test_syscall_linux_fmask_clears_" nm, .vendor = VI, .rflags = F | (bit),          \
        .sfmask = FMASK, .kind = SE_FAULT_NONE, .want = ENTER64(T_LSTAR, NEXT, F | (bit), F)       \
    }
/* RFLAGS-3: bits Linux's FMASK leaves alone survive into the kernel */
#define KEEPS(bit, nm)                                                                             \
    {                                                                                              \
        .name = "test_syscall_linux_fmask_keeps_" nm, .vendor = VI, .rflags = F | (bit),           \
        .sfmask = FMASK, .kind = SE_FAULT_NONE,                                                    \
        .want = ENTER64(T_LSTAR, NEXT, F | (bit), F | (bit))                                       \
    }

static const syscall_row syscall_rows[] = {
    /* SYSCALL-3..9: the plain Linux case */
    {.name = "test_syscall_64bit_intel_enters_lstar_at_cpl0",
     .vendor = VI,
     .rflags = F | SE_RFLAGS_IF,
     .sfmask = FMASK,
     .want = ENTER64(T_LSTAR, NEXT, F | SE_RFLAGS_IF, F)},
    {.name = "test_syscall_64bit_amd_enters_lstar_at_cpl0",
     .vendor = VA,
     .rflags = F | SE_RFLAGS_IF,
     .sfmask = FMASK,
     .want = ENTER64(T_LSTAR, NEXT, F | SE_RFLAGS_IF, F)},
    /* SYSCALL-1 */
    {.name = "test_syscall_sce_clear_intel_ud",
     .vendor = VI,
     .no_sce = true,
     .rflags = F | SE_RFLAGS_IF,
     .sfmask = FMASK,
     .kind = SE_FAULT_FAULT,
     .vector = SE_VEC_UD},
    {.name = "test_syscall_sce_clear_amd_ud",
     .vendor = VA,
     .no_sce = true,
     .rflags = F | SE_RFLAGS_IF,
     .sfmask = FMASK,
     .kind = SE_FAULT_FAULT,
     .vector = SE_VEC_UD},
    {.name = "test_syscall_sce_clear_amd_compat_ud",
     .vendor = VA,
     .mode = T_MODE_COMPAT,
     .no_sce = true,
     .rflags = F,
     .sfmask = FMASK,
     .kind = SE_FAULT_FAULT,
     .vector = SE_VEC_UD},
    /* SYSCALL-1: no CPL check */
    {.name = "test_syscall_from_cpl0_not_checked",
     .vendor = VI,
     .at_cpl0 = true,
     .rflags = F,
     .sfmask = FMASK,
     .want = ENTER64(T_LSTAR, T_KERNEL_RIP + 2, F, F)},
    /* SYSCALL-2 */
    {.name = "test_syscall_compat_mode_intel_ud",
     .vendor = VI,
     .mode = T_MODE_COMPAT,
     .rflags = F | SE_RFLAGS_IF,
     .sfmask = FMASK,
     .kind = SE_FAULT_FAULT,
     .vector = SE_VEC_UD},
    {.name = "test_syscall_legacy_mode_intel_ud",
     .vendor = VI,
     .mode = T_MODE_LEGACY,
     .rflags = F | SE_RFLAGS_IF,
     .sfmask = FMASK,
     .kind = SE_FAULT_FAULT,
     .vector = SE_VEC_UD},
    {.name = "test_syscall_compat_mode_amd_enters_cstar",
     .vendor = VA,
     .mode = T_MODE_COMPAT,
     .rflags = F | SE_RFLAGS_IF | SE_RFLAGS_DF,
     .sfmask = FMASK,
     .want = ENTER64(T_CSTAR, T_USER32_RIP + 2, F | SE_RFLAGS_IF | SE_RFLAGS_DF, F)},
    /* SYSCALL-2 (AMD), legacy mode: STAR[31:0], 32-bit CS, only VM/IF/RF cleared, no R11 */
    {.name = "test_syscall_legacy_mode_amd_enters_star_eip",
     .vendor = VA,
     .mode = T_MODE_LEGACY,
     .rflags = F | SE_RFLAGS_IF | SE_RFLAGS_DF | SE_RFLAGS_AC,
     .sfmask = FMASK,
     .star = SE_LINUX_STAR | T_LEGACY_EIP,
     .want = {.rip = T_LEGACY_EIP,
              .rcx = T_USER32_RIP + 2,
              .r11 = T_R11_INITIAL,
              .rflags = F | SE_RFLAGS_DF | SE_RFLAGS_AC,
              .cs = SE_KERNEL_CS,
              .ss = SE_KERNEL_DS,
              .cs_ar = SE_SEG_AR_KERNEL_CS32}},
    {.name = "test_syscall_legacy_mode_amd_clears_vm_if_rf_only",
     .vendor = VA,
     .mode = T_MODE_LEGACY,
     .rflags = F | SE_RFLAGS_VM | SE_RFLAGS_IF | SE_RFLAGS_RF | SE_RFLAGS_NT | SE_RFLAGS_IOPL,
     .sfmask = FMASK,
     .star = SE_LINUX_STAR | T_LEGACY_EIP,
     .want = {.rip = T_LEGACY_EIP,
              .rcx = T_USER32_RIP + 2,
              .r11 = T_R11_INITIAL,
              .rflags = F | SE_RFLAGS_NT | SE_RFLAGS_IOPL,
              .cs = SE_KERNEL_CS,
              .ss = SE_KERNEL_DS,
              .cs_ar = SE_SEG_AR_KERNEL_CS32}},
    {.name = "test_syscall_legacy_mode_amd_tf_kept_traps_db_at_cpl0",
     .vendor = VA,
     .mode = T_MODE_LEGACY,
     .rflags = F | SE_RFLAGS_TF,
     .sfmask = FMASK,
     .star = SE_LINUX_STAR | T_LEGACY_EIP,
     .kind = SE_FAULT_TRAP,
     .want = {.rip = T_LEGACY_EIP,
              .rcx = T_USER32_RIP + 2,
              .r11 = T_R11_INITIAL,
              .rflags = F | SE_RFLAGS_TF,
              .cs = SE_KERNEL_CS,
              .ss = SE_KERNEL_DS,
              .cs_ar = SE_SEG_AR_KERNEL_CS32}},
    /* SYSCALL-5 with Linux's FMASK, one row per masked bit (RFLAGS-3) */
    CLEARS(SE_RFLAGS_CF, "cf"),
    CLEARS(SE_RFLAGS_PF, "pf"),
    CLEARS(SE_RFLAGS_AF, "af"),
    CLEARS(SE_RFLAGS_ZF, "zf"),
    CLEARS(SE_RFLAGS_SF, "sf"),
    CLEARS(SE_RFLAGS_TF, "tf_without_trap"),
    CLEARS(SE_RFLAGS_IF, "if"),
    CLEARS(SE_RFLAGS_DF, "df"),
    CLEARS(SE_RFLAGS_OF, "of"),
    CLEARS(SE_RFLAGS_IOPL, "iopl"),
    CLEARS(SE_RFLAGS_NT, "nt"),
    CLEARS(SE_RFLAGS_AC, "ac"),
    CLEARS(SE_RFLAGS_ID, "id"),
    /* SYSCALL-4/5: RF is in FMASK too, but R11 never sees it either */
    {.name = "test_syscall_linux_fmask_clears_rf_in_r11_too",
     .vendor = VI,
     .rflags = F | SE_RFLAGS_RF,
     .sfmask = FMASK,
     .want = ENTER64(T_LSTAR, NEXT, F, F)},
    KEEPS(SE_RFLAGS_VM, "vm"),
    KEEPS(SE_RFLAGS_VIF, "vif"),
    KEEPS(SE_RFLAGS_VIP, "vip"),
    {.name = "test_syscall_linux_fmask_every_bit_at_once",
     .vendor = VI,
     .rflags = F | FMASK,
     .sfmask = FMASK,
     .want = ENTER64(T_LSTAR, NEXT, (F | FMASK) & ~SE_RFLAGS_RF, F)},
    /* SYSCALL-4/5: RF is cleared even when FMASK does not name it */
    {.name = "test_syscall_empty_fmask_still_clears_rf",
     .vendor = VI,
     .rflags = F | SE_RFLAGS_IF | SE_RFLAGS_RF,
     .sfmask = 0,
     .want = ENTER64(T_LSTAR, NEXT, F | SE_RFLAGS_IF, F | SE_RFLAGS_IF)},
    {.name = "test_syscall_empty_fmask_keeps_other_flags",
     .vendor = VA,
     .rflags = F | SE_RFLAGS_IF | SE_RFLAGS_DF | SE_RFLAGS_AC | SE_RFLAGS_NT | SE_RFLAGS_IOPL |
               T_RFLAGS_ARITH,
     .sfmask = 0,
     .want = ENTER64(T_LSTAR, NEXT,
                     F | SE_RFLAGS_IF | SE_RFLAGS_DF | SE_RFLAGS_AC | SE_RFLAGS_NT |
                         SE_RFLAGS_IOPL | T_RFLAGS_ARITH,
                     F | SE_RFLAGS_IF | SE_RFLAGS_DF | SE_RFLAGS_AC | SE_RFLAGS_NT |
                         SE_RFLAGS_IOPL | T_RFLAGS_ARITH)},
    /* SYSCALL-5: bit 1 stays 1 even when FMASK names it */
    {.name = "test_syscall_full_fmask_keeps_bit1",
     .vendor = VI,
     .rflags = SE_RFLAGS_DEFINED,
     .sfmask = UINT32_MAX,
     .want = ENTER64(T_LSTAR, NEXT, SE_RFLAGS_DEFINED & ~SE_RFLAGS_RF, F)},
    /* SYSCALL-10: TF left set by FMASK traps at CPL0 before the first instruction at LSTAR */
    {.name = "test_syscall_tf_left_by_fmask_intel_traps_db_at_cpl0",
     .vendor = VI,
     .rflags = F | SE_RFLAGS_IF | SE_RFLAGS_TF,
     .sfmask = FMASK & ~SE_RFLAGS_TF,
     .kind = SE_FAULT_TRAP,
     .want = ENTER64(T_LSTAR, NEXT, F | SE_RFLAGS_IF | SE_RFLAGS_TF, F | SE_RFLAGS_TF)},
    {.name = "test_syscall_tf_left_by_fmask_amd_traps_db_at_cpl0",
     .vendor = VA,
     .rflags = F | SE_RFLAGS_TF,
     .sfmask = 0,
     .kind = SE_FAULT_TRAP,
     .want = ENTER64(T_LSTAR, NEXT, F | SE_RFLAGS_TF, F | SE_RFLAGS_TF)},
    {.name = "test_syscall_tf_and_rf_empty_fmask_traps_without_rf",
     .vendor = VI,
     .rflags = F | SE_RFLAGS_TF | SE_RFLAGS_RF,
     .sfmask = 0,
     .kind = SE_FAULT_TRAP,
     .want = ENTER64(T_LSTAR, NEXT, F | SE_RFLAGS_TF, F | SE_RFLAGS_TF)},
    {.name = "test_syscall_tf_left_by_fmask_compat_amd_traps_at_cstar",
     .vendor = VA,
     .mode = T_MODE_COMPAT,
     .rflags = F | SE_RFLAGS_TF,
     .sfmask = FMASK & ~SE_RFLAGS_TF,
     .kind = SE_FAULT_TRAP,
     .want = ENTER64(T_CSTAR, T_USER32_RIP + 2, F | SE_RFLAGS_TF, F | SE_RFLAGS_TF)},
    /* SYSCALL-7/8: RPL forced to 0 in CS only; SS is the field + 8 as it stands */
    {.name = "test_syscall_star_rpl_bits_cs_rpl0_ss_unadjusted",
     .vendor = VI,
     .rflags = F,
     .sfmask = FMASK,
     .star = T_STAR(SE_USER32_CS, SE_KERNEL_CS | SE_SEL_RPL_MASK),
     .want = {.rip = T_LSTAR,
              .rcx = NEXT,
              .r11 = F,
              .rflags = F,
              .cs = SE_KERNEL_CS,
              .ss = SE_KERNEL_DS | SE_SEL_RPL_MASK,
              .cs_ar = SE_SEG_AR_KERNEL_CS}},
    {.name = "test_syscall_star_other_base_selects_other_cs_ss",
     .vendor = VA,
     .rflags = F,
     .sfmask = FMASK,
     .star = T_STAR(SE_USER32_CS, SE_KERNEL32_CS),
     .want = {.rip = T_LSTAR,
              .rcx = NEXT,
              .r11 = F,
              .rflags = F,
              .cs = SE_KERNEL32_CS,
              .ss = SE_KERNEL_CS,
              .cs_ar = SE_SEG_AR_KERNEL_CS}},
    /* SYSCALL-3: RCX is RIP + the decoded length, without any canonical check */
    {.name = "test_syscall_prefixed_length_3",
     .vendor = VI,
     .len = 3,
     .rflags = F,
     .sfmask = FMASK,
     .want = ENTER64(T_LSTAR, T_USER_RIP + 3, F, F)},
    {.name = "test_syscall_at_top_of_user_half_rcx_noncanonical",
     .vendor = VI,
     .rip = 0x00007ffffffffffeull,
     .rflags = F,
     .sfmask = FMASK,
     .want = ENTER64(T_LSTAR, 0x0000800000000000ull, F, F)},
    /* SYSCALL-11: the user RSP is not touched, so a bad one does not matter */
    {.name = "test_syscall_noncanonical_user_rsp_ignored",
     .vendor = VI,
     .rsp = 0x0000800000000000ull,
     .rflags = F,
     .sfmask = FMASK,
     .want = ENTER64(T_LSTAR, NEXT, F, F)},
};

static void test_syscall(void **state)
{
    const syscall_row *r = *state;
    se_cpu_features f = t_features(r->vendor, false);
    se_cpu_state st;
    if (r->at_cpl0)
        t_kernel_state(&st);
    else
        t_user_state(&st);
    t_set_mode(&st, r->mode);
    if (r->no_sce)
        st.efer &= ~SE_EFER_SCE;
    if (r->rip != 0)
        st.regs.rip = r->rip;
    if (r->rsp != 0)
        st.regs.rsp = r->rsp;
    st.regs.rflags = r->rflags;
    st.sfmask = r->sfmask;
    if (r->star != 0)
        st.star = r->star;
    se_cpu_state before;
    memcpy(&before, &st, sizeof st);
    se_fault fault;
    t_scribble_fault(&fault);

    se_fault_kind k = se_cpu_syscall(&f, &st, r->len != 0 ? r->len : 2, &fault);

    assert_int_equal(k, r->kind);
    if (r->kind == SE_FAULT_FAULT) {
        t_expect_fault(&fault, &before, r->vector, 0);
        t_expect_state(&before, &st); /* byte-identical */
        return;
    }
    se_cpu_state want;
    memcpy(&want, &before, sizeof want);
    want.regs.rip = r->want.rip;
    want.regs.rcx = r->want.rcx;
    want.regs.r11 = r->want.r11;
    want.regs.rflags = r->want.rflags;
    want.regs.cs = r->want.cs;
    want.cs_cache = (se_seg_cache)T_FLAT(r->want.cs_ar);
    want.regs.ss = r->want.ss;
    want.ss_cache = (se_seg_cache)T_FLAT(SE_SEG_AR_KERNEL_SS);
    want.cpl = 0;
    t_expect_state(&want, &st); /* RSP, GS base, CR3 ... unchanged (SYSCALL-9) */
    if (r->kind == SE_FAULT_TRAP)
        t_expect_db_trap(&fault, r->want.rip, 0); /* SYSCALL-10 */
    else
        t_expect_no_fault(&fault);
}

int t_run_syscall(void)
{
    return SE_TEST_RUN_ROWS("cpu_syscall", syscall_rows, test_syscall);
}
