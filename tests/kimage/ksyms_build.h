/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Synthetic kallsyms tables for the kallsyms tests, seeds and fuzzer: a .rodata image holding
 * the tables in the Debian 6.1 order (offsets, relative_base, num_syms, names, markers,
 * seqs_of_names, token table, token index) or the 6.12 one (num_syms, names, markers, token
 * table, token index, offsets, relative_base, seqs_of_names), and a se_vmlinux view around it.
 */
#ifndef SE_KSYMS_BUILD_H
#define SE_KSYMS_BUILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kimage/vmlinux.h"

#define SE_KB_RODATA 0xffffffff82000000ull
#define SE_KB_TEXT   0xffffffff81000000ull

typedef enum se_kb_layout { SE_KB_61, SE_KB_612 } se_kb_layout;

/* The corruption to apply (after building a consistent table). */
typedef enum se_kb_bad {
    SE_KB_OK,
    SE_KB_TRUNC_NAME,  /* one entry's length byte points past the names */
    SE_KB_INDEX_ORDER, /* two token index entries swapped */
    SE_KB_MARKER,      /* markers[1] off by one */
    SE_KB_NUM_HUGE,    /* kallsyms_num_syms = 0xffffffff */
    SE_KB_NO_OFFSETS,  /* relative_base outside every section */
} se_kb_bad;

typedef struct se_kb_info {
    size_t names, markers, num_syms, tok_tab, tok_idx, offsets, relbase; /* offsets in .rodata */
} se_kb_info;

/* n symbols: 3 per-CPU ones (cpu_tss_rw at 0x6000, __per_cpu_start 0, __per_cpu_end 0x8000,
 * absolute) then text symbols fn_<i> at SE_KB_TEXT + 16 * i, entry_SYSCALL_64 among them, a
 * local/global pair named dup, and one 200-character name (a two-byte length). abs_percpu
 * false: every offset is base-relative (no per-CPU symbols). Returns malloc'ed .rodata. */
uint8_t *se_kb_rodata(se_kb_layout layout, size_t n, bool abs_percpu, se_kb_bad bad, size_t *len,
                      se_kb_info *info);

/* One symbol of se_kb_rodata_syms: its type letter then its name ("Tentry_SYSCALL_64", "A" for a
 * per-CPU offset), and its value. */
typedef struct se_kb_sym {
    const char *name;
    uint64_t value;
} se_kb_sym;

/* A .rodata image holding a table of the given symbols (names of letters, digits and '_'; text
 * values within 2 GiB above relbase, "A" values below 2 GiB) as a kernel built with
 * CONFIG_KALLSYMS_ABSOLUTE_PERCPU stores it, followed by tail[0, tail_len) (a version banner,
 * say). Returns malloc'ed bytes. */
uint8_t *se_kb_rodata_syms(se_kb_layout layout, const se_kb_sym *syms, size_t n, uint64_t relbase,
                           const void *tail, size_t tail_len, size_t *len);

/* A view with .text (no bytes), .rodata = ro[0, len) at SE_KB_RODATA and .data..percpu at 0;
 * secs must have room for 3 sections. */
void se_kb_vmlinux(se_vmlinux *vm, se_vmlinux_section *secs, const uint8_t *ro, size_t len);

/* The name of text symbol i (as se_kb_rodata made it) into buf. */
void se_kb_name(size_t i, char *buf, size_t n);

#endif
