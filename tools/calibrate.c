/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sysentry calibrate: fit the cycle model's free constants to published round-trip figures by
 * least squares and say, for every figure, how well the model predicts it when that figure is
 * left out of the fit. A figure that alone determines a constant cannot be predicted at all;
 * it is listed as such instead of being shown as a match (docs/cycle-model.md, Calibration).
 *
 * sysentry calibrate --host: measure this machine's getppid round trip and compare it with the
 * model for the matching built-in profile and configuration.
 */
#define _POSIX_C_SOURCE 200809L
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>

#if defined(__x86_64__)
#include <cpuid.h>
#include <x86intrin.h>
#endif

#include "cli.h"
#include "timing/lsq.h"

/* One configuration of the emulated path. */
typedef struct cal_cfg {
    const char *profile; /* built-in profile: "skylake" (Intel) or "zen4" (AMD) */
    bool pti, pcid, ibrs;
    bool iret; /* a restarted call: RCX != RIP forces the IRET exit */
} cal_cfg;

/* A published (or, for the host row, measured here) figure. Its target in cycles is `ticks`,
 * or `ns` times the measured clock `ghz` (0: the clock was not stated; the profile's is used).
 * A differential anchor is `cfg` minus `base`. */
typedef struct anchor {
    const char *id;
    cal_cfg cfg;
    bool diff;
    cal_cfg base;
    double ns, ticks, ghz;
    const char *what; /* machine, OS, what was measured */
    const char *url;  /* public source */
} anchor;

#define SKL(...)                                                                                   \
    {                                                                                              \
        "skylake", __VA_ARGS__                                                                     \
    }
static const anchor anchors[] = {
    {"zen4-nopti",
     {"zen4", false, false, false, false},
     false,
     {0},
     0,
     313,
     0,
     "getppid, Linux 6.x on an AMD Zen 4 guest, no PTI (retpolines, SRSO safe-RET): 313 TSC "
     "ticks, best of batches; measured here, rerun with `sysentry calibrate --host`",
     "(this project)"},
    {"dfly-none",
     SKL(false, false, false, false),
     false,
     {0},
     103,
     0,
     3.2,
     "DragonFly BSD, Skylake i5-6500 @ 3.2 GHz, meltdown_mitigation=0 spectre_mitigation=0: "
     "103 ns",
     "https://gitweb.dragonflybsd.org/dragonfly.git/commit/"
     "8ed0657196b63163619ab4783b55acf8c1dc13c3"},
    {"dfly-iso",
     SKL(true, false, false, false),
     false,
     {0},
     360,
     0,
     3.2,
     "same machine, meltdown_mitigation=1 (isolated page tables, no PCID): 360 ns",
     "https://gitweb.dragonflybsd.org/dragonfly.git/commit/"
     "8ed0657196b63163619ab4783b55acf8c1dc13c3"},
    {"dfly-iso-ibrs2",
     SKL(true, false, false, false),
     false,
     {0},
     404,
     0,
     3.2,
     "same machine, isolation + spectre_mitigation=2 (IBRS left set, no WRMSR on the path; the "
     "model has no cost for IBRS being set): 404 ns",
     "https://gitweb.dragonflybsd.org/dragonfly.git/commit/"
     "8ed0657196b63163619ab4783b55acf8c1dc13c3"},
    {"dfly-iso-ibrs1",
     SKL(true, false, true, false),
     false,
     {0},
     848,
     0,
     3.2,
     "same machine, isolation (no PCID) + spectre_mitigation=1 (WRMSR SPEC_CTRL at entry and "
     "exit): 848 ns",
     "https://gitweb.dragonflybsd.org/dragonfly.git/commit/"
     "8ed0657196b63163619ab4783b55acf8c1dc13c3"},
    {"fbsd-pcid", SKL(true, true, false, false), true, SKL(false, false, false, false), 139, 0, 0,
     "FreeBSD, Haswell with INVPCID (clock not stated), getppid: PTI with PCID 478 ns vs no PTI "
     "339 ns, +139 ns",
     "https://reviews.freebsd.org/D13985"},
    {"linux-iret", SKL(false, false, false, true), true, SKL(false, false, false, false), 80, 0, 0,
     "Linux x86_64 entry change, CPU and clock not stated: returning with SYSRET instead of IRET "
     "cut getpid (context tracking forced) from ~360 to ~280 ns",
     "https://git.kernel.org/torvalds/c/2a23c6b8a9c42620182a2d2cfc7c16f6ff8c42b4"},
};
#define N_ANCHORS (int)(sizeof anchors / sizeof anchors[0])

