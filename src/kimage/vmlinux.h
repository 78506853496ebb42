/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A read-only view of a vmlinux: the ELF64 x86-64 executable a bzImage decompresses to
 * (kimage.h). Distribution kernels ship it stripped (no .symtab) but with section headers, which
 * is all the loader needs: .text/.rodata/.data/.bss by name, the per-CPU template
 * (.data..percpu, linked at address 0), the alternatives tables, kallsyms inside .rodata.
 *
 * The bytes are untrusted: every header, name and range is bounds-checked when the view is
 * opened, so that the accessors below can never read outside the buffer. The view borrows the
 * buffer; it must outlive the view.
 */
#ifndef SE_KIMAGE_VMLINUX_H
#define SE_KIMAGE_VMLINUX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sysentry/status.h>

#define SE_SHT_PROGBITS 1u
#define SE_SHT_NOBITS   8u
#define SE_SHF_WRITE    0x1u
#define SE_SHF_ALLOC    0x2u
#define SE_SHF_EXEC     0x4u

typedef struct se_vmlinux_section {
    const char *name; /* NUL-terminated, inside the image's section-name table */
    uint32_t type;    /* SE_SHT_* (others kept as they are) */
    uint64_t flags;   /* SE_SHF_* */
    uint64_t addr;    /* link address (0 for the per-CPU template) */
    uint64_t size;
    const uint8_t *bytes; /* size bytes of file data; NULL for NOBITS and empty sections */
} se_vmlinux_section;

typedef struct se_vmlinux {
    const uint8_t *data;
    size_t len;
    se_vmlinux_section *secs;
    size_t n_secs;
    /* "Linux version X.Y.Z..." from the banner in .rodata; 0 when absent */
    unsigned major, minor, patch;
    char release[64]; /* the release string ("6.1.0-27-cloud-amd64"), "" when absent */
} se_vmlinux;

/**
 * Open a view of the ELF in elf[0, len): ELF64, little-endian, x86-64, ET_EXEC, with a section
 * header table and a section-name table inside the buffer. Sections whose data would lie outside
 * the buffer, or whose address range wraps, make the image malformed.
 * @return SE_OK; SE_ERR_INVALID_ARG (NULL); SE_ERR_FORMAT (with a message in err);
 *         SE_ERR_NOMEM.
 */
se_status se_vmlinux_open(const uint8_t *elf, size_t len, se_vmlinux *out, char *err,
                          size_t errlen);
void se_vmlinux_close(se_vmlinux *vm);

/** The first section called `name`, or NULL. */
const se_vmlinux_section *se_vmlinux_section_by_name(const se_vmlinux *vm, const char *name);

/** File bytes for [va, va + n) if they lie inside one allocated PROGBITS section, else NULL
 * (the per-CPU template, linked at 0, is never found this way). */
const uint8_t *se_vmlinux_at(const se_vmlinux *vm, uint64_t va, size_t n);

/** The allocated section holding va (PROGBITS or NOBITS, upper half only), or NULL. */
const se_vmlinux_section *se_vmlinux_section_at(const se_vmlinux *vm, uint64_t va);

#endif
