/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The patched entry object executed on a bare Unicorn engine (CPL0, paging off, no
 * se_machine), for representative configurations and a set of pt_regs frames:
 *
 *  - the frame do_syscall_64 receives (pt_regs layout, -ENOSYS, orig_ax, sign-extended nr in
 *    RSI, scrubbed registers);
 *  - the exit taken matches the C reference (se_verdict_6_6 / se_verdict_6_7), and for 6.6 the
 *    failed check read back from the translation-block trace (the last block before
 *    swapgs_restore_regs_and_return_to_usermode, mapped to the greatest check label not above
 *    it) is the one the C reference names;
 *  - the registers just before SYSRETQ/IRETQ hold the frame's user values, the IRETQ frame is
 *    right, GS is swapped back, the CR3 values written follow arch/x86/entry/calling.h@v6.6,
 * SWITCH_TO_KERNEL_CR3/SWITCH_TO_USER_CR3 (including the deferred user-PCID flush), and IBRS writes
 * SPEC_CTRL on entry and without IBRS on exit.
 *
 * The engine stores CR3 bit 63 verbatim (docs/machine.md, engine limitations); like the library,
 * the harness clears it after every MOV to CR3 (CR3-2: the no-flush bit is never stored).
 */
#include "se_test.h"

#include <string.h>

#include <unicorn/unicorn.h>

#include <sysentry/arch.h>

#include "entry/layout.h"
#include "entry/verdict.h"
#include "image_util.h"

#define SE_X_BASE       0x100000ull   /* the object is loaded here (paging off: VA = PA) */
#define SE_X_PCPU       0x10000000ull /* per-CPU area: KERNEL_GS_BASE while in user mode */
#define SE_X_TRAMP_TOP  0x10100000ull /* TSS.sp0: top of the trampoline stack page */
#define SE_X_TASK_TOP   0x10200000ull /* pcpu_hot.top_of_stack */
#define SE_X_GDT        0x10300000ull
#define SE_X_USER_GS    0x5555000ull      /* user GS base */
#define SE_X_USER_RSP   0x7FFD000ull      /* never dereferenced by the path */
#define SE_X_USER_IP    0x401002ull       /* RCX at entry: the byte after the SYSCALL */
#define SE_X_USER_FLAGS 0x246ull          /* R11 at entry */
#define SE_X_NR         0xABCD00000027ull /* garbage above EAX; nr = 39 (getpid) */
#define SE_X_SPEC_CTRL  (SE_SPEC_CTRL_IBRS | SE_SPEC_CTRL_STIBP)
#define SE_X_KCR3       0x100001ull /* kernel PGD 0x100000, kPCID 1 (ASID 0) */

static struct se_t_image g_image;

/* ---- one run ----------------------------------------------------------------------------- */
struct se_x_run {
    /* inputs */
    const se_pt_regs *frame; /* what do_syscall_64 leaves in pt_regs */
    int al;                  /* 6.7: do_syscall_64's return value; -1: leave RAX alone */
    bool ibrs;
    /* addresses */
    uint64_t a_dispatch, a_sysretq, a_iretq, a_iret_exit, a_espfix, a_cs_ud2;
    /* observations */
    bool frame_ok, regs_clear;
    char frame_err[128];
    int exit; /* 0 none, 1 sysret, 2 iret */
    uint64_t last_block, iret_from;
    uint64_t cr3_writes[4], spec_writes[4];
    unsigned n_cr3, n_spec;
    bool fix_cr3_next;
};

static const int se_x_gprs[] = {
    UC_X86_REG_R15, UC_X86_REG_R14, UC_X86_REG_R13, UC_X86_REG_R12, UC_X86_REG_RBP,
    UC_X86_REG_RBX, UC_X86_REG_R11, UC_X86_REG_R10, UC_X86_REG_R9,  UC_X86_REG_R8,
    UC_X86_REG_RAX, UC_X86_REG_RCX, UC_X86_REG_RDX, UC_X86_REG_RSI, UC_X86_REG_RDI,
};
/* user values at SYSCALL time, in pt_regs order r15..rdi (rax is the number) */
static const uint64_t se_x_user_vals[] = {0xF15,   0xF14,           0xF13, 0xF12, 0xBB0,
                                          0xBB1,   SE_X_USER_FLAGS, 0xA10, 0xA09, 0xA08,
                                          SE_X_NR, SE_X_USER_IP,    0xD00, 0x5E0, 0xD10};

