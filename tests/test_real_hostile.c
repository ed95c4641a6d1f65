/* The real backend under hostile clients and peers (issue 11): one answer
 * per request, malformed chunked bodies, clients that never read, slowloris,
 * fd exhaustion, forged senders. Every test talks to the node's real
 * listening socket over loopback; every loop is bounded in count and time
 * and every socket has send/receive timeouts, so a regression fails instead
 * of hanging. */
#define _GNU_SOURCE /* memmem */
#include "harness.h"

#include <kairos/http.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Sanitizers keep freed memory in quarantine and map shadow memory, so
 * RSS says nothing about our bounds there; the other checks still run. */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define KT_RSS_MEANINGFUL 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define KT_RSS_MEANINGFUL 0
#endif
#endif
#ifndef KT_RSS_MEANINGFUL
#define KT_RSS_MEANINGFUL 1
#endif
/* Sanitized builds run several times slower: a normal request gets more
 * time there (the unsanitized budget is what the docs state). */
#define KT_NORMAL_MS (KT_RSS_MEANINGFUL ? 3000 : 20000)

/* ---- sockets with deadlines ---------------------------------------------------- */

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint16_t our_port(void)
{
    char addr[64];
    assert_int_equal(kr_address(addr, sizeof addr), 0);
    return (uint16_t)atoi(strchr(addr, ':') + 1);
}

static void set_timeouts(int fd, int ms)
{
    struct timeval tv = {.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

/* A loopback connection with 5 s send/receive timeouts; -1 if refused. */
static int try_dial(uint16_t port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    set_timeouts(fd, 5000);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port),
                            .sin_addr.s_addr = htonl(0x7f000001u)};
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static int dial(uint16_t port)
{
    int fd = try_dial(port);
    assert_true(fd >= 0);
    return fd;
}

static void send_text(int fd, const char *text)
{
    size_t len = strlen(text);
    while (len > 0) {
        ssize_t w = send(fd, text, len, MSG_NOSIGNAL);
        if (w <= 0)
            return; /* the server may close early; what it answered tells */
        text += w;
        len -= (size_t)w;
    }
}

/* Everything the server sends until it closes (or deadline_ms passes, or
 * cap bytes); NUL-terminated. Returns the byte count; *closed says whether
 * EOF was seen. */
static size_t read_until_close(int fd, char *buf, size_t cap, int deadline_ms, bool *closed)
{
    size_t len = 0;
    int64_t end = now_ms() + deadline_ms;
    *closed = false;
    while (len + 1 < cap && now_ms() < end) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int left = (int)(end - now_ms());
        if (poll(&p, 1, left > 0 ? left : 0) <= 0)
            break;
        ssize_t n = recv(fd, buf + len, cap - 1 - len, 0);
        if (n <= 0) {
            *closed = true;
            break;
        }
        len += (size_t)n;
    }
    buf[len] = '\0';
    return len;
}

static int count_responses(const char *buf, size_t len)
{
    int n = 0;
    for (const char *p = buf; (p = memmem(p, len - (size_t)(p - buf), "HTTP/1.1 ", 9)); p += 9)
        n++;
    return n;
}

/* One GET /srv/hello on a fresh connection within deadline_ms: its status,
 * or -1. Used to show the node still serves a normal client. */
static int status_of(const char *path, int deadline_ms)
{
    int fd = try_dial(our_port());
    if (fd < 0)
        return -1;
    set_timeouts(fd, deadline_ms);
    char req[256];
    snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", path);
    send_text(fd, req);
    char buf[4096];
    bool closed;
    size_t len = read_until_close(fd, buf, sizeof buf, deadline_ms, &closed);
    close(fd);
    return len > 12 ? atoi(buf + 9) : -1;
}

static int hello_status(int deadline_ms) { return status_of("/srv/hello", deadline_ms); }

/* ---- a process with a route --------------------------------------------------- */

static kr_process srv, other;

static void h_hello(kr_process *self, const kr_http_request *r, kr_http_reply *out)
{
    (void)self;
    (void)r;
    kr_http_respond(out, 200, "text/plain", "hello", 5);
}

static void server_init(kr_process *self) { kr_route(self, "/hello", "Says hello.", h_hello); }

static const kr_process_ops server_ops = {.initialize = server_init};

