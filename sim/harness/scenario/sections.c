/* The scenario's schema: one table per mapping of scenarios/FORMAT.md, and
 * the few values that need code (node names and addresses, links, seeds).
 * The tables are read by schema.c; the script and the expectations live in
 * script.c.
 *
 * Adding a key: one row in its section's table (the struct member it fills,
 * its type, SC_REQUIRED if it must be there) and its line in FORMAT.md; a
 * default goes into the section's defaults below. */
#include "load_internal.h"

#include <kairos/parse.h>

#include <stdlib.h>
#include <string.h>

/* Defaults (FORMAT.md). */
#define SC_DEF_TIME KR_SEC(60)
#define SC_DEF_WALL KR_SEC(60) /* real time for one seed in a sweep worker */
#define SC_DEF_STEPS 1000000u
#define SC_DEF_SEED_FIRST 1u
#define SC_DEF_SEED_LAST 1000u
#define SC_DEF_PCT_DEPTH 3

/* latency / drop / duplicate: of the whole network and of one link. */
#define SC_NET_ROWS(T, m)                                                       \
    SC_ROW2("latency", SC_T_RANGE, T, m.latency_min, m.latency_max),            \
    SC_ROW("drop", SC_T_PROB, T, m.drop), SC_ROW("duplicate", SC_T_PROB, T, m.duplicate)

/* ---- nodes --------------------------------------------------------------------- */

/* Scenarios refer to nodes by name only (as kr_sc_pid's "id@node" does). */
static bool node_named(const scenario *s, const char *name, size_t *index)
{
    for (size_t i = 0; i < s->n_nodes; i++)
        if (s->nodes[i].name && strcmp(s->nodes[i].name, name) == 0) {
            *index = i;
            return true;
        }
    return false;
}

int kr__sc_get_node_ref(sc_load *l, const sc_value *v, const char *what, size_t *index)
{
    int rc = kr__sc_want_text(l, v, what);
    if (rc)
        return rc;
    if (!node_named(l->s, v->text, index))
        return kr__sc_fail(l, v->pos, "%s: no node named '%.64s'", what, v->text);
    return 0;
}

static size_t node_index(const sc_load *l, const sc_node *n) { return (size_t)(n - l->s->nodes); }

static int read_node_name(sc_load *l, const sc_value *v, void *base, const sc_field *f)
{
    sc_node *n = base;
    int rc = kr__sc_want_name(l, v, "node name");
    if (!rc)
        rc = kr__sc_get_text(l, v, "node name", &n->name);
    for (size_t i = 0; !rc && i < node_index(l, n); i++)
        if (strcmp(l->s->nodes[i].name, n->name) == 0)
            return kr__sc_fail(l, v->pos, "duplicate node name '%s' (first at %d:%d)", n->name,
                               l->s->nodes[i].pos.line, l->s->nodes[i].pos.col);
    return rc;
}

/* An IPv4 octet or a port: decimal digits only, at most `digits` of them;
 * a value past 99999 reads as 99999 (out of range either way). */
static bool read_number(const char **t, int digits, unsigned *out)
{
    unsigned x = 0;
    int n = 0;
    for (; **t >= '0' && **t <= '9'; (*t)++, n++) {
        if (n == digits)
            return false;
        x = x > 9999 ? 99999 : x * 10 + (unsigned)(**t - '0');
    }
    *out = x;
    return n > 0;
}

/* "ip:port" with a dotted-quad ip and a port 1..65535, canonical form out. */
static int read_address(sc_load *l, const sc_value *v, void *base, const sc_field *f)
{
    sc_node *n = base;
    int rc = kr__sc_want_text(l, v, "address");
    if (rc)
        return rc;
    const char *t = v->text;
    unsigned octet[4], port;
    for (int i = 0; i < 4; i++) {
        if ((i > 0 && *t++ != '.') || !read_number(&t, 3, &octet[i]))
            goto bad;
        if (octet[i] > 255)
            return kr__sc_fail(l, v->pos, "address '%.64s': %u is not an IPv4 octet (0..255)",
                               v->text, octet[i]);
    }
    if (*t++ != ':' || !read_number(&t, 64, &port) || *t != '\0')
        goto bad;
    if (port < 1 || port > 65535)
        return kr__sc_fail(l, v->pos, "address '%.64s': port out of range 1..65535", v->text);
    char buf[32];
    snprintf(buf, sizeof buf, "%u.%u.%u.%u:%u", octet[0], octet[1], octet[2], octet[3], port);
    for (size_t i = 0; i < node_index(l, n); i++)
        if (l->s->nodes[i].address && strcmp(l->s->nodes[i].address, buf) == 0)
            return kr__sc_fail(l, v->pos, "duplicate address %s (node '%s' has it)", buf,
                               l->s->nodes[i].name);
    n->address = kr__sc_dup_n(buf, strlen(buf));
    return n->address ? 0 : kr__sc_fail_nomem(l);
bad:
    return kr__sc_fail(l, v->pos, "address '%.64s' is not ip:port (e.g. 10.0.0.1:5050)", v->text);
}

