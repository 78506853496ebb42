/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The cycle model inside the machine: every translated block is decoded once, its
 * instructions priced from the CPU profile and attributed to the phase their address falls
 * in (phase labels of the entry code); the block hook then only adds precomputed sums. Costs
 * that depend on run-time values — a MOV to CR3 with or without the no-flush bit (CR3-5), a
 * WRMSR to SPEC_CTRL or to another MSR — are charged by the instruction's hook when it runs.
 */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "machine/machine_int.h"

static void se_account_costs_from_profile(se_machine *m)
{
    for (int c = 0; c < SE_COST_CLASS_COUNT; c++) {
        double v = m->profile.cycles[c];
        m->cost[c] = !(v > 0) ? 0 : v > 1e9 ? 1000000000u : (uint32_t)lround(v);
    }
}

se_status se_account_init(se_machine *m)
{
    se_status st = se_cost_profile_builtin("skylake", &m->profile);
    if (st != SE_OK)
        return se_fail(m, st, "the built-in cost profile is missing");
    se_account_costs_from_profile(m);
    return SE_OK;
}

void se_account_free(se_machine *m)
{
    free(m->code_bytes);
    m->code_bytes = NULL;
    m->n_code_bytes = m->cap_code_bytes = 0;
    free(m->block_info);
    free(m->marks);
    m->block_info = NULL;
    m->marks = NULL;
    m->n_block_info = m->cap_block_info = m->n_marks = 0;
}

static int se_mark_cmp(const void *a, const void *b)
{
    const se_phase_mark *x = a, *y = b;
    if (x->addr != y->addr)
        return x->addr < y->addr ? -1 : 1;
    /* duplicate labels may share an address: a total order keeps qsort's result, and so the
     * phase found there, the same on every libc */
    return x->phase < y->phase ? -1 : x->phase > y->phase;
}

se_status se_account_set_marks(se_machine *m, const se_phase_mark *marks, size_t n,
                               uint64_t text_lo, uint64_t text_hi)
{
    se_phase_mark *copy = n ? malloc(n * sizeof *copy) : NULL;
    if (n && copy == NULL)
        return se_fail(m, SE_ERR_NOMEM, "out of memory for phase labels");
    if (n) {
        memcpy(copy, marks, n * sizeof *copy);
        qsort(copy, n, sizeof *copy, se_mark_cmp);
    }
    free(m->marks);
    m->marks = copy;
    m->n_marks = n;
    m->text_lo = text_lo;
    m->text_hi = text_hi;
    m->price_gen++; /* cached phases depend on the marks */
    return SE_OK;
}

se_phase se_phase_of(const se_machine *m, uint64_t addr)
{
    if ((addr >> 63) == 0)
        return SE_PHASE_USER;
    if (addr < m->text_lo || addr >= m->text_hi || m->n_marks == 0 || addr < m->marks[0].addr)
        return SE_PHASE_OTHER;
    size_t lo = 0, hi = m->n_marks; /* greatest mark <= addr */
    while (hi - lo > 1) {
        size_t mid = (lo + hi) / 2;
        if (m->marks[mid].addr <= addr)
            lo = mid;
        else
            hi = mid;
    }
    return m->marks[lo].phase;
}

/* Price one decoded instruction into out (the phase of its address, its class's cycles). */
static void se_account_add(se_machine *m, const se_insn *in, se_block_info *out, int *first_phase)
{
    se_phase ph = se_phase_of(m, in->addr);
    uint32_t c = in->cost < SE_COST_CLASS_COUNT ? m->cost[in->cost] : 0;
    out->n_insns++;
    out->cycles += c;
    out->phase_cycles[ph] += c;
    *first_phase = *first_phase == -2 ? (int)ph : *first_phase == (int)ph ? *first_phase : -1;
}

static void se_account_reset(se_block_info *out)
{
    out->n_insns = 0;
    out->cycles = 0;
    memset(out->phase_cycles, 0, sizeof out->phase_cycles);
    out->single_phase = -1;
}

