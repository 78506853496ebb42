/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What se_outcome reports when the path does not simply return (issue 9): the zero value,
 * error returns, the exit the kernel chose when that exit faulted, HLT and software interrupts
 * in the kernel, and why a machine could not be created.
 */
#include "se_test.h"

#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#define UIP    0x401000ull
#define USP    0x7fffffffd000ull
#define KCODE  0xffffffffc0000000ull /* free kernel text for hand-made entry points */
#define BADRIP (1ull << 47)

static const se_regs good_user = {
    .rax = 39, .rip = UIP, .rsp = USP, .rflags = 0x246, .cs = SE_USER_CS, .ss = SE_USER_DS};

static se_machine *mk(se_vendor v, uint32_t disabled, uint64_t budget)
{
    se_config cfg;
    se_config_default(&cfg);
    cfg.vendor = v;
    cfg.disabled_checks = disabled;
    if (budget != 0)
        cfg.insn_budget = budget;
    se_machine *m = NULL;
    assert_int_equal(se_machine_create(&cfg, &m), SE_OK);
    return m;
}

/* Poison the outcome so that a field the call forgot cannot pass for a zero it wrote. */
static void poison(se_outcome *o)
{
    memset(o, 0xA5, sizeof *o);
}

static void test_zero_outcome_is_no_exit(void **s)
{
    (void)s;
    se_outcome o;
    memset(&o, 0, sizeof o);
    assert_int_equal(o.path, SE_EXIT_NONE);
    assert_int_equal(o.chosen, SE_EXIT_NONE);
    assert_int_equal(o.stop, SE_STOP_NONE);
    assert_string_equal(se_exit_path_name(o.path), "none");
}

static void test_outcome_filled_on_argument_errors(void **s)
{
    (void)s;
    se_machine *m = mk(SE_VENDOR_INTEL, 0, 0);
    se_outcome o;
    se_regs u = good_user;
    u.cs = SE_USER32_CS;
    poison(&o);
    assert_int_equal(se_syscall(m, &u, &o), SE_ERR_INVALID_ARG);
    assert_int_equal(o.path, SE_EXIT_NONE);
    assert_int_equal(o.chosen, SE_EXIT_NONE);
    assert_int_equal(o.stop, SE_STOP_NONE);
    assert_int_equal(o.instructions, 0);
    poison(&o);
    assert_int_equal(se_syscall(m, NULL, &o), SE_ERR_INVALID_ARG);
    assert_int_equal(o.path, SE_EXIT_NONE);
    poison(&o);
    assert_int_equal(se_syscall(NULL, &good_user, &o), SE_ERR_INVALID_ARG);
    assert_int_equal(o.path, SE_EXIT_NONE);
    se_machine_destroy(m);
}

static void test_outcome_filled_on_limit(void **s)
{
    (void)s;
    se_machine *m = mk(SE_VENDOR_INTEL, 0, 20);
    se_outcome o;
    poison(&o);
    assert_int_equal(se_syscall(m, &good_user, &o), SE_ERR_LIMIT);
    /* the budget ran out in the kernel: no exit, no fault, and the registers are ring 0's */
    assert_int_equal(o.path, SE_EXIT_NONE);
    assert_int_equal(o.chosen, SE_EXIT_NONE);
    assert_int_equal(o.stop, SE_STOP_BUDGET);
    assert_int_equal(o.fault.kind, SE_FAULT_NONE);
    assert_int_equal(o.failed_check, SE_CHECK_NONE);
    assert_int_equal(o.cpl, 0);
    assert_true(o.instructions > 0 && o.instructions <= 20);
    assert_true(o.cycles > 0);
    se_machine_destroy(m);
}

/* sigreturn-style: ip = cx = a non-canonical address, r11 = flags, so that only C2 objects */
static void noncanon_handler(se_machine *m, long nr, se_pt_regs *r, void *ctx)
{
    (void)m;
    (void)nr;
    (void)ctx;
    r->ip = r->cx = BADRIP;
    r->r11 = r->flags;
}

