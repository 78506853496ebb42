/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The running machine (issue 3): CPL3 -> 0 -> 3 transitions through a small kernel stub,
 * returning by SYSRET and by IRETQ, for every vendor x paging x PTI x PCID combination;
 * PTI isolation; PCID/no-flush bookkeeping; #PF error codes and CR2; the GS swap seen through
 * %gs; LA57; vendor differences; faults that leave the machine reusable; the budget; and bad
 * arguments. Rule IDs refer to docs/model.md.
 */
#include "se_test.h"

#include <stdio.h>
#include <string.h>

#include "machine/machine_int.h"

#define SE_STUB(name) extern const uint8_t name[]
SE_STUB(stub_sysret);
SE_STUB(stub_sysret_inside);
SE_STUB(stub_sysret_end);
SE_STUB(stub_iret);
SE_STUB(stub_iret_iretq);
SE_STUB(stub_iret_end);
SE_STUB(stub_cr3);
SE_STUB(stub_cr3_end);
SE_STUB(stub_kread);
SE_STUB(stub_cr3_tlb);
SE_STUB(stub_cr3_tlb_end);
SE_STUB(stub_kjump);
SE_STUB(stub_kjump_end);
SE_STUB(stub_acpage);
SE_STUB(stub_acpage_end);
SE_STUB(stub_acpage_b);
SE_STUB(stub_acpage_b_end);
SE_STUB(stub_kread_end);
SE_STUB(stub_noncanon);
SE_STUB(stub_noncanon_sysretq);
SE_STUB(stub_noncanon_end);
SE_STUB(stub_wrmsr);
SE_STUB(stub_wrmsr_insn);
SE_STUB(stub_wrmsr_end);
SE_STUB(stub_cr0);
SE_STUB(stub_cr0_insn);
SE_STUB(stub_cr0_end);
SE_STUB(user_syscall);
SE_STUB(user_syscall_end);
SE_STUB(user_read_rax);
SE_STUB(user_read_rax_end);
SE_STUB(user_write_rax);
SE_STUB(user_write_rax_end);
SE_STUB(user_jmp_rax);
SE_STUB(user_jmp_rax_end);
SE_STUB(user_spin);
SE_STUB(user_spin_end);
SE_STUB(user_swapgs);
SE_STUB(user_swapgs_end);

#define KSTUB  0xffffffffc0000000ull
#define UCODE  0x401000ull
#define USTACK 0x7fffffffe000ull
/* NT, AC, DF and VIF, VIP: each must survive the round trip on both CPL-switch paths (the
 * engine's own IRETQ drops VIF/VIP: the portable path puts them back) */
#define UFLAGS                                                                                     \
    (0x246ull | SE_RFLAGS_NT | SE_RFLAGS_AC | SE_RFLAGS_DF | SE_RFLAGS_VIF | SE_RFLAGS_VIP)

/* The whole suite runs once per CPL-switch method: both must behave the same (issue 3). */
static se_cpl_switch g_cpl_switch = SE_CPL_SWITCH_SURGERY;

static se_machine *mk(se_vendor v, bool la57, bool pti, bool pcid)
{
    se_config cfg;
    se_config_default(&cfg);
    cfg.vendor = v;
    cfg.la57 = la57;
    cfg.pti = pti;
    cfg.pcid = pcid;
    cfg.entry = SE_ENTRY_NONE;
    cfg.cpl_switch = g_cpl_switch;
    se_machine *m = NULL;
    assert_int_equal(se_machine_create(&cfg, &m), SE_OK);
    assert_non_null(m);
    return m;
}

static void load_kernel(se_machine *m, const uint8_t *s, const uint8_t *e)
{
    se_fault f;
    assert_int_equal(se_load_kernel_code(m, KSTUB, s, (size_t)(e - s), true), SE_OK);
    assert_int_equal(se_msr_write(m, SE_MSR_IA32_LSTAR, KSTUB, &f), SE_OK);
    assert_int_equal(f.kind, SE_FAULT_NONE);
}

static void load_user(se_machine *m, uint64_t va, const uint8_t *s, const uint8_t *e)
{
    assert_int_equal(se_mem_map(m, va, 0x1000, SE_MAP_USER), SE_OK);
    assert_int_equal(se_mem_write(m, va, s, (size_t)(e - s)), SE_OK);
}

static se_regs user_regs(uint64_t rip)
{
    se_regs r;
    memset(&r, 0, sizeof r);
    r.rax = 39;
    r.rbx = 0x1111;
    r.rcx = 0xdead;
    r.r11 = 0xbeef;
    r.r12 = 0x1212;
    r.rip = rip;
    r.rsp = USTACK;
    r.rflags = UFLAGS;
    r.cs = SE_USER_CS;
    r.ss = SE_USER_DS;
    return r;
}

static se_cpu_state state(se_machine *m)
{
    se_cpu_state s;
    assert_int_equal(se_get_cpu_state(m, &s), SE_OK);
    return s;
}

static se_run_result run_to(se_machine *m, uint64_t stop, unsigned returns)
{
    se_run_options o;
    memset(&o, 0, sizeof o);
    if (stop != 0) {
        o.stop_at[0] = stop;
        o.n_stop_at = 1;
    }
    o.user_returns = returns;
    se_run_result r;
    assert_int_equal(se_run(m, &o, &r), SE_OK);
    return r;
}

static uint64_t expected_user_cr3(const se_machine *m, bool pti, bool pcid)
{
    uint64_t cr3 = m->kpgd;
    if (pcid)
        cr3 |= 1; /* ASID 0 -> kernel PCID 1 */
    if (pti)
        cr3 |= SE_PTI_USER_PGTABLE_BIT | (pcid ? SE_PTI_USER_PCID_BIT : 0);
    return cr3;
}

/* ---- CPL3 -> CPL0 -> CPL3 for every combination ------------------------------------------ */

typedef struct combo_row {
    const char *name;
    se_vendor vendor;
    bool la57, pti, pcid, iret;
} combo_row;

#define COMBO(v, l, p, c, i)                                                                       \
    {                                                                                              \
#v "/la57=" #l "/pti=" #p "/pcid=" #c "/" #i, SE_VENDOR_##v, l, p, c, i                    \
    }
#define COMBOS(v, l)                                                                               \
    COMBO(v, l, 0, 0, 0), COMBO(v, l, 0, 1, 0), COMBO(v, l, 1, 0, 0), COMBO(v, l, 1, 1, 0),        \
        COMBO(v, l, 0, 0, 1), COMBO(v, l, 0, 1, 1), COMBO(v, l, 1, 0, 1), COMBO(v, l, 1, 1, 1)

