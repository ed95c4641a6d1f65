/* HTTP endpoints in the shared core: per-process routes, the entry point
 * both backends call for a parsed request, replies, HTTP Basic realms, the
 * delegate and the built-in endpoints (the firewall: http_firewall.c; the
 * string builder and decoders: http_text.c; the client's responses:
 * http_response.c).
 *
 * The split follows libprocess: the node-level decisions (is it a
 * libprocess message? which process? firewalled?) are taken where the
 * request arrives (ProcessManager::handle), while route lookup and
 * authentication happen in the receiving process' context
 * (ProcessBase::consume(HttpEvent)), so a route installed from initialize()
 * never races with a lookup and handlers run in arrival order. */
#include "http_internal.h"
#include "metrics_internal.h"

#include "backend.h"

#include <pthread.h>
#include <strings.h>

atomic_long kr__http_stat_connections;
atomic_long kr__http_stat_peers;
atomic_uint_fast64_t kr__http_stat_requests;

/* ---- node-wide settings: realms, delegate (the firewall: http_firewall.c) - */

typedef struct kr__realm {
    char *name;
    bool (*check)(const char *user, const char *password, void *ctx);
    void *ctx;
} realm;

int kr_http_authenticator(const char *name,
                          bool (*check)(const char *user, const char *password, void *ctx),
                          void *ctx)
{
    if (!name || !*name)
        return KR_EINVAL;
    int rc = 0;
    pthread_mutex_lock(&kr__core.http.settings_lock);
    size_t i = 0;
    while (i < kr__core.http.realm_count && strcmp(kr__core.http.realms[i].name, name) != 0)
        i++;
    if (!check) {
        if (i < kr__core.http.realm_count) {
            kr__free(kr__core.http.realms[i].name);
            kr__core.http.realms[i] = kr__core.http.realms[--kr__core.http.realm_count];
        }
    } else if (i < kr__core.http.realm_count) {
        kr__core.http.realms[i].check = check;
        kr__core.http.realms[i].ctx = ctx;
    } else {
        realm *grown =
            kr__realloc(kr__core.http.realms, (kr__core.http.realm_count + 1) * sizeof *grown);
        char *copy = grown ? kr__strdup(name) : NULL;
        if (grown)
            kr__core.http.realms = grown;
        if (!copy)
            rc = KR_ENOMEM;
        else
            kr__core.http.realms[kr__core.http.realm_count++] = (realm){copy, check, ctx};
    }
    pthread_mutex_unlock(&kr__core.http.settings_lock);
    return rc;
}

void kr_http_delegate(kr_pid pid)
{
    pthread_mutex_lock(&kr__core.http.settings_lock);
    snprintf(kr__core.http.delegate_id, sizeof kr__core.http.delegate_id, "%s", pid.id);
    pthread_mutex_unlock(&kr__core.http.settings_lock);
}

static void delegate_get(char *out)
{
    pthread_mutex_lock(&kr__core.http.settings_lock);
    memcpy(out, kr__core.http.delegate_id, sizeof kr__core.http.delegate_id);
    pthread_mutex_unlock(&kr__core.http.settings_lock);
}

/* ---- routes --------------------------------------------------------------- */

typedef struct route {
    char *path; /* "/a/b" without a trailing '/'; "" for "/" */
    char *realm;
    char *help;
    kr_http_fn fn;
} route;

typedef struct routes {
    size_t len, cap;
    route items[];
} routes;

/* Writers are a process' own initialize (or code before spawn); readers are
 * the owner's serve and /help from the I/O side. The list hangs off the
 * process' extra part (mailbox_bound.c); callers hold routes_lock. */
static routes *routes_of(kr__proc *p)
{
    kr__proc_extra *x = atomic_load_explicit(&p->extra, memory_order_acquire);
    return x ? x->routes : NULL;
}

/* "/a/b/" and "a/b" both name "/a/b"; "/" is "". */
static char *normalize_route(const char *path)
{
    size_t len = strlen(path);
    while (len > 0 && path[len - 1] == '/')
        len--;
    bool slash = len > 0 && path[0] != '/';
    char *out = kr__malloc(len + 2);
    if (!out)
        return NULL;
    size_t o = 0;
    if (slash)
        out[o++] = '/';
    memcpy(out + o, path, len);
    out[o + len] = '\0';
    return out;
}

