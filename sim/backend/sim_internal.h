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

/* One choice of a schedule to follow: `chosen` of `options`; `id` names the
 * entity chosen (a process, the timer, a link: kr_sim_schedule_ids), 0 when
 * unnamed. */
typedef struct kr__decision {
    uint32_t options, chosen;
    uint64_t id;
} kr__decision;

/* One choice made, as logged on every step: 8 bytes, since the log is most
 * of a step's memory (the ids, asked for by shrink alone, live apart in
 * log_ids). */
typedef struct kr__logged {
    uint32_t options, chosen;
} kr__logged;

typedef struct kr__sim_disk kr__sim_disk;

/* One simulated machine. Its disk (disk.c) outlives crashes and restarts;
 * `incarnation` grows at each crash so handles opened before it fail. */
typedef struct kr__sim_node {
    char address[24];
    uint32_t ip;
    uint16_t port;
    bool up;
    uint32_t incarnation;
    void (*start)(const char *address, void *ctx);
    void *start_ctx;
    kr_duration clock_offset; /* its clock: now + offset + drift * elapsed */
    double clock_drift;
    kr_time paused_until;     /* runs nothing before then (kr_sim_pause) */
    kr_sim_disk disk_faults;
    kr__sim_disk *disk;
} kr__sim_node;

typedef struct kr__sim_state {
    uint64_t seed;
    kr__strategy strategy;
    kr__prng sched, ties, user, faults, net, cost;
    kr__prng power, disk; /* power-off fates; disk faults */
    kr_duration event_cost_max;
    kr_time now;
    bool paused;
    uint64_t steps;
    uint64_t hash;
    /* Runnable processes: a ring, in the order they became runnable. */
    kr__proc **ring;
    size_t ring_head, ring_len, ring_cap;
    /* Decisions made so far, and a schedule to follow. */
    kr__logged *log;
    size_t log_len, log_cap;
    uint64_t *log_ids; /* the entity of decision i, when record_ids */
    size_t log_ids_len, log_ids_cap;
    kr__decision *replay;
    size_t replay_len, replay_pos;
    bool record_ids; /* log each decision's entity (kr_sim_schedule_ids asked) */
    uint32_t last_options, last_chosen; /* the latest decision */
    char *failure;
    bool stepping;
    size_t node_count, driver_node;
    kr_duration detection_delay; /* power-off: peers learn this late */
    bool process_ended;          /* a process ended: re-check remote links */
    size_t paused_nodes;         /* nodes with paused_until in the future */
    /* The machines; node 0 exists from kr_init. cut[a][b]: a -> b is cut.
     * Last, and only the first node_count of each are ever written, so a
     * reset clears those instead of 12 KiB (kr__backend_start). */
    kr__sim_node nodes[KR_SIM_NODES_MAX];
    uint8_t cut[KR_SIM_NODES_MAX][KR_SIM_NODES_MAX];
} kr__sim_state;

extern kr__sim_state kr__sim;

/* Folds v into the trace hash (inline: twice per step). */
static inline void kr__sim_hash(uint64_t v) { kr__sim.hash = kr__hash_mix(kr__sim.hash, v); }
/* decision_log.c: the next choice of the schedule being replayed (a misfit
 * fails the run and gives 0); room for one more decision in the log
 * (false, and the run failed, when out of memory). */
uint32_t kr__sim_replayed(uint32_t options, uint64_t (*identify)(uint32_t index, void *ctx),
                          void *ctx);
bool kr__sim_log_grow(void);
/* Records the entity of the decision about to be logged (log_len's). */
void kr__sim_log_id(uint64_t id);

/* Picks one of `options` (> 0) choices: from the schedule being replayed,
 * else propose(options, ctx) (the strategy); records and hashes it.
 * identify(i, ctx) (optional) names option i's entity, recorded with the
 * choice: a loose replayed decision with an id takes that entity when it
 * is an option. Inline, so the scheduler's strategy is called directly
 * once per step. */
