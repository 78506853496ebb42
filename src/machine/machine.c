/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Machine creation and the state/MSR API. The layout follows Linux 6.6
 * (arch/x86/include/asm/segment.h@v6.6, §3, §10, §11): GDT in the cpu_entry_area, an entry
 * (trampoline) stack there whose top is TSS.sp0, the per-CPU area with cpu_tss_rw first (mapped in
 * the user page tables because the sp2 store runs on the user CR3), a 16 KiB task stack, kernel
 * text at 0xffffffff81000000.
 */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS */
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/mman.h>
#include <stdlib.h>
#include <string.h>

#include "entry/layout.h"
#include "machine/machine_int.h"

#define SE_PAGE 0x1000ull

/* Source of machine identities. Atomic because machines are created from many threads; 64
 * bits cannot wrap within a process's life, so an identity is never given out twice. */
static atomic_uint_fast64_t se_next_machine_id = 1;

se_status se_fail(se_machine *m, se_status st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m->err, sizeof m->err, fmt, ap);
    va_end(ap);
    return st;
}

se_status se_refuse_in_callback(se_machine *m, const char *what)
{
    if (m->in_handler)
        return se_fail(m, SE_ERR_STATE, "%s cannot be called from a syscall handler", what);
    if (m->in_trace)
        return se_fail(m, SE_ERR_STATE, "%s cannot be called from a trace callback", what);
    return SE_OK;
}

const char *se_machine_last_error(const se_machine *m)
{
    if (m == NULL)
        return "machine is NULL";
    return m->err;
}

static void se_choose_layout(se_machine *m)
{
    se_layout *l = &m->lay;
    if (m->cfg.la57) {
        /* 5-level: direct map at 0xff11000000000000, vmalloc at 0xffa0000000000000 */
        l->percpu = 0xff1100007fc00000ull;
        l->task_stack = 0xffa0000000010000ull;
    } else {
        l->percpu = 0xffff88807fc00000ull;
        l->task_stack = 0xffffc90000010000ull;
    }
    l->task_stack_top = l->task_stack + 4 * SE_PAGE; /* THREAD_SIZE = 16 KiB */
    /* CPU_ENTRY_AREA_BASE + PAGE_SIZE: CPU 0's cpu_entry_area (same in both paging modes) */
    l->cea_gdt = 0xfffffe0000001000ull;
    l->cea_entry_stack = l->cea_gdt + SE_PAGE;
    l->tss_sp0 = l->cea_entry_stack + SE_PAGE;
    l->ktext = 0xffffffff81000000ull;
    l->tramp_kernel = 0xffffffff81ff0000ull;
    l->tramp_user = 0x00007ffff7ff0000ull;
    l->user_code = 0x401000ull;
    l->user_stack_top = 0x7ffffffff000ull;
    l->user_stack_size = 8 * SE_PAGE;
}

/* GDT_ENTRY_INIT(flags, 0, 0xfffff) descriptors of arch/x86 (arch/x86/include/asm/segment.h@v6.6).
 */
static uint64_t se_flat_descriptor(uint16_t flags)
{
    uint64_t d = 0xFFFFull;                      /* limit[15:0] */
    d |= (uint64_t)(flags & 0xFFu) << 40;        /* type, S, DPL, P */
    d |= 0xFull << 48;                           /* limit[19:16] */
    d |= (uint64_t)((flags >> 12) & 0xFu) << 52; /* AVL, L, D/B, G */
    return d;
}

