/* Three nodes that talk: one source, built against both libraries.
 *
 * Node A runs a coordinator; nodes B and C each run a replica. The
 * coordinator links to both replicas and streams numbered updates to each
 * (a window of WINDOW unacknowledged updates per link); a replica checks that
 * updates arrive in order and acknowledges each one; the coordinator checks
 * that the acks come back complete and in order on every link. Both expose
 * their counters as JSON over HTTP (/coordinator/status, /replica/status),
 * which the driver reads with kr_http_get. Then C is cut off and the
 * coordinator must learn of it through exited(); finally B is shut down
 * cleanly, which also ends its link.
 *
 * Only how the nodes start and how C is cut off differ between backends:
 *
 *   three_nodes_real [--messages N]
 *     forks two children, each its own OS process with its own runtime on a
 *     free 127.0.0.1 port; C is cut off with SIGKILL.
 *
 *   three_nodes_sim [SEED] [--messages N]
 *     three simulated nodes in one program; C is cut off with
 *     kr_sim_partition. The whole run is done twice with the same seed and
 *     must give the same trace hash. Prints "seed=S trace_hash=0x...".
 *
 * N defaults to 50000 updates per replica on both backends: 100,000 updates
 * and 100,000 acks in all.
 *
 * Exit status 0 when every check passed, 1 otherwise. */
#ifndef KAIROS_SIM
#define _POSIX_C_SOURCE 200809L /* fork, kill, waitpid, pipe */
#endif
#include <kairos/kairos.h>

#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef KAIROS_SIM
#include <errno.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#endif

#define WINDOW 256u /* unacknowledged updates per link */

/* Updates per replica: 100,000 updates and 100,000 acks in all. */
#define DEFAULT_MESSAGES 50000u

#ifdef KAIROS_SIM
#define TIMEOUT KR_SEC(600) /* virtual time: costs nothing */
#else
#define TIMEOUT KR_SEC(240) /* a bound only; a run takes seconds */
#endif

static int failures;

static void fail(const char *fmt, ...) KR_PRINTF(1, 2);
static void fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("three_nodes: FAIL: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    failures++;
}

#define EXPECT(cond, ...)                                                      \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fail(__VA_ARGS__);                                                 \
            return false;                                                      \
        }                                                                      \
    } while (0)

/* ---- replica (nodes B and C) ------------------------------------------------ */

typedef struct replica {
    kr_process base;
    uint32_t received;     /* updates seen */
    uint32_t out_of_order; /* updates whose number was not the next one */
} replica;

/* "update" carries a uint32_t sequence number; the ack carries it back with
 * the replica's out-of-order count. */
static void on_update(kr_process *self, const kr_message *m)
{
    replica *r = (replica *)self;
    uint32_t seq = UINT32_MAX;
    if (m->len == sizeof seq)
        memcpy(&seq, m->body, sizeof seq);
    if (seq != r->received)
        r->out_of_order++;
    r->received++;
    uint32_t ack[2] = {seq, r->out_of_order};
    kr_send(self, m->from, "ack", ack, sizeof ack);
}

static void on_shutdown(kr_process *self, const kr_message *m)
{
    (void)m;
    kr_terminate(kr_self(self), false);
}

static void replica_status(kr_process *self, const kr_http_request *req, kr_http_reply *out)
{
    (void)req;
    replica *r = (replica *)self;
    char body[128];
    int n = snprintf(body, sizeof body, "{\"received\":%" PRIu32 ",\"out_of_order\":%" PRIu32 "}",
                     r->received, r->out_of_order);
    kr_http_respond(out, 200, "application/json", body, (size_t)n);
}

static void replica_init(kr_process *self)
{
    kr_install(self, "update", on_update);
    kr_install(self, "shutdown", on_shutdown);
    kr_route(self, "/status", "Updates received, as JSON.", replica_status);
}

static const kr_process_ops replica_ops = {.initialize = replica_init};

static kr_pid replica_spawn(replica *r)
{
    memset(r, 0, sizeof *r);
    kr_process_init(&r->base, "replica", &replica_ops);
    return kr_spawn(&r->base, false);
}

