/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The built-in entry code: entry_64.S assembled into an ELF relocatable object at build time
 * and embedded in the library (src/entry/CMakeLists.txt). Load it with the ELF loader, patch
 * its alternatives (entry/patch.h), then resolve the labels listed in docs/entry.md by name.
 */
#ifndef SE_ENTRY_BUILTIN_H
#define SE_ENTRY_BUILTIN_H

#include <stddef.h>
#include <stdint.h>

/* [start, end) is the whole object file, 16-byte aligned, read-only. */
extern const uint8_t se_entry_linux_obj_start[], se_entry_linux_obj_end[];

/* Size in bytes of the embedded object. */
static inline size_t se_entry_linux_obj_size(void)
{
    return (size_t)(se_entry_linux_obj_end - se_entry_linux_obj_start);
}

#endif /* SE_ENTRY_BUILTIN_H */
