/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The kernel's `__bug_table`: one record per BUG()/WARN() site, which the #UD handler looks up
 * to tell a WARN (report, then continue after the UD2) from a BUG (oops) - handle_bug() and
 * report_bug() in arch/x86/kernel/traps.c and lib/bug.c@v6.12.
 *
 * x86-64 builds with CONFIG_GENERIC_BUG_RELATIVE_POINTERS and CONFIG_DEBUG_BUGVERBOSE (Debian's
 * 6.1 and 6.12) lay a record out as struct bug_entry (include/asm-generic/bug.h@v6.12):
 *   s32 bug_addr_disp;  the UD2, relative to this field
 *   s32 file_disp;      the source file name, relative to this field
 *   u16 line;
 *   u16 flags;          BUGFLAG_WARNING 1, BUGFLAG_ONCE 2, BUGFLAG_DONE 4, BUGFLAG_NO_CUT_HERE 8,
 *                       the taint number in bits 15:8
 * 12 bytes, no padding. The section is untrusted input: every record is bounds-checked, file
 * names are read only from inside a section and at most SE_KBUG_FILE_MAX bytes long.
 */
#ifndef SE_KIMAGE_BUGTABLE_H
#define SE_KIMAGE_BUGTABLE_H

#include <stddef.h>
#include <stdint.h>

#include "kimage/vmlinux.h"

#define SE_KBUG_WARNING  0x1u /* BUGFLAG_WARNING: report and continue; otherwise a BUG */
#define SE_KBUG_FILE_MAX 255u

typedef struct se_kbug {
    uint64_t addr; /* the UD2 */
    uint32_t file; /* offset of the file name in se_kbugs::names; 0 (""): none */
    uint16_t line;
    uint16_t flags; /* SE_KBUG_WARNING, ... as in the record */
    uint32_t seq;   /* the record's index in the section */
} se_kbug;

typedef struct se_kbugs {
    se_kbug *v; /* sorted by addr; for one address the first record is kept */
    size_t n;
    char *names; /* NUL-terminated file names, names[0] == '\0' */
    size_t names_len;
} se_kbugs;

/**
 * Read vm's __bug_table. An image without one gives an empty table (SE_OK, n == 0).
 * @return SE_OK; SE_ERR_INVALID_ARG (NULL); SE_ERR_FORMAT (a size that is not whole records,
 *         a section without file data; message in err); SE_ERR_NOMEM.
 * Records whose UD2 address or file name lies outside the image are dropped, not an error:
 * a file name that cannot be read is reported as none.
 */
se_status se_kbugs_parse(const se_vmlinux *vm, se_kbugs *out, char *err, size_t errlen);

/** The record for the UD2 at addr, or NULL. */
const se_kbug *se_kbugs_find(const se_kbugs *b, uint64_t addr);

void se_kbugs_free(se_kbugs *b);

#endif
