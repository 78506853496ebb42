/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The cycle model's data: names, built-in profiles and their relations, the profile format. */
#include "se_test.h"

#include <string.h>

static void test_names(void **s)
{
    (void)s;
    for (int c = 0; c < SE_COST_CLASS_COUNT; c++) {
        assert_non_null(se_cost_class_name((se_cost_class)c));
        for (int d = 0; d < c; d++)
            assert_string_not_equal(se_cost_class_name((se_cost_class)c),
                                    se_cost_class_name((se_cost_class)d));
    }
    for (int p = 0; p < SE_PHASE_COUNT; p++)
        assert_non_null(se_phase_name((se_phase)p));
    assert_string_equal(se_cost_class_name(SE_COST_CLASS_COUNT), "unknown");
    assert_string_equal(se_phase_name(SE_PHASE_COUNT), "unknown");
    assert_string_equal(se_cost_class_name((se_cost_class)-1), "unknown");
}

static void test_builtin_profiles(void **s)
{
    (void)s;
    const char *names[] = {"skylake", "zen4"};
    for (int i = 0; i < 2; i++) {
        se_cost_profile p;
        assert_int_equal(se_cost_profile_builtin(names[i], &p), SE_OK);
        assert_string_equal(p.name, names[i]);
        assert_true(p.ghz > 1.0);
        for (int c = 0; c < SE_COST_CLASS_COUNT; c++)
            assert_true(p.cycles[c] >= 0);
        /* relations the model must keep (docs/cycle-model.md) */
        assert_true(p.cycles[SE_COST_MOV_CR3_NOFLUSH] < p.cycles[SE_COST_MOV_CR3_FLUSH]);
        assert_true(p.cycles[SE_COST_IRETQ] > p.cycles[SE_COST_SYSRET]);
        assert_true(p.cycles[SE_COST_WRMSR_SPEC_CTRL] > p.cycles[SE_COST_ALU]);
        assert_true(p.cycles[SE_COST_SYSCALL] + p.cycles[SE_COST_SYSRET] > 90); /* P1 */
    }
    se_cost_profile p;
    assert_int_equal(se_cost_profile_builtin("pentium", &p), SE_ERR_NOT_FOUND);
    assert_int_equal(se_cost_profile_builtin(NULL, &p), SE_ERR_INVALID_ARG);
    assert_int_equal(se_cost_profile_builtin("zen4", NULL), SE_ERR_INVALID_ARG);
}

#define ALL_CLASSES                                                                                \
    "alu 1\nload 1\nstore 1\npush 1\npop 1\nbranch 1\ncall 2\nret 2\nnop 0\nsyscall 50\n"          \
    "sysret 49\nswapgs 20\nmov_cr3_flush 250\nmov_cr3_noflush 190\nmov_from_cr 2\n"                \
    "wrmsr_spec_ctrl 700\nwrmsr 200\nrdmsr 40\niretq 280\nlfence 20\nverw 40\nother 5\n"           \
    "handler 95\n"

typedef struct parse_row {
    const char *name;
    const char *text;
    se_status status;
    const char *err_has; /* substring of the message, or NULL */
} parse_row;

static const parse_row parse_rows[] = {
    {"minimal", "name mine\nbase skylake\nalu 2\n", SE_OK, NULL},
    /* without base, every class and ghz are needed: a missing one would cost 0 */
    {"alu_only", "alu 3\n", SE_ERR_FORMAT, "missing: load store push"},
    {"no_ghz", ALL_CLASSES, SE_ERR_FORMAT, "missing: ghz"},
    {"complete", ALL_CLASSES "ghz 2\n", SE_OK, NULL},
    {"comments_blank_crlf", "# a profile\r\n\r\nname x # trailing\r\nbase zen4\r\nghz 3.5\r\n",
     SE_OK, NULL},
    {"base_then_override", "base zen4\nsysret 99\n", SE_OK, NULL},
    {"empty", "", SE_ERR_FORMAT, "missing: alu load"},
    {"comments_only", "# nothing\nname x\n", SE_ERR_FORMAT, "handler ghz"},
    {"unknown_key", "alu 1\nfrobs 2\n", SE_ERR_FORMAT, "line 2: unknown key: frobs"},
    {"duplicate_key", "alu 1\nalu 2\n", SE_ERR_FORMAT, "line 2: duplicate key"},
    {"negative", "swapgs -1\n", SE_ERR_FORMAT, "line 1: bad number"},
    {"nan", "swapgs nan\n", SE_ERR_FORMAT, "bad number"},
    {"inf", "swapgs inf\n", SE_ERR_FORMAT, "bad number"},
    {"garbage_number", "swapgs 12x\n", SE_ERR_FORMAT, "bad number"},
    {"missing_value", "swapgs\n", SE_ERR_FORMAT, "expected"},
    {"extra_token", "swapgs 1 2\n", SE_ERR_FORMAT, "expected"},
    {"unknown_base", "base pentium\n", SE_ERR_FORMAT, "unknown built-in profile"},
    {"long_line",
     "# xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n",
     SE_ERR_FORMAT, "longer than 255"},
};

static void test_parse(void **state)
{
    const parse_row *row = *state;
    se_cost_profile p;
    char err[512]; /* room for the whole list of missing keys */
    se_status st = se_cost_profile_parse(row->text, &p, err, sizeof err);
    assert_int_equal(st, row->status);
    if (row->err_has != NULL)
        assert_non_null(strstr(err, row->err_has));
    if (st == SE_OK && strcmp(row->name, "base_then_override") == 0) {
        se_cost_profile z;
        se_cost_profile_builtin("zen4", &z);
        assert_true(p.cycles[SE_COST_SYSRET] == 99);
        assert_true(p.cycles[SE_COST_IRETQ] == z.cycles[SE_COST_IRETQ]);
        assert_true(p.ghz == z.ghz);
    }
    if (st == SE_OK && strcmp(row->name, "complete") == 0) {
        assert_string_equal(p.name, "custom");
        assert_true(p.cycles[SE_COST_HANDLER] == 95 && p.ghz == 2);
    }
    if (st == SE_OK && strcmp(row->name, "comments_blank_crlf") == 0) {
        assert_string_equal(p.name, "x");
        assert_true(p.ghz == 3.5);
    }
}

static void test_parse_arguments(void **s)
{
    (void)s;
    se_cost_profile p;
    assert_int_equal(se_cost_profile_parse(NULL, &p, NULL, 0), SE_ERR_INVALID_ARG);
    assert_int_equal(se_cost_profile_parse("alu 1", NULL, NULL, 0), SE_ERR_INVALID_ARG);
    assert_int_equal(se_cost_profile_parse("base zen4\nalu 1", &p, NULL, 0), SE_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_builtin_profiles),
        cmocka_unit_test(test_parse_arguments),
    };
    int failed = cmocka_run_group_tests_name("timing", tests, NULL, NULL);
    failed += SE_TEST_RUN_ROWS("timing_profile_parse", parse_rows, test_parse);
    return failed != 0;
}
