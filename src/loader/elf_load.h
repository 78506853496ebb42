/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A small ELF64 x86-64 loader for kernel entry code: the library's own (assembled at build
 * time into a relocatable object and embedded) and code a user assembled or linked.
 *
 * ET_REL: every SHF_ALLOC section is placed at increasing page-aligned addresses from a base,
 * ".entry.text" first (so that the entry text, the only code PTI shares with the user page
 * tables, has pages of its own), then the other executable sections, then the rest; RELA
 * relocations R_X86_64_NONE, _64, _PC32, _PLT32 (as PC32: there is no PLT), _32 and _32S are
 * applied with overflow checks. ET_EXEC: PT_LOAD segments at their p_vaddr.
 *
 * The input is untrusted: every offset, size, index and string read from it is bounds-checked
 * and a malformed file yields SE_ERR_FORMAT with a message, never an out-of-bounds access.
 * Limits: 256 sections, 256 loaded segments, 65536 symbols, 64 MiB of placed memory in total.
 */
#ifndef SE_ELF_LOAD_H
#define SE_ELF_LOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sysentry/status.h>

/** One allocated section (ET_REL) or loadable segment (ET_EXEC) placed in guest memory. */
typedef struct se_elf_section {
    char name[32];  /**< section name (truncated to 31 bytes); for an ET_EXEC segment the name
                         of the section that starts it, else "load<N>" (N = program header) */
    uint64_t va;    /**< where it is placed */
    uint64_t size;  /**< bytes in guest memory (never 0) */
    uint8_t *bytes; /**< size bytes of relocated contents, owned by the image; NULL when the
                         contents are all zero by definition (SHT_NOBITS, p_filesz == 0) */
    bool exec, write;
} se_elf_section;

/** A loaded object: its placed sections and defined symbols. Opaque. */
typedef struct se_elf_image se_elf_image;

/**
 * @brief Parse, place and relocate an ELF64 little-endian x86-64 object held in memory.
 * @param data, len the file; only read, and not referenced after the call
 * @param base      ET_REL: the page-aligned address of the first section; ET_EXEC: ignored
 * @param out       receives the image (free with se_elf_free), or NULL on failure
 * @param err, errlen optional buffer for a one-line message (empty on success)
 * @return ::SE_OK; ::SE_ERR_FORMAT for a malformed or unsupported file (wrong class, data,
 *         machine or type, out-of-bounds offsets, bad string indexes, relocation overflow,
 *         unsupported relocation type, limits exceeded); ::SE_ERR_NOT_FOUND when a relocation
 *         names an undefined symbol (the message names it); ::SE_ERR_INVALID_ARG for NULL
 *         data/out or a misaligned base; ::SE_ERR_NOMEM.
 */
se_status se_elf_load(const void *data, size_t len, uint64_t base, se_elf_image **out, char *err,
                      size_t errlen);

/** @brief Free an image and everything it owns; NULL is fine. */
void se_elf_free(se_elf_image *img);

/** @brief Number of placed sections (0 for NULL), in placement order for ET_REL. */
size_t se_elf_section_count(const se_elf_image *img);

/** @brief Section i, owned by the image; NULL when img is NULL or i is out of range. */
const se_elf_section *se_elf_section_at(const se_elf_image *img, size_t i);

/** @brief The first placed section with this name; NULL when none (or NULL arguments). */
const se_elf_section *se_elf_section_by_name(const se_elf_image *img, const char *name);

/**
 * @brief Address of a defined symbol, global or local (assembler-internal ".L" names are not
 * kept). A global or weak definition is preferred over a local one of the same name.
 * @return ::SE_OK; ::SE_ERR_NOT_FOUND; ::SE_ERR_INVALID_ARG for NULL arguments.
 */
se_status se_elf_symbol(const se_elf_image *img, const char *name, uint64_t *va);

/** @brief Number of defined, named symbols (0 for NULL). */
size_t se_elf_symbol_count(const se_elf_image *img);

/**
 * @brief Symbol i: its name (owned by the image), and optionally its address and st_size.
 * @return NULL when img is NULL or i is out of range.
 */
const char *se_elf_symbol_at(const se_elf_image *img, size_t i, uint64_t *va, uint64_t *size);

#endif /* SE_ELF_LOAD_H */
