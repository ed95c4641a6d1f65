/* The key-value service of examples/kv_service.c (see kv.h): the server
 * and the client, written the libprocess way. One source for both
 * libraries and for the scenario actor types of kv_actors.c. */
#define _POSIX_C_SOURCE 200809L
#include "kv.h"

#include <kairos/protobuf.h>

#include "kv.pb-c.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REQUEST_TIMEOUT KR_SEC(1)

/* ---- the server ---------------------------------------------------------- */


static int find(kv_server *s, const char *key)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->keys[i], key) == 0)
            return (int)i;
    return -1;
}

/* Stores key=value; returns the new version (0 when full or too long). */
static uint64_t store(kv_server *s, const char *key, const void *value, size_t len)
{
    int i = find(s, key);
    if (strlen(key) >= sizeof s->keys[0] || len >= sizeof s->values[0])
        return 0;
    if (i < 0) {
        if (s->n == (s->capacity ? s->capacity : KV_KEYS))
            return 0;
        i = (int)s->n++;
        snprintf(s->keys[i], sizeof s->keys[i], "%s", key);
    }
    memcpy(s->values[i], value, len);
    s->values[i][len] = '\0';
    kr_metric_increment(s->puts);
    return ++s->versions[i];
}

static void reply(kr_process *self, kr_pid to, uint64_t id, int i)
{
    kv_server *s = (kv_server *)self;
    Kairos__Kv__Reply r = KAIROS__KV__REPLY__INIT;
    r.id = id;
    r.found = i >= 0;
    if (i >= 0) {
        r.has_value = r.has_version = true;
        r.value.data = (uint8_t *)s->values[i];
        r.value.len = strlen(s->values[i]);
        r.version = s->versions[i];
    }
    kr_protobuf_send(self, to, &r.base);
}

static void on_put(kr_process *self, kr_pid from, const ProtobufCMessage *msg)
{
    kv_server *s = (kv_server *)self;
    const Kairos__Kv__Put *put = (const Kairos__Kv__Put *)msg;
    bool ok = store(s, put->key, put->value.data, put->value.len) > 0;
    reply(self, from, put->id, ok ? find(s, put->key) : -1);
}

static void on_get(kr_process *self, kr_pid from, const ProtobufCMessage *msg)
{
    kv_server *s = (kv_server *)self;
    const Kairos__Kv__Get *get = (const Kairos__Kv__Get *)msg;
    kr_metric_increment(s->gets);
    int i = find(s, get->key);
    if (i < 0)
        kr_metric_increment(s->misses);
    reply(self, from, get->id, i);
}

/* "key=K" -> K (into buf); NULL when absent. */
static const char *query_key(const char *query, char *buf, size_t n)
{
    const char *k = query ? strstr(query, "key=") : NULL;
    if (!k)
        return NULL;
    k += 4;
    size_t len = strcspn(k, "&");
    if (len == 0 || len >= n)
        return NULL;
    memcpy(buf, k, len);
    buf[len] = '\0';
    return buf;
}

static void http_get(kr_process *self, const kr_http_request *r, kr_http_reply *out)
{
    kv_server *s = (kv_server *)self;
    char key[32];
    int i = query_key(r->query, key, sizeof key) ? find(s, key) : -1;
    kr_metric_increment(s->gets);
    if (i < 0) {
        kr_metric_increment(s->misses);
        kr_http_respond(out, 404, NULL, "no such key\n", 12);
        return;
    }
    char version[24];
    snprintf(version, sizeof version, "%" PRIu64, s->versions[i]);
    const char *headers[] = {"X-Kv-Version", version};
    kr_http_respond_headers(out, 200, "text/plain", headers, 1, s->values[i],
                            strlen(s->values[i]));
}

