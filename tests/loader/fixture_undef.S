/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Loader fixture: a call to a symbol no object defines. */
    .section .entry.text, "ax"
    call missing_fn
    .section .note.GNU-stack, "", @progbits
