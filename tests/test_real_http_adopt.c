/* The HTTP fuzzer's hook (kr__http_server_adopt): a connected socket handed
 * to the real server is served like an accepted connection (pipelined
 * answers in order, a bad request answered 400 and closed), with no
 * listener at all (port -1). */
#define _GNU_SOURCE /* SOCK_CLOEXEC */
#include "harness.h"

#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

int kr__http_server_adopt(int fd); /* runtime/real/io.h, internal */

/* Sends req on a fresh adopted socketpair, half-closes, reads to EOF. */
static char *exchange(const char *req)
{
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    struct timeval tv = {.tv_sec = 20};
    setsockopt(sv[1], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    assert_int_equal(kr__http_server_adopt(sv[0]), 0);
    size_t len = strlen(req);
    assert_int_equal(send(sv[1], req, len, MSG_NOSIGNAL), (ssize_t)len);
    shutdown(sv[1], SHUT_WR);
    static char buf[65536];
    size_t got = 0;
    ssize_t n;
    while (got < sizeof buf - 1 && (n = recv(sv[1], buf + got, sizeof buf - 1 - got, 0)) > 0)
        got += (size_t)n;
    assert_true(n == 0); /* the server closed, no receive timeout */
    buf[got] = '\0';
    close(sv[1]);
    return buf;
}

static void adopted_socket_is_served(void **state)
{
    (void)state;
    char *out = exchange("GET /__processes__ HTTP/1.1\r\nHost: x\r\n\r\n"
                         "GET /nobody HTTP/1.1\r\nHost: x\r\n\r\n");
    char *second = strstr(out, "HTTP/1.1 404");
    assert_true(strncmp(out, "HTTP/1.1 200 ", 13) == 0);
    assert_non_null(second);
    out = exchange("GET /x HTTP/1.1\r\nBad Header\r\n\r\n");
    assert_true(strncmp(out, "HTTP/1.1 400 ", 13) == 0);
    assert_non_null(strstr(out, "Connection: close"));
}

static int setup_no_listener(void **state)
{
    (void)state;
    kr_config cfg = kt_config();
    cfg.port = -1;
    return kr_init(&cfg) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(adopted_socket_is_served, setup_no_listener,
                                        kt_teardown),
    };
    return KT_RUN(tests);
}
