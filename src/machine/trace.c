/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The instruction trace. While a callback is installed, a code hook over all addresses builds
 * one event per executed instruction: the state before it is taken when it starts, the state
 * after it when the next one starts (or the run ends), so privileged transitions done by the
 * machine's own hooks show up as the deltas of the instruction that caused them. Hooks that
 * act on an instruction call se_trace_begin() first, because Unicorn runs them before the
 * trace hook, which is added later.
 *
 * The callback may stop the trace (se_set_trace(m, NULL, NULL)), as may a syscall handler.
 * Removing the hook then would free the translated block Unicorn is executing; so the callback
 * pointer is cleared at once (no further events) and the hook is removed when the run ends.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "machine/machine_int.h"

/* Everything about one instruction address that does not change from run to run: decoding,
 * both syntaxes, label, phase and note. Formatting twice per executed instruction was most of
 * the trace's cost (docs/performance.md). Valid while the bytes are the same. */
typedef struct se_trace_insn {
    uint8_t bytes[15];
    uint8_t len;
    se_insn in;
    char att[96], intel[96];
    const char *symbol;
    uint64_t symbol_offset;
    const char *note;
    se_phase phase;
} se_trace_insn;

typedef struct se_trace_state {
    se_hashmap cache; /* address -> index into insns */
    se_trace_insn *insns;
    size_t n_insns, cap_insns;
    uint64_t cache_gen; /* m->code_gen the cache was built for */
    bool open;          /* an event is started and waits for its after-state */
    bool begun_by_hook; /* se_trace_begin already started the event at begun_addr */
    bool by_trace_hook; /* the open event was started by the trace hook itself */
    uint64_t begun_addr;
    se_trace_event ev;
    uint64_t index;
    uint64_t total;
} se_trace_state;

static void se_trace_sample(se_machine *m, uint8_t *cpl, uint64_t *cr3, uint64_t *gs, uint64_t *rsp,
                            uint64_t *rflags)
{
    static const int ids[3] = {UC_X86_REG_GS_BASE, UC_X86_REG_RSP, UC_X86_REG_RFLAGS};
    *cpl = m->arch.cpl;
    *cr3 = m->arch.cr3;
    *gs = *rsp = *rflags = 0;
    void *vals[3] = {gs, rsp, rflags};
    uc_reg_read_batch(m->be.uc, (int *)ids, vals, 3); /* every instruction: one API call */
}

static void se_trace_close(se_machine *m)
{
    se_trace_state *t = m->trace;
    if (t == NULL || !t->open)
        return;
    se_trace_event *e = &t->ev;
    se_trace_sample(m, &e->cpl_after, &e->cr3_after, &e->gs_base_after, &e->rsp_after,
                    &e->rflags_after);
    e->changed = (e->cpl_before != e->cpl_after ? SE_TRACE_CPL : 0) |
                 (e->cr3_before != e->cr3_after ? SE_TRACE_CR3 : 0) |
                 (e->gs_base_before != e->gs_base_after ? SE_TRACE_GSBASE : 0) |
                 (e->rsp_before != e->rsp_after ? SE_TRACE_RSP : 0) |
                 (e->rflags_before != e->rflags_after ? SE_TRACE_RFLAGS : 0);
    t->total += e->cycles;
    e->cycles_total = t->total;
    t->open = false;
    if (m->trace_fn == NULL) /* stopped during this run */
        return;
    m->in_trace = true; /* public calls that change the machine refuse (se_refuse_in_callback) */
    m->trace_fn(e, m->trace_ctx);
    m->in_trace = false;
}

/* Nearest label at or before addr, from the entry code's symbols. */
static const char *se_trace_symbol(se_machine *m, uint64_t addr, uint64_t *off)
{
    if (m->kern != NULL) { /* a distribution kernel: its kallsyms */
        const char *k = se_kernel_symbolize(m, addr, off);
        return k != NULL ? k : "";
    }
    const se_symbol *best = NULL;
    for (size_t i = 0; i < m->n_syms; i++) {
        const se_symbol *c = &m->syms[i];
        if (c->addr > addr || (best != NULL && c->addr < best->addr))
            continue;
        /* at one address, a real label (entry_SYSCALL_64) reads better than a phase marker */
        if (best != NULL && c->addr == best->addr && strncmp(c->name, "se_phase_", 9) == 0)
            continue;
        best = c;
    }
    if (best == NULL || addr - best->addr > 0x1000 || (addr >> 63) == 0) {
        *off = 0;
        return "";
    }
    *off = addr - best->addr;
    return best->name;
}

