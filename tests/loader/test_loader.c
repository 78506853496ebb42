/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The ELF loader against objects assembled and linked at build time (the .S files here):
 *  - placement of ET_REL sections (.entry.text first, page-aligned, NOBITS without bytes);
 *  - every relocation type, one named row per relocated field, checked with the psABI formula;
 *  - overflow and undefined-symbol failures, one row each, with their messages;
 *  - symbols: global, local, weak, absolute, no ".L" temporaries, globals preferred;
 *  - ET_EXEC linked by GNU ld with a script that mirrors the loader: the loader's ET_REL result
 *    must equal ld's, section by section and symbol by symbol;
 *  - malformed input: every truncation, one row per corrupted header/section/symbol/relocation/
 *    segment field, and a seeded random mutation run (this suite runs under ASan/UBSan in CI).
 */
#include "se_test.h"

#include <elf.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loader/elf_load.h"
#include <sysentry/sysentry.h>

#define BASE 0xffffffff81000000ull /* where fixture.ld links fixture.elf */
#define LOW  0x0000000000100000ull /* a base where 32-bit absolute fields fit */
#define PAGE 4096ull

typedef struct blob {
    uint8_t *d;
    size_t len;
} blob;

static blob read_fixture(const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", SE_FIXTURE_DIR, name);
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        print_error("cannot open %s\n", path);
    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    long size = ftell(f);
    assert_true(size > (long)sizeof(Elf64_Ehdr));
    rewind(f);
    blob b = {malloc((size_t)size), (size_t)size};
    assert_non_null(b.d);
    assert_int_equal(fread(b.d, 1, b.len, f), b.len);
    fclose(f);
    return b;
}

static se_elf_image *load_ok(const blob *b, uint64_t base)
{
    se_elf_image *img = NULL;
    char err[256];
    se_status st = se_elf_load(b->d, b->len, base, &img, err, sizeof err);
    if (st != SE_OK)
        print_error("se_elf_load: %s: %s\n", se_status_str(st), err);
    assert_int_equal(st, SE_OK);
    assert_string_equal(err, "");
    assert_non_null(img);
    return img;
}

static uint64_t sym(const se_elf_image *img, const char *name)
{
    uint64_t va = 0;
    se_status st = se_elf_symbol(img, name, &va);
    if (st != SE_OK)
        print_error("symbol %s: %s\n", name, se_status_str(st));
    assert_int_equal(st, SE_OK);
    return va;
}

/* Little-endian bytes of the image at va; the range must lie in one section with contents. */
static uint64_t read_field(const se_elf_image *img, uint64_t va, unsigned width)
{
    for (size_t i = 0; i < se_elf_section_count(img); i++) {
        const se_elf_section *s = se_elf_section_at(img, i);
        if (va < s->va || va - s->va >= s->size)
            continue;
        assert_true(va - s->va + width <= s->size);
        assert_non_null(s->bytes);
        uint64_t v = 0;
        for (unsigned k = 0; k < width; k++)
            v |= (uint64_t)s->bytes[va - s->va + k] << (8 * k);
        return v;
    }
    print_error("0x%llx is in no section\n", (unsigned long long)va);
    fail();
    return 0;
}

/* ---- relocated fields, one row per field -------------------------------------------------- */

enum reloc_kind { K_ABS64, K_PC32, K_ABS32, K_ABS32S, K_KEEP64 };

typedef struct reloc_row {
    const char *name;
    const char *file;
    uint64_t base;
    const char *site; /* label at the instruction or datum */
    unsigned field;   /* offset of the relocated field from the label */
    enum reloc_kind kind;
    const char *target; /* S's symbol (K_KEEP64: none) */
    int64_t addend;     /* A (K_KEEP64: the bytes that must stay) */
} reloc_row;

static const reloc_row reloc_rows[] = {
    {"plt32_call_into_text", "fixture.o", BASE, "site_call", 1, K_PC32, "other_fn", -4},
    {"r64_movabs_into_data", "fixture.o", BASE, "site_movabs", 2, K_ABS64, "data_word", 0},
    {"pc32_lea_into_data", "fixture.o", BASE, "site_lea", 3, K_PC32, "data_word", -4},
    {"pc32_lea_negative_addend", "fixture.o", BASE, "site_lea_neg", 3, K_PC32, "data_word", -12},
    {"r32s_movq_kernel_address", "fixture.o", BASE, "site_movq", 3, K_ABS32S, "data_word", 0},
    {"pc32_jmp_local_label_in_other_section", "fixture.o", BASE, "site_jmp_local", 1, K_PC32,
     "local_in_text", -4},
    {"r64_quad_into_entry_text", "fixture.o", BASE, "data_word", 0, K_ABS64, "entry_sym", 0},
    {"r64_quad_local_label_addend", "fixture.o", BASE, "data_quad_local", 0, K_ABS64, "local_label",
     16},
    {"pc32_long_in_data", "fixture.o", BASE, "data_pc32", 0, K_PC32, "other_fn", 0},
    {"r64_absolute_symbol", "fixture.o", BASE, "data_abs", 0, K_ABS64, "abs_sym", 0},
    {"r64_into_nobits", "fixture.o", BASE, "data_bss_ptr", 0, K_ABS64, "bss_buf", 0},
    {"r64_rodata_addend", "fixture.o", BASE, "ro_ptr", 0, K_ABS64, "other_fn", 1},
    {"none_leaves_field_alone", "fixture.o", BASE, "site_none", 0, K_KEEP64, NULL,
     0x1122334455667788},
    {"base_zero_plt32_call", "fixture.o", 0, "site_call", 1, K_PC32, "other_fn", -4},
    {"base_zero_r32s_movq", "fixture.o", 0, "site_movq", 3, K_ABS32S, "data_word", 0},
    {"base_zero_r64_into_entry_text", "fixture.o", 0, "data_word", 0, K_ABS64, "entry_sym", 0},
    {"r32_long_low_base", "fixture_low.o", LOW, "site_long32", 0, K_ABS32, "target32", 0},
    {"r32s_movq_low_base", "fixture_low.o", LOW, "site_movq32s", 3, K_ABS32S, "target32", 0},
    {"exec_plt32_call_by_ld", "fixture.elf", 0, "site_call", 1, K_PC32, "other_fn", -4},
    {"exec_r32s_movq_by_ld", "fixture.elf", 0, "site_movq", 3, K_ABS32S, "data_word", 0},
};

