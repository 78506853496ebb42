/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Basics of the architectural model: canonical addresses, the vendor table, mode predicates,
 * fault records and descriptor decoding. Rule IDs refer to docs/model.md.
 */
#include <assert.h>
#include <string.h>

#include "cpu/model.h"
#include "cpu/model_int.h"

bool se_is_canonical(uint64_t addr, unsigned width)
{
    /* CANON-2: paging defines exactly two widths; anything else is a caller's mistake that
     * must not pass as "canonical" */
    if (width != SE_VA_BITS_4LEVEL && width != SE_VA_BITS_5LEVEL)
        return false;
    /* CANON-1: bits 63..width-1 must all equal bit width-1, i.e. be all clear (low half) or
     * all set (high half). Shifting an unsigned value keeps this free of the
     * implementation-defined signed shift that the sign-extension formulation needs. */
    uint64_t top = addr >> (width - 1);
    return top == 0 || top == (UINT64_MAX >> (width - 1));
}

/* docs/model.md: where Intel and AMD differ on this path.
 * Emulator deviations (EMU-*) are not vendors and have no row here. */
static const se_vendor_traits se_vendor_table[] = {
    [SE_VENDOR_INTEL] =
        {
            .name = "intel",
            .sysret_canonical_gp = true, /* SYSRET-3, EMU-2 */
            .sysret_ss_rpl3 = true,      /* SYSRET-7, EMU-3 */
            .sysret_ss_reload = true,    /* SYSRET-7, EMU-4 */
            .syscall_needs_64bit = true, /* SYSCALL-2, SYSRET-1, EMU-1 */
            .efer_amd_bits = false,      /* MSR-7 */
        },
    [SE_VENDOR_AMD] =
        {
            .name = "amd",
            .sysret_canonical_gp = false, /* SYSRET-3A: the fetch at CPL3 faults instead */
            .sysret_ss_rpl3 = false,      /* SYSRET-7A */
            .sysret_ss_reload = false,    /* SYSRET-7A: X86_BUG_SYSRET_SS_ATTRS */
            .syscall_needs_64bit = false, /* SYSCALL-2 (AMD): compatibility and legacy mode */
            .efer_amd_bits = true,        /* MSR-7: SVME, FFXSR, TCE */
        },
};
_Static_assert(sizeof se_vendor_table / sizeof se_vendor_table[0] == SE_VENDOR_MAX_VALUE + 1,
               "se_vendor_table needs exactly one row per se_vendor value");

const se_vendor_traits *se_vendor_traits_get(se_vendor vendor)
{
    if ((unsigned)vendor > SE_VENDOR_MAX_VALUE)
        return NULL;
    return &se_vendor_table[vendor];
}

void se_cpu_features_vendor_defaults(se_cpu_features *f)
{
    assert(f != NULL);
    bool amd = f->vendor == SE_VENDOR_AMD;
    /* Intel: a Skylake-class client part. Protection keys came with the server parts
     * (Skylake-SP) and to clients with Ice Lake, CET with Tiger Lake, and the SPEC_CTRL
     * controls RRSBA_DIS_S, PSFD and BHI_DIS_S with later generations (CPUID.(EAX=7,ECX=2):EDX
     * bits 2, 0 and 4). AMD: Zen 4, which has PKU, shadow stacks (no IBT on AMD), Automatic
     * IBRS (CPUID Fn8000_0021_EAX[8]) and PSFD (Fn8000_0008_EBX[28]), and no longer LMSLE
     * (Fn8000_0008_EBX[20] EferLmsleUnsupported, since Zen 3); RRSBA_DIS_S and BHI_DIS_S are
     * Intel's. */
    f->pku = amd;
    f->cet_ss = amd;
    f->cet_ibt = false;
    f->lmsle = false;
    f->auto_ibrs = amd;
    f->rrsba_ctrl = false;
    f->psfd = amd;
    f->bhi_ctrl = false;
}

unsigned se_cpu_va_width(const se_cpu_state *st)
{
    assert(st != NULL);
    /* CANON-3: RIP loads (SYSRET, IRET) are checked against the paging mode in force */
    return (st->cr4 & SE_CR4_LA57) ? SE_VA_BITS_5LEVEL : SE_VA_BITS_4LEVEL;
}

unsigned se_cpu_msr_va_width(const se_cpu_features *f)
{
    assert(f != NULL);
    /* CANON-3: WRMSR checks against what the CPU could ever use, so that an MSR stays valid
     * when the OS later enables 5-level paging */
    return f->la57 ? SE_VA_BITS_5LEVEL : SE_VA_BITS_4LEVEL;
}

