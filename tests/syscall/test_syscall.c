/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One system call through the rebuilt entry_SYSCALL_64 (issue 4): the clean getpid-like
 * path, each of the six SYSRET checks failing alone, every check disabled in turn with its
 * consequence, for both vendors, 4/5-level paging, PTI/PCID on and off and both kernel
 * profiles; and the scenarios of Linux's tools/testing/selftests/x86 that run through this
 * path (tools/testing/selftests/x86@v6.6). Checks C1..C6 and rule IDs as in the reference
 * documents.
 */
#include "se_test.h"

#include <stdio.h>
#include <string.h>

#include "machine/machine_int.h"

#define UIP        0x401000ull /* the SYSCALL instruction */
#define URET       (UIP + 2)   /* where SYSCALL saves RCX */
#define USP        0x7fffffffd000ull
#define UFLAGS     0x246ull
#define PID        4242ull
#define NONCANON47 (1ull << 47)
#define NONCANON56 (1ull << 56)
/* RFLAGS-3: what FMASK leaves clear in the kernel (arithmetic flags change as code runs) */
#define FMASK_CONTROL                                                                              \
    (SE_RFLAGS_TF | SE_RFLAGS_IF | SE_RFLAGS_DF | SE_RFLAGS_IOPL | SE_RFLAGS_NT | SE_RFLAGS_RF |   \
     SE_RFLAGS_AC | SE_RFLAGS_ID)

/* What the handler does to pt_regs: the ways Linux changes a frame between entry and exit. */
typedef enum action {
    ACT_NONE,
    ACT_RESTART,  /* ptrace/-ERESTART*: ax = orig_ax, ip -= 2 (C1) */
    ACT_NONCANON, /* sigreturn to ip = cx = non-canonical, r11 = flags (C2) */
    ACT_CS32,     /* sigreturn to a 32-bit code segment (C3) */
    ACT_FLAGS,    /* ptrace changes flags, not r11 (C4) */
    ACT_TF,       /* single-stepped task: flags and r11 with TF (C5) */
    ACT_SS,       /* sigreturn with another user data segment as SS (C6) */
    ACT_SET_IPCX, /* ip = cx = arg, r11 = flags (selftest sysret_rip) */
    ACT_SS_ARG,   /* ss = arg */
    ACT_CS_ARG,   /* cs = arg */
} action;

typedef struct ctx {
    action act;
    uint64_t arg;
    long nr_seen;
    int calls;
    se_cpu_state kernel; /* se_get_cpu_state() from inside the handler */
} ctx;

static void handler(se_machine *m, long nr, se_pt_regs *r, void *p)
{
    ctx *c = p;
    c->calls++;
    c->nr_seen = nr;
    se_get_cpu_state(m, &c->kernel);
    r->ax = PID;
    switch (c->act) {
    case ACT_NONE:
        break;
    case ACT_RESTART:
        r->ax = r->orig_ax;
        r->ip -= 2;
        break;
    case ACT_NONCANON:
        r->ip = r->cx = c->arg;
        break;
    case ACT_CS32:
        r->cs = SE_USER32_CS;
        break;
    case ACT_FLAGS:
        r->flags |= SE_RFLAGS_AC;
        break;
    case ACT_TF:
        r->flags |= SE_RFLAGS_TF;
        r->r11 = r->flags;
        break;
    case ACT_SS:
        r->ss = SE_USER_TLS_DS;
        break;
    case ACT_SET_IPCX:
        r->ip = r->cx = c->arg;
        r->r11 = r->flags;
        break;
    case ACT_SS_ARG:
        r->ss = c->arg;
        break;
    case ACT_CS_ARG:
        r->cs = c->arg;
        break;
    }
}

typedef struct cfg_desc {
    se_vendor vendor;
    bool la57, pti, pcid;
    se_kernel_profile kernel;
    uint32_t disabled;
    bool xen_pv;
} cfg_desc;

static se_machine *mk(const cfg_desc *d, ctx *c)
{
    se_config cfg;
    se_config_default(&cfg);
    cfg.vendor = d->vendor;
    cfg.la57 = d->la57;
    cfg.pti = d->pti;
    cfg.pcid = d->pcid;
    cfg.kernel = d->kernel;
    cfg.disabled_checks = d->disabled;
    cfg.xen_pv = d->xen_pv;
    se_machine *m = NULL;
    assert_int_equal(se_machine_create(&cfg, &m), SE_OK);
    assert_int_equal(se_set_syscall_handler(m, handler, c), SE_OK);
    return m;
}

static se_regs user(void)
{
    se_regs r = {
        .rax = 39,
        .rbx = 0xb0b0,
        .rcx = 0xc0c0,
        .rdx = 0xd0d0,
        .rsi = 0x5151,
        .rdi = 0xd1d1,
        .rbp = 0xb9b9,
        .rsp = USP,
        .r8 = 0x0808,
        .r9 = 0x0909,
        .r10 = 0x1010,
        .r11 = 0x1111,
        .r12 = 0x1212,
        .r13 = 0x1313,
        .r14 = 0x1414,
        .r15 = 0x1515,
        .rip = UIP,
        .rflags = UFLAGS,
        .cs = SE_USER_CS,
        .ss = SE_USER_DS,
        .fs_base = 0,
        .gs_base = 0x7000,
    };
    return r;
}

