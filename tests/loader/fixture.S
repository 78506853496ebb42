/* Loader fixture: one object with every relocation type the loader supports. */
    .section .entry.text, "ax"
    .globl entry_sym
entry_sym:
    call other_fn                  /* R_X86_64_PLT32 across sections */
    movabsq $data_word, %rax       /* R_X86_64_64 */
    leaq data_word(%rip), %rbx     /* R_X86_64_PC32 */
    movq $data_word, %rcx          /* R_X86_64_32S */
local_label:
    jmp local_label
    .text
    .globl other_fn
other_fn:
    ret
    .data
    .globl data_word
data_word:
    .quad entry_sym                /* R_X86_64_64 in data */
    .bss
bss_buf:
    .skip 64
    .section .note.GNU-stack, "", @progbits