static void server_start(void)
{
    memset(&srv, 0, sizeof srv);
    kr_process_init(&srv, "srv", &server_ops);
    kr_pid pid = kr_spawn(&srv, false);
    assert_false(kr_pid_is_none(pid));
    kt_flush(pid);
    /* Another process with the same route: a normal client of the node
     * while srv's queue is full of an attacker's requests. */
    memset(&other, 0, sizeof other);
    kr_process_init(&other, "other", &server_ops);
    pid = kr_spawn(&other, false);
    assert_false(kr_pid_is_none(pid));
    kt_flush(pid);
}

/* ---- #8: one request, one response; malformed chunked bodies ------------------- */

static void expect_one_answer(const char *request, int status)
{
    int fd = dial(our_port());
    send_text(fd, request);
    char buf[8192];
    bool closed;
    size_t len = read_until_close(fd, buf, sizeof buf, 3000, &closed);
    close(fd);
    if (count_responses(buf, len) != 1 || atoi(buf + 9) != status || !closed)
        fail_msg("request:\n%s\nwanted one %d and a close, got (%s):\n%s", request, status,
                 closed ? "closed" : "left open", buf);
}

static void upgrade_and_connect_get_one_answer(void **state)
{
    (void)state;
    server_start();
    expect_one_answer("GET /srv/hello HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\n"
                      "Upgrade: websocket\r\n\r\n",
                      501);
    expect_one_answer("CONNECT 127.0.0.1:80 HTTP/1.1\r\nHost: 127.0.0.1:80\r\n\r\n", 501);
    /* A pipelined request behind the upgrade is not served either. */
    expect_one_answer("GET /srv/hello HTTP/1.1\r\nConnection: upgrade\r\nUpgrade: h2c\r\n\r\n"
                      "GET /srv/hello HTTP/1.1\r\n\r\n",
                      501);
    assert_int_equal(hello_status(2000), 200);
}

static void malformed_chunks_are_400_and_close(void **state)
{
    (void)state;
    server_start();
    /* Chunk data not followed by CRLF: the smuggling shape of the issue. */
    expect_one_answer("POST /srv/hello HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                      "3\r\nabcXX0\r\n\r\nGET /srv/hello HTTP/1.1\r\n\r\n",
                      400);
    expect_one_answer("POST /srv/hello HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                      "3\r\nabc\rX0\r\n\r\n",
                      400);
    /* The same check when the CRLF arrives in a later read. */
    int fd = dial(our_port());
    send_text(fd, "POST /srv/hello HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc");
    struct timespec pause = {.tv_nsec = 100 * 1000000};
    nanosleep(&pause, NULL);
    send_text(fd, "YY0\r\n\r\n");
    char buf[4096];
    bool closed;
    size_t len = read_until_close(fd, buf, sizeof buf, 3000, &closed);
    close(fd);
    assert_int_equal(count_responses(buf, len), 1);
    assert_int_equal(atoi(buf + 9), 400);
    assert_true(closed);
    /* Well-formed chunks, split anywhere, still work. */
    fd = dial(our_port());
    send_text(fd, "POST /srv/hello HTTP/1.1\r\nTransfer-Encoding: chunked\r\n"
                  "Connection: close\r\n\r\n3\r\nabc\r");
    nanosleep(&pause, NULL);
    send_text(fd, "\n4\r\ndefg\r\n0\r\n\r\n");
    len = read_until_close(fd, buf, sizeof buf, 3000, &closed);
    close(fd);
    assert_int_equal(count_responses(buf, len), 1);
    assert_int_equal(atoi(buf + 9), 200);
}


/* ---- measuring the node -------------------------------------------------------- */

static long rss_kb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, "VmRSS:", 6) == 0)
            kb = atol(line + 6);
    if (f)
        fclose(f);
    return kb;
}

