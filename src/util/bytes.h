/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Little-endian loads from untrusted byte buffers (ELF objects, kernel images, their tables)
 * and the error-buffer convention of the parsers that read them. Byte by byte, so that neither
 * alignment nor the host's byte order matters; callers check the bounds first.
 */
#ifndef SE_UTIL_BYTES_H
#define SE_UTIL_BYTES_H

#include <stddef.h>
#include <stdint.h>

#include <sysentry/status.h>

static inline uint16_t se_le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t se_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t se_le64(const uint8_t *p)
{
    return (uint64_t)se_le32(p) | (uint64_t)se_le32(p + 4) << 32;
}

/* Write a message into err (when the caller gave a buffer: err non-NULL, errlen > 0) and
 * return st, for `return se_errf(err, errlen, SE_ERR_FORMAT, "...", ...)` in the parsers. */
se_status se_errf(char *err, size_t errlen, se_status st, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
