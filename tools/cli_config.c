/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Options shared by the subcommands: configuration, registers, handler actions. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

bool cli_parse_u64(const char *s, uint64_t *out)
{
    if (s == NULL || *s == '\0')
        return false;
    errno = 0;
    char *end;
    bool neg = s[0] == '-';
    unsigned long long v = strtoull(neg ? s + 1 : s, &end, 0);
    if (errno != 0 || *end != '\0' || end == (neg ? s + 1 : s))
        return false;
    *out = neg ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    return true;
}

bool cli_parse_kernel(const char *s, se_kernel_profile *out)
{
    if (!strcmp(s, "6.6"))
        *out = SE_KERNEL_6_6;
    else if (!strcmp(s, "6.7") || !strcmp(s, "6.7+"))
        *out = SE_KERNEL_6_7;
    else if (!strcmp(s, "6.12"))
        *out = SE_KERNEL_6_12;
    else
        return false;
    return true;
}

void cli_run_defaults(cli_run *run)
{
    memset(run, 0, sizeof *run);
    se_config_default(&run->cfg);
    se_cost_profile_builtin("skylake", &run->profile);
    run->user.rax = 39; /* getpid */
    run->user.rip = 0x401000;
    run->user.rsp = 0x7fffffffd000;
    run->user.rflags = 0x246;
    run->user.cs = SE_USER_CS;
    run->user.ss = SE_USER_DS;
}

void cli_common_help(FILE *out)
{
    fputs("configuration:\n"
          "  --vendor intel|amd      CPU vendor semantics (default intel; amd also picks the\n"
          "                          zen4 cost profile unless --cpu is given)\n"
          "  --la57                  5-level paging, 57-bit addresses\n"
          "  --no-pti / --no-pcid    page-table isolation / PCIDs off (default: both on)\n"
          "  --ibrs                  IBRS_ENTER/IBRS_EXIT writes to IA32_SPEC_CTRL\n"
          "  --verw                  CLEAR_CPU_BUFFERS (VERW) before the return\n"
          "  --xen-pv                behave as a Xen PV guest (check C0)\n"
          "  --kernel 6.6|6.7|6.12   kernel profile: SYSRET checks, exit path (default 6.6)\n"
          "  --disable CHECK         patch a check out: rcx_rip canonical cs r11_flags rf_tf ss\n"
          "                          xen_pv (repeatable)\n"
          "  --cpu skylake|zen4|FILE cost profile, built-in or a profile file\n"
          "  --cpl-switch auto|surgery|portable\n"
          "registers (numbers in C syntax: 0x.., decimal, negative):\n"
          "  --nr N                  RAX, the syscall number (default 39, getpid)\n"
          "  --reg NAME=VALUE        any of rax rbx rcx rdx rsi rdi rbp rsp r8..r15 rip rflags\n"
          "                          gs_base fs_base (repeatable)\n"
          "your own entry code (see docs/embedding.md):\n"
          "  --entry FILE            an ELF object to load instead of the built-in entry\n"
          "  --entry-sym NAME        its SYSCALL target (default entry_SYSCALL_64)\n"
          "  --dispatch-sym NAME     where the C handler runs (default do_syscall_64)\n"
          "a distribution kernel (see docs/real-kernels.md):\n"
          "  --kernel-image FILE     run this vmlinuz/vmlinux's own entry code (Linux 6.1-6.6)\n"
          "  --symbols FILE          its System.map or /proc/kallsyms (default: its kallsyms)\n"
          "  --kernel-feature F      also give the CPU bhi, rethunk or unret (repeatable)\n"
          "handler (what the kernel did to pt_regs before the exit checks):\n"
          "  --ret N                 pt_regs->ax (the return value; default 4242)\n"
          "  --set FIELD=VALUE       FIELD in ip cx r11 flags cs ss sp ax (repeatable)\n"
          "  --restart               syscall restart: ax = orig_ax, ip -= 2\n",
          out);
}

static uint64_t *cli_user_reg(se_regs *r, const char *name)
{
    const struct {
        const char *name;
        uint64_t *slot;
    } regs[] = {
        {"rax", &r->rax},         {"rbx", &r->rbx},         {"rcx", &r->rcx},
        {"rdx", &r->rdx},         {"rsi", &r->rsi},         {"rdi", &r->rdi},
        {"rbp", &r->rbp},         {"rsp", &r->rsp},         {"r8", &r->r8},
        {"r9", &r->r9},           {"r10", &r->r10},         {"r11", &r->r11},
        {"r12", &r->r12},         {"r13", &r->r13},         {"r14", &r->r14},
        {"r15", &r->r15},         {"rip", &r->rip},         {"rflags", &r->rflags},
        {"gs_base", &r->gs_base}, {"fs_base", &r->fs_base},
    };
    for (size_t i = 0; i < sizeof regs / sizeof regs[0]; i++)
        if (strcmp(regs[i].name, name) == 0)
            return regs[i].slot;
    return NULL;
}

