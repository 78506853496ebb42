/*
 * Hooks: where Unicorn hands control back so that the model can do what the engine cannot.
 *
 *  - SYSCALL: Unicorn only calls UC_HOOK_INSN and adds the length to RIP (unicorn-2.0.1 §4);
 *    the whole transition is se_cpu_syscall(), then the engine is moved to CPL0 and RIP is set
 *    to LSTAR - length so that the length Unicorn adds lands exactly on LSTAR.
 *  - privileged instructions in loaded kernel code, found with Zydis and hooked one address
 *    each (§6): the model checks them first. SWAPGS, MOV to CR3/CR4, WRMSR then run natively
 *    (the engine does the same thing, and a MOV to CR3 flushes Unicorn's TLB); RDMSR, SYSRET
 *    and IRETQ are performed by the model and skipped by writing RIP.
 *  - exceptions (UC_HOOK_INTR, unmapped accesses, #UD) become se_fault records; the guest IDT
 *    is never used (§10).
 *  - blocks: instruction counting, the budget, deferred stops (uc_emu_stop is ignored after a
 *    RIP write, §4, so a stop requested then happens at the next block, before it executes).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "entry/layout.h"
#include "machine/machine_int.h"

/* A MOV to CR3 ran with bit 63 stripped from its source register; give the register its
 * value back (the instruction does not change its source). */
void se_cr3_restore_src(se_machine *m)
{
    se_hooked_insn *h = m->cr3_pending;
    if (h == NULL)
        return;
    m->cr3_pending = NULL;
    h->post_pending = false;
    se_be_set(m, h->insn.src_uc_reg, h->saved_src);
}

void se_machine_record_fault(se_machine *m, const se_fault *f)
{
    se_cr3_restore_src(m);
    /* the first exception wins: later ones are consequences of stopping */
    if (m->run.fault.kind == SE_FAULT_NONE)
        m->run.fault = *f;
}

static void se_stop_with_fault(se_machine *m, const se_fault *f)
{
    se_machine_record_fault(m, f);
    m->run.reason = SE_STOP_FAULT;
    uc_emu_stop(m->uc);
}

static void se_hook_block(uc_engine *uc, uint64_t addr, uint32_t size, void *user)
{
    se_machine *m = user;
    (void)uc;
    if (m->tramp_running) {
        if (se_be_tramp_landing(m, addr))
            uc_emu_stop(m->uc); /* a host-side trampoline run ends on its landing pad */
        return;
    }
    if (se_be_is_trampoline(m, addr))
        return; /* the portable CPL switch is not guest work */
    se_be_fix_selectors(m);
    if (m->run.stop_requested) {
        uc_emu_stop(m->uc);
        return;
    }
    const se_block_info *bi = se_account_block(m, addr, size);
    if (bi == NULL) {
        m->run.reason = SE_STOP_BUDGET; /* out of host memory: stop rather than miscount */
        m->run.oom = true;
        uc_emu_stop(m->uc);
        return;
    }
    /* the budget is checked before the block runs, so a run never exceeds it */
    if (m->run.insns + bi->n_insns > m->run.budget) {
        m->run.reason = SE_STOP_BUDGET;
        uc_emu_stop(m->uc);
        return;
    }
    m->run.block_start_insns = m->run.insns;
    m->run.cur_block_end = addr + size;
    m->run.insns += bi->n_insns;
    m->run.cycles += bi->cycles;
    if (bi->single_phase >= 0) {
        m->run.phase_cycles[bi->single_phase] += bi->cycles;
    } else {
        for (int p = 0; p < SE_PHASE_COUNT; p++)
            m->run.phase_cycles[p] += bi->phase_cycles[p];
    }
    m->run.prev_block = m->run.cur_block;
    m->run.cur_block = addr;
    if (m->sym.loaded && addr == m->sym.iret_exit && m->run.in_syscall_path &&
        m->run.iret_from_block == 0)
        m->run.iret_from_block = m->run.prev_block;
}

