/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Helpers shared by the model's transition functions (src/cpu, src/msr). Not part of the
 * contract in model.h: the backend has no reason to include this.
 */
#ifndef SE_CPU_MODEL_INT_H
#define SE_CPU_MODEL_INT_H

#include <string.h>

#include "cpu/model.h"

/* Raise a fault: nothing has changed yet, so the record names the current instruction and
 * CPL (model.h conventions). Returns SE_FAULT_FAULT so that checks read `return se_raise..`. */
static inline se_fault_kind se_raise(const se_cpu_state *st, uint8_t vector, uint32_t error_code,
                                     bool has_error_code, se_fault *fault)
{
    se_cpu_make_fault(st, vector, error_code, has_error_code, fault);
    return SE_FAULT_FAULT;
}

/* #GP(0), the commonest outcome of a failed privileged check. */
static inline se_fault_kind se_raise_gp0(const se_cpu_state *st, se_fault *fault)
{
    return se_raise(st, SE_VEC_GP, 0, true, fault);
}

/* #UD: no error code. */
static inline se_fault_kind se_raise_ud(const se_cpu_state *st, se_fault *fault)
{
    return se_raise(st, SE_VEC_UD, 0, false, fault);
}

/* A selector fault: the error code is the selector without its RPL (TI kept). */
static inline se_fault_kind se_raise_sel(const se_cpu_state *st, uint8_t vector, uint16_t sel,
                                         se_fault *fault)
{
    return se_raise(st, vector, sel & SE_SEL_NO_RPL_MASK, true, fault);
}

/* The instruction completed without an event. */
static inline se_fault_kind se_completed(se_fault *fault)
{
    memset(fault, 0, sizeof *fault);
    return SE_FAULT_NONE;
}

/* RFLAGS-4: SYSCALL and SYSRET test TF at the end of the instruction, so the #DB is reported
 * against the state they produced (new RIP, new CPL), before the next instruction runs. */
static inline se_fault_kind se_completed_single_step(const se_cpu_state *st, se_fault *fault)
{
    if (!(st->regs.rflags & SE_RFLAGS_TF))
        return se_completed(fault);
    se_cpu_make_fault(st, SE_VEC_DB, 0, false, fault);
    fault->kind = SE_FAULT_TRAP;
    return SE_FAULT_TRAP;
}

/* Descriptor privilege level of a cache's access rights. */
static inline unsigned se_ar_dpl(uint32_t ar)
{
    return (ar & SE_SEG_AR_DPL_MASK) >> SE_SEG_AR_DPL_SHIFT;
}

#endif /* SE_CPU_MODEL_INT_H */