se_status se_decode_for_run(const uint8_t *buf, size_t len, uint64_t addr, bool truncated,
                            se_insn *out)
{
    se_status st = se_decode_exec(buf, len, addr, truncated, out);
    if (st == SE_OK && out->kind != SE_INSN_INVALID && se_be_engine_misdecodes(buf, len))
        out->kind = SE_INSN_MISDECODED; /* stopped before it runs (hooks.c) */
    return st;
}

/* Whether a walk over a block's instructions stops after `in` at offset `off`: the CPU raises
 * its exception at an invalid or refused instruction, so nothing after it runs; one reaching
 * past the block's end is the last the engine translated (it ended the block there, e.g. on an
 * encoding it rejects itself). */
static bool se_walk_ends(const se_insn *in, uint64_t off, uint64_t size)
{
    return in->kind == SE_INSN_INVALID || in->kind == SE_INSN_MISDECODED || off + in->len >= size;
}

void se_account_range(se_machine *m, uint64_t start, uint64_t end, se_block_info *out)
{
    memset(out, 0, sizeof *out);
    se_account_reset(out);
    int first_phase = -2;
    uint8_t buf[15];
    /* the same walk as the block scan (se_block_scan), so that taking back the rest of a
     * block removes exactly what was counted for it */
    for (uint64_t a = start; a < end;) {
        size_t got = se_code_fetch(m, a, buf, sizeof buf);
        se_insn in;
        if (got == 0 || se_decode_for_run(buf, got, a, got < sizeof buf, &in) != SE_OK) {
            out->n_insns++;
            break;
        }
        se_account_add(m, &in, out, &first_phase);
        if (se_walk_ends(&in, a - start, end - start))
            break;
        a += in.len;
    }
    out->single_phase = (int8_t)(first_phase >= 0 ? first_phase : -1);
}

/* ---- translated blocks ------------------------------------------------------------------ */

/* splitmix64's finaliser: block keys and hook signatures */
static uint64_t se_mix(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    x ^= x >> 31;
    return x;
}

static uint64_t se_block_key(uint64_t start, uint32_t size)
{
    uint64_t k = se_mix(start ^ se_mix(0x9e3779b97f4a7c15ull + size));
    return k == UINT64_MAX ? k - 1 : k; /* the map's empty marker */
}

/* Copy up to len bytes of code at va: through the machine's mappings, else (the backend's own
 * pages) through the engine. Returns how many could be read before the first unreadable one. */
size_t se_code_fetch(se_machine *m, uint64_t va, uint8_t *buf, size_t len)
{
    size_t done = 0;
    while (done < len) {
        size_t got;
        uint8_t *p = se_host_span(m, va + done, len - done, &got);
        if (p != NULL) {
            memcpy(buf + done, p, got);
            done += got;
            continue;
        }
        size_t chunk = 0x1000 - (size_t)((va + done) & 0xFFF);
        if (chunk > len - done)
            chunk = len - done;
        if (uc_mem_read(m->be.uc, va + done, buf + done, chunk) != UC_ERR_OK)
            break;
        done += chunk;
    }
    return done;
}

/* Where the block's bytes are in guest RAM now (two pieces when it crosses mappings). */
static void se_block_resolve(se_machine *m, se_block_info *bi)
{
    size_t got0 = 0, got1 = 0;
    bi->map_gen = m->map_gen;
    bi->host[1] = NULL;
    bi->host[0] = se_host_span(m, bi->start, bi->size, &got0);
    bi->host_len0 = (uint32_t)got0;
    if (bi->host[0] != NULL && got0 < bi->size) {
        bi->host[1] = se_host_span(m, bi->start + got0, bi->size - got0, &got1);
        if (bi->host[1] == NULL || got0 + got1 < bi->size)
            bi->host[0] = bi->host[1] = NULL; /* compare through the engine */
    }
}

/* Whether guest memory still holds the bytes the block was translated from. */
static bool se_block_current(se_machine *m, se_block_info *bi)
{
    const uint8_t *b = m->code_bytes + bi->bytes_off;
    if (bi->map_gen != m->map_gen)
        se_block_resolve(m, bi);
    if (bi->host[0] != NULL) {
        if (memcmp(bi->host[0], b, bi->host_len0) != 0)
            return false;
        return bi->host_len0 == bi->size ||
               memcmp(bi->host[1], b + bi->host_len0, bi->size - bi->host_len0) == 0;
    }
    uint8_t chunk[256];
    for (uint32_t off = 0; off < bi->size; off += sizeof chunk) {
        size_t n = bi->size - off < sizeof chunk ? bi->size - off : sizeof chunk;
        if (se_code_fetch(m, bi->start + off, chunk, n) != n || memcmp(chunk, b + off, n) != 0)
            return false;
    }
    return true;
}

