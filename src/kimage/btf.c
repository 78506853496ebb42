/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "kimage/btf.h"

#include "util/bytes.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Kinds (Documentation/bpf/btf.rst, "Type Encoding"). */
enum {
    BTF_INT = 1,
    BTF_PTR = 2,
    BTF_ARRAY = 3,
    BTF_STRUCT = 4,
    BTF_UNION = 5,
    BTF_ENUM = 6,
    BTF_FWD = 7,
    BTF_TYPEDEF = 8,
    BTF_VOLATILE = 9,
    BTF_CONST = 10,
    BTF_RESTRICT = 11,
    BTF_FUNC = 12,
    BTF_FUNC_PROTO = 13,
    BTF_VAR = 14,
    BTF_DATASEC = 15,
    BTF_FLOAT = 16,
    BTF_DECL_TAG = 17,
    BTF_TYPE_TAG = 18,
    BTF_ENUM64 = 19,
};

#define BTF_MAGIC   0xeB9Fu
#define BTF_HDR_MIN 24u
#define BTF_REC     12u /* struct btf_type */
#define BTF_MEMBER  12u /* struct btf_member */
#define KIND(info)  (((info) >> 24) & 0x1fu)
#define VLEN(info)  ((info)&0xffffu)
#define KFLAG(info) (((info) >> 31) & 1u)

/* Members one path component may visit: ample for any real struct, and a bound on a crafted
 * nest of anonymous members that all name the same types (2 per level, 32 levels deep). */
#define SE_BTF_MEMBER_BUDGET ((uint64_t)1 << 20)

struct se_btf {
    const uint8_t *types; /* the type section */
    size_t types_len;
    const char *strs; /* the string section: starts and ends with NUL */
    size_t strs_len;
    uint32_t n;      /* records + 1 (id 0 is void) */
    uint32_t *start; /* start[id]: offset of record id in types (start[0] unused) */
};

/* Bytes of kind-specific data after a record; -1 for an unknown kind. */
static int64_t extra_len(uint32_t info)
{
    uint64_t vlen = VLEN(info);
    switch (KIND(info)) {
    case BTF_INT:
    case BTF_VAR:
    case BTF_DECL_TAG:
        return 4;
    case BTF_ARRAY:
        return 12;
    case BTF_STRUCT:
    case BTF_UNION:
    case BTF_DATASEC:
    case BTF_ENUM64:
        return (int64_t)(vlen * 12);
    case BTF_ENUM:
    case BTF_FUNC_PROTO:
        return (int64_t)(vlen * 8);
    case BTF_PTR:
    case BTF_FWD:
    case BTF_TYPEDEF:
    case BTF_VOLATILE:
    case BTF_CONST:
    case BTF_RESTRICT:
    case BTF_FUNC:
    case BTF_FLOAT:
    case BTF_TYPE_TAG:
        return 0;
    default:
        return -1;
    }
}

/* One pass over the type section: count (index == NULL) or record the starts. */
static se_status walk_types(se_btf *b, uint32_t *index, uint32_t *count, char *err, size_t errlen)
{
    size_t pos = 0;
    uint32_t id = 1;
    while (pos < b->types_len) {
        if (b->types_len - pos < BTF_REC) {
            return se_errf(err, errlen, SE_ERR_FORMAT, ".BTF: type %u at +0x%zx: truncated record",
                           id, pos);
        }
        const uint8_t *r = b->types + pos;
        uint32_t name_off = se_le32(r), info = se_le32(r + 4);
        int64_t extra = extra_len(info);
        if (extra < 0) {
            return se_errf(err, errlen, SE_ERR_FORMAT, ".BTF: type %u at +0x%zx: unknown kind %u",
                           id, pos, KIND(info));
        }
        if ((uint64_t)extra > b->types_len - pos - BTF_REC) {
            return se_errf(err, errlen, SE_ERR_FORMAT,
                           ".BTF: type %u at +0x%zx: kind %u data (%lld bytes) truncated", id, pos,
                           KIND(info), (long long)extra);
        }
        if (name_off >= b->strs_len) {
            return se_errf(err, errlen, SE_ERR_FORMAT,
                           ".BTF: type %u: name offset 0x%x outside the strings (0x%zx)", id,
                           name_off, b->strs_len);
        }
        if (KIND(info) == BTF_STRUCT || KIND(info) == BTF_UNION) {
            for (uint32_t i = 0; i < VLEN(info); i++) {
                uint32_t mname = se_le32(r + BTF_REC + (size_t)i * BTF_MEMBER);
                if (mname >= b->strs_len) {
                    return se_errf(err, errlen, SE_ERR_FORMAT,
                                   ".BTF: type %u member %u: name offset 0x%x outside the strings",
                                   id, i, mname);
                }
            }
        }
        if (id == UINT32_MAX) {
            return se_errf(err, errlen, SE_ERR_FORMAT, ".BTF: too many types");
        }
        if (index != NULL)
            index[id] = (uint32_t)pos;
        pos += BTF_REC + (size_t)extra;
        id++;
    }
    *count = id;
    return SE_OK;
}

