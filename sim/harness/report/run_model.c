/* Loads a run trace (sim/TRACE.md) into the report model. */
#include "run_model.h"

#include "grow.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Room for one more item in arr (n used of cap), through the harness' one
 * grow helper; KR_ENOMEM when out of memory. */
#define GROW(arr, n, cap)                                                                  \
    ((n) < (cap) ? 0 : grow((void **)&(arr), &(cap), (n), sizeof *(arr)))

static int grow(void **arr, size_t *cap, size_t n, size_t size)
{
    void *p = kr__sc_grow(*arr, cap, n, size, 16);
    if (!p)
        return KR_ENOMEM;
    *arr = p;
    return 0;
}

/* ---- interned strings ------------------------------------------------------ */

static uint64_t hash_bytes(const char *s, size_t len)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)s[i]) * 0x100000001b3ull;
    return h;
}

static int rehash(rp_strs *t)
{
    size_t n = t->nslots ? t->nslots * 2 : 256;
    int *slots = calloc(n, sizeof *slots);
    if (!slots)
        return KR_ENOMEM;
    for (size_t i = 0; i < t->n; i++) {
        size_t j = hash_bytes(t->s[i], t->len[i]) & (n - 1);
        while (slots[j])
            j = (j + 1) & (n - 1);
        slots[j] = (int)i + 1;
    }
    free(t->slots);
    t->slots = slots;
    t->nslots = n;
    return 0;
}

/* Returns the index of s, adding it when new; -1 when out of memory. */
int kr__rp_intern(rp_strs *t, const char *s, size_t len)
{
    if ((t->n + 1) * 2 > t->nslots && rehash(t))
        return -1;
    size_t j = hash_bytes(s, len) & (t->nslots - 1);
    for (; t->slots[j]; j = (j + 1) & (t->nslots - 1)) {
        int i = t->slots[j] - 1;
        if (t->len[i] == len && memcmp(t->s[i], s, len) == 0)
            return i;
    }
    if (t->n == t->cap) {
        /* Parallel arrays: the capacity counts once both have it. */
        size_t c1 = t->cap, c2 = t->cap;
        if (grow((void **)&t->s, &c1, t->n, sizeof *t->s) ||
            grow((void **)&t->len, &c2, t->n, sizeof *t->len))
            return -1;
        t->cap = c1 < c2 ? c1 : c2;
    }
    char *copy = malloc(len + 1);
    if (!copy)
        return -1;
    memcpy(copy, s, len);
    copy[len] = '\0';
    t->s[t->n] = copy;
    t->len[t->n] = len;
    t->slots[j] = (int)t->n + 1;
    return (int)t->n++;
}

static void strs_free(rp_strs *t)
{
    for (size_t i = 0; i < t->n; i++)
        free(t->s[i]);
    free(t->s);
    free(t->len);
    free(t->slots);
    memset(t, 0, sizeof *t);
}

/* ---- loader state ----------------------------------------------------------- */

typedef struct rp_queue {
    long *items;
    size_t head, n, cap;
} rp_queue;

typedef struct loader {
    rp_run *r;
    rp_strs keys;          /* lane keys and message keys */
    int *key_lane;         /* keys index -> lane + 1 */
    rp_queue *sent;        /* keys index -> sends not yet delivered/dropped */
    rp_queue *arrived;     /* keys index -> deliveries not yet handled */
    size_t key_cap;
    int k_sim_partition, k_heal, k_crash, k_restart, k_clog;
    const char *path;
    long line;
    char *err;
    size_t err_len;
} loader;

static int key_reserve(loader *L)
{
    if (L->keys.n < L->key_cap)
        return 0;
    /* Three parallel arrays: the capacity counts once all have it. */
    size_t old = L->key_cap, c1 = old, c2 = old, c3 = old, n = L->keys.n;
    if (grow((void **)&L->key_lane, &c1, n, sizeof *L->key_lane) ||
        grow((void **)&L->sent, &c2, n, sizeof *L->sent) ||
        grow((void **)&L->arrived, &c3, n, sizeof *L->arrived))
        return KR_ENOMEM;
    size_t ncap = c1 < c2 ? (c1 < c3 ? c1 : c3) : (c2 < c3 ? c2 : c3);
    memset(L->key_lane + old, 0, (ncap - old) * sizeof *L->key_lane);
    memset(L->sent + old, 0, (ncap - old) * sizeof *L->sent);
    memset(L->arrived + old, 0, (ncap - old) * sizeof *L->arrived);
    L->key_cap = ncap;
    return 0;
}

