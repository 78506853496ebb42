/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A kernel image's alternatives, applied as its boot would (arch/x86/kernel/alternative.c,
 * apply_alternatives()).
 *
 * A vmlinux holds the "feature off" code; each record of .altinstructions names a site in
 * executable code, a replacement in .altinstr_replacement and the CPU feature (X86_FEATURE_*
 * number, word * 32 + bit) under which boot copies the replacement over the site. Running the
 * unmodified entry code of a real kernel therefore needs the records applied for the features
 * the modelled CPU and command line have (PTI, PCID, the mitigations...).
 *
 * The record layout changed upstream: 12 bytes (u16 cpuid whose bit 15 means "patch when the
 * feature is absent") up to 6.2, 14 bytes (u32 ft_flags = feature:16 | flags:16) from 6.3 on.
 * The release in the image's banner picks the layout; every record is then validated (see
 * se_kalt_parse). docs/real-kernels.md, "Alternatives", has the details and the citations.
 *
 * The image is untrusted: every offset and length is bounds-checked, malformed tables are
 * SE_ERR_FORMAT with a message, and a replacement that cannot be relocated to its site is an
 * error, never a silently wrong patch.
 */
#ifndef SE_KIMAGE_ALTERNATIVES_H
#define SE_KIMAGE_ALTERNATIVES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sysentry/status.h>

#include "kimage/vmlinux.h"

/* Record flags (the 6.3+ ft_flags upper half; 6.1's bit 15 of cpuid maps to SE_KALT_NOT). */
#define SE_KALT_NOT         0x1u /* ALT_FLAG_NOT / ALTINSTR_FLAG_INV: patch if feature absent */
#define SE_KALT_DIRECT_CALL 0x2u /* ALT_FLAG_DIRECT_CALL: paravirt call site (left as compiled) */

typedef struct se_kalt {
    uint64_t site, repl; /* link addresses of the patched code and of its replacement */
    uint8_t site_len, repl_len;
    uint16_t feature; /* X86_FEATURE_* number of the image's release */
    uint16_t flags;   /* SE_KALT_* */
    bool when_absent; /* flags & SE_KALT_NOT: patch if the feature is NOT present */
} se_kalt;

/**
 * Parse and validate .altinstructions of vm. Each record's site must lie inside one executable
 * PROGBITS section, its replacement inside .altinstr_replacement, 1 <= site_len and
 * repl_len <= site_len, and the flags must be known. The record size is 12 bytes before 6.3 and
 * 14 from 6.3 on; if the table does not validate at the size the release says (or the release is
 * unknown), the other size is tried, and the table is accepted only if it validates completely.
 * No .altinstructions section: SE_OK with *n == 0.
 * On success *out (free() it; NULL when *n == 0) holds *n records in table order.
 * @return SE_OK; SE_ERR_INVALID_ARG; SE_ERR_FORMAT (message in err); SE_ERR_NOMEM.
 */
se_status se_kalt_parse(const se_vmlinux *vm, se_kalt **out, size_t *n, char *err, size_t errlen);

/** Whether the modelled CPU/boot has feature number `feature` (the image's numbering). */
typedef bool (*se_kalt_has_fn)(unsigned feature, void *ctx);

/** Writable bytes of the loaded image for [va, va + n), or NULL (the loader copies sections
 * into guest RAM; tests use a malloc'd copy of .text). */
typedef uint8_t *(*se_kalt_span_fn)(uint64_t va, size_t n, void *ctx);

typedef struct se_kalt_applied {
    uint64_t site;
    uint8_t len;
    uint16_t feature;
    bool when_absent;
} se_kalt_applied;

/**
 * Apply alts[0, n) in table order, as boot does (so that a later record for the same site, the
 * second half of an ALTERNATIVE_2, wins): when the condition holds (feature present, or absent
 * for SE_KALT_NOT), the replacement bytes (read from vm's file bytes) are copied to the site,
 * every relative branch/call (rel8, rel32) and RIP-relative memory operand in them is adjusted
 * to reach the same absolute target from the site (targets inside the replacement move with
 * it), and the rest of the site is filled with long NOPs (SDM Vol. 2B, NOP: the 1..8-byte
 * forms). Records whose condition does not hold are left as compiled (boot's NOP optimisation
 * of them is cosmetic and skipped). SE_KALT_DIRECT_CALL records are left as compiled: their
 * site is an indirect call through the statically initialised pv_ops, which reaches the same
 * function boot would call directly.
 * On success *applied (free() it; may be NULL when *n_applied == 0) lists the patched records.
 * On error the span bytes of earlier records may already be patched.
 * @return SE_OK; SE_ERR_INVALID_ARG; SE_ERR_NOT_MAPPED (span gave NULL); SE_ERR_FORMAT
 *         (replacement bytes missing or not decodable, DIRECT_CALL site not an indirect call);
 *         SE_ERR_UNSUPPORTED (a relocated displacement does not fit its field); SE_ERR_NOMEM.
 */
