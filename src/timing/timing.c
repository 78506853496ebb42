/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The cycle model's data: built-in CPU profiles, the profile text format, names.
 * Every number below carries its public source or its derivation, or says it is a parameter;
 * docs/cycle-model.md explains them and records the calibration (`sysentry calibrate`).
 */
#include <sysentry/timing.h>

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const se_cost_names[SE_COST_CLASS_COUNT] = {
    [SE_COST_ALU] = "alu",
    [SE_COST_LOAD] = "load",
    [SE_COST_STORE] = "store",
    [SE_COST_PUSH] = "push",
    [SE_COST_POP] = "pop",
    [SE_COST_BRANCH] = "branch",
    [SE_COST_CALL] = "call",
    [SE_COST_RET] = "ret",
    [SE_COST_NOP] = "nop",
    [SE_COST_SYSCALL] = "syscall",
    [SE_COST_SYSRET] = "sysret",
    [SE_COST_SWAPGS] = "swapgs",
    [SE_COST_MOV_CR3_FLUSH] = "mov_cr3_flush",
    [SE_COST_MOV_CR3_NOFLUSH] = "mov_cr3_noflush",
    [SE_COST_MOV_FROM_CR] = "mov_from_cr",
    [SE_COST_WRMSR_SPEC_CTRL] = "wrmsr_spec_ctrl",
    [SE_COST_WRMSR] = "wrmsr",
    [SE_COST_RDMSR] = "rdmsr",
    [SE_COST_IRETQ] = "iretq",
    [SE_COST_LFENCE] = "lfence",
    [SE_COST_VERW] = "verw",
    [SE_COST_OTHER] = "other",
    [SE_COST_HANDLER] = "handler",
};

static const char *const se_phase_names[SE_PHASE_COUNT] = {
    [SE_PHASE_USER] = "user",
    [SE_PHASE_ENTRY] = "entry",
    [SE_PHASE_CR3_KERNEL] = "cr3_kernel",
    [SE_PHASE_PTREGS] = "ptregs",
    [SE_PHASE_DISPATCH] = "dispatch",
    [SE_PHASE_CHECKS] = "checks",
    [SE_PHASE_RESTORE] = "restore",
    [SE_PHASE_CR3_USER] = "cr3_user",
    [SE_PHASE_SYSRET] = "sysret",
    [SE_PHASE_IRET] = "iret",
    [SE_PHASE_OTHER] = "other",
};

const char *se_cost_class_name(se_cost_class c)
{
    return (unsigned)c < SE_COST_CLASS_COUNT ? se_cost_names[c] : "unknown";
}

const char *se_phase_name(se_phase p)
{
    return (unsigned)p < SE_PHASE_COUNT ? se_phase_names[p] : "unknown";
}

/*
 * Ordinary instructions: llvm-mca 14 reciprocal throughput, rounded up to whole cycles,
 * because the entry path is one serial stream of dependent stack operations:
 *   echo '<insn>' | llvm-mca-14 -mcpu=skylake -iterations=100   (Block RThroughput)
 *   push %rax 1.0, pop %rax 0.5, mov 8(%rsp),%rcx 0.5, mov %rcx,8(%rsp) 1.0,
 *   xor %esi,%esi 0.2, cmp %rcx,%r11 0.3; znver3 gives the same whole-cycle values.
 * llvm-mca's figures for privileged instructions are placeholders (100 cycles each) and are not
 * used for any of the classes below SE_COST_NOP.
 */
