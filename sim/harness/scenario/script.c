/* The scenario's lists of items of several kinds: script actions (post,
 * dispatch, http, partition, heal, crash, restart, clog, power_off, cut,
 * pause, clock, disk) and expectations
 * (delivered, quiescent, http, invariant, probe). Each kind is one table
 * whose first row is the key that names the kind; its position in the
 * table array is its sc_action_kind / sc_expect_kind. Also process
 * references ("id" or "id@node"), which only these items use. */
#include "load_internal.h"

#include <stdlib.h>
#include <string.h>

/* ---- process references ------------------------------------------------------- */

typedef struct proc_ref {
    const char *id;
    size_t index;
} proc_ref;

static int proc_ref_cmp(const void *a, const void *b)
{
    const proc_ref *x = a, *y = b;
    int c = strcmp(x->id, y->id);
    if (c)
        return c;
    return x->index < y->index ? -1 : x->index > y->index;
}

/* Process ids sorted, so that each reference is a binary search; built on
 * first use, once every node and process is read. */
static int index_procs(sc_load *l)
{
    scenario *s = l->s;
    if (l->procs_by_id)
        return 0;
    proc_ref *idx = malloc((s->n_procs + 1) * sizeof *idx);
    if (!idx)
        return kr__sc_fail_nomem(l);
    for (size_t i = 0; i < s->n_procs; i++)
        idx[i] = (proc_ref){s->procs[i].id, i};
    qsort(idx, s->n_procs, sizeof *idx, proc_ref_cmp);
    l->procs_by_id = idx;
    return 0;
}

void kr__sc_refs_free(sc_load *l)
{
    free(l->procs_by_id);
    l->procs_by_id = NULL;
}

/* The first entry of `id` in the sorted index, or n. */
static size_t first_proc(const proc_ref *idx, size_t n, const char *id)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(idx[mid].id, id) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && strcmp(idx[lo].id, id) == 0 ? lo : n;
}

int kr__sc_get_proc_ref(sc_load *l, const sc_value *v, const char *what, size_t *out)
{
    int rc = kr__sc_want_text(l, v, what);
    if (!rc)
        rc = index_procs(l);
    if (rc)
        return rc;
    scenario *s = l->s;
    const proc_ref *idx = l->procs_by_id;
    char id[KR_ID_MAX + 1];
    const char *at = strchr(v->text, '@');
    size_t id_len = at ? (size_t)(at - v->text) : strlen(v->text);
    size_t node = SIZE_MAX;
    if (id_len == 0 || id_len > KR_ID_MAX)
        return kr__sc_fail(l, v->pos, "%s: no process '%.64s'", what, v->text);
    memcpy(id, v->text, id_len);
    id[id_len] = '\0';
    if (at) {
        for (size_t i = 0; i < s->n_nodes && node == SIZE_MAX; i++)
            if (strcmp(s->nodes[i].name, at + 1) == 0)
                node = i;
        if (node == SIZE_MAX)
            return kr__sc_fail(l, v->pos, "%s: no node named '%.64s'", what, at + 1);
    }
    size_t found = SIZE_MAX;
    for (size_t i = first_proc(idx, s->n_procs, id);
         i < s->n_procs && strcmp(idx[i].id, id) == 0; i++) {
        size_t p = idx[i].index;
        if (node != SIZE_MAX && s->procs[p].node != node)
            continue;
        if (found != SIZE_MAX)
            return kr__sc_fail(l, v->pos,
                               "%s: process '%s' is on several nodes ('%s', '%s'): write %s@NODE",
                               what, id, s->nodes[s->procs[found].node].name,
                               s->nodes[s->procs[p].node].name, id);
        found = p;
    }
    if (found == SIZE_MAX)
        return kr__sc_fail(l, v->pos,
                           node == SIZE_MAX ? "%s: no process '%.64s'"
                                            : "%s: no process '%.64s' on that node",
                           what, v->text);
    *out = found;
    return 0;
}

/* ---- items of several kinds -------------------------------------------------------- */

/* An item (a mapping, `what` in messages) and its kind: the one table
 * whose first key it holds. */