/* ---- coordinator (node A) ---------------------------------------------------- */

typedef struct link_state {
    kr_pid pid;
    uint32_t sent, acked;
    uint32_t out_of_order;      /* acks not for the next number */
    uint32_t peer_out_of_order; /* as the replica reported it */
    bool lost;                  /* exited() arrived */
    kr_promise *lost_p;         /* set by exited() */
} link_state;

typedef struct coordinator {
    kr_process base;
    uint32_t messages; /* updates per replica */
    link_state links[2];
    kr_promise *done; /* every update acked (ready) or a replica lost (failed) */
} coordinator;

/* What the driver checks, copied in the coordinator's context. */
typedef struct snapshot {
    link_state links[2];
} snapshot;

static void send_next(coordinator *c, link_state *l)
{
    uint32_t seq = l->sent++;
    kr_send(&c->base, l->pid, "update", &seq, sizeof seq);
}

static void on_ack(kr_process *self, const kr_message *m)
{
    coordinator *c = (coordinator *)self;
    link_state *l = NULL;
    for (int i = 0; i < 2; i++)
        if (kr_pid_equal(m->from, c->links[i].pid))
            l = &c->links[i];
    if (!l || m->len != 2 * sizeof(uint32_t))
        return;
    uint32_t ack[2];
    memcpy(ack, m->body, sizeof ack);
    if (ack[0] != l->acked)
        l->out_of_order++;
    l->acked++;
    l->peer_out_of_order = ack[1];
    if (l->sent < c->messages)
        send_next(c, l);
    if (c->links[0].acked == c->messages && c->links[1].acked == c->messages)
        kr_promise_set(c->done, NULL, NULL); /* once; later calls change nothing */
}

static void coordinator_start(kr_process *self, const void *arg)
{
    (void)arg;
    coordinator *c = (coordinator *)self;
    for (int i = 0; i < 2; i++) {
        link_state *l = &c->links[i];
        kr_link(self, l->pid);
        while (l->sent < c->messages && l->sent < WINDOW)
            send_next(c, l);
    }
}

static void coordinator_exited(kr_process *self, kr_pid who)
{
    coordinator *c = (coordinator *)self;
    for (int i = 0; i < 2; i++) {
        link_state *l = &c->links[i];
        if (kr_pid_equal(who, l->pid) && !l->lost) {
            l->lost = true;
            kr_promise_set(l->lost_p, NULL, NULL);
            char text[KR_PID_STRLEN_MAX + 32];
            kr_pid_format(who, text, sizeof text);
            strcat(text, " lost before every ack");
            kr_promise_fail(c->done, text); /* no-op once done */
        }
    }
}

static void coordinator_status(kr_process *self, const kr_http_request *req, kr_http_reply *out)
{
    (void)req;
    coordinator *c = (coordinator *)self;
    char body[1024];
    size_t n = (size_t)snprintf(body, sizeof body, "{\"updates_per_replica\":%" PRIu32 ",\"replicas\":[",
                                c->messages);
    for (int i = 0; i < 2 && n < sizeof body; i++) {
        const link_state *l = &c->links[i];
        char pid[KR_PID_STRLEN_MAX];
        kr_pid_format(l->pid, pid, sizeof pid);
        n += (size_t)snprintf(body + n, sizeof body - n,
                              "%s{\"pid\":\"%s\",\"sent\":%" PRIu32 ",\"acked\":%" PRIu32
                              ",\"out_of_order\":%" PRIu32 ",\"lost\":%s}",
                              i ? "," : "", pid, l->sent, l->acked, l->out_of_order,
                              l->lost ? "true" : "false");
    }
    if (n < sizeof body)
        n += (size_t)snprintf(body + n, sizeof body - n, "]}");
    if (n >= sizeof body)
        n = sizeof body - 1;
    kr_http_respond(out, 200, "application/json", body, n);
}

static void coordinator_init(kr_process *self)
{
    kr_install(self, "ack", on_ack);
    kr_route(self, "/status", "Updates sent and acked per replica, as JSON.", coordinator_status);
}