static se_outcome call(se_machine *m, const se_regs *u)
{
    se_outcome o;
    se_status st = se_syscall(m, u, &o);
    if (st != SE_OK)
        print_error("se_syscall: %s: %s\n", se_status_str(st), se_machine_last_error(m));
    assert_int_equal(st, SE_OK);
    return o;
}

/* The registers the syscall ABI preserves, and the two SYSCALL clobbers (SYSCALL-3/4). */
static void assert_abi(const se_outcome *o, const se_regs *u)
{
    se_assert_eq_hex("rbx", o->user.rbx, u->rbx);
    se_assert_eq_hex("rbp", o->user.rbp, u->rbp);
    se_assert_eq_hex("r12", o->user.r12, u->r12);
    se_assert_eq_hex("r13", o->user.r13, u->r13);
    se_assert_eq_hex("r14", o->user.r14, u->r14);
    se_assert_eq_hex("r15", o->user.r15, u->r15);
    se_assert_eq_hex("rdi", o->user.rdi, u->rdi);
    se_assert_eq_hex("rsi", o->user.rsi, u->rsi);
    se_assert_eq_hex("rdx", o->user.rdx, u->rdx);
    se_assert_eq_hex("r10", o->user.r10, u->r10);
    se_assert_eq_hex("r8", o->user.r8, u->r8);
    se_assert_eq_hex("r9", o->user.r9, u->r9);
    se_assert_eq_hex("rsp", o->user.rsp, u->rsp);
    se_assert_eq_hex("gs_base", o->user.gs_base, u->gs_base);
}

/* ---- the matrix: clean path and each check failing alone, every configuration -------------- */

typedef struct matrix_row {
    const char *name;
    cfg_desc cfg;
    action act; /* ACT_NONE = clean */
    char name_buf[96];
} matrix_row;

static void test_matrix(void **state)
{
    const matrix_row *row = *state;
    ctx c = {.act = row->act, .arg = row->cfg.la57 ? NONCANON56 : NONCANON47};
    se_machine *m = mk(&row->cfg, &c);
    se_regs u = user();
    se_outcome o = call(m, &u);
    assert_int_equal(c.calls, 1);
    assert_int_equal(c.nr_seen, 39);
    /* inside the handler: the kernel side of the path */
    assert_int_equal(c.kernel.cpl, 0);
    assert_int_equal(c.kernel.regs.cs, SE_KERNEL_CS);
    se_assert_eq_hex("kernel GS base", c.kernel.regs.gs_base, m->lay.percpu);
    se_assert_eq_hex("parked user GS base", c.kernel.kernel_gs_base, u.gs_base);
    se_assert_eq_hex("kernel CR3", c.kernel.cr3, m->kernel_cr3);
    se_assert_eq_hex("kernel RFLAGS control bits", c.kernel.regs.rflags & FMASK_CONTROL, 0);
    se_assert_eq_hex("orig_ax", o.frame.orig_ax, 39);

    switch (row->act) {
    case ACT_NONE:
        assert_int_equal(o.path, SE_EXIT_SYSRET);
        assert_int_equal(o.failed_check, SE_CHECK_NONE);
        assert_int_equal(o.fault.kind, SE_FAULT_NONE);
        se_assert_eq_hex("rax", o.user.rax, PID);
        se_assert_eq_hex("rcx", o.user.rcx, URET);
        se_assert_eq_hex("r11", o.user.r11, UFLAGS);
        se_assert_eq_hex("rip", o.user.rip, URET);
        se_assert_eq_hex("rflags", o.user.rflags, UFLAGS);
        assert_abi(&o, &u);
        break;
    case ACT_RESTART:
        assert_int_equal(o.path, SE_EXIT_IRET);
        assert_int_equal(o.failed_check, SE_CHECK_RCX_RIP);
        se_assert_eq_hex("rip back on the SYSCALL", o.user.rip, UIP);
        se_assert_eq_hex("rax = orig_ax", o.user.rax, 39);
        assert_abi(&o, &u);
        break;
    case ACT_NONCANON:
        /* IRET-5: IRETQ itself raises #GP(0) at CPL0 on the non-canonical RIP */
        assert_int_equal(o.path, SE_EXIT_FAULT);
        assert_int_equal(o.chosen, SE_EXIT_IRET); /* the fault came from the IRET exit */
        assert_int_equal(o.stop, SE_STOP_FAULT);
        assert_int_equal(o.cpl, 0); /* o.user holds kernel registers */
        assert_int_equal(o.failed_check, SE_CHECK_CANONICAL);
        assert_int_equal(o.fault.vector, SE_VEC_GP);
        assert_int_equal(o.fault.cpl, 0);
        se_assert_eq_hex("fault rip", o.fault.rip, m->sym.iretq);
        break;
    case ACT_CS32:
        assert_int_equal(o.path, SE_EXIT_IRET);
        assert_int_equal(o.failed_check, SE_CHECK_CS);
        assert_int_equal(o.user.cs, SE_USER32_CS);
        break;
    case ACT_FLAGS:
        assert_int_equal(o.path, SE_EXIT_IRET);
        assert_int_equal(o.failed_check, SE_CHECK_R11_FLAGS);
        se_assert_eq_hex("rflags", o.user.rflags, UFLAGS | SE_RFLAGS_AC);
        se_assert_eq_hex("r11 untouched", o.user.r11, UFLAGS);
        break;
    case ACT_TF:
        assert_int_equal(o.path, SE_EXIT_IRET);
        assert_int_equal(o.failed_check, SE_CHECK_RF_TF);
        se_assert_eq_hex("rflags", o.user.rflags, UFLAGS | SE_RFLAGS_TF);
        assert_int_equal(o.fault.kind, SE_FAULT_NONE); /* IRET-9: the trap follows a user insn */
        break;
    case ACT_SS:
        assert_int_equal(o.path, SE_EXIT_IRET);
        assert_int_equal(o.failed_check, SE_CHECK_SS);
        assert_int_equal(o.user.ss, SE_USER_TLS_DS);
        break;
    default:
        fail();
    }
    /* back in user mode, the bookkeeping is Linux's (SWAPGS-6) */
    if (o.path != SE_EXIT_FAULT) {
        assert_int_equal(o.chosen, o.path);
        assert_int_equal(o.stop, SE_STOP_USER_RETURN);
        assert_int_equal(o.cpl, 3);
        se_cpu_state after;
        se_get_cpu_state(m, &after);
        assert_int_equal(after.cpl, 3);
        se_assert_eq_hex("user CR3", after.cr3, m->user_cr3);
        se_assert_eq_hex("KERNEL_GS_BASE", after.kernel_gs_base, m->lay.percpu);
    }
    assert_true(o.instructions > 40);
    se_machine_destroy(m);
}

