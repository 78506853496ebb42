/*
 * The architectural model without Unicorn: one named row per rule and case of
 * x86-semantics.md (rule IDs in the row names' comments), both vendors where they differ,
 * 48- and 57-bit widths. A faulting call must leave the state byte-identical.
 */
#include "se_test.h"

#include <string.h>

#include "cpu/model.h"

static se_cpu_features feat(se_vendor v, bool la57)
{
    return (se_cpu_features){.vendor = v, .la57 = la57, .pcid = true, .nx = true, .maxphyaddr = 40};
}

/* Linux user mode just before SYSCALL, or the kernel just before SYSRET (cpl 0). */
static se_cpu_state base_state(uint8_t cpl, bool la57)
{
    se_cpu_state s;
    memset(&s, 0, sizeof s);
    s.cpl = cpl;
    s.efer = SE_EFER_SCE | SE_EFER_LME | SE_EFER_LMA | SE_EFER_NXE;
    s.cr0 = SE_CR0_PE | SE_CR0_PG | SE_CR0_WP;
    s.cr4 = SE_CR4_PAE | SE_CR4_PCIDE | (la57 ? SE_CR4_LA57 : 0);
    s.star = SE_LINUX_STAR;
    s.lstar = 0xffffffff81000000ull;
    s.cstar = 0xffffffff81000100ull;
    s.sfmask = SE_LINUX_SYSCALL_MASK;
    s.regs.rip = 0x401000;
    s.regs.rflags = 0x246;
    s.regs.cs = cpl ? SE_USER_CS : SE_KERNEL_CS;
    s.regs.ss = cpl ? SE_USER_DS : SE_KERNEL_DS;
    s.cs_cache =
        (se_seg_cache){0, SE_SEG_FLAT_LIMIT, cpl ? SE_SEG_AR_USER_CS : SE_SEG_AR_KERNEL_CS};
    s.ss_cache =
        (se_seg_cache){0, SE_SEG_FLAT_LIMIT, cpl ? SE_SEG_AR_USER_SS : SE_SEG_AR_KERNEL_SS};
    s.ds_ar = s.es_ar = s.fs_ar = s.gs_ar = SE_SEG_AR_UNUSABLE;
    return s;
}

/* ---- canonical addresses (CANON-1..5) ------------------------------------------------------ */

typedef struct canon_row {
    const char *name;
    uint64_t addr;
    bool c48, c57;
} canon_row;

static const canon_row canon_rows[] = {
    {"zero", 0, true, true},
    {"top_user_48", 0x00007fffffffffffull, true, true},
    {"first_noncanonical_48", 0x0000800000000000ull, false, true},
    {"lowest_kernel_48", 0xffff800000000000ull, true, true},
    {"just_below_lowest_kernel_48", 0xffff7fffffffffffull, false, true},
    {"top_user_57", 0x00ffffffffffffffull, false, true},
    {"first_noncanonical_57", 0x0100000000000000ull, false, false},
    {"lowest_kernel_57", 0xff00000000000000ull, false, true},
    {"bit63_only", 0x8000000000000000ull, false, false},
    {"all_ones", 0xffffffffffffffffull, true, true},
};

static void test_canonical(void **state)
{
    const canon_row *r = *state;
    assert_int_equal(se_is_canonical(r->addr, 48), r->c48);
    assert_int_equal(se_is_canonical(r->addr, 57), r->c57);
}

static void test_canonical_series_and_widths(void **s)
{
    (void)s;
    /* CANON-5: 1 << i for i = 47..63: never canonical at 48; canonical at 57 up to i = 55 */
    for (int i = 47; i <= 63; i++) {
        assert_false(se_is_canonical(1ull << i, 48));
        assert_int_equal(se_is_canonical(1ull << i, 57), i <= 55);
    }
    assert_false(se_is_canonical(0, 32));
    assert_false(se_is_canonical(0, 64));
    se_cpu_state st = base_state(0, false);
    assert_int_equal(se_cpu_va_width(&st), 48);
    st.cr4 |= SE_CR4_LA57;
    assert_int_equal(se_cpu_va_width(&st), 57); /* CANON-3: current paging mode */
    se_cpu_features f = feat(SE_VENDOR_INTEL, true);
    assert_int_equal(se_cpu_msr_va_width(&f), 57); /* CANON-3: CPU-supported width */
    assert_non_null(se_vendor_traits_get(SE_VENDOR_AMD));
    assert_null(se_vendor_traits_get((se_vendor)5));
}

/* ---- SYSCALL (SYSCALL-1..10) ------------------------------------------------------------- */

typedef struct syscall_row {
    const char *name;
    se_vendor vendor;
    uint64_t rflags;
    uint64_t efer;
    bool compat;     /* CS.L = 0: compatibility mode */
    uint64_t sfmask; /* 0: Linux's */
    se_fault_kind kind;
    uint8_t vector;
} syscall_row;

