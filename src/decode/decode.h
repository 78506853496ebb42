/*
 * Zydis front end: classify the instructions the machine must model itself.
 *
 * Unicorn executes ordinary instructions; the privileged ones on the syscall path (SYSCALL,
 * SYSRET, SWAPGS, MOV to CR3/CR4, RDMSR/WRMSR, IRETQ) are found by decoding loaded code once
 * and hooking exactly their addresses (unicorn-2.0.1 §6, §16).
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
    SE_INSN_KIND_MAX_VALUE = SE_INSN_VERW
} se_insn_kind;

typedef struct se_insn {
    uint64_t addr;
    uint8_t len;
    se_insn_kind kind;
    int src_uc_reg;     /* MOV to CRn: Unicorn id of the source GPR, else 0 */
    bool mem_read;      /* reads memory (explicit or implicit operand) */
    bool mem_write;     /* writes memory */
    uint16_t mnemonic;  /* ZydisMnemonic */
    se_cost_class cost; /* static cost class; MOV to CR3 and WRMSR are priced when they run */
} se_insn;

/* Decode one instruction in 64-bit mode. SE_ERR_FORMAT if the bytes are not an instruction. */
se_status se_decode_one(const uint8_t *buf, size_t len, uint64_t addr, se_insn *out);

/* True for kinds the machine hooks in kernel code. */
bool se_insn_is_hooked(se_insn_kind kind);

/* Format in AT&T or Intel syntax into out (NUL-terminated). */
se_status se_decode_format(const uint8_t *buf, size_t len, uint64_t addr, bool intel, char *out,
                           size_t out_len);

#endif /* SE_DECODE_H */