/* The instruction at rip and the rest of its block did not execute: take them back out. */
void se_uncount_from(se_machine *m, uint64_t rip)
{
    if (rip < m->run.cur_block || rip >= m->run.cur_block_end)
        return;
    se_block_info rest;
    se_account_range(m, rip, m->run.cur_block_end, &rest);
    m->run.insns -= rest.n_insns;
    m->run.cycles -= rest.cycles;
    for (int p = 0; p < SE_PHASE_COUNT; p++)
        m->run.phase_cycles[p] -= rest.phase_cycles[p];
    m->run.cur_block_end = rip;
}

static void se_fault_at(se_machine *m, uint8_t vector, uint32_t code, bool has_code, uint64_t rip,
                        se_fault *f)
{
    memset(f, 0, sizeof *f);
    f->kind = SE_FAULT_FAULT;
    f->vector = vector;
    f->error_code = code;
    f->has_error_code = has_code;
    f->rip = rip;
    f->cpl = m->arch.cpl;
}

/* Commit a model result (privileged part) and continue at its RIP with the engine agreeing. */
static void se_commit_transfer(se_machine *m, const se_cpu_state *st, unsigned hook_len)
{
    m->arch.cpl = st->cpl;
    m->arch.regs.cs = st->regs.cs;
    m->arch.regs.ss = st->regs.ss;
    m->arch.cs_cache = st->cs_cache;
    m->arch.ss_cache = st->ss_cache;
    m->arch.ds = st->ds, m->arch.es = st->es, m->arch.fs = st->fs, m->arch.gs = st->gs;
    m->arch.ds_ar = st->ds_ar, m->arch.es_ar = st->es_ar;
    m->arch.fs_ar = st->fs_ar, m->arch.gs_ar = st->gs_ar;
    se_be_transfer(m, st->regs.rip, hook_len, true);
}

/* The first SYSRET/IRETQ of a syscall path decides which exit it took. */
static void se_note_exit(se_machine *m, se_exit_path path)
{
    if (m->run.in_syscall_path && !m->run.exit_seen) {
        m->run.exit_seen = true;
        m->run.exit_path = path;
    }
}

/* A SYSRET/IRETQ was reached: the kernel chose that exit, whatever the model then decides
 * (a #GP from it must not hide which exit was taken). */
static void se_note_chosen(se_machine *m, se_exit_path path)
{
    if (m->run.in_syscall_path)
        m->run.exit_chosen = path;
}

static void se_after_user_return(se_machine *m)
{
    m->run.user_returns++;
    if (m->run.user_returns_limit != 0 && m->run.user_returns >= m->run.user_returns_limit) {
        m->run.reason = SE_STOP_USER_RETURN;
        m->run.stop_requested = true;
    }
}

/* ---- SYSCALL --------------------------------------------------------------------------- */

static void se_hook_syscall(uc_engine *uc, void *user)
{
    se_machine *m = user;
    (void)uc;
    se_cpu_state st;
    se_machine_snapshot_state(m, &st);
    uint8_t buf[16];
    unsigned len = 2;
    se_insn in;
    if (uc_mem_read(m->uc, st.regs.rip, buf, 2) == UC_ERR_OK &&
        se_decode_one(buf, 2, st.regs.rip, &in) == SE_OK)
        len = in.len;
    else if (uc_mem_read(m->uc, st.regs.rip, buf, sizeof buf) == UC_ERR_OK &&
             se_decode_one(buf, sizeof buf, st.regs.rip, &in) == SE_OK)
        len = in.len; /* prefixed SYSCALL: Unicorn adds the full length (§4) */
    m->run.syscalls++;
    se_fault f;
    memset(&f, 0, sizeof f);
    se_fault_kind k = se_cpu_syscall(&m->feat, &st, len, &f);
    if (k == SE_FAULT_FAULT) {
        se_uncount_from(m, f.rip);
        se_stop_with_fault(m, &f);
        return;
    }
    m->run.entered_kernel = true;
    se_be_set(m, UC_X86_REG_RCX, st.regs.rcx);
    se_be_set(m, UC_X86_REG_R11, st.regs.r11);
    se_be_set(m, UC_X86_REG_RFLAGS, st.regs.rflags);
    se_commit_transfer(m, &st, len);
    if (k == SE_FAULT_TRAP) {
        /* SYSCALL-10: the #DB comes at CPL0 before the first instruction at LSTAR */
        se_machine_record_fault(m, &f);
        m->run.reason = SE_STOP_FAULT;
        m->run.stop_requested = true;
    }
}