#define EFER_LINUX (SE_EFER_SCE | SE_EFER_LME | SE_EFER_LMA | SE_EFER_NXE)
static const syscall_row syscall_rows[] = {
    {"plain_intel", SE_VENDOR_INTEL, 0x246, EFER_LINUX, false, 0, SE_FAULT_NONE, 0},
    {"plain_amd", SE_VENDOR_AMD, 0x246, EFER_LINUX, false, 0, SE_FAULT_NONE, 0},
    {"every_fmask_bit_set", SE_VENDOR_INTEL, SE_RFLAGS_DEFINED & ~SE_RFLAGS_VM, EFER_LINUX, false,
     0, SE_FAULT_NONE, 0},
    {"rf_nt_ac_tf_set", SE_VENDOR_INTEL,
     0x246 | SE_RFLAGS_RF | SE_RFLAGS_NT | SE_RFLAGS_AC | SE_RFLAGS_TF, EFER_LINUX, false, 0,
     SE_FAULT_NONE, 0},
    {"no_sce_ud", SE_VENDOR_INTEL, 0x246, SE_EFER_LME | SE_EFER_LMA, false, 0, SE_FAULT_FAULT,
     SE_VEC_UD},
    {"intel_compat_mode_ud", SE_VENDOR_INTEL, 0x246, EFER_LINUX, true, 0, SE_FAULT_FAULT,
     SE_VEC_UD},
    {"amd_compat_mode_cstar", SE_VENDOR_AMD, 0x246, EFER_LINUX, true, 0, SE_FAULT_NONE, 0},
    {"fmask_keeps_tf_trap", SE_VENDOR_INTEL, 0x246 | SE_RFLAGS_TF, EFER_LINUX, false,
     SE_LINUX_SYSCALL_MASK & ~SE_RFLAGS_TF, SE_FAULT_TRAP, SE_VEC_DB},
};

static void test_syscall(void **state)
{
    const syscall_row *r = *state;
    se_cpu_features f = feat(r->vendor, false);
    se_cpu_state st = base_state(3, false);
    st.regs.rflags = r->rflags;
    st.efer = r->efer;
    if (r->compat)
        st.cs_cache.ar &= ~SE_SEG_AR_L;
    if (r->sfmask)
        st.sfmask = r->sfmask;
    se_cpu_state before = st;
    se_fault fault;
    se_fault_kind k = se_cpu_syscall(&f, &st, 2, &fault);
    assert_int_equal(k, r->kind);
    if (k == SE_FAULT_FAULT) {
        assert_int_equal(fault.vector, r->vector);
        assert_int_equal(fault.cpl, 3);
        assert_memory_equal(&st, &before, sizeof st); /* nothing changed */
        return;
    }
    se_assert_eq_hex("rcx", st.regs.rcx, before.regs.rip + 2);                /* SYSCALL-3 */
    se_assert_eq_hex("r11", st.regs.r11, before.regs.rflags & ~SE_RFLAGS_RF); /* SYSCALL-4 */
    se_assert_eq_hex("rflags", st.regs.rflags,
                     ((before.regs.rflags & ~st.sfmask & ~SE_RFLAGS_RF) | SE_RFLAGS_FIXED) &
                         SE_RFLAGS_DEFINED);                                       /* SYSCALL-5 */
    se_assert_eq_hex("rip", st.regs.rip, r->compat ? before.cstar : before.lstar); /* -6, -2 */
    assert_int_equal(st.regs.cs, SE_KERNEL_CS);                                    /* SYSCALL-7 */
    se_assert_eq_hex("cs cache", st.cs_cache.ar, SE_SEG_AR_KERNEL_CS);
    assert_int_equal(st.regs.ss, SE_KERNEL_DS); /* SYSCALL-8 */
    se_assert_eq_hex("ss cache", st.ss_cache.ar, SE_SEG_AR_KERNEL_SS);
    assert_int_equal(st.cpl, 0); /* SYSCALL-9 */
    se_assert_eq_hex("rsp untouched", st.regs.rsp, before.regs.rsp);
    se_assert_eq_hex("gs untouched", st.regs.gs_base, before.regs.gs_base);
    if (k == SE_FAULT_TRAP) { /* SYSCALL-10 */
        assert_int_equal(fault.vector, SE_VEC_DB);
        assert_int_equal(fault.cpl, 0);
        se_assert_eq_hex("#DB rip", fault.rip, before.lstar);
    }
}

/* ---- SYSRET (SYSRET-1..10) --------------------------------------------------------------- */

