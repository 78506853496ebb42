/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "kimage/alternatives.h"

#include <Zydis/Zydis.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/bytes.h"

/* The attribute lets the compilers check every caller's format (and clang's -Wformat-nonliteral
 * accept the vsnprintf below). */
#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static void
se_kalt_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (err == NULL || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* ---- feature numbers ------------------------------------------------------------------------ */

/*
 * X86_FEATURE_* numbers (word * 32 + bit) of the two tabulated releases, as Debian builds them:
 * read from arch/x86/include/asm/cpufeatures.h of linux-headers-6.1.0-50-common (6.1.176-1) and
 * linux-headers-6.12.95+deb12-common (6.12.95-1~bpo12+1). Stable backports put some bits at
 * branch-specific places (CLEAR_CPU_BUF is 11*32+18 in 6.1.y, 3*32+18 upstream from 6.9), so the
 * numbers are per release and never assumed to carry over. Bug bits are X86_BUG(n) =
 * NCAPINTS * 32 + n with NCAPINTS 22 in both.
 */
typedef struct se_kfeature_row {
    const char *name;
    int n61, n612; /* -1: not in that release */
} se_kfeature_row;

#define SE_W(w, b) ((w)*32 + (b))
static const se_kfeature_row se_kfeatures[SE_KF_COUNT] = {
    [SE_KF_ALWAYS] = {"ALWAYS", SE_W(3, 21), SE_W(3, 21)},
    [SE_KF_PTI] = {"PTI", SE_W(7, 11), SE_W(7, 11)},
    [SE_KF_PCID] = {"PCID", SE_W(4, 17), SE_W(4, 17)},
    [SE_KF_LA57] = {"LA57", SE_W(16, 16), SE_W(16, 16)},
    [SE_KF_KERNEL_IBRS] = {"KERNEL_IBRS", SE_W(7, 12), SE_W(7, 12)},
    [SE_KF_CLEAR_BHB_LOOP] = {"CLEAR_BHB_LOOP", SE_W(21, 1), SE_W(21, 1)},
    [SE_KF_CLEAR_CPU_BUF] = {"CLEAR_CPU_BUF", SE_W(11, 18), SE_W(3, 18)},
    [SE_KF_RETHUNK] = {"RETHUNK", SE_W(11, 14), SE_W(11, 14)},
    [SE_KF_UNRET] = {"UNRET", SE_W(11, 15), SE_W(11, 15)},
    [SE_KF_ENTRY_IBPB] = {"ENTRY_IBPB", SE_W(11, 10), SE_W(11, 10)},
    [SE_KF_XENPV] = {"XENPV", SE_W(8, 16), SE_W(8, 16)},
    [SE_KF_SMAP] = {"SMAP", SE_W(9, 20), SE_W(9, 20)},
    [SE_KF_FSGSBASE] = {"FSGSBASE", SE_W(9, 0), SE_W(9, 0)},
    [SE_KF_RETPOLINE] = {"RETPOLINE", SE_W(11, 12), SE_W(11, 12)},
    [SE_KF_RETPOLINE_LFENCE] = {"RETPOLINE_LFENCE", SE_W(11, 13), SE_W(11, 13)},
    [SE_KF_SRSO_ALIAS] = {"SRSO_ALIAS", SE_W(11, 25), SE_W(11, 25)},
    [SE_KF_FENCE_SWAPGS_USER] = {"FENCE_SWAPGS_USER", SE_W(11, 4), SE_W(11, 4)},
    [SE_KF_FENCE_SWAPGS_KERNEL] = {"FENCE_SWAPGS_KERNEL", SE_W(11, 5), SE_W(11, 5)},
    [SE_KF_CALL_DEPTH] = {"CALL_DEPTH", -1, SE_W(11, 19)},
    [SE_KF_BUG_NULL_SEG] = {"BUG_NULL_SEG", SE_W(22, 10), SE_W(22, 10)},
    [SE_KF_BUG_SWAPGS_FENCE] = {"BUG_SWAPGS_FENCE", SE_W(22, 11), SE_W(22, 11)},
};
#undef SE_W

/* Which column of the table a release uses, or -1. */
static int se_kfeature_column(unsigned major, unsigned minor)
{
    if (major == 6 && minor == 1)
        return 0;
    if (major == 6 && minor == 12)
        return 1;
    return -1;
}

int se_kalt_feature_number(unsigned major, unsigned minor, se_kfeature f)
{
    int col = se_kfeature_column(major, minor);
    if (col < 0 || (unsigned)f >= SE_KF_COUNT)
        return -1;
    return col == 0 ? se_kfeatures[f].n61 : se_kfeatures[f].n612;
}

const char *se_kalt_feature_name(unsigned major, unsigned minor, unsigned number)
{
    for (unsigned f = 0; f < SE_KF_COUNT; f++) {
        int v = se_kalt_feature_number(major, minor, (se_kfeature)f);
        if (v >= 0 && (unsigned)v == number)
            return se_kfeatures[f].name;
    }
    return NULL;
}

/* ---- parsing -------------------------------------------------------------------------------- */

/* A self-relative s32 field at address field_va: the address it designates (wraps like the
 * CPU's address arithmetic; the section checks reject nonsense). */
static uint64_t se_rel_target(uint64_t field_va, const uint8_t *p)
{
    return field_va + (uint64_t)(int64_t)(int32_t)se_le32(p);
}

/* The executable PROGBITS section holding all of [va, va + n), or NULL. */
static const se_vmlinux_section *se_exec_section(const se_vmlinux *vm, uint64_t va, size_t n)
{
    const se_vmlinux_section *s = se_vmlinux_section_at(vm, va);
    if (s == NULL || s->type != SE_SHT_PROGBITS || !(s->flags & SE_SHF_EXEC) || s->bytes == NULL)
        return NULL;
    if (n > s->size - (va - s->addr))
        return NULL;
    return s;
}

/* Decode and validate the table at record size rs into out (sized for the most records). */
static se_status se_kalt_parse_as(const se_vmlinux *vm, const se_vmlinux_section *tab,
                                  const se_vmlinux_section *rep, size_t rs, se_kalt *out, char *err,
                                  size_t errlen)
{
    if (tab->size % rs != 0) {
        se_kalt_err(err, errlen,
                    ".altinstructions: %llu bytes is not a whole number of %zu-byte "
                    "records",
                    (unsigned long long)tab->size, rs);
        return SE_ERR_FORMAT;
    }
    size_t n = (size_t)(tab->size / rs);
    for (size_t i = 0; i < n; i++) {
        const uint8_t *r = tab->bytes + i * rs;
        uint64_t rva = tab->addr + i * rs;
        se_kalt *a = &out[i];
        a->site = se_rel_target(rva, r);
        a->repl = se_rel_target(rva + 4, r + 4);
        if (rs == 12) {
            /* 6.1: u16 cpuid, bit 15 ALTINSTR_FLAG_INV */
            uint16_t cpuid = (uint16_t)(r[8] | r[9] << 8);
            a->feature = cpuid & 0x7fffu;
            a->flags = (cpuid & 0x8000u) ? SE_KALT_NOT : 0;
            a->site_len = r[10];
            a->repl_len = r[11];
        } else {
            /* 6.3+: u32 ft_flags = feature:16 | flags:16 */
            a->feature = (uint16_t)(r[8] | r[9] << 8);
            a->flags = (uint16_t)(r[10] | r[11] << 8);
            a->site_len = r[12];
            a->repl_len = r[13];
        }
        a->when_absent = (a->flags & SE_KALT_NOT) != 0;
        /* flags this module does not know could change what boot does: refuse, don't guess */
        if (a->flags & ~(uint16_t)(SE_KALT_NOT | SE_KALT_DIRECT_CALL)) {
            se_kalt_err(err, errlen, ".altinstructions record %zu: unknown flags 0x%x", i,
                        a->flags);
            return SE_ERR_FORMAT;
        }
        if (a->site_len == 0 || a->repl_len > a->site_len) {
            se_kalt_err(err, errlen,
                        ".altinstructions record %zu: site length %u, replacement length %u "
                        "(need 1 <= replacement <= site)",
                        i, a->site_len, a->repl_len);
            return SE_ERR_FORMAT;
        }
        if (se_exec_section(vm, a->site, a->site_len) == NULL) {
            se_kalt_err(err, errlen,
                        ".altinstructions record %zu: site 0x%llx+%u is not inside an executable "
                        "section",
                        i, (unsigned long long)a->site, a->site_len);
            return SE_ERR_FORMAT;
        }
        /* An empty replacement may point at the end of the section (the label after the last
         * replacement), so the bound is inclusive there. */
        if (rep == NULL || a->repl < rep->addr || a->repl - rep->addr > rep->size ||
            a->repl_len > rep->size - (a->repl - rep->addr)) {
            se_kalt_err(err, errlen,
                        ".altinstructions record %zu: replacement 0x%llx+%u is not inside "
                        ".altinstr_replacement",
                        i, (unsigned long long)a->repl, a->repl_len);
            return SE_ERR_FORMAT;
        }
    }
    return SE_OK;
}

se_status se_kalt_parse(const se_vmlinux *vm, se_kalt **out, size_t *n, char *err, size_t errlen)
{
    if (err != NULL && errlen > 0)
        err[0] = '\0';
    if (vm == NULL || out == NULL || n == NULL)
        return SE_ERR_INVALID_ARG;
    *out = NULL;
    *n = 0;
    const se_vmlinux_section *tab = se_vmlinux_section_by_name(vm, ".altinstructions");
    if (tab == NULL || tab->size == 0)
        return SE_OK;
    if (tab->bytes == NULL || tab->type != SE_SHT_PROGBITS) {
        se_kalt_err(err, errlen, ".altinstructions has no file data");
        return SE_ERR_FORMAT;
    }
    const se_vmlinux_section *rep = se_vmlinux_section_by_name(vm, ".altinstr_replacement");
    if (rep != NULL && (rep->bytes == NULL && rep->size != 0))
        rep = NULL;

    /* 12-byte records until 6.2, 14-byte from 6.3 (docs/real-kernels.md); an unknown release
     * starts with the newer layout. */
    bool newer = vm->major == 0 || vm->major > 6 || (vm->major == 6 && vm->minor >= 3);
    size_t sizes[2] = {newer ? 14u : 12u, newer ? 12u : 14u};
    se_kalt *recs = calloc((size_t)(tab->size / 12) + 1, sizeof *recs);
    if (recs == NULL)
        return SE_ERR_NOMEM;
    se_status st = se_kalt_parse_as(vm, tab, rep, sizes[0], recs, err, errlen);
    size_t rs = sizes[0];
    if (st != SE_OK) {
        /* The first error is the one reported: it is the one for the layout the release says. */
        char other[8];
        if (se_kalt_parse_as(vm, tab, rep, sizes[1], recs, other, sizeof other) == SE_OK) {
            st = SE_OK;
            rs = sizes[1];
            if (err != NULL && errlen > 0)
                err[0] = '\0';
        }
    }
    if (st != SE_OK) {
        free(recs);
        return st;
    }
    *n = (size_t)(tab->size / rs);
    *out = recs;
    return SE_OK;
}

/* ---- applying ------------------------------------------------------------------------------- */

/* SDM Vol. 2B, NOP: the recommended multi-byte NOP sequences, 1 to 8 bytes (the same forms the
 * kernel's x86_nops use on 64-bit CPUs). */
static const uint8_t se_nops[9][8] = {
    {0},
    {0x90},
    {0x66, 0x90},
    {0x0f, 0x1f, 0x00},
    {0x0f, 0x1f, 0x40, 0x00},
    {0x0f, 0x1f, 0x44, 0x00, 0x00},
    {0x66, 0x0f, 0x1f, 0x44, 0x00, 0x00},
    {0x0f, 0x1f, 0x80, 0x00, 0x00, 0x00, 0x00},
    {0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00},
};

static void se_fill_nops(uint8_t *p, size_t n)
{
    while (n > 0) {
        size_t k = n > 8 ? 8 : n;
        memcpy(p, se_nops[k], k);
        p += k;
        n -= k;
    }
}

static void se_put_le(uint8_t *p, int64_t v, unsigned bytes)
{
    for (unsigned i = 0; i < bytes; i++)
        p[i] = (uint8_t)((uint64_t)v >> (8 * i));
}

/*
 * Re-point one displacement field (bits wide, at buf[off]) of the instruction at buf[o, o+len)
 * that was at repl + o and will be at site + o. Targets inside the replacement (including its
 * end) keep their displacement: they move with the code.
 */
static se_status se_reloc_field(const se_kalt *a, uint8_t *buf, size_t o, size_t len, size_t off,
                                unsigned bits, int64_t disp, const char *what, char *err,
                                size_t errlen)
{
    uint64_t old_next = a->repl + o + len;
    uint64_t target = old_next + (uint64_t)disp;
    if (target >= a->repl && target - a->repl <= a->repl_len)
        return SE_OK;
    uint64_t new_next = a->site + o + len;
    int64_t nd = (int64_t)(target - new_next);
    int64_t lo = bits == 8 ? INT8_MIN : bits == 16 ? INT16_MIN : INT32_MIN;
    int64_t hi = bits == 8 ? INT8_MAX : bits == 16 ? INT16_MAX : INT32_MAX;
    if (bits != 8 && bits != 16 && bits != 32) {
        se_kalt_err(err, errlen, "alternative at 0x%llx: %u-bit %s cannot be relocated",
                    (unsigned long long)a->site, bits, what);
        return SE_ERR_UNSUPPORTED;
    }
    if (nd < lo || nd > hi) {
        se_kalt_err(err, errlen,
                    "alternative at 0x%llx: the %s at replacement offset %zu targets 0x%llx, "
                    "out of reach of its %u-bit displacement from the site",
                    (unsigned long long)a->site, what, o, (unsigned long long)target, bits);
        return SE_ERR_UNSUPPORTED;
    }
    se_put_le(buf + o + off, nd, bits / 8);
    return SE_OK;
}

/* Copy a's replacement into buf (site_len bytes), relocated for the site and NOP-padded. */
static se_status se_kalt_build(const se_vmlinux *vm, const ZydisDecoder *dec, const se_kalt *a,
                               uint8_t *buf, char *err, size_t errlen)
{
    if (a->repl_len > 0) {
        const uint8_t *src = se_vmlinux_at(vm, a->repl, a->repl_len);
        if (src == NULL) {
            se_kalt_err(err, errlen, "alternative at 0x%llx: replacement 0x%llx+%u has no bytes",
                        (unsigned long long)a->site, (unsigned long long)a->repl, a->repl_len);
            return SE_ERR_FORMAT;
        }
        memcpy(buf, src, a->repl_len);
    }
    size_t o = 0;
    while (o < a->repl_len) {
        ZydisDecodedInstruction in;
        ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
        if (!ZYAN_SUCCESS(ZydisDecoderDecodeFull(dec, buf + o, a->repl_len - o, &in, ops))) {
            se_kalt_err(err, errlen,
                        "alternative at 0x%llx: replacement bytes at offset %zu do not decode "
                        "(within its %u bytes)",
                        (unsigned long long)a->site, o, a->repl_len);
            return SE_ERR_FORMAT;
        }
        for (unsigned k = 0; k < 2; k++) {
            if (!in.raw.imm[k].is_relative)
                continue;
            se_status st =
                se_reloc_field(a, buf, o, in.length, in.raw.imm[k].offset, in.raw.imm[k].size,
                               in.raw.imm[k].value.s, "relative branch", err, errlen);
            if (st != SE_OK)
                return st;
        }
        for (unsigned k = 0; k < in.operand_count; k++) {
            if (ops[k].type != ZYDIS_OPERAND_TYPE_MEMORY || ops[k].mem.base != ZYDIS_REGISTER_RIP)
                continue;
            se_status st =
                se_reloc_field(a, buf, o, in.length, in.raw.disp.offset, in.raw.disp.size,
                               in.raw.disp.value, "RIP-relative operand", err, errlen);
            if (st != SE_OK)
                return st;
            break; /* one displacement per instruction */
        }
        o += in.length;
    }
    se_fill_nops(buf + a->repl_len, (size_t)(a->site_len - a->repl_len));
    return SE_OK;
}

se_status se_kalt_apply(const se_vmlinux *vm, const se_kalt *alts, size_t n, se_kalt_has_fn has,
                        se_kalt_span_fn span, void *ctx, se_kalt_applied **applied,
                        size_t *n_applied, char *err, size_t errlen)
{
    if (err != NULL && errlen > 0)
        err[0] = '\0';
    if (applied != NULL)
        *applied = NULL;
    if (n_applied != NULL)
        *n_applied = 0;
    if (vm == NULL || (alts == NULL && n > 0) || has == NULL || span == NULL || applied == NULL ||
        n_applied == NULL)
        return SE_ERR_INVALID_ARG;
    ZydisDecoder dec;
    if (!ZYAN_SUCCESS(ZydisDecoderInit(&dec, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64)))
        return SE_ERR_BACKEND;
    se_kalt_applied *list = NULL;
    size_t cnt = 0, cap = 0;
    se_status st = SE_OK;
    for (size_t i = 0; i < n && st == SE_OK; i++) {
        const se_kalt *a = &alts[i];
        if (a->site_len == 0 || a->repl_len > a->site_len) {
            se_kalt_err(err, errlen, "alternative %zu: site length %u, replacement length %u", i,
                        a->site_len, a->repl_len);
            st = SE_ERR_FORMAT;
            break;
        }
        /* Boot turns a DIRECT_CALL site's "call *pv_ops+X(%rip)" into a direct call to the
         * function in that slot; the indirect call, left as compiled, reaches the same function
         * through the statically initialised pv_ops (docs/real-kernels.md). */
        if (a->flags & SE_KALT_DIRECT_CALL) {
            const uint8_t *c = se_vmlinux_at(vm, a->site, a->site_len);
            if (a->site_len < 6 || c == NULL || c[0] != 0xff || c[1] != 0x15) {
                se_kalt_err(err, errlen,
                            "alternative at 0x%llx: DIRECT_CALL site is not call *disp32(%%rip)",
                            (unsigned long long)a->site);
                st = SE_ERR_FORMAT;
                break;
            }
            continue;
        }
        bool present = has((unsigned)a->feature, ctx);
        if (present == a->when_absent)
            continue;
        uint8_t buf[256];
        st = se_kalt_build(vm, &dec, a, buf, err, errlen);
        if (st != SE_OK)
            break;
        uint8_t *dst = span(a->site, a->site_len, ctx);
        if (dst == NULL) {
            se_kalt_err(err, errlen, "alternative at 0x%llx+%u: no writable bytes for the site",
                        (unsigned long long)a->site, a->site_len);
            st = SE_ERR_NOT_MAPPED;
            break;
        }
        memcpy(dst, buf, a->site_len);
        if (cnt == cap) {
            size_t nc = cap ? cap * 2 : 64;
            se_kalt_applied *nl = realloc(list, nc * sizeof *nl);
            if (nl == NULL) {
                st = SE_ERR_NOMEM;
                break;
            }
            list = nl;
            cap = nc;
        }
        list[cnt++] = (se_kalt_applied){.site = a->site,
                                        .len = a->site_len,
                                        .feature = a->feature,
                                        .when_absent = a->when_absent};
    }
    if (st != SE_OK) {
        free(list);
        return st;
    }
    *applied = list;
    *n_applied = cnt;
    return SE_OK;
}

/* ---- return sites and ftrace call sites ------------------------------------------------------ */

se_status se_kalt_apply_returns(const se_vmlinux *vm, uint64_t thunk, se_kalt_span_fn span,
                                void *ctx, size_t *patched, char *err, size_t errlen)
{
    if (vm == NULL || span == NULL || patched == NULL)
        return SE_ERR_INVALID_ARG;
    *patched = 0;
    const se_vmlinux_section *sec = se_vmlinux_section_by_name(vm, ".return_sites");
    if (sec == NULL || sec->size == 0)
        return SE_OK;
    if (sec->bytes == NULL)
        return se_errf(err, errlen, SE_ERR_FORMAT, ".return_sites: the section has no file data");
    if (sec->size % 4 != 0)
        return se_errf(err, errlen, SE_ERR_FORMAT,
                       ".return_sites: %llu bytes is not a whole number of s32 entries",
                       (unsigned long long)sec->size);
    for (uint64_t off = 0; off < sec->size; off += 4) {
        uint64_t site = sec->addr + off + (uint64_t)(int64_t)(int32_t)se_le32(sec->bytes + off);
        uint8_t *p = span(site, 5, ctx);
        if (p == NULL || p[0] != 0xE9)
            continue;
        uint64_t dest = site + 5 + (uint64_t)(int64_t)(int32_t)se_le32(p + 1);
        if (dest != thunk)
            continue;
        /* patch_return(): RET, then INT3 over the rest of the instruction */
        p[0] = 0xC3;
        memset(p + 1, 0xCC, 4);
        (*patched)++;
    }
    return SE_OK;
}

se_status se_kalt_nop_fentry(const se_vmlinux *vm, uint64_t start, uint64_t stop, uint64_t fentry,
                             se_kalt_span_fn span, void *ctx, size_t *patched, char *err,
                             size_t errlen)
{
    if (vm == NULL || span == NULL || patched == NULL)
        return SE_ERR_INVALID_ARG;
    *patched = 0;
    if (stop == start)
        return SE_OK;
    const uint8_t *locs = stop > start && (stop - start) % 8 == 0 && stop - start <= SIZE_MAX
                              ? se_vmlinux_at(vm, start, (size_t)(stop - start))
                              : NULL;
    if (locs == NULL)
        return se_errf(err, errlen, SE_ERR_FORMAT,
                       "__mcount_loc [0x%llx, 0x%llx) is not an array of addresses in the image",
                       (unsigned long long)start, (unsigned long long)stop);
    static const uint8_t nop5[5] = {0x0F, 0x1F, 0x44, 0x00, 0x00};
    for (uint64_t i = 0; i < (stop - start) / 8; i++) {
        uint64_t site = se_le64(locs + 8 * i);
        uint8_t *p = span(site, 5, ctx);
        if (p == NULL || p[0] != 0xE8)
            continue; /* freed init code, or already something else */
        if (site + 5 + (uint64_t)(int64_t)(int32_t)se_le32(p + 1) != fentry)
            continue;
        memcpy(p, nop5, sizeof nop5);
        (*patched)++;
    }
    return SE_OK;
}
