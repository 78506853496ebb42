/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "decode/decode.h"

#include <Zydis/Zydis.h>
#include <string.h>
#include <unicorn/unicorn.h>

/* Unicorn id of a 64-bit GPR, or 0: the MOV-to-CR hooks must read the source operand. */
static int se_uc_gpr(ZydisRegister r)
{
    static const struct {
        ZydisRegister z;
        int uc;
    } map[] = {
        {ZYDIS_REGISTER_RAX, UC_X86_REG_RAX}, {ZYDIS_REGISTER_RBX, UC_X86_REG_RBX},
        {ZYDIS_REGISTER_RCX, UC_X86_REG_RCX}, {ZYDIS_REGISTER_RDX, UC_X86_REG_RDX},
        {ZYDIS_REGISTER_RSI, UC_X86_REG_RSI}, {ZYDIS_REGISTER_RDI, UC_X86_REG_RDI},
        {ZYDIS_REGISTER_RBP, UC_X86_REG_RBP}, {ZYDIS_REGISTER_RSP, UC_X86_REG_RSP},
        {ZYDIS_REGISTER_R8, UC_X86_REG_R8},   {ZYDIS_REGISTER_R9, UC_X86_REG_R9},
        {ZYDIS_REGISTER_R10, UC_X86_REG_R10}, {ZYDIS_REGISTER_R11, UC_X86_REG_R11},
        {ZYDIS_REGISTER_R12, UC_X86_REG_R12}, {ZYDIS_REGISTER_R13, UC_X86_REG_R13},
        {ZYDIS_REGISTER_R14, UC_X86_REG_R14}, {ZYDIS_REGISTER_R15, UC_X86_REG_R15},
    };
    /* a 32-bit operand (WRGSBASE %eax) names the same engine register */
    r = ZydisRegisterGetLargestEnclosing(ZYDIS_MACHINE_MODE_LONG_64, r);
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (map[i].z == r)
            return map[i].uc;
    return 0;
}

