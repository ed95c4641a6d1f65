/* Network benchmarks of the real backend: `http` (one endpoint under wrk)
 * and `remote` (messages between two Kairos OS processes over loopback,
 * windowed like libprocess' Process_BENCHMARK_ClientServer).
 *
 * Both need the runtime to listen (the driver starts it with port 0 for
 * them). `remote` runs its server in a second OS process: this binary
 * re-executed with the hidden option `--remote-server`, which starts its own
 * runtime on a free port, prints that port on stdout and serves until its
 * stdin closes. */
#include "bench.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* This node's port, from kr_address ("ip:port"); 0 if unknown. */
static int local_port(void)
{
    char addr[64];
    if (kr_address(addr, sizeof addr) != 0)
        return 0;
    const char *colon = strrchr(addr, ':');
    return colon ? atoi(colon + 1) : 0;
}

/* ---- http: wrk -t2 -c64 --latency against one route -------------------------- */

static void http_ping(kr_process *self, const kr_http_request *r, kr_http_reply *out)
{
    (void)self;
    (void)r;
    kr_http_respond(out, 200, "text/plain", "pong", 4);
}

static void http_init(kr_process *self) { kr_route(self, "/ping", "benchmark endpoint", http_ping); }

static const kr_process_ops http_ops = {.initialize = http_init};

/* Finds wrk on PATH; false if it is not installed. */
static bool find_wrk(char *path, size_t n)
{
    const char *env = getenv("PATH");
    char *dirs = strdup(env ? env : "/usr/local/bin:/usr/bin:/bin");
    bool found = false;
    for (char *save = NULL, *d = strtok_r(dirs, ":", &save); d && !found;
         d = strtok_r(NULL, ":", &save)) {
        snprintf(path, n, "%s/wrk", d);
        found = access(path, X_OK) == 0;
    }
    free(dirs);
    return found;
}

/* "12.34k" style numbers of wrk's summary. */
static double wrk_number(const char *s)
{
    char *end;
    double v = strtod(s, &end);
    if (*end == 'k' || *end == 'K')
        v *= 1e3;
    else if (*end == 'M' || *end == 'm')
        v *= 1e6;
    return v;
}

/* A wrk duration ("635.91us", "1.20ms", "2.00s", "1.00m") in milliseconds;
 * -1 if the unit is not one of wrk's. */
static double wrk_ms(double v, const char *unit)
{
    if (strcmp(unit, "us") == 0)
        return v / 1e3;
    if (strcmp(unit, "ms") == 0)
        return v;
    if (strcmp(unit, "s") == 0)
        return v * 1e3;
    if (strcmp(unit, "m") == 0)
        return v * 60e3;
    if (strcmp(unit, "h") == 0)
        return v * 3600e3;
    return -1;
}

int bench_http(const bench_opts *opts, bench_result *out)
{
    char wrk[PATH_MAX];
    if (!find_wrk(wrk, sizeof wrk)) {
        fprintf(stderr, "http: SKIPPED: wrk not found on PATH (apt-get install -y wrk); "
                        "no result printed\n");
        return BENCH_SKIPPED;
    }
    int port = local_port();
    if (port <= 0) {
        fprintf(stderr, "http: the runtime is not listening\n");
        return 1;
    }
    /* n = requests to aim for: wrk runs ceil(n / 100,000) s, 1..30 s. */
    long secs = (opts->n + 99999) / 100000;
    secs = secs < 1 ? 1 : secs > 30 ? 30 : secs;
    kr_process *server = calloc(1, sizeof *server);
    if (!server)
        return 1;
    kr_process_init(server, "bench", &http_ops);
    kr_pid pid = kr_spawn(server, false);
    kr_clock_settle(); /* the route is installed by initialize */
    char cmd[PATH_MAX + 128];
    snprintf(cmd, sizeof cmd,
             "'%s' -t2 -c64 --latency -d%lds http://127.0.0.1:%d/bench/ping 2>&1", wrk, secs,
             port);
    double t0 = bench_clock_now();
    FILE *f = popen(cmd, "r");
    char line[512];
    double requests = -1, seconds = -1, errors = 0, p99 = -1;
    while (f && fgets(line, sizeof line, f)) {
        double r, s;
        char unit[8];
        /* --latency's distribution: "     99%    1.20ms" */
        if (sscanf(line, " 99%% %lf%7[a-z]", &r, unit) == 2)
            p99 = wrk_ms(r, unit);
        /* "  123456 requests in 5.00s, 10.99MB read" */
        if (sscanf(line, " %lf requests in %lf%7[a-z]", &r, &s, unit) == 3) {
            requests = r;
            seconds = strcmp(unit, "ms") == 0 ? s / 1e3 : strcmp(unit, "m") == 0 ? s * 60 : s;
        }
        /* "  Non-2xx or 3xx responses: N", "  Socket errors: connect A, read B, ..." */
        if (strstr(line, "Non-2xx") || strstr(line, "Socket errors")) {
            fprintf(stderr, "http: wrk: %s", line);
            const char *colon = strchr(line, ':');
            errors += colon ? wrk_number(colon + 1) + 1 : 1;
        }
    }
    int status = f ? pclose(f) : -1;
    double wall = bench_clock_now() - t0;
    bench_process_end(pid);
    free(server);
    if (status != 0 || requests <= 0 || seconds <= 0 || p99 < 0) {
        fprintf(stderr,
                "http: wrk failed (status %d, %.0f requests parsed, p99 %s, %.1f s)\n",
                status, requests, p99 < 0 ? "not parsed" : "parsed", wall);
        return 1;
    }
    if (errors > 0)
        fprintf(stderr, "http: wrk reported errors (above); the rate counts all responses\n");
    out->n = (long)requests;
    out->seconds = seconds;
    out->p99_ms = p99;
    return 0;
}

