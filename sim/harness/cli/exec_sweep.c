/* kairos sweep --exec PROG [ARGS...]: a seed sweep over a user's own test
 * program (a cmocka test linked to kairos_sim, any program calling
 * kr_init), so C tests get what scenarios get: --seeds, --jobs, --shard,
 * progress, failure signatures with their first seed and a replay command,
 * a --jsonl summary in the sweep format (so `kairos merge` and the sweep
 * report read it).
 *
 * Each seed runs PROG once with KAIROS_SEED=N in its environment (kr_init
 * reads it; --strategy, --pct-depth and --pct-steps become KAIROS_STRATEGY,
 * KAIROS_PCT_DEPTH and KAIROS_PCT_STEPS, and the replay command spells
 * them out) and KAIROS_FAILURE_FILE naming a file where the simulator
 * appends every failed kr_check. A seed fails when the program exits
 * non-zero, dies of a signal, or a kr_check failed; its signature is
 * "check FILE:LINE" of the first failed check (the file's base name),
 * else "exit N" or "signal N". The program's output goes to a temporary
 * file; the last line of it is the failure text when no check names it. */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct exec_sig {
    char signature[160];
    char failure[512];
    uint64_t count, first_seed;
} exec_sig;

typedef struct running {
    pid_t pid;
    uint64_t seed;
    double t0;
} running;

typedef struct exec_sweep {
    const cli_opts *o;
    char dir[64]; /* temporary directory for outputs */
    uint64_t a, b, step, next, count, done, passed, failed;
    bool exhausted; /* every seed of the shard started */
    running *run;
    int jobs, n_run;
    exec_sig *sigs;
    size_t n_sigs;
    FILE *jsonl;
    double t0;
    uint64_t next_line;
} exec_sweep;

static void path_of(const exec_sweep *w, uint64_t seed, const char *ext, char *buf, size_t n)
{
    snprintf(buf, n, "%s/%" PRIu64 ".%s", w->dir, seed, ext);
}

static void child(const exec_sweep *w, uint64_t seed)
{
    char num[32], out[128], fail[128];
    snprintf(num, sizeof num, "%" PRIu64, seed);
    path_of(w, seed, "out", out, sizeof out);
    path_of(w, seed, "fail", fail, sizeof fail);
    int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd >= 0) {
        dup2(fd, STDOUT_FILENO);
        dup2(fd, STDERR_FILENO);
        close(fd);
    }
    setenv("KAIROS_SEED", num, 1);
    setenv("KAIROS_FAILURE_FILE", fail, 1);
    const cli_opts *o = w->o;
    if (o->strategy)
        setenv("KAIROS_STRATEGY", o->strategy, 1);
    if (o->pct_depth) {
        snprintf(num, sizeof num, "%d", o->pct_depth);
        setenv("KAIROS_PCT_DEPTH", num, 1);
    }
    if (o->pct_steps) {
        snprintf(num, sizeof num, "%" PRIu64, o->pct_steps);
        setenv("KAIROS_PCT_STEPS", num, 1);
    }
    execvp(w->o->exec_argv[0], w->o->exec_argv);
    fprintf(stderr, "kairos sweep --exec: cannot run %s: %s\n", w->o->exec_argv[0],
            strerror(errno));
    _exit(127);
}

static int start(exec_sweep *w)
{
    uint64_t seed = w->next;
    if (w->b - seed < w->step)
        w->exhausted = true; /* the next one would pass B (or wrap) */
    else
        w->next = seed + w->step;
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        return cli_error(w->o, "fork: %s", strerror(errno));
    if (pid == 0)
        child(w, seed);
    w->run[w->n_run++] = (running){pid, seed, cli_now()};
    return 0;
}

/* The first line of a file (without its newline), or the last non-empty
 * line when `last`. */
static bool read_line(const char *path, bool last, char *buf, size_t n)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    char line[480];
    bool got = false;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        if (!line[0])
            continue;
        snprintf(buf, n, "%s", line);
        got = true;
        if (!last)
            break;
    }
    fclose(f);
    return got;
}

