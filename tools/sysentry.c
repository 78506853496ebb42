/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sysentry: walk a system call through libsysentry's rebuild of Linux's entry_SYSCALL_64.
 *
 *   sysentry trace   [options]   annotated instruction walkthrough with cycles and verdict
 *   sysentry compare [options]   per-phase cycles of the same syscall under several configs
 *   sysentry check   [options]   the built-in scenario table, pass/fail per scenario
 *   sysentry diff    [options]   two machines (two kernel profiles) over many states, compared
 *
 * Output is deterministic: the same inputs give byte-identical text, JSON and SVG.
 */
#define _POSIX_C_SOURCE 200809L /* isatty */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "entry/verdict.h"

/* ---- trace --------------------------------------------------------------------------------- */

typedef struct trace_out {
    FILE *out;
    bool json;
    bool intel;
    FILE *chrome;
    bool first_event;
    bool first_chrome;
    se_phase cur_phase;
    uint64_t phase_start;
    uint64_t t;
} trace_out;

static void chrome_event(trace_out *to, const char *name, const char *cat, int tid, uint64_t ts,
                         uint64_t dur)
{
    fprintf(to->chrome, "%s\n{\"name\":", to->first_chrome ? "" : ",");
    cli_json_string(to->chrome, name);
    fprintf(to->chrome, ",\"cat\":");
    cli_json_string(to->chrome, cat);
    fprintf(to->chrome,
            ",\"ph\":\"X\",\"pid\":1,\"tid\":%d,\"ts\":%" PRIu64 ",\"dur\":%" PRIu64 "}", tid, ts,
            dur);
    to->first_chrome = false;
}

/* Chrome metadata event naming a row (thread) of the trace. */
static void chrome_thread_name(trace_out *to, int tid, const char *name)
{
    fprintf(to->chrome,
            "%s\n{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":1,\"tid\":%d,\"args\":{\"name\":",
            to->first_chrome ? "" : ",", tid);
    cli_json_string(to->chrome, name);
    fprintf(to->chrome, "}}");
    to->first_chrome = false;
}

static void chrome_phase_close(trace_out *to)
{
    if (to->t > to->phase_start)
        chrome_event(to, se_phase_name(to->cur_phase), "phase", 1, to->phase_start,
                     to->t - to->phase_start);
}

static void changes_text(const se_trace_event *e, char *buf, size_t len)
{
    buf[0] = '\0';
    size_t n = 0;
    if (e->changed & SE_TRACE_CPL)
        n += (size_t)snprintf(buf + n, len - n, "CPL %u->%u ", e->cpl_before, e->cpl_after);
    if (n < len && (e->changed & SE_TRACE_CR3))
        n += (size_t)snprintf(buf + n, len - n, "CR3=%" PRIx64 " ", e->cr3_after);
    if (n < len && (e->changed & SE_TRACE_GSBASE))
        n += (size_t)snprintf(buf + n, len - n, "GS=%" PRIx64 " ", e->gs_base_after);
    if (n < len && (e->changed & SE_TRACE_RSP) &&
        ((e->rsp_after ^ e->rsp_before) >> 12) != 0) /* stack switches, not pushes */
        n += (size_t)snprintf(buf + n, len - n, "RSP=%" PRIx64 " ", e->rsp_after);
    if (n < len && (e->changed & SE_TRACE_RFLAGS) &&
        ((e->rflags_before ^ e->rflags_after) & ~0x8D5ull) != 0) /* not just arithmetic */
        n += (size_t)snprintf(buf + n, len - n, "RFLAGS=%" PRIx64 " ", e->rflags_after);
}

static void on_event(const se_trace_event *e, void *ctx)
{
    trace_out *to = ctx;
    char changes[160];
    changes_text(e, changes, sizeof changes);
    char label[64];
    if (e->symbol[0] != '\0')
        snprintf(label, sizeof label, "%s+%" PRIu64, e->symbol, e->symbol_offset);
    else
        snprintf(label, sizeof label, "%s", e->phase == SE_PHASE_USER ? "(user)" : "");
    const char *dis = to->intel ? e->intel : e->att;
    if (to->json) {
        fprintf(to->out, "%s\n    {\"index\":%" PRIu64 ",\"rip\":\"0x%" PRIx64 "\",\"bytes\":\"",
                to->first_event ? "" : ",", e->index, e->rip);
        for (unsigned i = 0; i < e->len; i++)
            fprintf(to->out, "%02x", e->bytes[i]);
        fprintf(to->out, "\",\"att\":");
        cli_json_string(to->out, e->att);
        fprintf(to->out, ",\"intel\":");
        cli_json_string(to->out, e->intel);
        fprintf(to->out, ",\"symbol\":");
        cli_json_string(to->out, e->symbol);
        fprintf(to->out,
                ",\"offset\":%" PRIu64 ",\"phase\":\"%s\",\"cycles\":%u,"
                "\"cycles_total\":%" PRIu64 ",\"cpl\":[%u,%u],\"cr3\":[\"0x%" PRIx64
                "\",\"0x%" PRIx64 "\"],\"gs_base\":[\"0x%" PRIx64 "\",\"0x%" PRIx64
                "\"],\"rsp\":[\"0x%" PRIx64 "\",\"0x%" PRIx64 "\"],\"rflags\":[\"0x%" PRIx64
                "\",\"0x%" PRIx64 "\"],\"note\":",
                e->symbol_offset, se_phase_name(e->phase), e->cycles, e->cycles_total,
                e->cpl_before, e->cpl_after, e->cr3_before, e->cr3_after, e->gs_base_before,
                e->gs_base_after, e->rsp_before, e->rsp_after, e->rflags_before, e->rflags_after);
        cli_json_string(to->out, e->note);
        fputc('}', to->out);
        to->first_event = false;
    } else {
        fprintf(to->out, "%4" PRIu64 "  %016" PRIx64 "  %-34.34s %-34.34s %s%4u%s  %s%-24s%s %s\n",
                e->index, e->rip, label, dis, cli_c("\033[33m"), e->cycles, cli_c("\033[0m"),
                cli_c("\033[36m"), changes, cli_c("\033[0m"), e->note);
    }
    if (to->chrome != NULL) {
        if (e->index == 0 || e->phase != to->cur_phase) {
            if (e->index != 0)
                chrome_phase_close(to);
            to->cur_phase = e->phase;
            to->phase_start = to->t;
        }
        chrome_event(to, dis, se_phase_name(e->phase), 2, to->t, e->cycles ? e->cycles : 1);
        to->t += e->cycles ? e->cycles : 1;
    }
}

typedef struct run_error {
    se_status status;
    char msg[512];
    char label[32]; /* source_label() of the machine that ran */
    /* kernel images: the fault's function, and the WARN/BUG sites the run reached */
    char fault_at[128];
    char warn[4][256];
    unsigned n_warn;
} run_error;