static void test_reloc_row(void **state)
{
    const reloc_row *row = *state;
    blob b = read_fixture(row->file);
    se_elf_image *img = load_ok(&b, row->base);
    const uint64_t P = sym(img, row->site) + row->field;
    const uint64_t S = row->target != NULL ? sym(img, row->target) : 0;
    const uint64_t A = (uint64_t)row->addend;
    switch (row->kind) {
    case K_ABS64:
        se_assert_eq_hex("S + A", read_field(img, P, 8), S + A);
        break;
    case K_KEEP64:
        se_assert_eq_hex("unchanged", read_field(img, P, 8), A);
        break;
    case K_PC32: /* the field sign-extends to S + A - P */
        se_assert_eq_hex("S + A - P", (uint64_t)(int64_t)(int32_t)read_field(img, P, 4), S + A - P);
        break;
    case K_ABS32: /* zero-extends */
        se_assert_eq_hex("S + A", read_field(img, P, 4), S + A);
        break;
    case K_ABS32S: /* sign-extends */
        se_assert_eq_hex("S + A", (uint64_t)(int64_t)(int32_t)read_field(img, P, 4), S + A);
        break;
    }
    se_elf_free(img);
    free(b.d);
}

/* ---- whole-file outcomes, one row per case ------------------------------------------------ */

typedef struct load_row {
    const char *name;
    const char *file;
    uint64_t base;
    se_status expect;
    const char *message; /* substring of the error message */
} load_row;

static const load_row load_rows[] = {
    {"undefined_symbol_not_found", "fixture_undef.o", BASE, SE_ERR_NOT_FOUND, "'missing_fn'"},
    {"r32_at_kernel_base_overflows", "fixture_low.o", BASE, SE_ERR_FORMAT, "R_X86_64_32 "},
    {"r32s_above_2g_overflows", "fixture_low.o", 0x80000000ull, SE_ERR_FORMAT, "R_X86_64_32S"},
    {"r32_and_r32s_at_low_base_ok", "fixture_low.o", LOW, SE_OK, NULL},
    {"pc32_to_far_absolute_overflows", "fixture_pc32_far.o", BASE, SE_ERR_FORMAT, "R_X86_64_PC32"},
    {"sections_past_the_top_overflow", "fixture.o", 0xfffffffffffff000ull, SE_ERR_FORMAT,
     "overflow"},
    {"misaligned_base_invalid", "fixture.o", BASE + 8, SE_ERR_INVALID_ARG, "page-aligned"},
    {"exec_ignores_misaligned_base", "fixture.elf", BASE + 8, SE_OK, NULL},
    {"locals_fixture_ok", "fixture_locals.o", BASE, SE_OK, NULL},
};

static void test_load_row(void **state)
{
    const load_row *row = *state;
    blob b = read_fixture(row->file);
    se_elf_image *img = (se_elf_image *)&img; /* must be overwritten */
    char err[256];
    memset(err, 'x', sizeof err);
    se_status st = se_elf_load(b.d, b.len, row->base, &img, err, sizeof err);
    if (st != row->expect)
        print_error("got %s (%s), expected %s\n", se_status_str(st), err,
                    se_status_str(row->expect));
    assert_int_equal(st, row->expect);
    if (st == SE_OK) {
        assert_non_null(img);
        assert_string_equal(err, "");
    } else {
        assert_null(img);
        if (strstr(err, row->message) == NULL)
            print_error("message \"%s\" lacks \"%s\"\n", err, row->message);
        assert_non_null(strstr(err, row->message));
    }
    se_elf_free(img);
    free(b.d);
}

/* ---- placement and symbols ---------------------------------------------------------------- */

static void test_rel_placement(void **state)
{
    (void)state;
    blob b = read_fixture("fixture.o");
    se_elf_image *img = load_ok(&b, BASE);
    /* .entry.text first although .text comes first in the object; then code; then the rest in
     * section-table order; .aligned asks for 8 KiB */
    const struct {
        const char *name;
        uint64_t va, size;
        bool exec, write, nobits;
    } want[] = {
        {".entry.text", BASE, 0x2b, true, false, false},
        {".text", BASE + 0x1000, 0, true, false, false},
        {".data", BASE + 0x2000, 0x38, false, true, false},
        {".bss", BASE + 0x3000, 64, false, true, true},
        {".rodata", BASE + 0x4000, 0x10, false, false, false},
        {".aligned", BASE + 0x6000, 8, false, true, false},
    };
    assert_int_equal(se_elf_section_count(img), sizeof want / sizeof want[0]);
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        const se_elf_section *s = se_elf_section_at(img, i);
        assert_non_null(s);
        assert_string_equal(s->name, want[i].name);
        se_assert_eq_hex(want[i].name, s->va, want[i].va);
        if (want[i].size != 0) /* .text: 3 bytes from GNU as, 4 from clang */
            se_assert_eq_hex("size", s->size, want[i].size);
        assert_true(s->size > 0);
        assert_int_equal(s->exec, want[i].exec);
        assert_int_equal(s->write, want[i].write);
        assert_int_equal(s->bytes == NULL, want[i].nobits);
        assert_ptr_equal(se_elf_section_by_name(img, want[i].name), s);
    }
    assert_null(se_elf_section_at(img, sizeof want / sizeof want[0]));
    assert_null(se_elf_section_by_name(img, ".se_debug")); /* not SHF_ALLOC */
    assert_null(se_elf_section_by_name(img, ".note.GNU-stack"));
    assert_null(se_elf_section_by_name(img, ".rela.entry.text"));
    se_elf_free(img);
    free(b.d);
}

static void test_rel_symbols(void **state)
{
    (void)state;
    blob b = read_fixture("fixture.o");
    se_elf_image *img = load_ok(&b, BASE);
    se_assert_eq_hex("entry_sym", sym(img, "entry_sym"), BASE);
    se_assert_eq_hex("other_fn (global)", sym(img, "other_fn"), BASE + 0x1000);
    se_assert_eq_hex("local_in_text (local)", sym(img, "local_in_text"), BASE + 0x1001);
    se_assert_eq_hex("local_label (local)", sym(img, "local_label"), BASE + 0x29);
    se_assert_eq_hex("data_word", sym(img, "data_word"), BASE + 0x2000);
    se_assert_eq_hex("weak_sym", sym(img, "weak_sym"), BASE + 0x2030);
    se_assert_eq_hex("abs_sym", sym(img, "abs_sym"), 0x1234);
    se_assert_eq_hex("bss_buf", sym(img, "bss_buf"), BASE + 0x3000);
    se_assert_eq_hex("aligned_word", sym(img, "aligned_word"), BASE + 0x6000);
    uint64_t va = 0;
    assert_int_equal(se_elf_symbol(img, ".text", &va), SE_ERR_NOT_FOUND); /* STT_SECTION */
    assert_int_equal(se_elf_symbol(img, "missing", &va), SE_ERR_NOT_FOUND);
    assert_int_equal(se_elf_symbol(img, "", &va), SE_ERR_NOT_FOUND);
    /* iteration: every symbol named, none a temporary, entry_sym with its .size */
    bool seen_entry = false;
    size_t n = se_elf_symbol_count(img);
    assert_true(n >= 15);
    for (size_t i = 0; i < n; i++) {
        uint64_t size = 0;
        const char *name = se_elf_symbol_at(img, i, &va, &size);
        assert_non_null(name);
        assert_true(name[0] != '\0' && strncmp(name, ".L", 2) != 0);
        assert_non_null(se_elf_symbol_at(img, i, NULL, NULL));
        if (strcmp(name, "entry_sym") == 0) {
            seen_entry = true;
            se_assert_eq_hex("entry_sym", va, BASE);
            se_assert_eq_hex("entry_sym size", size, 0x2b);
        }
    }
    assert_true(seen_entry);
    assert_null(se_elf_symbol_at(img, n, &va, NULL));
    se_elf_free(img);
    free(b.d);
}