static const combo_row combo_rows[] = {COMBOS(INTEL, 0), COMBOS(INTEL, 1), COMBOS(AMD, 0),
                                       COMBOS(AMD, 1)};

static void test_round_trip(void **state_)
{
    const combo_row *row = *state_;
    se_machine *m = mk(row->vendor, row->la57, row->pti, row->pcid);
    if (row->iret)
        load_kernel(m, stub_iret, stub_iret_end);
    else
        load_kernel(m, stub_sysret, stub_sysret_end);
    load_user(m, UCODE, user_syscall, user_syscall_end);
    se_regs u = user_regs(UCODE);
    assert_int_equal(se_enter_user(m, &u), SE_OK);

    se_cpu_state before = state(m);
    assert_int_equal(before.cpl, 3);
    se_assert_eq_hex("user CR3", before.cr3, expected_user_cr3(m, row->pti, row->pcid));
    uint64_t percpu = before.kernel_gs_base;
    assert_true(percpu >> 63);
    se_assert_eq_hex("user GS base", before.regs.gs_base, 0);
    se_assert_eq_hex("EFER", before.efer, SE_EFER_SCE | SE_EFER_LME | SE_EFER_LMA | SE_EFER_NXE);
    assert_int_equal(!!(before.cr4 & SE_CR4_LA57), row->la57);
    assert_int_equal(!!(before.cr4 & SE_CR4_PCIDE), row->pcid);

    /* inside the kernel, before it returns */
    uint64_t inside = KSTUB + (uint64_t)((row->iret ? stub_iret_iretq : stub_sysret_inside) -
                                         (row->iret ? stub_iret : stub_sysret));
    se_run_result r = run_to(m, inside, 0);
    assert_int_equal(r.reason, SE_STOP_ADDRESS);
    assert_int_equal(r.syscalls, 1);
    se_cpu_state in = state(m);
    assert_int_equal(in.cpl, 0);                /* SYSCALL-9 */
    assert_int_equal(in.regs.cs, SE_KERNEL_CS); /* SYSCALL-7 */
    assert_int_equal(in.regs.ss, SE_KERNEL_DS); /* SYSCALL-8 */
    se_assert_eq_hex("CS cache", in.cs_cache.ar, SE_SEG_AR_KERNEL_CS);
    se_assert_eq_hex("SS cache", in.ss_cache.ar, SE_SEG_AR_KERNEL_SS);
    se_assert_eq_hex("RCX", in.regs.rcx, UCODE + 2); /* SYSCALL-3 */
    se_assert_eq_hex("R11", in.regs.r11, UFLAGS);    /* SYSCALL-4 */
    /* SYSCALL-5, RFLAGS-3: Linux's FMASK clears everything the user can set but VIF/VIP */
    se_assert_eq_hex("RFLAGS", in.regs.rflags,
                     SE_RFLAGS_FIXED | (UFLAGS & (SE_RFLAGS_VIF | SE_RFLAGS_VIP)));
    se_assert_eq_hex("CR3 unchanged", in.cr3, before.cr3); /* SYSCALL-9 */
    if (!row->iret) {
        se_assert_eq_hex("RSP unchanged", in.regs.rsp, USTACK);            /* SYSCALL-9 */
        se_assert_eq_hex("GS base after SWAPGS", in.regs.gs_base, percpu); /* SWAPGS-3 */
        se_assert_eq_hex("KERNEL_GS_BASE after SWAPGS", in.kernel_gs_base, 0);
        se_assert_eq_hex("%gs store/load", in.regs.r14, USTACK);
    }

    r = run_to(m, 0, 1);
    assert_int_equal(r.reason, SE_STOP_USER_RETURN);
    assert_int_equal(r.user_returns, 1);
    se_cpu_state after = state(m);
    assert_int_equal(after.cpl, 3);
    assert_int_equal(after.regs.cs, SE_USER_CS); /* SYSRET-6 / IRET-7 */
    assert_int_equal(after.regs.ss, SE_USER_DS);
    se_assert_eq_hex("CS cache", after.cs_cache.ar, SE_SEG_AR_USER_CS);
    se_assert_eq_hex("RIP", after.regs.rip, UCODE + 2);    /* SYSRET-4 */
    se_assert_eq_hex("RFLAGS", after.regs.rflags, UFLAGS); /* SYSRET-5 keeps NT/AC/DF */
    se_assert_eq_hex("RSP", after.regs.rsp, USTACK);
    se_assert_eq_hex("GS base", after.regs.gs_base, 0); /* SWAPGS-6 */
    se_assert_eq_hex("KERNEL_GS_BASE", after.kernel_gs_base, percpu);
    se_assert_eq_hex("RBX", after.regs.rbx, 0x1111);
    if (!row->iret) /* the IRETQ stub uses R12 as scratch */
        se_assert_eq_hex("R12", after.regs.r12, 0x1212);
    se_assert_eq_hex("CR3", after.cr3, before.cr3);
    se_machine_destroy(m);
}

/* se_mem_unmap must flush the engine's TLB: code that ran from a page keeps a TLB entry for
 * it, and without a flush the engine fetches from the unmapped page as if it were present.
 * (On 2.0.1 a uc_mem_protect that changes nothing is dropped before it flushes: the backend
 * changes the permissions of a dedicated page and changes them back.) Then mapping it again
 * makes it run again. */
static void test_unmap_flushes_tlb(void **s)
{
    (void)s;
    for (int pti = 0; pti <= 1; pti++) {
        se_machine *m = mk(SE_VENDOR_INTEL, false, pti, false);
        load_kernel(m, stub_sysret, stub_sysret_end);
        load_user(m, UCODE, user_syscall, user_syscall_end);
        se_regs u = user_regs(UCODE);
        assert_int_equal(se_enter_user(m, &u), SE_OK);
        se_run_result r = run_to(m, 0, 1);
        assert_int_equal(r.reason, SE_STOP_USER_RETURN);
        assert_int_equal(se_mem_unmap(m, UCODE, 0x1000), SE_OK);
        assert_int_equal(se_enter_user(m, &u), SE_OK);
        se_run_options o;
        memset(&o, 0, sizeof o);
        o.user_returns = 1;
        assert_int_equal(se_run(m, &o, &r), SE_OK);
        assert_int_equal(r.reason, SE_STOP_FAULT);
        assert_int_equal(r.fault.vector, SE_VEC_PF);
        assert_int_equal(r.fault.cpl, 3);
        se_assert_eq_hex("CR2", r.fault.cr2, UCODE);
        se_assert_eq_hex("error code", r.fault.error_code, SE_PF_U | SE_PF_I);
        assert_int_equal(r.syscalls, 0);
        /* present again: it runs */
        load_user(m, UCODE, user_syscall, user_syscall_end);
        assert_int_equal(se_enter_user(m, &u), SE_OK);
        r = run_to(m, 0, 1);
        assert_int_equal(r.reason, SE_STOP_USER_RETURN);
        se_machine_destroy(m);
    }
}

