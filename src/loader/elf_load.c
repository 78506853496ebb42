/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ELF64 loader for entry code (elf_load.h). References: the System V gABI (ELF header,
 * sections, symbols, relocation) and the x86-64 psABI §4.4 (relocation types and their
 * calculations: S = symbol value, A = addend, P = place being relocated).
 *
 * The file is untrusted. Every structure is copied out with memcpy (the buffer may be at any
 * alignment), every offset and size is checked against the buffer before use with
 * overflow-free comparisons, and every index is checked against its table.
 */
#include "loader/elf_load.h"

#include <elf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SE_ELF_MAX_SECTIONS 256u
#define SE_ELF_MAX_SEGMENTS 256u
#define SE_ELF_MAX_SYMBOLS  65536u
#define SE_ELF_MAX_MEMORY   (64ull << 20)
#define SE_ELF_PAGE         4096ull

typedef struct se_elf_sym {
    uint64_t va, size;
    size_t name; /* offset into the image's name pool */
    bool global; /* STB_GLOBAL or STB_WEAK */
} se_elf_sym;

struct se_elf_image {
    se_elf_section *secs;
    size_t n_secs;
    se_elf_sym *syms;
    size_t n_syms;
    char *names; /* every symbol name, NUL-terminated, one after another */
};

/* The file being read, and what has been validated about it so far. */
typedef struct se_elf_in {
    const uint8_t *d;
    size_t len;
    char *err;
    size_t errlen;
    Elf64_Ehdr eh;
    Elf64_Shdr *sh;    /* aligned copy of the section headers */
    unsigned shnum;    /* 0 when the file has none */
    unsigned symtab;   /* index of the SHT_SYMTAB section; 0: none */
    uint64_t nsym;     /* entries in it */
    uint64_t mem_used; /* bytes placed so far, against SE_ELF_MAX_MEMORY */
    /* ET_REL placement: address of every section that has one (SHF_ALLOC) */
    uint64_t sec_va[SE_ELF_MAX_SECTIONS];
    bool placed[SE_ELF_MAX_SECTIONS];
    int sec_img[SE_ELF_MAX_SECTIONS]; /* index in the image's section list, -1 if none */
} se_elf_in;

static se_status se_elf_fail(se_elf_in *in, se_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Record a message (when the caller gave a buffer) and return st. */
static se_status se_elf_fail(se_elf_in *in, se_status st, const char *fmt, ...)
{
    if (in->err != NULL && in->errlen > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(in->err, in->errlen, fmt, ap);
        va_end(ap);
    }
    return st;
}

/* [off, off + size) lies inside the file; no addition that could wrap */
static bool se_elf_in_file(const se_elf_in *in, uint64_t off, uint64_t size)
{
    return off <= in->len && size <= in->len - off;
}

/* A NUL-terminated string at offset off of string table section idx, or NULL when idx is not a
 * string table or the string would run past its end. */
static const char *se_elf_string(const se_elf_in *in, uint64_t idx, uint64_t off)
{
    if (idx == 0 || idx >= in->shnum)
        return NULL;
    const Elf64_Shdr *s = &in->sh[idx];
    if (s->sh_type != SHT_STRTAB || off >= s->sh_size)
        return NULL; /* in-file bounds of every STRTAB were checked with the headers */
    const char *str = (const char *)in->d + s->sh_offset + off;
    return memchr(str, '\0', (size_t)(s->sh_size - off)) != NULL ? str : NULL;
}

static const char *se_elf_section_name(const se_elf_in *in, unsigned idx)
{
    return se_elf_string(in, in->eh.e_shstrndx, in->sh[idx].sh_name);
}

/* ---- headers ------------------------------------------------------------------------------ */

static se_status se_elf_check_header(se_elf_in *in)
{
    if (in->len < sizeof in->eh)
        return se_elf_fail(in, SE_ERR_FORMAT, "file too short for an ELF header (%zu bytes)",
                           in->len);
    memcpy(&in->eh, in->d, sizeof in->eh);
    const Elf64_Ehdr *eh = &in->eh;
    if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0)
        return se_elf_fail(in, SE_ERR_FORMAT, "not an ELF file");
    if (eh->e_ident[EI_CLASS] != ELFCLASS64)
        return se_elf_fail(in, SE_ERR_FORMAT, "not ELF64 (class %u)", eh->e_ident[EI_CLASS]);
    if (eh->e_ident[EI_DATA] != ELFDATA2LSB)
        return se_elf_fail(in, SE_ERR_FORMAT, "not little-endian (data %u)", eh->e_ident[EI_DATA]);
    if (eh->e_ident[EI_VERSION] != EV_CURRENT || eh->e_version != EV_CURRENT)
        return se_elf_fail(in, SE_ERR_FORMAT, "unknown ELF version");
    if (eh->e_machine != EM_X86_64)
        return se_elf_fail(in, SE_ERR_FORMAT, "not x86-64 (machine %u)", eh->e_machine);
    if (eh->e_type != ET_REL && eh->e_type != ET_EXEC)
        return se_elf_fail(in, SE_ERR_FORMAT,
                           "type %u: only relocatable objects and executables are loaded",
                           eh->e_type);
    return SE_OK;
}

