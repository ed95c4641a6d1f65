/* limits: wall and memory (FORMAT.md) for kairos run and replay, as the
 * sweep applies them to its workers (sweep_limits.c).
 *
 * A run of one seed happens in a child: cli_run_watch forks just before
 * the run; the child returns and carries on with the command as if nothing
 * happened (runs, prints, writes the trace and the report, exits), while
 * the parent only watches it, reading real time and the child's /proc,
 * never anything the simulation sees (so a passing seed's trace hash does
 * not change). When the child ends, the parent exits with its status.
 * When it runs past `wall` or holds more than `memory`, the parent stops
 * it (SIGTERM, which removes the temporary of a trace being written; then
 * SIGKILL), prints the failure with the same kind the sweep reports
 * ("wall-clock limit 1s exceeded", "memory limit exceeded") and its replay
 * command, and exits 1, as a sweep with that failing seed does. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "cli.h"
#include "../scenario/out_file.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

uint64_t cli_resident_bytes(pid_t pid)
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

void cli_fmt_limit(kr_duration d, char *buf, size_t n)
{
    if (d % KR_SEC(1) == 0)
        snprintf(buf, n, "%llds", (long long)(d / KR_SEC(1)));
    else if (d % KR_MSEC(1) == 0)
        snprintf(buf, n, "%lldms", (long long)(d / KR_MSEC(1)));
    else
        snprintf(buf, n, "%lldns", (long long)d);
}

/* The child on SIGTERM from its watcher: no half-written output is left
 * under a temporary name. Only async-signal-safe calls. */
static void child_stopped(int sig)
{
    (void)sig;
    kr__out_abandon_all();
    _exit(128 + SIGTERM);
}

/* The parent's end: the child's status as ours (a signal re-raised). */
static _Noreturn void exit_like(int status)
{
    fflush(stdout);
    fflush(stderr);
    if (WIFSIGNALED(status)) {
        signal(WTERMSIG(status), SIG_DFL);
        raise(WTERMSIG(status));
    }
    _exit(WIFEXITED(status) ? WEXITSTATUS(status) : CLI_FAILED);
}

/* Stops the child: SIGTERM, then SIGKILL if it has not ended in 2 s. */
static void stop_child(pid_t child)
{
    kill(child, SIGTERM);
    for (int i = 0; i < 200; i++) {
        if (waitpid(child, NULL, WNOHANG) == child)
            return;
        struct timespec t = {0, 10 * 1000000L};
        nanosleep(&t, NULL);
    }
    kill(child, SIGKILL);
    while (waitpid(child, NULL, 0) < 0 && errno == EINTR) {
    }
}

static _Noreturn void report_limit(const scenario *s, uint64_t seed, const char *strategy,
                                   const char *replay_cmd, bool wall)
{
    char lim[32];
    cli_fmt_limit(s->wall_limit, lim, sizeof lim);
    printf("seed %" PRIu64 "  strategy %s  FAIL\n", seed, strategy);
    if (wall)
        printf("failure: the run of seed %" PRIu64
               " took more than %s of real time (limits: wall); the run was killed\n"
               "  check:  wall-clock limit %s exceeded\n",
               seed, lim, lim);
    else
        printf("failure: the run of seed %" PRIu64 " held more than %" PRIu64
               " bytes of memory (limits: memory); the run was killed\n"
               "  check:  memory limit exceeded\n",
               seed, s->memory_limit);
    if (replay_cmd)
        printf("  replay: %s\n", replay_cmd);
    fflush(stdout);
    _exit(CLI_FAILED);
}

void cli_run_watch(const scenario *s, uint64_t seed, const char *strategy,
                   const char *replay_cmd, const char *temp)
{
    if (!s->wall_limit && !s->memory_limit)
        return;
    fflush(stdout);
    fflush(stderr);
    pid_t parent = getpid();
    pid_t child = fork();
    if (child < 0)
        return; /* cannot watch: run unwatched rather than not at all */
    if (child == 0) {
        /* The watcher gone (killed itself), the run must not outlive it. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(CLI_FAILED);
        signal(SIGTERM, child_stopped);
        return;
    }
    /* Ctrl-C reaches the child too (same process group): let it end and
     * report its status rather than dying before it. */
    signal(SIGINT, SIG_IGN);
    double t0 = cli_now();
    long pause_ms = s->memory_limit ? 10 : 100;
    for (;;) {
        int status;
        pid_t got = waitpid(child, &status, WNOHANG);
        if (got == child)
            exit_like(status);
        if (got < 0 && errno != EINTR)
            _exit(CLI_FAILED);
        /* Memory first: a run over both limits when we look (a late look
         * on a loaded machine) is reported as the more specific cause. */
        bool memory = s->memory_limit && cli_resident_bytes(child) > s->memory_limit;
        bool wall = !memory && s->wall_limit && (cli_now() - t0) * 1e9 > (double)s->wall_limit;
        if (wall || memory) {
            stop_child(child);
            if (temp && *temp)
                remove(temp); /* the child's report trace, made before the fork */
            report_limit(s, seed, strategy, replay_cmd, wall);
        }
        struct timespec t = {0, pause_ms * 1000000L};
        nanosleep(&t, NULL);
    }
}
