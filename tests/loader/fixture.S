/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Loader fixture: cross-section references with every supported relocation type, local and
 * global labels, an absolute and a weak symbol, NOBITS, an 8 KiB-aligned section and a
 * non-allocated section with relocations. .text comes before .entry.text in the source so
 * that placement order is the loader's choice, not the assembler's. Every relocated field has
 * a label (site_*) that the test uses to find it.
 *
 * The first three directives fix the order of .text, .data and .bss in the object for both GNU
 * as and clang, so that fixture.ld can mirror the loader's placement (the ld comparison).
 */
    .data
    .bss
    .text
    .globl other_fn
other_fn:
    ret
local_in_text:                          /* local: referenced via the .text section symbol */
    nop
    ret

    .section .entry.text, "ax"
    .globl entry_sym
    .type entry_sym, @function
entry_sym:
site_call:
    call other_fn                       /* R_X86_64_PLT32 */
site_movabs:
    movabsq $data_word, %rax            /* R_X86_64_64 */
site_lea:
    leaq data_word(%rip), %rbx          /* R_X86_64_PC32 */
site_lea_neg:
    leaq data_word-8(%rip), %rbx        /* R_X86_64_PC32, negative addend */
site_movq:
    movq $data_word, %rcx               /* R_X86_64_32S */
site_jmp_local:
    jmp local_in_text                   /* PLT32/PC32 against a local label elsewhere */
local_label:
    jmp local_label
    .size entry_sym, . - entry_sym

    .data
    .globl data_word
data_word:
    .quad entry_sym                     /* R_X86_64_64 */
data_quad_local:
    .quad local_label + 16              /* R_X86_64_64 with an addend, local target */
data_pc32:
    .long other_fn - .                  /* R_X86_64_PC32 in data */
    .long 0
data_abs:
    .quad abs_sym                       /* R_X86_64_64 against an absolute symbol */
data_bss_ptr:
    .quad bss_buf                       /* R_X86_64_64 into NOBITS */
site_none:
    .quad 0x1122334455667788            /* R_X86_64_NONE below: left as it is */
    .reloc site_none, R_X86_64_NONE, data_word

    .weak weak_sym
weak_sym:
    .quad 0

    .section .rodata, "a"
ro_ptr:
    .quad other_fn + 1
    .globl dup_name                     /* fixture_dup.S has a local of the same name */
dup_name:
    .quad 0

    .section .aligned, "aw"
    .balign 8192
aligned_word:
    .quad 0

    .bss
bss_buf:
    .skip 64

    .section .se_debug, ""              /* not SHF_ALLOC: not loaded, relocations skipped */
    .quad entry_sym

    .globl abs_sym
    .set abs_sym, 0x1234
    .section .note.GNU-stack, "", @progbits
