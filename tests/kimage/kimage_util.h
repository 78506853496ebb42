/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Helpers for the kimage tests and fuzzer: a small ELF64 x86-64 ET_EXEC shaped like a vmlinux
 * (a PT_LOAD of .text at 0xffffffff81000000, section headers at the end of the file), each
 * codec's compressed payload of it made with the libraries' own compress APIs, a bzImage
 * around a payload, and a lookup of a section's address by name.
 */
#ifndef SE_KIMAGE_UTIL_H
#define SE_KIMAGE_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SE_KT_TEXT_ADDR 0xffffffff81000000ull

typedef enum se_kt_codec { SE_KT_XZ, SE_KT_ZSTD, SE_KT_LZ4, SE_KT_GZIP, SE_KT_NCODECS } se_kt_codec;

/* The ELF: text_size bytes of compressible but varied .text; malloc'ed, *len set. */
uint8_t *se_kt_make_elf(size_t text_size, size_t *len);

/* Compress src with codec as the kernel's build does (xz CRC32, zstd with a checksum, LZ4
 * legacy frames of block_size-byte blocks, gzip), then the 4-byte LE uncompressed size the
 * kernel appends. Returns a malloc'ed payload, *len set. */
uint8_t *se_kt_compress(se_kt_codec codec, const uint8_t *src, size_t n, size_t block_size,
                        size_t *len);

/* A bzImage: 3 setup sectors with a 2.15 setup header whose payload_offset/payload_length
 * point at the payload (after pre bytes of fake decompressor code), then post trailing bytes.
 * with_header false: no "HdrS" (the module must fall back to the magic search). */
uint8_t *se_kt_make_bzimage(const uint8_t *payload, size_t plen, size_t pre, size_t post,
                            bool with_header, size_t *len, size_t *payload_at);

/* sh_addr of the section named name, or 0 when the ELF has none (bounds-checked). */
uint64_t se_kt_section_addr(const uint8_t *elf, size_t len, const char *name);

#endif
