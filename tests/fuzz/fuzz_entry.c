/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Register-state fuzzing of the entry path (issue 6, docs/fuzzing.md).
 *
 * Input: [config][disabled checks][action][rip choice] then little-endian u64s: rax, rflags,
 * rsp, gs_base, one value per pt_regs field the action sets (ip, cx, r11, flags, cs, ss, sp),
 * and a rip offset. Missing bytes read as zero. The rip choice picks one of four fixed rips,
 * or (bit 2) any offset in 64 pages at one of four places of the user half, so that SYSCALLs
 * land at every offset of a page, across page boundaries, and where earlier inputs left code. Every
 * input runs one syscall on a cached machine restored from its snapshot, and every oracle is
 * asserted:
 *  1. differential: the C reference of the return decision (se_verdict_6_6/6_7) computed from
 *     the final pt_regs agrees with the path and failed check the emulated code produced;
 *  2. invariants: back at CPL3 the user GS base, user CR3 and ABI-preserved registers are
 *     right, no kernel value is left in a user register, and SYSRET never ran with a
 *     non-canonical RCX unless check C2 was disabled;
 *  3. the call succeeds within the instruction budget (ASan/UBSan catch the rest).
 * Built three ways: libFuzzer (SE_FUZZ_LIBFUZZER), AFL++ persistent mode (__AFL_LOOP), and a
 * replay program for ctest (built-in seeds or files named on the command line).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "entry/verdict.h"
#include "machine/machine_int.h"

/* Machines are cached, one per configuration (see fz_config and fz_key), in a ring of
 * SE_FUZZ_SLOTS, or SE_FUZZ_MACHINES=N (at most SE_FUZZ_SLOTS_MAX). A new machine costs
 * milliseconds and, under libFuzzer, an input that caches one allocates without freeing, which
 * makes libFuzzer run a whole leak scan: with fewer slots than configurations that is most of
 * the time of a long run. SE_FUZZ_SLOTS_MAX slots hold every configuration (~8 MB each). */
#define SE_FUZZ_SLOTS     96
#define SE_FUZZ_SLOTS_MAX 576

typedef struct fz_input {
    uint8_t config, disabled, action, rip_choice;
    uint64_t rax, rflags, rsp, gs_base;
    uint64_t set[7]; /* ip cx r11 flags cs ss sp */
    uint64_t rip_off;
} fz_input;

typedef struct fz_slot {
    uint16_t key;
    se_machine *m;
    se_snapshot *snap;
    /* the twin oracle: the same machine with every CR3 switch flushing the engine's TLB */
    se_machine *twin;
    se_snapshot *twin_snap;
} fz_slot;

static fz_slot fz_slots[SE_FUZZ_SLOTS_MAX];
static unsigned fz_next_slot;

static void fz_fail(const char *what, const fz_input *in, const se_outcome *o)
{
    fprintf(stderr,
            "ORACLE FAILED: %s\n  config %#x disabled %#x action %#x rip %u rax %#llx "
            "rflags %#llx\n  path %s chosen %s check %s fault %s cpl %u rip %#llx\n",
            what, in->config, in->disabled, in->action, in->rip_choice, (unsigned long long)in->rax,
            (unsigned long long)in->rflags, se_exit_path_name(o->path),
            se_exit_path_name(o->chosen), se_check_name(o->failed_check),
            se_vector_name(o->fault.vector), o->fault.cpl, (unsigned long long)o->fault.rip);
#if defined(SE_FUZZ_LIBFUZZER) || defined(__AFL_LOOP)
    abort(); /* what the fuzzers record as a crash */
#else
    exit(3); /* the replay program: a plain failure status, for ctest */
#endif
}

static void fz_parse(const uint8_t *d, size_t n, fz_input *in)
{
    uint8_t buf[4 + 8 * 12];
    memset(buf, 0, sizeof buf);
    memcpy(buf, d, n < sizeof buf ? n : sizeof buf);
    memset(in, 0, sizeof *in);
    in->config = buf[0];
    in->disabled = buf[1];
    in->action = buf[2];
    in->rip_choice = buf[3];
    uint64_t v[12];
    memcpy(v, buf + 4, sizeof v);
    in->rip_off = v[11];
    in->rax = v[0];
    in->rflags = v[1];
    in->rsp = v[2];
    in->gs_base = v[3];
    memcpy(in->set, v + 4, sizeof in->set);
}