static uint64_t se_x_get(uc_engine *uc, int reg)
{
    uint64_t v = 0;
    uc_reg_read(uc, reg, &v);
    return v;
}

static void se_x_set(uc_engine *uc, int reg, uint64_t v)
{
    uc_reg_write(uc, reg, &v);
}

static void se_x_check_frame(uc_engine *uc, struct se_x_run *r)
{
    uint64_t rdi = se_x_get(uc, UC_X86_REG_RDI), rsi = se_x_get(uc, UC_X86_REG_RSI);
    se_pt_regs f;
    r->frame_ok = false;
    if (rdi != SE_X_TASK_TOP - SE_PTREGS_SIZE || uc_mem_read(uc, rdi, &f, sizeof f) != UC_ERR_OK) {
        snprintf(r->frame_err, sizeof r->frame_err, "RDI 0x%llx is not the pt_regs at the top",
                 (unsigned long long)rdi);
        return;
    }
    const uint64_t *w = (const uint64_t *)(const void *)&f;
    for (size_t i = 0; i < 15; i++) {
        uint64_t want = i == SE_PTREGS_AX / 8 ? (uint64_t)-SE_LINUX_ENOSYS : se_x_user_vals[i];
        if (w[i] != want) {
            snprintf(r->frame_err, sizeof r->frame_err, "pt_regs slot %zu = 0x%llx, want 0x%llx", i,
                     (unsigned long long)w[i], (unsigned long long)want);
            return;
        }
    }
    if (f.orig_ax != SE_X_NR || f.ip != SE_X_USER_IP || f.cs != SE_USER_CS ||
        f.flags != SE_X_USER_FLAGS || f.sp != SE_X_USER_RSP || f.ss != SE_USER_DS) {
        snprintf(r->frame_err, sizeof r->frame_err, "hardware-frame part of pt_regs is wrong");
        return;
    }
    if (rsi != (uint64_t)(int64_t)(int32_t)(uint32_t)SE_X_NR) {
        snprintf(r->frame_err, sizeof r->frame_err, "RSI 0x%llx is not the sign-extended EAX",
                 (unsigned long long)rsi);
        return;
    }
    r->frame_ok = true;
    /* scrubbed before the call; IBRS_ENTER legitimately leaves RAX/RCX/RDX = its operands */
    static const int scrubbed[] = {UC_X86_REG_R8,  UC_X86_REG_R9,  UC_X86_REG_R10, UC_X86_REG_R11,
                                   UC_X86_REG_RBX, UC_X86_REG_RBP, UC_X86_REG_R12, UC_X86_REG_R13,
                                   UC_X86_REG_R14, UC_X86_REG_R15, UC_X86_REG_RCX, UC_X86_REG_RDX};
    size_t n = sizeof scrubbed / sizeof scrubbed[0] - (r->ibrs ? 2 : 0);
    r->regs_clear = true;
    for (size_t i = 0; i < n; i++)
        r->regs_clear = r->regs_clear && se_x_get(uc, scrubbed[i]) == 0;
}

static void se_x_hook_block(uc_engine *uc, uint64_t addr, uint32_t size, void *user)
{
    struct se_x_run *r = user;
    (void)uc;
    (void)size;
    if (addr == r->a_iret_exit && r->iret_from == 0)
        r->iret_from = r->last_block;
    r->last_block = addr;
}