static matrix_row matrix_rows[2 * 2 * 3 * (SE_KERNEL_PROFILE_MAX_VALUE + 1) * 7];

static size_t build_matrix(void)
{
    static const char *const act_names[] = {
        "clean", "c1_restart", "c2_noncanonical", "c3_cs32", "c4_flags", "c5_tf", "c6_ss"};
    static const bool ptis[3][2] = {{false, false}, {true, false}, {true, true}};
    size_t n = 0;
    for (int v = 0; v < 2; v++)
        for (int l = 0; l < 2; l++)
            for (int p = 0; p < 3; p++)
                for (int k = 0; k <= SE_KERNEL_PROFILE_MAX_VALUE; k++)
                    for (int a = 0; a <= ACT_SS; a++) {
                        matrix_row *r = &matrix_rows[n++];
                        r->cfg = (cfg_desc){.vendor = (se_vendor)v,
                                            .la57 = l,
                                            .pti = ptis[p][0],
                                            .pcid = ptis[p][1],
                                            .kernel = (se_kernel_profile)k};
                        r->act = (action)a;
                        snprintf(r->name_buf, sizeof r->name_buf, "%s_%s_%s_%s_%s",
                                 v ? "amd" : "intel", l ? "la57" : "4level",
                                 p == 0   ? "nopti"
                                 : p == 1 ? "pti"
                                          : "pti_pcid",
                                 se_kernel_name((se_kernel_profile)k), act_names[a]);
                        r->name = r->name_buf;
                    }
    return n;
}

/* ---- each check disabled: what it protects against ------------------------------------------ */

typedef struct disabled_row {
    const char *name;
    se_vendor vendor;
    se_kernel_profile kernel;
    se_check check;
    action act;
} disabled_row;

#define DIS(v, k, chk, a)                                                                          \
    {                                                                                              \
#v "_" #k "_without_" #chk, SE_VENDOR_##v, SE_KERNEL_##k, SE_CHECK_##chk, a                \
    }
static const disabled_row disabled_rows[] = {
    DIS(INTEL, 6_6, RCX_RIP, ACT_RESTART),  DIS(INTEL, 6_6, CANONICAL, ACT_NONCANON),
    DIS(INTEL, 6_6, CS, ACT_CS32),          DIS(INTEL, 6_6, R11_FLAGS, ACT_FLAGS),
    DIS(INTEL, 6_6, RF_TF, ACT_TF),         DIS(INTEL, 6_6, SS, ACT_SS),
    DIS(AMD, 6_6, CANONICAL, ACT_NONCANON), DIS(INTEL, 6_7, CANONICAL, ACT_NONCANON),
    DIS(INTEL, 6_7, RCX_RIP, ACT_RESTART),  DIS(AMD, 6_7, RF_TF, ACT_TF),
};

