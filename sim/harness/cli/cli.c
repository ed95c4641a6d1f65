/* The kairos command: argument parsing, --help, --load, and the check,
 * types, run and replay subcommands (sweep_cmd.c and shrink.c hold the rest).
 * kr_scenario_main is part of kairos_sim so that users can build their own
 * runner with their actor types linked in. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "cli.h"

#include <dlfcn.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- commands and their flags ------------------------------------------- */

enum {
    C_RUN = 1 << 0,
    C_SWEEP = 1 << 1,
    C_REPLAY = 1 << 2,
    C_SHRINK = 1 << 3,
    C_CHECK = 1 << 4,
    C_TYPES = 1 << 5,
    C_REPORT = 1 << 6,
    C_MERGE = 1 << 7,
    C_ALL = 0xff,
};

typedef struct cli_flag {
    const char *name;
    bool value;    /* takes an argument */
    unsigned cmds; /* where it is accepted */
} cli_flag;

static const cli_flag flags[] = {
    {"--help", false, C_ALL},
    {"--load", true, C_ALL},
    {"--seed", true, C_RUN | C_REPLAY | C_SHRINK},
    {"--seeds", true, C_SWEEP},
    {"--strategy", true, C_RUN | C_SWEEP | C_REPLAY | C_SHRINK},
    {"--pct-depth", true, C_RUN | C_SWEEP | C_REPLAY | C_SHRINK},
    {"--pct-steps", true, C_RUN | C_SWEEP | C_REPLAY | C_SHRINK},
    {"--trace", true, C_RUN | C_REPLAY},
    {"--report", true, C_RUN | C_SWEEP | C_REPLAY | C_MERGE},
    {"--jobs", true, C_SWEEP},
    {"--shard", true, C_SWEEP},
    {"--stop-after-failures", true, C_SWEEP},
    {"--check-determinism", false, C_SWEEP},
    {"--jsonl", true, C_SWEEP | C_MERGE},
    {"--exec", true, C_SWEEP},
    {"--swarm", false, C_RUN | C_SWEEP | C_REPLAY | C_SHRINK},
    {"--out", true, C_SHRINK | C_REPORT},
    {"-o", true, C_REPORT},
    {"--budget", true, C_SHRINK},
    {"--verbose", false, C_SHRINK},
};

typedef struct cli_cmd {
    const char *name;
    unsigned bit;
    int (*fn)(const cli_opts *o);
    bool needs_file;
    const char *help;
} cli_cmd;

static int cmd_run(const cli_opts *o);
static int cmd_check(const cli_opts *o);
static int cmd_types(const cli_opts *o);
static int cmd_report(const cli_opts *o);

/* The depth range in --help is the one set_flag checks (KR_PCT_DEPTH_MAX). */
#define CLI_STR_(x) #x
#define CLI_STR(x) CLI_STR_(x)
#define STRATEGY_HELP                                                          \
    "  --strategy S        random | pct | pos | fifo (default: the scenario's)\n" \
    "  --pct-depth D       PCT bug depth, 1.." CLI_STR(KR_PCT_DEPTH_MAX)          \
    " (default: the scenario's)\n"                                              \
    "  --pct-steps K       PCT's run length k in steps (default: the scenario's,\n" \
    "                      else measured: the longest of 8 random runs)\n"
#define COMMON_HELP                                                            \
    "  --load LIB.so       load a shared object that registers actor types\n"  \
    "                      (its constructor or an exported kairos_register())\n" \
    "  --help              this help\n"

