/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Guest-physical RAM, page-table construction and the architectural page walk (paging.h,
 * docs/paging.md). Section numbers are Intel SDM Vol. 3A.
 */
#include "paging/paging.h"

#include <assert.h>
#include <stddef.h>
#include <string.h>

#include <sysentry/cpu.h>

#define SE_PG_SIZE           4096ull
#define SE_PG_SHIFT          12u
#define SE_PG_BITS           9u /* index bits per level: 512 eight-byte entries per 4 KiB table */
#define SE_PG_MAXPHYADDR_MIN 32u
#define SE_PG_MAXPHYADDR_MAX 52u

/* ---- guest-physical RAM ------------------------------------------------------------------ */

se_status se_phys_init(se_phys *p, uint8_t *host, uint64_t base, uint64_t size)
{
    if (p == NULL || host == NULL || ((uintptr_t)host & (SE_PG_SIZE - 1)) != 0)
        return SE_ERR_INVALID_ARG;
    if (size == 0 || ((base | size) & (SE_PG_SIZE - 1)) != 0)
        return SE_ERR_INVALID_ARG;
    if (base >= SE_PT_PHYS_LIMIT || size > SE_PT_PHYS_LIMIT - base)
        return SE_ERR_INVALID_ARG;
    *p = (se_phys){.host = host, .base = base, .size = size, .next = 0};
    return SE_OK;
}

/* Pages past the high-water mark are still zero when init's precondition held. Clearing only the
 * pages that are not keeps lazily zeroed host memory (anonymous mmap) unpopulated until the guest
 * really touches it: reading such a page maps the shared zero page, writing would commit it. */
static void se_phys_zero(uint8_t *start, uint64_t len)
{
    static const uint8_t zero[64];
    for (uint64_t off = 0; off < len; off += SE_PG_SIZE) {
        uint8_t *page = start + off;
        for (uint64_t i = 0; i < SE_PG_SIZE; i += sizeof zero)
            if (memcmp(page + i, zero, sizeof zero) != 0) {
                memset(page, 0, SE_PG_SIZE);
                break;
            }
    }
}

se_status se_phys_alloc(se_phys *p, uint64_t bytes, uint64_t align, uint64_t *pa)
{
    if (p == NULL || pa == NULL || bytes == 0 || align == 0 || (align & (align - 1)) != 0)
        return SE_ERR_INVALID_ARG;
    if (align < SE_PG_SIZE)
        align = SE_PG_SIZE;
    if (bytes > UINT64_MAX - (SE_PG_SIZE - 1) || p->next > p->size)
        return SE_ERR_LIMIT;
    uint64_t len = (bytes + SE_PG_SIZE - 1) & ~(SE_PG_SIZE - 1);
    /* alignment is of the guest-physical address, which is what a CR3 or PTE frame needs */
    uint64_t cur = p->base + p->next;
    if (cur > UINT64_MAX - (align - 1))
        return SE_ERR_LIMIT;
    uint64_t start = (cur + align - 1) & ~(align - 1);
    uint64_t off = start - p->base;
    if (off > p->size || len > p->size - off)
        return SE_ERR_LIMIT;
    se_phys_zero(p->host + off, len);
    p->next = off + len;
    *pa = start;
    return SE_OK;
}

void *se_phys_ptr(const se_phys *p, uint64_t pa, uint64_t len)
{
    if (p == NULL || p->host == NULL || len == 0 || pa < p->base)
        return NULL;
    uint64_t off = pa - p->base;
    if (off >= p->size || len > p->size - off)
        return NULL;
    return p->host + off;
}

/* ---- table entries ------------------------------------------------------------------------ */

/* level 1 = PT, 2 = PD, 3 = PDPT, 4 = PML4, 5 = PML5 (§4.5.4 figure 4-8, §4.5.1 for 5-level) */
static unsigned se_pt_shift(unsigned level)
{
    return SE_PG_SHIFT + SE_PG_BITS * (level - 1);
}

static uint64_t se_pt_entry_pa(uint64_t table_pa, uint64_t va, unsigned level)
{
    return (table_pa & SE_PT_FRAME_MASK) + ((va >> se_pt_shift(level)) & 511u) * 8u;
}

/* Entries are read and written with memcpy: the host buffer is plain bytes to this module. */
static bool se_pt_load(const se_phys *p, uint64_t entry_pa, uint64_t *e)
{
    const void *src = se_phys_ptr(p, entry_pa, sizeof *e);
    if (src == NULL)
        return false;
    memcpy(e, src, sizeof *e);
    return true;
}