se_status se_kalt_apply(const se_vmlinux *vm, const se_kalt *alts, size_t n, se_kalt_has_fn has,
                        se_kalt_span_fn span, void *ctx, se_kalt_applied **applied,
                        size_t *n_applied, char *err, size_t errlen);

/* The features whose records lie on the entry paths of the supported images (the table in
 * docs/real-kernels.md gives their numbers and where each came from). */
/*
 * What boot's apply_returns() (arch/x86/kernel/alternative.c@v6.12) does on a CPU without
 * X86_FEATURE_RETHUNK: every `jmp __x86_return_thunk` (E9 rel32) listed in .return_sites
 * (s32 offsets relative to each entry) becomes `ret` padded with INT3. Entries that lie outside
 * the image, point at freed init code (span() returns NULL) or at anything but a jump to
 * `thunk` are left alone, as boot leaves them (its WARN_ONCE). An image without .return_sites
 * patches nothing. *patched counts the sites rewritten.
 * @return SE_OK; SE_ERR_FORMAT (a section size that is not whole entries; message in err)
 */
se_status se_kalt_apply_returns(const se_vmlinux *vm, uint64_t thunk, se_kalt_span_fn span,
                                void *ctx, size_t *patched, char *err, size_t errlen);

/*
 * What boot's ftrace_init() does to the calls the compiler put at function entries
 * (CONFIG_DYNAMIC_FTRACE): each `call __fentry__` (E8 rel32 to `fentry`) whose address is listed
 * in the u64 array [start, stop) of __mcount_loc becomes the 5-byte NOP `0f 1f 44 00 00`
 * (ftrace_nop_replace, x86_nops[5]). __mcount_loc lives in init data: it is read from the file
 * (vm), not from guest memory. Other entries are left alone.
 * @return SE_OK; SE_ERR_FORMAT (the array not inside one section with file data, or not whole
 *         entries)
 */
se_status se_kalt_nop_fentry(const se_vmlinux *vm, uint64_t start, uint64_t stop, uint64_t fentry,
                             se_kalt_span_fn span, void *ctx, size_t *patched, char *err,
                             size_t errlen);

typedef enum se_kfeature {
    SE_KF_ALWAYS,
    SE_KF_PTI,
    SE_KF_PCID,
    SE_KF_LA57,
    SE_KF_KERNEL_IBRS,
    SE_KF_CLEAR_BHB_LOOP,
    SE_KF_CLEAR_CPU_BUF,
    SE_KF_RETHUNK,
    SE_KF_UNRET,
    SE_KF_ENTRY_IBPB,
    SE_KF_XENPV,
    SE_KF_SMAP,
    SE_KF_FSGSBASE,
    SE_KF_RETPOLINE,
    SE_KF_RETPOLINE_LFENCE,
    SE_KF_SRSO_ALIAS,
    SE_KF_FENCE_SWAPGS_USER,
    SE_KF_FENCE_SWAPGS_KERNEL,
    SE_KF_CALL_DEPTH,
    SE_KF_BUG_NULL_SEG,     /* X86_BUG_NULL_SEG: bug bits follow the NCAPINTS feature words */
    SE_KF_BUG_SWAPGS_FENCE, /* X86_BUG_SWAPGS_FENCE */
    SE_KF_COUNT
} se_kfeature;

/** The number of feature f in release major.minor (6.1 and 6.12 as Debian builds them), or -1
 * when f does not exist there or the release is not tabulated. */
int se_kalt_feature_number(unsigned major, unsigned minor, se_kfeature f);

/** The name ("PTI") of feature number `number` in release major.minor, or NULL when the number
 * is not in the table. */
const char *se_kalt_feature_name(unsigned major, unsigned minor, unsigned number);

#endif
