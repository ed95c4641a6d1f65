/* The run reports a sweep report links to: `kairos sweep --report
 * DIR/SWEEP.html` also writes DIR/run-seed-N.html for the first failing seed
 * of each failure signature (reports/README.md). Each seed runs again in a
 * forked child, as the sweep's workers ran it, so a seed that crashes the
 * process costs its report only; the sweep report links to the reports that
 * exist. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "cli.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* Present only in coverage builds (gcc --coverage). */
extern void __gcov_dump(void) __attribute__((weak));

void cli_run_report_path(const char *sweep_html, uint64_t seed, char *buf, size_t n)
{
    const char *slash = strrchr(sweep_html, '/');
    if (slash)
        snprintf(buf, n, "%.*s/run-seed-%" PRIu64 ".html", (int)(slash - sweep_html),
                 sweep_html, seed);
    else
        snprintf(buf, n, "run-seed-%" PRIu64 ".html", seed);
}

/* In the child: one run of `seed` into a temporary trace, then its report
 * (with the seed's replay command). Exit 0 when the report is written. */
static void report_child(const cli_opts *o, const scenario *s, uint64_t seed)
{
    char temp[1024], html[4200], cmd[2048];
    int rc = 1;
    if (cli_temp_path(temp, sizeof temp)) {
        sc_options so;
        cli_run_options(o, s, seed, &so);
        so.trace_path = temp;
        sc_result r;
        cli_run_one(s, &so, &r);
        cli_replay_seed_cmd(o, s, seed, cmd, sizeof cmd);
        cli_run_report_path(o->report, seed, html, sizeof html);
        if (r.status != SC_ERROR && !r.trace_error[0])
            rc = cli_report_run(o, temp, html, cmd, NULL, true) == CLI_OK ? 0 : 1;
        kr__sc_result_free(&r);
        remove(temp);
    }
    fflush(stdout);
    fflush(stderr);
    if (__gcov_dump) /* coverage builds: _exit skips gcov's own flush */
        __gcov_dump();
    _exit(rc);
}

size_t cli_sweep_run_reports(const cli_opts *o, const scenario *s, const uint64_t *seeds,
                             size_t n)
{
    size_t written = 0;
    for (size_t i = 0; i < n; i++) {
        fflush(stdout);
        fflush(stderr);
        pid_t pid = fork();
        if (pid < 0) {
            cli_error(o, "run report of seed %" PRIu64 ": fork: %s", seeds[i], strerror(errno));
            continue;
        }
        if (pid == 0)
            report_child(o, s, seeds[i]);
        int status = 0;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
            ;
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
            written++;
        else
            printf("no run report for seed %" PRIu64 " (its run %s)\n", seeds[i],
                   WIFSIGNALED(status) ? "crashed" : "could not be reported");
    }
    return written;
}