/* The cached description of the instruction at addr (decoded now if new or rewritten). */
static const se_trace_insn *se_trace_describe(se_machine *m, uint64_t addr)
{
    static const se_trace_insn bad = {.att = "(bad)", .intel = "(bad)", .symbol = "", .note = ""};
    se_trace_state *t = m->trace;
    if (t->cache_gen != m->code_gen) { /* code or labels were loaded since */
        se_hashmap_clear(&t->cache);
        t->n_insns = 0;
        t->cache_gen = m->code_gen;
    }
    uint8_t buf[16];
    /* through the machine's host pointers: the engine's uc_mem_read walks its memory regions,
     * which was a fifth of a traced call */
    size_t got = se_code_fetch(m, addr, buf, sizeof buf);
    uint64_t idx;
    if (se_hashmap_get(&t->cache, addr, &idx) && t->insns[idx].len <= got &&
        memcmp(t->insns[idx].bytes, buf, t->insns[idx].len) == 0)
        return &t->insns[idx];
    se_insn in;
    if (got == 0 || se_decode_one(buf, got, addr, &in) != SE_OK)
        return &bad;
    if (t->n_insns == t->cap_insns) {
        size_t cap = t->cap_insns ? 2 * t->cap_insns : 256;
        se_trace_insn *n = realloc(t->insns, cap * sizeof *n);
        if (n == NULL)
            return &bad;
        t->insns = n;
        t->cap_insns = cap;
    }
    se_trace_insn *d = &t->insns[t->n_insns];
    memset(d, 0, sizeof *d);
    d->in = in;
    d->len = in.len;
    memcpy(d->bytes, buf, in.len);
    se_decode_format(buf, got, addr, false, d->att, sizeof d->att);
    se_decode_format(buf, got, addr, true, d->intel, sizeof d->intel);
    d->symbol = se_trace_symbol(m, addr, &d->symbol_offset);
    d->phase = se_phase_of(m, addr);
    d->note = se_note_for(m, addr, &d->in);
    if (!se_hashmap_put(&t->cache, addr, t->n_insns))
        return &bad;
    t->n_insns++;
    return d;
}

static void se_trace_open(se_machine *m, uint64_t addr)
{
    se_trace_state *t = m->trace;
    se_trace_event *e = &t->ev;
    /* the state after the previous instruction is the state before this one: sampled once */
    bool had = t->open;
    se_trace_close(m);
    uint8_t cpl = e->cpl_after;
    uint64_t cr3 = e->cr3_after, gs = e->gs_base_after, rsp = e->rsp_after,
             rflags = e->rflags_after;
    memset(e, 0, sizeof *e);
    e->index = t->index++;
    e->rip = addr;
    const se_trace_insn *d = se_trace_describe(m, addr);
    e->len = d->len;
    memcpy(e->bytes, d->bytes, d->len);
    e->att = d->att;
    e->intel = d->intel;
    e->symbol = d->symbol;
    e->symbol_offset = d->symbol_offset;
    e->phase = d->len ? d->phase : se_phase_of(m, addr);
    e->cycles = d->len && d->in.cost < SE_COST_CLASS_COUNT ? m->cost[d->in.cost] : 0;
    e->note = d->note;
    if (had) {
        e->cpl_before = cpl, e->cr3_before = cr3, e->gs_base_before = gs;
        e->rsp_before = rsp, e->rflags_before = rflags;
    } else {
        se_trace_sample(m, &e->cpl_before, &e->cr3_before, &e->gs_base_before, &e->rsp_before,
                        &e->rflags_before);
    }
    t->open = true;
}

void se_trace_begin(se_machine *m, uint64_t addr)
{
    if (m->trace == NULL || m->trace_fn == NULL || !m->run.active)
        return;
    /* a hook added after the trace hook (found when its block first ran) runs after it: the
     * event of this instruction is already open */
    if (m->trace->open && m->trace->by_trace_hook && m->trace->ev.rip == addr) {
        m->trace->by_trace_hook = false;
        return;
    }
    se_trace_open(m, addr);
    m->trace->by_trace_hook = false;
    m->trace->begun_by_hook = true;
    m->trace->begun_addr = addr;
}

