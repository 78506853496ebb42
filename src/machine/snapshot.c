/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Snapshots. Unicorn 2.0.1 contexts hold CPU state only (docs/machine.md, engine limitations), so
 * guest memory is copied by the library: only writable mappings, since nothing else can change in a
 * run.
 */
#include <stdlib.h>
#include <string.h>

#include "machine/machine_int.h"

typedef struct se_snap_region {
    uint64_t va, pa, size;
    bool user; /* user pages may hold code: translated blocks must not go stale */
} se_snap_region;

struct se_snapshot {
    uint64_t owner_id; /* se_machine::id, not its address: addresses are reused */
    uc_context *ctx;
    se_cpu_state arch;
    se_tlb tlb;
    int engine_cpl;
    bool engine_smap; /* the engine's TLB partition flag in ctx (backend.c) */
    se_snap_region *regions;
    size_t n_regions;
    uint8_t *bytes;
    /* tracked ranges (track.c): all their pages, the generation and identity to restore by */
    uint8_t *tracked;
    size_t n_tracks;
    uint64_t track_gen, id;
};

void se_snapshot_destroy(se_snapshot *s)
{
    if (s == NULL)
        return;
    if (s->ctx != NULL)
        uc_context_free(s->ctx);
    free(s->regions);
    free(s->bytes);
    free(s->tracked);
    free(s);
}

se_status se_snapshot_create(se_machine *m, se_snapshot **out)
{
    if (m == NULL || out == NULL)
        return m ? se_fail(m, SE_ERR_INVALID_ARG, "out is NULL") : SE_ERR_INVALID_ARG;
    m->err[0] = '\0';
    *out = NULL;
    /* mid-instruction state (a trace callback) is not one a run can resume from */
    if (se_refuse_in_callback(m, "se_snapshot_create") != SE_OK)
        return SE_ERR_STATE;
    se_snapshot *s = calloc(1, sizeof *s);
    size_t total = 0, n = 0;
    for (size_t i = 0; i < m->n_maps; i++)
        if ((m->maps[i].flags & SE_MAP_WRITE) && !se_track_covers(m, m->maps[i].va)) {
            total += m->maps[i].size;
            n++;
        }
    if (s != NULL) {
        s->regions = calloc(n ? n : 1, sizeof *s->regions);
        s->bytes = malloc(total ? total : 1);
        s->tracked = malloc(se_track_bytes(m) ? se_track_bytes(m) : 1);
    }
    if (s == NULL || s->regions == NULL || s->bytes == NULL || s->tracked == NULL ||
        uc_context_alloc(m->uc, &s->ctx) != UC_ERR_OK) {
        se_snapshot_destroy(s);
        return se_fail(m, SE_ERR_NOMEM, "out of memory for a snapshot");
    }
    if (uc_context_save(m->uc, s->ctx) != UC_ERR_OK) {
        se_snapshot_destroy(s);
        return se_fail(m, SE_ERR_BACKEND, "uc_context_save failed");
    }
    s->owner_id = m->id;
    s->arch = m->arch;
    s->tlb = m->tlb;
    s->engine_cpl = m->engine_cpl;
    s->engine_smap = se_be_engine_smap(m);
    size_t off = 0;
    for (size_t i = 0; i < m->n_maps; i++) {
        const se_mapping *mp = &m->maps[i];
        if (!(mp->flags & SE_MAP_WRITE) || se_track_covers(m, mp->va))
            continue;
        s->regions[s->n_regions++] = (se_snap_region){
            .va = mp->va, .pa = mp->pa, .size = mp->size, .user = (mp->flags & SE_MAP_USER) != 0};
        memcpy(s->bytes + off, se_phys_ptr(&m->phys, mp->pa, mp->size), mp->size);
        off += mp->size;
    }
    s->n_tracks = m->n_tracks;
    se_track_save(m, s->tracked, &s->track_gen);
    s->id = m->next_snapshot_id++;
    *out = s;
    return SE_OK;
}

se_status se_snapshot_restore(se_machine *m, const se_snapshot *s)
{
    if (m == NULL)
        return SE_ERR_INVALID_ARG;
    m->err[0] = '\0';
    if (s == NULL || s->owner_id != m->id)
        return se_fail(m, SE_ERR_INVALID_ARG,
                       "snapshot is NULL or of another machine (possibly a destroyed one)");
    if (se_refuse_in_callback(m, "se_snapshot_restore") != SE_OK)
        return SE_ERR_STATE;
    if (s->n_tracks != m->n_tracks)
        return se_fail(m, SE_ERR_STATE,
                       "the snapshot was taken before a kernel image was loaded: take a new one");
    se_track_restore(m, s->tracked, s->track_gen, s->id);
    size_t off = 0;
    for (size_t i = 0; i < s->n_regions; i++) {
        const se_snap_region *r = &s->regions[i];
        uint8_t *host = se_phys_ptr(&m->phys, r->pa, r->size);
        if (!r->user) {
            memcpy(host, s->bytes + off, r->size); /* stacks and per-CPU data: no code */
        } else if (memcmp(host, s->bytes + off, r->size) != 0) {
            /* a user page changed: it may have held code the engine translated from it */
            memcpy(host, s->bytes + off, r->size);
            uc_ctl_remove_cache(m->uc, r->va, r->va + r->size);
        }
        off += r->size;
    }
    bool cr3_changed = m->arch.cr3 != s->arch.cr3;
    /* the engine's TLB holds permissions computed under the current EFER.NXE */
    bool nxe_changed = ((m->arch.efer ^ s->arch.efer) & SE_EFER_NXE) != 0;
    if (uc_context_restore(m->uc, s->ctx) != UC_ERR_OK)
        return se_fail(m, SE_ERR_BACKEND, "uc_context_restore failed");
    m->arch = s->arch;
    m->tlb = s->tlb;
    m->engine_cpl = s->engine_cpl;
    m->cr_pending = NULL;
    m->fix_selectors = false;
    /* a context restore does not flush the TLB (docs/machine.md, engine limitations): the
     * backend decides whether the restored CR3 needs it */
    se_be_paging_restored(m, s->engine_smap, cr3_changed);
    if (nxe_changed)
        se_be_flush_tlb(m);
    se_be_sync_nxe(m); /* the saved context agrees with s->arch already: a check */
    se_be_exits_sync(m);
    return se_hooks_sync_wp(m);
}
