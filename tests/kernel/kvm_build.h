/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A synthetic vmlinux small enough for a fuzz seed and a unit test without the network: an
 * ELF64 ET_EXEC with .text (an entry_SYSCALL_64 in the shape of 6.1's, minus the CR3 switches,
 * with one SYSRET check), .rodata (the "Linux version" banner and a kallsyms table made by
 * tests/kimage/ksyms_build.c), .data and a .data..percpu template holding cpu_tss_rw.
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

/* What to leave out or change, for seeds that stop at each stage of the loader. */
typedef enum se_kvm_variant {
    SE_KVM_OK,          /* loads and runs a syscall */
    SE_KVM_NO_DISPATCH, /* no do_syscall_64 symbol */
    SE_KVM_NO_CALL,     /* entry_SYSCALL_64 does not call do_syscall_64 */
    SE_KVM_NEW_VERSION, /* a 6.8 banner: no feature numbers tabulated */
    SE_KVM_612_NO_BTF,  /* a 6.12 banner without the .BTF its do_syscall_64 needs */
    SE_KVM_NO_PERCPU,   /* no .data..percpu */
} se_kvm_variant;

/* The ELF's bytes (malloc'ed) and their length. */
uint8_t *se_kvm_build(se_kvm_variant v, size_t *len);

#endif
