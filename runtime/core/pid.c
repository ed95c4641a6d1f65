/* Pids: formatting, parsing, equality, and generated ids ("prefix(N)"). */
#include "internal.h"

#include <errno.h>
#include <pthread.h>

#define KR__SLOT_NONE UINT32_MAX

const kr_pid KR_PID_NONE = {.id = "", .kr_slot = KR__SLOT_NONE};

bool kr_pid_equal(kr_pid a, kr_pid b)
{
    return a.ip == b.ip && a.port == b.port && strcmp(a.id, b.id) == 0;
}

bool kr_pid_is_none(kr_pid p) { return p.id[0] == '\0'; }

char *kr__put_decimal(char *p, uint64_t v)
{
    char digits[20];
    int n = 0;
    do
        digits[n++] = (char)('0' + v % 10);
    while ((v /= 10) != 0);
    while (n > 0)
        *p++ = digits[--n];
    return p;
}

/* As snprintf(buf, n, "%u.%u.%u.%u", ...) without its cost: the simulator
 * formats every node's address at every kr_init (once per seed). */
void kr__ip_format(uint32_t ip, char *buf, size_t n)
{
    char text[16], *p = text;
    for (int shift = 24; shift >= 0; shift -= 8) {
        p = kr__put_decimal(p, (ip >> shift) & 255u);
        *p++ = shift ? '.' : '\0';
    }
    if (n == 0)
        return;
    size_t len = (size_t)(p - text) - 1;
    if (len > n - 1)
        len = n - 1;
    memcpy(buf, text, len);
    buf[len] = '\0';
}

/* Strict dotted quad: four decimal octets 0..255, nothing else. */
int kr__ip_parse(const char *s, uint32_t *out)
{
    uint32_t ip = 0;
    for (int octet = 0; octet < 4; octet++) {
        if (octet > 0 && *s++ != '.')
            return KR_EFORMAT;
        if (*s < '0' || *s > '9')
            return KR_EFORMAT;
        unsigned v = 0;
        int digits = 0;
        while (*s >= '0' && *s <= '9') {
            v = v * 10 + (unsigned)(*s++ - '0');
            if (++digits > 3 || v > 255)
                return KR_EFORMAT;
        }
        ip = (ip << 8) | v;
    }
    if (*s != '\0')
        return KR_EFORMAT;
    *out = ip;
    return 0;
}

int kr_pid_format(kr_pid p, char *buf, size_t n)
{
    if (!buf)
        return KR_EINVAL;
    if (n == 0)
        return KR_ENOSPC;
    char ip[16];
    kr__ip_format(p.ip, ip, sizeof ip);
    int w = snprintf(buf, n, "%s@%s:%u", p.id, ip, (unsigned)p.port);
    return (w < 0 || (size_t)w >= n) ? KR_ENOSPC : 0;
}

int kr_pid_parse(const char *s, kr_pid *out)
{
    if (!s || !out)
        return KR_EINVAL;
    const char *at = strrchr(s, '@');
    if (!at)
        return KR_EFORMAT;
    size_t id_len = (size_t)(at - s);
    if (id_len > KR_ID_MAX)
        return KR_ENAMETOOLONG;
    const char *colon = strrchr(at, ':');
    if (!colon)
        return KR_EFORMAT;
    char ip_text[16];
    size_t ip_len = (size_t)(colon - at - 1);
    if (ip_len == 0 || ip_len >= sizeof ip_text)
        return KR_EFORMAT;
    memcpy(ip_text, at + 1, ip_len);
    ip_text[ip_len] = '\0';
    kr_pid p = KR_PID_NONE;
    if (kr__ip_parse(ip_text, &p.ip) != 0)
        return KR_EFORMAT;
    const char *port = colon + 1;
    if (*port < '0' || *port > '9' || strlen(port) > 5)
        return KR_EFORMAT;
    char *end;
    errno = 0;
    unsigned long v = strtoul(port, &end, 10);
    if (errno || *end != '\0' || v > 65535)
        return KR_EFORMAT;
    p.port = (uint16_t)v;
    memcpy(p.id, s, id_len);
    p.id[id_len] = '\0';
    *out = p;
    return 0;
}

/* Generated ids: one counter per prefix, reset by kr_init so a simulated
 * run names its processes the same way every time. The "" prefix (every
 * unnamed process) is one atomic counter; other prefixes are few and live
 * in a list under a lock. */
typedef struct kr__id_counter {
    struct kr__id_counter *next;
    uint64_t last;
    char prefix[];
} id_counter;

void kr__ids_reset(void)
{
    pthread_mutex_lock(&kr__core.ids.lock);
    while (kr__core.ids.counters) {
        id_counter *c = kr__core.ids.counters;
        kr__core.ids.counters = c->next;
        kr__free(c);
    }
    atomic_store(&kr__core.ids.anon_last, 0);
    pthread_mutex_unlock(&kr__core.ids.lock);
}

static uint64_t next_id_number(const char *prefix)
{
    if (!*prefix)
        return atomic_fetch_add_explicit(&kr__core.ids.anon_last, 1, memory_order_relaxed) + 1;
    pthread_mutex_lock(&kr__core.ids.lock);
    id_counter *c = kr__core.ids.counters;
    while (c && strcmp(c->prefix, prefix) != 0)
        c = c->next;
    if (!c) {
        size_t n = strlen(prefix) + 1;
        c = kr__malloc(sizeof *c + n);
        if (!c) {
            pthread_mutex_unlock(&kr__core.ids.lock);
            return 0;
        }
        memcpy(c->prefix, prefix, n);
        c->last = 0;
        c->next = kr__core.ids.counters;
        kr__core.ids.counters = c;
    }
    uint64_t v = ++c->last;
    pthread_mutex_unlock(&kr__core.ids.lock);
    return v;
}

/* Writes "(n)" at out (24 bytes suffice); returns its length. Two digits
 * per division: every unnamed spawn pays this. */
static size_t format_number(char *out, uint64_t n)
{
    static const char pairs[] = "00010203040506070809101112131415161718192021222324"
                                "25262728293031323334353637383940414243444546474849"
                                "50515253545556575859606162636465666768697071727374"
                                "75767778798081828384858687888990919293949596979899";
    char digits[20];
    size_t k = sizeof digits;
    while (n >= 100) {
        unsigned r = (unsigned)(n % 100);
        n /= 100;
        digits[--k] = pairs[2 * r + 1];
        digits[--k] = pairs[2 * r];
    }
    if (n >= 10) {
        digits[--k] = pairs[2 * n + 1];
        digits[--k] = pairs[2 * n];
    } else {
        digits[--k] = (char)('0' + n);
    }
    size_t len = sizeof digits - k;
    out[0] = '(';
    memcpy(out + 1, digits + k, len);
    out[len + 1] = ')';
    out[len + 2] = '\0';
    return len + 2;
}

void kr__id_generate_anon(char id[KR_ID_MAX + 1])
{
    format_number(id, next_id_number(""));
}

char *kr_id_generate(const char *prefix)
{
    if (!prefix)
        prefix = "";
    uint64_t n = next_id_number(prefix);
    if (n == 0)
        return NULL;
    size_t plen = strlen(prefix);
    char *id = malloc(plen + 24); /* the caller frees it with free() */
    if (id) {
        memcpy(id, prefix, plen);
        format_number(id + plen, n);
    }
    return id;
}
