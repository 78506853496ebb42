/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The assembled entry code itself, without Unicorn: the embedded object is loaded with the
 * ELF loader, every label the library resolves by name must exist where docs/entry.md says,
 * the .se_patch table must describe the blocks the assembly marks, and for representative
 * configurations the patched .entry.text must decode linearly with Zydis, keep one SYSRETQ,
 * one IRETQ, two SWAPGS per exit path, and take exactly the jmps the disabled blocks leave.
 */
#include "se_test.h"

#include <stdlib.h>
#include <string.h>

#include <Zydis/Zydis.h>

#include "entry/builtin.h"
#include "entry/layout.h"
#include "entry/patch.h"
#include "image_util.h"

#define SE_T_BASE 0xFFFFFFFF81000000ull /* where the test loads the object */
#define FEAT(n)   (1ull << (n))

static const char *const se_t_labels[] = {
    "entry_SYSCALL_64",
    "entry_SYSCALL_64_safe_stack",
    "entry_SYSCALL_64_after_hwframe",
    "se_call_do_syscall_64",
    "se_check_c_verdict",
    "se_check_xen_pv",
    "se_check_rcx_rip",
    "se_check_canonical",
    "se_check_cs",
    "se_check_r11_flags",
    "se_check_rf_tf",
    "se_check_ss",
    "syscall_return_via_sysret",
    "entry_SYSRETQ_unsafe_stack",
    "se_sysretq",
    "entry_SYSRETQ_end",
    "swapgs_restore_regs_and_return_to_usermode",
    "native_irq_return_iret",
    "mds_verw_sel",
    "se_phase_entry",
    "se_phase_cr3_kernel",
    "se_phase_ptregs",
    "se_phase_dispatch",
    "se_phase_checks",
    "se_phase_restore",
    "se_phase_cr3_user",
    "se_phase_sysret",
    "se_phase_restore_iret",
    "se_phase_cr3_user_iret",
    "se_phase_iret",
};

/* The loaded image, shared by every test. */
static struct se_t_image g_image;

static uint64_t se_t_sym(const char *name)
{
    return se_t_image_sym(&g_image, name);
}

static int se_t_group_setup(void **state)
{
    (void)state;
    return se_t_image_load(&g_image, SE_T_BASE);
}

static int se_t_group_teardown(void **state)
{
    (void)state;
    se_t_image_free(&g_image);
    return 0;
}

static bool se_t_in(const se_elf_section *s, uint64_t va)
{
    return va >= s->va && va - s->va < s->size;
}

/* ---- the object and its labels ---------------------------------------------------------- */
static void test_image_embedded_object(void **state)
{
    (void)state;
    assert_true(se_entry_linux_obj_size() > 64);
    assert_memory_equal(se_entry_linux_obj_start, "\177ELF", 4);
    assert_int_equal(se_entry_linux_obj_start[4], 2); /* ELFCLASS64 */
    assert_true(g_image.entry_text->exec);
    assert_false(g_image.entry_text->write);
    assert_true(g_image.text->exec);
    assert_false(g_image.patch->exec);
    assert_int_equal(g_image.patch->size % SE_PATCH_RECORD_SIZE, 0);
    assert_true(g_image.patch->size > 0);
}

static void test_image_labels_resolve(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof se_t_labels / sizeof se_t_labels[0]; i++) {
        uint64_t va = se_t_sym(se_t_labels[i]);
        if (!se_t_in(g_image.entry_text, va))
            print_error("%s at 0x%llx is outside .entry.text\n", se_t_labels[i],
                        (unsigned long long)va);
        assert_true(se_t_in(g_image.entry_text, va));
    }
    assert_true(se_t_in(g_image.text, se_t_sym("do_syscall_64")));
    uint64_t missing = 0;
    assert_int_not_equal(se_elf_symbol(g_image.img, "no_such_label", &missing), SE_OK);
}

