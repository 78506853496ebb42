/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The differential engine: two machines of the same configuration agree everywhere; a patched
 * out check is an unexplained difference; the 6.6 and 6.7 profiles differ only where the
 * profile explainer says; runs are deterministic; bad arguments are refused.
 */
#include <stdio.h>
#include <string.h>

#include "se_test.h"

#define SE_TEST_STATES 3000

static se_machine *make(se_kernel_profile k, uint32_t disabled, bool la57)
{
    se_config cfg;
    se_config_default(&cfg);
    cfg.kernel = k;
    cfg.disabled_checks = disabled;
    cfg.la57 = la57;
    se_machine *m = NULL;
    assert_int_equal(se_machine_create(&cfg, &m), SE_OK);
    return m;
}

typedef struct seen {
    unsigned calls, with_check, unexplained, printed;
} seen;

static void on_mismatch(const se_diff_mismatch *mm, void *ctx)
{
    seen *s = ctx;
    s->calls++;
    if (mm->fields & SE_DIFF_F_CHECK)
        s->with_check++;
    if (mm->explanation == NULL) {
        s->unexplained++;
        if (s->printed++ < 5) /* what a real finding would need to be looked at */
            printf("unexplained %s: fields 0x%x, a %s/%s, b %s/%s\n", mm->c->name, mm->fields,
                   se_exit_path_name(mm->a->path), se_check_name(mm->a->failed_check),
                   se_exit_path_name(mm->b->path), se_check_name(mm->b->failed_check));
    }
}

static void same_config_agrees(bool la57)
{
    se_machine *a = make(SE_KERNEL_6_6, 0, la57), *b = make(SE_KERNEL_6_6, 0, la57);
    seen s = {0};
    se_diff_options o = {.seed = 42,
                         .random_cases = SE_TEST_STATES,
                         .scenarios = true,
                         .on_mismatch = on_mismatch,
                         .mismatch_ctx = &s};
    se_diff_summary sum;
    assert_int_equal(se_diff_run(a, b, &o, &sum), SE_OK);
    size_t n;
    se_diff_scenarios(&n);
    assert_int_equal(sum.cases, n + SE_TEST_STATES);
    assert_int_equal(sum.agreed, sum.cases);
    assert_int_equal(sum.unexplained + sum.explained, 0);
    assert_int_equal(s.calls, 0);
    /* the generator reaches every check, and SYSRET */
    for (int c = SE_CHECK_NONE; c <= SE_CHECK_SS; c++)
        assert_true(sum.checks_a[c] > 0);
    se_machine_destroy(a);
    se_machine_destroy(b);
}

static void test_same_config_agrees(void **state)
{
    (void)state;
    same_config_agrees(false);
}

static void test_same_config_agrees_la57(void **state)
{
    (void)state;
    same_config_agrees(true);
}

static void test_disabled_check_unexplained(void **state)
{
    (void)state;
    se_machine *a = make(SE_KERNEL_6_6, 0, false);
    se_machine *b = make(SE_KERNEL_6_6, SE_CHECK_BIT(SE_CHECK_R11_FLAGS), false);
    seen s = {0};
    se_diff_options o = {.seed = 7,
                         .random_cases = 500,
                         .scenarios = true,
                         .on_mismatch = on_mismatch,
                         .mismatch_ctx = &s,
                         .explain = se_diff_explain_profiles};
    se_diff_summary sum;
    assert_int_equal(se_diff_run(a, b, &o, &sum), SE_OK);
    assert_true(sum.unexplained > 0);
    assert_int_equal(sum.explained, 0);
    assert_int_equal(s.calls, sum.unexplained);
    assert_true(s.with_check > 0);
    assert_true(sum.fields[3] > 0); /* SE_DIFF_F_CHECK is bit 3 */
    assert_int_equal(sum.checks_b[SE_CHECK_R11_FLAGS], 0);
    assert_true(sum.checks_a[SE_CHECK_R11_FLAGS] > 0);
    /* the run leaves no handler behind */
    se_regs u = se_diff_scenarios(NULL)[0].user;
    se_outcome out;
    assert_int_equal(se_syscall(a, &u, &out), SE_OK);
    assert_int_equal(out.frame.ax, (uint64_t)-SE_LINUX_ENOSYS);
    se_machine_destroy(a);
    se_machine_destroy(b);
}

