/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Zydis front end: classify the instructions the machine must model itself.
 *
 * Unicorn executes ordinary instructions; the privileged ones on the syscall path (SYSCALL,
 * SYSRET, SWAPGS, MOV to CR3/CR4, RDMSR/WRMSR, IRETQ) are found by decoding loaded code once
 * and hooking exactly their addresses (docs/machine.md, engine limitations).
 */
#ifndef SE_DECODE_H
#define SE_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sysentry/status.h>
#include <sysentry/timing.h>

typedef enum se_insn_kind {
    SE_INSN_OTHER,
    SE_INSN_SYSCALL,
    SE_INSN_SYSRET64, /* REX.W 0F 07 */
    SE_INSN_SYSRET32, /* 0F 07: shares the mnemonic, told apart by operand width */
    SE_INSN_SWAPGS,
    SE_INSN_MOV_TO_CR0,
    SE_INSN_MOV_TO_CR3,
    SE_INSN_MOV_TO_CR4,
    SE_INSN_MOV_FROM_CR, /* reads are architecturally harmless: Unicorn answers them */
    SE_INSN_RDMSR,
    SE_INSN_WRMSR,
    SE_INSN_IRETQ,
    SE_INSN_IRET_OTHER, /* IRET/IRETD: not modelled on the 64-bit path */
    SE_INSN_HLT,
    SE_INSN_INVPCID,
    SE_INSN_RDGSBASE_ETC, /* RD/WR{FS,GS}BASE: #UD under Unicorn 2.0.1 (no CPUID bit) */
    SE_INSN_LFENCE,
    SE_INSN_VERW,
    SE_INSN_CLI_STI,    /* IOPL-sensitive: #GP(0) when CPL > IOPL, else the engine runs it */
    SE_INSN_PORT_IO,    /* IN/OUT/INS/OUTS: #GP(0) when CPL > IOPL; not modelled otherwise */
    SE_INSN_RDTSC,      /* RDTSC, RDTSCP (base_op 1): the model's TSC, never the host's clock */
    SE_INSN_PRIV_OTHER, /* any other instruction only CPL0 may execute (Zydis: privileged) */
    SE_INSN_INVALID,    /* bytes the CPU rejects: #UD, or #GP(0) past 15 bytes (see ud_vector) */
    SE_INSN_MISDECODED, /* valid, but the engine would run something else (set by the machine) */
    SE_INSN_KIND_MAX_VALUE = SE_INSN_MISDECODED
} se_insn_kind;

typedef struct se_insn {
    uint64_t addr;
    uint8_t len;
    se_insn_kind kind;
    int src_uc_reg;     /* MOV to/from CRn: Unicorn id of the GPR operand, else 0 */
    bool mem_read;      /* reads memory (explicit or implicit operand) */
    bool mem_write;     /* writes memory */
    bool flow;          /* transfers control (jump, call, return, interrupt, system call) */
    uint16_t mnemonic;  /* ZydisMnemonic */
    se_cost_class cost; /* static cost class; MOV to CR3 and WRMSR are priced when they run */
    uint8_t width;      /* operand width in bits */
    uint8_t base_op;    /* RD/WR{FS,GS}BASE: bit 0 GS (else FS), bit 1 write (else read);
                           RDTSC: 1 for RDTSCP */
    uint8_t crn;        /* MOV from CRn: n (the destination GPR is src_uc_reg) */
    uint8_t ud_vector;  /* SE_INSN_INVALID: the exception the CPU raises (#UD or #GP) */
} se_insn;

/* Decode one instruction in 64-bit mode. SE_ERR_FORMAT if the bytes are not an instruction. */
se_status se_decode_one(const uint8_t *buf, size_t len, uint64_t addr, se_insn *out);

/*
 * Decode the instruction the CPU would execute at addr, as se_decode_one, except that bytes
 * the CPU rejects are not an error: they come back as one SE_INSN_INVALID "instruction" of
 * length 1 whose ud_vector is the exception raised (SDM Vol. 2A §2.1.1: more than 15 bytes is
 * #GP(0); an illegal LOCK, REX or legacy prefix, or an undefined opcode, is #UD).
 * `truncated`: buf ends where the following bytes cannot be read, so running out of bytes
 * decides nothing (the fetch faults first): SE_ERR_FORMAT in that case only.
 */
se_status se_decode_exec(const uint8_t *buf, size_t len, uint64_t addr, bool truncated,
                         se_insn *out);

/* True for kinds whose every execution the machine must see (privileged instructions, HLT,
 * invalid encodings): each is hooked at its address wherever it is found. */
bool se_insn_is_hooked(se_insn_kind kind);

/* Whether the bytes are an instruction with a LOCK prefix it may not carry (#UD). */
bool se_decode_illegal_lock(const uint8_t *buf, size_t len);

/* The instruction's mnemonic ("lgdt"), for messages. */
const char *se_insn_mnemonic(const se_insn *in);

/* Format in AT&T or Intel syntax into out (NUL-terminated). */
se_status se_decode_format(const uint8_t *buf, size_t len, uint64_t addr, bool intel, char *out,
                           size_t out_len);

#endif /* SE_DECODE_H */
