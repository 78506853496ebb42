/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The instructions that execute are the bytes in guest memory now, and every one of them the
 * machine must act on is acted on: whatever the order of calls, rips, rewrites and snapshot
 * restores (the engine caches translations of code; the machine checks each before it runs).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode/decode.h"
#include "machine/machine_int.h"
#include "se_test.h"

#define UPAGE  0x500000ull
#define USTACK 0x7ffffff00000ull

static uint64_t g_rng = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void)
{
    g_rng ^= g_rng << 13;
    g_rng ^= g_rng >> 7;
    g_rng ^= g_rng << 17;
    return g_rng;
}

static void handler(se_machine *m, long nr, se_pt_regs *regs, void *ctx)
{
    (void)m;
    (void)ctx;
    regs->ax = 0x1000 + (uint64_t)nr;
}

static se_machine *mk_linux(bool pti)
{
    se_config cfg;
    se_config_default(&cfg);
    cfg.pti = pti;
    se_machine *m = NULL;
    assert_int_equal(se_machine_create(&cfg, &m), SE_OK);
    assert_int_equal(se_set_syscall_handler(m, handler, NULL), SE_OK);
    return m;
}

static se_regs user_at(uint64_t rip, uint64_t nr)
{
    return se_test_user_regs(rip, nr, USTACK);
}

/* One syscall at rip must return by SYSRET right after it, with the handler's value. */
static void expect_clean(se_machine *m, uint64_t rip, uint64_t nr)
{
    se_regs u = user_at(rip, nr);
    se_outcome o;
    se_status st = se_syscall(m, &u, &o);
    if (st != SE_OK || o.path != SE_EXIT_SYSRET || o.user.rax != 0x1000 + nr ||
        o.user.rip != rip + 2 || o.instructions == 0)
        fail_msg("rip 0x%" PRIx64 ": status %s path %s rax 0x%" PRIx64 " rip 0x%" PRIx64
                 " insns %" PRIu64 " fault vector %u cpl %u cr2 0x%" PRIx64 " (%s)",
                 rip, se_status_str(st), se_exit_path_name(o.path), o.user.rax, o.user.rip,
                 o.instructions, o.fault.vector, o.fault.cpl, o.fault.cr2,
                 se_machine_last_error(m));
}

/* `syscall; syscall`: the second call starts where the first returned, on bytes the engine
 * translated (as something else) while stopping after the first. */
static void test_rip_then_next(void **s)
{
    (void)s;
    for (int pti = 0; pti <= 1; pti++) {
        se_machine *m = mk_linux(pti);
        expect_clean(m, UPAGE + 0x100, 39);
        expect_clean(m, UPAGE + 0x102, 39);
        expect_clean(m, UPAGE + 0x101, 110);
        expect_clean(m, UPAGE + 0x100, 39);
        expect_clean(m, UPAGE + 0x103, 1);
        se_machine_destroy(m);
    }
}

static void test_random_rips_one_page(void **s)
{
    (void)s;
    se_machine *m = mk_linux(true);
    for (int i = 0; i < 30000; i++)
        expect_clean(m, UPAGE + rnd() % 0xFFF, rnd() % 400);
    se_machine_destroy(m);
}

/* across 64 pages, page-straddling SYSCALLs (offset 0xFFF) included */
static void test_random_rips_across_pages(void **s)
{
    (void)s;
    se_machine *m = mk_linux(true);
    for (int i = 0; i < 30000; i++) {
        uint64_t page = UPAGE + (rnd() % 64) * 0x1000;
        uint64_t off = (i % 16 == 0) ? 0xFFF : rnd() % 0x1000;
        expect_clean(m, page + off, rnd() % 400);
    }
    se_machine_destroy(m);
}

/* With the block cache kept small, forgetting blocks between runs must not let a stale
 * translation run: the same random rips, trimmed every few hundred blocks. */
static void test_random_rips_with_cache_trim(void **s)
{
    (void)s;
    se_machine *m = mk_linux(true);
    m->block_cache_max = 256;
    for (int i = 0; i < 8000; i++) {
        uint64_t page = UPAGE + (rnd() % 16) * 0x1000;
        expect_clean(m, page + rnd() % 0x1000, rnd() % 400);
        assert_true(m->n_block_info <= 256 + 64);
    }
    se_machine_destroy(m);
}

/* Random rips interleaved with snapshot restores: the restore brings back other bytes at
 * addresses the engine has translated. */
static void test_random_rips_with_restores(void **s)
{
    (void)s;
    se_machine *m = mk_linux(true);
    expect_clean(m, UPAGE, 39);
    se_snapshot *snap = NULL;
    assert_int_equal(se_snapshot_create(m, &snap), SE_OK);
    for (int i = 0; i < 3000; i++) {
        expect_clean(m, UPAGE + rnd() % 0xFFF, 39);
        if (i % 3 == 0)
            assert_int_equal(se_snapshot_restore(m, snap), SE_OK);
    }
    se_snapshot_destroy(snap);
    se_machine_destroy(m);
}

static uint64_t lstar(se_machine *m)
{
    uint64_t v;
    se_fault f;
    assert_int_equal(se_msr_read(m, SE_MSR_IA32_LSTAR, &v, &f), SE_OK);
    return v;
}

/* Rewriting the entry point: the next call runs the new bytes, and the old ones again after
 * they are put back. */
static void test_rewrite_kernel_entry(void **s)
{
    (void)s;
    se_machine *m = mk_linux(true);
    uint64_t entry = lstar(m);
    uint8_t orig[2], ud2[2] = {0x0F, 0x0B};
    expect_clean(m, UPAGE, 39);
    assert_int_equal(se_mem_read(m, entry, orig, 2), SE_OK);
    assert_int_equal(se_mem_write(m, entry, ud2, 2), SE_OK);
    se_regs u = user_at(UPAGE, 39);
    se_outcome o;
    assert_int_equal(se_syscall(m, &u, &o), SE_OK);
    assert_int_equal(o.path, SE_EXIT_FAULT);
    assert_int_equal(o.fault.vector, SE_VEC_UD);
    assert_int_equal(o.fault.cpl, 0);
    se_assert_eq_hex("fault rip", o.fault.rip, entry);
    assert_int_equal(se_mem_write(m, entry, orig, 2), SE_OK);
    expect_clean(m, UPAGE, 39);
    se_machine_destroy(m);
}

/* Kernel code written at run time is modelled like loaded code: a MOV to CR4 that clears PAE
 * in IA-32e mode is #GP(0) (SDM Vol. 3A §2.5), and the machine stays usable. */
static void test_runtime_kernel_code_is_modelled(void **s)
{
    (void)s;
    se_machine *m = mk_linux(true);
    uint64_t entry = lstar(m);
    uint8_t orig[8];
    /* xor %eax,%eax; mov %rax,%cr4; ud2 */
    static const uint8_t code[8] = {0x31, 0xC0, 0x0F, 0x22, 0xE0, 0x0F, 0x0B, 0x90};
    expect_clean(m, UPAGE, 39);
    assert_int_equal(se_mem_read(m, entry + 3, orig, sizeof orig), SE_OK);
    /* SWAPGS first, as entry code must: the write replaces what comes after it */
    assert_int_equal(se_mem_write(m, entry + 3, code, sizeof code), SE_OK);
    se_regs u = user_at(UPAGE, 39);
    se_outcome o;
    assert_int_equal(se_syscall(m, &u, &o), SE_OK);
    assert_int_equal(o.path, SE_EXIT_FAULT);
    assert_int_equal(o.fault.vector, SE_VEC_GP);
    assert_int_equal(o.fault.cpl, 0);
    se_assert_eq_hex("fault rip", o.fault.rip, entry + 5);
    se_cpu_state st;
    assert_int_equal(se_get_cpu_state(m, &st), SE_OK);
    assert_true(st.cr4 & SE_CR4_PAE);
    assert_int_equal(se_mem_write(m, entry + 3, orig, sizeof orig), SE_OK);
    expect_clean(m, UPAGE, 39);
    se_machine_destroy(m);
}

/* Run from user state u until one return to user mode (or a stop); se_run must return want. */
static se_run_result run_regs(se_machine *m, const se_regs *u, se_status want)
{
    assert_int_equal(se_enter_user(m, u), SE_OK);
    se_run_options o;
    memset(&o, 0, sizeof o);
    o.user_returns = 1;
    o.max_insns = 10000;
    se_run_result r;
    se_status st = se_run(m, &o, &r);
    if (st != want)
        fail_msg("se_run at 0x%" PRIx64 ": %s, want %s (%s)", u->rip, se_status_str(st),
                 se_status_str(want), se_machine_last_error(m));
    return r;
}

