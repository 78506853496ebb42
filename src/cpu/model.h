/*
 * The architectural model: SYSCALL, SYSRET, SWAPGS, MOV to CR3/CR4, IRETQ, RDMSR/WRMSR as
 * small pure functions over se_cpu_state. No Unicorn in here: the backend calls these and then
 * makes the engine agree. Rule IDs (SYSRET-3, CR3-5, ...) are those of x86-semantics.md.
 *
 * Conventions for every transition function:
 *  - st->regs.rip is the address of the instruction being executed on entry;
 *  - the return value is SE_FAULT_NONE (completed), SE_FAULT_FAULT (nothing changed; *fault
 *    describes the exception, fault->rip = the instruction, fault->cpl = CPL at the fault) or
 *    SE_FAULT_TRAP (completed, then a trap such as the SYSRET single-step #DB, SYSRET-9);
 *  - functions that transfer control (SYSCALL, SYSRET, IRETQ) set st->regs.rip to the target;
 *    the others (SWAPGS, MOV CR, WRMSR) leave RIP for the caller to advance by the length.
 */
#ifndef SE_CPU_MODEL_H
#define SE_CPU_MODEL_H

#include <stdbool.h>
#include <stdint.h>

#include <sysentry/arch.h>
#include <sysentry/cpu.h>
#include <sysentry/status.h>

/* What the modelled CPU reports in CPUID: fixed per machine. */
typedef struct se_cpu_features {
    se_vendor vendor;
    bool la57;           /* CPU supports 5-level paging: WRMSR canonical width is 57 (CANON-3) */
    bool pcid;           /* CR4.PCIDE may be set (CR3-6) */
    bool nx;             /* EFER.NXE may be set (MSR-7) */
    unsigned maxphyaddr; /* physical-address width: CR3 bits above it are reserved (CR3-2) */
} se_cpu_features;

/* Vendor differences, one table with designated initializers (x86-semantics §3, §4, §9). */
typedef struct se_vendor_traits {
    const char *name;
    bool sysret_canonical_gp; /* SYSRET-3 (Intel): #GP(0) at CPL0 on non-canonical RCX;
                                 false = SYSRET-3A (AMD): load it, fault on fetch at CPL3 */
    bool sysret_ss_rpl3;      /* SYSRET-7: SS = (STAR[63:48] + 8) | 3; AMD: no | 3 */
    bool sysret_ss_reload;    /* SYSRET-7: flat DPL3 SS cache; AMD (7A): cache unchanged */
    bool syscall_needs_64bit; /* SYSCALL-2 / SYSRET-1: #UD outside 64-bit mode (Intel) */
    bool efer_amd_bits;       /* SVME/LMSLE/FFXSR/TCE are defined EFER bits (MSR-7) */
} se_vendor_traits;

const se_vendor_traits *se_vendor_traits_get(se_vendor vendor); /* NULL if out of range */

/* Canonical width the current paging mode uses for RIP loads (CANON-2/3): 57 if CR4.LA57. */
unsigned se_cpu_va_width(const se_cpu_state *st);
/* Width WRMSR uses for canonical checks: the largest the CPU supports (CANON-3). */
unsigned se_cpu_msr_va_width(const se_cpu_features *f);
/* Whether the CPU is in 64-bit mode: EFER.LMA and CS.L (the cached attribute). */
bool se_cpu_in_64bit_mode(const se_cpu_state *st);

/* Fill a fault record (kind FAULT) for the instruction at st->regs.rip. */
void se_cpu_make_fault(const se_cpu_state *st, uint8_t vector, uint32_t error_code,
                       bool has_error_code, se_fault *fault);

/* SYSCALL (64-bit mode): SYSCALL-1..10. `insn_len` is the decoded length (RCX = RIP + len). */
se_fault_kind se_cpu_syscall(const se_cpu_features *f, se_cpu_state *st, unsigned insn_len,
                             se_fault *fault);

/* SYSRET with operand size 64 (sysretq) or 32 (sysretl): SYSRET-1..10. The 32-bit form is
 * modelled for its state arithmetic (SYSRET-4: RIP = ECX, CS = STAR[63:48] | 3 with a 32-bit
 * DPL3 code cache); running compatibility-mode code afterwards is not supported. */
