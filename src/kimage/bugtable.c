/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "kimage/bugtable.h"

#include <stdlib.h>
#include <string.h>

#include "util/bytes.h"
#include "util/hashmap.h"

#define SE_KBUG_REC 12u

static int se_kbug_cmp(const void *a, const void *b)
{
    const se_kbug *x = a, *y = b;
    if (x->addr != y->addr)
        return x->addr < y->addr ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq ? 1 : 0;
}

/* The file name at va: a NUL-terminated string inside one section's file data. */
static const char *se_kbug_name(const se_vmlinux *vm, uint64_t va, size_t *len)
{
    const se_vmlinux_section *s = se_vmlinux_section_at(vm, va);
    if (s == NULL || s->bytes == NULL)
        return NULL;
    uint64_t off = va - s->addr;
    if (off >= s->size)
        return NULL;
    const char *p = (const char *)s->bytes + off;
    uint64_t room = s->size - off;
    size_t max = room < SE_KBUG_FILE_MAX + 1 ? (size_t)room : SE_KBUG_FILE_MAX + 1;
    const char *nul = memchr(p, '\0', max);
    if (nul == NULL || nul == p)
        return NULL;
    *len = (size_t)(nul - p);
    return p;
}

se_status se_kbugs_parse(const se_vmlinux *vm, se_kbugs *out, char *err, size_t errlen)
{
    if (vm == NULL || out == NULL)
        return SE_ERR_INVALID_ARG;
    memset(out, 0, sizeof *out);
    const se_vmlinux_section *sec = se_vmlinux_section_by_name(vm, "__bug_table");
    if (sec == NULL || sec->size == 0)
        return SE_OK;
    if (sec->bytes == NULL || sec->size % SE_KBUG_REC != 0)
        return se_errf(err, errlen, SE_ERR_FORMAT,
                       "__bug_table: %llu bytes is not a whole number of %u-byte records",
                       (unsigned long long)sec->size, SE_KBUG_REC);
    size_t n = (size_t)(sec->size / SE_KBUG_REC);
    out->v = malloc(n * sizeof *out->v);
    out->names = malloc(1);
    se_hashmap seen; /* file name address -> offset in names */
    if (out->v == NULL || out->names == NULL || !se_hashmap_init(&seen, 64)) {
        se_kbugs_free(out);
        return SE_ERR_NOMEM;
    }
    out->names[0] = '\0';
    out->names_len = 1;
    se_status st = SE_OK;
    for (size_t i = 0; i < n && st == SE_OK; i++) {
        const uint8_t *r = sec->bytes + i * SE_KBUG_REC;
        uint64_t field = sec->addr + i * SE_KBUG_REC;
        /* relative to the field itself, wrapping as the kernel's pointer arithmetic does */
        uint64_t addr = field + (uint64_t)(int64_t)(int32_t)se_le32(r);
        uint64_t file_va = field + 4 + (uint64_t)(int64_t)(int32_t)se_le32(r + 4);
        const se_vmlinux_section *at = se_vmlinux_section_at(vm, addr);
        if (at == NULL || !(at->flags & SE_SHF_EXEC))
            continue; /* not code the image has: no UD2 can be there */
        se_kbug b = {
            .addr = addr, .line = se_le16(r + 8), .flags = se_le16(r + 10), .seq = (uint32_t)i};
        uint64_t off;
        size_t len;
        const char *name;
        if (se_hashmap_get(&seen, file_va, &off)) {
            b.file = (uint32_t)off;
        } else if ((name = se_kbug_name(vm, file_va, &len)) != NULL &&
                   out->names_len + len + 1 <= UINT32_MAX) {
            char *grown = realloc(out->names, out->names_len + len + 1);
            if (grown == NULL) {
                st = SE_ERR_NOMEM;
                break;
            }
            out->names = grown;
            memcpy(out->names + out->names_len, name, len);
            out->names[out->names_len + len] = '\0';
            b.file = (uint32_t)out->names_len;
            out->names_len += len + 1;
            if (!se_hashmap_put(&seen, file_va, b.file))
                st = SE_ERR_NOMEM;
        }
        out->v[out->n++] = b;
    }
    se_hashmap_free(&seen);
    if (st != SE_OK) {
        se_kbugs_free(out);
        return st;
    }
    /* for one address the record that comes first in the table wins, as find_bug()
     * (lib/bug.c) returns the first match */
    qsort(out->v, out->n, sizeof *out->v, se_kbug_cmp);
    size_t k = 0;
    for (size_t i = 0; i < out->n; i++)
        if (k == 0 || out->v[k - 1].addr != out->v[i].addr)
            out->v[k++] = out->v[i];
    out->n = k;
    return SE_OK;
}

const se_kbug *se_kbugs_find(const se_kbugs *b, uint64_t addr)
{
    if (b == NULL || b->n == 0)
        return NULL;
    size_t lo = 0, hi = b->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (b->v[mid].addr < addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < b->n && b->v[lo].addr == addr ? &b->v[lo] : NULL;
}

void se_kbugs_free(se_kbugs *b)
{
    if (b == NULL)
        return;
    free(b->v);
    free(b->names);
    memset(b, 0, sizeof *b);
}
