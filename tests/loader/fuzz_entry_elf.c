/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer harness for se_load_entry_elf, through the public API the way an embedder calls it:
 * a machine created with SE_ENTRY_NONE, the object loaded, and when it loads, one se_syscall
 * under a small instruction budget, then the machine destroyed. Beyond "no sanitizer report":
 * the status is one se_load_entry_elf documents, a failure leaves a message, and a loaded
 * object runs to an outcome (docs/fuzzing.md; seeds and dictionary come from CMake).
 *
 * Creating a machine costs about a millisecond, far more than parsing, and most mutants are
 * malformed. So one pristine machine is kept while loads fail in the parser (the internal
 * loader is asked first: a file it refuses is refused by se_load_entry_elf before the machine
 * is touched, which the harness checks), and a machine that loaded anything is replaced.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sysentry/sysentry.h>

#include "loader/elf_load.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool fz_contains(const uint8_t *d, size_t n, const char *s)
{
    size_t k = strlen(s);
    for (size_t i = 0; k <= n && i <= n - k; i++)
        if (d[i] == (uint8_t)s[0] && memcmp(d + i, s, k) == 0)
            return true;
    return false;
}

/* The label set of whichever seed the input descends from: the built-in Linux rebuild,
 * examples/simple_entry.S, or the loader fixtures; a mutant keeps its string table mostly. */
static void fz_names(const uint8_t *d, size_t n, se_entry_names *names)
{
    memset(names, 0, sizeof *names);
    if (fz_contains(d, n, "entry_SYSCALL_64")) {
        se_entry_names_linux(names);
    } else if (fz_contains(d, n, "simple_entry")) {
        names->entry = "simple_entry";
        names->dispatch = "simple_dispatch";
    } else if (fz_contains(d, n, "phases_entry")) {
        names->entry = "phases_entry";
        names->dispatch = "do_syscall_64";
    } else {
        names->entry = "entry_sym";
    }
}

static se_machine *fz_new_machine(void)
{
    se_config cfg;
    se_config_default(&cfg);
    cfg.entry = SE_ENTRY_NONE;
    cfg.pti = cfg.pcid = false; /* simple_entry has no CR3 switch; the built-in one patches */
    cfg.insn_budget = 5000;     /* the built-in path is a few hundred; loops must end fast */
    se_machine *m = NULL;
    if (se_machine_create(&cfg, &m) != SE_OK)
        abort();
    return m;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static se_machine *pristine;
    if (size == 0)
        return 0; /* se_load_entry_elf refuses len 0 as an argument error, tested elsewhere */
    if (pristine == NULL)
        pristine = fz_new_machine();
    se_entry_names names;
    fz_names(data, size, &names);
    const uint64_t base = 0xffffffffa0000000ull;

    se_elf_image *img = NULL;
    char err[160];
    se_status parsed = se_elf_load(data, size, base, &img, err, sizeof err);
    se_elf_free(img);

    se_machine *m = pristine;
    se_status st = se_load_entry_elf(m, data, size, base, &names);
    switch (st) {
    case SE_OK:
    case SE_ERR_FORMAT:
    case SE_ERR_NOT_FOUND:
    case SE_ERR_CONFLICT:
    case SE_ERR_LIMIT: /* sections larger than the guest RAM left (found by this harness) */
    case SE_ERR_NOMEM:
        break;
    default:
        abort(); /* undocumented status */
    }
    if (st != SE_OK && se_machine_last_error(m)[0] == '\0')
        abort(); /* every failure says why */
    if (parsed != SE_OK) {
        /* refused by the parser: the same verdict, and the machine still untouched */
        if (st == SE_OK || (parsed == SE_ERR_NOT_FOUND) != (st == SE_ERR_NOT_FOUND))
            abort();
        return 0;
    }
    pristine = NULL; /* it may hold mappings of a half-loaded object now */
    if (st == SE_OK) {
        se_regs user = {.rax = 39,
                        .rip = 0x401000,
                        .rsp = 0x7fffffffe000,
                        .rflags = 0x246,
                        .cs = SE_USER_CS,
                        .ss = SE_USER_DS};
        se_outcome out;
        st = se_syscall(m, &user, &out);
        /* SE_ERR_UNSUPPORTED: the object's code runs a privileged instruction the machine
         * does not model (at CPL0), which it refuses rather than run unmodelled */
        if (st != SE_OK && st != SE_ERR_LIMIT && st != SE_ERR_UNSUPPORTED)
            abort();
        if (st == SE_OK && out.path > SE_EXIT_PATH_MAX_VALUE)
            abort();
    }
    se_machine_destroy(m);
    return 0;
}