/* ---- PTI isolation, PCID and the no-flush bit -------------------------------------------- */

static void test_pti_user_cr3_hides_kernel_data_at_cpl0(void **s)
{
    (void)s;
    se_machine *m = mk(SE_VENDOR_INTEL, false, true, true);
    load_kernel(m, stub_kread, stub_kread_end);
    load_user(m, UCODE, user_syscall, user_syscall_end);
    se_regs u = user_regs(UCODE);
    u.rdi = state(m).kernel_gs_base + 0x1000; /* per-CPU page not cloned into the user PGD */
    se_enter_user(m, &u);
    se_run_result r = run_to(m, 0, 1);
    assert_int_equal(r.reason, SE_STOP_FAULT);
    assert_int_equal(r.fault.vector, SE_VEC_PF);
    assert_int_equal(r.fault.cpl, 0);
    se_assert_eq_hex("error code", r.fault.error_code, 0); /* supervisor read, not present */
    se_assert_eq_hex("CR2", r.fault.cr2, u.rdi);
    se_assert_eq_hex("RIP", r.fault.rip, KSTUB + 3); /* after the 3-byte SWAPGS */
    se_machine_destroy(m);
}

/*
 * The engine's TLB is kept across the machine's CR3 switches (backend.c, "CR3 switches without
 * a flush"). Whatever the kernel CR3 put in it must not serve an access made at CPL0 while the
 * user CR3 is live: each case first reads kernel-only data on the kernel CR3 (twice: a first
 * call warms the TLB), then touches it on the user CR3 at entry, after the switch back, after
 * setting RFLAGS.AC (which moves the engine to the kernel partition) or after a MOV to CR4
 * (which makes the engine recompute its partition), or fetches kernel-only code with AC set. A user
 * page read at CPL0 on the user CR3 is allowed (CR4.SMAP is clear) although the engine's partition
 * has SMAP semantics. Every case runs with the no-flush scheme and without it (every switch
 * flushing, as the engine does natively): the outcomes must be the same.
 */
static void test_pti_tlb_kept_across_cr3_switches(void **s)
{
    (void)s;
    for (int fast = 0; fast <= 1; fast++) {
        for (int pcid = 0; pcid <= 1; pcid++) {
            for (uint64_t mode = 0; mode <= 7; mode++) {
                se_machine *m = mk(SE_VENDOR_INTEL, false, true, pcid);
                if (!fast)
                    m->be.fast_cr3 = false;
                else if (!m->be.fast_cr3) {
                    se_machine_destroy(m); /* the portable path never keeps the TLB */
                    continue;
                }
                load_kernel(m, stub_cr3_tlb, stub_cr3_tlb_end);
                const uint64_t kjump = KSTUB + 0x2000;
                assert_int_equal(se_load_kernel_code(m, kjump, stub_kjump,
                                                     (size_t)(stub_kjump_end - stub_kjump), false),
                                 SE_OK);
                load_user(m, UCODE, user_syscall, user_syscall_end);
                const uint64_t udata = 0x600000, secret = 0x5ec2e7;
                assert_int_equal(se_mem_map(m, udata, 0x1000, SE_MAP_USER | SE_MAP_WRITE), SE_OK);
                assert_int_equal(se_mem_write(m, udata, &secret, 8), SE_OK);
                se_regs u = user_regs(UCODE);
                u.rdi = state(m).kernel_gs_base + 0x1000; /* not cloned into the user PGD */
                u.rdx = udata;
                u.r8 = kjump;
                u.r15 = m->lay.cea_entry_stack + 0xF00; /* PTI-shared, supervisor */
                u.rsi = 0; /* warm-up: kernel data read on the kernel CR3 only */
                assert_int_equal(se_enter_user(m, &u), SE_OK);
                se_run_result r = run_to(m, 0, 1);
                assert_int_equal(r.reason, SE_STOP_USER_RETURN);
                u.rsi = mode;
                assert_int_equal(se_enter_user(m, &u), SE_OK);
                r = run_to(m, 0, 1);
                char what[64];
                snprintf(what, sizeof what, "fast=%d pcid=%d case %d", fast, pcid, (int)mode);
                if (mode == 0 || mode == 3) {
                    if (r.reason != SE_STOP_USER_RETURN)
                        fail_msg("%s: stopped with %d (vector %d)", what, (int)r.reason,
                                 (int)r.fault.vector);
                    if (mode == 3)
                        se_assert_eq_hex(what, state(m).regs.r10, secret);
                } else {
                    if (r.reason != SE_STOP_FAULT || r.fault.vector != SE_VEC_PF ||
                        r.fault.cpl != 0)
                        fail_msg("%s: no #PF at CPL0 (reason %d, vector %d)", what, (int)r.reason,
                                 (int)r.fault.vector);
                    se_assert_eq_hex(what, r.fault.cr2, mode == 5 ? kjump : u.rdi);
                    se_assert_eq_hex(what, r.fault.error_code, mode == 5 ? SE_PF_I : 0);
                }
                /* the machine goes on: a plain call afterwards works */
                u.rsi = 0;
                assert_int_equal(se_enter_user(m, &u), SE_OK);
                r = run_to(m, 0, 1);
                if (r.reason != SE_STOP_USER_RETURN)
                    fail_msg("%s: the next call stopped with %d", what, (int)r.reason);
                se_machine_destroy(m);
            }
        }
    }
}

/* The same for an instruction fetch: with RFLAGS.AC set on the user CR3 the engine would take
 * the next block's bytes from the kernel CR3's translation of a kernel-only page; the CPU
 * raises #PF there (fetch, not present), and the machine must too. */
