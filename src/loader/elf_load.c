/* ELF64 loader for entry code; see elf_load.h. */
#include "loader/elf_load.h"

#include <elf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SE_ELF_MAX_SECTIONS 256
#define SE_ELF_MAX_SYMBOLS  65536

typedef struct se_elf_sym {
    char *name;
    uint64_t va, size;
} se_elf_sym;

struct se_elf_image {
    se_elf_section *secs;
    size_t n_secs;
    se_elf_sym *syms;
    size_t n_syms;
    Elf64_Sym *owned_symtab; /* aligned copy of the file's symbol table, while loading */
};

/* An aligned copy of file bytes: the file itself may be at any alignment. */
static void *se_elf_copy(const uint8_t *src, size_t len)
{
    void *p = malloc(len ? len : 1);
    if (p != NULL)
        memcpy(p, src, len);
    return p;
}

typedef struct se_elf_in {
    const uint8_t *d;
    size_t len;
    char *err;
    size_t errlen;
} se_elf_in;

__attribute__((format(printf, 2, 3))) static se_status se_elf_fail(se_elf_in *in, const char *fmt,
                                                                   ...)
{
    if (in->err != NULL && in->errlen > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(in->err, in->errlen, fmt, ap);
        va_end(ap);
    }
    return SE_ERR_FORMAT;
}

/* [off, off + size) inside the file, without overflow */
static bool se_elf_in_bounds(const se_elf_in *in, uint64_t off, uint64_t size)
{
    return off <= in->len && size <= in->len - off;
}

static const char *se_elf_str(const se_elf_in *in, const Elf64_Shdr *strtab, uint32_t off)
{
    if (strtab == NULL || off >= strtab->sh_size)
        return NULL;
    const char *s = (const char *)in->d + strtab->sh_offset + off;
    if (memchr(s, '\0', strtab->sh_size - off) == NULL)
        return NULL;
    return s;
}

void se_elf_free(se_elf_image *img)
{
    if (img == NULL)
        return;
    free(img->owned_symtab);
    for (size_t i = 0; i < img->n_secs; i++)
        free(img->secs[i].bytes);
    for (size_t i = 0; i < img->n_syms; i++)
        free(img->syms[i].name);
    free(img->secs);
    free(img->syms);
    free(img);
}

static se_status se_elf_add_sym(se_elf_image *img, const char *name, uint64_t va, uint64_t size)
{
    size_t len = strlen(name);
    char *copy = malloc(len + 1);
    if (copy == NULL)
        return SE_ERR_NOMEM;
    memcpy(copy, name, len + 1);
    img->syms[img->n_syms++] = (se_elf_sym){.name = copy, .va = va, .size = size};
    return SE_OK;
}