/* The constants the fit sets. All other classes keep their derived values (llvm-mca for
 * ordinary instructions, parameters for the rest): the anchors are too few to fit them. */
static const se_cost_class free_classes[] = {SE_COST_HANDLER, SE_COST_MOV_CR3_FLUSH,
                                             SE_COST_MOV_CR3_NOFLUSH, SE_COST_WRMSR_SPEC_CTRL,
                                             SE_COST_IRETQ};
#define N_FREE (int)(sizeof free_classes / sizeof free_classes[0])

static void restart(se_machine *m, long nr, se_pt_regs *r, void *ctx)
{
    (void)m;
    (void)nr;
    (void)ctx;
    r->ax = r->orig_ax;
    r->ip -= 2;
}

static se_machine *cal_machine(const cal_cfg *c)
{
    se_config cfg;
    se_config_default(&cfg);
    cfg.vendor = strcmp(c->profile, "zen4") == 0 ? SE_VENDOR_AMD : SE_VENDOR_INTEL;
    cfg.pti = c->pti;
    cfg.pcid = c->pti && c->pcid;
    cfg.ibrs = c->ibrs;
    se_machine *m;
    if (se_machine_create(&cfg, &m) != SE_OK)
        return NULL;
    if (c->iret)
        se_set_syscall_handler(m, restart, NULL);
    return m;
}

static bool cal_run(se_machine *m, const se_cost_profile *p, uint64_t *cycles)
{
    se_regs u = {.rax = 110, /* getppid */
                 .rip = 0x401000,
                 .rsp = 0x7fffffffe000,
                 .rflags = 0x246,
                 .cs = SE_USER_CS,
                 .ss = SE_USER_DS};
    se_outcome o;
    if (se_set_cost_profile(m, p) != SE_OK || se_syscall(m, &u, &o) != SE_OK)
        return false;
    *cycles = o.cycles;
    return true;
}

/* The instruction mix of one configuration: how many times each cost class is charged, found
 * by running the path once per class with that class costing 1 cycle and all others 0. The
 * model's cycles are then exactly the dot product of this mix with a profile's costs. */
static bool cal_mix(const cal_cfg *c, double mix[SE_COST_CLASS_COUNT])
{
    se_machine *m = cal_machine(c);
    if (m == NULL)
        return false;
    bool ok = true;
    for (int k = 0; k < SE_COST_CLASS_COUNT && ok; k++) {
        se_cost_profile unit;
        memset(&unit, 0, sizeof unit);
        unit.cycles[k] = 1;
        uint64_t cy = 0;
        ok = cal_run(m, &unit, &cy);
        mix[k] = (double)cy;
    }
    se_machine_destroy(m);
    return ok;
}

typedef struct cal_row {
    double mix[SE_COST_CLASS_COUNT]; /* cfg minus base for a differential anchor */
    double target;                   /* cycles */
    double builtin;                  /* the built-in profile's prediction */
    double fit, held_out;            /* the fit's prediction; leave-one-out (NAN: none) */
    bool predictable;
} cal_row;

static bool cal_anchor_row(const anchor *a, cal_row *r)
{
    se_cost_profile prof;
    if (se_cost_profile_builtin(a->cfg.profile, &prof) != SE_OK)
        return false;
    if (!cal_mix(&a->cfg, r->mix))
        return false;
    if (a->diff) {
        double b[SE_COST_CLASS_COUNT];
        if (!cal_mix(&a->base, b))
            return false;
        for (int k = 0; k < SE_COST_CLASS_COUNT; k++)
            r->mix[k] -= b[k];
    }
    r->target = a->ticks > 0 ? a->ticks : a->ns * (a->ghz > 0 ? a->ghz : prof.ghz);
    r->builtin = 0;
    for (int k = 0; k < SE_COST_CLASS_COUNT; k++)
        r->builtin += r->mix[k] * prof.cycles[k];
    return true;
}

static bool is_free(int k)
{
    for (int j = 0; j < N_FREE; j++)
        if ((int)free_classes[j] == k)
            return true;
    return false;
}

/* Fit the free constants. Rows are scaled by 1/target so that the fit minimises relative
 * errors: the anchors span 80 ns to 850 ns and an absolute fit would serve only the largest. */
