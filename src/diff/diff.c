/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Differential engine: the same cases through two machines, outcomes compared (docs/diff.md).
 *
 * It uses only the public API on the two machines, so it does not care which entry code each
 * runs; machine_int.h is included only to report errors through machine a's last error.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <sysentry/diff.h>

#include "entry/verdict.h"
#include <sysentry/kernel.h>
#include "machine/machine_int.h"

/* ---- The scenario table (also what `sysentry check` runs) --------------------------------- */

#define SE_DIFF_USER_DEFAULT                                                                       \
    {                                                                                              \
        .rax = 39, .rip = 0x401000, .rsp = 0x7fffffffd000, .rflags = 0x246, .cs = SE_USER_CS,      \
        .ss = SE_USER_DS                                                                           \
    }

static const se_diff_case se_diff_table[] = {
    {"clean_getpid", "plain syscall", SE_DIFF_USER_DEFAULT, SE_DIFF_SET_AX, {.ax = 0}, false},
    {"c1_restart",
     "syscall restart: ip -= 2",
     SE_DIFF_USER_DEFAULT,
     SE_DIFF_SET_AX,
     {.ax = 0},
     true},
    {"c2_noncanonical",
     "sigreturn to ip = cx = 1<<47",
     SE_DIFF_USER_DEFAULT,
     SE_DIFF_SET_AX | SE_DIFF_SET_IP | SE_DIFF_SET_CX,
     {.ax = 0, .ip = 1ull << 47, .cx = 1ull << 47},
     false},
    {"c2_top_user_page",
     "ip = cx = 0x7ffffffff000",
     SE_DIFF_USER_DEFAULT,
     SE_DIFF_SET_AX | SE_DIFF_SET_IP | SE_DIFF_SET_CX,
     {.ax = 0, .ip = 0x7ffffffff000ull, .cx = 0x7ffffffff000ull},
     false},
    {"c3_compat_cs",
     "sigreturn to cs = __USER32_CS",
     SE_DIFF_USER_DEFAULT,
     SE_DIFF_SET_AX | SE_DIFF_SET_CS,
     {.ax = 0, .cs = SE_USER32_CS},
     false},
    {"c4_flags",
     "flags changed, r11 not",
     SE_DIFF_USER_DEFAULT,
     SE_DIFF_SET_AX | SE_DIFF_SET_FLAGS,
     {.ax = 0, .flags = 0x40246},
     false},
    {"c5_single_step",
     "TF set by the user",
     {.rax = 39,
      .rip = 0x401000,
      .rsp = 0x7fffffffd000,
      .rflags = 0x246 | SE_RFLAGS_TF,
      .cs = SE_USER_CS,
      .ss = SE_USER_DS},
     SE_DIFF_SET_AX,
     {.ax = 0},
     false},
    {"c6_ss",
     "sigreturn with ss = 0x63",
     SE_DIFF_USER_DEFAULT,
     SE_DIFF_SET_AX | SE_DIFF_SET_SS,
     {.ax = 0, .ss = SE_USER_TLS_DS},
     false},
    {"vsyscall",
     "ip = cx = 0xffffffffff600000",
     SE_DIFF_USER_DEFAULT,
     SE_DIFF_SET_AX | SE_DIFF_SET_IP | SE_DIFF_SET_CX,
     {.ax = 0, .ip = 0xffffffffff600000ull, .cx = 0xffffffffff600000ull},
     false},
};

const se_diff_case *se_diff_scenarios(size_t *n)
{
    if (n != NULL)
        *n = sizeof se_diff_table / sizeof se_diff_table[0];
    return se_diff_table;
}

/* ---- Random cases ------------------------------------------------------------------------ */