/* "check FILE:LINE" from "/path/FILE:LINE: message (...)". */
static void check_signature(const char *failure, char *sig, size_t n)
{
    const char *colon = strstr(failure, ": ");
    int len = colon ? (int)(colon - failure) : (int)strlen(failure);
    const char *base = failure;
    for (const char *c = failure; c < failure + len; c++)
        if (*c == '/')
            base = c + 1;
    snprintf(sig, n, "check %.*s", len - (int)(base - failure), base);
}

static void tally(exec_sweep *w, uint64_t seed, const char *sig, const char *failure)
{
    for (size_t i = 0; i < w->n_sigs; i++) {
        if (strcmp(w->sigs[i].signature, sig) == 0) {
            w->sigs[i].count++;
            if (seed < w->sigs[i].first_seed) {
                w->sigs[i].first_seed = seed;
                snprintf(w->sigs[i].failure, sizeof w->sigs[i].failure, "%s", failure);
            }
            return;
        }
    }
    exec_sig *s = realloc(w->sigs, (w->n_sigs + 1) * sizeof *s);
    if (!s)
        return; /* the counts stay right; this signature goes unlisted */
    w->sigs = s;
    exec_sig *t = &w->sigs[w->n_sigs++];
    snprintf(t->signature, sizeof t->signature, "%s", sig);
    snprintf(t->failure, sizeof t->failure, "%s", failure);
    t->count = 1;
    t->first_seed = seed;
}

static void jsonl_seed(exec_sweep *w, uint64_t seed, bool ok, const char *sig,
                       const char *failure, double secs)
{
    if (!w->jsonl)
        return;
    fprintf(w->jsonl,
            "{\"type\":\"seed\",\"seed\":%" PRIu64 ",\"status\":\"%s\",\"hash\":\"0x%016x\","
            "\"steps\":0,\"time\":0,\"events\":0,\"signature\":",
            seed, ok ? "pass" : "fail", 0u);
    kr__json_escape(w->jsonl, ok ? "" : sig, ok ? 0 : strlen(sig));
    fputs(",\"failure\":", w->jsonl);
    kr__json_escape(w->jsonl, ok ? "" : failure, ok ? 0 : strlen(failure));
    fprintf(w->jsonl, ",\"fail_step\":0,\"fail_time\":0,\"wall_ns\":%" PRIu64
                      ",\"probes\":{},\"faults\":{}}\n",
            (uint64_t)(secs * 1e9));
}

static void finished(exec_sweep *w, int slot, int status)
{
    running r = w->run[slot];
    w->run[slot] = w->run[--w->n_run];
    char out[128], fail[128], failure[512] = "", sig[160] = "";
    path_of(w, r.seed, "out", out, sizeof out);
    path_of(w, r.seed, "fail", fail, sizeof fail);
    bool checked = read_line(fail, false, failure, sizeof failure);
    bool ok = !checked && WIFEXITED(status) && WEXITSTATUS(status) == 0;
    if (checked)
        check_signature(failure, sig, sizeof sig);
    else if (WIFSIGNALED(status))
        snprintf(sig, sizeof sig, "signal %d", WTERMSIG(status));
    else if (!ok)
        snprintf(sig, sizeof sig, "exit %d", WEXITSTATUS(status));
    if (!ok && !checked && !read_line(out, true, failure, sizeof failure))
        snprintf(failure, sizeof failure, "%s (no output)", sig);
    w->done++;
    if (ok) {
        w->passed++;
    } else {
        w->failed++;
        tally(w, r.seed, sig, failure);
    }
    jsonl_seed(w, r.seed, ok, sig, failure, cli_now() - r.t0);
    unlink(out);
    unlink(fail);
    if (w->done >= w->next_line) {
        double el = cli_now() - w->t0;
        fprintf(stderr, "progress: %" PRIu64 "/%" PRIu64 " seeds, %.0f seeds/s, %" PRIu64
                        " failure%s\n",
                w->done, w->count, el > 0 ? (double)w->done / el : 0.0, w->failed,
                w->failed == 1 ? "" : "s");
        uint64_t every = w->count / 10 < 10 ? 10 : w->count / 10;
        w->next_line = (w->done / every + 1) * every;
    }
}

