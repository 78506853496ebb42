/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The input layout of fuzz_kalt, shared with its seed writer (kalt_seeds.c):
 *   byte 0      release: 0 = 6.1 (12-byte records), 1 = 6.12 (14-byte), else unknown (0.0)
 *   bytes 1-2   .text length (u16 LE)
 *   bytes 3-4   .altinstr_replacement length (u16 LE, at most SE_KF_REPL_MAX)
 *   bytes 5-12  feature mask: has(f) is bit f % 64 (u64 LE)
 *   then .text, .altinstr_replacement and .altinstructions (the rest), each cut short when the
 *   input runs out.
 * If the rest holds SE_KF_MAGIC, .altinstructions ends before it and what follows drives
 * se_kalt_apply_returns and se_kalt_nop_fentry (inputs without the magic behave as before):
 *   bytes 0-1   .return_sites length (u16 LE; cut short when the input runs out)
 *   bytes 2-3   __mcount_loc array start, s16 LE relative to SE_KF_MCOUNT
 *   bytes 4-5   stop, the same way (so that stop < start and arrays outside it can be said)
 *   bytes 6-7   __x86_return_thunk, offset in .text (u16 LE)
 *   bytes 8-9   __fentry__, offset in .text (u16 LE)
 *   then .return_sites, then __mcount_loc (the rest).
 */
#ifndef SE_KALT_FUZZ_H
#define SE_KALT_FUZZ_H

#define SE_KF_HDR      13
#define SE_KF_TEXT     0xffffffff81000000ull
#define SE_KF_REPL     0xffffffff82000000ull
#define SE_KF_TAB      0xffffffff82001000ull
#define SE_KF_REPL_MAX 0x1000u /* keeps .altinstr_replacement below .altinstructions */

#define SE_KF_MAGIC     "RET!"
#define SE_KF_MAGIC_LEN 4
#define SE_KF_RET_HDR   10
#define SE_KF_RETS      0xffffffff83000000ull /* .return_sites */
#define SE_KF_MCOUNT    0xffffffff84000000ull /* __mcount_loc */

#endif
