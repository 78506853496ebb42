/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A distribution kernel in the machine (include/sysentry/kernel.h, docs/real-kernels.md).
 *
 * The image is prepared the way the kernel's own boot leaves it on CPU 0 once init memory is
 * freed (init/main.c: free_initmem), with what the syscall path reads:
 * - every allocated section from _text to _end at its link address, except the init memory
 *   [__init_begin, __init_end) that a booted kernel has freed: text read-only, .rodata
 *   read-only (mark_rodata_ro), data and bss writable (bss zeroed, as the ELF says);
 * - one per-CPU area, a copy of the .data..percpu template (setup_per_cpu_areas), at the
 *   kernel GS base, with this_cpu_off pointing at it and the TSS's sp0 at the trampoline stack
 *   of the machine's cpu_entry_area (cpu_init_exception_handling: load_sp0);
 * - with PTI, the user page tables hold what pti_clone_user_shared / pti_clone_entry_text put
 *   there: the entry text [__entry_text_start, __entry_text_end), the per-CPU cpu_tss_rw page,
 *   the cpu_entry_area (GDT and entry stack), and user memory;
 * - the alternatives applied for the machine's CPU features (alternative_instructions).
 * do_syscall_64's first instruction is hooked: the C handler runs there with the real pt_regs
 * and the hook returns to the caller, as the rebuild's stub does (Linux 6.1–6.6 keep the SYSRET
 * checks in the assembly after the call, which runs unmodified).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "entry/discover.h"
#include "kimage/alternatives.h"
#include "kimage/btf.h"
#include "kimage/bugtable.h"
#include "kimage/kallsyms.h"
#include "kimage/kimage.h"
#include "kimage/vmlinux.h"
#include "machine/machine_int.h"

#define SE_PAGE 0x1000ull

/* Where the per-CPU area goes: in the direct map, like a real per-CPU chunk. */
#define SE_KPERCPU_4LEVEL 0xffff888100000000ull
#define SE_KPERCPU_5LEVEL 0xff11000100000000ull
/* _text to _end: Debian's images span about 45 MiB; a crafted one must not plan gigabytes */
#define SE_KERNEL_SPAN_MAX 0x20000000ull

typedef struct se_kernel_state {
    se_ksyms *ksyms;
    se_kernel_info info;
    uint64_t check_branch[SE_CHECK_MAX_VALUE + 1]; /* the branch of each check (0: none) */
    uint64_t unknown_branch[8];                    /* branches to the IRET exit not named */
    /* Linux 6.7+: the SYSRET checks are C code inside do_syscall_64, which runs for real; the
     * handler is called at x64_sys_call and the verdict is AL after the call */
    bool c_entry;
    uint64_t sys_call;   /* x64_sys_call */
    uint64_t after_call; /* the instruction after `call do_syscall_64` */
    se_kbugs bugs;       /* __bug_table: which UD2 is a WARN */
} se_kernel_state;

void se_kernel_free(se_machine *m)
{
    if (m->kern == NULL)
        return;
    se_ksyms_free(m->kern->ksyms);
    se_kbugs_free(&m->kern->bugs);
    free(m->kern);
    m->kern = NULL;
}

const char *se_kernel_symbolize(se_machine *m, uint64_t addr, uint64_t *off)
{
    *off = 0;
    if (m->kern == NULL || m->kern->ksyms == NULL)
        return NULL;
    return se_ksyms_name_at(m->kern->ksyms, addr, off);
}

se_check se_kernel_check_from_block(se_machine *m, uint64_t block)
{
    if (m->kern == NULL)
        return SE_CHECK_NONE;
    /* a check's branch ends the translated block that ran just before the IRET exit; the
     * check blocks are a few instructions each, so the nearest branch at or after the block's
     * start that is still inside the checks is the one */
    se_check best = SE_CHECK_NONE;
    uint64_t best_addr = UINT64_MAX;
    for (int c = 1; c <= SE_CHECK_MAX_VALUE; c++) {
        uint64_t b = m->kern->check_branch[c];
        if (b != 0 && b >= block && b < best_addr && m->sym.checks[c] <= block) {
            best = (se_check)c;
            best_addr = b;
        }
    }
    return best;
}

/* ---- symbols --------------------------------------------------------------------------- */

static se_status se_kneed(se_machine *m, const char *name, uint64_t *addr)
{
    char type;
    if (!se_ksyms_find(m->kern->ksyms, name, addr, &type))
        return se_fail(m, SE_ERR_NOT_FOUND, "kernel image: symbol %s not found", name);
    return SE_OK;
}

/* ---- memory ---------------------------------------------------------------------------- */

/* Map [lo, hi) with flags, the entry text's pages shared with the user page tables under PTI
 * (pti_clone_entry_text). Snapshots taken before are refused: they hold none of the image. */
static se_status se_kmap_run(se_machine *m, uint64_t lo, uint64_t hi, uint32_t flags,
                             uint64_t etext_lo, uint64_t etext_hi)
{
    uint64_t a = etext_lo < lo ? lo : etext_lo > hi ? hi : etext_lo;
    uint64_t b = etext_hi < a ? a : etext_hi > hi ? hi : etext_hi;
    const struct {
        uint64_t lo, hi;
        uint32_t flags;
    } parts[3] = {
        {lo, a, flags}, {a, b, flags | (m->cfg.pti ? SE_MAP_PTI_SHARED : 0)}, {b, hi, flags}};
    for (int i = 0; i < 3; i++) {
        if (parts[i].hi <= parts[i].lo)
            continue;
        se_status st =
            se_map_internal(m, parts[i].lo, parts[i].hi - parts[i].lo, parts[i].flags, NULL);
        m->kimage_gen++;
        if (st != SE_OK)
            return st;
    }
    return SE_OK;
}

/* Copy bytes to guest memory that may cross mapping boundaries (no hazard screening here). */
static void se_kcopy(se_machine *m, uint64_t va, const uint8_t *src, uint64_t len)
{
    while (len > 0) {
        size_t got;
        uint8_t *dst = se_host_span(m, va, len, &got);
        if (dst == NULL || got == 0)
            return; /* the plan mapped every page it copies to */
        memcpy(dst, src, got);
        se_track_mark(m, va, got); /* a snapshot restore must undo it (track.c) */
        va += got;
        src += got;
        len -= got;
    }
}