static bool cal_fit(cal_row *rows, double x[N_FREE])
{
    double a[SE_LSQ_MAX * SE_LSQ_MAX], b[SE_LSQ_MAX];
    for (int i = 0; i < N_ANCHORS; i++) {
        se_cost_profile prof;
        se_cost_profile_builtin(anchors[i].cfg.profile, &prof);
        double fixed = 0;
        for (int k = 0; k < SE_COST_CLASS_COUNT; k++)
            if (!is_free(k))
                fixed += rows[i].mix[k] * prof.cycles[k];
        for (int j = 0; j < N_FREE; j++)
            a[i * N_FREE + j] = rows[i].mix[free_classes[j]] / rows[i].target;
        b[i] = (rows[i].target - fixed) / rows[i].target;
    }
    if (se_lsq_solve(a, b, N_ANCHORS, N_FREE, x) < 0)
        return false;
    double pred[SE_LSQ_MAX];
    bool ok[SE_LSQ_MAX];
    se_lsq_leave_one_out(a, b, N_ANCHORS, N_FREE, pred, ok);
    for (int i = 0; i < N_ANCHORS; i++) {
        double fixed = rows[i].target * (1 - b[i]);
        double s = 0;
        for (int j = 0; j < N_FREE; j++)
            s += a[i * N_FREE + j] * x[j];
        rows[i].fit = fixed + s * rows[i].target;
        rows[i].predictable = ok[i];
        rows[i].held_out = ok[i] ? fixed + pred[i] * rows[i].target : NAN;
    }
    return true;
}

static const char *cfg_label(const cal_cfg *c, char *buf, size_t n)
{
    snprintf(buf, n, "%s%s%s%s", c->pti ? (c->pcid ? "pti+pcid" : "pti-nopcid") : "nopti",
             c->ibrs ? "+ibrs" : "", c->iret ? "+iret" : "", "");
    return buf;
}

static void pct(char *buf, size_t n, double got, double want)
{
    if (isnan(got))
        snprintf(buf, n, "cannot be predicted");
    else
        snprintf(buf, n, "%+.0f%%", 100.0 * (got / want - 1.0));
}

static int cal_host(const char *image);