static inline uint32_t kr__sim_decide(uint32_t options,
                                      uint32_t (*propose)(uint32_t options, void *ctx),
                                      uint64_t (*identify)(uint32_t index, void *ctx), void *ctx)
{
    uint32_t chosen;
    if (kr__sim.replay_pos < kr__sim.replay_len)
        chosen = kr__sim_replayed(options, identify, ctx);
    else
        chosen = options > 1 ? propose(options, ctx) : 0;
    if (kr__sim.log_len < kr__sim.log_cap || kr__sim_log_grow()) {
        if (kr__sim.record_ids)
            kr__sim_log_id(identify ? identify(chosen, ctx) : 0);
        kr__sim.log[kr__sim.log_len++] = (kr__logged){options, chosen};
    }
    kr__sim_hash(((uint64_t)options << 32) | chosen);
    kr__sim.last_options = options;
    kr__sim.last_chosen = chosen;
    return chosen;
}
/* (Re)seeds every stream from one root seed. */
void kr__sim_seed_streams(uint64_t seed);
void kr__sim_fail(const char *msg);
void kr__sim_trace_reset(void);

/* sim_nodes.c */
long kr__sim_node_at(uint32_t ip, uint16_t port);
long kr__sim_node_of_pid(kr_pid pid);
/* The node at address, created (up) if new and `create`; -1 with *err. */
long kr__sim_node_get(const char *address, bool create, int *err);
/* The node the caller is on: the running process' node or the driver's. */
size_t kr__sim_node_here(void);
void kr__sim_nodes_reset(uint32_t ip, uint16_t port);
void kr__sim_format_address(uint32_t ip, uint16_t port, char *buf, size_t n);
/* "ip:port": the node's stored text, else formatted into buf (no snprintf
 * per traced event). */
const char *kr__sim_address_text(uint32_t ip, uint16_t port, char *buf, size_t n);

/* sim_links.c: links between processes on different nodes. */
/* Breaks links that can no longer hold: a linker ended (forgotten), a
 * target ended or its node crashed (exited after latency, or after the
 * failure-detection delay when `silent`), a cut (exited at once). */
void kr__sim_links_check(void);
/* Node i went down; silent: a power-off (no reset reaches the peers). */
void kr__sim_links_node_down(size_t i, bool silent);
void kr__sim_links_reset(void);

/* sim_time.c: per-node clocks and pauses. */
kr_time kr__sim_node_clock(size_t node);
bool kr__sim_node_paused(size_t node);
/* Earliest end of a pause still in force, INT64_MAX if none. */
kr_time kr__sim_pauses_next_end(void);
/* Runnable processes of paused nodes wait off the run queue. */
void kr__sim_park(kr__proc *p);
void kr__sim_unpark_due(void);
bool kr__sim_unpark(kr__proc *p); /* false if it was not parked */
size_t kr__sim_parked(void);
bool kr__sim_proc_paused(const kr__proc *p);
void kr__sim_time_reset(void);
/* scheduler.c: back on the run queue; node's runnable processes parked. */
void kr__sim_requeue(kr__proc *p);
void kr__sim_park_node(size_t node);

/* disk.c */
void kr__sim_disk_power_loss(size_t node); /* unsynced writes: kept, lost or torn */
void kr__sim_disks_reset(void);

/* sim_net.c */
/* Messages node i sent that are still in flight: each may be lost. */
void kr__sim_net_lose_in_flight(size_t i);
/* Queues `exited(who)` to linker, arriving no earlier than `at` and after
 * every message already in flight from who's node to linker's (a reset
 * follows the data the connection still carried); no cut or loss stops it. */
void kr__sim_net_exited(kr_pid linker, kr_pid who, kr_time at);
kr_duration kr__sim_net_latency_draw(size_t from, size_t to);
void kr__sim_net_start(uint32_t ip, uint16_t port);
void kr__sim_net_stop(void);
size_t kr__sim_net_due(void);       /* links whose head message is due */
kr_time kr__sim_net_next_at(void);  /* earliest arrival in flight */
void kr__sim_net_deliver(size_t k); /* the k-th such link delivers its head */
size_t kr__sim_net_due_link(size_t k); /* the k-th such link's creation index */
uint64_t kr__sim_net_link_key(size_t i); /* link i by its nodes: from << 16 | to */
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