/* Copy the section headers and check what every later step relies on: contents inside the
 * file, one symbol table with a string table, string-table indexes in range. */
static se_status se_elf_read_sections(se_elf_in *in)
{
    const Elf64_Ehdr *eh = &in->eh;
    if (eh->e_shnum == 0) {
        /* gABI: e_shnum == 0 with a table means the count lives in sh[0].sh_size */
        if (eh->e_shoff != 0)
            return se_elf_fail(in, SE_ERR_FORMAT, "extended section numbering is not supported");
        return SE_OK;
    }
    if (eh->e_shnum > SE_ELF_MAX_SECTIONS)
        return se_elf_fail(in, SE_ERR_FORMAT, "too many sections (%u, at most %u)", eh->e_shnum,
                           SE_ELF_MAX_SECTIONS);
    if (eh->e_shentsize != sizeof(Elf64_Shdr))
        return se_elf_fail(in, SE_ERR_FORMAT, "section header size %u", eh->e_shentsize);
    if (!se_elf_in_file(in, eh->e_shoff, (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr)))
        return se_elf_fail(in, SE_ERR_FORMAT, "section headers lie outside the file");
    in->sh = malloc((size_t)eh->e_shnum * sizeof(Elf64_Shdr));
    if (in->sh == NULL)
        return se_elf_fail(in, SE_ERR_NOMEM, "out of memory");
    memcpy(in->sh, in->d + eh->e_shoff, (size_t)eh->e_shnum * sizeof(Elf64_Shdr));
    in->shnum = eh->e_shnum;
    if (eh->e_shstrndx == SHN_XINDEX)
        return se_elf_fail(in, SE_ERR_FORMAT, "extended section numbering is not supported");
    if (eh->e_shstrndx != SHN_UNDEF &&
        (eh->e_shstrndx >= in->shnum || in->sh[eh->e_shstrndx].sh_type != SHT_STRTAB))
        return se_elf_fail(in, SE_ERR_FORMAT, "section name table %u is not a string table",
                           eh->e_shstrndx);
    for (unsigned i = 0; i < in->shnum; i++) {
        const Elf64_Shdr *s = &in->sh[i];
        if (s->sh_type != SHT_NOBITS && s->sh_type != SHT_NULL &&
            !se_elf_in_file(in, s->sh_offset, s->sh_size))
            return se_elf_fail(in, SE_ERR_FORMAT, "section %u lies outside the file", i);
        if (s->sh_type != SHT_SYMTAB)
            continue;
        if (in->symtab != 0)
            return se_elf_fail(in, SE_ERR_FORMAT, "more than one symbol table");
        if (s->sh_entsize != sizeof(Elf64_Sym) || s->sh_size % sizeof(Elf64_Sym) != 0)
            return se_elf_fail(in, SE_ERR_FORMAT, "symbol table entry size %llu",
                               (unsigned long long)s->sh_entsize);
        if (s->sh_link == 0 || s->sh_link >= in->shnum || in->sh[s->sh_link].sh_type != SHT_STRTAB)
            return se_elf_fail(in, SE_ERR_FORMAT, "symbol table without a string table");
        if (s->sh_size / sizeof(Elf64_Sym) > SE_ELF_MAX_SYMBOLS)
            return se_elf_fail(in, SE_ERR_FORMAT, "too many symbols (at most %u)",
                               SE_ELF_MAX_SYMBOLS);
        in->symtab = i;
        in->nsym = s->sh_size / sizeof(Elf64_Sym);
    }
    return SE_OK;
}

