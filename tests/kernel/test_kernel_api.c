/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * se_load_kernel_image() and the kernel queries refused through the public API, with no image
 * from the network (the synthetic one of kvm_build.c where a refusal needs a kernel): what a caller
 * sees when it passes the wrong machine, the wrong bytes or calls at the wrong time. Each refusal
 * names its reason in se_machine_last_error() and leaves nothing to free but the machine (the suite
 * runs under valgrind and ASan).
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sysentry/kernel.h>
#include <sysentry/sysentry.h>

#include "kvm_build.h"

static se_machine *none_machine(void)
{
    se_config cfg;
    se_config_default(&cfg);
    cfg.entry = SE_ENTRY_NONE;
    cfg.phys_mem_size = SE_KERNEL_RAM_DEFAULT;
    se_machine *m = NULL;
    assert_int_equal(se_machine_create(&cfg, &m), SE_OK);
    return m;
}

static void assert_message(const se_machine *m)
{
    const char *e = se_machine_last_error(m);
    assert_non_null(e);
    assert_true(e[0] != '\0');
}

static void test_null_and_empty(void **state)
{
    (void)state;
    static const uint8_t one = 0x7f;
    assert_int_equal(se_load_kernel_image(NULL, &one, 1, NULL), SE_ERR_INVALID_ARG);
    se_machine *m = none_machine();
    assert_int_equal(se_load_kernel_image(m, NULL, 1, NULL), SE_ERR_INVALID_ARG);
    assert_message(m);
    assert_int_equal(se_load_kernel_image(m, &one, 0, NULL), SE_ERR_INVALID_ARG);
    assert_message(m);
    /* a symbol text of length 0 is a caller's mistake, not "use the image's kallsyms" */
    se_kernel_opts opts = {.symbols = "ffffffff81000000 T _text\n", .symbols_len = 0};
    assert_int_equal(se_load_kernel_image(m, &one, 1, &opts), SE_ERR_INVALID_ARG);
    assert_message(m);
    se_machine_destroy(m);
}

/* The built-in rebuild is entry code already: a kernel image cannot replace it. */
static void test_builtin_entry_refused(void **state)
{
    (void)state;
    se_config cfg;
    se_config_default(&cfg);
    cfg.phys_mem_size = SE_KERNEL_RAM_DEFAULT;
    se_machine *m = NULL;
    assert_int_equal(se_machine_create(&cfg, &m), SE_OK);
    static const uint8_t junk[64] = {0x7f, 'E', 'L', 'F'};
    assert_int_equal(se_load_kernel_image(m, junk, sizeof junk, NULL), SE_ERR_STATE);
    assert_message(m);
    /* the rebuild is not a loaded kernel image: the kernel queries know nothing */
    se_kernel_info ki;
    assert_int_equal(se_kernel_info_get(m, &ki), SE_ERR_STATE);
    se_machine_destroy(m);
}

static void expect_format_refusal(const uint8_t *img, size_t len, const char *what)
{
    se_machine *m = none_machine();
    se_status st = se_load_kernel_image(m, img, len, NULL);
    if (st != SE_ERR_FORMAT && st != SE_ERR_UNSUPPORTED)
        fail_msg("%s: %s (%s)", what, se_status_str(st), se_machine_last_error(m));
    assert_message(m);
    /* a refused image is not half a kernel to the queries */
    se_kernel_info ki;
    assert_int_equal(se_kernel_info_get(m, &ki), SE_ERR_STATE);
    se_machine_destroy(m);
}

static void test_random_bytes(void **state)
{
    (void)state;
    uint8_t buf[4096];
    uint64_t x = 0x9e3779b97f4a7c15ull;
    for (int round = 0; round < 8; round++) {
        size_t len = 1 + (size_t)(x % sizeof buf);
        for (size_t i = 0; i < len; i++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            buf[i] = (uint8_t)x;
        }
        expect_format_refusal(buf, len, "random bytes");
    }
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, (uint16_t)v);
    put16(p + 2, (uint16_t)(v >> 16));
}

static void put64(uint8_t *p, uint64_t v)
{
    put32(p, (uint32_t)v);
    put32(p + 4, (uint32_t)(v >> 32));
}

/*
 * A well-formed x86-64 ET_EXEC with a section-name table and one .rodata section holding
 * `banner`, and nothing else a kernel has (no kallsyms, no .text): the ELF checks pass, so the
 * refusal has to come from what the loader looks for next.
 */
