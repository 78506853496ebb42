/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "util/hashmap.h"

#include <stdlib.h>
#include <string.h>

static size_t se_hash(uint64_t k, size_t cap)
{
    /* Fibonacci hashing: instruction addresses differ mostly in low bits. */
    return (size_t)((k * 0x9E3779B97F4A7C15ull) >> 17) & (cap - 1);
}

bool se_hashmap_init(se_hashmap *h, size_t cap)
{
    size_t c = 16;
    while (c < cap)
        c <<= 1;
    h->keys = calloc(c, sizeof *h->keys);
    h->vals = calloc(c, sizeof *h->vals);
    h->cap = c;
    h->used = 0;
    if (h->keys == NULL || h->vals == NULL) {
        se_hashmap_free(h);
        return false;
    }
    return true;
}

void se_hashmap_free(se_hashmap *h)
{
    free(h->keys);
    free(h->vals);
    h->keys = h->vals = NULL;
    h->cap = h->used = 0;
}

void se_hashmap_clear(se_hashmap *h)
{
    if (h->keys != NULL)
        memset(h->keys, 0, h->cap * sizeof *h->keys);
    h->used = 0;
}

bool se_hashmap_get(const se_hashmap *h, uint64_t key, uint64_t *val)
{
    if (h->cap == 0)
        return false;
    for (size_t i = se_hash(key, h->cap);; i = (i + 1) & (h->cap - 1)) {
        if (h->keys[i] == 0)
            return false;
        if (h->keys[i] == key + 1) {
            *val = h->vals[i];
            return true;
        }
    }
}

static bool se_hashmap_grow(se_hashmap *h)
{
    se_hashmap n;
    if (!se_hashmap_init(&n, h->cap * 2))
        return false;
    for (size_t i = 0; i < h->cap; i++)
        if (h->keys[i] != 0)
            se_hashmap_put(&n, h->keys[i] - 1, h->vals[i]);
    se_hashmap_free(h);
    *h = n;
    return true;
}

bool se_hashmap_put(se_hashmap *h, uint64_t key, uint64_t val)
{
    if (key == UINT64_MAX) /* would collide with the empty marker */
        return false;
    if ((h->used + 1) * 2 > h->cap && !se_hashmap_grow(h))
        return false;
    for (size_t i = se_hash(key, h->cap);; i = (i + 1) & (h->cap - 1)) {
        if (h->keys[i] == 0 || h->keys[i] == key + 1) {
            if (h->keys[i] == 0)
                h->used++;
            h->keys[i] = key + 1;
            h->vals[i] = val;
            return true;
        }
    }
}
