/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Guest stores without a memory-write hook, wherever the engine can be made to keep W^X.
 *
 * While any memory-write hook exists, Unicorn sends every guest load and store through its
 * out-of-line helper: its TCG back end tests HOOK_EXISTS(UC_HOOK_MEM_WRITE) when it translates
 * an access (tcg/i386/tcg-target.inc.c, 2.0.1 and 2.1.1), not the hook's range. That is more
 * than half of a system call on 2.1.1 (docs/performance.md). The hooks served two ends:
 * - screening the bytes a guest stores for encodings the engine aborts on (backend/hazard.c)
 *   before the engine can translate them; and
 * - snapshot write tracking, now read from the dirty bits the engine's page walk sets
 *   (track.c).
 *
 * A page that is never writable and executable at once, to the engine, needs no screening of
 * stores: the engine cannot fetch what was stored into an NX page, nor store into an
 * executable read-only one. The machine's tables give every writable kernel page XD
 * (memory.c); what is left are user pages mapped writable and executable (the user stack,
 * se_mem_map(SE_MAP_USER | SE_MAP_WRITE)). Each such page is, to the engine only, one of
 * - code (SE_PTE_ENGINE_RO): its bytes are screened, and the first store into it faults in
 *   the engine, which makes it
 * - data (SE_PTE_ENGINE_NX): the first fetch from it faults in the engine, its bytes are
 *   screened, and it is code again.
 * Those faults are the engine's, not the CPU's (the model's walk undoes the marks): the
 * instruction runs again, uncounted, as after the TLB partition's faults (backend.c).
 *
 * The marks need the engine's walk to honour them: XD (an engine with NX, EFER.NXE set),
 * R/W for supervisor stores (CR0.WP set) and the machine's own tables (a guest's CR3 root
 * carries none). Without one of those, or once a page has flipped more than SE_WX_FLIPS times
 * in a run (code that stores into its own page), the write hooks are back until the next run
 * (se_wx_sync): the engine translates every block anew under them (account.c compares
 * m->stores_hooked), since it decided at translation whether accesses call hooks at all.
 */
#include "machine/machine_int.h"

#define SE_PAGE 0x1000ull

/* Flips of one page between code and data in one run before the hooks take over. */
#define SE_WX_FLIPS 8

/* A user mapping the engine could both write and execute without the marks. */
static bool se_wx_mapping(const se_mapping *mp)
{
    return (mp->flags & (SE_MAP_USER | SE_MAP_WRITE)) == (SE_MAP_USER | SE_MAP_WRITE) &&
           !(mp->flags & SE_MAP_NOEXEC);
}

static bool se_wx_own_root(const se_machine *m)
{
    uint64_t root = m->arch.cr3 & SE_PT_FRAME_MASK;
    return root == m->kpgd || (m->cfg.pti && root == m->upgd);
}

/* The W^X state of va's page, or NULL when the marks are off or the page carries none. */
static uint8_t *se_wx_state(se_machine *m, uint64_t va)
{
    if (!m->wx_marked)
        return NULL;
    const se_mapping *mp = se_mapping_hit(m, va, false);
    if (mp == NULL || !se_wx_mapping(mp))
        return NULL;
    return &m->pg_wx[(mp->pa + (va - mp->va) - m->phys.base) >> 12];
}

/* Put the marks of state (0: none) in every table of the machine that maps the page. */
static void se_wx_mark(se_machine *m, uint64_t va, uint8_t state)
{
    /* what the engine can fetch changed: its exits and guards follow (hazard.c), not from
     * inside the engine's exception delivery, where a TLB flush misleads it */
    m->wx_exits_stale = true;
    uint64_t roots[2] = {m->kpgd, m->upgd};
    for (int i = 0; i < (m->cfg.pti ? 2 : 1); i++) {
        se_pt_engine_mark(&m->phys, m->levels, roots[i], va, SE_PTE_ENGINE_RO, state == SE_WX_CODE);
        se_pt_engine_mark(&m->phys, m->levels, roots[i], va, SE_PTE_ENGINE_NX, state == SE_WX_DATA);
    }
}

/* Every page of a writable and executable user mapping into state (0: no marks). */
static void se_wx_set_mapping(se_machine *m, const se_mapping *mp, uint8_t state)
{
    for (uint64_t off = 0; off < mp->size; off += SE_PAGE) {
        m->pg_wx[(mp->pa + off - m->phys.base) >> 12] = state;
        se_wx_mark(m, mp->va + off, state);
    }
}

void se_wx_apply(se_machine *m, const se_mapping *mp)
{
    /* as written, unscreened: the first fetch screens the page (remapped pages may hold
     * bytes a restore put back while they were unmapped) */
    if (m->wx_marked && se_wx_mapping(mp))
        se_wx_set_mapping(m, mp, SE_WX_DATA);
}

/* Marks on every writable and executable user page, or off everywhere. at_stop: called from
 * the engine's exception delivery, where the TLB flush must wait until the engine stopped. */
static void se_wx_set_marked(se_machine *m, bool on, bool at_stop)
{
    for (size_t i = 0; i < m->n_maps; i++)
        if (se_wx_mapping(&m->maps[i]))
            se_wx_set_mapping(m, &m->maps[i], on ? SE_WX_DATA : 0);
    m->wx_marked = on;
    if (at_stop)
        se_be_flush_tlb_at_stop(&m->be);
    else
        se_be_flush_tlb(&m->be);
}

static se_status se_wx_hook(se_machine *m, struct se_be_whook **h, bool want, se_be_write_fn fn,
                            uint64_t lo, uint64_t hi)
{
    if (want == (*h != NULL))
        return SE_OK;
    if (!want) {
        se_be_unhook_writes(&m->be, *h);
        *h = NULL;
        return SE_OK;
    }
    return se_be_st(m, se_be_hook_writes(&m->be, h, fn, m, lo, hi, UINT64_MAX));
}

