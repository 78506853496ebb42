/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Guest memory: one host buffer is the machine's guest-physical RAM (docs/paging.md). Every
 * mapping takes pages from it, is mapped into Unicorn at its physical address (what Unicorn
 * >= 2.1 accesses after a page walk) and again at its virtual address (what 2.0.1 accesses,
 * docs/machine.md, engine limitations), and gets PTEs in the kernel PGD and, where PTI calls for
 * it, the user PGD.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "machine/machine_int.h"

#define SE_PAGE 0x1000ull

se_paging_ctl se_machine_paging_ctl(const se_machine *m)
{
    se_paging_ctl c = {
        .levels = m->levels,
        .wp = (m->arch.cr0 & SE_CR0_WP) != 0,
        .nxe = (m->arch.efer & SE_EFER_NXE) != 0,
        .smep = (m->arch.cr4 & SE_CR4_SMEP) != 0,
        .smap = (m->arch.cr4 & SE_CR4_SMAP) != 0,
        .ac = false,
        .maxphyaddr = m->feat.maxphyaddr,
    };
    return c;
}

static unsigned se_width(const se_machine *m)
{
    return m->cfg.la57 ? SE_VA_BITS_5LEVEL : SE_VA_BITS_4LEVEL;
}

static const se_mapping *se_find_mapping(const se_machine *m, uint64_t va)
{
    for (size_t i = 0; i < m->n_maps; i++)
        if (va >= m->maps[i].va && va - m->maps[i].va < m->maps[i].size)
            return &m->maps[i];
    return NULL;
}

static bool se_overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
    return a < b + blen && b < a + alen;
}

/* Build the leaf PTE flags of a mapping. XD only in the leaf: the upper levels stay
 * executable and each page decides (SDM Vol. 3A §4.6: a fetch is refused if XD is 1 in any
 * paging-structure entry used for the translation). XD only when the engine's EFER.NXE follows
 * the model's: with NXE clear in the engine it would be a reserved bit (§4.5.4). */
static uint64_t se_pte_flags(const se_machine *m, uint32_t flags)
{
    uint64_t f = SE_PTE_P | SE_PTE_A;
    /* D clear: the engine's walk sets it at the first store, which is how snapshots find the
     * pages written (track.c) */
    if (flags & SE_MAP_WRITE)
        f |= SE_PTE_RW;
    if (flags & SE_MAP_USER)
        f |= SE_PTE_US;
    if ((flags & SE_MAP_NOEXEC) && m->be.engine_nx)
        f |= SE_PTE_XD;
    return f;
}

static se_status se_set_ptes(se_machine *m, const se_mapping *mp, bool present)
{
    uint64_t pte = se_pte_flags(m, mp->flags);
    /* Linux keeps user memory in both PGDs, and only the entry text/area in the user one */
    bool in_user = m->cfg.pti && (mp->flags & (SE_MAP_USER | SE_MAP_PTI_SHARED));
    for (uint64_t off = 0; off < mp->size; off += SE_PAGE) {
        se_status st;
        if (present)
            st = se_pt_map(&m->phys, m->levels, m->kpgd, mp->va + off, mp->pa + off, pte);
        else
            st = se_pt_set_present(&m->phys, m->levels, m->kpgd, mp->va + off, false);
        if (st == SE_OK && in_user) {
            if (present)
                st = se_pt_map(&m->phys, m->levels, m->upgd, mp->va + off, mp->pa + off, pte);
            else
                st = se_pt_set_present(&m->phys, m->levels, m->upgd, mp->va + off, false);
        }
        if (st != SE_OK)
            return se_fail(m, st, "cannot update page tables for 0x%" PRIx64, mp->va + off);
    }
    if (present)
        se_wx_apply(m, mp); /* new leaves carry no marks yet */
    return SE_OK;
}

