/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * MOV to CR0, CR3 and CR4, and the TLB/PCID bookkeeping the cycle model uses (docs/model.md).
 * The TLB model only records which PCIDs may hold translations and what each write
 * invalidated (see se_tlb in model.h).
 */
#include <assert.h>

#include "cpu/model_int.h"

enum {
    SE_PCID_COUNT = 4096, /* CR3-2: a 12-bit PCID */
    SE_TLB_WORD_BITS = 64,
    SE_MAXPHYADDR_MIN = 32, /* the narrowest MAXPHYADDR of an x86-64 CPU */
    SE_MAXPHYADDR_MAX = 52, /* the paging-structure formats leave no room for more */
};
_Static_assert(sizeof(((se_tlb *)0)->live) * 8 == SE_PCID_COUNT, "one live bit per PCID");

void se_tlb_reset(se_tlb *tlb)
{
    assert(tlb != NULL);
    memset(tlb, 0, sizeof *tlb);
}

bool se_tlb_pcid_live(const se_tlb *tlb, uint16_t pcid)
{
    assert(tlb != NULL);
    pcid %= SE_PCID_COUNT;
    return (tlb->live[pcid / SE_TLB_WORD_BITS] >> (pcid % SE_TLB_WORD_BITS)) & 1u;
}

void se_tlb_touch(se_tlb *tlb, uint16_t pcid)
{
    assert(tlb != NULL);
    pcid %= SE_PCID_COUNT;
    tlb->live[pcid / SE_TLB_WORD_BITS] |= 1ull << (pcid % SE_TLB_WORD_BITS);
}

static void se_tlb_flush_pcid(se_tlb *tlb, uint16_t pcid)
{
    pcid %= SE_PCID_COUNT;
    tlb->live[pcid / SE_TLB_WORD_BITS] &= ~(1ull << (pcid % SE_TLB_WORD_BITS));
}

static void se_tlb_flush_all(se_tlb *tlb)
{
    memset(tlb->live, 0, sizeof tlb->live);
    tlb->full_flushes++;
}

/* CR3-2/CR3-3: the CR3 bits that must be zero once the no-flush hint has been taken out. */
static uint64_t se_cr3_reserved(const se_cpu_features *f)
{
    assert(f->maxphyaddr >= SE_MAXPHYADDR_MIN && f->maxphyaddr <= SE_MAXPHYADDR_MAX);
    /* Bits 63..MAXPHYADDR. This covers bit 63 with PCIDE = 0 (only PCIDE gives it a meaning)
     * and LAM_U57/LAM_U48 (bits 61/62), which only a CPU with linear-address masking defines;
     * the modelled CPU has none. */
    return ~0ull << f->maxphyaddr;
}

se_fault_kind se_cpu_mov_to_cr3(const se_cpu_features *f, se_cpu_state *st, uint64_t src,
                                se_tlb *tlb, se_cr3_effect *effect, se_fault *fault)
{
    assert(f != NULL && st != NULL && fault != NULL);
    /* CR3-1: the address space is the kernel's to choose */
    if (st->cpl != 0)
        return se_raise_gp0(st, fault);
    bool pcide = (st->cr4 & SE_CR4_PCIDE) != 0;
    /* CR3-2: with PCIDE, bit 63 of the source is an instruction to the TLB, not CR3 content */
    bool noflush = pcide && (src & SE_CR3_NOFLUSH);
    uint64_t value = noflush ? src & ~SE_CR3_NOFLUSH : src;
    /* CR3-3: reserved bits fault rather than being dropped (EMU-11 is the engine's bug) */
    if (value & se_cr3_reserved(f))
        return se_raise_gp0(st, fault);
    /* CR3-4: without PCIDE bits 11:0 are PWT/PCD and ignored bits, and the PCID is 0 */
    uint16_t pcid = pcide ? (uint16_t)(value & SE_CR3_PCID_MASK) : 0;
    /* CR3-2: bit 63 never reaches the register, so CR3 always reads back without it */
    st->cr3 = value;
    /* CR3-5: PCIDE = 0 invalidates PCID 0, PCIDE = 1 only the new PCID, and the hint
     * invalidates nothing; globals survive every MOV to CR3 */
    if (tlb != NULL) {
        tlb->cr3_writes++;
        if (noflush) {
            tlb->noflush_writes++;
        } else {
            tlb->flushing_writes++;
            se_tlb_flush_pcid(tlb, pcid);
        }
    }
    if (effect != NULL)
        *effect = (se_cr3_effect){.flushed = !noflush, .noflush = noflush, .pcid = pcid};
    return se_completed(fault);
}

