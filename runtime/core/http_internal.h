/* HTTP inside the core: text helpers (a JSON escaper, percent and base64
 * decoding) and the process hooks for HTTP events. What the backends use
 * (requests, sinks, the string builder, the wire encoder) is in core.h. */
#ifndef KAIROS_HTTP_INTERNAL_H
#define KAIROS_HTTP_INTERNAL_H

#include "internal.h"

#include <kairos/http.h>

/* Appends s as a JSON string literal, quotes included: escapes '"', '\\'
 * and every control byte; other bytes (UTF-8 included) pass through. */
void kr__sb_json_string(kr__sb *b, const char *s);
/* The same for len arbitrary bytes (NULs included), always valid JSON:
 * well-formed UTF-8 passes through, any other byte is written as \u00XX
 * (read back as that Latin-1 character). */
void kr__sb_json_bytes(kr__sb *b, const void *data, size_t len);

/* Decodes %XX escapes of s[0..len) into out (at least len + 1 bytes, NUL
 * terminated). '+' stays '+' (a path, not a form). KR_EFORMAT on a bad or
 * truncated escape or an escaped NUL. */
int kr__percent_decode(const char *s, size_t len, char *out);
/* Decodes standard base64 (padding optional); returns the decoded length
 * or -1 on a bad character. out needs (len / 4 + 1) * 3 + 1 bytes. */
long kr__base64_decode(const char *s, size_t len, unsigned char *out);

/* libprocess' Duration syntax (?timeout= of /metrics/snapshot and
 * /__processes__): s[0..len) is a number and a unit (ns, us, ms, secs,
 * mins, hrs, days, weeks); KR_EINVAL otherwise. Past ~292 years: forever. */
int kr__http_duration_parse(const char *s, size_t len, kr_duration *out);

/* ---- requests ---------------------------------------------------------- */

/* Process hooks: serve an HTTP event (process.c), answer one that is
 * dropped unserved (event.c), free a process' routes and its extra part
 * (process.c). */
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

/* Requests handled, for /metrics/snapshot (the backends' gauges are in
 * core.h). */
extern atomic_uint_fast64_t kr__http_stat_requests;

#endif
