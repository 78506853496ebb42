/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The architectural model without Unicorn (src/cpu): one named cmocka test per table row, a
 * passing and a faulting row for every rule of docs/model.md, both vendors where they
 * differ, 48- and 57-bit widths. Every faulting row also checks that the state is
 * byte-identical afterwards.
 */
#include "cpu_test.h"

int main(void)
{
    int failed = t_run_basics();
    failed += t_run_syscall();
    failed += t_run_sysret();
    failed += t_run_swapgs();
    failed += t_run_rdtsc();
    failed += t_run_cr();
    failed += t_run_iret();
    return failed != 0;
}
