/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The cycle model and the trace on the real entry path (issue 5): PTI adds the CR3 costs,
 * the no-flush bit is cheaper than a flushing write, IBRS adds the SPEC_CTRL writes, the IRET
 * path costs more than the SYSRET path; the trace of a getpid shows the steps of the path
 * with their phases and state changes; the same inputs give the same trace.
 */
#include "se_test.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct rec {
    char *text; /* serialised events, for determinism */
    size_t len, cap;
    uint64_t n, cycles;
    int syscall_at, swapgs_entry, cr3_kernel, sysret_at;
    bool gs_changed_at_swapgs, cpl_changed_at_sysret, cr3_changed_at_switch, notes_ok;
} rec;

static void on_event(const se_trace_event *e, void *ctx)
{
    rec *r = ctx;
    char line[512];
    int n =
        snprintf(line, sizeof line,
                 "%" PRIu64 " %" PRIx64 " %s %s %u %u %" PRIx64 " %" PRIx64 " %" PRIx64 " %x %s\n",
                 e->index, e->rip, e->att, se_phase_name(e->phase), e->cycles, e->cpl_after,
                 e->cr3_after, e->gs_base_after, e->rsp_after, e->changed, e->note);
    if (r->len + (size_t)n + 1 > r->cap) {
        r->cap = (r->cap + (size_t)n + 1) * 2;
        r->text = realloc(r->text, r->cap);
        assert_non_null(r->text);
    }
    memcpy(r->text + r->len, line, (size_t)n + 1);
    r->len += (size_t)n;
    r->cycles += e->cycles;
    assert_int_equal(e->cycles_total, r->cycles);
    assert_int_equal(e->index, r->n);
    if (strcmp(e->att, "syscall") == 0 && e->phase == SE_PHASE_USER)
        r->syscall_at = (int)r->n;
    if (strcmp(e->att, "swapgs") == 0 && e->phase == SE_PHASE_ENTRY) {
        r->swapgs_entry = (int)r->n;
        r->gs_changed_at_swapgs = (e->changed & SE_TRACE_GSBASE) != 0;
    }
    if (strncmp(e->att, "mov %rsp, %cr3", 14) == 0 && e->phase == SE_PHASE_CR3_KERNEL) {
        r->cr3_kernel = (int)r->n;
        r->cr3_changed_at_switch = (e->changed & SE_TRACE_CR3) != 0 && e->cycles > 1;
    }
    if (strncmp(e->att, "sysret", 6) == 0) {
        r->sysret_at = (int)r->n;
        r->cpl_changed_at_sysret = e->cpl_before == 0 && e->cpl_after == 3;
    }
    if ((strcmp(e->att, "swapgs") == 0 || strncmp(e->att, "sysret", 6) == 0) && e->note[0] == 0)
        r->notes_ok = false;
    r->n++;
}

static se_outcome run(bool pti, bool pcid, bool ibrs, bool restart, rec *r)
{
    se_config cfg;
    se_config_default(&cfg);
    cfg.pti = pti;
    cfg.pcid = pcid;
    cfg.ibrs = ibrs;
    se_machine *m;
    assert_int_equal(se_machine_create(&cfg, &m), SE_OK);
    if (r != NULL) {
        memset(r, 0, sizeof *r);
        r->syscall_at = r->swapgs_entry = r->cr3_kernel = r->sysret_at = -1;
        r->notes_ok = true;
        assert_int_equal(se_set_trace(m, on_event, r), SE_OK);
    }
    if (restart)
        assert_int_equal(se_set_syscall_handler(m, NULL, NULL), SE_OK);
    se_regs u = {.rax = 39,
                 .rip = 0x401000,
                 .rsp = 0x7fffffffe000,
                 .rflags = 0x246,
                 .cs = SE_USER_CS,
                 .ss = SE_USER_DS};
    se_outcome o;
    if (restart) {
        /* a tracer rewinds the call: ip -= 2 makes check C1 fail */
        u.rip = 0x401000;
    }
    assert_int_equal(se_syscall(m, &u, &o), SE_OK);
    se_machine_destroy(m);
    return o;
}

static se_cost_profile profile(void)
{
    se_cost_profile p;
    assert_int_equal(se_cost_profile_builtin("skylake", &p), SE_OK);
    return p;
}

static void test_pti_adds_cr3_costs(void **s)
{
    (void)s;
    se_cost_profile p = profile();
    se_outcome off = run(false, false, false, false, NULL);
    se_outcome on = run(true, false, false, false, NULL);
    /* two flushing CR3 writes (PCIDE = 0: every write flushes, CR3-5) and their setup */
    assert_true(on.cycles >= off.cycles + 2 * (uint64_t)p.cycles[SE_COST_MOV_CR3_FLUSH]);
    assert_true(on.phase_cycles[SE_PHASE_CR3_KERNEL] >
                off.phase_cycles[SE_PHASE_CR3_KERNEL] + (uint64_t)p.cycles[SE_COST_MOV_CR3_FLUSH] -
                    1);
    assert_true(on.phase_cycles[SE_PHASE_CR3_USER] > off.phase_cycles[SE_PHASE_CR3_USER]);
    assert_int_equal(on.phase_cycles[SE_PHASE_PTREGS], off.phase_cycles[SE_PHASE_PTREGS]);
}

static void test_noflush_cheaper_than_flush(void **s)
{
    (void)s;
    se_cost_profile p = profile();
    assert_true(p.cycles[SE_COST_MOV_CR3_NOFLUSH] < p.cycles[SE_COST_MOV_CR3_FLUSH]);
    se_outcome flush = run(true, false, false, false, NULL);
    se_outcome noflush = run(true, true, false, false, NULL);
    assert_true(noflush.phase_cycles[SE_PHASE_CR3_KERNEL] <
                flush.phase_cycles[SE_PHASE_CR3_KERNEL]);
    assert_true(noflush.cycles < flush.cycles);
}

