/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Synthetic kallsyms tables (see ksyms_build.h). */
#include "ksyms_build.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SE_KB_NPCPU 3

typedef struct se_kb_buf {
    uint8_t *b;
    size_t n, cap;
} se_kb_buf;

static void se_kb_put(se_kb_buf *b, const void *p, size_t n)
{
    if (n == 0)
        return; /* b->b may still be NULL: no pointer arithmetic on it */
    if (b->n + n > b->cap) {
        b->cap = (b->n + n) * 2 + 4096;
        b->b = realloc(b->b, b->cap);
        if (b->b == NULL)
            abort();
    }
    memcpy(b->b + b->n, p, n);
    b->n += n;
}

static void se_kb_u32(se_kb_buf *b, uint32_t v)
{
    uint8_t x[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    se_kb_put(b, x, 4);
}

static void se_kb_align(se_kb_buf *b, size_t a)
{
    static const uint8_t z[8];
    se_kb_put(b, z, (a - b->n % a) % a);
}

/* Tokens: the letters, digits and '_' stand for themselves; a few other codes are multi-byte
 * ("fn_", "entry_", "SYSCALL") and the rest are filler tokens never used by the names. */
static void se_kb_token(int c, char *out)
{
    static const char *multi[] = {"fn_", "entry_", "SYSCALL", "cpu_", "per"};
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')
        snprintf(out, 16, "%c", c);
    else if (c >= 1 && c <= 5)
        snprintf(out, 16, "%s", multi[c - 1]);
    else
        snprintf(out, 16, "z%d.", c);
}

/* Greedy encoding: the longest token matching at each position. */
static size_t se_kb_encode(const char *s, uint8_t *out)
{
    char tok[256][16];
    for (int c = 0; c < 256; c++)
        se_kb_token(c, tok[c]);
    size_t n = 0;
    while (*s) {
        int best = -1;
        size_t bl = 0;
        for (int c = 0; c < 256; c++) {
            size_t l = strlen(tok[c]);
            if (l > bl && strncmp(s, tok[c], l) == 0) {
                best = c;
                bl = l;
            }
        }
        if (best < 0)
            abort();
        out[n++] = (uint8_t)best;
        s += bl;
    }
    return n;
}

void se_kb_name(size_t i, char *buf, size_t n)
{
    if (i == 7)
        snprintf(buf, n, "entry_SYSCALL_64");
    else if (i == 9 || i == 10)
        snprintf(buf, n, "dup");
    else if (i == 11) {
        memset(buf, 'L', 200 < n - 1 ? 200 : n - 1);
        buf[200 < n - 1 ? 200 : n - 1] = '\0';
    } else
        snprintf(buf, n, "fn_%zu", i);
}

/* The tables after the bytes already in b: n entries (encoded in ent[i][0, elen[i])) with
 * offsets off[i] from relbase, in the given layout, then tail[0, tail_len). */
static uint8_t *se_kb_tables(se_kb_buf *b, se_kb_layout layout, size_t n, const int32_t *off,
                             uint8_t (*ent)[600], const size_t *elen, uint64_t relbase,
                             se_kb_bad bad, const void *tail, size_t tail_len, size_t *len,
                             se_kb_info *info)
{
    se_kb_info in = {0};
    uint8_t rb[8];
    for (int k = 0; k < 8; k++)
        rb[k] = (uint8_t)((bad == SE_KB_NO_OFFSETS ? 0xffffffff90000000ull : relbase) >> (8 * k));
    if (layout == SE_KB_61) {
        se_kb_align(b, 8);
        in.offsets = b->n;
        for (size_t i = 0; i < n; i++)
            se_kb_u32(b, (uint32_t)off[i]);
        se_kb_align(b, 8);
        in.relbase = b->n;
        se_kb_put(b, rb, 8);
    }
    se_kb_align(b, 8);
    in.num_syms = b->n;
    se_kb_u32(b, bad == SE_KB_NUM_HUGE ? 0xffffffffu : (uint32_t)n);
    se_kb_align(b, 8);
    in.names = b->n;
    size_t nm = (n + 255) / 256;
    uint32_t *mk = calloc(nm, sizeof *mk);
    if (mk == NULL)
        abort();
    for (size_t i = 0; i < n; i++) {
        if (i % 256 == 0)
            mk[i / 256] = (uint32_t)(b->n - in.names);
        se_kb_put(b, ent[i], elen[i]);
    }
    se_kb_align(b, 8);
    in.markers = b->n;
    for (size_t i = 0; i < nm; i++)
        se_kb_u32(b, mk[i] + (bad == SE_KB_MARKER && i == 1 ? 1 : 0));
    /* seqs_of_names: any permutation of the symbol numbers will do for the decoder */
    se_kb_buf seqs = {0};
    for (size_t i = 0; i < n; i++) {
        size_t s = n - 1 - i;
        uint8_t x[3] = {(uint8_t)(s >> 16), (uint8_t)(s >> 8), (uint8_t)s};
        se_kb_put(&seqs, x, 3);
    }
    if (layout == SE_KB_61) {
        se_kb_align(b, 8);
        se_kb_put(b, seqs.b, seqs.n);
    }
    se_kb_align(b, 8);
    in.tok_tab = b->n;
    uint16_t idx[256];
    for (int c = 0; c < 256; c++) {
        char t[16];
        se_kb_token(c, t);
        idx[c] = (uint16_t)(b->n - in.tok_tab);
        se_kb_put(b, t, strlen(t) + 1);
    }
    se_kb_align(b, 8);
    in.tok_idx = b->n;
    if (bad == SE_KB_INDEX_ORDER) {
        uint16_t t = idx[100];
        idx[100] = idx[101];
        idx[101] = t;
    }
    for (int c = 0; c < 256; c++) {
        uint8_t x[2] = {(uint8_t)idx[c], (uint8_t)(idx[c] >> 8)};
        se_kb_put(b, x, 2);
    }
    if (layout == SE_KB_612) {
        in.offsets = b->n;
        for (size_t i = 0; i < n; i++)
            se_kb_u32(b, (uint32_t)off[i]);
        se_kb_align(b, 8);
        in.relbase = b->n;
        se_kb_put(b, rb, 8);
        se_kb_put(b, seqs.b, seqs.n);
    }
    se_kb_put(b, tail, tail_len);
    if (bad == SE_KB_TRUNC_NAME)
        b->b[in.names + mk[nm - 1]] = 0x7f; /* the last block's first entry runs past the end */
    free(seqs.b);
    free(mk);
    if (info != NULL)
        *info = in;
    *len = b->n;
    return b->b;
}

uint8_t *se_kb_rodata(se_kb_layout layout, size_t n, bool abs_percpu, se_kb_bad bad, size_t *len,
                      se_kb_info *info)
{
    size_t np = abs_percpu ? SE_KB_NPCPU : 0;
    se_kb_buf b = {0};
    static const uint8_t junk[40] = "some rodata before the tables\0\0\0\0\0\0\0\0\0";
    se_kb_put(&b, junk, sizeof junk);
    /* values and names */
    int32_t *off = calloc(n, sizeof *off);
    uint8_t(*ent)[600] = calloc(n, 600);
    size_t *elen = calloc(n, sizeof *elen);
    if (off == NULL || ent == NULL || elen == NULL)
        abort();
    for (size_t i = 0; i < n; i++) {
        char name[300];
        uint8_t enc[300];
        size_t el;
        if (i < np) {
            static const char *pc[SE_KB_NPCPU] = {"A__per_cpu_start", "Acpu_tss_rw",
                                                  "A__per_cpu_end"};
            static const int32_t pv[SE_KB_NPCPU] = {0, 0x6000, 0x8000};
            el = se_kb_encode(pc[i], enc);
            off[i] = pv[i];
        } else {
            size_t t = i - np;
            name[0] = t == 9 ? 't' : 'T';
            se_kb_name(t, name + 1, sizeof name - 1);
            el = se_kb_encode(name, enc);
            uint64_t a = 16 * (uint64_t)t; /* offset from SE_KB_TEXT */
            off[i] = abs_percpu ? (int32_t)(-1 - (int64_t)a) : (int32_t)a;
        }
        size_t h = 0;
        if (el > 127) {
            ent[i][h++] = (uint8_t)(0x80 | (el & 0x7f));
            ent[i][h++] = (uint8_t)(el >> 7);
        } else {
            ent[i][h++] = (uint8_t)el;
        }
        memcpy(ent[i] + h, enc, el);
        elen[i] = h + el;
    }
    uint8_t *ro =
        se_kb_tables(&b, layout, n, off, ent, elen, SE_KB_TEXT, bad, junk, sizeof junk, len, info);
    free(off);
    free(ent);
    free(elen);
    return ro;
}

/* Encode one name as an entry of kallsyms_names (a one- or two-byte length, then tokens). */
static size_t se_kb_entry(const char *name, uint8_t *ent)
{
    uint8_t enc[300];
    size_t el = se_kb_encode(name, enc), h = 0;
    if (el > 127) {
        ent[h++] = (uint8_t)(0x80 | (el & 0x7f));
        ent[h++] = (uint8_t)(el >> 7);
    } else {
        ent[h++] = (uint8_t)el;
    }
    memcpy(ent + h, enc, el);
    return h + el;
}

uint8_t *se_kb_rodata_syms(se_kb_layout layout, const se_kb_sym *syms, size_t n, uint64_t relbase,
                           const void *tail, size_t tail_len, size_t *len)
{
    se_kb_buf b = {0};
    int32_t *off = calloc(n ? n : 1, sizeof *off);
    uint8_t(*ent)[600] = calloc(n ? n : 1, 600);
    size_t *elen = calloc(n ? n : 1, sizeof *elen);
    if (off == NULL || ent == NULL || elen == NULL)
        abort();
    for (size_t i = 0; i < n; i++) {
        if (strlen(syms[i].name) > 250)
            abort();
        elen[i] = se_kb_entry(syms[i].name, ent[i]);
        /* CONFIG_KALLSYMS_ABSOLUTE_PERCPU: absolute values as they are, the rest below the
         * base as -1 - (value - relative_base) */
        off[i] = syms[i].name[0] == 'A' ? (int32_t)syms[i].value
                                        : (int32_t)(-1 - (int64_t)(syms[i].value - relbase));
    }
    uint8_t *ro =
        se_kb_tables(&b, layout, n, off, ent, elen, relbase, SE_KB_OK, tail, tail_len, len, NULL);
    free(off);
    free(ent);
    free(elen);
    return ro;
}

void se_kb_vmlinux(se_vmlinux *vm, se_vmlinux_section *secs, const uint8_t *ro, size_t len)
{
    memset(vm, 0, sizeof *vm);
    secs[0] = (se_vmlinux_section){".text", 1, 6, SE_KB_TEXT, 0x100000, NULL};
    secs[1] = (se_vmlinux_section){".rodata", 1, 2, SE_KB_RODATA, len, ro};
    secs[2] = (se_vmlinux_section){".data..percpu", 1, 3, 0, 0x8000, NULL};
    vm->secs = secs;
    vm->n_secs = 3;
}
