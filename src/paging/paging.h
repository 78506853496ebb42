/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Guest-physical RAM and x86-64 page tables (4- and 5-level), in pure C (docs/paging.md).
 *
 * The machine's RAM is one host buffer at a guest-physical base; its page tables live in that
 * RAM and are built here. se_pt_walk() is the architectural walk (Intel SDM Vol. 3A §4.5-§4.7):
 * the machine uses it to decide #PF error codes and CR2, which Unicorn does not expose, and to
 * answer se_translate(). Nothing in this module calls Unicorn.
 */
#ifndef SE_PAGING_H
#define SE_PAGING_H

#include <stdbool.h>
#include <stdint.h>

#include <sysentry/arch.h>
#include <sysentry/machine.h>
#include <sysentry/status.h>

/** Bits 51:12 of a paging-structure entry or of CR3: the widest frame field (MAXPHYADDR <= 52). */
#define SE_PT_FRAME_MASK 0x000FFFFFFFFFF000ull
/**
 * Guest-physical RAM must end at or below 2^40: Unicorn's TCG physical-address width is 40 bits
 * (TCG_PHYS_ADDR_BITS), so a PTE frame at or above it is a reserved-bit #PF there
 * (docs/machine.md, engine limitations).
 */
#define SE_PT_PHYS_LIMIT (1ull << 40)

/**
 * The machine's guest-physical RAM: one host buffer, handed out by a bump allocator.
 * Plain data; the caller owns both the struct and the host buffer.
 */
typedef struct se_phys {
    uint8_t *host; /**< host memory for guest-physical [base, base + size) */
    uint64_t base; /**< guest-physical address of host[0], page-aligned */
    uint64_t size; /**< bytes, a non-zero multiple of 4096; base + size <= SE_PT_PHYS_LIMIT */
    uint64_t next; /**< bump allocator: offset of the next free page (never decreases) */
} se_phys;

/**
 * @brief Describe a host buffer as guest-physical RAM. Allocates nothing and writes nothing
 * to the buffer.
 * @param host 4 KiB aligned, size bytes, all zero (se_phys_alloc relies on it), owned by the
 *             caller and kept alive as long as p is used
 * @return ::SE_OK; ::SE_ERR_INVALID_ARG for NULL pointers, a misaligned host, base or size,
 *         a zero size, or a range that does not end at or below SE_PT_PHYS_LIMIT.
 */
se_status se_phys_init(se_phys *p, uint8_t *host, uint64_t base, uint64_t size);

/**
 * @brief Take whole zeroed pages from the RAM: bytes rounded up to 4096, the start aligned to
 * align (a power of two; values below 4096 mean 4096). Pages are never returned.
 * @param pa receives the guest-physical address of the first page
 * @return ::SE_OK; ::SE_ERR_LIMIT when the RAM cannot hold the request (nothing is taken);
 *         ::SE_ERR_INVALID_ARG for NULL pointers, bytes == 0 or an align that is not a power
 *         of two.
 */
se_status se_phys_alloc(se_phys *p, uint64_t bytes, uint64_t align, uint64_t *pa);

/**
 * @brief Host pointer for guest-physical [pa, pa + len).
 * @return a pointer into p->host (not owned by the caller), or NULL when p is NULL, len is 0
 *         or any byte of the range lies outside the RAM.
 */
void *se_phys_ptr(const se_phys *p, uint64_t pa, uint64_t len);

/**
 * The control bits the walk depends on, plus one property of the access (stack).
 * A zero-initialised value is not usable: levels and maxphyaddr must be set.
 */
