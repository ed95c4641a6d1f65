/* Liveness bug: a requester sends one `ping` to an echo server on another
 * node and is done when the `pong` comes back. The network drops 10% of
 * messages, and the planted bug is that the requester never retries: a lost
 * ping or pong leaves it waiting forever (`liveness: bench-all-done`). The
 * repaired requester (`fixed: true`) resends every 30ms until answered. */
#include "bugs.h"

#include <stdio.h>
#include <stdlib.h>

#define RETRY_EVERY KR_MSEC(30)

typedef struct requester {
    kr_process base;
    kr_pid echo;
    bool fixed, done;
} requester;

static void on_ping(kr_process *self, const kr_message *m) { kr_send(self, m->from, "pong", NULL, 0); }

static void echo_init(kr_process *self) { kr_install(self, "ping", on_ping); }

static const kr_process_ops echo_ops = {.initialize = echo_init};

static kr_process *echo_new(const char *id, const kr_sc_args *args)
{
    (void)args;
    kr_process *p = calloc(1, sizeof *p);
    if (p)
        kr_process_init(p, id, &echo_ops);
    return p;
}

static void send_ping(kr_process *self, const void *arg)
{
    (void)arg;
    requester *r = (requester *)self;
    if (r->done)
        return;
    kr_send(self, r->echo, "ping", NULL, 0);
    if (r->fixed)
        kr_delay(RETRY_EVERY, kr_self(self), send_ping, NULL, 0);
}

static void on_pong(kr_process *self, const kr_message *m)
{
    (void)m;
    ((requester *)self)->done = true;
}

static void requester_init(kr_process *self)
{
    kr_install(self, "pong", on_pong);
    send_ping(self, NULL);
}

static const kr_process_ops requester_ops = {.initialize = requester_init};

static kr_process *requester_new(const char *id, const kr_sc_args *args)
{
    requester *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->fixed = bugs_fixed(args);
    if (kr_sc_pid(args, "echo", &r->echo)) {
        free(r);
        return NULL;
    }
    kr_process_init(&r->base, id, &requester_ops);
    return &r->base;
}

static void count_waiting(kr_process *p, const char *type, void *ctx)
{
    (void)type;
    *(int *)ctx += !((requester *)p)->done;
}

static bool all_done(char *why, size_t why_len)
{
    int waiting = 0;
    kr_sc_each("bench-requester", count_waiting, &waiting);
    if (waiting == 0)
        return true;
    snprintf(why, why_len, "%d requester(s) still waiting for a pong", waiting);
    return false;
}

void bugs_register_liveness(void)
{
    kr_actor_register("bench-echo", echo_new, "answers ping with pong");
    kr_actor_register("bench-requester", requester_new,
                      "pings `echo` until answered (buggy: once); args echo, fixed");
    kr_invariant_register("bench-all-done", all_done, "every requester got its pong");
}
