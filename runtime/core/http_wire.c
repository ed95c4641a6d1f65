/* libprocess' wire encoding of a message (MessageEncoder::encode), shared
 * by both backends so the simulator sends the bytes the real backend sends.
 * runtime/WIRE.md describes the format. */
#include "http_internal.h"

char *kr__wire_encode_message(kr_pid from, kr_pid to, const char *name, const void *body,
                              size_t len, size_t *out_len)
{
    char from_text[KR_PID_STRLEN_MAX], ip[16];
    kr_pid_format(from, from_text, sizeof from_text); /* KR_PID_NONE: "@0.0.0.0:0" */
    kr__ip_format(to.ip, ip, sizeof ip);
    kr__sb b = {0};
    /* No percent-encoding of id or name: libprocess sends them raw. */
    if (to.id[0])
        kr__sb_printf(&b, "POST /%s/%s HTTP/1.1\r\n", to.id, name);
    else
        kr__sb_printf(&b, "POST /%s HTTP/1.1\r\n", name);
    kr__sb_printf(&b,
                  "User-Agent: libprocess/%s\r\n"
                  "Libprocess-From: %s\r\n"
                  "Connection: Keep-Alive\r\n"
                  "Host: %s:%u\r\n",
                  from_text, from_text, ip, (unsigned)to.port);
    if (len > 0) {
        /* The whole body as one chunk, then the last chunk. */
        kr__sb_printf(&b, "Transfer-Encoding: chunked\r\n\r\n%zx\r\n", len);
        kr__sb_append(&b, body, len);
        kr__sb_puts(&b, "\r\n0\r\n\r\n");
    } else {
        kr__sb_puts(&b, "\r\n");
    }
    if (b.failed) {
        kr__sb_free(&b);
        return NULL;
    }
    *out_len = b.len;
    return b.data;
}
