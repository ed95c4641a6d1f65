/* The scenario engine's internal model: a YAML scenario file loaded into
 * plain structs (load.c), run for one seed (runner.c), and driven by the
 * kairos command (sim/harness/cli). Everything here is simulator-only. */
#ifndef KAIROS_SCENARIO_INTERNAL_H
#define KAIROS_SCENARIO_INTERNAL_H

#include <kairos/kairos.h>
#include <kairos/scenario.h>
#include <kairos/sim.h>

#include <stdio.h>

#include "grow.h"

/* A position in the scenario file, 1-based, for "file:line:col" errors. */
typedef struct sc_pos {
    int line, col;
} sc_pos;

/* A YAML node kept for actor arguments (kr_sc_args reads these). */
typedef enum { SC_SCALAR, SC_LIST, SC_MAP } sc_kind;
#define SC_INVARIANTS_EVERY_STEP 0
#define SC_INVARIANTS_AT_END UINT64_MAX

typedef struct sc_value {
    sc_kind kind;
    sc_pos pos;
    char *text;               /* SC_SCALAR */
    size_t len;               /* SC_SCALAR: bytes in text (may hold NULs: "\0") */
    size_t n;                 /* SC_LIST items / SC_MAP entries */
    char **keys;              /* SC_MAP */
    sc_pos *key_pos;          /* SC_MAP */
    struct sc_value **items;  /* SC_LIST items or SC_MAP values */
} sc_value;

typedef struct sc_node {
    char *name;    /* as scenarios refer to it */
    char *address; /* "ip:port" */
    sc_pos pos;
    kr_duration start;        /* joins (processes spawned) at this virtual time */
    kr_duration clock_offset; /* its clock (kr_sim_clock_skew) */
    double clock_drift;
    kr_sim_disk disk; /* its disk faults (kr_sim_disk_faults) */
} sc_node;

typedef struct sc_process {
    char *id;   /* process id, unique per node */
    char *type; /* registered actor type */
    size_t node; /* index into nodes */
    sc_value *args; /* mapping or NULL */
    sc_pos pos;
} sc_process;

typedef struct sc_link {
    size_t from, to; /* node indexes */
    kr_sim_net net;
    sc_pos pos;
} sc_link;

/* A scripted stimulus or fault at a virtual time. */
typedef enum {
    SC_POST,      /* post message `name` with `body` to process `target` */
    SC_DISPATCH,  /* dispatch registered action `name` to process `target` */
    SC_HTTP,      /* HTTP request to `node` (method, path, body) */
    SC_PARTITION, /* cut side_a from side_b */
    SC_HEAL,
    SC_CRASH,     /* node */
    SC_RESTART,   /* node */
    SC_CLOG,      /* from_node -> to_node for `duration` */
    SC_POWER_OFF, /* node: a machine crash (unsynced writes at risk) */
    SC_CUT,       /* from_node -> to_node, one way, until a heal */
    SC_PAUSE,     /* node runs nothing for `duration` */
    SC_CLOCK,     /* node's clock: clock_offset, clock_drift (a jump mid-run) */
    SC_DISK,      /* node's disk faults: disk */
} sc_action_kind;

typedef struct sc_action {
    sc_action_kind kind;
    kr_duration at;
    sc_pos pos;
    size_t target;     /* SC_POST, SC_DISPATCH: process index */
    char *name;        /* message or action name */
    char *body;        /* SC_POST, SC_HTTP body (may be NULL) */
    size_t body_len;
    size_t node;       /* SC_HTTP, SC_CRASH, SC_RESTART */
    char *method, *path; /* SC_HTTP */
    size_t *side_a, *side_b; /* SC_PARTITION: node indexes */
    size_t na, nb;
    size_t from_node, to_node; /* SC_CLOG, SC_CUT */
    kr_duration duration;      /* SC_CLOG, SC_PAUSE */
    kr_duration clock_offset;  /* SC_CLOCK */
    double clock_drift;        /* SC_CLOCK */
    kr_sim_disk disk;          /* SC_DISK */
} sc_action;

/* Faults drawn from the seed: every [every_min, every_max] of virtual time
 * until `until`, one of the enabled kinds, healed/restarted after
 * [heal_min, heal_max]. */
