/* The scenario loader's parts, shared by its files and by nothing else:
 *
 *   yaml_tree.c  the file, read whole, into a tree of sc_value (limits,
 *                positions, duplicate keys)
 *   value.c      typed access to that tree: kinds, names, numbers,
 *                durations, booleans (kairos/parse.h), errors at positions
 *   schema.c     the generic engine: a mapping read through a table of
 *                fields (one row per key)
 *   sections.c   the scenario's tables and the few fields that need code
 *   script.c     the script's actions and the expectations (lists of items
 *                of several kinds, one table per kind), process references
 *   load.c       the entry points kr__sc_load / kr__sc_free
 *
 * Adding a scenario key is one row in a table of sections.c (plus its line
 * in scenarios/FORMAT.md). */
#ifndef KAIROS_LOAD_INTERNAL_H
#define KAIROS_LOAD_INTERNAL_H

#include "scenario_internal.h"

/* Limits that keep any input cheap to reject; FORMAT.md lists them. */
#define SC_FILE_MAX (16u * 1024 * 1024) /* bytes */
#define SC_DEPTH_MAX 64                 /* nested lists/mappings */
#define SC_VALUES_MAX 500000            /* YAML values in one file */
#define SC_PROCS_MAX 4096
#define SC_ACTIONS_MAX 100000
#define SC_EXPECTS_MAX 10000
#define SC_NAMES_MAX 256 /* invariants, required probes */
#define SC_PATH_MAX 2048 /* HTTP paths */

struct proc_ref;

/* One load in progress: where errors go and what is being filled. */
typedef struct sc_load {
    const char *path;
    char *err;
    size_t err_len;
    size_t n_values; /* YAML values built so far (SC_VALUES_MAX) */
    scenario *s;
    struct proc_ref *procs_by_id; /* sorted process ids, for references */
} sc_load;

/* ---- yaml_tree.c ---------------------------------------------------------- */

/* Reads l->path (at most SC_FILE_MAX bytes) into a tree. */
int kr__sc_tree_read(sc_load *l, sc_value **root);
void kr__sc_value_free(sc_value *v);

/* ---- value.c: errors ------------------------------------------------------- */

/* Reports "file:line:col: message" and returns KR_EFORMAT. */
int kr__sc_fail(sc_load *l, sc_pos pos, const char *fmt, ...) KR_PRINTF(3, 4);
int kr__sc_fail_nomem(sc_load *l);
/* A message without a position ("file: cannot open: ..."). */
void kr__sc_set_err(sc_load *l, const char *fmt, ...) KR_PRINTF(2, 3);
char *kr__sc_dup_n(const char *text, size_t n);

/* ---- value.c: typed access ------------------------------------------------- */

/* The value of `key`, or NULL (also when `map` is not a mapping). */
const sc_value *kr__sc_field(const sc_value *map, const char *key);
/* Empty, "~" or "null": treated as absent where FORMAT.md says so. */
bool kr__sc_is_null(const sc_value *v);
const char *kr__sc_kind_name(sc_kind k);
void kr__sc_join(const char *const *set, char *out, size_t len);

int kr__sc_want(sc_load *l, const sc_value *v, sc_kind kind, const char *what);
int kr__sc_missing(sc_load *l, const sc_value *map, const char *key, const char *what);
/* A scalar without NUL bytes (everything but message bodies). */
int kr__sc_want_text(sc_load *l, const sc_value *v, const char *what);
int kr__sc_get_text(sc_load *l, const sc_value *v, const char *what, char **out);
/* Node names and process ids: 1..KR_ID_MAX of [A-Za-z0-9_.-]. */
int kr__sc_want_name(sc_load *l, const sc_value *v, const char *what);
/* Message, invariant, action and probe names: non-empty, printable. */
int kr__sc_want_label(sc_load *l, const sc_value *v, const char *what);
int kr__sc_get_uint(sc_load *l, const sc_value *v, const char *what, uint64_t min,
                    uint64_t max, uint64_t *out);
int kr__sc_get_bool(sc_load *l, const sc_value *v, const char *what, bool *out);
/* A plain decimal probability in [0, 1] ("0.05", "1", "1e-3"). */
int kr__sc_get_prob(sc_load *l, const sc_value *v, const char *what, double *out);
int kr__sc_get_duration(sc_load *l, const sc_value *v, const char *what, kr_duration *out);
int kr__sc_get_positive_duration(sc_load *l, const sc_value *v, const char *what,
                                 kr_duration *out);
/* A duration with an optional leading '-' (clock offsets). */
int kr__sc_get_signed_duration(sc_load *l, const sc_value *v, const char *what, kr_duration *out);
/* A clock drift: a decimal fraction in (-0.5, 0.5). */
int kr__sc_get_drift(sc_load *l, const sc_value *v, const char *what, double *out);
/* A duration range: [min, max] or one duration for both. */
int kr__sc_get_range(sc_load *l, const sc_value *v, const char *what, kr_duration *lo,
                     kr_duration *hi);

/* ---- schema.c: mappings read through tables --------------------------------- */