/* JSON/text name of a stop reason: the library has no name function for se_stop_reason. */
static const char *cli_stop_name(se_stop_reason r)
{
    static const char *const names[] = {
        [SE_STOP_NONE] = "none",
        [SE_STOP_ADDRESS] = "address",
        [SE_STOP_USER_RETURN] = "user_return",
        [SE_STOP_FAULT] = "fault",
        [SE_STOP_BUDGET] = "budget",
        [SE_STOP_HLT] = "hlt",
    };
    return (unsigned)r <= SE_STOP_REASON_MAX_VALUE ? names[r] : "unknown";
}

static void print_outcome_text(FILE *out, const se_outcome *o, const cli_run *run,
                               const run_error *info)
{
    fprintf(out, "\n%-12s %8s %7s\n", "phase", "cycles", "share");
    for (int p = 0; p < SE_PHASE_COUNT; p++) {
        if (o->phase_cycles[p] == 0)
            continue;
        fprintf(out, "%-12s %8" PRIu64 " %6.1f%%\n", se_phase_name((se_phase)p), o->phase_cycles[p],
                o->cycles ? 100.0 * (double)o->phase_cycles[p] / (double)o->cycles : 0.0);
    }
    fprintf(out, "%-12s %8" PRIu64, "total", o->cycles);
    if (run->profile.ghz > 0)
        fprintf(out, "  (%.0f ns at %.2f GHz, profile %s)", (double)o->cycles / run->profile.ghz,
                run->profile.ghz, run->profile.name);
    fprintf(out, "\n\nverdict: %s%s%s", cli_c("\033[1m"), se_exit_path_name(o->path),
            cli_c("\033[0m"));
    /* the exit taken, when the path did not end on it (a SYSRET or IRETQ that faulted) */
    if (o->chosen != o->path && o->chosen != SE_EXIT_NONE)
        fprintf(out, " (chosen exit: %s)", se_exit_path_name(o->chosen));
    if (o->stop == SE_STOP_HLT)
        fprintf(out, " (the kernel executed HLT)");
    if (o->failed_check != SE_CHECK_NONE)
        fprintf(out, " (failed check: %s)", se_check_name(o->failed_check));
    else if (o->path == SE_EXIT_SYSRET)
        fprintf(out, " (all SYSRET checks passed)");
    if (o->fault.kind != SE_FAULT_NONE)
        fprintf(out, "; %s %s at 0x%" PRIx64 "%s in ring %u, error code 0x%x",
                se_vector_name(o->fault.vector), se_fault_kind_name(o->fault.kind), o->fault.rip,
                info->fault_at, o->fault.cpl, o->fault.error_code);
    if (o->fault.kind != SE_FAULT_NONE && o->fault.vector == 14) /* #PF: the faulting address */
        fprintf(out, ", CR2 0x%" PRIx64, o->fault.cr2);
    fprintf(out,
            "\n%s: RIP 0x%" PRIx64 " RAX 0x%" PRIx64 " RCX 0x%" PRIx64 " R11 0x%" PRIx64
            " RSP 0x%" PRIx64 " RFLAGS 0x%" PRIx64 " CS 0x%x SS 0x%x\n"
            "%" PRIu64 " guest instructions\n",
            /* o->user holds ring-0 registers when the path stopped in the kernel */
            o->cpl == 3 && o->path != SE_EXIT_FAULT ? "back in user mode"
            : o->cpl == 3                           ? "user state at the fault (ring 3)"
                                                    : "kernel state where it stopped (ring 0)",
            o->user.rip, o->user.rax, o->user.rcx, o->user.r11, o->user.rsp, o->user.rflags,
            o->user.cs, o->user.ss, o->instructions);
    for (unsigned i = 0; i < info->n_warn && i < 4; i++)
        fprintf(out, "%s\n", info->warn[i]);
    if (info->n_warn > 4)
        fprintf(out, "(%u kernel WARN/BUG sites reached in all)\n", info->n_warn);
}

static void print_outcome_json(FILE *out, const se_outcome *o, const cli_run *run)
{
    fprintf(out, "\n  ],\n  \"phases\": {");
    for (int p = 0; p < SE_PHASE_COUNT; p++)
        fprintf(out, "%s\"%s\": %" PRIu64, p ? ", " : "", se_phase_name((se_phase)p),
                o->phase_cycles[p]);
    fprintf(out,
            "},\n  \"outcome\": {\"path\": \"%s\", \"chosen\": \"%s\", \"stop\": \"%s\", "
            "\"failed_check\": \"%s\", \"cycles\": %" PRIu64 ", \"instructions\": %" PRIu64
            ", \"profile\": ",
            se_exit_path_name(o->path), se_exit_path_name(o->chosen), cli_stop_name(o->stop),
            se_check_name(o->failed_check), o->cycles, o->instructions);
    cli_json_string(out, run->profile.name);
    fprintf(out, ", \"fault\": ");
    if (o->fault.kind == SE_FAULT_NONE)
        fprintf(out, "null");
    else
        fprintf(out,
                "{\"vector\": %u, \"name\": \"%s\", \"kind\": \"%s\", \"error_code\": %u, "
                "\"rip\": \"0x%" PRIx64 "\", \"cr2\": \"0x%" PRIx64 "\", \"cpl\": %u}",
                o->fault.vector, se_vector_name(o->fault.vector), se_fault_kind_name(o->fault.kind),
                o->fault.error_code, o->fault.rip, o->fault.cr2, o->fault.cpl);
    /* "user" keeps its name for existing readers; "cpl" says whose registers they are */
    fprintf(out,
            ", \"cpl\": %u, \"user\": {\"rip\": \"0x%" PRIx64 "\", \"rax\": \"0x%" PRIx64
            "\", \"rcx\": \"0x%" PRIx64 "\", \"r11\": \"0x%" PRIx64 "\", \"rsp\": \"0x%" PRIx64
            "\", \"rflags\": \"0x%" PRIx64 "\", \"cs\": \"0x%x\", \"ss\": \"0x%x\"}}\n}\n",
            o->cpl, o->user.rip, o->user.rax, o->user.rcx, o->user.r11, o->user.rsp, o->user.rflags,
            o->user.cs, o->user.ss);
}

/* Why a run failed, kept so that --json can report it as one object instead of printing it. */

/* What ran, for column headings: "linux-6.12" for a kernel image, "rebuild-6.6" else. */
static void source_label(se_machine *m, const cli_run *run, char *buf, size_t len)
{
    se_kernel_info ki;
    if (run->kernel_image != NULL && se_kernel_info_get(m, &ki) == SE_OK)
        snprintf(buf, len, "linux-%u.%u", ki.major, ki.minor);
    else
        snprintf(buf, len, "rebuild-%s", se_kernel_name(run->cfg.kernel));
}

