/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * se_load_kernel_image() on the synthetic vmlinux of kvm_build.c, with no network: the success
 * path a real image takes (kallsyms, mapping, per-CPU area, entry decoding, the dispatch hook)
 * on code small enough to reason about, and each variant refused at its stage.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sysentry/kernel.h>
#include <sysentry/sysentry.h>

#include "ksyms_build.h"
#include "kvm_build.h"

static se_machine *synth_machine(se_kvm_variant v, int pti, se_status *st)
{
    se_config cfg;
    se_config_default(&cfg);
    cfg.entry = SE_ENTRY_NONE;
    cfg.phys_mem_size = SE_KERNEL_RAM_DEFAULT;
    cfg.pti = pti;
    se_machine *m = NULL;
    assert_int_equal(se_machine_create(&cfg, &m), SE_OK);
    size_t len;
    uint8_t *elf = se_kvm_build(v, &len);
    *st = se_load_kernel_image(m, elf, len, NULL);
    free(elf);
    return m;
}

static void handler(se_machine *m, long nr, se_pt_regs *r, void *ctx)
{
    (void)m;
    (void)nr;
    r->ax = 4242;
    if (ctx != NULL)
        r->cx ^= 0x10; /* RCX != RIP: the check sends the return to IRET */
}

static se_regs user_regs(void)
{
    se_regs u;
    memset(&u, 0, sizeof u);
    u.rip = 0x401000;
    u.rsp = 0x7ffffffde000;
    u.rflags = 0x246;
    u.rax = 39;
    u.cs = SE_USER_CS;
    u.ss = SE_USER_DS;
    return u;
}

static void test_loads_and_runs(void **state)
{
    (void)state;
    for (int pti = 0; pti <= 1; pti++) {
        se_status st;
        se_machine *m = synth_machine(SE_KVM_OK, pti, &st);
        if (st != SE_OK)
            fail_msg("PTI %d: %s: %s", pti, se_status_str(st), se_machine_last_error(m));
        se_kernel_info ki;
        assert_int_equal(se_kernel_info_get(m, &ki), SE_OK);
        assert_string_equal(ki.release, "6.1.0-synthetic");
        assert_int_equal(ki.symbols, SE_KVM_SYMBOLS);
        assert_true(ki.checks_found & SE_CHECK_BIT(SE_CHECK_RCX_RIP));
        uint64_t a;
        assert_int_equal(se_kernel_lookup(m, "init_task", &a), SE_OK);
        assert_int_equal(a, SE_KVM_DATA + 0x100);
        se_set_syscall_handler(m, handler, NULL);
        se_regs u = user_regs();
        se_outcome o;
        st = se_syscall(m, &u, &o);
        if (st != SE_OK)
            fail_msg("PTI %d: se_syscall: %s", pti, se_machine_last_error(m));
        if (o.path != SE_EXIT_SYSRET)
            fail_msg("PTI %d: path %s, fault %s at 0x%llx", pti, se_exit_path_name(o.path),
                     se_vector_name(o.fault.vector), (unsigned long long)o.fault.rip);
        assert_int_equal(o.user.rax, 4242);
        assert_int_equal(o.user.rip, u.rip + 2);
        assert_int_equal(o.user.rsp, u.rsp);
        int bad = 1;
        se_set_syscall_handler(m, handler, &bad);
        assert_int_equal(se_syscall(m, &u, &o), SE_OK);
        assert_int_equal(o.chosen, SE_EXIT_IRET);
        assert_int_equal(o.failed_check, SE_CHECK_RCX_RIP);
        se_machine_destroy(m);
    }
}

/* Kernel data is tracked page by page (track.c): a snapshot still undoes a write to it. */
static void test_snapshot(void **state)
{
    (void)state;
    se_status st;
    se_machine *m = synth_machine(SE_KVM_OK, 1, &st);
    assert_int_equal(st, SE_OK);
    se_snapshot *s = NULL;
    assert_int_equal(se_snapshot_create(m, &s), SE_OK);
    uint64_t v = 0x1122334455667788ull, got;
    assert_int_equal(se_mem_write(m, SE_KVM_DATA + 0x100, &v, 8), SE_OK);
    assert_int_equal(se_snapshot_restore(m, s), SE_OK);
    assert_int_equal(se_mem_read(m, SE_KVM_DATA + 0x100, &got, 8), SE_OK);
    assert_int_equal(got, 0);
    se_snapshot_destroy(s);
    se_machine_destroy(m);
}