se_status se_btf_open_bytes(const uint8_t *data, size_t len, se_btf **out, char *err, size_t errlen)
{
    if (out == NULL)
        return SE_ERR_INVALID_ARG;
    *out = NULL;
    if (data == NULL && len != 0)
        return SE_ERR_INVALID_ARG;
    if (err != NULL && errlen > 0)
        err[0] = '\0';
    if (len < BTF_HDR_MIN) {
        return se_errf(err, errlen, SE_ERR_FORMAT, ".BTF: %zu bytes, shorter than its header", len);
    }
    uint32_t magic = (uint32_t)data[0] | (uint32_t)data[1] << 8;
    if (magic != BTF_MAGIC) {
        return se_errf(err, errlen, SE_ERR_FORMAT, ".BTF: bad magic 0x%04x%s", magic,
                       magic == 0x9FEBu ? " (big-endian BTF is not supported)" : "");
    }
    if (data[2] != 1) {
        return se_errf(err, errlen, SE_ERR_FORMAT, ".BTF: version %u, expected 1", data[2]);
    }
    uint32_t hdr_len = se_le32(data + 4);
    uint32_t type_off = se_le32(data + 8), type_len = se_le32(data + 12);
    uint32_t str_off = se_le32(data + 16), str_len = se_le32(data + 20);
    if (hdr_len < BTF_HDR_MIN || hdr_len > len) {
        return se_errf(err, errlen, SE_ERR_FORMAT, ".BTF: header length %u outside [%u, %zu]",
                       hdr_len, BTF_HDR_MIN, len);
    }
    uint64_t body = (uint64_t)len - hdr_len;
    if ((uint64_t)type_off + type_len > body || (uint64_t)str_off + str_len > body) {
        return se_errf(
            err, errlen, SE_ERR_FORMAT,
            ".BTF: type section [0x%x, +0x%x) or string section [0x%x, +0x%x) outside the "
            "0x%llx bytes after the header",
            type_off, type_len, str_off, str_len, (unsigned long long)body);
    }
    if (type_off % 4 != 0) {
        return se_errf(err, errlen, SE_ERR_FORMAT,
                       ".BTF: type section offset 0x%x not 4-byte aligned", type_off);
    }
    const uint8_t *s = data + hdr_len + str_off;
    if (str_len == 0 || s[0] != '\0' || s[str_len - 1] != '\0') {
        return se_errf(err, errlen, SE_ERR_FORMAT,
                       ".BTF: string section (%u bytes) must start and end with NUL", str_len);
    }

    se_btf *b = calloc(1, sizeof *b);
    if (b == NULL)
        return SE_ERR_NOMEM;
    b->types = data + hdr_len + type_off;
    b->types_len = type_len;
    b->strs = (const char *)s;
    b->strs_len = str_len;
    uint32_t count = 0;
    se_status st = walk_types(b, NULL, &count, err, errlen);
    if (st != SE_OK) {
        free(b);
        return st;
    }
    b->start = calloc(count, sizeof *b->start);
    if (b->start == NULL) {
        free(b);
        return SE_ERR_NOMEM;
    }
    st = walk_types(b, b->start, &b->n, err, errlen);
    if (st != SE_OK) { /* cannot happen: the same bytes passed the first walk */
        se_btf_free(b);
        return st;
    }
    *out = b;
    return SE_OK;
}

