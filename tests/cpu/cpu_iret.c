/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * IRETQ in 64-bit mode (docs/model.md, IRET-1..9): CS and SS checks against a small GDT,
 * the RIP check for both widths, RFLAGS per CPL/IOPL, and the data-segment rule.
 */
#include "cpu_test.h"

#include <string.h>

/* Test GDT: Linux's entries at Linux's selectors, then one entry per broken case. */
enum {
    SEL_UDATA_NP = 0x48,   /* user data, not present */
    SEL_UDATA_RO = 0x50,   /* user data, read-only */
    SEL_UCODE_NP = 0x58,   /* user code, not present */
    SEL_KCODE_CONF = 0x60, /* conforming DPL0 code */
    SEL_UCODE_CONF = 0x68, /* conforming DPL3 code */
    SEL_UDATA_NA = 0x70,   /* user data, accessed bit clear */
    SEL_UCODE_NA = 0x78,   /* user code, accessed bit clear */
    SEL_GATE3 = 0x80,      /* DPL3 call gate: a system descriptor whose type looks like code */
    SEL_LDT3 = 0x88,       /* DPL3 LDT descriptor: a system type that looks like writable data */
    T_GDT_ENTRIES = 18,
    SEL_BEYOND = T_GDT_ENTRIES << 3, /* first selector past the limit */
};
#define RPL3             SE_SEL_RPL_MASK
#define T_TYPE_TSS_AVAIL 0x9u /* system type: available 64-bit TSS */
#define T_TYPE_LDT       0x2u /* system type: LDT */
#define T_TYPE_CALL_GATE 0xCu /* system type: 64-bit call gate */
#define AR_DPL3          (3u << SE_SEG_AR_DPL_SHIFT)
#define AR_KCODE_CONF    (SE_SEG_AR_KERNEL_CS | SE_SEG_TYPE_CONFORM)
#define AR_UCODE_CONF    (SE_SEG_AR_USER_CS | SE_SEG_TYPE_CONFORM)

static const uint64_t t_gdt_entries[T_GDT_ENTRIES] = {
    [SE_KERNEL32_CS >> 3] = T_DESC(0, 0xFFFFFu, SE_SEG_AR_KERNEL_CS32),
    [SE_KERNEL_CS >> 3] = T_DESC(0, 0xFFFFFu, SE_SEG_AR_KERNEL_CS),
    [SE_KERNEL_DS >> 3] = T_DESC(0, 0xFFFFFu, SE_SEG_AR_KERNEL_SS),
    [SE_USER32_CS >> 3] = T_DESC(0, 0xFFFFFu, SE_SEG_AR_USER_CS32),
    [SE_USER_DS >> 3] = T_DESC(0, 0xFFFFFu, SE_SEG_AR_USER_SS),
    [SE_USER_CS >> 3] = T_DESC(0, 0xFFFFFu, SE_SEG_AR_USER_CS),
    [SE_TSS_SEL >> 3] = T_DESC(0x1000u, SE_TSS_SIZE - 1, SE_SEG_AR_P | T_TYPE_TSS_AVAIL),
    [SEL_UDATA_NP >> 3] = T_DESC(0, 0xFFFFFu, SE_SEG_AR_USER_SS & ~SE_SEG_AR_P),
    [SEL_UDATA_RO >> 3] = T_DESC(0, 0xFFFFFu, SE_SEG_AR_USER_SS & ~SE_SEG_TYPE_WRITE),
    [SEL_UCODE_NP >> 3] = T_DESC(0, 0xFFFFFu, SE_SEG_AR_USER_CS & ~SE_SEG_AR_P),
    [SEL_KCODE_CONF >> 3] = T_DESC(0, 0xFFFFFu, AR_KCODE_CONF),
    [SEL_UCODE_CONF >> 3] = T_DESC(0, 0xFFFFFu, AR_UCODE_CONF),
    [SEL_UDATA_NA >> 3] = T_DESC(0, 0xFFFFFu, SE_SEG_AR_USER_SS & ~SE_SEG_TYPE_ACCESSED),
    [SEL_UCODE_NA >> 3] = T_DESC(0, 0xFFFFFu, SE_SEG_AR_USER_CS & ~SE_SEG_TYPE_ACCESSED),
    [SEL_GATE3 >> 3] = T_DESC(0, 0xFFFFFu, SE_SEG_AR_P | AR_DPL3 | T_TYPE_CALL_GATE),
    [SEL_LDT3 >> 3] = T_DESC(0, 0xFFFFFu, SE_SEG_AR_P | AR_DPL3 | T_TYPE_LDT | SE_SEG_AR_G),
};

/* What sits in GDT slot 0, which the CPU never reads: a null selector must fault without
 * looking at it, even when it holds a usable-looking descriptor. */
