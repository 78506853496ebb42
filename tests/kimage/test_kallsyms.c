/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * se_ksyms on synthetic kallsyms tables in both observed layouts (ksyms_build.c), corrupt
 * variants of them, and System.map / /proc/kallsyms texts.
 */
#include "se_test.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kimage/kallsyms.h"
#include "ksyms_build.h"

static se_status decode(se_kb_layout l, size_t n, bool abs, se_kb_bad bad, se_ksyms **k, char *err,
                        size_t errlen)
{
    size_t len;
    uint8_t *ro = se_kb_rodata(l, n, abs, bad, &len, NULL);
    se_vmlinux vm;
    se_vmlinux_section secs[3];
    se_kb_vmlinux(&vm, secs, ro, len);
    se_status st = se_ksyms_from_vmlinux(&vm, k, err, errlen);
    free(ro);
    return st;
}

static void check_table(se_kb_layout l, size_t n, bool abs)
{
    se_ksyms *k = NULL;
    char err[256] = "";
    assert_int_equal(decode(l, n, abs, SE_KB_OK, &k, err, sizeof err), SE_OK);
    size_t np = abs ? 3 : 0;
    assert_int_equal(se_ksyms_count(k), n);
    uint64_t a = 0;
    char type = 0;
    assert_true(se_ksyms_find(k, "entry_SYSCALL_64", &a, &type));
    assert_int_equal(a, SE_KB_TEXT + 16 * 7);
    assert_int_equal(type, 'T');
    uint64_t off = 99;
    assert_string_equal(se_ksyms_name_at(k, a + 3, &off), "entry_SYSCALL_64");
    assert_int_equal(off, 3);
    assert_null(se_ksyms_name_at(k, SE_KB_TEXT - 1, &off));
    char name[300];
    se_kb_name(n - np - 1, name, sizeof name);
    assert_true(se_ksyms_find(k, name, &a, NULL));
    assert_int_equal(a, SE_KB_TEXT + 16 * (n - np - 1));
    se_kb_name(11, name, sizeof name); /* the two-byte length */
    assert_int_equal(strlen(name), 200);
    assert_true(se_ksyms_find(k, name, &a, NULL));
    assert_int_equal(a, SE_KB_TEXT + 16 * 11);
    /* dup: the global (index 10) wins over the local (index 9) */
    assert_true(se_ksyms_find(k, "dup", &a, &type));
    assert_int_equal(type, 'T');
    assert_int_equal(a, SE_KB_TEXT + 16 * 10);
    se_ksym s;
    if (abs) {
        assert_true(se_ksyms_lookup(k, "cpu_tss_rw", &s));
        assert_int_equal(s.addr, 0x6000);
        assert_int_equal(s.flags, SE_KSYM_PERCPU);
        assert_true(se_ksyms_lookup(k, "__per_cpu_end", &s));
        assert_int_equal(s.flags, SE_KSYM_PERCPU);
        /* per-CPU values are never names for addresses */
        assert_string_equal(se_ksyms_name_at(k, SE_KB_TEXT, &off), "fn_0");
    } else {
        assert_false(se_ksyms_lookup(k, "cpu_tss_rw", &s));
    }
    assert_false(se_ksyms_find(k, "no_such_symbol", NULL, NULL));
    assert_true(se_ksyms_get(k, 0, &s));
    assert_false(se_ksyms_get(k, n, &s));
    se_ksyms_free(k);
}

static void test_layout_61(void **state)
{
    (void)state;
    check_table(SE_KB_61, 600, true);
    check_table(SE_KB_61, 257, false);
    check_table(SE_KB_61, 1024, true);
}

static void test_layout_612(void **state)
{
    (void)state;
    check_table(SE_KB_612, 600, true);
    check_table(SE_KB_612, 300, false);
    check_table(SE_KB_612, 1025, true);
}