/* ---- processes ------------------------------------------------------------------ */

static int read_type(sc_load *l, const sc_value *v, void *base, const sc_field *f)
{
    sc_process *p = base;
    int rc = kr__sc_get_text(l, v, "process type", &p->type);
    if (!rc && !kr__sc_type(p->type))
        return kr__sc_fail(l, v->pos, "unknown actor type '%.64s' (`kairos types` lists them)",
                           p->type);
    return rc;
}

static int read_args(sc_load *l, const sc_value *v, void *base, const sc_field *f)
{
    int rc = kr__sc_want(l, v, SC_MAP, "args");
    if (!rc)
        ((sc_process *)base)->args = (sc_value *)v; /* owned by the tree (s->root) */
    return rc;
}

/* A process id is unique on its node. */
static int process_done(sc_load *l, const sc_value *map, void *base)
{
    const sc_process *p = base;
    for (const sc_process *q = l->s->procs; q < p; q++)
        if (q->node == p->node && strcmp(q->id, p->id) == 0)
            return kr__sc_fail(l, kr__sc_field(map, "id")->pos,
                               "duplicate process id '%s' on node '%s' (first at %d:%d)", p->id,
                               l->s->nodes[p->node].name, q->pos.line, q->pos.col);
    return 0;
}

static const sc_section process_section = {
    "a process",
    (const sc_field[]){
        SC_ROW("id", SC_T_NAME, sc_process, id, .what = "process id", .flags = SC_REQUIRED),
        SC_CUSTOM("type", read_type, .flags = SC_REQUIRED),
        SC_CUSTOM("args", read_args, .flags = SC_NULLABLE),
        SC_END,
    },
    process_done,
};

/* Processes of every node go into one array, in file order. */
static int read_process(sc_load *l, const sc_value *v, size_t i, void *node)
{
    scenario *s = l->s;
    if (s->n_procs == SC_PROCS_MAX)
        return kr__sc_fail(l, v->pos, "too many processes (the limit is %d)", SC_PROCS_MAX);
    size_t cap = s->n_procs; /* the array is always full: grow it by one item or more */
    sc_process *grown = kr__sc_grow(s->procs, &cap, s->n_procs, sizeof *grown, 16);
    if (!grown)
        return kr__sc_fail_nomem(l);
    s->procs = grown;
    sc_process *p = &s->procs[s->n_procs++]; /* counted first: kr__sc_free frees it */
    *p = (sc_process){.node = node_index(l, node), .pos = v->pos};
    int rc = kr__sc_want(l, v, SC_MAP, "a process");
    return rc ? rc : kr__sc_read_map(l, v, NULL, &process_section, "a process", p);
}

static int read_processes(sc_load *l, const sc_value *list, void *base, const sc_field *f)
{
    return kr__sc_read_list(l, list, "processes", SIZE_MAX - 1, "processes", NULL, 0,
                            read_process, base);
}

/* A node's clock and disk (kr_sim_clock_skew, kr_sim_disk_faults); also
 * the `clock` and `disk` script actions' keys. */
#define SC_CLOCK_ROWS(T, off, drift)                                            \
    SC_ROW("offset", SC_T_OFFSET, T, off), SC_ROW("drift", SC_T_DRIFT, T, drift)
#define SC_DISK_ROWS(T, m)                                                      \
    SC_ROW("write_error", SC_T_PROB, T, m.write_error),                         \
    SC_ROW("read_error", SC_T_PROB, T, m.read_error),                           \
    SC_ROW("corrupt", SC_T_PROB, T, m.corrupt)

