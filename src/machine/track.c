/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Page-granular write tracking of every writable mapping, for snapshots: stacks, per-CPU data,
 * user pages, a kernel image's data and bss, and whatever se_mem_map() or the loaders add later.
 * One system call writes a few pages of them; a restore copies back only those.
 *
 * The state is kept per page of guest-physical RAM (pages are never freed or reused, and each
 * backs one mapping), so a mapping needs nothing set up when it is added. Guest stores are seen
 * by ONE engine write hook over all addresses (each store walks the engine's hook list, so one
 * hook rather than one per mapping), which finds the store's mapping; host writes are marked by
 * the code that makes them (se_mem_write, the portable trampolines, the kernel loader).
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

/* Mark guest-physical pages [pa, pa + len) written now. */
static inline void se_track_mark_pa(se_machine *m, uint64_t pa, uint64_t len)
{
    uint64_t first = (pa - m->phys.base) >> SE_SHIFT;
    uint64_t last = (pa - m->phys.base + len - 1) >> SE_SHIFT;
    for (uint64_t p = first; p <= last; p++) {
        m->pg_wgen[p] = m->track_gen;
        m->pg_src[p] = 0;
    }
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

static void se_hook_track_write(void *user, uint64_t va, uint64_t pa, int size, int64_t value)
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
    if (m->pg_wgen == NULL || m->pg_src == NULL)
        return se_fail(m, SE_ERR_NOMEM, "out of memory tracking %zu pages of guest RAM", pages);
    /* every linear address: the hook finds the mapping (2.1+: the backend maps the physical
     * address back first) */
    return se_be_st(m, se_be_hook_writes(&m->be, &m->h_track, se_hook_track_write, m, 0, UINT64_MAX,
                                         UINT64_MAX));
}

static bool se_track_writable(const se_mapping *mp)
{
    return (mp->flags & SE_MAP_WRITE) != 0;
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
                uc_ctl_remove_cache(m->be.uc, va, va + SE_PAGE);
                /* the bytes come back without a store the screening sees, and may be an
                 * encoding the engine aborts on whose exit went when it was overwritten
                 * (hazard.c): screen them as any host write is screened */
                if (st == SE_OK)
                    st = se_be_st(m, se_be_hazards_update(&m->be, va, SE_PAGE));
            }
            m->pg_src[pg] = snap_id;
            m->pg_wgen[pg] = m->track_gen;
        }
        src += r->size;
    }
    return st;
}

void se_track_free(se_machine *m)
{
    free(m->pg_wgen);
    free(m->pg_src);
    m->pg_wgen = m->pg_src = NULL;
}
