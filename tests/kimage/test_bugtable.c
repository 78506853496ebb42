/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * se_kbugs_parse / se_kbugs_find on a hand-built se_vmlinux view: .text (executable), .rodata
 * holding the file names, a NOBITS .bss and __bug_table with 12-byte records whose two s32
 * fields are relative to themselves, as the kernel lays them out.
 */
#include "se_test.h"

#include <stdlib.h>
#include <string.h>

#include "kimage/bugtable.h"

#define TEXT 0xffffffff81000000ull
#define RO   0xffffffff82000000ull
#define BSS  0xffffffff83000000ull
#define BT   0xffffffff84000000ull

typedef struct bimg {
    uint8_t text[256], ro[1024], bt[12 * 32];
    size_t ro_n, bt_n;
    se_vmlinux_section secs[4];
    se_vmlinux vm;
} bimg;

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void bimg_init(bimg *m)
{
    memset(m, 0, sizeof *m);
    memset(m->text, 0xcc, sizeof m->text);
}

/* nobits_bt: a __bug_table without file data */
static void bimg_finish(bimg *m, bool with_bt, bool nobits_bt)
{
    size_t k = 0;
    m->secs[k++] = (se_vmlinux_section){".text", SE_SHT_PROGBITS, SE_SHF_ALLOC | SE_SHF_EXEC,
                                        TEXT,    sizeof m->text,  m->text};
    m->secs[k++] =
        (se_vmlinux_section){".rodata", SE_SHT_PROGBITS, SE_SHF_ALLOC, RO, m->ro_n, m->ro};
    m->secs[k++] =
        (se_vmlinux_section){".bss", SE_SHT_NOBITS, SE_SHF_ALLOC | SE_SHF_WRITE, BSS, 0x1000, NULL};
    if (with_bt)
        m->secs[k++] =
            (se_vmlinux_section){"__bug_table", nobits_bt ? SE_SHT_NOBITS : SE_SHT_PROGBITS,
                                 SE_SHF_ALLOC,  BT,
                                 m->bt_n,       nobits_bt ? NULL : m->bt};
    m->vm.secs = m->secs;
    m->vm.n_secs = k;
}

/* A string in .rodata (n bytes of s, then a NUL unless nul is false); its address. */
static uint64_t str(bimg *m, const char *s, size_t n, bool nul)
{
    uint64_t va = RO + m->ro_n;
    memcpy(m->ro + m->ro_n, s, n);
    m->ro_n += n;
    if (nul)
        m->ro[m->ro_n++] = '\0';
    return va;
}

static void rec(bimg *m, uint64_t addr, uint64_t file, uint16_t line, uint16_t flags)
{
    uint8_t *r = m->bt + m->bt_n;
    uint64_t field = BT + m->bt_n;
    put32(r, (uint32_t)(addr - field));
    put32(r + 4, (uint32_t)(file - (field + 4)));
    r[8] = (uint8_t)line;
    r[9] = (uint8_t)(line >> 8);
    r[10] = (uint8_t)flags;
    r[11] = (uint8_t)(flags >> 8);
    m->bt_n += 12;
}

static const char *file_of(const se_kbugs *b, const se_kbug *e)
{
    assert_true(e->file < b->names_len);
    return b->names + e->file;
}

