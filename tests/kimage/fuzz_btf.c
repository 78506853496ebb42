/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer harness for the BTF reader (src/kimage/btf.h): se_btf_open_bytes on the input, then,
 * when it opens, se_btf_sizeof and se_btf_offsetof on every named struct/union among the first
 * FB_MAX_TYPES types, with its own member names, names taken from the string section (alone
 * and as the second component of a two-component path), and the paths the kernel loader asks
 * for (task_struct.thread.fpu, pcpu_hot.top_of_stack, ...). -DSYSENTRY_BUILD_FUZZERS=ON with
 * clang; seeds from btf_seeds (small valid blobs), dictionary tests/kimage/btf.dict.
 *
 * Beyond "no sanitizer report", the harness re-reads the blob with its own small walker (the
 * open succeeded, so the record extents are known to be sound) and checks what btf.h promises
 * and the BTF format defines:
 * - open: SE_OK with a view, or SE_ERR_FORMAT (with a message, also into a tiny buffer) /
 *   SE_ERR_NOMEM and no view; the same answer with and without an error buffer;
 * - se_btf_type_count is the number of records;
 * - sizeof: the size field of the first struct/union of that name, NOT_FOUND when there is none;
 * - offsetof: only the documented statuses; a direct member that nothing before it can shadow
 *   or break is found at its encoded offset (or UNSUPPORTED when it is a bitfield, in the
 *   kind_flag encoding or the int-encoding one, or not byte-aligned); INVALID_ARG only for an empty
 * name or path component; a path found means its prefix is found at an offset no larger. Not
 * checked, because btf.c does not promise it: that a member lies inside its struct's size (the
 * reader sums the encoded offsets without comparing them with the sizes).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kimage/btf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FB_MAX_TYPES   256 /* structs/unions queried: the first this many type ids */
#define FB_MAX_MEMBERS 8   /* members of each one queried as one-component paths */
#define FB_MAX_NAMES   8   /* names taken from the string section */
#define FB_PAIR        4   /* two-component paths: first FB_PAIR members x first FB_PAIR names */
#define FB_PATH        160 /* longest path built; longer names are skipped */

/* The harness's own view of the blob, for the oracles (independent of btf.c's index). */
typedef struct fb_view {
    const uint8_t *types;
    size_t types_len;
    const char *strs;
    size_t strs_len;
    uint32_t n;      /* records + 1 */
    uint32_t *start; /* start[id] for id in [1, n) */
} fb_view;

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint32_t kind_of(uint32_t info)
{
    return (info >> 24) & 0x1fu;
}

/* Bytes after the 12-byte record, per the kinds of Documentation/bpf/btf.rst. */
static size_t extra_of(uint32_t info)
{
    size_t vlen = info & 0xffffu;
    switch (kind_of(info)) {
    case 1:  /* INT */
    case 14: /* VAR */
    case 17: /* DECL_TAG */
        return 4;
    case 3: /* ARRAY */
        return 12;
    case 4:  /* STRUCT */
    case 5:  /* UNION */
    case 15: /* DATASEC */
    case 19: /* ENUM64 */
        return vlen * 12;
    case 6:  /* ENUM */
    case 13: /* FUNC_PROTO */
        return vlen * 8;
    default:
        return 0;
    }
}

/* Walk the types of a blob that se_btf_open_bytes accepted; false only if the view disagrees
 * with the bytes (which the caller turns into an abort). */
static bool fb_walk(const uint8_t *data, size_t size, fb_view *v)
{
    uint32_t hdr = le32(data + 4);
    v->types = data + hdr + le32(data + 8);
    v->types_len = le32(data + 12);
    v->strs = (const char *)data + hdr + le32(data + 16);
    v->strs_len = le32(data + 20);
    (void)size;
    v->start = malloc((v->types_len / 12 + 1) * sizeof *v->start);
    if (v->start == NULL)
        abort();
    size_t pos = 0;
    v->n = 1;
    while (pos < v->types_len) {
        if (v->types_len - pos < 12)
            return false;
        size_t extra = extra_of(le32(v->types + pos + 4));
        if (extra > v->types_len - pos - 12)
            return false;
        v->start[v->n++] = (uint32_t)pos;
        pos += 12 + extra;
    }
    return true;
}

static const uint8_t *fb_rec(const fb_view *v, uint32_t id)
{
    return v->types + v->start[id];
}

static const char *fb_name(const fb_view *v, uint32_t off)
{
    return v->strs + off; /* offsets checked by the open that succeeded */
}

static bool fb_composite(const fb_view *v, uint32_t id)
{
    uint32_t k = kind_of(le32(fb_rec(v, id) + 4));
    return k == 4 || k == 5;
}