static void test_disabled(void **state)
{
    const disabled_row *row = *state;
    cfg_desc d = {.vendor = row->vendor,
                  .pti = true,
                  .pcid = true,
                  .kernel = row->kernel,
                  .disabled = SE_CHECK_BIT(row->check)};
    ctx c = {.act = row->act, .arg = NONCANON47};
    se_machine *m = mk(&d, &c);
    se_regs u = user();
    se_outcome o = call(m, &u);
    if (row->check == SE_CHECK_RCX_RIP && row->kernel == SE_KERNEL_6_6) {
        /* Linux 6.6's C2 compares sign-extended cx with ip: it catches cx != ip too, so
         * removing C1 alone loses nothing there (in 6.7 it does, see the 6_7 row) */
        assert_int_equal(o.path, SE_EXIT_IRET);
        assert_int_equal(o.failed_check, SE_CHECK_CANONICAL);
        se_assert_eq_hex("rip", o.user.rip, UIP);
        se_machine_destroy(m);
        return;
    }
    assert_int_equal(o.failed_check, SE_CHECK_NONE);
    switch (row->check) {
    case SE_CHECK_RCX_RIP:
        /* SYSRET jumps to RCX: the restart (ip -= 2) is silently lost */
        assert_int_equal(o.path, SE_EXIT_SYSRET);
        se_assert_eq_hex("rip", o.user.rip, URET);
        break;
    case SE_CHECK_CANONICAL:
        assert_int_equal(o.fault.vector, SE_VEC_GP);
        if (row->vendor == SE_VENDOR_INTEL) {
            /* SYSRET-3: #GP in ring 0 on the user's stack and GS base: CVE-2012-0217 */
            assert_int_equal(o.path, SE_EXIT_FAULT);
            assert_int_equal(o.chosen, SE_EXIT_SYSRET); /* not an IRETQ #GP */
            assert_int_equal(o.cpl, 0);
            assert_int_equal(o.fault.cpl, 0);
            se_assert_eq_hex("fault rip", o.fault.rip, m->sym.sysretq);
            se_cpu_state s;
            se_get_cpu_state(m, &s);
            assert_int_equal(s.cpl, 0);
            se_assert_eq_hex("rsp is the user's", s.regs.rsp, USP);
            se_assert_eq_hex("gs base is the user's", s.regs.gs_base, u.gs_base);
        } else {
            /* SYSRET-3A: AMD loads the RIP and the fetch faults harmlessly at CPL3 */
            assert_int_equal(o.path, SE_EXIT_SYSRET);
            assert_int_equal(o.fault.cpl, 3);
            se_assert_eq_hex("fault rip", o.fault.rip, NONCANON47);
        }
        break;
    case SE_CHECK_CS:
        assert_int_equal(o.path, SE_EXIT_SYSRET);
        assert_int_equal(o.user.cs, SE_USER_CS); /* the 32-bit mode is lost (SYSRET-6) */
        break;
    case SE_CHECK_R11_FLAGS:
        assert_int_equal(o.path, SE_EXIT_SYSRET);
        se_assert_eq_hex("rflags from r11", o.user.rflags, UFLAGS); /* the change is lost */
        break;
    case SE_CHECK_RF_TF:
        /* SYSRET-9: TF restored by SYSRET traps at CPL3 before any user instruction */
        assert_int_equal(o.path, SE_EXIT_SYSRET);
        assert_int_equal(o.fault.kind, SE_FAULT_TRAP);
        assert_int_equal(o.fault.vector, SE_VEC_DB);
        assert_int_equal(o.fault.cpl, 3);
        se_assert_eq_hex("#DB rip", o.fault.rip, URET);
        break;
    case SE_CHECK_SS:
        assert_int_equal(o.path, SE_EXIT_SYSRET);
        assert_int_equal(o.user.ss, SE_USER_DS); /* SYSRET-7: the task's SS is lost */
        break;
    default:
        fail();
    }
    se_machine_destroy(m);
}

/* ---- selftest scenarios ------------------------------------------------------------------ */

/* sysret_rip.c (A): sigreturn to RIP = RCX = 1 << i. */
static void test_selftest_sysret_rip_sigreturn(void **s)
{
    (void)s;
    for (int la57 = 0; la57 < 2; la57++) {
        cfg_desc d = {.vendor = SE_VENDOR_INTEL, .la57 = la57, .pti = true, .pcid = true};
        ctx c = {.act = ACT_SET_IPCX};
        se_machine *m = mk(&d, &c);
        for (int i = 47; i <= 63; i++) {
            c.arg = 1ull << i;
            se_regs u = user();
            se_outcome o = call(m, &u);
            bool canonical = la57 && i <= 55; /* CANON-5 */
            if (canonical) {
                assert_int_equal(o.path, SE_EXIT_SYSRET);
                se_assert_eq_hex("rip", o.user.rip, 1ull << i);
            } else {
                assert_int_equal(o.path, SE_EXIT_FAULT);
                assert_int_equal(o.failed_check, SE_CHECK_CANONICAL);
                assert_int_equal(o.fault.vector, SE_VEC_GP);
                assert_int_equal(o.fault.cpl, 0); /* on IRETQ, not on SYSRET */
                se_assert_eq_hex("fault rip", o.fault.rip, m->sym.iretq);
            }
        }
        se_machine_destroy(m);
    }
}