static se_status se_wx_sync_at(se_machine *m, bool at_stop)
{
    const bool nx = m->be.engine_nx && (m->arch.efer & SE_EFER_NXE);
    const bool wp = (m->arch.cr0 & SE_CR0_WP) != 0;
    const bool own = se_wx_own_root(m);
    const bool marks = nx && wp && own && !m->wx_fallback;
    /* called at every run and restore: nothing to do when none of its inputs changed */
    const unsigned key = 1u | (unsigned)nx << 1 | (unsigned)wp << 2 | (unsigned)own << 3 |
                         (unsigned)m->wx_fallback << 4 | (unsigned)m->cfg.la57 << 5;
    if (key == m->wx_key)
        return SE_OK;
    if (marks != m->wx_marked)
        se_wx_set_marked(m, marks, at_stop);
    const uint64_t user_hi = m->cfg.la57 ? 0x00FFFFFFFFFFFFFFull : 0x00007FFFFFFFFFFFull;
    const uint64_t kernel_lo = m->cfg.la57 ? 0xFF00000000000000ull : 0xFFFF800000000000ull;
    /* the user half: whatever is writable there may be executable without the marks */
    se_status st = se_wx_hook(m, &m->h_user_write, !marks, se_hook_screen_write, 0, user_hi);
    /* the kernel half keeps W^X in the machine's tables; SDM Vol. 3A §4.6.1: with WP = 0
     * supervisor stores ignore R/W (its text becomes writable); without XD its data is
     * executable; a guest's own tables may map anything */
    if (st == SE_OK)
        st = se_wx_hook(m, &m->h_kernel_write, !wp || !nx || !own, se_hook_screen_write, kernel_lo,
                        UINT64_MAX);
    /* dirty bits are read from the machine's tables only (track.c) */
    if (st == SE_OK)
        st = se_wx_hook(m, &m->h_track, !own, se_hook_track_write, 0, UINT64_MAX);
    bool hooked = m->h_user_write != NULL || m->h_kernel_write != NULL || m->h_track != NULL;
    if (hooked != m->stores_hooked) {
        m->stores_hooked = hooked;
        m->hook_epoch++; /* blocks translated under the other regime are made again */
    }
    m->wx_key = st == SE_OK ? key : 0;
    return st;
}

se_status se_wx_sync(se_machine *m)
{
    return se_wx_sync_at(m, false);
}

bool se_wx_engine_fault(se_machine *m, uint64_t cr2)
{
    uint8_t *ps = se_wx_state(m, cr2);
    if (ps == NULL || *ps == 0)
        return false;
    uint64_t va = cr2 & ~(SE_PAGE - 1);
    uint8_t state = *ps;
    /* a fault of another cause on such a page (the TLB partition's, backend.c) is not ours:
     * code faults on a store only, data on a fetch only */
    uint32_t code;
    if (se_be_last_error_code(&m->be, &code) &&
        !(state == SE_WX_CODE ? (code & SE_PF_W) : (code & SE_PF_I)))
        return false;
    m->wx_flips = m->wx_flip_page == va ? m->wx_flips + 1 : 1;
    m->wx_flip_page = va;
    if (state == SE_WX_DATA) {
        /* a fetch: what was stored there is screened before the engine translates it */
        se_status st = se_be_st(m, se_be_hazards_update(&m->be, va, SE_PAGE));
        if (st != SE_OK) {
            m->run.error = st;
            return true;
        }
    }
    if (m->wx_flips > SE_WX_FLIPS) {
        /* code and the data it writes on one page: the hooks screen each store instead */
        m->wx_fallback = true;
        se_status st = se_wx_sync_at(m, true); /* the caller stops the engine */
        if (st != SE_OK)
            m->run.error = st;
        return true;
    }
    state = state == SE_WX_DATA ? SE_WX_CODE : SE_WX_DATA;
    *ps = state;
    se_wx_mark(m, va, state);
    se_be_flush_tlb_at_stop(&m->be); /* the caller stops the engine and runs it again */
    return true;
}

se_status se_discard_code(se_machine *m, uint64_t va, uint64_t len)
{
    /* Unicorn finds the translations to drop through a fetch in the current mode
     * (uc_invalidate_tb -> get_page_addr_code): on a page that is data to the engine that fetch
     * faults, the engine keeps the translations and is left holding the fault. Such a page
     * becomes code first, screened as on a fetch. */
    se_status st = SE_OK;
    bool changed = false;
    for (uint64_t page = va & ~(SE_PAGE - 1); len > 0 && page < va + len; page += SE_PAGE) {
        uint8_t *ps = se_wx_state(m, page);
        if (ps == NULL || *ps != SE_WX_DATA)
            continue;
        if (st == SE_OK)
            st = se_be_st(m, se_be_hazards_update(&m->be, page, SE_PAGE));
        *ps = SE_WX_CODE;
        se_wx_mark(m, page, SE_WX_CODE);
        changed = true;
        if (page + SE_PAGE < page)
            break;
    }
    if (changed)
        se_be_flush_tlb(&m->be);
    se_status dst = se_be_st(m, se_be_discard_code(&m->be, va, len));
    return st != SE_OK ? st : dst;
}

bool se_wx_engine_nx(se_machine *m, uint64_t va)
{
    const uint8_t *ps = se_wx_state(m, va);
    return ps != NULL && *ps == SE_WX_DATA;
}

void se_wx_exits_sync_pending(se_machine *m)
{
    if (!m->wx_exits_stale)
        return;
    m->wx_exits_stale = false;
    se_be_note_tables_changed(&m->be); /* part of the exits' key */
    se_be_exits_sync(&m->be);
}
