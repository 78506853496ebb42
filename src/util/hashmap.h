/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A small open-addressing map from 64-bit guest addresses to 64-bit values. */
#ifndef SE_HASHMAP_H
#define SE_HASHMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct se_hashmap {
    uint64_t *keys; /* key + 1, so that 0 marks an empty slot */
    uint64_t *vals;
    size_t cap, used; /* cap is a power of two */
} se_hashmap;

bool se_hashmap_init(se_hashmap *h, size_t cap);
void se_hashmap_free(se_hashmap *h);
void se_hashmap_clear(se_hashmap *h);
bool se_hashmap_get(const se_hashmap *h, uint64_t key, uint64_t *val);
/* false only when growing failed (out of memory) */
bool se_hashmap_put(se_hashmap *h, uint64_t key, uint64_t val);

#endif