/* ---- privileged instructions in kernel code --------------------------------------------- */

static bool se_desc_read(void *ctx, uint16_t sel, uint64_t *desc)
{
    se_machine *m = ctx;
    uc_x86_mmr gdtr;
    if (sel & SE_SEL_TI)
        return false; /* no LDT in this machine */
    if (uc_reg_read(m->uc, UC_X86_REG_GDTR, &gdtr) != UC_ERR_OK)
        return false;
    uint32_t idx = sel & ~7u;
    if (idx + 7 > gdtr.limit)
        return false;
    return uc_mem_read(m->uc, gdtr.base + idx, desc, 8) == UC_ERR_OK;
}

/* Read `len` bytes of the current stack as a CPL0 access would, faulting like the CPU. */
static bool se_read_stack(se_machine *m, uint64_t va, void *buf, size_t len, se_fault *f)
{
    for (uint64_t a = va & ~0xFFFull; a < va + len; a += 0x1000) {
        uint64_t probe = a < va ? va : a;
        se_walk(m, probe, SE_ACCESS_READ, m->arch.cpl, 0, NULL, f);
        if (f->kind != SE_FAULT_NONE)
            return false;
    }
    return uc_mem_read(m->uc, va, buf, len) == UC_ERR_OK;
}

static void se_do_iretq(se_machine *m, se_hooked_insn *h, se_cpu_state *st)
{
    se_note_chosen(m, SE_EXIT_IRET);
    se_fault f;
    memset(&f, 0, sizeof f);
    uint64_t slots[5];
    if (!se_read_stack(m, st->regs.rsp, slots, sizeof slots, &f)) {
        f.rip = h->insn.addr;
        f.cpl = m->arch.cpl;
        se_uncount_from(m, f.rip);
        se_stop_with_fault(m, &f);
        return;
    }
    se_iret_frame fr = {slots[0], slots[1], slots[2], slots[3], slots[4]};
    se_fault_kind k = se_cpu_iretq(&m->feat, st, &fr, se_desc_read, m, &f);
    if (k == SE_FAULT_FAULT) {
        se_uncount_from(m, f.rip);
        se_stop_with_fault(m, &f);
        return;
    }
    se_note_exit(m, SE_EXIT_IRET);
    se_be_set(m, UC_X86_REG_RSP, st->regs.rsp);
    se_be_set(m, UC_X86_REG_RFLAGS, st->regs.rflags);
    se_commit_transfer(m, st, 0);
    if (st->cpl == 3)
        se_after_user_return(m);
}

static void se_do_sysret(se_machine *m, se_hooked_insn *h, se_cpu_state *st)
{
    se_note_chosen(m, SE_EXIT_SYSRET);
    se_fault f;
    memset(&f, 0, sizeof f);
    unsigned width = h->insn.kind == SE_INSN_SYSRET64 ? 64 : 32;
    se_fault_kind k = se_cpu_sysret(&m->feat, st, width, &f);
    if (k == SE_FAULT_FAULT) {
        /* e.g. SYSRET-3: Intel #GP(0) at CPL0 with the user RSP and GS already loaded */
        se_uncount_from(m, f.rip);
        se_stop_with_fault(m, &f);
        return;
    }
    se_note_exit(m, SE_EXIT_SYSRET);
    se_be_set(m, UC_X86_REG_RFLAGS, st->regs.rflags);
    se_commit_transfer(m, st, 0);
    if (k == SE_FAULT_TRAP) {
        /* SYSRET-9: the single-step #DB is taken at CPL3 before any user instruction */
        se_machine_record_fault(m, &f);
        m->run.reason = SE_STOP_FAULT;
        m->run.stop_requested = true;
        m->run.user_returns++;
        return;
    }
    se_after_user_return(m);
}

