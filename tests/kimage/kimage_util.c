/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "kimage_util.h"

#include <stdlib.h>
#include <string.h>

#include <lz4.h>
#include <lzma.h>
#include <zlib.h>
#include <zstd.h>

static void se_kt_w16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void se_kt_w32(uint8_t *p, uint32_t v)
{
    se_kt_w16(p, (uint16_t)v);
    se_kt_w16(p + 2, (uint16_t)(v >> 16));
}

static void se_kt_w64(uint8_t *p, uint64_t v)
{
    se_kt_w32(p, (uint32_t)v);
    se_kt_w32(p + 4, (uint32_t)(v >> 32));
}

static uint16_t se_kt_r16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

static uint32_t se_kt_r32(const uint8_t *p)
{
    return (uint32_t)se_kt_r16(p) | ((uint32_t)se_kt_r16(p + 2) << 16);
}

static uint64_t se_kt_r64(const uint8_t *p)
{
    return (uint64_t)se_kt_r32(p) | ((uint64_t)se_kt_r32(p + 4) << 32);
}

uint8_t *se_kt_make_elf(size_t text_size, size_t *len)
{
    static const char shstr[] = "\0.text\0.shstrtab";
    const size_t text_off = 0x1000, str_off = text_off + text_size;
    const size_t sh_off = (str_off + sizeof shstr + 63) & ~(size_t)63;
    const size_t n = sh_off + 3 * 64;
    uint8_t *e = calloc(1, n);
    if (e == NULL)
        abort();
    memcpy(e,
           "\x7F"
           "ELF\x02\x01\x01",
           7);
    se_kt_w16(e + 16, 2);  /* ET_EXEC */
    se_kt_w16(e + 18, 62); /* EM_X86_64 */
    se_kt_w32(e + 20, 1);
    se_kt_w64(e + 24, SE_KT_TEXT_ADDR);
    se_kt_w64(e + 32, 64);
    se_kt_w64(e + 40, sh_off);
    se_kt_w16(e + 52, 64);
    se_kt_w16(e + 54, 56);
    se_kt_w16(e + 56, 1);
    se_kt_w16(e + 58, 64);
    se_kt_w16(e + 60, 3);
    se_kt_w16(e + 62, 2);
    uint8_t *ph = e + 64; /* PT_LOAD R+X */
    se_kt_w32(ph, 1);
    se_kt_w32(ph + 4, 5);
    se_kt_w64(ph + 8, text_off);
    se_kt_w64(ph + 16, SE_KT_TEXT_ADDR);
    se_kt_w64(ph + 24, SE_KT_TEXT_ADDR - 0xffffffff80000000ull);
    se_kt_w64(ph + 32, text_size);
    se_kt_w64(ph + 40, text_size);
    se_kt_w64(ph + 48, 0x1000);
    uint32_t x = 0x12345678; /* varied but compressible: runs of a few byte values */
    for (size_t i = 0; i < text_size; i++) {
        if (i % 16 == 0)
            x = x * 1103515245u + 12345u;
        e[text_off + i] = (uint8_t)(0x90 + ((x >> 16) & 7) + (i % 3 == 0 ? (i >> 12) : 0));
    }
    memcpy(e + str_off, shstr, sizeof shstr);
    uint8_t *sh = e + sh_off + 64; /* [1] .text */
    se_kt_w32(sh, 1);
    se_kt_w32(sh + 4, 1); /* SHT_PROGBITS */
    se_kt_w64(sh + 8, 6); /* SHF_ALLOC|SHF_EXECINSTR */
    se_kt_w64(sh + 16, SE_KT_TEXT_ADDR);
    se_kt_w64(sh + 24, text_off);
    se_kt_w64(sh + 32, text_size);
    se_kt_w64(sh + 48, 4096);
    sh += 64; /* [2] .shstrtab */
    se_kt_w32(sh, 7);
    se_kt_w32(sh + 4, 3); /* SHT_STRTAB */
    se_kt_w64(sh + 24, str_off);
    se_kt_w64(sh + 32, sizeof shstr);
    se_kt_w64(sh + 48, 1);
    *len = n;
    return e;
}

