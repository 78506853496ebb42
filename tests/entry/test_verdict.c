/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The C reference of the SYSRET-or-IRET decision (src/entry/verdict.c), for both kernel
 * profiles: every check failing alone, the verdict examples of arch/x86/entry/entry_64.S@v6.6;
 * common.c@v6.7, the canonical boundaries (CANON-4/5), the order in which several failures are
 * reported, and disabled checks.
 */
#include "se_test.h"

#include <string.h>

#include <sysentry/arch.h>

#include "entry/verdict.h"

/* A clean state after a plain syscall: ip == cx in user space, r11 == flags (IF set). */
#define SE_T_UIP   0x401002ull
#define SE_T_FLAGS (SE_RFLAGS_IF | SE_RFLAGS_FIXED | SE_RFLAGS_ZF | SE_RFLAGS_PF)

enum se_t_field {
    F_NONE = 0,
    F_IP,    /* ip only */
    F_CX,    /* cx only */
    F_IP_CX, /* ip and cx (SYSRET could still use it: C1 passes) */
    F_R11,   /* r11 only */
    F_FLAGS, /* flags only */
    F_R11_FLAGS /* r11 and flags (C4 passes) */,
    F_CS,
    F_SS,
};

struct se_t_mod {
    enum se_t_field field;
    uint64_t value;
};

struct verdict_row {
    const char *name;
    struct se_t_mod mod[3];
    bool la57;
    uint32_t disabled;
    bool xen_pv;
    se_check want_6_6;
    se_check want_6_7;
};

#define BIT(c)    SE_CHECK_BIT(SE_CHECK_##c)
#define NONE      SE_CHECK_NONE
#define RCX_RIP   SE_CHECK_RCX_RIP
#define CANONICAL SE_CHECK_CANONICAL
#define CS        SE_CHECK_CS
#define R11_FLAGS SE_CHECK_R11_FLAGS
#define RF_TF     SE_CHECK_RF_TF
#define SS        SE_CHECK_SS
#define XEN_PV    SE_CHECK_XEN_PV
#define TOP_PAGE  (SE_TASK_SIZE_MAX_4LEVEL) /* 0x7FFF_FFFF_F000, highest mappable page */
#define VSYSCALL  0xFFFFFFFFFF600000ull     /* the deprecated vsyscall page */
#define HIGH_HALF 0xFFFF800000000000ull     /* lowest canonical high-half address */
#define TF_FLAGS  (SE_T_FLAGS | SE_RFLAGS_TF)
#define RF_FLAGS  (SE_T_FLAGS | SE_RFLAGS_RF)