/* ---- remote: ping/pong between two OS processes ------------------------------ */

/* The server replies "pong" to every "ping", to its sender. */
static void server_on_ping(kr_process *self, const kr_message *m)
{
    kr_send(self, m->from, "pong", m->body, m->len);
}

static void server_init(kr_process *self) { kr_install(self, "ping", server_on_ping); }

static const kr_process_ops server_ops = {.initialize = server_init};

int bench_remote_server(int workers)
{
    kr_config cfg = {.workers = workers, .port = 0};
    int err = kr_init(&cfg);
    if (err != 0) {
        fprintf(stderr, "remote server: kr_init: %s\n", kr_strerror(err));
        return 1;
    }
    kr_process server;
    kr_process_init(&server, "server", &server_ops);
    kr_pid pid = kr_spawn(&server, false);
    printf("%d\n", local_port());
    fflush(stdout);
    char buf[64];
    while (read(STDIN_FILENO, buf, sizeof buf) > 0) {
    } /* until the client closes our stdin */
    bench_process_end(pid);
    kr_finalize();
    return 0;
}

typedef struct client_proc {
    kr_process base;
    kr_pid server;
    int64_t total;  /* round trips to make */
    int64_t sent;   /* pings sent */
    int64_t acked;  /* pongs received */
    int64_t window; /* pings kept in flight */
} client_proc;

static void client_ping(client_proc *c)
{
    c->sent++;
    bench_send_i64(&c->base, c->server, "ping", c->sent);
}

static void client_on_pong(kr_process *self, const kr_message *m)
{
    (void)m;
    client_proc *c = (client_proc *)self;
    if (++c->acked == c->total)
        bench_done_fire();
    else if (c->sent < c->total)
        client_ping(c);
}

static void client_init(kr_process *self)
{
    client_proc *c = (client_proc *)self;
    kr_install(self, "pong", client_on_pong);
    while (c->sent < c->total && c->sent < c->window)
        client_ping(c);
}

static const kr_process_ops client_ops = {.initialize = client_init};

/* Starts the server process; its port, or 0. */
static int server_start(const bench_opts *opts, pid_t *child, int *to_child)
{
    char self_exe[PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", self_exe, sizeof self_exe - 1);
    int in[2], outp[2];
    if (len <= 0 || pipe(in) != 0)
        return 0;
    if (pipe(outp) != 0) {
        close(in[0]);
        close(in[1]);
        return 0;
    }
    self_exe[len] = '\0';
    char workers[16];
    snprintf(workers, sizeof workers, "%d", opts->workers);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(in[0], STDIN_FILENO);
        dup2(outp[1], STDOUT_FILENO);
        close(in[0]);
        close(in[1]);
        close(outp[0]);
        close(outp[1]);
        execl(self_exe, self_exe, "--remote-server", workers, (char *)NULL);
        _exit(127);
    }
    close(in[0]);
    close(outp[1]);
    if (pid < 0) {
        close(in[1]);
        close(outp[0]);
        return 0;
    }
    char buf[32] = {0};
    size_t got = 0;
    while (got < sizeof buf - 1) {
        ssize_t r = read(outp[0], buf + got, 1);
        if (r <= 0 || buf[got] == '\n')
            break;
        got++;
    }
    close(outp[0]);
    int port = atoi(buf);
    if (port <= 0) { /* it failed to start: reap it */
        close(in[1]);
        waitpid(pid, NULL, 0);
        return 0;
    }
    *child = pid;
    *to_child = in[1];
    return port;
}

static void server_stop(pid_t child, int to_child)
{
    close(to_child);
    int status;
    while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
    }
}

static int remote_run(const char *name, int64_t window, const bench_opts *opts,
                      bench_result *out)
{
    if (local_port() <= 0) {
        fprintf(stderr, "%s: the runtime is not listening\n", name);
        return 1;
    }
    pid_t child;
    int to_child;
    int port = server_start(opts, &child, &to_child);
    if (port <= 0) {
        fprintf(stderr, "%s: the server process did not start\n", name);
        return 1;
    }
    char text[64];
    snprintf(text, sizeof text, "server@127.0.0.1:%d", port);
    client_proc *c = calloc(1, sizeof *c);
    int rc = 1;
    if (c && kr_pid_parse(text, &c->server) == 0) {
        /* Warm-up: connect both ways with one round trip, untimed. */
        c->total = 1;
        c->window = 1;
        kr_process_init(&c->base, "client", &client_ops);
        bench_done_arm();
        kr_pid pid = kr_spawn(&c->base, false);
        rc = bench_done_wait(name);
        bench_process_end(pid);
        if (rc == 0) {
            int64_t total = opts->n > 0 ? opts->n : 1;
            *c = (client_proc){.server = c->server, .total = total, .window = window};
            kr_process_init(&c->base, "client", &client_ops);
            bench_done_arm();
            double t0 = bench_clock_now();
            pid = kr_spawn(&c->base, false);
            rc = bench_done_wait(name);
            out->seconds = bench_clock_now() - t0;
            out->n = total;
            bench_process_end(pid);
        }
    }
    free(c);
    server_stop(child, to_child);
    return rc;
}

int bench_remote_w1(const bench_opts *opts, bench_result *out)
{
    return remote_run("remote-w1", 1, opts, out);
}

int bench_remote_w100(const bench_opts *opts, bench_result *out)
{
    return remote_run("remote-w100", 100, opts, out);
}

int bench_remote_w1000(const bench_opts *opts, bench_result *out)
{
    return remote_run("remote-w1000", 1000, opts, out);
}
