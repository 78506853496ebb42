/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Every public function with NULL, out-of-range and inconsistent arguments: a clear status,
 * never a crash (issue 6). One test per area of the API.
 */
#include "se_test.h"

#include <string.h>

static se_machine *machine(void)
{
    se_machine *m = NULL;
    assert_int_equal(se_machine_create(NULL, &m), SE_OK);
    return m;
}

static const se_regs good_user = {.rax = 39,
                                  .rip = 0x401000,
                                  .rsp = 0x7fffffffe000,
                                  .rflags = 0x246,
                                  .cs = SE_USER_CS,
                                  .ss = SE_USER_DS};

static void test_names_and_versions(void **s)
{
    (void)s;
    for (int st = 0; st <= SE_STATUS_MAX_VALUE; st++)
        assert_string_not_equal(se_status_str((se_status)st), "unknown");
    /* out of range: "unknown", never NULL, so callers can print a corrupt value (issue 9) */
    assert_string_equal(se_status_str((se_status)999), "unknown");
    assert_string_equal(se_status_str((se_status)-1), "unknown");
    assert_string_equal(se_vector_name(SE_VEC_GP), "#GP");
    assert_string_equal(se_vector_name(15), "unknown"); /* reserved by the SDM */
    assert_string_equal(se_vector_name(31), "unknown");
    assert_string_equal(se_vector_name(32), "INT 0x20");
    assert_string_equal(se_vector_name(0x80), "INT 0x80");
    assert_string_equal(se_vector_name(200), "INT 0xc8");
    assert_string_equal(se_vector_name(255), "INT 0xff");
    assert_string_equal(se_vendor_name((se_vendor)9), "unknown");
    assert_string_equal(se_check_name((se_check)99), "unknown");
    assert_string_equal(se_check_name((se_check)-1), "unknown");
    assert_string_equal(se_exit_path_name((se_exit_path)9), "unknown");
    assert_string_equal(se_exit_path_name(SE_EXIT_NONE), "none");
    assert_string_equal(se_fault_kind_name((se_fault_kind)7), "unknown");
    assert_string_equal(se_fault_kind_name(SE_FAULT_SOFTWARE_INT), "software_int");
    assert_string_equal(se_cost_class_name(SE_COST_CLASS_COUNT), "unknown");
    assert_string_equal(se_phase_name(SE_PHASE_COUNT), "unknown");
    for (int p = 0; p <= SE_EXIT_PATH_MAX_VALUE; p++)
        assert_string_not_equal(se_exit_path_name((se_exit_path)p), "unknown");
    for (int k = 0; k <= SE_FAULT_KIND_MAX_VALUE; k++)
        assert_string_not_equal(se_fault_kind_name((se_fault_kind)k), "unknown");
    assert_int_equal(se_version(), SE_VERSION);
    /* the engine the library was linked with, as loaded: the supported 2.0.x or 2.1.x */
    uint32_t ev = se_engine_version();
    assert_int_equal(ev >> 16, 2);
    assert_true(((ev >> 8) & 0xFF) <= 1);
    assert_string_equal(se_machine_last_error(NULL), "machine is NULL");
}

