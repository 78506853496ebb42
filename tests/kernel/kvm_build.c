/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The synthetic vmlinux of kvm_build.h. */
#include "kvm_build.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ksyms_build.h"

#define SE_KVM_ENTRY   (SE_KVM_TEXT + 0x1000) /* __entry_text_start */
#define SE_KVM_TSS     0x1000u                /* cpu_tss_rw in the per-CPU template */
#define SE_KVM_PERCPU  0x2000u                /* the template's size */
#define SE_KVM_TSS_SP0 (SE_KVM_TSS + 4)       /* struct x86_hw_tss: sp0 after a u32 */
#define SE_KVM_TSS_SP2 (SE_KVM_TSS + 20)

static void put(uint8_t *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

typedef struct se_kvm_code {
    uint8_t b[512];
    size_t n;
} se_kvm_code;

static void emit(se_kvm_code *c, const void *p, size_t n)
{
    if (c->n + n > sizeof c->b)
        abort();
    memcpy(c->b + c->n, p, n);
    c->n += n;
}

static void emit32(se_kvm_code *c, uint32_t v)
{
    uint8_t x[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    emit(c, x, 4);
}

#define EMIT(c, ...)                                                                               \
    do {                                                                                           \
        static const uint8_t bytes_[] = {__VA_ARGS__};                                             \
        emit((c), bytes_, sizeof bytes_);                                                          \
    } while (0)

/* Where the entry code's labels ended up (offsets from SE_KVM_ENTRY). */
typedef struct se_kvm_labels {
    size_t sysret_exit, iret_exit, dispatch;
} se_kvm_labels;

/*
 * The entry text, written out by hand: SWAPGS, the user RSP parked in the TSS's sp2 slot, the
 * stack from sp0, pt_regs pushed as PUSH_AND_CLEAR_REGS lays them out, the call, one check
 * (RCX == RIP, which the loader's decoder names), the two exits, and do_syscall_64 (a RET the
 * library's hook stands in for) kept in the entry text so that it is mapped on the user CR3.
 */
static void se_kvm_entry(se_kvm_code *c, bool call_dispatch, bool ud2, se_kvm_labels *l)
{
    EMIT(c, 0x0F, 0x01, 0xF8);             /* swapgs */
    EMIT(c, 0x65, 0x48, 0x89, 0x24, 0x25); /* mov %rsp, %gs:sp2 */
    emit32(c, SE_KVM_TSS_SP2);
    EMIT(c, 0x65, 0x48, 0x8B, 0x24, 0x25); /* mov %gs:sp0, %rsp */
    emit32(c, SE_KVM_TSS_SP0);
    EMIT(c, 0x6A, 0x2B);             /* push $__USER_DS */
    EMIT(c, 0x65, 0xFF, 0x34, 0x25); /* push %gs:sp2 */
    emit32(c, SE_KVM_TSS_SP2);
    EMIT(c, 0x41, 0x53, 0x6A, 0x33, 0x51, 0x50); /* r11 (flags), $__USER_CS, rcx (ip), orig_ax */
    EMIT(c, 0x57, 0x56, 0x52, 0x51, 0x6A, 0xDA); /* di si dx cx, $-ENOSYS (ax) */
    EMIT(c, 0x41, 0x50, 0x41, 0x51, 0x41, 0x52, 0x41, 0x53);             /* r8..r11 */
    EMIT(c, 0x53, 0x55, 0x41, 0x54, 0x41, 0x55, 0x41, 0x56, 0x41, 0x57); /* bx bp r12..r15 */
    EMIT(c, 0x48, 0x89, 0xE7);                                           /* mov %rsp, %rdi */
    EMIT(c, 0x48, 0x63, 0xF0);                                           /* movslq %eax, %rsi */
    if (ud2) {
        /* a WARN_ON()/BUG_ON() site as the kernel compiles one: the UD2 its __bug_table
         * record names. Only the bug-table variants have it, so that every other variant's
         * code (and the loader's reading of it) stays as it was. */
        if (SE_KVM_ENTRY + c->n != SE_KVM_UD2)
            abort(); /* the tests look for the UD2 at kvm_build.h's address */
        EMIT(c, 0x0F, 0x0B);
    }
    size_t call = c->n;
    EMIT(c, 0x90, 0x90, 0x90, 0x90, 0x90); /* call do_syscall_64 (patched below) */
    EMIT(c, 0x48, 0x8B, 0x4C, 0x24, 0x58); /* mov RCX(%rsp), %rcx */
    EMIT(c, 0x4C, 0x8B, 0x9C, 0x24, 0x80, 0x00, 0x00, 0x00); /* mov RIP(%rsp), %r11 */
    EMIT(c, 0x4C, 0x39, 0xD9);                               /* cmp %r11, %rcx */
    size_t jne = c->n;
    EMIT(c, 0x0F, 0x85, 0, 0, 0, 0); /* jne swapgs_restore_regs_and_return_to_usermode */
    l->sysret_exit = c->n;
    EMIT(c, 0x41, 0x5F, 0x41, 0x5E, 0x41, 0x5D, 0x41, 0x5C, 0x5D, 0x5B); /* r15..r12 bp bx */
    EMIT(c, 0x5E, 0x41, 0x5A, 0x41, 0x59, 0x41, 0x58, 0x58);             /* (r11) r10..r8 ax */
    EMIT(c, 0x5E, 0x5A, 0x5E, 0x5F);                                     /* (cx) dx si di */
    EMIT(c, 0x48, 0x8B, 0x4C, 0x24, 0x08);                               /* mov ip, %rcx */
    EMIT(c, 0x4C, 0x8B, 0x5C, 0x24, 0x18);                               /* mov flags, %r11 */
    EMIT(c, 0x48, 0x8B, 0x64, 0x24, 0x20);                               /* mov sp, %rsp */
    EMIT(c, 0x0F, 0x01, 0xF8, 0x48, 0x0F, 0x07);                         /* swapgs; sysretq */
    l->iret_exit = c->n;
    EMIT(c, 0x41, 0x5F, 0x41, 0x5E, 0x41, 0x5D, 0x41, 0x5C, 0x5D, 0x5B);
    EMIT(c, 0x41, 0x5B, 0x41, 0x5A, 0x41, 0x59, 0x41, 0x58, 0x58);
    EMIT(c, 0x59, 0x5A, 0x5E, 0x5F);
    EMIT(c, 0x48, 0x83, 0xC4, 0x08);       /* skip orig_ax */
    EMIT(c, 0x0F, 0x01, 0xF8, 0x48, 0xCF); /* swapgs; iretq */
    l->dispatch = c->n;
    EMIT(c, 0xC3);
    uint32_t rel = (uint32_t)(l->iret_exit - (jne + 6));
    memcpy(c->b + jne + 2, &rel, 4); /* little-endian hosts only, like the library */
    if (call_dispatch) {
        c->b[call] = 0xE8;
        rel = (uint32_t)(l->dispatch - (call + 5));
        memcpy(c->b + call + 1, &rel, 4);
    }
}

typedef struct se_kvm_sec {
    const char *name;
    uint32_t type, flags;
    uint64_t addr;
    const uint8_t *bytes;
    size_t size;
} se_kvm_sec;

/* An ET_EXEC of the given sections (after a null one) and a .shstrtab, with one PT_LOAD
 * program header over the first section (the image checks want a segment; the loader itself
 * maps by sections). */
static uint8_t *se_kvm_elf(const se_kvm_sec *secs, size_t n, size_t *len)
{
    size_t names = 1 + strlen(".shstrtab") + 1, off = 128; /* the header, one phdr, padding */
    for (size_t i = 0; i < n; i++) {
        names += strlen(secs[i].name) + 1;
        off += (secs[i].size + 15) & ~(size_t)15;
    }
    size_t str_off = off, sh_off = (str_off + names + 7) & ~(size_t)7;
    size_t total = sh_off + (n + 2) * 64;
    uint8_t *e = calloc(1, total);
    if (e == NULL)
        abort();
    memcpy(e,
           "\x7f"
           "ELF\x02\x01\x01",
           7);
    put(e + 16, 2, 2);  /* ET_EXEC */
    put(e + 18, 62, 2); /* EM_X86_64 */
    put(e + 20, 1, 4);
    put(e + 24, SE_KVM_TEXT, 8);
    put(e + 32, 64, 8); /* e_phoff */
    put(e + 40, sh_off, 8);
    put(e + 52, 64, 2);
    put(e + 54, 56, 2); /* e_phentsize */
    put(e + 56, 1, 2);  /* e_phnum */
    put(e + 64, 1, 4);  /* PT_LOAD */
    put(e + 68, 5, 4);  /* R+X */
    put(e + 72, 128, 8);
    put(e + 80, secs[0].addr, 8);
    put(e + 88, secs[0].addr - 0xffffffff80000000ull, 8);
    put(e + 96, secs[0].size, 8);
    put(e + 104, secs[0].size, 8);
    put(e + 112, 0x1000, 8);
    put(e + 58, 64, 2);
    put(e + 60, n + 2, 2);
    put(e + 62, n + 1, 2);
    size_t data = 128, name = 1;
    for (size_t i = 0; i < n; i++) {
        uint8_t *h = e + sh_off + (i + 1) * 64;
        size_t nl = strlen(secs[i].name) + 1;
        memcpy(e + str_off + name, secs[i].name, nl);
        put(h, name, 4);
        put(h + 4, secs[i].type, 4);
        put(h + 8, secs[i].flags, 8);
        put(h + 16, secs[i].addr, 8);
        put(h + 24, data, 8);
        put(h + 32, secs[i].size, 8);
        if (secs[i].bytes != NULL)
            memcpy(e + data, secs[i].bytes, secs[i].size);
        name += nl;
        data += (secs[i].size + 15) & ~(size_t)15;
    }
    uint8_t *h = e + sh_off + (n + 1) * 64;
    memcpy(e + str_off + name, ".shstrtab", strlen(".shstrtab") + 1);
    put(h, name, 4);
    put(h + 4, 3, 4); /* SHT_STRTAB */
    put(h + 24, str_off, 8);
    put(h + 32, names, 8);
    *len = total;
    return e;
}

/*
 * One struct bug_entry (src/kimage/bugtable.h), for a record at rec_va: each displacement is
 * relative to its own field, as CONFIG_GENERIC_BUG_RELATIVE_POINTERS makes it.
 */
static void se_kvm_bug_entry(uint8_t *rec, uint64_t rec_va, uint64_t ud2, uint64_t file,
                             uint16_t line, uint16_t flags)
{
    put(rec, (uint32_t)(ud2 - rec_va), 4);
    put(rec + 4, (uint32_t)(file - (rec_va + 4)), 4);
    put(rec + 8, line, 2);
    put(rec + 10, flags, 2);
}

uint8_t *se_kvm_build(se_kvm_variant v, size_t *len)
{
    enum { PROGBITS = 1, ALLOC = 2, WRITE = 1, EXEC = 4 };
    static uint8_t text[0x2000], data[0x1000], percpu[SE_KVM_PERCPU];
    memset(text, 0xCC, sizeof text); /* int3 wherever nothing was written */
    text[0] = 0xC3;                  /* _text: a RET, the one function outside the entry */
    se_kvm_code c = {.n = 0};
    se_kvm_labels l;
    const bool ud2 = v == SE_KVM_WARN || v == SE_KVM_BUG || v == SE_KVM_UD2_NO_RECORD ||
                     v == SE_KVM_BAD_BUG_TABLE;
    se_kvm_entry(&c, v != SE_KVM_NO_CALL, ud2, &l);
    memcpy(text + 0x1000, c.b, c.n);
    text[SE_KVM_UD2_ELSEWHERE - SE_KVM_TEXT] = 0x0F; /* a UD2 in tfn_255, never run */
    text[SE_KVM_UD2_ELSEWHERE - SE_KVM_TEXT + 1] = 0x0B;
    if (v == SE_KVM_HIDDEN_HAZARD_IMAGE) {
        static const uint8_t movabs[10] = {0x48, 0xB8, 0xF0, 0xA6, 0x90,
                                           0x90, 0x90, 0x90, 0x90, 0x90};
        memcpy(text + (SE_KVM_HIDDEN_MOVABS - SE_KVM_TEXT), movabs, sizeof movabs);
    }
    memset(data, 0, sizeof data);
    memset(percpu, 0, sizeof percpu);
    const uint64_t init_begin = SE_KVM_DATA + 0x200000;
    /* in address order, as kallsyms lists them: the per-CPU offsets first */
    const se_kb_sym named[] = {
        {"A__per_cpu_start", 0},
        {"Acpu_tss_rw", SE_KVM_TSS},
        {"A__per_cpu_end", SE_KVM_PERCPU},
        {"T_text", SE_KVM_TEXT},
        {"T__entry_text_start", SE_KVM_ENTRY},
        {"Tentry_SYSCALL_64", SE_KVM_ENTRY},
        {"Tsyscall_return_via_sysret", SE_KVM_ENTRY + l.sysret_exit},
        {"Tswapgs_restore_regs_and_return_to_usermode", SE_KVM_ENTRY + l.iret_exit},
        {v == SE_KVM_NO_DISPATCH ? "Tdo_syscall_63" : "Tdo_syscall_64", SE_KVM_ENTRY + l.dispatch},
        {"T__entry_text_end", SE_KVM_TEXT + 0x2000},
        {"T_etext", SE_KVM_TEXT + 0x2000},
        {"D_sdata", SE_KVM_DATA},
        {"Dinit_task", SE_KVM_DATA + 0x100},
        {"D_edata", SE_KVM_DATA + sizeof data},
        {"T__init_begin", init_begin},
        {"T__init_end", init_begin + 0x1000},
        {"B_end", init_begin + 0x1000},
    };
    /* the kallsyms finder wants more than one kallsyms_markers entry (over 256 symbols), as
     * any real kernel has: fillers between _text and the entry text, in address order */
    enum { FILL = SE_KVM_FILLERS };
    static char fill_names[FILL][16];
    se_kb_sym syms[sizeof named / sizeof named[0] + FILL];
    size_t n_syms = 0;
    for (size_t i = 0; i < sizeof named / sizeof named[0]; i++) {
        syms[n_syms++] = named[i];
        if (strcmp(named[i].name, "T_text") == 0)
            for (size_t k = 0; k < FILL; k++) {
                snprintf(fill_names[k], sizeof fill_names[k], "tfn_%zu", k);
                syms[n_syms++] = (se_kb_sym){fill_names[k], SE_KVM_TEXT + 8 * (k + 1)};
            }
    }
    static const char banner_61[] = "Linux version 6.1.0-synthetic (sysentry test) #1 SMP";
    static const char banner_68[] = "Linux version 6.8.0-synthetic (sysentry test) #1 SMP";
    static const char banner_612[] = "Linux version 6.12.0-synthetic (sysentry test) #1 SMP";
    const char *banner = v == SE_KVM_NEW_VERSION  ? banner_68
                         : v == SE_KVM_612_NO_BTF ? banner_612
                                                  : banner_61;
    /* rodata ends with the banner and then the file name the bug table points at, as a
     * kernel keeps __FILE__ strings in .rodata */
    char tail[128];
    size_t banner_len = strlen(banner) + 1, file_len = strlen(SE_KVM_BUG_FILE) + 1;
    if (banner_len + file_len > sizeof tail)
        abort();
    memcpy(tail, banner, banner_len);
    memcpy(tail + banner_len, SE_KVM_BUG_FILE, file_len);
    size_t ro_len;
    uint8_t *ro = se_kb_rodata_syms(SE_KB_61, syms, n_syms, SE_KVM_TEXT, tail,
                                    banner_len + file_len, &ro_len);
    const uint64_t file = SE_KB_RODATA + ro_len - file_len;
    /* __bug_table right after .data (BUG_TABLE follows .data in x86's vmlinux.lds.S): the
     * executed UD2's record first (WARN and BUG variants), then the never-run one's */
    const uint64_t bug_va = SE_KVM_DATA + sizeof data;
    uint8_t bugs[2 * 12 + 1] = {0};
    size_t bugs_len = 0;
    if (v == SE_KVM_WARN || v == SE_KVM_BUG || v == SE_KVM_BAD_BUG_TABLE) {
        se_kvm_bug_entry(bugs, bug_va, SE_KVM_UD2, file, SE_KVM_BUG_LINE,
                         v == SE_KVM_BUG ? 0 : 1 /* BUGFLAG_WARNING */);
        bugs_len = 12;
    }
    se_kvm_bug_entry(bugs + bugs_len, bug_va + bugs_len, SE_KVM_UD2_ELSEWHERE, file,
                     SE_KVM_BUG_LINE_ELSEWHERE, 1 /* BUGFLAG_WARNING */);
    bugs_len += 12;
    if (v == SE_KVM_BAD_BUG_TABLE)
        bugs_len++; /* a stray byte after the last whole record */
    se_kvm_sec secs[] = {
        {".text", PROGBITS, ALLOC | EXEC, SE_KVM_TEXT, text, sizeof text},
        {".rodata", PROGBITS, ALLOC, SE_KB_RODATA, ro, ro_len},
        {".data", PROGBITS, ALLOC | WRITE, SE_KVM_DATA, data, sizeof data},
        {"__bug_table", PROGBITS, ALLOC | WRITE, bug_va, bugs, bugs_len},
        {".data..percpu", PROGBITS, ALLOC | WRITE, 0, percpu, sizeof percpu},
    };
    size_t n = sizeof secs / sizeof secs[0] - (v == SE_KVM_NO_PERCPU);
    uint8_t *elf = se_kvm_elf(secs, n, len);
    free(ro);
    return elf;
}
