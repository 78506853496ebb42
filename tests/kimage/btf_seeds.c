/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Writes the fuzz_btf seeds, small valid .BTF blobs (btf_writer.h) shaped like what the kernel
 * loader looks up: task_struct with thread_info and a nested thread_struct holding a struct
 * fpu; the pcpu_hot union whose members sit in an anonymous struct; typedef/const/volatile
 * chains in front of a struct; a kind_flag struct with bitfields; and all of them in one blob.
 * Usage: btf_seeds <dir> */
#include <stdio.h>

#include "btf_writer.h"

enum { K_INT = 1, K_PTR = 2, K_ARRAY = 3, K_STRUCT = 4, K_UNION = 5, K_TYPEDEF = 8 };
enum { K_VOLATILE = 9, K_CONST = 10 };

static uint32_t base_int(blob *b, const char *name, uint32_t bytes)
{
    uint32_t id = type(b, name, K_INT, 0, false, bytes);
    w32(b, bytes * 8); /* encoding: no sign, offset 0, bytes * 8 bits */
    return id;
}

/* struct fpu { unsigned int last_cpu; unsigned long avx512_timestamp; } and the task_struct
 * around it; returns the id of unsigned long. Ids are relative, so the blob can hold more. */
static void task(blob *b)
{
    uint32_t t_uint = base_int(b, "unsigned int", 4);
    uint32_t t_ulong = base_int(b, "unsigned long", 8);
    uint32_t t_fpu = type(b, "fpu", K_STRUCT, 2, false, 16);
    member(b, "last_cpu", t_uint, 0);
    member(b, "avx512_timestamp", t_ulong, 64);
    uint32_t t_ts = type(b, "thread_struct", K_STRUCT, 3, false, 32);
    member(b, "sp", t_ulong, 0);
    member(b, "fsbase", t_ulong, 64);
    member(b, "fpu", t_fpu, 128);
    uint32_t t_ti = type(b, "thread_info", K_STRUCT, 2, false, 16);
    member(b, "flags", t_ulong, 0);
    member(b, "syscall_work", t_ulong, 64);
    uint32_t t_void_p = type(b, "", K_PTR, 0, false, 0);
    uint32_t t_task = type(b, "task_struct", K_STRUCT, 4, false, 96);
    member(b, "thread_info", t_ti, 0);
    member(b, "__state", t_uint, 128);
    member(b, "stack", t_void_p, 192);
    member(b, "thread", t_ts, 512); /* at 0x40, fpu at 0x50, last_cpu at 0x50 */
}

/* union pcpu_hot { struct { task_struct *current_task; int preempt_count; int cpu_number;
 * u64 call_depth; unsigned long top_of_stack; void *hardirq_stack_ptr; }; u8 pad[64]; } */
static void pcpu_hot(blob *b)
{
    uint32_t t_int = base_int(b, "int", 4);
    uint32_t t_u8 = base_int(b, "u8", 1);
    uint32_t t_u64 = base_int(b, "u64", 8);
    uint32_t t_fwd_task = type(b, "task_struct", 7 /* FWD */, 0, false, 0);
    uint32_t t_task_p = type(b, "", K_PTR, 0, false, t_fwd_task);
    uint32_t t_void_p = type(b, "", K_PTR, 0, false, 0);
    uint32_t t_u32 = base_int(b, "__ARRAY_SIZE_TYPE__", 4);
    uint32_t t_pad = type(b, "", K_ARRAY, 0, false, 0);
    w32(b, t_u8);
    w32(b, t_u32);
    w32(b, 64);
    uint32_t t_anon = type(b, "", K_STRUCT, 6, false, 40);
    member(b, "current_task", t_task_p, 0);
    member(b, "preempt_count", t_int, 64);
    member(b, "cpu_number", t_int, 96);
    member(b, "call_depth", t_u64, 128);
    member(b, "top_of_stack", t_u64, 192); /* at 24 */
    member(b, "hardirq_stack_ptr", t_void_p, 256);
    type(b, "pcpu_hot", K_UNION, 2, false, 64);
    member(b, "", t_anon, 0);
    member(b, "pad", t_pad, 0);
}

/* typedef struct inner inner_t; const volatile inner_t as a member type, and a chain of
 * typedefs two deep; a kind_flag struct with bitfields and a byte-aligned member after them. */
static void chains(blob *b)
{
    uint32_t t_int = base_int(b, "int", 4);
    uint32_t t_inner = type(b, "inner", K_STRUCT, 2, false, 8);
    member(b, "a", t_int, 0);
    member(b, "b", t_int, 32);
    uint32_t t_td = type(b, "inner_t", K_TYPEDEF, 0, false, t_inner);
    uint32_t t_td2 = type(b, "inner2_t", K_TYPEDEF, 0, false, t_td);
    uint32_t t_vol = type(b, "", K_VOLATILE, 0, false, t_td2);
    uint32_t t_const = type(b, "", K_CONST, 0, false, t_vol);
    uint32_t t_bits = type(b, "bits", K_STRUCT, 4, true, 8);
    member(b, "lo", t_int, 3u << 24 | 0);
    member(b, "mid", t_int, 5u << 24 | 3);
    member(b, "hi", t_int, 8u << 24 | 8); /* a bitfield, even though byte-aligned */
    member(b, "whole", t_int, 32);
    type(b, "outer", K_STRUCT, 3, false, 24);
    member(b, "x", t_int, 0);
    member(b, "in", t_const, 64);
    member(b, "flags", t_bits, 128);
}

static int put(const char *dir, const char *name, void (*const *parts)(blob *), size_t n)
{
    blob b;
    blob_init(&b);
    for (size_t i = 0; i < n; i++)
        parts[i](&b);
    blob_finish(&b);
    if (b.overflow) {
        fprintf(stderr, "%s: blob too large for btf_writer.h\n", name);
        return 1;
    }
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (f == NULL || fwrite(b.out, 1, b.len, f) != b.len) {
        perror(path);
        if (f != NULL)
            fclose(f);
        return 1;
    }
    return fclose(f) != 0;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s <dir>\n", argv[0]);
        return 2;
    }
    static void (*const t[])(blob *) = {task};
    static void (*const p[])(blob *) = {pcpu_hot};
    static void (*const c[])(blob *) = {chains};
    static void (*const all[])(blob *) = {task, pcpu_hot, chains};
    int bad = 0;
    bad |= put(argv[1], "task_struct.btf", t, 1);
    bad |= put(argv[1], "pcpu_hot.btf", p, 1);
    bad |= put(argv[1], "chains.btf", c, 1);
    bad |= put(argv[1], "all.btf", all, 3);
    return bad;
}
