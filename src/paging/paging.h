/*
 * Guest-physical RAM and x86-64 page tables (4- and 5-level), pure C (docs/paging.md).
 *
 * The machine's RAM is one host buffer at a guest-physical base; page tables live in it and
 * are built here. se_pt_walk() is the architectural walk (SDM Vol. 3A §4.5, §4.6): it decides
 * #PF error codes and CR2 for the machine, since Unicorn does not expose them.
 */
#ifndef SE_PAGING_H
#define SE_PAGING_H

#include <stdbool.h>
#include <stdint.h>

#include <sysentry/arch.h>
#include <sysentry/machine.h>
#include <sysentry/status.h>

typedef struct se_phys {
    uint8_t *host; /* host memory for guest-physical [base, base + size) */
    uint64_t base; /* guest-physical address of host[0], page-aligned */
    uint64_t size; /* bytes, multiple of 4096 */
    uint64_t next; /* bump allocator: offset of the next free byte */
} se_phys;

/* No allocation: host must be 4 KiB aligned; allocated pages are zeroed by se_phys_alloc. */

se_status se_phys_init(se_phys *p, uint8_t *host, uint64_t base, uint64_t size);
/* Zeroed pages; align is a power of two. SE_ERR_LIMIT when the RAM is exhausted. */
se_status se_phys_alloc(se_phys *p, uint64_t bytes, uint64_t align, uint64_t *pa);
/* Host pointer for [pa, pa + len), or NULL when any byte is outside the RAM. */
void *se_phys_ptr(const se_phys *p, uint64_t pa, uint64_t len);

/* The control bits the walk depends on. */
typedef struct se_paging_ctl {
    unsigned levels;     /* 4, or 5 with CR4.LA57 */
    bool wp;             /* CR0.WP: supervisor writes honour R/W */
    bool nxe;            /* EFER.NXE: XD is meaningful (else a reserved bit) */
    bool smep, smap;     /* CR4.SMEP / CR4.SMAP */
    bool ac;             /* RFLAGS.AC: overrides SMAP for supervisor data accesses */
    unsigned maxphyaddr; /* address bits at and above it are reserved in entries */
} se_paging_ctl;

/* Map one 4 KiB page va -> pa under root_pa, allocating tables from p. pte_flags are SE_PTE_*
 * bits of the leaf (P implied). Intermediate entries are P|RW|US|A, so that the leaf alone
 * decides permissions, as Linux does for tables shared by user and kernel mappings.
 * Overwrites an existing leaf. */

se_status se_pt_map(se_phys *p, unsigned levels, uint64_t root_pa, uint64_t va, uint64_t pa,
                    uint64_t pte_flags);
/* Set or clear P in an existing leaf; SE_ERR_NOT_MAPPED when there is none. */
se_status se_pt_set_present(se_phys *p, unsigned levels, uint64_t root_pa, uint64_t va,
                            bool present);
/* The leaf PTE for va (0 when no 4 KiB leaf exists). */
uint64_t se_pt_leaf(const se_phys *p, unsigned levels, uint64_t root_pa, uint64_t va);
/* The walk for an access at a CPL: SE_FAULT_NONE and *pa, or SE_FAULT_FAULT with #GP(0) for a
 * non-canonical address or #PF with error code and CR2 (fault->rip is left 0 for the caller).
 * Accessed/dirty bits are not set: this is the model's view, the engine keeps its own. */
se_fault_kind se_pt_walk(const se_phys *p, const se_paging_ctl *ctl, uint64_t cr3, uint64_t va,
                         se_access access, uint8_t cpl, uint64_t *pa, se_fault *fault);
#endif
