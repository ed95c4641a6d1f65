/* kairos sweep: every seed of a range (or of one shard of it) in forked
 * worker processes. Workers take seed indexes from a counter in shared
 * memory and stream one binary record per seed back over their own pipe;
 * the parent draws the progress and keeps the per-signature and per-probe
 * tallies (sweep_internal.h); sweep_summary.c prints the summary. Results depend only on the seeds, never on
 * which worker ran them, so every --jobs value prints the same summary. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "sweep_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>


/* Present only in coverage builds (gcc --coverage). */
extern void __gcov_dump(void) __attribute__((weak));

static uint64_t seed_of(const sweep *w, uint64_t index)
{
    return w->first + index * w->step;
}

/* ---- worker side --------------------------------------------------------- */

static void write_all(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n > 0) {
        ssize_t k = write(fd, c, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            _exit(3); /* the parent is gone */
        c += k;
        n -= (size_t)k;
    }
}

/* Runs the seed (twice with --check-determinism) into r. */
static void run_seed(const sweep *w, uint64_t seed, sc_result *r)
{
    sc_options so;
    cli_run_options(w->o, w->s, seed, &so);
    cli_run_one(w->s, &so, r);
    if (!w->o->check_determinism || r->status == SC_ERROR)
        return;
    sc_result again;
    cli_run_one(w->s, &so, &again);
    if (again.hash != r->hash || again.status != r->status) {
        r->status = SC_FAIL;
        snprintf(r->signature, sizeof r->signature, "nondeterminism: trace hash differs");
        snprintf(r->failure, sizeof r->failure,
                 "nondeterminism: seed %" PRIu64 " gave trace hash 0x%016" PRIx64
                 " then 0x%016" PRIx64 " (%" PRIu64 " then %" PRIu64 " steps)",
                 seed, r->hash, again.hash, r->steps, again.steps);
        r->fail_step = r->steps < again.steps ? r->steps : again.steps;
        r->fail_time = r->time;
    }
    kr__sc_result_free(&again);
}

/* Appends n bytes to a growing buffer; false when out of memory. */
static bool put(char **buf, size_t *len, size_t *cap, const void *p, size_t n)
{
    void *grown = *buf;
    bool ok = kr__sc_reserve(&grown, cap, *len + n, 1, 256);
    *buf = grown;
    if (!ok)
        return false;
    memcpy(*buf + *len, p, n);
    *len += n;
    return true;
}

/* The seed's result record, written with one write(2). */
static void send_result(int fd, uint64_t index, const sc_result *r, uint64_t wall_ns)
{
    static char *buf;
    static size_t cap;
    size_t len = 0;
    rec_result rr = {
        .index = index, .seed = r->seed, .hash = r->hash, .steps = r->steps,
        .fail_step = r->fail_step, .events = r->events, .wall_ns = wall_ns, .time = r->time,
        .fail_time = r->fail_time, .status = (int32_t)r->status,
        .sig_len = (uint32_t)strnlen(r->signature, sizeof r->signature),
        .fail_len = (uint32_t)strnlen(r->failure, sizeof r->failure),
        .n_probes = (uint32_t)(r->n_probes < SC_PROBES_MAX ? r->n_probes : SC_PROBES_MAX),
    };
    memcpy(rr.faults, r->faults, sizeof rr.faults);
    rec_hdr h = {REC_RESULT, 0};
    bool ok = put(&buf, &len, &cap, &h, sizeof h) && put(&buf, &len, &cap, &rr, sizeof rr) &&
              put(&buf, &len, &cap, r->signature, rr.sig_len) &&
              put(&buf, &len, &cap, r->failure, rr.fail_len);
    for (uint32_t i = 0; ok && i < rr.n_probes; i++) {
        uint32_t n = (uint32_t)strlen(r->probe_names[i]);
        ok = put(&buf, &len, &cap, &r->probe_hits[i], sizeof r->probe_hits[i]) &&
             put(&buf, &len, &cap, &n, sizeof n) &&
             put(&buf, &len, &cap, r->probe_names[i], n);
    }
    if (!ok)
        _exit(4); /* out of memory: the parent reports the seed as crashed */
    h.len = (uint32_t)(len - sizeof h);
    memcpy(buf, &h, sizeof h);
    write_all(fd, buf, len);
}