static int pick_kind(sc_load *l, const sc_value *v, const char *what, const sc_section *kinds,
                     size_t n_kinds, size_t *kind)
{
    int rc = kr__sc_want(l, v, SC_MAP, what);
    if (rc)
        return rc;
    what = strchr(what, ' ') + 1; /* "a script action": "script action" */
    size_t found = SIZE_MAX;
    for (size_t i = 0; i < v->n; i++) {
        for (size_t k = 0; k < n_kinds; k++) {
            if (strcmp(v->keys[i], kinds[k].rows[0].key) != 0)
                continue;
            if (found != SIZE_MAX)
                return kr__sc_fail(l, v->key_pos[i], "'%s' and '%s' in one %s: write one per item",
                                   kinds[found].rows[0].key, kinds[k].rows[0].key, what);
            found = k;
        }
    }
    if (found == SIZE_MAX) {
        const char *names[16];
        for (size_t k = 0; k < n_kinds && k < 15; k++)
            names[k] = kinds[k].rows[0].key;
        names[n_kinds < 15 ? n_kinds : 15] = NULL;
        char list[200];
        kr__sc_join(names, list, sizeof list);
        return kr__sc_fail(l, v->pos, "%s needs one of: %s", what, list);
    }
    *kind = found;
    return 0;
}

/* ---- script actions ------------------------------------------------------------------ */

static const sc_section action_common = {
    "a script action",
    (const sc_field[]){
        SC_ROW("at", SC_T_INSTANT, sc_action, at, .flags = SC_REQUIRED),
        SC_END,
    },
    NULL,
};

static int dispatch_done(sc_load *l, const sc_value *map, void *base)
{
    const sc_action *a = base;
    const char *type = l->s->procs[a->target].type;
    if (!kr__sc_action(type, a->name))
        return kr__sc_fail(l, kr__sc_field(map, "dispatch")->pos,
                           "unknown action '%.64s' for actor type '%.64s'", a->name, type);
    return 0;
}

/* Node names of one partition side, none twice in the whole partition. */
static int read_side(sc_load *l, const sc_value *list, bool *used, size_t **side, size_t *n)
{
    int rc = kr__sc_want(l, list, SC_LIST, "a partition side");
    if (rc)
        return rc;
    if (list->n == 0)
        return kr__sc_fail(l, list->pos, "a partition side must name at least one node");
    *side = calloc(list->n, sizeof **side);
    if (!*side)
        return kr__sc_fail_nomem(l);
    for (size_t i = 0; i < list->n; i++) {
        size_t node;
        if ((rc = kr__sc_get_node_ref(l, list->items[i], "partition", &node)))
            return rc;
        if (used[node])
            return kr__sc_fail(l, list->items[i]->pos, "node '%s' appears twice in the partition",
                               l->s->nodes[node].name);
        used[node] = true;
        (*side)[(*n)++] = node;
    }
    return 0;
}

/* [a, b] cuts those from every other node; [[a], [b, c]] names both sides. */
static int read_partition(sc_load *l, const sc_value *p, void *base, const sc_field *f)
{
    sc_action *a = base;
    int rc = kr__sc_want(l, p, SC_LIST, "partition");
    if (rc)
        return rc;
    bool used[KR_SIM_NODES_MAX] = {false};
    if (p->n > 0 && p->items[0]->kind == SC_LIST) {
        if (p->n != 2)
            return kr__sc_fail(l, p->pos,
                               "partition must be a list of nodes or two lists of nodes");
        if ((rc = read_side(l, p->items[0], used, &a->side_a, &a->na)))
            return rc;
        return read_side(l, p->items[1], used, &a->side_b, &a->nb);
    }
    if ((rc = read_side(l, p, used, &a->side_a, &a->na)))
        return rc;
    a->side_b = calloc(l->s->n_nodes, sizeof *a->side_b);
    if (!a->side_b)
        return kr__sc_fail_nomem(l);
    for (size_t i = 0; i < l->s->n_nodes; i++)
        if (!used[i])
            a->side_b[a->nb++] = i;
    if (a->nb == 0)
        return kr__sc_fail(l, p->pos, "partition names every node: the other side is empty");
    return 0;
}

/* `heal:` takes no value, or true. */
static int read_heal(sc_load *l, const sc_value *h, void *base, const sc_field *f)
{
    bool yes = true;
    int rc = kr__sc_get_bool(l, h, "heal", &yes);
    if (!rc && !yes)
        return kr__sc_fail(l, h->pos, "heal takes no value (or true)");
    return rc;
}

static int clog_done(sc_load *l, const sc_value *map, void *base)
{
    const sc_action *a = base;
    if (a->from_node == a->to_node)
        return kr__sc_fail(l, kr__sc_field(map, "to")->pos, "clog needs two different nodes");
    return 0;
}

static int cut_done(sc_load *l, const sc_value *map, void *base)
{
    const sc_action *a = base;
    if (a->from_node == a->to_node)
        return kr__sc_fail(l, kr__sc_field(map, "to")->pos, "cut needs two different nodes");
    return 0;
}

