/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Kernel images: from a distribution's vmlinuz (an x86 bzImage) to the vmlinux ELF inside it.
 *
 * A bzImage is the real-mode setup code ((setup_sects + 1) * 512 bytes, setup header at 0x1F1,
 * "HdrS" at 0x202) followed by the protected-mode decompressor, which carries the compressed
 * kernel at payload_offset (0x248, relative to the protected-mode code) for payload_length
 * (0x24C) bytes (boot protocol 2.08 and later; Documentation/arch/x86/boot.rst). The payload is
 * decompressed according to its magic: xz (liblzma), zstd (libzstd, the first frame only),
 * LZ4 legacy frames (liblz4) or gzip (zlib). When the setup header is missing, older than 2.08
 * or points outside the image or at no known magic, the image is searched for the first
 * compression magic after the setup code instead (a few candidates are tried in order).
 * An uncompressed ELF is accepted as it is (returned as a copy).
 *
 * The input is untrusted: every offset and size is bounds-checked, the output is capped, and a
 * malformed image yields SE_ERR_FORMAT with a message, never an out-of-bounds access. The
 * result must be an ELF64 little-endian x86-64 ET_EXEC whose program and section header tables
 * and loadable segments lie inside it (SE_ERR_FORMAT otherwise), which also catches truncated
 * payloads whose codec cannot tell (LZ4 legacy frames have no end marker).
 */
#ifndef SE_KIMAGE_H
#define SE_KIMAGE_H

#include <stddef.h>
#include <stdint.h>

#include <sysentry/status.h>

/** Output cap of se_kimage_decompress(): a vmlinux is well under 100 MiB. */
#define SE_KIMAGE_MAX_OUT ((size_t)512 << 20)

/**
 * Decompress the kernel in img[0, len) (a bzImage or an uncompressed ELF) into a new buffer.
 * On success *out (free() it) holds *out_len bytes of ELF; on failure *out is NULL, *out_len 0
 * and err (when errlen > 0) says why.
 * @return SE_OK; SE_ERR_INVALID_ARG (NULL img/out/out_len); SE_ERR_FORMAT (no known payload,
 *         corrupt or truncated data, the result not an ELF64 x86-64 ET_EXEC); SE_ERR_LIMIT (the
 *         output would exceed SE_KIMAGE_MAX_OUT); SE_ERR_NOMEM.
 */
se_status se_kimage_decompress(const uint8_t *img, size_t len, uint8_t **out, size_t *out_len,
                               char *err, size_t errlen);

/** se_kimage_decompress() with an output cap of max_out bytes (tests and fuzzing). */
se_status se_kimage_decompress_capped(const uint8_t *img, size_t len, size_t max_out, uint8_t **out,
                                      size_t *out_len, char *err, size_t errlen);

#endif
