/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Page tables and the C page walk (Intel SDM Vol. 3A §4.5-§4.7, docs/model.md CANON-1..5,
 * CR3-2). Every case is one named row: 4- and 5-level, user/supervisor, read/write/fetch,
 * not-present at each level, access rights combined over levels, reserved bits, CR0.WP,
 * SMEP/SMAP/AC, XD, 2 MiB / 1 GiB pages, canonical boundaries of both widths, CR3's
 * non-address bits, the PTI pair of roots, the allocator and argument checks. A randomised
 * run over garbage tables checks the walk's invariants (and, under ASan, its bounds).
 */
#include "se_test.h"

#include <stdlib.h>
#include <string.h>

#include "paging/paging.h"

#define PAGE      4096ull
#define RAM_BASE  0xF000000000ull /* the machine's guest-physical base (docs/paging.md) */
#define RAM_PAGES 64u
#define MAXPHY    40u

#define UA      0x0000000000400000ull /* a user page, 2 MiB aligned, first GiB */
#define UA_TOP  0x00007ffffffff000ull /* highest 4-level user page */
#define KA      0xffffffff81000000ull /* kernel text, 2 MiB aligned */
#define KA_LOW  0xffff800000000000ull /* lowest 4-level kernel address (CANON-4) */
#define U57_TOP 0x00fffffffffff000ull /* highest 5-level user page */
#define K57_LOW 0xff00000000000000ull /* lowest 5-level kernel address (CANON-4) */
#define BIG     0x0000000040000000ull /* a 1 GiB-aligned frame for large pages */
#define OFF2M   0x12345ull            /* an offset inside a 2 MiB page */
#define OFF1G   0x2345678ull          /* an offset inside a 1 GiB page, above 2 MiB */

#define R  SE_ACCESS_READ
#define W  SE_ACCESS_WRITE
#define X  SE_ACCESS_FETCH
#define P  SE_PTE_P
#define RW SE_PTE_RW
#define US SE_PTE_US
#define PS SE_PTE_PS
#define XD SE_PTE_XD

#define BIT(n)     (1ull << (n))
#define FRAME_BITS SE_PT_FRAME_MASK

enum { CTL_WP = 1, CTL_NXE = 2, CTL_SMEP = 4, CTL_SMAP = 8, CTL_AC = 16, CTL_STACK = 32 };
enum { OK = 0, PF = SE_VEC_PF, GP = SE_VEC_GP, SS = SE_VEC_SS };

/* ---- environment: a fresh RAM with a root table and one data frame ------------------------ */

typedef struct env {
    uint8_t *host;
    se_phys phys;
    uint64_t root;  /* top-level table */
    uint64_t frame; /* the data page rows map */
} env;

static void env_open(env *e, unsigned pages)
{
    e->host = aligned_alloc(PAGE, pages * PAGE);
    assert_non_null(e->host);
    memset(e->host, 0, pages * PAGE);
    assert_int_equal(se_phys_init(&e->phys, e->host, RAM_BASE, pages * PAGE), SE_OK);
    assert_int_equal(se_phys_alloc(&e->phys, PAGE, PAGE, &e->root), SE_OK);
    assert_int_equal(se_phys_alloc(&e->phys, PAGE, PAGE, &e->frame), SE_OK);
}

static void env_close(env *e)
{
    free(e->host);
    e->host = NULL;
}

static uint64_t load_entry(const env *e, uint64_t entry_pa)
{
    const void *src = se_phys_ptr(&e->phys, entry_pa, 8);
    assert_non_null(src);
    uint64_t v;
    memcpy(&v, src, 8);
    return v;
}

static void store_entry(env *e, uint64_t entry_pa, uint64_t v)
{
    void *dst = se_phys_ptr(&e->phys, entry_pa, 8);
    assert_non_null(dst);
    memcpy(dst, &v, 8);
}

/* Address of the entry at `level` (1 = PTE .. 5 = PML5E) on va's path from root; the path
 * above must exist. Written independently of the walker, from SDM figure 4-8. */
static uint64_t path_entry(const env *e, uint64_t root, unsigned levels, uint64_t va,
                           unsigned level)
{
    uint64_t table = root;
    for (unsigned l = levels;; l--) {
        uint64_t epa = table + ((va >> (12 + 9 * (l - 1))) & 511u) * 8u;
        if (l == level)
            return epa;
        uint64_t ent = load_entry(e, epa);
        assert_true(ent & P);
        table = ent & FRAME_BITS;
    }
}

static se_paging_ctl make_ctl(unsigned levels, unsigned bits)
{
    return (se_paging_ctl){.levels = levels,
                           .wp = (bits & CTL_WP) != 0,
                           .nxe = (bits & CTL_NXE) != 0,
                           .smep = (bits & CTL_SMEP) != 0,
                           .smap = (bits & CTL_SMAP) != 0,
                           .ac = (bits & CTL_AC) != 0,
                           .maxphyaddr = MAXPHY,
                           .stack = (bits & CTL_STACK) != 0};
}

static void check_outcome(se_fault_kind k, const se_fault *f, uint64_t pa, uint64_t va, uint8_t cpl,
                          int vector, uint32_t error_code, uint64_t want_pa)
{
    if (vector == OK) {
        if (k != SE_FAULT_NONE)
            print_error("unexpected vector %u, error code 0x%x\n", f->vector, f->error_code);
        assert_int_equal(k, SE_FAULT_NONE);
        assert_int_equal(f->kind, SE_FAULT_NONE);
        se_assert_eq_hex("pa", pa, want_pa);
        return;
    }
    assert_int_equal(k, SE_FAULT_FAULT);
    assert_int_equal(f->kind, SE_FAULT_FAULT);
    assert_int_equal(f->vector, vector);
    assert_true(f->has_error_code);
    se_assert_eq_hex("error code", f->error_code, error_code);
    se_assert_eq_hex("cr2", f->cr2, vector == PF ? va : 0);
    assert_int_equal(f->cpl, cpl);
    se_assert_eq_hex("rip left to the caller", f->rip, 0);
    se_assert_eq_hex("pa on a fault", pa, 0);
}

/* ---- the walk, one row per case ----------------------------------------------------------- */

typedef struct walk_setup {
    unsigned levels;
    bool no_map;          /* map nothing: the root stays empty */
    uint64_t map_va;      /* the page mapped to env.frame */
    uint64_t leaf;        /* SE_PTE_* flags of that leaf (P implied) */
    unsigned tweak_level; /* 0, or the level of the entry on map_va's path changed after mapping */
    uint64_t tweak_clear; /* bits cleared in that entry, then ... */
    uint64_t tweak_set;   /* ... bits set */
    uint64_t cr3_bits;    /* OR-ed into CR3 */
} walk_setup;

typedef struct walk_access {
    uint64_t va;
    se_access access;
    uint8_t cpl;
    unsigned ctl; /* CTL_* */
} walk_access;

typedef struct walk_expect {
    int vector; /* OK, PF, GP, SS */
    uint32_t error_code;
    uint64_t pa; /* expected translation; 0: env.frame plus va's page offset */
} walk_expect;

typedef struct walk_row {
    const char *name;
    walk_setup setup;
    walk_access acc;
    walk_expect expect;
} walk_row;

/* setups: nothing mapped; va -> env.frame; the same, then one entry on the path changed
 * (level 1 = PTE .. 5 = PML5E); the entry at `lvl` turned into a 2 MiB / 1 GiB leaf for frame
 * `fr` (it keeps the P|RW|US|A it was built with); a mapping walked with extra CR3 bits */
/* clang-format off */
#define EMPTY(lv)                           {(lv), true, 0, 0, 0, 0, 0, 0}
#define MAP(lv, va, leaf)                   {(lv), false, (va), (leaf), 0, 0, 0, 0}
#define MAPT(lv, va, leaf, lvl, clear, set) {(lv), false, (va), (leaf), (lvl), (clear), (set), 0}
#define MAPL(lv, va, leaf, lvl, fr)         MAPT(lv, va, leaf, lvl, FRAME_BITS, (fr) | PS)
#define MAPC(lv, va, leaf, cr3)             {(lv), false, (va), (leaf), 0, 0, 0, (cr3)}
#define ACC(va, access, cpl, ctl)           {(va), (access), (cpl), (ctl)}
#define GOOD                                {OK, 0, 0}
#define GOOD_PA(pa)                         {OK, 0, (pa)}
#define PFC(code)                           {PF, (code), 0}
#define GP0                                 {GP, 0, 0}
#define SS0                                 {SS, 0, 0}
/* clang-format on */