static void se_elf_read_sym(const se_elf_in *in, uint64_t k, Elf64_Sym *y)
{
    /* k < nsym, and the whole table is inside the file (se_elf_read_sections) */
    memcpy(y, in->d + in->sh[in->symtab].sh_offset + k * sizeof *y, sizeof *y);
}

static const char *se_elf_sym_name(const se_elf_in *in, const Elf64_Sym *y)
{
    return se_elf_string(in, in->sh[in->symtab].sh_link, y->st_name);
}

/* ---- the image ---------------------------------------------------------------------------- */

void se_elf_free(se_elf_image *img)
{
    if (img == NULL)
        return;
    for (size_t i = 0; i < img->n_secs; i++)
        free(img->secs[i].bytes);
    free(img->secs);
    free(img->syms);
    free(img->names);
    free(img);
}

/* Account for size more bytes of guest memory: a fuzzed NOBITS size or p_memsz must not become
 * a multi-gigabyte allocation. */
static se_status se_elf_reserve(se_elf_in *in, uint64_t size, const char *what)
{
    if (size > SE_ELF_MAX_MEMORY - in->mem_used)
        return se_elf_fail(in, SE_ERR_FORMAT, "%s makes the image larger than %llu MiB", what,
                           (unsigned long long)(SE_ELF_MAX_MEMORY >> 20));
    in->mem_used += size;
    return SE_OK;
}

/* Append a section of the image; contents is NULL for all-zero memory, else filled bytes of it
 * are copied and the rest zeroed. */
static se_status se_elf_add_section(se_elf_in *in, se_elf_image *img, const char *name, uint64_t va,
                                    uint64_t size, const uint8_t *contents, uint64_t filled,
                                    bool exec, bool write)
{
    se_elf_section *s = &img->secs[img->n_secs];
    memset(s, 0, sizeof *s);
    snprintf(s->name, sizeof s->name, "%s", name);
    s->va = va;
    s->size = size;
    s->exec = exec;
    s->write = write;
    if (contents != NULL) {
        s->bytes = calloc(1, (size_t)size);
        if (s->bytes == NULL)
            return se_elf_fail(in, SE_ERR_NOMEM, "out of memory for %s", name);
        memcpy(s->bytes, contents, (size_t)filled);
    }
    img->n_secs++;
    return SE_OK;
}

/*
 * Decide whether symbol y is kept and at which address. Kept: defined, named, not ".L..."
 * (GNU as keeps those only on request; they are assembler temporaries), in a section that has
 * an address (SHF_ALLOC) or absolute. ET_REL values are section offsets; ET_EXEC values are
 * addresses already.
 */
