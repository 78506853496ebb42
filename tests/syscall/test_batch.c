/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * se_syscall_batch (issue 13): every item gets exactly the status and outcome se_syscall gives
 * it one at a time after the same restore, whatever path it takes (SYSRET, IRET, a fault, a
 * refused rip, a budget); the batch stops only when the engine fails, and refuses what
 * se_syscall refuses.
 */
#include "se_test.h"

#include <string.h>

#define UIP   0x401000ull
#define USP   0x7fffffffd000ull
#define DATA  0x600000ull /* the handler's call counter: shows whether a restore happened */
#define NITEM 240

/* The handler makes the kernel choose different exits: nr % 6 picks an edit of pt_regs. The
 * counter it keeps in guest memory goes into the return value, so a call that did not start
 * from the snapshot returns something else. */
static void handler(se_machine *m, long nr, se_pt_regs *r, void *ctx)
{
    (void)ctx;
    uint64_t count = 0;
    se_mem_read(m, DATA, &count, sizeof count);
    r->ax = count * 16 + (uint64_t)nr % 6;
    count++;
    se_mem_write(m, DATA, &count, sizeof count);
    switch ((uint64_t)nr % 6) {
    case 1: /* C1/C2: a non-canonical return address, the IRET path, #GP on return */
        r->cx = r->ip = 1ull << 47;
        break;
    case 2: /* C5: TF, the IRET path */
        r->flags |= SE_RFLAGS_TF;
        r->r11 = r->flags;
        break;
    case 3: /* C6: a different SS, the IRET path, #GP in IRETQ */
        r->ss = 0x2b + 8;
        break;
    case 4: /* a bad stack pointer: the frame is restored as edited */
        r->sp = 0xdead000ull;
        break;
    default:
        break;
    }
}

static se_machine *mk(bool pti, uint64_t budget)
{
    se_config cfg;
    se_config_default(&cfg);
    cfg.pti = cfg.pcid = pti;
    if (budget != 0)
        cfg.insn_budget = budget;
    se_machine *m = NULL;
    assert_int_equal(se_machine_create(&cfg, &m), SE_OK);
    assert_int_equal(se_set_syscall_handler(m, handler, NULL), SE_OK);
    assert_int_equal(se_mem_map(m, DATA, 0x1000, SE_MAP_USER | SE_MAP_WRITE | SE_MAP_NOEXEC),
                     SE_OK);
    return m;
}

/* Deterministic varied states: syscall numbers, flags users can set, return addresses at the
 * top of the user half (RCX non-canonical after SYSCALL) and a few rips se_syscall refuses. */
static void fill(se_batch_item *items, size_t n)
{
    uint64_t x = 0x2545F4914F6CDD1Dull;
    static const uint64_t rips[] = {UIP, UIP + 0x7fe, 0x7ffffffffffeull, 0x7fffffffeffeull,
                                    1ull << 47 /* refused: non-canonical */};
    static const uint64_t flag_bits[] = {0, SE_RFLAGS_TF, SE_RFLAGS_AC, SE_RFLAGS_NT, SE_RFLAGS_DF};
    memset(items, 0, n * sizeof *items);
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        se_regs *u = &items[i].user;
        u->rax = x % 400; /* below NR_syscalls: the handler runs */
        u->rip = rips[(x >> 16) % 5];
        u->rsp = USP - ((x >> 24) & 0xff0);
        u->rflags = 0x246 | flag_bits[(x >> 32) % 5];
        u->rdi = x;
        u->cs = SE_USER_CS;
        u->ss = SE_USER_DS;
        items[i].status = (se_status)-77; /* the batch must overwrite it */
    }
}

static void assert_same(const se_batch_item *it, se_status st, const se_outcome *o)
{
    assert_int_equal(it->status, st);
    assert_int_equal(it->out.path, o->path);
    assert_int_equal(it->out.chosen, o->chosen);
    assert_int_equal(it->out.failed_check, o->failed_check);
    se_assert_eq_hex("rax", it->out.user.rax, o->user.rax);
    se_assert_eq_hex("rip", it->out.user.rip, o->user.rip);
    assert_int_equal(it->out.instructions, o->instructions);
    assert_int_equal(it->out.cycles, o->cycles);
    assert_memory_equal(&it->out, o, sizeof *o); /* and every other field */
}

/* Batched with a snapshot == restore + se_syscall, item by item, on a twin machine. */
static void batch_matches_single(bool pti)
{
    se_machine *a = mk(pti, 0), *b = mk(pti, 0);
    se_snapshot *sa, *sb;
    assert_int_equal(se_snapshot_create(a, &sa), SE_OK);
    assert_int_equal(se_snapshot_create(b, &sb), SE_OK);
    static se_batch_item items[NITEM];
    fill(items, NITEM);
    size_t ran = 0;
    assert_int_equal(se_syscall_batch(a, sa, items, NITEM, &ran), SE_OK);
    assert_int_equal(ran, NITEM);
    unsigned seen[SE_EXIT_PATH_MAX_VALUE + 1] = {0}, refused = 0;
    for (size_t i = 0; i < NITEM; i++) {
        assert_int_equal(se_snapshot_restore(b, sb), SE_OK);
        se_outcome o;
        se_status st = se_syscall(b, &items[i].user, &o);
        assert_same(&items[i], st, &o);
        if (st == SE_OK)
            seen[o.path]++;
        else
            refused++;
        if (st == SE_OK && (o.path == SE_EXIT_SYSRET || o.path == SE_EXIT_IRET))
            assert_true(o.user.rax >> 4 == 0); /* every call started from the snapshot */
    }
    /* the states exercise every exit, and refusals inside a batch */
    assert_true(seen[SE_EXIT_SYSRET] > 0);
    assert_true(seen[SE_EXIT_IRET] > 0);
    assert_true(seen[SE_EXIT_FAULT] > 0);
    assert_true(refused > 0);
    /* the message of the last refused item is kept */
    assert_true(strstr(se_machine_last_error(a), "rip") != NULL);
    se_snapshot_destroy(sa);
    se_snapshot_destroy(sb);
    se_machine_destroy(a);
    se_machine_destroy(b);
}