static void se_x_hook_code(uc_engine *uc, uint64_t addr, uint32_t size, void *user)
{
    struct se_x_run *r = user;
    (void)size;
    if (r->fix_cr3_next) {
        /* CR3-2: bit 63 of the source is a hint and never stored */
        se_x_set(uc, UC_X86_REG_CR3, se_x_get(uc, UC_X86_REG_CR3) & ~SE_CR3_NOFLUSH);
        r->fix_cr3_next = false;
    }
    if (addr == r->a_dispatch) {
        se_x_check_frame(uc, r);
        if (r->frame != NULL)
            uc_mem_write(uc, se_x_get(uc, UC_X86_REG_RDI), r->frame, sizeof *r->frame);
        if (r->al >= 0) /* only AL counts: put garbage above it */
            se_x_set(uc, UC_X86_REG_RAX, 0xABCDEF00ull | (uint64_t)r->al);
    }
    uint8_t b[3] = {0};
    uc_mem_read(uc, addr, b, sizeof b);
    if (b[0] == 0x0F && b[1] == 0x22 && ((b[2] >> 3) & 7) == 3) { /* mov %reg, %cr3 */
        static const int regs[8] = {UC_X86_REG_RAX, UC_X86_REG_RCX, UC_X86_REG_RDX, UC_X86_REG_RBX,
                                    UC_X86_REG_RSP, UC_X86_REG_RBP, UC_X86_REG_RSI, UC_X86_REG_RDI};
        if (r->n_cr3 < 4)
            r->cr3_writes[r->n_cr3] = se_x_get(uc, regs[b[2] & 7]);
        r->n_cr3++;
        r->fix_cr3_next = true;
    }
    if (b[0] == 0x0F && b[1] == 0x30) { /* wrmsr */
        assert_int_equal(se_x_get(uc, UC_X86_REG_ECX), SE_MSR_IA32_SPEC_CTRL);
        if (r->n_spec < 4)
            r->spec_writes[r->n_spec] =
                (se_x_get(uc, UC_X86_REG_RDX) << 32) | (uint32_t)se_x_get(uc, UC_X86_REG_RAX);
        r->n_spec++;
    }
    if (addr == r->a_sysretq || addr == r->a_iretq || addr == r->a_espfix || addr == r->a_cs_ud2) {
        /* 3: the espfix64 path (an LDT SS), whose end the library reports; 4: the 6.12
         * user-CS assertion's ud2 */
        r->exit = addr == r->a_sysretq ? 1 : addr == r->a_iretq ? 2 : addr == r->a_espfix ? 3 : 4;
        uc_emu_stop(uc);
    }
}

/* uc_hook_add takes callbacks as void *; ISO C has no direct conversion, so copy the bits */
static void *se_x_callback(void (*fn)(void))
{
    _Static_assert(sizeof(void *) == sizeof fn, "function pointers fit in void *");
    void *p;
    memcpy(&p, &fn, sizeof p);
    return p;
}

static void se_x_map_image(uc_engine *uc, const struct se_t_patched *p)
{
    uint64_t lo = UINT64_MAX, hi = 0;
    for (size_t i = 0; i < p->n; i++) {
        lo = p->secs[i].va < lo ? p->secs[i].va : lo;
        hi = p->secs[i].va + p->secs[i].len > hi ? p->secs[i].va + p->secs[i].len : hi;
    }
    lo &= ~0xFFFull;
    hi = (hi + 0xFFF) & ~0xFFFull;
    assert_true(hi <= SE_X_PCPU);
    assert_int_equal(uc_mem_map(uc, lo, hi - lo, UC_PROT_ALL), UC_ERR_OK);
    for (size_t i = 0; i < p->n; i++)
        assert_int_equal(uc_mem_write(uc, p->secs[i].va, p->secs[i].bytes, p->secs[i].len),
                         UC_ERR_OK);
}

/* Linux's GDT (arch/x86/include/asm/segment.h@v6.6): VERW reads the __KERNEL_DS descriptor. */
static void se_x_map_gdt(uc_engine *uc)
{
    const uint64_t gdt[16] = {0,
                              0x00CF9B000000FFFFull,
                              0x00AF9B000000FFFFull,
                              0x00CF93000000FFFFull,
                              0x00CFFB000000FFFFull,
                              0x00CFF3000000FFFFull,
                              0x00AFFB000000FFFFull};
    assert_int_equal(uc_mem_map(uc, SE_X_GDT, 0x1000, UC_PROT_ALL), UC_ERR_OK);
    uc_mem_write(uc, SE_X_GDT, gdt, sizeof gdt);
    uc_x86_mmr gdtr = {.selector = 0, .base = SE_X_GDT, .limit = sizeof gdt - 1, .flags = 0};
    assert_int_equal(uc_reg_write(uc, UC_X86_REG_GDTR, &gdtr), UC_ERR_OK);
}

