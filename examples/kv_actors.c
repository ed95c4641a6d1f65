/* The key-value service of kv.c as scenario actor types, so a YAML scenario
 * (scenarios/kv-service.yaml) runs it under the harness: seeds, network
 * latency and faults, invariants, HTTP expectations, sweeps and reports.
 * Built into build/examples/kairos-examples when the protobuf add-on is.
 *
 *   kv-server  args: capacity (keys it can hold, 1..64, default 64)
 *   kv-client  args: server (required: the kv-server's id), rounds
 *              (default 20; the shrinker may lower it)
 *
 * Checks: the client's own kr_check (every value read back is the one it
 * just wrote) stops a run at the step that broke it; the invariant
 * kv-clients-done (at the end) says every client finished its rounds, each
 * answered or counted lost. A server whose capacity is below the client's
 * 8 keys refuses puts, so the reads back fail: scenarios/kv-service-full.yaml
 * is that broken service, and fails. */
#include "kv.h"

#include <kairos/scenario.h>

#include <stdio.h>
#include <stdlib.h>

static kr_process *server_new(const char *id, const kr_sc_args *args)
{
    kv_server *s = calloc(1, sizeof *s);
    int64_t capacity;
    if (!s || kr_sc_int(args, "capacity", 1, KV_KEYS, KV_KEYS, &capacity) != 0) {
        free(s);
        return NULL;
    }
    s->capacity = (size_t)capacity;
    kr_process_init(&s->base, id, &kv_server_ops);
    return &s->base;
}

static kr_process *client_new(const char *id, const kr_sc_args *args)
{
    kv_client *c = calloc(1, sizeof *c);
    int64_t rounds;
    if (!c || kr_sc_require(args, "server") != 0 || kr_sc_pid(args, "server", &c->server) != 0 ||
        kr_sc_count(args, "rounds", 1, 1000000, KV_ROUNDS, &rounds) != 0) {
        free(c);
        return NULL;
    }
    c->rounds = (int)rounds;
    kr_process_init(&c->base, id, &kv_client_ops);
    return &c->base;
}

typedef struct tally {
    int clients, unfinished;
    char why[160];
} tally;

static void count_client(kr_process *p, const char *type, void *ctx)
{
    (void)type;
    tally *t = ctx;
    const kv_client *c = (const kv_client *)p;
    t->clients++;
    if (c->finished && c->ok + c->lost == c->rounds)
        return;
    if (t->unfinished++ == 0)
        snprintf(t->why, sizeof t->why, "%s: %d of %d rounds done (%d ok, %d lost)%s",
                 kr_self(p).id, c->ok + c->lost, c->rounds, c->ok, c->lost,
                 c->finished ? "" : ", loop not finished");
}

static bool clients_done(char *why, size_t len)
{
    tally t = {0};
    kr_sc_each("kv-client", count_client, &t);
    if (t.clients > 0 && t.unfinished == 0)
        return true;
    if (t.clients == 0)
        snprintf(why, len, "no kv-client is running");
    else
        snprintf(why, len, "%s", t.why);
    return false;
}

void kairos_register_kv(void);
void kairos_register_kv(void)
{
    kr_actor_register("kv-server", server_new,
                      "the key-value server of examples/kv.c: protobuf Put/Get, HTTP "
                      "/get?key=K and /put?key=K, metrics kv/*; `capacity` keys");
    kr_actor_register("kv-client", client_new,
                      "puts then reads back `rounds` values at `server` (then/recover "
                      "chains in a kr_loop); kr_check on every read back");
    kr_invariant_register("kv-clients-done", clients_done,
                          "every kv-client finished its rounds (each answered or counted lost)");
}

/* Registered when linked into a runner or loaded with kairos --load. */
__attribute__((constructor)) static void register_on_load(void) { kairos_register_kv(); }