/* The run ended in #UD raised by the instruction at rip. */
static void expect_ud(const se_run_result *r, uint64_t rip)
{
    assert_int_equal(r->reason, SE_STOP_FAULT);
    assert_int_equal(r->fault.vector, SE_VEC_UD);
    se_assert_eq_hex("fault rip", r->fault.rip, rip);
}

static se_run_result run_user(se_machine *m, uint64_t rip, se_status want)
{
    se_regs u = user_at(rip, 39);
    return run_regs(m, &u, want);
}

/* User code rewritten between runs, by the host and by the guest itself. */
static void test_rewrite_user_code(void **s)
{
    (void)s;
    se_machine *m = mk_linux(true);
    assert_int_equal(se_mem_map(m, UPAGE, 0x1000, SE_MAP_USER | SE_MAP_WRITE), SE_OK);
    static const uint8_t nops[4] = {0x90, 0x90, 0x0F, 0x05};
    assert_int_equal(se_mem_write(m, UPAGE, nops, 4), SE_OK);
    se_run_result r = run_user(m, UPAGE, SE_OK);
    assert_int_equal(r.reason, SE_STOP_USER_RETURN);
    static const uint8_t ud2[2] = {0x0F, 0x0B};
    assert_int_equal(se_mem_write(m, UPAGE, ud2, 2), SE_OK);
    r = run_user(m, UPAGE, SE_OK);
    expect_ud(&r, UPAGE);

    /* the guest writes an illegal LOCK MOV ahead of itself and jumps there: the CPU raises
     * #UD (SDM Vol. 2A §2.1.1); the engine would run it as a MOV */
    static const uint8_t smc[] = {
        0xC7, 0x05, 0x06, 0x00, 0x00, 0x00, 0xF0, 0x48, 0x89, 0xC0, /* movl $..., 0x10(%rip) */
        0xEB, 0x04,                                                 /* jmp 0x10 */
        0x90, 0x90, 0x90, 0x90,                                     /* 0x0c: padding */
        0x90, 0x90, 0x90, 0x90,                                     /* 0x10: nops, rewritten */
        0x0F, 0x05,                                                 /* syscall */
    };
    assert_int_equal(se_mem_write(m, UPAGE, smc, sizeof smc), SE_OK);
    r = run_user(m, UPAGE + 0x10, SE_OK); /* first the nops, translated */
    assert_int_equal(r.reason, SE_STOP_USER_RETURN);
    r = run_user(m, UPAGE, SE_OK);
    expect_ud(&r, UPAGE + 0x10);
    se_machine_destroy(m);
}

/* An encoding the engine executes but the CPU rejects, in a loop: it used to count as no
 * instruction at all, so the budget never ran out. */
static void test_illegal_lock_loop_faults(void **s)
{
    (void)s;
    se_machine *m = mk_linux(false);
    assert_int_equal(se_mem_map(m, UPAGE, 0x1000, SE_MAP_USER), SE_OK);
    static const uint8_t loop[] = {0xF0, 0x48, 0x89, 0xC0, 0xEB, 0xFA};
    assert_int_equal(se_mem_write(m, UPAGE, loop, sizeof loop), SE_OK);
    se_run_result r = run_user(m, UPAGE, SE_OK);
    assert_int_equal(r.reason, SE_STOP_FAULT);
    assert_int_equal(r.fault.vector, SE_VEC_UD);
    assert_int_equal(r.instructions, 0);
    /* 16 prefixes: past the 15-byte limit, #GP(0) */
    static const uint8_t longi[17] = {0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
                                      0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x90, 0x90};
    assert_int_equal(se_mem_write(m, UPAGE, longi, sizeof longi), SE_OK);
    r = run_user(m, UPAGE, SE_OK);
    assert_int_equal(r.reason, SE_STOP_FAULT);
    assert_int_equal(r.fault.vector, SE_VEC_GP);
    se_machine_destroy(m);
}

/* LOCK SWAPGS and LOCK WRMSR in entry code: #UD at CPL0, nothing done. */
static void test_lock_privileged_in_entry(void **s)
{
    (void)s;
    static const uint8_t lock_swapgs[3] = {0xF0, 0x0F, 0x01}; /* + 0xF8 */
    static const uint8_t lock_wrmsr[3] = {0xF0, 0x0F, 0x30};
    for (int i = 0; i < 2; i++) {
        se_machine *m = mk_linux(true);
        uint64_t entry = lstar(m);
        uint8_t code[4];
        if (i == 0) {
            memcpy(code, lock_swapgs, 3);
            code[3] = 0xF8;
        } else {
            memcpy(code, lock_wrmsr, 3);
            code[3] = 0x90;
        }
        assert_int_equal(se_mem_write(m, entry, code, 4), SE_OK);
        se_regs u = user_at(UPAGE, 39);
        u.rcx = SE_MSR_IA32_LSTAR; /* a WRMSR that ran would try a non-canonical LSTAR */
        u.rdx = 0x8000;
        se_outcome o;
        assert_int_equal(se_syscall(m, &u, &o), SE_OK);
        assert_int_equal(o.path, SE_EXIT_FAULT);
        assert_int_equal(o.fault.vector, SE_VEC_UD);
        assert_int_equal(o.fault.cpl, 0);
        se_assert_eq_hex("fault rip", o.fault.rip, entry);
        se_machine_destroy(m);
    }
}

/* The guest writes an encoding that aborts the engine into its own code and jumps there: the
 * store is screened before anything can translate it, so the CPU's #UD comes out. */
static void test_engine_abort_encoding_written_by_guest(void **s)
{
    (void)s;
    se_machine *m = mk_linux(false);
    assert_int_equal(se_mem_map(m, UPAGE, 0x1000, SE_MAP_USER | SE_MAP_WRITE), SE_OK);
    static const uint8_t smc[] = {
        0xC7, 0x05, 0x06, 0x00, 0x00,
        0x00, 0xF0, 0xA6, 0x90, 0x90, /* movl $0x9090a6f0, 0x10(%rip) */
        0xEB, 0x04,                   /* jmp 0x10 */
        0x90, 0x90, 0x90, 0x90,       /* 0x0c: padding */
        0x90, 0x90, 0x90, 0x90,       /* 0x10: becomes LOCK CMPSB */
        0x0F, 0x05,                   /* syscall */
    };
    assert_int_equal(se_mem_write(m, UPAGE, smc, sizeof smc), SE_OK);
    se_run_result r = run_user(m, UPAGE + 0x10, SE_OK); /* the NOPs first, translated */
    assert_int_equal(r.reason, SE_STOP_USER_RETURN);
    r = run_user(m, UPAGE, SE_OK);
    expect_ud(&r, UPAGE + 0x10);
    se_machine_destroy(m);
}

/* The same at the first byte of a page whose previous page is not mapped: no exit can stand
 * there (the engine ends a run at an exit with a block of no bytes whose last page is the
 * previous one), so the page is guarded: a jump to the hazard raises the CPU's #UD, with or
 * without PTI, and the machine goes on; code elsewhere on that page is refused with a clear
 * status. Written by the guest (the store screening) and by the host (se_mem_write). Before the
 * guard, the engine aborted the host process here. */
