/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The engine backend (backend.c, hazard.c): the one module that knows an engine version's
 * quirks (Unicorn 2.0.1 and 2.1.1; docs/machine.md, engine limitations).
 *
 * The dependency runs one way: the machine (src/machine) calls the backend, the backend calls
 * the engine. The backend never calls into the machine nor reads its state: what it needs from
 * the machine comes in through the interface declared here, which the machine fills in
 *  - se_be_machine_ops: callbacks set at creation (a page walk for fetch checks, a code fetch,
 *    a note that the backend wrote guest RAM);
 *  - a read-only pointer to the model's privileged state (cpu/model.h: CPL, CR3, CR4, EFER,
 *    CS/SS), which the machine owns and the backend makes the engine agree with;
 *  - explicit data: the page-table roots (se_be_set_roots), the guest-physical window
 *    (se_be_open), host pointers of the portable path's pages (se_be_portable_setup).
 * Errors are reported in the backend's own buffer (se_backend.err); a fallible call returns a
 * status and the machine copies that message into its own error.
 * This header must not include anything from src/machine (a build check keeps it so).
 */
#ifndef SE_BACKEND_H
#define SE_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <sysentry/sysentry.h>
#include <unicorn/unicorn.h>

#include "cpu/model.h"
#include "paging/paging.h"

/* What the backend needs from the machine: set once by the machine at creation. */
typedef struct se_be_machine_ops {
    void *ctx; /* passed to every callback */
    /* The machine's page walk of va for `acc` at `cpl` under root `cr3` (0: the model's CR3);
     * *fault gets SE_FAULT_NONE when the access is allowed. */
    void (*walk)(void *ctx, uint64_t va, se_access acc, uint8_t cpl, uint64_t cr3, se_fault *fault);
    /* Copy up to len bytes of code at va; how many were readable before the first that is not. */
    size_t (*code_fetch)(void *ctx, uint64_t va, uint8_t *buf, size_t len);
    /* The backend wrote [va, va + len) of guest RAM through a host pointer (snapshots must
     * undo it). */
    void (*wrote)(void *ctx, uint64_t va, uint64_t len);
    /* Make every fetch from va's page fault in the engine (on), or stop doing so, without
     * changing what the architecture sees there; false when the machine cannot. */
    bool (*guard)(void *ctx, uint64_t va, bool on);
    /* The linear address of guest-physical pa through the machine's mappings (each guest
     * page backs one linear page); false when no mapping holds it. Unicorn 2.1 reports stores
     * by physical address. */
    bool (*pa_to_va)(void *ctx, uint64_t pa, uint64_t *va);
    /* Whether the engine itself can fetch va now, in the current mode: the machine's walk, and
     * not a page the machine keeps NX to the engine alone (machine/wx.c). */
    bool (*engine_fetchable)(void *ctx, uint64_t va);
} se_be_machine_ops;

/* A guest store seen by a write hook, at its linear address whatever the engine reports, and
 * at its guest-physical address when the engine reports that (Unicorn 2.1+; else UINT64_MAX). */
typedef void (*se_be_write_fn)(void *user, uint64_t va, uint64_t pa, int size, int64_t value);
typedef struct se_be_whook se_be_whook;

/* How the machine wants the engine opened. */
typedef struct se_be_params {
    se_cpl_switch cpl_switch;
    bool nx;                       /* the CPU model has NX */
    bool pti;                      /* two page-table roots */
    uint64_t phys_base, phys_size; /* the guest-physical window holding all RAM */
    uint64_t flush_page; /* a page of that window nothing maps: its protection flushes the TLB */
} se_be_params;

/* The portable path's pages, mapped by the machine (se_be_portable_setup). */
typedef struct se_be_portable {
    uint64_t tramp_kernel, tramp_user; /* the two trampoline pages (page aligned) */
    uint8_t *tramp_kernel_host, *tramp_user_host;
    uint64_t entry_stack; /* the entry (trampoline) stack page */
    uint8_t *entry_stack_host;
} se_be_portable;

/* The portable path's call gate: the machine writes a DPL3 64-bit call gate at this GDT
 * selector, targeting __KERNEL_CS:tramp_kernel + SE_BE_TRAMP_K_GATE. */
#define SE_BE_GATE_SEL     0x50u
#define SE_BE_TRAMP_K_GATE 0x0

#define SE_BE_DISCARDS_MAX 16

