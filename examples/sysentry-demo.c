/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sysentry-demo: one getpid-like system call through libsysentry's rebuild of Linux 6.6's
 * entry_SYSCALL_64, printing the CPU state that SYSCALL and SYSRET change: before the call
 * (user mode), inside the C handler (kernel mode, after SWAPGS and the PTI CR3 switch) and
 * after the return. Options: --vendor intel|amd, --no-pti, --no-pcid, --la57, --kernel 6.7|6.12.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sysentry/sysentry.h>

static void print_state(const char *when, const se_cpu_state *s)
{
    printf("%-8s CPL %u  CS %#06x SS %#06x  RIP %#018" PRIx64 "  RSP %#018" PRIx64 "\n", when,
           s->cpl, s->regs.cs, s->regs.ss, s->regs.rip, s->regs.rsp);
    printf("         CR3 %#018" PRIx64 "  GS.base %#018" PRIx64 "  KERNEL_GS_BASE %#018" PRIx64
           "\n",
           s->cr3, s->regs.gs_base, s->kernel_gs_base);
    printf("         RFLAGS %#010" PRIx64 "  RCX %#018" PRIx64 "  R11 %#018" PRIx64 "\n",
           s->regs.rflags, s->regs.rcx, s->regs.r11);
}

static void getpid_handler(se_machine *m, long nr, se_pt_regs *regs, void *ctx)
{
    (void)ctx;
    se_cpu_state s;
    if (se_get_cpu_state(m, &s) == SE_OK) {
        printf("\n-- inside do_syscall_64(nr = %ld), kernel side:\n", nr);
        print_state("kernel", &s);
        printf("         pt_regs: ip %#" PRIx64 " cx %#" PRIx64 " flags %#" PRIx64 " r11 %#" PRIx64
               " sp %#" PRIx64 " orig_ax %#" PRIx64 "\n",
               regs->ip, regs->cx, regs->flags, regs->r11, regs->sp, regs->orig_ax);
    }
    regs->ax = 4242; /* the "pid" */
}

static int usage(const char *argv0)
{
    fprintf(
        stderr,
        "usage: %s [--vendor intel|amd] [--no-pti] [--no-pcid] [--la57] [--kernel 6.6|6.7|6.12]\n",
        argv0);
    return 2;
}

int main(int argc, char **argv)
{
    se_config cfg;
    se_config_default(&cfg);
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--vendor") && i + 1 < argc) {
            i++;
            if (!strcmp(argv[i], "intel"))
                cfg.vendor = SE_VENDOR_INTEL;
            else if (!strcmp(argv[i], "amd"))
                cfg.vendor = SE_VENDOR_AMD;
            else
                return usage(argv[0]);
        } else if (!strcmp(argv[i], "--no-pti")) {
            cfg.pti = false;
        } else if (!strcmp(argv[i], "--no-pcid")) {
            cfg.pcid = false;
        } else if (!strcmp(argv[i], "--la57")) {
            cfg.la57 = true;
        } else if (!strcmp(argv[i], "--kernel") && i + 1 < argc) {
            i++;
            if (!strcmp(argv[i], "6.6"))
                cfg.kernel = SE_KERNEL_6_6;
            else if (!strcmp(argv[i], "6.7"))
                cfg.kernel = SE_KERNEL_6_7;
            else if (!strcmp(argv[i], "6.12"))
                cfg.kernel = SE_KERNEL_6_12;
            else
                return usage(argv[0]);
        } else {
            return usage(argv[0]);
        }
    }
    se_machine *m = NULL;
    char why[256];
    se_status st = se_machine_create_ex(&cfg, &m, why, sizeof why);
    if (st != SE_OK) {
        fprintf(stderr, "se_machine_create: %s: %s\n", se_status_str(st), why);
        return 1;
    }
    printf("libsysentry %s: Linux %s entry_SYSCALL_64 on %s, %u-level paging, PTI %s, PCID %s\n",
           SE_VERSION_STRING, se_kernel_name(cfg.kernel), se_vendor_name(cfg.vendor),
           cfg.la57 ? 5 : 4, cfg.pti ? "on" : "off", cfg.pcid ? "on" : "off");
    se_set_syscall_handler(m, getpid_handler, NULL);

    se_regs user;
    memset(&user, 0, sizeof user);
    user.rax = 39; /* __NR_getpid */
    user.rip = 0x401000;
    user.rsp = 0x7fffffffe000;
    user.rflags = 0x246;
    user.rbx = 0x1111;
    user.r12 = 0x1212;
    user.cs = SE_USER_CS;
    user.ss = SE_USER_DS;

    se_cpu_state before;
    se_enter_user(m, &user);
    se_get_cpu_state(m, &before);
    printf("\n-- before SYSCALL at %#" PRIx64 " (RAX = %" PRIu64 ", getpid):\n", user.rip,
           user.rax);
    print_state("user", &before);

    se_outcome out;
    st = se_syscall(m, &user, &out);
    if (st != SE_OK) {
        fprintf(stderr, "se_syscall: %s: %s\n", se_status_str(st), se_machine_last_error(m));
        se_machine_destroy(m);
        return 1;
    }
    se_cpu_state after;
    se_get_cpu_state(m, &after);
    printf("\n-- after the return to user mode:\n");
    print_state("user", &after);
    printf("\nexit path: %s", se_exit_path_name(out.path));
    if (out.path == SE_EXIT_IRET || out.failed_check != SE_CHECK_NONE)
        printf(" (failed check: %s)", se_check_name(out.failed_check));
    if (out.fault.kind != SE_FAULT_NONE)
        printf(" (%s at %#" PRIx64 ", CPL %u, raised by the %s exit)",
               se_vector_name(out.fault.vector), out.fault.rip, out.fault.cpl,
               se_exit_path_name(out.chosen));
    printf("\nRAX = %" PRIu64 ", %" PRIu64 " guest instructions from SYSCALL to the return\n",
           out.user.rax, out.instructions);
    printf("RCX = return address, R11 = user RFLAGS (SYSCALL-3/4); RBX, R12 preserved: %s\n",
           out.user.rbx == user.rbx && out.user.r12 == user.r12 ? "yes" : "NO");
    se_machine_destroy(m);
    return out.path == SE_EXIT_SYSRET ? 0 : 1;
}
