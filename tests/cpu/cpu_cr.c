/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * MOV to CR0 (Intel SDM Vol. 3A §2.5, §4.1.2; Vol. 2B MOV to control registers), and MOV to
 * CR3 and CR4 with the TLB/PCID model (CR3-1..6). The TLB rows can
 * only show what the model flushed; "still live" is the model's promise, not the hardware's
 * (CR3-5: a CPU may invalidate more).
 */
#include "cpu_test.h"

#include <string.h>

#define NEW_ROOT 0x0000000023456000ull /* the page-table root being switched to */
#define C4       (SE_CR4_PAE | SE_CR4_PGE | SE_CR4_OSFXSR | SE_CR4_OSXMMEXCPT)
#define PTI_USER (SE_PTI_USER_PGTABLE_BIT | SE_PTI_USER_PCID_BIT) /* Linux's user half */
#define BIT63    (1ull << 63) /* reserved in CR4 (tested as such) */

/* PCIDs with translations before each write: PCID 0, a kernel PCID, its PTI user PCID, and
 * the extremes. */
static const uint16_t t_live_pcids[] = {0, 1, 2, 5, SE_PTI_USER_PCID_BIT | 1, SE_CR3_PCID_MASK};

static void t_tlb_prime(se_tlb *tlb)
{
    se_tlb_reset(tlb);
    for (size_t i = 0; i < sizeof t_live_pcids / sizeof t_live_pcids[0]; i++)
        se_tlb_touch(tlb, t_live_pcids[i]);
}

/* ---- MOV to CR3 (CR3-1..5) ---------------------------------------------------------------- */

typedef struct cr3_row {
    const char *name;
    bool pcide;
    uint8_t cpl;
    unsigned maxphyaddr; /* 0: T_MAXPHYADDR */
    uint64_t src;
    se_fault_kind kind; /* FAULT rows are always #GP(0) */
    uint64_t want_cr3;
    bool want_noflush;
    uint16_t want_pcid;
} cr3_row;

#define GP .kind = SE_FAULT_FAULT

