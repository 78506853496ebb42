/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Kernel symbols from kallsyms tables or map files (see kallsyms.h). The table layout is the
 * one the kernel's build (scripts/kallsyms.c) emits and kernel/kallsyms.c reads; the decoder
 * below is written from the observed format, located by searching rather than by assuming one
 * kernel version's order (docs/real-kernels.md, "Symbols").
 */
#include "kimage/kallsyms.h"

#include <stdlib.h>
#include <string.h>

#include "util/bytes.h"

/* A kallsyms name is at most KSYM_NAME_LEN (512) bytes; the type letter comes first. */
#define SE_KS_NAME_MAX 1024
/* One entry: a 1-2 byte length then at most that many token bytes. The kernel caps names at
 * 512 bytes, so an entry longer than this is corrupt (and it bounds the marker steps). */
#define SE_KS_ENTRY_MAX (2 + SE_KS_NAME_MAX)
#define SE_KS_TOKEN_MAX 128 /* real tokens are under 32 bytes */

typedef struct se_ksym_ent {
    uint64_t addr;
    uint32_t name; /* offset into pool */
    char type;
    uint8_t flags;
} se_ksym_ent;

struct se_ksyms {
    se_ksym_ent *ents;
    size_t n;
    char *pool;
    size_t pool_len, pool_cap;
    uint32_t *by_name; /* indices sorted by name, globals first among equal names */
    uint32_t *by_addr; /* indices of the non-per-CPU, non-absolute symbols sorted by address */
    size_t n_addr;
};

static se_ksyms *se_ks_new(void)
{
    return calloc(1, sizeof(se_ksyms));
}

void se_ksyms_free(se_ksyms *k)
{
    if (k == NULL)
        return;
    free(k->ents);
    free(k->pool);
    free(k->by_name);
    free(k->by_addr);
    free(k);
}

/* Append a name (without the type letter) to the pool; false on the cap or no memory. */
static bool se_ks_pool_add(se_ksyms *k, const char *s, size_t len, uint32_t *off)
{
    if (len + 1 > SE_KSYMS_MAX_POOL - k->pool_len)
        return false;
    if (k->pool_len + len + 1 > k->pool_cap) {
        size_t cap = k->pool_cap ? k->pool_cap : 4096;
        while (cap < k->pool_len + len + 1)
            cap *= 2;
        if (cap > SE_KSYMS_MAX_POOL)
            cap = SE_KSYMS_MAX_POOL;
        char *np = realloc(k->pool, cap);
        if (np == NULL)
            return false;
        k->pool = np;
        k->pool_cap = cap;
    }
    memcpy(k->pool + k->pool_len, s, len);
    k->pool[k->pool_len + len] = '\0';
    *off = (uint32_t)k->pool_len;
    k->pool_len += len + 1;
    return true;
}

static bool se_ks_is_global(char type)
{
    return type >= 'A' && type <= 'Z';
}

/* Orders of two entry indices; total (the index breaks the last tie), so any correct sort
 * gives the same permutation. */
typedef int (*se_ks_cmp_fn)(const se_ksyms *k, uint32_t a, uint32_t b);

static int se_ks_cmp_name(const se_ksyms *k, uint32_t a, uint32_t b)
{
    const se_ksym_ent *x = &k->ents[a];
    const se_ksym_ent *y = &k->ents[b];
    int c = strcmp(k->pool + x->name, k->pool + y->name);
    if (c != 0)
        return c;
    bool gx = se_ks_is_global(x->type), gy = se_ks_is_global(y->type);
    if (gx != gy)
        return gx ? -1 : 1;
    return a < b ? -1 : 1;
}

static int se_ks_cmp_addr(const se_ksyms *k, uint32_t a, uint32_t b)
{
    const se_ksym_ent *x = &k->ents[a];
    const se_ksym_ent *y = &k->ents[b];
    if (x->addr != y->addr)
        return x->addr < y->addr ? -1 : 1;
    bool gx = se_ks_is_global(x->type), gy = se_ks_is_global(y->type);
    if (gx != gy)
        return gx ? -1 : 1;
    return a < b ? -1 : 1;
}

/* Bottom-up merge sort of v[0, n) by cmp, using tmp (n entries). C11's qsort has no context
 * argument, and passing the table through a static would make two threads building tables at
 * once corrupt each other's order; this keeps the table in an argument. O(n log n) always. */
