/*
 * Page tables and the C page walk (SDM Vol. 3A §4.5-4.7): one row per case, 4- and 5-level,
 * user/supervisor, read/write/fetch, not-present at each level, protection, reserved bits,
 * WP, SMEP/SMAP/AC, NX, large pages, canonical boundaries, and the PTI two-root pattern.
 */
#include "se_test.h"

#include <stdlib.h>
#include <string.h>

#include "paging/paging.h"

#define RAM_BASE 0xF000000000ull
#define RAM_SIZE (256u * 4096u)

typedef struct env {
    uint8_t *host;
    se_phys phys;
    uint64_t root;
} env;

static void env_init(env *e, unsigned levels)
{
    (void)levels;
    e->host = aligned_alloc(4096, RAM_SIZE);
    assert_non_null(e->host);
    memset(e->host, 0, RAM_SIZE);
    assert_int_equal(se_phys_init(&e->phys, e->host, RAM_BASE, RAM_SIZE), SE_OK);
    assert_int_equal(se_phys_alloc(&e->phys, 4096, 4096, &e->root), SE_OK);
}

static void env_free(env *e)
{
    free(e->host);
}

#define R SE_ACCESS_READ
#define W SE_ACCESS_WRITE
#define X SE_ACCESS_FETCH
enum { NONE = 0, PF = SE_VEC_PF, GP = SE_VEC_GP };

typedef struct walk_row {
    const char *name;
    unsigned levels;
    uint64_t map_va;       /* 0: map nothing */
    uint64_t pte;          /* leaf flags */
    uint64_t map_pa_extra; /* OR-ed into the frame (reserved address bits) */
    uint64_t va;           /* accessed address */
    int access;
    uint8_t cpl;
    bool wp, nxe, smep, smap, ac;
    int vector;
    uint32_t error_code;
} walk_row;

#define U   SE_PTE_US
#define RW  SE_PTE_RW
#define XD  SE_PTE_XD
#define UA  0x0000000000400000ull /* a user address */
#define KA  0xffffffff81000000ull /* a kernel address */
#define ANY 0

