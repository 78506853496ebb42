/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Snapshot restores copy back only the pages written since the snapshot (track.c), of every
 * writable mapping: stacks, per-CPU data, user pages and mappings added later, written by guest
 * stores or by the host. Pages not written are not copied (se_track_copied counts the copies).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "machine/machine_int.h"
#include "se_test.h"

#define DATA  0x600000ull /* user data page the guest stores to */
#define CODE  0x700000ull /* user code: the stores, then a stop */
#define LATER 0x800000ull /* mapped after the first snapshot */
#define PAGE  0x1000ull

static void handler(se_machine *m, long nr, se_pt_regs *regs, void *ctx)
{
    (void)m;
    (void)ctx;
    regs->ax = 0x1000 + (uint64_t)nr;
}

/* mov [DATA], rax at CODE; mov [LATER], rax at CODE + 8 */
static const uint8_t code[] = {0x48, 0x89, 0x04, 0x25, 0x00, 0x00, 0x60, 0x00,
                               0x48, 0x89, 0x04, 0x25, 0x00, 0x00, 0x80, 0x00};

static se_machine *mk(bool pti)
{
    se_config cfg;
    se_config_default(&cfg);
    cfg.pti = pti;
    se_machine *m = NULL;
    assert_int_equal(se_machine_create(&cfg, &m), SE_OK);
    assert_int_equal(se_set_syscall_handler(m, handler, NULL), SE_OK);
    assert_int_equal(se_mem_map(m, DATA, PAGE, SE_MAP_USER | SE_MAP_WRITE | SE_MAP_NOEXEC), SE_OK);
    assert_int_equal(se_mem_map(m, CODE, PAGE, SE_MAP_USER), SE_OK);
    assert_int_equal(se_mem_write(m, CODE, code, sizeof code), SE_OK);
    return m;
}

/* One guest store of rax at CODE + off, from CPL3. */
/* User code from rip with rax, until it reaches stop. */
static void run_user_until(se_machine *m, uint64_t rip, uint64_t rax, uint64_t stop)
{
    se_run_result res = se_test_run_user(m, rip, rax, m->lay.user_stack_top - 0x100, stop);
    assert_int_equal(res.reason, SE_STOP_ADDRESS);
}

static void guest_store(se_machine *m, uint64_t off, uint64_t rax)
{
    run_user_until(m, CODE + off, rax, CODE + off + 8);
}

/* getppid from the machine's user code page. */
static se_regs user_regs(const se_machine *m)
{
    return se_test_user_regs(m->lay.user_code, 39, m->lay.user_stack_top - 0x230);
}

static void one_syscall(se_machine *m)
{
    se_regs u = user_regs(m);
    se_outcome o;
    assert_int_equal(se_syscall(m, &u, &o), SE_OK);
    assert_int_equal(o.path, SE_EXIT_SYSRET);
}

/* Every writable mapping's bytes, in mapping order. */
static uint8_t *writable_bytes(se_machine *m, size_t *len)
{
    uint64_t total = 0;
    se_track_regions(m, &total);
    uint8_t *buf = malloc((size_t)total), *p = buf;
    assert_non_null(buf);
    for (size_t i = 0; i < m->n_maps; i++)
        if (m->maps[i].flags & SE_MAP_WRITE) {
            memcpy(p, se_phys_ptr(&m->phys, m->maps[i].pa, m->maps[i].size), m->maps[i].size);
            p += m->maps[i].size;
        }
    *len = (size_t)total;
    return buf;
}

/* The writable mappings hold exactly want[0..len) again. */
static void expect_writable_bytes(se_machine *m, const uint8_t *want, size_t len)
{
    size_t got_len;
    uint8_t *got = writable_bytes(m, &got_len);
    assert_int_equal(got_len, len);
    assert_memory_equal(want, got, len);
    free(got);
}

static uint64_t copied_by_restore(se_machine *m, const se_snapshot *s)
{
    uint64_t before = se_track_copied(m);
    assert_int_equal(se_snapshot_restore(m, s), SE_OK);
    return se_track_copied(m) - before;
}