static void se_x_map_percpu(uc_engine *uc, uint16_t flush_mask)
{
    assert_int_equal(uc_mem_map(uc, SE_X_PCPU, SE_PCPU_SIZE, UC_PROT_ALL), UC_ERR_OK);
    assert_int_equal(uc_mem_map(uc, SE_X_TRAMP_TOP - 0x1000, 0x1000, UC_PROT_ALL), UC_ERR_OK);
    assert_int_equal(uc_mem_map(uc, SE_X_TASK_TOP - 0x4000, 0x4000, UC_PROT_ALL), UC_ERR_OK);
    uint64_t v = SE_X_TRAMP_TOP;
    uc_mem_write(uc, SE_X_PCPU + SE_PCPU_TSS + SE_TSS_SP0, &v, 8);
    v = 0xBAD5B2; /* TSS.sp2 before entry: must be overwritten with the user RSP */
    uc_mem_write(uc, SE_X_PCPU + SE_PCPU_TSS + SE_TSS_SP2, &v, 8);
    v = SE_X_TASK_TOP;
    uc_mem_write(uc, SE_X_PCPU + SE_PCPU_TOP_OF_STACK, &v, 8);
    uc_mem_write(uc, SE_X_PCPU + SE_PCPU_USER_PCID_FLUSH_MASK, &flush_mask, 2);
    v = SE_X_SPEC_CTRL;
    uc_mem_write(uc, SE_X_PCPU + SE_PCPU_SPEC_CTRL_CURRENT, &v, 8);
}

/* The state SYSCALL leaves (SYSCALL-3..9), without the CPL change (the engine stays at CPL0). */
static void se_x_enter(uc_engine *uc, uint64_t user_cr3)
{
    for (size_t i = 0; i < 15; i++)
        se_x_set(uc, se_x_gprs[i], se_x_user_vals[i]);
    se_x_set(uc, UC_X86_REG_RSP, SE_X_USER_RSP);
    se_x_set(uc, UC_X86_REG_EFLAGS, SE_RFLAGS_FIXED);
    se_x_set(uc, UC_X86_REG_GS_BASE, SE_X_USER_GS);
    uc_x86_msr kgs = {.rid = SE_MSR_IA32_KERNEL_GS_BASE, .value = SE_X_PCPU};
    uc_reg_write(uc, UC_X86_REG_MSR, &kgs);
    se_x_set(uc, UC_X86_REG_CR3, user_cr3);
}

struct se_x_result {
    int exit;
    se_check failed; /* 6.6: from the block trace */
    uint64_t gprs[15], rsp, gs_base, kernel_gs_base, sp2;
    uint64_t iret_frame[5];
    uint16_t flush_mask;
};

static void se_x_execute(const struct se_t_patched *p, const se_pt_regs *frame, int al, bool ibrs,
                         uint64_t user_cr3, uint16_t flush_mask, struct se_x_run *r,
                         struct se_x_result *res)
{
    uc_engine *uc = NULL;
    assert_int_equal(uc_open(UC_ARCH_X86, UC_MODE_64, &uc), UC_ERR_OK);
    se_x_map_image(uc, p);
    se_x_map_gdt(uc);
    se_x_map_percpu(uc, flush_mask);
    se_x_enter(uc, user_cr3);