static se_status se_elf_sym_address(se_elf_in *in, uint64_t k, const Elf64_Sym *y, bool *keep,
                                    uint64_t *va, const char **name)
{
    *keep = false;
    int type = ELF64_ST_TYPE(y->st_info);
    if (type == STT_SECTION || type == STT_FILE || y->st_shndx == SHN_UNDEF ||
        y->st_shndx == SHN_COMMON)
        return SE_OK;
    *name = se_elf_sym_name(in, y);
    if (*name == NULL)
        return se_elf_fail(in, SE_ERR_FORMAT, "symbol %llu has a bad name", (unsigned long long)k);
    if ((*name)[0] == '\0' || strncmp(*name, ".L", 2) == 0)
        return SE_OK;
    if (y->st_shndx == SHN_ABS) {
        *va = y->st_value;
        *keep = true;
        return SE_OK;
    }
    if (y->st_shndx == SHN_XINDEX)
        return se_elf_fail(in, SE_ERR_FORMAT, "extended section indexes are not supported");
    if (y->st_shndx >= SHN_LORESERVE)
        return SE_OK; /* processor- or OS-specific: nothing to place */
    if (y->st_shndx >= in->shnum)
        return se_elf_fail(in, SE_ERR_FORMAT, "symbol %s names section %u of %u", *name,
                           y->st_shndx, in->shnum);
    const Elf64_Shdr *s = &in->sh[y->st_shndx];
    if (in->eh.e_type == ET_EXEC) {
        if (!(s->sh_flags & SHF_ALLOC))
            return SE_OK; /* debug information and the like */
        *va = y->st_value;
    } else {
        if (!in->placed[y->st_shndx])
            return SE_OK; /* not loaded: debug information and the like */
        if (y->st_value > s->sh_size)
            return se_elf_fail(in, SE_ERR_FORMAT, "symbol %s lies outside its section", *name);
        *va = in->sec_va[y->st_shndx] + y->st_value;
    }
    *keep = true;
    return SE_OK;
}

/* Two passes over the symbol table: measure, then copy names into one pool. */
static se_status se_elf_collect_symbols(se_elf_in *in, se_elf_image *img)
{
    size_t count = 0, bytes = 0;
    for (int pass = 0; pass < 2; pass++) {
        for (uint64_t k = 1; k < in->nsym; k++) {
            Elf64_Sym y;
            se_elf_read_sym(in, k, &y);
            bool keep;
            uint64_t va = 0;
            const char *name = NULL;
            se_status st = se_elf_sym_address(in, k, &y, &keep, &va, &name);
            if (st != SE_OK)
                return st;
            if (!keep)
                continue;
            size_t n = strlen(name) + 1;
            if (pass == 0) {
                count++;
                bytes += n;
                continue;
            }
            se_elf_sym *out = &img->syms[img->n_syms++];
            out->va = va;
            out->size = y.st_size;
            out->global = ELF64_ST_BIND(y.st_info) != STB_LOCAL;
            out->name = bytes;
            memcpy(img->names + bytes, name, n);
            bytes += n;
        }
        if (pass == 0) {
            img->syms = calloc(count ? count : 1, sizeof *img->syms);
            img->names = malloc(bytes ? bytes : 1);
            if (img->syms == NULL || img->names == NULL)
                return se_elf_fail(in, SE_ERR_NOMEM, "out of memory for %zu symbols", count);
            bytes = 0;
        }
    }
    return SE_OK;
}

/* ---- ET_REL: placement -------------------------------------------------------------------- */

/* .entry.text first: PTI clones only the entry text into the user page tables
 * (pti_clone_entry_text), so it must not share a page with anything else; then code, then
 * data, each section on pages of its own so that permissions can differ. */
static int se_elf_rank(const char *name, const Elf64_Shdr *s)
{
    if (strcmp(name, ".entry.text") == 0)
        return 0;
    return (s->sh_flags & SHF_EXECINSTR) ? 1 : 2;
}

