/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sysentry bench: the performance figures of docs/performance.md, measured in one run. Never
 * used as a test: timings vary by machine; this prints them. --tsv prints the same figures as
 * "key<TAB>value" lines for scripts/bench.sh, which tabulates them per Unicorn engine.
 */
#define _POSIX_C_SOURCE 200809L
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "entry/verdict.h"

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* Best-of-5 wall time per iteration of fn, in seconds. */
typedef void (*bench_fn)(void *ctx, long n);
static double best_per_op(bench_fn fn, void *ctx, long n)
{
    double best = 1e9;
    for (int rep = 0; rep < 5; rep++) {
        double t0 = now_s();
        fn(ctx, n);
        double t = (now_s() - t0) / (double)n;
        best = t < best ? t : best;
    }
    return best;
}

static void native_getppid(void *ctx, long n)
{
    (void)ctx;
    for (long i = 0; i < n; i++) {
        long ret;
        /* a raw SYSCALL instruction, no libc wrapper: RCX and R11 are clobbered */
        __asm__ volatile("syscall" : "=a"(ret) : "0"(110L) : "rcx", "r11", "memory");
        (void)ret;
    }
}

typedef struct emu {
    se_machine *m;
    se_snapshot *snap;
    se_regs u;
    int errors;
} emu;

static void emulated_syscall(void *ctx, long n)
{
    emu *e = ctx;
    se_outcome o;
    for (long i = 0; i < n; i++)
        e->errors += se_syscall(e->m, &e->u, &o) != SE_OK;
}

/* What a fuzzer checks after each execution: the call's status and the differential oracle. */
static int fuzz_errors(se_status st, const se_outcome *o)
{
    return (st != SE_OK) + (se_verdict_6_6(&o->frame, false, 0, false) != o->failed_check);
}

static void fuzz_exec(void *ctx, long n)
{
    emu *e = ctx;
    se_outcome o;
    for (long i = 0; i < n; i++) {
        se_snapshot_restore(e->m, e->snap);
        se_status st = se_syscall(e->m, &e->u, &o);
        e->errors += fuzz_errors(st, &o);
    }
}

/* The same executions through se_syscall_batch, BATCH states per call. */
enum { BATCH = 64 };
static void fuzz_batch(void *ctx, long n)
{
    emu *e = ctx;
    static se_batch_item items[BATCH];
    for (long done = 0; done < n;) {
        size_t k = n - done < BATCH ? (size_t)(n - done) : BATCH;
        for (size_t i = 0; i < k; i++)
            items[i].user = e->u;
        e->errors += se_syscall_batch(e->m, e->snap, items, k, NULL) != SE_OK;
        for (size_t i = 0; i < k; i++)
            e->errors += fuzz_errors(items[i].status, &items[i].out);
        done += (long)k;
    }
}

static void create_destroy(void *ctx, long n)
{
    (void)ctx;
    for (long i = 0; i < n; i++) {
        se_machine *m;
        if (se_machine_create(NULL, &m) == SE_OK)
            se_machine_destroy(m);
    }
}

static void quiet_trace(const se_trace_event *ev, void *ctx)
{
    (void)ev;
    (*(uint64_t *)ctx)++;
}

static emu make_emu(bool pti)
{
    emu e;
    memset(&e, 0, sizeof e);
    se_config cfg;
    se_config_default(&cfg);
    cfg.pti = cfg.pcid = pti;
    cfg.insn_budget = 1000000000; /* the guest loop runs millions of instructions */
    if (se_machine_create(&cfg, &e.m) != SE_OK || se_snapshot_create(e.m, &e.snap) != SE_OK) {
        fprintf(stderr, "sysentry bench: cannot create a machine\n");
        exit(1);
    }
    e.u = (se_regs){.rax = 110,
                    .rip = 0x401000,
                    .rsp = 0x7fffffffe000,
                    .rflags = 0x246,
                    .cs = SE_USER_CS,
                    .ss = SE_USER_DS};
    return e;
}

