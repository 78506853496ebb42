/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One system call through the entry code, and the C side of do_syscall_64.
 *
 * The entry code calls a do_syscall_64 stub whose first instruction is hooked here. The hook
 * follows Linux 6.6's do_syscall_64 (arch/x86/entry/common.c@v6.6, do_syscall_64()): the number is
 * the sign-extended EAX the entry code put in RSI (only the low 32 bits of RAX matter), 0 <= nr <
 * nr_syscalls (the profile's table size unless the config overrides it) reaches the handler, nr ==
 * -1 leaves pt_regs->ax alone, anything else gets -ENOSYS. For the 6.7 profile it also returns the
 * SYSRET verdict in AL, computed in C as 6.7 does.
 */
#include <inttypes.h>
#include <string.h>

#include "entry/verdict.h"
#include "machine/machine_int.h"

static void se_hook_dispatch(uc_engine *uc, uint64_t addr, uint32_t size, void *user)
{
    se_machine *m = user;
    (void)uc;
    (void)size;
    se_trace_begin(m, addr);
    /* the kernel's own work for the call (entry work, the syscall body, exit work) */
    se_account_charge(m, addr, SE_COST_HANDLER);
    uint64_t regs_va = se_be_get(m, UC_X86_REG_RDI);
    int nr32 = (int)(uint32_t)se_be_get(m, UC_X86_REG_RSI);
    long nr = nr32;
    se_pt_regs regs;
    uint64_t rsp = se_be_get(m, UC_X86_REG_RSP), ret = 0;
    uint64_t bad = se_mem_read(m, regs_va, &regs, sizeof regs) != SE_OK                ? regs_va
                   : m->kern != NULL && se_mem_read(m, rsp, &ret, sizeof ret) != SE_OK ? rsp
                                                                                       : 0;
    if (bad != 0) {
        se_fault f;
        memset(&f, 0, sizeof f);
        se_walk(m, bad, SE_ACCESS_READ, 0, 0, NULL, &f);
        f.rip = addr;
        f.cpl = m->arch.cpl;
        m->run.reason = SE_STOP_FAULT;
        se_machine_record_fault(m, &f);
        uc_emu_stop(m->be.uc);
        return;
    }
    unsigned unr = (unsigned)nr32;
    /* Linux 6.7+: the hook is at x64_sys_call(regs, nr), reached only after do_syscall_64's
     * own `unr < NR_syscalls` (arch/x86/entry/common.c@v6.12): the handler stands in for the
     * syscall body, and the number is that test's (non-negative) one */
    bool c_entry = se_kernel_c_entry(m);
    if (c_entry || unr < se_config_nr_syscalls(&m->cfg)) {
        if (m->handler != NULL) {
            m->in_handler = true;
            m->handler(m, nr, &regs, m->handler_ctx);
            m->in_handler = false;
        } else {
            regs.ax = (uint64_t)-SE_LINUX_ENOSYS;
        }
    } else if (nr != -1) {
        /* __x64_sys_ni_syscall; x32 numbers are not modelled (no CONFIG_X86_X32_ABI) */
        regs.ax = (uint64_t)-SE_LINUX_ENOSYS;
    }
    se_mem_write(m, regs_va, &regs, sizeof regs);
    m->run.frame = regs;
    m->run.frame_valid = true;
    if (m->kern != NULL) {
        /* a distribution kernel's do_syscall_64 (6.1-6.6) returns nothing: the hook stands in
         * for its body and returns to the caller, whose assembly then makes the decision. On
         * 6.7+ it stands in for x64_sys_call, whose value do_syscall_x64 stores in regs->ax */
        se_uncount_from(m, addr);
        if (c_entry)
            se_be_set(m, UC_X86_REG_RAX, regs.ax);
        se_be_set(m, UC_X86_REG_RSP, rsp + 8);
        se_be_set(m, UC_X86_REG_RIP, ret);
        return;
    }
    if (m->cfg.kernel == SE_KERNEL_6_7 || m->cfg.kernel == SE_KERNEL_6_12) {
        /* common.c@v6.12 keeps 6.7's checks in do_syscall_64, with 16-bit cs/ss from 6.9 */
        se_check c =
            se_verdict(m->cfg.kernel, &regs, m->cfg.la57, m->cfg.disabled_checks, m->cfg.xen_pv);
        m->run.failed_check = c;
        m->run.verdict_from_c = true;
        /* do_syscall_64 returns bool: true to return using SYSRET (6.7+) */
        se_be_set(m, UC_X86_REG_RAX, c == SE_CHECK_NONE ? 1 : 0);
    }
}

/*
 * Linux 6.7+, at the `test %al,%al` after `call do_syscall_64`: AL is the kernel's own verdict
 * (true: SYSRET). Which check sent it to IRET is not in the registers; it is named by
 * evaluating the 6.12 profile's C rule (se_verdict_6_12: 6.7's, 16-bit cs/ss) on the pt_regs the
 * real code
 * decided on, which are at RSP now (entry_64.S passes %rsp as regs). When the kernel chose
 * SYSRET no check failed, whatever the rule says: a disagreement shows up in `sysentry diff`.
 */
static void se_hook_c_verdict(uc_engine *uc, uint64_t addr, uint32_t size, void *user)
{
    se_machine *m = user;
    (void)uc;
    (void)size;
    (void)addr;
    if (!m->run.in_syscall_path)
        return;
    se_pt_regs regs;
    bool sysret = (se_be_get(m, UC_X86_REG_RAX) & 0xFF) != 0;
    m->run.verdict_from_c = true;
    m->run.failed_check = SE_CHECK_NONE;
    if (se_mem_read(m, se_be_get(m, UC_X86_REG_RSP), &regs, sizeof regs) != SE_OK)
        return; /* the exit's own pops fault on the same page right after */
    /* the frame the checks decided on and the exits restore: also when the number never
     * reached x64_sys_call (nr >= NR_syscalls, or -1) and the handler did not run */
    m->run.frame = regs;
    m->run.frame_valid = true;
    if (!sysret)
        m->run.failed_check = se_verdict_6_12(&regs, m->cfg.la57, 0, false);
}

se_status se_install_c_verdict_hook(se_machine *m, uint64_t va)
{
    uc_hook h;
    return se_hook_code_at(m, &h, (se_uc_fn)se_hook_c_verdict, m, va);
}

se_status se_install_dispatch_hook(se_machine *m, uint64_t va)
{
    uc_hook h;
    return se_hook_code_at(m, &h, (se_uc_fn)se_hook_dispatch, m, va);
}

/*
 * The espfix64 path was taken (pt_regs->ss is an LDT selector). Linux copies the frame to the
 * read-only espfix stack and IRETs from there; with no LDT that IRETQ #GPs, the #GP cannot be
 * pushed on the read-only stack and becomes a #DF, and exc_double_fault's espfix64 branch
 * (arch/x86/kernel/traps.c@v6.6) turns it into a #GP with error code 0 (the real one is lost)
 * raised from user mode at the frame's ip, so the task gets SIGSEGV. The model has no espfix
 * stack: it reports that end directly. The kernel did execute an IRETQ, so chosen is IRET.
 */
static void se_hook_espfix(uc_engine *uc, uint64_t addr, uint32_t size, void *user)
{
    se_machine *m = user;
    (void)uc;
    (void)size;
    uint64_t frame[5] = {0};
    se_fault f;
    memset(&f, 0, sizeof f);
    if (se_mem_read(m, se_be_get(m, UC_X86_REG_RSP), frame, sizeof frame) != SE_OK) {
        f.kind = SE_FAULT_FAULT;
        f.vector = SE_VEC_GP;
        f.has_error_code = true;
        f.rip = addr;
        f.cpl = m->arch.cpl;
    } else {
        f.kind = SE_FAULT_FAULT;
        f.vector = SE_VEC_GP;
        f.error_code = 0;
        f.has_error_code = true;
        f.rip = frame[0];
        f.cpl = 3;
        if (m->run.in_syscall_path)
            m->run.exit_chosen = SE_EXIT_IRET;
    }
    se_machine_record_fault(m, &f);
    m->run.reason = SE_STOP_FAULT;
    uc_emu_stop(m->be.uc);
}

se_status se_install_espfix_hook(se_machine *m, uint64_t va)
{
    uc_hook h;
    return se_hook_code_at(m, &h, (se_uc_fn)se_hook_espfix, m, va);
}

se_status se_set_syscall_handler(se_machine *m, se_syscall_fn fn, void *ctx)
{
    if (m == NULL)
        return SE_ERR_INVALID_ARG;
    m->err[0] = '\0';
    if (se_refuse_in_callback(m, "se_set_syscall_handler") != SE_OK)
        return SE_ERR_STATE;
    m->handler = fn;
    m->handler_ctx = fn ? ctx : NULL;
    return SE_OK;
}

/* Which 6.6 check sent the return to IRET: the check block executed just before the IRET
 * exit (every check block starts a translation block, since it follows a jump). */
static se_check se_check_from_block(const se_machine *m, uint64_t block)
{
    se_check best = SE_CHECK_NONE;
    uint64_t best_addr = 0;
    for (int c = 1; c <= SE_CHECK_MAX_VALUE; c++) {
        uint64_t a = m->sym.checks[c];
        if (a != 0 && a <= block && a >= best_addr) {
            best = (se_check)c;
            best_addr = a;
        }
    }
    if (best != SE_CHECK_NONE && m->sym.sysret_exit != 0 && block >= m->sym.sysret_exit &&
        m->sym.sysret_exit > best_addr)
        return SE_CHECK_NONE;
    return best;
}

/* Map (and fill with SYSCALL) the user code the call starts from. */
static se_status se_place_syscall(se_machine *m, uint64_t rip)
{
    static const uint8_t syscall_insn[2] = {0x0F, 0x05};
    for (uint64_t page = rip & ~0xFFFull; page <= ((rip + 1) & ~0xFFFull); page += 0x1000) {
        uint8_t probe;
        if (se_mem_read(m, page, &probe, 1) == SE_OK)
            continue;
        se_status st = se_map_internal(m, page, 0x1000, SE_MAP_USER, NULL);
        if (st != SE_OK)
            return st;
    }
    /* writing code makes the engine drop the page's translations: only write when needed */
    uint8_t cur[2];
    if (se_mem_read(m, rip, cur, sizeof cur) == SE_OK && memcmp(cur, syscall_insn, 2) == 0)
        return SE_OK;
    return se_mem_write(m, rip, syscall_insn, sizeof syscall_insn);
}

se_status se_syscall(se_machine *m, const se_regs *user, se_outcome *out)
{
    /* zeroed first, so that every return leaves path NONE rather than stale data */
    if (out != NULL)
        memset(out, 0, sizeof *out);
    if (m == NULL)
        return SE_ERR_INVALID_ARG;
    m->err[0] = '\0';
    if (user == NULL || out == NULL)
        return se_fail(m, SE_ERR_INVALID_ARG, "user and out must not be NULL");
    if (se_refuse_in_callback(m, "se_syscall") != SE_OK)
        return SE_ERR_STATE;
    if (!m->sym.loaded)
        return se_fail(m, SE_ERR_STATE,
                       "no entry code is loaded (the machine was created with "
                       "SE_ENTRY_NONE; see se_load_entry_elf)");
    /* SYSCALL does not use RSP (SYSCALL-11): the selftests enter with RSP = -1 or with
     * bit 63 flipped, so only rip/cs/ss/flags/bases are checked */
    se_status st = se_check_user_regs(m, user, false);
    if (st != SE_OK)
        return st;
    st = se_place_syscall(m, user->rip);
    if (st != SE_OK)
        return st;
    st = se_enter_user_internal(m, user);
    if (st != SE_OK)
        return st;
    se_run_state *r = &m->run;
    r->in_syscall_path = true;
    r->entered_kernel = false;
    r->exit_seen = false;
    r->exit_chosen = SE_EXIT_NONE;
    r->failed_check = SE_CHECK_NONE;
    r->verdict_from_c = false;
    r->iret_from_block = 0;
    r->frame_valid = false;
    se_run_options opts = {.user_returns = 1};
    st = se_run_engine(m, user->rip, &opts);
    r->in_syscall_path = false;
    out->instructions = r->insns;
    out->cycles = r->cycles;
    memcpy(out->phase_cycles, r->phase_cycles, sizeof out->phase_cycles);
    out->frame = r->frame;
    if (r->verdict_from_c)
        out->failed_check = r->failed_check;
    else if (r->iret_from_block != 0 && m->kern != NULL)
        out->failed_check = se_kernel_check_from_block(m, r->iret_from_block);
    else if (r->iret_from_block != 0)
        out->failed_check = se_check_from_block(m, r->iret_from_block);
    out->chosen = r->exit_chosen;
    out->stop = r->reason;
    /* stopped right after the SYSRET/IRETQ that returned: the registers it gave the engine
     * (no copy of the CPU state out again; the suite and the fuzzer were run comparing both) */
    if (r->reason == SE_STOP_USER_RETURN && r->ret_regs_valid)
        out->user = r->ret_regs;
    else
        se_be_read_regs(m, &out->user);
    out->cpl = m->arch.cpl;
    /* budget, HLT, backend errors: nothing returned and no exception, so path stays NONE */
    if (st != SE_OK)
        return st;
    if (r->reason == SE_STOP_BUDGET)
        return se_fail(m, SE_ERR_LIMIT,
                       "the instruction budget (%" PRIu64 ") ran out at 0x%" PRIx64, r->budget,
                       se_be_get(m, UC_X86_REG_RIP));
    if (r->reason == SE_STOP_HLT)
        return SE_OK;
    if (r->exit_seen && m->arch.cpl == 3) {
        out->path = r->exit_path;
        out->fault = r->fault; /* e.g. the SYSRET-9 #DB at CPL3 */
        /* AMD SYSRET-3A: the return completes and the first user fetch faults at CPL3 */
        unsigned w = (m->arch.cr4 & SE_CR4_LA57) ? SE_VA_BITS_5LEVEL : SE_VA_BITS_4LEVEL;
        if (out->fault.kind == SE_FAULT_NONE && !se_is_canonical(out->user.rip, w)) {
            out->fault.kind = SE_FAULT_FAULT;
            out->fault.vector = SE_VEC_GP;
            out->fault.has_error_code = true;
            out->fault.rip = out->user.rip;
            out->fault.cpl = 3;
        }
    } else {
        out->path = SE_EXIT_FAULT;
        out->fault = r->fault;
        if (out->fault.kind == SE_FAULT_FAULT)
            out->user.rip = out->fault.rip;
    }
    return SE_OK;
}

se_status se_syscall_batch(se_machine *m, const se_snapshot *snap, se_batch_item *items, size_t n,
                           size_t *ran)
{
    if (ran != NULL)
        *ran = 0;
    if (m == NULL)
        return SE_ERR_INVALID_ARG;
    m->err[0] = '\0';
    if (items == NULL && n > 0)
        return se_fail(m, SE_ERR_INVALID_ARG, "items must not be NULL");
    for (size_t i = 0; i < n; i++) {
        memset(&items[i].out, 0, sizeof items[i].out);
        items[i].status = SE_ERR_STATE; /* not reached (yet) */
    }
    if (se_refuse_in_callback(m, "se_syscall_batch") != SE_OK)
        return SE_ERR_STATE;
    /* each se_syscall clears the message: keep the last failing item's for the caller */
    char last_err[sizeof m->err];
    last_err[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        se_status st = snap != NULL ? se_snapshot_restore(m, snap) : SE_OK;
        if (st != SE_OK) {
            /* a snapshot of another machine is refused before the first call; later restores
             * fail only when the engine does */
            items[i].status = st;
            return st;
        }
        st = se_syscall(m, &items[i].user, &items[i].out);
        items[i].status = st;
        if (ran != NULL)
            *ran = i + 1;
        if (st == SE_ERR_BACKEND || st == SE_ERR_NOMEM)
            return st; /* the machine's state is the engine's guess now: stop here */
        if (st != SE_OK)
            memcpy(last_err, m->err, sizeof last_err);
    }
    memcpy(m->err, last_err, sizeof last_err);
    return SE_OK;
}