enum { T_SLOT0_ZERO = 0, T_SLOT0_USER_CODE, T_SLOT0_USER_DATA };

typedef struct t_gdt {
    uint64_t entries[T_GDT_ENTRIES];
    size_t count;
    unsigned reads;
} t_gdt;

static void t_gdt_init(t_gdt *g, int slot0)
{
    memcpy(g->entries, t_gdt_entries, sizeof g->entries);
    if (slot0 == T_SLOT0_USER_CODE)
        g->entries[0] = t_gdt_entries[SE_USER_CS >> 3];
    else if (slot0 == T_SLOT0_USER_DATA)
        g->entries[0] = t_gdt_entries[SE_USER_DS >> 3];
    g->count = T_GDT_ENTRIES;
    g->reads = 0;
}

/* The machine has no LDT: TI = 1 reads fail like a selector beyond the limit. */
static bool t_read_desc(void *ctx, uint16_t sel, uint64_t *desc)
{
    t_gdt *g = ctx;
    g->reads++;
    if ((sel & SE_SEL_TI) || (size_t)(sel >> 3) >= g->count)
        return false;
    *desc = g->entries[sel >> 3];
    return true;
}

/* The data segments the kernel holds at IRETQ in the main table: DS a DPL0 data segment, ES
 * the user's, FS null, GS null with RPL 2. */
static void t_iret_data_segments(se_cpu_state *st)
{
    st->ds = SE_KERNEL_DS;
    st->ds_ar = SE_SEG_AR_KERNEL_SS;
    st->es = SE_USER_DS;
    st->es_ar = SE_SEG_AR_USER_SS;
    st->fs = 0;
    st->fs_ar = SE_SEG_AR_UNUSABLE;
    st->gs = 2;
    st->gs_ar = SE_SEG_AR_UNUSABLE;
}

/* ---- CS, SS and RIP checks, the loaded state (IRET-1..5, IRET-7) -------------------------- */

typedef struct iret_row {
    const char *name;
    uint8_t cpl;     /* CPL executing IRETQ */
    bool la57;       /* CR4.LA57 (and CPU support) */
    bool cpu_la57;   /* CPU support only */
    uint64_t rflags; /* current RFLAGS; 0 means bit 1 only */
    se_iret_frame fr;
    se_fault_kind kind;
    uint8_t vector;
    uint32_t error;
    uint32_t cs_ar;        /* expected CS cache (all code entries are flat) */
    se_seg_cache ss_cache; /* expected SS cache */
    uint64_t want_rflags;
    int slot0; /* T_SLOT0_* */
} iret_row;

#define F        SE_RFLAGS_FIXED
#define UF       (F | SE_RFLAGS_IF)
#define FLAT_USS T_FLAT(SE_SEG_AR_USER_SS)
#define FLAT_KSS T_FLAT(SE_SEG_AR_KERNEL_SS)
/* the frame of an interrupt taken in user mode, with one slot replaced */
#define USER_FRAME                                                                                 \
    {                                                                                              \
        T_USER_RIP, SE_USER_CS, UF, T_USER_RSP, SE_USER_DS                                         \
    }
#define FRAME(rip, cs, ss)                                                                         \
    {                                                                                              \
        (rip), (cs), UF, T_USER_RSP, (ss)                                                          \
    }
#define KFRAME(rip, cs, ss)                                                                        \
    {                                                                                              \
        (rip), (cs), F, T_KERNEL_RSP, (ss)                                                         \
    }
#define FAULT(vec, code) .kind = SE_FAULT_FAULT, .vector = (vec), .error = (code)

