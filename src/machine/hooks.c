/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Hooks: where Unicorn hands control back so that the model can do what the engine cannot.
 *
 *  - SYSCALL: Unicorn only calls UC_HOOK_INSN and adds the length to RIP (docs/machine.md, engine
 * limitations); the whole transition is se_cpu_syscall(), then the engine is moved to CPL0 and RIP
 * is set to LSTAR - length so that the length Unicorn adds lands exactly on LSTAR.
 *  - privileged instructions in loaded kernel code, found with Zydis and hooked one address
 *    each (§6): the model checks them first. SWAPGS, MOV to CR0/CR3/CR4, WRMSR then run
 *    natively (the engine does the same thing, and a MOV to CR3 flushes Unicorn's TLB; the
 *    engine has no CR0 #GP and would leave 64-bit mode instead, issue 9); RDMSR, SYSRET and
 *    IRETQ are performed by the model and skipped by writing RIP.
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

static void se_hook_refresh(se_machine *m, se_hooked_insn *h, uint64_t addr);

/* A MOV to CR3 ran with bit 63 stripped from its source register, or a MOV to CR0 with its
 * undefined bits cleared; give the register its value back (the instruction does not change
 * its source). */
void se_cr_restore_src(se_machine *m)
{
    se_hooked_insn *h = m->cr_pending;
    if (h == NULL)
        return;
    m->cr_pending = NULL;
    h->post_pending = false;
    se_be_set(m, h->insn.src_uc_reg, h->saved_src);
}

void se_machine_record_fault(se_machine *m, const se_fault *f)
{
    se_cr_restore_src(m);
    /* the first exception wins: later ones are consequences of stopping */
    if (m->run.fault.kind == SE_FAULT_NONE)
        m->run.fault = *f;
}

static void se_stop_with_fault(se_machine *m, const se_fault *f)
{
    se_machine_record_fault(m, f);
    m->run.reason = SE_STOP_FAULT;
    uc_emu_stop(m->be.uc);
}

static void se_hook_block(uc_engine *uc, uint64_t addr, uint32_t size, void *user)
{
    se_machine *m = user;
    (void)uc;
    if (m->be.tramp_running) {
        if (se_be_tramp_landing(&m->be, addr))
            uc_emu_stop(m->be.uc); /* a host-side trampoline run ends on its landing pad */
        return;
    }
    if (se_be_is_trampoline(&m->be, addr))
        return; /* the portable CPL switch is not guest work */
    se_be_fix_selectors(&m->be);
    /* checked even when stopping here: the engine has translated it, and the machine must
     * know every translation it has made (account.c) */
    const se_block_info *bi = NULL;
    se_block_verdict v = se_account_block(m, addr, size, &bi);
    if (m->run.stop_requested) {
        uc_emu_stop(m->be.uc);
        return;
    }
    switch (v) {
    case SE_BLOCK_RUN:
        break;
    case SE_BLOCK_RESTART:
        /* stopped before its first instruction; the run loop starts again here and the
         * engine translates the bytes in memory now, with every hook in place */
        m->run.restart = true;
        m->run.restart_at = addr;
        uc_emu_stop(m->be.uc);
        return;
    case SE_BLOCK_ERROR:
    default:
        if (m->run.error == SE_OK)
            m->run.error = SE_ERR_BACKEND;
        uc_emu_stop(m->be.uc);
        return;
    }
    se_fault pf;
    if (se_be_block_paging_fault(&m->be, addr, size, &pf)) {
        /* fetched through a kernel-root translation while the user root is live */
        pf.rip = addr;
        pf.cpl = m->arch.cpl;
        m->arch.cr2 = pf.cr2;
        se_stop_with_fault(m, &pf);
        return;
    }
    /* the budget is checked before the block runs, so a run never exceeds it; a block
     * counts at least one instruction, so that no loop is ever free */
    uint32_t n = bi->n_insns ? bi->n_insns : 1;
    if (m->run.insns + n > m->run.budget) {
        m->run.reason = SE_STOP_BUDGET;
        uc_emu_stop(m->be.uc);
        return;
    }
    m->run.block_start_insns = m->run.insns;
    m->run.cur_block_end = addr + size;
    m->run.insns += n;
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

/* The privileged part of a model result, into m->arch. */
static void se_commit_arch(se_machine *m, const se_cpu_state *st)
{
    m->arch.cpl = st->cpl;
    m->arch.regs.cs = st->regs.cs;
    m->arch.regs.ss = st->regs.ss;
    m->arch.cs_cache = st->cs_cache;
    m->arch.ss_cache = st->ss_cache;
    m->arch.ds = st->ds, m->arch.es = st->es, m->arch.fs = st->fs, m->arch.gs = st->gs;
    m->arch.ds_ar = st->ds_ar, m->arch.es_ar = st->es_ar;
    m->arch.fs_ar = st->fs_ar, m->arch.gs_ar = st->gs_ar;
}

/* SYSRET and IRETQ: the registers were read (se_machine_snapshot_state) in this hook and the
 * engine not touched since, so the transfer reuses that copy of the CPU state (backend.c). */
static void se_commit_return(se_machine *m, const se_cpu_state *st)
{
    se_commit_arch(m, st);
    (void)se_be_st(m, se_be_transfer_read(&m->be, st->regs.rip, st->regs.rsp, st->regs.rflags));
    se_be_exits_sync(&m->be); /* another CPL: other exits are fetchable (hazard.c) */
    m->run.ret_regs_valid = st->cpl == 3 && m->be.use_surgery;
    if (m->run.ret_regs_valid)
        m->run.ret_regs = st->regs;
}

/* Commit a model result (privileged part) and continue at its RIP with the engine agreeing. */
static void se_commit_transfer(se_machine *m, const se_cpu_state *st, unsigned hook_len)
{
    se_commit_arch(m, st);
    (void)se_be_st(m, se_be_transfer(&m->be, st->regs.rip, hook_len, true));
    se_be_exits_sync(&m->be); /* another CPL: other exits are fetchable (hazard.c) */
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
    /* SYSCALL reads RIP and RFLAGS and writes RCX, R11, RFLAGS, RIP and the privileged state
     * (se_cpu_syscall): the rest of the register file stays in the engine */
    se_cpu_state st = m->arch;
    st.regs.rip = se_be_get(m, UC_X86_REG_RIP);
    st.regs.rflags = se_be_get(m, UC_X86_REG_RFLAGS);
    uint8_t buf[16];
    unsigned len = 2;
    se_insn in;
    /* the bytes through the machine's own host pointer: the engine's uc_mem_read walks its
     * memory regions (a measurable share of a call on 2.1.1) */
    const uint8_t *host = se_host_ptr(m, st.regs.rip, 2);
    if (host != NULL && host[0] == 0x0F && host[1] == 0x05)
        len = 2; /* the plain encoding: nothing to decode */
    else if (uc_mem_read(m->be.uc, st.regs.rip, buf, sizeof buf) == UC_ERR_OK &&
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
    if (uc_reg_read(m->be.uc, UC_X86_REG_GDTR, &gdtr) != UC_ERR_OK)
        return false;
    uint32_t idx = sel & ~7u;
    if (idx + 7 > gdtr.limit)
        return false;
    return uc_mem_read(m->be.uc, gdtr.base + idx, desc, 8) == UC_ERR_OK;
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
    return uc_mem_read(m->be.uc, va, buf, len) == UC_ERR_OK;
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
    se_commit_return(m, st);
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
    se_commit_return(m, st);
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

/* The model performed the instruction: continue after it. Writing RIP leaves the translated
 * block there, so the rest of the block, counted when it began, does not run now. */
static void se_skip_insn(se_machine *m, const se_hooked_insn *h, uint64_t addr)
{
    se_uncount_from(m, addr + h->insn.len);
    se_be_set(m, UC_X86_REG_RIP, addr + h->insn.len);
}

/* The native MOV to CRn that follows the hook must load `value`, not the program's `src`:
 * put it in the source register and give the register its value back at the next
 * instruction (the instruction does not change its source). */
static void se_give_engine_cr_value(se_machine *m, se_hooked_insn *h, uint64_t src, uint64_t value)
{
    if (src == value)
        return;
    h->saved_src = src;
    h->post_pending = true;
    m->cr_pending = h;
    se_be_set(m, h->insn.src_uc_reg, value);
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
    if (m->run.reason != SE_STOP_NONE || m->run.error != SE_OK || se_is_stop_address(m, addr))
        return;
    /* the bytes here changed since the hook was made and are no longer an instruction the
     * machine acts on (the block hook keeps h->insn equal to what is in memory now) */
    se_hook_refresh(m, h, addr);
    if (!se_insn_is_hooked(h->insn.kind))
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
            se_be_exits_sync(&m->be);
            /* a guest's own root carries none of the W^X marks: stores are hooked there (the
             * engine's MOV to CR3 ends its block, so the next block is translated anew) */
            if (se_wx_sync(m) != SE_OK) {
                m->run.error = SE_ERR_BACKEND;
                uc_emu_stop(m->be.uc);
                return;
            }
            /* between the machine's two roots the backend loads CR3 itself and keeps the
             * engine's TLB (backend.c, "CR3 switches without a flush") */
            if (se_be_mov_to_cr3(&m->be)) {
                se_skip_insn(m, h, addr);
                break;
            }
            /* The engine would store bit 63 verbatim (EMU-10), and its 5-level walk does not
             * ignore it: hand it the architectural value, i.e. without the no-flush bit, and
             * restore the register at the next instruction. */
            se_give_engine_cr_value(m, h, src, st.cr3);
        }
        break;
    }
    case SE_INSN_MOV_TO_CR4:
        k = se_cpu_mov_to_cr4(&m->feat, &st, se_be_get(m, h->insn.src_uc_reg), &m->tlb, &f);
        if (k == SE_FAULT_NONE) {
            m->arch.cr4 = st.cr4;
            se_be_exits_sync(&m->be);
            se_be_mov_to_cr4(&m->be); /* the engine's MOV recomputes its hflags */
        }
        break;
    case SE_INSN_MOV_TO_CR0: {
        uint64_t src = se_be_get(m, h->insn.src_uc_reg);
        k = se_cpu_mov_to_cr0(&m->feat, &st, src, &m->tlb, &f);
        if (k == SE_FAULT_NONE) {
            m->arch.cr0 = st.cr0;
            m->arch.efer = st.efer; /* LMA follows PG (SDM Vol. 3A §4.1.2) */
            /* SDM Vol. 3A §4.6.1: with WP = 0 supervisor writes ignore R/W, so kernel text
             * and the engine's read-only marks stop nothing: stores are screened by hooks from
             * now on (wx.c; the engine's MOV to CR0 ends its block) */
            if (se_wx_sync(m) != SE_OK) {
                m->run.error = SE_ERR_BACKEND;
                uc_emu_stop(m->be.uc);
                return;
            }
            /* The engine stores undefined bits of 31:0 verbatim where the CPU keeps them
             * clear (SDM Vol. 2B MOV CR): hand it the architectural value, as for CR3 */
            se_give_engine_cr_value(m, h, src, st.cr0);
        }
        break;
    }
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
            /* NXE reaches the engine now; its own WRMSR that follows keeps it (backend.c) */
            if (msr == SE_MSR_IA32_EFER) {
                se_be_sync_nxe(&m->be);
                se_be_exits_sync(&m->be); /* guarded pages need NXE (hazard.c) */
                /* the W^X marks need NXE (wx.c). The engine's WRMSR does not end its block,
                 * whose stores were translated under the old regime: when it changes, the
                 * instruction is completed here (NXE is the only EFER bit the engine uses
                 * besides LMA, which cannot change) and the block ends with the RIP write */
                bool hooked = m->stores_hooked;
                if (se_wx_sync(m) != SE_OK) {
                    m->run.error = SE_ERR_BACKEND;
                    uc_emu_stop(m->be.uc);
                    return;
                }
                if (hooked != m->stores_hooked) {
                    se_skip_insn(m, h, addr);
                    break;
                }
            }
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
            se_skip_insn(m, h, addr);
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
            uc_emu_stop(m->be.uc);
            return;
        }
        se_cpu_make_fault(&st, SE_VEC_GP, 0, true, &f); /* privileged (SDM Vol. 3A §5.9) */
        k = SE_FAULT_FAULT;
        break;
    case SE_INSN_INVALID:
        /* bytes the CPU rejects, which the engine might run anyway (an illegal LOCK prefix):
         * SDM Vol. 2A §2.1.1 (LOCK on a non-lockable instruction, the 15-byte limit) */
        se_cpu_make_fault(&st, h->insn.ud_vector, 0, h->insn.ud_vector == SE_VEC_GP, &f);
        k = SE_FAULT_FAULT;
        break;
    case SE_INSN_MOV_FROM_CR:
        if (m->arch.cpl != 0) {
            se_cpu_make_fault(&st, SE_VEC_GP, 0, true, &f);
            k = SE_FAULT_FAULT;
        } else {
            /* the model's value: the engine cannot hold some CR4 bits, and CR3 bit 63 is
             * never stored (SDM Vol. 3A §4.10.4.1) */
            uint64_t v = h->insn.crn == 0   ? m->arch.cr0
                         : h->insn.crn == 2 ? m->arch.cr2
                         : h->insn.crn == 3 ? m->arch.cr3
                                            : m->arch.cr4;
            /* the entry path reads CR3 on every call: when the engine holds the model's value
             * (it always should), let it answer without leaving the translated block */
            if (h->insn.crn == 3 && se_be_get(m, UC_X86_REG_CR3) == v)
                break;
            se_be_set(m, h->insn.src_uc_reg, v);
            se_skip_insn(m, h, addr);
        }
        break;
    case SE_INSN_RDGSBASE_ETC: {
        /* SDM Vol. 2B RDFSBASE/WRFSBASE: #UD unless CR4.FSGSBASE; a non-canonical base #GP(0).
         * Any CPL may run them; the engine's CPU model lacks them. */
        bool gs = h->insn.base_op & 1, wr = h->insn.base_op & 2;
        int base_reg = gs ? UC_X86_REG_GS_BASE : UC_X86_REG_FS_BASE;
        unsigned w = (m->arch.cr4 & SE_CR4_LA57) ? SE_VA_BITS_5LEVEL : SE_VA_BITS_4LEVEL;
        if (!(m->arch.cr4 & SE_CR4_FSGSBASE) || h->insn.src_uc_reg == 0) {
            se_cpu_make_fault(&st, SE_VEC_UD, 0, false, &f);
            k = SE_FAULT_FAULT;
        } else if (wr) {
            uint64_t v = se_be_get(m, h->insn.src_uc_reg);
            if (h->insn.width == 32)
                v = (uint32_t)v;
            if (!se_is_canonical(v, w)) {
                se_cpu_make_fault(&st, SE_VEC_GP, 0, true, &f);
                k = SE_FAULT_FAULT;
            } else {
                se_be_set(m, base_reg, v);
                se_skip_insn(m, h, addr);
            }
        } else {
            uint64_t v = se_be_get(m, base_reg);
            se_be_set(m, h->insn.src_uc_reg, h->insn.width == 32 ? (uint32_t)v : v);
            se_skip_insn(m, h, addr);
        }
        break;
    }
    case SE_INSN_RDTSC: {
        /* the engine would answer from the host's clock: a run would not repeat (Linux 6.12
         * seeds its per-syscall stack offset from RDTSC on every exit) */
        uint64_t rax, rdx, rcx = 0;
        k = se_cpu_rdtsc(&st, h->insn.base_op == 1, &rax, &rdx, &rcx, &f);
        if (k == SE_FAULT_NONE) {
            se_be_set(m, UC_X86_REG_RAX, rax);
            se_be_set(m, UC_X86_REG_RDX, rdx);
            if (h->insn.base_op == 1)
                se_be_set(m, UC_X86_REG_RCX, rcx);
            se_skip_insn(m, h, addr);
        }
        break;
    }
    case SE_INSN_CLI_STI:
    case SE_INSN_PORT_IO: {
        /* SDM Vol. 1 §18.5.1 / Vol. 3A §2.8: CPL > IOPL is #GP(0); with CPL3 and IOPL < 3 the
         * I/O permission bitmap is not consulted for CLI/STI, and Linux's TSS has none for
         * IN/OUT (its offset lies past the limit), so #GP(0) either way */
        unsigned iopl = (unsigned)((se_be_get(m, UC_X86_REG_RFLAGS) >> 12) & 3);
        if (m->arch.cpl > iopl) {
            se_cpu_make_fault(&st, SE_VEC_GP, 0, true, &f);
            k = SE_FAULT_FAULT;
            break;
        }
        if (h->insn.kind == SE_INSN_CLI_STI)
            break; /* only RFLAGS.IF changes: the engine does exactly that */
        goto unmodelled;
    }
    case SE_INSN_MISDECODED:
        /* the engine would run other instructions than the CPU from here on: no verdict from
         * that could be trusted */
        se_uncount_from(m, addr);
        m->run.error = se_fail(m, SE_ERR_UNSUPPORTED,
                               "the engine decodes the instruction at 0x%" PRIx64
                               " (%s, a REX prefix before a legacy prefix) differently from "
                               "the CPU",
                               addr, se_insn_mnemonic(&h->insn));
        uc_emu_stop(m->be.uc);
        return;
    case SE_INSN_PRIV_OTHER:
    case SE_INSN_INVPCID:
    case SE_INSN_IRET_OTHER:
    default:
        if (m->arch.cpl != 0 && h->insn.kind != SE_INSN_IRET_OTHER) {
            /* only CPL0 may execute it (SDM Vol. 3A §5.9) */
            se_cpu_make_fault(&st, SE_VEC_GP, 0, true, &f);
            k = SE_FAULT_FAULT;
            break;
        }
    unmodelled:
        /* not modelled: letting the engine run it would change state the model owns */
        se_uncount_from(m, addr);
        m->run.error = se_fail(m, SE_ERR_UNSUPPORTED,
                               "%s at 0x%" PRIx64 " (CPL%u) is not modelled by the machine",
                               se_insn_mnemonic(&h->insn), addr, (unsigned)m->arch.cpl);
        uc_emu_stop(m->be.uc);
        return;
    }
    if (k == SE_FAULT_FAULT) {
        se_uncount_from(m, addr);
        se_stop_with_fault(m, &f);
    }
}