/* A user loop of SYSCALLs inside one run: no host work between round trips. */
static double guest_loop(bool pti, long n)
{
    emu e = make_emu(pti);
    /* mov $110,%eax; syscall; dec %rbx; jnz -11; nop */
    static const uint8_t loop[] = {0xB8, 0x6E, 0,    0,    0,    0x0F, 0x05,
                                   0x48, 0xFF, 0xCB, 0x75, 0xF4, 0x90};
    se_mem_map(e.m, 0x500000, 0x1000, SE_MAP_USER);
    se_mem_write(e.m, 0x500000, loop, sizeof loop);
    double best = 1e9;
    for (int rep = 0; rep < 3; rep++) {
        se_regs u = {.rbx = (uint64_t)n,
                     .rip = 0x500000,
                     .rsp = 0x7fffffffe000,
                     .rflags = 0x246,
                     .cs = SE_USER_CS,
                     .ss = SE_USER_DS};
        se_enter_user(e.m, &u);
        se_run_options o = {.stop_at = {0x500000 + sizeof loop - 1},
                            .n_stop_at = 1,
                            .max_insns = (uint64_t)n * 200};
        se_run_result r;
        double t0 = now_s();
        se_run(e.m, &o, &r);
        if (r.reason != SE_STOP_ADDRESS || r.syscalls != (unsigned)n) {
            fprintf(stderr, "sysentry bench: guest loop stopped early (%d)\n", (int)r.reason);
            return 0;
        }
        double t = (now_s() - t0) / (double)r.syscalls;
        best = t < best ? t : best;
    }
    se_snapshot_destroy(e.snap);
    se_machine_destroy(e.m);
    return best;
}

static long rss_kib(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long size = 0, res = 0;
    if (f != NULL) {
        if (fscanf(f, "%ld %ld", &size, &res) != 2)
            res = 0;
        fclose(f);
    }
    return res * (sysconf(_SC_PAGESIZE) / 1024);
}

static se_status one_getppid(se_machine *m)
{
    se_regs u = {.rax = 110,
                 .rip = 0x401000,
                 .rsp = 0x7fffffffe000,
                 .rflags = 0x246,
                 .cs = SE_USER_CS,
                 .ss = SE_USER_DS};
    se_outcome o;
    return se_syscall(m, &u, &o);
}

/* A traced machine in a thread of its own: 1,000 traced calls. */
static void *traced_thread(void *arg)
{
    uint64_t events = 0;
    se_machine *m = NULL;
    if (se_machine_create(NULL, &m) != SE_OK)
        return arg;
    se_set_trace(m, quiet_trace, &events);
    for (int i = 0; i < 1000; i++)
        one_getppid(m);
    *(se_machine **)arg = m;
    return NULL;
}

/* What turning the trace on costs: time of the first traced call and of a toggle, resident
 * memory it adds; and two traced machines in two threads. */
static void bench_tracing_cost(bool tsv)
{
    se_machine *m = NULL;
    if (se_machine_create(NULL, &m) != SE_OK)
        return;
    one_getppid(m);
    uint64_t events = 0;
    long before = rss_kib();
    double t0 = now_s();
    se_set_trace(m, quiet_trace, &events);
    one_getppid(m);
    double first = now_s() - t0;
    long after = rss_kib();
    t0 = now_s();
    enum { TOGGLES = 200 };
    for (int i = 0; i < TOGGLES; i++) {
        se_set_trace(m, NULL, NULL);
        one_getppid(m);
        se_set_trace(m, quiet_trace, &events);
        one_getppid(m);
    }
    double toggle = (now_s() - t0) / (2.0 * TOGGLES);
    se_machine_destroy(m);
    if (tsv) {
        printf("tracing_first_ms\t%.3f\n", first * 1e3);
        printf("tracing_toggle_ms\t%.3f\n", toggle * 1e3);
        printf("tracing_rss_mib\t%.2f\n", (double)(after - before) / 1024);
    } else {
        printf("%-52s %10.3f ms\n", "tracing on: first traced call", first * 1e3);
        printf("%-52s %10.3f ms\n", "  a toggle and one call (on or off)", toggle * 1e3);
        printf("%-52s %10.2f MiB\n", "  resident memory tracing adds",
               (double)(after - before) / 1024);
    }
    before = rss_kib();
    pthread_t th[2];
    se_machine *tm[2] = {NULL, NULL};
    for (int i = 0; i < 2; i++)
        pthread_create(&th[i], NULL, traced_thread, &tm[i]);
    for (int i = 0; i < 2; i++)
        pthread_join(th[i], NULL);
    after = rss_kib();
    for (int i = 0; i < 2; i++)
        se_machine_destroy(tm[i]);
    if (tsv)
        printf("traced_threads_rss_mib\t%.2f\n", (double)(after - before) / 1024);
    else
        printf("%-52s %10.2f MiB\n", "two traced machines in two threads (together)",
               (double)(after - before) / 1024);
}