static const walk_row walk_rows[] = {
    /* present, allowed */
    {"user_read_user_page", 4, UA, U, 0, UA, R, 3, 0, 0, 0, 0, 0, NONE, 0},
    {"user_write_user_rw_page", 4, UA, U | RW, 0, UA + 8, W, 3, 0, 0, 0, 0, 0, NONE, 0},
    {"kernel_read_kernel_page", 4, KA, 0, 0, KA, R, 0, 0, 0, 0, 0, 0, NONE, 0},
    {"kernel_write_ro_without_wp", 4, KA, 0, 0, KA, W, 0, false, 0, 0, 0, 0, NONE, 0},
    {"kernel_read_user_page_no_smap", 4, UA, U, 0, UA, R, 0, 0, 0, 0, 0, 0, NONE, 0},
    {"la57_high_user_page", 5, 0x00fffffffffff000ull, U, 0, 0x00fffffffffff000ull, R, 3, 0, 0, 0, 0,
     0, NONE, 0},
    /* not present */
    {"user_read_unmapped", 4, 0, 0, 0, UA, R, 3, 0, 0, 0, 0, 0, PF, SE_PF_U},
    {"user_write_unmapped", 4, 0, 0, 0, UA, W, 3, 0, 0, 0, 0, 0, PF, SE_PF_U | SE_PF_W},
    {"user_fetch_unmapped_nxe", 4, 0, 0, 0, UA, X, 3, 0, 1, 0, 0, 0, PF, SE_PF_U | SE_PF_I},
    {"user_fetch_unmapped_no_nxe_no_I", 4, 0, 0, 0, UA, X, 3, 0, 0, 0, 0, 0, PF, SE_PF_U},
    {"kernel_read_unmapped", 4, 0, 0, 0, KA, R, 0, 0, 0, 0, 0, 0, PF, 0},
    {"neighbour_page_not_present", 4, UA, U, 0, UA + 0x1000, R, 3, 0, 0, 0, 0, 0, PF, SE_PF_U},
    {"other_pml4_slot_not_present", 4, UA, U, 0, 0x0000008000000000ull, R, 3, 0, 0, 0, 0, 0, PF,
     SE_PF_U},
    {"la57_other_pml5_slot", 5, UA, U, 0, 0x0001000000000000ull, R, 3, 0, 0, 0, 0, 0, PF, SE_PF_U},
    /* protection */
    {"user_read_supervisor", 4, KA, 0, 0, KA, R, 3, 0, 0, 0, 0, 0, PF, SE_PF_P | SE_PF_U},
    {"user_write_ro", 4, UA, U, 0, UA, W, 3, 0, 0, 0, 0, 0, PF, SE_PF_P | SE_PF_W | SE_PF_U},
    {"kernel_write_ro_with_wp", 4, KA, 0, 0, KA, W, 0, true, 0, 0, 0, 0, PF, SE_PF_P | SE_PF_W},
    {"user_fetch_xd_nxe", 4, UA, U | XD, 0, UA, X, 3, 0, 1, 0, 0, 0, PF,
     SE_PF_P | SE_PF_U | SE_PF_I},
    {"kernel_fetch_user_smep", 4, UA, U, 0, UA, X, 0, 0, 1, 1, 0, 0, PF, SE_PF_P | SE_PF_I},
    {"kernel_fetch_user_no_smep", 4, UA, U, 0, UA, X, 0, 0, 1, 0, 0, 0, NONE, 0},
    {"kernel_read_user_smap", 4, UA, U, 0, UA, R, 0, 0, 0, 0, 1, 0, PF, SE_PF_P},
    {"kernel_read_user_smap_ac", 4, UA, U, 0, UA, R, 0, 0, 0, 0, 1, 1, NONE, 0},
    /* reserved bits */
    {"xd_without_nxe_is_reserved", 4, UA, U | XD, 0, UA, R, 3, 0, 0, 0, 0, 0, PF,
     SE_PF_P | SE_PF_U | SE_PF_RSVD},
    {"frame_above_maxphyaddr", 4, UA, U, 1ull << 45, UA, R, 3, 0, 0, 0, 0, 0, PF,
     SE_PF_P | SE_PF_U | SE_PF_RSVD},
    {"frame_above_maxphyaddr_write", 4, UA, U | RW, 1ull << 40, UA, W, 3, 0, 0, 0, 0, 0, PF,
     SE_PF_P | SE_PF_U | SE_PF_W | SE_PF_RSVD},
    /* canonical boundaries (CANON-4): a non-canonical address is #GP, never a walk */
    {"top_user_48_canonical_unmapped", 4, 0, 0, 0, 0x00007fffffffffffull, R, 3, 0, 0, 0, 0, 0, PF,
     SE_PF_U},
    {"first_noncanonical_48", 4, 0, 0, 0, 0x0000800000000000ull, R, 3, 0, 0, 0, 0, 0, GP, 0},
    {"lowest_kernel_48", 4, 0, 0, 0, 0xffff800000000000ull, R, 0, 0, 0, 0, 0, 0, PF, 0},
    {"noncanonical_1_56_in_48", 4, 0, 0, 0, 1ull << 56, R, 3, 0, 0, 0, 0, 0, GP, 0},
    {"canonical_1_47_in_57", 5, 0, 0, 0, 1ull << 47, R, 3, 0, 0, 0, 0, 0, PF, SE_PF_U},
    {"top_user_57", 5, 0, 0, 0, 0x00ffffffffffffffull, R, 3, 0, 0, 0, 0, 0, PF, SE_PF_U},
    {"first_noncanonical_57", 5, 0, 0, 0, 1ull << 56, R, 3, 0, 0, 0, 0, 0, GP, 0},
    {"ffff8000_canonical_57", 5, 0, 0, 0, 0xffff800000000000ull, R, 0, 0, 0, 0, 0, 0, PF, 0},
    {"lowest_kernel_57", 5, 0, 0, 0, 0xff00000000000000ull, R, 0, 0, 0, 0, 0, 0, PF, 0},
    {"below_lowest_kernel_57", 5, 0, 0, 0, 0xfeffffffffffffffull, R, 0, 0, 0, 0, 0, 0, GP, 0},
};

static void test_walk(void **state)
{
    const walk_row *row = *state;
    env e;
    env_init(&e, row->levels);
    uint64_t frame;
    assert_int_equal(se_phys_alloc(&e.phys, 4096, 4096, &frame), SE_OK);
    if (row->map_va != 0)
        assert_int_equal(se_pt_map(&e.phys, row->levels, e.root, row->map_va,
                                   frame | row->map_pa_extra, row->pte),
                         SE_OK);
    se_paging_ctl ctl = {.levels = row->levels,
                         .wp = row->wp,
                         .nxe = row->nxe,
                         .smep = row->smep,
                         .smap = row->smap,
                         .ac = row->ac,
                         .maxphyaddr = 40};
    uint64_t pa = 0;
    se_fault f;
    se_fault_kind k =
        se_pt_walk(&e.phys, &ctl, e.root, row->va, (se_access)row->access, row->cpl, &pa, &f);
    if (row->vector == NONE) {
        assert_int_equal(k, SE_FAULT_NONE);
        se_assert_eq_hex("pa", pa, frame + (row->va & 0xFFF));
    } else {
        assert_int_equal(k, SE_FAULT_FAULT);
        assert_int_equal(f.vector, row->vector);
        assert_int_equal(f.cpl, row->cpl);
        assert_true(f.has_error_code);
        se_assert_eq_hex("error code", f.error_code, row->error_code);
        se_assert_eq_hex("cr2", f.cr2, row->vector == PF ? row->va : 0);
    }
    env_free(&e);
}