/* Runs at the instruction after a MOV to CR0/CR3 whose source register was rewritten. */
static void se_hook_cr3_post(uc_engine *uc, uint64_t addr, uint32_t size, void *user)
{
    se_hooked_insn *h = user;
    (void)uc;
    (void)addr;
    (void)size;
    if (h->post_pending && h->m->cr_pending == h)
        se_cr_restore_src(h->m);
}

se_status se_hook_code_at(se_machine *m, uc_hook *h, se_uc_fn cb, void *user, uint64_t addr)
{
    uint64_t n = 0;
    se_hashmap_get(&m->hook_addrs, addr, &n);
    if (!se_hashmap_put(&m->hook_addrs, addr, n + 1))
        return se_fail(m, SE_ERR_NOMEM, "out of memory for hooks");
    if (uc_hook_add(m->be.uc, h, UC_HOOK_CODE, se_uc_cb(cb), user, addr, addr) != UC_ERR_OK) {
        se_hashmap_put(&m->hook_addrs, addr, n);
        return se_fail(m, SE_ERR_BACKEND, "cannot hook 0x%" PRIx64, addr);
    }
    m->hook_epoch++; /* blocks translated before now lack it: account.c retranslates them */
    return SE_OK;
}

void se_unhook_code_at(se_machine *m, uc_hook h, uint64_t addr)
{
    uint64_t n = 0;
    uc_hook_del(m->be.uc, h);
    if (se_hashmap_get(&m->hook_addrs, addr, &n) && n > 0)
        se_hashmap_put(&m->hook_addrs, addr, n - 1);
    m->hook_epoch++;
}