/* Guest stores (per-CPU data and the task stack in a syscall, a user page from CPL3) and host
 * writes (a stack page, a user page) are all undone, and only their pages are copied. */
static void test_restore_undoes_guest_and_host_writes(void **s)
{
    (void)s;
    for (int pti = 0; pti <= 1; pti++) {
        se_machine *m = mk(pti);
        one_syscall(m); /* translations and lazily touched state settle first */
        size_t len, len2;
        uint8_t *before = writable_bytes(m, &len);
        se_snapshot *snap = NULL;
        assert_int_equal(se_snapshot_create(m, &snap), SE_OK);
        assert_int_equal(copied_by_restore(m, snap), 0); /* nothing written */

        guest_store(m, 0, 0x1122334455667788ull);
        uint64_t v = 0;
        assert_int_equal(se_mem_read(m, DATA, &v, 8), SE_OK);
        assert_int_equal(v, 0x1122334455667788ull);
        one_syscall(m);
        uint64_t junk = 0xdeadbeefcafef00dull;
        assert_int_equal(se_mem_write(m, m->lay.task_stack + 0x10, &junk, 8), SE_OK);
        assert_int_equal(se_mem_write(m, m->lay.user_stack_top - 0x3000, &junk, 8), SE_OK);
        uint8_t *dirty = writable_bytes(m, &len2);
        assert_int_equal(len, len2);
        assert_memory_not_equal(before, dirty, len);

        uint64_t n = copied_by_restore(m, snap);
        uint8_t *after = writable_bytes(m, &len2);
        assert_memory_equal(before, after, len);
        /* the user data page, a user stack page, the task stack's pages and per-CPU data: a
         * few pages, far fewer than the writable mappings hold */
        assert_true(n >= 3);
        assert_true(n <= 8);
        assert_true(n < len / PAGE);
        /* pages the guest stored into stay "hot" (their dirty bits are left set, track.c):
         * the next restore copies them again, and nothing else; host-written pages not */
        uint64_t again = copied_by_restore(m, snap);
        assert_true(again < n);
        free(after);
        after = writable_bytes(m, &len2);
        assert_memory_equal(before, after, len);

        /* the machine runs on from the restored state, and restores again to the same bytes */
        one_syscall(m);
        assert_true(copied_by_restore(m, snap) > 0);
        free(after);
        after = writable_bytes(m, &len2);
        assert_memory_equal(before, after, len);
        free(before);
        free(dirty);
        free(after);
        se_snapshot_destroy(snap);
        se_machine_destroy(m);
    }
}

/* A system call whose pt_regs and handler result carry v. */
static void syscall_with(se_machine *m, uint64_t v)
{
    se_regs u = user_regs(m);
    u.rbx = v, u.rdx = ~v, u.r12 = v * 3, u.r15 = v ^ 0x5555;
    se_outcome o;
    assert_int_equal(se_syscall(m, &u, &o), SE_OK);
    assert_int_equal(o.path, SE_EXIT_SYSRET);
}

/* The stores a restore must undo are read from the dirty bits the engine sets (track.c). A
 * settled machine keeps its TLB from call to call, so a page whose dirty bit was cleared while
 * the engine still held it writable would be stored into unseen: taking the snapshot clears
 * them, and each call after it writes the same stack and per-CPU pages with other values. */
static void test_restore_after_settled_calls(void **s)
{
    (void)s;
    for (int pti = 0; pti <= 1; pti++) {
        se_machine *m = mk(pti);
        syscall_with(m, 1);
        guest_store(m, 0, 1);
        syscall_with(m, 2);
        size_t len;
        uint8_t *before = writable_bytes(m, &len);
        se_snapshot *snap = NULL;
        assert_int_equal(se_snapshot_create(m, &snap), SE_OK);
        for (uint64_t i = 3; i < 8; i++) {
            syscall_with(m, i * 0x0101010101ull);
            guest_store(m, 0, i);
            assert_true(copied_by_restore(m, snap) > 0);
            expect_writable_bytes(m, before, len);
        }
        free(before);
        se_snapshot_destroy(snap);
        se_machine_destroy(m);
    }
}