int cli_calibrate(int argc, char **argv)
{
    bool markdown = false, host = false;
    const char *image = NULL;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--markdown")) {
            markdown = true;
        } else if (!strcmp(argv[i], "--host")) {
            host = true;
        } else if (!strcmp(argv[i], "--kernel-image") && i + 1 < argc) {
            image = argv[++i];
        } else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs("usage: sysentry calibrate [--markdown | --host]\n"
                  "Fit the model's free constants (handler, mov_cr3_flush, mov_cr3_noflush,\n"
                  "wrmsr_spec_ctrl, iretq) to published round-trip figures by least squares;\n"
                  "print each figure with the fit's prediction and the leave-one-out\n"
                  "prediction (that figure held out of the fit), then the fitted constants.\n"
                  "  --markdown  the same tables in Markdown (docs/cycle-model.md)\n"
                  "  --host      measure this machine's getppid round trip (TSC ticks, ns) and\n"
                  "              compare it with the model for its vendor and PTI setting\n"
                  "  --kernel-image FILE   with --host: also run the model on that kernel's\n"
                  "              own code (e.g. Debian's 6.12, the closest to a 6.x host)\n",
                  stdout);
            return 0;
        } else {
            fprintf(stderr, "sysentry calibrate: unknown option '%s'\n", argv[i]);
            return 2;
        }
    }
    if (image != NULL && !host) {
        fputs("sysentry calibrate: --kernel-image needs --host\n", stderr);
        return 2;
    }
    if (host)
        return cal_host(image);
    cal_row rows[N_ANCHORS];
    for (int i = 0; i < N_ANCHORS; i++)
        if (!cal_anchor_row(&anchors[i], &rows[i])) {
            fprintf(stderr, "sysentry calibrate: cannot run configuration %s\n", anchors[i].id);
            return 1;
        }
    double x[N_FREE];
    if (!cal_fit(rows, x)) {
        fprintf(stderr, "sysentry calibrate: the fit failed\n");
        return 1;
    }

    if (markdown)
        printf("| anchor | profile | config | target cycles | built-in | fit | held out | "
               "held-out error | measured on | source |\n"
               "|---|---|---|---:|---:|---:|---:|---|---|---|\n");
    else
        printf("%-15s %-8s %-22s %8s %8s %8s %8s  %s\n", "anchor", "profile", "config", "target",
               "built-in", "fit", "held-out", "held-out error");
    int predictable = 0, within = 0;
    for (int i = 0; i < N_ANCHORS; i++) {
        const anchor *a = &anchors[i];
        const cal_row *r = &rows[i];
        char cfg[64], base[32], e[32], ho[32];
        cfg_label(&a->cfg, cfg, sizeof cfg);
        if (a->diff) {
            size_t l = strlen(cfg);
            snprintf(cfg + l, sizeof cfg - l, " - %s", cfg_label(&a->base, base, sizeof base));
        }
        pct(e, sizeof e, r->held_out, r->target);
        if (r->predictable) {
            snprintf(ho, sizeof ho, "%.0f", r->held_out);
            predictable++;
            within += fabs(r->held_out / r->target - 1.0) <= 0.2;
        } else {
            snprintf(ho, sizeof ho, "-");
        }
        if (markdown)
            printf("| %s | %s | %s | %.0f | %.0f | %.0f | %s | %s | %s | %s |\n", a->id,
                   a->cfg.profile, cfg, r->target, r->builtin, r->fit, ho, e, a->what, a->url);
        else
            printf("%-15s %-8s %-22s %8.0f %8.0f %8.0f %8s  %s\n", a->id, a->cfg.profile, cfg,
                   r->target, r->builtin, r->fit, ho, e);
    }
    if (!markdown) {
        printf("\nsources:\n");
        for (int i = 0; i < N_ANCHORS; i++)
            printf("  %-15s %s\n  %-15s %s\n", anchors[i].id, anchors[i].what, "", anchors[i].url);
    }

    printf(markdown ? "\n| constant | built-in | fitted | anchors that see it | note |\n"
                      "|---|---:|---:|---|---|\n"
                    : "\n%-16s %8s %8s  %s\n",
           "constant", "built-in", "fitted", "anchors that see it (note)");
    se_cost_profile skl;
    se_cost_profile_builtin("skylake", &skl);
    for (int j = 0; j < N_FREE; j++) {
        int k = free_classes[j], n = 0;
        char seen[256] = "";
        const char *only = NULL;
        for (int i = 0; i < N_ANCHORS; i++)
            if (fabs(rows[i].mix[k]) > 0.5) {
                size_t l = strlen(seen);
                snprintf(seen + l, sizeof seen - l, "%s%s", n ? ", " : "", anchors[i].id);
                only = anchors[i].id;
                n++;
            }
        char note[128] = "";
        if (n == 0)
            snprintf(note, sizeof note, "no anchor sees it: not fitted");
        else if (n == 1)
            snprintf(note, sizeof note, "single anchor: %s cannot be predicted", only);
        if (markdown)
            printf("| %s | %.0f | %.0f | %s | %s |\n", se_cost_class_name((se_cost_class)k),
                   skl.cycles[k], x[j], seen, note);
        else
            printf("%-16s %8.0f %8.0f  %s%s%s%s\n", se_cost_class_name((se_cost_class)k),
                   skl.cycles[k], x[j], seen, *note ? " (" : "", note, *note ? ")" : "");
    }
    printf("\n%d of %d anchors can be predicted with them held out; %d of those within +-20%%; "
           "%d cannot be predicted (they alone determine a constant)\n",
           predictable, N_ANCHORS, within, N_ANCHORS - predictable);
    return 0;
}

/* ---- --host -------------------------------------------------------------------------- */

static double now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

/* The same getppid on a kernel image's own code (its C entry work too, for 6.7+), in the
 * host's configuration and cost profile. */
static bool cal_image(const char *path, const cal_cfg *c, const se_cost_profile *prof,
                      uint64_t *cycles, uint64_t *insns, char *release, size_t rlen)
{
    size_t len = 0;
    uint8_t *img = cli_read_file(path, &len);
    if (img == NULL) {
        fprintf(stderr, "sysentry calibrate: cannot read kernel image '%s'\n", path);
        return false;
    }
    se_config cfg;
    se_config_default(&cfg);
    cfg.vendor = strcmp(c->profile, "zen4") == 0 ? SE_VENDOR_AMD : SE_VENDOR_INTEL;
    cfg.pti = c->pti;
    cfg.pcid = c->pti && c->pcid;
    cfg.entry = SE_ENTRY_NONE;
    cfg.phys_mem_size = SE_KERNEL_RAM_DEFAULT;
    se_machine *m = NULL;
    se_status st = se_machine_create(&cfg, &m);
    if (st == SE_OK)
        st = se_load_kernel_image(m, img, len, NULL);
    free(img);
    se_kernel_info ki;
    bool ok = st == SE_OK && se_kernel_info_get(m, &ki) == SE_OK && cal_run(m, prof, cycles);
    if (!ok)
        fprintf(stderr, "sysentry calibrate: %s: %s\n", path,
                m != NULL ? se_machine_last_error(m) : se_status_str(st));
    if (ok) {
        snprintf(release, rlen, "%s", ki.release);
        se_regs u = {.rax = 110,
                     .rip = 0x401000,
                     .rsp = 0x7fffffffe000,
                     .rflags = 0x246,
                     .cs = SE_USER_CS,
                     .ss = SE_USER_DS};
        se_outcome o;
        ok = se_syscall(m, &u, &o) == SE_OK;
        *insns = o.instructions;
    }
    se_machine_destroy(m);
    return ok;
}

