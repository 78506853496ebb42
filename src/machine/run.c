/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The run loop: one uc_emu_start per run, stop conditions enforced by hooks. */
#include <inttypes.h>
#include <string.h>

#include "machine/machine_int.h"

static void se_hook_stop_at(uc_engine *uc, uint64_t addr, uint32_t size, void *user)
{
    se_machine *m = user;
    (void)addr;
    (void)size;
    m->run.reason = SE_STOP_ADDRESS;
    /* the instruction was counted with its block, but it does not execute */
    se_uncount_from(m, addr);
    uc_emu_stop(uc);
}

/* The engine stopped at an exit the machine set before an instruction the engine cannot
 * translate (hazard.c). If the bytes there still are such an instruction, the CPU raises its
 * exception there (every one of them is an encoding it rejects); true when that ended the run. */
bool se_hazard_reached(se_machine *m, uint64_t at)
{
    uint8_t buf[15];
    size_t got = se_code_fetch(m, at, buf, sizeof buf);
    se_insn in;
    if (got > 0 && se_be_hazard_at(buf, got)) {
        se_fault f;
        memset(&f, 0, sizeof f);
        f.kind = SE_FAULT_FAULT;
        f.vector = se_decode_exec(buf, got, at, got < sizeof buf, &in) == SE_OK &&
                           in.kind == SE_INSN_INVALID
                       ? in.ud_vector
                       : SE_VEC_UD;
        f.has_error_code = f.vector == SE_VEC_GP;
        f.rip = at;
        f.cpl = m->arch.cpl;
        se_uncount_from(m, at);
        se_machine_record_fault(m, &f);
        m->run.reason = SE_STOP_FAULT;
        return true;
    }
    /* rewritten by the guest since: no longer an exit */
    (void)se_be_st(m, se_be_hazards_update(&m->be, at, 1));
    return false;
}

