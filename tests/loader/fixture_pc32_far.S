/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Loader fixture: a RIP-relative reference to an absolute address more than 2 GiB away. */
    .section .entry.text, "ax"
    leaq far_abs(%rip), %rax            /* R_X86_64_PC32 that cannot reach */
    ret
    .set far_abs, 0x0000123456789000
    .section .note.GNU-stack, "", @progbits