static const iret_row iret_rows[] = {
    /* IRET-7: outer return */
    {.name = "test_iretq_to_user_64bit",
     .fr = USER_FRAME,
     .cs_ar = SE_SEG_AR_USER_CS,
     .ss_cache = FLAT_USS,
     .want_rflags = UF},
    {.name = "test_iretq_to_user_compat",
     .fr = {T_USER32_RIP, SE_USER32_CS, UF, 0xffffd000u, SE_USER_DS},
     .cs_ar = SE_SEG_AR_USER_CS32,
     .ss_cache = FLAT_USS,
     .want_rflags = UF},
    {.name = "test_iretq_conforming_dpl0_code_to_cpl3",
     .fr = FRAME(T_USER_RIP, SEL_KCODE_CONF | RPL3, SE_USER_DS),
     .cs_ar = AR_KCODE_CONF,
     .ss_cache = FLAT_USS,
     .want_rflags = UF},
    {.name = "test_iretq_conforming_dpl3_code_rpl3",
     .fr = FRAME(T_USER_RIP, SEL_UCODE_CONF | RPL3, SE_USER_DS),
     .cs_ar = AR_UCODE_CONF,
     .ss_cache = FLAT_USS,
     .want_rflags = UF},
    /* loading marks the caches accessed */
    {.name = "test_iretq_caches_get_accessed_bit",
     .fr = FRAME(T_USER_RIP, SEL_UCODE_NA | RPL3, SEL_UDATA_NA | RPL3),
     .cs_ar = SE_SEG_AR_USER_CS,
     .ss_cache = FLAT_USS,
     .want_rflags = UF},
    /* IRET-2: only the low 16 bits of the selector slots count */
    {.name = "test_iretq_selector_slot_high_bits_ignored",
     .fr = {T_USER_RIP, 0xdead000000000000ull | SE_USER_CS, UF, T_USER_RSP,
            0xbeef000000000000ull | SE_USER_DS},
     .cs_ar = SE_SEG_AR_USER_CS,
     .ss_cache = FLAT_USS,
     .want_rflags = UF},
    /* IRET-1: the NT of the frame is simply loaded */
    {.name = "test_iretq_nt_in_frame_loaded",
     .fr = {T_USER_RIP, SE_USER_CS, UF | SE_RFLAGS_NT, T_USER_RSP, SE_USER_DS},
     .cs_ar = SE_SEG_AR_USER_CS,
     .ss_cache = FLAT_USS,
     .want_rflags = UF | SE_RFLAGS_NT},
    /* IRETQ to the same level (the library's CPL0 trampolines) */
    {.name = "test_iretq_same_level_kernel",
     .fr = KFRAME(T_KERNEL_RIP, SE_KERNEL_CS, SE_KERNEL_DS),
     .cs_ar = SE_SEG_AR_KERNEL_CS,
     .ss_cache = FLAT_KSS,
     .want_rflags = F},
    {.name = "test_iretq_same_level_null_ss_64bit_ok",
     .fr = KFRAME(T_KERNEL_RIP, SE_KERNEL_CS, 0),
     .cs_ar = SE_SEG_AR_KERNEL_CS,
     .ss_cache = T_NULL_SEG,
     .want_rflags = F},
    {.name = "test_iretq_user_to_user_same_level",
     .cpl = 3,
     .rflags = UF,
     .fr = USER_FRAME,
     .cs_ar = SE_SEG_AR_USER_CS,
     .ss_cache = FLAT_USS,
     .want_rflags = UF},
    /* IRET-5: canonical RIPs, both widths; RSP unchecked; compat limit */
    {.name = "test_iretq_rip_top_user_w48_ok",
     .fr = FRAME(0x00007fffffffffffull, SE_USER_CS, SE_USER_DS),
     .cs_ar = SE_SEG_AR_USER_CS,
     .ss_cache = FLAT_USS,
     .want_rflags = UF},
    {.name = "test_iretq_rip_bit47_w57_ok",
     .la57 = true,
     .fr = FRAME(0x0000800000000000ull, SE_USER_CS, SE_USER_DS),
     .cs_ar = SE_SEG_AR_USER_CS,
     .ss_cache = FLAT_USS,
     .want_rflags = UF},
    {.name = "test_iretq_rip_top_user_w57_ok",
     .la57 = true,
     .fr = FRAME(0x00ffffffffffffffull, SE_USER_CS, SE_USER_DS),
     .cs_ar = SE_SEG_AR_USER_CS,
     .ss_cache = FLAT_USS,
     .want_rflags = UF},
    {.name = "test_iretq_noncanonical_rsp_not_checked",
     .fr = {T_USER_RIP, SE_USER_CS, UF, 0x0000800000000000ull, SE_USER_DS},
     .cs_ar = SE_SEG_AR_USER_CS,
     .ss_cache = FLAT_USS,
     .want_rflags = UF},
    {.name = "test_iretq_compat_rip_at_limit_ok",
     .fr = FRAME(SE_SEG_FLAT_LIMIT, SE_USER32_CS, SE_USER_DS),
     .cs_ar = SE_SEG_AR_USER_CS32,
     .ss_cache = FLAT_USS,
     .want_rflags = UF},
    /* IRET-1 */
    {.name = "test_iretq_nt_set_gp0",
     .rflags = F | SE_RFLAGS_NT,
     .fr = USER_FRAME,
     FAULT(SE_VEC_GP, 0)},
    /* IRET-3 */
    {.name = "test_iretq_null_cs_gp0", .fr = FRAME(T_USER_RIP, 0, SE_USER_DS), FAULT(SE_VEC_GP, 0)},
    {.name = "test_iretq_null_cs_rpl3_gp0",
     .fr = FRAME(T_USER_RIP, RPL3, SE_USER_DS),
     FAULT(SE_VEC_GP, 0)},
    {.name = "test_iretq_null_cs_gdt_slot0_never_read_gp0",
     .slot0 = T_SLOT0_USER_CODE,
     .fr = FRAME(T_USER_RIP, RPL3, SE_USER_DS),
     FAULT(SE_VEC_GP, 0)},
    {.name = "test_iretq_cs_dpl3_call_gate_gp",
     .fr = FRAME(T_USER_RIP, SEL_GATE3 | RPL3, SE_USER_DS),
     FAULT(SE_VEC_GP, SEL_GATE3)},
    {.name = "test_iretq_cs_rpl_below_cpl_gp",
     .cpl = 3,
     .rflags = UF,
     .fr = KFRAME(T_KERNEL_RIP, SE_KERNEL_CS, SE_KERNEL_DS),
     FAULT(SE_VEC_GP, SE_KERNEL_CS)},
    {.name = "test_iretq_cs_rpl0_on_dpl3_code_gp",
     .fr = FRAME(T_USER_RIP, SE_USER_CS &SE_SEL_NO_RPL_MASK, SE_USER_DS),
     FAULT(SE_VEC_GP, SE_USER_CS &SE_SEL_NO_RPL_MASK)},
    {.name = "test_iretq_cs_rpl3_on_dpl0_code_gp",
     .fr = FRAME(T_USER_RIP, SE_KERNEL_CS | RPL3, SE_USER_DS),
     FAULT(SE_VEC_GP, SE_KERNEL_CS)},
    {.name = "test_iretq_cs_data_segment_gp",
     .fr = FRAME(T_USER_RIP, SE_USER_DS, SE_USER_DS),
     FAULT(SE_VEC_GP, SE_USER_DS &SE_SEL_NO_RPL_MASK)},
    {.name = "test_iretq_cs_system_segment_gp",
     .fr = FRAME(T_USER_RIP, SE_TSS_SEL | RPL3, SE_USER_DS),
     FAULT(SE_VEC_GP, SE_TSS_SEL)},
    {.name = "test_iretq_cs_beyond_gdt_gp",
     .fr = FRAME(T_USER_RIP, SEL_BEYOND | RPL3, SE_USER_DS),
     FAULT(SE_VEC_GP, SEL_BEYOND)},
    {.name = "test_iretq_cs_ldt_selector_gp_keeps_ti",
     .fr = FRAME(T_USER_RIP, SE_USER_CS | SE_SEL_TI, SE_USER_DS),
     FAULT(SE_VEC_GP, (SE_USER_CS | SE_SEL_TI) & SE_SEL_NO_RPL_MASK)},
    {.name = "test_iretq_cs_conforming_dpl3_rpl0_gp",
     .fr = FRAME(T_USER_RIP, SEL_UCODE_CONF, SE_USER_DS),
     FAULT(SE_VEC_GP, SEL_UCODE_CONF)},
    {.name = "test_iretq_cs_not_present_np",
     .fr = FRAME(T_USER_RIP, SEL_UCODE_NP | RPL3, SE_USER_DS),
     FAULT(SE_VEC_NP, SEL_UCODE_NP)},
    {.name = "test_iretq_order_cs_dpl_before_present_gp",
     .fr = FRAME(T_USER_RIP, SEL_UCODE_NP, SE_USER_DS),
     FAULT(SE_VEC_GP, SEL_UCODE_NP)},
    /* IRET-4 */
    {.name = "test_iretq_null_ss_to_cpl3_gp0",
     .fr = FRAME(T_USER_RIP, SE_USER_CS, 0),
     FAULT(SE_VEC_GP, 0)},
    {.name = "test_iretq_null_ss_rpl3_to_cpl3_gp0",
     .fr = FRAME(T_USER_RIP, SE_USER_CS, RPL3),
     FAULT(SE_VEC_GP, 0)},
    {.name = "test_iretq_null_ss_gdt_slot0_never_read_gp0",
     .slot0 = T_SLOT0_USER_DATA,
     .fr = FRAME(T_USER_RIP, SE_USER_CS, RPL3),
     FAULT(SE_VEC_GP, 0)},
    {.name = "test_iretq_ss_rpl0_on_dpl3_data_gp",
     .fr = FRAME(T_USER_RIP, SE_USER_CS, SE_USER_DS &SE_SEL_NO_RPL_MASK),
     FAULT(SE_VEC_GP, SE_USER_DS &SE_SEL_NO_RPL_MASK)},
    {.name = "test_iretq_ss_dpl3_ldt_descriptor_gp",
     .fr = FRAME(T_USER_RIP, SE_USER_CS, SEL_LDT3 | RPL3),
     FAULT(SE_VEC_GP, SEL_LDT3)},
    {.name = "test_iretq_null_ss_same_level_compat_gp0",
     .fr = KFRAME(0xc1000000u, SE_KERNEL32_CS, 0),
     FAULT(SE_VEC_GP, 0)},
    {.name = "test_iretq_ss_rpl_mismatch_gp",
     .fr = FRAME(T_USER_RIP, SE_USER_CS, SE_KERNEL_DS),
     FAULT(SE_VEC_GP, SE_KERNEL_DS)},
    {.name = "test_iretq_ss_dpl_mismatch_gp",
     .fr = FRAME(T_USER_RIP, SE_USER_CS, SE_KERNEL_DS | RPL3),
     FAULT(SE_VEC_GP, SE_KERNEL_DS)},
    {.name = "test_iretq_ss_read_only_gp",
     .fr = FRAME(T_USER_RIP, SE_USER_CS, SEL_UDATA_RO | RPL3),
     FAULT(SE_VEC_GP, SEL_UDATA_RO)},
    {.name = "test_iretq_ss_code_gp",
     .fr = FRAME(T_USER_RIP, SE_USER_CS, SE_USER_CS),
     FAULT(SE_VEC_GP, SE_USER_CS &SE_SEL_NO_RPL_MASK)},
    {.name = "test_iretq_ss_system_gp",
     .fr = FRAME(T_USER_RIP, SE_USER_CS, SE_TSS_SEL | RPL3),
     FAULT(SE_VEC_GP, SE_TSS_SEL)},
    {.name = "test_iretq_ss_beyond_gdt_gp",
     .fr = FRAME(T_USER_RIP, SE_USER_CS, SEL_BEYOND | RPL3),
     FAULT(SE_VEC_GP, SEL_BEYOND)},
    {.name = "test_iretq_ss_ldt_selector_gp_keeps_ti",
     .fr = FRAME(T_USER_RIP, SE_USER_CS, SE_USER_DS | SE_SEL_TI),
     FAULT(SE_VEC_GP, (SE_USER_DS | SE_SEL_TI) & SE_SEL_NO_RPL_MASK)},
    {.name = "test_iretq_ss_not_present_ss",
     .fr = FRAME(T_USER_RIP, SE_USER_CS, SEL_UDATA_NP | RPL3),
     FAULT(SE_VEC_SS, SEL_UDATA_NP)},
    /* IRET-5: a CPL0 fault on the IRETQ, before anything changes */
    {.name = "test_iretq_noncanonical_rip_w48_gp0_at_cpl0",
     .fr = FRAME(0x0000800000000000ull, SE_USER_CS, SE_USER_DS),
     FAULT(SE_VEC_GP, 0)},
    {.name = "test_iretq_rip_bit47_w48_on_la57_cpu_gp0",
     .cpu_la57 = true,
     .fr = FRAME(0x0000800000000000ull, SE_USER_CS, SE_USER_DS),
     FAULT(SE_VEC_GP, 0)},
    {.name = "test_iretq_rip_bit56_w57_gp0",
     .la57 = true,
     .fr = FRAME(0x0100000000000000ull, SE_USER_CS, SE_USER_DS),
     FAULT(SE_VEC_GP, 0)},
    {.name = "test_iretq_rip_bit63_w57_gp0",
     .la57 = true,
     .fr = FRAME(1ull << 63, SE_USER_CS, SE_USER_DS),
     FAULT(SE_VEC_GP, 0)},
    {.name = "test_iretq_compat_rip_above_4g_gp0",
     .fr = FRAME(1ull << 32, SE_USER32_CS, SE_USER_DS),
     FAULT(SE_VEC_GP, 0)},
    {.name = "test_iretq_same_level_noncanonical_rip_gp0",
     .fr = KFRAME(0xffff7fffffffffffull, SE_KERNEL_CS, SE_KERNEL_DS),
     FAULT(SE_VEC_GP, 0)},
    /* check order: NT, then CS, then SS, then RIP */
    {.name = "test_iretq_order_nt_before_cs_gp0",
     .rflags = F | SE_RFLAGS_NT,
     .fr = FRAME(T_USER_RIP, SE_USER_DS, SE_USER_DS),
     FAULT(SE_VEC_GP, 0)},
    {.name = "test_iretq_order_cs_before_ss_np",
     .fr = FRAME(T_USER_RIP, SEL_UCODE_NP | RPL3, SE_KERNEL_DS),
     FAULT(SE_VEC_NP, SEL_UCODE_NP)},
    {.name = "test_iretq_order_ss_before_rip_gp_ss",
     .fr = FRAME(0x0000800000000000ull, SE_USER_CS, SE_KERNEL_DS),
     FAULT(SE_VEC_GP, SE_KERNEL_DS)},
    {.name = "test_iretq_order_ss_present_before_rip_ss",
     .fr = FRAME(0x0000800000000000ull, SE_USER_CS, SEL_UDATA_NP | RPL3),
     FAULT(SE_VEC_SS, SEL_UDATA_NP)},
};