se_status se_map_internal(se_machine *m, uint64_t va, uint64_t size, uint32_t flags,
                          uint64_t *pa_out)
{
    if (size == 0 || (va | size) & (SE_PAGE - 1))
        return se_fail(m, SE_ERR_INVALID_ARG,
                       "va 0x%" PRIx64 " and size 0x%" PRIx64 " must be non-zero multiples of 4096",
                       va, size);
    if (flags & ~SE_MAP_ALL_FLAGS)
        return se_fail(m, SE_ERR_INVALID_ARG, "unknown map flags 0x%x", flags & ~SE_MAP_ALL_FLAGS);
    uint64_t last = va + size - 1;
    if (last < va || !se_is_canonical(va, se_width(m)) || !se_is_canonical(last, se_width(m)) ||
        (va >> 63) != (last >> 63))
        return se_fail(m, SE_ERR_INVALID_ARG,
                       "range 0x%" PRIx64 "+0x%" PRIx64 " is not canonical for %u-bit addresses",
                       va, size, se_width(m));
    bool kernel_half = (va >> 63) != 0;
    if ((flags & SE_MAP_USER) && kernel_half)
        return se_fail(m, SE_ERR_INVALID_ARG, "user pages must be in the lower half");
    if (!(flags & SE_MAP_USER) && !kernel_half)
        return se_fail(m, SE_ERR_INVALID_ARG, "supervisor pages must be in the upper half");
    /* W^X in the kernel half, as Linux's STRICT_KERNEL_RWX: a kernel that writes code into its
     * data and jumps there takes #PF instead of having the engine translate whatever it wrote
     * (docs/fuzzing.md, engine crashes) */
    if (kernel_half && (flags & SE_MAP_WRITE))
        flags |= SE_MAP_NOEXEC;
    if (se_overlaps(va, size, SE_PHYS_BASE, SE_PHYS_RESERVED_SIZE))
        return se_fail(m, SE_ERR_CONFLICT,
                       "0x%" PRIx64 "+0x%" PRIx64 " overlaps the range reserved for guest-"
                       "physical RAM [0x%llx, 0x%llx)",
                       va, size, SE_PHYS_BASE, SE_PHYS_BASE + SE_PHYS_RESERVED_SIZE);
    for (size_t i = 0; i < m->n_maps; i++)
        if (se_overlaps(va, size, m->maps[i].va, m->maps[i].size))
            return se_fail(m, SE_ERR_CONFLICT,
                           "0x%" PRIx64 "+0x%" PRIx64 " overlaps the mapping at 0x%" PRIx64, va,
                           size, m->maps[i].va);
    if (m->n_maps == m->cap_maps) {
        size_t cap = m->cap_maps ? m->cap_maps * 2 : 16;
        se_mapping *n = realloc(m->maps, cap * sizeof *n);
        if (n == NULL)
            return se_fail(m, SE_ERR_NOMEM, "out of memory for the mapping list");
        m->maps = n;
        m->cap_maps = cap;
    }
    uint64_t pa;
    se_status st = se_phys_alloc(&m->phys, size, SE_PAGE, &pa);
    if (st != SE_OK)
        return se_fail(m, st, "guest RAM exhausted mapping 0x%" PRIx64 " bytes (phys_mem_size %zu)",
                       size, m->cfg.phys_mem_size);
    void *host = se_phys_ptr(&m->phys, pa, size);
    st = se_be_st(m, se_be_map_ptr(&m->be, va, size, host));
    if (st != SE_OK)
        return st;
    se_mapping *mp = &m->maps[m->n_maps];
    *mp = (se_mapping){.va = va, .size = size, .pa = pa, .flags = flags, .present = true};
    st = se_set_ptes(m, mp, true);
    if (st != SE_OK) {
        uc_mem_unmap(m->be.uc, va, size);
        return st;
    }
    m->n_maps++;
    m->map_gen++; /* host addresses cached for translated blocks are re-resolved */
    /* a new leaf may replace a cached "not present": translations must be redone */
    se_be_flush_tlb(&m->be);
    if (pa_out != NULL)
        *pa_out = pa;
    return SE_OK;
}

void *se_host_ptr(se_machine *m, uint64_t va, size_t len)
{
    const se_mapping *mp = se_find_mapping(m, va);
    if (mp == NULL || len > mp->size - (va - mp->va))
        return NULL;
    return se_phys_ptr(&m->phys, mp->pa + (va - mp->va), len);
}

uint8_t *se_host_span(se_machine *m, uint64_t va, size_t len, size_t *got)
{
    const se_mapping *mp = se_mapping_hit(m, va, false); /* the last hit first: code fetches */
    *got = 0;
    if (mp == NULL)
        return NULL;
    uint64_t left = mp->size - (va - mp->va);
    *got = left < len ? (size_t)left : len;
    return se_phys_ptr(&m->phys, mp->pa + (va - mp->va), *got);
}