se_status se_run_engine(se_machine *m, uint64_t begin, const se_run_options *opts)
{
    se_run_state *r = &m->run;
    se_account_trim(m);
    /* the W^X marks, or write hooks, for the state the run starts in (wx.c): a page that
     * flipped too often in the last run gets its marks back */
    m->wx_fallback = false;
    m->wx_flips = 0;
    m->wx_flip_page = 0;
    se_status wst = se_wx_sync(m);
    if (wst != SE_OK)
        return wst;
    r->active = true;
    r->insns = 0;
    r->block_start_insns = 0;
    r->budget = m->cfg.insn_budget;
    if (opts != NULL && opts->max_insns != 0 && opts->max_insns < r->budget)
        r->budget = opts->max_insns;
    r->stop_requested = false;
    r->reason = SE_STOP_NONE;
    memset(&r->fault, 0, sizeof r->fault);
    r->syscalls = 0;
    r->user_returns = 0;
    r->user_returns_limit = opts != NULL ? opts->user_returns : 0;
    r->prev_block = r->cur_block = 0;
    r->cur_block_end = 0;
    r->error = SE_OK;
    r->restart = false;
    r->restart_warn = false;
    r->restart_exc = false;
    r->restart_screen = false;
    r->restart_fetch = false;
    r->reset_exception = false;
    r->ret_regs_valid = false;
    r->n_kwarn = 0;
    r->cycles = 0;
    memset(r->phase_cycles, 0, sizeof r->phase_cycles);
    r->opts = opts;
    se_status tst = se_trace_run_start(m);
    if (tst != SE_OK) {
        r->active = false;
        return tst;
    }

    uc_hook stops[SE_RUN_MAX_STOPS];
    unsigned n_stops = 0;
    if (opts != NULL) {
        for (; n_stops < opts->n_stop_at; n_stops++) {
            uint64_t a = opts->stop_at[n_stops];
            /* blocks translated before the hook existed are retranslated when they run */
            if (se_hook_code_at(m, &stops[n_stops], (se_uc_fn)se_hook_stop_at, m, a) != SE_OK)
                break;
        }
    }
    uc_err e;
    uint64_t last_restart = 0;
    unsigned same_restarts = 0;
    for (;;) {
        r->restart = false;
        se_wx_exits_sync_pending(m);
        e = se_be_emu_start(&m->be, begin);
        if (r->restart_fetch && e == UC_ERR_FETCH_UNMAPPED)
            e = UC_ERR_OK; /* the 2.0.1 hook stopped the engine to run the block again */
        int screened = se_be_screen_take(&m->be);
        if (screened < 0 && r->error == SE_OK)
            r->error = se_be_st(m, SE_ERR_BACKEND);
        if (screened > 0 && e == UC_ERR_FETCH_PROT && r->error == SE_OK &&
            r->reason == SE_STOP_NONE && r->fault.kind == SE_FAULT_NONE) {
            /* the translator was about to reach an encoding the engine aborts on, now an
             * exit (hazard.c): nothing of the block ran; translate it again from its start */
            e = UC_ERR_OK;
            r->restart = true;
            r->restart_screen = true;
            r->restart_at = se_be_get(m, UC_X86_REG_RIP);
        }
        if (se_be_take_flush(&m->be) && e == UC_ERR_OK && !r->restart &&
            r->reason == SE_STOP_NONE && r->error == SE_OK && r->fault.kind == SE_FAULT_NONE) {
            /* stopped for a TLB flush a write hook asked for (backend.c): go on from here */
            r->restart = true;
            r->restart_at = se_be_get(m, UC_X86_REG_RIP);
            /* Unicorn 2.1 stops right after the store, inside its block: the rest of the block
             * runs (and is counted) when the run goes on */
            se_uncount_from(m, r->restart_at);
        }
        if (e == UC_ERR_OK && !r->restart && r->reason == SE_STOP_NONE && r->error == SE_OK &&
            r->fault.kind == SE_FAULT_NONE) {
            /* Nothing of the machine's stopped it: the engine reached one of its exits, before
             * an instruction it cannot translate (hazard.c), or a translation made while one
             * was there (the exit is compiled into it). */
            uint64_t at = se_be_get(m, UC_X86_REG_RIP);
            if (at == m->be.fetch_exit && se_fetch_fault_reached(m, at))
                break;
            if (se_be_is_hazard(&m->be, at) && se_hazard_reached(m, at))
                break;
            /* no longer one: translate it again, without the exit */
            se_status dst = se_discard_code(m, at, 1);
            if (dst != SE_OK && r->error == SE_OK)
                r->error = dst;
            r->restart = true;
            r->restart_at = at;
        }
        if (!r->restart || e != UC_ERR_OK || r->error != SE_OK || r->fault.kind != SE_FAULT_NONE)
            break;
        /* a stale or unhooked translation was discarded before it ran: run it again, now
         * translated from the bytes in memory. The same block twice in a row means the
         * engine kept the stale one; running it would execute bytes that are not there. */
        if (r->restart_fetch) {
            /* counted as any restart: the exit must take, or the run ends */
            if (r->restart_exc)
                se_be_reset_exception(&m->be);
            r->restart_fetch = false;
            r->restart_exc = false;
            same_restarts = r->restart_at == last_restart ? same_restarts + 1 : 0;
            last_restart = r->restart_at;
        } else if (r->restart_screen) {
            /* one more exit each time: not the same stale block again */
            r->restart_screen = false;
            same_restarts = 0;
            last_restart = 0;
        } else if (r->restart_warn || r->restart_exc) {
            /* after a kernel WARN: the engine's #UD state is cleared and the kernel goes on
             * after the UD2, as handle_bug() returns there; after a #PF of the engine's TLB
             * partition, the instruction runs again. Not a retranslation. */
            se_be_reset_exception(&m->be);
            r->restart_warn = false;
            r->restart_exc = false;
            same_restarts = 0;
            last_restart = 0;
        } else {
            same_restarts = r->restart_at == last_restart ? same_restarts + 1 : 0;
            last_restart = r->restart_at;
        }
        if (same_restarts >= 3) {
            r->error = se_fail(m, SE_ERR_BACKEND,
                               "the engine kept a stale translation at 0x%" PRIx64, begin);
            break;
        }
        begin = r->restart_at;
    }
    r->restart = false;
    /* the exit before a fetch fault was this run's (dropping one cannot fail) */
    (void)se_be_set_fetch_exit(&m->be, 0);
    se_trace_run_end(m);
    for (unsigned i = 0; i < n_stops; i++)
        se_unhook_code_at(m, stops[i], opts->stop_at[i]);
    r->active = false;
    r->opts = NULL;
    se_cr_restore_src(m); /* stopped between a MOV to CR0/CR3 and its next instruction */
    if (r->fault.kind != SE_FAULT_NONE) {
        if (r->reason == SE_STOP_NONE || r->reason == SE_STOP_USER_RETURN)
            r->reason = SE_STOP_FAULT;
        /* Unicorn never clears its exception state itself (docs/machine.md, engine limitations) */
        se_be_reset_exception(&m->be);
        return SE_OK;
    }
    if (r->reset_exception)
        se_be_reset_exception(&m->be); /* a guarded page's #PF (hooks.c): cleared as faults are */
    if (r->error != SE_OK)
        return r->error; /* the message is in m->err */
    if (e != UC_ERR_OK)
        return se_fail(m, SE_ERR_BACKEND, "emulation stopped at 0x%" PRIx64 ": %s",
                       se_be_get(m, UC_X86_REG_RIP), uc_strerror(e));
    if (r->reason == SE_STOP_NONE)
        return se_fail(m, SE_ERR_BACKEND, "emulation ended without a stop condition at 0x%" PRIx64,
                       se_be_get(m, UC_X86_REG_RIP));
    return SE_OK;
}

se_status se_run(se_machine *m, const se_run_options *opts, se_run_result *out)
{
    if (m == NULL || out == NULL)
        return m ? se_fail(m, SE_ERR_INVALID_ARG, "out is NULL") : SE_ERR_INVALID_ARG;
    m->err[0] = '\0';
    memset(out, 0, sizeof *out);
    if (se_refuse_in_callback(m, "se_run") != SE_OK)
        return SE_ERR_STATE;
    if (opts != NULL && opts->n_stop_at > SE_RUN_MAX_STOPS)
        return se_fail(m, SE_ERR_INVALID_ARG, "n_stop_at %u exceeds SE_RUN_MAX_STOPS",
                       opts->n_stop_at);
    m->run.in_syscall_path = false;
    se_status st = se_run_engine(m, se_be_get(m, UC_X86_REG_RIP), opts);
    out->reason = m->run.reason;
    out->fault = m->run.fault;
    out->instructions = m->run.insns;
    out->rip = out->reason == SE_STOP_FAULT && m->run.fault.kind == SE_FAULT_FAULT
                   ? m->run.fault.rip
                   : se_be_get(m, UC_X86_REG_RIP);
    out->syscalls = m->run.syscalls;
    out->user_returns = m->run.user_returns;
    out->cycles = m->run.cycles;
    return st;
}