static void test_pti_ac_fetch_uses_no_kernel_translation(void **s)
{
    (void)s;
    for (int fast = 0; fast <= 1; fast++) {
        se_machine *m = mk(SE_VENDOR_INTEL, false, true, true);
        if (!fast)
            m->be.fast_cr3 = false;
        else if (!m->be.fast_cr3) {
            se_machine_destroy(m);
            continue;
        }
        /* the layout the case depends on: POPF is the page's last byte, RET at +0x20 */
        assert_int_equal((size_t)(stub_acpage_end - stub_acpage), 0x1000);
        assert_int_equal(stub_acpage[0xFFF], 0x9D);
        assert_int_equal(stub_acpage_b[0x20], 0xC3);
        load_kernel(m, stub_acpage, stub_acpage_end);
        const uint64_t page_b = KSTUB + 0x1000;
        assert_int_equal(se_load_kernel_code(m, page_b, stub_acpage_b,
                                             (size_t)(stub_acpage_b_end - stub_acpage_b), false),
                         SE_OK);
        load_user(m, UCODE, user_syscall, user_syscall_end);
        se_regs u = user_regs(UCODE);
        u.r8 = page_b + 0x20;
        u.r15 = m->lay.cea_entry_stack + 0xF00;
        u.rsi = 0;
        assert_int_equal(se_enter_user(m, &u), SE_OK);
        se_run_result r = run_to(m, 0, 1);
        assert_int_equal(r.reason, SE_STOP_USER_RETURN);
        u.rsi = 1;
        assert_int_equal(se_enter_user(m, &u), SE_OK);
        r = run_to(m, 0, 1);
        if (r.reason != SE_STOP_FAULT || r.fault.vector != SE_VEC_PF || r.fault.cpl != 0)
            fail_msg("fast=%d: no #PF at CPL0 (reason %d, vector %d)", fast, (int)r.reason,
                     (int)r.fault.vector);
        se_assert_eq_hex("CR2", r.fault.cr2, page_b);
        se_assert_eq_hex("error code", r.fault.error_code, SE_PF_I);
        se_assert_eq_hex("RIP", r.fault.rip, page_b);
        se_machine_destroy(m);
    }
}

/* A snapshot taken while stopped at CPL0 on the user CR3 (a #PF in the exit stretch, after
 * a user-page read made the machine leave its SMAP partition) and restored after a call has
 * filled the kernel CR3's translations: running on from there must fault again. */
static void test_pti_snapshot_at_cpl0_on_user_cr3(void **s)
{
    (void)s;
    se_machine *m = mk(SE_VENDOR_INTEL, false, true, true);
    load_kernel(m, stub_cr3_tlb, stub_cr3_tlb_end);
    load_user(m, UCODE, user_syscall, user_syscall_end);
    const uint64_t udata = 0x600000;
    assert_int_equal(se_mem_map(m, udata, 0x1000, SE_MAP_USER | SE_MAP_WRITE), SE_OK);
    se_regs u = user_regs(UCODE);
    u.rdi = state(m).kernel_gs_base + 0x1000;
    u.rdx = udata;
    u.r15 = m->lay.cea_entry_stack + 0xF00;
    u.rsi = 7;
    assert_int_equal(se_enter_user(m, &u), SE_OK);
    se_run_result r = run_to(m, 0, 1);
    assert_int_equal(r.reason, SE_STOP_FAULT);
    assert_int_equal(r.fault.vector, SE_VEC_PF);
    se_assert_eq_hex("CR2", r.fault.cr2, u.rdi);
    se_snapshot *snap = NULL;
    assert_int_equal(se_snapshot_create(m, &snap), SE_OK);
    u.rsi = 0;
    assert_int_equal(se_enter_user(m, &u), SE_OK);
    r = run_to(m, 0, 1);
    assert_int_equal(r.reason, SE_STOP_USER_RETURN);
    assert_int_equal(se_snapshot_restore(m, snap), SE_OK);
    r = run_to(m, 0, 1);
    assert_int_equal(r.reason, SE_STOP_FAULT);
    assert_int_equal(r.fault.vector, SE_VEC_PF);
    assert_int_equal(r.fault.cpl, 0);
    se_assert_eq_hex("CR2 again", r.fault.cr2, u.rdi);
    se_snapshot_destroy(snap);
    se_machine_destroy(m);
}

static void test_no_pti_kernel_data_visible_at_cpl0(void **s)
{
    (void)s;
    se_machine *m = mk(SE_VENDOR_INTEL, false, false, false);
    load_kernel(m, stub_kread, stub_kread_end);
    load_user(m, UCODE, user_syscall, user_syscall_end);
    se_regs u = user_regs(UCODE);
    u.rdi = state(m).kernel_gs_base + 0x1000;
    se_enter_user(m, &u);
    se_run_result r = run_to(m, 0, 1);
    assert_int_equal(r.reason, SE_STOP_USER_RETURN);
    se_machine_destroy(m);
}

static void test_pti_kernel_cr3_noflush_then_flush(void **s)
{
    (void)s;
    se_machine *m = mk(SE_VENDOR_INTEL, false, true, true);
    load_kernel(m, stub_cr3, stub_cr3_end);
    load_user(m, UCODE, user_syscall, user_syscall_end);
    uint64_t secret_va = state(m).kernel_gs_base + 0x1800;
    const uint64_t secret = 0x5ec2e75ec2e7ull;
    assert_int_equal(se_mem_write(m, secret_va, &secret, 8), SE_OK);
    se_regs u = user_regs(UCODE);
    u.rdi = secret_va;
    se_enter_user(m, &u);
    se_tlb before = m->tlb;
    se_run_result r = run_to(m, 0, 1);
    assert_int_equal(r.reason, SE_STOP_USER_RETURN);
    se_cpu_state after = state(m);
    se_assert_eq_hex("kernel data read under the kernel CR3", after.regs.r8, secret);
    /* CR3-2: bit 63 is a hint, never stored; the guest reads CR3 back without it */
    se_assert_eq_hex("CR3 read after no-flush write", after.regs.rbx,
                     expected_user_cr3(m, true, true) & ~0x1800ull);
    assert_int_equal(m->tlb.noflush_writes - before.noflush_writes, 1);   /* CR3-5 */
    assert_int_equal(m->tlb.flushing_writes - before.flushing_writes, 1); /* back to user */
    se_assert_eq_hex("CR3 back to user", after.cr3, expected_user_cr3(m, true, true));
    se_machine_destroy(m);
}

/* ---- #PF error codes and CR2 ------------------------------------------------------------ */

typedef struct pf_row {
    const char *name;
    bool pti;
    int kind;   /* 0 read, 1 write, 2 fetch */
    int target; /* 0 unmapped user, 1 read-only user page, 2 kernel data, 3 entry text */
    uint32_t error_code;
} pf_row;

static const pf_row pf_rows[] = {
    {"read_unmapped_user_not_present", true, 0, 0, SE_PF_U},
    {"write_unmapped_user_not_present", true, 1, 0, SE_PF_U | SE_PF_W},
    {"fetch_unmapped_user_not_present", true, 2, 0, SE_PF_U | SE_PF_I},
    {"write_readonly_user_protection", true, 1, 1, SE_PF_P | SE_PF_W | SE_PF_U},
    {"read_kernel_data_pti_not_present", true, 0, 2, SE_PF_U},
    {"read_kernel_data_nopti_protection", false, 0, 2, SE_PF_P | SE_PF_U},
    {"write_kernel_data_nopti_protection", false, 1, 2, SE_PF_P | SE_PF_W | SE_PF_U},
    {"fetch_entry_text_pti_protection", true, 2, 3, SE_PF_P | SE_PF_U | SE_PF_I},
    {"fetch_kernel_data_pti_not_present", true, 2, 2, SE_PF_U | SE_PF_I},
};

