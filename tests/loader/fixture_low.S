/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Loader fixture for the 32-bit absolute relocations: R_X86_64_32 only fits below 4 GiB,
 * R_X86_64_32S only in the lowest or highest 2 GiB. */
    .section .entry.text, "ax"
site_movq32s:
    movq $target32, %rax                /* R_X86_64_32S */
    ret
    .data
site_long32:
    .long target32                      /* R_X86_64_32 */
target32:
    .long 0
    .section .note.GNU-stack, "", @progbits