/* Interns a key made of up to three strings joined by 0x1f. */
static int key3(loader *L, const char *a, const char *b, const char *c)
{
    size_t la = strlen(a), lb = strlen(b), lc = c ? strlen(c) : 0;
    char *k = malloc(la + lb + lc + 3);
    if (!k)
        return -1;
    memcpy(k, a, la);
    k[la] = 0x1f;
    memcpy(k + la + 1, b, lb);
    size_t n = la + 1 + lb;
    if (c) {
        k[n++] = 0x1f;
        memcpy(k + n, c, lc);
        n += lc;
    }
    int i = key_reserve(L) ? -1 : kr__rp_intern(&L->keys, k, n);
    free(k);
    return i >= 0 && key_reserve(L) ? -1 : i;
}

static int q_push(rp_queue *q, long v)
{
    if (q->head > 0 && q->head == q->n) /* drained: reuse from the start */
        q->head = q->n = 0;
    if (GROW(q->items, q->n, q->cap))
        return KR_ENOMEM;
    q->items[q->n++] = v;
    return 0;
}

static long q_pop(rp_queue *q)
{
    return q->head < q->n ? q->items[q->head++] : -1;
}

static int fail(loader *L, int code, const char *why)
{
    kr__rp_err(L->err, L->err_len, "%s:%ld: %s", L->path, L->line, why);
    return code;
}

/* ---- nodes and lanes ------------------------------------------------------- */

static const char *S(const rp_run *r, int i) { return i >= 0 ? r->str.s[i] : ""; }

static int node_by_addr(rp_run *r, int addr, int name)
{
    for (size_t i = 0; i < r->n_nodes; i++)
        if (r->node_addr[i] == addr)
            return (int)i;
    size_t cap = r->cap_nodes;
    if (GROW(r->node_addr, r->n_nodes, cap) || GROW(r->node_name, r->n_nodes, r->cap_nodes))
        return -1;
    r->node_addr[r->n_nodes] = addr;
    r->node_name[r->n_nodes] = name >= 0 ? name : addr;
    return (int)r->n_nodes++;
}

static int node_by_name(const rp_run *r, int name)
{
    for (size_t i = 0; i < r->n_nodes; i++)
        if (r->node_name[i] == name)
            return (int)i;
    return -1;
}

static int lane_add(rp_run *r, int node, int process, int type)
{
    if (GROW(r->lanes, r->n_lanes, r->cap_lanes))
        return -1;
    r->lanes[r->n_lanes] = (rp_lane){.node = node, .process = process, .type = type,
                                     .last_ev = -1};
    return (int)r->n_lanes++;
}

/* The lane of process `id` on the node at address `addr` (both strings),
 * created when new. -1 when out of memory or either is empty. */
static int lane_get(loader *L, const char *addr, const char *id, int type)
{
    rp_run *r = L->r;
    if (!*addr || !*id)
        return -1;
    int k = key3(L, addr, id, NULL);
    if (k < 0)
        return -1;
    if (L->key_lane[k])
        return L->key_lane[k] - 1;
    int a = kr__rp_intern(&r->str, addr, strlen(addr));
    int p = kr__rp_intern(&r->str, id, strlen(id));
    int node = a >= 0 && p >= 0 ? node_by_addr(r, a, -1) : -1;
    int lane = node >= 0 ? lane_add(r, node, p, type) : -1;
    if (lane >= 0)
        L->key_lane[k] = lane + 1;
    return lane;
}

/* "id@ip:port" -> lane; -1 when not a pid. */
static int lane_of_pid(loader *L, const char *pid)
{
    const char *at = strrchr(pid, '@');
    if (!at || at == pid)
        return -1;
    char id[256];
    size_t n = (size_t)(at - pid);
    if (n >= sizeof id)
        return -1;
    memcpy(id, pid, n);
    id[n] = '\0';
    return lane_get(L, at + 1, id, -1);
}

