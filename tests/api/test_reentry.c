/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Re-entrancy (issue 9 §5): every public function that takes a machine, called from inside a
 * syscall handler and from inside a trace callback. Calls that only read are allowed; calls
 * that would change the machine under the running emulation are refused with SE_ERR_STATE and
 * a message naming the callback; stopping the trace is allowed and takes effect at once.
 * After each call the machine must still run a syscall normally, which is what caught the
 * nested runs and the MSR write that left the engine broken.
 */
#include "se_test.h"

#include <stdio.h>
#include <string.h>

static const se_regs good_user = {.rax = 39,
                                  .rip = 0x401000,
                                  .rsp = 0x7fffffffe000,
                                  .rflags = 0x246,
                                  .cs = SE_USER_CS,
                                  .ss = SE_USER_DS};

static se_snapshot *g_snap; /* for the restore row: a snapshot of the machine under test */

static void other_trace(const se_trace_event *ev, void *ctx)
{
    (void)ev;
    (void)ctx;
}

/* One public call; returns its status (SE_OK for a void function, whose refusal shows only in
 * se_machine_last_error()). */
typedef se_status (*call_fn)(se_machine *m);

static se_status c_syscall(se_machine *m)
{
    se_outcome o;
    return se_syscall(m, &good_user, &o);
}
static se_status c_run(se_machine *m)
{
    se_run_result r;
    return se_run(m, NULL, &r);
}
static se_status c_enter_user(se_machine *m)
{
    return se_enter_user(m, &good_user);
}
static se_status c_msr_write(se_machine *m)
{
    se_fault f;
    return se_msr_write(m, SE_MSR_IA32_LSTAR, 0xffffffff81000000ull, &f);
}
static se_status c_mem_map(se_machine *m)
{
    return se_mem_map(m, 0x10000000, 0x1000, SE_MAP_USER | SE_MAP_WRITE);
}
static se_status c_mem_unmap(se_machine *m)
{
    return se_mem_unmap(m, 0x7ffffffff000ull - 0x1000, 0x1000); /* the user stack's top page */
}
static se_status c_mem_write(se_machine *m)
{
    uint64_t v = 0x1234;
    return se_mem_write(m, 0x7ffffffff000ull - 0x800, &v, sizeof v);
}
static se_status c_load_kernel_code(se_machine *m)
{
    return se_load_kernel_code(m, 0xffffffffc0000000ull, "\x90", 1, false);
}
static se_status c_load_entry_elf(se_machine *m)
{
    se_entry_names n;
    se_entry_names_linux(&n);
    return se_load_entry_elf(m, "x", 1, 0xffffffffa0000000ull, &n);
}
static se_status c_snapshot_create(se_machine *m)
{
    se_snapshot *s = NULL;
    se_status st = se_snapshot_create(m, &s);
    se_snapshot_destroy(s);
    return st;
}
static se_status c_snapshot_restore(se_machine *m)
{
    return se_snapshot_restore(m, g_snap);
}
static se_status c_set_handler(se_machine *m)
{
    return se_set_syscall_handler(m, NULL, NULL);
}
static se_status c_set_cost_profile(se_machine *m)
{
    se_cost_profile p;
    se_cost_profile_builtin("zen4", &p);
    return se_set_cost_profile(m, &p);
}
static se_status c_set_trace_other(se_machine *m)
{
    return se_set_trace(m, other_trace, NULL);
}
static se_status c_stop_trace(se_machine *m)
{
    return se_set_trace(m, NULL, NULL);
}
static se_status c_destroy(se_machine *m)
{
    se_machine_destroy(m);
    return SE_OK;
}
static se_status c_mem_read(se_machine *m)
{
    uint8_t b[8];
    return se_mem_read(m, 0x401000, b, sizeof b);
}
static se_status c_translate(se_machine *m)
{
    uint64_t pa;
    se_fault f;
    return se_translate(m, 0x401000, SE_ACCESS_FETCH, 3, 0, &pa, &f);
}
static se_status c_get_cpu_state(se_machine *m)
{
    se_cpu_state st;
    return se_get_cpu_state(m, &st);
}
static se_status c_msr_read(se_machine *m)
{
    uint64_t v;
    se_fault f;
    return se_msr_read(m, SE_MSR_IA32_LSTAR, &v, &f);
}
static se_status c_get_config(se_machine *m)
{
    se_config c;
    return se_machine_get_config(m, &c);
}

typedef struct reentry_row {
    const char *name;
    call_fn call;
    bool in_handler_ok; /* allowed inside a syscall handler */
    bool in_trace_ok;   /* allowed inside a trace callback */
    bool void_fn;       /* returns nothing: a refusal is seen in the last error only */
} reentry_row;

static const reentry_row rows[] = {
    /* change the machine or start emulation: refused in both */
    {"se_syscall", c_syscall, false, false, false},
    {"se_run", c_run, false, false, false},
    {"se_enter_user", c_enter_user, false, false, false},
    {"se_msr_write", c_msr_write, false, false, false},
    {"se_mem_map", c_mem_map, false, false, false},
    {"se_mem_unmap", c_mem_unmap, false, false, false},
    {"se_load_kernel_code", c_load_kernel_code, false, false, false},
    {"se_load_entry_elf", c_load_entry_elf, false, false, false},
    {"se_snapshot_create", c_snapshot_create, false, false, false},
    {"se_snapshot_restore", c_snapshot_restore, false, false, false},
    {"se_set_syscall_handler", c_set_handler, false, false, false},
    {"se_set_cost_profile", c_set_cost_profile, false, false, false},
    {"se_set_trace(other)", c_set_trace_other, false, false, false},
    {"se_machine_destroy", c_destroy, false, false, true},
    /* guest data: the handler's job (copy_to_user), not an observer's */
    {"se_mem_write", c_mem_write, true, false, false},
    /* stopping the trace: allowed, deferred by the library */
    {"se_set_trace(NULL)", c_stop_trace, true, true, false},
    /* reads */
    {"se_mem_read", c_mem_read, true, true, false},
    {"se_translate", c_translate, true, true, false},
    {"se_get_cpu_state", c_get_cpu_state, true, true, false},
    {"se_msr_read", c_msr_read, true, true, false},
    {"se_machine_get_config", c_get_config, true, true, false},
};

