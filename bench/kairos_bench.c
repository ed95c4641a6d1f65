/* kairos-bench: Kairos' micro-benchmarks, in the format of the CAF/Erlang
 * peers (bench/peers/), one line per benchmark:
 *   bench=NAME runtime=kairos-real n=N seconds=S rate=R rss_mb=M
 *
 * The same sources build kairos-bench (real backend) and kairos-bench-sim
 * (simulator). `--backend X` naming the other backend re-executes the sibling
 * binary from the same directory, so either one accepts every option. */
#include "bench.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const bench_def benches[] = {
    {"pingpong", bench_pingpong, 2000000, false,
     "2 processes, n/2 round trips with kr_send/kr_install; n = one-way messages", false, false},
    {"pingpong-dispatch", bench_pingpong_dispatch, 2000000, false,
     "the same with kr_dispatch", false, false},
    {"fanout", bench_fanout, 1000000, false,
     "1 sender -> 1 counter, n messages; the counter acknowledges at the end", false, false},
    {"ring", bench_ring, 1000000, false, "1,000 processes pass a token n hops", false, false},
    {"spawn", bench_spawn, 1000000, false,
     "skynet: 10-ary tree to n leaves (power of 10); n = processes spawned", false, false},
    {"timers", bench_timers, 100000, false,
     "n processes each kr_delay 1 ms to self; timed until all fired", false, false},
    {"idle", bench_idle, 1000000, false,
     "spawn n idle processes; prints bytes_per_process (RSS delta)", false, false},
    {"http", bench_http, 500000, false,
     "wrk -t2 -c64 on one route for ceil(n/100,000) s (1..30); n = requests done, "
     "p99_ms = wrk's 99th percentile latency (real only)",
     true, true},
    {"remote-w1", bench_remote_w1, 20000, false,
     "ping/pong with a 2nd OS process over loopback, 1 in flight; n = round trips (real only)",
     true, true},
    {"remote-w100", bench_remote_w100, 500000, false,
     "the same with 100 pings in flight (real only)", true, true},
    {"remote-w1000", bench_remote_w1000, 500000, false,
     "the same with 1,000 pings in flight (real only; not in the default set)", true, true},
    {"sim-events", bench_sim_events, 1000000, true,
     "simulator steps/s: 1,000-process ring, 64 tokens, ~n events (sim only)", false, false},
};
/* `remote` on the command line: the windowed pair. */
static const char *const remote_alias[] = {"remote-w1", "remote-w100"};
#define BENCH_COUNT (sizeof benches / sizeof benches[0])

#ifdef KAIROS_SIM
#define THIS_BACKEND "sim"
#define OTHER_BINARY "kairos-bench"
#else
#define THIS_BACKEND "real"
#define OTHER_BINARY "kairos-bench-sim"
#endif

/* ---- shared helpers (bench.h) -------------------------------------------- */

static kr_promise *done_promise;
static kr_future *done_future;

/* --cpu-time: the timed regions count this process' CPU time instead of
 * wall time, for the simulator's one thread on a machine shared with other
 * work (wall time then includes the time other programs held the core). */
static bool clock_cpu;

double bench_clock_now(void)
{
    struct timespec ts;
    clock_gettime(clock_cpu ? CLOCK_PROCESS_CPUTIME_ID : CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void bench_done_arm(void)
{
    done_promise = kr_promise_new();
    done_future = done_promise ? kr_promise_future(done_promise) : NULL;
}

void bench_done_fire(void) { kr_promise_set(done_promise, NULL, NULL); }

int bench_done_wait(const char *bench)
{
    bool ok = done_future && kr_future_await(done_future, KR_SEC(3600)) &&
              kr_future_state_of(done_future) == KR_READY;
    if (!ok)
        fprintf(stderr, "%s: did not complete\n", bench);
    if (done_future)
        kr_future_unref(done_future);
    if (done_promise)
        kr_promise_free(done_promise);
    done_future = NULL;
    done_promise = NULL;
    return ok ? 0 : 1;
}

void bench_process_end(kr_pid pid)
{
    if (kr_pid_is_none(pid))
        return;
    kr_terminate(pid, false);
    kr_wait(pid, KR_SEC(600));
}

int64_t bench_body_i64(const kr_message *m)
{
    int64_t v = 0;
    if (m->len == sizeof v)
        memcpy(&v, m->body, sizeof v);
    return v;
}

void bench_send_i64(kr_process *self, kr_pid to, const char *name, int64_t v)
{
    kr_send(self, to, name, &v, sizeof v);
}

long bench_rss_bytes(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long size = 0, resident = -1;
    if (!f)
        return -1;
    if (fscanf(f, "%ld %ld", &size, &resident) != 2)
        resident = -1;
    fclose(f);
    return resident < 0 ? -1 : resident * sysconf(_SC_PAGESIZE);
}

/* Peak resident set size (VmHWM) in MiB, as the peers report it. */
static double peak_rss_mb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    if (!f)
        return -1;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "VmHWM:", 6) == 0)
            kb = atol(line + 6);
    fclose(f);
    return kb < 0 ? -1 : (double)kb / 1024.0;
}