static const char *pid_addr(const char *pid)
{
    const char *at = strrchr(pid, '@');
    return at ? at + 1 : "";
}

/* A process id without a node (check events): the only lane with that id. */
static int lane_by_process(const rp_run *r, const char *id)
{
    int found = -1;
    for (size_t i = 1; i < r->n_lanes; i++) {
        if (strcmp(S(r, r->lanes[i].process), id) == 0) {
            if (found >= 0)
                return found; /* ambiguous: the first */
            found = (int)i;
        }
    }
    return found;
}

/* ---- header ------------------------------------------------------------------ */

static int str_field(rp_run *r, json_t *o, const char *key, bool unlatin)
{
    json_t *v = json_object_get(o, key);
    if (!json_is_string(v))
        return -1;
    size_t len = json_string_length(v);
    char *copy = malloc(len + 1);
    if (!copy)
        return -2;
    memcpy(copy, json_string_value(v), len);
    copy[len] = '\0';
    if (unlatin)
        len = kr__rp_unlatin(copy, len);
    int i = kr__rp_intern(&r->str, copy, len);
    free(copy);
    return i < 0 ? -2 : i;
}

static int load_header(loader *L, json_t *h)
{
    rp_run *r = L->r;
    json_t *nodes = json_object_get(h, "nodes"), *procs = json_object_get(h, "processes");
    size_t i;
    json_t *v;
    json_array_foreach(nodes, i, v)
    {
        int name = str_field(r, v, "name", true), addr = str_field(r, v, "address", true);
        if (name < -1 || addr < -1)
            return KR_ENOMEM;
        if (addr >= 0 && node_by_addr(r, addr, name) < 0)
            return KR_ENOMEM;
    }
    json_array_foreach(procs, i, v)
    {
        int id = str_field(r, v, "id", true), type = str_field(r, v, "type", true);
        int node_name = str_field(r, v, "node", true);
        if (id < -1 || type < -1 || node_name < -1)
            return KR_ENOMEM;
        int node = node_name >= 0 ? node_by_name(r, node_name) : -1;
        if (id < 0 || node < 0)
            continue;
        if (lane_get(L, S(r, r->node_addr[node]), S(r, id), type) < 0)
            return KR_ENOMEM;
    }
    r->header = json_incref(h);
    return 0;
}

/* ---- events ----------------------------------------------------------------- */

static int64_t int_field(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_integer(v) ? (int64_t)json_integer_value(v) : 0;
}

static bool is_kind(const rp_run *r, const rp_event *e, const char *k)
{
    return strcmp(S(r, e->kind), k) == 0;
}

static int arrow(rp_run *r, long a, long b, int la, int lb, rp_arrow_kind kind)
{
    if (la < 0 || lb < 0)
        return 0;
    if (GROW(r->ar, r->n_ar, r->cap_ar))
        return KR_ENOMEM;
    r->ar[r->n_ar++] = (rp_arrow){.a = a, .b = b, .la = la, .lb = lb, .kind = kind};
    return 0;
}

static int msg_key(loader *L, const rp_event *e)
{
    const rp_run *r = L->r;
    return key3(L, S(r, e->from), S(r, e->to), S(r, e->name));
}

static const char *lane_addr(const rp_run *r, int lane)
{
    return lane > 0 ? S(r, r->node_addr[r->lanes[lane].node]) : "";
}

/* send/duplicate/deliver/drop: the network keeps FIFO order per link, so a
 * deliver (or a drop at the receiver) matches the oldest pending send of
 * the same sender, receiver and name. */
