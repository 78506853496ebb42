# SPDX-License-Identifier: GPL-2.0-or-later
# Loader fixture for GNU as --keep-locals: .L temporaries reach the symbol table and must not
# become loader symbols; an ordinary local label must.
    .section .entry.text, "ax"
plain_local:
    jmp .Lhidden
.Lhidden:
    ret
    .section .note.GNU-stack, "", @progbits
