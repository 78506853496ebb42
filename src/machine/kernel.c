/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Loading kernel code: raw bytes (se_load_kernel_code) or the built-in rebuild of Linux's
 * entry_SYSCALL_64, an ELF object assembled at build time and embedded in the library. Both
 * end the same way: the bytes are decoded with Zydis and every privileged instruction gets
 * its hook (hooks.c), so the model sees each one before the engine does.
 */
#include <inttypes.h>
#include <stddef.h>
#include <string.h>

#include "machine/machine_int.h"

se_status se_load_code_pages(se_machine *m, uint64_t va, const uint8_t *code, size_t len,
                             uint32_t flags, bool scan)
{
    uint64_t size = (len + 0xFFF) & ~0xFFFull;
    se_status st = se_map_internal(m, va, size, flags, NULL);
    if (st != SE_OK)
        return st;
    st = se_mem_write(m, va, code, len);
    if (st != SE_OK)
        return st;
    return scan ? se_hooks_scan_code(m, va, code, len) : SE_OK;
}

se_status se_load_kernel_code(se_machine *m, uint64_t va, const void *code, size_t len,
                              bool entry_text)
{
    if (m == NULL)
        return SE_ERR_INVALID_ARG;
    m->err[0] = '\0';
    if (code == NULL || len == 0)
        return se_fail(m, SE_ERR_INVALID_ARG, "code must be non-NULL and non-empty");
    if (se_refuse_in_callback(m, "se_load_kernel_code") != SE_OK)
        return SE_ERR_STATE;
    if ((va & 0xFFF) != 0 || (va >> 63) == 0)
        return se_fail(m, SE_ERR_INVALID_ARG,
                       "kernel code must start on a page boundary in the upper half");
    /* decode first, so that a failure maps nothing */
    for (size_t off = 0; off < len;) {
        se_insn in;
        if (se_decode_one((const uint8_t *)code + off, len - off, va + off, &in) != SE_OK)
            return se_fail(m, SE_ERR_FORMAT,
                           "bytes at offset %zu do not decode as an x86-64 instruction", off);
        off += in.len;
    }
    m->code_gen++;
    return se_load_code_pages(m, va, code, len, entry_text ? SE_MAP_PTI_SHARED : 0, true);
}

/* ---- entry code as an ELF object (the built-in one, or a user's) ---------------------- */

#include <stdio.h>
#include <stdlib.h>

#include "entry/builtin.h"
#include "entry/patch.h"
#include "loader/elf_load.h"

void se_entry_names_linux(se_entry_names *n)
{
    if (n == NULL)
        return;
    memset(n, 0, sizeof *n);
    n->entry = "entry_SYSCALL_64";
    n->dispatch = "do_syscall_64";
    n->sysret_exit = "syscall_return_via_sysret";
    n->iret_exit = "swapgs_restore_regs_and_return_to_usermode";
    n->checks[SE_CHECK_XEN_PV] = "se_check_xen_pv";
    n->checks[SE_CHECK_RCX_RIP] = "se_check_rcx_rip";
    n->checks[SE_CHECK_CANONICAL] = "se_check_canonical";
    n->checks[SE_CHECK_CS] = "se_check_cs";
    n->checks[SE_CHECK_R11_FLAGS] = "se_check_r11_flags";
    n->checks[SE_CHECK_RF_TF] = "se_check_rf_tf";
    n->checks[SE_CHECK_SS] = "se_check_ss";
}

/* Resolve the labels the machine needs: the entry point is required, the rest are optional
 * and each enables something (the handler, per-check verdicts, exit labels in traces). */