typedef struct se_backend {
    /* ---- interface: set by the machine ---- */
    se_be_machine_ops ops;
    const se_cpu_state *arch; /* the model's privileged state (read only here) */
    uint64_t kpgd, upgd;      /* the machine's page-table roots (se_be_set_roots) */

    /* ---- the engine ---- */
    uc_engine *uc;
    uc_context *ctx;     /* scratch context for surgery */
    size_t ctx_header;   /* bytes of struct uc_context before the CPU state (0: unknown) */
    bool hooks_physical; /* memory hooks see guest-physical addresses (Unicorn 2.1+) */
    bool use_surgery;
    bool ctx_fresh; /* ctx holds the engine's state, read by se_be_regs, nothing written since */
    uint64_t phys_base, phys_size, flush_page;
    se_be_whook *whooks; /* write hooks, freed at close */
    uint64_t map_gen;    /* bumped by the machine when its mappings or page tables change */
    /* The engine's EFER.NXE can follow the model's (se_be_sync_nxe): only then do page tables
     * carry XD, which an engine without NXE would take for a reserved bit. */
    bool engine_nx;
    /* TLB partitions (backend.c, "CR3 switches without a flush"): MOV to CR3 between the
     * machine's two roots keeps the engine's TLB; the state of that scheme */
    bool fast_cr3;     /* on: surgery works and PTI gives two roots */
    bool engine_smap;  /* HF_SMAP is set in the engine's hflags (CPL0 on the user root) */
    bool kuser_nosmap; /* this stretch at CPL0 on the user root runs without it (fallback) */
    bool tlb_foreign;  /* the engine's TLB may hold entries of a root other than the two */

    /* ---- portable CPL switching (public API only) ---- */
    se_be_portable port;
    int engine_cpl;                /* CPL the engine is really at */
    uc_context *pristine;          /* CPL0 context saved at creation (portable exception reset) */
    uint64_t tramp_rip, tramp_rsp; /* where the call-gate trampoline continues */
    uint64_t tramp_vflags;         /* VIF/VIP the IRETQ trampoline must give */
    bool fix_selectors;            /* after an IRETQ trampoline: load the model's CS/SS selectors */
    bool tramp_running;            /* a host-side trampoline run: hooks stand aside */

    /* ---- hazard.c: encodings the engine cannot translate, and its exits ---- */
    uint64_t *hazards; /* sorted: where an instruction the engine cannot translate starts */
    size_t n_hazards, cap_hazards;
    bool exits_enabled, exits_synced;
    uint64_t exits_key, hazard_gen;
    bool in_mem_hook;   /* a write hook is running: the engine is inside a store */
    bool flush_pending; /* a TLB flush asked for then, to be done when the engine stops */
    /* translations to drop when the engine stops (se_be_discard_code, se_be_emu_start) */
    bool in_emu;
    unsigned n_discards;
    struct se_be_range {
        uint64_t va, len;
    } discards[SE_BE_DISCARDS_MAX];
    /* one more exit, before an instruction whose fetch faults after the start of its block
     * (se_be_set_fetch_exit); 0 when none */
    uint64_t fetch_exit;
    /* pages guarded instead of given an exit (hazard.c, se_be_exits_sync) */
    uint64_t *guards;
    size_t n_guards, cap_guards;
    /* codebuf.c: the engine's translation buffer, read through its private layout */
    const uint8_t *tcg; /* its TCGContext, NULL when the layout is unknown */
    const struct se_tcg_layout *tcg_layout;
    bool codebuf_ready;        /* its region allocator works: it flushes when full */
    uint64_t codebuf_flush_at; /* tests: flush at this fill instead of 3/4 */
    unsigned codebuf_flushes;  /* flushes se_be_codebuf_guard made */
    /* hazard.c, se_be_screen_translation: the engine's own code loads, screened as it
     * translates (Unicorn 2.0.x) */
    bool tscreen_on;
    uc_hook tscreen_hook;
    uint64_t tscreen_lo, tscreen_hi; /* the instruction the translator is in, as decoded */
    uint64_t tscreen_at;             /* a hazard the translator was about to reach */
    bool tscreen_pending, tscreen_stuck;

    char err[256]; /* the message of the last failed call */
} se_backend;

