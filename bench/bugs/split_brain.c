/* Partition/heal bug: a primary sends heartbeats to a backup every 50ms;
 * the backup takes over as leader after 300ms without one. The planted bug:
 * the primary never steps down, so a partition longer than the backup's
 * patience leaves two leaders (still two after the heal). The invariant
 * `bench-single-leader` names it. The repaired primary (`fixed: true`)
 * steps down when no heartbeat has been acknowledged for 150ms, before the
 * backup can take over. */
#include "bugs.h"

#include <stdio.h>
#include <stdlib.h>

#define HEARTBEAT KR_MSEC(50)
#define PRIMARY_LEASE KR_MSEC(150)
#define BACKUP_PATIENCE KR_MSEC(300)

typedef struct replica {
    kr_process base;
    kr_pid peer;
    bool primary, leader, fixed;
    kr_time last_heard; /* primary: last ack; backup: last heartbeat */
} replica;

static void tick(kr_process *self, const void *arg)
{
    (void)arg;
    replica *r = (replica *)self;
    kr_time now = kr_clock_now();
    if (r->primary) {
        if (r->leader && r->fixed && now - r->last_heard > PRIMARY_LEASE) {
            kr_probe("primary-stepped-down");
            r->leader = false;
        }
        if (r->leader)
            kr_send(self, r->peer, "heartbeat", NULL, 0);
    } else if (!r->leader && now - r->last_heard > BACKUP_PATIENCE) {
        kr_probe("backup-took-over");
        r->leader = true;
    }
    kr_delay(HEARTBEAT, kr_self(self), tick, NULL, 0);
}

static void on_heartbeat(kr_process *self, const kr_message *m)
{
    replica *r = (replica *)self;
    r->last_heard = kr_clock_now();
    kr_send(self, m->from, "ack", NULL, 0);
}

static void on_ack(kr_process *self, const kr_message *m)
{
    (void)m;
    ((replica *)self)->last_heard = kr_clock_now();
}

static void replica_init(kr_process *self)
{
    replica *r = (replica *)self;
    r->last_heard = kr_clock_now();
    kr_install(self, "heartbeat", on_heartbeat);
    kr_install(self, "ack", on_ack);
    kr_delay(HEARTBEAT, kr_self(self), tick, NULL, 0);
}

static const kr_process_ops replica_ops = {.initialize = replica_init};

static kr_process *replica_new(const char *id, const kr_sc_args *args)
{
    replica *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->fixed = bugs_fixed(args);
    if (kr_sc_pid(args, "peer", &r->peer) || kr_sc_bool(args, "primary", false, &r->primary)) {
        free(r);
        return NULL;
    }
    r->leader = r->primary;
    kr_process_init(&r->base, id, &replica_ops);
    return &r->base;
}

static void count_leader(kr_process *p, const char *type, void *ctx)
{
    (void)type;
    *(int *)ctx += ((replica *)p)->leader;
}

static bool single_leader(char *why, size_t why_len)
{
    int leaders = 0;
    kr_sc_each("bench-replica", count_leader, &leaders);
    if (leaders <= 1)
        return true;
    snprintf(why, why_len, "%d replicas believe they lead", leaders);
    return false;
}

void bugs_register_split_brain(void)
{
    kr_actor_register("bench-replica", replica_new,
                      "primary/backup with heartbeats; args peer, primary, fixed");
    kr_invariant_register("bench-single-leader", single_leader, "at most one replica leads");
}