static int net_event(loader *L, long i)
{
    rp_run *r = L->r;
    rp_event *e = &r->ev[i];
    int k = msg_key(L, e);
    if (k < 0)
        return KR_ENOMEM;
    if (is_kind(r, e, "send") || is_kind(r, e, "duplicate"))
        return q_push(&L->sent[k], i);
    bool drop = is_kind(r, e, "drop");
    bool at_receiver = !drop || strcmp(lane_addr(r, e->lane), pid_addr(S(r, e->to))) == 0;
    long src = at_receiver ? q_pop(&L->sent[k]) : -1;
    if (src < 0 && drop) /* dropped when sent: a stub towards the receiver */
        return arrow(r, -1, i, e->lane, lane_of_pid(L, S(r, e->to)), RP_AR_DROP);
    if (src < 0)
        return 0;
    rp_arrow_kind kind = drop ? RP_AR_DROP
                         : is_kind(r, &r->ev[src], "duplicate") ? RP_AR_DUP
                                                                : RP_AR_NET;
    if (!drop && q_push(&L->arrived[k], i))
        return KR_ENOMEM;
    return arrow(r, src, i, r->ev[src].lane, e->lane, kind);
}

/* A handled event with a sender: an arrow unless it came over the network. */
static int from_event(loader *L, long i)
{
    rp_run *r = L->r;
    rp_event *e = &r->ev[i];
    if (is_kind(r, e, "stimulus"))
        return arrow(r, -1, i, 0, e->lane, RP_AR_STIMULUS);
    if (e->from < 0 || !*S(r, e->from))
        return 0;
    int k = msg_key(L, e);
    if (k < 0)
        return KR_ENOMEM;
    if (q_pop(&L->arrived[k]) >= 0)
        return 0; /* the deliver arrow shows it */
    int from_lane = lane_of_pid(L, S(r, e->from));
    if (from_lane < 0 || from_lane == e->lane)
        return 0;
    rp_arrow_kind kind = is_kind(r, e, "exited") ? RP_AR_EXITED : RP_AR_LOCAL;
    return arrow(r, r->lanes[from_lane].last_ev, i, from_lane, e->lane, kind);
}

/* Events without a node and process (timers, partitions, heal, some
 * checks) go to the simulator lane 0. */
static int event_lane(loader *L, const char *node, const char *process)
{
    if (*process && *node)
        return lane_get(L, node, process, -1);
    int lane = *process ? lane_by_process(L->r, process) : -1;
    return lane >= 0 ? lane : 0;
}

static int fault_add(rp_run *r, long ev)
{
    if (GROW(r->faults, r->n_faults, r->cap_faults))
        return KR_ENOMEM;
    r->faults[r->n_faults++] = (rp_fault){.ev = ev, .end_ev = -1};
    return 0;
}

static int fault_node(rp_fault *f, int node)
{
    if (node < 0)
        return 0;
    for (size_t i = 0; i < f->n_nodes; i++)
        if (f->nodes[i] == node)
            return 0;
    if (GROW(f->nodes, f->n_nodes, f->cap_nodes))
        return KR_ENOMEM;
    f->nodes[f->n_nodes++] = node;
    return 0;
}

static int node_of_addr_str(const rp_run *r, const char *addr)
{
    for (size_t i = 0; i < r->n_nodes; i++)
        if (strcmp(S(r, r->node_addr[i]), addr) == 0)
            return (int)i;
    return -1;
}

/* Partition details may name nodes ("bank,teller1|teller2") or not ("2|1
 * nodes"): the named ones are affected, else every lane. */
static int partition_nodes(rp_run *r, rp_fault *f, const char *detail)
{
    char tok[256];
    size_t n = 0;
    for (const char *p = detail;; p++) {
        bool word = *p && (strchr("._:-", *p) || (*p >= '0' && *p <= '9') ||
                           ((*p | 0x20) >= 'a' && (*p | 0x20) <= 'z'));
        if (word && n + 1 < sizeof tok) {
            tok[n++] = *p;
            continue;
        }
        tok[n] = '\0';
        int node = n ? node_of_addr_str(r, tok) : -1;
        for (size_t i = 0; n && node < 0 && i < r->n_nodes; i++)
            if (strcmp(S(r, r->node_name[i]), tok) == 0)
                node = (int)i;
        if (fault_node(f, node))
            return KR_ENOMEM;
        n = 0;
        if (!*p)
            return 0;
    }
}

/* The newest open fault of kind `start` (on `node`, or any when -1). */
static rp_fault *open_fault(rp_run *r, const char *start, int node)
{
    for (size_t i = r->n_faults; i-- > 0;) {
        rp_fault *f = &r->faults[i];
        if (f->end_ev >= 0 || !is_kind(r, &r->ev[f->ev], start))
            continue;
        if (node < 0 || (f->n_nodes == 1 && f->nodes[0] == node))
            return f;
    }
    return NULL;
}

