/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Finding the SYSRET checks in compiled entry code without labels (a distribution kernel).
 *
 * Linux 6.1–6.6 (arch/x86/entry/entry_64.S, entry_SYSCALL_64 after `call do_syscall_64`) tests
 * the final pt_regs in assembly, each test ending in a branch to
 * swapgs_restore_regs_and_return_to_usermode (the IRET exit). The decoder walks the code from
 * the return address of the call to the SYSRET exit, follows which pt_regs slot each register
 * holds (loads from RSP + the slot's offset, the shl/sar sign extension) and names every branch
 * to the IRET exit by the idiom of the compare that sets its flags:
 *   C0 Xen PV      an unconditional jmp to the IRET exit (the XENPV alternative, applied)
 *   C1 RCX==RIP    cmp of the cx slot with the ip slot, jne
 *   C2 canonical   cmp of the cx slot sign-extended by shl/sar with the ip slot, jne
 *   C3 CS          cmp $__USER_CS with the cs slot, jne
 *   C4 R11==flags  cmp of the r11 slot with the flags slot, jne
 *   C5 RF|TF       test $(RF|TF) of the r11 or flags slot, jnz
 *   C6 SS          cmp $__USER_DS with the ss slot, jne
 * Anything else branching to the IRET exit is reported as unknown, never guessed. The function
 * is pure: it reads the bytes it is given.
 */
#ifndef SE_ENTRY_DISCOVER_H
#define SE_ENTRY_DISCOVER_H

#include <stddef.h>
#include <stdint.h>

#include <sysentry/config.h>

/** One branch to the IRET exit and what it checks. */
typedef struct se_found_check {
    uint64_t start;  /* first instruction after the previous branch (the check's block) */
    uint64_t branch; /* the branch instruction */
    se_check check;  /* SE_CHECK_NONE: an idiom the classifier does not know */
} se_found_check;

/**
 * Classify the branches to `iret_exit` in code[0, len), which is the code at address `from`
 * (the return address of `call do_syscall_64`) up to the SYSRET exit. Decoding stops at the end
 * of the bytes, at an undecodable byte, or at an unconditional jump elsewhere, return or
 * SYSRET. At most `max` records are written.
 * @return the number of branches found (may exceed max: only max are stored).
 */
size_t se_discover_checks(const uint8_t *code, size_t len, uint64_t from, uint64_t iret_exit,
                          se_found_check *out, size_t max);

#endif /* SE_ENTRY_DISCOVER_H */