/* sysret_rip.c (B) and test_vsyscall.c: where 6.6 and 6.7+ disagree. */
static void test_selftest_top_user_page_and_vsyscall(void **s)
{
    (void)s;
    for (int k = 0; k < 2; k++) {
        cfg_desc d = {
            .vendor = SE_VENDOR_INTEL, .pti = true, .pcid = true, .kernel = (se_kernel_profile)k};
        ctx c = {.act = ACT_NONE};
        se_machine *m = mk(&d, &c);
        se_regs u = user();
        u.rip = 0x7ffffffff000ull - 2; /* SYSCALL in the last bytes below TASK_SIZE_MAX */
        se_outcome o = call(m, &u);
        if (k == SE_KERNEL_6_6) {
            assert_int_equal(o.path, SE_EXIT_SYSRET);
        } else {
            assert_int_equal(o.path, SE_EXIT_IRET); /* ip >= TASK_SIZE_MAX */
            assert_int_equal(o.failed_check, SE_CHECK_CANONICAL);
        }
        se_assert_eq_hex("rip", o.user.rip, 0x7ffffffff000ull);
        c.act = ACT_SET_IPCX;
        c.arg = 0xffffffffff600000ull; /* the vsyscall page */
        u = user();
        o = call(m, &u);
        assert_int_equal(o.path, k == SE_KERNEL_6_6 ? SE_EXIT_SYSRET : SE_EXIT_IRET);
        se_assert_eq_hex("rip", o.user.rip, 0xffffffffff600000ull);
        se_machine_destroy(m);
    }
}

/* syscall_nt.c: flags survive a syscall; with TF the return is IRET (C5). */
static void test_selftest_syscall_nt_flags(void **s)
{
    (void)s;
    static const uint64_t extras[] = {
        SE_RFLAGS_NT,
        SE_RFLAGS_AC,
        SE_RFLAGS_NT | SE_RFLAGS_AC,
        SE_RFLAGS_TF,
        SE_RFLAGS_NT | SE_RFLAGS_TF,
        SE_RFLAGS_AC | SE_RFLAGS_TF,
        SE_RFLAGS_NT | SE_RFLAGS_AC | SE_RFLAGS_TF,
        SE_RFLAGS_DF,
        SE_RFLAGS_TF | SE_RFLAGS_DF,
    };
    cfg_desc d = {.vendor = SE_VENDOR_INTEL, .pti = true, .pcid = true};
    ctx c = {.act = ACT_NONE};
    se_machine *m = mk(&d, &c);
    for (size_t i = 0; i < sizeof extras / sizeof extras[0]; i++) {
        se_regs u = user();
        u.rflags = SE_RFLAGS_IF | SE_RFLAGS_FIXED | extras[i];
        se_outcome o = call(m, &u);
        assert_true((o.user.rflags & extras[i]) == extras[i]);
        se_assert_eq_hex("kernel ran with FMASK applied", c.kernel.regs.rflags & FMASK_CONTROL, 0);
        bool tf = extras[i] & SE_RFLAGS_TF;
        assert_int_equal(o.path, tf ? SE_EXIT_IRET : SE_EXIT_SYSRET);
        assert_int_equal(o.failed_check, tf ? SE_CHECK_RF_TF : SE_CHECK_NONE);
    }
    se_machine_destroy(m);
}

/* single_step_syscall.c: "syscall-less opportunistic sysret": ip = cx = post_nop, r11 = flags
 * with TF; C1..C4 pass and C5 must send it to IRET, or it would trap at the same RIP forever. */
static void test_selftest_single_step_opportunistic_sysret(void **s)
{
    (void)s;
    cfg_desc d = {.vendor = SE_VENDOR_INTEL, .pti = true, .pcid = true};
    ctx c = {.act = ACT_TF};
    se_machine *m = mk(&d, &c);
    se_regs u = user();
    se_outcome o = call(m, &u);
    assert_int_equal(o.path, SE_EXIT_IRET);
    assert_int_equal(o.failed_check, SE_CHECK_RF_TF);
    assert_true(o.user.rflags & SE_RFLAGS_TF);
    se_machine_destroy(m);
}

/* syscall_numbering.c: only the low 32 bits of RAX select the call; orig_ax keeps all 64. */
static void test_selftest_syscall_numbering(void **s)
{
    (void)s;
    static const uint64_t msbs[] = {0,          1,          0xffffffff, 0x3fffffff, 0x40000000,
                                    0xc0000000, 0x7fffffff, 0x80000000, 0x80000001};
    static const struct {
        uint32_t lsb;
        bool dispatched;
        bool enosys;
    } lsbs[] = {
        {0, true, false},
        {1, true, false},
        {19, true, false},
        {20, true, false},
        {453, true, false},
        {454, false, true},
        {512, false, true},
        {(uint32_t)-64, false, true},
        {(uint32_t)-2, false, true},
        {(uint32_t)-1, false, true},
        {0x3fffffff, false, true},
        {0x40000000, false, true},
        {0x7ffffffe, false, true},
    };
    cfg_desc d = {.vendor = SE_VENDOR_INTEL, .pti = true, .pcid = true};
    ctx c = {.act = ACT_NONE};
    se_machine *m = mk(&d, &c);
    for (size_t i = 0; i < sizeof msbs / sizeof msbs[0]; i++) {
        for (size_t j = 0; j < sizeof lsbs / sizeof lsbs[0]; j++) {
            se_regs u = user();
            u.rax = (msbs[i] << 32) | lsbs[j].lsb;
            c.calls = 0;
            se_outcome o = call(m, &u);
            assert_int_equal(c.calls, lsbs[j].dispatched ? 1 : 0);
            if (lsbs[j].dispatched)
                assert_int_equal(c.nr_seen, (long)lsbs[j].lsb);
            se_assert_eq_hex("orig_ax", o.frame.orig_ax, u.rax);
            se_assert_eq_hex("rax", o.user.rax, lsbs[j].enosys ? (uint64_t)-SE_LINUX_ENOSYS : PID);
            assert_int_equal(o.path, SE_EXIT_SYSRET);
        }
    }
    se_machine_destroy(m);
}