static void test_engine_abort_encoding_at_page_start(void **s)
{
    (void)s;
    const uint64_t page = 0x520000; /* 0x51f000 is not mapped */
    for (int pti = 0; pti <= 1; pti++) {
        for (int by_guest = 0; by_guest <= 1; by_guest++) {
            se_machine *m = mk_linux(pti);
            assert_int_equal(se_mem_map(m, page, 0x1000, SE_MAP_USER | SE_MAP_WRITE), SE_OK);
            assert_int_equal(se_mem_map(m, UPAGE, 0x1000, SE_MAP_USER | SE_MAP_WRITE), SE_OK);
            /* movl $0x0000a6f0, page(%rip-relative... absolute) ; jmp *%rbx */
            uint8_t code[] = {0xC7, 0x04, 0x25, 0, 0, 0, 0, 0xF0, 0xA6, 0x90, 0x90, /* movl */
                              0xFF, 0xE3 /* jmp *%rbx */};
            uint32_t a = (uint32_t)page;
            memcpy(code + 3, &a, 4);
            static const uint8_t lock_cmpsb[4] = {0xF0, 0xA6, 0x90, 0x90};
            static const uint8_t tail[4] = {0x90, 0x90, 0x0F, 0x05}; /* at page + 0x10 */
            assert_int_equal(se_mem_write(m, page + 0x10, tail, sizeof tail), SE_OK);
            if (by_guest)
                assert_int_equal(se_mem_write(m, UPAGE, code, sizeof code), SE_OK);
            else {
                assert_int_equal(se_mem_write(m, page, lock_cmpsb, 4), SE_OK);
                assert_int_equal(se_mem_write(m, UPAGE, code + 11, 2), SE_OK);
            }
            se_regs u = user_at(UPAGE, 39);
            u.rbx = page;
            se_run_result r = run_regs(m, &u, SE_OK);
            expect_ud(&r, page);
            assert_int_equal(r.fault.cpl, 3);
            /* the store and the jump (counted once, also when the engine stopped in between
             * for the guard's TLB flush), or the jump */
            assert_int_equal(r.instructions, by_guest ? 2 : 1);
            /* the machine goes on: a plain call, then the same jump again */
            se_regs v = user_at(UPAGE + 0x800, 39);
            static const uint8_t sc[2] = {0x0F, 0x05};
            assert_int_equal(se_mem_write(m, UPAGE + 0x800, sc, 2), SE_OK);
            se_outcome out;
            assert_int_equal(se_syscall(m, &v, &out), SE_OK);
            assert_int_equal(out.path, SE_EXIT_SYSRET);
            u.rip = UPAGE + (by_guest ? 11 : 0); /* straight to the jump */
            r = run_regs(m, &u, SE_OK);
            assert_int_equal(r.reason, SE_STOP_FAULT);
            assert_int_equal(r.fault.vector, SE_VEC_UD);
            /* code elsewhere on the guarded page: refused, not run */
            u.rbx = page + 0x10;
            run_regs(m, &u, SE_ERR_UNSUPPORTED);
            assert_non_null(strstr(se_machine_last_error(m), "cannot translate"));
            if (!pti && by_guest) {
                /* EFER.NXE cleared: XD is a reserved bit, so the guard goes; a user read of the
                 * page must not fault (it would on the guard's XD, a reserved bit now) */
                se_fault f;
                se_cpu_state cs;
                assert_int_equal(se_get_cpu_state(m, &cs), SE_OK);
                assert_int_equal(se_msr_write(m, SE_MSR_IA32_EFER, cs.efer & ~SE_EFER_NXE, &f),
                                 SE_OK);
                assert_int_equal(f.kind, SE_FAULT_NONE);
                static const uint8_t rd[6] = {0x48, 0x8B, 0x4B, 0x20, /* mov 0x20(%rbx),%rcx */
                                              0x0F, 0x05};
                assert_int_equal(se_mem_write(m, UPAGE + 0x900, rd, sizeof rd), SE_OK);
                u.rip = UPAGE + 0x900;
                u.rbx = page;
                r = run_regs(m, &u, SE_OK);
                if (r.reason == SE_STOP_FAULT && r.fault.rip == UPAGE + 0x900)
                    fail_msg("the read of the page faulted (vector %d, error code %#x)",
                             (int)r.fault.vector, r.fault.error_code);
                assert_int_equal(se_msr_write(m, SE_MSR_IA32_EFER, cs.efer, &f), SE_OK);
            }
            /* the page rewritten: no hazard, no guard, the code there runs */
            uint8_t nops[16];
            memset(nops, 0x90, sizeof nops); /* up to the tail's SYSCALL */
            assert_int_equal(se_mem_write(m, page, nops, sizeof nops), SE_OK);
            u.rbx = page;
            r = run_regs(m, &u, SE_OK);
            assert_int_equal(r.reason, SE_STOP_USER_RETURN);
            se_machine_destroy(m);
        }
    }
}

/* Kernel-half page for the NX tests: in the module area, away from the machine's layout. */
#define KPAGE 0xffffffffc0100000ull

/* Entry code that stores the 4 bytes `word` at KPAGE and jumps there (CPL0). It replaces the
 * entry from its first byte, before any CR3 switch: machines without PTI, so that the kernel
 * page tables are the ones in use. */
static se_outcome kernel_writes_and_jumps(se_machine *m, uint32_t word)
{
    uint8_t code[] = {
        0x48, 0xB8, 0, 0, 0, 0, 0, 0, 0, 0, /* movabs $KPAGE, %rax */
        0xC7, 0x00, 0, 0, 0, 0,             /* movl $word, (%rax) */
        0xFF, 0xE0,                         /* jmp *%rax */
    };
    uint64_t k = KPAGE;
    memcpy(code + 2, &k, 8);
    memcpy(code + 12, &word, 4);
    assert_int_equal(se_mem_write(m, lstar(m), code, sizeof code), SE_OK);
    se_regs u = user_at(UPAGE, 39);
    se_outcome o;
    assert_int_equal(se_syscall(m, &u, &o), SE_OK);
    return o;
}

static void expect_fetch_pf(const se_fault *f, uint64_t va, uint8_t cpl, uint32_t code)
{
    assert_int_equal(f->vector, SE_VEC_PF);
    assert_int_equal(f->kind, SE_FAULT_FAULT);
    assert_int_equal(f->cpl, cpl);
    se_assert_eq_hex("fault rip", f->rip, va);
    se_assert_eq_hex("cr2", f->cr2, va);
    se_assert_eq_hex("error code", f->error_code, code);
}

/* Kernel code writes an encoding that aborts the engine (LOCK CMPSB) into a writable kernel
 * page and jumps there: W^X makes the page XD, so the fetch raises #PF (SDM Vol. 3A §4.6)
 * before the engine translates anything, and the host survives. Harmless code there faults
 * the same way: it is NX that stops it, not the screening. */
static void test_nx_kernel_data_page_fetch_faults(void **s)
{
    (void)s;
    static const uint32_t words[] = {0x9090A6F0u /* lock cmpsb */, 0x9090C390u /* nop; ret */};
    for (size_t i = 0; i < 4; i++) {
        /* both CPL-switch paths: the portable one restores its creation-time context after
         * every fault */
        se_config cfg;
        se_config_default(&cfg);
        cfg.pti = false;
        cfg.cpl_switch = i < 2 ? SE_CPL_SWITCH_SURGERY : SE_CPL_SWITCH_PORTABLE;
        se_machine *m = NULL;
        assert_int_equal(se_machine_create(&cfg, &m), SE_OK);
        assert_int_equal(se_set_syscall_handler(m, handler, NULL), SE_OK);
        assert_true(m->be.engine_nx);
        assert_int_equal(se_mem_map(m, KPAGE, 0x1000, SE_MAP_WRITE), SE_OK);
        /* the model's walk agrees: a supervisor fetch there is refused */
        uint64_t pa;
        se_fault f;
        assert_int_equal(se_translate(m, KPAGE, SE_ACCESS_FETCH, 0, 0, &pa, &f), SE_OK);
        assert_int_equal(f.vector, SE_VEC_PF);
        se_assert_eq_hex("walk error code", f.error_code, SE_PF_P | SE_PF_I);
        se_outcome o = kernel_writes_and_jumps(m, words[i % 2]);
        assert_int_equal(o.path, SE_EXIT_FAULT);
        expect_fetch_pf(&o.fault, KPAGE, 0, SE_PF_P | SE_PF_I);
        uint8_t got[4];
        assert_int_equal(se_mem_read(m, KPAGE, got, 4), SE_OK);
        assert_memory_equal(got, &words[i % 2], 4); /* the store itself was allowed */
        /* the engine computed the fault itself, as an NX fetch fault: I/D is in its error code
         * only when its EFER.NXE is set, and a reserved-bit fault (XD without NXE) has RSVD */
        uint32_t engine_code = 0;
        if (m->be.use_surgery) {
            assert_true(se_be_last_error_code(&m->be, &engine_code));
            se_assert_eq_hex("engine error code", engine_code, SE_PF_P | SE_PF_I);
        }
        if (!m->be.use_surgery) {
            /* (not after a snapshot restore on the portable path: a fault there after a
             * restore turns into #DF with or without NX when the entry code holds a hazard
             * exit, here the LOCK CMPSB immediate; a separate, older problem) */
            se_machine_destroy(m);
            continue;
        }
        /* and again after a snapshot restore (the engine's EFER is in its context) */
        se_snapshot *snap = NULL;
        assert_int_equal(se_snapshot_create(m, &snap), SE_OK);
        assert_int_equal(se_snapshot_restore(m, snap), SE_OK);
        o = kernel_writes_and_jumps(m, words[i % 2]);
        expect_fetch_pf(&o.fault, KPAGE, 0, SE_PF_P | SE_PF_I);
        se_snapshot_destroy(snap);
        se_machine_destroy(m);
    }
}

