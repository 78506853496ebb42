/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * SYSRET (docs/model.md, SYSRET-1..10): one row per rule and case, both vendors where they
 * differ, 48- and 57-bit paging. The kernel state before each SYSRET is Linux's exit state:
 * user RSP and user GS base already loaded, so a #GP at CPL0 (SYSRET-3) is the CVE-2012-0217
 * situation and the rows check that it changes nothing.
 */
#include "cpu_test.h"

#include <string.h>

typedef struct sysret_want {
    uint64_t rip, rflags;
    uint16_t cs, ss;
    uint32_t cs_ar;
    se_seg_cache ss_cache;
} sysret_want;

typedef struct sysret_row {
    const char *name;
    se_vendor vendor;
    t_mode mode;
    bool no_sce;
    uint8_t cpl;     /* CPL executing SYSRET */
    bool la57;       /* CR4.LA57 (and CPU support) */
    bool cpu_la57;   /* CPU support only */
    unsigned op;     /* operand size; 0 means 64 */
    uint64_t rcx;    /* 0: T_USER_RIP + 2 */
    uint64_t r11;    /* 0: IF | bit 1, unless r11_zero */
    bool r11_zero;   /* R11 = 0 exactly */
    uint64_t rflags; /* 0: bit 1 (Linux after FMASK) */
    uint64_t star;   /* 0: SE_LINUX_STAR */
    bool null_ss;    /* SS cache before SYSRET: null (entered through a gate), else flat */
    se_fault_kind kind;
    uint8_t vector;   /* SE_FAULT_FAULT rows: always error code 0 here */
    sysret_want want; /* SE_FAULT_NONE and SE_FAULT_TRAP rows */
} sysret_row;

#define F         SE_RFLAGS_FIXED
#define VI        SE_VENDOR_INTEL
#define VA        SE_VENDOR_AMD
#define RET       (T_USER_RIP + 2)
#define UF        (F | SE_RFLAGS_IF)
#define FLAT_USER T_FLAT(SE_SEG_AR_USER_SS)
#define FLAT_KERN T_FLAT(SE_SEG_AR_KERNEL_SS)
#define STAR_RPL0 T_STAR(SE_KERNEL_CS, SE_KERNEL_CS) /* SYSRET base 0x10 without RPL 3 */
/* SYSRET-4..7 to 64-bit user code with Linux's STAR */
#define TO_USER64_INTEL(rip_, rflags_)                                                             \
    {                                                                                              \
        .rip = (rip_), .rflags = (rflags_), .cs = SE_USER_CS, .ss = SE_USER_DS,                    \
        .cs_ar = SE_SEG_AR_USER_CS, .ss_cache = FLAT_USER                                          \
    }
/* SYSRET-7A: the SS cache is whatever SYSCALL left (here the flat DPL0 one) */
#define TO_USER64_AMD(rip_, rflags_)                                                               \
    {                                                                                              \
        .rip = (rip_), .rflags = (rflags_), .cs = SE_USER_CS, .ss = SE_USER_DS,                    \
        .cs_ar = SE_SEG_AR_USER_CS, .ss_cache = FLAT_KERN                                          \
    }
#define GP0 .kind = SE_FAULT_FAULT, .vector = SE_VEC_GP
#define UD  .kind = SE_FAULT_FAULT, .vector = SE_VEC_UD
/* SYSRET-5: one R11 bit and what RFLAGS must show for it */
#define R11_BIT(nm, bit, kept)                                                                     \
    {                                                                                              \
        .name = "test_sysret_r11_" nm, .vendor = VI, .r11 = F | (bit),                             \
        .want = TO_USER64_INTEL(RET, F | (kept))                                                   \
    }
