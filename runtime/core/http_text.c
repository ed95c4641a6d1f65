/* Text helpers for the HTTP code of both backends: a growable string
 * builder (with JSON string escaping), percent-decoding of paths and
 * queries, and base64 for HTTP Basic credentials. */
#include "http_internal.h"

#include <stdarg.h>

static bool sb_reserve(kr__sb *b, size_t extra)
{
    if (b->failed)
        return false;
    if (b->len + extra + 1 <= b->cap)
        return true;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < b->len + extra + 1)
        cap *= 2;
    char *grown = kr__realloc(b->data, cap);
    if (!grown) {
        b->failed = true;
        return false;
    }
    b->data = grown;
    b->cap = cap;
    return true;
}

void kr__sb_append(kr__sb *b, const void *data, size_t len)
{
    if (!sb_reserve(b, len))
        return;
    if (len)
        memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
}

void kr__sb_puts(kr__sb *b, const char *s) { kr__sb_append(b, s, strlen(s)); }

void kr__sb_printf(kr__sb *b, const char *fmt, ...)
{
    /* Format straight into the free space (at least 128 bytes): one
     * vsnprintf when the text fits, which it nearly always does for the
     * wire's and HTTP's header lines; a second one only after growing. */
    if (!sb_reserve(b, 128))
        return;
    size_t room = b->cap - b->len;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(b->data + b->len, room, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->data[b->len] = '\0';
        return;
    }
    if ((size_t)n >= room) {
        if (!sb_reserve(b, (size_t)n))
            return;
        va_start(ap, fmt);
        vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
        va_end(ap);
    }
    b->len += (size_t)n;
}

void kr__sb_json_string(kr__sb *b, const char *s)
{
    kr__sb_append(b, "\"", 1);
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        switch (*c) {
        case '"': kr__sb_append(b, "\\\"", 2); break;
        case '\\': kr__sb_append(b, "\\\\", 2); break;
        case '\n': kr__sb_append(b, "\\n", 2); break;
        case '\r': kr__sb_append(b, "\\r", 2); break;
        case '\t': kr__sb_append(b, "\\t", 2); break;
        case '\b': kr__sb_append(b, "\\b", 2); break;
        case '\f': kr__sb_append(b, "\\f", 2); break;
        default:
            if (*c < 0x20 || *c == 0x7f)
                kr__sb_printf(b, "\\u%04x", *c);
            else
                kr__sb_append(b, c, 1);
        }
    }
    kr__sb_append(b, "\"", 1);
}

/* Length of the well-formed UTF-8 sequence at s[0..n) (2 to 4 bytes, no
 * overlong form, no surrogate, at most U+10FFFF), or 0. */
static size_t utf8_sequence(const unsigned char *s, size_t n)
{
    size_t len = s[0] >= 0xf0 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc2 ? 2 : 0;
    if (len == 0 || len > n || s[0] > 0xf4)
        return 0;
    for (size_t i = 1; i < len; i++)
        if ((s[i] & 0xc0) != 0x80)
            return 0;
    if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] >= 0xa0) ||
        (s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] >= 0x90))
        return 0;
    return len;
}

void kr__sb_json_bytes(kr__sb *b, const void *data, size_t len)
{
    const unsigned char *s = data;
    kr__sb_append(b, "\"", 1);
    for (size_t i = 0; i < len;) {
        unsigned char c = s[i];
        size_t seq = c >= 0x80 ? utf8_sequence(s + i, len - i) : 0;
        if (seq) {
            kr__sb_append(b, s + i, seq);
            i += seq;
            continue;
        }
        if (c == '"' || c == '\\')
            kr__sb_printf(b, "\\%c", c);
        else if (c < 0x20 || c >= 0x7f)
            kr__sb_printf(b, "\\u%04x", c); /* a stray byte reads as U+00XX */
        else
            kr__sb_append(b, &c, 1);
        i++;
    }
    kr__sb_append(b, "\"", 1);
}

void kr__sb_free(kr__sb *b)
{
    kr__free(b->data);
    *b = (kr__sb){0};
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int kr__percent_decode(const char *s, size_t len, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] != '%') {
            out[o++] = s[i];
            continue;
        }
        int hi = i + 1 < len ? hex_value(s[i + 1]) : -1;
        int lo = i + 2 < len ? hex_value(s[i + 2]) : -1;
        if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
            out[o] = '\0';
            return KR_EFORMAT;
        }
        out[o++] = (char)(hi * 16 + lo);
        i += 2;
    }
    out[o] = '\0';
    return 0;
}

static int base64_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

long kr__base64_decode(const char *s, size_t len, unsigned char *out)
{
    while (len > 0 && s[len - 1] == '=')
        len--; /* padding carries no bits */
    uint32_t acc = 0;
    int bits = 0;
    long o = 0;
    for (size_t i = 0; i < len; i++) {
        int v = base64_value((unsigned char)s[i]);
        if (v < 0)
            return -1;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (unsigned char)(acc >> bits);
        }
    }
    out[o] = '\0';
    return o;
}

int kr__http_duration_parse(const char *s, size_t len, kr_duration *out)
{
    static const struct {
        const char *unit;
        double ns;
    } units[] = {{"ns", 1},          {"us", 1e3},           {"ms", 1e6},
                 {"secs", 1e9},      {"mins", 60e9},        {"hrs", 3600e9},
                 {"days", 86400e9},  {"weeks", 604800e9}};
    char text[64];
    if (len == 0 || len >= sizeof text)
        return KR_EINVAL;
    memcpy(text, s, len);
    text[len] = '\0';
    char *end;
    double v = strtod(text, &end);
    if (end == text || !(v >= 0))
        return KR_EINVAL;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (strcmp(end, units[i].unit) == 0) {
            double ns = v * units[i].ns;
            *out = ns >= 9.2e18 ? KR_FOREVER : (kr_duration)ns;
            return 0;
        }
    return KR_EINVAL;
}