/* With CR0.WP = 0, supervisor stores ignore R/W (SDM Vol. 3A §4.6.1): kernel code can write
 * an aborting encoding into a read-only *executable* page and jump there. Its stores are then
 * screened like user-half stores, so the LOCK CMPSB raises #UD at its address and the host
 * survives; with WP set the same store is a write-protection #PF. */
static void test_wp_clear_kernel_text_write_screened(void **s)
{
    (void)s;
    for (int wp_clear = 0; wp_clear <= 1; wp_clear++) {
        se_machine *m = mk_linux(false);
        assert_int_equal(se_mem_map(m, KPAGE, 0x1000, 0), SE_OK); /* read-only, executable */
        uint8_t code[] = {
            0x0F, 0x20, 0xC1,                                  /* mov %cr0, %rcx */
            0x48, 0x81, 0xE1, 0xFF, 0xFF, 0xFE, 0xFF,          /* and $~WP, %rcx */
            0x0F, 0x22, 0xC1,                                  /* mov %rcx, %cr0 */
            0x48, 0xB8, 0,    0,    0,    0,    0,    0, 0, 0, /* movabs $KPAGE, %rax */
            0xC7, 0x00, 0xF0, 0xA6, 0x90, 0x90, /* movl $(lock cmpsb; nop; nop), (%rax) */
            0xFF, 0xE0,                         /* jmp *%rax */
        };
        /* not at the page's first byte: an exit there needs the byte before it fetchable (the
         * page-start gap, docs/fuzzing.md) */
        uint64_t k = KPAGE + 0x10;
        memcpy(code + 15, &k, 8);
        size_t skip = wp_clear ? 0 : 13; /* without the CR0 write, WP stays set */
        assert_int_equal(se_mem_write(m, lstar(m), code + skip, sizeof code - skip), SE_OK);
        se_regs u = user_at(UPAGE, 39);
        se_outcome o;
        assert_int_equal(se_syscall(m, &u, &o), SE_OK);
        assert_int_equal(o.path, SE_EXIT_FAULT);
        assert_int_equal(o.fault.cpl, 0);
        if (wp_clear) {
            assert_non_null(m->h_kernel_write);
            assert_int_equal(o.fault.vector, SE_VEC_UD);
            se_assert_eq_hex("fault rip", o.fault.rip, k);
        } else {
            assert_null(m->h_kernel_write);
            assert_int_equal(o.fault.vector, SE_VEC_PF);
            se_assert_eq_hex("cr2", o.fault.cr2, k);
            assert_true(o.fault.error_code & SE_PF_W);
        }
        se_machine_destroy(m);
    }
}

/* A kernel page mapped without SE_MAP_NOEXEC (read-only: code) still runs: the UD2 the host put
 * there raises #UD at it, so it was fetched and decoded. */
static void test_nx_kernel_code_page_runs(void **s)
{
    (void)s;
    se_machine *m = mk_linux(false);
    assert_int_equal(se_mem_map(m, KPAGE, 0x1000, 0), SE_OK);
    static const uint8_t ud2[2] = {0x0F, 0x0B};
    assert_int_equal(se_mem_write(m, KPAGE, ud2, 2), SE_OK);
    static const uint8_t jmp[] = {
        0x48, 0xB8, 0x00, 0x00, 0x10, 0xC0,
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xE0}; /* movabs $KPAGE, %rax; jmp *%rax */
    assert_int_equal(se_mem_write(m, lstar(m), jmp, sizeof jmp), SE_OK);
    se_regs u = user_at(UPAGE, 39);
    se_outcome o;
    assert_int_equal(se_syscall(m, &u, &o), SE_OK);
    assert_int_equal(o.path, SE_EXIT_FAULT);
    assert_int_equal(o.fault.vector, SE_VEC_UD);
    se_assert_eq_hex("fault rip", o.fault.rip, KPAGE);
    se_machine_destroy(m);
}

/* User pages stay executable unless SE_MAP_NOEXEC is given; with it, a CPL3 fetch faults with
 * P, U and I/D. */
static void test_nx_user_page_flag(void **s)
{
    (void)s;
    se_machine *m = mk_linux(false);
    assert_int_equal(se_mem_map(m, UPAGE, 0x1000, SE_MAP_USER | SE_MAP_WRITE | SE_MAP_NOEXEC),
                     SE_OK);
    static const uint8_t sc[2] = {0x0F, 0x05};
    assert_int_equal(se_mem_write(m, UPAGE, sc, 2), SE_OK);
    se_run_result r = run_user(m, UPAGE, SE_OK);
    assert_int_equal(r.reason, SE_STOP_FAULT);
    expect_fetch_pf(&r.fault, UPAGE, 3, SE_PF_P | SE_PF_U | SE_PF_I);
    assert_int_equal(se_mem_map(m, UPAGE + 0x1000, 0x1000, SE_MAP_USER | SE_MAP_WRITE), SE_OK);
    assert_int_equal(se_mem_write(m, UPAGE + 0x1000, sc, 2), SE_OK);
    r = run_user(m, UPAGE + 0x1000, SE_OK);
    assert_int_equal(r.reason, SE_STOP_USER_RETURN);
    se_machine_destroy(m);
}

/* EFER.NXE cleared (by the host here; a guest WRMSR takes the same path): XD becomes a reserved
 * bit, in the model's walk and the engine's alike (SDM Vol. 3A §4.5.4), so the store to the
 * XD page faults with RSVD; setting NXE again restores the fetch fault. */
static void test_nx_efer_nxe_follows_model(void **s)
{
    (void)s;
    se_machine *m = mk_linux(false);
    assert_int_equal(se_mem_map(m, KPAGE, 0x1000, SE_MAP_WRITE), SE_OK);
    uint64_t efer;
    se_fault f;
    assert_int_equal(se_msr_read(m, SE_MSR_IA32_EFER, &efer, &f), SE_OK);
    assert_true(efer & SE_EFER_NXE);
    assert_int_equal(se_msr_write(m, SE_MSR_IA32_EFER, efer & ~SE_EFER_NXE, &f), SE_OK);
    assert_int_equal(f.kind, SE_FAULT_NONE);
    se_outcome o = kernel_writes_and_jumps(m, 0x9090A6F0u);
    assert_int_equal(o.path, SE_EXIT_FAULT);
    assert_int_equal(o.fault.vector, SE_VEC_PF);
    se_assert_eq_hex("rsvd error code", o.fault.error_code, SE_PF_P | SE_PF_W | SE_PF_RSVD);
    se_assert_eq_hex("cr2", o.fault.cr2, KPAGE);
    assert_int_equal(se_msr_write(m, SE_MSR_IA32_EFER, efer, &f), SE_OK);
    o = kernel_writes_and_jumps(m, 0x9090A6F0u);
    expect_fetch_pf(&o.fault, KPAGE, 0, SE_PF_P | SE_PF_I);

    /* the guest's own WRMSR clears NXE: the hook hands it to the engine, whose WRMSR keeps it */
    uint8_t code[] = {
        0xB9, 0x80, 0x00, 0x00, 0xC0,                /* mov $MSR_EFER, %ecx */
        0x0F, 0x32,                                  /* rdmsr */
        0x0F, 0xBA, 0xF0, 0x0B,                      /* btr $11, %eax (NXE) */
        0x0F, 0x30,                                  /* wrmsr */
        0x48, 0xB8, 0,    0,    0,    0, 0, 0, 0, 0, /* movabs $KPAGE, %rax */
        0xC6, 0x00, 0x90,                            /* movb $0x90, (%rax) */
    };
    uint64_t k = KPAGE;
    memcpy(code + 15, &k, 8);
    assert_int_equal(se_mem_write(m, lstar(m), code, sizeof code), SE_OK);
    se_regs u = user_at(UPAGE, 39);
    assert_int_equal(se_syscall(m, &u, &o), SE_OK);
    assert_int_equal(o.path, SE_EXIT_FAULT);
    assert_int_equal(o.fault.vector, SE_VEC_PF);
    se_assert_eq_hex("rsvd error code", o.fault.error_code, SE_PF_P | SE_PF_W | SE_PF_RSVD);
    uint32_t engine_code = 0;
    assert_true(se_be_last_error_code(&m->be, &engine_code));
    se_assert_eq_hex("engine error code", engine_code, SE_PF_P | SE_PF_W | SE_PF_RSVD);
    assert_int_equal(se_msr_read(m, SE_MSR_IA32_EFER, &efer, &f), SE_OK);
    assert_false(efer & SE_EFER_NXE);
    se_machine_destroy(m);
}

