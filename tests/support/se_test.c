/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "se_test.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct CMUnitTest *se_test_rows(const void *rows, size_t n_rows, size_t row_size,
                                CMUnitTestFunction fn)
{
    struct CMUnitTest *tests = calloc(n_rows, sizeof *tests);
    if (tests == NULL)
        return NULL;
    for (size_t i = 0; i < n_rows; i++) {
        const void *row = (const char *)rows + i * row_size;
        tests[i].name = *(const char *const *)row;
        tests[i].test_func = fn;
        tests[i].initial_state = (void *)(uintptr_t)row;
    }
    return tests;
}

void se_test_free_rows(struct CMUnitTest *tests)
{
    free(tests);
}

int se_test_run_rows(const char *group, const void *rows, size_t n_rows, size_t row_size,
                     CMUnitTestFunction fn)
{
    struct CMUnitTest *tests = se_test_rows(rows, n_rows, row_size, fn);
    if (tests == NULL) {
        fprintf(stderr, "%s: out of memory\n", group);
        return 1;
    }
    int failed = _cmocka_run_group_tests(group, tests, n_rows, NULL, NULL);
    se_test_free_rows(tests);
    return failed;
}

void se_assert_eq_hex_impl(const char *label, uint64_t actual, uint64_t expected, const char *file,
                           int line)
{
    if (actual != expected) {
        print_error("%s: got 0x%" PRIx64 ", expected 0x%" PRIx64 "\n", label, actual, expected);
        _fail(file, line);
    }
}

se_regs se_test_user_regs(uint64_t rip, uint64_t rax, uint64_t rsp)
{
    se_regs r;
    memset(&r, 0, sizeof r);
    r.rax = rax;
    r.rip = rip;
    r.rsp = rsp;
    r.rflags = SE_RFLAGS_IF | SE_RFLAGS_FIXED;
    r.cs = SE_USER_CS;
    r.ss = SE_USER_DS;
    return r;
}

se_run_result se_test_run_user(se_machine *m, uint64_t rip, uint64_t rax, uint64_t rsp,
                               uint64_t stop)
{
    se_regs r = se_test_user_regs(rip, rax, rsp);
    assert_int_equal(se_enter_user(m, &r), SE_OK);
    se_run_options o;
    memset(&o, 0, sizeof o);
    if (stop != 0)
        o.stop_at[o.n_stop_at++] = stop;
    se_run_result res;
    assert_int_equal(se_run(m, &o, &res), SE_OK);
    return res;
}