se_fault_kind se_cpu_sysret(const se_cpu_features *f, se_cpu_state *st, unsigned operand_size,
                            se_fault *fault);

/* SWAPGS: SWAPGS-1..3. */
se_fault_kind se_cpu_swapgs(const se_cpu_features *f, se_cpu_state *st, se_fault *fault);

/* TLB/PCID bookkeeping: which PCIDs hold (modelled) non-global translations. */
typedef struct se_tlb {
    uint64_t live[4096 / 64]; /* bit p: PCID p may have cached translations */
    uint64_t cr3_writes;      /* MOV to CR3 executed */
    uint64_t flushing_writes; /* writes that invalidated at least one PCID (CR3-5) */
    uint64_t noflush_writes;  /* PCIDE=1 writes with bit 63 set: nothing invalidated */
    uint64_t full_flushes;    /* invalidations of every PCID incl. globals (CR3-6) */
} se_tlb;

/* What one MOV to CR3 did to the TLB model. */
typedef struct se_cr3_effect {
    bool flushed;  /* the PCID below was invalidated (CR3-5) */
    bool noflush;  /* bit 63 kept the PCID's entries (PCIDE = 1 only) */
    uint16_t pcid; /* the PCID that became current (0 when PCIDE = 0) */
} se_cr3_effect;

void se_tlb_reset(se_tlb *tlb);
bool se_tlb_pcid_live(const se_tlb *tlb, uint16_t pcid);
/* Record that translations were created for `pcid` (the walker used it). */
void se_tlb_touch(se_tlb *tlb, uint16_t pcid);

/* MOV to CR3: CR3-1..5. `src` is the source operand, bit 63 included. `tlb` and `effect` may
 * be NULL. On success st->cr3 holds the value without bit 63. */
se_fault_kind se_cpu_mov_to_cr3(const se_cpu_features *f, se_cpu_state *st, uint64_t src,
                                se_tlb *tlb, se_cr3_effect *effect, se_fault *fault);

/* MOV to CR4: the PCIDE preconditions (CR3-6) and reserved/unsupported bits; `tlb` may be NULL. */
se_fault_kind se_cpu_mov_to_cr4(const se_cpu_features *f, se_cpu_state *st, uint64_t src,
                                se_tlb *tlb, se_fault *fault);

/* The five slots IRETQ pops (IRET-2); only the low 16 bits of cs and ss are used. */
typedef struct se_iret_frame {
    uint64_t rip, cs, rflags, rsp, ss;
} se_iret_frame;

/* Reads the 8-byte descriptor for a selector from the GDT (TI = 0) or LDT (TI = 1). Returns
 * false when the selector's index is outside the table limit. */
typedef bool (*se_desc_reader)(void *ctx, uint16_t selector, uint64_t *desc);

/* IRETQ from CPL0 in 64-bit mode (IRET-1..9). The frame has already been read from the stack
 * by the caller (a #PF reading it is the caller's). Returns SE_FAULT_NONE with the new state
 * (RSP = frame.rsp), or a fault with nothing changed. IRET-9 (TF) is not a trap of IRETQ
 * itself: the single step follows the first user instruction, which the caller runs. */
se_fault_kind se_cpu_iretq(const se_cpu_features *f, se_cpu_state *st, const se_iret_frame *frame,
                           se_desc_reader read_desc, void *ctx, se_fault *fault);

/* Decode an 8-byte code/data descriptor into a cache (base, limit with G applied, ar). */
void se_seg_from_descriptor(uint64_t desc, se_seg_cache *cache);

/* RDMSR/WRMSR at the current CPL: MSR-1..8. Unknown MSRs raise #GP(0), never ignored. */
se_fault_kind se_msr_rdmsr(const se_cpu_features *f, const se_cpu_state *st, uint32_t msr,
                           uint64_t *value, se_fault *fault);
se_fault_kind se_msr_wrmsr(const se_cpu_features *f, se_cpu_state *st, uint32_t msr, uint64_t value,
                           se_fault *fault);

#endif /* SE_CPU_MODEL_H */
