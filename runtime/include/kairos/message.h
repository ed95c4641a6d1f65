/* Named messages between processes, as libprocess' install/send/post. */
#ifndef KAIROS_MESSAGE_H
#define KAIROS_MESSAGE_H

#include <kairos/process.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Name and body are valid for the duration of the handler call only. */
typedef struct kr_message {
    kr_pid from, to;
    const char *name;
    const void *body;
    size_t len;
} kr_message;

typedef void (*kr_message_fn)(kr_process *self, const kr_message *m);

/* Longest message name, in bytes. */
#define KR_NAME_MAX 255

/* Installs (or replaces) the handler for `name`. KR_EINVAL on NULL
 * arguments or a name over KR_NAME_MAX, KR_ENOMEM. */
KR_API int kr_install(kr_process *self, const char *name, kr_message_fn fn);

/* Sends from self; the body is copied. A message to a process that does not
 * exist, or that has no handler for it, is dropped and counted. */
KR_API void kr_send(kr_process *self, kr_pid to, const char *name, const void *body,
                    size_t len);

/* The same from outside any process (from = KR_PID_NONE). */
KR_API void kr_post(kr_pid to, const char *name, const void *body, size_t len);

/* libprocess' delegate(name, pid): messages named `name` that reach self
 * are forwarded to `to` (local or remote), sender and body unchanged,
 * instead of being handled here (a delegation wins over kr_install).
 * KR_PID_NONE ends the delegation. Call it from self's context (e.g.
 * initialize), as kr_install. */
KR_API int kr_delegate(kr_process *self, const char *name, kr_pid to);

#ifdef __cplusplus
}
#endif
#endif