static void test_config(void **s)
{
    (void)s;
    se_config_default(NULL); /* ignored */
    const char *why;
    assert_int_equal(se_config_validate(NULL, &why), SE_ERR_INVALID_ARG);
    se_config c;
    se_config_default(&c);
    assert_int_equal(se_config_validate(&c, NULL), SE_OK);
    c.kernel = (se_kernel_profile)7;
    assert_int_equal(se_config_validate(&c, &why), SE_ERR_INVALID_ARG);
    assert_string_equal(why, "kernel profile out of range");
    se_config_default(&c);
    c.cpl_switch = (se_cpl_switch)9;
    assert_int_equal(se_config_validate(&c, &why), SE_ERR_INVALID_ARG);
    se_config_default(&c);
    c.entry = (se_entry_code)9;
    assert_int_equal(se_config_validate(&c, &why), SE_ERR_INVALID_ARG);
    se_config_default(&c);
    c.nr_syscalls = 0x40000001u;
    assert_int_equal(se_config_validate(&c, &why), SE_ERR_INVALID_ARG);
    /* 0 is "the profile's table size", not an error (issue 10) */
    se_config_default(&c);
    assert_int_equal(c.nr_syscalls, 0);
    assert_int_equal(se_config_validate(&c, &why), SE_OK);
    assert_int_equal(se_config_nr_syscalls(&c), 454);
    c.kernel = SE_KERNEL_6_7;
    assert_int_equal(se_config_nr_syscalls(&c), 457);
    c.kernel = SE_KERNEL_6_12;
    assert_int_equal(se_config_nr_syscalls(&c), 463);
    assert_string_equal(se_kernel_name(SE_KERNEL_6_12), "6.12");
    c.nr_syscalls = 10;
    assert_int_equal(se_config_nr_syscalls(&c), 10);
    assert_string_equal(se_kernel_name(SE_KERNEL_6_7), "6.7");
    assert_string_equal(se_kernel_name((se_kernel_profile)99), "unknown");
    assert_int_equal(se_kernel_nr_syscalls((se_kernel_profile)99), 0);
    se_config_default(&c);
    c.insn_budget = 0;
    assert_int_equal(se_config_validate(&c, &why), SE_ERR_INVALID_ARG);
    se_config_default(&c);
    c.phys_mem_size = 4097;
    assert_int_equal(se_config_validate(&c, &why), SE_ERR_INVALID_ARG);
    c.phys_mem_size = 1u << 19;
    assert_int_equal(se_config_validate(&c, &why), SE_ERR_INVALID_ARG);
    /* a machine too small for its own layout fails cleanly */
    se_config_default(&c);
    c.phys_mem_size = 1u << 20;
    se_machine *m = NULL;
    se_status st = se_machine_create(&c, &m);
    assert_true(st == SE_OK || st == SE_ERR_LIMIT);
    se_machine_destroy(m);
    se_config out;
    m = machine();
    assert_int_equal(se_machine_get_config(NULL, &out), SE_ERR_INVALID_ARG);
    assert_int_equal(se_machine_get_config(m, NULL), SE_ERR_INVALID_ARG);
    assert_int_equal(se_machine_get_config(m, &out), SE_OK);
    assert_true(out.pti && out.pcid);
    se_machine_destroy(m);
}

static void test_syscall_and_handler_args(void **s)
{
    (void)s;
    se_machine *m = machine();
    se_outcome o;
    se_regs u = good_user;
    u.fs_base = 0x0000800000000000ull;
    assert_int_equal(se_syscall(m, &u, &o), SE_ERR_INVALID_ARG);
    assert_non_null(strstr(se_machine_last_error(m), "canonical"));
    u = good_user;
    u.ss = SE_USER_TLS_DS;
    assert_int_equal(se_syscall(m, &u, &o), SE_ERR_INVALID_ARG);
    u = good_user;
    u.rflags |= SE_RFLAGS_VM;
    assert_int_equal(se_syscall(m, &u, &o), SE_ERR_INVALID_ARG);
    assert_int_equal(se_syscall(m, &good_user, &o), SE_OK);
    assert_string_equal(se_machine_last_error(m), "");
    assert_int_equal(se_set_syscall_handler(m, NULL, NULL), SE_OK);
    se_entry_names_linux(NULL);
    se_entry_names n;
    se_entry_names_linux(&n);
    assert_string_equal(n.entry, "entry_SYSCALL_64");
    /* the built-in entry is already loaded: a second one is refused */
    assert_int_equal(se_load_entry_elf(m, "x", 1, 0xffffffffa0000000ull, &n), SE_ERR_STATE);
    assert_int_equal(se_load_entry_elf(NULL, "x", 1, 0, &n), SE_ERR_INVALID_ARG);
    se_machine_destroy(m);
    se_config c;
    se_config_default(&c);
    c.entry = SE_ENTRY_NONE;
    assert_int_equal(se_machine_create(&c, &m), SE_OK);
    assert_int_equal(se_load_entry_elf(m, NULL, 10, 0xffffffffa0000000ull, &n), SE_ERR_INVALID_ARG);
    assert_int_equal(se_load_entry_elf(m, "x", 1, 0xffffffffa0000000ull, NULL), SE_ERR_INVALID_ARG);
    assert_int_equal(se_load_entry_elf(m, "x", 1, 0x1000, &n), SE_ERR_INVALID_ARG);
    assert_int_equal(se_load_entry_elf(m, "not an elf file", 15, 0xffffffffa0000000ull, &n),
                     SE_ERR_FORMAT);
    se_entry_names nameless = {0};
    assert_int_equal(se_load_entry_elf(m, "x", 1, 0xffffffffa0000000ull, &nameless),
                     SE_ERR_INVALID_ARG);
    se_machine_destroy(m);
}