static void test_batch_matches_single_calls_pti(void **s)
{
    (void)s;
    batch_matches_single(true);
}

static void test_batch_matches_single_calls_nopti(void **s)
{
    (void)s;
    batch_matches_single(false);
}

/* Without a snapshot the calls follow each other like consecutive se_syscall calls. */
static void test_batch_without_snapshot_is_consecutive(void **s)
{
    (void)s;
    se_machine *a = mk(true, 0), *b = mk(true, 0);
    enum { N = 40 };
    se_batch_item items[N];
    fill(items, N);
    assert_int_equal(se_syscall_batch(a, NULL, items, N, NULL), SE_OK);
    uint64_t last_count = 0;
    for (size_t i = 0; i < N; i++) {
        se_outcome o;
        se_status st = se_syscall(b, &items[i].user, &o);
        assert_same(&items[i], st, &o);
        if (st == SE_OK && o.path == SE_EXIT_SYSRET)
            last_count = o.user.rax >> 4;
    }
    assert_true(last_count > 0); /* the counter advanced: nothing was restored */
    se_machine_destroy(a);
    se_machine_destroy(b);
}

/* An item that runs out of budget does not end the batch. */
static void test_batch_continues_after_limit(void **s)
{
    (void)s;
    se_machine *m = mk(false, 0);
    se_snapshot *snap;
    assert_int_equal(se_snapshot_create(m, &snap), SE_OK);
    se_batch_item items[3];
    fill(items, 3);
    for (int i = 0; i < 3; i++) {
        items[i].user.rip = UIP;
        items[i].user.rax = 0;
        items[i].user.rflags = 0x246;
    }
    assert_int_equal(se_syscall_batch(m, snap, items, 3, NULL), SE_OK);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(items[i].status, SE_OK);
        assert_int_equal(items[i].out.path, SE_EXIT_SYSRET);
    }
    se_machine *lim = mk(false, 20);
    se_snapshot *ls;
    assert_int_equal(se_snapshot_create(lim, &ls), SE_OK);
    size_t ran = 0;
    assert_int_equal(se_syscall_batch(lim, ls, items, 3, &ran), SE_OK);
    assert_int_equal(ran, 3);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(items[i].status, SE_ERR_LIMIT);
        assert_int_equal(items[i].out.path, SE_EXIT_NONE);
        assert_in_range(items[i].out.instructions, 1, 20);
    }
    assert_non_null(strstr(se_machine_last_error(lim), "budget"));
    se_snapshot_destroy(ls);
    se_machine_destroy(lim);
    se_snapshot_destroy(snap);
    se_machine_destroy(m);
}

static se_status nested_status;

static void nested_handler(se_machine *m, long nr, se_pt_regs *r, void *ctx)
{
    (void)nr;
    (void)r;
    se_batch_item *it = ctx;
    nested_status = se_syscall_batch(m, NULL, it, 1, NULL);
}

static void test_batch_refusals(void **s)
{
    (void)s;
    se_machine *a = mk(false, 0), *b = mk(false, 0);
    se_snapshot *sb;
    assert_int_equal(se_snapshot_create(b, &sb), SE_OK);
    se_batch_item items[2];
    fill(items, 2);
    size_t ran = 99;
    assert_int_equal(se_syscall_batch(NULL, NULL, items, 2, &ran), SE_ERR_INVALID_ARG);
    assert_int_equal(ran, 0);
    assert_int_equal(se_syscall_batch(a, NULL, NULL, 2, &ran), SE_ERR_INVALID_ARG);
    assert_int_equal(se_syscall_batch(a, NULL, NULL, 0, &ran), SE_OK);
    assert_int_equal(ran, 0);
    /* another machine's snapshot: nothing runs, every item says so */
    ran = 99;
    assert_int_equal(se_syscall_batch(a, sb, items, 2, &ran), SE_ERR_INVALID_ARG);
    assert_int_equal(ran, 0);
    assert_int_equal(items[0].status, SE_ERR_INVALID_ARG);
    assert_int_equal(items[1].status, SE_ERR_STATE);
    assert_int_equal(items[1].out.path, SE_EXIT_NONE);
    /* from a handler: no nested runs */
    se_batch_item inner;
    fill(&inner, 1);
    assert_int_equal(se_set_syscall_handler(a, nested_handler, &inner), SE_OK);
    se_outcome o;
    nested_status = SE_OK;
    items[0].user.rip = UIP;
    assert_int_equal(se_syscall(a, &items[0].user, &o), SE_OK);
    assert_int_equal(nested_status, SE_ERR_STATE);
    assert_int_equal(inner.status, SE_ERR_STATE);
    se_snapshot_destroy(sb);
    se_machine_destroy(a);
    se_machine_destroy(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_batch_matches_single_calls_pti),
        cmocka_unit_test(test_batch_matches_single_calls_nopti),
        cmocka_unit_test(test_batch_without_snapshot_is_consecutive),
        cmocka_unit_test(test_batch_continues_after_limit),
        cmocka_unit_test(test_batch_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