static void test_page_fault(void **state_)
{
    const pf_row *row = *state_;
    se_machine *m = mk(SE_VENDOR_INTEL, false, row->pti, row->pti);
    load_kernel(m, stub_sysret, stub_sysret_end);
    const uint8_t *s = row->kind == 0   ? user_read_rax
                       : row->kind == 1 ? user_write_rax
                                        : user_jmp_rax;
    const uint8_t *e = row->kind == 0   ? user_read_rax_end
                       : row->kind == 1 ? user_write_rax_end
                                        : user_jmp_rax_end;
    load_user(m, UCODE, s, e);
    uint64_t target = 0x10000000;
    if (row->target == 1)
        target = UCODE; /* code page: mapped user, not writable */
    else if (row->target == 2)
        target = state(m).kernel_gs_base + 0x1000;
    else if (row->target == 3)
        target = KSTUB;
    se_regs u = user_regs(UCODE);
    u.rax = target;
    se_enter_user(m, &u);
    se_run_result r = run_to(m, 0, 0);
    assert_int_equal(r.reason, SE_STOP_FAULT);
    assert_int_equal(r.fault.vector, SE_VEC_PF);
    assert_int_equal(r.fault.cpl, 3);
    se_assert_eq_hex("error code", r.fault.error_code, row->error_code);
    se_assert_eq_hex("CR2", r.fault.cr2, target);
    se_assert_eq_hex("RIP", r.fault.rip, row->kind == 2 ? target : UCODE);
    se_machine_destroy(m);
}

/*
 * A fetch that faults at the start of the next page, reached by the code before it: the CPU
 * runs every instruction before the one that reaches the page and raises #PF on that one, with
 * RIP at its first byte (SDM Vol. 3A §6.15, interrupt 14). The engine translates a whole block
 * before running it and used to fault at the block's start (2.1.1, error code without I/D) or
 * at the page (2.0.1), with none of the INC RAX before it run.
 */
typedef struct cross_row {
    const char *name;
    unsigned incs;   /* INC RAX (3 bytes each) before the instruction that reaches the page */
    uint8_t tail[4]; /* then these bytes, up to the page's end */
    unsigned n_tail;
    int at; /* where the fault is: page end - at */
} cross_row;

static const cross_row cross_rows[] = {
    /* INC RAX whose last two bytes would be on the next page */
    {"straddles_after_85", 85, {0x48}, 1, 1},
    {"straddles_first", 0, {0x48}, 1, 1},
    /* the block falls through to the next page */
    {"falls_through_after_85", 85, {0x90}, 1, 0},
    /* JMP to the next page: RIP is the target */
    {"jumps_there", 40, {0xEB, 0x00}, 2, 0},
};

static void test_fetch_fault_at_page_end(void **state_)
{
    const cross_row *row = *state_;
    se_machine *m = mk(SE_VENDOR_INTEL, false, true, true);
    load_kernel(m, stub_sysret, stub_sysret_end);
    const uint64_t page = UCODE, next = UCODE + 0x1000;
    uint8_t code[0x1000];
    memset(code, 0xCC, sizeof code);
    size_t start = 0x1000 - row->n_tail - 3 * row->incs;
    for (unsigned i = 0; i < row->incs; i++)
        memcpy(code + start + 3 * i, "\x48\xff\xc0", 3);
    memcpy(code + 0x1000 - row->n_tail, row->tail, row->n_tail);
    assert_int_equal(se_mem_map(m, page, 0x1000, SE_MAP_USER), SE_OK);
    assert_int_equal(se_mem_write(m, page, code, sizeof code), SE_OK);
    se_regs u = user_regs(page + start);
    u.rax = 0;
    se_enter_user(m, &u);
    se_run_result r = run_to(m, 0, 0);
    assert_int_equal(r.reason, SE_STOP_FAULT);
    assert_int_equal(r.fault.vector, SE_VEC_PF);
    assert_int_equal(r.fault.cpl, 3);
    se_assert_eq_hex("RIP", r.fault.rip, next - (uint64_t)row->at);
    se_assert_eq_hex("CR2", r.fault.cr2, next);
    se_assert_eq_hex("error code", r.fault.error_code, SE_PF_U | SE_PF_I);
    /* the NOP and the JMP count too */
    unsigned ran = row->incs + (row->at == 0 ? 1 : 0);
    assert_int_equal(r.instructions, ran);
    se_assert_eq_hex("RAX", state(m).regs.rax, row->incs);
    se_assert_eq_hex("RIP after", state(m).regs.rip, next - (uint64_t)row->at);
    se_machine_destroy(m);
}

/* ---- vendors, MSRs, LA57 ---------------------------------------------------------------- */

static void test_sysret_noncanonical_intel_gp_at_cpl0(void **s)
{
    (void)s;
    se_machine *m = mk(SE_VENDOR_INTEL, false, false, false);
    load_kernel(m, stub_noncanon, stub_noncanon_end);
    load_user(m, UCODE, user_syscall, user_syscall_end);
    se_regs u = user_regs(UCODE);
    u.gs_base = 0x7000;
    se_enter_user(m, &u);
    se_run_result r = run_to(m, 0, 0);
    assert_int_equal(r.reason, SE_STOP_FAULT);
    assert_int_equal(r.fault.vector, SE_VEC_GP); /* SYSRET-3 (Intel) */
    assert_int_equal(r.fault.cpl, 0);
    se_assert_eq_hex("RIP", r.fault.rip, KSTUB + (uint64_t)(stub_noncanon_sysretq - stub_noncanon));
    assert_int_equal(r.user_returns, 0);
    se_cpu_state st = state(m);
    assert_int_equal(st.cpl, 0);
    /* CVE-2012-0217: ring 0 with the user's RSP and GS base */
    se_assert_eq_hex("RSP", st.regs.rsp, USTACK);
    se_assert_eq_hex("GS base", st.regs.gs_base, 0x7000);
    se_machine_destroy(m);
}