static const cr3_row cr3_rows[] = {
    /* CR3-4/5, PCIDE = 0: the whole low 12 bits are stored, PCID 0 is the one flushed */
    {.name = "test_cr3_pcide0_flushes_pcid0", .src = NEW_ROOT, .want_cr3 = NEW_ROOT},
    {.name = "test_cr3_pcide0_low_bits_stored_not_a_pcid",
     .src = NEW_ROOT | SE_CR3_PCID_MASK,
     .want_cr3 = NEW_ROOT | SE_CR3_PCID_MASK},
    {.name = "test_cr3_pcide0_pwt_pcd_stored",
     .src = NEW_ROOT | SE_CR3_PWT | SE_CR3_PCD,
     .want_cr3 = NEW_ROOT | SE_CR3_PWT | SE_CR3_PCD},
    /* CR3-3: bit 63 means nothing without PCIDE, so it is reserved */
    {.name = "test_cr3_pcide0_bit63_reserved_gp", .src = NEW_ROOT | SE_CR3_NOFLUSH, GP},
    {.name = "test_cr3_pcide0_bit63_with_low_bits_gp", .src = NEW_ROOT | SE_CR3_NOFLUSH | 1, GP},
    /* CR3-5, PCIDE = 1, bit 63 clear: only the new PCID */
    {.name = "test_cr3_pcide1_flushes_only_new_pcid",
     .pcide = true,
     .src = NEW_ROOT | 2,
     .want_cr3 = NEW_ROOT | 2,
     .want_pcid = 2},
    {.name = "test_cr3_pcide1_pcid0",
     .pcide = true,
     .src = NEW_ROOT,
     .want_cr3 = NEW_ROOT,
     .want_pcid = 0},
    {.name = "test_cr3_pcide1_pti_user_pcid",
     .pcide = true,
     .src = NEW_ROOT | PTI_USER | 1,
     .want_cr3 = NEW_ROOT | PTI_USER | 1,
     .want_pcid = SE_PTI_USER_PCID_BIT | 1},
    {.name = "test_cr3_pcide1_highest_pcid",
     .pcide = true,
     .src = NEW_ROOT | SE_CR3_PCID_MASK,
     .want_cr3 = NEW_ROOT | SE_CR3_PCID_MASK,
     .want_pcid = SE_CR3_PCID_MASK},
    /* CR3-2/5, bit 63 set: nothing invalidated, and the bit is never stored */
    {.name = "test_cr3_pcide1_noflush_not_stored_nothing_flushed",
     .pcide = true,
     .src = NEW_ROOT | 2 | SE_CR3_NOFLUSH,
     .want_cr3 = NEW_ROOT | 2,
     .want_noflush = true,
     .want_pcid = 2},
    {.name = "test_cr3_pcide1_noflush_pti_kernel_pcid",
     .pcide = true,
     .src = NEW_ROOT | 1 | SE_CR3_NOFLUSH,
     .want_cr3 = NEW_ROOT | 1,
     .want_noflush = true,
     .want_pcid = 1},
    {.name = "test_cr3_pcide1_noflush_pti_user_pcid",
     .pcide = true,
     .src = NEW_ROOT | PTI_USER | 1 | SE_CR3_NOFLUSH,
     .want_cr3 = NEW_ROOT | PTI_USER | 1,
     .want_noflush = true,
     .want_pcid = SE_PTI_USER_PCID_BIT | 1},
    /* CR3-2/3: bits MAXPHYADDR..62 reserved */
    {.name = "test_cr3_top_physical_bit_ok",
     .pcide = true,
     .src = (1ull << (T_MAXPHYADDR - 1)) | NEW_ROOT,
     .want_cr3 = (1ull << (T_MAXPHYADDR - 1)) | NEW_ROOT},
    {.name = "test_cr3_maxphyaddr_bit_pcide1_gp",
     .pcide = true,
     .src = (1ull << T_MAXPHYADDR) | NEW_ROOT,
     GP},
    {.name = "test_cr3_maxphyaddr_bit_pcide0_gp", .src = (1ull << T_MAXPHYADDR) | NEW_ROOT, GP},
    {.name = "test_cr3_maxphyaddr_bit_with_noflush_gp",
     .pcide = true,
     .src = (1ull << T_MAXPHYADDR) | NEW_ROOT | SE_CR3_NOFLUSH,
     GP},
    {.name = "test_cr3_maxphyaddr52_bit51_ok",
     .pcide = true,
     .maxphyaddr = 52,
     .src = (1ull << 51) | NEW_ROOT,
     .want_cr3 = (1ull << 51) | NEW_ROOT},
    {.name = "test_cr3_maxphyaddr52_bit52_gp",
     .pcide = true,
     .maxphyaddr = 52,
     .src = (1ull << 52) | NEW_ROOT,
     GP},
    /* CR3-2: the LAM bits are reserved on a CPU without LAM, whatever MAXPHYADDR is */
    {.name = "test_cr3_lam_u57_pcide1_gp", .pcide = true, .src = SE_CR3_LAM_U57 | NEW_ROOT, GP},
    {.name = "test_cr3_lam_u48_pcide1_gp", .pcide = true, .src = SE_CR3_LAM_U48 | NEW_ROOT, GP},
    {.name = "test_cr3_lam_u57_pcide0_gp", .src = SE_CR3_LAM_U57 | NEW_ROOT, GP},
    {.name = "test_cr3_lam_u48_pcide0_gp", .src = SE_CR3_LAM_U48 | NEW_ROOT, GP},
    {.name = "test_cr3_lam_u48_with_noflush_gp",
     .pcide = true,
     .src = SE_CR3_LAM_U48 | SE_CR3_NOFLUSH | NEW_ROOT | 1,
     GP},
    {.name = "test_cr3_lam_u57_maxphyaddr52_gp",
     .pcide = true,
     .maxphyaddr = 52,
     .src = SE_CR3_LAM_U57 | NEW_ROOT,
     GP},
    /* CR3-1 */
    {.name = "test_cr3_cpl3_gp", .pcide = true, .cpl = 3, .src = NEW_ROOT | 2, GP},
    {.name = "test_cr3_cpl3_noflush_gp",
     .pcide = true,
     .cpl = 3,
     .src = NEW_ROOT | 2 | SE_CR3_NOFLUSH,
     GP},
    {.name = "test_cr3_cpl1_gp", .cpl = 1, .src = NEW_ROOT, GP},
};

static void test_cr3(void **state)
{
    const cr3_row *r = *state;
    se_cpu_features f = t_features(SE_VENDOR_INTEL, false);
    if (r->maxphyaddr != 0)
        f.maxphyaddr = r->maxphyaddr;
    se_cpu_state st;
    t_kernel_state(&st);
    st.cpl = r->cpl;
    if (!r->pcide) {
        st.cr4 &= ~SE_CR4_PCIDE;
        st.cr3 = T_CR3;
    }
    se_tlb tlb;
    t_tlb_prime(&tlb);
    se_cpu_state before;
    memcpy(&before, &st, sizeof st);
    se_tlb tlb_before = tlb;
    se_cr3_effect eff;
    memset(&eff, 0x5A, sizeof eff);
    se_fault fault;
    t_scribble_fault(&fault);

    se_fault_kind k = se_cpu_mov_to_cr3(&f, &st, r->src, &tlb, &eff, &fault);

    assert_int_equal(k, r->kind);
    if (r->kind == SE_FAULT_FAULT) {
        t_expect_fault(&fault, &before, SE_VEC_GP, 0);
        t_expect_state(&before, &st);
        assert_memory_equal(&tlb, &tlb_before, sizeof tlb); /* nothing counted or flushed */
        return;
    }
    se_cpu_state want;
    memcpy(&want, &before, sizeof want);
    want.cr3 = r->want_cr3;
    t_expect_state(&want, &st);
    t_expect_no_fault(&fault);
    assert_int_equal(eff.flushed, !r->want_noflush);
    assert_int_equal(eff.noflush, r->want_noflush);
    assert_int_equal(eff.pcid, r->want_pcid);
    assert_int_equal(tlb.cr3_writes, 1);
    assert_int_equal(tlb.flushing_writes, r->want_noflush ? 0 : 1);
    assert_int_equal(tlb.noflush_writes, r->want_noflush ? 1 : 0);
    assert_int_equal(tlb.full_flushes, 0);
    /* CR3-5: at most the new PCID went; every other PCID is still there */
    for (size_t i = 0; i < sizeof t_live_pcids / sizeof t_live_pcids[0]; i++) {
        uint16_t p = t_live_pcids[i];
        bool want_live = r->want_noflush || p != r->want_pcid;
        if (se_tlb_pcid_live(&tlb, p) != want_live)
            fail_msg("PCID 0x%x: live %d, expected %d", p, !want_live, want_live);
    }
}