static void test_rel_locals_keep_no_temporaries(void **state)
{
    (void)state;
    blob b = read_fixture("fixture_locals.o");
    se_elf_image *img = load_ok(&b, BASE);
    se_assert_eq_hex("plain_local", sym(img, "plain_local"), BASE);
    uint64_t va;
    assert_int_equal(se_elf_symbol(img, ".Lhidden", &va), SE_ERR_NOT_FOUND);
    assert_int_equal(se_elf_symbol_count(img), 1);
    se_elf_free(img);
    free(b.d);
}

/* ld is the reference: the same object, relocated by the loader at BASE and linked by ld at
 * BASE with a script that mirrors the loader's placement, must give the same memory image. */
static void test_exec_matches_ld(void **state)
{
    (void)state;
    blob rb = read_fixture("fixture.o"), eb = read_fixture("fixture.elf");
    se_elf_image *rel = load_ok(&rb, BASE);
    se_elf_image *exe = load_ok(&eb, 0x1000 /* ignored */);
    /* the segments carry their sections' names, plus .dup from fixture_dup.o */
    assert_int_equal(se_elf_section_count(exe), se_elf_section_count(rel) + 1);
    for (size_t i = 0; i < se_elf_section_count(rel); i++) {
        const se_elf_section *r = se_elf_section_at(rel, i);
        const se_elf_section *e = se_elf_section_by_name(exe, r->name);
        if (e == NULL)
            print_error("ld output has no segment for %s\n", r->name);
        assert_non_null(e);
        se_assert_eq_hex(r->name, e->va, r->va);
        se_assert_eq_hex("size", e->size, r->size);
        assert_int_equal(e->exec, r->exec);
        assert_int_equal(e->write, r->write);
        assert_int_equal(e->bytes == NULL, r->bytes == NULL);
        if (r->bytes != NULL && memcmp(e->bytes, r->bytes, (size_t)r->size) != 0) {
            for (uint64_t k = 0; k < r->size; k++)
                if (e->bytes[k] != r->bytes[k])
                    print_error("%s+0x%llx: ld 0x%02x, loader 0x%02x\n", r->name,
                                (unsigned long long)k, e->bytes[k], r->bytes[k]);
            fail();
        }
    }
    for (size_t i = 0; i < se_elf_symbol_count(rel); i++) {
        uint64_t va;
        const char *name = se_elf_symbol_at(rel, i, &va, NULL);
        se_assert_eq_hex(name, sym(exe, name), va);
    }
    /* fixture_dup.o has a local dup_name in .dup: the global one from fixture.o wins */
    se_assert_eq_hex("dup_name", sym(exe, "dup_name"), sym(rel, "dup_name"));
    assert_true(sym(exe, "dup_name") != se_elf_section_by_name(exe, ".dup")->va);
    se_elf_free(rel);
    se_elf_free(exe);
    free(rb.d);
    free(eb.d);
}

/* ---- malformed input ---------------------------------------------------------------------- */

static const char *const all_fixtures[] = {
    "fixture.o",       "fixture.elf",        "fixture_low.o", "fixture_locals.o",
    "fixture_undef.o", "fixture_pc32_far.o", "fixture_dup.o"};

static void test_every_truncation_is_format(void **state)
{
    (void)state;
    for (size_t f = 0; f < sizeof all_fixtures / sizeof all_fixtures[0]; f++) {
        blob b = read_fixture(all_fixtures[f]);
        for (size_t len = 0; len < b.len; len++) {
            /* an exact-size copy, so that ASan sees any read past the end */
            uint8_t *copy = malloc(len ? len : 1);
            assert_non_null(copy);
            memcpy(copy, b.d, len);
            se_elf_image *img = NULL;
            char err[160] = "";
            se_status st = se_elf_load(copy, len, BASE, &img, err, sizeof err);
            if (st != SE_ERR_FORMAT)
                print_error("%s truncated to %zu: %s\n", all_fixtures[f], len, se_status_str(st));
            /* the section headers are the last thing in these files: no prefix is complete */
            assert_int_equal(st, SE_ERR_FORMAT);
            assert_null(img);
            assert_true(err[0] != '\0');
            free(copy);
        }
        free(b.d);
    }
}

/* Where a corruption goes: a field of the ELF header, of a named section's header, of a named
 * symbol, of the first relocation of a named RELA section, or of a program header. */
enum where { IN_EHDR, IN_SHDR, IN_SYM, IN_RELA, IN_PHDR };

typedef struct corrupt_row {
    const char *name;
    const char *file;
    enum where where;
    const char *select; /* section or symbol name; IN_PHDR: NULL */
    unsigned index;     /* IN_PHDR: program header index */
    size_t field;       /* offset of the field in its structure */
    unsigned width;     /* 1, 2, 4 or 8 bytes */
    uint64_t value;
    const char *value_section; /* when set, value = this section's index */
    se_status expect;
    const char *message; /* substring of the message; NULL: any */
} corrupt_row;

#define EH(f)    IN_EHDR, NULL, 0, offsetof(Elf64_Ehdr, f), sizeof(((Elf64_Ehdr *)0)->f)
#define SH(s, f) IN_SHDR, (s), 0, offsetof(Elf64_Shdr, f), sizeof(((Elf64_Shdr *)0)->f)
#define SY(s, f) IN_SYM, (s), 0, offsetof(Elf64_Sym, f), sizeof(((Elf64_Sym *)0)->f)
#define PH(i, f) IN_PHDR, NULL, (i), offsetof(Elf64_Phdr, f), sizeof(((Elf64_Phdr *)0)->f)
/* r_info's low half is the type, its high half the symbol index (ELF64_R_INFO) */
#define RELA_TYPE(s) IN_RELA, (s), 0, offsetof(Elf64_Rela, r_info), 4
#define RELA_SYM(s)  IN_RELA, (s), 0, offsetof(Elf64_Rela, r_info) + 4, 4
#define RELA_OFF(s)  IN_RELA, (s), 0, offsetof(Elf64_Rela, r_offset), 8
#define IDENT(i)     IN_EHDR, NULL, 0, (i), 1
#define FAR_OFF      0xffffffffffffff00ull
#define FMT          SE_ERR_FORMAT
/* the section-name table: .shstrtab with GNU as, .strtab (shared with symbols) with clang */
#define NAMES "@names"