static void test_corrupt(void **state)
{
    (void)state;
    static const struct {
        se_kb_bad bad;
        se_status want;
    } cases[] = {{SE_KB_TRUNC_NAME, SE_ERR_FORMAT},
                 {SE_KB_INDEX_ORDER, SE_ERR_NOT_FOUND},
                 {SE_KB_MARKER, SE_ERR_FORMAT},
                 {SE_KB_NUM_HUGE, SE_ERR_FORMAT},
                 {SE_KB_NO_OFFSETS, SE_ERR_FORMAT}};
    for (size_t l = 0; l < 2; l++)
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
            se_ksyms *k = (se_ksyms *)1;
            char err[256] = "";
            se_status st = decode((se_kb_layout)l, 600, true, cases[i].bad, &k, err, sizeof err);
            if (st != cases[i].want)
                fail_msg("layout %zu case %zu: %s (%s)", l, i, se_status_str(st), err);
            assert_null(k);
            assert_true(err[0] != '\0');
        }
    /* every truncation of a good table fails cleanly or still decodes (the offsets last) */
    size_t len;
    uint8_t *ro = se_kb_rodata(SE_KB_612, 300, true, SE_KB_OK, &len, NULL);
    for (size_t cut = 0; cut < len; cut += 7) {
        uint8_t *c = malloc(cut ? cut : 1);
        memcpy(c, ro, cut);
        se_vmlinux vm;
        se_vmlinux_section secs[3];
        se_kb_vmlinux(&vm, secs, c, cut);
        se_ksyms *k = NULL;
        char err[128];
        se_status st = se_ksyms_from_vmlinux(&vm, &k, err, sizeof err);
        assert_true(st == SE_OK || st == SE_ERR_FORMAT || st == SE_ERR_NOT_FOUND);
        se_ksyms_free(k);
        free(c);
    }
    free(ro);
    se_vmlinux vm;
    se_vmlinux_section secs[3];
    se_kb_vmlinux(&vm, secs, NULL, 0);
    se_ksyms *k = NULL;
    char err[128];
    assert_int_equal(se_ksyms_from_vmlinux(&vm, &k, err, sizeof err), SE_ERR_NOT_FOUND);
    assert_int_equal(se_ksyms_from_vmlinux(NULL, &k, err, sizeof err), SE_ERR_INVALID_ARG);
}

static const char map_text[] = "0000000000000000 A __per_cpu_start\n"
                               "0000000000006000 D cpu_tss_rw\n"
                               "0000000000034000 A __per_cpu_end\n"
                               "ffffffff81000000 T _text\n"
                               "ffffffff81000000 T startup_64\n"
                               "ffffffff81c00080 T entry_SYSCALL_64\n"
                               "ffffffff81c00100 t local_fn\n"
                               "ffffffff81c00200 T local_fn\n"
                               "\n";

