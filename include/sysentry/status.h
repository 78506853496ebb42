/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file status.h
 * @brief Call status codes and architectural fault reports.
 *
 * libsysentry separates two questions that an emulator API often mixes up:
 *  - did the *call* work? — answered by ::se_status (every fallible function returns one);
 *  - what did the *modelled CPU* do? — answered by ::se_fault. A SYSRET that raises \#GP is a
 *    successful call (SE_OK) whose outcome carries a fault.
 */
#ifndef SYSENTRY_STATUS_H
#define SYSENTRY_STATUS_H

#include <stdbool.h>
#include <stdint.h>

#include <sysentry/export.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Result of a library call. ::SE_OK is 0; every other value is an error. */
typedef enum se_status {
    SE_OK = 0,          /**< the call did what was asked */
    SE_ERR_INVALID_ARG, /**< NULL pointer, out-of-range or inconsistent argument */
    SE_ERR_NOMEM,       /**< host memory allocation failed */
    SE_ERR_BACKEND,     /**< Unicorn or Zydis failed unexpectedly */
    SE_ERR_UNSUPPORTED, /**< a valid request that the library does not model */
    SE_ERR_LIMIT,       /**< a configured limit was reached (instruction budget, memory) */
    SE_ERR_NOT_MAPPED,  /**< the guest address is not mapped */
    SE_ERR_CONFLICT,    /**< the guest range overlaps a mapping or a reserved range */
    SE_ERR_STATE,       /**< the call is not valid in the machine's current state */
    SE_ERR_FORMAT,      /**< malformed input (profile file, ELF object, ...) */
    SE_ERR_NOT_FOUND,   /**< a named symbol, label or file was not found */
    SE_ERR_IO,          /**< reading or writing a host file failed */
    SE_STATUS_MAX_VALUE = SE_ERR_IO /**< highest valid ::se_status value */
} se_status;

/**
 * @brief A short, static, human-readable description of a status.
 * @param status any value; values outside the enum give "unknown".
 * @return a string with static storage duration (never NULL, never to be freed).
 */
SE_API const char *se_status_str(se_status status);

/** Exception vectors (Intel SDM Vol. 3A, Table 6-1) used in ::se_fault::vector. */
enum {
    SE_VEC_DE = 0,  /**< divide error */
    SE_VEC_DB = 1,  /**< debug (single-step trap) */
    SE_VEC_BP = 3,  /**< breakpoint (INT3) */
    SE_VEC_UD = 6,  /**< invalid opcode */
    SE_VEC_DF = 8,  /**< double fault */
    SE_VEC_NP = 11, /**< segment not present */
    SE_VEC_SS = 12, /**< stack-segment fault */
    SE_VEC_GP = 13, /**< general protection */
    SE_VEC_PF = 14  /**< page fault */
};

/** Whether a ::se_fault holds an event, and of which class. */
typedef enum se_fault_kind {
    SE_FAULT_NONE = 0,     /**< no exception: the other fields are zero */
    SE_FAULT_FAULT,        /**< a fault: raised before the instruction changed any state */
    SE_FAULT_TRAP,         /**< a trap: raised after the instruction completed (\#DB single step) */
    SE_FAULT_SOFTWARE_INT, /**< a software interrupt: INT n with n >= 32 (nothing else raises
                                those vectors here); `rip` is the instruction after the INT,
                                as in the frame the CPU would push */
    SE_FAULT_KIND_MAX_VALUE = SE_FAULT_SOFTWARE_INT /**< highest valid ::se_fault_kind value */
} se_fault_kind;

/**
 * @brief Short name of a fault kind ("none", "fault", "trap", "software_int").
 * @return a static string; "unknown" for a value outside the enum (never NULL).
 */
SE_API const char *se_fault_kind_name(se_fault_kind kind);

/**
 * @brief An exception raised by the modelled CPU.
 *
 * The first five fields are a stable contract. A zero-initialised value means "no fault".
 */
typedef struct se_fault {
    uint8_t vector;      /**< SE_VEC_*: 13 = \#GP, 14 = \#PF, 6 = \#UD, 1 = \#DB, ... */
    uint32_t error_code; /**< error code pushed by the CPU (0 when the vector has none) */
    uint64_t rip;        /**< address of the faulting instruction (traps: of the next one) */
    uint64_t cr2;        /**< faulting linear address (\#PF only, else 0) */
    uint8_t cpl;         /**< privilege level at which the exception was raised */
    se_fault_kind kind;  /**< ::SE_FAULT_NONE when nothing was raised */
    bool has_error_code; /**< whether the vector pushes an error code */
} se_fault;

/**
 * @brief Name of a vector: the mnemonic of an architectural exception ("#GP", "#PF", "NMI",
 * ...) for 0..31, "INT 0x80"-style for 32..255 (only a software interrupt raises those here).
 * @return a static string; "unknown" for the vectors below 32 that the SDM reserves or this
 *         library does not name (never NULL).
 */
SE_API const char *se_vector_name(uint8_t vector);

#ifdef __cplusplus
}
#endif

#endif /* SYSENTRY_STATUS_H */
