/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Linked into fixture.elf: a local label with the name of a global in fixture.S. */
    .section .dup, "a"
dup_name:
    .byte 0
    .section .note.GNU-stack, "", @progbits
