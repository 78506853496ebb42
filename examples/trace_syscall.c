/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One thing: trace a syscall instruction by instruction, with phases and cycles. */
#include <inttypes.h>
#include <stdio.h>

#include <sysentry/sysentry.h>

static void on_insn(const se_trace_event *ev, void *ctx)
{
    (void)ctx;
    printf("%3" PRIu64 " %-10s %-32s %4u  %s\n", ev->index, se_phase_name(ev->phase), ev->att,
           ev->cycles, ev->note);
}

int main(void)
{
    se_machine *m;
    if (se_machine_create(NULL, &m) != SE_OK)
        return 1;
    se_set_trace(m, on_insn, NULL);
    se_regs user = {.rax = 39,
                    .rip = 0x401000,
                    .rsp = 0x7fffffffe000,
                    .rflags = 0x246,
                    .cs = SE_USER_CS,
                    .ss = SE_USER_DS};
    se_outcome out;
    se_status st = se_syscall(m, &user, &out);
    printf("%s: %" PRIu64 " instructions, %" PRIu64 " cycles\n", se_exit_path_name(out.path),
           out.instructions, out.cycles);
    se_machine_destroy(m);
    return st == SE_OK && out.instructions > 0 ? 0 : 1;
}
