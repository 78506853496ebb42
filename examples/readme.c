/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>
#include <sysentry/sysentry.h>

/* not named getpid: <unistd.h> declares that */
static void handle_getpid(se_machine *m, long nr, se_pt_regs *regs, void *ctx)
{
    (void)m;
    (void)ctx;
    regs->ax = nr == 39 ? 4242 : (uint64_t)-38; /* getpid, or -ENOSYS */
}

int main(void)
{
    se_config cfg;
    se_config_default(&cfg); /* Linux 6.6 on Intel, 4-level paging, PTI + PCID */
    se_machine *m;
    if (se_machine_create(&cfg, &m) != SE_OK)
        return 1;
    se_set_syscall_handler(m, handle_getpid, NULL);
    se_regs user = {.rax = 39,
                    .rip = 0x401000,
                    .rsp = 0x7fffffffe000,
                    .rflags = 0x246,
                    .cs = SE_USER_CS,
                    .ss = SE_USER_DS};
    se_outcome out;
    se_status st = se_syscall(m, &user, &out);
    /* out.chosen says which exit ran, also if it faulted */
    printf("%s: path %s, rax %llu\n", se_status_str(st), se_exit_path_name(out.path),
           (unsigned long long)out.user.rax);
    se_machine_destroy(m);
    return st == SE_OK && out.path == SE_EXIT_SYSRET && out.user.rax == 4242 ? 0 : 1;
}
