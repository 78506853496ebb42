/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Kernel and user code snippets for the machine tests. Position-independent (copied into
 * guest memory by the tests), so only relative jumps and constants are used.
 * GS-relative offsets: 0x14 is TSS.sp2 in the per-CPU TSS page, which PTI maps in the user
 * page tables too, so these work before any CR3 switch.
 */
#define STUB(name) .globl name; name:

    .section .rodata.stubs, "a"
    .code64

/* SYSCALL target returning with SYSRET; proves CPL0 (SWAPGS) and the GS swap (%gs store). */
STUB(stub_sysret)
    swapgs
    movq %rsp, %gs:0x14
    movq %gs:0x14, %r14
STUB(stub_sysret_inside)
    nop
    swapgs
    sysretq
STUB(stub_sysret_end)

/* SYSCALL target returning with IRETQ: frame built on the current (user) stack. */
STUB(stub_iret)
    swapgs
    movq %rsp, %r12
    pushq $0x2b
    pushq %r12
    pushq %r11
    pushq $0x33
    pushq %rcx
    swapgs
STUB(stub_iret_iretq)
    iretq
STUB(stub_iret_end)

/* PTI: switch to the kernel CR3 with the no-flush bit, read kernel-only memory at (%rdi),
 * switch back to the user CR3 (flushing), return. RBX receives CR3 as read after the write. */
STUB(stub_cr3)
    swapgs
    movq %cr3, %rax
    movq %rax, %r13
    andq $~0x1800, %rax
    btsq $63, %rax
    movq %rax, %cr3
    movq %cr3, %rbx
    movq (%rdi), %r8
    movq %r13, %cr3
    swapgs
    sysretq
STUB(stub_cr3_end)

/* Read kernel-only memory at (%rdi) while still on the user CR3: #PF at CPL0 under PTI. */
STUB(stub_kread)
    swapgs
    movq (%rdi), %r8
    swapgs
    sysretq
STUB(stub_kread_end)

/* SYSRET to a non-canonical RCX (the CVE-2012-0217 shape: user RSP and GS already back). */
STUB(stub_noncanon)
    swapgs
    swapgs
    movabsq $0x0000800000000000, %rcx
STUB(stub_noncanon_sysretq)
    sysretq
STUB(stub_noncanon_end)

/* WRMSR of a non-canonical LSTAR from kernel code: #GP(0) (MSR-3). */
STUB(stub_wrmsr)
    movl $0xc0000082, %ecx
    movl $0, %eax
    movl $0x8000, %edx
STUB(stub_wrmsr_insn)
    wrmsr
    sysretq
STUB(stub_wrmsr_end)

/* MOV to CR0 from kernel code of CR0 ^ RDX; RBX receives CR0 as read back afterwards. */
STUB(stub_cr0)
    movq %cr0, %rax
    xorq %rdx, %rax
STUB(stub_cr0_insn)
    movq %rax, %cr0
    movq %cr0, %rbx
    sysretq
STUB(stub_cr0_end)

/* User code. */
STUB(user_syscall)
    syscall
    nop
    nop
STUB(user_syscall_end)
STUB(user_read_rax)
    movq (%rax), %rbx
STUB(user_read_rax_end)
STUB(user_write_rax)
    movq %rbx, (%rax)
STUB(user_write_rax_end)
STUB(user_jmp_rax)
    jmp *%rax
STUB(user_jmp_rax_end)
STUB(user_spin)
    jmp user_spin
STUB(user_spin_end)
STUB(user_swapgs)
    swapgs
STUB(user_swapgs_end)

    .section .note.GNU-stack, "", @progbits