static bool se_kernel_keeps(const se_vmlinux_section *s, uint64_t init_lo, uint64_t init_hi,
                            uint64_t text_lo, uint64_t end_hi)
{
    if (!(s->flags & SE_SHF_ALLOC) || s->size == 0 || (s->addr >> 63) == 0)
        return false;
    if (s->addr < text_lo || s->addr >= end_hi)
        return false;
    return !(s->addr >= init_lo && s->addr < init_hi); /* freed by free_initmem */
}

enum { SE_KPAGE_MAPPED = 1, SE_KPAGE_WRITE = 2, SE_KPAGE_EXEC = 4 };

/* Map and fill the image: pages take the most permissive flags of the sections on them. */
static se_status se_kernel_map_image(se_machine *m, const se_vmlinux *vm)
{
    uint64_t init_lo, init_hi, text_lo, end_hi, etext_lo, etext_hi;
    se_status st = se_kneed(m, "__init_begin", &init_lo);
    if (st == SE_OK)
        st = se_kneed(m, "__init_end", &init_hi);
    if (st == SE_OK)
        st = se_kneed(m, "_text", &text_lo);
    if (st == SE_OK)
        st = se_kneed(m, "_end", &end_hi);
    if (st == SE_OK)
        st = se_kneed(m, "__entry_text_start", &etext_lo);
    if (st == SE_OK)
        st = se_kneed(m, "__entry_text_end", &etext_hi);
    if (st != SE_OK)
        return st;
    etext_lo &= ~(SE_PAGE - 1);
    etext_hi = (etext_hi + SE_PAGE - 1) & ~(SE_PAGE - 1);
    if (end_hi <= text_lo || end_hi - text_lo > SE_KERNEL_SPAN_MAX)
        return se_fail(m, SE_ERR_FORMAT,
                       "kernel image: _text..._end spans 0x%" PRIx64 " bytes (at most 0x%llx)",
                       end_hi - text_lo, SE_KERNEL_SPAN_MAX);
    text_lo &= ~(SE_PAGE - 1);
    size_t n_pages = (size_t)((end_hi - text_lo + SE_PAGE - 1) / SE_PAGE);
    /* per page: 0 not mapped, else SE_KPAGE_* of the sections on it; a page shared by a
     * writable and a read-only section is writable (the kernel cannot protect half a page
     * either), one with text is executable unless writable (W^X, se_map_internal) */
    uint8_t *page = calloc(n_pages, 1);
    if (page == NULL)
        return se_fail(m, SE_ERR_NOMEM, "out of memory planning the kernel image");
    for (size_t i = 0; i < vm->n_secs; i++) {
        const se_vmlinux_section *s = &vm->secs[i];
        if (!se_kernel_keeps(s, init_lo, init_hi, text_lo, end_hi))
            continue;
        /* rodata is writable in the ELF (ro_after_init data lives there) and read-only once
         * the kernel has booted (mark_rodata_ro) */
        uint8_t kind = SE_KPAGE_MAPPED;
        if ((s->flags & SE_SHF_WRITE) && strcmp(s->name, ".rodata") != 0)
            kind |= SE_KPAGE_WRITE;
        if (s->flags & SE_SHF_EXEC)
            kind |= SE_KPAGE_EXEC;
        uint64_t last = s->addr + s->size - 1 > end_hi - 1 ? end_hi - 1 : s->addr + s->size - 1;
        for (uint64_t p = (s->addr - text_lo) / SE_PAGE; p <= (last - text_lo) / SE_PAGE; p++)
            page[p] |= kind;
    }
    uint64_t total = 0;
    for (size_t p = 0; p < n_pages; p++)
        total += page[p] ? SE_PAGE : 0;
    /* page tables take about 1/512 of what they map, plus the upper levels */
    uint64_t need = total + total / 256 + (4ull << 20);
    uint64_t left = m->phys.size - m->phys.next;
    if (need > left) {
        free(page);
        return se_fail(m, SE_ERR_LIMIT,
                       "kernel image needs %" PRIu64 " MiB of guest RAM, %" PRIu64
                       " MiB are left: create the machine with phys_mem_size >= %" PRIu64
                       " MiB (SE_KERNEL_RAM_DEFAULT is enough for Debian's kernels)",
                       need >> 20, left >> 20,
                       (m->cfg.phys_mem_size + need - left + (1u << 20) - 1) >> 20);
    }
    for (size_t p = 0; p < n_pages && st == SE_OK;) {
        size_t q = p;
        while (q < n_pages && page[q] == page[p])
            q++;
        /* rodata, data and bss are not code (SDM Vol. 3A §4.6; Linux maps them NX) */
        uint32_t flags = ((page[p] & SE_KPAGE_WRITE) ? SE_MAP_WRITE : 0) |
                         ((page[p] & SE_KPAGE_EXEC) ? 0 : SE_MAP_NOEXEC);
        if (page[p] != 0)
            st = se_kmap_run(m, text_lo + p * SE_PAGE, text_lo + q * SE_PAGE, flags, etext_lo,
                             etext_hi);
        p = q;
    }
    free(page);
    if (st == SE_ERR_INVALID_ARG)
        st = SE_ERR_FORMAT; /* an address from the file the machine cannot map */
    if (st != SE_OK)
        return st;
    for (size_t i = 0; i < vm->n_secs; i++) {
        const se_vmlinux_section *s = &vm->secs[i];
        if (s->bytes != NULL && se_kernel_keeps(s, init_lo, init_hi, text_lo, end_hi))
            se_kcopy(m, s->addr, s->bytes, s->size);
    }
    return SE_OK;
}

/* A per-CPU variable's 8 bytes at offset off of the area at base (size bytes), or false. */
static bool se_kpercpu_slot(se_machine *m, uint64_t base, uint64_t size, const char *name,
                            uint64_t add, uint64_t *va)
{
    uint64_t off;
    char type;
    if (!se_ksyms_find(m->kern->ksyms, name, &off, &type) || off >= size || add > size - off ||
        size - off - add < 8)
        return false;
    *va = base + off + add;
    return true;
}

/*
 * The FPU state owner, which 6.7+'s exit work checks: arch_exit_to_user_mode_prepare() calls
 * fpregs_assert_state_consistent() (arch/x86/kernel/fpu/context.h@v6.12), a WARN_ON unless
 * the per-CPU fpu_fpregs_owner_ctx is &current->thread.fpu and fpu.last_cpu is this CPU
 * (TIF_NEED_FPU_LOAD clear, as for a task that has run since its last switch). A booted CPU
 * has it so once `current` has used the FPU; the template leaves it NULL. The struct offsets
 * come from the image's BTF (.BTF), never from a table per build.
 */
