/* HTTP endpoints of processes, and an HTTP client, as libprocess' route()
 * and http::get/post.
 *
 * A node serves http://ip:port/{process-id}{path}. A request reaches the
 * owning process as an event, so its handler runs in the process' context;
 * the reply may be given later (after a future completes), exactly once.
 *
 * Limits on the real backend (environment, read by kr_init; a bad value
 * makes kr_init fail with KR_EINVAL): KAIROS_HTTP_BODY_MAX bytes per request
 * body (default 8 MiB; more gets 413), KAIROS_HTTP_IDLE_MS before an idle
 * connection is closed (default 60000). Header blocks over 64 KiB get 431,
 * malformed requests 400. */
#ifndef KAIROS_HTTP_H
#define KAIROS_HTTP_H

#include <kairos/future.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct kr_http_request {
    const char *method, *path, *query; /* path without the "/{id}" prefix */
    const char *body;
    size_t body_len;
    const char *principal; /* authenticated user, or NULL */
} kr_http_request;

/* A request header by name, any case; NULL if absent. */
KR_API const char *kr_http_header(const kr_http_request *r, const char *name);

/* Answer it exactly once, now or later (from any context). */
typedef struct kr_http_reply kr_http_reply;
typedef void (*kr_http_fn)(kr_process *self, const kr_http_request *r, kr_http_reply *out);

/* Routes `path` ("/x", longest prefix wins) of self to fn. Call from
 * initialize (or before spawn). KR_EEXIST if the path is taken. */
KR_API int kr_route(kr_process *self, const char *path, const char *help, kr_http_fn fn);
/* The same, requiring HTTP Basic credentials accepted by the realm's
 * authenticator (401 with WWW-Authenticate otherwise). */
KR_API int kr_route_auth(kr_process *self, const char *path, const char *realm,
                         const char *help, kr_http_fn fn);
/* Sends the reply and releases `out`. content_type NULL = "text/plain".
 * Safe from any thread, also after the process is gone. A second call made
 * while the handler that received `out` is still running is logged and
 * ignored; after the handler returned and the reply was sent, `out` is
 * freed and must not be used again. A handler that keeps `out` must answer
 * it eventually: the client waits (its connection stays open) until then. */
KR_API void kr_http_respond(kr_http_reply *out, int status, const char *content_type,
                            const void *body, size_t len);
/* kr_http_respond with extra response headers: headers holds nheaders
 * (name, value) pairs, {"Cache-Control", "no-cache", "X-Id", "7"}. A name
 * that is not an HTTP token or a value with CR/LF is refused: the reply is
 * then 500 (logged). */
KR_API void kr_http_respond_headers(kr_http_reply *out, int status, const char *content_type,
                                    const char *const *headers, size_t nheaders,
                                    const void *body, size_t len);
/* A request copy that outlives the handler, for replying later: valid
 * until kr_http_respond(out, ...). */
KR_API const kr_http_request *kr_http_reply_request(const kr_http_reply *out);

/* HTTP Basic for `realm`: check(user, password, ctx) decides. NULL check
 * removes the realm's authenticator (its routes then answer 401). */
KR_API int kr_http_authenticator(const char *realm,
                                 bool (*check)(const char *user, const char *password,
                                               void *ctx),
                                 void *ctx);
/* Paths ("/{id}/x", exact match) answered 403 before any process sees
 * them; n = 0 clears the list. */
KR_API int kr_firewall_disable(const char *const *paths, size_t n);

/* The process that receives requests for "/" and for unknown ids (as
 * libprocess' delegate); KR_PID_NONE removes it. */
KR_API void kr_http_delegate(kr_pid pid);

/* Client. Futures yield a kr_http_response * owned by the future; a
 * connection failure fails the future with the reason. */
typedef struct kr_http_response {
    int status;
    char *content_type;
    char *body;
    size_t len;
    /* The response's header lines, "Name: value\r\n" each ("" if none; the
     * simulator carries only those a handler added with
     * kr_http_respond_headers). Read them with kr_http_response_header. */
    char *headers;
} kr_http_response;
/* The value of header `name` (any case) in r, copied into buf (n bytes);
 * NULL if absent or it does not fit. */
KR_API const char *kr_http_response_header(const kr_http_response *r, const char *name,
                                           char *buf, size_t n);
KR_API kr_future *kr_http_get(const char *url);
KR_API kr_future *kr_http_post(const char *url, const char *content_type, const void *body,
                               size_t len);

#ifdef __cplusplus
}
#endif
#endif