static void test_sysret_noncanonical_amd_fault_at_cpl3(void **s)
{
    (void)s;
    se_machine *m = mk(SE_VENDOR_AMD, false, false, false);
    load_kernel(m, stub_noncanon, stub_noncanon_end);
    load_user(m, UCODE, user_syscall, user_syscall_end);
    se_regs u = user_regs(UCODE);
    se_enter_user(m, &u);
    se_run_result r = run_to(m, 0, 0);
    assert_int_equal(r.reason, SE_STOP_FAULT);
    assert_int_equal(r.user_returns, 1); /* SYSRET-3A: the return completed */
    assert_int_equal(r.fault.vector, SE_VEC_GP);
    assert_int_equal(r.fault.cpl, 3);
    se_assert_eq_hex("RIP", r.fault.rip, 0x0000800000000000ull);
    se_machine_destroy(m);
}

static void test_sysret_star_without_rpl_vendor_ss(void **s)
{
    (void)s;
    for (int v = 0; v <= SE_VENDOR_MAX_VALUE; v++) {
        se_machine *m = mk((se_vendor)v, false, false, false);
        load_kernel(m, stub_sysret, stub_sysret_end);
        load_user(m, UCODE, user_syscall, user_syscall_end);
        se_fault f;
        /* SYSRET base selector 0x10: RPL 0 (hobby-OS mistake, SYSRET-7A) */
        assert_int_equal(se_msr_write(m, SE_MSR_IA32_STAR, 0x0010001000000000ull, &f), SE_OK);
        assert_int_equal(f.kind, SE_FAULT_NONE);
        se_regs u = user_regs(UCODE);
        se_enter_user(m, &u);
        run_to(m, 0, 1);
        se_cpu_state st = state(m);
        assert_int_equal(st.regs.cs, 0x23);
        assert_int_equal(st.regs.ss, v == SE_VENDOR_INTEL ? 0x1b : 0x18);
        se_machine_destroy(m);
    }
}

static void test_kernel_wrmsr_noncanonical_lstar_gp(void **s)
{
    (void)s;
    se_machine *m = mk(SE_VENDOR_INTEL, false, true, true);
    load_kernel(m, stub_wrmsr, stub_wrmsr_end);
    load_user(m, UCODE, user_syscall, user_syscall_end);
    se_regs u = user_regs(UCODE);
    se_enter_user(m, &u);
    se_run_result r = run_to(m, 0, 0);
    assert_int_equal(r.fault.vector, SE_VEC_GP); /* MSR-3 */
    assert_int_equal(r.fault.cpl, 0);
    se_assert_eq_hex("RIP", r.fault.rip, KSTUB + (uint64_t)(stub_wrmsr_insn - stub_wrmsr));
    uint64_t lstar;
    se_fault f;
    assert_int_equal(se_msr_read(m, SE_MSR_IA32_LSTAR, &lstar, &f), SE_OK);
    se_assert_eq_hex("LSTAR unchanged", lstar, KSTUB);
    se_machine_destroy(m);
}

static void test_msr_api(void **s)
{
    (void)s;
    se_machine *m = mk(SE_VENDOR_INTEL, false, true, true);
    se_fault f;
    uint64_t v;
    assert_int_equal(se_msr_write(m, SE_MSR_IA32_LSTAR, 0x0000800000000000ull, &f), SE_OK);
    assert_int_equal(f.kind, SE_FAULT_FAULT);
    assert_int_equal(f.vector, SE_VEC_GP);
    assert_int_equal(se_msr_write(m, 0x12345678u, 0, &f), SE_OK); /* MSR-1: unknown */
    assert_int_equal(f.vector, SE_VEC_GP);
    assert_int_equal(se_msr_read(m, 0x12345678u, &v, &f), SE_OK);
    assert_int_equal(f.vector, SE_VEC_GP);
    assert_int_equal(se_msr_write(m, SE_MSR_IA32_KERNEL_GS_BASE, 0xffff888000001000ull, &f), SE_OK);
    assert_int_equal(f.kind, SE_FAULT_NONE);
    assert_int_equal(se_msr_read(m, SE_MSR_IA32_KERNEL_GS_BASE, &v, &f), SE_OK);
    se_assert_eq_hex("KERNEL_GS_BASE", v, 0xffff888000001000ull);
    assert_int_equal(se_msr_read(m, SE_MSR_IA32_EFER, &v, &f), SE_OK);
    assert_true(v & SE_EFER_SCE); /* held by the model though the engine drops it */
    assert_int_equal(se_msr_write(m, SE_MSR_IA32_LSTAR, 0, NULL), SE_ERR_INVALID_ARG);
    assert_int_equal(se_msr_read(m, SE_MSR_IA32_LSTAR, NULL, &f), SE_ERR_INVALID_ARG);
    assert_int_equal(se_msr_read(NULL, SE_MSR_IA32_LSTAR, &v, &f), SE_ERR_INVALID_ARG);
    se_machine_destroy(m);
}

static void test_la57_high_user_address(void **s)
{
    (void)s;
    const uint64_t top = 0x00fffffffffff000ull; /* canonical only with 57-bit addresses */
    se_machine *m4 = mk(SE_VENDOR_INTEL, false, true, true);
    assert_int_equal(se_mem_map(m4, top, 0x1000, SE_MAP_USER), SE_ERR_INVALID_ARG);
    se_machine_destroy(m4);
    se_machine *m = mk(SE_VENDOR_INTEL, true, true, true);
    load_kernel(m, stub_sysret, stub_sysret_end);
    load_user(m, top, user_syscall, user_syscall_end);
    se_regs u = user_regs(top);
    assert_int_equal(se_enter_user(m, &u), SE_OK);
    se_run_result r = run_to(m, 0, 1);
    assert_int_equal(r.reason, SE_STOP_USER_RETURN);
    se_assert_eq_hex("RIP", state(m).regs.rip, top + 2);
    se_machine_destroy(m);
}

/* ---- MOV to CR0 ------------------------------------------------------------------------- */

/* Kernel code reached through LSTAR on a machine that also has the Linux entry, so that the
 * same machine can afterwards run a normal se_syscall(). */
static se_machine *mk_cr0(uint64_t *linux_lstar)
{
    se_config cfg;
    se_config_default(&cfg);
    cfg.cpl_switch = g_cpl_switch;
    se_machine *m = NULL;
    assert_int_equal(se_machine_create(&cfg, &m), SE_OK);
    se_fault f;
    assert_int_equal(se_msr_read(m, SE_MSR_IA32_LSTAR, linux_lstar, &f), SE_OK);
    load_kernel(m, stub_cr0, stub_cr0_end);
    load_user(m, UCODE, user_syscall, user_syscall_end);
    return m;
}

/* Issue 9 §3: each of these used to be accepted and left the engine outside 64-bit mode, so
 * that every later call faulted. Now each is #GP(0) at CPL0 with CR0 untouched, and the
 * machine still completes a system call. */
