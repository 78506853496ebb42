/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The architectural model: SYSCALL, SYSRET, SWAPGS, MOV to CR0/CR3/CR4, IRETQ, RDMSR/WRMSR as
 * small pure functions over se_cpu_state. No Unicorn in here: the backend calls these and then
 * makes the engine agree. Rule IDs (SYSRET-3, CR3-5, ...) are those of docs/model.md;
 * docs/model.md lists what each function models and what it deliberately does not.
 *
 * Conventions for every transition function:
 *  - st->regs.rip is the address of the instruction being executed on entry;
 *  - the return value is SE_FAULT_NONE (completed), SE_FAULT_FAULT (nothing changed; *fault
 *    describes the exception, fault->rip = the instruction, fault->cpl = CPL at the fault) or
 *    SE_FAULT_TRAP (completed, then a trap such as the SYSRET single-step #DB, SYSRET-9;
 *    fault->rip = the new RIP, fault->cpl = the new CPL);
 *  - on SE_FAULT_FAULT *st is byte-for-byte what it was: every check precedes every write;
 *  - on SE_FAULT_NONE *fault is cleared to all-zero (kind SE_FAULT_NONE);
 *  - functions that transfer control (SYSCALL, SYSRET, IRETQ) set st->regs.rip to the target;
 *    the others (SWAPGS, MOV CR, WRMSR) leave RIP for the caller to advance by the length, and
 *    a single-step trap after them (TF set before they ran) is the caller's as well;
 *  - pointer arguments are never NULL unless the comment says so (asserted, not reported:
 *    these are internal functions, the public API validates before calling them);
 *  - LOCK prefixes (#UD for every instruction here) are the decoder's business.
 */
#ifndef SE_CPU_MODEL_H
#define SE_CPU_MODEL_H

#include <stdbool.h>
#include <stdint.h>

#include <sysentry/arch.h>
#include <sysentry/cpu.h>
#include <sysentry/status.h>

/*
 * Architectural values the model needs beyond include/sysentry/arch.h (which this area does
 * not own; these are candidates for it). Same naming rules: SDM names, one-line meanings.
 */
#ifndef SE_SEL_NO_RPL_MASK
#define SE_SEL_NO_RPL_MASK 0xFFFCu /* selector with RPL cleared (index and TI kept) */
#endif
#ifndef SE_RFLAGS_IOPL_SHIFT
#define SE_RFLAGS_IOPL_SHIFT 12 /* position of the two IOPL bits */
#endif
#ifndef SE_SEG_AR_KERNEL_CS32
#define SE_SEG_AR_KERNEL_CS32 0xC09Bu /* type 11, S, DPL0, P, D, G: AMD legacy SYSCALL CS */
#endif
#ifndef SE_SEG_AR_USER_CS32
#define SE_SEG_AR_USER_CS32 0xC0FBu /* type 11, S, DPL3, P, D, G: SYSRET to 32-bit code */
#endif
#ifndef SE_CR0_EM
#define SE_CR0_EM (1ull << 2)  /* x87 emulation */
#define SE_CR0_TS (1ull << 3)  /* task switched */
#define SE_CR0_NW (1ull << 29) /* not write-through */
#define SE_CR0_CD (1ull << 30) /* cache disable */
#endif
#ifndef SE_CR4_VME
#define SE_CR4_VME     (1ull << 0)  /* virtual-8086 mode extensions */
#define SE_CR4_PVI     (1ull << 1)  /* protected-mode virtual interrupts */
#define SE_CR4_TSD     (1ull << 2)  /* RDTSC at CPL0 only */
#define SE_CR4_DE      (1ull << 3)  /* debugging extensions */
#define SE_CR4_PSE     (1ull << 4)  /* 4 MiB pages with 32-bit paging */
#define SE_CR4_MCE     (1ull << 6)  /* machine-check enable */
#define SE_CR4_PCE     (1ull << 8)  /* RDPMC at any CPL */
#define SE_CR4_UMIP    (1ull << 11) /* user-mode instruction prevention */
#define SE_CR4_VMXE    (1ull << 13) /* VMX enable (the modelled CPU has no VMX) */
#define SE_CR4_SMXE    (1ull << 14) /* SMX enable (not modelled) */
#define SE_CR4_OSXSAVE (1ull << 18) /* XSAVE and XGETBV/XSETBV enable */
#define SE_CR4_PKE     (1ull << 22) /* protection keys for user pages (features.pku) */
#define SE_CR4_CET     (1ull << 23) /* control-flow enforcement (features.cet_ss/cet_ibt) */
#define SE_CR4_LAM_SUP (1ull << 28) /* LAM for supervisor pointers (no LAM modelled) */
#define SE_CR4_FRED    (1ull << 32) /* flexible return and event delivery (SWAPGS-5) */
#endif
#ifndef SE_EFER_AIBRSE
#define SE_EFER_AIBRSE (1ull << 21) /* AMD: automatic IBRS enable (AMD APM Vol. 2 §3.1.7) */
#endif
#ifndef SE_SPEC_CTRL_RRSBA_DIS_S
#define SE_SPEC_CTRL_RRSBA_DIS_S (1ull << 6)  /* no alternate RET predictors at CPL0 */
#define SE_SPEC_CTRL_PSFD        (1ull << 7)  /* predictive store forwarding disable */
#define SE_SPEC_CTRL_BHI_DIS_S   (1ull << 10) /* no branch history for CPL0 predictions */
#endif

/* What the modelled CPU reports in CPUID: fixed per machine. SYSCALL/SYSRET (CPUID
 * 8000_0001h:EDX[11]) are always present. A control bit whose feature is absent is reserved
 * (#GP(0) on MOV to CR4 / WRMSR), which is how kernels probe; so every bit a kernel sets on a
 * CPU that has the feature is accepted exactly when the flag is true. The names in brackets
 * are Linux's X86_FEATURE_* names. se_cpu_features_vendor_defaults() sets the flags below
 * `nx` for a reference CPU of each vendor. */
typedef struct se_cpu_features {
    se_vendor vendor;
    bool la57;           /* CPU supports 5-level paging: WRMSR canonical width is 57 (CANON-3) */
    bool pcid;           /* CR4.PCIDE may be set (CR3-6) */
    bool nx;             /* EFER.NXE may be set (MSR-7) */
    unsigned maxphyaddr; /* physical-address width, 32..52: CR3 bits from here up are
                            reserved (CR3-2) */
    /* CR4 (Intel SDM Vol. 3A §2.5) */
    bool pku;     /* CR4.PKE may be set [PKU] */
    bool cet_ss;  /* shadow stacks [SHSTK]: CR4.CET may be set */
    bool cet_ibt; /* indirect-branch tracking [IBT]: CR4.CET may be set */
    /* IA32_EFER on AMD (AMD APM Vol. 2 §3.1.7); both false on Intel, which defines neither */
    bool lmsle;     /* EFER.LMSLE exists: AMD before Zen 3; [EFER_LMSLE_MBZ] says it does not */
    bool auto_ibrs; /* EFER.AIBRSE (bit 21) may be set [AUTOIBRS], AMD Zen 4 and later */
    /* IA32_SPEC_CTRL (IBRS, STIBP and SSBD are always present) */
    bool rrsba_ctrl; /* RRSBA_DIS_S (bit 6) may be set [RRSBA_CTRL] */
    bool psfd;       /* PSFD (bit 7) may be set [PSFD] */
    bool bhi_ctrl;   /* BHI_DIS_S (bit 10) may be set [BHI_CTRL] */
} se_cpu_features;

/* Set pku .. bhi_ctrl to a reference CPU of f->vendor, leaving the other fields alone:
 * Intel = a Skylake-class client part (none of them), AMD = Zen 4 (PKU, SHSTK, AUTOIBRS,
 * PSFD; no LMSLE). docs/model.md lists the sources. */
void se_cpu_features_vendor_defaults(se_cpu_features *f);

/* Vendor differences, one table with designated initializers (docs/model.md). */
typedef struct se_vendor_traits {
    const char *name;         /* same string as se_vendor_name() */
    bool sysret_canonical_gp; /* SYSRET-3 (Intel): #GP(0) at CPL0 on non-canonical RCX;
                                 false = SYSRET-3A (AMD): load it, fault on fetch at CPL3 */
    bool sysret_ss_rpl3;      /* SYSRET-7: SS = (STAR[63:48] + 8) | 3; AMD: no | 3 */
    bool sysret_ss_reload;    /* SYSRET-7: flat DPL3 SS cache; AMD (7A): cache unchanged */
    bool syscall_needs_64bit; /* SYSCALL-2 / SYSRET-1 (Intel): #UD outside 64-bit mode; false
                                 (AMD): SYSCALL from compatibility mode goes to CSTAR, from
                                 legacy mode to STAR[31:0]; SYSRET outside 64-bit mode returns
                                 to 32-bit code (AMD APM pseudocode) */
    bool efer_amd_bits;       /* SVME/FFXSR/TCE are defined EFER bits (MSR-7); LMSLE and
                                 AIBRSE depend on se_cpu_features */
} se_vendor_traits;

const se_vendor_traits *se_vendor_traits_get(se_vendor vendor); /* NULL if out of range */

/* Canonical width the current paging mode uses for RIP loads (CANON-2/3): 57 if CR4.LA57. */
unsigned se_cpu_va_width(const se_cpu_state *st);
/* Width WRMSR uses for canonical checks: the largest the CPU supports (CANON-3). */
unsigned se_cpu_msr_va_width(const se_cpu_features *f);
/* Whether the CPU is in 64-bit mode: EFER.LMA and CS.L (the cached attribute). */
bool se_cpu_in_64bit_mode(const se_cpu_state *st);

/* Fill a fault record (kind FAULT) for the instruction at st->regs.rip at the current CPL. */
void se_cpu_make_fault(const se_cpu_state *st, uint8_t vector, uint32_t error_code,
                       bool has_error_code, se_fault *fault);

/* SYSCALL: SYSCALL-1..10. `insn_len` is the decoded length (RCX = RIP + len). From 64-bit
 * mode it enters at LSTAR; on AMD also from compatibility mode (CSTAR) and from legacy mode
 * (STAR[31:0], 32-bit kernel CS, only VM/IF/RF cleared, R11 untouched), SYSCALL-2. */
se_fault_kind se_cpu_syscall(const se_cpu_features *f, se_cpu_state *st, unsigned insn_len,
                             se_fault *fault);

/* SYSRET with operand size 64 (sysretq) or 32 (sysretl): SYSRET-1..10. The 32-bit form is
 * modelled for its state arithmetic (SYSRET-4: RIP = ECX, CS = STAR[63:48] | 3 with a 32-bit
 * DPL3 code cache); running compatibility-mode code afterwards is not supported. On AMD
 * outside 64-bit mode the operand size is ignored and the APM's return to 32-bit code is
 * modelled (RIP = ECX, CS = STAR[63:48] | 3, RFLAGS.IF = 1, other flags kept). */
se_fault_kind se_cpu_sysret(const se_cpu_features *f, se_cpu_state *st, unsigned operand_size,
                            se_fault *fault);

/* RDTSC (rdtscp false) and RDTSCP: SDM Vol. 2B RDTSC/RDTSCP: #GP(0) when CR4.TSD = 1 and
 * CPL > 0; otherwise EDX:EAX = the TSC (upper halves of RAX/RDX cleared) and, for RDTSCP,
 * ECX = IA32_TSC_AUX[31:0]. The model's TSC is st->tsc and does not advance. */
se_fault_kind se_cpu_rdtsc(const se_cpu_state *st, bool rdtscp, uint64_t *rax, uint64_t *rdx,
                           uint64_t *rcx, se_fault *fault);

/* SWAPGS: SWAPGS-1..3. */
se_fault_kind se_cpu_swapgs(const se_cpu_features *f, se_cpu_state *st, se_fault *fault);

/*
 * TLB/PCID bookkeeping: which PCIDs may hold (modelled) non-global translations. The model
 * only ever removes PCIDs from `live`; whoever walks the page tables records fills with
 * se_tlb_touch(). That a PCID is still live after a write is a property of this model, never
 * an architectural guarantee (CR3-5: a CPU may always invalidate more).
 */
typedef struct se_tlb {
    uint64_t live[4096 / 64]; /* bit p: PCID p may have cached translations */
    uint64_t cr3_writes;      /* MOV to CR3 executed */
    uint64_t flushing_writes; /* writes that invalidated at least one PCID (CR3-5) */
    uint64_t noflush_writes;  /* PCIDE=1 writes with bit 63 set: nothing invalidated */
    uint64_t full_flushes;    /* invalidations of every PCID incl. globals (CR3-6) */
    uint64_t pcid_flushes;    /* MOV to CR4 that invalidated only the current PCID (PAE
                                 changed, SMEP 0 -> 1: Intel SDM Vol. 3A §4.10.4.1) */
} se_tlb;

/* What one MOV to CR3 did to the TLB model. */
typedef struct se_cr3_effect {
    bool flushed;  /* the PCID below was invalidated (CR3-5) */
    bool noflush;  /* bit 63 kept the PCID's entries (PCIDE = 1 only) */
    uint16_t pcid; /* the PCID that became current (0 when PCIDE = 0) */
} se_cr3_effect;

void se_tlb_reset(se_tlb *tlb);
bool se_tlb_pcid_live(const se_tlb *tlb, uint16_t pcid); /* pcid is taken modulo 4096 */
/* Record that translations were created for `pcid` (the walker used it). */
void se_tlb_touch(se_tlb *tlb, uint16_t pcid);

/* MOV to CR3: CR3-1..5. `src` is the source operand, bit 63 included. `tlb` and `effect` may
 * be NULL. On success st->cr3 holds the value without bit 63. Bits 61/62 (LAM_U57/LAM_U48)
 * are reserved: the modelled CPU has no linear-address masking. */
se_fault_kind se_cpu_mov_to_cr3(const se_cpu_features *f, se_cpu_state *st, uint64_t src,
                                se_tlb *tlb, se_cr3_effect *effect, se_fault *fault);

/* MOV to CR4: the PCIDE preconditions (CR3-6), reserved/unsupported bits, LA57 and PAE in
 * long mode; clearing PCIDE or toggling PGE flushes everything, changing PAE or setting SMEP
 * flushes the current PCID (Intel SDM Vol. 3A §4.10.4.1). `tlb` may be NULL. */
se_fault_kind se_cpu_mov_to_cr4(const se_cpu_features *f, se_cpu_state *st, uint64_t src,
                                se_tlb *tlb, se_fault *fault);

/* MOV to CR0 (Intel SDM Vol. 3A §2.5, §4.1.2; Vol. 2B MOV to control registers): #GP(0) for
 * CPL != 0, bits 63:32, PG without PE, NW without CD, clearing PG in 64-bit mode or with
 * PCIDE = 1, setting PG with LME = 1 and PAE = 0, clearing WP with CR4.CET = 1. Outside 64-bit
 * mode only src[31:0] is used. Undefined bits of 31:0 are dropped and ET is forced to 1.
 * Setting PG with LME activates IA-32e mode (EFER.LMA = 1), clearing it leaves (LMA = 0) and
 * flushes everything. `tlb` may be NULL. */
se_fault_kind se_cpu_mov_to_cr0(const se_cpu_features *f, se_cpu_state *st, uint64_t src,
                                se_tlb *tlb, se_fault *fault);

/* The five slots IRETQ pops (IRET-2); only the low 16 bits of cs and ss are used. */
typedef struct se_iret_frame {
    uint64_t rip, cs, rflags, rsp, ss;
} se_iret_frame;

/* Reads the 8-byte descriptor for a selector from the GDT (TI = 0) or LDT (TI = 1). Returns
 * false when the selector's index is outside the table limit. */
typedef bool (*se_desc_reader)(void *ctx, uint16_t selector, uint64_t *desc);

/* IRETQ in 64-bit mode (IRET-1..9), to an outer level (CPL0 -> CPL3) or to the same level
 * (CPL0 -> CPL0, the library's own trampolines). The frame has already been read from the
 * stack by the caller (a #PF reading it is the caller's). Returns SE_FAULT_NONE with the new
 * state (RSP = frame.rsp), or a fault with nothing changed. CS/SS caches come from the
 * descriptors with the accessed bit set; setting it in the GDT itself is the caller's.
 * FS/GS bases are left alone when IRET-8 nulls FS/GS. IRET-9 (TF) is not a trap of IRETQ
 * itself: the single step follows the first target instruction, which the caller runs. */
se_fault_kind se_cpu_iretq(const se_cpu_features *f, se_cpu_state *st, const se_iret_frame *frame,
                           se_desc_reader read_desc, void *ctx, se_fault *fault);

/* Decode an 8-byte code/data descriptor into a cache (base, limit with G applied, ar). */
void se_seg_from_descriptor(uint64_t desc, se_seg_cache *cache);

/* RDMSR/WRMSR at the current CPL: MSR-1..8. Unknown MSRs raise #GP(0), never ignored. The
 * caller assembles EDX:EAX into `value` (MSR-1). IA32_GS_BASE is st->regs.gs_base and
 * IA32_FS_BASE st->regs.fs_base (MSR-6). On a fault *value is left alone. */
se_fault_kind se_msr_rdmsr(const se_cpu_features *f, const se_cpu_state *st, uint32_t msr,
                           uint64_t *value, se_fault *fault);
se_fault_kind se_msr_wrmsr(const se_cpu_features *f, se_cpu_state *st, uint32_t msr, uint64_t value,
                           se_fault *fault);

#endif /* SE_CPU_MODEL_H */