static se_status se_resolve_syms(se_machine *m, const se_elf_image *img, const se_entry_names *n)
{
    se_entry_syms s;
    memset(&s, 0, sizeof s);
    if (se_elf_symbol(img, n->entry, &s.entry) != SE_OK)
        return se_fail(m, SE_ERR_NOT_FOUND, "entry code lacks the entry symbol %s", n->entry);
    const struct {
        const char *name;
        uint64_t *slot;
    } optional[] = {
        {n->dispatch, &s.dispatch}, {n->sysret_exit, &s.sysret_exit}, {n->iret_exit, &s.iret_exit}};
    for (size_t i = 0; i < sizeof optional / sizeof optional[0]; i++)
        if (optional[i].name != NULL &&
            se_elf_symbol(img, optional[i].name, optional[i].slot) != SE_OK)
            return se_fail(m, SE_ERR_NOT_FOUND, "entry code lacks the symbol %s", optional[i].name);
    for (int c = 0; c <= SE_CHECK_MAX_VALUE; c++)
        if (n->checks[c] != NULL && se_elf_symbol(img, n->checks[c], &s.checks[c]) != SE_OK)
            return se_fail(m, SE_ERR_NOT_FOUND, "entry code lacks the check label %s",
                           n->checks[c]);
    /* informational labels of the built-in code, for tests and traces */
    se_elf_symbol(img, "se_sysretq", &s.sysretq);
    se_elf_symbol(img, "native_irq_return_iret", &s.iretq);
    se_elf_symbol(img, "se_espfix_ldt", &s.espfix);
    se_elf_symbol(img, "se_iret_cs_ud2", &s.cs_ud2);
    s.loaded = true;
    m->sym = s;
    return SE_OK;
}

/* Keep the code's labels for traces, and turn the phase labels into the cycle model's
 * phase map (docs/entry.md lists them). */
static se_status se_collect_symbols(se_machine *m, const se_elf_image *img)
{
    static const struct {
        const char *name;
        se_phase phase;
    } phase_labels[] = {
        {"se_phase_entry", SE_PHASE_ENTRY},
        {"se_phase_cr3_kernel", SE_PHASE_CR3_KERNEL},
        {"se_phase_ptregs", SE_PHASE_PTREGS},
        {"se_phase_dispatch", SE_PHASE_DISPATCH},
        {"se_phase_checks", SE_PHASE_CHECKS},
        {"se_phase_restore", SE_PHASE_RESTORE},
        {"se_phase_cr3_user", SE_PHASE_CR3_USER},
        {"se_phase_sysret", SE_PHASE_SYSRET},
        {"se_phase_restore_iret", SE_PHASE_RESTORE},
        {"se_phase_cr3_user_iret", SE_PHASE_CR3_USER},
        {"se_phase_iret", SE_PHASE_IRET},
        {"do_syscall_64", SE_PHASE_DISPATCH},
    };
    size_t n = se_elf_symbol_count(img);
    se_symbol *syms = calloc(n ? n : 1, sizeof *syms);
    /* Sized by the symbol count, not by the label table: ELF allows a name many times (a
     * local and a global, or locals of several files), and each symbol matches at most one
     * label, so n bounds the marks whatever the object holds. */
    se_phase_mark *marks = calloc(n ? n : 1, sizeof *marks);
    size_t n_marks = 0;
    if (syms == NULL || marks == NULL) {
        free(syms);
        free(marks);
        return se_fail(m, SE_ERR_NOMEM, "out of memory for entry symbols");
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t va, size;
        const char *name = se_elf_symbol_at(img, i, &va, &size);
        if (name == NULL || name[0] == '\0' || (va >> 63) == 0)
            continue;
        syms[k].addr = va;
        snprintf(syms[k].name, sizeof syms[k].name, "%s", name);
        k++;
        for (size_t j = 0; j < sizeof phase_labels / sizeof phase_labels[0]; j++)
            if (strcmp(name, phase_labels[j].name) == 0) {
                marks[n_marks++] = (se_phase_mark){.addr = va, .phase = phase_labels[j].phase};
                break; /* the names are distinct: one mark per symbol at most */
            }
    }
    free(m->syms);
    m->syms = syms;
    m->n_syms = k;
    uint64_t lo = UINT64_MAX, hi = 0;
    for (size_t i = 0; i < se_elf_section_count(img); i++) {
        const se_elf_section *sec = se_elf_section_at(img, i);
        if (sec->exec && sec->size > 0) {
            lo = sec->va < lo ? sec->va : lo;
            hi = sec->va + sec->size > hi ? sec->va + sec->size : hi;
        }
    }
    se_status st = se_account_set_marks(m, marks, n_marks, lo, hi);
    free(marks); /* se_account_set_marks keeps a sorted copy */
    return st;
}

