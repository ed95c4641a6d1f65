/* The scenario loader: a YAML file (scenarios/FORMAT.md) into a `scenario`.
 *
 * Two passes. First libyaml's event parser builds a tree of sc_value with
 * every node's position; this pass enforces the structural limits (one
 * document, no aliases, nesting depth, number of values, file size) so the
 * second pass never meets an unbounded input. Then the tree is validated
 * section by section into the scenario's plain structs. The first error
 * stops the load and is reported as "file:line:col: message".
 *
 * The loader calls nothing of the runtime but the registry look-ups
 * (kr__sc_type, kr__sc_invariant, kr__sc_action), so it can be fuzzed on
 * its own. */
#include "scenario_internal.h"

#include <yaml.h>

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Limits that keep any input cheap to reject; FORMAT.md lists them. */
#define SC_FILE_MAX (16u * 1024 * 1024) /* bytes */
#define SC_DEPTH_MAX 64                 /* nested lists/mappings */
#define SC_VALUES_MAX 500000            /* YAML values in one file */
#define SC_PROCS_MAX 4096
#define SC_ACTIONS_MAX 100000
#define SC_EXPECTS_MAX 10000
#define SC_NAMES_MAX 256 /* invariants, required probes */
#define SC_PATH_MAX 2048 /* HTTP paths */

/* Defaults (FORMAT.md). */
#define SC_DEF_TIME KR_SEC(60)
#define SC_DEF_STEPS 1000000u
#define SC_DEF_SEED_FIRST 1u
#define SC_DEF_SEED_LAST 1000u
#define SC_DEF_PCT_DEPTH 3

typedef struct ld {
    const char *path;
    char *err;
    size_t err_len;
    const unsigned char *buf; /* the whole file */
    size_t len;
    yaml_parser_t parser;
    size_t n_values;
    scenario *s;
} ld;

/* ---- small helpers --------------------------------------------------------- */

static char *dup_n(const char *text, size_t n)
{
    char *copy = malloc(n + 1);
    if (copy) {
        memcpy(copy, text, n);
        copy[n] = '\0';
    }
    return copy;
}

static char *dup_str(const char *text) { return dup_n(text, strlen(text)); }

/* Grows *items (of `size` bytes each) to hold at least `need`; false on
 * overflow or out of memory, leaving the array as it was. */
static bool grow(void **items, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return true;
    size_t cap2 = *cap ? *cap : 4;
    while (cap2 < need) {
        if (cap2 > SIZE_MAX / 2)
            return false;
        cap2 *= 2;
    }
    if (cap2 > SIZE_MAX / size)
        return false;
    void *p = realloc(*items, cap2 * size);
    if (!p)
        return false;
    *items = p;
    *cap = cap2;
    return true;
}