static const walk_row walk_rows[] = {
    /* allowed accesses */
    {"user_read_user_page_ok", MAP(4, UA, US), ACC(UA, R, 3, 0), GOOD},
    {"user_read_keeps_page_offset_ok", MAP(4, UA, US), ACC(UA + 0xabc, R, 3, 0), GOOD},
    {"user_write_user_rw_page_ok", MAP(4, UA, US | RW), ACC(UA + 8, W, 3, CTL_WP), GOOD},
    {"user_fetch_user_page_nxe_ok", MAP(4, UA, US), ACC(UA, X, 3, CTL_NXE | CTL_SMEP | CTL_SMAP),
     GOOD},
    {"kernel_read_kernel_page_ok", MAP(4, KA, 0), ACC(KA, R, 0, CTL_WP | CTL_SMAP), GOOD},
    {"kernel_write_kernel_rw_page_wp_ok", MAP(4, KA, RW), ACC(KA, W, 0, CTL_WP), GOOD},
    {"kernel_write_ro_page_without_wp_ok", MAP(4, KA, 0), ACC(KA, W, 0, 0), GOOD},
    {"kernel_fetch_kernel_page_nxe_smep_ok", MAP(4, KA, 0), ACC(KA, X, 0, CTL_NXE | CTL_SMEP),
     GOOD},
    {"kernel_read_user_page_without_smap_ok", MAP(4, UA, US), ACC(UA, R, 0, 0), GOOD},
    {"kernel_write_user_ro_page_without_wp_ok", MAP(4, UA, US), ACC(UA, W, 0, 0), GOOD},
    {"cpl1_write_supervisor_rw_page_ok", MAP(4, KA, RW), ACC(KA, W, 1, CTL_WP), GOOD},
    {"cpl2_read_supervisor_page_ok", MAP(4, KA, 0), ACC(KA, R, 2, 0), GOOD},
    {"user_read_xd_page_nxe_ok", MAP(4, UA, US | XD), ACC(UA, R, 3, CTL_NXE), GOOD},
    {"user_write_xd_page_nxe_ok", MAP(4, UA, US | RW | XD), ACC(UA, W, 3, CTL_NXE), GOOD},
    {"la57_user_read_top_page_ok", MAP(5, U57_TOP, US), ACC(U57_TOP + 0xff8, R, 3, 0), GOOD},
    {"la57_user_write_low_page_ok", MAP(5, UA, US | RW), ACC(UA, W, 3, CTL_WP), GOOD},
    {"la57_kernel_fetch_kernel_page_ok", MAP(5, KA, 0), ACC(KA, X, 0, CTL_NXE | CTL_SMEP), GOOD},
    /* not present: P = 0 in the error code, at every level */
    {"empty_root_user_read_pf", EMPTY(4), ACC(UA, R, 3, 0), PFC(SE_PF_U)},
    {"empty_root_kernel_read_pf", EMPTY(4), ACC(KA, R, 0, 0), PFC(0)},
    {"pml4e_not_present_user_read_pf", MAPT(4, UA, US, 4, P, 0), ACC(UA, R, 3, 0), PFC(SE_PF_U)},
    {"pdpte_not_present_user_read_pf", MAPT(4, UA, US, 3, P, 0), ACC(UA, R, 3, 0), PFC(SE_PF_U)},
    {"pde_not_present_user_write_pf", MAPT(4, UA, US | RW, 2, P, 0), ACC(UA, W, 3, 0),
     PFC(SE_PF_U | SE_PF_W)},
    {"pte_not_present_user_read_pf", MAPT(4, UA, US, 1, P, 0), ACC(UA, R, 3, 0), PFC(SE_PF_U)},
    {"pte_not_present_kernel_fetch_nxe_pf", MAPT(4, KA, 0, 1, P, 0), ACC(KA, X, 0, CTL_NXE),
     PFC(SE_PF_I)},
    {"pte_not_present_user_fetch_smep_only_pf", MAPT(4, UA, US, 1, P, 0), ACC(UA, X, 3, CTL_SMEP),
     PFC(SE_PF_U | SE_PF_I)},
    {"pte_not_present_user_fetch_without_nxe_smep_no_i_pf", MAPT(4, UA, US, 1, P, 0),
     ACC(UA, X, 3, 0), PFC(SE_PF_U)},
    {"neighbour_page_not_present_pf", MAP(4, UA, US), ACC(UA + PAGE, R, 3, 0), PFC(SE_PF_U)},
    {"other_pml4_slot_not_present_pf", MAP(4, UA, US), ACC(BIT(39), R, 3, 0), PFC(SE_PF_U)},
    {"not_present_entry_reserved_bits_ignored_pf", MAPT(4, UA, US, 2, P, BIT(MAXPHY) | XD),
     ACC(UA, R, 3, 0), PFC(SE_PF_U)},
    {"la57_pml5e_not_present_user_read_pf", MAPT(5, UA, US, 5, P, 0), ACC(UA, R, 3, 0),
     PFC(SE_PF_U)},
    {"la57_pml4e_not_present_kernel_write_pf", MAPT(5, KA, RW, 4, P, 0), ACC(KA, W, 0, 0),
     PFC(SE_PF_W)},
    {"la57_pdpte_not_present_user_read_pf", MAPT(5, UA, US, 3, P, 0), ACC(UA, R, 3, 0),
     PFC(SE_PF_U)},
    {"la57_pde_not_present_user_read_pf", MAPT(5, UA, US, 2, P, 0), ACC(UA, R, 3, 0), PFC(SE_PF_U)},
    {"la57_pte_not_present_user_read_pf", MAPT(5, UA, US, 1, P, 0), ACC(UA, R, 3, 0), PFC(SE_PF_U)},
    {"la57_other_pml5_slot_not_present_pf", MAP(5, UA, US), ACC(BIT(48), R, 3, 0), PFC(SE_PF_U)},
    /* access rights: P = 1 in the error code */
    {"user_read_supervisor_page_pf", MAP(4, KA, 0), ACC(KA, R, 3, 0), PFC(SE_PF_P | SE_PF_U)},
    {"user_write_ro_page_pf", MAP(4, UA, US), ACC(UA, W, 3, CTL_WP),
     PFC(SE_PF_P | SE_PF_W | SE_PF_U)},
    {"user_write_ro_page_without_wp_pf", MAP(4, UA, US), ACC(UA, W, 3, 0),
     PFC(SE_PF_P | SE_PF_W | SE_PF_U)},
    {"kernel_write_ro_page_wp_pf", MAP(4, KA, 0), ACC(KA, W, 0, CTL_WP), PFC(SE_PF_P | SE_PF_W)},
    {"cpl2_write_ro_page_wp_pf", MAP(4, KA, 0), ACC(KA, W, 2, CTL_WP), PFC(SE_PF_P | SE_PF_W)},
    {"user_read_us_clear_in_pml4e_pf", MAPT(4, UA, US, 4, US, 0), ACC(UA, R, 3, 0),
     PFC(SE_PF_P | SE_PF_U)},
    {"user_read_us_clear_in_pdpte_pf", MAPT(4, UA, US, 3, US, 0), ACC(UA, R, 3, 0),
     PFC(SE_PF_P | SE_PF_U)},
    {"user_write_rw_clear_in_pde_pf", MAPT(4, UA, US | RW, 2, RW, 0), ACC(UA, W, 3, 0),
     PFC(SE_PF_P | SE_PF_W | SE_PF_U)},
    {"user_read_rw_clear_in_pde_ok", MAPT(4, UA, US | RW, 2, RW, 0), ACC(UA, R, 3, 0), GOOD},
    {"kernel_write_rw_clear_in_pml4e_wp_pf", MAPT(4, KA, RW, 4, RW, 0), ACC(KA, W, 0, CTL_WP),
     PFC(SE_PF_P | SE_PF_W)},
    {"kernel_write_rw_clear_in_pml4e_without_wp_ok", MAPT(4, KA, RW, 4, RW, 0), ACC(KA, W, 0, 0),
     GOOD},
    {"user_fetch_xd_page_nxe_pf", MAP(4, UA, US | XD), ACC(UA, X, 3, CTL_NXE),
     PFC(SE_PF_P | SE_PF_U | SE_PF_I)},
    {"user_fetch_xd_in_pde_nxe_pf", MAPT(4, UA, US, 2, 0, XD), ACC(UA, X, 3, CTL_NXE),
     PFC(SE_PF_P | SE_PF_U | SE_PF_I)},
    {"kernel_fetch_xd_in_pml4e_nxe_pf", MAPT(4, KA, 0, 4, 0, XD), ACC(KA, X, 0, CTL_NXE),
     PFC(SE_PF_P | SE_PF_I)},
    {"la57_user_read_us_clear_in_pml5e_pf", MAPT(5, UA, US, 5, US, 0), ACC(UA, R, 3, 0),
     PFC(SE_PF_P | SE_PF_U)},
    {"la57_user_write_ro_page_pf", MAP(5, UA, US), ACC(UA, W, 3, 0),
     PFC(SE_PF_P | SE_PF_W | SE_PF_U)},
    /* SMEP, SMAP and RFLAGS.AC: "user-mode address" means U/S = 1 at every level */
    {"kernel_fetch_user_page_smep_pf", MAP(4, UA, US), ACC(UA, X, 0, CTL_SMEP),
     PFC(SE_PF_P | SE_PF_I)},
    {"kernel_fetch_user_page_smep_nxe_pf", MAP(4, UA, US), ACC(UA, X, 0, CTL_SMEP | CTL_NXE),
     PFC(SE_PF_P | SE_PF_I)},
    {"kernel_fetch_user_page_without_smep_ok", MAP(4, UA, US), ACC(UA, X, 0, CTL_NXE | CTL_SMAP),
     GOOD},
    {"kernel_fetch_us_clear_above_smep_ok", MAPT(4, UA, US, 3, US, 0), ACC(UA, X, 0, CTL_SMEP),
     GOOD},
    {"cpl1_fetch_user_page_smep_pf", MAP(4, UA, US), ACC(UA, X, 1, CTL_SMEP),
     PFC(SE_PF_P | SE_PF_I)},
    {"kernel_read_user_page_smap_pf", MAP(4, UA, US), ACC(UA, R, 0, CTL_SMAP), PFC(SE_PF_P)},
    {"kernel_write_user_rw_page_smap_pf", MAP(4, UA, US | RW), ACC(UA, W, 0, CTL_SMAP | CTL_WP),
     PFC(SE_PF_P | SE_PF_W)},
    {"kernel_read_user_page_smap_ac_ok", MAP(4, UA, US), ACC(UA, R, 0, CTL_SMAP | CTL_AC), GOOD},
    {"kernel_write_user_rw_page_smap_ac_ok", MAP(4, UA, US | RW),
     ACC(UA, W, 0, CTL_SMAP | CTL_AC | CTL_WP), GOOD},
    {"kernel_write_user_ro_page_smap_ac_wp_pf", MAP(4, UA, US),
     ACC(UA, W, 0, CTL_SMAP | CTL_AC | CTL_WP), PFC(SE_PF_P | SE_PF_W)},
    {"kernel_fetch_user_page_smap_ok", MAP(4, UA, US), ACC(UA, X, 0, CTL_SMAP), GOOD},
    {"kernel_read_us_clear_above_smap_ok", MAPT(4, UA, US, 4, US, 0), ACC(UA, R, 0, CTL_SMAP),
     GOOD},
    {"kernel_read_supervisor_page_smap_ok", MAP(4, KA, 0), ACC(KA, R, 0, CTL_SMAP | CTL_SMEP),
     GOOD},
    {"cpl2_read_user_page_smap_pf", MAP(4, UA, US), ACC(UA, R, 2, CTL_SMAP), PFC(SE_PF_P)},
    {"user_read_user_page_smap_smep_ok", MAP(4, UA, US), ACC(UA, R, 3, CTL_SMAP | CTL_SMEP), GOOD},
    {"user_fetch_user_page_smap_smep_ok", MAP(4, UA, US), ACC(UA, X, 3, CTL_SMAP | CTL_SMEP), GOOD},
    {"la57_kernel_fetch_user_page_smep_pf", MAP(5, UA, US), ACC(UA, X, 0, CTL_SMEP),
     PFC(SE_PF_P | SE_PF_I)},
    {"la57_kernel_read_user_page_smap_pf", MAP(5, UA, US), ACC(UA, R, 0, CTL_SMAP), PFC(SE_PF_P)},
    /* reserved bits: RSVD|P, checked level by level before the access rights */
    {"pte_frame_at_maxphyaddr_rsvd_pf", MAPT(4, UA, US, 1, 0, BIT(MAXPHY)), ACC(UA, R, 3, 0),
     PFC(SE_PF_P | SE_PF_U | SE_PF_RSVD)},
    {"pte_bit51_rsvd_pf", MAPT(4, UA, US, 1, 0, BIT(51)), ACC(UA, R, 3, 0),
     PFC(SE_PF_P | SE_PF_U | SE_PF_RSVD)},
    {"pde_above_maxphyaddr_rsvd_pf", MAPT(4, UA, US, 2, 0, BIT(45)), ACC(UA, R, 3, 0),
     PFC(SE_PF_P | SE_PF_U | SE_PF_RSVD)},
    {"pdpte_above_maxphyaddr_rsvd_pf", MAPT(4, KA, 0, 3, 0, BIT(MAXPHY)), ACC(KA, R, 0, 0),
     PFC(SE_PF_P | SE_PF_RSVD)},
    {"pml4e_above_maxphyaddr_rsvd_pf", MAPT(4, UA, US, 4, 0, BIT(MAXPHY)), ACC(UA, R, 3, 0),
     PFC(SE_PF_P | SE_PF_U | SE_PF_RSVD)},
    {"la57_pml5e_above_maxphyaddr_rsvd_pf", MAPT(5, UA, US, 5, 0, BIT(MAXPHY)), ACC(UA, R, 3, 0),
     PFC(SE_PF_P | SE_PF_U | SE_PF_RSVD)},
    {"pte_frame_bit_below_maxphyaddr_ok", MAPT(4, UA, US, 1, FRAME_BITS, BIT(MAXPHY - 1)),
     ACC(UA + 0x10, R, 3, 0), GOOD_PA(BIT(MAXPHY - 1) + 0x10)},
    {"pte_ignored_bits_52_to_62_ok", MAPT(4, UA, US, 1, 0, 0x7FF0000000000000ull), ACC(UA, R, 3, 0),
     GOOD},
    {"pte_xd_without_nxe_rsvd_pf", MAP(4, UA, US | XD), ACC(UA, R, 3, 0),
     PFC(SE_PF_P | SE_PF_U | SE_PF_RSVD)},
    {"pml4e_xd_without_nxe_rsvd_pf", MAPT(4, KA, 0, 4, 0, XD), ACC(KA, R, 0, 0),
     PFC(SE_PF_P | SE_PF_RSVD)},
    {"pml4e_ps_rsvd_pf", MAPT(4, UA, US, 4, 0, PS), ACC(UA, R, 3, 0),
     PFC(SE_PF_P | SE_PF_U | SE_PF_RSVD)},
    {"la57_pml5e_ps_rsvd_pf", MAPT(5, UA, US, 5, 0, PS), ACC(UA, R, 3, 0),
     PFC(SE_PF_P | SE_PF_U | SE_PF_RSVD)},
    {"la57_pml4e_ps_rsvd_pf", MAPT(5, KA, 0, 4, 0, PS), ACC(KA, R, 0, 0),
     PFC(SE_PF_P | SE_PF_RSVD)},
    {"rsvd_write_keeps_w_pf", MAPT(4, UA, US | RW, 1, 0, BIT(MAXPHY)), ACC(UA, W, 3, 0),
     PFC(SE_PF_P | SE_PF_W | SE_PF_U | SE_PF_RSVD)},
    {"rsvd_fetch_nxe_keeps_i_pf", MAPT(4, KA, 0, 2, 0, BIT(MAXPHY)), ACC(KA, X, 0, CTL_NXE),
     PFC(SE_PF_P | SE_PF_I | SE_PF_RSVD)},
    {"rsvd_reported_before_access_rights_pf", MAPT(4, KA, 0, 1, 0, BIT(MAXPHY)),
     ACC(KA, W, 3, CTL_WP), PFC(SE_PF_P | SE_PF_W | SE_PF_U | SE_PF_RSVD)},
    /* 2 MiB and 1 GiB pages */
    {"pde_2m_user_read_ok", MAPL(4, UA, US, 2, BIG), ACC(UA + OFF2M, R, 3, 0),
     GOOD_PA(BIG + OFF2M)},
    {"pde_2m_pat_bit12_is_not_address_ok", MAPL(4, UA, US, 2, BIG | BIT(12)),
     ACC(UA + OFF2M, R, 3, 0), GOOD_PA(BIG + OFF2M)},
    {"pde_2m_frame_bit13_rsvd_pf", MAPL(4, UA, US, 2, BIG | BIT(13)), ACC(UA, R, 3, 0),
     PFC(SE_PF_P | SE_PF_U | SE_PF_RSVD)},
    {"pde_2m_frame_bit20_rsvd_pf", MAPL(4, UA, US, 2, BIG | BIT(20)), ACC(UA, R, 3, 0),
     PFC(SE_PF_P | SE_PF_U | SE_PF_RSVD)},
    {"pde_2m_frame_bit21_ok", MAPL(4, UA, US, 2, BIG | BIT(21)), ACC(UA + OFF2M, R, 3, 0),
     GOOD_PA(BIG + BIT(21) + OFF2M)},
    {"pde_2m_above_maxphyaddr_rsvd_pf", MAPL(4, UA, US, 2, BIT(MAXPHY)), ACC(UA, R, 3, 0),
     PFC(SE_PF_P | SE_PF_U | SE_PF_RSVD)},
    {"pde_2m_read_only_user_write_pf", MAPT(4, UA, US | RW, 2, FRAME_BITS | RW, BIG | PS),
     ACC(UA, W, 3, 0), PFC(SE_PF_P | SE_PF_W | SE_PF_U)},
    {"pde_2m_supervisor_user_read_pf", MAPT(4, UA, US, 2, FRAME_BITS | US, BIG | PS),
     ACC(UA, R, 3, 0), PFC(SE_PF_P | SE_PF_U)},
    {"pde_2m_xd_kernel_fetch_nxe_pf", MAPT(4, KA, 0, 2, FRAME_BITS, BIG | PS | XD),
     ACC(KA, X, 0, CTL_NXE), PFC(SE_PF_P | SE_PF_I)},
    {"pde_2m_not_present_pf", MAPT(4, UA, US, 2, FRAME_BITS | P, BIG | PS), ACC(UA, R, 3, 0),
     PFC(SE_PF_U)},
    {"pdpte_1g_user_read_ok", MAPL(4, UA, US, 3, BIG), ACC(OFF1G, R, 3, 0), GOOD_PA(BIG + OFF1G)},
    {"pdpte_1g_kernel_write_ok", MAPL(4, KA, RW, 3, BIG), ACC(KA + OFF2M, W, 0, CTL_WP),
     GOOD_PA(BIG + (KA & (BIT(30) - 1)) + OFF2M)},
    {"pdpte_1g_frame_bit21_rsvd_pf", MAPL(4, UA, US, 3, BIG | BIT(21)), ACC(UA, R, 3, 0),
     PFC(SE_PF_P | SE_PF_U | SE_PF_RSVD)},
    {"pdpte_1g_frame_bit29_rsvd_pf", MAPL(4, UA, US, 3, BIG | BIT(29)), ACC(UA, R, 3, 0),
     PFC(SE_PF_P | SE_PF_U | SE_PF_RSVD)},
    {"la57_pde_2m_user_read_ok", MAPL(5, UA, US, 2, BIG), ACC(UA + OFF2M, R, 3, 0),
     GOOD_PA(BIG + OFF2M)},
    {"la57_pdpte_1g_kernel_read_ok", MAPL(5, KA, 0, 3, BIG), ACC(KA, R, 0, 0),
     GOOD_PA(BIG + (KA & (BIT(30) - 1)))},
    /* canonical boundaries (CANON-4, CANON-5): #GP(0), or #SS(0) for stack accesses */
    {"canon48_highest_user_address_ok", MAP(4, UA_TOP, US), ACC(UA_TOP + 0xfff, R, 3, 0), GOOD},
    {"canon48_bit47_gp", EMPTY(4), ACC(BIT(47), R, 3, 0), GP0},
    {"canon48_bit47_stack_ss", EMPTY(4), ACC(BIT(47), W, 3, CTL_STACK), SS0},
    {"canon48_bit47_kernel_fetch_gp", EMPTY(4), ACC(BIT(47), X, 0, CTL_NXE | CTL_SMEP), GP0},
    {"canon48_lowest_kernel_address_ok", MAP(4, KA_LOW, 0), ACC(KA_LOW, R, 0, 0), GOOD},
    {"canon48_below_lowest_kernel_address_gp", EMPTY(4), ACC(KA_LOW - 1, R, 0, 0), GP0},
    {"canon48_bit56_gp", EMPTY(4), ACC(BIT(56), R, 3, 0), GP0},
    {"canon48_bit63_gp", EMPTY(4), ACC(BIT(63), R, 0, 0), GP0},
    {"canon48_canonical_stack_access_unmapped_pf", EMPTY(4), ACC(UA_TOP, W, 3, CTL_STACK),
     PFC(SE_PF_U | SE_PF_W)},
    {"canon57_bit47_is_canonical_ok", MAP(5, BIT(47), US), ACC(BIT(47), R, 3, 0), GOOD},
    {"canon57_bit55_is_canonical_unmapped_pf", EMPTY(5), ACC(BIT(55), R, 3, 0), PFC(SE_PF_U)},
    {"canon57_highest_user_address_ok", MAP(5, U57_TOP, US), ACC(U57_TOP + 0xfff, R, 3, 0), GOOD},
    {"canon57_bit56_gp", EMPTY(5), ACC(BIT(56), R, 3, 0), GP0},
    {"canon57_bit56_stack_ss", EMPTY(5), ACC(BIT(56), R, 0, CTL_STACK), SS0},
    {"canon57_ffff800000000000_is_canonical_ok", MAP(5, KA_LOW, 0), ACC(KA_LOW, R, 0, 0), GOOD},
    {"canon57_lowest_kernel_address_ok", MAP(5, K57_LOW, 0), ACC(K57_LOW, R, 0, 0), GOOD},
    {"canon57_below_lowest_kernel_address_gp", EMPTY(5), ACC(K57_LOW - 1, R, 0, 0), GP0},
    {"canon57_bit63_gp", EMPTY(5), ACC(BIT(63), R, 0, 0), GP0},
    /* CR3-2: only bits M-1:12 are the root address */
    {"cr3_pcid_bits_ignored_ok", MAPC(4, UA, US, SE_CR3_PCID_MASK), ACC(UA, R, 3, 0), GOOD},
    {"cr3_pwt_pcd_ignored_ok", MAPC(4, UA, US, SE_CR3_PWT | SE_CR3_PCD), ACC(UA, R, 3, 0), GOOD},
    {"cr3_noflush_bit63_ignored_ok", MAPC(4, UA, US, SE_CR3_NOFLUSH), ACC(UA, R, 3, 0), GOOD},
    {"cr3_bits_above_maxphyaddr_ignored_ok",
     MAPC(5, UA, US, BIT(MAXPHY) | BIT(51) | SE_CR3_LAM_U57), ACC(UA, R, 3, 0), GOOD},
};

