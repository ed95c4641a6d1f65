/* The loader's schema engine: a mapping of the scenario file read through a
 * table of fields (load_internal.h). Every section reads its keys the same
 * way, in the same order: unknown keys first (the message lists the allowed
 * ones), then missing required keys, then each present key in table order,
 * so a key that others depend on is simply listed earlier (or SC_FIRST). */
#include "load_internal.h"

#include <stdlib.h>
#include <string.h>

static void *at(void *base, size_t offset) { return (char *)base + offset; }

static const char *what_of(const sc_field *f) { return f->what ? f->what : f->key; }

static const sc_field *row_named(const sc_section *sec, const char *key)
{
    for (const sc_field *f = sec ? sec->rows : NULL; f && f->key; f++)
        if (strcmp(f->key, key) == 0)
            return f;
    return NULL;
}

/* "at, post, to, body": the keys of both tables, `more`'s first. */
static void allowed_keys(const sc_section *more, const sc_section *sec, char *out, size_t len)
{
    const char *keys[64];
    size_t n = 0;
    for (const sc_section *s = more ? more : sec; s; s = s == more ? sec : NULL)
        for (const sc_field *f = s->rows; f->key && n + 1 < sizeof keys / sizeof *keys; f++)
            keys[n++] = f->key;
    keys[n] = NULL;
    kr__sc_join(keys, out, len);
}

static int check_keys(sc_load *l, const sc_value *map, const sc_section *more,
                      const sc_section *sec, const char *what)
{
    for (size_t i = 0; i < map->n; i++) {
        if (row_named(more, map->keys[i]) || row_named(sec, map->keys[i]))
            continue;
        char list[400];
        allowed_keys(more, sec, list, sizeof list);
        return kr__sc_fail(l, map->key_pos[i], "unknown key '%.64s' in %s (allowed: %s)",
                           map->keys[i], what, list);
    }
    return 0;
}

/* The value of row f in map, or NULL when absent (or null and nullable). */
static const sc_value *value_of(const sc_value *map, const sc_field *f)
{
    const sc_value *v = kr__sc_field(map, f->key);
    if (v && (f->flags & SC_NULLABLE) && kr__sc_is_null(v))
        return NULL;
    return v;
}

static int check_missing(sc_load *l, const sc_value *map, const sc_section *sec,
                         const char *what)
{
    for (const sc_field *f = sec->rows; f->key; f++)
        if ((f->flags & SC_REQUIRED) && !kr__sc_field(map, f->key))
            return kr__sc_missing(l, map, f->key, what);
    return 0;
}

/* Reads the present rows whose SC_FIRST flag equals `first`. */
static int read_rows(sc_load *l, const sc_value *map, const sc_section *sec, void *base,
                     bool first)
{
    for (const sc_field *f = sec->rows; f->key; f++) {
        if (((f->flags & SC_FIRST) != 0) != first)
            continue;
        const sc_value *v = value_of(map, f);
        int rc = v ? kr__sc_read_field(l, v, base, f) : 0;
        if (rc)
            return rc;
    }
    return 0;
}

static int read_section(sc_load *l, const sc_value *map, const sc_section *sec,
                        const char *what, void *base)
{
    int rc = check_missing(l, map, sec, what);
    if (!rc)
        rc = read_rows(l, map, sec, base, true);
    if (!rc)
        rc = read_rows(l, map, sec, base, false);
    if (!rc && sec->finish)
        rc = sec->finish(l, map, base);
    return rc;
}

int kr__sc_read_map(sc_load *l, const sc_value *map, const sc_section *more,
                    const sc_section *sec, const char *what, void *base)
{
    int rc = check_keys(l, map, more, sec, what);
    if (!rc && more)
        rc = read_section(l, map, more, what, base);
    if (!rc)
        rc = read_section(l, map, sec, what, base);
    return rc;
}

int kr__sc_read_list(sc_load *l, const sc_value *v, const char *what, size_t max,
                     const char *many, void **items, size_t size, sc_item_fn read, void *ctx)
{
    int rc = kr__sc_want(l, v, SC_LIST, what);
    if (rc)
        return rc;
    if (v->n > max)
        return kr__sc_fail(l, v->items[max]->pos, "too many %s (the limit is %zu)", many, max);
    if (items && !(*items = calloc(v->n + 1, size)))
        return kr__sc_fail_nomem(l);
    for (size_t i = 0; i < v->n && !rc; i++)
        rc = read(l, v->items[i], i, ctx);
    return rc;
}

/* An unsigned value into a field of f->size bytes. */
static int read_uint(sc_load *l, const sc_value *v, void *dst, const sc_field *f)
{
    uint64_t x;
    uint64_t max = f->max;
    if (f->size < sizeof x && max > (UINT64_C(1) << (8 * f->size - 1)) - 1)
        max = (UINT64_C(1) << (8 * f->size - 1)) - 1; /* fits a signed field too */
    int rc = kr__sc_get_uint(l, v, what_of(f), f->min, max, &x);
    if (rc)
        return rc;
    if (f->size == sizeof(uint64_t))
        memcpy(dst, &x, sizeof x);
    else if (f->size == sizeof(uint32_t)) {
        uint32_t y = (uint32_t)x;
        memcpy(dst, &y, sizeof y);
    } else {
        return kr__sc_fail(l, v->pos, "%s: unsupported field size (a loader bug)", f->key);
    }
    return 0;
}