static void set_err(ld *l, const char *fmt, ...)
{
    if (!l->err || l->err_len == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(l->err, l->err_len, fmt, ap);
    va_end(ap);
}

/* Reports "file:line:col: message" and returns KR_EFORMAT. */
static int fail(ld *l, sc_pos pos, const char *fmt, ...)
{
    if (l->err && l->err_len > 0) {
        char msg[768];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        snprintf(l->err, l->err_len, "%s:%d:%d: %s", l->path, pos.line, pos.col, msg);
    }
    return KR_EFORMAT;
}

static int fail_nomem(ld *l)
{
    set_err(l, "%s: out of memory", l->path);
    return KR_ENOMEM;
}

static sc_pos mark_pos(yaml_mark_t m)
{
    sc_pos p = {m.line < INT_MAX ? (int)m.line + 1 : INT_MAX,
                m.column < INT_MAX ? (int)m.column + 1 : INT_MAX};
    return p;
}

/* A byte offset as a position, counting characters (not UTF-8 continuation
 * bytes) as libyaml's marks do; used for reader errors, which have no mark. */
static sc_pos offset_pos(const ld *l, size_t offset)
{
    sc_pos p = {1, 1};
    for (size_t i = 0; i < offset && i < l->len; i++) {
        if (l->buf[i] == '\n') {
            if (p.line < INT_MAX)
                p.line++;
            p.col = 1;
        } else if ((l->buf[i] & 0xC0) != 0x80 && p.col < INT_MAX) {
            p.col++;
        }
    }
    return p;
}

/* ---- pass 1: the YAML tree --------------------------------------------------- */

static void value_free(sc_value *v)
{
    if (!v)
        return;
    free(v->text);
    if (v->keys)
        for (size_t i = 0; i < v->n; i++)
            free(v->keys[i]);
    if (v->items)
        for (size_t i = 0; i < v->n; i++)
            value_free(v->items[i]);
    free(v->keys);
    free(v->key_pos);
    free(v->items);
    free(v);
}

static int yaml_fail(ld *l)
{
    yaml_parser_t *p = &l->parser;
    if (p->error == YAML_MEMORY_ERROR)
        return fail_nomem(l);
    const char *problem = p->problem ? p->problem : "malformed YAML";
    if (p->error == YAML_READER_ERROR) {
        sc_pos pos = offset_pos(l, p->problem_offset);
        if (p->problem_value >= 0)
            return fail(l, pos, "%s (#x%X)", problem, (unsigned)p->problem_value);
        return fail(l, pos, "%s", problem);
    }
    sc_pos pos = mark_pos(p->problem_mark);
    if (p->context) {
        sc_pos c = mark_pos(p->context_mark);
        return fail(l, pos, "%s (%s at %d:%d)", problem, p->context, c.line, c.col);
    }
    return fail(l, pos, "%s", problem);
}

static int next_event(ld *l, yaml_event_t *ev)
{
    if (!yaml_parser_parse(&l->parser, ev))
        return yaml_fail(l);
    return 0;
}

static int new_value(ld *l, sc_kind kind, sc_pos pos, sc_value **out)
{
    if (++l->n_values > SC_VALUES_MAX)
        return fail(l, pos, "too many YAML values (the limit is %d)", SC_VALUES_MAX);
    sc_value *v = calloc(1, sizeof *v);
    if (!v)
        return fail_nomem(l);
    v->kind = kind;
    v->pos = pos;
    *out = v;
    return 0;
}

static int build(ld *l, yaml_event_t *ev, int depth, sc_value **out);

static int build_scalar(ld *l, yaml_event_t *ev, sc_value **out)
{
    sc_value *v = NULL; /* gcc -O3 cannot see new_value() sets it on success */
    int rc = new_value(l, SC_SCALAR, mark_pos(ev->start_mark), &v);
    if (rc)
        return rc;
    /* The text may hold NUL bytes ("\0" escapes): len keeps its length. */
    v->len = ev->data.scalar.length;
    v->text = dup_n((const char *)ev->data.scalar.value, v->len);
    if (!v->text) {
        free(v);
        return fail_nomem(l);
    }
    *out = v;
    return 0;
}

static int build_list(ld *l, sc_value *v, int depth)
{
    size_t cap = 0;
    for (;;) {
        yaml_event_t ev;
        int rc = next_event(l, &ev);
        if (rc)
            return rc;
        if (ev.type == YAML_SEQUENCE_END_EVENT) {
            yaml_event_delete(&ev);
            return 0;
        }
        if (!grow((void **)&v->items, &cap, v->n + 1, sizeof *v->items)) {
            yaml_event_delete(&ev);
            return fail_nomem(l);
        }
        rc = build(l, &ev, depth + 1, &v->items[v->n]);
        if (rc)
            return rc;
        v->n++;
    }
}

/* Adds one key of a mapping being built (its value comes next). */
static int add_key(ld *l, sc_value *v, yaml_event_t *key, size_t *cap)
{
    sc_pos pos = mark_pos(key->start_mark);
    if (key->type != YAML_SCALAR_EVENT) {
        bool alias = key->type == YAML_ALIAS_EVENT;
        yaml_event_delete(key);
        return fail(l, pos,
                    alias ? "aliases are not supported: write the value out"
                          : "mapping keys must be scalars, not lists or mappings");
    }
    size_t len = key->data.scalar.length;
    const char *text = (const char *)key->data.scalar.value;
    if (memchr(text, '\0', len)) {
        yaml_event_delete(key);
        return fail(l, pos, "a key must not contain a NUL byte");
    }
    size_t c1 = *cap, c2 = *cap, c3 = *cap;
    if (!grow((void **)&v->keys, &c1, v->n + 1, sizeof *v->keys) ||
        !grow((void **)&v->key_pos, &c2, v->n + 1, sizeof *v->key_pos) ||
        !grow((void **)&v->items, &c3, v->n + 1, sizeof *v->items)) {
        yaml_event_delete(key);
        return fail_nomem(l);
    }
    /* The three arrays grow in step; keep the smallest capacity reached. */
    *cap = c1 < c2 ? (c1 < c3 ? c1 : c3) : (c2 < c3 ? c2 : c3);
    char *copy = dup_n(text, len);
    yaml_event_delete(key);
    if (!copy)
        return fail_nomem(l);
    v->keys[v->n] = copy;
    v->key_pos[v->n] = pos;
    v->items[v->n] = NULL;
    return 0;
}

typedef struct key_ref {
    const char *key;
    size_t index;
} key_ref;

static int key_ref_cmp(const void *a, const void *b)
{
    const key_ref *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    if (c)
        return c;
    return x->index < y->index ? -1 : x->index > y->index;
}

/* Duplicate keys, found by sorting (a mapping may be large): reports the
 * repeat that comes first in the file. */
static int check_duplicate_keys(ld *l, const sc_value *v)
{
    if (v->n < 2)
        return 0;
    key_ref *refs = malloc(v->n * sizeof *refs);
    if (!refs)
        return fail_nomem(l);
    for (size_t i = 0; i < v->n; i++)
        refs[i] = (key_ref){v->keys[i], i};
    qsort(refs, v->n, sizeof *refs, key_ref_cmp);
    size_t worst = SIZE_MAX, first = 0;
    for (size_t i = 1; i < v->n; i++) {
        if (strcmp(refs[i].key, refs[i - 1].key) == 0 && refs[i].index < worst) {
            worst = refs[i].index;
            first = refs[i - 1].index;
        }
    }
    free(refs);
    if (worst == SIZE_MAX)
        return 0;
    sc_pos f = v->key_pos[first];
    return fail(l, v->key_pos[worst], "duplicate key '%s' (first at %d:%d)", v->keys[worst],
                f.line, f.col);
}

static int build_map(ld *l, sc_value *v, int depth)
{
    size_t cap = 0;
    for (;;) {
        yaml_event_t ev;
        int rc = next_event(l, &ev);
        if (rc)
            return rc;
        if (ev.type == YAML_MAPPING_END_EVENT) {
            yaml_event_delete(&ev);
            return check_duplicate_keys(l, v);
        }
        rc = add_key(l, v, &ev, &cap);
        if (rc)
            return rc;
        v->n++; /* the key is owned now; its value is filled in below */
        rc = next_event(l, &ev);
        if (rc)
            return rc;
        rc = build(l, &ev, depth + 1, &v->items[v->n - 1]);
        if (rc)
            return rc;
    }
}

/* Builds the node that starts with *ev (consumed). */
static int build(ld *l, yaml_event_t *ev, int depth, sc_value **out)
{
    sc_pos pos = mark_pos(ev->start_mark);
    *out = NULL;
    if (ev->type == YAML_SCALAR_EVENT) {
        int rc = build_scalar(l, ev, out);
        yaml_event_delete(ev);
        return rc;
    }
    yaml_event_type_t type = ev->type;
    yaml_event_delete(ev);
    if (type == YAML_ALIAS_EVENT)
        return fail(l, pos, "aliases are not supported: write the value out");
    if (type != YAML_SEQUENCE_START_EVENT && type != YAML_MAPPING_START_EVENT)
        return fail(l, pos, "unexpected YAML event");
    if (depth >= SC_DEPTH_MAX)
        return fail(l, pos, "nesting deeper than %d levels", SC_DEPTH_MAX);
    sc_value *v = NULL; /* gcc -O3 cannot see new_value() sets it on success */
    int rc = new_value(l, type == YAML_MAPPING_START_EVENT ? SC_MAP : SC_LIST, pos, &v);
    if (rc)
        return rc;
    rc = v->kind == SC_MAP ? build_map(l, v, depth) : build_list(l, v, depth);
    if (rc) {
        value_free(v);
        return rc;
    }
    *out = v;
    return 0;
}

/* Expects one event of `type` (stream/document framing). */
static int expect_event(ld *l, yaml_event_type_t type, yaml_event_t *ev)
{
    int rc = next_event(l, ev);
    if (rc)
        return rc;
    if (ev->type != type) {
        sc_pos pos = mark_pos(ev->start_mark);
        yaml_event_delete(ev);
        return fail(l, pos, "unexpected YAML event");
    }
    return 0;
}

/* The file's one document as a tree. */
static int build_document(ld *l, sc_value **root)
{
    yaml_event_t ev;
    int rc = expect_event(l, YAML_STREAM_START_EVENT, &ev);
    if (rc)
        return rc;
    yaml_event_delete(&ev);
    if ((rc = next_event(l, &ev)))
        return rc;
    if (ev.type == YAML_STREAM_END_EVENT) {
        yaml_event_delete(&ev);
        return fail(l, (sc_pos){1, 1}, "empty scenario file (nothing but comments or blanks)");
    }
    sc_pos doc = mark_pos(ev.start_mark); /* DOCUMENT-START: libyaml checked the order */
    yaml_event_delete(&ev);
    if ((rc = next_event(l, &ev)))
        return rc;
    if ((rc = build(l, &ev, 0, root)))
        return rc;
    if ((*root)->kind == SC_SCALAR && (*root)->text[0] == '\0')
        return fail(l, doc, "empty scenario (the document has no content)");
    if ((rc = expect_event(l, YAML_DOCUMENT_END_EVENT, &ev)))
        return rc;
    yaml_event_delete(&ev);
    if ((rc = next_event(l, &ev)))
        return rc;
    sc_pos pos = mark_pos(ev.start_mark);
    bool more = ev.type != YAML_STREAM_END_EVENT;
    yaml_event_delete(&ev);
    if (more)
        return fail(l, pos, "a scenario file holds one YAML document; found a second one");
    return 0;
}

/* ---- pass 2 helpers: reading the tree ---------------------------------------- */

static const char *kind_name(sc_kind k)
{
    return k == SC_SCALAR ? "a scalar" : k == SC_LIST ? "a list" : "a mapping";
}

/* The value of `key`, or NULL (also when `map` is not a mapping). */
static const sc_value *field(const sc_value *map, const char *key)
{
    if (!map || map->kind != SC_MAP)
        return NULL;
    for (size_t i = 0; i < map->n; i++)
        if (strcmp(map->keys[i], key) == 0)
            return map->items[i];
    return NULL;
}

static bool in_set(const char *key, const char *const *set)
{
    for (size_t i = 0; set[i]; i++)
        if (strcmp(key, set[i]) == 0)
            return true;
    return false;
}

static void join_set(const char *const *set, char *out, size_t len)
{
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; set[i] && used < len; i++) {
        int w = snprintf(out + used, len - used, "%s%s", i ? ", " : "", set[i]);
        if (w < 0)
            break;
        used += (size_t)w;
    }
}

/* Every key of `map` must be in `allowed` (NULL-terminated). */
static int check_keys(ld *l, const sc_value *map, const char *what, const char *const *allowed)
{
    for (size_t i = 0; i < map->n; i++) {
        if (in_set(map->keys[i], allowed))
            continue;
        char list[400];
        join_set(allowed, list, sizeof list);
        return fail(l, map->key_pos[i], "unknown key '%.64s' in %s (allowed: %s)", map->keys[i],
                    what, list);
    }
    return 0;
}

static int want(ld *l, const sc_value *v, sc_kind kind, const char *what)
{
    if (v->kind == kind)
        return 0;
    return fail(l, v->pos, "%s must be %s, not %s", what, kind_name(kind), kind_name(v->kind));
}

static int missing(ld *l, const sc_value *map, const char *key, const char *what)
{
    return fail(l, map->pos, "missing required key '%s' in %s", key, what);
}

static bool is_null(const sc_value *v)
{
    return v->kind == SC_SCALAR &&
           (v->text[0] == '\0' || strcmp(v->text, "~") == 0 || strcmp(v->text, "null") == 0);
}

/* A scalar without NUL bytes (everything but message bodies). */
static int want_text(ld *l, const sc_value *v, const char *what)
{
    int rc = want(l, v, SC_SCALAR, what);
    if (rc)
        return rc;
    if (strlen(v->text) != v->len)
        return fail(l, v->pos, "%s must not contain a NUL byte", what);
    return 0;
}

static int get_text(ld *l, const sc_value *v, const char *what, char **out)
{
    int rc = want_text(l, v, what);
    if (rc)
        return rc;
    *out = dup_str(v->text);
    return *out ? 0 : fail_nomem(l);
}

