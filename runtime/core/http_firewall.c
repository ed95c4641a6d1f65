/* The HTTP firewall (kr_firewall_disable): which endpoints answer 403.
 *
 * A rule names an endpoint, "/{id}/{route}". It must hold however the path
 * is spelled, so the firewall judges two things, both normalized the same
 * way (repeated '/' collapsed, "." segments dropped, trailing '/' trimmed):
 *   - the request path itself, so "/svc/admin/", "/svc/admin//" and
 *     "/svc/admin/." are "/svc/admin";
 *   - the endpoint routing will hand the request to (routing matches the
 *     longest route prefix, so "/svc/admin/sub" goes to route "/admin" of
 *     "svc" when there is no "/admin/sub" route): a disabled endpoint covers
 *     every path routing would send to it, while a distinct route below it
 *     ("/svc/admin/sub" registered on its own) stays reachable.
 * ".." never gets here: kr__http_handle answers 404 before. */
#include "http_internal.h"

#include <pthread.h>

static struct {
    pthread_mutex_t lock;
    char **rules; /* normalized */
    size_t count;
} kr__firewall = {.lock = PTHREAD_MUTEX_INITIALIZER};

char *kr__http_path_normalize(const char *path, size_t len)
{
    char *out = kr__malloc(len + 2);
    if (!out)
        return NULL;
    size_t o = 0, i = 0;
    while (i < len) {
        while (i < len && path[i] == '/')
            i++;
        size_t start = i;
        while (i < len && path[i] != '/')
            i++;
        size_t seg = i - start;
        if (seg == 0 || (seg == 1 && path[start] == '.'))
            continue;
        out[o++] = '/';
        memcpy(out + o, path + start, seg);
        o += seg;
    }
    out[o] = '\0';
    return out; /* "" for "/" */
}

static void free_rules(char **list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        kr__free(list[i]);
    kr__free(list);
}

int kr_firewall_disable(const char *const *paths, size_t n)
{
    if (n && !paths)
        return KR_EINVAL;
    char **list = n ? kr__calloc(n, sizeof *list) : NULL;
    if (n && !list)
        return KR_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        if (!paths[i] || !(list[i] = kr__http_path_normalize(paths[i], strlen(paths[i])))) {
            free_rules(list, n);
            return paths[i] ? KR_ENOMEM : KR_EINVAL;
        }
    }
    pthread_mutex_lock(&kr__firewall.lock);
    char **old = kr__firewall.rules;
    size_t old_n = kr__firewall.count;
    kr__firewall.rules = list; /* install replaces the rule list, as in libprocess */
    kr__firewall.count = n;
    pthread_mutex_unlock(&kr__firewall.lock);
    free_rules(old, old_n);
    return 0;
}

static bool rule_hits(const char *normalized)
{
    bool hit = false;
    pthread_mutex_lock(&kr__firewall.lock);
    for (size_t i = 0; i < kr__firewall.count && !hit; i++)
        hit = strcmp(kr__firewall.rules[i], normalized) == 0;
    pthread_mutex_unlock(&kr__firewall.lock);
    return hit;
}

static bool any_rule(void)
{
    pthread_mutex_lock(&kr__firewall.lock);
    bool any = kr__firewall.count > 0;
    pthread_mutex_unlock(&kr__firewall.lock);
    return any;
}

bool kr__firewall_blocks(const char *id, const char *rest, kr__sb *shown)
{
    if (!any_rule())
        return false;
    kr__sb full = {0};
    kr__sb_printf(&full, "/%s%s", id, rest);
    if (full.failed) {
        kr__sb_free(&full);
        return true; /* cannot judge it: refuse rather than let it through */
    }
    char *path = kr__http_path_normalize(full.data, full.len);
    kr__sb endpoint = {0};
    bool routed = kr__http_route_endpoint(id, rest, &endpoint);
    char *ep = routed && !endpoint.failed
                   ? kr__http_path_normalize(endpoint.data, endpoint.len)
                   : NULL;
    bool blocked = !path || (routed && !ep) || rule_hits(path) || (ep && rule_hits(ep));
    if (blocked)
        kr__sb_puts(shown, full.data);
    kr__free(path);
    kr__free(ep);
    kr__sb_free(&endpoint);
    kr__sb_free(&full);
    return blocked;
}
