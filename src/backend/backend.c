/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The Unicorn 2.0.1 backend: the one module that knows the engine's quirks
 * (docs/machine.md, engine limitations). Nothing above it sees them:
 *  - CPL cannot be changed through the public API (§5): by default we patch the CPL bits of
 *    hflags and the CS/SS caches in a saved context ("surgery", §5.2), after verifying this
 *    build's private layout at machine creation; otherwise the portable path is used.
 *  - Exceptions leave old_exception set forever, escalating to #DF and a silent halt (§10):
 *    reset after every caught fault.
 *  - uc_reg_write of CR3 does not flush the TLB and uc_ctl_flush_tlb() does not either on
 *    2.0.1 (§9.1): uc_mem_protect() of a dedicated page does.
 *  - The engine's CPU has no NX in CPUID, so WRMSR and uc_reg_write mask EFER.NXE away; its
 *    page walk reads env->efer directly, so NXE is patched into a saved context instead
 *    (se_be_sync_nxe), needing only the layout check surgery needs.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>

#include <sysentry/version.h>

#include "backend/backend.h"

/* Offsets into the CPUX86State copy inside a uc_context, from docs/machine.md, engine limitations
 * (verified at start-up). They are the same in 2.0.1 and 2.1.1; what differs is the header of
 * struct uc_context before that copy (se_ctx_header_for). */
enum {
    SE_CTX_REGS = 0,          /* env->regs[16]: RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8-R15 */
    SE_CTX_EIP = 128,         /* env->eip */
    SE_CTX_HFLAGS = 176,      /* env->hflags; CPL = bits 0-1 */
    SE_CTX_SEGS = 184,        /* env->segs[6]: ES, CS, SS, DS, FS, GS; 24 bytes each */
    SE_CTX_CR3 = 448,         /* env->cr[3] (env->cr[5] follows the six segment caches...) */
    SE_CTX_EFER = 560,        /* env->efer */
    SE_CTX_ERROR_CODE = 5352, /* env->error_code of the last exception */
    SE_CTX_OLD_EXC = 5464,    /* env->old_exception: -1 when no exception is pending */
};

/* struct uc_context before data[] (include/uc_priv.h): 2.0.1 {size_t context_size; uc_mode;
 * uc_arch} = 16 bytes, uc_context_size() 5544; 2.1.1 adds int snapshot_level = 20 bytes, and
 * saves 4 more bytes after the CPU state (qemu/target/i386/cpu.h is unchanged between them), so
 * 5552. The size tells the layouts apart; 0 for any other (the portable path then). */
static size_t se_ctx_header_for(size_t context_size)
{
    return context_size == 5544 ? 16 : context_size == 5552 ? 20 : 0;
}
enum { SE_SEG_ES, SE_SEG_CS, SE_SEG_SS, SE_SEG_DS, SE_SEG_FS, SE_SEG_GS };
#define SE_HF_CPL_MASK 3u
#define SE_HF_LMA      (1u << 14)
#define SE_HF_CS64     (1u << 15)
#define SE_HF_SMAP     (1u << 23) /* HF_SMAP_SHIFT in qemu/target/i386/cpu.h, 2.0.1 and 2.1.1 */

se_status se_be_fail(se_backend *be, se_status st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(be->err, sizeof be->err, fmt, ap);
    va_end(ap);
    return st;
}

static uint8_t *se_ctx_data(se_backend *be)
{
    return (uint8_t *)be->ctx + be->ctx_header;
}

uint64_t se_be_reg(se_backend *be, int reg)
{
    uint64_t v = 0;
    uc_reg_read(be->uc, reg, &v);
    return v;
}

void se_be_reg_set(se_backend *be, int reg, uint64_t value)
{
    be->ctx_fresh = false;
    uc_reg_write(be->uc, reg, &value);
}

/* QEMU's register numbers (R_EAX..R_R15 in qemu/target/i386/cpu.h) of se_gpr_ids' order */
static const uint8_t se_gpr_qemu[16] = {0, 3, 1, 2, 6, 7, 5, 4, 8, 9, 10, 11, 12, 13, 14, 15};

static const int se_gpr_ids[16] = {
    UC_X86_REG_RAX, UC_X86_REG_RBX, UC_X86_REG_RCX, UC_X86_REG_RDX, UC_X86_REG_RSI, UC_X86_REG_RDI,
    UC_X86_REG_RBP, UC_X86_REG_RSP, UC_X86_REG_R8,  UC_X86_REG_R9,  UC_X86_REG_R10, UC_X86_REG_R11,
    UC_X86_REG_R12, UC_X86_REG_R13, UC_X86_REG_R14, UC_X86_REG_R15,
};

/* Where each of se_gpr_ids' registers lives in se_regs: one order for every path below. */
static const size_t se_gpr_off[16] = {
    offsetof(se_regs, rax), offsetof(se_regs, rbx), offsetof(se_regs, rcx), offsetof(se_regs, rdx),
    offsetof(se_regs, rsi), offsetof(se_regs, rdi), offsetof(se_regs, rbp), offsetof(se_regs, rsp),
    offsetof(se_regs, r8),  offsetof(se_regs, r9),  offsetof(se_regs, r10), offsetof(se_regs, r11),
    offsetof(se_regs, r12), offsetof(se_regs, r13), offsetof(se_regs, r14), offsetof(se_regs, r15),
};

static uint64_t *se_gpr(se_regs *r, int i)
{
    return (uint64_t *)(void *)((char *)r + se_gpr_off[i]);
}

static const uint64_t *se_gpr_c(const se_regs *r, int i)
{
    return (const uint64_t *)(const void *)((const char *)r + se_gpr_off[i]);
}

