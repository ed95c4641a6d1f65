/* Internal to the sim backend: the simulator's state, shared by its files. */
#ifndef KAIROS_SIM_INTERNAL_H
#define KAIROS_SIM_INTERNAL_H

#include "backend.h"
#include "prng.h"

typedef enum {
    KR__STRATEGY_RANDOM,
    KR__STRATEGY_FIFO,
    KR__STRATEGY_PCT,
    KR__STRATEGY_POS
} kr__strategy;

/* One recorded choice: `chosen` of `options`. */
typedef struct kr__decision {
    uint32_t options, chosen;
} kr__decision;

typedef struct kr__sim {
    uint64_t seed;
    kr__strategy strategy;
    kr__prng sched, ties, user, faults, net, cost;
    kr_duration event_cost_max;
    kr_time now;
    bool paused;
    uint64_t steps;
    uint64_t hash;
    /* Runnable processes: a ring, in the order they became runnable. */
    kr__proc **ring;
    size_t ring_head, ring_len, ring_cap;
    /* Decisions made so far, and a schedule to follow. */
    kr__decision *log;
    size_t log_len, log_cap;
    kr__decision *replay;
    size_t replay_len, replay_pos;
    uint32_t last_options, last_chosen; /* the latest decision */
    char *failure;
    bool stepping;
} kr__sim;

extern kr__sim kr__sim_state;

/* Picks one of `options` (> 0) choices: from the schedule being replayed,
 * else propose(options, ctx) (the strategy); records and hashes it. */
uint32_t kr__sim_decide(uint32_t options, uint32_t (*propose)(uint32_t options, void *ctx),
                        void *ctx);
void kr__sim_hash(uint64_t v);
/* (Re)seeds every stream from one root seed. */
void kr__sim_seed_streams(uint64_t seed);
void kr__sim_fail(const char *msg);
void kr__sim_trace_reset(void);

/* sim_net.c */
void kr__sim_net_start(uint32_t ip, uint16_t port);
void kr__sim_net_stop(void);
size_t kr__sim_net_due(void);       /* links whose head message is due */
kr_time kr__sim_net_next_at(void);  /* earliest arrival in flight */
void kr__sim_net_deliver(size_t k); /* the k-th such link delivers its head */
size_t kr__sim_net_due_link(size_t k); /* the k-th such link's creation index */
bool kr__sim_observing(void); /* an observer is installed: worth formatting */
void kr__sim_emit(const char *kind, const char *node, const char *process, const char *name,
                  kr_pid from, kr_pid to, const void *body, size_t len);
typedef struct kr__http_in kr__http_in;
typedef struct kr__http_sink kr__http_sink;
const kr_sim_net *kr__sim_net_settings(void);
/* Both nodes up and not cut apart; from 0:0 is a client outside every node. */
bool kr__sim_net_reachable(uint32_t from_ip, uint16_t from_port, uint32_t to_ip, uint16_t to_port);
/* Hands a request to the shared HTTP core as seen from node ip:port. */
void kr__sim_net_serve_http(uint32_t ip, uint16_t port, const kr__http_in *req,
                            const kr__http_sink *sink);
/* scheduler.c: one step, never jumping time past horizon (absolute). */
bool kr__sim_step_until(kr_time horizon);
/* scheduler.c: forget a runnable process that is about to vanish. */
void kr__sim_unschedule(kr__proc *p);

#define KR__SIM_EPOCH ((kr_time)946684800 * 1000000000LL) /* 2000-01-01 */

#endif
