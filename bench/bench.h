/* Shared pieces of kairos-bench: the benchmark table, timing, the "done"
 * signal main() waits on, and small message helpers.
 *
 * Every benchmark runs in a fresh runtime (kr_init before, kr_finalize
 * after, both outside the timed region) and fills a bench_result; the driver
 * prints it in the peers' format (see /work/shared/peers/RESULTS.md):
 *   bench=NAME runtime=kairos-real n=N seconds=S rate=R rss_mb=M */
#ifndef KAIROS_BENCH_H
#define KAIROS_BENCH_H

#include <kairos/kairos.h>

#include <stdbool.h>
#include <stdint.h>

typedef struct bench_opts {
    long n;      /* the benchmark's size; 0 = its default */
    int workers; /* real backend worker threads; 0 = one per core */
    long procs;  /* sim-events: processes in the ring; 0 = its default (1,000) */
} bench_opts;

typedef struct bench_result {
    long n;                   /* what the rate counts (messages, processes, ...) */
    double seconds;           /* timed region only */
    double bytes_per_process; /* idle only; < 0 = not printed */
    double p99_ms;            /* http only: wrk's 99th percentile latency; < 0 = not printed */
} bench_result;

/* Runs one benchmark in a running runtime. 0 on success, BENCH_SKIPPED when
 * it cannot run here (it says why on stderr; no result line is printed),
 * else prints why on stderr and returns another non-zero value. */
#define BENCH_SKIPPED (-1)
typedef int (*bench_fn)(const bench_opts *opts, bench_result *out);

typedef struct bench_def {
    const char *name;
    bench_fn run;
    long default_n;
    bool sim_only;
    const char *what;
    bool real_only; /* network benchmarks: real sockets */
    bool listen;    /* the runtime must listen (port 0: any free port) */
} bench_def;

/* bench_messaging.c */
int bench_pingpong(const bench_opts *opts, bench_result *out);
int bench_pingpong_dispatch(const bench_opts *opts, bench_result *out);
int bench_fanout(const bench_opts *opts, bench_result *out);
int bench_ring(const bench_opts *opts, bench_result *out);
/* bench_processes.c */
int bench_spawn(const bench_opts *opts, bench_result *out);
int bench_timers(const bench_opts *opts, bench_result *out);
int bench_idle(const bench_opts *opts, bench_result *out);
/* bench_network.c (real backend) */
int bench_http(const bench_opts *opts, bench_result *out);
int bench_remote_w1(const bench_opts *opts, bench_result *out);
int bench_remote_w100(const bench_opts *opts, bench_result *out);
int bench_remote_w1000(const bench_opts *opts, bench_result *out);
/* The server side of `remote`, run by `kairos-bench --remote-server W` in a
 * second OS process: prints its port, serves until stdin closes. */
int bench_remote_server(int workers);
/* bench_sim.c */
int bench_sim_events(const bench_opts *opts, bench_result *out);

/* Seconds on CLOCK_MONOTONIC (wall time on both backends). */
double bench_clock_now(void);

/* The completion signal: main arms it before starting the workload, one
 * process fires it (from any worker thread) when the workload is done, and
 * main waits for it with kr_future_await, which drives the simulation on the
 * sim backend. */
void bench_done_arm(void);
void bench_done_fire(void);
/* 0 once fired; non-zero (and a message naming `bench`) on timeout. */
int bench_done_wait(const char *bench);

/* Terminates an unmanaged process (queued events first) and waits until
 * it is gone, so its memory may be released. A no-op for KR_PID_NONE. */
void bench_process_end(kr_pid pid);

/* Message bodies are one int64. */
int64_t bench_body_i64(const kr_message *m);
void bench_send_i64(kr_process *self, kr_pid to, const char *name, int64_t v);

/* Resident set size now, in bytes, from /proc/self/statm (-1 if unknown). */
long bench_rss_bytes(void);

#endif