static void se_ks_sort(const se_ksyms *k, uint32_t *v, uint32_t *tmp, size_t n, se_ks_cmp_fn cmp)
{
    uint32_t *src = v, *dst = tmp;
    for (size_t w = 1; w < n; w *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * w) {
            size_t mid = lo + w < n ? lo + w : n;
            size_t hi = mid + w < n ? mid + w : n;
            size_t i = lo, j = mid, o = lo;
            while (i < mid && j < hi)
                dst[o++] = cmp(k, src[i], src[j]) <= 0 ? src[i++] : src[j++];
            while (i < mid)
                dst[o++] = src[i++];
            while (j < hi)
                dst[o++] = src[j++];
        }
        uint32_t *t = src;
        src = dst;
        dst = t;
    }
    if (src != v)
        memcpy(v, src, n * sizeof *v);
}

/* Flag the absolute symbols below the per-CPU area's end as per-CPU: that end is the absolute
 * __per_cpu_end when present, else percpu_size (the .data..percpu section linked at 0). Then
 * build the two sorted indices. */
static se_status se_ks_finish(se_ksyms *k, uint64_t percpu_size, char *err, size_t errlen)
{
    for (size_t i = 0; i < k->n; i++)
        if ((k->ents[i].flags & SE_KSYM_ABS) &&
            strcmp(k->pool + k->ents[i].name, "__per_cpu_end") == 0)
            percpu_size = k->ents[i].addr;
    k->n_addr = 0;
    for (size_t i = 0; i < k->n; i++) {
        se_ksym_ent *e = &k->ents[i];
        if ((e->flags & SE_KSYM_ABS) && e->addr <= percpu_size && percpu_size != 0)
            e->flags = SE_KSYM_PERCPU;
        if (e->flags == 0)
            k->n_addr++;
    }
    k->by_name = malloc((k->n ? k->n : 1) * sizeof(uint32_t));
    k->by_addr = malloc((k->n_addr ? k->n_addr : 1) * sizeof(uint32_t));
    if (k->by_name == NULL || k->by_addr == NULL)
        return se_errf(err, errlen, SE_ERR_NOMEM, "out of memory for the symbol indices");
    size_t j = 0;
    for (size_t i = 0; i < k->n; i++) {
        k->by_name[i] = (uint32_t)i;
        if (k->ents[i].flags == 0)
            k->by_addr[j++] = (uint32_t)i;
    }
    uint32_t *tmp = malloc((k->n ? k->n : 1) * sizeof(uint32_t));
    if (tmp == NULL)
        return se_errf(err, errlen, SE_ERR_NOMEM, "out of memory for the symbol indices");
    se_ks_sort(k, k->by_name, tmp, k->n, se_ks_cmp_name);
    se_ks_sort(k, k->by_addr, tmp, k->n_addr, se_ks_cmp_addr);
    free(tmp);
    return SE_OK;
}

/* ---- kallsyms tables ---------------------------------------------------------------------- */

typedef struct se_ks_tab {
    const uint8_t *r; /* .rodata */
    size_t n;
    uint64_t base;           /* its link address */
    size_t tok_tab, tok_idx; /* offsets in r */
    const uint8_t *tok[256]; /* each token's bytes */
    uint8_t tok_len[256];
    size_t markers, n_markers;
    size_t names, names_end, num_syms_at;
    uint32_t nsyms;
} se_ks_tab;

/* Is there a token index at p (256 strictly increasing u16 starting at 0) with its table of
 * 256 non-empty NUL-terminated printable strings ending right before it (up to 15 bytes of
 * zero padding)? Fills t->tok* and returns true if so. */
