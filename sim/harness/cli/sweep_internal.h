/* kairos sweep's shared parts (sweep_cmd.c runs the workers and keeps the
 * tallies; sweep_summary.c prints what they found): the records workers
 * send, the tallies and the sweep's state. */
#ifndef KAIROS_SWEEP_INTERNAL_H
#define KAIROS_SWEEP_INTERNAL_H

#include "cli.h"
#include "out_file.h"

#include <stdatomic.h>
#include <sys/types.h>

/* ---- worker <-> parent records ------------------------------------------- */

enum { REC_RESULT = 2 };

typedef struct rec_hdr {
    uint32_t type, len; /* payload bytes after the header */
} rec_hdr;

/* REC_RESULT payload, then sig_len + fail_len bytes of text, then n_probes
 * times (uint64_t hits, uint32_t name_len, name). */
typedef struct rec_result {
    uint64_t index, seed, hash, steps, fail_step, events, wall_ns;
    int64_t time, fail_time;
    int32_t status;
    uint32_t sig_len, fail_len, n_probes;
    uint64_t faults[SC_FAULT_KINDS]; /* fault events by kind (kr__sc_fault_kinds) */
} rec_result;

/* Shared by the parent and every worker (MAP_SHARED). */
typedef struct sweep_shm {
    atomic_uint_fast64_t next;     /* next seed index to run */
    atomic_uint_fast64_t failures; /* failing seeds so far */
    atomic_int stop;               /* no new seeds */
    /* Per worker slot: 1 + the index of the seed it is running, 0 idle, so
     * the parent knows which seed a crashed worker was running. */
    atomic_uint_fast64_t busy[];
} sweep_shm;

/* ---- tallies ----------------------------------------------------------- */

typedef struct probe_tally {
    char *name;
    uint64_t hits, seeds;
} probe_tally;

typedef struct sig_tally {
    char *signature, *failure;
    uint64_t count, first_seed, fail_step;
    kr_duration fail_time;
} sig_tally;

typedef struct worker {
    pid_t pid;
    int fd; /* read end, -1 when closed */
    char *buf;
    size_t len, cap;
    bool got_result; /* last_index is valid */
    uint64_t last_index; /* of the last result received */
    /* The limits watchdog (sweep_cmd.c): the busy value last seen, when it
     * was first seen, and why the parent killed the worker (0: it did not). */
    uint64_t watch_busy;
    double watch_t0;
    int killed; /* KILLED_WALL or KILLED_MEMORY */
} worker;

enum { KILLED_WALL = 1, KILLED_MEMORY = 2 };

typedef struct sweep {
    const cli_opts *o;
    const scenario *s;
    uint64_t seed_a, seed_b;     /* the whole range */
    uint64_t first, step, count; /* this shard: seed(i) = first + i * step */
    int jobs;
    sweep_shm *shm;
    size_t shm_size;
    worker *workers;
    int respawns;
    /* tallies */
    uint64_t done, passed, failed, errors;
    sig_tally *sigs;
    size_t n_sigs, cap_sigs;
    probe_tally *probes;
    size_t n_probes, cap_probes;
    uint64_t fault_hits[SC_FAULT_KINDS], fault_seeds[SC_FAULT_KINDS];
    FILE *jsonl; /* sweep summary being written (jsonl_out.f), or NULL */
    kr__out jsonl_out;
    char jsonl_path[4096];
    char first_error[640];
    /* progress */
    double t0, last_draw;
    uint64_t next_line;
    bool tty;
} sweep;

/* sweep_summary.c */
const probe_tally *cli_sweep_find_probe(const sweep *w, const char *name);
/* Prints the summary; the command's exit status (CLI_OK, CLI_FAILED,
 * CLI_BAD_INPUT). */
int cli_sweep_print_summary(sweep *w, double secs);

/* sweep_limits.c: called from the parent's loop, kills (SIGKILL) a worker
 * whose seed is over limits: wall or memory and sets its `killed`. */
void cli_sweep_watch_limits(sweep *w);
/* The signature and failure text of a seed whose worker the watchdog
 * killed (k->killed != 0). */
void cli_sweep_limit_failure(const sweep *w, const worker *k, uint64_t seed, char *sig,
                             size_t sig_n, char *failure, size_t failure_n);

#endif