static void t_iret_start(se_cpu_state *st, uint8_t cpl, bool la57, uint64_t rflags)
{
    if (cpl == 3) {
        t_user_state(st);
    } else {
        t_kernel_state(st);
        st->cpl = cpl;
    }
    if (la57)
        st->cr4 |= SE_CR4_LA57;
    st->regs.rflags = rflags != 0 ? rflags : F;
    t_iret_data_segments(st);
}

static void test_iretq(void **state)
{
    const iret_row *r = *state;
    se_cpu_features f = t_features(SE_VENDOR_INTEL, r->la57 || r->cpu_la57);
    se_cpu_state st;
    t_iret_start(&st, r->cpl, r->la57, r->rflags);
    se_cpu_state before;
    memcpy(&before, &st, sizeof st);
    t_gdt gdt;
    t_gdt_init(&gdt, r->slot0);
    se_fault fault;
    t_scribble_fault(&fault);

    se_fault_kind k = se_cpu_iretq(&f, &st, &r->fr, t_read_desc, &gdt, &fault);

    assert_int_equal(k, r->kind);
    if (r->kind == SE_FAULT_FAULT) {
        t_expect_fault(&fault, &before, r->vector, r->error);
        t_expect_state(&before, &st);
        return;
    }
    uint8_t new_cpl = (uint8_t)(r->fr.cs & SE_SEL_RPL_MASK);
    se_cpu_state want;
    memcpy(&want, &before, sizeof want);
    want.regs.rip = r->fr.rip;
    want.regs.cs = (uint16_t)r->fr.cs;
    want.cs_cache = (se_seg_cache)T_FLAT(r->cs_ar);
    want.regs.rflags = r->want_rflags;
    want.regs.rsp = r->fr.rsp; /* IRET-7 */
    want.regs.ss = (uint16_t)r->fr.ss;
    want.ss_cache = r->ss_cache;
    want.cpl = new_cpl;
    if (new_cpl > before.cpl) { /* IRET-8 on t_iret_data_segments */
        want.ds = 0;
        want.ds_ar = SE_SEG_AR_UNUSABLE;
        want.gs = 0;
    }
    t_expect_state(&want, &st);
    t_expect_no_fault(&fault);  /* IRET-9: never a trap of the IRETQ itself */
    assert_true(gdt.reads > 0); /* the descriptors came through the reader and its ctx */
}

