/* Simulator control: only in the sim backend (kairos_sim, KAIROS_SIM). */
#ifndef KAIROS_SIM_H
#define KAIROS_SIM_H

#include <kairos/common.h>

#ifdef __cplusplus
extern "C" {
#endif

KR_API uint64_t kr_sim_seed(void);
/* One scheduling decision (one event served, one timer fired); time jumps
 * to the next deadline first when nothing else can run and the clock is not
 * paused. False when nothing can run or a check failed. */
KR_API bool kr_sim_step(void);
/* Steps until nothing is left, a check fails, or max_steps (0 = no limit).
 * Returns the steps taken. */
KR_API size_t kr_sim_run(size_t max_steps);
/* Steps taken since kr_init. */
KR_API uint64_t kr_sim_steps(void);
/* The first failed kr_check ("file:line: message (process id, step S, time
 * T, seed N)"), or NULL while none. */
KR_API const char *kr_sim_failure(void);
/* A hash of every decision so far (same seed => same hash). */
KR_API uint64_t kr_sim_trace_hash(void);
/* Writes the decisions so far as a schedule file. */
KR_API int kr_sim_trace_write(const char *path);
/* Follows the schedule file instead of the seed for the decisions it holds
 * (call right after kr_init). KR_EFORMAT on a malformed file. If the run
 * stops fitting the schedule, kr_sim_failure() says so. */
KR_API int kr_sim_trace_replay(const char *path);

/* Follows these decisions ({options, chosen} pairs, as recorded) before the
 * strategy takes over; call right after kr_init. A pair {0, c} is loose: it
 * takes choice c modulo however many options the run has at that decision
 * and never misfits (kairos shrink edits schedules this way); the recorded
 * decision is the one taken. */
KR_API int kr_sim_schedule(const uint32_t (*decisions)[2], size_t n);
/* Names the entity each decision of the schedule just loaded chose (ids
 * from kr_sim_decision_ids, 0: none): a loose pair with an id takes that
 * entity (a process, the timer, a link) when it is one of the run's
 * options there, so an edited schedule keeps meaning what it meant. Call
 * right after kr_init (after kr_sim_schedule, if any); n at most the
 * schedule's length (KR_ERANGE). It also makes this run record its own
 * decisions' entities: call it with n = 0 for that alone. */
KR_API int kr_sim_schedule_ids(const uint64_t *ids, size_t n);
/* Copies up to max recorded decisions' entity ids into out (0 for a
 * choice among timers due together, or when the run was not asked to
 * record them: kr_sim_schedule_ids); returns how many decisions exist. */
KR_API size_t kr_sim_decision_ids(uint64_t *out, size_t max);
/* Copies up to max recorded decisions into out; returns how many exist. */
KR_API size_t kr_sim_decisions(uint32_t (*out)[2], size_t max);
/* Each event served costs a seeded 0..max of virtual time (a busy
 * machine), so timeouts can race with work. 0 = free (default). */
KR_API int kr_sim_event_cost(kr_duration max);
/* Nothing runnable and nothing in flight on the network (timers may be
 * pending). */
KR_API bool kr_sim_quiescent(void);

/* ---- nodes, network and faults ------------------------------------------ */

/* Selects (creating it if needed) the node "ip:port" that later spawns from
 * the driving thread belong to; processes spawn on their spawner's node.
 * The first node, 127.0.0.1:5050 unless kr_config.ip/port say otherwise,
 * exists from kr_init. KR_EFORMAT on a bad address, KR_ENOSPC past
 * KR_SIM_NODES_MAX nodes. */
#define KR_SIM_NODES_MAX 64
KR_API int kr_sim_node(const char *address);

typedef struct kr_sim_net {
    kr_duration latency_min, latency_max; /* per message, drawn from the seed */
    double drop, duplicate;               /* probabilities, 0 = never */
} kr_sim_net;
/* Network behaviour between different nodes. Defaults: 1..10 ms, no loss.
 * Per-link FIFO order is always kept (as TCP does). */
KR_API int kr_sim_network(const kr_sim_net *net);
/* The same for the one direction from -> to (overrides the global one). */
KR_API int kr_sim_link_network(const char *from, const char *to, const kr_sim_net *net);
/* A network fault placed on one message rather than drawn: the send-th
 * message sent between two nodes in this run (0-based, every send counted
 * in the order it happens, delivered or not) is lost, delivered twice, or
 * slow (it takes its link's largest latency), besides the seeded draws.
 * Call after kr_init; at most 64 per run (KR_ERANGE). kairos shrink places
 * the one fault a failure needs as early as it still fails. */
typedef enum {
    KR_SIM_MESSAGE_LOST = 1,
    KR_SIM_MESSAGE_DUPLICATED,
    KR_SIM_MESSAGE_SLOW,
} kr_sim_message_fault_kind;
KR_API int kr_sim_message_fault(uint64_t send, kr_sim_message_fault_kind kind);
/* Cuts every node of side_a off from every node of side_b (both ways):
 * messages across are dropped and remote links across report exited. */
KR_API int kr_sim_partition(const char *const *side_a, size_t na, const char *const *side_b,
                            size_t nb);
KR_API void kr_sim_heal(void);
/* Holds messages from -> to until d from now (they arrive late, in order). */
KR_API int kr_sim_clog(const char *from, const char *to, kr_duration d);
/* Registers the node's start function and calls it now (spawns from it go
 * to that node); kr_sim_restart calls it again. */
KR_API int kr_sim_on_start(const char *address, void (*start)(const char *address, void *ctx),
                           void *ctx);
/* A process crash (kill -9): the node's processes vanish without finalize;
 * its disk keeps every write (the page cache survives); remote linkers get
 * exited after network latency, behind the data already in flight (a reset
 * connection), never at the crash instant. */
KR_API int kr_sim_crash(const char *address);
/* A machine crash: as kr_sim_crash, and in addition every write since its
 * file's last sync is independently kept, lost or torn (a prefix kept, cut
 * at a KR_SIM_SECTOR boundary), drawn from the seed; each message the node
 * sent that is still in flight is lost with probability 1/2; peers learn of
 * it only after the failure-detection delay (no reset arrives).
 * kr_sim_restart brings it back. */
#define KR_SIM_SECTOR 512
KR_API int kr_sim_power_off(const char *address);
KR_API int kr_sim_restart(const char *address);
KR_API bool kr_sim_node_up(const char *address);
/* How late peers learn that a powered-off node is gone (default 1 s). */
KR_API int kr_sim_failure_detection(kr_duration d);

/* The node's clock: inside its processes kr_clock_now() is the virtual time
 * plus offset plus drift (a fraction, |drift| < 0.5) of the time elapsed
 * since the simulation started, and timers they set (kr_delay,
 * kr_future_after, HTTP timeouts) fire by that clock. Calling it again
 * mid-run is a clock jump (timers already set keep their virtual-time
 * deadlines, as relative timers on a monotonic clock would). |offset| at
 * most 100 years (KR_ERANGE). */
#define KR_SIM_CLOCK_OFFSET_MAX ((kr_duration)100 * 365 * 86400 * 1000000000LL) /* KR_ERANGE past */
KR_API int kr_sim_clock_skew(const char *address, kr_duration offset, double drift);
/* Cuts one direction: messages from -> to are dropped (and remote links
 * between the two report exited) until kr_sim_heal. */
KR_API int kr_sim_cut(const char *from, const char *to);
/* A stop-the-world pause: nothing on the node runs for d (its processes'
 * events, timers and arriving messages wait until the pause ends). */
KR_API int kr_sim_pause(const char *address, kr_duration d);

/* Storage faults of one node, each drawn from the seed per call. */
typedef struct kr_sim_disk {
    double write_error, read_error; /* probability that a call fails with KR_EIO */
    double corrupt;                 /* probability that a read returns damaged bytes */
} kr_sim_disk;
KR_API int kr_sim_disk_faults(const char *address, const kr_sim_disk *d);

/* ---- observing a run ------------------------------------------------------ */

/* One thing that happened, as the trace and the reports show it. Pointers
 * are valid during the call only. */
typedef struct kr_sim_event {
    uint64_t step;
    kr_time time;    /* virtual, ns since the simulation epoch */
    const char *kind; /* init message dispatch exited terminate http timer
                         send deliver drop duplicate partition heal crash
                         restart check power-off cut pause resume clock
                         sync write-kept write-lost write-torn disk-error */
    const char *node;    /* "ip:port" where it happened, or "" */
    const char *process; /* the process id it happened to, or "" */
    const char *name;    /* message name, fault detail, or "" */
    kr_pid from, to;
    const void *body;
    size_t len;
    uint32_t options, chosen; /* the decision that led to it (0, 0: none) */
} kr_sim_event;
typedef void (*kr_sim_observer)(const kr_sim_event *e, void *ctx);
/* One observer at a time; NULL removes it. Kept across kr_init. */
KR_API void kr_sim_observe(kr_sim_observer fn, void *ctx);
/* Virtual time since the simulation started (kr_clock_now minus the epoch). */
KR_API kr_duration kr_sim_elapsed(void);

/* ---- driving a run: what a harness needs beyond the calls above ----------
 * The scenario harness (libkairos_harness, sim/harness) is built on these
 * and the calls above only; a user's own driver may use them the same way.
 * All run on the driving thread. */

/* As kr_sim_step, but virtual time jumps at most to `horizon` (a
 * kr_clock_now() value): false when nothing can run before it. */
KR_API bool kr_sim_step_until(kr_time horizon);
/* Runs fn(ctx) on the driving thread when virtual time reaches `at` (a
 * kr_clock_now() value), as one scheduling choice among the others (a timer
 * of no process); drop(ctx) instead (if not NULL) when the run ends first.
 * False when out of memory or not running. */
KR_API bool kr_sim_at(kr_time at, void (*fn)(void *ctx), void (*drop)(void *ctx), void *ctx);
/* Adds an event of the driver's own ("stimulus", "check", ...) to the
 * stream the observer sees: kind, node, process, name, from, to, body and
 * len are taken from e; step, time and the decision are the current ones. */
KR_API void kr_sim_note(const kr_sim_event *e);
/* True while the process named by pid lives (not terminated, not crashed). */
KR_API bool kr_sim_alive(kr_pid pid);
/* A driver's own random stream: seeded from (seed, stream) as the
 * simulator's streams are, so its draws repeat with the seed and never shift
 * the simulator's. */
typedef struct kr_sim_random {
    uint64_t state[4];
} kr_sim_random;
KR_API void kr_sim_random_seed(kr_sim_random *r, uint64_t seed, uint64_t stream);
/* Uniform in [0, n), n > 0. */
KR_API uint64_t kr_sim_random_below(kr_sim_random *r, uint64_t n);

#ifdef __cplusplus
}
#endif
#endif