    memset(r, 0, sizeof *r);
    r->frame = frame;
    r->al = al;
    r->ibrs = ibrs;
    r->a_dispatch = se_t_image_sym(&g_image, "do_syscall_64");
    r->a_sysretq = se_t_image_sym(&g_image, "se_sysretq");
    r->a_iretq = se_t_image_sym(&g_image, "native_irq_return_iret");
    r->a_espfix = se_t_image_sym(&g_image, "se_espfix_ldt");
    r->a_cs_ud2 = se_t_image_sym(&g_image, "se_iret_cs_ud2");
    r->a_iret_exit = se_t_image_sym(&g_image, "swapgs_restore_regs_and_return_to_usermode");
    uc_hook hb, hc;
    assert_int_equal(uc_hook_add(uc, &hb, UC_HOOK_BLOCK,
                                 se_x_callback((void (*)(void))se_x_hook_block), r, 1, 0),
                     UC_ERR_OK);
    assert_int_equal(
        uc_hook_add(uc, &hc, UC_HOOK_CODE, se_x_callback((void (*)(void))se_x_hook_code), r, 1, 0),
        UC_ERR_OK);
    uc_err e = uc_emu_start(uc, se_t_image_sym(&g_image, "entry_SYSCALL_64"), 0, 0, 1000);
    if (e != UC_ERR_OK)
        print_error("uc_emu_start: %s at 0x%llx\n", uc_strerror(e),
                    (unsigned long long)se_x_get(uc, UC_X86_REG_RIP));
    assert_int_equal(e, UC_ERR_OK);

    memset(res, 0, sizeof *res);
    res->exit = r->exit;
    for (size_t i = 0; i < 15; i++)
        res->gprs[i] = se_x_get(uc, se_x_gprs[i]);
    res->rsp = se_x_get(uc, UC_X86_REG_RSP);
    res->gs_base = se_x_get(uc, UC_X86_REG_GS_BASE);
    uc_x86_msr kgs = {.rid = SE_MSR_IA32_KERNEL_GS_BASE, .value = 0};
    uc_reg_read(uc, UC_X86_REG_MSR, &kgs);
    res->kernel_gs_base = kgs.value;
    uc_mem_read(uc, SE_X_PCPU + SE_PCPU_TSS + SE_TSS_SP2, &res->sp2, 8);
    uc_mem_read(uc, SE_X_PCPU + SE_PCPU_USER_PCID_FLUSH_MASK, &res->flush_mask, 2);
    if (r->exit >= 2)
        uc_mem_read(uc, res->rsp, res->iret_frame, sizeof res->iret_frame);
    uc_close(uc);

    /* the check whose label is the greatest one not above the last block before the exit */
    res->failed = SE_CHECK_NONE;
    if (r->exit >= 2) {
        static const struct {
            const char *label;
            se_check check;
        } labels[] = {{"se_check_xen_pv", SE_CHECK_XEN_PV},
                      {"se_check_rcx_rip", SE_CHECK_RCX_RIP},
                      {"se_check_canonical", SE_CHECK_CANONICAL},
                      {"se_check_cs", SE_CHECK_CS},
                      {"se_check_r11_flags", SE_CHECK_R11_FLAGS},
                      {"se_check_rf_tf", SE_CHECK_RF_TF},
                      {"se_check_ss", SE_CHECK_SS}};
        uint64_t best = 0;
        for (size_t i = 0; i < sizeof labels / sizeof labels[0]; i++) {
            uint64_t a = se_t_image_sym(&g_image, labels[i].label);
            if (a <= r->iret_from && a >= best) {
                best = a;
                res->failed = labels[i].check;
            }
        }
    }
}

/* ---- frames -------------------------------------------------------------------------------- */
struct se_x_frame {
    const char *name;
    uint64_t ip, cx, r11, flags, cs, ss;
};