static const char *const cli_set_fields[] = {"ip", "cx", "r11", "flags", "cs", "ss", "sp", "ax"};

__attribute__((format(printf, 1, 2))) static int cli_err(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "sysentry: ");
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return -1;
}

int cli_parse_common(int argc, char **argv, int *i, cli_run *run)
{
    const char *o = argv[*i];
    const char *v = *i + 1 < argc ? argv[*i + 1] : NULL;
#define NEED_ARG()                                                                                 \
    do {                                                                                           \
        if (v == NULL)                                                                             \
            return cli_err("%s needs an argument", o);                                             \
        (*i)++;                                                                                    \
    } while (0)
    if (!strcmp(o, "--vendor")) {
        NEED_ARG();
        if (!strcmp(v, "intel"))
            run->cfg.vendor = SE_VENDOR_INTEL;
        else if (!strcmp(v, "amd"))
            run->cfg.vendor = SE_VENDOR_AMD;
        else
            return cli_err("unknown vendor '%s' (intel or amd)", v);
        /* cycles of an AMD run priced as a Skylake would mislead: follow the vendor */
        if (!run->profile_set)
            se_cost_profile_builtin(run->cfg.vendor == SE_VENDOR_AMD ? "zen4" : "skylake",
                                    &run->profile);
    } else if (!strcmp(o, "--la57")) {
        run->cfg.la57 = true;
    } else if (!strcmp(o, "--no-pti")) {
        run->cfg.pti = false;
    } else if (!strcmp(o, "--pti")) {
        run->cfg.pti = true;
    } else if (!strcmp(o, "--no-pcid")) {
        run->cfg.pcid = false;
    } else if (!strcmp(o, "--ibrs")) {
        run->cfg.ibrs = true;
    } else if (!strcmp(o, "--verw")) {
        run->cfg.verw = true;
    } else if (!strcmp(o, "--xen-pv")) {
        run->cfg.xen_pv = true;
    } else if (!strcmp(o, "--kernel")) {
        NEED_ARG();
        if (!cli_parse_kernel(v, &run->cfg.kernel))
            return cli_err("unknown kernel profile '%s' (6.6, 6.7 or 6.12)", v);
    } else if (!strcmp(o, "--disable")) {
        NEED_ARG();
        int found = 0;
        for (int c = 1; c <= SE_CHECK_MAX_VALUE; c++)
            if (!strcmp(v, se_check_name((se_check)c))) {
                run->cfg.disabled_checks |= SE_CHECK_BIT(c);
                found = 1;
            }
        if (!found)
            return cli_err("unknown check '%s' (rcx_rip canonical cs r11_flags rf_tf ss xen_pv)",
                           v);
    } else if (!strcmp(o, "--cpu")) {
        NEED_ARG();
        run->profile_set = true;
        if (se_cost_profile_builtin(v, &run->profile) != SE_OK) {
            FILE *f = fopen(v, "r");
            if (f == NULL)
                return cli_err("'%s' is neither a built-in profile (skylake, zen4) nor a "
                               "readable file",
                               v);
            static char text[65536];
            size_t n = fread(text, 1, sizeof text - 1, f);
            bool big = !feof(f);
            fclose(f);
            if (big)
                return cli_err("profile file '%s' is larger than 64 KiB", v);
            text[n] = '\0';
            char err[512]; /* an incomplete profile lists every missing key */
            if (se_cost_profile_parse(text, &run->profile, err, sizeof err) != SE_OK) {
                fprintf(stderr, "sysentry: %s: %s\n", v, err);
                return -1;
            }
        }
    } else if (!strcmp(o, "--cpl-switch")) {
        NEED_ARG();
        if (!strcmp(v, "auto"))
            run->cfg.cpl_switch = SE_CPL_SWITCH_AUTO;
        else if (!strcmp(v, "surgery"))
            run->cfg.cpl_switch = SE_CPL_SWITCH_SURGERY;
        else if (!strcmp(v, "portable"))
            run->cfg.cpl_switch = SE_CPL_SWITCH_PORTABLE;
        else
            return cli_err("unknown CPL switch '%s' (auto, surgery, portable)", v);
    } else if (!strcmp(o, "--nr")) {
        NEED_ARG();
        if (!cli_parse_u64(v, &run->user.rax))
            return cli_err("bad number '%s'", v);
    } else if (!strcmp(o, "--reg")) {
        NEED_ARG();
        char name[16];
        const char *eq = strchr(v, '=');
        if (eq == NULL || (size_t)(eq - v) >= sizeof name)
            return cli_err("--reg wants NAME=VALUE, got '%s'", v);
        memcpy(name, v, (size_t)(eq - v));
        name[eq - v] = '\0';
        uint64_t *slot = cli_user_reg(&run->user, name);
        if (slot == NULL)
            return cli_err("unknown register '%s'", name);
        if (!cli_parse_u64(eq + 1, slot))
            return cli_err("bad number in '%s'", v);
    } else if (!strcmp(o, "--ret")) {
        NEED_ARG();
        if (!cli_parse_u64(v, &run->ret))
            return cli_err("bad number '%s'", v);
        run->have_ret = true;
    } else if (!strcmp(o, "--set")) {
        NEED_ARG();
        const char *eq = strchr(v, '=');
        if (eq == NULL)
            return cli_err("--set wants FIELD=VALUE, got '%s'", v);
        if (run->n_sets == CLI_MAX_SETS)
            return cli_err("too many --set options (at most 16)");
        cli_set *s = &run->sets[run->n_sets];
        s->field = NULL;
        for (size_t k = 0; k < sizeof cli_set_fields / sizeof cli_set_fields[0]; k++)
            if (strlen(cli_set_fields[k]) == (size_t)(eq - v) &&
                !strncmp(v, cli_set_fields[k], (size_t)(eq - v)))
                s->field = cli_set_fields[k];
        if (s->field == NULL)
            return cli_err("unknown pt_regs field in '%s' (ip cx r11 flags cs ss sp ax)", v);
        if (!cli_parse_u64(eq + 1, &s->value))
            return cli_err("bad number in '%s'", v);
        run->n_sets++;
    } else if (!strcmp(o, "--restart")) {
        run->restart = true;
    } else if (!strcmp(o, "--entry")) {
        NEED_ARG();
        run->entry_file = v;
    } else if (!strcmp(o, "--entry-sym")) {
        NEED_ARG();
        run->entry_sym = v;
    } else if (!strcmp(o, "--dispatch-sym")) {
        NEED_ARG();
        run->dispatch_sym = v;
    } else if (!strcmp(o, "--kernel-image")) {
        NEED_ARG();
        run->kernel_image = v;
    } else if (!strcmp(o, "--kernel-feature")) {
        NEED_ARG();
        if (!strcmp(v, "bhi"))
            run->kernel_features |= SE_KERNEL_FEAT_CLEAR_BHB_LOOP;
        else if (!strcmp(v, "rethunk"))
            run->kernel_features |= SE_KERNEL_FEAT_RETHUNK;
        else if (!strcmp(v, "unret"))
            run->kernel_features |= SE_KERNEL_FEAT_UNRET;
        else
            return cli_err("unknown kernel feature '%s' (bhi rethunk unret)", v);
    } else if (!strcmp(o, "--symbols")) {
        NEED_ARG();
        run->symbols_file = v;
    } else {
        return 0;
    }
#undef NEED_ARG
    return 1;
}

