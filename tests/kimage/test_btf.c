/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * se_btf_* on a synthetic .BTF blob built here (nested struct, typedef + const, anonymous union,
 * bitfield, pointer, cyclic typedef, bad type ids, anonymous-member cycles and fan-outs), on
 * malformed headers and truncations, and, when the kernel cache holds them, on Debian's 6.12 and
 * 6.1 images (offsetof(task_struct, thread.fpu) is 0x15c0 on 6.12.95+deb12-cloud-amd64).
 */
#include "se_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kimage/btf.h"
#include "kimage/kimage.h"
#include "kimage/vmlinux.h"

#include "btf_writer.h"

/* The writer (blob, type, member, ...) is tests/kimage/btf_writer.h, shared with btf_seeds.c. */

/*
 * 1 int; 2 struct inner {int a; int b;}; 3 typedef inner_t -> 2; 4 const -> 3;
 * 5 union (anonymous) {int u1; int u2;}; 7 ptr -> 2;
 * 6 struct outer (kind_flag) { int x@0; const inner_t in@8; union {..}@16; int bf:3@160 bits;
 *   struct inner *p@24; } size 32;
 * 8 typedef loop -> 8; 9 struct bad { loop l@0; loop (anon)@0; };
 * 10 struct badid { m: type 999 }; 11 struct rec { struct rec (anon); };
 * 12..43 fan<i> { fan<i+1> (anon); fan<i+1> (anon); }, the last one {int z;}
 */
static void build_sample(blob *b)
{
    blob_init(b);
    uint32_t t_int = type(b, "int", 1, 0, false, 4);
    w32(b, 32); /* encoding: 32 bits */
    uint32_t t_inner = type(b, "inner", 4, 2, false, 8);
    member(b, "a", t_int, 0);
    member(b, "b", t_int, 32);
    uint32_t t_td = type(b, "inner_t", 8, 0, false, t_inner);
    uint32_t t_const = type(b, "", 10, 0, false, t_td);
    uint32_t t_union = type(b, "", 5, 2, false, 4);
    member(b, "u1", t_int, 0);
    member(b, "u2", t_int, 0);
    uint32_t t_outer = type(b, "outer", 4, 5, true, 32);
    member(b, "x", t_int, 0);
    member(b, "in", t_const, 64);
    member(b, "", t_union, 128);
    member(b, "bf", t_int, 3u << 24 | 160);
    member(b, "p", t_outer + 1, 192);
    assert_int_equal(type(b, "", 2, 0, false, t_inner), 7);
    assert_int_equal(type(b, "loop", 8, 0, false, 8), 8);
    assert_int_equal(type(b, "bad", 4, 2, false, 8), 9);
    member(b, "l", 8, 0);
    member(b, "", 8, 0);
    assert_int_equal(type(b, "badid", 4, 1, false, 4), 10);
    member(b, "m", 999, 0);
    assert_int_equal(type(b, "rec", 4, 1, false, 4), 11);
    member(b, "", 11, 0);
    for (uint32_t i = 0; i < 32; i++) {
        char name[16];
        snprintf(name, sizeof name, "fan%u", i);
        assert_int_equal(type(b, name, 4, 2, false, 4), 12 + i);
        member(b, "", 13 + i, 0);
        member(b, "", 13 + i, 0);
    }
    assert_int_equal(type(b, "fan32", 4, 1, false, 4), 44);
    member(b, "z", t_int, 0);
    blob_finish(b);
    assert_false(b->overflow);
}