static const sc_section node_clock_section = {
    "a node's clock",
    (const sc_field[]){SC_CLOCK_ROWS(sc_node, clock_offset, clock_drift), SC_END},
    NULL,
};

static const sc_section node_disk_section = {
    "a node's disk",
    (const sc_field[]){SC_DISK_ROWS(sc_node, disk), SC_END},
    NULL,
};

static const sc_section node_section = {
    "a node",
    (const sc_field[]){
        SC_CUSTOM("name", read_node_name, .flags = SC_REQUIRED),
        SC_CUSTOM("address", read_address),
        SC_CUSTOM("processes", read_processes, .flags = SC_NULLABLE),
        SC_ROW("start", SC_T_INSTANT, sc_node, start),
        {.key = "clock", .type = SC_T_MAP, .sub = &node_clock_section},
        {.key = "disk", .type = SC_T_MAP, .sub = &node_disk_section},
        SC_END,
    },
    NULL,
};

/* Nodes without an address get the lowest free 10.0.0.N:5050. */
static int assign_addresses(sc_load *l)
{
    scenario *s = l->s;
    unsigned next = 1;
    for (size_t i = 0; i < s->n_nodes; i++) {
        while (!s->nodes[i].address) {
            char buf[32];
            snprintf(buf, sizeof buf, "10.0.0.%u:5050", next++);
            bool taken = false;
            for (size_t j = 0; j < s->n_nodes && !taken; j++)
                taken = s->nodes[j].address && strcmp(s->nodes[j].address, buf) == 0;
            if (taken)
                continue;
            s->nodes[i].address = kr__sc_dup_n(buf, strlen(buf));
            if (!s->nodes[i].address)
                return kr__sc_fail_nomem(l);
        }
    }
    return 0;
}

static int read_node(sc_load *l, const sc_value *v, size_t i, void *ctx)
{
    sc_node *n = &l->s->nodes[i];
    l->s->n_nodes = i + 1;
    n->pos = v->pos;
    int rc = kr__sc_want(l, v, SC_MAP, "a node");
    return rc ? rc : kr__sc_read_map(l, v, NULL, &node_section, "a node", n);
}

static int read_nodes(sc_load *l, const sc_value *v, void *base, const sc_field *f)
{
    scenario *s = base;
    int rc = kr__sc_read_list(l, v, "nodes", KR_SIM_NODES_MAX, "nodes", (void **)&s->nodes,
                              sizeof *s->nodes, read_node, NULL);
    if (!rc && v->n == 0)
        return kr__sc_fail(l, v->pos, "nodes must list at least one node");
    return rc ? rc : assign_addresses(l);
}

/* ---- network --------------------------------------------------------------------- */

/* One entry of network: links, before it becomes one or two sc_links. */
typedef struct link_in {
    size_t from, to;
    bool both_ways;
    kr_sim_net net;
} link_in;

static int add_link(sc_load *l, size_t from, size_t to, const kr_sim_net *net, sc_pos pos)
{
    scenario *s = l->s;
    for (size_t i = 0; i < s->n_links; i++)
        if (s->links[i].from == from && s->links[i].to == to)
            return kr__sc_fail(l, pos, "link %s -> %s is given twice (first at %d:%d)",
                               s->nodes[from].name, s->nodes[to].name, s->links[i].pos.line,
                               s->links[i].pos.col);
    s->links[s->n_links++] = (sc_link){.from = from, .to = to, .net = *net, .pos = pos};
    return 0;
}

static int link_done(sc_load *l, const sc_value *map, void *base)
{
    const link_in *in = base;
    if (in->from == in->to)
        return kr__sc_fail(l, kr__sc_field(map, "to")->pos,
                           "a link joins two different nodes ('%s' twice)",
                           l->s->nodes[in->from].name);
    int rc = add_link(l, in->from, in->to, &in->net, map->pos);
    if (!rc && in->both_ways)
        rc = add_link(l, in->to, in->from, &in->net, map->pos);
    return rc;
}

static const sc_section link_section = {
    "a link",
    (const sc_field[]){
        SC_ROW("from", SC_T_NODE, link_in, from, .flags = SC_REQUIRED),
        SC_ROW("to", SC_T_NODE, link_in, to, .flags = SC_REQUIRED),
        SC_ROW("both_ways", SC_T_BOOL, link_in, both_ways),
        SC_NET_ROWS(link_in, net),
        SC_END,
    },
    link_done,
};