static bool name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '_' || c == '.';
}

/* Node names and process ids: 1..63 of [A-Za-z0-9_.-] (they go into pids
 * "id@ip:port" and HTTP paths "/id/..."). */
static int want_name(ld *l, const sc_value *v, const char *what)
{
    int rc = want_text(l, v, what);
    if (rc)
        return rc;
    size_t n = strlen(v->text);
    if (n == 0)
        return fail(l, v->pos, "%s must not be empty", what);
    if (n > KR_ID_MAX)
        return fail(l, v->pos, "%s is longer than %d characters", what, KR_ID_MAX);
    for (size_t i = 0; i < n; i++)
        if (!name_char(v->text[i]))
            return fail(l, v->pos, "%s '%.64s' may only hold letters, digits, '-', '_' and '.'",
                        what, v->text);
    return 0;
}

/* Message, invariant, action and probe names: non-empty, printable. */
static int want_label(ld *l, const sc_value *v, const char *what)
{
    int rc = want_text(l, v, what);
    if (rc)
        return rc;
    size_t n = strlen(v->text);
    if (n == 0)
        return fail(l, v->pos, "%s must not be empty", what);
    if (n > KR_NAME_MAX)
        return fail(l, v->pos, "%s is longer than %d characters", what, KR_NAME_MAX);
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)v->text[i] < 0x20 || v->text[i] == 0x7f)
            return fail(l, v->pos, "%s must not contain control characters", what);
    return 0;
}

static bool parse_u64(const char *t, uint64_t *out)
{
    if (*t < '0' || *t > '9')
        return false;
    uint64_t v = 0;
    for (; *t; t++) {
        if (*t < '0' || *t > '9')
            return false;
        unsigned d = (unsigned)(*t - '0');
        if (v > (UINT64_MAX - d) / 10)
            return false;
        v = v * 10 + d;
    }
    *out = v;
    return true;
}

static int get_uint(ld *l, const sc_value *v, const char *what, uint64_t min, uint64_t max,
                    uint64_t *out)
{
    int rc = want_text(l, v, what);
    if (rc)
        return rc;
    uint64_t x;
    if (!parse_u64(v->text, &x)) {
        if (v->text[0] == '-')
            return fail(l, v->pos, "%s must not be negative", what);
        return fail(l, v->pos, "%s must be a whole number, not '%.64s'", what, v->text);
    }
    if (x < min || x > max)
        return fail(l, v->pos, "%s %s is out of range %llu..%llu", what, v->text,
                    (unsigned long long)min, (unsigned long long)max);
    *out = x;
    return 0;
}

static int get_bool(ld *l, const sc_value *v, const char *what, bool *out)
{
    int rc = want_text(l, v, what);
    if (rc)
        return rc;
    static const char *const yes[] = {"true", "True", "TRUE", NULL};
    static const char *const no[] = {"false", "False", "FALSE", NULL};
    if (in_set(v->text, yes) || in_set(v->text, no)) {
        *out = in_set(v->text, yes);
        return 0;
    }
    return fail(l, v->pos, "%s must be true or false, not '%.64s'", what, v->text);
}

/* A plain decimal probability in [0, 1] ("0.05", "1", "1e-3"). */
static int get_prob(ld *l, const sc_value *v, const char *what, double *out)
{
    int rc = want_text(l, v, what);
    if (rc)
        return rc;
    const char *t = v->text;
    bool ok = *t != '\0';
    for (const char *c = t; *c && ok; c++)
        ok = (*c >= '0' && *c <= '9') || *c == '.' || *c == 'e' || *c == 'E' || *c == '-' ||
             *c == '+';
    char *end = NULL;
    double x = ok ? strtod(t, &end) : 0;
    if (!ok || !end || *end != '\0' || !isfinite(x))
        return fail(l, v->pos, "%s must be a probability (a number in [0, 1]), not '%.64s'",
                    what, t);
    if (x < 0 || x > 1)
        return fail(l, v->pos, "%s %s is outside [0, 1]", what, t);
    *out = x;
    return 0;
}

static int get_duration(ld *l, const sc_value *v, const char *what, kr_duration *out)
{
    int rc = want_text(l, v, what);
    if (rc)
        return rc;
    if (kr__sc_parse_duration(v->text, out))
        return 0;
    if (v->text[0] == '-')
        return fail(l, v->pos, "%s must not be negative", what);
    return fail(l, v->pos,
                "%s '%.64s' is not a duration (a number with ns, us, ms, s, m or h, e.g. 250ms)",
                what, v->text);
}

static int get_positive_duration(ld *l, const sc_value *v, const char *what, kr_duration *out)
{
    int rc = get_duration(l, v, what, out);
    if (rc == 0 && *out <= 0)
        return fail(l, v->pos, "%s must be greater than 0", what);
    return rc;
}

/* A duration range: [min, max] or one duration for both. */
static int get_range(ld *l, const sc_value *v, const char *what, kr_duration *lo, kr_duration *hi)
{
    if (v->kind == SC_SCALAR) {
        int rc = get_duration(l, v, what, lo);
        *hi = *lo;
        return rc;
    }
    if (v->kind != SC_LIST || v->n != 2)
        return fail(l, v->pos, "%s must be a duration or a list [min, max]", what);
    int rc = get_duration(l, v->items[0], what, lo);
    if (!rc)
        rc = get_duration(l, v->items[1], what, hi);
    if (!rc && *lo > *hi)
        return fail(l, v->items[0]->pos, "%s: min %s is greater than max %s", what,
                    v->items[0]->text, v->items[1]->text);
    return rc;
}

/* ---- durations -------------------------------------------------------------- */

typedef struct unit {
    const char *suffix;
    int64_t ns;
    int exact_digits; /* fraction digits that still give whole ns */
} unit;

static const unit units[] = {
    {"ns", 1, 0},
    {"us", 1000, 3},
    {"ms", 1000000, 6},
    {"s", 1000000000, 9},
    {"m", 60000000000LL, 10},
    {"h", 3600000000000LL, 11},
    {"", 1, 0}, /* a bare number: ns */
};

KR_API bool kr__sc_parse_duration(const char *text, kr_duration *out)
{
    if (!text || !out || *text < '0' || *text > '9')
        return false;
    const char *t = text;
    uint64_t whole = 0;
    for (; *t >= '0' && *t <= '9'; t++) {
        if (whole > (UINT64_MAX - 9) / 10)
            return false;
        whole = whole * 10 + (uint64_t)(*t - '0');
    }
    const char *frac = NULL;
    size_t nfrac = 0;
    if (*t == '.') {
        frac = ++t;
        while (*t >= '0' && *t <= '9')
            t++;
        nfrac = (size_t)(t - frac);
        if (nfrac == 0)
            return false;
    }
    const unit *u = NULL;
    for (size_t i = 0; i < sizeof units / sizeof *units; i++)
        if (strcmp(t, units[i].suffix) == 0) {
            u = &units[i];
            break;
        }
    if (!u)
        return false;
    /* Fraction digits past the unit's resolution must be zero: 1.5ns is not
     * a whole number of nanoseconds. */
    int64_t part = 0, scale = u->ns;
    for (size_t i = 0; i < nfrac; i++) {
        int d = frac[i] - '0';
        if ((int)i < u->exact_digits) {
            scale /= 10;
            part += d * scale;
        } else if (d != 0) {
            return false;
        }
    }
    if (whole > (uint64_t)(INT64_MAX - part) / (uint64_t)u->ns)
        return false;
    *out = (kr_duration)whole * u->ns + part;
    return true;
}

/* ---- sections ----------------------------------------------------------------- */

/* Scenarios refer to nodes by name only (as kr_sc_pid's "id@node" does). */
static const sc_node *node_named(const scenario *s, const char *name, size_t *index)
{
    for (size_t i = 0; i < s->n_nodes; i++)
        if (s->nodes[i].name && strcmp(s->nodes[i].name, name) == 0) {
            *index = i;
            return &s->nodes[i];
        }
    return NULL;
}

static bool address_taken(const scenario *s, const char *address)
{
    for (size_t i = 0; i < s->n_nodes; i++)
        if (s->nodes[i].address && strcmp(s->nodes[i].address, address) == 0)
            return true;
    return false;
}

static int get_node_ref(ld *l, const sc_value *v, const char *what, size_t *index)
{
    int rc = want_text(l, v, what);
    if (rc)
        return rc;
    if (!node_named(l->s, v->text, index))
        return fail(l, v->pos, "%s: no node named '%.64s'", what, v->text);
    return 0;
}

