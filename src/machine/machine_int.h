/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The machine's private state. Only src/machine and src/backend see this struct.
 *
 * Ownership of state: Unicorn holds the general registers, RIP, RFLAGS, FS/GS base and memory
 * (it is the ALU and the memory system). The model (m->arch) is authoritative for everything
 * privileged: CPL, the CS/SS caches, CR0/CR3/CR4 (CR3 without bit 63), EFER (with SCE, which
 * Unicorn 2.0.1 cannot hold), STAR/LSTAR/CSTAR/FMASK, KERNEL_GS_BASE, SPEC_CTRL. Hooks apply
 * the pure-C rules to m->arch first and then make the engine agree (backend.c).
 *
 * The backend (src/backend, m->be) is below the machine: its state and its interface are in
 * backend/backend.h, and it never sees this struct.
 */
#ifndef SE_MACHINE_INT_H
#define SE_MACHINE_INT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <sysentry/sysentry.h>
#include <unicorn/unicorn.h>

#include "backend/backend.h"
#include "cpu/model.h"
#include "decode/decode.h"
#include "paging/paging.h"
#include "util/hashmap.h"

/* Guest-physical window holding all machine RAM (docs/paging.md): reserved from user maps. */
#define SE_PHYS_BASE          0xF000000000ull
#define SE_PHYS_RESERVED_SIZE 0x1000000000ull /* 64 GiB window nobody else may map */
/* A one-page region whose uc_mem_protect() flushes Unicorn's TLB (docs/machine.md, engine
 * limitations). */
#define SE_TLB_FLUSH_PAGE (SE_PHYS_BASE + SE_PHYS_RESERVED_SIZE - 0x1000)

/* Linux-like virtual layout; the 5-level variant uses the LA57 direct-map/vmalloc bases. */
typedef struct se_layout {
    uint64_t percpu;     /* GS base in the kernel: per-CPU area (TSS page first) */
    uint64_t task_stack; /* bottom of the 16 KiB task stack */
    uint64_t task_stack_top;
    uint64_t cea_gdt;         /* cpu_entry_area: GDT page */
    uint64_t cea_entry_stack; /* cpu_entry_area: entry (trampoline) stack page */
    uint64_t tss_sp0;         /* top of the entry stack */
    uint64_t ktext;           /* kernel text base (entry code) */
    uint64_t tramp_kernel;    /* portable CPL switch: kernel trampoline page */
    uint64_t tramp_user;      /* portable CPL switch: user trampoline page */
    uint64_t user_code;       /* default user code page */
    uint64_t user_stack_top;
    uint64_t user_stack_size;
} se_layout;

typedef struct se_mapping {
    uint64_t va, size, pa;
    uint32_t flags;
    bool present;
} se_mapping;

struct se_machine;

/* A writable mapping as a snapshot saved it (track.c). */
typedef struct se_track_region {
    uint64_t va, pa, size;
    bool user; /* user pages may hold code: translated blocks must not go stale */
} se_track_region;

/* The loaded distribution kernel (kimage_load.c); NULL for the rebuild or your own code. */
struct se_kernel_state;

/* One hooked privileged instruction in loaded kernel code. */
typedef struct se_hooked_insn {
    struct se_machine *m;
    se_insn insn;
    uint8_t bytes[15]; /* what insn was decoded from: the hook re-decodes if memory differs */
    uint8_t nbytes;
    uint8_t *host; /* where those bytes are in guest RAM (NULL: read through the engine) */
    uint64_t host_gen;
    uc_hook pre;
    uc_hook post; /* MOV to CR0/CR3: restore the source register at the next instruction */
    bool has_pre, has_post;
    uint64_t post_addr;
    bool post_pending;
    uint64_t saved_src; /* the source operand as the program computed it */
} se_hooked_insn;

/* A label of the loaded entry code (for traces). */
typedef struct se_symbol {
    uint64_t addr;
    char name[56];
} se_symbol;

/* Addresses of the entry code the library resolves by name (src/entry). */
typedef struct se_entry_syms {
    bool loaded;
    bool builtin; /* the library's own code: only then do its labels mean what notes.c says */
    uint64_t entry, after_hwframe, call_dispatch, dispatch, sysret_exit, sysretq, iret_exit, iretq;
    uint64_t espfix; /* se_espfix_ldt: where the built-in code's espfix64 path ends (0: none) */
    uint64_t cs_ud2; /* se_iret_cs_ud2: the 6.12 user-CS assertion's ud2 (0: none) */
    uint64_t checks[SE_CHECK_MAX_VALUE + 1]; /* start label of each check block (0: none) */
} se_entry_syms;

