/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Load-time patching of the entry code's alternative blocks (the .se_patch table).
 *
 * entry_64.S marks blocks that are kept only when a feature is on (or off); each block has a
 * 16-byte record in the allocated section .se_patch (layout in entry/layout.h). After the ELF
 * loader has placed and relocated the object, se_entry_patch_sections() walks the table and
 * turns every block that is not kept into `jmp <end>` (EB rel8 when it reaches, else E9
 * rel32) followed by int3 bytes, which is what Linux's ALTERNATIVE "jmp .Lend", "", FEATURE
 * amounts to: a disabled mitigation shows up in a trace as one jmp.
 *
 * Rules the table must follow (anything else is SE_ERR_FORMAT, and nothing is written):
 * the table is a whole number of records; each record names a feature 1..SE_FEAT_COUNT-1,
 * polarity 0 or 1, reserved byte 0, a block of at least SE_PATCH_MIN_BLOCK bytes lying
 * entirely inside one of the given sections; any two blocks are disjoint or nested. When
 * nested blocks are both dropped, only the outermost is patched (an inner jmp written at a
 * shared start address would otherwise replace the outer one).
 */
#ifndef SE_ENTRY_PATCH_H
#define SE_ENTRY_PATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sysentry/config.h>
#include <sysentry/status.h>

#include "entry/layout.h"

/** One loaded section the records may point into: `len` bytes at guest address `va`. */
typedef struct se_entry_section {
    uint64_t va;    /**< guest virtual address of bytes[0] */
    uint8_t *bytes; /**< host copy, patched in place (caller-owned) */
    size_t len;     /**< size in bytes */
} se_entry_section;

/** One decoded .se_patch record. */
typedef struct se_patch_record {
    uint64_t start;   /**< guest address of the block's first byte */
    uint32_t len;     /**< block length in bytes */
    uint16_t feature; /**< SE_FEAT_* */
    uint8_t polarity; /**< SE_PATCH_KEEP_IF_ON or SE_PATCH_KEEP_IF_OFF */
    uint8_t reserved; /**< must be 0 */
} se_patch_record;

/**
 * @brief Decode record `index` of a .se_patch table (no validation beyond bounds).
 * @return SE_OK; SE_ERR_INVALID_ARG for NULL pointers; SE_ERR_FORMAT when the table length
 *         is not a multiple of SE_PATCH_RECORD_SIZE or `index` is past its end.
 */
se_status se_patch_record_read(const uint8_t *table, size_t table_len, size_t index,
                               se_patch_record *out);

/** @brief Whether the block of `rec` stays in the code for the feature word `features`. */
bool se_patch_record_kept(const se_patch_record *rec, uint64_t features);

/**
 * @brief Patch every block the feature word drops, in whichever section holds it.
 * @param secs      sections (non-overlapping guest ranges); patched in place
 * @param n_secs    number of sections
 * @param table     the relocated .se_patch bytes (start addresses already absolute)
 * @param table_len its size; 0 means nothing to patch
 * @param features  bit n set = SE_FEAT n on (bits 0 and >= SE_FEAT_COUNT must be clear)
 * @param err       optional: receives a message for the first problem found (or "")
 * @param errlen    size of err
 * @return SE_OK; SE_ERR_INVALID_ARG for NULL pointers, overlapping sections or unknown
 *         feature bits; SE_ERR_FORMAT for a malformed table (see the file comment). Nothing
 *         is written unless the whole table is valid.
 */
se_status se_entry_patch_sections(se_entry_section *secs, size_t n_secs, const uint8_t *table,
                                  size_t table_len, uint64_t features, char *err, size_t errlen);

/** @brief se_entry_patch_sections() for a single section `text` at `text_va`. */
se_status se_entry_patch(uint8_t *text, uint64_t text_va, size_t text_len, const uint8_t *table,
                         size_t table_len, uint64_t features, char *err, size_t errlen);

/**
 * @brief The feature word for a configuration: pti; pcid only together with pti; la57; ibrs;
 * xen_pv unless C0 is disabled; verw; kernel == SE_KERNEL_6_7; and SE_FEAT_CHECK_* for every
 * check C1..C6 whose SE_CHECK_BIT is not in cfg->disabled_checks.
 * @return the feature word; 0 for a NULL cfg.
 */
uint64_t se_entry_features(const se_config *cfg);

#endif /* SE_ENTRY_PATCH_H */
