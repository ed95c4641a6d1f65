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

/* The worker's resident memory in bytes (Linux /proc), 0 when unknown. */
static uint64_t resident_bytes(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/statm", (int)pid);
    FILE *f = fopen(path, "r");
    unsigned long long size = 0, rss = 0;
    if (!f)
        return 0;
    int n = fscanf(f, "%llu %llu", &size, &rss);
    fclose(f);
    return n == 2 ? (uint64_t)rss * (uint64_t)sysconf(_SC_PAGESIZE) : 0;
}

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
        if (w->s->wall_limit && (now - k->watch_t0) * 1e9 > (double)w->s->wall_limit)
            k->killed = KILLED_WALL;
        else if (w->s->memory_limit && resident_bytes(k->pid) > w->s->memory_limit)
            k->killed = KILLED_MEMORY;
        if (k->killed)
            kill(k->pid, SIGKILL);
    }
}

/* "60s", "1500ms", "7ns": the limit in a unit FORMAT.md durations accept. */
static void fmt_limit(kr_duration d, char *buf, size_t n)
{
    if (d % KR_SEC(1) == 0)
        snprintf(buf, n, "%llds", (long long)(d / KR_SEC(1)));
    else if (d % KR_MSEC(1) == 0)
        snprintf(buf, n, "%lldms", (long long)(d / KR_MSEC(1)));
    else
        snprintf(buf, n, "%lldns", (long long)d);
}

void cli_sweep_limit_failure(const sweep *w, const worker *k, uint64_t seed, char *sig,
                             size_t sig_n, char *failure, size_t failure_n)
{
    if (k->killed == KILLED_WALL) {
        char lim[32];
        fmt_limit(w->s->wall_limit, lim, sizeof lim);
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