static const cli_cmd commands[] = {
    {"run", C_RUN, cmd_run, true,
     "usage: kairos run FILE [--seed N] [--strategy S] [--pct-depth D]\n"
     "                       [--trace OUT.jsonl] [--report RUN.html]\n"
     "Runs the scenario once under one seed. Prints the seed and the trace hash;\n"
     "on a failure also the failing check, the virtual time and step, and the\n"
     "command that replays it.\n\n"
     "  --seed N            the seed (default: the first of the scenario's range)\n" STRATEGY_HELP
     "  --trace OUT         write the run as a JSON Lines trace (sim/TRACE.md)\n"
     "  --report OUT.html   write an HTML report of the run\n" COMMON_HELP
     "Exit status: 0 passed, 1 a check failed, 2 bad input.\n"},
    {"sweep", C_SWEEP, cli_sweep, true,
     "usage: kairos sweep FILE [--seeds A..B] [--jobs N] [--shard K/N]\n"
     "                         [--stop-after-failures K] [--strategy S] [--pct-depth D]\n"
     "                         [--check-determinism] [--jsonl OUT] [--report SWEEP.html]\n"
     "Runs the scenario under every seed of a range in forked worker processes\n"
     "and summarizes: seeds run, failures, distinct failure signatures (with the\n"
     "first failing seed and its replay command), probes hit, seeds/s.\n\n"
     "  --seeds A..B        inclusive seed range, or one seed N (default: the scenario's)\n"
     "  --jobs N            worker processes, 1..1024 (default: one per CPU)\n"
     "  --shard K/N         only seeds s with (s - A) % N == K - 1 (K from 1)\n"
     "  --stop-after-failures K  schedule no new seeds after K failures\n" STRATEGY_HELP
     "  --check-determinism run every seed twice; a trace hash difference fails\n"
     "  --jsonl OUT         write one JSON line per seed (seed, status, hash, ...)\n"
     "  --swarm             each seed draws its own fault configuration (kinds on/off,\n"
     "                      rates, timings) within the scenario's bounds\n"
     "  --exec PROG [ARGS]  instead of a scenario, run a test program once per seed\n"
     "                      with KAIROS_SEED=N (the rest of the line is its own);\n"
     "                      a seed fails on a failed kr_check or a non-zero exit\n"
     "  --report OUT.html   write an HTML report (and OUT.jsonl next to it)\n" COMMON_HELP
     "Results are the same for every --jobs value. A progress bar goes to stderr\n"
     "on a terminal, plain progress lines otherwise; the summary to stdout.\n"
     "Exit status: 0 all passed, 1 a failure (or a required probe never hit),\n"
     "2 bad input.\n"},
    {"replay", C_REPLAY, cli_cmd_replay, false,
     "usage: kairos replay FILE --seed N [--strategy S] [--pct-depth D] [--report RUN.html]\n"
     "       kairos replay [FILE] --trace T [--report RUN.html]\n"
     "Runs the identical run again with a verbose event log on stdout (step,\n"
     "virtual time, node, process, kind, name, from -> to). With --trace, follows\n"
     "the trace's recorded decisions (and skipped faults) instead of the seed,\n"
     "and says whether the trace hash still matches; FILE defaults to the\n"
     "trace's scenario (its recorded absolute path, else its path relative to\n"
     "the trace, else relative to the working directory).\n\n"
     "  --seed N            the seed to replay\n"
     "  --trace T           a trace written by run --trace or shrink\n" STRATEGY_HELP
     "  --report OUT.html   write an HTML report of the run\n" COMMON_HELP
     "Exit status: 0 passed, 1 a check failed (or the trace no longer fits),\n"
     "2 bad input.\n"},
    {"shrink", C_SHRINK, cli_shrink, true,
     "usage: kairos shrink FILE --seed N [--out SHRUNK.jsonl] [--strategy S]\n"
     "                                  [--pct-depth D] [--budget RUNS]\n"
     "Finds a smaller run that fails with the same failure signature. First the\n"
     "workload: lowers the network's drop/duplicate rates, leaves out scripted\n"
     "actions and the seed's random faults (halves, quarters, ... one at a\n"
     "time), lowers the workload counts actors read with kr_sc_count, moves what\n"
     "is left earlier in virtual time. Then the schedule: the shortest prefix of\n"
     "the decisions followed by fifo, decisions deleted, single decisions set to\n"
     "the first choice. Reports the sizes before and after, and writes a trace\n"
     "whose header records the workload edits: `kairos replay --trace` runs it\n"
     "by itself.\n\n"
     "  --seed N            the failing seed\n"
     "  --out OUT           the shrunk trace (default: NAME.seedN.shrunk.jsonl)\n" STRATEGY_HELP
     "  --budget RUNS       at most this many candidate runs (default 2000)\n"
     "  --verbose           print every candidate run\n" COMMON_HELP
     "Exit status: 1 shrunk failure written, 0 the seed passes, 2 bad input.\n"},
    {"check", C_CHECK, cmd_check, true,
     "usage: kairos check FILE\n"
     "Validates the scenario without running it: the file, and each process'\n"
     "actor arguments, built once as a run builds them (nothing runs).\n\n" COMMON_HELP
     "Exit status: 0 valid, 2 invalid (errors as file:line:col: message).\n"},
    {"report", C_REPORT, cmd_report, true,
     "usage: kairos report TRACE.jsonl -o RUN.html\n"
     "Renders a run trace (written by run/replay/shrink --trace) as one\n"
     "self-contained HTML file: a sequence diagram of the run.\n\n"
     "  -o, --out OUT.html  the report to write\n" COMMON_HELP
     "Exit status: 0 written, 2 bad input (unreadable or malformed trace).\n"},
    {"merge", C_MERGE, cli_merge, false,
     "usage: kairos merge A.jsonl B.jsonl ... [--jsonl OUT.jsonl] [--report OUT.html]\n"
     "Merges the --jsonl summaries of the shards of one sweep (kairos sweep\n"
     "--shard K/N --jsonl ...) into one summary and one report, as one machine\n"
     "sweeping every seed would have written them (only wall-clock fields\n"
     "differ). The shards must share scenario, seeds, strategy, PCT depth and k,\n"
     "and their count N; a missing shard is a warning, a repeated one an error.\n\n"
     "  --jsonl OUT         write the merged summary\n"
     "  --report OUT.html   write the sweep report (and OUT.html.jsonl unless\n"
     "                      --jsonl is given)\n" COMMON_HELP
     "Exit status: 0 all passed, 1 a failure (or a required probe never hit),\n"
     "2 bad input.\n"},
    {"types", C_TYPES, cmd_types, false,
     "usage: kairos types\n"
     "Lists the registered actor types, their actions, and the invariants.\n\n" COMMON_HELP},
};