/* A stop address on a hooked instruction: the run stops before it, so it must not act. */
static bool se_is_stop_address(const se_machine *m, uint64_t addr)
{
    for (unsigned i = 0; m->run.opts != NULL && i < m->run.opts->n_stop_at; i++)
        if (m->run.opts->stop_at[i] == addr)
            return true;
    return false;
}

static void se_hook_priv(uc_engine *uc, uint64_t addr, uint32_t size, void *user)
{
    se_hooked_insn *h = user;
    se_machine *m = h->m;
    (void)uc;
    (void)size;
    if (m->run.reason != SE_STOP_NONE || se_is_stop_address(m, addr))
        return;
    se_trace_begin(m, addr);
    /* Most of these instructions read two or three registers: the model's privileged state
     * is already in m->arch, and only SYSRET/IRETQ need the whole register file (reading it
     * was a measurable share of the hot path, docs/performance.md). */
    se_cpu_state st = m->arch;
    st.regs.rip = addr;
    switch (h->insn.kind) {
    case SE_INSN_SYSRET64:
    case SE_INSN_SYSRET32:
    case SE_INSN_IRETQ:
        se_machine_snapshot_state(m, &st);
        st.regs.rip = addr;
        break;
    case SE_INSN_SWAPGS:
        st.regs.gs_base = se_be_get(m, UC_X86_REG_GS_BASE);
        break;
    case SE_INSN_WRMSR:
    case SE_INSN_RDMSR:
        st.regs.rcx = se_be_get(m, UC_X86_REG_RCX);
        st.regs.rax = se_be_get(m, UC_X86_REG_RAX);
        st.regs.rdx = se_be_get(m, UC_X86_REG_RDX);
        st.regs.fs_base = se_be_get(m, UC_X86_REG_FS_BASE);
        st.regs.gs_base = se_be_get(m, UC_X86_REG_GS_BASE);
        break;
    default:
        break;
    }
    se_fault f;
    memset(&f, 0, sizeof f);
    se_fault_kind k = SE_FAULT_NONE;
    switch (h->insn.kind) {
    case SE_INSN_SWAPGS:
        k = se_cpu_swapgs(&m->feat, &st, &f);
        if (k == SE_FAULT_NONE)
            m->arch.kernel_gs_base = st.kernel_gs_base; /* the engine swaps its own copy */
        break;
    case SE_INSN_MOV_TO_CR3: {
        uint64_t src = se_be_get(m, h->insn.src_uc_reg);
        se_cr3_effect eff;
        k = se_cpu_mov_to_cr3(&m->feat, &st, src, &m->tlb, &eff, &f);
        if (k == SE_FAULT_NONE) {
            se_account_charge(m, addr,
                              eff.noflush ? SE_COST_MOV_CR3_NOFLUSH : SE_COST_MOV_CR3_FLUSH);
            m->arch.cr3 = st.cr3;
            /* The engine would store bit 63 verbatim (EMU-10), and its 5-level walk does not
             * ignore it: hand it the architectural value, i.e. without the no-flush bit, and
             * restore the register at the next instruction. */
            if (src != st.cr3) {
                h->saved_src = src;
                h->post_pending = true;
                m->cr3_pending = h;
                se_be_set(m, h->insn.src_uc_reg, st.cr3);
            }
        }
        break;
    }
    case SE_INSN_MOV_TO_CR4:
        k = se_cpu_mov_to_cr4(&m->feat, &st, se_be_get(m, h->insn.src_uc_reg), &m->tlb, &f);
        if (k == SE_FAULT_NONE)
            m->arch.cr4 = st.cr4;
        break;
    case SE_INSN_MOV_TO_CR0:
        if (m->arch.cpl != 0) {
            se_cpu_make_fault(&st, SE_VEC_GP, 0, true, &f);
            k = SE_FAULT_FAULT;
        } else {
            m->arch.cr0 = se_be_get(m, h->insn.src_uc_reg);
        }
        break;
    case SE_INSN_WRMSR: {
        uint32_t msr = (uint32_t)st.regs.rcx;
        uint64_t v = (st.regs.rdx << 32) | (uint32_t)st.regs.rax;
        k = se_msr_wrmsr(&m->feat, &st, msr, v, &f);
        if (k == SE_FAULT_NONE) {
            se_account_charge(
                m, addr, msr == SE_MSR_IA32_SPEC_CTRL ? SE_COST_WRMSR_SPEC_CTRL : SE_COST_WRMSR);
            uint64_t gs = m->arch.regs.gs_base, fs = m->arch.regs.fs_base;
            m->arch = st;
            m->arch.regs.gs_base = gs, m->arch.regs.fs_base = fs;
            /* FS/GS/KERNEL_GS_BASE: the native WRMSR that follows updates the engine too */
        }
        break;
    }
    case SE_INSN_RDMSR: {
        uint64_t v = 0;
        k = se_msr_rdmsr(&m->feat, &st, (uint32_t)st.regs.rcx, &v, &f);
        if (k == SE_FAULT_NONE) {
            /* the engine would answer 0 for SPEC_CTRL and drop EFER.SCE: answer ourselves */
            se_be_set(m, UC_X86_REG_RAX, (uint32_t)v);
            se_be_set(m, UC_X86_REG_RDX, v >> 32);
            se_be_set(m, UC_X86_REG_RIP, addr + h->insn.len);
        }
        break;
    }
    case SE_INSN_SYSRET64:
    case SE_INSN_SYSRET32:
        se_do_sysret(m, h, &st);
        return;
    case SE_INSN_IRETQ:
        se_do_iretq(m, h, &st);
        return;
    case SE_INSN_HLT:
        if (m->arch.cpl == 0) {
            m->run.reason = SE_STOP_HLT;
            uc_emu_stop(m->uc);
            return;
        }
        break; /* the engine raises #GP at CPL3 itself */
    default:
        break;
    }
    if (k == SE_FAULT_FAULT) {
        se_uncount_from(m, addr);
        se_stop_with_fault(m, &f);
    }
}