/* ---- options -------------------------------------------------------------- */

typedef struct cli {
    const char *backend;
    bench_opts opts;
    uint64_t seed;
    const char *names[BENCH_COUNT * 4];
    int name_count;
} cli;

static void usage(FILE *out)
{
    fprintf(out,
            "usage: kairos-bench [--backend real|sim] [--n N] [--workers W] [--seed S] "
            "[--procs P] [--cpu-time] [NAME...]\n"
            "Runs each named benchmark (default: all for the backend) in a fresh runtime\n"
            "and prints one line per benchmark:\n"
            "  bench=NAME runtime=kairos-BACKEND n=N seconds=S rate=R rss_mb=M\n"
            "rss_mb is this process' peak RSS so far (run one benchmark per process to\n"
            "compare with the peers). --n scales every named benchmark (0 = defaults),\n"
            "--workers sets the real backend's threads (0 = one per core), --seed the\n"
            "simulator's seed, --procs the processes of sim-events' ring (default 1000;\n"
            "tokens: 64, or one per process below 64). --cpu-time times the process' CPU\n"
            "time instead of wall time (for sim benchmarks on a shared machine).\n"
            "kairos-bench is the real backend, kairos-bench-sim the\n"
            "simulator; --backend re-executes the other binary. `remote` names\n"
            "remote-w1 and remote-w100. http needs wrk on PATH (skipped, with a message\n"
            "and no result line, without it).\n\nbenchmarks:\n");
    for (size_t i = 0; i < BENCH_COUNT; i++)
        fprintf(out, "  %-18s %s (default n=%ld)\n", benches[i].name, benches[i].what,
                benches[i].default_n);
}

static const bench_def *bench_find(const char *name)
{
    for (size_t i = 0; i < BENCH_COUNT; i++)
        if (strcmp(benches[i].name, name) == 0)
            return &benches[i];
    return NULL;
}

static bool parse_long(const char *s, long min, long *out)
{
    char *end;
    errno = 0;
    long v = s ? strtol(s, &end, 10) : 0;
    if (!s || errno || end == s || *end || v < min)
        return false;
    *out = v;
    return true;
}

/* 0 to run, 1 on a usage error, 2 after --help. */
static int parse_args(int argc, char **argv, cli *c)
{
    long v;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return 2;
        } else if (strcmp(a, "--backend") == 0 && val) {
            c->backend = val;
            i++;
        } else if (strcmp(a, "--n") == 0 && parse_long(val, 0, &v)) {
            c->opts.n = v;
            i++;
        } else if (strcmp(a, "--workers") == 0 && parse_long(val, 0, &v) && v <= 1024) {
            c->opts.workers = (int)v;
            i++;
        } else if (strcmp(a, "--cpu-time") == 0) {
            clock_cpu = true;
        } else if (strcmp(a, "--procs") == 0 && parse_long(val, 0, &v) && v <= 100000000) {
            c->opts.procs = v;
            i++;
        } else if (strcmp(a, "--seed") == 0 && parse_long(val, 0, &v)) {
            c->seed = (uint64_t)v;
            i++;
        } else if (strcmp(a, "remote") == 0 && c->name_count + 2 <= (int)(BENCH_COUNT * 4)) {
            for (size_t k = 0; k < sizeof remote_alias / sizeof remote_alias[0]; k++)
                c->names[c->name_count++] = remote_alias[k];
        } else if (a[0] != '-' && bench_find(a) && c->name_count < (int)(BENCH_COUNT * 4)) {
            c->names[c->name_count++] = a;
        } else {
            fprintf(stderr, "kairos-bench: bad argument '%s' (see --help)\n", a);
            return 1;
        }
    }
    return 0;
}