/* "ip:port" with a dotted-quad ip and a port 1..65535, canonical form out. */
static int parse_address(ld *l, const sc_value *v, char **out)
{
    int rc = want_text(l, v, "address");
    if (rc)
        return rc;
    const char *t = v->text;
    unsigned octet[4];
    for (int i = 0; i < 4; i++) {
        if (i > 0 && *t++ != '.')
            goto bad;
        if (*t < '0' || *t > '9')
            goto bad;
        unsigned x = 0;
        for (int digits = 0; *t >= '0' && *t <= '9'; digits++, t++) {
            if (digits == 3)
                goto bad;
            x = x * 10 + (unsigned)(*t - '0');
        }
        if (x > 255)
            return fail(l, v->pos, "address '%.64s': %u is not an IPv4 octet (0..255)", v->text, x);
        octet[i] = x;
    }
    if (*t++ != ':')
        goto bad;
    uint64_t port;
    if (!parse_u64(t, &port))
        goto bad;
    if (port < 1 || port > 65535)
        return fail(l, v->pos, "address '%.64s': port out of range 1..65535", v->text);
    char buf[32];
    snprintf(buf, sizeof buf, "%u.%u.%u.%u:%u", octet[0], octet[1], octet[2], octet[3],
             (unsigned)port);
    *out = dup_str(buf);
    return *out ? 0 : fail_nomem(l);
bad:
    return fail(l, v->pos, "address '%.64s' is not ip:port (e.g. 10.0.0.1:5050)", v->text);
}

static int load_process(ld *l, const sc_value *v, size_t node, sc_process *p)
{
    static const char *const keys[] = {"id", "type", "args", NULL};
    int rc = want(l, v, SC_MAP, "a process");
    if (!rc)
        rc = check_keys(l, v, "a process", keys);
    if (rc)
        return rc;
    const sc_value *id = field(v, "id"), *type = field(v, "type"), *args = field(v, "args");
    if (!id)
        return missing(l, v, "id", "a process");
    if (!type)
        return missing(l, v, "type", "a process");
    p->node = node;
    p->pos = v->pos;
    if ((rc = want_name(l, id, "process id")) || (rc = get_text(l, id, "process id", &p->id)))
        return rc;
    if ((rc = get_text(l, type, "process type", &p->type)))
        return rc;
    if (!kr__sc_type(p->type))
        return fail(l, type->pos, "unknown actor type '%.64s' (`kairos types` lists them)",
                    p->type);
    for (size_t i = 0; i < l->s->n_procs; i++) {
        const sc_process *q = &l->s->procs[i];
        if (q != p && q->node == node && strcmp(q->id, p->id) == 0)
            return fail(l, id->pos, "duplicate process id '%s' on node '%s' (first at %d:%d)",
                        p->id, l->s->nodes[node].name, q->pos.line, q->pos.col);
    }
    if (args && !is_null(args)) {
        if ((rc = want(l, args, SC_MAP, "args")))
            return rc;
        p->args = (sc_value *)args; /* owned by the tree (s->root) */
    }
    return 0;
}

static int load_processes(ld *l, const sc_value *list, size_t node)
{
    int rc = want(l, list, SC_LIST, "processes");
    if (rc)
        return rc;
    scenario *s = l->s;
    if (s->n_procs + list->n > SC_PROCS_MAX)
        return fail(l, list->pos, "too many processes (the limit is %d)", SC_PROCS_MAX);
    sc_process *grown = realloc(s->procs, (s->n_procs + list->n + 1) * sizeof *grown);
    if (!grown)
        return fail_nomem(l);
    s->procs = grown;
    for (size_t i = 0; i < list->n; i++) {
        memset(&s->procs[s->n_procs], 0, sizeof *s->procs);
        s->n_procs++; /* counted first so kr__sc_free frees a half-made one */
        if ((rc = load_process(l, list->items[i], node, &s->procs[s->n_procs - 1])))
            return rc;
    }
    return 0;
}

static int load_node(ld *l, const sc_value *v, size_t index)
{
    static const char *const keys[] = {"name", "address", "processes", NULL};
    int rc = want(l, v, SC_MAP, "a node");
    if (!rc)
        rc = check_keys(l, v, "a node", keys);
    if (rc)
        return rc;
    const sc_value *name = field(v, "name"), *addr = field(v, "address");
    if (!name)
        return missing(l, v, "name", "a node");
    sc_node *n = &l->s->nodes[index];
    n->pos = v->pos;
    if ((rc = want_name(l, name, "node name")) || (rc = get_text(l, name, "node name", &n->name)))
        return rc;
    for (size_t i = 0; i < index; i++)
        if (strcmp(l->s->nodes[i].name, n->name) == 0)
            return fail(l, name->pos, "duplicate node name '%s' (first at %d:%d)", n->name,
                        l->s->nodes[i].pos.line, l->s->nodes[i].pos.col);
    if (addr) {
        if ((rc = parse_address(l, addr, &n->address)))
            return rc;
        for (size_t i = 0; i < index; i++)
            if (l->s->nodes[i].address && strcmp(l->s->nodes[i].address, n->address) == 0)
                return fail(l, addr->pos, "duplicate address %s (node '%s' has it)", n->address,
                            l->s->nodes[i].name);
    }
    const sc_value *procs = field(v, "processes");
    if (procs && !is_null(procs))
        return load_processes(l, procs, index);
    return 0;
}

/* Nodes without an address get the lowest free 10.0.0.N:5050. */
static int assign_addresses(ld *l)
{
    scenario *s = l->s;
    unsigned next = 1;
    for (size_t i = 0; i < s->n_nodes; i++) {
        if (s->nodes[i].address)
            continue;
        for (;; next++) {
            char buf[32];
            snprintf(buf, sizeof buf, "10.0.0.%u:5050", next);
            if (!address_taken(s, buf)) {
                s->nodes[i].address = dup_str(buf);
                if (!s->nodes[i].address)
                    return fail_nomem(l);
                break;
            }
        }
    }
    return 0;
}

static int load_nodes(ld *l, const sc_value *root)
{
    const sc_value *v = field(root, "nodes");
    if (!v)
        return missing(l, root, "nodes", "the scenario");
    int rc = want(l, v, SC_LIST, "nodes");
    if (rc)
        return rc;
    if (v->n == 0)
        return fail(l, v->pos, "nodes must list at least one node");
    if (v->n > KR_SIM_NODES_MAX)
        return fail(l, v->items[KR_SIM_NODES_MAX]->pos, "too many nodes (the limit is %d)",
                    KR_SIM_NODES_MAX);
    l->s->nodes = calloc(v->n, sizeof *l->s->nodes);
    if (!l->s->nodes)
        return fail_nomem(l);
    for (size_t i = 0; i < v->n; i++) {
        l->s->n_nodes = i + 1;
        if ((rc = load_node(l, v->items[i], i)))
            return rc;
    }
    return assign_addresses(l);
}

/* latency / drop / duplicate of the global network or of a link. */
static int load_net_fields(ld *l, const sc_value *v, kr_sim_net *net)
{
    const sc_value *f;
    int rc = 0;
    if ((f = field(v, "latency")))
        rc = get_range(l, f, "latency", &net->latency_min, &net->latency_max);
    if (!rc && (f = field(v, "drop")))
        rc = get_prob(l, f, "drop", &net->drop);
    if (!rc && (f = field(v, "duplicate")))
        rc = get_prob(l, f, "duplicate", &net->duplicate);
    return rc;
}

static int add_link(ld *l, size_t from, size_t to, const kr_sim_net *net, sc_pos pos)
{
    scenario *s = l->s;
    for (size_t i = 0; i < s->n_links; i++)
        if (s->links[i].from == from && s->links[i].to == to)
            return fail(l, pos, "link %s -> %s is given twice (first at %d:%d)",
                        s->nodes[from].name, s->nodes[to].name, s->links[i].pos.line,
                        s->links[i].pos.col);
    s->links[s->n_links++] = (sc_link){.from = from, .to = to, .net = *net, .pos = pos};
    return 0;
}