static int read_link(sc_load *l, const sc_value *v, size_t i, void *ctx)
{
    link_in in = {.net = l->s->net}; /* unspecified fields: the global network's */
    int rc = kr__sc_want(l, v, SC_MAP, "a link");
    return rc ? rc : kr__sc_read_map(l, v, NULL, &link_section, "a link", &in);
}

static int read_links(sc_load *l, const sc_value *v, void *base, const sc_field *f)
{
    scenario *s = base;
    /* Room for two links an entry: both_ways makes two. */
    return kr__sc_read_list(l, v, "links", 2 * 64 * 64, "links", (void **)&s->links,
                            2 * sizeof *s->links, read_link, NULL);
}

static const sc_section network_section = {
    "network",
    (const sc_field[]){
        SC_NET_ROWS(scenario, net),
        SC_CUSTOM("links", read_links),
        SC_END,
    },
    NULL,
};

/* ---- faults ------------------------------------------------------------------------ */

static int read_every(sc_load *l, const sc_value *v, void *base, const sc_field *f)
{
    sc_random_faults *r = base;
    int rc = kr__sc_get_range(l, v, "every", &r->every_min, &r->every_max);
    if (!rc && r->every_min <= 0)
        return kr__sc_fail(l, v->pos, "every must be greater than 0");
    return rc;
}

static int read_fault_kinds(sc_load *l, const sc_value *v, void *base, const sc_field *f)
{
    sc_random_faults *r = base;
    int rc = kr__sc_want(l, v, SC_LIST, "kinds");
    if (rc)
        return rc;
    if (v->n == 0)
        return kr__sc_fail(l, v->pos,
                           "kinds must name at least one of partition, crash, clog, power_off");
    r->partition = r->crash = r->clog = r->power_off = false;
    for (size_t i = 0; i < v->n; i++) {
        const sc_value *k = v->items[i];
        if ((rc = kr__sc_want_text(l, k, "a fault kind")))
            return rc;
        bool *flag = strcmp(k->text, "partition") == 0 ? &r->partition
                     : strcmp(k->text, "crash") == 0   ? &r->crash
                     : strcmp(k->text, "clog") == 0    ? &r->clog
                     : strcmp(k->text, "power_off") == 0 ? &r->power_off
                                                         : NULL;
        if (!flag)
            return kr__sc_fail(
                l, k->pos, "unknown fault kind '%.64s' (allowed: partition, crash, clog, power_off)",
                k->text);
        if (*flag)
            return kr__sc_fail(l, k->pos, "fault kind '%s' is listed twice", k->text);
        *flag = true;
    }
    return 0;
}

/* The nodes random faults may hit (partitions still split them all). */
static int read_fault_nodes(sc_load *l, const sc_value *v, void *base, const sc_field *f)
{
    sc_random_faults *r = base;
    int rc = kr__sc_want(l, v, SC_LIST, "nodes");
    if (rc)
        return rc;
    if (v->n == 0)
        return kr__sc_fail(l, v->pos, "nodes must name at least one node");
    r->nodes = calloc(l->s->n_nodes, sizeof *r->nodes);
    if (!r->nodes)
        return kr__sc_fail_nomem(l);
    for (size_t i = 0; i < v->n; i++) {
        size_t node = 0;
        if ((rc = kr__sc_get_node_ref(l, v->items[i], "faults: random: nodes", &node)))
            return rc;
        if (r->nodes[node])
            return kr__sc_fail(l, v->items[i]->pos, "node '%s' is listed twice",
                               l->s->nodes[node].name);
        r->nodes[node] = true;
    }
    return 0;
}

static const sc_section random_section = {
    "faults: random",
    (const sc_field[]){
        SC_ROW("enabled", SC_T_BOOL, sc_random_faults, enabled),
        SC_CUSTOM("every", read_every),
        SC_ROW("until", SC_T_INSTANT, sc_random_faults, until),
        SC_ROW2("heal_after", SC_T_RANGE, sc_random_faults, heal_min, heal_max),
        SC_CUSTOM("kinds", read_fault_kinds),
        SC_CUSTOM("nodes", read_fault_nodes),
        SC_ROW("restart", SC_T_BOOL, sc_random_faults, restart),
        SC_END,
    },
    NULL,
};