static void test_offsets(void **state)
{
    (void)state;
    blob bl;
    build_sample(&bl);
    se_btf *b;
    char err[160] = "";
    assert_int_equal(se_btf_open_bytes(bl.out, bl.len, &b, err, sizeof err), SE_OK);
    assert_int_equal(se_btf_type_count(b), 44);
    uint64_t off = 99;
    assert_int_equal(se_btf_offsetof(b, "outer", "x", &off), SE_OK);
    assert_int_equal(off, 0);
    assert_int_equal(se_btf_offsetof(b, "outer", "in", &off), SE_OK);
    assert_int_equal(off, 8);
    assert_int_equal(se_btf_offsetof(b, "outer", "in.b", &off), SE_OK);
    assert_int_equal(off, 12);
    assert_int_equal(se_btf_offsetof(b, "outer", "u2", &off), SE_OK);
    assert_int_equal(off, 16);
    assert_int_equal(se_btf_offsetof(b, "outer", "p", &off), SE_OK);
    assert_int_equal(off, 24);
    assert_int_equal(se_btf_offsetof(b, "outer", "bf", &off), SE_ERR_UNSUPPORTED);
    assert_int_equal(se_btf_offsetof(b, "outer", "p.a", &off), SE_ERR_NOT_FOUND);
    assert_int_equal(se_btf_offsetof(b, "outer", "x.a", &off), SE_ERR_NOT_FOUND);
    assert_int_equal(se_btf_offsetof(b, "outer", "in.c", &off), SE_ERR_NOT_FOUND);
    assert_int_equal(se_btf_offsetof(b, "outer", "i", &off), SE_ERR_NOT_FOUND);
    assert_int_equal(se_btf_offsetof(b, "nosuch", "x", &off), SE_ERR_NOT_FOUND);
    assert_int_equal(se_btf_offsetof(b, "inner_t", "a", &off), SE_ERR_NOT_FOUND);
    assert_int_equal(se_btf_offsetof(b, "outer", "in.", &off), SE_ERR_INVALID_ARG);
    assert_int_equal(se_btf_offsetof(b, "outer", "", &off), SE_ERR_INVALID_ARG);
    assert_int_equal(se_btf_offsetof(b, "outer", ".x", &off), SE_ERR_INVALID_ARG);
    assert_int_equal(se_btf_offsetof(NULL, "outer", "x", &off), SE_ERR_INVALID_ARG);
    assert_int_equal(se_btf_sizeof(b, "outer", &off), SE_OK);
    assert_int_equal(off, 32);
    assert_int_equal(se_btf_sizeof(b, "inner", &off), SE_OK);
    assert_int_equal(off, 8);
    assert_int_equal(se_btf_sizeof(b, "int", &off), SE_ERR_NOT_FOUND);

    /* malformed types: cyclic typedef, bad id, anonymous cycle, anonymous fan-out */
    assert_int_equal(se_btf_offsetof(b, "bad", "l", &off), SE_OK);
    assert_int_equal(se_btf_offsetof(b, "bad", "l.x", &off), SE_ERR_FORMAT);
    assert_int_equal(se_btf_offsetof(b, "bad", "zz", &off), SE_ERR_FORMAT);
    assert_int_equal(se_btf_offsetof(b, "badid", "m", &off), SE_ERR_FORMAT);
    assert_int_equal(se_btf_offsetof(b, "rec", "q", &off), SE_ERR_FORMAT);
    assert_int_equal(se_btf_offsetof(b, "fan31", "z", &off), SE_OK);
    assert_int_equal(off, 0);
    assert_int_equal(se_btf_offsetof(b, "fan0", "q", &off), SE_ERR_FORMAT); /* budget, no hang */
    se_btf_free(b);
}

/* A struct without kind_flag holds its bitfields in int types (an int of 3 bits in 4 bytes, one
 * with a bit offset, and one behind a typedef): those are bitfields, UNSUPPORTED, not members at
 * their byte offset (they were reported as plain members before). */
static void test_int_encoded_bitfields(void **state)
{
    (void)state;
    blob bl;
    blob_init(&bl);
    uint32_t t_int = type(&bl, "int", 1, 0, false, 4);
    w32(&bl, 32);
    uint32_t t_u3 = type(&bl, "u3", 1, 0, false, 4);
    w32(&bl, 3);
    uint32_t t_sh = type(&bl, "sh", 1, 0, false, 4);
    w32(&bl, 8u << 16 | 8); /* BTF_INT_OFFSET 8, BTF_INT_BITS 8 */
    uint32_t t_td = type(&bl, "u3_t", 8, 0, false, t_u3);
    uint32_t t_bool = type(&bl, "_Bool", 1, 0, false, 1);
    w32(&bl, 4u << 24 | 8); /* BTF_INT_BOOL, 8 bits: a whole byte */
    type(&bl, "old", 4, 6, false, 24);
    member(&bl, "a", t_int, 0);
    member(&bl, "f", t_u3, 32);
    member(&bl, "g", t_sh, 64);
    member(&bl, "h", t_td, 96);
    member(&bl, "z", t_int, 128);
    member(&bl, "b", t_bool, 160);
    blob_finish(&bl);
    assert_false(bl.overflow);
    se_btf *b;
    char err[160] = "";
    assert_int_equal(se_btf_open_bytes(bl.out, bl.len, &b, err, sizeof err), SE_OK);
    uint64_t off = 99;
    assert_int_equal(se_btf_offsetof(b, "old", "a", &off), SE_OK);
    assert_int_equal(off, 0);
    assert_int_equal(se_btf_offsetof(b, "old", "f", &off), SE_ERR_UNSUPPORTED);
    assert_int_equal(se_btf_offsetof(b, "old", "g", &off), SE_ERR_UNSUPPORTED);
    assert_int_equal(se_btf_offsetof(b, "old", "h", &off), SE_ERR_UNSUPPORTED);
    assert_int_equal(se_btf_offsetof(b, "old", "z", &off), SE_OK);
    assert_int_equal(off, 16);
    assert_int_equal(se_btf_offsetof(b, "old", "b", &off), SE_OK);
    assert_int_equal(off, 20);
    se_btf_free(b);
}