static route *find_route(routes *r, const char *path, size_t len)
{
    for (size_t i = 0; r && i < r->len; i++)
        if (strlen(r->items[i].path) == len && memcmp(r->items[i].path, path, len) == 0)
            return &r->items[i];
    return NULL;
}

static void route_free(route *r)
{
    kr__free(r->path);
    kr__free(r->realm);
    kr__free(r->help);
}

int kr_route_auth(kr_process *self, const char *path, const char *realm_name, const char *help,
                  kr_http_fn fn)
{
    if (!self || !path || !fn) {
        kr__log("kr_route: NULL argument");
        return KR_EINVAL;
    }
    route n = {normalize_route(path), realm_name ? kr__strdup(realm_name) : NULL,
               kr__strdup(help ? help : ""), fn};
    if (!n.path || !n.help || (realm_name && !n.realm)) {
        route_free(&n);
        return KR_ENOMEM;
    }
    kr__proc_extra *x = kr__proc_extra_get(kr__proc_of(self));
    if (!x) {
        route_free(&n);
        return KR_ENOMEM;
    }
    int rc = 0;
    pthread_rwlock_wrlock(&kr__core.http.routes_lock);
    routes *r = x->routes;
    if (find_route(r, n.path, strlen(n.path))) {
        rc = KR_EEXIST;
    } else if (!r || r->len == r->cap) {
        size_t cap = r ? r->cap * 2 : 4;
        routes *grown = kr__realloc(r, sizeof *r + cap * sizeof r->items[0]);
        if (!grown)
            rc = KR_ENOMEM;
        else {
            if (!r)
                grown->len = 0;
            grown->cap = cap;
            x->routes = r = grown;
        }
    }
    if (rc == 0)
        r->items[r->len++] = n;
    pthread_rwlock_unlock(&kr__core.http.routes_lock);
    if (rc != 0)
        route_free(&n);
    return rc;
}

int kr_route(kr_process *self, const char *path, const char *help, kr_http_fn fn)
{
    return kr_route_auth(self, path, NULL, help, fn);
}

void kr__http_routes_free(kr__proc *p)
{
    /* Most processes have no extra part (no routes, no bound): no global
     * write lock for them. Otherwise under the lock, so /help (which reads
     * the routes of every process in the table) never sees it freed. */
    if (!atomic_load_explicit(&p->extra, memory_order_acquire))
        return;
    pthread_rwlock_wrlock(&kr__core.http.routes_lock);
    routes *r = routes_of(p);
    kr__proc_extra_free(p);
    pthread_rwlock_unlock(&kr__core.http.routes_lock);
    for (size_t i = 0; r && i < r->len; i++)
        route_free(&r->items[i]);
    kr__free(r);
}

/* libprocess' lookup: the whole path (trailing '/' trimmed), then shorter
 * prefixes at '/' boundaries: "/a/b/c", "/a/b", "/a". Caller holds the
 * lock. */
static route *match_route(routes *r, const char *rest)
{
    size_t len = strlen(rest);
    while (len > 0 && rest[len - 1] == '/')
        len--;
    for (;;) {
        route *hit = find_route(r, rest, len);
        if (hit || len == 0)
            return hit;
        while (len > 0 && rest[len - 1] != '/')
            len--;
        if (len <= 1)
            return NULL; /* "/" is only the route of "/{id}" itself */
        len--;           /* drop the '/' too */
    }
}

bool kr__http_route_endpoint(const char *id, const char *rest, kr__sb *out)
{
    if (strcmp(id, "help") == 0 || strcmp(id, "__processes__") == 0) {
        kr__sb_printf(out, "/%s", id); /* every path below goes to it */
        return true;
    }
    if (strcmp(id, "metrics") == 0) {
        bool snapshot = strcmp(rest, "/snapshot") == 0 || strcmp(rest, "/snapshot/") == 0;
        if (snapshot)
            kr__sb_puts(out, "/metrics/snapshot");
        return snapshot;
    }
    kr_pid pid = KR_PID_NONE;
    snprintf(pid.id, sizeof pid.id, "%s", id);
    kr__backend_here(&pid.ip, &pid.port);
    kr__proc *p = kr__table_acquire(pid);
    if (!p)
        return false;
    pthread_rwlock_rdlock(&kr__core.http.routes_lock);
    route *hit = match_route(routes_of(p), rest);
    if (hit)
        kr__sb_printf(out, "/%s%s", id, hit->path);
    pthread_rwlock_unlock(&kr__core.http.routes_lock);
    kr__table_release(p);
    return hit != NULL;
}