static void test_records(void **state)
{
    (void)state;
    static bimg m; /* static: too big for a comfortable stack frame under ASan */
    bimg_init(&m);
    uint64_t fork = str(&m, "kernel/fork.c", 13, true);
    uint64_t mm = str(&m, "mm/slub.c", 9, true);
    char long_name[300];
    memset(long_name, 'a', sizeof long_name);
    uint64_t max = str(&m, long_name, SE_KBUG_FILE_MAX, true);      /* the longest accepted */
    uint64_t over = str(&m, long_name, SE_KBUG_FILE_MAX + 1, true); /* one byte too long */
    uint64_t empty = str(&m, "", 0, true);
    uint64_t unterminated = str(&m, "lib/bug.c", 9, false); /* runs to the end of .rodata */

    rec(&m, TEXT + 0x10, fork, 42, 0x0901);   /* 0: WARN, taint 9 */
    rec(&m, TEXT + 0x20, mm, 7, 0);           /* 1: BUG */
    rec(&m, TEXT + 0x10, mm, 99, 0);          /* 2: same UD2 as 0: record 0 wins */
    rec(&m, RO, fork, 1, 0);                  /* 3: not executable: dropped */
    rec(&m, TEXT + 0x1000, fork, 1, 0);       /* 4: outside any section: dropped */
    rec(&m, 0x10, fork, 1, 0);                /* 5: lower half: dropped */
    rec(&m, TEXT + 0x30, over, 3, 1);         /* 6: name not terminated within 255 bytes */
    rec(&m, TEXT + 0x40, BSS + 8, 4, 1);      /* 7: name in NOBITS */
    rec(&m, TEXT + 0x50, RO + 0x10000, 5, 1); /* 8: name outside any section */
    rec(&m, TEXT + 0x60, max, 6, 1);
    rec(&m, TEXT + 0x70, unterminated, 7, 1);
    rec(&m, TEXT + 0x80, empty, 8, 1);
    rec(&m, TEXT + 0xff, fork, 9, 0);  /* the last byte of .text */
    rec(&m, TEXT, fork, 10, 1);        /* the first */
    rec(&m, TEXT + 0x20, fork, 11, 1); /* same UD2 as 1, later: dropped */
    bimg_finish(&m, true, false);

    se_kbugs b;
    char err[256];
    assert_int_equal(se_kbugs_parse(&m.vm, &b, err, sizeof err), SE_OK);
    assert_int_equal(b.n, 10);
    for (size_t i = 1; i < b.n; i++)
        assert_true(b.v[i - 1].addr < b.v[i].addr);
    assert_int_equal(b.names[0], '\0');

    const se_kbug *e = se_kbugs_find(&b, TEXT + 0x10);
    assert_non_null(e);
    assert_int_equal(e->seq, 0);
    assert_int_equal(e->line, 42);
    assert_int_equal(e->flags, 0x0901);
    assert_true(e->flags & SE_KBUG_WARNING);
    assert_string_equal(file_of(&b, e), "kernel/fork.c");
    e = se_kbugs_find(&b, TEXT + 0x20);
    assert_non_null(e);
    assert_int_equal(e->seq, 1);
    assert_false(e->flags & SE_KBUG_WARNING);
    assert_string_equal(file_of(&b, e), "mm/slub.c");
    assert_null(se_kbugs_find(&b, RO));
    assert_null(se_kbugs_find(&b, TEXT + 0x1000));
    assert_null(se_kbugs_find(&b, 0x10));
    for (uint64_t a = TEXT + 0x30; a <= TEXT + 0x50; a += 0x10) {
        e = se_kbugs_find(&b, a);
        assert_non_null(e);
        assert_int_equal(e->file, 0);
    }
    e = se_kbugs_find(&b, TEXT + 0x60);
    assert_non_null(e);
    assert_int_equal(strlen(file_of(&b, e)), SE_KBUG_FILE_MAX);
    assert_int_equal(se_kbugs_find(&b, TEXT + 0x70)->file, 0);
    assert_int_equal(se_kbugs_find(&b, TEXT + 0x80)->file, 0);
    /* find() at both ends of the table and just past them */
    assert_int_equal(se_kbugs_find(&b, TEXT)->line, 10);
    assert_int_equal(se_kbugs_find(&b, TEXT + 0xff)->line, 9);
    assert_ptr_equal(se_kbugs_find(&b, TEXT), &b.v[0]);
    assert_ptr_equal(se_kbugs_find(&b, TEXT + 0xff), &b.v[b.n - 1]);
    assert_null(se_kbugs_find(&b, TEXT - 1));
    assert_null(se_kbugs_find(&b, TEXT + 0x100));
    assert_null(se_kbugs_find(&b, TEXT + 0x11));
    assert_null(se_kbugs_find(&b, 0));
    assert_null(se_kbugs_find(&b, UINT64_MAX));
    se_kbugs_free(&b);
    assert_null(b.v);
    assert_null(se_kbugs_find(&b, TEXT));
    assert_null(se_kbugs_find(NULL, TEXT));
    se_kbugs_free(NULL);
}

static void test_one_record(void **state)
{
    (void)state;
    static bimg m;
    bimg_init(&m);
    rec(&m, TEXT + 4, str(&m, "a.c", 3, true), 1, 1);
    bimg_finish(&m, true, false);
    se_kbugs b;
    char err[256];
    assert_int_equal(se_kbugs_parse(&m.vm, &b, err, sizeof err), SE_OK);
    assert_int_equal(b.n, 1);
    assert_non_null(se_kbugs_find(&b, TEXT + 4));
    assert_null(se_kbugs_find(&b, TEXT + 3));
    assert_null(se_kbugs_find(&b, TEXT + 5));
    se_kbugs_free(&b);
    /* every record dropped: an empty table, not an error */
    bimg_init(&m);
    rec(&m, RO, RO, 1, 1);
    bimg_finish(&m, true, false);
    assert_int_equal(se_kbugs_parse(&m.vm, &b, err, sizeof err), SE_OK);
    assert_int_equal(b.n, 0);
    assert_null(se_kbugs_find(&b, RO));
    se_kbugs_free(&b);
}

static void test_malformed(void **state)
{
    (void)state;
    static bimg m;
    se_kbugs b;
    char err[256];
    /* no __bug_table, or an empty one */
    bimg_init(&m);
    bimg_finish(&m, false, false);
    assert_int_equal(se_kbugs_parse(&m.vm, &b, err, sizeof err), SE_OK);
    assert_int_equal(b.n, 0);
    assert_null(se_kbugs_find(&b, TEXT));
    se_kbugs_free(&b);
    bimg_finish(&m, true, false);
    assert_int_equal(se_kbugs_parse(&m.vm, &b, err, sizeof err), SE_OK);
    assert_int_equal(b.n, 0);
    se_kbugs_free(&b);
    /* not whole records */
    rec(&m, TEXT, RO, 1, 1);
    rec(&m, TEXT + 1, RO, 1, 1);
    for (size_t cut = 1; cut < 12; cut += 5) {
        m.bt_n = 24 - cut;
        bimg_finish(&m, true, false);
        err[0] = '\0';
        assert_int_equal(se_kbugs_parse(&m.vm, &b, err, sizeof err), SE_ERR_FORMAT);
        assert_true(err[0] != '\0');
        assert_null(b.v);
        assert_int_equal(b.n, 0);
    }
    /* a table without file data */
    m.bt_n = 24;
    bimg_finish(&m, true, true);
    assert_int_equal(se_kbugs_parse(&m.vm, &b, err, sizeof err), SE_ERR_FORMAT);
    assert_int_equal(se_kbugs_parse(NULL, &b, err, sizeof err), SE_ERR_INVALID_ARG);
    assert_int_equal(se_kbugs_parse(&m.vm, NULL, err, sizeof err), SE_ERR_INVALID_ARG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_records),
        cmocka_unit_test(test_one_record),
        cmocka_unit_test(test_malformed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