/* tlb and effect are optional */
static void test_cr3_without_tlb_or_effect(void **state)
{
    (void)state;
    se_cpu_features f = t_features(SE_VENDOR_INTEL, false);
    se_cpu_state st;
    t_kernel_state(&st);
    se_fault fault;
    assert_int_equal(se_cpu_mov_to_cr3(&f, &st, NEW_ROOT | 3 | SE_CR3_NOFLUSH, NULL, NULL, &fault),
                     SE_FAULT_NONE);
    se_assert_eq_hex("cr3", st.cr3, NEW_ROOT | 3);
}

/* Linux with PTI and PCID: entry switches to the kernel PCID without flushing; exit to the
 * user PCID flushes it only when the kernel asked for that (CR3-5). */
static void test_cr3_pti_round_trip(void **state)
{
    (void)state;
    se_cpu_features f = t_features(SE_VENDOR_INTEL, false);
    se_cpu_state st;
    t_kernel_state(&st);
    const uint64_t kernel = NEW_ROOT | 1, user = NEW_ROOT | PTI_USER | 1;
    const uint16_t kpcid = 1, upcid = SE_PTI_USER_PCID_BIT | 1;
    se_tlb tlb;
    t_tlb_prime(&tlb);
    se_cr3_effect eff;
    se_fault fault;
    assert_int_equal(se_cpu_mov_to_cr3(&f, &st, kernel | SE_CR3_NOFLUSH, &tlb, &eff, &fault),
                     SE_FAULT_NONE);
    assert_true(se_tlb_pcid_live(&tlb, kpcid) && se_tlb_pcid_live(&tlb, upcid));
    assert_int_equal(se_cpu_mov_to_cr3(&f, &st, user | SE_CR3_NOFLUSH, &tlb, &eff, &fault),
                     SE_FAULT_NONE);
    assert_true(se_tlb_pcid_live(&tlb, kpcid) && se_tlb_pcid_live(&tlb, upcid));
    assert_int_equal(se_cpu_mov_to_cr3(&f, &st, user, &tlb, &eff, &fault), SE_FAULT_NONE);
    assert_true(se_tlb_pcid_live(&tlb, kpcid));
    assert_false(se_tlb_pcid_live(&tlb, upcid));
    assert_int_equal(tlb.cr3_writes, 3);
    assert_int_equal(tlb.noflush_writes, 2);
    assert_int_equal(tlb.flushing_writes, 1);
    se_assert_eq_hex("cr3", st.cr3, user);
}

static void test_tlb_touch_reset_and_wrap(void **state)
{
    (void)state;
    se_tlb tlb;
    memset(&tlb, 0xFF, sizeof tlb);
    se_tlb_reset(&tlb);
    assert_int_equal(tlb.cr3_writes + tlb.flushing_writes + tlb.noflush_writes + tlb.full_flushes,
                     0);
    for (unsigned p = 0; p <= SE_CR3_PCID_MASK; p++)
        assert_false(se_tlb_pcid_live(&tlb, (uint16_t)p));
    se_tlb_touch(&tlb, 63);
    se_tlb_touch(&tlb, 64);
    assert_true(se_tlb_pcid_live(&tlb, 63));
    assert_true(se_tlb_pcid_live(&tlb, 64));
    assert_false(se_tlb_pcid_live(&tlb, 62));
    assert_false(se_tlb_pcid_live(&tlb, 65));
    /* a PCID has 12 bits: 4096 + 5 names PCID 5 */
    se_tlb_touch(&tlb, SE_CR3_PCID_MASK + 1 + 5);
    assert_true(se_tlb_pcid_live(&tlb, 5));
}

/* ---- MOV to CR4 (CR3-6) ------------------------------------------------------------------- */

typedef struct cr4_row {
    const char *name;
    bool cpu_pcid, cpu_la57;
    bool amd;                   /* Zen 4 reference CPU instead of the Skylake-class Intel */
    unsigned feat_on, feat_off; /* T_F_* changes to the reference CPU */
    bool no_wp;                 /* CR0.WP clear */
    bool no_lma;                /* EFER.LME/LMA clear: legacy paging */
    uint8_t cpl;
    uint64_t cr4, cr3, src;
    se_fault_kind kind; /* FAULT rows are always #GP(0) */
    bool full_flush;
    bool pcid_flush; /* only the current PCID is invalidated (Intel SDM Vol. 3A §4.10.4.1) */
} cr4_row;