/* A block's record in m->code_bytes: its bytes and a 15-byte tail (the tail only decides the
 * last instruction), padding to 2, then one uint16_t offset per possible instruction start. */
static size_t se_block_arena_size(uint32_t size)
{
    return (size_t)size + 15 + 1 + 2 * (size_t)size;
}

static uint16_t *se_block_offsets(const se_machine *m, const se_block_info *bi)
{
    size_t at = (bi->bytes_off + bi->size + 1) & ~(size_t)1;
    return (uint16_t *)(void *)(m->code_bytes + at);
}

/* The code hooks at the block's instruction starts, as one number (plus the trace hook, which
 * covers every address): a block translated under another set must be translated again. */
static uint64_t se_block_hook_sig(const se_machine *m, const se_block_info *bi)
{
    uint64_t sig = m->trace_hooked ? 0x5bd1e9955bd1e995ull : 0;
    /* whether its loads and stores call write hooks was decided when it was translated (wx.c) */
    if (m->stores_hooked)
        sig ^= 0xc2b2ae3d27d4eb4full;
    const uint16_t *offs = se_block_offsets(m, bi);
    for (uint32_t i = 0; i < bi->n_insns; i++) {
        uint64_t a = bi->start + offs[i], n;
        if (se_hashmap_get(&m->hook_addrs, a, &n) && n > 0)
            sig ^= se_mix(a);
    }
    return sig;
}

static bool se_code_reserve(se_machine *m, size_t need)
{
    if (m->n_code_bytes + need <= m->cap_code_bytes)
        return true;
    size_t cap = m->cap_code_bytes ? m->cap_code_bytes : 1 << 16;
    while (cap < m->n_code_bytes + need)
        cap *= 2;
    uint8_t *n = realloc(m->code_bytes, cap);
    if (n == NULL)
        return false;
    m->code_bytes = n;
    m->cap_code_bytes = cap;
    return true;
}

/*
 * Read the block's bytes now in memory into its record, decode them, price them, and make
 * every instruction that must be hooked hooked (*added: an engine hook was added, so the
 * translation in hand lacks it).
 */
static bool se_block_alloc(se_machine *m, se_block_info *bi)
{
    size_t need = se_block_arena_size(bi->size);
    if (!se_code_reserve(m, need)) {
        m->run.error = se_fail(m, SE_ERR_NOMEM, "out of memory for the block cache");
        return false;
    }
    bi->bytes_off = (uint32_t)m->n_code_bytes;
    m->n_code_bytes += need;
    return true;
}

static se_block_verdict se_block_scan(se_machine *m, se_block_info *bi, bool *added)
{
    *added = false;
    size_t want = (size_t)bi->size + 15;
    uint8_t *bytes = m->code_bytes + bi->bytes_off;
    size_t got = se_code_fetch(m, bi->start, bytes, want);
    if (got < bi->size) {
        m->run.error =
            se_fail(m, SE_ERR_BACKEND,
                    "the engine translated code at 0x%" PRIx64 " that the machine cannot read",
                    bi->start + got);
        return SE_BLOCK_ERROR;
    }
    se_block_resolve(m, bi);
    uint16_t *offs = se_block_offsets(m, bi);
    se_account_reset(bi);
    bi->price_gen = m->price_gen;
    int first_phase = -2;
    for (uint32_t off = 0; off < bi->size;) {
        size_t avail = got - off < 15 ? got - off : 15;
        se_insn in;
        if (se_decode_for_run(bytes + off, avail, bi->start + off, got < want, &in) != SE_OK) {
            /* runs into bytes that cannot be read: the fetch faults there, nothing to hook */
            offs[bi->n_insns] = (uint16_t)off;
            bi->n_insns++;
            break;
        }
        offs[bi->n_insns] = (uint16_t)off;
        se_account_add(m, &in, bi, &first_phase);
        bool a = false;
        if (se_hooks_ensure(m, &in, bytes + off, avail, &a) != SE_OK) {
            m->run.error = SE_ERR_NOMEM;
            return SE_BLOCK_ERROR;
        }
        *added = *added || a;
        if (se_walk_ends(&in, off, bi->size))
            break;
        off += in.len;
    }
    bi->single_phase = (int8_t)(first_phase >= 0 ? first_phase : -1);
    return SE_BLOCK_RUN;
}

