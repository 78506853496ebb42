/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Alternative-block patcher for the entry code (see patch.h for the table rules).
 *
 * Validation runs over the whole table before the first byte is written, so a bad table
 * leaves the code untouched. Tables are small (a few dozen records), so the nesting check
 * compares every pair and no memory is allocated.
 */
#include <string.h>

#include "entry/patch.h"

#include "util/bytes.h"

#define SE_JMP_REL8      0xEB
#define SE_JMP_REL32     0xE9
#define SE_JMP_REL8_LEN  2
#define SE_JMP_REL32_LEN 5
#define SE_INT3          0xCC

se_status se_patch_record_read(const uint8_t *table, size_t table_len, size_t index,
                               se_patch_record *out)
{
    if (table == NULL || out == NULL)
        return SE_ERR_INVALID_ARG;
    if (table_len % SE_PATCH_RECORD_SIZE != 0 || index >= table_len / SE_PATCH_RECORD_SIZE)
        return SE_ERR_FORMAT;
    const uint8_t *p = table + index * SE_PATCH_RECORD_SIZE;
    out->start = se_le64(p + SE_PATCH_OFF_START);
    out->len = se_le32(p + SE_PATCH_OFF_LEN);
    out->feature = (uint16_t)(p[SE_PATCH_OFF_FEATURE] | p[SE_PATCH_OFF_FEATURE + 1] << 8);
    out->polarity = p[SE_PATCH_OFF_POLARITY];
    out->reserved = p[SE_PATCH_OFF_RESERVED];
    return SE_OK;
}

bool se_patch_record_kept(const se_patch_record *rec, uint64_t features)
{
    bool on = rec->feature < 64 && ((features >> rec->feature) & 1) != 0;
    return on == (rec->polarity == SE_PATCH_KEEP_IF_ON);
}

/* The section that holds all of [start, start + len), or NULL. */
static se_entry_section *se_patch_find_section(se_entry_section *secs, size_t n_secs,
                                               uint64_t start, uint64_t len)
{
    for (size_t i = 0; i < n_secs; i++) {
        if (start >= secs[i].va && start - secs[i].va <= secs[i].len &&
            len <= secs[i].len - (start - secs[i].va))
            return &secs[i];
    }
    return NULL;
}

/* a lies inside b (or is the same range) */
static bool se_range_within(const se_patch_record *a, const se_patch_record *b)
{
    return a->start >= b->start && a->start + a->len <= b->start + b->len;
}

static se_status se_patch_validate(se_entry_section *secs, size_t n_secs, const uint8_t *table,
                                   size_t n_recs, char *err, size_t errlen)
{
    for (size_t i = 0; i < n_recs; i++) {
        se_patch_record r;
        se_patch_record_read(table, n_recs * SE_PATCH_RECORD_SIZE, i, &r);
        if (r.feature == 0 || r.feature >= SE_FEAT_COUNT)
            return se_errf(err, errlen, SE_ERR_FORMAT, "record %zu: unknown feature %u", i,
                           (unsigned)r.feature);
        if (r.polarity != SE_PATCH_KEEP_IF_ON && r.polarity != SE_PATCH_KEEP_IF_OFF)
            return se_errf(err, errlen, SE_ERR_FORMAT, "record %zu: bad polarity %u", i,
                           (unsigned)r.polarity);
        if (r.reserved != 0)
            return se_errf(err, errlen, SE_ERR_FORMAT, "record %zu: reserved byte is %u, not 0", i,
                           (unsigned)r.reserved);
        if (r.len < SE_PATCH_MIN_BLOCK)
            return se_errf(err, errlen, SE_ERR_FORMAT,
                           "record %zu: block of %u bytes has no room for a jmp", i,
                           (unsigned)r.len);
        if (r.start > UINT64_MAX - r.len ||
            se_patch_find_section(secs, n_secs, r.start, r.len) == NULL)
            return se_errf(err, errlen, SE_ERR_FORMAT,
                           "record %zu: block 0x%llx+%u is outside every section", i,
                           (unsigned long long)r.start, (unsigned)r.len);
        for (size_t j = 0; j < i; j++) {
            se_patch_record q = {0};
            /* j < i was read successfully above: this read cannot fail */
            se_patch_record_read(table, n_recs * SE_PATCH_RECORD_SIZE, j, &q);
            bool disjoint = r.start + r.len <= q.start || q.start + q.len <= r.start;
            if (!disjoint && !se_range_within(&r, &q) && !se_range_within(&q, &r))
                return se_errf(err, errlen, SE_ERR_FORMAT,
                               "records %zu and %zu overlap without nesting", j, i);
        }
    }
    return SE_OK;
}

/* Replace a dropped block by a jump to its end and int3 filler (precondition: validated). */
static void se_patch_write_jmp(uint8_t *p, uint32_t len)
{
    uint32_t fill_from;
    if (len - SE_JMP_REL8_LEN <= 127) {
        p[0] = SE_JMP_REL8;
        p[1] = (uint8_t)(len - SE_JMP_REL8_LEN);
        fill_from = SE_JMP_REL8_LEN;
    } else {
        /* len > 129 here, so the 5-byte form fits; rel32 counts from the jmp's end */
        uint32_t rel = len - SE_JMP_REL32_LEN;
        p[0] = SE_JMP_REL32;
        for (int i = 0; i < 4; i++)
            p[1 + i] = (uint8_t)(rel >> (8 * i));
        fill_from = SE_JMP_REL32_LEN;
    }
    memset(p + fill_from, SE_INT3, len - fill_from);
}