#define UIP SE_X_USER_IP
#define UFL SE_X_USER_FLAGS
#define TF  SE_RFLAGS_TF
#define RF  SE_RFLAGS_RF
static const struct se_x_frame se_x_frames[] = {
    {"clean", UIP, UIP, UFL, UFL, SE_USER_CS, SE_USER_DS},
    {"restart_ip_minus_2", UIP - 2, UIP, UFL, UFL, SE_USER_CS, SE_USER_DS},
    {"cx_changed", UIP, 0x1234, UFL, UFL, SE_USER_CS, SE_USER_DS},
    {"bit47", 1ull << 47, 1ull << 47, UFL, UFL, SE_USER_CS, SE_USER_DS},
    {"bit56", 1ull << 56, 1ull << 56, UFL, UFL, SE_USER_CS, SE_USER_DS},
    {"top_user_page", SE_TASK_SIZE_MAX_4LEVEL, SE_TASK_SIZE_MAX_4LEVEL, UFL, UFL, SE_USER_CS,
     SE_USER_DS},
    {"vsyscall", 0xFFFFFFFFFF600000ull, 0xFFFFFFFFFF600000ull, UFL, UFL, SE_USER_CS, SE_USER_DS},
    {"cs_user32", UIP, UIP, UFL, UFL, SE_USER32_CS, SE_USER_DS},
    {"r11_differs", UIP, UIP, UFL | SE_RFLAGS_CF, UFL, SE_USER_CS, SE_USER_DS},
    {"tf", UIP, UIP, UFL | TF, UFL | TF, SE_USER_CS, SE_USER_DS},
    {"rf", UIP, UIP, UFL | RF, UFL | RF, SE_USER_CS, SE_USER_DS},
    {"ss_null", UIP, UIP, UFL, UFL, SE_USER_CS, 0},
    {"noncanonical_cs_ss", 1ull << 47, 0x5, UFL, UFL | TF, SE_USER32_CS, 0},
    {"bit48_tf_cs_ss", 1ull << 48, 1ull << 48, UFL | TF, UFL | TF, SE_USER32_CS, 0},
    {"flags_tf_only_ss_ldt", UIP, UIP, UFL, UFL | TF, SE_USER_CS, 0x1F},
    {"cs_and_r11", UIP, UIP, 0, UFL, SE_USER32_CS, SE_USER_DS},
    /* RPL 0: 6.6/6.7 hand it to IRETQ, 6.12 stops at the user-CS assertion */
    {"cs_kernel_rpl0", UIP, UIP, UFL, UFL, SE_KERNEL_CS, SE_USER_DS},
};

static se_pt_regs se_x_make_frame(const struct se_x_frame *f)
{
    se_pt_regs r;
    uint64_t *w = (uint64_t *)(void *)&r;
    for (size_t i = 0; i < 15; i++)
        w[i] = se_x_user_vals[i] ^ 0x1000; /* the handler changed every GPR slot */
    r.ax = 0;                              /* the syscall's return value */
    r.orig_ax = 39;
    r.sp = SE_X_USER_RSP - 0x80;
    r.ip = f->ip;
    r.cx = f->cx;
    r.r11 = f->r11;
    r.flags = f->flags;
    r.cs = f->cs;
    r.ss = f->ss;
    return r;
}

/* ---- configurations ------------------------------------------------------------------------- */
struct exec_row {
    const char *name;
    bool pti, pcid, la57, ibrs, verw, xen_pv;
    se_kernel_profile kernel;
    uint32_t disabled;
};