static int run_all(exec_sweep *w)
{
    int rc = 0;
    while (rc == 0 && (w->done < w->count)) {
        while (rc == 0 && w->n_run < w->jobs && !w->exhausted)
            rc = start(w);
        int status;
        pid_t pid = waitpid(-1, &status, 0);
        if (pid < 0) {
            if (errno == EINTR)
                continue;
            return cli_error(w->o, "waitpid: %s", strerror(errno));
        }
        for (int i = 0; i < w->n_run; i++) {
            if (w->run[i].pid == pid) {
                finished(w, i, status);
                break;
            }
        }
    }
    return rc;
}

static void replay_cmd(const exec_sweep *w, uint64_t seed, char *buf, size_t n)
{
    const cli_opts *o = w->o;
    snprintf(buf, n, "KAIROS_SEED=%" PRIu64, seed);
    size_t len = strlen(buf);
    if (o->strategy)
        snprintf(buf + len, n - len, " KAIROS_STRATEGY=%s", o->strategy);
    len = strlen(buf);
    if (o->pct_depth)
        snprintf(buf + len, n - len, " KAIROS_PCT_DEPTH=%d", o->pct_depth);
    len = strlen(buf);
    if (o->pct_steps)
        snprintf(buf + len, n - len, " KAIROS_PCT_STEPS=%" PRIu64, o->pct_steps);
    for (int i = 0; w->o->exec_argv[i]; i++)
        cli_append_arg(buf, n, w->o->exec_argv[i]);
}

static int summary(exec_sweep *w)
{
    printf("sweep --exec %s: seeds %" PRIu64 "..%" PRIu64 ", shard %" PRIu64 "/%" PRIu64 "\n",
           w->o->exec_argv[0], w->a, w->b, w->o->shard_k, w->o->shard_n);
    printf("seeds run: %" PRIu64 " of %" PRIu64 ", passed %" PRIu64 ", failed %" PRIu64 "\n",
           w->done, w->count, w->passed, w->failed);
    printf("failure signatures: %zu\n", w->n_sigs);
    for (size_t i = 0; i < w->n_sigs; i++) {
        char cmd[2048];
        replay_cmd(w, w->sigs[i].first_seed, cmd, sizeof cmd);
        printf("  %" PRIu64 " x %s\n", w->sigs[i].count, w->sigs[i].signature);
        printf("    first seed %" PRIu64 ": %s\n", w->sigs[i].first_seed, w->sigs[i].failure);
        printf("    replay: %s\n", cmd);
    }
    double secs = cli_now() - w->t0;
    printf("rate: %" PRIu64 " seeds in %.2f s, %.0f seeds/s with %d job%s\n", w->done, secs,
           secs > 0 ? (double)w->done / secs : 0.0, w->jobs, w->jobs == 1 ? "" : "s");
    printf("result: %s\n", w->failed ? "FAIL" : "PASS");
    return w->failed ? CLI_FAILED : CLI_OK;
}

static int open_jsonl(exec_sweep *w, char *path, size_t n)
{
    const cli_opts *o = w->o;
    if (o->jsonl)
        snprintf(path, n, "%s", o->jsonl);
    else if (o->report)
        snprintf(path, n, "%s.jsonl", o->report);
    else
        return 0;
    if (!(w->jsonl = fopen(path, "w")))
        return cli_error(o, "%s: %s", path, strerror(errno));
    const char *prog = o->exec_argv[0], *base = strrchr(prog, '/');
    fputs("{\"type\":\"sweep\",\"format\":\"kairos-sweep\",\"version\":1,\"scenario\":", w->jsonl);
    kr__json_escape(w->jsonl, prog, strlen(prog));
    fputs(",\"name\":", w->jsonl);
    base = base ? base + 1 : prog;
    kr__json_escape(w->jsonl, base, strlen(base));
    fprintf(w->jsonl, ",\"strategy\":\"%s\",\"pct_depth\":%d,\"pct_steps\":%" PRIu64
                      ",\"seed_first\":%" PRIu64 ",\"seed_last\":%" PRIu64
                      ",\"shard\":\"%" PRIu64 "/%" PRIu64 "\",\"jobs\":%d,\"require_probes\":[]}\n",
            o->strategy ? o->strategy : "", o->pct_depth, o->pct_steps, w->a, w->b, o->shard_k,
            o->shard_n, w->jobs);
    return 0;
}

