/* Escaping for hand-written JSON and HTML; output files (through kr__out). */
#include "report_internal.h"

#include "grow.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void kr__rp_err(char *err, size_t err_len, const char *fmt, ...)
{
    if (!err || !err_len)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, err_len, fmt, ap);
    va_end(ap);
}

static bool json_needs_escape(unsigned char c)
{
    return c < 0x20 || c == 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&';
}

/* U+2028 / U+2029 (E2 80 A8 / E2 80 A9) end lines in old JS parsers. */
static bool is_line_sep(const unsigned char *p, size_t left)
{
    return left >= 3 && p[0] == 0xe2 && p[1] == 0x80 && (p[2] == 0xa8 || p[2] == 0xa9);
}

void kr__rp_json_str(FILE *out, const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t run = 0; /* bytes copied verbatim, pending */
    putc('"', out);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = p[i];
        bool sep = c == 0xe2 && is_line_sep(p + i, len - i);
        if (!json_needs_escape(c) && !sep) {
            run++;
            continue;
        }
        fwrite(p + i - run, 1, run, out);
        run = 0;
        if (sep) {
            fprintf(out, "\\u%04x", p[i + 2] == 0xa8 ? 0x2028 : 0x2029);
            i += 2;
        } else if (c == '"' || c == '\\') {
            putc('\\', out);
            putc(c, out);
        } else if (c == '\n') {
            fputs("\\n", out);
        } else {
            fprintf(out, "\\u%04x", c);
        }
    }
    fwrite(p + len - run, 1, run, out);
    putc('"', out);
}

void kr__rp_html(FILE *out, const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        switch (c) {
        case '&': fputs("&amp;", out); break;
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '"': fputs("&quot;", out); break;
        case '\'': fputs("&#39;", out); break;
        default:
            if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f)
                fputs("\xef\xbf\xbd", out);
            else
                putc(c, out);
        }
    }
}

/* Length of the UTF-8 sequence at p (1..4), or 0 when invalid. */
static size_t utf8_seq(const unsigned char *p, size_t left)
{
    unsigned char c = p[0];
    if (c < 0x80)
        return 1;
    size_t n = c >= 0xf0 && c <= 0xf4 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 && c < 0xe0 ? 2 : 0;
    if (n == 0 || c > 0xf4 || left < n)
        return 0;
    for (size_t i = 1; i < n; i++)
        if ((p[i] & 0xc0) != 0x80)
            return 0;
    if (n == 3 && ((c == 0xe0 && p[1] < 0xa0) || (c == 0xed && p[1] >= 0xa0)))
        return 0; /* overlong, surrogate */
    if (n == 4 && ((c == 0xf0 && p[1] < 0x90) || (c == 0xf4 && p[1] >= 0x90)))
        return 0; /* overlong, > U+10FFFF */
    return n;
}

bool kr__rp_utf8_valid(const unsigned char *s, size_t len)
{
    for (size_t i = 0; i < len;) {
        size_t n = utf8_seq(s + i, len - i);
        if (!n)
            return false;
        i += n;
    }
    return true;
}

size_t kr__rp_unlatin(char *s, size_t len)
{
    unsigned char *p = (unsigned char *)s;
    unsigned char *bytes = malloc(len ? len : 1);
    if (!bytes)
        return len;
    size_t n = 0;
    bool multi = false;
    for (size_t i = 0; i < len; i++) {
        if (p[i] < 0x80) {
            bytes[n++] = p[i];
        } else if ((p[i] == 0xc2 || p[i] == 0xc3) && i + 1 < len && (p[i + 1] & 0xc0) == 0x80) {
            bytes[n++] = (unsigned char)(((p[i] & 0x03) << 6) | (p[i + 1] & 0x3f));
            multi = true;
            i++;
        } else {
            free(bytes);
            return len; /* a code point >= U+0100: real Unicode already */
        }
    }
    if (multi && kr__rp_utf8_valid(bytes, n)) {
        memcpy(s, bytes, n);
        len = n;
    }
    free(bytes);
    return len;
}

int kr__rp_create(rp_file *o, const char *path, char *err, size_t err_len)
{
    if (kr__out_open(&o->out, path, err, err_len) != 0) {
        o->f = NULL;
        return KR_EIO;
    }
    o->f = o->out.f;
    return 0;
}

int kr__rp_commit(rp_file *o, bool ok, char *err, size_t err_len)
{
    o->f = NULL;
    return kr__out_commit(&o->out, ok, err, err_len) == 0 ? 0 : KR_EIO;
}

long kr__rp_getline(FILE *in, char **buf, size_t *cap)
{
    size_t n = 0;
    int c;
    while ((c = getc(in)) != EOF) {
        void *grown = *buf;
        bool ok = kr__sc_reserve(&grown, cap, n + 2, 1, 4096);
        *buf = grown;
        if (!ok)
            return -2;
        if (c == '\n')
            break;
        (*buf)[n++] = (char)c;
    }
    if (c == EOF && n == 0)
        return -1;
    (*buf)[n] = '\0';
    return (long)n;
}

void kr__rp_fmt_ns(int64_t ns, char *buf, size_t n)
{
    double v = (double)ns;
    double a = v < 0 ? -v : v;
    if (a >= 1e9)
        snprintf(buf, n, "%.3gs", v / 1e9);
    else if (a >= 1e6)
        snprintf(buf, n, "%.3gms", v / 1e6);
    else if (a >= 1e3)
        snprintf(buf, n, "%.3gus", v / 1e3);
    else
        snprintf(buf, n, "%lldns", (long long)ns);
}