se_status se_walk(se_machine *m, uint64_t va, se_access acc, uint8_t cpl, uint64_t cr3,
                  uint64_t *pa, se_fault *fault)
{
    se_paging_ctl ctl = se_machine_paging_ctl(m);
    uint64_t dummy, root = (cr3 ? cr3 : m->arch.cr3) & SE_PT_FRAME_MASK;
    /* only the machine's own tables carry its marks; a guest's tables mean what they say */
    ctl.engine_marks = root == m->kpgd || root == m->upgd;
    memset(fault, 0, sizeof *fault);
    se_pt_walk(&m->phys, &ctl, cr3 ? cr3 : m->arch.cr3, va, acc, cpl, pa ? pa : &dummy, fault);
    return SE_OK;
}

bool se_pa_to_va(se_machine *m, uint64_t pa, uint64_t *va)
{
    const se_mapping *mp = se_mapping_hit(m, pa, true);
    if (mp != NULL)
        *va = mp->va + (pa - mp->pa);
    return mp != NULL;
}

/* Give the leaf of va's page in the machine's tables XD for the engine only (or take it
 * away): the engine then raises #PF on any fetch there before translating a byte of it. */
bool se_engine_guard_page(se_machine *m, uint64_t va, bool on)
{
    if (on && (!m->be.engine_nx || !(m->arch.efer & SE_EFER_NXE)))
        return false; /* XD would be a reserved bit to the engine: every access would fault */
    bool done = false;
    uint64_t roots[2] = {m->kpgd, m->upgd};
    for (int i = 0; i < (m->cfg.pti ? 2 : 1); i++)
        done = se_pt_engine_xd(&m->phys, m->levels, roots[i], va, on) == SE_OK || done;
    return done;
}

/* ---- public API ------------------------------------------------------------------------ */

se_status se_mem_map(se_machine *m, uint64_t va, uint64_t size, uint32_t flags)
{
    if (m == NULL)
        return SE_ERR_INVALID_ARG;
    m->err[0] = '\0';
    /* new page-table entries under a running walk; and a snapshot restore cannot undo them */
    if (se_refuse_in_callback(m, "se_mem_map") != SE_OK)
        return SE_ERR_STATE;
    /* pages se_mem_unmap() made not present come back, with their RAM and bytes, when the
     * same range is mapped again with the flags it had; a page still present is a conflict */
    bool all_known = size != 0 && ((va | size) & (SE_PAGE - 1)) == 0 && va + size > va;
    uint32_t want = flags | (((va >> 63) && (flags & SE_MAP_WRITE)) ? SE_MAP_NOEXEC : 0);
    for (uint64_t off = 0; all_known && off < size; off += SE_PAGE) {
        const se_mapping *mp = se_find_mapping(m, va + off);
        se_fault f;
        se_walk(m, va + off, SE_ACCESS_READ, 0, m->kpgd, NULL, &f);
        all_known = mp != NULL && mp->flags == want && f.kind != SE_FAULT_NONE &&
                    f.vector == SE_VEC_PF && !(f.error_code & SE_PF_P);
    }
    if (!all_known)
        return se_map_internal(m, va, size, flags, NULL);
    for (uint64_t off = 0; off < size; off += SE_PAGE) {
        const se_mapping *mp = se_find_mapping(m, va + off);
        se_mapping page = *mp;
        page.va = va + off;
        page.pa = mp->pa + (va + off - mp->va);
        page.size = SE_PAGE;
        se_status st = se_set_ptes(m, &page, true);
        if (st != SE_OK)
            return st;
    }
    m->map_gen++;
    se_be_note_tables_changed(&m->be);
    se_be_flush_tlb(&m->be);
    return SE_OK;
}