static bool se_ks_tokens_at(se_ks_tab *t, size_t p)
{
    const uint8_t *r = t->r;
    if (p + 512 > t->n || se_le16(r + p) != 0)
        return false;
    uint16_t idx[256];
    idx[0] = 0;
    for (int i = 1; i < 256; i++) {
        idx[i] = se_le16(r + p + 2 * i);
        if (idx[i] <= idx[i - 1] + 1 || idx[i] - idx[i - 1] > SE_KS_TOKEN_MAX + 1)
            return false;
    }
    /* the last string holds at least one byte and its NUL */
    if ((size_t)idx[255] + 2 > p)
        return false;
    for (size_t pad = 0; pad < 16; pad++) {
        size_t end = p - pad; /* one past the last NUL */
        if (end < (size_t)idx[255] + 2 || r[end - 1] != 0)
            break;
        /* the last token ends at end - 1; find its start by trying each length */
        for (size_t l = 1; l <= SE_KS_TOKEN_MAX && l + 1 + idx[255] <= end; l++) {
            size_t tt = end - 1 - l - idx[255];
            bool ok = true;
            for (int i = 0; i < 256 && ok; i++) {
                size_t s = tt + idx[i];
                size_t e = i < 255 ? tt + idx[i + 1] - 1 : end - 1; /* the NUL */
                if (r[e] != 0)
                    ok = false;
                for (size_t q = s; q < e && ok; q++)
                    if (r[q] < 0x20 || r[q] > 0x7e)
                        ok = false;
                if (ok) {
                    t->tok[i] = r + s;
                    t->tok_len[i] = (uint8_t)(e - s);
                }
            }
            if (ok) {
                t->tok_tab = tt;
                t->tok_idx = p;
                return true;
            }
            if (r[end - 1 - l] == 0) /* a longer last token would contain this NUL */
                break;
        }
    }
    return false;
}

/* Decode the entry at *q (bounded by lim) into buf; its expanded length, or 0 if corrupt. */
static size_t se_ks_entry(const se_ks_tab *t, size_t *q, size_t lim, char *buf)
{
    const uint8_t *r = t->r;
    if (*q >= lim)
        return 0;
    size_t len = r[*q], at = *q + 1;
    if (len & 0x80) {
        if (at >= lim)
            return 0;
        len = (len & 0x7f) | (size_t)r[at] << 7;
        at++;
    }
    if (len == 0 || len > lim - at)
        return 0;
    size_t out = 0;
    for (size_t i = 0; i < len; i++) {
        uint8_t c = r[at + i];
        if (out + t->tok_len[c] >= SE_KS_NAME_MAX)
            return 0;
        memcpy(buf + out, t->tok[c], t->tok_len[c]);
        out += t->tok_len[c];
    }
    buf[out] = '\0';
    *q = at + len;
    return out;
}

/* Skip entries from q: count of them, each ending at or before lim; false if corrupt. */
static bool se_ks_skip(const se_ks_tab *t, size_t *q, size_t lim, size_t count)
{
    char buf[SE_KS_NAME_MAX];
    for (size_t i = 0; i < count; i++)
        if (se_ks_entry(t, q, lim, buf) < 2) /* a type letter and at least one name byte */
            return false;
    return true;
}

static bool se_ks_zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != 0)
            return false;
    return true;
}

/* Given markers at [m0, m0 + 4 * nm), find kallsyms_num_syms and kallsyms_names before them:
 * names end right before the markers (up to 7 bytes of zero padding) and the entries decode
 * to exactly the marker offsets every 256 symbols. */
static bool se_ks_names(se_ks_tab *t, size_t m0, size_t nm)
{
    const uint8_t *r = t->r;
    uint32_t last = se_le32(r + m0 + 4 * (nm - 1));
    if ((size_t)last + 8 > m0)
        return false;
    size_t hi = m0 - last - 1; /* the last block holds at least one 2-byte entry */
    size_t span = (size_t)256 * SE_KS_ENTRY_MAX;
    size_t lo = hi > span ? hi - span : 0;
    for (size_t s = hi & ~(size_t)3; s >= lo + 8 && s >= 8; s -= 4) {
        size_t ns = s - 4;
        if (se_le32(r + ns) == 0)
            ns = s - 8; /* num_syms padded to 8 */
        uint32_t n = se_le32(r + ns);
        if (n == 0 || n > SE_KSYMS_MAX || (n + 255) / 256 != nm)
            continue;
        size_t q = s + last;
        if (!se_ks_skip(t, &q, m0, n - 256 * (nm - 1)) || m0 - q > 7 || !se_ks_zero(r + q, m0 - q))
            continue;
        q = s;
        bool ok = true;
        for (size_t b = 0; b < nm && ok; b++) {
            if (q - s != se_le32(r + m0 + 4 * b))
                ok = false;
            else if (!se_ks_skip(t, &q, m0, b + 1 < nm ? 256 : n - 256 * b))
                ok = false;
        }
        if (!ok)
            continue;
        t->names = s;
        t->names_end = q;
        t->num_syms_at = ns;
        t->nsyms = n;
        t->markers = m0;
        t->n_markers = nm;
        return true;
    }
    return false;
}

