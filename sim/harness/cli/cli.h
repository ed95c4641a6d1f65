/* The kairos command (sim/harness/cli): shared declarations of its files.
 * cli.c parses arguments and runs check/types/run/replay, sweep_cmd.c runs
 * seed sweeps in forked workers, shrink.c shrinks a failing run. */
#ifndef KAIROS_CLI_H
#define KAIROS_CLI_H

#include "../scenario/scenario_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <sys/types.h>

/* The run/sweep report generator, when it is part of this build. */
#if defined(__has_include)
#if __has_include("../report/report.h")
#include "../report/report.h"
#define CLI_HAVE_REPORT 1
/* Weak: a build whose report sources lack one still links, and says so. */
#pragma weak kr__report_run_replay
#pragma weak kr__report_sweep
#endif
#endif
#ifndef CLI_HAVE_REPORT
#define CLI_HAVE_REPORT 0
#endif

/* Exit statuses of every subcommand. */
enum { CLI_OK = 0, CLI_FAILED = 1, CLI_BAD_INPUT = 2 };

#define CLI_LOADS_MAX 16
#define CLI_INPUTS_MAX 4096

/* Everything a subcommand was given on its command line. */
typedef struct cli_opts {
    const char *prog; /* argv[0], for the printed replay commands */
    const char *cmd;  /* "run", "sweep", ... */
    const char *file; /* the scenario */
    bool have_seed;
    uint64_t seed;
    bool have_seeds;
    uint64_t seed_a, seed_b;
    const char *strategy; /* NULL: the scenario's */
    int pct_depth;        /* 0: the scenario's */
    uint64_t pct_steps;   /* 0: the scenario's, else calibrated */
    bool swarm;           /* --swarm: per-seed fault configuration */
    const char *trace;    /* run: trace to write; replay: trace to follow */
    const char *report;   /* HTML report to write */
    const char *out;      /* shrink: the shrunk trace */
    const char *jsonl;    /* sweep: per-seed results */
    int jobs;             /* 0: one per online CPU */
    uint64_t shard_k, shard_n;
    uint64_t stop_after; /* 0: never stop early */
    bool check_determinism;
    long budget;  /* shrink: candidate runs at most */
    bool verbose; /* shrink: every candidate run */
    const char *loads[CLI_LOADS_MAX];
    size_t n_loads;
    char **exec_argv; /* sweep --exec: the program and its arguments */
    const char *inputs[CLI_INPUTS_MAX]; /* merge: the shards' summaries */
    size_t n_inputs;
} cli_opts;

/* options.c */
/* "A..B" (A <= B) or a single "N". */
bool cli_parse_range(const char *text, uint64_t *a, uint64_t *b);
/* "K/N" with 1 <= K <= N. */
bool cli_parse_shard(const char *text, uint64_t *k, uint64_t *n);
/* "7.000ms" etc. into buf; returns buf. */
const char *cli_fmt_time(kr_duration ns, char *buf, size_t n);
/* Appends `arg` to buf, single-quoted when the shell would need it. */
void cli_append_arg(char *buf, size_t n, const char *arg);
/* The strategy and PCT depth a run uses: the flags, else the scenario's. */
const char *cli_strategy(const cli_opts *o, const scenario *s);
int cli_pct_depth(const cli_opts *o, const scenario *s);
/* calibrate.c: PCT's k (the flag, the scenario's, else measured once per
 * scenario: runs it 8 times the first time). Only meaningful for pct. */
uint64_t cli_pct_steps(const cli_opts *o, const scenario *s);
bool cli_uses_pct_steps(const cli_opts *o, const scenario *s);
/* "pct: depth D, k = K steps (where K comes from)" when the strategy is pct. */
void cli_print_pct_steps(FILE *f, const cli_opts *o, const scenario *s);
/* merge.c: kairos merge (one summary and report from a sweep's shards). */
int cli_merge(const cli_opts *o);
/* exec_sweep.c: kairos sweep --exec PROG [ARGS] (a test program per seed). */
int cli_exec_sweep(const cli_opts *o);
/* "PROG [--load L]... replay FILE --seed N --strategy S [--pct-depth D
 * --pct-steps K]". */