static se_config fz_config(const fz_input *in)
{
    se_config cfg;
    se_config_default(&cfg);
    cfg.vendor = (in->config & 1) ? SE_VENDOR_AMD : SE_VENDOR_INTEL;
    cfg.la57 = (in->config & 2) != 0;
    cfg.pti = (in->config & 4) != 0;
    cfg.pcid = cfg.pti && (in->config & 8);
    /* bit 6 (6.12) wins over bit 4 (6.7) */
    cfg.kernel = (in->config & 64)   ? SE_KERNEL_6_12
                 : (in->config & 16) ? SE_KERNEL_6_7
                                     : SE_KERNEL_6_6;
    /* IBRS and VERW add instructions but no decisions: one bit drives both */
    cfg.ibrs = cfg.verw = (in->config & 32) != 0;
    /* at most one check disabled (or Xen PV), and only when bit 7 asks for it: most inputs
     * must exercise the checks themselves; this keeps the configurations few enough to cache */
    if (in->config & 128) {
        unsigned which = in->disabled % 8; /* 0: Xen PV, 1..6: checks C1..C6, 7: none */
        if (which == 0)
            cfg.xen_pv = true;
        else if (which <= 6)
            cfg.disabled_checks = SE_CHECK_BIT(which);
    }
    if (getenv("SE_FUZZ_KERNEL_IMAGE") != NULL) {
        /* the image's own code: nothing can be patched out, and a Xen PV guest is refused; the
         * reference follows its release (fz_run, once the image is loaded) */
        cfg.kernel = SE_KERNEL_6_6;
        cfg.disabled_checks = 0;
        cfg.xen_pv = false;
    }
    return cfg;
}

/* SE_FUZZ_ENTRY=object.o (with SE_FUZZ_ENTRY_SYM / SE_FUZZ_DISPATCH_SYM) fuzzes your own
 * entry code instead of the built-in one (docs/fuzzing.md). */
static se_status fz_load_user_entry(se_machine *m, const char *path)
{
    static uint8_t obj[1 << 22];
    static size_t len;
    if (len == 0) {
        FILE *f = fopen(path, "rb");
        if (f == NULL)
            return SE_ERR_IO;
        len = fread(obj, 1, sizeof obj, f);
        fclose(f);
    }
    se_entry_names names = {.entry = getenv("SE_FUZZ_ENTRY_SYM"),
                            .dispatch = getenv("SE_FUZZ_DISPATCH_SYM")};
    if (names.entry == NULL)
        se_entry_names_linux(&names);
    return se_load_entry_elf(m, obj, len, 0xffffffffa0000000ull, &names);
}

/* SE_FUZZ_KERNEL_IMAGE=vmlinuz fuzzes a distribution kernel's own entry code (se_load_kernel_image:
 * 6.1, and 6.12 with its C entry work) with the same oracles: the release's reference (6.6's for
 * 6.1, 6.7's for 6.12), no patched-out checks, and no kernel WARN or BUG reached. */
static uint8_t *fz_kernel_img;
static size_t fz_kernel_len;
static bool fz_kernel_espfix = true;
static bool fz_kernel_c_entry; /* 6.7+: do_syscall_64 runs, 6.7's C rule decides */

static se_status fz_load_kernel(se_machine *m, const char *path)
{
    if (fz_kernel_img == NULL) {
        FILE *f = fopen(path, "rb");
        if (f == NULL)
            return SE_ERR_IO;
        fseek(f, 0, SEEK_END);
        long n = ftell(f);
        rewind(f);
        fz_kernel_img = n > 0 ? malloc((size_t)n) : NULL;
        fz_kernel_len = fz_kernel_img ? fread(fz_kernel_img, 1, (size_t)n, f) : 0;
        fclose(f);
        if (fz_kernel_len == 0)
            return SE_ERR_IO;
    }
    se_status st = se_load_kernel_image(m, fz_kernel_img, fz_kernel_len, NULL);
    se_kernel_info ki;
    if (st == SE_OK && se_kernel_info_get(m, &ki) == SE_OK) {
        fz_kernel_espfix = ki.espfix64;
        fz_kernel_c_entry = ki.c_entry;
    } else if (st != SE_OK)
        fprintf(stderr, "%s: %s\n", path, se_machine_last_error(m));
    return st;
}

/* The twin oracle runs every input a second time on a machine whose MOV to CR3 flushes the
 * engine's TLB (the scheme before TLB partitions, backend.c): both must end the same. Always in
 * the replay program (ctest); for the fuzzers when SE_FUZZ_TWIN is set (it halves the rate). */
static bool fz_twin_on(void)
{
#if defined(SE_FUZZ_LIBFUZZER) || defined(__AFL_LOOP)
    return getenv("SE_FUZZ_TWIN") != NULL;
#else
    return true;
#endif
}