static void test_walk_row(void **state)
{
    const walk_row *row = *state;
    const walk_setup *su = &row->setup;
    const walk_access *a = &row->acc;
    env e;
    env_open(&e, RAM_PAGES);
    if (!su->no_map)
        assert_int_equal(se_pt_map(&e.phys, su->levels, e.root, su->map_va, e.frame, su->leaf),
                         SE_OK);
    if (su->tweak_level != 0) {
        uint64_t epa = path_entry(&e, e.root, su->levels, su->map_va, su->tweak_level);
        store_entry(&e, epa, (load_entry(&e, epa) & ~su->tweak_clear) | su->tweak_set);
    }
    se_paging_ctl ctl = make_ctl(su->levels, a->ctl);
    uint64_t pa = 0xdead;
    se_fault f;
    memset(&f, 0xA5, sizeof f);
    se_fault_kind k =
        se_pt_walk(&e.phys, &ctl, e.root | su->cr3_bits, a->va, a->access, a->cpl, &pa, &f);
    uint64_t want_pa = row->expect.pa != 0 ? row->expect.pa : e.frame + (a->va & (PAGE - 1));
    check_outcome(k, &f, pa, a->va, a->cpl, row->expect.vector, row->expect.error_code, want_pa);
    env_close(&e);
}