/* What decided h->insn: the instruction's bytes, or for an invalid encoding every byte the
 * decoder looked at. */
static void se_hook_set_insn(se_hooked_insn *h, const se_insn *in, const uint8_t *bytes, size_t n)
{
    h->insn = *in;
    size_t keep = in->kind == SE_INSN_INVALID ? n : in->len;
    if (keep > sizeof h->bytes)
        keep = sizeof h->bytes;
    memcpy(h->bytes, bytes, keep);
    h->nbytes = (uint8_t)keep;
    h->host = NULL;
}

/* Make h->insn the instruction in memory at addr now. A block is checked before it runs, but
 * two blocks can share an address, and memory can change between their checks. */
static void se_hook_refresh(se_machine *m, se_hooked_insn *h, uint64_t addr)
{
    if (h->host == NULL || h->host_gen != m->map_gen) {
        size_t got;
        h->host = se_host_span(m, addr, h->nbytes, &got);
        h->host_gen = m->map_gen;
        if (got < h->nbytes)
            h->host = NULL;
    }
    if (h->host != NULL && memcmp(h->host, h->bytes, h->nbytes) == 0)
        return;
    uint8_t buf[15];
    size_t got = se_code_fetch(m, addr, buf, sizeof buf);
    se_insn in;
    if (got == 0 || se_decode_for_run(buf, got, addr, got < sizeof buf, &in) != SE_OK) {
        memset(&in, 0, sizeof in); /* not decidable here: the fetch faults first */
        in.addr = addr;
        in.kind = SE_INSN_OTHER;
    }
    se_hook_set_insn(h, &in, buf, got);
}

