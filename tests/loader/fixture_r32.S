    .section .entry.text, "ax"
    ret
    .data
    .long target                   /* R_X86_64_32: only fits below 4 GiB */
target:
    .section .note.GNU-stack, "", @progbits
