/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A bounds-checked view of a vmlinux ELF (see vmlinux.h). ELF64 layout: the System V gABI. */
#include "kimage/vmlinux.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/bytes.h"

/* [off, off + n) inside a buffer of len bytes, without overflow */
static bool se_in_buf(uint64_t off, uint64_t n, size_t len)
{
    return off <= len && n <= len - off;
}

/* The banner linux_banner starts with "Linux version " and the release; it is in .rodata. */
static void se_vmlinux_version(se_vmlinux *vm)
{
    static const char tag[] = "Linux version ";
    const se_vmlinux_section *ro = se_vmlinux_section_by_name(vm, ".rodata");
    if (ro == NULL || ro->bytes == NULL)
        return;
    const uint8_t *p = ro->bytes, *end = ro->bytes + ro->size;
    while ((size_t)(end - p) > sizeof tag) {
        const uint8_t *hit = memchr(p, 'L', (size_t)(end - p) - (sizeof tag - 1));
        if (hit == NULL)
            return;
        if (memcmp(hit, tag, sizeof tag - 1) == 0) {
            const uint8_t *r = hit + sizeof tag - 1;
            size_t k = 0;
            while (r + k < end && k + 1 < sizeof vm->release && r[k] > ' ' && r[k] < 0x7f)
                k++;
            unsigned a = 0, b = 0, c = 0;
            char tmp[sizeof vm->release];
            memcpy(tmp, r, k);
            tmp[k] = '\0';
            /* a format string with %s (printk's "Linux version %s") is not the banner */
            if (k > 0 && sscanf(tmp, "%u.%u.%u", &a, &b, &c) >= 2 && a > 0 && a < 100) {
                memcpy(vm->release, tmp, k + 1);
                vm->major = a;
                vm->minor = b;
                vm->patch = c;
                return;
            }
        }
        p = hit + 1;
    }
}

se_status se_vmlinux_open(const uint8_t *elf, size_t len, se_vmlinux *out, char *err, size_t errlen)
{
    if (out == NULL)
        return SE_ERR_INVALID_ARG;
    memset(out, 0, sizeof *out);
    if (elf == NULL)
        return SE_ERR_INVALID_ARG;
    if (len < 64 || memcmp(elf,
                           "\x7f"
                           "ELF",
                           4) != 0)
        return se_errf(err, errlen, SE_ERR_FORMAT, "not an ELF file");
    if (elf[4] != 2 || elf[5] != 1 || se_le16(elf + 18) != 62)
        return se_errf(err, errlen, SE_ERR_FORMAT, "not an ELF64 little-endian x86-64 file");
    if (se_le16(elf + 16) != 2)
        return se_errf(err, errlen, SE_ERR_FORMAT, "not an executable (ET_EXEC) vmlinux");
    uint64_t shoff = se_le64(elf + 40);
    uint16_t shentsize = se_le16(elf + 58), shnum = se_le16(elf + 60), shstrndx = se_le16(elf + 62);
    if (shnum == 0 || shentsize != 64 || !se_in_buf(shoff, (uint64_t)shnum * 64, len))
        return se_errf(err, errlen, SE_ERR_FORMAT,
                       "section header table missing or outside the file");
    if (shstrndx >= shnum)
        return se_errf(err, errlen, SE_ERR_FORMAT, "section-name table index out of range");
    const uint8_t *strh = elf + shoff + (uint64_t)shstrndx * 64;
    uint64_t stroff = se_le64(strh + 24), strsize = se_le64(strh + 32);
    if (se_le32(strh + 4) != 3 /* SHT_STRTAB */ || strsize == 0 ||
        !se_in_buf(stroff, strsize, len) || elf[stroff + strsize - 1] != '\0')
        return se_errf(err, errlen, SE_ERR_FORMAT, "bad section-name table");
    se_vmlinux_section *secs = calloc(shnum, sizeof *secs);
    if (secs == NULL)
        return se_errf(err, errlen, SE_ERR_NOMEM, "out of memory for %u sections", shnum);
    for (unsigned i = 0; i < shnum; i++) {
        const uint8_t *h = elf + shoff + (uint64_t)i * 64;
        se_vmlinux_section *s = &secs[i];
        uint32_t name = se_le32(h);
        if (name >= strsize) {
            free(secs);
            return se_errf(err, errlen, SE_ERR_FORMAT, "section %u: name outside the table", i);
        }
        s->name = (const char *)elf + stroff + name;
        s->type = se_le32(h + 4);
        s->flags = se_le64(h + 8);
        s->addr = se_le64(h + 16);
        uint64_t off = se_le64(h + 24);
        s->size = se_le64(h + 32);
        if ((s->flags & SE_SHF_ALLOC) && s->size > 0 && s->addr + s->size - 1 < s->addr) {
            se_errf(err, errlen, SE_ERR_FORMAT, "section %s: address range wraps", s->name);
            free(secs);
            return SE_ERR_FORMAT;
        }
        if (s->type != SE_SHT_NOBITS && s->type != 0 && s->size > 0) {
            if (!se_in_buf(off, s->size, len)) {
                se_errf(err, errlen, SE_ERR_FORMAT,
                        "section %s: data outside the file (truncated image?)", s->name);
                free(secs);
                return SE_ERR_FORMAT;
            }
            s->bytes = elf + off;
        }
    }
    out->data = elf;
    out->len = len;
    out->secs = secs;
    out->n_secs = shnum;
    se_vmlinux_version(out);
    return SE_OK;
}

void se_vmlinux_close(se_vmlinux *vm)
{
    if (vm == NULL)
        return;
    free(vm->secs);
    memset(vm, 0, sizeof *vm);
}

const se_vmlinux_section *se_vmlinux_section_by_name(const se_vmlinux *vm, const char *name)
{
    for (size_t i = 0; i < vm->n_secs; i++)
        if (strcmp(vm->secs[i].name, name) == 0)
            return &vm->secs[i];
    return NULL;
}

const se_vmlinux_section *se_vmlinux_section_at(const se_vmlinux *vm, uint64_t va)
{
    if ((va >> 63) == 0)
        return NULL;
    for (size_t i = 0; i < vm->n_secs; i++) {
        const se_vmlinux_section *s = &vm->secs[i];
        if ((s->flags & SE_SHF_ALLOC) && va >= s->addr && va - s->addr < s->size)
            return s;
    }
    return NULL;
}

const uint8_t *se_vmlinux_at(const se_vmlinux *vm, uint64_t va, size_t n)
{
    const se_vmlinux_section *s = se_vmlinux_section_at(vm, va);
    if (s == NULL || s->bytes == NULL || n > s->size - (va - s->addr))
        return NULL;
    return s->bytes + (va - s->addr);
}
