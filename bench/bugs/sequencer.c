/* Crash/recovery bug: a sequencer hands out increasing ids; a client asks
 * for one every 20ms and checks (kr_check) that each id is larger than the
 * last. The planted bug: the sequencer counts in memory, so after its node
 * crashes and restarts it hands out 1, 2, ... again. The repaired sequencer
 * (`fixed: true`) derives ids from the clock, max(last + 1, now in ns), which
 * keeps growing across a restart. */
#include "bugs.h"

#include <stdlib.h>
#include <string.h>

#define ASK_EVERY KR_MSEC(20)

typedef struct sequencer {
    kr_process base;
    bool fixed;
    uint64_t last;
} sequencer;

typedef struct id_client {
    kr_process base;
    kr_pid sequencer;
    uint64_t last;
} id_client;

static void seq_next(kr_process *self, const kr_message *m)
{
    sequencer *s = (sequencer *)self;
    uint64_t now = (uint64_t)kr_clock_now();
    s->last = s->fixed && now > s->last + 1 ? now : s->last + 1;
    kr_send(self, m->from, "id", &s->last, sizeof s->last);
}

static void seq_init(kr_process *self) { kr_install(self, "next", seq_next); }

static const kr_process_ops seq_ops = {.initialize = seq_init};

static kr_process *seq_new(const char *id, const kr_sc_args *args)
{
    sequencer *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->fixed = bugs_fixed(args);
    kr_process_init(&s->base, id, &seq_ops);
    return &s->base;
}

static void ask(kr_process *self, const void *arg)
{
    (void)arg;
    id_client *c = (id_client *)self;
    kr_send(self, c->sequencer, "next", NULL, 0);
    kr_delay(ASK_EVERY, kr_self(self), ask, NULL, 0);
}

static void on_id(kr_process *self, const kr_message *m)
{
    id_client *c = (id_client *)self;
    uint64_t id;
    if (m->len != sizeof id)
        return;
    memcpy(&id, m->body, sizeof id);
    kr_check(id > c->last, "id %llu handed out after id %llu: ids went backwards",
             (unsigned long long)id, (unsigned long long)c->last);
    c->last = id;
}

static void client_init(kr_process *self)
{
    kr_install(self, "id", on_id);
    kr_delay(ASK_EVERY, kr_self(self), ask, NULL, 0);
}

static const kr_process_ops client_ops = {.initialize = client_init};

static kr_process *client_new(const char *id, const kr_sc_args *args)
{
    id_client *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    if (kr_sc_pid(args, "sequencer", &c->sequencer)) {
        free(c);
        return NULL;
    }
    kr_process_init(&c->base, id, &client_ops);
    return &c->base;
}

void bugs_register_sequencer(void)
{
    kr_actor_register("bench-sequencer", seq_new, "hands out increasing ids; args fixed");
    kr_actor_register("bench-id-client", client_new,
                      "asks `sequencer` for an id every 20ms, checks they increase");
}
