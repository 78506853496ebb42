/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A deliberately simpler SYSCALL entry, as a hobby OS might write it: it saves the user
 * state in a pt_regs frame, lets the C handler run, and ALWAYS returns with SYSRET, taking
 * RIP and RFLAGS from pt_regs without any of Linux's checks. No PTI (run it with pti off).
 * It uses the machine's layout from <sysentry/layout.h>: TSS.sp2 and the task stack top in the
 * per-CPU area at the kernel GS base, the user selectors.
 */
#include <sysentry/layout.h>

    .section .entry.text, "ax", @progbits
    .globl simple_entry, simple_dispatch
simple_entry:
    swapgs
    movq    %rsp, %gs:SE_PCPU_TSS + SE_ENTRY_TSS_SP2 /* park the user RSP */
    movq    %gs:SE_PCPU_TOP_OF_STACK, %rsp /* task stack */
    pushq   $SE_ENTRY_USER_DS       /* ss */
    pushq   %gs:SE_PCPU_TSS + SE_ENTRY_TSS_SP2 /* sp */
    pushq   %r11                    /* flags */
    pushq   $SE_ENTRY_USER_CS       /* cs */
    pushq   %rcx                    /* ip */
    pushq   %rax                    /* orig_ax */
    pushq   %rdi
    pushq   %rsi
    pushq   %rdx
    pushq   %rcx
    pushq   $SE_ENTRY_NEG_ENOSYS    /* ax = -ENOSYS */
    pushq   %r8
    pushq   %r9
    pushq   %r10
    pushq   %r11
    pushq   %rbx
    pushq   %rbp
    pushq   %r12
    pushq   %r13
    pushq   %r14
    pushq   %r15
    movq    %rsp, %rdi
    movslq  %eax, %rsi
    call    simple_dispatch
    popq    %r15
    popq    %r14
    popq    %r13
    popq    %r12
    popq    %rbp
    popq    %rbx
    popq    %r11
    popq    %r10
    popq    %r9
    popq    %r8
    popq    %rax
    popq    %rcx
    popq    %rdx
    popq    %rsi
    popq    %rdi
    addq    $8, %rsp                /* orig_ax */
    movq    (%rsp), %rcx            /* RIP from pt_regs->ip: no canonical check */
    movq    16(%rsp), %r11          /* RFLAGS from pt_regs->flags */
    movq    24(%rsp), %rsp          /* the user RSP */
    swapgs
    sysretq

    .text
simple_dispatch:
    nop                             /* the library runs the C handler here */
    ret

    .section .note.GNU-stack, "", @progbits
