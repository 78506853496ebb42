/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The engine's translation buffer, and a flush it never does itself.
 *
 * Unicorn (2.0.1 and 2.1.1 alike) never initialises TCG's region allocator: tcg_region_init
 * leaves region.current at 0, where QEMU allocates region 0 when a vCPU thread starts
 * (tcg_register_thread). Code is generated from the buffer's start all the same, so nothing
 * shows until the 1 GiB buffer first fills: tcg_tb_alloc then calls tcg_region_alloc, which
 * finds a region "left" and assigns region 0 again, rewinding the buffer to its start and
 * zeroing it without a tb_flush, while every translated block is still in the engine's hash
 * table, page lists and jump cache. New code overwrites the blocks those still point to; the
 * next invalidation that walks a page list follows garbage (the SEGV in page_collection_lock
 * and the assertion in tb_page_remove that fuzz campaigns hit after 5-16 M executions), and a
 * lookup can run code that belongs to other guest bytes. A 40-line program that translates a
 * long block, discards it and translates it again crashes both engines the same way once
 * about 1 GiB has been generated (docs/fuzzing.md).
 *
 * Once the allocator is initialised, by one tb_flush (do_tb_flush -> tcg_region_reset_all),
 * a full buffer makes tcg_region_alloc fail and the engine flushes properly. So the backend
 * flushes once, between runs, when three quarters of the buffer are used and the allocator is
 * still uninitialised. Not earlier: the flush zeroes the whole region (tcg_region_assign), so
 * it makes all of the 1 GiB resident, and at three quarters most of it already is. The fill
 * level is read from the engine's private TCGContext, at offsets checked when the engine is
 * opened (se_be_codebuf_probe); on a build where they do not hold, nothing is done.
 */
#define _DEFAULT_SOURCE /* mincore */
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "backend/backend.h"

/* Where the fields live: struct uc_struct's tcg_ctx, and in TCGContext (qemu/include/tcg/tcg.h
 * of each release) uc, code_gen_buffer, code_gen_buffer_size, code_gen_ptr, region.n,
 * region.current and tb_ctx.tb_flush_count (unsigned). Read off each release's debug build;
 * checked at open. */
typedef struct se_tcg_layout {
    unsigned major, minor;
    size_t uc_tcg, tcg_uc, buf, size, ptr, region_n, region_current, flush_count, tcg_size;
} se_tcg_layout;

static const se_tcg_layout se_tcg_layouts[] = {
    {2, 0, 704, 39280, 160, 184, 192, 39184, 39208, 39120, 42832},
    {2, 1, 744, 39280, 160, 184, 192, 39184, 39208, 39120, 42832},
};

/* Whether [p, p + len) lies in mapped memory, without touching it. */
static bool se_mapped(const void *p, size_t len)
{
    long pg = sysconf(_SC_PAGESIZE);
    if (pg <= 0 || p == NULL)
        return false;
    uintptr_t lo = (uintptr_t)p & ~((uintptr_t)pg - 1), hi = (uintptr_t)p + len;
    if (hi < (uintptr_t)p)
        return false;
    unsigned char vec[16];
    for (uintptr_t a = lo; a < hi; a += (uintptr_t)pg * 16) {
        size_t n = hi - a < (uintptr_t)pg * 16 ? hi - a : (uintptr_t)pg * 16;
        if (mincore((void *)a, n, vec) != 0)
            return false; /* ENOMEM: part of the range is not mapped */
    }
    return true;
}

static uint64_t se_rd(const uint8_t *base, size_t off)
{
    uint64_t v;
    memcpy(&v, base + off, sizeof v);
    return v;
}

void se_be_codebuf_probe(se_backend *be)
{
    unsigned major = 0, minor = 0;
    uc_version(&major, &minor);
    be->tcg = NULL;
    for (size_t i = 0; i < sizeof se_tcg_layouts / sizeof se_tcg_layouts[0]; i++) {
        const se_tcg_layout *l = &se_tcg_layouts[i];
        if (l->major != major || l->minor != minor)
            continue;
        const uint8_t *uc = (const uint8_t *)be->uc;
        uintptr_t tcg_addr = (uintptr_t)se_rd(uc, l->uc_tcg);
        const uint8_t *tcg = (const uint8_t *)tcg_addr;
        if (tcg_addr == 0 || tcg_addr % 8 != 0 || !se_mapped(tcg, l->tcg_size))
            return;
        /* the back pointer, a buffer of about 1 GiB with its pointer inside, one region that
         * is not yet allocated or is the only one */
        uint64_t buf = se_rd(tcg, l->buf), size = se_rd(tcg, l->size), ptr = se_rd(tcg, l->ptr);
        uint64_t n = se_rd(tcg, l->region_n), cur = se_rd(tcg, l->region_current);
        if ((uintptr_t)se_rd(tcg, l->tcg_uc) != (uintptr_t)be->uc || size < (64u << 20) ||
            size > (4ull << 30) || ptr < buf || ptr > buf + size || n != 1 || cur > 1)
            return;
        be->tcg = tcg;
        be->tcg_layout = l;
        return;
    }
}

bool se_be_codebuf_needs_flush(uint64_t used, uint64_t size, uint64_t region_current)
{
    /* region_current != 0: the engine's own full-buffer path flushes */
    return region_current == 0 && used >= size / 4 * 3;
}

void se_be_codebuf_guard(se_backend *be)
{
    se_be_codebuf c;
    if (be->codebuf_ready || !se_be_codebuf_state(be, &c))
        return;
    be->codebuf_ready = c.ready;
    bool due = be->codebuf_flush_at != 0 ? c.used >= be->codebuf_flush_at
                                         : se_be_codebuf_needs_flush(c.used, c.size, c.ready);
    if (c.ready || !due)
        return;
    /* 2.0.1 names its macro uc_ctl_flush_tlb, 2.1 uc_ctl_flush_tb: the request itself */
    uc_ctl(be->uc, UC_CTL_WRITE(UC_CTL_TB_FLUSH, 0));
    be->codebuf_flushes++;
    be->codebuf_ready = se_be_codebuf_state(be, &c) && c.ready;
}

bool se_be_codebuf_state(const se_backend *be, se_be_codebuf *out)
{
    if (be->tcg == NULL)
        return false;
    const se_tcg_layout *l = be->tcg_layout;
    out->used = se_rd(be->tcg, l->ptr) - se_rd(be->tcg, l->buf);
    out->size = se_rd(be->tcg, l->size);
    out->ready = se_rd(be->tcg, l->region_current) != 0;
    uint32_t flushes;
    memcpy(&flushes, be->tcg + l->flush_count, sizeof flushes);
    out->engine_flushes = flushes;
    return true;
}