typedef struct sysret_row {
    const char *name;
    se_vendor vendor;
    bool la57;
    uint8_t cpl;
    bool sce;
    uint64_t rcx, r11, star;
    unsigned width;
    se_fault_kind kind;
    uint8_t vector;
    uint16_t ss; /* expected SS selector on success */
} sysret_row;

#define STAR SE_LINUX_STAR
static const sysret_row sysret_rows[] = {
    {"intel_clean", SE_VENDOR_INTEL, false, 0, true, 0x401002, 0x246, STAR, 64, SE_FAULT_NONE, 0,
     SE_USER_DS},
    {"amd_clean", SE_VENDOR_AMD, false, 0, true, 0x401002, 0x246, STAR, 64, SE_FAULT_NONE, 0,
     SE_USER_DS},
    {"intel_noncanonical_rcx_gp", SE_VENDOR_INTEL, false, 0, true, 0x0000800000000000ull, 0x246,
     STAR, 64, SE_FAULT_FAULT, SE_VEC_GP, 0},
    {"amd_noncanonical_rcx_loads", SE_VENDOR_AMD, false, 0, true, 0x0000800000000000ull, 0x246,
     STAR, 64, SE_FAULT_NONE, 0, SE_USER_DS},
    {"intel_1_47_canonical_la57", SE_VENDOR_INTEL, true, 0, true, 1ull << 47, 0x246, STAR, 64,
     SE_FAULT_NONE, 0, SE_USER_DS},
    {"intel_1_56_noncanonical_la57", SE_VENDOR_INTEL, true, 0, true, 1ull << 56, 0x246, STAR, 64,
     SE_FAULT_FAULT, SE_VEC_GP, 0},
    {"intel_top_user_57", SE_VENDOR_INTEL, true, 0, true, 0x00ffffffffffffffull, 0x246, STAR, 64,
     SE_FAULT_NONE, 0, SE_USER_DS},
    {"cpl3_gp", SE_VENDOR_INTEL, false, 3, true, 0x401002, 0x246, STAR, 64, SE_FAULT_FAULT,
     SE_VEC_GP, 0},
    {"amd_cpl3_gp", SE_VENDOR_AMD, false, 3, true, 0x401002, 0x246, STAR, 64, SE_FAULT_FAULT,
     SE_VEC_GP, 0},
    {"no_sce_ud", SE_VENDOR_INTEL, false, 0, false, 0x401002, 0x246, STAR, 64, SE_FAULT_FAULT,
     SE_VEC_UD, 0},
    /* SYSRET-10: two violations, the first check in the order wins */
    {"order_no_sce_and_cpl3_ud", SE_VENDOR_INTEL, false, 3, false, 0x401002, 0x246, STAR, 64,
     SE_FAULT_FAULT, SE_VEC_UD, 0},
    {"order_cpl3_and_noncanonical_gp_from_cpl", SE_VENDOR_INTEL, false, 3, true,
     0x0000800000000000ull, 0x246, STAR, 64, SE_FAULT_FAULT, SE_VEC_GP, 0},
    /* SYSRET-5: RF and VM always 0, bits 22-63 of R11 ignored */
    {"r11_rf_vm_high_bits_dropped", SE_VENDOR_INTEL, false, 0, true, 0x401002,
     0x246 | SE_RFLAGS_RF | SE_RFLAGS_VM | (1ull << 40), STAR, 64, SE_FAULT_NONE, 0, SE_USER_DS},
    {"r11_nt_ac_df_id_kept", SE_VENDOR_INTEL, false, 0, true, 0x401002,
     0x246 | SE_RFLAGS_NT | SE_RFLAGS_AC | SE_RFLAGS_DF | SE_RFLAGS_ID, STAR, 64, SE_FAULT_NONE, 0,
     SE_USER_DS},
    /* SYSRET-9 */
    {"tf_traps_at_cpl3", SE_VENDOR_INTEL, false, 0, true, 0x401002, 0x346, STAR, 64, SE_FAULT_TRAP,
     SE_VEC_DB, SE_USER_DS},
    /* SYSRET-7/7A: a SYSRET base without RPL 3 */
    {"intel_star_rpl0_ss_1b", SE_VENDOR_INTEL, false, 0, true, 0x401002, 0x246,
     0x0010001000000000ull, 64, SE_FAULT_NONE, 0, 0x1b},
    {"amd_star_rpl0_ss_18", SE_VENDOR_AMD, false, 0, true, 0x401002, 0x246, 0x0010001000000000ull,
     64, SE_FAULT_NONE, 0, 0x18},
    {"sysretl_32bit", SE_VENDOR_INTEL, false, 0, true, 0xdead00401002ull, 0x246, STAR, 32,
     SE_FAULT_NONE, 0, SE_USER_DS},
};