static const cr4_row cr4_rows[] = {
    /* CR3-6: setting PCIDE */
    {.name = "test_cr4_set_pcide_ok_no_flush",
     .cpu_pcid = true,
     .cr4 = C4,
     .cr3 = T_CR3,
     .src = C4 | SE_CR4_PCIDE},
    {.name = "test_cr4_set_pcide_cr3_pcid_nonzero_gp",
     .cpu_pcid = true,
     .cr4 = C4,
     .cr3 = T_CR3 | 1,
     .src = C4 | SE_CR4_PCIDE,
     GP},
    {.name = "test_cr4_set_pcide_cr3_pwt_gp",
     .cpu_pcid = true,
     .cr4 = C4,
     .cr3 = T_CR3 | SE_CR3_PWT,
     .src = C4 | SE_CR4_PCIDE,
     GP},
    {.name = "test_cr4_set_pcide_outside_long_mode_gp",
     .cpu_pcid = true,
     .no_lma = true,
     .cr4 = C4,
     .cr3 = T_CR3,
     .src = C4 | SE_CR4_PCIDE,
     GP},
    {.name = "test_cr4_set_pcide_cpu_without_pcid_gp",
     .cr4 = C4,
     .cr3 = T_CR3,
     .src = C4 | SE_CR4_PCIDE,
     GP},
    /* only the 0 -> 1 transition looks at CR3[11:0] */
    {.name = "test_cr4_keep_pcide_with_pcid_in_cr3_ok",
     .cpu_pcid = true,
     .cr4 = C4 | SE_CR4_PCIDE,
     .cr3 = T_CR3 | 5,
     .src = C4 | SE_CR4_PCIDE | SE_CR4_SMEP,
     .pcid_flush = true},
    /* CR3-6: clearing PCIDE or toggling PGE drops everything, globals included */
    {.name = "test_cr4_clear_pcide_full_flush",
     .cpu_pcid = true,
     .cr4 = C4 | SE_CR4_PCIDE,
     .cr3 = T_CR3,
     .src = C4,
     .full_flush = true},
    {.name = "test_cr4_clear_pge_full_flush",
     .cpu_pcid = true,
     .cr4 = C4 | SE_CR4_PCIDE,
     .cr3 = T_CR3 | 1,
     .src = (C4 | SE_CR4_PCIDE) & ~SE_CR4_PGE,
     .full_flush = true},
    {.name = "test_cr4_set_pge_full_flush",
     .cpu_pcid = true,
     .cr4 = C4 & ~SE_CR4_PGE,
     .cr3 = T_CR3,
     .src = C4,
     .full_flush = true},
    {.name = "test_cr4_same_value_no_flush",
     .cpu_pcid = true,
     .cr4 = C4 | SE_CR4_PCIDE,
     .cr3 = T_CR3 | 1,
     .src = C4 | SE_CR4_PCIDE},
    /* Intel SDM Vol. 3A §4.10.4.1: SMEP 0 -> 1 and any PAE change invalidate the current
     * PCID (non-global entries; globals survive in the model, CR3-5 allows more) */
    {.name = "test_cr4_set_smep_flushes_current_pcid",
     .cpu_pcid = true,
     .cr4 = C4 | SE_CR4_PCIDE,
     .cr3 = T_CR3 | 5,
     .src = C4 | SE_CR4_PCIDE | SE_CR4_SMEP | SE_CR4_SMAP,
     .pcid_flush = true},
    {.name = "test_cr4_set_smep_pcide_off_flushes_pcid0",
     .cpu_pcid = true,
     .cr4 = C4,
     .cr3 = T_CR3,
     .src = C4 | SE_CR4_SMEP,
     .pcid_flush = true},
    {.name = "test_cr4_clear_smep_no_flush",
     .cpu_pcid = true,
     .cr4 = C4 | SE_CR4_PCIDE | SE_CR4_SMEP,
     .cr3 = T_CR3 | 5,
     .src = C4 | SE_CR4_PCIDE},
    {.name = "test_cr4_set_smap_no_flush",
     .cpu_pcid = true,
     .cr4 = C4 | SE_CR4_PCIDE,
     .cr3 = T_CR3 | 5,
     .src = C4 | SE_CR4_PCIDE | SE_CR4_SMAP},
    {.name = "test_cr4_set_smep_cpl3_gp_no_flush",
     .cpu_pcid = true,
     .cpl = 3,
     .cr4 = C4 | SE_CR4_PCIDE,
     .cr3 = T_CR3 | 5,
     .src = C4 | SE_CR4_PCIDE | SE_CR4_SMEP,
     GP},
    {.name = "test_cr4_set_pae_outside_long_mode_flushes_pcid0",
     .no_lma = true,
     .cr4 = C4 & ~SE_CR4_PAE,
     .cr3 = T_CR3,
     .src = C4,
     .pcid_flush = true},
    {.name = "test_cr4_set_pse_no_flush",
     .no_lma = true,
     .cr4 = C4,
     .cr3 = T_CR3,
     .src = C4 | SE_CR4_PSE},
    {.name = "test_cr4_set_smep_and_pge_full_flush",
     .cpu_pcid = true,
     .cr4 = C4 & ~SE_CR4_PGE,
     .cr3 = T_CR3,
     .src = C4 | SE_CR4_SMEP,
     .full_flush = true},
    {.name = "test_cr4_set_fsgsbase_osxsave_umip_ok",
     .cpu_pcid = true,
     .cr4 = C4,
     .cr3 = T_CR3,
     .src = C4 | SE_CR4_FSGSBASE | SE_CR4_OSXSAVE | SE_CR4_UMIP},
    /* LA57 is fixed while long mode is active (CANON-2) */
    {.name = "test_cr4_set_la57_in_long_mode_gp",
     .cpu_la57 = true,
     .cr4 = C4,
     .cr3 = T_CR3,
     .src = C4 | SE_CR4_LA57,
     GP},
    {.name = "test_cr4_clear_la57_in_long_mode_gp",
     .cpu_la57 = true,
     .cr4 = C4 | SE_CR4_LA57,
     .cr3 = T_CR3,
     .src = C4,
     GP},
    {.name = "test_cr4_keep_la57_in_long_mode_ok",
     .cpu_la57 = true,
     .cr4 = C4 | SE_CR4_LA57,
     .cr3 = T_CR3,
     .src = C4 | SE_CR4_LA57 | SE_CR4_SMEP,
     .pcid_flush = true},
    {.name = "test_cr4_set_la57_outside_long_mode_ok",
     .cpu_la57 = true,
     .no_lma = true,
     .cr4 = C4,
     .cr3 = T_CR3,
     .src = C4 | SE_CR4_LA57},
    {.name = "test_cr4_set_la57_cpu_without_la57_gp",
     .no_lma = true,
     .cr4 = C4,
     .cr3 = T_CR3,
     .src = C4 | SE_CR4_LA57,
     GP},
    /* IA-32e paging needs PAE */
    {.name = "test_cr4_clear_pae_in_long_mode_gp",
     .cr4 = C4,
     .cr3 = T_CR3,
     .src = C4 & ~SE_CR4_PAE,
     GP},
    {.name = "test_cr4_clear_pae_outside_long_mode_ok",
     .no_lma = true,
     .cr4 = C4,
     .cr3 = T_CR3,
     .src = C4 & ~SE_CR4_PAE,
     .pcid_flush = true},
    /* bits of features the modelled CPU does not have, and reserved bits */
    {.name = "test_cr4_vmxe_unsupported_gp", .cr4 = C4, .cr3 = T_CR3, .src = C4 | SE_CR4_VMXE, GP},
    {.name = "test_cr4_smxe_unsupported_gp", .cr4 = C4, .cr3 = T_CR3, .src = C4 | SE_CR4_SMXE, GP},
    {.name = "test_cr4_pke_unsupported_gp", .cr4 = C4, .cr3 = T_CR3, .src = C4 | SE_CR4_PKE, GP},
    {.name = "test_cr4_cet_unsupported_gp", .cr4 = C4, .cr3 = T_CR3, .src = C4 | SE_CR4_CET, GP},
    /* Intel SDM Vol. 3A §2.5: PKE and CET exist with their CPUID bits (se_cpu_features) */
    {.name = "test_cr4_pke_with_pku_ok",
     .feat_on = T_F_PKU,
     .cr4 = C4,
     .cr3 = T_CR3,
     .src = C4 | SE_CR4_PKE},
    {.name = "test_cr4_pke_zen4_ok", .amd = true, .cr4 = C4, .cr3 = T_CR3, .src = C4 | SE_CR4_PKE},
    {.name = "test_cr4_pke_zen4_without_pku_gp",
     .amd = true,
     .feat_off = T_F_PKU,
     .cr4 = C4,
     .cr3 = T_CR3,
     .src = C4 | SE_CR4_PKE,
     GP},
    {.name = "test_cr4_cet_with_shstk_ok",
     .feat_on = T_F_CET_SS,
     .cr4 = C4,
     .cr3 = T_CR3,
     .src = C4 | SE_CR4_CET},
    {.name = "test_cr4_cet_with_ibt_only_ok",
     .feat_on = T_F_CET_IBT,
     .cr4 = C4,
     .cr3 = T_CR3,
     .src = C4 | SE_CR4_CET},
    {.name = "test_cr4_cet_zen4_ok", .amd = true, .cr4 = C4, .cr3 = T_CR3, .src = C4 | SE_CR4_CET},
    /* Intel SDM Vol. 3A §2.5 (CR4.CET): only with CR0.WP = 1 */
    {.name = "test_cr4_cet_with_wp_clear_gp",
     .feat_on = T_F_CET_SS,
     .no_wp = true,
     .cr4 = C4,
     .cr3 = T_CR3,
     .src = C4 | SE_CR4_CET,
     GP},
    {.name = "test_cr4_cet_cpu_wp_clear_without_cet_ok",
     .feat_on = T_F_CET_SS,
     .no_wp = true,
     .cr4 = C4,
     .cr3 = T_CR3,
     .src = C4 | SE_CR4_SMAP},
    {.name = "test_cr4_lam_sup_unsupported_gp",
     .cr4 = C4,
     .cr3 = T_CR3,
     .src = C4 | SE_CR4_LAM_SUP,
     GP},
    {.name = "test_cr4_fred_unsupported_gp", .cr4 = C4, .cr3 = T_CR3, .src = C4 | SE_CR4_FRED, GP},
    {.name = "test_cr4_bit63_reserved_gp", .cr4 = C4, .cr3 = T_CR3, .src = C4 | BIT63, GP},
    /* CR3-1 applies to every control register */
    {.name = "test_cr4_cpl3_gp",
     .cpu_pcid = true,
     .cpl = 3,
     .cr4 = C4,
     .cr3 = T_CR3,
     .src = C4,
     GP},
    /* a write that would flush everything but faults flushes nothing */
    {.name = "test_cr4_clear_pcide_with_reserved_bit_gp_no_flush",
     .cpu_pcid = true,
     .cr4 = C4 | SE_CR4_PCIDE,
     .cr3 = T_CR3,
     .src = C4 | SE_CR4_VMXE,
     GP},
};