/* ---- RFLAGS (IRET-6, RFLAGS-5, IRET-9) --------------------------------------------------- */

typedef struct iret_flags_row {
    const char *name;
    uint8_t cpl;     /* 0: return to user (outer); 3: user to user (same level) */
    uint64_t rflags; /* current */
    uint64_t frame;  /* popped */
    uint64_t want;
} iret_flags_row;

#define ALL_LOADABLE_CPL0                                                                          \
    (T_RFLAGS_ARITH | SE_RFLAGS_TF | SE_RFLAGS_IF | SE_RFLAGS_DF | SE_RFLAGS_IOPL | SE_RFLAGS_NT | \
     SE_RFLAGS_RF | SE_RFLAGS_AC | SE_RFLAGS_VIF | SE_RFLAGS_VIP | SE_RFLAGS_ID)

static const iret_flags_row iret_flags_rows[] = {
    {"test_iretq_flags_cpl0_loads_all_but_vm", 0, F, F | ALL_LOADABLE_CPL0 | SE_RFLAGS_VM,
     F | ALL_LOADABLE_CPL0},
    /* RFLAGS-5: unlike SYSRET (SYSRET-5), IRET restores RF */
    {"test_iretq_flags_restores_rf", 0, F, UF | SE_RFLAGS_RF, UF | SE_RFLAGS_RF},
    /* IRET-9: a loaded TF is not an event of the IRETQ */
    {"test_iretq_flags_tf_loaded_without_trap", 0, F, UF | SE_RFLAGS_TF, UF | SE_RFLAGS_TF},
    {"test_iretq_flags_vm_never_loaded", 0, F, UF | SE_RFLAGS_VM, UF},
    {"test_iretq_flags_reserved_frame_bits_ignored", 0, F,
     UF | T_RFLAGS_RESERVED_LOW | T_RFLAGS_RESERVED_HIGH, UF},
    {"test_iretq_flags_frame_bit1_clear_reads_1", 0, F, SE_RFLAGS_IF, UF},
    /* RFLAGS-1: even from a malformed state (bit 1 clear, e.g. set through the API) */
    {"test_iretq_flags_bit1_forced_when_state_lacked_it", 0, SE_RFLAGS_IF, UF, UF},
    {"test_iretq_flags_cpl0_clears_if_iopl_vif_vip", 0,
     F | SE_RFLAGS_IF | SE_RFLAGS_IOPL | SE_RFLAGS_VIF | SE_RFLAGS_VIP, F, F},
    /* IRET-6 at CPL3: IF only if CPL <= IOPL; IOPL, VIF, VIP never */
    {"test_iretq_flags_cpl3_iopl0_if_not_cleared", 3, UF, F, UF},
    {"test_iretq_flags_cpl3_iopl0_if_not_set", 3, F, UF, F},
    {"test_iretq_flags_cpl3_iopl3_if_cleared", 3, UF | SE_RFLAGS_IOPL, F, F | SE_RFLAGS_IOPL},
    {"test_iretq_flags_cpl3_iopl3_if_set", 3, F | SE_RFLAGS_IOPL, UF, UF | SE_RFLAGS_IOPL},
    {"test_iretq_flags_cpl3_iopl_not_raised", 3, F, F | SE_RFLAGS_IOPL, F},
    {"test_iretq_flags_cpl3_iopl_not_lowered", 3, F | SE_RFLAGS_IOPL,
     F | (1ull << SE_RFLAGS_IOPL_SHIFT), F | SE_RFLAGS_IOPL},
    {"test_iretq_flags_cpl3_vif_vip_not_loaded", 3, F | SE_RFLAGS_VIF, F | SE_RFLAGS_VIP,
     F | SE_RFLAGS_VIF},
    {"test_iretq_flags_cpl3_loads_tf_ac_nt_rf_df_id_arith", 3, F,
     F | SE_RFLAGS_TF | SE_RFLAGS_AC | SE_RFLAGS_NT | SE_RFLAGS_RF | SE_RFLAGS_DF | SE_RFLAGS_ID |
         T_RFLAGS_ARITH,
     F | SE_RFLAGS_TF | SE_RFLAGS_AC | SE_RFLAGS_NT | SE_RFLAGS_RF | SE_RFLAGS_DF | SE_RFLAGS_ID |
         T_RFLAGS_ARITH},
};