static se_machine *fz_create(const se_config *cfg, const char *user_entry, const char *kernel)
{
    se_machine *m = NULL;
    if (se_machine_create(cfg, &m) != SE_OK ||
        (user_entry != NULL && fz_load_user_entry(m, user_entry) != SE_OK) ||
        (kernel != NULL && fz_load_kernel(m, kernel) != SE_OK)) {
        fprintf(stderr, "cannot create a machine\n");
        abort();
    }
    return m;
}

static unsigned fz_slot_count(void)
{
    static unsigned n;
    if (n == 0) {
        const char *v = getenv("SE_FUZZ_MACHINES");
        unsigned long want = v != NULL ? strtoul(v, NULL, 10) : SE_FUZZ_SLOTS;
        n = want < 1 ? 1 : want > SE_FUZZ_SLOTS_MAX ? SE_FUZZ_SLOTS_MAX : (unsigned)want;
    }
    return n;
}

/* One key per distinct machine: input bits that name the same configuration (PCID without PTI,
 * 6.7 under 6.12) share it, so the cache holds no duplicates. At most SE_FUZZ_SLOTS_MAX keys:
 * vendor, LA57, PTI/PCID (3), kernel (3), IBRS, and none/Xen PV/one of six checks (8). */
static uint16_t fz_key(const se_config *cfg)
{
    unsigned which = cfg->xen_pv ? 1 : 0;
    for (unsigned c = 1; c <= 6; c++)
        if (cfg->disabled_checks == SE_CHECK_BIT(c))
            which = 1 + c;
    unsigned v = (unsigned)cfg->vendor | (unsigned)cfg->la57 << 1;
    v = v * 3 + (cfg->pti ? (cfg->pcid ? 2u : 1u) : 0u);
    v = v * 3 + (unsigned)cfg->kernel;
    v = v * 2 + (unsigned)cfg->ibrs;
    return (uint16_t)(v * 8 + which);
}

static fz_slot *fz_machine(const se_config *cfg_in, uint16_t key)
{
    se_config user_cfg = *cfg_in;
    const char *user_entry = getenv("SE_FUZZ_ENTRY");
    const char *kernel = getenv("SE_FUZZ_KERNEL_IMAGE");
    if (user_entry != NULL || kernel != NULL)
        user_cfg.entry = SE_ENTRY_NONE;
    if (kernel != NULL && user_cfg.phys_mem_size < SE_KERNEL_RAM_DEFAULT)
        user_cfg.phys_mem_size = SE_KERNEL_RAM_DEFAULT;
    const se_config *cfg = &user_cfg;
    unsigned slots = fz_slot_count();
    for (unsigned i = 0; i < slots; i++)
        if (fz_slots[i].m != NULL && fz_slots[i].key == key)
            return &fz_slots[i];
    fz_slot *s = &fz_slots[fz_next_slot++ % slots];
    se_snapshot_destroy(s->snap);
    se_machine_destroy(s->m);
    se_snapshot_destroy(s->twin_snap);
    se_machine_destroy(s->twin);
    s->m = fz_create(cfg, user_entry, kernel);
    s->snap = NULL;
    s->twin = NULL;
    s->twin_snap = NULL;
    if (fz_twin_on() && s->m->be.fast_cr3) {
        s->twin = fz_create(cfg, user_entry, kernel);
        s->twin->be.fast_cr3 = false;
        if (se_snapshot_create(s->twin, &s->twin_snap) != SE_OK)
            abort();
    }
    if (se_snapshot_create(s->m, &s->snap) != SE_OK)
        abort();
    s->key = key;
    return s;
}

static bool fz_same_fault(const se_fault *a, const se_fault *b)
{
    return a->kind == b->kind && a->vector == b->vector && a->error_code == b->error_code &&
           a->rip == b->rip && a->cr2 == b->cr2 && a->cpl == b->cpl &&
           a->has_error_code == b->has_error_code;
}