static void cli_handler(se_machine *m, long nr, se_pt_regs *r, void *ctx)
{
    const cli_run *run = ctx;
    (void)m;
    (void)nr;
    r->ax = run->have_ret ? run->ret : 4242; /* a plausible pid for the default getpid */
    if (run->restart) {
        r->ax = r->orig_ax;
        r->ip -= 2;
    }
    for (int i = 0; i < run->n_sets; i++) {
        const cli_set *s = &run->sets[i];
        uint64_t *f = !strcmp(s->field, "ip")      ? &r->ip
                      : !strcmp(s->field, "cx")    ? &r->cx
                      : !strcmp(s->field, "r11")   ? &r->r11
                      : !strcmp(s->field, "flags") ? &r->flags
                      : !strcmp(s->field, "cs")    ? &r->cs
                      : !strcmp(s->field, "ss")    ? &r->ss
                      : !strcmp(s->field, "sp")    ? &r->sp
                                                   : &r->ax;
        *f = s->value;
    }
}

void cli_install_handler(se_machine *m, cli_run *run)
{
    se_set_syscall_handler(m, cli_handler, run);
}

const char *cli_config_label(const se_config *cfg)
{
    static char buf[160];
    /* without PTI there is no CR3 switch on the path, so a PCID setting changes nothing */
    snprintf(buf, sizeof buf, "%s, %s-level paging, PTI %s%s%s%s, Linux %s",
             se_vendor_name(cfg->vendor), cfg->la57 ? "5" : "4",
             !cfg->pti   ? "off"
             : cfg->pcid ? "on, PCID on"
                         : "on, PCID off",
             cfg->ibrs ? ", IBRS" : "", cfg->verw ? ", VERW" : "", cfg->xen_pv ? ", Xen PV" : "",
             se_kernel_name(cfg->kernel));
    return buf;
}