/* Runs at the instruction after a MOV to CR3 whose source had the no-flush bit. */
static void se_hook_cr3_post(uc_engine *uc, uint64_t addr, uint32_t size, void *user)
{
    se_hooked_insn *h = user;
    (void)uc;
    (void)addr;
    (void)size;
    if (h->post_pending && h->m->cr3_pending == h)
        se_cr3_restore_src(h->m);
}

se_status se_hooks_scan_code(se_machine *m, uint64_t va, const uint8_t *code, size_t len)
{
    for (size_t off = 0; off < len;) {
        se_insn in;
        if (se_decode_one(code + off, len - off, va + off, &in) != SE_OK) {
            /* data inside a code section (a VERW operand, a jump table): step over it */
            off++;
            continue;
        }
        off += in.len;
        if (!se_insn_is_hooked(in.kind) && in.kind != SE_INSN_HLT)
            continue;
        if (m->n_hooked == m->cap_hooked) {
            size_t cap = m->cap_hooked ? 2 * m->cap_hooked : 16;
            se_hooked_insn **n = realloc(m->hooked, cap * sizeof *n);
            if (n == NULL)
                return se_fail(m, SE_ERR_NOMEM, "out of memory for hooks");
            m->hooked = n;
            m->cap_hooked = cap;
        }
        se_hooked_insn *h = calloc(1, sizeof *h);
        if (h == NULL)
            return se_fail(m, SE_ERR_NOMEM, "out of memory for hooks");
        h->m = m;
        h->insn = in;
        m->hooked[m->n_hooked++] = h;
        if (uc_hook_add(m->uc, &h->pre, UC_HOOK_CODE, se_uc_cb((se_uc_fn)se_hook_priv), h, in.addr,
                        in.addr) != UC_ERR_OK)
            return se_fail(m, SE_ERR_BACKEND, "cannot hook 0x%" PRIx64, in.addr);
        if (in.kind == SE_INSN_MOV_TO_CR3) {
            uint64_t next = in.addr + in.len;
            if (uc_hook_add(m->uc, &h->post, UC_HOOK_CODE, se_uc_cb((se_uc_fn)se_hook_cr3_post), h,
                            next, next) != UC_ERR_OK)
                return se_fail(m, SE_ERR_BACKEND, "cannot hook 0x%" PRIx64, next);
        }
    }
    return SE_OK;
}

