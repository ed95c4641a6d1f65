/* Typed access to the scenario tree: kinds, names and labels, and the
 * numbers, durations and booleans of kairos/parse.h, each reported as
 * "file:line:col: message" at the offending value. The loader's schema
 * (schema.c, sections.c) reads every value through these. */
#include "load_internal.h"

#include <kairos/parse.h>

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

char *kr__sc_dup_n(const char *text, size_t n)
{
    char *copy = malloc(n + 1);
    if (copy) {
        memcpy(copy, text, n);
        copy[n] = '\0';
    }
    return copy;
}


void kr__sc_set_err(sc_load *l, const char *fmt, ...)
{
    if (!l->err || l->err_len == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(l->err, l->err_len, fmt, ap);
    va_end(ap);
}

/* Reports "file:line:col: message" and returns KR_EFORMAT. */
int kr__sc_fail(sc_load *l, sc_pos pos, const char *fmt, ...)
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

int kr__sc_fail_nomem(sc_load *l)
{
    kr__sc_set_err(l, "%s: out of memory", l->path);
    return KR_ENOMEM;
}

const char *kr__sc_kind_name(sc_kind k)
{
    return k == SC_SCALAR ? "a scalar" : k == SC_LIST ? "a list" : "a mapping";
}

/* The value of `key`, or NULL (also when `map` is not a mapping). */
const sc_value *kr__sc_field(const sc_value *map, const char *key)
{
    if (!map || map->kind != SC_MAP)
        return NULL;
    for (size_t i = 0; i < map->n; i++)
        if (strcmp(map->keys[i], key) == 0)
            return map->items[i];
    return NULL;
}

void kr__sc_join(const char *const *set, char *out, size_t len)
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


int kr__sc_want(sc_load *l, const sc_value *v, sc_kind kind, const char *what)
{
    if (v->kind == kind)
        return 0;
    return kr__sc_fail(l, v->pos, "%s must be %s, not %s", what, kr__sc_kind_name(kind), kr__sc_kind_name(v->kind));
}

int kr__sc_missing(sc_load *l, const sc_value *map, const char *key, const char *what)
{
    return kr__sc_fail(l, map->pos, "missing required key '%s' in %s", key, what);
}

bool kr__sc_is_null(const sc_value *v)
{
    return v->kind == SC_SCALAR &&
           (v->text[0] == '\0' || strcmp(v->text, "~") == 0 || strcmp(v->text, "null") == 0);
}

/* A scalar without NUL bytes (everything but message bodies). */
int kr__sc_want_text(sc_load *l, const sc_value *v, const char *what)
{
    int rc = kr__sc_want(l, v, SC_SCALAR, what);
    if (rc)
        return rc;
    if (strlen(v->text) != v->len)
        return kr__sc_fail(l, v->pos, "%s must not contain a NUL byte", what);
    return 0;
}

int kr__sc_get_text(sc_load *l, const sc_value *v, const char *what, char **out)
{
    int rc = kr__sc_want_text(l, v, what);
    if (rc)
        return rc;
    *out = kr__sc_dup_n(v->text, strlen(v->text));
    return *out ? 0 : kr__sc_fail_nomem(l);
}

static bool name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '_' || c == '.';
}

/* A text of 1..max characters, each accepted by ok(). */
static int want_chars(sc_load *l, const sc_value *v, const char *what, size_t max,
                      bool (*ok)(char), const char *bad_char)
{
    int rc = kr__sc_want_text(l, v, what);
    if (rc)
        return rc;
    size_t n = strlen(v->text);
    if (n == 0)
        return kr__sc_fail(l, v->pos, "%s must not be empty", what);
    if (n > max)
        return kr__sc_fail(l, v->pos, "%s is longer than %zu characters", what, max);
    for (size_t i = 0; i < n; i++)
        if (!ok(v->text[i]))
            return kr__sc_fail(l, v->pos, bad_char, what, v->text);
    return 0;
}

/* Node names and process ids: 1..63 of [A-Za-z0-9_.-] (they go into pids
 * "id@ip:port" and HTTP paths "/id/..."). */
int kr__sc_want_name(sc_load *l, const sc_value *v, const char *what)
{
    return want_chars(l, v, what, KR_ID_MAX, name_char,
                      "%s '%.64s' may only hold letters, digits, '-', '_' and '.'");
}

static bool label_char(char c) { return (unsigned char)c >= 0x20 && c != 0x7f; }

/* Message, invariant, action and probe names: non-empty, printable. */
int kr__sc_want_label(sc_load *l, const sc_value *v, const char *what)
{
    return want_chars(l, v, what, KR_NAME_MAX, label_char,
                      "%s must not contain control characters%.0s");
}

int kr__sc_get_uint(sc_load *l, const sc_value *v, const char *what, uint64_t min,
                    uint64_t max, uint64_t *out)
{
    int rc = kr__sc_want_text(l, v, what);
    if (rc)
        return rc;
    uint64_t x;
    rc = kr_parse_u64(v->text, &x);
    if (rc == KR_ERANGE)
        return kr__sc_fail(l, v->pos, "%s %s is out of range %llu..%llu", what, v->text,
                           (unsigned long long)min, (unsigned long long)max);
    if (rc) {
        if (v->text[0] == '-')
            return kr__sc_fail(l, v->pos, "%s must not be negative", what);
        if (v->text[0] == '0' && v->text[1] >= '0' && v->text[1] <= '9')
            return kr__sc_fail(l, v->pos,
                               "%s '%.64s' has a leading zero (neither octal nor decimal): "
                               "write %s without it, or 0x hex",
                               what, v->text, what);
        return kr__sc_fail(l, v->pos, "%s must be a whole number, not '%.64s'", what, v->text);
    }
    if (x < min || x > max)
        return kr__sc_fail(l, v->pos, "%s %s is out of range %llu..%llu", what, v->text,
                           (unsigned long long)min, (unsigned long long)max);
    *out = x;
    return 0;
}