/* ---- PTI: an 8 KiB PGD pair, user root = kernel root | PTI_USER_PGTABLE_BIT --------------- */

enum { F_NONE, F_UTEXT, F_USTACK, F_ENTRY, F_ESTACK, F_KDATA, F_COUNT };

#define PTI_UTEXT  0x0000000000401000ull
#define PTI_USTACK 0x00007ffffffde000ull
#define PTI_ENTRY  0xffffffff81e00000ull /* entry text: shared */
#define PTI_ESTACK 0xfffffe0000001000ull /* cpu_entry_area entry stack: shared */
#define PTI_KDATA  0xffff88807fc01000ull /* direct-map data: kernel tables only */

typedef struct pti_row {
    const char *name;
    bool user_cr3; /* walk the user root (CR3 | PTI_USER_PGTABLE_BIT) */
    uint64_t cr3_bits;
    uint64_t va;
    se_access access;
    uint8_t cpl;
    int vector;
    uint32_t error_code;
    int frame; /* F_*: the page the access must reach */
} pti_row;

static const pti_row pti_rows[] = {
    {"pti_kernel_cr3_kernel_data_read_ok", false, 0, PTI_KDATA, R, 0, OK, 0, F_KDATA},
    {"pti_kernel_cr3_kernel_data_write_ok", false, 0, PTI_KDATA + 8, W, 0, OK, 0, F_KDATA},
    {"pti_user_cr3_kernel_data_read_not_present_pf", true, 0, PTI_KDATA, R, 0, PF, 0, F_NONE},
    {"pti_user_cr3_kernel_data_write_not_present_pf", true, 0, PTI_KDATA, W, 0, PF, SE_PF_W,
     F_NONE},
    {"pti_user_cr3_entry_text_fetch_ok", true, 0, PTI_ENTRY, X, 0, OK, 0, F_ENTRY},
    {"pti_kernel_cr3_entry_text_fetch_ok", false, 0, PTI_ENTRY, X, 0, OK, 0, F_ENTRY},
    {"pti_user_cr3_entry_stack_write_ok", true, 0, PTI_ESTACK + 0xff8, W, 0, OK, 0, F_ESTACK},
    {"pti_user_cr3_user_text_fetch_ok", true, 0, PTI_UTEXT, X, 3, OK, 0, F_UTEXT},
    {"pti_kernel_cr3_user_stack_write_ok", false, 0, PTI_USTACK, W, 3, OK, 0, F_USTACK},
    {"pti_user_cr3_user_stack_write_ok", true, 0, PTI_USTACK, W, 3, OK, 0, F_USTACK},
    {"pti_user_cr3_entry_text_user_read_pf", true, 0, PTI_ENTRY, R, 3, PF, SE_PF_P | SE_PF_U,
     F_NONE},
    {"pti_user_cr3_entry_text_kernel_write_pf", true, 0, PTI_ENTRY, W, 0, PF, SE_PF_P | SE_PF_W,
     F_NONE},
    {"pti_kernel_cr3_kernel_fetch_user_text_smep_pf", false, 0, PTI_UTEXT, X, 0, PF,
     SE_PF_P | SE_PF_I, F_NONE},
    {"pti_user_cr3_with_user_pcid_bit_ok", true, SE_PTI_USER_PCID_BIT | 1, PTI_ENTRY, X, 0, OK, 0,
     F_ENTRY},
    {"pti_kernel_cr3_with_pcid_and_noflush_ok", false, SE_CR3_NOFLUSH | 1, PTI_KDATA, R, 0, OK, 0,
     F_KDATA},
};

