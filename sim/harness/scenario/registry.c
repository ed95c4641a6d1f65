/* The registry of actor types, actions and invariants that scenarios name.
 * Registration happens before a scenario is loaded (at start-up, from a
 * user's runner or a --load'ed shared object); lookups are linear because
 * registries hold tens of entries. */
#include "scenario_internal.h"

#include <stdlib.h>
#include <string.h>

typedef struct sc_action_entry {
    char *type, *action;
    kr_fn fn;
} sc_action_entry;

typedef struct sc_invariant_entry {
    char *name, *help;
    kr_invariant_fn check;
} sc_invariant_entry;

static sc_type *types;
static size_t n_types, cap_types;
static sc_action_entry *actions;
static size_t n_actions, cap_actions;
static sc_invariant_entry *invariants;
static size_t n_invariants, cap_invariants;

static bool valid_name(const char *name)
{
    if (!name || !*name || strlen(name) > 64)
        return false;
    for (const char *c = name; *c; c++)
        if (!(*c == '-' || *c == '_' || *c == '.' || (*c >= '0' && *c <= '9') ||
              (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z')))
            return false;
    return true;
}

/* Room for one more item in *array (n used of *cap). */
static bool grow(void **array, size_t *cap, size_t n, size_t size)
{
    void *a = kr__sc_grow(*array, cap, n, size, 16);
    if (!a)
        return false;
    *array = a;
    return true;
}

int kr_actor_register(const char *type, kr_actor_new_fn make, const char *help)
{
    if (!valid_name(type) || !make) {
        kr__sc_log("kr_actor_register: invalid type name or NULL constructor");
        return KR_EINVAL;
    }
    if (kr__sc_type(type))
        return KR_EEXIST;
    if (!grow((void **)&types, &cap_types, n_types, sizeof *types))
        return KR_ENOMEM;
    sc_type *t = &types[n_types];
    t->name = strdup(type);
    t->help = strdup(help ? help : "");
    t->make = make;
    if (!t->name || !t->help) {
        free(t->name);
        free(t->help);
        return KR_ENOMEM;
    }
    n_types++;
    return 0;
}

int kr_action_register(const char *type, const char *action, kr_fn fn)
{
    if (!valid_name(type) || !valid_name(action) || !fn)
        return KR_EINVAL;
    if (kr__sc_action(type, action))
        return KR_EEXIST;
    if (!grow((void **)&actions, &cap_actions, n_actions, sizeof *actions))
        return KR_ENOMEM;
    sc_action_entry *a = &actions[n_actions];
    a->type = strdup(type);
    a->action = strdup(action);
    a->fn = fn;
    if (!a->type || !a->action) {
        free(a->type);
        free(a->action);
        return KR_ENOMEM;
    }
    n_actions++;
    return 0;
}

int kr_invariant_register(const char *name, kr_invariant_fn check, const char *help)
{
    if (!valid_name(name) || !check)
        return KR_EINVAL;
    if (kr__sc_invariant(name))
        return KR_EEXIST;
    if (!grow((void **)&invariants, &cap_invariants, n_invariants, sizeof *invariants))
        return KR_ENOMEM;
    sc_invariant_entry *v = &invariants[n_invariants];
    v->name = strdup(name);
    v->help = strdup(help ? help : "");
    v->check = check;
    if (!v->name || !v->help) {
        free(v->name);
        free(v->help);
        return KR_ENOMEM;
    }
    n_invariants++;
    return 0;
}

const sc_type *kr__sc_type(const char *name)
{
    for (size_t i = 0; name && i < n_types; i++)
        if (strcmp(types[i].name, name) == 0)
            return &types[i];
    return NULL;
}

kr_fn kr__sc_action(const char *type, const char *action)
{
    for (size_t i = 0; type && action && i < n_actions; i++)
        if (strcmp(actions[i].type, type) == 0 && strcmp(actions[i].action, action) == 0)
            return actions[i].fn;
    return NULL;
}

kr_invariant_fn kr__sc_invariant(const char *name)
{
    for (size_t i = 0; name && i < n_invariants; i++)
        if (strcmp(invariants[i].name, name) == 0)
            return invariants[i].check;
    return NULL;
}

void kr__sc_registry_print(FILE *out)
{
    fprintf(out, "actor types:\n");
    for (size_t i = 0; i < n_types; i++) {
        fprintf(out, "  %-20s %s\n", types[i].name, types[i].help);
        for (size_t j = 0; j < n_actions; j++)
            if (strcmp(actions[j].type, types[i].name) == 0)
                fprintf(out, "  %-20s   action: %s\n", "", actions[j].action);
    }
    fprintf(out, "invariants:\n");
    for (size_t i = 0; i < n_invariants; i++)
        fprintf(out, "  %-20s %s\n", invariants[i].name, invariants[i].help);
}
