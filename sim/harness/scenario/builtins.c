/* Built-in actor types, useful without writing C:
 *   echo       answers every `name` message with `reply` (same body)
 *   forwarder  passes every `name` message on to `to` (same body)
 *   counter    counts `name` messages (see invariant counter-at-most)
 *   requester  sends `count` `name` messages to `to`, one every `interval`,
 *              and counts `reply` answers
 * Each reads its arguments with the kr_sc_* accessors, so a bad argument is
 * reported at its place in the scenario file. */
#include "scenario_internal.h"

#include <stdlib.h>
#include <string.h>

#define NAME_MAX_LEN 64

typedef struct builtin {
    kr_process base;
    char name[NAME_MAX_LEN + 1], reply[NAME_MAX_LEN + 1];
    kr_pid to;
    int64_t count, sent, received, limit;
    kr_duration interval;
} builtin;

static builtin *builtin_new(const char *id, const kr_process_ops *ops)
{
    builtin *b = calloc(1, sizeof *b);
    if (b)
        kr_process_init(&b->base, id, ops);
    return b;
}

/* Copies a name argument; false (after reporting) when too long. */
static bool read_name(const kr_sc_args *a, const char *key, const char *def, char *out)
{
    const char *v;
    if (kr_sc_string(a, key, def, &v) != 0)
        return false;
    if (strlen(v) > NAME_MAX_LEN || !*v)
        return false;
    strcpy(out, v);
    return true;
}

/* ---- echo ---------------------------------------------------------------- */

static void echo_on(kr_process *self, const kr_message *m)
{
    builtin *b = (builtin *)self;
    b->received++;
    kr_send(self, m->from, b->reply, m->body, m->len);
}

static void echo_init(kr_process *self) { kr_install(self, ((builtin *)self)->name, echo_on); }
static const kr_process_ops echo_ops = {.initialize = echo_init};

static kr_process *echo_new(const char *id, const kr_sc_args *a)
{
    builtin *b = builtin_new(id, &echo_ops);
    if (b && read_name(a, "name", "ping", b->name) && read_name(a, "reply", "pong", b->reply))
        return &b->base;
    free(b);
    return NULL;
}

/* ---- forwarder ------------------------------------------------------------- */

static void forward_on(kr_process *self, const kr_message *m)
{
    builtin *b = (builtin *)self;
    b->received++;
    kr_send(self, b->to, m->name, m->body, m->len);
}

static void forward_init(kr_process *self) { kr_install(self, ((builtin *)self)->name, forward_on); }
static const kr_process_ops forward_ops = {.initialize = forward_init};

static kr_process *forwarder_new(const char *id, const kr_sc_args *a)
{
    builtin *b = builtin_new(id, &forward_ops);
    if (b && kr_sc_require(a, "to") == 0 && read_name(a, "name", "ping", b->name) &&
        kr_sc_pid(a, "to", &b->to) == 0 && !kr_pid_is_none(b->to))
        return &b->base;
    free(b);
    return NULL;
}

/* ---- counter --------------------------------------------------------------- */

static void count_on(kr_process *self, const kr_message *m)
{
    (void)m;
    ((builtin *)self)->received++;
}

static void counter_init(kr_process *self) { kr_install(self, ((builtin *)self)->name, count_on); }
static const kr_process_ops counter_ops = {.initialize = counter_init};

static kr_process *counter_new(const char *id, const kr_sc_args *a)
{
    builtin *b = builtin_new(id, &counter_ops);
    if (b && read_name(a, "name", "inc", b->name) &&
        kr_sc_int(a, "limit", 0, INT64_MAX, INT64_MAX, &b->limit) == 0)
        return &b->base;
    free(b);
    return NULL;
}

static void counter_reset(kr_process *self, const void *arg)
{
    (void)arg;
    ((builtin *)self)->received = 0;
}

typedef struct over_limit {
    bool over;
    char *why;
    size_t len;
} over_limit;

static void check_counter(kr_process *p, const char *type, void *ctx)
{
    (void)type;
    builtin *b = (builtin *)p;
    over_limit *o = ctx;
    if (b->received > b->limit && !o->over) {
        o->over = true;
        snprintf(o->why, o->len, "counter %s counted %lld > limit %lld", kr_self(p).id,
                 (long long)b->received, (long long)b->limit);
    }
}

/* Every counter stays at or below its `limit` argument. */
static bool counter_at_most(char *why, size_t len)
{
    over_limit o = {false, why, len};
    kr_sc_each("counter", check_counter, &o);
    return !o.over;
}

/* ---- requester ---------------------------------------------------------------- */

static void request_next(kr_process *self, const void *arg)
{
    (void)arg;
    builtin *b = (builtin *)self;
    if (b->sent >= b->count)
        return;
    int64_t n = b->sent++;
    kr_send(self, b->to, b->name, &n, sizeof n);
    if (b->sent < b->count)
        kr_delay(b->interval, kr_self(self), request_next, NULL, 0);
}

static void requester_on_reply(kr_process *self, const kr_message *m)
{
    (void)m;
    ((builtin *)self)->received++;
}

static void requester_init(kr_process *self)
{
    builtin *b = (builtin *)self;
    kr_install(self, b->reply, requester_on_reply);
    request_next(self, NULL);
}

static const kr_process_ops requester_ops = {.initialize = requester_init};

static kr_process *requester_new(const char *id, const kr_sc_args *a)
{
    builtin *b = builtin_new(id, &requester_ops);
    if (b && kr_sc_require(a, "to") == 0 && read_name(a, "name", "ping", b->name) &&
        read_name(a, "reply", "pong", b->reply) && kr_sc_pid(a, "to", &b->to) == 0 && !kr_pid_is_none(b->to) &&
        kr_sc_int(a, "count", 0, 1000000, 10, &b->count) == 0 &&
        kr_sc_duration(a, "interval", KR_MSEC(100), &b->interval) == 0)
        return &b->base;
    free(b);
    return NULL;
}

typedef struct all_answered {
    bool missing;
    char *why;
    size_t len;
} all_answered;

static void check_requester(kr_process *p, const char *type, void *ctx)
{
    (void)type;
    builtin *b = (builtin *)p;
    all_answered *o = ctx;
    if (b->received < b->sent && !o->missing) {
        o->missing = true;
        snprintf(o->why, o->len, "requester %s got %lld of %lld replies", kr_self(p).id,
                 (long long)b->received, (long long)b->sent);
    }
}

/* Every requester has as many replies as requests sent. */
static bool requests_answered(char *why, size_t len)
{
    all_answered o = {false, why, len};
    kr_sc_each("requester", check_requester, &o);
    return !o.missing;
}

void kr__sc_builtins_register(void)
{
    static bool done;
    if (done)
        return;
    done = true;
    kr_actor_register("echo", echo_new, "answers `name` (ping) with `reply` (pong)");
    kr_actor_register("forwarder", forwarder_new, "passes `name` (ping) on to `to`");
    kr_actor_register("counter", counter_new, "counts `name` (inc) messages; `limit`");
    kr_action_register("counter", "reset", counter_reset);
    kr_actor_register("requester", requester_new,
                      "sends `count` (10) `name` (ping) to `to` every `interval` (100ms)");
    kr_invariant_register("counter-at-most", counter_at_most,
                          "every counter counted at most its `limit`");
    kr_invariant_register("requests-answered", requests_answered,
                          "every requester got a reply for each request sent");
}
