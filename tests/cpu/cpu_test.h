/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fixtures shared by the architectural-model tests (tests/cpu, tests/msr): Linux-like CPU
 * states, whole-state comparison and fault-record checks. Every table in these suites turns
 * into one named cmocka test per row (SE_TEST_RUN_ROWS).
 */
#ifndef SE_TESTS_CPU_TEST_H
#define SE_TESTS_CPU_TEST_H

#include "se_test.h"

#include "cpu/model.h"

/* Test data (addresses, not architectural constants). */
#define T_USER_RIP    0x0000000000401000ull /* user code */
#define T_USER32_RIP  0x0000000008049000ull /* 32-bit user code */
#define T_USER_RSP    0x00007ffffffde000ull /* user stack */
#define T_USER_FS     0x00007f0000002000ull /* user TLS base */
#define T_USER_GS     0x00007f0000001000ull /* user GS base */
#define T_KERNEL_GS   0xffff88807fc00000ull /* per-CPU base (KERNEL_GS_BASE in user mode) */
#define T_KERNEL_RIP  0xffffffff81a00100ull /* somewhere in the entry text: SYSRET/IRETQ */
#define T_KERNEL_RSP  0xffffc90000007f58ull /* a task stack */
#define T_LSTAR       0xffffffff81a00000ull /* entry_SYSCALL_64 */
#define T_CSTAR       0xffffffff81a01000ull /* entry_SYSCALL_compat */
#define T_LEGACY_EIP  0x00101000ull         /* STAR[31:0]: AMD legacy-mode SYSCALL target */
#define T_CR3         0x0000000012345000ull /* a page-table root below MAXPHYADDR 40 */
#define T_MAXPHYADDR  40u                   /* what the machine reports */
#define T_GPR_MARK    0x0101010101010101ull /* GPR n starts as n * T_GPR_MARK */
#define T_R11_INITIAL (12 * T_GPR_MARK)     /* R11 is the 12th GPR */

/* STAR from its two selector fields (MSR-2), legacy EIP 0. */
#define T_STAR(sysret_base, syscall_base)                                                          \
    (((uint64_t)(sysret_base) << 48) | ((uint64_t)(syscall_base) << 32))

/* Caches as the tables state them. */
#define T_FLAT(ar_)                                                                                \
    {                                                                                              \
        .base = 0, .limit = SE_SEG_FLAT_LIMIT, .ar = (ar_)                                         \
    }
#define T_NULL_SEG                                                                                 \
    {                                                                                              \
        .base = 0, .limit = 0, .ar = SE_SEG_AR_UNUSABLE                                            \
    }

/* Pack a legacy descriptor from base, 20-bit limit and VMX-layout access rights: the inverse
 * of se_seg_from_descriptor, anchored below to literal Linux GDT entries. */
#define T_DESC(base, limit, ar)                                                                    \
    (((uint64_t)(limit)&0xFFFFull) | (((uint64_t)(base)&0xFFFFFFull) << 16) |                      \
     (((uint64_t)(ar)&0xFFull) << 40) | ((((uint64_t)(limit) >> 16) & 0xFull) << 48) |             \
     ((((uint64_t)(ar) >> 12) & 0xFull) << 52) | ((((uint64_t)(base) >> 24) & 0xFFull) << 56))

/* Reserved RFLAGS bits (RFLAGS-1): 3, 5, 15 below ID, and everything above ID. */
#define T_RFLAGS_RESERVED_LOW  (~SE_RFLAGS_DEFINED & ((SE_RFLAGS_ID << 1) - 1))
#define T_RFLAGS_RESERVED_HIGH (~((SE_RFLAGS_ID << 1) - 1))
/* the arithmetic flags */
#define T_RFLAGS_ARITH                                                                             \
    (SE_RFLAGS_CF | SE_RFLAGS_PF | SE_RFLAGS_AF | SE_RFLAGS_ZF | SE_RFLAGS_SF | SE_RFLAGS_OF)

/* Where the CPU is when the instruction runs. */
typedef enum t_mode {
    T_MODE_64 = 0, /* long mode, CS.L = 1 */
    T_MODE_COMPAT, /* long mode, CS.L = 0 */
    T_MODE_LEGACY, /* protected mode with paging, EFER.LMA = 0 */
    T_MODE_REAL,   /* CR0.PE = 0 */
} t_mode;

/* The vendor's reference CPU (se_cpu_features_vendor_defaults) with LA57 as asked, PCID, NX
 * and MAXPHYADDR 40. */
se_cpu_features t_features(se_vendor vendor, bool la57);

/* Feature flags a row turns on or off on top of the vendor's reference CPU. */
enum {
    T_F_PKU = 1u << 0,
    T_F_CET_SS = 1u << 1,
    T_F_CET_IBT = 1u << 2,
    T_F_LMSLE = 1u << 3,
    T_F_AUTO_IBRS = 1u << 4,
    T_F_RRSBA_CTRL = 1u << 5,
    T_F_PSFD = 1u << 6,
    T_F_BHI_CTRL = 1u << 7,
};
/* Set the flags in `on`, then clear those in `off`. */
void t_features_adjust(se_cpu_features *f, unsigned on, unsigned off);

/* Linux user mode (CPL3, 64-bit) just before SYSCALL: user GS base loaded, the per-CPU base in
 * KERNEL_GS_BASE, no data segments in use. GPRs carry distinct marks. */
void t_user_state(se_cpu_state *st);
/* The kernel (CPL0, 64-bit) at a SYSRET/IRETQ after SYSCALL: user RSP and GS base already
 * restored (the state Linux leaves), SS = __KERNEL_DS with the flat cache SYSCALL loaded. */
void t_kernel_state(se_cpu_state *st);
/* Move a state to another mode, keeping its CPL (code caches become 32-bit for compat and
 * legacy; EFER.LME/LMA and CR0.PE follow the mode). */
void t_set_mode(se_cpu_state *st, t_mode mode);

/* Compare every field with a labelled message, then the whole object byte for byte. */
void t_expect_state(const se_cpu_state *want, const se_cpu_state *got);
/* A fault of kind FAULT raised by the instruction at before->regs.rip at before->cpl. */
void t_expect_fault(const se_fault *got, const se_cpu_state *before, uint8_t vector,
                    uint32_t error_code);
/* A #DB single-step trap after the instruction, at (rip, cpl). */
void t_expect_db_trap(const se_fault *got, uint64_t rip, uint8_t cpl);
/* No event: the record is all-zero. */
void t_expect_no_fault(const se_fault *got);
/* Fill a fault record with garbage, so that a test sees whether the model wrote it. */
void t_scribble_fault(se_fault *f);

/* Group runners, one per source file; each returns its number of failures. */
int t_run_basics(void);
int t_run_syscall(void);
int t_run_sysret(void);
int t_run_swapgs(void);
int t_run_rdtsc(void);
int t_run_cr(void);
int t_run_iret(void);

#endif /* SE_TESTS_CPU_TEST_H */