/* CR4 bits the modelled CPU implements (SMEP/SMAP are honoured by the software page walker);
 * every other bit, and a feature's bit on a CPU without the feature, is reserved (Intel SDM
 * Vol. 3A §2.5: "reserved ... #GP", which is how kernels probe). */
static uint64_t se_cr4_supported(const se_cpu_features *f)
{
    uint64_t ok = SE_CR4_VME | SE_CR4_PVI | SE_CR4_TSD | SE_CR4_DE | SE_CR4_PSE | SE_CR4_PAE |
                  SE_CR4_MCE | SE_CR4_PGE | SE_CR4_PCE | SE_CR4_OSFXSR | SE_CR4_OSXMMEXCPT |
                  SE_CR4_UMIP | SE_CR4_FSGSBASE | SE_CR4_OSXSAVE | SE_CR4_SMEP | SE_CR4_SMAP;
    if (f->pcid)
        ok |= SE_CR4_PCIDE;
    if (f->la57)
        ok |= SE_CR4_LA57;
    /* Intel SDM Vol. 3A §2.5: PKE exists with CPUID.(EAX=7,ECX=0):ECX.PKU, CET with either
     * CET_SS (ECX[7]) or CET_IBT (EDX[20]) */
    if (f->pku)
        ok |= SE_CR4_PKE;
    if (f->cet_ss || f->cet_ibt)
        ok |= SE_CR4_CET;
    return ok;
}

/* The SDM's #GP(0) conditions of MOV to CR4 that concern this model. */
static bool se_cr4_write_ok(const se_cpu_features *f, const se_cpu_state *st, uint64_t src)
{
    uint64_t old = st->cr4;
    bool long_mode = (st->efer & SE_EFER_LMA) != 0;
    /* reserved bits fault, so software can probe for features */
    if (src & ~se_cr4_supported(f))
        return false;
    /* CR3-6: PCIDs only exist in IA-32e mode, and turning them on must not reinterpret the
     * PCD/PWT/ignored bits of the current CR3 as a PCID */
    if (!(old & SE_CR4_PCIDE) && (src & SE_CR4_PCIDE)) {
        if (!long_mode || (st->cr3 & SE_CR3_PCID_MASK) != 0)
            return false;
    }
    /* CANON-2: the paging depth cannot change under running 64-bit code (SDM MOV CR4) */
    if (long_mode && ((old ^ src) & SE_CR4_LA57))
        return false;
    /* IA-32e paging is PAE paging; it cannot be switched off while long mode is active */
    if (long_mode && !(src & SE_CR4_PAE))
        return false;
    /* Intel SDM Vol. 3A §2.5 (CR4.CET): shadow stacks rely on supervisor write protection,
     * so CET can be set only with CR0.WP = 1 (MOV to CR0 keeps the converse) */
    if ((src & SE_CR4_CET) && !(st->cr0 & SE_CR0_WP))
        return false;
    return true;
}

se_fault_kind se_cpu_mov_to_cr4(const se_cpu_features *f, se_cpu_state *st, uint64_t src,
                                se_tlb *tlb, se_fault *fault)
{
    assert(f != NULL && st != NULL && fault != NULL);
    /* CR3-1 applies to every control register: privileged */
    if (st->cpl != 0 || !se_cr4_write_ok(f, st, src))
        return se_raise_gp0(st, fault);
    uint64_t changed = st->cr4 ^ src;
    /* Intel SDM Vol. 3A §4.10.4.1 (CR3-6): changing PGE or clearing PCIDE invalidates every
     * entry of every PCID, globals included: no tag is left that could keep one valid */
    bool full = ((changed & SE_CR4_PCIDE) && !(src & SE_CR4_PCIDE)) || (changed & SE_CR4_PGE);
    /* Intel SDM Vol. 3A §4.10.4.1: changing PAE (another paging-structure format) or setting
     * SMEP (entries cached without the execute check) invalidates the current PCID. PCIDE is
     * the same before and after here (1 -> 0 is a full flush, 0 -> 1 needs CR3[11:0] = 0), so
     * the current PCID does not depend on which CR4 value is used. PSE is not in the SDM's
     * list and is not claimed (CR3-5: a CPU may flush more). */
    bool current = (changed & SE_CR4_PAE) || ((changed & src) & SE_CR4_SMEP);
    uint16_t pcid = (src & SE_CR4_PCIDE) ? (uint16_t)(st->cr3 & SE_CR3_PCID_MASK) : 0;
    st->cr4 = src;
    if (tlb != NULL) {
        if (full) {
            se_tlb_flush_all(tlb);
        } else if (current) {
            se_tlb_flush_pcid(tlb, pcid);
            tlb->pcid_flushes++;
        }
    }
    return se_completed(fault);
}