static int load_link(ld *l, const sc_value *v)
{
    static const char *const keys[] = {"from", "to", "both_ways", "latency", "drop",
                                       "duplicate", NULL};
    int rc = want(l, v, SC_MAP, "a link");
    if (!rc)
        rc = check_keys(l, v, "a link", keys);
    if (rc)
        return rc;
    const sc_value *from = field(v, "from"), *to = field(v, "to"), *both = field(v, "both_ways");
    if (!from)
        return missing(l, v, "from", "a link");
    if (!to)
        return missing(l, v, "to", "a link");
    size_t a, b;
    bool both_ways = false;
    if ((rc = get_node_ref(l, from, "from", &a)) || (rc = get_node_ref(l, to, "to", &b)))
        return rc;
    if (a == b)
        return fail(l, to->pos, "a link joins two different nodes ('%s' twice)", from->text);
    if (both && (rc = get_bool(l, both, "both_ways", &both_ways)))
        return rc;
    kr_sim_net net = l->s->net; /* unspecified fields: the global network's */
    if ((rc = load_net_fields(l, v, &net)))
        return rc;
    rc = add_link(l, a, b, &net, v->pos);
    if (!rc && both_ways)
        rc = add_link(l, b, a, &net, v->pos);
    return rc;
}

static int load_network(ld *l, const sc_value *root)
{
    static const char *const keys[] = {"latency", "drop", "duplicate", "links", NULL};
    scenario *s = l->s;
    s->net = (kr_sim_net){.latency_min = KR_MSEC(1), .latency_max = KR_MSEC(10)};
    const sc_value *v = field(root, "network");
    if (!v)
        return 0;
    int rc = want(l, v, SC_MAP, "network");
    if (!rc)
        rc = check_keys(l, v, "network", keys);
    if (!rc)
        rc = load_net_fields(l, v, &s->net);
    const sc_value *links = rc ? NULL : field(v, "links");
    if (!links)
        return rc;
    if ((rc = want(l, links, SC_LIST, "links")))
        return rc;
    if (links->n > SIZE_MAX / 2 / sizeof *s->links || links->n > 2 * 64 * 64)
        return fail(l, links->pos, "too many links");
    s->links = calloc(2 * links->n + 1, sizeof *s->links); /* both_ways makes two */
    if (!s->links)
        return fail_nomem(l);
    for (size_t i = 0; i < links->n && !rc; i++)
        rc = load_link(l, links->items[i]);
    return rc;
}

/* ---- process references ----------------------------------------------------- */

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

