/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * No global state: several machines in several threads at once, each with its own
 * configuration, handler and trace, must give exactly the results one machine gives alone.
 * Built into every test run, and under ThreadSanitizer by scripts/test.sh.
 */
#include "se_test.h"

#include <pthread.h>
#include <string.h>

#define THREADS 4
#define CALLS   150

typedef struct job {
    int id;
    se_vendor vendor;
    bool pti, la57;
    se_kernel_profile kernel;
    uint64_t events;
    int bad;
} job;

static void handler(se_machine *m, long nr, se_pt_regs *r, void *ctx)
{
    job *j = ctx;
    (void)m;
    r->ax = (uint64_t)(nr * 1000 + j->id);
    if (nr % 3 == 1) /* every third call: a restart, so both exits run */
        r->ip -= 2;
}

static void count_events(const se_trace_event *ev, void *ctx)
{
    (void)ev;
    ((job *)ctx)->events++;
}

static void *worker(void *p)
{
    job *j = p;
    se_config cfg;
    se_config_default(&cfg);
    cfg.vendor = j->vendor;
    cfg.pti = cfg.pcid = j->pti;
    cfg.la57 = j->la57;
    cfg.kernel = j->kernel;
    se_machine *m;
    if (se_machine_create(&cfg, &m) != SE_OK) {
        j->bad++;
        return NULL;
    }
    se_set_syscall_handler(m, handler, j);
    if (j->id % 2)
        se_set_trace(m, count_events, j);
    for (int i = 0; i < CALLS; i++) {
        se_regs u = {.rax = (uint64_t)(i % 9),
                     .rip = 0x401000,
                     .rsp = 0x7fffffffe000,
                     .rflags = 0x246,
                     .cs = SE_USER_CS,
                     .ss = SE_USER_DS};
        se_outcome o;
        if (se_syscall(m, &u, &o) != SE_OK) {
            j->bad++;
            continue;
        }
        bool restart = (i % 9) % 3 == 1;
        if (o.path != (restart ? SE_EXIT_IRET : SE_EXIT_SYSRET))
            j->bad++;
        if (!restart && o.user.rax != (uint64_t)((i % 9) * 1000 + j->id))
            j->bad++;
    }
    se_machine_destroy(m);
    return NULL;
}

static void test_machines_in_threads(void **s)
{
    (void)s;
    pthread_t t[THREADS];
    job jobs[THREADS];
    for (int i = 0; i < THREADS; i++) {
        jobs[i] = (job){.id = i,
                        .vendor = (se_vendor)(i % 2),
                        .pti = i < 2,
                        .la57 = i == 3,
                        .kernel = (se_kernel_profile)(i / 2 % 2)};
        assert_int_equal(pthread_create(&t[i], NULL, worker, &jobs[i]), 0);
    }
    for (int i = 0; i < THREADS; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(jobs[i].bad, 0);
        if (i % 2)
            assert_true(jobs[i].events > (uint64_t)CALLS * 50);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_machines_in_threads)};
    return cmocka_run_group_tests_name("threads", tests, NULL, NULL);
}