/* ---- replies ---------------------------------------------------------------- */

struct kr_http_reply {
    atomic_int refs; /* one while unanswered, one while its handler runs */
    atomic_bool answered;
    kr__http_sink sink;
    kr_http_request req;
    kr__http_header *headers;
    size_t nheaders;
    char *principal;
    kr_pid to;
    char storage[]; /* the strings of req and headers */
};

static void reply_release(kr_http_reply *r)
{
    if (atomic_fetch_sub(&r->refs, 1) == 1) {
        kr__free(r->principal);
        kr__free(r);
    }
}

static void reply_send(kr_http_reply *r, int status, const char *content_type,
                       const char *headers, const void *body, size_t len)
{
    if (atomic_exchange(&r->answered, true)) {
        kr__log("kr_http_respond: request %s %s of %s answered twice; ignored", r->req.method,
                r->req.path, r->to.id);
        return;
    }
    if (status < 100 || status > 999) {
        kr__log("kr_http_respond: status %d is not an HTTP status; sending 500", status);
        status = 500;
    }
    r->sink.respond(r->sink.conn, status, content_type, headers, body, body ? len : 0);
    reply_release(r);
}

void kr_http_respond(kr_http_reply *out, int status, const char *content_type, const void *body,
                     size_t len)
{
    if (!out) {
        kr__log("kr_http_respond: NULL reply");
        return;
    }
    reply_send(out, status, content_type ? content_type : "text/plain", NULL, body, len);
}

/* A header name is an RFC 7230 token; a value has no CR, LF or NUL. */
static bool header_ok(const char *name, const char *value)
{
    if (!name || !value || !*name)
        return false;
    for (const char *c = name; *c; c++)
        if ((unsigned char)*c <= 0x20 || (unsigned char)*c >= 0x7f || strchr("()<>@,;:\\\"/[]?={}", *c))
            return false;
    return strpbrk(value, "\r\n") == NULL;
}

void kr_http_respond_headers(kr_http_reply *out, int status, const char *content_type,
                             const char *const *headers, size_t nheaders, const void *body,
                             size_t len)
{
    if (!out) {
        kr__log("kr_http_respond_headers: NULL reply");
        return;
    }
    kr__sb lines = {0};
    for (size_t i = 0; i < nheaders; i++) {
        const char *name = headers ? headers[2 * i] : NULL;
        const char *value = headers ? headers[2 * i + 1] : NULL;
        if (!header_ok(name, value)) {
            kr__log("kr_http_respond_headers: invalid header %zu; sending 500", i);
            kr__sb_free(&lines);
            static const char msg[] = "invalid response header";
            reply_send(out, 500, "text/plain", NULL, msg, sizeof msg - 1);
            return;
        }
        kr__sb_printf(&lines, "%s: %s\r\n", name, value);
    }
    if (lines.failed) {
        kr__sb_free(&lines);
        reply_send(out, 500, "text/plain", NULL, "out of memory", 13);
        return;
    }
    reply_send(out, status, content_type ? content_type : "text/plain", lines.data, body, len);
    kr__sb_free(&lines);
}

const kr_http_request *kr_http_reply_request(const kr_http_reply *out)
{
    return out ? &out->req : NULL;
}

const char *kr_http_header(const kr_http_request *r, const char *name)
{
    if (!r || !name)
        return NULL;
    const kr_http_reply *owner =
        (const kr_http_reply *)(const void *)((const char *)r - offsetof(kr_http_reply, req));
    for (size_t i = 0; i < owner->nheaders; i++)
        if (strcasecmp(owner->headers[i].name, name) == 0)
            return owner->headers[i].value;
    return NULL;
}

static const char *in_header(const kr__http_in *in, const char *name)
{
    for (size_t i = 0; i < in->nheaders; i++)
        if (strcasecmp(in->headers[i].name, name) == 0)
            return in->headers[i].value;
    return NULL;
}

