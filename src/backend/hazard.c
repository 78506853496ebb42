/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Encodings the engine cannot translate. Unicorn 2.0.1 aborts the host process ("tcg fatal
 * error") while translating some encodings the CPU rejects with #UD, before any hook runs:
 * LOCK CMP with a memory operand (f0 38/39 /r, f0 80/81/83 /7 with some immediates), LOCK CMPS
 * (f0 a6/a7), and far CALL/JMP with a register operand (ff /3, ff /5, mod = 3). Found by
 * translating every one- and two-byte opcode with every ModRM byte, with and without LOCK, in a
 * bare engine, one child process each (docs/fuzzing.md, "Engine crashes").
 *
 * The machine never lets the engine translate such an instruction: every address where one
 * starts is an exit of the engine (translation stops before it), and reaching it raises the
 * exception the CPU raises there (run.c). The test is deliberately wider than the crashes
 * found: every LOCK that the decoder calls illegal, since which of those crash depends on
 * the immediate.
 */
#include <stdlib.h>
#include <string.h>

#include <Zydis/Zydis.h>

#include "decode/decode.h"
#include "backend/backend.h"

static bool se_is_prefix(uint8_t b)
{
    return b == 0x66 || b == 0x67 || b == 0xF0 || b == 0xF2 || b == 0xF3 || b == 0x2E ||
           b == 0x36 || b == 0x3E || b == 0x26 || b == 0x64 || b == 0x65 || (b & 0xF0) == 0x40;
}

bool se_be_hazard_at(const uint8_t *p, size_t n)
{
    size_t i = 0;
    bool lock = false;
    while (i < n && i < 15 && se_is_prefix(p[i])) {
        lock = lock || p[i] == 0xF0;
        i++;
    }
    if (i + 1 < n && p[i] == 0xFF && (p[i + 1] >> 6) == 3 &&
        (((p[i + 1] >> 3) & 7) == 3 || ((p[i + 1] >> 3) & 7) == 5))
        return true;
    return lock && se_decode_illegal_lock(p, n < 15 ? n : 15);
}

bool se_be_engine_misdecodes(const uint8_t *p, size_t n)
{
    /* A REX prefix counts only right before the opcode; one followed by a legacy prefix is
     * ignored by the CPU (SDM Vol. 2A §2.2.1), but Unicorn 2.0.1 keeps it: `48 3e be imm32`
     * is MOV ESI, imm32 (7 bytes) on hardware and MOV RSI, imm64 (11 bytes) in the engine,
     * which then runs a different instruction stream. */
    bool rex = false;
    for (size_t i = 0; i < n && i < 15 && se_is_prefix(p[i]); i++) {
        if ((p[i] & 0xF0) == 0x40)
            rex = true;
        else if (rex)
            return true;
    }
    return false;
}

static int se_u64_cmp(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* The instruction starts at or before q whose prefixes reach q: q itself and every s < q with
 * bytes [s, q) all prefixes (at most 14 of them). */
static size_t se_starts_reaching(const uint8_t *buf, size_t q, size_t *first)
{
    size_t s = q;
    while (s > 0 && q - s < 14 && se_is_prefix(buf[s - 1]))
        s--;
    *first = s;
    return q - s + 1;
}

static se_status se_hazard_add(se_backend *be, uint64_t va)
{
    if (be->n_hazards == be->cap_hazards) {
        size_t cap = be->cap_hazards ? 2 * be->cap_hazards : 16;
        uint64_t *n = realloc(be->hazards, cap * sizeof *n);
        if (n == NULL)
            return se_be_fail(be, SE_ERR_NOMEM, "out of memory for the engine's exits");
        be->hazards = n;
        be->cap_hazards = cap;
    }
    be->hazards[be->n_hazards++] = va;
    return SE_OK;
}

/* Sort and deduplicate the hazard list after additions, and hand the engine its exits. */
static se_status se_hazards_commit(se_backend *be)
{
    qsort(be->hazards, be->n_hazards, sizeof *be->hazards, se_u64_cmp);
    size_t u = 0;
    for (size_t i = 0; i < be->n_hazards; i++)
        if (u == 0 || be->hazards[u - 1] != be->hazards[i])
            be->hazards[u++] = be->hazards[i];
    be->n_hazards = u;
    if (!be->exits_enabled) {
        if (be->n_hazards == 0)
            return SE_OK;
        if (uc_ctl_exits_enable(be->uc) != UC_ERR_OK)
            return se_be_fail(be, SE_ERR_BACKEND, "cannot enable the engine's exits");
        be->exits_enabled = true;
    }
    be->hazard_gen++;
    se_be_exits_sync(be);
    return SE_OK;
}

se_status se_be_hazards_update(se_backend *be, uint64_t va, uint64_t len)
{
    return se_be_hazards_update_ex(be, va, len, 0, NULL, 0);
}

se_status se_be_hazards_update_ex(se_backend *be, uint64_t va, uint64_t len, uint64_t ov_va,
                                  const uint8_t *ov, size_t ov_len)
{
    /* instructions starting up to 14 bytes before the write can include written bytes */
    uint64_t lo = va >= 14 ? va - 14 : 0;
    uint64_t hi = va + len < va ? UINT64_MAX : va + len;
    size_t before = be->n_hazards, kept = 0;
    for (size_t i = 0; i < be->n_hazards; i++)
        if (be->hazards[i] < lo || be->hazards[i] >= hi)
            be->hazards[kept++] = be->hazards[i];
    be->n_hazards = kept;
    bool changed = kept != before;
    uint8_t buf[4096 + 32];
    for (uint64_t at = lo; at < hi;) {
        /* chunks that overlap by 28 bytes: 14 of prefixes before, 14 after the opcode */
        uint64_t want = hi - at > 4096 ? 4096 : hi - at;
        size_t got = be->ops.code_fetch(be->ops.ctx, at, buf, (size_t)want + 28);
        if (got == 0) {
            at = (at | 0xFFF) + 1; /* not readable: nothing can execute there */
            continue;
        }
        /* bytes a store is about to write (the write hook runs before the store) */
        for (size_t i = 0; ov != NULL && i < ov_len; i++)
            if (ov_va + i >= at && ov_va + i - at < got)
                buf[ov_va + i - at] = ov[i];
        /* the opcode byte may lie in the overlap after this chunk's starts */
        for (size_t q = 0; q < got; q++) {
            if (buf[q] != 0xF0 && buf[q] != 0xFF)
                continue;
            size_t first, n = se_starts_reaching(buf, q, &first);
            for (size_t s = first; s < first + n; s++) {
                if (s >= want || at + s < lo || at + s >= hi || !se_be_hazard_at(buf + s, got - s))
                    continue;
                se_status st = se_hazard_add(be, at + s);
                if (st != SE_OK)
                    return st;
                changed = true;
            }
        }
        at += want;
    }
    return changed ? se_hazards_commit(be) : SE_OK;
}

/*
 * The engine's exits for the mode it is in now. At the end of every run Unicorn 2.0.1 discards
 * the translations around each exit, translating the exit's address in the mode the run ended
 * in, with no guard against a fault: an exit that mode cannot fetch (kernel text under the
 * user page tables) throws the engine into a broken state. So the set handed to the engine
 * holds only the hazards the current mode can fetch (and the byte before each), and follows
 * every change of CPL, CR3 or CR4 (hooks.c, machine.c, snapshot.c). A hazard the mode cannot
 * fetch cannot be translated in it either.
 */
static void se_be_sync_guards(se_backend *be, const uint64_t *want, size_t n);

void se_be_exits_sync(se_backend *be)
{
    if (!be->exits_enabled)
        return;
    /* EFER.NXE too: the guards below need it (without it XD is a reserved bit) */
    uint64_t key = (uint64_t)be->arch->cpl ^ (be->arch->cr3 << 2) ^ (be->arch->cr4 << 40) ^
                   (be->hazard_gen * 0x9e3779b97f4a7c15ull) ^ (be->map_gen << 20) ^
                   ((be->arch->efer & SE_EFER_NXE) << 1) ^ (be->fetch_exit * 0xc2b2ae3d27d4eb4full);
    if (be->exits_synced && be->exits_key == key)
        return;
    uint64_t *set = malloc((be->n_hazards + 1) * sizeof *set);
    uint64_t *guard = be->n_hazards ? malloc(be->n_hazards * sizeof *guard) : NULL;
    size_t n = 0, n_guard = 0;
    for (size_t i = 0; set != NULL && guard != NULL && i < be->n_hazards; i++) {
        uint64_t h = be->hazards[i];
        /* the engine's view: a page the machine keeps NX to the engine (W^X data) is one the
         * engine cannot fetch, whatever the architecture allows there */
        bool here = be->ops.engine_fetchable(be->ops.ctx, h);
        bool before = be->ops.engine_fetchable(be->ops.ctx, h - 1);
        if (here && before)
            set[n++] = h;
        else if (here && (be->arch->efer & SE_EFER_NXE))
            /* At a page start after a page this mode cannot fetch, an exit cannot be used:
             * the engine ends its run there with a block of no bytes whose "last page" is
             * the previous one, fetched and faulting inside the engine. Nothing can run into
             * such a hazard from before it; only a jump to its page can reach it. The page is
             * guarded instead: every fetch there faults in the engine before it translates
             * a byte (the machine's XD for the engine only), and the #PF hook raises the
             * #UD the CPU raises at the hazard, or refuses code elsewhere on that page. */
            guard[n_guard++] = h & ~0xFFFull;
    }
    se_be_sync_guards(be, guard, n_guard);
    free(guard);
    /* its byte before is fetchable (the block runs into it), which is what Unicorn's discard
     * of the code around an exit translates; the address itself need not be */
    if (set != NULL && be->fetch_exit != 0 &&
        be->ops.engine_fetchable(be->ops.ctx, be->fetch_exit - 1))
        set[n++] = be->fetch_exit;
    /* 0 is never invalidated (Unicorn skips it) and never executed here: the empty set */
    uint64_t none = 0;
    uc_ctl_set_exits(be->uc, n ? set : &none, n ? n : 1);
    free(set);
    be->exits_key = key;
    be->exits_synced = true;
}

bool se_be_is_guarded(const se_backend *be, uint64_t va)
{
    for (size_t i = 0; i < be->n_guards; i++)
        if (be->guards[i] == (va & ~0xFFFull))
            return true;
    return false;
}

/* Guard exactly the pages in want[0..n) (duplicates allowed), flushing the TLB on a change. */
static void se_be_sync_guards(se_backend *be, const uint64_t *want, size_t n)
{
    bool changed = false;
    for (size_t i = 0; i < be->n_guards;) {
        bool keep = false;
        for (size_t j = 0; j < n && !keep; j++)
            keep = want[j] == be->guards[i];
        if (keep) {
            i++;
            continue;
        }
        be->ops.guard(be->ops.ctx, be->guards[i], false);
        be->guards[i] = be->guards[--be->n_guards];
        changed = true;
    }
    for (size_t j = 0; j < n; j++) {
        if (se_be_is_guarded(be, want[j]))
            continue;
        if (be->n_guards == be->cap_guards) {
            size_t cap = be->cap_guards ? 2 * be->cap_guards : 8;
            uint64_t *g = realloc(be->guards, cap * sizeof *g);
            if (g == NULL)
                break; /* unguarded: the engine may still abort there, as without guards */
            be->guards = g;
            be->cap_guards = cap;
        }
        if (!be->ops.guard(be->ops.ctx, want[j], true))
            continue; /* no engine NX (docs/fuzzing.md, engine crashes) */
        be->guards[be->n_guards++] = want[j];
        changed = true;
    }
    if (changed)
        se_be_flush_tlb(be);
}

bool se_be_is_hazard(const se_backend *be, uint64_t va)
{
    return be->n_hazards > 0 &&
           bsearch(&va, be->hazards, be->n_hazards, sizeof va, se_u64_cmp) != NULL;
}

se_status se_be_hazards_screen_flow(se_backend *be, uint64_t va, uint64_t len,
                                    const uint64_t *starts, size_t n_starts)
{
    if (len == 0)
        return SE_OK;
    uint8_t *buf = malloc(len + 15);
    uint8_t *seen = calloc((len + 7) / 8, 1);
    uint64_t *todo = malloc((n_starts + 1) * sizeof *todo);
    size_t n_todo = 0, cap_todo = n_starts + 1;
    if (buf == NULL || seen == NULL || todo == NULL) {
        free(buf);
        free(seen);
        free(todo);
        return se_be_fail(be, SE_ERR_NOMEM, "out of memory screening 0x%llx bytes of code",
                          (unsigned long long)len);
    }
    size_t got = be->ops.code_fetch(be->ops.ctx, va, buf, (size_t)len);
    memset(buf + got, 0, len + 15 - got);
    todo[n_todo++] = 0;
    for (size_t i = 0; i < n_starts; i++)
        if (starts[i] >= va && starts[i] - va < got)
            todo[n_todo++] = starts[i] - va;
    ZydisDecoder dec;
    ZydisDecoderInit(&dec, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
    se_status st = SE_OK;
    size_t before = be->n_hazards;
    while (n_todo > 0 && st == SE_OK) {
        uint64_t off = todo[--n_todo];
        while (off < got && !(seen[off / 8] & (1u << (off % 8))) && st == SE_OK) {
            seen[off / 8] |= (uint8_t)(1u << (off % 8));
            size_t left = got - off < 15 ? got - off : 15;
            if (se_be_hazard_at(buf + off, left))
                st = se_hazard_add(be, va + off);
            ZydisDecodedInstruction in;
            if (!ZYAN_SUCCESS(
                    ZydisDecoderDecodeInstruction(&dec, NULL, buf + off, got - off, &in))) {
                off++; /* the CPU raises #UD here; a jump may still land just after */
                continue;
            }
            if ((in.attributes & ZYDIS_ATTRIB_IS_RELATIVE) && in.raw.imm[0].is_relative) {
                uint64_t target = off + in.length + (uint64_t)in.raw.imm[0].value.s;
                if (target < got && !(seen[target / 8] & (1u << (target % 8)))) {
                    if (n_todo == cap_todo) {
                        uint64_t *t = realloc(todo, 2 * cap_todo * sizeof *t);
                        if (t == NULL) {
                            st = se_be_fail(be, SE_ERR_NOMEM, "out of memory screening code");
                            break;
                        }
                        todo = t;
                        cap_todo *= 2;
                    }
                    todo[n_todo++] = target;
                }
            }
            off += in.length; /* straight on, past jumps too: padding and the next function */
        }
    }
    free(buf);
    free(seen);
    free(todo);
    return st == SE_OK && be->n_hazards != before ? se_hazards_commit(be) : st;
}

/*
 * Screening at translation (Unicorn 2.0.x).
 *
 * The screens above cover every byte offset of what the host and the guest write, but a
 * kernel image is screened along its own control flow (se_be_hazards_screen_flow): exits at
 * every offset where such an encoding starts inside other instructions would be tens of
 * thousands, each retranslated by the engine after every run. A crafted image can still jump
 * into the middle of an instruction. So the engine's own translation is watched: 2.0.x checks
 * the permissions of the region it loads code bytes from on every load the translator makes
 * (load_helper, code_read: a region without UC_PROT_EXEC calls the UC_HOOK_MEM_FETCH_PROT
 * hooks with the linear address), and a region the machine gives only read and write is
 * still executed as the page tables say (2.0.x checks UC_PROT_EXEC nowhere else). The
 * translator reads each instruction front to back, prefixes, opcode, ModRM and SIB one byte
 * at a time and displacements and immediates as wider loads, so a one-byte load outside the
 * instruction last decoded is where the next one starts. A hazard there is refused before
 * the translator reads on: the engine stops (UC_ERR_FETCH_PROT, nothing of the block has run),
 * the hazard becomes an exit, and the run goes on from the same place (se_be_screen_take).
 * Unicorn 2.1 translates the same encodings to #UD without aborting, and looks regions up by
 * physical address there: nothing to do.
 */
static bool se_be_tscreen_cb(uc_engine *uc, uc_mem_type type, uint64_t addr, int size,
                             int64_t value, void *user)
{
    se_backend *be = user;
    (void)uc;
    (void)value;
    if (type != UC_MEM_FETCH_PROT)
        return false;
    if (size != 1 || (addr >= be->tscreen_lo && addr < be->tscreen_hi))
        return true; /* a displacement or an immediate, or inside the instruction */
    uint8_t buf[15];
    size_t got = be->ops.code_fetch(be->ops.ctx, addr, buf, sizeof buf);
    ZydisDecoder dec;
    ZydisDecoderInit(&dec, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
    ZydisDecodedInstruction in;
    be->tscreen_lo = addr;
    be->tscreen_hi = addr + 1;
    if (got > 0 && ZYAN_SUCCESS(ZydisDecoderDecodeInstruction(&dec, NULL, buf, got, &in)))
        be->tscreen_hi = addr + in.length;
    if (got == 0 || !se_be_hazard_at(buf, got))
        return true;
    /* Already an exit: the translator stops before an instruction that starts there, so this
     * byte is inside a longer one than the decoder saw (se_be_engine_misdecodes). */
    if (se_be_is_hazard(be, addr) && be->exits_synced) {
        be->tscreen_hi = addr + 1;
        return true;
    }
    be->tscreen_stuck = be->tscreen_pending || se_be_is_hazard(be, addr);
    be->tscreen_pending = true;
    be->tscreen_at = addr;
    return false;
}

se_status se_be_screen_translation(se_backend *be, uint64_t va, uint64_t size)
{
    unsigned major = 0, minor = 0;
    uc_version(&major, &minor);
    if (major != 2 || minor != 0 || size == 0)
        return SE_OK;
    if (!be->tscreen_on) {
        if (uc_hook_add(be->uc, &be->tscreen_hook, UC_HOOK_MEM_FETCH_PROT,
                        se_uc_cb((se_uc_fn)se_be_tscreen_cb), be, 1, 0) != UC_ERR_OK)
            return se_be_fail(be, SE_ERR_BACKEND, "cannot hook the engine's code loads");
        be->tscreen_on = true;
    }
    if (uc_mem_protect(be->uc, va, size, UC_PROT_READ | UC_PROT_WRITE) != UC_ERR_OK)
        return se_be_fail(be, SE_ERR_BACKEND,
                          "cannot screen translations of 0x%llx bytes at 0x%llx",
                          (unsigned long long)size, (unsigned long long)va);
    return SE_OK;
}

int se_be_screen_take(se_backend *be)
{
    /* the next translation starts a new instruction wherever it loads */
    be->tscreen_lo = be->tscreen_hi = 0;
    if (!be->tscreen_pending)
        return 0;
    be->tscreen_pending = false;
    if (be->tscreen_stuck) {
        be->tscreen_stuck = false;
        se_be_fail(be, SE_ERR_BACKEND,
                   "the engine was about to translate an encoding it aborts on at 0x%llx",
                   (unsigned long long)be->tscreen_at);
        return -1;
    }
    if (se_hazard_add(be, be->tscreen_at) != SE_OK || se_hazards_commit(be) != SE_OK)
        return -1;
    return 1;
}

se_status se_be_set_fetch_exit(se_backend *be, uint64_t va)
{
    if (be->fetch_exit == va)
        return SE_OK;
    if (va != 0 && !be->exits_enabled) {
        if (uc_ctl_exits_enable(be->uc) != UC_ERR_OK)
            return se_be_fail(be, SE_ERR_BACKEND, "cannot enable the engine's exits");
        be->exits_enabled = true;
    }
    be->fetch_exit = va;
    se_be_exits_sync(be);
    return SE_OK;
}