void se_be_regs(se_backend *be, se_regs *r)
{
    if (be->use_surgery && uc_context_save(be->uc, be->ctx) == UC_ERR_OK) {
        /* one copy of the CPU state instead of twenty register reads, each a walk through the
         * engine's reg_read switch (docs/performance.md); RFLAGS is computed from the engine's
         * lazy condition codes, so it still takes the API */
        const uint8_t *d = se_ctx_data(be);
        for (int i = 0; i < 16; i++)
            memcpy(se_gpr(r, i), d + SE_CTX_REGS + 8 * se_gpr_qemu[i], 8);
        memcpy(&r->rip, d + SE_CTX_EIP, 8);
        memcpy(&r->fs_base, d + SE_CTX_SEGS + 24 * SE_SEG_FS + 8, 8);
        memcpy(&r->gs_base, d + SE_CTX_SEGS + 24 * SE_SEG_GS + 8, 8);
        r->rflags = se_be_reg(be, UC_X86_REG_RFLAGS);
        r->cs = be->arch->regs.cs;
        r->ss = be->arch->regs.ss;
        be->ctx_fresh = true; /* se_be_transfer_read may restore from it */
        return;
    }
    void *p[16];
    for (int i = 0; i < 16; i++)
        p[i] = se_gpr(r, i);
    /* uc_reg_read_batch infers the width from the id: every id here is a 64-bit register */
    uc_reg_read_batch(be->uc, (int *)se_gpr_ids, p, 16);
    r->rip = se_be_reg(be, UC_X86_REG_RIP);
    r->rflags = se_be_reg(be, UC_X86_REG_RFLAGS);
    r->fs_base = se_be_reg(be, UC_X86_REG_FS_BASE);
    r->gs_base = se_be_reg(be, UC_X86_REG_GS_BASE);
    r->cs = be->arch->regs.cs;
    r->ss = be->arch->regs.ss;
}

void se_be_write_gprs(se_backend *be, const se_regs *r)
{
    void *p[16];
    for (int i = 0; i < 16; i++)
        p[i] = (void *)(uintptr_t)se_gpr_c(r, i); /* the engine only reads through them */
    uc_reg_write_batch(be->uc, (int *)se_gpr_ids, p, 16);
    se_be_reg_set(be, UC_X86_REG_RFLAGS, r->rflags);
    se_be_reg_set(be, UC_X86_REG_FS_BASE, r->fs_base);
    se_be_reg_set(be, UC_X86_REG_GS_BASE, r->gs_base);
}

/* QEMU keeps a segment cache's attributes as the descriptor's high dword (§5.2). */
static uint32_t se_qemu_seg_flags(const se_seg_cache *c)
{
    uint32_t f = (c->ar & 0xFFu) << 8; /* type, S, DPL, P */
    f |= ((c->ar >> 12) & 0xFu) << 20; /* AVL, L, D/B, G */
    if (c->ar & SE_SEG_AR_G)
        f |= ((c->limit >> 28) & 0xFu) << 16; /* limit[19:16] of the raw descriptor */
    else
        f |= ((c->limit >> 16) & 0xFu) << 16;
    return f;
}

static void se_ctx_put_seg(uint8_t *d, int idx, uint16_t sel, const se_seg_cache *c)
{
    uint8_t *s = d + SE_CTX_SEGS + 24 * idx;
    uint32_t sel32 = sel;
    uint32_t limit = c->limit;
    uint32_t flags = (c->ar & SE_SEG_AR_UNUSABLE) ? 0 : se_qemu_seg_flags(c);
    memcpy(s + 0, &sel32, 4);
    memcpy(s + 8, &c->base, 8);
    memcpy(s + 16, &limit, 4);
    memcpy(s + 20, &flags, 4);
}

/*
 * Check that this Unicorn build stores CPUX86State where §5.2 says, before trusting any
 * patch into a saved context. Any mismatch means another build: use the portable path.
 */
static bool se_surgery_self_check(se_backend *be)
{
    be->ctx_header = se_ctx_header_for(uc_context_size(be->uc));
    if (be->ctx_header == 0)
        return false;
    const uint64_t magic = 0x5eed5eed1234ull, cr3_magic = 0x5eed000ull;
    uint64_t old_rip = se_be_reg(be, UC_X86_REG_RIP);
    uint64_t old_cr3 = se_be_reg(be, UC_X86_REG_CR3);
    uint64_t old_gpr[16], old_fs = se_be_reg(be, UC_X86_REG_FS_BASE),
                          old_gs = se_be_reg(be, UC_X86_REG_GS_BASE);
    for (int i = 0; i < 16; i++) {
        old_gpr[i] = se_be_reg(be, se_gpr_ids[i]);
        se_be_reg_set(be, se_gpr_ids[i], magic + 0x100 * (uint64_t)i);
    }
    se_be_reg_set(be, UC_X86_REG_FS_BASE, magic + 0x1000);
    se_be_reg_set(be, UC_X86_REG_GS_BASE, magic + 0x2000);
    se_be_reg_set(be, UC_X86_REG_RIP, magic);
    se_be_reg_set(be, UC_X86_REG_CR3, cr3_magic); /* paging is still off: nothing is walked */
    bool ok = uc_context_save(be->uc, be->ctx) == UC_ERR_OK;
    uint8_t *d = se_ctx_data(be);
    /* se_be_regs reads the GPRs and the FS/GS bases from saved contexts */
    for (int i = 0; i < 16 && ok; i++) {
        uint64_t v;
        memcpy(&v, d + SE_CTX_REGS + 8 * se_gpr_qemu[i], 8);
        ok = v == magic + 0x100 * (uint64_t)i;
    }
    uint64_t fs = 0, gs = 0;
    memcpy(&fs, d + SE_CTX_SEGS + 24 * SE_SEG_FS + 8, 8);
    memcpy(&gs, d + SE_CTX_SEGS + 24 * SE_SEG_GS + 8, 8);
    ok = ok && fs == magic + 0x1000 && gs == magic + 0x2000;
    for (int i = 0; i < 16; i++)
        se_be_reg_set(be, se_gpr_ids[i], old_gpr[i]);
    se_be_reg_set(be, UC_X86_REG_FS_BASE, old_fs);
    se_be_reg_set(be, UC_X86_REG_GS_BASE, old_gs);
    uint64_t eip = 0, efer = 0, cr3 = 0;
    uint32_t hflags = 0;
    int32_t old_exc = 0;
    memcpy(&eip, d + SE_CTX_EIP, 8);
    memcpy(&cr3, d + SE_CTX_CR3, 8);
    memcpy(&efer, d + SE_CTX_EFER, 8);
    memcpy(&hflags, d + SE_CTX_HFLAGS, 4);
    memcpy(&old_exc, d + SE_CTX_OLD_EXC, 4);
    uc_x86_msr msr = {.rid = SE_MSR_IA32_EFER, .value = 0};
    uc_reg_read(be->uc, UC_X86_REG_MSR, &msr);
    ok = ok && eip == magic && cr3 == cr3_magic && efer == msr.value && (hflags & SE_HF_LMA) &&
         (hflags & SE_HF_CS64) && (hflags & SE_HF_CPL_MASK) == 0 && (hflags & SE_HF_SMAP) == 0 &&
         old_exc == -1;
    se_be_reg_set(be, UC_X86_REG_RIP, old_rip);
    se_be_reg_set(be, UC_X86_REG_CR3, old_cr3);
    return ok;
}