static se_insn_kind se_classify(const ZydisDecodedInstruction *in, const ZydisDecodedOperand *ops,
                                int *src_reg)
{
    *src_reg = 0;
    switch (in->mnemonic) {
    case ZYDIS_MNEMONIC_SYSCALL:
        return SE_INSN_SYSCALL;
    case ZYDIS_MNEMONIC_SYSRET:
        /* sysretq and sysretl share the mnemonic (docs/machine.md, engine limitations) */
        return in->operand_width == 64 ? SE_INSN_SYSRET64 : SE_INSN_SYSRET32;
    case ZYDIS_MNEMONIC_SWAPGS:
        return SE_INSN_SWAPGS;
    case ZYDIS_MNEMONIC_RDMSR:
        return SE_INSN_RDMSR;
    case ZYDIS_MNEMONIC_WRMSR:
        return SE_INSN_WRMSR;
    case ZYDIS_MNEMONIC_IRETQ:
        return SE_INSN_IRETQ;
    case ZYDIS_MNEMONIC_IRET:
    case ZYDIS_MNEMONIC_IRETD:
        return SE_INSN_IRET_OTHER;
    case ZYDIS_MNEMONIC_HLT:
        return SE_INSN_HLT;
    case ZYDIS_MNEMONIC_INVPCID:
        return SE_INSN_INVPCID;
    case ZYDIS_MNEMONIC_RDGSBASE:
    case ZYDIS_MNEMONIC_RDFSBASE:
    case ZYDIS_MNEMONIC_WRGSBASE:
    case ZYDIS_MNEMONIC_WRFSBASE:
        /* modelled (the engine's CPU lacks the CPUID bit and would #UD): the register
         * operand, its width in se_insn.width */
        *src_reg = se_uc_gpr(ops[0].reg.value);
        return SE_INSN_RDGSBASE_ETC;
    case ZYDIS_MNEMONIC_LFENCE:
        return SE_INSN_LFENCE;
    case ZYDIS_MNEMONIC_RDTSC:
    case ZYDIS_MNEMONIC_RDTSCP:
        return SE_INSN_RDTSC;
    case ZYDIS_MNEMONIC_LGDT:
    case ZYDIS_MNEMONIC_LIDT:
    case ZYDIS_MNEMONIC_LLDT:
        return SE_INSN_PRIV_OTHER; /* CPL0 only (SDM Vol. 3A §5.9); Zydis 4.0 does not flag them */
    case ZYDIS_MNEMONIC_CLI:
    case ZYDIS_MNEMONIC_STI:
        return SE_INSN_CLI_STI;
    case ZYDIS_MNEMONIC_IN:
    case ZYDIS_MNEMONIC_OUT:
    case ZYDIS_MNEMONIC_INSB:
    case ZYDIS_MNEMONIC_INSW:
    case ZYDIS_MNEMONIC_INSD:
    case ZYDIS_MNEMONIC_OUTSB:
    case ZYDIS_MNEMONIC_OUTSW:
    case ZYDIS_MNEMONIC_OUTSD:
        return SE_INSN_PORT_IO;
    case ZYDIS_MNEMONIC_VERW:
        return SE_INSN_VERW;
    case ZYDIS_MNEMONIC_MOV:
        if (in->operand_count_visible >= 2 && ops[0].type == ZYDIS_OPERAND_TYPE_REGISTER) {
            ZydisRegister dst = ops[0].reg.value;
            if (dst == ZYDIS_REGISTER_CR0 || dst == ZYDIS_REGISTER_CR3 ||
                dst == ZYDIS_REGISTER_CR4) {
                *src_reg = se_uc_gpr(ops[1].reg.value);
                return dst == ZYDIS_REGISTER_CR0   ? SE_INSN_MOV_TO_CR0
                       : dst == ZYDIS_REGISTER_CR3 ? SE_INSN_MOV_TO_CR3
                                                   : SE_INSN_MOV_TO_CR4;
            }
            if (ops[1].type == ZYDIS_OPERAND_TYPE_REGISTER &&
                (ops[1].reg.value == ZYDIS_REGISTER_CR0 || ops[1].reg.value == ZYDIS_REGISTER_CR2 ||
                 ops[1].reg.value == ZYDIS_REGISTER_CR3 ||
                 ops[1].reg.value == ZYDIS_REGISTER_CR4)) {
                /* answered from the model: the engine's copies lack bits it cannot hold */
                *src_reg = se_uc_gpr(dst);
                return SE_INSN_MOV_FROM_CR;
            }
        }
        break;
    default:
        break;
    }
    /* the rest of what only CPL0 may run (LGDT, INVLPG, MOV to DRn or CR8, CLTS, WBINVD, ...):
     * the machine does not model these at CPL0 and must not let the engine run them */
    if (in->attributes & ZYDIS_ATTRIB_IS_PRIVILEGED)
        return SE_INSN_PRIV_OTHER;
    return SE_INSN_OTHER;
}

/* The cycle model's class of an instruction (timing.h). MOV to CR3 and WRMSR get their price
 * when they execute: it depends on the no-flush bit and on the MSR number. */
static se_cost_class se_cost_of(const ZydisDecodedInstruction *in, const se_insn *out)
{
    switch (out->kind) {
    case SE_INSN_SYSCALL:
        return SE_COST_SYSCALL;
    case SE_INSN_SYSRET64:
    case SE_INSN_SYSRET32:
        return SE_COST_SYSRET;
    case SE_INSN_SWAPGS:
        return SE_COST_SWAPGS;
    case SE_INSN_MOV_TO_CR3:
    case SE_INSN_WRMSR:
        return SE_COST_CLASS_COUNT; /* priced at run time */
    case SE_INSN_MOV_TO_CR0:
    case SE_INSN_MOV_TO_CR4:
        return SE_COST_MOV_CR3_FLUSH; /* serializing control-register writes */
    case SE_INSN_MOV_FROM_CR:
        return SE_COST_MOV_FROM_CR;
    case SE_INSN_RDMSR:
        return SE_COST_RDMSR;
    case SE_INSN_IRETQ:
    case SE_INSN_IRET_OTHER:
        return SE_COST_IRETQ;
    case SE_INSN_LFENCE:
        return SE_COST_LFENCE;
    case SE_INSN_VERW:
        return SE_COST_VERW;
    default:
        break;
    }
    switch (in->mnemonic) {
    case ZYDIS_MNEMONIC_PUSH:
    case ZYDIS_MNEMONIC_PUSHFQ:
        return SE_COST_PUSH;
    case ZYDIS_MNEMONIC_POP:
    case ZYDIS_MNEMONIC_POPFQ:
        return SE_COST_POP;
    case ZYDIS_MNEMONIC_CALL:
        return SE_COST_CALL;
    case ZYDIS_MNEMONIC_RET:
        return SE_COST_RET;
    case ZYDIS_MNEMONIC_NOP:
    case ZYDIS_MNEMONIC_INT3:
        return SE_COST_NOP;
    default:
        break;
    }
    if (in->meta.category == ZYDIS_CATEGORY_COND_BR ||
        in->meta.category == ZYDIS_CATEGORY_UNCOND_BR)
        return SE_COST_BRANCH;
    if (out->mem_write)
        return SE_COST_STORE;
    if (out->mem_read)
        return SE_COST_LOAD;
    if (in->meta.category == ZYDIS_CATEGORY_SYSTEM)
        return SE_COST_OTHER;
    return SE_COST_ALU;
}