static void http_put(kr_process *self, const kr_http_request *r, kr_http_reply *out)
{
    char key[32], text[48];
    if (strcmp(r->method, "POST") != 0 || !query_key(r->query, key, sizeof key)) {
        kr_http_respond(out, 400, NULL, "POST /kv/put?key=K with the value as body\n", 42);
        return;
    }
    uint64_t v = store((kv_server *)self, key, r->body, r->body_len);
    int n = snprintf(text, sizeof text, "version %" PRIu64 "\n", v);
    kr_http_respond(out, v ? 200 : 507, NULL, text, (size_t)n);
}

static double key_count(kr_process *self, const void *arg)
{
    (void)arg;
    return (double)((kv_server *)self)->n;
}

static void server_initialize(kr_process *self)
{
    kv_server *s = (kv_server *)self;
    kr_protobuf_install(self, &kairos__kv__put__descriptor, on_put);
    kr_protobuf_install(self, &kairos__kv__get__descriptor, on_get);
    kr_route(self, "/get", "GET /kv/get?key=K: the value (X-Kv-Version: its version).", http_get);
    kr_route(self, "/put", "POST /kv/put?key=K: stores the body.", http_put);
    kr_metric_counter("kv/puts", &s->puts);
    kr_metric_counter("kv/gets", &s->gets);
    kr_metric_counter("kv/misses", &s->misses);
    kr_metric_pull_gauge("kv/keys", kr_self(self), key_count, NULL, 0, &s->keys_gauge);
}

static void server_finalize(kr_process *self)
{
    kv_server *s = (kv_server *)self;
    kr_metric_remove(s->puts);
    kr_metric_remove(s->gets);
    kr_metric_remove(s->misses);
    kr_metric_remove(s->keys_gauge);
}

const kr_process_ops kv_server_ops = {.initialize = server_initialize,
                                           .finalize = server_finalize};

/* ---- the client ---------------------------------------------------------- */


typedef struct reply_copy {
    bool found;
    uint64_t version;
    char value[64];
} reply_copy;

static void on_reply(kr_process *self, kr_pid from, const ProtobufCMessage *msg)
{
    (void)from;
    kv_client *c = (kv_client *)self;
    const Kairos__Kv__Reply *r = (const Kairos__Kv__Reply *)msg;
    for (int i = 0; i < KV_INFLIGHT_MAX; i++) {
        if (!c->inflight[i].reply || c->inflight[i].id != r->id)
            continue;
        reply_copy *copy = calloc(1, sizeof *copy);
        if (copy) {
            copy->found = r->found;
            copy->version = r->version;
            size_t len = r->has_value && r->value.len < sizeof copy->value ? r->value.len : 0;
            if (len) /* a Reply without a value has no data pointer */
                memcpy(copy->value, r->value.data, len);
        }
        kr_promise_set(c->inflight[i].reply, copy, free);
        kr_promise_free(c->inflight[i].reply);
        c->inflight[i].reply = NULL;
        return;
    }
}

/* Sends msg (with id set by the caller) and returns the future of its
 * Reply, failed "timed out" if none arrives in time. */
static kr_future *request(kv_client *c, ProtobufCMessage *msg, uint64_t id)
{
    int slot = -1;
    for (int i = 0; i < KV_INFLIGHT_MAX && slot < 0; i++)
        if (!c->inflight[i].reply)
            slot = i;
    if (slot < 0)
        return kr_future_failed("too many requests in flight");
    kr_promise *p = kr_promise_new();
    c->inflight[slot].id = id;
    c->inflight[slot].reply = p;
    kr_future *reply = kr_promise_future(p);
    kr_protobuf_send(&c->base, c->server, msg);
    kr_future *bounded = kr_future_after(reply, REQUEST_TIMEOUT);
    kr_metric_time(c->latency, bounded);
    kr_future_unref(reply);
    return bounded;
}

static void key_of(int round, char *buf, size_t n) { snprintf(buf, n, "key%d", round % 8); }

