/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "se_test.h"

#include <stdlib.h>
#include <string.h>

#include "entry/builtin.h"
#include "image_util.h"

int se_t_image_load(struct se_t_image *im, uint64_t base)
{
    char err[256] = "";
    memset(im, 0, sizeof *im);
    se_status st = se_elf_load(se_entry_linux_obj_start, se_entry_linux_obj_size(), base, &im->img,
                               err, sizeof err);
    if (st != SE_OK) {
        print_error("se_elf_load: %s (%s)\n", se_status_str(st), err);
        return -1;
    }
    im->entry_text = se_elf_section_by_name(im->img, ".entry.text");
    im->text = se_elf_section_by_name(im->img, ".text");
    im->patch = se_elf_section_by_name(im->img, ".se_patch");
    if (im->entry_text == NULL || im->text == NULL || im->patch == NULL) {
        print_error("the entry object lacks .entry.text, .text or .se_patch\n");
        se_t_image_free(im);
        return -1;
    }
    return 0;
}

void se_t_image_free(struct se_t_image *im)
{
    se_elf_free(im->img);
    memset(im, 0, sizeof *im);
}

uint64_t se_t_image_sym(const struct se_t_image *im, const char *name)
{
    uint64_t va = 0;
    se_status st = se_elf_symbol(im->img, name, &va);
    if (st != SE_OK)
        print_error("symbol %s: %s\n", name, se_status_str(st));
    assert_int_equal(st, SE_OK);
    return va;
}

void se_t_image_patch(const struct se_t_image *im, const se_config *cfg, struct se_t_patched *p)
{
    p->features = se_entry_features(cfg);
    p->n = 0;
    for (size_t i = 0; i < se_elf_section_count(im->img); i++) {
        const se_elf_section *s = se_elf_section_at(im->img, i);
        if (s == NULL || s->bytes == NULL || s->size == 0)
            continue;
        assert_true(p->n < sizeof p->secs / sizeof p->secs[0]);
        uint8_t *copy = malloc((size_t)s->size);
        assert_non_null(copy);
        memcpy(copy, s->bytes, (size_t)s->size);
        p->secs[p->n++] = (se_entry_section){s->va, copy, (size_t)s->size};
    }
    char err[160] = "";
    se_status st = se_entry_patch_sections(p->secs, p->n, im->patch->bytes, (size_t)im->patch->size,
                                           p->features, err, sizeof err);
    if (st != SE_OK)
        print_error("se_entry_patch_sections: %s\n", err);
    assert_int_equal(st, SE_OK);
}

void se_t_patched_free(struct se_t_patched *p)
{
    for (size_t i = 0; i < p->n; i++)
        free(p->secs[i].bytes);
    p->n = 0;
}

const uint8_t *se_t_patched_at(const struct se_t_patched *p, uint64_t va, size_t *avail)
{
    for (size_t i = 0; i < p->n; i++) {
        if (va >= p->secs[i].va && va - p->secs[i].va < p->secs[i].len) {
            *avail = p->secs[i].len - (size_t)(va - p->secs[i].va);
            return p->secs[i].bytes + (va - p->secs[i].va);
        }
    }
    *avail = 0;
    return NULL;
}
