/* Client URLs split into address, path and query (core.h, kr__url_split),
 * so the simulator's HTTP client needs no URL library. */
#include "internal.h"

#include <strings.h>

int kr__url_split(const char *url, kr__url *out, const char **why)
{
    static const char bad_url[] = "bad URL (expected http://ip:port/path)";
    *why = bad_url;
    if (!url || strncasecmp(url, "http://", 7) != 0)
        return KR_EINVAL;
    for (const char *c = url; *c; c++)
        if ((unsigned char)*c <= 0x20 || *c == 0x7f)
            return KR_EINVAL;
    const char *host = url + 7, *colon = host + strcspn(host, ":/?#");
    if (*colon != ':' || colon == host || colon - host > 15)
        return KR_EINVAL;
    char ip[16];
    memcpy(ip, host, (size_t)(colon - host));
    ip[colon - host] = '\0';
    const char *port = colon + 1, *rest = port + strspn(port, "0123456789");
    unsigned long n = 0;
    for (const char *d = port; d < rest && n <= 65535; d++)
        n = n * 10 + (unsigned long)(*d - '0');
    if (rest == port || n == 0 || n > 65535 || (*rest && !strchr("/?#", *rest)))
        return KR_EINVAL;
    if (kr__ip_parse(ip, &out->ip) != 0) {
        *why = "bad URL host (expected a dotted IPv4 address)";
        return KR_EINVAL;
    }
    out->port = (uint16_t)n;
    size_t path_len = strcspn(rest, "?#");
    out->path = path_len ? rest : "/";
    out->path_len = path_len ? path_len : 1;
    const char *q = rest + path_len;
    out->query = *q == '?' ? q + 1 : "";
    out->query_len = *q == '?' ? strcspn(q + 1, "#") : 0;
    return 0;
}