typedef struct se_paging_ctl {
    unsigned levels;     /**< 4, or 5 with CR4.LA57 */
    bool wp;             /**< CR0.WP: supervisor writes honour R/W */
    bool nxe;            /**< IA32_EFER.NXE: XD is meaningful (else a reserved bit) */
    bool smep, smap;     /**< CR4.SMEP / CR4.SMAP */
    bool ac;             /**< RFLAGS.AC: lifts SMAP for explicit supervisor data accesses;
                              pass false for implicit ones (GDT, IDT, TSS, stack switches),
                              which SMAP always checks (SDM §4.6.1) */
    unsigned maxphyaddr; /**< 32..52: entry and CR3 address bits at and above it are reserved */
    bool stack;          /**< not a control bit: the access uses SS (push, pop, RSP-relative),
                              so a non-canonical address raises #SS(0) instead of #GP(0) */
    bool engine_marks;   /**< not a control bit: the tables are the machine's own, where a
                              leaf's engine marks (SE_PTE_ENGINE_XD, _NX, _RO) are there for
                              the engine only: the architectural walk undoes them */
} se_paging_ctl;

/** Software-available bit 9 of a leaf in the machine's own tables: its XD bit is there for the
 * engine only (backend/hazard.c: a page whose first bytes the engine cannot translate). */
#define SE_PTE_ENGINE_XD (1ull << 9)
/** Software-available bit 10: XD for the engine only, because the page was written since its
 * bytes were last screened (machine/wx.c: a writable and executable page is never both to the
 * engine at once). Shares the XD bit with SE_PTE_ENGINE_XD; XD goes when neither is left. */
#define SE_PTE_ENGINE_NX (1ull << 10)
/** Software-available bit 11: R/W is clear for the engine only, so that the first store into
 * a screened code page faults in the engine (machine/wx.c). */
#define SE_PTE_ENGINE_RO (1ull << 11)
/** Every engine-only mark. */
#define SE_PTE_ENGINE_MARKS (SE_PTE_ENGINE_XD | SE_PTE_ENGINE_NX | SE_PTE_ENGINE_RO)

/**
 * @brief Map one 4 KiB page va -> pa in the tables rooted at root_pa, allocating missing
 * tables from p.
 *
 * Leaf = pa | pte_flags | P. Intermediate entries this function creates are P|RW|US|A, so that
 * the leaf alone decides permissions (the walk ANDs R/W and U/S over all levels): this is what
 * Linux does for tables shared by user and kernel mappings, and it keeps "who may access this
 * page" in one entry. Existing intermediate entries are used as they are. Remapping an existing
 * leaf overwrites it. A/D bits of the leaf are whatever pte_flags says.
 *
 * @param levels   4 or 5
 * @param root_pa  page-aligned guest-physical address of the top-level table, inside p
 * @param va       page-aligned, canonical for the number of levels
 * @param pa       page-aligned, below 2^52 (not required to be inside p)
 * @param pte_flags SE_PTE_* bits and bits 62:52 / 11:0 of the leaf; no address bits
 * @return ::SE_OK; ::SE_ERR_INVALID_ARG for a bad argument or a table entry on the path that
 *         points outside p; ::SE_ERR_CONFLICT when va lies in a 2 MiB / 1 GiB page, or an entry
 *         on the path is not present but not empty; ::SE_ERR_LIMIT when p cannot hold a new
 *         table (tables allocated before the failure stay, empty and harmless).
 */
se_status se_pt_map(se_phys *p, unsigned levels, uint64_t root_pa, uint64_t va, uint64_t pa,
                    uint64_t pte_flags);

/**
 * @brief Set (on) or clear the engine-only XD of the 4 KiB leaf mapping va: XD together with
 * SE_PTE_ENGINE_XD, which a walk with se_paging_ctl.engine_marks ignores. A leaf with an
 * architectural XD is left alone.
 * @return SE_OK, SE_ERR_NOT_MAPPED when no present 4 KiB leaf maps va, SE_ERR_INVALID_ARG.
 */
se_status se_pt_engine_xd(se_phys *p, unsigned levels, uint64_t root_pa, uint64_t va, bool on);

