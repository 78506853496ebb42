/* Status and vector names: the messages behind se_status values. */
#include <sysentry/status.h>

#include <stddef.h>

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

const char *se_status_str(se_status status)
{
    if ((unsigned)status > (unsigned)SE_STATUS_MAX_VALUE)
        return "unknown status";
    return se_status_strings[status];
}

const char *se_vector_name(uint8_t vector)
{
    static const char *const names[] = {
        [0] = "#DE",  [1] = "#DB",  [2] = "NMI",  [3] = "#BP",  [4] = "#OF",  [5] = "#BR",
        [6] = "#UD",  [7] = "#NM",  [8] = "#DF",  [10] = "#TS", [11] = "#NP", [12] = "#SS",
        [13] = "#GP", [14] = "#PF", [16] = "#MF", [17] = "#AC", [18] = "#MC", [19] = "#XM",
    };
    if (vector < sizeof names / sizeof names[0] && names[vector] != NULL)
        return names[vector];
    return "#??";
}