/* `clock: NODE` must set something. */
static int clock_done(sc_load *l, const sc_value *map, void *base)
{
    (void)base;
    if (!kr__sc_field(map, "offset") && !kr__sc_field(map, "drift"))
        return kr__sc_fail(l, map->pos, "a 'clock' action needs offset or drift (or both)");
    return 0;
}

/* In sc_action_kind order. */
static const sc_section action_kinds[] = {
    {"a 'post' action",
     (const sc_field[]){
         SC_ROW("post", SC_T_LABEL, sc_action, name, .what = "message name"),
         SC_ROW("to", SC_T_PROC, sc_action, target, .flags = SC_REQUIRED),
         SC_ROW2("body", SC_T_BODY, sc_action, body, body_len),
         SC_END,
     },
     NULL},
    {"a 'dispatch' action",
     (const sc_field[]){
         SC_ROW("dispatch", SC_T_LABEL, sc_action, name, .what = "action name"),
         SC_ROW("to", SC_T_PROC, sc_action, target, .flags = SC_REQUIRED),
         SC_END,
     },
     dispatch_done},
    {"an 'http' action",
     (const sc_field[]){
         SC_ROW2("http", SC_T_REQUEST, sc_action, method, path),
         SC_ROW("node", SC_T_NODE, sc_action, node, .flags = SC_REQUIRED),
         SC_ROW2("body", SC_T_BODY, sc_action, body, body_len),
         SC_END,
     },
     NULL},
    {"a 'partition' action",
     (const sc_field[]){SC_CUSTOM("partition", read_partition), SC_END},
     NULL},
    {"a 'heal' action",
     (const sc_field[]){SC_CUSTOM("heal", read_heal, .flags = SC_NULLABLE), SC_END},
     NULL},
    {"a 'crash' action",
     (const sc_field[]){SC_ROW("crash", SC_T_NODE, sc_action, node), SC_END},
     NULL},
    {"a 'restart' action",
     (const sc_field[]){SC_ROW("restart", SC_T_NODE, sc_action, node), SC_END},
     NULL},
    {"a 'clog' action",
     (const sc_field[]){
         SC_ROW("clog", SC_T_NODE, sc_action, from_node),
         SC_ROW("to", SC_T_NODE, sc_action, to_node, .flags = SC_REQUIRED),
         SC_ROW("for", SC_T_POSITIVE, sc_action, duration, .flags = SC_REQUIRED),
         SC_END,
     },
     clog_done},
    {"a 'power_off' action",
     (const sc_field[]){SC_ROW("power_off", SC_T_NODE, sc_action, node), SC_END},
     NULL},
    {"a 'cut' action",
     (const sc_field[]){
         SC_ROW("cut", SC_T_NODE, sc_action, from_node),
         SC_ROW("to", SC_T_NODE, sc_action, to_node, .flags = SC_REQUIRED),
         SC_END,
     },
     cut_done},
    {"a 'pause' action",
     (const sc_field[]){
         SC_ROW("pause", SC_T_NODE, sc_action, node),
         SC_ROW("for", SC_T_POSITIVE, sc_action, duration, .flags = SC_REQUIRED),
         SC_END,
     },
     NULL},
    {"a 'clock' action",
     (const sc_field[]){
         SC_ROW("clock", SC_T_NODE, sc_action, node),
         SC_ROW("offset", SC_T_OFFSET, sc_action, clock_offset),
         SC_ROW("drift", SC_T_DRIFT, sc_action, clock_drift),
         SC_END,
     },
     clock_done},
    {"a 'disk' action",
     (const sc_field[]){
         SC_ROW("disk", SC_T_NODE, sc_action, node),
         SC_ROW("write_error", SC_T_PROB, sc_action, disk.write_error),
         SC_ROW("read_error", SC_T_PROB, sc_action, disk.read_error),
         SC_ROW("corrupt", SC_T_PROB, sc_action, disk.corrupt),
         SC_END,
     },
     NULL},
};
#define N_ACTION_KINDS (sizeof action_kinds / sizeof *action_kinds)

static int read_action(sc_load *l, const sc_value *v, size_t i, void *ctx)
{
    sc_action *a = &l->s->actions[i];
    l->s->n_actions = i + 1; /* counted first so kr__sc_free frees a half-made one */
    size_t kind;
    int rc = pick_kind(l, v, "a script action", action_kinds, N_ACTION_KINDS, &kind);
    if (rc)
        return rc;
    a->kind = (sc_action_kind)kind;
    a->pos = v->pos;
    return kr__sc_read_map(l, v, &action_common, &action_kinds[kind], action_kinds[kind].what, a);
}