/* Everything the caller can observe after the call, field by field (no padding compared). */
static bool fz_same_end(se_machine *a, const se_outcome *oa, se_machine *b, const se_outcome *ob)
{
    se_cpu_state sa, sb;
    if (se_get_cpu_state(a, &sa) != SE_OK || se_get_cpu_state(b, &sb) != SE_OK)
        return false;
    const se_regs *ra = &sa.regs, *rb = &sb.regs;
    return oa->path == ob->path && oa->chosen == ob->chosen && oa->stop == ob->stop &&
           oa->failed_check == ob->failed_check && oa->cpl == ob->cpl &&
           oa->instructions == ob->instructions && oa->cycles == ob->cycles &&
           memcmp(oa->phase_cycles, ob->phase_cycles, sizeof oa->phase_cycles) == 0 &&
           memcmp(&oa->frame, &ob->frame, sizeof oa->frame) == 0 &&
           fz_same_fault(&oa->fault, &ob->fault) && ra->rax == rb->rax && ra->rbx == rb->rbx &&
           ra->rcx == rb->rcx && ra->rdx == rb->rdx && ra->rsi == rb->rsi && ra->rdi == rb->rdi &&
           ra->rbp == rb->rbp && ra->rsp == rb->rsp && ra->r8 == rb->r8 && ra->r9 == rb->r9 &&
           ra->r10 == rb->r10 && ra->r11 == rb->r11 && ra->r12 == rb->r12 && ra->r13 == rb->r13 &&
           ra->r14 == rb->r14 && ra->r15 == rb->r15 && ra->rip == rb->rip &&
           ra->rflags == rb->rflags && ra->cs == rb->cs && ra->ss == rb->ss &&
           ra->fs_base == rb->fs_base && ra->gs_base == rb->gs_base && sa.cpl == sb.cpl &&
           sa.cr3 == sb.cr3 && sa.cr2 == sb.cr2 && sa.kernel_gs_base == sb.kernel_gs_base;
}

typedef struct fz_ctx {
    const fz_input *in;
    bool called;
} fz_ctx;

static void fz_handler(se_machine *m, long nr, se_pt_regs *r, void *ctx)
{
    fz_ctx *c = ctx;
    const fz_input *in = c->in;
    (void)m;
    (void)nr;
    c->called = true;
    r->ax = 0x1234;
    uint64_t *fields[7] = {&r->ip, &r->cx, &r->r11, &r->flags, &r->cs, &r->ss, &r->sp};
    for (int i = 0; i < 7; i++)
        if (in->action & (1u << i))
            *fields[i] = in->set[i];
    /* What Linux lets a task put there: sigreturn ORs RPL 3 into CS and SS and ptrace refuses
     * anything else (putreg), so a frame never returns to ring 0. Without this the fuzzer
     * (AFL++) found frames that IRETQ correctly took to CPL0: a kernel bug, not the path's. */
    if (in->action & (1u << 4))
        r->cs |= SE_SEL_RPL_MASK;
    if (in->action & (1u << 5))
        r->ss |= SE_SEL_RPL_MASK;
}

static bool fz_canonical(uint64_t a, bool la57)
{
    return se_is_canonical(a, la57 ? 57 : 48);
}