/* PTI: two roots, the user one maps user memory and only the shared kernel pages. */
static void test_pti_two_roots(void **s)
{
    (void)s;
    env e;
    env_init(&e, 4);
    uint64_t uroot, f1, f2, f3;
    assert_int_equal(se_phys_alloc(&e.phys, 4096, 4096, &uroot), SE_OK);
    se_phys_alloc(&e.phys, 4096, 4096, &f1);
    se_phys_alloc(&e.phys, 4096, 4096, &f2);
    se_phys_alloc(&e.phys, 4096, 4096, &f3);
    const uint64_t entry = 0xffffffff81000000ull, data = 0xffff88807fc01000ull;
    se_pt_map(&e.phys, 4, e.root, UA, f1, U | RW);
    se_pt_map(&e.phys, 4, uroot, UA, f1, U | RW);
    se_pt_map(&e.phys, 4, e.root, entry, f2, 0);
    se_pt_map(&e.phys, 4, uroot, entry, f2, 0);
    se_pt_map(&e.phys, 4, e.root, data, f3, RW);
    se_paging_ctl ctl = {.levels = 4, .wp = true, .maxphyaddr = 40};
    uint64_t pa;
    se_fault f;
    assert_int_equal(se_pt_walk(&e.phys, &ctl, e.root, data, R, 0, &pa, &f), SE_FAULT_NONE);
    assert_int_equal(se_pt_walk(&e.phys, &ctl, uroot, data, R, 0, &pa, &f), SE_FAULT_FAULT);
    se_assert_eq_hex("error code", f.error_code, 0);
    assert_int_equal(se_pt_walk(&e.phys, &ctl, uroot, entry, X, 0, &pa, &f), SE_FAULT_NONE);
    assert_int_equal(se_pt_walk(&e.phys, &ctl, uroot, UA, W, 3, &pa, &f), SE_FAULT_NONE);
    /* CR3 low bits (PCID) and bit 63 are not part of the root address */
    assert_int_equal(se_pt_walk(&e.phys, &ctl, uroot | 0x801 | (1ull << 63), UA, R, 3, &pa, &f),
                     SE_FAULT_NONE);
    env_free(&e);
}

static void test_large_pages(void **s)
{
    (void)s;
    env e;
    env_init(&e, 4);
    uint64_t va = 0x40000000ull; /* 1 GiB aligned */
    /* build PML4E -> PDPT by mapping a 4 KiB page there, then turn the PDE into a 2 MiB leaf */
    uint64_t f;
    se_phys_alloc(&e.phys, 4096, 4096, &f);
    assert_int_equal(se_pt_map(&e.phys, 4, e.root, va, f, U), SE_OK);
    uint64_t *pml4e = se_phys_ptr(&e.phys, e.root + ((va >> 39) & 511) * 8, 8);
    uint64_t *pdpte =
        se_phys_ptr(&e.phys, (*pml4e & 0xFFFFFFFFFF000ull) + ((va >> 30) & 511) * 8, 8);
    uint64_t *pde = se_phys_ptr(&e.phys, (*pdpte & 0xFFFFFFFFF000ull) + ((va >> 21) & 511) * 8, 8);
    const uint64_t big = 0x200000ull; /* 2 MiB-aligned frame */
    *pde = big | SE_PTE_P | SE_PTE_US | SE_PTE_PS;
    se_paging_ctl ctl = {.levels = 4, .maxphyaddr = 40};
    uint64_t pa;
    se_fault fault;
    assert_int_equal(se_pt_walk(&e.phys, &ctl, e.root, va + 0x12345, R, 3, &pa, &fault),
                     SE_FAULT_NONE);
    se_assert_eq_hex("2 MiB page", pa, big + 0x12345);
    *pde = (big | 0x2000) | SE_PTE_P | SE_PTE_US | SE_PTE_PS; /* misaligned: reserved bit */
    assert_int_equal(se_pt_walk(&e.phys, &ctl, e.root, va, R, 3, &pa, &fault), SE_FAULT_FAULT);
    se_assert_eq_hex("rsvd", fault.error_code, SE_PF_P | SE_PF_U | SE_PF_RSVD);
    *pdpte = 0x40000000ull | SE_PTE_P | SE_PTE_US | SE_PTE_PS; /* 1 GiB page */
    assert_int_equal(se_pt_walk(&e.phys, &ctl, e.root, va + 0x3456789, R, 3, &pa, &fault),
                     SE_FAULT_NONE);
    se_assert_eq_hex("1 GiB page", pa, 0x40000000ull + 0x3456789);
    *pml4e |= SE_PTE_PS; /* no 512 GiB pages: PS in a PML4E is reserved */
    assert_int_equal(se_pt_walk(&e.phys, &ctl, e.root, va, R, 3, &pa, &fault), SE_FAULT_FAULT);
    se_assert_eq_hex("rsvd", fault.error_code, SE_PF_P | SE_PF_U | SE_PF_RSVD);
    env_free(&e);
}

