/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Entry code whose phase labels are all local, for the duplicate-label regression test: the
 * build links two copies with `ld -r`, which keeps every local, so the object carries each
 * se_phase_* name twice (24 phase symbols, more than the 12 distinct labels the machine knows).
 * The path itself is examples/simple_entry.S's: no PTI, always SYSRET.
 */
    .section .entry.text, "ax", @progbits
phases_entry:
se_phase_entry:
    swapgs
    movq    %rsp, %gs:0x14          /* park the user RSP */
se_phase_cr3_kernel:
    nop                             /* no PTI: nothing to switch */
se_phase_ptregs:
    movq    %gs:0x1000, %rsp        /* task stack */
    pushq   $0x2b                   /* ss */
    pushq   %gs:0x14                /* sp */
    pushq   %r11                    /* flags */
    pushq   $0x33                   /* cs */
    pushq   %rcx                    /* ip */
    pushq   %rax                    /* orig_ax */
    pushq   %rdi
    pushq   %rsi
    pushq   %rdx
    pushq   %rcx
    pushq   $-38                    /* ax = -ENOSYS */
    pushq   %r8
    pushq   %r9
    pushq   %r10
    pushq   %r11
    pushq   %rbx
    pushq   %rbp
    pushq   %r12
    pushq   %r13
    pushq   %r14
    pushq   %r15                    /* a whole pt_regs: the handler reads and writes it */
se_phase_dispatch:
    movq    %rsp, %rdi
    movslq  %eax, %rsi
    call    do_syscall_64
se_phase_checks:
    nop
se_phase_restore:
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
    movq    (%rsp), %rcx            /* ip */
    movq    16(%rsp), %r11          /* flags */
    movq    24(%rsp), %rsp          /* the user RSP */
se_phase_cr3_user:
    nop
se_phase_sysret:
    swapgs
    sysretq
se_phase_restore_iret:
    nop
se_phase_cr3_user_iret:
    nop
se_phase_iret:
    ud2

    .text
do_syscall_64:
    nop                             /* the library runs the C handler here */
    ret

    .section .note.GNU-stack, "", @progbits
