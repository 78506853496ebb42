/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer harness for se_load_kernel_image (-DSYSENTRY_BUILD_FUZZERS=ON with clang; seeds from
 * kernel_seeds: the synthetic vmlinux of kvm_build.c, its refused variants and bzImages of it).
 * Each input gets a fresh machine, since a failed load may leave part of an image in it (the
 * API says: destroy it). Beyond "no sanitizer report": a refusal has a status the API lists and
 * a message; a loaded image describes itself and runs one system call to an end the API lists.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sysentry/kernel.h>
#include <sysentry/sysentry.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void handler(se_machine *m, long nr, se_pt_regs *r, void *ctx)
{
    (void)m;
    (void)nr;
    (void)ctx;
    r->ax = 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    se_config cfg;
    se_config_default(&cfg);
    cfg.entry = SE_ENTRY_NONE;
    cfg.phys_mem_size = SE_KERNEL_RAM_DEFAULT;
    /* a crafted entry can loop: a short budget keeps every input fast */
    cfg.insn_budget = 20000;
    se_machine *m = NULL;
    if (se_machine_create(&cfg, &m) != SE_OK)
        abort();
    se_status st = se_load_kernel_image(m, data, size, NULL);
    if (st != SE_OK) {
        const char *e = se_machine_last_error(m);
        if (e == NULL || e[0] == '\0')
            abort();
        /* INVALID_ARG only for an empty input; STATE never on a fresh SE_ENTRY_NONE machine */
        if (st == SE_ERR_STATE || (st == SE_ERR_INVALID_ARG && size != 0))
            abort();
        se_machine_destroy(m);
        return 0;
    }
    se_kernel_info ki;
    /* the releases whose feature numbers are tabulated: 6.1 and 6.12 */
    if (se_kernel_info_get(m, &ki) != SE_OK || ki.major != 6 || (ki.minor != 1 && ki.minor != 12) ||
        ki.c_entry != (ki.minor >= 7) || memchr(ki.release, '\0', sizeof ki.release) == NULL)
        abort();
    if (se_kernel_symbol(m, ki.entry, NULL) == NULL)
        abort();
    se_set_syscall_handler(m, handler, NULL);
    se_regs u;
    memset(&u, 0, sizeof u);
    u.rip = 0x401000;
    u.rsp = 0x7ffffffde000;
    u.rflags = 0x246;
    u.rax = 39;
    u.cs = SE_USER_CS;
    u.ss = SE_USER_DS;
    se_outcome o;
    st = se_syscall(m, &u, &o);
    /* the user registers are valid and nothing runs nested: these two would be library bugs */
    if (st == SE_ERR_INVALID_ARG || st == SE_ERR_STATE)
        abort();
    if (st == SE_OK && (o.path < SE_EXIT_NONE || o.path > SE_EXIT_PATH_MAX_VALUE))
        abort();
    se_machine_destroy(m);
    return 0;
}