typedef struct timed {
    kr_duration at;
    size_t index;
} timed;

static int timed_cmp(const void *a, const void *b)
{
    const timed *x = a, *y = b;
    if (x->at != y->at)
        return x->at < y->at ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

/* Stable sort by time: qsort on (at, file index). */
static int sort_actions(sc_load *l)
{
    scenario *s = l->s;
    if (s->n_actions < 2)
        return 0;
    timed *order = malloc(s->n_actions * sizeof *order);
    sc_action *sorted = malloc(s->n_actions * sizeof *sorted);
    if (!order || !sorted) {
        free(order);
        free(sorted);
        return kr__sc_fail_nomem(l);
    }
    for (size_t i = 0; i < s->n_actions; i++)
        order[i] = (timed){s->actions[i].at, i};
    qsort(order, s->n_actions, sizeof *order, timed_cmp);
    for (size_t i = 0; i < s->n_actions; i++)
        sorted[i] = s->actions[order[i].index];
    free(order);
    free(s->actions);
    s->actions = sorted;
    return 0;
}

int kr__sc_read_script(sc_load *l, const sc_value *v, void *base, const sc_field *f)
{
    scenario *s = base;
    int rc = kr__sc_read_list(l, v, "script", SC_ACTIONS_MAX, "script actions",
                              (void **)&s->actions, sizeof *s->actions, read_action, NULL);
    return rc ? rc : sort_actions(l);
}

/* ---- expectations ------------------------------------------------------------------- */

static int read_quiescent(sc_load *l, const sc_value *v, void *base, const sc_field *f)
{
    bool yes;
    int rc = kr__sc_get_bool(l, v, "quiescent", &yes);
    if (!rc && !yes)
        return kr__sc_fail(l, v->pos, "quiescent: false checks nothing; remove it");
    return rc;
}

#define SC_AT_LEAST                                                             \
    SC_ROW("at_least", SC_T_UINT, sc_expect, at_least, .min = 1, .max = INT64_MAX)

/* In sc_expect_kind order. */
static const sc_section expect_kinds[] = {
    {"a 'delivered' expectation",
     (const sc_field[]){
         SC_ROW("delivered", SC_T_LABEL, sc_expect, name, .what = "message name"),
         SC_AT_LEAST,
         SC_END,
     },
     NULL},
    {"a 'quiescent' expectation",
     (const sc_field[]){SC_CUSTOM("quiescent", read_quiescent), SC_END},
     NULL},
    {"an 'http' expectation",
     (const sc_field[]){
         SC_ROW2("http", SC_T_REQUEST, sc_expect, method, path),
         SC_ROW("node", SC_T_NODE, sc_expect, node, .flags = SC_REQUIRED),
         SC_ROW("status", SC_T_UINT, sc_expect, status, .min = 100, .max = 599),
         SC_ROW("body", SC_T_TEXT, sc_expect, body),
         SC_END,
     },
     NULL},
    {"an 'invariant' expectation",
     (const sc_field[]){SC_ROW("invariant", SC_T_INVARIANT, sc_expect, name), SC_END},
     NULL},
    {"a 'probe' expectation",
     (const sc_field[]){
         SC_ROW("probe", SC_T_LABEL, sc_expect, name, .what = "probe name"),
         SC_AT_LEAST,
         SC_END,
     },
     NULL},
};
#define N_EXPECT_KINDS (sizeof expect_kinds / sizeof *expect_kinds)

static int read_expect(sc_load *l, const sc_value *v, size_t i, void *ctx)
{
    sc_expect *e = &l->s->expects[i];
    l->s->n_expects = i + 1;
    size_t kind;
    int rc = pick_kind(l, v, "an expectation", expect_kinds, N_EXPECT_KINDS, &kind);
    if (rc)
        return rc;
    /* Defaults of the kinds that have them (others keep zeros). */
    bool counted = kind == SC_EXPECT_DELIVERED || kind == SC_EXPECT_PROBE;
    *e = (sc_expect){.kind = (sc_expect_kind)kind, .pos = v->pos, .at_least = counted ? 1 : 0,
                     .status = kind == SC_EXPECT_HTTP ? 200 : 0};
    return kr__sc_read_map(l, v, NULL, &expect_kinds[kind], expect_kinds[kind].what, e);
}

int kr__sc_read_expects(sc_load *l, const sc_value *v, void *base, const sc_field *f)
{
    scenario *s = base;
    return kr__sc_read_list(l, v, "expect", SC_EXPECTS_MAX, "expectations",
                            (void **)&s->expects, sizeof *s->expects, read_expect, NULL);
}