static double cpu_seconds(void)
{
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return (double)(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
           (double)(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

/* A normal client during an attack: 200 within a second (from a process
 * the attack does not queue requests to). */
static void normal_request_served_within_a_second(const char *during)
{
    int64_t t0 = now_ms();
    int status = status_of("/other/hello", KT_NORMAL_MS);
    int64_t took = now_ms() - t0;
    fprintf(stderr, "# %s: a normal request took %lld ms (status %d)\n", during,
            (long long)took, status);
    if (status != 200 || took > KT_NORMAL_MS) /* 1 s unloaded; slack for a loaded machine */
        fail_msg("%s: normal request %d after %lld ms", during, status, (long long)took);
}

static void init_with(const char *const *env)
{
    for (size_t i = 0; env[i]; i += 2)
        setenv(env[i], env[i + 1], 1);
    kr_config c = kt_config();
    int rc = kr_init(&c);
    for (size_t i = 0; env[i]; i += 2)
        unsetenv(env[i]);
    assert_int_equal(rc, 0);
    server_start();
}

/* Waits (at most ms) until the server has closed fd: a reset or EOF
 * shows as POLLHUP/POLLERR/POLLRDHUP without our reading anything. */
static bool closed_by_server(int fd, int ms)
{
    int64_t end = now_ms() + ms;
    while (now_ms() < end) {
        struct pollfd p = {.fd = fd, .events = POLLRDHUP};
        if (poll(&p, 1, 100) > 0 && (p.revents & (POLLHUP | POLLERR | POLLRDHUP)))
            return true;
    }
    return false;
}

/* ---- #1: a pipelining client that never reads ---------------------------------- */

/* Fewer under sanitizers, where draining their queued requests is slow. */
#define PIPELINERS (KT_RSS_MEANINGFUL ? 16 : 4)

static void pipelining_clients_that_never_read_are_bounded(void **state)
{
    (void)state;
    /* A small output bound, and small client receive buffers, so the
     * kernel's socket buffers do not hide the server's backlog. */
    const char *env[] = {"KAIROS_HTTP_IDLE_MS", "3000", "KAIROS_HTTP_OUT_MAX", "65536", NULL};
    init_with(env);
    static char block[60000];
    static const char req[] = "GET /srv/hello HTTP/1.1\r\nHost: x\r\n\r\n";
    size_t per = sizeof req - 1, len = 0;
    while (len + per <= sizeof block) {
        memcpy(block + len, req, per);
        len += per;
    }
    long before = rss_kb();
    int fds[PIPELINERS];
    for (int i = 0; i < PIPELINERS; i++) {
        fds[i] = socket(AF_INET, SOCK_STREAM, 0);
        assert_true(fds[i] >= 0);
        int small = 4096;
        setsockopt(fds[i], SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
        set_timeouts(fds[i], 5000);
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(our_port()),
                                .sin_addr.s_addr = htonl(0x7f000001u)};
        assert_int_equal(connect(fds[i], (struct sockaddr *)&a, sizeof a), 0);
        fcntl(fds[i], F_SETFL, O_NONBLOCK);
    }
    /* Send for at most 20 s; the server must stop reading every connection
     * (no send progress anywhere for a whole second) long before. */
    uint64_t sent = 0;
    int64_t end = now_ms() + 20000, last_progress = now_ms();
    bool stalled = false;
    while (now_ms() < end && !stalled) {
        bool progress = false;
        for (int i = 0; i < PIPELINERS; i++) {
            ssize_t w = send(fds[i], block, len, MSG_NOSIGNAL | MSG_DONTWAIT);
            if (w > 0) {
                sent += (uint64_t)w;
                progress = true;
            }
        }
        if (progress)
            last_progress = now_ms();
        else {
            struct timespec pause = {.tv_nsec = 50 * 1000000};
            nanosleep(&pause, NULL);
        }
        stalled = now_ms() - last_progress > 1000;
    }
    long growth_kb = rss_kb() - before;
    fprintf(stderr,
            "# %d connections sent %llu bytes (%llu requests) and read nothing; RSS grew %ld KiB;"
            " %s\n",
            PIPELINERS, (unsigned long long)sent, (unsigned long long)(sent / per), growth_kb,
            stalled ? "the server stopped reading" : "the server kept reading");
    assert_true(stalled);
    if (KT_RSS_MEANINGFUL)
        assert_true(growth_kb < 48 * 1024);
    /* The attack goes on (16 connections full of unread answers); once the
     * requests already queued are served, a normal client is served. */
    struct timespec drain = {.tv_sec = 1};
    nanosleep(&drain, NULL);
    normal_request_served_within_a_second("clients not reading");
    /* They never read: the idle timeout (3 s here) closes them. */
    int64_t close_by = now_ms() + (KT_RSS_MEANINGFUL ? 20000 : 40000);
    for (int i = 0; i < PIPELINERS; i++) {
        int left = (int)(close_by - now_ms());
        assert_true(closed_by_server(fds[i], left > 0 ? left : 0));
        close(fds[i]);
    }
}

/* ---- #7: slowloris --------------------------------------------------------------- */

#define SLOW_CONNS 100

static void slow_headers_and_bodies_get_408(void **state)
{
    (void)state;
    const char *env[] = {"KAIROS_HTTP_HEADER_MS", "1000", "KAIROS_HTTP_BODY_MS", "1000", NULL};
    init_with(env);
    int fds[SLOW_CONNS];
    for (int i = 0; i < SLOW_CONNS; i++) {
        fds[i] = dial(our_port());
        /* Half trickle headers, half a body after complete headers. */
        send_text(fds[i], i % 2 ? "GET /srv/hello HTTP/1.1\r\nX-Slow: "
                                : "POST /srv/hello HTTP/1.1\r\nContent-Length: 100\r\n\r\n");
    }
    normal_request_served_within_a_second("100 slowloris connections");
    /* One byte per connection every 200 ms, for at most 5 s. */
    int open_left = SLOW_CONNS, timeouts = 0;
    bool done[SLOW_CONNS] = {false};
    int64_t end = now_ms() + 5000;
    while (open_left > 0 && now_ms() < end) {
        for (int i = 0; i < SLOW_CONNS; i++) {
            if (done[i])
                continue;
            send(fds[i], "x", 1, MSG_NOSIGNAL | MSG_DONTWAIT);
            struct pollfd p = {.fd = fds[i], .events = POLLIN};
            if (poll(&p, 1, 0) > 0) {
                char buf[1024];
                bool closed;
                size_t n = read_until_close(fds[i], buf, sizeof buf, 1000, &closed);
                if (n > 12 && atoi(buf + 9) == 408)
                    timeouts++;
                done[i] = true;
                open_left--;
            }
        }
        struct timespec pause = {.tv_nsec = 200 * 1000000};
        nanosleep(&pause, NULL);
    }
    for (int i = 0; i < SLOW_CONNS; i++)
        close(fds[i]);
    fprintf(stderr, "# slowloris: %d of %d answered 408 within 5 s\n", timeouts, SLOW_CONNS);
    assert_int_equal(open_left, 0);
    assert_int_equal(timeouts, SLOW_CONNS);
}

static void connection_cap_answers_503(void **state)
{
    (void)state;
    const char *env[] = {"KAIROS_HTTP_CONNECTIONS_MAX", "4", NULL};
    init_with(env);
    int held[4];
    for (int i = 0; i < 4; i++)
        held[i] = dial(our_port());
    /* The 5th is refused with one 503 (after the first four are accepted). */
    int status = -1;
    for (int attempt = 0; attempt < 20 && status != 503; attempt++) {
        int fd = dial(our_port());
        char buf[1024];
        bool closed;
        size_t n = read_until_close(fd, buf, sizeof buf, 1000, &closed);
        status = n > 12 ? atoi(buf + 9) : -1;
        close(fd);
    }
    assert_int_equal(status, 503);
    close(held[0]);
    /* Room again once the server has seen that close: its I/O thread may
     * meet our next connections before that EOF on a loaded machine, so
     * keep asking for up to 5 s (each refusal is a 503 at once). */
    status = -1;
    for (int attempt = 0; attempt < 250 && status != 200; attempt++) {
        status = hello_status(1000);
        if (status != 200) {
            struct timespec pause = {.tv_nsec = 20 * 1000000};
            nanosleep(&pause, NULL);
        }
    }
    assert_int_equal(status, 200);
    for (int i = 1; i < 4; i++)
        close(held[i]);
}

/* ---- #6: out of file descriptors ------------------------------------------------ */

#define EMFILE_CONNS 40

static void out_of_fds_does_not_spin(void **state)
{
    (void)state;
    kr_config c = kt_config();
    assert_int_equal(kr_init(&c), 0);
    server_start();
    uint16_t port = our_port();
    int go[2];
    assert_int_equal(pipe(go), 0);
    struct rlimit old;
    assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
    /* The lowest free descriptor: every one below it is in use, so with
     * it as the limit the server cannot accept. */
    int lowest = dup(0);
    assert_true(lowest >= 0);
    close(lowest);
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        /* The client: its own fd table; connects and holds. Async-signal-
         * safe calls only (the parent has threads). */
        alarm(20);
        close(go[1]);
        for (int i = 0; i < EMFILE_CONNS; i++) {
            int fd = socket(AF_INET, SOCK_STREAM, 0);
            struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port),
                                    .sin_addr.s_addr = htonl(0x7f000001u)};
            if (fd >= 0)
                connect(fd, (struct sockaddr *)&a, sizeof a);
        }
        char b;
        ssize_t r = read(go[0], &b, 1); /* until the parent is done */
        (void)r;
        _exit(0);
    }
    close(go[0]);
    struct rlimit tight = {.rlim_cur = (rlim_t)lowest, .rlim_max = old.rlim_max};
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &tight), 0);
    struct timespec settle = {.tv_nsec = 300 * 1000000};
    nanosleep(&settle, NULL); /* the child connects; the server hits EMFILE */
    double cpu0 = cpu_seconds();
    int64_t t0 = now_ms();
    struct timespec window = {.tv_sec = 1, .tv_nsec = 500 * 1000000};
    nanosleep(&window, NULL);
    double cpu = cpu_seconds() - cpu0;
    double wall = (double)(now_ms() - t0) / 1000.0;
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
    close(go[1]);
    int st;
    waitpid(child, &st, 0);
    fprintf(stderr, "# out of fds: %.3f s of CPU in %.3f s\n", cpu, wall);
    assert_true(cpu < 0.1); /* spinning takes ~a core; the fix ~0 */
    normal_request_served_within_a_second("after running out of fds");
}

