/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file export.h
 * @brief Symbol visibility for the public API.
 *
 * The shared library is built with hidden visibility; only functions marked ::SE_API are
 * exported. The static library exports everything, which the project's own tests rely on.
 */
#ifndef SYSENTRY_EXPORT_H
#define SYSENTRY_EXPORT_H

#if defined(__GNUC__) || defined(__clang__)
/** Marks a function as part of the exported, documented API. */
#define SE_API __attribute__((visibility("default")))
#else
/** Marks a function as part of the exported, documented API (no visibility control here). */
#define SE_API
#endif

#endif /* SYSENTRY_EXPORT_H */