static void test_cr4(void **state)
{
    const cr4_row *r = *state;
    se_cpu_features f = t_features(r->amd ? SE_VENDOR_AMD : SE_VENDOR_INTEL, r->cpu_la57);
    f.pcid = r->cpu_pcid;
    t_features_adjust(&f, r->feat_on, r->feat_off);
    se_cpu_state st;
    t_kernel_state(&st);
    st.cpl = r->cpl;
    st.cr4 = r->cr4;
    st.cr3 = r->cr3;
    if (r->no_wp)
        st.cr0 &= ~SE_CR0_WP;
    if (r->no_lma)
        st.efer &= ~(SE_EFER_LME | SE_EFER_LMA);
    se_tlb tlb;
    t_tlb_prime(&tlb);
    se_cpu_state before;
    memcpy(&before, &st, sizeof st);
    se_tlb tlb_before = tlb;
    se_fault fault;
    t_scribble_fault(&fault);

    se_fault_kind k = se_cpu_mov_to_cr4(&f, &st, r->src, &tlb, &fault);

    assert_int_equal(k, r->kind);
    if (r->kind == SE_FAULT_FAULT) {
        t_expect_fault(&fault, &before, SE_VEC_GP, 0);
        t_expect_state(&before, &st);
        assert_memory_equal(&tlb, &tlb_before, sizeof tlb);
        return;
    }
    se_cpu_state want;
    memcpy(&want, &before, sizeof want);
    want.cr4 = r->src;
    t_expect_state(&want, &st);
    t_expect_no_fault(&fault);
    assert_int_equal(tlb.full_flushes, r->full_flush ? 1 : 0);
    assert_int_equal(tlb.pcid_flushes, r->pcid_flush ? 1 : 0);
    assert_int_equal(tlb.cr3_writes, 0);
    uint16_t current = (r->src & SE_CR4_PCIDE) ? (uint16_t)(r->cr3 & SE_CR3_PCID_MASK) : 0;
    for (size_t i = 0; i < sizeof t_live_pcids / sizeof t_live_pcids[0]; i++) {
        bool flushed = r->full_flush || (r->pcid_flush && t_live_pcids[i] == current);
        assert_int_equal(se_tlb_pcid_live(&tlb, t_live_pcids[i]), !flushed);
    }
}