static void test_sysret(void **state)
{
    const sysret_row *r = *state;
    se_cpu_features f = feat(r->vendor, r->la57);
    se_cpu_state st = base_state(0, r->la57);
    st.cpl = r->cpl;
    if (!r->sce)
        st.efer &= ~SE_EFER_SCE;
    st.regs.rcx = r->rcx;
    st.regs.r11 = r->r11;
    st.star = r->star;
    st.regs.rsp = 0x7fffffffe000;
    st.regs.gs_base = 0x7000;
    st.ss_cache.ar = SE_SEG_AR_UNUSABLE; /* a NULL SS cache, for SYSRET-7A */
    se_cpu_state before = st;
    se_fault fault;
    se_fault_kind k = se_cpu_sysret(&f, &st, r->width, &fault);
    assert_int_equal(k, r->kind);
    if (k == SE_FAULT_FAULT) {
        assert_int_equal(fault.vector, r->vector);
        assert_int_equal(fault.cpl, r->cpl); /* SYSRET-3: a ring-0 fault on the kernel's SYSRET */
        assert_memory_equal(&st, &before, sizeof st);
        return;
    }
    uint16_t base = (uint16_t)(r->star >> 48);
    if (r->width == 64) {
        se_assert_eq_hex("rip", st.regs.rip, r->rcx);  /* SYSRET-4 */
        assert_int_equal(st.regs.cs, (base + 16) | 3); /* SYSRET-6 */
        se_assert_eq_hex("cs cache", st.cs_cache.ar, SE_SEG_AR_USER_CS);
    } else {
        se_assert_eq_hex("rip", st.regs.rip, (uint32_t)r->rcx);
        assert_int_equal(st.regs.cs, base | 3);
        assert_false(st.cs_cache.ar & SE_SEG_AR_L);
    }
    se_assert_eq_hex("rflags", st.regs.rflags, (r->r11 & SE_RFLAGS_SYSRET_KEEP) | SE_RFLAGS_FIXED);
    assert_false(st.regs.rflags & (SE_RFLAGS_RF | SE_RFLAGS_VM));
    assert_int_equal(st.regs.ss, r->ss);
    if (r->vendor == SE_VENDOR_INTEL)
        se_assert_eq_hex("ss cache", st.ss_cache.ar, SE_SEG_AR_USER_SS);
    else
        se_assert_eq_hex("ss cache kept", st.ss_cache.ar, SE_SEG_AR_UNUSABLE); /* SYSRET-7A */
    assert_int_equal(st.cpl, 3);                                               /* SYSRET-8 */
    se_assert_eq_hex("rsp", st.regs.rsp, before.regs.rsp);
    se_assert_eq_hex("gs", st.regs.gs_base, before.regs.gs_base);
    if (k == SE_FAULT_TRAP) {
        assert_int_equal(fault.cpl, 3);
        se_assert_eq_hex("#DB rip", fault.rip, r->rcx);
    }
}

/* ---- SWAPGS (SWAPGS-1..3) ----------------------------------------------------------------- */

static void test_swapgs(void **s)
{
    (void)s;
    se_cpu_features f = feat(SE_VENDOR_INTEL, false);
    se_cpu_state st = base_state(0, false);
    st.regs.gs_base = 0x1111;
    st.kernel_gs_base = 0xffff888000000000ull;
    se_fault fault;
    assert_int_equal(se_cpu_swapgs(&f, &st, &fault), SE_FAULT_NONE);
    se_assert_eq_hex("gs", st.regs.gs_base, 0xffff888000000000ull);
    se_assert_eq_hex("kgs", st.kernel_gs_base, 0x1111);
    assert_int_equal(se_cpu_swapgs(&f, &st, &fault), SE_FAULT_NONE);
    se_assert_eq_hex("twice is identity", st.regs.gs_base, 0x1111);
    se_cpu_state user = base_state(3, false);
    se_cpu_state before = user;
    assert_int_equal(se_cpu_swapgs(&f, &user, &fault), SE_FAULT_FAULT); /* SWAPGS-2 */
    assert_int_equal(fault.vector, SE_VEC_GP);
    assert_memory_equal(&user, &before, sizeof user);
    se_cpu_state compat = base_state(0, false);
    compat.cs_cache.ar &= ~SE_SEG_AR_L;
    assert_int_equal(se_cpu_swapgs(&f, &compat, &fault), SE_FAULT_FAULT); /* SWAPGS-1 */
    assert_int_equal(fault.vector, SE_VEC_UD);
}

/* ---- MOV to CR3 / CR4 (CR3-1..6) ----------------------------------------------------------- */

typedef struct cr3_row {
    const char *name;
    bool pcide;
    uint8_t cpl;
    uint64_t src;
    se_fault_kind kind;
    uint64_t stored;
    bool flushed;
} cr3_row;