/* kallsyms_seqs_of_names from e (after up to 7 bytes of zero padding, the table being
 * 8-aligned): 3 bytes per symbol, each a symbol number, most significant byte first, then
 * zero padding up to the token table. */
static bool se_ks_seqs(const se_ks_tab *t, size_t e)
{
    const uint8_t *r = t->r;
    size_t n3 = 3 * (size_t)t->nsyms;
    for (size_t sp = e; sp < e + 8 && sp <= t->tok_tab && (sp == e || r[sp - 1] == 0); sp++) {
        size_t end = sp + n3;
        if (end > t->tok_tab || t->tok_tab - end > 15 || !se_ks_zero(r + end, t->tok_tab - end))
            continue;
        bool ok = true;
        for (size_t i = 0; i < t->nsyms && ok; i++) {
            const uint8_t *p = r + sp + 3 * i;
            ok = ((uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2]) < t->nsyms;
        }
        if (ok)
            return true;
    }
    return false;
}

/* Find the markers (a u32 array from 0, strictly increasing by at most 256 entries' worth)
 * ending either right before the token table (6.12) or before kallsyms_seqs_of_names, 3 bytes
 * per symbol (the Debian 6.1 image), then the names before them. */
static bool se_ks_markers(se_ks_tab *t)
{
    const uint8_t *r = t->r;
    size_t tt = t->tok_tab;
    size_t window = 3 * SE_KSYMS_MAX + 16;
    size_t lo = tt > window ? tt - window : 0;
    for (size_t e = tt & ~(size_t)3; e >= lo + 8 && e >= 8; e -= 4) {
        size_t gap = tt - e;
        if (gap >= 16 && gap < 3 * 257)
            continue;
        uint32_t v = se_le32(r + e - 4);
        if (v == 0)
            continue;
        size_t nm = 1, m = e - 4;
        while (m >= 4) {
            uint32_t pv = se_le32(r + m - 4);
            if (pv >= v || v - pv > 256 * SE_KS_ENTRY_MAX)
                break;
            m -= 4;
            nm++;
            v = pv;
            if (v == 0)
                break;
        }
        if (v != 0 || nm < 2)
            continue;
        if (gap >= 16) {
            /* seqs_of_names: 3 * n bytes then zero padding up to the token table */
            size_t lo_n = 256 * (nm - 1) + 1, hi_n = 256 * nm;
            if (gap < 3 * lo_n || gap > 3 * hi_n + 7 + 15)
                continue;
        }
        if (!se_ks_names(t, m, nm))
            continue;
        if (gap >= 16 && !se_ks_seqs(t, e))
            continue;
        return true;
    }
    return false;
}

typedef struct se_ks_offs {
    size_t at; /* kallsyms_offsets */
    uint64_t base;
    bool abs_percpu;
} se_ks_offs;

/* Check an offsets/relative_base candidate: base inside an allocated section, decoded values
 * non-decreasing (the build sorts by address; the absolute per-CPU values, near 0, first). */
static bool se_ks_offsets_ok(const se_vmlinux *vm, const se_ks_tab *t, size_t at, size_t rb,
                             se_ks_offs *o)
{
    size_t n = t->nsyms;
    if (at > t->n || 4 * n > t->n - at || rb > t->n || t->n - rb < 8)
        return false;
    uint64_t base = se_le64(t->r + rb);
    if (se_vmlinux_section_at(vm, base) == NULL)
        return false;
    bool neg = false;
    for (size_t i = 0; i < n && !neg; i++)
        neg = (int32_t)se_le32(t->r + at + 4 * i) < 0;
    uint64_t prev = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t u = se_le32(t->r + at + 4 * i);
        uint64_t a;
        if (neg)
            a = (int32_t)u >= 0 ? u : base - 1 - (uint64_t)(int64_t)(int32_t)u;
        else
            a = base + u;
        if (a < prev)
            return false;
        prev = a;
    }
    o->at = at;
    o->base = base;
    o->abs_percpu = neg;
    return true;
}

/* kallsyms_offsets + kallsyms_relative_base: before kallsyms_num_syms (6.1) or right after the
 * token index (6.12); each table starts 4- or 8-aligned. */