/* Copies what the handler sees into one block: it outlives the request
 * (a handler may answer after a future completes). */
static kr_http_reply *reply_new(const kr__http_in *in, const char *rest, kr_pid to,
                                const kr__http_sink *sink, size_t *size)
{
    if (!*rest)
        rest = "/";
    size_t strings = strlen(in->method) + strlen(rest) + strlen(in->query) + in->body_len + 4;
    for (size_t i = 0; i < in->nheaders; i++)
        strings += strlen(in->headers[i].name) + strlen(in->headers[i].value) + 2;
    size_t header_bytes = in->nheaders * sizeof(kr__http_header);
    *size = sizeof(kr_http_reply) + header_bytes + strings;
    kr_http_reply *r = kr__malloc(*size);
    if (!r)
        return NULL;
    atomic_init(&r->refs, 1);
    atomic_init(&r->answered, false);
    r->sink = *sink;
    r->to = to;
    r->principal = NULL;
    r->headers = (kr__http_header *)(void *)r->storage;
    r->nheaders = in->nheaders;
    char *s = r->storage + header_bytes;
#define KEEP(dst, src, n)                                                      \
    do {                                                                       \
        memcpy(s, (src), (n));                                                 \
        s[(n)] = '\0';                                                         \
        (dst) = s;                                                             \
        s += (n) + 1;                                                          \
    } while (0)
    KEEP(r->req.method, in->method, strlen(in->method));
    KEEP(r->req.path, rest, strlen(rest));
    KEEP(r->req.query, in->query, strlen(in->query));
    KEEP(r->req.body, in->body ? in->body : "", in->body_len);
    for (size_t i = 0; i < in->nheaders; i++) {
        KEEP(r->headers[i].name, in->headers[i].name, strlen(in->headers[i].name));
        KEEP(r->headers[i].value, in->headers[i].value, strlen(in->headers[i].value));
    }
#undef KEEP
    r->req.body_len = in->body_len;
    r->req.principal = NULL;
    return r;
}

/* ---- HTTP events: queued to the owner, served in its context -------------- */

static kr_http_reply *event_reply(kr__event *e)
{
    kr_http_reply *r;
    memcpy(&r, e->data, sizeof r);
    return r;
}

void kr__http_event_drop(kr__event *e)
{
    /* The process is gone (or a filter or an injected terminate dropped
     * the event): answer, so the client does not wait forever. */
    kr_http_reply *r = event_reply(e);
    static const char msg[] = "Service Unavailable: the process did not serve the request";
    reply_send(r, 503, "text/plain", NULL, msg, sizeof msg - 1);
}

/* HTTP Basic against the realm's authenticator; fills r->principal. */
static bool authenticate(kr_http_reply *r, const char *realm_name)
{
    bool (*check)(const char *, const char *, void *) = NULL;
    void *ctx = NULL;
    pthread_mutex_lock(&kr__core.http.settings_lock);
    for (size_t i = 0; i < kr__core.http.realm_count; i++)
        if (strcmp(kr__core.http.realms[i].name, realm_name) == 0) {
            check = kr__core.http.realms[i].check;
            ctx = kr__core.http.realms[i].ctx;
        }
    pthread_mutex_unlock(&kr__core.http.settings_lock);
    const char *auth = kr_http_header(&r->req, "Authorization");
    if (!check || !auth || strncasecmp(auth, "Basic ", 6) != 0)
        return false; /* no authenticator: fail closed */
    const char *b64 = auth + 6;
    while (*b64 == ' ')
        b64++;
    size_t len = strlen(b64);
    unsigned char *plain = kr__malloc(len / 4 * 3 + 4);
    if (!plain)
        return false;
    long n = kr__base64_decode(b64, len, plain);
    char *colon = n > 0 ? memchr(plain, ':', (size_t)n) : NULL;
    bool ok = false;
    if (colon && strlen((char *)plain) == (size_t)n) {
        *colon = '\0';
        ok = check((char *)plain, colon + 1, ctx);
        if (ok)
            r->principal = kr__strdup((char *)plain);
    }
    kr__free(plain);
    return ok && r->principal;
}

