/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Page-granular write tracking for large writable mappings (a kernel image's data and bss, its
 * per-CPU area: megabytes, of which one system call writes a few pages).
 *
 * A snapshot copies every tracked page once, when it is taken. A restore copies back only the
 * pages that may differ from the snapshot: those written since the snapshot was taken and not
 * already holding its bytes. Each page carries the write generation of its last write (guest
 * stores through an engine write hook over the range, host writes through se_mem_write) and
 * the identity of the snapshot whose bytes it holds unwritten since a restore (0 if none).
 * With G the machine's generation, a snapshot S taken at G_S, and restore(S) copying page p
 * only if wgen[p] > G_S and src[p] != S:
 * - a page written after S was taken has wgen > G_S and src 0: copied;
 * - a page untouched since S was taken has wgen <= G_S: its bytes are S's, skipped;
 * - a page restored from S and not written since has src == S: skipped;
 * - a page restored from another snapshot T gets wgen = G (> G_S for every older S, and a
 *   newer S's G_S >= that G only if S was taken after that restore, when p held S's bytes).
 * Snapshot identities are never reused, so a destroyed snapshot's id cannot match a new one.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "machine/machine_int.h"

#define SE_PAGE 0x1000ull

static void se_hook_track_write(se_machine *m, uint64_t va, int size, int64_t value)
{
    (void)value;
    if (size > 0)
        se_track_mark(m, va, (uint64_t)size);
}

se_status se_track_add(se_machine *m, uint64_t va, uint64_t pa, uint64_t size)
{
    if (m->n_tracks == SE_TRACK_MAX)
        return se_fail(m, SE_ERR_LIMIT, "too many tracked ranges");
    se_track *t = &m->tracks[m->n_tracks];
    memset(t, 0, sizeof *t);
    t->va = va;
    t->pa = pa;
    t->pages = size / SE_PAGE;
    t->wgen = calloc(t->pages, sizeof *t->wgen);
    t->src = calloc(t->pages, sizeof *t->src);
    if (t->wgen == NULL || t->src == NULL) {
        free(t->wgen);
        free(t->src);
        return se_fail(m, SE_ERR_NOMEM, "out of memory tracking 0x%" PRIx64 " bytes", size);
    }
    for (uint64_t i = 0; i < t->pages; i++)
        t->wgen[i] = m->track_gen;
    se_status st = se_be_hook_writes(m, &t->hook, se_hook_track_write, va, va + size - 1, pa);
    if (st != SE_OK) {
        free(t->wgen);
        free(t->src);
        return st;
    }
    m->n_tracks++;
    return SE_OK;
}

void se_track_mark(se_machine *m, uint64_t va, uint64_t len)
{
    for (size_t i = 0; i < m->n_tracks; i++) {
        se_track *t = &m->tracks[i];
        uint64_t end = t->va + t->pages * SE_PAGE;
        if (va + len <= t->va || va >= end)
            continue;
        uint64_t lo = va < t->va ? t->va : va;
        uint64_t hi = va + len > end ? end : va + len;
        for (uint64_t p = (lo - t->va) / SE_PAGE; p <= (hi - 1 - t->va) / SE_PAGE; p++) {
            t->wgen[p] = m->track_gen;
            t->src[p] = 0;
        }
    }
}

size_t se_track_bytes(const se_machine *m)
{
    size_t n = 0;
    for (size_t i = 0; i < m->n_tracks; i++)
        n += m->tracks[i].pages * SE_PAGE;
    return n;
}

void se_track_save(se_machine *m, uint8_t *dst, uint64_t *gen)
{
    for (size_t i = 0; i < m->n_tracks; i++) {
        const se_track *t = &m->tracks[i];
        size_t n = t->pages * SE_PAGE;
        memcpy(dst, se_phys_ptr(&m->phys, t->pa, n), n);
        dst += n;
    }
    *gen = m->track_gen++;
}

void se_track_restore(se_machine *m, const uint8_t *src, uint64_t gen, uint64_t snap_id)
{
    for (size_t i = 0; i < m->n_tracks; i++) {
        se_track *t = &m->tracks[i];
        uint8_t *host = se_phys_ptr(&m->phys, t->pa, t->pages * SE_PAGE);
        for (uint64_t p = 0; p < t->pages; p++) {
            if (t->wgen[p] > gen && t->src[p] != snap_id) {
                memcpy(host + p * SE_PAGE, src + p * SE_PAGE, SE_PAGE);
                t->src[p] = snap_id;
                t->wgen[p] = m->track_gen;
            }
        }
        src += t->pages * SE_PAGE;
    }
}

bool se_track_covers(const se_machine *m, uint64_t va)
{
    for (size_t i = 0; i < m->n_tracks; i++)
        if (va >= m->tracks[i].va && va - m->tracks[i].va < m->tracks[i].pages * SE_PAGE)
            return true;
    return false;
}

void se_track_free(se_machine *m)
{
    for (size_t i = 0; i < m->n_tracks; i++) {
        free(m->tracks[i].wgen);
        free(m->tracks[i].src);
    }
    m->n_tracks = 0;
}