se_status se_hooks_ensure(se_machine *m, const se_insn *in, const uint8_t *bytes, size_t nbytes,
                          bool *added)
{
    uint64_t idx;
    *added = false;
    if (se_hashmap_get(&m->hooked_at, in->addr, &idx)) {
        se_hooked_insn *h = m->hooked[idx];
        /* one address, one hook: it acts on whatever the bytes there are now */
        se_hook_set_insn(h, in, bytes, nbytes);
        if ((in->kind == SE_INSN_MOV_TO_CR3 || in->kind == SE_INSN_MOV_TO_CR0) && !h->has_post) {
            se_status st =
                se_hook_code_at(m, &h->post, (se_uc_fn)se_hook_cr3_post, h, in->addr + in->len);
            if (st != SE_OK)
                return st;
            h->has_post = true;
            h->post_addr = in->addr + in->len;
            *added = true;
        }
        return SE_OK;
    }
    if (!se_insn_is_hooked(in->kind))
        return SE_OK;
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
    se_hook_set_insn(h, in, bytes, nbytes);
    if (!se_hashmap_put(&m->hooked_at, in->addr, m->n_hooked)) {
        free(h);
        return se_fail(m, SE_ERR_NOMEM, "out of memory for hooks");
    }
    m->hooked[m->n_hooked++] = h;
    se_status st = se_hook_code_at(m, &h->pre, (se_uc_fn)se_hook_priv, h, in->addr);
    if (st != SE_OK)
        return st;
    h->has_pre = true;
    *added = true;
    if (in->kind == SE_INSN_MOV_TO_CR3 || in->kind == SE_INSN_MOV_TO_CR0) {
        st = se_hook_code_at(m, &h->post, (se_uc_fn)se_hook_cr3_post, h, in->addr + in->len);
        if (st != SE_OK)
            return st;
        h->has_post = true;
        h->post_addr = in->addr + in->len;
    }
    return SE_OK;
}