static int run_one_ex(cli_run *run, se_trace_fn fn, void *ctx, se_outcome *o, run_error *err)
{
    se_machine *m = cli_machine_ex(run, &err->status, err->msg, sizeof err->msg);
    if (m == NULL)
        return 1;
    source_label(m, run, err->label, sizeof err->label);
    cli_install_handler(m, run);
    se_set_cost_profile(m, &run->profile);
    if (fn != NULL)
        se_set_trace(m, fn, ctx);
    se_status st = se_syscall(m, &run->user, o);
    err->fault_at[0] = '\0';
    uint64_t off;
    const char *sym =
        o->fault.kind != SE_FAULT_NONE ? se_kernel_symbol(m, o->fault.rip, &off) : NULL;
    if (sym != NULL)
        snprintf(err->fault_at, sizeof err->fault_at, " (%s+0x%" PRIx64 ")", sym, off);
    err->n_warn = se_kernel_warning_count(m);
    for (unsigned i = 0; i < err->n_warn && i < 4; i++) {
        se_kernel_warning w;
        if (se_kernel_warning_get(m, i, &w) == SE_OK)
            snprintf(err->warn[i], sizeof err->warn[i],
                     "kernel %s at 0x%" PRIx64 " %s+0x%" PRIx64 " (%s:%u)%s",
                     w.warning ? "WARN" : "BUG", w.addr, w.symbol ? w.symbol : "?", w.offset,
                     w.file ? w.file : "?", w.line,
                     w.warning ? ": reported, the kernel goes on" : ": the kernel oopses");
    }
    if (st != SE_OK) {
        err->status = st;
        snprintf(err->msg, sizeof err->msg, "%s: %s", se_status_str(st), se_machine_last_error(m));
        se_machine_destroy(m);
        return 1;
    }
    se_machine_destroy(m);
    return 0;
}

/* Shared options a command does not use: accepting them silently would let a user believe
 * they changed the result. Each list holds the option names its command refuses. */
static const char *const compare_unused[] = {"--pti",  "--no-pti",  "--no-pcid", "--ibrs",
                                             "--verw", "--restart", NULL};
static const char *const check_unused[] = {"--nr",        "--reg",          "--ret",
                                           "--set",       "--restart",      "--entry",
                                           "--entry-sym", "--dispatch-sym", NULL};

static bool in_list(const char *const *list, const char *s, size_t len)
{
    for (; list != NULL && *list != NULL; list++)
        if (strlen(*list) == len && !strncmp(*list, s, len))
            return true;
    return false;
}

/* cli_common_help without the options in `unused`: an option line is dropped with its
 * continuation lines, and a section heading is printed only if one of its options is. */
static void common_help_except(FILE *out, const char *const *unused)
{
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    if (mem == NULL) {
        cli_common_help(out);
        return;
    }
    cli_common_help(mem);
    fclose(mem);
    const char *heading = NULL;
    size_t heading_len = 0;
    bool keep = true;
    for (const char *line = text; *line != '\0';) {
        const char *eol = strchr(line, '\n');
        size_t n = eol ? (size_t)(eol - line) + 1 : strlen(line);
        if (line[0] != ' ') { /* a section heading */
            heading = line;
            heading_len = n;
        } else if (!strncmp(line, "  --", 4)) { /* an option: its first name decides */
            size_t w = strcspn(line + 2, " /");
            keep = !in_list(unused, line + 2, w);
            if (keep && heading != NULL) {
                fwrite(heading, 1, heading_len, out);
                heading = NULL;
            }
        }
        if (line[0] == ' ' && keep)
            fwrite(line, 1, n, out);
        line += n;
    }
    free(text);
}

/* 1 if option `o` (just consumed by cli_parse_common) is one that `cmd` refuses. */
static bool refuse_unused(const char *cmd, const char *o, const char *const *unused,
                          const char *why)
{
    if (!in_list(unused, o, strlen(o)))
        return false;
    fprintf(stderr, "sysentry %s: option '%s' does not apply: %s (see sysentry %s --help)\n", cmd,
            o, why, cmd);
    return true;
}

static void trace_help(FILE *out)
{
    fputs("usage: sysentry trace [options]\n"
          "Run one syscall through the entry path and print every instruction with its phase,\n"
          "cycles, state changes and a note; then the phase totals and the verdict.\n"
          "output:\n"
          "  --json                  machine-readable output on stdout\n"
          "  --chrome FILE           Chrome/Perfetto trace-event JSON (1 us = 1 cycle)\n"
          "  --intel                 Intel syntax (default AT&T)\n"
          "  --color / --no-color    colour (default: only on a terminal)\n",
          out);
    cli_common_help(out);
}

static int cmd_trace(int argc, char **argv)
{
    cli_run run;
    cli_run_defaults(&run);
    trace_out to = {.out = stdout, .first_event = true, .first_chrome = true};
    const char *chrome_path = NULL;
    cli_color = isatty(STDOUT_FILENO);
    for (int i = 0; i < argc; i++) {
        int r = cli_parse_common(argc, argv, &i, &run);
        if (r < 0)
            return 2;
        if (r > 0)
            continue;
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            trace_help(stdout);
            return 0;
        } else if (!strcmp(argv[i], "--json")) {
            to.json = true;
        } else if (!strcmp(argv[i], "--intel")) {
            to.intel = true;
        } else if (!strcmp(argv[i], "--color")) {
            cli_color = true;
        } else if (!strcmp(argv[i], "--no-color")) {
            cli_color = false;
        } else if (!strcmp(argv[i], "--chrome") && i + 1 < argc) {
            chrome_path = argv[++i];
        } else {
            fprintf(stderr, "sysentry trace: unknown option '%s' (see sysentry trace --help)\n",
                    argv[i]);
            return 2;
        }
    }
    if (to.json)
        cli_color = false;
    if (chrome_path != NULL && (to.chrome = fopen(chrome_path, "w")) == NULL) {
        fprintf(stderr, "sysentry trace: cannot write '%s'\n", chrome_path);
        return 2;
    }
    if (to.chrome != NULL) {
        fprintf(to.chrome, "{\"displayTimeUnit\":\"ns\",\"traceEvents\":[");
        /* name the two rows, or viewers show bare thread ids */
        chrome_thread_name(&to, 1, "phases");
        chrome_thread_name(&to, 2, "instructions");
    }
    /* The whole report is built in memory and printed only if the run succeeds: a failure
     * must not leave a header or a truncated JSON document on stdout. */
    char *report = NULL;
    size_t report_len = 0;
    to.out = open_memstream(&report, &report_len);
    if (to.out == NULL) {
        fprintf(stderr, "sysentry trace: out of memory\n");
        return 1;
    }
    if (to.json) {
        fprintf(to.out, "{\n  \"config\": ");
        cli_json_string(to.out, cli_config_label(&run.cfg));
        fprintf(to.out, ",\n  \"events\": [");
    } else {
        if (run.kernel_image != NULL)
            fprintf(to.out,
                    "libsysentry %s: one syscall through the kernel image %s, its own "
                    "entry_SYSCALL_64 (labels from its kallsyms)\n",
                    SE_VERSION_STRING, run.kernel_image);
        else if (run.entry_file != NULL)
            fprintf(to.out, "libsysentry %s: one syscall through the entry code of %s (%s)\n",
                    SE_VERSION_STRING, run.entry_file,
                    run.entry_sym ? run.entry_sym : "entry_SYSCALL_64");
        else
            fprintf(to.out, "libsysentry %s: one syscall through the rebuilt entry_SYSCALL_64\n",
                    SE_VERSION_STRING);
        fprintf(to.out, "config: %s; cost profile %s\n", cli_config_label(&run.cfg),
                run.profile.name);
        fprintf(to.out,
                "user:   RIP 0x%" PRIx64 " RAX 0x%" PRIx64 " RSP 0x%" PRIx64 " RFLAGS 0x%" PRIx64
                "\n\n",
                run.user.rip, run.user.rax, run.user.rsp, run.user.rflags);
        fprintf(to.out, "%4s  %-16s  %-34s %-34s %4s  %-24s %s\n", "#", "address", "label",
                "instruction", "cyc", "changes", "note");
    }
    se_outcome o;
    run_error err;
    int rc = run_one_ex(&run, on_event, &to, &o, &err);
    if (to.chrome != NULL) {
        if (rc == 0)
            chrome_phase_close(&to);
        fprintf(to.chrome, "\n]}\n");
        fclose(to.chrome);
        if (rc != 0)
            remove(chrome_path); /* a trace of a run that did not happen */
    }
    if (rc == 0) {
        if (to.json)
            print_outcome_json(to.out, &o, &run);
        else
            print_outcome_text(to.out, &o, &run, &err);
    }
    fclose(to.out);
    if (rc == 0) {
        fwrite(report, 1, report_len, stdout);
    } else {
        fprintf(stderr, "sysentry: %s\n", err.msg);
        if (to.json) {
            printf("{\"error\": ");
            cli_json_string(stdout, err.msg);
            printf(", \"status\": \"%s\"}\n", se_status_str(err.status));
        }
    }
    free(report);
    return rc;
}

