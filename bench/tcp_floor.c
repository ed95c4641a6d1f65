/* kairos-tcp-floor: the loopback floor for bench `remote-w1` (issue 15).
 * A plain blocking TCP ping-pong between two OS processes (this one and a
 * forked child) over 127.0.0.1: 8-byte messages, one in flight, TCP_NODELAY,
 * no runtime at all. No actor runtime can do a strict remote round trip
 * faster than this, so compare.sh prints it beside Kairos' remote round
 * trips. One line in the peers' format:
 *   bench=tcp-floor runtime=tcp n=N seconds=S rate=R rss_mb=M
 * n = round trips (as for remote-w1), rss_mb = the client's peak RSS. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MSG_LEN 8

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Peak resident set size (VmHWM) in MiB, as kairos-bench and the peers. */
static double peak_rss_mb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    if (!f)
        return -1;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "VmHWM:", 6) == 0)
            kb = atol(line + 6);
    fclose(f);
    return kb < 0 ? -1 : (double)kb / 1024.0;
}

/* Loops over short transfers and EINTR: 1 done, 0 on EOF, -1 on error. */
static int xfer(int fd, char *buf, size_t len, int writing)
{
    size_t done = 0;
    while (done < len) {
        ssize_t r = writing ? write(fd, buf + done, len - done) : read(fd, buf + done, len - done);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return r == 0 ? 0 : -1;
        done += (size_t)r;
    }
    return 1;
}

static void no_delay(int fd)
{
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

/* The child: accepts one connection and echoes 8-byte messages until EOF. */
static int serve(int listener)
{
    int fd = accept(listener, NULL, NULL);
    close(listener);
    if (fd < 0)
        return 1;
    no_delay(fd);
    char buf[MSG_LEN];
    int r;
    while ((r = xfer(fd, buf, sizeof buf, 0)) == 1)
        if (xfer(fd, buf, sizeof buf, 1) != 1)
            return 1;
    close(fd);
    return r == 0 ? 0 : 1;
}

/* One round trip: 1 on success. */
static int round_trip(int fd, uint64_t i)
{
    char buf[MSG_LEN];
    memcpy(buf, &i, sizeof buf);
    if (xfer(fd, buf, sizeof buf, 1) != 1 || xfer(fd, buf, sizeof buf, 0) != 1)
        return 0;
    uint64_t back;
    memcpy(&back, buf, sizeof back);
    return back == i; /* the echo must be this message, not another */
}

static int client(const struct sockaddr_in *addr, long n)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, (const struct sockaddr *)addr, sizeof *addr) != 0) {
        perror("tcp-floor: connect");
        return 1;
    }
    no_delay(fd);
    if (!round_trip(fd, UINT64_MAX)) { /* untimed warm-up, as remote-w1 */
        fprintf(stderr, "tcp-floor: warm-up round trip failed\n");
        return 1;
    }
    double t0 = now();
    for (long i = 0; i < n; i++)
        if (!round_trip(fd, (uint64_t)i)) {
            fprintf(stderr, "tcp-floor: round trip %ld failed\n", i);
            return 1;
        }
    double s = now() - t0;
    close(fd);
    printf("bench=tcp-floor runtime=tcp n=%ld seconds=%.4f rate=%.0f rss_mb=%.1f\n", n, s,
           s > 0 ? (double)n / s : 0.0, peak_rss_mb());
    return 0;
}

static int usage(void)
{
    fprintf(stderr, "usage: kairos-tcp-floor [--n ROUND_TRIPS] (default 20000, as remote-w1;\n"
                    "0 = the default)\n");
    return 2;
}

int main(int argc, char **argv)
{
    long n = 20000;
    for (int i = 1; i < argc; i++) {
        char *end;
        if (strcmp(argv[i], "--n") == 0 && i + 1 < argc) {
            errno = 0;
            n = strtol(argv[++i], &end, 10);
            if (errno || end == argv[i] || *end || n < 0)
                return usage();
            if (n == 0)
                n = 20000;
        } else {
            return usage();
        }
    }
    int listener = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = 0};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (listener < 0 || bind(listener, (struct sockaddr *)&addr, sizeof addr) != 0 ||
        listen(listener, 1) != 0 || getsockname(listener, (struct sockaddr *)&addr, &len) != 0) {
        perror("tcp-floor: listen");
        return 1;
    }
    fflush(stdout);
    pid_t child = fork();
    if (child < 0) {
        perror("tcp-floor: fork");
        return 1;
    }
    if (child == 0)
        _exit(serve(listener));
    close(listener);
    int rc = client(&addr, n);
    int status = 0;
    /* The client closed its socket (or exits, which closes it): the child sees EOF. */
    if (rc != 0)
        kill(child, SIGTERM);
    if (waitpid(child, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        rc = rc ? rc : 1;
    return rc;
}