/* Process ids sorted, so that each reference is a binary search. */
static int index_procs(ld *l, proc_ref **out)
{
    scenario *s = l->s;
    *out = malloc((s->n_procs + 1) * sizeof **out);
    if (!*out)
        return fail_nomem(l);
    for (size_t i = 0; i < s->n_procs; i++)
        (*out)[i] = (proc_ref){s->procs[i].id, i};
    qsort(*out, s->n_procs, sizeof **out, proc_ref_cmp);
    return 0;
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

/* "id" (unique across nodes) or "id@node" (node name or address). */
static int get_proc_ref(ld *l, const proc_ref *idx, const sc_value *v, const char *what,
                        size_t *out)
{
    int rc = want_text(l, v, what);
    if (rc)
        return rc;
    scenario *s = l->s;
    char id[KR_ID_MAX + 1];
    const char *at = strchr(v->text, '@');
    size_t id_len = at ? (size_t)(at - v->text) : strlen(v->text);
    size_t node = SIZE_MAX;
    if (id_len == 0 || id_len > KR_ID_MAX)
        return fail(l, v->pos, "%s: no process '%.64s'", what, v->text);
    memcpy(id, v->text, id_len);
    id[id_len] = '\0';
    if (at && !node_named(s, at + 1, &node))
        return fail(l, v->pos, "%s: no node named '%.64s'", what, at + 1);
    size_t first = first_proc(idx, s->n_procs, id), found = SIZE_MAX;
    for (size_t i = first; i < s->n_procs && strcmp(idx[i].id, id) == 0; i++) {
        size_t p = idx[i].index;
        if (node != SIZE_MAX && s->procs[p].node != node)
            continue;
        if (found != SIZE_MAX)
            return fail(l, v->pos,
                        "%s: process '%s' is on several nodes ('%s', '%s'): write %s@NODE", what,
                        id, s->nodes[s->procs[found].node].name, s->nodes[s->procs[p].node].name,
                        id);
        found = p;
    }
    if (found == SIZE_MAX)
        return fail(l, v->pos, node == SIZE_MAX ? "%s: no process '%.64s'"
                                                : "%s: no process '%.64s' on that node",
                    what, v->text);
    *out = found;
    return 0;
}

/* ---- script ------------------------------------------------------------------ */

static const char *const action_kinds[] = {"post",  "dispatch", "http",    "partition",
                                           "heal",  "crash",    "restart", "clog", NULL};

/* The one key of `kinds` present in an item, or an error. */
static int item_kind(ld *l, const sc_value *v, const char *const *kinds, const char *what,
                     size_t *kind)
{
    size_t found = SIZE_MAX;
    for (size_t i = 0; i < v->n; i++) {
        for (size_t k = 0; kinds[k]; k++) {
            if (strcmp(v->keys[i], kinds[k]) != 0)
                continue;
            if (found != SIZE_MAX)
                return fail(l, v->key_pos[i], "'%s' and '%s' in one %s: write one per item",
                            kinds[found], kinds[k], what);
            found = k;
        }
    }
    if (found == SIZE_MAX) {
        char list[200];
        join_set(kinds, list, sizeof list);
        return fail(l, v->pos, "%s needs one of: %s", what, list);
    }
    *kind = found;
    return 0;
}

/* "METHOD /path" of an HTTP action or expectation. */
static int get_request(ld *l, const sc_value *v, char **method, char **path)
{
    int rc = want_text(l, v, "http");
    if (rc)
        return rc;
    const char *t = v->text, *sp = strchr(t, ' ');
    size_t mlen = sp ? (size_t)(sp - t) : 0;
    bool ok = sp && mlen > 0 && mlen <= 16 && sp[1] == '/';
    for (size_t i = 0; ok && i < mlen; i++)
        ok = t[i] >= 'A' && t[i] <= 'Z';
    size_t plen = ok ? strlen(sp + 1) : 0;
    for (size_t i = 0; ok && i < plen; i++)
        ok = sp[1 + i] > 0x20 && sp[1 + i] < 0x7f;
    if (!ok)
        return fail(l, v->pos, "http must be \"METHOD /path\" (e.g. \"GET /account/balance\"), "
                               "not '%.64s'", t);
    if (plen > SC_PATH_MAX)
        return fail(l, v->pos, "http path longer than %d characters", SC_PATH_MAX);
    *method = dup_n(t, mlen);
    *path = dup_str(sp + 1);
    return *method && *path ? 0 : fail_nomem(l);
}

static int get_body(ld *l, const sc_value *v, char **body, size_t *len)
{
    int rc = want(l, v, SC_SCALAR, "body");
    if (rc)
        return rc;
    *body = dup_n(v->text, v->len);
    *len = v->len;
    return *body ? 0 : fail_nomem(l);
}

static int act_post(ld *l, const proc_ref *idx, const sc_value *v, sc_action *a)
{
    const sc_value *to = field(v, "to"), *body = field(v, "body");
    if (!to)
        return missing(l, v, "to", "a 'post' action");
    int rc = want_label(l, field(v, "post"), "message name");
    if (!rc)
        rc = get_text(l, field(v, "post"), "message name", &a->name);
    if (!rc)
        rc = get_proc_ref(l, idx, to, "to", &a->target);
    if (!rc && body)
        rc = get_body(l, body, &a->body, &a->body_len);
    return rc;
}

static int act_dispatch(ld *l, const proc_ref *idx, const sc_value *v, sc_action *a)
{
    const sc_value *to = field(v, "to"), *name = field(v, "dispatch");
    if (!to)
        return missing(l, v, "to", "a 'dispatch' action");
    int rc = want_label(l, name, "action name");
    if (!rc)
        rc = get_text(l, name, "action name", &a->name);
    if (!rc)
        rc = get_proc_ref(l, idx, to, "to", &a->target);
    if (rc)
        return rc;
    const char *type = l->s->procs[a->target].type;
    if (!kr__sc_action(type, a->name))
        return fail(l, name->pos, "unknown action '%.64s' for actor type '%.64s'", a->name, type);
    return 0;
}

static int act_http(ld *l, const sc_value *v, sc_action *a)
{
    const sc_value *node = field(v, "node"), *body = field(v, "body");
    if (!node)
        return missing(l, v, "node", "an 'http' action");
    int rc = get_request(l, field(v, "http"), &a->method, &a->path);
    if (!rc)
        rc = get_node_ref(l, node, "node", &a->node);
    if (!rc && body)
        rc = get_body(l, body, &a->body, &a->body_len);
    return rc;
}

/* Node names of one partition side, none twice in the whole partition. */
static int get_side(ld *l, const sc_value *list, bool *used, size_t **side, size_t *n)
{
    int rc = want(l, list, SC_LIST, "a partition side");
    if (rc)
        return rc;
    if (list->n == 0)
        return fail(l, list->pos, "a partition side must name at least one node");
    *side = calloc(list->n, sizeof **side);
    if (!*side)
        return fail_nomem(l);
    for (size_t i = 0; i < list->n; i++) {
        size_t node = 0; /* gcc -O3 cannot see get_node_ref() sets it on success */
        if ((rc = get_node_ref(l, list->items[i], "partition", &node)))
            return rc;
        if (used[node])
            return fail(l, list->items[i]->pos, "node '%s' appears twice in the partition",
                        l->s->nodes[node].name);
        used[node] = true;
        (*side)[(*n)++] = node;
    }
    return 0;
}

/* [a, b] cuts those from every other node; [[a], [b, c]] names both sides. */
static int act_partition(ld *l, const sc_value *v, sc_action *a)
{
    const sc_value *p = field(v, "partition");
    int rc = want(l, p, SC_LIST, "partition");
    if (rc)
        return rc;
    bool used[KR_SIM_NODES_MAX] = {false};
    bool two = p->n > 0 && p->items[0]->kind == SC_LIST;
    if (!two) {
        if ((rc = get_side(l, p, used, &a->side_a, &a->na)))
            return rc;
        a->side_b = calloc(l->s->n_nodes, sizeof *a->side_b);
        if (!a->side_b)
            return fail_nomem(l);
        for (size_t i = 0; i < l->s->n_nodes; i++)
            if (!used[i])
                a->side_b[a->nb++] = i;
        if (a->nb == 0)
            return fail(l, p->pos, "partition names every node: the other side is empty");
        return 0;
    }
    if (p->n != 2)
        return fail(l, p->pos, "partition must be a list of nodes or two lists of nodes");
    if ((rc = get_side(l, p->items[0], used, &a->side_a, &a->na)))
        return rc;
    return get_side(l, p->items[1], used, &a->side_b, &a->nb);
}

static int act_heal(ld *l, const sc_value *v)
{
    const sc_value *h = field(v, "heal");
    bool yes = true;
    if (is_null(h))
        return 0;
    int rc = get_bool(l, h, "heal", &yes);
    if (!rc && !yes)
        return fail(l, h->pos, "heal takes no value (or true)");
    return rc;
}

static int act_clog(ld *l, const sc_value *v, sc_action *a)
{
    const sc_value *to = field(v, "to"), *d = field(v, "for");
    if (!to)
        return missing(l, v, "to", "a 'clog' action");
    if (!d)
        return missing(l, v, "for", "a 'clog' action");
    int rc = get_node_ref(l, field(v, "clog"), "clog", &a->from_node);
    if (!rc)
        rc = get_node_ref(l, to, "to", &a->to_node);
    if (!rc && a->from_node == a->to_node)
        return fail(l, to->pos, "clog needs two different nodes");
    if (!rc)
        rc = get_positive_duration(l, d, "for", &a->duration);
    return rc;
}

static int load_action(ld *l, const proc_ref *idx, const sc_value *v, sc_action *a)
{
    static const char *const keys[][5] = {
        {"at", "post", "to", "body", NULL}, {"at", "dispatch", "to", NULL},
        {"at", "http", "node", "body", NULL}, {"at", "partition", NULL},
        {"at", "heal", NULL}, {"at", "crash", NULL},
        {"at", "restart", NULL}, {"at", "clog", "to", "for", NULL},
    };
    int rc = want(l, v, SC_MAP, "a script action");
    size_t kind;
    if (!rc)
        rc = item_kind(l, v, action_kinds, "script action", &kind);
    if (rc)
        return rc;
    char what[48];
    snprintf(what, sizeof what, "a '%s' action", action_kinds[kind]);
    if ((rc = check_keys(l, v, what, keys[kind])))
        return rc;
    a->kind = (sc_action_kind)kind; /* action_kinds follows sc_action_kind */
    a->pos = v->pos;
    const sc_value *at = field(v, "at");
    if (!at)
        return missing(l, v, "at", what);
    if ((rc = get_duration(l, at, "at", &a->at)))
        return rc;
    if (a->at > l->s->time_limit)
        return fail(l, at->pos, "at %s is past the time limit (limits: time)", at->text);
    switch (a->kind) {
    case SC_POST: return act_post(l, idx, v, a);
    case SC_DISPATCH: return act_dispatch(l, idx, v, a);
    case SC_HTTP: return act_http(l, v, a);
    case SC_PARTITION: return act_partition(l, v, a);
    case SC_HEAL: return act_heal(l, v);
    case SC_CRASH: return get_node_ref(l, field(v, "crash"), "crash", &a->node);
    case SC_RESTART: return get_node_ref(l, field(v, "restart"), "restart", &a->node);
    case SC_CLOG: return act_clog(l, v, a);
    }
    return 0;
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
static int sort_actions(ld *l)
{
    scenario *s = l->s;
    if (s->n_actions < 2)
        return 0;
    timed *order = malloc(s->n_actions * sizeof *order);
    sc_action *sorted = malloc(s->n_actions * sizeof *sorted);
    if (!order || !sorted) {
        free(order);
        free(sorted);
        return fail_nomem(l);
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

static int load_script(ld *l, const sc_value *root, const proc_ref *idx)
{
    const sc_value *v = field(root, "script");
    if (!v || is_null(v))
        return 0;
    int rc = want(l, v, SC_LIST, "script");
    if (rc)
        return rc;
    if (v->n > SC_ACTIONS_MAX)
        return fail(l, v->items[SC_ACTIONS_MAX]->pos, "too many script actions (the limit is %d)",
                    SC_ACTIONS_MAX);
    scenario *s = l->s;
    s->actions = calloc(v->n + 1, sizeof *s->actions);
    if (!s->actions)
        return fail_nomem(l);
    for (size_t i = 0; i < v->n; i++) {
        s->n_actions = i + 1;
        if ((rc = load_action(l, idx, v->items[i], &s->actions[i])))
            return rc;
    }
    return sort_actions(l);
}

/* ---- faults ------------------------------------------------------------------- */

static int load_fault_kinds(ld *l, const sc_value *v, sc_random_faults *f)
{
    int rc = want(l, v, SC_LIST, "kinds");
    if (rc)
        return rc;
    if (v->n == 0)
        return fail(l, v->pos, "kinds must name at least one of partition, crash, clog");
    f->partition = f->crash = f->clog = false;
    for (size_t i = 0; i < v->n; i++) {
        const sc_value *k = v->items[i];
        if ((rc = want_text(l, k, "a fault kind")))
            return rc;
        bool *flag = strcmp(k->text, "partition") == 0 ? &f->partition
                     : strcmp(k->text, "crash") == 0   ? &f->crash
                     : strcmp(k->text, "clog") == 0    ? &f->clog
                                                       : NULL;
        if (!flag)
            return fail(l, k->pos, "unknown fault kind '%.64s' (allowed: partition, crash, clog)",
                        k->text);
        if (*flag)
            return fail(l, k->pos, "fault kind '%s' is listed twice", k->text);
        *flag = true;
    }
    return 0;
}

static int load_random_faults(ld *l, const sc_value *v)
{
    static const char *const keys[] = {"enabled", "every", "until", "heal_after", "kinds", NULL};
    sc_random_faults *f = &l->s->random_faults;
    int rc = want(l, v, SC_MAP, "random");
    if (!rc)
        rc = check_keys(l, v, "faults: random", keys);
    if (rc)
        return rc;
    *f = (sc_random_faults){.enabled = true, .every_min = KR_SEC(1), .every_max = KR_SEC(5),
                            .until = KR_SEC(30), .heal_min = KR_MSEC(100),
                            .heal_max = KR_SEC(1), .partition = true, .crash = true,
                            .clog = true, .pos = v->pos};
    if (f->until > l->s->time_limit)
        f->until = l->s->time_limit;
    const sc_value *x;
    if ((x = field(v, "enabled")) && (rc = get_bool(l, x, "enabled", &f->enabled)))
        return rc;
    if ((x = field(v, "every"))) {
        if ((rc = get_range(l, x, "every", &f->every_min, &f->every_max)))
            return rc;
        if (f->every_min <= 0)
            return fail(l, x->pos, "every must be greater than 0");
    }
    if ((x = field(v, "until"))) {
        if ((rc = get_duration(l, x, "until", &f->until)))
            return rc;
        if (f->until > l->s->time_limit)
            return fail(l, x->pos, "until %s is past the time limit (limits: time)", x->text);
    }
    if ((x = field(v, "heal_after")) &&
        (rc = get_range(l, x, "heal_after", &f->heal_min, &f->heal_max)))
        return rc;
    if ((x = field(v, "kinds")))
        return load_fault_kinds(l, x, f);
    return 0;
}

static int load_faults(ld *l, const sc_value *root)
{
    static const char *const keys[] = {"random", NULL};
    const sc_value *v = field(root, "faults");
    if (!v)
        return 0;
    int rc = want(l, v, SC_MAP, "faults");
    if (!rc)
        rc = check_keys(l, v, "faults", keys);
    const sc_value *random = rc ? NULL : field(v, "random");
    if (random)
        rc = load_random_faults(l, random);
    return rc;
}

/* ---- checks ------------------------------------------------------------------ */

static int get_invariant(ld *l, const sc_value *v, const char *what, char **out)
{
    int rc = want_label(l, v, what);
    if (rc)
        return rc;
    if (!kr__sc_invariant(v->text))
        return fail(l, v->pos, "unknown invariant '%.64s' (`kairos types` lists them)", v->text);
    return get_text(l, v, what, out);
}

static int get_probe_name(ld *l, const sc_value *v, char **out)
{
    int rc = want_label(l, v, "a probe name");
    return rc ? rc : get_text(l, v, "a probe name", out);
}

/* A list of distinct names (invariants, required probes). */
static int load_names(ld *l, const sc_value *v, const char *what, bool invariants, char ***names,
                      sc_pos **pos, size_t *n)
{
    int rc = want(l, v, SC_LIST, what);
    if (rc)
        return rc;
    if (v->n > SC_NAMES_MAX)
        return fail(l, v->items[SC_NAMES_MAX]->pos, "too many %s (the limit is %d)", what,
                    SC_NAMES_MAX);
    *names = calloc(v->n + 1, sizeof **names);
    if (pos)
        *pos = calloc(v->n + 1, sizeof **pos);
    if (!*names || (pos && !*pos))
        return fail_nomem(l);
    for (size_t i = 0; i < v->n; i++) {
        const sc_value *x = v->items[i];
        *n = i + 1; /* counted first so kr__sc_free frees it on error */
        if (pos)
            (*pos)[i] = x->pos;
        rc = invariants ? get_invariant(l, x, "an invariant", &(*names)[i])
                        : get_probe_name(l, x, &(*names)[i]);
        if (rc)
            return rc;
        for (size_t j = 0; j < i; j++)
            if (strcmp((*names)[j], (*names)[i]) == 0)
                return fail(l, x->pos, "'%s' is listed twice in %s", (*names)[i], what);
    }
    return 0;
}

static int load_invariants(ld *l, const sc_value *root)
{
    const sc_value *v = field(root, "invariants");
    if (!v || is_null(v))
        return 0;
    scenario *s = l->s;
    return load_names(l, v, "invariants", true, &s->invariants, &s->invariant_pos,
                      &s->n_invariants);
}

static const char *const expect_kinds[] = {"delivered", "quiescent", "http", "invariant", "probe",
                                           NULL};

static int get_at_least(ld *l, const sc_value *v, sc_expect *e)
{
    const sc_value *x = field(v, "at_least");
    uint64_t n = 1;
    int rc = x ? get_uint(l, x, "at_least", 1, INT64_MAX, &n) : 0;
    e->at_least = (int64_t)n;
    return rc;
}

static int exp_http(ld *l, const sc_value *v, sc_expect *e)
{
    const sc_value *node = field(v, "node"), *status = field(v, "status"), *body = field(v, "body");
    if (!node)
        return missing(l, v, "node", "an 'http' expectation");
    int rc = get_request(l, field(v, "http"), &e->method, &e->path);
    if (!rc)
        rc = get_node_ref(l, node, "node", &e->node);
    uint64_t code = 200;
    if (!rc && status)
        rc = get_uint(l, status, "status", 100, 599, &code);
    e->status = (int)code;
    if (!rc && body)
        rc = get_text(l, body, "body", &e->body);
    return rc;
}

static int load_expect(ld *l, const sc_value *v, sc_expect *e)
{
    static const char *const keys[][5] = {
        {"delivered", "at_least", NULL}, {"quiescent", NULL},
        {"http", "node", "status", "body", NULL}, {"invariant", NULL},
        {"probe", "at_least", NULL},
    };
    int rc = want(l, v, SC_MAP, "an expectation");
    size_t kind;
    if (!rc)
        rc = item_kind(l, v, expect_kinds, "expectation", &kind);
    if (rc)
        return rc;
    char what[48];
    snprintf(what, sizeof what, "a '%s' expectation", expect_kinds[kind]);
    if ((rc = check_keys(l, v, what, keys[kind])))
        return rc;
    e->kind = (sc_expect_kind)kind; /* expect_kinds follows sc_expect_kind */
    e->pos = v->pos;
    const sc_value *x = field(v, expect_kinds[kind]);
    bool yes;
    switch (e->kind) {
    case SC_EXPECT_DELIVERED:
        if ((rc = want_label(l, x, "message name")) ||
            (rc = get_text(l, x, "message name", &e->name)))
            return rc;
        return get_at_least(l, v, e);
    case SC_EXPECT_QUIESCENT:
        if ((rc = get_bool(l, x, "quiescent", &yes)))
            return rc;
        return yes ? 0 : fail(l, x->pos, "quiescent: false checks nothing; remove it");
    case SC_EXPECT_HTTP: return exp_http(l, v, e);
    case SC_EXPECT_INVARIANT: return get_invariant(l, x, "invariant", &e->name);
    case SC_EXPECT_PROBE:
        if ((rc = want_label(l, x, "probe name")) || (rc = get_text(l, x, "probe name", &e->name)))
            return rc;
        return get_at_least(l, v, e);
    }
    return 0;
}

static int load_expects(ld *l, const sc_value *root)
{
    const sc_value *v = field(root, "expect");
    if (!v || is_null(v))
        return 0;
    int rc = want(l, v, SC_LIST, "expect");
    if (rc)
        return rc;
    if (v->n > SC_EXPECTS_MAX)
        return fail(l, v->items[SC_EXPECTS_MAX]->pos, "too many expectations (the limit is %d)",
                    SC_EXPECTS_MAX);
    scenario *s = l->s;
    s->expects = calloc(v->n + 1, sizeof *s->expects);
    if (!s->expects)
        return fail_nomem(l);
    for (size_t i = 0; i < v->n && !rc; i++) {
        s->n_expects = i + 1;
        rc = load_expect(l, v->items[i], &s->expects[i]);
    }
    return rc;
}

static int load_liveness(ld *l, const sc_value *root)
{
    static const char *const keys[] = {"check", "within", NULL};
    const sc_value *v = field(root, "liveness");
    if (!v)
        return 0;
    int rc = want(l, v, SC_MAP, "liveness");
    if (!rc)
        rc = check_keys(l, v, "liveness", keys);
    if (rc)
        return rc;
    const sc_value *check = field(v, "check"), *within = field(v, "within");
    if (!check)
        return missing(l, v, "check", "liveness");
    if (!within)
        return missing(l, v, "within", "liveness");
    l->s->liveness_pos = v->pos;
    rc = get_invariant(l, check, "liveness check", &l->s->liveness_check);
    if (!rc)
        rc = get_positive_duration(l, within, "within", &l->s->liveness_within);
    return rc;
}

static int load_probes(ld *l, const sc_value *root)
{
    static const char *const keys[] = {"require", NULL};
    const sc_value *v = field(root, "probes");
    if (!v)
        return 0;
    int rc = want(l, v, SC_MAP, "probes");
    if (!rc)
        rc = check_keys(l, v, "probes", keys);
    const sc_value *req = rc ? NULL : field(v, "require");
    if (!req)
        return rc;
    scenario *s = l->s;
    return load_names(l, req, "require", false, &s->require_probes, NULL, &s->n_require_probes);
}

/* ---- limits and run settings ------------------------------------------------ */

static int load_limits(ld *l, const sc_value *root)
{
    static const char *const keys[] = {"time", "steps", NULL};
    scenario *s = l->s;
    s->time_limit = SC_DEF_TIME;
    s->step_limit = SC_DEF_STEPS;
    const sc_value *v = field(root, "limits");
    if (!v)
        return 0;
    int rc = want(l, v, SC_MAP, "limits");
    if (!rc)
        rc = check_keys(l, v, "limits", keys);
    const sc_value *x;
    if (!rc && (x = field(v, "time")))
        rc = get_positive_duration(l, x, "time", &s->time_limit);
    if (!rc && (x = field(v, "steps")))
        rc = get_uint(l, x, "steps", 1, UINT64_MAX, &s->step_limit);
    return rc;
}

static int load_event_cost(ld *l, const sc_value *root)
{
    static const char *const keys[] = {"max", NULL};
    const sc_value *v = field(root, "event_cost");
    if (!v)
        return 0;
    int rc = want(l, v, SC_MAP, "event_cost");
    if (!rc)
        rc = check_keys(l, v, "event_cost", keys);
    const sc_value *x = rc ? NULL : field(v, "max");
    if (!rc && !x)
        return missing(l, v, "max", "event_cost");
    if (!rc)
        rc = get_duration(l, x, "max", &l->s->event_cost_max);
    return rc;
}

/* "A..B" or one seed "N". */
static int get_seeds(ld *l, const sc_value *v, uint64_t *first, uint64_t *last)
{
    int rc = want_text(l, v, "seeds");
    if (rc)
        return rc;
    const char *dots = strstr(v->text, "..");
    bool ok;
    if (!dots) {
        ok = parse_u64(v->text, first);
        *last = *first;
    } else {
        char a[24];
        size_t n = (size_t)(dots - v->text);
        ok = n > 0 && n < sizeof a;
        if (ok) {
            memcpy(a, v->text, n);
            a[n] = '\0';
            ok = parse_u64(a, first) && parse_u64(dots + 2, last);
        }
    }
    if (!ok)
        return fail(l, v->pos, "seeds must be A..B or one seed N (whole numbers >= 0), not '%.64s'",
                    v->text);
    if (*first > *last)
        return fail(l, v->pos, "seeds %s: the first seed is greater than the last", v->text);
    return 0;
}

static int load_run(ld *l, const sc_value *root)
{
    static const char *const keys[] = {"seeds", "strategy", "pct_depth", "pct_steps", NULL};
    scenario *s = l->s;
    s->seed_first = SC_DEF_SEED_FIRST;
    s->seed_last = SC_DEF_SEED_LAST;
    strcpy(s->strategy, "random");
    s->pct_depth = SC_DEF_PCT_DEPTH;
    const sc_value *v = field(root, "run");
    if (!v)
        return 0;
    int rc = want(l, v, SC_MAP, "run");
    if (!rc)
        rc = check_keys(l, v, "run", keys);
    const sc_value *x;
    if (!rc && (x = field(v, "seeds")))
        rc = get_seeds(l, x, &s->seed_first, &s->seed_last);
    if (!rc && (x = field(v, "strategy"))) {
        static const char *const strategies[] = {"random", "pct", "pos", "fifo", NULL};
        if ((rc = want_text(l, x, "strategy")))
            return rc;
        if (!in_set(x->text, strategies))
            return fail(l, x->pos, "strategy must be random, pct, pos or fifo, not '%.64s'",
                        x->text);
        strcpy(s->strategy, x->text);
    }
    uint64_t depth;
    if (!rc && (x = field(v, "pct_depth")) && !(rc = get_uint(l, x, "pct_depth", 1, KR_PCT_DEPTH_MAX, &depth)))
        s->pct_depth = (int)depth;
    if (!rc && (x = field(v, "pct_steps")))
        rc = get_uint(l, x, "pct_steps", 1, 1000000000, &s->pct_steps);
    return rc;
}

static int load_header(ld *l, const sc_value *root)
{
    scenario *s = l->s;
    const sc_value *name = field(root, "name"), *desc = field(root, "description");
    int rc = 0;
    if (name) {
        if ((rc = want_label(l, name, "name")) || (rc = get_text(l, name, "name", &s->name)))
            return rc;
    } else {
        /* The file's base name without its extension. */
        const char *base = strrchr(l->path, '/');
        base = base ? base + 1 : l->path;
        const char *dot = strrchr(base, '.');
        s->name = dup_n(base, dot && dot != base ? (size_t)(dot - base) : strlen(base));
        if (!s->name)
            return fail_nomem(l);
    }
    if (desc && !is_null(desc))
        return get_text(l, desc, "description", &s->description);
    s->description = dup_str("");
    return s->description ? 0 : fail_nomem(l);
}

static int load_scenario(ld *l, const sc_value *root)
{
    static const char *const keys[] = {"name",   "description", "nodes",  "network", "script",
                                       "faults", "invariants",  "expect", "liveness", "probes",
                                       "limits", "event_cost",  "run",    NULL};
    if (root->kind != SC_MAP)
        return fail(l, root->pos, "a scenario must be a mapping (name:, nodes:, ...), not %s",
                    kind_name(root->kind));
    int rc = check_keys(l, root, "the scenario", keys);
    if (!rc)
        rc = load_header(l, root);
    if (!rc)
        rc = load_limits(l, root); /* before script and faults: they check against it */
    if (!rc)
        rc = load_nodes(l, root);
    if (!rc)
        rc = load_network(l, root);
    proc_ref *idx = NULL;
    if (!rc)
        rc = index_procs(l, &idx);
    if (!rc)
        rc = load_script(l, root, idx);
    free(idx);
    if (!rc)
        rc = load_faults(l, root);
    if (!rc)
        rc = load_invariants(l, root);
    if (!rc)
        rc = load_expects(l, root);
    if (!rc)
        rc = load_liveness(l, root);
    if (!rc)
        rc = load_probes(l, root);
    if (!rc)
        rc = load_event_cost(l, root);
    if (!rc)
        rc = load_run(l, root);
    return rc;
}

/* ---- entry points -------------------------------------------------------------- */

/* The whole file, at most SC_FILE_MAX bytes. */
static int read_file(ld *l, unsigned char **out, size_t *len)
{
    FILE *f = fopen(l->path, "rb");
    if (!f) {
        set_err(l, "%s: cannot open: %s", l->path, strerror(errno));
        return KR_EIO;
    }
    /* One byte past the limit tells a file that is too large. */
    size_t cap = 4096, n = 0;
    unsigned char *buf = malloc(cap);
    int rc = buf ? 0 : KR_ENOMEM;
    while (!rc) {
        if (n == cap) {
            if (cap > SC_FILE_MAX) {
                rc = KR_EFORMAT;
                break;
            }
            size_t cap2 = cap * 2 > SC_FILE_MAX + 1 ? SC_FILE_MAX + 1 : cap * 2;
            unsigned char *p = realloc(buf, cap2);
            if (!p) {
                rc = KR_ENOMEM;
                break;
            }
            buf = p;
            cap = cap2;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    if (!rc && ferror(f)) {
        set_err(l, "%s: cannot read: %s", l->path, strerror(errno));
        rc = KR_EIO;
    } else if (rc == KR_EFORMAT) {
        set_err(l, "%s:1:1: file larger than %u bytes", l->path, SC_FILE_MAX);
    } else if (rc == KR_ENOMEM) {
        fail_nomem(l);
    }
    fclose(f);
    if (rc) {
        free(buf);
        return rc;
    }
    *out = buf;
    *len = n;
    return 0;
}

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
    value_free(s->root);
    free(s);
}

KR_API int kr__sc_load(const char *path, scenario **out, char *err, size_t err_len)
{
    if (err && err_len)
        err[0] = '\0';
    if (out)
        *out = NULL;
    ld l = {.path = path ? path : "(null)", .err = err, .err_len = err_len};
    if (!path || !out) {
        set_err(&l, "%s: no scenario file given", l.path);
        return KR_EINVAL;
    }
    unsigned char *buf;
    size_t len;
    int rc = read_file(&l, &buf, &len);
    if (rc)
        return rc;
    l.buf = buf;
    l.len = len;
    l.s = calloc(1, sizeof *l.s);
    if (!l.s || !yaml_parser_initialize(&l.parser)) {
        free(l.s);
        free(buf);
        return fail_nomem(&l);
    }
    yaml_parser_set_input_string(&l.parser, buf, len);
    rc = build_document(&l, &l.s->root);
    yaml_parser_delete(&l.parser);
    if (!rc) {
        l.s->file = dup_str(path);
        rc = l.s->file ? load_scenario(&l, l.s->root) : fail_nomem(&l);
    }
    free(buf);
    if (rc) {
        kr__sc_free(l.s);
        return rc;
    }
    *out = l.s;
    return 0;
}
