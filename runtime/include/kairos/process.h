/* Processes (actors): spawn, terminate, wait, link.
 *
 * A process is the user's struct with a kr_process embedded in it (first
 * member is simplest), as libprocess' ProcessBase is a base class. It handles
 * one event at a time, never two at once, on any backend; events to one
 * process are handled in the order they were enqueued.
 *
 * States, as in libprocess: BOTTOM (spawned, not yet initialized) ->
 * READY (has events or is running) / BLOCKED (idle) -> TERMINATING. */
#ifndef KAIROS_PROCESS_H
#define KAIROS_PROCESS_H

#include <kairos/pid.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Complete type so it can be embedded; its contents are private. */
#define KR_PROCESS_WORDS 21
typedef struct kr_process {
    uint64_t kr_private[KR_PROCESS_WORDS];
} kr_process;

typedef struct kr_process_ops {
    void (*initialize)(kr_process *self);         /* first event, in context */
    void (*finalize)(kr_process *self);           /* last event, in context */
    void (*exited)(kr_process *self, kr_pid who); /* a linked process ended */
    void (*destroy)(kr_process *self); /* frees a managed process; NULL = free() */
} kr_process_ops;

/* Prepares p with the given id (NULL or "" = a generated "(N)") and ops
 * (NULL = no callbacks). An id longer than KR_ID_MAX makes the later
 * kr_spawn fail. p must stay valid until the process has terminated and, if
 * unmanaged, until kr_wait() on it returned true. */
KR_API void kr_process_init(kr_process *p, const char *id, const kr_process_ops *ops);

/* Registers p and schedules its initialize(). Returns KR_PID_NONE if the
 * runtime is not running, the id is taken or invalid, or p was already
 * spawned. With manage=true the runtime destroys p after it terminates (and
 * also when the spawn fails). A failed spawn releases the handlers
 * installed on p; call kr_process_init again before retrying. */
KR_API kr_pid kr_spawn(kr_process *p, bool manage);

/* Frees p, prepared by kr_process_init but never spawned, as the runtime
 * frees a managed process: the handlers installed on it, then its ops'
 * destroy, or free(). For a constructor's result a caller decides not to
 * spawn (the scenario harness after a bad argument). */
KR_API void kr_process_discard(kr_process *p);

/* Bounds what outsiders may queue for p: wire messages from other nodes
 * and HTTP requests (never kr_send/kr_post/kr_dispatch from this node).
 * While p has events_max such events queued, or bytes_max bytes of them,
 * a further wire message is dropped (counted in messages_dropped and
 * kairos/mailbox_dropped) and an HTTP request is answered 503; one event
 * is always let into a mailbox holding none. 0 for either means the node's
 * default (KAIROS_MAILBOX_MAX_EVENTS, 65536; KAIROS_MAILBOX_MAX_BYTES,
 * 64 MiB), UINT64_MAX no bound. Call after kr_process_init, before or
 * after kr_spawn, from any thread. KR_EINVAL on NULL, KR_ENOMEM. */
KR_API int kr_process_set_mailbox_limit(kr_process *p, uint64_t events_max, uint64_t bytes_max);

/* This process' pid; valid before spawn too. */
KR_API kr_pid kr_self(const kr_process *p);

/* Asks a local process to end. With inject, every event queued before the
 * terminate is dropped unserved (their dispatch_call futures are abandoned);
 * without it they are served first. Events arriving after it are dropped.
 * Unknown or already terminating pids: a no-op. */
KR_API void kr_terminate(kr_pid pid, bool inject);

/* Blocks until the process has fully terminated (true), the timeout elapses
 * or the pid is unknown (false). Only from outside processes: from inside one
 * it logs and returns false. */
KR_API bool kr_wait(kr_pid pid, kr_duration timeout);

/* Delivers exited(to) to self once `to` terminates (at once if it is not
 * running). Linking twice to one live process delivers once. Usually called
 * in self's context; any thread is accepted. */
KR_API void kr_link(kr_process *self, kr_pid to);

/* "prefix(N)", N counting from 1 per prefix since kr_init; caller frees it
 * with free(). NULL on allocation failure. */
KR_API char *kr_id_generate(const char *prefix);

/* The process whose event is being served on this thread, or NULL. */
KR_API kr_process *kr_current(void);

#ifdef __cplusplus
}
#endif
#endif