/*
 * One translated block the engine has executed, and what the machine knows about it
 * (account.c). The engine caches translations; the machine must never let one run that was
 * made from other bytes, or before a hook covered one of its instructions, so it keeps the
 * bytes and the hook set each block was translated with and checks both before the block runs
 * (docs/machine.md, "Translated code").
 */
typedef struct se_block_info {
    uint64_t start;
    uint32_t size;
    uint32_t bytes_off;  /* the block's bytes, then its instruction offsets, in m->code_bytes */
    uint8_t *host[2];    /* where the bytes live in guest RAM (two pieces across mappings) */
    uint32_t host_len0;  /* bytes in host[0]; host[0] NULL: compare through the engine */
    uint64_t map_gen;    /* m->map_gen when host[] was resolved */
    uint64_t hook_sig;   /* the code hooks covering its instructions when translated */
    uint64_t hook_epoch; /* m->hook_epoch when hook_sig was last compared */
    uint64_t price_gen;  /* m->price_gen the costs below were computed with */
    bool scanned;        /* decoded and hooked for the bytes recorded */
    /* cost model (docs/cycle-model.md) */
    uint32_t n_insns;
    uint32_t cycles;
    int8_t single_phase; /* the phase of every instruction, or -1: see phase_cycles */
    uint32_t phase_cycles[SE_PHASE_COUNT];
} se_block_info;

/* A phase label of the entry code: from addr on, instructions belong to phase. */
typedef struct se_phase_mark {
    uint64_t addr;
    se_phase phase;
} se_phase_mark;

/* What the current run is doing and why it must stop. */
#define SE_KWARN_MAX 16

typedef struct se_run_state {
    bool active;
    uint64_t insns, budget;
    uint64_t block_start_insns; /* insns before the current block */
    uint64_t cur_block_end;
    uint64_t cycles;
    uint64_t phase_cycles[SE_PHASE_COUNT];
    bool entered_kernel;
    bool stop_requested; /* stop at the next block boundary (after a RIP write) */
    se_stop_reason reason;
    se_fault fault;
    unsigned syscalls, user_returns, user_returns_limit;
    uint64_t prev_block, cur_block;
    /* entry-path bookkeeping for se_syscall */
    bool in_syscall_path;
    se_exit_path exit_path;
    bool exit_seen;
    /* the last SYSRET/IRETQ reached, noted before the model decides: a #GP from it still
     * says which exit the kernel took (se_outcome::chosen) */
    se_exit_path exit_chosen;
    /* the user registers a SYSRET/IRETQ returned with, when the run stopped right there (the
     * engine holds them: se_syscall's outcome need not copy them out again) */
    se_regs ret_regs;
    bool ret_regs_valid;
    se_check failed_check;
    bool verdict_from_c;
    uint64_t iret_from_block;
    se_pt_regs frame;
    bool frame_valid;
    const se_run_options *opts;
    /* translated code found stale (or not yet hooked): stopped before it ran, to be run again
     * from restart_at once the engine has retranslated it */
    bool restart;
    uint64_t restart_at;
    bool restart_warn;    /* the restart continues after a kernel WARN (not a stale block) */
    bool restart_exc;     /* the restart runs an instruction again after a #PF that was the
                           * engine's, not the CPU's (se_be_pf_artifact) */
    bool restart_screen;  /* the restart follows a new exit before a hazard (hazard.c) */
    bool restart_fetch;   /* ... follows an exit before a fetch fault mid-block (hooks.c) */
    bool reset_exception; /* the engine took an exception the run reports otherwise */
    /* kernel WARNs/BUGs reached in this run (se_kernel_warning_get), the first SE_KWARN_MAX */
    uint64_t kwarn[SE_KWARN_MAX];
    unsigned n_kwarn;
    se_status error; /* a condition that ends the run with a status (message in m->err) */
} se_run_state;

struct se_machine {
    /* Unique for the life of the process (a counter, never reused): snapshots name their
     * machine by it, because a new machine may be allocated at a destroyed one's address. */
    uint64_t id;
    se_config cfg;
    se_cpu_features feat;
    se_layout lay;
    /* the engine backend's state (backend/backend.h); the machine reads only its flags */
    se_backend be;

    se_cpu_state arch; /* privileged state (see file comment) */
    se_tlb tlb;

