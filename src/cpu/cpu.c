/*
 * CPU basics of the model: canonical addresses, the vendor table, mode predicates, fault
 * records, descriptor decoding. Rule IDs refer to x86-semantics.md.
 */
#include <string.h>

#include "cpu/model.h"

/* CANON-1: bits 63..w-1 all equal bit w-1, i.e. sign-extending the low w bits is a no-op. */
bool se_is_canonical(uint64_t addr, unsigned width)
{
    if (width != SE_VA_BITS_4LEVEL && width != SE_VA_BITS_5LEVEL)
        return false;
    unsigned shift = 64 - width;
    return (uint64_t)((int64_t)(addr << shift) >> shift) == addr;
}

/* x86-semantics §3, §4 and the EMU table: where Intel and AMD differ on this path. */
static const se_vendor_traits se_vendor_table[] = {
    [SE_VENDOR_INTEL] =
        {
            .name = "intel",
            .sysret_canonical_gp = true, /* SYSRET-3 */
            .sysret_ss_rpl3 = true,      /* SYSRET-7 */
            .sysret_ss_reload = true,    /* SYSRET-7 */
            .syscall_needs_64bit = true, /* SYSCALL-2, SYSRET-1 */
            .efer_amd_bits = false,      /* MSR-7 */
        },
    [SE_VENDOR_AMD] =
        {
            .name = "amd",
            .sysret_canonical_gp = false, /* SYSRET-3A: the fetch at CPL3 faults instead */
            .sysret_ss_rpl3 = false,      /* SYSRET-7A */
            .sysret_ss_reload = false,    /* SYSRET-7A: SS cache unchanged */
            .syscall_needs_64bit = false, /* SYSCALL-2 (AMD): compatibility mode allowed */
            .efer_amd_bits = true,        /* SVME, LMSLE, FFXSR, TCE */
        },
};
_Static_assert(sizeof se_vendor_table / sizeof se_vendor_table[0] == SE_VENDOR_MAX_VALUE + 1,
               "one row per vendor");

const se_vendor_traits *se_vendor_traits_get(se_vendor vendor)
{
    return (unsigned)vendor <= SE_VENDOR_MAX_VALUE ? &se_vendor_table[vendor] : NULL;
}

/* CANON-3: RIP loads use the current paging mode. */
unsigned se_cpu_va_width(const se_cpu_state *st)
{
    return (st->cr4 & SE_CR4_LA57) ? SE_VA_BITS_5LEVEL : SE_VA_BITS_4LEVEL;
}

/* CANON-3: WRMSR uses the largest width the CPU supports. */
unsigned se_cpu_msr_va_width(const se_cpu_features *f)
{
    return f->la57 ? SE_VA_BITS_5LEVEL : SE_VA_BITS_4LEVEL;
}

bool se_cpu_in_64bit_mode(const se_cpu_state *st)
{
    return (st->efer & SE_EFER_LMA) && (st->cs_cache.ar & SE_SEG_AR_L);
}

void se_cpu_make_fault(const se_cpu_state *st, uint8_t vector, uint32_t error_code,
                       bool has_error_code, se_fault *fault)
{
    memset(fault, 0, sizeof *fault);
    fault->kind = SE_FAULT_FAULT;
    fault->vector = vector;
    fault->error_code = error_code;
    fault->has_error_code = has_error_code;
    fault->rip = st->regs.rip;
    fault->cpl = st->cpl;
}

/* Legacy 8-byte descriptor: base[31:0], limit[19:0] (scaled by G), attributes in the
 * VMX/Linux access-rights layout (type S DPL P | AVL L D/B G). */
void se_seg_from_descriptor(uint64_t d, se_seg_cache *c)
{
    c->base = ((d >> 16) & 0xFFFFFFull) | (((d >> 56) & 0xFF) << 24);
    uint32_t limit = (uint32_t)((d & 0xFFFF) | ((d >> 32) & 0xF0000));
    c->ar = (uint32_t)((d >> 40) & 0xFF) | (uint32_t)(((d >> 52) & 0xF) << 12);
    c->limit = (c->ar & SE_SEG_AR_G) ? (limit << 12) | 0xFFF : limit;
}