/* Whether mtype, through typedefs and qualifiers, is an int whose encoding makes it a bitfield
 * of a struct without kind_flag (a bit offset, or fewer bits than its size): 1 yes, 0 no, -1
 * when the chain does not resolve (btf.h promises nothing for that member then). */
static int fb_int_bitfield(const fb_view *v, uint32_t mtype)
{
    for (int depth = 0; depth <= SE_BTF_MAX_DEPTH; depth++) {
        if (mtype == 0)
            return 0;
        if (mtype >= v->n)
            return -1;
        const uint8_t *r = fb_rec(v, mtype);
        uint32_t k = kind_of(le32(r + 4));
        if (k == 1) {
            uint32_t enc = le32(r + 12);
            return ((enc >> 16) & 0xffu) != 0 ||
                   (uint64_t)(enc & 0xffu) != (uint64_t)le32(r + 8) * 8;
        }
        if (k != 8 && k != 9 && k != 10 && k != 11 && k != 18) /* typedef, qualifiers, tag */
            return 0;
        mtype = le32(r + 8);
    }
    return -1;
}

/* First struct/union called name, 0 when none. */
static uint32_t fb_first(const fb_view *v, const char *name)
{
    for (uint32_t id = 1; id < v->n; id++)
        if (fb_composite(v, id) && strcmp(fb_name(v, le32(fb_rec(v, id))), name) == 0)
            return id;
    return 0;
}

static bool fb_empty_component(const char *path)
{
    return path[0] == '\0' || path[0] == '.' || path[strlen(path) - 1] == '.' ||
           strstr(path, "..") != NULL;
}

/* offsetof with the checks that hold for any path: a documented status, INVALID_ARG only for an
 * empty name or component, and a found path's prefix (up to its last dot) found no further. */
static se_status fb_offsetof(const se_btf *b, const char *s, const char *path, uint64_t *off)
{
    uint64_t o = 0;
    se_status st = se_btf_offsetof(b, s, path, &o);
    switch (st) {
    case SE_OK:
    case SE_ERR_NOT_FOUND:
    case SE_ERR_UNSUPPORTED:
    case SE_ERR_FORMAT:
        break;
    case SE_ERR_INVALID_ARG:
        if (s[0] != '\0' && !fb_empty_component(path))
            abort();
        break;
    default:
        abort();
    }
    if (st == SE_OK) {
        if (s[0] == '\0' || fb_empty_component(path))
            abort();
        const char *dot = strrchr(path, '.');
        if (dot != NULL) {
            char prefix[FB_PATH];
            size_t n = (size_t)(dot - path);
            if (n >= sizeof prefix)
                abort(); /* the harness builds no longer path */
            memcpy(prefix, path, n);
            prefix[n] = '\0';
            uint64_t po = 0;
            if (se_btf_offsetof(b, s, prefix, &po) != SE_OK || po > o)
                abort();
        }
        *off = o;
    }
    return st;
}

/* Up to FB_MAX_NAMES non-empty names of the string section, in order. */
static size_t fb_names(const fb_view *v, const char **names)
{
    size_t k = 0;
    for (size_t off = 1; off < v->strs_len && k < FB_MAX_NAMES;) {
        const char *s = v->strs + off;
        size_t len = strlen(s); /* the section ends with NUL */
        if (len > 0 && len < FB_PATH / 2)
            names[k++] = s;
        off += len + 1;
    }
    return k;
}