static void test_map(void **state)
{
    (void)state;
    se_ksyms *k = NULL;
    uint64_t slide = 1, a = 0, off = 0;
    char err[256];
    assert_int_equal(se_ksyms_from_map(map_text, strlen(map_text), 0xffffffff81000000ull, &k,
                                       &slide, err, sizeof err),
                     SE_OK);
    assert_int_equal(slide, 0);
    assert_int_equal(se_ksyms_count(k), 8);
    se_ksym s;
    assert_true(se_ksyms_lookup(k, "cpu_tss_rw", &s));
    assert_int_equal(s.addr, 0x6000);
    assert_int_equal(s.flags, SE_KSYM_PERCPU);
    assert_true(se_ksyms_find(k, "local_fn", &a, NULL));
    assert_int_equal(a, 0xffffffff81c00200ull);
    assert_string_equal(se_ksyms_name_at(k, 0xffffffff81c00085ull, &off), "entry_SYSCALL_64");
    assert_int_equal(off, 5);
    /* _text and startup_64 alias: the first one in the file */
    assert_string_equal(se_ksyms_name_at(k, 0xffffffff81000010ull, &off), "_text");
    se_ksyms_free(k);

    /* /proc/kallsyms with a KASLR slide and module symbols */
    const char *pk = "0000000000006000 D cpu_tss_rw\n"
                     "0000000000034000 A __per_cpu_end\n"
                     "ffffffff9a200000 T _text\n"
                     "ffffffff9ae00080 T entry_SYSCALL_64\n"
                     "ffffffffc0a01000 t mod_fn\t[ext4]\n"
                     "ffffffffc0a02000 T mod_init [some_mod]\r\n";
    assert_int_equal(
        se_ksyms_from_map(pk, strlen(pk), 0xffffffff81000000ull, &k, &slide, err, sizeof err),
        SE_OK);
    assert_int_equal(slide, 0x19200000ull);
    assert_int_equal(se_ksyms_count(k), 4);
    assert_true(se_ksyms_find(k, "entry_SYSCALL_64", &a, NULL));
    assert_int_equal(a, 0xffffffff81c00080ull);
    assert_true(se_ksyms_find(k, "cpu_tss_rw", &a, NULL));
    assert_int_equal(a, 0x6000);
    assert_false(se_ksyms_find(k, "mod_fn", NULL, NULL));
    se_ksyms_free(k);

    /* link_text 0: as is */
    assert_int_equal(se_ksyms_from_map(pk, strlen(pk), 0, &k, &slide, err, sizeof err), SE_OK);
    assert_true(se_ksyms_find(k, "entry_SYSCALL_64", &a, NULL));
    assert_int_equal(a, 0xffffffff9ae00080ull);
    se_ksyms_free(k);

    /* A slide that wraps some addresses around 2^64 and not others (fuzz_ksyms): the address
     * index must be sorted after the slide is removed, or name_at misses symbols. */
    const char *wrap = "fdffffff9a200000 T _text\n"
                       "ffffffff9ae00080 T entry_SYSCALL_64\n";
    assert_int_equal(
        se_ksyms_from_map(wrap, strlen(wrap), 0xffffffff81000000ull, &k, &slide, err, sizeof err),
        SE_OK);
    assert_true(se_ksyms_find(k, "entry_SYSCALL_64", &a, NULL));
    assert_int_equal(a, 0x01ffffff81c00080ull);
    assert_string_equal(se_ksyms_name_at(k, a + 1, &off), "entry_SYSCALL_64");
    assert_int_equal(off, 1);
    assert_string_equal(se_ksyms_name_at(k, 0xffffffff81000010ull, &off), "_text");
    assert_int_equal(off, 0x10);
    se_ksyms_free(k);
}

static void test_map_bad(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        uint64_t link;
        se_status want;
        const char *msg;
    } cases[] = {
        {"0000000000000000 T _text\n0000000000000000 T entry_SYSCALL_64\n", 0, SE_ERR_FORMAT,
         "root"},
        {"", 0, SE_ERR_FORMAT, "no symbols"},
        {"ffffffff81000000 T _text\nhello world\n", 0, SE_ERR_FORMAT, "line 2"},
        {"ffffffff81000000 T\n", 0, SE_ERR_FORMAT, "line 1"},
        {"ffffffff81000000 T _text extra\n", 0, SE_ERR_FORMAT, "trailing"},
        {"ffffffff81000000T _text\n", 0, SE_ERR_FORMAT, "line 1"},
        {"ffffffff810000001 T _text\n", 0, SE_ERR_FORMAT, "line 1"},
        {"ffffffff81000010 T startup_64\n", 0xffffffff81000000ull, SE_ERR_NOT_FOUND, "_text"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        se_ksyms *k = (se_ksyms *)1;
        char err[256] = "";
        se_status st = se_ksyms_from_map(cases[i].text, strlen(cases[i].text), cases[i].link, &k,
                                         NULL, err, sizeof err);
        if (st != cases[i].want || strstr(err, cases[i].msg) == NULL)
            fail_msg("case %zu: %s (%s)", i, se_status_str(st), err);
        assert_null(k);
    }
    se_ksyms *k;
    assert_int_equal(se_ksyms_from_map(NULL, 1, 0, &k, NULL, NULL, 0), SE_ERR_INVALID_ARG);
    assert_null(se_ksyms_name_at(NULL, 0, NULL));
    assert_int_equal(se_ksyms_count(NULL), 0);
    se_ksyms_free(NULL);
}

/* Tables are built concurrently (one per loaded kernel); nothing may be shared while building.
 * Each thread decodes the same synthetic .rodata and map text several times and compares every
 * lookup with a reference built beforehand (read-only, so shared safely). */
#define KS_THREADS 4
#define KS_ROUNDS  6

typedef struct ks_job {
    const uint8_t *ro;
    size_t len;
    const char *map;
    size_t map_len;
    const se_ksyms *ref, *ref_map;
    unsigned bad; /* mismatches; cmocka's asserts are not for use from other threads */
} ks_job;