/* The table size belongs to the profile (syscall_64.tbl@v6.6 ends at 453, @v6.7 at 456
 * futex_requeue): 454..456 reach the handler on 6.7 and get -ENOSYS on 6.6; an explicit
 * nr_syscalls overrides either. */
static void test_profile_table_size(void **s)
{
    (void)s;
    static const struct {
        se_kernel_profile kernel;
        uint32_t override;
        uint32_t first_enosys;
    } rows[] = {
        {SE_KERNEL_6_6, 0, 454},
        {SE_KERNEL_6_7, 0, 457},
        {SE_KERNEL_6_7, 455, 455},
        {SE_KERNEL_6_12, 0, 463},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        se_config cfg;
        se_config_default(&cfg);
        cfg.kernel = rows[i].kernel;
        cfg.nr_syscalls = rows[i].override;
        ctx c = {.act = ACT_NONE};
        se_machine *m = NULL;
        assert_int_equal(se_machine_create(&cfg, &m), SE_OK);
        assert_int_equal(se_set_syscall_handler(m, handler, &c), SE_OK);
        for (uint32_t nr = 453; nr <= 464; nr++) {
            se_regs u = user();
            u.rax = nr;
            c.calls = 0;
            se_outcome o = call(m, &u);
            bool dispatched = nr < rows[i].first_enosys;
            assert_int_equal(c.calls, dispatched ? 1 : 0);
            se_assert_eq_hex("rax", o.user.rax, dispatched ? PID : (uint64_t)-SE_LINUX_ENOSYS);
        }
        se_machine_destroy(m);
    }
}

/* pt_regs->ss = 0x7, an LDT selector with RPL 3 (a ptracer may set it: putreg only wants
 * RPL 3). C6 sends the return to IRET, and before IRETQ Linux tests SS's TI bit and takes the
 * espfix64 path (entry_64.S@v6.6, native_irq_return_ldt). With no LDT that path ends, through
 * exc_double_fault's espfix64 fixup (traps.c@v6.6), in a #GP(0) from user mode at
 * pt_regs->ip: not in an IRETQ #GP at CPL0. A GDT SS (0x63) still leaves through IRETQ. */
static void test_espfix64_ldt_ss(void **s)
{
    (void)s;
    for (int k = 0; k <= SE_KERNEL_PROFILE_MAX_VALUE; k++) {
        for (int pti = 0; pti < 2; pti++) {
            cfg_desc d = {
                .vendor = SE_VENDOR_INTEL, .pti = pti, .pcid = pti, .kernel = (se_kernel_profile)k};
            ctx c = {.act = ACT_SS_ARG, .arg = 0x7};
            se_machine *m = mk(&d, &c);
            se_regs u = user();
            se_outcome o = call(m, &u);
            assert_int_equal(o.failed_check, SE_CHECK_SS);
            assert_int_equal(o.chosen, SE_EXIT_IRET);
            assert_int_equal(o.path, SE_EXIT_FAULT);
            assert_int_equal(o.fault.kind, SE_FAULT_FAULT);
            assert_int_equal(o.fault.vector, SE_VEC_GP);
            assert_true(o.fault.has_error_code);
            assert_int_equal(o.fault.error_code, 0);
            assert_int_equal(o.fault.cpl, 3);
            se_assert_eq_hex("fault rip", o.fault.rip, URET);
            se_assert_eq_hex("rip", o.user.rip, URET);

            c.arg = SE_USER_TLS_DS; /* GDT: TI clear, an ordinary IRET */
            o = call(m, &u);
            assert_int_equal(o.path, SE_EXIT_IRET);
            se_assert_eq_hex("ss", o.user.ss, SE_USER_TLS_DS);
            se_machine_destroy(m);
        }
    }
}

/* 6.12: since 6.8 the return to user mode asserts that the IRET frame's CS has RPL 3
 * (entry_64.S@v6.12, .Lswapgs_and_iret): pt_regs->cs = __KERNEL_CS fails C3, takes the IRET
 * exit and ends in that ud2, a #UD at CPL0, with or without PTI; IRETQ is never reached. */