static se_status se_kernel_fpu_owner(se_machine *m, const se_vmlinux *vm, uint64_t base,
                                     uint64_t size)
{
    char err[160] = "";
    se_btf *btf = NULL;
    se_status st = se_btf_open(vm, &btf, err, sizeof err);
    if (st != SE_OK)
        return se_fail(m, st, "kernel image: %s (needed for the FPU owner of Linux %u.%u)",
                       err[0] ? err : "no usable .BTF", vm->major, vm->minor);
    uint64_t cur_off = 0, fpu_off = 0, last_off = 0, cur_va = 0, owner_va = 0, current = 0;
    /* `current`: pcpu_hot.current_task (6.2+), or the per-CPU current_task */
    bool cur_ok = se_btf_offsetof(btf, "pcpu_hot", "current_task", &cur_off) == SE_OK
                      ? se_kpercpu_slot(m, base, size, "pcpu_hot", cur_off, &cur_va)
                      : se_kpercpu_slot(m, base, size, "current_task", 0, &cur_va);
    const char *missing = !cur_ok ? "the per-CPU current task (pcpu_hot.current_task)"
                          : se_btf_offsetof(btf, "task_struct", "thread.fpu", &fpu_off) != SE_OK
                              ? "offsetof(struct task_struct, thread.fpu) in .BTF"
                          : se_btf_offsetof(btf, "fpu", "last_cpu", &last_off) != SE_OK
                              ? "offsetof(struct fpu, last_cpu) in .BTF"
                          : !se_kpercpu_slot(m, base, size, "fpu_fpregs_owner_ctx", 0, &owner_va)
                              ? "the per-CPU fpu_fpregs_owner_ctx"
                              : NULL;
    se_btf_free(btf);
    if (missing != NULL)
        return se_fail(m, SE_ERR_NOT_FOUND, "kernel image: %s not found", missing);
    if (se_mem_read(m, cur_va, &current, 8) != SE_OK) /* inside the mapped per-CPU area */
        return se_fail(m, SE_ERR_FORMAT, "kernel image: the per-CPU current task is unreadable");
    uint64_t fpu = current + fpu_off;
    uint32_t last_cpu = 0; /* the machine is CPU 0 (the template's cpu_number) */
    size_t got;
    if (fpu_off > UINT64_MAX - current || last_off > UINT64_MAX - fpu ||
        se_host_span(m, fpu + last_off, sizeof last_cpu, &got) == NULL || got < sizeof last_cpu)
        return se_fail(m, SE_ERR_FORMAT,
                       "kernel image: the template's current task (0x%" PRIx64
                       ") + thread.fpu is not in the image's memory",
                       current);
    se_kcopy(m, fpu + last_off, (const uint8_t *)&last_cpu, sizeof last_cpu);
    se_kcopy(m, owner_va, (const uint8_t *)&fpu, 8);
    m->kern->info.fpu_owner = fpu;
    return SE_OK;
}

/* One CPU's per-CPU area from the template, set up as setup_per_cpu_areas and cpu_init do. */
static se_status se_kernel_percpu(se_machine *m, const se_vmlinux *vm)
{
    const se_vmlinux_section *tmpl = se_vmlinux_section_by_name(vm, ".data..percpu");
    if (tmpl == NULL || tmpl->bytes == NULL || tmpl->size == 0 || tmpl->size > (64u << 20))
        return se_fail(m, SE_ERR_FORMAT, "kernel image: no usable .data..percpu template");
    uint64_t tss;
    se_status st = se_kneed(m, "cpu_tss_rw", &tss);
    if (st != SE_OK)
        return st;
    uint64_t size = (tmpl->size + SE_PAGE - 1) & ~(SE_PAGE - 1);
    if ((tss & (SE_PAGE - 1)) != 0 || tss + SE_PAGE > size)
        return se_fail(m, SE_ERR_FORMAT,
                       "kernel image: cpu_tss_rw at per-CPU offset 0x%" PRIx64
                       " is not a page inside the template",
                       tss);
    uint64_t base = m->cfg.la57 ? SE_KPERCPU_5LEVEL : SE_KPERCPU_4LEVEL;
    /* the TSS page is read on the user CR3 (the sp2 store before the CR3 switch): the same
     * split as the entry text's */
    st = se_kmap_run(m, base, base + size, SE_MAP_WRITE, base + tss, base + tss + SE_PAGE);
    if (st != SE_OK)
        return st;
    se_kcopy(m, base, tmpl->bytes, tmpl->size);
    uint64_t sp0 = m->lay.tss_sp0, off;
    se_kcopy(m, base + tss + SE_TSS_SP0, (const uint8_t *)&sp0, 8);
    char type;
    if (se_ksyms_find(m->kern->ksyms, "this_cpu_off", &off, &type) && off <= size - 8)
        se_kcopy(m, base + off, (const uint8_t *)&base, 8);
    uint64_t spec = m->cfg.ibrs ? SE_SPEC_CTRL_IBRS : 0;
    if (se_ksyms_find(m->kern->ksyms, "x86_spec_ctrl_current", &off, &type) && off <= size - 8)
        se_kcopy(m, base + off, (const uint8_t *)&spec, 8);
    if (m->kern->c_entry) {
        st = se_kernel_fpu_owner(m, vm, base, size);
        if (st != SE_OK)
            return st;
    }
    m->kern->info.percpu = base;
    /* the base every return to user mode parks in KERNEL_GS_BASE (se_enter_user_internal);
     * the layout's own two-page per-CPU area stays mapped, unused */
    m->lay.percpu = base;
    se_fault f;
    st = se_msr_write(m, SE_MSR_IA32_KERNEL_GS_BASE, base, &f);
    return st;
}

/* ---- WARN and BUG sites ----------------------------------------------------------------- */

static se_status se_kernel_bugs(se_machine *m, const se_vmlinux *vm)
{
    char err[160] = "";
    se_status st = se_kbugs_parse(vm, &m->kern->bugs, err, sizeof err);
    if (st != SE_OK)
        return se_fail(m, st, "kernel image: %s", err[0] ? err : "__bug_table");
    m->kern->info.bug_sites = m->kern->bugs.n;
    /* a trace shows what each reachable site is (the text is mapped by now) */
    for (size_t i = 0; i < m->kern->bugs.n && st == SE_OK; i++) {
        const se_kbug *b = &m->kern->bugs.v[i];
        size_t got;
        if (se_host_span(m, b->addr, 2, &got) == NULL || got < 2)
            continue; /* freed init code */
        char note[SE_KBUG_FILE_MAX + 96];
        snprintf(note, sizeof note, "%s at %s:%u", (b->flags & SE_KBUG_WARNING) ? "WARN" : "BUG",
                 b->file ? m->kern->bugs.names + b->file : "?", (unsigned)b->line);
        st = se_notes_add(m, b->addr, note);
    }
    return st;
}