void kr__http_serve(kr__proc *p, kr__event *e)
{
    kr_http_reply *r = event_reply(e);
    kr_http_fn fn = NULL;
    const char *realm_name = NULL;
    pthread_rwlock_rdlock(&kr__core.http.routes_lock);
    route *hit = match_route(routes_of(p), r->req.path);
    if (hit) {
        fn = hit->fn;
        realm_name = hit->realm; /* only this process' cleanup frees it */
    }
    pthread_rwlock_unlock(&kr__core.http.routes_lock);
    if (!fn) {
        static const char msg[] = "Not Found";
        reply_send(r, 404, "text/plain", NULL, msg, sizeof msg - 1);
        return;
    }
    if (realm_name && !authenticate(r, realm_name)) {
        char header[160 + KR_ID_MAX];
        snprintf(header, sizeof header, "WWW-Authenticate: Basic realm=\"%.100s\"\r\n",
                 realm_name);
        static const char msg[] = "Unauthorized";
        reply_send(r, 401, "text/plain", header, msg, sizeof msg - 1);
        return;
    }
    r->req.principal = r->principal;
    atomic_fetch_add(&r->refs, 1); /* r stays valid for the handler's call */
    fn(kr__process_of(p), &r->req, r);
    reply_release(r);
}

/* ---- built-in endpoints ------------------------------------------------------ */

static void respond_text(const kr__http_sink *sink, int status, const char *text)
{
    sink->respond(sink->conn, status, "text/plain", NULL, text, strlen(text));
}

static void respond_sb(const kr__http_sink *sink, kr__sb *b, const char *content_type)
{
    if (b->failed)
        respond_text(sink, 500, "out of memory");
    else
        sink->respond(sink->conn, 200, content_type, NULL, b->data ? b->data : "", b->len);
    kr__sb_free(b);
}

typedef struct walk {
    kr__sb *b;
    size_t count;
    uint64_t queued;
    const char *only_id; /* /help/{id} */
    const char *only_route;
    bool json; /* /help?format=json */
    size_t processes;
} walk;

/* One endpoint of /help: text, or (format=json) libprocess' JSON entry. */
static void help_entry(walk *w, kr__proc *p, const route *rt, size_t *in_process)
{
    if (!w->json) {
        kr__sb_printf(w->b, "/%s%s\n", p->pid.id, *rt->path ? rt->path : "/");
        if (*rt->help)
            kr__sb_printf(w->b, "    %s\n", rt->help);
        return;
    }
    if ((*in_process)++ == 0) {
        kr__sb_puts(w->b, w->processes++ ? ",{\"id\":" : "{\"id\":");
        kr__sb_json_string(w->b, p->pid.id);
        kr__sb_puts(w->b, ",\"endpoints\":[");
    } else {
        kr__sb_puts(w->b, ",");
    }
    kr__sb_puts(w->b, "{\"name\":");
    kr__sb_json_string(w->b, *rt->path ? rt->path : "/");
    kr__sb_puts(w->b, ",\"text\":");
    kr__sb_json_string(w->b, rt->help);
    kr__sb_puts(w->b, "}");
}

static void help_item(kr__proc *p, void *ctx)
{
    walk *w = ctx;
    if (w->only_id && strcmp(w->only_id, p->pid.id) != 0)
        return;
    size_t in_process = 0;
    pthread_rwlock_rdlock(&kr__core.http.routes_lock);
    routes *r = routes_of(p);
    for (size_t i = 0; r && i < r->len; i++) {
        route *rt = &r->items[i];
        if (w->only_route && strcmp(w->only_route, rt->path) != 0)
            continue;
        help_entry(w, p, rt, &in_process);
        w->count++;
    }
    if (in_process)
        kr__sb_puts(w->b, "]}");
    pthread_rwlock_unlock(&kr__core.http.routes_lock);
    if (w->only_id)
        w->queued = 1; /* found the process */
}

/* /help, /help/{id}, /help/{id}/{route}: an unknown id or route is 400, as
 * in libprocess. */