uint32_t se_engine_version(void)
{
    /* (major << 24) | (minor << 16) | (patch << 8) | extra, in 2.0.1 and 2.1.1 alike */
    unsigned v = uc_version(NULL, NULL);
    return ((v >> 24) & 0xFF) << 16 | ((v >> 16) & 0xFF) << 8 | ((v >> 8) & 0xFF);
}

/* ---- write hooks ------------------------------------------------------------------------ */

struct se_be_whook {
    se_backend *be;
    se_be_write_fn fn;
    void *user;
    uint64_t va, va_last, pa; /* pa UINT64_MAX: many mappings, found per store */
    uc_hook h;
    se_be_whook *next;
};

void se_be_note_tables_changed(se_backend *be)
{
    be->map_gen++;
}

void se_be_set_roots(se_backend *be, uint64_t kpgd, uint64_t upgd)
{
    be->kpgd = kpgd;
    be->upgd = upgd;
}

static void se_be_whook_cb(uc_engine *uc, uc_mem_type type, uint64_t addr, int size, int64_t value,
                           void *user)
{
    se_be_whook *w = user;
    (void)uc;
    (void)type;
    uint64_t va = addr, pa = w->be->hooks_physical ? addr : UINT64_MAX;
    if (w->be->hooks_physical) {
        if (w->pa != UINT64_MAX)
            va = w->va + (addr - w->pa);
        else if (!w->be->ops.pa_to_va(w->be->ops.ctx, addr, &va) || va < w->va || va > w->va_last)
            return;
    }
    /* the engine is inside its store helper, holding the TLB entry of the store: a flush now
     * would pull it from under it (Unicorn 2.1.1 crashes); flushes wait (se_be_flush_tlb) */
    w->be->in_mem_hook = true;
    w->fn(w->user, va, pa, size, value);
    w->be->in_mem_hook = false;
}

se_status se_be_hook_writes(se_backend *be, se_be_whook **out, se_be_write_fn fn, void *user,
                            uint64_t va, uint64_t va_last, uint64_t pa)
{
    se_be_whook *w = calloc(1, sizeof *w);
    if (w == NULL)
        return se_be_fail(be, SE_ERR_NOMEM, "out of memory for a write hook");
    *w = (se_be_whook){.be = be, .fn = fn, .user = user, .va = va, .va_last = va_last, .pa = pa};
    uint64_t lo = va, hi = va_last;
    if (be->hooks_physical) {
        /* a contiguous range is hooked where it lies in guest-physical memory; a range of
         * many mappings over all guest RAM, filtered per store */
        lo = pa != UINT64_MAX ? pa : be->phys_base;
        hi = pa != UINT64_MAX ? pa + (va_last - va) : be->phys_base + be->phys_size - 1;
    }
    if (uc_hook_add(be->uc, &w->h, UC_HOOK_MEM_WRITE, se_uc_cb((se_uc_fn)se_be_whook_cb), w, lo,
                    hi) != UC_ERR_OK) {
        free(w);
        return se_be_fail(be, SE_ERR_BACKEND, "cannot hook writes to 0x%" PRIx64, va);
    }
    w->next = be->whooks;
    be->whooks = w;
    *out = w;
    return SE_OK;
}

void se_be_unhook_writes(se_backend *be, se_be_whook *h)
{
    for (se_be_whook **p = &be->whooks; *p != NULL; p = &(*p)->next)
        if (*p == h) {
            *p = h->next;
            uc_hook_del(be->uc, h->h);
            free(h);
            return;
        }
}

se_status se_be_open(se_backend *be, const se_be_params *p)
{
    be->phys_base = p->phys_base;
    be->phys_size = p->phys_size;
    be->flush_page = p->flush_page;
    if (uc_open(UC_ARCH_X86, UC_MODE_64, &be->uc) != UC_ERR_OK)
        return se_be_fail(be, SE_ERR_BACKEND, "uc_open failed");
    /* from 2.1.0 the memory hooks' ranges and addresses are guest-physical (store_helper
     * filters with the TLB entry's paddr); 2.0.x used the linear address */
    unsigned major = 0, minor = 0;
    uc_version(&major, &minor);
    be->hooks_physical = major > 2 || (major == 2 && minor >= 1);
    if (uc_context_alloc(be->uc, &be->ctx) != UC_ERR_OK)
        return se_be_fail(be, SE_ERR_BACKEND, "uc_context_alloc failed");
    se_be_codebuf_probe(be);
    bool surgery_ok = se_surgery_self_check(be);
    /* independent of how CPL is switched: only the context layout matters */
    be->engine_nx = surgery_ok && p->nx;
    switch (p->cpl_switch) {
    case SE_CPL_SWITCH_SURGERY:
        if (!surgery_ok)
            return se_be_fail(be, SE_ERR_UNSUPPORTED,
                              "this Unicorn build's private context layout does not match the one "
                              "surgery needs; use SE_CPL_SWITCH_AUTO or _PORTABLE");
        be->use_surgery = true;
        break;
    case SE_CPL_SWITCH_PORTABLE:
        be->use_surgery = false;
        break;
    default:
        be->use_surgery = surgery_ok;
        break;
    }
    be->fast_cr3 = be->use_surgery && p->pti;
    /* the dedicated page whose protection change flushes the TLB (§9.1) */
    if (uc_mem_map(be->uc, be->flush_page, 0x1000, UC_PROT_READ) != UC_ERR_OK)
        return se_be_fail(be, SE_ERR_BACKEND, "cannot map the TLB-flush page");
    return SE_OK;
}