/* The CR0 flags Intel SDM Vol. 3A §2.5 defines; MOV to CR0 leaves every other bit of 31:0
 * clear whatever the source holds (Intel SDM Vol. 2B, MOV—Move to/from Control Registers). */
static const uint64_t se_cr0_defined = SE_CR0_PE | SE_CR0_MP | SE_CR0_EM | SE_CR0_TS | SE_CR0_ET |
                                       SE_CR0_NE | SE_CR0_WP | SE_CR0_AM | SE_CR0_NW | SE_CR0_CD |
                                       SE_CR0_PG;

/* The SDM's #GP(0) conditions of MOV to CR0; `src` is already the operand as the CPU sees it. */
static bool se_cr0_write_ok(const se_cpu_state *st, uint64_t src)
{
    bool paging_on = !(st->cr0 & SE_CR0_PG) && (src & SE_CR0_PG);
    /* Vol. 3A §2.5: bits 63:32 are reserved and must be written as zero */
    if (src >> 32)
        return false;
    /* Vol. 2B MOV CR, "invalid bit combinations": paging needs protection, and not-write-
     * through means nothing while caching is enabled */
    if ((src & SE_CR0_PG) && !(src & SE_CR0_PE))
        return false;
    if ((src & SE_CR0_NW) && !(src & SE_CR0_CD))
        return false;
    /* Vol. 3A §2.5 (PG): 64-bit code cannot switch paging off under itself, and PCIDs only
     * exist with IA-32e paging (CR3-6); software leaves through compatibility mode instead */
    if (!(src & SE_CR0_PG) && (se_cpu_in_64bit_mode(st) || (st->cr4 & SE_CR4_PCIDE)))
        return false;
    /* Vol. 3A §4.1.2: IA-32e paging is PAE paging, so it cannot be activated without PAE */
    if (paging_on && (st->efer & SE_EFER_LME) && !(st->cr4 & SE_CR4_PAE))
        return false;
    /* Vol. 3A §2.5 (WP): shadow stacks rely on supervisor write protection (CR4.CET is set
     * only on a CPU with CET, se_cpu_features.cet_ss/cet_ibt) */
    if ((st->cr4 & SE_CR4_CET) && !(src & SE_CR0_WP))
        return false;
    return true;
}

se_fault_kind se_cpu_mov_to_cr0(const se_cpu_features *f, se_cpu_state *st, uint64_t src,
                                se_tlb *tlb, se_fault *fault)
{
    assert(f != NULL && st != NULL && fault != NULL);
    (void)f; /* every CR0 flag exists on every x86-64 CPU */
    /* CR3-1 applies to every control register: privileged */
    if (st->cpl != 0)
        return se_raise_gp0(st, fault);
    /* Vol. 2B MOV CR: outside 64-bit mode the source is a 32-bit register */
    if (!se_cpu_in_64bit_mode(st))
        src = (uint32_t)src;
    if (!se_cr0_write_ok(st, src))
        return se_raise_gp0(st, fault);
    bool paging_on = !(st->cr0 & SE_CR0_PG) && (src & SE_CR0_PG);
    bool paging_off = (st->cr0 & SE_CR0_PG) && !(src & SE_CR0_PG);
    /* Vol. 2B MOV CR: undefined bits stay clear and ET stays set (P6 and later) */
    st->cr0 = (src & se_cr0_defined) | SE_CR0_ET;
    /* Vol. 3A §4.1.2 / §10.8.5: IA-32e mode is activated and left through CR0.PG with LME */
    if (paging_on && (st->efer & SE_EFER_LME))
        st->efer |= SE_EFER_LMA;
    if (paging_off)
        st->efer &= ~SE_EFER_LMA;
    /* Vol. 3A §4.10.4.1: turning paging off invalidates every translation, globals included.
     * Other CR0 changes (CD/NW, WP) may flush too (§4.10.4.1 "free to invalidate more"), which
     * the model does not claim (CR3-5: extra flushes are always allowed). */
    if (paging_off && tlb != NULL)
        se_tlb_flush_all(tlb);
    return se_completed(fault);
}
