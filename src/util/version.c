/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <sysentry/version.h>

uint32_t se_version(void)
{
    return SE_VERSION;
}