#define N_COMMANDS (sizeof commands / sizeof commands[0])

static void print_main_help(FILE *out)
{
    fputs("usage: kairos [--load LIB.so] COMMAND [ARGS]\n"
          "Deterministic simulation of Kairos actor systems described in YAML.\n\n"
          "commands:\n"
          "  run FILE [--seed N]          one run; prints seed and trace hash\n"
          "  sweep FILE [--seeds A..B]    many seeds in parallel, summary of failures\n"
          "  replay FILE --seed N | --trace T   the identical run, verbose event log\n"
          "  shrink FILE --seed N         a smaller failing run, written as a trace\n"
          "  check FILE                   validate a scenario file\n"
          "  report TRACE -o RUN.html     a run trace as an HTML sequence diagram\n"
          "  types                        list actor types, actions and invariants\n\n"
          "`kairos COMMAND --help` describes each. Exit status: 0 all passed,\n"
          "1 a failure found, 2 bad input or usage.\n",
          out);
}

static const cli_cmd *find_command(const char *name)
{
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

static const cli_flag *find_flag(const char *name, size_t len)
{
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++)
        if (strlen(flags[i].name) == len && strncmp(flags[i].name, name, len) == 0)
            return &flags[i];
    return NULL;
}

/* ---- flag values ---------------------------------------------------------- */

static int set_int(const cli_opts *o, const char *flag, const char *v, uint64_t min,
                   uint64_t max, uint64_t *out)
{
    if (kr_parse_u64(v, out) != 0 || *out < min || *out > max)
        return cli_usage_error(o, "%s: expected a whole number in %" PRIu64 "..%" PRIu64
                                  ", got '%s'",
                               flag, min, max, v);
    return 0;
}