static int fault_event(rp_run *r, long i, const char *node, const char *detail)
{
    rp_event *e = &r->ev[i];
    int nd = node_of_addr_str(r, node);
    if (is_kind(r, e, "heal") || is_kind(r, e, "restart")) {
        bool heal = is_kind(r, e, "heal");
        for (rp_fault *f; (f = open_fault(r, heal ? "partition" : "crash", heal ? -1 : nd));)
            f->end_ev = i;
        /* A restart also ends a power-off; a heal also ends one-way cuts. */
        for (rp_fault *f; (f = open_fault(r, heal ? "cut" : "power-off", heal ? -1 : nd));)
            f->end_ev = i;
    }
    if (is_kind(r, e, "resume"))
        for (rp_fault *f; (f = open_fault(r, "pause", nd));)
            f->end_ev = i;
    if (fault_add(r, i))
        return KR_ENOMEM;
    rp_fault *f = &r->faults[r->n_faults - 1];
    if (is_kind(r, e, "partition"))
        return partition_nodes(r, f, detail);
    if (is_kind(r, e, "clog") || is_kind(r, e, "cut")) /* from, then to */
        return fault_node(f, nd) ? KR_ENOMEM : fault_node(f, node_of_addr_str(r, detail));
    if (nd < 0 && (is_kind(r, e, "crash") || is_kind(r, e, "power-off") || is_kind(r, e, "restart")) &&
        e->lane > 0)
        nd = r->lanes[e->lane].node;
    return fault_node(f, nd);
}

static bool is_fault_kind(const char *k)
{
    /* The simulator's own faults; disk events (write, sync, write-lost,
     * ...) carry their process and stay in its lane. */
    static const char *const kinds[] = {"partition", "heal",  "crash", "restart", "clog",
                                        "power-off", "cut",   "pause", "resume",  "clock"};
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (strcmp(k, kinds[i]) == 0)
            return true;
    return false;
}

static int pid_field(loader *L, json_t *o, const char *key)
{
    int i = str_field(L->r, o, key, true);
    return i;
}

static int load_event(loader *L, json_t *o)
{
    rp_run *r = L->r;
    if (GROW(r->ev, r->n_ev, r->cap_ev))
        return KR_ENOMEM;
    rp_event e = {.step = (uint64_t)int_field(o, "step"), .time = int_field(o, "time"),
                  .len = (uint64_t)int_field(o, "len"),
                  .options = (uint32_t)int_field(o, "options"),
                  .chosen = (uint32_t)int_field(o, "chosen")};
    e.kind = str_field(r, o, "kind", false);
    e.name = str_field(r, o, "name", true);
    e.from = pid_field(L, o, "from");
    e.to = pid_field(L, o, "to");
    e.preview = str_field(r, o, "preview", false);
    int node = str_field(r, o, "node", true), proc = str_field(r, o, "process", true);
    if (e.kind < -1 || e.name < -1 || e.from < -1 || e.to < -1 || e.preview < -1 ||
        node < -1 || proc < -1)
        return KR_ENOMEM;
    if (e.kind < 0)
        return fail(L, KR_EFORMAT, "event without a \"kind\"");
    const char *kind = S(r, e.kind);
    bool fault = is_fault_kind(kind);
    e.lane = fault ? 0 : event_lane(L, S(r, node), S(r, proc));
    if (e.lane < 0)
        return KR_ENOMEM;
    long i = (long)r->n_ev;
    r->ev[r->n_ev++] = e;
    int rc = 0;
    if (fault)
        rc = fault_event(r, i, S(r, node), S(r, e.name));
    else if (!strcmp(kind, "send") || !strcmp(kind, "deliver") || !strcmp(kind, "drop") ||
             !strcmp(kind, "duplicate"))
        rc = net_event(L, i);
    else
        rc = from_event(L, i);
    if (!strcmp(kind, "check") && r->fail_ev < 0)
        r->fail_ev = i;
    r->lanes[e.lane].last_ev = i;
    return rc;
}