static size_t tiny_elf(uint8_t *out, size_t cap, const char *banner)
{
    static const char names[] = "\0.shstrtab\0.rodata";
    size_t blen = strlen(banner) + 1;
    size_t ro_off = 64, str_off = ro_off + blen, sh_off = (str_off + sizeof names + 7) & ~7u;
    size_t len = sh_off + 3 * 64;
    assert_true(len <= cap);
    memset(out, 0, len);
    memcpy(out,
           "\x7f"
           "ELF",
           4);
    out[4] = 2;          /* ELFCLASS64 */
    out[5] = 1;          /* little-endian */
    out[6] = 1;          /* EV_CURRENT */
    put16(out + 16, 2);  /* ET_EXEC */
    put16(out + 18, 62); /* EM_X86_64 */
    put32(out + 20, 1);
    put64(out + 24, 0xffffffff81000000ull);
    put64(out + 40, sh_off);
    put16(out + 52, 64);
    put16(out + 58, 64);
    put16(out + 60, 3);
    put16(out + 62, 1);
    memcpy(out + ro_off, banner, blen);
    memcpy(out + str_off, names, sizeof names);
    uint8_t *sh = out + sh_off + 64; /* [0] stays SHT_NULL */
    put32(sh, 1);                    /* .shstrtab */
    put32(sh + 4, 3);                /* SHT_STRTAB */
    put64(sh + 24, str_off);
    put64(sh + 32, sizeof names);
    sh += 64;
    put32(sh, 11);    /* .rodata */
    put32(sh + 4, 1); /* SHT_PROGBITS */
    put64(sh + 8, 2); /* SHF_ALLOC */
    put64(sh + 16, 0xffffffff82000000ull);
    put64(sh + 24, ro_off);
    put64(sh + 32, blen);
    return len;
}

static void test_elf_not_a_kernel(void **state)
{
    (void)state;
    uint8_t elf[512];
    /* no banner at all, an unsupported version, and a supported one with nothing behind it */
    static const char *const banners[] = {
        "hello, world",
        "Linux version 5.10.0-30-amd64 (debian-kernel@lists.debian.org)",
        "Linux version 6.1.0-27-cloud-amd64 (debian-kernel@lists.debian.org)",
    };
    for (size_t i = 0; i < sizeof banners / sizeof banners[0]; i++) {
        size_t len = tiny_elf(elf, sizeof elf, banners[i]);
        expect_format_refusal(elf, len, banners[i]);
        /* the same file cut short: its section table is then outside the file */
        expect_format_refusal(elf, len - 1, banners[i]);
    }
    /* only the 64-byte header of an ELF */
    expect_format_refusal(elf, 64, "ELF header only");
}

typedef struct in_handler {
    se_status load, info, lookup;
    char msg[256];
    int calls;
} in_handler;

static void handler_loads(se_machine *m, long nr, se_pt_regs *r, void *ctx)
{
    (void)nr;
    in_handler *h = ctx;
    static const uint8_t junk[64] = {0x7f, 'E', 'L', 'F'};
    h->load = se_load_kernel_image(m, junk, sizeof junk, NULL);
    snprintf(h->msg, sizeof h->msg, "%s", se_machine_last_error(m));
    se_kernel_info ki;
    uint64_t a;
    h->info = se_kernel_info_get(m, &ki);
    h->lookup = se_kernel_lookup(m, "init_task", &a);
    h->calls++;
    r->ax = 0;
}

/* A handler runs inside the entry code: loading a kernel under it is refused as such. */
static void test_inside_handler(void **state)
{
    (void)state;
    se_config cfg;
    se_config_default(&cfg);
    se_machine *m = NULL;
    assert_int_equal(se_machine_create(&cfg, &m), SE_OK);
    in_handler h = {.calls = 0};
    assert_int_equal(se_set_syscall_handler(m, handler_loads, &h), SE_OK);
    se_regs u;
    memset(&u, 0, sizeof u);
    u.rip = 0x401000;
    u.rsp = 0x7ffffffde000;
    u.rflags = 0x246;
    u.rax = 39;
    u.cs = SE_USER_CS;
    u.ss = SE_USER_DS;
    se_outcome o;
    assert_int_equal(se_syscall(m, &u, &o), SE_OK);
    assert_int_equal(h.calls, 1);
    assert_int_equal(h.load, SE_ERR_STATE);
    if (strstr(h.msg, "handler") == NULL)
        fail_msg("the refusal does not name the handler: %s", h.msg);
    assert_int_equal(h.info, SE_ERR_STATE);
    assert_int_equal(h.lookup, SE_ERR_STATE);
    assert_int_equal(o.path, SE_EXIT_SYSRET); /* the refused call changed nothing */
    se_machine_destroy(m);
}