static int set_flag(cli_opts *o, const char *flag, const char *v)
{
    uint64_t n = 0;
    int rc = 0;
    if (strcmp(flag, "--load") == 0) {
        if (o->n_loads == CLI_LOADS_MAX)
            return cli_usage_error(o, "at most %d --load options", CLI_LOADS_MAX);
        o->loads[o->n_loads++] = v;
    } else if (strcmp(flag, "--seed") == 0) {
        if (kr_parse_u64(v, &o->seed) != 0)
            return cli_usage_error(o, "--seed: expected a whole number (decimal without leading "
                                      "zeros, or 0x hex), got '%s'",
                                   v);
        o->have_seed = true;
    } else if (strcmp(flag, "--seeds") == 0) {
        if (!cli_parse_range(v, &o->seed_a, &o->seed_b)) {
            if (o->seed_a == 0 && o->seed_b == UINT64_MAX)
                return cli_usage_error(o, "--seeds: 0..18446744073709551615 is 2^64 seeds, one "
                                          "more than a sweep counts; split it (0..%" PRIu64
                                          " and %" PRIu64 ")",
                                       UINT64_MAX - 1, UINT64_MAX);
            return cli_usage_error(o, "--seeds: expected A..B with A <= B, got '%s'", v);
        }
        o->have_seeds = true;
    } else if (strcmp(flag, "--strategy") == 0) {
        if (strcmp(v, "random") && strcmp(v, "pct") && strcmp(v, "pos") && strcmp(v, "fifo"))
            return cli_usage_error(o, "--strategy: expected random, pct, pos or fifo, got '%s'",
                                   v);
        o->strategy = v;
    } else if (strcmp(flag, "--pct-depth") == 0) {
        if (!(rc = set_int(o, flag, v, 1, KR_PCT_DEPTH_MAX, &n)))
            o->pct_depth = (int)n;
    } else if (strcmp(flag, "--pct-steps") == 0) {
        rc = set_int(o, flag, v, 1, 1000000000, &o->pct_steps);
    } else if (strcmp(flag, "--jobs") == 0) {
        if (!(rc = set_int(o, flag, v, 1, 1024, &n)))
            o->jobs = (int)n;
    } else if (strcmp(flag, "--shard") == 0) {
        if (!cli_parse_shard(v, &o->shard_k, &o->shard_n))
            return cli_usage_error(o, "--shard: expected K/N with 1 <= K <= N, got '%s'", v);
    } else if (strcmp(flag, "--stop-after-failures") == 0) {
        rc = set_int(o, flag, v, 1, UINT64_MAX, &o->stop_after);
    } else if (strcmp(flag, "--budget") == 0) {
        if (!(rc = set_int(o, flag, v, 1, 1000000, &n)))
            o->budget = (long)n;
    } else if (strcmp(flag, "--verbose") == 0) {
        o->verbose = true;
    } else if (strcmp(flag, "--swarm") == 0) {
        o->swarm = true;
    } else if (strcmp(flag, "--check-determinism") == 0) {
        o->check_determinism = true;
    } else if (strcmp(flag, "--trace") == 0) {
        o->trace = v;
    } else if (strcmp(flag, "--report") == 0) {
        o->report = v;
    } else if (strcmp(flag, "--out") == 0 || strcmp(flag, "-o") == 0) {
        o->out = v;
    } else if (strcmp(flag, "--jsonl") == 0) {
        o->jsonl = v;
    }
    return rc;
}

/* Parses argv[i..] of command `c` into o. *help is set by --help. */
static int parse_command(cli_opts *o, const cli_cmd *c, int argc, char **argv, int i,
                         bool *help)
{
    bool options_done = false;
    for (; i < argc; i++) {
        const char *a = argv[i];
        if ((options_done || a[0] != '-' || a[1] == '\0') && c->bit == C_MERGE) {
            if (o->n_inputs == CLI_INPUTS_MAX)
                return cli_usage_error(o, "at most %d summaries", CLI_INPUTS_MAX);
            o->inputs[o->n_inputs++] = a;
            continue;
        }
        if (options_done || a[0] != '-' || a[1] == '\0') {
            if (o->file)
                return cli_usage_error(o, "unexpected argument '%s'", a);
            o->file = a;
            continue;
        }
        if (strcmp(a, "--") == 0) {
            options_done = true;
            continue;
        }
        if (strcmp(a, "-h") == 0)
            a = "--help";
        const char *eq = strchr(a, '=');
        size_t len = eq ? (size_t)(eq - a) : strlen(a);
        const cli_flag *f = find_flag(a, len);
        if (!f || !(f->cmds & c->bit))
            return cli_usage_error(o, "unknown option '%.*s'", (int)len, a);
        if (strcmp(f->name, "--help") == 0) {
            *help = true;
            return 0;
        }
        const char *v = NULL;
        if (f->value) {
            if (eq)
                v = eq + 1;
            else if (i + 1 < argc)
                v = argv[++i];
            else
                return cli_usage_error(o, "%s needs a value", f->name);
        } else if (eq) {
            return cli_usage_error(o, "%s takes no value", f->name);
        }
        if (strcmp(f->name, "--exec") == 0) {
            /* The program and every argument after it are the test's. */
            if (eq)
                return cli_usage_error(o, "--exec: give the program as the next argument");
            o->exec_argv = &argv[i];
            return 0;
        }
        int rc = set_flag(o, f->name, v);
        if (rc)
            return rc;
    }
    return 0;
}