se_status se_btf_open(const se_vmlinux *vm, se_btf **out, char *err, size_t errlen)
{
    if (out == NULL)
        return SE_ERR_INVALID_ARG;
    *out = NULL;
    if (vm == NULL)
        return SE_ERR_INVALID_ARG;
    const se_vmlinux_section *sec = se_vmlinux_section_by_name(vm, ".BTF");
    if (sec == NULL) {
        return se_errf(err, errlen, SE_ERR_NOT_FOUND,
                       "no .BTF section (kernel built without CONFIG_DEBUG_INFO_BTF)");
    }
    if (sec->bytes == NULL || sec->size > SIZE_MAX) {
        return se_errf(err, errlen, SE_ERR_FORMAT, ".BTF: section has no file data");
    }
    return se_btf_open_bytes(sec->bytes, (size_t)sec->size, out, err, errlen);
}

void se_btf_free(se_btf *b)
{
    if (b == NULL)
        return;
    free(b->start);
    free(b);
}

uint32_t se_btf_type_count(const se_btf *b)
{
    return b == NULL ? 0 : b->n - 1;
}

/* ---- lookups ---------------------------------------------------------------------------- */

static const uint8_t *rec(const se_btf *b, uint32_t id)
{
    return b->types + b->start[id];
}

static const char *name_at(const se_btf *b, uint32_t off)
{
    return b->strs + off; /* every name offset was checked by walk_types */
}

/* Follow typedefs and qualifiers from id to the type they name. */
static se_status resolve(const se_btf *b, uint32_t id, uint32_t *out)
{
    for (int depth = 0; depth <= SE_BTF_MAX_DEPTH; depth++) {
        if (id == 0) {
            *out = 0;
            return SE_OK;
        }
        if (id >= b->n)
            return SE_ERR_FORMAT;
        uint32_t kind = KIND(se_le32(rec(b, id) + 4));
        switch (kind) {
        case BTF_TYPEDEF:
        case BTF_CONST:
        case BTF_VOLATILE:
        case BTF_RESTRICT:
        case BTF_TYPE_TAG:
            id = se_le32(rec(b, id) + 8);
            break;
        default:
            *out = id;
            return SE_OK;
        }
    }
    return SE_ERR_FORMAT; /* cyclic or absurdly long chain */
}

static bool is_composite(const se_btf *b, uint32_t id)
{
    if (id == 0)
        return false;
    uint32_t kind = KIND(se_le32(rec(b, id) + 4));
    return kind == BTF_STRUCT || kind == BTF_UNION;
}

static se_status find_struct(const se_btf *b, const char *name, uint32_t *out)
{
    if (name[0] == '\0')
        return SE_ERR_INVALID_ARG;
    for (uint32_t id = 1; id < b->n; id++) {
        const uint8_t *r = rec(b, id);
        if (is_composite(b, id) && strcmp(name_at(b, se_le32(r)), name) == 0) {
            *out = id;
            return SE_OK;
        }
    }
    return SE_ERR_NOT_FOUND;
}

/*
 * Without kind_flag a struct encodes a bitfield in its member's int type (btf.rst,
 * "BTF_KIND_STRUCT"): an int whose encoding has a bit offset, or fewer bits than its size, is a
 * bitfield. A chain that does not resolve is not one (the member's offset is still meaningful).
 */
static bool int_bitfield(const se_btf *b, uint32_t mtype)
{
    uint32_t base;
    if (resolve(b, mtype, &base) != SE_OK || base == 0)
        return false;
    const uint8_t *r = rec(b, base);
    if (KIND(se_le32(r + 4)) != BTF_INT)
        return false;
    uint32_t enc = se_le32(r + BTF_REC); /* INT records carry 4 bytes (walk_types) */
    uint32_t bits = enc & 0xffu, bit_off = (enc >> 16) & 0xffu;
    return bit_off != 0 || (uint64_t)bits != (uint64_t)se_le32(r + 8) * 8;
}

