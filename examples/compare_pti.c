/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One thing: what page-table isolation costs on the syscall path, per phase. */
#include <inttypes.h>
#include <stdio.h>

#include <sysentry/sysentry.h>

static int run(bool pti, bool pcid, se_outcome *out)
{
    se_config cfg;
    se_config_default(&cfg);
    cfg.pti = pti;
    cfg.pcid = pcid;
    se_machine *m;
    if (se_machine_create(&cfg, &m) != SE_OK)
        return 1;
    se_regs user = {.rax = 39,
                    .rip = 0x401000,
                    .rsp = 0x7fffffffe000,
                    .rflags = 0x246,
                    .cs = SE_USER_CS,
                    .ss = SE_USER_DS};
    se_status st = se_syscall(m, &user, out);
    se_machine_destroy(m);
    return st != SE_OK;
}

int main(void)
{
    se_outcome off, on, pcid;
    if (run(false, false, &off) || run(true, false, &on) || run(true, true, &pcid))
        return 1;
    printf("%-12s %8s %8s %10s\n", "phase", "no PTI", "PTI", "PTI+PCID");
    for (int p = 0; p < SE_PHASE_COUNT; p++)
        printf("%-12s %8" PRIu64 " %8" PRIu64 " %10" PRIu64 "\n", se_phase_name((se_phase)p),
               off.phase_cycles[p], on.phase_cycles[p], pcid.phase_cycles[p]);
    printf("%-12s %8" PRIu64 " %8" PRIu64 " %10" PRIu64 "\n", "total", off.cycles, on.cycles,
           pcid.cycles);
    /* the CR3 switches are what PTI adds; the no-flush bit makes PCID cheaper */
    return on.cycles > off.cycles && pcid.cycles < on.cycles ? 0 : 1;
}