void se_be_close(se_backend *be)
{
    if (be->pristine != NULL)
        uc_context_free(be->pristine);
    be->pristine = NULL;
    if (be->ctx != NULL)
        uc_context_free(be->ctx);
    if (be->uc != NULL)
        uc_close(be->uc);
    while (be->whooks != NULL) {
        se_be_whook *next = be->whooks->next;
        free(be->whooks);
        be->whooks = next;
    }
    free(be->hazards);
    be->hazards = NULL;
    free(be->guards);
    be->guards = NULL;
    be->n_guards = be->cap_guards = 0;
    be->n_hazards = be->cap_hazards = 0;
    be->ctx = NULL;
    be->uc = NULL;
}

static se_status se_be_apply_privilege_surgery(se_backend *be);
static se_status se_be_surgery(se_backend *be, const se_regs *w);

se_status se_be_apply_privilege(se_backend *be)
{
    if (!be->use_surgery) {
        if (se_be_reg(be, UC_X86_REG_CR3) != be->arch->cr3) {
            se_be_reg_set(be, UC_X86_REG_CR3, be->arch->cr3);
            se_be_flush_tlb(be); /* a host write of CR3 does not flush in 2.0.1 */
        }
        return se_be_transfer(be, se_be_reg(be, UC_X86_REG_RIP), 0, false);
    }
    return se_be_apply_privilege_surgery(be);
}

/*
 * CR3 switches without a flush.
 *
 * A MOV to CR3 in the engine flushes its whole softmmu TLB (cpu_x86_update_cr3 -> tlb_flush,
 * and from 2.1.0 a host write of CR3 does too), and with PTI the entry path switches twice per
 * system call: the flushes and the page walks that refill the TLB after them were about half
 * of all host work per call. The machine's two roots make the flush unnecessary if the
 * engine's TLB partitions are used with care. The engine keeps one TLB per MMU index
 * (qemu/target/i386/cpu.h, cpu_mmu_index): USER (CPL3), KNOSMAP (CPL0 without HF_SMAP, or with
 * RFLAGS.AC) and KSMAP (CPL0 with HF_SMAP and AC clear). The backend gives each partition one
 * root:
 *  - USER is used at CPL3, on the user root only;
 *  - KNOSMAP at CPL0 on the kernel root;
 *  - KSMAP at CPL0 on the user root: the entry code before SWITCH_TO_KERNEL_CR3 and after
 *    SWITCH_TO_USER_CR3 (HF_SMAP is set in hflags by surgery for that stretch only).
 * A partition then only ever holds translations of its own root, which stay valid across
 * switches: the tables never change under a live machine except through the host API, which
 * flushes. Translations of the user root are also valid under the kernel root (the machine
 * maps every user-root page in the kernel root with the same entry, memory.c), so the one
 * thing that must never happen is a kernel-root translation used while the user root is live:
 * a kernel-only page must still fault there as PTI makes it fault on hardware.
 * Three ways the engine could leave its partition, each handled:
 *  - RFLAGS.AC set at CPL0 on the user root selects KNOSMAP: the block hook sees it before a
 *    block runs, checks that block's own fetch against the user root, and flushes;
 *  - HF_SMAP gives KSMAP SMAP semantics (CPL0 data accesses to user pages fault) which this
 *    machine's CPU, with CR4.SMAP clear, does not have: such a #PF is recognised (the walker
 *    allows the access), the trick is dropped for the rest of the stretch after a flush, and the
 *    instruction runs again;
 *  - a native MOV to CR4 recomputes HF_SMAP: flush first, and drop the trick for the stretch.
 * Any other root, or CPL3 on the kernel root, is "foreign": entering or leaving it flushes, as
 * every switch did before. Only on the surgery path (the layout check covers env->cr[3] and
 * hflags; HF_SMAP's bit is the same in 2.0.1 and 2.1.1), with PTI.
 */
#define SE_ROOT_MASK 0x000FFFFFFFFFF000ull

typedef enum { SE_TLBR_KERNEL, SE_TLBR_USER, SE_TLBR_KUSER, SE_TLBR_FOREIGN } se_tlb_regime;

static se_tlb_regime se_be_regime(const se_backend *be)
{
    uint64_t root = be->arch->cr3 & SE_ROOT_MASK;
    if (be->arch->cpl == 3)
        return root == be->upgd ? SE_TLBR_USER : SE_TLBR_FOREIGN;
    if (root == be->kpgd)
        return SE_TLBR_KERNEL;
    return root == be->upgd ? SE_TLBR_KUSER : SE_TLBR_FOREIGN;
}

/* Patch a saved context for be->arch's CR3 and partition; true when the TLB must be flushed. */
static bool se_be_paging_patch(se_backend *be, uint8_t *d, uint32_t *hflags)
{
    if (!be->fast_cr3) {
        /* every change of root flushes, as the engine's own MOV to CR3 does */
        uint64_t cur;
        memcpy(&cur, d + SE_CTX_CR3, 8);
        if (cur == be->arch->cr3)
            return false;
        memcpy(d + SE_CTX_CR3, &be->arch->cr3, 8);
        return true;
    }
    se_tlb_regime r = se_be_regime(be);
    bool flush = r == SE_TLBR_FOREIGN || be->tlb_foreign;
    be->tlb_foreign = r == SE_TLBR_FOREIGN;
    if (r != SE_TLBR_KUSER)
        be->kuser_nosmap = false;
    be->engine_smap = r == SE_TLBR_KUSER && !be->kuser_nosmap;
    *hflags = be->engine_smap ? *hflags | SE_HF_SMAP : *hflags & ~SE_HF_SMAP;
    /* the architectural value: bit 63 is never stored (CR3-2) */
    memcpy(d + SE_CTX_CR3, &be->arch->cr3, 8);
    return flush;
}