static int read_random(sc_load *l, const sc_value *v, void *base, const sc_field *f)
{
    sc_random_faults *r = &l->s->random_faults;
    int rc = kr__sc_want(l, v, SC_MAP, "random");
    if (rc)
        return rc;
    *r = (sc_random_faults){.enabled = true, .every_min = KR_SEC(1), .every_max = KR_SEC(5),
                            .until = KR_SEC(30), .heal_min = KR_MSEC(100),
                            .heal_max = KR_SEC(1), .partition = true, .crash = true,
                            .clog = true, .restart = true, .pos = v->pos};
    if (r->until > l->s->time_limit)
        r->until = l->s->time_limit;
    return kr__sc_read_map(l, v, NULL, &random_section, "faults: random", r);
}

static const sc_section faults_section = {
    "faults",
    (const sc_field[]){
        SC_CUSTOM("random", read_random),
        SC_END,
    },
    NULL,
};

/* ---- checks ------------------------------------------------------------------------ */

/* One name of a list of distinct names. */
typedef struct names_in {
    const char *what;
    bool invariants;
    char **names;
    sc_pos *pos;
    size_t *n;
} names_in;

static int read_name(sc_load *l, const sc_value *x, size_t i, void *ctx)
{
    names_in *in = ctx;
    const sc_field as = {.key = in->what,
                         .type = in->invariants ? SC_T_INVARIANT : SC_T_LABEL,
                         .what = in->invariants ? "an invariant" : "a probe name"};
    *in->n = i + 1; /* counted first so kr__sc_free frees it on error */
    if (in->pos)
        in->pos[i] = x->pos;
    int rc = kr__sc_read_field(l, x, &in->names[i], &as);
    for (size_t j = 0; j < i && !rc; j++)
        if (strcmp(in->names[j], in->names[i]) == 0)
            return kr__sc_fail(l, x->pos, "'%s' is listed twice in %s", in->names[i], in->what);
    return rc;
}

int kr__sc_read_names(sc_load *l, const sc_value *v, const char *what, bool invariants,
                      char ***names, sc_pos **pos, size_t *n)
{
    if (pos && v->kind == SC_LIST && !(*pos = calloc(v->n + 1, sizeof **pos)))
        return kr__sc_fail_nomem(l);
    names_in in = {what, invariants, NULL, pos ? *pos : NULL, n};
    int rc = kr__sc_want(l, v, SC_LIST, what);
    if (!rc && v->n <= SC_NAMES_MAX && !(in.names = *names = calloc(v->n + 1, sizeof **names)))
        return kr__sc_fail_nomem(l);
    return rc ? rc : kr__sc_read_list(l, v, what, SC_NAMES_MAX, what, NULL, 0, read_name, &in);
}

/* `every: step` (the default), a whole number of steps N >= 1, or `end`
 * (only at the end of the run and right after each fault). */
static int read_invariants_every(sc_load *l, const sc_value *v, scenario *s)
{
    int rc = kr__sc_want_text(l, v, "every");
    if (rc)
        return rc;
    if (strcmp(v->text, "step") == 0) {
        s->invariants_every = SC_INVARIANTS_EVERY_STEP;
        return 0;
    }
    if (strcmp(v->text, "end") == 0) {
        s->invariants_every = SC_INVARIANTS_AT_END;
        return 0;
    }
    if (v->text[0] < '0' || v->text[0] > '9')
        return kr__sc_fail(l, v->pos, "every must be step, end or a number of steps, not '%.64s'",
                           v->text);
    return kr__sc_get_uint(l, v, "every", 1, 1000000000, &s->invariants_every);
}

/* A list of names (checked after every step), or a mapping
 * {check: [names], every: step | N | end}. */
static int read_invariants(sc_load *l, const sc_value *v, void *base, const sc_field *f)
{
    (void)f;
    scenario *s = base;
    if (v->kind != SC_MAP)
        return kr__sc_read_names(l, v, "invariants", true, &s->invariants, &s->invariant_pos,
                                 &s->n_invariants);
    for (size_t i = 0; i < v->n; i++)
        if (strcmp(v->keys[i], "check") && strcmp(v->keys[i], "every"))
            return kr__sc_fail(l, v->key_pos[i],
                               "unknown key '%.64s' in invariants (allowed: check, every)",
                               v->keys[i]);
    const sc_value *check = kr__sc_field(v, "check"), *every = kr__sc_field(v, "every");
    if (!check)
        return kr__sc_missing(l, v, "check", "invariants");
    int rc = kr__sc_read_names(l, check, "invariants", true, &s->invariants, &s->invariant_pos,
                               &s->n_invariants);
    return rc || !every ? rc : read_invariants_every(l, every, s);
}