/* What a patched-out alternative block is, for the trace: it shows up as one jmp. */
static const char *se_dropped_note(const se_patch_record *rec)
{
    static const char *const on[SE_FEAT_COUNT] = {
        [SE_FEAT_PTI] = "alternative: PTI is off, the CR3 switch is patched out",
        [SE_FEAT_PCID] = "alternative: no PCID, the no-flush logic is patched out",
        [SE_FEAT_LA57] = "alternative: the other paging width's canonical test is patched out",
        [SE_FEAT_IBRS] = "alternative: kernel IBRS is off, the SPEC_CTRL write is patched out",
        [SE_FEAT_XENPV] = "alternative: not a Xen PV guest, check C0 is patched out",
        [SE_FEAT_VERW] = "alternative: CLEAR_CPU_BUFFERS is off, VERW is patched out",
        [SE_FEAT_KERNEL_6_7] = "alternative: the other kernel profile's checks are patched out",
        [SE_FEAT_CHECK_RCX_RIP] = "check C1 disabled by the configuration: patched out",
        [SE_FEAT_CHECK_CANONICAL] = "check C2 disabled by the configuration: patched out",
        [SE_FEAT_CHECK_CS] = "check C3 disabled by the configuration: patched out",
        [SE_FEAT_CHECK_R11_FLAGS] = "check C4 disabled by the configuration: patched out",
        [SE_FEAT_CHECK_RF_TF] = "check C5 disabled by the configuration: patched out",
        [SE_FEAT_CHECK_SS] = "check C6 disabled by the configuration: patched out",
        [SE_FEAT_KERNEL_6_12] = "alternative: the other kernel profile's IRET exit is patched out",
    };
    if (rec->feature == SE_FEAT_LA57 || rec->feature == SE_FEAT_KERNEL_6_7 ||
        rec->feature == SE_FEAT_KERNEL_6_12)
        return on[rec->feature];
    return rec->feature < SE_FEAT_COUNT && on[rec->feature] ? on[rec->feature]
                                                            : "alternative: patched out";
}

/* Whether addr lies in a block the alternatives dropped; the block found goes to *out. */
static bool se_in_dropped_block(const se_elf_section *patch, uint64_t features, uint64_t addr,
                                se_patch_record *out)
{
    if (patch == NULL || patch->bytes == NULL)
        return false;
    se_patch_record rec;
    for (size_t i = 0; se_patch_record_read(patch->bytes, patch->size, i, &rec) == SE_OK; i++) {
        if (!se_patch_record_kept(&rec, features) && addr >= rec.start &&
            addr - rec.start < rec.len) {
            *out = rec;
            return true;
        }
    }
    return false;
}

/* The code's own notes: .se_notes holds {u64 address, u64 string address} pairs whose
 * strings live in another loaded section (docs/entry.md). Notes inside a block the
 * alternatives dropped no longer describe anything; the block's jmp gets a note instead. */