static void test_cr4_without_tlb(void **state)
{
    (void)state;
    se_cpu_features f = t_features(SE_VENDOR_AMD, false);
    se_cpu_state st;
    t_kernel_state(&st);
    se_fault fault;
    assert_int_equal(se_cpu_mov_to_cr4(&f, &st, st.cr4 & ~SE_CR4_PGE, NULL, &fault), SE_FAULT_NONE);
    assert_false(st.cr4 & SE_CR4_PGE);
}

/* ---- MOV to CR0 -------------------------------------------------------------------------- */

#define K0                (SE_CR0_PE | SE_CR0_MP | SE_CR0_ET | SE_CR0_NE | SE_CR0_WP | SE_CR0_AM | SE_CR0_PG)
#define BIT32             (1ull << 32)
#define CR0_UNDEFINED_LOW ((1ull << 6) | (1ull << 15) | (1ull << 17) | (1ull << 28))

typedef struct cr0_row {
    const char *name;
    t_mode mode; /* where the write runs (t_set_mode on the Linux kernel state) */
    uint8_t cpl;
    uint64_t cr0_clear; /* taken out of the Linux CR0 (K0) before the write */
    uint64_t cr4_set, cr4_clear;
    bool lme; /* EFER.LME set before the write (legacy/real mode clear it) */
    uint64_t src;
    se_fault_kind kind; /* FAULT rows are always #GP(0) */
    uint64_t want_cr0;
    bool lma_toggles; /* the write activates or leaves IA-32e mode */
    bool full_flush;
} cr0_row;