static void se_pt_store(const se_phys *p, uint64_t entry_pa, uint64_t e)
{
    void *dst = se_phys_ptr(p, entry_pa, sizeof e);
    assert(dst != NULL); /* callers store only where se_pt_load succeeded */
    memcpy(dst, &e, sizeof e);
}

/* PS in a PDPTE (level 3) or PDE (level 2) makes the entry a 1 GiB / 2 MiB leaf (§4.5.4);
 * at level 1 bit 7 is PAT, at levels 4 and 5 it is reserved. */
static bool se_pt_is_large(uint64_t e, unsigned level)
{
    return (level == 2 || level == 3) && (e & SE_PTE_PS) != 0;
}

static bool se_pt_args_ok(const se_phys *p, unsigned levels, uint64_t root_pa, uint64_t va)
{
    if (p == NULL || (levels != 4 && levels != 5) || (root_pa & (SE_PG_SIZE - 1)) != 0)
        return false;
    if (se_phys_ptr(p, root_pa, SE_PG_SIZE) == NULL)
        return false;
    return se_is_canonical(va, levels == 5 ? SE_VA_BITS_5LEVEL : SE_VA_BITS_4LEVEL);
}

/*
 * Follow va's path from the root to the entry that maps it: the level-1 PTE, or a large
 * PDPTE/PDE. With alloc, missing tables are taken from alloc and linked with P|RW|US|A;
 * without, an empty entry on the path ends the search with SE_ERR_NOT_MAPPED. Only present
 * entries are followed, as the CPU does; a non-present, non-empty intermediate entry is someone
 * else's state and is neither followed nor overwritten (SE_ERR_CONFLICT with alloc).
 */
static se_status se_pt_find(const se_phys *p, se_phys *alloc, unsigned levels, uint64_t root_pa,
                            uint64_t va, uint64_t *entry_pa, unsigned *entry_level)
{
    uint64_t table = root_pa;
    for (unsigned level = levels; level >= 1; level--) {
        uint64_t epa = se_pt_entry_pa(table, va, level), e;
        if (!se_pt_load(p, epa, &e))
            return SE_ERR_INVALID_ARG; /* a table outside the RAM: a corrupt entry above */
        if (level == 1 || ((e & SE_PTE_P) != 0 && se_pt_is_large(e, level)) ||
            ((e & SE_PTE_P) == 0 && e != 0 && se_pt_is_large(e, level) && alloc == NULL)) {
            *entry_pa = epa;
            *entry_level = level;
            return SE_OK;
        }
        if ((e & SE_PTE_P) == 0) {
            if (alloc == NULL)
                return SE_ERR_NOT_MAPPED;
            if (e != 0)
                return SE_ERR_CONFLICT;
            uint64_t next;
            se_status st = se_phys_alloc(alloc, SE_PG_SIZE, SE_PG_SIZE, &next);
            if (st != SE_OK)
                return st;
            /* U/S and R/W are ANDed over all levels (§4.6.1): permissive intermediate entries
             * leave the decision to the leaf, as Linux's _PAGE_TABLE does */
            e = next | SE_PTE_P | SE_PTE_RW | SE_PTE_US | SE_PTE_A;
            se_pt_store(p, epa, e);
        }
        table = e & SE_PT_FRAME_MASK;
    }
    return SE_ERR_INVALID_ARG; /* not reached: level 1 always returns */
}

se_status se_pt_map(se_phys *p, unsigned levels, uint64_t root_pa, uint64_t va, uint64_t pa,
                    uint64_t pte_flags)
{
    if (!se_pt_args_ok(p, levels, root_pa, va) || (va & (SE_PG_SIZE - 1)) != 0)
        return SE_ERR_INVALID_ARG;
    if ((pa & ~SE_PT_FRAME_MASK) != 0 || (pte_flags & SE_PT_FRAME_MASK) != 0)
        return SE_ERR_INVALID_ARG;
    uint64_t epa;
    unsigned level;
    se_status st = se_pt_find(p, p, levels, root_pa, va, &epa, &level);
    if (st != SE_OK)
        return st;
    if (level != 1)
        return SE_ERR_CONFLICT; /* splitting a large page is not modelled */
    se_pt_store(p, epa, pa | pte_flags | SE_PTE_P);
    return SE_OK;
}

/* The existing entry that maps va (no table is allocated): its address, value and level. */
static se_status se_pt_existing(se_phys *p, unsigned levels, uint64_t root_pa, uint64_t va,
                                uint64_t *epa, uint64_t *e, unsigned *level)
{
    if (!se_pt_args_ok(p, levels, root_pa, va))
        return SE_ERR_INVALID_ARG;
    se_status st = se_pt_find(p, NULL, levels, root_pa, va, epa, level);
    if (st != SE_OK)
        return st;
    return se_pt_load(p, *epa, e) && *e != 0 ? SE_OK : SE_ERR_NOT_MAPPED;
}