/* Record a detail message in be->err and return st. */
se_status se_be_fail(se_backend *be, se_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Open the engine. be->ops and be->arch must be set. */
se_status se_be_open(se_backend *be, const se_be_params *p);
void se_be_close(se_backend *be);
void se_be_set_roots(se_backend *be, uint64_t kpgd, uint64_t upgd);
/* The machine's page tables changed (a mapping added, removed or restored). */
void se_be_note_tables_changed(se_backend *be);
uint64_t se_be_reg(se_backend *be, int reg);
void se_be_reg_set(se_backend *be, int reg, uint64_t value);
/* Copy engine registers into regs (GPRs, RIP, RFLAGS, FS/GS base; CS/SS from the model). */
void se_be_regs(se_backend *be, se_regs *regs);
/* Write regs' GPRs/RFLAGS/FS/GS base (not RIP, not selectors) into the engine. */
void se_be_write_gprs(se_backend *be, const se_regs *regs);
/* Hook guest stores to linear [va, va_last]. pa is the guest-physical address va maps to when
 * the range is one contiguous mapping, or UINT64_MAX for a range of many mappings (user
 * memory). Unicorn 2.0.1 reports and filters stores by linear address, 2.1 by physical address
 * (its store_helper): the backend hides which. *out is freed by se_be_unhook_writes() or at
 * close. */
se_status se_be_hook_writes(se_backend *be, se_be_whook **out, se_be_write_fn fn, void *user,
                            uint64_t va, uint64_t va_last, uint64_t pa);
void se_be_unhook_writes(se_backend *be, se_be_whook *h);
/* Make the engine's CPL and CS/SS (selectors and caches) match the model. */
se_status se_be_apply_privilege(se_backend *be);
/* Load the registers of w (GPRs, RIP, RFLAGS, FS/GS bases) and apply be->arch's privilege
 * state, outside a run: on the surgery path in one context copy. */
se_status se_be_enter(se_backend *be, const se_regs *w);
/* Inside a hook, after se_be_regs read the registers and before anything else touched the
 * engine: set RSP and RFLAGS, apply be->arch's privilege state and continue at rip (as
 * se_be_transfer), reusing the copy of the CPU state that read made. */
se_status se_be_transfer_read(se_backend *be, uint64_t rip, uint64_t rsp, uint64_t rflags);
/*
 * Continue at `rip` with the engine in the model's privilege state (CPL, CS/SS), RSP and RFLAGS
 * already written. `hook_len`: called from the SYSCALL instruction hook, after which Unicorn
 * adds the instruction length to RIP; 0 from code hooks. `in_hook`: false when called between
 * runs (the portable path then runs its trampoline at once).
 */
se_status se_be_transfer(se_backend *be, uint64_t rip, unsigned hook_len, bool in_hook);
/* Portable path: fill the trampoline pages the machine mapped, hook the call gate's target and
 * save the reset context (machine creation, after the machine wrote the call gate). */
se_status se_be_portable_setup(se_backend *be, const se_be_portable *p);
bool se_be_is_trampoline(const se_backend *be, uint64_t addr);
bool se_be_tramp_landing(const se_backend *be, uint64_t addr);
void se_be_fix_selectors(se_backend *be);
/* After a caught exception: clear Unicorn's stuck escalation state (docs/machine.md, engine
 * limitations). */
void se_be_reset_exception(se_backend *be);
/* The #PF/#GP error code Unicorn computed for the last exception, when known. */
bool se_be_last_error_code(se_backend *be, uint32_t *code);
void se_be_flush_tlb(se_backend *be);
/* Give the engine's CR2 a value (after a #PF that was the engine's own, not the CPU's). */
void se_be_set_cr2(se_backend *be, uint64_t value);
/* A flush for when the engine has stopped (the caller stops it): inside its exception
 * delivery a flush would act on the state of the faulting access. */
void se_be_flush_tlb_at_stop(se_backend *be);
/* A flush asked for inside a write hook, done now that the engine stopped: true when there was
 * one (the run goes on where the engine stopped). */
bool se_be_take_flush(se_backend *be);
/* The engine's paging state after the model's CPL or CR3 changed by a SYSCALL, SYSRET, IRETQ
 * or the host (CR3 in the engine, its TLB partition, a flush when one is needed). Only on the
 * surgery path; the caller applies the CPL itself. */
void se_be_paging_changed(se_backend *be);
/* A MOV to CR3 the model accepted (the model's cr3 is the new value): true when the backend has
 * loaded it, and the instruction must be skipped; false when the engine's own MOV must run. */
bool se_be_mov_to_cr3(se_backend *be);
/* A MOV to CR4 is about to run natively: the engine recomputes hflags from it. */
void se_be_mov_to_cr4(se_backend *be);
/* Block hook: the block at addr is about to run. On the user root at CPL0, a set RFLAGS.AC
 * would make the engine use kernel-root TLB entries: flush, or, when the block's own fetch
 * was allowed only by such an entry, report the #PF the CPU raises (true, *f filled). */
bool se_be_block_paging_fault(se_backend *be, uint64_t addr, uint32_t size, se_fault *f);
/* A #PF the architecture does not raise came from the partition trick (SMAP semantics of the
 * engine's partition for CPL0 on the user root): drop the trick for this stretch, flush, and
 * return true so that the instruction runs again. */
bool se_be_pf_artifact(se_backend *be);
/* After a snapshot's context is restored: engine_smap is be->engine_smap as it was when the
 * snapshot was taken (the HF_SMAP its saved context holds). */
void se_be_paging_restored(se_backend *be, bool engine_smap, bool cr3_changed);
/* Make the engine's EFER.NXE equal the model's, flushing its TLB when it changes; nothing when
 * !be->engine_nx. Call after anything that changes either. */
void se_be_sync_nxe(se_backend *be);
/* Discard the engine's translations of [va, va + len). Only reliable for code the current
 * mode can fetch (the engine translates va with its current CR3 and CPL): the machine calls
 * it from the block hook of the very block it discards, which it stops before. Called while
 * the engine runs, the discard waits for the engine to stop (se_be_emu_start), in the same
 * mode; SE_ERR_BACKEND when more than SE_BE_DISCARDS_MAX wait (the caller must stop). */
se_status se_be_discard_code(se_backend *be, uint64_t va, uint64_t len);
/* Run the engine from begin until a hook stops it, then drop the translations discarded
 * meanwhile. The one place the machine starts guest execution. */
uc_err se_be_emu_start(se_backend *be, uint64_t begin);
se_status se_be_map_ptr(se_backend *be, uint64_t addr, uint64_t size, void *host);

/* hazard.c: whether the instruction at p would abort the engine when translated */
bool se_be_hazard_at(const uint8_t *p, size_t n);
/* Whether the engine would decode the (valid) instruction at p differently from the CPU. */
bool se_be_engine_misdecodes(const uint8_t *p, size_t n);
/* Re-examine [va, va + len) after the host wrote it: every instruction start that would abort
 * the engine becomes an exit of the engine, so that it is never translated. */
se_status se_be_hazards_update(se_backend *be, uint64_t va, uint64_t len);
/* The same, for a store about to write ov_len bytes `ov` at ov_va (the guest's own writes). */
se_status se_be_hazards_update_ex(se_backend *be, uint64_t va, uint64_t len, uint64_t ov_va,
                                  const uint8_t *ov, size_t ov_len);
bool se_be_is_hazard(const se_backend *be, uint64_t va);
/* Whether va's page is guarded: the engine faults on every fetch there (se_be_exits_sync). */
bool se_be_is_guarded(const se_backend *be, uint64_t va);
/* Screen [va, va + len) of read-only code at the instruction starts execution can reach by
 * its own flow: a straight decode from the start and from each of `starts` (function entry
 * points), and every direct branch target found on the way. For large code that nothing
 * writes (a kernel image's text) instead of every byte offset, whose false positives would
 * give the engine tens of thousands of exits (docs/fuzzing.md, "Engine crashes"). */
se_status se_be_hazards_screen_flow(se_backend *be, uint64_t va, uint64_t len,
                                    const uint64_t *starts, size_t n_starts);
/* Give the engine the exits the current mode can fetch (after any change of CPL/CR3/CR4). */
void se_be_exits_sync(se_backend *be);
/* Make va an exit too (0: none), so that the engine stops translating before it: the start of
 * an instruction whose fetch faults, in the middle of a block (hooks.c). SE_ERR_BACKEND if
 * the engine's exits cannot be enabled; dropping it (va 0) always succeeds. */
se_status se_be_set_fetch_exit(se_backend *be, uint64_t va);
/* Screen [va, va + size), a region mapped with se_be_map_ptr, as the engine translates it:
 * the instruction starts the translator reaches are checked before it translates them, so
 * code reached in ways no screening before the run can follow (an indirect branch into the
 * middle of an instruction) cannot abort the engine. A no-op on engines that do not abort on
 * those encodings (hazard.c). */
se_status se_be_screen_translation(se_backend *be, uint64_t va, uint64_t size);
/* After the engine stopped: 1 when it stopped because the translator was about to reach a
 * hazard, which is now an exit (run again from the current RIP); -1 when it could not be made
 * one (the run must end with the backend's error); 0 otherwise. */
int se_be_screen_take(se_backend *be);

/* codebuf.c: find the engine's TCGContext (at open; be->tcg stays NULL on an unknown build). */
void se_be_codebuf_probe(se_backend *be);
/* The rule: flush when the allocator is uninitialised (region_current 0) and at least three
 * quarters of the buffer are used. */
bool se_be_codebuf_needs_flush(uint64_t used, uint64_t size, uint64_t region_current);
/* Between runs: flush the engine's translations if the rule says so. */
void se_be_codebuf_guard(se_backend *be);
/* The engine's translation buffer as codebuf.c reads it. */
typedef struct se_be_codebuf {
    uint64_t used, size;
    bool ready;              /* the engine flushes it itself when it is full */
    uint32_t engine_flushes; /* tb_flush calls so far (the backend's and the engine's) */
} se_be_codebuf;
/* Fill *out; false when the layout is unknown. */
bool se_be_codebuf_state(const se_backend *be, se_be_codebuf *out);

/* uc_hook_add() takes its callback as void *: convert through memcpy (POSIX guarantees that
 * function and object pointers have the same representation; ISO C has no cast for it). */
typedef void (*se_uc_fn)(void);
static inline void *se_uc_cb(se_uc_fn fn)
{
    void *p;
    memcpy(&p, &fn, sizeof p);
    return p;
}

#endif /* SE_BACKEND_H */