se_kud se_kernel_ud(se_machine *m, uint64_t rip)
{
    if (m->kern == NULL)
        return SE_KUD_NONE;
    const se_kbug *b = se_kbugs_find(&m->kern->bugs, rip);
    uint8_t ud2[2];
    /* handle_bug() acts only on a UD2 (arch/x86/kernel/traps.c@v6.12: is_valid_bugaddr) */
    if (b == NULL || se_code_fetch(m, rip, ud2, 2) != 2 || ud2[0] != 0x0F || ud2[1] != 0x0B)
        return SE_KUD_NONE;
    if (m->run.n_kwarn < SE_KWARN_MAX)
        m->run.kwarn[m->run.n_kwarn] = rip;
    m->run.n_kwarn++;
    return (b->flags & SE_KBUG_WARNING) ? SE_KUD_WARN : SE_KUD_BUG;
}

/* ---- alternatives ------------------------------------------------------------------------ */

typedef struct se_kalt_ctx {
    se_machine *m;
    unsigned major, minor;
    uint32_t extra; /* SE_KERNEL_FEAT_* */
} se_kalt_ctx;

/* The machine's CPU features as the kernel's boot would have detected and chosen them. */
static bool se_kernel_has(unsigned feature, void *user)
{
    const se_kalt_ctx *c = user;
    const se_config *cfg = &c->m->cfg;
    const struct {
        se_kfeature f;
        bool on;
    } table[] = {
        {SE_KF_ALWAYS, true},
        {SE_KF_PTI, cfg->pti},
        {SE_KF_PCID, cfg->pcid},
        {SE_KF_LA57, cfg->la57},
        {SE_KF_KERNEL_IBRS, cfg->ibrs},
        {SE_KF_CLEAR_CPU_BUF, cfg->verw},
        {SE_KF_XENPV, cfg->xen_pv},
        {SE_KF_CLEAR_BHB_LOOP, (c->extra & SE_KERNEL_FEAT_CLEAR_BHB_LOOP) != 0},
        {SE_KF_RETHUNK, (c->extra & SE_KERNEL_FEAT_RETHUNK) != 0},
        {SE_KF_UNRET, (c->extra & SE_KERNEL_FEAT_UNRET) != 0},
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (se_kalt_feature_number(c->major, c->minor, table[i].f) == (int)feature)
            return table[i].on;
    return false; /* every other feature: absent (docs/real-kernels.md) */
}

static uint8_t *se_kernel_span(uint64_t va, size_t n, void *user)
{
    const se_kalt_ctx *c = user;
    size_t got;
    uint8_t *p = se_host_span(c->m, va, n, &got);
    return p != NULL && got == n ? p : NULL;
}

/*
 * The other text patching boot does before the kernel runs user code, in the order of
 * alternative_instructions() and start_kernel() (arch/x86/kernel/alternative.c, kernel/trace/
 * ftrace.c@v6.12): return sites, then the ftrace call sites. Without X86_FEATURE_RETHUNK every
 * `jmp __x86_return_thunk` becomes `ret`; 6.12's __x86_return_thunk itself is patched by an
 * ALWAYS alternative into `jmp warn_thunk_thunk` (an unpatched return site is a kernel bug
 * there), so a site left unpatched would run into a WARN whose own returns go the same way.
 */
static se_status se_kernel_boot_patches(se_machine *m, const se_vmlinux *vm, se_kalt_ctx *ctx)
{
    char err[160] = "";
    uint64_t thunk, fentry, lo, hi;
    char type;
    size_t n = 0;
    se_status st = SE_OK;
    bool rethunk = (ctx->extra & SE_KERNEL_FEAT_RETHUNK) != 0;
    if (rethunk && m->kern->c_entry)
        return se_fail(m, SE_ERR_UNSUPPORTED,
                       "kernel image: Linux %u.%u with X86_FEATURE_RETHUNK: which return thunk "
                       "boot installs depends on its retbleed/SRSO/ITS mitigation choice, which "
                       "the loader does not model",
                       vm->major, vm->minor);
    if (!rethunk && se_ksyms_find(m->kern->ksyms, "__x86_return_thunk", &thunk, &type)) {
        st = se_kalt_apply_returns(vm, thunk, se_kernel_span, ctx, &n, err, sizeof err);
        m->kern->info.return_sites = n;
    }
    if (st == SE_OK && se_ksyms_find(m->kern->ksyms, "__fentry__", &fentry, &type) &&
        se_ksyms_find(m->kern->ksyms, "__start_mcount_loc", &lo, &type) &&
        se_ksyms_find(m->kern->ksyms, "__stop_mcount_loc", &hi, &type)) {
        st = se_kalt_nop_fentry(vm, lo, hi, fentry, se_kernel_span, ctx, &n, err, sizeof err);
        m->kern->info.fentry_sites = n;
    }
    if (st != SE_OK)
        return se_fail(m, st, "kernel image: %s", err);
    return SE_OK;
}

static se_status se_kernel_alternatives(se_machine *m, const se_vmlinux *vm, uint64_t etext_lo,
                                        uint64_t etext_hi, uint32_t extra)
{
    char err[160] = "";
    se_kalt *alts = NULL;
    size_t n = 0;
    se_status st = se_kalt_parse(vm, &alts, &n, err, sizeof err);
    if (st != SE_OK)
        return se_fail(m, st, "kernel image: alternatives: %s", err);
    se_kalt_ctx ctx = {.m = m, .major = vm->major, .minor = vm->minor, .extra = extra};
    if (se_kalt_feature_number(vm->major, vm->minor, SE_KF_PTI) < 0) {
        free(alts);
        return se_fail(m, SE_ERR_UNSUPPORTED,
                       "kernel image: Linux %u.%u: its X86_FEATURE numbers are not known to the "
                       "loader, so its alternatives cannot be applied (it runs Linux 6.1 and "
                       "6.12)",
                       vm->major, vm->minor);
    }
    /* boot patches init code too, but a booted kernel has freed it: only mapped sites count */
    size_t kept = 0;
    for (size_t i = 0; i < n; i++)
        if (se_kernel_span(alts[i].site, alts[i].site_len, &ctx) != NULL)
            alts[kept++] = alts[i];
    st = se_kernel_boot_patches(m, vm, &ctx);
    if (st != SE_OK) {
        free(alts);
        return st;
    }
    se_kalt_applied *done = NULL;
    size_t n_done = 0;
    st = se_kalt_apply(vm, alts, kept, se_kernel_has, se_kernel_span, &ctx, &done, &n_done, err,
                       sizeof err);
    free(alts);
    if (st != SE_OK)
        return se_fail(m, st, "kernel image: applying alternatives: %s", err);
    m->kern->info.alternatives = n;
    m->kern->info.applied = n_done;
    for (size_t i = 0; i < n_done && st == SE_OK; i++) {
        if (done[i].site < etext_lo || done[i].site >= etext_hi)
            continue;
        m->kern->info.applied_entry++;
        const char *name = se_kalt_feature_name(vm->major, vm->minor, done[i].feature);
        char note[96];
        if (name != NULL)
            snprintf(note, sizeof note, "alternative applied: X86_FEATURE_%s %s", name,
                     done[i].when_absent ? "absent" : "present");
        else
            snprintf(note, sizeof note, "alternative applied: feature %u %s", done[i].feature,
                     done[i].when_absent ? "absent" : "present");
        uint64_t dummy;
        if (!se_hashmap_get(&m->notes, done[i].site, &dummy))
            st = se_notes_add(m, done[i].site, note);
    }
    free(done);
    return st;
}

/* ---- the entry path ---------------------------------------------------------------------- */

/* The first instruction in [from, from + len), by decoding, that is of `kind` or (with
 * call_target non-zero) a direct `call call_target`; 0 if none. */
static uint64_t se_kernel_find(se_machine *m, uint64_t from, size_t len, se_insn_kind kind,
                               uint64_t call_target)
{
    for (uint64_t a = from; a < from + len;) {
        uint8_t buf[16];
        size_t got = se_code_fetch(m, a, buf, sizeof buf);
        se_insn in;
        if (got == 0 || se_decode_one(buf, got, a, &in) != SE_OK)
            return 0;
        if (call_target != 0 && in.len == 5 && buf[0] == 0xE8) {
            int32_t rel;
            memcpy(&rel, buf + 1, 4);
            if (a + 5 + (uint64_t)(int64_t)rel == call_target)
                return a;
        } else if (call_target == 0 && in.kind == kind) {
            return a;
        }
        a += in.len;
    }
    return 0;
}

static se_status se_kernel_checks(se_machine *m, uint64_t after_call)
{
    se_kernel_state *k = m->kern;
    if (m->sym.sysret_exit <= after_call || m->sym.sysret_exit - after_call > 4096)
        return se_fail(m, SE_ERR_UNSUPPORTED,
                       "kernel image: syscall_return_via_sysret is not after the call to "
                       "do_syscall_64 in entry_SYSCALL_64: an entry layout the loader does "
                       "not know");
    size_t len = (size_t)(m->sym.sysret_exit - after_call);
    uint8_t *code = malloc(len);
    if (code == NULL)
        return se_fail(m, SE_ERR_NOMEM, "out of memory");
    size_t got = se_code_fetch(m, after_call, code, len);
    se_found_check found[16];
    size_t n = se_discover_checks(code, got, after_call, m->sym.iret_exit, found, 16);
    free(code);
    if (n > 16)
        n = 16;
    for (size_t i = 0; i < n; i++) {
        se_check c = found[i].check;
        if (c == SE_CHECK_NONE) {
            if (k->info.unknown_branches < 8)
                k->unknown_branch[k->info.unknown_branches] = found[i].branch;
            k->info.unknown_branches++;
            se_notes_add(m, found[i].branch,
                         "branch to the IRET exit: the check's idiom is not one the loader "
                         "knows (not named)");
            continue;
        }
        if (k->check_branch[c] != 0)
            continue; /* the first one decides */
        k->check_branch[c] = found[i].branch;
        m->sym.checks[c] = found[i].start;
        k->info.checks_found |= SE_CHECK_BIT(c);
    }
    return SE_OK;
}

/*
 * Linux 6.7+: `call do_syscall_64; test %al,%al; je swapgs_restore_regs_and_return_to_usermode`
 * (arch/x86/entry/entry_64.S@v6.12): do_syscall_64 returns true to use SYSRET, and the checks
 * that decide it are C code inside it, which runs. The verdict is taken from AL at the
 * `test`; the failed check is named from the pt_regs it decided on (syscall.c).
 */
static se_status se_kernel_c_checks(se_machine *m, uint64_t after_call)
{
    uint8_t b[8];
    size_t got = se_code_fetch(m, after_call, b, sizeof b);
    uint64_t target = 0;
    if (got >= 4 && b[0] == 0x84 && b[1] == 0xC0 && b[2] == 0x74)
        target = after_call + 4 + (uint64_t)(int64_t)(int8_t)b[3];
    else if (got >= 8 && b[0] == 0x84 && b[1] == 0xC0 && b[2] == 0x0F && b[3] == 0x84) {
        int32_t rel;
        memcpy(&rel, b + 4, 4);
        target = after_call + 8 + (uint64_t)(int64_t)rel;
    }
    if (target != m->sym.iret_exit)
        return se_fail(m, SE_ERR_UNSUPPORTED,
                       "kernel image: Linux %u.%u: after the call to do_syscall_64 there is no "
                       "`test %%al,%%al; je swapgs_restore_regs_and_return_to_usermode`: an "
                       "entry layout the loader does not know",
                       m->kern->info.major, m->kern->info.minor);
    se_kernel_state *k = m->kern;
    k->after_call = after_call;
    k->info.c_entry = true;
    k->check_branch[0] = after_call + 2;
    /* what do_syscall_64 of 6.7+ checks (se_verdict_6_7) */
    k->info.checks_found = SE_CHECK_BIT(SE_CHECK_RCX_RIP) | SE_CHECK_BIT(SE_CHECK_R11_FLAGS) |
                           SE_CHECK_BIT(SE_CHECK_CS) | SE_CHECK_BIT(SE_CHECK_SS) |
                           SE_CHECK_BIT(SE_CHECK_CANONICAL) | SE_CHECK_BIT(SE_CHECK_RF_TF);
    se_status st = se_kneed(m, "x64_sys_call", &k->sys_call);
    k->info.sys_call = k->sys_call;
    if (st == SE_OK)
        st = se_notes_add(m, m->sym.dispatch,
                          "do_syscall_64 (Linux 6.7+, runs as compiled): entry work, the "
                          "dispatch, exit work, then the SYSRET checks in C");
    if (st == SE_OK)
        st = se_notes_add(m, k->sys_call,
                          "x64_sys_call: the system call itself, where the C handler runs");
    if (st == SE_OK)
        st = se_notes_add(m, after_call,
                          "do_syscall_64 returned: AL = 1 for SYSRET, 0 for IRET (its C checks)");
    if (st == SE_OK)
        st = se_install_c_verdict_hook(m, after_call);
    return st;
}

/* Phase marks for the cycle model, from the code's own structure (no labels in a real image). */
static se_status se_kernel_phases(se_machine *m, uint64_t call, uint64_t after_call,
                                  uint64_t etext_lo, uint64_t etext_hi)
{
    se_phase_mark marks[18];
    size_t n = 0;
    uint64_t text_lo = 0, text_hi = 0;
    if (m->kern->c_entry && se_ksyms_find(m->kern->ksyms, "_text", &text_lo, &(char){0}) &&
        se_ksyms_find(m->kern->ksyms, "_etext", &text_hi, &(char){0}) && text_lo < etext_lo &&
        etext_hi < text_hi) {
        /* 6.7+: the C code do_syscall_64 calls lies anywhere in the text (x64_sys_call near
         * its start, the exit work in kernel/entry): all of it, outside the entry text, is
         * the dispatch phase, as the handler and the C checks are for the rebuild */
        marks[n++] = (se_phase_mark){text_lo, SE_PHASE_DISPATCH};
        marks[n++] = (se_phase_mark){etext_hi, SE_PHASE_DISPATCH};
    } else {
        text_lo = text_hi = 0;
    }
    marks[n++] = (se_phase_mark){m->sym.entry, SE_PHASE_ENTRY};
    uint64_t cr3k =
        se_kernel_find(m, m->sym.entry, (size_t)(call - m->sym.entry), SE_INSN_MOV_FROM_CR, 0);
    if (cr3k != 0 && m->cfg.pti)
        marks[n++] = (se_phase_mark){cr3k, SE_PHASE_CR3_KERNEL};
    /* pt_regs are built from the first push on */
    for (uint64_t a = cr3k ? cr3k : m->sym.entry; a < call;) {
        uint8_t buf[16];
        size_t got = se_code_fetch(m, a, buf, sizeof buf);
        se_insn in;
        if (got == 0 || se_decode_one(buf, got, a, &in) != SE_OK)
            break;
        if (buf[0] == 0x6A || buf[0] == 0x68) { /* push imm: the first pt_regs slot (ss) */
            marks[n++] = (se_phase_mark){a, SE_PHASE_PTREGS};
            break;
        }
        a += in.len;
    }
    marks[n++] = (se_phase_mark){call, SE_PHASE_DISPATCH};
    marks[n++] = (se_phase_mark){m->sym.dispatch, SE_PHASE_DISPATCH};
    marks[n++] = (se_phase_mark){after_call, SE_PHASE_CHECKS};
    marks[n++] = (se_phase_mark){m->sym.sysret_exit, SE_PHASE_RESTORE};
    uint64_t cr3u = se_kernel_find(m, m->sym.sysret_exit, 256, SE_INSN_MOV_FROM_CR, 0);
    if (cr3u != 0 && m->cfg.pti && (m->sym.sysretq == 0 || cr3u < m->sym.sysretq))
        marks[n++] = (se_phase_mark){cr3u, SE_PHASE_CR3_USER};
    if (m->sym.sysretq != 0)
        marks[n++] = (se_phase_mark){m->sym.sysretq, SE_PHASE_SYSRET};
    marks[n++] = (se_phase_mark){m->sym.iret_exit, SE_PHASE_RESTORE};
    uint64_t cr3i = se_kernel_find(m, m->sym.iret_exit, 256, SE_INSN_MOV_FROM_CR, 0);
    if (cr3i != 0 && m->cfg.pti && (m->sym.iretq == 0 || cr3i < m->sym.iretq))
        marks[n++] = (se_phase_mark){cr3i, SE_PHASE_CR3_USER};
    if (m->sym.iretq != 0)
        marks[n++] = (se_phase_mark){m->sym.iretq, SE_PHASE_IRET};
    /* sorted by address, as se_account_set_marks expects */
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && marks[j].addr < marks[j - 1].addr; j--) {
            se_phase_mark t = marks[j];
            marks[j] = marks[j - 1];
            marks[j - 1] = t;
        }
    uint64_t lo = etext_lo < m->sym.dispatch ? etext_lo : m->sym.dispatch;
    uint64_t hi = etext_hi > m->sym.dispatch + 1 ? etext_hi : m->sym.dispatch + 1;
    if (text_hi != 0) {
        lo = text_lo;
        hi = text_hi;
    }
    return se_account_set_marks(m, marks, n, lo, hi);
}

