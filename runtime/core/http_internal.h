/* HTTP in the shared core: what both backends hand to the core for an
 * incoming request, what the core hands back (a sink), the libprocess
 * message encoder, and small text helpers (a string builder with a JSON
 * escaper, percent and base64 decoding) that the backends reuse.
 *
 * Nothing here does I/O: the real backend parses bytes off sockets (with
 * http_parser) and the simulator builds requests from its network; both call
 * kr__http_handle with a fully parsed request. */
#ifndef KAIROS_HTTP_INTERNAL_H
#define KAIROS_HTTP_INTERNAL_H

#include "internal.h"

#include <kairos/http.h>

/* ---- a growable byte string --------------------------------------------- */

typedef struct kr__sb {
    char *data; /* NUL-terminated whenever len > 0 or after any append */
    size_t len, cap;
    bool failed; /* an allocation failed: the content is incomplete */
} kr__sb;

void kr__sb_append(kr__sb *b, const void *data, size_t len);
void kr__sb_puts(kr__sb *b, const char *s);
void kr__sb_printf(kr__sb *b, const char *fmt, ...) KR_PRINTF(2, 3);
/* Appends s as a JSON string literal, quotes included: escapes '"', '\\'
 * and every control byte; other bytes (UTF-8 included) pass through. */
void kr__sb_json_string(kr__sb *b, const char *s);
void kr__sb_free(kr__sb *b);

/* Decodes %XX escapes of s[0..len) into out (at least len + 1 bytes, NUL
 * terminated). '+' stays '+' (a path, not a form). KR_EFORMAT on a bad or
 * truncated escape or an escaped NUL. */
int kr__percent_decode(const char *s, size_t len, char *out);
/* Decodes standard base64 (padding optional); returns the decoded length
 * or -1 on a bad character. out needs (len / 4 + 1) * 3 + 1 bytes. */
long kr__base64_decode(const char *s, size_t len, unsigned char *out);

/* ---- an incoming request and where its answer goes ---------------------- */

typedef struct kr__http_header {
    const char *name, *value;
} kr__http_header;

typedef struct kr__http_in {
    const char *method; /* "GET", "POST", ... */
    /* The URL path as received, still percent-encoded: "/{id}/rest". The
     * core decodes the id segment, as libprocess does; the rest is kept as
     * sent (routes match it byte for byte). */
    const char *path;
    const char *query; /* after '?', without it; "" when absent */
    const kr__http_header *headers;
    size_t nheaders;
    const char *body;
    size_t body_len;
} kr__http_in;

/* Where the answer to one request goes. respond() is called exactly once
 * per request, from any thread, possibly after the request's process is
 * gone. content_type NULL = no Content-Type header; headers NULL or extra
 * header lines, each ending in "\r\n". */
typedef struct kr__http_sink {
    void (*respond)(void *conn, int status, const char *content_type, const char *headers,
                    const void *body, size_t len);
    void *conn;
} kr__http_sink;

/* The one entry point for a parsed request, on both backends. Answers
 * malformed (400), firewalled (403) and unknown (404) requests and the
 * built-in endpoints itself; decodes libprocess messages (POST with
 * Libprocess-From or User-Agent: libprocess/...) and answers 202 or 404;
 * otherwise queues an HTTP event for the owning process, whose route
 * answers later (404/401 from route lookup and authentication happen in the
 * process' context). req is only read during the call. */
void kr__http_handle(const kr__http_in *req, const kr__http_sink *sink);

/* Process hooks: serve an HTTP event (process.c), answer one that is
 * dropped unserved (event.c), free a process' routes (process.c). */
void kr__http_serve(kr__proc *p, kr__event *e);
void kr__http_event_drop(kr__event *e);
void kr__http_routes_free(kr__proc *p);

/* The firewall (http_firewall.c). kr__http_path_normalize: path[0..len)
 * with repeated '/' collapsed, "." segments dropped and trailing '/'
 * trimmed ("/" is ""); NULL when out of memory. kr__firewall_blocks: true
 * when "/{id}{rest}" or the endpoint routing sends it to is disabled; the
 * path as shown to the client is appended to shown. */
char *kr__http_path_normalize(const char *path, size_t len);
bool kr__firewall_blocks(const char *id, const char *rest, kr__sb *shown);
/* The endpoint "/{id}{route}" routing would hand "/{id}{rest}" to, appended
 * to out; false when no route (or built-in endpoint) would take it. */
bool kr__http_route_endpoint(const char *id, const char *rest, kr__sb *out);

/* Gauges the backend keeps for /metrics/snapshot. */
extern atomic_long kr__http_stat_connections; /* open inbound HTTP connections */
extern atomic_long kr__http_stat_peers;       /* open outbound peer connections */
extern atomic_uint_fast64_t kr__http_stat_requests; /* requests handled */

/* Frees a client's kr_http_response (the free_value of its future). */
void kr__http_response_free(void *response);

/* ---- libprocess' wire encoding of a message ----------------------------- */

/* The exact bytes libprocess' MessageEncoder writes for a message (see
 * runtime/WIRE.md): a chunked POST /{to.id}/{name}. Returns a malloc'd
 * buffer (kr__free) and its length, or NULL when out of memory. */
char *kr__wire_encode_message(kr_pid from, kr_pid to, const char *name, const void *body,
                              size_t len, size_t *out_len);

#endif