/* A virtual time: a duration from the start, at most the time limit. */
static int read_instant(sc_load *l, const sc_value *v, const char *what, kr_duration *out)
{
    int rc = kr__sc_get_duration(l, v, what, out);
    if (!rc && *out > l->s->time_limit)
        return kr__sc_fail(l, v->pos, "%s %s is past the time limit (limits: time)", what,
                           v->text);
    return rc;
}

static int read_map(sc_load *l, const sc_value *v, void *base, const sc_field *f)
{
    int rc = kr__sc_want(l, v, SC_MAP, what_of(f));
    if (rc)
        return rc;
    return kr__sc_read_map(l, v, NULL, f->sub, f->sub->what, at(base, f->offset));
}

static int read_label(sc_load *l, const sc_value *v, const char *what, char **out)
{
    int rc = kr__sc_want_label(l, v, what);
    return rc ? rc : kr__sc_get_text(l, v, what, out);
}

static int read_name(sc_load *l, const sc_value *v, const char *what, char **out)
{
    int rc = kr__sc_want_name(l, v, what);
    return rc ? rc : kr__sc_get_text(l, v, what, out);
}

static int read_invariant(sc_load *l, const sc_value *v, const char *what, char **out)
{
    int rc = kr__sc_want_label(l, v, what);
    if (rc)
        return rc;
    if (!kr__sc_invariant(v->text))
        return kr__sc_fail(l, v->pos, "unknown invariant '%.64s' (`kairos types` lists them)",
                           v->text);
    return kr__sc_get_text(l, v, what, out);
}

/* "METHOD /path" of an HTTP action or expectation. */
static int read_request(sc_load *l, const sc_value *v, char **method, char **path)
{
    int rc = kr__sc_want_text(l, v, "http");
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
        return kr__sc_fail(l, v->pos,
                           "http must be \"METHOD /path\" (e.g. \"GET /account/balance\"), "
                           "not '%.64s'",
                           t);
    if (plen > SC_PATH_MAX)
        return kr__sc_fail(l, v->pos, "http path longer than %d characters", SC_PATH_MAX);
    *method = kr__sc_dup_n(t, mlen);
    *path = kr__sc_dup_n(sp + 1, plen);
    return *method && *path ? 0 : kr__sc_fail_nomem(l);
}

/* A message body: any bytes, NULs included. */
static int read_body(sc_load *l, const sc_value *v, char **body, size_t *len)
{
    int rc = kr__sc_want(l, v, SC_SCALAR, "body");
    if (rc)
        return rc;
    *body = kr__sc_dup_n(v->text, v->len);
    *len = v->len;
    return *body ? 0 : kr__sc_fail_nomem(l);
}

int kr__sc_read_field(sc_load *l, const sc_value *v, void *base, const sc_field *f)
{
    void *dst = at(base, f->offset), *dst2 = at(base, f->offset2);
    const char *what = what_of(f);
    switch (f->type) {
    case SC_T_TEXT: return kr__sc_get_text(l, v, what, dst);
    case SC_T_LABEL: return read_label(l, v, what, dst);
    case SC_T_NAME: return read_name(l, v, what, dst);
    case SC_T_BOOL: return kr__sc_get_bool(l, v, what, dst);
    case SC_T_UINT: return read_uint(l, v, dst, f);
    case SC_T_PROB: return kr__sc_get_prob(l, v, what, dst);
    case SC_T_DURATION: return kr__sc_get_duration(l, v, what, dst);
    case SC_T_POSITIVE: return kr__sc_get_positive_duration(l, v, what, dst);
    case SC_T_INSTANT: return read_instant(l, v, what, dst);
    case SC_T_RANGE: return kr__sc_get_range(l, v, what, dst, dst2);
    case SC_T_OFFSET: return kr__sc_get_signed_duration(l, v, what, dst);
    case SC_T_DRIFT: return kr__sc_get_drift(l, v, what, dst);
    case SC_T_NODE: return kr__sc_get_node_ref(l, v, what, dst);
    case SC_T_PROC: return kr__sc_get_proc_ref(l, v, what, dst);
    case SC_T_INVARIANT: return read_invariant(l, v, what, dst);
    case SC_T_REQUEST: return read_request(l, v, dst, dst2);
    case SC_T_BODY: return read_body(l, v, dst, dst2);
    case SC_T_MAP: return read_map(l, v, base, f);
    case SC_T_CUSTOM: return f->read(l, v, base, f);
    }
    return kr__sc_fail(l, v->pos, "%s: unknown field type (a loader bug)", f->key);
}