static void test_pti_row(void **state)
{
    const pti_row *row = *state;
    env e;
    env_open(&e, RAM_PAGES);
    uint64_t pair, frames[F_COUNT] = {0};
    assert_int_equal(se_phys_alloc(&e.phys, 2 * PAGE, 2 * PAGE, &pair), SE_OK);
    uint64_t kroot = pair, uroot = pair | SE_PTI_USER_PGTABLE_BIT;
    se_assert_eq_hex("user root is the second page", uroot, pair + PAGE);
    for (int i = F_UTEXT; i < F_COUNT; i++)
        assert_int_equal(se_phys_alloc(&e.phys, PAGE, PAGE, &frames[i]), SE_OK);
    const struct {
        uint64_t va;
        int frame;
        uint64_t flags;
        bool in_user_root;
    } maps[] = {
        {PTI_UTEXT, F_UTEXT, US, true},       {PTI_USTACK, F_USTACK, US | RW | XD, true},
        {PTI_ENTRY, F_ENTRY, 0, true},        {PTI_ESTACK, F_ESTACK, RW | XD, true},
        {PTI_KDATA, F_KDATA, RW | XD, false},
    };
    for (size_t i = 0; i < sizeof maps / sizeof maps[0]; i++) {
        assert_int_equal(
            se_pt_map(&e.phys, 4, kroot, maps[i].va, frames[maps[i].frame], maps[i].flags), SE_OK);
        if (maps[i].in_user_root)
            assert_int_equal(
                se_pt_map(&e.phys, 4, uroot, maps[i].va, frames[maps[i].frame], maps[i].flags),
                SE_OK);
    }
    /* Linux's configuration: WP, NXE, SMEP and SMAP on, AC clear */
    se_paging_ctl ctl = make_ctl(4, CTL_WP | CTL_NXE | CTL_SMEP | CTL_SMAP);
    uint64_t pa;
    se_fault f;
    uint64_t cr3 = (row->user_cr3 ? uroot : kroot) | row->cr3_bits;
    se_fault_kind k = se_pt_walk(&e.phys, &ctl, cr3, row->va, row->access, row->cpl, &pa, &f);
    uint64_t want = row->frame != F_NONE ? frames[row->frame] + (row->va & (PAGE - 1)) : 0;
    uint32_t code = row->error_code | (row->access == X ? SE_PF_I : 0);
    check_outcome(k, &f, pa, row->va, row->cpl, row->vector, code, want);
    env_close(&e);
}

/* ---- table construction ------------------------------------------------------------------- */

static void test_map_builds_permissive_intermediate_entries(void **state)
{
    (void)state;
    for (unsigned levels = 4; levels <= 5; levels++) {
        env e;
        env_open(&e, RAM_PAGES);
        uint64_t before = e.phys.next;
        assert_int_equal(se_pt_map(&e.phys, levels, e.root, KA, e.frame, RW | SE_PTE_G), SE_OK);
        /* one new table per level below the root */
        se_assert_eq_hex("tables allocated", e.phys.next - before, (levels - 1) * PAGE);
        for (unsigned l = levels; l >= 2; l--) {
            uint64_t ent = load_entry(&e, path_entry(&e, e.root, levels, KA, l));
            se_assert_eq_hex("intermediate flags", ent & ~FRAME_BITS, P | RW | US | SE_PTE_A);
            uint64_t table = ent & FRAME_BITS;
            assert_true(table >= RAM_BASE && table < RAM_BASE + RAM_PAGES * PAGE);
        }
        se_assert_eq_hex("leaf", se_pt_leaf(&e.phys, levels, e.root, KA),
                         e.frame | RW | SE_PTE_G | P);
        /* a neighbour in the same table allocates nothing */
        before = e.phys.next;
        assert_int_equal(se_pt_map(&e.phys, levels, e.root, KA + PAGE, e.frame, 0), SE_OK);
        se_assert_eq_hex("no new tables", e.phys.next, before);
        /* remapping overwrites the leaf */
        assert_int_equal(se_pt_map(&e.phys, levels, e.root, KA, e.root, US), SE_OK);
        se_assert_eq_hex("remapped leaf", se_pt_leaf(&e.phys, levels, e.root, KA), e.root | US | P);
        env_close(&e);
    }
}

static void test_set_present_and_leaf(void **state)
{
    (void)state;
    env e;
    env_open(&e, RAM_PAGES);
    se_paging_ctl ctl = make_ctl(4, CTL_WP);
    uint64_t pa;
    se_fault f;
    assert_int_equal(se_pt_set_present(&e.phys, 4, e.root, UA, false), SE_ERR_NOT_MAPPED);
    se_assert_eq_hex("no leaf", se_pt_leaf(&e.phys, 4, e.root, UA), 0);
    assert_int_equal(se_pt_map(&e.phys, 4, e.root, UA, e.frame, US | RW), SE_OK);
    /* the PT exists now, but the neighbouring PTE is empty: still no leaf */
    assert_int_equal(se_pt_set_present(&e.phys, 4, e.root, UA + PAGE, true), SE_ERR_NOT_MAPPED);
    se_assert_eq_hex("leaf", se_pt_leaf(&e.phys, 4, e.root, UA + 0x123), e.frame | US | RW | P);

    assert_int_equal(se_pt_set_present(&e.phys, 4, e.root, UA, false), SE_OK);
    se_assert_eq_hex("non-present leaf kept", se_pt_leaf(&e.phys, 4, e.root, UA),
                     e.frame | US | RW);
    assert_int_equal(se_pt_walk(&e.phys, &ctl, e.root, UA, W, 3, &pa, &f), SE_FAULT_FAULT);
    se_assert_eq_hex("not present", f.error_code, SE_PF_U | SE_PF_W);
    assert_int_equal(se_pt_set_present(&e.phys, 4, e.root, UA, false), SE_OK); /* idempotent */
    assert_int_equal(se_pt_set_present(&e.phys, 4, e.root, UA, true), SE_OK);
    assert_int_equal(se_pt_walk(&e.phys, &ctl, e.root, UA, W, 3, &pa, &f), SE_FAULT_NONE);
    se_assert_eq_hex("pa", pa, e.frame);
    env_close(&e);
}

/* The engine-only XD of the machine's guard (backend/hazard.c): XD plus the marker bit. A
 * walk of the machine's own tables (engine_marks) ignores both, any other walk takes XD as
 * written (a guest's tables may use bit 9 for their own purposes); an architectural XD is
 * neither taken over nor removed. */
static void test_engine_xd_marks(void **state)
{
    (void)state;
    env e;
    env_open(&e, RAM_PAGES);
    se_paging_ctl own = make_ctl(4, CTL_WP | CTL_NXE), guest = own;
    own.engine_marks = true;
    uint64_t pa;
    se_fault f;
    assert_int_equal(se_pt_engine_xd(&e.phys, 4, e.root, UA, true), SE_ERR_NOT_MAPPED);
    assert_int_equal(se_pt_map(&e.phys, 4, e.root, UA, e.frame, US | RW), SE_OK);
    assert_int_equal(se_pt_engine_xd(&e.phys, 4, e.root, UA, true), SE_OK);
    se_assert_eq_hex("marked leaf", se_pt_leaf(&e.phys, 4, e.root, UA),
                     e.frame | US | RW | P | SE_PTE_XD | SE_PTE_ENGINE_XD);
    assert_int_equal(se_pt_walk(&e.phys, &own, e.root, UA, SE_ACCESS_FETCH, 3, &pa, &f),
                     SE_FAULT_NONE);
    assert_int_equal(se_pt_walk(&e.phys, &guest, e.root, UA, SE_ACCESS_FETCH, 3, &pa, &f),
                     SE_FAULT_FAULT);
    se_assert_eq_hex("XD fetch", f.error_code, SE_PF_U | SE_PF_I | SE_PF_P);
    /* without NXE the marked XD is not a reserved bit to the machine's own walk */
    se_paging_ctl own_no_nxe = make_ctl(4, CTL_WP);
    own_no_nxe.engine_marks = true;
    assert_int_equal(se_pt_walk(&e.phys, &own_no_nxe, e.root, UA, R, 3, &pa, &f), SE_FAULT_NONE);
    assert_int_equal(se_pt_engine_xd(&e.phys, 4, e.root, UA, false), SE_OK);
    se_assert_eq_hex("unmarked leaf", se_pt_leaf(&e.phys, 4, e.root, UA), e.frame | US | RW | P);
    /* an architectural XD: on leaves it alone, off does not clear it */
    assert_int_equal(se_pt_map(&e.phys, 4, e.root, UA, e.frame, US | RW | SE_PTE_XD), SE_OK);
    assert_int_equal(se_pt_engine_xd(&e.phys, 4, e.root, UA, true), SE_OK);
    assert_int_equal(se_pt_engine_xd(&e.phys, 4, e.root, UA, false), SE_OK);
    se_assert_eq_hex("architectural XD", se_pt_leaf(&e.phys, 4, e.root, UA),
                     e.frame | US | RW | P | SE_PTE_XD);
    assert_int_equal(se_pt_walk(&e.phys, &own, e.root, UA, SE_ACCESS_FETCH, 3, &pa, &f),
                     SE_FAULT_FAULT);
    env_close(&e);
}

/* The W^X marks of machine/wx.c share XD with the guard's: XD stays while either is set, an
 * engine-only R/W clear comes back when its mark goes, and the machine's own walk sees none of
 * them while a guest's walk takes the bits as written. */