/* ---- #2, #11: forged senders, replies to peers that refuse --------------------- */

static kr_process ponger;

static void on_ping(kr_process *self, const kr_message *m)
{
    kr_send(self, m->from, "pong", "x", 1); /* to whatever the sender claims */
}

static void ponger_init(kr_process *self) { kr_install(self, "ping", on_ping); }

static const kr_process_ops ponger_ops = {.initialize = ponger_init};

static uint64_t dropped(void)
{
    kr_stats st;
    kr_stats_get(&st);
    return st.messages_dropped;
}

static int open_fds(void)
{
    int n = 0;
    char path[64];
    for (int fd = 0; fd < 65536; fd++) {
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
        n += access(path, F_OK) == 0;
    }
    return n;
}

static void forged_ping(const char *from)
{
    char req[512];
    snprintf(req, sizeof req,
             "POST /ponger/ping HTTP/1.1\r\nLibprocess-From: %s\r\nContent-Length: 1\r\n"
             "Connection: close\r\n\r\nx",
             from);
    int fd = dial(our_port());
    send_text(fd, req);
    char buf[512];
    bool closed;
    read_until_close(fd, buf, sizeof buf, 2000, &closed);
    close(fd);
}

static void spawn_ponger(void)
{
    memset(&ponger, 0, sizeof ponger);
    kr_process_init(&ponger, "ponger", &ponger_ops);
    kr_pid pid = kr_spawn(&ponger, false);
    assert_false(kr_pid_is_none(pid));
    kt_flush(pid);
}