static uint64_t se_splitmix64(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* 0..n-1; the modulo bias is irrelevant for picking among a few choices */
static uint64_t se_pick(uint64_t *s, uint64_t n)
{
    return se_splitmix64(s) % n;
}

/* true with probability 1/n */
static bool se_one_in(uint64_t *s, uint64_t n)
{
    return se_pick(s, n) == 0;
}

static uint64_t se_canonical_lower(uint64_t *s, unsigned width)
{
    return se_splitmix64(s) & ((1ull << (width - 1)) - 1);
}

/* A value for pt_regs->ip or ->cx: mostly edges of the two canonical widths and of
 * TASK_SIZE_MAX, where the 6.6 and 6.7 tests and the vendors' SYSRET checks part ways. */
static uint64_t se_edge_address(uint64_t *s, unsigned width, uint64_t task_max)
{
    switch (se_pick(s, 16)) {
    case 0:
        return se_canonical_lower(s, width);
    case 1:
        return 0x401000 + se_pick(s, 0x2000);
    case 2:
        return task_max - 1;
    case 3:
        return task_max - 4096;
    case 4:
        return task_max;
    case 5:
        return (1ull << 47) - 1; /* last 48-bit canonical user address */
    case 6:
        return 1ull << 47; /* first non-canonical with 4 levels; canonical with LA57 */
    case 7:
        return (1ull << 56) - 1;
    case 8:
        return 1ull << 56; /* first non-canonical with LA57 */
    case 9:
        return (1ull << 56) - 4096;
    case 10:
        return 0xffffffffff600000ull; /* vsyscall page */
    case 11:
        return 0xffff800000000000ull + (se_splitmix64(s) & 0x7fffffffffffull); /* kernel half */
    case 12:
        return 0xff00000000000000ull; /* lowest 57-bit kernel-half address */
    case 13:
        return 0xffff7fffffffffffull; /* non-canonical with 4 levels, canonical with LA57 */
    case 14:
        return se_splitmix64(s); /* anything, mostly non-canonical */
    default:
        return (1ull << (width - 1)) - 2; /* the bytes of a SYSCALL at the very top */
    }
}

static uint64_t se_random_flags(uint64_t *s, uint64_t base)
{
    switch (se_pick(s, 8)) {
    case 0:
        return base | SE_RFLAGS_TF;
    case 1:
        return base | SE_RFLAGS_RF;
    case 2:
        return base | SE_RFLAGS_NT;
    case 3:
        return base | SE_RFLAGS_AC;
    case 4:
        return base | SE_RFLAGS_IOPL;
    case 5:
        return (se_splitmix64(s) & SE_RFLAGS_DEFINED) | SE_RFLAGS_FIXED;
    case 6:
        return se_splitmix64(s); /* reserved bits too: r11 == flags then fails nothing else */
    default:
        return base ^ (se_splitmix64(s) & (SE_RFLAGS_CF | SE_RFLAGS_ZF | SE_RFLAGS_DF));
    }
}

/* The user RIP of the SYSCALL: a few fixed pages, so that a long run maps little. */
static uint64_t se_random_user_rip(uint64_t *s, uint64_t task_max)
{
    switch (se_pick(s, 8)) {
    case 0:
        return 0x402ffe; /* SYSCALL ends at the page end */
    case 1:
        return 0x403fff; /* SYSCALL straddles two pages */
    case 2:
        return task_max - 2; /* returns to ip == TASK_SIZE_MAX */
    case 3:
        return task_max + 4096 - 2; /* in the guard page: returns to the first non-canonical */
    case 4:
        return 0x10000000 + 0x1000000 * se_pick(s, 4) + se_pick(s, 0xfff);
    default:
        return 0x401000 + se_pick(s, 0xffe);
    }
}

se_status se_diff_random_case(uint64_t *state, const se_config *cfg, se_diff_case *out)
{
    if (state == NULL || cfg == NULL || out == NULL)
        return SE_ERR_INVALID_ARG;
    uint64_t *s = state;
    unsigned width = cfg->la57 ? SE_VA_BITS_5LEVEL : SE_VA_BITS_4LEVEL;
    uint64_t task_max = cfg->la57 ? SE_TASK_SIZE_MAX_5LEVEL : SE_TASK_SIZE_MAX_4LEVEL;
    memset(out, 0, sizeof *out);
    snprintf(out->name, sizeof out->name, "rand-%016" PRIx64, *s);
    out->what = "random state";

    se_regs *u = &out->user;
    uint64_t *gprs[] = {&u->rbx, &u->rcx, &u->rdx, &u->rsi, &u->rdi, &u->rbp, &u->r8,
                        &u->r9,  &u->r10, &u->r11, &u->r12, &u->r13, &u->r14, &u->r15};
    for (size_t i = 0; i < sizeof gprs / sizeof gprs[0]; i++)
        *gprs[i] = se_splitmix64(s);
    uint32_t nr_max = se_config_nr_syscalls(cfg) + 16;
    u->rax = se_pick(s, nr_max);
    if (se_one_in(s, 2)) /* do_syscall_64 must use only the low 32 bits */
        u->rax |= se_splitmix64(s) << 32;
    if (se_one_in(s, 16))
        u->rax = se_splitmix64(s);
    u->rip = se_random_user_rip(s, task_max);
    switch (se_pick(s, 4)) {
    case 0:
        u->rsp = 0x7fffffffd000 - 8 * se_pick(s, 512);
        break;
    case 1:
        u->rsp = se_canonical_lower(s, width);
        break;
    case 2:
        u->rsp = se_splitmix64(s); /* SYSCALL never uses it (SYSCALL-11) */
        break;
    default:
        u->rsp = 0x7fffffffd000;
        break;
    }
    u->rflags = SE_RFLAGS_FIXED | SE_RFLAGS_IF |
                (se_splitmix64(s) & (SE_RFLAGS_CF | SE_RFLAGS_PF | SE_RFLAGS_AF | SE_RFLAGS_ZF |
                                     SE_RFLAGS_SF | SE_RFLAGS_DF | SE_RFLAGS_OF | SE_RFLAGS_ID));
    if (se_one_in(s, 8))
        u->rflags |= SE_RFLAGS_TF;
    if (se_one_in(s, 4))
        u->rflags |= SE_RFLAGS_AC;
    if (se_one_in(s, 16))
        u->rflags |= SE_RFLAGS_NT;
    u->cs = SE_USER_CS;
    u->ss = SE_USER_DS;
    u->fs_base = se_one_in(s, 2) ? se_canonical_lower(s, width) : 0;
    u->gs_base = se_one_in(s, 2) ? se_canonical_lower(s, width) : 0;

    se_pt_regs *e = &out->edit;
    out->set = SE_DIFF_SET_AX;
    switch (se_pick(s, 4)) {
    case 0:
        e->ax = se_pick(s, 65536);
        break;
    case 1:
        e->ax = (uint64_t)0 - (1 + se_pick(s, 4095)); /* -errno */
        break;
    default:
        e->ax = se_splitmix64(s);
        break;
    }
    if (se_one_in(s, 2)) {
        e->ip = se_edge_address(s, width, task_max);
        switch (se_pick(s, 4)) {
        case 0:
            out->set |= SE_DIFF_SET_IP; /* cx keeps the SYSCALL's return address */
            break;
        case 1:
            out->set |= SE_DIFF_SET_IP | SE_DIFF_SET_CX;
            e->cx = se_one_in(s, 2) ? se_edge_address(s, width, task_max) : e->ip + 1;
            break;
        default:
            out->set |= SE_DIFF_SET_IP | SE_DIFF_SET_CX;
            e->cx = e->ip;
            break;
        }
    } else if (se_one_in(s, 8)) {
        out->set |= SE_DIFF_SET_CX;
        e->cx = se_edge_address(s, width, task_max);
    }
    if (se_one_in(s, 3)) {
        out->set |= SE_DIFF_SET_FLAGS;
        e->flags = se_random_flags(s, u->rflags);
        if (!se_one_in(s, 3)) { /* mostly as sigreturn does: r11 follows */
            out->set |= SE_DIFF_SET_R11;
            e->r11 = e->flags;
        }
    }
    if (se_one_in(s, 6)) {
        out->set |= SE_DIFF_SET_R11;
        e->r11 = se_one_in(s, 2) ? se_random_flags(s, u->rflags) : se_splitmix64(s);
    }
    if (se_one_in(s, 6)) {
        out->set |= SE_DIFF_SET_CS;
        /* the right selector with garbage above it: 6.9+ compares 16 bits, earlier 64 */
        uint64_t choice[] = {SE_USER_CS, SE_USER32_CS, se_pick(s, 0x10000), se_splitmix64(s),
                             SE_USER_CS | se_splitmix64(s) << 16};
        e->cs = choice[se_pick(s, 5)];
    }
    if (se_one_in(s, 6)) {
        out->set |= SE_DIFF_SET_SS;
        uint64_t choice[] = {SE_USER_DS, SE_USER_TLS_DS, se_pick(s, 0x10000), se_splitmix64(s),
                             SE_USER_DS | se_splitmix64(s) << 16};
        e->ss = choice[se_pick(s, 5)];
    }
    out->restart = se_one_in(s, 8);
    return SE_OK;
}

/* ---- The run -------------------------------------------------------------------------- */

void se_diff_apply_edits(const se_diff_case *c, se_pt_regs *r)
{
    if (c == NULL || r == NULL)
        return;
    if (c->set & SE_DIFF_SET_IP)
        r->ip = c->edit.ip;
    if (c->set & SE_DIFF_SET_CX)
        r->cx = c->edit.cx;
    if (c->set & SE_DIFF_SET_CS)
        r->cs = c->edit.cs;
    if (c->set & SE_DIFF_SET_SS)
        r->ss = c->edit.ss;
    if (c->set & SE_DIFF_SET_FLAGS)
        r->flags = c->edit.flags;
    if (c->set & SE_DIFF_SET_R11)
        r->r11 = c->edit.r11;
    if (c->set & SE_DIFF_SET_AX)
        r->ax = c->edit.ax;
    if (c->restart) {
        r->ax = r->orig_ax;
        r->ip -= 2;
    }
}

static void se_diff_handler(se_machine *m, long nr, se_pt_regs *r, void *ctx)
{
    (void)m;
    (void)nr;
    se_diff_apply_edits(*(const se_diff_case *const *)ctx, r);
}

static bool se_regs_equal(const se_regs *x, const se_regs *y)
{
    return x->rax == y->rax && x->rbx == y->rbx && x->rcx == y->rcx && x->rdx == y->rdx &&
           x->rsi == y->rsi && x->rdi == y->rdi && x->rbp == y->rbp && x->rsp == y->rsp &&
           x->r8 == y->r8 && x->r9 == y->r9 && x->r10 == y->r10 && x->r11 == y->r11 &&
           x->r12 == y->r12 && x->r13 == y->r13 && x->r14 == y->r14 && x->r15 == y->r15 &&
           x->rip == y->rip && x->rflags == y->rflags && x->cs == y->cs && x->ss == y->ss &&
           x->fs_base == y->fs_base && x->gs_base == y->gs_base;
}

static uint32_t se_diff_compare(se_status sa, const se_outcome *a, se_status sb,
                                const se_outcome *b)
{
    if (sa != sb)
        return SE_DIFF_F_STATUS;
    if (sa != SE_OK)
        return 0;
    uint32_t f = 0;
    if (a->path != b->path)
        f |= SE_DIFF_F_PATH;
    if (a->chosen != b->chosen)
        f |= SE_DIFF_F_CHOSEN;
    if (a->failed_check != b->failed_check)
        f |= SE_DIFF_F_CHECK;
    const se_fault *fa = &a->fault, *fb = &b->fault;
    if (fa->kind != fb->kind || fa->vector != fb->vector || fa->error_code != fb->error_code ||
        fa->cpl != fb->cpl ||
        (fa->kind != SE_FAULT_NONE && fa->cpl == 3 && (fa->rip != fb->rip || fa->cr2 != fb->cr2)))
        f |= SE_DIFF_F_FAULT;
    if (a->cpl != b->cpl)
        f |= SE_DIFF_F_CPL;
    else if (a->cpl == 3 && !se_regs_equal(&a->user, &b->user))
        f |= SE_DIFF_F_REGS;
    return f;
}

typedef struct se_diff_state {
    se_machine *a, *b;
    se_snapshot *snap_a, *snap_b;
    const se_diff_case *cur; /* what the handler applies; both handlers read it */
    const se_diff_options *opts;
    se_diff_summary *sum;
    se_config cfg_a, cfg_b;
} se_diff_state;

static se_status se_diff_restore(se_diff_state *d)
{
    se_status st = se_snapshot_restore(d->a, d->snap_a);
    if (st != SE_OK)
        return st; /* the message is a's own */
    st = se_snapshot_restore(d->b, d->snap_b);
    if (st != SE_OK)
        return se_fail(d->a, st, "machine b: %s", se_machine_last_error(d->b));
    return SE_OK;
}

static se_status se_diff_one(se_diff_state *d, uint64_t index, const se_diff_case *c)
{
    se_status st = se_diff_restore(d);
    if (st != SE_OK)
        return st;
    d->cur = c;
    se_outcome oa, ob;
    se_status sa = se_syscall(d->a, &c->user, &oa);
    se_status sb = se_syscall(d->b, &c->user, &ob);
    se_diff_summary *sum = d->sum;
    sum->cases++;
    if (sa == SE_OK && oa.failed_check <= SE_CHECK_MAX_VALUE)
        sum->checks_a[oa.failed_check]++;
    if (sb == SE_OK && ob.failed_check <= SE_CHECK_MAX_VALUE)
        sum->checks_b[ob.failed_check]++;
    uint32_t fields = se_diff_compare(sa, &oa, sb, &ob);
    if (fields == 0) {
        sum->agreed++;
        return SE_OK;
    }
    for (unsigned i = 0; i < SE_DIFF_F_COUNT; i++)
        if (fields & (1u << i))
            sum->fields[i]++;
    se_diff_mismatch mm = {.index = index,
                           .c = c,
                           .cfg_a = &d->cfg_a,
                           .cfg_b = &d->cfg_b,
                           .status_a = sa,
                           .status_b = sb,
                           .a = &oa,
                           .b = &ob,
                           .fields = fields,
                           .explanation = NULL};
    const char *why = NULL;
    if (d->opts->explain != NULL)
        why = d->opts->explain(&mm, d->opts->explain_ctx);
    mm.explanation = why;
    if (why != NULL)
        sum->explained++;
    else
        sum->unexplained++;
    if (d->opts->on_mismatch != NULL)
        d->opts->on_mismatch(&mm, d->opts->mismatch_ctx);
    return SE_OK;
}

static se_status se_diff_cases(se_diff_state *d)
{
    const se_diff_options *o = d->opts;
    uint64_t index = 0;
    if (o->scenarios) {
        size_t n;
        const se_diff_case *t = se_diff_scenarios(&n);
        for (size_t i = 0; i < n; i++) {
            se_status st = se_diff_one(d, index++, &t[i]);
            if (st != SE_OK)
                return st;
        }
    }
    uint64_t state = o->seed;
    for (uint64_t i = 0; i < o->random_cases; i++) {
        se_diff_case c;
        se_diff_random_case(&state, &d->cfg_a, &c);
        se_status st = se_diff_one(d, index++, &c);
        if (st != SE_OK)
            return st;
    }
    return SE_OK;
}

se_status se_diff_run(se_machine *a, se_machine *b, const se_diff_options *opts,
                      se_diff_summary *sum)
{
    if (sum != NULL)
        memset(sum, 0, sizeof *sum);
    if (a == NULL)
        return SE_ERR_INVALID_ARG;
    a->err[0] = '\0';
    if (b == NULL || opts == NULL || sum == NULL)
        return se_fail(a, SE_ERR_INVALID_ARG, "se_diff_run: b, opts and sum must not be NULL");
    if (a == b)
        return se_fail(a, SE_ERR_INVALID_ARG, "se_diff_run: a and b must be two machines");
    se_status st = se_refuse_in_callback(a, "se_diff_run");
    if (st != SE_OK)
        return st;
    if (se_refuse_in_callback(b, "se_diff_run") != SE_OK)
        return se_fail(a, SE_ERR_STATE, "machine b: %s", se_machine_last_error(b));

    se_diff_state d = {.a = a, .b = b, .opts = opts, .sum = sum};
    se_machine_get_config(a, &d.cfg_a);
    se_machine_get_config(b, &d.cfg_b);
    st = se_snapshot_create(a, &d.snap_a);
    if (st != SE_OK)
        return st;
    st = se_snapshot_create(b, &d.snap_b);
    if (st != SE_OK) {
        se_snapshot_destroy(d.snap_a);
        return se_fail(a, st, "machine b: %s", se_machine_last_error(b));
    }
    st = se_set_syscall_handler(a, se_diff_handler, (void *)&d.cur);
    if (st == SE_OK)
        st = se_set_syscall_handler(b, se_diff_handler, (void *)&d.cur);
    if (st == SE_OK)
        st = se_diff_cases(&d);
    se_status end = se_diff_restore(&d);
    se_set_syscall_handler(a, NULL, NULL);
    se_set_syscall_handler(b, NULL, NULL);
    se_snapshot_destroy(d.snap_a);
    se_snapshot_destroy(d.snap_b);
    if (st == SE_OK && end != SE_OK)
        st = end;
    if (st == SE_OK)
        a->err[0] = '\0'; /* the cases' own failures are outcomes, not errors of the run */
    return st;
}

/* ---- The profile explainer ------------------------------------------------------------- */

static se_check se_diff_reference(const se_config *cfg, const se_pt_regs *frame)
{
    return se_verdict(cfg->kernel, frame, cfg->la57, cfg->disabled_checks, cfg->xen_pv);
}

/* The 6.8+ IRET exit's user-CS assertion: ud2 (#UD) at CPL0 after the IRET decision. */
static bool se_diff_cs_assert(const se_config *cfg, const se_outcome *o)
{
    return cfg->kernel == SE_KERNEL_6_12 && o->path == SE_EXIT_FAULT &&
           o->fault.vector == SE_VEC_UD && o->fault.cpl == 0;
}

const char *se_diff_explain_profiles(const se_diff_mismatch *mm, void *ctx)
{
    (void)ctx;
    if (mm == NULL || mm->cfg_a == NULL || mm->cfg_b == NULL || mm->a == NULL || mm->b == NULL)
        return NULL;
    const se_config *ca = mm->cfg_a, *cb = mm->cfg_b;
    if (ca->kernel == cb->kernel || mm->status_a != SE_OK || mm->status_b != SE_OK)
        return NULL;
    se_check ra = se_diff_reference(ca, &mm->a->frame);
    se_check rb = se_diff_reference(cb, &mm->b->frame);
    if (mm->a->failed_check != ra || mm->b->failed_check != rb)
        return NULL;
    /* the profiles' syscall tables end at different numbers (do_syscall_64 compares the low
     * 32 bits, unsigned): a number only one of them dispatches runs the handler on that side
     * only, and the other returns -ENOSYS with an unedited frame */
    uint32_t unr = (uint32_t)mm->c->user.rax;
    if ((unr < se_config_nr_syscalls(ca)) != (unr < se_config_nr_syscalls(cb)))
        return "NR_syscalls differs: the handler ran on one side only";
    /* otherwise the same handler ran on the same input: a different frame is a difference
     * before the exit decision, which no profile difference documents */
    if (memcmp(&mm->a->frame, &mm->b->frame, sizeof mm->a->frame) != 0)
        return NULL;
    if (ra != rb) {
        /* one side is 6.12 (16-bit cs/ss compares, pt_regs@v6.9) and the other compares the
         * whole slot: the selector is right, the bits above it are not */
        const se_pt_regs *f = &mm->a->frame;
        bool sel16_a = ca->kernel == SE_KERNEL_6_12, sel16_b = cb->kernel == SE_KERNEL_6_12;
        bool cs_high = (uint16_t)f->cs == SE_USER_CS && f->cs != SE_USER_CS;
        bool ss_high = (uint16_t)f->ss == SE_USER_DS && f->ss != SE_USER_DS;
        if (sel16_a != sel16_b && (cs_high || ss_high) &&
            (ra == SE_CHECK_CS || ra == SE_CHECK_SS || rb == SE_CHECK_CS || rb == SE_CHECK_SS))
            return "6.9+ compares cs/ss as 16-bit selectors, earlier kernels the whole slot";
        bool six_six_vs_later = (ca->kernel == SE_KERNEL_6_6) != (cb->kernel == SE_KERNEL_6_6);
        if (!six_six_vs_later)
            return NULL; /* 6.7 and 6.12 decide alike otherwise */
        if (ra == SE_CHECK_CANONICAL || rb == SE_CHECK_CANONICAL)
            return "6.6 canonical ip vs 6.7+ ip < TASK_SIZE_MAX";
        return "6.6 vs 6.7+ check order";
    }
    /* the ud2 comes before IRETQ, so that side's chosen exit is none */
    if (ra != SE_CHECK_NONE && se_diff_cs_assert(ca, mm->a) != se_diff_cs_assert(cb, mm->b))
        return "6.12 IRET exit asserts a user CS";
    return NULL;
}

const char *se_diff_explain_kernel(const se_diff_mismatch *mm, void *ctx)
{
    const se_kernel_info *ki = ctx;
    if (mm == NULL || mm->cfg_a == NULL || mm->cfg_b == NULL || mm->a == NULL || mm->b == NULL ||
        ki == NULL)
        return NULL;
    if (mm->status_a != SE_OK || mm->status_b != SE_OK)
        return NULL;
    const se_outcome *a = mm->a, *b = mm->b;
    /* the tables end at different numbers: the handler ran on one side only */
    uint32_t unr = (uint32_t)mm->c->user.rax;
    if ((unr < se_config_nr_syscalls(mm->cfg_a)) != (unr < se_config_nr_syscalls(mm->cfg_b)) &&
        a->failed_check == se_diff_reference(mm->cfg_b, &a->frame) &&
        b->failed_check == se_diff_reference(mm->cfg_b, &b->frame))
        return "NR_syscalls differs: the handler ran on one side only";
    /* Without CONFIG_X86_ESPFIX64 native_iret does not divert an LDT SS: IRETQ itself raises
     * #GP(selector) in ring 0 (Linux's bad-IRET fixup then signals the task), where the
     * rebuild's espfix64 path ends in #GP(0) raised from user mode at the frame's ip. */
    /* IRETQ checks the CS selector before SS (SDM Vol. 2A, IRET: return to outer privilege
     * level), so the #GP's selector is whichever of the two it rejected first */
    uint16_t ss = (uint16_t)a->frame.ss, cs = (uint16_t)a->frame.cs;
    if (!ki->espfix64 && (ss & 4) != 0 && a->chosen == SE_EXIT_IRET && b->chosen == SE_EXIT_IRET &&
        a->failed_check == b->failed_check && memcmp(&a->frame, &b->frame, sizeof a->frame) == 0 &&
        a->fault.vector == SE_VEC_GP && a->fault.cpl == 0 &&
        (a->fault.error_code == (uint32_t)(ss & 0xFFFC) ||
         a->fault.error_code == (uint32_t)(cs & 0xFFFC)) &&
        b->fault.vector == SE_VEC_GP && b->fault.cpl == 3 && b->fault.error_code == 0)
        return "no espfix64 in this build (CONFIG_X86_16BIT off): an LDT SS faults at IRETQ";
    return se_diff_explain_profiles(mm, NULL);
}