static void test_engine_wx_marks(void **state)
{
    (void)state;
    env e;
    env_open(&e, RAM_PAGES);
    se_paging_ctl own = make_ctl(4, CTL_WP | CTL_NXE), guest = own;
    own.engine_marks = true;
    uint64_t pa;
    se_fault f;
    const uint64_t NX = SE_PTE_ENGINE_NX, RO = SE_PTE_ENGINE_RO, GX = SE_PTE_ENGINE_XD;
    assert_int_equal(se_pt_engine_mark(&e.phys, 4, e.root, UA, RO, true), SE_ERR_NOT_MAPPED);
    assert_int_equal(se_pt_map(&e.phys, 4, e.root, UA, e.frame, US | RW), SE_OK);
    assert_int_equal(se_pt_engine_mark(&e.phys, 4, e.root, UA, SE_PTE_RW, true),
                     SE_ERR_INVALID_ARG);
    /* written, unscreened: XD for the engine; a store is allowed to both */
    assert_int_equal(se_pt_engine_mark(&e.phys, 4, e.root, UA, NX, true), SE_OK);
    se_assert_eq_hex("nx leaf", se_pt_leaf(&e.phys, 4, e.root, UA),
                     e.frame | US | RW | P | SE_PTE_XD | NX);
    assert_int_equal(se_pt_walk(&e.phys, &own, e.root, UA, SE_ACCESS_FETCH, 3, &pa, &f),
                     SE_FAULT_NONE);
    assert_int_equal(se_pt_walk(&e.phys, &guest, e.root, UA, SE_ACCESS_FETCH, 3, &pa, &f),
                     SE_FAULT_FAULT);
    /* the guard's XD on top: clearing one mark keeps XD for the other */
    assert_int_equal(se_pt_engine_mark(&e.phys, 4, e.root, UA, GX, true), SE_OK);
    assert_int_equal(se_pt_engine_mark(&e.phys, 4, e.root, UA, NX, false), SE_OK);
    se_assert_eq_hex("guard keeps XD", se_pt_leaf(&e.phys, 4, e.root, UA),
                     e.frame | US | RW | P | SE_PTE_XD | GX);
    assert_int_equal(se_pt_engine_mark(&e.phys, 4, e.root, UA, NX, true), SE_OK);
    assert_int_equal(se_pt_engine_mark(&e.phys, 4, e.root, UA, GX, false), SE_OK);
    se_assert_eq_hex("nx keeps XD", se_pt_leaf(&e.phys, 4, e.root, UA),
                     e.frame | US | RW | P | SE_PTE_XD | NX);
    assert_int_equal(se_pt_engine_mark(&e.phys, 4, e.root, UA, NX, false), SE_OK);
    se_assert_eq_hex("no mark", se_pt_leaf(&e.phys, 4, e.root, UA), e.frame | US | RW | P);
    /* screened code: R/W clear for the engine only, A and D kept */
    uint64_t *pte = se_pt_leaf_ptr(&e.phys, 4, e.root, UA);
    assert_non_null(pte);
    *pte |= SE_PTE_A | SE_PTE_D;
    assert_int_equal(se_pt_engine_mark(&e.phys, 4, e.root, UA, RO, true), SE_OK);
    se_assert_eq_hex("ro leaf", *pte, e.frame | US | P | SE_PTE_A | SE_PTE_D | RO);
    assert_int_equal(se_pt_walk(&e.phys, &own, e.root, UA, W, 3, &pa, &f), SE_FAULT_NONE);
    assert_int_equal(se_pt_walk(&e.phys, &guest, e.root, UA, W, 3, &pa, &f), SE_FAULT_FAULT);
    se_assert_eq_hex("RO store", f.error_code, SE_PF_U | SE_PF_W | SE_PF_P);
    assert_int_equal(se_pt_engine_mark(&e.phys, 4, e.root, UA, RO, false), SE_OK);
    se_assert_eq_hex("writable again", *pte, e.frame | US | RW | P | SE_PTE_A | SE_PTE_D);
    /* an architecturally read-only leaf takes no mark, and keeps R/W clear */
    assert_int_equal(se_pt_map(&e.phys, 4, e.root, UA, e.frame, US), SE_OK);
    assert_int_equal(se_pt_engine_mark(&e.phys, 4, e.root, UA, RO, true), SE_OK);
    assert_int_equal(se_pt_engine_mark(&e.phys, 4, e.root, UA, RO, false), SE_OK);
    se_assert_eq_hex("architectural RO", *pte, e.frame | US | P);
    assert_int_equal(se_pt_walk(&e.phys, &own, e.root, UA, W, 3, &pa, &f), SE_FAULT_FAULT);
    assert_null(se_pt_leaf_ptr(&e.phys, 4, e.root, UA + (1ull << 39)));
    env_close(&e);
}

static void test_large_pages_in_construction(void **state)
{
    (void)state;
    env e;
    env_open(&e, RAM_PAGES);
    assert_int_equal(se_pt_map(&e.phys, 4, e.root, UA, e.frame, US), SE_OK);
    uint64_t pde = path_entry(&e, e.root, 4, UA, 2);
    store_entry(&e, pde, BIG | PS | US | RW | P);
    /* a 4 KiB map inside a large page would need a split, which is not modelled */
    assert_int_equal(se_pt_map(&e.phys, 4, e.root, UA + PAGE, e.frame, US), SE_ERR_CONFLICT);
    se_assert_eq_hex("large leaf", se_pt_leaf(&e.phys, 4, e.root, UA + OFF2M),
                     BIG | PS | US | RW | P);
    assert_int_equal(se_pt_set_present(&e.phys, 4, e.root, UA + OFF2M, false), SE_OK);
    se_assert_eq_hex("large leaf cleared", load_entry(&e, pde), BIG | PS | US | RW);
    se_assert_eq_hex("non-present large leaf", se_pt_leaf(&e.phys, 4, e.root, UA),
                     BIG | PS | US | RW);
    /* a non-present, non-empty entry is not replaced by a new table */
    assert_int_equal(se_pt_map(&e.phys, 4, e.root, UA, e.frame, US), SE_ERR_CONFLICT);
    assert_int_equal(se_pt_set_present(&e.phys, 4, e.root, UA + OFF2M, true), SE_OK);
    se_paging_ctl ctl = make_ctl(4, 0);
    uint64_t pa;
    assert_int_equal(se_pt_walk(&e.phys, &ctl, e.root, UA + OFF2M, R, 3, &pa, NULL), SE_FAULT_NONE);
    se_assert_eq_hex("2 MiB page", pa, BIG + OFF2M);
    env_close(&e);
}

static void test_walk_optional_outputs_and_foreign_tables(void **state)
{
    (void)state;
    env e;
    env_open(&e, RAM_PAGES);
    assert_int_equal(se_pt_map(&e.phys, 4, e.root, UA, e.frame, US), SE_OK);
    se_paging_ctl ctl = make_ctl(4, 0);
    uint64_t pa;
    se_fault f;
    assert_int_equal(se_pt_walk(&e.phys, &ctl, e.root, UA, R, 3, NULL, NULL), SE_FAULT_NONE);
    assert_int_equal(se_pt_walk(&e.phys, &ctl, e.root, UA, W, 3, NULL, NULL), SE_FAULT_FAULT);
    assert_int_equal(se_pt_walk(&e.phys, &ctl, e.root, UA, W, 3, &pa, NULL), SE_FAULT_FAULT);
    se_assert_eq_hex("pa on fault", pa, 0);
    /* an intermediate entry pointing outside the RAM: that table reads as empty */
    store_entry(&e, path_entry(&e, e.root, 4, UA, 3), BIG | P | RW | US);
    assert_int_equal(se_pt_walk(&e.phys, &ctl, e.root, UA, R, 3, &pa, &f), SE_FAULT_FAULT);
    se_assert_eq_hex("not present", f.error_code, SE_PF_U);
    /* ... and the builders refuse to follow it */
    assert_int_equal(se_pt_map(&e.phys, 4, e.root, UA, e.frame, US), SE_ERR_INVALID_ARG);
    assert_int_equal(se_pt_set_present(&e.phys, 4, e.root, UA, true), SE_ERR_INVALID_ARG);
    se_assert_eq_hex("no leaf", se_pt_leaf(&e.phys, 4, e.root, UA), 0);
    /* a root outside the RAM: every walk is a not-present #PF */
    assert_int_equal(se_pt_walk(&e.phys, &ctl, BIG, UA, R, 0, &pa, &f), SE_FAULT_FAULT);
    se_assert_eq_hex("not present", f.error_code, 0);
    env_close(&e);
}

/* ---- allocator and argument checks, one row per case ------------------------------------ */

typedef struct api_row {
    const char *name;
    se_status (*call)(env *e);
    se_status expect;
} api_row;