void se_trace_cancel(se_machine *m, uint64_t addr)
{
    se_trace_state *t = m->trace;
    if (t == NULL || !t->open || t->ev.rip != addr)
        return;
    t->open = false;
    t->index--;
    t->begun_by_hook = false;
}

void se_trace_add_dyn_cycles(se_machine *m, uint32_t cycles)
{
    if (m->trace != NULL && m->trace->open)
        m->trace->ev.cycles += cycles;
}

static void se_hook_trace(uc_engine *uc, uint64_t addr, uint32_t size, void *user)
{
    se_machine *m = user;
    (void)uc;
    (void)size;
    if (m->trace_fn == NULL || m->be.tramp_running || se_be_is_trampoline(&m->be, addr) ||
        m->run.stop_requested || m->run.reason != SE_STOP_NONE)
        return;
    se_trace_state *t = m->trace;
    if (t->begun_by_hook && t->begun_addr == addr) {
        t->begun_by_hook = false; /* this instruction's event was opened by its own hook */
        return;
    }
    t->begun_by_hook = false;
    se_trace_open(m, addr);
    t->by_trace_hook = true;
}

se_status se_trace_run_start(se_machine *m)
{
    if (m->trace_fn == NULL)
        return SE_OK;
    if (m->trace == NULL) {
        m->trace = calloc(1, sizeof *m->trace);
        if (m->trace == NULL || !se_hashmap_init(&m->trace->cache, 256)) {
            free(m->trace);
            m->trace = NULL;
            return se_fail(m, SE_ERR_NOMEM, "out of memory for the trace");
        }
        m->trace->cache_gen = m->code_gen;
    }
    m->trace->open = false;
    m->trace->begun_by_hook = false;
    m->trace->index = 0;
    m->trace->total = 0;
    if (!m->trace_hooked) {
        if (uc_hook_add(m->be.uc, &m->h_trace, UC_HOOK_CODE, se_uc_cb((se_uc_fn)se_hook_trace), m,
                        1, 0) != UC_ERR_OK)
            return se_fail(m, SE_ERR_BACKEND, "cannot install the trace hook");
        m->trace_hooked = true;
        /* blocks translated without the hook would skip it: each is translated again the
         * next time it runs (account.c), not the whole translation cache at once */
        m->hook_epoch++;
    }
    return SE_OK;
}

/* Remove the trace hook; only between runs (see the file comment). */
static void se_trace_unhook(se_machine *m)
{
    if (!m->trace_hooked)
        return;
    /* the untraced path must not pay for the hook */
    uc_hook_del(m->be.uc, m->h_trace);
    m->trace_hooked = false;
    m->hook_epoch++; /* blocks are retranslated without it when they next run (account.c) */
}

void se_trace_run_end(se_machine *m)
{
    if (m->trace_fn == NULL) {
        se_trace_unhook(m); /* the trace was stopped during the run; the engine has returned */
        return;
    }
    if (m->trace == NULL)
        return;
    /* an instruction that faulted did not complete: it still gets its event, with the state
     * at the fault as its after-state, and no cycles */
    if (m->trace->open && m->run.fault.kind == SE_FAULT_FAULT &&
        m->trace->ev.rip == m->run.fault.rip)
        m->trace->ev.cycles = 0;
    se_trace_close(m);
}

void se_trace_free(se_machine *m)
{
    if (m->trace != NULL) {
        se_hashmap_free(&m->trace->cache);
        free(m->trace->insns);
    }
    free(m->trace);
    m->trace = NULL;
}

se_status se_set_trace(se_machine *m, se_trace_fn fn, void *ctx)
{
    if (m == NULL)
        return SE_ERR_INVALID_ARG;
    m->err[0] = '\0';
    bool in_callback = m->in_handler || m->in_trace;
    if (in_callback && fn != NULL)
        return se_fail(m, SE_ERR_STATE,
                       "se_set_trace cannot be called from a %s except to stop the trace "
                       "(fn NULL)",
                       m->in_handler ? "syscall handler" : "trace callback");
    m->trace_fn = fn;
    m->trace_ctx = fn ? ctx : NULL;
    if (fn == NULL && !in_callback)
        se_trace_unhook(m); /* inside a callback: se_trace_run_end() does it */
    return SE_OK;
}