static const cr3_row cr3_rows[] = {
    {"pcide0_plain", false, 0, 0xf000001000ull, SE_FAULT_NONE, 0xf000001000ull, true},
    {"pcide0_pwt_pcd", false, 0, 0xf000001018ull, SE_FAULT_NONE, 0xf000001018ull, true},
    {"pcide0_bit63_reserved", false, 0, 0xf000001000ull | SE_CR3_NOFLUSH, SE_FAULT_FAULT, 0, false},
    {"pcide1_flush", true, 0, 0xf000001801ull, SE_FAULT_NONE, 0xf000001801ull, true},
    {"pcide1_noflush_not_stored", true, 0, 0xf000000001ull | SE_CR3_NOFLUSH, SE_FAULT_NONE,
     0xf000000001ull, false},
    {"reserved_bit_40", true, 0, (1ull << 40) | 0x1000, SE_FAULT_FAULT, 0, false},
    {"reserved_bit_52", false, 0, (1ull << 52) | 0x1000, SE_FAULT_FAULT, 0, false},
    {"lam_u57_reserved", true, 0, SE_CR3_LAM_U57 | 0x1000, SE_FAULT_FAULT, 0, false},
    {"lam_u48_reserved", true, 0, SE_CR3_LAM_U48 | 0x1000, SE_FAULT_FAULT, 0, false},
    {"cpl3_gp", true, 3, 0x1000, SE_FAULT_FAULT, 0, false},
};

static void test_mov_cr3(void **state)
{
    const cr3_row *r = *state;
    se_cpu_features f = feat(SE_VENDOR_INTEL, false);
    se_cpu_state st = base_state(r->cpl, false);
    if (!r->pcide)
        st.cr4 &= ~SE_CR4_PCIDE;
    se_tlb tlb;
    se_tlb_reset(&tlb);
    uint16_t pcid = r->pcide ? (uint16_t)(r->stored & SE_CR3_PCID_MASK) : 0;
    se_tlb_touch(&tlb, pcid);
    se_cpu_state before = st;
    se_cr3_effect eff;
    se_fault fault;
    se_fault_kind k = se_cpu_mov_to_cr3(&f, &st, r->src, &tlb, &eff, &fault);
    assert_int_equal(k, r->kind);
    if (k == SE_FAULT_FAULT) {
        assert_int_equal(fault.vector, SE_VEC_GP);
        assert_memory_equal(&st, &before, sizeof st);
        assert_int_equal(tlb.cr3_writes, 0);
        return;
    }
    se_assert_eq_hex("cr3", st.cr3, r->stored);
    assert_false(st.cr3 & SE_CR3_NOFLUSH);
    assert_int_equal(eff.flushed, r->flushed);
    assert_int_equal(eff.noflush, !r->flushed);
    assert_int_equal(eff.pcid, pcid);
    assert_int_equal(tlb.flushing_writes, r->flushed ? 1 : 0);
    assert_int_equal(tlb.noflush_writes, r->flushed ? 0 : 1);
    assert_true(se_tlb_pcid_live(&tlb, pcid)); /* refilled (or kept) after the write */
}

static void test_pcid_bookkeeping(void **s)
{
    (void)s;
    se_cpu_features f = feat(SE_VENDOR_INTEL, false);
    se_cpu_state st = base_state(0, false);
    se_tlb tlb;
    se_tlb_reset(&tlb);
    se_cr3_effect eff;
    se_fault fault;
    /* kernel PCID 1 and user PCID 0x801 both live; a no-flush switch to 1 keeps 0x801 */
    se_cpu_mov_to_cr3(&f, &st, 0xf000001801ull, &tlb, &eff, &fault);
    se_cpu_mov_to_cr3(&f, &st, 0xf000000001ull | SE_CR3_NOFLUSH, &tlb, &eff, &fault);
    assert_true(se_tlb_pcid_live(&tlb, 0x801));
    assert_true(se_tlb_pcid_live(&tlb, 1));
    /* a flushing write to 0x801 invalidates 0x801 only (CR3-5), then refills it */
    uint64_t before_flushes = tlb.flushing_writes;
    se_cpu_mov_to_cr3(&f, &st, 0xf000001801ull, &tlb, &eff, &fault);
    assert_int_equal(tlb.flushing_writes, before_flushes + 1);
    assert_true(se_tlb_pcid_live(&tlb, 1));
    assert_int_equal(tlb.cr3_writes, 3);
}

typedef struct cr4_row {
    const char *name;
    uint64_t cr4_before, cr3, src;
    bool la57_cpu;
    se_fault_kind kind;
    bool full_flush;
} cr4_row;