void cli_replay_seed_cmd(const cli_opts *o, const scenario *s, uint64_t seed, char *buf,
                         size_t n);
/* "PROG [--load L]... replay [FILE] --trace T" (FILE NULL: the trace's
 * own scenario). */
void cli_replay_trace_cmd(const cli_opts *o, const char *file, const char *trace, char *buf,
                          size_t n);
/* "kairos CMD: message" on stderr; returns CLI_BAD_INPUT. */
int cli_error(const cli_opts *o, const char *fmt, ...) KR_PRINTF(2, 3);
/* The same plus a hint at --help (usage errors). */
int cli_usage_error(const cli_opts *o, const char *fmt, ...) KR_PRINTF(2, 3);
double cli_now(void); /* monotonic seconds */

/* cli.c */
/* Loads o->file; on error prints it and returns CLI_BAD_INPUT. */
int cli_load(const cli_opts *o, scenario **out);
/* sc_options for one seed of the scenario under the command's flags. */
void cli_run_options(const cli_opts *o, const scenario *s, uint64_t seed, sc_options *so);
/* kr__sc_run, turning a runner error code into an SC_ERROR result. */
void cli_run_one(const scenario *s, const sc_options *so, sc_result *r);
/* The lines every run prints: seed, hash, steps, time, verdict and, on a
 * failure, the check, step, virtual time and `replay_cmd`. */
void cli_print_result(FILE *out, const sc_result *r, const char *strategy,
                      const char *replay_cmd);
/* Writes an HTML run report from a trace (CLI_OK or CLI_BAD_INPUT) that
 * offers these replay commands (NULL: none); `temp`: the trace is a
 * temporary file, not to be named in the report. */
int cli_report_run(const cli_opts *o, const char *trace, const char *html, const char *seed_cmd,
                   const char *trace_cmd, bool temp);
/* A temporary file name for a trace; false on failure. */
bool cli_temp_path(char *buf, size_t n);
/* A run's verdict as the command's exit status (0, 1 or 2). */
int cli_status_exit(sc_status st);
/* Writes the report of a finished run, offering the replay commands that
 * work (NULL: none); `temp` is removed afterwards. A trace that could not
 * be written (r->trace_error) is exit 2, report or not. */
int cli_finish_report(const cli_opts *o, const sc_result *r, const char *trace, bool temp,
                      int status, const char *seed_cmd, const char *trace_cmd);

/* replay_cmd.c */
int cli_cmd_replay(const cli_opts *o);

/* run_limits.c: limits: wall and memory for run and replay. With either
 * limit set, forks: the child returns and runs the seed (and the rest of
 * the command); the calling process watches it and never returns: it exits
 * with the child's status, or stops a child past a limit and prints that
 * failure (the sweep's kind) with replay_cmd, exit 1, removing `temp`
 * (NULL or "": none), a file the run would have removed. No limits:
 * returns at once. */
void cli_run_watch(const scenario *s, uint64_t seed, const char *strategy,
                   const char *replay_cmd, const char *temp);
/* A process' resident memory in bytes (/proc), 0 when unknown. */
uint64_t cli_resident_bytes(pid_t pid);
/* "60s", "1500ms", "7ns": a limit in a unit FORMAT.md durations accept. */
void cli_fmt_limit(kr_duration d, char *buf, size_t n);

/* sweep_runs.c: the run reports a sweep report links to. */
/* DIR/run-seed-N.html for the sweep report DIR/NAME.html. */
void cli_run_report_path(const char *sweep_html, uint64_t seed, char *buf, size_t n);
/* Writes the run report of each seed next to o->report (each run in a
 * forked child); returns how many were written. */
size_t cli_sweep_run_reports(const cli_opts *o, const scenario *s, const uint64_t *seeds,
                             size_t n);

/* sweep_cmd.c, shrink.c */
int cli_sweep(const cli_opts *o);
int cli_shrink(const cli_opts *o);

#endif
