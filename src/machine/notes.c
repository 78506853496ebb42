/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Plain-language notes for the trace: what each step of the entry path is for. Entry code
 * may carry its own notes (a .se_notes table of {address, string} pairs, see docs/entry.md);
 * in the built-in code, instructions without one get a note from what they are and the phase
 * they run in. Code loaded with se_load_entry_elf gets only its own notes.
 */
#include <stdlib.h>
#include <string.h>

#include "machine/machine_int.h"

se_status se_notes_add(se_machine *m, uint64_t addr, const char *text)
{
    char **n = realloc(m->note_text, (m->n_notes + 1) * sizeof *n);
    if (n == NULL)
        return se_fail(m, SE_ERR_NOMEM, "out of memory for notes");
    m->note_text = n;
    size_t len = strlen(text);
    char *copy = malloc(len + 1);
    if (copy == NULL)
        return se_fail(m, SE_ERR_NOMEM, "out of memory for notes");
    memcpy(copy, text, len + 1);
    m->note_text[m->n_notes] = copy;
    if (!se_hashmap_put(&m->notes, addr, m->n_notes)) {
        free(copy);
        return se_fail(m, SE_ERR_NOMEM, "out of memory for notes");
    }
    m->n_notes++;
    return SE_OK;
}

void se_notes_free(se_machine *m)
{
    for (size_t i = 0; i < m->n_notes; i++)
        free(m->note_text[i]);
    free(m->note_text);
    m->note_text = NULL;
    m->n_notes = 0;
    se_hashmap_free(&m->notes);
}

/* Notes at the labels the library knows, for entry code that brings none of its own. */
static const char *se_note_for_label(const se_machine *m, uint64_t addr)
{
    static const char *const checks[SE_CHECK_MAX_VALUE + 1] = {
        [SE_CHECK_XEN_PV] = "check C0: a Xen PV guest always returns through IRET",
        [SE_CHECK_RCX_RIP] = "check C1: SYSRET jumps to RCX, so RCX must equal pt_regs->ip",
        [SE_CHECK_CANONICAL] = "check C2: RIP must be canonical, or Intel's SYSRET faults in "
                               "ring 0 on the user's stack (CVE-2012-0217)",
        [SE_CHECK_CS] = "check C3: SYSRET can only return to __USER_CS",
        [SE_CHECK_R11_FLAGS] = "check C4: SYSRET takes RFLAGS from R11, so R11 must equal "
                               "pt_regs->flags",
        [SE_CHECK_RF_TF] = "check C5: SYSRET cannot restore RF, and a restored TF would trap "
                           "before the first user instruction",
        [SE_CHECK_SS] = "check C6: SYSRET always loads SS = __USER_DS",
    };
    if (!m->sym.loaded)
        return NULL;
    for (int c = 0; c <= SE_CHECK_MAX_VALUE; c++)
        if (checks[c] != NULL && m->sym.checks[c] == addr)
            return checks[c];
    if (addr == m->sym.dispatch)
        return "do_syscall_64: run the system call (the C handler) and the exit work";
    if (addr == m->sym.sysret_exit)
        return "all checks passed: return with SYSRET";
    if (addr == m->sym.iret_exit)
        return "a check failed: return with IRET, which can restore any state";
    return NULL;
}

const char *se_note_for(se_machine *m, uint64_t addr, const se_insn *in)
{
    uint64_t idx;
    if (se_hashmap_get(&m->notes, addr, &idx))
        return m->note_text[idx];
    /* The notes below describe the library's rebuild of entry_SYSCALL_64 (a SWAPGS in the
     * exit phase goes back to the user's GS base, ...). Other entry code may do anything:
     * it speaks only through its own .se_notes. The user's SYSCALL is the CPU's, not the
     * entry code's, and keeps its note. */
    /* a distribution kernel is Linux's own code: the same notes describe it (its checks and
     * phases were found by decoding it, kimage_load.c) */
    if (m->sym.loaded && !m->sym.builtin && m->kern == NULL && (addr >> 63) != 0)
        return "";
    const char *label = se_note_for_label(m, addr);
    if (label != NULL)
        return label;
    se_phase ph = se_phase_of(m, addr);
    switch (in->kind) {
    case SE_INSN_SYSCALL:
        return "SYSCALL: RCX = return address, R11 = RFLAGS, RFLAGS &= ~FMASK, CPL 0, "
               "RIP = LSTAR";
    case SE_INSN_SWAPGS:
        return ph == SE_PHASE_ENTRY ? "SWAPGS: GS base = this CPU's per-CPU area; the user's "
                                      "GS base waits in KERNEL_GS_BASE"
                                    : "SWAPGS: back to the user's GS base";
    case SE_INSN_MOV_TO_CR3:
        return ph == SE_PHASE_CR3_KERNEL ? "switch to the kernel page tables (PTI)"
                                         : "switch to the user page tables (PTI)";
    case SE_INSN_MOV_FROM_CR:
        return "read CR3: the other half of the PGD pair is one bit away";
    case SE_INSN_WRMSR:
        return "write IA32_SPEC_CTRL (IBRS_ENTER / IBRS_EXIT)";
    case SE_INSN_SYSRET64:
        return "SYSRET: RIP = RCX, RFLAGS = R11 (RF cleared), CS/SS = user selectors, CPL 3";
    case SE_INSN_IRETQ:
        return "IRETQ: pop RIP, CS, RFLAGS, RSP, SS; CPL 3";
    case SE_INSN_VERW:
        return "CLEAR_CPU_BUFFERS: VERW clears CPU buffers before returning (MDS)";
    case SE_INSN_RDTSC:
        return "RDTSC: the machine's TSC (IA32_TSC, which does not advance: runs repeat)";
    default:
        return "";
    }
}
