/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Kernel images: bzImage payload -> vmlinux (see kimage.h). */
#include "kimage/kimage.h"

#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lz4.h>
#include <lzma.h>
#include <zlib.h>
#include <zstd.h>

#include "util/bytes.h"

/* Setup header fields (Documentation/arch/x86/boot.rst) */
#define SE_BZ_SETUP_SECTS    0x1F1
#define SE_BZ_HEADER         0x202
#define SE_BZ_VERSION        0x206
#define SE_BZ_PAYLOAD_OFFSET 0x248
#define SE_BZ_PAYLOAD_LENGTH 0x24C
#define SE_BZ_MIN_LEN        0x250

#define SE_LZ4_LEGACY_MAGIC 0x184C2102u
#define SE_LZ4_LEGACY_BLOCK ((size_t)8 << 20) /* each block decompresses to at most 8 MiB */
#define SE_XZ_MEMLIMIT      ((uint64_t)256 << 20)
#define SE_KIMAGE_TRIES     8 /* candidates the magic search decodes before giving up */

typedef enum se_codec {
    SE_CODEC_NONE,
    SE_CODEC_XZ,
    SE_CODEC_ZSTD,
    SE_CODEC_LZ4,
    SE_CODEC_GZIP
} se_codec;

static const char *const se_codec_names[] = {"none", "xz", "zstd", "lz4-legacy", "gzip"};

typedef struct se_kout {
    uint8_t *p;
    size_t len;   /* bytes produced */
    size_t alloc; /* bytes allocated */
    size_t limit; /* the cap */
    char *err;
    size_t errlen;
} se_kout;