se_machine *cli_machine(cli_run *run)
{
    se_status st;
    char why[512];
    se_machine *m = cli_machine_ex(run, &st, why, sizeof why);
    if (m == NULL)
        fprintf(stderr, "sysentry: %s\n", why);
    return m;
}

uint8_t *cli_read_file(const char *path, size_t *len)
{
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    uint8_t *buf = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n == cap) {
            cap = cap ? cap * 2 : (size_t)1 << 20;
            uint8_t *nb = cap <= ((size_t)1 << 30) ? realloc(buf, cap) : NULL;
            if (nb == NULL) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = nb;
        }
        size_t r = fread(buf + n, 1, cap - n, f);
        n += r;
        if (r == 0)
            break;
    }
    bool bad = ferror(f) != 0;
    fclose(f);
    if (bad || n == 0) {
        free(buf);
        return NULL;
    }
    *len = n;
    return buf;
}

/* A distribution kernel in a machine created with SE_ENTRY_NONE. */
static se_machine *cli_kernel_machine(cli_run *run, se_config cfg, se_status *st_out, char *msg,
                                      size_t msglen)
{
    cfg.entry = SE_ENTRY_NONE;
    if (cfg.phys_mem_size < SE_KERNEL_RAM_DEFAULT)
        cfg.phys_mem_size = SE_KERNEL_RAM_DEFAULT;
    size_t len = 0, sym_len = 0;
    uint8_t *img = cli_read_file(run->kernel_image, &len);
    if (img == NULL) {
        *st_out = SE_ERR_IO;
        snprintf(msg, msglen, "cannot read kernel image '%s'", run->kernel_image);
        return NULL;
    }
    uint8_t *syms = NULL;
    if (run->symbols_file != NULL && (syms = cli_read_file(run->symbols_file, &sym_len)) == NULL) {
        free(img);
        *st_out = SE_ERR_IO;
        snprintf(msg, msglen, "cannot read symbols '%s'", run->symbols_file);
        return NULL;
    }
    se_machine *m = NULL;
    char why[256];
    se_status st = se_machine_create_ex(&cfg, &m, why, sizeof why);
    if (st == SE_OK) {
        se_kernel_opts ko = {.symbols = (const char *)syms,
                             .symbols_len = sym_len,
                             .features = run->kernel_features};
        st = se_load_kernel_image(m, img, len, &ko);
        if (st != SE_OK)
            snprintf(why, sizeof why, "%s", se_machine_last_error(m));
    }
    free(img);
    free(syms);
    *st_out = st;
    if (st != SE_OK) {
        snprintf(msg, msglen, "%s: %s: %s", run->kernel_image, se_status_str(st), why);
        se_machine_destroy(m);
        return NULL;
    }
    return m;
}

se_machine *cli_machine_ex(cli_run *run, se_status *st_out, char *msg, size_t msglen)
{
    se_config cfg = run->cfg;
    if (run->kernel_image != NULL && run->entry_file != NULL) {
        *st_out = SE_ERR_INVALID_ARG;
        snprintf(msg, msglen, "--kernel-image and --entry cannot be combined");
        return NULL;
    }
    if (run->kernel_image != NULL)
        return cli_kernel_machine(run, cfg, st_out, msg, msglen);
    if (run->entry_file != NULL)
        cfg.entry = SE_ENTRY_NONE;
    se_machine *m = NULL;
    char why[256];
    se_status st = se_machine_create_ex(&cfg, &m, why, sizeof why);
    *st_out = st;
    if (st != SE_OK) {
        snprintf(msg, msglen, "cannot create the machine: %s%s%s", se_status_str(st),
                 why[0] ? ": " : "", why);
        return NULL;
    }
    if (run->entry_file == NULL)
        return m;
    FILE *f = fopen(run->entry_file, "rb");
    static uint8_t obj[1 << 22];
    size_t len = f ? fread(obj, 1, sizeof obj, f) : 0;
    if (f != NULL)
        fclose(f);
    if (len == 0) {
        *st_out = SE_ERR_IO;
        snprintf(msg, msglen, "cannot read entry object '%s'", run->entry_file);
        se_machine_destroy(m);
        return NULL;
    }
    se_entry_names names;
    se_entry_names_linux(&names);
    if (run->entry_sym != NULL || run->dispatch_sym != NULL) {
        /* a foreign object: only the names given, no Linux labels */
        memset(&names, 0, sizeof names);
        names.entry = run->entry_sym ? run->entry_sym : "entry_SYSCALL_64";
        names.dispatch = run->dispatch_sym;
    }
    st = se_load_entry_elf(m, obj, len, 0xffffffffa0000000ull, &names);
    if (st != SE_OK) {
        *st_out = st;
        snprintf(msg, msglen, "%s: %s", run->entry_file, se_machine_last_error(m));
        se_machine_destroy(m);
        return NULL;
    }
    return m;
}