static se_status g_inside_status[8];

static void se_test_no_trace(const se_trace_event *ev, void *ctx)
{
    (void)ev;
    (void)ctx;
}

static void reentrant_handler(se_machine *m, long nr, se_pt_regs *r, void *ctx)
{
    (void)nr;
    (void)r;
    (void)ctx;
    se_outcome o;
    se_run_result rr;
    se_fault f;
    se_snapshot *snap;
    g_inside_status[0] = se_syscall(m, &good_user, &o);
    g_inside_status[1] = se_run(m, NULL, &rr);
    g_inside_status[2] = se_enter_user(m, &good_user);
    g_inside_status[3] = se_msr_write(m, SE_MSR_IA32_LSTAR, 0, &f);
    g_inside_status[4] = se_set_syscall_handler(m, NULL, NULL);
    g_inside_status[5] = se_snapshot_create(m, &snap);
    g_inside_status[6] = se_set_trace(m, se_test_no_trace, NULL); /* stopping it is allowed */
    se_cpu_state st;
    g_inside_status[7] = se_get_cpu_state(m, &st); /* allowed: the kernel-side view */
}

static void test_calls_from_inside_a_handler(void **s)
{
    (void)s;
    se_machine *m = machine();
    se_set_syscall_handler(m, reentrant_handler, NULL);
    se_outcome o;
    assert_int_equal(se_syscall(m, &good_user, &o), SE_OK);
    for (int i = 0; i < 7; i++)
        assert_int_equal(g_inside_status[i], SE_ERR_STATE);
    assert_int_equal(g_inside_status[7], SE_OK);
    assert_int_equal(o.path, SE_EXIT_SYSRET); /* and the call itself completed */
    se_machine_destroy(m);
}

static void test_snapshot_args(void **s)
{
    (void)s;
    se_machine *a = machine(), *b = machine();
    se_snapshot *sa;
    assert_int_equal(se_snapshot_create(NULL, &sa), SE_ERR_INVALID_ARG);
    assert_int_equal(se_snapshot_create(a, NULL), SE_ERR_INVALID_ARG);
    assert_int_equal(se_snapshot_create(a, &sa), SE_OK);
    assert_int_equal(se_snapshot_restore(b, sa), SE_ERR_INVALID_ARG); /* another machine's */
    assert_int_equal(se_snapshot_restore(a, NULL), SE_ERR_INVALID_ARG);
    assert_int_equal(se_snapshot_restore(NULL, sa), SE_ERR_INVALID_ARG);
    /* restore really restores: a syscall changes the stacks, restore brings them back */
    uint8_t before[64], after[64];
    se_cpu_state st;
    se_get_cpu_state(a, &st);
    uint64_t percpu = st.kernel_gs_base;
    se_mem_read(a, percpu + 0x14 - 4, before, 16); /* around TSS.sp2 */
    se_outcome o;
    se_regs u = good_user;
    u.rsp = 0x7fffffff1230;
    se_syscall(a, &u, &o);
    se_mem_read(a, percpu + 0x14 - 4, after, 16);
    assert_memory_not_equal(before, after, 16); /* the entry parked the user RSP there */
    assert_int_equal(se_snapshot_restore(a, sa), SE_OK);
    se_mem_read(a, percpu + 0x14 - 4, after, 16);
    assert_memory_equal(before, after, 16);
    se_snapshot_destroy(sa);
    se_snapshot_destroy(NULL);
    se_machine_destroy(a);
    se_machine_destroy(b);
}

/* A snapshot names its machine by an identity that never repeats: a machine created at the
 * address of a destroyed one (what malloc usually does) must not accept its snapshots. */
static void test_snapshot_of_a_destroyed_machine(void **s)
{
    (void)s;
    se_machine *m1 = machine();
    se_snapshot *snap;
    assert_int_equal(se_snapshot_create(m1, &snap), SE_OK);
    se_machine_destroy(m1);
    se_machine *m2 = machine(); /* often at m1's address; the test holds either way */
    assert_int_equal(se_snapshot_restore(m2, snap), SE_ERR_INVALID_ARG);
    assert_string_not_equal(se_machine_last_error(m2), "");
    se_outcome o;
    assert_int_equal(se_syscall(m2, &good_user, &o), SE_OK); /* m2 is untouched */
    assert_int_equal(o.path, SE_EXIT_SYSRET);
    se_snapshot_destroy(snap); /* outlives its machine: still freed cleanly */
    se_machine_destroy(m2);
}