/* Relocations of one RELA section against its target section (ET_REL). */
static se_status se_elf_relocate(se_elf_in *in, const Elf64_Shdr *rsh, se_elf_section *target,
                                 const Elf64_Sym *symtab, size_t nsym, const uint64_t *sec_va,
                                 size_t shnum)
{
    if (rsh->sh_entsize != sizeof(Elf64_Rela) || rsh->sh_size % sizeof(Elf64_Rela) != 0)
        return se_elf_fail(in, "bad RELA section entry size");
    for (uint64_t k = 0; k < rsh->sh_size / sizeof(Elf64_Rela); k++) {
        Elf64_Rela r;
        memcpy(&r, in->d + rsh->sh_offset + k * sizeof r, sizeof r);
        uint32_t type = ELF64_R_TYPE(r.r_info);
        uint64_t symi = ELF64_R_SYM(r.r_info);
        if (type == R_X86_64_NONE)
            continue;
        if (symi >= nsym)
            return se_elf_fail(in, "relocation %llu names symbol %llu of %zu",
                               (unsigned long long)k, (unsigned long long)symi, nsym);
        const Elf64_Sym *y = &symtab[symi];
        uint64_t S;
        if (y->st_shndx == SHN_ABS)
            S = y->st_value;
        else if (y->st_shndx == SHN_UNDEF)
            return SE_ERR_NOT_FOUND; /* reported by the caller with the name */
        else if (y->st_shndx < shnum && sec_va[y->st_shndx] != 0)
            S = sec_va[y->st_shndx] + y->st_value;
        else
            return se_elf_fail(in, "relocation against a section that is not loaded");
        int64_t A = r.r_addend;
        uint64_t P = target->va + r.r_offset;
        size_t width = type == R_X86_64_64 ? 8 : 4;
        if (r.r_offset > target->size || width > target->size - r.r_offset)
            return se_elf_fail(in, "relocation offset 0x%llx outside %s",
                               (unsigned long long)r.r_offset, target->name);
        uint8_t *where = target->bytes + r.r_offset;
        switch (type) {
        case R_X86_64_64: {
            uint64_t v = S + (uint64_t)A;
            memcpy(where, &v, 8);
            break;
        }
        case R_X86_64_PC32:
        case R_X86_64_PLT32: { /* no PLT: a direct PC-relative reference */
            int64_t v = (int64_t)(S + (uint64_t)A - P);
            if (v < INT32_MIN || v > INT32_MAX)
                return se_elf_fail(in, "PC-relative relocation out of range");
            int32_t v32 = (int32_t)v;
            memcpy(where, &v32, 4);
            break;
        }
        case R_X86_64_32: {
            uint64_t v = S + (uint64_t)A;
            if (v > UINT32_MAX)
                return se_elf_fail(in, "R_X86_64_32 value 0x%llx does not fit",
                                   (unsigned long long)v);
            uint32_t v32 = (uint32_t)v;
            memcpy(where, &v32, 4);
            break;
        }
        case R_X86_64_32S: {
            int64_t v = (int64_t)(S + (uint64_t)A);
            if (v < INT32_MIN || v > INT32_MAX)
                return se_elf_fail(in, "R_X86_64_32S value does not fit");
            int32_t v32 = (int32_t)v;
            memcpy(where, &v32, 4);
            break;
        }
        default:
            return se_elf_fail(in, "unsupported relocation type %u", type);
        }
    }
    return SE_OK;
}

/* The file's symbol table (one SHT_SYMTAB and its string table), copied into aligned memory
 * owned by img; none is fine (nsym = 0). Also allocates img->syms for up to nsym entries. */
static se_status se_elf_symtab(se_elf_in *in, const Elf64_Ehdr *eh, const Elf64_Shdr *sh,
                               se_elf_image *img, const Elf64_Sym **symtab, size_t *nsym,
                               const Elf64_Shdr **strtab)
{
    *symtab = NULL;
    *nsym = 0;
    *strtab = NULL;
    for (unsigned i = 0; sh != NULL && i < eh->e_shnum; i++) {
        if (sh[i].sh_type != SHT_SYMTAB)
            continue;
        if (sh[i].sh_entsize != sizeof(Elf64_Sym) || sh[i].sh_link >= eh->e_shnum ||
            sh[sh[i].sh_link].sh_type != SHT_STRTAB)
            return se_elf_fail(in, "malformed symbol table");
        *nsym = sh[i].sh_size / sizeof(Elf64_Sym);
        *strtab = &sh[sh[i].sh_link];
        if (*nsym > SE_ELF_MAX_SYMBOLS)
            return se_elf_fail(in, "too many symbols");
        /* copied out: the file bytes need not be aligned for Elf64_Sym */
        free(img->owned_symtab); /* a second symbol table replaces the first */
        img->owned_symtab = se_elf_copy(in->d + sh[i].sh_offset, *nsym * sizeof(Elf64_Sym));
        if (img->owned_symtab == NULL)
            return SE_ERR_NOMEM;
        *symtab = img->owned_symtab;
    }
    img->syms = calloc(*nsym ? *nsym : 1, sizeof *img->syms);
    return img->syms == NULL ? SE_ERR_NOMEM : SE_OK;
}