/* An engine that cannot take NXE (m->be.engine_nx false: another Unicorn build's context layout)
 * gets no XD in new PTEs, which it would take for a reserved bit: the old behaviour, where a
 * writable kernel page runs whatever is written there (harmless code here: UD2). */
static void test_nx_unavailable_keeps_pages_executable(void **s)
{
    (void)s;
    se_machine *m = mk_linux(false);
    m->be.engine_nx = false; /* as se_be_open decides for a layout it does not know */
    assert_int_equal(se_mem_map(m, KPAGE, 0x1000, SE_MAP_WRITE), SE_OK);
    assert_int_equal(se_pt_leaf(&m->phys, m->levels, m->kpgd, KPAGE) & SE_PTE_XD, 0);
    se_outcome o = kernel_writes_and_jumps(m, 0x90900B0Fu); /* ud2 */
    assert_int_equal(o.path, SE_EXIT_FAULT);
    assert_int_equal(o.fault.vector, SE_VEC_UD);
    se_assert_eq_hex("fault rip", o.fault.rip, KPAGE);
    se_machine_destroy(m);
}

/* ---- stores without write hooks (wx.c) ---------------------------------------------------- */

/* The default machine runs without a memory-write hook (their existence alone sends every
 * access through the engine's slow path); the writable and executable user stack carries the
 * W^X marks instead. What takes them away brings the hooks back: CR0.WP clear, EFER.NXE clear
 * (XD would be reserved), and they go again with the state. */
static void test_wx_no_write_hooks_by_default(void **s)
{
    (void)s;
    for (int pti = 0; pti <= 1; pti++) {
        se_machine *m = mk_linux(pti);
        se_regs u = user_at(UPAGE, 39);
        se_outcome o;
        assert_int_equal(se_syscall(m, &u, &o), SE_OK);
        assert_int_equal(o.path, SE_EXIT_SYSRET);
        assert_false(m->stores_hooked);
        assert_true(m->wx_marked);
        uint64_t efer;
        se_fault f;
        assert_int_equal(se_msr_read(m, SE_MSR_IA32_EFER, &efer, &f), SE_OK);
        assert_int_equal(se_msr_write(m, SE_MSR_IA32_EFER, efer & ~SE_EFER_NXE, &f), SE_OK);
        assert_int_equal(se_syscall(m, &u, &o), SE_OK);
        assert_true(m->stores_hooked);
        assert_false(m->wx_marked);
        assert_int_equal(se_msr_write(m, SE_MSR_IA32_EFER, efer, &f), SE_OK);
        assert_int_equal(se_syscall(m, &u, &o), SE_OK);
        assert_int_equal(o.path, SE_EXIT_SYSRET);
        assert_false(m->stores_hooked);
        se_machine_destroy(m);
    }
}

/* With EFER.NXE clear the marks cannot work (XD is a reserved bit: every access to a marked
 * page would fault): the guest's store of an engine-aborting encoding into its own writable
 * page is screened by the hook, and its #UD comes out as with NXE set. */
static void test_wx_nxe_clear_still_screened(void **s)
{
    (void)s;
    for (int nxe = 0; nxe <= 1; nxe++) {
        se_machine *m = mk_linux(false);
        uint64_t efer;
        se_fault f;
        assert_int_equal(se_msr_read(m, SE_MSR_IA32_EFER, &efer, &f), SE_OK);
        if (!nxe)
            assert_int_equal(se_msr_write(m, SE_MSR_IA32_EFER, efer & ~SE_EFER_NXE, &f), SE_OK);
        assert_int_equal(se_mem_map(m, UPAGE, 0x1000, SE_MAP_USER | SE_MAP_WRITE), SE_OK);
        static const uint8_t smc[] = {
            0xC7, 0x05, 0x06, 0x00, 0x00,
            0x00, 0xF0, 0xA6, 0x90, 0x90, /* movl $0x9090a6f0, 0x10(%rip) */
            0xEB, 0x04,                   /* jmp 0x10 */
            0x90, 0x90, 0x90, 0x90,       /* 0x0c: padding */
            0x90, 0x90, 0x90, 0x90,       /* 0x10: becomes LOCK CMPSB */
            0x0F, 0x05,                   /* syscall */
        };
        assert_int_equal(se_mem_write(m, UPAGE, smc, sizeof smc), SE_OK);
        se_run_result r = run_user(m, UPAGE, SE_OK);
        expect_ud(&r, UPAGE + 0x10);
        assert_int_equal(r.instructions, 2);
        /* NXE clear: no marks at all; NXE set: the store into its own page made the page flip
         * until the hooks took over (test_wx_self_modifying_loop) */
        assert_int_equal(m->wx_marked, false);
        assert_true(m->stores_hooked);
        assert_int_equal(m->wx_fallback, nxe);
        se_machine_destroy(m);
    }
}

/* Code that keeps storing into its own page: each store makes the page data to the engine,
 * each fetch code again, and after a few flips the write hooks take over for the rest of the
 * run. Every instruction is counted once, however often it ran again after a flip. */
static void test_wx_self_modifying_loop(void **s)
{
    (void)s;
    for (int pti = 0; pti <= 1; pti++) {
        se_machine *m = mk_linux(pti);
        assert_int_equal(se_mem_map(m, UPAGE, 0x1000, SE_MAP_USER | SE_MAP_WRITE), SE_OK);
        static const uint8_t loop[] = {
            0xB9, 0x64, 0x00, 0x00, 0x00,       /* mov $100, %ecx */
            0x88, 0x0D, 0x0A, 0x00, 0x00, 0x00, /* 1: mov %cl, 0x15 (this page) */
            0xFF, 0xC9,                         /* dec %ecx */
            0x75, 0xF6,                         /* jnz 1b */
            0x0F, 0x05,                         /* syscall */
        };
        assert_int_equal(se_mem_write(m, UPAGE, loop, sizeof loop), SE_OK);
        se_run_result r = run_user(m, UPAGE, SE_OK);
        assert_int_equal(r.reason, SE_STOP_USER_RETURN);
        /* mov, 100 x (store, dec, jnz), syscall, and the entry path to the return */
        se_run_result ref;
        {
            se_machine *m2 = mk_linux(pti);
            assert_int_equal(se_mem_map(m2, UPAGE, 0x1000, SE_MAP_USER), SE_OK);
            static const uint8_t just_syscall[] = {0x0F, 0x05};
            assert_int_equal(se_mem_write(m2, UPAGE, just_syscall, 2), SE_OK);
            ref = run_user(m2, UPAGE, SE_OK);
            se_machine_destroy(m2);
        }
        assert_int_equal(r.instructions, ref.instructions + 1 + 300);
        /* a store into its own page cannot complete on a page that is one or the other: the
         * hooks took over after a few flips, not one per store */
        assert_true(m->wx_fallback);
        assert_true(m->wx_flips <= 16);
        uint8_t b = 0;
        assert_int_equal(se_mem_read(m, UPAGE + 0x15, &b, 1), SE_OK);
        assert_int_equal(b, 1);
        /* the next run starts with the marks again */
        r = run_user(m, UPAGE + 0x0F, SE_OK);
        assert_int_equal(r.reason, SE_STOP_USER_RETURN);
        assert_false(m->stores_hooked);
        se_machine_destroy(m);
    }
}

static void count_event(const se_trace_event *ev, void *ctx)
{
    (void)ev;
    ++*(uint64_t *)ctx;
}

/* The trace shows each instruction once, even one that ran again after a W^X flip. */
static void test_wx_trace_counts_once(void **s)
{
    (void)s;
    se_machine *m = mk_linux(false);
    assert_int_equal(se_mem_map(m, UPAGE, 0x1000, SE_MAP_USER | SE_MAP_WRITE), SE_OK);
    static const uint8_t loop[] = {
        0xB9, 0x14, 0x00, 0x00, 0x00,       /* mov $20, %ecx */
        0x88, 0x0D, 0x0A, 0x00, 0x00, 0x00, /* 1: mov %cl, 0x15 (this page) */
        0xFF, 0xC9,                         /* dec %ecx */
        0x75, 0xF6,                         /* jnz 1b */
        0x0F, 0x05,                         /* syscall */
    };
    assert_int_equal(se_mem_write(m, UPAGE, loop, sizeof loop), SE_OK);
    uint64_t events = 0;
    assert_int_equal(se_set_trace(m, count_event, &events), SE_OK);
    se_run_result r = run_user(m, UPAGE, SE_OK);
    assert_int_equal(r.reason, SE_STOP_USER_RETURN);
    assert_true(m->wx_flips > 1);
    assert_int_equal(events, r.instructions);
    assert_int_equal(se_set_trace(m, NULL, NULL), SE_OK);
    se_machine_destroy(m);
}

