/* kairos sweep's limits watchdog (limits: wall, memory; FORMAT.md): the
 * parent kills a worker whose seed ran too long in real time or holds too
 * much memory, and names the failure. It reads only real time and /proc in
 * the parent, never anything the simulation sees, so the limits cannot
 * change a passing seed's trace hash. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "sweep_internal.h"

#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

/* Kills a worker whose current seed ran longer than limits: wall or holds
 * more than limits: memory; worker_ended then reports the seed as its own
 * failure kind. The watchdog runs in the parent and reads only real time
 * and /proc, so a passing seed's run (and trace hash) is untouched. */
void cli_sweep_watch_limits(sweep *w)
{
    double now = cli_now();
    for (int j = 0; j < w->jobs; j++) {
        worker *k = &w->workers[j];
        if (k->fd < 0 || k->killed)
            continue;
        uint64_t busy = atomic_load(&w->shm->busy[j]);
        if (busy != k->watch_busy) {
            k->watch_busy = busy;
            k->watch_t0 = now;
        }
        if (!busy)
            continue;
        /* Memory first: a seed over both limits when we look (a late look
         * on a loaded machine) is reported as the more specific cause. */
        if (w->s->memory_limit && cli_resident_bytes(k->pid) > w->s->memory_limit)
            k->killed = KILLED_MEMORY;
        else if (w->s->wall_limit && (now - k->watch_t0) * 1e9 > (double)w->s->wall_limit)
            k->killed = KILLED_WALL;
        if (k->killed)
            kill(k->pid, SIGKILL);
    }
}

void cli_sweep_limit_failure(const sweep *w, const worker *k, uint64_t seed, char *sig,
                             size_t sig_n, char *failure, size_t failure_n)
{
    if (k->killed == KILLED_WALL) {
        char lim[32];
        cli_fmt_limit(w->s->wall_limit, lim, sizeof lim);
        snprintf(sig, sig_n, "wall-clock limit %s exceeded", lim);
        snprintf(failure, failure_n,
                 "the run of seed %" PRIu64 " took more than %s of real time (limits: wall); "
                 "the worker was killed", seed, lim);
    } else {
        snprintf(sig, sig_n, "memory limit exceeded");
        snprintf(failure, failure_n,
                 "the run of seed %" PRIu64 " held more than %" PRIu64
                 " bytes of memory (limits: memory); the worker was killed", seed,
                 w->s->memory_limit);
    }
}