/* The privilege surgery; with w, also the GPRs, RIP and FS/GS bases of w (outside hooks only:
 * a RIP changed this way inside a hook would not end the block the engine is running). */
static se_status se_be_surgery_on(se_backend *be, const se_regs *w, bool saved)
{
    be->ctx_fresh = false;
    if (!saved && uc_context_save(be->uc, be->ctx) != UC_ERR_OK)
        return se_be_fail(be, SE_ERR_BACKEND, "uc_context_save failed");
    uint8_t *d = se_ctx_data(be);
    if (w != NULL) {
        for (int i = 0; i < 16; i++)
            memcpy(d + SE_CTX_REGS + 8 * se_gpr_qemu[i], se_gpr_c(w, i), 8);
        memcpy(d + SE_CTX_EIP, &w->rip, 8);
        memcpy(d + SE_CTX_SEGS + 24 * SE_SEG_FS + 8, &w->fs_base, 8);
        memcpy(d + SE_CTX_SEGS + 24 * SE_SEG_GS + 8, &w->gs_base, 8);
    }
    uint32_t hflags;
    memcpy(&hflags, d + SE_CTX_HFLAGS, 4);
    /* only the CPL bits: both sides of every modelled transition are 64-bit code (§5.2) */
    hflags = (hflags & ~SE_HF_CPL_MASK) | (be->arch->cpl & SE_HF_CPL_MASK);
    bool flush = se_be_paging_patch(be, d, &hflags);
    memcpy(d + SE_CTX_HFLAGS, &hflags, 4);
    se_ctx_put_seg(d, SE_SEG_CS, be->arch->regs.cs, &be->arch->cs_cache);
    se_ctx_put_seg(d, SE_SEG_SS, be->arch->regs.ss, &be->arch->ss_cache);
    if (uc_context_restore(be->uc, be->ctx) != UC_ERR_OK)
        return se_be_fail(be, SE_ERR_BACKEND, "uc_context_restore failed");
    if (flush)
        se_be_flush_tlb(be);
    return SE_OK;
}

static se_status se_be_surgery(se_backend *be, const se_regs *w)
{
    return se_be_surgery_on(be, w, false);
}

static se_status se_be_apply_privilege_surgery(se_backend *be)
{
    return se_be_surgery(be, NULL);
}

se_status se_be_transfer_read(se_backend *be, uint64_t rip, uint64_t rsp, uint64_t rflags)
{
    /* be->ctx still holds the engine's state if the registers were read into it in this hook
     * (se_be_regs) and nothing was written since: then the surgery needs no second copy out.
     * The flag follows the backend's own writes; the RIP check catches the engine having run */
    uint64_t eip = 0;
    if (be->use_surgery && be->ctx_fresh)
        memcpy(&eip, se_ctx_data(be) + SE_CTX_EIP, 8);
    if (!be->use_surgery || !be->ctx_fresh || eip != se_be_reg(be, UC_X86_REG_RIP)) {
        be->ctx_fresh = false;
        se_be_reg_set(be, UC_X86_REG_RSP, rsp);
        se_be_reg_set(be, UC_X86_REG_RFLAGS, rflags);
        return se_be_transfer(be, rip, 0, true);
    }
    memcpy(se_ctx_data(be) + SE_CTX_REGS + 8 * 4, &rsp, 8); /* regs[R_ESP] */
    se_status st = se_be_surgery_on(be, NULL, true);
    if (st != SE_OK)
        return st;
    /* through the API: RFLAGS resets the lazy condition codes, and a RIP write inside a hook
     * is what makes the engine leave the translated block */
    se_be_reg_set(be, UC_X86_REG_RFLAGS, rflags);
    se_be_reg_set(be, UC_X86_REG_RIP, rip);
    return SE_OK;
}

se_status se_be_enter(se_backend *be, const se_regs *w)
{
    /* RFLAGS through the API: the engine keeps its arithmetic flags lazily (cc_src, cc_op),
     * which writing the eflags field of a context would not reset */
    se_be_reg_set(be, UC_X86_REG_RFLAGS, w->rflags);
    if (be->use_surgery)
        return se_be_surgery(be, w); /* one context copy for the registers and the CPL */
    se_be_write_gprs(be, w);
    se_be_reg_set(be, UC_X86_REG_RIP, w->rip);
    return se_be_apply_privilege(be);
}

/* Rewrite only the paging part of the engine's state (CR3, HF_SMAP), flushing if needed. */
static bool se_be_paging_surgery(se_backend *be)
{
    be->ctx_fresh = false; /* ctx is overwritten */
    if (uc_context_save(be->uc, be->ctx) != UC_ERR_OK)
        return false;
    uint8_t *d = se_ctx_data(be);
    uint32_t hflags;
    memcpy(&hflags, d + SE_CTX_HFLAGS, 4);
    bool flush = se_be_paging_patch(be, d, &hflags);
    memcpy(d + SE_CTX_HFLAGS, &hflags, 4);
    if (uc_context_restore(be->uc, be->ctx) != UC_ERR_OK)
        return false;
    if (flush)
        se_be_flush_tlb(be);
    return true;
}

/* HF_SMAP off for the rest of this stretch on the user root, on an emptied TLB: KNOSMAP then
 * holds only translations made from now on, under the user root. */
static bool se_be_leave_ksmap(se_backend *be)
{
    be->kuser_nosmap = true;
    bool ok = se_be_paging_surgery(be);
    se_be_flush_tlb(be);
    return ok;
}

bool se_be_mov_to_cr3(se_backend *be)
{
    /* the stretch on the user root ends (or starts) here: the next one may use KSMAP again */
    be->kuser_nosmap = false;
    return be->fast_cr3 && se_be_paging_surgery(be);
}

void se_be_mov_to_cr4(se_backend *be)
{
    if (!be->engine_smap)
        return;
    /* cpu_x86_update_cr4 sets HF_SMAP from CR4.SMAP, which is clear: the engine falls back to
     * KNOSMAP, which holds kernel-root translations */
    se_be_flush_tlb(be);
    be->engine_smap = false;
    be->kuser_nosmap = true;
}