static void test_chosen_exit_survives_its_fault(void **s)
{
    (void)s;
    se_outcome o;
    /* C2 patched out on Intel: SYSRETQ itself raises #GP(0) at CPL0 */
    se_machine *m = mk(SE_VENDOR_INTEL, SE_CHECK_BIT(SE_CHECK_CANONICAL), 0);
    se_set_syscall_handler(m, noncanon_handler, NULL);
    poison(&o);
    assert_int_equal(se_syscall(m, &good_user, &o), SE_OK);
    assert_int_equal(o.path, SE_EXIT_FAULT);
    assert_int_equal(o.chosen, SE_EXIT_SYSRET);
    assert_int_equal(o.stop, SE_STOP_FAULT);
    assert_int_equal(o.fault.vector, SE_VEC_GP);
    assert_int_equal(o.cpl, 0);
    se_machine_destroy(m);

    /* C2 in place: the return goes through IRETQ, which raises the #GP instead */
    m = mk(SE_VENDOR_INTEL, 0, 0);
    se_set_syscall_handler(m, noncanon_handler, NULL);
    poison(&o);
    assert_int_equal(se_syscall(m, &good_user, &o), SE_OK);
    assert_int_equal(o.path, SE_EXIT_FAULT);
    assert_int_equal(o.chosen, SE_EXIT_IRET);
    assert_int_equal(o.failed_check, SE_CHECK_CANONICAL);
    assert_int_equal(o.fault.vector, SE_VEC_GP);
    assert_int_equal(o.cpl, 0);
    se_machine_destroy(m);

    /* SYSCALL with EFER.SCE clear: #UD at CPL3 before the kernel chose anything */
    m = mk(SE_VENDOR_INTEL, 0, 0);
    se_fault f;
    uint64_t efer;
    assert_int_equal(se_msr_read(m, SE_MSR_IA32_EFER, &efer, &f), SE_OK);
    assert_int_equal(se_msr_write(m, SE_MSR_IA32_EFER, efer & ~SE_EFER_SCE, &f), SE_OK);
    assert_int_equal(f.kind, SE_FAULT_NONE);
    poison(&o);
    assert_int_equal(se_syscall(m, &good_user, &o), SE_OK);
    assert_int_equal(o.path, SE_EXIT_FAULT);
    assert_int_equal(o.chosen, SE_EXIT_NONE);
    assert_int_equal(o.fault.vector, SE_VEC_UD);
    assert_int_equal(o.cpl, 3); /* still the user's registers */
    se_machine_destroy(m);
}

/* A machine whose SYSCALL lands on `code` (in entry text, so PTI's user tables map it). */
static se_machine *mk_entry_at(const void *code, size_t len)
{
    se_machine *m = mk(SE_VENDOR_INTEL, 0, 0);
    se_fault f;
    assert_int_equal(se_load_kernel_code(m, KCODE, code, len, true), SE_OK);
    assert_int_equal(se_msr_write(m, SE_MSR_IA32_LSTAR, KCODE, &f), SE_OK);
    assert_int_equal(f.kind, SE_FAULT_NONE);
    return m;
}

static void test_hlt_is_neither_exit_nor_fault(void **s)
{
    (void)s;
    se_machine *m = mk_entry_at("\xf4", 1);
    se_outcome o;
    poison(&o);
    assert_int_equal(se_syscall(m, &good_user, &o), SE_OK);
    assert_int_equal(o.path, SE_EXIT_NONE);
    assert_int_equal(o.stop, SE_STOP_HLT);
    assert_int_equal(o.chosen, SE_EXIT_NONE);
    assert_int_equal(o.fault.kind, SE_FAULT_NONE);
    assert_int_equal(o.cpl, 0);
    se_assert_eq_hex("stopped on the HLT", o.user.rip, KCODE);
    se_machine_destroy(m);
}

static void test_int80_is_a_software_interrupt(void **s)
{
    (void)s;
    /* in the kernel, on the entry path */
    se_machine *m = mk_entry_at("\xcd\x80", 2);
    se_outcome o;
    poison(&o);
    assert_int_equal(se_syscall(m, &good_user, &o), SE_OK);
    assert_int_equal(o.path, SE_EXIT_FAULT);
    assert_int_equal(o.fault.vector, 0x80);
    assert_int_equal(o.fault.kind, SE_FAULT_SOFTWARE_INT);
    assert_int_equal(o.fault.cpl, 0);
    assert_string_equal(se_vector_name(o.fault.vector), "INT 0x80");
    assert_string_equal(se_fault_kind_name(o.fault.kind), "software_int");
    se_machine_destroy(m);

    /* in user mode, through se_run */
    m = mk(SE_VENDOR_INTEL, 0, 0);
    assert_int_equal(se_mem_map(m, UIP, 0x1000, SE_MAP_USER), SE_OK);
    assert_int_equal(se_mem_write(m, UIP, "\xcd\x80", 2), SE_OK);
    assert_int_equal(se_enter_user(m, &good_user), SE_OK);
    se_run_result r;
    assert_int_equal(se_run(m, NULL, &r), SE_OK);
    assert_int_equal(r.reason, SE_STOP_FAULT);
    assert_int_equal(r.fault.vector, 0x80);
    assert_int_equal(r.fault.kind, SE_FAULT_SOFTWARE_INT);
    assert_int_equal(r.fault.cpl, 3);
    se_machine_destroy(m);
}