static const kr_process_ops coordinator_ops = {.initialize = coordinator_init,
                                               .exited = coordinator_exited};

static void take_snapshot(kr_process *self, const void *arg, kr_promise *result)
{
    (void)arg;
    coordinator *c = (coordinator *)self;
    snapshot *s = malloc(sizeof *s);
    if (!s) {
        kr_promise_fail(result, "out of memory");
        return;
    }
    memcpy(s->links, c->links, sizeof s->links);
    kr_promise_set(result, s, free);
}

static void send_shutdown(kr_process *self, const void *arg)
{
    kr_pid to;
    memcpy(&to, arg, sizeof to);
    kr_send(self, to, "shutdown", NULL, 0);
}

/* ---- driver helpers (outside every process) ------------------------------------ */

/* Awaits f (bounded) and releases it; true if it ended in `want`. */
static bool await_state(kr_future *f, kr_future_state want, const char *what)
{
    bool ok = f && kr_future_await(f, TIMEOUT);
    char desc[256] = "no future";
    if (f)
        kr_future_describe(f, desc, sizeof desc);
    if (ok)
        ok = kr_future_state_of(f) == want;
    if (!ok)
        fail("%s: %s", what, desc);
    if (f)
        kr_future_unref(f);
    return ok;
}

static bool get_snapshot(kr_pid coord, snapshot *out)
{
    kr_future *f = kr_dispatch_call(coord, take_snapshot, NULL, 0);
    bool ok = f && kr_future_await(f, TIMEOUT) && kr_future_state_of(f) == KR_READY;
    if (ok)
        memcpy(out, kr_future_value(f), sizeof *out);
    else
        fail("no snapshot from the coordinator");
    if (f)
        kr_future_unref(f);
    return ok;
}

/* GETs http://{address}{path}; checks 200 and that the body holds every
 * NULL-terminated needle. */
static bool http_check(const char *address, const char *path, ...)
{
    char url[128];
    snprintf(url, sizeof url, "http://%s%s", address, path);
    kr_future *f = kr_http_get(url);
    bool ok = f && kr_future_await(f, TIMEOUT) && kr_future_state_of(f) == KR_READY;
    if (!ok) {
        char desc[256] = "no future";
        if (f)
            kr_future_describe(f, desc, sizeof desc);
        fail("GET %s: %s", url, desc);
        if (f)
            kr_future_unref(f);
        return false;
    }
    const kr_http_response *r = kr_future_value(f);
    printf("GET %s -> %d %.*s\n", url, r->status, (int)r->len, r->body);
    if (r->status != 200) {
        fail("GET %s: status %d", url, r->status);
        ok = false;
    }
    va_list ap;
    va_start(ap, path);
    for (const char *needle; ok && (needle = va_arg(ap, const char *));)
        if (!r->body || !strstr(r->body, needle)) {
            fail("GET %s: body lacks %s", url, needle);
            ok = false;
        }
    va_end(ap);
    kr_future_unref(f);
    return ok;
}

/* ---- how nodes start and how C is cut off: the only backend-specific part ---- */

typedef struct nodes {
    char addr[3][64]; /* A, B, C as "ip:port" */
    kr_pid replica[2]; /* on B and on C */
#ifdef KAIROS_SIM
    replica replicas[2];
#else
    pid_t child[2];
#endif
} nodes;

#ifdef KAIROS_SIM

static const char *const NODE_ADDR[3] = {"10.0.0.1:5050", "10.0.0.2:5050", "10.0.0.3:5050"};

static void start_replica_node(const char *address, void *ctx)
{
    (void)address;
    replica *r = ctx;
    replica_spawn(r);
}

/* Three simulated nodes in this program; the driver ends on node A, where
 * the coordinator spawns. */