    uint8_t *ram; /* host buffer of guest-physical RAM */
    se_phys phys;
    unsigned levels;
    uint64_t kpgd, upgd; /* page-table roots (upgd = kpgd + 4096 with PTI) */
    uint64_t kernel_cr3, user_cr3;

    se_mapping *maps;
    size_t n_maps, cap_maps;

    se_hooked_insn **hooked;
    size_t n_hooked, cap_hooked;
    se_hashmap hooked_at;  /* address -> index into hooked */
    se_hashmap hook_addrs; /* address -> number of per-address code hooks there */
    uint64_t hook_epoch;   /* bumped whenever a per-address or global code hook comes or goes */
    uint64_t map_gen;      /* bumped whenever a mapping is added or removed */
    se_hashmap blocks;     /* hash of block (start, size) -> index into block_info */
    se_block_info *block_info;
    size_t n_block_info, cap_block_info;
    uint8_t *code_bytes; /* block bytes and instruction offsets (se_block_info.bytes_off) */
    size_t n_code_bytes, cap_code_bytes;
    uint64_t price_gen;     /* bumped when the profile or the phase labels change */
    size_t block_cache_max; /* 0: SE_BLOCK_CACHE_MAX (tests set it lower) */
    se_cost_profile profile;
    uint32_t cost[SE_COST_CLASS_COUNT]; /* rounded cycles per class, from profile */
    se_phase_mark *marks;               /* sorted by address */
    size_t n_marks;
    uint64_t text_lo, text_hi; /* kernel text the marks cover */

    /* tracing (trace.c) */
    se_trace_fn trace_fn;
    void *trace_ctx;
    uc_hook h_trace;
    bool trace_hooked;
    struct se_trace_state *trace;
    uint64_t code_gen; /* bumped when code, labels or notes are loaded (trace cache key) */

    uc_hook h_syscall, h_block, h_intr, h_unmapped, h_invalid;
    /* guest stores screened by write hooks, only where the engine cannot keep W^X (wx.c) */
    struct se_be_whook *h_user_write;
    struct se_be_whook *h_kernel_write;
    bool stores_hooked; /* any write hook exists: the engine's accesses take its slow path */
    uint8_t *pg_wx;     /* per guest RAM page: 0, SE_WX_CODE or SE_WX_DATA (wx.c) */
    bool wx_marked;     /* the writable and executable user pages carry the W^X marks */
    bool wx_fallback;   /* this run: a page flipped too often, the hooks screen instead */
    uint64_t wx_flip_page;
    unsigned wx_flips;
    unsigned wx_key;     /* the inputs of the last se_wx_sync that succeeded (0: none yet) */
    bool wx_exits_stale; /* a page changed between code and data: re-sync the engine's exits */

    se_symbol *syms;
    size_t n_syms;
    se_hashmap notes; /* address -> index into note_text (from the code's .se_notes) */
    char **note_text;
    size_t n_notes;

    se_hooked_insn *cr_pending; /* a MOV to CR0/CR3 whose source register is to be restored */
    bool kgs_synced;            /* the engine's KERNEL_GS_BASE was written once: it follows */

    se_entry_syms sym;
    struct se_kernel_state *kern;
    /* write tracking of every writable mapping for snapshots (track.c), per guest RAM page */
    uint64_t *pg_wgen; /* per page: the machine's track_gen at its last write */
    uint64_t *pg_src;  /* per page: the snapshot whose bytes it holds unwritten since, or 0 */
    struct se_be_whook *h_track; /* while a guest's own CR3 root is live (wx.c) */
    /* dirty bits of the machine's leaves of every writable page (track.c): runs of
     * consecutive leaves mapping consecutive pages */
    struct se_hv_run *hv;
    size_t n_hv, cap_hv;
    uint64_t *grp_wgen;  /* per 64 pages of guest RAM: the largest pg_wgen among them */
    uint64_t hv_map_gen; /* map_gen + 1 when hv_* was built, 0 when never */
    uint8_t *pg_hot;     /* per page: its dirty bit is left set (track.c) */
    size_t n_hot;
    size_t map_hit; /* index in maps of the mapping se_mapping_hit last found */
    uint64_t track_gen;
    uint64_t track_copied; /* pages restores have copied back (tests: se_track_copied) */
    uint64_t kimage_gen;   /* bumped by loading a kernel image: older snapshots are refused */
    uint64_t next_snapshot_id;
    se_syscall_fn handler;
    void *handler_ctx;
    bool in_handler;
    bool in_trace; /* inside the trace callback (trace.c) */

