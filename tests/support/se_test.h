/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Shared test support: cmocka prerequisites (1.1.5 does not include them itself) and helpers
 * for table-driven tests, where every row of a static table becomes one named cmocka test.
 */
#ifndef SE_TEST_H
#define SE_TEST_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdbool.h>
#include <cmocka.h>

#include <sysentry/sysentry.h>

/*
 * Build one CMUnitTest per row: rows is an array of structs whose first member is
 * `const char *name`; each test receives a pointer to its row as *state.
 * Returns a calloc'ed array the caller frees with se_test_free_rows().
 */
struct CMUnitTest *se_test_rows(const void *rows, size_t n_rows, size_t row_size,
                                CMUnitTestFunction fn);
void se_test_free_rows(struct CMUnitTest *tests);

/* Run a group built by se_test_rows and free it; returns the number of failures. */
int se_test_run_rows(const char *group, const void *rows, size_t n_rows, size_t row_size,
                     CMUnitTestFunction fn);

#define SE_TEST_RUN_ROWS(group, rows, fn)                                                          \
    se_test_run_rows((group), (rows), sizeof(rows) / sizeof((rows)[0]), sizeof((rows)[0]), (fn))

/* assert two 64-bit values are equal, printing both in hex with a label on failure */
#define se_assert_eq_hex(label, actual, expected)                                                  \
    se_assert_eq_hex_impl((label), (uint64_t)(actual), (uint64_t)(expected), __FILE__, __LINE__)
void se_assert_eq_hex_impl(const char *label, uint64_t actual, uint64_t expected, const char *file,
                           int line);

/* User-mode registers: rip, RAX rax, RSP rsp, IF set, the user selectors; the rest zero. */
se_regs se_test_user_regs(uint64_t rip, uint64_t rax, uint64_t rsp);

/* Enter user mode at rip with RAX rax, RSP rsp and IF set, and run until the stop address
 * (0: none); asserts that both calls succeed and returns the run's result. */
se_run_result se_test_run_user(se_machine *m, uint64_t rip, uint64_t rax, uint64_t rsp,
                               uint64_t stop);

#endif