static const struct verdict_row verdict_rows[] = {
    /* ---- nothing fails ---------------------------------------------------------------- */
    {"clean_sysret", {{F_NONE, 0}}, false, 0, false, NONE, NONE},
    {"clean_la57_sysret", {{F_NONE, 0}}, true, 0, false, NONE, NONE},
    {"flags_nt_ac_df_keep_sysret", /* syscall_nt.c: flags SYSRET can restore */
     {{F_R11_FLAGS, SE_T_FLAGS | SE_RFLAGS_NT | SE_RFLAGS_AC | SE_RFLAGS_DF}},
     false,
     0,
     false,
     NONE,
     NONE},
    {"ip_zero_sysret", {{F_IP_CX, 0}}, false, 0, false, NONE, NONE},

    /* ---- each check failing alone ----------------------------------------------------- */
    {"c0_xen_pv_iret", {{F_NONE, 0}}, false, 0, true, XEN_PV, XEN_PV},
    {"c1_restart_ip_minus_2_iret", {{F_IP, SE_T_UIP - 2}}, false, 0, false, RCX_RIP, RCX_RIP},
    {"c1_cx_changed_iret", {{F_CX, 0x1234}}, false, 0, false, RCX_RIP, RCX_RIP},
    {"c2_bit47_4level_iret", {{F_IP_CX, 1ull << 47}}, false, 0, false, CANONICAL, CANONICAL},
    {"c3_cs_user32_iret", {{F_CS, SE_USER32_CS}}, false, 0, false, CS, CS},
    {"c3_cs_high_bits_iret", {{F_CS, (1ull << 16) | SE_USER_CS}}, false, 0, false, CS, CS},
    {"c4_r11_differs_iret",
     {{F_R11, SE_T_FLAGS | SE_RFLAGS_CF}},
     false,
     0,
     false,
     R11_FLAGS,
     R11_FLAGS},
    {"c4_flags_differ_iret",
     {{F_FLAGS, SE_T_FLAGS & ~SE_RFLAGS_ZF}},
     false,
     0,
     false,
     R11_FLAGS,
     R11_FLAGS},
    {"c5_tf_iret", {{F_R11_FLAGS, TF_FLAGS}}, false, 0, false, RF_TF, RF_TF},
    {"c5_rf_iret", {{F_R11_FLAGS, RF_FLAGS}}, false, 0, false, RF_TF, RF_TF},
    {"c6_ss_null_iret", {{F_SS, 0}}, false, 0, false, SS, SS},
    {"c6_ss_high_bits_iret", {{F_SS, (1ull << 32) | SE_USER_DS}}, false, 0, false, SS, SS},

    /* ---- arch/x86/entry/entry_64.S@v6.6; common.c@v6.7 verdict examples
       ------------------------------------------ */
    {"doc_clean", {{F_NONE, 0}}, false, 0, false, NONE, NONE},
    {"doc_top_user_page", {{F_IP_CX, TOP_PAGE}}, false, 0, false, NONE, CANONICAL},
    {"doc_vsyscall_page", {{F_IP_CX, VSYSCALL}}, false, 0, false, NONE, CANONICAL},
    {"doc_high_half", {{F_IP_CX, HIGH_HALF}}, false, 0, false, NONE, CANONICAL},
    {"doc_bit47_4level", {{F_IP_CX, 1ull << 47}}, false, 0, false, CANONICAL, CANONICAL},
    {"doc_bit47_la57", {{F_IP_CX, 1ull << 47}}, true, 0, false, NONE, NONE},
    {"doc_restart", {{F_IP, SE_T_UIP - 2}}, false, 0, false, RCX_RIP, RCX_RIP},
    {"doc_tf", {{F_R11_FLAGS, TF_FLAGS}}, false, 0, false, RF_TF, RF_TF},
    {"doc_cs_user32", {{F_CS, SE_USER32_CS}}, false, 0, false, CS, CS},

    /* ---- boundaries (CANON-4, TASK_SIZE_MAX) ------------------------------------------ */
    {"below_task_size_max", {{F_IP_CX, TOP_PAGE - 1}}, false, 0, false, NONE, NONE},
    {"highest_low_half_4level", {{F_IP_CX, (1ull << 47) - 1}}, false, 0, false, NONE, CANONICAL},
    {"vsyscall_la57", {{F_IP_CX, VSYSCALL}}, true, 0, false, NONE, CANONICAL},
    {"bit63_4level", {{F_IP_CX, 1ull << 63}}, false, 0, false, CANONICAL, CANONICAL},
    {"bit63_la57", {{F_IP_CX, 1ull << 63}}, true, 0, false, CANONICAL, CANONICAL},
    {"top_page_la57", {{F_IP_CX, SE_TASK_SIZE_MAX_5LEVEL}}, true, 0, false, NONE, CANONICAL},
    {"below_top_page_la57", {{F_IP_CX, SE_TASK_SIZE_MAX_5LEVEL - 1}}, true, 0, false, NONE, NONE},
    {"bit56_la57", {{F_IP_CX, 1ull << 56}}, true, 0, false, CANONICAL, CANONICAL},
    {"high_half_la57", {{F_IP_CX, 0xFF00000000000000ull}}, true, 0, false, NONE, CANONICAL},
    {"just_below_high_half_la57",
     {{F_IP_CX, 0xFEFFFFFFFFFFFFFFull}},
     true,
     0,
     false,
     CANONICAL,
     CANONICAL},

    /* ---- several failures: which one is reported -------------------------------------- */
    {"xen_beats_everything",
     {{F_IP, 1ull << 63}, {F_CS, 0}, {F_SS, 0}},
     false,
     0,
     true,
     XEN_PV,
     XEN_PV},
    {"c1_before_c3", {{F_CX, 1}, {F_CS, SE_USER32_CS}}, false, 0, false, RCX_RIP, RCX_RIP},
    {"noncanonical_and_cs", /* 6.6: C2 before C3; 6.7: cs/ss before the ip bound */
     {{F_IP_CX, 1ull << 47}, {F_CS, SE_USER32_CS}},
     false,
     0,
     false,
     CANONICAL,
     CS},
    {"cs_and_r11", /* 6.6: C3 before C4; 6.7: the cx/r11 pair first */
     {{F_CS, SE_USER32_CS}, {F_R11, 0}},
     false,
     0,
     false,
     CS,
     R11_FLAGS},
    {"tf_and_ss", /* 6.6: C5 before C6; 6.7: cs/ss before RF/TF */
     {{F_R11_FLAGS, TF_FLAGS}, {F_SS, 0}},
     false,
     0,
     false,
     RF_TF,
     SS},
    {"noncanonical_and_r11", /* 6.6: C2 first; 6.7: r11 before the ip bound */
     {{F_IP_CX, 1ull << 48}, {F_FLAGS, TF_FLAGS}},
     false,
     0,
     false,
     CANONICAL,
     R11_FLAGS},
    {"top_page_and_tf",
     {{F_IP_CX, TOP_PAGE}, {F_R11_FLAGS, TF_FLAGS}},
     false,
     0,
     false,
     RF_TF,
     CANONICAL},

    /* ---- disabled checks -------------------------------------------------------------- */
    {"c0_disabled_xen", {{F_NONE, 0}}, false, BIT(XEN_PV), true, NONE, NONE},
    /* 6.6's C2 compares sign-extended cx with ip, as Linux does: it also catches cx != ip */
    {"c1_disabled_c2_catches_cx_ne_ip",
     {{F_IP, SE_T_UIP - 2}},
     false,
     BIT(RCX_RIP),
     false,
     CANONICAL,
     NONE},
    {"c2_disabled", {{F_IP_CX, 1ull << 47}}, false, BIT(CANONICAL), false, NONE, NONE},
    {"c2_disabled_top_page_6_7", {{F_IP_CX, TOP_PAGE}}, false, BIT(CANONICAL), false, NONE, NONE},
    {"c3_disabled", {{F_CS, SE_USER32_CS}}, false, BIT(CS), false, NONE, NONE},
    {"c4_disabled", {{F_R11, 0}}, false, BIT(R11_FLAGS), false, NONE, NONE},
    {"c5_disabled", {{F_R11_FLAGS, TF_FLAGS}}, false, BIT(RF_TF), false, NONE, NONE},
    {"c6_disabled", {{F_SS, 0}}, false, BIT(SS), false, NONE, NONE},
    {"c1_c2_disabled_reveals_c3",
     {{F_CX, 1}, {F_CS, SE_USER32_CS}},
     false,
     BIT(RCX_RIP) | BIT(CANONICAL),
     false,
     CS,
     CS},
    {"c2_disabled_reveals_c3",
     {{F_IP_CX, 1ull << 47}, {F_CS, SE_USER32_CS}},
     false,
     BIT(CANONICAL),
     false,
     CS,
     CS},
    /* C1 off: a non-canonical cx whose sign-extension equals ip passes 6.6's C2 (as in Linux:
     * C1 and C2 protect SYSRET together); found by AFL++ */
    {"c1_disabled_c2_blind_to_high_cx_bits",
     {{F_CX, (0x0cull << 56) | SE_T_UIP}},
     false,
     BIT(RCX_RIP),
     false,
     NONE,
     NONE},
    {"c2_tests_the_cx_sysret_loads", /* C1 off: 6.6's C2 still sees a non-canonical cx */
     {{F_CX, 1ull << 47}},
     false,
     BIT(RCX_RIP),
     false,
     CANONICAL,
     NONE},
    {"c5_tests_flags_not_r11", /* C4 off: TF only in r11 is not seen by C5 */
     {{F_R11, TF_FLAGS}},
     false,
     BIT(R11_FLAGS),
     false,
     NONE,
     NONE},
    {"unrelated_check_disabled",
     {{F_CS, SE_USER32_CS}},
     false,
     BIT(SS) | BIT(RF_TF),
     false,
     CS,
     CS},
    {"all_disabled",
     {{F_IP, 1ull << 63}, {F_CS, 0}, {F_SS, 0}},
     false,
     SE_CHECK_ALL_BITS,
     true,
     NONE,
     NONE},
};

