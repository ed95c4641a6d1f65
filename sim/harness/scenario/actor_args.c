/* Typed access to a process' YAML arguments (kr_sc_* in kairos/scenario.h).
 * Each accessor reports a bad value at its position in the scenario file.
 * The values are read from the loader's tree (kr__sc_field) with the same
 * grammar as every scenario field (kairos/parse.h). */
#include "load_internal.h"

#include <stdlib.h>
#include <string.h>

#include <kairos/parse.h>

#include <errno.h>
#include <stdarg.h>

static void report(kr_sc_args *a, sc_pos pos, const char *fmt, ...) KR_PRINTF(3, 4);

static void report(kr_sc_args *a, sc_pos pos, const char *fmt, ...)
{
    if (a->failed)
        return;
    a->failed = true;
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (a->error && a->error_len)
        snprintf(a->error, a->error_len, "%s:%d:%d: %s", a->s ? a->s->file : "?", pos.line,
                 pos.col, msg);
}

static const sc_value *lookup(const kr_sc_args *a, const char *key)
{
    return a && key ? kr__sc_field(a->map, key) : NULL;
}

/* The scalar at key, or NULL (missing); a non-scalar is an error. */
static const sc_value *scalar(const kr_sc_args *a, const char *key, bool *bad)
{
    const sc_value *v = lookup(a, key);
    *bad = false;
    if (v && v->kind != SC_SCALAR) {
        report((kr_sc_args *)a, v->pos, "'%s' must be a single value, not a %s", key,
               v->kind == SC_LIST ? "list" : "mapping");
        *bad = true;
        return NULL;
    }
    return v;
}

/* What an accessor starts with: 1 and the scalar in *v when the key is
 * there, 0 when it is missing (the caller stores its default, out is not
 * NULL then), KR_EINVAL when the value is not a scalar or out is NULL. */
static int present(const kr_sc_args *a, const char *key, const void *out, const sc_value **v)
{
    bool bad;
    *v = scalar(a, key, &bad);
    if (bad || !out)
        return KR_EINVAL;
    return *v != NULL;
}

int kr_sc_require(const kr_sc_args *a, const char *key)
{
    if (!a || !key)
        return KR_EINVAL;
    if (lookup(a, key))
        return 0;
    sc_pos at = a->map ? a->map->pos : a->proc ? a->proc->pos : (sc_pos){0, 0};
    if (a->proc)
        report((kr_sc_args *)a, at, "process '%s' (type %s) needs argument '%s'", a->proc->id,
               a->proc->type, key);
    else
        report((kr_sc_args *)a, at, "missing argument '%s'", key);
    return KR_EINVAL;
}

int kr_sc_int(const kr_sc_args *a, const char *key, int64_t min, int64_t max, int64_t def,
              int64_t *out)
{
    const sc_value *v;
    int got = present(a, key, out, &v);
    if (got == 0)
        *out = def;
    if (got <= 0)
        return got;
    int64_t n;
    int rc = kr_parse_i64(v->text, &n);
    if (rc == KR_EINVAL) {
        report((kr_sc_args *)a, v->pos, "'%s' must be an integer, got \"%s\"", key, v->text);
        return KR_EINVAL;
    }
    if (rc) {
        report((kr_sc_args *)a, v->pos, "'%s' = %s is out of range [%lld, %lld]", key, v->text,
               (long long)min, (long long)max);
        return KR_EINVAL;
    }
    if (n < min || n > max) {
        report((kr_sc_args *)a, v->pos, "'%s' = %lld is out of range [%lld, %lld]", key,
               (long long)n, (long long)min, (long long)max);
        return KR_EINVAL;
    }
    *out = n;
    return 0;
}

int kr_sc_duration(const kr_sc_args *a, const char *key, kr_duration def, kr_duration *out)
{
    const sc_value *v;
    int got = present(a, key, out, &v);
    if (got == 0)
        *out = def;
    if (got <= 0)
        return got;
    if (kr_parse_duration(v->text, out) != 0) {
        report((kr_sc_args *)a, v->pos, "'%s' must be a duration like 250ms or 2s, got \"%s\"",
               key, v->text);
        return KR_EINVAL;
    }
    return 0;
}

int kr_sc_string(const kr_sc_args *a, const char *key, const char *def, const char **out)
{
    bool bad;
    const sc_value *v = scalar(a, key, &bad);
    if (bad || !out)
        return KR_EINVAL;
    *out = v ? v->text : def;
    return 0;
}