/* Re-price a block after the profile or the phase labels changed (same bytes). */
static void se_block_reprice(se_machine *m, se_block_info *bi)
{
    const uint8_t *bytes = m->code_bytes + bi->bytes_off;
    const uint16_t *offs = se_block_offsets(m, bi);
    uint32_t n = bi->n_insns;
    se_account_reset(bi);
    int first_phase = -2;
    for (uint32_t i = 0; i < n; i++) {
        se_insn in;
        uint32_t off = offs[i];
        size_t avail = bi->size + 15 - off < 15 ? bi->size + 15 - off : 15;
        if (se_decode_for_run(bytes + off, avail, bi->start + off, false, &in) != SE_OK)
            break;
        se_account_add(m, &in, bi, &first_phase);
    }
    bi->n_insns = n;
    bi->single_phase = (int8_t)(first_phase >= 0 ? first_phase : -1);
    bi->price_gen = m->price_gen;
}

/* Drop a block's translation from a hook or between runs; a failure to screen (out of memory)
 * ends the run with its status. */
static void se_account_discard(se_machine *m, uint64_t addr, uint64_t size)
{
    se_status st = se_discard_code(m, addr, size);
    if (st != SE_OK && m->run.error == SE_OK)
        m->run.error = st;
}

se_block_verdict se_account_block(se_machine *m, uint64_t addr, uint32_t size,
                                  const se_block_info **out)
{
    uint64_t key = se_block_key(addr, size);
    uint64_t idx;
    se_block_info *bi;
    bool added = false;
    if (se_hashmap_get(&m->blocks, key, &idx)) {
        bi = &m->block_info[idx];
        if (bi->start != addr || bi->size != size) {
            m->run.error =
                se_fail(m, SE_ERR_BACKEND, "block cache collision at 0x%" PRIx64 " and 0x%" PRIx64,
                        addr, bi->start);
            return SE_BLOCK_ERROR;
        }
        *out = bi;
        if (!se_block_current(m, bi)) {
            /* Rewritten since it was translated (by the host, a snapshot restore or the
             * guest): discard the engine's stale translation. The new bytes are kept, and
             * scanned when a translation of them (of this size) first runs. */
            se_code_fetch(m, bi->start, m->code_bytes + bi->bytes_off, bi->size);
            bi->scanned = false;
            m->code_gen++;
            se_account_discard(m, addr, size);
            return SE_BLOCK_RESTART;
        }
        if (!bi->scanned)
            goto scan; /* translated just now, from the bytes recorded */
        if (bi->hook_epoch != m->hook_epoch) {
            uint64_t sig = se_block_hook_sig(m, bi);
            bi->hook_epoch = m->hook_epoch;
            if (sig != bi->hook_sig) {
                /* a code hook came or went at one of its instructions after it was
                 * translated: the engine decides at translation which instructions call
                 * hooks, so translate it again */
                bi->hook_sig = sig;
                se_account_discard(m, addr, size);
                return SE_BLOCK_RESTART;
            }
        }
        if (bi->price_gen != m->price_gen)
            se_block_reprice(m, bi);
        return SE_BLOCK_RUN;
    }
    if (m->n_block_info == m->cap_block_info) {
        size_t cap = m->cap_block_info ? 2 * m->cap_block_info : 64;
        se_block_info *n = realloc(m->block_info, cap * sizeof *n);
        if (n == NULL) {
            m->run.error = se_fail(m, SE_ERR_NOMEM, "out of memory for the block cache");
            return SE_BLOCK_ERROR;
        }
        m->block_info = n;
        m->cap_block_info = cap;
    }
    bi = &m->block_info[m->n_block_info];
    memset(bi, 0, sizeof *bi);
    bi->start = addr;
    bi->size = size;
    if (!se_block_alloc(m, bi))
        return SE_BLOCK_ERROR;
    if (!se_hashmap_put(&m->blocks, key, m->n_block_info)) {
        m->run.error = se_fail(m, SE_ERR_NOMEM, "out of memory for the block cache");
        return SE_BLOCK_ERROR;
    }
    m->n_block_info++;
    *out = bi;
scan:
    /* First sight of this translation: the engine made it just now (a translation runs at
     * once, and the machine records every block it sees, even one it then stops before), so
     * from the bytes in memory and under the hooks that exist now, before scanning adds any. */
    if (se_block_scan(m, bi, &added) != SE_BLOCK_RUN)
        return SE_BLOCK_ERROR;
    bi->scanned = true;
    bi->hook_sig = se_block_hook_sig(m, bi);
    bi->hook_epoch = m->hook_epoch;
    if (added) {
        /* it holds an instruction the machine must act on and had not hooked yet */
        se_account_discard(m, addr, size);
        return SE_BLOCK_RESTART;
    }
    return SE_BLOCK_RUN;
}

