/* Runtime lifecycle: start, stop, and what this node is. */
#ifndef KAIROS_RUNTIME_H
#define KAIROS_RUNTIME_H

#include <kairos/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The largest PCT bug depth (kr_config.pct_depth, KAIROS_PCT_DEPTH, a
 * scenario's run.pct_depth, `kairos --pct-depth`): the simulator keeps d-1
 * priority change points. Depths are 1..KR_PCT_DEPTH_MAX. */
#define KR_PCT_DEPTH_MAX 8

typedef struct kr_config {
    int workers;          /* real: worker threads, 0 = one per core */
    const char *ip;       /* real: listen address, NULL = 127.0.0.1 */
    int port;             /* real: listen port, 0 = any free port, -1 = none */
    uint64_t seed;        /* sim: seed of every random choice */
    const char *strategy; /* sim: "random" (default), "pct", "pos", "fifo" */
    int pct_depth;        /* sim, pct: bug depth d (1..KR_PCT_DEPTH_MAX), 0 = KAIROS_PCT_DEPTH or 3 */
    const char *runq;     /* real: run queue, "lockfree" (default) or "locked" (mutex +
                           * condition variable); NULL = KAIROS_RUNQ or the default. */
    uint64_t pct_steps;   /* sim, pct: k, the run's length in scheduler steps from which
                           * the d-1 priority change points are drawn (1..1e9);
                           * 0 = KAIROS_PCT_STEPS or 2000. Set it near the length
                           * (kr_sim_steps()) of a typical run: PCT's guarantee
                           * 1/(n*k^(d-1)) needs it, `kairos sweep` measures it. */
} kr_config;

/* Starts the runtime. NULL means defaults. Every field left zero or NULL is
 * taken from the environment (KAIROS_WORKERS, KAIROS_IP, KAIROS_PORT,
 * KAIROS_SEED, KAIROS_STRATEGY, KAIROS_PCT_DEPTH, KAIROS_PCT_STEPS,
 * KAIROS_RUNQ) when set there; a field the caller sets wins.
 * An invalid value (from either source) is KR_EINVAL, never a silent
 * default. A field marked for one backend (and its variable) is read and
 * checked only by that backend; the other ignores it, so one configuration
 * serves both libraries. Returns KR_ESTATE if the runtime is already running. After
 * kr_finalize() a new kr_init() starts a fresh runtime. */
KR_API int kr_init(const kr_config *cfg);

/* Terminates every process (queued events run first), waits for them, stops
 * the backend and frees what the runtime owns. Must not be called from
 * inside a process (logged and ignored). A no-op when not running. */
KR_API void kr_finalize(void);

/* "real" or "sim": the backend this library was built with. */
KR_API const char *kr_backend(void);

/* True between kr_init() and kr_finalize(). */
KR_API bool kr_running(void);

/* Writes this node's "ip:port" into buf. KR_ENOSPC if it does not fit,
 * KR_ESTATE if the runtime is not running. */
KR_API int kr_address(char *buf, size_t n);

#ifdef __cplusplus
}
#endif
#endif