static se_status se_kernel_entry(se_machine *m, const se_vmlinux *vm, uint32_t extra)
{
    se_entry_syms s;
    memset(&s, 0, sizeof s);
    uint64_t etext_lo, etext_hi;
    se_status st = se_kneed(m, "entry_SYSCALL_64", &s.entry);
    if (st == SE_OK)
        st = se_kneed(m, "do_syscall_64", &s.dispatch);
    if (st == SE_OK)
        st = se_kneed(m, "syscall_return_via_sysret", &s.sysret_exit);
    if (st == SE_OK)
        st = se_kneed(m, "swapgs_restore_regs_and_return_to_usermode", &s.iret_exit);
    if (st == SE_OK)
        st = se_kneed(m, "__entry_text_start", &etext_lo);
    if (st == SE_OK)
        st = se_kneed(m, "__entry_text_end", &etext_hi);
    if (st != SE_OK)
        return st;
    if (s.entry < etext_lo || s.entry >= etext_hi || s.sysret_exit < s.entry ||
        s.sysret_exit >= etext_hi || s.iret_exit < etext_lo || s.iret_exit >= etext_hi)
        return se_fail(m, SE_ERR_FORMAT,
                       "kernel image: the entry symbols are not inside the entry text");
    st = se_kernel_alternatives(m, vm, etext_lo, etext_hi, extra);
    if (st != SE_OK)
        return st;
    uint64_t call =
        se_kernel_find(m, s.entry, (size_t)(s.sysret_exit - s.entry), SE_INSN_OTHER, s.dispatch);
    if (call == 0)
        return se_fail(m, SE_ERR_UNSUPPORTED,
                       "kernel image: no call to do_syscall_64 found in entry_SYSCALL_64");
    s.call_dispatch = call;
    s.sysretq = se_kernel_find(m, s.sysret_exit, 256, SE_INSN_SYSRET64, 0);
    if (!se_ksyms_find(m->kern->ksyms, "native_irq_return_iret", &s.iretq, &(char){0}))
        s.iretq = se_kernel_find(m, s.iret_exit, 512, SE_INSN_IRETQ, 0);
    s.loaded = true;
    s.builtin = false;
    m->sym = s;
    /* CONFIG_X86_ESPFIX64 (X86_16BIT): native_iret tests for an LDT SS and takes
     * native_irq_return_ldt; without it IRETQ runs with whatever SS the frame holds */
    uint64_t ldt;
    m->kern->info.espfix64 =
        se_ksyms_find(m->kern->ksyms, "native_irq_return_ldt", &ldt, &(char){0});
    /* NR_syscalls: do_syscall_x64 dispatches unr < NR_syscalls, the size of sys_call_table;
     * kallsyms has no sizes, so it ends where the next symbol starts */
    uint64_t table, off;
    uint32_t nr = 0;
    if (se_ksyms_find(m->kern->ksyms, "sys_call_table", &table, &(char){0}))
        while (nr < 4096) {
            const char *name = se_ksyms_name_at(m->kern->ksyms, table + 8ull * nr, &off);
            if (name == NULL || strcmp(name, "sys_call_table") != 0 || off != 8ull * nr)
                break;
            nr++;
        }
    if (nr >= 4096)
        nr = 0;
    /* 6.7+ compares with its compiled NR_syscalls itself: another number in the
     * configuration could not be honoured */
    if (m->kern->c_entry && m->cfg.nr_syscalls != 0 && m->cfg.nr_syscalls != nr)
        return se_fail(m, SE_ERR_UNSUPPORTED,
                       "se_config.nr_syscalls %u: Linux %u.%u's do_syscall_64 runs as compiled, "
                       "with its own NR_syscalls (%u)",
                       m->cfg.nr_syscalls, m->kern->info.major, m->kern->info.minor, nr);
    if (m->cfg.nr_syscalls == 0 && nr > 0)
        m->cfg.nr_syscalls = nr;
    m->kern->info.nr_syscalls = se_config_nr_syscalls(&m->cfg);
    m->kern->info.entry = s.entry;
    m->kern->info.dispatch = s.dispatch;
    if (m->kern->c_entry)
        st = se_kernel_c_checks(m, call + 5);
    else
        st = se_kernel_checks(m, call + 5);
    if (st == SE_OK)
        st = se_kernel_phases(m, call, call + 5, etext_lo, etext_hi);
    /* the entry text's privileged instructions are hooked now; code elsewhere when the block
     * hook first meets it (account.c), as for any code */
    for (uint64_t a = etext_lo; st == SE_OK && a < etext_hi;) {
        size_t got;
        uint8_t *p = se_host_span(m, a, (size_t)(etext_hi - a), &got);
        if (p == NULL || got == 0)
            break;
        st = se_hooks_scan_code(m, a, p, got);
        a += got;
    }
    return st;
}

