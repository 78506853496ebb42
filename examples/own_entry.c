/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One thing: load entry code you assembled yourself (simple_entry.S) and get the same
 * verdicts as for the built-in code. That entry always uses SYSRET; a handler that moves ip
 * to a non-canonical address (what sigreturn can do) then makes Intel's SYSRET fault in
 * ring 0 on the user's stack: the CVE-2012-0217 hazard Linux's check C2 prevents. */
#include <stdio.h>
#include <stdlib.h>

#include <sysentry/sysentry.h>

static void sigreturn_to_noncanonical(se_machine *m, long nr, se_pt_regs *r, void *ctx)
{
    (void)m;
    (void)nr;
    (void)ctx;
    r->ip = r->cx = 0x0000800000000000ull;
}

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : SE_SIMPLE_ENTRY_OBJ;
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "cannot open %s\n", path);
        return 1;
    }
    static unsigned char obj[1 << 16];
    size_t len = fread(obj, 1, sizeof obj, f);
    fclose(f);

    se_config cfg;
    se_config_default(&cfg);
    cfg.entry = SE_ENTRY_NONE;
    cfg.pti = cfg.pcid = false;
    se_machine *m;
    if (se_machine_create(&cfg, &m) != SE_OK)
        return 1;
    se_entry_names names = {.entry = "simple_entry", .dispatch = "simple_dispatch"};
    se_status st = se_load_entry_elf(m, obj, len, 0xffffffffa0000000ull, &names);
    if (st != SE_OK) {
        fprintf(stderr, "se_load_entry_elf: %s: %s\n", se_status_str(st), se_machine_last_error(m));
        return 1;
    }
    se_regs user = {.rax = 39,
                    .rip = 0x401000,
                    .rsp = 0x7fffffffe000,
                    .rflags = 0x246,
                    .cs = SE_USER_CS,
                    .ss = SE_USER_DS};
    se_outcome plain, bad;
    se_syscall(m, &user, &plain);
    se_set_syscall_handler(m, sigreturn_to_noncanonical, NULL);
    se_syscall(m, &user, &bad);
    printf("plain syscall: %s\n", se_exit_path_name(plain.path));
    /* chosen: which exit instruction raised the fault (this entry code only has SYSRET) */
    printf("sigreturn to 0x800000000000: %s, %s in ring %u at 0x%llx, chosen exit %s\n",
           se_exit_path_name(bad.path), se_vector_name(bad.fault.vector), bad.fault.cpl,
           (unsigned long long)bad.fault.rip, se_exit_path_name(bad.chosen));
    se_machine_destroy(m);
    return plain.path == SE_EXIT_SYSRET && bad.path == SE_EXIT_FAULT && bad.fault.cpl == 0 ? 0 : 1;
}