#define MANY    0x900000ull /* 80 user data pages */
#define N_MANY  80
#define STORES2 0xA00000ull /* code: one store into each of them */

/* A run that stores into more pages than the machine keeps "hot" (their dirty bits left set,
 * track.c): the restore clears them all, flushes the engine's TLB, and the next run's stores
 * into the same pages are still all seen. */
static void test_restore_many_pages(void **s)
{
    (void)s;
    static const uint8_t loop[] = {
        0x48, 0xC7, 0xC1, N_MANY, 0x00, 0x00, 0x00, /* mov $N_MANY, %rcx */
        0x48, 0xC7, 0xC7, 0x00,   0x00, 0x90, 0x00, /* mov $MANY, %rdi */
        0x48, 0x89, 0x07,                           /* 1: mov %rax, (%rdi) */
        0x48, 0x81, 0xC7, 0x00,   0x10, 0x00, 0x00, /* add $0x1000, %rdi */
        0x48, 0xFF, 0xC9,                           /* dec %rcx */
        0x75, 0xF1,                                 /* jnz 1b */
    };
    se_machine *m = mk(true);
    assert_int_equal(se_mem_map(m, MANY, N_MANY * PAGE, SE_MAP_USER | SE_MAP_WRITE | SE_MAP_NOEXEC),
                     SE_OK);
    assert_int_equal(se_mem_map(m, STORES2, PAGE, SE_MAP_USER), SE_OK);
    assert_int_equal(se_mem_write(m, STORES2, loop, sizeof loop), SE_OK);
    size_t len;
    uint8_t *before = writable_bytes(m, &len);
    se_snapshot *snap = NULL;
    assert_int_equal(se_snapshot_create(m, &snap), SE_OK);
    for (uint64_t v = 1; v <= 3; v++) {
        run_user_until(m, STORES2, v, STORES2 + sizeof loop);
        uint64_t got = 0;
        assert_int_equal(se_mem_read(m, MANY + (N_MANY - 1) * PAGE, &got, 8), SE_OK);
        assert_int_equal(got, v);
        assert_true(copied_by_restore(m, snap) >= N_MANY);
        expect_writable_bytes(m, before, len);
    }
    free(before);
    se_snapshot_destroy(snap);
    se_machine_destroy(m);
}

/* A copy of the machine's tables whose path to DATA is the guest's own, down to the leaf:
 * stores there set the dirty bit of a leaf that is not the machine's. Returns the root. */
static uint64_t foreign_root(se_machine *m)
{
    uint64_t table = m->kpgd, copy_root = 0, *parent = NULL;
    for (unsigned level = m->levels; level >= 1; level--) {
        uint64_t pa;
        assert_int_equal(se_phys_alloc(&m->phys, PAGE, PAGE, &pa), SE_OK);
        memcpy(se_phys_ptr(&m->phys, pa, PAGE), se_phys_ptr(&m->phys, table, PAGE), PAGE);
        if (parent != NULL)
            *parent = (*parent & ~SE_PT_FRAME_MASK) | pa;
        else
            copy_root = pa;
        unsigned idx = (unsigned)(DATA >> (12 + 9 * (level - 1))) & 511;
        uint64_t *e = (uint64_t *)se_phys_ptr(&m->phys, pa, PAGE) + idx;
        if (level == 1) {
            *e &= ~SE_PTE_D;
            break;
        }
        parent = e;
        table = *e & SE_PT_FRAME_MASK;
    }
    return copy_root;
}

/* Kernel code that switches to the guest's own tables and stores there: the machine cannot
 * read those dirty bits, so a write hook tracks stores while such a root is live (wx.c), and the
 * restore still undoes the store. */