int kr_sc_bool(const kr_sc_args *a, const char *key, bool def, bool *out)
{
    const sc_value *v;
    int got = present(a, key, out, &v);
    if (got == 0)
        *out = def;
    if (got <= 0)
        return got;
    if (kr_parse_bool(v->text, out) != 0) {
        report((kr_sc_args *)a, v->pos, "'%s' must be true or false, got \"%s\"", key, v->text);
        return KR_EINVAL;
    }
    return 0;
}

int kr__sc_resolve_pid(const scenario *s, const char *ref, kr_pid *out)
{
    char name[KR_ID_MAX + 1];
    const char *at = strchr(ref, '@');
    size_t len = at ? (size_t)(at - ref) : strlen(ref);
    if (len == 0 || len > KR_ID_MAX)
        return KR_EINVAL;
    memcpy(name, ref, len);
    name[len] = '\0';
    long found = -1;
    for (size_t i = 0; i < s->n_procs; i++) {
        if (strcmp(s->procs[i].id, name) != 0)
            continue;
        if (at && strcmp(s->nodes[s->procs[i].node].name, at + 1) != 0)
            continue;
        if (found >= 0)
            return KR_EEXIST; /* ambiguous: name the node */
        found = (long)i;
    }
    if (found < 0)
        return KR_ENOENT;
    char text[KR_PID_STRLEN_MAX];
    snprintf(text, sizeof text, "%s@%s", name, s->nodes[s->procs[found].node].address);
    return kr_pid_parse(text, out);
}

static int pid_of(const kr_sc_args *a, const sc_value *v, const char *key, kr_pid *out)
{
    int rc = kr__sc_resolve_pid(a->s, v->text, out);
    if (rc == KR_EEXIST)
        report((kr_sc_args *)a, v->pos, "'%s': \"%s\" names processes on several nodes; write "
               "name@node", key, v->text);
    else if (rc != 0)
        report((kr_sc_args *)a, v->pos, "'%s': no process \"%s\" in this scenario", key, v->text);
    return rc == 0 ? 0 : KR_EINVAL;
}

int kr_sc_pid(const kr_sc_args *a, const char *key, kr_pid *out)
{
    bool bad;
    const sc_value *v = scalar(a, key, &bad);
    if (bad || !out)
        return KR_EINVAL;
    if (!v) {
        *out = KR_PID_NONE;
        return 0;
    }
    return pid_of(a, v, key, out);
}

static const sc_value *list_item(const kr_sc_args *a, const char *key, size_t i)
{
    const sc_value *v = lookup(a, key);
    if (!v)
        return NULL;
    if (v->kind != SC_LIST) {
        report((kr_sc_args *)a, v->pos, "'%s' must be a list", key);
        return NULL;
    }
    if (i >= v->n)
        return NULL;
    const sc_value *item = v->items[i];
    if (item->kind != SC_SCALAR) {
        report((kr_sc_args *)a, item->pos, "items of '%s' must be single values", key);
        return NULL;
    }
    return item;
}

size_t kr_sc_list_len(const kr_sc_args *a, const char *key)
{
    const sc_value *v = lookup(a, key);
    if (v && v->kind != SC_LIST) { /* present but not a list: say so */
        report((kr_sc_args *)a, v->pos, "'%s' must be a list", key);
        return 0;
    }
    return v ? v->n : 0;
}

int kr_sc_list_string(const kr_sc_args *a, const char *key, size_t i, const char **out)
{
    const sc_value *item = list_item(a, key, i);
    if (!item || !out)
        return KR_EINVAL;
    *out = item->text;
    return 0;
}

int kr_sc_list_pid(const kr_sc_args *a, const char *key, size_t i, kr_pid *out)
{
    const sc_value *item = list_item(a, key, i);
    if (!item || !out)
        return KR_EINVAL;
    return pid_of(a, item, key, out);
}

int kr__sc_workload_percent = 100;
uint64_t kr__sc_counts_read;

int kr_sc_count(const kr_sc_args *a, const char *key, int64_t min, int64_t max, int64_t def,
                int64_t *out)
{
    int rc = kr_sc_int(a, key, min, max, def, out);
    kr__sc_counts_read++;
    if (rc == 0 && kr__sc_workload_percent > 0 && kr__sc_workload_percent < 100) {
        int64_t scaled = *out / 100 * kr__sc_workload_percent +
                         *out % 100 * kr__sc_workload_percent / 100;
        *out = scaled < min ? min : scaled;
    }
    return rc;
}