static const cr0_row cr0_rows[] = {
    /* privilege (CR3-1) */
    {.name = "test_cr0_cpl0_set_ts_ok", .src = K0 | SE_CR0_TS, .want_cr0 = K0 | SE_CR0_TS},
    {.name = "test_cr0_cpl3_gp", .cpl = 3, .src = K0 | SE_CR0_TS, GP},
    /* Vol. 3A §2.5: bits 63:32 must be zero in 64-bit mode */
    {.name = "test_cr0_bits_31_0_only_ok", .src = K0 | SE_CR0_EM, .want_cr0 = K0 | SE_CR0_EM},
    {.name = "test_cr0_bit32_gp", .src = K0 | BIT32, GP},
    {.name = "test_cr0_bit63_gp", .src = K0 | BIT63, GP},
    /* Vol. 2B MOV CR: outside 64-bit mode the operand is r32, so bits 63:32 never arrive */
    {.name = "test_cr0_compat_mode_high_bits_not_an_operand_ok",
     .mode = T_MODE_COMPAT,
     .src = K0 | BIT32 | BIT63,
     .want_cr0 = K0},
    /* Vol. 2B MOV CR: undefined bits of 31:0 stay clear, ET stays set */
    {.name = "test_cr0_undefined_low_bits_dropped", .src = K0 | CR0_UNDEFINED_LOW, .want_cr0 = K0},
    {.name = "test_cr0_et_cannot_be_cleared", .src = K0 & ~SE_CR0_ET, .want_cr0 = K0},
    {.name = "test_cr0_zero_in_real_mode_keeps_et",
     .mode = T_MODE_REAL,
     .src = 0,
     .want_cr0 = SE_CR0_ET},
    /* Vol. 2B MOV CR: PG needs PE */
    {.name = "test_cr0_real_mode_set_pe_and_pg_ok",
     .mode = T_MODE_REAL,
     .src = SE_CR0_PE | SE_CR0_PG | SE_CR0_ET,
     .want_cr0 = SE_CR0_PE | SE_CR0_PG | SE_CR0_ET},
    {.name = "test_cr0_real_mode_set_pg_without_pe_gp",
     .mode = T_MODE_REAL,
     .src = SE_CR0_PG | SE_CR0_ET,
     GP},
    {.name = "test_cr0_legacy_clear_pe_keep_pg_gp",
     .mode = T_MODE_LEGACY,
     .src = K0 & ~SE_CR0_PE,
     GP},
    {.name = "test_cr0_64bit_clear_pe_gp", .src = K0 & ~SE_CR0_PE, GP},
    /* Vol. 2B MOV CR: NW needs CD */
    {.name = "test_cr0_set_cd_ok", .src = K0 | SE_CR0_CD, .want_cr0 = K0 | SE_CR0_CD},
    {.name = "test_cr0_set_cd_and_nw_ok",
     .src = K0 | SE_CR0_CD | SE_CR0_NW,
     .want_cr0 = K0 | SE_CR0_CD | SE_CR0_NW},
    {.name = "test_cr0_set_nw_without_cd_gp", .src = K0 | SE_CR0_NW, GP},
    {.name = "test_cr0_real_mode_nw_without_cd_gp",
     .mode = T_MODE_REAL,
     .src = SE_CR0_ET | SE_CR0_NW,
     GP},
    /* Vol. 3A §2.5 (PG): no clearing PG in 64-bit mode or with PCIDE; compatibility mode
     * leaves IA-32e mode that way, which flushes everything (§4.10.4.1) */
    {.name = "test_cr0_64bit_clear_pg_gp", .src = K0 & ~SE_CR0_PG, GP},
    {.name = "test_cr0_64bit_clear_pg_without_pcide_gp",
     .cr4_clear = SE_CR4_PCIDE,
     .src = K0 & ~SE_CR0_PG,
     GP},
    {.name = "test_cr0_64bit_zero_gp", .src = 0, GP},
    {.name = "test_cr0_compat_clear_pg_with_pcide_gp",
     .mode = T_MODE_COMPAT,
     .src = K0 & ~SE_CR0_PG,
     GP},
    {.name = "test_cr0_compat_clear_pg_leaves_ia32e_mode",
     .mode = T_MODE_COMPAT,
     .cr4_clear = SE_CR4_PCIDE,
     .src = K0 & ~SE_CR0_PG,
     .want_cr0 = K0 & ~SE_CR0_PG,
     .lma_toggles = true,
     .full_flush = true},
    {.name = "test_cr0_legacy_clear_pg_full_flush",
     .mode = T_MODE_LEGACY,
     .src = K0 & ~SE_CR0_PG,
     .want_cr0 = K0 & ~SE_CR0_PG,
     .full_flush = true},
    /* Vol. 3A §4.1.2: activating IA-32e mode needs PAE */
    {.name = "test_cr0_set_pg_with_lme_and_pae_enters_ia32e_mode",
     .mode = T_MODE_LEGACY,
     .cr0_clear = SE_CR0_PG,
     .lme = true,
     .src = K0,
     .want_cr0 = K0,
     .lma_toggles = true},
    {.name = "test_cr0_set_pg_with_lme_without_pae_gp",
     .mode = T_MODE_LEGACY,
     .cr0_clear = SE_CR0_PG,
     .cr4_clear = SE_CR4_PAE,
     .lme = true,
     .src = K0,
     GP},
    {.name = "test_cr0_set_pg_without_lme_or_pae_ok",
     .mode = T_MODE_LEGACY,
     .cr0_clear = SE_CR0_PG,
     .cr4_clear = SE_CR4_PAE,
     .src = K0,
     .want_cr0 = K0},
    /* Vol. 3A §2.5 (WP): not with CR4.CET = 1 (reachable on a CPU with CET) */
    {.name = "test_cr0_clear_wp_without_cet_ok",
     .src = K0 & ~SE_CR0_WP,
     .want_cr0 = K0 & ~SE_CR0_WP},
    {.name = "test_cr0_keep_wp_with_cet_ok",
     .cr4_set = SE_CR4_CET,
     .src = K0 | SE_CR0_TS,
     .want_cr0 = K0 | SE_CR0_TS},
    {.name = "test_cr0_clear_wp_with_cet_gp", .cr4_set = SE_CR4_CET, .src = K0 & ~SE_CR0_WP, GP},
    /* a write that would flush everything but faults flushes nothing */
    {.name = "test_cr0_legacy_clear_pg_with_nw_gp_no_flush",
     .mode = T_MODE_LEGACY,
     .src = (K0 & ~SE_CR0_PG) | SE_CR0_NW,
     GP},
};