typedef struct sc_random_faults {
    bool enabled;
    kr_duration every_min, every_max, until, heal_min, heal_max;
    bool partition, crash, clog, power_off;
    bool restart;          /* crashed/powered-off nodes come back (default) */
    bool *nodes;           /* n_nodes flags: the nodes faults may hit; NULL = all */
    sc_pos pos;
} sc_random_faults;

typedef enum {
    SC_EXPECT_DELIVERED, /* message `name` delivered at least `at_least` times */
    SC_EXPECT_QUIESCENT, /* nothing runnable, no message in flight at the end */
    SC_EXPECT_HTTP,      /* `node` answers method path with status (and body) */
    SC_EXPECT_INVARIANT, /* invariant `name` holds at the end */
    SC_EXPECT_PROBE,     /* probe `name` hit at least `at_least` times (per run) */
} sc_expect_kind;

typedef struct sc_expect {
    sc_expect_kind kind;
    sc_pos pos;
    char *name;
    int64_t at_least;
    size_t node;
    char *method, *path, *body;
    int status;
} sc_expect;

typedef struct scenario {
    char *file; /* as given on the command line */
    char *name, *description;
    sc_node *nodes;
    size_t n_nodes;
    sc_process *procs;
    size_t n_procs;
    kr_sim_net net;
    sc_link *links;
    size_t n_links;
    sc_action *actions; /* sorted by `at`, file order among equal times */
    size_t n_actions;
    sc_random_faults random_faults;
    char **invariants; /* checked as invariants_every says */
    /* SC_INVARIANTS_EVERY_STEP (0), every N steps (and at faults and the
     * end), or SC_INVARIANTS_AT_END (at faults and the end only). */
    uint64_t invariants_every;
    sc_pos *invariant_pos;
    size_t n_invariants;
    sc_expect *expects; /* checked at the end */
    size_t n_expects;
    /* Liveness: after the last fault, invariant `liveness_check` must
     * become true within `liveness_within`. */
    char *liveness_check;
    kr_duration liveness_within;
    sc_pos liveness_pos;
    char **require_probes; /* across a sweep, each must be hit at least once */
    size_t n_require_probes;
    kr_duration time_limit; /* virtual; default 60s */
    uint64_t step_limit;    /* default 1,000,000 */
    /* Real-machine limits on one seed's run in a sweep worker (never read
     * by the simulation, so they cannot change a trace): wall-clock time,
     * default 60s, 0 = none; resident memory in bytes, default 0 = none. */
    kr_duration wall_limit;
    uint64_t memory_limit;
    kr_duration event_cost_max; /* seeded per-event cost in virtual time; 0 = none */
    uint64_t seed_first, seed_last; /* default sweep range */
    char strategy[16];
    int pct_depth;
    uint64_t pct_steps; /* PCT's k; 0 = measured by a calibration pass */
    bool swarm;         /* run: swarm: each seed draws its fault configuration */
    sc_value *root; /* owns every sc_value */
} scenario;

/* The entry points below are exported (KR_API) for the tests and the fuzz
 * target; they are not part of the public API. */

/* load.c (with yaml_tree.c, value.c, schema.c, sections.c): parses and validates `path`. On error returns KR_EFORMAT (or
 * KR_EIO/KR_ENOMEM) with err = "file:line:col: message". Actor types,
 * invariants and actions must be registered before loading (they are
 * checked). */
KR_API int kr__sc_load(const char *path, scenario **out, char *err, size_t err_len);
KR_API void kr__sc_free(scenario *s);

/* registry.c */
typedef struct sc_type {
    char *name, *help;
    kr_actor_new_fn make;
} sc_type;
const sc_type *kr__sc_type(const char *name);
kr_fn kr__sc_action(const char *type, const char *action);
kr_invariant_fn kr__sc_invariant(const char *name);
/* Lists registered types and invariants (for --help / kairos types). */
KR_API void kr__sc_registry_print(FILE *out);
KR_API void kr__sc_builtins_register(void); /* idempotent */