bool se_cpu_in_64bit_mode(const se_cpu_state *st)
{
    assert(st != NULL);
    /* docs/model.md: 64-bit mode is LMA = 1 with CS.L = 1; LMA with CS.L = 0 is
     * compatibility mode */
    return (st->efer & SE_EFER_LMA) != 0 && (st->cs_cache.ar & SE_SEG_AR_L) != 0;
}

void se_cpu_make_fault(const se_cpu_state *st, uint8_t vector, uint32_t error_code,
                       bool has_error_code, se_fault *fault)
{
    assert(st != NULL && fault != NULL);
    memset(fault, 0, sizeof *fault);
    fault->kind = SE_FAULT_FAULT;
    fault->vector = vector;
    fault->error_code = error_code;
    fault->has_error_code = has_error_code;
    fault->rip = st->regs.rip;
    fault->cpl = st->cpl;
}

/* Field positions of a legacy 8-byte code/data descriptor (SDM Vol. 3A §3.4.5). */
enum {
    SE_DESC_LIMIT_LO_MASK = 0xFFFF, /* limit[15:0] in bits 15:0 */
    SE_DESC_BASE_LO_SHIFT = 16,     /* base[23:0] in bits 39:16 */
    SE_DESC_BASE_LO_MASK = 0xFFFFFF,
    SE_DESC_ACCESS_SHIFT = 40, /* type, S, DPL, P in bits 47:40 = ar bits 7:0 */
    SE_DESC_ACCESS_MASK = 0xFF,
    SE_DESC_LIMIT_HI_SHIFT = 48, /* limit[19:16] in bits 51:48 */
    SE_DESC_FLAGS_SHIFT = 52,    /* AVL, L, D/B, G in bits 55:52 = ar bits 15:12 */
    SE_DESC_NIBBLE_MASK = 0xF,
    SE_DESC_BASE_HI_SHIFT = 56, /* base[31:24] in bits 63:56 */
    SE_DESC_BASE_HI_MASK = 0xFF,
    SE_AR_FLAGS_SHIFT = 12,
    SE_PAGE_SHIFT = 12, /* G = 1: the limit counts 4 KiB units */
};

void se_seg_from_descriptor(uint64_t desc, se_seg_cache *cache)
{
    assert(cache != NULL);
    cache->base = ((desc >> SE_DESC_BASE_LO_SHIFT) & SE_DESC_BASE_LO_MASK) |
                  (((desc >> SE_DESC_BASE_HI_SHIFT) & SE_DESC_BASE_HI_MASK) << 24);
    cache->ar =
        (uint32_t)((desc >> SE_DESC_ACCESS_SHIFT) & SE_DESC_ACCESS_MASK) |
        (uint32_t)(((desc >> SE_DESC_FLAGS_SHIFT) & SE_DESC_NIBBLE_MASK) << SE_AR_FLAGS_SHIFT);
    uint32_t limit = (uint32_t)(desc & SE_DESC_LIMIT_LO_MASK) |
                     (uint32_t)(((desc >> SE_DESC_LIMIT_HI_SHIFT) & SE_DESC_NIBBLE_MASK) << 16);
    /* the cache holds the limit in bytes: with G the low 12 bits of every offset are free */
    if (cache->ar & SE_SEG_AR_G)
        limit = (limit << SE_PAGE_SHIFT) | ((1u << SE_PAGE_SHIFT) - 1);
    cache->limit = limit;
}

/* ---- RDTSC / RDTSCP ------------------------------------------------------------------------ */

se_fault_kind se_cpu_rdtsc(const se_cpu_state *st, bool rdtscp, uint64_t *rax, uint64_t *rdx,
                           uint64_t *rcx, se_fault *fault)
{
    assert(st != NULL && rax != NULL && rdx != NULL && rcx != NULL && fault != NULL);
    /* SDM Vol. 2B RDTSC: "If the TSD flag in register CR4 is set ... and the CPL is greater
     * than 0", #GP(0); RDTSCP the same */
    if ((st->cr4 & SE_CR4_TSD) && st->cpl != 0)
        return se_raise_gp0(st, fault);
    /* 64-bit mode: the 32-bit results are zero-extended into RAX and RDX (and RCX) */
    *rax = (uint32_t)st->tsc;
    *rdx = st->tsc >> 32;
    if (rdtscp)
        *rcx = (uint32_t)st->tsc_aux;
    return se_completed(fault);
}
