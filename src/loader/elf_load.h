/*
 * A small ELF64 x86-64 loader for kernel entry code: the library's own (assembled at build
 * time and embedded) and code a user assembled. ET_REL objects get their allocated sections
 * placed at page-aligned addresses from a base (.entry.text first, so the PTI-shared entry
 * text has its own pages) and their RELA relocations applied; ET_EXEC files are taken at
 * their PT_LOAD addresses. Every offset and size read from the file is bounds-checked: a
 * malformed file yields SE_ERR_FORMAT, never an out-of-bounds access.
 */
#ifndef SE_ELF_LOAD_H
#define SE_ELF_LOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sysentry/status.h>

/* One allocated section (ET_REL) or loadable segment (ET_EXEC) placed in guest memory. */
typedef struct se_elf_section {
    char name[32];  /* section name; "load0", "load1"... for ET_EXEC segments */
    uint64_t va;    /* where it is placed */
    uint64_t size;  /* bytes in guest memory */
    uint8_t *bytes; /* relocated contents, size bytes (zero-filled for NOBITS) */
    bool exec, write;
} se_elf_section;

typedef struct se_elf_image se_elf_image;

se_status se_elf_load(const void *data, size_t len, uint64_t base, se_elf_image **out, char *err,
                      size_t errlen);
void se_elf_free(se_elf_image *img);
size_t se_elf_section_count(const se_elf_image *img);
const se_elf_section *se_elf_section_at(const se_elf_image *img, size_t i);
const se_elf_section *se_elf_section_by_name(const se_elf_image *img, const char *name);
/* Defined symbols with a name, global or local: SE_ERR_NOT_FOUND when absent. */
se_status se_elf_symbol(const se_elf_image *img, const char *name, uint64_t *va);
size_t se_elf_symbol_count(const se_elf_image *img);
const char *se_elf_symbol_at(const se_elf_image *img, size_t i, uint64_t *va, uint64_t *size);

#endif /* SE_ELF_LOAD_H */