static void serve_help(const char *rest, const char *query, const kr__http_sink *sink)
{
    char id[KR_ID_MAX + 1] = "";
    const char *route_path = NULL;
    if (*rest == '/' && rest[1]) {
        const char *seg = rest + 1;
        const char *end = strchr(seg, '/');
        size_t len = end ? (size_t)(end - seg) : strlen(seg);
        if (len > KR_ID_MAX || kr__percent_decode(seg, len, id) != 0) {
            respond_text(sink, 400, "Bad Request: invalid process id");
            return;
        }
        if (end && end[1])
            route_path = end;
    }
    char *wanted = route_path ? normalize_route(route_path) : NULL;
    kr__sb b = {0};
    bool json = query && (strcmp(query, "format=json") == 0 || strstr(query, "&format=json") ||
                          strncmp(query, "format=json&", 12) == 0);
    walk w = {.b = &b, .only_id = *id ? id : NULL, .only_route = wanted, .json = json};
    if (json)
        kr__sb_puts(&b, "{\"processes\":[");
    kr__table_each(help_item, &w);
    if (json)
        kr__sb_puts(&b, "]}");
    kr__free(wanted);
    if ((w.only_id && !w.queued) || (route_path && w.count == 0)) {
        kr__sb_free(&b);
        respond_text(sink, 400, "Bad Request: no such process or endpoint");
        return;
    }
    respond_sb(sink, &b, json ? "application/json" : "text/plain");
}

/* True if `id` names a built-in endpoint (and it was answered). */
static bool serve_builtin(const char *id, const char *rest, const char *query,
                          const kr__http_sink *sink)
{
    if (strcmp(id, "__processes__") == 0)
        kr__processes_serve(query, sink);
    else if (strcmp(id, "help") == 0)
        serve_help(rest, query, sink);
    else if (strcmp(id, "metrics") == 0) {
        if (strcmp(rest, "/snapshot") == 0 || strcmp(rest, "/snapshot/") == 0)
            kr__metrics_serve(query, sink);
        else
            respond_text(sink, 404, "Not Found");
    } else
        return false;
    return true;
}

/* ---- the entry point -------------------------------------------------------- */

static kr_pid local_pid(const char *id)
{
    kr_pid pid = KR_PID_NONE;
    snprintf(pid.id, sizeof pid.id, "%s", id);
    kr__backend_here(&pid.ip, &pid.port);
    return pid;
}

/* libprocess' test: a POST carrying Libprocess-From, or a User-Agent of
 * "libprocess/{from}". */
static const char *message_sender(const kr__http_in *in)
{
    if (strcmp(in->method, "POST") != 0)
        return NULL;
    const char *from = in_header(in, "Libprocess-From");
    if (from)
        return from;
    const char *ua = in_header(in, "User-Agent");
    return ua && strncmp(ua, "libprocess/", 11) == 0 ? ua + 11 : NULL;
}

static void handle_message(const kr__http_in *in, const char *from_text,
                           const kr__http_sink *sink)
{
    const char *seg = in->path + 1;
    const char *slash = strchr(seg, '/');
    size_t seg_len = slash ? (size_t)(slash - seg) : strlen(seg);
    const char *name = slash ? slash + 1 : "";
    char id[KR_ID_MAX + 1];
    if (seg_len > KR_ID_MAX || kr__percent_decode(seg, seg_len, id) != 0) {
        respond_text(sink, seg_len > KR_ID_MAX ? 404 : 500, "Failed to decode the process id");
        return;
    }
    if (strlen(name) > KR_NAME_MAX) {
        respond_text(sink, 400, "Bad Request: message name too long");
        return;
    }
    /* A sender pid that does not parse is an empty one, not an error. */
    char trimmed[KR_PID_STRLEN_MAX + 8];
    while (*from_text == ' ' || *from_text == '\t')
        from_text++;
    snprintf(trimmed, sizeof trimmed, "%s", from_text);
    for (size_t n = strlen(trimmed); n > 0 && (trimmed[n - 1] == ' ' || trimmed[n - 1] == '\t');)
        trimmed[--n] = '\0';
    kr_pid from = KR_PID_NONE;
    if (kr_pid_parse(trimmed, &from) != 0)
        from = KR_PID_NONE;
    kr_pid to = local_pid(id);
    kr__proc *p = kr__table_acquire(to);
    if (!p || atomic_load(&p->state) == KR__TERMINATING) {
        if (p)
            kr__table_release(p);
        KR__COUNT(messages_dropped);
        respond_text(sink, 404, "Not Found");
        return;
    }
    int rc = kr__deliver_external(p, kr__message_event(from, to, name, in->body, in->body_len));
    kr__table_release(p);
    if (rc == KR_ENOSPC)
        respond_text(sink, 503, "Service Unavailable: the process' mailbox is full");
    else if (rc != 0)
        respond_text(sink, 500, "out of memory");
    else
        sink->respond(sink->conn, 202, NULL, NULL, NULL, 0);
}