se_status se_pt_engine_mark(se_phys *p, unsigned levels, uint64_t root_pa, uint64_t va,
                            uint64_t mark, bool on)
{
    if (mark != SE_PTE_ENGINE_XD && mark != SE_PTE_ENGINE_NX && mark != SE_PTE_ENGINE_RO)
        return SE_ERR_INVALID_ARG;
    uint64_t epa, e;
    unsigned level;
    se_status st = se_pt_existing(p, levels, root_pa, va, &epa, &e, &level);
    if (st != SE_OK)
        return st;
    if (level != 1 || (e & SE_PTE_P) == 0)
        return SE_ERR_NOT_MAPPED;
    const uint64_t xd_marks = SE_PTE_ENGINE_XD | SE_PTE_ENGINE_NX;
    if (mark == SE_PTE_ENGINE_RO) {
        if (on && (e & SE_PTE_RW) != 0)
            e = (e & ~SE_PTE_RW) | SE_PTE_ENGINE_RO; /* a read-only leaf stays the architecture's */
        else if (!on && (e & SE_PTE_ENGINE_RO) != 0)
            e = (e | SE_PTE_RW) & ~SE_PTE_ENGINE_RO;
    } else if (on) {
        /* an architectural XD (XD without a mark) stays the architecture's */
        if ((e & SE_PTE_XD) == 0 || (e & xd_marks) != 0)
            e |= SE_PTE_XD | mark;
    } else if ((e & mark) != 0) {
        e &= ~mark;
        if ((e & xd_marks) == 0)
            e &= ~SE_PTE_XD;
    }
    se_pt_store(p, epa, e);
    return SE_OK;
}

se_status se_pt_engine_xd(se_phys *p, unsigned levels, uint64_t root_pa, uint64_t va, bool on)
{
    return se_pt_engine_mark(p, levels, root_pa, va, SE_PTE_ENGINE_XD, on);
}

uint64_t *se_pt_leaf_ptr(const se_phys *p, unsigned levels, uint64_t root_pa, uint64_t va)
{
    uint64_t epa;
    unsigned level;
    if (!se_pt_args_ok(p, levels, root_pa, va) ||
        se_pt_find(p, NULL, levels, root_pa, va, &epa, &level) != SE_OK || level != 1)
        return NULL;
    return se_phys_ptr(p, epa, sizeof(uint64_t));
}

se_status se_pt_set_present(se_phys *p, unsigned levels, uint64_t root_pa, uint64_t va,
                            bool present)
{
    uint64_t epa, e;
    unsigned level;
    se_status st = se_pt_existing(p, levels, root_pa, va, &epa, &e, &level);
    if (st != SE_OK)
        return st;
    se_pt_store(p, epa, present ? e | SE_PTE_P : e & ~SE_PTE_P);
    return SE_OK;
}

uint64_t se_pt_leaf(const se_phys *p, unsigned levels, uint64_t root_pa, uint64_t va)
{
    uint64_t epa, e;
    unsigned level;
    if (!se_pt_args_ok(p, levels, root_pa, va) ||
        se_pt_find(p, NULL, levels, root_pa, va, &epa, &level) != SE_OK || !se_pt_load(p, epa, &e))
        return 0;
    return e;
}

/* ---- the walk ----------------------------------------------------------------------------- */

/* Bits maxphyaddr..51 of an entry: reserved in every paging-structure entry (§4.5.4 tables
 * 4-15 .. 4-20 "Reserved (must be 0)"), and ignored in CR3's root address. */
static uint64_t se_pt_above_maxphyaddr(unsigned maxphyaddr)
{
    if (maxphyaddr > SE_PG_MAXPHYADDR_MAX)
        maxphyaddr = SE_PG_MAXPHYADDR_MAX;
    return SE_PT_FRAME_MASK & ~((1ull << maxphyaddr) - 1);
}

static se_fault_kind se_pt_raise(se_fault *fault, uint8_t vector, uint32_t code, uint64_t cr2,
                                 uint8_t cpl)
{
    if (fault != NULL) {
        fault->kind = SE_FAULT_FAULT;
        fault->vector = vector;
        fault->error_code = code;
        fault->has_error_code = true; /* #GP, #SS and #PF all push one (Table 6-1) */
        fault->cr2 = cr2;
        fault->cpl = cpl;
    }
    return SE_FAULT_FAULT;
}