/*
 * Keep the block cache bounded: a fuzzer that varies rip makes a new block per input. Only a
 * block whose translation can be discarded now may be forgotten (the cache's premise is that
 * the machine knows every translation the engine holds), so between runs the user-half blocks
 * the current mode can fetch are discarded in the engine and dropped here; the rest stay.
 */
void se_account_trim(se_machine *m)
{
    size_t max = m->block_cache_max ? m->block_cache_max : SE_BLOCK_CACHE_MAX;
    if (m->n_block_info < max && m->n_code_bytes < SE_CODE_BYTES_MAX)
        return;
    size_t kept = 0, bytes = 0;
    se_hashmap_clear(&m->blocks);
    for (size_t i = 0; i < m->n_block_info; i++) {
        se_block_info *bi = &m->block_info[i];
        se_fault f1, f2;
        bool drop = false;
        if ((bi->start >> 63) == 0) {
            se_walk(m, bi->start, SE_ACCESS_FETCH, m->arch.cpl, 0, NULL, &f1);
            se_walk(m, bi->start + bi->size - 1, SE_ACCESS_FETCH, m->arch.cpl, 0, NULL, &f2);
            drop = f1.kind == SE_FAULT_NONE && f2.kind == SE_FAULT_NONE;
        }
        if (drop) {
            se_account_discard(m, bi->start, bi->size);
            continue;
        }
        /* compact: the block's bytes and offsets move down in the arena */
        size_t need = se_block_arena_size(bi->size);
        memmove(m->code_bytes + bytes, m->code_bytes + bi->bytes_off, need);
        bi->bytes_off = (uint32_t)bytes;
        bytes += need;
        m->block_info[kept] = *bi;
        se_hashmap_put(&m->blocks, se_block_key(bi->start, bi->size), kept);
        kept++;
    }
    m->n_block_info = kept;
    m->n_code_bytes = bytes;
}

void se_account_charge(se_machine *m, uint64_t addr, se_cost_class c)
{
    uint32_t cy = m->cost[c];
    m->run.cycles += cy;
    m->run.phase_cycles[se_phase_of(m, addr)] += cy;
    se_trace_add_dyn_cycles(m, cy);
}

se_status se_set_cost_profile(se_machine *m, const se_cost_profile *p)
{
    if (m == NULL)
        return SE_ERR_INVALID_ARG;
    m->err[0] = '\0';
    if (p == NULL)
        return se_fail(m, SE_ERR_INVALID_ARG, "profile is NULL");
    /* the running blocks were priced with the current profile */
    if (se_refuse_in_callback(m, "se_set_cost_profile") != SE_OK)
        return SE_ERR_STATE;
    for (int c = 0; c < SE_COST_CLASS_COUNT; c++)
        if (!(p->cycles[c] >= 0) || isinf(p->cycles[c]))
            return se_fail(m, SE_ERR_INVALID_ARG, "cost of %s must be a finite number >= 0",
                           se_cost_class_name((se_cost_class)c));
    m->profile = *p;
    se_account_costs_from_profile(m);
    m->price_gen++; /* cached block prices were computed with the old profile */
    return SE_OK;
}