/* ---- exceptions ------------------------------------------------------------------------ */

/* #PF error code and CR2 for a fault at `rip`: our walker decides (the engine's own error
 * code is only in its private state, and its fetch-fault CR2 is wrong, §10). */
static void se_page_fault_info(se_machine *m, uint64_t rip, uint64_t cr2_engine, se_fault *out)
{
    se_fault f;
    /* instruction fetch: any byte of the (up to 15-byte) instruction */
    for (uint64_t a = rip; a < rip + 15; a = (a | 0xFFF) + 1) {
        se_walk(m, a, SE_ACCESS_FETCH, m->arch.cpl, 0, NULL, &f);
        if (f.kind != SE_FAULT_NONE) {
            uint8_t buf[16];
            se_insn in;
            /* a fetch fault on a later page only matters if the instruction reaches it */
            bool reaches = a == rip ||
                           uc_mem_read(m->uc, rip, buf, (size_t)(a - rip)) != UC_ERR_OK ||
                           se_decode_one(buf, (size_t)(a - rip), rip, &in) != SE_OK;
            if (reaches) {
                *out = f;
                return;
            }
            break;
        }
    }
    uint8_t buf[16];
    se_insn in;
    bool reads = true;
    if (uc_mem_read(m->uc, rip, buf, sizeof buf) == UC_ERR_OK &&
        se_decode_one(buf, sizeof buf, rip, &in) == SE_OK)
        reads = in.mem_read || !in.mem_write;
    if (reads) {
        se_walk(m, cr2_engine, SE_ACCESS_READ, m->arch.cpl, 0, NULL, &f);
        if (f.kind != SE_FAULT_NONE) {
            *out = f;
            return;
        }
    }
    se_walk(m, cr2_engine, SE_ACCESS_WRITE, m->arch.cpl, 0, NULL, &f);
    if (f.kind != SE_FAULT_NONE) {
        *out = f;
        return;
    }
    /* the engine faulted where our tables allow the access: report what it computed */
    memset(out, 0, sizeof *out);
    out->kind = SE_FAULT_FAULT;
    out->vector = SE_VEC_PF;
    out->has_error_code = true;
    out->cr2 = cr2_engine;
    uint32_t code;
    if (se_be_last_error_code(m, &code))
        out->error_code = code;
}

static void se_hook_intr(uc_engine *uc, uint32_t intno, void *user)
{
    se_machine *m = user;
    (void)uc;
    uint64_t rip = se_be_get(m, UC_X86_REG_RIP);
    se_fault f;
    switch (intno) {
    case SE_VEC_PF:
        se_page_fault_info(m, rip, se_be_get(m, UC_X86_REG_CR2), &f);
        f.rip = rip;
        f.cpl = m->arch.cpl;
        f.kind = SE_FAULT_FAULT;
        m->arch.cr2 = f.cr2;
        break;
    case SE_VEC_DB:
    case SE_VEC_BP:
        /* traps: RIP already points after the instruction */
        se_fault_at(m, (uint8_t)intno, 0, false, rip, &f);
        f.kind = SE_FAULT_TRAP;
        break;
    case SE_VEC_GP:
    case SE_VEC_SS:
    case SE_VEC_NP:
    case SE_VEC_DF: {
        uint32_t code = 0;
        se_be_last_error_code(m, &code);
        se_fault_at(m, (uint8_t)intno, code, true, rip, &f);
        break;
    }
    default:
        se_fault_at(m, (uint8_t)(intno & 0xFF), 0, false, rip, &f);
        /* no device raises vectors 32..255 here, so they come from INT n, which completes
         * before the handler runs: RIP already points after it */
        if (intno >= 32)
            f.kind = SE_FAULT_SOFTWARE_INT;
        break;
    }
    if (f.kind == SE_FAULT_FAULT)
        se_uncount_from(m, rip);
    se_stop_with_fault(m, &f);
}