uint8_t *se_kt_compress(se_kt_codec codec, const uint8_t *src, size_t n, size_t block_size,
                        size_t *len)
{
    size_t cap = n + n / 2 + (1u << 16) + 4 * (n / (block_size ? block_size : 1) + 1);
    uint8_t *out = malloc(cap + 4);
    size_t pos = 0;
    if (out == NULL)
        abort();
    switch (codec) {
    case SE_KT_XZ:
        if (lzma_easy_buffer_encode(6, LZMA_CHECK_CRC32, NULL, src, n, out, &pos, cap) != LZMA_OK)
            abort();
        break;
    case SE_KT_ZSTD: {
        ZSTD_CCtx *cc = ZSTD_createCCtx();
        if (cc == NULL || ZSTD_isError(ZSTD_CCtx_setParameter(cc, ZSTD_c_checksumFlag, 1)))
            abort();
        pos = ZSTD_compress2(cc, out, cap, src, n);
        if (ZSTD_isError(pos))
            abort();
        ZSTD_freeCCtx(cc);
        break;
    }
    case SE_KT_LZ4:
        se_kt_w32(out, 0x184C2102u);
        pos = 4;
        for (size_t i = 0; i < n; i += block_size) {
            size_t b = n - i < block_size ? n - i : block_size;
            int c = LZ4_compress_default((const char *)src + i, (char *)out + pos + 4, (int)b,
                                         (int)(cap - pos - 4));
            if (c <= 0)
                abort();
            se_kt_w32(out + pos, (uint32_t)c);
            pos += 4 + (size_t)c;
        }
        break;
    case SE_KT_GZIP: {
        z_stream z;
        memset(&z, 0, sizeof z);
        if (deflateInit2(&z, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
            abort();
        z.next_in = (Bytef *)(uintptr_t)src;
        z.avail_in = (uInt)n;
        z.next_out = out;
        z.avail_out = (uInt)cap;
        if (deflate(&z, Z_FINISH) != Z_STREAM_END)
            abort();
        pos = z.total_out;
        deflateEnd(&z);
        break;
    }
    case SE_KT_NCODECS:
        abort();
    }
    se_kt_w32(out + pos, (uint32_t)n); /* the kernel's size_append */
    *len = pos + 4;
    return out;
}

uint8_t *se_kt_make_bzimage(const uint8_t *payload, size_t plen, size_t pre, size_t post,
                            bool with_header, size_t *len, size_t *payload_at)
{
    const size_t pm = 4 * 512; /* setup_sects = 3 */
    size_t n = pm + pre + plen + post;
    uint8_t *b = malloc(n);
    if (b == NULL)
        abort();
    memset(b, 0xCC, n);
    memset(b, 0, pm);
    b[0x1F1] = 3;
    if (with_header) {
        memcpy(b + 0x202, "HdrS", 4);
        se_kt_w16(b + 0x206, 0x20F);
        se_kt_w32(b + 0x248, (uint32_t)pre);
        se_kt_w32(b + 0x24C, (uint32_t)plen);
    }
    memset(b + pm, 0x90, pre);
    memcpy(b + pm + pre, payload, plen);
    *len = n;
    if (payload_at != NULL)
        *payload_at = pm + pre;
    return b;
}

uint64_t se_kt_section_addr(const uint8_t *elf, size_t len, const char *name)
{
    if (len < 64)
        return 0;
    uint64_t shoff = se_kt_r64(elf + 40);
    uint16_t shnum = se_kt_r16(elf + 60), shstrndx = se_kt_r16(elf + 62);
    if (se_kt_r16(elf + 58) != 64 || shoff > len || (uint64_t)shnum * 64 > len - shoff ||
        shstrndx >= shnum)
        return 0;
    const uint8_t *strsh = elf + shoff + (uint64_t)shstrndx * 64;
    uint64_t stroff = se_kt_r64(strsh + 24), strsz = se_kt_r64(strsh + 32);
    if (stroff > len || strsz > len - stroff)
        return 0;
    size_t nl = strlen(name);
    for (uint16_t i = 0; i < shnum; i++) {
        const uint8_t *sh = elf + shoff + (uint64_t)i * 64;
        uint32_t nm = se_kt_r32(sh);
        if (nm < strsz && strsz - nm > nl && memcmp(elf + stroff + nm, name, nl + 1) == 0)
            return se_kt_r64(sh + 16);
    }
    return 0;
}