static bool nodes_start(nodes *n, uint64_t seed)
{
    kr_config cfg = {.seed = seed};
    int rc = kr_init(&cfg);
    EXPECT(rc == 0, "kr_init: %s", kr_strerror(rc));
    kr_sim_net net = {.latency_min = KR_MSEC(1), .latency_max = KR_MSEC(10)};
    EXPECT(kr_sim_network(&net) == 0, "kr_sim_network");
    for (int i = 1; i <= 2; i++) {
        EXPECT(kr_sim_on_start(NODE_ADDR[i], start_replica_node, &n->replicas[i - 1]) == 0,
               "kr_sim_on_start %s", NODE_ADDR[i]);
        char text[KR_PID_STRLEN_MAX];
        snprintf(text, sizeof text, "replica@%s", NODE_ADDR[i]);
        EXPECT(kr_pid_parse(text, &n->replica[i - 1]) == 0, "pid %s", text);
    }
    EXPECT(kr_sim_node(NODE_ADDR[0]) == 0, "kr_sim_node %s", NODE_ADDR[0]);
    for (int i = 0; i < 3; i++)
        snprintf(n->addr[i], sizeof n->addr[i], "%s", NODE_ADDR[i]);
    return true;
}

/* A partition puts C on its own. */
static bool cut_off_c(nodes *n)
{
    (void)n;
    const char *side_a[] = {NODE_ADDR[0], NODE_ADDR[1]}, *side_b[] = {NODE_ADDR[2]};
    EXPECT(kr_sim_partition(side_a, 2, side_b, 1) == 0, "kr_sim_partition");
    printf("partition {A, B} | {C}\n");
    return true;
}

static bool nodes_stop(nodes *n, bool ok)
{
    (void)n;
    return ok;
}

#else /* real */

/* A child: its own runtime on a free port, one replica; reports its port on
 * `out` and serves until the replica is shut down or its parent is gone. */
static void child_main(int out, pid_t parent)
{
    kr_config cfg = {.port = 0, .workers = 2};
    if (kr_init(&cfg) != 0)
        _exit(2);
    static replica r;
    kr_pid pid = replica_spawn(&r);
    char addr[64];
    if (kr_pid_is_none(pid) || kr_address(addr, sizeof addr) != 0)
        _exit(3);
    size_t len = strlen(addr) + 1;
    if (write(out, addr, len) != (ssize_t)len)
        _exit(4);
    close(out);
    bool ended = false;
    while (!ended && getppid() == parent)
        ended = kr_wait(pid, KR_MSEC(200));
    kr_finalize();
    exit(ended ? 0 : 5);
}

static bool read_address(int fd, char *buf, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, buf + got, n - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return false;
        got += (size_t)r;
        if (buf[got - 1] == '\0')
            return true;
    }
    return false;
}

/* Forks B and C (before this process starts its own runtime, so each child
 * starts clean), then starts A's runtime here. */
static bool nodes_start(nodes *n, uint64_t seed)
{
    (void)seed;
    fflush(stdout);
    fflush(stderr);
    pid_t self = getpid();
    for (int i = 0; i < 2; i++) {
        int fds[2];
        EXPECT(pipe(fds) == 0, "pipe: %s", strerror(errno));
        pid_t child = fork();
        EXPECT(child >= 0, "fork: %s", strerror(errno));
        if (child == 0) {
            close(fds[0]);
            child_main(fds[1], self);
        }
        n->child[i] = child;
        close(fds[1]);
        bool ok = read_address(fds[0], n->addr[i + 1], sizeof n->addr[i + 1]);
        close(fds[0]);
        EXPECT(ok, "node %c did not start", 'B' + i);
        char text[KR_PID_STRLEN_MAX];
        snprintf(text, sizeof text, "replica@%s", n->addr[i + 1]);
        EXPECT(kr_pid_parse(text, &n->replica[i]) == 0, "pid %s", text);
    }
    kr_config cfg = {.port = 0};
    int rc = kr_init(&cfg);
    EXPECT(rc == 0, "kr_init: %s", kr_strerror(rc));
    EXPECT(kr_address(n->addr[0], sizeof n->addr[0]) == 0, "kr_address");
    EXPECT(strcmp(n->addr[0], n->addr[1]) != 0 && strcmp(n->addr[0], n->addr[2]) != 0 &&
               strcmp(n->addr[1], n->addr[2]) != 0,
           "three distinct ports: %s %s %s", n->addr[0], n->addr[1], n->addr[2]);
    printf("OS processes: A pid %ld, B pid %ld, C pid %ld\n", (long)self, (long)n->child[0],
           (long)n->child[1]);
    return true;
}