static bool se_hook_unmapped(uc_engine *uc, uc_mem_type type, uint64_t addr, int size,
                             int64_t value, void *user)
{
    se_machine *m = user;
    (void)uc;
    (void)size;
    (void)value;
    uint64_t rip = se_be_get(m, UC_X86_REG_RIP);
    se_access acc = type == UC_MEM_WRITE_UNMAPPED   ? SE_ACCESS_WRITE
                    : type == UC_MEM_FETCH_UNMAPPED ? SE_ACCESS_FETCH
                                                    : SE_ACCESS_READ;
    se_fault f;
    se_walk(m, addr, acc, m->arch.cpl, 0, NULL, &f);
    if (f.kind == SE_FAULT_NONE) {
        /* mapped in our tables but not in the engine: cannot happen by construction */
        se_fault_at(m, SE_VEC_PF, SE_PF_P, true, rip, &f);
        f.cr2 = addr;
    }
    if (acc == SE_ACCESS_FETCH)
        rip = addr;
    f.rip = rip;
    f.cpl = m->arch.cpl;
    if (f.vector == SE_VEC_PF)
        m->arch.cr2 = f.cr2;
    se_uncount_from(m, rip);
    se_stop_with_fault(m, &f);
    return false;
}

static bool se_hook_invalid(uc_engine *uc, void *user)
{
    se_machine *m = user;
    (void)uc;
    uint64_t rip = se_be_get(m, UC_X86_REG_RIP);
    se_fault f;
    se_fault_at(m, SE_VEC_UD, 0, false, rip, &f);
    uint8_t buf[16];
    se_insn in;
    if (uc_mem_read(m->uc, rip, buf, sizeof buf) == UC_ERR_OK &&
        se_decode_one(buf, sizeof buf, rip, &in) == SE_OK &&
        (in.kind == SE_INSN_SYSRET64 || in.kind == SE_INSN_SYSRET32)) {
        /* the engine's SYSRET is always #UD (no EFER.SCE, §3): the model decides, e.g.
         * #GP(0) for SYSRET at CPL3 (SYSRET-2) */
        se_note_chosen(m, SE_EXIT_SYSRET);
        se_cpu_state st;
        se_machine_snapshot_state(m, &st);
        st.regs.rip = rip;
        se_fault mf;
        memset(&mf, 0, sizeof mf);
        if (se_cpu_sysret(&m->feat, &st, in.kind == SE_INSN_SYSRET64 ? 64 : 32, &mf) ==
            SE_FAULT_FAULT)
            f = mf;
    }
    se_uncount_from(m, rip);
    se_stop_with_fault(m, &f);
    return true;
}

/* ---- installation ---------------------------------------------------------------------- */

se_status se_hooks_install_global(se_machine *m)
{
    if (uc_hook_add(m->uc, &m->h_syscall, UC_HOOK_INSN, se_uc_cb((se_uc_fn)se_hook_syscall), m, 1,
                    0, UC_X86_INS_SYSCALL) != UC_ERR_OK ||
        uc_hook_add(m->uc, &m->h_block, UC_HOOK_BLOCK, se_uc_cb((se_uc_fn)se_hook_block), m, 1,
                    0) != UC_ERR_OK ||
        uc_hook_add(m->uc, &m->h_intr, UC_HOOK_INTR, se_uc_cb((se_uc_fn)se_hook_intr), m, 1, 0) !=
            UC_ERR_OK ||
        uc_hook_add(m->uc, &m->h_unmapped, UC_HOOK_MEM_UNMAPPED,
                    se_uc_cb((se_uc_fn)se_hook_unmapped), m, 1, 0) != UC_ERR_OK ||
        uc_hook_add(m->uc, &m->h_invalid, UC_HOOK_INSN_INVALID, se_uc_cb((se_uc_fn)se_hook_invalid),
                    m, 1, 0) != UC_ERR_OK)
        return se_fail(m, SE_ERR_BACKEND, "cannot install the engine hooks");
    return SE_OK;
}

void se_hooks_free(se_machine *m)
{
    for (size_t i = 0; i < m->n_hooked; i++)
        free(m->hooked[i]);
    free(m->hooked);
    m->hooked = NULL;
    m->n_hooked = m->cap_hooked = 0;
}
