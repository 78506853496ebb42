#include "paging/paging.h"

#include <string.h>

#define SE_PAGE      4096ull
#define SE_ADDR_MASK 0x000FFFFFFFFFF000ull

se_status se_phys_init(se_phys *p, uint8_t *host, uint64_t base, uint64_t size)
{
    if (p == NULL || host == NULL || (base | size) & (SE_PAGE - 1) || size == 0)
        return SE_ERR_INVALID_ARG;
    *p = (se_phys){.host = host, .base = base, .size = size, .next = 0};
    return SE_OK;
}

se_status se_phys_alloc(se_phys *p, uint64_t bytes, uint64_t align, uint64_t *pa)
{
    if (p == NULL || pa == NULL || bytes == 0 || align == 0 || (align & (align - 1)))
        return SE_ERR_INVALID_ARG;
    uint64_t start = (p->base + p->next + align - 1) & ~(align - 1);
    uint64_t len = (bytes + SE_PAGE - 1) & ~(SE_PAGE - 1);
    if (start - p->base > p->size || len > p->size - (start - p->base))
        return SE_ERR_LIMIT;
    memset(p->host + (start - p->base), 0, len);
    p->next = start - p->base + len;
    *pa = start;
    return SE_OK;
}

void *se_phys_ptr(const se_phys *p, uint64_t pa, uint64_t len)
{
    if (p == NULL || pa < p->base || pa - p->base > p->size || len > p->size - (pa - p->base))
        return NULL;
    return p->host + (pa - p->base);
}

static unsigned se_index(uint64_t va, unsigned level) /* level 1 = PT ... 5 = PML5 */
{
    return (unsigned)(va >> (12 + 9 * (level - 1))) & 511;
}

static uint64_t *se_entry(const se_phys *p, uint64_t table_pa, unsigned idx)
{
    return se_phys_ptr(p, (table_pa & SE_ADDR_MASK) + idx * 8ull, 8);
}

static se_status se_walk_create(se_phys *p, unsigned levels, uint64_t root, uint64_t va,
                                bool create, uint64_t **leaf)
{
    uint64_t table = root & SE_ADDR_MASK;
    for (unsigned l = levels; l > 1; l--) {
        uint64_t *e = se_entry(p, table, se_index(va, l));
        if (e == NULL)
            return SE_ERR_INVALID_ARG;
        if (!(*e & SE_PTE_P)) {
            if (!create)
                return SE_ERR_NOT_MAPPED;
            uint64_t pa;
            se_status st = se_phys_alloc(p, SE_PAGE, SE_PAGE, &pa);
            if (st != SE_OK)
                return st;
            /* permissions are decided by the leaf: intermediate entries allow everything */
            *e = pa | SE_PTE_P | SE_PTE_RW | SE_PTE_US | SE_PTE_A;
        }
        table = *e & SE_ADDR_MASK;
    }
    *leaf = se_entry(p, table, se_index(va, 1));
    return *leaf ? SE_OK : SE_ERR_INVALID_ARG;
}

se_status se_pt_map(se_phys *p, unsigned levels, uint64_t root_pa, uint64_t va, uint64_t pa,
                    uint64_t pte_flags)
{
    if (p == NULL || (levels != 4 && levels != 5) || (pa & (SE_PAGE - 1)))
        return SE_ERR_INVALID_ARG;
    uint64_t *leaf;
    se_status st = se_walk_create(p, levels, root_pa, va, true, &leaf);
    if (st == SE_OK)
        *leaf = (pa & SE_ADDR_MASK) | pte_flags | SE_PTE_P;
    return st;
}

se_status se_pt_set_present(se_phys *p, unsigned levels, uint64_t root_pa, uint64_t va,
                            bool present)
{
    uint64_t *leaf;
    se_status st = se_walk_create(p, levels, root_pa, va, false, &leaf);
    if (st != SE_OK)
        return st;
    if ((*leaf & SE_ADDR_MASK) == 0 && !(*leaf & SE_PTE_P))
        return SE_ERR_NOT_MAPPED;
    *leaf = present ? (*leaf | SE_PTE_P) : (*leaf & ~SE_PTE_P);
    return SE_OK;
}