se_status se_decode_one(const uint8_t *buf, size_t len, uint64_t addr, se_insn *out)
{
    if (buf == NULL || out == NULL)
        return SE_ERR_INVALID_ARG;
    ZydisDecoder dec;
    if (!ZYAN_SUCCESS(ZydisDecoderInit(&dec, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64)))
        return SE_ERR_BACKEND;
    ZydisDecodedInstruction in;
    ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
    if (!ZYAN_SUCCESS(ZydisDecoderDecodeFull(&dec, buf, len, &in, ops)))
        return SE_ERR_FORMAT;
    memset(out, 0, sizeof *out);
    out->addr = addr;
    out->len = in.length;
    out->mnemonic = (uint16_t)in.mnemonic;
    out->kind = se_classify(&in, ops, &out->src_uc_reg);
    out->width = (uint8_t)in.operand_width;
    if (out->kind == SE_INSN_RDGSBASE_ETC)
        out->base_op = (uint8_t)((in.mnemonic == ZYDIS_MNEMONIC_RDGSBASE ||
                                  in.mnemonic == ZYDIS_MNEMONIC_WRGSBASE) |
                                 (in.mnemonic == ZYDIS_MNEMONIC_WRFSBASE ||
                                          in.mnemonic == ZYDIS_MNEMONIC_WRGSBASE
                                      ? 2
                                      : 0));
    if (out->kind == SE_INSN_RDTSC)
        out->base_op = in.mnemonic == ZYDIS_MNEMONIC_RDTSCP;
    if (out->kind == SE_INSN_MOV_FROM_CR)
        out->crn = (uint8_t)(ops[1].reg.value - ZYDIS_REGISTER_CR0);
    for (unsigned i = 0; i < in.operand_count; i++) {
        if (ops[i].type != ZYDIS_OPERAND_TYPE_MEMORY || ops[i].mem.type != ZYDIS_MEMOP_TYPE_MEM)
            continue;
        if (ops[i].actions & ZYDIS_OPERAND_ACTION_MASK_READ)
            out->mem_read = true;
        if (ops[i].actions & ZYDIS_OPERAND_ACTION_MASK_WRITE)
            out->mem_write = true;
    }
    switch (in.meta.category) {
    case ZYDIS_CATEGORY_COND_BR:
    case ZYDIS_CATEGORY_UNCOND_BR:
    case ZYDIS_CATEGORY_CALL:
    case ZYDIS_CATEGORY_RET:
    case ZYDIS_CATEGORY_INTERRUPT:
    case ZYDIS_CATEGORY_SYSCALL:
    case ZYDIS_CATEGORY_SYSRET:
        out->flow = true;
        break;
    default:
        break;
    }
    out->cost = se_cost_of(&in, out);
    return SE_OK;
}

se_status se_decode_exec(const uint8_t *buf, size_t len, uint64_t addr, bool truncated,
                         se_insn *out)
{
    if (buf == NULL || out == NULL)
        return SE_ERR_INVALID_ARG;
    ZydisDecoder dec;
    if (!ZYAN_SUCCESS(ZydisDecoderInit(&dec, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64)))
        return SE_ERR_BACKEND;
    ZydisDecodedInstruction in;
    ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
    ZyanStatus zs = ZydisDecoderDecodeFull(&dec, buf, len, &in, ops);
    if (ZYAN_SUCCESS(zs))
        return se_decode_one(buf, len, addr, out);
    if (zs == ZYDIS_STATUS_NO_MORE_DATA && (truncated || len < 15))
        return SE_ERR_FORMAT; /* the bytes that would decide are not readable */
    memset(out, 0, sizeof *out);
    out->addr = addr;
    out->len = 1;
    out->kind = SE_INSN_INVALID;
    out->cost = SE_COST_OTHER;
    /* 15 bytes that are still not a whole instruction: the length limit (#GP(0)) */
    out->ud_vector = zs == ZYDIS_STATUS_INSTRUCTION_TOO_LONG || zs == ZYDIS_STATUS_NO_MORE_DATA
                         ? SE_VEC_GP
                         : SE_VEC_UD;
    return SE_OK;
}

