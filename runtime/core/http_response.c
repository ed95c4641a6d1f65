/* The HTTP client's responses, on both backends: freeing one (the free_value
 * of a kr_http_get/kr_http_post future) and reading its headers. */
#include "http_internal.h"

#include <strings.h>

void kr__http_response_free(void *response)
{
    kr_http_response *r = response;
    if (!r)
        return;
    kr__free(r->content_type);
    kr__free(r->body);
    kr__free(r->headers);
    kr__free(r);
}

const char *kr_http_response_header(const kr_http_response *r, const char *name, char *buf,
                                    size_t n)
{
    if (!r || !r->headers || !name || !buf || n == 0)
        return NULL;
    size_t name_len = strlen(name);
    for (const char *line = r->headers; *line;) {
        const char *end = strstr(line, "\r\n");
        size_t len = end ? (size_t)(end - line) : strlen(line);
        if (len > name_len && line[name_len] == ':' && strncasecmp(line, name, name_len) == 0) {
            const char *v = line + name_len + 1;
            while (*v == ' ' || *v == '\t')
                v++;
            size_t vlen = (size_t)(line + len - v);
            if (vlen >= n)
                return NULL;
            memcpy(buf, v, vlen);
            buf[vlen] = '\0';
            return buf;
        }
        line += len + (end ? 2 : 0);
    }
    return NULL;
}