static se_status open_err(const uint8_t *d, size_t n, char *err, size_t errlen)
{
    se_btf *b = (se_btf *)1;
    se_status st = se_btf_open_bytes(d, n, &b, err, errlen);
    if (st == SE_OK)
        se_btf_free(b);
    else
        assert_null(b);
    return st;
}

static void test_malformed(void **state)
{
    (void)state;
    blob bl;
    build_sample(&bl);
    uint8_t d[4096];
    char err[160];
    size_t n = bl.len;

    /* every truncation */
    for (size_t len = 0; len < n; len++) {
        err[0] = '\0';
        assert_int_equal(open_err(bl.out, len, err, sizeof err), SE_ERR_FORMAT);
        assert_true(err[0] != '\0');
    }
#define MUT(stmt, expect)                                                                          \
    do {                                                                                           \
        memcpy(d, bl.out, n);                                                                      \
        stmt;                                                                                      \
        err[0] = '\0';                                                                             \
        assert_int_equal(open_err(d, n, err, sizeof err), expect);                                 \
        if ((expect) == SE_ERR_FORMAT)                                                             \
            assert_true(err[0] != '\0');                                                           \
    } while (0)
    MUT((void)0, SE_OK);
    MUT(d[0] = 0x9e, SE_ERR_FORMAT);                        /* magic */
    MUT((d[0] = 0xeb, d[1] = 0x9f), SE_ERR_FORMAT);         /* big-endian */
    MUT(d[2] = 2, SE_ERR_FORMAT);                           /* version */
    MUT(put32(d + 4, 20), SE_ERR_FORMAT);                   /* hdr_len < 24 */
    MUT(put32(d + 4, 0xffffffffu), SE_ERR_FORMAT);          /* hdr_len > len */
    MUT(put32(d + 8, 0xfffffff0u), SE_ERR_FORMAT);          /* type_off wraps */
    MUT(put32(d + 12, 0xffffffffu), SE_ERR_FORMAT);         /* type_len */
    MUT(put32(d + 16, 0xffffffffu), SE_ERR_FORMAT);         /* str_off */
    MUT(put32(d + 20, 0), SE_ERR_FORMAT);                   /* no strings */
    MUT(d[n - 1] = 'x', SE_ERR_FORMAT);                     /* strings not NUL-terminated */
    MUT(put32(d + 12, (uint32_t)bl.tn - 4), SE_ERR_FORMAT); /* last record cut */
    MUT(put32(d + 12, 8), SE_ERR_FORMAT);                   /* first record cut */
    MUT(d[24 + 7] = 0, SE_ERR_FORMAT);                      /* kind 0 */
    MUT(d[24 + 7] = 20, SE_ERR_FORMAT);                     /* kind 20 */
    MUT(put32(d + 24, 0x7fffffffu), SE_ERR_FORMAT);         /* type name outside strings */
    MUT(put32(d + 24 + 16 + 12, 0x10000), SE_ERR_FORMAT);   /* member name outside strings */
    MUT(d[24 + 16 + 4] = 0xff, SE_ERR_FORMAT);              /* struct vlen beyond the section */
#undef MUT
    se_btf *b;
    assert_int_equal(se_btf_open_bytes(NULL, 0, &b, err, sizeof err), SE_ERR_FORMAT);
    assert_int_equal(se_btf_open_bytes(bl.out, n, NULL, err, sizeof err), SE_ERR_INVALID_ARG);
    assert_int_equal(se_btf_open(NULL, &b, err, sizeof err), SE_ERR_INVALID_ARG);

    /* a view without .BTF */
    se_vmlinux vm;
    memset(&vm, 0, sizeof vm);
    assert_int_equal(se_btf_open(&vm, &b, err, sizeof err), SE_ERR_NOT_FOUND);

    /* every byte of the types, mutated: open and queries must not misbehave (or hang) */
    static const char *const paths[][2] = {
        {"outer", "in.b"}, {"outer", "u2"}, {"bad", "l.x"}, {"fan0", "z"}};
    for (size_t i = 24; i < 24 + bl.tn; i++) {
        for (unsigned v = 0; v < 256; v += 51) {
            memcpy(d, bl.out, n);
            d[i] = (uint8_t)v;
            if (se_btf_open_bytes(d, n, &b, NULL, 0) != SE_OK)
                continue;
            uint64_t off;
            for (size_t k = 0; k < sizeof paths / sizeof paths[0]; k++)
                (void)se_btf_offsetof(b, paths[k][0], paths[k][1], &off);
            (void)se_btf_sizeof(b, "outer", &off);
            se_btf_free(b);
        }
    }
}

