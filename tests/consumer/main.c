/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Consumer of the installed package: one syscall, SYSRET expected. */
#include <stdio.h>

#include <sysentry/sysentry.h>

int main(void)
{
    se_machine *m;
    if (se_machine_create(NULL, &m) != SE_OK)
        return 1;
    se_regs u = {.rax = 39,
                 .rip = 0x401000,
                 .rsp = 0x7fffffffe000,
                 .rflags = 0x246,
                 .cs = SE_USER_CS,
                 .ss = SE_USER_DS};
    se_outcome o;
    se_status st = se_syscall(m, &u, &o);
    se_machine_destroy(m);
    printf("libsysentry %s: %s\n", SE_VERSION_STRING, se_exit_path_name(o.path));
    return st == SE_OK && o.path == SE_EXIT_SYSRET ? 0 : 1;
}