static void note_failure(const sweep *w)
{
    uint64_t f = atomic_fetch_add(&w->shm->failures, 1) + 1;
    if (w->o->stop_after && f >= w->o->stop_after)
        atomic_store(&w->shm->stop, 1);
}

static void worker_main(const sweep *w, int slot, int fd)
{
    while (!atomic_load(&w->shm->stop)) {
        uint64_t index = atomic_fetch_add(&w->shm->next, 1);
        if (index >= w->count)
            break;
        atomic_store(&w->shm->busy[slot], index + 1);
        sc_result r;
        double t0 = cli_now();
        run_seed(w, seed_of(w, index), &r);
        send_result(fd, index, &r, (uint64_t)((cli_now() - t0) * 1e9));
        if (r.status != SC_PASS)
            note_failure(w);
        if (r.status == SC_ERROR) /* the scenario cannot run at all */
            atomic_store(&w->shm->stop, 1);
        kr__sc_result_free(&r);
        atomic_store(&w->shm->busy[slot], 0);
    }
    if (__gcov_dump) /* coverage builds: _exit skips gcov's own flush */
        __gcov_dump();
    _exit(0);
}

/* ---- parent: workers ------------------------------------------------------- */

/* SIGINT/SIGTERM during a sweep: the workers finish the seed they run,
 * the summary of what ran is written, and the exit status is 128 + the
 * signal (130, 143). Workers ignore both: a terminal's Ctrl-C reaches the
 * whole process group, and a worker killed mid-seed would be a crash. */
static volatile sig_atomic_t sweep_signal;

static void on_stop_signal(int sig) { sweep_signal = sig; }

static void catch_stop_signals(bool on)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on ? on_stop_signal : SIG_DFL;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

static int spawn(sweep *w, int slot)
{
    int p[2];
    if (pipe(p) != 0)
        return -1;
    atomic_store(&w->shm->busy[slot], 0); /* before the worker can set it */
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        close(p[0]);
        close(p[1]);
        return -1;
    }
    if (pid == 0) {
        signal(SIGINT, SIG_IGN);
        signal(SIGTERM, SIG_IGN);
        close(p[0]);
        for (int j = 0; j < w->jobs; j++)
            if (w->workers[j].fd >= 0)
                close(w->workers[j].fd);
        worker_main(w, slot, p[1]);
    }
    close(p[1]);
    worker *k = &w->workers[slot];
    k->pid = pid;
    k->fd = p[0];
    k->len = 0;
    k->got_result = false;
    k->watch_busy = 0;
    k->killed = 0;
    return 0;
}


/* ---- parent: tallies -------------------------------------------------------- */

static void add_signature(sweep *w, uint64_t seed, const char *sig, const char *failure,
                          uint64_t fail_step, kr_duration fail_time)
{
    sig_tally *t = NULL;
    for (size_t i = 0; i < w->n_sigs && !t; i++)
        if (strcmp(w->sigs[i].signature, sig) == 0)
            t = &w->sigs[i];
    if (!t) {
        sig_tally *bigger = kr__sc_grow(w->sigs, &w->cap_sigs, w->n_sigs, sizeof *bigger, 8);
        if (!bigger)
            return;
        w->sigs = bigger;
        t = &w->sigs[w->n_sigs++];
        *t = (sig_tally){strdup(sig), NULL, 0, UINT64_MAX, 0, 0};
    }
    t->count++;
    /* The lowest seed, not the first to arrive: the same for every --jobs. */
    if (seed < t->first_seed) {
        free(t->failure);
        t->failure = strdup(failure);
        t->first_seed = seed;
        t->fail_step = fail_step;
        t->fail_time = fail_time;
    }
}

/* One probe count of one seed into the sweep's tally. */
static void add_probe(sweep *w, const char *name, uint64_t hits)
{
    size_t j = 0;
    while (j < w->n_probes && strcmp(w->probes[j].name, name) != 0)
        j++;
    if (j == w->n_probes) {
        probe_tally *bigger = kr__sc_grow(w->probes, &w->cap_probes, w->n_probes, sizeof *bigger, 8);
        char *copy = strdup(name);
        if (!bigger || !copy) {
            free(copy);
            if (bigger)
                w->probes = bigger;
            return;
        }
        w->probes = bigger;
        w->probes[j] = (probe_tally){copy, 0, 0};
        w->n_probes++;
    }
    w->probes[j].hits += hits;
    w->probes[j].seeds += hits > 0;
}