static int cal_host(const char *image)
{
#if defined(__x86_64__)
    unsigned eax, ebx, ecx, edx;
    char vendor[13] = "";
    if (__get_cpuid(0, &eax, &ebx, &ecx, &edx)) {
        memcpy(vendor, &ebx, 4);
        memcpy(vendor + 4, &edx, 4);
        memcpy(vendor + 8, &ecx, 4);
    }
    bool amd = strcmp(vendor, "AuthenticAMD") == 0 || strcmp(vendor, "HygonGenuine") == 0;
    struct utsname un;
    const char *release = uname(&un) == 0 ? un.release : "unknown";
    char melt[256] = "";
    FILE *f = fopen("/sys/devices/system/cpu/vulnerabilities/meltdown", "r");
    if (f != NULL) {
        if (fgets(melt, sizeof melt, f) == NULL)
            melt[0] = '\0';
        fclose(f);
    }
    melt[strcspn(melt, "\n")] = '\0';
    bool pti = strstr(melt, "PTI") != NULL;

    /* Best of several batches, as `sysentry bench` does: the minimum is the round trip
     * without interrupts, migrations and cold caches, which is what the model describes. */
    enum { BATCH = 5000, BATCHES = 31 };
    double best_ticks = 1e30, best_ns = 1e30;
    for (int b = 0; b < BATCHES; b++) {
        double t0 = now_ns();
        uint64_t c0 = __rdtsc();
        for (int i = 0; i < BATCH; i++) {
            long ret;
            /* a raw SYSCALL, no libc wrapper: RCX and R11 are clobbered */
            __asm__ volatile("syscall" : "=a"(ret) : "0"(110L) : "rcx", "r11", "memory");
            (void)ret;
        }
        uint64_t c1 = __rdtsc();
        double t1 = now_ns();
        best_ticks = fmin(best_ticks, (double)(c1 - c0) / BATCH);
        best_ns = fmin(best_ns, (t1 - t0) / BATCH);
    }

    cal_cfg c = {amd ? "zen4" : "skylake", pti, pti, false, false};
    se_cost_profile prof;
    se_cost_profile_builtin(c.profile, &prof);
    se_machine *m = cal_machine(&c);
    uint64_t cycles = 0;
    if (m == NULL || !cal_run(m, &prof, &cycles)) {
        fprintf(stderr, "sysentry calibrate: cannot run the model\n");
        se_machine_destroy(m);
        return 1;
    }
    se_machine_destroy(m);
    double pred_ns = (double)cycles / prof.ghz;
    char cfg[64];
    printf("host: %s, Linux %s, meltdown: %s\n", vendor[0] ? vendor : "unknown vendor", release,
           melt[0] ? melt : "unknown");
    printf("profile %s, config %s (PCID assumed with PTI, as Linux uses it when present)\n",
           c.profile, cfg_label(&c, cfg, sizeof cfg));
    printf("measured getppid round trip: %.0f TSC ticks, %.1f ns (best of %d x %d; TSC %.2f "
           "GHz)\n",
           best_ticks, best_ns, BATCHES, BATCH, best_ticks / best_ns);
    printf("model prediction: %" PRIu64 " cycles, %.1f ns at the profile's %.2f GHz\n", cycles,
           pred_ns, prof.ghz);
    printf("ratio prediction/measurement: %.2f (cycles vs TSC ticks), %.2f (ns)\n",
           (double)cycles / best_ticks, pred_ns / best_ns);
    if (image != NULL) {
        uint64_t kc = 0, ki = 0;
        char rel[64] = "";
        if (!cal_image(image, &c, &prof, &kc, &ki, rel, sizeof rel))
            return 1;
        double k_ns = (double)kc / prof.ghz;
        printf("kernel image %s, its own code on the same model: %" PRIu64 " instructions, %" PRIu64
               " cycles, %.1f ns\n",
               rel, ki, kc, k_ns);
        printf("ratio image/measurement: %.2f (cycles vs TSC ticks), %.2f (ns); image/profile "
               "%.2f\n",
               (double)kc / best_ticks, k_ns / best_ns, (double)kc / (double)cycles);
    }
    return 0;
#else
    (void)image;
    fputs("sysentry calibrate --host: needs an x86-64 host\n", stderr);
    return 1;
#endif
}