#define DIS(c) SE_CHECK_BIT(SE_CHECK_##c)
static const struct exec_row exec_rows[] = {
    {"default_6_6_pti_pcid", true, true, false, false, false, false, SE_KERNEL_6_6, 0},
    {"no_pti", false, false, false, false, false, false, SE_KERNEL_6_6, 0},
    {"pti_no_pcid_ibrs_verw", true, false, false, true, true, false, SE_KERNEL_6_6, 0},
    {"all_mitigations_la57", true, true, true, true, true, false, SE_KERNEL_6_6, 0},
    {"xen_pv", true, true, false, false, false, true, SE_KERNEL_6_6, 0},
    {"xen_pv_c0_disabled", true, true, false, false, false, true, SE_KERNEL_6_6, DIS(XEN_PV)},
    {"c1_disabled", true, true, false, false, false, false, SE_KERNEL_6_6, DIS(RCX_RIP)},
    {"c2_disabled", true, true, false, false, false, false, SE_KERNEL_6_6, DIS(CANONICAL)},
    {"c3_disabled", true, true, false, false, false, false, SE_KERNEL_6_6, DIS(CS)},
    {"c4_disabled", true, true, false, false, false, false, SE_KERNEL_6_6, DIS(R11_FLAGS)},
    {"c5_disabled", true, true, false, false, false, false, SE_KERNEL_6_6, DIS(RF_TF)},
    {"c6_disabled", true, true, false, false, false, false, SE_KERNEL_6_6, DIS(SS)},
    {"c2_c4_disabled_la57", false, false, true, false, false, false, SE_KERNEL_6_6,
     DIS(CANONICAL) | DIS(R11_FLAGS)},
    {"all_checks_disabled", true, true, false, false, false, false, SE_KERNEL_6_6,
     SE_CHECK_ALL_BITS},
    {"default_6_7", true, true, false, false, false, false, SE_KERNEL_6_7, 0},
    {"la57_6_7_ibrs_verw", false, false, true, true, true, false, SE_KERNEL_6_7, 0},
    {"xen_pv_6_7", true, true, false, false, false, true, SE_KERNEL_6_7, 0},
    {"default_6_12", true, true, false, false, false, false, SE_KERNEL_6_12, 0},
    {"no_pti_6_12", false, false, false, false, false, false, SE_KERNEL_6_12, 0},
    {"no_pti_6_12_la57_ibrs_verw", false, false, true, true, true, false, SE_KERNEL_6_12, 0},
    {"pti_no_pcid_6_12_xen_pv", true, false, false, false, false, true, SE_KERNEL_6_12, 0},
    {"c1_c5_disabled_6_7", true, false, false, false, false, false, SE_KERNEL_6_7,
     DIS(RCX_RIP) | DIS(RF_TF)},
};