static void test_set_present_and_leaf(void **s)
{
    (void)s;
    env e;
    env_init(&e, 4);
    uint64_t f;
    se_phys_alloc(&e.phys, 4096, 4096, &f);
    assert_int_equal(se_pt_set_present(&e.phys, 4, e.root, UA, false), SE_ERR_NOT_MAPPED);
    assert_int_equal(se_pt_leaf(&e.phys, 4, e.root, UA), 0);
    assert_int_equal(se_pt_map(&e.phys, 4, e.root, UA, f, U | RW), SE_OK);
    assert_true(se_pt_leaf(&e.phys, 4, e.root, UA) & SE_PTE_P);
    assert_int_equal(se_pt_set_present(&e.phys, 4, e.root, UA, false), SE_OK);
    se_paging_ctl ctl = {.levels = 4, .maxphyaddr = 40};
    uint64_t pa;
    se_fault fault;
    assert_int_equal(se_pt_walk(&e.phys, &ctl, e.root, UA, R, 3, &pa, &fault), SE_FAULT_FAULT);
    se_assert_eq_hex("not present", fault.error_code, SE_PF_U);
    assert_int_equal(se_pt_set_present(&e.phys, 4, e.root, UA, true), SE_OK);
    assert_int_equal(se_pt_walk(&e.phys, &ctl, e.root, UA, R, 3, &pa, &fault), SE_FAULT_NONE);
    env_free(&e);
}

static void test_allocator_and_arguments(void **s)
{
    (void)s;
    uint8_t *host = aligned_alloc(4096, 3 * 4096);
    se_phys p;
    uint64_t pa;
    assert_int_equal(se_phys_init(NULL, host, RAM_BASE, 4096), SE_ERR_INVALID_ARG);
    assert_int_equal(se_phys_init(&p, host, RAM_BASE + 1, 4096), SE_ERR_INVALID_ARG);
    assert_int_equal(se_phys_init(&p, host, RAM_BASE, 100), SE_ERR_INVALID_ARG);
    assert_int_equal(se_phys_init(&p, host, RAM_BASE, 3 * 4096), SE_OK);
    assert_int_equal(se_phys_alloc(&p, 4096, 3, &pa), SE_ERR_INVALID_ARG);
    assert_int_equal(se_phys_alloc(&p, 0, 4096, &pa), SE_ERR_INVALID_ARG);
    assert_int_equal(se_phys_alloc(&p, 2 * 4096, 4096, &pa), SE_OK);
    se_assert_eq_hex("first page", pa, RAM_BASE);
    assert_int_equal(se_phys_alloc(&p, 2 * 4096, 4096, &pa), SE_ERR_LIMIT);
    assert_int_equal(se_phys_alloc(&p, 4096, 4096, &pa), SE_OK);
    assert_int_equal(se_phys_alloc(&p, 1, 4096, &pa), SE_ERR_LIMIT);
    assert_null(se_phys_ptr(&p, RAM_BASE - 1, 1));
    assert_null(se_phys_ptr(&p, RAM_BASE + 3 * 4096 - 4, 8));
    assert_non_null(se_phys_ptr(&p, RAM_BASE + 3 * 4096 - 8, 8));
    /* page tables need pages too: a full RAM makes mapping fail cleanly */
    assert_int_equal(se_pt_map(&p, 4, RAM_BASE, UA, RAM_BASE, U), SE_ERR_LIMIT);
    assert_int_equal(se_pt_map(&p, 3, RAM_BASE, UA, RAM_BASE, U), SE_ERR_INVALID_ARG);
    assert_int_equal(se_pt_map(&p, 4, RAM_BASE, UA, RAM_BASE + 1, U), SE_ERR_INVALID_ARG);
    free(host);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pti_two_roots),
        cmocka_unit_test(test_large_pages),
        cmocka_unit_test(test_set_present_and_leaf),
        cmocka_unit_test(test_allocator_and_arguments),
    };
    int failed = cmocka_run_group_tests_name("paging", tests, NULL, NULL);
    failed += SE_TEST_RUN_ROWS("paging_walk", walk_rows, test_walk);
    return failed != 0;
}