/* Screen the mapped kernel text for encodings the engine cannot translate (hazard.c): the
 * image is input like any other and may have been crafted. Every function symbol is a start. */
static se_status se_kernel_screen(se_machine *m)
{
    size_t n = se_ksyms_count(m->kern->ksyms), k = 0;
    uint64_t *starts = malloc((n ? n : 1) * sizeof *starts);
    if (starts == NULL)
        return se_fail(m, SE_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        se_ksym s;
        if (se_ksyms_get(m->kern->ksyms, i, &s) && s.flags == 0 && (s.type == 't' || s.type == 'T'))
            starts[k++] = s.addr;
    }
    uint64_t lo, hi;
    se_status st = se_kneed(m, "_text", &lo);
    if (st == SE_OK)
        st = se_kneed(m, "_etext", &hi);
    /* the text mappings (split at the entry text under PTI); rodata, data and the per-CPU area
     * are mapped NX, so the engine faults before translating them (se_kernel_map_image) */
    for (size_t i = 0; i < m->n_maps && st == SE_OK; i++) {
        const se_mapping *mp = &m->maps[i];
        if ((mp->flags & SE_MAP_WRITE) || ((mp->flags & SE_MAP_NOEXEC) && m->be.engine_nx) ||
            mp->va < lo || mp->va >= hi)
            continue;
        st = se_be_st(m, se_be_hazards_screen_flow(&m->be, mp->va, mp->size, starts, k));
        /* what the flow does not reach (an indirect branch into the middle of an
         * instruction, rodata on a page shared with text) is screened as it is translated */
        if (st == SE_OK)
            st = se_be_st(m, se_be_screen_translation(&m->be, mp->va, mp->size));
    }
    free(starts);
    return st;
}