/* Runs the sibling binary for the other backend with the same arguments. */
static int exec_other_backend(char **argv)
{
    char path[PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", path, sizeof path - 1);
    if (len <= 0)
        return 1;
    path[len] = '\0';
    char *slash = strrchr(path, '/');
    size_t dir_len = slash ? (size_t)(slash - path) + 1 : 0;
    if (dir_len + sizeof OTHER_BINARY > sizeof path)
        return 1;
    memcpy(path + dir_len, OTHER_BINARY, sizeof OTHER_BINARY);
    execv(path, argv);
    fprintf(stderr, "kairos-bench: cannot run %s: %s\n", path, strerror(errno));
    return 1;
}

/* ---- running -------------------------------------------------------------- */

static void report(const char *name, const bench_result *r)
{
    printf("bench=%s runtime=kairos-%s n=%ld seconds=%.4f rate=%.0f rss_mb=%.1f", name,
           kr_backend(), r->n, r->seconds, r->seconds > 0 ? (double)r->n / r->seconds : 0.0,
           peak_rss_mb());
    if (r->bytes_per_process >= 0)
        printf(" bytes_per_process=%.0f", r->bytes_per_process);
    if (r->p99_ms >= 0)
        printf(" p99_ms=%.3f", r->p99_ms);
    printf("\n");
    fflush(stdout);
}

static int run_one(const bench_def *b, const cli *c)
{
    kr_config cfg = {.workers = c->opts.workers, .port = b->listen ? 0 : -1, .seed = c->seed};
    int err = kr_init(&cfg);
    if (err != 0) {
        fprintf(stderr, "%s: kr_init: %s\n", b->name, kr_strerror(err));
        return 1;
    }
    bench_opts opts = c->opts;
    if (opts.n == 0)
        opts.n = b->default_n;
    bench_result r = {.n = 0, .seconds = 0, .bytes_per_process = -1, .p99_ms = -1};
    int rc = b->run(&opts, &r);
    if (rc == 0)
        report(b->name, &r);
    else if (rc == BENCH_SKIPPED)
        rc = 0;
#ifdef KAIROS_SIM
    if (kr_sim_failure()) {
        fprintf(stderr, "%s: %s\n", b->name, kr_sim_failure());
        rc = 1;
    }
#endif
    kr_finalize();
    return rc;
}

int main(int argc, char **argv)
{
    cli c = {.backend = THIS_BACKEND};
    if (argc == 3 && strcmp(argv[1], "--remote-server") == 0)
        return bench_remote_server(atoi(argv[2]));
    int rc = parse_args(argc, argv, &c);
    if (rc != 0)
        return rc == 2 ? 0 : 2;
    if (strcmp(c.backend, THIS_BACKEND) != 0) {
        if (strcmp(c.backend, "real") != 0 && strcmp(c.backend, "sim") != 0) {
            fprintf(stderr, "kairos-bench: --backend must be real or sim\n");
            return 2;
        }
        return exec_other_backend(argv);
    }
    int failed = 0;
    bool sim = strcmp(THIS_BACKEND, "sim") == 0;
    for (size_t i = 0; c.name_count == 0 && i < BENCH_COUNT; i++)
        if ((sim ? !benches[i].real_only : !benches[i].sim_only) &&
            strcmp(benches[i].name, "remote-w1000") != 0)
            failed |= run_one(&benches[i], &c);
    for (int i = 0; i < c.name_count; i++) {
        const bench_def *b = bench_find(c.names[i]);
        if (b->sim_only && strcmp(THIS_BACKEND, "sim") != 0) {
            fprintf(stderr, "%s: only on the sim backend (--backend sim)\n", b->name);
            failed = 1;
            continue;
        }
        if (b->real_only && sim) {
            fprintf(stderr, "%s: only on the real backend (--backend real)\n", b->name);
            failed = 1;
            continue;
        }
        failed |= run_one(b, &c);
    }
    return failed ? 1 : 0;
}