static void test_iretq_flags(void **state)
{
    const iret_flags_row *r = *state;
    se_cpu_features f = t_features(SE_VENDOR_INTEL, false);
    se_cpu_state st;
    t_iret_start(&st, r->cpl, false, r->rflags);
    t_gdt gdt;
    t_gdt_init(&gdt, T_SLOT0_ZERO);
    se_iret_frame fr = {T_USER_RIP, SE_USER_CS, r->frame, T_USER_RSP, SE_USER_DS};
    se_fault fault;
    t_scribble_fault(&fault);
    assert_int_equal(se_cpu_iretq(&f, &st, &fr, t_read_desc, &gdt, &fault), SE_FAULT_NONE);
    se_assert_eq_hex("rflags", st.regs.rflags, r->want);
    assert_int_equal(st.cpl, 3);
    t_expect_no_fault(&fault);
}

/* ---- data segments (IRET-8) --------------------------------------------------------------- */

enum { T_DS, T_ES, T_FS, T_GS, T_NSEG };

typedef struct iret_seg_row {
    const char *name;
    bool same_level; /* CPL0 -> CPL0 instead of CPL0 -> CPL3 */
    uint16_t sel[T_NSEG];
    uint32_t ar[T_NSEG];
    uint16_t want_sel[T_NSEG];
    uint32_t want_ar[T_NSEG];
} iret_seg_row;

