/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Naming the SYSRET checks of compiled entry code by their idioms (see discover.h). */
#include "entry/discover.h"

#include <stdbool.h>
#include <string.h>

#include <Zydis/Zydis.h>
#include <sysentry/arch.h>
#include <sysentry/layout.h>

/* What a general register holds, as far as the checks are concerned. */
typedef enum se_val_kind { SE_VAL_UNKNOWN, SE_VAL_SLOT, SE_VAL_SEXT } se_val_kind;
typedef struct se_val {
    se_val_kind kind;
    int slot;      /* pt_regs offset of the value */
    unsigned bits; /* SE_VAL_SEXT: sign-extended from this many bits */
    unsigned shl;  /* a pending shl count waiting for its sar */
} se_val;

/* The last instruction that set the flags, reduced to the check it performs. */
typedef struct se_flags_src {
    bool valid;
    se_check check;
} se_flags_src;

static int se_gpr_index(ZydisRegister r)
{
    r = ZydisRegisterGetLargestEnclosing(ZYDIS_MACHINE_MODE_LONG_64, r);
    if (r >= ZYDIS_REGISTER_RAX && r <= ZYDIS_REGISTER_R15)
        return (int)(r - ZYDIS_REGISTER_RAX);
    return -1;
}

/* Where RSP is relative to pt_regs: it points at pt_regs when do_syscall_64 returns, and
 * pushes, pops and immediate adds/subs move it; any other write makes it unknown. */
typedef struct se_rsp {
    bool known;
    int64_t delta;
} se_rsp;

/* pt_regs offset of a memory operand [rsp + disp], or -1 */
static int se_slot_of(const ZydisDecodedOperand *op, se_rsp rsp)
{
    if (!rsp.known || op->type != ZYDIS_OPERAND_TYPE_MEMORY || op->mem.base != ZYDIS_REGISTER_RSP ||
        op->mem.index != ZYDIS_REGISTER_NONE || op->mem.segment != ZYDIS_REGISTER_SS)
        return -1;
    int64_t d = op->mem.disp.value + rsp.delta;
    if (d < 0 || d >= SE_PTREGS_SIZE || d % 8 != 0)
        return -1;
    return (int)d;
}

/* The value an operand reads: a register's tracked value, or a pt_regs slot in memory. */
static se_val se_operand_val(const ZydisDecodedOperand *op, const se_val *regs, se_rsp rsp)
{
    se_val v = {.kind = SE_VAL_UNKNOWN};
    if (op->type == ZYDIS_OPERAND_TYPE_REGISTER) {
        int r = se_gpr_index(op->reg.value);
        if (r >= 0 && op->size == 64)
            v = regs[r];
    } else {
        int s = se_slot_of(op, rsp);
        if (s >= 0 && op->size == 64)
            v = (se_val){.kind = SE_VAL_SLOT, .slot = s};
    }
    return v;
}

static bool se_is_slot(se_val v, int slot)
{
    return v.kind == SE_VAL_SLOT && v.slot == slot && v.shl == 0;
}

/* cmp a, b: which check compares these two values (in either order) */
static se_check se_classify_cmp(se_val a, se_val b, bool b_imm, int64_t imm)
{
    if (b_imm) {
        if (se_is_slot(a, SE_PTREGS_CS) && imm == SE_USER_CS)
            return SE_CHECK_CS;
        if (se_is_slot(a, SE_PTREGS_SS) && imm == SE_USER_DS)
            return SE_CHECK_SS;
        return SE_CHECK_NONE;
    }
    for (int swap = 0; swap < 2; swap++) {
        se_val x = swap ? b : a, y = swap ? a : b;
        if (se_is_slot(x, SE_PTREGS_CX) && se_is_slot(y, SE_PTREGS_IP))
            return SE_CHECK_RCX_RIP;
        if (x.kind == SE_VAL_SEXT && x.slot == SE_PTREGS_CX && se_is_slot(y, SE_PTREGS_IP) &&
            (x.bits == SE_VA_BITS_4LEVEL || x.bits == SE_VA_BITS_5LEVEL))
            return SE_CHECK_CANONICAL;
        if (se_is_slot(x, SE_PTREGS_R11) && se_is_slot(y, SE_PTREGS_FLAGS))
            return SE_CHECK_R11_FLAGS;
    }
    return SE_CHECK_NONE;
}