static void se_t_apply(se_pt_regs *r, const struct se_t_mod *m)
{
    switch (m->field) {
    case F_NONE:
        break;
    case F_IP:
        r->ip = m->value;
        break;
    case F_CX:
        r->cx = m->value;
        break;
    case F_IP_CX:
        r->ip = r->cx = m->value;
        break;
    case F_R11:
        r->r11 = m->value;
        break;
    case F_FLAGS:
        r->flags = m->value;
        break;
    case F_R11_FLAGS:
        r->r11 = r->flags = m->value;
        break;
    case F_CS:
        r->cs = m->value;
        break;
    case F_SS:
        r->ss = m->value;
        break;
    }
}

static se_pt_regs se_t_clean_regs(void)
{
    se_pt_regs r;
    memset(&r, 0, sizeof r);
    r.ip = r.cx = SE_T_UIP;
    r.r11 = r.flags = SE_T_FLAGS;
    r.cs = SE_USER_CS;
    r.ss = SE_USER_DS;
    r.sp = 0x7FFFFFFFE000ull;
    r.ax = 0;
    r.orig_ax = 39; /* getpid */
    return r;
}

static void test_verdict_row(void **state)
{
    const struct verdict_row *row = *state;
    se_pt_regs r = se_t_clean_regs();
    for (size_t i = 0; i < sizeof row->mod / sizeof row->mod[0]; i++)
        se_t_apply(&r, &row->mod[i]);
    se_check got66 = se_verdict_6_6(&r, row->la57, row->disabled, row->xen_pv);
    se_check got67 = se_verdict_6_7(&r, row->la57, row->disabled, row->xen_pv);
    if (got66 != row->want_6_6 || got67 != row->want_6_7)
        print_error("%s: 6.6 %s (want %s), 6.7 %s (want %s)\n", row->name, se_check_name(got66),
                    se_check_name(row->want_6_6), se_check_name(got67),
                    se_check_name(row->want_6_7));
    assert_int_equal(got66, row->want_6_6);
    assert_int_equal(got67, row->want_6_7);
}