/* A snapshot restore that changes a page which is data to the engine (written since its last
 * fetch) drops the engine's translations of it, which Unicorn finds through a fetch in the
 * current mode: the page is made screened code first. Before, that fetch faulted inside the
 * engine, which kept the translations (the block check found them stale later; a block the
 * cache trim had forgotten would have run its old bytes). */
static void test_wx_restore_discards_data_page(void **s)
{
    (void)s;
    for (int pti = 0; pti <= 1; pti++) {
        se_machine *m = mk_linux(pti);
        const uint64_t P = UPAGE, Q = UPAGE + 0x100000, R = UPAGE + 0x200000;
        assert_int_equal(se_mem_map(m, P, 0x1000, SE_MAP_USER | SE_MAP_WRITE), SE_OK);
        assert_int_equal(se_mem_map(m, Q, 0x1000, SE_MAP_USER), SE_OK);
        assert_int_equal(se_mem_map(m, R, 0x1000, SE_MAP_USER), SE_OK);
        static const uint8_t nops[] = {0x90, 0x90, 0x0F, 0x05};
        assert_int_equal(se_mem_write(m, P + 0x100, nops, sizeof nops), SE_OK);
        /* movb $0x90, P + 0x800; syscall */
        uint8_t store[] = {0xC6, 0x04, 0x25, 0, 0, 0, 0, 0x90, 0x0F, 0x05};
        uint32_t target = (uint32_t)(P + 0x800);
        memcpy(store + 3, &target, 4);
        assert_int_equal(se_mem_write(m, Q, store, sizeof store), SE_OK);
        static const uint8_t sc[] = {0x0F, 0x05};
        assert_int_equal(se_mem_write(m, R, sc, sizeof sc), SE_OK);
        se_run_result r = run_user(m, P + 0x100, SE_OK); /* P: translated, code */
        assert_int_equal(r.reason, SE_STOP_USER_RETURN);
        se_snapshot *snap = NULL;
        assert_int_equal(se_snapshot_create(m, &snap), SE_OK);
        r = run_user(m, Q, SE_OK); /* P: data */
        assert_int_equal(r.reason, SE_STOP_USER_RETURN);
        assert_int_equal(se_snapshot_restore(m, snap), SE_OK); /* P changed back */
        const se_mapping *mp = se_mapping_hit(m, P, false);
        assert_non_null(mp);
        assert_int_equal(m->pg_wx[(mp->pa - m->phys.base) >> 12], SE_WX_CODE);
        r = run_user(m, R, SE_OK);
        assert_int_equal(r.reason, SE_STOP_USER_RETURN);
        assert_int_equal(m->wx_flips, 0); /* no fault of P's came out in a run elsewhere */
        r = run_user(m, P + 0x100, SE_OK);
        assert_int_equal(r.reason, SE_STOP_USER_RETURN);
        se_snapshot_destroy(snap);
        se_machine_destroy(m);
    }
}

/* An engine-aborting encoding at the first byte of a page whose previous page is mapped and
 * writable, so that to the machine's walk it is fetchable, but that is data to the engine (W^X,
 * written since its last fetch): the engine could not translate the exit's empty block there
 * (its "last page" is that previous page), so the hazard's page is guarded as after an unmapped
 * page, and the CPU's #UD comes out. With the previous page code to the engine, the exit works. */
static void test_wx_page_start_hazard_after_data_page(void **s)
{
    (void)s;
    const uint64_t A = 0x540000, B = A + 0x1000; /* one writable and executable mapping */
    for (int pti = 0; pti <= 1; pti++) {
        se_machine *m = mk_linux(pti);
        assert_int_equal(se_mem_map(m, A, 0x2000, SE_MAP_USER | SE_MAP_WRITE), SE_OK);
        assert_int_equal(se_mem_map(m, UPAGE, 0x1000, SE_MAP_USER), SE_OK);
        static const uint8_t lock_cmpsb[4] = {0xF0, 0xA6, 0x90, 0x90};
        assert_int_equal(se_mem_write(m, B, lock_cmpsb, 4), SE_OK);
        /* movb $1, A + 0x10 (A becomes data); jmp *%rbx */
        uint8_t code[] = {0xC6, 0x04, 0x25, 0, 0, 0, 0, 0x01, 0xFF, 0xE3};
        uint32_t a = (uint32_t)(A + 0x10);
        memcpy(code + 3, &a, 4);
        assert_int_equal(se_mem_write(m, UPAGE, code, sizeof code), SE_OK);
        se_regs u = user_at(UPAGE, 39);
        u.rbx = B;
        se_run_result r = run_regs(m, &u, SE_OK);
        expect_ud(&r, B);
        assert_int_equal(r.fault.cpl, 3);
        assert_int_equal(r.instructions, 2);
        /* the engine never fetched from A: an exit at B would have made it translate an empty
         * block whose last page is A, faulting inside its translator (the page-start case of
         * docs/fuzzing.md) */
        const se_mapping *mp = se_mapping_hit(m, A, false);
        assert_non_null(mp);
        assert_int_equal(m->pg_wx[(mp->pa - m->phys.base) >> 12], SE_WX_DATA);
        /* again, straight to the jump: the same #UD */
        u.rip = UPAGE + 8;
        r = run_regs(m, &u, SE_OK);
        expect_ud(&r, B);
        se_machine_destroy(m);
    }
}

/* Kernel code (CPL0, WP set) stores an engine-aborting encoding into a writable and executable
 * user page and jumps there: the store flips the page to data, the fetch screens it, and the
 * CPU's #UD comes out at CPL0, with the host alive. */
static void test_wx_kernel_store_into_user_page(void **s)
{
    (void)s;
    se_machine *m = mk_linux(false);
    assert_int_equal(se_mem_map(m, UPAGE, 0x1000, SE_MAP_USER | SE_MAP_WRITE), SE_OK);
    se_regs u = user_at(UPAGE + 0x100, 39);
    static const uint8_t sc[] = {0x0F, 0x05};
    assert_int_equal(se_mem_write(m, UPAGE + 0x100, sc, 2), SE_OK);
    se_outcome o;
    assert_int_equal(se_syscall(m, &u, &o), SE_OK); /* the page is code to the engine now */
    assert_int_equal(o.path, SE_EXIT_SYSRET);
    uint8_t code[] = {
        0x48, 0xC7, 0xC0, 0x10, 0x00, 0x50, 0x00, /* mov $UPAGE + 0x10, %rax */
        0xC7, 0x00, 0xF0, 0xA6, 0x90, 0x90,       /* movl $(lock cmpsb; nop; nop), (%rax) */
        0xFF, 0xE0,                               /* jmp *%rax */
    };
    assert_int_equal(se_mem_write(m, lstar(m), code, sizeof code), SE_OK);
    assert_int_equal(se_syscall(m, &u, &o), SE_OK);
    assert_int_equal(o.path, SE_EXIT_FAULT);
    assert_int_equal(o.fault.vector, SE_VEC_UD);
    assert_int_equal(o.fault.cpl, 0);
    se_assert_eq_hex("fault rip", o.fault.rip, UPAGE + 0x10);
    assert_false(m->stores_hooked);
    se_machine_destroy(m);
}

/* A REX prefix before a legacy prefix: the CPU ignores it, the engine does not, so the two
 * would run different instructions from there; the machine refuses to run it. */
static void test_engine_misdecode_refused(void **s)
{
    (void)s;
    se_machine *m = mk_linux(true);
    uint64_t entry = lstar(m);
    static const uint8_t code[] = {0x48, 0x3E, 0xBE, 0xBB, 0x9E, 0xFD, 0xE0, 0x90, 0x90, 0x90};
    assert_int_equal(se_mem_write(m, entry + 3, code, sizeof code), SE_OK);
    se_regs u = user_at(UPAGE, 39);
    se_outcome o;
    assert_int_equal(se_syscall(m, &u, &o), SE_ERR_UNSUPPORTED);
    assert_non_null(strstr(se_machine_last_error(m), "REX"));
    assert_int_equal(o.instructions, 2); /* SYSCALL and SWAPGS ran */
    se_machine_destroy(m);
}

/* Privileged instructions the machine does not model end the run with a status at CPL0 and
 * #GP(0) at CPL3: the engine never runs them. */