static const char *status_name(int st)
{
    return st == SC_PASS ? "pass" : st == SC_FAIL ? "fail" : "error";
}

/* A JSON string, quotes included (kr__json_escape writes them). */
static void json_str(FILE *f, const char *s)
{
    kr__json_escape(f, s ? s : "", s ? strlen(s) : 0);
}

/* The seed's line of the sweep summary (sim/TRACE.md, "Sweep summaries"). */
static void jsonl_seed(sweep *w, const rec_result *rr, const char *sig, const char *failure,
                       const char *probes, size_t probes_len)
{
    FILE *f = w->jsonl;
    if (!f)
        return;
    fprintf(f, "{\"type\":\"seed\",\"seed\":%" PRIu64 ",\"status\":\"%s\",\"hash\":\"0x%016" PRIx64
               "\",\"steps\":%" PRIu64 ",\"time\":%" PRId64 ",\"events\":%" PRIu64
               ",\"signature\":",
            rr->seed, status_name(rr->status), rr->hash, rr->steps, rr->time, rr->events);
    json_str(f, rr->status == SC_PASS ? "" : sig);
    fputs(",\"failure\":", f);
    json_str(f, rr->status == SC_PASS ? "" : failure);
    fprintf(f, ",\"fail_step\":%" PRIu64 ",\"fail_time\":%" PRId64 ",\"wall_ns\":%" PRIu64
               ",\"probes\":{",
            rr->status == SC_PASS ? 0 : rr->fail_step, rr->status == SC_PASS ? 0 : rr->fail_time,
            rr->wall_ns);
    const char *p = probes, *end = probes + probes_len;
    for (uint32_t i = 0; i < rr->n_probes && end - p >= 12; i++) {
        uint64_t hits;
        uint32_t n;
        memcpy(&hits, p, sizeof hits);
        memcpy(&n, p + 8, sizeof n);
        if ((size_t)(end - p - 12) < n)
            break;
        fputs(i ? "," : "", f);
        kr__json_escape(f, p + 12, n);
        fprintf(f, ":%" PRIu64, hits);
        p += 12 + n;
    }
    fputs("},\"faults\":{", f);
    bool first = true;
    for (size_t k = 0; k < SC_FAULT_KINDS; k++) {
        if (!rr->faults[k])
            continue;
        fprintf(f, "%s\"%s\":%" PRIu64, first ? "" : ",", kr__sc_fault_kinds[k], rr->faults[k]);
        first = false;
    }
    fputs("}}\n", f);
}

/* Tallies the probes of a result record. */
static void result_probes(sweep *w, const rec_result *rr, const char *p, size_t len)
{
    const char *end = p + len;
    for (uint32_t i = 0; i < rr->n_probes && end - p >= 12; i++) {
        uint64_t hits;
        uint32_t n;
        memcpy(&hits, p, sizeof hits);
        memcpy(&n, p + 8, sizeof n);
        if ((size_t)(end - p - 12) < n)
            return;
        char name[256];
        snprintf(name, sizeof name, "%.*s", (int)n, p + 12);
        add_probe(w, name, hits);
        p += 12 + n;
    }
}

/* A result record: rr, then `text` (signature, failure, probes; len bytes). */
static void on_result(sweep *w, const rec_result *rr, const char *text, size_t len)
{
    char sig[200], failure[600];
    size_t strings = (size_t)rr->sig_len + rr->fail_len;
    if (strings > len)
        return;
    snprintf(sig, sizeof sig, "%.*s", (int)rr->sig_len, text);
    snprintf(failure, sizeof failure, "%.*s", (int)rr->fail_len, text + rr->sig_len);
    if (!sig[0] && rr->status != SC_PASS)
        snprintf(sig, sizeof sig, "%s", rr->status == SC_ERROR ? "error" : "failure");
    w->done++;
    if (rr->status == SC_PASS) {
        w->passed++;
    } else {
        w->failed++;
        add_signature(w, rr->seed, sig, failure, rr->fail_step, rr->fail_time);
        if (rr->status == SC_ERROR && !w->errors++)
            snprintf(w->first_error, sizeof w->first_error, "%s", failure);
    }
    result_probes(w, rr, text + strings, len - strings);
    for (size_t k = 0; k < SC_FAULT_KINDS; k++) {
        w->fault_hits[k] += rr->faults[k];
        w->fault_seeds[k] += rr->faults[k] > 0;
    }
    jsonl_seed(w, rr, sig, failure, text + strings, len - strings);
}