static const corrupt_row corrupt_rows[] = {
    /* ELF header */
    {"ehdr_magic_format", "fixture.o", IDENT(1), 'X', NULL, FMT, "not an ELF"},
    {"ehdr_class32_format", "fixture.o", IDENT(EI_CLASS), ELFCLASS32, NULL, FMT, "ELF64"},
    {"ehdr_big_endian_format", "fixture.o", IDENT(EI_DATA), ELFDATA2MSB, NULL, FMT,
     "little-endian"},
    {"ehdr_ident_version_format", "fixture.o", IDENT(EI_VERSION), 2, NULL, FMT, "version"},
    {"ehdr_version_format", "fixture.o", EH(e_version), 0, NULL, FMT, "version"},
    {"ehdr_machine_i386_format", "fixture.o", EH(e_machine), EM_386, NULL, FMT, "x86-64"},
    {"ehdr_type_dyn_format", "fixture.o", EH(e_type), ET_DYN, NULL, FMT, "type 3"},
    {"ehdr_type_core_format", "fixture.elf", EH(e_type), ET_CORE, NULL, FMT, "type 4"},
    {"ehdr_shentsize_format", "fixture.o", EH(e_shentsize), 40, NULL, FMT, "header size"},
    {"ehdr_too_many_sections_format", "fixture.o", EH(e_shnum), 300, NULL, FMT,
     "too many sections"},
    {"ehdr_extended_numbering_format", "fixture.o", EH(e_shnum), 0, NULL, FMT, "extended"},
    {"ehdr_shoff_zero_format", "fixture.o", EH(e_shoff), 0, NULL, FMT, NULL},
    {"ehdr_shoff_outside_format", "fixture.o", EH(e_shoff), FAR_OFF, NULL, FMT, "outside the file"},
    {"ehdr_shoff_wraps_format", "fixture.elf", EH(e_shoff), UINT64_MAX - 63, NULL, FMT,
     "outside the file"},
    {"ehdr_shstrndx_out_of_range_format", "fixture.o", EH(e_shstrndx), 999, NULL, FMT,
     "string table"},
    {"ehdr_shstrndx_xindex_format", "fixture.o", EH(e_shstrndx), SHN_XINDEX, NULL, FMT, "extended"},
    {"ehdr_shstrndx_not_strtab_format", "fixture.o", EH(e_shstrndx), 0, ".data", FMT,
     "string table"},
    {"ehdr_shstrndx_undef_rel_format", "fixture.o", EH(e_shstrndx), SHN_UNDEF, NULL, FMT,
     "section names"},
    {"ehdr_shstrndx_undef_exec_ok", "fixture.elf", EH(e_shstrndx), SHN_UNDEF, NULL, SE_OK, NULL},
    {"exec_phentsize_format", "fixture.elf", EH(e_phentsize), 32, NULL, FMT, "header size"},
    {"exec_phoff_outside_format", "fixture.elf", EH(e_phoff), FAR_OFF, NULL, FMT, "outside"},
    {"exec_phnum_huge_format", "fixture.elf", EH(e_phnum), 0xffff, NULL, FMT, "outside"},
    {"exec_phnum_zero_format", "fixture.elf", EH(e_phnum), 0, NULL, FMT, "program headers"},
    /* section headers */
    {"shdr_offset_outside_format", "fixture.o", SH(".entry.text", sh_offset), FAR_OFF, NULL, FMT,
     "outside the file"},
    {"shdr_size_outside_format", "fixture.o", SH(".entry.text", sh_size), 0x100000, NULL, FMT,
     "outside the file"},
    {"shdr_size_wraps_format", "fixture.o", SH(".data", sh_size), UINT64_MAX, NULL, FMT,
     "outside the file"},
    {"shdr_name_outside_strtab_format", "fixture.o", SH(".entry.text", sh_name), 0xffffff, NULL,
     FMT, "bad name"},
    {"shdr_alignment_not_power_of_two_format", "fixture.o", SH(".aligned", sh_addralign), 12288,
     NULL, FMT, "alignment"},
    {"shdr_huge_alignment_overflows_format", "fixture.o", SH(".aligned", sh_addralign), 1ull << 63,
     NULL, FMT, "overflow"},
    {"shdr_nobits_1g_format", "fixture.o", SH(".bss", sh_size), 1ull << 30, NULL, FMT,
     "larger than"},
    {"shdr_symtab_entsize_format", "fixture.o", SH(".symtab", sh_entsize), 16, NULL, FMT,
     "entry size"},
    {"shdr_symtab_partial_entry_format", "fixture.o", SH(".symtab", sh_size), 25, NULL, FMT,
     "entry size"},
    {"shdr_symtab_link_zero_format", "fixture.o", SH(".symtab", sh_link), 0, NULL, FMT,
     "string table"},
    {"shdr_symtab_link_not_strtab_format", "fixture.o", SH(".symtab", sh_link), 0, ".data", FMT,
     "string table"},
    {"shdr_symtab_gone_format", "fixture.o", SH(".symtab", sh_type), SHT_PROGBITS, NULL, FMT,
     "symbol table"},
    {"shdr_second_symtab_format", "fixture.o", SH(".rodata", sh_type), SHT_SYMTAB, NULL, FMT, NULL},
    {"shdr_strtab_not_strtab_format", "fixture.o", SH(".strtab", sh_type), SHT_PROGBITS, NULL, FMT,
     "string table"},
    {"shdr_strtab_truncated_format", "fixture.o", SH(".strtab", sh_size), 1, NULL, FMT, "bad name"},
    {"shdr_shstrtab_truncated_format", "fixture.o", SH(NAMES, sh_size), 1, NULL, FMT, "bad name"},
    {"shdr_shstrtab_nobits_format", "fixture.o", SH(NAMES, sh_type), SHT_NOBITS, NULL, FMT,
     "string table"},
    {"shdr_shstrtab_null_format", "fixture.o", SH(NAMES, sh_type), SHT_NULL, NULL, FMT,
     "string table"},
    {"ehdr_shstrndx_nobits_format", "fixture.o", EH(e_shstrndx), 0, ".bss", FMT, "string table"},
    {"shdr_rela_target_out_of_range_format", "fixture.o", SH(".rela.entry.text", sh_info), 999,
     NULL, FMT, "targets section"},
    {"shdr_rela_target_nobits_format", "fixture.o", SH(".rela.entry.text", sh_info), 0, ".bss", FMT,
     "no contents"},
    {"shdr_rela_target_not_loaded_ok", "fixture.o", SH(".rela.entry.text", sh_info), 0, ".se_debug",
     SE_OK, NULL},
    {"shdr_rela_entsize_format", "fixture.o", SH(".rela.entry.text", sh_entsize), 16, NULL, FMT,
     "entry size"},
    {"shdr_rela_link_format", "fixture.o", SH(".rela.entry.text", sh_link), 0, NULL, FMT,
     "symbol table"},
    {"shdr_rela_outside_format", "fixture.o", SH(".rela.data", sh_size), 24 * 100000, NULL, FMT,
     "outside the file"},
    {"shdr_rel_type_format", "fixture.o", SH(".rela.entry.text", sh_type), SHT_REL, NULL, FMT,
     "SHT_REL"},
    {"exec_shdr_offset_outside_format", "fixture.elf", SH(".data", sh_offset), FAR_OFF, NULL, FMT,
     "outside the file"},
    /* symbols */
    {"sym_name_outside_strtab_format", "fixture.o", SY("entry_sym", st_name), 0xffffff, NULL, FMT,
     "bad name"},
    {"sym_section_out_of_range_format", "fixture.o", SY("entry_sym", st_shndx), 200, NULL, FMT,
     "names section"},
    {"sym_section_xindex_format", "fixture.o", SY("entry_sym", st_shndx), SHN_XINDEX, NULL, FMT,
     "extended"},
    {"sym_value_outside_section_format", "fixture.o", SY("weak_sym", st_value), 0x100000, NULL, FMT,
     "outside its section"},
    {"sym_made_undefined_not_found", "fixture.o", SY("other_fn", st_shndx), SHN_UNDEF, NULL,
     SE_ERR_NOT_FOUND, "'other_fn'"},
    {"sym_in_unloaded_section_format", "fixture.o", SY("data_word", st_shndx), 0, ".se_debug", FMT,
     "not loaded"},
    {"sym_common_format", "fixture.o", SY("data_word", st_shndx), SHN_COMMON, NULL, FMT,
     "not loaded"},
    {"exec_sym_name_outside_strtab_format", "fixture.elf", SY("entry_sym", st_name), 0xffffff, NULL,
     FMT, "bad name"},
    /* relocations (the first of .rela.entry.text: PLT32 to other_fn at offset 1) */
    {"rela_offset_crosses_end_format", "fixture.o", RELA_OFF(".rela.entry.text"), 0x2b - 3, NULL,
     FMT, "outside .entry.text"},
    {"rela_offset_huge_format", "fixture.o", RELA_OFF(".rela.entry.text"), FAR_OFF, NULL, FMT,
     "outside .entry.text"},
    {"rela_symbol_out_of_range_format", "fixture.o", RELA_SYM(".rela.entry.text"), 9999, NULL, FMT,
     "names symbol 9999"},
    {"rela_type_gotpcrel_format", "fixture.o", RELA_TYPE(".rela.entry.text"), R_X86_64_GOTPCREL,
     NULL, FMT, "unsupported relocation type 9"},
    {"rela_type_none_ok", "fixture.o", RELA_TYPE(".rela.entry.text"), R_X86_64_NONE, NULL, SE_OK,
     NULL},
    {"rela_symbol_zero_is_no_symbol_ok", "fixture.o", RELA_SYM(".rela.rodata"), 0, NULL, SE_OK,
     NULL},
    /* program headers (fixture.elf: 0 = .entry.text, 1 = .text, 3 = .bss) */
    {"phdr_filesz_above_memsz_format", "fixture.elf", PH(0, p_filesz), 0x1000, NULL, FMT,
     "outside the file"},
    {"phdr_offset_outside_format", "fixture.elf", PH(0, p_offset), FAR_OFF, NULL, FMT,
     "outside the file"},
    {"phdr_memsz_1g_format", "fixture.elf", PH(3, p_memsz), 1ull << 30, NULL, FMT, "larger than"},
    {"phdr_overlapping_segments_format", "fixture.elf", PH(1, p_vaddr), BASE + 8, NULL, FMT,
     "overlaps"},
    {"phdr_wraps_address_space_format", "fixture.elf", PH(0, p_vaddr), UINT64_MAX - 15, NULL, FMT,
     "wraps"},
    {"phdr_not_load_skipped_ok", "fixture.elf", PH(0, p_type), PT_NULL, NULL, SE_OK, NULL},
};

