/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Naming the SYSRET checks of compiled entry code by their idioms (src/entry/discover.h). The
 * code is assembled here instruction by instruction: the 6.1-6.6 sequence after
 * `call do_syscall_64`, and variants a compiler or another kernel version could produce
 * (other registers, 5-level shifts, another order), and idioms the classifier must refuse to
 * name.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <setjmp.h>

#include <cmocka.h>

#include "entry/discover.h"

#define FROM 0xffffffff81c00126ull
#define IRET 0xffffffff81c010d0ull

typedef struct asm_buf {
    uint8_t b[512];
    size_t n;
} asm_buf;

static void emit(asm_buf *a, size_t n, ...)
{
    va_list ap;
    va_start(ap, n);
    for (size_t i = 0; i < n; i++)
        a->b[a->n++] = (uint8_t)va_arg(ap, int);
    va_end(ap);
}

/* jne/jnz rel32 to the IRET exit (0F 85) */
static void jne_iret(asm_buf *a)
{
    uint64_t next = FROM + a->n + 6;
    int32_t rel = (int32_t)(IRET - next);
    emit(a, 2, 0x0F, 0x85);
    memcpy(a->b + a->n, &rel, 4);
    a->n += 4;
}

/* je rel32 to the IRET exit (0F 84): the wrong sense for every check */
static void je_iret(asm_buf *a)
{
    uint64_t next = FROM + a->n + 6;
    int32_t rel = (int32_t)(IRET - next);
    emit(a, 2, 0x0F, 0x84);
    memcpy(a->b + a->n, &rel, 4);
    a->n += 4;
}

static void jmp_iret(asm_buf *a)
{
    uint64_t next = FROM + a->n + 5;
    int32_t rel = (int32_t)(IRET - next);
    emit(a, 1, 0xE9);
    memcpy(a->b + a->n, &rel, 4);
    a->n += 4;
}

/* The 6.6 order: C1..C6, with rcx/r11 as entry_64.S uses them. */
static void linux_checks(asm_buf *a, unsigned shift)
{
    emit(a, 5, 0x48, 0x8B, 0x4C, 0x24, 0x58);                   /* mov 0x58(%rsp),%rcx  (cx) */
    emit(a, 8, 0x4C, 0x8B, 0x9C, 0x24, 0x80, 0x00, 0x00, 0x00); /* mov 0x80(%rsp),%r11 (ip) */
    emit(a, 3, 0x49, 0x39, 0xCB);                               /* cmp %rcx,%r11 */
    jne_iret(a);
    emit(a, 4, 0x48, 0xC1, 0xE1, (int)shift); /* shl $shift,%rcx */
    emit(a, 4, 0x48, 0xC1, 0xF9, (int)shift); /* sar $shift,%rcx */
    emit(a, 3, 0x49, 0x39, 0xCB);             /* cmp %rcx,%r11 */
    jne_iret(a);
    emit(a, 9, 0x48, 0x83, 0xBC, 0x24, 0x88, 0x00, 0x00, 0x00, 0x33); /* cmpq $0x33,0x88(%rsp) */
    jne_iret(a);
    emit(a, 5, 0x4C, 0x8B, 0x5C, 0x24, 0x30);                   /* mov 0x30(%rsp),%r11 */
    emit(a, 8, 0x4C, 0x39, 0x9C, 0x24, 0x90, 0x00, 0x00, 0x00); /* cmp %r11,0x90(%rsp) */
    jne_iret(a);
    emit(a, 7, 0x49, 0xF7, 0xC3, 0x00, 0x01, 0x01, 0x00); /* test $0x10100,%r11 */
    jne_iret(a);
    emit(a, 9, 0x48, 0x83, 0xBC, 0x24, 0xA0, 0x00, 0x00, 0x00, 0x2B); /* cmpq $0x2b,0xa0(%rsp) */
    jne_iret(a);
}

static void test_linux_sequence_named_in_order(void **state)
{
    (void)state;
    asm_buf a = {.n = 0};
    emit(&a, 5, 0x0F, 0x1F, 0x44, 0x00, 0x00); /* the Xen PV alternative, not applied: a nop */
    linux_checks(&a, 16);
    se_found_check f[16];
    size_t n = se_discover_checks(a.b, a.n, FROM, IRET, f, 16);
    assert_int_equal(n, 6);
    const se_check want[6] = {SE_CHECK_RCX_RIP,   SE_CHECK_CANONICAL, SE_CHECK_CS,
                              SE_CHECK_R11_FLAGS, SE_CHECK_RF_TF,     SE_CHECK_SS};
    for (size_t i = 0; i < 6; i++)
        assert_int_equal(f[i].check, want[i]);
    /* each block starts after the previous branch; the first at the return address */
    assert_int_equal(f[0].start, FROM);
    for (size_t i = 1; i < 6; i++)
        assert_int_equal(f[i].start, f[i - 1].branch + 6);
}

static void test_la57_shift_and_xen_jmp(void **state)
{
    (void)state;
    asm_buf a = {.n = 0};
    jmp_iret(&a); /* XENPV applied: every return takes IRET */
    se_found_check f[16];
    size_t n = se_discover_checks(a.b, a.n, FROM, IRET, f, 16);
    assert_int_equal(n, 1);
    assert_int_equal(f[0].check, SE_CHECK_XEN_PV);
    a.n = 0;
    linux_checks(&a, 7); /* 64 - 57 */
    n = se_discover_checks(a.b, a.n, FROM, IRET, f, 16);
    assert_int_equal(n, 6);
    assert_int_equal(f[1].check, SE_CHECK_CANONICAL);
}

