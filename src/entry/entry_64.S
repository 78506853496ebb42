/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libsysentry's rebuild of Linux 6.6's 64-bit SYSCALL entry and exit (entry_SYSCALL_64),
 * written from a description of arch/x86/entry/entry_64.S and calling.h at v6.6 (docs/entry.md); no
 * kernel source was copied. Rule IDs (SYSRET-3, CR3-5, ...) refer to docs/model.md.
 *
 * What the object contains
 *   .entry.text  everything the PTI user page tables must map: the entry, both exits and the
 *                VERW operand mds_verw_sel. It decodes linearly from its first byte up to
 *                mds_verw_sel (alignment gaps are int3), which the library relies on when it
 *                scans the code with Zydis to hook privileged instructions.
 *   .text        do_syscall_64: a `nop; ret` stub. The library hooks the nop; the hook reads
 *                pt_regs through RDI and the number from ESI, runs 6.6 dispatch semantics and
 *                the user's C handler, writes pt_regs back and, for the 6.7 profile, puts the
 *                SYSRET verdict in AL (true = SYSRET), like 6.7's bool do_syscall_64.
 *   .se_patch    one 16-byte record per alternative block (see SE_ALT_* below).
 *
 * Addressing: only constants (GS-relative per-CPU offsets, pt_regs displacements) and
 * RIP-relative or PC-relative references. The only absolute data are the .se_patch start
 * addresses (R_X86_64_64, applied by the ELF loader); the call to do_syscall_64 crosses
 * sections (R_X86_64_PLT32). No FSGSBASE instructions: Unicorn 2.0.1 lacks them, and the
 * path needs none (SWAPGS-3: SWAPGS and %gs: accesses are enough).
 *
 * Alternatives. Linux patches its entry code at boot: a mitigation that is not needed leaves
 * a `jmp` over its body (ALTERNATIVE "jmp .Lend", "", FEATURE). Here SE_ALT_BLOCK_IF f /
 * SE_ALT_BLOCK_IFNOT f ... SE_ALT_END mark a block that is kept only when feature f is on
 * (or off); every block emits a record into .se_patch, and patch.c turns each block that is
 * not kept into `jmp <end>` padded with int3 at load time. Blocks nest; a dropped outer block
 * wins over anything inside it. The macros pad a block to at least two bytes so the short
 * jmp always fits.
 *
 * How the library tells which check sent the return to IRET (6.6 profile). Each check C0..C6
 * is its own alternative block starting at its own label (se_check_xen_pv, se_check_rcx_rip,
 * ...). Every check block begins right after a control transfer: the return from
 * do_syscall_64 (via the dropped 6.7 block's jmp), the previous check's conditional jump,
 * or the jmp a dropped check was patched into. So each check block starts a new translation
 * block in the emulator. The library records the start of the last block executed before
 * swapgs_restore_regs_and_return_to_usermode and maps it to the check label with the
 * greatest address not above it (a check block may be split further inside, e.g. C2 by the
 * jmp over its unused LA57 variant, which does not change the answer). In the 6.7 profile
 * the verdict comes from C (se_verdict_6_7) and se_check_c_verdict holds the AL test.
 *
 * Phase labels for the cycle model (each marks where a phase begins; a phase ends where the
 * next label in address order begins): se_phase_entry, se_phase_cr3_kernel, se_phase_ptregs,
 * se_phase_dispatch, se_phase_checks, then for the SYSRET exit se_phase_restore,
 * se_phase_cr3_user, se_phase_sysret, and for the IRET exit se_phase_restore_iret,
 * se_phase_cr3_user_iret, se_phase_iret.
 *
 * Not modelled (documented deviations from 6.6.47): ENDBR (no kernel IBT), UNTRAIN_RET,
 * CLEAR_BRANCH_HISTORY, STACKLEAK, CONFIG_DEBUG_ENTRY, the Xen PV exit of the IRET path (C0
 * simply takes the native IRET exit), and the body of the espfix64 path (the model has no LDT
 * and no espfix stack: its test is kept and its outcome reported, see native_irq_return_ldt).
 */
#include "entry/layout.h"

/* ---- Alternative blocks ----------------------------------------------------------------
 * A block's start label is numbered by a running sequence number; a small stack, indexed by
 * nesting depth, remembers which sequence number each open block has so that SE_ALT_END
 * closes the innermost one. .altmacro is switched on only around the helper calls, for the
 * `%expr` operator that turns the counters into label names.
 */
	.set	.Lse_alt_depth, 0
	.set	.Lse_alt_seq, 0

	.pushsection .se_patch, "a", @progbits
	.balign	8
	.popsection

	.macro	se_alt_open_n seq:req, depth:req, feat:req, pol:req
.Lse_alt_start_\seq:
	.set	.Lse_alt_stack_\depth, \seq
	.pushsection .se_patch, "a", @progbits
	.quad	.Lse_alt_start_\seq			/* absolute: relocated by the loader */
	.long	.Lse_alt_end_\seq - .Lse_alt_start_\seq
	.short	\feat
	.byte	\pol
	.byte	0
	.popsection
	.endm

	.macro	se_alt_close_n seq:req
	/* pad to SE_PATCH_MIN_BLOCK bytes; gas comparisons yield -1 for true, hence the minus */
	.fill	-((. - .Lse_alt_start_\seq) < SE_PATCH_MIN_BLOCK) * (SE_PATCH_MIN_BLOCK - (. - .Lse_alt_start_\seq)), 1, 0x90
.Lse_alt_end_\seq:
	.endm

	.macro	se_alt_close_d depth:req
	.altmacro
	se_alt_close_n %(.Lse_alt_stack_\depth)
	.noaltmacro
	.endm

	.macro	se_alt_open feat:req, pol:req
	.set	.Lse_alt_seq, .Lse_alt_seq + 1
	.set	.Lse_alt_depth, .Lse_alt_depth + 1
	.altmacro
	se_alt_open_n %.Lse_alt_seq, %.Lse_alt_depth, \feat, \pol
	.noaltmacro
	.endm

	/* keep the following code only when feature `feat` is on */
	.macro	SE_ALT_BLOCK_IF feat:req
	se_alt_open \feat, SE_PATCH_KEEP_IF_ON
	.endm

	/* keep the following code only when feature `feat` is off */
	.macro	SE_ALT_BLOCK_IFNOT feat:req
	se_alt_open \feat, SE_PATCH_KEEP_IF_OFF
	.endm

	.macro	SE_ALT_END
	.if	.Lse_alt_depth <= 0
	.error	"SE_ALT_END without an open alternative block"
	.endif
	.altmacro
	se_alt_close_d %.Lse_alt_depth
	.noaltmacro
	.set	.Lse_alt_depth, .Lse_alt_depth - 1
	.endm

/* ---- Notes for traces ---------------------------------------------------------------------
 * SE_NOTE "text" attaches a plain-language note to the next instruction: a {address, string}
 * record in .se_notes, the string in .se_notes_str. The library shows it in traces; neither
 * section is mapped into the guest.
 */
	.macro	SE_NOTE text:req
	.pushsection .se_notes_str, "a", @progbits
.Lse_note_str_\@:
	.asciz	"\text"
	.popsection
	.pushsection .se_notes, "a", @progbits
	.balign	8
	.quad	.Lse_note_at_\@
	.quad	.Lse_note_str_\@
	.popsection
.Lse_note_at_\@:
	.endm

/* ---- Register frame helpers (arch/x86/entry/calling.h@v6.6) -------------------------------------- */

	/* Save the general registers below the hardware-frame part of pt_regs. The ax slot gets
	 * -ENOSYS, the value a syscall that dispatches nothing returns; the user's RAX is already
	 * saved as orig_ax. */
	.macro	se_save_gprs
	SE_NOTE "PUSH_REGS: save the general registers into pt_regs (ax gets -ENOSYS)"
	pushq	%rdi
	pushq	%rsi
	pushq	%rdx
	pushq	%rcx
	pushq	$SE_ENTRY_NEG_ENOSYS
	pushq	%r8
	pushq	%r9
	pushq	%r10
	pushq	%r11
	pushq	%rbx
	pushq	%rbp
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
	.endm

	/* Zero every user value the C code does not need, so none can steer speculation. 32-bit
	 * XORs zero the whole register (writes to a 32-bit register zero-extend) and are the
	 * shortest encoding. RAX still holds the number (needed next), RDI is about to become the
	 * pt_regs pointer, RSP is the stack. */
	.macro	se_scrub_gprs
	SE_NOTE "CLEAR_REGS: zero user values the C code does not need (speculation hygiene)"
	xorl	%esi, %esi
	xorl	%edx, %edx
	xorl	%ecx, %ecx
	xorl	%r8d, %r8d
	xorl	%r9d, %r9d
	xorl	%r10d, %r10d
	xorl	%r11d, %r11d
	xorl	%ebx, %ebx
	xorl	%ebp, %ebp
	xorl	%r12d, %r12d
	xorl	%r13d, %r13d
	xorl	%r14d, %r14d
	xorl	%r15d, %r15d
	.endm

	/* Reload the user registers from pt_regs, leaving RSP at the di slot: RDI is still needed
	 * as the pointer to the rest of the frame while the stack moves to the trampoline. */
	.macro	se_restore_gprs_but_rdi
	SE_NOTE "POP_REGS: reload the user's registers from pt_regs (RDI last)"
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%rbp
	popq	%rbx
	popq	%r11
	popq	%r10
	popq	%r9
	popq	%r8
	popq	%rax
	popq	%rcx
	popq	%rdx
	popq	%rsi
	.endm

/* ---- Speculation-control MSR (arch/x86/entry/calling.h@v6.6, IBRS_ENTER/IBRS_EXIT, MSR-1, MSR-8) ----------------------- */

	/* Kernel IBRS on: SPEC_CTRL <- this CPU's x86_spec_ctrl_current (which has IBRS set).
	 * WRMSR takes ECX = MSR and EDX:EAX = value, so RAX, RCX and RDX are clobbered: the entry
	 * must have copied the syscall number out of EAX before this runs. */
	.macro	se_ibrs_enter
	SE_ALT_BLOCK_IF SE_FEAT_IBRS
	movl	$SE_ENTRY_MSR_SPEC_CTRL, %ecx
	movq	%gs:SE_PCPU_SPEC_CTRL_CURRENT, %rdx
	movl	%edx, %eax
	shrq	$32, %rdx
	wrmsr
	SE_ALT_END
	.endm

	/* Back to user mode: the same value with IBRS cleared. Runs before the registers are
	 * restored, so the clobbered RAX/RCX/RDX are reloaded from pt_regs right after. */
	.macro	se_ibrs_exit
	SE_ALT_BLOCK_IF SE_FEAT_IBRS
	movl	$SE_ENTRY_MSR_SPEC_CTRL, %ecx
	movq	%gs:SE_PCPU_SPEC_CTRL_CURRENT, %rdx
	andl	$~SE_ENTRY_SPEC_CTRL_IBRS, %edx
	movl	%edx, %eax
	shrq	$32, %rdx
	wrmsr
	SE_ALT_END
	.endm

	/* MDS: VERW with a valid data selector overwrites the CPU buffers just before the return
	 * (6.6.y CLEAR_CPU_BUFFERS). Placed after the final SWAPGS, so the operand must be
	 * reachable on the user CR3: mds_verw_sel lives in .entry.text. Only ZF changes. */
	.macro	se_clear_cpu_buffers
	SE_ALT_BLOCK_IF SE_FEAT_VERW
	verw	.Lse_mds_verw_sel(%rip)
	SE_ALT_END
	.endm

/* ---- PTI CR3 switches (arch/x86/entry/calling.h@v6.6, SWITCH_TO_KERNEL_CR3/SWITCH_TO_USER_CR3, CR3-2, CR3-5) ------------------------------ */

	/* Switch to the kernel page tables using RSP as the only free register (nothing else
	 * may be touched yet: every GPR still holds a user value that pt_regs must record).
	 * Clearing bit 12 selects the kernel half of the 8 KiB PGD pair and clearing bit 11 the
	 * kernel PCID. With PCID the write carries the no-flush bit (CR3-5): kernel mappings are
	 * flushed explicitly elsewhere, never by this switch. */
	.macro	se_switch_to_kernel_cr3
	SE_ALT_BLOCK_IF SE_FEAT_PTI
	SE_NOTE "PTI: read CR3 into RSP, the only register that is free"
	movq	%cr3, %rsp
	SE_ALT_BLOCK_IF SE_FEAT_PCID
	SE_NOTE "PCID: set the no-flush bit; the kernel PCID keeps its TLB entries"
	btsq	$SE_ENTRY_CR3_NOFLUSH_BIT, %rsp
	SE_ALT_END
	SE_NOTE "clear bit 12 (user PGD) and bit 11 (user PCID): the kernel half of the pair"
	andq	$~((1 << SE_ENTRY_PTI_USER_PCID_BIT) | (1 << SE_ENTRY_PTI_USER_PGTABLE_BIT)), %rsp
	movq	%rsp, %cr3
	SE_ALT_END
	.endm

	/* Switch to the user page tables on the trampoline stack, with RDI as scratch and RAX
	 * saved around the switch (every other register already holds its user value).
	 * Without PCID every switch flushes (bit 12 set, plain write). With PCID the kernel may
	 * have changed user mappings and deferred the user-PCID flush to this point by setting
	 * bit kPCID in user_pcid_flush_mask: if it is set, clear it and write without bit 63 so
	 * the CPU drops the user PCID's non-global entries (CR3-5); otherwise write with bit 63
	 * and keep them. Bit 11 turns the kernel PCID into the user PCID. */
	.macro	se_switch_to_user_cr3_stack
	SE_NOTE "save RAX: the switch needs a second scratch register"
	pushq	%rax
	SE_ALT_BLOCK_IF SE_FEAT_PTI
	movq	%cr3, %rdi
	SE_ALT_BLOCK_IF SE_FEAT_PCID
	SE_NOTE "PCID: the kernel PCID indexes this CPU's user_pcid_flush_mask"
	movl	%edi, %eax
	andl	$SE_ENTRY_CR3_KPCID_MASK, %eax
	SE_NOTE "is a flush of the user PCID pending (deferred by the kernel)?"
	btw	%ax, %gs:SE_PCPU_USER_PCID_FLUSH_MASK
	jnc	.Lse_ucr3_keep_tlb_\@
	SE_NOTE "yes: consume it and write CR3 without the no-flush bit"
	btrw	%ax, %gs:SE_PCPU_USER_PCID_FLUSH_MASK
	jmp	.Lse_ucr3_user_pcid_\@
.Lse_ucr3_keep_tlb_\@:
	SE_NOTE "no: set the no-flush bit, the user PCID keeps its TLB entries"
	btsq	$SE_ENTRY_CR3_NOFLUSH_BIT, %rdi
.Lse_ucr3_user_pcid_\@:
	SE_NOTE "bit 11: the user PCID"
	orq	$(1 << SE_ENTRY_PTI_USER_PCID_BIT), %rdi
	SE_ALT_END
	SE_NOTE "bit 12: the user half of the PGD pair"
	orq	$(1 << SE_ENTRY_PTI_USER_PGTABLE_BIT), %rdi
	movq	%rdi, %cr3
	SE_ALT_END
	popq	%rax
	.endm

/* ======================================================================================== */

	.section .entry.text, "ax", @progbits

	.globl	entry_SYSCALL_64, entry_SYSCALL_64_safe_stack, entry_SYSCALL_64_after_hwframe
	.globl	se_call_do_syscall_64, se_check_c_verdict, se_check_xen_pv, se_check_rcx_rip
	.globl	se_check_canonical, se_check_cs, se_check_r11_flags, se_check_rf_tf, se_check_ss
	.globl	syscall_return_via_sysret, entry_SYSRETQ_unsafe_stack, se_sysretq, entry_SYSRETQ_end
	.globl	swapgs_restore_regs_and_return_to_usermode, native_irq_return_iret, mds_verw_sel
	.globl	native_irq_return_ldt, se_espfix_ldt, se_iret_cs_ud2, se_iret_espfix_test
	.globl	se_phase_entry, se_phase_cr3_kernel, se_phase_ptregs, se_phase_dispatch
	.globl	se_phase_checks, se_phase_restore, se_phase_cr3_user, se_phase_sysret
	.globl	se_phase_restore_iret, se_phase_cr3_user_iret, se_phase_iret

	.balign	16, 0xcc
	.type	entry_SYSCALL_64, @function
/*
 * Arrival (SYSCALL-3..9): CPL0 on the flat kernel CS/SS, RIP = LSTAR, RCX = user return RIP,
 * R11 = user RFLAGS with RF clear, RFLAGS = 0x2 after FMASK (interrupts off), and RSP, GS
 * base and CR3 still the user's. Nothing has been saved and no stack is usable.
 */
entry_SYSCALL_64:
se_phase_entry:
	/* SWAPGS needs no operand (SWAPGS-4): it makes %gs: point at this CPU's data before any
	 * register is free. */
	swapgs
	/* Park the user RSP in TSS.sp2 (unused by hardware, we never use ring 2). This runs on
	 * the user CR3, which is why the TSS page is mapped writable in the user tables. */
	SE_NOTE "park the user stack pointer in TSS.sp2 (no kernel stack is usable yet)"
	movq	%rsp, %gs:SE_PCPU_TSS+SE_ENTRY_TSS_SP2

se_phase_cr3_kernel:
	se_switch_to_kernel_cr3

se_phase_ptregs:
	/* The task stack is only mapped in the kernel tables: load it after the CR3 switch. */
	SE_NOTE "load the task stack top from the per-CPU area (pcpu_hot.top_of_stack)"
	movq	%gs:SE_PCPU_TOP_OF_STACK, %rsp
entry_SYSCALL_64_safe_stack:
	/* The hardware-frame half of pt_regs. SYSCALL saves no selectors, so cs/ss are the
	 * constants SYSRETQ would load (SYSRET-6/7); sp comes back from the TSS slot. */
	SE_NOTE "pt_regs->ss = __USER_DS (a constant: SYSCALL saves no selector)"
	pushq	$SE_ENTRY_USER_DS			/* ss */
	SE_NOTE "pt_regs->sp = the user RSP parked in TSS.sp2"
	pushq	%gs:SE_PCPU_TSS+SE_ENTRY_TSS_SP2	/* sp */
	SE_NOTE "pt_regs->flags = R11, the RFLAGS SYSCALL saved"
	pushq	%r11					/* flags */
	SE_NOTE "pt_regs->cs = __USER_CS"
	pushq	$SE_ENTRY_USER_CS			/* cs */
	SE_NOTE "pt_regs->ip = RCX, the return address SYSCALL saved"
	pushq	%rcx					/* ip */
entry_SYSCALL_64_after_hwframe:
	SE_NOTE "pt_regs->orig_ax = RAX, all 64 bits as the user passed them"
	pushq	%rax					/* orig_ax: all 64 bits as the user passed them */
	se_save_gprs
	se_scrub_gprs

se_phase_dispatch:
	SE_NOTE "argument 1: the pt_regs pointer"
	movq	%rsp, %rdi				/* arg 1: struct pt_regs * */
	/* arg 2: the number is a C int, so only EAX counts and it is sign-extended (RAX =
	 * (msb << 32) | nr behaves like nr). Taken before IBRS, which clobbers RAX. */
	SE_NOTE "argument 2: the number, sign-extended from EAX (the upper half never counts)"
	movslq	%eax, %rsi
	se_ibrs_enter
se_call_do_syscall_64:
	SE_NOTE "call do_syscall_64(regs, nr)"
	call	do_syscall_64

/* ---- Return decision (arch/x86/entry/entry_64.S@v6.6; common.c@v6.7) ---------------------------------------------
 * All checks read the saved pt_regs (RSP still points at it): the C code and ptrace may have
 * rewritten any slot. The first failing check takes the IRET exit, which can return to any
 * state; SYSRET can only return to a clean 64-bit state. Each check block loads what it
 * needs itself, so that disabling one check (SE_FEAT_CHECK_*) never changes what the others
 * test. RCX and R11 are free here: both exits reload them from pt_regs.
 */
se_phase_checks:
	/* 6.7 and 6.12 profiles: do_syscall_64 already decided (bool in AL; false = IRET). */
	SE_ALT_BLOCK_IF SE_FEAT_KERNEL_6_7
se_check_c_verdict:
	SE_NOTE "6.7+: do_syscall_64 returned false (AL = 0) when SYSRET is not safe"
	testb	%al, %al
	jz	.Lse_iret_exit
	SE_ALT_END

	/* 6.6 profile: the checks in assembly, in 6.6 order. */
	SE_ALT_BLOCK_IFNOT SE_FEAT_KERNEL_6_7

	/* C0: a Xen PV guest must leave through the hypervisor-aware path, never SYSRET. */
	SE_ALT_BLOCK_IF SE_FEAT_XENPV
se_check_xen_pv:
	jmp	.Lse_iret_exit
	SE_ALT_END

	/* C1: SYSRET resumes at RCX (SYSRET-4). If ip was changed (signal, sigreturn, ptrace,
	 * restart with ip -= 2) returning to cx would resume in the wrong place, and returning
	 * to ip would destroy the user's RCX. */
	SE_ALT_BLOCK_IF SE_FEAT_CHECK_RCX_RIP
se_check_rcx_rip:
	movq	SE_PTREGS_CX(%rsp), %rcx
	movq	SE_PTREGS_IP(%rsp), %r11
	cmpq	%rcx, %r11
	jne	.Lse_iret_exit
	SE_ALT_END

	/* C2: the RIP SYSRET will load must be canonical (CANON-1/2). Intel's SYSRET checks RCX
	 * only after the kernel has already switched to the user RSP and GS, and its #GP is taken
	 * at CPL0 (SYSRET-3, CVE-2012-0217): a user-controlled kernel stack. As Linux does, the
	 * value SYSRET will use (cx, RCX) is sign-extended from bit 47 (bit 56 with LA57) and
	 * compared with ip: any difference, a non-canonical cx or cx != ip, takes IRET. So this
	 * check still protects SYSRET when C1 is disabled (found by fuzzing an ip-only test). */
	SE_ALT_BLOCK_IF SE_FEAT_CHECK_CANONICAL
se_check_canonical:
	SE_NOTE "sign-extend RCX (pt_regs->cx): SYSRET needs a canonical RIP, equal to ip"
	movq	SE_PTREGS_CX(%rsp), %rcx
	movq	SE_PTREGS_IP(%rsp), %r11
	SE_ALT_BLOCK_IFNOT SE_FEAT_LA57
	shlq	$(64 - 48), %rcx
	sarq	$(64 - 48), %rcx
	SE_ALT_END
	SE_ALT_BLOCK_IF SE_FEAT_LA57
	shlq	$(64 - 57), %rcx
	sarq	$(64 - 57), %rcx
	SE_ALT_END
	cmpq	%rcx, %r11
	jne	.Lse_iret_exit
	SE_ALT_END

	/* C3: SYSRETQ always lands in 64-bit user code (CS = 0x33, SYSRET-6); a task headed for
	 * compatibility mode or an LDT code segment would silently run in the wrong mode. */
	SE_ALT_BLOCK_IF SE_FEAT_CHECK_CS
se_check_cs:
	cmpq	$SE_ENTRY_USER_CS, SE_PTREGS_CS(%rsp)
	jne	.Lse_iret_exit
	SE_ALT_END

	/* C4: SYSRET takes RFLAGS from R11 (SYSRET-5). If flags were rewritten, SYSRET would
	 * either lose the new flags or clobber the user's R11. */
	SE_ALT_BLOCK_IF SE_FEAT_CHECK_R11_FLAGS
se_check_r11_flags:
	movq	SE_PTREGS_R11(%rsp), %r11
	cmpq	%r11, SE_PTREGS_FLAGS(%rsp)
	jne	.Lse_iret_exit
	SE_ALT_END

	/* C5: SYSRET always clears RF (SYSRET-5, RFLAGS-5), and a TF it restores traps before
	 * the first user instruction (SYSRET-9), so a single-stepped task whose state passes
	 * C1-C4 would trap at the same RIP forever. IRET restores both correctly (IRET-6/9).
	 * Tests the flags slot itself so it stands alone when C4 is disabled. */
	SE_ALT_BLOCK_IF SE_FEAT_CHECK_RF_TF
se_check_rf_tf:
	movq	SE_PTREGS_FLAGS(%rsp), %r11
	testq	$(SE_ENTRY_RFLAGS_RF | SE_ENTRY_RFLAGS_TF), %r11
	jnz	.Lse_iret_exit
	SE_ALT_END

	/* (RSP needs no check: SYSRET does not load it, SYSRET-8; a bad user RSP only faults
	 * later, at CPL3.) */

	/* C6: SYSRETQ always loads SS = 0x2b (SYSRET-7); any other user SS would be lost. */
	SE_ALT_BLOCK_IF SE_FEAT_CHECK_SS
se_check_ss:
	cmpq	$SE_ENTRY_USER_DS, SE_PTREGS_SS(%rsp)
	jne	.Lse_iret_exit
	SE_ALT_END

	SE_ALT_END	/* end of the 6.6 checks */

/* ---- SYSRET exit (arch/x86/entry/entry_64.S@v6.6, syscall_return_via_sysret) ----------------------------------------------- */
syscall_return_via_sysret:
se_phase_restore:
	se_ibrs_exit
	se_restore_gprs_but_rdi
	/* The task stack disappears with the user CR3, so finish on this CPU's trampoline stack
	 * (TSS.sp0), which the user tables map: carry over the user RSP and RDI. */
	SE_NOTE "RDI = the rest of the frame (di, orig_ax, ip, cs, flags, sp, ss)"
	movq	%rsp, %rdi
	SE_NOTE "switch to the trampoline stack (TSS.sp0): it stays mapped on the user CR3"
	movq	%gs:SE_PCPU_TSS+SE_ENTRY_TSS_SP0, %rsp
	SE_NOTE "carry the user RSP over"
	pushq	SE_PTREGS_SP-SE_PTREGS_DI(%rdi)
	SE_NOTE "and the user RDI"
	pushq	(%rdi)
se_phase_cr3_user:
	se_switch_to_user_cr3_stack
	SE_NOTE "user RDI back"
	popq	%rdi
	SE_NOTE "the user RSP: from here on the kernel runs on a user-controlled stack"
	popq	%rsp
entry_SYSRETQ_unsafe_stack:
se_phase_sysret:
	/* From here to SYSRETQ the CPU is at CPL0 on the user RSP with the user GS base: the
	 * window in which a ring-0 #GP would be fatal, which is what C2 prevents. */
	swapgs
	se_clear_cpu_buffers
se_sysretq:
	sysretq
entry_SYSRETQ_end:
	int3						/* never reached: SYSRETQ does not fall through */
	.size	entry_SYSCALL_64, . - entry_SYSCALL_64

/* ---- IRET exit (arch/x86/entry/entry_64.S@v6.6, swapgs_restore_regs_and_return_to_usermode) -------------------------------------------------- */
	.balign	16, 0xcc
	.type	swapgs_restore_regs_and_return_to_usermode, @function
swapgs_restore_regs_and_return_to_usermode:
/* Local alias for the branches above: GNU as resolves branches to a global label in the same
 * section at assembly time but clang's assembler leaves a relocation against it; a local
 * label gives the same bytes (and no relocation) with both. */
.Lse_iret_exit:
se_phase_restore_iret:
	se_ibrs_exit
	/* 6.12 profile without PTI: since 6.8 (entry_64.S@v6.12, swapgs_restore_regs_and_return_
	 * to_usermode) only PTI needs the trampoline stack, so the native path pops the registers
	 * and IRETs from the task stack itself, the frame already in place above orig_ax. */
	SE_ALT_BLOCK_IF SE_FEAT_KERNEL_6_12
	SE_ALT_BLOCK_IFNOT SE_FEAT_PTI
	se_restore_gprs_but_rdi
	SE_NOTE "6.8+ without PTI: no trampoline copy; RDI back and skip orig_ax"
	popq	%rdi
	addq	$8, %rsp				/* orig_ax: RSP now points at the IRET frame */
	jmp	.Lse_swapgs_and_iret
	SE_ALT_END
	SE_ALT_END
	se_restore_gprs_but_rdi
	/* Rebuild the five-slot IRETQ frame (IRET-2) on the trampoline stack, which stays
	 * mapped after the switch to the user CR3, plus the user RDI. */
	SE_NOTE "RDI = the rest of the frame (di, orig_ax, ip, cs, flags, sp, ss)"
	movq	%rsp, %rdi
	SE_NOTE "switch to the trampoline stack (TSS.sp0): it stays mapped on the user CR3"
	movq	%gs:SE_PCPU_TSS+SE_ENTRY_TSS_SP0, %rsp
	SE_NOTE "copy the IRETQ frame: ss, sp, flags, cs, ip (any values IRET can restore)"
	pushq	SE_PTREGS_SS-SE_PTREGS_DI(%rdi)
	pushq	SE_PTREGS_SP-SE_PTREGS_DI(%rdi)
	pushq	SE_PTREGS_FLAGS-SE_PTREGS_DI(%rdi)
	pushq	SE_PTREGS_CS-SE_PTREGS_DI(%rdi)
	pushq	SE_PTREGS_IP-SE_PTREGS_DI(%rdi)
	pushq	(%rdi)
se_phase_cr3_user_iret:
	se_switch_to_user_cr3_stack
	popq	%rdi
se_phase_iret:
.Lse_swapgs_and_iret:
	/* IRETQ reads the GDT for CS and SS after this (IRET-3/4), which the user tables map. */
	swapgs
	se_clear_cpu_buffers
	/* 6.12 profile: since 6.8 the return to user mode asserts that the frame's CS is a user
	 * selector (entry_64.S@v6.12, .Lswapgs_and_iret): RPL != 3 ends in ud2, a #UD at CPL0.
	 * 6.6/6.7 have no such test and hand any CS to IRETQ. */
	SE_ALT_BLOCK_IF SE_FEAT_KERNEL_6_12
	SE_NOTE "6.8+: assert that the IRET frame returns to user mode (CS RPL 3)"
	testb	$SE_ENTRY_SEL_RPL, SE_IRET_FRAME_CS(%rsp)
	jnz	.Lse_native_iret
se_iret_cs_ud2:
	ud2
	SE_ALT_END
.Lse_native_iret:
se_iret_espfix_test:
	/* espfix64 (entry_64.S@v6.6, .Lnative_iret): IRET to a 16-bit stack segment restores only
	 * SP[15:0] and would leak kernel stack bits, so an SS from the LDT (TI, bit 2, the only way
	 * to get one) leaves through native_irq_return_ldt instead. The frame is ip, cs, flags,
	 * sp, ss from RSP up. */
	SE_NOTE "espfix64: is the user SS an LDT selector (TI bit)? then the espfix path"
	testb	$SE_ENTRY_SEL_TI, SE_IRET_FRAME_SS(%rsp)
	jnz	native_irq_return_ldt
native_irq_return_iret:
	/* Restores RF, TF, any CS/SS and any RIP; a non-canonical RIP faults here at CPL0
	 * (IRET-5), which Linux turns into a SIGSEGV (fixup_bad_iret). */
	iretq
	int3

/*
 * native_irq_return_ldt (entry_64.S@v6.6) copies the IRET frame to this CPU's espfix stack
 * (a read-only alias whose bits 31:16 match the user RSP) and runs the same IRETQ from there.
 * The model has no LDT and no espfix stack, so its end is fixed: with no LDT installed the
 * IRETQ #GPs on the LDT selector; the CPU cannot push that frame on the read-only stack, the
 * #GP becomes a #DF, and exc_double_fault (traps.c@v6.6, its espfix64 branch) rewrites it as
 * a #GP(0) from user mode at the frame's ip: the task gets SIGSEGV. The library hooks
 * se_espfix_ldt and reports exactly that outcome (docs/entry.md, "espfix64").
 */
native_irq_return_ldt:
se_espfix_ldt:
	SE_NOTE "espfix64 path: not modelled; ends as Linux's #DF fixup does, #GP(0) from user mode"
	nop						/* hooked by the library */
	int3
	.size	swapgs_restore_regs_and_return_to_usermode, . - swapgs_restore_regs_and_return_to_usermode

/* The VERW operand: a valid data selector, kept apart from code on its own cache line. */
	.balign	64, 0xcc
	.type	mds_verw_sel, @object
mds_verw_sel:
.Lse_mds_verw_sel:
	.word	SE_ENTRY_KERNEL_DS
	.size	mds_verw_sel, 2
	.balign	64, 0xcc

	.if	.Lse_alt_depth != 0
	.error	"unbalanced SE_ALT_BLOCK_IF/SE_ALT_END"
	.endif

/* ======================================================================================== */
	.text
	.globl	do_syscall_64
	.balign	16, 0xcc
	.type	do_syscall_64, @function
do_syscall_64:
	nop			/* hooked by the library: dispatch and the handler run here */
	ret
	.size	do_syscall_64, . - do_syscall_64

	.section .note.GNU-stack, "", @progbits