bool se_be_block_paging_fault(se_backend *be, uint64_t addr, uint32_t size, se_fault *f)
{
    if (!be->engine_smap || !(se_be_reg(be, UC_X86_REG_RFLAGS) & SE_RFLAGS_AC))
        return false;
    /* AC selects KNOSMAP, whose translations are the kernel root's: the engine fetched this
     * block through it, so check its bytes against the live (user) root as the CPU would */
    uint64_t last = addr + (size ? size : 1) - 1;
    for (uint64_t a = addr; a <= last; a = (a | 0xFFF) + 1) {
        be->ops.walk(be->ops.ctx, a, SE_ACCESS_FETCH, 0, 0, f);
        if (f->kind != SE_FAULT_NONE)
            return true;
        if ((a | 0xFFF) == UINT64_MAX)
            break;
    }
    se_be_leave_ksmap(be);
    return false;
}

bool se_be_pf_artifact(se_backend *be)
{
    return be->engine_smap && se_be_leave_ksmap(be);
}

void se_be_paging_restored(se_backend *be, bool engine_smap, bool cr3_changed)
{
    if (!be->fast_cr3) {
        /* a context restore does not flush the TLB (docs/machine.md, engine limitations) */
        if (cr3_changed)
            se_be_flush_tlb(be);
        return;
    }
    /* the restored context holds the snapshot's CR3 and HF_SMAP; the TLB is today's: the
     * partitions still hold only their roots' translations unless either side is foreign */
    be->engine_smap = engine_smap;
    be->kuser_nosmap = false;
    se_tlb_regime r = se_be_regime(be);
    if ((r == SE_TLBR_KUSER) != engine_smap || r == SE_TLBR_FOREIGN || be->tlb_foreign) {
        if (!se_be_paging_surgery(be))
            se_be_flush_tlb(be);
    }
}

static void se_portable_reset_exception(se_backend *be);

void se_be_reset_exception(se_backend *be)
{
    if (!be->use_surgery) {
        se_portable_reset_exception(be);
        return;
    }
    be->ctx_fresh = false; /* ctx is overwritten */
    if (uc_context_save(be->uc, be->ctx) != UC_ERR_OK)
        return;
    int32_t none = -1;
    memcpy(se_ctx_data(be) + SE_CTX_OLD_EXC, &none, 4);
    uc_context_restore(be->uc, be->ctx);
}

bool se_be_last_error_code(se_backend *be, uint32_t *code)
{
    be->ctx_fresh = false; /* ctx is overwritten */
    if (!be->use_surgery || uc_context_save(be->uc, be->ctx) != UC_ERR_OK)
        return false;
    int32_t ec;
    memcpy(&ec, se_ctx_data(be) + SE_CTX_ERROR_CODE, 4);
    *code = (uint32_t)ec;
    return true;
}

bool se_be_take_flush(se_backend *be)
{
    if (!be->flush_pending)
        return false;
    be->flush_pending = false;
    se_be_flush_tlb(be);
    return true;
}

void se_be_set_cr2(se_backend *be, uint64_t value)
{
    /* Unicorn 2.1's uc_reg_write of CR2 shares its case with CR1 and CR3, which calls
     * cpu_x86_update_cr3 with the value: CR3 is clobbered (and the TLB flushed). Put it back. */
    uint64_t cr3 = se_be_reg(be, UC_X86_REG_CR3);
    se_be_reg_set(be, UC_X86_REG_CR2, value);
    if (se_be_reg(be, UC_X86_REG_CR3) != cr3)
        se_be_reg_set(be, UC_X86_REG_CR3, cr3);
}

void se_be_flush_tlb_at_stop(se_backend *be)
{
    be->flush_pending = true;
}

void se_be_flush_tlb(se_backend *be)
{
    if (be->in_mem_hook) {
        /* after the store: the engine stops before it looks up another block, and the run
         * loop flushes and goes on (se_be_take_flush) */
        be->flush_pending = true;
        uc_emu_stop(be->uc);
        return;
    }
    /* The engine flushes its TLB when a region's permissions change, and a request that
     * changes nothing is dropped before it gets there: change them, then change them back. */
    uc_mem_protect(be->uc, be->flush_page, 0x1000, UC_PROT_READ | UC_PROT_WRITE);
    uc_mem_protect(be->uc, be->flush_page, 0x1000, UC_PROT_READ);
}

/*
 * Give the engine the model's EFER.NXE. Unicorn 2.0.1's CPU model has no NX in CPUID, so its
 * helper_wrmsr (and uc_reg_write, which goes through it) leaves NXE out of the bits it updates,
 * keeping whatever env->efer holds; its page walk tests env->efer & NXE itself. Setting the bit
 * in a saved context therefore makes a fetch from a page with XD raise #PF from the TLB fill
 * that precedes translation (SDM Vol. 3A §4.6: instruction fetches are not allowed from a page
 * whose XD is 1 when IA32_EFER.NXE = 1), which is what keeps the engine from translating bytes
 * it would abort on in data pages. The engine's WRMSR keeps the bit (it is outside its update
 * mask), its MOV CR0 only touches LMA, and CPL surgery saves and restores the whole state; a
 * restore of an older context (a snapshot, the portable path's pristine one) is followed by a
 * call here. Translations cached under the other value are stale: flush the TLB.
 */
void se_be_sync_nxe(se_backend *be)
{
    if (!be->engine_nx)
        return;
    uc_x86_msr efer = {.rid = SE_MSR_IA32_EFER, .value = 0};
    uc_reg_read(be->uc, UC_X86_REG_MSR, &efer);
    uint64_t want = be->arch->efer & SE_EFER_NXE;
    be->ctx_fresh = false; /* ctx is overwritten */
    if ((efer.value & SE_EFER_NXE) == want || uc_context_save(be->uc, be->ctx) != UC_ERR_OK)
        return;
    uint8_t *d = se_ctx_data(be);
    uint64_t v;
    memcpy(&v, d + SE_CTX_EFER, 8);
    v = (v & ~(uint64_t)SE_EFER_NXE) | want;
    memcpy(d + SE_CTX_EFER, &v, 8);
    uc_context_restore(be->uc, be->ctx);
    se_be_flush_tlb(be);
}