    se_run_state run;
    char err[256];
};

/* Record a detail message and return st (for `return se_fail(m, SE_ERR_..., "fmt", ...)`). */
se_status se_fail(se_machine *m, se_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* SE_OK outside callbacks. Inside a syscall handler or a trace callback, records that `what`
 * cannot be called there and returns SE_ERR_STATE: the public calls that change the machine
 * would do it under the emulation that is running the callback. */
se_status se_refuse_in_callback(se_machine *m, const char *what);

/* ---- the backend (backend/backend.h), from the machine's side ------------------------- */
/* A failed backend call: its message (m->be.err) becomes the machine's; st is returned. */
static inline se_status se_be_st(se_machine *m, se_status st)
{
    return st == SE_OK ? SE_OK : se_fail(m, st, "%s", m->be.err);
}
/* Engine registers, for the machine's code. */
static inline uint64_t se_be_get(se_machine *m, int reg)
{
    return se_be_reg(&m->be, reg);
}
static inline void se_be_set(se_machine *m, int reg, uint64_t value)
{
    se_be_reg_set(&m->be, reg, value);
}
static inline void se_be_read_regs(se_machine *m, se_regs *regs)
{
    se_be_regs(&m->be, regs);
}

/* ---- hooks.c ---------------------------------------------------------------------------- */
/* The write hook that screens guest stores for engine-abort encodings (wx.c installs it). */
void se_hook_screen_write(void *user, uint64_t addr, uint64_t pa, int size, int64_t value);
se_status se_hooks_install_global(se_machine *m);
se_status se_hooks_scan_code(se_machine *m, uint64_t va, const uint8_t *code, size_t len);
/* Make sure the instruction `in` (decoded from the bytes now at its address) is hooked if its
 * kind needs it, and that an existing hook there acts on this instruction; *added is set when
 * an engine hook was added (translations of its address made before then lack it). */
se_status se_hooks_ensure(se_machine *m, const se_insn *in, const uint8_t *bytes, size_t n,
                          bool *added);
/* A per-address code hook, counted in m->hook_addrs so that translated blocks made before it
 * existed are found and retranslated (account.c). */
se_status se_hook_code_at(se_machine *m, uc_hook *h, se_uc_fn cb, void *user, uint64_t addr);
void se_unhook_code_at(se_machine *m, uc_hook h, uint64_t addr);
void se_hooks_free(se_machine *m);
/* Full current state: m->arch plus the engine's registers. */
void se_machine_snapshot_state(se_machine *m, se_cpu_state *st);
void se_machine_record_fault(se_machine *m, const se_fault *f);
void se_uncount_from(se_machine *m, uint64_t rip);
void se_cr_restore_src(se_machine *m);

/* ---- machine.c ------------------------------------------------------------------------ */
se_status se_enter_user_internal(se_machine *m, const se_regs *regs);
se_status se_check_user_regs(se_machine *m, const se_regs *r, bool need_canonical_rsp);

/* ---- kernel.c: loading entry code ------------------------------------------------------ */
se_status se_load_builtin_entry(se_machine *m);
se_status se_load_code_pages(se_machine *m, uint64_t va, const uint8_t *code, size_t len,
                             uint32_t flags, bool scan);
/* ---- track.c: page-granular write tracking for snapshots ------------------------------ */
/* The per-page state and the write hook (at creation, once the engine is open). */
se_status se_track_init(se_machine *m);
/* Host writes to guest RAM: [va, va + len) was written (pages of the machine's mappings). */
void se_track_mark(se_machine *m, uint64_t va, uint64_t len);
/* The writable mappings a snapshot saves: how many, and *bytes in all. */
size_t se_track_regions(const se_machine *m, uint64_t *bytes);
/* Copy every writable mapping to regions (se_track_regions() of them) and dst (*bytes);
 * *gen gets the snapshot's generation. */
/* Mark written every page whose leaf has D set: the guest's stores since the last look. Before
 * a save (older snapshots still need to know what was written before it) and a restore. */
se_status se_track_harvest(se_machine *m);
void se_track_save(se_machine *m, se_track_region *regions, uint8_t *dst, uint64_t *gen);
/* Copy back from src the pages that may differ from the snapshot (gen, snap_id). */
se_status se_track_restore(se_machine *m, const se_track_region *regions, size_t n,
                           const uint8_t *src, uint64_t gen, uint64_t snap_id);
/* The write hook that marks pages written while a guest's own tables are live (wx.c). */
void se_hook_track_write(void *user, uint64_t va, uint64_t pa, int size, int64_t value);
/* Pages restores have copied back since the machine was created (for tests). */
static inline uint64_t se_track_copied(const se_machine *m)
{
    return m->track_copied;
}
void se_track_free(se_machine *m);

/* ---- wx.c: stores without write hooks ---------------------------------------------------- */
#define SE_WX_CODE 1 /* screened; read-only to the engine */
#define SE_WX_DATA 2 /* written since screened; NX to the engine */
/* Marks or write hooks, as CR0.WP, EFER.NXE, CR3 and the run's fallback allow; after any change
 * of them (the hooks' regime change makes translated blocks stale: account.c). */
se_status se_wx_sync(se_machine *m);
/* The marks of a mapping whose leaves were (re)written. */
void se_wx_apply(se_machine *m, const se_mapping *mp);
/* An engine #PF at cr2 that the model allows: true if the marks caused it (the page changed
 * state; run the instruction again). */
bool se_wx_engine_fault(se_machine *m, uint64_t cr2);
/* va is on a page the machine keeps NX to the engine alone (a W^X data page). */
bool se_wx_engine_nx(se_machine *m, uint64_t va);
/* The engine's exits follow which pages it can fetch (hazard.c): after a page changed between
 * code and data, at the next (re)start of the engine. */
void se_wx_exits_sync_pending(se_machine *m);
/* Drop the engine's translations of [va, va + len), which must be made from the current
 * mode's fetches: W^X data pages in the range become screened code first. */
se_status se_discard_code(se_machine *m, uint64_t va, uint64_t len);

/* ---- kimage_load.c: a distribution kernel ----------------------------------------------- */
void se_kernel_free(se_machine *m);
/* The kernel's symbol for addr (NULL when no kernel image or no symbol). */
const char *se_kernel_symbolize(se_machine *m, uint64_t addr, uint64_t *off);
/* Which check's branch to the IRET exit ends the block at `block` (SE_CHECK_NONE if none). */
se_check se_kernel_check_from_block(se_machine *m, uint64_t block);
/* Linux 6.7+: do_syscall_64 runs for real; the handler hook is at x64_sys_call. */
bool se_kernel_c_entry(const se_machine *m);
/* A #UD at CPL0 on rip: a WARN site of the kernel's __bug_table (recorded; the caller continues
 * at rip + 2, as handle_bug() does), a BUG site (recorded; the #UD stands), or neither. */
typedef enum { SE_KUD_NONE, SE_KUD_WARN, SE_KUD_BUG } se_kud;
se_kud se_kernel_ud(se_machine *m, uint64_t rip);

/* ---- syscall.c ------------------------------------------------------------------------- */
se_status se_install_dispatch_hook(se_machine *m, uint64_t va);
se_status se_install_espfix_hook(se_machine *m, uint64_t va);
/* Linux 6.7+: at the instruction after `call do_syscall_64`, AL is the verdict. */
se_status se_install_c_verdict_hook(se_machine *m, uint64_t va);

/* ---- account.c: the cycle model inside the machine --------------------------------------- */
se_status se_account_init(se_machine *m);
void se_account_free(se_machine *m);
se_phase se_phase_of(const se_machine *m, uint64_t addr);
/* Decode the instruction the engine is about to run at addr, as the CPU would execute it:
 * se_decode_exec, plus SE_INSN_MISDECODED for a valid instruction the engine would run
 * differently. The one classification the block scan, the uncount and the hooks share. */
se_status se_decode_for_run(const uint8_t *buf, size_t len, uint64_t addr, bool truncated,
                            se_insn *out);
/* Cost of [start, end) by decoding: instruction count, cycles, per-phase cycles. */
void se_account_range(se_machine *m, uint64_t start, uint64_t end, se_block_info *out);
/* What the block hook must do with a translated block about to run. */
typedef enum se_block_verdict {
    SE_BLOCK_RUN,     /* current: count it and let it run */
    SE_BLOCK_RESTART, /* stale or missing a hook: discarded; stop and run again from its start */
    SE_BLOCK_ERROR    /* cannot be checked (out of memory, decoder and engine disagree) */
} se_block_verdict;
/* Check the translated block [addr, addr + size) before it runs; *out gets its info. */
/* The run stopped at the exit before `at`, an instruction whose fetch faults after the start
 * of its block (hooks.c): raise that #PF; false when the fetch no longer faults. */
bool se_fetch_fault_reached(se_machine *m, uint64_t at);
se_block_verdict se_account_block(se_machine *m, uint64_t addr, uint32_t size,
                                  const se_block_info **out);
/* Bound the block cache (between runs): forget user-half blocks the engine can discard now. */
#define SE_BLOCK_CACHE_MAX (1u << 16)
#define SE_CODE_BYTES_MAX  (64u << 20)
void se_account_trim(se_machine *m);
/* Charge a cost decided at run time (MOV to CR3, WRMSR) to the instruction at addr. */
void se_account_charge(se_machine *m, uint64_t addr, se_cost_class c);
se_status se_account_set_marks(se_machine *m, const se_phase_mark *marks, size_t n,
                               uint64_t text_lo, uint64_t text_hi);

/* ---- notes.c: plain-language notes for the trace ---------------------------------------- */
const char *se_note_for(se_machine *m, uint64_t addr, const se_insn *in);
se_status se_notes_add(se_machine *m, uint64_t addr, const char *text);
void se_notes_free(se_machine *m);

/* ---- trace.c ----------------------------------------------------------------------------- */
/* Called first thing by every hook that acts on an instruction, so that the trace event of that
 * instruction sees the state before it acted. */
void se_trace_begin(se_machine *m, uint64_t addr);
se_status se_trace_run_start(se_machine *m);
void se_trace_run_end(se_machine *m);
void se_trace_free(se_machine *m);
void se_trace_add_dyn_cycles(se_machine *m, uint32_t cycles);
/* The instruction at addr faulted in the engine only and runs again: its open event goes. */
void se_trace_cancel(se_machine *m, uint64_t addr);

/* ---- run.c -------------------------------------------------------------------------------- */
se_status se_run_engine(se_machine *m, uint64_t begin, const se_run_options *opts);

/* ---- memory.c ---------------------------------------------------------------------------- */
se_status se_map_internal(se_machine *m, uint64_t va, uint64_t size, uint32_t flags,
                          uint64_t *pa_out);
void *se_host_ptr(se_machine *m, uint64_t va, size_t len);
/* Host address of va in guest RAM and how many of the next len bytes follow it there
 * (*got, 0 when va is not in a mapping of the machine's). */
uint8_t *se_host_span(se_machine *m, uint64_t va, size_t len, size_t *got);
/* Copy up to len bytes of code at va (guest RAM, else through the engine); returns how many
 * were readable before the first byte that is not. */
size_t se_code_fetch(se_machine *m, uint64_t va, uint8_t *buf, size_t len);
se_paging_ctl se_machine_paging_ctl(const se_machine *m);
/* XD for the engine only on va's page in the machine's tables (on), or not; false when the
 * engine has no NX to honour it (memory.c). */
bool se_engine_guard_page(se_machine *m, uint64_t va, bool on);
/* The mapping holding addr, linear or (by_pa) guest-physical; NULL if none. Inline: it runs on
 * every guest store (snapshot tracking, and on Unicorn 2.1 the physical address its hooks
 * report), and most stores hit the mapping the last one hit (the kernel stack). */
static inline const se_mapping *se_mapping_hit(se_machine *m, uint64_t addr, bool by_pa)
{
    if (m->map_hit < m->n_maps) {
        const se_mapping *mp = &m->maps[m->map_hit];
        if (addr - (by_pa ? mp->pa : mp->va) < mp->size)
            return mp;
    }
    for (size_t i = 0; i < m->n_maps; i++) {
        const se_mapping *mp = &m->maps[i];
        if (addr - (by_pa ? mp->pa : mp->va) < mp->size) {
            m->map_hit = i;
            return mp;
        }
    }
    return NULL;
}
/* The linear address guest-physical pa is mapped at (each guest page backs one linear page:
 * user pages sit at the same address in both PTI tables); false if none (memory.c). */
bool se_pa_to_va(se_machine *m, uint64_t pa, uint64_t *va);
/* The run reached a hazard (an encoding the engine cannot translate) at `at`: record the
 * exception the CPU raises there (run.c). True unless the bytes are no longer a hazard. */
bool se_hazard_reached(se_machine *m, uint64_t at);
se_status se_walk(se_machine *m, uint64_t va, se_access acc, uint8_t cpl, uint64_t cr3,
                  uint64_t *pa, se_fault *fault);

#endif /* SE_MACHINE_INT_H */