se_status se_load_kernel_image(se_machine *m, const void *image, size_t len,
                               const se_kernel_opts *opts)
{
    if (m == NULL)
        return SE_ERR_INVALID_ARG;
    m->err[0] = '\0';
    if (image == NULL || len == 0)
        return se_fail(m, SE_ERR_INVALID_ARG, "image must be non-NULL and non-empty");
    if (se_refuse_in_callback(m, "se_load_kernel_image") != SE_OK)
        return SE_ERR_STATE;
    if (m->sym.loaded || m->kern != NULL)
        return se_fail(m, SE_ERR_STATE,
                       "entry code is already loaded: create the machine with SE_ENTRY_NONE "
                       "and load one kernel image into it");
    /* the XENPV alternatives send a Xen PV guest's exits into hypercalls (the
     * xenpv_restore_regs_and_return_to_usermode path), which need a hypervisor */
    if (m->cfg.xen_pv)
        return se_fail(m, SE_ERR_UNSUPPORTED,
                       "a kernel image cannot run as a Xen PV guest here: its exits are "
                       "hypercalls into Xen, which the machine does not model");
    /* the image's own checks run (in assembly, or in C from 6.7): there is nothing to disable */
    if (m->cfg.disabled_checks != 0)
        return se_fail(m, SE_ERR_UNSUPPORTED,
                       "se_config.disabled_checks applies to the built-in rebuild: a kernel "
                       "image runs its own checks");
    if (opts != NULL && (opts->features & ~SE_KERNEL_FEAT_ALL) != 0)
        return se_fail(m, SE_ERR_INVALID_ARG, "unknown kernel features 0x%x",
                       opts->features & ~SE_KERNEL_FEAT_ALL);
    if (opts != NULL && opts->symbols != NULL && opts->symbols_len == 0)
        return se_fail(m, SE_ERR_INVALID_ARG, "opts->symbols_len is 0");
    char err[200] = "";
    uint8_t *elf = NULL;
    size_t elf_len = 0;
    se_status st = se_kimage_decompress(image, len, &elf, &elf_len, err, sizeof err);
    if (st != SE_OK)
        return se_fail(m, st, "kernel image: %s", err);
    se_vmlinux vm;
    st = se_vmlinux_open(elf, elf_len, &vm, err, sizeof err);
    if (st != SE_OK) {
        free(elf);
        return se_fail(m, st, "kernel image: %s", err);
    }
    /* 6.1-6.6 keep the SYSRET checks in assembly after do_syscall_64; from 6.7 they are C
     * inside it and it runs for real. Which releases load is decided by the alternatives'
     * feature numbers the loader knows (6.1 and 6.12, se_kernel_alternatives). */
    if (se_kalt_feature_number(vm.major, vm.minor, SE_KF_PTI) < 0) {
        st = se_fail(m, SE_ERR_UNSUPPORTED,
                     vm.major == 0 ? "kernel image: no Linux version banner found"
                                   : "kernel image: Linux %u.%u: not supported (the loader "
                                     "runs Linux 6.1 and 6.12: its X86_FEATURE numbers, which "
                                     "the alternatives need, are tabulated for those)",
                     vm.major, vm.minor);
        se_vmlinux_close(&vm);
        free(elf);
        return st;
    }
    m->kern = calloc(1, sizeof *m->kern);
    if (m->kern == NULL) {
        se_vmlinux_close(&vm);
        free(elf);
        return se_fail(m, SE_ERR_NOMEM, "out of memory");
    }
    snprintf(m->kern->info.release, sizeof m->kern->info.release, "%s", vm.release);
    m->kern->info.major = vm.major;
    m->kern->info.minor = vm.minor;
    m->kern->c_entry = vm.minor >= 7;
    const se_vmlinux_section *text = se_vmlinux_section_by_name(&vm, ".text");
    if (opts != NULL && opts->symbols != NULL) {
        uint64_t slide = 0;
        st = se_ksyms_from_map(opts->symbols, opts->symbols_len, text ? text->addr : 0,
                               &m->kern->ksyms, &slide, err, sizeof err);
    } else {
        st = se_ksyms_from_vmlinux(&vm, &m->kern->ksyms, err, sizeof err);
    }
    if (st != SE_OK)
        st = se_fail(m, st, "kernel image: symbols: %s", err);
    else
        m->kern->info.symbols = se_ksyms_count(m->kern->ksyms);
    if (st == SE_OK)
        st = se_kernel_map_image(m, &vm);
    if (st == SE_OK)
        st = se_kernel_bugs(m, &vm);
    if (st == SE_OK)
        st = se_kernel_percpu(m, &vm);
    if (st == SE_OK)
        st = se_kernel_entry(m, &vm, opts != NULL ? opts->features : 0);
    if (st == SE_OK)
        st = se_kernel_screen(m);
    se_vmlinux_close(&vm);
    free(elf);
    if (st != SE_OK)
        return st;
    m->arch.lstar = m->sym.entry;
    m->code_gen++;
    m->price_gen++;
    return se_install_dispatch_hook(m, m->kern->c_entry ? m->kern->sys_call : m->sym.dispatch);
}