static se_status se_elf_load_rel(se_elf_in *in, const Elf64_Ehdr *eh, const Elf64_Shdr *sh,
                                 uint64_t base, se_elf_image *img)
{
    const Elf64_Shdr *shstr = eh->e_shstrndx < eh->e_shnum ? &sh[eh->e_shstrndx] : NULL;
    uint64_t sec_va[SE_ELF_MAX_SECTIONS] = {0};
    int sec_img[SE_ELF_MAX_SECTIONS];
    uint64_t next = base;
    for (int pass = 0; pass < 3; pass++) {
        for (unsigned i = 0; i < eh->e_shnum; i++) {
            const Elf64_Shdr *s = &sh[i];
            if (!(s->sh_flags & SHF_ALLOC) || s->sh_size == 0)
                continue;
            const char *name = se_elf_str(in, shstr, s->sh_name);
            if (name == NULL)
                return se_elf_fail(in, "section %u has a bad name", i);
            bool entry = strcmp(name, ".entry.text") == 0;
            bool exec = (s->sh_flags & SHF_EXECINSTR) != 0;
            /* .entry.text first (its pages alone are shared with the user page tables),
             * then other code, then data */
            int want = entry ? 0 : exec ? 1 : 2;
            if (want != pass)
                continue;
            if (s->sh_size > (1u << 24))
                return se_elf_fail(in, "section %s is larger than 16 MiB", name);
            if (s->sh_addralign > 4096 && (s->sh_addralign & (s->sh_addralign - 1)) == 0)
                next = (next + s->sh_addralign - 1) & ~(s->sh_addralign - 1);
            se_elf_section *out = &img->secs[img->n_secs];
            snprintf(out->name, sizeof out->name, "%s", name);
            out->va = next;
            out->size = s->sh_size;
            out->exec = exec;
            out->write = (s->sh_flags & SHF_WRITE) != 0;
            out->bytes = calloc(1, s->sh_size);
            if (out->bytes == NULL)
                return SE_ERR_NOMEM;
            if (s->sh_type != SHT_NOBITS) {
                if (!se_elf_in_bounds(in, s->sh_offset, s->sh_size))
                    return se_elf_fail(in, "section %s lies outside the file", name);
                memcpy(out->bytes, in->d + s->sh_offset, s->sh_size);
            }
            sec_va[i] = next;
            sec_img[i] = (int)img->n_secs;
            img->n_secs++;
            next = (next + s->sh_size + 0xFFF) & ~0xFFFull;
            if (next < base)
                return se_elf_fail(in, "sections overflow the address space");
        }
    }
    const Elf64_Sym *symtab;
    size_t nsym;
    const Elf64_Shdr *strtab;
    se_status sst = se_elf_symtab(in, eh, sh, img, &symtab, &nsym, &strtab);
    if (sst != SE_OK)
        return sst;
    for (size_t k = 1; k < nsym; k++) {
        const Elf64_Sym *y = &symtab[k];
        int type = ELF64_ST_TYPE(y->st_info);
        if (type == STT_SECTION || type == STT_FILE || y->st_shndx == SHN_UNDEF)
            continue;
        const char *name = se_elf_str(in, strtab, y->st_name);
        if (name == NULL)
            return se_elf_fail(in, "symbol %zu has a bad name", k);
        if (name[0] == '\0')
            continue;
        uint64_t va;
        if (y->st_shndx == SHN_ABS)
            va = y->st_value;
        else if (y->st_shndx < eh->e_shnum && sec_va[y->st_shndx] != 0)
            va = sec_va[y->st_shndx] + y->st_value;
        else
            continue; /* in a section that is not loaded (debug info...) */
        se_status st = se_elf_add_sym(img, name, va, y->st_size);
        if (st != SE_OK)
            return st;
    }
    for (unsigned i = 0; i < eh->e_shnum; i++) {
        if (sh[i].sh_type == SHT_REL)
            return se_elf_fail(in, "REL relocations are not used on x86-64");
        if (sh[i].sh_type != SHT_RELA || sh[i].sh_info >= eh->e_shnum || sec_va[sh[i].sh_info] == 0)
            continue;
        if (symtab == NULL)
            return se_elf_fail(in, "relocations without a symbol table");
        se_status st = se_elf_relocate(in, &sh[i], &img->secs[sec_img[sh[i].sh_info]], symtab, nsym,
                                       sec_va, eh->e_shnum);
        if (st == SE_ERR_NOT_FOUND) {
            /* find the undefined name for the message */
            for (uint64_t k = 0; k < sh[i].sh_size / sizeof(Elf64_Rela); k++) {
                Elf64_Rela r;
                memcpy(&r, in->d + sh[i].sh_offset + k * sizeof r, sizeof r);
                uint64_t symi = ELF64_R_SYM(r.r_info);
                if (symi < nsym && symtab[symi].st_shndx == SHN_UNDEF &&
                    ELF64_R_TYPE(r.r_info) != R_X86_64_NONE) {
                    const char *name = se_elf_str(in, strtab, symtab[symi].st_name);
                    if (in->err != NULL && in->errlen > 0)
                        snprintf(in->err, in->errlen, "undefined symbol %s", name ? name : "?");
                    break;
                }
            }
            return SE_ERR_NOT_FOUND;
        }
        if (st != SE_OK)
            return st;
    }
    return SE_OK;
}

