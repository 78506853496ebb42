/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Kernel symbols: decoded from the kallsyms tables a stripped vmlinux carries in .rodata, or
 * parsed from a System.map / /proc/kallsyms text. The loader needs them because distribution
 * kernels have no .symtab, yet it must find entry_SYSCALL_64, the per-CPU variables
 * (cpu_tss_rw, pcpu_hot) and name the code a walk ends in.
 *
 * Per-CPU symbols (CONFIG_KALLSYMS_ABSOLUTE_PERCPU, the x86-64 default up to at least 6.12)
 * are stored as their offset inside the per-CPU area (cpu_tss_rw = 0x6000) and flagged
 * SE_KSYM_PERCPU; other absolute values are flagged SE_KSYM_ABS. Neither kind is ever
 * returned by se_ksyms_name_at(). The layouts found and how they are told apart are in
 * docs/real-kernels.md ("Symbols").
 *
 * Both inputs are untrusted: every read is bounds-checked, counts and the decoded name pool are
 * capped, and malformed input gives SE_ERR_FORMAT or SE_ERR_NOT_FOUND with a message.
 */
#ifndef SE_KIMAGE_KALLSYMS_H
#define SE_KIMAGE_KALLSYMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sysentry/status.h>

#include "kimage/vmlinux.h"

/** At most this many symbols (6.12 has about 154,000). */
#define SE_KSYMS_MAX ((size_t)1 << 22)
/** Cap on the decoded names, all together (6.12 needs about 6 MiB). */
#define SE_KSYMS_MAX_POOL ((size_t)64 << 20)

#define SE_KSYM_PERCPU 0x1u /* addr is an offset inside the per-CPU area */
#define SE_KSYM_ABS    0x2u /* addr is some other absolute value (not in the image) */

typedef struct se_ksyms se_ksyms;

typedef struct se_ksym {
    const char *name; /* inside the table; valid until se_ksyms_free() */
    uint64_t addr;    /* link address (unslid), or the per-CPU offset / absolute value */
    char type;        /* nm-style type letter: 'T' global text, 't' local, 'D', 'b', ... */
    unsigned flags;   /* SE_KSYM_* */
} se_ksym;

/**
 * Decode the kallsyms tables inside vm's .rodata.
 * @return SE_OK; SE_ERR_INVALID_ARG (NULL vm/out); SE_ERR_NOT_FOUND (no .rodata or no token
 *         table/index pair in it); SE_ERR_FORMAT (tables found but inconsistent); SE_ERR_NOMEM.
 *         On failure *out is NULL and err (when errlen > 0) says why.
 */
se_status se_ksyms_from_vmlinux(const se_vmlinux *vm, se_ksyms **out, char *err, size_t errlen);

/**
 * Parse a System.map or /proc/kallsyms text ("ffffffff81000000 T _text" lines; module symbols,
 * "name\t[module]", are skipped; blank lines are ignored, any other malformed line is an error).
 * link_text: the image's _text link address (e.g. its .text section address); when non-zero,
 * *slide = file's _text - link_text (a KASLR slide) and every upper-half address is stored
 * unslid. link_text 0 takes the addresses as they are (*slide = 0). slide may be NULL.
 * @return SE_OK; SE_ERR_INVALID_ARG; SE_ERR_FORMAT (malformed line, no symbols, all addresses
 *         zero: /proc/kallsyms read without privilege); SE_ERR_NOT_FOUND (link_text given but no
 *         _text symbol); SE_ERR_NOMEM.
 */
se_status se_ksyms_from_map(const char *text, size_t len, uint64_t link_text, se_ksyms **out,
                            uint64_t *slide, char *err, size_t errlen);

/** Look a symbol up by name; a global (upper-case type) wins over a local of the same name. */
bool se_ksyms_lookup(const se_ksyms *k, const char *name, se_ksym *out);

/** se_ksyms_lookup() returning only the address and type (either may be NULL). */
bool se_ksyms_find(const se_ksyms *k, const char *name, uint64_t *addr, char *type);

/** The nearest symbol at or below addr (per-CPU and absolute ones skipped; among aliases a
 * global first), with *offset = addr - its address; NULL if none. O(log n). */
const char *se_ksyms_name_at(const se_ksyms *k, uint64_t addr, uint64_t *offset);

/** Symbol i in table order (i < se_ksyms_count()); false when out of range. */
bool se_ksyms_get(const se_ksyms *k, size_t i, se_ksym *out);

size_t se_ksyms_count(const se_ksyms *k);
void se_ksyms_free(se_ksyms *k);

#endif
