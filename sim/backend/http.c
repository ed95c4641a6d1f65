/* HTTP over the simulated network.
 *
 * A request made with kr_http_get/kr_http_post travels to the node named in
 * its URL with the seed's latency, is handled there by the shared core
 * (kr__http_handle: routes, firewall, built-ins, libprocess messages), and
 * its answer travels back the same way. A partition or a crashed node in
 * between fails the future ("unreachable", "connection reset"); a call made
 * from the driving thread comes from a client outside every node, which no
 * partition cuts off. Each leg is a timer, so it is a scheduling choice
 * like any other event. */
#include "sim_internal.h"


typedef struct http_call {
    kr_promise *promise;
    uint32_t from_ip, to_ip; /* from: 0 = outside every node */
    uint16_t from_port, to_port;
    char *method, *path, *query, *content_type, *body;
    size_t body_len;
    kr_http_response *response; /* once answered */
} http_call;

static void call_free(http_call *c)
{
    kr_promise_free(c->promise); /* abandoned if nobody completed it */
    kr__http_response_free(c->response);
    kr__free(c->method);
    kr__free(c->path);
    kr__free(c->query);
    kr__free(c->content_type);
    kr__free(c->body);
    kr__free(c);
}

static void call_drop(void *ctx) { call_free(ctx); }

static kr_duration leg_latency(void)
{
    const kr_sim_net *net = kr__sim_net_settings();
    kr_duration lo = net->latency_min, hi = net->latency_max;
    return hi > lo ? lo + (kr_duration)kr__prng_below(&kr__sim.net, (uint64_t)(hi - lo) + 1) : lo;
}

static bool leg_open(const http_call *c)
{
    return kr__sim_net_reachable(c->from_ip, c->from_port, c->to_ip, c->to_port);
}

static void deliver_response(void *ctx)
{
    http_call *c = ctx;
    if (!leg_open(c)) {
        kr_promise_fail(c->promise, "connection reset");
    } else if (kr_promise_set(c->promise, c->response, kr__http_response_free)) {
        c->response = NULL; /* the future owns it now */
    }
    call_free(c);
}

static void sim_respond(void *conn, int status, const char *content_type, const char *headers,
                        const void *body, size_t len)
{
    http_call *c = conn;
    kr_http_response *r = kr__calloc(1, sizeof *r);
    if (r) {
        r->status = status;
        r->headers = kr__strdup(headers ? headers : "");
        r->content_type = kr__strdup(content_type ? content_type : "");
        r->body = kr__malloc(len + 1);
        if (r->body) {
            if (len)
                memcpy(r->body, body, len);
            r->body[len] = '\0';
            r->len = len;
        }
    }
    if (!r || !r->content_type || !r->body || !r->headers) {
        kr__http_response_free(r);
        kr_promise_fail(c->promise, "out of memory");
        call_free(c);
        return;
    }
    c->response = r;
    if (!kr__timer_add(kr_clock_now() + leg_latency(), deliver_response, call_drop, c))
        call_free(c);
}

static void deliver_request(void *ctx)
{
    http_call *c = ctx;
    char addr[24], ip[16];
    kr__ip_format(c->to_ip, ip, sizeof ip);
    snprintf(addr, sizeof addr, "%s:%u", ip, (unsigned)c->to_port);
    if (!leg_open(c)) {
        kr__sim_emit("drop", addr, "", c->path, KR_PID_NONE, KR_PID_NONE, NULL, 0);
        kr_promise_fail(c->promise, "unreachable");
        call_free(c);
        return;
    }
    kr__sim_emit("deliver", addr, "", c->path, KR_PID_NONE, KR_PID_NONE, c->body, c->body_len);
    kr__http_header h[1] = {{"Content-Type", c->content_type ? c->content_type : ""}};
    kr__http_in req = {.method = c->method,
                       .path = c->path,
                       .query = c->query,
                       .headers = h,
                       .nheaders = c->content_type ? 1 : 0,
                       .body = c->body ? c->body : "",
                       .body_len = c->body_len};
    /* The target node's table serves it: address it there. */
    kr__sim_net_serve_http(c->to_ip, c->to_port, &req,
                           &(kr__http_sink){.respond = sim_respond, .conn = c});
}

static char *copy_n(const char *text, size_t len)
{
    char *s = kr__malloc(len + 1);
    if (s) {
        memcpy(s, text, len);
        s[len] = '\0';
    }
    return s;
}

static kr_future *failed(kr_promise *p, const char *why)
{
    kr_future *f = kr_promise_future(p);
    kr_promise_fail(p, why);
    kr_promise_free(p);
    return f;
}

static kr_future *request(const char *method, const char *url, const char *content_type,
                          const void *body, size_t len)
{
    kr_promise *p = kr_promise_new();
    if (!p)
        return NULL;
    kr__url u;
    const char *why = "bad URL (expected http://ip:port/path)";
    if ((!body && len) || kr__url_split(url, &u, &why) != 0)
        return failed(p, why);
    http_call *c = kr__calloc(1, sizeof *c);
    if (!c)
        return failed(p, "out of memory");
    kr_future *f = kr_promise_future(p);
    c->promise = p;
    c->to_ip = u.ip;
    c->to_port = u.port;
    kr__proc *self = kr__current_proc;
    if (self) { /* from inside a node: across the network from there */
        c->from_ip = self->pid.ip;
        c->from_port = self->pid.port;
    }
    c->method = kr__strdup(method);
    c->path = copy_n(u.path, u.path_len);
    c->query = copy_n(u.query, u.query_len);
    c->content_type = content_type ? kr__strdup(content_type) : NULL;
    c->body = kr__malloc(len + 1);
    if (c->body && len)
        memcpy(c->body, body, len);
    c->body_len = len;
    if (!c->method || !c->path || !c->query || !c->body || (content_type && !c->content_type) ||
        !kr__timer_add(kr_clock_now() + leg_latency(), deliver_request, call_drop, c)) {
        kr_promise_fail(p, "out of memory");
        call_free(c);
    }
    return f;
}

kr_future *kr_http_get(const char *url) { return request("GET", url, NULL, NULL, 0); }

kr_future *kr_http_post(const char *url, const char *content_type, const void *body, size_t len)
{
    return request("POST", url, content_type, body, len);
}