bool se_kernel_c_entry(const se_machine *m)
{
    return m->kern != NULL && m->kern->c_entry;
}

se_status se_kernel_info_get(se_machine *m, se_kernel_info *out)
{
    if (m == NULL)
        return SE_ERR_INVALID_ARG;
    m->err[0] = '\0';
    if (out == NULL)
        return se_fail(m, SE_ERR_INVALID_ARG, "out is NULL");
    if (m->kern == NULL || !m->sym.loaded)
        return se_fail(m, SE_ERR_STATE, "no kernel image is loaded");
    *out = m->kern->info;
    return SE_OK;
}

const char *se_kernel_symbol(se_machine *m, uint64_t addr, uint64_t *offset)
{
    uint64_t off = 0;
    const char *name = m != NULL ? se_kernel_symbolize(m, addr, &off) : NULL;
    if (offset != NULL)
        *offset = name != NULL ? off : 0;
    return name;
}

se_status se_kernel_lookup(se_machine *m, const char *name, uint64_t *addr)
{
    if (m == NULL)
        return SE_ERR_INVALID_ARG;
    m->err[0] = '\0';
    if (name == NULL || addr == NULL)
        return se_fail(m, SE_ERR_INVALID_ARG, "name and addr must not be NULL");
    if (m->kern == NULL || m->kern->ksyms == NULL)
        return se_fail(m, SE_ERR_STATE, "no kernel image is loaded");
    char type;
    if (!se_ksyms_find(m->kern->ksyms, name, addr, &type))
        return se_fail(m, SE_ERR_NOT_FOUND, "no kernel symbol %s", name);
    return SE_OK;
}

unsigned se_kernel_warning_count(se_machine *m)
{
    return m != NULL && m->kern != NULL ? m->run.n_kwarn : 0;
}

se_status se_kernel_warning_get(se_machine *m, unsigned i, se_kernel_warning *out)
{
    if (m == NULL)
        return SE_ERR_INVALID_ARG;
    m->err[0] = '\0';
    if (out == NULL)
        return se_fail(m, SE_ERR_INVALID_ARG, "out is NULL");
    memset(out, 0, sizeof *out);
    if (m->kern == NULL)
        return se_fail(m, SE_ERR_STATE, "no kernel image is loaded");
    if (i >= m->run.n_kwarn || i >= SE_KWARN_MAX)
        return se_fail(m, SE_ERR_NOT_FOUND, "warning %u: the last run reached %u (%u kept)", i,
                       m->run.n_kwarn, SE_KWARN_MAX);
    const se_kbug *b = se_kbugs_find(&m->kern->bugs, m->run.kwarn[i]);
    out->addr = m->run.kwarn[i];
    out->symbol = se_kernel_symbolize(m, out->addr, &out->offset);
    if (b != NULL) {
        out->file = b->file ? m->kern->bugs.names + b->file : NULL;
        out->line = b->line;
        out->warning = (b->flags & SE_KBUG_WARNING) != 0;
    }
    return SE_OK;
}