static se_status se_elf_place_sections(se_elf_in *in, se_elf_image *img, uint64_t base)
{
    uint64_t next = base;
    for (int pass = 0; pass < 3; pass++) {
        for (unsigned i = 1; i < in->shnum; i++) {
            const Elf64_Shdr *s = &in->sh[i];
            if (!(s->sh_flags & SHF_ALLOC) || s->sh_type == SHT_NULL)
                continue;
            const char *name = se_elf_section_name(in, i);
            if (name == NULL)
                return se_elf_fail(in, SE_ERR_FORMAT, "section %u has a bad name", i);
            if (se_elf_rank(name, s) != pass)
                continue;
            uint64_t align = s->sh_addralign;
            if (align > 1 && (align & (align - 1)) != 0)
                return se_elf_fail(in, SE_ERR_FORMAT, "section %s: alignment %llu", name,
                                   (unsigned long long)align);
            if (align < SE_ELF_PAGE)
                align = SE_ELF_PAGE;
            if (next > UINT64_MAX - (align - 1))
                return se_elf_fail(in, SE_ERR_FORMAT, "sections overflow the address space");
            next = (next + align - 1) & ~(align - 1);
            in->sec_va[i] = next;
            in->placed[i] = true;
            if (s->sh_size == 0)
                continue; /* has an address for its symbols, but no memory */
            se_status st = se_elf_reserve(in, s->sh_size, name);
            if (st != SE_OK)
                return st;
            if (s->sh_size > UINT64_MAX - next - (SE_ELF_PAGE - 1))
                return se_elf_fail(in, SE_ERR_FORMAT, "sections overflow the address space");
            in->sec_img[i] = (int)img->n_secs;
            bool nobits = s->sh_type == SHT_NOBITS;
            st = se_elf_add_section(
                in, img, name, next, s->sh_size, nobits ? NULL : in->d + s->sh_offset, s->sh_size,
                (s->sh_flags & SHF_EXECINSTR) != 0, (s->sh_flags & SHF_WRITE) != 0);
            if (st != SE_OK)
                return st;
            next = (next + s->sh_size + SE_ELF_PAGE - 1) & ~(SE_ELF_PAGE - 1);
        }
    }
    return SE_OK;
}

/* ---- ET_REL: relocation ------------------------------------------------------------------- */

static const char *se_elf_reloc_name(uint32_t type)
{
    switch (type) {
    case R_X86_64_64:
        return "R_X86_64_64";
    case R_X86_64_PC32:
        return "R_X86_64_PC32";
    case R_X86_64_PLT32:
        return "R_X86_64_PLT32";
    case R_X86_64_32:
        return "R_X86_64_32";
    case R_X86_64_32S:
        return "R_X86_64_32S";
    default:
        return "relocation";
    }
}

static void se_elf_put_le(uint8_t *where, uint64_t v, unsigned width)
{
    for (unsigned b = 0; b < width; b++)
        where[b] = (uint8_t)(v >> (8 * b));
}

/* S for relocation r: the symbol's address. Undefined symbols are SE_ERR_NOT_FOUND: the object
 * expects something this loader does not provide. */
static se_status se_elf_reloc_symbol(se_elf_in *in, uint64_t symi, const char *where,
                                     uint64_t offset, uint64_t *S)
{
    if (symi == STN_UNDEF) {
        *S = 0; /* gABI: no symbol, S = 0 */
        return SE_OK;
    }
    if (symi >= in->nsym)
        return se_elf_fail(in, SE_ERR_FORMAT, "relocation at %s+0x%llx names symbol %llu of %llu",
                           where, (unsigned long long)offset, (unsigned long long)symi,
                           (unsigned long long)in->nsym);
    Elf64_Sym y;
    se_elf_read_sym(in, symi, &y);
    if (y.st_shndx == SHN_UNDEF) {
        const char *name = se_elf_sym_name(in, &y);
        return se_elf_fail(in, SE_ERR_NOT_FOUND, "undefined symbol '%s' referenced at %s+0x%llx",
                           name != NULL ? name : "?", where, (unsigned long long)offset);
    }
    if (y.st_shndx == SHN_ABS) {
        *S = y.st_value;
        return SE_OK;
    }
    if (y.st_shndx >= in->shnum || !in->placed[y.st_shndx])
        return se_elf_fail(in, SE_ERR_FORMAT,
                           "relocation at %s+0x%llx refers to a section that is not loaded", where,
                           (unsigned long long)offset);
    if (y.st_value > in->sh[y.st_shndx].sh_size)
        return se_elf_fail(in, SE_ERR_FORMAT, "symbol %llu lies outside its section",
                           (unsigned long long)symi);
    *S = in->sec_va[y.st_shndx] + y.st_value;
    return SE_OK;
}