static void reply_to_refusing_peer_is_counted(void **state)
{
    (void)state;
    server_start();
    spawn_ponger();
    uint64_t before = dropped();
    forged_ping("liar@127.0.0.1:1"); /* nothing listens on port 1 */
    int64_t end = now_ms() + 5000;
    while (dropped() == before && now_ms() < end) {
        struct timespec pause = {.tv_nsec = 20 * 1000000};
        nanosleep(&pause, NULL);
    }
    assert_int_equal(dropped(), before + 1);
}

#define FORGED 1500

static void forged_senders_are_bounded(void **state)
{
    (void)state;
    server_start();
    spawn_ponger();
    /* A listener that never accepts: connections to it complete in the
     * kernel and then sit, like a peer that accepts but never reads. */
    int sink = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_ANY)};
    assert_int_equal(bind(sink, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(sink, 4096), 0);
    socklen_t alen = sizeof a;
    getsockname(sink, (struct sockaddr *)&a, &alen);
    int fds_before = open_fds();
    long rss_before = rss_kb();
    int64_t t0 = now_ms();
    for (int i = 0; i < FORGED && now_ms() - t0 < 30000; i++) {
        char from[64];
        /* Distinct addresses: 127.0.y.x, all reaching the sink. */
        snprintf(from, sizeof from, "liar@127.0.%d.%d:%u", 1 + i / 250, 1 + i % 250,
                 (unsigned)ntohs(a.sin_port));
        forged_ping(from);
    }
    struct timespec settle = {.tv_nsec = 500 * 1000000};
    nanosleep(&settle, NULL);
    int fds_after = open_fds();
    fprintf(stderr, "# %d forged senders: fds %d -> %d, RSS grew %ld KiB\n", FORGED, fds_before,
            fds_after, rss_kb() - rss_before);
    normal_request_served_within_a_second("forged senders");
    close(sink);
    /* At most PEERS_MAX (1024) peer connections, plus the sink's queue. */
    assert_true(fds_after - fds_before <= 1024 + 16);
}