/* What the call inside the callback returned and left in the last error. */
static const reentry_row *g_row;
static bool g_called;
static se_status g_status;
static char g_err[256];
static unsigned g_events_after_call;

static void call_inside(se_machine *m)
{
    g_called = true;
    g_status = g_row->call(m);
    snprintf(g_err, sizeof g_err, "%s", se_machine_last_error(m));
}

static void handler(se_machine *m, long nr, se_pt_regs *r, void *ctx)
{
    (void)nr;
    (void)ctx;
    if (!g_called)
        call_inside(m);
    r->ax = 0;
}

static void tracer(const se_trace_event *ev, void *ctx)
{
    se_machine *m = ctx;
    (void)ev;
    if (g_called) {
        g_events_after_call++;
        return;
    }
    call_inside(m);
}

static void check_outcome(bool allowed, const char *where)
{
    assert_true(g_called);
    if (allowed) {
        assert_int_equal(g_status, SE_OK);
        return;
    }
    if (!g_row->void_fn)
        assert_int_equal(g_status, SE_ERR_STATE);
    if (strstr(g_err, where) == NULL || strstr(g_err, "cannot be called") == NULL) {
        print_error("%s inside a %s left the message \"%s\"\n", g_row->name, where, g_err);
        fail();
    }
}

/* The machine still works: a syscall completes with SYSRET. */
static void check_machine_works(se_machine *m)
{
    se_outcome o;
    assert_int_equal(se_syscall(m, &good_user, &o), SE_OK);
    assert_int_equal(o.path, SE_EXIT_SYSRET);
}

static se_machine *fresh(void)
{
    se_machine *m = NULL;
    assert_int_equal(se_machine_create(NULL, &m), SE_OK);
    assert_int_equal(se_snapshot_create(m, &g_snap), SE_OK);
    g_called = false;
    g_events_after_call = 0;
    g_err[0] = '\0';
    return m;
}

static void done(se_machine *m)
{
    se_snapshot_destroy(g_snap);
    g_snap = NULL;
    se_machine_destroy(m);
}

static void test_row(void **state)
{
    g_row = *state;

    /* inside a syscall handler */
    se_machine *m = fresh();
    assert_int_equal(se_set_syscall_handler(m, handler, NULL), SE_OK);
    se_outcome o;
    assert_int_equal(se_syscall(m, &good_user, &o), SE_OK);
    assert_int_equal(o.path, SE_EXIT_SYSRET);
    check_outcome(g_row->in_handler_ok, "syscall handler");
    check_machine_works(m);
    done(m);

    /* inside a trace callback */
    m = fresh();
    assert_int_equal(se_set_trace(m, tracer, m), SE_OK);
    assert_int_equal(se_syscall(m, &good_user, &o), SE_OK);
    assert_int_equal(o.path, SE_EXIT_SYSRET);
    check_outcome(g_row->in_trace_ok, "trace callback");
    if (g_row->call == c_stop_trace)
        assert_int_equal(g_events_after_call, 0); /* stopped at once, not at the run's end */
    else
        assert_true(g_events_after_call > 0);
    check_machine_works(m);
    done(m);
}

/* Stopping the trace from a handler: the rest of the run and later runs are untraced. */
static unsigned g_events;
static void counting_tracer(const se_trace_event *ev, void *ctx)
{
    (void)ev;
    (void)ctx;
    g_events++;
}
static unsigned g_events_at_stop;
static void stopping_handler(se_machine *m, long nr, se_pt_regs *r, void *ctx)
{
    (void)nr;
    (void)ctx;
    g_events_at_stop = g_events;
    assert_int_equal(se_set_trace(m, NULL, NULL), SE_OK);
    r->ax = 0;
}

static void test_stop_trace_from_handler(void **s)
{
    (void)s;
    se_machine *m = NULL;
    assert_int_equal(se_machine_create(NULL, &m), SE_OK);
    g_events = 0;
    assert_int_equal(se_set_trace(m, counting_tracer, NULL), SE_OK);
    assert_int_equal(se_set_syscall_handler(m, stopping_handler, NULL), SE_OK);
    se_outcome o;
    assert_int_equal(se_syscall(m, &good_user, &o), SE_OK);
    assert_int_equal(o.path, SE_EXIT_SYSRET);
    assert_true(g_events_at_stop > 0);
    /* the dispatch instruction's own event is the last one delivered */
    assert_true(g_events <= g_events_at_stop + 1);
    unsigned before = g_events;
    assert_int_equal(se_set_syscall_handler(m, NULL, NULL), SE_OK);
    assert_int_equal(se_syscall(m, &good_user, &o), SE_OK);
    assert_int_equal(g_events, before);
    /* and tracing can be turned on again afterwards */
    assert_int_equal(se_set_trace(m, counting_tracer, NULL), SE_OK);
    assert_int_equal(se_syscall(m, &good_user, &o), SE_OK);
    assert_true(g_events > before);
    se_machine_destroy(m);
}

int main(void)
{
    int failed = SE_TEST_RUN_ROWS("reentry", rows, test_row);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stop_trace_from_handler),
    };
    failed += cmocka_run_group_tests_name("reentry_trace", tests, NULL, NULL);
    return failed;
}