/* One fuzz workload on e, timed, with its own error count: "<key>_ns" and "errors_<key>". */
static void bench_fuzz(bool tsv, emu *e, bench_fn fn, long n, const char *key, const char *label)
{
    e->errors = 0;
    double t = best_per_op(fn, e, n);
    if (tsv)
        printf("%s_ns\t%.1f\nerrors_%s\t%d\n", key, t * 1e9, key, e->errors);
    else
        printf("%-52s %10.2f us  (%.0f k exec/s per core)\n", label, t * 1e6, 1e-3 / t);
}

/* One workload, n times, nothing else: what `scripts/bench.sh --callgrind` runs under valgrind
 * twice (n and 2n) to count host instructions per call without creation or warm-up. */
static int bench_loop(const char *what, long n)
{
    bool pti = strcmp(what, "nopti") != 0;
    emu e = make_emu(pti);
    if (!strcmp(what, "pti") || !strcmp(what, "nopti"))
        emulated_syscall(&e, n);
    else if (!strcmp(what, "fuzz"))
        fuzz_exec(&e, n);
    else if (!strcmp(what, "batch"))
        fuzz_batch(&e, n);
    else {
        fprintf(stderr, "sysentry bench: --loop takes pti, nopti, fuzz or batch, not '%s'\n", what);
        return 2;
    }
    int errors = e.errors;
    se_snapshot_destroy(e.snap);
    se_machine_destroy(e.m);
    if (errors) {
        fprintf(stderr, "sysentry bench: %d calls failed\n", errors);
        return 1;
    }
    return 0;
}