static void profiles(se_kernel_profile ka, se_kernel_profile kb, bool la57)
{
    se_machine *a = make(ka, 0, la57), *b = make(kb, 0, la57);
    seen s = {0};
    se_diff_options o = {.seed = 1,
                         .random_cases = SE_TEST_STATES,
                         .scenarios = true,
                         .on_mismatch = on_mismatch,
                         .mismatch_ctx = &s,
                         .explain = se_diff_explain_profiles};
    se_diff_summary sum;
    assert_int_equal(se_diff_run(a, b, &o, &sum), SE_OK);
    printf("%s vs %s%s: %llu cases, %llu agree, %llu explained, %llu unexplained\n",
           se_kernel_name(ka), se_kernel_name(kb), la57 ? " (LA57)" : "",
           (unsigned long long)sum.cases, (unsigned long long)sum.agreed,
           (unsigned long long)sum.explained, (unsigned long long)sum.unexplained);
    assert_true(sum.explained > 0);
    assert_int_equal(sum.unexplained, 0);
    se_machine_destroy(a);
    se_machine_destroy(b);
}

static void test_profiles_explained(void **state)
{
    (void)state;
    profiles(SE_KERNEL_6_6, SE_KERNEL_6_7, false);
    profiles(SE_KERNEL_6_7, SE_KERNEL_6_6, true);
    profiles(SE_KERNEL_6_6, SE_KERNEL_6_12, false);
    profiles(SE_KERNEL_6_12, SE_KERNEL_6_7, false);
}

static void test_deterministic(void **state)
{
    (void)state;
    se_machine *a = make(SE_KERNEL_6_6, 0, false), *b = make(SE_KERNEL_6_7, 0, false);
    se_diff_options o = {.seed = 99, .random_cases = 300, .explain = se_diff_explain_profiles};
    se_diff_summary s1, s2;
    assert_int_equal(se_diff_run(a, b, &o, &s1), SE_OK);
    assert_int_equal(se_diff_run(a, b, &o, &s2), SE_OK);
    assert_memory_equal(&s1, &s2, sizeof s1);
    uint64_t x = 5, y = 5;
    se_config cfg;
    se_config_default(&cfg);
    se_diff_case c1, c2;
    for (int i = 0; i < 100; i++) {
        assert_int_equal(se_diff_random_case(&x, &cfg, &c1), SE_OK);
        assert_int_equal(se_diff_random_case(&y, &cfg, &c2), SE_OK);
        assert_memory_equal(&c1, &c2, sizeof c1);
    }
    se_machine_destroy(a);
    se_machine_destroy(b);
}

static void test_bad_arguments(void **state)
{
    (void)state;
    se_machine *a = make(SE_KERNEL_6_6, 0, false), *b = make(SE_KERNEL_6_6, 0, false);
    se_diff_options o = {.scenarios = true};
    se_diff_summary sum;
    assert_int_equal(se_diff_run(NULL, b, &o, &sum), SE_ERR_INVALID_ARG);
    assert_int_equal(se_diff_run(a, NULL, &o, &sum), SE_ERR_INVALID_ARG);
    assert_true(strstr(se_machine_last_error(a), "must not be NULL") != NULL);
    assert_int_equal(se_diff_run(a, b, NULL, &sum), SE_ERR_INVALID_ARG);
    assert_int_equal(se_diff_run(a, b, &o, NULL), SE_ERR_INVALID_ARG);
    assert_int_equal(se_diff_run(a, a, &o, &sum), SE_ERR_INVALID_ARG);
    assert_true(strstr(se_machine_last_error(a), "two machines") != NULL);
    se_config cfg;
    se_config_default(&cfg);
    se_diff_case c;
    uint64_t st = 0;
    assert_int_equal(se_diff_random_case(NULL, &cfg, &c), SE_ERR_INVALID_ARG);
    assert_int_equal(se_diff_random_case(&st, NULL, &c), SE_ERR_INVALID_ARG);
    assert_int_equal(se_diff_random_case(&st, &cfg, NULL), SE_ERR_INVALID_ARG);
    assert_null(se_diff_explain_profiles(NULL, NULL));
    assert_non_null(se_diff_scenarios(NULL));
    /* a good run clears the message */
    assert_int_equal(se_diff_run(a, b, &o, &sum), SE_OK);
    assert_string_equal(se_machine_last_error(a), "");
    se_machine_destroy(a);
    se_machine_destroy(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_config_agrees),
        cmocka_unit_test(test_same_config_agrees_la57),
        cmocka_unit_test(test_disabled_check_unexplained),
        cmocka_unit_test(test_profiles_explained),
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_bad_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