bool se_insn_is_hooked(se_insn_kind kind)
{
    switch (kind) {
    case SE_INSN_RDTSC:
    case SE_INSN_HLT:
    case SE_INSN_MOV_FROM_CR:
    case SE_INSN_CLI_STI:
    case SE_INSN_PORT_IO:
    case SE_INSN_PRIV_OTHER:
    case SE_INSN_INVALID:
    case SE_INSN_MISDECODED:
    case SE_INSN_RDGSBASE_ETC:
    case SE_INSN_SYSRET64:
    case SE_INSN_SYSRET32:
    case SE_INSN_SWAPGS:
    case SE_INSN_MOV_TO_CR0:
    case SE_INSN_MOV_TO_CR3:
    case SE_INSN_MOV_TO_CR4:
    case SE_INSN_RDMSR:
    case SE_INSN_WRMSR:
    case SE_INSN_IRETQ:
    case SE_INSN_IRET_OTHER:
    case SE_INSN_INVPCID:
        return true;
    default:
        return false;
    }
}

bool se_decode_illegal_lock(const uint8_t *buf, size_t len)
{
    ZydisDecoder dec;
    ZydisDecodedInstruction in;
    if (buf == NULL ||
        !ZYAN_SUCCESS(ZydisDecoderInit(&dec, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64)))
        return false;
    return ZydisDecoderDecodeInstruction(&dec, NULL, buf, len, &in) == ZYDIS_STATUS_ILLEGAL_LOCK;
}

const char *se_insn_mnemonic(const se_insn *in)
{
    if (in == NULL)
        return "?";
    if (in->kind == SE_INSN_INVALID)
        return "(invalid)";
    const char *s = ZydisMnemonicGetString((ZydisMnemonic)in->mnemonic);
    return s != NULL ? s : "?";
}

se_status se_decode_format(const uint8_t *buf, size_t len, uint64_t addr, bool intel, char *out,
                           size_t out_len)
{
    if (buf == NULL || out == NULL || out_len == 0)
        return SE_ERR_INVALID_ARG;
    out[0] = '\0';
    ZydisDecoder dec;
    ZydisDecodedInstruction in;
    ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
    ZydisFormatter fmt;
    if (!ZYAN_SUCCESS(ZydisDecoderInit(&dec, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64)) ||
        !ZYAN_SUCCESS(ZydisDecoderDecodeFull(&dec, buf, len, &in, ops)))
        return SE_ERR_FORMAT;
    if (!ZYAN_SUCCESS(ZydisFormatterInit(&fmt, intel ? ZYDIS_FORMATTER_STYLE_INTEL
                                                     : ZYDIS_FORMATTER_STYLE_ATT)))
        return SE_ERR_BACKEND;
    /* %gs:0x14, not %gs:0x0000000000000014: per-CPU offsets are small numbers */
    ZydisFormatterSetProperty(&fmt, ZYDIS_FORMATTER_PROP_ADDR_PADDING_ABSOLUTE,
                              ZYDIS_PADDING_DISABLED);
    ZydisFormatterSetProperty(&fmt, ZYDIS_FORMATTER_PROP_DISP_PADDING, ZYDIS_PADDING_DISABLED);
    ZydisFormatterSetProperty(&fmt, ZYDIS_FORMATTER_PROP_IMM_PADDING, ZYDIS_PADDING_DISABLED);
    ZydisFormatterSetProperty(&fmt, ZYDIS_FORMATTER_PROP_HEX_UPPERCASE, ZYAN_FALSE);
    if (!ZYAN_SUCCESS(ZydisFormatterFormatInstruction(&fmt, &in, ops, in.operand_count_visible, out,
                                                      out_len, addr, ZYAN_NULL)))
        return SE_ERR_FORMAT;
    return SE_OK;
}