/* The fixtures are our own, well-formed files: these lookups trust them. */
static Elf64_Shdr shdr_at(const blob *b, size_t i)
{
    Elf64_Ehdr eh;
    Elf64_Shdr sh;
    memcpy(&eh, b->d, sizeof eh);
    memcpy(&sh, b->d + eh.e_shoff + i * sizeof sh, sizeof sh);
    return sh;
}

static size_t section_index(const blob *b, const char *name)
{
    Elf64_Ehdr eh;
    memcpy(&eh, b->d, sizeof eh);
    if (strcmp(name, NAMES) == 0)
        return eh.e_shstrndx;
    Elf64_Shdr names = shdr_at(b, eh.e_shstrndx);
    for (size_t i = 0; i < eh.e_shnum; i++)
        if (strcmp((const char *)b->d + names.sh_offset + shdr_at(b, i).sh_name, name) == 0)
            return i;
    print_error("fixture has no section %s\n", name);
    fail();
    return 0;
}

static size_t symbol_offset(const blob *b, const char *name)
{
    Elf64_Shdr st = shdr_at(b, section_index(b, ".symtab"));
    Elf64_Shdr str = shdr_at(b, st.sh_link);
    for (size_t k = 0; k < st.sh_size / sizeof(Elf64_Sym); k++) {
        Elf64_Sym y;
        memcpy(&y, b->d + st.sh_offset + k * sizeof y, sizeof y);
        if (strcmp((const char *)b->d + str.sh_offset + y.st_name, name) == 0)
            return st.sh_offset + k * sizeof y;
    }
    print_error("fixture has no symbol %s\n", name);
    fail();
    return 0;
}

