/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The least-squares and leave-one-out arithmetic of the calibration (src/timing/lsq.c), on
 * synthetic data whose answers are known in closed form. */
#include "se_test.h"

#include <math.h>

#include "timing/lsq.h"

/* An exactly consistent overdetermined system: the fit recovers the generating constants. */
static void test_exact_recovery(void **s)
{
    (void)s;
    const double a[] = {1, 0, 2, 1, 1, 0, 0, 3, 1, 2, 2, 2, 1, 0, 0, 0, 1, 5};
    const double x_true[] = {2, -1, 3};
    double b[6], x[3];
    for (int i = 0; i < 6; i++)
        b[i] = a[i * 3] * x_true[0] + a[i * 3 + 1] * x_true[1] + a[i * 3 + 2] * x_true[2];
    assert_int_equal(se_lsq_solve(a, b, 6, 3, x), 3);
    for (int j = 0; j < 3; j++)
        assert_true(fabs(x[j] - x_true[j]) < 1e-9);
    /* consistent data: every held-out row is predicted exactly */
    double pred[6];
    bool ok[6];
    assert_int_equal(se_lsq_leave_one_out(a, b, 6, 3, pred, ok), 0);
    for (int i = 0; i < 6; i++) {
        assert_true(ok[i]);
        assert_true(fabs(pred[i] - b[i]) < 1e-9);
    }
}

/* A straight line through (0,1) (1,3) (2,5) (3,8): slope Sxy/Sxx = 11.5/5 = 2.3, intercept
 * 4.25 - 2.3 * 1.5 = 0.8. Holding out (3,8), the other three lie on y = 1 + 2t: 7. */
static void test_line_fit(void **s)
{
    (void)s;
    const double a[] = {1, 0, 1, 1, 1, 2, 1, 3};
    const double b[] = {1, 3, 5, 8};
    double x[2];
    assert_int_equal(se_lsq_solve(a, b, 4, 2, x), 2);
    assert_true(fabs(x[0] - 0.8) < 1e-9);
    assert_true(fabs(x[1] - 2.3) < 1e-9);
    double pred[4];
    bool ok[4];
    assert_int_equal(se_lsq_leave_one_out(a, b, 4, 2, pred, ok), 0);
    assert_true(ok[3]);
    assert_true(fabs(pred[3] - 7.0) < 1e-9);
    /* holding out (0,1): (1,3) (2,5) (3,8) give slope 2.5, intercept 0.5 - 1/6 */
    assert_true(ok[0]);
    assert_true(fabs(pred[0] - (0.5 - 1.0 / 6.0)) < 1e-9);
}

/* A constant seen by a single row: the fit reproduces that row, and leave-one-out must say
 * the row cannot be predicted rather than invent a value. Column 0 is shared by all rows
 * (mean of the others), column 1 only appears in row 3. */
static void test_single_anchor_constant(void **s)
{
    (void)s;
    const double a[] = {1, 0, 1, 0, 1, 0, 1, 2};
    const double b[] = {1, 2, 3, 20};
    double x[2];
    assert_int_equal(se_lsq_solve(a, b, 4, 2, x), 2);
    assert_true(fabs(x[0] - 2.0) < 1e-9); /* mean of rows 0-2 */
    assert_true(fabs(x[1] - 9.0) < 1e-9); /* (20 - 2) / 2 */
    double pred[4];
    bool ok[4];
    assert_int_equal(se_lsq_leave_one_out(a, b, 4, 2, pred, ok), 0);
    assert_true(ok[0] && ok[1] && ok[2]);
    assert_true(fabs(pred[0] - 2.5) < 1e-9); /* mean of 2 and 3 */
    assert_true(fabs(pred[1] - 2.0) < 1e-9); /* mean of 1 and 3 */
    assert_true(fabs(pred[2] - 1.5) < 1e-9); /* mean of 1 and 2 */
    assert_false(ok[3]);
    assert_true(isnan(pred[3]));
}

/* Rank and row-space membership, including a rank-deficient system whose basic solution still
 * reproduces the determined combination. */
static void test_rank_rowspace(void **s)
{
    (void)s;
    const double a[] = {1, 1, 0, 2, 2, 0, 0, 0, 1};
    assert_int_equal(se_lsq_rank(a, 3, 3), 2);
    const double in[] = {3, 3, 5}, out[] = {1, 0, 0};
    assert_true(se_lsq_in_rowspace(a, 3, 3, in));
    assert_false(se_lsq_in_rowspace(a, 3, 3, out));
    const double b[] = {4, 8, 7};
    double x[3];
    assert_int_equal(se_lsq_solve(a, b, 3, 3, x), 2);
    assert_true(fabs(x[0] + x[1] - 4.0) < 1e-9);
    assert_true(fabs(x[2] - 7.0) < 1e-9);
    /* bad sizes are refused */
    assert_int_equal(se_lsq_solve(a, b, 3, 0, x), -1);
    assert_int_equal(se_lsq_rank(a, SE_LSQ_MAX + 1, 3), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exact_recovery),
        cmocka_unit_test(test_line_fit),
        cmocka_unit_test(test_single_anchor_constant),
        cmocka_unit_test(test_rank_rowspace),
    };
    return cmocka_run_group_tests_name("lsq", tests, NULL, NULL) != 0;
}