/* ---- compare ------------------------------------------------------------------------------ */

typedef struct named_cfg {
    const char *name;
    bool pti, pcid, ibrs, verw;
    bool iret; /* force the IRET path (a syscall restart) */
} named_cfg;

static const named_cfg known_cfgs[] = {
    {"nopti", false, false, false, false, false},
    {"pti", true, false, false, false, false},
    {"pti+pcid", true, true, false, false, false},
    {"pti+pcid+ibrs", true, true, true, false, false},
    {"pti+pcid+ibrs+verw", true, true, true, true, false},
    {"iret", true, true, false, false, true},
    {"nopti+iret", false, false, false, false, true},
};

static const char *const phase_colors[SE_PHASE_COUNT] = {"#9e9e9e", "#4e79a7", "#e15759", "#f28e2b",
                                                         "#76b7b2", "#59a14f", "#edc948", "#ff9da7",
                                                         "#b07aa1", "#9c755f", "#bab0ac"};

static void compare_help(FILE *out)
{
    fputs("usage: sysentry compare [options]\n"
          "Run the same syscall under several configurations and print the per-phase cycles.\n"
          "  --configs LIST          comma-separated, from: nopti pti pti+pcid pti+pcid+ibrs\n"
          "                          pti+pcid+ibrs+verw iret nopti+iret\n"
          "                          (default nopti,pti,pti+pcid,pti+pcid+ibrs,iret)\n"
          "  --image FILE            also run a kernel image (vmlinuz or vmlinux), side by side\n"
          "                          with the rebuild (or --kernel-image); repeat for up to 3;\n"
          "                          the default --configs is then pti+pcid\n"
          "  --svg FILE              also draw the comparison as a stacked bar chart\n"
          "  --json                  machine-readable output\n",
          out);
    common_help_except(out, compare_unused);
}

