/*
 * MOV to CR3 and CR4, and the TLB/PCID bookkeeping the cycle model uses (x86-semantics §6).
 * The TLB model records which PCIDs may hold translations and what each write invalidated;
 * that an entry "survived" is a property of this model, never an architectural guarantee
 * (CR3-5: implementations may always flush more).
 */
#include <string.h>

#include "cpu/model.h"

void se_tlb_reset(se_tlb *tlb)
{
    memset(tlb, 0, sizeof *tlb);
}

bool se_tlb_pcid_live(const se_tlb *tlb, uint16_t pcid)
{
    pcid &= SE_CR3_PCID_MASK;
    return (tlb->live[pcid / 64] >> (pcid % 64)) & 1;
}

void se_tlb_touch(se_tlb *tlb, uint16_t pcid)
{
    pcid &= SE_CR3_PCID_MASK;
    tlb->live[pcid / 64] |= 1ull << (pcid % 64);
}

static void se_tlb_flush_pcid(se_tlb *tlb, uint16_t pcid)
{
    pcid &= SE_CR3_PCID_MASK;
    tlb->live[pcid / 64] &= ~(1ull << (pcid % 64));
}

static void se_tlb_flush_all(se_tlb *tlb)
{
    memset(tlb->live, 0, sizeof tlb->live);
    tlb->full_flushes++;
}

se_fault_kind se_cpu_mov_to_cr3(const se_cpu_features *f, se_cpu_state *st, uint64_t src,
                                se_tlb *tlb, se_cr3_effect *effect, se_fault *fault)
{
    /* CR3-1: privileged */
    if (st->cpl != 0) {
        se_cpu_make_fault(st, SE_VEC_GP, 0, true, fault);
        return SE_FAULT_FAULT;
    }
    bool pcide = (st->cr4 & SE_CR4_PCIDE) != 0;
    bool noflush = pcide && (src & SE_CR3_NOFLUSH);
    uint64_t value = pcide ? src & ~SE_CR3_NOFLUSH : src;
    /* CR3-2/3: bits at and above MAXPHYADDR are reserved; that includes bit 63 when PCIDE = 0
     * and the LAM bits 61/62, which this CPU does not implement */
    uint64_t reserved = ~0ull << f->maxphyaddr;
    if (value & reserved) {
        se_cpu_make_fault(st, SE_VEC_GP, 0, true, fault);
        return SE_FAULT_FAULT;
    }
    uint16_t pcid = pcide ? (uint16_t)(value & SE_CR3_PCID_MASK) : 0;
    st->cr3 = value; /* CR3-2: bit 63 is never stored */
    if (tlb != NULL) {
        tlb->cr3_writes++;
        if (noflush) {
            tlb->noflush_writes++; /* CR3-5: nothing required to be invalidated */
        } else {
            tlb->flushing_writes++; /* CR3-5: the new PCID (PCID 0 without PCIDE) */
            se_tlb_flush_pcid(tlb, pcid);
        }
        se_tlb_touch(tlb, pcid); /* the walk that follows fills entries for this PCID */
    }
    if (effect != NULL)
        *effect = (se_cr3_effect){.flushed = !noflush, .noflush = noflush, .pcid = pcid};
    return SE_FAULT_NONE;
}

/* CR4 bits this CPU implements; everything else is reserved (#GP on a set attempt). */
static uint64_t se_cr4_supported(const se_cpu_features *f)
{
    uint64_t ok = (1ull << 0) | (1ull << 1) | (1ull << 2) | (1ull << 3) | (1ull << 4) | SE_CR4_PAE |
                  (1ull << 6) | SE_CR4_PGE | (1ull << 8) | SE_CR4_OSFXSR | SE_CR4_OSXMMEXCPT |
                  (1ull << 11) | SE_CR4_FSGSBASE | SE_CR4_SMEP | SE_CR4_SMAP | (1ull << 18);
    if (f->pcid)
        ok |= SE_CR4_PCIDE;
    if (f->la57)
        ok |= SE_CR4_LA57;
    return ok;
}

se_fault_kind se_cpu_mov_to_cr4(const se_cpu_features *f, se_cpu_state *st, uint64_t src,
                                se_tlb *tlb, se_fault *fault)
{
    bool gp = st->cpl != 0 || (src & ~se_cr4_supported(f));
    bool lma = (st->efer & SE_EFER_LMA) != 0;
    /* CR3-6: setting PCIDE needs long mode and CR3[11:0] = 0 */
    if (!(st->cr4 & SE_CR4_PCIDE) && (src & SE_CR4_PCIDE) &&
        (!lma || (st->cr3 & SE_CR3_PCID_MASK) != 0))
        gp = true;
    /* LA57 cannot change while long mode is active */
    if (lma && ((st->cr4 ^ src) & SE_CR4_LA57))
        gp = true;
    /* PAE cannot be cleared in long mode */
    if (lma && !(src & SE_CR4_PAE))
        gp = true;
    if (gp) {
        se_cpu_make_fault(st, SE_VEC_GP, 0, true, fault);
        return SE_FAULT_FAULT;
    }
    /* CR3-6: clearing PCIDE or toggling PGE invalidates everything, globals included */
    bool full =
        ((st->cr4 & SE_CR4_PCIDE) && !(src & SE_CR4_PCIDE)) || ((st->cr4 ^ src) & SE_CR4_PGE);
    st->cr4 = src;
    if (full && tlb != NULL)
        se_tlb_flush_all(tlb);
    return SE_FAULT_NONE;
}