static int close_jsonl(exec_sweep *w, const char *path)
{
    if (!w->jsonl)
        return 0;
    fprintf(w->jsonl, "{\"type\":\"summary\",\"status\":\"%s\",\"seeds\":%" PRIu64
                      ",\"pass\":%" PRIu64 ",\"fail\":%" PRIu64 ",\"error\":0,\"wall_ns\":%" PRIu64
                      ",\"stopped_early\":false,\"probes\":{},\"missing_probes\":[]}\n",
            w->failed ? "fail" : "pass", w->done, w->passed, w->failed,
            (uint64_t)((cli_now() - w->t0) * 1e9));
    bool bad = ferror(w->jsonl) != 0;
    bad |= fclose(w->jsonl) != 0;
    w->jsonl = NULL;
    if (bad)
        return cli_error(w->o, "%s: write failed", path);
    printf("results: %s\n", path);
#if CLI_HAVE_REPORT
    if (w->o->report) {
        char err[1024] = "";
        if (!kr__report_sweep || kr__report_sweep(path, w->o->report, err, sizeof err) != 0)
            return cli_error(w->o, "--report %s: %s", w->o->report, err[0] ? err : "failed");
        printf("report: %s\n", w->o->report);
    }
#endif
    return 0;
}

int cli_exec_sweep(const cli_opts *o)
{
    exec_sweep w = {.o = o};
    const char *prog = o->exec_argv[0];
    if (strchr(prog, '/') && access(prog, X_OK) != 0)
        return cli_error(o, "--exec %s: %s", prog, strerror(errno));
    w.a = o->have_seeds ? o->seed_a : 1;
    w.b = o->have_seeds ? o->seed_b : 100;
    uint64_t k = o->shard_n ? o->shard_k : 1;
    w.step = o->shard_n ? o->shard_n : 1;
    if (w.a + (k - 1) < w.a || w.a + (k - 1) > w.b)
        return cli_error(o, "shard %" PRIu64 "/%" PRIu64 " has no seeds in %" PRIu64 "..%" PRIu64,
                         k, w.step, w.a, w.b);
    w.next = w.a + (k - 1);
    w.count = (w.b - w.next) / w.step + 1;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    w.jobs = o->jobs ? o->jobs : cpus > 0 ? (int)cpus : 1;
    if (!(w.run = calloc((size_t)w.jobs, sizeof *w.run)))
        return cli_error(o, "out of memory");
    snprintf(w.dir, sizeof w.dir, "%s", "/tmp/kairos-exec.XXXXXX");
    const char *tmp = getenv("TMPDIR");
    if (tmp && *tmp && strlen(tmp) < 40)
        snprintf(w.dir, sizeof w.dir, "%s/kairos-exec.XXXXXX", tmp);
    if (!mkdtemp(w.dir)) {
        free(w.run);
        return cli_error(o, "cannot create a temporary directory: %s", strerror(errno));
    }
    char path[4096] = "";
    int rc = open_jsonl(&w, path, sizeof path);
    w.t0 = cli_now();
    w.next_line = w.count / 10 < 10 ? 10 : w.count / 10;
    if (rc == 0)
        rc = run_all(&w);
    while (w.n_run > 0) { /* after an error: reap what still runs */
        int status;
        if (waitpid(w.run[w.n_run - 1].pid, &status, 0) >= 0 || errno != EINTR)
            w.n_run--;
    }
    if (rc == 0)
        rc = summary(&w);
    int out = close_jsonl(&w, path);
    if (w.jsonl)
        fclose(w.jsonl);
    rmdir(w.dir);
    free(w.run);
    free(w.sigs);
    return out ? out : rc;
}