static int cmd_compare(int argc, char **argv)
{
    cli_run base;
    cli_run_defaults(&base);
    char list[256] = "nopti,pti,pti+pcid,pti+pcid+ibrs,iret";
    bool list_set = false;
    const char *svg = NULL;
    const char *images[4] = {NULL}; /* [0]: the base run's own (--kernel-image or none) */
    int n_images = 1;
    bool json = false;
    for (int i = 0; i < argc; i++) {
        const char *o = argv[i];
        int r = cli_parse_common(argc, argv, &i, &base);
        if (r < 0)
            return 2;
        if (r > 0) {
            if (refuse_unused("compare", o, compare_unused,
                              "each configuration sets PTI, PCID, IBRS, VERW and the restart; "
                              "choose them with --configs"))
                return 2;
            continue;
        }
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            compare_help(stdout);
            return 0;
        } else if (!strcmp(argv[i], "--configs") && i + 1 < argc) {
            snprintf(list, sizeof list, "%s", argv[++i]);
            list_set = true;
        } else if (!strcmp(argv[i], "--image") && i + 1 < argc) {
            if (n_images == 4) {
                fprintf(stderr, "sysentry compare: at most 3 --image\n");
                return 2;
            }
            images[n_images++] = argv[++i];
        } else if (!strcmp(argv[i], "--svg") && i + 1 < argc) {
            svg = argv[++i];
        } else if (!strcmp(argv[i], "--json")) {
            json = true;
        } else {
            fprintf(stderr, "sysentry compare: unknown option '%s' (see --help)\n", argv[i]);
            return 2;
        }
    }
    if (n_images > 1 && !list_set)
        snprintf(list, sizeof list, "pti+pcid");
    images[0] = base.kernel_image;
    const named_cfg *cfgs[16];
    se_outcome outs[16];
    char names[16][48];
    int n = 0;
    for (char *tok = strtok(list, ","); tok != NULL; tok = strtok(NULL, ",")) {
        const named_cfg *found = NULL;
        for (size_t k = 0; k < sizeof known_cfgs / sizeof known_cfgs[0]; k++)
            if (!strcmp(tok, known_cfgs[k].name))
                found = &known_cfgs[k];
        if (found == NULL || n == 16) {
            fprintf(stderr, "sysentry compare: unknown configuration '%s'\n", tok);
            return 2;
        }
        cfgs[n++] = found;
    }
    if (n == 0) { /* an empty table would read as a successful comparison */
        fprintf(stderr, "sysentry compare: --configs names no configuration\n");
        return 2;
    }
    if (n * n_images > 16) {
        fprintf(stderr, "sysentry compare: %d configurations x %d sources: at most 16 columns\n", n,
                n_images);
        return 2;
    }
    /* columns: every configuration of each source (the base run, then each --image) */
    int n_cfg = n;
    for (int s = 1; s < n_images; s++)
        for (int k = 0; k < n_cfg; k++)
            cfgs[n++] = cfgs[k];
    for (int k = 0; k < n; k++) {
        cli_run run = base;
        run.kernel_image = images[k / n_cfg];
        run.cfg.pti = cfgs[k]->pti;
        run.cfg.pcid = cfgs[k]->pcid;
        run.cfg.ibrs = cfgs[k]->ibrs;
        run.cfg.verw = cfgs[k]->verw;
        run.restart = cfgs[k]->iret;
        run_error err;
        if (run_one_ex(&run, NULL, NULL, &outs[k], &err) != 0) {
            fprintf(stderr, "sysentry: %s\n", err.msg);
            return 1;
        }
        if (n_images > 1)
            snprintf(names[k], sizeof names[k], "%s:%s", err.label, cfgs[k]->name);
        else
            snprintf(names[k], sizeof names[k], "%s", cfgs[k]->name);
        /* the IRET configurations force that exit by a restart in the handler; a column named
         * after an exit it did not take would mislabel the numbers */
        if (cfgs[k]->iret && outs[k].chosen != SE_EXIT_IRET) {
            fprintf(stderr,
                    "sysentry compare: configuration '%s' should leave by IRET (a syscall "
                    "restart in the handler) but took %s%s\n",
                    cfgs[k]->name, se_exit_path_name(outs[k].chosen),
                    (uint32_t)run.user.rax >= SE_LINUX_NR_SYSCALLS
                        ? ": this syscall number never reaches the handler"
                        : "");
            return 1;
        }
    }
    if (json) {
        printf("{\"profile\": ");
        cli_json_string(stdout, base.profile.name);
        printf(", \"configs\": [");
        for (int k = 0; k < n; k++) {
            printf("%s\n  {\"name\": \"%s\", \"path\": \"%s\", \"cycles\": %" PRIu64
                   ", \"phases\": {",
                   k ? "," : "", names[k], se_exit_path_name(outs[k].path), outs[k].cycles);
            for (int p = 0; p < SE_PHASE_COUNT; p++)
                printf("%s\"%s\": %" PRIu64, p ? ", " : "", se_phase_name((se_phase)p),
                       outs[k].phase_cycles[p]);
            printf("}}");
        }
        printf("\n]}\n");
    } else {
        printf("cycles per phase, cost profile %s (%s)\n\n%-12s", base.profile.name,
               se_vendor_name(base.cfg.vendor), "phase");
        for (int k = 0; k < n; k++)
            printf(" %22s", names[k]);
        printf("\n");
        for (int p = 0; p < SE_PHASE_COUNT; p++) {
            bool any = false;
            for (int k = 0; k < n; k++)
                any = any || outs[k].phase_cycles[p] != 0;
            if (!any)
                continue;
            printf("%-12s", se_phase_name((se_phase)p));
            for (int k = 0; k < n; k++)
                printf(" %22" PRIu64, outs[k].phase_cycles[p]);
            printf("\n");
        }
        printf("%-12s", "total");
        for (int k = 0; k < n; k++)
            printf(" %22" PRIu64, outs[k].cycles);
        printf("\n%-12s", "exit");
        for (int k = 0; k < n; k++)
            printf(" %22s", se_exit_path_name(outs[k].path));
        printf("\n");
    }
    if (svg != NULL) {
        FILE *f = fopen(svg, "w");
        if (f == NULL) {
            fprintf(stderr, "sysentry compare: cannot write '%s'\n", svg);
            return 2;
        }
        uint64_t maxc = 1;
        for (int k = 0; k < n; k++)
            maxc = outs[k].cycles > maxc ? outs[k].cycles : maxc;
        const int left = 160, width = 600, bar = 28, gap = 14, top = 40;
        int height = top + n * (bar + gap) + 60;
        fprintf(f,
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                "font-family=\"sans-serif\" font-size=\"12\">\n",
                left + width + 120, height);
        fprintf(f,
                "<text x=\"10\" y=\"22\" font-size=\"15\">Cycles per phase of one syscall "
                "(profile %s)</text>\n",
                base.profile.name);
        for (int k = 0; k < n; k++) {
            int y = top + k * (bar + gap);
            fprintf(f, "<text x=\"10\" y=\"%d\">%s</text>\n", y + bar / 2 + 4, names[k]);
            double x = left;
            for (int p = 0; p < SE_PHASE_COUNT; p++) {
                double w = (double)width * (double)outs[k].phase_cycles[p] / (double)maxc;
                if (w <= 0)
                    continue;
                fprintf(f,
                        "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\">"
                        "<title>%s: %" PRIu64 " cycles</title></rect>\n",
                        x, y, w, bar, phase_colors[p], se_phase_name((se_phase)p),
                        outs[k].phase_cycles[p]);
                x += w;
            }
            fprintf(f, "<text x=\"%.1f\" y=\"%d\">%" PRIu64 "</text>\n", x + 6, y + bar / 2 + 4,
                    outs[k].cycles);
        }
        int ly = top + n * (bar + gap) + 20, lx = 10;
        for (int p = 0; p < SE_PHASE_COUNT; p++) {
            fprintf(f,
                    "<rect x=\"%d\" y=\"%d\" width=\"10\" height=\"10\" fill=\"%s\"/>"
                    "<text x=\"%d\" y=\"%d\">%s</text>\n",
                    lx, ly, phase_colors[p], lx + 14, ly + 10, se_phase_name((se_phase)p));
            lx += 80;
        }
        fprintf(f, "</svg>\n");
        fclose(f);
    }
    return 0;
}

/* ---- check -------------------------------------------------------------------------------- */

/* The scenarios are the library's (se_diff_scenarios), the table `sysentry diff` runs too. */
static void check_handler(se_machine *m, long nr, se_pt_regs *r, void *ctx)
{
    (void)m;
    (void)nr;
    se_diff_apply_edits(ctx, r);
}