static void test_image_label_layout(void **state)
{
    (void)state;
    /* aliases: a phase starts exactly at the Linux label it names */
    assert_int_equal(se_t_sym("se_phase_entry"), se_t_sym("entry_SYSCALL_64"));
    assert_int_equal(se_t_sym("entry_SYSCALL_64"), g_image.entry_text->va);
    assert_int_equal(se_t_sym("se_phase_restore"), se_t_sym("syscall_return_via_sysret"));
    assert_int_equal(se_t_sym("se_phase_sysret"), se_t_sym("entry_SYSRETQ_unsafe_stack"));
    assert_int_equal(se_t_sym("se_phase_restore_iret"),
                     se_t_sym("swapgs_restore_regs_and_return_to_usermode"));
    assert_int_equal(se_t_sym("se_phase_checks"), se_t_sym("se_check_c_verdict"));
    assert_int_equal(se_t_sym("se_phase_checks"), se_t_sym("se_call_do_syscall_64") + 5);
    assert_int_equal(se_t_sym("entry_SYSRETQ_end"), se_t_sym("se_sysretq") + 3);
    /* strictly increasing: the phases, then the checks in 6.6 order (the failed-check rule
     * "greatest check label not above the last block" depends on it) */
    static const char *const ordered[] = {
        "se_phase_entry",
        "se_phase_cr3_kernel",
        "se_phase_ptregs",
        "entry_SYSCALL_64_safe_stack",
        "entry_SYSCALL_64_after_hwframe",
        "se_phase_dispatch",
        "se_call_do_syscall_64",
        "se_check_c_verdict",
        "se_check_xen_pv",
        "se_check_rcx_rip",
        "se_check_canonical",
        "se_check_cs",
        "se_check_r11_flags",
        "se_check_rf_tf",
        "se_check_ss",
        "se_phase_restore",
        "se_phase_cr3_user",
        "se_phase_sysret",
        "se_sysretq",
        "se_phase_restore_iret",
        "se_phase_cr3_user_iret",
        "se_phase_iret",
        "native_irq_return_iret",
        "mds_verw_sel",
    };
    for (size_t i = 1; i < sizeof ordered / sizeof ordered[0]; i++) {
        if (!(se_t_sym(ordered[i - 1]) < se_t_sym(ordered[i])))
            print_error("%s is not below %s\n", ordered[i - 1], ordered[i]);
        assert_true(se_t_sym(ordered[i - 1]) < se_t_sym(ordered[i]));
    }
    /* mds_verw_sel holds __KERNEL_DS */
    uint64_t sel = se_t_sym("mds_verw_sel");
    const uint8_t *p = g_image.entry_text->bytes + (sel - g_image.entry_text->va);
    assert_int_equal(p[0] | p[1] << 8, SE_ENTRY_KERNEL_DS);
    /* the do_syscall_64 stub: nop; ret */
    const uint8_t *d = g_image.text->bytes + (se_t_sym("do_syscall_64") - g_image.text->va);
    assert_int_equal(d[0], 0x90);
    assert_int_equal(d[1], 0xC3);
}

/* ---- the .se_patch table ---------------------------------------------------------------- */
static size_t se_t_n_records(void)
{
    return (size_t)(g_image.patch->size / SE_PATCH_RECORD_SIZE);
}

static se_patch_record se_t_record(size_t i)
{
    se_patch_record r;
    assert_int_equal(se_patch_record_read(g_image.patch->bytes, (size_t)g_image.patch->size, i, &r),
                     SE_OK);
    return r;
}

/* the record whose block starts at `va` with this feature/polarity, or fail */
static void se_t_assert_block_at(const char *label, uint16_t feature, uint8_t polarity)
{
    uint64_t va = se_t_sym(label);
    for (size_t i = 0; i < se_t_n_records(); i++) {
        se_patch_record r = se_t_record(i);
        if (r.start == va && r.feature == feature && r.polarity == polarity)
            return;
    }
    print_error("no block for feature %u at %s\n", (unsigned)feature, label);
    fail();
}