static void test_6_12_user_cs_assertion(void **s)
{
    (void)s;
    for (int pti = 0; pti < 2; pti++) {
        cfg_desc d = {.vendor = SE_VENDOR_INTEL, .pti = pti, .pcid = pti, .kernel = SE_KERNEL_6_12};
        ctx c = {.act = ACT_CS_ARG, .arg = SE_KERNEL_CS};
        se_machine *m = mk(&d, &c);
        se_regs u = user();
        se_outcome o = call(m, &u);
        assert_int_equal(o.failed_check, SE_CHECK_CS);
        assert_int_equal(o.path, SE_EXIT_FAULT);
        assert_int_equal(o.chosen, SE_EXIT_NONE);
        assert_int_equal(o.fault.vector, SE_VEC_UD);
        assert_int_equal(o.fault.cpl, 0);
        assert_int_equal(o.cpl, 0);
        uint8_t insn[2] = {0};
        assert_int_equal(se_mem_read(m, o.fault.rip, insn, sizeof insn), SE_OK);
        assert_int_equal(insn[0], 0x0F); /* ud2 */
        assert_int_equal(insn[1], 0x0B);

        /* an ordinary IRET (compat CS, RPL 3) still returns, also without the trampoline */
        c.arg = SE_USER32_CS;
        o = call(m, &u);
        assert_int_equal(o.path, SE_EXIT_IRET);
        se_assert_eq_hex("cs", o.user.cs, SE_USER32_CS);
        se_assert_eq_hex("rsp", o.user.rsp, u.rsp);
        se_assert_eq_hex("rax", o.user.rax, PID);
        se_machine_destroy(m);
    }
}

/* syscall_arg_fault.c "SYSCALL with invalid state": movl $-1 into EAX..ESP. */
static void test_selftest_invalid_state(void **s)
{
    (void)s;
    cfg_desc d = {.vendor = SE_VENDOR_INTEL, .pti = true, .pcid = true};
    ctx c = {.act = ACT_NONE};
    se_machine *m = mk(&d, &c);
    for (int tf = 0; tf < 2; tf++) {
        se_regs u = user();
        u.rax = u.rbx = u.rcx = u.rdx = u.rsi = u.rdi = u.rbp = u.rsp = 0xffffffffull;
        if (tf)
            u.rflags |= SE_RFLAGS_TF;
        c.calls = 0;
        se_outcome o = call(m, &u);
        assert_int_equal(c.calls, 0); /* nr = -1: nothing dispatched */
        se_assert_eq_hex("rax", o.user.rax, (uint64_t)-SE_LINUX_ENOSYS);
        se_assert_eq_hex("rsp", o.user.rsp, 0xffffffffull);
        se_assert_eq_hex("rip", o.user.rip, URET);
        assert_int_equal(o.path, tf ? SE_EXIT_IRET : SE_EXIT_SYSRET);
    }
    se_machine_destroy(m);
}

/* ptrace_syscall.c: restart by ip -= 2 lands back on the SYSCALL with the same number and
 * arguments, through IRET (C1). */
static void test_selftest_ptrace_restart(void **s)
{
    (void)s;
    for (int k = 0; k < 2; k++) {
        cfg_desc d = {
            .vendor = SE_VENDOR_INTEL, .pti = true, .pcid = true, .kernel = (se_kernel_profile)k};
        ctx c = {.act = ACT_RESTART};
        se_machine *m = mk(&d, &c);
        se_regs u = user();
        u.rax = 186; /* gettid */
        u.rdi = 10, u.rsi = 11, u.rdx = 12, u.r10 = 13, u.r8 = 14, u.r9 = 15;
        se_outcome o = call(m, &u);
        assert_int_equal(o.path, SE_EXIT_IRET);
        assert_int_equal(o.failed_check, SE_CHECK_RCX_RIP);
        se_assert_eq_hex("rip", o.user.rip, UIP);
        se_assert_eq_hex("rax", o.user.rax, 186);
        se_assert_eq_hex("rdi", o.user.rdi, 10);
        se_assert_eq_hex("r9", o.user.r9, 15);
        /* and the restarted call runs the same number again */
        se_regs again = o.user;
        c.act = ACT_NONE;
        o = call(m, &again);
        assert_int_equal(c.nr_seen, 186);
        assert_int_equal(o.path, SE_EXIT_SYSRET);
        se_machine_destroy(m);
    }
}

/* fsgsbase.c's concern on this path: GS base bookkeeping across entry and exit. */
static void test_selftest_gs_base(void **s)
{
    (void)s;
    static const uint64_t bases[] = {0, 1, 0x200000000ull, 0x7fffffffffffull,
                                     0xffff800000000000ull};
    cfg_desc d = {.vendor = SE_VENDOR_INTEL, .pti = true, .pcid = true};
    ctx c = {.act = ACT_NONE};
    se_machine *m = mk(&d, &c);
    for (size_t i = 0; i < sizeof bases / sizeof bases[0]; i++) {
        se_regs u = user();
        u.gs_base = bases[i];
        se_outcome o = call(m, &u);
        se_assert_eq_hex("user GS base after", o.user.gs_base, bases[i]);
        se_assert_eq_hex("user GS base parked in the kernel", c.kernel.kernel_gs_base, bases[i]);
        se_assert_eq_hex("kernel GS base in the kernel", c.kernel.regs.gs_base, m->lay.percpu);
    }
    se_machine_destroy(m);
}

static void high_cx_handler(se_machine *m, long nr, se_pt_regs *r, void *unused)
{
    (void)m;
    (void)nr;
    (void)unused;
    r->cx |= 0x0cull << 56; /* non-canonical, but sign-extends to ip */
}

