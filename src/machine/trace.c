/*
 * The instruction trace. While a callback is installed, a code hook over all addresses builds
 * one event per executed instruction: the state before it is taken when it starts, the state
 * after it when the next one starts (or the run ends), so privileged transitions done by the
 * machine's own hooks show up as the deltas of the instruction that caused them. Hooks that
 * act on an instruction call se_trace_begin() first, because Unicorn runs them before the
 * trace hook, which is added later.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "machine/machine_int.h"

typedef struct se_trace_state {
    bool open;          /* an event is started and waits for its after-state */
    bool begun_by_hook; /* se_trace_begin already started the event at begun_addr */
    uint64_t begun_addr;
    se_trace_event ev;
    char att[96], intel[96];
    uint64_t index;
    uint64_t total;
} se_trace_state;

static void se_trace_sample(se_machine *m, uint8_t *cpl, uint64_t *cr3, uint64_t *gs, uint64_t *rsp,
                            uint64_t *rflags)
{
    *cpl = m->arch.cpl;
    *cr3 = m->arch.cr3;
    *gs = se_be_get(m, UC_X86_REG_GS_BASE);
    *rsp = se_be_get(m, UC_X86_REG_RSP);
    *rflags = se_be_get(m, UC_X86_REG_RFLAGS);
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
    m->trace_fn(e, m->trace_ctx);
}

/* Nearest label at or before addr, from the entry code's symbols. */
static const char *se_trace_symbol(se_machine *m, uint64_t addr, uint64_t *off)
{
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

static void se_trace_open(se_machine *m, uint64_t addr)
{
    se_trace_state *t = m->trace;
    se_trace_close(m);
    se_trace_event *e = &t->ev;
    memset(e, 0, sizeof *e);
    e->index = t->index++;
    e->rip = addr;
    uint8_t buf[16];
    size_t got = sizeof buf;
    while (got > 0 && uc_mem_read(m->uc, addr, buf, got) != UC_ERR_OK)
        got--;
    se_insn in;
    memset(&in, 0, sizeof in);
    in.cost = SE_COST_OTHER;
    if (got > 0 && se_decode_one(buf, got, addr, &in) == SE_OK) {
        e->len = in.len;
        memcpy(e->bytes, buf, in.len);
        se_decode_format(buf, got, addr, false, t->att, sizeof t->att);
        se_decode_format(buf, got, addr, true, t->intel, sizeof t->intel);
    } else {
        snprintf(t->att, sizeof t->att, "(bad)");
        snprintf(t->intel, sizeof t->intel, "(bad)");
    }
    e->att = t->att;
    e->intel = t->intel;
    e->symbol = se_trace_symbol(m, addr, &e->symbol_offset);
    e->phase = se_phase_of(m, addr);
    e->cycles = in.cost < SE_COST_CLASS_COUNT ? m->cost[in.cost] : 0;
    e->note = se_note_for(m, addr, &in);
    se_trace_sample(m, &e->cpl_before, &e->cr3_before, &e->gs_base_before, &e->rsp_before,
                    &e->rflags_before);
    t->open = true;
}

void se_trace_begin(se_machine *m, uint64_t addr)
{
    if (m->trace == NULL || m->trace_fn == NULL || !m->run.active)
        return;
    se_trace_open(m, addr);
    m->trace->begun_by_hook = true;
    m->trace->begun_addr = addr;
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
    if (m->tramp_running || se_be_is_trampoline(m, addr) || m->run.stop_requested ||
        m->run.reason != SE_STOP_NONE)
        return;
    se_trace_state *t = m->trace;
    if (t->begun_by_hook && t->begun_addr == addr) {
        t->begun_by_hook = false; /* this instruction's event was opened by its own hook */
        return;
    }
    t->begun_by_hook = false;
    se_trace_open(m, addr);
}

se_status se_trace_run_start(se_machine *m)
{
    if (m->trace_fn == NULL)
        return SE_OK;
    if (m->trace == NULL && (m->trace = calloc(1, sizeof *m->trace)) == NULL)
        return se_fail(m, SE_ERR_NOMEM, "out of memory for the trace");
    m->trace->open = false;
    m->trace->begun_by_hook = false;
    m->trace->index = 0;
    m->trace->total = 0;
    if (!m->trace_hooked) {
        if (uc_hook_add(m->uc, &m->h_trace, UC_HOOK_CODE, se_uc_cb((se_uc_fn)se_hook_trace), m, 1,
                        0) != UC_ERR_OK)
            return se_fail(m, SE_ERR_BACKEND, "cannot install the trace hook");
        m->trace_hooked = true;
        se_be_flush_tb(m); /* blocks translated without the hook would skip it */
    }
    return SE_OK;
}

void se_trace_run_end(se_machine *m)
{
    if (m->trace == NULL || m->trace_fn == NULL)
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
    free(m->trace);
    m->trace = NULL;
}

se_status se_set_trace(se_machine *m, se_trace_fn fn, void *ctx)
{
    if (m == NULL)
        return SE_ERR_INVALID_ARG;
    m->err[0] = '\0';
    if (m->in_handler)
        return se_fail(m, SE_ERR_STATE, "the trace cannot change inside a handler");
    m->trace_fn = fn;
    m->trace_ctx = fn ? ctx : NULL;
    if (fn == NULL && m->trace_hooked) {
        /* the untraced path must not pay for the hook */
        uc_hook_del(m->uc, m->h_trace);
        m->trace_hooked = false;
        se_be_flush_tb(m);
    }
    return SE_OK;
}