size_t se_discover_checks(const uint8_t *code, size_t len, uint64_t from, uint64_t iret_exit,
                          se_found_check *out, size_t max)
{
    ZydisDecoder dec;
    if (!ZYAN_SUCCESS(ZydisDecoderInit(&dec, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64)))
        return 0;
    se_val regs[16];
    memset(regs, 0, sizeof regs);
    se_flags_src flags = {.valid = false};
    se_rsp rsp = {.known = true, .delta = 0};
    size_t found = 0;
    uint64_t block = from;
    for (size_t off = 0; off < len;) {
        ZydisDecodedInstruction in;
        ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
        if (!ZYAN_SUCCESS(ZydisDecoderDecodeFull(&dec, code + off, len - off, &in, ops)))
            break;
        uint64_t addr = from + off;
        off += in.length;
        bool branch = in.meta.category == ZYDIS_CATEGORY_COND_BR ||
                      in.meta.category == ZYDIS_CATEGORY_UNCOND_BR;
        if (branch) {
            uint64_t target = 0;
            bool direct = ops[0].type == ZYDIS_OPERAND_TYPE_IMMEDIATE &&
                          ZYAN_SUCCESS(ZydisCalcAbsoluteAddress(&in, &ops[0], addr, &target));
            if (direct && target == iret_exit) {
                se_check c = SE_CHECK_NONE;
                if (in.mnemonic == ZYDIS_MNEMONIC_JMP)
                    c = SE_CHECK_XEN_PV; /* nothing is tested: every return takes IRET */
                else if (in.mnemonic == ZYDIS_MNEMONIC_JNZ && flags.valid)
                    c = flags.check;
                if (found < max)
                    out[found] = (se_found_check){.start = block, .branch = addr, .check = c};
                found++;
            }
            if (in.mnemonic == ZYDIS_MNEMONIC_JMP)
                break; /* the checks are straight-line code; a jump elsewhere ends them */
            block = from + off;
            flags.valid = false;
            continue;
        }
        if (in.meta.category == ZYDIS_CATEGORY_RET || in.mnemonic == ZYDIS_MNEMONIC_SYSRET ||
            in.mnemonic == ZYDIS_MNEMONIC_IRETQ)
            break;
        if (in.mnemonic == ZYDIS_MNEMONIC_NOP)
            continue;
        if (in.mnemonic == ZYDIS_MNEMONIC_CMP || in.mnemonic == ZYDIS_MNEMONIC_TEST) {
            se_val a = se_operand_val(&ops[0], regs, rsp);
            bool imm = ops[1].type == ZYDIS_OPERAND_TYPE_IMMEDIATE;
            int64_t iv = imm ? ops[1].imm.value.s : 0;
            se_check c = SE_CHECK_NONE;
            if (in.mnemonic == ZYDIS_MNEMONIC_CMP) {
                c = se_classify_cmp(a, se_operand_val(&ops[1], regs, rsp), imm, iv);
            } else if (imm && iv == (int64_t)(SE_RFLAGS_RF | SE_RFLAGS_TF) &&
                       (se_is_slot(a, SE_PTREGS_R11) || se_is_slot(a, SE_PTREGS_FLAGS))) {
                /* r11 == flags was established by C4 just before */
                c = SE_CHECK_RF_TF;
            }
            /* jne after cmp and jnz after test are one opcode (Zydis: JNZ) */
            flags = (se_flags_src){.valid = true, .check = c};
            continue;
        }
        /* track register contents; anything not understood makes its destination unknown */
        int dst = ops[0].type == ZYDIS_OPERAND_TYPE_REGISTER &&
                          ops[0].actions & ZYDIS_OPERAND_ACTION_MASK_WRITE
                      ? se_gpr_index(ops[0].reg.value)
                      : -1;
        if (in.mnemonic == ZYDIS_MNEMONIC_MOV && dst >= 0 && ops[0].size == 64) {
            regs[dst] = se_operand_val(&ops[1], regs, rsp);
        } else if ((in.mnemonic == ZYDIS_MNEMONIC_SHL || in.mnemonic == ZYDIS_MNEMONIC_SAR) &&
                   dst >= 0 && ops[0].size == 64 && ops[1].type == ZYDIS_OPERAND_TYPE_IMMEDIATE) {
            unsigned n = (unsigned)ops[1].imm.value.u & 63;
            se_val *v = &regs[dst];
            if (in.mnemonic == ZYDIS_MNEMONIC_SHL && v->kind == SE_VAL_SLOT && v->shl == 0) {
                v->shl = n;
            } else if (in.mnemonic == ZYDIS_MNEMONIC_SAR && v->kind == SE_VAL_SLOT && v->shl == n &&
                       n > 0) {
                *v = (se_val){.kind = SE_VAL_SEXT, .slot = v->slot, .bits = 64 - n};
            } else {
                *v = (se_val){.kind = SE_VAL_UNKNOWN};
            }
            flags.valid = false;
            continue;
        } else {
            for (unsigned i = 0; i < in.operand_count; i++) {
                if (ops[i].type != ZYDIS_OPERAND_TYPE_REGISTER ||
                    !(ops[i].actions & ZYDIS_OPERAND_ACTION_MASK_WRITE))
                    continue;
                int r = se_gpr_index(ops[i].reg.value);
                if (r >= 0)
                    regs[r] = (se_val){.kind = SE_VAL_UNKNOWN};
            }
        }
        if (in.mnemonic == ZYDIS_MNEMONIC_PUSH)
            rsp.delta -= in.operand_width / 8;
        else if (in.mnemonic == ZYDIS_MNEMONIC_POP)
            rsp.delta += in.operand_width / 8;
        else if ((in.mnemonic == ZYDIS_MNEMONIC_ADD || in.mnemonic == ZYDIS_MNEMONIC_SUB) &&
                 ops[0].type == ZYDIS_OPERAND_TYPE_REGISTER &&
                 ops[0].reg.value == ZYDIS_REGISTER_RSP &&
                 ops[1].type == ZYDIS_OPERAND_TYPE_IMMEDIATE)
            rsp.delta +=
                in.mnemonic == ZYDIS_MNEMONIC_ADD ? ops[1].imm.value.s : -ops[1].imm.value.s;
        else if (dst == se_gpr_index(ZYDIS_REGISTER_RSP) || in.mnemonic == ZYDIS_MNEMONIC_CALL)
            rsp.known = false;
        if (in.cpu_flags != NULL && in.cpu_flags->modified != 0)
            flags.valid = false;
    }
    return found;
}