/* Hook what loaded code holds, before it runs: the block hook would find each of these the
 * first time it runs too, at the price of translating its block twice. */
se_status se_hooks_scan_code(se_machine *m, uint64_t va, const uint8_t *code, size_t len)
{
    if (code == NULL)
        return SE_OK; /* all zeros by definition (an executable NOBITS section): nothing to hook */
    for (size_t off = 0; off < len;) {
        se_insn in;
        if (se_decode_one(code + off, len - off, va + off, &in) != SE_OK) {
            /* data inside a code section (a VERW operand, a jump table): step over it */
            off++;
            continue;
        }
        off += in.len;
        bool added;
        if (se_insn_is_hooked(in.kind)) {
            se_status st = se_hooks_ensure(m, &in, code + off - in.len, in.len, &added);
            if (st != SE_OK)
                return st;
        }
    }
    return SE_OK;
}

/* ---- exceptions ------------------------------------------------------------------------ */

/* #PF error code and CR2 for a fault at `rip`: our walker decides (the engine's own error
 * code is only in its private state, and its fetch-fault CR2 is wrong, §10). */
/* The fetch fault of the instruction at rip, if any: a fault on any of its (up to 15) bytes. */
static bool se_fetch_fault_of(se_machine *m, uint64_t rip, se_fault *out)
{
    se_fault f;
    for (uint64_t a = rip; a < rip + 15; a = (a | 0xFFF) + 1) {
        se_walk(m, a, SE_ACCESS_FETCH, m->arch.cpl, 0, NULL, &f);
        if (f.kind != SE_FAULT_NONE) {
            uint8_t buf[16];
            se_insn in;
            /* a fetch fault on a later page only matters if the instruction reaches it */
            bool reaches = a == rip ||
                           uc_mem_read(m->be.uc, rip, buf, (size_t)(a - rip)) != UC_ERR_OK ||
                           se_decode_one(buf, (size_t)(a - rip), rip, &in) != SE_OK;
            if (reaches)
                *out = f;
            return reaches;
        }
    }
    return false;
}