/* ---- the file ----------------------------------------------------------------- */

static int load_line(loader *L, json_t *o)
{
    const char *type = json_string_value(json_object_get(o, "type"));
    if (!type)
        return fail(L, KR_EFORMAT, "a line without a \"type\"");
    if (!strcmp(type, "header")) {
        if (L->r->header || L->r->n_ev)
            return fail(L, KR_EFORMAT, "the header is not the first line");
        return load_header(L, o);
    }
    if (!L->r->header)
        return fail(L, KR_EFORMAT, "missing header line (not a kairos trace?)");
    if (!strcmp(type, "event"))
        return load_event(L, o);
    if (!strcmp(type, "result")) {
        json_decref(L->r->result);
        L->r->result = json_incref(o);
    } else if (!strcmp(type, "schedule")) {
        L->r->schedule_len = json_array_size(json_object_get(o, "decisions"));
    }
    return 0; /* unknown types are skipped (newer writers) */
}

/* No check event but a failed result: highlight the first event of the
 * failing step, or the last event. */
static void find_failure(rp_run *r)
{
    const char *status = json_string_value(json_object_get(r->result, "status"));
    if (r->fail_ev >= 0 || !status || strcmp(status, "fail") != 0 || !r->n_ev)
        return;
    uint64_t step = (uint64_t)int_field(r->result, "fail_step");
    for (size_t i = 0; i < r->n_ev; i++)
        if (r->ev[i].step >= step) {
            r->fail_ev = (long)i;
            return;
        }
    r->fail_ev = (long)r->n_ev - 1;
}

static void loader_free(loader *L)
{
    for (size_t i = 0; i < L->keys.n; i++) {
        free(L->sent[i].items);
        free(L->arrived[i].items);
    }
    free(L->sent);
    free(L->arrived);
    free(L->key_lane);
    strs_free(&L->keys);
}

static int load_lines(loader *L, FILE *in)
{
    char *buf = NULL;
    size_t cap = 0;
    long n;
    int rc = 0;
    while (!rc && (n = kr__rp_getline(in, &buf, &cap)) >= -1) {
        if (n == -1)
            break;
        L->line++;
        if (n == 0)
            continue;
        json_error_t je;
        json_t *o = json_loadb(buf, (size_t)n, JSON_ALLOW_NUL, &je);
        if (!json_is_object(o)) {
            char why[300];
            snprintf(why, sizeof why, "not a JSON object: %s", o ? "" : je.text);
            rc = fail(L, KR_EFORMAT, why);
        } else {
            rc = load_line(L, o);
        }
        json_decref(o);
    }
    if (!rc && n < -1)
        rc = KR_ENOMEM;
    free(buf);
    return rc;
}

int kr__rp_run_load(const char *path, rp_run *r, char *err, size_t err_len)
{
    memset(r, 0, sizeof *r);
    r->fail_ev = -1;
    FILE *in = fopen(path, "rb");
    if (!in) {
        kr__rp_err(err, err_len, "%s: %s", path, strerror(errno));
        return KR_EIO;
    }
    loader L = {.r = r, .path = path, .err = err, .err_len = err_len};
    int rc = lane_add(r, -1, -1, -1) < 0 ? KR_ENOMEM : 0; /* lane 0: the simulator */
    if (!rc)
        rc = load_lines(&L, in);
    if (!rc && !r->header)
        rc = fail(&L, KR_EFORMAT, "empty trace");
    if (rc == KR_ENOMEM)
        kr__rp_err(err, err_len, "%s: out of memory", path);
    fclose(in);
    loader_free(&L);
    if (rc) {
        kr__rp_run_free(r);
        return rc;
    }
    find_failure(r);
    return 0;
}

void kr__rp_run_free(rp_run *r)
{
    json_decref(r->header);
    json_decref(r->result);
    strs_free(&r->str);
    for (size_t i = 0; i < r->n_faults; i++)
        free(r->faults[i].nodes);
    free(r->faults);
    free(r->node_name);
    free(r->node_addr);
    free(r->lanes);
    free(r->ev);
    free(r->ar);
    memset(r, 0, sizeof *r);
    r->fail_ev = -1;
}