static void se_write_gdt(se_machine *m)
{
    uint64_t *gdt = se_host_ptr(m, m->lay.cea_gdt, SE_PAGE);
    gdt[SE_KERNEL32_CS / 8] = se_flat_descriptor(0xC09B);
    gdt[SE_KERNEL_CS / 8] = se_flat_descriptor(SE_SEG_AR_KERNEL_CS);
    gdt[SE_KERNEL_DS / 8] = se_flat_descriptor(SE_SEG_AR_KERNEL_SS);
    gdt[SE_USER32_CS / 8] = se_flat_descriptor(0xC0FB);
    gdt[SE_USER_DS / 8] = se_flat_descriptor(SE_SEG_AR_USER_SS);
    gdt[SE_USER_CS / 8] = se_flat_descriptor(SE_SEG_AR_USER_CS);
    /* GDT_ENTRY_TLS_MIN: a thread's TLS slot, here a flat user data segment, so that a task
     * can hold an SS other than __USER_DS (what check C6 exists for) */
    gdt[SE_USER_TLS_DS / 8] = se_flat_descriptor(SE_SEG_AR_USER_SS);
    /* 16-byte available 64-bit TSS descriptor (type 9) for cpu_tss_rw */
    uint64_t base = m->lay.percpu + SE_PCPU_TSS, limit = SE_TSS_SIZE - 1;
    gdt[SE_TSS_SEL / 8] = (limit & 0xFFFF) | ((base & 0xFFFFFF) << 16) | (0x89ull << 40) |
                          ((limit >> 16) & 0xF) << 48 | ((base >> 24) & 0xFF) << 56;
    gdt[SE_TSS_SEL / 8 + 1] = base >> 32;
}

static void se_init_arch(se_machine *m)
{
    se_cpu_state *a = &m->arch;
    memset(a, 0, sizeof *a);
    a->cr0 = SE_CR0_PE | SE_CR0_MP | SE_CR0_ET | SE_CR0_NE | SE_CR0_WP | SE_CR0_AM | SE_CR0_PG;
    /* SMEP/SMAP/FSGSBASE stay off: Unicorn 2.0.1 cannot provide them (docs/machine.md, engine
     * limitations) */
    a->cr4 = SE_CR4_PAE | SE_CR4_PGE | SE_CR4_OSFXSR | SE_CR4_OSXMMEXCPT;
    if (m->cfg.la57)
        a->cr4 |= SE_CR4_LA57;
    if (m->cfg.pcid)
        a->cr4 |= SE_CR4_PCIDE;
    a->efer = SE_EFER_SCE | SE_EFER_LME | SE_EFER_LMA | SE_EFER_NXE;
    a->star = SE_LINUX_STAR;
    a->sfmask = SE_LINUX_SYSCALL_MASK;
    a->kernel_gs_base = m->lay.percpu;
    uint64_t kpcid = m->cfg.pcid ? (uint64_t)m->cfg.asid + 1 : 0;
    m->kernel_cr3 = m->kpgd | kpcid;
    m->user_cr3 =
        m->cfg.pti ? (m->upgd | kpcid | (m->cfg.pcid ? SE_PTI_USER_PCID_BIT : 0)) : m->kernel_cr3;
    a->ds = a->es = a->fs = a->gs = 0;
    a->ds_ar = a->es_ar = a->fs_ar = a->gs_ar = SE_SEG_AR_UNUSABLE;
}

static se_status se_build_layout(se_machine *m)
{
    se_status st;
    /* PGD pair, 8 KiB aligned: kernel at P, user at P + 4096 (PTI_USER_PGTABLE_BIT) */
    uint64_t pgd;
    st = se_phys_alloc(&m->phys, 2 * SE_PAGE, 2 * SE_PAGE, &pgd);
    if (st != SE_OK)
        return se_fail(m, st, "guest RAM too small for the page tables");
    m->kpgd = pgd;
    m->upgd = pgd + SE_PAGE;
    se_be_set_roots(&m->be, m->kpgd, m->upgd);
    const se_layout *l = &m->lay;
    struct {
        uint64_t va, size;
        uint32_t flags;
    } regions[] = {
        /* read-only in the user tables too; data, so NX as in Linux's cpu_entry_area */
        {l->cea_gdt, SE_PAGE, SE_MAP_PTI_SHARED | SE_MAP_NOEXEC},
        {l->cea_entry_stack, SE_PAGE, SE_MAP_PTI_SHARED | SE_MAP_WRITE},
        {l->percpu, SE_PAGE, SE_MAP_PTI_SHARED | SE_MAP_WRITE}, /* cpu_tss_rw */
        {l->percpu + SE_PAGE, SE_PCPU_SIZE - SE_PAGE, SE_MAP_WRITE},
        {l->task_stack, l->task_stack_top - l->task_stack, SE_MAP_WRITE},
        {l->user_stack_top - l->user_stack_size, l->user_stack_size, SE_MAP_USER | SE_MAP_WRITE},
    };
    for (size_t i = 0; i < sizeof regions / sizeof regions[0]; i++) {
        st = se_map_internal(m, regions[i].va, regions[i].size, regions[i].flags, NULL);
        if (st != SE_OK)
            return st;
    }
    se_write_gdt(m);
    uint8_t *tss = se_host_ptr(m, l->percpu + SE_PCPU_TSS, SE_TSS_SIZE);
    uint64_t sp0 = l->tss_sp0;
    memcpy(tss + SE_TSS_SP0, &sp0, 8);
    uint16_t iomap = SE_TSS_SIZE; /* no I/O bitmap */
    memcpy(tss + 102, &iomap, 2);
    uint8_t *pcpu = se_host_ptr(m, l->percpu + SE_PCPU_TOP_OF_STACK, 0x100);
    uint64_t top = l->task_stack_top;
    memcpy(pcpu, &top, 8);
    uint64_t spec = m->cfg.ibrs ? SE_SPEC_CTRL_IBRS : 0;
    memcpy(se_host_ptr(m, l->percpu + SE_PCPU_SPEC_CTRL_CURRENT, 8), &spec, 8);
    return SE_OK;
}