/* entry_SYSCALL_64 replaced by `movabs $target, %rax; jmp *%rax` */
static se_outcome jump_from_entry(se_machine *m, uint64_t target)
{
    uint8_t code[12] = {0x48, 0xB8, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xE0};
    memcpy(code + 2, &target, 8);
    assert_int_equal(se_mem_write(m, SE_KVM_TEXT + 0x1000, code, sizeof code), SE_OK);
    se_regs u = user_regs();
    se_outcome o;
    assert_int_equal(se_syscall(m, &u, &o), SE_OK);
    return o;
}

/* The image's rodata, data and per-CPU area are NX (SDM Vol. 3A §4.6), as Linux maps them: a
 * jump there raises #PF for the fetch at CPL0 instead of running the bytes (a crafted image
 * could hold an encoding that aborts the engine there). Its text still runs: the INT3 filler. */
static void test_jump_into_data_faults(void **state)
{
    (void)state;
    se_status st;
    se_machine *m = synth_machine(SE_KVM_OK, 0, &st);
    assert_int_equal(st, SE_OK);
    se_kernel_info ki;
    assert_int_equal(se_kernel_info_get(m, &ki), SE_OK);
    static const uint8_t lock_cmpsb[2] = {0xF0, 0xA6};
    assert_int_equal(se_mem_write(m, SE_KVM_DATA + 0x800, lock_cmpsb, 2), SE_OK);
    const uint64_t targets[] = {SE_KVM_DATA + 0x800, SE_KB_RODATA + 0x40, ki.percpu + 0x100};
    for (size_t i = 0; i < sizeof targets / sizeof targets[0]; i++) {
        se_outcome o = jump_from_entry(m, targets[i]);
        if (o.path != SE_EXIT_FAULT || o.fault.vector != SE_VEC_PF)
            fail_msg("0x%llx: path %s, %s", (unsigned long long)targets[i],
                     se_exit_path_name(o.path), se_vector_name(o.fault.vector));
        assert_int_equal(o.fault.error_code, SE_PF_P | SE_PF_I);
        assert_int_equal(o.fault.cpl, 0);
        assert_int_equal(o.fault.rip, targets[i]);
        assert_int_equal(o.fault.cr2, targets[i]);
    }
    se_outcome o = jump_from_entry(m, SE_KVM_TEXT + 0x10);
    assert_int_equal(o.path, SE_EXIT_FAULT);
    assert_int_equal(o.fault.vector, SE_VEC_BP);
    se_machine_destroy(m);
}

/*
 * A crafted image can hide an encoding that aborts Unicorn 2.0.1 inside another instruction,
 * where screening along its flow does not look, and jump into it. The CPU raises #UD there
 * (LOCK CMPSB: SDM Vol. 2A, LOCK, "#UD if the instruction is not lockable"); the engine used
 * to abort the host process while translating it. The MOVABS around it runs as before, to
 * the INT3 after it, on and off the hazard, in either order.
 */