static void test_corrupt_row(void **state)
{
    const corrupt_row *row = *state;
    blob b = read_fixture(row->file);
    Elf64_Ehdr eh;
    memcpy(&eh, b.d, sizeof eh);
    size_t at = 0;
    switch (row->where) {
    case IN_EHDR:
        at = 0;
        break;
    case IN_SHDR:
        at = eh.e_shoff + section_index(&b, row->select) * sizeof(Elf64_Shdr);
        break;
    case IN_SYM:
        at = symbol_offset(&b, row->select);
        break;
    case IN_RELA:
        at = shdr_at(&b, section_index(&b, row->select)).sh_offset;
        break;
    case IN_PHDR:
        assert_true(row->index < eh.e_phnum);
        at = eh.e_phoff + row->index * sizeof(Elf64_Phdr);
        break;
    }
    uint64_t value = row->value_section ? section_index(&b, row->value_section) : row->value;
    at += row->field;
    assert_true(at + row->width <= b.len);
    for (unsigned k = 0; k < row->width; k++)
        b.d[at + k] = (uint8_t)(value >> (8 * k));

    se_elf_image *img = NULL;
    char err[256] = "";
    se_status st = se_elf_load(b.d, b.len, BASE, &img, err, sizeof err);
    if (st != row->expect)
        print_error("got %s (%s), expected %s\n", se_status_str(st), err,
                    se_status_str(row->expect));
    assert_int_equal(st, row->expect);
    if (st != SE_OK) {
        assert_null(img);
        assert_true(err[0] != '\0');
        if (row->message != NULL && strstr(err, row->message) == NULL) {
            print_error("message \"%s\" lacks \"%s\"\n", err, row->message);
            fail();
        }
    }
    se_elf_free(img);
    free(b.d);
}

static uint64_t rng_next(uint64_t *s)
{
    /* xorshift64*: a fixed sequence, so that a failure reproduces */
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 0x2545F4914F6CDD1Dull;
}

/* Flip bytes, mostly in the structures the parser trusts least (ELF header, section headers,
 * symbol table, relocations); any outcome but a crash, a sanitizer report or an unexpected
 * status is fine, and a successful load must give a consistent image. */
static void test_random_mutations(void **state)
{
    (void)state;
    static const uint8_t interesting[] = {0x00, 0x01, 0x7f, 0x80, 0xff, 0x10, 0x40};
    uint64_t seed = 0x5DEECE66Dull;
    size_t ok = 0, format = 0, not_found = 0;
    for (size_t f = 0; f < sizeof all_fixtures / sizeof all_fixtures[0]; f++) {
        blob b = read_fixture(all_fixtures[f]);
        Elf64_Ehdr eh;
        memcpy(&eh, b.d, sizeof eh);
        Elf64_Shdr st = shdr_at(&b, section_index(&b, ".symtab"));
        const size_t regions[][2] = {
            {0, sizeof eh},
            {eh.e_shoff, (size_t)eh.e_shnum * sizeof(Elf64_Shdr)},
            {st.sh_offset, st.sh_size},
            {0, b.len},
        };
        uint8_t *copy = malloc(b.len);
        assert_non_null(copy);
        for (unsigned iter = 0; iter < 3000; iter++) {
            memcpy(copy, b.d, b.len);
            unsigned flips = 1 + (unsigned)(rng_next(&seed) % 4);
            for (unsigned k = 0; k < flips; k++) {
                const size_t *r = regions[rng_next(&seed) % 4];
                size_t pos = r[0] + (size_t)(rng_next(&seed) % r[1]);
                uint64_t x = rng_next(&seed);
                copy[pos] =
                    (x & 1) ? (uint8_t)(x >> 8) : interesting[(x >> 8) % sizeof interesting];
            }
            se_elf_image *img = NULL;
            char err[96];
            se_status s =
                se_elf_load(copy, b.len, (rng_next(&seed) & 1) ? BASE : LOW, &img, err, sizeof err);
            assert_true(strlen(err) < sizeof err);
            if (s == SE_ERR_FORMAT) {
                format++;
            } else if (s == SE_ERR_NOT_FOUND) {
                not_found++;
            } else {
                if (s != SE_OK)
                    print_error("%s iteration %u: %s (%s)\n", all_fixtures[f], iter,
                                se_status_str(s), err);
                assert_int_equal(s, SE_OK);
                ok++;
                unsigned sum = 0;
                for (size_t i = 0; i < se_elf_section_count(img); i++) {
                    const se_elf_section *sec = se_elf_section_at(img, i);
                    assert_true(sec->size > 0 && memchr(sec->name, '\0', sizeof sec->name));
                    for (uint64_t k = 0; sec->bytes != NULL && k < sec->size; k++)
                        sum += sec->bytes[k]; /* ASan: every byte is really there */
                }
                for (size_t i = 0; i < se_elf_symbol_count(img); i++)
                    sum += (unsigned)strlen(se_elf_symbol_at(img, i, NULL, NULL));
                (void)sum;
                se_elf_free(img);
            }
        }
        free(copy);
        free(b.d);
    }
    assert_true(ok > 100 && format > 1000 && not_found > 0);
}

static void test_arguments(void **state)
{
    (void)state;
    blob b = read_fixture("fixture.o");
    se_elf_image *img = (se_elf_image *)&img;
    char err[64];
    assert_int_equal(se_elf_load(NULL, 10, BASE, &img, err, sizeof err), SE_ERR_INVALID_ARG);
    assert_null(img);
    assert_int_equal(se_elf_load(b.d, b.len, BASE, NULL, err, sizeof err), SE_ERR_INVALID_ARG);
    /* no message buffer, or a zero-length one: the status alone */
    assert_int_equal(se_elf_load(b.d, 10, BASE, &img, NULL, 0), SE_ERR_FORMAT);
    memset(err, 'x', sizeof err);
    assert_int_equal(se_elf_load(b.d, 10, BASE, &img, err, 0), SE_ERR_FORMAT);
    assert_int_equal(err[0], 'x');
    /* a short buffer truncates the message and stays terminated */
    char small[8];
    assert_int_equal(se_elf_load(b.d, 10, BASE, &img, small, sizeof small), SE_ERR_FORMAT);
    assert_int_equal(strlen(small), sizeof small - 1);
    /* success clears the message */
    memset(err, 'x', sizeof err);
    assert_int_equal(se_elf_load(b.d, b.len, BASE, &img, err, sizeof err), SE_OK);
    assert_string_equal(err, "");
    uint64_t va;
    assert_int_equal(se_elf_symbol(img, NULL, &va), SE_ERR_INVALID_ARG);
    assert_int_equal(se_elf_symbol(img, "entry_sym", NULL), SE_ERR_INVALID_ARG);
    assert_null(se_elf_section_by_name(img, NULL));
    se_elf_free(img);
    se_elf_free(NULL);
    assert_int_equal(se_elf_section_count(NULL), 0);
    assert_null(se_elf_section_at(NULL, 0));
    assert_null(se_elf_section_by_name(NULL, ".text"));
    assert_int_equal(se_elf_symbol(NULL, "x", &va), SE_ERR_INVALID_ARG);
    assert_int_equal(se_elf_symbol_count(NULL), 0);
    assert_null(se_elf_symbol_at(NULL, 0, &va, NULL));
    free(b.d);
}

/* ---- crafted files: the issue 9 cases, built byte by byte ---------------------------------- */

#define BIG (16ull << 20) /* the 16 MiB section whose copy once leaked on a failed load */

enum { C_NULL, C_NAMES, C_TEXT, C_BSS, C_EMPTY, C_DATA, C_COUNT };

