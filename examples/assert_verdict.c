/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One thing: assert from C which way a syscall returns. A handler that moves pt_regs->ip
 * back by 2 (a syscall restart) must make Linux 6.6 return through IRET because check C1
 * (RCX == RIP) fails; a plain syscall must return through SYSRET. */
#include <stdio.h>
#include <string.h>

#include <sysentry/sysentry.h>

static void restart(se_machine *m, long nr, se_pt_regs *regs, void *ctx)
{
    (void)m;
    (void)nr;
    (void)ctx;
    regs->ax = regs->orig_ax;
    regs->ip -= 2;
}

int main(void)
{
    se_machine *m;
    if (se_machine_create(NULL, &m) != SE_OK)
        return 1;
    se_regs user = {.rax = 39,
                    .rip = 0x401000,
                    .rsp = 0x7fffffffe000,
                    .rflags = 0x246,
                    .cs = SE_USER_CS,
                    .ss = SE_USER_DS};
    se_outcome out;
    int bad = 0;
    if (se_syscall(m, &user, &out) != SE_OK || out.path != SE_EXIT_SYSRET)
        bad++;
    se_set_syscall_handler(m, restart, NULL);
    if (se_syscall(m, &user, &out) != SE_OK || out.path != SE_EXIT_IRET ||
        out.failed_check != SE_CHECK_RCX_RIP || out.user.rip != user.rip)
        bad++;
    printf("restart: %s, failed check %s, back at 0x%llx\n", se_exit_path_name(out.path),
           se_check_name(out.failed_check), (unsigned long long)out.user.rip);
    se_machine_destroy(m);
    return bad;
}