static void test_other_registers_and_operand_order(void **state)
{
    (void)state;
    asm_buf a = {.n = 0};
    emit(&a, 5, 0x48, 0x8B, 0x54, 0x24, 0x58);                   /* mov 0x58(%rsp),%rdx (cx) */
    emit(&a, 8, 0x48, 0x8B, 0xB4, 0x24, 0x80, 0x00, 0x00, 0x00); /* mov 0x80(%rsp),%rsi (ip) */
    emit(&a, 3, 0x48, 0x39, 0xD6);                               /* cmp %rdx,%rsi */
    jne_iret(&a);
    emit(&a, 5, 0x48, 0x8B, 0x44, 0x24, 0x30);                   /* mov 0x30(%rsp),%rax (r11) */
    emit(&a, 8, 0x48, 0x3B, 0x84, 0x24, 0x90, 0x00, 0x00, 0x00); /* cmp 0x90(%rsp),%rax */
    jne_iret(&a);
    emit(&a, 12, 0x48, 0xF7, 0x84, 0x24, 0x90, 0x00, 0x00, 0x00, 0x00, 0x01, 0x01,
         0x00); /* testq $0x10100,0x90(%rsp) */
    jne_iret(&a);
    /* a push moves RSP by 8: 0x90(%rsp) is then the cs slot */
    emit(&a, 1, 0x50);                                                 /* push %rax */
    emit(&a, 9, 0x48, 0x83, 0xBC, 0x24, 0x90, 0x00, 0x00, 0x00, 0x33); /* cmpq $0x33,0x90(%rsp) */
    jne_iret(&a);
    se_found_check f[16];
    size_t n = se_discover_checks(a.b, a.n, FROM, IRET, f, 16);
    assert_int_equal(n, 4);
    assert_int_equal(f[3].check, SE_CHECK_CS);
    assert_int_equal(f[0].check, SE_CHECK_RCX_RIP);
    assert_int_equal(f[1].check, SE_CHECK_R11_FLAGS);
    assert_int_equal(f[2].check, SE_CHECK_RF_TF);
}

static void test_unknown_idioms_are_not_named(void **state)
{
    (void)state;
    se_found_check f[16];
    asm_buf a = {.n = 0};
    /* cmp of cx with the sp slot: no check compares those */
    emit(&a, 5, 0x48, 0x8B, 0x4C, 0x24, 0x58);                   /* mov 0x58(%rsp),%rcx */
    emit(&a, 8, 0x4C, 0x8B, 0x9C, 0x24, 0x98, 0x00, 0x00, 0x00); /* mov 0x98(%rsp),%r11 (sp) */
    emit(&a, 3, 0x49, 0x39, 0xCB);
    jne_iret(&a);
    /* the right compare with the wrong sense (je) */
    emit(&a, 9, 0x48, 0x83, 0xBC, 0x24, 0x88, 0x00, 0x00, 0x00, 0x33);
    je_iret(&a);
    /* __USER_CS against the ss slot */
    emit(&a, 9, 0x48, 0x83, 0xBC, 0x24, 0xA0, 0x00, 0x00, 0x00, 0x33);
    jne_iret(&a);
    /* shl without its sar: not a sign extension */
    emit(&a, 5, 0x48, 0x8B, 0x4C, 0x24, 0x58);
    emit(&a, 8, 0x4C, 0x8B, 0x9C, 0x24, 0x80, 0x00, 0x00, 0x00);
    emit(&a, 4, 0x48, 0xC1, 0xE1, 0x10);
    emit(&a, 3, 0x49, 0x39, 0xCB);
    jne_iret(&a);
    /* a push moves RSP: the slots loaded after it are at other offsets */
    emit(&a, 1, 0x50); /* push %rax */
    emit(&a, 9, 0x48, 0x83, 0xBC, 0x24, 0x88, 0x00, 0x00, 0x00, 0x33);
    jne_iret(&a);
    size_t n = se_discover_checks(a.b, a.n, FROM, IRET, f, 16);
    assert_int_equal(n, 5);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(f[i].check, SE_CHECK_NONE);
}

static void test_stops_at_jmp_elsewhere_and_bad_bytes(void **state)
{
    (void)state;
    se_found_check f[16];
    asm_buf a = {.n = 0};
    emit(&a, 2, 0xEB, 0x10); /* jmp +16: the checks end here */
    linux_checks(&a, 16);
    assert_int_equal(se_discover_checks(a.b, a.n, FROM, IRET, f, 16), 0);
    a.n = 0;
    emit(&a, 1, 0x06); /* invalid in 64-bit mode */
    linux_checks(&a, 16);
    assert_int_equal(se_discover_checks(a.b, a.n, FROM, IRET, f, 16), 0);
    /* truncated in the middle of an instruction: what came before still counts */
    a.n = 0;
    linux_checks(&a, 16);
    assert_int_equal(se_discover_checks(a.b, a.n - 3, FROM, IRET, f, 16), 5);
    /* more branches than room: counted, max stored */
    assert_int_equal(se_discover_checks(a.b, a.n, FROM, IRET, f, 2), 6);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_linux_sequence_named_in_order),
        cmocka_unit_test(test_la57_shift_and_xen_jmp),
        cmocka_unit_test(test_other_registers_and_operand_order),
        cmocka_unit_test(test_unknown_idioms_are_not_named),
        cmocka_unit_test(test_stops_at_jmp_elsewhere_and_bad_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