static void test_hidden_hazard_in_image(void **state)
{
    (void)state;
    se_status st;
    /* without PTI: the replaced entry below jumps without switching to the kernel's tables */
    se_machine *m = synth_machine(SE_KVM_HIDDEN_HAZARD_IMAGE, 0, &st);
    if (st != SE_OK)
        fail_msg("%s: %s", se_status_str(st), se_machine_last_error(m));
    const uint64_t order[3] = {SE_KVM_HIDDEN_MOVABS, SE_KVM_HIDDEN_HAZARD, SE_KVM_HIDDEN_MOVABS};
    for (int i = 0; i < 3; i++) {
        se_outcome o = jump_from_entry(m, order[i]);
        bool hazard = order[i] == SE_KVM_HIDDEN_HAZARD;
        if (o.path != SE_EXIT_FAULT || o.fault.vector != (hazard ? SE_VEC_UD : SE_VEC_BP))
            fail_msg("0x%llx: path %s, %s", (unsigned long long)order[i], se_exit_path_name(o.path),
                     se_vector_name(o.fault.vector));
        assert_int_equal(o.fault.cpl, 0);
        /* #UD is a fault (RIP at the instruction), #BP a trap (after the INT3) */
        assert_int_equal(o.fault.rip, hazard ? SE_KVM_HIDDEN_HAZARD : SE_KVM_HIDDEN_MOVABS + 11);
    }
    se_machine_destroy(m);
}

static void count_calls(se_machine *m, long nr, se_pt_regs *r, void *ctx)
{
    (void)m;
    (void)nr;
    ++*(int *)ctx;
    r->ax = 4242;
}

/* One system call on m, whose handler counts its calls in *calls. */
static se_outcome run_variant(se_machine *m, int *calls)
{
    *calls = 0;
    assert_int_equal(se_set_syscall_handler(m, count_calls, calls), SE_OK);
    se_regs u = user_regs();
    se_outcome o;
    if (se_syscall(m, &u, &o) != SE_OK)
        fail_msg("se_syscall: %s", se_machine_last_error(m));
    return o;
}

/* The site se_kernel_warning_get reports for SE_KVM_UD2: its record's file and line, and
 * the function holding it from the image's kallsyms. */
static void expect_site(se_machine *m, bool warning)
{
    se_kernel_warning w;
    assert_int_equal(se_kernel_warning_get(m, 0, &w), SE_OK);
    assert_int_equal(w.addr, SE_KVM_UD2);
    assert_non_null(w.file);
    assert_string_equal(w.file, SE_KVM_BUG_FILE);
    assert_int_equal(w.line, SE_KVM_BUG_LINE);
    assert_int_equal(w.warning, warning);
    /* __entry_text_start and entry_SYSCALL_64 share the address: either names it */
    assert_non_null(w.symbol);
    if (strcmp(w.symbol, "entry_SYSCALL_64") != 0 && strcmp(w.symbol, "__entry_text_start") != 0)
        fail_msg("the UD2 is in %s", w.symbol);
    assert_int_equal(w.offset, SE_KVM_UD2 - (SE_KVM_TEXT + 0x1000));
    /* only what the run reached is kept */
    assert_int_equal(se_kernel_warning_get(m, 1, &w), SE_ERR_NOT_FOUND);
}

/* A WARN at CPL0: recorded, and the kernel goes on after the UD2 to the call and SYSRET. */
static void test_warn_continues(void **state)
{
    (void)state;
    for (int pti = 0; pti <= 1; pti++) {
        se_status st;
        se_machine *m = synth_machine(SE_KVM_WARN, pti, &st);
        if (st != SE_OK)
            fail_msg("PTI %d: %s: %s", pti, se_status_str(st), se_machine_last_error(m));
        se_kernel_info ki;
        assert_int_equal(se_kernel_info_get(m, &ki), SE_OK);
        assert_int_equal(ki.bug_sites, 2);
        assert_int_equal(se_kernel_warning_count(m), 0); /* before any run */
        /* twice: the count is the last run's, not a running total */
        for (int round = 0; round < 2; round++) {
            int calls;
            se_outcome o = run_variant(m, &calls);
            if (o.path != SE_EXIT_SYSRET)
                fail_msg("PTI %d round %d: path %s, fault %s at 0x%llx", pti, round,
                         se_exit_path_name(o.path), se_vector_name(o.fault.vector),
                         (unsigned long long)o.fault.rip);
            assert_int_equal(calls, 1);
            assert_int_equal(o.user.rax, 4242);
            assert_int_equal(se_kernel_warning_count(m), 1);
            expect_site(m, true);
        }
        se_machine_destroy(m);
    }
}