static se_status se_kfail(se_kout *o, se_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Record a message (when the caller gave a buffer) and return st. */
static se_status se_kfail(se_kout *o, se_status st, const char *fmt, ...)
{
    if (o->err != NULL && o->errlen > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(o->err, o->errlen, fmt, ap);
        va_end(ap);
    }
    return st;
}

/* Grow the output buffer (double, at least min_free more bytes when the cap allows). */
static se_status se_kout_grow(se_kout *o, size_t min_free)
{
    if (o->alloc >= o->limit)
        return se_kfail(o, SE_ERR_LIMIT, "decompressed kernel exceeds the %zu-byte cap", o->limit);
    size_t want = o->alloc < ((size_t)256 << 10) ? ((size_t)256 << 10) : o->alloc;
    if (want > o->limit - o->alloc)
        want = o->limit - o->alloc;
    if (want < min_free && min_free <= o->limit - o->alloc)
        want = min_free;
    uint8_t *np = realloc(o->p, o->alloc + want);
    if (np == NULL)
        return se_kfail(o, SE_ERR_NOMEM, "out of memory (%zu bytes)", o->alloc + want);
    o->p = np;
    o->alloc += want;
    return SE_OK;
}

static se_codec se_codec_at(const uint8_t *p, size_t n)
{
    if (n >= 6 && memcmp(p, "\xFD\x37\x7A\x58\x5A\x00", 6) == 0)
        return SE_CODEC_XZ;
    if (n >= 4 && memcmp(p, "\x28\xB5\x2F\xFD", 4) == 0)
        return SE_CODEC_ZSTD;
    if (n >= 4 && memcmp(p, "\x02\x21\x4C\x18", 4) == 0)
        return SE_CODEC_LZ4;
    if (n >= 3 && memcmp(p, "\x1F\x8B\x08", 3) == 0)
        return SE_CODEC_GZIP;
    return SE_CODEC_NONE;
}

static se_status se_unxz(se_kout *o, const uint8_t *src, size_t n)
{
    lzma_stream s = LZMA_STREAM_INIT;
    lzma_ret r = lzma_stream_decoder(&s, SE_XZ_MEMLIMIT, 0);
    if (r != LZMA_OK)
        return se_kfail(o, r == LZMA_MEM_ERROR ? SE_ERR_NOMEM : SE_ERR_FORMAT,
                        "xz: decoder setup failed (%d)", (int)r);
    s.next_in = src;
    s.avail_in = n;
    se_status st = SE_OK;
    for (;;) {
        if (o->len == o->alloc && (st = se_kout_grow(o, 0)) != SE_OK)
            break;
        s.next_out = o->p + o->len;
        s.avail_out = o->alloc - o->len;
        r = lzma_code(&s, LZMA_FINISH);
        o->len = o->alloc - s.avail_out;
        if (r == LZMA_STREAM_END)
            break;
        if (r == LZMA_OK)
            continue;
        if (r == LZMA_BUF_ERROR && s.avail_out == 0)
            continue;
        if (r == LZMA_BUF_ERROR)
            st = se_kfail(o, SE_ERR_FORMAT, "xz: truncated stream (%zu of %zu input bytes used)",
                          n - s.avail_in, n);
        else if (r == LZMA_MEM_ERROR)
            st = se_kfail(o, SE_ERR_NOMEM, "xz: out of memory");
        else if (r == LZMA_MEMLIMIT_ERROR)
            st = se_kfail(o, SE_ERR_FORMAT, "xz: dictionary above the %llu-byte limit",
                          (unsigned long long)SE_XZ_MEMLIMIT);
        else
            st = se_kfail(o, SE_ERR_FORMAT, "xz: corrupt data (liblzma error %d at input %zu)",
                          (int)r, n - s.avail_in);
        break;
    }
    lzma_end(&s);
    return st;
}

static se_status se_unzstd(se_kout *o, const uint8_t *src, size_t n)
{
    size_t fsz = ZSTD_findFrameCompressedSize(src, n); /* the first frame only */
    if (ZSTD_isError(fsz))
        return se_kfail(o, SE_ERR_FORMAT, "zstd: truncated or corrupt frame (%s)",
                        ZSTD_getErrorName(fsz));
    ZSTD_DCtx *dc = ZSTD_createDCtx();
    if (dc == NULL)
        return se_kfail(o, SE_ERR_NOMEM, "zstd: out of memory");
    ZSTD_inBuffer in = {src, fsz, 0};
    se_status st = SE_OK;
    for (;;) {
        if (o->len == o->alloc && (st = se_kout_grow(o, 0)) != SE_OK)
            break;
        ZSTD_outBuffer ob = {o->p, o->alloc, o->len};
        size_t r = ZSTD_decompressStream(dc, &ob, &in);
        o->len = ob.pos;
        if (ZSTD_isError(r)) {
            st = se_kfail(o, SE_ERR_FORMAT, "zstd: corrupt data (%s)", ZSTD_getErrorName(r));
            break;
        }
        if (r == 0)
            break; /* frame complete and flushed */
        if (ob.pos < ob.size && in.pos == in.size) {
            st = se_kfail(o, SE_ERR_FORMAT, "zstd: truncated frame");
            break;
        }
    }
    ZSTD_freeDCtx(dc);
    return st;
}

/* LZ4 legacy frames: the magic, then blocks of (u32 LE compressed size, data). The stream has
 * no end marker: with a known payload end (exact), the last 4 bytes may be a size not followed
 * by data (the kernel's appended uncompressed size) and anything else short is truncation;
 * without one, a size not followed by data or larger than any block ends it. */
static se_status se_unlz4(se_kout *o, const uint8_t *src, size_t n, bool exact)
{
    const size_t bound = (size_t)LZ4_compressBound((int)SE_LZ4_LEGACY_BLOCK);
    size_t pos = 4, blocks = 0;
    while (pos < n) {
        if (n - pos < 4) {
            if (exact)
                return se_kfail(o, SE_ERR_FORMAT, "lz4: truncated block size at %zu", pos);
            break;
        }
        uint32_t csz = se_le32(src + pos);
        if (csz == SE_LZ4_LEGACY_MAGIC) { /* concatenated frames */
            pos += 4;
            continue;
        }
        if (csz > n - pos - 4 || csz > bound || csz == 0) {
            if (exact && n - pos != 4)
                return se_kfail(o, SE_ERR_FORMAT, "lz4: block of %u bytes at %zu is truncated",
                                (unsigned)csz, pos);
            if (blocks == 0)
                return se_kfail(o, SE_ERR_FORMAT, "lz4: no block before offset %zu", pos);
            break;
        }
        pos += 4;
        /* room for a whole block, or for what the cap leaves */
        while (o->alloc - o->len < SE_LZ4_LEGACY_BLOCK && o->alloc < o->limit) {
            se_status st = se_kout_grow(o, SE_LZ4_LEGACY_BLOCK - (o->alloc - o->len));
            if (st != SE_OK)
                return st;
        }
        size_t room = o->alloc - o->len;
        if (room > SE_LZ4_LEGACY_BLOCK)
            room = SE_LZ4_LEGACY_BLOCK;
        int r = room == 0 ? -1
                          : LZ4_decompress_safe((const char *)src + pos, (char *)o->p + o->len,
                                                (int)csz, (int)room);
        if (r < 0) {
            if (room < SE_LZ4_LEGACY_BLOCK)
                return se_kfail(o, SE_ERR_LIMIT,
                                "lz4: block at %zu corrupt or beyond the %zu-byte cap", pos - 4,
                                o->limit);
            return se_kfail(o, SE_ERR_FORMAT, "lz4: corrupt block at %zu", pos - 4);
        }
        o->len += (size_t)r;
        pos += csz;
        blocks++;
    }
    if (blocks == 0)
        return se_kfail(o, SE_ERR_FORMAT, "lz4: no blocks");
    return SE_OK;
}

static se_status se_gunzip(se_kout *o, const uint8_t *src, size_t n)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    int r = inflateInit2(&z, 16 + MAX_WBITS); /* gzip wrapper */
    if (r != Z_OK)
        return se_kfail(o, r == Z_MEM_ERROR ? SE_ERR_NOMEM : SE_ERR_FORMAT,
                        "gzip: decoder setup failed (%d)", r);
    size_t left = n;
    const uint8_t *in = src;
    se_status st = SE_OK;
    for (;;) {
        if (o->len == o->alloc && (st = se_kout_grow(o, 0)) != SE_OK)
            break;
        if (z.avail_in == 0 && left > 0) {
            uInt chunk = left > UINT_MAX ? UINT_MAX : (uInt)left;
            z.next_in = (Bytef *)(uintptr_t)in;
            z.avail_in = chunk;
            in += chunk;
            left -= chunk;
        }
        size_t room = o->alloc - o->len;
        uInt avail = room > UINT_MAX ? UINT_MAX : (uInt)room;
        z.next_out = o->p + o->len;
        z.avail_out = avail;
        r = inflate(&z, Z_NO_FLUSH);
        o->len += avail - z.avail_out;
        if (r == Z_STREAM_END)
            break;
        if ((r == Z_OK || r == Z_BUF_ERROR) && z.avail_out == 0)
            continue;
        if ((r == Z_OK || r == Z_BUF_ERROR) && z.avail_in == 0 && left == 0) {
            st = se_kfail(o, SE_ERR_FORMAT, "gzip: truncated stream");
            break;
        }
        if (r == Z_OK)
            continue;
        if (r == Z_MEM_ERROR)
            st = se_kfail(o, SE_ERR_NOMEM, "gzip: out of memory");
        else
            st = se_kfail(o, SE_ERR_FORMAT, "gzip: corrupt data (%s)",
                          z.msg != NULL ? z.msg : "zlib error");
        break;
    }
    inflateEnd(&z);
    return st;
}

