/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A synthetic vmlinux small enough for a fuzz seed and a unit test without the network: an
 * ELF64 ET_EXEC with .text (an entry_SYSCALL_64 in the shape of 6.1's, minus the CR3 switches,
 * with one SYSRET check), .rodata (the "Linux version" banner, a kallsyms table made by
 * tests/kimage/ksyms_build.c and a source file name for the bug table), .data, a __bug_table
 * after .data as x86's vmlinux.lds.S places it, and a .data..percpu template holding cpu_tss_rw.
 */
#ifndef SE_KVM_BUILD_H
#define SE_KVM_BUILD_H

#include <stddef.h>
#include <stdint.h>

#define SE_KVM_TEXT 0xffffffff81000000ull
#define SE_KVM_DATA 0xffffffff82200000ull
/* kallsyms holds 17 named symbols and this many fillers (tfn_<i>) */
#define SE_KVM_FILLERS 300
#define SE_KVM_SYMBOLS (17 + SE_KVM_FILLERS)

/* The UD2 the bug-table variants below execute: in entry_SYSCALL_64 just before the call to
 * do_syscall_64 (se_kvm_build aborts if the code has moved), and its __bug_table record. */
#define SE_KVM_UD2      (SE_KVM_TEXT + 0x1000 + 0x43)
#define SE_KVM_BUG_FILE "arch/x86/entry/synthetic_64.c"
#define SE_KVM_BUG_LINE 321
/* A UD2 that no variant executes (in one of _text's filler functions): every variant's
 * __bug_table has a WARN record for it, at another line of the same file, so that the table is
 * never empty and a lookup that returned the wrong record would show */
#define SE_KVM_UD2_ELSEWHERE      (SE_KVM_TEXT + 0x800)
#define SE_KVM_BUG_LINE_ELSEWHERE 7

/* What to leave out or change, for seeds that stop at each stage of the loader. */
typedef enum se_kvm_variant {
    SE_KVM_OK,          /* loads and runs a syscall */
    SE_KVM_NO_DISPATCH, /* no do_syscall_64 symbol */
    SE_KVM_NO_CALL,     /* entry_SYSCALL_64 does not call do_syscall_64 */
    SE_KVM_NEW_VERSION, /* a 6.8 banner: no feature numbers tabulated */
    SE_KVM_612_NO_BTF,  /* a 6.12 banner without the .BTF its do_syscall_64 needs */
    SE_KVM_NO_PERCPU,   /* no .data..percpu */
    /* SE_KVM_OK plus a UD2 at SE_KVM_UD2 that the entry code executes, and for the first two
     * a __bug_table record for it (before SE_KVM_UD2_ELSEWHERE's) */
    SE_KVM_WARN,          /* the record has BUGFLAG_WARNING: the kernel goes on after the UD2 */
    SE_KVM_BUG,           /* the record has no flags: a BUG, the #UD stands */
    SE_KVM_UD2_NO_RECORD, /* no record: only SE_KVM_UD2_ELSEWHERE's */
    SE_KVM_BAD_BUG_TABLE, /* SE_KVM_WARN with one byte more: not a whole number of records */
    /* SE_KVM_OK with SE_KVM_HIDDEN_HAZARD's bytes inside an instruction of its text */
    SE_KVM_HIDDEN_HAZARD_IMAGE,
} se_kvm_variant;

/* In SE_KVM_HIDDEN_HAZARD_IMAGE's text, after the fillers: `movabs $imm64, %rax` whose
 * immediate starts with f0 a6 (LOCK CMPSB, which the CPU rejects with #UD and Unicorn 2.0.1
 * aborts the host on), then INT3s. Screening along the image's flow decodes the MOVABS, so
 * only a jump into its middle reaches the LOCK CMPSB. */
#define SE_KVM_HIDDEN_MOVABS (SE_KVM_TEXT + 0xA00)
#define SE_KVM_HIDDEN_HAZARD (SE_KVM_HIDDEN_MOVABS + 2)

/* The ELF's bytes (malloc'ed) and their length. */
uint8_t *se_kvm_build(se_kvm_variant v, size_t *len);

#endif