static se_status se_collect_notes(se_machine *m, const se_elf_image *img)
{
    const se_elf_section *patch = se_elf_section_by_name(img, ".se_patch");
    uint64_t features = se_entry_features(&m->cfg);
    se_patch_record rec;
    for (size_t i = 0; patch != NULL && patch->bytes != NULL &&
                       se_patch_record_read(patch->bytes, patch->size, i, &rec) == SE_OK;
         i++) {
        se_patch_record outer;
        /* only the outermost dropped block is patched, so only it gets the note */
        if (!se_patch_record_kept(&rec, features) &&
            se_in_dropped_block(patch, features, rec.start, &outer) && outer.start == rec.start &&
            outer.len >= rec.len) {
            uint64_t dummy;
            if (!se_hashmap_get(&m->notes, rec.start, &dummy)) {
                se_status st = se_notes_add(m, rec.start, se_dropped_note(&outer));
                if (st != SE_OK)
                    return st;
            }
        }
    }
    const se_elf_section *notes = se_elf_section_by_name(img, ".se_notes");
    if (notes == NULL || notes->bytes == NULL)
        return SE_OK;
    if (notes->size % 16 != 0)
        return se_fail(m, SE_ERR_FORMAT, ".se_notes is not a whole number of records");
    for (uint64_t off = 0; off < notes->size; off += 16) {
        uint64_t addr, str;
        memcpy(&addr, notes->bytes + off, 8);
        memcpy(&str, notes->bytes + off + 8, 8);
        const char *text = NULL;
        for (size_t i = 0; i < se_elf_section_count(img) && text == NULL; i++) {
            const se_elf_section *sec = se_elf_section_at(img, i);
            if (sec->bytes != NULL && str >= sec->va && str < sec->va + sec->size &&
                memchr(sec->bytes + (str - sec->va), '\0', sec->va + sec->size - str) != NULL)
                text = (const char *)sec->bytes + (str - sec->va);
        }
        if (text == NULL)
            return se_fail(m, SE_ERR_FORMAT, ".se_notes entry %llu points outside the object",
                           (unsigned long long)(off / 16));
        if (se_in_dropped_block(patch, features, addr, &rec))
            continue;
        se_status st = se_notes_add(m, addr, text);
        if (st != SE_OK)
            return st;
    }
    return SE_OK;
}

/* Load an entry object: place and relocate it, patch its alternatives from the
 * configuration (the way Linux patches at boot), map it (only .entry.text in the user page
 * tables), hook its privileged instructions, and resolve its labels. */