#define ALL4(x)                                                                                    \
    {                                                                                              \
        (x), (x), (x), (x)                                                                         \
    }
#define UNUS         SE_SEG_AR_UNUSABLE
#define AR_DPL2_DATA ((SE_SEG_AR_USER_SS & ~SE_SEG_AR_DPL_MASK) | (2u << SE_SEG_AR_DPL_SHIFT))

static const iret_seg_row iret_seg_rows[] = {
    {"test_iretq_segs_dpl0_data_nulled", false, ALL4(SE_KERNEL_DS), ALL4(SE_SEG_AR_KERNEL_SS),
     ALL4(0), ALL4(UNUS)},
    {"test_iretq_segs_dpl2_data_nulled", false, ALL4(SE_USER_TLS_DS), ALL4(AR_DPL2_DATA), ALL4(0),
     ALL4(UNUS)},
    {"test_iretq_segs_dpl3_data_kept", false, ALL4(SE_USER_DS), ALL4(SE_SEG_AR_USER_SS),
     ALL4(SE_USER_DS), ALL4(SE_SEG_AR_USER_SS)},
    {"test_iretq_segs_dpl0_readable_code_nulled", false, ALL4(SE_KERNEL_CS),
     ALL4(SE_SEG_AR_KERNEL_CS), ALL4(0), ALL4(UNUS)},
    {"test_iretq_segs_dpl0_conforming_code_kept", false, ALL4(SEL_KCODE_CONF), ALL4(AR_KCODE_CONF),
     ALL4(SEL_KCODE_CONF), ALL4(AR_KCODE_CONF)},
    {"test_iretq_segs_dpl3_code_kept", false, ALL4(SE_USER_CS), ALL4(SE_SEG_AR_USER_CS),
     ALL4(SE_USER_CS), ALL4(SE_SEG_AR_USER_CS)},
    /* "IRET ... will squash selectors 1, 2, or 3 to zero" */
    {"test_iretq_segs_null_rpl123_squashed", false, {1, 2, 3, 0}, ALL4(UNUS), ALL4(0), ALL4(UNUS)},
    /* a null selector loaded at CPL3 may carry DPL 3 in its cache; it is squashed anyway */
    {"test_iretq_segs_null_with_dpl3_cache_squashed", false, ALL4(3), ALL4(UNUS | AR_DPL3), ALL4(0),
     ALL4(UNUS)},
    {"test_iretq_segs_each_register_own_rule",
     false,
     {SE_KERNEL_DS, SE_USER_DS, 3, SEL_KCODE_CONF},
     {SE_SEG_AR_KERNEL_SS, SE_SEG_AR_USER_SS, UNUS, AR_KCODE_CONF},
     {0, SE_USER_DS, 0, SEL_KCODE_CONF},
     {UNUS, SE_SEG_AR_USER_SS, UNUS, AR_KCODE_CONF}},
    /* IRET-8 is about outer returns only */
    {"test_iretq_segs_same_level_dpl0_data_kept", true, ALL4(SE_KERNEL_DS),
     ALL4(SE_SEG_AR_KERNEL_SS), ALL4(SE_KERNEL_DS), ALL4(SE_SEG_AR_KERNEL_SS)},
    {"test_iretq_segs_same_level_null_rpl2_kept", true, ALL4(2), ALL4(UNUS), ALL4(2), ALL4(UNUS)},
};