/* CANON-5 through SYSRET-3 (Intel): 1 << i at 48 and 57 bits */
#define POW(i, sfx57, ok57)                                                                        \
    {.name = "test_sysret_1shl" #i "_w48_intel_gp", .vendor = VI, .rcx = 1ull << (i), GP0},        \
    {                                                                                              \
        .name = "test_sysret_1shl" #i "_w57_intel" sfx57, .vendor = VI, .la57 = true,              \
        .rcx = 1ull << (i), .kind = (ok57) ? SE_FAULT_NONE : SE_FAULT_FAULT,                       \
        .vector = (ok57) ? 0 : SE_VEC_GP, .want = TO_USER64_INTEL(1ull << (i), UF)                 \
    }

static const sysret_row sysret_rows[] = {
    /* SYSRET-4..8: the Linux exit */
    {.name = "test_sysret_64_intel_returns_to_user",
     .vendor = VI,
     .want = TO_USER64_INTEL(RET, UF)},
    {.name = "test_sysret_64_amd_returns_to_user_ss_cache_kept",
     .vendor = VA,
     .want = TO_USER64_AMD(RET, UF)},
    /* SYSRET-7A: after an entry through a gate SS is null, and stays unusable on AMD */
    {.name = "test_sysret_64_amd_null_ss_cache_stays_unusable",
     .vendor = VA,
     .null_ss = true,
     .want = {.rip = RET,
              .rflags = UF,
              .cs = SE_USER_CS,
              .ss = SE_USER_DS,
              .cs_ar = SE_SEG_AR_USER_CS,
              .ss_cache = T_NULL_SEG}},
    {.name = "test_sysret_64_intel_null_ss_cache_reloaded_flat",
     .vendor = VI,
     .null_ss = true,
     .want = TO_USER64_INTEL(RET, UF)},
    /* SYSRET-1 */
    {.name = "test_sysret_sce_clear_intel_ud", .vendor = VI, .no_sce = true, UD},
    {.name = "test_sysret_sce_clear_amd_ud", .vendor = VA, .no_sce = true, UD},
    {.name = "test_sysret_compat_mode_intel_ud", .vendor = VI, .mode = T_MODE_COMPAT, UD},
    {.name = "test_sysret_legacy_mode_intel_ud", .vendor = VI, .mode = T_MODE_LEGACY, UD},
    {.name = "test_sysret_real_mode_intel_ud", .vendor = VI, .mode = T_MODE_REAL, UD},
    /* SYSRET-1/4 (AMD APM): outside 64-bit mode, back to 32-bit code with IF set, R11
     * unused, the other flags as they are */
    {.name = "test_sysret_compat_mode_amd_returns_to_32bit",
     .vendor = VA,
     .mode = T_MODE_COMPAT,
     .rcx = 0xdead000008049002ull,
     .r11 = F | SE_RFLAGS_AC | SE_RFLAGS_TF,
     .rflags = F | SE_RFLAGS_DF,
     .want = {.rip = 0x08049002ull,
              .rflags = F | SE_RFLAGS_DF | SE_RFLAGS_IF,
              .cs = SE_USER32_CS,
              .ss = SE_USER_DS,
              .cs_ar = SE_SEG_AR_USER_CS32,
              .ss_cache = FLAT_KERN}},
    {.name = "test_sysret_legacy_mode_amd_returns_to_32bit",
     .vendor = VA,
     .mode = T_MODE_LEGACY,
     .rcx = 0x08049002ull,
     .rflags = F | SE_RFLAGS_RF | SE_RFLAGS_NT,
     .star = T_STAR(SE_KERNEL_CS, SE_KERNEL_CS),
     .want = {.rip = 0x08049002ull,
              .rflags = F | SE_RFLAGS_RF | SE_RFLAGS_NT | SE_RFLAGS_IF,
              .cs = SE_KERNEL_CS | SE_SEL_RPL_MASK,
              .ss = SE_KERNEL_DS,
              .cs_ar = SE_SEG_AR_USER_CS32,
              .ss_cache = FLAT_KERN}},
    {.name = "test_sysret_legacy_mode_amd_tf_kept_traps_db_at_cpl3",
     .vendor = VA,
     .mode = T_MODE_LEGACY,
     .rcx = 0x08049002ull,
     .rflags = F | SE_RFLAGS_TF,
     .kind = SE_FAULT_TRAP,
     .want = {.rip = 0x08049002ull,
              .rflags = F | SE_RFLAGS_TF | SE_RFLAGS_IF,
              .cs = SE_USER32_CS,
              .ss = SE_USER_DS,
              .cs_ar = SE_SEG_AR_USER_CS32,
              .ss_cache = FLAT_KERN}},
    /* SYSRET-2 */
    {.name = "test_sysret_real_mode_amd_gp", .vendor = VA, .mode = T_MODE_REAL, GP0},
    {.name = "test_sysret_cpl3_intel_gp", .vendor = VI, .cpl = 3, GP0},
    {.name = "test_sysret_cpl3_amd_gp", .vendor = VA, .cpl = 3, GP0},
    {.name = "test_sysret_cpl1_intel_gp", .vendor = VI, .cpl = 1, GP0},
    /* SYSRET-3 / SYSRET-3A, 4-level paging (CANON-4) */
    {.name = "test_sysret_noncanonical_rcx_intel_gp",
     .vendor = VI,
     .rcx = 0x0000800000000000ull,
     GP0},
    {.name = "test_sysret_noncanonical_rcx_amd_loads_rip",
     .vendor = VA,
     .rcx = 0x0000800000000000ull,
     .want = TO_USER64_AMD(0x0000800000000000ull, UF)},
    {.name = "test_sysret_top_user_w48_intel_ok",
     .vendor = VI,
     .rcx = 0x00007fffffffffffull,
     .want = TO_USER64_INTEL(0x00007fffffffffffull, UF)},
    {.name = "test_sysret_lowest_kernel_w48_intel_ok_canonical",
     .vendor = VI,
     .rcx = 0xffff800000000000ull,
     .want = TO_USER64_INTEL(0xffff800000000000ull, UF)},
    {.name = "test_sysret_just_below_kernel_w48_intel_gp",
     .vendor = VI,
     .rcx = 0xffff7fffffffffffull,
     GP0},
    {.name = "test_sysret_top_user_w57_under_w48_intel_gp",
     .vendor = VI,
     .rcx = 0x00ffffffffffffffull,
     GP0},
    /* CANON-3: the current paging mode decides, not what the CPU could do */
    {.name = "test_sysret_bit47_w48_on_la57_cpu_intel_gp",
     .vendor = VI,
     .cpu_la57 = true,
     .rcx = 0x0000800000000000ull,
     GP0},
    /* SYSRET-3 / SYSRET-3A, 5-level paging */
    {.name = "test_sysret_bit47_w57_intel_ok",
     .vendor = VI,
     .la57 = true,
     .rcx = 0x0000800000000000ull,
     .want = TO_USER64_INTEL(0x0000800000000000ull, UF)},
    {.name = "test_sysret_top_user_w57_intel_ok",
     .vendor = VI,
     .la57 = true,
     .rcx = 0x00ffffffffffffffull,
     .want = TO_USER64_INTEL(0x00ffffffffffffffull, UF)},
    {.name = "test_sysret_bit56_w57_intel_gp",
     .vendor = VI,
     .la57 = true,
     .rcx = 0x0100000000000000ull,
     GP0},
    {.name = "test_sysret_lowest_kernel_w57_intel_ok",
     .vendor = VI,
     .la57 = true,
     .rcx = 0xff00000000000000ull,
     .want = TO_USER64_INTEL(0xff00000000000000ull, UF)},
    {.name = "test_sysret_just_below_kernel_w57_intel_gp",
     .vendor = VI,
     .la57 = true,
     .rcx = 0xfeffffffffffffffull,
     GP0},
    {.name = "test_sysret_bit56_w57_amd_loads_rip",
     .vendor = VA,
     .la57 = true,
     .rcx = 0x0100000000000000ull,
     .want = TO_USER64_AMD(0x0100000000000000ull, UF)},
    {.name = "test_sysret_1shl47_w48_amd_loads_rip",
     .vendor = VA,
     .rcx = 1ull << 47,
     .want = TO_USER64_AMD(1ull << 47, UF)},
    {.name = "test_sysret_1shl63_w48_amd_loads_rip",
     .vendor = VA,
     .rcx = 1ull << 63,
     .want = TO_USER64_AMD(1ull << 63, UF)},
    POW(47, "_ok", true),
    POW(48, "_ok", true),
    POW(49, "_ok", true),
    POW(50, "_ok", true),
    POW(51, "_ok", true),
    POW(52, "_ok", true),
    POW(53, "_ok", true),
    POW(54, "_ok", true),
    POW(55, "_ok", true),
    POW(56, "_gp", false),
    POW(57, "_gp", false),
    POW(58, "_gp", false),
    POW(59, "_gp", false),
    POW(60, "_gp", false),
    POW(61, "_gp", false),
    POW(62, "_gp", false),
    POW(63, "_gp", false),
    /* SYSRET-5: what R11 can and cannot put into RFLAGS */
    R11_BIT("rf_dropped", SE_RFLAGS_RF, 0),
    R11_BIT("vm_dropped", SE_RFLAGS_VM, 0),
    R11_BIT("reserved_low_bits_dropped", T_RFLAGS_RESERVED_LOW, 0),
    R11_BIT("bit22_dropped", SE_RFLAGS_ID << 1, 0),
    R11_BIT("bit63_dropped", 1ull << 63, 0),
    R11_BIT("high_half_dropped", T_RFLAGS_RESERVED_HIGH, 0),
    R11_BIT("if_kept", SE_RFLAGS_IF, SE_RFLAGS_IF),
    R11_BIT("df_kept", SE_RFLAGS_DF, SE_RFLAGS_DF),
    R11_BIT("ac_kept", SE_RFLAGS_AC, SE_RFLAGS_AC),
    R11_BIT("nt_kept", SE_RFLAGS_NT, SE_RFLAGS_NT),
    R11_BIT("id_kept", SE_RFLAGS_ID, SE_RFLAGS_ID),
    R11_BIT("iopl_kept", SE_RFLAGS_IOPL, SE_RFLAGS_IOPL),
    R11_BIT("vif_vip_kept", SE_RFLAGS_VIF | SE_RFLAGS_VIP, SE_RFLAGS_VIF | SE_RFLAGS_VIP),
    R11_BIT("arith_kept", T_RFLAGS_ARITH, T_RFLAGS_ARITH),
    {.name = "test_sysret_r11_zero_sets_bit1",
     .vendor = VI,
     .r11_zero = true,
     .want = TO_USER64_INTEL(RET, F)},
    {.name = "test_sysret_r11_all_ones_keep_mask_and_tf_trap",
     .vendor = VI,
     .r11 = UINT64_MAX,
     .kind = SE_FAULT_TRAP,
     .want = TO_USER64_INTEL(RET, SE_RFLAGS_SYSRET_KEEP | F)},
    {.name = "test_sysret_r11_rf_vm_dropped_amd",
     .vendor = VA,
     .r11 = UF | SE_RFLAGS_RF | SE_RFLAGS_VM,
     .want = TO_USER64_AMD(RET, UF)},
    /* SYSRET-9: TF from R11 traps at CPL3 before the first user instruction */
    {.name = "test_sysret_tf_intel_traps_db_at_cpl3",
     .vendor = VI,
     .r11 = UF | SE_RFLAGS_TF,
     .kind = SE_FAULT_TRAP,
     .want = TO_USER64_INTEL(RET, UF | SE_RFLAGS_TF)},
    {.name = "test_sysret_tf_amd_traps_db_at_cpl3",
     .vendor = VA,
     .r11 = UF | SE_RFLAGS_TF,
     .kind = SE_FAULT_TRAP,
     .want = TO_USER64_AMD(RET, UF | SE_RFLAGS_TF)},
    {.name = "test_sysret_tf_amd_noncanonical_traps_at_loaded_rip",
     .vendor = VA,
     .rcx = 0x0000800000000000ull,
     .r11 = F | SE_RFLAGS_TF,
     .kind = SE_FAULT_TRAP,
     .want = TO_USER64_AMD(0x0000800000000000ull, F | SE_RFLAGS_TF)},
    /* SYSRET-6/7/7A: a SYSRET base without RPL 3 */
    {.name = "test_sysret_star_rpl0_intel_ss_gets_rpl3",
     .vendor = VI,
     .star = STAR_RPL0,
     .want = {.rip = RET,
              .rflags = UF,
              .cs = SE_USER32_CS,
              .ss = SE_KERNEL_DS | SE_SEL_RPL_MASK,
              .cs_ar = SE_SEG_AR_USER_CS,
              .ss_cache = FLAT_USER}},
    {.name = "test_sysret_star_rpl0_amd_ss_keeps_rpl0",
     .vendor = VA,
     .star = STAR_RPL0,
     .want = {.rip = RET,
              .rflags = UF,
              .cs = SE_USER32_CS,
              .ss = SE_KERNEL_DS,
              .cs_ar = SE_SEG_AR_USER_CS,
              .ss_cache = FLAT_KERN}},
    /* SYSRET-10: two violations, the earlier check wins */
    {.name = "test_sysret_order_sce_before_cpl_ud", .vendor = VI, .no_sce = true, .cpl = 3, UD},
    {.name = "test_sysret_order_sce_before_canonical_ud",
     .vendor = VI,
     .no_sce = true,
     .rcx = 0x0000800000000000ull,
     UD},
    {.name = "test_sysret_order_mode_before_cpl_intel_ud",
     .vendor = VI,
     .mode = T_MODE_COMPAT,
     .cpl = 3,
     UD},
    {.name = "test_sysret_order_cpl_before_canonical_gp_at_cpl3",
     .vendor = VI,
     .cpl = 3,
     .rcx = 0x0000800000000000ull,
     GP0},
    {.name = "test_sysret_order_canonical_before_tf_gp_not_db",
     .vendor = VI,
     .rcx = 0x0000800000000000ull,
     .r11 = UF | SE_RFLAGS_TF,
     GP0},
    {.name = "test_sysret_order_cpl_before_amd_32bit_path_gp",
     .vendor = VA,
     .mode = T_MODE_COMPAT,
     .cpl = 3,
     GP0},
    /* SYSRET-4 (32-bit operand size): ECX, the base selector as CS, a 32-bit cache */
    {.name = "test_sysret_32_intel_ecx_zero_extended",
     .vendor = VI,
     .op = 32,
     .rcx = 0xdead000008049002ull,
     .want = {.rip = 0x08049002ull,
              .rflags = UF,
              .cs = SE_USER32_CS,
              .ss = SE_USER_DS,
              .cs_ar = SE_SEG_AR_USER_CS32,
              .ss_cache = FLAT_USER}},
    {.name = "test_sysret_32_intel_noncanonical_rcx_not_checked",
     .vendor = VI,
     .op = 32,
     .rcx = 0x0000800008049002ull,
     .want = {.rip = 0x08049002ull,
              .rflags = UF,
              .cs = SE_USER32_CS,
              .ss = SE_USER_DS,
              .cs_ar = SE_SEG_AR_USER_CS32,
              .ss_cache = FLAT_USER}},
    {.name = "test_sysret_32_amd_ss_cache_kept",
     .vendor = VA,
     .op = 32,
     .rcx = 0x08049002ull,
     .r11 = UF | SE_RFLAGS_RF,
     .want = {.rip = 0x08049002ull,
              .rflags = UF,
              .cs = SE_USER32_CS,
              .ss = SE_USER_DS,
              .cs_ar = SE_SEG_AR_USER_CS32,
              .ss_cache = FLAT_KERN}},
    {.name = "test_sysret_32_star_rpl0_cs_gets_rpl3",
     .vendor = VI,
     .op = 32,
     .rcx = 0x08049002ull,
     .star = STAR_RPL0,
     .want = {.rip = 0x08049002ull,
              .rflags = UF,
              .cs = SE_KERNEL_CS | SE_SEL_RPL_MASK,
              .ss = SE_KERNEL_DS | SE_SEL_RPL_MASK,
              .cs_ar = SE_SEG_AR_USER_CS32,
              .ss_cache = FLAT_USER}},
    {.name = "test_sysret_32_cpl3_gp", .vendor = VI, .op = 32, .cpl = 3, GP0},
};

static void test_sysret(void **state)
{
    const sysret_row *r = *state;
    se_cpu_features f = t_features(r->vendor, r->la57 || r->cpu_la57);
    se_cpu_state st;
    t_kernel_state(&st);
    t_set_mode(&st, r->mode);
    if (r->la57)
        st.cr4 |= SE_CR4_LA57;
    if (r->no_sce)
        st.efer &= ~SE_EFER_SCE;
    st.cpl = r->cpl;
    st.regs.rcx = r->rcx != 0 ? r->rcx : RET;
    st.regs.r11 = r->r11_zero ? 0 : r->r11 != 0 ? r->r11 : UF;
    st.regs.rflags = r->rflags != 0 ? r->rflags : F;
    if (r->star != 0)
        st.star = r->star;
    if (r->null_ss) {
        st.regs.ss = 0;
        st.ss_cache = (se_seg_cache)T_NULL_SEG;
    }
    se_cpu_state before;
    memcpy(&before, &st, sizeof st);
    se_fault fault;
    t_scribble_fault(&fault);

    se_fault_kind k = se_cpu_sysret(&f, &st, r->op != 0 ? r->op : 64, &fault);

    assert_int_equal(k, r->kind);
    if (r->kind == SE_FAULT_FAULT) {
        /* SYSRET-2/3: raised in the caller's context, at its CPL, on the SYSRET itself */
        t_expect_fault(&fault, &before, r->vector, 0);
        t_expect_state(&before, &st);
        return;
    }
    se_cpu_state want;
    memcpy(&want, &before, sizeof want);
    want.regs.rip = r->want.rip;
    want.regs.rflags = r->want.rflags;
    want.regs.cs = r->want.cs;
    want.cs_cache = (se_seg_cache)T_FLAT(r->want.cs_ar);
    want.regs.ss = r->want.ss;
    want.ss_cache = r->want.ss_cache;
    want.cpl = 3;
    t_expect_state(&want, &st); /* SYSRET-8: RSP and GS base untouched */
    if (r->kind == SE_FAULT_TRAP)
        t_expect_db_trap(&fault, r->want.rip, 3); /* SYSRET-9 */
    else
        t_expect_no_fault(&fault);
}

int t_run_sysret(void)
{
    return SE_TEST_RUN_ROWS("cpu_sysret", sysret_rows, test_sysret);
}