static void test_image_patch_table(void **state)
{
    (void)state;
    unsigned per_feature[SE_FEAT_COUNT] = {0};
    for (size_t i = 0; i < se_t_n_records(); i++) {
        se_patch_record r = se_t_record(i);
        assert_true(r.feature > 0 && r.feature < SE_FEAT_COUNT);
        assert_true(r.polarity <= 1);
        assert_int_equal(r.reserved, 0);
        assert_true(r.len >= SE_PATCH_MIN_BLOCK);
        /* relocated: absolute addresses inside the loaded .entry.text */
        assert_true(se_t_in(g_image.entry_text, r.start));
        assert_true(se_t_in(g_image.entry_text, r.start + r.len - 1));
        per_feature[r.feature]++;
    }
    /* how many blocks each feature selects (docs/entry.md) */
    /* entry + both exits + the 6.12 direct IRET return kept only without PTI */
    assert_int_equal(per_feature[SE_FEAT_PTI], 4);
    assert_int_equal(per_feature[SE_FEAT_PCID], 3); /* entry + both exits */
    assert_int_equal(per_feature[SE_FEAT_LA57], 2); /* the two shift variants of C2 */
    assert_int_equal(per_feature[SE_FEAT_IBRS], 3); /* enter + both exits */
    assert_int_equal(per_feature[SE_FEAT_XENPV], 1);
    assert_int_equal(per_feature[SE_FEAT_VERW], 2);
    assert_int_equal(per_feature[SE_FEAT_KERNEL_6_7], 2); /* the AL test and the 6.6 checks */
    /* the 6.8+ IRET exit: the direct return without PTI and the user-CS assertion */
    assert_int_equal(per_feature[SE_FEAT_KERNEL_6_12], 2);
    for (int f = SE_FEAT_CHECK_RCX_RIP; f <= SE_FEAT_CHECK_SS; f++)
        assert_int_equal(per_feature[f], 1);
    /* each check label starts the block of its feature */
    se_t_assert_block_at("se_check_c_verdict", SE_FEAT_KERNEL_6_7, SE_PATCH_KEEP_IF_ON);
    se_t_assert_block_at("se_check_xen_pv", SE_FEAT_KERNEL_6_7, SE_PATCH_KEEP_IF_OFF);
    se_t_assert_block_at("se_check_xen_pv", SE_FEAT_XENPV, SE_PATCH_KEEP_IF_ON);
    se_t_assert_block_at("se_check_rcx_rip", SE_FEAT_CHECK_RCX_RIP, SE_PATCH_KEEP_IF_ON);
    se_t_assert_block_at("se_check_canonical", SE_FEAT_CHECK_CANONICAL, SE_PATCH_KEEP_IF_ON);
    se_t_assert_block_at("se_check_cs", SE_FEAT_CHECK_CS, SE_PATCH_KEEP_IF_ON);
    se_t_assert_block_at("se_check_r11_flags", SE_FEAT_CHECK_R11_FLAGS, SE_PATCH_KEEP_IF_ON);
    se_t_assert_block_at("se_check_rf_tf", SE_FEAT_CHECK_RF_TF, SE_PATCH_KEEP_IF_ON);
    se_t_assert_block_at("se_check_ss", SE_FEAT_CHECK_SS, SE_PATCH_KEEP_IF_ON);
    se_t_assert_block_at("se_phase_cr3_kernel", SE_FEAT_PTI, SE_PATCH_KEEP_IF_ON);
}

/* ---- patched images, per configuration -------------------------------------------------- */
struct image_row {
    const char *name;
    bool pti, pcid, la57, ibrs, verw, xen_pv;
    se_kernel_profile kernel;
    uint32_t disabled;
    /* jmps a straight-line walk takes (conditional branches fall through) */
    unsigned entry_jmps; /* entry_SYSCALL_64 .. the call */
    unsigned check_jmps; /* se_phase_checks .. an exit */
    bool check_to_iret;  /* the walk through clean checks ends in the IRET exit (C0) */
    unsigned exit_jmps;  /* each exit label .. its sysretq/iretq */
};

#define DIS(c) SE_CHECK_BIT(SE_CHECK_##c)

static const struct image_row image_rows[] = {
    /* pti pcid la57 ibrs verw xen kernel disabled | entry checks iret exit */
    {"linux_default_pti_pcid", true, true, false, false, false, false, SE_KERNEL_6_6, 0, 1, 3,
     false, 3},
    {"no_pti_amd_like", false, false, false, false, false, false, SE_KERNEL_6_6, 0, 2, 3, false, 3},
    {"pti_without_pcid", true, false, false, false, false, false, SE_KERNEL_6_6, 0, 2, 3, false, 3},
    {"all_mitigations", true, true, false, true, true, false, SE_KERNEL_6_6, 0, 0, 3, false, 1},
    {"la57", true, true, true, false, false, false, SE_KERNEL_6_6, 0, 1, 3, false, 3},
    {"kernel_6_7", true, true, false, false, false, false, SE_KERNEL_6_7, 0, 1, 1, false, 3},
    {"kernel_6_7_all_disabled", false, false, false, false, true, false, SE_KERNEL_6_7,
     SE_CHECK_ALL_BITS, 2, 1, false, 2},
    {"xen_pv", true, true, false, false, false, true, SE_KERNEL_6_6, 0, 1, 2, true, 3},
    {"xen_pv_c0_disabled", true, true, false, false, false, true, SE_KERNEL_6_6, DIS(XEN_PV), 1, 3,
     false, 3},
    {"all_checks_disabled", true, true, false, false, false, false, SE_KERNEL_6_6,
     SE_CHECK_ALL_BITS, 1, 8, false, 3},
    {"c2_disabled", true, true, false, false, false, false, SE_KERNEL_6_6, DIS(CANONICAL), 1, 3,
     false, 3},
    {"c1_c6_disabled", false, false, true, true, false, false, SE_KERNEL_6_6,
     DIS(RCX_RIP) | DIS(SS), 1, 5, false, 2},
};

