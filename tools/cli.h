/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The sysentry command-line tool: shared declarations. */
#ifndef SE_CLI_H
#define SE_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <sysentry/sysentry.h>

/* What the handler does to pt_regs before the exit checks. */
typedef struct cli_set {
    const char *field; /* ip, cx, r11, flags, cs, ss, sp, ax */
    uint64_t value;
} cli_set;

#define CLI_MAX_SETS 16

/* One syscall to run: machine configuration, user registers, handler action. */
typedef struct cli_run {
    se_config cfg;
    se_cost_profile profile;
    se_regs user;
    cli_set sets[CLI_MAX_SETS];
    int n_sets;
    bool restart; /* ax = orig_ax, ip -= 2 */
    bool have_ret;
    uint64_t ret;
    /* your own entry code (se_load_entry_elf) instead of the built-in one */
    const char *entry_file;
    const char *entry_sym, *dispatch_sym;
    /* a distribution kernel (se_load_kernel_image) instead of the built-in entry */
    const char *kernel_image, *symbols_file;
    uint32_t kernel_features; /* SE_KERNEL_FEAT_* */
    bool profile_set; /* --cpu given: --vendor no longer picks the vendor's built-in profile */
} cli_run;

/* Create the machine for run->cfg, with the user's entry object if one was named.
 * Prints a message and returns NULL on failure. */
se_machine *cli_machine(cli_run *run);
/* The same without printing: on failure *st and why say what went wrong (for --json). */
se_machine *cli_machine_ex(cli_run *run, se_status *st, char *why, size_t whylen);

/* Read a whole file into a malloc'd buffer (NULL on error or an empty file). */
uint8_t *cli_read_file(const char *path, size_t *len);
/* Parse one option shared by trace/compare/check. Returns 1 if consumed (advancing *i),
 * 0 if not an option of this family, -1 on error (message printed). */
int cli_parse_common(int argc, char **argv, int *i, cli_run *run);
void cli_run_defaults(cli_run *run);
void cli_common_help(FILE *out);
bool cli_parse_u64(const char *s, uint64_t *out);
/* "6.6", "6.7" (or "6.7+"), "6.12"; false for anything else */
bool cli_parse_kernel(const char *s, se_kernel_profile *out);
/* Install the handler implementing run->sets on m. */
void cli_install_handler(se_machine *m, cli_run *run);
const char *cli_config_label(const se_config *cfg);

/* sysentry calibrate (calibrate.c) */
int cli_calibrate(int argc, char **argv);
/* sysentry bench (bench.c) */
int cli_bench(int argc, char **argv);

/* Output helpers */
void cli_json_string(FILE *out, const char *s);
extern bool cli_color;
const char *cli_c(const char *code); /* ANSI code or "" without colour */

#endif