/*
 * Member `name` (len bytes, not NUL-terminated) of composite sid, looking into anonymous
 * struct/union members; *bits gets its bit offset, *type its type id, *bitfield whether it is a
 * bitfield.
 */
static se_status find_member(const se_btf *b, uint32_t sid, const char *name, size_t len, int depth,
                             uint64_t *budget, uint64_t *bits, uint32_t *type, bool *bitfield)
{
    if (depth > SE_BTF_MAX_DEPTH)
        return SE_ERR_FORMAT;
    const uint8_t *r = rec(b, sid);
    uint32_t info = se_le32(r + 4);
    for (uint32_t i = 0; i < VLEN(info); i++) {
        if (*budget == 0)
            return SE_ERR_FORMAT; /* anonymous members fanning out to the same types */
        (*budget)--;
        const uint8_t *m = r + BTF_REC + (size_t)i * BTF_MEMBER;
        const char *mname = name_at(b, se_le32(m));
        uint32_t mtype = se_le32(m + 4), moff = se_le32(m + 8);
        uint64_t mbits = moff;
        bool mbitfield = false;
        if (KFLAG(info)) {
            mbits = moff & 0xffffffu;
            mbitfield = (moff >> 24) != 0;
        }
        if (mtype >= b->n)
            return SE_ERR_FORMAT;
        if (!KFLAG(info) && mname[0] != '\0')
            mbitfield = int_bitfield(b, mtype);
        if (mname[0] == '\0') {
            uint32_t inner;
            se_status st = resolve(b, mtype, &inner);
            if (st != SE_OK)
                return st;
            if (!is_composite(b, inner))
                continue;
            uint64_t ibits;
            st = find_member(b, inner, name, len, depth + 1, budget, &ibits, type, bitfield);
            if (st == SE_ERR_NOT_FOUND)
                continue;
            if (st != SE_OK)
                return st;
            *bits = mbits + ibits;
            return SE_OK;
        }
        if (strncmp(mname, name, len) == 0 && mname[len] == '\0') {
            *bits = mbits;
            *type = mtype;
            *bitfield = mbitfield;
            return SE_OK;
        }
    }
    return SE_ERR_NOT_FOUND;
}

se_status se_btf_offsetof(const se_btf *b, const char *struct_name, const char *path, uint64_t *off)
{
    if (b == NULL || struct_name == NULL || path == NULL || off == NULL || path[0] == '\0')
        return SE_ERR_INVALID_ARG;
    uint32_t cur;
    se_status st = find_struct(b, struct_name, &cur);
    if (st != SE_OK)
        return st;
    uint64_t total = 0;
    const char *p = path;
    for (;;) {
        const char *dot = strchr(p, '.');
        size_t len = dot != NULL ? (size_t)(dot - p) : strlen(p);
        if (len == 0)
            return SE_ERR_INVALID_ARG;
        uint64_t bits;
        uint32_t mtype;
        bool bitfield;
        uint64_t budget = SE_BTF_MEMBER_BUDGET;
        st = find_member(b, cur, p, len, 0, &budget, &bits, &mtype, &bitfield);
        if (st != SE_OK)
            return st;
        if (bitfield || bits % 8 != 0)
            return SE_ERR_UNSUPPORTED;
        total += bits / 8;
        if (dot == NULL)
            break;
        st = resolve(b, mtype, &cur);
        if (st != SE_OK)
            return st;
        if (!is_composite(b, cur))
            return SE_ERR_NOT_FOUND;
        p = dot + 1;
    }
    *off = total;
    return SE_OK;
}

se_status se_btf_sizeof(const se_btf *b, const char *struct_name, uint64_t *size)
{
    if (b == NULL || struct_name == NULL || size == NULL)
        return SE_ERR_INVALID_ARG;
    uint32_t id;
    se_status st = find_struct(b, struct_name, &id);
    if (st != SE_OK)
        return st;
    *size = se_le32(rec(b, id) + 8);
    return SE_OK;
}