static se_status se_elf_load_exec(se_elf_in *in, const Elf64_Ehdr *eh, const Elf64_Shdr *sh,
                                  se_elf_image *img)
{
    if (eh->e_phentsize != sizeof(Elf64_Phdr) ||
        !se_elf_in_bounds(in, eh->e_phoff, (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr)))
        return se_elf_fail(in, "program headers lie outside the file");
    for (unsigned i = 0; i < eh->e_phnum; i++) {
        Elf64_Phdr ph;
        memcpy(&ph, in->d + eh->e_phoff + i * sizeof ph, sizeof ph);
        if (ph.p_type != PT_LOAD || ph.p_memsz == 0)
            continue;
        if (ph.p_filesz > ph.p_memsz || ph.p_memsz > (1u << 24) ||
            !se_elf_in_bounds(in, ph.p_offset, ph.p_filesz))
            return se_elf_fail(in, "segment %u is malformed", i);
        if (img->n_secs == SE_ELF_MAX_SECTIONS)
            return se_elf_fail(in, "too many segments");
        se_elf_section *out = &img->secs[img->n_secs++];
        snprintf(out->name, sizeof out->name, "load%u", i);
        out->va = ph.p_vaddr;
        out->size = ph.p_memsz;
        out->exec = (ph.p_flags & PF_X) != 0;
        out->write = (ph.p_flags & PF_W) != 0;
        out->bytes = calloc(1, ph.p_memsz);
        if (out->bytes == NULL)
            return SE_ERR_NOMEM;
        memcpy(out->bytes, in->d + ph.p_offset, ph.p_filesz);
    }
    const Elf64_Sym *symtab;
    size_t nsym;
    const Elf64_Shdr *strtab;
    se_status sst = se_elf_symtab(in, eh, sh, img, &symtab, &nsym, &strtab);
    if (sst != SE_OK)
        return sst;
    for (size_t k = 1; k < nsym; k++) {
        int type = ELF64_ST_TYPE(symtab[k].st_info);
        if (type == STT_SECTION || type == STT_FILE || symtab[k].st_shndx == SHN_UNDEF)
            continue;
        const char *name = se_elf_str(in, strtab, symtab[k].st_name);
        if (name == NULL)
            return se_elf_fail(in, "symbol %zu has a bad name", k);
        if (name[0] != '\0') {
            se_status st = se_elf_add_sym(img, name, symtab[k].st_value, symtab[k].st_size);
            if (st != SE_OK)
                return st;
        }
    }
    return SE_OK;
}

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
    se_elf_in in = {.d = data, .len = len, .err = err, .errlen = errlen};
    Elf64_Ehdr eh;
    if (len < sizeof eh)
        return se_elf_fail(&in, "file too short for an ELF header");
    memcpy(&eh, data, sizeof eh);
    if (memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0)
        return se_elf_fail(&in, "not an ELF file");
    if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_ident[EI_DATA] != ELFDATA2LSB ||
        eh.e_machine != EM_X86_64)
        return se_elf_fail(&in, "not a little-endian ELF64 x86-64 file");
    if (eh.e_type != ET_REL && eh.e_type != ET_EXEC)
        return se_elf_fail(&in, "only relocatable objects and executables are loaded");
    const Elf64_Shdr *sh = NULL;
    Elf64_Shdr *owned_sh = NULL;
    if (eh.e_shnum > 0) {
        if (eh.e_shentsize != sizeof(Elf64_Shdr) || eh.e_shnum > SE_ELF_MAX_SECTIONS ||
            !se_elf_in_bounds(&in, eh.e_shoff, (uint64_t)eh.e_shnum * sizeof(Elf64_Shdr)))
            return se_elf_fail(&in, "section headers lie outside the file");
        owned_sh = se_elf_copy((const uint8_t *)data + eh.e_shoff,
                               (size_t)eh.e_shnum * sizeof(Elf64_Shdr));
        if (owned_sh == NULL)
            return SE_ERR_NOMEM;
        sh = owned_sh;
        for (unsigned i = 0; i < eh.e_shnum; i++)
            if (sh[i].sh_type != SHT_NOBITS && sh[i].sh_type != SHT_NULL &&
                !se_elf_in_bounds(&in, sh[i].sh_offset, sh[i].sh_size)) {
                free(owned_sh);
                return se_elf_fail(&in, "section %u lies outside the file", i);
            }
    } else if (eh.e_type == ET_REL) {
        return se_elf_fail(&in, "relocatable object without sections");
    }
    se_elf_image *img = calloc(1, sizeof *img);
    if (img == NULL || (img->secs = calloc(SE_ELF_MAX_SECTIONS, sizeof *img->secs)) == NULL) {
        free(img);
        free(owned_sh);
        return SE_ERR_NOMEM;
    }
    se_status st = eh.e_type == ET_REL ? se_elf_load_rel(&in, &eh, sh, base, img)
                                       : se_elf_load_exec(&in, &eh, sh, img);
    free(owned_sh);
    free(img->owned_symtab); /* only needed while loading */
    img->owned_symtab = NULL;
    if (st != SE_OK) {
        se_elf_free(img);
        return st;
    }
    *out = img;
    return SE_OK;
}

