/*
 * The cycle model inside the machine: every translated block is decoded once, its
 * instructions priced from the CPU profile and attributed to the phase their address falls
 * in (phase labels of the entry code); the block hook then only adds precomputed sums. Costs
 * that depend on run-time values — a MOV to CR3 with or without the no-flush bit (CR3-5), a
 * WRMSR to SPEC_CTRL or to another MSR — are charged by the instruction's hook when it runs.
 */
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
    se_hashmap_clear(&m->blocks); /* cached phases depend on the marks */
    m->n_block_info = 0;
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

void se_account_range(se_machine *m, uint64_t start, uint64_t end, se_block_info *out)
{
    memset(out, 0, sizeof *out);
    out->single_phase = -1;
    int first_phase = -2;
    uint8_t buf[16];
    for (uint64_t a = start; a < end;) {
        size_t want = sizeof buf;
        if (end - a < want)
            want = (size_t)(end - a);
        /* a block may end right at a mapping boundary: read only what is there */
        if (uc_mem_read(m->uc, a, buf, want) != UC_ERR_OK)
            break;
        se_insn in;
        if (se_decode_one(buf, want, a, &in) != SE_OK || in.len == 0)
            break;
        se_phase ph = se_phase_of(m, a);
        uint32_t c = in.cost < SE_COST_CLASS_COUNT ? m->cost[in.cost] : 0;
        out->n_insns++;
        out->cycles += c;
        out->phase_cycles[ph] += c;
        first_phase = first_phase == -2 ? (int)ph : first_phase == (int)ph ? first_phase : -1;
        a += in.len;
    }
    out->single_phase = (int8_t)(first_phase >= 0 ? first_phase : -1);
}

const se_block_info *se_account_block(se_machine *m, uint64_t addr, uint32_t size)
{
    uint64_t key = addr ^ ((uint64_t)size << 52);
    uint64_t idx;
    if (se_hashmap_get(&m->blocks, key, &idx))
        return &m->block_info[idx];
    if (m->n_block_info == m->cap_block_info) {
        size_t cap = m->cap_block_info ? 2 * m->cap_block_info : 64;
        se_block_info *n = realloc(m->block_info, cap * sizeof *n);
        if (n == NULL)
            return NULL;
        m->block_info = n;
        m->cap_block_info = cap;
    }
    se_block_info *bi = &m->block_info[m->n_block_info];
    se_account_range(m, addr, addr + size, bi);
    if (!se_hashmap_put(&m->blocks, key, m->n_block_info))
        return NULL;
    m->n_block_info++;
    return bi;
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
    if (m->in_handler)
        return se_fail(m, SE_ERR_STATE, "the profile cannot change inside a handler");
    for (int c = 0; c < SE_COST_CLASS_COUNT; c++)
        if (!(p->cycles[c] >= 0) || isinf(p->cycles[c]))
            return se_fail(m, SE_ERR_INVALID_ARG, "cost of %s must be a finite number >= 0",
                           se_cost_class_name((se_cost_class)c));
    m->profile = *p;
    se_account_costs_from_profile(m);
    /* cached block prices were computed with the old profile */
    se_hashmap_clear(&m->blocks);
    m->n_block_info = 0;
    return SE_OK;
}