static void fz_run(const fz_input *in)
{
    se_config cfg = fz_config(in);
    fz_slot *slot = fz_machine(&cfg, fz_key(&cfg));
    se_machine *m = slot->m;
    if (se_snapshot_restore(m, slot->snap) != SE_OK)
        abort();
    static const uint64_t rips[4] = {0x401000, 0x7fffffffeffeull, 0x7ffff000ull, 0x10000ull};
    se_regs u;
    memset(&u, 0, sizeof u);
    u.rax = in->rax;
    /* what user mode can hold: no VM, no IOPL without iopl(), bit 1 set */
    u.rflags = (in->rflags & SE_RFLAGS_DEFINED & ~(SE_RFLAGS_VM | SE_RFLAGS_IOPL | SE_RFLAGS_RF)) |
               SE_RFLAGS_FIXED;
    u.rsp = in->rsp;
    u.gs_base = fz_canonical(in->gs_base, cfg.la57) ? in->gs_base : in->gs_base & 0x7fffffffffffull;
    u.rip = rips[in->rip_choice & 3];
    if (in->rip_choice & 4) {
        /* 64 pages from each base; the last user page is the highest (TASK_SIZE_MAX - 4096) */
        static const uint64_t bases[4] = {0x400000, 0x7fffffffe000ull - 63 * 0x1000, 0x7ffc0000ull,
                                          0x10000};
        u.rip = bases[in->rip_choice & 3] + in->rip_off % (64 * 0x1000);
        if (u.rip > 0x7fffffffeffeull)
            u.rip = 0x7fffffffeffeull;
    }
    u.rbx = 0xb0b0, u.rbp = 0xb9b9, u.r12 = 0x1212, u.r13 = 0x1313, u.r14 = 0x1414;
    u.r15 = 0x1515, u.rdi = 0xd1d1, u.rsi = 0x5151, u.rdx = 0xd0d0, u.r8 = 0x0808;
    u.r9 = 0x0909, u.r10 = 0x1010, u.rcx = 0xc0c0, u.r11 = 0x1111;
    u.cs = SE_USER_CS;
    u.ss = SE_USER_DS;
    fz_ctx ctx = {.in = in, .called = false};
    se_set_syscall_handler(m, fz_handler, &ctx);
    se_outcome o;
    memset(&o, 0, sizeof o);
    se_status st = se_syscall(m, &u, &o);
    if (st != SE_OK)
        fz_fail(st == SE_ERR_LIMIT ? "ran past the instruction budget" : "se_syscall failed", in,
                &o);
    if (slot->twin != NULL) {
        /* 0. the TLB kept across CR3 switches changes nothing the caller can see */
        if (se_snapshot_restore(slot->twin, slot->twin_snap) != SE_OK)
            abort();
        fz_ctx ctx2 = {.in = in, .called = false};
        se_set_syscall_handler(slot->twin, fz_handler, &ctx2);
        se_outcome o2;
        memset(&o2, 0, sizeof o2);
        if (se_syscall(slot->twin, &u, &o2) != st || !fz_same_end(m, &o, slot->twin, &o2))
            fz_fail("the twin machine whose CR3 switches flush the TLB ends differently", in, &o);
    }
    bool image = getenv("SE_FUZZ_KERNEL_IMAGE") != NULL;
    if (image) {
        /* the release decides which reference its code follows */
        cfg.kernel = fz_kernel_c_entry ? SE_KERNEL_6_12 : SE_KERNEL_6_6;
        /* no state the entry accepts should make the kernel WARN or BUG */
        if (se_kernel_warning_count(m) != 0) {
            se_kernel_warning w;
            if (se_kernel_warning_get(m, 0, &w) == SE_OK)
                fprintf(stderr, "kernel %s at %s+%#llx (%s:%u)\n", w.warning ? "WARN" : "BUG",
                        w.symbol ? w.symbol : "?", (unsigned long long)w.offset,
                        w.file ? w.file : "?", w.line);
            fz_fail("the kernel reached a WARN or BUG", in, &o);
        }
    }

    /* 1. differential */
    se_check ref = se_verdict(cfg.kernel, &o.frame, cfg.la57, cfg.disabled_checks, cfg.xen_pv);
    if (o.failed_check != ref) {
        fprintf(stderr, "reference: %s; pt_regs ip %#llx cx %#llx r11 %#llx flags %#llx\n",
                se_check_name(ref), (unsigned long long)o.frame.ip, (unsigned long long)o.frame.cx,
                (unsigned long long)o.frame.r11, (unsigned long long)o.frame.flags);
        fz_fail("failed check differs from the C reference", in, &o);
    }
    /* 6.12 (entry_64.S@v6.12): on the IRET exit a CS with RPL != 3 ends in the ud2 of the
     * user-mode assertion, before IRETQ is reached */
    if (ref != SE_CHECK_NONE && cfg.kernel == SE_KERNEL_6_12 && (o.frame.cs & 3) != 3) {
        /* the rebuild knows its ud2; an image's is found by its symbol-less code */
        if (o.path != SE_EXIT_FAULT || o.fault.vector != SE_VEC_UD || o.fault.cpl != 0 ||
            (!image && o.fault.rip != m->sym.cs_ud2) || o.chosen != SE_EXIT_NONE)
            fz_fail("expected #UD at the user-CS assertion", in, &o);
        return;
    }
    bool cx_canon = fz_canonical(o.frame.cx, cfg.la57); /* what SYSRET loads into RIP */
    /* the exit the kernel took follows the verdict, also when that exit then faults: a fault
     * on the wrong exit instruction is a bug even where the fault itself is expected */
    if (o.chosen != (ref == SE_CHECK_NONE ? SE_EXIT_SYSRET : SE_EXIT_IRET))
        fz_fail("the exit taken does not follow the verdict", in, &o);
    if (o.stop == SE_STOP_HLT)
        fz_fail("the kernel halted", in, &o);
    if (ref == SE_CHECK_NONE) {
        if (!cx_canon && cfg.vendor == SE_VENDOR_INTEL) {
            /* only possible with C2 patched out: SYSRET-3, the CVE-2012-0217 shape */
            if (o.path != SE_EXIT_FAULT || o.chosen != SE_EXIT_SYSRET ||
                o.fault.vector != SE_VEC_GP || o.fault.cpl != 0 || o.cpl != 0 ||
                o.fault.rip != m->sym.sysretq)
                fz_fail("expected Intel SYSRET #GP in ring 0", in, &o);
            /* C1 and C2 protect SYSRET together: 6.6's C2 is blind to a non-canonical cx
             * that sign-extends to ip, and 6.7's ip test does not look at cx */
            bool allowed = (cfg.disabled_checks & (SE_CHECK_BIT(SE_CHECK_CANONICAL) |
                                                   SE_CHECK_BIT(SE_CHECK_RCX_RIP))) != 0;
            if (!allowed)
                fz_fail("SYSRET with a non-canonical RCX while its check was enabled", in, &o);
            return;
        }
        if (o.path != SE_EXIT_SYSRET)
            fz_fail("expected SYSRET", in, &o);
    } else {
        /* an LDT SS (TI) takes the espfix64 path, whose end is a #GP(0) from user mode at
         * ip (entry_64.S@v6.6 native_irq_return_ldt, traps.c@v6.6 exc_double_fault) */
        if ((o.frame.ss & 4) && fz_kernel_espfix) {
            if (o.path != SE_EXIT_FAULT || o.fault.vector != SE_VEC_GP || o.fault.cpl != 3 ||
                o.fault.error_code != 0 || o.fault.rip != o.frame.ip)
                fz_fail("expected the espfix64 end: #GP(0) from user mode at ip", in, &o);
            return;
        }
        if (o.path == SE_EXIT_FAULT) {
            /* IRETQ itself may refuse the frame: non-canonical RIP (IRET-5), bad CS/SS */
            if (o.chosen != SE_EXIT_IRET || o.fault.rip != m->sym.iretq || o.fault.cpl != 0)
                fz_fail("a fault on the IRET path other than on IRETQ", in, &o);
            return;
        }
        if (o.path != SE_EXIT_IRET)
            fz_fail("expected IRET", in, &o);
    }

    /* 2. invariants back at CPL3 */
    se_cpu_state s;
    se_get_cpu_state(m, &s);
    if (s.cpl != 3 || o.cpl != 3)
        fz_fail("not back at CPL3", in, &o);
    if (s.regs.gs_base != u.gs_base || s.kernel_gs_base != m->lay.percpu)
        fz_fail("GS base bookkeeping broken (SWAPGS-6)", in, &o);
    if (s.cr3 != m->user_cr3)
        fz_fail("not back on the user CR3", in, &o);
    const se_regs *r = &o.user;
    if (r->rbx != u.rbx || r->rbp != u.rbp || r->r12 != u.r12 || r->r13 != u.r13 ||
        r->r14 != u.r14 || r->r15 != u.r15 || r->rdi != u.rdi || r->rsi != u.rsi ||
        r->rdx != u.rdx || r->r8 != u.r8 || r->r9 != u.r9 || r->r10 != u.r10)
        fz_fail("registers the ABI preserves were changed", in, &o);
    /* RAX: the handler's value, or -ENOSYS when nothing was dispatched (6.6 semantics) */
    if (r->rax != (ctx.called ? 0x1234 : (uint64_t)-SE_LINUX_ENOSYS))
        fz_fail("RAX is neither the handler's value nor -ENOSYS", in, &o);
    if (o.path == SE_EXIT_SYSRET) {
        if (r->rip != o.frame.cx || r->rcx != o.frame.cx || r->r11 != o.frame.r11 ||
            r->rflags != ((o.frame.r11 & SE_RFLAGS_SYSRET_KEEP) | SE_RFLAGS_FIXED) ||
            r->rsp != o.frame.sp)
            fz_fail("SYSRET state does not follow pt_regs (SYSRET-4/5)", in, &o);
    } else if (r->rip != o.frame.ip || r->rsp != o.frame.sp || r->cs != (o.frame.cs & 0xffff)) {
        fz_fail("IRET state does not follow pt_regs (IRET-2/7)", in, &o);
    }
    const uint64_t user_vals[] = {u.rax,      u.rbx,
                                  u.rcx,      u.rdx,
                                  u.rsi,      u.rdi,
                                  u.rbp,      u.rsp,
                                  u.r8,       u.r9,
                                  u.r10,      u.r11,
                                  u.r12,      u.r13,
                                  u.r14,      u.r15,
                                  o.frame.cx, o.frame.r11,
                                  o.frame.sp, o.frame.ip,
                                  0x1234,     (uint64_t)-SE_LINUX_ENOSYS};
    const uint64_t got[] = {r->rax, r->rbx, r->rcx, r->rdx, r->rsi, r->rdi, r->rbp, r->rsp,
                            r->r8,  r->r9,  r->r10, r->r11, r->r12, r->r13, r->r14, r->r15};
    for (size_t i = 0; i < sizeof got / sizeof got[0]; i++) {
        bool known = false;
        for (size_t j = 0; j < sizeof user_vals / sizeof user_vals[0]; j++)
            known = known || got[i] == user_vals[j];
        if (!known)
            fz_fail("a kernel value leaked into a user register", in, &o);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_input in;
    fz_parse(data, size, &in);
    fz_run(&in);
    return 0;
}

#ifndef SE_FUZZ_LIBFUZZER
/* The seed corpus: the selftest scenarios of tools/testing/selftests/x86@v6.6, as inputs. */
typedef struct fz_seed {
    const char *name;
    fz_input in;
} fz_seed;

#define NONCANON 0x0000800000000000ull
static const fz_seed fz_seeds[] = {
    {"clean_getpid", {.config = 4 | 8, .rax = 39, .rflags = 0x246, .rsp = 0x7fffffffe000}},
    {"clean_no_pti_amd", {.config = 1, .rax = 39, .rflags = 0x246, .rsp = 0x7fffffffe000}},
    {"sysret_rip_noncanonical",
     {.config = 4 | 8, .action = 3, .rax = 39, .rflags = 0x246, .set = {NONCANON, NONCANON}}},
    {"sysret_rip_la57_1_47",
     {.config = 2 | 4 | 8, .action = 3, .rax = 39, .rflags = 0x246, .set = {NONCANON, NONCANON}}},
    {"top_user_page_6_7", {.config = 4 | 8 | 16, .rip_choice = 1, .rax = 39, .rflags = 0x246}},
    {"rip_page_straddle",
     {.config = 4 | 8, .rip_choice = 4, .rax = 39, .rflags = 0x246, .rip_off = 0x3fff}},
    {"rip_odd_offset_top",
     {.config = 4 | 8, .rip_choice = 5, .rax = 39, .rflags = 0x246, .rip_off = 0x3e0123}},
    {"rip_low_pages_amd",
     {.config = 1, .rip_choice = 7, .rax = 39, .rflags = 0x246, .rip_off = 0x1ffd}},
    {"vsyscall_6_6",
     {.config = 4 | 8,
      .action = 3,
      .rax = 39,
      .rflags = 0x246,
      .set = {0xffffffffff600000ull, 0xffffffffff600000ull}}},
    {"restart_ip_minus_2",
     {.config = 4 | 8, .action = 1, .rax = 39, .rflags = 0x246, .set = {0x401000}}},
    {"single_step_tf", {.config = 4 | 8, .rax = 39, .rflags = 0x346}},
    {"syscall_nt_ac_df", {.config = 4 | 8, .rax = 39, .rflags = 0x246 | 0x4000 | 0x40000 | 0x400}},
    {"numbering_garbage_high", {.config = 4 | 8, .rax = 0xffffffff00000027ull, .rflags = 0x246}},
    {"invalid_state_all_minus_1",
     {.config = 4 | 8, .rax = 0xffffffff, .rflags = 0x246, .rsp = 0xffffffff}},
    {"sigreturn_cs32",
     {.config = 4 | 8,
      .action = 16,
      .rax = 15,
      .rflags = 0x246,
      .set = {0, 0, 0, 0, SE_USER32_CS}}},
    {"sigreturn_ss_tls",
     {.config = 4 | 8,
      .action = 32,
      .rax = 15,
      .rflags = 0x246,
      .set = {0, 0, 0, 0, 0, SE_USER_TLS_DS}}},
    {"ptrace_flags_not_r11",
     {.config = 4 | 8, .action = 8, .rax = 39, .rflags = 0x246, .set = {0, 0, 0, 0x40246}}},
    {"cve_2012_0217_c2_off_intel",
     {.config = 4 | 8 | 128,
      .disabled = SE_CHECK_CANONICAL,
      .action = 3,
      .rax = 39,
      .rflags = 0x246,
      .set = {NONCANON, NONCANON}}},
    {"c2_off_amd",
     {.config = 1 | 4 | 8 | 128,
      .disabled = SE_CHECK_CANONICAL,
      .action = 3,
      .rax = 39,
      .rflags = 0x246,
      .set = {NONCANON, NONCANON}}},
    {"xen_pv", {.config = 4 | 8 | 128, .disabled = 0, .rax = 39, .rflags = 0x246}},
    {"c5_off_single_step",
     {.config = 4 | 8 | 128, .disabled = SE_CHECK_RF_TF, .rax = 39, .rflags = 0x346}},
    {"ibrs_verw_6_7", {.config = 4 | 8 | 16 | 32, .rax = 39, .rflags = 0x246}},
    {"bad_cs_selector",
     {.config = 4 | 8, .action = 16, .rax = 15, .rflags = 0x246, .set = {0, 0, 0, 0, 0xdead}}},
};

static size_t fz_serialize(const fz_input *in, uint8_t *buf)
{
    buf[0] = in->config, buf[1] = in->disabled, buf[2] = in->action, buf[3] = in->rip_choice;
    uint64_t v[12] = {in->rax, in->rflags, in->rsp, in->gs_base};
    memcpy(v + 4, in->set, sizeof in->set);
    v[11] = in->rip_off;
    memcpy(buf + 4, v, sizeof v);
    return 4 + sizeof v;
}

static void fz_cleanup(void)
{
    for (unsigned i = 0; i < SE_FUZZ_SLOTS_MAX; i++) {
        se_snapshot_destroy(fz_slots[i].snap);
        se_machine_destroy(fz_slots[i].m);
        se_snapshot_destroy(fz_slots[i].twin_snap);
        se_machine_destroy(fz_slots[i].twin);
        fz_slots[i].m = NULL;
        fz_slots[i].snap = NULL;
        fz_slots[i].twin = NULL;
        fz_slots[i].twin_snap = NULL;
    }
}

int main(int argc, char **argv)
{
    atexit(fz_cleanup);
    /* without this, --help was taken for an input file to replay */
    if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        printf("usage: fuzz_replay                      replay the seeds and 2000 pseudo-random "
               "inputs\n"
               "       fuzz_replay FILE...              replay inputs (a crash, a corpus)\n"
               "       fuzz_replay --write-corpus DIR   write the seed corpus to DIR\n"
               "Every input runs through the oracles (docs/fuzzing.md); a broken one aborts.\n"
               "SE_FUZZ_ENTRY=OBJ (with SE_FUZZ_ENTRY_SYM, SE_FUZZ_DISPATCH_SYM) runs your own "
               "entry code.\n");
        return 0;
    }
    if (argc == 3 && strcmp(argv[1], "--write-corpus") == 0) {
        for (size_t i = 0; i < sizeof fz_seeds / sizeof fz_seeds[0]; i++) {
            char path[512];
            uint8_t buf[128];
            snprintf(path, sizeof path, "%s/%s", argv[2], fz_seeds[i].name);
            FILE *f = fopen(path, "wb");
            if (f == NULL || fwrite(buf, 1, fz_serialize(&fz_seeds[i].in, buf), f) == 0)
                return 1;
            fclose(f);
        }
        return 0;
    }
#ifdef __AFL_LOOP
#ifdef __clang__
#pragma clang diagnostic ignored "-Wgnu-statement-expression" /* inside AFL's macro */
#endif
    /* AFL++ persistent mode: many inputs per process */
    static uint8_t buf[4096];
    while (__AFL_LOOP(10000)) {
        size_t n = fread(buf, 1, sizeof buf, stdin);
        LLVMFuzzerTestOneInput(buf, n);
    }
    return 0;
#else
    if (argc > 1) { /* replay files (a crash, or a whole corpus) */
        for (int i = 1; i < argc; i++) {
            static uint8_t buf[4096];
            FILE *f = fopen(argv[i], "rb");
            if (f == NULL) {
                fprintf(stderr, "cannot open %s\n", argv[i]);
                return 2;
            }
            size_t n = fread(buf, 1, sizeof buf, f);
            fclose(f);
            LLVMFuzzerTestOneInput(buf, n);
        }
        printf("%d inputs replayed, all oracles held\n", argc - 1);
        return 0;
    }
    for (size_t i = 0; i < sizeof fz_seeds / sizeof fz_seeds[0]; i++) {
        uint8_t buf[128];
        size_t n = fz_serialize(&fz_seeds[i].in, buf);
        printf("[RUN] %s\n", fz_seeds[i].name);
        LLVMFuzzerTestOneInput(buf, n);
        printf("[OK]  %s\n", fz_seeds[i].name);
    }
    /* and a deterministic pseudo-random sweep, so the replay test explores a little too */
    uint64_t x = 0x9E3779B97F4A7C15ull;
    for (int i = 0; i < 2000; i++) {
        uint8_t buf[128];
        for (size_t k = 0; k < sizeof buf; k++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            buf[k] = (uint8_t)x;
        }
        LLVMFuzzerTestOneInput(buf, sizeof buf);
    }
    printf("seeds and 2000 pseudo-random inputs: all oracles held\n");
    return 0;
#endif
}
#endif
