/* libFuzzer target: the decoding of a libprocess message from an HTTP
 * request (kr__http_handle's message path: a POST with Libprocess-From,
 * "/{percent-encoded id}/{name}", the sender pid, the body) must deliver
 * the message or answer an error, exactly once, never crash or leak.
 *
 * Input: the URL path, a newline, the Libprocess-From value, a newline,
 * the body (any bytes). The whole runtime is compiled in, initialised
 * once with a process "fuzz" that messages can reach. Run with .ci/fuzz.sh. */
#include "core.h"

#include <stdlib.h>
#include <string.h>

static kr_process fuzz_process;

typedef struct {
    int calls, status;
} answer;

static void record(void *conn, int status, const char *content_type, const char *headers,
                   const void *body, size_t len)
{
    (void)content_type;
    (void)headers;
    (void)body;
    (void)len;
    answer *a = conn;
    a->calls++;
    a->status = status;
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    kr_config cfg = {.port = -1};
    if (kr_init(&cfg) != 0)
        abort();
    kr_process_init(&fuzz_process, "fuzz", NULL);
    if (kr_pid_is_none(kr_spawn(&fuzz_process, false)))
        abort();
    return 0;
}

/* The next line of the input as a string (NUL-terminated copy). */
static char *take_line(const uint8_t **p, const uint8_t *end)
{
    const uint8_t *nl = memchr(*p, '\n', (size_t)(end - *p));
    size_t len = (size_t)((nl ? nl : end) - *p);
    char *s = malloc(len + 1);
    if (!s)
        abort();
    memcpy(s, *p, len);
    s[len] = '\0';
    *p = nl ? nl + 1 : end;
    return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *p = data, *end = data + size;
    char *path = take_line(&p, end);
    char *from = take_line(&p, end);
    kr__http_header headers[] = {{"Libprocess-From", from}};
    kr__http_in in = {.method = "POST",
                      .path = path,
                      .query = "",
                      .headers = headers,
                      .nheaders = 1,
                      .body = (const char *)p,
                      .body_len = (size_t)(end - p)};
    answer a = {0};
    kr__http_sink sink = {record, &a};
    kr__http_handle(&in, &sink);
    /* A message is answered at once: 202 delivered, or an error. */
    if (a.calls != 1 || !(a.status == 202 || (a.status >= 400 && a.status < 600)))
        abort();
    free(path);
    free(from);
    return 0;
}