/* An ET_REL object with a 16 MiB .entry.text, a .bss whose offset points far outside the file, a
 * SHT_NULL section with a wild offset and size, and a small .data; e_shstrndx and .data's
 * alignment are the caller's. Everything else is well formed (crafted_ok checks that). */
static blob crafted(uint16_t shstrndx, uint64_t data_align)
{
    static const char names[] = "\0.shstrtab\0.entry.text\0.bss\0.data";
    const uint64_t names_off = 64, sh_off = 256, text_off = 4096, data_off = text_off + BIG;
    blob b = {calloc(1, data_off + 16), data_off + 16};
    assert_non_null(b.d);
    Elf64_Ehdr eh = {.e_type = ET_REL,
                     .e_machine = EM_X86_64,
                     .e_version = EV_CURRENT,
                     .e_shoff = sh_off,
                     .e_ehsize = sizeof eh,
                     .e_shentsize = sizeof(Elf64_Shdr),
                     .e_shnum = C_COUNT,
                     .e_shstrndx = shstrndx};
    memcpy(eh.e_ident, ELFMAG, SELFMAG);
    eh.e_ident[EI_CLASS] = ELFCLASS64;
    eh.e_ident[EI_DATA] = ELFDATA2LSB;
    eh.e_ident[EI_VERSION] = EV_CURRENT;
    Elf64_Shdr sh[C_COUNT] = {
        [C_NAMES] = {.sh_name = 1,
                     .sh_type = SHT_STRTAB,
                     .sh_offset = names_off,
                     .sh_size = sizeof names,
                     .sh_addralign = 1},
        [C_TEXT] = {.sh_name = 11,
                    .sh_type = SHT_PROGBITS,
                    .sh_flags = SHF_ALLOC | SHF_EXECINSTR,
                    .sh_offset = text_off,
                    .sh_size = BIG,
                    .sh_addralign = 16},
        /* NOBITS and NULL contents are not in the file: offsets past its end are legal, and
         * were read as a string table when e_shstrndx named them */
        [C_BSS] = {.sh_name = 24,
                   .sh_type = SHT_NOBITS,
                   .sh_flags = SHF_ALLOC | SHF_WRITE,
                   .sh_offset = 1ull << 40,
                   .sh_size = BIG,
                   .sh_addralign = 64},
        [C_EMPTY] = {.sh_type = SHT_NULL, .sh_offset = 1ull << 40, .sh_size = BIG},
        [C_DATA] = {.sh_name = 29,
                    .sh_type = SHT_PROGBITS,
                    .sh_flags = SHF_ALLOC | SHF_WRITE,
                    .sh_offset = data_off,
                    .sh_size = 16,
                    .sh_addralign = data_align},
    };
    memcpy(b.d, &eh, sizeof eh);
    memcpy(b.d + names_off, names, sizeof names);
    memcpy(b.d + sh_off, sh, sizeof sh);
    memset(b.d + text_off, 0x90, 16);
    return b;
}

static void crafted_expect(uint16_t shstrndx, uint64_t data_align, se_status expect,
                           const char *message)
{
    blob b = crafted(shstrndx, data_align);
    se_elf_image *img = NULL;
    char err[256] = "";
    se_status st = se_elf_load(b.d, b.len, BASE, &img, err, sizeof err);
    if (st != expect)
        print_error("got %s (%s), expected %s\n", se_status_str(st), err, se_status_str(expect));
    assert_int_equal(st, expect);
    if (expect != SE_OK) {
        assert_null(img);
        assert_non_null(strstr(err, message));
    } else {
        assert_int_equal(se_elf_section_count(img), 3); /* .entry.text, .bss, .data */
        assert_string_equal(se_elf_section_at(img, 0)->name, ".entry.text");
        assert_null(se_elf_section_at(img, 1)->bytes); /* .bss: all zero by definition */
    }
    se_elf_free(img);
    free(b.d);
}

/* An executable section with no bytes in the file (NOBITS) is all zeros: loading it through
 * the public API once scanned a NULL buffer for instructions to hook (found by the ELF
 * fuzzer; the sanitizer builds fail on it). */
static void test_crafted_exec_nobits(void **state)
{
    (void)state;
    blob b = crafted(C_NAMES, 8);
    Elf64_Shdr sh;
    memcpy(&sh, b.d + 256 + C_BSS * sizeof sh, sizeof sh);
    sh.sh_flags |= SHF_EXECINSTR;
    memcpy(b.d + 256 + C_BSS * sizeof sh, &sh, sizeof sh);
    se_config cfg;
    se_config_default(&cfg);
    cfg.entry = SE_ENTRY_NONE;
    cfg.phys_mem_size = 128ull << 20; /* room for the two 16 MiB sections */
    se_machine *m = NULL;
    assert_int_equal(se_machine_create(&cfg, &m), SE_OK);
    se_entry_names names = {.entry = "no_such_entry"};
    /* the object has no symbols: refused for that, after its sections were placed */
    assert_int_equal(se_load_entry_elf(m, b.d, b.len, 0xffffffffa0000000ull, &names),
                     SE_ERR_NOT_FOUND);
    se_machine_destroy(m);
    free(b.d);
}

/* Sections larger than the guest RAM left: SE_ERR_LIMIT, documented, with the way out in the
 * message (the ELF fuzzer found this status undocumented). */
static void test_crafted_too_big_is_limit(void **state)
{
    (void)state;
    blob b = crafted(C_NAMES, 8);
    se_config cfg;
    se_config_default(&cfg);
    cfg.entry = SE_ENTRY_NONE;
    se_machine *m = NULL;
    assert_int_equal(se_machine_create(&cfg, &m), SE_OK);
    se_entry_names names = {.entry = "no_such_entry"};
    assert_int_equal(se_load_entry_elf(m, b.d, b.len, 0xffffffffa0000000ull, &names), SE_ERR_LIMIT);
    assert_non_null(strstr(se_machine_last_error(m), "phys_mem_size"));
    se_machine_destroy(m);
    free(b.d);
}

static void test_crafted_ok(void **state)
{
    (void)state;
    crafted_expect(C_NAMES, 8, SE_OK, NULL);
}

/* e_shstrndx naming a section with no file contents must be refused before any name is read
 * (ASan/valgrind flag the read otherwise: the offsets point 1 TiB past the end). */
static void test_crafted_shstrndx_nobits(void **state)
{
    (void)state;
    crafted_expect(C_BSS, 8, SE_ERR_FORMAT, "not a string table");
}

static void test_crafted_shstrndx_null(void **state)
{
    (void)state;
    crafted_expect(C_EMPTY, 8, SE_ERR_FORMAT, "not a string table");
}