static void test_restore_after_store_under_guest_tables(void **s)
{
    (void)s;
    se_machine *m = mk(false);
    syscall_with(m, 1);
    uint64_t root = foreign_root(m);
    uint64_t kcr3 = m->arch.cr3;
    uint8_t entry_code[] = {
        0x48, 0xB8, 0,    0,    0,    0,    0,    0, 0, 0, /* movabs $root, %rax */
        0x0F, 0x22, 0xD8,                                  /* mov %rax, %cr3 */
        0x48, 0xC7, 0xC3, 0x00, 0x00, 0x60, 0x00,          /* mov $DATA, %rbx */
        0x48, 0xC7, 0x03, 0x77, 0x00, 0x00, 0x00,          /* movq $0x77, (%rbx) */
        0x48, 0xB8, 0,    0,    0,    0,    0,    0, 0, 0, /* movabs $kcr3, %rax */
        0x0F, 0x22, 0xD8,                                  /* mov %rax, %cr3 */
        0x0F, 0x0B,                                        /* ud2 */
    };
    memcpy(entry_code + 2, &root, 8);
    memcpy(entry_code + 29, &kcr3, 8);
    uint64_t entry;
    se_fault f;
    assert_int_equal(se_msr_read(m, SE_MSR_IA32_LSTAR, &entry, &f), SE_OK);
    assert_int_equal(se_mem_write(m, entry, entry_code, sizeof entry_code), SE_OK);
    size_t len;
    uint8_t *before = writable_bytes(m, &len);
    se_snapshot *snap = NULL;
    assert_int_equal(se_snapshot_create(m, &snap), SE_OK);
    for (int i = 0; i < 2; i++) {
        se_regs u = user_regs(m);
        se_outcome o;
        assert_int_equal(se_syscall(m, &u, &o), SE_OK);
        assert_int_equal(o.path, SE_EXIT_FAULT);
        assert_int_equal(o.fault.vector, SE_VEC_UD);
        uint64_t v = 0;
        assert_int_equal(se_mem_read(m, DATA, &v, 8), SE_OK);
        assert_int_equal(v, 0x77);
        assert_true(copied_by_restore(m, snap) > 0);
        expect_writable_bytes(m, before, len);
    }
    free(before);
    se_snapshot_destroy(snap);
    se_machine_destroy(m);
}

/* One host-written byte: one page copied back, and none by the next restore. */
static void test_restore_copies_only_written_pages(void **s)
{
    (void)s;
    se_machine *m = mk(true);
    se_snapshot *snap = NULL;
    assert_int_equal(se_snapshot_create(m, &snap), SE_OK);
    uint8_t b = 0x5a, r = 0;
    assert_int_equal(se_mem_write(m, m->lay.percpu + PAGE + 0x40, &b, 1), SE_OK);
    assert_int_equal(copied_by_restore(m, snap), 1);
    assert_int_equal(se_mem_read(m, m->lay.percpu + PAGE + 0x40, &r, 1), SE_OK);
    assert_int_equal(r, 0);
    assert_int_equal(copied_by_restore(m, snap), 0);
    /* a write across a page boundary: both pages */
    uint8_t two[2] = {1, 2};
    assert_int_equal(se_mem_write(m, m->lay.task_stack + PAGE - 1, two, 2), SE_OK);
    assert_int_equal(copied_by_restore(m, snap), 2);
    se_snapshot_destroy(snap);
    se_machine_destroy(m);
}

/* Two snapshots, restored in turn: each brings back its own bytes. */
static void test_restore_two_snapshots(void **s)
{
    (void)s;
    se_machine *m = mk(false);
    uint64_t va = m->lay.task_stack + 0x100, v1 = 1, v2 = 2, v = 0, orig = 0;
    assert_int_equal(se_mem_read(m, va, &orig, 8), SE_OK);
    se_snapshot *s1 = NULL, *s2 = NULL;
    assert_int_equal(se_snapshot_create(m, &s1), SE_OK);
    assert_int_equal(se_mem_write(m, va, &v1, 8), SE_OK);
    guest_store(m, 0, 7);
    assert_int_equal(se_snapshot_create(m, &s2), SE_OK);
    assert_int_equal(se_mem_write(m, va, &v2, 8), SE_OK);
    for (int round = 0; round < 3; round++) {
        assert_int_equal(se_snapshot_restore(m, s1), SE_OK);
        assert_int_equal(se_mem_read(m, va, &v, 8), SE_OK);
        assert_int_equal(v, orig);
        assert_int_equal(se_mem_read(m, DATA, &v, 8), SE_OK);
        assert_int_equal(v, 0);
        assert_int_equal(se_snapshot_restore(m, s2), SE_OK);
        assert_int_equal(se_mem_read(m, va, &v, 8), SE_OK);
        assert_int_equal(v, v1);
        assert_int_equal(se_mem_read(m, DATA, &v, 8), SE_OK);
        assert_int_equal(v, 7);
    }
    se_snapshot_destroy(s1);
    se_snapshot_destroy(s2);
    se_machine_destroy(m);
}

