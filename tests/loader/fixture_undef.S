    .section .entry.text, "ax"
    call missing_fn
    .section .note.GNU-stack, "", @progbits