/* Bytes of address space the process uses now (/proc/self/statm, first field, in pages). */
static unsigned long long vm_size(void)
{
    unsigned long long pages = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    assert_non_null(f);
    assert_int_equal(fscanf(f, "%llu", &pages), 1);
    fclose(f);
    return pages * (unsigned long long)sysconf(_SC_PAGESIZE);
}

static void test_create_ex_says_why(void **s)
{
    (void)s;
    char err[128];
    se_machine *m = (se_machine *)&m; /* must be reset to NULL */
    se_config cfg;
    se_config_default(&cfg);
    cfg.asid = 9;
    const char *why = NULL;
    assert_int_equal(se_config_validate(&cfg, &why), SE_ERR_INVALID_ARG);
    assert_int_equal(se_machine_create_ex(&cfg, &m, err, sizeof err), SE_ERR_INVALID_ARG);
    assert_null(m);
    assert_string_equal(err, why); /* the same words as se_config_validate() */
    /* truncated, still terminated; NULL or empty buffers are fine */
    char tiny[4];
    assert_int_equal(se_machine_create_ex(&cfg, &m, tiny, sizeof tiny), SE_ERR_INVALID_ARG);
    assert_int_equal(strlen(tiny), 3);
    assert_int_equal(se_machine_create_ex(&cfg, &m, NULL, 0), SE_ERR_INVALID_ARG);
    assert_int_equal(se_machine_create_ex(&cfg, &m, err, 0), SE_ERR_INVALID_ARG);
    assert_int_equal(se_machine_create_ex(&cfg, NULL, err, sizeof err), SE_ERR_INVALID_ARG);
    assert_string_equal(err, "out is NULL");

    /* a valid configuration the host cannot provide: guest RAM beyond the address-space limit
     * (lowered for this call only, and restored: raising a soft limit back is always allowed) */
    se_config_default(&cfg);
    cfg.phys_mem_size = 1u << 30;
    assert_int_equal(se_config_validate(&cfg, NULL), SE_OK);
    struct rlimit saved, low;
    assert_int_equal(getrlimit(RLIMIT_AS, &saved), 0);
    low = saved;
    low.rlim_cur = (rlim_t)(vm_size() + (256ull << 20));
    if (saved.rlim_cur != RLIM_INFINITY && saved.rlim_cur < low.rlim_cur)
        low.rlim_cur = saved.rlim_cur;
    assert_int_equal(setrlimit(RLIMIT_AS, &low), 0);
    se_status st = se_machine_create_ex(&cfg, &m, err, sizeof err);
    assert_int_equal(setrlimit(RLIMIT_AS, &saved), 0);
    assert_int_equal(st, SE_ERR_NOMEM);
    assert_null(m);
    assert_string_equal(err, "cannot allocate 1073741824 bytes of guest RAM (phys_mem_size) on "
                             "the host");

    /* success clears the buffer */
    strcpy(err, "stale");
    assert_int_equal(se_machine_create_ex(NULL, &m, err, sizeof err), SE_OK);
    assert_string_equal(err, "");
    se_machine_destroy(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_zero_outcome_is_no_exit),
        cmocka_unit_test(test_outcome_filled_on_argument_errors),
        cmocka_unit_test(test_outcome_filled_on_limit),
        cmocka_unit_test(test_chosen_exit_survives_its_fault),
        cmocka_unit_test(test_hlt_is_neither_exit_nor_fault),
        cmocka_unit_test(test_int80_is_a_software_interrupt),
        cmocka_unit_test(test_create_ex_says_why),
    };
    return cmocka_run_group_tests_name("outcome", tests, NULL, NULL);
}