/* A mapping added after a snapshot stays mapped with its contents by that snapshot's restore
 * (snapshot.h); a snapshot taken after it undoes guest and host writes to it. */
static void test_restore_mapping_added_later(void **s)
{
    (void)s;
    se_machine *m = mk(true);
    se_snapshot *s1 = NULL, *s2 = NULL;
    assert_int_equal(se_snapshot_create(m, &s1), SE_OK);
    assert_int_equal(se_mem_map(m, LATER, PAGE, SE_MAP_USER | SE_MAP_WRITE | SE_MAP_NOEXEC), SE_OK);
    const char abc[] = "abc";
    char got[4] = {0};
    assert_int_equal(se_mem_write(m, LATER + 0x10, abc, 4), SE_OK);
    assert_int_equal(se_snapshot_restore(m, s1), SE_OK);
    assert_int_equal(se_mem_read(m, LATER + 0x10, got, 4), SE_OK);
    assert_string_equal(got, "abc");

    assert_int_equal(se_snapshot_create(m, &s2), SE_OK);
    guest_store(m, 8, 0x4242424242424242ull);
    assert_int_equal(se_mem_write(m, LATER + 0x10, "xyz", 4), SE_OK);
    uint64_t v = 0;
    assert_int_equal(se_mem_read(m, LATER, &v, 8), SE_OK);
    assert_int_equal(v, 0x4242424242424242ull);
    assert_int_equal(copied_by_restore(m, s2), 1);
    assert_int_equal(se_mem_read(m, LATER, &v, 8), SE_OK);
    assert_int_equal(v, 0);
    assert_int_equal(se_mem_read(m, LATER + 0x10, got, 4), SE_OK);
    assert_string_equal(got, "abc");
    se_snapshot_destroy(s1);
    se_snapshot_destroy(s2);
    se_machine_destroy(m);
}

/* A page unmapped after the snapshot: the restore succeeds, leaves it unmapped, and its RAM
 * holds the snapshot's bytes, which come back when the range is mapped again. */
static void test_restore_page_unmapped_since(void **s)
{
    (void)s;
    se_machine *m = mk(true);
    se_snapshot *snap = NULL;
    assert_int_equal(se_snapshot_create(m, &snap), SE_OK);
    guest_store(m, 0, 0x99);
    assert_int_equal(se_mem_unmap(m, DATA, PAGE), SE_OK);
    assert_int_equal(se_snapshot_restore(m, snap), SE_OK);
    uint64_t pa = 0;
    se_fault f;
    assert_int_equal(se_translate(m, DATA, SE_ACCESS_READ, 3, m->user_cr3, &pa, &f), SE_OK);
    assert_int_equal(f.vector, SE_VEC_PF); /* still not present */
    assert_int_equal(se_mem_map(m, DATA, PAGE, SE_MAP_USER | SE_MAP_WRITE | SE_MAP_NOEXEC), SE_OK);
    uint64_t v = 1;
    assert_int_equal(se_mem_read(m, DATA, &v, 8), SE_OK);
    assert_int_equal(v, 0);
    se_snapshot_destroy(snap);
    se_machine_destroy(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_restore_undoes_guest_and_host_writes),
        cmocka_unit_test(test_restore_copies_only_written_pages),
        cmocka_unit_test(test_restore_two_snapshots),
        cmocka_unit_test(test_restore_mapping_added_later),
        cmocka_unit_test(test_restore_page_unmapped_since),
        cmocka_unit_test(test_restore_after_settled_calls),
        cmocka_unit_test(test_restore_many_pages),
        cmocka_unit_test(test_restore_after_store_under_guest_tables),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
