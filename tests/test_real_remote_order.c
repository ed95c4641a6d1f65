/* Remote sends on the real backend arrive complete and in send order when
 * senders write straight to the peer's socket and fall back to the I/O
 * thread whenever the socket is full (issue 15): two processes send
 * thousands of messages of varied sizes (12 MB: three times what the
 * kernel's send buffer grows to, 4 MB by default) over one connection to a
 * raw TCP peer that reads slowly through a tiny receive buffer, so the
 * socket fills and drains again and again, and messages are cut anywhere
 * by partial writes. The peer parses libprocess' wire format and checks each
 * sender's sequence. (Not linked; remote_messages_between_two_runtimes in
 * test_real_http.c covers a linked pair of runtimes.) */
#define _GNU_SOURCE /* memmem */
#include "harness.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define SENDERS 2
#define PER_SENDER 5000
#define BATCH 50 /* messages per turn: sends interleave with the peer's reads */
#define BODY_MAX 2000

/* ---- the raw peer -------------------------------------------------------------- */

typedef struct sink {
    int listen_fd;
    uint16_t port;
    pthread_t thread;
    /* Results, read after the thread is joined. */
    uint32_t next[SENDERS]; /* the sequence number expected next per sender */
    int out_of_order, malformed;
    long messages;
} sink;

/* The index of sender "s<k>@..." in a Libprocess-From value; -1 if none. */
static int sender_of(const char *from, size_t len)
{
    if (len < 3 || from[0] != 's' || from[1] < '0' || from[1] >= '0' + SENDERS || from[2] != '@')
        return -1;
    return from[1] - '0';
}

/* Parses one message from buf[0..len); its length, 0 if incomplete, -1 if
 * malformed. */
static long parse_one(sink *s, const char *buf, size_t len)
{
    const char *end = memmem(buf, len, "\r\n\r\n", 4);
    if (!end)
        return 0;
    size_t head_len = (size_t)(end - buf) + 4;
    const char *from = memmem(buf, head_len, "Libprocess-From: ", 17);
    if (strncmp(buf, "POST /sink/m HTTP/1.1\r\n", 23) != 0 || !from ||
        !memmem(buf, head_len, "Transfer-Encoding: chunked\r\n", 28))
        return -1;
    from += 17;
    int who = sender_of(from, (size_t)(end - from));
    const char *p = buf + head_len, *stop = buf + len;
    const char *eol = memmem(p, (size_t)(stop - p), "\r\n", 2);
    if (!eol)
        return 0;
    char *hex_end;
    unsigned long body_len = strtoul(p, &hex_end, 16);
    if (who < 0 || hex_end != eol || body_len < 4 || body_len > BODY_MAX + 4)
        return -1;
    const char *body = eol + 2;
    if ((size_t)(stop - body) < body_len + 7) /* body, CRLF, "0" CRLF CRLF */
        return 0;
    if (memcmp(body + body_len, "\r\n0\r\n\r\n", 7) != 0)
        return -1;
    uint32_t seq;
    memcpy(&seq, body, sizeof seq);
    for (unsigned long i = 4; i < body_len; i++)
        if ((unsigned char)body[i] != (unsigned char)(seq + i))
            return -1; /* a byte of another message, or a lost one */
    if (seq != s->next[who])
        s->out_of_order++;
    s->next[who] = seq + 1;
    s->messages++;
    return (long)(body + body_len + 7 - buf);
}

/* Accepts the runtime's connection, then reads a little at a time (the
 * sender keeps finding the socket full) until every message is in, the
 * stream is broken, or 60 s passed. */
static void *sink_main(void *arg)
{
    sink *s = arg;
    int fd = accept(s->listen_fd, NULL, NULL);
    if (fd < 0)
        return NULL;
    static char buf[1 << 20];
    size_t have = 0;
    time_t deadline = time(NULL) + 60;
    while (s->messages < SENDERS * PER_SENDER && !s->malformed && time(NULL) < deadline) {
        if (have == sizeof buf)
            break;
        size_t want = sizeof buf - have < 4096 ? sizeof buf - have : 4096;
        ssize_t n = recv(fd, buf + have, want, MSG_DONTWAIT);
        if (n == 0)
            break;
        if (n > 0)
            have += (size_t)n;
        long used;
        size_t off = 0;
        while ((used = parse_one(s, buf + off, have - off)) > 0)
            off += (size_t)used;
        if (used < 0)
            s->malformed++;
        memmove(buf, buf + off, have - off);
        have -= off;
        struct timespec nap = {0, 20000}; /* slow: 20 us per read */
        nanosleep(&nap, NULL);
    }
    close(fd);
    return NULL;
}

static void sink_start(sink *s)
{
    memset(s, 0, sizeof *s);
    s->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(s->listen_fd >= 0);
    int small = 4096; /* inherited by the accepted socket: the sender fills it fast */
    setsockopt(s->listen_fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7f000001u)};
    socklen_t alen = sizeof a;
    assert_int_equal(bind(s->listen_fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(s->listen_fd, 4), 0);
    assert_int_equal(getsockname(s->listen_fd, (struct sockaddr *)&a, &alen), 0);
    s->port = ntohs(a.sin_port);
    assert_int_equal(pthread_create(&s->thread, NULL, sink_main, s), 0);
}

/* ---- the senders ----------------------------------------------------------------- */

typedef struct sender {
    kr_process base;
    kr_pid to;
    uint32_t sent;
} sender;

static void send_batch(kr_process *self, const void *arg)
{
    (void)arg;
    sender *s = (sender *)self;
    unsigned char body[BODY_MAX + 4];
    for (int k = 0; k < BATCH && s->sent < PER_SENDER; k++) {
        uint32_t seq = s->sent++;
        size_t len = 4 + (seq * 37u) % BODY_MAX; /* cut anywhere by partial writes */
        memcpy(body, &seq, sizeof seq);
        for (size_t i = 4; i < len; i++)
            body[i] = (unsigned char)(seq + i);
        kr_send(self, s->to, "m", body, len);
    }
    if (s->sent < PER_SENDER)
        kr_dispatch(kr_self(self), send_batch, NULL, 0); /* the next batch, next turn */
}

static void many_messages_over_one_link_arrive_in_order(void **state)
{
    (void)state;
    static sink k;
    sink_start(&k);
    char text[64];
    snprintf(text, sizeof text, "sink@127.0.0.1:%u", (unsigned)k.port);
    static sender s[SENDERS];
    kr_pid pids[SENDERS];
    for (int i = 0; i < SENDERS; i++) {
        memset(&s[i], 0, sizeof s[i]);
        char name[8];
        snprintf(name, sizeof name, "s%d", i);
        kr_process_init(&s[i].base, name, NULL);
        assert_int_equal(kr_pid_parse(text, &s[i].to), 0);
        pids[i] = kr_spawn(&s[i].base, false);
    }
    for (int i = 0; i < SENDERS; i++)
        kr_dispatch(pids[i], send_batch, NULL, 0);
    pthread_join(k.thread, NULL);
    close(k.listen_fd);
    assert_int_equal(k.malformed, 0);
    assert_int_equal(k.out_of_order, 0);
    assert_int_equal(k.messages, SENDERS * PER_SENDER);
    for (int i = 0; i < SENDERS; i++) {
        assert_int_equal(k.next[i], PER_SENDER);
        kr_terminate(pids[i], false);
        kr_wait(pids[i], KT_TIMEOUT);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        KT_TEST(many_messages_over_one_link_arrive_in_order),
    };
    return KT_RUN(tests);
}
