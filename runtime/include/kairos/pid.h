/* Process identifiers: "id@ip:port", a value that is cheap to copy.
 *
 * A pid names a process on some node. Two pids are equal when their id and
 * address are equal; the hidden slot/generation fields are only a cache that
 * lets local delivery skip a table lookup (as libprocess' UPID keeps a weak
 * reference), and never take part in equality. */
#ifndef KAIROS_PID_H
#define KAIROS_PID_H

#include <kairos/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Longest process id, in bytes, without the terminating NUL. */
#define KR_ID_MAX 63
/* Longest formatted pid "id@255.255.255.255:65535", with the NUL. */
#define KR_PID_STRLEN_MAX (KR_ID_MAX + 1 + 21 + 1)

typedef struct kr_pid {
    char id[KR_ID_MAX + 1]; /* NUL-terminated; "" for KR_PID_NONE */
    uint32_t ip;            /* IPv4, host byte order */
    uint16_t port;
    uint16_t kr_reserved;
    uint32_t kr_slot; /* private: local lookup cache */
    uint32_t kr_gen;  /* private: local lookup cache */
} kr_pid;

KR_API extern const kr_pid KR_PID_NONE;

KR_API bool kr_pid_equal(kr_pid a, kr_pid b);
/* True for KR_PID_NONE and for any pid with an empty id. */
KR_API bool kr_pid_is_none(kr_pid p);
/* Writes "id@a.b.c.d:port"; KR_ENOSPC if it does not fit (buf is then
 * still NUL-terminated when n > 0). */
KR_API int kr_pid_format(kr_pid p, char *buf, size_t n);
/* Parses "id@a.b.c.d:port" (the last '@' separates id and address).
 * KR_EFORMAT on malformed text, KR_ENAMETOOLONG on an id over KR_ID_MAX. */
KR_API int kr_pid_parse(const char *s, kr_pid *out);

#ifdef __cplusplus
}
#endif
#endif