/* sysret_rip.c series (CANON-5): RIP = RCX = 1 << i for i = 47..63. 4-level: all of them
 * fail C2. LA57: i = 47..55 are canonical, 56..63 are not. 6.7: the bound gives the same
 * answer except that nothing above TASK_SIZE_MAX passes. */
static void test_verdict_sysret_rip_series(void **state)
{
    (void)state;
    for (unsigned i = 47; i <= 63; i++) {
        se_pt_regs r = se_t_clean_regs();
        r.ip = r.cx = 1ull << i;
        assert_int_equal(se_verdict_6_6(&r, false, 0, false), SE_CHECK_CANONICAL);
        assert_int_equal(se_verdict_6_7(&r, false, 0, false), SE_CHECK_CANONICAL);
        se_check want_la57 = i <= 55 ? SE_CHECK_NONE : SE_CHECK_CANONICAL;
        assert_int_equal(se_verdict_6_6(&r, true, 0, false), want_la57);
        assert_int_equal(se_verdict_6_7(&r, true, 0, false), want_la57);
        /* the SYSCALL-falls-through targets (1 << i) - 4096: canonical only for LA57 (6.6) */
        r.ip = r.cx = (1ull << i) - 4096;
        se_check want_66_4 = i == 47 ? SE_CHECK_NONE : SE_CHECK_CANONICAL;
        assert_int_equal(se_verdict_6_6(&r, false, 0, false), want_66_4);
        assert_int_equal(se_verdict_6_7(&r, false, 0, false), SE_CHECK_CANONICAL);
    }
}