se_fault_kind se_pt_walk(const se_phys *p, const se_paging_ctl *ctl, uint64_t cr3, uint64_t va,
                         se_access access, uint8_t cpl, uint64_t *pa, se_fault *fault)
{
    assert(p != NULL && ctl != NULL);
    assert(ctl->levels == 4 || ctl->levels == 5);
    assert(ctl->maxphyaddr >= SE_PG_MAXPHYADDR_MIN && ctl->maxphyaddr <= SE_PG_MAXPHYADDR_MAX);
    assert(access <= SE_ACCESS_MAX_VALUE && cpl <= 3);
    if (pa != NULL)
        *pa = 0;
    if (fault != NULL)
        memset(fault, 0, sizeof *fault);
    const unsigned levels = ctl->levels == 5 ? 5 : 4;

    /* CANON-1/2: a non-canonical linear address faults before any table is read; for an
     * access through SS the fault is #SS(0) (§6.15, interrupt 12), otherwise #GP(0) */
    if (!se_is_canonical(va, levels == 5 ? SE_VA_BITS_5LEVEL : SE_VA_BITS_4LEVEL))
        return se_pt_raise(fault, ctl->stack ? SE_VEC_SS : SE_VEC_GP, 0, 0, cpl);

    const bool user = cpl == 3; /* CPL 0-2 are supervisor mode (§4.6) */
    const bool write = access == SE_ACCESS_WRITE, fetch = access == SE_ACCESS_FETCH;
    /* §4.7: I is reported only when NXE or SMEP makes fetches special */
    uint32_t code = (user ? SE_PF_U : 0u) | (write ? SE_PF_W : 0u) |
                    (fetch && (ctl->nxe || ctl->smep) ? SE_PF_I : 0u);

    const uint64_t high = se_pt_above_maxphyaddr(ctl->maxphyaddr);
    /* without NXE, bit 63 is reserved in every entry (§4.5.4: "Reserved if IA32_EFER.NXE = 0") */
    const uint64_t rsvd_all = high | (ctl->nxe ? 0 : SE_PTE_XD);
    uint64_t table = cr3 & SE_PT_FRAME_MASK & ~high; /* CR3-2: bits 11:0 and 63:M are not it */
    bool us = true, rw = true, xd = false;
    uint64_t out = 0;

    for (unsigned level = levels;; level--) {
        uint64_t e;
        if (!se_pt_load(p, se_pt_entry_pa(table, va, level), &e))
            e = 0; /* no RAM there: nothing present */
        if (ctl->engine_marks && (e & SE_PTE_ENGINE_MARKS) != 0) {
            /* the engine's, not the architecture's (se_pt_engine_mark) */
            if (e & (SE_PTE_ENGINE_XD | SE_PTE_ENGINE_NX))
                e &= ~SE_PTE_XD;
            if (e & SE_PTE_ENGINE_RO)
                e |= SE_PTE_RW;
            e &= ~SE_PTE_ENGINE_MARKS;
        }
        if ((e & SE_PTE_P) == 0)
            return se_pt_raise(fault, SE_VEC_PF, code, va, cpl); /* reserved bits not looked at */
        const bool large = se_pt_is_large(e, level);
        uint64_t rsvd = rsvd_all;
        if (level >= 4)
            rsvd |= SE_PTE_PS; /* no 512 GiB or 256 TiB pages */
        else if (large)
            /* a large frame is aligned to its size: bits 12 (PAT) + 1 .. shift - 1 must be 0 */
            rsvd |= ((1ull << se_pt_shift(level)) - 1) & ~((SE_PG_SIZE << 1) - 1);
        if ((e & rsvd) != 0)
            return se_pt_raise(fault, SE_VEC_PF, code | SE_PF_RSVD | SE_PF_P, va, cpl);
        /* §4.6.1: the access rights of a linear address combine the entries of every level */
        us = us && (e & SE_PTE_US) != 0;
        rw = rw && (e & SE_PTE_RW) != 0;
        xd = xd || (e & SE_PTE_XD) != 0;
        if (level == 1 || large) {
            const uint64_t span = 1ull << se_pt_shift(level);
            out = (e & SE_PT_FRAME_MASK & ~(span - 1)) | (va & (span - 1));
            break;
        }
        table = e & SE_PT_FRAME_MASK;
    }

    /* §4.6.1 access rights, in terms of "user-mode address" (U/S = 1 at every level) */
    bool denied;
    if (user)
        denied = !us || (write && !rw) || (fetch && ctl->nxe && xd);
    else
        denied = (write && !rw && ctl->wp) || (fetch && ctl->nxe && xd) ||
                 (us && fetch && ctl->smep) || (us && !fetch && ctl->smap && !ctl->ac);
    if (denied)
        return se_pt_raise(fault, SE_VEC_PF, code | SE_PF_P, va, cpl);
    if (pa != NULL)
        *pa = out;
    return SE_FAULT_NONE;
}