static int cmd_check(int argc, char **argv)
{
    cli_run base;
    cli_run_defaults(&base);
    bool both_vendors = true, both_kernels = true;
    for (int i = 0; i < argc; i++) {
        const char *o = argv[i];
        int r = cli_parse_common(argc, argv, &i, &base);
        if (r < 0)
            return 2;
        if (r > 0) {
            if (refuse_unused("check", o, check_unused,
                              "the scenarios set the registers and the handler's actions, on "
                              "the built-in entry code"))
                return 2;
            if (!strcmp(o, "--vendor"))
                both_vendors = false;
            if (!strcmp(o, "--kernel"))
                both_kernels = false;
            continue;
        }
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs("usage: sysentry check [options]\n"
                  "Run the built-in scenarios (each SYSRET check made to fail, the vsyscall and\n"
                  "top-of-user-space addresses, a plain syscall) under both vendors and both\n"
                  "kernel profiles, unless --vendor/--kernel pin one, and compare each verdict\n"
                  "with the C reference of the return decision. Exit status 1 if any fails.\n",
                  stdout);
            common_help_except(stdout, check_unused);
            return 0;
        }
        fprintf(stderr, "sysentry check: unknown option '%s' (see --help)\n", argv[i]);
        return 2;
    }
    int failed = 0, total = 0;
    for (int v = 0; v <= SE_VENDOR_MAX_VALUE; v++) {
        if (!both_vendors && v != (int)base.cfg.vendor)
            continue;
        for (int k = 0; k <= SE_KERNEL_PROFILE_MAX_VALUE; k++) {
            /* an image runs once per vendor; its release picks the reference below */
            if (base.kernel_image != NULL ? k != SE_KERNEL_6_6
                                          : !both_kernels && k != (int)base.cfg.kernel)
                continue;
            se_config cfg = base.cfg;
            cfg.vendor = (se_vendor)v;
            cfg.kernel = (se_kernel_profile)k;
            se_machine *m = NULL;
            char why[512];
            se_status st;
            if (base.kernel_image != NULL) {
                cli_run rk = base;
                rk.cfg = cfg;
                m = cli_machine_ex(&rk, &st, why, sizeof why);
            } else {
                st = se_machine_create_ex(&cfg, &m, why, sizeof why);
            }
            if (st != SE_OK) {
                fprintf(stderr, "sysentry check: cannot create the machine: %s: %s\n",
                        se_status_str(st), why);
                return 1;
            }
            /* a 6.1-6.6 image decides in assembly, as the 6.6 reference does; a 6.7+ image
             * in C, as 6.7's does */
            se_kernel_profile kref = (se_kernel_profile)k;
            se_kernel_info ki;
            if (base.kernel_image != NULL && se_kernel_info_get(m, &ki) == SE_OK)
                kref = ki.c_entry ? SE_KERNEL_6_12 : SE_KERNEL_6_6;
            se_cost_profile prof = base.profile;
            if (!base.profile_set) /* as --vendor does: price each vendor with its own */
                se_cost_profile_builtin(v == SE_VENDOR_AMD ? "zen4" : "skylake", &prof);
            se_set_cost_profile(m, &prof);
            size_t n_scenarios;
            const se_diff_case *scenarios = se_diff_scenarios(&n_scenarios);
            for (size_t s = 0; s < n_scenarios; s++) {
                const se_diff_case *sc = &scenarios[s];
                char name[128];
                snprintf(name, sizeof name, "%s/%s/%s", se_vendor_name(cfg.vendor),
                         base.kernel_image != NULL ? "image" : se_kernel_name((se_kernel_profile)k),
                         sc->name);
                printf("[RUN]  %s: %s\n", name, sc->what);
                se_set_syscall_handler(m, check_handler, (void *)sc);
                se_outcome o;
                total++;
                st = se_syscall(m, &sc->user, &o);
                if (st != SE_OK) {
                    printf("[FAIL] %s: %s: %s\n", name, se_status_str(st),
                           se_machine_last_error(m));
                    failed++;
                    continue;
                }
                /* the oracle: the C reference of the decision, from the final pt_regs */
                se_check want =
                    se_verdict(kref, &o.frame, cfg.la57, cfg.disabled_checks, cfg.xen_pv);
                bool canon = se_is_canonical(o.frame.ip, cfg.la57 ? 57 : 48);
                se_exit_path want_path =
                    want == SE_CHECK_NONE
                        ? (canon || v == SE_VENDOR_AMD ? SE_EXIT_SYSRET : SE_EXIT_FAULT)
                        : (canon ? SE_EXIT_IRET : SE_EXIT_FAULT);
                /* the exit the decision picked, even when that exit then faulted */
                se_exit_path want_chosen = want == SE_CHECK_NONE ? SE_EXIT_SYSRET : SE_EXIT_IRET;
                bool ok = o.failed_check == want && o.path == want_path && o.chosen == want_chosen;
                printf("%s %s: %s", ok ? "[OK]  " : "[FAIL]", name, se_exit_path_name(o.path));
                if (o.chosen != o.path)
                    printf(" (chosen exit %s)", se_exit_path_name(o.chosen));
                if (o.failed_check != SE_CHECK_NONE)
                    printf(" (failed check %s)", se_check_name(o.failed_check));
                if (o.fault.kind != SE_FAULT_NONE)
                    printf(", %s in ring %u", se_vector_name(o.fault.vector), o.fault.cpl);
                if (!ok)
                    printf("; expected %s, check %s", se_exit_path_name(want_path),
                           se_check_name(want));
                printf("\n");
                failed += !ok;
            }
            se_machine_destroy(m);
        }
    }
    printf("\n%d of %d scenarios passed\n", total - failed, total);
    return failed ? 1 : 0;
}

/* ---- diff --------------------------------------------------------------------------------- */

static const char *const diff_unused[] = {"--nr",      "--reg",   "--ret",       "--set",
                                          "--restart", "--entry", "--entry-sym", "--dispatch-sym",
                                          "--cpu",     NULL};

#define DIFF_SHOW_MAX 10

typedef struct diff_out {
    bool json;
    unsigned shown;    /* unexplained mismatches printed so far, over all configurations */
    bool first_in_cfg; /* JSON: no comma before the next mismatch */
} diff_out;

static const char *const diff_field_names[SE_DIFF_F_COUNT] = {"status", "path", "chosen", "check",
                                                              "fault",  "cpl",  "regs"};

static void diff_side_text(const char *label, se_status st, const se_outcome *o)
{
    printf("    %s: ", label);
    if (st != SE_OK) {
        printf("status %s\n", se_status_str(st));
        return;
    }
    printf("%s (chosen %s, check %s), cpl %u", se_exit_path_name(o->path),
           se_exit_path_name(o->chosen), se_check_name(o->failed_check), o->cpl);
    if (o->fault.kind != SE_FAULT_NONE)
        printf(", %s %s error 0x%x in ring %u at 0x%" PRIx64, se_fault_kind_name(o->fault.kind),
               se_vector_name(o->fault.vector), o->fault.error_code, o->fault.cpl, o->fault.rip);
    printf("\n");
    if (o->cpl == 3)
        printf("      rip 0x%" PRIx64 " rflags 0x%" PRIx64 " rsp 0x%" PRIx64 " rax 0x%" PRIx64
               " rcx 0x%" PRIx64 " r11 0x%" PRIx64 " cs 0x%x ss 0x%x\n",
               o->user.rip, o->user.rflags, o->user.rsp, o->user.rax, o->user.rcx, o->user.r11,
               o->user.cs, o->user.ss);
}

static void diff_side_json(const char *label, se_status st, const se_outcome *o)
{
    printf("\"%s\": {\"status\": ", label);
    cli_json_string(stdout, se_status_str(st));
    printf(", \"path\": \"%s\", \"chosen\": \"%s\", \"check\": \"%s\", \"cpl\": %u, "
           "\"fault\": \"%s\", \"error_code\": %u, \"rip\": \"0x%" PRIx64 "\"}",
           se_exit_path_name(o->path), se_exit_path_name(o->chosen), se_check_name(o->failed_check),
           o->cpl, o->fault.kind == SE_FAULT_NONE ? "none" : se_vector_name(o->fault.vector),
           o->fault.error_code, o->user.rip);
}