int kr__sc_get_bool(sc_load *l, const sc_value *v, const char *what, bool *out)
{
    int rc = kr__sc_want_text(l, v, what);
    if (rc)
        return rc;
    if (kr_parse_bool(v->text, out) == 0)
        return 0;
    return kr__sc_fail(l, v->pos, "%s must be true or false, not '%.64s'", what, v->text);
}

/* A plain decimal number ("0.05", "1", "1e-3", "-2.5e-4"): digits, '.', an
 * exponent and signs only (no hex, inf or nan), finite. */
static bool decimal_number(const char *t, double *x)
{
    bool ok = *t != '\0';
    for (const char *c = t; *c && ok; c++)
        ok = (*c >= '0' && *c <= '9') || *c == '.' || *c == 'e' || *c == 'E' || *c == '-' ||
             *c == '+';
    char *end = NULL;
    *x = ok ? strtod(t, &end) : 0;
    return ok && end && *end == '\0' && isfinite(*x);
}

/* v as a plain decimal number; `expected` names it in the error ("a
 * probability (a number in [0, 1])"). */
static int get_decimal(sc_load *l, const sc_value *v, const char *what, const char *expected,
                       double *x)
{
    int rc = kr__sc_want_text(l, v, what);
    if (rc)
        return rc;
    if (!decimal_number(v->text, x))
        return kr__sc_fail(l, v->pos, "%s must be %s, not '%.64s'", what, expected, v->text);
    return 0;
}

/* A plain decimal probability in [0, 1] ("0.05", "1", "1e-3"). */
int kr__sc_get_prob(sc_load *l, const sc_value *v, const char *what, double *out)
{
    double x;
    int rc = get_decimal(l, v, what, "a probability (a number in [0, 1])", &x);
    if (rc)
        return rc;
    if (x < 0 || x > 1)
        return kr__sc_fail(l, v->pos, "%s %s is outside [0, 1]", what, v->text);
    *out = x;
    return 0;
}

int kr__sc_get_duration(sc_load *l, const sc_value *v, const char *what, kr_duration *out)
{
    int rc = kr__sc_want_text(l, v, what);
    if (rc)
        return rc;
    rc = kr_parse_duration(v->text, out);
    if (rc == 0)
        return 0;
    if (v->text[0] == '-')
        return kr__sc_fail(l, v->pos, "%s must not be negative", what);
    return kr__sc_fail(l, v->pos,
                       "%s '%.64s' is not a duration (a number with ns, us, ms, s, m or h, e.g. "
                       "250ms)",
                       what, v->text);
}

int kr__sc_get_positive_duration(sc_load *l, const sc_value *v, const char *what, kr_duration *out)
{
    int rc = kr__sc_get_duration(l, v, what, out);
    if (rc == 0 && *out <= 0)
        return kr__sc_fail(l, v->pos, "%s must be greater than 0", what);
    return rc;
}

/* A duration range: [min, max] or one duration for both. */
int kr__sc_get_range(sc_load *l, const sc_value *v, const char *what, kr_duration *lo, kr_duration *hi)
{
    if (v->kind == SC_SCALAR) {
        int rc = kr__sc_get_duration(l, v, what, lo);
        *hi = *lo;
        return rc;
    }
    if (v->kind != SC_LIST || v->n != 2)
        return kr__sc_fail(l, v->pos, "%s must be a duration or a list [min, max]", what);
    int rc = kr__sc_get_duration(l, v->items[0], what, lo);
    if (!rc)
        rc = kr__sc_get_duration(l, v->items[1], what, hi);
    if (!rc && *lo > *hi)
        return kr__sc_fail(l, v->items[0]->pos, "%s: min %s is greater than max %s", what,
                    v->items[0]->text, v->items[1]->text);
    return rc;
}

int kr__sc_get_signed_duration(sc_load *l, const sc_value *v, const char *what, kr_duration *out)
{
    int rc = kr__sc_want_text(l, v, what);
    if (rc)
        return rc;
    bool negative = v->text[0] == '-';
    if (negative && v->text[1] == '-')
        return kr__sc_fail(l, v->pos, "%s must be a duration such as 250ms or -250ms, not '%.64s'",
                           what, v->text);
    sc_value rest = *v;
    rest.text = v->text + negative;
    rest.len = v->len - negative;
    if ((rc = kr__sc_get_duration(l, &rest, what, out)))
        return rc;
    if (*out > KR_SIM_CLOCK_OFFSET_MAX)
        return kr__sc_fail(l, v->pos, "%s %s is more than 100 years", what, v->text);
    if (negative)
        *out = -*out;
    return 0;
}

int kr__sc_get_drift(sc_load *l, const sc_value *v, const char *what, double *out)
{
    double x;
    int rc = get_decimal(l, v, what, "a number (a fraction such as 1e-4)", &x);
    if (rc)
        return rc;
    if (!(x > -0.5 && x < 0.5))
        return kr__sc_fail(l, v->pos, "%s %s is outside (-0.5, 0.5)", what, v->text);
    *out = x;
    return 0;
}