#define C4 (SE_CR4_PAE | SE_CR4_PGE)
static const cr4_row cr4_rows[] = {
    {"set_pcide_ok", C4, 0xf000001000ull, C4 | SE_CR4_PCIDE, false, SE_FAULT_NONE, false},
    {"set_pcide_with_cr3_pcid_gp", C4, 0xf000001001ull, C4 | SE_CR4_PCIDE, false, SE_FAULT_FAULT,
     false},
    {"clear_pcide_full_flush", C4 | SE_CR4_PCIDE, 0xf000001000ull, C4, false, SE_FAULT_NONE, true},
    {"toggle_pge_full_flush", C4, 0xf000001000ull, SE_CR4_PAE, false, SE_FAULT_NONE, true},
    {"change_la57_in_long_mode_gp", C4, 0xf000001000ull, C4 | SE_CR4_LA57, true, SE_FAULT_FAULT,
     false},
    {"la57_unsupported_gp", C4, 0xf000001000ull, C4 | SE_CR4_LA57, false, SE_FAULT_FAULT, false},
    {"clear_pae_in_long_mode_gp", C4, 0xf000001000ull, SE_CR4_PGE, false, SE_FAULT_FAULT, false},
    {"reserved_bit_gp", C4, 0xf000001000ull, C4 | (1ull << 30), false, SE_FAULT_FAULT, false},
};

static void test_mov_cr4(void **state)
{
    const cr4_row *r = *state;
    se_cpu_features f = feat(SE_VENDOR_INTEL, r->la57_cpu);
    se_cpu_state st = base_state(0, false);
    st.cr4 = r->cr4_before;
    st.cr3 = r->cr3;
    se_tlb tlb;
    se_tlb_reset(&tlb);
    se_tlb_touch(&tlb, 5);
    se_cpu_state before = st;
    se_fault fault;
    assert_int_equal(se_cpu_mov_to_cr4(&f, &st, r->src, &tlb, &fault), r->kind);
    if (r->kind == SE_FAULT_FAULT) {
        assert_int_equal(fault.vector, SE_VEC_GP);
        assert_memory_equal(&st, &before, sizeof st);
        return;
    }
    se_assert_eq_hex("cr4", st.cr4, r->src);
    assert_int_equal(tlb.full_flushes, r->full_flush ? 1 : 0);
    assert_int_equal(se_tlb_pcid_live(&tlb, 5), !r->full_flush);
}

/* ---- IRETQ (IRET-1..9) ------------------------------------------------------------------- */

/* The machine's GDT: 0x10 kernel CS, 0x18 kernel DS, 0x23 user32 CS, 0x2b user DS, 0x33 user
 * CS, 0x40 TSS, plus test entries: 0x48 not-present user data, 0x58 not-present user code,
 * 0x60 read-only user data, 0x68 conforming DPL0 code. */
static bool gdt_read(void *ctx, uint16_t sel, uint64_t *desc)
{
    (void)ctx;
    static const uint64_t gdt[16] = {
        0,
        0x00cf9b000000ffffull, /* 0x08 */
        0x00af9b000000ffffull, /* 0x10 kernel CS */
        0x00cf93000000ffffull, /* 0x18 kernel DS */
        0x00cffb000000ffffull, /* 0x20 user32 CS */
        0x00cff3000000ffffull, /* 0x28 user DS */
        0x00affb000000ffffull, /* 0x30 user CS */
        0,
        0x0000890000000067ull, /* 0x40 TSS (system) */
        0x00cf73000000ffffull, /* 0x48 user data, not present */
        0,
        0x00af7b000000ffffull, /* 0x58 user code, not present */
        0x00cff1000000ffffull, /* 0x60 user data, read-only */
        0x00af9f000000ffffull, /* 0x68 conforming DPL0 code */
        0,
        0,
    };
    if (sel & SE_SEL_TI || (sel >> 3) >= 16)
        return false;
    *desc = gdt[sel >> 3];
    return true;
}

typedef struct iret_row {
    const char *name;
    bool la57;
    uint64_t cur_flags;
    se_iret_frame fr;
    se_fault_kind kind;
    uint8_t vector;
    uint32_t error_code;
    uint8_t new_cpl;
} iret_row;