se_status se_entry_patch_sections(se_entry_section *secs, size_t n_secs, const uint8_t *table,
                                  size_t table_len, uint64_t features, char *err, size_t errlen)
{
    if (err != NULL && errlen > 0)
        err[0] = '\0';
    if ((secs == NULL && n_secs > 0) || (table == NULL && table_len > 0))
        return se_errf(err, errlen, SE_ERR_INVALID_ARG, "NULL sections or table");
    uint64_t known = ((1ull << SE_FEAT_COUNT) - 1) & ~1ull;
    if ((features & ~known) != 0)
        return se_errf(err, errlen, SE_ERR_INVALID_ARG, "unknown feature bits 0x%llx",
                       (unsigned long long)(features & ~known));
    for (size_t i = 0; i < n_secs; i++) {
        if (secs[i].bytes == NULL && secs[i].len > 0)
            return se_errf(err, errlen, SE_ERR_INVALID_ARG, "section %zu has no bytes", i);
        if (secs[i].va > UINT64_MAX - secs[i].len)
            return se_errf(err, errlen, SE_ERR_INVALID_ARG,
                           "section %zu wraps around the address space", i);
        for (size_t j = 0; j < i; j++) {
            if (secs[i].len > 0 && secs[j].len > 0 && secs[i].va < secs[j].va + secs[j].len &&
                secs[j].va < secs[i].va + secs[i].len)
                return se_errf(err, errlen, SE_ERR_INVALID_ARG, "sections %zu and %zu overlap", j,
                               i);
        }
    }
    if (table_len % SE_PATCH_RECORD_SIZE != 0)
        return se_errf(err, errlen, SE_ERR_FORMAT,
                       "table of %zu bytes is not a whole number of %d-byte records", table_len,
                       SE_PATCH_RECORD_SIZE);
    size_t n_recs = table_len / SE_PATCH_RECORD_SIZE;
    se_status st = se_patch_validate(secs, n_secs, table, n_recs, err, errlen);
    if (st != SE_OK)
        return st;

    for (size_t i = 0; i < n_recs; i++) {
        se_patch_record r;
        se_patch_record_read(table, table_len, i, &r);
        if (se_patch_record_kept(&r, features))
            continue;
        /* a dropped block inside another dropped block is already gone; for two dropped
         * blocks with the same range, the first record does the work */
        bool covered = false;
        for (size_t j = 0; j < n_recs && !covered; j++) {
            se_patch_record q;
            se_patch_record_read(table, table_len, j, &q);
            if (j == i || se_patch_record_kept(&q, features) || !se_range_within(&r, &q))
                continue;
            bool same = q.start == r.start && q.len == r.len;
            covered = !same || j < i;
        }
        if (covered)
            continue;
        se_entry_section *s = se_patch_find_section(secs, n_secs, r.start, r.len);
        se_patch_write_jmp(s->bytes + (r.start - s->va), r.len);
    }
    return SE_OK;
}

se_status se_entry_patch(uint8_t *text, uint64_t text_va, size_t text_len, const uint8_t *table,
                         size_t table_len, uint64_t features, char *err, size_t errlen)
{
    if (text == NULL)
        return se_errf(err, errlen, SE_ERR_INVALID_ARG, "NULL text");
    se_entry_section sec = {.va = text_va, .bytes = text, .len = text_len};
    return se_entry_patch_sections(&sec, 1, table, table_len, features, err, errlen);
}

uint64_t se_entry_features(const se_config *cfg)
{
    if (cfg == NULL)
        return 0;
    uint64_t f = 0;
#define SE_FEAT_BIT(n) (1ull << (n))
    if (cfg->pti)
        f |= SE_FEAT_BIT(SE_FEAT_PTI);
    if (cfg->pti && cfg->pcid)
        f |= SE_FEAT_BIT(SE_FEAT_PCID);
    if (cfg->la57)
        f |= SE_FEAT_BIT(SE_FEAT_LA57);
    if (cfg->ibrs)
        f |= SE_FEAT_BIT(SE_FEAT_IBRS);
    if (cfg->xen_pv && (cfg->disabled_checks & SE_CHECK_BIT(SE_CHECK_XEN_PV)) == 0)
        f |= SE_FEAT_BIT(SE_FEAT_XENPV);
    if (cfg->verw)
        f |= SE_FEAT_BIT(SE_FEAT_VERW);
    /* 6.12 keeps 6.7's C verdict; its own feature selects the 6.8+ IRET exit */
    if (cfg->kernel == SE_KERNEL_6_7 || cfg->kernel == SE_KERNEL_6_12)
        f |= SE_FEAT_BIT(SE_FEAT_KERNEL_6_7);
    if (cfg->kernel == SE_KERNEL_6_12)
        f |= SE_FEAT_BIT(SE_FEAT_KERNEL_6_12);
    for (int c = SE_CHECK_RCX_RIP; c <= SE_CHECK_SS; c++) {
        if ((cfg->disabled_checks & SE_CHECK_BIT(c)) == 0)
            f |= SE_FEAT_BIT(SE_FEAT_FOR_CHECK(c));
    }
#undef SE_FEAT_BIT
    return f;
}