static bool reports_available(unsigned cmd)
{
#if CLI_HAVE_REPORT
    return cmd == C_SWEEP ? kr__report_sweep != NULL && kr__report_run_replay != NULL
                          : kr__report_run_replay != NULL;
#else
    (void)cmd;
    return false;
#endif
}

/* Cross-flag rules that the table cannot say. */
static int validate(const cli_opts *o, const cli_cmd *c)
{
    if (c->needs_file && !o->file && !o->exec_argv)
        return cli_usage_error(o, "missing scenario FILE");
    if (c->bit == C_TYPES && o->file)
        return cli_usage_error(o, "unexpected argument '%s'", o->file);
    if (c->bit == C_REPLAY && o->have_seed == !!o->trace)
        return cli_usage_error(o, "give exactly one of --seed N and --trace T");
    if (c->bit == C_REPLAY && !o->file && !o->trace)
        return cli_usage_error(o, "missing scenario FILE");
    if (c->bit == C_SHRINK && !o->have_seed)
        return cli_usage_error(o, "missing --seed N (the failing seed)");
    if (o->report && !reports_available(c->bit))
        return cli_error(o, "--report: reports not available in this build");
    return 0;
}

/* ---- --load ---------------------------------------------------------------- */

static int load_library(const cli_opts *o, const char *path)
{
    char buf[4096];
    /* dlopen searches the library path for a bare name; a file in the
     * current directory is what users mean. */
    if (!strchr(path, '/') && access(path, F_OK) == 0) {
        snprintf(buf, sizeof buf, "./%s", path);
        path = buf;
    }
    void *h = dlopen(path, RTLD_NOW | RTLD_GLOBAL);
    if (!h)
        return cli_error(o, "--load %s: %s", path, dlerror());
    void (*reg)(void);
    *(void **)&reg = dlsym(h, "kairos_register");
    if (reg)
        reg();
    return 0;
}

/* ---- shared by the subcommands ------------------------------------------- */

int cli_load(const cli_opts *o, scenario **out)
{
    char err[1024] = "";
    int rc = kr__sc_load(o->file, out, err, sizeof err);
    /* The actor arguments too, built as a run builds them, so that every
     * command (check included) refuses them the same way, before any run. */
    if (rc == 0 && (rc = kr__sc_check_args(*out, err, sizeof err)) != 0) {
        kr__sc_free(*out);
        *out = NULL;
    }
    if (rc == 0)
        return 0;
    fflush(stdout);
    if (err[0])
        fprintf(stderr, "%s\n", err);
    else
        fprintf(stderr, "%s: %s\n", o->file, kr_strerror(rc));
    return CLI_BAD_INPUT;
}

void cli_run_options(const cli_opts *o, const scenario *s, uint64_t seed, sc_options *so)
{
    memset(so, 0, sizeof *so);
    so->seed = seed;
    so->strategy = cli_strategy(o, s);
    so->pct_depth = cli_pct_depth(o, s);
    if (cli_uses_pct_steps(o, s))
        so->pct_steps = cli_pct_steps(o, s);
    so->swarm = o->swarm;
}

void cli_run_one(const scenario *s, const sc_options *so, sc_result *r)
{
    memset(r, 0, sizeof *r);
    int rc = kr__sc_run(s, so, r);
    r->seed = so->seed;
    if (rc != 0 && r->status != SC_ERROR) {
        r->status = SC_ERROR;
        if (!r->failure[0])
            snprintf(r->failure, sizeof r->failure, "the run could not complete: %s",
                     kr_strerror(rc));
    }
}

static const char *status_word(sc_status st)
{
    return st == SC_PASS ? "PASS" : st == SC_FAIL ? "FAIL" : "ERROR";
}