typedef enum sc_value_type {
    SC_T_TEXT,      /* char *: a scalar without NUL */
    SC_T_LABEL,     /* char *: a label (FORMAT.md) */
    SC_T_NAME,      /* char *: a name (node names, process ids) */
    SC_T_BOOL,      /* bool */
    SC_T_UINT,      /* an unsigned field of `size` bytes, in [min, max] */
    SC_T_PROB,      /* double in [0, 1] */
    SC_T_DURATION,  /* kr_duration >= 0 */
    SC_T_POSITIVE,  /* kr_duration > 0 */
    SC_T_INSTANT,   /* kr_duration: a virtual time within limits: time */
    SC_T_RANGE,     /* kr_duration at offset (min) and offset2 (max) */
    SC_T_OFFSET,    /* kr_duration, may be negative ("-250ms") */
    SC_T_DRIFT,     /* double in (-0.5, 0.5) */
    SC_T_NODE,      /* size_t: index of a node named by the value */
    SC_T_PROC,      /* size_t: index of a process referred to by the value */
    SC_T_INVARIANT, /* char *: a registered invariant's name */
    SC_T_REQUEST,   /* char * method at offset, char * path at offset2 */
    SC_T_BODY,      /* char * at offset (any bytes), size_t length at offset2 */
    SC_T_MAP,       /* a nested mapping read through `sub` (same struct) */
    SC_T_CUSTOM,    /* read by `read` */
} sc_value_type;

typedef struct sc_field sc_field;
/* Reads one present value into the section's struct at `base`. */
typedef int (*sc_read_fn)(sc_load *l, const sc_value *v, void *base, const sc_field *f);

typedef struct sc_section sc_section;
struct sc_field {
    const char *key;
    sc_value_type type;
    const char *what;  /* the value's name in messages; the key when NULL */
    size_t offset, offset2, size;
    uint64_t min, max; /* SC_T_UINT */
    unsigned flags;
    const sc_section *sub; /* SC_T_MAP */
    sc_read_fn read;       /* SC_T_CUSTOM */
};
#define SC_REQUIRED 1u  /* missing is an error */
#define SC_NULLABLE 2u  /* an empty/null value is the same as absent */
#define SC_FIRST 4u     /* read before the other keys (others depend on it) */

/* A mapping's keys: rows ended by a row with a NULL key. */
struct sc_section {
    const char *what;     /* "a node", "limits", ... in messages */
    const sc_field *rows; /* also the order of reading and of "allowed:" */
    /* Called after every present key was read (cross-key checks), or NULL. */
    int (*finish)(sc_load *l, const sc_value *map, void *base);
};

/* Reads `map` (already checked to be a mapping) into base: unknown keys,
 * then missing required keys, then each present key in table order. `more`
 * (or NULL) is a second table read first, whose keys are also allowed
 * (the `at` of every script action). */
int kr__sc_read_map(sc_load *l, const sc_value *map, const sc_section *more,
                    const sc_section *sec, const char *what, void *base);
/* A list of at most `max` items (`what` in messages, `many` in the limit's:
 * "too many script actions"). With `items`, a zeroed array of v->n + 1
 * elements of `size` bytes is allocated there first. Each item is then
 * read by `read` (i: its index). */
typedef int (*sc_item_fn)(sc_load *l, const sc_value *item, size_t i, void *ctx);
int kr__sc_read_list(sc_load *l, const sc_value *v, const char *what, size_t max,
                     const char *many, void **items, size_t size, sc_item_fn read, void *ctx);
/* Reads one value as `f` says. */
int kr__sc_read_field(sc_load *l, const sc_value *v, void *base, const sc_field *f);

/* Row builders: the struct member gives offset and size. */
#define SC_ROW(key_, type_, T, m, ...)                                          \
    {.key = (key_), .type = (type_), .offset = offsetof(T, m),                  \
     .size = sizeof(((T *)0)->m), __VA_ARGS__}
#define SC_ROW2(key_, type_, T, m, m2, ...)                                     \
    {.key = (key_), .type = (type_), .offset = offsetof(T, m),                  \
     .offset2 = offsetof(T, m2), .size = sizeof(((T *)0)->m), __VA_ARGS__}
#define SC_CUSTOM(key_, fn, ...) {.key = (key_), .type = SC_T_CUSTOM, .read = (fn), __VA_ARGS__}
#define SC_END {.key = NULL}

/* ---- sections.c -------------------------------------------------------------- */

/* Validates the whole tree into l->s (defaults first, then the keys). */
int kr__sc_read_scenario(sc_load *l, const sc_value *root);
/* A node named by the value (node references are names, not addresses). */
int kr__sc_get_node_ref(sc_load *l, const sc_value *v, const char *what, size_t *index);
/* A list of distinct labels (invariants when `invariants`, else probes). */
int kr__sc_read_names(sc_load *l, const sc_value *v, const char *what, bool invariants,
                      char ***names, sc_pos **pos, size_t *n);

/* ---- script.c ------------------------------------------------------------------ */

/* "id" (unique across nodes) or "id@node": a process of the scenario. */
int kr__sc_get_proc_ref(sc_load *l, const sc_value *v, const char *what, size_t *out);
/* The `script` and `expect` keys of the scenario (SC_T_CUSTOM readers). */
int kr__sc_read_script(sc_load *l, const sc_value *v, void *base, const sc_field *f);
int kr__sc_read_expects(sc_load *l, const sc_value *v, void *base, const sc_field *f);
/* Frees what kr__sc_get_proc_ref indexed. */
void kr__sc_refs_free(sc_load *l);

#endif
