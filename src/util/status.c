/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Status and vector names: the messages behind se_status values. */
#include <sysentry/status.h>

#include "util/bytes.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

static const char *const se_status_strings[] = {
    [SE_OK] = "success",
    [SE_ERR_INVALID_ARG] = "invalid argument",
    [SE_ERR_NOMEM] = "out of host memory",
    [SE_ERR_BACKEND] = "emulator backend failure",
    [SE_ERR_UNSUPPORTED] = "not supported by the model",
    [SE_ERR_LIMIT] = "limit reached",
    [SE_ERR_NOT_MAPPED] = "guest address not mapped",
    [SE_ERR_CONFLICT] = "guest range conflicts with an existing or reserved mapping",
    [SE_ERR_STATE] = "not allowed in the machine's current state",
    [SE_ERR_FORMAT] = "malformed input",
    [SE_ERR_NOT_FOUND] = "not found",
    [SE_ERR_IO] = "host I/O error",
};
_Static_assert(sizeof se_status_strings / sizeof se_status_strings[0] == SE_STATUS_MAX_VALUE + 1,
               "one string per se_status");

/* "unknown" for out-of-range values, like every other *_name function: never NULL, so that
 * callers can print a corrupt value without checking. */
const char *se_status_str(se_status status)
{
    if ((unsigned)status > (unsigned)SE_STATUS_MAX_VALUE)
        return "unknown";
    return se_status_strings[status];
}

const char *se_fault_kind_name(se_fault_kind kind)
{
    static const char *const names[] = {
        [SE_FAULT_NONE] = "none",
        [SE_FAULT_FAULT] = "fault",
        [SE_FAULT_TRAP] = "trap",
        [SE_FAULT_SOFTWARE_INT] = "software_int",
    };
    _Static_assert(sizeof names / sizeof names[0] == SE_FAULT_KIND_MAX_VALUE + 1,
                   "fault kind names");
    return (unsigned)kind <= SE_FAULT_KIND_MAX_VALUE ? names[kind] : "unknown";
}

/* "INT 0xNN" for every vector from 32 up, built at compile time so that the name is static
 * storage like the others (nothing raises those vectors in this machine but INT n). */
#define SE_HEXDIGIT(d) ((char)((d) < 10 ? '0' + (d) : 'a' + (d)-10))
#define SE_INT_NAME(n)                                                                             \
    {                                                                                              \
        'I', 'N', 'T', ' ', '0', 'x', SE_HEXDIGIT((n) >> 4), SE_HEXDIGIT((n)&15), 0                \
    }
#define SE_INT_ROW(h)                                                                              \
    SE_INT_NAME((h) + 0), SE_INT_NAME((h) + 1), SE_INT_NAME((h) + 2), SE_INT_NAME((h) + 3),        \
        SE_INT_NAME((h) + 4), SE_INT_NAME((h) + 5), SE_INT_NAME((h) + 6), SE_INT_NAME((h) + 7),    \
        SE_INT_NAME((h) + 8), SE_INT_NAME((h) + 9), SE_INT_NAME((h) + 10), SE_INT_NAME((h) + 11),  \
        SE_INT_NAME((h) + 12), SE_INT_NAME((h) + 13), SE_INT_NAME((h) + 14), SE_INT_NAME((h) + 15)

static const char se_int_names[256 - 32][9] = {
    SE_INT_ROW(0x20), SE_INT_ROW(0x30), SE_INT_ROW(0x40), SE_INT_ROW(0x50), SE_INT_ROW(0x60),
    SE_INT_ROW(0x70), SE_INT_ROW(0x80), SE_INT_ROW(0x90), SE_INT_ROW(0xa0), SE_INT_ROW(0xb0),
    SE_INT_ROW(0xc0), SE_INT_ROW(0xd0), SE_INT_ROW(0xe0), SE_INT_ROW(0xf0),
};

const char *se_vector_name(uint8_t vector)
{
    static const char *const names[32] = {
        [0] = "#DE",  [1] = "#DB",  [2] = "NMI",  [3] = "#BP",  [4] = "#OF",  [5] = "#BR",
        [6] = "#UD",  [7] = "#NM",  [8] = "#DF",  [10] = "#TS", [11] = "#NP", [12] = "#SS",
        [13] = "#GP", [14] = "#PF", [16] = "#MF", [17] = "#AC", [18] = "#MC", [19] = "#XM",
        [20] = "#VE", [21] = "#CP", [28] = "#HV", [29] = "#VC", [30] = "#SX",
    };
    if (vector >= 32)
        return se_int_names[vector - 32];
    return names[vector] != NULL ? names[vector] : "unknown";
}

se_status se_errf(char *err, size_t errlen, se_status st, const char *fmt, ...)
{
    if (err != NULL && errlen > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return st;
}