static bool process_exists(const char *id)
{
    kr__proc *p = kr__table_acquire(local_pid(id));
    if (p)
        kr__table_release(p);
    return p != NULL;
}

static bool is_builtin(const char *id)
{
    return strcmp(id, "__processes__") == 0 || strcmp(id, "help") == 0 ||
           strcmp(id, "metrics") == 0;
}

/* Queues the request to process `id`; 404 if it is not running. */
static void deliver_request(const kr__http_in *in, const char *id, const char *rest,
                            const kr__http_sink *sink)
{
    kr_pid to = local_pid(id);
    kr__proc *p = kr__table_acquire(to);
    if (!p) {
        respond_text(sink, 404, "Not Found");
        return;
    }
    size_t size = 0;
    kr_http_reply *r = reply_new(in, rest, p->pid, sink, &size);
    kr__event *e = r ? kr__event_new(KR__EV_HTTP, sizeof r, 0) : NULL;
    if (!e) {
        kr__table_release(p);
        kr__free(r);
        respond_text(sink, 500, "out of memory");
        return;
    }
    memcpy(e->data, &r, sizeof r);
    e->u.http.bytes = sizeof *e + size;
    if (!kr__bound_admit(p, e)) {
        kr__table_release(p);
        atomic_fetch_add_explicit(&kr__core.bound.rejected, 1, memory_order_relaxed);
        kr__event_free(e);
        static const char msg[] = "Service Unavailable: the process' mailbox is full";
        reply_send(r, 503, "text/plain", NULL, msg, sizeof msg - 1);
        return;
    }
    kr__enqueue(p, e); /* a later drop answers 503 through kr__http_event_drop */
    kr__table_release(p);
}

void kr__http_handle(const kr__http_in *in, const kr__http_sink *sink)
{
    atomic_fetch_add_explicit(&kr__http_stat_requests, 1, memory_order_relaxed);
    if (in->path[0] != '/') {
        respond_text(sink, 400, "Request URL path must start with '/'");
        return;
    }
    const char *from = message_sender(in);
    if (from) {
        handle_message(in, from, sink); /* messages bypass the firewall */
        return;
    }
    if (strstr(in->path, "/..")) {
        respond_text(sink, 404, "Not Found");
        return;
    }
    const char *seg = in->path + 1;
    const char *end = strchr(seg, '/');
    size_t seg_len = end ? (size_t)(end - seg) : strlen(seg);
    char id[KR_ID_MAX + 1] = "";
    const char *rest = seg + seg_len;
    bool known = false;
    if (seg_len <= KR_ID_MAX) {
        if (kr__percent_decode(seg, seg_len, id) != 0) {
            respond_text(sink, 400, "Bad Request: malformed percent-encoding in the path");
            return;
        }
        known = *id && (is_builtin(id) || process_exists(id));
    }
    if (!known) {
        /* libprocess' delegate: "/" goes to it, an unknown id is
         * rewritten to "/{delegate}{path}". */
        char delegate[KR_ID_MAX + 1];
        delegate_get(delegate);
        if (*delegate) {
            rest = seg_len == 0 ? "" : in->path;
            memcpy(id, delegate, sizeof id);
        } else if (seg_len > KR_ID_MAX) {
            respond_text(sink, 404, "Not Found");
            return;
        }
    }
    kr__sb shown = {0};
    if (kr__firewall_blocks(id, rest, &shown)) {
        kr__sb msg = {0};
        kr__sb_printf(&msg, "Endpoint '%s' is disabled", shown.data ? shown.data : "");
        sink->respond(sink->conn, 403, "text/plain", NULL, msg.data ? msg.data : "", msg.len);
        kr__sb_free(&msg);
        kr__sb_free(&shown);
        return;
    }
    if (!serve_builtin(id, rest, in->query, sink))
        deliver_request(in, id, rest, sink);
}