uint64_t se_pt_leaf(const se_phys *p, unsigned levels, uint64_t root_pa, uint64_t va)
{
    uint64_t *leaf;
    if (se_walk_create((se_phys *)p, levels, root_pa, va, false, &leaf) != SE_OK)
        return 0;
    return *leaf;
}

se_fault_kind se_pt_walk(const se_phys *p, const se_paging_ctl *ctl, uint64_t cr3, uint64_t va,
                         se_access access, uint8_t cpl, uint64_t *pa, se_fault *fault)
{
    memset(fault, 0, sizeof *fault);
    *pa = 0;
    /* CANON-1/2: a non-canonical linear address never reaches the page walk */
    unsigned width = ctl->levels == 5 ? 57 : 48;
    if (!se_is_canonical(va, width)) {
        fault->kind = SE_FAULT_FAULT;
        fault->vector = SE_VEC_GP;
        fault->has_error_code = true;
        fault->cpl = cpl;
        return SE_FAULT_FAULT;
    }
    bool user = cpl == 3, write = access == SE_ACCESS_WRITE, fetch = access == SE_ACCESS_FETCH;
    uint32_t code = (user ? SE_PF_U : 0) | (write ? SE_PF_W : 0) |
                    (fetch && (ctl->nxe || ctl->smep) ? SE_PF_I : 0);
    uint64_t rsvd = ~0ull << ctl->maxphyaddr & ~SE_PTE_XD & 0x000FFFFFFFFFFFFFull;
    if (!ctl->nxe)
        rsvd |= SE_PTE_XD;
    uint64_t table = cr3 & SE_ADDR_MASK & ~(~0ull << ctl->maxphyaddr);
    bool us = true, rw = true, xd = false;
    uint64_t leaf = 0;
    unsigned level = ctl->levels;
    for (;; level--) {
        const uint64_t *ep = se_entry(p, table, se_index(va, level));
        uint64_t e = ep ? *ep : 0;
        if (!(e & SE_PTE_P))
            goto pf;
        bool leaf_here = level == 1 || ((level == 2 || level == 3) && (e & SE_PTE_PS));
        uint64_t r = rsvd;
        if (level >= 4)
            r |= SE_PTE_PS; /* no pages larger than 1 GiB: PS is reserved in PML4E/PML5E */
        else if (leaf_here && level > 1)
            /* a large page's frame is aligned: bits 12 (PAT) + 1 .. the page shift are reserved */
            r |= ((1ull << (12 + 9 * (level - 1))) - 1) & ~0x1FFFull;
        if (e & r) {
            code |= SE_PF_RSVD | SE_PF_P;
            goto pf_code_done;
        }
        us = us && (e & SE_PTE_US);
        rw = rw && (e & SE_PTE_RW);
        xd = xd || (e & SE_PTE_XD);
        if (leaf_here) {
            uint64_t span = 1ull << (12 + 9 * (level - 1));
            leaf = (e & SE_ADDR_MASK & ~(span - 1)) | (va & (span - 1));
            break;
        }
        table = e & SE_ADDR_MASK;
    }
    {
        /* protection: permissions combine over all levels (SDM §4.6) */
        bool viol = false;
        if (user && !us)
            viol = true;
        else if (write && !rw && (user || ctl->wp))
            viol = true;
        else if (fetch && xd && ctl->nxe)
            viol = true;
        else if (!user && fetch && us && ctl->smep)
            viol = true;
        else if (!user && !fetch && us && ctl->smap && !ctl->ac)
            viol = true;
        if (viol) {
            code |= SE_PF_P;
            goto pf_code_done;
        }
    }
    *pa = leaf;
    return SE_FAULT_NONE;
pf:
pf_code_done:
    fault->kind = SE_FAULT_FAULT;
    fault->vector = SE_VEC_PF;
    fault->error_code = code;
    fault->has_error_code = true;
    fault->cr2 = va;
    fault->cpl = cpl;
    return SE_FAULT_FAULT;
}