static se_status init_null_struct(env *e)
{
    return se_phys_init(NULL, e->host, RAM_BASE, PAGE);
}
static se_status init_null_host(env *e)
{
    return se_phys_init(&e->phys, NULL, RAM_BASE, PAGE);
}
static se_status init_misaligned_host(env *e)
{
    return se_phys_init(&e->phys, e->host + 8, RAM_BASE, PAGE);
}
static se_status init_misaligned_base(env *e)
{
    return se_phys_init(&e->phys, e->host, RAM_BASE + 8, PAGE);
}
static se_status init_size_not_pages(env *e)
{
    return se_phys_init(&e->phys, e->host, RAM_BASE, PAGE + 8);
}
static se_status init_zero_size(env *e)
{
    return se_phys_init(&e->phys, e->host, RAM_BASE, 0);
}
static se_status init_beyond_phys_limit(env *e)
{
    return se_phys_init(&e->phys, e->host, SE_PT_PHYS_LIMIT - PAGE, 2 * PAGE);
}
static se_status init_base_at_phys_limit(env *e)
{
    return se_phys_init(&e->phys, e->host, SE_PT_PHYS_LIMIT, PAGE);
}
static se_status init_size_wraps(env *e)
{
    return se_phys_init(&e->phys, e->host, RAM_BASE, UINT64_MAX & ~(PAGE - 1));
}
static se_status init_ending_at_phys_limit(env *e)
{
    return se_phys_init(&e->phys, e->host, SE_PT_PHYS_LIMIT - 2 * PAGE, 2 * PAGE);
}
static se_status alloc_null_struct(env *e)
{
    uint64_t pa;
    (void)e;
    return se_phys_alloc(NULL, PAGE, PAGE, &pa);
}
static se_status alloc_null_out(env *e)
{
    return se_phys_alloc(&e->phys, PAGE, PAGE, NULL);
}
static se_status alloc_zero_bytes(env *e)
{
    uint64_t pa;
    return se_phys_alloc(&e->phys, 0, PAGE, &pa);
}
static se_status alloc_align_zero(env *e)
{
    uint64_t pa;
    return se_phys_alloc(&e->phys, PAGE, 0, &pa);
}
static se_status alloc_align_not_power_of_two(env *e)
{
    uint64_t pa;
    return se_phys_alloc(&e->phys, PAGE, 3 * PAGE, &pa);
}
static se_status alloc_small_align_means_page(env *e)
{
    uint64_t pa;
    se_status st = se_phys_alloc(&e->phys, 1, 8, &pa);
    if (st == SE_OK && (pa & (PAGE - 1)) != 0)
        return SE_ERR_STATE;
    return st;
}
static se_status alloc_all_then_one_more(env *e)
{
    uint64_t pa;
    uint64_t left = e->phys.size - e->phys.next;
    se_status st = se_phys_alloc(&e->phys, left, PAGE, &pa);
    if (st != SE_OK)
        return SE_ERR_STATE;
    uint64_t next = e->phys.next;
    st = se_phys_alloc(&e->phys, 1, PAGE, &pa);
    return e->phys.next == next ? st : SE_ERR_STATE; /* a failure takes nothing */
}
static se_status alloc_more_than_ram(env *e)
{
    uint64_t pa;
    return se_phys_alloc(&e->phys, e->phys.size + PAGE, PAGE, &pa);
}
static se_status alloc_huge_bytes(env *e)
{
    uint64_t pa;
    return se_phys_alloc(&e->phys, UINT64_MAX, PAGE, &pa);
}
static se_status alloc_huge_align(env *e)
{
    uint64_t pa;
    return se_phys_alloc(&e->phys, PAGE, BIT(63), &pa);
}
static se_status alloc_alignment_gap_exceeds_ram(env *e)
{
    /* RAM_BASE is 64 GiB aligned: an alignment of the whole RAM size skips past its end */
    uint64_t pa;
    return se_phys_alloc(&e->phys, PAGE, RAM_PAGES * PAGE, &pa);
}
static se_status alloc_aligned_ok(env *e)
{
    uint64_t pa;
    se_status st = se_phys_alloc(&e->phys, 2 * PAGE, 8 * PAGE, &pa);
    if (st == SE_OK && (pa & (8 * PAGE - 1)) != 0)
        return SE_ERR_STATE;
    return st;
}
static se_status alloc_returns_zeroed_pages(env *e)
{
    /* a stray write above the high-water mark must not leak into an allocation */
    uint64_t pa;
    e->host[e->phys.next + 100] = 0x5a;
    se_status st = se_phys_alloc(&e->phys, PAGE, PAGE, &pa);
    const uint8_t *h = se_phys_ptr(&e->phys, pa, PAGE);
    for (uint64_t i = 0; st == SE_OK && i < PAGE; i++)
        if (h[i] != 0)
            return SE_ERR_STATE;
    return st;
}
static se_status ptr_outside_is_null(env *e)
{
    const uint64_t end = RAM_BASE + RAM_PAGES * PAGE;
    if (se_phys_ptr(&e->phys, RAM_BASE - 1, 1) != NULL ||
        se_phys_ptr(&e->phys, end - 4, 8) != NULL || se_phys_ptr(&e->phys, end, 1) != NULL ||
        se_phys_ptr(&e->phys, RAM_BASE, 0) != NULL ||
        se_phys_ptr(&e->phys, RAM_BASE, UINT64_MAX) != NULL ||
        se_phys_ptr(NULL, RAM_BASE, 1) != NULL)
        return SE_ERR_STATE;
    if (se_phys_ptr(&e->phys, end - 8, 8) != e->host + RAM_PAGES * PAGE - 8 ||
        se_phys_ptr(&e->phys, RAM_BASE, RAM_PAGES * PAGE) != e->host)
        return SE_ERR_STATE;
    return SE_OK;
}
static se_status map_null_phys(env *e)
{
    return se_pt_map(NULL, 4, e->root, UA, e->frame, US);
}
static se_status map_three_levels(env *e)
{
    return se_pt_map(&e->phys, 3, e->root, UA, e->frame, US);
}
static se_status map_six_levels(env *e)
{
    return se_pt_map(&e->phys, 6, e->root, UA, e->frame, US);
}
static se_status map_misaligned_root(env *e)
{
    return se_pt_map(&e->phys, 4, e->root + 8, UA, e->frame, US);
}
static se_status map_root_outside_ram(env *e)
{
    return se_pt_map(&e->phys, 4, BIG, UA, e->frame, US);
}
static se_status map_misaligned_va(env *e)
{
    return se_pt_map(&e->phys, 4, e->root, UA + 8, e->frame, US);
}
static se_status map_noncanonical_va_4level(env *e)
{
    return se_pt_map(&e->phys, 4, e->root, BIT(47), e->frame, US);
}
static se_status map_noncanonical_va_5level(env *e)
{
    return se_pt_map(&e->phys, 5, e->root, BIT(56), e->frame, US);
}
static se_status map_bit47_va_5level(env *e)
{
    return se_pt_map(&e->phys, 5, e->root, BIT(47), e->frame, US);
}
static se_status map_misaligned_pa(env *e)
{
    return se_pt_map(&e->phys, 4, e->root, UA, e->frame + 8, US);
}
static se_status map_pa_above_52_bits(env *e)
{
    return se_pt_map(&e->phys, 4, e->root, UA, BIT(52), US);
}
static se_status map_flags_with_address_bits(env *e)
{
    return se_pt_map(&e->phys, 4, e->root, UA, e->frame, US | BIT(20));
}
static se_status map_pa_outside_ram_ok(env *e)
{
    return se_pt_map(&e->phys, 4, e->root, UA, BIG, US | XD);
}
static se_status map_ram_exhausted(env *e)
{
    uint64_t pa;
    /* leave two pages: PDPT and PD fit, the PT does not */
    se_status st = se_phys_alloc(&e->phys, e->phys.size - e->phys.next - 2 * PAGE, PAGE, &pa);
    if (st != SE_OK)
        return SE_ERR_STATE;
    return se_pt_map(&e->phys, 4, e->root, UA, e->frame, US);
}
static se_status set_present_null_phys(env *e)
{
    return se_pt_set_present(NULL, 4, e->root, UA, true);
}
static se_status set_present_bad_levels(env *e)
{
    return se_pt_set_present(&e->phys, 0, e->root, UA, true);
}
static se_status set_present_noncanonical(env *e)
{
    return se_pt_set_present(&e->phys, 4, e->root, BIT(47), true);
}
static se_status set_present_unmapped(env *e)
{
    return se_pt_set_present(&e->phys, 5, e->root, UA, true);
}
static se_status leaf_bad_arguments_are_zero(env *e)
{
    if (se_pt_leaf(NULL, 4, e->root, UA) != 0 || se_pt_leaf(&e->phys, 7, e->root, UA) != 0 ||
        se_pt_leaf(&e->phys, 4, e->root + 1, UA) != 0 ||
        se_pt_leaf(&e->phys, 4, e->root, BIT(47)) != 0)
        return SE_ERR_STATE;
    return SE_OK;
}

static const api_row api_rows[] = {
    {"phys_init_null_struct_invalid", init_null_struct, SE_ERR_INVALID_ARG},
    {"phys_init_null_host_invalid", init_null_host, SE_ERR_INVALID_ARG},
    {"phys_init_misaligned_host_invalid", init_misaligned_host, SE_ERR_INVALID_ARG},
    {"phys_init_misaligned_base_invalid", init_misaligned_base, SE_ERR_INVALID_ARG},
    {"phys_init_size_not_whole_pages_invalid", init_size_not_pages, SE_ERR_INVALID_ARG},
    {"phys_init_zero_size_invalid", init_zero_size, SE_ERR_INVALID_ARG},
    {"phys_init_beyond_2_40_invalid", init_beyond_phys_limit, SE_ERR_INVALID_ARG},
    {"phys_init_base_at_2_40_invalid", init_base_at_phys_limit, SE_ERR_INVALID_ARG},
    {"phys_init_size_wraps_invalid", init_size_wraps, SE_ERR_INVALID_ARG},
    {"phys_init_ending_at_2_40_ok", init_ending_at_phys_limit, SE_OK},
    {"phys_alloc_null_struct_invalid", alloc_null_struct, SE_ERR_INVALID_ARG},
    {"phys_alloc_null_out_invalid", alloc_null_out, SE_ERR_INVALID_ARG},
    {"phys_alloc_zero_bytes_invalid", alloc_zero_bytes, SE_ERR_INVALID_ARG},
    {"phys_alloc_align_zero_invalid", alloc_align_zero, SE_ERR_INVALID_ARG},
    {"phys_alloc_align_not_power_of_two_invalid", alloc_align_not_power_of_two, SE_ERR_INVALID_ARG},
    {"phys_alloc_small_align_gives_page_ok", alloc_small_align_means_page, SE_OK},
    {"phys_alloc_aligned_ok", alloc_aligned_ok, SE_OK},
    {"phys_alloc_returns_zeroed_pages_ok", alloc_returns_zeroed_pages, SE_OK},
    {"phys_alloc_exhausted_limit", alloc_all_then_one_more, SE_ERR_LIMIT},
    {"phys_alloc_more_than_ram_limit", alloc_more_than_ram, SE_ERR_LIMIT},
    {"phys_alloc_huge_bytes_limit", alloc_huge_bytes, SE_ERR_LIMIT},
    {"phys_alloc_huge_align_limit", alloc_huge_align, SE_ERR_LIMIT},
    {"phys_alloc_alignment_gap_exceeds_ram_limit", alloc_alignment_gap_exceeds_ram, SE_ERR_LIMIT},
    {"phys_ptr_bounds_ok", ptr_outside_is_null, SE_OK},
    {"pt_map_null_phys_invalid", map_null_phys, SE_ERR_INVALID_ARG},
    {"pt_map_three_levels_invalid", map_three_levels, SE_ERR_INVALID_ARG},
    {"pt_map_six_levels_invalid", map_six_levels, SE_ERR_INVALID_ARG},
    {"pt_map_misaligned_root_invalid", map_misaligned_root, SE_ERR_INVALID_ARG},
    {"pt_map_root_outside_ram_invalid", map_root_outside_ram, SE_ERR_INVALID_ARG},
    {"pt_map_misaligned_va_invalid", map_misaligned_va, SE_ERR_INVALID_ARG},
    {"pt_map_noncanonical_va_4level_invalid", map_noncanonical_va_4level, SE_ERR_INVALID_ARG},
    {"pt_map_noncanonical_va_5level_invalid", map_noncanonical_va_5level, SE_ERR_INVALID_ARG},
    {"pt_map_bit47_va_5level_ok", map_bit47_va_5level, SE_OK},
    {"pt_map_misaligned_pa_invalid", map_misaligned_pa, SE_ERR_INVALID_ARG},
    {"pt_map_pa_above_52_bits_invalid", map_pa_above_52_bits, SE_ERR_INVALID_ARG},
    {"pt_map_flags_with_address_bits_invalid", map_flags_with_address_bits, SE_ERR_INVALID_ARG},
    {"pt_map_pa_outside_ram_ok", map_pa_outside_ram_ok, SE_OK},
    {"pt_map_ram_exhausted_limit", map_ram_exhausted, SE_ERR_LIMIT},
    {"pt_set_present_null_phys_invalid", set_present_null_phys, SE_ERR_INVALID_ARG},
    {"pt_set_present_bad_levels_invalid", set_present_bad_levels, SE_ERR_INVALID_ARG},
    {"pt_set_present_noncanonical_invalid", set_present_noncanonical, SE_ERR_INVALID_ARG},
    {"pt_set_present_unmapped_not_mapped", set_present_unmapped, SE_ERR_NOT_MAPPED},
    {"pt_leaf_bad_arguments_zero", leaf_bad_arguments_are_zero, SE_OK},
};

