/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Helpers shared by the tests that use the assembled entry object: load the embedded object
 * with the ELF loader, resolve labels, and make patched copies of its sections.
 */
#ifndef SE_TEST_ENTRY_IMAGE_UTIL_H
#define SE_TEST_ENTRY_IMAGE_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sysentry/config.h>

#include "entry/patch.h"
#include "loader/elf_load.h"

/* The loaded object and its three interesting sections. */
struct se_t_image {
    se_elf_image *img;
    const se_elf_section *entry_text, *text, *patch;
};

/* Load the embedded object at `base`; 0 on success, -1 (with a message printed) on failure. */
int se_t_image_load(struct se_t_image *im, uint64_t base);
void se_t_image_free(struct se_t_image *im);

/* Address of a label; fails the current test when it does not resolve. */
uint64_t se_t_image_sym(const struct se_t_image *im, const char *name);

/* Patched copies of every loaded section that has bytes (owned; free with the function). */
struct se_t_patched {
    se_entry_section secs[16];
    size_t n;
    uint64_t features;
};

/* Copy and patch for `cfg`; fails the current test when patching fails. */
void se_t_image_patch(const struct se_t_image *im, const se_config *cfg, struct se_t_patched *p);
void se_t_patched_free(struct se_t_patched *p);

/* Host pointer to the patched byte at `va` and how many bytes follow in its section. */
const uint8_t *se_t_patched_at(const struct se_t_patched *p, uint64_t va, size_t *avail);

#endif