static void test_timing_and_trace_args(void **s)
{
    (void)s;
    assert_int_equal(se_set_trace(NULL, NULL, NULL), SE_ERR_INVALID_ARG);
    assert_int_equal(se_set_cost_profile(NULL, NULL), SE_ERR_INVALID_ARG);
    assert_int_equal(se_cost_profile_parse(NULL, NULL, NULL, 0), SE_ERR_INVALID_ARG);
    assert_int_equal(se_cost_profile_builtin(NULL, NULL), SE_ERR_INVALID_ARG);
    assert_string_equal(se_phase_name((se_phase)-1), "unknown");
}

static void test_memory_args(void **s)
{
    (void)s;
    se_machine *m = machine();
    uint8_t b[8];
    assert_int_equal(se_mem_read(NULL, 0x401000, b, 1), SE_ERR_INVALID_ARG);
    assert_int_equal(se_mem_read(m, 0x401000, NULL, 1), SE_ERR_INVALID_ARG);
    assert_int_equal(se_mem_write(m, 0x401000, NULL, 1), SE_ERR_INVALID_ARG);
    assert_int_equal(se_mem_write(NULL, 0x401000, b, 1), SE_ERR_INVALID_ARG);
    assert_int_equal(se_mem_map(NULL, 0x400000, 0x1000, SE_MAP_USER), SE_ERR_INVALID_ARG);
    assert_int_equal(se_mem_unmap(NULL, 0x400000, 0x1000), SE_ERR_INVALID_ARG);
    assert_int_equal(se_mem_unmap(m, 0x400001, 0x1000), SE_ERR_INVALID_ARG);
    assert_int_equal(se_mem_map(m, 0xfffffffffffff000ull, 0x2000, SE_MAP_WRITE),
                     SE_ERR_INVALID_ARG); /* wraps around */
    assert_int_equal(se_mem_map(m, 0x7ffffffff000ull, 0x2000, SE_MAP_USER),
                     SE_ERR_INVALID_ARG); /* runs off the end of the user half */
    uint64_t pa;
    se_fault f;
    assert_int_equal(se_translate(NULL, 0, SE_ACCESS_READ, 3, 0, &pa, &f), SE_ERR_INVALID_ARG);
    assert_int_equal(se_translate(m, 0, SE_ACCESS_READ, 1, 0, &pa, &f), SE_ERR_INVALID_ARG);
    assert_int_equal(se_translate(m, 0, SE_ACCESS_READ, 3, 0, NULL, &f), SE_ERR_INVALID_ARG);
    assert_int_equal(se_load_kernel_code(NULL, 0xffffffffc0000000ull, "\x90", 1, false),
                     SE_ERR_INVALID_ARG);
    assert_int_equal(se_load_kernel_code(m, 0xffffffffc0000000ull, "\x90", 0, false),
                     SE_ERR_INVALID_ARG);
    assert_int_equal(se_load_kernel_code(m, 0xffffffffc0000001ull, "\x90", 1, false),
                     SE_ERR_INVALID_ARG);
    assert_int_equal(se_load_kernel_code(m, 0xffffffff81000000ull, "\x90", 1, false),
                     SE_ERR_CONFLICT); /* the built-in entry text is there */
    se_run_options o = {.n_stop_at = SE_RUN_MAX_STOPS + 1};
    se_run_result r;
    assert_int_equal(se_run(m, &o, &r), SE_ERR_INVALID_ARG);
    se_machine_destroy(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names_and_versions),
        cmocka_unit_test(test_config),
        cmocka_unit_test(test_syscall_and_handler_args),
        cmocka_unit_test(test_calls_from_inside_a_handler),
        cmocka_unit_test(test_snapshot_args),
        cmocka_unit_test(test_snapshot_of_a_destroyed_machine),
        cmocka_unit_test(test_timing_and_trace_args),
        cmocka_unit_test(test_memory_args),
    };
    return cmocka_run_group_tests_name("api", tests, NULL, NULL);
}