/* The result must be an ELF64 LE x86-64 ET_EXEC whose tables and segments lie inside it. */
static se_status se_kimage_check_elf(se_kout *o, const uint8_t *p, size_t n)
{
    if (n < 64 || memcmp(p,
                         "\x7F"
                         "ELF",
                         4) != 0)
        return se_kfail(o, SE_ERR_FORMAT, "decompressed data (%zu bytes) is not an ELF file", n);
    if (p[4] != 2 || p[5] != 1)
        return se_kfail(o, SE_ERR_FORMAT, "kernel ELF is not ELF64 little-endian");
    if (se_le16(p + 18) != 62)
        return se_kfail(o, SE_ERR_FORMAT, "kernel ELF is not x86-64 (e_machine %u)",
                        se_le16(p + 18));
    if (se_le16(p + 16) != 2)
        return se_kfail(o, SE_ERR_FORMAT, "kernel ELF is not ET_EXEC (e_type %u)", se_le16(p + 16));
    uint64_t phoff = se_le64(p + 32), shoff = se_le64(p + 40);
    uint16_t phentsize = se_le16(p + 54), phnum = se_le16(p + 56);
    uint16_t shentsize = se_le16(p + 58), shnum = se_le16(p + 60);
    if (phnum == 0 || phentsize != 56)
        return se_kfail(o, SE_ERR_FORMAT, "kernel ELF has no usable program headers");
    if (phoff > n || (uint64_t)phnum * 56 > n - phoff)
        return se_kfail(o, SE_ERR_FORMAT, "kernel ELF program headers lie outside its %zu bytes",
                        n);
    if (shnum != 0 && (shentsize != 64 || shoff > n || (uint64_t)shnum * 64 > n - shoff))
        return se_kfail(o, SE_ERR_FORMAT, "kernel ELF section headers lie outside its %zu bytes",
                        n);
    for (uint16_t i = 0; i < phnum; i++) {
        const uint8_t *ph = p + phoff + (uint64_t)i * 56;
        uint64_t off = se_le64(ph + 8), filesz = se_le64(ph + 32);
        if (se_le32(ph) == 1 /* PT_LOAD */ && (off > n || filesz > n - off))
            return se_kfail(o, SE_ERR_FORMAT,
                            "kernel ELF segment %u lies outside its %zu bytes (truncated?)", i, n);
    }
    return SE_OK;
}

static se_status se_kimage_decode(se_kout *o, se_codec c, const uint8_t *src, size_t n, bool exact)
{
    o->len = 0;
    switch (c) {
    case SE_CODEC_XZ:
        return se_unxz(o, src, n);
    case SE_CODEC_ZSTD:
        return se_unzstd(o, src, n);
    case SE_CODEC_LZ4:
        return se_unlz4(o, src, n, exact);
    case SE_CODEC_GZIP:
        return se_gunzip(o, src, n);
    case SE_CODEC_NONE:
        break;
    }
    return se_kfail(o, SE_ERR_FORMAT, "no known compression");
}