/* A worker died (signal or abnormal exit) while running a seed. */
static void on_crash(sweep *w, worker *k, int status)
{
    char why[64];
    if (WIFSIGNALED(status))
        snprintf(why, sizeof why, "signal %d (%s)", WTERMSIG(status), strsignal(WTERMSIG(status)));
    else
        snprintf(why, sizeof why, "exit status %d", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    uint64_t busy = atomic_load(&w->shm->busy[k - w->workers]);
    if (!busy || (k->got_result && k->last_index == busy - 1)) {
        if (k->killed)
            return; /* the watchdog met a seed as it ended: its result stands */
        snprintf(w->first_error, sizeof w->first_error, "a worker died: %s", why);
        w->errors++;
        return;
    }
    uint64_t index = busy - 1, seed = seed_of(w, index);
    char sig[160], failure[512];
    if (k->killed) {
        cli_sweep_limit_failure(w, k, seed, sig, sizeof sig, failure, sizeof failure);
    } else {
        snprintf(sig, sizeof sig, "crash: %s", why);
        snprintf(failure, sizeof failure, "the run of seed %" PRIu64 " crashed the worker: %s",
                 seed, why);
    }
    rec_result rr = {.index = index, .seed = seed, .status = SC_FAIL,
                     .sig_len = (uint32_t)strlen(sig), .fail_len = (uint32_t)strlen(failure)};
    char text[sizeof sig + sizeof failure];
    snprintf(text, sizeof text, "%s%s", sig, failure);
    on_result(w, &rr, text, strlen(text));
    uint64_t f = atomic_fetch_add(&w->shm->failures, 1) + 1;
    if (w->o->stop_after && f >= w->o->stop_after)
        atomic_store(&w->shm->stop, 1);
}

/* Handles every complete record in the worker's buffer. */
static void drain(sweep *w, worker *k)
{
    size_t off = 0;
    while (k->len - off >= sizeof(rec_hdr)) {
        rec_hdr h;
        memcpy(&h, k->buf + off, sizeof h);
        if (k->len - off - sizeof h < h.len)
            break;
        const char *p = k->buf + off + sizeof h;
        if (h.type == REC_RESULT && h.len >= sizeof(rec_result)) {
            rec_result rr;
            memcpy(&rr, p, sizeof rr);
            k->got_result = true;
            k->last_index = rr.index;
            on_result(w, &rr, p + sizeof rr, h.len - sizeof rr);
        }
        off += sizeof h + h.len;
    }
    memmove(k->buf, k->buf + off, k->len - off);
    k->len -= off;
}

/* Reads what the worker sent; false at end of file. */
static bool read_worker(sweep *w, worker *k)
{
    void *grown = k->buf;
    bool ok = kr__sc_reserve(&grown, &k->cap, k->len + 4096, 1, 65536);
    k->buf = grown;
    if (!ok)
        return false;
    ssize_t n = read(k->fd, k->buf + k->len, k->cap - k->len);
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return true;
    if (n <= 0)
        return false;
    k->len += (size_t)n;
    drain(w, k);
    return true;
}

/* The worker's pipe closed: reap it, and replace it after a crash while
 * seeds are left. */
static void worker_ended(sweep *w, int slot)
{
    worker *k = &w->workers[slot];
    close(k->fd);
    k->fd = -1;
    int status = 0;
    while (waitpid(k->pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return;
    on_crash(w, k, status);
    bool left = atomic_load(&w->shm->next) < w->count && !atomic_load(&w->shm->stop);
    if (left && w->respawns++ < 1000 && spawn(w, slot) != 0)
        k->fd = -1;
}

/* ---- progress -------------------------------------------------------------- */

static void fmt_eta(double secs, char *buf, size_t n)
{
    if (secs < 0 || secs > 1e7)
        snprintf(buf, n, "?");
    else if (secs < 60)
        snprintf(buf, n, "%.0fs", secs);
    else if (secs < 3600)
        snprintf(buf, n, "%dm%02ds", (int)secs / 60, (int)secs % 60);
    else
        snprintf(buf, n, "%dh%02dm", (int)secs / 3600, (int)secs % 3600 / 60);
}

static void draw_progress(sweep *w, bool final)
{
    double now = cli_now(), elapsed = now - w->t0;
    double rate = elapsed > 0 ? (double)w->done / elapsed : 0;
    char eta[32];
    fmt_eta(rate > 0 ? (double)(w->count - w->done) / rate : -1, eta, sizeof eta);
    if (w->tty) {
        if (!final && now - w->last_draw < 0.1)
            return;
        int width = 30, filled = w->count ? (int)((double)w->done / (double)w->count * width) : 0;
        char bar[64];
        for (int i = 0; i < width; i++)
            bar[i] = i < filled ? '#' : '.';
        bar[width] = '\0';
        fprintf(stderr, "\r\033[K[%s] %" PRIu64 "/%" PRIu64 " seeds  %.0f seeds/s  %" PRIu64
                        " failure%s  ETA %s",
                bar, w->done, w->count, rate, w->failed, w->failed == 1 ? "" : "s", eta);
        if (final)
            fputs("\r\033[K", stderr);
        w->last_draw = now;
    } else if (w->done >= w->next_line && !final) {
        fprintf(stderr, "progress: %" PRIu64 "/%" PRIu64 " seeds, %.0f seeds/s, %" PRIu64
                        " failure%s, ETA %s\n",
                w->done, w->count, rate, w->failed, w->failed == 1 ? "" : "s", eta);
        uint64_t every = w->count / 10 < 100 ? 100 : w->count / 10;
        w->next_line = (w->done / every + 1) * every;
    }
    fflush(stderr);
}

/* ---- the sweep loop ------------------------------------------------------- */

static int run_workers(sweep *w)
{
    for (int j = 0; j < w->jobs; j++)
        w->workers[j].fd = -1;
    for (int j = 0; j < w->jobs; j++)
        if (spawn(w, j) != 0)
            return cli_error(w->o, "cannot start worker processes: %s", strerror(errno));
    struct pollfd *pfd = calloc(w->jobs > 0 ? (size_t)w->jobs : 1, sizeof *pfd);
    if (!pfd)
        return cli_error(w->o, "out of memory");
    for (;;) {
        int live = 0;
        for (int j = 0; j < w->jobs; j++) {
            pfd[j] = (struct pollfd){w->workers[j].fd, POLLIN, 0};
            live += w->workers[j].fd >= 0;
        }
        if (!live)
            break;
        if (sweep_signal)
            atomic_store(&w->shm->stop, 1); /* no new seeds; running ones finish */
        /* A seed allocating without bound is caught sooner with memory: set. */
        int n = poll(pfd, (nfds_t)w->jobs, w->s->memory_limit ? 10 : 100);
        for (int j = 0; n > 0 && j < w->jobs; j++)
            if (pfd[j].fd >= 0 && (pfd[j].revents & (POLLIN | POLLHUP | POLLERR)) &&
                !read_worker(w, &w->workers[j]))
                worker_ended(w, j);
        cli_sweep_watch_limits(w);
        draw_progress(w, false);
        /* Let results pile up in the pipes (64 KiB each) rather than waking
         * for every seed: the workers keep the CPUs. */
        if (n > 0)
            nanosleep(&(struct timespec){0, 2000000}, NULL);
    }
    draw_progress(w, true);
    free(pfd);
    return 0;
}

/* ---- the sweep summary file ------------------------------------------------------ */

/* sweep.jsonl next to sweep.html. */
static void jsonl_beside(const char *html, char *buf, size_t n)
{
    snprintf(buf, n, "%s", html);
    char *dot = strrchr(buf, '.'), *slash = strrchr(buf, '/');
    if (dot && dot != buf && (!slash || dot > slash + 1))
        *dot = '\0';
    size_t len = strlen(buf);
    snprintf(buf + len, n - len, ".jsonl");
}

/* Opens the summary (--jsonl, else next to --report) and writes its header.
 * Written as the seeds finish into a temporary beside it (kr__out), which
 * replaces the summary once complete, so a failed write never leaves half
 * a summary under its name. */
static int jsonl_open(sweep *w)
{
    const cli_opts *o = w->o;
    if (o->jsonl)
        snprintf(w->jsonl_path, sizeof w->jsonl_path, "%s", o->jsonl);
    else if (o->report)
        jsonl_beside(o->report, w->jsonl_path, sizeof w->jsonl_path);
    else
        return 0;
    char err[1024];
    if (kr__out_open(&w->jsonl_out, w->jsonl_path, err, sizeof err) != 0)
        return cli_error(o, "%s", err);
    FILE *f = w->jsonl = w->jsonl_out.f;
    fputs("{\"type\":\"sweep\",\"format\":\"kairos-sweep\",\"version\":1,\"scenario\":", f);
    json_str(f, o->file);
    fputs(",\"name\":", f);
    json_str(f, w->s->name ? w->s->name : "");
    fputs(",\"strategy\":", f);
    json_str(f, cli_strategy(o, w->s));
    fprintf(f, ",\"pct_depth\":%d,\"pct_steps\":%" PRIu64 ",\"seed_first\":%" PRIu64
               ",\"seed_last\":%" PRIu64 ",\"shard\":\"%" PRIu64 "/%" PRIu64
               "\",\"jobs\":%d,\"require_probes\":[",
            cli_pct_depth(o, w->s), cli_uses_pct_steps(o, w->s) ? cli_pct_steps(o, w->s) : 0,
            w->seed_a, w->seed_b, o->shard_k, o->shard_n, w->jobs);
    for (size_t i = 0; i < w->s->n_require_probes; i++) {
        fputs(i ? "," : "", f);
        json_str(f, w->s->require_probes[i]);
    }
    fputs("]}\n", f);
    return 0;
}


static int jsonl_close(sweep *w, double secs, bool failed)
{
    FILE *f = w->jsonl;
    if (!f)
        return 0;
    w->jsonl = NULL;
    fprintf(f, "{\"type\":\"summary\",\"status\":\"%s\",\"seeds\":%" PRIu64 ",\"pass\":%" PRIu64
               ",\"fail\":%" PRIu64 ",\"error\":%" PRIu64 ",\"wall_ns\":%" PRIu64
               ",\"stopped_early\":%s,\"probes\":{",
            failed ? "fail" : "pass", w->done, w->passed, w->failed - w->errors, w->errors,
            (uint64_t)(secs * 1e9), w->done < w->count ? "true" : "false");
    for (size_t i = 0; i < w->n_probes; i++) {
        fputs(i ? "," : "", f);
        json_str(f, w->probes[i].name);
        fprintf(f, ":{\"hits\":%" PRIu64 ",\"seeds\":%" PRIu64 "}", w->probes[i].hits,
                w->probes[i].seeds);
    }
    fputs("},\"missing_probes\":[", f);
    bool first = true;
    for (size_t i = 0; i < w->s->n_require_probes; i++) {
        const probe_tally *p = cli_sweep_find_probe(w, w->s->require_probes[i]);
        if (p && p->hits)
            continue;
        fputs(first ? "" : ",", f);
        json_str(f, w->s->require_probes[i]);
        first = false;
    }
    fputs("]}\n", f);
    char err[1024];
    if (kr__out_commit(&w->jsonl_out, true, err, sizeof err) != 0)
        return cli_error(w->o, "%s", err);
    printf("results: %s\n", w->jsonl_path);
    return 0;
}

static int write_report(const sweep *w)
{
    const cli_opts *o = w->o;
    if (!o->report)
        return 0;
#if CLI_HAVE_REPORT
    char err[1024] = "";
    if (!kr__report_sweep)
        return cli_error(o, "--report: reports not available in this build");
    /* First the run reports it links to: it links only those that exist. */
    uint64_t *first = calloc(w->n_sigs ? w->n_sigs : 1, sizeof *first);
    if (!first)
        return cli_error(o, "out of memory");
    for (size_t i = 0; i < w->n_sigs; i++)
        first[i] = w->sigs[i].first_seed;
    cli_sweep_run_reports(o, w->s, first, w->n_sigs);
    free(first);
    if (kr__report_sweep(w->jsonl_path, o->report, err, sizeof err) != 0)
        return cli_error(o, "--report %s: %s", o->report, err[0] ? err : "failed");
    printf("report: %s\n", o->report);
    return 0;
#else
    return cli_error(o, "--report: reports not available in this build");
#endif
}

/* ---- setup ------------------------------------------------------------------ */

static int default_jobs(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 64 ? 64 : (int)n;
}

/* The shard's seeds: first, step and count. */
static int plan(sweep *w)
{
    const cli_opts *o = w->o;
    uint64_t a = o->have_seeds ? o->seed_a : w->s->seed_first;
    uint64_t b = o->have_seeds ? o->seed_b : w->s->seed_last;
    w->seed_a = a;
    w->seed_b = b;
    if (a > b)
        return cli_error(o, "%s: empty seed range %" PRIu64 "..%" PRIu64, o->file, a, b);
    w->step = o->shard_n;
    w->count = 0;
    if (o->shard_k - 1 <= b - a) {
        w->first = a + (o->shard_k - 1);
        w->count = (b - w->first) / w->step + 1;
    }
    if (w->count == 0)
        return cli_error(o, "shard %" PRIu64 "/%" PRIu64 " of seeds %" PRIu64 "..%" PRIu64
                            " holds no seed",
                         o->shard_k, o->shard_n, a, b);
    w->jobs = o->jobs ? o->jobs : default_jobs();
    if ((uint64_t)w->jobs > w->count)
        w->jobs = (int)w->count;
    return 0;
}

static int allocate(sweep *w)
{
    w->shm_size = sizeof *w->shm + (size_t)w->jobs * sizeof w->shm->busy[0];
    w->shm = mmap(NULL, w->shm_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (w->shm == MAP_FAILED) {
        w->shm = NULL;
        return cli_error(w->o, "mmap: %s", strerror(errno));
    }
    atomic_init(&w->shm->next, 0);
    atomic_init(&w->shm->failures, 0);
    atomic_init(&w->shm->stop, 0);
    for (int j = 0; j < w->jobs; j++)
        atomic_init(&w->shm->busy[j], 0);
    w->workers = calloc(w->jobs > 0 ? (size_t)w->jobs : 1, sizeof *w->workers);
    if (!w->workers)
        return cli_error(w->o, "out of memory");
    return 0;
}

static void release(sweep *w)
{
    for (size_t i = 0; i < w->n_sigs; i++) {
        free(w->sigs[i].signature);
        free(w->sigs[i].failure);
    }
    free(w->sigs);
    for (size_t i = 0; i < w->n_probes; i++)
        free(w->probes[i].name);
    free(w->probes);
    if (w->jsonl)
        kr__out_commit(&w->jsonl_out, false, NULL, 0); /* failed: no half summary */
    if (w->workers)
        for (int j = 0; j < w->jobs; j++)
            free(w->workers[j].buf);
    free(w->workers);
    if (w->shm)
        munmap(w->shm, w->shm_size);
}

int cli_sweep(const cli_opts *o)
{
    if (o->exec_argv)
        return cli_exec_sweep(o);
    scenario *s;
    int rc = cli_load(o, &s);
    if (rc)
        return rc;
    sweep w;
    memset(&w, 0, sizeof w);
    w.o = o;
    w.s = s;
    w.tty = isatty(STDERR_FILENO);
    rc = plan(&w);
    if (rc == 0 && cli_uses_pct_steps(o, s))
        cli_pct_steps(o, s); /* calibrated once here, before the workers fork */
    if (rc == 0)
        rc = allocate(&w);
    if (rc == 0)
        rc = jsonl_open(&w);
    if (rc == 0) {
        w.t0 = cli_now();
        w.next_line = w.count / 10 < 100 ? 100 : w.count / 10;
        sweep_signal = 0;
        catch_stop_signals(true);
        rc = run_workers(&w);
    }
    if (rc == 0) {
        double secs = cli_now() - w.t0;
        rc = cli_sweep_print_summary(&w, secs);
        int out = jsonl_close(&w, secs, rc != CLI_OK);
        if (!out)
            out = write_report(&w);
        if (out)
            rc = out;
    }
    catch_stop_signals(false);
    if (sweep_signal) {
        fprintf(stderr, "kairos sweep: stopped by signal %d after %" PRIu64 " of %" PRIu64
                        " seeds; the summary covers those\n",
                (int)sweep_signal, w.done, w.count);
        rc = 128 + (int)sweep_signal;
    }
    release(&w);
    kr__sc_free(s);
    return rc;
}