static void test_kernel_mov_cr0_gp_machine_still_usable(void **s)
{
    (void)s;
    static const uint64_t toggles[] = {
        SE_CR0_PG,                         /* SDM Vol. 3A §2.5: PG off in 64-bit mode */
        SE_CR0_PE | SE_CR0_PG | SE_CR0_WP, /* CR0 close to 0: PG off, PG without PE */
        1ull << 32,                        /* SDM Vol. 3A §2.5: bits 63:32 reserved */
        1ull << 29,                        /* SDM Vol. 2B MOV CR: NW without CD */
    };
    uint64_t linux_lstar;
    se_machine *m = mk_cr0(&linux_lstar);
    const uint64_t cr0 = state(m).cr0;
    for (size_t i = 0; i < sizeof toggles / sizeof toggles[0]; i++) {
        se_fault f;
        assert_int_equal(se_msr_write(m, SE_MSR_IA32_LSTAR, KSTUB, &f), SE_OK);
        se_regs u = user_regs(UCODE);
        u.rdx = toggles[i];
        assert_int_equal(se_enter_user(m, &u), SE_OK);
        se_run_result r = run_to(m, 0, 1);
        assert_int_equal(r.reason, SE_STOP_FAULT);
        assert_int_equal(r.fault.vector, SE_VEC_GP);
        assert_true(r.fault.has_error_code);
        assert_int_equal(r.fault.error_code, 0);
        assert_int_equal(r.fault.cpl, 0);
        se_assert_eq_hex("RIP", r.fault.rip, KSTUB + (uint64_t)(stub_cr0_insn - stub_cr0));
        se_cpu_state st = state(m);
        se_assert_eq_hex("CR0 unchanged", st.cr0, cr0);
        assert_true(st.efer & SE_EFER_LMA);
    }
    se_fault f;
    assert_int_equal(se_msr_write(m, SE_MSR_IA32_LSTAR, linux_lstar, &f), SE_OK);
    se_regs u = user_regs(UCODE);
    u.rflags = 0x246;
    se_outcome o;
    assert_int_equal(se_syscall(m, &u, &o), SE_OK);
    assert_int_equal(o.path, SE_EXIT_SYSRET);
    assert_int_equal(o.fault.kind, SE_FAULT_NONE);
    se_machine_destroy(m);
}

/* An accepted write reaches the engine as the SDM defines it: undefined bits of 31:0 stay
 * clear (SDM Vol. 2B MOV CR), and the source register keeps the program's value. */
static void test_kernel_mov_cr0_accepted_engine_gets_architectural_value(void **s)
{
    (void)s;
    uint64_t linux_lstar;
    se_machine *m = mk_cr0(&linux_lstar);
    const uint64_t cr0 = state(m).cr0;
    const uint64_t undefined = (1ull << 6) | (1ull << 17);
    se_fault f;
    assert_int_equal(se_msr_write(m, SE_MSR_IA32_LSTAR, KSTUB, &f), SE_OK);
    se_regs u = user_regs(UCODE);
    u.rdx = (1ull << 30) | undefined; /* CD on, plus bits the CPU keeps clear */
    assert_int_equal(se_enter_user(m, &u), SE_OK);
    se_run_result r = run_to(m, 0, 1);
    assert_int_equal(r.reason, SE_STOP_USER_RETURN);
    se_cpu_state st = state(m);
    se_assert_eq_hex("CR0 read back by the guest", st.regs.rbx, cr0 | (1ull << 30));
    se_assert_eq_hex("CR0 in the model", st.cr0, cr0 | (1ull << 30));
    se_assert_eq_hex("source register", st.regs.rax, cr0 ^ u.rdx);
    se_machine_destroy(m);
}

/* ---- robustness ------------------------------------------------------------------------- */

static void test_machine_reusable_after_faults(void **s)
{
    (void)s;
    se_machine *m = mk(SE_VENDOR_INTEL, false, true, true);
    load_user(m, UCODE, user_read_rax, user_read_rax_end);
    /* Unicorn escalates a second #PF to #DF and a third to a silent halt unless its
     * exception state is reset (docs/machine.md, engine limitations) */
    for (int i = 0; i < 4; i++) {
        se_regs u = user_regs(UCODE);
        u.rax = 0x20000000;
        assert_int_equal(se_enter_user(m, &u), SE_OK);
        se_run_result r = run_to(m, 0, 0);
        assert_int_equal(r.reason, SE_STOP_FAULT);
        assert_int_equal(r.fault.vector, SE_VEC_PF);
    }
    se_machine_destroy(m);
}

static void test_budget_stops_runaway_guest(void **s)
{
    (void)s;
    se_machine *m = mk(SE_VENDOR_INTEL, false, true, true);
    load_user(m, UCODE, user_spin, user_spin_end);
    se_regs u = user_regs(UCODE);
    se_enter_user(m, &u);
    se_run_options o;
    memset(&o, 0, sizeof o);
    o.max_insns = 1000;
    se_run_result r;
    assert_int_equal(se_run(m, &o, &r), SE_OK);
    assert_int_equal(r.reason, SE_STOP_BUDGET);
    assert_true(r.instructions <= 1000);
    assert_true(r.instructions >= 990);
    se_machine_destroy(m);
}

static void test_user_swapgs_gp(void **s)
{
    (void)s;
    se_machine *m = mk(SE_VENDOR_INTEL, false, true, true);
    load_user(m, UCODE, user_swapgs, user_swapgs_end);
    se_regs u = user_regs(UCODE);
    se_enter_user(m, &u);
    se_run_result r = run_to(m, 0, 0);
    assert_int_equal(r.fault.vector, SE_VEC_GP); /* SWAPGS-2 */
    assert_int_equal(r.fault.cpl, 3);
    se_assert_eq_hex("RIP", r.fault.rip, UCODE);
    se_machine_destroy(m);
}