static bool se_ks_offsets(const se_vmlinux *vm, const se_ks_tab *t, se_ks_offs *o)
{
    size_t n4 = 4 * (size_t)t->nsyms;
    size_t ns = t->num_syms_at & ~(size_t)7;
    for (size_t pad = 0; pad <= 4; pad += 4)
        if (ns >= 8 + pad + n4 && se_ks_offsets_ok(vm, t, ns - 8 - pad - n4, ns - 8, o))
            return true;
    size_t after = t->tok_idx + 512;
    for (size_t al = 4; al <= 8; al += 4) {
        size_t at = (after + al - 1) & ~(al - 1);
        size_t rb = (at + n4 + 7) & ~(size_t)7;
        if (se_ks_offsets_ok(vm, t, at, rb, o))
            return true;
    }
    return false;
}

static se_status se_ks_build(const se_vmlinux *vm, se_ks_tab *t, se_ksyms **out, char *err,
                             size_t errlen)
{
    se_ks_offs o;
    if (!se_ks_offsets(vm, t, &o))
        return se_errf(err, errlen, SE_ERR_FORMAT,
                       "kallsyms: %u names at 0x%llx but no kallsyms_offsets/relative_base "
                       "before kallsyms_num_syms or after kallsyms_token_index",
                       t->nsyms, (unsigned long long)(t->base + t->names));
    se_ksyms *k = se_ks_new();
    if (k == NULL || (k->ents = calloc(t->nsyms, sizeof(se_ksym_ent))) == NULL) {
        se_ksyms_free(k);
        return se_errf(err, errlen, SE_ERR_NOMEM, "out of memory for %u symbols", t->nsyms);
    }
    char buf[SE_KS_NAME_MAX];
    size_t q = t->names;
    for (size_t i = 0; i < t->nsyms; i++) {
        size_t l = se_ks_entry(t, &q, t->names_end, buf); /* validated by se_ks_names */
        se_ksym_ent *e = &k->ents[i];
        if (l < 2 || !se_ks_pool_add(k, buf + 1, l - 1, &e->name)) {
            se_ksyms_free(k);
            return se_errf(err, errlen, SE_ERR_FORMAT, "kallsyms: the names expand beyond %zu MiB",
                           SE_KSYMS_MAX_POOL >> 20);
        }
        e->type = buf[0];
        uint32_t u = se_le32(t->r + o.at + 4 * i);
        if (o.abs_percpu && (int32_t)u >= 0) {
            e->addr = u;
            e->flags = SE_KSYM_ABS;
        } else if (o.abs_percpu) {
            e->addr = o.base - 1 - (uint64_t)(int64_t)(int32_t)u;
        } else {
            e->addr = o.base + u;
        }
        k->n++;
    }
    const se_vmlinux_section *pc = se_vmlinux_section_by_name(vm, ".data..percpu");
    se_status st = se_ks_finish(k, pc != NULL && pc->addr == 0 ? pc->size : 0, err, errlen);
    if (st != SE_OK) {
        se_ksyms_free(k);
        return st;
    }
    *out = k;
    return SE_OK;
}

se_status se_ksyms_from_vmlinux(const se_vmlinux *vm, se_ksyms **out, char *err, size_t errlen)
{
    if (out != NULL)
        *out = NULL;
    if (err != NULL && errlen > 0)
        err[0] = '\0';
    if (vm == NULL || out == NULL)
        return se_errf(err, errlen, SE_ERR_INVALID_ARG, "NULL argument");
    const se_vmlinux_section *ro = se_vmlinux_section_by_name(vm, ".rodata");
    if (ro == NULL || ro->bytes == NULL || ro->size < 1024)
        return se_errf(err, errlen, SE_ERR_NOT_FOUND, "kallsyms: no .rodata section");
    se_ks_tab *t = calloc(1, sizeof *t);
    if (t == NULL)
        return se_errf(err, errlen, SE_ERR_NOMEM, "out of memory");
    t->r = ro->bytes;
    t->n = (size_t)ro->size;
    t->base = ro->addr;
    bool tokens = false;
    se_status st = SE_ERR_NOT_FOUND;
    /* the index is u16-aligned (in practice 8-aligned); the table is validated in full */
    for (size_t p = 16; p + 512 <= t->n; p += 2) {
        if (t->r[p] != 0 || t->r[p + 1] != 0 || t->r[p - 1] != 0 || t->r[p + 2] == 0 ||
            t->r[p + 3] != 0 || !se_ks_tokens_at(t, p))
            continue;
        tokens = true;
        if (!se_ks_markers(t))
            continue;
        st = se_ks_build(vm, t, out, err, errlen);
        if (st == SE_OK || st == SE_ERR_NOMEM)
            break;
    }
    free(t);
    if (st == SE_ERR_NOT_FOUND && tokens)
        return se_errf(err, errlen, SE_ERR_FORMAT,
                       "kallsyms: a token table was found in .rodata but no consistent "
                       "kallsyms_markers/kallsyms_names/kallsyms_num_syms with it");
    if (st == SE_ERR_NOT_FOUND)
        return se_errf(err, errlen, SE_ERR_NOT_FOUND,
                       "kallsyms: no kallsyms_token_table/kallsyms_token_index in .rodata "
                       "(a kernel built without CONFIG_KALLSYMS?)");
    return st;
}