static bool se_page_fault_info(se_machine *m, uint64_t rip, uint64_t cr2_engine, se_fault *out)
{
    se_fault f;
    if (se_fetch_fault_of(m, rip, out))
        return true;
    uint8_t buf[16];
    se_insn in;
    bool reads = true;
    if (uc_mem_read(m->be.uc, rip, buf, sizeof buf) == UC_ERR_OK &&
        se_decode_one(buf, sizeof buf, rip, &in) == SE_OK)
        reads = in.mem_read || !in.mem_write;
    if (reads) {
        se_walk(m, cr2_engine, SE_ACCESS_READ, m->arch.cpl, 0, NULL, &f);
        if (f.kind != SE_FAULT_NONE) {
            *out = f;
            return true;
        }
    }
    se_walk(m, cr2_engine, SE_ACCESS_WRITE, m->arch.cpl, 0, NULL, &f);
    if (f.kind != SE_FAULT_NONE) {
        *out = f;
        return true;
    }
    /* the engine faulted where our tables allow the access: report what it computed */
    memset(out, 0, sizeof *out);
    out->kind = SE_FAULT_FAULT;
    out->vector = SE_VEC_PF;
    out->has_error_code = true;
    out->cr2 = cr2_engine;
    uint32_t code;
    if (se_be_last_error_code(&m->be, &code))
        out->error_code = code;
    return false;
}

/* Whether the instruction at rip reads or writes memory (stack and string operands too);
 * true when it cannot be decoded. */
static bool se_insn_accesses_memory(se_machine *m, uint64_t rip)
{
    uint8_t buf[15];
    size_t got = se_code_fetch(m, rip, buf, sizeof buf);
    se_insn in;
    return got == 0 || se_decode_one(buf, got, rip, &in) != SE_OK || in.mem_read || in.mem_write;
}

/*
 * A fetch that faults in the middle of a block. The engine translates a whole block before it
 * runs any of it, so when a later instruction of the block reaches a page the mode cannot
 * fetch (it straddles the page's start, or the block falls through to it) the engine stops
 * while translating, at the block's start, with nothing of the block run: Unicorn 2.1.1
 * raises #PF there, 2.0.1 reports a fetch from an unmapped address. The CPU runs the
 * instructions before and faults on the one that reaches the page (SDM Vol. 3A §6.15,
 * interrupt 14: the saved CS:RIP point to the instruction that caused the fault). The machine
 * finds that instruction as the engine's translator walks a block, straight on from its
 * start, and puts its address in *at. When it is not the first one, the caller makes it an
 * exit and runs the block again: the instructions before run, and the run stops before it,
 * where the machine raises the #PF (run.c). False when no instruction of a block from start
 * reaches addr (a jump there, or not a fetch of this block).
 */
static bool se_fetch_fault_insn(se_machine *m, uint64_t start, uint64_t addr, uint64_t *at)
{
    uint64_t x = start;
    for (int i = 0; i <= 512 && x < addr; i++) {
        uint8_t buf[15];
        size_t want = addr - x < sizeof buf ? (size_t)(addr - x) : sizeof buf;
        size_t got = se_code_fetch(m, x, buf, want);
        se_insn in;
        if (got < want || se_decode_one(buf, got, x, &in) != SE_OK || x + in.len > addr)
            break; /* this instruction needs bytes from addr on */
        if (in.flow)
            return false; /* the engine's block ends here: the fault is not this block's */
        x += in.len;
    }
    if (x > addr || addr - x >= 15)
        return false;
    *at = x;
    return true;
}