static void test_queries_without_kernel(void **state)
{
    (void)state;
    se_machine *m = none_machine();
    se_kernel_info ki;
    uint64_t a = 1, off = 1;
    assert_int_equal(se_kernel_info_get(m, &ki), SE_ERR_STATE);
    assert_message(m);
    assert_int_equal(se_kernel_info_get(m, NULL), SE_ERR_INVALID_ARG);
    assert_int_equal(se_kernel_info_get(NULL, &ki), SE_ERR_INVALID_ARG);
    assert_int_equal(se_kernel_lookup(m, "init_task", &a), SE_ERR_STATE);
    assert_message(m);
    assert_int_equal(se_kernel_lookup(m, NULL, &a), SE_ERR_INVALID_ARG);
    assert_int_equal(se_kernel_lookup(m, "init_task", NULL), SE_ERR_INVALID_ARG);
    assert_int_equal(se_kernel_lookup(NULL, "init_task", &a), SE_ERR_INVALID_ARG);
    assert_null(se_kernel_symbol(m, 0xffffffff81000000ull, &off));
    assert_int_equal(off, 0);
    assert_null(se_kernel_symbol(m, 0xffffffff81000000ull, NULL));
    assert_null(se_kernel_symbol(NULL, 0xffffffff81000000ull, &off));
    se_machine_destroy(m);
}

/* The WARN/BUG queries' refusals; the sites themselves are test_kernel_synth's. */
static void test_warning_queries(void **state)
{
    (void)state;
    se_kernel_warning w;
    assert_int_equal(se_kernel_warning_count(NULL), 0);
    assert_int_equal(se_kernel_warning_get(NULL, 0, &w), SE_ERR_INVALID_ARG);
    se_machine *m = none_machine();
    assert_int_equal(se_kernel_warning_count(m), 0);
    assert_int_equal(se_kernel_warning_get(m, 0, NULL), SE_ERR_INVALID_ARG);
    assert_message(m);
    assert_int_equal(se_kernel_warning_get(m, 0, &w), SE_ERR_STATE);
    assert_message(m);
    /* an index past what a run reached needs a kernel: the synthetic one, whose system call
     * reaches one WARN */
    size_t len;
    uint8_t *elf = se_kvm_build(SE_KVM_WARN, &len);
    se_status st = se_load_kernel_image(m, elf, len, NULL);
    free(elf);
    if (st != SE_OK)
        fail_msg("%s: %s", se_status_str(st), se_machine_last_error(m));
    assert_int_equal(se_kernel_warning_get(m, 0, &w), SE_ERR_NOT_FOUND); /* no run yet */
    assert_message(m);
    se_regs u;
    memset(&u, 0, sizeof u);
    u.rip = 0x401000;
    u.rsp = 0x7ffffffde000;
    u.rflags = 0x246;
    u.rax = 39;
    u.cs = SE_USER_CS;
    u.ss = SE_USER_DS;
    se_outcome o;
    assert_int_equal(se_syscall(m, &u, &o), SE_OK);
    assert_int_equal(se_kernel_warning_count(m), 1);
    assert_int_equal(se_kernel_warning_get(m, 0, &w), SE_OK);
    assert_int_equal(se_kernel_warning_get(m, 1, &w), SE_ERR_NOT_FOUND);
    assert_message(m);
    assert_int_equal(se_kernel_warning_get(m, UINT_MAX, &w), SE_ERR_NOT_FOUND);
    assert_int_equal(se_kernel_warning_get(m, 0, NULL), SE_ERR_INVALID_ARG);
    se_machine_destroy(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_null_and_empty),  cmocka_unit_test(test_builtin_entry_refused),
        cmocka_unit_test(test_random_bytes),    cmocka_unit_test(test_elf_not_a_kernel),
        cmocka_unit_test(test_inside_handler),  cmocka_unit_test(test_queries_without_kernel),
        cmocka_unit_test(test_warning_queries),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