static void test_api_row(void **state)
{
    const api_row *row = *state;
    env e;
    env_open(&e, RAM_PAGES);
    se_status st = row->call(&e);
    if (st != row->expect)
        print_error("got %s, expected %s\n", se_status_str(st), se_status_str(row->expect));
    assert_int_equal(st, row->expect);
    env_close(&e);
}

/* ---- invariants over random tables -------------------------------------------------------- */

static uint64_t rng_next(uint64_t *s)
{
    /* xorshift64*: a fixed sequence, so a failure reproduces */
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 0x2545F4914F6CDD1Dull;
}

#define RND_PAGES 8u

/* An entry that points into the RAM most of the time, with random flag and high bits. */
static uint64_t random_entry(uint64_t *s)
{
    uint64_t r = rng_next(s);
    uint64_t frame = RAM_BASE + (r % RND_PAGES) * PAGE;
    switch ((r >> 8) % 8) {
    case 0:
        return 0;
    case 1:
        return rng_next(s); /* garbage */
    case 2:
        return frame | (rng_next(s) & 0xFFF) | (rng_next(s) & (BIT(63) | BIT(MAXPHY)));
    default:
        return frame | (rng_next(s) & 0xFFF) | (rng_next(s) & BIT(63)) | P;
    }
}

static uint64_t random_va(uint64_t *s, unsigned levels)
{
    uint64_t r = rng_next(s);
    unsigned width = levels == 5 ? 57 : 48;
    switch (r % 4) {
    case 0:
        return rng_next(s); /* mostly non-canonical */
    case 1:
        return rng_next(s) & (BIT(width - 1) - 1);
    default:
        return rng_next(s) | ~(BIT(width - 1) - 1);
    }
}

static bool is_canonical_ref(uint64_t va, unsigned levels)
{
    unsigned width = levels == 5 ? 57 : 48;
    uint64_t top = va >> (width - 1);
    return top == 0 || top == (UINT64_MAX >> (width - 1));
}

static void test_walk_random_tables_invariants(void **state)
{
    (void)state;
    uint64_t seed = 0x9E3779B97F4A7C15ull;
    size_t ok = 0, np = 0, rsvd = 0, prot = 0, gp = 0;
    for (unsigned round = 0; round < 200; round++) {
        env e;
        e.host = aligned_alloc(PAGE, RND_PAGES * PAGE);
        assert_non_null(e.host);
        assert_int_equal(se_phys_init(&e.phys, e.host, RAM_BASE, RND_PAGES * PAGE), SE_OK);
        for (uint64_t i = 0; i < RND_PAGES * PAGE / 8; i++) {
            uint64_t v = random_entry(&seed);
            memcpy(e.host + i * 8, &v, 8);
        }
        for (unsigned n = 0; n < 400; n++) {
            unsigned levels = (rng_next(&seed) & 1) ? 5 : 4;
            uint64_t va = random_va(&seed, levels);
            uint64_t cr3 = RAM_BASE + (rng_next(&seed) % RND_PAGES) * PAGE;
            cr3 |= rng_next(&seed) & (SE_CR3_PCID_MASK | SE_CR3_NOFLUSH);
            bool nxe = rng_next(&seed) & 1;
            /* baseline: the most permissive access the walk knows */
            se_paging_ctl base_ctl = make_ctl(levels, nxe ? CTL_NXE : 0);
            uint64_t base_pa;
            se_fault base_f;
            se_fault_kind base_k = se_pt_walk(&e.phys, &base_ctl, cr3, va, R, 0, &base_pa, &base_f);
            for (unsigned v = 0; v < 8; v++) {
                unsigned bits =
                    (unsigned)rng_next(&seed) & (CTL_WP | CTL_SMEP | CTL_SMAP | CTL_AC | CTL_STACK);
                se_paging_ctl ctl = make_ctl(levels, bits | (nxe ? CTL_NXE : 0));
                se_access acc = (se_access)(rng_next(&seed) % 3);
                uint8_t cpl = (uint8_t)(rng_next(&seed) % 4);
                uint64_t pa;
                se_fault f;
                se_fault_kind k = se_pt_walk(&e.phys, &ctl, cr3, va, acc, cpl, &pa, &f);
                if (!is_canonical_ref(va, levels)) {
                    assert_int_equal(k, SE_FAULT_FAULT);
                    assert_int_equal(f.vector, ctl.stack ? SE_VEC_SS : SE_VEC_GP);
                    assert_int_equal(f.error_code, 0);
                    assert_int_equal(f.cr2, 0);
                    gp++;
                    continue;
                }
                if (k == SE_FAULT_NONE) {
                    /* same translation as the baseline; an address the CPU can form */
                    assert_int_equal(base_k, SE_FAULT_NONE);
                    se_assert_eq_hex("pa", pa, base_pa);
                    assert_true(pa < BIT(MAXPHY));
                    se_assert_eq_hex("offset", pa & (PAGE - 1), va & (PAGE - 1));
                    ok++;
                    continue;
                }
                assert_int_equal(f.vector, SE_VEC_PF);
                se_assert_eq_hex("cr2", f.cr2, va);
                uint32_t c = f.error_code;
                assert_int_equal(
                    c & ~(uint32_t)(SE_PF_P | SE_PF_W | SE_PF_U | SE_PF_RSVD | SE_PF_I), 0);
                assert_int_equal((c & SE_PF_U) != 0, cpl == 3);
                assert_int_equal((c & SE_PF_W) != 0, acc == W);
                assert_int_equal((c & SE_PF_I) != 0, acc == X && (ctl.nxe || ctl.smep));
                if (c & SE_PF_RSVD) {
                    assert_true(c & SE_PF_P);
                    assert_true(base_k == SE_FAULT_FAULT && (base_f.error_code & SE_PF_RSVD));
                    rsvd++;
                } else if (!(c & SE_PF_P)) {
                    /* the structure of the tables, not the access, decides "not present" */
                    assert_true(base_k == SE_FAULT_FAULT && !(base_f.error_code & SE_PF_P));
                    np++;
                } else {
                    assert_int_equal(base_k, SE_FAULT_NONE); /* an access-rights fault */
                    prot++;
                }
            }
        }
        free(e.host);
    }
    /* the generator must exercise every outcome, or the run proves little */
    assert_true(ok > 100 && np > 100 && rsvd > 100 && prot > 100 && gp > 100);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_map_builds_permissive_intermediate_entries),
        cmocka_unit_test(test_set_present_and_leaf),
        cmocka_unit_test(test_engine_xd_marks),
        cmocka_unit_test(test_engine_wx_marks),
        cmocka_unit_test(test_large_pages_in_construction),
        cmocka_unit_test(test_walk_optional_outputs_and_foreign_tables),
        cmocka_unit_test(test_walk_random_tables_invariants),
    };
    int failed = cmocka_run_group_tests_name("paging", tests, NULL, NULL);
    failed += SE_TEST_RUN_ROWS("paging_walk", walk_rows, test_walk_row);
    failed += SE_TEST_RUN_ROWS("paging_pti", pti_rows, test_pti_row);
    failed += SE_TEST_RUN_ROWS("paging_api", api_rows, test_api_row);
    return failed != 0;
}