/* Decode one candidate payload and check the ELF; a message names the codec and offset. */
static se_status se_kimage_try(se_kout *o, se_codec c, const uint8_t *img, size_t off, size_t n,
                               bool exact)
{
    se_status st = se_kimage_decode(o, c, img + off, n, exact);
    if (st == SE_OK)
        st = se_kimage_check_elf(o, o->p, o->len);
    if (st != SE_OK && o->err != NULL && o->errlen > 0) {
        char msg[192];
        snprintf(msg, sizeof msg, "%s", o->err);
        se_kfail(o, st, "%s payload at offset %zu: %s", se_codec_names[c], off, msg);
    }
    return st;
}

se_status se_kimage_decompress_capped(const uint8_t *img, size_t len, size_t max_out, uint8_t **out,
                                      size_t *out_len, char *err, size_t errlen)
{
    if (out != NULL)
        *out = NULL;
    if (out_len != NULL)
        *out_len = 0;
    if (err != NULL && errlen > 0)
        err[0] = '\0';
    se_kout o = {NULL, 0, 0, max_out, err, errlen};
    if (img == NULL || out == NULL || out_len == NULL)
        return se_kfail(&o, SE_ERR_INVALID_ARG, "NULL image or output");

    se_status st;
    if (len >= 4 && memcmp(img,
                           "\x7F"
                           "ELF",
                           4) == 0) {
        /* already uncompressed: check, then copy */
        if ((st = se_kimage_check_elf(&o, img, len)) != SE_OK)
            return st;
        if (len > max_out)
            return se_kfail(&o, SE_ERR_LIMIT, "ELF of %zu bytes exceeds the %zu-byte cap", len,
                            max_out);
        if ((*out = malloc(len)) == NULL)
            return se_kfail(&o, SE_ERR_NOMEM, "out of memory (%zu bytes)", len);
        memcpy(*out, img, len);
        *out_len = len;
        return SE_OK;
    }

    /* The setup header (boot protocol >= 2.08 has payload_offset/payload_length). */
    size_t search_from = 0;
    st = SE_ERR_FORMAT;
    bool tried = false;
    if (len >= SE_BZ_MIN_LEN && memcmp(img + SE_BZ_HEADER, "HdrS", 4) == 0) {
        size_t sects = img[SE_BZ_SETUP_SECTS] ? img[SE_BZ_SETUP_SECTS] : 4;
        size_t pm = (sects + 1) * 512;
        if (pm < len)
            search_from = pm;
        uint64_t poff = se_le32(img + SE_BZ_PAYLOAD_OFFSET);
        uint64_t plen = se_le32(img + SE_BZ_PAYLOAD_LENGTH);
        se_codec c = SE_CODEC_NONE;
        if (se_le16(img + SE_BZ_VERSION) >= 0x208 && pm <= len && poff <= len - pm &&
            plen <= len - pm - poff && plen > 0)
            c = se_codec_at(img + pm + poff, plen);
        if (c != SE_CODEC_NONE) {
            st = se_kimage_try(&o, c, img, pm + poff, plen, true);
            tried = true;
        }
    }
    /* Fallback: the first compression magics after the setup code, in order. */
    for (size_t i = search_from, tries = 0; !tried && i < len && tries < SE_KIMAGE_TRIES; i++) {
        se_codec c = se_codec_at(img + i, len - i);
        if (c == SE_CODEC_NONE)
            continue;
        tries++;
        st = se_kimage_try(&o, c, img, i, len - i, false);
        if (st == SE_OK || st == SE_ERR_NOMEM || st == SE_ERR_LIMIT)
            break;
    }
    if (st == SE_OK && o.err != NULL && o.errlen > 0)
        o.err[0] = '\0';
    if (st == SE_ERR_FORMAT && o.err != NULL && o.errlen > 0 && o.err[0] == '\0')
        se_kfail(&o, st, "no bzImage payload and no compressed kernel found in %zu bytes", len);
    if (st != SE_OK) {
        free(o.p);
        return st;
    }
    uint8_t *shrunk = o.len > 0 ? realloc(o.p, o.len) : NULL;
    *out = shrunk != NULL ? shrunk : o.p;
    *out_len = o.len;
    return SE_OK;
}

se_status se_kimage_decompress(const uint8_t *img, size_t len, uint8_t **out, size_t *out_len,
                               char *err, size_t errlen)
{
    return se_kimage_decompress_capped(img, len, SE_KIMAGE_MAX_OUT, out, out_len, err, errlen);
}