static se_status se_load_entry_image(se_machine *m, const void *data, size_t len, uint64_t base,
                                     bool trusted, const se_entry_names *names)
{
    char err[160];
    se_elf_image *img = NULL;
    se_status st = se_elf_load(data, len, base, &img, err, sizeof err);
    if (st != SE_OK)
        return se_fail(m,
                       st == SE_ERR_NOMEM       ? st
                       : st == SE_ERR_NOT_FOUND ? st
                                                : SE_ERR_FORMAT,
                       "entry object: %s", err);
    size_t n = se_elf_section_count(img);
    se_entry_section *secs = calloc(n ? n : 1, sizeof *secs);
    if (secs == NULL) {
        se_elf_free(img);
        return se_fail(m, SE_ERR_NOMEM, "out of memory loading the entry code");
    }
    size_t n_secs = 0;
    const se_elf_section *patch = se_elf_section_by_name(img, ".se_patch");
    for (size_t i = 0; i < n; i++) {
        const se_elf_section *s = se_elf_section_at(img, i);
        if (s->bytes != NULL && s->size > 0 && s != patch)
            secs[n_secs++] = (se_entry_section){.va = s->va, .bytes = s->bytes, .len = s->size};
    }
    if (patch != NULL && patch->bytes != NULL)
        st = se_entry_patch_sections(secs, n_secs, patch->bytes, patch->size,
                                     se_entry_features(&m->cfg), err, sizeof err);
    free(secs);
    if (st != SE_OK) {
        se_elf_free(img);
        return se_fail(m, st, "patching the entry code: %s", err);
    }
    for (size_t i = 0; i < n && st == SE_OK; i++) {
        const se_elf_section *s = se_elf_section_at(img, i);
        if (s->size == 0 || s == patch || strncmp(s->name, ".se_notes", 9) == 0)
            continue; /* tables for the loader, not guest memory */
        if ((s->va >> 63) == 0 || (s->va & 0xFFF) != 0)
            /* the file's fault, not the caller's: entry.h documents SE_ERR_FORMAT */
            st = se_fail(m, SE_ERR_FORMAT,
                         "section %s at 0x%llx: entry code must be page-aligned in the upper half",
                         s->name, (unsigned long long)s->va);
        /* sections that are not code are NX, as Linux maps its rodata and data */
        uint32_t flags = (s->write ? SE_MAP_WRITE : 0) | (s->exec ? 0 : SE_MAP_NOEXEC);
        /* PTI: only the entry text is cloned into the user page tables (pti_clone_entry_text) */
        if (strcmp(s->name, ".entry.text") == 0)
            flags |= SE_MAP_PTI_SHARED;
        uint64_t size = (s->size + 0xFFF) & ~0xFFFull;
        if (st == SE_OK)
            st = se_map_internal(m, s->va, size, flags, NULL);
        /* an address the machine cannot map (non-canonical for its paging width) came from
         * the file, not from an argument: SE_ERR_FORMAT as entry.h documents; the mapper's
         * message stays */
        if (st == SE_ERR_INVALID_ARG)
            st = SE_ERR_FORMAT;
        if (st == SE_OK && s->bytes != NULL) {
            memcpy(se_host_ptr(m, s->va, s->size), s->bytes, s->size);
            /* The library's own entry code has no path into the middle of an instruction,
             * where the screening finds such bytes (a LOCK that is a ModRM byte): screening
             * it would only cost time. Any other object is untrusted input. */
            if (!trusted)
                st = se_be_st(m, se_be_hazards_update(&m->be, s->va, s->size));
        }
        if (st == SE_OK && s->exec)
            st = se_hooks_scan_code(m, s->va, s->bytes, s->size);
    }
    if (st == SE_OK)
        st = se_resolve_syms(m, img, names);
    if (st == SE_OK)
        m->sym.builtin = trusted;
    if (st == SE_OK)
        st = se_collect_symbols(m, img);
    if (st == SE_OK)
        st = se_collect_notes(m, img);
    se_elf_free(img);
    if (st != SE_OK)
        return st;
    m->arch.lstar = m->sym.entry;
    m->code_gen++;
    se_status hs = m->sym.dispatch ? se_install_dispatch_hook(m, m->sym.dispatch) : SE_OK;
    if (hs == SE_OK && m->sym.espfix != 0)
        hs = se_install_espfix_hook(m, m->sym.espfix);
    return hs;
}

se_status se_load_builtin_entry(se_machine *m)
{
    se_entry_names names;
    se_entry_names_linux(&names);
    return se_load_entry_image(m, se_entry_linux_obj_start, se_entry_linux_obj_size(), m->lay.ktext,
                               true, &names);
}

se_status se_load_entry_elf(se_machine *m, const void *elf, size_t len, uint64_t base,
                            const se_entry_names *names)
{
    if (m == NULL)
        return SE_ERR_INVALID_ARG;
    m->err[0] = '\0';
    if (elf == NULL || len == 0 || names == NULL || names->entry == NULL)
        return se_fail(m, SE_ERR_INVALID_ARG, "elf, len, names and names->entry are required");
    if (se_refuse_in_callback(m, "se_load_entry_elf") != SE_OK)
        return SE_ERR_STATE;
    /* only a machine with the built-in code can be helped by SE_ENTRY_NONE */
    if (m->sym.loaded && m->sym.builtin)
        return se_fail(m, SE_ERR_STATE,
                       "this machine already has the built-in entry code (create it with "
                       "SE_ENTRY_NONE to load your own)");
    if (m->sym.loaded)
        return se_fail(m, SE_ERR_STATE,
                       "entry code is already loaded: a machine takes one object (create "
                       "another machine for another one)");
    if ((base & 0xFFF) != 0 || (base >> 63) == 0)
        return se_fail(m, SE_ERR_INVALID_ARG, "base must be page-aligned in the upper half");
    return se_load_entry_image(m, elf, len, base, false, names);
}