/*
 * Translations are dropped only while the engine is stopped. From inside a hook the block
 * being dropped is the one executing, and uc_ctl_remove_cache reaches
 * tb_invalidate_phys_range without the host return address that QEMU's own invalidation of a
 * running block passes (tb_invalidate_phys_page_range__locked, the precise self-modifying-code
 * path); QEMU itself never changes the translation cache under a running block that way. (It
 * was the first suspect for the engine crashes of fuzz campaigns, wrongly: codebuf.c.) The
 * caller stops the engine before the block, so its mode is the same when the discard is done.
 */
se_status se_be_discard_code(se_backend *be, uint64_t va, uint64_t len)
{
    if (be->in_emu) {
        if (be->n_discards == SE_BE_DISCARDS_MAX)
            return se_be_fail(be, SE_ERR_BACKEND,
                              "more than %d translations discarded before the engine stopped",
                              SE_BE_DISCARDS_MAX);
        be->discards[be->n_discards++] = (struct se_be_range){.va = va, .len = len};
        return SE_OK;
    }
    /* Not a whole translation-cache flush: in 2.0.1 the first one commits the engine's entire
     * 1 GiB code buffer and takes seconds. */
    uc_ctl_remove_cache(be->uc, va, va + len);
    return SE_OK;
}

uc_err se_be_emu_start(se_backend *be, uint64_t begin)
{
    se_be_codebuf_guard(be);
    be->in_emu = true;
    uc_err e = uc_emu_start(be->uc, begin, 0, 0, 0);
    be->in_emu = false;
    for (unsigned i = 0; i < be->n_discards; i++)
        uc_ctl_remove_cache(be->uc, be->discards[i].va, be->discards[i].va + be->discards[i].len);
    be->n_discards = 0;
    return e;
}

se_status se_be_map_ptr(se_backend *be, uint64_t addr, uint64_t size, void *host)
{
    uc_err e = uc_mem_map_ptr(be->uc, addr, size, UC_PROT_ALL, host);
    if (e != UC_ERR_OK)
        return se_be_fail(be, SE_ERR_BACKEND, "uc_mem_map_ptr(0x%llx, 0x%llx): %s",
                          (unsigned long long)addr, (unsigned long long)size, uc_strerror(e));
    return SE_OK;
}

/* ---- The portable path: public API only (docs/machine.md, engine limitations)
 * ----------------------
 *
 * CPL3 -> CPL0: the SYSCALL hook sends the engine to a user-executable trampoline whose
 * indirect far call goes through a DPL3 64-bit call gate to a kernel trampoline; a hook there
 * restores the user RSP and continues at the target. CPL0 -> CPL3: an IRETQ frame is written
 * on the entry stack and the engine runs a kernel trampoline IRETQ. Both trampolines are
 * invisible to counting and tracing. Side effects, documented in docs/machine.md: the call gate
 * pushes 32 bytes below TSS.sp0, and the GDT gains a call gate at selector 0x50 (Linux's LDT
 * descriptor slot; this machine has no LDT).
 */
#define SE_TRAMP_K_IRETQ   0x10  /* kernel trampoline: iretq */
#define SE_TRAMP_FRAME_OFF 0x100 /* IRETQ frame, at the bottom of the entry stack page */
#define SE_TRAMP_U_LANDING 0x20  /* user trampoline: where a host-side IRETQ lands */

bool se_be_tramp_landing(const se_backend *be, uint64_t addr)
{
    return !be->use_surgery && addr == be->port.tramp_user + SE_TRAMP_U_LANDING;
}

bool se_be_is_trampoline(const se_backend *be, uint64_t addr)
{
    return !be->use_surgery && ((addr & ~0xFFFull) == be->port.tramp_kernel ||
                                (addr & ~0xFFFull) == be->port.tramp_user);
}

static void se_tramp_gate_hook(uc_engine *uc, uint64_t addr, uint32_t size, void *user)
{
    se_backend *be = user;
    (void)uc;
    (void)addr;
    (void)size;
    /* a 64-bit call gate loads a null SS; the model says __KERNEL_DS: the selector is what
     * code can observe in 64-bit mode */
    se_be_reg_set(be, UC_X86_REG_SS, be->arch->regs.ss);
    se_be_reg_set(be, UC_X86_REG_RSP, be->tramp_rsp);
    be->engine_cpl = 0;
    se_be_reg_set(be, UC_X86_REG_RIP, be->tramp_rip);
}

se_status se_be_portable_setup(se_backend *be, const se_be_portable *p)
{
    static const uint8_t ktramp[] = {
        [SE_BE_TRAMP_K_GATE] = 0x90, /* nop: hooked, never executed */
        [SE_TRAMP_K_IRETQ] = 0x48,
        0xCF, /* iretq */
    };
    /* lcall *0xa(%rip): far pointer {offset 0 (ignored for gates), gate selector | RPL 3} */
    static const uint8_t utramp[] = {0xFF,
                                     0x1D,
                                     0x0A,
                                     0x00,
                                     0x00,
                                     0x00,
                                     0x00,
                                     0x00,
                                     0x00,
                                     0x00,
                                     0x00,
                                     0x00,
                                     0x00,
                                     0x00,
                                     0x00,
                                     0x00,
                                     0x00,
                                     0x00,
                                     0x00,
                                     0x00,
                                     SE_BE_GATE_SEL | 3,
                                     0x00,
                                     [SE_TRAMP_U_LANDING] = 0x90};
    be->port = *p;
    memcpy(p->tramp_kernel_host, ktramp, sizeof ktramp);
    memcpy(p->tramp_user_host, utramp, sizeof utramp);
    /* the machine has written the call gate to it (SE_BE_GATE_SEL) */
    uint64_t off = p->tramp_kernel + SE_BE_TRAMP_K_GATE;
    uc_hook h;
    if (uc_hook_add(be->uc, &h, UC_HOOK_CODE, se_uc_cb((se_uc_fn)se_tramp_gate_hook), be, off,
                    off) != UC_ERR_OK)
        return se_be_fail(be, SE_ERR_BACKEND, "cannot hook the call-gate trampoline");
    if (uc_context_alloc(be->uc, &be->pristine) != UC_ERR_OK ||
        uc_context_save(be->uc, be->pristine) != UC_ERR_OK)
        return se_be_fail(be, SE_ERR_BACKEND, "cannot save the reset context");
    be->engine_cpl = 0;
    return SE_OK;
}