static se_status se_elf_apply_rela(se_elf_in *in, se_elf_image *img, unsigned ri)
{
    const Elf64_Shdr *rs = &in->sh[ri];
    if (rs->sh_info == 0 || rs->sh_info >= in->shnum)
        return se_elf_fail(in, SE_ERR_FORMAT, "relocation section %u targets section %u", ri,
                           rs->sh_info);
    if (!in->placed[rs->sh_info])
        return SE_OK; /* relocations of debug information: nothing to load */
    if (in->sec_img[rs->sh_info] < 0) {
        if (rs->sh_size != 0) /* an empty section has no place to relocate */
            return se_elf_fail(in, SE_ERR_FORMAT, "relocations for an empty section");
        return SE_OK;
    }
    se_elf_section *t = &img->secs[in->sec_img[rs->sh_info]];
    if (rs->sh_entsize != sizeof(Elf64_Rela) || rs->sh_size % sizeof(Elf64_Rela) != 0)
        return se_elf_fail(in, SE_ERR_FORMAT, "relocation section %u: entry size %llu", ri,
                           (unsigned long long)rs->sh_entsize);
    if (rs->sh_size != 0 && (in->symtab == 0 || rs->sh_link != in->symtab))
        return se_elf_fail(in, SE_ERR_FORMAT, "relocation section %u without the symbol table", ri);
    if (rs->sh_size != 0 && t->bytes == NULL)
        return se_elf_fail(in, SE_ERR_FORMAT, "relocations for %s, which has no contents", t->name);
    for (uint64_t k = 0; k < rs->sh_size / sizeof(Elf64_Rela); k++) {
        Elf64_Rela r;
        memcpy(&r, in->d + rs->sh_offset + k * sizeof r, sizeof r);
        uint32_t type = (uint32_t)ELF64_R_TYPE(r.r_info);
        if (type == R_X86_64_NONE)
            continue;
        unsigned width;
        switch (type) {
        case R_X86_64_64:
            width = 8;
            break;
        case R_X86_64_PC32:
        case R_X86_64_PLT32:
        case R_X86_64_32:
        case R_X86_64_32S:
            width = 4;
            break;
        default:
            return se_elf_fail(in, SE_ERR_FORMAT, "unsupported relocation type %u at %s+0x%llx",
                               type, t->name, (unsigned long long)r.r_offset);
        }
        if (r.r_offset > t->size || width > t->size - r.r_offset)
            return se_elf_fail(in, SE_ERR_FORMAT, "relocation offset 0x%llx outside %s",
                               (unsigned long long)r.r_offset, t->name);
        uint64_t S = 0;
        se_status st = se_elf_reloc_symbol(in, ELF64_R_SYM(r.r_info), t->name, r.r_offset, &S);
        if (st != SE_OK)
            return st;
        /* psABI §4.4.1: all arithmetic modulo 2^64, then the field must hold the value */
        const uint64_t A = (uint64_t)r.r_addend, P = t->va + r.r_offset;
        uint64_t v = S + A;
        bool fits = true;
        switch (type) {
        case R_X86_64_64:
            break;
        case R_X86_64_PC32:
        case R_X86_64_PLT32: /* no PLT here: the call goes straight to the symbol */
            v = S + A - P;
            fits = v + 0x80000000ull <= 0xFFFFFFFFull; /* sign-extends back to v */
            break;
        case R_X86_64_32:
            fits = v <= 0xFFFFFFFFull; /* zero-extends back to v */
            break;
        default: /* R_X86_64_32S */
            fits = v + 0x80000000ull <= 0xFFFFFFFFull;
            break;
        }
        if (!fits)
            return se_elf_fail(in, SE_ERR_FORMAT,
                               "%s at %s+0x%llx: value 0x%llx does not fit in 32 bits",
                               se_elf_reloc_name(type), t->name, (unsigned long long)r.r_offset,
                               (unsigned long long)v);
        se_elf_put_le(t->bytes + r.r_offset, v, width);
    }
    return SE_OK;
}