/* Only the six slots the checks read matter: garbage elsewhere never changes the verdict. */
static void test_verdict_ignores_other_slots(void **state)
{
    (void)state;
    se_pt_regs r = se_t_clean_regs();
    uint64_t *words = (uint64_t *)(void *)&r;
    const size_t checked[] = {offsetof(se_pt_regs, ip),  offsetof(se_pt_regs, cx),
                              offsetof(se_pt_regs, r11), offsetof(se_pt_regs, flags),
                              offsetof(se_pt_regs, cs),  offsetof(se_pt_regs, ss)};
    for (size_t w = 0; w < sizeof r / sizeof(uint64_t); w++) {
        bool is_checked = false;
        for (size_t k = 0; k < sizeof checked / sizeof checked[0]; k++)
            is_checked = is_checked || checked[k] == w * sizeof(uint64_t);
        if (!is_checked)
            words[w] = 0xDEADBEEFCAFEF00Dull ^ w;
    }
    assert_int_equal(se_verdict_6_6(&r, false, 0, false), SE_CHECK_NONE);
    assert_int_equal(se_verdict_6_7(&r, false, 0, false), SE_CHECK_NONE);
    assert_int_equal(se_verdict_6_12(&r, false, 0, false), SE_CHECK_NONE);
}

/* cs and ss slots with garbage above the selector: 6.6 (cmpq) and 6.7 (unsigned long in
 * pt_regs) see another value and use IRET; from 6.9 pt_regs->cs/ss are u16 in a union with
 * the 64-bit slot and the compare is 16 bits wide (Debian's 6.12 compiles it to `cmpw`), so
 * only the selector counts. Found by the entry fuzzer on the real 6.12 image. */
static void test_verdict_selector_width(void **state)
{
    (void)state;
    static const uint64_t high[] = {1ull << 16, 0xffffull << 16, 1ull << 63};
    for (size_t i = 0; i < sizeof high / sizeof high[0]; i++) {
        se_pt_regs r = se_t_clean_regs();
        r.cs |= high[i];
        assert_int_equal(se_verdict_6_6(&r, false, 0, false), SE_CHECK_CS);
        assert_int_equal(se_verdict_6_7(&r, false, 0, false), SE_CHECK_CS);
        assert_int_equal(se_verdict_6_12(&r, false, 0, false), SE_CHECK_NONE);
        assert_int_equal(se_verdict(SE_KERNEL_6_12, &r, false, 0, false), SE_CHECK_NONE);
        r = se_t_clean_regs();
        r.ss |= high[i];
        assert_int_equal(se_verdict_6_6(&r, false, 0, false), SE_CHECK_SS);
        assert_int_equal(se_verdict_6_7(&r, false, 0, false), SE_CHECK_SS);
        assert_int_equal(se_verdict_6_12(&r, false, 0, false), SE_CHECK_NONE);
        /* the selector itself still decides */
        r = se_t_clean_regs();
        r.cs = (r.cs & ~0xffffull) | 0x23 | high[i];
        assert_int_equal(se_verdict_6_12(&r, false, 0, false), SE_CHECK_CS);
        r = se_t_clean_regs();
        r.ss = 0x63 | high[i];
        assert_int_equal(se_verdict_6_12(&r, false, 0, false), SE_CHECK_SS);
    }
}

int main(void)
{
    int failed = SE_TEST_RUN_ROWS("verdict_rows", verdict_rows, test_verdict_row);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_verdict_sysret_rip_series),
        cmocka_unit_test(test_verdict_ignores_other_slots),
        cmocka_unit_test(test_verdict_selector_width),
    };
    failed += cmocka_run_group_tests_name("verdict", tests, NULL, NULL);
    return failed;
}