static long peers_open(void)
{
    kr_future *f = kr_metrics_snapshot(KR_SEC(5));
    assert_true(kr_future_await(f, KT_TIMEOUT));
    const char *at = strstr(kr_future_value(f), "\"kairos/http_peers\":");
    assert_non_null(at);
    long n = atol(at + strlen("\"kairos/http_peers\":"));
    kr_future_unref(f);
    return n;
}

/* Forged pings from n distinct addresses, all reaching a listener that
 * never accepts (connections complete in the kernel, then sit). */
static void forge_senders(int sink, int n)
{
    struct sockaddr_in a;
    socklen_t alen = sizeof a;
    getsockname(sink, (struct sockaddr *)&a, &alen);
    for (int i = 0; i < n; i++) {
        char from[64];
        snprintf(from, sizeof from, "liar@127.0.9.%d:%u", 1 + i, (unsigned)ntohs(a.sin_port));
        forged_ping(from);
    }
}

static int never_accepting_listener(void)
{
    int sink = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_ANY)};
    assert_int_equal(bind(sink, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(sink, 64), 0);
    return sink;
}

/* The peer bounds are KAIROS_PEER* settings: a lower KAIROS_PEERS_MAX caps
 * the open peers, a short KAIROS_PEER_IDLE_MS closes an idle one, and a
 * value that is not a positive integer fails kr_init. */
static void peer_settings_take_effect(void **state)
{
    (void)state;
    kr_config c = kt_config();
    const char *bad[] = {"KAIROS_PEERS_MAX", "KAIROS_PEER_OUT_MAX", "KAIROS_PEER_CONNECT_MS",
                         "KAIROS_PEER_WRITE_MS", "KAIROS_PEER_IDLE_MS"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        setenv(bad[i], "0", 1);
        assert_int_equal(kr_init(&c), KR_EINVAL);
        unsetenv(bad[i]);
    }
    int sink = never_accepting_listener();
    init_with((const char *const[]){"KAIROS_PEERS_MAX", "3", NULL});
    spawn_ponger();
    forge_senders(sink, 10);
    struct timespec settle = {.tv_nsec = 300 * 1000000};
    nanosleep(&settle, NULL);
    long capped = peers_open();
    kr_finalize();
    init_with((const char *const[]){"KAIROS_PEER_IDLE_MS", "1000", NULL});
    spawn_ponger();
    forge_senders(sink, 4);
    nanosleep(&settle, NULL);
    long before_idle = peers_open();
    int64_t end = now_ms() + 10000;
    while (peers_open() > 0 && now_ms() < end)
        nanosleep(&settle, NULL);
    long after_idle = peers_open();
    int64_t idle_took = now_ms() - (end - 10000);
    fprintf(stderr, "# KAIROS_PEERS_MAX=3: %ld peers open after 10 senders; "
                    "KAIROS_PEER_IDLE_MS=1000: %ld -> %ld peers in %lld ms\n",
            capped, before_idle, after_idle, (long long)idle_took);
    close(sink);
    assert_true(capped >= 1 && capped <= 3);
    assert_int_equal(before_idle, 4);
    assert_int_equal(after_idle, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        KT_TEST(upgrade_and_connect_get_one_answer),
        KT_TEST(malformed_chunks_are_400_and_close),
        KT_BARE_TEST(pipelining_clients_that_never_read_are_bounded),
        KT_BARE_TEST(slow_headers_and_bodies_get_408),
        KT_BARE_TEST(connection_cap_answers_503),
        KT_BARE_TEST(out_of_fds_does_not_spin),
        KT_TEST(reply_to_refusing_peer_is_counted),
        KT_TEST(forged_senders_are_bounded),
        KT_BARE_TEST(peer_settings_take_effect),
    };
    return KT_RUN(tests);
}
