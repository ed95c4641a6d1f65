/* The scenario loader's entry points: a YAML file (scenarios/FORMAT.md)
 * into a `scenario`, and its release.
 *
 * Two passes. yaml_tree.c builds a tree of sc_value with every node's
 * position and enforces the structural limits; sections.c and script.c
 * then validate it section by section into the scenario's plain structs,
 * through the tables read by schema.c and the typed access of value.c. The
 * first error stops the load and is reported as "file:line:col: message".
 *
 * The loader calls nothing of the runtime but the registry look-ups
 * (kr__sc_type, kr__sc_invariant, kr__sc_action) and kairos/parse.h, so it
 * can be fuzzed on its own. */
#include "load_internal.h"

#include <stdlib.h>
#include <string.h>

static void free_action(sc_action *a)
{
    free(a->name);
    free(a->body);
    free(a->method);
    free(a->path);
    free(a->side_a);
    free(a->side_b);
}

KR_API void kr__sc_free(scenario *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n_nodes; i++) {
        free(s->nodes[i].name);
        free(s->nodes[i].address);
    }
    for (size_t i = 0; i < s->n_procs; i++) {
        free(s->procs[i].id);
        free(s->procs[i].type);
    }
    for (size_t i = 0; i < s->n_actions; i++)
        free_action(&s->actions[i]);
    for (size_t i = 0; i < s->n_invariants; i++)
        free(s->invariants[i]);
    for (size_t i = 0; i < s->n_expects; i++) {
        free(s->expects[i].name);
        free(s->expects[i].method);
        free(s->expects[i].path);
        free(s->expects[i].body);
    }
    for (size_t i = 0; i < s->n_require_probes; i++)
        free(s->require_probes[i]);
    free(s->random_faults.nodes);
    free(s->nodes);
    free(s->procs);
    free(s->links);
    free(s->actions);
    free(s->invariants);
    free(s->invariant_pos);
    free(s->expects);
    free(s->require_probes);
    free(s->liveness_check);
    free(s->file);
    free(s->name);
    free(s->description);
    kr__sc_value_free(s->root);
    free(s);
}

KR_API int kr__sc_load(const char *path, scenario **out, char *err, size_t err_len)
{
    if (err && err_len)
        err[0] = '\0';
    if (out)
        *out = NULL;
    sc_load l = {.path = path ? path : "(null)", .err = err, .err_len = err_len};
    if (!path || !out) {
        kr__sc_set_err(&l, "%s: no scenario file given", l.path);
        return KR_EINVAL;
    }
    l.s = calloc(1, sizeof *l.s);
    if (!l.s)
        return kr__sc_fail_nomem(&l);
    int rc = kr__sc_tree_read(&l, &l.s->root);
    if (!rc) {
        l.s->file = kr__sc_dup_n(path, strlen(path));
        rc = l.s->file ? kr__sc_read_scenario(&l, l.s->root) : kr__sc_fail_nomem(&l);
    }
    kr__sc_refs_free(&l);
    if (rc) {
        kr__sc_free(l.s);
        return rc;
    }
    *out = l.s;
    return 0;
}
