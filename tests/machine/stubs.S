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

/* The engine's TLB across CR3 switches (backend.c, "CR3 switches without a flush"): on the
 * kernel CR3 read kernel-only memory at (%rdi), which fills a translation, then go back to the
 * user CR3. RSI selects what happens on the user CR3 at CPL0 (R13 keeps the user CR3):
 * 1: read (%rdi) at entry, before the switch; 2: read (%rdi) after the switch back;
 * 3: read the user page at (%rdx) after the switch back (allowed: CR4.SMAP is clear);
 * 4: set RFLAGS.AC with POPF after the switch back, then read (%rdi) (the stack is moved
 *    to R15, a supervisor page of the user PGD: a user stack would be a user-page access);
 * 5: set AC, then jump to kernel-only code at (%r8), which returns with a jmp *%r9;
 * 6: rewrite CR4 with its own value after the switch back (the engine then recomputes its
 *    hflags), then read (%rdi).
 * 7: read the user page, then (%rdi).
 * 1, 2, 4, 5, 6 and 7 must #PF as PTI makes them on hardware; 0 and 3 return with SYSRET. */
STUB(stub_cr3_tlb)
    swapgs
    cmpq $1, %rsi
    jne 1f
    movq (%rdi), %r10
1:  movq %cr3, %rax
    movq %rax, %r13
    andq $~0x1800, %rax
    movq %rax, %cr3
    movq (%rdi), %r12
    movq %r13, %cr3
    cmpq $2, %rsi
    jne 2f
    movq (%rdi), %r10
2:  cmpq $3, %rsi
    je 10f
    cmpq $7, %rsi
    jne 3f
    movq (%rdx), %r10
    movq (%rdi), %r11
    jmp 3f
10: movq (%rdx), %r10
3:  cmpq $6, %rsi
    jne 9f
    movq %cr4, %rax
    movq %rax, %cr4
    movq (%rdi), %r10
9:  cmpq $4, %rsi
    jb 6f
    cmpq $6, %rsi
    je 6f
    movq %rsp, %r14
    movq %r15, %rsp
    pushfq
    orq $0x40000, (%rsp)
    popfq
    cmpq $5, %rsi
    je 5f
    movq (%rdi), %r10
    jmp 4f
5:  leaq 4f(%rip), %r9
    jmp *%r8
4:  pushfq
    andq $~0x40000, (%rsp)
    popfq
    movq %r14, %rsp
6:  swapgs
    sysretq
STUB(stub_cr3_tlb_end)

/* A page of entry text whose last byte is a POPF that sets RFLAGS.AC on the user CR3, so
 * that the next instruction is the first one of the following, kernel-only page
 * (stub_acpage_b), which the kernel CR3 fetched before (call *%r8 to its RET at +0x20). With RSI = 0
 * only the warm-up runs; otherwise the fetch of stub_acpage_b on the user CR3 must #PF. */
STUB(stub_acpage)
    swapgs
    movq %rsp, %r14
    movq %r15, %rsp
    movq %cr3, %rax
    movq %rax, %r13
    andq $~0x1800, %rax
    movq %rax, %cr3
    call *%r8
    movq %r13, %cr3
    testq %rsi, %rsi
    jnz 8f
    movq %r14, %rsp
    swapgs
    sysretq
    .fill stub_acpage + 0xFF6 - ., 1, 0x90
8:  pushfq
    orq $0x40000, (%rsp)
    popfq
STUB(stub_acpage_end)

STUB(stub_acpage_b)
    pushfq
    andq $~0x40000, (%rsp)
    popfq
    movq %r14, %rsp
    swapgs
    sysretq
    .fill stub_acpage_b + 0x20 - ., 1, 0x90
    ret
STUB(stub_acpage_b_end)

/* Kernel-only code for stub_cr3_tlb case 5: goes back to where R9 says. */
STUB(stub_kjump)
    nop
    jmp *%r9
STUB(stub_kjump_end)

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