/* Program the engine's view: descriptor tables, control registers, GS bases. */
static se_status se_program_engine(se_machine *m)
{
    uc_x86_mmr gdtr = {.selector = 0, .base = m->lay.cea_gdt, .limit = 16 * 8 - 1, .flags = 0};
    uc_x86_mmr tr = {.selector = SE_TSS_SEL,
                     .base = m->lay.percpu + SE_PCPU_TSS,
                     .limit = SE_TSS_SIZE - 1,
                     .flags = 0x8b00}; /* present, busy 64-bit TSS */
    if (uc_reg_write(m->be.uc, UC_X86_REG_GDTR, &gdtr) != UC_ERR_OK ||
        uc_reg_write(m->be.uc, UC_X86_REG_TR, &tr) != UC_ERR_OK)
        return se_fail(m, SE_ERR_BACKEND, "cannot load GDTR/TR");
    /* The engine's TLB is empty, so host writes of the control registers are safe here
     * (they would not flush later on, docs/machine.md, engine limitations). */
    se_be_set(m, UC_X86_REG_CR4, m->arch.cr4);
    se_be_set(m, UC_X86_REG_CR3, m->kernel_cr3);
    se_be_set(m, UC_X86_REG_CR0, m->arch.cr0);
    m->arch.cr3 = m->kernel_cr3;
    uc_x86_msr kgs = {.rid = SE_MSR_IA32_KERNEL_GS_BASE, .value = m->arch.kernel_gs_base};
    uc_reg_write(m->be.uc, UC_X86_REG_MSR, &kgs);
    return SE_OK;
}

static void se_features_for(se_machine *m)
{
    m->feat = (se_cpu_features){
        .vendor = m->cfg.vendor,
        .la57 = m->cfg.la57,
        .pcid = true,
        .nx = true,
        /* what the engine implements: PTE/CR3 bits 40 and up are reserved to it (§9.2) */
        .maxphyaddr = 40,
    };
    /* EFER and SPEC_CTRL bits as the vendor's reference CPU has them (they live only in the
     * model); CR4 values reach the engine, so PKE and CET stay reserved rather than be set
     * in a register the engine's CPU does not give them a meaning in */
    se_cpu_features_vendor_defaults(&m->feat);
    m->feat.pku = m->feat.cet_ss = m->feat.cet_ibt = false;
}