void cli_print_result(FILE *out, const sc_result *r, const char *strategy,
                      const char *replay_cmd)
{
    char t[32];
    if (r->status == SC_ERROR) { /* it never ran: no hash, steps or time to show */
        fprintf(out, "seed %" PRIu64 "  strategy %s  ERROR\n", r->seed, strategy);
        fprintf(out, "failure: %s\n", r->failure[0] ? r->failure : "(no details)");
        return;
    }
    fprintf(out, "seed %" PRIu64 "  strategy %s  hash 0x%016" PRIx64 "  steps %" PRIu64
                 "  time %s  %s\n",
            r->seed, strategy, r->hash, r->steps, cli_fmt_time(r->time, t, sizeof t),
            status_word(r->status));
    if (r->status == SC_PASS)
        return;
    fprintf(out, "failure: %s\n", r->failure[0] ? r->failure : "(no details)");
    if (r->status == SC_ERROR)
        return;
    fprintf(out, "  check:  %s\n", r->signature[0] ? r->signature : "(unnamed)");
    fprintf(out, "  at:     step %" PRIu64 ", virtual time %s\n", r->fail_step,
            cli_fmt_time(r->fail_time, t, sizeof t));
    if (replay_cmd)
        fprintf(out, "  replay: %s\n", replay_cmd);
}

bool cli_temp_path(char *buf, size_t n)
{
    const char *dir = getenv("TMPDIR");
    snprintf(buf, n, "%s/kairos-trace-XXXXXX", dir && *dir ? dir : "/tmp");
    int fd = mkstemp(buf);
    if (fd < 0)
        return false;
    close(fd);
    return true;
}

int cli_report_run(const cli_opts *o, const char *trace, const char *html, const char *seed_cmd,
                   const char *trace_cmd, bool temp)
{
#if CLI_HAVE_REPORT
    char err[1024] = "";
    if (!kr__report_run_replay)
        return cli_error(o, "--report: reports not available in this build");
    kr__report_replay replay = {seed_cmd, trace_cmd, temp};
    if (kr__report_run_replay(trace, html, &replay, err, sizeof err) != 0)
        return cli_error(o, "report %s: %s", html, err[0] ? err : "failed");
    printf("report: %s\n", html);
    return CLI_OK;
#else
    (void)trace;
    (void)html;
    (void)seed_cmd;
    (void)trace_cmd;
    (void)temp;
    return cli_error(o, "--report: reports not available in this build");
#endif
}

int cli_status_exit(sc_status st)
{
    return st == SC_PASS ? CLI_OK : st == SC_FAIL ? CLI_FAILED : CLI_BAD_INPUT;
}

/* Writes the report of a finished run, offering the replay commands that
 * work (NULL: none); `temp` is removed afterwards. A trace that could not
 * be written (r->trace_error) is exit 2, report or not. */
int cli_finish_report(const cli_opts *o, const sc_result *r, const char *trace, bool temp,
                         int status, const char *seed_cmd, const char *trace_cmd)
{
    if (r->trace_error[0]) {
        if (temp)
            remove(trace);
        return cli_error(o, "%s", r->trace_error);
    }
    if (!o->report)
        return status;
    int rc = cli_report_run(o, trace, o->report, seed_cmd, trace_cmd, temp);
    if (temp)
        remove(trace);
    return rc ? rc : status;
}

/* ---- check, types ---------------------------------------------------------- */

static int cmd_check(const cli_opts *o)
{
    scenario *s;
    int rc = cli_load(o, &s);
    if (rc)
        return rc;
    printf("%s: ok (%zu node%s, %zu process%s, %zu action%s)\n", o->file, s->n_nodes,
           s->n_nodes == 1 ? "" : "s", s->n_procs, s->n_procs == 1 ? "" : "es", s->n_actions,
           s->n_actions == 1 ? "" : "s");
    kr__sc_free(s);
    return CLI_OK;
}

static int cmd_report(const cli_opts *o)
{
    if (!o->out)
        return cli_usage_error(o, "missing -o OUT.html");
    /* The trace may be a shrunk one: only following it replays it. */
    char cmd[2048];
    cli_replay_trace_cmd(o, NULL, o->file, cmd, sizeof cmd);
    return cli_report_run(o, o->file, o->out, NULL, cmd, false);
}