static void se_t_patch_image(const struct image_row *row, struct se_t_patched *p)
{
    se_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.pti = row->pti;
    cfg.pcid = row->pcid;
    cfg.la57 = row->la57;
    cfg.ibrs = row->ibrs;
    cfg.verw = row->verw;
    cfg.xen_pv = row->xen_pv;
    cfg.kernel = row->kernel;
    cfg.disabled_checks = row->disabled;
    se_t_image_patch(&g_image, &cfg, p);
}

static void se_t_decode(const struct se_t_patched *p, uint64_t va, ZydisDecodedInstruction *in,
                        ZydisDecodedOperand ops[])
{
    ZydisDecoder dec;
    ZydisDecoderInit(&dec, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
    size_t avail = 0;
    const uint8_t *b = se_t_patched_at(p, va, &avail);
    assert_non_null(b);
    ZyanStatus zs = ZydisDecoderDecodeFull(&dec, b, avail, in, ops);
    if (!ZYAN_SUCCESS(zs))
        print_error("cannot decode at 0x%llx\n", (unsigned long long)va);
    assert_true(ZYAN_SUCCESS(zs));
}

static uint64_t se_t_branch_target(const ZydisDecodedInstruction *in,
                                   const ZydisDecodedOperand ops[], uint64_t va)
{
    ZyanU64 target = 0;
    assert_true(ZYAN_SUCCESS(ZydisCalcAbsoluteAddress(in, &ops[0], va, &target)));
    return target;
}

/* Every block the features drop (and no enclosing dropped block covers) starts with a jmp to
 * its end; every kept block outside dropped ones is byte-identical to the loaded object. */
static void se_t_check_blocks(const struct se_t_patched *p)
{
    for (size_t i = 0; i < se_t_n_records(); i++) {
        se_patch_record r = se_t_record(i);
        bool covered = false;
        for (size_t j = 0; j < se_t_n_records(); j++) {
            se_patch_record q = se_t_record(j);
            if (j != i && !se_patch_record_kept(&q, p->features) && q.start <= r.start &&
                r.start + r.len <= q.start + q.len && (q.len != r.len || j < i))
                covered = true;
        }
        if (covered)
            continue;
        size_t avail = 0;
        const uint8_t *now = se_t_patched_at(p, r.start, &avail);
        const uint8_t *orig = g_image.entry_text->bytes + (r.start - g_image.entry_text->va);
        if (se_patch_record_kept(&r, p->features)) {
            /* nested dropped blocks may have changed parts of a kept one */
            bool has_dropped_inside = false;
            for (size_t j = 0; j < se_t_n_records(); j++) {
                se_patch_record q = se_t_record(j);
                if (j != i && !se_patch_record_kept(&q, p->features) && q.start >= r.start &&
                    q.start + q.len <= r.start + r.len)
                    has_dropped_inside = true;
            }
            if (!has_dropped_inside)
                assert_memory_equal(now, orig, r.len);
            continue;
        }
        ZydisDecodedInstruction in;
        ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
        se_t_decode(p, r.start, &in, ops);
        assert_int_equal(in.mnemonic, ZYDIS_MNEMONIC_JMP);
        assert_int_equal(in.length, r.len - 2 <= 127 ? 2 : 5);
        assert_int_equal(se_t_branch_target(&in, ops, r.start), r.start + r.len);
        for (size_t k = in.length; k < r.len; k++)
            assert_int_equal(now[k], 0xCC);
    }
}

/* Counts from a linear decode of .entry.text up to mds_verw_sel. */
struct se_t_counts {
    unsigned swapgs, sysret64, sysret_other, iretq, mov_to_cr3, mov_from_cr3, wrmsr, verw;
    uint64_t sysret_at, iretq_at, swapgs_at[4];
};

static bool se_t_is_boundary(const uint8_t *boundary, uint64_t base, uint64_t va)
{
    return va >= base && boundary[va - base] != 0;
}

static void se_t_linear_decode(const struct se_t_patched *p, struct se_t_counts *c)
{
    memset(c, 0, sizeof *c);
    uint64_t start = g_image.entry_text->va, end = se_t_sym("mds_verw_sel");
    uint8_t *boundary = calloc((size_t)(end - start + 1), 1);
    assert_non_null(boundary);
    uint64_t va = start;
    while (va < end) {
        ZydisDecodedInstruction in;
        ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
        se_t_decode(p, va, &in, ops);
        boundary[va - start] = 1;
        switch (in.mnemonic) {
        case ZYDIS_MNEMONIC_SWAPGS:
            if (c->swapgs < 4)
                c->swapgs_at[c->swapgs] = va;
            c->swapgs++;
            break;
        case ZYDIS_MNEMONIC_SYSRET:
            if (in.operand_width == 64) {
                c->sysret64++;
                c->sysret_at = va;
            } else {
                c->sysret_other++;
            }
            break;
        case ZYDIS_MNEMONIC_IRETQ:
            c->iretq++;
            c->iretq_at = va;
            break;
        case ZYDIS_MNEMONIC_MOV:
            if (ops[0].type == ZYDIS_OPERAND_TYPE_REGISTER &&
                ops[0].reg.value == ZYDIS_REGISTER_CR3)
                c->mov_to_cr3++;
            if (ops[1].type == ZYDIS_OPERAND_TYPE_REGISTER &&
                ops[1].reg.value == ZYDIS_REGISTER_CR3)
                c->mov_from_cr3++;
            break;
        case ZYDIS_MNEMONIC_WRMSR:
            c->wrmsr++;
            break;
        case ZYDIS_MNEMONIC_VERW:
            c->verw++;
            assert_true(ops[0].type == ZYDIS_OPERAND_TYPE_MEMORY);
            assert_int_equal(ops[0].mem.base, ZYDIS_REGISTER_RIP);
            assert_int_equal(se_t_branch_target(&in, ops, va), end); /* mds_verw_sel */
            break;
        default:
            break;
        }
        va += in.length;
    }
    assert_int_equal(va, end); /* the last instruction ends exactly at the data */
    boundary[end - start] = 1;

    /* every label and every direct branch target lies on an instruction boundary */
    for (size_t i = 0; i < sizeof se_t_labels / sizeof se_t_labels[0]; i++) {
        uint64_t l = se_t_sym(se_t_labels[i]);
        if (!se_t_is_boundary(boundary, start, l))
            print_error("%s is not on an instruction boundary\n", se_t_labels[i]);
        assert_true(se_t_is_boundary(boundary, start, l));
    }
    for (va = start; va < end;) {
        ZydisDecodedInstruction in;
        ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
        se_t_decode(p, va, &in, ops);
        if ((in.attributes & ZYDIS_ATTRIB_IS_RELATIVE) != 0 &&
            ops[0].type == ZYDIS_OPERAND_TYPE_IMMEDIATE) {
            uint64_t t = se_t_branch_target(&in, ops, va);
            if (in.mnemonic == ZYDIS_MNEMONIC_CALL)
                assert_int_equal(t, se_t_sym("do_syscall_64"));
            else
                assert_true(t < end && se_t_is_boundary(boundary, start, t));
        }
        va += in.length;
    }
    free(boundary);
}

/* Follow the straight-line path from `from` (unconditional jmps taken, conditional branches
 * not taken) until one of the stop addresses; count the jmps. Walking into int3 filler or off
 * the code fails the test. Returns the stop address reached. */
static uint64_t se_t_walk(const struct se_t_patched *p, uint64_t from, const uint64_t *stops,
                          size_t n_stops, unsigned *jmps)
{
    *jmps = 0;
    uint64_t va = from;
    for (unsigned steps = 0; steps < 1000; steps++) {
        for (size_t s = 0; s < n_stops; s++) {
            if (va == stops[s])
                return va;
        }
        ZydisDecodedInstruction in;
        ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
        se_t_decode(p, va, &in, ops);
        if (in.mnemonic == ZYDIS_MNEMONIC_INT3) {
            print_error("walk from 0x%llx reached int3 at 0x%llx\n", (unsigned long long)from,
                        (unsigned long long)va);
            fail();
        }
        if (in.mnemonic == ZYDIS_MNEMONIC_JMP) {
            (*jmps)++;
            va = se_t_branch_target(&in, ops, va);
        } else {
            va += in.length;
        }
    }
    fail_msg("walk from 0x%llx did not end", (unsigned long long)from);
    return 0;
}

static void test_image_row(void **state)
{
    const struct image_row *row = *state;
    struct se_t_patched p;
    se_t_patch_image(row, &p);
    se_t_check_blocks(&p);

    struct se_t_counts c;
    se_t_linear_decode(&p, &c);
    assert_int_equal(c.sysret64, 1);
    assert_int_equal(c.sysret_other, 0);
    assert_int_equal(c.sysret_at, se_t_sym("se_sysretq"));
    assert_int_equal(c.iretq, 1);
    assert_int_equal(c.iretq_at, se_t_sym("native_irq_return_iret"));
    /* one SWAPGS at entry and one on each exit: two on either path (SWAPGS-6) */
    assert_int_equal(c.swapgs, 3);
    assert_int_equal(c.swapgs_at[0], se_t_sym("entry_SYSCALL_64"));
    assert_int_equal(c.swapgs_at[1], se_t_sym("se_phase_sysret"));
    assert_int_equal(c.swapgs_at[2], se_t_sym("se_phase_iret"));
    assert_int_equal(c.mov_to_cr3, row->pti ? 3 : 0);
    assert_int_equal(c.mov_from_cr3, row->pti ? 3 : 0);
    assert_int_equal(c.wrmsr, row->ibrs ? 3 : 0);
    assert_int_equal(c.verw, row->verw ? 2 : 0);

    /* the straight-line paths and the jmps the dropped blocks leave in them */
    unsigned jmps = 0;
    uint64_t call = se_t_sym("se_call_do_syscall_64");
    assert_int_equal(se_t_walk(&p, se_t_sym("entry_SYSCALL_64"), &call, 1, &jmps), call);
    assert_int_equal(jmps, row->entry_jmps);

    uint64_t exits[2] = {se_t_sym("syscall_return_via_sysret"),
                         se_t_sym("swapgs_restore_regs_and_return_to_usermode")};
    uint64_t reached = se_t_walk(&p, se_t_sym("se_phase_checks"), exits, 2, &jmps);
    assert_int_equal(reached, exits[row->check_to_iret ? 1 : 0]);
    assert_int_equal(jmps, row->check_jmps);

    uint64_t sysretq = se_t_sym("se_sysretq");
    assert_int_equal(se_t_walk(&p, exits[0], &sysretq, 1, &jmps), sysretq);
    assert_int_equal(jmps, row->exit_jmps);
    uint64_t iretq = se_t_sym("native_irq_return_iret");
    assert_int_equal(se_t_walk(&p, exits[1], &iretq, 1, &jmps), iretq);
    /* before 6.12 the IRET exit also walks over the two dropped 6.12 blocks (the direct
     * return and the user-CS assertion); 6.12 runs through tests/entry/test_entry_exec.c */
    assert_int_equal(jmps, row->exit_jmps + 2);

    /* a disabled check leaves exactly a jmp to the next check label */
    static const char *const checks[] = {
        "se_check_rcx_rip",         "se_check_canonical", "se_check_cs",
        "se_check_r11_flags",       "se_check_rf_tf",     "se_check_ss",
        "syscall_return_via_sysret"};
    if (row->kernel == SE_KERNEL_6_6) {
        for (int k = 0; k < 6; k++) {
            ZydisDecodedInstruction in;
            ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
            uint64_t at = se_t_sym(checks[k]);
            se_t_decode(&p, at, &in, ops);
            bool disabled = (row->disabled & SE_CHECK_BIT(SE_CHECK_RCX_RIP + k)) != 0;
            if (disabled) {
                assert_int_equal(in.mnemonic, ZYDIS_MNEMONIC_JMP);
                assert_int_equal(se_t_branch_target(&in, ops, at), se_t_sym(checks[k + 1]));
            } else {
                assert_int_not_equal(in.mnemonic, ZYDIS_MNEMONIC_JMP);
            }
        }
    }
    se_t_patched_free(&p);
}

int main(void)
{
    int failed = 0;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_image_embedded_object),
        cmocka_unit_test(test_image_labels_resolve),
        cmocka_unit_test(test_image_label_layout),
        cmocka_unit_test(test_image_patch_table),
    };
    failed +=
        cmocka_run_group_tests_name("entry_image", tests, se_t_group_setup, se_t_group_teardown);
    if (se_t_group_setup(NULL) != 0)
        return failed + 1;
    failed += SE_TEST_RUN_ROWS("entry_image_configs", image_rows, test_image_row);
    se_t_group_teardown(NULL);
    return failed;
}