static void test_bad_arguments(void **s)
{
    (void)s;
    se_machine *m = NULL;
    se_config cfg;
    se_config_default(&cfg);
    assert_int_equal(se_machine_create(&cfg, NULL), SE_ERR_INVALID_ARG);
    cfg.vendor = (se_vendor)7;
    assert_int_equal(se_machine_create(&cfg, &m), SE_ERR_INVALID_ARG);
    assert_null(m);
    se_config_default(&cfg);
    cfg.disabled_checks = 1u << 20;
    assert_int_equal(se_machine_create(&cfg, &m), SE_ERR_INVALID_ARG);
    se_config_default(&cfg);
    cfg.asid = 6;
    assert_int_equal(se_machine_create(&cfg, &m), SE_ERR_INVALID_ARG);
    se_machine_destroy(NULL);

    m = mk(SE_VENDOR_INTEL, false, true, true);
    se_cpu_state st;
    assert_int_equal(se_get_cpu_state(NULL, &st), SE_ERR_INVALID_ARG);
    assert_int_equal(se_get_cpu_state(m, NULL), SE_ERR_INVALID_ARG);
    assert_int_equal(se_mem_map(m, 0x400001, 0x1000, SE_MAP_USER), SE_ERR_INVALID_ARG);
    assert_int_equal(se_mem_map(m, 0x400000, 0, SE_MAP_USER), SE_ERR_INVALID_ARG);
    assert_int_equal(se_mem_map(m, 0x400000, 0x1000, 0x80), SE_ERR_INVALID_ARG);
    assert_int_equal(se_mem_map(m, 0xffffffffc0000000ull, 0x1000, SE_MAP_USER), SE_ERR_INVALID_ARG);
    assert_int_equal(se_mem_map(m, 0x400000, 0x1000, SE_MAP_USER), SE_OK);
    assert_int_equal(se_mem_map(m, 0x400000, 0x1000, SE_MAP_USER), SE_ERR_CONFLICT);
    assert_int_equal(se_mem_map(m, SE_PHYS_BASE, 0x1000, SE_MAP_USER), SE_ERR_CONFLICT);
    assert_string_not_equal(se_machine_last_error(m), "");
    uint8_t b;
    assert_int_equal(se_mem_read(m, 0x900000, &b, 1), SE_ERR_NOT_MAPPED);
    assert_int_equal(se_mem_unmap(m, 0x900000, 0x1000), SE_ERR_NOT_MAPPED);
    se_regs u = user_regs(UCODE);
    u.cs = SE_USER32_CS;
    assert_int_equal(se_enter_user(m, &u), SE_ERR_INVALID_ARG);
    u = user_regs(0x0000800000000000ull);
    assert_int_equal(se_enter_user(m, &u), SE_ERR_INVALID_ARG);
    u = user_regs(UCODE);
    u.rflags |= 1ull << 40;
    assert_int_equal(se_enter_user(m, &u), SE_ERR_INVALID_ARG);
    se_run_result rr;
    assert_int_equal(se_run(m, NULL, NULL), SE_ERR_INVALID_ARG);
    assert_int_equal(se_run(NULL, NULL, &rr), SE_ERR_INVALID_ARG);
    uint64_t pa;
    se_fault f;
    assert_int_equal(se_translate(m, UCODE, (se_access)9, 3, 0, &pa, &f), SE_ERR_INVALID_ARG);
    assert_int_equal(se_load_kernel_code(m, 0xffffffffc0000000ull, NULL, 1, false),
                     SE_ERR_INVALID_ARG);
    assert_int_equal(se_load_kernel_code(m, 0x400000, "\x90", 1, false), SE_ERR_INVALID_ARG);
    se_machine_destroy(m);
}

static void test_translate_matches_page_tables(void **s)
{
    (void)s;
    se_machine *m = mk(SE_VENDOR_INTEL, false, true, true);
    assert_int_equal(se_mem_map(m, 0x600000, 0x1000, SE_MAP_USER | SE_MAP_WRITE), SE_OK);
    uint64_t pa;
    se_fault f;
    assert_int_equal(se_translate(m, 0x600123, SE_ACCESS_WRITE, 3, 0, &pa, &f), SE_OK);
    assert_int_equal(f.kind, SE_FAULT_NONE);
    assert_int_equal(pa & 0xFFF, 0x123);
    assert_int_equal(se_mem_unmap(m, 0x600000, 0x1000), SE_OK);
    assert_int_equal(se_translate(m, 0x600123, SE_ACCESS_READ, 3, 0, &pa, &f), SE_OK);
    assert_int_equal(f.vector, SE_VEC_PF);
    se_assert_eq_hex("error code", f.error_code, SE_PF_U);
    se_machine_destroy(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pti_user_cr3_hides_kernel_data_at_cpl0),
        cmocka_unit_test(test_pti_tlb_kept_across_cr3_switches),
        cmocka_unit_test(test_pti_ac_fetch_uses_no_kernel_translation),
        cmocka_unit_test(test_pti_snapshot_at_cpl0_on_user_cr3),
        cmocka_unit_test(test_no_pti_kernel_data_visible_at_cpl0),
        cmocka_unit_test(test_pti_kernel_cr3_noflush_then_flush),
        cmocka_unit_test(test_unmap_flushes_tlb),
        cmocka_unit_test(test_sysret_noncanonical_intel_gp_at_cpl0),
        cmocka_unit_test(test_sysret_noncanonical_amd_fault_at_cpl3),
        cmocka_unit_test(test_sysret_star_without_rpl_vendor_ss),
        cmocka_unit_test(test_kernel_wrmsr_noncanonical_lstar_gp),
        cmocka_unit_test(test_msr_api),
        cmocka_unit_test(test_la57_high_user_address),
        cmocka_unit_test(test_kernel_mov_cr0_gp_machine_still_usable),
        cmocka_unit_test(test_kernel_mov_cr0_accepted_engine_gets_architectural_value),
        cmocka_unit_test(test_machine_reusable_after_faults),
        cmocka_unit_test(test_budget_stops_runaway_guest),
        cmocka_unit_test(test_user_swapgs_gp),
        cmocka_unit_test(test_bad_arguments),
        cmocka_unit_test(test_translate_matches_page_tables),
    };
    int failed = 0;
    static const struct {
        se_cpl_switch mode;
        const char *suffix;
    } modes[] = {{SE_CPL_SWITCH_SURGERY, "surgery"}, {SE_CPL_SWITCH_PORTABLE, "portable"}};
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
        char name[64];
        g_cpl_switch = modes[i].mode;
        snprintf(name, sizeof name, "machine_%s", modes[i].suffix);
        failed += _cmocka_run_group_tests(name, tests, sizeof tests / sizeof tests[0], NULL, NULL);
        snprintf(name, sizeof name, "machine_round_trip_%s", modes[i].suffix);
        failed += SE_TEST_RUN_ROWS(name, combo_rows, test_round_trip);
        snprintf(name, sizeof name, "machine_page_faults_%s", modes[i].suffix);
        failed += SE_TEST_RUN_ROWS(name, pf_rows, test_page_fault);
        snprintf(name, sizeof name, "machine_fetch_at_page_end_%s", modes[i].suffix);
        failed += SE_TEST_RUN_ROWS(name, cross_rows, test_fetch_fault_at_page_end);
    }
    return failed != 0;
}