static const se_cost_profile se_builtin_profiles[] = {
    {
        .name = "skylake",
        /* the Skylake anchors' machine: i5-6500, 3.2 GHz base clock (DragonFly BSD commit
         * 9283c84bb165, see docs/cycle-model.md); the clock of the FreeBSD and Linux
         * differentials was not stated and is taken to be the same */
        .ghz = 3.2,
        .cycles =
            {
                [SE_COST_ALU] = 1,    /* llvm-mca: 0.2-0.3, rounded up */
                [SE_COST_LOAD] = 1,   /* llvm-mca: 0.5 */
                [SE_COST_STORE] = 1,  /* llvm-mca: 1.0 */
                [SE_COST_PUSH] = 1,   /* llvm-mca: 1.0 */
                [SE_COST_POP] = 1,    /* llvm-mca: 0.5 */
                [SE_COST_BRANCH] = 1, /* taken jumps, predicted */
                [SE_COST_CALL] = 2,   /* llvm-mca call/ret pair ~ 2 each */
                [SE_COST_RET] = 2,
                [SE_COST_NOP] = 0, /* NOPs retire 4 a cycle: free on this path */
                /* bare SYSCALL->SYSRET round trip ~99 cycles (no public source found for this
                 * figure: a parameter), split 50/50 */
                [SE_COST_SYSCALL] = 50,
                [SE_COST_SYSRET] = 49,
                /* no published figure ("tens of cycles"): a parameter */
                [SE_COST_SWAPGS] = 20,
                /* Fitted by `sysentry calibrate` (least squares over the anchors of
                 * docs/cycle-model.md). noflush: only the FreeBSD PTI+PCID differential
                 * (reviews.freebsd.org/D13985) sees it. flush: the DragonFly isolation rows
                 * without PCID (dragonfly.git commit 8ed0657196b6); it includes the TLB refill
                 * that a flushing switch causes, hence far above the no-flush write. */
                [SE_COST_MOV_CR3_NOFLUSH] = 217,
                [SE_COST_MOV_CR3_FLUSH] = 444,
                [SE_COST_MOV_FROM_CR] = 2, /* no source; a register read, not serializing */
                /* Fitted: only DragonFly's IBRS-toggling row (+488 ns over isolation without
                 * PCID) sees it; above the bare WRMSR because the toggle slows what follows */
                [SE_COST_WRMSR_SPEC_CTRL] = 746,
                [SE_COST_WRMSR] = 200, /* no public figure for this path: a parameter */
                [SE_COST_RDMSR] = 40,  /* no public figure for this path: a parameter */
                /* Fitted: only Linux commit 2a23c6b8a9c4's "nearly 80 ns" for SYSRET instead of
                 * IRET sees it */
                [SE_COST_IRETQ] = 319,
                [SE_COST_LFENCE] = 20, /* no source for this path: a parameter */
                [SE_COST_VERW] = 40,   /* no public figure for this path: a parameter */
                [SE_COST_OTHER] = 5,
                /* Fitted, shared with zen4: the kernel's own work for getppid, seen by the
                 * DragonFly rows (103 ns without isolation) and this project's Zen 4 figure */
                [SE_COST_HANDLER] = 90,
            },
    },
    {
        .name = "zen4",
        /* the TSC rate of the Zen 4 anchor's machine; cycles of this profile are TSC ticks
         * (not core cycles under boost), see docs/cycle-model.md */
        .ghz = 2.59,
        .cycles =
            {
                [SE_COST_ALU] = 1, /* llvm-mca -mcpu=znver3: same whole-cycle values */
                [SE_COST_LOAD] = 1,
                [SE_COST_STORE] = 1,
                [SE_COST_PUSH] = 1,
                [SE_COST_POP] = 1,
                [SE_COST_BRANCH] = 1,
                [SE_COST_CALL] = 2,
                [SE_COST_RET] = 2,
                [SE_COST_NOP] = 0,
                [SE_COST_SYSCALL] = 50, /* as for Intel: no AMD-specific figure */
                [SE_COST_SYSRET] = 49,
                [SE_COST_SWAPGS] = 20,
                /* AMD is not affected by Meltdown (no PTI on the measured machine): the CR3
                 * figures are only used if PTI is forced on; the fit is shared with Intel */
                [SE_COST_MOV_CR3_NOFLUSH] = 217,
                [SE_COST_MOV_CR3_FLUSH] = 444,
                [SE_COST_MOV_FROM_CR] = 2,
                [SE_COST_WRMSR_SPEC_CTRL] = 746,
                [SE_COST_WRMSR] = 200,
                [SE_COST_RDMSR] = 40,
                [SE_COST_IRETQ] = 319,
                [SE_COST_LFENCE] = 20,
                [SE_COST_VERW] = 40,
                [SE_COST_OTHER] = 5,
                /* the shared fit (see skylake): 313 TSC ticks measured on a Zen 4 guest is one
                 * of the rows that determine it */
                [SE_COST_HANDLER] = 90,
            },
    },
};

se_status se_cost_profile_builtin(const char *name, se_cost_profile *out)
{
    if (name == NULL || out == NULL)
        return SE_ERR_INVALID_ARG;
    for (size_t i = 0; i < sizeof se_builtin_profiles / sizeof se_builtin_profiles[0]; i++)
        if (strcmp(se_builtin_profiles[i].name, name) == 0) {
            *out = se_builtin_profiles[i];
            return SE_OK;
        }
    return SE_ERR_NOT_FOUND;
}

static se_status se_prof_err(char *err, size_t errlen, unsigned line, const char *what,
                             const char *key)
{
    if (err != NULL && errlen > 0)
        snprintf(err, errlen, "line %u: %s%s%s", line, what, key ? ": " : "", key ? key : "");
    return SE_ERR_FORMAT;
}

