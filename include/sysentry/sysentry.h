/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file sysentry.h
 * @brief Umbrella header: the whole public API of libsysentry.
 */
#ifndef SYSENTRY_SYSENTRY_H
#define SYSENTRY_SYSENTRY_H

#include <sysentry/version.h>
#include <sysentry/export.h>
#include <sysentry/status.h>
#include <sysentry/arch.h>
#include <sysentry/cpu.h>
#include <sysentry/config.h>
#include <sysentry/machine.h>
#include <sysentry/timing.h>
#include <sysentry/entry.h>
#include <sysentry/kernel.h>
#include <sysentry/trace.h>
#include <sysentry/snapshot.h>
#include <sysentry/layout.h>
#include <sysentry/diff.h>

#endif /* SYSENTRY_SYSENTRY_H */
