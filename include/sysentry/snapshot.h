/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file snapshot.h
 * @brief Fast reset: capture a machine's state and return to it, far cheaper than creating a
 * machine (the fuzzing loop: restore, one syscall, check).
 */
#ifndef SYSENTRY_SNAPSHOT_H
#define SYSENTRY_SNAPSHOT_H

#include <sysentry/export.h>
#include <sysentry/machine.h>
#include <sysentry/status.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Opaque snapshot; one machine's, usable only with that machine. It may outlive the machine
 * (it must still be freed with se_snapshot_destroy()), but no other machine accepts it, not
 * even one created later at the same address.
 */
typedef struct se_snapshot se_snapshot;

/**
 * @brief Capture the machine: the CPU state (engine registers and the model's privileged
 * state, TLB/PCID bookkeeping) and the contents of every writable mapping (stacks, per-CPU
 * area, pt_regs, user data). Read-only pages are not copied: the guest cannot change them.
 * @param m   the machine to capture
 * @param out receives the snapshot; free it with se_snapshot_destroy().
 * @return ::SE_OK, ::SE_ERR_INVALID_ARG, ::SE_ERR_NOMEM, ::SE_ERR_STATE inside a handler or
 *         trace callback (the state there is mid-instruction).
 */
SE_API se_status se_snapshot_create(se_machine *m, se_snapshot **out);

/**
 * @brief Return the machine to a snapshot. Mappings made after the snapshot stay mapped
 * (their contents are not reverted); pages unmapped since stay unmapped, their contents
 * reverted (what se_mem_map() of the same range gives back); handler, trace and cost profile
 * are not part of it. Only the pages written since the snapshot are copied back, so a restore
 * costs in proportion to what the run wrote.
 * @return ::SE_OK, ::SE_ERR_INVALID_ARG (NULL, or a snapshot of another machine, including
 *         one since destroyed),
 *         ::SE_ERR_STATE inside a handler or trace callback, ::SE_ERR_BACKEND.
 */
SE_API se_status se_snapshot_restore(se_machine *m, const se_snapshot *snap);

/** @brief Free a snapshot. NULL is a no-op. */
SE_API void se_snapshot_destroy(se_snapshot *snap);

#ifdef __cplusplus
}
#endif

#endif /* SYSENTRY_SNAPSHOT_H */