/* actor_args.c: what kr_sc_* accessors read. The first error wins. */
struct kr_sc_args {
    const scenario *s;
    const sc_process *proc; /* the process being built (kr_sc_require) */
    const sc_value *map; /* the process' args mapping, or NULL */
    char *error;         /* "file:line:col: message" of the first error */
    size_t error_len;
    bool failed;
};
/* Resolves "name" or "name@node" (a scenario process) to its pid. */
int kr__sc_resolve_pid(const scenario *s, const char *ref, kr_pid *out);

/* actor_args.c: kr_sc_count's share of the written counts in the run being
 * built (runner.c sets it from sc_options.workload_percent). */
extern int kr__sc_workload_percent;
/* kr_sc_count calls in the run being built (a run without any has no
 * workload count for shrink to lower). */
extern uint64_t kr__sc_counts_read;

/* swarm.c: a seed's own fault configuration within the scenario's bounds. */
typedef struct sc_swarm {
    sc_random_faults faults; /* the scenario's, kinds and timings drawn */
    kr_sim_net net;          /* the global network, rates and spread drawn */
    kr_duration event_cost_max;
} sc_swarm;
void kr__sc_swarm_draw(const scenario *s, uint64_t seed, sc_swarm *out);
void kr__sc_swarm_json(FILE *f, const sc_swarm *w); /* one JSON object */

/* runner.c: one run of a scenario under one seed. */
typedef struct sc_decision {
    uint32_t options, chosen;
} sc_decision;

/* A loss, a copy or a slow delivery placed on the send-th message between
 * nodes (kr_sim_message_fault). */
typedef struct sc_message_fault {
    uint64_t send;
    kr_sim_message_fault_kind kind;
} sc_message_fault;
#define SC_MESSAGE_FAULTS_MAX 64

typedef struct sc_options {
    uint64_t seed;
    const char *strategy; /* NULL = the scenario's */
    int pct_depth;        /* 0 = the scenario's */
    uint64_t pct_steps;   /* PCT's k; 0 = the runtime's default */
    bool swarm;           /* draw the fault configuration from the seed (or s->swarm) */
    int workload_percent; /* kr_sc_count's share, 1..100; 0 = 100 (shrink lowers it) */
    const char *trace_path; /* write a JSON Lines trace here (NULL: none) */
    FILE *log;              /* verbose event log (replay), or NULL */
    /* Follow these decisions first (replay/shrink), then the strategy;
     * schedule_ids (NULL: none) names each one's entity, for loose ones. */
    const sc_decision *schedule;
    const uint64_t *schedule_ids;
    size_t schedule_len;
    bool record_ids; /* fill sc_result.decision_ids (shrink; costs ~5% per step) */
    /* Workload edits (kairos shrink; recorded in the trace header, so a
     * shrunk run replays by itself). Zeroed: the scenario as written. */
    const bool *skip_actions;      /* n_actions long: scripted actions left out */
    const kr_duration *action_at;  /* n_actions long: their times; NULL: as written */
    bool no_random_faults;         /* the seed's random faults left out */
    /* The seed's planned random faults (kr__sc_random_plan's entries): */
    const bool *skip_random;       /* n_random long: entries left out; NULL: none */
    const kr_duration *random_at;  /* n_random long: their times; NULL: as drawn */
    size_t n_random;
    /* The network's drop and duplicate rates (global and per link) scaled
     * to a percentage of the scenario's (or swarm's) when rates_scaled. */
    bool rates_scaled;
    int drop_percent, duplicate_percent; /* 0..100 */
    /* Network faults placed on given sends (kr_sim_message_fault). */
    const sc_message_fault *message_faults;
    size_t n_message_faults;
} sc_options;

/* A planned random fault (runner.c's plan for one seed): its kind and time;
 * an undo (heal, restart) directly follows the fault it undoes. */
typedef struct sc_planned {
    sc_action_kind kind;
    kr_duration at;
} sc_planned;
/* The random faults a run under `o` (its seed and swarm) plans, in plan
 * order: up to `max` written to `out`; returns how many there are. */
KR_API size_t kr__sc_random_plan(const scenario *s, const sc_options *o, sc_planned *out,
                                 size_t max);

typedef enum {
    SC_PASS = 0,
    SC_FAIL = 1,  /* a check failed (or a limit was hit, or liveness) */
    SC_ERROR = 2, /* the scenario could not run (bad actor arguments) */
} sc_status;