bool se_fetch_fault_reached(se_machine *m, uint64_t at)
{
    se_fault f;
    /* only its fetch: the instruction has not run, so nothing else of it can fault */
    if (!se_fetch_fault_of(m, at, &f))
        return false; /* fetchable now: translate and run it */
    f.rip = at;
    f.cpl = m->arch.cpl;
    f.kind = SE_FAULT_FAULT;
    m->arch.cr2 = f.cr2;
    se_uncount_from(m, at);
    se_machine_record_fault(m, &f);
    m->run.reason = SE_STOP_FAULT;
    return true;
}

/* A #PF that was the engine's own, not the CPU's: the instruction at rip runs again, counted
 * and traced once, with the engine's exception state cleared before it does. */
static void se_rerun_after_engine_fault(se_machine *m, uint64_t rip)
{
    se_uncount_from(m, rip);
    se_trace_cancel(m, rip);
    m->run.restart = true;
    m->run.restart_at = rip;
    m->run.restart_exc = true;
    uc_emu_stop(m->be.uc);
}

static void se_hook_intr(uc_engine *uc, uint32_t intno, void *user)
{
    se_machine *m = user;
    (void)uc;
    uint64_t rip = se_be_get(m, UC_X86_REG_RIP);
    se_fault f;
    /* Unicorn 2.1 delivers a #UD here too after the invalid-instruction hook has acted on it
     * (a fault recorded, or a WARN's restart set up): once is enough */
    if (intno == SE_VEC_UD && (m->run.restart_warn || m->run.fault.kind != SE_FAULT_NONE))
        return;
    /* an engine that delivers it only here: a kernel WARN resumes after the UD2 at once (the
     * exception is cleared when this hook returns) */
    if (intno == SE_VEC_UD && m->kern != NULL && m->arch.cpl == 0 &&
        se_kernel_ud(m, rip) == SE_KUD_WARN) {
        se_be_set(m, UC_X86_REG_RIP, rip + 2);
        return;
    }
    switch (intno) {
    case SE_VEC_PF:
        if (se_be_is_guarded(&m->be, rip) && se_be_get(m, UC_X86_REG_CR2) >> 12 == rip >> 12) {
            /* a fetch from a guarded page (hazard.c): the CPU raises #UD at the hazard; code
             * elsewhere on that page the engine cannot be trusted to run. The engine's #PF
             * was its own: its CR2 and exception state go back. */
            se_be_set_cr2(&m->be, m->arch.cr2);
            m->run.reset_exception = true; /* after the run: not inside the engine's delivery */
            if (se_be_is_hazard(&m->be, rip) && se_hazard_reached(m, rip)) {
                uc_emu_stop(m->be.uc);
                return;
            }
            se_uncount_from(m, rip);
            m->run.error = se_fail(m, SE_ERR_UNSUPPORTED,
                                   "code at 0x%" PRIx64 " is on a page that starts with an "
                                   "encoding the engine cannot translate, after a page this "
                                   "mode cannot fetch: the machine runs nothing else on it",
                                   rip);
            uc_emu_stop(m->be.uc);
            return;
        }
        uint64_t at, cr2_engine = se_be_get(m, UC_X86_REG_CR2);
        /* a fetch: the engine's error code says so; where it cannot be read (the portable
         * path), an instruction at rip that accesses no memory cannot have made it */
        uint32_t engine_code = 0;
        bool fetch = se_be_last_error_code(&m->be, &engine_code) ? (engine_code & SE_PF_I) != 0
                                                                 : !se_insn_accesses_memory(m, rip);
        if (fetch && se_fetch_fault_insn(m, rip, cr2_engine, &at) && at != rip) {
            /* fetched while the engine translated the block at rip: run it to `at` */
            se_be_set_cr2(&m->be, m->arch.cr2);
            if (se_be_st(m, se_be_set_fetch_exit(&m->be, at)) != SE_OK) {
                m->run.error = SE_ERR_BACKEND;
                uc_emu_stop(m->be.uc);
                return;
            }
            se_rerun_after_engine_fault(m, rip);
            m->run.restart_fetch = true;
            return;
        }
        bool arch_fault = se_page_fault_info(m, rip, cr2_engine, &f);
        if (!arch_fault && se_wx_engine_fault(m, se_be_get(m, UC_X86_REG_CR2))) {
            /* a W^X mark's fault (wx.c): the page changed state; the guest's CR2 stays */
            se_be_set_cr2(&m->be, m->arch.cr2);
            se_rerun_after_engine_fault(m, rip);
            return;
        }
        if (!arch_fault && se_be_pf_artifact(&m->be)) {
            /* not the CPU's fault but the TLB partition's (backend.c) */
            se_rerun_after_engine_fault(m, rip);
            return;
        }
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
        se_be_last_error_code(&m->be, &code);
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
    uint64_t at = addr;
    bool reached = acc == SE_ACCESS_FETCH && se_fetch_fault_insn(m, rip, addr, &at);
    if (reached && at != rip) {
        /* 2.0.1 looks code up by linear address while it translates the block at rip */
        if (se_be_st(m, se_be_set_fetch_exit(&m->be, at)) != SE_OK) {
            m->run.error = SE_ERR_BACKEND;
            return false;
        }
        m->run.restart = true;
        m->run.restart_at = rip;
        m->run.restart_fetch = true;
        return false;
    }
    se_fault f;
    se_walk(m, addr, acc, m->arch.cpl, 0, NULL, &f);
    if (f.kind == SE_FAULT_NONE) {
        /* mapped in our tables but not in the engine: cannot happen by construction */
        se_fault_at(m, SE_VEC_PF, SE_PF_P, true, rip, &f);
        f.cr2 = addr;
    }
    if (acc == SE_ACCESS_FETCH)
        rip = at; /* the first instruction of the block reaches addr, or a jump went there */
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
    if (m->kern != NULL && m->arch.cpl == 0 && se_kernel_ud(m, rip) == SE_KUD_WARN) {
        /* a WARN: the kernel's #UD handler reports it and returns after the UD2
         * (handle_bug(), arch/x86/kernel/traps.c@v6.12); the run loop goes on there */
        m->run.restart = true;
        m->run.restart_at = rip + 2;
        m->run.restart_warn = true;
        /* 2.0.1 stops after this hook whatever it returns; 2.1 goes on to the interrupt hook
         * and then runs on from RIP unless asked to stop */
        se_be_set(m, UC_X86_REG_RIP, rip + 2);
        uc_emu_stop(m->be.uc);
        return true;
    }
    se_fault f;
    se_fault_at(m, SE_VEC_UD, 0, false, rip, &f);
    uint8_t buf[16];
    se_insn in;
    if (uc_mem_read(m->be.uc, rip, buf, sizeof buf) == UC_ERR_OK &&
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

/* A guest store: screen the bytes it writes for encodings the engine cannot translate
 * (hazard.c) before any translation of them can happen. Host writes are screened where they
 * are made. Installed only where the engine cannot keep W^X itself (wx.c). */
void se_hook_screen_write(void *user, uint64_t addr, uint64_t pa, int size, int64_t value)
{
    se_machine *m = user;
    (void)pa;
    if (size <= 0 || size > 8 || m->be.tramp_running)
        return;
    uint8_t ov[8];
    memcpy(ov, &value, sizeof ov); /* little-endian: the bytes in memory order */
    bool candidate = memchr(ov, 0xF0, (size_t)size) != NULL || memchr(ov, 0xFF, (size_t)size);
    if (!candidate) {
        /* the store can still complete a hazard whose LOCK or FF byte is already there, or
         * break one: look at the bytes around it */
        uint8_t around[14];
        uint64_t lo = addr >= 14 ? addr - 14 : 0;
        size_t got = se_code_fetch(m, lo, around, (size_t)(addr - lo));
        candidate = memchr(around, 0xF0, got) != NULL || memchr(around, 0xFF, got) != NULL ||
                    m->be.n_hazards > 0;
    }
    if (candidate && se_be_st(m, se_be_hazards_update_ex(&m->be, addr, (uint64_t)size, addr, ov,
                                                         (size_t)size)) != SE_OK) {
        m->run.error = SE_ERR_NOMEM;
        uc_emu_stop(m->be.uc);
    }
}

/* ---- installation ---------------------------------------------------------------------- */

se_status se_hooks_install_global(se_machine *m)
{
    if (uc_hook_add(m->be.uc, &m->h_syscall, UC_HOOK_INSN, se_uc_cb((se_uc_fn)se_hook_syscall), m,
                    1, 0, UC_X86_INS_SYSCALL) != UC_ERR_OK ||
        uc_hook_add(m->be.uc, &m->h_block, UC_HOOK_BLOCK, se_uc_cb((se_uc_fn)se_hook_block), m, 1,
                    0) != UC_ERR_OK ||
        uc_hook_add(m->be.uc, &m->h_intr, UC_HOOK_INTR, se_uc_cb((se_uc_fn)se_hook_intr), m, 1,
                    0) != UC_ERR_OK ||
        uc_hook_add(m->be.uc, &m->h_unmapped, UC_HOOK_MEM_UNMAPPED,
                    se_uc_cb((se_uc_fn)se_hook_unmapped), m, 1, 0) != UC_ERR_OK ||
        uc_hook_add(m->be.uc, &m->h_invalid, UC_HOOK_INSN_INVALID,
                    se_uc_cb((se_uc_fn)se_hook_invalid), m, 1, 0) != UC_ERR_OK)
        return se_fail(m, SE_ERR_BACKEND, "cannot install the engine hooks");
    return se_wx_sync(m); /* write hooks only where W^X cannot be kept (wx.c) */
}

void se_hooks_free(se_machine *m)
{
    for (size_t i = 0; i < m->n_hooked; i++)
        free(m->hooked[i]);
    se_hashmap_clear(&m->hooked_at);
    free(m->hooked);
    m->hooked = NULL;
    m->n_hooked = m->cap_hooked = 0;
}