static int read_require(sc_load *l, const sc_value *v, void *base, const sc_field *f)
{
    scenario *s = base;
    return kr__sc_read_names(l, v, "require", false, &s->require_probes, NULL,
                             &s->n_require_probes);
}

static int liveness_done(sc_load *l, const sc_value *map, void *base)
{
    ((scenario *)base)->liveness_pos = map->pos;
    return 0;
}

static const sc_section liveness_section = {
    "liveness",
    (const sc_field[]){
        SC_ROW("check", SC_T_INVARIANT, scenario, liveness_check, .what = "liveness check",
               .flags = SC_REQUIRED),
        SC_ROW("within", SC_T_POSITIVE, scenario, liveness_within, .flags = SC_REQUIRED),
        SC_END,
    },
    liveness_done,
};

static const sc_section probes_section = {
    "probes",
    (const sc_field[]){
        SC_CUSTOM("require", read_require),
        SC_END,
    },
    NULL,
};

/* ---- limits and run settings ------------------------------------------------------- */

/* A byte count: an integer (kairos/parse.h) and an optional unit KiB, MiB
 * or GiB; 0 means no limit. */
static int read_memory(sc_load *l, const sc_value *v, void *base, const sc_field *f)
{
    (void)f;
    scenario *s = base;
    int rc = kr__sc_want_text(l, v, "memory");
    if (rc)
        return rc;
    static const struct { const char *unit; unsigned shift; } units[] = {
        {"KiB", 10}, {"MiB", 20}, {"GiB", 30}, {"", 0}};
    size_t n = strlen(v->text);
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        size_t u = strlen(units[i].unit);
        char num[24];
        uint64_t x;
        if (n <= u || n - u >= sizeof num || strcmp(v->text + n - u, units[i].unit) != 0)
            continue;
        memcpy(num, v->text, n - u);
        num[n - u] = '\0';
        if (kr_parse_u64(num, &x) != 0 || x > (UINT64_MAX >> units[i].shift))
            break;
        s->memory_limit = x << units[i].shift;
        return 0;
    }
    return kr__sc_fail(l, v->pos,
                       "memory must be a whole number of bytes with an optional unit KiB, MiB "
                       "or GiB (0: no limit), not '%.64s'",
                       v->text);
}

static const sc_section limits_section = {
    "limits",
    (const sc_field[]){
        SC_ROW("time", SC_T_POSITIVE, scenario, time_limit),
        SC_ROW("steps", SC_T_UINT, scenario, step_limit, .min = 1, .max = UINT64_MAX),
        SC_ROW("wall", SC_T_DURATION, scenario, wall_limit),
        SC_CUSTOM("memory", read_memory),
        SC_END,
    },
    NULL,
};

static const sc_section event_cost_section = {
    "event_cost",
    (const sc_field[]){
        SC_ROW("max", SC_T_DURATION, scenario, event_cost_max, .flags = SC_REQUIRED),
        SC_END,
    },
    NULL,
};

/* "A..B" or one seed "N" (integers as kairos/parse.h reads them). */
static int read_seeds(sc_load *l, const sc_value *v, void *base, const sc_field *f)
{
    scenario *s = base;
    int rc = kr__sc_want_text(l, v, "seeds");
    if (rc)
        return rc;
    const char *dots = strstr(v->text, "..");
    char first[24];
    size_t n = dots ? (size_t)(dots - v->text) : strlen(v->text);
    bool ok = n > 0 && n < sizeof first;
    if (ok) {
        memcpy(first, v->text, n);
        first[n] = '\0';
        ok = kr_parse_u64(first, &s->seed_first) == 0 &&
             kr_parse_u64(dots ? dots + 2 : first, &s->seed_last) == 0;
    }
    if (!ok)
        return kr__sc_fail(l, v->pos,
                           "seeds must be A..B or one seed N (whole numbers >= 0), not '%.64s'",
                           v->text);
    if (s->seed_first > s->seed_last)
        return kr__sc_fail(l, v->pos, "seeds %s: the first seed is greater than the last",
                           v->text);
    return 0;
}

