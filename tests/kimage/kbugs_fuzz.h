/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The input layout of fuzz_kbugs, shared with its seed writer (kbugs_seeds.c):
 *   bytes 0-1   .text length (u16 LE), the one executable section
 *   bytes 2-3   .rodata length (u16 LE), where the file names normally are
 *   byte 4      bit 0: __bug_table is NOBITS (no file data); bit 1: no .bss (NOBITS, SE_KB_BSS_LEN
 *               bytes, so that a file name can point at a section without bytes)
 *   then .text, .rodata and __bug_table (the rest), each cut short when the input runs out.
 */
#ifndef SE_KBUGS_FUZZ_H
#define SE_KBUGS_FUZZ_H

#define SE_KB_HDR     5
#define SE_KB_TEXT    0xffffffff81000000ull
#define SE_KB_RODATA  0xffffffff82000000ull
#define SE_KB_BSS     0xffffffff82800000ull
#define SE_KB_BSS_LEN 0x1000u
#define SE_KB_TABLE   0xffffffff83000000ull

#endif