size_t se_elf_section_count(const se_elf_image *img)
{
    return img ? img->n_secs : 0;
}

const se_elf_section *se_elf_section_at(const se_elf_image *img, size_t i)
{
    return img && i < img->n_secs ? &img->secs[i] : NULL;
}

const se_elf_section *se_elf_section_by_name(const se_elf_image *img, const char *name)
{
    for (size_t i = 0; img && name && i < img->n_secs; i++)
        if (strcmp(img->secs[i].name, name) == 0)
            return &img->secs[i];
    return NULL;
}

se_status se_elf_symbol(const se_elf_image *img, const char *name, uint64_t *va)
{
    if (img == NULL || name == NULL || va == NULL)
        return SE_ERR_INVALID_ARG;
    for (size_t i = 0; i < img->n_syms; i++)
        if (strcmp(img->syms[i].name, name) == 0) {
            *va = img->syms[i].va;
            return SE_OK;
        }
    return SE_ERR_NOT_FOUND;
}

size_t se_elf_symbol_count(const se_elf_image *img)
{
    return img ? img->n_syms : 0;
}

const char *se_elf_symbol_at(const se_elf_image *img, size_t i, uint64_t *va, uint64_t *size)
{
    if (img == NULL || i >= img->n_syms)
        return NULL;
    if (va)
        *va = img->syms[i].va;
    if (size)
        *size = img->syms[i].size;
    return img->syms[i].name;
}