/* ---- System.map and /proc/kallsyms ------------------------------------------------------- */

static int se_ks_hex(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static bool se_ks_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

se_status se_ksyms_from_map(const char *text, size_t len, uint64_t link_text, se_ksyms **out,
                            uint64_t *slide, char *err, size_t errlen)
{
    if (out != NULL)
        *out = NULL;
    if (slide != NULL)
        *slide = 0;
    if (err != NULL && errlen > 0)
        err[0] = '\0';
    if ((text == NULL && len > 0) || out == NULL)
        return se_errf(err, errlen, SE_ERR_INVALID_ARG, "NULL argument");
    se_ksyms *k = se_ks_new();
    if (k == NULL)
        return se_errf(err, errlen, SE_ERR_NOMEM, "out of memory");
    size_t cap = 0, line = 0;
    bool nonzero = false;
    se_status st = SE_OK;
    for (size_t i = 0; i < len && st == SE_OK;) {
        size_t e = i;
        while (e < len && text[e] != '\n')
            e++;
        line++;
        const char *s = text + i, *end = text + e;
        i = e + 1;
        while (end > s && se_ks_blank(end[-1]))
            end--; /* CRLF files, trailing blanks */
        while (s < end && se_ks_blank(*s))
            s++;
        if (s == end)
            continue;
        uint64_t a = 0;
        int digits = 0, h;
        while (s < end && (h = se_ks_hex(*s)) >= 0 && digits < 16) {
            a = a << 4 | (uint64_t)h;
            s++;
            digits++;
        }
        const char *ts = s;
        while (s < end && se_ks_blank(*s))
            s++;
        if (digits == 0 || s == ts || s == end ||
            !((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '?')) {
            st = se_errf(err, errlen, SE_ERR_FORMAT,
                         "map line %zu: expected \"<hex address> <type> <name>\"", line);
            break;
        }
        char type = *s++;
        ts = s;
        while (s < end && se_ks_blank(*s))
            s++;
        const char *ns = s;
        while (s < end && !se_ks_blank(*s))
            s++;
        size_t nl = (size_t)(s - ns);
        while (s < end && se_ks_blank(*s))
            s++;
        if (s == ts || nl == 0 || nl >= SE_KS_NAME_MAX || memchr(ns, '\0', nl) != NULL) {
            st = se_errf(err, errlen, SE_ERR_FORMAT, "map line %zu: bad symbol name", line);
            break;
        }
        if (s < end) {
            /* /proc/kallsyms marks module symbols "name\t[module]": not in the image */
            if (*s == '[' && end[-1] == ']' && end - s >= 3)
                continue;
            st = se_errf(err, errlen, SE_ERR_FORMAT, "map line %zu: trailing text", line);
            break;
        }
        if (k->n == SE_KSYMS_MAX) {
            st = se_errf(err, errlen, SE_ERR_FORMAT, "map: more than %zu symbols", SE_KSYMS_MAX);
            break;
        }
        if (k->n == cap) {
            size_t nc = cap ? cap * 2 : 1024;
            se_ksym_ent *ne = realloc(k->ents, nc * sizeof *ne);
            if (ne == NULL) {
                st = se_errf(err, errlen, SE_ERR_NOMEM, "out of memory");
                break;
            }
            k->ents = ne;
            cap = nc;
        }
        se_ksym_ent *ent = &k->ents[k->n];
        if (!se_ks_pool_add(k, ns, nl, &ent->name)) {
            st = se_errf(err, errlen, SE_ERR_FORMAT, "map: names beyond %zu MiB",
                         SE_KSYMS_MAX_POOL >> 20);
            break;
        }
        ent->addr = a;
        ent->type = type;
        /* lower-half values are absolute (per-CPU offsets with ABSOLUTE_PERCPU): never slid */
        ent->flags = (a >> 63) == 0 ? SE_KSYM_ABS : 0;
        nonzero |= a != 0;
        k->n++;
    }
    if (st == SE_OK && k->n == 0)
        st = se_errf(err, errlen, SE_ERR_FORMAT, "map: no symbols");
    if (st == SE_OK && !nonzero)
        st = se_errf(err, errlen, SE_ERR_FORMAT,
                     "map: every address is 0: /proc/kallsyms hides addresses from "
                     "unprivileged readers (kptr_restrict); read it as root");
    /* The slide is removed before the indices are sorted: in a corrupt or mismatched map the
     * subtraction can wrap around 2^64 for some symbols and not for others, and an index sorted
     * before it would then no longer be in address order (found by fuzz_ksyms). */
    if (st == SE_OK && link_text != 0) {
        size_t ti = k->n; /* the _text lookup would give: the first global, else the first */
        for (size_t i = 0; i < k->n; i++)
            if (strcmp(k->pool + k->ents[i].name, "_text") == 0 &&
                (ti == k->n ||
                 (!se_ks_is_global(k->ents[ti].type) && se_ks_is_global(k->ents[i].type))))
                ti = i;
        if (ti == k->n || k->ents[ti].flags != 0) {
            st = se_errf(err, errlen, SE_ERR_NOT_FOUND,
                         "map: no _text symbol to compute the KASLR slide from");
        } else {
            uint64_t sl = k->ents[ti].addr - link_text;
            for (size_t i = 0; i < k->n; i++)
                if (k->ents[i].flags == 0)
                    k->ents[i].addr -= sl;
            if (slide != NULL)
                *slide = sl;
        }
    }
    if (st == SE_OK)
        st = se_ks_finish(k, 0, err, errlen);
    if (st != SE_OK) {
        se_ksyms_free(k);
        return st;
    }
    *out = k;
    return SE_OK;
}

/* ---- lookups ------------------------------------------------------------------------------ */

static void se_ks_fill(const se_ksyms *k, size_t i, se_ksym *out)
{
    const se_ksym_ent *e = &k->ents[i];
    out->name = k->pool + e->name;
    out->addr = e->addr;
    out->type = e->type;
    out->flags = e->flags;
}

bool se_ksyms_lookup(const se_ksyms *k, const char *name, se_ksym *out)
{
    if (k == NULL || name == NULL || k->n == 0)
        return false;
    size_t lo = 0, hi = k->n; /* first index whose name is >= name */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(k->pool + k->ents[k->by_name[mid]].name, name) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == k->n || strcmp(k->pool + k->ents[k->by_name[lo]].name, name) != 0)
        return false;
    if (out != NULL)
        se_ks_fill(k, k->by_name[lo], out); /* globals sort first among equal names */
    return true;
}

bool se_ksyms_find(const se_ksyms *k, const char *name, uint64_t *addr, char *type)
{
    se_ksym s;
    if (!se_ksyms_lookup(k, name, &s))
        return false;
    if (addr != NULL)
        *addr = s.addr;
    if (type != NULL)
        *type = s.type;
    return true;
}

const char *se_ksyms_name_at(const se_ksyms *k, uint64_t addr, uint64_t *offset)
{
    if (k == NULL || k->n_addr == 0)
        return NULL;
    size_t lo = 0, hi = k->n_addr; /* first index whose address is > addr */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (k->ents[k->by_addr[mid]].addr <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return NULL;
    uint64_t a = k->ents[k->by_addr[lo - 1]].addr;
    while (lo > 1 && k->ents[k->by_addr[lo - 2]].addr == a)
        lo--; /* the first alias: a global if there is one */
    const se_ksym_ent *e = &k->ents[k->by_addr[lo - 1]];
    if (offset != NULL)
        *offset = addr - e->addr;
    return k->pool + e->name;
}

bool se_ksyms_get(const se_ksyms *k, size_t i, se_ksym *out)
{
    if (k == NULL || i >= k->n || out == NULL)
        return false;
    se_ks_fill(k, i, out);
    return true;
}

size_t se_ksyms_count(const se_ksyms *k)
{
    return k != NULL ? k->n : 0;
}