static void test_cr0(void **state)
{
    const cr0_row *r = *state;
    se_cpu_features f = t_features(SE_VENDOR_INTEL, false);
    se_cpu_state st;
    t_kernel_state(&st);
    t_set_mode(&st, r->mode);
    st.cpl = r->cpl;
    st.cr0 &= ~r->cr0_clear;
    st.cr4 = (st.cr4 | r->cr4_set) & ~r->cr4_clear;
    if (r->lme)
        st.efer |= SE_EFER_LME;
    se_tlb tlb;
    t_tlb_prime(&tlb);
    se_cpu_state before;
    memcpy(&before, &st, sizeof st);
    se_tlb tlb_before = tlb;
    se_fault fault;
    t_scribble_fault(&fault);

    se_fault_kind k = se_cpu_mov_to_cr0(&f, &st, r->src, &tlb, &fault);

    assert_int_equal(k, r->kind);
    if (r->kind == SE_FAULT_FAULT) {
        t_expect_fault(&fault, &before, SE_VEC_GP, 0);
        t_expect_state(&before, &st);
        assert_memory_equal(&tlb, &tlb_before, sizeof tlb);
        return;
    }
    se_cpu_state want;
    memcpy(&want, &before, sizeof want);
    want.cr0 = r->want_cr0;
    if (r->lma_toggles)
        want.efer ^= SE_EFER_LMA;
    t_expect_state(&want, &st);
    t_expect_no_fault(&fault);
    assert_int_equal(tlb.full_flushes, r->full_flush ? 1 : 0);
    assert_int_equal(tlb.cr3_writes, 0);
    for (size_t i = 0; i < sizeof t_live_pcids / sizeof t_live_pcids[0]; i++)
        assert_int_equal(se_tlb_pcid_live(&tlb, t_live_pcids[i]), !r->full_flush);
}

/* Leaving IA-32e mode the way the SDM prescribes (compatibility mode, PCIDE off, then PG off)
 * and coming back; `tlb` is optional. */
static void test_cr0_leave_and_reenter_ia32e_mode(void **state)
{
    (void)state;
    se_cpu_features f = t_features(SE_VENDOR_INTEL, false);
    se_cpu_state st;
    t_kernel_state(&st);
    se_fault fault;
    assert_int_equal(se_cpu_mov_to_cr0(&f, &st, K0 & ~SE_CR0_PG, NULL, &fault), SE_FAULT_FAULT);
    t_set_mode(&st, T_MODE_COMPAT);
    assert_int_equal(se_cpu_mov_to_cr4(&f, &st, st.cr4 & ~SE_CR4_PCIDE, NULL, &fault),
                     SE_FAULT_NONE);
    assert_int_equal(se_cpu_mov_to_cr0(&f, &st, K0 & ~SE_CR0_PG, NULL, &fault), SE_FAULT_NONE);
    assert_false(st.efer & SE_EFER_LMA);
    assert_true(st.efer & SE_EFER_LME);
    assert_int_equal(se_cpu_mov_to_cr0(&f, &st, K0, NULL, &fault), SE_FAULT_NONE);
    assert_true(st.efer & SE_EFER_LMA);
    se_assert_eq_hex("cr0", st.cr0, K0);
}

int t_run_cr(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cr3_without_tlb_or_effect),
        cmocka_unit_test(test_cr3_pti_round_trip),
        cmocka_unit_test(test_tlb_touch_reset_and_wrap),
        cmocka_unit_test(test_cr4_without_tlb),
        cmocka_unit_test(test_cr0_leave_and_reenter_ia32e_mode),
    };
    int failed = cmocka_run_group_tests_name("cpu_cr_sequences", tests, NULL, NULL);
    failed += SE_TEST_RUN_ROWS("cpu_mov_cr3", cr3_rows, test_cr3);
    failed += SE_TEST_RUN_ROWS("cpu_mov_cr4", cr4_rows, test_cr4);
    failed += SE_TEST_RUN_ROWS("cpu_mov_cr0", cr0_rows, test_cr0);
    return failed;
}
