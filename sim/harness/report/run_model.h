/* A run trace loaded for the report: nodes, lanes, events, the arrows
 * between lanes (send->deliver matched per link FIFO, local messages),
 * fault spans and the failure. */
#ifndef KAIROS_SIM_REPORT_RUN_MODEL_H
#define KAIROS_SIM_REPORT_RUN_MODEL_H

#include "report_internal.h"

#include <jansson.h>

typedef struct rp_strs { /* interned strings (may hold NUL bytes) */
    char **s;
    size_t *len;
    size_t n, cap;
    int *slots; /* open addressing: index + 1, 0 = empty */
    size_t nslots;
} rp_strs;

typedef struct rp_lane {
    int node;     /* index into nodes; -1 for the simulator lane (index 0) */
    int process;  /* string index of the process id */
    int type;     /* string index of the actor type, or -1 */
    long last_ev; /* last event on this lane so far, -1 */
} rp_lane;

typedef struct rp_event {
    uint64_t step;
    int64_t time;
    uint64_t len;
    uint32_t options, chosen;
    int kind, lane, name, from, to, preview; /* string indexes; -1: none */
} rp_event;

typedef enum {
    RP_AR_NET,      /* send -> deliver */
    RP_AR_DUP,      /* duplicate -> deliver */
    RP_AR_DROP,     /* send -> drop at the receiver, or dropped at send */
    RP_AR_LOCAL,    /* a message/dispatch between processes of one node */
    RP_AR_EXITED,   /* the ended process -> the linked receiver */
    RP_AR_STIMULUS, /* the scenario -> the target */
    RP_AR_KINDS
} rp_arrow_kind;

typedef struct rp_arrow {
    long a, b; /* source / destination event; a == -1: starts at b's row */
    int la, lb; /* lanes */
    rp_arrow_kind kind;
} rp_arrow;

typedef struct rp_fault {
    long ev, end_ev;  /* the fault event; the event that ends it or -1 */
    int *nodes;       /* affected nodes, NULL = every lane */
    size_t n_nodes, cap_nodes;
} rp_fault;

typedef struct rp_run {
    json_t *header, *result; /* kept as read (NULL when missing) */
    const char *trace_path;  /* the trace it was read from (borrowed) */
    const char *replay_seed, *replay_trace; /* replay commands, or NULL (borrowed) */
    size_t schedule_len;
    rp_strs str;
    int *node_name, *node_addr; /* string indexes */
    size_t n_nodes, cap_nodes;
    rp_lane *lanes;
    size_t n_lanes, cap_lanes;
    rp_event *ev;
    size_t n_ev, cap_ev;
    rp_arrow *ar;
    size_t n_ar, cap_ar;
    rp_fault *faults;
    size_t n_faults, cap_faults;
    long fail_ev; /* the highlighted failure's event, -1 */
} rp_run;

int kr__rp_intern(rp_strs *t, const char *s, size_t len);
int kr__rp_run_load(const char *path, rp_run *r, char *err, size_t err_len);
void kr__rp_run_free(rp_run *r);
/* Writes the report data as one JSON object (script-safe). */
void kr__rp_run_write_data(FILE *out, const rp_run *r);

#endif