/* ---- Debian's kernels, when cached ------------------------------------------------------- */

static uint8_t *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    uint8_t *buf = NULL;
    size_t cap = 0, n = 0;
    for (;;) {
        if (n == cap) {
            cap = cap ? cap * 2 : (1u << 20);
            uint8_t *nb = realloc(buf, cap);
            if (nb == NULL) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = nb;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    fclose(f);
    *len = n;
    return buf;
}

static void real_kernel(const char *version, uint64_t expect_fpu)
{
    char path[512];
    snprintf(path, sizeof path, "%s/kernel-%s/vmlinuz", SE_KERNEL_CACHE, version);
    size_t len = 0;
    uint8_t *img = read_file(path, &len);
    if (img == NULL) {
        printf("SKIPPED: %s not cached (scripts/fetch-kernel.sh %s)\n", path, version);
        skip();
    }
    uint8_t *elf;
    size_t elf_len;
    char err[256] = "";
    se_status st = se_kimage_decompress(img, len, &elf, &elf_len, err, sizeof err);
    free(img);
    if (st != SE_OK)
        fail_msg("%s: %s", path, err);
    se_vmlinux vm;
    assert_int_equal(se_vmlinux_open(elf, elf_len, &vm, err, sizeof err), SE_OK);
    se_btf *b;
    st = se_btf_open(&vm, &b, err, sizeof err);
    if (st != SE_OK)
        fail_msg("%s: se_btf_open: %s", vm.release, err);
    static const char *const q[][2] = {
        {"task_struct", "thread"},     {"thread_struct", "fpu"},
        {"task_struct", "thread.fpu"}, {"fpu", "last_cpu"},
        {"pcpu_hot", "top_of_stack"},  {"task_struct", "stack"},
        {"task_struct", "thread.sp"},  {"task_struct", "thread_info.flags"},
    };
    printf("%s: %u BTF types\n", vm.release, se_btf_type_count(b));
    for (size_t i = 0; i < sizeof q / sizeof q[0]; i++) {
        uint64_t off = 0;
        st = se_btf_offsetof(b, q[i][0], q[i][1], &off);
        if (st == SE_OK)
            printf("  offsetof(%s, %s) = 0x%llx\n", q[i][0], q[i][1], (unsigned long long)off);
        else
            printf("  offsetof(%s, %s): %s\n", q[i][0], q[i][1], se_status_str(st));
    }
    uint64_t sz = 0, fpu = 0;
    assert_int_equal(se_btf_sizeof(b, "task_struct", &sz), SE_OK);
    printf("  sizeof(task_struct) = 0x%llx\n", (unsigned long long)sz);
    assert_int_equal(se_btf_offsetof(b, "task_struct", "thread.fpu", &fpu), SE_OK);
    uint64_t t = 0, f = 0;
    assert_int_equal(se_btf_offsetof(b, "task_struct", "thread", &t), SE_OK);
    assert_int_equal(se_btf_offsetof(b, "thread_struct", "fpu", &f), SE_OK);
    assert_int_equal(fpu, t + f);
    if (expect_fpu != 0)
        assert_int_equal(fpu, expect_fpu);
    se_btf_free(b);
    se_vmlinux_close(&vm);
    free(elf);
}

static void test_real_612(void **state)
{
    (void)state;
    real_kernel("6.12", 0x15c0);
}

static void test_real_61(void **state)
{
    (void)state;
    real_kernel("6.1", 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_offsets),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_int_encoded_bitfields),
        cmocka_unit_test(test_real_612),
        cmocka_unit_test(test_real_61),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