static void diff_on_mismatch(const se_diff_mismatch *mm, void *ctx)
{
    diff_out *d = ctx;
    if (mm->explanation != NULL || d->shown >= DIFF_SHOW_MAX)
        return;
    d->shown++;
    const se_diff_case *c = mm->c;
    if (d->json) {
        printf("%s\n      {\"case\": ", d->first_in_cfg ? "" : ",");
        d->first_in_cfg = false;
        cli_json_string(stdout, c->name);
        printf(", \"fields\": [");
        bool first = true;
        for (unsigned i = 0; i < SE_DIFF_F_COUNT; i++)
            if (mm->fields & (1u << i)) {
                printf("%s\"%s\"", first ? "" : ", ", diff_field_names[i]);
                first = false;
            }
        printf("], ");
        diff_side_json("a", mm->status_a, mm->a);
        printf(", ");
        diff_side_json("b", mm->status_b, mm->b);
        printf("}");
        return;
    }
    printf("  unexplained: case %s (%s), differs in:", c->name, c->what ? c->what : "");
    for (unsigned i = 0; i < SE_DIFF_F_COUNT; i++)
        if (mm->fields & (1u << i))
            printf(" %s", diff_field_names[i]);
    printf("\n    user: rip 0x%" PRIx64 " rax 0x%" PRIx64 " rflags 0x%" PRIx64 " rsp 0x%" PRIx64
           "\n    handler:",
           c->user.rip, c->user.rax, c->user.rflags, c->user.rsp);
    const struct {
        uint32_t bit;
        const char *name;
        uint64_t v;
    } edits[] = {{SE_DIFF_SET_IP, "ip", c->edit.ip},          {SE_DIFF_SET_CX, "cx", c->edit.cx},
                 {SE_DIFF_SET_CS, "cs", c->edit.cs},          {SE_DIFF_SET_SS, "ss", c->edit.ss},
                 {SE_DIFF_SET_FLAGS, "flags", c->edit.flags}, {SE_DIFF_SET_R11, "r11", c->edit.r11},
                 {SE_DIFF_SET_AX, "ax", c->edit.ax}};
    for (size_t i = 0; i < sizeof edits / sizeof edits[0]; i++)
        if (c->set & edits[i].bit)
            printf(" %s=0x%" PRIx64, edits[i].name, edits[i].v);
    printf("%s\n", c->restart ? " restart" : "");
    diff_side_text("a", mm->status_a, mm->a);
    diff_side_text("b", mm->status_b, mm->b);
}

static void diff_help(FILE *out)
{
    fputs("usage: sysentry diff [options]\n"
          "Run the built-in scenarios and random register states through two machines, A with\n"
          "--kernel and B with --against, and compare their outcomes (docs/diff.md). By default\n"
          "both vendors x PTI on/off x LA57 on/off; --vendor, --pti, --la57 pin one. Prints one\n"
          "line per configuration and up to 10 unexplained disagreements in full. Exit status 1\n"
          "if any disagreement is not a documented profile difference.\n"
          "diff:\n"
          "  --against 6.6|6.7|6.12  profile of machine B (default: the same as --kernel)\n"
          "  --states N              random states per configuration (default 1000)\n"
          "  --seed S                random generator seed (default 1)\n"
          "  --pti on|off            pin PTI (--no-pti is --pti off)\n"
          "  --la57 on|off           pin 4- or 5-level paging\n"
          "  --against-disable CHECK patch a check out of machine B only (a known-bad B)\n"
          "  --json                  machine-readable output on stdout\n",
          out);
    common_help_except(out, diff_unused);
}

static int parse_on_off(const char *o, const char *v, bool *out)
{
    if (v != NULL && !strcmp(v, "on"))
        *out = true;
    else if (v != NULL && !strcmp(v, "off"))
        *out = false;
    else {
        fprintf(stderr, "sysentry diff: %s wants on or off\n", o);
        return -1;
    }
    return 0;
}