static void se_x_check_run(const struct exec_row *row, const struct se_x_frame *fr,
                           const struct se_t_patched *p, uint16_t flush_mask)
{
    se_pt_regs frame = se_x_make_frame(fr);
    se_check want = se_verdict(row->kernel, &frame, row->la57, row->disabled, row->xen_pv);
    int al = row->kernel != SE_KERNEL_6_6 ? (want == SE_CHECK_NONE) : -1;
    uint64_t ucr3 = SE_X_KCR3 | SE_PTI_USER_PGTABLE_BIT | (row->pcid ? SE_PTI_USER_PCID_BIT : 0);
    struct se_x_run r;
    struct se_x_result res;
    se_x_execute(p, &frame, al, row->ibrs, ucr3, flush_mask, &r, &res);

    print_message("  %-22s mask %u: %s", fr->name, flush_mask,
                  res.exit == 1   ? "SYSRET"
                  : res.exit == 2 ? "IRET"
                  : res.exit == 3 ? "IRET via espfix64"
                                  : "ud2 (CS not a user selector)");
    if (res.exit >= 2)
        print_message(" (%s)", row->kernel == SE_KERNEL_6_6 ? se_check_name(res.failed) : "C");
    print_message("\n");

    /* entry: the frame, the scrubbed registers, the stashed user RSP */
    if (!r.frame_ok)
        print_error("%s: %s\n", fr->name, r.frame_err);
    assert_true(r.frame_ok);
    assert_true(r.regs_clear);
    se_assert_eq_hex("TSS.sp2", res.sp2, SE_X_USER_RSP);

    /* the decision */
    /* an LDT SS (TI set) branches to the espfix64 path before IRETQ (entry_64.S@v6.6) */
    bool cs_ud2 = row->kernel == SE_KERNEL_6_12 && (frame.cs & SE_ENTRY_SEL_RPL) != 3;
    assert_int_equal(res.exit, want == SE_CHECK_NONE               ? 1
                               : cs_ud2                            ? 4
                               : (frame.ss & SE_ENTRY_SEL_TI) != 0 ? 3
                                                                   : 2);
    if (row->kernel == SE_KERNEL_6_6 && res.failed != want)
        print_error("%s: the trace says %s, the C reference %s\n", fr->name,
                    se_check_name(res.failed), se_check_name(want));
    if (row->kernel == SE_KERNEL_6_6)
        assert_int_equal(res.failed, want);

    /* the user state just before SYSRETQ / IRETQ */
    const uint64_t *w = (const uint64_t *)(const void *)&frame;
    for (size_t i = 0; i < 15; i++)
        se_assert_eq_hex("gpr", res.gprs[i], w[i]);
    if (res.exit == 1) {
        se_assert_eq_hex("rsp", res.rsp, frame.sp);
    } else {
        /* 6.12 without PTI IRETs from the task stack (no trampoline copy since 6.8) */
        bool direct = row->kernel == SE_KERNEL_6_12 && !row->pti;
        se_assert_eq_hex("rsp", res.rsp, (direct ? SE_X_TASK_TOP : SE_X_TRAMP_TOP) - 5 * 8);
        const uint64_t iret[5] = {frame.ip, frame.cs, frame.flags, frame.sp, frame.ss};
        for (size_t i = 0; i < 5; i++)
            se_assert_eq_hex("iret frame", res.iret_frame[i], iret[i]);
    }
    se_assert_eq_hex("GS base", res.gs_base, SE_X_USER_GS);
    se_assert_eq_hex("KERNEL_GS_BASE", res.kernel_gs_base, SE_X_PCPU);

    /* CR3 (arch/x86/entry/calling.h@v6.6, SWITCH_TO_KERNEL_CR3/SWITCH_TO_USER_CR3) */
    if (!row->pti) {
        assert_int_equal(r.n_cr3, 0);
    } else {
        assert_int_equal(r.n_cr3, 2);
        uint64_t kcr3 = SE_X_KCR3;
        se_assert_eq_hex("kernel CR3 write", r.cr3_writes[0],
                         row->pcid ? kcr3 | SE_CR3_NOFLUSH : kcr3);
        uint64_t user = kcr3 | SE_PTI_USER_PGTABLE_BIT;
        uint16_t kpcid_bit = (uint16_t)(1u << (kcr3 & 0x7FF));
        if (row->pcid) {
            user |= SE_PTI_USER_PCID_BIT;
            bool pending = (flush_mask & kpcid_bit) != 0;
            if (!pending)
                user |= SE_CR3_NOFLUSH;
            se_assert_eq_hex("flush mask after", res.flush_mask,
                             pending ? (uint16_t)(flush_mask & ~kpcid_bit) : flush_mask);
        } else {
            se_assert_eq_hex("flush mask after", res.flush_mask, flush_mask);
        }
        se_assert_eq_hex("user CR3 write", r.cr3_writes[1], user);
    }

    /* IBRS */
    if (!row->ibrs) {
        assert_int_equal(r.n_spec, 0);
    } else {
        assert_int_equal(r.n_spec, 2);
        se_assert_eq_hex("SPEC_CTRL at entry", r.spec_writes[0], SE_X_SPEC_CTRL);
        se_assert_eq_hex("SPEC_CTRL at exit", r.spec_writes[1],
                         SE_X_SPEC_CTRL & ~SE_SPEC_CTRL_IBRS);
    }
}

static void test_exec_row(void **state)
{
    const struct exec_row *row = *state;
    se_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.pti = row->pti;
    cfg.pcid = row->pcid;
    cfg.la57 = row->la57;
    cfg.ibrs = row->ibrs;
    cfg.verw = row->verw;
    cfg.xen_pv = row->xen_pv;
    cfg.kernel = row->kernel;
    cfg.disabled_checks = row->disabled;
    struct se_t_patched p;
    se_t_image_patch(&g_image, &cfg, &p);
    for (size_t i = 0; i < sizeof se_x_frames / sizeof se_x_frames[0]; i++) {
        se_x_check_run(row, &se_x_frames[i], &p, 0);
        if (row->pcid) {
            /* kPCID 1 pending: flush on exit; another PCID pending: keep the TLB */
            se_x_check_run(row, &se_x_frames[i], &p, 1u << 1);
            se_x_check_run(row, &se_x_frames[i], &p, 1u << 4);
        }
    }
    se_t_patched_free(&p);
}

int main(void)
{
    if (se_t_image_load(&g_image, SE_X_BASE) != 0)
        return 1;
    int failed = SE_TEST_RUN_ROWS("entry_exec", exec_rows, test_exec_row);
    se_t_image_free(&g_image);
    return failed;
}