/* Write the IRETQ frame for be->arch's user state; the selectors are fixed up afterwards when
 * the model's differ from a loadable pair (SYSRET loads caches without reading the GDT). */
static void se_tramp_frame(se_backend *be, uint64_t rip)
{
    uint64_t flags = se_be_reg(be, UC_X86_REG_RFLAGS);
    uint64_t frame[5] = {rip, SE_USER_CS, flags, se_be_reg(be, UC_X86_REG_RSP), SE_USER_DS};
    uint64_t va = be->port.entry_stack + SE_TRAMP_FRAME_OFF;
    memcpy(be->port.entry_stack_host + SE_TRAMP_FRAME_OFF, frame, sizeof frame);
    be->ops.wrote(be->ops.ctx, va, sizeof frame); /* a snapshot restore must undo it */
    se_be_reg_set(be, UC_X86_REG_RSP, va);
    /* the target flags travel in the frame; live NT would make IRETQ a task return (IRET-1) */
    se_be_reg_set(be, UC_X86_REG_RFLAGS, SE_RFLAGS_FIXED);
    /* the engine's IRETQ (helper_ret_protected in qemu/target/i386/seg_helper.c, 2.0.1 and
     * 2.1.1) never loads VIF and VIP, which the CPU's IRET at CPL0 does (SDM Vol. 2A IRET):
     * they are put back after landing with the selectors */
    be->tramp_vflags = flags & (SE_RFLAGS_VIF | SE_RFLAGS_VIP);
    be->fix_selectors =
        be->arch->regs.cs != SE_USER_CS || be->arch->regs.ss != SE_USER_DS || be->tramp_vflags != 0;
}

void se_be_fix_selectors(se_backend *be)
{
    if (!be->fix_selectors)
        return;
    be->fix_selectors = false;
    se_be_reg_set(be, UC_X86_REG_CS, be->arch->regs.cs);
    se_be_reg_set(be, UC_X86_REG_SS, be->arch->regs.ss);
    if (be->tramp_vflags != 0)
        se_be_reg_set(be, UC_X86_REG_RFLAGS, se_be_reg(be, UC_X86_REG_RFLAGS) | be->tramp_vflags);
}

se_status se_be_transfer(se_backend *be, uint64_t rip, unsigned hook_len, bool in_hook)
{
    if (be->use_surgery) {
        se_status st = se_be_apply_privilege_surgery(be);
        if (st == SE_OK)
            se_be_reg_set(be, UC_X86_REG_RIP, rip - hook_len);
        return st;
    }
    if (be->arch->cpl == be->engine_cpl) {
        se_be_reg_set(be, UC_X86_REG_CS, be->arch->regs.cs);
        se_be_reg_set(be, UC_X86_REG_SS, be->arch->regs.ss);
        se_be_reg_set(be, UC_X86_REG_RIP, rip - hook_len);
        return SE_OK;
    }
    if (be->arch->cpl == 0) {
        if (!in_hook)
            return se_be_fail(be, SE_ERR_UNSUPPORTED,
                              "the portable CPL switch enters ring 0 only through SYSCALL");
        be->tramp_rip = rip;
        be->tramp_rsp = se_be_reg(be, UC_X86_REG_RSP);
        se_be_reg_set(be, UC_X86_REG_RIP, be->port.tramp_user - hook_len);
        return SE_OK;
    }
    se_tramp_frame(be, rip);
    uint64_t iretq = be->port.tramp_kernel + SE_TRAMP_K_IRETQ;
    if (in_hook) {
        se_be_reg_set(be, UC_X86_REG_RIP, iretq - hook_len);
        be->engine_cpl = 3;
        return SE_OK;
    }
    /* Between runs the IRETQ lands on a mapped user landing pad, where the block hook stops
     * before anything executes, and RIP is then set from the host: landing on the target
     * itself would make the engine translate (and maybe fault on) user code now, leaving its
     * exception state set (§10). uc_emu_start's count=1 also let one user instruction run. */
    uint64_t landing = be->port.tramp_user + SE_TRAMP_U_LANDING;
    memcpy(be->port.entry_stack_host + SE_TRAMP_FRAME_OFF, &landing, 8);
    be->ops.wrote(be->ops.ctx, be->port.entry_stack + SE_TRAMP_FRAME_OFF, 8);
    be->tramp_running = true;
    uc_err e = uc_emu_start(be->uc, iretq, 0, 0, 0);
    be->tramp_running = false;
    if (e != UC_ERR_OK)
        return se_be_fail(be, SE_ERR_BACKEND, "IRETQ trampoline failed: %s", uc_strerror(e));
    se_be_reg_set(be, UC_X86_REG_RIP, rip);
    be->engine_cpl = 3;
    se_be_fix_selectors(be);
    return SE_OK;
}

/* Without surgery the only way to clear the stuck exception state is to restore a context
 * saved before any fault (§10), then rewrite everything that may differ. */
static void se_portable_reset_exception(se_backend *be)
{
    se_regs r;
    se_be_regs(be, &r);
    uint64_t cr2 = se_be_reg(be, UC_X86_REG_CR2);
    uc_x86_msr kgs = {.rid = SE_MSR_IA32_KERNEL_GS_BASE, .value = 0};
    uc_reg_read(be->uc, UC_X86_REG_MSR, &kgs);
    uc_context_restore(be->uc, be->pristine);
    be->engine_cpl = 0;
    se_be_write_gprs(be, &r);
    se_be_reg_set(be, UC_X86_REG_CR2, cr2);
    uc_reg_write(be->uc, UC_X86_REG_MSR, &kgs);
    se_be_reg_set(be, UC_X86_REG_CR3, be->arch->cr3);
    se_be_flush_tlb(be);
    se_be_sync_nxe(be); /* the pristine context has the NXE of creation time */
    se_be_transfer(be, r.rip, 0, false);
}
