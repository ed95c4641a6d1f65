/* The value grammar of kairos/parse.h, written once: every place that reads
 * a number, a duration or a boolean typed by a person calls these. */
#include <kairos/parse.h>

#include <string.h>

static int digit_value(char c, unsigned base)
{
    int d = c >= '0' && c <= '9'   ? c - '0'
            : c >= 'a' && c <= 'f' ? c - 'a' + 10
            : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                   : 99;
    return d < (int)base ? d : -1;
}

/* Digits in `base` from *t (at least one), advancing *t past them. */
static int read_digits(const char **t, unsigned base, uint64_t *out)
{
    const char *p = *t;
    uint64_t v = 0;
    bool overflow = false;
    int d;
    for (; (d = digit_value(*p, base)) >= 0; p++) {
        if (v > (UINT64_MAX - (unsigned)d) / base)
            overflow = true;
        else
            v = v * base + (unsigned)d;
    }
    if (p == *t)
        return KR_EINVAL;
    *t = p;
    *out = v;
    return overflow ? KR_ERANGE : 0;
}

/* A decimal whole part: "0" or digits without a leading zero. */
static int read_decimal(const char **t, uint64_t *out)
{
    if ((*t)[0] == '0' && (*t)[1] >= '0' && (*t)[1] <= '9')
        return KR_EINVAL; /* "010": neither octal nor decimal, refused */
    return read_digits(t, 10, out);
}

int kr_parse_u64(const char *text, uint64_t *out)
{
    if (!text || !out)
        return KR_EINVAL;
    const char *t = text;
    uint64_t v;
    int rc;
    if (t[0] == '0' && (t[1] == 'x' || t[1] == 'X')) {
        t += 2;
        rc = read_digits(&t, 16, &v);
    } else {
        rc = read_decimal(&t, &v);
    }
    if (rc == KR_EINVAL || *t != '\0')
        return KR_EINVAL;
    if (rc == 0)
        *out = v;
    return rc;
}

int kr_parse_i64(const char *text, int64_t *out)
{
    if (!text || !out)
        return KR_EINVAL;
    bool negative = text[0] == '-';
    uint64_t v;
    int rc = kr_parse_u64(text + negative, &v);
    if (rc)
        return rc;
    if (v > (uint64_t)INT64_MAX + negative)
        return KR_ERANGE;
    /* -2^63 has no positive twin: build it from the unsigned magnitude. */
    *out = negative ? (int64_t)(0 - v) : (int64_t)v;
    return 0;
}

int kr_parse_bool(const char *text, bool *out)
{
    if (!text || !out)
        return KR_EINVAL;
    if (strcmp(text, "true") == 0)
        *out = true;
    else if (strcmp(text, "false") == 0)
        *out = false;
    else
        return KR_EINVAL;
    return 0;
}

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

static const unit *unit_named(const char *suffix)
{
    for (size_t i = 0; i < sizeof units / sizeof *units; i++)
        if (strcmp(suffix, units[i].suffix) == 0)
            return &units[i];
    return NULL;
}

int kr_parse_duration(const char *text, kr_duration *out)
{
    if (!text || !out)
        return KR_EINVAL;
    const char *t = text;
    uint64_t whole;
    int rc = read_decimal(&t, &whole);
    if (rc == KR_EINVAL)
        return rc;
    const char *frac = NULL;
    size_t nfrac = 0;
    if (*t == '.') {
        frac = ++t;
        while (*t >= '0' && *t <= '9')
            t++;
        nfrac = (size_t)(t - frac);
        if (nfrac == 0)
            return KR_EINVAL;
    }
    const unit *u = unit_named(t);
    if (!u)
        return KR_EINVAL;
    if (rc)
        return rc; /* well-formed but too many digits */
    /* Fraction digits past the unit's resolution must be zero: 1.5ns is not
     * a whole number of nanoseconds. */
    int64_t part = 0, scale = u->ns;
    for (size_t i = 0; i < nfrac; i++) {
        int d = frac[i] - '0';
        if ((int)i < u->exact_digits) {
            scale /= 10;
            part += d * scale;
        } else if (d != 0) {
            return KR_EINVAL;
        }
    }
    if (whole > (uint64_t)(INT64_MAX - part) / (uint64_t)u->ns)
        return KR_ERANGE;
    *out = (kr_duration)whole * u->ns + part;
    return 0;
}