static int cmd_types(const cli_opts *o)
{
    (void)o;
    kr__sc_registry_print(stdout);
    return CLI_OK;
}

/* ---- run ------------------------------------------------------------------- */

static int cmd_run(const cli_opts *o)
{
    scenario *s;
    int rc = cli_load(o, &s);
    if (rc)
        return rc;
    sc_options so;
    cli_run_options(o, s, o->have_seed ? o->seed : s->seed_first, &so);
    char temp[1024] = "";
    if (o->report && !o->trace && !cli_temp_path(temp, sizeof temp)) {
        kr__sc_free(s);
        return cli_error(o, "--report: cannot create a temporary trace file");
    }
    so.trace_path = o->trace ? o->trace : temp[0] ? temp : NULL;
    char cmd[2048], trace_cmd[2048];
    cli_replay_seed_cmd(o, s, so.seed, cmd, sizeof cmd);
    cli_run_watch(s, so.seed, so.strategy, cmd, temp); /* limits: wall, memory */
    sc_result r;
    cli_run_one(s, &so, &r);
    cli_print_pct_steps(stdout, o, s);
    cli_print_result(stdout, &r, so.strategy, cmd);
    if (o->trace && r.status != SC_ERROR && !r.trace_error[0])
        printf("trace: %s\n", o->trace);
    if (o->trace)
        cli_replay_trace_cmd(o, o->file, o->trace, trace_cmd, sizeof trace_cmd);
    rc = cli_status_exit(r.status);
    if (r.status != SC_ERROR)
        rc = cli_finish_report(o, &r, so.trace_path, temp[0] != '\0', rc, cmd,
                           o->trace ? trace_cmd : NULL);
    else if (temp[0])
        remove(temp);
    kr__sc_result_free(&r);
    kr__sc_free(s);
    return rc;
}

/* ---- main ------------------------------------------------------------------ */

/* Leading global options (--load, --help) before the command name. */
static int parse_globals(cli_opts *o, int argc, char **argv, int *i)
{
    for (*i = 1; *i < argc && argv[*i][0] == '-'; (*i)++) {
        const char *a = argv[*i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            print_main_help(stdout);
            return -1;
        }
        if (strncmp(a, "--load=", 7) == 0) {
            if (set_flag(o, "--load", a + 7))
                return CLI_BAD_INPUT;
        } else if (strcmp(a, "--load") == 0 && *i + 1 < argc) {
            if (set_flag(o, "--load", argv[++*i]))
                return CLI_BAD_INPUT;
        } else {
            return cli_usage_error(o, "unknown option '%s'", a);
        }
    }
    return 0;
}

KR_API int kr_scenario_main(int argc, char **argv)
{
    cli_opts o;
    memset(&o, 0, sizeof o);
    o.prog = argc > 0 && argv[0] ? argv[0] : "kairos";
    o.shard_k = o.shard_n = 1;
    int i, rc = parse_globals(&o, argc, argv, &i);
    if (rc)
        return rc < 0 ? CLI_OK : rc;
    if (i >= argc) {
        print_main_help(stderr);
        return CLI_BAD_INPUT;
    }
    if (strcmp(argv[i], "help") == 0) {
        const cli_cmd *c = i + 1 < argc ? find_command(argv[i + 1]) : NULL;
        if (c)
            fputs(c->help, stdout);
        else
            print_main_help(stdout);
        return CLI_OK;
    }
    const cli_cmd *c = find_command(argv[i]);
    if (!c)
        return cli_usage_error(&o, "unknown command '%s'", argv[i]);
    o.cmd = c->name;
    bool help = false;
    if ((rc = parse_command(&o, c, argc, argv, i + 1, &help)) != 0)
        return rc;
    if (help) {
        fputs(c->help, stdout);
        return CLI_OK;
    }
    if ((rc = validate(&o, c)) != 0)
        return rc;
    kr__sc_builtins_register();
    for (size_t k = 0; k < o.n_loads; k++)
        if ((rc = load_library(&o, o.loads[k])) != 0)
            return rc;
    rc = c->fn(&o);
    fflush(stdout);
    return rc;
}