/* C1 and C2 protect SYSRET together (found by AFL++): with C1 patched out, Linux's C2 (cx
 * sign-extended == ip) passes a non-canonical cx whose low bits equal ip, and Intel's
 * SYSRET then faults in ring 0 on the user's stack. */
static void test_c1_disabled_c2_blind_to_high_cx_bits(void **s)
{
    (void)s;
    for (int with_c1 = 0; with_c1 < 2; with_c1++) {
        cfg_desc d = {.vendor = SE_VENDOR_INTEL,
                      .pti = true,
                      .pcid = true,
                      .disabled = with_c1 ? 0 : SE_CHECK_BIT(SE_CHECK_RCX_RIP)};
        ctx c = {.act = ACT_NONE};
        se_machine *m = mk(&d, &c);
        se_set_syscall_handler(m, high_cx_handler, NULL);
        se_regs u = user();
        se_outcome o = call(m, &u);
        if (with_c1) {
            assert_int_equal(o.path, SE_EXIT_IRET);
            assert_int_equal(o.failed_check, SE_CHECK_RCX_RIP);
        } else {
            assert_int_equal(o.path, SE_EXIT_FAULT);
            assert_int_equal(o.failed_check, SE_CHECK_NONE);
            assert_int_equal(o.fault.vector, SE_VEC_GP);
            assert_int_equal(o.fault.cpl, 0);
            se_assert_eq_hex("fault rip", o.fault.rip, m->sym.sysretq);
        }
        se_machine_destroy(m);
    }
}

static void test_xen_pv_always_iret(void **s)
{
    (void)s;
    cfg_desc d = {.vendor = SE_VENDOR_INTEL, .pti = true, .pcid = true, .xen_pv = true};
    ctx c = {.act = ACT_NONE};
    se_machine *m = mk(&d, &c);
    se_regs u = user();
    se_outcome o = call(m, &u);
    assert_int_equal(o.path, SE_EXIT_IRET);
    assert_int_equal(o.failed_check, SE_CHECK_XEN_PV);
    se_assert_eq_hex("rax", o.user.rax, PID);
    se_machine_destroy(m);
}

static void test_bad_arguments(void **s)
{
    (void)s;
    cfg_desc d = {.vendor = SE_VENDOR_INTEL, .pti = true, .pcid = true};
    ctx c = {.act = ACT_NONE};
    se_machine *m = mk(&d, &c);
    se_outcome o;
    se_regs u = user();
    assert_int_equal(se_syscall(NULL, &u, &o), SE_ERR_INVALID_ARG);
    assert_int_equal(se_syscall(m, NULL, &o), SE_ERR_INVALID_ARG);
    assert_int_equal(se_syscall(m, &u, NULL), SE_ERR_INVALID_ARG);
    u.cs = SE_USER32_CS;
    assert_int_equal(se_syscall(m, &u, &o), SE_ERR_INVALID_ARG);
    u = user();
    u.rip = NONCANON47;
    assert_int_equal(se_syscall(m, &u, &o), SE_ERR_INVALID_ARG);
    u.rip = 0xffffffff81000000ull;
    assert_int_equal(se_syscall(m, &u, &o), SE_ERR_INVALID_ARG);
    u = user();
    u.rip = 0xf000000000ull; /* the reserved guest-physical window */
    assert_int_equal(se_syscall(m, &u, &o), SE_ERR_CONFLICT);
    assert_int_equal(se_set_syscall_handler(NULL, handler, &c), SE_ERR_INVALID_ARG);
    /* a machine without the Linux entry code cannot run se_syscall */
    se_config cfg;
    se_config_default(&cfg);
    cfg.entry = SE_ENTRY_NONE;
    se_machine *bare;
    assert_int_equal(se_machine_create(&cfg, &bare), SE_OK);
    u = user();
    assert_int_equal(se_syscall(bare, &u, &o), SE_ERR_STATE);
    se_machine_destroy(bare);
    se_machine_destroy(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_selftest_sysret_rip_sigreturn),
        cmocka_unit_test(test_selftest_top_user_page_and_vsyscall),
        cmocka_unit_test(test_selftest_syscall_nt_flags),
        cmocka_unit_test(test_selftest_single_step_opportunistic_sysret),
        cmocka_unit_test(test_selftest_syscall_numbering),
        cmocka_unit_test(test_selftest_invalid_state),
        cmocka_unit_test(test_selftest_ptrace_restart),
        cmocka_unit_test(test_selftest_gs_base),
        cmocka_unit_test(test_c1_disabled_c2_blind_to_high_cx_bits),
        cmocka_unit_test(test_xen_pv_always_iret),
        cmocka_unit_test(test_bad_arguments),
        cmocka_unit_test(test_profile_table_size),
        cmocka_unit_test(test_espfix64_ldt_ss),
        cmocka_unit_test(test_6_12_user_cs_assertion),
    };
    int failed = cmocka_run_group_tests_name("syscall_selftests", tests, NULL, NULL);
    size_t n = build_matrix();
    failed +=
        se_test_run_rows("syscall_matrix", matrix_rows, n, sizeof matrix_rows[0], test_matrix);
    failed += SE_TEST_RUN_ROWS("syscall_disabled_checks", disabled_rows, test_disabled);
    return failed != 0;
}