static unsigned same_table(const se_ksyms *a, const se_ksyms *b)
{
    unsigned bad = se_ksyms_count(a) != se_ksyms_count(b);
    for (size_t i = 0; i < se_ksyms_count(a) && !bad; i++) {
        se_ksym s, x, y;
        se_ksyms_get(a, i, &s);
        bad += !se_ksyms_lookup(a, s.name, &x) || !se_ksyms_lookup(b, s.name, &y);
        if (bad)
            break;
        bad += strcmp(x.name, y.name) != 0 || x.addr != y.addr || x.type != y.type ||
               x.flags != y.flags;
        uint64_t oa = 1, ob = 2;
        const char *na = se_ksyms_name_at(a, s.addr + 5, &oa);
        const char *nb = se_ksyms_name_at(b, s.addr + 5, &ob);
        bad += (na == NULL) != (nb == NULL) || (na != NULL && (strcmp(na, nb) != 0 || oa != ob));
    }
    return bad;
}

static void *ks_worker(void *arg)
{
    ks_job *j = arg;
    for (int r = 0; r < KS_ROUNDS; r++) {
        se_vmlinux vm;
        se_vmlinux_section secs[3];
        se_kb_vmlinux(&vm, secs, j->ro, j->len);
        se_ksyms *k = NULL, *m = NULL;
        char err[128];
        if (se_ksyms_from_vmlinux(&vm, &k, err, sizeof err) != SE_OK)
            j->bad++;
        else
            j->bad += same_table(k, j->ref);
        if (se_ksyms_from_map(j->map, j->map_len, SE_KB_TEXT, &m, NULL, err, sizeof err) != SE_OK)
            j->bad++;
        else
            j->bad += same_table(m, j->ref_map);
        se_ksyms_free(k);
        se_ksyms_free(m);
    }
    return NULL;
}

static void test_threads(void **state)
{
    (void)state;
    size_t len, n = 20000;
    uint8_t *ro = se_kb_rodata(SE_KB_612, n, true, SE_KB_OK, &len, NULL);
    se_vmlinux vm;
    se_vmlinux_section secs[3];
    se_kb_vmlinux(&vm, secs, ro, len);
    se_ksyms *ref = NULL, *ref_map = NULL;
    char err[128];
    assert_int_equal(se_ksyms_from_vmlinux(&vm, &ref, err, sizeof err), SE_OK);
    /* the same symbols as a System.map, in reverse so that the sort has work to do */
    size_t cap = n * 300 + 64, ml = 0;
    char *map = malloc(cap);
    assert_non_null(map);
    ml += (size_t)snprintf(map + ml, cap - ml, "%016llx T _text\n", (unsigned long long)SE_KB_TEXT);
    for (size_t i = n; i-- > 0;) {
        se_ksym s;
        assert_true(se_ksyms_get(ref, i, &s));
        ml += (size_t)snprintf(map + ml, cap - ml, "%016llx %c %s\n", (unsigned long long)s.addr,
                               s.type, s.name);
    }
    assert_true(ml < cap);
    assert_int_equal(se_ksyms_from_map(map, ml, SE_KB_TEXT, &ref_map, NULL, err, sizeof err),
                     SE_OK);
    ks_job jobs[KS_THREADS];
    pthread_t th[KS_THREADS];
    for (int t = 0; t < KS_THREADS; t++) {
        jobs[t] = (ks_job){ro, len, map, ml, ref, ref_map, 0};
        assert_int_equal(pthread_create(&th[t], NULL, ks_worker, &jobs[t]), 0);
    }
    for (int t = 0; t < KS_THREADS; t++) {
        assert_int_equal(pthread_join(th[t], NULL), 0);
        if (jobs[t].bad != 0)
            fail_msg("thread %d: %u lookups differ from the single-threaded table", t, jobs[t].bad);
    }
    se_ksyms_free(ref);
    se_ksyms_free(ref_map);
    free(map);
    free(ro);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layout_61), cmocka_unit_test(test_layout_612),
        cmocka_unit_test(test_corrupt),   cmocka_unit_test(test_map),
        cmocka_unit_test(test_map_bad),   cmocka_unit_test(test_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
