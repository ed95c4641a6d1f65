/* libFuzzer target: any bytes sent to the real backend's HTTP server must
 * get well-formed answers (or a close), never a crash, hang or leak.
 *
 * The whole runtime (core + real backend) is compiled into this program
 * with coverage instrumentation and initialised once, without a listener.
 * Each input goes through one end of a socketpair handed to the server
 * (kr__http_server_adopt), so it runs the real http-parser callbacks,
 * limits, pipelining, firewall, built-in endpoints and a process route;
 * the other end writes the input, half-closes and reads until the server
 * closes, bounded by a deadline. Run it with .ci/fuzz.sh. */
#include "core.h"
#include "io.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* An input whose answers have not all arrived by then is a hang. */
#define DEADLINE_MS 5000

static void echo(kr_process *self, const kr_http_request *r, kr_http_reply *out)
{
    (void)self;
    (void)r;
    kr_http_respond(out, 200, "text/plain", "ok", 2);
}

static void fuzz_initialize(kr_process *self)
{
    if (kr_route(self, "/echo", "answers ok", echo) != 0)
        abort();
}

static const kr_process_ops fuzz_ops = {.initialize = fuzz_initialize};
static kr_process fuzz_process;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    kr_config cfg = {.port = -1};
    if (kr_init(&cfg) != 0)
        abort();
    kr_process_init(&fuzz_process, "fuzz", &fuzz_ops);
    if (kr_pid_is_none(kr_spawn(&fuzz_process, false)))
        abort();
    return 0;
}

static long long now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv) != 0)
        abort(); /* the harness itself is broken: stop loudly */
    if (kr__http_server_adopt(sv[0]) != 0)
        abort();
    size_t sent = 0, got = 0;
    char first[9] = "";
    char buf[65536];
    long long deadline = now_ms() + DEADLINE_MS;
    if (size == 0)
        shutdown(sv[1], SHUT_WR);
    for (;;) {
        struct pollfd pfd = {sv[1], POLLIN | (sent < size ? POLLOUT : 0), 0};
        long long left = deadline - now_ms();
        if (left <= 0) {
            fprintf(stderr, "fuzz_http_server: no close within %d ms\n", DEADLINE_MS);
            abort();
        }
        if (poll(&pfd, 1, (int)left) < 0)
            continue;
        if (pfd.revents & POLLOUT) {
            ssize_t w = send(sv[1], data + sent, size - sent, MSG_NOSIGNAL);
            if (w > 0)
                sent += (size_t)w;
            else if (w < 0)
                sent = size; /* the server closed: the rest goes nowhere */
            if (sent == size)
                shutdown(sv[1], SHUT_WR);
        }
        if (pfd.revents & (POLLIN | POLLHUP | POLLERR)) {
            ssize_t r = recv(sv[1], buf, sizeof buf, 0);
            if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR))
                break;
            for (ssize_t i = 0; i < r && got < 8; i++)
                first[got++] = buf[i];
            got += got >= 8 ? (size_t)r : 0;
        }
    }
    close(sv[1]);
    /* Whatever comes back is an HTTP/1.1 response. */
    if (first[0] && strncmp(first, "HTTP/1.1", strlen(first)) != 0)
        abort();
    return 0;
}