static kr_future *put(kv_client *c)
{
    char key[16], value[32];
    key_of(c->round, key, sizeof key);
    snprintf(value, sizeof value, "value-%d", c->round);
    Kairos__Kv__Put m = KAIROS__KV__PUT__INIT;
    m.id = ++c->next_id;
    m.key = key;
    m.value.data = (uint8_t *)value;
    m.value.len = strlen(value);
    return request(c, &m.base, m.id);
}

/* then: the put was answered; read the key back. */
static kr_future *then_get(kr_process *self, kr_future *done, const void *arg)
{
    (void)done;
    (void)arg;
    kv_client *c = (kv_client *)self;
    char key[16];
    key_of(c->round, key, sizeof key);
    Kairos__Kv__Get m = KAIROS__KV__GET__INIT;
    m.id = ++c->next_id;
    m.key = key;
    return request(c, &m.base, m.id);
}

/* then: the value read back must be the one just written. */
static kr_future *then_check(kr_process *self, kr_future *done, const void *arg)
{
    (void)arg;
    kv_client *c = (kv_client *)self;
    const reply_copy *r = kr_future_value(done);
    char want[32];
    snprintf(want, sizeof want, "value-%d", c->round);
    kr_check(r && r->found && strcmp(r->value, want) == 0, "read back %s, wanted %s",
             r ? r->value : "(nothing)", want);
    c->ok++;
    return kr_future_ready(NULL, NULL);
}

/* recover: a reply was lost or late; count it and go on. */
static kr_future *recover_lost(kr_process *self, kr_future *done, const void *arg)
{
    (void)done;
    (void)arg;
    ((kv_client *)self)->lost++;
    return kr_future_ready(NULL, NULL);
}

static kr_future *then_next(kr_process *self, kr_future *done, const void *arg)
{
    (void)done;
    (void)arg;
    kv_client *c = (kv_client *)self;
    return ++c->round == (c->rounds ? c->rounds : KV_ROUNDS) ? kr_loop_break(NULL, NULL)
                                                              : kr_loop_continue();
}

/* One round: put -> get -> check, recover -> next. Every step runs in the
 * client (ctx = self), so its state needs no lock. */
static kr_future *round_body(kr_process *self, kr_future *item, void *state)
{
    (void)item;
    (void)state;
    kv_client *c = (kv_client *)self;
    kr_pid me = kr_self(self);
    kr_future *f0 = put(c);
    kr_future *f1 = kr_future_then(f0, me, then_get, NULL, 0);
    kr_future *f2 = kr_future_then(f1, me, then_check, NULL, 0);
    kr_future *f3 = kr_future_recover(f2, me, recover_lost, NULL, 0);
    kr_future *f4 = kr_future_then(f3, me, then_next, NULL, 0);
    kr_future_unref(f0);
    kr_future_unref(f1);
    kr_future_unref(f2);
    kr_future_unref(f3);
    return f4;
}

static void loop_done(kr_process *self, kr_future *f, const void *arg)
{
    (void)arg;
    kv_client *c = (kv_client *)self;
    c->finished = kr_future_state_of(f) == KR_READY;
    if (!c->done)
        return;
    if (c->finished)
        kr_promise_set(c->done, NULL, NULL);
    else
        kr_promise_fail(c->done, "the request loop did not finish");
}

static void client_initialize(kr_process *self)
{
    kv_client *c = (kv_client *)self;
    kr_protobuf_install(self, &kairos__kv__reply__descriptor, on_reply);
    kr_metric_timer("kvclient/request", KR_SEC(60), &c->latency);
    kr_future *all = kr_loop(kr_self(self), NULL, round_body, NULL, NULL);
    kr_future_on_any(all, kr_self(self), loop_done, NULL, 0);
    kr_future_unref(all);
}

static void client_finalize(kr_process *self)
{
    kv_client *c = (kv_client *)self;
    for (int i = 0; i < KV_INFLIGHT_MAX; i++)
        kr_promise_free(c->inflight[i].reply); /* late replies: abandoned */
    kr_metric_remove(c->latency);
}

const kr_process_ops kv_client_ops = {.initialize = client_initialize,
                                           .finalize = client_finalize};
