/* A counter server applying `add` requests, and two clients of it:
 *
 * - timer-versus-reply race: `bench-client` with a `timeout` sends each
 *   request with a timer and resends it when the timer fires first. When
 *   the reply was merely slow, the server applies the request twice.
 * - duplicate delivery: `bench-client` with `timeout: 0` sends each request
 *   once, but the network may duplicate a message, and the server applies
 *   both copies.
 *
 * The server checks (kr_check) that it never applied more adds than it saw
 * distinct request ids; the repaired server (`fixed: true`) remembers the
 * ids it applied and ignores repeats. */
#include "bugs.h"

#include <stdlib.h>
#include <string.h>

#define IDS_MAX 256

typedef struct counter {
    kr_process base;
    bool fixed;
    int64_t applied;
    size_t n_ids;
    uint32_t ids[IDS_MAX]; /* distinct request ids seen */
} counter;

typedef struct client {
    kr_process base;
    kr_pid server;
    int64_t requests, sent;
    kr_duration timeout;
    uint32_t waiting; /* the id awaiting its reply, 0: none */
} client;

static bool seen(counter *c, uint32_t id)
{
    for (size_t i = 0; i < c->n_ids; i++)
        if (c->ids[i] == id)
            return true;
    if (c->n_ids < IDS_MAX)
        c->ids[c->n_ids++] = id;
    return false;
}

static void counter_add(kr_process *self, const kr_message *m)
{
    counter *c = (counter *)self;
    uint32_t id;
    if (m->len != sizeof id)
        return;
    memcpy(&id, m->body, sizeof id);
    bool repeat = seen(c, id);
    if (repeat)
        kr_probe("repeated-request");
    if (!(repeat && c->fixed))
        c->applied++;
    kr_check(c->applied <= (int64_t)c->n_ids,
             "request %u applied twice: %lld adds applied for %zu distinct requests", id,
             (long long)c->applied, c->n_ids);
    kr_send(self, m->from, "added", &id, sizeof id);
}

static void counter_init(kr_process *self) { kr_install(self, "add", counter_add); }

static const kr_process_ops counter_ops = {.initialize = counter_init};

static kr_process *counter_new(const char *id, const kr_sc_args *args)
{
    counter *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->fixed = bugs_fixed(args);
    kr_process_init(&c->base, id, &counter_ops);
    return &c->base;
}

/* ---- clients ----------------------------------------------------------------- */

static void client_send(kr_process *self, uint32_t id)
{
    client *c = (client *)self;
    kr_send(self, c->server, "add", &id, sizeof id);
}

static void client_timeout(kr_process *self, const void *arg)
{
    client *c = (client *)self;
    uint32_t id;
    memcpy(&id, arg, sizeof id);
    if (c->waiting != id)
        return; /* answered in time */
    kr_probe("retry");
    client_send(self, id);
    kr_delay(c->timeout, kr_self(self), client_timeout, &id, sizeof id);
}

static void client_next(kr_process *self)
{
    client *c = (client *)self;
    if (c->sent >= c->requests)
        return;
    uint32_t id = (uint32_t)++c->sent;
    c->waiting = id;
    client_send(self, id);
    if (c->timeout > 0)
        kr_delay(c->timeout, kr_self(self), client_timeout, &id, sizeof id);
}

static void client_added(kr_process *self, const kr_message *m)
{
    client *c = (client *)self;
    uint32_t id;
    if (m->len != sizeof id)
        return;
    memcpy(&id, m->body, sizeof id);
    if (id != c->waiting)
        return; /* a late reply to a request already answered */
    c->waiting = 0;
    client_next(self);
}

static void client_init(kr_process *self)
{
    kr_install(self, "added", client_added);
    client_next(self);
}

static const kr_process_ops client_ops = {.initialize = client_init};

static kr_process *client_new(const char *id, const kr_sc_args *args)
{
    client *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    if (kr_sc_pid(args, "server", &c->server) ||
        kr_sc_count(args, "requests", 1, IDS_MAX, 3, &c->requests) ||
        kr_sc_duration(args, "timeout", 0, &c->timeout)) {
        free(c);
        return NULL;
    }
    kr_process_init(&c->base, id, &client_ops);
    return &c->base;
}

void bugs_register_timeout(void)
{
    kr_actor_register("bench-counter", counter_new,
                      "applies `add` requests; fixed: ignores repeated request ids");
    kr_actor_register("bench-client", client_new,
                      "sends `requests` adds to `server` one after another; `timeout` > 0 "
                      "resends a request whose reply is late");
}