/* A load that fails after the 16 MiB .entry.text was copied: the copy must be freed with the
 * rest. The suite runs under LeakSanitizer and valgrind (scripts/test.sh), which fail it on any
 * leak; repeating the load makes a leak of this size unmissable in either. */
static void test_crafted_failure_leaks_nothing(void **state)
{
    (void)state;
    for (int i = 0; i < 4; i++)
        crafted_expect(C_NAMES, 12288, SE_ERR_FORMAT, "alignment");
}

/* 13 or more se_phase_* labels (here every one twice: two copies linked with ld -r) once
 * overflowed a stack array sized by the label table; through the public API, and the loaded
 * code must still run, with its cycles split among the labelled phases. */
static void test_duplicate_phase_labels(void **state)
{
    (void)state;
    blob b = read_fixture("fixture_phases2.o");
    se_config cfg;
    se_config_default(&cfg);
    cfg.entry = SE_ENTRY_NONE;
    cfg.pti = cfg.pcid = false;
    se_machine *m = NULL;
    assert_int_equal(se_machine_create(&cfg, &m), SE_OK);
    se_entry_names names = {.entry = "phases_entry", .dispatch = "do_syscall_64"};
    se_status st = se_load_entry_elf(m, b.d, b.len, 0xffffffffa0000000ull, &names);
    if (st != SE_OK)
        print_error("se_load_entry_elf: %s: %s\n", se_status_str(st), se_machine_last_error(m));
    assert_int_equal(st, SE_OK);
    se_regs user = {.rax = 39,
                    .rip = 0x401000,
                    .rsp = 0x7fffffffe000,
                    .rflags = 0x246,
                    .cs = SE_USER_CS,
                    .ss = SE_USER_DS};
    se_outcome out;
    assert_int_equal(se_syscall(m, &user, &out), SE_OK);
    assert_int_equal(out.path, SE_EXIT_SYSRET);
    assert_true(out.phase_cycles[SE_PHASE_ENTRY] > 0);
    assert_true(out.phase_cycles[SE_PHASE_PTREGS] > 0);
    assert_true(out.phase_cycles[SE_PHASE_RESTORE] > 0);
    assert_true(out.phase_cycles[SE_PHASE_SYSRET] > 0);
    se_machine_destroy(m);
    free(b.d);
}

static void note_of_kernel_insn(const se_trace_event *e, void *ctx)
{
    if ((e->rip >> 63) != 0 && e->note[0] != '\0')
        ++*(int *)ctx;
}

/* Code loaded by the user: the library's notes describe its own rebuild (a SWAPGS "back to
 * the user's GS base") and must not be pinned on other code, which has no .se_notes here;
 * and loading a second object is refused for what it is, not with advice to use
 * SE_ENTRY_NONE, which the machine was created with. */
static void test_own_code_notes_and_reload(void **state)
{
    (void)state;
    blob b = read_fixture("fixture_phases2.o");
    se_config cfg;
    se_config_default(&cfg);
    cfg.entry = SE_ENTRY_NONE;
    cfg.pti = cfg.pcid = false;
    se_machine *m = NULL;
    assert_int_equal(se_machine_create(&cfg, &m), SE_OK);
    se_entry_names names = {.entry = "phases_entry", .dispatch = "do_syscall_64"};
    assert_int_equal(se_load_entry_elf(m, b.d, b.len, 0xffffffffa0000000ull, &names), SE_OK);
    int noted = 0;
    se_set_trace(m, note_of_kernel_insn, &noted);
    se_regs user = {.rax = 39,
                    .rip = 0x401000,
                    .rsp = 0x7fffffffe000,
                    .rflags = 0x246,
                    .cs = SE_USER_CS,
                    .ss = SE_USER_DS};
    se_outcome out;
    assert_int_equal(se_syscall(m, &user, &out), SE_OK);
    assert_int_equal(out.path, SE_EXIT_SYSRET);
    assert_int_equal(noted, 0);
    assert_int_equal(se_load_entry_elf(m, b.d, b.len, 0xffffffffa0000000ull, &names), SE_ERR_STATE);
    assert_non_null(strstr(se_machine_last_error(m), "entry code is already loaded"));
    assert_null(strstr(se_machine_last_error(m), "SE_ENTRY_NONE"));
    se_machine_destroy(m);
    free(b.d);
}

/* Found by fuzz_entry_elf: an ET_EXEC segment at a non-canonical upper-half address was
 * refused by the mapper as SE_ERR_INVALID_ARG, a status se_load_entry_elf does not document for
 * a bad file. */
static void test_noncanonical_segment_is_format(void **state)
{
    (void)state;
    blob b = read_fixture("fixture.elf");
    Elf64_Ehdr eh;
    memcpy(&eh, b.d, sizeof eh);
    const uint64_t va = 0xff30ffff81000000ull; /* bit 63 set, bits 47..62 not all ones */
    memcpy(b.d + eh.e_phoff + offsetof(Elf64_Phdr, p_vaddr), &va, sizeof va);
    se_config cfg;
    se_config_default(&cfg);
    cfg.entry = SE_ENTRY_NONE;
    se_machine *m = NULL;
    assert_int_equal(se_machine_create(&cfg, &m), SE_OK);
    se_entry_names names = {.entry = "entry_sym"};
    assert_int_equal(se_load_entry_elf(m, b.d, b.len, 0xffffffffa0000000ull, &names),
                     SE_ERR_FORMAT);
    assert_non_null(strstr(se_machine_last_error(m), "canonical"));
    se_machine_destroy(m);
    free(b.d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rel_placement),
        cmocka_unit_test(test_rel_symbols),
        cmocka_unit_test(test_rel_locals_keep_no_temporaries),
        cmocka_unit_test(test_exec_matches_ld),
        cmocka_unit_test(test_every_truncation_is_format),
        cmocka_unit_test(test_random_mutations),
        cmocka_unit_test(test_arguments),
        cmocka_unit_test(test_crafted_ok),
        cmocka_unit_test(test_crafted_exec_nobits),
        cmocka_unit_test(test_crafted_too_big_is_limit),
        cmocka_unit_test(test_crafted_shstrndx_nobits),
        cmocka_unit_test(test_crafted_shstrndx_null),
        cmocka_unit_test(test_crafted_failure_leaks_nothing),
        cmocka_unit_test(test_duplicate_phase_labels),
        cmocka_unit_test(test_own_code_notes_and_reload),
        cmocka_unit_test(test_noncanonical_segment_is_format),
    };
    int failed = cmocka_run_group_tests_name("loader", tests, NULL, NULL);
    failed += SE_TEST_RUN_ROWS("loader_reloc", reloc_rows, test_reloc_row);
    failed += SE_TEST_RUN_ROWS("loader_load", load_rows, test_load_row);
    failed += SE_TEST_RUN_ROWS("loader_corrupt", corrupt_rows, test_corrupt_row);
    return failed != 0;
}