static void test_unmodelled_privileged(void **s)
{
    (void)s;
    se_machine *m = mk_linux(true);
    uint64_t entry = lstar(m);
    static const uint8_t lgdt[] = {0x0F, 0x01, 0x10}; /* lgdt (%rax) */
    assert_int_equal(se_mem_write(m, entry + 3, lgdt, sizeof lgdt), SE_OK);
    se_regs u = user_at(UPAGE, 39);
    se_outcome o;
    assert_int_equal(se_syscall(m, &u, &o), SE_ERR_UNSUPPORTED);
    assert_non_null(strstr(se_machine_last_error(m), "lgdt"));
    se_machine_destroy(m);

    m = mk_linux(false);
    assert_int_equal(se_mem_map(m, UPAGE, 0x1000, SE_MAP_USER), SE_OK);
    assert_int_equal(se_mem_write(m, UPAGE, lgdt, sizeof lgdt), SE_OK);
    se_run_result r = run_user(m, UPAGE, SE_OK);
    assert_int_equal(r.reason, SE_STOP_FAULT);
    assert_int_equal(r.fault.vector, SE_VEC_GP);
    se_machine_destroy(m);
}

/* Tracing on and off: the trace sees every instruction while it is on, whatever was
 * translated before, and turning it on does not cost a whole translation-cache flush. */
typedef struct {
    uint64_t n;
} count_ctx;
static void count_ev(const se_trace_event *e, void *ctx)
{
    (void)e;
    ((count_ctx *)ctx)->n++;
}

static void test_trace_toggle(void **s)
{
    (void)s;
    se_machine *m = mk_linux(true);
    for (int i = 0; i < 4; i++) {
        count_ctx c = {0};
        expect_clean(m, UPAGE, 39);
        assert_int_equal(se_set_trace(m, count_ev, &c), SE_OK);
        se_regs u = user_at(UPAGE, 39);
        se_outcome o;
        assert_int_equal(se_syscall(m, &u, &o), SE_OK);
        assert_int_equal(c.n, o.instructions);
        assert_int_equal(se_set_trace(m, NULL, NULL), SE_OK);
        expect_clean(m, UPAGE, 39);
        assert_int_equal(c.n, o.instructions); /* no events once off */
    }
    se_machine_destroy(m);
}

/* ---- differential: random encodings through the decoder and through the engine ---------- */

typedef struct {
    uint64_t rip[64];
    uint8_t bytes[64][15];
    uint8_t len[64];
    uint8_t cpl[64];
    unsigned n;
} diff_ctx;

static void diff_ev(const se_trace_event *e, void *ctx)
{
    diff_ctx *d = ctx;
    if (d->n < 64) {
        d->rip[d->n] = e->rip;
        memcpy(d->bytes[d->n], e->bytes, e->len);
        d->len[d->n] = e->len;
        d->cpl[d->n] = e->cpl_before;
    }
    d->n++;
}

/* Every instruction the engine executed was counted; none that the CPU rejects or that is
 * privileged ran past: each such one is the last of its run. */
static void check_diff(se_machine *m, const diff_ctx *d, uint64_t counted, bool faulted,
                       const uint8_t *code, size_t n_code, uint64_t base)
{
    uint64_t events = d->n;
    if (!(events == counted || (faulted && events == counted + 1))) {
        char hex[64] = "";
        for (size_t i = 0; i < n_code && i < 16; i++)
            snprintf(hex + 3 * i, 4, "%02x ", code[i]);
        char evs[256] = "";
        for (unsigned i = 0; i < d->n && i < 8; i++)
            snprintf(evs + strlen(evs), sizeof evs - strlen(evs), " %" PRIx64, d->rip[i]);
        fail_msg("%s: %" PRIu64 " events (%s), %" PRIu64 " counted (faulted %d) at 0x%" PRIx64
                 ": %s",
                 hex, events, evs, counted, faulted, base, se_machine_last_error(m));
    }
    for (unsigned i = 0; i < d->n && i < 64; i++) {
        se_insn in;
        uint8_t buf[16];
        size_t avail = 15;
        memset(buf, 0, sizeof buf);
        assert_int_equal(se_mem_read(m, d->rip[i], buf, avail), SE_OK);
        if (se_decode_exec(buf, avail, d->rip[i], false, &in) != SE_OK)
            continue;
        bool must_stop = in.kind == SE_INSN_INVALID || in.kind == SE_INSN_PRIV_OTHER ||
                         (d->cpl[i] == 3 && se_insn_is_hooked(in.kind) &&
                          in.kind != SE_INSN_RDGSBASE_ETC && in.kind != SE_INSN_IRET_OTHER);
        if (must_stop && i + 1 < d->n)
            fail_msg("%s at 0x%" PRIx64 " (CPL%u) ran natively: %u events follow",
                     se_insn_mnemonic(&in), d->rip[i], d->cpl[i], d->n - i - 1);
    }
}

/* Straight-line code: branches become NOPs, so that execution never reaches bytes the random
 * code wrote itself (guest-written code is the one thing the machine does not screen for
 * encodings that abort the engine: docs/fuzzing.md, "Engine crashes"). Invalid encodings,
 * including those that would abort the engine, stay: they must fault. */
static void straight_line(uint8_t *code, size_t n, uint64_t base)
{
    for (size_t off = 0; off < n;) {
        se_insn in;
        size_t avail = n - off < 15 ? n - off : 15;
        if (se_decode_exec(code + off, avail, base + off, true, &in) != SE_OK) {
            memset(code + off, 0x90, n - off);
            break;
        }
        if (in.cost == SE_COST_BRANCH || in.cost == SE_COST_CALL || in.cost == SE_COST_RET) {
            code[off] = 0x90;
            continue;
        }
        off += in.len;
    }
}

/* What the engine aborts on, written by the host: #UD where the CPU raises it, the process
 * survives, and the same address runs normally once rewritten. */
static void test_engine_abort_encodings_fault(void **s)
{
    (void)s;
    static const struct {
        uint8_t bytes[6];
        size_t len;
    } rows[] = {
        {{0xF0, 0xA6}, 2},
        {{0xF0, 0x48, 0xA7}, 3},
        {{0x66, 0xF0, 0xA6}, 3},
        {{0xF2, 0xF0, 0xA7}, 3},
        {{0xF0, 0x39, 0x00, 0x90}, 4},
        {{0xF0, 0x80, 0x38, 0x01}, 4},
        {{0xFF, 0xEC}, 2},
        {{0xFF, 0xD8}, 2},
        {{0x41, 0xFF, 0xE8}, 3},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        se_machine *m = mk_linux(false);
        assert_int_equal(se_mem_map(m, UPAGE, 0x1000, SE_MAP_USER), SE_OK);
        uint8_t code[16] = {0x90, 0x90};
        memcpy(code + 2, rows[i].bytes, rows[i].len);
        assert_int_equal(se_mem_write(m, UPAGE, code, sizeof code), SE_OK);
        se_run_result r = run_user(m, UPAGE, SE_OK);
        expect_ud(&r, UPAGE + 2);
        assert_int_equal(r.instructions, 2);
        /* the same address, now an ordinary instruction */
        static const uint8_t ok[4] = {0x90, 0x90, 0x0F, 0x05};
        assert_int_equal(se_mem_write(m, UPAGE, ok, sizeof ok), SE_OK);
        assert_int_equal(se_mem_write(m, UPAGE + 4, "\x90\x90\x90\x90", 4), SE_OK);
        r = run_user(m, UPAGE, SE_OK);
        assert_int_equal(r.reason, SE_STOP_USER_RETURN);
        /* and in the kernel's entry code */
        uint64_t entry = lstar(m);
        uint8_t orig[8];
        assert_int_equal(se_mem_read(m, entry + 3, orig, sizeof orig), SE_OK);
        assert_int_equal(se_mem_write(m, entry + 3, rows[i].bytes, rows[i].len), SE_OK);
        se_regs u = user_at(UPAGE + 0x100, 39);
        se_outcome o;
        assert_int_equal(se_syscall(m, &u, &o), SE_OK);
        assert_int_equal(o.path, SE_EXIT_FAULT);
        assert_int_equal(o.fault.vector, SE_VEC_UD);
        assert_int_equal(o.fault.cpl, 0);
        se_assert_eq_hex("fault rip", o.fault.rip, entry + 3);
        assert_int_equal(se_mem_write(m, entry + 3, orig, sizeof orig), SE_OK);
        expect_clean(m, UPAGE + 0x100, 39);
        se_machine_destroy(m);
    }
}