static int cmd_diff(int argc, char **argv)
{
    cli_run base;
    cli_run_defaults(&base);
    se_kernel_profile against = SE_KERNEL_6_6;
    bool against_set = false, json = false;
    bool pin_vendor = false, pin_pti = false, pin_la57 = false;
    uint64_t states = 1000, seed = 1;
    uint32_t b_disabled = 0; /* a check patched out of machine B only: a known disagreement */
    for (int i = 0; i < argc; i++) {
        const char *o = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        /* --pti and --la57 take on|off here: handled before the shared flag forms */
        if (!strcmp(o, "--pti") || !strcmp(o, "--la57")) {
            bool on;
            if (parse_on_off(o, v, &on) < 0)
                return 2;
            i++;
            if (o[2] == 'p') {
                base.cfg.pti = on;
                pin_pti = true;
            } else {
                base.cfg.la57 = on;
                pin_la57 = true;
            }
            continue;
        }
        if (!strcmp(o, "--against") || !strcmp(o, "--profile") || !strcmp(o, "--states") ||
            !strcmp(o, "--seed")) {
            if (v == NULL) {
                fprintf(stderr, "sysentry diff: %s needs an argument\n", o);
                return 2;
            }
            i++;
            bool ok = !strcmp(o, "--against") || !strcmp(o, "--profile")
                          ? cli_parse_kernel(v, &against)
                      : !strcmp(o, "--states") ? cli_parse_u64(v, &states)
                                               : cli_parse_u64(v, &seed);
            if (!ok) {
                fprintf(stderr, "sysentry diff: bad value '%s' for %s\n", v, o);
                return 2;
            }
            against_set |= !strcmp(o, "--against") || !strcmp(o, "--profile");
            continue;
        }
        if (!strcmp(o, "--json")) {
            json = true;
            continue;
        }
        if (!strcmp(o, "--against-disable")) {
            int found = 0;
            for (int c = 1; v != NULL && c <= SE_CHECK_MAX_VALUE; c++)
                if (!strcmp(v, se_check_name((se_check)c))) {
                    b_disabled |= SE_CHECK_BIT(c);
                    found = 1;
                }
            if (!found) {
                fprintf(stderr, "sysentry diff: --against-disable wants a check name\n");
                return 2;
            }
            i++;
            continue;
        }
        if (!strcmp(o, "--help") || !strcmp(o, "-h")) {
            diff_help(stdout);
            return 0;
        }
        int r = cli_parse_common(argc, argv, &i, &base);
        if (r < 0)
            return 2;
        if (r > 0) {
            if (refuse_unused("diff", o, diff_unused,
                              "the cases set the registers and the handler's actions, on the "
                              "built-in entry code"))
                return 2;
            pin_vendor |= !strcmp(o, "--vendor");
            pin_pti |= !strcmp(o, "--no-pti");
            continue;
        }
        fprintf(stderr, "sysentry diff: unknown option '%s' (see --help)\n", o);
        return 2;
    }
    if (!against_set)
        against = base.cfg.kernel;
    if (!against_set && base.kernel_image != NULL) {
        /* the profile the rebuild holds to the image's release: 6.6 for 6.1 (checks in
         * assembly), 6.12 for 6.12 (checks in C) */
        se_status st;
        char why[512];
        se_machine *probe = cli_machine_ex(&base, &st, why, sizeof why);
        se_kernel_info ki;
        if (probe == NULL || se_kernel_info_get(probe, &ki) != SE_OK) {
            fprintf(stderr, "sysentry diff: %s\n", why);
            se_machine_destroy(probe);
            return 1;
        }
        against = ki.c_entry ? SE_KERNEL_6_12 : SE_KERNEL_6_6;
        se_machine_destroy(probe);
    }

    diff_out d = {.json = json};
    uint64_t total_unexplained = 0;
    bool first_cfg = true;
    if (json)
        printf("{\"kernel\": \"%s\", \"against\": \"%s\", \"states\": %" PRIu64
               ", \"seed\": %" PRIu64 ", \"configurations\": [",
               se_kernel_name(base.cfg.kernel), se_kernel_name(against), states, seed);
    for (int v = 0; v <= SE_VENDOR_MAX_VALUE; v++) {
        if (pin_vendor && v != (int)base.cfg.vendor)
            continue;
        for (int pti = 1; pti >= 0; pti--) {
            if (pin_pti && pti != (int)base.cfg.pti)
                continue;
            for (int la57 = 0; la57 <= 1; la57++) {
                if (pin_la57 && la57 != (int)base.cfg.la57)
                    continue;
                se_config ca = base.cfg;
                ca.vendor = (se_vendor)v;
                ca.pti = pti;
                ca.la57 = la57;
                se_config cb = ca;
                cb.kernel = against;
                cb.disabled_checks |= b_disabled;
                se_machine *a = NULL, *b = NULL;
                se_kernel_info ki;
                memset(&ki, 0, sizeof ki);
                char why[512];
                se_status st;
                char a_name[80];
                snprintf(a_name, sizeof a_name, "%s", se_kernel_name(ca.kernel));
                if (base.kernel_image != NULL) {
                    /* A: the distribution kernel's own code; B: the rebuild's profile */
                    cli_run ra = base;
                    ra.cfg = ca;
                    a = cli_machine_ex(&ra, &st, why, sizeof why);
                    if (a != NULL && se_kernel_info_get(a, &ki) == SE_OK)
                        snprintf(a_name, sizeof a_name, "Linux %u.%u image", ki.major, ki.minor);
                } else {
                    st = se_machine_create_ex(&ca, &a, why, sizeof why);
                }
                if (st == SE_OK)
                    st = se_machine_create_ex(&cb, &b, why, sizeof why);
                if (st != SE_OK) {
                    fprintf(stderr, "sysentry diff: cannot create the machine: %s: %s\n",
                            se_status_str(st), why);
                    se_machine_destroy(a);
                    return 1;
                }
                char label[128];
                snprintf(label, sizeof label, "%s, PTI %s, %s-level, %s vs %s",
                         se_vendor_name(ca.vendor), pti ? "on" : "off", la57 ? "5" : "4", a_name,
                         se_kernel_name(cb.kernel));
                if (json) {
                    printf("%s\n    {\"config\": ", first_cfg ? "" : ",");
                    cli_json_string(stdout, label);
                    printf(", \"mismatches\": [");
                    first_cfg = false;
                    d.first_in_cfg = true;
                }
                se_diff_options opts = {.seed = seed,
                                        .random_cases = states,
                                        .scenarios = true,
                                        .on_mismatch = diff_on_mismatch,
                                        .mismatch_ctx = &d,
                                        .explain = base.kernel_image != NULL
                                                       ? se_diff_explain_kernel
                                                       : se_diff_explain_profiles,
                                        .explain_ctx = &ki};
                se_diff_summary sum;
                st = se_diff_run(a, b, &opts, &sum);
                if (st != SE_OK) {
                    fprintf(stderr, "sysentry diff: %s: %s\n", se_status_str(st),
                            se_machine_last_error(a));
                    se_machine_destroy(a);
                    se_machine_destroy(b);
                    return 1;
                }
                total_unexplained += sum.unexplained;
                if (json)
                    printf("], \"cases\": %" PRIu64 ", \"agreed\": %" PRIu64
                           ", \"explained\": %" PRIu64 ", \"unexplained\": %" PRIu64 "}",
                           sum.cases, sum.agreed, sum.explained, sum.unexplained);
                else
                    printf("%-44s %6" PRIu64 " cases %6" PRIu64 " agree %6" PRIu64
                           " explained %6" PRIu64 " unexplained\n",
                           label, sum.cases, sum.agreed, sum.explained, sum.unexplained);
                se_machine_destroy(a);
                se_machine_destroy(b);
            }
        }
    }
    if (json)
        printf("\n  ], \"unexplained\": %" PRIu64 "}\n", total_unexplained);
    else if (total_unexplained > DIFF_SHOW_MAX)
        printf("(%" PRIu64 " unexplained in all; the first %d are shown)\n", total_unexplained,
               DIFF_SHOW_MAX);
    return total_unexplained ? 1 : 0;
}

/* ---- main --------------------------------------------------------------------------------- */

static void usage(FILE *out)
{
    fputs("usage: sysentry <command> [options]\n"
          "  trace     walk one syscall through the entry path, instruction by instruction\n"
          "  compare   per-phase cycles of one syscall under several configurations\n"
          "  check     built-in scenario table with pass/fail per verdict\n"
          "  diff      the same states through two machines (two kernel profiles), compared\n"
          "  calibrate the cycle model next to published round-trip figures\n"
          "  bench     performance figures: native vs emulated, tracing, fuzzing, memory\n"
          "Run 'sysentry <command> --help' for the options of a command.\n",
          out);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("sysentry %s\n", SE_VERSION_STRING);
        return 0;
    }
    if (!strcmp(argv[1], "trace"))
        return cmd_trace(argc - 2, argv + 2);
    if (!strcmp(argv[1], "compare"))
        return cmd_compare(argc - 2, argv + 2);
    if (!strcmp(argv[1], "check"))
        return cmd_check(argc - 2, argv + 2);
    if (!strcmp(argv[1], "diff"))
        return cmd_diff(argc - 2, argv + 2);
    if (!strcmp(argv[1], "calibrate"))
        return cli_calibrate(argc - 2, argv + 2);
    if (!strcmp(argv[1], "bench"))
        return cli_bench(argc - 2, argv + 2);
    fprintf(stderr, "sysentry: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