#define UF 0x246ull
static const iret_row iret_rows[] = {
    {"to_user_64", false, 2, {0x401002, 0x33, UF, 0x7fffffffe000, 0x2b}, SE_FAULT_NONE, 0, 0, 3},
    {"to_user_compat", false, 2, {0x401002, 0x23, UF, 0x7fffe000, 0x2b}, SE_FAULT_NONE, 0, 0, 3},
    {"to_kernel_same_level",
     false,
     2,
     {0xffffffff81000000ull, 0x10, 2, 0xffffc90000004000ull, 0x18},
     SE_FAULT_NONE,
     0,
     0,
     0},
    {"to_kernel_null_ss_64",
     false,
     2,
     {0xffffffff81000000ull, 0x10, 2, 0xffffc90000004000ull, 0},
     SE_FAULT_NONE,
     0,
     0,
     0},
    {"nt_set_gp",
     false,
     2 | SE_RFLAGS_NT,
     {0x401002, 0x33, UF, 0x7fffe000, 0x2b},
     SE_FAULT_FAULT,
     SE_VEC_GP,
     0,
     0},
    {"null_cs_gp0",
     false,
     2,
     {0x401002, 0x3, UF, 0x7fffe000, 0x2b},
     SE_FAULT_FAULT,
     SE_VEC_GP,
     0,
     0},
    {"cs_rpl0_on_dpl3_code_gp",
     false,
     2,
     {0x401002, 0x30, UF, 0x7fffe000, 0x2b},
     SE_FAULT_FAULT,
     SE_VEC_GP,
     0x30,
     0},
    {"cs_rpl3_on_dpl0_code_gp",
     false,
     2,
     {0x401002, 0x13, UF, 0x7fffe000, 0x2b},
     SE_FAULT_FAULT,
     SE_VEC_GP,
     0x10,
     0},
    {"cs_is_data_gp",
     false,
     2,
     {0x401002, 0x2b, UF, 0x7fffe000, 0x2b},
     SE_FAULT_FAULT,
     SE_VEC_GP,
     0x28,
     0},
    {"cs_beyond_gdt_gp",
     false,
     2,
     {0x401002, 0xff3, UF, 0x7fffe000, 0x2b},
     SE_FAULT_FAULT,
     SE_VEC_GP,
     0xff0,
     0},
    {"cs_not_present_np",
     false,
     2,
     {0x401002, 0x5b, UF, 0x7fffe000, 0x2b},
     SE_FAULT_FAULT,
     SE_VEC_NP,
     0x58,
     0},
    {"null_ss_to_cpl3_gp0",
     false,
     2,
     {0x401002, 0x33, UF, 0x7fffe000, 0x3},
     SE_FAULT_FAULT,
     SE_VEC_GP,
     0,
     0},
    {"ss_rpl_mismatch_gp",
     false,
     2,
     {0x401002, 0x33, UF, 0x7fffe000, 0x18},
     SE_FAULT_FAULT,
     SE_VEC_GP,
     0x18,
     0},
    {"ss_readonly_gp",
     false,
     2,
     {0x401002, 0x33, UF, 0x7fffe000, 0x63},
     SE_FAULT_FAULT,
     SE_VEC_GP,
     0x60,
     0},
    {"ss_is_code_gp",
     false,
     2,
     {0x401002, 0x33, UF, 0x7fffe000, 0x33},
     SE_FAULT_FAULT,
     SE_VEC_GP,
     0x30,
     0},
    {"ss_not_present_ss",
     false,
     2,
     {0x401002, 0x33, UF, 0x7fffe000, 0x4b},
     SE_FAULT_FAULT,
     SE_VEC_SS,
     0x48,
     0},
    {"noncanonical_rip_gp_at_cpl0",
     false,
     2,
     {1ull << 47, 0x33, UF, 0x7fffe000, 0x2b},
     SE_FAULT_FAULT,
     SE_VEC_GP,
     0,
     0},
    {"rip_1_47_ok_la57", true, 2, {1ull << 47, 0x33, UF, 0x7fffe000, 0x2b}, SE_FAULT_NONE, 0, 0, 3},
    {"noncanonical_rip_compat_not_checked",
     false,
     2,
     {1ull << 47, 0x23, UF, 0x7fffe000, 0x2b},
     SE_FAULT_NONE,
     0,
     0,
     3},
};

static void test_iretq(void **state)
{
    const iret_row *r = *state;
    se_cpu_features f = feat(SE_VENDOR_INTEL, r->la57);
    se_cpu_state st = base_state(0, r->la57);
    st.regs.rflags = r->cur_flags;
    st.ds = SE_KERNEL_DS;
    st.ds_ar = SE_SEG_AR_KERNEL_SS; /* a DPL0 data segment: IRET-8 nulls it going to CPL3 */
    st.es = 2;                      /* a null selector with RPL 2 */
    st.es_ar = SE_SEG_AR_UNUSABLE;
    se_cpu_state before = st;
    se_fault fault;
    se_fault_kind k = se_cpu_iretq(&f, &st, &r->fr, gdt_read, NULL, &fault);
    assert_int_equal(k, r->kind);
    if (k == SE_FAULT_FAULT) {
        assert_int_equal(fault.vector, r->vector);
        se_assert_eq_hex("error code", fault.error_code, r->error_code);
        assert_int_equal(fault.cpl, 0); /* IRET-5: before anything changes */
        assert_memory_equal(&st, &before, sizeof st);
        return;
    }
    assert_int_equal(st.cpl, r->new_cpl); /* IRET-7 */
    se_assert_eq_hex("rip", st.regs.rip, r->fr.rip);
    se_assert_eq_hex("rsp", st.regs.rsp, r->fr.rsp);
    assert_int_equal(st.regs.cs, (uint16_t)r->fr.cs);
    assert_int_equal(st.regs.ss, (uint16_t)r->fr.ss);
    if (r->new_cpl == 3) {
        assert_int_equal(st.ds, 0); /* IRET-8 */
        assert_true(st.ds_ar & SE_SEG_AR_UNUSABLE);
        assert_int_equal(st.es, 0); /* null selectors 1-3 squashed to 0 */
    } else {
        assert_int_equal(st.ds, SE_KERNEL_DS);
    }
}