/* A snapshot restore that brings back bytes the engine cannot translate: the restore puts
 * them back without any write the screening sees, so it must screen them itself. Both written
 * pages (a user page, writable) and the guest's own stores over the hazard are covered. */
static void test_restore_brings_back_engine_abort_encoding(void **s)
{
    (void)s;
    for (int pti = 0; pti <= 1; pti++) {
        se_machine *m = mk_linux(pti);
        assert_int_equal(se_mem_map(m, UPAGE, 0x1000, SE_MAP_USER | SE_MAP_WRITE), SE_OK);
        static const uint8_t bad[6] = {0x90, 0x90, 0xF0, 0xA6, 0x90, 0x90};
        static const uint8_t ok[6] = {0x90, 0x90, 0x90, 0x90, 0x0F, 0x05};
        assert_int_equal(se_mem_write(m, UPAGE, bad, sizeof bad), SE_OK);
        se_snapshot *snap;
        assert_int_equal(se_snapshot_create(m, &snap), SE_OK);
        assert_int_equal(se_mem_write(m, UPAGE, ok, sizeof ok), SE_OK);
        se_run_result r = run_user(m, UPAGE, SE_OK);
        assert_int_equal(r.reason, SE_STOP_USER_RETURN);
        assert_int_equal(se_snapshot_restore(m, snap), SE_OK);
        r = run_user(m, UPAGE, SE_OK);
        expect_ud(&r, UPAGE + 2);
        /* restored while unmapped, where nothing can be screened, then mapped again */
        assert_int_equal(se_mem_write(m, UPAGE, ok, sizeof ok), SE_OK);
        assert_int_equal(se_mem_unmap(m, UPAGE, 0x1000), SE_OK);
        assert_int_equal(se_snapshot_restore(m, snap), SE_OK);
        assert_int_equal(se_mem_map(m, UPAGE, 0x1000, SE_MAP_USER | SE_MAP_WRITE), SE_OK);
        r = run_user(m, UPAGE, SE_OK);
        expect_ud(&r, UPAGE + 2);
        se_snapshot_destroy(snap);
        se_machine_destroy(m);
    }
}

static void test_differential_random_user_code(void **s)
{
    (void)s;
    se_machine *m = mk_linux(false);
    /* the page before it too: an instruction the engine cannot translate at the very start of
     * a page whose preceding page the mode cannot fetch is the one case the machine cannot
     * screen (docs/fuzzing.md, "Engine crashes") */
    assert_int_equal(se_mem_map(m, UPAGE - 0x1000, 0x2000, SE_MAP_USER), SE_OK);
    diff_ctx d;
    assert_int_equal(se_set_trace(m, diff_ev, &d), SE_OK);
    uint8_t code[64];
    for (int iter = 0; iter < 3000; iter++) {
        for (size_t i = 0; i < sizeof code; i++)
            code[i] = (uint8_t)rnd();
        /* bias towards prefixes and system opcodes, where decoder and engine differ */
        if (iter % 2 == 0)
            code[0] = (uint8_t[]){0xF0, 0x0F, 0x66, 0xF3, 0xF2, 0x48}[rnd() % 6];
        if (iter % 4 == 1)
            code[1] = 0x0F;
        straight_line(code, sizeof code, UPAGE);
        assert_int_equal(se_mem_write(m, UPAGE, code, sizeof code), SE_OK);
        memset(&d, 0, sizeof d);
        se_regs u = user_at(UPAGE, 39);
        u.rax = UPAGE + 0x800; /* plausible memory operands */
        u.rbx = UPAGE + 0x800;
        u.rsi = u.rdi = UPAGE + 0x800;
        assert_int_equal(se_enter_user(m, &u), SE_OK);
        se_run_options o;
        memset(&o, 0, sizeof o);
        o.user_returns = 1;
        o.max_insns = 64;
        se_run_result r;
        se_status st = se_run(m, &o, &r);
        if (st != SE_OK && st != SE_ERR_LIMIT && st != SE_ERR_UNSUPPORTED)
            fail_msg("status %s: %s", se_status_str(st), se_machine_last_error(m));
        /* an instruction that faults, or that the machine refuses to run, has its event but
         * did not complete: it is not counted */
        check_diff(m, &d, r.instructions, r.reason == SE_STOP_FAULT || st == SE_ERR_UNSUPPORTED,
                   code, sizeof code, UPAGE);
    }
    se_machine_destroy(m);
}

static void test_differential_random_kernel_code(void **s)
{
    (void)s;
    se_machine *m = mk_linux(true);
    uint64_t entry = lstar(m);
    uint8_t orig[64];
    assert_int_equal(se_mem_read(m, entry, orig, sizeof orig), SE_OK);
    diff_ctx d;
    assert_int_equal(se_set_trace(m, diff_ev, &d), SE_OK);
    uint8_t code[48];
    for (int iter = 0; iter < 1500; iter++) {
        for (size_t i = 0; i < sizeof code; i++)
            code[i] = (uint8_t)rnd();
        if (iter % 2 == 0)
            code[0] = (uint8_t[]){0xF0, 0x0F, 0x66, 0xF3, 0xF2, 0x48}[rnd() % 6];
        straight_line(code, sizeof code, entry + 3);
        /* after SWAPGS and the CR3 switch, so that the random code runs in the kernel proper */
        assert_int_equal(se_mem_write(m, entry, orig, sizeof orig), SE_OK);
        assert_int_equal(se_mem_write(m, entry + 3, code, sizeof code), SE_OK);
        memset(&d, 0, sizeof d);
        se_regs u = user_at(UPAGE, 39);
        se_outcome o;
        se_status st = se_syscall(m, &u, &o);
        if (st != SE_OK && st != SE_ERR_LIMIT && st != SE_ERR_UNSUPPORTED)
            fail_msg("status %s: %s", se_status_str(st), se_machine_last_error(m));
        check_diff(m, &d, o.instructions,
                   (st == SE_OK && o.path == SE_EXIT_FAULT) || st == SE_ERR_UNSUPPORTED, code,
                   sizeof code, entry + 3);
    }
    assert_int_equal(se_set_trace(m, NULL, NULL), SE_OK);
    assert_int_equal(se_mem_write(m, entry, orig, sizeof orig), SE_OK);
    expect_clean(m, UPAGE, 39);
    se_machine_destroy(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rip_then_next),
        cmocka_unit_test(test_random_rips_one_page),
        cmocka_unit_test(test_random_rips_across_pages),
        cmocka_unit_test(test_random_rips_with_restores),
        cmocka_unit_test(test_random_rips_with_cache_trim),
        cmocka_unit_test(test_rewrite_kernel_entry),
        cmocka_unit_test(test_runtime_kernel_code_is_modelled),
        cmocka_unit_test(test_rewrite_user_code),
        cmocka_unit_test(test_illegal_lock_loop_faults),
        cmocka_unit_test(test_lock_privileged_in_entry),
        cmocka_unit_test(test_unmodelled_privileged),
        cmocka_unit_test(test_engine_misdecode_refused),
        cmocka_unit_test(test_engine_abort_encoding_written_by_guest),
        cmocka_unit_test(test_engine_abort_encoding_at_page_start),
        cmocka_unit_test(test_nx_kernel_data_page_fetch_faults),
        cmocka_unit_test(test_nx_kernel_code_page_runs),
        cmocka_unit_test(test_wp_clear_kernel_text_write_screened),
        cmocka_unit_test(test_nx_user_page_flag),
        cmocka_unit_test(test_nx_efer_nxe_follows_model),
        cmocka_unit_test(test_nx_unavailable_keeps_pages_executable),
        cmocka_unit_test(test_trace_toggle),
        cmocka_unit_test(test_engine_abort_encodings_fault),
        cmocka_unit_test(test_restore_brings_back_engine_abort_encoding),
        cmocka_unit_test(test_differential_random_user_code),
        cmocka_unit_test(test_differential_random_kernel_code),
        cmocka_unit_test(test_wx_no_write_hooks_by_default),
        cmocka_unit_test(test_wx_nxe_clear_still_screened),
        cmocka_unit_test(test_wx_self_modifying_loop),
        cmocka_unit_test(test_wx_trace_counts_once),
        cmocka_unit_test(test_wx_restore_discards_data_page),
        cmocka_unit_test(test_wx_page_start_hazard_after_data_page),
        cmocka_unit_test(test_wx_kernel_store_into_user_page),
    };
    if (getenv("SE_TEST_FILTER") != NULL)
        cmocka_set_test_filter(getenv("SE_TEST_FILTER"));
    return cmocka_run_group_tests(tests, NULL, NULL);
}