se_status se_mem_unmap(se_machine *m, uint64_t va, uint64_t size)
{
    if (m == NULL)
        return SE_ERR_INVALID_ARG;
    m->err[0] = '\0';
    /* the running entry code needs its stacks and pt_regs, and a restore does not remap */
    if (se_refuse_in_callback(m, "se_mem_unmap") != SE_OK)
        return SE_ERR_STATE;
    if (size == 0 || (va | size) & (SE_PAGE - 1) || va + size < va)
        return se_fail(m, SE_ERR_INVALID_ARG, "va and size must be non-zero multiples of 4096");
    for (uint64_t off = 0; off < size; off += SE_PAGE)
        if (se_find_mapping(m, va + off) == NULL)
            return se_fail(m, SE_ERR_NOT_MAPPED, "0x%" PRIx64 " is not mapped", va + off);
    for (uint64_t off = 0; off < size; off += SE_PAGE) {
        const se_mapping *mp = se_find_mapping(m, va + off);
        se_mapping page = *mp;
        page.va = va + off;
        page.pa = mp->pa + (va + off - mp->va);
        page.size = SE_PAGE;
        se_status st = se_set_ptes(m, &page, false);
        if (st != SE_OK)
            return st;
    }
    m->map_gen++;
    se_be_note_tables_changed(&m->be);
    se_be_flush_tlb(&m->be);
    return SE_OK;
}

se_status se_mem_read(se_machine *m, uint64_t va, void *buf, size_t len)
{
    if (m == NULL || (buf == NULL && len > 0))
        return SE_ERR_INVALID_ARG;
    m->err[0] = '\0';
    uint8_t *out = buf;
    while (len > 0) {
        const se_mapping *mp = se_find_mapping(m, va);
        if (mp == NULL)
            return se_fail(m, SE_ERR_NOT_MAPPED, "0x%" PRIx64 " is not mapped", va);
        uint64_t chunk = mp->size - (va - mp->va);
        if (chunk > len)
            chunk = len;
        memcpy(out, se_phys_ptr(&m->phys, mp->pa + (va - mp->va), chunk), chunk);
        out += chunk;
        va += chunk;
        len -= chunk;
    }
    return SE_OK;
}

se_status se_mem_write(se_machine *m, uint64_t va, const void *buf, size_t len)
{
    if (m == NULL || (buf == NULL && len > 0))
        return SE_ERR_INVALID_ARG;
    m->err[0] = '\0';
    /* A handler writes guest data as the kernel would (copy_to_user). A trace callback runs
     * inside an instruction: a write there could rewrite the block being executed. */
    if (m->in_trace)
        return se_fail(m, SE_ERR_STATE, "se_mem_write cannot be called from a trace callback");
    const uint8_t *in = buf;
    uint64_t start = va;
    size_t total = len;
    /* bytes in pages that carry XD in the engine cannot be fetched in any mode, so cannot
     * become an instruction the engine translates: no hazard scan for them (the kernel stack
     * that the system-call hook writes pt_regs to on every call is such a page) */
    bool exec = false;
    while (len > 0) {
        const se_mapping *mp = se_find_mapping(m, va);
        if (mp == NULL)
            return se_fail(m, SE_ERR_NOT_MAPPED, "0x%" PRIx64 " is not mapped", va);
        exec = exec || !((mp->flags & SE_MAP_NOEXEC) && m->be.engine_nx);
        uint64_t chunk = mp->size - (va - mp->va);
        if (chunk > len)
            chunk = len;
        /* straight into guest RAM: a translated block of these bytes is found stale by the
         * block hook before it runs again (account.c), whatever the engine does on writes */
        memcpy(se_phys_ptr(&m->phys, mp->pa + (va - mp->va), chunk), in, chunk);
        se_track_mark(m, va, chunk); /* a snapshot restore must undo it (track.c) */
        in += chunk;
        va += chunk;
        len -= chunk;
    }
    /* bytes the engine would abort on if it translated them become exits (hazard.c) */
    return exec ? se_be_st(m, se_be_hazards_update(&m->be, start, total)) : SE_OK;
}

se_status se_translate(se_machine *m, uint64_t va, se_access access, uint8_t cpl, uint64_t cr3,
                       uint64_t *pa, se_fault *fault)
{
    if (m == NULL || pa == NULL || fault == NULL)
        return SE_ERR_INVALID_ARG;
    m->err[0] = '\0';
    if ((unsigned)access > SE_ACCESS_MAX_VALUE)
        return se_fail(m, SE_ERR_INVALID_ARG, "access %d out of range", (int)access);
    if (cpl != 0 && cpl != 3)
        return se_fail(m, SE_ERR_INVALID_ARG, "cpl must be 0 or 3");
    *pa = 0;
    return se_walk(m, va, access, cpl, cr3, pa, fault);
}