int cli_bench(int argc, char **argv)
{
    const char *loop_what = NULL;
    long loop_n = 0;
    bool tsv = false;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--tsv")) {
            tsv = true;
            continue;
        }
        if (!strcmp(argv[i], "--loop") && i + 2 < argc) {
            loop_what = argv[i + 1];
            char *end;
            loop_n = strtol(argv[i + 2], &end, 10);
            if (*end != '\0' || loop_n <= 0 || loop_n > 100000000) {
                fprintf(stderr, "sysentry bench: --loop count must be 1..100000000\n");
                return 2;
            }
            i += 2;
            continue;
        }
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs("usage: sysentry bench [--tsv] [--loop pti|nopti|fuzz|batch COUNT]\n"
                  "Measure native and emulated syscall round trips, tracing overhead and what "
                  "turning it on costs, fuzz executions per second, machine creation time and "
                  "memory. Prints figures; takes 3-5 s in a release or debug build (measured on "
                  "a 2-vCPU machine), longer under sanitizers.\n"
                  "--tsv prints the same figures as key<TAB>value lines (engine, native_ns, "
                  "syscall_pti_ns, loop_nopti_ns, fuzz_ns, fuzz_batch_ns, create_destroy_ms, ...; "
                  "the unit "
                  "ends the key) instead: what scripts/bench.sh tabulates per engine.\n"
                  "--loop runs one workload COUNT times and prints nothing: what "
                  "scripts/bench.sh --callgrind counts host instructions on.\n",
                  stdout);
            return 0;
        }
        fprintf(stderr, "sysentry bench: unknown option '%s'\n", argv[i]);
        return 2;
    }
    if (loop_what != NULL)
        return bench_loop(loop_what, loop_n);
    uint32_t ev = se_engine_version();
    if (tsv) {
        printf("engine\t%u.%u.%u\n", ev >> 16, (ev >> 8) & 0xFF, ev & 0xFF);
        printf("libsysentry\t%s\n", SE_VERSION_STRING);
    } else {
        printf("engine: Unicorn %u.%u.%u (libsysentry %s)\n", ev >> 16, (ev >> 8) & 0xFF, ev & 0xFF,
               SE_VERSION_STRING);
    }
    double native = best_per_op(native_getppid, NULL, 200000);
    if (tsv)
        printf("native_ns\t%.1f\n", native * 1e9);
    else
        printf("%-52s %10.1f ns  (%.2f M/s)\n", "native getppid round trip (raw SYSCALL)",
               native * 1e9, 1e-6 / native);
    double base = 0;
    for (int pti = 1; pti >= 0; pti--) {
        emu e = make_emu(pti);
        double untraced = best_per_op(emulated_syscall, &e, 2000);
        uint64_t events = 0;
        se_set_trace(e.m, quiet_trace, &events);
        double traced = best_per_op(emulated_syscall, &e, 500);
        se_set_trace(e.m, NULL, NULL);
        double loop = guest_loop(pti, 20000);
        const char *name = pti ? "PTI+PCID" : "no PTI";
        if (tsv) {
            const char *k = pti ? "pti" : "nopti";
            printf("syscall_%s_ns\t%.1f\n", k, untraced * 1e9);
            printf("traced_%s_ns\t%.1f\n", k, traced * 1e9);
            printf("loop_%s_ns\t%.1f\n", k, loop * 1e9);
            printf("errors_%s\t%d\n", k, e.errors);
        }
        char label[96];
        snprintf(label, sizeof label, "emulated se_syscall, %s", name);
        if (!tsv)
            printf("%-52s %10.2f us  (%.0f k/s, %.0fx native)\n", label, untraced * 1e6,
                   1e-3 / untraced, untraced / native);
        snprintf(label, sizeof label, "  traced (callback per instruction), %s", name);
        if (!tsv)
            printf("%-52s %10.2f us  (%.1fx untraced)\n", label, traced * 1e6, traced / untraced);
        snprintf(label, sizeof label, "  round trip in a guest loop (one run), %s", name);
        if (!tsv)
            printf("%-52s %10.2f us  (%.0f k/s, %.0fx native)\n", label, loop * 1e6, 1e-3 / loop,
                   loop / native);
        if (pti)
            base = untraced;
        if (e.errors && !tsv)
            printf("  (%d errors)\n", e.errors);
        se_snapshot_destroy(e.snap);
        se_machine_destroy(e.m);
    }
    emu f = make_emu(true);
    bench_fuzz(tsv, &f, fuzz_exec, 2000, "fuzz", "fuzz execution (restore + syscall + verdict)");
    bench_fuzz(tsv, &f, fuzz_batch, 2048, "fuzz_batch",
               "  batched (se_syscall_batch, 64 per call)");
    se_snapshot_destroy(f.snap);
    se_machine_destroy(f.m);
    bench_tracing_cost(tsv);
    double cd = best_per_op(create_destroy, NULL, 20);
    if (tsv)
        printf("create_destroy_ms\t%.3f\n", cd * 1e3);
    else
        printf("%-52s %10.2f ms\n", "machine create + destroy", cd * 1e3);
    enum { N = 16 };
    se_machine *ms[N];
    long before = rss_kib();
    for (int i = 0; i < N; i++) {
        se_machine_create(NULL, &ms[i]);
        se_regs u = {.rax = 110,
                     .rip = 0x401000,
                     .rsp = 0x7fffffffe000,
                     .rflags = 0x246,
                     .cs = SE_USER_CS,
                     .ss = SE_USER_DS};
        se_outcome o;
        se_syscall(ms[i], &u, &o); /* resident after real use, not just creation */
    }
    long after = rss_kib();
    for (int i = 0; i < N; i++)
        se_machine_destroy(ms[i]);
    if (tsv)
        printf("rss_per_machine_mib\t%.2f\n", (double)(after - before) / N / 1024.0);
    else
        printf("%-52s %10.2f MiB\n", "resident memory per machine (after one syscall)",
               (double)(after - before) / N / 1024.0);
    (void)base;
    return 0;
}