/**
 * @brief Set (on) or clear one engine-only mark of the 4 KiB leaf mapping va.
 *
 * SE_PTE_ENGINE_XD and SE_PTE_ENGINE_NX set XD (unless the leaf's XD is architectural, which
 * stays and takes no mark); XD is cleared with the last of them. SE_PTE_ENGINE_RO clears R/W
 * (unless R/W is architecturally clear: no mark) and sets it back when cleared. A walk with
 * se_paging_ctl.engine_marks undoes every mark; A and D are kept.
 * @param mark exactly one of SE_PTE_ENGINE_XD, SE_PTE_ENGINE_NX, SE_PTE_ENGINE_RO
 * @return SE_OK, SE_ERR_NOT_MAPPED when no present 4 KiB leaf maps va, SE_ERR_INVALID_ARG.
 */
se_status se_pt_engine_mark(se_phys *p, unsigned levels, uint64_t root_pa, uint64_t va,
                            uint64_t mark, bool on);

/**
 * @brief Host pointer to the 4 KiB leaf entry (present or not) that maps va, or NULL when
 * there is none (no table on the path, a large page, a bad argument). The pointer stays valid
 * as long as p's host buffer: tables are never freed. Lets the machine read the A/D bits the
 * engine's walk sets, without a walk each time.
 */
uint64_t *se_pt_leaf_ptr(const se_phys *p, unsigned levels, uint64_t root_pa, uint64_t va);

/**
 * @brief Set or clear P in the existing leaf (4 KiB PTE, or a 2 MiB / 1 GiB PS entry) that
 * maps va; everything else in the entry is kept. A leaf exists when its entry is non-zero.
 * @return ::SE_OK; ::SE_ERR_NOT_MAPPED when there is no leaf; ::SE_ERR_INVALID_ARG as for
 *         se_pt_map (va need not be page-aligned here).
 */
se_status se_pt_set_present(se_phys *p, unsigned levels, uint64_t root_pa, uint64_t va,
                            bool present);

/**
 * @brief The leaf entry that maps va (a 4 KiB PTE, or a 2 MiB / 1 GiB PS entry), present or
 * not; 0 when there is none or an argument is bad. Only present intermediate entries are
 * followed. No permission checks: use se_pt_walk for those.
 */
uint64_t se_pt_leaf(const se_phys *p, unsigned levels, uint64_t root_pa, uint64_t va);

/**
 * @brief The architectural translation of one access, as the CPU does it.
 *
 * Order (SDM Vol. 3A §4.5, §4.6, §4.7): canonical check (CANON-1/2; failure is #GP(0), or #SS(0)
 * with ctl->stack, and no walk happens); then level by level from CR3: P clear -> #PF with
 * P = 0; reserved bit set -> #PF with RSVD|P; after the leaf, the access rights combined over
 * all levels -> #PF with P = 1. Error codes carry W for writes, U for CPL 3, I for fetches only
 * when EFER.NXE or CR4.SMEP is set. CR2 = va. Accessed and dirty bits are not written: this is
 * the model's view, and the engine keeps its own. Table entries outside p read as 0.
 *
 * @param p, ctl required; ctl->levels 4 or 5, ctl->maxphyaddr 32..52 (asserted)
 * @param cr3  the full CR3 value: bits 11:0 (PCID, PWT, PCD) and bits 63..maxphyaddr are not
 *             part of the root address
 * @param cpl  0..3: the privilege of the access (0 for implicit supervisor accesses)
 * @param pa   optional: the guest-physical address on success, else 0
 * @param fault optional: zeroed, then on a fault: kind ::SE_FAULT_FAULT, vector, error code,
 *             has_error_code, cr2 (for #PF), cpl = the cpl argument; rip is left 0 for the caller
 * @return ::SE_FAULT_NONE or ::SE_FAULT_FAULT.
 */
se_fault_kind se_pt_walk(const se_phys *p, const se_paging_ctl *ctl, uint64_t cr3, uint64_t va,
                         se_access access, uint8_t cpl, uint64_t *pa, se_fault *fault);

#endif /* SE_PAGING_H */