/* The queries on struct/union id (named sname). */
static void fb_struct(const se_btf *b, const fb_view *v, uint32_t id, const char **names,
                      size_t n_names)
{
    const uint8_t *r = fb_rec(v, id);
    const char *sname = fb_name(v, le32(r));
    uint32_t info = le32(r + 4);
    uint32_t vlen = info & 0xffffu;
    bool kflag = (info >> 31) != 0;
    uint32_t first = fb_first(v, sname);

    uint64_t sz = 0;
    se_status st = se_btf_sizeof(b, sname, &sz);
    if (st != SE_OK || sz != le32(fb_rec(v, first) + 8))
        abort();

    /* Its own members. Member i is surely reached when this is the first struct of its name
     * and every member before it is named differently, with a valid type id (an anonymous one
     * would be searched first, a bad id stops the search with SE_ERR_FORMAT). */
    bool clear = first == id;
    const char *mnames[FB_MAX_MEMBERS];
    size_t n_m = 0;
    for (uint32_t i = 0; i < vlen && i < FB_MAX_MEMBERS; i++) {
        const uint8_t *m = r + 12 + (size_t)i * 12;
        const char *mname = fb_name(v, le32(m));
        uint32_t mtype = le32(m + 4), moff = le32(m + 8);
        bool usable = mname[0] != '\0' && strchr(mname, '.') == NULL && strlen(mname) < FB_PATH / 2;
        if (usable)
            mnames[n_m++] = mname;
        for (uint32_t j = 0; j < i && clear; j++)
            if (strcmp(fb_name(v, le32(r + 12 + (size_t)j * 12)), mname) == 0)
                clear = false; /* shadowed by an earlier member of the same name */
        uint64_t off = 0;
        if (mname[0] != '\0') {
            st = fb_offsetof(b, sname, mname, &off);
            int int_bf = kflag ? 0 : fb_int_bitfield(v, mtype);
            if (clear && usable && mtype < v->n && int_bf >= 0) {
                uint64_t bits = kflag ? (moff & 0xffffffu) : moff;
                bool bitfield = kflag ? (moff >> 24) != 0 : int_bf == 1;
                if (bitfield || bits % 8 != 0) {
                    if (st != SE_ERR_UNSUPPORTED)
                        abort();
                } else if (st != SE_OK || off != bits / 8) {
                    abort();
                }
            }
        }
        if (mname[0] == '\0' || mtype >= v->n)
            clear = false;
    }

    /* Names from the string section, as members and as the second component. */
    char path[FB_PATH];
    uint64_t off;
    for (size_t k = 0; k < n_names; k++)
        (void)fb_offsetof(b, sname, names[k], &off);
    for (size_t i = 0; i < n_m && i < FB_PAIR; i++) {
        for (size_t k = 0; k < n_names && k < FB_PAIR; k++) {
            snprintf(path, sizeof path, "%s.%s", mnames[i], names[k]);
            (void)fb_offsetof(b, sname, path, &off);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    se_btf *b = (se_btf *)&size; /* must be reset by the call */
    char err[200];
    err[0] = 'x';
    se_status st = se_btf_open_bytes(data, size, &b, err, sizeof err);

    /* the same answer without an error buffer, and into one of a few bytes (on the heap, so
     * that ASan sees a write past it) */
    se_btf *b2 = NULL;
    se_status st2 = se_btf_open_bytes(data, size, &b2, NULL, 0);
    if (st2 != st || (st2 == SE_OK) != (b2 != NULL))
        abort();
    se_btf_free(b2);
    size_t tiny_len = size > 0 ? 1 + data[size - 1] % 8 : 1;
    char *tiny = malloc(tiny_len);
    if (tiny == NULL)
        abort();
    b2 = NULL;
    if (se_btf_open_bytes(data, size, &b2, tiny, tiny_len) != st ||
        memchr(tiny, '\0', tiny_len) == NULL)
        abort();
    se_btf_free(b2);
    free(tiny);

    if (st != SE_OK) {
        if ((st != SE_ERR_FORMAT && st != SE_ERR_NOMEM) || b != NULL ||
            (st == SE_ERR_FORMAT && (err[0] == '\0' || memchr(err, '\0', sizeof err) == NULL)))
            abort();
        return 0;
    }
    if (b == NULL)
        abort();

    fb_view v;
    if (!fb_walk(data, size, &v) || se_btf_type_count(b) != v.n - 1)
        abort();

    const char *names[FB_MAX_NAMES];
    size_t n_names = fb_names(&v, names);
    uint64_t out;
    for (size_t k = 0; k < n_names; k++) {
        /* sizeof of a string-section name: the first struct/union of that name, or none */
        uint32_t first = fb_first(&v, names[k]);
        se_status s = se_btf_sizeof(b, names[k], &out);
        if (first != 0 ? (s != SE_OK || out != le32(fb_rec(&v, first) + 8)) : s != SE_ERR_NOT_FOUND)
            abort();
    }
    for (uint32_t id = 1; id < v.n && id <= FB_MAX_TYPES; id++) {
        if (fb_composite(&v, id) && fb_name(&v, le32(fb_rec(&v, id)))[0] != '\0')
            fb_struct(b, &v, id, names, n_names);
    }

    /* what the kernel loader asks (src/kimage), on whatever the input defines */
    static const char *const fixed[][2] = {
        {"task_struct", "thread.fpu"}, {"task_struct", "thread"},
        {"thread_struct", "fpu"},      {"fpu", "last_cpu"},
        {"pcpu_hot", "top_of_stack"},  {"task_struct", "stack"},
        {"task_struct", "thread.sp"},  {"task_struct", "thread_info.flags"},
    };
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        (void)fb_offsetof(b, fixed[i][0], fixed[i][1], &out);
    if (se_btf_sizeof(b, "", &out) != SE_ERR_INVALID_ARG ||
        se_btf_offsetof(b, "task_struct", "", &out) != SE_ERR_INVALID_ARG)
        abort();

    free(v.start);
    se_btf_free(b);
    return 0;
}
