/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One thing: a custom handler that forces the IRET path the way signal delivery does, by
 * pointing pt_regs->ip at a handler while leaving cx alone (check C1 fails). */
#include <stdio.h>

#include <sysentry/sysentry.h>

#define SIGNAL_HANDLER 0x402000ull

static void deliver_signal(se_machine *m, long nr, se_pt_regs *regs, void *ctx)
{
    (void)m;
    (void)nr;
    (void)ctx;
    regs->ax = 0;
    regs->ip = SIGNAL_HANDLER; /* the signal frame's handler */
    regs->sp -= 0x1000;        /* and its stack */
    regs->di = 10;             /* SIGUSR1 */
}

int main(void)
{
    se_machine *m;
    if (se_machine_create(NULL, &m) != SE_OK)
        return 1;
    se_set_syscall_handler(m, deliver_signal, NULL);
    se_regs user = {.rax = 34 /* pause */,
                    .rip = 0x401000,
                    .rsp = 0x7fffffffe000,
                    .rflags = 0x246,
                    .cs = SE_USER_CS,
                    .ss = SE_USER_DS};
    se_outcome out;
    se_status st = se_syscall(m, &user, &out);
    printf("%s (failed check %s): RIP 0x%llx, RDI %llu\n", se_exit_path_name(out.path),
           se_check_name(out.failed_check), (unsigned long long)out.user.rip,
           (unsigned long long)out.user.rdi);
    se_machine_destroy(m);
    return st == SE_OK && out.path == SE_EXIT_IRET && out.user.rip == SIGNAL_HANDLER ? 0 : 1;
}