static int read_strategy(sc_load *l, const sc_value *v, void *base, const sc_field *f)
{
    scenario *s = base;
    int rc = kr__sc_want_text(l, v, "strategy");
    if (rc)
        return rc;
    if (strcmp(v->text, "random") && strcmp(v->text, "pct") && strcmp(v->text, "pos") &&
        strcmp(v->text, "fifo"))
        return kr__sc_fail(l, v->pos, "strategy must be random, pct, pos or fifo, not '%.64s'",
                           v->text);
    snprintf(s->strategy, sizeof s->strategy, "%s", v->text);
    return 0;
}

static const sc_section run_section = {
    "run",
    (const sc_field[]){
        SC_CUSTOM("seeds", read_seeds),
        SC_CUSTOM("strategy", read_strategy),
        SC_ROW("pct_depth", SC_T_UINT, scenario, pct_depth, .min = 1, .max = KR_PCT_DEPTH_MAX),
        SC_ROW("pct_steps", SC_T_UINT, scenario, pct_steps, .min = 1, .max = 1000000000),
        SC_ROW("swarm", SC_T_BOOL, scenario, swarm),
        SC_END,
    },
    NULL,
};

/* ---- the scenario ------------------------------------------------------------------ */

/* Defaults of keys that may be absent or null. */
static int scenario_done(sc_load *l, const sc_value *root, void *base)
{
    scenario *s = base;
    if (!s->name) {
        /* The file's base name without its extension. */
        const char *name = strrchr(l->path, '/');
        name = name ? name + 1 : l->path;
        const char *dot = strrchr(name, '.');
        s->name = kr__sc_dup_n(name, dot && dot != name ? (size_t)(dot - name) : strlen(name));
    }
    if (!s->description)
        s->description = kr__sc_dup_n("", 0);
    return s->name && s->description ? 0 : kr__sc_fail_nomem(l);
}

static const sc_section scenario_section = {
    "the scenario",
    (const sc_field[]){
        SC_ROW("name", SC_T_LABEL, scenario, name),
        SC_ROW("description", SC_T_TEXT, scenario, description, .flags = SC_NULLABLE),
        SC_CUSTOM("nodes", read_nodes, .flags = SC_REQUIRED),
        {.key = "network", .type = SC_T_MAP, .sub = &network_section},
        SC_CUSTOM("script", kr__sc_read_script, .flags = SC_NULLABLE),
        {.key = "faults", .type = SC_T_MAP, .sub = &faults_section},
        SC_CUSTOM("invariants", read_invariants, .flags = SC_NULLABLE),
        SC_CUSTOM("expect", kr__sc_read_expects, .flags = SC_NULLABLE),
        {.key = "liveness", .type = SC_T_MAP, .sub = &liveness_section},
        {.key = "probes", .type = SC_T_MAP, .sub = &probes_section},
        /* First: the script and the faults check their times against it. */
        {.key = "limits", .type = SC_T_MAP, .sub = &limits_section, .flags = SC_FIRST},
        {.key = "event_cost", .type = SC_T_MAP, .sub = &event_cost_section},
        {.key = "run", .type = SC_T_MAP, .sub = &run_section},
        SC_END,
    },
    scenario_done,
};

int kr__sc_read_scenario(sc_load *l, const sc_value *root)
{
    scenario *s = l->s;
    s->net = (kr_sim_net){.latency_min = KR_MSEC(1), .latency_max = KR_MSEC(10)};
    s->time_limit = SC_DEF_TIME;
    s->step_limit = SC_DEF_STEPS;
    s->wall_limit = SC_DEF_WALL;
    s->seed_first = SC_DEF_SEED_FIRST;
    s->seed_last = SC_DEF_SEED_LAST;
    snprintf(s->strategy, sizeof s->strategy, "random");
    s->pct_depth = SC_DEF_PCT_DEPTH;
    if (root->kind != SC_MAP)
        return kr__sc_fail(l, root->pos,
                           "a scenario must be a mapping (name:, nodes:, ...), not %s",
                           kr__sc_kind_name(root->kind));
    return kr__sc_read_map(l, root, NULL, &scenario_section, "the scenario", s);
}
