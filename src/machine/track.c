/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Page-granular write tracking of every writable mapping, for snapshots: stacks, per-CPU data,
 * user pages, a kernel image's data and bss, and whatever se_mem_map() or the loaders add later.
 * One system call writes a few pages of them; a restore copies back only those.
 *
 * The state is kept per page of guest-physical RAM (pages are never freed or reused, and each
 * backs one mapping), so a mapping needs nothing set up when it is added. Host writes are marked
 * by the code that makes them (se_mem_write, the portable trampolines, the kernel loader).
 * Guest stores are read from the dirty bits the engine's page walk sets in the machine's
 * leaves, not from a write hook (whose mere existence sends every access through the engine's
 * slow path: wx.c). The engine sets D when a store walks the tables, and fills its TLB with a
 * writable entry only for a leaf whose D is set (target/i386/excp_helper.c, "only set write
 * access if already dirty"): so D = 0 in a leaf means no store reached that page since D was
 * cleared, provided the TLB was flushed after clearing it. Flushing costs every translation
 * the TLB holds, so a dirty bit found set is left set and its page "hot": written, as far as
 * the machine can tell, at every later look (se_track_harvest), and copied back by every
 * restore, until so many pages are hot that clearing them all and one flush is cheaper
 * (SE_TRACK_HOT_MAX), or a snapshot is taken. Leaves are created with D clear (memory.c).
 * While a guest's own CR3 root is live, its tables' dirty bits are not the machine's to read:
 * a write hook marks pages then (wx.c).
 *
 * A snapshot copies every page of every writable mapping once, when it is taken. A restore
 * copies back only the pages that may differ from the snapshot: those written since the
 * snapshot was taken and not already holding its bytes. Each page carries the write generation
 * of its last write and the identity of the snapshot whose bytes it holds unwritten since a
 * restore (0 if none). With G the machine's generation, a snapshot S taken at G_S, and
 * restore(S) copying page p only if wgen[p] > G_S and src[p] != S:
 * - a page written after S was taken has wgen > G_S and src 0: copied;
 * - a page untouched since S was taken has wgen <= G_S: its bytes are S's, skipped;
 * - a page restored from S and not written since has src == S: skipped;
 * - a page restored from another snapshot T gets wgen = G (> G_S for every older S, and a
 *   newer S's G_S >= that G only if S was taken after that restore, when p held S's bytes).
 * Snapshot identities are never reused, so a destroyed snapshot's id cannot match a new one.
 *
 * Mappings and a restore: a snapshot restores the pages of the writable mappings that existed
 * when it was taken. Pages mapped later are not its own and are left alone. Pages unmapped
 * since (se_mem_unmap only clears their PTEs; their RAM stays) get the snapshot's bytes back in
 * guest RAM, what se_mem_map() brings back if the range is mapped again; a restore writes host
 * memory only, never through the engine, and changes no page table.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "machine/machine_int.h"

#define SE_PAGE  0x1000ull
#define SE_SHIFT 12

/* Leaves of consecutive pages, consecutive in one table: their dirty bits are read in one
 * tight loop (a kernel image has thousands of writable pages, few of them written). */
struct se_hv_run {
    uint64_t *pte; /* host pointer to the first leaf */
    uint32_t pg;   /* the guest RAM page it maps; the run maps pg, pg + 1, ... */
    uint32_t n;
};

/* Page pg of guest RAM was written now. */
static inline void se_pg_written(se_machine *m, uint64_t pg)
{
    m->pg_wgen[pg] = m->track_gen;
    m->pg_src[pg] = 0;
    m->grp_wgen[pg >> 6] = m->track_gen;
}

/* Mark guest-physical pages [pa, pa + len) written now. */
static inline void se_track_mark_pa(se_machine *m, uint64_t pa, uint64_t len)
{
    uint64_t first = (pa - m->phys.base) >> SE_SHIFT;
    uint64_t last = (pa - m->phys.base + len - 1) >> SE_SHIFT;
    for (uint64_t p = first; p <= last; p++)
        se_pg_written(m, p);
}

void se_track_mark(se_machine *m, uint64_t va, uint64_t len)
{
    while (len > 0) {
        const se_mapping *mp = se_mapping_hit(m, va, false);
        if (mp == NULL)
            return; /* a store that faults: nothing written */
        uint64_t chunk = mp->size - (va - mp->va);
        if (chunk > len)
            chunk = len;
        se_track_mark_pa(m, mp->pa + (va - mp->va), chunk);
        va += chunk;
        len -= chunk;
    }
}

void se_hook_track_write(void *user, uint64_t va, uint64_t pa, int size, int64_t value)
{
    se_machine *m = user;
    (void)value;
    if (size <= 0)
        return;
    /* the engine's physical address, when it gives one and the store stays on its page: no
     * mapping to look up */
    if (pa != UINT64_MAX && (pa & 0xFFF) + (uint64_t)size <= 0x1000) {
        se_track_mark_pa(m, pa, (uint64_t)size);
        return;
    }
    /* the common case: the whole store inside one mapping */
    const se_mapping *mp = se_mapping_hit(m, va, false);
    if (mp != NULL && mp->size - (va - mp->va) >= (uint64_t)size)
        se_track_mark_pa(m, mp->pa + (va - mp->va), (uint64_t)size);
    else
        se_track_mark(m, va, (uint64_t)size);
}

se_status se_track_init(se_machine *m)
{
    size_t pages = (size_t)(m->phys.size >> SE_SHIFT);
    m->pg_wgen = calloc(pages, sizeof *m->pg_wgen);
    m->pg_src = calloc(pages, sizeof *m->pg_src);
    m->pg_hot = calloc(pages, 1);
    m->pg_wx = calloc(pages, 1);
    m->grp_wgen = calloc(pages / 64 + 1, sizeof *m->grp_wgen);
    if (m->pg_wgen == NULL || m->pg_src == NULL || m->pg_hot == NULL || m->pg_wx == NULL ||
        m->grp_wgen == NULL)
        return se_fail(m, SE_ERR_NOMEM, "out of memory tracking %zu pages of guest RAM", pages);
    return SE_OK;
}

static bool se_track_writable(const se_mapping *mp)
{
    return (mp->flags & SE_MAP_WRITE) != 0;
}

/* More hot pages than this and a harvest clears them all, with one TLB flush. */
#define SE_TRACK_HOT_MAX 64

static bool se_hv_add(se_machine *m, uint64_t *pte, uint64_t pg)
{
    if (pte == NULL)
        return true; /* no leaf: nothing can be stored there through the machine's tables */
    if (m->n_hv > 0) {
        struct se_hv_run *r = &m->hv[m->n_hv - 1];
        /* at most 64 per run: a run with a dirty leaf is scanned leaf by leaf */
        if (r->n < 64 && r->pte + r->n == pte && r->pg + r->n == pg) {
            r->n++;
            return true;
        }
    }
    if (m->n_hv == m->cap_hv) {
        size_t cap = m->cap_hv ? 2 * m->cap_hv : 16;
        struct se_hv_run *n = realloc(m->hv, cap * sizeof *n);
        if (n == NULL)
            return false;
        m->hv = n;
        m->cap_hv = cap;
    }
    m->hv[m->n_hv++] = (struct se_hv_run){.pte = pte, .pg = (uint32_t)pg, .n = 1};
    return true;
}

/* The leaves of every page of every writable mapping, in each of the machine's tables. */
static se_status se_hv_build(se_machine *m)
{
    m->n_hv = 0;
    m->hv_map_gen = 0;
    uint64_t roots[2] = {m->kpgd, m->upgd};
    for (size_t i = 0; i < m->n_maps; i++) {
        const se_mapping *mp = &m->maps[i];
        if (!se_track_writable(mp))
            continue;
        for (uint64_t off = 0; off < mp->size; off += SE_PAGE) {
            uint64_t pg = (mp->pa + off - m->phys.base) >> SE_SHIFT;
            for (int r = 0; r < (m->cfg.pti ? 2 : 1); r++)
                if (!se_hv_add(m, se_pt_leaf_ptr(&m->phys, m->levels, roots[r], mp->va + off), pg))
                    return se_fail(m, SE_ERR_NOMEM, "out of memory tracking dirty pages");
        }
    }
    m->hv_map_gen = m->map_gen + 1;
    return SE_OK;
}

/* Clear the dirty bits of the hot pages; the caller flushes the TLB before the engine runs. */
static void se_track_cool(se_machine *m)
{
    if (m->n_hot == 0)
        return;
    /* a page mapped in both roots has two runs: its hot mark goes after the last of them */
    for (size_t i = 0; i < m->n_hv; i++) {
        const struct se_hv_run *r = &m->hv[i];
        for (uint32_t k = 0; k < r->n; k++)
            if (m->pg_hot[r->pg + k])
                r->pte[k] &= ~SE_PTE_D;
    }
    for (size_t i = 0; i < m->n_hv; i++)
        memset(m->pg_hot + m->hv[i].pg, 0, m->hv[i].n);
    m->n_hot = 0;
}

se_status se_track_harvest(se_machine *m)
{
    if (m->hv_map_gen != m->map_gen + 1) {
        se_status st = se_hv_build(m);
        if (st != SE_OK)
            return st;
    }
    for (size_t i = 0; i < m->n_hv; i++) {
        const struct se_hv_run *r = &m->hv[i];
        uint32_t k = 0;
        if (r->n > 8) {
            /* a long run: one pass to see whether any leaf is dirty (the common case for most
             * of a kernel image's data is none), four lanes without a dependency chain */
            uint64_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
            for (; k + 4 <= r->n; k += 4) {
                a0 |= r->pte[k];
                a1 |= r->pte[k + 1];
                a2 |= r->pte[k + 2];
                a3 |= r->pte[k + 3];
            }
            for (; k < r->n; k++)
                a0 |= r->pte[k];
            if (!((a0 | a1 | a2 | a3) & SE_PTE_D))
                continue;
        }
        for (k = 0; k < r->n; k++) {
            if (!(r->pte[k] & SE_PTE_D))
                continue;
            uint32_t pg = r->pg + k;
            se_pg_written(m, pg);
            if (!m->pg_hot[pg]) {
                m->pg_hot[pg] = 1;
                m->n_hot++;
            }
        }
    }
    if (m->n_hot > SE_TRACK_HOT_MAX) {
        se_track_cool(m);
        se_be_flush_tlb(&m->be);
    }
    return SE_OK;
}

size_t se_track_regions(const se_machine *m, uint64_t *bytes)
{
    size_t n = 0;
    *bytes = 0;
    for (size_t i = 0; i < m->n_maps; i++)
        if (se_track_writable(&m->maps[i])) {
            *bytes += m->maps[i].size;
            n++;
        }
    return n;
}

void se_track_save(se_machine *m, se_track_region *regions, uint8_t *dst, uint64_t *gen)
{
    size_t n = 0;
    for (size_t i = 0; i < m->n_maps; i++) {
        const se_mapping *mp = &m->maps[i];
        if (!se_track_writable(mp))
            continue;
        regions[n++] = (se_track_region){
            .va = mp->va, .pa = mp->pa, .size = mp->size, .user = (mp->flags & SE_MAP_USER) != 0};
        memcpy(dst, se_phys_ptr(&m->phys, mp->pa, mp->size), mp->size);
        dst += mp->size;
    }
    *gen = m->track_gen++;
    /* from here on, D means written since this snapshot: restores of it copy only that */
    if (m->n_hot > 0) {
        se_track_cool(m);
        se_be_flush_tlb(&m->be);
    }
}

se_status se_track_restore(se_machine *m, const se_track_region *regions, size_t n,
                           const uint8_t *src, uint64_t gen, uint64_t snap_id)
{
    se_status st = SE_OK;
    for (size_t i = 0; i < n; i++) {
        const se_track_region *r = &regions[i];
        uint64_t first = (r->pa - m->phys.base) >> SE_SHIFT;
        uint64_t pages = r->size >> SE_SHIFT;
        uint8_t *host = se_phys_ptr(&m->phys, r->pa, r->size);
        for (uint64_t p = 0; p < pages; p++) {
            uint64_t pg = first + p;
            if (m->grp_wgen[pg >> 6] <= gen) {
                p += 63 - (pg & 63); /* none of its group of 64 was written since */
                continue;
            }
            if (m->pg_wgen[pg] <= gen || m->pg_src[pg] == snap_id)
                continue;
            uint8_t *dst = host + p * SE_PAGE;
            const uint8_t *from = src + p * SE_PAGE;
            if (!r->user) {
                memcpy(dst, from, SE_PAGE); /* stacks, per-CPU and kernel data: no code (W^X) */
                m->track_copied++;
            } else if (memcmp(dst, from, SE_PAGE) != 0) {
                /* a user page changed: it may have held code the engine translated from it */
                memcpy(dst, from, SE_PAGE);
                m->track_copied++;
                uint64_t va = r->va + p * SE_PAGE;
                se_status dis = se_discard_code(m, va, SE_PAGE);
                if (st == SE_OK)
                    st = dis;
                /* the bytes come back without a store the screening sees, and may be an
                 * encoding the engine aborts on whose exit went when it was overwritten
                 * (hazard.c): screen them as any host write is screened */
                if (st == SE_OK)
                    st = se_be_st(m, se_be_hazards_update(&m->be, va, SE_PAGE));
            }
            m->pg_src[pg] = snap_id;
            m->pg_wgen[pg] = m->track_gen;
            m->grp_wgen[pg >> 6] = m->track_gen;
        }
        src += r->size;
    }
    return st;
}

void se_track_free(se_machine *m)
{
    free(m->pg_wgen);
    free(m->pg_src);
    free(m->pg_hot);
    free(m->pg_wx);
    free(m->hv);
    free(m->grp_wgen);
    m->pg_wgen = m->pg_src = NULL;
    m->pg_hot = m->pg_wx = NULL;
    m->hv = NULL;
    m->grp_wgen = NULL;
    m->n_hv = m->cap_hv = 0;
}