static bool se_prof_number(const char *s, double *out)
{
    if (*s == '\0')
        return false;
    errno = 0;
    char *end;
    double v = strtod(s, &end);
    if (errno != 0 || *end != '\0' || !isfinite(v) || v < 0)
        return false;
    *out = v;
    return true;
}

/* true when `key` was already given; marks it given */
static bool se_prof_seen(bool *seen, int key)
{
    bool was = seen[key];
    seen[key] = true;
    return was;
}

se_status se_cost_profile_parse(const char *text, se_cost_profile *out, char *err, size_t errlen)
{
    if (err != NULL && errlen > 0)
        err[0] = '\0';
    if (text == NULL || out == NULL)
        return SE_ERR_INVALID_ARG;
    se_cost_profile p;
    memset(&p, 0, sizeof p);
    snprintf(p.name, sizeof p.name, "custom");
    bool seen[SE_COST_CLASS_COUNT + 3] = {false}; /* classes, then name, ghz, base */
    unsigned line = 0;
    const char *cur = text;
    while (*cur != '\0') {
        line++;
        const char *eol = strchr(cur, '\n');
        size_t len = eol ? (size_t)(eol - cur) : strlen(cur);
        char buf[256];
        if (len >= sizeof buf)
            return se_prof_err(err, errlen, line, "line longer than 255 characters", NULL);
        memcpy(buf, cur, len);
        buf[len] = '\0';
        cur = eol ? eol + 1 : cur + len;
        char *hash = strchr(buf, '#');
        if (hash != NULL)
            *hash = '\0';
        char key[64] = "", val[128] = "", extra[8] = "";
        int n = sscanf(buf, "%63s %127s %7s", key, val, extra);
        if (n <= 0)
            continue; /* blank or comment (\r counts as blank space) */
        if (n != 2)
            return se_prof_err(err, errlen, line, "expected '<key> <value>'", NULL);
        if (strcmp(key, "name") == 0) {
            if (se_prof_seen(seen, SE_COST_CLASS_COUNT))
                return se_prof_err(err, errlen, line, "duplicate key", key);
            snprintf(p.name, sizeof p.name, "%.*s", (int)sizeof p.name - 1, val);
        } else if (strcmp(key, "ghz") == 0) {
            if (se_prof_seen(seen, SE_COST_CLASS_COUNT + 1))
                return se_prof_err(err, errlen, line, "duplicate key", key);
            if (!se_prof_number(val, &p.ghz))
                return se_prof_err(err, errlen, line, "bad number", val);
        } else if (strcmp(key, "base") == 0) {
            if (se_prof_seen(seen, SE_COST_CLASS_COUNT + 2))
                return se_prof_err(err, errlen, line, "duplicate key", key);
            se_cost_profile b;
            if (se_cost_profile_builtin(val, &b) != SE_OK)
                return se_prof_err(err, errlen, line, "unknown built-in profile", val);
            /* base first: later lines override, earlier class lines are kept */
            for (int c = 0; c < SE_COST_CLASS_COUNT; c++)
                if (!seen[c])
                    p.cycles[c] = b.cycles[c];
            if (!seen[SE_COST_CLASS_COUNT + 1])
                p.ghz = b.ghz;
        } else {
            int c = 0;
            while (c < SE_COST_CLASS_COUNT && strcmp(se_cost_names[c], key) != 0)
                c++;
            if (c == SE_COST_CLASS_COUNT)
                return se_prof_err(err, errlen, line, "unknown key", key);
            if (se_prof_seen(seen, c))
                return se_prof_err(err, errlen, line, "duplicate key", key);
            if (!se_prof_number(val, &p.cycles[c]))
                return se_prof_err(err, errlen, line, "bad number", val);
        }
    }
    /* Without a base, a key left out would silently cost 0 cycles (or leave no clock): the
     * model would then report a path that is free. Refuse, and name every missing key. */
    if (!seen[SE_COST_CLASS_COUNT + 2]) {
        char missing[400] = "";
        size_t n = 0;
        for (int c = 0; c <= SE_COST_CLASS_COUNT; c++) {
            bool given = c < SE_COST_CLASS_COUNT ? seen[c] : seen[SE_COST_CLASS_COUNT + 1];
            if (!given && n < sizeof missing)
                n += (size_t)snprintf(missing + n, sizeof missing - n, "%s%s", n ? " " : "",
                                      c < SE_COST_CLASS_COUNT ? se_cost_names[c] : "ghz");
        }
        if (missing[0] != '\0') {
            if (err != NULL && errlen > 0)
                snprintf(err, errlen,
                         "no 'base <builtin>' line, so every key is needed; missing: %s", missing);
            return SE_ERR_FORMAT;
        }
    }
    *out = p;
    return SE_OK;
}