static void test_iretq_flags(void **s)
{
    (void)s;
    se_cpu_features f = feat(SE_VENDOR_INTEL, false);
    se_fault fault;
    /* IRET-6 from CPL0: RF, TF, IOPL, IF, NT, AC all come from the frame; VM never */
    se_cpu_state st = base_state(0, false);
    se_iret_frame fr = {0x401002, 0x33,
                        0x2 | SE_RFLAGS_RF | SE_RFLAGS_TF | SE_RFLAGS_IOPL | SE_RFLAGS_IF |
                            SE_RFLAGS_NT | SE_RFLAGS_AC | SE_RFLAGS_VM,
                        0x7fffe000, 0x2b};
    assert_int_equal(se_cpu_iretq(&f, &st, &fr, gdt_read, NULL, &fault), SE_FAULT_NONE);
    se_assert_eq_hex("rflags", st.regs.rflags,
                     0x2 | SE_RFLAGS_RF | SE_RFLAGS_TF | SE_RFLAGS_IOPL | SE_RFLAGS_IF |
                         SE_RFLAGS_NT | SE_RFLAGS_AC);
    /* from CPL3 (same level): IOPL is kept, IF only if CPL <= IOPL */
    se_cpu_state u = base_state(3, false);
    u.regs.rflags = 0x202;
    se_iret_frame fu = {0x401010, 0x33, 0x2 | SE_RFLAGS_IOPL, 0x7fffe000, 0x2b};
    assert_int_equal(se_cpu_iretq(&f, &u, &fu, gdt_read, NULL, &fault), SE_FAULT_NONE);
    se_assert_eq_hex("rflags at cpl3", u.regs.rflags, 0x202);
}

static void test_descriptor_decode(void **s)
{
    (void)s;
    se_seg_cache c;
    se_seg_from_descriptor(0x00affb000000ffffull, &c);
    se_assert_eq_hex("ar", c.ar, SE_SEG_AR_USER_CS);
    se_assert_eq_hex("limit", c.limit, SE_SEG_FLAT_LIMIT);
    se_assert_eq_hex("base", c.base, 0);
    se_seg_from_descriptor(0x12cf93345678ffffull, &c); /* base 0x12345678 */
    se_assert_eq_hex("base", c.base, 0x12345678);
    se_seg_from_descriptor(0x0040930000000fffull, &c); /* byte granular, limit 0xfff */
    se_assert_eq_hex("limit", c.limit, 0xfff);
    se_fault f;
    se_cpu_state st = base_state(3, false);
    se_cpu_make_fault(&st, SE_VEC_GP, 0x30, true, &f);
    assert_int_equal(f.kind, SE_FAULT_FAULT);
    assert_int_equal(f.cpl, 3);
    se_assert_eq_hex("rip", f.rip, st.regs.rip);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_canonical_series_and_widths),
        cmocka_unit_test(test_swapgs),
        cmocka_unit_test(test_pcid_bookkeeping),
        cmocka_unit_test(test_iretq_flags),
        cmocka_unit_test(test_descriptor_decode),
    };
    int failed = cmocka_run_group_tests_name("cpu", tests, NULL, NULL);
    failed += SE_TEST_RUN_ROWS("cpu_canonical", canon_rows, test_canonical);
    failed += SE_TEST_RUN_ROWS("cpu_syscall", syscall_rows, test_syscall);
    failed += SE_TEST_RUN_ROWS("cpu_sysret", sysret_rows, test_sysret);
    failed += SE_TEST_RUN_ROWS("cpu_mov_cr3", cr3_rows, test_mov_cr3);
    failed += SE_TEST_RUN_ROWS("cpu_mov_cr4", cr4_rows, test_mov_cr4);
    failed += SE_TEST_RUN_ROWS("cpu_iretq", iret_rows, test_iretq);
    return failed != 0;
}