static void test_iretq_segs(void **state)
{
    const iret_seg_row *r = *state;
    se_cpu_features f = t_features(SE_VENDOR_AMD, false);
    se_cpu_state st;
    t_kernel_state(&st);
    uint16_t *sel[T_NSEG] = {&st.ds, &st.es, &st.fs, &st.gs};
    uint32_t *ar[T_NSEG] = {&st.ds_ar, &st.es_ar, &st.fs_ar, &st.gs_ar};
    for (int i = 0; i < T_NSEG; i++) {
        *sel[i] = r->sel[i];
        *ar[i] = r->ar[i];
    }
    se_cpu_state before;
    memcpy(&before, &st, sizeof st);
    t_gdt gdt;
    t_gdt_init(&gdt, T_SLOT0_ZERO);
    se_iret_frame fr = {T_USER_RIP, SE_USER_CS, UF, T_USER_RSP, SE_USER_DS};
    if (r->same_level)
        fr = (se_iret_frame){T_KERNEL_RIP, SE_KERNEL_CS, F, T_KERNEL_RSP, SE_KERNEL_DS};
    se_fault fault;
    assert_int_equal(se_cpu_iretq(&f, &st, &fr, t_read_desc, &gdt, &fault), SE_FAULT_NONE);
    for (int i = 0; i < T_NSEG; i++) {
        if (*sel[i] != r->want_sel[i] || *ar[i] != r->want_ar[i])
            fail_msg("segment %d: sel 0x%x ar 0x%x, expected sel 0x%x ar 0x%x", i, *sel[i], *ar[i],
                     r->want_sel[i], r->want_ar[i]);
    }
    /* the hidden FS/GS bases are not the IRET's business */
    se_assert_eq_hex("fs base", st.regs.fs_base, before.regs.fs_base);
    se_assert_eq_hex("gs base", st.regs.gs_base, before.regs.gs_base);
}

int t_run_iret(void)
{
    int failed = SE_TEST_RUN_ROWS("cpu_iretq", iret_rows, test_iretq);
    failed += SE_TEST_RUN_ROWS("cpu_iretq_flags", iret_flags_rows, test_iretq_flags);
    failed += SE_TEST_RUN_ROWS("cpu_iretq_segments", iret_seg_rows, test_iretq_segs);
    return failed;
}