static se_status se_elf_load_rel(se_elf_in *in, se_elf_image *img, uint64_t base)
{
    if (in->shnum == 0)
        return se_elf_fail(in, SE_ERR_FORMAT, "relocatable object without sections");
    if (in->eh.e_shstrndx == SHN_UNDEF)
        return se_elf_fail(in, SE_ERR_FORMAT, "relocatable object without section names");
    for (unsigned i = 0; i < SE_ELF_MAX_SECTIONS; i++)
        in->sec_img[i] = -1;
    img->secs = calloc(in->shnum, sizeof *img->secs);
    if (img->secs == NULL)
        return se_elf_fail(in, SE_ERR_NOMEM, "out of memory");
    se_status st = se_elf_place_sections(in, img, base);
    if (st != SE_OK)
        return st;
    st = se_elf_collect_symbols(in, img);
    for (unsigned i = 0; st == SE_OK && i < in->shnum; i++) {
        if (in->sh[i].sh_type == SHT_REL)
            st = se_elf_fail(in, SE_ERR_FORMAT, "SHT_REL relocations are not used on x86-64");
        else if (in->sh[i].sh_type == SHT_RELA)
            st = se_elf_apply_rela(in, img, i);
    }
    return st;
}

/* ---- ET_EXEC ------------------------------------------------------------------------------ */

/* The name of the allocated section a segment starts with, so that ".entry.text" keeps its
 * name when a linker script gives it a segment of its own. */
static void se_elf_segment_name(const se_elf_in *in, const Elf64_Phdr *ph, unsigned i, char *buf,
                                size_t len)
{
    for (unsigned k = 1; k < in->shnum; k++) {
        const Elf64_Shdr *s = &in->sh[k];
        if ((s->sh_flags & SHF_ALLOC) && s->sh_size != 0 && s->sh_addr == ph->p_vaddr) {
            const char *name = se_elf_section_name(in, k);
            if (name != NULL && name[0] != '\0') {
                snprintf(buf, len, "%s", name);
                return;
            }
        }
    }
    snprintf(buf, len, "load%u", i);
}

static se_status se_elf_load_exec(se_elf_in *in, se_elf_image *img)
{
    const Elf64_Ehdr *eh = &in->eh;
    if (eh->e_phnum == 0)
        return se_elf_fail(in, SE_ERR_FORMAT, "executable without program headers");
    if (eh->e_phentsize != sizeof(Elf64_Phdr))
        return se_elf_fail(in, SE_ERR_FORMAT, "program header size %u", eh->e_phentsize);
    if (!se_elf_in_file(in, eh->e_phoff, (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr)))
        return se_elf_fail(in, SE_ERR_FORMAT, "program headers lie outside the file");
    img->secs = calloc(SE_ELF_MAX_SEGMENTS, sizeof *img->secs);
    if (img->secs == NULL)
        return se_elf_fail(in, SE_ERR_NOMEM, "out of memory");
    for (unsigned i = 0; i < eh->e_phnum; i++) {
        Elf64_Phdr ph;
        memcpy(&ph, in->d + eh->e_phoff + (uint64_t)i * sizeof ph, sizeof ph);
        if (ph.p_type != PT_LOAD || ph.p_memsz == 0)
            continue;
        if (ph.p_filesz > ph.p_memsz || !se_elf_in_file(in, ph.p_offset, ph.p_filesz))
            return se_elf_fail(in, SE_ERR_FORMAT, "segment %u lies outside the file", i);
        if (ph.p_vaddr > UINT64_MAX - (ph.p_memsz - 1))
            return se_elf_fail(in, SE_ERR_FORMAT, "segment %u wraps around the address space", i);
        for (size_t k = 0; k < img->n_secs; k++) {
            const se_elf_section *o = &img->secs[k];
            if (ph.p_vaddr <= o->va + (o->size - 1) && o->va <= ph.p_vaddr + (ph.p_memsz - 1))
                return se_elf_fail(in, SE_ERR_FORMAT, "segment %u overlaps segment %s", i, o->name);
        }
        if (img->n_secs == SE_ELF_MAX_SEGMENTS)
            return se_elf_fail(in, SE_ERR_FORMAT, "too many loadable segments (at most %u)",
                               SE_ELF_MAX_SEGMENTS);
        char name[32];
        se_elf_segment_name(in, &ph, i, name, sizeof name);
        se_status st = se_elf_reserve(in, ph.p_memsz, name);
        if (st == SE_OK)
            st = se_elf_add_section(in, img, name, ph.p_vaddr, ph.p_memsz,
                                    ph.p_filesz ? in->d + ph.p_offset : NULL, ph.p_filesz,
                                    (ph.p_flags & PF_X) != 0, (ph.p_flags & PF_W) != 0);
        if (st != SE_OK)
            return st;
    }
    if (img->n_secs == 0)
        return se_elf_fail(in, SE_ERR_FORMAT, "executable without a loadable segment");
    return se_elf_collect_symbols(in, img);
}