#define SC_PROBES_MAX 64
/* The simulator's fault events a run counts (trace kinds, sim/TRACE.md):
 * a sweep shows how often each struck and in how many seeds. */
#define SC_FAULT_KINDS 12
extern const char *const kr__sc_fault_kinds[SC_FAULT_KINDS];
typedef struct sc_result {
    sc_status status;
    uint64_t seed, hash, steps;
    kr_duration time;      /* virtual time at the end */
    char failure[512];     /* what failed, with its details */
    char signature[160];   /* check name + context, for grouping */
    uint64_t fail_step;
    kr_duration fail_time;
    uint64_t events;       /* events served */
    size_t n_probes;
    char *probe_names[SC_PROBES_MAX]; /* owned by the result */
    uint64_t faults[SC_FAULT_KINDS];  /* events of kr__sc_fault_kinds[k] */
    uint64_t probe_hits[SC_PROBES_MAX];
    uint64_t counts_read;   /* kr_sc_count calls while building processes */
    sc_decision *decisions; /* the run's whole schedule, owned */
    uint64_t *decision_ids; /* each decision's entity (kr_sim_decision_ids; 0s unless
                               sc_options.record_ids), owned */
    size_t n_decisions;
    char trace_error[512]; /* the trace could not be written: why ("" = fine) */
} sc_result;

KR_API int kr__sc_run(const scenario *s, const sc_options *o, sc_result *r);
/* Builds every process of the scenario once, as a run does (same runtime
 * set-up, same constructors, same argument checks), spawns none and runs
 * nothing: `kairos check` finds the bad actor arguments a run would. 0, or
 * KR_EINVAL with err = "file:line:col: message" (or another KR_E* code). */
KR_API int kr__sc_check_args(const scenario *s, char *err, size_t err_len);
KR_API void kr__sc_result_free(sc_result *r);

/* jsonl_trace.c: JSON Lines (sim/TRACE.md). */
typedef struct sc_trace sc_trace;
/* Opens the trace through kr__out_open (out_file.h); NULL with the reason
 * in err. */
sc_trace *kr__sc_trace_open(const char *path, const scenario *s, const sc_options *o, char *err,
                           size_t err_len);
void kr__sc_trace_event(sc_trace *t, const kr_sim_event *e);
/* Writes the closing records (result, schedule) and commits the file;
 * KR_EIO with the reason in err when any of it could not be written. */
int kr__sc_trace_close(sc_trace *t, const sc_result *r, char *err, size_t err_len);
/* Reads a trace's header and schedule for replay/shrink. */
typedef struct sc_trace_edit {
    size_t index;
    kr_duration at;
} sc_trace_edit;
typedef struct sc_trace_info {
    char scenario[1024];      /* as given to the run */
    char scenario_path[1024]; /* absolute, or "" (older traces) */
    uint64_t seed;
    char strategy[16];
    int pct_depth;
    uint64_t pct_steps; /* 0: not recorded */
    bool swarm;         /* the run drew its fault configuration (swarm) */
    int workload_percent; /* 0: not recorded (100) */
    uint64_t hash;
    bool *skip_actions; /* owned; n_actions long or NULL */
    size_t n_skip;
    bool no_random_faults;
    /* Shrink's other edits, as recorded (owned; NULL/0: none): moved
     * scripted actions, left-out and moved planned random faults. */
    sc_trace_edit *action_at, *random_at;
    size_t n_action_at, n_random_at;
    size_t *skip_random;
    size_t n_skip_random;
    bool rates_scaled;
    int drop_percent, duplicate_percent;
    sc_message_fault *message_faults;
    size_t n_message_faults;
    sc_decision *schedule; /* owned */
    size_t schedule_len;
} sc_trace_info;
KR_API int kr__sc_trace_read(const char *path, sc_trace_info *out, char *err, size_t err_len);
KR_API void kr__sc_trace_info_free(sc_trace_info *t);
/* "lost", "duplicated", "slow": a message fault's name in traces. */
const char *kr__sc_message_fault_name(kr_sim_message_fault_kind kind);
/* JSON string escaping, for hand-written JSON (tested). */
KR_API void kr__json_escape(FILE *out, const char *s, size_t len);

#endif