static void test_ibrs_adds_spec_ctrl_writes(void **s)
{
    (void)s;
    se_cost_profile p = profile();
    se_outcome plain = run(true, true, false, false, NULL);
    se_outcome ibrs = run(true, true, true, false, NULL);
    /* IBRS_ENTER and IBRS_EXIT: one WRMSR each */
    assert_true(ibrs.cycles >= plain.cycles + 2 * (uint64_t)p.cycles[SE_COST_WRMSR_SPEC_CTRL]);
    assert_true(ibrs.phase_cycles[SE_PHASE_DISPATCH] >=
                plain.phase_cycles[SE_PHASE_DISPATCH] +
                    (uint64_t)p.cycles[SE_COST_WRMSR_SPEC_CTRL]);
    assert_true(ibrs.instructions > plain.instructions);
}

static void restart_handler(se_machine *m, long nr, se_pt_regs *r, void *ctx)
{
    (void)m;
    (void)nr;
    (void)ctx;
    r->ax = r->orig_ax;
    r->ip -= 2;
}

static void test_iret_path_costs_more(void **s)
{
    (void)s;
    se_machine *m;
    assert_int_equal(se_machine_create(NULL, &m), SE_OK);
    se_regs u = {.rax = 39,
                 .rip = 0x401000,
                 .rsp = 0x7fffffffe000,
                 .rflags = 0x246,
                 .cs = SE_USER_CS,
                 .ss = SE_USER_DS};
    se_outcome sysret, iret;
    assert_int_equal(se_syscall(m, &u, &sysret), SE_OK);
    se_set_syscall_handler(m, restart_handler, NULL);
    assert_int_equal(se_syscall(m, &u, &iret), SE_OK);
    assert_int_equal(sysret.path, SE_EXIT_SYSRET);
    assert_int_equal(iret.path, SE_EXIT_IRET);
    assert_true(iret.cycles > sysret.cycles);
    assert_true(iret.phase_cycles[SE_PHASE_IRET] > sysret.phase_cycles[SE_PHASE_SYSRET]);
    assert_int_equal(iret.phase_cycles[SE_PHASE_SYSRET], 0);
    uint64_t sum = 0;
    for (int p = 0; p < SE_PHASE_COUNT; p++)
        sum += iret.phase_cycles[p];
    assert_int_equal(sum, iret.cycles);
    se_machine_destroy(m);
}

static void test_trace_of_getpid(void **s)
{
    (void)s;
    rec r;
    se_outcome o = run(true, true, false, false, &r);
    assert_int_equal(r.n, o.instructions);
    assert_int_equal(r.cycles, o.cycles);
    assert_int_equal(r.syscall_at, 0);
    assert_int_equal(r.swapgs_entry, 1); /* SWAPGS is the first instruction at LSTAR */
    assert_true(r.gs_changed_at_swapgs);
    assert_true(r.cr3_kernel > r.swapgs_entry);
    assert_true(r.cr3_changed_at_switch);
    assert_int_equal(r.sysret_at, (int)r.n - 1); /* stops before any user instruction */
    assert_true(r.cpl_changed_at_sysret);
    assert_true(r.notes_ok);
    assert_non_null(strstr(r.text, "TSS.sp2"));
    free(r.text);
}

static void test_trace_is_deterministic(void **s)
{
    (void)s;
    rec a, b;
    run(true, true, true, false, &a);
    run(true, true, true, false, &b);
    assert_int_equal(a.len, b.len);
    assert_memory_equal(a.text, b.text, a.len);
    free(a.text);
    free(b.text);
}

static void test_trace_and_profile_arguments(void **s)
{
    (void)s;
    se_machine *m;
    assert_int_equal(se_machine_create(NULL, &m), SE_OK);
    assert_int_equal(se_set_trace(NULL, on_event, NULL), SE_ERR_INVALID_ARG);
    assert_int_equal(se_set_cost_profile(NULL, NULL), SE_ERR_INVALID_ARG);
    assert_int_equal(se_set_cost_profile(m, NULL), SE_ERR_INVALID_ARG);
    se_cost_profile p = profile();
    p.cycles[SE_COST_SWAPGS] = -1;
    assert_int_equal(se_set_cost_profile(m, &p), SE_ERR_INVALID_ARG);
    p = profile();
    p.cycles[SE_COST_SYSRET] = 1000;
    assert_int_equal(se_set_cost_profile(m, &p), SE_OK);
    se_regs u = {.rax = 39,
                 .rip = 0x401000,
                 .rsp = 0x7fffffffe000,
                 .rflags = 0x246,
                 .cs = SE_USER_CS,
                 .ss = SE_USER_DS};
    se_outcome o;
    assert_int_equal(se_syscall(m, &u, &o), SE_OK);
    assert_true(o.phase_cycles[SE_PHASE_SYSRET] >= 1000); /* the new profile is used */
    se_machine_destroy(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pti_adds_cr3_costs),
        cmocka_unit_test(test_noflush_cheaper_than_flush),
        cmocka_unit_test(test_ibrs_adds_spec_ctrl_writes),
        cmocka_unit_test(test_iret_path_costs_more),
        cmocka_unit_test(test_trace_of_getpid),
        cmocka_unit_test(test_trace_is_deterministic),
        cmocka_unit_test(test_trace_and_profile_arguments),
    };
    return cmocka_run_group_tests_name("trace", tests, NULL, NULL);
}
