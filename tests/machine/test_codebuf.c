/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The engine's translation buffer (backend/codebuf.c): Unicorn 2.0.1 and 2.1.1 rewind it to its
 * start without flushing their translations the first time it fills, unless one flush has
 * initialised their region allocator. The backend makes that flush between runs.
 *
 * test_codebuf_fill_1gib (its own ctest entry, about two minutes) fills the real 1 GiB buffer
 * twice through the public API; the others check the rule and the mechanism with a low threshold.
 */
#include <stdlib.h>
#include <string.h>

#include "machine/machine_int.h"
#include "se_test.h"

#define CODE 0x700000ull
#define LEN  0x4000ull /* four pages: INC RAX, then JMP $ where runs stop */
#define INCS ((LEN - 2) / 3)
#define STOP (CODE + INCS * 3)

static void handler(se_machine *m, long nr, se_pt_regs *regs, void *ctx)
{
    (void)m;
    (void)ctx;
    regs->ax = 0x1000 + (uint64_t)nr;
}

static se_machine *mk(void)
{
    se_config cfg;
    se_config_default(&cfg);
    se_machine *m = NULL;
    assert_int_equal(se_machine_create(&cfg, &m), SE_OK);
    assert_int_equal(se_set_syscall_handler(m, handler, NULL), SE_OK);
    assert_int_equal(se_mem_map(m, CODE, LEN, SE_MAP_USER), SE_OK);
    uint8_t *code = malloc(LEN);
    assert_non_null(code);
    memset(code, 0x90, LEN);
    for (uint64_t i = 0; i < INCS; i++)
        memcpy(code + 3 * i, "\x48\xff\xc0", 3); /* inc rax */
    /* a jump ends the last block inside the mapping (the engine would otherwise go on
     * translating into the unmapped page after it) */
    memcpy(code + INCS * 3, "\xeb\xfe", 2);
    assert_int_equal(se_mem_write(m, CODE, code, LEN), SE_OK);
    free(code);
    return m;
}

/* getppid from the machine's own user code page: SYSRET with the handler's value. */
static void one_syscall(se_machine *m)
{
    se_regs u = se_test_user_regs(m->lay.user_code, 39, m->lay.user_stack_top - 0x230);
    se_outcome o;
    assert_int_equal(se_syscall(m, &u, &o), SE_OK);
    assert_int_equal(o.path, SE_EXIT_SYSRET);
    assert_int_equal(o.user.rax, 0x1000 + 39);
}

/* The INC RAX run from CODE + off to STOP, its first instruction made INC RCX when rcx_first:
 * rax counts the others. Changing that instruction makes its blocks stale, so alternating it
 * makes each call translate the run again. */
static void run_incs(se_machine *m, uint64_t off, bool rcx_first)
{
    assert_int_equal(se_mem_write(m, CODE + off, rcx_first ? "\x48\xff\xc1" : "\x48\xff\xc0", 3),
                     SE_OK);
    se_run_result res = se_test_run_user(m, CODE + off, 0, m->lay.user_stack_top - 0x100, STOP);
    if (res.reason != SE_STOP_ADDRESS)
        fail_msg("stop %d at 0x%llx: %s, cr2 0x%llx", (int)res.reason, (unsigned long long)res.rip,
                 se_vector_name(res.fault.vector), (unsigned long long)res.fault.cr2);
    se_cpu_state after;
    assert_int_equal(se_get_cpu_state(m, &after), SE_OK);
    assert_int_equal(after.regs.rax, (STOP - CODE - off) / 3 - (rcx_first ? 1 : 0));
    assert_int_equal(se_mem_write(m, CODE + off, "\x48\xff\xc0", 3), SE_OK);
}

static void test_rule(void **state)
{
    (void)state;
    const uint64_t g = 1ull << 30;
    assert_false(se_be_codebuf_needs_flush(0, g, 0));
    assert_false(se_be_codebuf_needs_flush(g / 4 * 3 - 1, g, 0));
    assert_true(se_be_codebuf_needs_flush(g / 4 * 3, g, 0));
    assert_true(se_be_codebuf_needs_flush(g, g, 0));
    /* initialised: the engine's own full-buffer path flushes */
    assert_false(se_be_codebuf_needs_flush(g, g, 1));
}

/* The engines CI runs (Debian's 2.0.1 and 2.1.1) are ones whose layout the backend knows: if a
 * new build moves the fields, this says so instead of the protection going quietly. */
static void test_layout_known(void **state)
{
    (void)state;
    se_machine *m = mk();
    se_be_codebuf c;
    assert_true(se_be_codebuf_state(&m->be, &c));
    assert_true(c.size >= (1ull << 29));
    assert_true(c.used < c.size);
    assert_false(c.ready); /* the engine bug: never initialised by the engine itself */
    assert_int_equal(c.engine_flushes, 0);
    se_machine_destroy(m);
}

/* Past the threshold the next run starts with one flush, after which the engine flushes a full
 * buffer itself; calls before and after it end as they should. */
static void test_flush_once_at_threshold(void **state)
{
    (void)state;
    se_machine *m = mk();
    one_syscall(m);
    run_incs(m, 0, false);
    assert_int_equal(m->be.codebuf_flushes, 0);
    se_be_codebuf c;
    assert_true(se_be_codebuf_state(&m->be, &c));
    assert_false(c.ready);
    m->be.codebuf_flush_at = c.used + 1; /* what three quarters of 1 GiB would be */
    run_incs(m, 3, true);                /* translates more, below the check at its start */
    one_syscall(m);                      /* its run starts past the threshold: one flush */
    assert_int_equal(m->be.codebuf_flushes, 1);
    assert_true(se_be_codebuf_state(&m->be, &c));
    assert_true(c.ready);
    assert_int_equal(c.engine_flushes, 1);
    run_incs(m, 0, true);
    one_syscall(m);
    run_incs(m, 6, false);
    assert_int_equal(m->be.codebuf_flushes, 1); /* once: from now on the engine's own path */
    se_machine_destroy(m);
}

/* The real thing: more than 1 GiB of translations through the public API. Every time the
 * buffer goes back to its start, the engine must have flushed its translations; without the
 * backend's flush the first time was a rewind under its cached blocks (and, later, a crash). */
static void test_codebuf_fill_1gib(void **state)
{
    (void)state;
    se_machine *m = mk();
    se_be_codebuf c, prev;
    assert_true(se_be_codebuf_state(&m->be, &prev));
    unsigned long i = 0, rounds = 0;
    for (; i < 400000 && rounds < 2; i++) {
        run_incs(m, (i % 3) * 3, i % 2 != 0);
        if (i % 16 == 0)
            one_syscall(m);
        assert_true(se_be_codebuf_state(&m->be, &c));
        if (c.used < prev.used) {
            /* back at the start: by a flush, the backend's (first) or the engine's */
            if (c.engine_flushes == prev.engine_flushes)
                fail_msg("the engine rewound its buffer at %llu bytes without a flush",
                         (unsigned long long)prev.used);
            rounds++;
        }
        prev = c;
    }
    assert_int_equal(rounds, 2);
    assert_int_equal(m->be.codebuf_flushes, 1);
    assert_true(c.ready);
    one_syscall(m);
    se_machine_destroy(m);
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--fill") == 0) {
        const struct CMUnitTest fill[] = {cmocka_unit_test(test_codebuf_fill_1gib)};
        return cmocka_run_group_tests(fill, NULL, NULL);
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rule),
        cmocka_unit_test(test_layout_known),
        cmocka_unit_test(test_flush_once_at_threshold),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