/* A BUG: recorded, and the run ends with the #UD at the UD2, before the handler. */
static void test_bug_faults(void **state)
{
    (void)state;
    se_status st;
    se_machine *m = synth_machine(SE_KVM_BUG, 1, &st);
    if (st != SE_OK)
        fail_msg("%s: %s", se_status_str(st), se_machine_last_error(m));
    int calls;
    se_outcome o = run_variant(m, &calls);
    assert_int_equal(o.path, SE_EXIT_FAULT);
    assert_int_equal(o.fault.vector, SE_VEC_UD);
    assert_int_equal(o.fault.rip, SE_KVM_UD2);
    assert_int_equal(o.fault.cpl, 0);
    assert_int_equal(calls, 0);
    assert_int_equal(se_kernel_warning_count(m), 1);
    expect_site(m, false);
    se_machine_destroy(m);
}

/* A UD2 the table does not list (it lists another): a plain #UD, and no site reached. */
static void test_ud2_without_record(void **state)
{
    (void)state;
    se_status st;
    se_machine *m = synth_machine(SE_KVM_UD2_NO_RECORD, 1, &st);
    if (st != SE_OK)
        fail_msg("%s: %s", se_status_str(st), se_machine_last_error(m));
    se_kernel_info ki;
    assert_int_equal(se_kernel_info_get(m, &ki), SE_OK);
    assert_int_equal(ki.bug_sites, 1);
    int calls;
    se_outcome o = run_variant(m, &calls);
    assert_int_equal(o.path, SE_EXIT_FAULT);
    assert_int_equal(o.fault.vector, SE_VEC_UD);
    assert_int_equal(o.fault.rip, SE_KVM_UD2);
    assert_int_equal(o.fault.cpl, 0);
    assert_int_equal(calls, 0);
    assert_int_equal(se_kernel_warning_count(m), 0);
    se_kernel_warning w;
    assert_int_equal(se_kernel_warning_get(m, 0, &w), SE_ERR_NOT_FOUND);
    se_machine_destroy(m);
}

/* A __bug_table that is not whole records is refused by name. */
static void test_bad_bug_table(void **state)
{
    (void)state;
    se_status st;
    se_machine *m = synth_machine(SE_KVM_BAD_BUG_TABLE, 1, &st);
    if (st != SE_ERR_FORMAT)
        fail_msg("%s (%s), expected SE_ERR_FORMAT", se_status_str(st), se_machine_last_error(m));
    if (strstr(se_machine_last_error(m), "__bug_table") == NULL)
        fail_msg("the message does not name the table: %s", se_machine_last_error(m));
    se_machine_destroy(m);
}

static void test_variants_refused(void **state)
{
    (void)state;
    static const struct {
        se_kvm_variant v;
        se_status want;
    } rows[] = {
        {SE_KVM_NO_DISPATCH, SE_ERR_NOT_FOUND},   {SE_KVM_NO_CALL, SE_ERR_UNSUPPORTED},
        {SE_KVM_NEW_VERSION, SE_ERR_UNSUPPORTED}, {SE_KVM_612_NO_BTF, SE_ERR_NOT_FOUND},
        {SE_KVM_NO_PERCPU, SE_ERR_FORMAT},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        se_status st;
        se_machine *m = synth_machine(rows[i].v, 1, &st);
        if (st != rows[i].want)
            fail_msg("variant %d: %s (%s), expected %s", (int)rows[i].v, se_status_str(st),
                     se_machine_last_error(m), se_status_str(rows[i].want));
        assert_true(se_machine_last_error(m)[0] != '\0');
        se_machine_destroy(m);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_loads_and_runs),
        cmocka_unit_test(test_snapshot),
        cmocka_unit_test(test_jump_into_data_faults),
        cmocka_unit_test(test_hidden_hazard_in_image),
        cmocka_unit_test(test_variants_refused),
        cmocka_unit_test(test_warn_continues),
        cmocka_unit_test(test_bug_faults),
        cmocka_unit_test(test_ud2_without_record),
        cmocka_unit_test(test_bad_bug_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
