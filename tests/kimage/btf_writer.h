/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A tiny writer of .BTF blobs (layout in src/kimage/btf.h), shared by test_btf.c and the fuzz
 * seeds (btf_seeds.c). It does not use cmocka: a record or name that does not fit sets
 * `overflow` and is dropped, and each user checks the flag after building (an assert in the
 * tests, an error exit in the seeds generator).
 */
#ifndef SE_TESTS_BTF_WRITER_H
#define SE_TESTS_BTF_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct blob {
    uint8_t types[2048];
    size_t tn;
    char strs[512];
    size_t sn;
    uint32_t next_id;
    bool overflow; /* something did not fit: the blob is incomplete */
    uint8_t out[4096];
    size_t len;
} blob;

static inline void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static inline void blob_init(blob *b)
{
    memset(b, 0, sizeof *b);
    b->sn = 1; /* strs[0] = "" */
    b->next_id = 1;
}

/* Offset of s in the string section (appended; "" is offset 0). */
static inline uint32_t str(blob *b, const char *s)
{
    if (s[0] == '\0')
        return 0;
    size_t n = strlen(s) + 1;
    if (b->sn + n > sizeof b->strs) {
        b->overflow = true;
        return 0;
    }
    memcpy(b->strs + b->sn, s, n);
    uint32_t off = (uint32_t)b->sn;
    b->sn += n;
    return off;
}

static inline void w32(blob *b, uint32_t v)
{
    if (b->tn + 4 > sizeof b->types) {
        b->overflow = true;
        return;
    }
    put32(b->types + b->tn, v);
    b->tn += 4;
}

/* A struct btf_type record; returns its id. Kind-specific data follows with w32()/member(). */
static inline uint32_t type(blob *b, const char *name, uint32_t kind, uint32_t vlen, bool kflag,
                            uint32_t size_or_type)
{
    w32(b, str(b, name));
    w32(b, (kflag ? 1u << 31 : 0) | kind << 24 | vlen);
    w32(b, size_or_type);
    return b->next_id++;
}

/* A struct btf_member of the struct/union just written (off: bits, or bitfield size << 24 |
 * bits when the struct has kind_flag). */
static inline void member(blob *b, const char *name, uint32_t t, uint32_t off)
{
    w32(b, str(b, name));
    w32(b, t);
    w32(b, off);
}

/* Header (version 1, 24 bytes), types, then strings into out[0, len). */
static inline void blob_finish(blob *b)
{
    uint8_t *o = b->out;
    if (24 + b->tn + b->sn > sizeof b->out) { /* cannot happen with the sizes above */
        b->overflow = true;
        b->len = 0;
        return;
    }
    o[0] = 0x9f;
    o[1] = 0xeb;
    o[2] = 1;
    o[3] = 0;
    put32(o + 4, 24);
    put32(o + 8, 0);
    put32(o + 12, (uint32_t)b->tn);
    put32(o + 16, (uint32_t)b->tn);
    put32(o + 20, (uint32_t)b->sn);
    memcpy(o + 24, b->types, b->tn);
    memcpy(o + 24 + b->tn, b->strs, b->sn);
    b->len = 24 + b->tn + b->sn;
}

#endif