/* SIGKILL: C's process vanishes without a word. */
static bool cut_off_c(nodes *n)
{
    EXPECT(kill(n->child[1], SIGKILL) == 0, "kill: %s", strerror(errno));
    int status = 0;
    EXPECT(waitpid(n->child[1], &status, 0) == n->child[1], "waitpid C");
    n->child[1] = 0;
    printf("SIGKILL node C (%s)\n", n->addr[2]);
    return true;
}

/* After a good run B has been shut down and must exit 0 by itself; after a
 * failed one (ok false) every child left is killed, so none outlives us. */
static bool nodes_stop(nodes *n, bool ok)
{
    for (int i = 0; i < 2; i++) {
        if (n->child[i] <= 0)
            continue;
        if (!ok)
            kill(n->child[i], SIGKILL);
        int status = 0;
        pid_t r;
        while ((r = waitpid(n->child[i], &status, 0)) < 0 && errno == EINTR)
            ;
        if (ok && !(r == n->child[i] && WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
            fail("node %c did not exit cleanly (status 0x%x)", 'B' + i, status);
            ok = false;
        }
        n->child[i] = 0;
    }
    return ok;
}

#endif

/* ---- the run, the same on both backends ------------------------------------------ */

static coordinator coord;

static bool links_ok(const snapshot *s, uint32_t messages, bool lost_b, bool lost_c)
{
    for (int i = 0; i < 2; i++) {
        const link_state *l = &s->links[i];
        char name = (char)('B' + i);
        EXPECT(l->sent == messages && l->acked == messages,
               "link A-%c: sent %" PRIu32 " acked %" PRIu32 " of %" PRIu32, name, l->sent,
               l->acked, messages);
        EXPECT(l->out_of_order == 0 && l->peer_out_of_order == 0,
               "link A-%c: %" PRIu32 " acks and %" PRIu32 " updates out of order", name,
               l->out_of_order, l->peer_out_of_order);
        EXPECT(l->lost == (i == 0 ? lost_b : lost_c), "link A-%c: lost=%d", name, l->lost);
    }
    return true;
}

static bool run_checks(nodes *n, uint32_t messages)
{
    memset(&coord, 0, sizeof coord);
    kr_process_init(&coord.base, "coordinator", &coordinator_ops);
    coord.messages = messages;
    coord.done = kr_promise_new();
    kr_future *done = kr_promise_future(coord.done);
    kr_future *lost[2];
    for (int i = 0; i < 2; i++) {
        coord.links[i].pid = n->replica[i];
        coord.links[i].lost_p = kr_promise_new();
        lost[i] = kr_promise_future(coord.links[i].lost_p);
    }
    kr_pid cp = kr_spawn(&coord.base, false);
    bool ok = !kr_pid_is_none(cp);
    if (!ok)
        fail("spawn coordinator");

    /* 1. Stream the updates; every one acked, in order, on both links. */
    snapshot s;
    if (ok) {
        kr_dispatch(cp, coordinator_start, NULL, 0);
        ok = await_state(kr_future_ref(done), KR_READY, "all updates acked") &&
             get_snapshot(cp, &s) && links_ok(&s, messages, false, false);
    }
    if (ok)
        printf("%" PRIu32 " updates + %" PRIu32 " acks per link, A-B and A-C: none lost, "
               "none reordered\n",
               messages, messages);

    /* 2. The same, as the nodes' HTTP endpoints say it. */
    char acked[48], received[48];
    snprintf(acked, sizeof acked, "\"acked\":%" PRIu32 ",\"out_of_order\":0", messages);
    snprintf(received, sizeof received, "\"received\":%" PRIu32 ",\"out_of_order\":0", messages);
    ok = ok && http_check(n->addr[0], "/coordinator/status", acked, "\"lost\":false", NULL) &&
         http_check(n->addr[1], "/replica/status", received, NULL) &&
         http_check(n->addr[2], "/replica/status", received, NULL);

    /* 3. C is cut off: exited(C) arrives, B stays linked. */
    ok = ok && cut_off_c(n) && await_state(kr_future_ref(lost[1]), KR_READY, "exited(C)") &&
         get_snapshot(cp, &s) && links_ok(&s, messages, false, true);
    if (ok)
        printf("coordinator got exited(%s)\n", n->addr[2]);
    ok = ok && http_check(n->addr[0], "/coordinator/status", "\"lost\":true", NULL);

    /* 4. B is shut down cleanly: exited(B) too. */
    if (ok)
        kr_dispatch(cp, send_shutdown, &n->replica[0], sizeof n->replica[0]);
    ok = ok && await_state(kr_future_ref(lost[0]), KR_READY, "exited(B)") &&
         get_snapshot(cp, &s) && links_ok(&s, messages, true, true);
    if (ok)
        printf("coordinator got exited(%s) after B shut down\n", n->addr[1]);

    if (!kr_pid_is_none(cp)) {
        kr_terminate(cp, false);
        if (!kr_wait(cp, TIMEOUT) && ok) {
            fail("coordinator did not terminate");
            ok = false;
        }
    }
    kr_future_unref(done);
    kr_promise_free(coord.done);
    for (int i = 0; i < 2; i++) {
        kr_future_unref(lost[i]);
        kr_promise_free(coord.links[i].lost_p);
    }
    return ok;
}

/* One whole run: start the nodes, check, stop. On sim, *hash gets the trace
 * hash. */
static bool run(uint64_t seed, uint32_t messages, uint64_t *hash)
{
    static nodes n;
    memset(&n, 0, sizeof n);
    bool ok = nodes_start(&n, seed);
    ok = ok && run_checks(&n, messages);
#ifdef KAIROS_SIM
    *hash = kr_sim_trace_hash();
    if (kr_sim_failure()) {
        fail("simulation: %s", kr_sim_failure());
        ok = false;
    }
    printf("seed=%" PRIu64 " trace_hash=0x%016" PRIx64 " steps=%" PRIu64 " time=%.3fs\n",
           kr_sim_seed(), *hash, kr_sim_steps(), (double)kr_sim_elapsed() / 1e9);
#else
    (void)hash;
#endif
    if (kr_running())
        kr_finalize();
    return nodes_stop(&n, ok);
}

int main(int argc, char **argv)
{
    uint64_t seed = 0;
    uint32_t messages = DEFAULT_MESSAGES;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--messages") == 0 && i + 1 < argc)
            messages = (uint32_t)strtoul(argv[++i], NULL, 10);
#ifdef KAIROS_SIM
        else if (argv[i][0] != '-')
            seed = strtoull(argv[i], NULL, 10);
#endif
        else {
            fprintf(stderr, "usage: %s %s[--messages N]\n", argv[0],
#ifdef KAIROS_SIM
                    "[SEED] "
#else
                    ""
#endif
            );
            return 2;
        }
    }
    if (messages == 0)
        messages = DEFAULT_MESSAGES;
#ifdef KAIROS_SIM
    if (seed == 0) {
        const char *env = getenv("KAIROS_SEED");
        seed = env && *env ? strtoull(env, NULL, 10) : 1;
    }
#endif
    printf("three_nodes on %s: %" PRIu32 " updates per replica\n", kr_backend(), messages);

    uint64_t h1 = 0, h2 = 0;
    bool ok = run(seed, messages, &h1);
#ifdef KAIROS_SIM
    /* The same seed again, in this process: the same trace hash. */
    ok = run(seed, messages, &h2) && ok;
    if (h1 != h2)
        fail("seed %" PRIu64 ": trace hash 0x%016" PRIx64 " then 0x%016" PRIx64, seed, h1, h2);
    else
        printf("seed=%" PRIu64 " replayed: same trace hash 0x%016" PRIx64 "\n", seed, h1);
#else
    (void)h2;
#endif
    if (!ok || failures) {
        fprintf(stderr, "three_nodes: FAILED (%d failure%s)\n", failures, failures == 1 ? "" : "s");
        return 1;
    }
    printf("three_nodes: OK\n");
    return 0;
}
