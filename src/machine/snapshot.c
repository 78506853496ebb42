/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Snapshots. Unicorn 2.0.1 contexts hold CPU state only (docs/machine.md, engine limitations), so
 * guest memory is copied by the library: only writable mappings, since nothing else can change in a
 * run, and on restore only their pages written since (track.c).
 */
#include <stdlib.h>
#include <string.h>

#include "machine/machine_int.h"

struct se_snapshot {
    uint64_t owner_id; /* se_machine::id, not its address: addresses are reused */
    uc_context *ctx;
    se_cpu_state arch;
    se_tlb tlb;
    int engine_cpl;
    bool engine_smap; /* the engine's TLB partition flag in ctx (backend.c) */
    /* every writable mapping (track.c): its pages, the generation and identity to restore by */
    se_track_region *regions;
    size_t n_regions;
    uint8_t *bytes;
    uint64_t kimage_gen, track_gen, id;
};

void se_snapshot_destroy(se_snapshot *s)
{
    if (s == NULL)
        return;
    if (s->ctx != NULL)
        uc_context_free(s->ctx);
    free(s->regions);
    free(s->bytes);
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
    se_status hst = se_track_harvest(m);
    if (hst != SE_OK)
        return hst;
    se_snapshot *s = calloc(1, sizeof *s);
    uint64_t total = 0;
    size_t n = se_track_regions(m, &total);
    if (s != NULL) {
        s->regions = calloc(n ? n : 1, sizeof *s->regions);
        s->bytes = malloc(total ? (size_t)total : 1);
    }
    if (s == NULL || s->regions == NULL || s->bytes == NULL ||
        uc_context_alloc(m->be.uc, &s->ctx) != UC_ERR_OK) {
        se_snapshot_destroy(s);
        return se_fail(m, SE_ERR_NOMEM, "out of memory for a snapshot");
    }
    if (uc_context_save(m->be.uc, s->ctx) != UC_ERR_OK) {
        se_snapshot_destroy(s);
        return se_fail(m, SE_ERR_BACKEND, "uc_context_save failed");
    }
    s->owner_id = m->id;
    s->arch = m->arch;
    s->tlb = m->tlb;
    s->engine_cpl = m->be.engine_cpl;
    s->engine_smap = m->be.engine_smap;
    s->n_regions = n;
    s->kimage_gen = m->kimage_gen;
    se_track_save(m, s->regions, s->bytes, &s->track_gen);
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
    if (s->kimage_gen != m->kimage_gen)
        return se_fail(m, SE_ERR_STATE,
                       "the snapshot was taken before a kernel image was loaded: take a new one");
    se_status hst = se_track_harvest(m);
    if (hst != SE_OK)
        return hst; /* nothing restored */
    /* only the pages written since (track.c); user pages that change lose their translations */
    se_status tst = se_track_restore(m, s->regions, s->n_regions, s->bytes, s->track_gen, s->id);
    bool cr3_changed = m->arch.cr3 != s->arch.cr3;
    /* the engine's TLB holds permissions computed under the current EFER.NXE */
    bool nxe_changed = ((m->arch.efer ^ s->arch.efer) & SE_EFER_NXE) != 0;
    if (uc_context_restore(m->be.uc, s->ctx) != UC_ERR_OK)
        return se_fail(m, SE_ERR_BACKEND, "uc_context_restore failed");
    m->arch = s->arch;
    m->tlb = s->tlb;
    m->be.engine_cpl = s->engine_cpl;
    m->cr_pending = NULL;
    m->be.fix_selectors = false;
    /* a context restore does not flush the TLB (docs/machine.md, engine limitations): the
     * backend decides whether the restored CR3 needs it */
    se_be_paging_restored(&m->be, s->engine_smap, cr3_changed);
    if (nxe_changed)
        se_be_flush_tlb(&m->be);
    se_be_sync_nxe(&m->be); /* the saved context agrees with s->arch already: a check */
    se_be_exits_sync(&m->be);
    if (tst != SE_OK)
        return tst; /* out of memory for an exit: the state is restored, the message set */
    return se_wx_sync(m);
}
