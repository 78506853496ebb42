/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The input layout of fuzz_kalt, shared with its seed writer (kalt_seeds.c):
 *   byte 0      release: 0 = 6.1 (12-byte records), 1 = 6.12 (14-byte), else unknown (0.0)
 *   bytes 1-2   .text length (u16 LE)
 *   bytes 3-4   .altinstr_replacement length (u16 LE, at most SE_KF_REPL_MAX)
 *   bytes 5-12  feature mask: has(f) is bit f % 64 (u64 LE)
 *   then .text, .altinstr_replacement and .altinstructions (the rest), each cut short when the
 *   input runs out.
 */
#ifndef SE_KALT_FUZZ_H
#define SE_KALT_FUZZ_H

#define SE_KF_HDR      13
#define SE_KF_TEXT     0xffffffff81000000ull
#define SE_KF_REPL     0xffffffff82000000ull
#define SE_KF_TAB      0xffffffff82001000ull
#define SE_KF_REPL_MAX 0x1000u /* keeps .altinstr_replacement below .altinstructions */

#endif
