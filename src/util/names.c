/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Names of public enum values, for messages, the CLI and JSON output. Out-of-range values get
 * "unknown" rather than NULL: callers print these straight into messages and JSON, where a NULL
 * would crash or print "(null)" exactly when a corrupt value most needs reporting. */
#include <sysentry/config.h>
#include <sysentry/cpu.h>
#include <sysentry/entry.h>

#include <stddef.h>

const char *se_vendor_name(se_vendor vendor)
{
    static const char *const names[] = {[SE_VENDOR_INTEL] = "intel", [SE_VENDOR_AMD] = "amd"};
    _Static_assert(sizeof names / sizeof names[0] == SE_VENDOR_MAX_VALUE + 1, "vendor names");
    return (unsigned)vendor <= SE_VENDOR_MAX_VALUE ? names[vendor] : "unknown";
}

const char *se_check_name(se_check check)
{
    static const char *const names[] = {
        [SE_CHECK_NONE] = "none",
        [SE_CHECK_RCX_RIP] = "rcx_rip",
        [SE_CHECK_CANONICAL] = "canonical",
        [SE_CHECK_CS] = "cs",
        [SE_CHECK_R11_FLAGS] = "r11_flags",
        [SE_CHECK_RF_TF] = "rf_tf",
        [SE_CHECK_SS] = "ss",
        [SE_CHECK_XEN_PV] = "xen_pv",
    };
    _Static_assert(sizeof names / sizeof names[0] == SE_CHECK_MAX_VALUE + 1, "check names");
    return (unsigned)check <= SE_CHECK_MAX_VALUE ? names[check] : "unknown";
}

const char *se_exit_path_name(se_exit_path path)
{
    static const char *const names[] = {
        [SE_EXIT_NONE] = "none",
        [SE_EXIT_SYSRET] = "sysret",
        [SE_EXIT_IRET] = "iret",
        [SE_EXIT_FAULT] = "fault",
    };
    _Static_assert(sizeof names / sizeof names[0] == SE_EXIT_PATH_MAX_VALUE + 1, "path names");
    return (unsigned)path <= SE_EXIT_PATH_MAX_VALUE ? names[path] : "unknown";
}