/* Report a creation failure to the caller's buffer (there is no machine to hold it). */
static se_status se_create_fail(char *err, size_t errlen, se_status st, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static se_status se_create_fail(char *err, size_t errlen, se_status st, const char *fmt, ...)
{
    if (err != NULL && errlen != 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return st;
}

/* ---- the backend's view of the machine (backend/backend.h, se_be_machine_ops) ---------- */

static void se_be_cb_walk(void *ctx, uint64_t va, se_access acc, uint8_t cpl, uint64_t cr3,
                          se_fault *fault)
{
    se_walk(ctx, va, acc, cpl, cr3, NULL, fault);
}

static bool se_be_cb_engine_fetchable(void *ctx, uint64_t va)
{
    se_machine *m = ctx;
    se_fault f;
    se_walk(m, va, SE_ACCESS_FETCH, m->arch.cpl, 0, NULL, &f);
    return f.kind == SE_FAULT_NONE && !se_wx_engine_nx(m, va);
}

static size_t se_be_cb_code_fetch(void *ctx, uint64_t va, uint8_t *buf, size_t len)
{
    return se_code_fetch(ctx, va, buf, len);
}

static void se_be_cb_wrote(void *ctx, uint64_t va, uint64_t len)
{
    se_track_mark(ctx, va, len); /* a snapshot restore must undo it (track.c) */
}

static bool se_be_cb_guard(void *ctx, uint64_t va, bool on)
{
    return se_engine_guard_page(ctx, va, on);
}

static bool se_be_cb_pa_to_va(void *ctx, uint64_t pa, uint64_t *va)
{
    return se_pa_to_va(ctx, pa, va);
}

/* Open the engine: the backend gets what it needs of the machine through its interface. */
static se_status se_open_backend(se_machine *m)
{
    m->be.ops = (se_be_machine_ops){.ctx = m,
                                    .walk = se_be_cb_walk,
                                    .engine_fetchable = se_be_cb_engine_fetchable,
                                    .code_fetch = se_be_cb_code_fetch,
                                    .wrote = se_be_cb_wrote,
                                    .guard = se_be_cb_guard,
                                    .pa_to_va = se_be_cb_pa_to_va};
    m->be.arch = &m->arch;
    se_be_params p = {.cpl_switch = m->cfg.cpl_switch,
                      .nx = m->feat.nx,
                      .pti = m->cfg.pti,
                      .phys_base = SE_PHYS_BASE,
                      .phys_size = m->phys.size,
                      .flush_page = SE_TLB_FLUSH_PAGE};
    return se_be_st(m, se_be_open(&m->be, &p));
}

/*
 * The portable CPL switch (backend.c): the machine maps its two trampoline pages and writes the
 * DPL3 64-bit call gate into the GDT (selector SE_BE_GATE_SEL, Linux's LDT descriptor slot;
 * this machine has no LDT); the backend fills the pages and uses the entry stack page's bottom
 * for its IRETQ frame.
 */
static se_status se_portable_setup(se_machine *m)
{
    se_status st = se_map_internal(m, m->lay.tramp_kernel, SE_PAGE, SE_MAP_PTI_SHARED, NULL);
    if (st == SE_OK)
        st = se_map_internal(m, m->lay.tramp_user, SE_PAGE, SE_MAP_USER, NULL);
    if (st != SE_OK)
        return st;
    /* 16-byte 64-bit call gate: type 0xC, DPL 3, present, target __KERNEL_CS:ktramp */
    uint64_t off = m->lay.tramp_kernel + SE_BE_TRAMP_K_GATE;
    uint64_t *gdt = se_host_ptr(m, m->lay.cea_gdt, SE_PAGE);
    gdt[SE_BE_GATE_SEL / 8] = (off & 0xFFFF) | ((uint64_t)SE_KERNEL_CS << 16) | (0xECull << 40) |
                              ((off >> 16) & 0xFFFF) << 48;
    gdt[SE_BE_GATE_SEL / 8 + 1] = off >> 32;
    se_be_portable p = {.tramp_kernel = m->lay.tramp_kernel,
                        .tramp_user = m->lay.tramp_user,
                        .tramp_kernel_host = se_host_ptr(m, m->lay.tramp_kernel, SE_PAGE),
                        .tramp_user_host = se_host_ptr(m, m->lay.tramp_user, SE_PAGE),
                        .entry_stack = m->lay.cea_entry_stack,
                        .entry_stack_host = se_host_ptr(m, m->lay.cea_entry_stack, SE_PAGE)};
    return se_be_st(m, se_be_portable_setup(&m->be, &p));
}

se_status se_machine_create(const se_config *cfg, se_machine **out)
{
    return se_machine_create_ex(cfg, out, NULL, 0);
}

se_status se_machine_create_ex(const se_config *cfg_in, se_machine **out, char *err, size_t errlen)
{
    if (err != NULL && errlen != 0)
        err[0] = '\0';
    if (out == NULL)
        return se_create_fail(err, errlen, SE_ERR_INVALID_ARG, "out is NULL");
    *out = NULL;
    se_config cfg;
    if (cfg_in == NULL)
        se_config_default(&cfg);
    else
        cfg = *cfg_in;
    const char *why = "";
    se_status st = se_config_validate(&cfg, &why);
    if (st != SE_OK)
        return se_create_fail(err, errlen, st, "%s", why);
    se_machine *m = calloc(1, sizeof *m);
    if (m == NULL)
        return se_create_fail(err, errlen, SE_ERR_NOMEM, "out of host memory for the machine");
    m->id = atomic_fetch_add(&se_next_machine_id, 1);
    m->track_gen = 1;
    m->next_snapshot_id = 1;
    m->cfg = cfg;
    m->levels = cfg.la57 ? 5 : 4;
    se_features_for(m);
    se_choose_layout(m);
    se_tlb_reset(&m->tlb);
    /* anonymous memory: zeroed by the kernel page by page as the guest touches it, so RAM
     * that is never used costs neither time at creation nor resident memory */
    void *ram =
        mmap(NULL, cfg.phys_mem_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    m->ram = ram == MAP_FAILED ? NULL : ram;
    if (m->ram == NULL || !se_hashmap_init(&m->blocks, 256) || !se_hashmap_init(&m->notes, 64) ||
        !se_hashmap_init(&m->hooked_at, 64) || !se_hashmap_init(&m->hook_addrs, 64)) {
        bool no_ram = m->ram == NULL;
        se_machine_destroy(m);
        if (no_ram)
            return se_create_fail(
                err, errlen, SE_ERR_NOMEM,
                "cannot allocate %zu bytes of guest RAM (phys_mem_size) on the host",
                cfg.phys_mem_size);
        return se_create_fail(err, errlen, SE_ERR_NOMEM, "out of host memory for the block cache");
    }
    st = se_phys_init(&m->phys, m->ram, SE_PHYS_BASE, cfg.phys_mem_size);
    if (st == SE_OK)
        st = se_account_init(m);
    if (st == SE_OK)
        st = se_open_backend(m);
    if (st == SE_OK)
        st = se_track_init(m); /* before anything writes guest RAM */
    if (st == SE_OK)
        st = se_be_st(m, se_be_map_ptr(&m->be, SE_PHYS_BASE, cfg.phys_mem_size, m->ram));
    if (st == SE_OK)
        st = se_build_layout(m);
    if (st == SE_OK) {
        se_init_arch(m);
        st = se_program_engine(m);
        se_be_sync_nxe(&m->be);
    }
    if (st == SE_OK && !m->be.use_surgery)
        st = se_portable_setup(m);
    if (st == SE_OK)
        st = se_hooks_install_global(m);
    if (st == SE_OK && cfg.entry == SE_ENTRY_LINUX)
        st = se_load_builtin_entry(m);
    if (st == SE_OK) {
        se_regs initial;
        memset(&initial, 0, sizeof initial);
        /* check_initial_reg_state.c: all GPRs 0 except RSP, FLAGS = 0x202 */
        initial.rflags = SE_RFLAGS_IF | SE_RFLAGS_FIXED;
        initial.rip = m->lay.user_code;
        initial.rsp = m->lay.user_stack_top - 0x100;
        initial.cs = SE_USER_CS;
        initial.ss = SE_USER_DS;
        st = se_enter_user_internal(m, &initial);
    }
    if (st != SE_OK) {
        /* the machine dies with its message: hand the message over first. Steps that fail
         * without se_fail() (allocation inside a helper) still get a non-empty reason. */
        char msg[sizeof m->err + 64];
        if (m->err[0] != '\0')
            snprintf(msg, sizeof msg, "%s", m->err);
        else
            snprintf(msg, sizeof msg, "machine creation failed: %s", se_status_str(st));
        se_machine_destroy(m);
        return se_create_fail(err, errlen, st, "%s", msg);
    }
    m->err[0] = '\0';
    *out = m;
    return SE_OK;
}

void se_machine_destroy(se_machine *m)
{
    if (m == NULL)
        return;
    /* Freeing the engine under the hook that called us would crash on return into it, and a
     * deferred destruction would leave the caller of se_syscall()/se_run() holding a freed
     * pointer (and double-free it in the usual cleanup). A refused call only leaks when the
     * embedder never destroys it again: the least harmful misuse. */
    if (se_refuse_in_callback(m, "se_machine_destroy") != SE_OK) {
        size_t n = strlen(m->err);
        snprintf(m->err + n, sizeof m->err - n, "; the machine was not destroyed");
        return;
    }
    se_hooks_free(m);
    se_trace_free(m);
    se_account_free(m);
    se_notes_free(m);
    free(m->syms);
    se_kernel_free(m);
    se_track_free(m); /* its hook goes with the engine */
    se_be_close(&m->be);
    se_hashmap_free(&m->blocks);
    se_hashmap_free(&m->hooked_at);
    se_hashmap_free(&m->hook_addrs);
    free(m->maps);
    if (m->ram != NULL)
        munmap(m->ram, m->cfg.phys_mem_size);
    free(m);
}

se_status se_machine_get_config(const se_machine *m, se_config *out)
{
    if (m == NULL || out == NULL)
        return SE_ERR_INVALID_ARG;
    *out = m->cfg;
    return SE_OK;
}

void se_machine_snapshot_state(se_machine *m, se_cpu_state *st)
{
    *st = m->arch;
    se_be_read_regs(m, &st->regs);
    st->regs.cs = m->arch.regs.cs;
    st->regs.ss = m->arch.regs.ss;
    st->cr2 = se_be_get(m, UC_X86_REG_CR2);
}

se_status se_get_cpu_state(se_machine *m, se_cpu_state *out)
{
    if (m == NULL || out == NULL)
        return SE_ERR_INVALID_ARG;
    se_machine_snapshot_state(m, out);
    out->cr2 = m->arch.cr2;
    return SE_OK;
}

/* Put the machine in user mode the way Linux leaves a task: CPL3, user CR3, user GS base live,
 * the per-CPU base parked in KERNEL_GS_BASE, SPEC_CTRL without IBRS. */
se_status se_enter_user_internal(se_machine *m, const se_regs *r)
{
    se_cpu_state *a = &m->arch;
    a->cpl = 3;
    a->regs.cs = SE_USER_CS;
    a->regs.ss = SE_USER_DS;
    a->cs_cache = (se_seg_cache){.base = 0, .limit = SE_SEG_FLAT_LIMIT, .ar = SE_SEG_AR_USER_CS};
    a->ss_cache = (se_seg_cache){.base = 0, .limit = SE_SEG_FLAT_LIMIT, .ar = SE_SEG_AR_USER_SS};
    a->spec_ctrl = 0;
    a->cr3 = m->user_cr3; /* loaded into the engine with the CPL (se_be_enter) */
    /* the engine's copy follows the model's (SWAPGS runs natively on both): written only when
     * the model's changes */
    if (a->kernel_gs_base != m->lay.percpu || !m->kgs_synced) {
        a->kernel_gs_base = m->lay.percpu;
        uc_x86_msr kgs = {.rid = SE_MSR_IA32_KERNEL_GS_BASE, .value = a->kernel_gs_base};
        uc_reg_write(m->be.uc, UC_X86_REG_MSR, &kgs);
        m->kgs_synced = true;
    }
    se_regs w = *r;
    w.rflags |= SE_RFLAGS_FIXED;
    se_status st = se_be_st(m, se_be_enter(&m->be, &w));
    se_be_exits_sync(&m->be); /* CPL3 and the user CR3: the exits that mode can fetch */
    return st;
}

static unsigned se_machine_width(const se_machine *m)
{
    return m->cfg.la57 ? SE_VA_BITS_5LEVEL : SE_VA_BITS_4LEVEL;
}

se_status se_check_user_regs(se_machine *m, const se_regs *r, bool need_canonical_rsp)
{
    unsigned w = se_machine_width(m);
    if (r->cs != SE_USER_CS)
        return se_fail(m, SE_ERR_INVALID_ARG,
                       "cs 0x%x is not the 64-bit user selector __USER_CS (0x33)", r->cs);
    if (r->ss != SE_USER_DS)
        return se_fail(m, SE_ERR_INVALID_ARG, "ss 0x%x is not __USER_DS (0x2b)", r->ss);
    if (!se_is_canonical(r->rip, w) || (r->rip >> 63) != 0)
        return se_fail(m, SE_ERR_INVALID_ARG,
                       "rip 0x%" PRIx64 " is not a canonical user address (%u-bit)", r->rip, w);
    if (need_canonical_rsp && !se_is_canonical(r->rsp, w))
        return se_fail(m, SE_ERR_INVALID_ARG, "rsp 0x%" PRIx64 " is not canonical", r->rsp);
    if (r->rflags & ~SE_RFLAGS_DEFINED)
        return se_fail(m, SE_ERR_INVALID_ARG, "rflags 0x%" PRIx64 " sets reserved bits (RFLAGS-1)",
                       r->rflags);
    if (r->rflags & SE_RFLAGS_VM)
        return se_fail(m, SE_ERR_INVALID_ARG, "rflags.VM cannot be set in 64-bit mode");
    if (!se_is_canonical(r->fs_base, w) || !se_is_canonical(r->gs_base, w))
        return se_fail(m, SE_ERR_INVALID_ARG,
                       "fs_base/gs_base must be canonical (MSR-6: WRMSR would #GP)");
    return SE_OK;
}

se_status se_enter_user(se_machine *m, const se_regs *regs)
{
    if (m == NULL || regs == NULL)
        return m ? se_fail(m, SE_ERR_INVALID_ARG, "regs is NULL") : SE_ERR_INVALID_ARG;
    m->err[0] = '\0';
    se_status guard = se_refuse_in_callback(m, "se_enter_user");
    if (guard != SE_OK)
        return guard;
    se_status st = se_check_user_regs(m, regs, true);
    if (st != SE_OK)
        return st;
    return se_enter_user_internal(m, regs);
}

/* Mirror an MSR the model accepted into the engine where the engine uses it. */
static void se_mirror_msr(se_machine *m, uint32_t msr)
{
    switch (msr) {
    case SE_MSR_IA32_FS_BASE:
        se_be_set(m, UC_X86_REG_FS_BASE, m->arch.regs.fs_base);
        break;
    case SE_MSR_IA32_GS_BASE:
        se_be_set(m, UC_X86_REG_GS_BASE, m->arch.regs.gs_base);
        break;
    case SE_MSR_IA32_KERNEL_GS_BASE: {
        uc_x86_msr v = {.rid = msr, .value = m->arch.kernel_gs_base};
        uc_reg_write(m->be.uc, UC_X86_REG_MSR, &v);
        break;
    }
    case SE_MSR_IA32_EFER:
        se_be_sync_nxe(&m->be);   /* the only EFER bit the engine's page walk reads besides LMA */
        se_be_exits_sync(&m->be); /* guarded pages need NXE (hazard.c) */
        break;
    default:
        /* EFER, STAR, LSTAR, CSTAR, FMASK, SPEC_CTRL live only in the model: the engine's
         * SYSCALL/SYSRET never run, and it would drop EFER.SCE anyway (docs/machine.md, engine
         * limitations) */
        break;
    }
}

se_status se_msr_read(se_machine *m, uint32_t msr, uint64_t *value, se_fault *fault)
{
    if (m == NULL || value == NULL || fault == NULL)
        return SE_ERR_INVALID_ARG;
    m->err[0] = '\0';
    se_cpu_state st;
    se_machine_snapshot_state(m, &st);
    st.cpl = 0; /* the host acts as ring-0 code */
    memset(fault, 0, sizeof *fault);
    *value = 0;
    se_msr_rdmsr(&m->feat, &st, msr, value, fault);
    return SE_OK;
}

se_status se_msr_write(se_machine *m, uint32_t msr, uint64_t value, se_fault *fault)
{
    if (m == NULL || fault == NULL)
        return SE_ERR_INVALID_ARG;
    m->err[0] = '\0';
    se_status guard = se_refuse_in_callback(m, "se_msr_write");
    if (guard != SE_OK)
        return guard;
    se_cpu_state st;
    se_machine_snapshot_state(m, &st);
    uint8_t cpl = st.cpl;
    st.cpl = 0;
    memset(fault, 0, sizeof *fault);
    if (se_msr_wrmsr(&m->feat, &st, msr, value, fault) != SE_FAULT_NONE)
        return SE_OK;
    st.cpl = cpl;
    m->arch = st;
    se_mirror_msr(m, msr);
    return SE_OK;
}