/* ---- entry point and accessors ------------------------------------------------------------ */

se_status se_elf_load(const void *data, size_t len, uint64_t base, se_elf_image **out, char *err,
                      size_t errlen)
{
    if (err != NULL && errlen > 0)
        err[0] = '\0';
    if (out == NULL)
        return SE_ERR_INVALID_ARG;
    *out = NULL;
    if (data == NULL)
        return SE_ERR_INVALID_ARG;
    se_elf_in *in = calloc(1, sizeof *in);
    se_elf_image *img = calloc(1, sizeof *img);
    se_status st = SE_ERR_NOMEM;
    if (in != NULL && img != NULL) {
        *in = (se_elf_in){.d = data, .len = len, .err = err, .errlen = errlen};
        st = se_elf_check_header(in);
        if (st == SE_OK && in->eh.e_type == ET_REL && (base & (SE_ELF_PAGE - 1)) != 0)
            st = se_elf_fail(in, SE_ERR_INVALID_ARG, "base 0x%llx is not page-aligned",
                             (unsigned long long)base);
        if (st == SE_OK)
            st = se_elf_read_sections(in);
        if (st == SE_OK)
            st = in->eh.e_type == ET_REL ? se_elf_load_rel(in, img, base)
                                         : se_elf_load_exec(in, img);
    } else if (err != NULL && errlen > 0) {
        snprintf(err, errlen, "out of memory");
    }
    if (in != NULL)
        free(in->sh);
    free(in);
    if (st != SE_OK) {
        se_elf_free(img);
        return st;
    }
    if (err != NULL && errlen > 0)
        err[0] = '\0';
    *out = img;
    return SE_OK;
}

size_t se_elf_section_count(const se_elf_image *img)
{
    return img != NULL ? img->n_secs : 0;
}

const se_elf_section *se_elf_section_at(const se_elf_image *img, size_t i)
{
    return img != NULL && i < img->n_secs ? &img->secs[i] : NULL;
}

const se_elf_section *se_elf_section_by_name(const se_elf_image *img, const char *name)
{
    if (img == NULL || name == NULL)
        return NULL;
    for (size_t i = 0; i < img->n_secs; i++)
        if (strcmp(img->secs[i].name, name) == 0)
            return &img->secs[i];
    return NULL;
}

se_status se_elf_symbol(const se_elf_image *img, const char *name, uint64_t *va)
{
    if (img == NULL || name == NULL || va == NULL)
        return SE_ERR_INVALID_ARG;
    const se_elf_sym *local = NULL;
    for (size_t i = 0; i < img->n_syms; i++) {
        const se_elf_sym *s = &img->syms[i];
        if (strcmp(img->names + s->name, name) != 0)
            continue;
        if (s->global) {
            *va = s->va;
            return SE_OK;
        }
        if (local == NULL)
            local = s;
    }
    if (local == NULL)
        return SE_ERR_NOT_FOUND;
    *va = local->va;
    return SE_OK;
}

size_t se_elf_symbol_count(const se_elf_image *img)
{
    return img != NULL ? img->n_syms : 0;
}

const char *se_elf_symbol_at(const se_elf_image *img, size_t i, uint64_t *va, uint64_t *size)
{
    if (img == NULL || i >= img->n_syms)
        return NULL;
    if (va != NULL)
        *va = img->syms[i].va;
    if (size != NULL)
        *size = img->syms[i].size;
    return img->names + img->syms[i].name;
}
